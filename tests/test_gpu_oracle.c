/* SPDX-License-Identifier: MIT */
/* GPU model: the register oracle (gpu/oracle.c), its rows and its default. */
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

static const uint32_t base[GPU_NUM_ENGINES] = { 0x2000, 0x22000, 0x12000, 0x1a000 };

/* 0: the write stays within the vGPU; else the escape's why. */
static int judge(enum gpu_gen gen, enum gpu_engine e, uint32_t reg, uint32_t value)
{
	enum gpu_escape_why why = GPU_WHY_OUTSIDE_WINDOWS;
	int r = gpu_reg_judge(gen, e, reg, value, false, &why);
	assert_true(r == 0 || r == 1);
	if (!r)
		return 0;
	assert_true(why == GPU_WHY_REG_HOST || why == GPU_WHY_REG_SHARED);
	return (int)why;
}

#define ESC_HOST   ((int)GPU_WHY_REG_HOST)
#define ESC_SHARED ((int)GPU_WHY_REG_SHARED)

static void test_ring_buffer_registers_are_the_hosts_on_every_engine(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++)
		for (uint32_t r = 0x30; r < 0x40; r += 4)
			assert_int_equal(judge(GPU_GEN9, (enum gpu_engine)e, base[e] + r, 0), ESC_HOST);
}

static void test_submission_status_page_and_ppgtt_root_registers_are_the_hosts(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
		enum gpu_engine en = (enum gpu_engine)e;
		assert_int_equal(judge(GPU_GEN8, en, base[e] + 0x230, 0), ESC_HOST); /* ELSP */
		assert_int_equal(judge(GPU_GEN8, en, base[e] + 0x080, 0), ESC_HOST); /* HWS_PGA */
		assert_int_equal(judge(GPU_GEN9, en, base[e] + 0x270, 0), ESC_HOST); /* PDP0 */
		assert_int_equal(judge(GPU_GEN9, en, base[e] + 0x140, 0), ESC_HOST); /* BB_ADDR */
	}
}

static void test_gtt_interrupt_reset_power_fence_and_display_registers_are_the_hosts(void **state)
{
	(void)state;
	static const uint32_t regs[] = {
		0x40e0,   /* PPAT (CVE-2019-0155) */
		0x4094,   /* FAULT_REG */
		0x44200,  /* GEN8_MASTER_IRQ */
		0x941c,   /* GDRST */
		0xa188,   /* FORCEWAKE_MT */
		0x100000, /* fence 0 */
		0x101008, /* GFX_FLSH_CNTL */
		0x70180,  /* a display plane control */
		0x78000,  /* PVINFO */
	};
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (unsigned e = 0; e < GPU_NUM_ENGINES; e++)
			assert_int_equal(judge(GPU_GEN9, (enum gpu_engine)e, regs[i], 0), ESC_HOST);
}

static void test_context_registers_stay_within_the_vgpu(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
		assert_int_equal(judge(GPU_GEN9, (enum gpu_engine)e, base[e] + 0x600, 1), 0); /* GPR0 */
		assert_int_equal(judge(GPU_GEN9, (enum gpu_engine)e, base[e] + 0x67c, 1), 0);
		assert_int_equal(judge(GPU_GEN8, (enum gpu_engine)e, base[e] + 0x3a8, 0), 0);
	}
	static const uint32_t rcs[] = { 0x2400, 0x2430, 0x2500, 0x5280, 0x7034, 0x2350 };
	for (unsigned i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++) {
		assert_int_equal(judge(GPU_GEN8, GPU_RCS, rcs[i], 0x12345678), 0);
		assert_int_equal(judge(GPU_GEN9, GPU_RCS, rcs[i], 0x12345678), 0);
	}
	/* masked registers whose every bit is the context's */
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x7004, 0xffffffff), 0); /* CACHE_MODE_1 */
	assert_int_equal(judge(GPU_GEN8, GPU_RCS, 0x7008, 0x03000100), 0); /* GT_MODE */
}

static void test_ring_mode_privilege_bit_is_an_escape_and_an_empty_mask_is_not(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
		uint32_t r = base[e] + 0x29c;
		enum gpu_engine en = (enum gpu_engine)e;
		assert_int_equal(judge(GPU_GEN9, en, r, 0x00010001), ESC_HOST); /* bit 0 */
		assert_int_equal(judge(GPU_GEN9, en, r, 0x00040004), ESC_HOST); /* bit 2 */
		assert_int_equal(judge(GPU_GEN9, en, r, 0xffff0000), ESC_HOST); /* clearing too */
		assert_int_equal(judge(GPU_GEN9, en, r, 0x0000ffff), 0);         /* enables nothing */
	}
}

static void test_csfe_chicken1_cross_engine_bits_are_an_escape(void **state)
{
	(void)state;
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x20d4, 0x00080008), ESC_HOST); /* bit 3 */
	assert_int_equal(judge(GPU_GEN8, GPU_RCS, 0x20d4, 0x00100010), ESC_HOST); /* bit 4 */
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x20d4, 0x00000018), 0);
}

static void test_masked_registers_give_the_context_only_its_own_bits(void **state)
{
	(void)state;
	/* CS_CHICKEN1: preemption granularity, bits 2:0 */
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x2580, 0x00010001), 0);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x2580, 0x00070006), 0);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x2580, 0x00080008), ESC_HOST);
	/* BCS_SWCTRL: Y-tiling selects, bits 1:0 */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x22200, 0x00030003), 0);
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x22200, 0x00040004), ESC_HOST);
}

/* Gen8 vs Gen9: the constant-buffer address-offset bit lives in INSTPM on
 * Gen8 and in CS_DEBUG_MODE2 on Gen9 (genxml). */
static void test_constant_buffer_offset_bit_is_instpm_on_gen8_and_cs_debug_mode2_on_gen9(void **state)
{
	(void)state;
	assert_int_equal(judge(GPU_GEN8, GPU_RCS, 0x20c0, 0x00400040), 0);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x20c0, 0x00400040), ESC_HOST);
	assert_int_equal(judge(GPU_GEN8, GPU_RCS, 0x20c0, 0x02000200), ESC_HOST); /* TLB inval */
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x20d8, 0x00100010), 0);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x20d8, 0x00010001), ESC_HOST);
	assert_int_equal(judge(GPU_GEN8, GPU_RCS, 0x20d8, 0x00100010), ESC_HOST);
}

static void test_force_nonpriv_may_open_only_a_context_register(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
		enum gpu_engine en = (enum gpu_engine)e;
		for (uint32_t slot = 0x4d0; slot < 0x500; slot += 4) {
			uint32_t r = base[e] + slot;
			assert_int_equal(judge(GPU_GEN9, en, r, base[e] + 0x094), 0); /* NOPID */
			assert_int_equal(judge(GPU_GEN9, en, r, base[e] + 0x600), 0); /* a GPR */
			assert_int_equal(judge(GPU_GEN9, en, r, base[e] + 0x29c), ESC_HOST);
			assert_int_equal(judge(GPU_GEN9, en, r, 0x101008), ESC_HOST);
			assert_int_equal(judge(GPU_GEN9, en, r, base[e] + 0x4d0), ESC_HOST);
			assert_int_equal(judge(GPU_GEN9, en, r, (base[e] + 0x600) | 1u << 28), ESC_HOST);
		}
	}
	/* another engine's GPR opens nothing this engine's context owns */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x224d0, 0x2600), ESC_HOST);
}

static void test_another_engines_register_is_an_escape(void **state)
{
	(void)state;
	/* its context registers: shared with whatever runs there */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x2600, 1), ESC_SHARED);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x22600, 1), ESC_SHARED);
	assert_int_equal(judge(GPU_GEN8, GPU_BCS, 0x7034, 0), ESC_SHARED); /* L3CNTLREG */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x2580, 0x00010001), ESC_SHARED);
	assert_int_equal(judge(GPU_GEN9, GPU_RCS, 0x1c600, 1), ESC_SHARED); /* VCS2 block */
	/* its host registers (and host bits) stay the host's */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x2030, 0), ESC_HOST);
	assert_int_equal(judge(GPU_GEN8, GPU_VCS, 0x20c0, 0x02000200), ESC_HOST);
	/* the context bit of its masked register is its context's */
	assert_int_equal(judge(GPU_GEN8, GPU_VCS, 0x20c0, 0x00400040), ESC_SHARED);
}

static void test_engine_timestamp_is_shared(void **state)
{
	(void)state;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++)
		assert_int_equal(judge(GPU_GEN9, (enum gpu_engine)e, base[e] + 0x358, 0), ESC_SHARED);
}

static void test_switched_registers_are_the_vgpus_only_when_the_host_switches_them(void **state)
{
	(void)state;
	enum gpu_escape_why why;
	assert_int_equal(gpu_reg_judge(GPU_GEN9, GPU_RCS, 0xc800, 0x3b, false, &why), 1);
	assert_int_equal(why, GPU_WHY_REG_SHARED);
	assert_int_equal(gpu_reg_judge(GPU_GEN9, GPU_RCS, 0xc800, 0x3b, true, &why), 0);
	assert_int_equal(gpu_reg_judge(GPU_GEN9, GPU_BCS, 0xcc00, 0x3b, true, &why), 0);
	assert_int_equal(gpu_reg_judge(GPU_GEN9, GPU_RCS, 0xb118, 0, true, &why), 0);
	/* MOCS tables are Gen9 registers */
	assert_int_equal(gpu_reg_judge(GPU_GEN8, GPU_RCS, 0xc800, 0x3b, true, &why), 1);
	assert_int_equal(why, GPU_WHY_REG_HOST);
}

/* Default: a register no row names is the host's. */
static void test_a_register_in_no_row_is_the_hosts(void **state)
{
	(void)state;
	struct gpu_reg_fact f;
	static const uint32_t regs[] = { 0x8000, 0x91b8, 0x30000, 0x1fff00, 0x7ffffc };
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_RCS, regs[i], &f), 0);
		assert_null(f.name);
		assert_int_equal(f.owner, GPU_REG_HOST);
		assert_non_null(f.why);
		assert_int_equal(judge(GPU_GEN9, GPU_RCS, regs[i], 0), ESC_HOST);
	}
	/* an unnamed offset inside the engine's own block, too */
	assert_int_equal(judge(GPU_GEN9, GPU_BCS, 0x221fc, 0), ESC_HOST);
}

static void test_fact_names_the_row_and_its_range(void **state)
{
	(void)state;
	struct gpu_reg_fact f;
	assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_VCS, 0x1229c, &f), 0);
	assert_string_equal(f.name, "RING_MODE");
	assert_int_equal(f.owner, GPU_REG_HOST);
	assert_true(f.masked);
	assert_int_equal(f.ctx_bits, 0);
	assert_int_equal(f.first, 0x1229c);
	assert_int_equal(f.last, 0x1229f);
	assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_RCS, 0x7004, &f), 0);
	assert_int_equal(f.owner, GPU_REG_CONTEXT);
	assert_int_equal(f.ctx_bits, 0xffff);
	assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_BCS, 0x224d4, &f), 0);
	assert_true(f.nonpriv);
	assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_RCS, 0x2001, &f), -EINVAL);
	assert_int_equal(gpu_reg_fact(GPU_GEN9, GPU_NUM_ENGINES, 0x2000, &f), -EINVAL);
	assert_int_equal(gpu_reg_judge((enum gpu_gen)7, GPU_RCS, 0x2600, 0, false, NULL), -EINVAL);
}

/* Every row has a reason, lies inside the 2 MiB MMIO space, and no two rows
 * of one (generation, engine) overlap. */
static void test_rows_have_reasons_and_do_not_overlap(void **state)
{
	(void)state;
	size_t n = gpu_reg_rows();
	assert_true(n > 30);
	for (size_t i = 0; i < n; i++) {
		struct gpu_reg_row r;
		assert_int_equal(gpu_reg_row(i, &r), 0);
		assert_non_null(r.name);
		if (!r.why || strlen(r.why) < 15)
			fail_msg("row %s: no reason", r.name);
		assert_true(r.len >= 4 && !(r.len & 3) && !(r.offset & 3));
		assert_true(r.gen8 || r.gen9);
		for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
			if (!(r.engines & (1u << e)))
				continue;
			uint32_t a = r.offset + (r.rel ? base[e] : 0);
			assert_true(a + r.len <= (2u << 20));
			for (size_t j = i + 1; j < n; j++) {
				struct gpu_reg_row q;
				assert_int_equal(gpu_reg_row(j, &q), 0);
				if (!(q.engines & (1u << e)) || !((r.gen8 && q.gen8) || (r.gen9 && q.gen9)))
					continue;
				uint32_t b = q.offset + (q.rel ? base[e] : 0);
				if (a < b + q.len && b < a + r.len)
					fail_msg("rows %s and %s overlap on engine %u", r.name, q.name, e);
			}
		}
	}
	struct gpu_reg_row r;
	assert_int_equal(gpu_reg_row(n, &r), -EINVAL);
}

/* What the guest driver models and the captured drivers write (docs/
 * REGISTERS.md's working set, with the values iris and i965 use) stays
 * within the vGPU. */
static void test_what_real_drivers_write_is_the_contexts(void **state)
{
	(void)state;
	static const struct { enum gpu_gen gen; uint32_t reg, value; } w[] = {
		{ GPU_GEN8, 0x20c0, 0x00400040 }, /* INSTPM bit 6 */
		{ GPU_GEN8, 0x20c0, 0x00400000 },
		{ GPU_GEN9, 0x20d8, 0x00100010 }, /* CS_DEBUG_MODE2 bit 4 */
		{ GPU_GEN9, 0x2580, 0x00010001 }, /* CS_CHICKEN1 */
		{ GPU_GEN9, 0x2580, 0x00010000 },
		{ GPU_GEN8, 0x2500, 64 }, { GPU_GEN9, 0x2508, 1 }, /* GPGPU_DISPATCHDIM */
		{ GPU_GEN9, 0x7004, 0x02120212 }, /* CACHE_MODE_1 */
		{ GPU_GEN8, 0x7004, 0x02120212 },
		{ GPU_GEN9, 0x7008, 0x03000100 }, /* GT_MODE */
		{ GPU_GEN8, 0x7034, 0x60000060 }, /* L3CNTLREG */
		{ GPU_GEN9, 0x7034, 0x00808000 },
	};
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (judge(w[i].gen, GPU_RCS, w[i].reg, w[i].value))
			fail_msg("gen%d 0x%x = 0x%08x: real drivers write it, the oracle calls it an "
				 "escape", w[i].gen, w[i].reg, w[i].value);
}

static void test_gpu_model_doc_lists_every_row(void **state)
{
	(void)state;
	FILE *f = fopen("docs/GPU-MODEL.md", "rb");
	if (!f)
		fail_msg("docs/GPU-MODEL.md missing (run from the repository root)");
	static char doc[1 << 18];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = 0;
	for (size_t i = 0; i < gpu_reg_rows(); i++) {
		struct gpu_reg_row r;
		char needle[80];
		assert_int_equal(gpu_reg_row(i, &r), 0);
		snprintf(needle, sizeof(needle), "| `%s` |", r.name);
		if (!strstr(doc, needle))
			fail_msg("docs/GPU-MODEL.md does not list oracle row %s", r.name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_buffer_registers_are_the_hosts_on_every_engine),
		cmocka_unit_test(test_submission_status_page_and_ppgtt_root_registers_are_the_hosts),
		cmocka_unit_test(test_gtt_interrupt_reset_power_fence_and_display_registers_are_the_hosts),
		cmocka_unit_test(test_context_registers_stay_within_the_vgpu),
		cmocka_unit_test(test_ring_mode_privilege_bit_is_an_escape_and_an_empty_mask_is_not),
		cmocka_unit_test(test_csfe_chicken1_cross_engine_bits_are_an_escape),
		cmocka_unit_test(test_masked_registers_give_the_context_only_its_own_bits),
		cmocka_unit_test(test_constant_buffer_offset_bit_is_instpm_on_gen8_and_cs_debug_mode2_on_gen9),
		cmocka_unit_test(test_force_nonpriv_may_open_only_a_context_register),
		cmocka_unit_test(test_another_engines_register_is_an_escape),
		cmocka_unit_test(test_engine_timestamp_is_shared),
		cmocka_unit_test(test_switched_registers_are_the_vgpus_only_when_the_host_switches_them),
		cmocka_unit_test(test_a_register_in_no_row_is_the_hosts),
		cmocka_unit_test(test_fact_names_the_row_and_its_range),
		cmocka_unit_test(test_rows_have_reasons_and_do_not_overlap),
		cmocka_unit_test(test_what_real_drivers_write_is_the_contexts),
		cmocka_unit_test(test_gpu_model_doc_lists_every_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
