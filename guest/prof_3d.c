/* SPDX-License-Identifier: MIT */
/*
 * The `3d` and `compute` profiles: render-engine batches shaped like Mesa
 * iris's (see `vgt decode` of ../shared/reference/captures/gen9-3d and
 * gen9-compute): a 64 KiB batch BO from a small pool near the top of the
 * address space; a preamble of cache flushes, PIPELINE_SELECT, the L3
 * configuration by LRI, STATE_BASE_ADDRESS over iris-like memory zones and
 * the context-wide 3D state; then draws, each re-emitting the dirty
 * vertex, constant and binding-table state before its 3DPRIMITIVE; a final
 * flush and a post-sync write of the sequence number into the result page.
 * Compute batches select the GPGPU pipeline and dispatch GPGPU_WALKERs
 * between MEDIA_VFE_STATE / CURBE / interface-descriptor loads and
 * MEDIA_STATE_FLUSHes.
 */
#include <string.h>

#include "guest/guest_int.h"

#define E(cmd, ...)                                                          \
	do {                                                                 \
		const uint32_t b_[] = { __VA_ARGS__ };                         \
		guesti_emit(cb, gen, cmd, b_, sizeof(b_) / sizeof(b_[0]));            \
	} while (0)
#define E0(cmd) guesti_emit(cb, gen, cmd, NULL, 0)

#define BATCH_BO   (64u << 10)     /* iris's batch buffer size */
#define HEAP_BO    (64u << 10)
#define VA_WORKAROUND 0x0000fffefffff000ull /* iris's workaround BO */

/* Register offsets written by LRI in iris batches. */
#define REG_CS_DEBUG_MODE2 0x20d8u
#define REG_CACHE_MODE_1   0x7004u
#define REG_GT_MODE        0x7008u
#define REG_L3CNTLREG      0x7034u

static uint64_t batch_slot(struct guest_gen *g, unsigned which)
{
	/* a pool of 8 batch BOs, used round-robin (iris's batch BO cache) */
	return VA_BATCH + VA_SLOT_BATCH * ((g->seq * 2 + which) % 8);
}

static uint32_t lo(uint64_t a) { return (uint32_t)a; }
static uint32_t hi(uint64_t a) { return (uint32_t)(a >> 32) & 0xffffu; }

/* The zones STATE_BASE_ADDRESS points at, mapped as BOs; the dynamic
 * state the CPU rewrote for this batch goes in with it. */
static void heap_bos(struct guest_gen *g, unsigned dyn_bytes)
{
	guesti_gen_bo(g, VA_SHADER, HEAP_BO, 0, NULL, 0);
	guesti_gen_bo(g, VA_SURFACE, HEAP_BO, 0, NULL, 0);
	uint32_t *dyn = guesti_arena_alloc(&g->arena, dyn_bytes);
	if (dyn)
		for (unsigned i = 0; i < dyn_bytes / 4; i++)
			dyn[i] = (uint32_t)guest_rng_u64(&g->rng);
	guesti_gen_bo(g, VA_DYNAMIC, HEAP_BO, 0, dyn, dyn ? dyn_bytes : 0);
	guesti_gen_bo(g, VA_WORKAROUND, GPAGE, GUEST_BO_WRITE, NULL, 0);
}

static void emit_sba(struct guest_gen *g, struct cbuf *cb)
{
	enum scan_gen gen = g->gen;
	/* base | MOCS | modify enable, as iris programs it */
	const uint32_t m = 0x41;
	if (gen == SCAN_GEN9)
		E(C_STATE_BASE_ADDRESS, m, 0, 0x00040000,
		  lo(VA_SURFACE) | m, hi(VA_SURFACE), lo(VA_DYNAMIC) | m, hi(VA_DYNAMIC),
		  m, 0, lo(VA_SHADER) | m, hi(VA_SHADER),
		  0xfffff001, 0xfffff001, 0xfffff001, 0xfffff001, m, 0, 0xfffff001);
	else
		E(C_STATE_BASE_ADDRESS, m, 0, 0x00040000,
		  lo(VA_SURFACE) | m, hi(VA_SURFACE), lo(VA_DYNAMIC) | m, hi(VA_DYNAMIC),
		  m, 0, lo(VA_SHADER) | m, hi(VA_SHADER),
		  0xfffff001, 0xfffff001, 0xfffff001, 0xfffff001);
}

/* What iris emits at the top of every render batch. */
static void emit_preamble(struct guest_gen *g, struct cbuf *cb, unsigned pipeline)
{
	enum scan_gen gen = g->gen;
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_RT_FLUSH | PC_DC_FLUSH | PC_DEPTH_CACHE_FLUSH, 0,
			  false, 0);
	guesti_emit_pipe_control(cb, PC_INSTR_CACHE_INV | PC_TEXTURE_CACHE_INV | PC_CONST_CACHE_INV |
				      PC_STATE_CACHE_INV, 0, false, 0);
	uint32_t ps = guesti_gcmd_hdr(C_PIPELINE_SELECT, 1) | pipeline;
	if (gen == SCAN_GEN9)
		ps |= 0x3u << 8; /* mask bits for the pipeline field */
	guesti_cb_cmd(cb, &ps, 1);
	guesti_emit_lri(cb, REG_L3CNTLREG, pipeline == 2 ? 0x00808000u : 0x60000060u);
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_RT_FLUSH | PC_DC_FLUSH | PC_DEPTH_CACHE_FLUSH,
			  VA_WORKAROUND + 0x60, false, 0);
	emit_sba(g, cb);
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_TEXTURE_CACHE_INV | PC_CONST_CACHE_INV |
				      PC_STATE_CACHE_INV, VA_WORKAROUND + 0x60, false, 0);
	if (gen == SCAN_GEN9)
		guesti_emit_lri(cb, REG_CS_DEBUG_MODE2, 0x00100010u);
	guesti_emit_lri(cb, REG_CACHE_MODE_1, 0x02120212u);
}

/* The context-wide 3D state iris emits once per batch. */
static void emit_3d_state(struct guest_gen *g, struct cbuf *cb, unsigned w, unsigned h,
			  uint64_t depth)
{
	enum scan_gen gen = g->gen;
	E(C_3DSTATE_DRAWING_RECTANGLE, 0, ((h - 1) << 16) | (w - 1), 0);
	E(C_3DSTATE_SAMPLE_PATTERN, 0xc75a7599, 0xb3dbad36, 0x2c42816e, 0x10eff408, 0xf1bf173d,
	  0x53d97b95, 0xae2ae662, 0x008844cc);
	E0(C_3DSTATE_AA_LINE_PARAMETERS);
	E0(C_3DSTATE_WM_CHROMAKEY);
	E0(C_3DSTATE_WM_HZ_OP);
	E0(C_3DSTATE_POLY_STIPPLE_OFFSET);
	E(C_3DSTATE_PUSH_CONSTANT_ALLOC_VS, 0x00000006);
	E(C_3DSTATE_PUSH_CONSTANT_ALLOC_HS, 0x00060006);
	E(C_3DSTATE_PUSH_CONSTANT_ALLOC_DS, 0x000c0006);
	E(C_3DSTATE_PUSH_CONSTANT_ALLOC_GS, 0x00120006);
	E(C_3DSTATE_PUSH_CONSTANT_ALLOC_PS, 0x00180008);
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_STALL_AT_SCOREBOARD, 0, false, 0);
	guesti_emit_lri(cb, REG_GT_MODE, 0x03000100u);
	guesti_emit_pipe_control(cb, 0, 0, false, 0);
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_VF_CACHE_INV, VA_WORKAROUND + 0x60, false, 0);
	E(C_3DSTATE_URB_VS, 0x08000040 | guest_rng_range(&g->rng, 0x40, 0x180));
	E(C_3DSTATE_URB_HS, 0x10000000);
	E(C_3DSTATE_URB_DS, 0x10000000);
	E(C_3DSTATE_URB_GS, 0x10000000);
	uint32_t vfs = guesti_gcmd_hdr(C_3DSTATE_VF_STATISTICS, 1) | 1;
	guesti_cb_cmd(cb, &vfs, 1);
	E(C_3DSTATE_MULTISAMPLE, 0);
	E(C_3DSTATE_SAMPLE_MASK, 1);
	E0(C_3DSTATE_HS);
	E0(C_3DSTATE_TE);
	E0(C_3DSTATE_DS);
	E0(C_3DSTATE_GS);
	E0(C_3DSTATE_STREAMOUT);
	E0(C_3DSTATE_CONSTANT_HS);
	E0(C_3DSTATE_CONSTANT_DS);
	E0(C_3DSTATE_CONSTANT_GS);
	E(C_3DSTATE_BINDING_TABLE_POINTERS_HS, 0);
	E(C_3DSTATE_BINDING_TABLE_POINTERS_DS, 0);
	E(C_3DSTATE_BINDING_TABLE_POINTERS_GS, 0);
	E(C_3DSTATE_CLIP, 0x00000400, 0x4404000b, 0x0003ffe0);
	E(C_3DSTATE_SF, 0x00000002, 0x00000000, 0x0a000000);
	E(C_3DSTATE_RASTER, 0x00004000 | guest_rng_below(&g->rng, 4) << 16, 0, 0, 0);
	E(C_3DSTATE_WM, 0x00000200);
	E(C_3DSTATE_PS_EXTRA, 0x80000000);
	E(C_3DSTATE_VIEWPORT_STATE_POINTERS_SF_CLIP, 0x00001240);
	E(C_3DSTATE_VIEWPORT_STATE_POINTERS_CC, 0x00001200);
	E(C_3DSTATE_SCISSOR_STATE_POINTERS, 0x000012c0);
	/* depth/stencil: D32, pitch from the width, at the depth surface BO */
	uint32_t pitch = w * 4 - 1;
	E(C_3DSTATE_DEPTH_BUFFER, 0x14010000 | pitch, lo(depth), hi(depth),
	  ((h - 1) << 19) | ((w - 1) << 4), 0, 0, 0);
	E0(C_3DSTATE_HIER_DEPTH_BUFFER);
	E0(C_3DSTATE_STENCIL_BUFFER);
	E(C_3DSTATE_CLEAR_PARAMS, 0, 1);
	if (gen == SCAN_GEN9)
		E(C_3DSTATE_WM_DEPTH_STENCIL, 0x00000000, 0xffff0000, 0);
	else
		E(C_3DSTATE_WM_DEPTH_STENCIL, 0x00000000, 0xffff0000);
	E(C_3DSTATE_SBE, 0x00200000 | (1u << 22), 0, 0, 0, 0);
	E0(C_3DSTATE_SBE_SWIZ);
}

/* One draw: the dirty per-draw state, then the primitive. */
static void emit_draw(struct guest_gen *g, struct cbuf *cb, uint64_t vb, uint32_t vb_size,
		      uint64_t ib, bool program_change)
{
	enum scan_gen gen = g->gen;
	if (program_change) {
		guesti_emit_pipe_control(cb, PC_CS_STALL | PC_STALL_AT_SCOREBOARD, 0, false, 0);
		uint32_t ksp = (uint32_t)(guest_rng_below(&g->rng, 64) * 0x400);
		E(C_3DSTATE_VS, ksp, 0, 0x00040000, 0, 0, 0x00800010, 0x0000000b | (0x1f << 23), 0);
		E(C_3DSTATE_PS, ksp + 0x200, 0, 0x08050000, 0, 0, 0x00000052 | (0x3f << 23), 0x00060000,
		  0, 0, 0, 0);
		E(C_3DSTATE_PS_BLEND, 0x40000000 | guest_rng_below(&g->rng, 2) << 29);
		E(C_3DSTATE_BLEND_STATE_POINTERS, 0x00001001 + 0x40 * guest_rng_below(&g->rng, 8));
		E(C_3DSTATE_CC_STATE_POINTERS, 0x00001081);
		E(C_3DSTATE_SAMPLER_STATE_POINTERS_PS, 0x00001100 + 0x20 * guest_rng_below(&g->rng, 4));
	}
	/* vertex buffers: 1..3 bindings into the streaming VB */
	unsigned nvb = guest_rng_range(&g->rng, 1, 3);
	uint32_t body[1 + 4 * 3];
	unsigned n = 0;
	for (unsigned i = 0; i < nvb; i++) {
		uint32_t stride = 4 * guest_rng_range(&g->rng, 2, 8);
		uint64_t a = vb + 256u * i;
		body[n++] = (i << 26) | (1u << 14) | (0x2u << 16) | stride; /* index, modify, MOCS, pitch */
		body[n++] = lo(a);
		body[n++] = hi(a);
		body[n++] = vb_size - 256u * i;
	}
	guesti_emit_n(cb, C_3DSTATE_VERTEX_BUFFERS, 1 + n, body, n);
	unsigned nve = guest_rng_range(&g->rng, 1, 4);
	n = 0;
	for (unsigned i = 0; i < nve; i++) {
		body[n++] = ((i % nvb) << 26) | (1u << 25) | (0x0d << 16) | (4 * i); /* valid, R32G32B32_FLOAT */
		body[n++] = 0x11130000;                                      /* components */
	}
	guesti_emit_n(cb, C_3DSTATE_VERTEX_ELEMENTS, 1 + n, body, n);
	for (unsigned i = 0; i < nve; i++)
		E(C_3DSTATE_VF_INSTANCING, i, 0);
	E(C_3DSTATE_VF_SGVS, 0);
	uint32_t topo = guest_rng_below(&g->rng, 4) ? 4 : 5; /* TRILIST / TRISTRIP */
	E(C_3DSTATE_VF_TOPOLOGY, topo);
	if (ib)
		E(C_3DSTATE_INDEX_BUFFER, 0x00000100 | (1u << 8), lo(ib), hi(ib), 0x1000);
	/* push constants: buffer 0 in the dynamic state zone */
	uint64_t cst = VA_DYNAMIC + 0x8000 + 0x40 * guest_rng_below(&g->rng, 64);
	E(C_3DSTATE_CONSTANT_VS, 0x00000001, 0, lo(cst), hi(cst), 0, 0, 0, 0, 0, 0);
	E(C_3DSTATE_CONSTANT_PS, 0x00000002, 0, lo(cst + 0x800), hi(cst + 0x800), 0, 0, 0, 0, 0, 0);
	E(C_3DSTATE_BINDING_TABLE_POINTERS_VS, 0x40 * guest_rng_below(&g->rng, 16));
	E(C_3DSTATE_BINDING_TABLE_POINTERS_PS, 0x400 + 0x40 * guest_rng_below(&g->rng, 16));
	/* the draw */
	uint32_t verts = 3 * guest_rng_range(&g->rng, 1, 200);
	uint32_t inst = guest_rng_below(&g->rng, 8) ? 1 : guest_rng_range(&g->rng, 2, 4);
	E(C_3DPRIMITIVE, (ib ? 1u << 8 : 0) | topo, verts, guest_rng_below(&g->rng, 64), inst, 0, 0);
}

static int build_render(struct guest_gen *g, unsigned min_draws, unsigned max_draws, unsigned ctx)
{
	struct cbuf *cb = &g->cb[0];
	/* the application's framebuffer keeps its size */
	unsigned w = 64u << (g->tag & 3), h = 64u << ((g->tag >> 2) & 3);
	uint64_t depth = VA_SURF + 0x01000000;
	uint64_t rt = VA_SURF;

	heap_bos(g, 256 + 64 * guest_rng_below(&g->rng, 16));
	guesti_gen_bo(g, rt, (uint64_t)w * h * 4, GUEST_BO_WRITE, NULL, 0);
	guesti_gen_bo(g, depth, (uint64_t)w * h * 4, GUEST_BO_WRITE, NULL, 0);
	/* streaming vertex data: a new VB slot now and then (BufferSubData) */
	if (g->vb_serial == 0 || !guest_rng_below(&g->rng, 4))
		g->vb_serial++;
	uint32_t vb_size = GPAGE * guest_rng_range(&g->rng, 1, 8);
	uint64_t vb = VA_VERTEX + 0x100000ull * (g->vb_serial % 16);
	uint32_t *vdata = guesti_arena_alloc(&g->arena, 1024);
	if (vdata)
		for (unsigned i = 0; i < 256; i++)
			vdata[i] = 0x3f800000u ^ (uint32_t)guest_rng_below(&g->rng, 0x10000);
	guesti_gen_bo(g, vb, vb_size, 0, vdata, vdata ? 1024 : 0);
	uint64_t ib = VA_VERTEX + 0x01000000;
	bool indexed = guest_rng_below(&g->rng, 3) == 0;
	if (indexed)
		guesti_gen_bo(g, ib, 2 * GPAGE, 0, NULL, 0);

	emit_preamble(g, cb, 0);
	emit_3d_state(g, cb, w, h, depth);
	unsigned draws = guest_rng_range(&g->rng, min_draws, max_draws);
	for (unsigned d = 0; d < draws; d++)
		emit_draw(g, cb, vb, vb_size, indexed && (d & 1) ? ib : 0,
			  d == 0 || guest_rng_below(&g->rng, 5) == 0);
	guesti_emit_pipe_control(cb, PC_CS_STALL | PC_RT_FLUSH | PC_DEPTH_CACHE_FLUSH, 0, false, 0);
	uint64_t value, slot = guesti_gen_result(g, &value);
	guesti_emit_pipe_control(cb, PC_CS_STALL, slot, false, value);
	guesti_emit_bb_end(cb);
	guesti_cb_align8(cb);

	uint64_t batch = batch_slot(g, 0);
	guesti_gen_bo(g, batch, BATCH_BO > cb_bytes(cb) ? BATCH_BO : page_up(cb_bytes(cb)), GUEST_BO_BATCH,
	       cb->dw, cb_bytes(cb));
	g->w.batch_bytes += cb_bytes(cb);
	g->w.commands += cb->cmds;
	guesti_gen_ring_start(g, batch);
	g->w.engine = SCAN_RCS;
	g->w.ctx = ctx;
	return 0;
}

int guesti_prof_3d(struct guest_gen *g)
{
	return build_render(g, 4, 96, 0);
}

int guesti_prof_3d_small(struct guest_gen *g)
{
	return build_render(g, 1, 4, 1);
}

/* ---------------------------------------------------------------- compute */

int guesti_prof_compute(struct guest_gen *g)
{
	enum scan_gen gen = g->gen;
	struct cbuf *cb = &g->cb[0];
	heap_bos(g, 512);
	/* SSBOs the kernels read and write */
	unsigned nssbo = guest_rng_range(&g->rng, 1, 4);
	for (unsigned i = 0; i < nssbo; i++)
		guesti_gen_bo(g, VA_SURF + 0x100000ull * (i + 8 * (g->seq % 4)),
		       GPAGE * guest_rng_range(&g->rng, 1, 16), GUEST_BO_WRITE, NULL, 0);

	emit_preamble(g, cb, 2);
	unsigned dispatches = guest_rng_range(&g->rng, 1, 12);
	for (unsigned d = 0; d < dispatches; d++) {
		guesti_emit_pipe_control(cb, PC_CS_STALL, 0, false, 0);
		uint32_t threads = guest_rng_range(&g->rng, 16, 167);
		E(C_MEDIA_VFE_STATE, 0, 0, 0x00000280 | (threads << 16), 0, 0x00020004, 0, 0, 0);
		uint32_t curbe = 32 * guest_rng_range(&g->rng, 1, 8);
		E(C_MEDIA_CURBE_LOAD, 0, curbe, 0x40 * guest_rng_below(&g->rng, 32));
		E(C_MEDIA_INTERFACE_DESCRIPTOR_LOAD, 0, 32, 0x800 + 0x20 * guest_rng_below(&g->rng, 8));
		uint32_t gx = guest_rng_range(&g->rng, 1, 64), gy = guest_rng_range(&g->rng, 1, 8);
		uint32_t tw = guest_rng_range(&g->rng, 0, 7);
		E(C_GPGPU_WALKER, 0, 0, 0, 0x40000000 | tw, 0, 0, gx, 0, 0, gy, 0, 1, 0xffffffff,
		  0xffffffff);
		E(C_MEDIA_STATE_FLUSH, 0);
		guesti_emit_pipe_control(cb, PC_CS_STALL | PC_DC_FLUSH, 0, false, 0);
	}
	uint64_t value, slot = guesti_gen_result(g, &value);
	guesti_emit_sdi64(cb, slot, false, value);
	guesti_emit_bb_end(cb);
	guesti_cb_align8(cb);
	uint64_t batch = batch_slot(g, 1);
	guesti_gen_bo(g, batch, BATCH_BO, GUEST_BO_BATCH, cb->dw, cb_bytes(cb));
	g->w.batch_bytes += cb_bytes(cb);
	g->w.commands += cb->cmds;
	guesti_gen_ring_start(g, batch);
	g->w.engine = SCAN_RCS;
	g->w.ctx = 0;
	return 0;
}
