/* SPDX-License-Identifier: MIT */
/*
 * busy% of `vgt sim` (docs/SIM.md): per engine, engine time over elapsed
 * virtual time.  Batches that end at once leave the engines idle whatever
 * the dispatch; in a deterministic run the clock is exactly the engines'
 * time plus trap_ns per guest trap, so a load's busy share is known in
 * advance; with threads the clock follows the wall clock and the vGPUs'
 * shares of an engine never exceed it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/sim.h"

static struct sim_result *run(struct sim_opts *o)
{
	char err[512] = "";
	o->sz = sizeof(*o);
	o->shm_name = "";
	o->errbuf = err;
	o->errbuf_len = sizeof(err);
	if (!o->seed)
		o->seed = 1;
	struct sim_result *r = NULL;
	int rc = sim_run(o, &r);
	if (rc)
		fail_msg("sim_run(%s): %d %s", o->profiles, rc, err);
	for (unsigned i = 0; i < r->nvgpus; i++)
		if (!r->v[i].ok)
			fail_msg("vgpu %u (%s): %s", r->v[i].id, r->v[i].profile_name, r->v[i].first_failure);
	return r;
}

static uint64_t traps(const struct med_counters *c)
{
	return c->mmio_reads + c->mmio_writes + c->mmio_refused + c->cfg_reads + c->cfg_writes +
	       c->ggtt_reads + c->ggtt_writes + c->pt_writes;
}

/* gem_exec_nop: MI_BATCH_BUFFER_END-only batches, 64 of them */
static bool nop_capture(char *prof, size_t len)
{
	const char *shared = getenv("VGT_SHARED");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/reference/captures/gen9-igt-gem_exec_nop-vecs",
		 shared ? shared : "../shared");
	struct stat st;
	if (stat(dir, &st)) {
		print_message("skipped: %s not found (set VGT_SHARED)\n", dir);
		return false;
	}
	snprintf(prof, len, "capture:%s", dir);
	return true;
}

static void test_end_only_batches_leave_the_engines_idle_with_threads(void **state)
{
	char prof[1100];
	if (!nop_capture(prof, sizeof(prof)))
		skip();
	struct sim_opts o = { .vgpus = 1, .profiles = prof, .submissions = 64 };
	struct sim_result *r = run(&o);
	/* one vGPU alone: the old figure was its share of model time, 100% */
	assert_true(r->virtual_ns >= (uint64_t)(r->wall_s * 1e9 * 0.9));
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		if (r->v[0].busy_pct[e] >= 5.0)
			fail_msg("%s busy %.2f%% with end-only batches", scan_engine_name(e),
				 r->v[0].busy_pct[e]);
		assert_true(r->busy_pct[e] < 5.0);
	}
	assert_true(r->v[0].med.busy_cycles > 0);
	sim_result_free(r);
}

static void test_end_only_batches_leave_the_engines_idle_deterministically(void **state)
{
	char prof[1100];
	if (!nop_capture(prof, sizeof(prof)))
		skip();
	struct sim_opts o = { .vgpus = 1, .profiles = prof, .submissions = 64, .deterministic = true };
	struct sim_result *r = run(&o);
	/* ~11 traps (11 us) per workload against ~0.25 us of engine time */
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		if (r->v[0].busy_pct[e] >= 5.0)
			fail_msg("%s busy %.2f%% with end-only batches", scan_engine_name(e),
				 r->v[0].busy_pct[e]);
	sim_result_free(r);
}

/* Deterministic: clock = engine time + trap_ns per guest trap (boot
 * included), nothing else, so busy% of each engine is known from the
 * counters alone. */
static void expect_known_share(uint32_t trap_ns)
{
	struct sim_opts o = { .vgpus = 3, .profiles = "3d,blit,media", .submissions = 30,
			      .deterministic = true, .trap_ns = trap_ns };
	struct sim_result *r = run(&o);
	assert_int_equal(r->cycles_per_us, 1000); /* 1 cycle = 1 ns */
	uint64_t busy = 0, t = 0, per_engine[MED_NUM_ENGINES] = { 0 };
	for (unsigned i = 0; i < r->nvgpus; i++) {
		busy += r->v[i].med.busy_cycles;
		t += traps(&r->v[i].med);
		for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
			per_engine[e] += r->v[i].med.busy_cycles_engine[e];
	}
	uint64_t expect_ns = busy + t * (trap_ns ? trap_ns : SIM_TRAP_NS_DEFAULT);
	if (r->virtual_ns != expect_ns)
		fail_msg("virtual %llu ns, engines %llu + %llu traps: %llu", (unsigned long long)r->virtual_ns,
			 (unsigned long long)busy, (unsigned long long)t, (unsigned long long)expect_ns);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		double want = 100.0 * (double)per_engine[e] / (double)expect_ns;
		assert_true(r->busy_pct[e] > want - 1e-9 && r->busy_pct[e] < want + 1e-9);
	}
	/* the 3d vGPU's busiest engine is the render engine, the others' their own */
	assert_int_equal(r->v[0].busy_engine, SCAN_RCS);
	assert_int_equal(r->v[1].busy_engine, SCAN_BCS);
	assert_int_equal(r->v[2].busy_engine, SCAN_VCS);
	assert_true(r->v[0].busy_pct[SCAN_RCS] > 0);
	sim_result_free(r);
}

static void test_known_load_gives_the_expected_busy_share(void **state)
{
	expect_known_share(0);    /* 1 us per trap */
	expect_known_share(50);   /* cheap traps: the engines dominate */
}

static void test_shares_of_an_engine_add_up_to_at_most_its_time(void **state)
{
	struct sim_opts o = { .vgpus = 4, .profiles = "3d,3d,desktop,compute", .submissions = 25 };
	struct sim_result *r = run(&o);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		double sum = 0;
		for (unsigned i = 0; i < r->nvgpus; i++)
			sum += r->v[i].busy_pct[e];
		assert_true(sum <= 100.0 + 1e-6);
		assert_true(sum > r->busy_pct[e] - 1e-6 && sum < r->busy_pct[e] + 1e-6);
	}
	assert_true(r->busy_pct[SCAN_RCS] > 0);
	sim_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_only_batches_leave_the_engines_idle_with_threads),
		cmocka_unit_test(test_end_only_batches_leave_the_engines_idle_deterministically),
		cmocka_unit_test(test_known_load_gives_the_expected_busy_share),
		cmocka_unit_test(test_shares_of_an_engine_add_up_to_at_most_its_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
