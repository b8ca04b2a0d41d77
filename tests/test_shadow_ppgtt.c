/* SPDX-License-Identifier: MIT */
/* PPGTT shadow page tables and guest memory: encodings, splitting, sharing,
 * refcounts, teardown, scratch, torn writes, exhaustion and reclaim. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scanner/scanner.h"
#include "shadow/shadow.h"

#define MiB (1ull << 20)
#define P SHADOW_PTE_PRESENT
#define RW SHADOW_PTE_RW

/* Guest frames used by the tests: tables low, data high. */
#define PML4 0x10
#define PDP  0x11
#define PD   0x12
#define PT   0x13
#define DATA 0x1000

struct env {
	struct shadow_host *host;
	struct shadow *sh;
	struct shadow_vgpu *v;
};

static void env_up(struct env *e, uint64_t mem, bool huge, uint32_t max_spt)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	char err[256] = "";

	e->host = shadow_host_default_new(0);
	assert_non_null(e->host);
	o.host = &shadow_host_default_ops;
	o.host_ctx = e->host;
	assert_int_equal(shadow_new(&o, &e->sh), 0);
	vo.mem_size = mem;
	vo.huge_backing = huge;
	vo.max_shadow_pages = max_spt;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	int rc = shadow_vgpu_new(e->sh, &vo, &e->v);
	if (rc)
		fail_msg("shadow_vgpu_new: %d %s", rc, err);
}

static void check(struct env *e)
{
	char err[512] = "";
	int rc = shadow_vgpu_check(e->v, err, sizeof(err));
	if (rc)
		fail_msg("consistency: %s", err);
}

/* Everything goes back to the host: no leak, no double free. */
static void env_down(struct env *e)
{
	struct shadow_host_stats st = { .sz = sizeof(st) };

	check(e);
	shadow_free(e->sh);
	shadow_host_default_stats(e->host, &st);
	assert_int_equal(st.live_pages, 0);
	assert_int_equal(st.bad_frees, 0);
	assert_int_equal(st.allocs, st.frees);
	shadow_host_default_free(e->host);
}

static void wr64(struct shadow_vgpu *v, uint64_t gpa, uint64_t val)
{
	assert_int_equal(shadow_guest_write_trap(v, gpa, &val, 8), 0);
}

static uint64_t ent(uint64_t gfn, uint64_t flags)
{
	return (gfn << 12) | flags;
}

static struct shadow_ppgtt *root4(struct env *e, uint64_t pml4_gfn)
{
	struct shadow_ppgtt_opts o = SHADOW_PPGTT_OPTS_INIT;
	struct shadow_ppgtt *r;

	o.levels = 4;
	o.pdp[0] = pml4_gfn << 12;
	assert_int_equal(shadow_ppgtt_get(e->v, &o, &r), 0);
	return r;
}

/* PML4 -> PDP -> PD -> PT for gma 0..2 MiB, n data pages from DATA. */
static void build_4k(struct env *e, unsigned n)
{
	wr64(e->v, PML4 << 12, ent(PDP, P | RW));
	wr64(e->v, PDP << 12, ent(PD, P | RW));
	wr64(e->v, PD << 12, ent(PT, P | RW));
	for (unsigned i = 0; i < n; i++)
		wr64(e->v, (PT << 12) + i * 8, ent(DATA + i, P | RW));
}

static struct shadow_vgpu_stats stats(struct env *e)
{
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(e->v, &st);
	return st;
}

static uint64_t frame_hpa(struct env *e, uint64_t gfn)
{
	uint64_t hpa = 0;
	assert_int_equal(shadow_gmem_hpa(e->v, gfn, &hpa), 0);
	return hpa;
}

/* An independent walker of the shadow tables in host memory, as the
 * hardware reads them: returns the host address or 0 on a fault, and checks
 * that every page it touches belongs to the vGPU. */
static uint64_t hw_walk(struct env *e, struct shadow_ppgtt *r, uint64_t gma, bool *scratch)
{
	uint64_t roots[4];
	unsigned owner;
	enum shadow_page_kind kind;

	assert_int_equal(shadow_ppgtt_shadow_root(r, roots), 0);
	unsigned levels = shadow_ppgtt_levels(r);
	uint64_t tbl = levels == 4 ? roots[0] : roots[(gma >> 30) & 3];
	unsigned level = levels == 4 ? 4 : 2;
	*scratch = false;
	for (;;) {
		assert_int_equal(shadow_host_default_owner(e->host, tbl, &owner, &kind), 0);
		assert_int_equal(owner, shadow_vgpu_id(e->v));
		assert_true(kind == SHADOW_PAGE_TABLE || kind == SHADOW_PAGE_SCRATCH);
		if (kind == SHADOW_PAGE_SCRATCH)
			*scratch = true;
		const uint64_t *t = shadow_host_default_ops.ptr(e->host, tbl);
		assert_non_null(t);
		uint64_t pe = t[shadow_ppgtt_index(gma, level)];
		if (!(pe & P))
			return 0;
		uint64_t hpa;
		if (level == 2 && (pe & SHADOW_PDE_PS))
			hpa = (pe & SHADOW_PDE_ADDR_MASK_2M) | (gma & (SHADOW_PAGE_2M - 1));
		else if (level == 1)
			hpa = shadow_pte_addr(pe) | (gma & 0xfff);
		else {
			tbl = shadow_pte_addr(pe);
			level--;
			continue;
		}
		assert_int_equal(shadow_host_default_owner(e->host, hpa, &owner, &kind), 0);
		assert_int_equal(owner, shadow_vgpu_id(e->v));
		assert_true(kind == SHADOW_PAGE_GUEST || kind == SHADOW_PAGE_SCRATCH);
		if (kind == SHADOW_PAGE_SCRATCH)
			*scratch = true;
		return hpa;
	}
}

static void expect_maps(struct env *e, struct shadow_ppgtt *r, uint64_t gma, uint64_t gfn)
{
	struct shadow_xlate x;
	bool scratch;

	int rc = shadow_ppgtt_translate(r, gma, &x);
	if (rc)
		fail_msg("gma 0x%llx: translate %d, expected gfn 0x%llx", (unsigned long long)gma, rc,
			 (unsigned long long)gfn);
	assert_int_equal(x.gpa, (gfn << 12) | (gma & 0xfff));
	assert_int_equal(x.hpa, frame_hpa(e, gfn) | (gma & 0xfff));
	assert_int_equal(hw_walk(e, r, gma, &scratch), x.hpa);
	assert_false(scratch);
}

static void expect_scratch(struct env *e, struct shadow_ppgtt *r, uint64_t gma)
{
	struct shadow_xlate x;
	bool scratch;

	assert_int_equal(shadow_ppgtt_translate(r, gma, &x), -ENOENT);
	assert_true(x.scratch);
	uint64_t hw = hw_walk(e, r, gma, &scratch);
	assert_true(hw == 0 || scratch);
}

/* --------------------------------------------------------------- tests */

static void test_pte_helpers_match_gen8_layout(void **state)
{
	(void)state;
	uint64_t e = shadow_pte_make(0x123456789000ull, P | RW | SHADOW_PTE_PAT);
	assert_int_equal(e, 0x123456789000ull | 0x83);
	assert_int_equal(shadow_pte_gfn(e), 0x123456789ull);
	assert_int_equal(shadow_pte_addr(0xfff0000000001003ull), 0x0000000000001000ull);
	/* PT 20:12, PD 29:21, PDP 38:30, PML4 47:39 */
	uint64_t gma = (5ull << 39) | (6ull << 30) | (7ull << 21) | (8ull << 12) | 0x123;
	assert_int_equal(shadow_ppgtt_index(gma, 4), 5);
	assert_int_equal(shadow_ppgtt_index(gma, 3), 6);
	assert_int_equal(shadow_ppgtt_index(gma, 2), 7);
	assert_int_equal(shadow_ppgtt_index(gma, 1), 8);
	assert_int_equal(SHADOW_PTE_RESERVED & SHADOW_PTE_ADDR_MASK, 0);
	assert_int_equal(SHADOW_PTE_SPLIT_64K & ~SHADOW_PTE_RESERVED, 0);
}

static void test_4k_mapping_shadows_to_host_pages_in_gen8_format(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 8);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_false(shadow_ppgtt_shadowed(r));
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	for (unsigned i = 0; i < 8; i++)
		expect_maps(&e, r, i * 4096ull + 0x10, DATA + i);
	expect_scratch(&e, r, 8 * 4096ull);
	expect_scratch(&e, r, 1ull << 39);
	/* the shadow PTE keeps the guest's flag bits and points at the host page */
	struct shadow_xlate x;
	assert_int_equal(shadow_ppgtt_translate(r, 0, &x), 0);
	assert_int_equal(x.pte, frame_hpa(&e, DATA) | P | RW);
	struct shadow_vgpu_stats st = stats(&e);
	assert_int_equal(st.shadow_pages, 4);
	assert_int_equal(st.pinned_frames, 8); /* data frames; tables are protected, not pinned */
	check(&e);
	shadow_ppgtt_unpin(r);
	shadow_ppgtt_put(r);
	assert_int_equal(stats(&e).shadow_pages, 0);
	assert_int_equal(stats(&e).pinned_frames, 0);
	env_down(&e);
}

static void test_guest_page_tables_are_write_protected(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_false(shadow_gmem_protected(e.v, PT));
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	assert_true(shadow_gmem_protected(e.v, PML4));
	assert_true(shadow_gmem_protected(e.v, PT));
	assert_false(shadow_gmem_protected(e.v, DATA));
	uint64_t v = ent(DATA + 5, P);
	assert_int_equal(shadow_guest_write(e.v, PT << 12, &v, 8), SHADOW_TRAPPED);
	/* nothing was written by the refused plain write */
	uint64_t got;
	assert_int_equal(shadow_guest_read(e.v, PT << 12, &got, 8), 0);
	assert_int_equal(got, ent(DATA, P | RW));
	/* data pages are plain memory */
	assert_int_equal(shadow_guest_write(e.v, DATA << 12, &v, 8), 0);
	shadow_ppgtt_put(r);
	assert_false(shadow_gmem_protected(e.v, PT));
	assert_int_equal(shadow_guest_write(e.v, PT << 12, &v, 8), 0);
	env_down(&e);
}

static void test_trapped_write_remaps_and_releases_old_frame_once(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, ent(DATA + 9, P | RW), 8), 0);
	expect_maps(&e, r, 0, DATA + 9);
	uint64_t hpa;
	/* the old frame is no longer pinned: it can be discarded */
	assert_int_equal(shadow_gmem_discard(e.v, DATA), 0);
	assert_int_equal(shadow_gmem_hpa(e.v, DATA, &hpa), -ENOENT);
	assert_int_equal(shadow_gmem_discard(e.v, DATA + 9), -EBUSY);
	assert_int_equal(stats(&e).bad_unpins, 0);
	check(&e);
	/* unmap */
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, 0, 8), 0);
	expect_scratch(&e, r, 0);
	assert_int_equal(shadow_gmem_discard(e.v, DATA + 9), 0);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_flag_only_change_is_revalidated_in_full(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	struct shadow_xlate x;
	/* drop RW only: the shadow follows */
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, ent(DATA, P), 8), 0);
	assert_int_equal(shadow_ppgtt_translate(r, 0, &x), 0);
	assert_int_equal(x.pte & RW, 0);
	/* a reserved high bit alone makes the same frame invalid: scratch */
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, ent(DATA, P) | (1ull << 62), 8), 0);
	expect_scratch(&e, r, 0);
	/* same for a PML4 entry: flipping RW on a table pointer re-validates
	 * the table pointer, and an added reserved bit drops the whole tree */
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, ent(DATA, P | RW), 8), 0);
	assert_int_equal(shadow_ppgtt_write(e.v, PML4 << 12, ent(PDP, P), 8), 0);
	expect_maps(&e, r, 0, DATA);
	assert_int_equal(shadow_ppgtt_write(e.v, PML4 << 12, ent(PDP, P | RW) | (1ull << 50), 8), 0);
	expect_scratch(&e, r, 0);
	assert_int_equal(stats(&e).shadow_pages, 1);
	assert_true(stats(&e).invalid_entries >= 2);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_frame_outside_guest_memory_points_at_scratch(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	wr64(e.v, (PT << 12) + 8, ent(64 * MiB / 4096, P)); /* first frame past the end */
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_maps(&e, r, 0, DATA);
	expect_scratch(&e, r, 4096);
	assert_int_equal(stats(&e).scratch_hits, 1);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_torn_write_parks_entry_on_scratch_until_completed(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	uint64_t nv = ent(DATA + 3, P | RW);
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, (uint32_t)nv, 4), 0);
	expect_scratch(&e, r, 0);
	assert_int_equal(stats(&e).pending_entries, 1);
	check(&e);
	assert_int_equal(shadow_ppgtt_write(e.v, (PT << 12) + 4, nv >> 32, 4), 0);
	expect_maps(&e, r, 0, DATA + 3);
	assert_int_equal(stats(&e).pending_entries, 0);
	assert_int_equal(stats(&e).ppgtt_torn_writes, 2);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_torn_write_is_applied_by_flush(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	/* the guest changes only the low dword (frame below 4 GiB) */
	assert_int_equal(shadow_ppgtt_write(e.v, PT << 12, (uint32_t)ent(DATA + 7, P), 4), 0);
	expect_scratch(&e, r, 0);
	assert_int_equal(shadow_ppgtt_flush(e.v), 0);
	expect_maps(&e, r, 0, DATA + 7);
	struct shadow_vgpu_stats st = stats(&e);
	assert_int_equal(st.pending_entries, 0);
	assert_int_equal(st.flushed_entries, 1);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_bad_trapped_write_sizes_are_refused(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	assert_int_equal(shadow_ppgtt_write(e.v, 0x1000, 0, 2), -EINVAL);
	assert_int_equal(shadow_ppgtt_write(e.v, 0x1004, 0, 8), -EINVAL);
	assert_int_equal(shadow_ppgtt_write(e.v, 0x1002, 0, 4), -EINVAL);
	assert_int_equal(shadow_ppgtt_write(e.v, 64 * MiB, 0, 8), -EFAULT);
	env_down(&e);
}

static void test_64k_entries_split_into_16_shadow_ptes(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 0);
	wr64(e.v, PD << 12, ent(PT, P | RW | SHADOW_PDE_IPS));
	wr64(e.v, (PT << 12) + 16 * 8, ent(DATA + 0x20, P | RW)); /* 64K page at gma 64K */
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	for (unsigned k = 0; k < 16; k++) {
		expect_maps(&e, r, 65536 + k * 4096ull, DATA + 0x20 + k);
		struct shadow_xlate x;
		assert_int_equal(shadow_ppgtt_translate(r, 65536 + k * 4096ull, &x), 0);
		assert_true(x.pte & SHADOW_PTE_SPLIT_64K);
	}
	expect_scratch(&e, r, 0);
	assert_int_equal(stats(&e).splits_64k, 1);
	/* writes to non-16-aligned slots of a 64K table are ignored */
	assert_int_equal(shadow_ppgtt_write(e.v, (PT << 12) + 17 * 8, ent(DATA, P), 8), 0);
	expect_maps(&e, r, 65536 + 4096, DATA + 0x21);
	assert_int_equal(stats(&e).ppgtt_ignored_writes, 1);
	/* the shadow PDE points at a plain 4 KiB PT: IPS cleared */
	uint64_t roots[4];
	assert_int_equal(shadow_ppgtt_shadow_root(r, roots), 0);
	const uint64_t *t = shadow_host_default_ops.ptr(e.host, roots[0]);
	t = shadow_host_default_ops.ptr(e.host, shadow_pte_addr(t[0]));
	t = shadow_host_default_ops.ptr(e.host, shadow_pte_addr(t[0]));
	assert_int_equal(t[0] & SHADOW_PDE_IPS, 0);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_ips_ignored_when_disabled(void **state)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct env e;
	(void)state;
	e.host = shadow_host_default_new(0);
	o.host = &shadow_host_default_ops;
	o.host_ctx = e.host;
	o.no_ips = true;
	assert_int_equal(shadow_new(&o, &e.sh), 0);
	vo.mem_size = 64 * MiB;
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &e.v), 0);
	build_4k(&e, 2);
	wr64(e.v, PD << 12, ent(PT, P | RW | SHADOW_PDE_IPS));
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_maps(&e, r, 4096, DATA + 1);
	assert_int_equal(stats(&e).splits_64k, 0);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_2m_page_splits_into_512_entry_shadow_pt(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 0);
	/* PD[1] = 2 MiB page at gfn 0x2000 (8 MiB), dirty and large PAT set */
	uint64_t g2 = ent(0x2000, P | RW | SHADOW_PDE_PS | SHADOW_PTE_DIRTY | SHADOW_PDE_PAT_LARGE);
	wr64(e.v, (PD << 12) + 8, g2);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	uint64_t base = 2 * MiB;
	for (unsigned k = 0; k < 512; k += 37)
		expect_maps(&e, r, base + k * 4096ull + 8, 0x2000 + k);
	struct shadow_xlate x;
	assert_int_equal(shadow_ppgtt_translate(r, base, &x), 0);
	assert_int_equal(x.page_size, 4096);
	assert_true(x.pte & SHADOW_PTE_PAT);          /* PAT moved from bit 12 to bit 7 */
	assert_int_equal(x.pte & SHADOW_PTE_DIRTY, 0); /* dirty cleared */
	assert_int_equal(x.pte, frame_hpa(&e, 0x2000) | P | RW | SHADOW_PTE_PAT);
	struct shadow_vgpu_stats st = stats(&e);
	assert_int_equal(st.splits_2m, 1);
	assert_int_equal(st.huge_2m, 0);
	assert_int_equal(st.shadow_pages, 5); /* PML4 PDP PD PT + split PT */
	check(&e);
	/* unmapping the 2M page frees the split PT and all 512 pins */
	assert_int_equal(shadow_ppgtt_write(e.v, (PD << 12) + 8, 0, 8), 0);
	expect_scratch(&e, r, base);
	assert_int_equal(stats(&e).shadow_pages, 4);
	assert_int_equal(stats(&e).pinned_frames, 0);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_2m_page_on_huge_backing_is_shadowed_as_2m(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, true, 0);
	build_4k(&e, 0);
	wr64(e.v, (PD << 12) + 8, ent(0x2000, P | RW | SHADOW_PDE_PS));
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	struct shadow_xlate x;
	assert_int_equal(shadow_ppgtt_translate(r, 2 * MiB + 0x12345, &x), 0);
	assert_int_equal(x.page_size, SHADOW_PAGE_2M);
	assert_int_equal(x.gpa, 0x2000ull * 4096 + 0x12345);
	assert_int_equal(x.pte & SHADOW_PDE_PS, SHADOW_PDE_PS);
	assert_int_equal(x.hpa & (SHADOW_PAGE_2M - 1), 0x12345);
	expect_maps(&e, r, 2 * MiB + 0x12345, 0x2000 + 0x12);
	struct shadow_vgpu_stats st = stats(&e);
	assert_int_equal(st.huge_2m, 1);
	assert_int_equal(st.splits_2m, 0);
	assert_int_equal(st.shadow_pages, 4);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_2m_page_with_reserved_bits_is_invalid(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 0);
	wr64(e.v, (PD << 12) + 8, ent(0x2000, P | SHADOW_PDE_PS) | (1ull << 13));
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_scratch(&e, r, 2 * MiB);
	assert_int_equal(stats(&e).splits_2m, 0);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_1g_page_is_refused(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 1);
	wr64(e.v, (PDP << 12) + 8, ent(0, P | RW | SHADOW_PDE_PS)); /* 1 GiB at gma 1 GiB */
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_scratch(&e, r, 1ull << 30);
	expect_maps(&e, r, 0, DATA);
	assert_int_equal(stats(&e).refused_1g, 1);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_3level_root_uses_four_pdps(void **state)
{
	struct env e;
	struct shadow_ppgtt_opts o = SHADOW_PPGTT_OPTS_INIT;
	struct shadow_ppgtt *r;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	/* PDP1 -> PD 0x20 -> PT 0x21; PDP3 -> PD 0x22 (2M page) */
	wr64(e.v, 0x20 << 12, ent(0x21, P | RW));
	wr64(e.v, 0x21 << 12, ent(DATA + 1, P | RW));
	wr64(e.v, (0x22 << 12) + 511 * 8, ent(0x2000, P | SHADOW_PDE_PS));
	o.levels = 3;
	o.pdp[1] = 0x20ull << 12;
	o.pdp[3] = 0x22ull << 12;
	assert_int_equal(shadow_ppgtt_get(e.v, &o, &r), 0);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_maps(&e, r, 1ull << 30, DATA + 1);
	expect_maps(&e, r, (3ull << 30) + 511 * 2 * MiB + 4096, 0x2001);
	expect_scratch(&e, r, 0);
	expect_scratch(&e, r, 2ull << 30);
	struct shadow_xlate x;
	assert_int_equal(shadow_ppgtt_translate(r, 1ull << 32, &x), -EFAULT);
	uint64_t roots[4];
	assert_int_equal(shadow_ppgtt_shadow_root(r, roots), 0);
	assert_int_equal(roots[0], roots[2]); /* both the scratch PD */
	assert_true(roots[1] != roots[0] && roots[3] != roots[0]);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_shadow_tables_are_shared_by_guest_frame(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 2);
	/* a second PML4 whose entry 1 reuses the same PDP */
	wr64(e.v, (0x30ull << 12) + 8, ent(PDP, P | RW));
	struct shadow_ppgtt *a = root4(&e, PML4), *b = root4(&e, 0x30);
	assert_int_equal(shadow_ppgtt_pin(a), 0);
	assert_int_equal(stats(&e).shadow_pages, 4);
	assert_int_equal(shadow_ppgtt_pin(b), 0);
	assert_int_equal(stats(&e).shadow_pages, 5); /* only the new PML4 */
	expect_maps(&e, b, (1ull << 39) + 4096, DATA + 1);
	/* a write to the shared PT shows through both roots */
	assert_int_equal(shadow_ppgtt_write(e.v, (PT << 12) + 8, ent(DATA + 4, P), 8), 0);
	expect_maps(&e, a, 4096, DATA + 4);
	expect_maps(&e, b, (1ull << 39) + 4096, DATA + 4);
	/* the same PD referenced twice from one PDP is one table */
	assert_int_equal(shadow_ppgtt_write(e.v, (PDP << 12) + 16, ent(PD, P | RW), 8), 0);
	assert_int_equal(stats(&e).shadow_pages, 5);
	expect_maps(&e, a, (2ull << 30) + 4096, DATA + 4);
	check(&e);
	shadow_ppgtt_put(a);
	assert_int_equal(stats(&e).shadow_pages, 4);
	expect_maps(&e, b, (1ull << 39) + 4096, DATA + 4);
	check(&e);
	shadow_ppgtt_put(b);
	assert_int_equal(stats(&e).shadow_pages, 0);
	env_down(&e);
}

static void test_same_root_pointers_return_the_same_root(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	struct shadow_ppgtt *a = root4(&e, PML4), *b = root4(&e, PML4), *c = root4(&e, PDP);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(stats(&e).roots, 2);
	shadow_ppgtt_put(a);
	assert_int_equal(stats(&e).roots, 2);
	shadow_ppgtt_put(b);
	shadow_ppgtt_put(c);
	assert_int_equal(stats(&e).roots, 0);
	env_down(&e);
}

static void test_self_referencing_tables_terminate(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	/* one guest page used as PML4, PDP, PD and PT at once */
	wr64(e.v, PML4 << 12, ent(PML4, P | RW));
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_maps(&e, r, 0, PML4); /* a 4K page mapping the table frame itself */
	assert_int_equal(stats(&e).shadow_pages, 4);
	check(&e);
	/* the guest sees its own table; the shadow tables are never mapped */
	assert_int_equal(shadow_ppgtt_write(e.v, (PML4 << 12) + 8, ent(DATA, P), 8), 0);
	expect_maps(&e, r, 4096, DATA);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_teardown_frees_every_page_exactly_once(void **state)
{
	struct env e;
	struct shadow_host_stats h0 = { .sz = sizeof(h0) }, h1 = { .sz = sizeof(h1) };
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 64);
	wr64(e.v, (PD << 12) + 8, ent(0x2000, P | SHADOW_PDE_PS));
	shadow_host_default_stats(e.host, &h0);
	uint64_t frames0 = stats(&e).guest_frames;
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	shadow_ppgtt_unpin(r);
	shadow_ppgtt_put(r);
	shadow_host_default_stats(e.host, &h1);
	/* guest frames backed on the way stay backed; every shadow page went back */
	uint64_t frames1 = stats(&e).guest_frames;
	assert_int_equal(frames1 - frames0, 64 + 512);
	assert_int_equal(h1.live_pages, h0.live_pages + (frames1 - frames0));
	assert_int_equal(h1.bad_frees, 0);
	struct shadow_vgpu_stats st = stats(&e);
	assert_int_equal(st.spt_allocs, st.spt_frees);
	assert_int_equal(st.pinned_frames, 0);
	env_down(&e);
}

static void test_cap_exhaustion_reclaims_unpinned_roots_lru(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 8);
	/* three independent 4-level roots of 4 tables each */
	struct shadow_ppgtt *r[3];
	for (unsigned k = 0; k < 3; k++) {
		uint64_t b = 0x100 + k * 4;
		wr64(e.v, b << 12, ent(b + 1, P | RW));
		wr64(e.v, (b + 1) << 12, ent(b + 2, P | RW));
		wr64(e.v, (b + 2) << 12, ent(b + 3, P | RW));
		wr64(e.v, (b + 3) << 12, ent(DATA + k, P | RW));
		r[k] = root4(&e, b);
	}
	assert_int_equal(shadow_ppgtt_pin(r[0]), 0);
	assert_int_equal(shadow_ppgtt_pin(r[1]), 0);
	shadow_ppgtt_unpin(r[0]);
	/* r[0] is the least recently used unpinned root: reclaimed for r[2] */
	assert_int_equal(shadow_ppgtt_pin(r[2]), 0);
	assert_false(shadow_ppgtt_shadowed(r[0]));
	assert_true(shadow_ppgtt_shadowed(r[1]));
	assert_int_equal(stats(&e).reclaims, 1);
	assert_false(shadow_gmem_protected(e.v, 0x100));
	expect_maps(&e, r[2], 0, DATA + 2);
	struct shadow_xlate x;
	assert_int_equal(shadow_ppgtt_translate(r[0], 0, &x), -ESTALE);
	/* with both pinned nothing can be reclaimed: a clean failure */
	assert_int_equal(shadow_ppgtt_pin(r[0]), -ENOSPC);
	assert_false(shadow_ppgtt_shadowed(r[0]));
	check(&e);
	/* unpinning r[1] makes room again; re-shadowing reads the guest tables */
	shadow_ppgtt_unpin(r[1]);
	assert_int_equal(shadow_ppgtt_pin(r[0]), 0);
	expect_maps(&e, r[0], 0, DATA);
	check(&e);
	for (unsigned k = 0; k < 3; k++)
		shadow_ppgtt_put(r[k]);
	env_down(&e);
}

static void test_entry_that_cannot_be_built_stays_pending_until_flush(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 4);
	build_4k(&e, 1);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	/* a second PT would be the 5th table: over the cap, nothing to reclaim */
	wr64(e.v, 0x40ull << 12, ent(DATA + 1, P));
	assert_int_equal(shadow_ppgtt_write(e.v, (PD << 12) + 8, ent(0x40, P | RW), 8), -ENOSPC);
	expect_scratch(&e, r, 2 * MiB);
	expect_maps(&e, r, 0, DATA);
	assert_int_equal(stats(&e).pending_entries, 1);
	assert_int_equal(shadow_ppgtt_flush(e.v), -ENOSPC);
	check(&e);
	/* the guest unmaps the first PT: room for the pending one */
	assert_int_equal(shadow_ppgtt_write(e.v, PD << 12, 0, 8), 0);
	assert_int_equal(shadow_ppgtt_flush(e.v), 0);
	expect_maps(&e, r, 2 * MiB, DATA + 1);
	assert_int_equal(stats(&e).pending_entries, 0);
	check(&e);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_translate_rejects_addresses_outside_the_space(void **state)
{
	struct env e;
	struct shadow_xlate x;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_translate(r, 0, &x), -ESTALE);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	assert_int_equal(shadow_ppgtt_translate(r, 1ull << 48, &x), -EFAULT);
	assert_int_equal(shadow_ppgtt_translate(r, 0, &x), -ENOENT);
	shadow_ppgtt_put(r);
	struct shadow_ppgtt_opts o = SHADOW_PPGTT_OPTS_INIT;
	o.levels = 2;
	assert_int_equal(shadow_ppgtt_get(e.v, &o, &r), -EINVAL);
	env_down(&e);
}

static void test_invalid_root_pointer_is_scratch(void **state)
{
	struct env e;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	struct shadow_ppgtt *r = root4(&e, 64 * MiB / 4096 + 7); /* outside guest memory */
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	expect_scratch(&e, r, 0);
	assert_int_equal(stats(&e).shadow_pages, 0);
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_scan_mem_reads_guest_bytes_through_the_shadow(void **state)
{
	struct env e;
	struct shadow_scan_view view;
	struct scan_mem mem;
	size_t len = 0;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	build_4k(&e, 2);
	uint32_t batch[2] = { 0x05000000, 0x0a000000 };
	assert_int_equal(shadow_guest_write(e.v, ((DATA + 1) << 12) + 0x40, batch, sizeof(batch)), 0);
	struct shadow_ppgtt *r = root4(&e, PML4);
	assert_int_equal(shadow_ppgtt_pin(r), 0);
	shadow_scan_mem_init(&view, &mem, e.v, r);
	const uint32_t *p = mem.map(mem.ctx, SCAN_AS_PPGTT, 4096 + 0x40, &len);
	assert_non_null(p);
	assert_int_equal(len, 4096 - 0x40);
	assert_int_equal(p[0], batch[0]);
	assert_int_equal(p[1], batch[1]);
	assert_null(mem.map(mem.ctx, SCAN_AS_PPGTT, 3 * 4096, &len));
	assert_null(mem.map(mem.ctx, SCAN_AS_GGTT, 0, &len)); /* host reserve, not the vGPU's */
	shadow_scan_mem_init(&view, &mem, e.v, NULL);
	assert_null(mem.map(mem.ctx, SCAN_AS_PPGTT, 4096, &len));
	shadow_ppgtt_put(r);
	env_down(&e);
}

static void test_gmem_pins_are_counted_and_bad_unpins_reported(void **state)
{
	struct env e;
	uint64_t hpa, buf = 0x1122334455667788ull, got = 0;
	(void)state;
	env_up(&e, 64 * MiB, false, 0);
	assert_int_equal(shadow_gmem_hpa(e.v, 5, &hpa), -ENOENT);
	assert_int_equal(shadow_guest_read(e.v, 5 << 12, &got, 8), 0);
	assert_int_equal(got, 0); /* never written: zero, and not backed */
	assert_int_equal(stats(&e).guest_frames, 0);
	assert_int_equal(shadow_gmem_pin(e.v, 5, &hpa), 0);
	assert_int_equal(stats(&e).pinned_frames, 1);
	assert_int_equal(shadow_gmem_discard(e.v, 5), -EBUSY);
	assert_int_equal(shadow_guest_write(e.v, (5 << 12) + 4092, &buf, 8), 0); /* crosses a page */
	assert_int_equal(shadow_guest_read(e.v, (5 << 12) + 4092, &got, 8), 0);
	assert_int_equal(got, buf);
	assert_int_equal(shadow_gmem_unpin(e.v, 5), 0);
	assert_int_equal(shadow_gmem_unpin(e.v, 5), -EINVAL);
	assert_int_equal(stats(&e).bad_unpins, 1);
	assert_int_equal(shadow_gmem_pin(e.v, 64 * MiB / 4096, &hpa), -EFAULT);
	assert_int_equal(shadow_guest_write(e.v, 64 * MiB - 4, &buf, 8), -EFAULT);
	assert_int_equal(shadow_guest_read(e.v, UINT64_MAX - 2, &got, 8), -EFAULT);
	char err[256];
	assert_int_equal(shadow_vgpu_check(e.v, err, sizeof(err)), -EUCLEAN); /* reports the bad unpin */
	shadow_free(e.sh);
	shadow_host_default_free(e.host);
}

static void test_huge_backing_needs_host_support(void **state)
{
	struct shadow_host_ops ops = shadow_host_default_ops;
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow *sh;
	struct shadow_vgpu *v;
	char err[256] = "";
	(void)state;
	struct shadow_host *h = shadow_host_default_new(0);
	ops.alloc_huge = NULL;
	ops.free_huge = NULL;
	o.host = &ops;
	o.host_ctx = h;
	assert_int_equal(shadow_new(&o, &sh), 0);
	vo.huge_backing = true;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	assert_int_equal(shadow_vgpu_new(sh, &vo, &v), -EOPNOTSUPP);
	assert_non_null(strstr(err, "huge"));
	shadow_free(sh);
	shadow_host_default_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pte_helpers_match_gen8_layout),
		cmocka_unit_test(test_4k_mapping_shadows_to_host_pages_in_gen8_format),
		cmocka_unit_test(test_guest_page_tables_are_write_protected),
		cmocka_unit_test(test_trapped_write_remaps_and_releases_old_frame_once),
		cmocka_unit_test(test_flag_only_change_is_revalidated_in_full),
		cmocka_unit_test(test_frame_outside_guest_memory_points_at_scratch),
		cmocka_unit_test(test_torn_write_parks_entry_on_scratch_until_completed),
		cmocka_unit_test(test_torn_write_is_applied_by_flush),
		cmocka_unit_test(test_bad_trapped_write_sizes_are_refused),
		cmocka_unit_test(test_64k_entries_split_into_16_shadow_ptes),
		cmocka_unit_test(test_ips_ignored_when_disabled),
		cmocka_unit_test(test_2m_page_splits_into_512_entry_shadow_pt),
		cmocka_unit_test(test_2m_page_on_huge_backing_is_shadowed_as_2m),
		cmocka_unit_test(test_2m_page_with_reserved_bits_is_invalid),
		cmocka_unit_test(test_1g_page_is_refused),
		cmocka_unit_test(test_3level_root_uses_four_pdps),
		cmocka_unit_test(test_shadow_tables_are_shared_by_guest_frame),
		cmocka_unit_test(test_same_root_pointers_return_the_same_root),
		cmocka_unit_test(test_self_referencing_tables_terminate),
		cmocka_unit_test(test_teardown_frees_every_page_exactly_once),
		cmocka_unit_test(test_cap_exhaustion_reclaims_unpinned_roots_lru),
		cmocka_unit_test(test_entry_that_cannot_be_built_stays_pending_until_flush),
		cmocka_unit_test(test_translate_rejects_addresses_outside_the_space),
		cmocka_unit_test(test_invalid_root_pointer_is_scratch),
		cmocka_unit_test(test_scan_mem_reads_guest_bytes_through_the_shadow),
		cmocka_unit_test(test_gmem_pins_are_counted_and_bad_unpins_reported),
		cmocka_unit_test(test_huge_backing_needs_host_support),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
