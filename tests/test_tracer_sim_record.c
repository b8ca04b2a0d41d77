/* SPDX-License-Identifier: MIT */
/*
 * A recorded simulation (what `vgt sim --record` does): sim_run with the
 * in-process recorder as its extra subscriber, several profiles including
 * hostile, in the deterministic and the threaded mode.  The log read back
 * is complete (every seq once, in order, nothing lost, closed), starts
 * with the mediator's configuration and every vGPU's creation, and its
 * per-vGPU counts equal the mediator's counters in the sim's result:
 * submissions (every MED_EV_SUBMIT: the counter counts each fourth ELSP
 * write), scans (MED_EV_SCAN, which the sim's histogram counts), rejections
 * by reason (MED_EV_REJECT), GGTT writes (MED_EV_GGTT_WRITE with err 0) and
 * page-table writes (MED_EV_PT_WRITE but those refused on a dying vGPU,
 * which the counter does not count).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"
#include "tracer/tracer.h"
#include "tests/support/skip.h"

struct counts {
	uint64_t submissions, scans, ggtt_writes, pt_writes, rejected;
	uint64_t rejects[MED_RJ_SLOTS];
	bool created;
};

static void record_and_compare(const char *profiles, unsigned vgpus, uint64_t subs, bool det)
{
	char path[] = "/tmp/vgt-test-simrec-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	char rerr[256] = "";
	/* gap_ms: a thread descheduled between its seq and the recorder (a
	 * loaded machine, the sanitizers) is waited for, not declared lost */
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .gap_ms = 60000, .errbuf = rerr,
				       .errbuf_len = sizeof(rerr) };
	ro.writer.sz = sizeof(ro.writer);
	ro.writer.source = TR_SOURCE_INPROC;
	ro.writer.cmdline = "test_tracer_sim_record";
	struct tr_recorder *rec = NULL;
	int rc = tr_recorder_open(path, &ro, &rec);
	if (rc)
		fail_msg("tr_recorder_open: %d %s", rc, rerr);

	char err[512] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = vgpus, .profiles = profiles,
			      .submissions = subs, .seed = 5, .shm_name = "", .deterministic = det,
			      .event = tr_recorder_event, .event_ctx = rec,
			      .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	rc = sim_run(&o, &r);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(rec, &st), 0);
	if (rc)
		fail_msg("sim_run(%s): %d %s", profiles, rc, err);
	assert_true(r->ok);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.w.events, st.received);
	assert_int_equal(st.w.out_of_order, 0);

	struct counts c[MED_MAX_VGPUS + 1];
	memset(c, 0, sizeof(c));
	struct tr_reader_opts rdo = { .sz = sizeof(rdo), .no_blobs = true };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(path, &rdo, &rd), 0);
	const struct tr_record *x;
	uint64_t n = 0, last = 0;
	while ((rc = tr_reader_next(rd, &x)) == 1) {
		assert_int_equal(x->kind, TR_REC_EVENT); /* no loss record */
		const struct med_event *e = &x->ev;
		assert_int_equal(e->seq, last + 1); /* every seq once, in order */
		last = e->seq;
		if (n++ == 0)
			assert_int_equal(e->type, MED_EV_CONFIG);
		assert_true(e->vgpu <= MED_MAX_VGPUS);
		struct counts *k = &c[e->vgpu];
		switch (e->type) {
		case MED_EV_VGPU_CREATE:
			k->created = true;
			break;
		case MED_EV_SUBMIT:
			k->submissions++;
			break;
		case MED_EV_SCAN:
			k->scans++;
			break;
		case MED_EV_GGTT_WRITE:
			if (!e->err)
				k->ggtt_writes++;
			break;
		case MED_EV_PT_WRITE:
			if (e->err != -ENODEV)
				k->pt_writes++;
			break;
		case MED_EV_REJECT:
			k->rejected++;
			if (e->u.reject.reason < MED_RJ_SLOTS)
				k->rejects[e->u.reject.reason]++;
			break;
		default:
			break;
		}
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, st.w.events);
	struct tr_health h = { .sz = sizeof(h) };
	assert_int_equal(tr_reader_health(rd, &h), 0);
	assert_true(h.closed);
	tr_reader_close(rd);

	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct sim_vgpu *v = &r->v[i];
		const struct counts *k = &c[v->id];
		assert_true(k->created);
		assert_int_equal(k->submissions, v->med.submissions);
		assert_int_equal(k->scans, v->scans);
		assert_int_equal(k->ggtt_writes, v->med.ggtt_writes);
		assert_int_equal(k->pt_writes, v->med.pt_writes);
		assert_int_equal(k->rejected, v->med.rejected);
		for (unsigned j = 0; j < MED_RJ_SLOTS; j++)
			if (k->rejects[j] != v->med.rejects[j])
				fail_msg("vgpu %u (%s): %llu rejections for reason %u in the log, %llu "
					 "counted", v->id, v->profile_name,
					 (unsigned long long)k->rejects[j], j,
					 (unsigned long long)v->med.rejects[j]);
		assert_true(v->med.submissions > 0);
	}
	/* the hostile profile was rejected, and the log says so */
	bool any_reject = false;
	for (unsigned i = 0; i < r->nvgpus; i++)
		any_reject |= c[r->v[i].id].rejected > 0;
	if (strstr(profiles, "hostile"))
		assert_true(any_reject);
	sim_result_free(r);
	unlink(path);
}

static void test_deterministic_recorded_run_matches_the_counters(void **state)
{
	record_and_compare("3d,blit,media,hostile", 4, 40, true);
}

static void test_threaded_recorded_run_matches_the_counters(void **state)
{
	record_and_compare("3d,compute,desktop,hostile", 4, 40, false);
}

/* A recorder that takes fewer types than another subscriber (here the
 * simulation's hypervisor, which takes SCAN, CSB and IRQ) sees seqs with
 * holes; it merges by the bus's gapless delivery numbers, so it never waits
 * for them nor declares them lost. */
static void test_a_recorder_of_some_types_waits_for_no_hole(void **state)
{
	char path[] = "/tmp/vgt-test-simrec-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char rerr[256] = "";
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .gap_ms = 500, .errbuf = rerr,
				       .errbuf_len = sizeof(rerr) };
	ro.writer.sz = sizeof(ro.writer);
	struct tr_recorder *rec = NULL;
	assert_int_equal(tr_recorder_open(path, &ro, &rec), 0);
	char err[512] = "";
	uint64_t skip = MED_EV_BIT(MED_EV_SCAN) | MED_EV_BIT(MED_EV_CSB) | MED_EV_BIT(MED_EV_IRQ);
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 3, .profiles = "3d,blit,hostile",
			      .submissions = 15, .seed = 7, .shm_name = "",
			      .event = tr_recorder_event, .event_ctx = rec,
			      .event_mask = MED_EV_ALL & ~skip, .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	int rc = sim_run(&o, &r);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(rec, &st), 0);
	if (rc)
		fail_msg("sim_run: %d %s", rc, err);
	assert_true(r->ok);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.w.out_of_order, 0);
	assert_int_equal(st.w.events, st.received);

	struct tr_reader_opts rdo = { .sz = sizeof(rdo), .no_blobs = true };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(path, &rdo, &rd), 0);
	const struct tr_record *x;
	uint64_t n = 0, last = 0, holes = 0;
	while ((rc = tr_reader_next(rd, &x)) == 1) {
		assert_int_equal(x->kind, TR_REC_EVENT);
		assert_true(x->ev.seq > last); /* in order */
		holes += x->ev.seq - last - 1;
		last = x->ev.seq;
		assert_false(skip & MED_EV_BIT(x->ev.type));
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, st.w.events);
	assert_true(holes > 0); /* the hypervisor's types took seqs */
	tr_reader_close(rd);
	sim_result_free(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic_recorded_run_matches_the_counters),
		cmocka_unit_test(test_threaded_recorded_run_matches_the_counters),
		cmocka_unit_test(test_a_recorder_of_some_types_waits_for_no_hole),
	};
	return vgt_run_group_tests(tests, NULL, NULL);
}
