/* SPDX-License-Identifier: MIT */
/* GPU model: host memory, GGTT, PPGTT walking, generic length rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "tests/support/skip.h"

#define GPU_HPA_TOP (1ull << 46) /* frames are bits 45:12 */

static int setup(void **state)
{
	struct gpu *g;
	if (gpu_create(NULL, &g))
		return -1;
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	gpu_destroy(*state);
	return 0;
}

/* ------------------------------------------------------------ memory */

static void test_mem_pages_are_sparse_zeroed_and_distinct(void **state)
{
	struct gpu *g = *state;
	uint64_t a, b;
	assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
	assert_int_equal(gpu_mem_alloc_page(g, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(a & GPU_PAGE_MASK, 0);
	assert_int_equal(gpu_mem_pages(g), 2);
	uint8_t *p = gpu_mem_ptr(g, a);
	assert_non_null(p);
	for (unsigned i = 0; i < GPU_PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	/* Far-away addresses are simply absent. */
	assert_null(gpu_mem_ptr(g, a + (1ull << 40)));
	assert_ptr_equal(gpu_mem_ptr(g, a + 100), p + 100);
}

static void test_mem_read_write_round_trip_across_pages(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_mem_map_page(g, 0x100000, GPU_OWNER_HOST), 0);
	assert_int_equal(gpu_mem_map_page(g, 0x101000, GPU_OWNER_HOST), 0);
	char in[64], out[64];
	for (int i = 0; i < 64; i++)
		in[i] = (char)(i * 7);
	assert_int_equal(gpu_mem_write(g, 0x100fe0, in, sizeof(in)), 0);
	assert_int_equal(gpu_mem_read(g, 0x100fe0, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(((uint8_t *)gpu_mem_ptr(g, 0x101000))[0], (uint8_t)in[32]);
}

static void test_mem_access_spanning_a_missing_page_copies_nothing(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_mem_map_page(g, 0x200000, GPU_OWNER_HOST), 0);
	uint8_t in[32];
	memset(in, 0xab, sizeof(in));
	assert_int_equal(gpu_mem_write(g, 0x200ff0, in, sizeof(in)), -EFAULT);
	assert_int_equal(((uint8_t *)gpu_mem_ptr(g, 0x200ff0))[0], 0);
}

static void test_mem_map_page_rejects_duplicates_and_misalignment(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_mem_map_page(g, 0x300000, 3), 0);
	assert_int_equal(gpu_mem_map_page(g, 0x300000, 3), -EEXIST);
	assert_int_equal(gpu_mem_map_page(g, 0x300010, 3), -EINVAL);
	assert_int_equal(gpu_mem_map_page(g, 1ull << 46, 3), -EINVAL);
}

static void test_mem_owner_tag_set_and_get(void **state)
{
	struct gpu *g = *state;
	uint64_t a, b;
	gpu_owner_t o;
	assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
	assert_int_equal(gpu_mem_alloc_owned(g, 5, &b), 0);
	assert_int_equal(gpu_mem_get_owner(g, a, &o), 0);
	assert_int_equal(o, GPU_OWNER_HOST);
	assert_int_equal(gpu_mem_get_owner(g, b + 8, &o), 0);
	assert_int_equal(o, 5);
	assert_int_equal(gpu_mem_set_owner(g, a, 7), 0);
	assert_int_equal(gpu_mem_get_owner(g, a, &o), 0);
	assert_int_equal(o, 7);
	assert_int_equal(gpu_mem_set_owner(g, a + (1ull << 40), 7), -ENOENT);
}

static void test_mem_free_removes_page_and_keeps_others(void **state)
{
	struct gpu *g = *state;
	enum { N = 3000 };
	uint64_t *h = calloc(N, sizeof(*h));
	assert_non_null(h);
	for (int i = 0; i < N; i++) {
		assert_int_equal(gpu_mem_alloc_page(g, &h[i]), 0);
		*(uint32_t *)gpu_mem_ptr(g, h[i]) = (uint32_t)i;
	}
	for (int i = 0; i < N; i += 2)
		assert_int_equal(gpu_mem_free_page(g, h[i]), 0);
	assert_int_equal(gpu_mem_free_page(g, h[0]), -ENOENT);
	assert_int_equal(gpu_mem_pages(g), N / 2);
	for (int i = 0; i < N; i++) {
		uint32_t *p = gpu_mem_ptr(g, h[i]);
		if (i % 2 == 0) {
			assert_null(p);
		} else {
			assert_non_null(p);
			assert_int_equal(*p, (uint32_t)i);
		}
	}
	free(h);
}

/* Frames at the edges of the direct map's leaves (256 MiB of host-physical
 * space each) and at the top of the 46-bit space are separate pages. */
static void test_mem_pages_at_leaf_edges_and_the_top_of_the_space(void **state)
{
	struct gpu *g = *state;
	const uint64_t leaf = 256ull << 20;
	const uint64_t at[] = { 7 * leaf - GPU_PAGE_SIZE, 7 * leaf, GPU_HPA_TOP - GPU_PAGE_SIZE };
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(gpu_mem_map_page(g, at[i], (gpu_owner_t)(i + 1)), 0);
		*(uint32_t *)gpu_mem_ptr(g, at[i]) = 0xa0 + i;
	}
	for (unsigned i = 0; i < 3; i++) {
		gpu_owner_t o = 0;
		assert_int_equal(*(uint32_t *)gpu_mem_ptr(g, at[i]), 0xa0 + i);
		assert_int_equal(gpu_mem_get_owner(g, at[i], &o), 0);
		assert_int_equal(o, i + 1);
	}
	assert_null(gpu_mem_ptr(g, 7 * leaf + GPU_PAGE_SIZE));
	assert_int_equal(gpu_mem_map_page(g, GPU_HPA_TOP, 1), -EINVAL);
	assert_null(gpu_mem_ptr(g, GPU_HPA_TOP));
	assert_null(gpu_mem_ptr(g, UINT64_MAX & ~(uint64_t)GPU_PAGE_MASK));
	assert_int_equal(gpu_mem_free_page(g, 7 * leaf), 0);
	assert_null(gpu_mem_ptr(g, 7 * leaf));
	assert_non_null(gpu_mem_ptr(g, 7 * leaf - GPU_PAGE_SIZE));
	assert_int_equal(gpu_mem_pages(g), 2);
}

/* Engines look pages up without a lock while the host allocates and frees
 * others, new leaves included (meant for ThreadSanitizer too). */
struct mem_race {
	struct gpu *g;
	uint64_t page;
	int stop;
	unsigned long bad;
};

static void *mem_reader(void *arg)
{
	struct mem_race *r = arg;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		gpu_owner_t o = 0;
		const uint32_t *p = gpu_mem_ptr(r->g, r->page);
		if (!p || *p != 0x5eed || gpu_mem_get_owner(r->g, r->page, &o) || o != 3)
			r->bad++;
	}
	return NULL;
}

static void test_mem_lookups_run_beside_allocation(void **state)
{
	struct gpu *g = *state;
	struct mem_race r = { .g = g };
	pthread_t t;
	assert_int_equal(gpu_mem_alloc_owned(g, 3, &r.page), 0);
	*(uint32_t *)gpu_mem_ptr(g, r.page) = 0x5eed;
	assert_int_equal(pthread_create(&t, NULL, mem_reader, &r), 0);
	for (uint64_t i = 0; i < 64; i++) {
		uint64_t hpa = (i + 1) * (256ull << 20) + 0x1000; /* a new leaf each time */
		uint64_t a;
		assert_int_equal(gpu_mem_map_page(g, hpa, 1), 0);
		assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
		assert_int_equal(gpu_mem_free_page(g, hpa), 0);
		assert_int_equal(gpu_mem_free_page(g, a), 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(gpu_mem_pages(g), 1);
}

static void test_mem_huge_page_is_512_contiguous_aligned_pages(void **state)
{
	struct gpu *g = *state;
	uint64_t small, huge;
	gpu_owner_t o;
	assert_int_equal(gpu_mem_alloc_page(g, &small), 0);
	assert_int_equal(gpu_mem_alloc_huge(g, 3, &huge), 0);
	assert_int_equal(huge & ((2u << 20) - 1), 0);
	assert_int_equal(gpu_mem_pages(g), 513);
	for (unsigned i = 0; i < 512; i++) {
		assert_non_null(gpu_mem_ptr(g, huge + i * 4096ull));
		assert_int_equal(gpu_mem_get_owner(g, huge + i * 4096ull, &o), 0);
		assert_int_equal(o, 3);
	}
	/* The 2 MiB range is contiguous: a write across a page edge lands. */
	uint32_t v = 0x12345678, r = 0;
	assert_int_equal(gpu_mem_write(g, huge + 4094, &v, 4), 0);
	assert_int_equal(gpu_mem_read(g, huge + 4094, &r, 4), 0);
	assert_int_equal(r, v);
	assert_int_equal(gpu_mem_free_huge(g, huge + 4096), -EINVAL);
	assert_int_equal(gpu_mem_free_huge(g, huge), 0);
	assert_int_equal(gpu_mem_pages(g), 1);
	assert_int_equal(gpu_mem_free_huge(g, huge), -ENOENT);
}

static void test_mem_max_pages_limit_gives_enomem(void **state)
{
	(void)state;
	struct gpu_opts o = {.sz = sizeof(o), .max_pages = 2};
	struct gpu *g;
	uint64_t a;
	assert_int_equal(gpu_create(&o, &g), 0);
	assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
	assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
	assert_int_equal(gpu_mem_alloc_page(g, &a), -ENOMEM);
	assert_int_equal(gpu_mem_free_page(g, a), 0);
	assert_int_equal(gpu_mem_alloc_page(g, &a), 0);
	gpu_destroy(g);
}

static void test_create_rejects_unknown_nonzero_option_tail(void **state)
{
	(void)state;
	struct {
		struct gpu_opts o;
		uint64_t future;
	} big = {.o = {.sz = sizeof(big)}, .future = 1};
	struct gpu *g = NULL;
	assert_int_equal(gpu_create(&big.o, &g), -E2BIG);
	big.future = 0;
	assert_int_equal(gpu_create(&big.o, &g), 0);
	gpu_destroy(g);
	struct gpu_opts bad = {.sz = sizeof(bad), .gen = 7};
	assert_int_equal(gpu_create(&bad, &g), -EINVAL);
}

/* -------------------------------------------------------------- GGTT */

static void test_ggtt_translates_present_entries_only(void **state)
{
	struct gpu *g = *state;
	uint64_t hpa, out, pte;
	assert_int_equal(gpu_mem_alloc_page(g, &hpa), 0);
	assert_int_equal(gpu_ggtt_set(g, 0x12345000, hpa | GPU_PTE_PRESENT), 0);
	assert_int_equal(gpu_ggtt_translate(g, 0x12345abc, &out), 0);
	assert_int_equal(out, hpa + 0xabc);
	assert_int_equal(gpu_ggtt_get(g, 0x12345fff, &pte), 0);
	assert_int_equal(pte, hpa | GPU_PTE_PRESENT);
	assert_int_equal(gpu_ggtt_translate(g, 0x12346000, &out), -EFAULT);
	assert_int_equal(gpu_ggtt_set(g, 0x12345000, hpa), 0); /* present cleared */
	assert_int_equal(gpu_ggtt_translate(g, 0x12345000, &out), -EFAULT);
	assert_int_equal(gpu_ggtt_translate(g, GPU_GGTT_SIZE, &out), -ERANGE);
	assert_int_equal(gpu_ggtt_set(g, GPU_GGTT_SIZE + 0x1000, 1), -ERANGE);
}

static void test_ggtt_ignores_bits_outside_45_12(void **state)
{
	struct gpu *g = *state;
	uint64_t out;
	/* Bits 63:46 and 11:1 carry no address. */
	assert_int_equal(gpu_ggtt_set(g, 0x1000, 0xffc0000000042ffeull | GPU_PTE_PRESENT), 0);
	assert_int_equal(gpu_ggtt_translate(g, 0x1010, &out), 0);
	assert_int_equal(out, 0x42010);
}

/* ------------------------------------------------------------- PPGTT */

/* Writes entry idx of the table page at hpa. */
static void set_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t v)
{
	assert_int_equal(gpu_mem_write(g, table + idx * 8ull, &v, 8), 0);
}

static uint64_t page(struct gpu *g)
{
	uint64_t h;
	assert_int_equal(gpu_mem_alloc_page(g, &h), 0);
	return h;
}

#define P_RW (GPU_PTE_PRESENT | GPU_PTE_RW)

/* Builds PML4 -> PDPT -> PD for gma's indices; returns the PD. */
static uint64_t build_upper(struct gpu *g, struct gpu_ppgtt *root, uint64_t gma)
{
	uint64_t pml4 = page(g), pdpt = page(g), pd = page(g);
	set_entry(g, pml4, (gma >> 39) & 511, pdpt | P_RW);
	set_entry(g, pdpt, (gma >> 30) & 511, pd | P_RW);
	root->levels = 4;
	root->pdp[0] = pml4;
	return pd;
}

static void test_ppgtt_4level_4k_page(void **state)
{
	struct gpu *g = *state;
	struct gpu_ppgtt root = {0};
	uint64_t gma = 0x00007f1234567000ull & ((1ull << 48) - 1);
	uint64_t pd = build_upper(g, &root, gma), pt = page(g), leaf = page(g);
	set_entry(g, pd, (gma >> 21) & 511, pt | P_RW);
	set_entry(g, pt, (gma >> 12) & 511, leaf | P_RW);
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 0x123, true, &x), 0);
	assert_int_equal(x.hpa, leaf + 0x123);
	assert_int_equal(x.page_size, 4096);
	assert_true(x.writable);
	/* The neighbouring page is not mapped: a PTE-level fault. */
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 0x1000, false, &x), -EFAULT);
	assert_int_equal(x.fault_level, GPU_WALK_PTE);
}

static void test_ppgtt_64k_pages_through_ips(void **state)
{
	struct gpu *g = *state;
	struct gpu_ppgtt root = {0};
	uint64_t gma = 0x40000000; /* PD index 0 of PDPT entry 1 */
	uint64_t pd = build_upper(g, &root, gma), pt = page(g);
	uint64_t big = 0x5000000; /* a 64 KiB-aligned hpa: 16 pages */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(gpu_mem_map_page(g, big + i * 4096ull, GPU_OWNER_HOST), 0);
	set_entry(g, pd, 0, pt | P_RW | GPU_PDE_IPS);
	/* 64 KiB entry n lives at index 16n: map the second 64 KiB page. */
	set_entry(g, pt, 16, big | P_RW);
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 0x10000 + 0xabcd, false, &x), 0);
	assert_int_equal(x.hpa, big + 0xabcd);
	assert_int_equal(x.page_size, 64 * 1024);
	/* The first 64 KiB page (index 0) is not present; index 1 is never
	 * consulted even if it were. */
	set_entry(g, pt, 1, big | P_RW);
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 0x1000, false, &x), -EFAULT);
}

static void test_ppgtt_2m_page(void **state)
{
	struct gpu *g = *state;
	struct gpu_ppgtt root = {0};
	uint64_t gma = 0x100000000ull + (3ull << 21);
	uint64_t pd = build_upper(g, &root, gma);
	set_entry(g, pd, 3, 0x40000000ull | P_RW | GPU_PTE_PS);
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 0x12345, false, &x), 0);
	assert_int_equal(x.hpa, 0x40000000ull + 0x12345);
	assert_int_equal(x.page_size, 2u << 20);
}

static void test_ppgtt_1g_page(void **state)
{
	struct gpu *g = *state;
	uint64_t pml4 = page(g), pdpt = page(g);
	set_entry(g, pml4, 0, pdpt | P_RW);
	set_entry(g, pdpt, 2, (5ull << 30) | P_RW | GPU_PTE_PS);
	struct gpu_ppgtt root = {.levels = 4, .pdp = {pml4}};
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, (2ull << 30) + 0x3456789, false, &x), 0);
	assert_int_equal(x.hpa, (5ull << 30) + 0x3456789);
	assert_int_equal(x.page_size, 1ull << 30);
}

static void test_ppgtt_3level_uses_four_root_pointers(void **state)
{
	struct gpu *g = *state;
	uint64_t pd2 = page(g), pt = page(g), leaf = page(g);
	struct gpu_ppgtt root = {.levels = 3, .pdp = {0, 0, pd2, 0}};
	uint64_t gma = (2ull << 30) | (5ull << 21) | (9ull << 12);
	set_entry(g, pd2, 5, pt | P_RW);
	set_entry(g, pt, 9, leaf | P_RW);
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, gma + 4, false, &x), 0);
	assert_int_equal(x.hpa, leaf + 4);
	/* PDP 0 is null: not present. */
	assert_int_equal(gpu_ppgtt_translate(g, &root, 0x1000, false, &x), -EFAULT);
	assert_int_equal(x.fault_level, GPU_WALK_ROOT);
	/* A 3-level PPGTT reaches 4 GiB only. */
	assert_int_equal(gpu_ppgtt_translate(g, &root, (1ull << 32) + gma, false, &x), -EFAULT);
}

static void test_ppgtt_faults_report_the_missing_level(void **state)
{
	struct gpu *g = *state;
	uint64_t pml4 = page(g);
	struct gpu_ppgtt root = {.levels = 4, .pdp = {pml4}};
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, 0x1000, false, &x), -EFAULT);
	assert_int_equal(x.fault_level, GPU_WALK_PML4E);
	/* A present entry pointing at no host page is a fault, not a guess. */
	set_entry(g, pml4, 0, 0x7770000000ull | P_RW);
	assert_int_equal(gpu_ppgtt_translate(g, &root, 0x1000, false, &x), -EFAULT);
	assert_int_equal(x.fault_level, GPU_WALK_PDPE);
	assert_int_equal(gpu_ppgtt_translate(g, &root, 1ull << 48, false, &x), -EFAULT);
	struct gpu_ppgtt none = {0}, bad = {.levels = 2};
	assert_int_equal(gpu_ppgtt_translate(g, &none, 0, false, &x), -EFAULT);
	assert_int_equal(gpu_ppgtt_translate(g, &bad, 0, false, &x), -EINVAL);
}

static void test_ppgtt_write_through_read_only_entry_faults(void **state)
{
	struct gpu *g = *state;
	struct gpu_ppgtt root = {0};
	uint64_t pd = build_upper(g, &root, 0), pt = page(g), leaf = page(g);
	set_entry(g, pd, 0, pt | P_RW);
	set_entry(g, pt, 0, leaf | GPU_PTE_PRESENT); /* RW clear */
	struct gpu_xlate x;
	assert_int_equal(gpu_ppgtt_translate(g, &root, 0x10, false, &x), 0);
	assert_false(x.writable);
	assert_int_equal(gpu_ppgtt_translate(g, &root, 0x10, true, &x), -EFAULT);
	assert_int_equal(x.hpa, leaf + 0x10);
}

/* ------------------------------------------------------ length rules */

static void test_cmd_length_generic_rules(void **state)
{
	(void)state;
	uint32_t n;
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x00000000, &n), 0); /* MI_NOOP */
	assert_int_equal(n, 1);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x05000000, &n), 0); /* BB_END */
	assert_int_equal(n, 1);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x11000005, &n), 0); /* LRI, 3 pairs */
	assert_int_equal(n, 7);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_BCS, 0x10000000 | 0x3fe, &n), 0); /* SDI 10 bits */
	assert_int_equal(n, 0x400);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_BCS, 0x54f00008, &n), 0); /* XY_SRC_COPY_BLT */
	assert_int_equal(n, 10);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x71000105, &n), 0); /* MEDIA_OBJECT: 16 bits */
	assert_int_equal(n, 0x107);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_VCS, 0x71280004, &n), 0); /* MFD_AVC_BSD_OBJECT */
	assert_int_equal(n, 6);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x69040303, &n), 0); /* PIPELINE_SELECT */
	assert_int_equal(n, 1);
	/* MI_MATH's length field is 6 bits on Gen8, 8 on Gen9. */
	assert_int_equal(gpu_cmd_length(GPU_GEN8, GPU_RCS, 0x0d0000ff, &n), 0);
	assert_int_equal(n, 0x3f + 2);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x0d0000ff, &n), 0);
	assert_int_equal(n, 0xff + 2);
	/* Types an engine does not execute. */
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x54f00008, &n), -EINVAL);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_BCS, 0x7a000004, &n), -EINVAL);
	assert_int_equal(gpu_cmd_length(GPU_GEN9, GPU_RCS, 0x20000000, &n), -EINVAL);
}

/* Every genxml instruction with a fixed length must decode to that length
 * under the model's generic rules. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = 0;
	fclose(f);
	return s;
}

static bool attr(const char *tag, const char *end, const char *name, char *out, size_t cap)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(tag, key);
	if (!p || p > end)
		return false;
	p += strlen(key);
	size_t n = 0;
	while (p[n] && p[n] != '"' && n + 1 < cap)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

static unsigned check_genxml(const char *path, enum gpu_gen gen)
{
	char *xml = slurp(path);
	if (!xml)
		return 0;
	unsigned checked = 0;
	for (char *p = strstr(xml, "<instruction "); p; p = strstr(p + 1, "<instruction ")) {
		char *tag_end = strchr(p, '>'), *body_end = strstr(p, "</instruction>");
		assert_non_null(tag_end);
		assert_non_null(body_end);
		char name[96] = "", len[16] = "", engine[64] = "";
		attr(p, tag_end, "name", name, sizeof(name));
		if (!attr(p, tag_end, "length", len, sizeof(len)))
			continue; /* variable length */
		attr(p, tag_end, "engine", engine, sizeof(engine));
		char bias[8] = "2";
		attr(p, tag_end, "bias", bias, sizeof(bias));
		/* The opcode fields' defaults, and the DWord Length field set to
		 * length - bias (genxml's own defaults for it are not always
		 * consistent with its length attribute). */
		uint32_t h = 0;
		for (char *f = strstr(tag_end, "<field "); f && f < body_end; f = strstr(f + 1, "<field ")) {
			char *fe = strchr(f, '>');
			char fname[64] = "", st[16], en[16], def[24];
			if (!attr(f, fe, "start", st, sizeof(st)) || !attr(f, fe, "end", en, sizeof(en)))
				continue;
			attr(f, fe, "name", fname, sizeof(fname));
			unsigned s = (unsigned)atoi(st), e = (unsigned)atoi(en);
			if (s >= 32)
				continue;
			if (!strcmp(fname, "DWord Length")) {
				uint32_t v = (uint32_t)(atoi(len) - atoi(bias));
				uint32_t m = e - s >= 31 ? ~0u : ((1u << (e - s + 1)) - 1);
				if (v & ~m)
					fail_msg("%s: %s length %s does not fit its length field", path, name, len);
				h |= v << s;
			} else if (attr(f, fe, "default", def, sizeof(def))) {
				h |= (uint32_t)strtoul(def, NULL, 0) << s;
			}
		}
		enum gpu_engine e = strstr(engine, "render") ? GPU_RCS :
				    strstr(engine, "blitter") ? GPU_BCS :
				    strstr(engine, "video") ? GPU_VCS : GPU_RCS;
		if (!strcmp(name, "HCP_TILE_CODING"))
			continue; /* genxml's length/bias for it are known to be wrong */
		uint32_t n = 0;
		int err = gpu_cmd_length(gen, e, h, &n);
		if (err || n != (uint32_t)atoi(len))
			fail_msg("%s: %s header 0x%08x: model says %u dwords (err %d), genxml %s",
				 path, name, h, n, err, len);
		checked++;
	}
	free(xml);
	return checked;
}

static void test_cmd_length_agrees_with_genxml(void **state)
{
	(void)state;
	char p8[512], p9[512];
	snprintf(p8, sizeof(p8), "%s/reference/gen8.xml", vgt_test_shared());
	snprintf(p9, sizeof(p9), "%s/reference/gen9.xml", vgt_test_shared());
	FILE *f = fopen(p9, "r");
	if (!f) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED)", p9);
	}
	fclose(f);
	unsigned n = check_genxml(p8, GPU_GEN8) + check_genxml(p9, GPU_GEN9);
	assert_true(n > 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mem_pages_are_sparse_zeroed_and_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_read_write_round_trip_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_access_spanning_a_missing_page_copies_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_map_page_rejects_duplicates_and_misalignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_owner_tag_set_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_free_removes_page_and_keeps_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_pages_at_leaf_edges_and_the_top_of_the_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_lookups_run_beside_allocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_huge_page_is_512_contiguous_aligned_pages, setup, teardown),
		cmocka_unit_test(test_mem_max_pages_limit_gives_enomem),
		cmocka_unit_test(test_create_rejects_unknown_nonzero_option_tail),
		cmocka_unit_test_setup_teardown(test_ggtt_translates_present_entries_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ggtt_ignores_bits_outside_45_12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_4level_4k_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_64k_pages_through_ips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_2m_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_1g_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_3level_uses_four_root_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_faults_report_the_missing_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppgtt_write_through_read_only_entry_faults, setup, teardown),
		cmocka_unit_test(test_cmd_length_generic_rules),
		cmocka_unit_test(test_cmd_length_agrees_with_genxml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
