/* SPDX-License-Identifier: MIT */
/*
 * Compatibility: generated batches shaped like what real drivers send must
 * pass `strict` — Mesa's 3D, BLORP blit and compute streams on the render
 * engine (with the query, indirect-draw and transform-feedback register
 * traffic), the i965 media pipeline, IGT-style blitter batches, the VA-API
 * drivers' video batches (with a second-level batch and status-register
 * reads) and MI-only video-enhance batches, on Gen8 and Gen9.  Real captured
 * traffic is checked by test_captures_audit.
 */
#include "tests/test_scanner_audit_util.h"

static struct bb b, b2;

/* A command at its genxml nominal length (or `len` when given), operands
 * zero except the few a test sets afterwards. */
static void nom(struct bb *x, enum scan_gen gen, const char *name, uint32_t len)
{
	const struct scan_cmd_desc *d = scan_table_find(gen, name);

	if (!d)
		fail_msg("%s missing from the gen%d table", name, gen);
	if (!len)
		len = d->len_fixed;
	if (!len)
		fail_msg("%s has no nominal length: give one", name);
	x->dw[x->n++] = hdr(gen, name, len);
	for (uint32_t i = 1; i < len; i++)
		x->dw[x->n++] = 0;
}

static void pipe_control(struct bb *x, enum scan_gen gen, uint32_t dw1, uint64_t addr)
{
	cmd(x, gen, "PIPE_CONTROL", 6, dw1, (uint32_t)addr, (uint32_t)(addr >> 32), 0, 0);
}

static void srm(struct bb *x, enum scan_gen gen, uint32_t reg, uint64_t addr)
{
	cmd(x, gen, "MI_STORE_REGISTER_MEM", 4, reg, (uint32_t)addr, (uint32_t)(addr >> 32));
}

static void lrm(struct bb *x, enum scan_gen gen, uint32_t reg, uint64_t addr)
{
	cmd(x, gen, "MI_LOAD_REGISTER_MEM", 4, reg, (uint32_t)addr, (uint32_t)(addr >> 32));
}

static void passes(enum scan_gen gen, enum scan_engine e, const struct bb *x,
		   const struct bb *second)
{
	struct fx f;

	fx_init(&f, gen, SCAN_POLICY_STRICT);
	fx_map_bb(&f, x);
	if (second)
		fx_map_bb(&f, second);
	const struct scan_result *r = fx_batch(&f, e, x->gma, x->as);
	expect_pass(r);
	assert_true(r->commands > 3);
	fx_done(&f);
}

/* iris: context setup, draws, and the queries of a GL frame. */
static void build_3d(enum scan_gen gen)
{
	uint64_t q = 0xfffe0000ull; /* a query buffer (PPGTT) */

	bb_init(&b, PP, SCAN_AS_PPGTT);
	pipe_control(&b, gen, (1u << 20) | (1u << 1), 0);          /* CS stall */
	nom(&b, gen, "PIPELINE_SELECT", 0);
	lri(&b, gen, 0x7034, 0x60000021);                            /* L3CNTLREG */
	if (gen == SCAN_GEN9) {
		lri(&b, gen, 0x2580, 0x00010001);                    /* CS_CHICKEN1 */
		lri(&b, gen, 0x20d8, 0x00100010);                    /* CS_DEBUG_MODE2 */
		lri(&b, gen, 0x7008, 0x03000100);                    /* GT_MODE */
		lri(&b, gen, 0x7004, 0x02120212);                    /* CACHE_MODE_1 */
	} else {
		lri(&b, gen, 0x20c0, 0x00400040);                    /* INSTPM */
		lri(&b, gen, 0x7004, 0x28002800);
	}
	nom(&b, gen, "STATE_BASE_ADDRESS", 0);
	static const char *const state[] = {
		"3DSTATE_CLIP", "3DSTATE_SF", "3DSTATE_WM", "3DSTATE_PS", "3DSTATE_VS",
		"3DSTATE_URB_VS", "3DSTATE_DEPTH_BUFFER", "3DSTATE_INDEX_BUFFER",
		"3DSTATE_DRAWING_RECTANGLE", "3DSTATE_CONSTANT_VS",
		"3DSTATE_BINDING_TABLE_POINTERS_PS", "3DSTATE_BLEND_STATE_POINTERS",
		"3DSTATE_SO_BUFFER",
	};
	for (unsigned i = 0; i < sizeof(state) / sizeof(state[0]); i++)
		nom(&b, gen, state[i], 0);
	nom(&b, gen, "3DSTATE_VERTEX_BUFFERS", 1 + 4 * 2);
	nom(&b, gen, "3DSTATE_VERTEX_ELEMENTS", 1 + 2 * 3);
	/* occlusion query begin: depth count, timestamp */
	pipe_control(&b, gen, (2u << 14) | (1u << 20), q);
	pipe_control(&b, gen, (3u << 14) | (1u << 20), q + 8);
	for (unsigned i = 0; i < 50; i++)
		nom(&b, gen, "3DPRIMITIVE", 0);
	/* indirect draw */
	lrm(&b, gen, 0x2434, q + 0x100);
	lrm(&b, gen, 0x2438, q + 0x104);
	lrm(&b, gen, 0x2430, q + 0x108);
	lrm(&b, gen, 0x243c, q + 0x10c);
	lrm(&b, gen, 0x2440, q + 0x110);
	nom(&b, gen, "3DPRIMITIVE", 0);
	/* pipeline statistics and transform feedback queries */
	for (uint32_t reg = 0x2300; reg < 0x2350; reg += 8) {
		srm(&b, gen, reg, q + reg);
		srm(&b, gen, reg + 4, q + reg + 4);
	}
	srm(&b, gen, 0x2290, q + 0x290);
	srm(&b, gen, 0x5200, q + 0x200);
	srm(&b, gen, 0x5240, q + 0x240);
	lri(&b, gen, 0x5280, 0);                                     /* SO_WRITE_OFFSET0 */
	srm(&b, gen, 0x2358, q + 0x358);                             /* TIMESTAMP */
	srm(&b, gen, 0x23a8, q + 0x3a8);                             /* CTX_TIMESTAMP */
	/* conditional rendering: GPRs, MI_MATH, predicate */
	lrm(&b, gen, 0x2600, q);
	lrm(&b, gen, 0x2608, q + 8);
	cmd(&b, gen, "MI_MATH", 5, 0x00800000, 0x00800101, 0x05000000, 0x01800020);
	cmd(&b, gen, "MI_LOAD_REGISTER_REG", 3, 0x2600, 0x2400);
	lri(&b, gen, 0x2408, 0);
	lri(&b, gen, 0x240c, 0);
	put(&b, 1, hdr(gen, "MI_PREDICATE", 1) | 0x3);
	cmd(&b, gen, "MI_COPY_MEM_MEM", 5, (uint32_t)q + 0x400, 0, (uint32_t)q, 0);
	cmd(&b, gen, "MI_STORE_DATA_IMM", 4, (uint32_t)q + 0x500, 0, 1);
	cmd(&b, gen, "MI_ATOMIC", 3, (uint32_t)q + 0x600, 0);
	pipe_control(&b, gen, (1u << 14) | (1u << 20), q + 0x700); /* fence write */
	bb_end(&b, gen);
}

static void test_mesa_3d_stream_passes_gen9(void **state)
{
	build_3d(SCAN_GEN9);
	passes(SCAN_GEN9, SCAN_RCS, &b, NULL);
}

static void test_mesa_3d_stream_passes_gen8(void **state)
{
	build_3d(SCAN_GEN8);
	passes(SCAN_GEN8, SCAN_RCS, &b, NULL);
}

/* iris compute: GPGPU pipeline, indirect dispatch from a buffer. */
static void build_compute(enum scan_gen gen)
{
	bb_init(&b, PP, SCAN_AS_PPGTT);
	pipe_control(&b, gen, 1u << 20, 0);
	put(&b, 1, hdr(gen, "PIPELINE_SELECT", 1) | 2);
	nom(&b, gen, "STATE_BASE_ADDRESS", 0);
	nom(&b, gen, "MEDIA_VFE_STATE", 0);
	nom(&b, gen, "MEDIA_CURBE_LOAD", 0);
	nom(&b, gen, "MEDIA_INTERFACE_DESCRIPTOR_LOAD", 0);
	lrm(&b, gen, 0x2500, 0x20000);
	lrm(&b, gen, 0x2504, 0x20004);
	lrm(&b, gen, 0x2508, 0x20008);
	nom(&b, gen, "GPGPU_WALKER", 0);
	nom(&b, gen, "MEDIA_STATE_FLUSH", 0);
	pipe_control(&b, gen, (1u << 20) | (1u << 5), 0);
	bb_end(&b, gen);
}

static void test_mesa_compute_stream_passes(void **state)
{
	build_compute(SCAN_GEN9);
	passes(SCAN_GEN9, SCAN_RCS, &b, NULL);
	build_compute(SCAN_GEN8);
	passes(SCAN_GEN8, SCAN_RCS, &b, NULL);
}

/* i965 media (encode) on the render engine: a chained batch of
 * MEDIA_OBJECTs. */
static void test_i965_media_stream_passes(void **state)
{
	enum scan_gen gen = SCAN_GEN9;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	put(&b, 1, hdr(gen, "PIPELINE_SELECT", 1) | 1);
	nom(&b, gen, "STATE_BASE_ADDRESS", 0);
	nom(&b, gen, "MEDIA_VFE_STATE", 0);
	nom(&b, gen, "MEDIA_CURBE_LOAD", 0);
	nom(&b, gen, "MEDIA_INTERFACE_DESCRIPTOR_LOAD", 0);
	bb_start(&b, gen, PP + 0x10000, true, false);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	for (unsigned i = 0; i < 100; i++) {
		nom(&b2, gen, "MEDIA_OBJECT", 6 + 2);
		nom(&b2, gen, "MEDIA_STATE_FLUSH", 0);
	}
	nom(&b2, gen, "MEDIA_OBJECT_WALKER", 17);
	bb_end(&b2, gen);
	passes(gen, SCAN_RCS, &b, &b2);
}

/* IGT / libdrm blitter batches and Mesa's blitter use. */
static void build_blit(enum scan_gen gen)
{
	bb_init(&b, PP, SCAN_AS_PPGTT);
	lri(&b, gen, 0x22200, 0x00030001); /* BCS_SWCTRL: Y-tiled source */
	for (unsigned i = 0; i < 20; i++) {
		nom(&b, gen, "XY_SETUP_BLT", 0);
		nom(&b, gen, "XY_SRC_COPY_BLT", 0);
		nom(&b, gen, "XY_COLOR_BLT", 0);
	}
	if (gen == SCAN_GEN9)
		nom(&b, gen, "XY_FAST_COPY_BLT", 0);
	lri(&b, gen, 0x22200, 0x00030000);
	cmd(&b, gen, "MI_FLUSH_DW", 4, 0, 0, 0);
	put(&b, 5, hdr(gen, "MI_FLUSH_DW", 5) | (1u << 14), 0x30000, 0, 1, 0); /* PPGTT write */
	srm(&b, gen, 0x22358, 0x30010);  /* BCS timestamp */
	srm(&b, gen, 0x223a8, 0x30018);  /* BCS context timestamp */
	lri(&b, gen, 0x22600, 0);         /* BCS GPR */
	bb_end(&b, gen);
}

static void test_blitter_stream_passes(void **state)
{
	build_blit(SCAN_GEN9);
	passes(SCAN_GEN9, SCAN_BCS, &b, NULL);
	build_blit(SCAN_GEN8);
	passes(SCAN_GEN8, SCAN_BCS, &b, NULL);
}

/* VA-API (i965 / iHD) H.264 decode on the video engine, with a second-level
 * batch and the status-register reads iHD makes. */
static void build_video(enum scan_gen gen)
{
	bb_init(&b, PP, SCAN_AS_PPGTT);
	cmd(&b, gen, "MI_FLUSH_DW", 4, 0, 0, 0);
	nom(&b, gen, "MFX_PIPE_MODE_SELECT", 0);
	nom(&b, gen, "MFX_SURFACE_STATE", 0);
	nom(&b, gen, "MFX_PIPE_BUF_ADDR_STATE", 0);
	nom(&b, gen, "MFX_IND_OBJ_BASE_ADDR_STATE", 0);
	nom(&b, gen, "MFX_BSP_BUF_BASE_ADDR_STATE", 0);
	nom(&b, gen, "MFX_AVC_IMG_STATE", 0);
	nom(&b, gen, "MFX_QM_STATE", 0);
	bb_start(&b, gen, PP + 0x10000, true, true);
	cmd(&b, gen, "MI_FLUSH_DW", 4, 0, 0, 0);
	srm(&b, gen, 0x12800, 0x40000);
	srm(&b, gen, 0x12850, 0x40004);
	srm(&b, gen, 0x12868, 0x40008);
	cmd(&b, gen, "MI_STORE_DATA_IMM", 4, 0x4000c, 0, 1);
	put(&b, 4, hdr(gen, "MI_FLUSH_DW", 4) | (1u << 14), 0x40010, 0, 0);
	bb_end(&b, gen);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	for (unsigned i = 0; i < 10; i++)
		nom(&b2, gen, "MFD_AVC_BSD_OBJECT", 0);
	bb_end(&b2, gen);
}

static void test_video_stream_passes(void **state)
{
	build_video(SCAN_GEN9);
	passes(SCAN_GEN9, SCAN_VCS, &b, &b2);
	build_video(SCAN_GEN8);
	passes(SCAN_GEN8, SCAN_VCS, &b, &b2);
}

/* iHD HEVC decode (Gen9): HCP commands, HCP status reads. */
static void test_hevc_stream_passes(void **state)
{
	enum scan_gen gen = SCAN_GEN9;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	nom(&b, gen, "HCP_PIPE_MODE_SELECT", 0);
	nom(&b, gen, "HCP_SURFACE_STATE", 0);
	nom(&b, gen, "HCP_PIC_STATE", 0);
	nom(&b, gen, "VD_PIPELINE_FLUSH", 0);
	srm(&b, gen, 0x1e900, 0x40000);
	srm(&b, gen, 0x1e904, 0x40004);
	put(&b, 2, hdr(gen, "MI_FORCE_WAKEUP", 2), 0x00010001);
	bb_end(&b, gen);
	passes(gen, SCAN_VCS, &b, NULL);
}

/* The video-enhance engine: MI-only batches (IGT gem_exec_nop). */
static void test_vecs_stream_passes(void **state)
{
	bb_init(&b, PP, SCAN_AS_PPGTT);
	put(&b, 4, 0, 0, 0, 0);
	cmd(&b, SCAN_GEN9, "MI_FLUSH_DW", 4, 0, 0, 0);
	srm(&b, SCAN_GEN9, 0x1a358, 0x1000);
	lri(&b, SCAN_GEN9, 0x1a600, 1);
	bb_end(&b, SCAN_GEN9);
	passes(SCAN_GEN9, SCAN_VECS, &b, NULL);
}

/* The guest kernel's ring: a batch start, flushes, user interrupt, MOCS
 * programming by LRI (as i915 does on Gen9). */
static void test_guest_kernel_ring_passes(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	unsigned n = 0;

	memset(ring, 0, sizeof(ring));
	ring[n++] = hdr(SCAN_GEN9, "MI_LOAD_REGISTER_IMM", 5);
	ring[n++] = 0xc800;
	ring[n++] = 0x3b;
	ring[n++] = 0xb020;
	ring[n++] = 0x0030;
	ring[n++] = hdr(SCAN_GEN9, "PIPE_CONTROL", 6);
	ring[n++] = (1u << 20) | (1u << 14) | (1u << 24);
	ring[n++] = (uint32_t)HID + 0x1000;
	ring[n++] = 0;
	ring[n++] = 7;
	ring[n++] = 0;
	ring[n++] = hdr(SCAN_GEN9, "MI_BATCH_BUFFER_START", 3) | (1u << 8);
	ring[n++] = (uint32_t)PP;
	ring[n++] = (uint32_t)(PP >> 32);
	ring[n++] = hdr(SCAN_GEN9, "MI_USER_INTERRUPT", 1);
	ring[n++] = 0;
	ring[n++] = 0;
	build_compute(SCAN_GEN9);
	fx_init(&f, SCAN_GEN9, SCAN_POLICY_STRICT);
	fx_map(&f, SCAN_AS_GGTT, AP + 0x100000, ring, sizeof(ring));
	fx_map_bb(&f, &b);
	struct scan_ring rd = { AP + 0x100000, 4096, 0, n * 4 };
	const struct scan_result *r = fx_ring(&f, SCAN_RCS, &rd);
	expect_pass(r);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->nevents, 1);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mesa_3d_stream_passes_gen9),
		cmocka_unit_test(test_mesa_3d_stream_passes_gen8),
		cmocka_unit_test(test_mesa_compute_stream_passes),
		cmocka_unit_test(test_i965_media_stream_passes),
		cmocka_unit_test(test_blitter_stream_passes),
		cmocka_unit_test(test_video_stream_passes),
		cmocka_unit_test(test_hevc_stream_passes),
		cmocka_unit_test(test_vecs_stream_passes),
		cmocka_unit_test(test_guest_kernel_ring_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
