/* SPDX-License-Identifier: MIT */
/*
 * Shadow buffers: the tail is zeroed, guest memory is never written, a
 * guest write after the copy changes nothing, each guest byte is fetched
 * once, copies are made in large chunks, and the shadows get the addresses
 * the caller's allocator hands out.
 */
#include <sys/mman.h>

#include "tests/test_scanner_audit_util.h"

#define G9 SCAN_GEN9

static struct bb b, b2;

static void test_shadow_tail_is_zeroed(void **state)
{
	static uint32_t page[1024];
	struct fx f;

	for (unsigned i = 0; i < 1024; i++)
		page[i] = 0xdeadbeef; /* guest data after the batch end */
	page[0] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	page[1] = 0x2600;
	page[2] = 5;
	page[3] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, page, sizeof(page));
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	assert_int_equal(r->shadows[0].bytes, 16);
	assert_int_equal(r->shadows[0].size, 4096);
	assert_memory_equal(r->shadows[0].data, page, 16);
	for (unsigned i = 4; i < 1024; i++)
		assert_int_equal(r->shadows[0].data[i], 0);
	fx_done(&f);
}

static void test_guest_memory_is_never_written(void **state)
{
	struct fx f;
	size_t len = 3 * 4096;
	uint32_t *g = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(g != MAP_FAILED);
	bb_init(&b, PP, SCAN_AS_PPGTT);
	cmd(&b, G9, "MI_USER_INTERRUPT", 1);                                   /* NOOPed */
	cmd(&b, G9, "PIPE_CONTROL", 6, (1u << 21) | (1u << 14), 0x40, 0, 1, 0); /* made absolute */
	bb_start(&b, G9, PP + 0x1000, true, true);                             /* relocated */
	bb_end(&b, G9);
	memcpy(g, b.dw, b.n * 4);
	bb_init(&b2, PP + 0x1000, SCAN_AS_PPGTT);
	cmd(&b2, G9, "MI_USER_INTERRUPT", 1);
	bb_end(&b2, G9);
	memcpy(g + 1024, b2.dw, b2.n * 4);
	assert_int_equal(mprotect(g, len, PROT_READ), 0); /* a write would fault */

	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, g, len);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->npatches, 4); /* 2 NOOPs, 1 HWSP, 1 relocation */
	assert_memory_equal(g, b.dw, b.n * 4);
	assert_memory_equal(g + 1024, b2.dw, b2.n * 4);
	fx_done(&f);
	munmap(g, len);
}

static void test_guest_write_after_the_copy_has_no_effect(void **state)
{
	static uint32_t page[1024];
	struct fx f;

	memset(page, 0, sizeof(page));
	page[0] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	page[1] = 0x2600;
	page[2] = 5;
	page[3] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, page, sizeof(page));
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	/* The guest rewrites its batch into an attack after the scan. */
	page[1] = 0x101008;
	assert_int_equal(r->shadows[0].data[1], 0x2600);
	assert_int_equal(r->shadows[0].data[2], 5);
	fx_done(&f);
}

/* A view that serves each 4 KiB page from its own buffer (so no run is
 * longer than a page) and, after a page was served once, serves an attack
 * instead: a scanner that fetched anything twice would see it. */
struct flip {
	uint32_t clean[16][1024];
	uint32_t evil[1024];
	unsigned served[16];
	unsigned maps;
};

static const void *flip_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	struct flip *fl = ctx;
	uint64_t page = (gma - PP) / 4096;

	if (as != SCAN_AS_PPGTT || gma < PP || page >= 16)
		return NULL;
	fl->maps++;
	*len = 4096 - (gma & 4095);
	if (fl->served[page]++)
		return (const char *)fl->evil + (gma & 4095);
	return (const char *)fl->clean[page] + (gma & 4095);
}

static void test_no_guest_byte_is_fetched_twice(void **state)
{
	static struct flip fl;
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = G9 };
	struct scan_mem mem = { flip_map, &fl };
	struct scan_ctx *s;
	const struct scan_result *r;

	memset(&fl, 0, sizeof(fl));
	for (unsigned i = 0; i + 2 < 1024; i += 3) {
		fl.evil[i] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
		fl.evil[i + 1] = 0x229c;
		fl.evil[i + 2] = 0x00010001;
	}
	/* 6 pages of LRIs of a GPR (3 dwords, so commands straddle pages),
	 * then the end. */
	uint32_t *all = &fl.clean[0][0];
	unsigned n = 0;
	while (n + 3 < 6 * 1024) {
		all[n++] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
		all[n++] = 0x2600;
		all[n] = n;
		n++;
	}
	all[n++] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	assert_int_equal(scan_new(&cfg, &s), 0);
	assert_int_equal(scan_batch(s, SCAN_RCS, &mem, PP, SCAN_AS_PPGTT, &r), 0);
	expect_pass(r);
	assert_int_equal(r->shadows[0].bytes, n * 4);
	assert_memory_equal(r->shadows[0].data, all, n * 4);
	for (unsigned p = 0; p < 6; p++)
		assert_int_equal(fl.served[p], 1);
	scan_free(s);
}

/* Counts map() calls over a segment view. */
struct counting {
	struct scan_mem inner;
	unsigned maps;
};

static const void *counting_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	struct counting *c = ctx;

	c->maps++;
	return c->inner.map(c->inner.ctx, as, gma, len);
}

static void test_batch_is_copied_in_large_chunks(void **state)
{
	static uint32_t big[16384]; /* 64 KiB */
	struct fx f;
	struct counting cnt;
	const struct scan_result *r;
	unsigned n = 0;

	while (n + 3 < 16384 - 1) {
		big[n++] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
		big[n++] = 0x2600;
		big[n] = n;
		n++;
	}
	while (n < 16383)
		big[n++] = 0;
	big[n++] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, big, sizeof(big));
	fx_prepare(&f);
	cnt.inner = f.view;
	cnt.maps = 0;
	struct scan_mem mem = { counting_map, &cnt };
	assert_int_equal(scan_batch(f.s, SCAN_RCS, &mem, PP, SCAN_AS_PPGTT, &r), 0);
	expect_pass(r);
	assert_int_equal(r->shadows[0].bytes, sizeof(big));
	/* Geometric growth: 8 + 8 + 16 + 32 KiB, not one map per header. */
	assert_true(cnt.maps <= 5);
	assert_true(r->commands > 5000);
	fx_done(&f);
}

static void test_command_crossing_discontiguous_pages_passes(void **state)
{
	static struct flip fl;
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = G9 };
	struct scan_mem mem = { flip_map, &fl };
	struct scan_ctx *s;
	const struct scan_result *r;

	memset(&fl, 0, sizeof(fl));
	uint32_t *all = &fl.clean[0][0];
	unsigned n = 1000;                 /* NOOPs, then an LRI across the page */
	all[n++] = hdr(G9, "MI_LOAD_REGISTER_IMM", 195);
	for (unsigned i = 0; i < 97; i++) {
		all[n++] = 0x2600 + 4 * (i % 32);
		all[n++] = i;
	}
	all[n++] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	assert_int_equal(scan_new(&cfg, &s), 0);
	assert_int_equal(scan_batch(s, SCAN_RCS, &mem, PP, SCAN_AS_PPGTT, &r), 0);
	expect_pass(r);
	assert_memory_equal(r->shadows[0].data, all, n * 4);
	scan_free(s);
}

struct alloc_log {
	unsigned calls;
	enum scan_as as[8];
	uint64_t bytes[8];
};

static int test_alloc(void *ctx, enum scan_as as, uint64_t bytes, uint64_t *gma)
{
	struct alloc_log *l = ctx;

	if (l->calls >= 8)
		return -ENOSPC;
	l->as[l->calls] = as;
	l->bytes[l->calls] = bytes;
	*gma = 0xabc00000ull + 0x100000ull * l->calls++;
	return 0;
}

static void test_shadow_addresses_come_from_the_allocator(void **state)
{
	struct fx f;
	struct alloc_log log = { 0 };

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	bb_start(&b, G9, PP, true, true);
	bb_end(&b, G9);
	bb_init(&b2, PP, SCAN_AS_PPGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	f.cfg.shadow_alloc = test_alloc;
	f.cfg.shadow_alloc_ctx = &log;
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.as[0], SCAN_AS_GGTT);
	assert_int_equal(log.as[1], SCAN_AS_PPGTT); /* a shadow lives where its original did */
	assert_int_equal(log.bytes[0], 4096);
	assert_int_equal(r->shadows[0].shadow_gma, 0xabc00000ull);
	assert_int_equal(r->shadows[1].shadow_gma, 0xabd00000ull);
	/* The second-level start now points at the child's shadow... */
	assert_int_equal(r->shadows[0].data[1], 0xabd00000u);
	assert_int_equal(r->shadows[0].data[2], 0);
	assert_true(r->shadows[0].data[0] & (1u << 22));
	/* ...and says so in the patch list. */
	assert_int_equal(r->npatches, 1);
	assert_int_equal(r->patches[0].kind, SCAN_PATCH_BB_RELOC);
	assert_int_equal(r->patches[0].old_value, PP);
	assert_int_equal(r->patches[0].new_value, 0xabd00000ull);
	fx_done(&f);
}

static void test_default_allocator_uses_reserved_ranges(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	bb_start(&b, G9, PP, true, false);
	bb_init(&b2, PP, SCAN_AS_PPGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->shadows[0].shadow_gma, SCAN_SHADOW_GGTT_BASE);
	assert_int_equal(r->shadows[1].shadow_gma, SCAN_SHADOW_PPGTT_BASE);
	fx_done(&f);
}

static int failing_alloc(void *ctx, enum scan_as as, uint64_t bytes, uint64_t *gma)
{
	return -ENOSPC;
}

static void test_allocator_failure_is_an_error(void **state)
{
	struct fx f;
	const struct scan_result *r = NULL;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	bb_end(&b, G9);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	f.cfg.shadow_alloc = failing_alloc;
	fx_map_bb(&f, &b);
	fx_prepare(&f);
	assert_int_equal(scan_batch(f.s, SCAN_RCS, &f.view, PP, SCAN_AS_PPGTT, &r), -ENOSPC);
	fx_done(&f);
}

static void test_scanner_is_reusable_across_scans(void **state)
{
	struct fx f;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x101008, 0);
	bb_end(&b, G9);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	cmd(&b2, G9, "MI_USER_INTERRUPT", 1);
	bb_end(&b2, G9);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	for (unsigned i = 0; i < 3; i++) {
		const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);

		expect_reason(r, SCAN_R_REG_PROTECTED);
		assert_int_equal(r->nviolations, 1);
		r = fx_batch(&f, SCAN_RCS, b2.gma, b2.as);
		expect_pass(r);
		assert_int_equal(r->nevents, 1);
		assert_int_equal(r->nshadows, 1);
		assert_int_equal(r->shadows[0].shadow_gma, SCAN_SHADOW_PPGTT_BASE);
	}
	fx_done(&f);
}

static void test_rejected_scan_still_zeroes_unscanned_shadows(void **state)
{
	struct fx f;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	bb_start(&b, G9, PP + 0x10000, true, true);
	lri(&b, G9, 0x101008, 0); /* rejected before the child is scanned */
	bb_end(&b, G9);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	put(&b2, 2, 0x11111111, 0x22222222);
	fx_init(&f, G9, SCAN_POLICY_STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_reason(r, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->shadows[1].bytes, 0);
	for (unsigned i = 0; i < r->shadows[1].size / 4; i++)
		assert_int_equal(r->shadows[1].data[i], 0);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_tail_is_zeroed),
		cmocka_unit_test(test_guest_memory_is_never_written),
		cmocka_unit_test(test_guest_write_after_the_copy_has_no_effect),
		cmocka_unit_test(test_no_guest_byte_is_fetched_twice),
		cmocka_unit_test(test_batch_is_copied_in_large_chunks),
		cmocka_unit_test(test_command_crossing_discontiguous_pages_passes),
		cmocka_unit_test(test_shadow_addresses_come_from_the_allocator),
		cmocka_unit_test(test_default_allocator_uses_reserved_ranges),
		cmocka_unit_test(test_allocator_failure_is_an_error),
		cmocka_unit_test(test_scanner_is_reusable_across_scans),
		cmocka_unit_test(test_rejected_scan_still_zeroes_unscanned_shadows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
