/* SPDX-License-Identifier: MIT */
/*
 * Model-based tests of the shadow engine.
 *
 * A random guest writes page-table entries at every level (table pointers,
 * 4 KiB, 64 KiB, 2 MiB and 1 GiB leaves, garbage, frames outside memory,
 * reserved bits), tears entries with 4-byte writes, remaps, unmaps,
 * switches and tears down PPGTT roots and writes its GGTT windows.  After
 * every operation sampled graphics addresses are translated three ways:
 *   - by a naive reference walker of the GUEST tables (guest memory only),
 *   - by shadow_ppgtt_translate / shadow_ggtt_translate,
 *   - by an independent walker of the SHADOW tables in host memory, reading
 *     raw Gen8 entries as the hardware would;
 * all three must agree on the guest frame / host page, or on scratch where
 * the guest mapping is invalid.
 *
 * Fault injection runs the same workload while failing the nth call at each
 * map/pin/alloc site in turn (and sticky failures, and random ones): no
 * leak, no double free (AddressSanitizer and the host's own accounting), and
 * once the faults stop and the pending entries are flushed, the shadow is
 * exactly the reference again.
 *
 * Sizes: VGT_SHADOW_MODEL_OPS overrides the number of property operations;
 * sanitizer builds run a tenth (ASan) or a fiftieth (TSan) of the work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"

#if defined(__SANITIZE_THREAD__)
#define WORK_SCALE 50 /* single-threaded here; TSan only slows it down */
#elif defined(__SANITIZE_ADDRESS__)
#define WORK_SCALE 10
#else
#define WORK_SCALE 1
#endif

#define MiB (1ull << 20)
#define P SHADOW_PTE_PRESENT
#define RW SHADOW_PTE_RW
#define PS SHADOW_PDE_PS
#define IPS SHADOW_PDE_IPS

#define MEM        (32 * MiB)
#define NFRAMES    (MEM >> 12)
#define POOL_FIRST 16u           /* guest page-table frames */
#define POOL_N     48u
/* A driver keeps each table page at one level; the guest here mostly does
 * (frames [lvl_first[L], lvl_first[L] + lvl_n[L]) are its level-L tables)
 * and sometimes writes anything anywhere ("chaos"). */
static const unsigned lvl_first[5] = { 0, 41, 29, 21, 16 };
static const unsigned lvl_n[5] = { 0, 23, 12, 8, 5 };
/* entry indices used per level (gma bits): few at the top, more below */
static const unsigned lvl_span[5] = { 0, 64, 16, 8, 3 };
#define NROOTS     8
#define GW         128           /* GGTT window entries exercised */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

struct root_slot {
	struct shadow_ppgtt_opts o;
	struct shadow_ppgtt *r;
	bool pinned;
};

struct engine {
	struct shadow_host *host;
	struct shadow *sh;
	uint64_t base_pages; /* the engine's own (scratch) */
};
static struct engine engines[2]; /* [ips] */

struct model {
	struct shadow_host *host;
	struct shadow *sh;
	struct shadow_vgpu *v;
	bool huge, ips, faulty;
	uint64_t rng;
	struct root_slot roots[NROOTS];
	struct shadow_windows w;
	uint64_t gvirt[GW], gapplied[GW];
	uint8_t ghalf[GW];
	uint64_t scratch_page;
	unsigned long ops, samples, mapped_samples;
};

/* --------------------------------------------------------------- setup */

static void model_up(struct model *m, uint64_t seed, bool huge, bool ips, uint32_t max_spt)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	char err[256] = "";

	memset(m, 0, sizeof(*m));
	m->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	m->huge = huge;
	m->ips = ips;
	/* one engine per IPS setting for the whole run (its 8 MiB GGTT is
	 * costly to build); each model gets a fresh vGPU and must give every
	 * page back when it goes */
	struct engine *eg = &engines[ips];
	if (!eg->sh) {
		eg->host = shadow_host_default_new(0);
		assert_non_null(eg->host);
		o.host = &shadow_host_default_ops;
		o.host_ctx = eg->host;
		o.no_ips = !ips;
		assert_int_equal(shadow_new(&o, &eg->sh), 0);
		struct shadow_host_stats hs = { .sz = sizeof(hs) };
		shadow_host_default_stats(eg->host, &hs);
		eg->base_pages = hs.live_pages;
	}
	m->host = eg->host;
	m->sh = eg->sh;
	vo.type = SHADOW_VGPU_CUSTOM; /* small windows: the model exercises GW entries */
	vo.aperture_size = 4 * MiB;
	vo.hidden_size = 4 * MiB;
	vo.mem_size = MEM;
	vo.huge_backing = huge;
	vo.max_shadow_pages = max_spt;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	if (shadow_vgpu_new(m->sh, &vo, &m->v))
		fail_msg("vgpu: %s", err);
	shadow_vgpu_windows(m->v, &m->w);
	/* root descriptors: 5 four-level, 3 three-level */
	for (unsigned k = 0; k < NROOTS; k++) {
		struct root_slot *rs = &m->roots[k];
		rs->o.sz = sizeof(rs->o);
		if (k < 5) {
			rs->o.levels = 4;
			rs->o.pdp[0] = (uint64_t)(lvl_first[4] + k) << 12;
		} else {
			rs->o.levels = 3;
			for (unsigned j = 0; j < 4; j++)
				rs->o.pdp[j] = j == k - 5 ? 0
						: (uint64_t)(lvl_first[2] + rnd(&m->rng, lvl_n[2])) << 12;
		}
	}
	struct shadow_xlate x;
	assert_int_equal(shadow_ggtt_translate(m->v, m->w.aperture_base, &x), -ENOENT);
	m->scratch_page = shadow_pte_addr(x.pte);
}

/* Returns the vGPU's consistency error, or fails. */
static void model_check(struct model *m)
{
	char err[512] = "";
	if (shadow_vgpu_check(m->v, err, sizeof(err)))
		fail_msg("after %lu ops: %s", m->ops, err);
}

static void model_down(struct model *m)
{
	struct shadow_host_stats hs = { .sz = sizeof(hs) };

	for (unsigned k = 0; k < NROOTS; k++) {
		struct root_slot *rs = &m->roots[k];
		if (rs->r && rs->pinned)
			shadow_ppgtt_unpin(rs->r);
		if (rs->r)
			shadow_ppgtt_put(rs->r);
		rs->r = NULL;
		rs->pinned = false;
	}
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(m->v, &st);
	assert_int_equal(st.shadow_pages, 0);
	assert_int_equal(st.spt_allocs, st.spt_frees);
	assert_int_equal(st.bad_unpins, 0);
	model_check(m);
	shadow_fault_set_hook(m->sh, NULL, NULL);
	shadow_fault_fail_nth(m->sh, 0, 0, false);
	shadow_vgpu_free(m->v);
	shadow_host_default_stats(m->host, &hs);
	assert_int_equal(hs.live_pages, engines[m->ips].base_pages);
	assert_int_equal(hs.bad_frees, 0);
	assert_int_equal(hs.allocs - hs.frees, engines[m->ips].base_pages);
}

static int engines_down(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct engine *eg = &engines[i];
		struct shadow_host_stats hs = { .sz = sizeof(hs) };
		if (!eg->sh)
			continue;
		shadow_free(eg->sh);
		shadow_host_default_stats(eg->host, &hs);
		shadow_host_default_free(eg->host);
		eg->sh = NULL;
		if (hs.live_pages || hs.bad_frees)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------- the reference walker */

static uint64_t guest_entry(struct model *m, uint64_t gfn, unsigned idx)
{
	uint64_t e = 0;
	assert_int_equal(shadow_guest_read(m->v, (gfn << 12) + idx * 8ull, &e, 8), 0);
	return e;
}

/* Naive walk of the guest's own tables: the guest frame gma maps to, or -1
 * when the guest mapping is not present or invalid. */
static int64_t ref_walk(struct model *m, const struct shadow_ppgtt_opts *o, uint64_t gma)
{
	unsigned level = o->levels == 4 ? 4 : 2;
	uint64_t ptr = o->levels == 4 ? o->pdp[0] : o->pdp[(gma >> 30) & 3];
	bool ips = false;

	if (!ptr || (ptr & SHADOW_PTE_RESERVED) || shadow_pte_gfn(ptr) >= NFRAMES)
		return -1;
	uint64_t tbl = shadow_pte_gfn(ptr);
	for (;;) {
		unsigned idx = shadow_ppgtt_index(gma, level);
		if (level == 1 && ips)
			idx &= ~15u;
		uint64_t e = guest_entry(m, tbl, idx);
		if (!(e & P) || (e & SHADOW_PTE_RESERVED))
			return -1;
		if (level == 1) {
			if (ips) {
				uint64_t base = (e & SHADOW_PTE_ADDR_MASK_64K) >> 12;
				return base + 16 <= NFRAMES ? (int64_t)(base + (shadow_ppgtt_index(gma, 1) & 15)) : -1;
			}
			return shadow_pte_gfn(e) < NFRAMES ? (int64_t)shadow_pte_gfn(e) : -1;
		}
		if (e & PS) {
			if (level != 2 || (e & 0x1fe000))
				return -1; /* 1 GiB pages refused; PS reserved in a PML4E */
			uint64_t base = (e & SHADOW_PDE_ADDR_MASK_2M) >> 12;
			return base + 512 <= NFRAMES ? (int64_t)(base + shadow_ppgtt_index(gma, 1)) : -1;
		}
		if (shadow_pte_gfn(e) >= NFRAMES)
			return -1;
		ips = level == 2 && m->ips && (e & IPS);
		tbl = shadow_pte_gfn(e);
		level--;
	}
}

/* The hardware's view: raw Gen8 entries in host memory from the shadow
 * root.  Returns the host address reached (scratch included), 0 on a
 * not-present entry. */
static uint64_t hw_walk(struct model *m, struct shadow_ppgtt *r, uint64_t gma, bool owners)
{
	uint64_t roots[4];
	unsigned owner;
	enum shadow_page_kind kind;

	assert_int_equal(shadow_ppgtt_shadow_root(r, roots), 0);
	unsigned levels = shadow_ppgtt_levels(r), level = levels == 4 ? 4 : 2;
	uint64_t tbl = levels == 4 ? roots[0] : roots[(gma >> 30) & 3];
	for (;;) {
		if (owners) {
			assert_int_equal(shadow_host_default_owner(m->host, tbl, &owner, &kind), 0);
			assert_int_equal(owner, shadow_vgpu_id(m->v));
			assert_true(kind == SHADOW_PAGE_TABLE || kind == SHADOW_PAGE_SCRATCH);
		}
		const uint64_t *t = shadow_host_default_ops.ptr(m->host, tbl);
		assert_non_null(t);
		uint64_t e = __atomic_load_n(&t[shadow_ppgtt_index(gma, level)], __ATOMIC_ACQUIRE);
		uint64_t hpa;
		if (!(e & P))
			return 0;
		if (level == 2 && (e & PS))
			hpa = (e & SHADOW_PDE_ADDR_MASK_2M) | (gma & (SHADOW_PAGE_2M - 1));
		else if (level == 1)
			hpa = shadow_pte_addr(e) | (gma & 0xfff);
		else {
			tbl = shadow_pte_addr(e);
			level--;
			continue;
		}
		if (owners) {
			assert_int_equal(shadow_host_default_owner(m->host, hpa, &owner, &kind), 0);
			assert_int_equal(owner, shadow_vgpu_id(m->v));
			assert_true(kind == SHADOW_PAGE_GUEST || kind == SHADOW_PAGE_SCRATCH);
		}
		return hpa;
	}
}

static unsigned level_index(struct model *m, unsigned level)
{
	unsigned c = rnd(&m->rng, 32);
	if (c == 0)
		return 511;
	if (c == 1)
		return rnd(&m->rng, 512);
	return rnd(&m->rng, lvl_span[level]);
}

static uint64_t sample_gma(struct model *m, unsigned levels)
{
	uint64_t gma = 0;

	for (unsigned l = levels == 4 ? 4 : 2; l >= 1; l--)
		gma |= (uint64_t)level_index(m, l) << (12 + 9 * (l - 1));
	if (levels == 3)
		gma |= (uint64_t)rnd(&m->rng, 4) << 30;
	return gma | rnd(&m->rng, 4096);
}

static void compare_ppgtt(struct model *m, struct root_slot *rs, uint64_t gma, bool owners)
{
	struct shadow_xlate x;
	int64_t want = ref_walk(m, &rs->o, gma);
	int rc = shadow_ppgtt_translate(rs->r, gma, &x);

	m->samples++;
	if (want >= 0 && rc == -ENOENT && m->faulty) {
		/* a faulted build leaves the entry pending on scratch: allowed
		 * while faults are armed, a wrong page never is */
		assert_int_equal(x.hpa & ~0xfffull, m->scratch_page);
	} else if (want >= 0) {
		if (rc != 0)
			fail_msg("op %lu: root %u gma 0x%llx: guest maps gfn 0x%llx, engine says %d", m->ops,
				 (unsigned)(rs - m->roots), (unsigned long long)gma, (unsigned long long)want, rc);
		uint64_t hpa = 0;
		assert_int_equal(shadow_gmem_hpa(m->v, (uint64_t)want, &hpa), 0);
		if (x.gpa != (((uint64_t)want << 12) | (gma & 0xfff)) || x.hpa != (hpa | (gma & 0xfff)))
			fail_msg("op %lu: gma 0x%llx: engine gpa 0x%llx hpa 0x%llx, guest gfn 0x%llx (hpa 0x%llx)",
				 m->ops, (unsigned long long)gma, (unsigned long long)x.gpa,
				 (unsigned long long)x.hpa, (unsigned long long)want, (unsigned long long)hpa);
		m->mapped_samples++;
	} else if (rc != -ENOENT) {
		fail_msg("op %lu: root %u gma 0x%llx: guest mapping invalid, engine says %d (gpa 0x%llx)",
			 m->ops, (unsigned)(rs - m->roots), (unsigned long long)gma, rc,
			 (unsigned long long)x.gpa);
	} else {
		assert_int_equal(x.hpa & ~0xfffull, m->scratch_page);
	}
	uint64_t hw = hw_walk(m, rs->r, gma, owners);
	if (hw != x.hpa)
		fail_msg("op %lu: gma 0x%llx: hardware walk reaches 0x%llx, translate 0x%llx", m->ops,
			 (unsigned long long)gma, (unsigned long long)hw, (unsigned long long)x.hpa);
}

static int64_t ggtt_ref(uint64_t ge)
{
	if (!(ge & P) || (ge & SHADOW_PTE_RESERVED) || shadow_pte_gfn(ge) >= NFRAMES)
		return -1;
	return (int64_t)shadow_pte_gfn(ge);
}

static uint64_t ggtt_gma(struct model *m, unsigned w)
{
	return w < GW / 2 ? m->w.aperture_base + w * 4096ull
			  : m->w.hidden_base + (w - GW / 2) * 4096ull;
}

/* exact: the engine must match the reference; otherwise (faults were
 * injected into GGTT writes) scratch is also acceptable, a wrong page never */
static void compare_ggtt(struct model *m, unsigned w, bool exact)
{
	struct shadow_xlate x;
	uint64_t gma = ggtt_gma(m, w) + rnd(&m->rng, 4096);
	int64_t want = ggtt_ref(m->gapplied[w]);
	int rc = shadow_ggtt_translate(m->v, gma, &x);

	m->samples++;
	if (rc == -ENOENT && (want < 0 || !exact)) {
		assert_int_equal(x.hpa & ~0xfffull, m->scratch_page);
		return;
	}
	if (want < 0 || rc)
		fail_msg("op %lu: GGTT 0x%llx: guest entry 0x%llx, engine %d", m->ops,
			 (unsigned long long)gma, (unsigned long long)m->gapplied[w], rc);
	uint64_t hpa = 0;
	assert_int_equal(shadow_gmem_hpa(m->v, (uint64_t)want, &hpa), 0);
	assert_int_equal(x.hpa, hpa | (gma & 0xfff));
	assert_int_equal(x.gpa, ((uint64_t)want << 12) | (gma & 0xfff));
	uint64_t host = shadow_ggtt_host_pte(m->sh, (uint32_t)(gma >> 12));
	assert_int_equal(shadow_pte_addr(host), hpa);
}

static void verify(struct model *m, unsigned per_root, bool ggtt_exact)
{
	bool owners = (m->ops & 63) == 0;

	for (unsigned k = 0; k < NROOTS; k++) {
		struct root_slot *rs = &m->roots[k];
		if (!rs->r || !shadow_ppgtt_shadowed(rs->r))
			continue;
		for (unsigned i = 0; i < per_root; i++)
			compare_ppgtt(m, rs, sample_gma(m, rs->o.levels), owners && i == 0);
	}
	compare_ggtt(m, rnd(&m->rng, GW), ggtt_exact);
}

/* ------------------------------------------------------------ operations */

/* errors are values: in a faulty run only resource errors may come back */
static void expect_ok(struct model *m, int rc, const char *what)
{
	if (!rc)
		return;
	if (m->faulty && (rc == -ENOMEM || rc == -ENOSPC))
		return;
	fail_msg("op %lu: %s returned %d", m->ops, what, rc);
}

static uint64_t table_of(struct model *m, unsigned level)
{
	return lvl_first[level] + rnd(&m->rng, lvl_n[level]);
}

/* Anything: any entry type, pointing anywhere. */
static uint64_t chaos_entry(struct model *m)
{
	uint64_t pool = POOL_FIRST + rnd(&m->rng, POOL_N);
	uint64_t data = POOL_FIRST + POOL_N + rnd(&m->rng, (unsigned)(NFRAMES - POOL_FIRST - POOL_N));
	uint64_t flags = P | (rnd(&m->rng, 4) ? RW : 0) | (rnd(&m->rng, 8) ? 0 : SHADOW_PTE_PCD);

	switch (rnd(&m->rng, 20)) {
	case 0: case 1: case 2: case 3: case 4:
		return (pool << 12) | P | RW | (rnd(&m->rng, 6) ? 0 : IPS);
	case 5: case 6: case 7: case 8: case 9: case 10:
		return (data << 12) | flags;
	case 11: case 12:
		return ((uint64_t)rnd(&m->rng, (unsigned)(NFRAMES / 512)) << 21) | flags | PS |
		       (rnd(&m->rng, 4) ? 0 : SHADOW_PDE_PAT_LARGE) | (rnd(&m->rng, 12) ? 0 : 1ull << 13);
	case 13: case 14:
		return 0;
	case 15:
		return (data << 12) | flags | (1ull << (46 + rnd(&m->rng, 18)));
	case 16:
		return ((NFRAMES + rnd(&m->rng, 4096)) << 12) | flags;
	case 17:
		return (pool << 12) | P | PS; /* 1 GiB at a PDP, 2 MiB at a PD, ... */
	default:
		return rng_next(&m->rng);
	}
}

/* What a driver would write into a level-L table (with some mistakes). */
static uint64_t driver_entry(struct model *m, unsigned level)
{
	unsigned c = rnd(&m->rng, 100);
	uint64_t data = POOL_FIRST + POOL_N + rnd(&m->rng, (unsigned)(NFRAMES - POOL_FIRST - POOL_N));

	if (c < 10)
		return 0;
	if (c < 15)
		return chaos_entry(m);
	switch (level) {
	case 4:
		return (table_of(m, 3) << 12) | P | RW;
	case 3:
		return c < 25 ? (table_of(m, 1) << 12) | P | RW | PS /* 1 GiB: refused */
			      : (table_of(m, 2) << 12) | P | RW;
	case 2:
		if (c < 40) /* 2 MiB page */
			return ((uint64_t)rnd(&m->rng, (unsigned)(NFRAMES / 512)) << 21) | P | RW | PS |
			       (rnd(&m->rng, 4) ? 0 : SHADOW_PDE_PAT_LARGE);
		return (table_of(m, 1) << 12) | P | RW | (c < 50 ? IPS : 0);
	default:
		if (c < 18)
			return (data << 12) | P | (1ull << (46 + rnd(&m->rng, 18))); /* reserved bit */
		if (c < 21)
			return ((NFRAMES + rnd(&m->rng, 4096)) << 12) | P;            /* outside memory */
		return (data << 12) | P | (rnd(&m->rng, 4) ? RW : 0) | (rnd(&m->rng, 8) ? 0 : SHADOW_PTE_PAT);
	}
}

static void op_write(struct model *m)
{
	/* mostly PTEs, as a driver writes them; upper levels less often */
	unsigned c = rnd(&m->rng, 100), level = c < 80 ? 1 : c < 93 ? 2 : c < 98 ? 3 : 4;
	bool chaos = rnd(&m->rng, 32) == 0;
	uint64_t tbl = chaos ? POOL_FIRST + rnd(&m->rng, POOL_N) : table_of(m, level);
	uint64_t val = chaos ? chaos_entry(m) : driver_entry(m, level);
	uint64_t gpa = (tbl << 12) + level_index(m, level) * 8ull;

	if (rnd(&m->rng, 8)) {
		expect_ok(m, shadow_guest_write_trap(m->v, gpa, &val, 8), "8-byte write");
		return;
	}
	/* torn: one half now, the entry is parked until completed or flushed */
	unsigned half = rnd(&m->rng, 2);
	uint32_t part = (uint32_t)(val >> (32 * half));
	expect_ok(m, shadow_guest_write_trap(m->v, gpa + 4 * half, &part, 4), "4-byte write");
	if (!m->faulty && (m->ops & 16383) == 0)
		model_check(m); /* torn entries must be pending and on scratch */
	if (rnd(&m->rng, 2)) {
		part = (uint32_t)(val >> (32 * !half));
		expect_ok(m, shadow_guest_write_trap(m->v, gpa + 4 * !half, &part, 4), "4-byte write");
	} else {
		expect_ok(m, shadow_ppgtt_flush(m->v), "flush");
	}
}

static void op_switch(struct model *m)
{
	struct root_slot *rs = &m->roots[rnd(&m->rng, NROOTS)];

	if (rs->pinned) {
		shadow_ppgtt_unpin(rs->r);
		rs->pinned = false;
	}
	rs = &m->roots[rnd(&m->rng, NROOTS)];
	if (!rs->r) {
		int rc = shadow_ppgtt_get(m->v, &rs->o, &rs->r);
		expect_ok(m, rc, "ppgtt_get");
		if (rc) {
			rs->r = NULL;
			return;
		}
	}
	if (!rs->pinned) {
		int rc = shadow_ppgtt_pin(rs->r);
		expect_ok(m, rc, "ppgtt_pin");
		rs->pinned = rc == 0;
	}
	expect_ok(m, shadow_ppgtt_flush(m->v), "flush"); /* as before a submission */
}

static void op_teardown_slot(struct model *m, struct root_slot *rs)
{
	if (!rs->r)
		return;
	if (rs->pinned)
		shadow_ppgtt_unpin(rs->r);
	shadow_ppgtt_put(rs->r);
	rs->r = NULL;
	rs->pinned = false;
}

static void op_teardown(struct model *m)
{
	op_teardown_slot(m, &m->roots[rnd(&m->rng, NROOTS)]);
}

static void op_ggtt(struct model *m)
{
	unsigned w = rnd(&m->rng, GW);
	uint64_t gfn = rnd(&m->rng, 16) ? rnd(&m->rng, (unsigned)NFRAMES) : NFRAMES + rnd(&m->rng, 99);
	uint64_t val = rnd(&m->rng, 8) ? (gfn << 12) | P : rng_next(&m->rng);
	uint32_t off = (uint32_t)((ggtt_gma(m, w) >> 12) * 8);

	if (rnd(&m->rng, 4)) {
		assert_int_equal(shadow_ggtt_write(m->v, off, val, 8), 0);
		m->gvirt[w] = m->gapplied[w] = val;
		m->ghalf[w] = 0;
	} else {
		unsigned half = rnd(&m->rng, 2);
		assert_int_equal(shadow_ggtt_write(m->v, off + 4 * half, (uint32_t)(val >> (32 * half)), 4), 0);
		m->gvirt[w] = (m->gvirt[w] & ~(0xffffffffull << (32 * half))) |
			      (val & (0xffffffffull << (32 * half)));
		m->ghalf[w] |= (uint8_t)(1u << half);
		if (m->ghalf[w] == 3) {
			m->ghalf[w] = 0;
			m->gapplied[w] = m->gvirt[w];
		}
	}
	uint64_t rd;
	assert_int_equal(shadow_ggtt_read(m->v, off, 8, &rd), 0);
	assert_int_equal(rd, m->gvirt[w]);
}

static void op_data(struct model *m)
{
	/* plain guest data writes (also into page-table frames: trapped) */
	uint64_t gfn = rnd(&m->rng, 4) ? POOL_FIRST + POOL_N + rnd(&m->rng, 256)
				       : POOL_FIRST + rnd(&m->rng, POOL_N);
	uint64_t buf[4] = { rng_next(&m->rng), 0, rng_next(&m->rng) & ~P, 0 };
	expect_ok(m, shadow_guest_write_trap(m->v, (gfn << 12) + rnd(&m->rng, 508) * 8ull, buf,
					     sizeof(buf)), "data write");
}

static void model_step(struct model *m)
{
	unsigned c = rnd(&m->rng, 100);

	m->ops++;
	if (c < 75)
		op_write(m);
	else if (c < 81)
		op_switch(m);
	else if (c < 82)
		op_teardown(m);
	else if (c < 95)
		op_ggtt(m);
	else
		op_data(m);
}

/* ------------------------------------------------------ property tests */

static unsigned long prop_ops(unsigned long dflt)
{
	const char *s = getenv("VGT_SHADOW_MODEL_OPS");
	if (s && *s)
		return strtoul(s, NULL, 0);
	return dflt / WORK_SCALE;
}

#define SEGMENT 40000 /* the guest "reboots" (fresh vGPU) every SEGMENT ops */

static void run_property(uint64_t seed, bool huge, bool ips, unsigned long nops)
{
	struct model m;
	unsigned long ops = 0, samples = 0, mapped = 0;
	uint64_t writes = 0, torn = 0, s64 = 0, s2m = 0, h2m = 0, peak = 0, built = 0;

	for (unsigned seg = 0; ops < nops; seg++) {
		unsigned long n = nops - ops < SEGMENT ? nops - ops : SEGMENT;
		model_up(&m, seed * 1000 + seg, huge, ips, 0);
		for (unsigned long i = 0; i < n; i++) {
			model_step(&m);
			verify(&m, 1, true);
		}
		model_check(&m);
		struct shadow_vgpu_stats st = { .sz = sizeof(st) };
		shadow_vgpu_stats(m.v, &st);
		ops += m.ops;
		samples += m.samples;
		mapped += m.mapped_samples;
		writes += st.ppgtt_writes;
		torn += st.ppgtt_torn_writes;
		s64 += st.splits_64k;
		s2m += st.splits_2m;
		h2m += st.huge_2m;
		built += st.spt_allocs;
		peak = st.shadow_pages_peak > peak ? st.shadow_pages_peak : peak;
		model_down(&m); /* everything back, nothing freed twice */
	}
	print_message("seed %llu huge=%d ips=%d: %lu ops, %lu samples (%lu mapped), %llu trapped "
		      "writes (%llu torn), splits 64K %llu / 2M %llu, huge 2M %llu, %llu tables built "
		      "(peak %llu)\n",
		      (unsigned long long)seed, huge, ips, ops, samples, mapped,
		      (unsigned long long)writes, (unsigned long long)torn, (unsigned long long)s64,
		      (unsigned long long)s2m, (unsigned long long)h2m, (unsigned long long)built,
		      (unsigned long long)peak);
	/* the workload must have exercised what it claims to */
	assert_true(mapped > samples / 50);
	assert_true(torn > 0 && s2m + h2m > 0);
	assert_true(!ips || s64 > 0);
	assert_true(!huge || h2m > 0);
}

static void test_random_guest_matches_reference_walker(void **state)
{
	(void)state;
	unsigned long n = prop_ops(500000);
	run_property(1, false, true, n);
	run_property(2, false, false, n / 3);
}

static void test_random_guest_matches_reference_walker_huge_backing(void **state)
{
	(void)state;
	run_property(3, true, true, prop_ops(350000));
}

/* --------------------------------------------------------- fault injection */

#define FAULT_OPS (WORK_SCALE >= 50 ? 250 : WORK_SCALE > 1 ? 500 : 1500)

/* Runs the workload with faults armed by `arm`, then stops them, flushes,
 * and requires exact agreement with the reference and a clean teardown. */
static void fault_run(uint64_t seed, bool huge, uint64_t nth, unsigned mask, bool sticky,
		      struct shadow_fault_stats *counted)
{
	struct model m;

	model_up(&m, seed, huge, true, 48);
	if (getenv("VGT_SHADOW_MODEL_DEBUG"))
		print_message("fault run seed %llu huge %d nth %llu mask 0x%x sticky %d\n",
			      (unsigned long long)seed, huge, (unsigned long long)nth, mask, sticky);
	m.faulty = true;
	shadow_fault_fail_nth(m.sh, nth, mask, sticky);
	for (unsigned long i = 0; i < FAULT_OPS; i++) {
		model_step(&m);
		verify(&m, 1, false);
	}
	if (counted)
		shadow_fault_stats(m.sh, counted);
	shadow_fault_fail_nth(m.sh, 0, 0, false);
	m.faulty = false;
	/* Pending entries come back once resources do.  With a cap of 48
	 * tables some guest trees legitimately cannot be shadowed at all:
	 * flush then fails cleanly (-ENOSPC) and roots are dropped until the
	 * rest fits. */
	int rc = shadow_ppgtt_flush(m.v);
	for (unsigned k = 0; rc == -ENOSPC && k < NROOTS; k++) {
		model_check(&m);
		op_teardown_slot(&m, &m.roots[k]);
		rc = shadow_ppgtt_flush(m.v);
	}
	assert_int_equal(rc, 0);
	model_check(&m);
	for (unsigned i = 0; i < 64; i++)
		verify(&m, 2, false);
	model_down(&m);
}

static void fault_sweep(uint64_t seed, bool huge, unsigned site, unsigned runs, unsigned long *total)
{
	struct shadow_fault_stats cnt;
	unsigned mask = site < SHADOW_FAULT_NR ? 1u << site : SHADOW_FAULT_ALL;

	/* count the calls first (an unreachable nth only counts) */
	fault_run(seed, huge, UINT64_MAX, mask, false, &cnt);
	uint64_t calls = 0;
	for (unsigned s = 0; s < SHADOW_FAULT_NR; s++)
		if (mask & (1u << s))
			calls += cnt.calls[s];
	if (site < SHADOW_FAULT_NR && site != SHADOW_FAULT_META_ALLOC)
		assert_true(calls > 0); /* the workload reaches every site */
	/* the first few calls, then evenly spread, then sticky from a point */
	for (unsigned i = 0; i < runs && calls; i++) {
		uint64_t nth = i < 4 ? i + 1 : 1 + (calls - 1) * (i - 3) / (runs - 4);
		fault_run(seed, huge, nth, mask, false, NULL);
		(*total)++;
	}
	for (unsigned i = 0; i < 3 && calls; i++) {
		fault_run(seed + 7, huge, 1 + calls * i / 3, mask, true, NULL);
		(*total)++;
	}
}

static void test_fault_at_every_site_leaks_nothing(void **state)
{
	unsigned long total = 0;
	unsigned runs = WORK_SCALE >= 50 ? 5 : WORK_SCALE > 1 ? 8 : 24;
	(void)state;
	for (unsigned site = 0; site <= SHADOW_FAULT_NR; site++)
		fault_sweep(11 + site, site == SHADOW_FAULT_GMEM_ALLOC, site, runs, &total);
	print_message("%lu fault-injection runs of %d operations\n", total, FAULT_OPS);
}

struct random_faults {
	uint64_t rng;
	unsigned one_in;
};

static int random_fault(void *ctx, enum shadow_fault_site site, uint64_t call)
{
	struct random_faults *rf = ctx;
	(void)site;
	(void)call;
	return rng_next(&rf->rng) % rf->one_in == 0 ? -ENOMEM : 0;
}

static void test_random_faults_during_a_long_workload(void **state)
{
	struct model m;
	struct random_faults rf = { .rng = 77, .one_in = 40 };
	(void)state;
	model_up(&m, 99, false, true, 64);
	m.faulty = true;
	shadow_fault_set_hook(m.sh, random_fault, &rf);
	unsigned long n = 60000 / WORK_SCALE;
	for (unsigned long i = 0; i < n; i++) {
		model_step(&m);
		verify(&m, 1, false);
		if ((i & 4095) == 0) {
			/* consistency holds with faults still armed (check allocates nothing of ours) */
			model_check(&m);
		}
	}
	struct shadow_fault_stats fs;
	shadow_fault_stats(m.sh, &fs);
	assert_true(fs.injected > n / 200);
	shadow_fault_set_hook(m.sh, NULL, NULL);
	m.faulty = false;
	for (unsigned k = 0; k < NROOTS; k++)
		if (m.roots[k].pinned) {
			shadow_ppgtt_unpin(m.roots[k].r);
			m.roots[k].pinned = false;
		}
	assert_int_equal(shadow_ppgtt_flush(m.v), 0);
	model_check(&m);
	for (unsigned i = 0; i < 256; i++)
		verify(&m, 2, false);
	print_message("%lu ops, %llu faults injected\n", n, (unsigned long long)fs.injected);
	model_down(&m);
}

static void test_vgpu_creation_fails_cleanly_at_every_call(void **state)
{
	struct shadow_host_stats hs = { .sz = sizeof(hs) };
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	(void)state;
	struct shadow_host *h = shadow_host_default_new(0);
	o.host = &shadow_host_default_ops;
	o.host_ctx = h;
	assert_int_equal(shadow_new(&o, &sh), 0);
	vo.mem_size = 8 * MiB;
	unsigned failures = 0;
	for (uint64_t nth = 1;; nth++) {
		shadow_fault_fail_nth(sh, nth, SHADOW_FAULT_ALL, false);
		int rc = shadow_vgpu_new(sh, &vo, &v);
		if (rc == 0) {
			shadow_vgpu_free(v);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		failures++;
	}
	shadow_fault_fail_nth(sh, 0, 0, false);
	assert_true(failures >= 5); /* scratch page, 4 scratch tables, tables */
	shadow_free(sh);
	shadow_host_default_stats(h, &hs);
	assert_int_equal(hs.live_pages, 0);
	assert_int_equal(hs.bad_frees, 0);
	shadow_host_default_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_guest_matches_reference_walker),
		cmocka_unit_test(test_random_guest_matches_reference_walker_huge_backing),
		cmocka_unit_test(test_fault_at_every_site_leaks_nothing),
		cmocka_unit_test(test_random_faults_during_a_long_workload),
		cmocka_unit_test(test_vgpu_creation_fails_cleanly_at_every_call),
	};
	return cmocka_run_group_tests(tests, NULL, engines_down);
}
