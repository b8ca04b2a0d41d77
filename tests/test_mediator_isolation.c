/* SPDX-License-Identifier: MIT */
/*
 * Isolation: each attack runs twice through trapped MMIO only.  Under the
 * auditor's `audit` policy (report, never reject) it reaches the GPU model,
 * and the isolation monitor must report the escape the auditor predicted
 * (same address or register, same kind); under `strict` it is rejected with
 * that reason, nothing escapes, and the neighbour's work still runs.
 */
#include "tests/test_mediator_util.h"
#include "scanner/audit_priv.h" /* the test seam: a too-permissive allow-list */

#define PP_DATA 0x50000000ull
#define VICTIM_VALUE 0x11111111u
#define ATTACK_VALUE 0xe5ca9e00u

struct env {
	struct med *m;
	struct med_vgpu *a, *b;    /* attacker, victim */
	struct guest ga, gb;
	uint64_t victim_gma, victim_gpa;       /* a page of the victim's aperture */
	uint64_t victim_bb, victim_bb_gpa;     /* a batch in the victim's aperture */
	struct gctx ca;
};

/* One MANUAL mediator for every run; fresh vGPUs per run. */
static struct rec grec;
static struct med *gm;

static int group_setup(void **state)
{
	(void)state;
	rec_init(&grec);
	gm = mk_med(MED_DISPATCH_MANUAL, &grec, SCAN_POLICY_STRICT);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	med_free(gm);
	rec_fini(&grec);
	return 0;
}

static void env_init(struct env *x, enum scan_policy attacker)
{
	memset(x, 0, sizeof(*x));
	x->m = gm;
	struct med_vgpu_opts o = { .sz = sizeof(o), .type = MED_VGPU_TYPE_8, .has_policy = true,
				   .policy = attacker };
	assert_int_equal(med_vgpu_create(x->m, &o, &x->a), 0);
	x->b = mk_vgpu(x->m, MED_VGPU_TYPE_8);
	rec_reset(&grec);
	gpu_escape_clear(med_gpu(x->m));
	guest_init(&x->ga, x->m, x->a);
	guest_init(&x->gb, x->m, x->b);
	x->victim_gma = guest_ap_alloc(&x->gb, 1, &x->victim_gpa);
	uint32_t fill = VICTIM_VALUE;
	guest_write(&x->gb, x->victim_gpa, &fill, 4);
	x->victim_bb = guest_ap_alloc(&x->gb, 1, &x->victim_bb_gpa);
	uint32_t bb[] = { MI_SDI_GGTT, (uint32_t)x->victim_gma + 4, 0, 0xbad, MI_BATCH_BUFFER_END, 0 };
	guest_write(&x->gb, x->victim_bb_gpa, bb, sizeof(bb));
	guest_ctx_init(&x->ga, &x->ca, SCAN_RCS, 0xa77ac, 1);
}

static void env_fini(struct env *x)
{
	med_vgpu_destroy(x->a);
	med_vgpu_destroy(x->b);
}

/* ------------------------------------------------------------ attacks */

struct attack {
	const char *name;
	void (*emit)(struct env *x);
	bool reg;            /* the escape is a register write (else memory) */
	bool victim_written; /* under audit the victim's page changes */
};

static void emit_sdi_outside_windows(struct env *x)
{
	uint32_t r[4] = { MI_SDI_GGTT, (uint32_t)x->victim_gma, 0, ATTACK_VALUE };
	guest_ring_emit(&x->ga, &x->ca, r, 4);
}

static void emit_lri_forbidden_register(struct env *x)
{
	uint32_t r[3] = { MI_LRI_1, 0x44200, 0 }; /* GEN8_MASTER_IRQ */
	guest_ring_emit(&x->ga, &x->ca, r, 3);
}

static void emit_lri_other_engine(struct env *x)
{
	uint32_t r[3] = { MI_LRI_1, 0x22000 + 0x600, 1 }; /* a BCS GPR, from RCS */
	guest_ring_emit(&x->ga, &x->ca, r, 3);
}

static void emit_bb_start_into_other_vgpu(struct env *x)
{
	uint32_t r[3] = { MI_BB_START_GGTT, (uint32_t)x->victim_bb, 0 };
	guest_ring_emit(&x->ga, &x->ca, r, 3);
}

static void emit_sdi_to_host_reserve(struct env *x)
{
	uint32_t r[4] = { MI_SDI_GGTT, 0x1000, 0, ATTACK_VALUE }; /* the host's low GGTT */
	guest_ring_emit(&x->ga, &x->ca, r, 4);
}

static const struct attack attacks[] = {
	{ "sdi-outside-windows", emit_sdi_outside_windows, false, true },
	{ "lri-forbidden-register", emit_lri_forbidden_register, true, false },
	{ "lri-other-engine", emit_lri_other_engine, true, false },
	{ "bb-start-into-other-vgpu", emit_bb_start_into_other_vgpu, false, true },
	{ "sdi-host-reserve", emit_sdi_to_host_reserve, false, false },
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

struct prediction {
	uint16_t reason;
	uint64_t value;
};

/* Runs one attack under audit: returns what the auditor predicted and
 * checks the monitor saw exactly that. */
static void run_audit(const struct attack *at, struct prediction *p)
{
	struct env x;
	env_init(&x, SCAN_POLICY_AUDIT);
	at->emit(&x);
	guest_submit(&x.ga, &x.ca);
	assert_int_equal(rec_count(&grec, MED_EV_REJECT), 0);
	const struct rec_ev *s = rec_find(&grec, MED_EV_SCAN, med_vgpu_id(x.a), 0);
	assert_non_null(s);
	if (s->ev.u.scan.nviolations == 0)
		fail_msg("%s: the auditor saw nothing", at->name);
	p->reason = (uint16_t)s->ev.u.scan.first_reason;
	p->value = s->ev.u.scan.viol_value;
	print_message("%s: auditor predicts %s at 0x%llx (%s)\n", at->name,
		      scan_reason_name((enum scan_reason)p->reason), (unsigned long long)p->value,
		      s->text);
	assert_int_equal(med_run(x.m, 0), 1);

	bool seen = false;
	for (size_t k = 0; k < grec.n; k++) {
		const struct med_event *e = &grec.ev[k].ev;
		if (e->type != MED_EV_ESCAPE)
			continue;
		assert_int_equal(e->vgpu, med_vgpu_id(x.a));
		print_message("  monitor: %s\n", grec.ev[k].text);
		bool kind_ok = at->reg ? e->u.escape.kind == GPU_ESC_REG_WRITE
				       : e->u.escape.kind != GPU_ESC_REG_WRITE;
		if (kind_ok && e->u.escape.addr == p->value)
			seen = true;
	}
	if (!seen)
		fail_msg("%s: the monitor did not report the predicted escape", at->name);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(x.m, med_vgpu_id(x.a), &c), 0);
	assert_true(c.escapes > 0);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(x.a, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE); /* audit never rejects */
	if (at->victim_written)
		assert_true(guest_read32(&x.gb, x.victim_gpa) != VICTIM_VALUE ||
			    guest_read32(&x.gb, x.victim_gpa + 4) == 0xbad);
	env_fini(&x);
}

/* The same attack under strict: rejected for the predicted reason, nothing
 * escapes, the victim's memory is intact and its own work runs. */
static void run_strict(const struct attack *at, const struct prediction *p)
{
	struct env x;
	env_init(&x, SCAN_POLICY_STRICT);
	at->emit(&x);
	guest_submit(&x.ga, &x.ca);
	const struct rec_ev *rj = rec_find(&grec, MED_EV_REJECT, med_vgpu_id(x.a), 0);
	assert_non_null(rj);
	assert_int_equal(rj->ev.u.reject.reason, p->reason);
	assert_int_equal(med_run(x.m, 0), 0);
	assert_int_equal(rec_count(&grec, MED_EV_DISPATCH), 0);

	/* the victim carries on */
	uint64_t data = guest_ppgtt_alloc(&x.gb, PP_DATA, 1);
	struct gctx cb;
	guest_ctx_init(&x.gb, &cb, SCAN_RCS, 0xb, 1);
	uint32_t r[4] = { MI_SDI_PPGTT, (uint32_t)PP_DATA, 0, 0x600d };
	guest_ring_emit(&x.gb, &cb, r, 4);
	guest_submit(&x.gb, &cb);
	assert_int_equal(med_run(x.m, 0), 1);
	assert_int_equal(guest_read32(&x.gb, data), 0x600d);

	assert_int_equal(guest_read32(&x.gb, x.victim_gpa), VICTIM_VALUE);
	assert_int_equal(guest_read32(&x.gb, x.victim_gpa + 4), 0);
	assert_int_equal(rec_count(&grec, MED_EV_ESCAPE), 0);
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(x.m), GPU_STATS_ALL, &gs), 0);
	assert_int_equal(gs.escapes, 0);
	env_fini(&x);
}

static void test_every_attack_escapes_under_audit_as_predicted_and_not_under_strict(void **state)
{
	(void)state;
	for (size_t i = 0; i < NATTACKS; i++) {
		struct prediction p;
		run_audit(&attacks[i], &p);
		run_strict(&attacks[i], &p);
	}
}

/* The auditor's register predictions agree with an independent fact: the
 * GPU model's register oracle (its own table, not the allow-list). */
static void test_register_predictions_agree_with_the_gpu_oracle(void **state)
{
	(void)state;
	static const struct { uint32_t reg, value; } w[] = {
		{ 0x44200, 0 },          /* GEN8_MASTER_IRQ: denied, host */
		{ 0x22600, 1 },          /* a BCS GPR from RCS: denied, another engine's */
		{ 0x2229c, 0x00010001 }, /* the blitter's GFX_MODE: denied */
		{ 0x229c, 0x00010001 },  /* GFX_MODE privilege bit: denied */
		{ 0x2600, 1 },           /* own GPR: admitted, context */
		{ 0x7034, 0x60000060 },  /* L3CNTLREG: admitted, context */
	};
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct scan_reg_verdict vd;
		enum gpu_escape_why why;
		scan_reg_check_write(SCAN_GEN9, SCAN_RCS, SCAN_POLICY_STRICT, w[i].reg, w[i].value,
				     &vd);
		int esc = gpu_reg_judge(GPU_GEN9, GPU_RCS, w[i].reg, w[i].value, true, &why);
		assert_true(esc == 0 || esc == 1);
		if ((vd.reason != SCAN_R_NONE) != (esc == 1))
			fail_msg("0x%x = 0x%x: the allow-list says %s, the GPU oracle %s", w[i].reg,
				 w[i].value, scan_reason_name((enum scan_reason)vd.reason),
				 esc ? gpu_escape_why_name(why) : "within the vGPU");
	}
}

/* The seam: an allow-list made deliberately too permissive for one
 * host-owned register. */
static bool seam_admits_master_irq(enum scan_gen gen, enum scan_engine eng, uint32_t offset,
				   bool write, uint32_t value)
{
	(void)gen;
	(void)eng;
	(void)value;
	return write && offset == 0x44200;
}

static int seam_off(void **state)
{
	(void)state;
	atomic_store(&scan_reg_seam, NULL);
	return 0;
}

/* With the scanner's allow-list opened to GEN8_MASTER_IRQ, a strict vGPU's
 * LRI to it passes the scan and reaches the engine: the GPU model's monitor,
 * judging by its own table, reports the escape through the mediator.  With
 * the allow-list as it is, strict rejects the same workload and nothing
 * escapes. */
static void test_a_too_permissive_allow_list_is_caught_by_the_gpu_monitor(void **state)
{
	(void)state;
	struct env x;

	atomic_store(&scan_reg_seam, seam_admits_master_irq);
	env_init(&x, SCAN_POLICY_STRICT);
	emit_lri_forbidden_register(&x);
	guest_submit(&x.ga, &x.ca);
	atomic_store(&scan_reg_seam, NULL);
	const struct rec_ev *s = rec_find(&grec, MED_EV_SCAN, med_vgpu_id(x.a), 0);
	assert_non_null(s);
	assert_int_equal(s->ev.u.scan.nviolations, 0); /* the seam let it through */
	assert_int_equal(rec_count(&grec, MED_EV_REJECT), 0);
	assert_int_equal(med_run(x.m, 0), 1);
	unsigned seen = 0;
	for (size_t k = 0; k < grec.n; k++) {
		const struct med_event *e = &grec.ev[k].ev;
		if (e->type != MED_EV_ESCAPE)
			continue;
		print_message("monitor: %s\n", grec.ev[k].text);
		assert_int_equal(e->vgpu, med_vgpu_id(x.a));
		assert_int_equal(e->u.escape.kind, GPU_ESC_REG_WRITE);
		assert_int_equal(e->u.escape.why, GPU_WHY_REG_HOST);
		assert_int_equal(e->u.escape.addr, 0x44200);
		seen++;
	}
	assert_int_equal(seen, 1);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(x.m, med_vgpu_id(x.a), &c), 0);
	assert_int_equal(c.escapes, 1);
	env_fini(&x);

	env_init(&x, SCAN_POLICY_STRICT);
	emit_lri_forbidden_register(&x);
	guest_submit(&x.ga, &x.ca);
	const struct rec_ev *rj = rec_find(&grec, MED_EV_REJECT, med_vgpu_id(x.a), 0);
	assert_non_null(rj);
	assert_int_equal(rj->ev.u.reject.reason, SCAN_R_REG_PROTECTED);
	assert_int_equal(med_run(x.m, 0), 0);
	assert_int_equal(rec_count(&grec, MED_EV_ESCAPE), 0);
	env_fini(&x);
}

/* Legal work from several vGPUs under strict: the monitor stays silent. */
static void test_legal_mixed_work_under_strict_is_silent(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct med *m = mk_med(MED_DISPATCH_MANUAL, &rec, SCAN_POLICY_STRICT);
	struct med_vgpu *v[3];
	struct guest g[3];
	struct gctx r[3], b[3];
	uint64_t ap[3], ap_gpa[3], pp[3];
	for (int i = 0; i < 3; i++) {
		v[i] = mk_vgpu(m, MED_VGPU_TYPE_8);
		guest_init(&g[i], m, v[i]);
		pp[i] = guest_ppgtt_alloc(&g[i], PP_DATA, 1);
		ap[i] = guest_ap_alloc(&g[i], 1, &ap_gpa[i]);
		guest_ctx_init(&g[i], &r[i], SCAN_RCS, 10 + i, 1);
		guest_ctx_init(&g[i], &b[i], SCAN_BCS, 20 + i, 1);
	}
	for (unsigned round = 0; round < 20; round++) {
		for (int i = 0; i < 3; i++) {
			uint32_t s[4] = { MI_SDI_PPGTT, (uint32_t)PP_DATA, 0, round * 10 + (uint32_t)i };
			guest_ring_emit(&g[i], &r[i], s, 4);
			guest_submit(&g[i], &r[i]);
			uint32_t t[4] = { MI_SDI_GGTT, (uint32_t)ap[i], 0, round * 100 + (uint32_t)i };
			guest_ring_emit(&g[i], &b[i], t, 4);
			guest_submit(&g[i], &b[i]);
		}
		assert_true(med_run(m, 0) == 6);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(guest_read32(&g[i], pp[i]), round * 10 + (uint32_t)i);
			assert_int_equal(guest_read32(&g[i], ap_gpa[i]), round * 100 + (uint32_t)i);
		}
	}
	assert_int_equal(rec_count(&rec, MED_EV_REJECT), 0);
	assert_int_equal(rec_count(&rec, MED_EV_ESCAPE), 0);
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(m), GPU_STATS_ALL, &gs), 0);
	assert_int_equal(gs.escapes, 0);
	assert_int_equal(gs.faults, 0);
	med_free(m);
	rec_fini(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_attack_escapes_under_audit_as_predicted_and_not_under_strict),
		cmocka_unit_test(test_register_predictions_agree_with_the_gpu_oracle),
		cmocka_unit_test_teardown(test_a_too_permissive_allow_list_is_caught_by_the_gpu_monitor,
					  seam_off),
		cmocka_unit_test(test_legal_mixed_work_under_strict_is_silent),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
