/* SPDX-License-Identifier: MIT */
/* GPU model: the blitter's copies and fills, checked byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "tests/support/skip.h"

#define BATCH 0x10000ull
#define SRC   0x100000ull /* 16 pages each */
#define DST   0x200000ull
#define SURF_PAGES 16

#define XY_COLOR_BLT     0x54000005u /* 7 dwords */
#define XY_SRC_COPY_BLT  0x54c00008u /* 10 dwords */
#define XY_FAST_COPY_BLT 0x50800008u /* 10 dwords */
#define XY_FAST_COLOR    0x51000000u
#define WRITE_ALPHA      (1u << 21)
#define WRITE_RGB        (1u << 20)
#define MI_BB_END        0x05000000u

static void ggtt_map(struct gpu *g, uint64_t gma, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++) {
		uint64_t hpa;
		assert_int_equal(gpu_mem_alloc_page(g, &hpa), 0);
		assert_int_equal(gpu_ggtt_set(g, gma + i * 4096ull, hpa | GPU_PTE_PRESENT), 0);
	}
}

static void gwrite(struct gpu *g, uint64_t gma, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		uint64_t hpa;
		size_t c = 4096 - (gma & 4095);
		if (c > n)
			c = n;
		assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
		assert_int_equal(gpu_mem_write(g, hpa, b, c), 0);
		gma += c;
		b += c;
		n -= c;
	}
}

static void gread(struct gpu *g, uint64_t gma, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		uint64_t hpa;
		size_t c = 4096 - (gma & 4095);
		if (c > n)
			c = n;
		assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
		assert_int_equal(gpu_mem_read(g, hpa, b, c), 0);
		gma += c;
		b += c;
		n -= c;
	}
}

#define SZ (SURF_PAGES * 4096)

struct fx {
	struct gpu *g;
	uint8_t src[SZ], dst[SZ], want[SZ], got[SZ];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || gpu_create(NULL, &f->g))
		return -1;
	ggtt_map(f->g, BATCH, 1);
	ggtt_map(f->g, SRC, SURF_PAGES);
	ggtt_map(f->g, DST, SURF_PAGES);
	for (size_t i = 0; i < SZ; i++) {
		f->src[i] = (uint8_t)(i * 31 + (i >> 8) * 7 + 1);
		f->dst[i] = 0xee;
	}
	gwrite(f->g, SRC, f->src, SZ);
	gwrite(f->g, DST, f->dst, SZ);
	memcpy(f->want, f->dst, SZ);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gpu_destroy(f->g);
	free(f);
	return 0;
}

static struct gpu_completion blit(struct fx *f, const uint32_t *cmd, unsigned n)
{
	uint32_t b[32];
	memcpy(b, cmd, n * 4);
	b[n] = MI_BB_END;
	gwrite(f->g, BATCH, b, (n + 1) * 4);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_BCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(f->g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	return c;
}

static void check_dst(struct fx *f)
{
	gread(f->g, DST, f->got, SZ);
	for (size_t i = 0; i < SZ; i++)
		if (f->got[i] != f->want[i])
			fail_msg("dst byte %zu (row %zu): got 0x%02x, want 0x%02x", i, i / 256,
				 f->got[i], f->want[i]);
}

#define XY(x, y) (((uint32_t)(y) << 16) | (uint32_t)(x))

/* Expected result of copying w x h pixels of cpp bytes, linear surfaces. */
static void expect_copy(struct fx *f, unsigned cpp, unsigned pitch, unsigned sx, unsigned sy,
			unsigned dx, unsigned dy, unsigned w, unsigned h)
{
	for (unsigned y = 0; y < h; y++)
		memcpy(f->want + (dy + y) * pitch + dx * cpp, f->src + (sy + y) * pitch + sx * cpp,
		       (size_t)w * cpp);
}

static void src_copy(struct fx *f, unsigned depth, unsigned cpp)
{
	const unsigned pitch = 256;
	uint32_t cmd[] = {XY_SRC_COPY_BLT | WRITE_ALPHA | WRITE_RGB,
			  (depth << 24) | (0xccu << 16) | pitch, XY(5, 4), XY(25, 14),
			  (uint32_t)DST, 0, XY(3, 2), pitch, (uint32_t)SRC, 0};
	blit(f, cmd, 10);
	expect_copy(f, cpp, pitch, 3, 2, 5, 4, 20, 10);
	check_dst(f);
}

static void test_src_copy_32bpp_copies_the_rectangle_only(void **state)
{
	src_copy(*state, 3, 4);
}

static void test_src_copy_16bpp(void **state)
{
	src_copy(*state, 1, 2);
}

static void test_src_copy_8bpp(void **state)
{
	src_copy(*state, 0, 1);
}

static void color_fill(struct fx *f, unsigned depth, unsigned cpp, uint32_t hdr_bits, uint32_t color)
{
	const unsigned pitch = 512;
	uint32_t cmd[] = {XY_COLOR_BLT | hdr_bits, (depth << 24) | (0xf0u << 16) | pitch,
			  XY(7, 3), XY(40, 20), (uint32_t)DST, 0, color};
	blit(f, cmd, 7);
	for (unsigned y = 3; y < 20; y++)
		for (unsigned x = 7; x < 40; x++)
			for (unsigned k = 0; k < cpp; k++) {
				bool alpha = cpp == 4 && k == 3;
				if (cpp == 4 && !(hdr_bits & (alpha ? WRITE_ALPHA : WRITE_RGB)))
					continue;
				f->want[y * pitch + x * cpp + k] = (uint8_t)(color >> (8 * k));
			}
	check_dst(f);
}

static void test_color_blt_fills_32bpp(void **state)
{
	color_fill(*state, 3, 4, WRITE_ALPHA | WRITE_RGB, 0x11223344);
}

static void test_color_blt_fills_16bpp(void **state)
{
	color_fill(*state, 1, 2, 0, 0xbeef);
}

static void test_color_blt_fills_8bpp(void **state)
{
	color_fill(*state, 0, 1, 0, 0x5a);
}

static void test_color_blt_without_alpha_enable_keeps_alpha(void **state)
{
	color_fill(*state, 3, 4, WRITE_RGB, 0x11223344);
}

static void test_src_copy_xor_rop_combines_source_and_destination(void **state)
{
	struct fx *f = *state;
	const unsigned pitch = 256;
	uint32_t cmd[] = {XY_SRC_COPY_BLT | WRITE_ALPHA | WRITE_RGB, (3u << 24) | (0x66u << 16) | pitch,
			  XY(0, 0), XY(8, 4), (uint32_t)DST, 0, XY(0, 0), pitch, (uint32_t)SRC, 0};
	blit(f, cmd, 10);
	for (unsigned y = 0; y < 4; y++)
		for (unsigned i = 0; i < 32; i++)
			f->want[y * pitch + i] = f->dst[y * pitch + i] ^ f->src[y * pitch + i];
	check_dst(f);
}

static void test_overlapping_copy_down_preserves_the_source_rows(void **state)
{
	struct fx *f = *state;
	const unsigned pitch = 256;
	/* Within SRC: rows 0..9 to rows 2..11. */
	uint32_t cmd[] = {XY_SRC_COPY_BLT | WRITE_ALPHA | WRITE_RGB, (3u << 24) | (0xccu << 16) | pitch,
			  XY(0, 2), XY(64, 12), (uint32_t)SRC, 0, XY(0, 0), pitch, (uint32_t)SRC, 0};
	blit(f, cmd, 10);
	uint8_t got[12 * 256];
	gread(f->g, SRC, got, sizeof(got));
	assert_memory_equal(got, f->src, 2 * pitch);
	assert_memory_equal(got + 2 * pitch, f->src, 10 * pitch);
}

static void test_fast_copy_blt_copies_linear_32bpp(void **state)
{
	struct fx *f = *state;
	const unsigned pitch = 1024;
	uint32_t cmd[] = {XY_FAST_COPY_BLT, (3u << 24) | pitch, XY(10, 1), XY(200, 30),
			  (uint32_t)DST, 0, XY(0, 5), pitch, (uint32_t)SRC, 0};
	blit(f, cmd, 10);
	expect_copy(f, 4, pitch, 0, 5, 10, 1, 190, 29);
	check_dst(f);
}

static void test_fast_color_blt_fills_64bpp(void **state)
{
	struct fx *f = *state;
	const unsigned pitch = 2048;
	uint32_t cmd[] = {XY_FAST_COLOR | 6, (4u << 24) | pitch, XY(1, 2), XY(9, 6),
			  (uint32_t)DST, 0, 0x01020304, 0xa0b0c0d0};
	blit(f, cmd, 8);
	const uint8_t px[8] = {4, 3, 2, 1, 0xd0, 0xc0, 0xb0, 0xa0};
	for (unsigned y = 2; y < 6; y++)
		for (unsigned x = 1; x < 9; x++)
			memcpy(f->want + y * pitch + x * 8, px, 8);
	check_dst(f);
}

static void test_src_copy_into_x_tiled_surface_follows_the_tile_layout(void **state)
{
	struct fx *f = *state;
	/* Destination X-tiled, 1024 bytes wide (two tiles), pitch in dwords. */
	uint32_t cmd[] = {XY_SRC_COPY_BLT | WRITE_ALPHA | WRITE_RGB | (1u << 11),
			  (3u << 24) | (0xccu << 16) | (1024 / 4), XY(100, 3), XY(200, 12),
			  (uint32_t)DST, 0, XY(0, 0), 1024, (uint32_t)SRC, 0};
	blit(f, cmd, 10);
	for (unsigned y = 3; y < 12; y++)
		for (unsigned bx = 400; bx < 800; bx++) {
			size_t tile = (y / 8) * 2 + bx / 512;
			size_t off = tile * 4096 + (y % 8) * 512 + bx % 512;
			f->want[off] = f->src[(y - 3) * 1024 + (bx - 400)];
		}
	check_dst(f);
}

static void test_blit_cost_grows_with_area(void **state)
{
	struct fx *f = *state;
	uint32_t small[] = {XY_COLOR_BLT | WRITE_ALPHA | WRITE_RGB, (3u << 24) | (0xf0u << 16) | 1024,
			    XY(0, 0), XY(2, 2), (uint32_t)DST, 0, 0};
	uint32_t big[] = {XY_COLOR_BLT | WRITE_ALPHA | WRITE_RGB, (3u << 24) | (0xf0u << 16) | 1024,
			  XY(0, 0), XY(256, 64), (uint32_t)DST, 0, 0};
	uint64_t cs = blit(f, small, 7).cycles, cb = blit(f, big, 7).cycles;
	assert_true(cb > cs * 10);
	assert_true(blit(f, big, 7).steps > 64);
}

/* ------------------------------------------------- a real IGT capture */

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s) {
		s[n] = 0;
		if (len)
			*len = (size_t)n;
	}
	fclose(fp);
	return s;
}

static void set_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t v)
{
	assert_int_equal(gpu_mem_write(g, table + idx * 8ull, &v, 8), 0);
}

static uint64_t get_or_make(struct gpu *g, uint64_t table, unsigned idx)
{
	uint64_t e;
	assert_int_equal(gpu_mem_read(g, table + idx * 8ull, &e, 8), 0);
	if (e & GPU_PTE_PRESENT)
		return e & GPU_PTE_ADDR_MASK;
	uint64_t p;
	assert_int_equal(gpu_mem_alloc_page(g, &p), 0);
	set_entry(g, table, idx, p | 3);
	return p;
}

/* Maps [gma, gma+len) of a 4-level PPGTT to fresh pages. */
static void ppgtt_map(struct gpu *g, uint64_t pml4, uint64_t gma, uint64_t len)
{
	for (uint64_t a = gma; a < gma + len; a += 4096) {
		uint64_t pdpt = get_or_make(g, pml4, (a >> 39) & 511);
		uint64_t pd = get_or_make(g, pdpt, (a >> 30) & 511);
		uint64_t pt = get_or_make(g, pd, (a >> 21) & 511);
		get_or_make(g, pt, (a >> 12) & 511);
	}
}

static void ppgtt_io(struct gpu *g, const struct gpu_ppgtt *root, uint64_t gma, void *p,
		     size_t n, bool write)
{
	uint8_t *b = p;
	while (n) {
		struct gpu_xlate x;
		size_t c = 4096 - (gma & 4095);
		if (c > n)
			c = n;
		assert_int_equal(gpu_ppgtt_translate(g, root, gma, write, &x), 0);
		if (write)
			assert_int_equal(gpu_mem_write(g, x.hpa, b, c), 0);
		else
			assert_int_equal(gpu_mem_read(g, x.hpa, b, c), 0);
		gma += c;
		b += c;
		n -= c;
	}
}

/* IGT gem_blt's first submission: one XY_SRC_COPY_BLT of 4096 x 64 pixels
 * at 32 bpp from 0x100000 to 0x200000 (PPGTT), batch at 0x300000. */
static void test_captured_igt_blit_batch_copies_a_megabyte(void **state)
{
	(void)state;
	char dir[512], path[700];
	snprintf(dir, sizeof(dir), "%s/reference/captures/gen9-igt-gem_blt", vgt_test_shared());
	snprintf(path, sizeof(path), "%s/exec-0000.json", dir);
	char *json = slurp(path, NULL);
	if (!json) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED)", path);
	}
	/* The only stored chunk of this submission is the batch's. */
	char *bp = strstr(json, "\"blob\": \"");
	assert_non_null(bp);
	bp += strlen("\"blob\": \"");
	char *be = strchr(bp, '"');
	assert_non_null(be);
	*be = 0;
	snprintf(path, sizeof(path), "%s/blobs/%s", dir, bp);
	if (!strstr(bp, ".bin"))
		strncat(path, ".bin", sizeof(path) - strlen(path) - 1);
	size_t blen;
	char *batch = slurp(path, &blen);
	free(json);
	assert_non_null(batch);

	struct gpu *g;
	assert_int_equal(gpu_create(NULL, &g), 0);
	uint64_t pml4;
	assert_int_equal(gpu_mem_alloc_page(g, &pml4), 0);
	struct gpu_ppgtt root = {.levels = 4, .pdp = {pml4}};
	ppgtt_map(g, pml4, 0x100000, 3u << 20);
	ppgtt_io(g, &root, 0x300000, batch, blen, true);
	free(batch);
	uint8_t *src = malloc(1u << 20), *got = malloc(1u << 20);
	assert_non_null(src);
	assert_non_null(got);
	for (size_t i = 0; i < (1u << 20); i++)
		src[i] = (uint8_t)(i ^ (i >> 9));
	ppgtt_io(g, &root, 0x100000, src, 1u << 20, true);

	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_BCS, .batch = 0x300000,
			       .batch_as = GPU_AS_PPGTT, .ppgtt = root};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.unmodelled, 0);
	assert_int_equal(c.faults, 0);
	ppgtt_io(g, &root, 0x200000, got, 1u << 20, false);
	assert_memory_equal(got, src, 1u << 20);
	free(src);
	free(got);
	gpu_destroy(g);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_src_copy_32bpp_copies_the_rectangle_only),
		T(test_src_copy_16bpp),
		T(test_src_copy_8bpp),
		T(test_color_blt_fills_32bpp),
		T(test_color_blt_fills_16bpp),
		T(test_color_blt_fills_8bpp),
		T(test_color_blt_without_alpha_enable_keeps_alpha),
		T(test_src_copy_xor_rop_combines_source_and_destination),
		T(test_overlapping_copy_down_preserves_the_source_rows),
		T(test_fast_copy_blt_copies_linear_32bpp),
		T(test_fast_color_blt_fills_64bpp),
		T(test_src_copy_into_x_tiled_surface_follows_the_tile_layout),
		T(test_blit_cost_grows_with_area),
		cmocka_unit_test(test_captured_igt_blit_batch_copies_a_megabyte),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
