/* SPDX-License-Identifier: MIT */
/*
 * The `hostile` profile: a guest that cycles through the attack classes of
 * the auditor's corpus (tests/test_scanner_attacks.c, tests/cases/,
 * docs/AUDIT.md: IGT gen9_exec_parse, the GVT-g fix history, CVE-2019-0155
 * and CVE-2019-0154) and through attacks on the structures the mediator
 * reads before scanning (descriptor, context image, ring, PPGTT root),
 * with one to three legal workloads between attacks.  Each attack carries
 * the rejection reason it must get (enum med_reject: scanner reasons
 * below MED_RJ_MEDIATOR, the mediator's own above), or, for work the
 * auditor admits because it cannot prove it endless, that the scheduler's
 * watchdog must stop it (issue 16: a looping batch must not starve the
 * neighbours).
 */
#include <string.h>

#include "guest/guest_int.h"

#define VA_ATTACK 0x0000600000000000ull /* nothing else is ever mapped near it */

static uint32_t lo(uint64_t a) { return (uint32_t)a; }
static uint32_t hi(uint64_t a) { return (uint32_t)(a >> 32) & 0xffffu; }

typedef void (*attack_fn)(struct guest_gen *g, struct cbuf *cb, uint64_t a);

struct attack {
	const char *name;
	uint16_t expect;             /* enum med_reject */
	enum scan_engine engine;
	attack_fn build;             /* fills the batch at `a` (or the ring) */
	bool ring;                   /* the attack is in the ring itself */
	enum guest_ctx_attack ctx;   /* an attack on the driver's structures */
	enum guest_expect outcome;   /* rejection (expect) or the watchdog */
};

static void lri(struct cbuf *cb, uint32_t reg, uint32_t val)
{
	guesti_emit_lri(cb, reg, val);
	guesti_emit_bb_end(cb);
}

/* --- forbidden and unknown commands (IGT basic-rejected) --- */
static void a_store_data_index(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[] = { 0x40, 1 };
	guesti_emit_n(cb, C_MI_STORE_DATA_INDEX, 3, b, 2);
	guesti_emit_bb_end(cb);
}
static void a_update_gtt(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[] = { 0x08000000, 0x00000003 }; /* a PTE for the GGTT */
	guesti_emit_n(cb, C_MI_UPDATE_GTT, 3, b, 2);
	guesti_emit_bb_end(cb);
}
static void a_unknown(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t bad = 0xe0000000u; /* command type 7: no engine decodes it */
	guesti_cb_cmd(cb, &bad, 1);
	guesti_emit_bb_end(cb);
}
static void a_wrong_engine(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[9] = { (3u << 24) | (0xccu << 16) | 256, 0, (16u << 16) | 16, lo(a + 0x2000),
				hi(a), 0, 256, lo(a + 0x3000), hi(a) };
	guesti_emit_n(cb, C_XY_SRC_COPY_BLT, 10, b, 9); /* a blitter command on the render engine */
	guesti_emit_bb_end(cb);
}

/* --- batch structure (IGT bb-chained, batch-without-end, invalid length,
 * bb-start-far) --- */
static void a_chained(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_lri(cb, 0x2600, 1);                 /* a CS GPR: allowed */
	guesti_emit_bb_start(cb, a + 0x10000, true, false);
	struct cbuf *c2 = &g->cb[1];
	guesti_emit_lri(c2, 0x4094, 0);                 /* a GAM fault register */
	guesti_emit_bb_end(c2);
	guesti_gen_batch_bo(g, c2, a + 0x10000);
}
static void a_no_end(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	while (cb->n + 3 <= 1024)
		guesti_emit_lri(cb, 0x22600, cb->n);        /* legal, but never ends */
	guesti_cb_raw(cb, NULL, 1024 - cb->n);
}
static void a_truncated(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_cb_raw(cb, NULL, 1021);                  /* NOOPs up to the last 3 dwords */
	const uint32_t b[3] = { guesti_gcmd_hdr(C_MI_LOAD_REGISTER_IMM, 0xff + 2), 0x22600, 0 };
	guesti_cb_cmd(cb, b, 3);                        /* claims 257 dwords: runs off the page */
}
static void a_bad_length(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[] = { 0x22358, lo(a + 0x1000) };
	guesti_emit_n(cb, C_MI_STORE_REGISTER_MEM, 3, b, 2); /* SRM is exactly 4 dwords */
	guesti_emit_bb_end(cb);
}
static void a_jump_far(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_bb_start(cb, 0x7f0000000000ull, true, false);
}
static void a_self_loop(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_lri(cb, 0x2600, 1);                 /* a CS GPR: allowed */
	guesti_emit_bb_start(cb, a, true, false);        /* back to its own start, forever */
}
static void a_jump_host_ggtt(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_bb_start(cb, 0x1000, false, false); /* the host's part of the GGTT */
}

/* --- registers (IGT unaligned-access, GVT-g fixes, CVE-2019-0155/0154) --- */
static void a_unaligned_reg(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x22201, 0); }
static void a_reg_not_allowed(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x22204, 0); }
static void a_ring_mode(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x1229c, 0xffff0001u); }
static void a_csfe_chicken1(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x20d4, 0x00080008u); }
static void a_force_nonpriv(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x224d0, 0x00101008u); }
static void a_blitter_ppat(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x40e0, 0); }
static void a_blitter_render_reg(struct guest_gen *g, struct cbuf *cb, uint64_t a) { lri(cb, 0x2580, 0x00010001u); }
static void a_forcewake_read(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[] = { 0xa188, lo(a + 0x1000), hi(a) };
	guesti_emit_n(cb, C_MI_STORE_REGISTER_MEM, 4, b, 3);
	guesti_emit_bb_end(cb);
}

/* --- memory (GVT-g status-page index, GGTT ranges) --- */
static void a_hwsp_index(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t b[4] = { guesti_gcmd_hdr(C_MI_FLUSH_DW, 4) | (1u << 21) | (1u << 14), 0x2000, 0, 0 };
	guesti_cb_cmd(cb, b, 4);
	guesti_emit_bb_end(cb);
}
static void a_ggtt_write(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_sdi64(cb, 0x2000, true, 0xdeadbeefdeadbeefull); /* the host's low GGTT */
	guesti_emit_bb_end(cb);
}

/* --- the ring itself --- */
static void r_second_level(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_bb_end(cb);                         /* a harmless batch ... */
	guesti_emit_bb_start(&g->ring, a, true, true);  /* ... started as second level from the ring */
}
static void r_bb_end(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_bb_end(&g->ring);
	uint32_t noop = 0;
	guesti_cb_cmd(&g->ring, &noop, 1);
}
static void r_master_irq(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	guesti_emit_lri(&g->ring, 0x44200, 0);          /* GEN8_MASTER_IRQ from the ring */
	uint32_t noop = 0;
	guesti_cb_cmd(&g->ring, &noop, 1);
}

/* --- engine time (issue 16) --- */
static void a_endless_loop(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	/* MI_CONDITIONAL_BATCH_BUFFER_END ends the batch when the dword at `a +
	 * 0x20` is <= 0; it holds 1 (a dword the batch never executes), so the
	 * chained batch start back to `a` loops for ever.  The auditor sees a
	 * way out of the cycle and admits it: only the watchdog can stop it. */
	unsigned n = guesti_gcmd_len(C_MI_CONDITIONAL_BATCH_BUFFER_END, g->gen);
	const uint32_t cond[3] = { 0, lo(a + 0x20), hi(a) };
	guesti_emit_n(cb, C_MI_CONDITIONAL_BATCH_BUFFER_END, n, cond, n - 1);
	guesti_emit_bb_start(cb, a, true, false);
	while (cb->n < 8)
		guesti_cb_raw(cb, NULL, 1);
	const uint32_t flag = 1;
	guesti_cb_raw(cb, &flag, 1);
}

/* --- the driver's structures --- */
static void c_noop_ring(struct guest_gen *g, struct cbuf *cb, uint64_t a)
{
	const uint32_t n[2] = { 0, 0 };
	guesti_cb_cmd(&g->ring, n, 1);
	guesti_cb_cmd(&g->ring, n + 1, 1);
}

#define A(n, r, e, f) { n, r, e, f, false, GUEST_CTX_OK, GUEST_EXPECT_REJECT }
#define RING(n, r, e, f) { n, r, e, f, true, GUEST_CTX_OK, GUEST_EXPECT_REJECT }
#define CTX(n, r, e, c) { n, r, e, c_noop_ring, true, c, GUEST_EXPECT_REJECT }
#define HANG(n, e, f) { n, MED_RJ_NONE, e, f, false, GUEST_CTX_OK, GUEST_EXPECT_WATCHDOG }
static const struct attack attacks[] = {
	A("store-data-index", SCAN_R_FORBIDDEN_CMD, SCAN_RCS, a_store_data_index),
	A("update-gtt", SCAN_R_FORBIDDEN_CMD, SCAN_BCS, a_update_gtt),
	A("unknown-command", SCAN_R_UNKNOWN_CMD, SCAN_VCS, a_unknown),
	A("blit-on-render", SCAN_R_WRONG_ENGINE, SCAN_RCS, a_wrong_engine),
	A("chained-protected-register", SCAN_R_REG_PROTECTED, SCAN_RCS, a_chained),
	A("batch-without-end", SCAN_R_NO_END, SCAN_BCS, a_no_end),
	A("command-off-the-page", SCAN_R_CMD_TRUNCATED, SCAN_BCS, a_truncated),
	A("srm-bad-length", SCAN_R_BAD_LENGTH, SCAN_BCS, a_bad_length),
	A("jump-far", SCAN_R_UNMAPPED, SCAN_BCS, a_jump_far),
	A("jump-to-host-ggtt", SCAN_R_GGTT_RANGE, SCAN_BCS, a_jump_host_ggtt),
	A("unaligned-register", SCAN_R_REG_RANGE, SCAN_BCS, a_unaligned_reg),
	A("register-not-allowed", SCAN_R_REG_WRITE, SCAN_BCS, a_reg_not_allowed),
	A("ring-mode-privilege-off", SCAN_R_REG_PRIV_DISABLE, SCAN_VCS, a_ring_mode),
	A("csfe-chicken1-cross-engine", SCAN_R_REG_CROSS_ENGINE, SCAN_RCS, a_csfe_chicken1),
	A("force-nonpriv", SCAN_R_REG_NONPRIV, SCAN_BCS, a_force_nonpriv),
	A("cve-2019-0155-blitter-ppat", SCAN_R_REG_PROTECTED, SCAN_BCS, a_blitter_ppat),
	A("cve-2019-0155-blitter-render-reg", SCAN_R_REG_CROSS_ENGINE, SCAN_BCS, a_blitter_render_reg),
	A("cve-2019-0154-forcewake-read", SCAN_R_REG_PROTECTED, SCAN_RCS, a_forcewake_read),
	A("hwsp-index-beyond-page", SCAN_R_HWSP_INDEX, SCAN_BCS, a_hwsp_index),
	A("ggtt-store-to-host", SCAN_R_GGTT_RANGE, SCAN_RCS, a_ggtt_write),
	A("batch-start-self-loop", SCAN_R_BB_CYCLE, SCAN_RCS, a_self_loop),
	HANG("endless-conditional-loop", SCAN_RCS, a_endless_loop),
	RING("second-level-from-ring", SCAN_R_BB_NESTING, SCAN_VCS, r_second_level),
	RING("batch-end-in-ring", SCAN_R_BB_NESTING, SCAN_BCS, r_bb_end),
	RING("master-irq-from-ring", SCAN_R_REG_PROTECTED, SCAN_RCS, r_master_irq),
	CTX("ggtt-context-descriptor", MED_RJ_BAD_DESC, SCAN_RCS, GUEST_CTX_GGTT_DESC),
	CTX("ring-outside-windows", MED_RJ_BAD_RING, SCAN_BCS, GUEST_CTX_RING_OUTSIDE),
	CTX("context-outside-windows", MED_RJ_BAD_CONTEXT, SCAN_VCS, GUEST_CTX_OUTSIDE),
	CTX("pml4-outside-memory", MED_RJ_PPGTT, SCAN_RCS, GUEST_CTX_PDP_OUTSIDE),
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

unsigned guest_attack_count(void)
{
	return NATTACKS;
}

const char *guest_attack_name(unsigned i, uint16_t *expect_reject)
{
	if (i >= NATTACKS)
		return NULL;
	if (expect_reject)
		*expect_reject = attacks[i].expect;
	return attacks[i].name;
}

enum guest_expect guest_attack_expect(unsigned i)
{
	return i < NATTACKS ? attacks[i].outcome : GUEST_EXPECT_REJECT;
}

int guesti_prof_hostile(struct guest_gen *g)
{
	if (g->legal_left) {
		g->legal_left--;
		return (g->seq & 1) ? guesti_prof_blit_small(g) : guesti_prof_3d_small(g);
	}
	const struct attack *at = &attacks[g->attack_next++ % NATTACKS];
	g->legal_left = guest_rng_range(&g->rng, 1, 3);
	uint64_t a = VA_ATTACK + 0x100000ull * (unsigned)(at - attacks);
	struct cbuf *cb = &g->cb[0];
	at->build(g, cb, a);
	if (!at->ring) {
		guesti_gen_bo(g, a, page_up(cb_bytes(cb)), GUEST_BO_BATCH, cb->dw, cb_bytes(cb));
		g->w.batch_bytes += cb_bytes(cb);
		g->w.commands += cb->cmds;
		guesti_gen_ring_start(g, a);
	} else if (cb->n) {
		guesti_gen_bo(g, a, page_up(cb_bytes(cb)), GUEST_BO_BATCH, cb->dw, cb_bytes(cb));
		g->w.batch = a;
	}
	g->w.engine = at->engine;
	g->w.ctx = 0;
	g->w.attack = at->name;
	g->w.expect_reject = at->expect;
	g->w.ctx_attack = at->ctx;
	g->w.expect = at->outcome;
	return 0;
}
