/* SPDX-License-Identifier: MIT */
/*
 * The `media` profile: H.264 decode on the video engine, shaped like the
 * i965 VA-API driver's batches (../shared/reference/captures/
 * gen9-i965-h264-decode): MI_FLUSH_DW, MFX_PIPE_MODE_SELECT,
 * MFX_SURFACE_STATE, MFX_PIPE_BUF_ADDR_STATE (decoded picture, row-store
 * scratch, reference pictures), MFX_BSP_BUF_BASE_ADDR_STATE, two
 * MFX_QM_STATEs, MFD_AVC_PICID_STATE, MFX_AVC_IMG_STATE,
 * MFX_IND_OBJ_BASE_ADDR_STATE (the bitstream), MFX_AVC_DIRECTMODE_STATE,
 * MFX_AVC_REF_IDX_STATEs, then per slice MFX_AVC_SLICE_STATE and
 * MFD_AVC_BSD_OBJECT; a final MI_FLUSH_DW stores the sequence number.
 * Each frame's bitstream is new data the CPU wrote; decoded pictures
 * rotate through a small DPB.
 */
#include <string.h>

#include "guest/guest_int.h"

static uint32_t lo(uint64_t a) { return (uint32_t)a; }
static uint32_t hi(uint64_t a) { return (uint32_t)(a >> 32) & 0xffffu; }

#define DPB        4            /* decoded picture buffers */
#define SCRATCH    4            /* row-store scratch buffers */

int guesti_prof_media(struct guest_gen *g)
{
	static const uint32_t sizes[][2] = { { 176, 144 }, { 352, 288 }, { 640, 480 }, { 1280, 720 } };
	enum scan_gen gen = g->gen;
	struct cbuf *cb = &g->cb[0];
	/* the stream's resolution is fixed for the generator's life */
	unsigned si = (g->tag >> 4) % 4;
	uint32_t w = sizes[si][0], h = sizes[si][1];
	uint32_t wmb = (w + 15) / 16, hmb = (h + 15) / 16;
	uint32_t pitch = (w + 127) & ~127u;
	uint64_t pic_bytes = page_up((uint64_t)pitch * h * 3 / 2);

	uint64_t dpb[DPB], mv[DPB], scratch[SCRATCH];
	for (unsigned i = 0; i < DPB; i++) {
		dpb[i] = VA_VIDEO + 0x01000000ull * i;
		mv[i] = VA_VIDEO + 0x10000000 + 0x100000ull * i;
		guesti_gen_bo(g, dpb[i], pic_bytes, GUEST_BO_WRITE, NULL, 0);
		guesti_gen_bo(g, mv[i], (uint64_t)wmb * hmb * 64, GUEST_BO_WRITE, NULL, 0);
	}
	for (unsigned i = 0; i < SCRATCH; i++) {
		scratch[i] = VA_VIDEO + 0x20000000 + 0x100000ull * i;
		guesti_gen_bo(g, scratch[i], page_up((uint64_t)wmb * 64 * 2), GUEST_BO_WRITE, NULL, 0);
	}
	/* this frame's bitstream */
	uint32_t slices = guest_rng_range(&g->rng, 1, 8);
	uint32_t bs_bytes = guest_rng_range(&g->rng, 512, 16384 + wmb * hmb * 8);
	uint8_t *bs = guesti_arena_alloc(&g->arena, bs_bytes);
	if (bs) {
		bs[0] = 0, bs[1] = 0, bs[2] = 1, bs[3] = 0x65; /* start code, IDR slice NAL */
		for (uint32_t i = 4; i < bs_bytes; i++)
			bs[i] = (uint8_t)guest_rng_u64(&g->rng);
	}
	uint64_t bsgma = VA_VIDEO + 0x30000000 + 0x100000ull * (g->seq % 2);
	guesti_gen_bo(g, bsgma, page_up(bs_bytes), 0, bs, bs ? bs_bytes : 0);
	unsigned cur = (unsigned)(g->seq % DPB);

	guesti_emit_flush_dw(cb, 1u << 7, 0, false, 0); /* video pipeline cache invalidate */
	{
		uint32_t b[] = { 0x00020202, 0, 0, 0 };
		guesti_emit(cb, gen, C_MFX_PIPE_MODE_SELECT, b, 4);
	}
	{
		uint32_t b[] = { 0, ((h - 1) << 18) | ((w - 1) << 4), 0x48000000 | (pitch - 1) << 3 | 3,
				 h, 0 };
		guesti_emit(cb, gen, C_MFX_SURFACE_STATE, b, 5);
	}
	{
		uint32_t b[60];
		memset(b, 0, sizeof(b));
		b[2] = 2;
		b[3] = lo(dpb[cur]);            /* post-deblocking destination */
		b[4] = hi(dpb[cur]);
		b[5] = 2;
		b[12] = lo(scratch[0]);         /* intra row store */
		b[14] = 2;
		b[15] = lo(scratch[1]);         /* deblocking filter row store */
		b[17] = 2;
		for (unsigned r = 0; r < DPB - 1; r++) /* references */
			b[18 + 2 * r] = lo(dpb[(cur + 1 + r) % DPB]);
		b[50] = 2;
		guesti_emit(cb, gen, C_MFX_PIPE_BUF_ADDR_STATE, b, 60);
	}
	{
		uint32_t b[] = { lo(scratch[2]), 0, 2, lo(scratch[3]), 0, 2, 0, 0, 2 };
		guesti_emit(cb, gen, C_MFX_BSP_BUF_BASE_ADDR_STATE, b, 9);
	}
	for (uint32_t q = 0; q < 2; q++) {
		uint32_t b[17];
		b[0] = q;
		for (unsigned i = 1; i < 13; i++)
			b[i] = 0x10101010;
		b[13] = 0x1e842000, b[14] = 0x000055fb, b[15] = 0xf5b308dd, b[16] = 0x00007fd6;
		guesti_emit(cb, gen, C_MFX_QM_STATE, b, 17);
	}
	{
		uint32_t b[] = { 0, 0x00160015, 0x00000017 };
		guesti_emit(cb, gen, C_MFD_AVC_PICID_STATE, b, 3);
	}
	{
		uint32_t b[] = { wmb * hmb - 1, ((hmb - 1) << 16) | (wmb - 1), 0x1e1e1800, 0x000004d4 };
		guesti_emit(cb, gen, C_MFX_AVC_IMG_STATE, b, 4);
	}
	{
		uint32_t b[] = { lo(bsgma), hi(bsgma), 2 };
		guesti_emit(cb, gen, C_MFX_IND_OBJ_BASE_ADDR_STATE, b, 3);
	}
	{
		uint32_t b[70];
		memset(b, 0, sizeof(b));
		for (unsigned r = 0; r < DPB - 1; r++)
			b[2 * r] = lo(mv[(cur + 1 + r) % DPB]);
		b[32] = 2;
		b[33] = lo(mv[cur]);
		b[35] = 2;
		for (unsigned r = 0; r < 6; r++)
			b[36 + r] = 0x00010004 + 4 * (uint32_t)(g->seq % 64) + (r / 2) * 4;
		guesti_emit(cb, gen, C_MFX_AVC_DIRECTMODE_STATE, b, 70);
	}
	for (uint32_t l = 0; l < 2; l++) {
		uint32_t b[9];
		b[0] = l;
		b[1] = l ? 0xffff2220 : 0xffffff24;
		for (unsigned i = 2; i < 9; i++)
			b[i] = 0xffffffff;
		guesti_emit(cb, gen, C_MFX_AVC_REF_IDX_STATE, b, 9);
	}
	uint32_t mbs = wmb * hmb, per = (mbs + slices - 1) / slices, off = 0;
	for (uint32_t s = 0; s < slices; s++) {
		uint32_t first = s * per, next = first + per < mbs ? first + per : mbs;
		uint32_t len = s + 1 == slices ? bs_bytes - off : bs_bytes / slices;
		uint32_t b1[] = { 1, 0x02010505, 0x200a0000, 0, ((first / wmb) << 24) | (first % wmb) << 16,
				  ((next / wmb) << 24) | (next % wmb) << 16, 0, 0, 0, 0 };
		guesti_emit(cb, gen, C_MFX_AVC_SLICE_STATE, b1, 10);
		uint32_t b2[] = { len, off, 0, 0x00060088, 0 };
		guesti_emit(cb, gen, C_MFD_AVC_BSD_OBJECT, b2, 5);
		off += len;
	}
	uint64_t value, slot = guesti_gen_result(g, &value);
	guesti_emit_flush_dw(cb, 0, slot, false, value);
	guesti_emit_bb_end(cb);
	guesti_cb_align8(cb);
	uint64_t batch = VA_BATCH + 0x02000000 + 0x20000ull * (g->seq % 4);
	guesti_gen_batch_bo(g, cb, batch);
	guesti_gen_ring_start(g, batch);
	g->w.engine = SCAN_VCS;
	g->w.ctx = 0;
	return 0;
}
