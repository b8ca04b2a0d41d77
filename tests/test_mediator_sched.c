/* SPDX-License-Identifier: MIT */
/* Mediator: the time-slice scheduler on the virtual clock (MANUAL dispatch,
 * so every run is deterministic). */
#include "tests/test_mediator_util.h"

#define PP_DATA 0x50000000ull

static struct med *mk_sched_med(struct rec *r)
{
	struct med_opts o = { .sz = sizeof(o), .gen = 9, .dispatch = MED_DISPATCH_MANUAL,
			      .no_priority = true, .event = r ? rec_hook : NULL, .event_ctx = r };
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

/* One render workload of ~`verts` * 4 engine cycles: a 3DPRIMITIVE in the ring. */
static void submit_draw(struct guest *g, struct gctx *c, uint32_t verts)
{
	uint32_t p[7] = { GFX_3DPRIMITIVE, 0x4 /* triangle list */, verts, 0, 1, 0, 0 };
	guest_ring_emit(g, c, p, 7);
	guest_submit(g, c);
}

static uint64_t outstanding(struct med *m, struct med_vgpu *v)
{
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(v), &c), 0);
	assert_int_equal(c.rejected, 0);
	return c.workloads - c.completed;
}

static uint64_t busy(struct med *m, struct med_vgpu *v)
{
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(v), &c), 0);
	return c.busy_cycles;
}

static void test_busy_vgpus_share_engine_time_by_weight(void **state)
{
	(void)state;
	struct med *m = mk_sched_med(NULL);
	struct med_vgpu *a = mk_weighted(m, 2), *b = mk_weighted(m, 6);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	struct gctx ca, cb;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 2);
	guest_ctx_init(&gb, &cb, SCAN_RCS, 2, 2);
	/* ~200 us per workload; both keep their queues full for 0.5 s */
	while (med_clock(m) < 500000000ull) {
		while (outstanding(m, a) < 3)
			submit_draw(&ga, &ca, 50000);
		while (outstanding(m, b) < 3)
			submit_draw(&gb, &cb, 50000);
		assert_true(med_run(m, 1) == 1);
	}
	double ra = (double)busy(m, a), rb = (double)busy(m, b);
	print_message("busy a %.0f b %.0f ratio %.2f (weights 2:6)\n", ra, rb, rb / ra);
	assert_true(rb / ra > 2.5 && rb / ra < 3.5);
	struct med_sched_counters sc = { .sz = sizeof(sc) };
	assert_int_equal(med_counters_sched(m, &sc), 0);
	assert_true(sc.switches > 10);
	assert_true(sc.balances >= 5);
	med_free(m);
}

static void test_a_lone_busy_vgpu_gets_only_its_share(void **state)
{
	(void)state;
	/* GVT-g's scheduler is not work conserving: a vGPU out of slice
	 * waits for the next balance even when the others are idle. */
	struct med *m = mk_sched_med(NULL);
	struct med_vgpu *a = mk_weighted(m, 1);
	struct med_vgpu *idle = mk_weighted(m, 15);
	(void)idle;
	struct guest ga;
	guest_init(&ga, m, a);
	struct gctx ca;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 2);
	while (med_clock(m) < 400000000ull) {
		while (outstanding(m, a) < 3)
			submit_draw(&ga, &ca, 25000);
		assert_true(med_run(m, 1) == 1);
	}
	double share = (double)busy(m, a) / (double)med_clock(m); /* 1 cycle = 1 ns */
	print_message("lone vGPU share %.3f (weight 1 of 16)\n", share);
	assert_true(share > 0.04 && share < 0.09);
	struct med_sched_counters sc = { .sz = sizeof(sc) };
	assert_int_equal(med_counters_sched(m, &sc), 0);
	assert_true(sc.idle_skips > 0);
	med_free(m);
}

/* Replays the event stream: the engines' owner changes only while no
 * workload is running, and every dispatch is the owner's. */
static void test_switches_happen_only_when_every_engine_is_idle(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct med *m = mk_sched_med(&rec);
	struct med_vgpu *a = mk_weighted(m, 4), *b = mk_weighted(m, 4);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	struct gctx ra, ba, rb, bb;
	guest_ctx_init(&ga, &ra, SCAN_RCS, 1, 2);
	guest_ctx_init(&ga, &ba, SCAN_BCS, 2, 2);
	guest_ctx_init(&gb, &rb, SCAN_RCS, 3, 2);
	guest_ctx_init(&gb, &bb, SCAN_BCS, 4, 2);
	uint64_t gpa_a, gpa_b;
	uint64_t pa = guest_ap_alloc(&ga, 1, &gpa_a), pb = guest_ap_alloc(&gb, 1, &gpa_b);
	for (unsigned i = 0; med_clock(m) < 60000000ull; i++) {
		if (outstanding(m, a) < 4) {
			submit_draw(&ga, &ra, 20000 + 97 * (i % 13));
			uint32_t s[4] = { MI_SDI_GGTT, (uint32_t)pa, 0, i };
			guest_ring_emit(&ga, &ba, s, 4);
			guest_submit(&ga, &ba);
		}
		if (outstanding(m, b) < 4) {
			submit_draw(&gb, &rb, 30000 + 89 * (i % 7));
			uint32_t s[4] = { MI_SDI_GGTT, (uint32_t)pb, 0, i };
			guest_ring_emit(&gb, &bb, s, 4);
			guest_submit(&gb, &bb);
		}
		assert_true(med_run(m, 1) == 1);
	}
	unsigned owner = 0, running[MED_NUM_ENGINES] = { 0 };
	size_t switches = 0, dispatches = 0;
	for (size_t k = 0; k < rec.n; k++) {
		const struct med_event *e = &rec.ev[k].ev;
		switch (e->type) {
		case MED_EV_SCHED_SWITCH:
			for (unsigned i = 0; i < MED_NUM_ENGINES; i++)
				assert_int_equal(running[i], 0);
			assert_int_equal(e->u.sched.from, owner);
			owner = e->u.sched.to;
			switches++;
			break;
		case MED_EV_DISPATCH:
			assert_int_equal(e->vgpu, owner);
			assert_int_equal(running[e->engine], 0);
			running[e->engine] = e->vgpu;
			dispatches++;
			break;
		case MED_EV_COMPLETE:
			assert_int_equal(running[e->engine], e->vgpu);
			running[e->engine] = 0;
			break;
		default:
			break;
		}
	}
	assert_true(switches > 4);
	assert_true(dispatches > 2 * switches);
	med_free(m);
	rec_fini(&rec);
}

/* The register context of each engine follows its vGPU across switches. */
static void test_engine_registers_are_saved_and_restored_per_vgpu(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct med *m = mk_sched_med(&rec);
	struct med_vgpu *a = mk_weighted(m, 4), *b = mk_weighted(m, 4);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	uint64_t data = guest_ppgtt_alloc(&ga, PP_DATA, 1);
	struct gctx ca, cb;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 1);
	guest_ctx_init(&gb, &cb, SCAN_RCS, 2, 1);
	const uint32_t gpr0 = 0x2600;
	uint32_t la[3] = { MI_LRI_1, gpr0, 0xaaaa5555u };
	guest_ring_emit(&ga, &ca, la, 3);
	guest_submit(&ga, &ca);
	assert_int_equal(med_run(m, 0), 1);
	uint32_t lb[3] = { MI_LRI_1, gpr0, 0xbbbb6666u };
	guest_ring_emit(&gb, &cb, lb, 3);
	guest_submit(&gb, &cb);
	assert_int_equal(med_run(m, 0), 1);
	uint32_t srm[4] = { MI_SRM_PPGTT, gpr0, (uint32_t)PP_DATA, 0 };
	guest_ring_emit(&ga, &ca, srm, 4);
	guest_submit(&ga, &ca);
	assert_int_equal(med_run(m, 0), 1);
	if (rec_count(&rec, MED_EV_REJECT))
		rec_dump(&rec, 20);
	assert_int_equal(rec_count(&rec, MED_EV_REJECT), 0);
	assert_int_equal(guest_read32(&ga, data), 0xaaaa5555u);
	struct med_sched_counters sc = { .sz = sizeof(sc) };
	assert_int_equal(med_counters_sched(m, &sc), 0);
	assert_true(sc.switches >= 3);
	med_free(m);
	rec_fini(&rec);
}

/* Everything that decides is recorded: two runs of the same calls give
 * the same events (real-time scan durations aside). */
static uint64_t run_scenario(void)
{
	struct rec rec;
	rec_init(&rec);
	struct med *m = mk_sched_med(&rec);
	struct med_vgpu *a = mk_weighted(m, 3), *b = mk_weighted(m, 5);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	struct gctx ca, cb;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 2);
	guest_ctx_init(&gb, &cb, SCAN_RCS, 2, 2);
	for (unsigned i = 0; i < 300; i++) {
		if (i % 3 != 2)
			submit_draw(&ga, &ca, 10000 + 31 * i);
		if (i % 2)
			submit_draw(&gb, &cb, 12000 + 17 * i);
		if (i % 50 == 0)
			assert_int_equal(med_clock_advance(m, 3000000), 0);
		assert_true(med_run(m, 2) >= 0);
	}
	assert_true(med_run(m, 0) >= 0);
	uint64_t h = 1469598103934665603ull;
	for (size_t k = 0; k < rec.n; k++) {
		struct med_event e = rec.ev[k].ev;
		if (e.type == MED_EV_SCAN)
			e.u.scan.scan_ns = 0;
		const uint8_t *p = (const uint8_t *)&e;
		for (size_t i = 0; i < offsetof(struct med_event, text); i++)
			h = (h ^ p[i]) * 1099511628211ull;
	}
	h ^= rec.n;
	med_free(m);
	rec_fini(&rec);
	return h;
}

static void test_same_calls_give_the_same_events(void **state)
{
	(void)state;
	uint64_t h1 = run_scenario();
	uint64_t h2 = run_scenario();
	assert_true(h1 == h2);
}

static void test_new_vgpu_head_start(void **state)
{
	(void)state;
	/* With the default head start a new vGPU runs ahead of the slices:
	 * the first one in keeps the engines while it is busy. */
	struct med_opts o = { .sz = sizeof(o), .dispatch = MED_DISPATCH_MANUAL };
	struct med *m = NULL;
	assert_int_equal(med_new(&o, &m), 0);
	struct med_vgpu *a = mk_weighted(m, 1), *b = mk_weighted(m, 16);
	struct guest ga, gb;
	guest_init(&ga, m, a);
	guest_init(&gb, m, b);
	struct gctx ca, cb;
	guest_ctx_init(&ga, &ca, SCAN_RCS, 1, 2);
	guest_ctx_init(&gb, &cb, SCAN_RCS, 2, 2);
	while (med_clock(m) < 50000000ull) {
		while (outstanding(m, a) < 3)
			submit_draw(&ga, &ca, 50000);
		while (outstanding(m, b) < 3)
			submit_draw(&gb, &cb, 50000);
		assert_true(med_run(m, 1) == 1);
	}
	/* weight 1 of 17 would give a ~6%; with both inside their head start
	 * the LRU alternation gives a about half */
	double share = (double)busy(m, a) / (double)(busy(m, a) + busy(m, b));
	print_message("share of the weight-1 vGPU during the head start: %.2f\n", share);
	assert_true(share > 0.3);
	med_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_vgpus_share_engine_time_by_weight),
		cmocka_unit_test(test_a_lone_busy_vgpu_gets_only_its_share),
		cmocka_unit_test(test_switches_happen_only_when_every_engine_is_idle),
		cmocka_unit_test(test_engine_registers_are_saved_and_restored_per_vgpu),
		cmocka_unit_test(test_same_calls_give_the_same_events),
		cmocka_unit_test(test_new_vgpu_head_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
