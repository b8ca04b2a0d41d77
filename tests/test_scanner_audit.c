/* SPDX-License-Identifier: MIT */
/*
 * The auditor's rules, one test per rule, each asserting the exact reason
 * code (docs/AUDIT.md).  Batches are built from the command tables' own
 * opcodes and mapped at graphics addresses through a segment memory view.
 */
#include "tests/test_scanner_audit_util.h"

#define G9 SCAN_GEN9
#define G8 SCAN_GEN8
#define STRICT SCAN_POLICY_STRICT
#define GVT SCAN_POLICY_GVT

static struct bb b, b2, b3;

/* A PPGTT batch on gen9 holding one command then MI_BATCH_BUFFER_END. */
static uint16_t one(enum scan_policy pol, enum scan_engine e)
{
	bb_end(&b, G9);
	return scan_one(G9, pol, e, &b);
}

static void start(void)
{
	bb_init(&b, PP, SCAN_AS_PPGTT);
}

/* ------------------------------------------------------------ commands */

static void test_noop_and_end_pass(void **state)
{
	start();
	put(&b, 3, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_unknown_header_is_rejected(void **state)
{
	start();
	put(&b, 1, 0xe0000000u); /* command type 7: no engine decodes it */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_UNKNOWN_CMD);
}

static void test_blitter_command_on_render_is_wrong_engine(void **state)
{
	start();
	cmd(&b, G9, "XY_SRC_COPY_BLT", 10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_WRONG_ENGINE);
}

static void test_pipe_control_on_blitter_is_wrong_engine(void **state)
{
	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, 0, 0, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_WRONG_ENGINE);
}

static void test_store_data_index_is_forbidden(void **state)
{
	start();
	cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_update_gtt_is_forbidden(void **state)
{
	start();
	put(&b, 3, (0x23u << 23) | 1, AP, 0); /* MI_UPDATE_GTT: not in genxml */
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_clflush_is_forbidden(void **state)
{
	start();
	cmd(&b, G9, "MI_CLFLUSH", 3, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_report_perf_count_is_forbidden(void **state)
{
	start();
	cmd(&b, G9, "MI_REPORT_PERF_COUNT", 4, 0x1000, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_semaphore_wait_is_forbidden(void **state)
{
	start();
	cmd(&b, G9, "MI_SEMAPHORE_WAIT", 4, 1, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_set_context_is_forbidden(void **state)
{
	start();
	cmd(&b, G9, "MI_SET_CONTEXT", 2, (uint32_t)AP | 0x100);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_FORBIDDEN_CMD);
}

static void test_set_context_is_unknown_to_gvt(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	cmd(&b, G9, "MI_SET_CONTEXT", 2, (uint32_t)AP | 0x100);
	bb_end(&b, G9);
	fx_init(&f, G9, GVT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_GGTT), SCAN_R_UNKNOWN_CMD);
	fx_done(&f);
}

static void test_copy_mem_mem_ppgtt_passes_strict(void **state)
{
	start();
	cmd(&b, G9, "MI_COPY_MEM_MEM", 5, 0x1000, 0, 0x2000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_copy_mem_mem_is_forbidden_under_gvt(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	cmd(&b, G9, "MI_COPY_MEM_MEM", 5, 0x1000, 0, 0x2000, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, GVT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_GGTT), SCAN_R_FORBIDDEN_CMD);
	fx_done(&f);
}

static void test_copy_mem_mem_ggtt_source_outside_windows_is_rejected(void **state)
{
	start();
	put(&b, 5, hdr(G9, "MI_COPY_MEM_MEM", 5) | (1u << 22), 0x1000, 0, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
}

static void test_conditional_end_ppgtt_passes_strict(void **state)
{
	start();
	cmd(&b, G9, "MI_CONDITIONAL_BATCH_BUFFER_END", 4, 0, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_NONE);
}

static void test_conditional_end_ggtt_is_audited(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_CONDITIONAL_BATCH_BUFFER_END", 4) | (1u << 22), 0, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_GGTT_RANGE);
}

static void test_lrm_with_wrong_length_is_bad_length(void **state)
{
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_MEM", 5, 0x2600, 0x1000, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_LENGTH);
}

static void test_sdi_length_must_match_store_qword(void **state)
{
	start();
	cmd(&b, G9, "MI_STORE_DATA_IMM", 5, 0x1000, 0, 1, 2); /* 5 dwords, Store Qword clear */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_LENGTH);
	start();
	put(&b, 5, hdr(G9, "MI_STORE_DATA_IMM", 5) | (1u << 21), 0x1000, 0, 1, 2);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_atomic_inline_data_needs_eleven_dwords(void **state)
{
	start();
	put(&b, 3, hdr(G9, "MI_ATOMIC", 3) | (1u << 18), 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_LENGTH);
}

static void test_atomic_reserved_data_size_is_bad_field(void **state)
{
	start();
	put(&b, 3, hdr(G9, "MI_ATOMIC", 3) | (3u << 19), 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_FIELD);
}

static void test_flush_dw_of_six_dwords_is_bad_length(void **state)
{
	start();
	cmd(&b, G9, "MI_FLUSH_DW", 6, 0, 0, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_BAD_LENGTH);
}

static void test_pipe_control_of_four_dwords_is_bad_length(void **state)
{
	start();
	cmd(&b, G9, "PIPE_CONTROL", 4, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_LENGTH);
}

/* ----------------------------------------------------------- registers */

static void test_lri_of_allowed_register_passes(void **state)
{
	start();
	lri(&b, G9, 0x7034, 0x60000021); /* L3CNTLREG, what iris writes */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_lri_of_read_only_register_is_reg_write(void **state)
{
	start();
	lri(&b, G9, 0x2358, 0); /* RCS RING_TIMESTAMP: read only */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_WRITE);
}

static void test_lri_of_unlisted_register_is_reg_write(void **state)
{
	start();
	lri(&b, G9, 0x7300, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_WRITE);
}

static void test_srm_of_write_only_register_is_reg_read(void **state)
{
	start();
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 4, 0x7004, 0x1000, 0); /* CACHE_MODE_1 */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_READ);
}

static void test_register_beyond_2mib_is_reg_range(void **state)
{
	start();
	lri(&b, G9, 0x200000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_RANGE);
}

static void test_register_operand_with_reserved_bits_is_reg_range(void **state)
{
	start();
	lri(&b, G9, 0x7034 | 1, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_RANGE);
	start();
	lri(&b, G9, 0x7034 | 0x80000000u, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_RANGE);
}

static void test_lri_of_195_dwords_passes(void **state)
{
	start();
	put(&b, 1, hdr(G9, "MI_LOAD_REGISTER_IMM", 195));
	for (unsigned i = 0; i < 97; i++)
		put(&b, 2, 0x2600 + 4 * (i % 32), i); /* the 16 64-bit CS GPRs */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_lri_with_even_length_is_bad_length(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_LOAD_REGISTER_IMM", 4), 0x2600, 1, 0x2604);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_BAD_LENGTH);
}

static void test_lri_second_pair_is_audited(void **state)
{
	start();
	put(&b, 5, hdr(G9, "MI_LOAD_REGISTER_IMM", 5), 0x2600, 1, 0x101008, 1);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_PROTECTED);
}

static void test_ring_mode_privilege_disable_is_rejected(void **state)
{
	start();
	lri(&b, G9, 0x229c, 0x00010001); /* GFX_MODE bit 0 set, masked */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_PRIV_DISABLE);
	start();
	lri(&b, G9, 0x2229c, 0x00010001); /* the blitter's RING_MODE (base + 0x29c) */
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_REG_PRIV_DISABLE);
}

static void test_ring_mode_bit2_is_privilege_disable_on_gen9_only(void **state)
{
	start();
	lri(&b, G9, 0x1229c, 0x00040004);
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_REG_PRIV_DISABLE);
	bb_init(&b, PP, SCAN_AS_PPGTT);
	lri(&b, G8, 0x1229c, 0x00040004);
	bb_end(&b, G8);
	assert_reason(scan_one(G8, STRICT, SCAN_VCS, &b), SCAN_R_REG_VALUE);
}

static void test_ring_mode_write_changing_nothing_passes(void **state)
{
	start();
	lri(&b, G9, 0x229c, 0x00000001); /* mask half clear: a no-op */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_csfe_chicken1_cross_engine_bits_are_rejected(void **state)
{
	start();
	lri(&b, G9, 0x20d4, 0x00180018);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_CROSS_ENGINE);
}

static void test_force_nonpriv_outside_whitelist_is_rejected(void **state)
{
	start();
	lri(&b, G9, 0x24d0, 0x101008); /* would open GFX_FLSH_CNTL */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_NONPRIV);
}

static void test_force_nonpriv_of_allowed_register_passes(void **state)
{
	start();
	lri(&b, G9, 0x24d4, 0x7034);   /* L3CNTLREG: write-allowed on RCS */
	lri(&b, G9, 0x24d8, 0x2094);   /* RING_NOPID parks an unused slot */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_force_nonpriv_from_memory_is_rejected(void **state)
{
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_MEM", 4, 0x224d0, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_REG_NONPRIV);
}

static void test_masked_bit_outside_row_is_reg_value(void **state)
{
	start();
	lri(&b, G9, 0x20c0, 0x02000200); /* INSTPM TLB invalidate: host's */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_VALUE);
	start();
	lri(&b, G9, 0x20c0, 0x00400040); /* INSTPM bit 6: what Mesa writes */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_lrm_to_restricted_masked_register_is_reg_value(void **state)
{
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_MEM", 4, 0x20c0, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_VALUE);
}

static void test_protected_blocks_are_reg_protected(void **state)
{
	static const uint32_t regs[] = {
		0x101008, /* GTT flush */
		0x40e0,   /* PPAT */
		0x44200,  /* interrupt control */
		0x100000, /* fence 0 */
		0x70180,  /* display plane */
		0x78000,  /* PVINFO */
		0xa188,   /* forcewake */
		0x2080,   /* the engine's own status page address */
		0x2270,   /* PDP: bypasses the shadow page tables */
	};

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		start();
		lri(&b, G9, regs[i], 0);
		assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_PROTECTED);
	}
}

static void test_other_engines_register_is_cross_engine(void **state)
{
	start();
	lri(&b, G9, 0x22200, 0x00010001); /* BCS_SWCTRL from the render engine */
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_CROSS_ENGINE);
	start();
	lri(&b, G9, 0x7034, 0); /* L3CNTLREG from the video engine */
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_REG_CROSS_ENGINE);
}

static void test_lrr_audits_source_and_destination(void **state)
{
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_REG", 3, 0x2600, 0x2608);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_REG", 3, 0x44000, 0x2608);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_PROTECTED);
	start();
	cmd(&b, G9, "MI_LOAD_REGISTER_REG", 3, 0x2600, 0x2358);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_WRITE);
}

static void test_pipe_control_mmio_write_is_audited(void **state)
{
	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, 1u << 23, 0x101008, 0, 1, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_REG_PROTECTED);
	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, 1u << 23, 0x2600, 0, 1, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_gvt_refuses_l3cntlreg_as_gvt_does(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	lri(&b, G9, 0x7034, 0x60000021);
	bb_end(&b, G9);
	fx_init(&f, G9, GVT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_GGTT), SCAN_R_REG_WRITE);
	fx_done(&f);
}

static void test_gvt_refuses_gpr_store_as_gvt_does(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x10000, SCAN_AS_GGTT);
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 4, 0x2600, 0x1000, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, GVT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_GGTT), SCAN_R_REG_READ);
	fx_done(&f);
}

static void test_gvt_skips_ppgtt_batches(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1);
	bb_end(&b, G9);
	fx_init(&f, G9, GVT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_PPGTT);
	expect_pass(r);
	assert_int_equal(r->commands, 0);
	fx_done(&f);
	/* ...unless scan_nonprivbb is set. */
	fx_init(&f, G9, GVT);
	f.cfg.gvt_scan_nonpriv = true;
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, SCAN_AS_PPGTT), SCAN_R_FORBIDDEN_CMD);
	fx_done(&f);
}

/* ----------------------------------------------------------- addresses */

static void test_sdi_ggtt_inside_aperture_passes(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_STORE_DATA_IMM", 4) | (1u << 22), (uint32_t)AP + 0x100, 0, 7);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_sdi_ggtt_outside_windows_is_rejected(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_STORE_DATA_IMM", 4) | (1u << 22), 0x1000, 0, 7);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
}

static void test_sdi_ggtt_qword_ending_past_window_is_rejected(void **state)
{
	uint64_t end = HID + SCAN_DEFAULT_HIDDEN_SIZE - 4;

	start();
	put(&b, 5, hdr(G9, "MI_STORE_DATA_IMM", 5) | (1u << 22) | (1u << 21), (uint32_t)end,
	    (uint32_t)(end >> 32), 1, 2);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
}

static void test_sdi_ppgtt_is_left_to_the_page_tables(void **state)
{
	start();
	cmd(&b, G9, "MI_STORE_DATA_IMM", 4, 0x1000, 0, 7);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_atomic_ggtt_is_audited(void **state)
{
	start();
	put(&b, 3, hdr(G9, "MI_ATOMIC", 3) | (1u << 22), 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
	start();
	put(&b, 3, hdr(G9, "MI_ATOMIC", 3) | (1u << 22) | (2u << 19), (uint32_t)HID, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_NONE);
}

static void test_srm_ggtt_destination_is_audited(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_STORE_REGISTER_MEM", 4) | (1u << 22), 0x2358, 0x1000, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
}

static void test_flush_dw_ggtt_post_sync_is_audited(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 14), 0x1000 | 4, 0, 0);
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_GGTT_RANGE);
	start();
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 14), 0x1000, 0, 0); /* PPGTT */
	assert_reason(one(STRICT, SCAN_BCS), SCAN_R_NONE);
}

static void test_pipe_control_ggtt_post_sync_is_audited(void **state)
{
	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, (1u << 24) | (1u << 14), 0x1000, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_GGTT_RANGE);
}

static void test_pipe_control_index_beyond_page_is_rejected(void **state)
{
	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, (1u << 21) | (1u << 14), 0x1000, 0, 0, 0);
	assert_reason(one(STRICT, SCAN_RCS), SCAN_R_HWSP_INDEX);
}

static void test_flush_dw_index_beyond_page_is_rejected(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 21) | (1u << 14), 0xff8 + 8, 0, 0);
	assert_reason(one(STRICT, SCAN_VCS), SCAN_R_HWSP_INDEX);
}

static void test_pipe_control_index_write_made_absolute(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, (1u << 21) | (1u << 14), 0x80, 0, 5, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	struct scan_partition p;
	scan_partition_default(&p);
	const uint32_t *sh = r->shadows[0].data;
	assert_int_equal(sh[2], (uint32_t)(p.hwsp[SCAN_RCS] + 0x80));
	assert_int_equal(sh[3], 0);
	assert_true(sh[1] & (1u << 24));  /* now a GGTT write */
	assert_false(sh[1] & (1u << 21)); /* no longer index mode */
	assert_int_equal(b.dw[2], 0x80);  /* the guest's copy is untouched */
	assert_int_equal(r->npatches, 1);
	assert_int_equal(r->patches[0].kind, SCAN_PATCH_HWSP);
	fx_done(&f);
}

static void test_flush_dw_index_write_made_absolute(void **state)
{
	struct fx f;

	start();
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 21) | (1u << 14), 0x40, 0, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	f.cfg.part.aperture.base = AP;
	f.cfg.part.aperture.size = 0x1000000;
	f.cfg.part.hidden.base = HID;
	f.cfg.part.hidden.size = 0x1000000;
	f.cfg.part.hwsp[SCAN_VCS] = HID + 0x5000;
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_VCS, b.gma, b.as);
	expect_pass(r);
	const uint32_t *sh = r->shadows[0].data;
	assert_int_equal(sh[1] & ~7u, (uint32_t)(HID + 0x5040));
	assert_true(sh[1] & 4);
	assert_false(sh[0] & (1u << 21));
	fx_done(&f);
}

static void test_index_write_without_a_vgpu_status_page_is_rejected(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, (1u << 21) | (1u << 14), 0x80, 0, 5, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	f.cfg.part.aperture = (struct scan_window){ 0x10000000, 0x1000000 };
	f.cfg.part.hidden = (struct scan_window){ 0x40000000, 0x1000000 };
	f.cfg.part.hwsp[SCAN_RCS] = 0x1000; /* the host's memory, not the vGPU's */
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_R_HWSP_INDEX);
	fx_done(&f);
}

/* ------------------------------------------------------------- batches */

static void test_batch_without_end_is_no_end(void **state)
{
	start();
	put(&b, 4, 0, 0, 0, 0);
	assert_reason(scan_one(G9, STRICT, SCAN_RCS, &b), SCAN_R_NO_END);
}

static void test_unmapped_batch_is_unmapped(void **state)
{
	struct fx f;

	fx_init(&f, G9, STRICT);
	expect_reason(fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT), SCAN_R_UNMAPPED);
	fx_done(&f);
}

static void test_batch_longer_than_maximum_is_too_large(void **state)
{
	struct fx f;

	start();
	for (unsigned i = 0; i < 2048; i++)
		put(&b, 1, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	f.cfg.max_batch_bytes = 4096;
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_R_BATCH_TOO_LARGE);
	fx_done(&f);
}

static void test_command_crossing_end_of_memory_is_truncated(void **state)
{
	start();
	put(&b, 3, hdr(G9, "MI_LOAD_REGISTER_IMM", 5), 0x2600, 1); /* 5 dwords, 3 mapped */
	assert_reason(scan_one(G9, STRICT, SCAN_RCS, &b), SCAN_R_CMD_TRUNCATED);
}

static void test_chained_batch_is_scanned(void **state)
{
	struct fx f;

	start();
	bb_start(&b, G9, PP + 0x10000, true, false);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	cmd(&b2, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1);
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_reason(r, SCAN_R_FORBIDDEN_CMD);
	assert_int_equal(r->violations[0].buffer, SCAN_BUF_BATCH);
	assert_int_equal(r->violations[0].gma, PP + 0x10000);
	fx_done(&f);
}

static void test_chained_start_ends_the_caller(void **state)
{
	struct fx f;

	start();
	bb_start(&b, G9, PP + 0x10000, true, false);
	put(&b, 1, 0xe0000000u); /* never executed: not scanned */
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->shadows[0].bytes, 12);
	fx_done(&f);
}

static void test_second_level_batch_returns_to_caller(void **state)
{
	struct fx f;

	start();
	bb_start(&b, G9, PP + 0x10000, true, true);
	cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1); /* runs after the return */
	bb_end(&b, G9);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_reason(r, SCAN_R_FORBIDDEN_CMD);
	assert_int_equal(r->violations[0].offset, 3);
	fx_done(&f);
}

static void test_batch_start_in_second_level_is_nesting(void **state)
{
	struct fx f;

	start();
	bb_start(&b, G9, PP + 0x10000, true, true);
	bb_end(&b, G9);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	bb_start(&b2, G9, PP + 0x20000, true, false);
	bb_init(&b3, PP + 0x20000, SCAN_AS_PPGTT);
	bb_end(&b3, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	fx_map_bb(&f, &b3);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_reason(r, SCAN_R_BB_NESTING);
	assert_int_equal(r->violations[0].buffer, SCAN_BUF_BATCH2);
	fx_done(&f);
}

static void test_add_offset_batch_start_is_bb_flags(void **state)
{
	start();
	put(&b, 3, hdr(G9, "MI_BATCH_BUFFER_START", 3) | (1u << 8) | (1u << 16), 0x1000, 1);
	assert_reason(scan_one(G9, STRICT, SCAN_RCS, &b), SCAN_R_BB_FLAGS);
}

static void test_batch_start_of_four_dwords_is_bad_length(void **state)
{
	start();
	put(&b, 4, hdr(G9, "MI_BATCH_BUFFER_START", 4) | (1u << 8), 0x1000, 1, 0);
	assert_reason(scan_one(G9, STRICT, SCAN_RCS, &b), SCAN_R_BAD_LENGTH);
}

static void test_predicated_chained_start_scans_the_fall_through(void **state)
{
	struct fx f;

	start();
	put(&b, 3, hdr(G9, "MI_BATCH_BUFFER_START", 3) | (1u << 8) | (1u << 15),
	    (uint32_t)(PP + 0x10000), 1);
	cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1);
	bb_end(&b, G9);
	bb_init(&b2, PP + 0x10000, SCAN_AS_PPGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_R_FORBIDDEN_CMD);
	fx_done(&f);
}

static void test_ggtt_batch_outside_windows_is_rejected(void **state)
{
	struct fx f;

	bb_init(&b, 0x1000, SCAN_AS_GGTT);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_R_GGTT_RANGE);
	fx_done(&f);
}

static void test_ggtt_batch_running_past_its_window_is_rejected(void **state)
{
	struct fx f;
	uint64_t end = AP + SCAN_DEFAULT_APERTURE_SIZE;

	bb_init(&b, end - 8, SCAN_AS_GGTT);
	put(&b, 2, 0, 0);
	bb_init(&b2, end, SCAN_AS_GGTT); /* mapped, but outside the window */
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	expect_reason(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_R_GGTT_RANGE);
	fx_done(&f);
}

static void test_too_many_buffers_is_bb_limit(void **state)
{
	static struct bb chain[8];
	struct fx f;

	fx_init(&f, G9, STRICT);
	f.cfg.max_buffers = 4;
	for (unsigned i = 0; i < 8; i++) {
		bb_init(&chain[i], PP + 0x10000ull * i, SCAN_AS_PPGTT);
		bb_start(&chain[i], G9, PP + 0x10000ull * (i + 1), true, false);
		fx_map_bb(&f, &chain[i]);
	}
	expect_reason(fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT), SCAN_R_BB_LIMIT);
	fx_done(&f);
}

/* (A loop needs a way out to pass: here a conditional end; without one it
 * is bb-cycle, tests/test_scanner_bb_cycle.c.) */
static void test_jump_to_own_start_reuses_the_shadow(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_CONDITIONAL_BATCH_BUFFER_END", 4, 0, (uint32_t)(PP + 0x8000),
	    (uint32_t)(PP >> 32));
	bb_start(&b, G9, PP, true, false);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nshadows, 1);
	assert_int_equal(r->shadows[0].data[5], (uint32_t)r->shadows[0].shadow_gma);
	fx_done(&f);
}

/* ---------------------------------------------------------------- ring */

static void test_ring_with_batch_start_passes_and_is_shadowed(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 0x100, .tail = 0x118 };

	memset(ring, 0, sizeof(ring));
	ring[0x40] = hdr(G9, "MI_BATCH_BUFFER_START", 3);
	ring[0x41] = (uint32_t)(AP + 0x200000);
	ring[0x42] = 0;
	ring[0x43] = hdr(G9, "MI_USER_INTERRUPT", 1);
	bb_init(&b, AP + 0x200000, SCAN_AS_GGTT);
	lri(&b, G9, 0x7034, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_ring(&f, SCAN_RCS, &rd);
	expect_pass(r);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->shadows[0].kind, SCAN_BUF_RING);
	assert_int_equal(r->shadows[0].bytes, 0x18);
	assert_int_equal(r->shadows[1].kind, SCAN_BUF_BATCH);
	assert_int_equal(r->shadows[1].gma, AP + 0x200000);
	/* The ring's batch start now points at the shadow batch. */
	assert_int_equal(r->shadows[0].data[1], (uint32_t)r->shadows[1].shadow_gma);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_USER_INTERRUPT);
	assert_int_equal(r->shadows[0].data[3], 0);
	fx_done(&f);
}

static void test_ring_wrapping_around_its_end_is_scanned(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 4096 - 8, .tail = 8 };

	memset(ring, 0, sizeof(ring));
	/* One LRI of 3 dwords + SDI index 0 split across the wrap. */
	ring[1022] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	ring[1023] = 0x101008; /* protected: must be seen across the wrap */
	ring[0] = 0;
	ring[1] = 0;
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	const struct scan_result *r = fx_ring(&f, SCAN_RCS, &rd);
	expect_reason(r, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->violations[0].gma, rd.start + 4096 - 8);
	fx_done(&f);
}

static void test_ring_outside_windows_is_ring_range(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = 0x10000, .size = 4096, .head = 0, .tail = 8 };

	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	expect_reason(fx_ring(&f, SCAN_RCS, &rd), SCAN_R_RING_RANGE);
	fx_done(&f);
}

static void test_ring_with_bad_geometry_is_ring_range(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring bad[] = {
		{ .start = AP + 0x100800, .size = 4096, .head = 0, .tail = 8 },   /* unaligned */
		{ .start = AP + 0x100000, .size = 4000, .head = 0, .tail = 8 },   /* size */
		{ .start = AP + 0x100000, .size = 4096, .head = 4096, .tail = 8 },/* head */
		{ .start = AP + 0x100000, .size = 4096, .head = 0, .tail = 6 },   /* tail */
	};

	for (unsigned i = 0; i < 4; i++) {
		fx_init(&f, G9, STRICT);
		fx_map(&f, SCAN_AS_GGTT, AP + 0x100000, ring, sizeof(ring));
		expect_reason(fx_ring(&f, SCAN_RCS, &bad[i]), SCAN_R_RING_RANGE);
		fx_done(&f);
	}
}

static void test_ring_command_crossing_tail_is_truncated(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 0, .tail = 8 };

	memset(ring, 0, sizeof(ring));
	ring[0] = 0;
	ring[1] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	expect_reason(fx_ring(&f, SCAN_RCS, &rd), SCAN_R_CMD_TRUNCATED);
	fx_done(&f);
}

static void test_empty_ring_passes(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 64, .tail = 64 };

	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	const struct scan_result *r = fx_ring(&f, SCAN_RCS, &rd);
	expect_pass(r);
	assert_int_equal(r->commands, 0);
	fx_done(&f);
}

static void test_second_level_start_from_ring_is_nesting(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 0, .tail = 16 };

	memset(ring, 0, sizeof(ring));
	ring[0] = hdr(G9, "MI_BATCH_BUFFER_START", 3) | (1u << 22) | (1u << 8);
	ring[1] = 0x10000;
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	expect_reason(fx_ring(&f, SCAN_RCS, &rd), SCAN_R_BB_NESTING);
	fx_done(&f);
}

static void test_batch_end_in_ring_is_nesting(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 0, .tail = 8 };

	memset(ring, 0, sizeof(ring));
	ring[0] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	expect_reason(fx_ring(&f, SCAN_RCS, &rd), SCAN_R_BB_NESTING);
	fx_done(&f);
}

/* ---------------------------------------------------- events and patches */

static void test_user_interrupt_becomes_noop_and_event(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_USER_INTERRUPT", 1);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_VCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_USER_INTERRUPT);
	assert_int_equal(r->shadows[0].data[0], 0);
	assert_int_equal(r->npatches, 1);
	assert_int_equal(r->patches[0].kind, SCAN_PATCH_NOOP);
	fx_done(&f);
}

static void test_notify_bits_become_events(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "PIPE_CONTROL", 6, 1u << 8, 0, 0, 0, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_PIPE_CONTROL_NOTIFY);
	fx_done(&f);

	start();
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 8), 0, 0, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	r = fx_batch(&f, SCAN_BCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_FLUSH_DW_NOTIFY);
	fx_done(&f);
}

static void test_display_flip_becomes_noops_and_event(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_DISPLAY_FLIP", 3, 0x1000, (uint32_t)AP);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_DISPLAY_FLIP);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(r->shadows[0].data[i], 0);
	fx_done(&f);
}

static void test_wait_for_event_becomes_noop_and_event(void **state)
{
	struct fx f;

	start();
	put(&b, 1, hdr(G9, "MI_WAIT_FOR_EVENT", 1) | (1u << 1));
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->nevents, 1);
	assert_int_equal(r->events[0].kind, SCAN_EV_WAIT_FOR_EVENT);
	assert_int_equal(r->events[0].value, 1u << 1);
	assert_int_equal(r->shadows[0].data[0], 0);
	fx_done(&f);
}

static void test_load_scan_lines_becomes_noops(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_LOAD_SCAN_LINES_INCL", 2, 0x00100020);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	expect_pass(r);
	assert_int_equal(r->shadows[0].data[0], 0);
	assert_int_equal(r->shadows[0].data[1], 0);
	fx_done(&f);
}

/* ------------------------------------------------------------ policies */

static void test_audit_policy_reports_but_never_rejects(void **state)
{
	struct fx f;

	start();
	cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0x40, 1);
	lri(&b, G9, 0x101008, 0);
	lri(&b, G9, 0x229c, 0x00010001);
	bb_end(&b, G9);
	fx_init(&f, G9, SCAN_POLICY_AUDIT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_true(r->pass);
	assert_int_equal(r->nviolations, 3);
	assert_int_equal(r->violations[0].reason, SCAN_R_FORBIDDEN_CMD);
	assert_int_equal(r->violations[1].reason, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->violations[2].reason, SCAN_R_REG_PRIV_DISABLE);
	fx_done(&f);
}

/* MI_UPDATE_GTT is not in genxml but its length rule is known: a report-only
 * scan keeps it in the shadow and walks on, so the GPU model's monitor can
 * confirm the GTT write the auditor predicted. */
static void test_audit_policy_keeps_update_gtt_in_the_shadow(void **state)
{
	struct fx f;

	start();
	put(&b, 4, (0x23u << 23) | 2, 0x1000, 3, 0); /* MI_UPDATE_GTT, one entry */
	lri(&b, G9, 0x101008, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, SCAN_POLICY_AUDIT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_true(r->pass);
	assert_int_equal(r->nviolations, 2);
	assert_int_equal(r->violations[0].reason, SCAN_R_FORBIDDEN_CMD);
	assert_int_equal(r->violations[1].reason, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->shadows[0].data[0], (0x23u << 23) | 2);
	assert_int_equal(r->shadows[0].data[1], 0x1000);
	fx_done(&f);

	/* strict stops at it */
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_false(r->pass);
	assert_int_equal(r->nviolations, 1);
	assert_int_equal(r->first_reason, SCAN_R_FORBIDDEN_CMD);
	fx_done(&f);
}

static void test_first_violation_stops_by_default(void **state)
{
	struct fx f;

	start();
	lri(&b, G9, 0x101008, 0);
	lri(&b, G9, 0x229c, 0x00010001);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_false(r->pass);
	assert_int_equal(r->nviolations, 1);
	fx_done(&f);
}

static void test_all_violations_collects_every_one(void **state)
{
	struct fx f;

	start();
	lri(&b, G9, 0x101008, 0);
	lri(&b, G9, 0x229c, 0x00010001);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	f.cfg.all_violations = true;
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_false(r->pass);
	assert_int_equal(r->nviolations, 2);
	assert_int_equal(r->first_reason, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->violations[1].offset, 3);
	fx_done(&f);
}

static void test_violation_carries_context(void **state)
{
	struct fx f;

	start();
	put(&b, 2, 0, 0);
	lri(&b, G9, 0x101008, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, b.gma, b.as);
	assert_int_equal(r->nviolations, 1);
	const struct scan_violation *v = &r->violations[0];
	assert_int_equal(v->buffer, SCAN_BUF_BATCH);
	assert_int_equal(v->as, SCAN_AS_PPGTT);
	assert_int_equal(v->offset, 2);
	assert_int_equal(v->gma, PP + 8);
	assert_string_equal(v->command, "MI_LOAD_REGISTER_IMM");
	assert_int_equal(v->value, 0x101008);
	assert_non_null(strstr(v->message, "0x101008"));
	fx_done(&f);
}

static void test_reason_names_are_unique_and_parse(void **state)
{
	for (unsigned i = 0; i < SCAN_R_COUNT; i++) {
		enum scan_reason back;

		assert_non_null(scan_reason_name((enum scan_reason)i));
		assert_non_null(scan_reason_desc((enum scan_reason)i));
		assert_int_equal(scan_reason_parse(scan_reason_name((enum scan_reason)i), &back), 0);
		assert_int_equal(back, i);
	}
	assert_null(scan_reason_name(SCAN_R_COUNT));
}

static void test_policy_names_parse(void **state)
{
	enum scan_policy p;

	assert_int_equal(scan_policy_parse("gvt", &p), 0);
	assert_int_equal(p, SCAN_POLICY_GVT);
	assert_int_equal(scan_policy_parse("strict", &p), 0);
	assert_int_equal(p, SCAN_POLICY_STRICT);
	assert_int_equal(scan_policy_parse("audit", &p), 0);
	assert_int_equal(p, SCAN_POLICY_AUDIT);
	assert_int_equal(scan_policy_parse("lax", &p), -EINVAL);
}

static void test_bad_config_is_einval(void **state)
{
	struct scan_config c = { .sz = sizeof(c), .gen = (enum scan_gen)7 };
	struct scan_ctx *s = NULL;

	assert_int_equal(scan_new(&c, &s), -EINVAL);
	c.gen = SCAN_GEN9;
	c.sz = 4;
	assert_int_equal(scan_new(&c, &s), -EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noop_and_end_pass),
		cmocka_unit_test(test_unknown_header_is_rejected),
		cmocka_unit_test(test_blitter_command_on_render_is_wrong_engine),
		cmocka_unit_test(test_pipe_control_on_blitter_is_wrong_engine),
		cmocka_unit_test(test_store_data_index_is_forbidden),
		cmocka_unit_test(test_update_gtt_is_forbidden),
		cmocka_unit_test(test_clflush_is_forbidden),
		cmocka_unit_test(test_report_perf_count_is_forbidden),
		cmocka_unit_test(test_semaphore_wait_is_forbidden),
		cmocka_unit_test(test_set_context_is_forbidden),
		cmocka_unit_test(test_set_context_is_unknown_to_gvt),
		cmocka_unit_test(test_copy_mem_mem_ppgtt_passes_strict),
		cmocka_unit_test(test_copy_mem_mem_is_forbidden_under_gvt),
		cmocka_unit_test(test_copy_mem_mem_ggtt_source_outside_windows_is_rejected),
		cmocka_unit_test(test_conditional_end_ppgtt_passes_strict),
		cmocka_unit_test(test_conditional_end_ggtt_is_audited),
		cmocka_unit_test(test_lrm_with_wrong_length_is_bad_length),
		cmocka_unit_test(test_sdi_length_must_match_store_qword),
		cmocka_unit_test(test_atomic_inline_data_needs_eleven_dwords),
		cmocka_unit_test(test_atomic_reserved_data_size_is_bad_field),
		cmocka_unit_test(test_flush_dw_of_six_dwords_is_bad_length),
		cmocka_unit_test(test_pipe_control_of_four_dwords_is_bad_length),
		cmocka_unit_test(test_lri_of_allowed_register_passes),
		cmocka_unit_test(test_lri_of_read_only_register_is_reg_write),
		cmocka_unit_test(test_lri_of_unlisted_register_is_reg_write),
		cmocka_unit_test(test_srm_of_write_only_register_is_reg_read),
		cmocka_unit_test(test_register_beyond_2mib_is_reg_range),
		cmocka_unit_test(test_register_operand_with_reserved_bits_is_reg_range),
		cmocka_unit_test(test_lri_of_195_dwords_passes),
		cmocka_unit_test(test_lri_with_even_length_is_bad_length),
		cmocka_unit_test(test_lri_second_pair_is_audited),
		cmocka_unit_test(test_ring_mode_privilege_disable_is_rejected),
		cmocka_unit_test(test_ring_mode_bit2_is_privilege_disable_on_gen9_only),
		cmocka_unit_test(test_ring_mode_write_changing_nothing_passes),
		cmocka_unit_test(test_csfe_chicken1_cross_engine_bits_are_rejected),
		cmocka_unit_test(test_force_nonpriv_outside_whitelist_is_rejected),
		cmocka_unit_test(test_force_nonpriv_of_allowed_register_passes),
		cmocka_unit_test(test_force_nonpriv_from_memory_is_rejected),
		cmocka_unit_test(test_masked_bit_outside_row_is_reg_value),
		cmocka_unit_test(test_lrm_to_restricted_masked_register_is_reg_value),
		cmocka_unit_test(test_protected_blocks_are_reg_protected),
		cmocka_unit_test(test_other_engines_register_is_cross_engine),
		cmocka_unit_test(test_lrr_audits_source_and_destination),
		cmocka_unit_test(test_pipe_control_mmio_write_is_audited),
		cmocka_unit_test(test_gvt_refuses_l3cntlreg_as_gvt_does),
		cmocka_unit_test(test_gvt_refuses_gpr_store_as_gvt_does),
		cmocka_unit_test(test_gvt_skips_ppgtt_batches),
		cmocka_unit_test(test_sdi_ggtt_inside_aperture_passes),
		cmocka_unit_test(test_sdi_ggtt_outside_windows_is_rejected),
		cmocka_unit_test(test_sdi_ggtt_qword_ending_past_window_is_rejected),
		cmocka_unit_test(test_sdi_ppgtt_is_left_to_the_page_tables),
		cmocka_unit_test(test_atomic_ggtt_is_audited),
		cmocka_unit_test(test_srm_ggtt_destination_is_audited),
		cmocka_unit_test(test_flush_dw_ggtt_post_sync_is_audited),
		cmocka_unit_test(test_pipe_control_ggtt_post_sync_is_audited),
		cmocka_unit_test(test_pipe_control_index_beyond_page_is_rejected),
		cmocka_unit_test(test_flush_dw_index_beyond_page_is_rejected),
		cmocka_unit_test(test_pipe_control_index_write_made_absolute),
		cmocka_unit_test(test_flush_dw_index_write_made_absolute),
		cmocka_unit_test(test_index_write_without_a_vgpu_status_page_is_rejected),
		cmocka_unit_test(test_batch_without_end_is_no_end),
		cmocka_unit_test(test_unmapped_batch_is_unmapped),
		cmocka_unit_test(test_batch_longer_than_maximum_is_too_large),
		cmocka_unit_test(test_command_crossing_end_of_memory_is_truncated),
		cmocka_unit_test(test_chained_batch_is_scanned),
		cmocka_unit_test(test_chained_start_ends_the_caller),
		cmocka_unit_test(test_second_level_batch_returns_to_caller),
		cmocka_unit_test(test_batch_start_in_second_level_is_nesting),
		cmocka_unit_test(test_add_offset_batch_start_is_bb_flags),
		cmocka_unit_test(test_batch_start_of_four_dwords_is_bad_length),
		cmocka_unit_test(test_predicated_chained_start_scans_the_fall_through),
		cmocka_unit_test(test_ggtt_batch_outside_windows_is_rejected),
		cmocka_unit_test(test_ggtt_batch_running_past_its_window_is_rejected),
		cmocka_unit_test(test_too_many_buffers_is_bb_limit),
		cmocka_unit_test(test_jump_to_own_start_reuses_the_shadow),
		cmocka_unit_test(test_ring_with_batch_start_passes_and_is_shadowed),
		cmocka_unit_test(test_ring_wrapping_around_its_end_is_scanned),
		cmocka_unit_test(test_ring_outside_windows_is_ring_range),
		cmocka_unit_test(test_ring_with_bad_geometry_is_ring_range),
		cmocka_unit_test(test_ring_command_crossing_tail_is_truncated),
		cmocka_unit_test(test_empty_ring_passes),
		cmocka_unit_test(test_second_level_start_from_ring_is_nesting),
		cmocka_unit_test(test_batch_end_in_ring_is_nesting),
		cmocka_unit_test(test_user_interrupt_becomes_noop_and_event),
		cmocka_unit_test(test_notify_bits_become_events),
		cmocka_unit_test(test_display_flip_becomes_noops_and_event),
		cmocka_unit_test(test_wait_for_event_becomes_noop_and_event),
		cmocka_unit_test(test_load_scan_lines_becomes_noops),
		cmocka_unit_test(test_audit_policy_reports_but_never_rejects),
		cmocka_unit_test(test_audit_policy_keeps_update_gtt_in_the_shadow),
		cmocka_unit_test(test_first_violation_stops_by_default),
		cmocka_unit_test(test_all_violations_collects_every_one),
		cmocka_unit_test(test_violation_carries_context),
		cmocka_unit_test(test_reason_names_are_unique_and_parse),
		cmocka_unit_test(test_policy_names_parse),
		cmocka_unit_test(test_bad_config_is_einval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
