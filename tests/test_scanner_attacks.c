/* SPDX-License-Identifier: MIT */
/*
 * One case per attack class of ../shared/reference/security.md, each with
 * the exact reason code it must be refused with (or, where the attack is
 * about mishandling legal input, the pass it must get):
 *   - IGT gen9_exec_parse subtests (basic-rejected, bb-chained,
 *     cmd-crossing-page, batch-without-end, batch-zero-length,
 *     batch-invalid-length, unaligned-access, unaligned-jump, bb-start-cmd,
 *     bb-start-far, bb-large, bb-oversize, secure-batches, shadow-peek);
 *   - the GVT-g fix history (ranges spanning aperture and hidden, status
 *     page index writes, the ring-mode bit, CSFE_CHICKEN1, FORCE_NONPRIV,
 *     double fetch, the unbounded find_bb_size);
 *   - CVE-2019-0155 (blitter register writes) and CVE-2019-0154 (reads with
 *     side effects).
 */
#include "tests/test_scanner_audit_util.h"

#define G9 SCAN_GEN9
#define STRICT SCAN_POLICY_STRICT

static struct bb b, b2;

static void start(uint64_t gma, enum scan_as as)
{
	bb_init(&b, gma, as);
}

static uint16_t run_b(enum scan_engine e)
{
	return scan_one(G9, STRICT, e, &b);
}

/* basic-rejected: privileged commands and registers, every engine. */
static void test_igt_basic_rejected(void **state)
{
	static const enum scan_engine engines[] = { SCAN_RCS, SCAN_BCS, SCAN_VCS, SCAN_VECS };

	for (unsigned i = 0; i < 4; i++) {
		start(PP, SCAN_AS_PPGTT);
		cmd(&b, G9, "MI_STORE_DATA_INDEX", 3, 0, 0);
		bb_end(&b, G9);
		assert_reason(run_b(engines[i]), SCAN_R_FORBIDDEN_CMD);

		start(PP, SCAN_AS_PPGTT);
		put(&b, 3, (0x23u << 23) | 1, (uint32_t)AP, 0); /* MI_UPDATE_GTT */
		bb_end(&b, G9);
		assert_reason(run_b(engines[i]), SCAN_R_FORBIDDEN_CMD);

		start(PP, SCAN_AS_PPGTT);
		put(&b, 1, 0xe0000000u); /* "invalid client 7": no engine decodes it */
		bb_end(&b, G9);
		assert_reason(run_b(engines[i]), SCAN_R_UNKNOWN_CMD);
	}
}

/* bb-chained: a clean batch chains to one that writes a privileged
 * register; the chained batch is scanned like the first. */
static void test_igt_bb_chained(void **state)
{
	struct fx f;

	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x2600, 1);
	bb_start(&b, G9, PP + 0x20000, true, false);
	bb_init(&b2, PP + 0x20000, SCAN_AS_PPGTT);
	lri(&b2, G9, 0x4094, 0); /* a GAM fault register */
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	const struct scan_result *r = fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT);
	expect_reason(r, SCAN_R_REG_PROTECTED);
	assert_int_equal(r->violations[0].gma, PP + 0x20000);
	fx_done(&f);
}

/* cmd-crossing-page: a legal command straddling two pages (separately
 * mapped host pages) must decode whole and pass. */
static void test_igt_cmd_crossing_page(void **state)
{
	static uint32_t p0[1024], p1[1024];
	struct fx f;

	memset(p0, 0, sizeof(p0));
	memset(p1, 0, sizeof(p1));
	p0[1022] = hdr(G9, "MI_LOAD_REGISTER_IMM", 5);
	p0[1023] = 0x2600;
	p1[0] = 1;
	p1[1] = 0x2604;
	p1[2] = 2;
	p1[3] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, p0, sizeof(p0));
	fx_map(&f, SCAN_AS_PPGTT, PP + 4096, p1, sizeof(p1));
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_reason(r, SCAN_R_REG_CROSS_ENGINE); /* RCS GPRs from the blitter */
	fx_done(&f);

	p0[1023] = 0x22600; /* the blitter's own GPRs */
	p1[1] = 0x22604;
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, p0, sizeof(p0));
	fx_map(&f, SCAN_AS_PPGTT, PP + 4096, p1, sizeof(p1));
	expect_pass(fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT));
	fx_done(&f);
}

/* batch-without-end */
static void test_igt_batch_without_end(void **state)
{
	start(PP, SCAN_AS_PPGTT);
	for (unsigned i = 0; i < 64; i++)
		lri(&b, G9, 0x22600, i);
	assert_reason(run_b(SCAN_BCS), SCAN_R_NO_END);
}

/* batch-zero-length: nothing at the batch address. */
static void test_igt_batch_zero_length(void **state)
{
	struct fx f;

	fx_init(&f, G9, STRICT);
	expect_reason(fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT), SCAN_R_UNMAPPED);
	fx_done(&f);
}

/* batch-invalid-length: a length field that runs past the object, and a
 * length a fixed-size command cannot have. */
static void test_igt_batch_invalid_length(void **state)
{
	start(PP, SCAN_AS_PPGTT);
	put(&b, 1, hdr(G9, "MI_LOAD_REGISTER_IMM", 0xff + 2));
	put(&b, 2, 0x22600, 0);
	assert_reason(run_b(SCAN_BCS), SCAN_R_CMD_TRUNCATED);

	start(PP, SCAN_AS_PPGTT);
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 3, 0x22358, 0x1000);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_BAD_LENGTH);
}

/* unaligned-access: register offsets off by 1..4 around allowed ones. */
static void test_igt_unaligned_access(void **state)
{
	for (int d = -4; d <= 4; d++) {
		if (d == 0 || d == 4 || d == -4)
			continue;
		start(PP, SCAN_AS_PPGTT);
		lri(&b, G9, (uint32_t)(0x22200 + d), 0);
		bb_end(&b, G9);
		assert_reason(run_b(SCAN_BCS), SCAN_R_REG_RANGE);
	}
	/* +-4 are other registers: not allow-listed for the blitter. */
	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x22204, 0);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_REG_WRITE);
}

/* unaligned-jump: a jump into the middle of a checked command, whose data
 * dwords decode as something else, is scanned from the jump target. */
static void test_igt_unaligned_jump(void **state)
{
	struct fx f;

	start(PP, SCAN_AS_PPGTT);
	/* An LRI whose value dword is, read as a header, MI_STORE_DATA_INDEX. */
	lri(&b, G9, 0x22600, hdr(G9, "MI_STORE_DATA_INDEX", 3));
	put(&b, 2, 0, 0);
	bb_start(&b, G9, PP + 8, true, false); /* into the LRI's value */
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_reason(r, SCAN_R_FORBIDDEN_CMD);
	assert_int_equal(r->violations[0].gma, PP + 8);
	fx_done(&f);
}

/* bb-start-cmd: a jump back to an earlier command of the same batch is
 * followed (and the scan terminates: the target's shadow is reused).  IGT
 * builds it as a spinner the CPU later ends by writing MI_BATCH_BUFFER_END
 * over the loop; a shadow never sees that write, so the loop as IGT sends
 * it has no way out and is bb-cycle.  With a conditional end in the loop
 * (how a spinner must be written under a shadowing mediator) it passes. */
static void test_igt_bb_start_cmd(void **state)
{
	struct fx f;

	start(PP, SCAN_AS_PPGTT);
	put(&b, 2, 0, 0);
	lri(&b, G9, 0x22600, 1);
	bb_start(&b, G9, PP + 8, true, false);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_reason(r, SCAN_R_BB_CYCLE);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->shadows[1].gma, PP + 8);
	fx_done(&f);

	start(PP, SCAN_AS_PPGTT);
	put(&b, 2, 0, 0);
	cmd(&b, G9, "MI_CONDITIONAL_BATCH_BUFFER_END", 4, 0, (uint32_t)(PP + 0x8000),
	    (uint32_t)(PP >> 32));
	bb_start(&b, G9, PP + 8, true, false);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->shadows[1].gma, PP + 8);
	fx_done(&f);
}

/* bb-start-far: jumps to unmapped memory and outside the vGPU's windows. */
static void test_igt_bb_start_far(void **state)
{
	struct fx f;

	start(PP, SCAN_AS_PPGTT);
	bb_start(&b, G9, 0x7f0000000000ull, true, false);
	assert_reason(run_b(SCAN_BCS), SCAN_R_UNMAPPED);

	start(PP, SCAN_AS_PPGTT);
	bb_start(&b, G9, 0x1000, false, false); /* GGTT, the host's low range */
	bb_init(&b2, 0x1000, SCAN_AS_GGTT);
	bb_end(&b2, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	fx_map_bb(&f, &b2);
	expect_reason(fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT), SCAN_R_GGTT_RANGE);
	fx_done(&f);
}

/* bb-large: offsets near 4 GiB and near the top of the 48-bit space:
 * no 32-bit truncation, no wrap to zero. */
static void test_igt_bb_large(void **state)
{
	static uint32_t lo[1024], hi[1024], zero[1024];
	struct fx f;

	/* A PPGTT batch crossing 4 GiB: must be read across, not wrapped. */
	memset(lo, 0, sizeof(lo));
	memset(hi, 0, sizeof(hi));
	lo[1023] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	hi[0] = 0x22600;
	hi[1] = 1;
	hi[2] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	memset(zero, 0xff, sizeof(zero)); /* what a wrap to 0 would find */
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_PPGTT, 0x100000000ull - 4096, lo, sizeof(lo));
	fx_map(&f, SCAN_AS_PPGTT, 0x100000000ull, hi, sizeof(hi));
	fx_map(&f, SCAN_AS_PPGTT, 0, zero, sizeof(zero));
	expect_pass(fx_batch(&f, SCAN_BCS, 0x100000000ull - 4096, SCAN_AS_PPGTT));
	fx_done(&f);

	/* The same batch in the GGTT at 4 GiB - 4 KiB: outside every window. */
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, 0x100000000ull - 4096, lo, sizeof(lo));
	expect_reason(fx_batch(&f, SCAN_BCS, 0x100000000ull - 4096, SCAN_AS_GGTT),
		      SCAN_R_GGTT_RANGE);
	fx_done(&f);

	/* At the top of the 48-bit space, running off the end: no end, and
	 * no wrap to address 0 (mapped here with garbage). */
	memset(hi, 0, sizeof(hi));
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_PPGTT, (1ull << 48) - 4096, hi, sizeof(hi));
	fx_map(&f, SCAN_AS_PPGTT, 0, zero, sizeof(zero));
	expect_reason(fx_batch(&f, SCAN_BCS, (1ull << 48) - 4096, SCAN_AS_PPGTT), SCAN_R_NO_END);
	fx_done(&f);

	/* A GGTT store whose end overflows 64 bits. */
	start(PP, SCAN_AS_PPGTT);
	put(&b, 5, hdr(G9, "MI_STORE_DATA_IMM", 5) | (1u << 22) | (1u << 21), 0xfffffffcu,
	    0xffffu, 1, 2);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_GGTT_RANGE);
}

/* A view where every address maps to one page of zeros (MI_NOOPs). */
static const void *zeros_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	static const uint32_t page[1024];

	*len = 4096 - (gma & 4095);
	return (const char *)page + (gma & 4095);
}

/* bb-oversize, and GVT-g's unbounded find_bb_size: an endless batch of
 * NOOPs stops at the (default, generous) maximum. */
static void test_igt_bb_oversize(void **state)
{
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = G9 };
	struct scan_mem mem = { zeros_map, NULL };
	struct scan_ctx *s;
	const struct scan_result *r;

	assert_int_equal(scan_new(&cfg, &s), 0);
	assert_int_equal(scan_batch(s, SCAN_BCS, &mem, PP, SCAN_AS_PPGTT, &r), 0);
	expect_reason(r, SCAN_R_BATCH_TOO_LARGE);
	assert_int_equal(r->violations[0].value, SCAN_DEFAULT_MAX_BATCH);
	scan_free(s);
}

/* secure-batches: a GGTT ("privileged") batch gets no exemption. */
static void test_igt_secure_batches(void **state)
{
	struct fx f;

	bb_init(&b, AP + 0x40000, SCAN_AS_GGTT);
	lri(&b, G9, 0x2229c, 0x00010001);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_BCS, b.gma, SCAN_AS_GGTT), SCAN_R_REG_PRIV_DISABLE);
	fx_done(&f);
}

/* shadow-peek: nothing of the guest's past the checked end reaches the
 * shadow the GPU runs. */
static void test_igt_shadow_peek(void **state)
{
	static uint32_t page[1024];
	struct fx f;

	for (unsigned i = 0; i < 1024; i++)
		page[i] = 0x5ec12e7u;
	page[0] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_PPGTT, PP, page, sizeof(page));
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	for (unsigned i = 1; i < r->shadows[0].size / 4; i++)
		assert_int_equal(r->shadows[0].data[i], 0);
	fx_done(&f);
}

/* GVT-g fix: a range spanning the aperture and hidden windows (adjacent
 * here) passed when each end was checked separately. */
static void test_gvt_range_spanning_aperture_and_hidden(void **state)
{
	struct fx f;
	uint64_t seam = 0x40000000;

	start(PP, SCAN_AS_PPGTT);
	put(&b, 5, hdr(G9, "MI_STORE_DATA_IMM", 5) | (1u << 22) | (1u << 21),
	    (uint32_t)(seam - 4), 0, 1, 2);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	f.cfg.part.aperture = (struct scan_window){ seam - 0x10000000, 0x10000000 };
	f.cfg.part.hidden = (struct scan_window){ seam, 0x10000000 };
	fx_map_bb(&f, &b);
	expect_reason(fx_batch(&f, SCAN_RCS, PP, SCAN_AS_PPGTT), SCAN_R_GGTT_RANGE);
	fx_done(&f);
}

/* GVT-g fix: index-mode post-sync writes landed in the host's status page.
 * Beyond 4 KiB they are refused; inside, redirected to the vGPU's page. */
static void test_gvt_hwsp_index_writes(void **state)
{
	struct fx f;

	start(PP, SCAN_AS_PPGTT);
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 21) | (1u << 14), 0x2000, 0, 0);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_HWSP_INDEX);

	start(PP, SCAN_AS_PPGTT);
	put(&b, 4, hdr(G9, "MI_FLUSH_DW", 4) | (1u << 21) | (1u << 14), 0x100, 0, 0);
	bb_end(&b, G9);
	fx_init(&f, G9, STRICT);
	fx_map_bb(&f, &b);
	const struct scan_result *r = fx_batch(&f, SCAN_BCS, PP, SCAN_AS_PPGTT);
	expect_pass(r);
	struct scan_partition p;
	scan_partition_default(&p);
	assert_int_equal(r->shadows[0].data[1], (uint32_t)(p.hwsp[SCAN_BCS] + 0x100) | 4);
	fx_done(&f);
}

/* GVT-g fix (ACRN #3630): the ring-mode bit disabling the privilege check. */
static void test_gvt_ring_mode_bit(void **state)
{
	static const uint32_t base[] = { 0x2000, 0x22000, 0x12000, 0x1a000 };

	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		start(PP, SCAN_AS_PPGTT);
		lri(&b, G9, base[e] + 0x29c, 0xffff0001u);
		bb_end(&b, G9);
		assert_reason(run_b((enum scan_engine)e), SCAN_R_REG_PRIV_DISABLE);
	}
}

/* GVT-g fix: CSFE_CHICKEN1 bits letting one engine reach another's
 * registers. */
static void test_gvt_csfe_chicken1(void **state)
{
	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x20d4, 0x00080008);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_RCS), SCAN_R_REG_CROSS_ENGINE);
}

/* GVT-g fix: FORCE_NONPRIV slots written with a register outside the
 * whitelist (every slot, every engine). */
static void test_gvt_force_nonpriv(void **state)
{
	static const uint32_t base[] = { 0x2000, 0x22000, 0x12000, 0x1a000 };

	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		for (uint32_t slot = 0x4d0; slot < 0x500; slot += 4) {
			start(PP, SCAN_AS_PPGTT);
			lri(&b, G9, base[e] + slot, base[e] + 0x29c); /* RING_MODE */
			bb_end(&b, G9);
			assert_reason(run_b((enum scan_engine)e), SCAN_R_REG_NONPRIV);
		}
	}
}

/* GVT-g fix "double check batch buffer size after copy": the guest rewrites
 * its batch between the size search and the copy.  Here the view serves
 * the attack on any second fetch of a page; the scanner fetches once and
 * decides on its copy. */
struct toctou {
	uint32_t good[1024], evil[1024];
	unsigned fetches;
};

static const void *toctou_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	struct toctou *t = ctx;

	if (gma < PP || gma >= PP + 4096)
		return NULL;
	*len = PP + 4096 - gma;
	return (const char *)(t->fetches++ ? t->evil : t->good) + (gma - PP);
}

static void test_gvt_double_fetch(void **state)
{
	static struct toctou t;
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = G9 };
	struct scan_mem mem = { toctou_map, &t };
	struct scan_ctx *s;
	const struct scan_result *r;

	memset(&t, 0, sizeof(t));
	t.good[0] = hdr(G9, "MI_LOAD_REGISTER_IMM", 3);
	t.good[1] = 0x22600;
	t.good[2] = 1;
	t.good[3] = hdr(G9, "MI_BATCH_BUFFER_END", 1);
	memcpy(t.evil, t.good, sizeof(t.good));
	t.evil[1] = 0x2229c;
	t.evil[2] = 0x00010001;
	assert_int_equal(scan_new(&cfg, &s), 0);
	assert_int_equal(scan_batch(s, SCAN_BCS, &mem, PP, SCAN_AS_PPGTT, &r), 0);
	expect_pass(r);
	assert_int_equal(t.fetches, 1);
	assert_memory_equal(r->shadows[0].data, t.good, 16); /* what runs is what was checked */
	scan_free(s);
}

/* CVE-2019-0155: the blitter reached MMIO through unchecked LRI/LRM. */
static void test_cve_2019_0155_blitter_register_writes(void **state)
{
	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x40e0, 0); /* PPAT: page-table caching control */
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_REG_PROTECTED);

	start(PP, SCAN_AS_PPGTT);
	cmd(&b, G9, "MI_LOAD_REGISTER_MEM", 4, 0x101008, 0x1000, 0);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_REG_PROTECTED);

	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x2580, 0x00010001); /* a render register from the blitter */
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_REG_CROSS_ENGINE);

	start(PP, SCAN_AS_PPGTT);
	lri(&b, G9, 0x22080, 0); /* the blitter's own status page address */
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_REG_PROTECTED);

	start(PP, SCAN_AS_PPGTT); /* what i915's Gen9 blitter whitelist admits */
	lri(&b, G9, 0x22200, 0x00030001);
	lri(&b, G9, 0x22600, 0);
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 4, 0x22358, 0x1000, 0);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_BCS), SCAN_R_NONE);
}

/* CVE-2019-0154: reads have side effects too (power-managed registers). */
static void test_cve_2019_0154_register_reads(void **state)
{
	start(PP, SCAN_AS_PPGTT);
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 4, 0xa188, 0x1000, 0);
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_RCS), SCAN_R_REG_PROTECTED);

	start(PP, SCAN_AS_PPGTT);
	cmd(&b, G9, "MI_STORE_REGISTER_MEM", 4, 0x44008, 0x1000, 0); /* an IIR */
	bb_end(&b, G9);
	assert_reason(run_b(SCAN_RCS), SCAN_R_REG_PROTECTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_igt_basic_rejected),
		cmocka_unit_test(test_igt_bb_chained),
		cmocka_unit_test(test_igt_cmd_crossing_page),
		cmocka_unit_test(test_igt_batch_without_end),
		cmocka_unit_test(test_igt_batch_zero_length),
		cmocka_unit_test(test_igt_batch_invalid_length),
		cmocka_unit_test(test_igt_unaligned_access),
		cmocka_unit_test(test_igt_unaligned_jump),
		cmocka_unit_test(test_igt_bb_start_cmd),
		cmocka_unit_test(test_igt_bb_start_far),
		cmocka_unit_test(test_igt_bb_large),
		cmocka_unit_test(test_igt_bb_oversize),
		cmocka_unit_test(test_igt_secure_batches),
		cmocka_unit_test(test_igt_shadow_peek),
		cmocka_unit_test(test_gvt_range_spanning_aperture_and_hidden),
		cmocka_unit_test(test_gvt_hwsp_index_writes),
		cmocka_unit_test(test_gvt_ring_mode_bit),
		cmocka_unit_test(test_gvt_csfe_chicken1),
		cmocka_unit_test(test_gvt_force_nonpriv),
		cmocka_unit_test(test_gvt_double_fetch),
		cmocka_unit_test(test_cve_2019_0155_blitter_register_writes),
		cmocka_unit_test(test_cve_2019_0154_register_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
