/* SPDX-License-Identifier: MIT */
/*
 * The simulation behind `vgt sim`: every profile runs against the mediator
 * for a bounded number of submissions with its self-checks passing and the
 * isolation monitor silent under strict; a hostile vGPU gets every attack
 * rejected with the expected reason while its neighbours are unaffected;
 * the same seed gives the same counters; the shared-memory segment carries
 * a consistent, versioned snapshot while it runs; a stop request ends the
 * run with a report; bad options are refused with a message (vGPUs that do
 * not fit with how many do); each VM's memory is what the options say.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim.h"
#include "tests/support/skip.h"

static struct sim_result *sim(const char *profiles, unsigned vgpus, uint64_t subs,
				    uint64_t seed)
{
	char err[512] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = vgpus, .profiles = profiles,
				    .submissions = subs, .seed = seed, .shm_name = "",
				    .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	int rc = sim_run(&o, &r);
	if (rc)
		fail_msg("sim_run(%s): %d %s", profiles, rc, err);
	return r;
}

static void expect_clean(const struct sim_result *r)
{
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		if (!v->ok)
			fail_msg("vgpu %u (%s): %s", v->id, v->profile_name, v->first_failure);
		assert_true(v->consistent);
		assert_int_equal(v->escapes, 0);
		assert_int_equal(v->legal_ok, v->legal);
		assert_int_equal(v->attacks_ok, v->attacks);
	}
	assert_int_equal(r->escapes, 0);
	assert_true(r->ok);
}

/* ---------------------------------------------------------------- tests */

static void test_every_profile_runs_clean_under_strict(void **state)
{
	struct sim_result *r = sim("3d,compute,blit,media,desktop", 5, 25, 1);
	expect_clean(r);
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		assert_int_equal(v->work, 25);
		assert_int_equal(v->legal, 25);
		assert_int_equal(v->med.submissions, 25);
		assert_int_equal(v->med.completed, 25);
		assert_int_equal(v->med.rejected, 0);
		assert_true(v->med.commands_scanned > 25);
		assert_true(v->med.pt_writes > 0);
		assert_true(v->med.busy_cycles > 0);
		assert_true(v->scans >= 25);
		assert_true(v->scan_p99_ns >= v->scan_p50_ns);
	}
	sim_result_free(r);
}

static void test_capture_profile_runs_clean(void **state)
{
	char prof[1200], dir[1100];
	snprintf(dir, sizeof(dir), "%s/reference/captures/gen9-i965-h264-decode", vgt_test_shared());
	struct stat st;
	if (stat(dir, &st)) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED)", dir);
	}
	snprintf(prof, sizeof(prof), "capture:%s", dir);
	struct sim_result *r = sim(prof, 1, 12, 1);
	expect_clean(r);
	assert_int_equal(r->v[0].legal, 12);
	assert_string_equal(r->v[0].profile_name, "capture:gen9-i965-h264-decode");
	sim_result_free(r);
}

static void test_hostile_attacks_are_all_rejected_and_neighbours_unaffected(void **state)
{
	/* enough work for every attack class once: 1..3 legal between attacks */
	uint64_t n = 4 * guest_attack_count();
	struct sim_result *r = sim("hostile,3d,blit", 3, n, 5);
	expect_clean(r);
	const struct sim_vgpu *h = &r->v[0];
	assert_true(h->attacks >= guest_attack_count());
	assert_int_equal(h->attacks_ok, h->attacks);
	/* refused, or (the endless loop the auditor admits) stopped by the
	 * watchdog: a hang of ~1 ms, counted as such */
	assert_true(h->med.watchdog > 0);
	assert_int_equal(h->med.rejected + h->med.watchdog, h->attacks);
	assert_int_equal(h->med.hangs, h->med.watchdog);
	/* every class's reason shows up in the mediator's counters */
	for (unsigned i = 0; i < guest_attack_count(); i++) {
		uint16_t why;
		const char *name = guest_attack_name(i, &why);
		if (guest_attack_expect(i) == GUEST_EXPECT_WATCHDOG)
			continue;
		if (!h->med.rejects[why])
			fail_msg("attack %s: no rejection counted as %s", name, med_reject_name(why));
	}
	assert_true(h->reboots > 0);
	for (unsigned i = 1; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		assert_int_equal(v->med.rejected, 0);
		assert_int_equal(v->med.hangs, 0);
		assert_int_equal(v->med.failsafe_entries, 0);
		assert_int_equal(v->legal_ok, n);
		assert_int_equal(v->reboots, 0);
	}
	sim_result_free(r);
}

static void compare_counters(const struct sim_result *a, const struct sim_result *b)
{
	assert_int_equal(a->nvgpus, b->nvgpus);
	for (unsigned i = 0; i < a->nvgpus; i++) {
		const struct med_counters *x = &a->v[i].med, *y = &b->v[i].med;
#define EQ(f) \
	if (x->f != y->f) \
		fail_msg("vgpu %u %s: %llu then %llu", a->v[i].id, #f, (unsigned long long)x->f, \
			 (unsigned long long)y->f)
		EQ(submissions);
		EQ(workloads);
		EQ(completed);
		EQ(rejected);
		EQ(commands_scanned);
		EQ(bytes_scanned);
		EQ(ggtt_writes);
		EQ(pt_writes);
		EQ(mmio_reads);
		EQ(mmio_writes);
		EQ(cfg_reads);
		EQ(cfg_writes);
		EQ(busy_cycles);
		EQ(commands_executed);
		EQ(csb_events);
		EQ(failsafe_entries);
#undef EQ
		assert_memory_equal(x->rejects, y->rejects, sizeof(x->rejects));
		assert_int_equal(a->v[i].drv.pt_writes, b->v[i].drv.pt_writes);
		assert_int_equal(a->v[i].drv.bo_maps, b->v[i].drv.bo_maps);
	}
}

static void test_same_seed_gives_the_same_counters(void **state)
{
	const char *mix = "3d,blit,media,hostile";
	struct sim_result *a = sim(mix, 4, 40, 77);
	struct sim_result *b = sim(mix, 4, 40, 77);
	struct sim_result *c = sim(mix, 4, 40, 78);
	expect_clean(a);
	expect_clean(b);
	compare_counters(a, b);
	bool differs = false;
	for (unsigned i = 0; i < a->nvgpus; i++)
		differs |= a->v[i].med.commands_scanned != c->v[i].med.commands_scanned ||
			    a->v[i].med.busy_cycles != c->v[i].med.busy_cycles;
	assert_true(differs);
	sim_result_free(a);
	sim_result_free(b);
	sim_result_free(c);
}

/* --------------------------------------------------- segment and stop */

struct bg {
	struct sim_opts o;
	struct sim_result *r;
	int rc;
	char err[512];
	volatile sig_atomic_t stop;
};

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	b->rc = sim_run(&b->o, &b->r);
	return NULL;
}

static void test_segment_publishes_versioned_consistent_counters(void **state)
{
	struct bg b;
	memset(&b, 0, sizeof(b));
	char name[64];
	snprintf(name, sizeof(name), "/vgt-test-sim-%d", (int)getpid());
	b.o = (struct sim_opts){ .sz = sizeof(b.o), .vgpus = 2, .profiles = "3d,blit",
				       .submissions = 1000000000ull, .shm_name = name,
				       .progress_ms = 10, .stop = &b.stop, .errbuf = b.err,
				       .errbuf_len = sizeof(b.err) };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, bg_main, &b), 0);
	struct sim_shm s1, s2;
	memset(&s1, 0, sizeof(s1));
	int rc = -ENOENT;
	/* wait until the run has published progress (bounded) */
	for (unsigned i = 0; i < 3000; i++) {
		rc = sim_shm_read(name, &s1);
		if (!rc && s1.state == SIM_SHM_RUNNING && s1.vgpu[0].submissions > 2 &&
		    s1.vgpu[1].submissions > 2)
			break;
		usleep(10000);
	}
	assert_int_equal(rc, 0);
	assert_true(s1.magic == SIM_SHM_MAGIC);
	assert_int_equal(s1.version, SIM_SHM_VERSION);
	assert_int_equal(s1.vgpu_size, sizeof(struct sim_shm_vgpu));
	assert_int_equal(s1.nvgpus, 2);
	assert_int_equal(s1.pid, getpid());
	assert_int_equal(s1.seq % 2, 0);
	assert_string_equal(s1.vgpu[0].profile_name, "3d");
	assert_string_equal(s1.vgpu[1].profile_name, "blit");
	for (unsigned i = 0; i < 3000; i++) {
		assert_int_equal(sim_shm_read(name, &s2), 0);
		if (s2.updates > s1.updates)
			break;
		usleep(10000);
	}
	assert_true(s2.updates > s1.updates);
	assert_true(s2.vgpu[0].submissions >= s1.vgpu[0].submissions);
	assert_true(s2.vgpu[0].completed <= s2.vgpu[0].submissions);
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, 0);
	assert_true(b.r->interrupted);
	expect_clean(b.r);
	assert_true(b.r->v[0].work < 1000000000ull);
	assert_string_equal(b.r->shm_name, name);
	sim_result_free(b.r);
	/* the segment goes away with the run */
	assert_int_equal(sim_shm_read(name, &s2), -ENOENT);
}

static void test_bad_options_are_refused_with_a_message(void **state)
{
	char err[512];
	struct sim_result *r = NULL;
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 9, .shm_name = "", .errbuf = err,
				    .errbuf_len = sizeof(err) };
	assert_int_equal(sim_run(&o, &r), -EINVAL);
	assert_non_null(strstr(err, "9 vGPUs"));
	o.vgpus = 1;
	o.profiles = "3d,warp";
	o.vgpus = 2;
	err[0] = 0;
	assert_int_equal(sim_run(&o, &r), -EINVAL);
	assert_non_null(strstr(err, "warp"));
	o.profiles = "capture:/nonexistent/folder";
	o.vgpus = 1;
	err[0] = 0;
	assert_int_equal(sim_run(&o, &r), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent/folder"));
	o.profiles = "3d";
	o.vgpus = 8; /* the vGPUs' fences leave room for seven */
	err[0] = 0;
	assert_int_equal(sim_run(&o, &r), -ENOSPC);
	if (!strstr(err, "the host fits 7 of type 8"))
		fail_msg("no capacity in: %s", err);
	assert_null(r);
	o.vgpus = 3;
	o.type = MED_VGPU_TYPE_2;
	err[0] = 0;
	assert_int_equal(sim_run(&o, &r), -ENOSPC);
	if (!strstr(err, "3 vGPUs of type 2 do not fit: the host fits 2 of type 2"))
		fail_msg("no capacity in: %s", err);
}

static void test_capacity_is_the_mediators(void **state)
{
	/* the figures docs/SIM.md gives: fences allow 7, the GGTT layout
	 * fewer of the larger types */
	static const struct { enum med_vgpu_type t; unsigned n; } want[] = {
		{ MED_VGPU_TYPE_8, 7 }, { MED_VGPU_TYPE_4, 5 }, { MED_VGPU_TYPE_2, 2 }, { MED_VGPU_TYPE_1, 1 },
	};
	for (unsigned i = 0; i < 4; i++) {
		unsigned n = 0;
		assert_int_equal(sim_vgpu_capacity(9, want[i].t, &n), 0);
		assert_int_equal(n, want[i].n);
	}
	unsigned n;
	assert_int_equal(sim_vgpu_capacity(9, (enum med_vgpu_type)9, &n), -EINVAL);
}

static void on_create(void *ctx, const struct med_event *ev)
{
	uint64_t *mem = ctx;
	if (ev->type == MED_EV_VGPU_CREATE)
		*mem = ev->u.vgpu.mem_size;
}

static void test_vms_get_the_memory_size_asked_for(void **state)
{
	/* the hypervisor gives vGPU and guest driver the same figure */
	uint64_t mem = 0;
	char err[512] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 1, .profiles = "3d", .submissions = 5,
			      .seed = 1, .shm_name = "", .mem_size = 256ull << 20, .event = on_create,
			      .event_ctx = &mem, .event_mask = MED_EV_BIT(MED_EV_VGPU_CREATE),
			      .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	if (sim_run(&o, &r))
		fail_msg("sim_run: %s", err);
	assert_int_equal(mem, 256ull << 20);
	assert_true(r->ok);
	sim_result_free(r);
	o.mem_size = 4097;
	assert_int_equal(sim_run(&o, &r), -EINVAL);
	assert_non_null(strstr(err, "4097"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_profile_runs_clean_under_strict),
		cmocka_unit_test(test_capture_profile_runs_clean),
		cmocka_unit_test(test_hostile_attacks_are_all_rejected_and_neighbours_unaffected),
		cmocka_unit_test(test_same_seed_gives_the_same_counters),
		cmocka_unit_test(test_segment_publishes_versioned_consistent_counters),
		cmocka_unit_test(test_bad_options_are_refused_with_a_message),
		cmocka_unit_test(test_capacity_is_the_mediators),
		cmocka_unit_test(test_vms_get_the_memory_size_asked_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
