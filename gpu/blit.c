/* SPDX-License-Identifier: MIT */
/*
 * The blitter: XY_SRC_COPY_BLT, XY_COLOR_BLT (all Gen8+ layouts, 64-bit
 * addresses), XY_FAST_COPY_BLT and XY_FAST_COLOR_BLT (Gen9).  Linear, X- and
 * Y-tiled surfaces; 8/16/32 bpp (and 64/128 for the fast blits); raster
 * operations (ROP3) and the 32 bpp alpha/RGB write enables.  Every byte moves
 * through gpui_vmem(), so the isolation monitor sees every row.
 */
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

#define ADDR48(lo, hi) (((uint64_t)((hi) & 0xffff) << 32) | (lo))

enum tiling { T_LINEAR, T_X, T_Y };

struct surf {
	uint64_t base;
	int64_t pitch; /* bytes */
	enum tiling tiling;
	enum gpu_as as;
};

struct blit {
	struct surf dst, src;
	bool has_src;
	uint32_t x1, y1, x2, y2; /* destination rectangle, x2/y2 exclusive */
	uint32_t sx, sy;         /* source top-left */
	unsigned cpp;            /* bytes per pixel */
	uint8_t rop;
	uint8_t color[16];       /* pattern / fill colour, one pixel */
	uint8_t wmask[16];       /* per byte of a pixel: 1 = written */
};

/* Address of byte `bx` of row `y`. */
static uint64_t surf_addr(const struct surf *s, uint64_t bx, uint64_t y)
{
	switch (s->tiling) {
	case T_X: { /* 512 B x 8 rows per 4 KiB tile */
		uint64_t per_row = (uint64_t)s->pitch / 512;
		return s->base + ((y / 8) * per_row + bx / 512) * 4096 + (y % 8) * 512 + bx % 512;
	}
	case T_Y: { /* 128 B x 32 rows, in 16-byte columns */
		uint64_t per_row = (uint64_t)s->pitch / 128;
		return s->base + ((y / 32) * per_row + bx / 128) * 4096 + ((bx % 128) / 16) * 512 +
		       (y % 32) * 16 + bx % 16;
	}
	default:
		return s->base + (uint64_t)((int64_t)y * s->pitch) + bx;
	}
}

/* Bytes contiguous in memory from byte `bx` of a row. */
static uint64_t surf_run(const struct surf *s, uint64_t bx)
{
	switch (s->tiling) {
	case T_X: return 512 - bx % 512;
	case T_Y: return 16 - bx % 16;
	default: return UINT64_MAX;
	}
}

/* Upper bound of the runs a row of `bytes` splits into. */
static uint64_t runs(const struct surf *s, uint32_t bytes)
{
	switch (s->tiling) {
	case T_X: return bytes / 512 + 2;
	case T_Y: return bytes / 16 + 2;
	default: return 1;
	}
}

static void row_io(struct exec *x, const struct surf *s, uint32_t y, uint64_t bx, uint8_t *buf,
		   uint32_t bytes, unsigned flags)
{
	for (uint32_t off = 0; off < bytes;) {
		uint64_t run = surf_run(s, bx + off);
		uint32_t n = run < bytes - off ? (uint32_t)run : bytes - off;
		gpui_vmem(x, s->as, surf_addr(s, bx + off, y), buf + off, n, flags);
		off += n;
	}
}

static uint8_t rop3(uint8_t rop, uint8_t p, uint8_t s, uint8_t d)
{
	uint8_t r = 0;
	for (unsigned i = 0; i < 8; i++)
		if (rop & (1u << i))
			r |= (uint8_t)((i & 4 ? p : ~p) & (i & 2 ? s : ~s) & (i & 1 ? d : ~d));
	return r;
}

static bool rop_uses_dst(uint8_t rop) { return ((rop ^ (rop >> 1)) & 0x55) != 0; }
static bool rop_uses_src(uint8_t rop) { return ((rop ^ (rop >> 2)) & 0x33) != 0; }

static bool grow_rows(struct engine *en, size_t bytes)
{
	if (bytes <= en->rowcap)
		return true;
	uint8_t *a = realloc(en->row[0], bytes), *b;
	if (!a)
		return false;
	en->row[0] = a;
	b = realloc(en->row[1], bytes);
	if (!b)
		return false;
	en->row[1] = b;
	en->rowcap = bytes;
	return true;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return (a && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}

static void do_blit(struct exec *x, struct blit *b)
{
	if (b->x2 <= b->x1 || b->y2 <= b->y1)
		return;
	uint32_t w = b->x2 - b->x1, h = b->y2 - b->y1;
	uint32_t bytes = w * b->cpp; /* w < 2^15, cpp <= 16 */
	gpui_exec_cycles(x, 50 + sat_mul(h, bytes) / 16);
	if (!grow_rows(x->en, bytes)) {
		x->c.unmodelled++;
		return;
	}
	uint8_t *S = x->en->row[0], *D = x->en->row[1];
	bool full = true;
	for (unsigned k = 0; k < b->cpp; k++)
		full &= b->wmask[k];
	bool use_s = b->has_src && rop_uses_src(b->rop);
	bool use_d = rop_uses_dst(b->rop) || !full;
	uint64_t dbx = (uint64_t)b->x1 * b->cpp, sbx = (uint64_t)b->sx * b->cpp;
	/* Overlapping copies within one surface: walk away from the overlap. */
	bool up = use_s && b->src.as == b->dst.as &&
		  surf_addr(&b->dst, dbx, b->y1) > surf_addr(&b->src, sbx, b->sy);
	if (!use_s)
		memset(S, 0, bytes);
	/* Budget per row: its pages, and the contiguous runs of tiled
	 * surfaces (16 bytes each for Y tiling). */
	uint64_t row_steps = 1 + bytes / 4096 + runs(&b->dst, bytes) / 2 +
			     (use_s ? runs(&b->src, bytes) / 2 : 0);
	for (uint32_t i = 0; i < h && !x->stop; i++) {
		uint32_t r = up ? h - 1 - i : i;
		if (!gpui_exec_steps(x, row_steps))
			return;
		if (use_s)
			row_io(x, &b->src, b->sy + r, sbx, S, bytes, 0);
		if (use_d)
			row_io(x, &b->dst, b->y1 + r, dbx, D, bytes, 0);
		if (b->rop == 0xcc && full) {
			memcpy(D, S, bytes);
		} else if (b->rop == 0xf0 && full) {
			for (uint32_t k = 0; k < bytes; k++)
				D[k] = b->color[k % b->cpp];
		} else {
			for (uint32_t k = 0; k < bytes; k++) {
				unsigned c = k % b->cpp;
				if (b->wmask[c])
					D[k] = rop3(b->rop, b->color[c], S[k], D[k]);
			}
		}
		row_io(x, &b->dst, b->y1 + r, dbx, D, bytes, VM_WRITE);
	}
}

static void coords(uint32_t v, uint32_t *xo, uint32_t *yo)
{
	int16_t cx = (int16_t)(v & 0xffff), cy = (int16_t)(v >> 16);
	*xo = cx < 0 ? 0 : (uint32_t)cx; /* negative coordinates clip at 0 */
	*yo = cy < 0 ? 0 : (uint32_t)cy;
}

static void set_color(struct blit *b, const uint32_t *dw, uint32_t n)
{
	for (unsigned k = 0; k < b->cpp; k++) {
		uint32_t d = k / 4 < n ? dw[k / 4] : 0;
		b->color[k] = (uint8_t)(d >> (8 * (k % 4)));
	}
}

/* Legacy XY_* colour depth, bits 25:24 of DW1, and the write enables. */
static void legacy_depth(struct blit *b, uint32_t h, uint32_t d1)
{
	static const unsigned cpp[4] = {1, 2, 2, 4};
	b->cpp = cpp[(d1 >> 24) & 3];
	for (unsigned k = 0; k < b->cpp; k++)
		b->wmask[k] = 1;
	if (b->cpp == 4) {
		b->wmask[3] = !!(h & (1u << 21));                   /* alpha */
		b->wmask[0] = b->wmask[1] = b->wmask[2] = !!(h & (1u << 20)); /* RGB */
	}
}

/* Fast-blit colour depth, bits 26:24 of DW1: 0 if not modelled. */
static unsigned fast_cpp(uint32_t d1)
{
	static const unsigned cpp[8] = {1, 2, 0, 4, 8, 16, 0, 0};
	return cpp[(d1 >> 24) & 7];
}

static enum tiling legacy_tiling(struct exec *x, bool tiled, unsigned swctrl_bit)
{
	if (!tiled)
		return T_LINEAR;
	return (gpui_exec_reg_read(x, R_BCS_SWCTRL) & (1u << swctrl_bit)) ? T_Y : T_X;
}

static bool fast_tiling(unsigned v, enum tiling *t)
{
	switch (v) {
	case 0: *t = T_LINEAR; return true;
	case 1: *t = T_X; return true;
	case 2: *t = T_Y; return true;
	default: return false; /* Tile-64 / Yf / Ys: not modelled */
	}
}

static void pitch_of(struct surf *s, int64_t pitch)
{
	s->pitch = s->tiling == T_LINEAR ? pitch : pitch * 4; /* dwords when tiled */
}

void gpui_blit_exec(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	unsigned op = (h >> 22) & 0x7f;
	bool gen9 = x->g->gen >= GPU_GEN9;
	struct blit b;
	memset(&b, 0, sizeof(b));
	enum gpu_as as = gpui_exec_default_as(x);
	b.dst.as = b.src.as = as;

	switch (op) {
	case 0x50: /* XY_COLOR_BLT: 7 dwords, dst DW4-5, colour DW6 */
		if (len < 7)
			break;
		legacy_depth(&b, h, dw[1]);
		b.rop = (dw[1] >> 16) & 0xff;
		b.dst.tiling = legacy_tiling(x, h & (1u << 11), 0);
		pitch_of(&b.dst, (int16_t)(dw[1] & 0xffff));
		coords(dw[2], &b.x1, &b.y1);
		coords(dw[3], &b.x2, &b.y2);
		b.dst.base = ADDR48(dw[4], dw[5]);
		set_color(&b, dw + 6, 1);
		do_blit(x, &b);
		return;
	case 0x53: /* XY_SRC_COPY_BLT: 10 dwords, dst DW4-5, src DW8-9 */
		if (len < 10)
			break;
		legacy_depth(&b, h, dw[1]);
		b.rop = (dw[1] >> 16) & 0xff;
		b.dst.tiling = legacy_tiling(x, h & (1u << 11), 0);
		b.src.tiling = legacy_tiling(x, h & (1u << 15), 1);
		pitch_of(&b.dst, (int16_t)(dw[1] & 0xffff));
		pitch_of(&b.src, (int16_t)(dw[7] & 0xffff));
		coords(dw[2], &b.x1, &b.y1);
		coords(dw[3], &b.x2, &b.y2);
		coords(dw[6], &b.sx, &b.sy);
		b.dst.base = ADDR48(dw[4], dw[5]);
		b.src.base = ADDR48(dw[8], dw[9]);
		b.has_src = true;
		do_blit(x, &b);
		return;
	case 0x42: /* XY_FAST_COPY_BLT (Gen9): 10 dwords */
		if (!gen9 || len < 10 || !(b.cpp = fast_cpp(dw[1])) ||
		    !fast_tiling((h >> 13) & 3, &b.dst.tiling) ||
		    !fast_tiling((h >> 20) & 3, &b.src.tiling))
			break;
		for (unsigned k = 0; k < b.cpp; k++)
			b.wmask[k] = 1;
		b.rop = 0xcc;
		pitch_of(&b.dst, dw[1] & 0xffff);
		pitch_of(&b.src, dw[7] & 0xffff);
		coords(dw[2], &b.x1, &b.y1);
		coords(dw[3], &b.x2, &b.y2);
		coords(dw[6], &b.sx, &b.sy);
		b.dst.base = ADDR48(dw[4], dw[5]);
		b.src.base = ADDR48(dw[8], dw[9]);
		b.has_src = true;
		do_blit(x, &b);
		return;
	case 0x44: /* XY_FAST_COLOR_BLT (Gen9): dst DW4-5, colour from DW6 */
		if (!gen9 || len < 7 || !(b.cpp = fast_cpp(dw[1])) ||
		    !fast_tiling((h >> 13) & 3, &b.dst.tiling))
			break;
		for (unsigned k = 0; k < b.cpp; k++)
			b.wmask[k] = 1;
		b.rop = 0xf0;
		pitch_of(&b.dst, dw[1] & 0xffff);
		coords(dw[2], &b.x1, &b.y1);
		coords(dw[3], &b.x2, &b.y2);
		b.dst.base = ADDR48(dw[4], dw[5]);
		set_color(&b, dw + 6, len - 6);
		do_blit(x, &b);
		return;
	default:
		break;
	}
	/* Other 2D commands (setup, mono, text, pattern blits) and layouts the
	 * model does not reproduce: timing only. */
	x->c.unmodelled++;
	gpui_exec_cycles(x, 20);
}
