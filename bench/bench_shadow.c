/* SPDX-License-Identifier: MIT */
/*
 * Shadow engine benchmarks, each printed as a ratio against a baseline
 * measured in the same run:
 *   1. GGTT trapped PTE writes/s (shadow engine and mediator entry points,
 *      one trap per write and coalesced batches) vs plain 8-byte stores
 *      into a table
 *   2. shadowing a 4-level PPGTT that maps 1 GiB (4 KiB pages; 2 MiB pages
 *      split and huge-backed) vs copying the guest's page-table pages
 *   3. random trapped page-table writes/s vs plain stores into those pages
 * Host memory is a flat arena (as the GPU model keeps it), so malloc is not
 * what is measured.  BENCH_SHADOW_QUICK=1 runs a smaller pass;
 * BENCH_SHADOW_ONLY=ggtt|ppgtt|random runs one part.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mediator/mediator.h"
#include "shadow/shadow.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define P SHADOW_PTE_PRESENT
#define RW SHADOW_PTE_RW

/* ------------------------------------------------------------ flat host */

#define ARENA_BASE (1ull << 32)

struct arena {
	char *mem;
	uint64_t pages, next, huge_next, huge_end;
	uint64_t *freel;
	uint64_t nfree;
};

static int ar_alloc(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	struct arena *a = ctx;
	(void)owner;
	(void)kind;
	if (a->nfree) {
		*hpa = a->freel[--a->nfree];
		return 0;
	}
	if (a->next >= a->huge_next)
		return -ENOMEM;
	*hpa = ARENA_BASE + a->next++ * 4096;
	return 0;
}

static void ar_free(void *ctx, uint64_t hpa)
{
	struct arena *a = ctx;
	a->freel[a->nfree++] = hpa;
}

static void *ar_ptr(void *ctx, uint64_t hpa)
{
	struct arena *a = ctx;
	if (hpa < ARENA_BASE || hpa - ARENA_BASE >= a->pages * 4096)
		return NULL;
	return a->mem + (hpa - ARENA_BASE);
}

/* 2 MiB pages come from the top of the arena (never reused here) */
static int ar_alloc_huge(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	struct arena *a = ctx;
	(void)owner;
	(void)kind;
	if (a->huge_end - a->huge_next < 512 * 2 || a->huge_end - 512 < a->next)
		return -ENOMEM;
	a->huge_end -= 512;
	*hpa = ARENA_BASE + a->huge_end * 4096;
	return 0;
}

static void ar_free_huge(void *ctx, uint64_t hpa)
{
	(void)ctx;
	(void)hpa;
}

static const struct shadow_host_ops arena_ops = {
	.sz = sizeof(struct shadow_host_ops),
	.alloc_page = ar_alloc,
	.free_page = ar_free,
	.ptr = ar_ptr,
	.alloc_huge = ar_alloc_huge,
	.free_huge = ar_free_huge,
};

static void arena_init(struct arena *a, uint64_t bytes)
{
	memset(a, 0, sizeof(*a));
	a->pages = bytes / 4096;
	a->mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (a->mem == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	a->freel = malloc(a->pages * sizeof(*a->freel));
	/* 4 KiB pages bottom up, 2 MiB pages top down (2 MiB aligned) */
	a->huge_end = a->pages & ~511ull;
	a->huge_next = a->pages / 2;
}

static void arena_fini(struct arena *a)
{
	munmap(a->mem, a->pages * 4096);
	free(a->freel);
}

/* ------------------------------------------------------------------ misc */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_shadow: %s failed: %d (%s)\n", what, rc, strerror(-rc));
	exit(1);
}

static void setup(struct arena *a, uint64_t arena_bytes, uint64_t mem, bool huge, struct shadow **sh,
		  struct shadow_vgpu **v, enum shadow_vgpu_type type)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	char err[256] = "";
	int rc;

	arena_init(a, arena_bytes);
	o.host = &arena_ops;
	o.host_ctx = a;
	if ((rc = shadow_new(&o, sh)))
		die("shadow_new", rc);
	vo.type = type;
	vo.mem_size = mem;
	vo.huge_backing = huge;
	vo.max_shadow_pages = 65536;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	if ((rc = shadow_vgpu_new(*sh, &vo, v))) {
		fprintf(stderr, "bench_shadow: %s\n", err);
		die("shadow_vgpu_new", rc);
	}
}

static void wr(struct shadow_vgpu *v, uint64_t gpa, uint64_t val)
{
	int rc = shadow_guest_write(v, gpa, &val, 8);
	if (rc)
		die("guest write", rc);
}

/* --------------------------------------------------- 1. GGTT trapped writes */

static volatile uint64_t sink;

/*
 * Every way a trapped GGTT write can arrive, each remapping all 655,360
 * window entries of a type-1 vGPU in turn (a new frame per entry per pass):
 * the shadow engine's entry points and the mediator's (which also mirrors
 * each host entry into the GPU model and counts), one trap per write and
 * coalesced batches of 64 and 512 writes.  Filling the batch (the
 * hypervisor's ring) is timed too.  The baseline stores the same values at
 * the same indices into a plain table.
 */
enum { G_PLAIN, G_SH1, G_SH64, G_SH512, G_MED1, G_MED64, G_MED512, G_MED1_OTHER, G_MED1_SUB,
       G_NR };
static const char *const g_name[G_NR] = {
	[G_PLAIN] = "plain 8-byte store",
	[G_SH1] = "shadow_ggtt_write, one trap per write",
	[G_SH64] = "shadow_ggtt_write_batch, batches of 64",
	[G_SH512] = "shadow_ggtt_write_batch, batches of 512",
	[G_MED1] = "med_mmio_write, one trap per write",
	[G_MED64] = "med_ggtt_write_batch, batches of 64",
	[G_MED512] = "med_ggtt_write_batch, batches of 512",
	/* the event bus: a subscriber to another type must cost nothing; one
	 * to GGTT writes pays for building and delivering each event */
	[G_MED1_OTHER] = "med_mmio_write, a clock subscriber",
	[G_MED1_SUB] = "med_mmio_write, a ggtt-write subscriber",
};

static void count_event(void *ctx, const struct med_event *ev)
{
	(void)ev;
	++*(uint64_t *)ctx;
}

struct gbench {
	struct shadow_vgpu *v;
	struct med_vgpu *mv;
	uint32_t n;             /* window entries */
	uint32_t *off;          /* their table offsets */
	uint64_t nframes;
	uint64_t *table;        /* the baseline's */
	struct shadow_ggtt_write sb[512];
	struct med_ggtt_write mb[512];
};

/* The entry written at index i in pass p: frames in turn (nframes is a
 * power of two, so the baseline costs a mask, not a division). */
static inline uint64_t gval(uint64_t i, unsigned p, uint64_t nframes)
{
	return (((i + p * 7919ull) & (nframes - 1)) << 12) | P;
}

static void gpass(struct gbench *g, int how, unsigned p)
{
	/* locals: through g the compiler would reload g's fields after every
	 * store (no strict aliasing), which would slow every loop down */
	uint32_t n = g->n, bs = how == G_SH64 || how == G_MED64 ? 64 : 512;
	uint64_t *table = g->table, nframes = g->nframes;
	const uint32_t *off = g->off;
	struct shadow_vgpu *v = g->v;
	struct med_vgpu *mv = g->mv;
	struct shadow_ggtt_write *sb = g->sb;
	struct med_ggtt_write *mb = g->mb;
	int rc = 0;

	switch (how) {
	case G_PLAIN: {
		for (uint32_t i = 0; i < n; i++)
			__atomic_store_n(&table[off[i] >> 3], gval(i, p, nframes), __ATOMIC_RELAXED);
		sink = table[off[n / 2] >> 3];
		return;
	}
	case G_SH1:
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = shadow_ggtt_write(v, off[i], gval(i, p, nframes), 8);
		break;
	case G_MED1:
	case G_MED1_OTHER:
	case G_MED1_SUB:
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = med_mmio_write(mv, MED_GGTT_OFFSET + off[i], 8, gval(i, p, nframes));
		break;
	case G_SH64:
	case G_SH512:
		for (uint32_t i = 0; i < n && !rc; i += bs) {
			uint32_t m = n - i < bs ? n - i : bs;
			for (uint32_t j = 0; j < m; j++)
				sb[j] = (struct shadow_ggtt_write){ .offset = off[i + j], .bytes = 8,
								    .value = gval(i + j, p, nframes) };
			rc = shadow_ggtt_write_batch(v, sb, m, NULL);
		}
		break;
	default:
		for (uint32_t i = 0; i < n && !rc; i += bs) {
			uint32_t m = n - i < bs ? n - i : bs;
			for (uint32_t j = 0; j < m; j++)
				mb[j] = (struct med_ggtt_write){ .offset = MED_GGTT_OFFSET + off[i + j],
								 .bytes = 8, .value = gval(i + j, p, nframes) };
			rc = med_ggtt_write_batch(mv, mb, m);
		}
		break;
	}
	if (rc)
		die(g_name[how], rc);
}

static void bench_ggtt(bool quick)
{
	struct arena a;
	struct shadow *sh;
	struct gbench *g = calloc(1, sizeof(*g));
	struct shadow_windows w;
	uint64_t mem = 256 * MiB;
	int rc;

	/* the shadow engine on a flat arena, and a mediator (its own GPU model
	 * and shadow engine) with a vGPU of the same type: same windows */
	setup(&a, 1 * GiB, mem, false, &sh, &g->v, SHADOW_VGPU_TYPE_1);
	struct med_opts mo = { .sz = sizeof(mo), .dispatch = MED_DISPATCH_MANUAL };
	struct med_vgpu_opts mvo = { .sz = sizeof(mvo), .type = MED_VGPU_TYPE_1, .mem_size = mem };
	struct med *m;
	if ((rc = med_new(&mo, &m)) || (rc = med_vgpu_create(m, &mvo, &g->mv)))
		die("mediator", rc);
	shadow_vgpu_windows(g->v, &w);
	struct med_vgpu_info mi = { .sz = sizeof(mi) };
	med_vgpu_info(g->mv, &mi);
	if (mi.aperture_base != w.aperture_base || mi.hidden_base != w.hidden_base)
		die("mediator vGPU windows", -EINVAL);
	g->nframes = mem >> 12;
	g->n = (uint32_t)((w.aperture_size + w.hidden_size) >> 12);
	g->off = malloc(g->n * sizeof(*g->off));
	g->table = calloc(SHADOW_GGTT_ENTRIES, 8);
	for (uint32_t i = 0; i < g->n; i++) {
		uint64_t gma = i < (w.aperture_size >> 12) ? w.aperture_base + ((uint64_t)i << 12)
							   : w.hidden_base + ((uint64_t)(i - (w.aperture_size >> 12)) << 12);
		g->off[i] = (uint32_t)((gma >> 12) * 8);
	}
	/* warm: every frame backed, every entry mapped once, in both */
	gpass(g, G_SH512, 0);
	gpass(g, G_MED512, 0);

	unsigned passes = quick ? 2 : 8, reps = quick ? 3 : 5, p = 1;
	double best[G_NR];
	for (int k = 0; k < G_NR; k++)
		best[k] = 1e9;
	for (unsigned rep = 0; rep < reps; rep++) {
		for (int k = 0; k < G_NR; k++) {
			struct med_sub *s = NULL;
			uint64_t seen = 0;
			if (k == G_MED1_OTHER || k == G_MED1_SUB) {
				uint64_t mask = MED_EV_BIT(k == G_MED1_SUB ? MED_EV_GGTT_WRITE : MED_EV_CLOCK);
				if ((rc = med_subscribe(m, mask, count_event, &seen, &s)))
					die("med_subscribe", rc);
			}
			double t0 = now();
			for (unsigned q = 0; q < passes; q++)
				gpass(g, k, p++);
			double t = now() - t0;
			if (s)
				med_unsubscribe(m, s);
			if (k == G_MED1_SUB && seen != (uint64_t)g->n * passes)
				die("ggtt-write events delivered", -EUCLEAN);
			if (t < best[k])
				best[k] = t;
		}
	}
	double ops = (double)g->n * passes;
	printf("ggtt trapped PTE writes (8-byte, type-1 vGPU, %u window entries remapped in turn), "
	       "target <= 10x the plain store:\n", g->n);
	for (int k = 0; k < G_NR; k++)
		printf("  %-42s %7.1f M writes/s  %6.2f ns each  ratio %5.1fx\n", g_name[k],
		       ops / best[k] / 1e6, best[k] / ops * 1e9, best[k] / best[G_PLAIN]);
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(g->v, &st);
	struct shadow_vgpu_stats mst = { .sz = sizeof(mst) };
	shadow_vgpu_stats(med_vgpu_shadow(g->mv), &mst);
	if (st.scratch_hits || st.bad_unpins || mst.scratch_hits || mst.bad_unpins ||
	    st.pinned_frames != g->nframes || mst.pinned_frames != g->nframes)
		die("ggtt bench consistency", -EUCLEAN);
	free(g->table);
	free(g->off);
	free(g);
	med_free(m);
	shadow_free(sh);
	arena_fini(&a);
}

/* ---------------------------------------------- 2. shadowing a 1 GiB PPGTT */

#define PML4_GFN 0x10
#define PDP_GFN  0x11
#define PD_GFN   0x12
#define PT_GFN0  0x100     /* 512 PTs */
#define DATA_GFN 0x1000    /* 1 GiB of data frames from 16 MiB */

static void build_guest(struct shadow_vgpu *v, bool two_mb)
{
	wr(v, PML4_GFN << 12, (PDP_GFN << 12) | P | RW);
	wr(v, PDP_GFN << 12, (PD_GFN << 12) | P | RW);
	for (uint64_t d = 0; d < 512; d++) {
		if (two_mb) {
			wr(v, (PD_GFN << 12) + d * 8, ((DATA_GFN + d * 512) << 12) | P | RW | SHADOW_PDE_PS);
			continue;
		}
		wr(v, (PD_GFN << 12) + d * 8, ((PT_GFN0 + d) << 12) | P | RW);
		uint64_t pt[512];
		for (uint64_t i = 0; i < 512; i++)
			pt[i] = ((DATA_GFN + d * 512 + i) << 12) | P | RW;
		int rc = shadow_guest_write(v, (PT_GFN0 + d) << 12, pt, sizeof(pt));
		if (rc)
			die("guest PT write", rc);
	}
}

/* Host addresses of the guest's table pages (what a copy would read). */
static unsigned table_pages(struct shadow_vgpu *v, bool two_mb, uint64_t *hpas)
{
	unsigned k = 0;

	hpas[k++] = PML4_GFN;
	hpas[k++] = PDP_GFN;
	hpas[k++] = PD_GFN;
	for (uint64_t d = 0; !two_mb && d < 512; d++)
		hpas[k++] = PT_GFN0 + d;
	for (unsigned i = 0; i < k; i++)
		if (shadow_gmem_hpa(v, hpas[i], &hpas[i]))
			die("gmem_hpa", -ENOENT);
	return k;
}

static void bench_ppgtt_shadow(const char *name, bool two_mb, bool huge, bool quick)
{
	struct arena a;
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_ppgtt_opts ro = SHADOW_PPGTT_OPTS_INIT;
	struct shadow_ppgtt *r;
	int rc;

	setup(&a, 3 * GiB, GiB + 16 * MiB, huge, &sh, &v, SHADOW_VGPU_TYPE_8);
	build_guest(v, two_mb);
	/* back every data frame now: shadowing then measures shadowing */
	for (uint64_t g = 0; g < GiB >> 12; g += huge ? 512 : 1) {
		uint64_t hpa;
		if ((rc = shadow_gmem_pin(v, DATA_GFN + g, &hpa)) || (rc = shadow_gmem_unpin(v, DATA_GFN + g)))
			die("gmem back", rc);
	}
	const void *pages[515];
	uint64_t hpas[515];
	unsigned np = table_pages(v, two_mb, hpas);
	for (unsigned i = 0; i < np; i++)
		pages[i] = a.mem + (hpas[i] - ARENA_BASE);
	char *copy = malloc(np * 4096ull);

	ro.levels = 4;
	ro.pdp[0] = PML4_GFN << 12;
	unsigned reps = quick ? 3 : 7;
	double best_s = 1e9, best_d = 1e9, best_c = 1e9;
	for (unsigned rep = 0; rep < reps; rep++) {
		double t0 = now();
		if ((rc = shadow_ppgtt_get(v, &ro, &r)) || (rc = shadow_ppgtt_pin(r)))
			die("ppgtt pin", rc);
		double t1 = now();
		if (rep == 0) { /* spot-check the result */
			struct shadow_xlate x;
			if ((rc = shadow_ppgtt_translate(r, GiB - 4096 + 5, &x)) ||
			    x.gpa != ((DATA_GFN << 12) + GiB - 4096 + 5))
				die("ppgtt translate", rc ? rc : -EUCLEAN);
		}
		shadow_ppgtt_unpin(r);
		shadow_ppgtt_put(r);
		double t2 = now();
		for (unsigned i = 0; i < np; i++)
			memcpy(copy + i * 4096ull, pages[i], 4096);
		double t3 = now();
		sink = (uint64_t)copy[4096 * (np - 1) + 8];
		if (t1 - t0 < best_s)
			best_s = t1 - t0;
		if (t2 - t1 < best_d)
			best_d = t2 - t1;
		if (t3 - t2 < best_c)
			best_c = t3 - t2;
	}
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(v, &st);
	printf("shadow 1 GiB, %s: %.2f ms (teardown %.2f ms, %llu shadow tables), copying the "
	       "guest's %u table pages %.3f ms: ratio %.0fx%s\n",
	       name, best_s * 1e3, best_d * 1e3,
	       (unsigned long long)(st.spt_allocs / reps), np, best_c * 1e3, best_s / best_c,
	       !two_mb ? " (target < 20 ms)" : "");
	free(copy);
	shadow_free(sh);
	arena_fini(&a);
}

/* ----------------------------------------- 3. random page-table writes */

static void bench_random_writes(bool quick)
{
	struct arena a;
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_ppgtt_opts ro = SHADOW_PPGTT_OPTS_INIT;
	struct shadow_ppgtt *r;
	int rc;

	setup(&a, 3 * GiB, GiB + 16 * MiB, false, &sh, &v, SHADOW_VGPU_TYPE_8);
	build_guest(v, false);
	ro.levels = 4;
	ro.pdp[0] = PML4_GFN << 12;
	if ((rc = shadow_ppgtt_get(v, &ro, &r)) || (rc = shadow_ppgtt_pin(r)))
		die("ppgtt pin", rc);
	uint64_t n = quick ? 500000 : 4000000, seed = 12345;
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = xs(&seed);
		uint64_t pte = x % (512 * 512), frame = DATA_GFN + (x >> 20) % (512 * 512);
		rc = shadow_ppgtt_write(v, ((PT_GFN0 + pte / 512) << 12) + (pte % 512) * 8,
					(frame << 12) | P | RW, 8);
		if (rc)
			die("ppgtt write", rc);
	}
	double t1 = now();
	/* baseline: the same stores straight into the guest's PT pages */
	uint64_t hpa;
	if ((rc = shadow_gmem_hpa(v, PT_GFN0, &hpa)))
		die("gmem_hpa", rc);
	uint64_t *pts[512];
	for (unsigned d = 0; d < 512; d++) {
		if ((rc = shadow_gmem_hpa(v, PT_GFN0 + d, &hpa)))
			die("gmem_hpa", rc);
		pts[d] = (uint64_t *)(a.mem + (hpa - ARENA_BASE));
	}
	seed = 12345;
	double t2 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = xs(&seed);
		uint64_t pte = x % (512 * 512), frame = DATA_GFN + (x >> 20) % (512 * 512);
		__atomic_store_n(&pts[pte / 512][pte % 512], (frame << 12) | P | RW, __ATOMIC_RELAXED);
	}
	double t3 = now();
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(v, &st);
	printf("random trapped PT writes (1 GiB shadowed): %.2f M writes/s (%.0f ns each), plain "
	       "stores %.1f M/s: ratio %.0fx; %llu frames pinned\n",
	       n / (t1 - t0) / 1e6, (t1 - t0) / n * 1e9, n / (t3 - t2) / 1e6, (t1 - t0) / (t3 - t2),
	       (unsigned long long)st.pinned_frames);
	shadow_ppgtt_unpin(r);
	shadow_ppgtt_put(r);
	shadow_free(sh);
	arena_fini(&a);
}

int main(void)
{
	const char *q = getenv("BENCH_SHADOW_QUICK");
	bool quick = q && *q && *q != '0';

	const char *only = getenv("BENCH_SHADOW_ONLY"); /* ggtt, ppgtt or random */
#define RUN(name) (!only || !*only || !strcmp(only, name))

	printf("bench_shadow (%s)\n", quick ? "quick" : "full");
	if (RUN("ggtt"))
		bench_ggtt(quick);
	if (RUN("ppgtt")) {
		bench_ppgtt_shadow("4 KiB pages", false, false, quick);
		bench_ppgtt_shadow("2 MiB pages, split", true, false, quick);
		bench_ppgtt_shadow("2 MiB pages, huge-backed", true, true, quick);
	}
	if (RUN("random"))
		bench_random_writes(quick);
	return 0;
}
