/* SPDX-License-Identifier: MIT */
/*
 * The `blit` profile (blitter copies and fills on BCS, shaped like IGT's
 * gem_blt and the X/compositor paths: XY_COLOR_BLT, XY_SRC_COPY_BLT and on
 * Gen9 XY_FAST_COPY_BLT between linear 32 bpp surfaces, then MI_FLUSH_DW
 * with a post-sync write of the sequence number) and the `desktop` mix
 * (small window blits with an occasional small draw on the render
 * engine).  The generator runs the same blits on the CPU so the guest can
 * check every destination byte the GPU model wrote.
 */
#include <string.h>

#include "guest/guest_int.h"

struct surf {
	uint64_t gma;
	uint32_t w, h, pitch;
	uint32_t *px;     /* CPU copy: contents before (src) / expected after (dst) */
};

static uint32_t lo(uint64_t a) { return (uint32_t)a; }
static uint32_t hi(uint64_t a) { return (uint32_t)(a >> 32) & 0xffffu; }

struct rect {
	uint32_t x1, y1, x2, y2; /* x2, y2 exclusive */
};

static struct rect rand_rect(struct guest_rng *r, uint32_t w, uint32_t h)
{
	struct rect rc;
	rc.x1 = guest_rng_below(r, w - 1);
	rc.y1 = guest_rng_below(r, h - 1);
	rc.x2 = guest_rng_range(r, rc.x1 + 1, w);
	rc.y2 = guest_rng_range(r, rc.y1 + 1, h);
	return rc;
}

static void cpu_fill(struct surf *d, struct rect rc, uint32_t color)
{
	for (uint32_t y = rc.y1; y < rc.y2; y++)
		for (uint32_t x = rc.x1; x < rc.x2; x++)
			d->px[y * (d->pitch / 4) + x] = color;
}

static void cpu_copy(struct surf *d, struct rect rc, const struct surf *s, uint32_t sx, uint32_t sy)
{
	for (uint32_t y = rc.y1; y < rc.y2; y++)
		memcpy(&d->px[y * (d->pitch / 4) + rc.x1],
		       &s->px[(sy + y - rc.y1) * (s->pitch / 4) + sx], 4 * (rc.x2 - rc.x1));
}

/* Builds `nblits` blits from src to dst into cb (and the CPU's expected
 * image). */
static void blits(struct guest_gen *g, struct cbuf *cb, struct surf *dst, const struct surf *src,
		  unsigned nblits)
{
	for (unsigned i = 0; i < nblits; i++) {
		unsigned kind = guest_rng_below(&g->rng, g->gen == SCAN_GEN9 ? 3 : 2);
		struct rect rc = rand_rect(&g->rng, dst->w, dst->h);
		if (kind == 0) { /* XY_COLOR_BLT: solid fill (PATCOPY) */
			uint32_t color = (uint32_t)guest_rng_u64(&g->rng);
			uint32_t d[6] = { (3u << 24) | (0xf0u << 16) | dst->pitch,
					  (rc.y1 << 16) | rc.x1, (rc.y2 << 16) | rc.x2,
					  lo(dst->gma), hi(dst->gma), color };
			guesti_emit_n(cb, C_XY_COLOR_BLT, 7, d, 6);
			cpu_fill(dst, rc, color);
			continue;
		}
		uint32_t cw = rc.x2 - rc.x1, ch = rc.y2 - rc.y1;
		uint32_t sx = guest_rng_below(&g->rng, src->w - cw + 1);
		uint32_t sy = guest_rng_below(&g->rng, src->h - ch + 1);
		if (kind == 1) { /* XY_SRC_COPY_BLT (SRCCOPY) */
			uint32_t d[9] = { (3u << 24) | (0xccu << 16) | dst->pitch,
					  (rc.y1 << 16) | rc.x1, (rc.y2 << 16) | rc.x2,
					  lo(dst->gma), hi(dst->gma), (sy << 16) | sx, src->pitch,
					  lo(src->gma), hi(src->gma) };
			guesti_emit_n(cb, C_XY_SRC_COPY_BLT, 10, d, 9);
		} else { /* XY_FAST_COPY_BLT, linear, 32 bpp */
			uint32_t d[9] = { (3u << 24) | dst->pitch,
					  (rc.y1 << 16) | rc.x1, (rc.y2 << 16) | rc.x2,
					  lo(dst->gma), hi(dst->gma), (sy << 16) | sx, src->pitch,
					  lo(src->gma), hi(src->gma) };
			guesti_emit_n(cb, C_XY_FAST_COPY_BLT, 10, d, 9);
		}
		cpu_copy(dst, rc, src, sx, sy);
	}
}

static int build_blit(struct guest_gen *g, const uint32_t (*sizes)[2], unsigned nsizes,
		      unsigned max_blits, uint64_t zone, unsigned ctx)
{
	struct cbuf *cb = &g->cb[0];
	unsigned slot = (unsigned)(g->seq % 4);
	unsigned sz = guest_rng_below(&g->rng, nsizes);
	struct surf src = { .gma = zone + 0x100000ull * slot, .w = sizes[sz][0], .h = sizes[sz][1] };
	struct surf dst = { .gma = zone + 0x800000 + 0x100000ull * slot, .w = sizes[sz][0],
			    .h = sizes[sz][1] };
	src.pitch = dst.pitch = src.w * 4;
	size_t bytes = (size_t)src.pitch * src.h;
	src.px = guesti_arena_alloc(&g->arena, bytes);
	dst.px = guesti_arena_alloc(&g->arena, bytes);
	uint32_t *init = guesti_arena_alloc(&g->arena, bytes);
	if (!src.px || !dst.px || !init)
		return 0; /* arena OOM is reported by guest_gen_next */
	/* the source: a cheap deterministic pattern; the destination: what a
	 * previous frame left, here a flat background */
	uint64_t x = guest_rng_u64(&g->rng) | 1;
	for (size_t i = 0; i < bytes / 4; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		src.px[i] = (uint32_t)x;
	}
	uint32_t bg = (uint32_t)guest_rng_u64(&g->rng);
	for (size_t i = 0; i < bytes / 4; i++)
		init[i] = dst.px[i] = bg;

	blits(g, cb, &dst, &src, guest_rng_range(&g->rng, 1, max_blits));
	uint64_t value, slotgma = guesti_gen_result(g, &value);
	guesti_emit_flush_dw(cb, 0, slotgma, false, value);
	guesti_emit_bb_end(cb);
	guesti_cb_align8(cb);

	guesti_gen_bo(g, src.gma, bytes, 0, src.px, bytes);
	guesti_gen_bo(g, dst.gma, bytes, GUEST_BO_WRITE, init, bytes);
	guesti_gen_check(g, dst.gma, (uint32_t)bytes, dst.px, "blit destination");
	uint64_t batch = VA_BATCH + 0x01000000 + 0x10000ull * (g->seq % 4);
	guesti_gen_batch_bo(g, cb, batch);
	guesti_gen_ring_start(g, batch);
	g->w.engine = SCAN_BCS;
	g->w.ctx = ctx;
	return 0;
}

int guesti_prof_blit(struct guest_gen *g)
{
	static const uint32_t sizes[][2] = { { 64, 64 }, { 128, 64 }, { 128, 128 }, { 256, 128 } };
	return build_blit(g, sizes, 4, 6, VA_SURF, 0);
}

int guesti_prof_blit_small(struct guest_gen *g)
{
	static const uint32_t sizes[][2] = { { 32, 32 }, { 64, 32 }, { 64, 64 } };
	return build_blit(g, sizes, 3, 2, VA_SURF + 0x04000000, 1);
}

/* Composition: per frame, window blits and now and then a small draw. */
int guesti_prof_desktop(struct guest_gen *g)
{
	static const char pattern[] = "bbdbbbdb";
	char k = pattern[g->mix++ % (sizeof(pattern) - 1)];
	return k == 'd' ? guesti_prof_3d_small(g) : guesti_prof_blit_small(g);
}
