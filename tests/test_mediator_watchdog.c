/* SPDX-License-Identifier: MIT */
/* Mediator: the scheduler's watchdog (issue 16) — a looping guest must not
 * starve its neighbours.  MANUAL dispatch: every run is deterministic. */
#include "tests/test_mediator_util.h"

#define PP_LOOP 0x60000000ull  /* the looping batch (PPGTT) */
#define MI_COND_BB_END_GEN9 0x1b000002u /* MI_CONDITIONAL_BATCH_BUFFER_END, 4 dwords, PPGTT */
#define MS 1000000ull

/* ------------------------------------------------------------- helpers */

struct wd_opts {
	uint64_t watchdog_ns;
	uint32_t strikes;
	uint64_t exec_budget;
	enum scan_policy policy;
	struct rec *rec;
};

static struct med *mk_wd_med(const struct wd_opts *w)
{
	struct med_opts o = { .sz = sizeof(o), .gen = 9, .dispatch = MED_DISPATCH_MANUAL,
			      .no_priority = true, .policy = w->policy,
			      .watchdog_ns = w->watchdog_ns, .watchdog_strikes = w->strikes,
			      .exec_budget = w->exec_budget };
	if (w->rec) {
		o.event = rec_hook;
		o.event_ctx = w->rec;
		o.event_mask = MED_EV_BIT(MED_EV_CONFIG) | MED_EV_BIT(MED_EV_COMPLETE) |
			       MED_EV_BIT(MED_EV_FAILSAFE) | MED_EV_BIT(MED_EV_REJECT);
	}
	struct med *m = NULL;
	assert_int_equal(med_new(&o, &m), 0);
	return m;
}

static struct med_vgpu *mk_weighted(struct med *m, unsigned weight)
{
	struct med_vgpu_opts o = { .sz = sizeof(o), .type = MED_VGPU_TYPE_8, .weight = weight };
	struct med_vgpu *v = NULL;
	assert_int_equal(med_vgpu_create(m, &o, &v), 0);
	return v;
}

/* A batch that loops for ever.  `conditional`: it starts with an
 * MI_CONDITIONAL_BATCH_BUFFER_END comparing a dword that holds 1 with 0
 * (it never ends the batch), then chains back to its own start — strict
 * admits it, the auditor cannot prove it endless.  Otherwise it is a bare
 * MI_BATCH_BUFFER_START to itself (admitted under the audit policy). */
static void write_loop(struct guest *g, bool conditional)
{
	uint64_t gpa = guest_ppgtt_alloc(g, PP_LOOP, 1);
	uint32_t b[16] = { 0 };
	unsigned n = 0;
	if (conditional) {
		b[n++] = MI_COND_BB_END_GEN9;
		b[n++] = 0;                             /* compare data */
		b[n++] = (uint32_t)(PP_LOOP + 0x20);    /* the flag dword below */
		b[n++] = (uint32_t)(PP_LOOP >> 32);
	}
	b[n++] = MI_BB_START_PPGTT;
	b[n++] = (uint32_t)PP_LOOP;
	b[n++] = (uint32_t)(PP_LOOP >> 32);
	b[8] = 1;                                       /* never executed */
	guest_write(g, gpa, b, sizeof(b));
}

/* One workload: the ring starts the looping batch.  The context's head
 * skips whatever hung before (what i915 does after a hang). */
static void submit_loop(struct guest *g, struct gctx *c)
{
	ctx_put(g, c, 0x05, scan_engine_mmio_base((enum scan_engine)c->engine) + 0x34, c->tail);
	uint32_t bb[3] = { MI_BB_START_PPGTT, (uint32_t)PP_LOOP, (uint32_t)(PP_LOOP >> 32) };
	guest_ring_emit(g, c, bb, 3);
	guest_submit(g, c);
}

/* One render workload of ~`verts` * 4 engine cycles: a 3DPRIMITIVE in the ring. */
static void submit_draw(struct guest *g, struct gctx *c, uint32_t verts)
{
	uint32_t p[7] = { GFX_3DPRIMITIVE, 0x4 /* triangle list */, verts, 0, 1, 0, 0 };
	guest_ring_emit(g, c, p, 7);
	guest_submit(g, c);
}

static struct med_counters ctrs(struct med *m, struct med_vgpu *v)
{
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(v), &c), 0);
	return c;
}

static uint64_t outstanding(struct med *m, struct med_vgpu *v)
{
	struct med_counters c = ctrs(m, v);
	assert_int_equal(c.rejected, 0);
	return c.workloads - c.completed;
}

static enum med_failsafe failsafe_of(struct med_vgpu *v)
{
	struct med_vgpu_info i = { .sz = sizeof(i) };
	med_vgpu_info(v, &i);
	return i.failsafe;
}

/* Two busy vGPUs, one looping, one drawing (~200 us workloads), both
 * keeping three workloads queued for `run_ns` of virtual time: the
 * neighbour's share of the engine time the two used, and the longest it
 * went without a completion (*max_gap, virtual ns). */
static double neighbour_share(unsigned w_loop, unsigned w_neigh, enum scan_policy pol,
			      bool conditional, uint64_t run_ns, uint64_t *max_gap)
{
	struct wd_opts wo = { .strikes = MED_WATCHDOG_NEVER, .policy = pol };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *a = mk_weighted(m, w_loop), *b = mk_weighted(m, w_neigh);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	write_loop(&ga, conditional);
	struct gctx ca, cb;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 2);
	guest_ctx_init(&gb, &cb, SCAN_RCS, 2, 2);
	uint64_t last = med_clock(m), done = 0, gap = 0;
	while (med_clock(m) < run_ns) {
		while (outstanding(m, a) < 3)
			submit_loop(&ga, &ca);
		while (outstanding(m, b) < 3)
			submit_draw(&gb, &cb, 50000);
		assert_true(med_run(m, 1) == 1);
		uint64_t n = ctrs(m, b).completed;
		if (n != done) {
			if (med_clock(m) - last > gap)
				gap = med_clock(m) - last;
			last = med_clock(m);
			done = n;
		}
	}
	if (max_gap)
		*max_gap = gap;
	struct med_counters la = ctrs(m, a), nb = ctrs(m, b);
	/* every looping workload was stopped by the watchdog after 1 ms, none
	 * of the neighbour's */
	assert_true(la.completed > 20);
	assert_int_equal(la.watchdog, la.completed);
	assert_int_equal(la.hangs, la.completed);
	assert_int_equal(la.busy_cycles, la.completed * MS);
	assert_int_equal(nb.watchdog, 0);
	assert_int_equal(nb.hangs, 0);
	assert_int_equal(failsafe_of(a), MED_FAILSAFE_NONE);
	double share = (double)nb.busy_cycles / (double)(la.busy_cycles + nb.busy_cycles);
	print_message("weights loop:neighbour %u:%u (%s%s): neighbour %.3f of the engine time, "
		      "longest wait %.2f ms; %llu looping workloads stopped, %.1f ms virtual\n", w_loop,
		      w_neigh, scan_policy_name(pol), conditional ? ", conditional loop" : ", self-loop",
		      share, (double)gap / 1e6, (unsigned long long)la.watchdog,
		      (double)med_clock(m) / 1e6);
	med_free(m);
	return share;
}

/* ---------------------------------------------------------------- tests */

static void test_a_looping_batch_is_stopped_by_the_watchdog_and_reported_hung(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct wd_opts wo = { .rec = &rec };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *v = mk_weighted(m, 4);
	struct guest g;
	guest_init(&g, m, v);
	write_loop(&g, true);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 2);
	submit_loop(&g, &c);
	uint64_t t0 = med_clock(m);
	assert_int_equal(med_run(m, 0), 1);
	assert_int_equal(rec_count(&rec, MED_EV_REJECT), 0); /* strict admitted it */

	/* the default: one scheduling tick (1 ms, 1 cycle = 1 ns) */
	const struct rec_ev *cfg = rec_find(&rec, MED_EV_CONFIG, 0, 0);
	assert_non_null(cfg);
	assert_true(cfg->ev.u.config.watchdog_ns == MS);
	assert_int_equal(cfg->ev.u.config.watchdog_strikes, 3);

	const struct rec_ev *e = rec_find(&rec, MED_EV_COMPLETE, med_vgpu_id(v), 0);
	assert_non_null(e);
	assert_int_equal(e->ev.u.exec.status, GPU_HANG);
	assert_int_equal(e->ev.u.exec.watchdog, 1);
	assert_true(e->ev.u.exec.cycles == MS);
	assert_true(strncmp(e->text, "watchdog: rcs workload", 22) == 0);
	assert_non_null(strstr(e->text, "1000000 ns"));
	assert_non_null(strstr(e->text, "1 in a row"));
	/* the vGPU paid for exactly the time it held the engine */
	assert_true(med_clock(m) - t0 == MS);
	struct med_counters k = ctrs(m, v);
	assert_int_equal(k.watchdog, 1);
	assert_int_equal(k.hangs, 1);
	assert_int_equal(k.completed, 1);
	assert_int_equal(failsafe_of(v), MED_FAILSAFE_NONE);
	med_free(m);
	rec_fini(&rec);
}

/* Cycles of one draw workload with the watchdog at `ns` (MED_WATCHDOG_OFF:
 * none), and whether it finished. */
static uint64_t one_draw(uint64_t ns, bool *done)
{
	struct rec rec;
	rec_init(&rec);
	struct wd_opts wo = { .watchdog_ns = ns, .rec = &rec };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *v = mk_weighted(m, 4);
	struct guest g;
	guest_init(&g, m, v);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 2);
	submit_draw(&g, &c, 100000);
	assert_int_equal(med_run(m, 0), 1);
	const struct rec_ev *e = rec_find(&rec, MED_EV_COMPLETE, 0, 0);
	assert_non_null(e);
	*done = e->ev.u.exec.status == GPU_DONE;
	assert_int_equal(e->ev.u.exec.watchdog, !*done);
	uint64_t cycles = e->ev.u.exec.cycles;
	med_free(m);
	rec_fini(&rec);
	return cycles;
}

static void test_a_workload_within_its_budget_completes(void **state)
{
	(void)state;
	bool done;
	uint64_t need = one_draw(MED_WATCHDOG_OFF, &done);
	assert_true(done);
	assert_true(need > 400000 && need < MS); /* ~0.4 ms: under the default */
	/* exactly its budget, and just over it: finished */
	assert_true(one_draw(need, &done) == need);
	assert_true(done);
	assert_true(one_draw(need + 1, &done) == need);
	assert_true(done);
	/* one nanosecond short: stopped there */
	assert_true(one_draw(need - 1, &done) == need - 1);
	assert_false(done);
	/* the default leaves it alone */
	assert_true(one_draw(0, &done) == need);
	assert_true(done);
}

static void test_an_equal_neighbour_keeps_half_the_engine_beside_a_looping_vgpu(void **state)
{
	(void)state;
	uint64_t gap;
	double s = neighbour_share(4, 4, SCAN_POLICY_STRICT, true, 200 * MS, &gap);
	assert_true(s > 0.45 && s < 0.55);
	/* and it never waits much longer than one time slice for the engine
	 * (without the watchdog: ~24 ms, the model's step budget) */
	assert_true(gap < 2 * MS);
}

static void test_weights_2_to_1_hold_beside_a_looping_vgpu(void **state)
{
	(void)state;
	/* the neighbour has twice the looper's weight: 2/3 of the engine ... */
	double s = neighbour_share(2, 4, SCAN_POLICY_STRICT, true, 300 * MS, NULL);
	assert_true(s > 0.633 && s < 0.7);
	/* ... and half of it: 1/3 */
	s = neighbour_share(4, 2, SCAN_POLICY_STRICT, true, 300 * MS, NULL);
	assert_true(s > 0.317 && s < 0.35);
}

static void test_a_self_loop_admitted_under_audit_is_stopped_too(void **state)
{
	(void)state;
	/* strict refuses a bare batch start to itself (bb-cycle); audit admits
	 * everything, and the watchdog still protects the neighbour */
	uint64_t gap;
	double s = neighbour_share(4, 4, SCAN_POLICY_AUDIT, false, 200 * MS, &gap);
	assert_true(s > 0.45 && s < 0.55);
	assert_true(gap < 2 * MS);
}

static void test_a_repeat_offender_is_put_into_failsafe(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct wd_opts wo = { .rec = &rec };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *v = mk_weighted(m, 4);
	struct guest g;
	guest_init(&g, m, v);
	write_loop(&g, true);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 2);
	/* five queued: the third stop in a row is the last one that runs */
	for (unsigned i = 0; i < 5; i++)
		submit_loop(&g, &c);
	assert_int_equal(med_run(m, 0), 3);
	struct med_counters k = ctrs(m, v);
	assert_int_equal(k.workloads, 5);
	assert_int_equal(k.watchdog, 3);
	assert_int_equal(k.failsafe_entries, 1);
	assert_int_equal(failsafe_of(v), MED_FAILSAFE_GUEST_ERR);
	const struct rec_ev *f = rec_find(&rec, MED_EV_FAILSAFE, med_vgpu_id(v), 0);
	assert_non_null(f);
	assert_int_equal(f->ev.u.failsafe.reason, MED_FAILSAFE_GUEST_ERR);
	assert_non_null(strstr(f->text, "3 workloads in a row stopped by the watchdog"));
	/* entered before the third hang was reported */
	const struct rec_ev *third = rec_find(&rec, MED_EV_COMPLETE, med_vgpu_id(v), 2);
	assert_non_null(third);
	assert_true(f->ev.seq < third->ev.seq);
	assert_non_null(strstr(third->text, "3 in a row: failsafe"));
	char err[256];
	med_vgpu_last_error(v, err, sizeof(err));
	assert_non_null(strstr(err, "watchdog"));
	/* from now on submissions are refused */
	submit_loop(&g, &c);
	k = ctrs(m, v);
	assert_int_equal(k.rejected, 1);
	assert_int_equal(k.rejects[MED_RJ_FAILSAFE], 1);
	/* a VM reboot (device reset) clears it */
	assert_int_equal(med_vgpu_reset(v), 0);
	assert_int_equal(failsafe_of(v), MED_FAILSAFE_NONE);
	med_free(m);
	rec_fini(&rec);
}

static void test_a_finished_workload_clears_the_strikes(void **state)
{
	(void)state;
	struct wd_opts wo = { 0 };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *v = mk_weighted(m, 4);
	struct guest g;
	guest_init(&g, m, v);
	write_loop(&g, true);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 2);
	for (unsigned round = 0; round < 3; round++) {
		submit_loop(&g, &c);
		submit_loop(&g, &c);
		assert_int_equal(med_run(m, 0), 2);
		ctx_put(&g, &c, 0x05, 0x2000 + 0x34, c.tail);
		submit_draw(&g, &c, 1000);
		assert_int_equal(med_run(m, 0), 1);
		assert_int_equal(failsafe_of(v), MED_FAILSAFE_NONE);
	}
	struct med_counters k = ctrs(m, v);
	assert_int_equal(k.watchdog, 6);
	assert_int_equal(k.hangs, 6);
	assert_int_equal(k.failsafe_entries, 0);
	/* three in a row */
	for (unsigned i = 0; i < 3; i++)
		submit_loop(&g, &c);
	assert_int_equal(med_run(m, 0), 3);
	assert_int_equal(failsafe_of(v), MED_FAILSAFE_GUEST_ERR);
	med_free(m);
}

static void test_without_the_watchdog_only_the_step_budget_stops_a_loop(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct wd_opts wo = { .watchdog_ns = MED_WATCHDOG_OFF, .exec_budget = 200000, .rec = &rec };
	struct med *m = mk_wd_med(&wo);
	struct med_vgpu *v = mk_weighted(m, 4);
	struct guest g;
	guest_init(&g, m, v);
	write_loop(&g, true);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 2);
	submit_loop(&g, &c);
	assert_int_equal(med_run(m, 0), 1);
	const struct rec_ev *e = rec_find(&rec, MED_EV_COMPLETE, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->ev.u.exec.status, GPU_HANG);
	assert_int_equal(e->ev.u.exec.watchdog, 0);
	assert_non_null(strstr(e->text, "step budget"));
	/* 200000 steps of the loop hold the engine far beyond a time slice */
	assert_true(e->ev.u.exec.cycles > 5 * MS);
	assert_int_equal(ctrs(m, v).watchdog, 0);
	const struct rec_ev *cfg = rec_find(&rec, MED_EV_CONFIG, 0, 0);
	assert_non_null(cfg);
	assert_true(cfg->ev.u.config.watchdog_ns == MED_WATCHDOG_OFF);
	med_free(m);
	rec_fini(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_looping_batch_is_stopped_by_the_watchdog_and_reported_hung),
		cmocka_unit_test(test_a_workload_within_its_budget_completes),
		cmocka_unit_test(test_an_equal_neighbour_keeps_half_the_engine_beside_a_looping_vgpu),
		cmocka_unit_test(test_weights_2_to_1_hold_beside_a_looping_vgpu),
		cmocka_unit_test(test_a_self_loop_admitted_under_audit_is_stopped_too),
		cmocka_unit_test(test_a_repeat_offender_is_put_into_failsafe),
		cmocka_unit_test(test_a_finished_workload_clears_the_strikes),
		cmocka_unit_test(test_without_the_watchdog_only_the_step_budget_stops_a_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
