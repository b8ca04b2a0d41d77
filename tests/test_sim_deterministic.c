/* SPDX-License-Identifier: MIT */
/*
 * `vgt sim --deterministic`: guests driven round-robin from one thread
 * against a manually dispatched mediator.  Two runs with one seed give the
 * same event stream — every event's type, vGPU, engine, sequence number,
 * virtual time and payload (the scan's real-time field excepted) — seen by
 * the extra subscriber sim_opts carries for a recorder; another seed gives
 * another stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "sim/sim.h"

struct stream {
	XXH64_state_t *h;
	uint64_t events, last_seq, types;
	bool in_order, config_first;
};

static void on_event(void *ctx, const struct med_event *ev)
{
	struct stream *s = ctx;
	if (!s->events)
		s->config_first = ev->type == MED_EV_CONFIG;
	s->in_order &= ev->seq > s->last_seq;
	s->last_seq = ev->seq;
	s->events++;
	s->types |= MED_EV_BIT(ev->type);
	struct med_event e = *ev;
	if (e.type == MED_EV_SCAN)
		e.u.scan.scan_ns = 0; /* real time */
	XXH64_update(s->h, &e.type, sizeof(e.type));
	XXH64_update(s->h, &e.vgpu, sizeof(e.vgpu));
	XXH64_update(s->h, &e.engine, sizeof(e.engine));
	XXH64_update(s->h, &e.err, sizeof(e.err));
	XXH64_update(s->h, &e.seq, sizeof(e.seq));
	XXH64_update(s->h, &e.time, sizeof(e.time));
	XXH64_update(s->h, &e.u, sizeof(e.u));
	if (e.text)
		XXH64_update(s->h, e.text, strlen(e.text));
}

static uint64_t stream_of(uint64_t seed, uint64_t mask, struct stream *s, struct sim_result **out)
{
	memset(s, 0, sizeof(*s));
	s->h = XXH64_createState();
	assert_non_null(s->h);
	XXH64_reset(s->h, 0);
	s->in_order = true;
	char err[512] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 4, .profiles = "3d,blit,media,hostile",
			      .submissions = 30, .seed = seed, .shm_name = "", .deterministic = true,
			      .event = on_event, .event_ctx = s, .event_mask = mask,
			      .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	if (sim_run(&o, &r))
		fail_msg("sim_run: %s", err);
	if (!r->ok)
		fail_msg("seed %llu: not ok: %s", (unsigned long long)seed, r->v[3].first_failure);
	uint64_t d = XXH64_digest(s->h);
	XXH64_freeState(s->h);
	*out = r;
	return d;
}

static void test_one_seed_gives_one_event_stream(void **state)
{
	struct stream a, b, c;
	struct sim_result *ra, *rb, *rc;
	uint64_t ha = stream_of(7, 0, &a, &ra);
	uint64_t hb = stream_of(7, 0, &b, &rb);
	uint64_t hc = stream_of(8, 0, &c, &rc);
	assert_true(a.events > 1000);
	assert_true(a.config_first);
	assert_true(a.in_order); /* one thread: delivered in seq order */
	/* every kind of traffic is in the stream */
	uint64_t want = MED_EV_BIT(MED_EV_VGPU_CREATE) | MED_EV_BIT(MED_EV_MMIO_WRITE) |
			MED_EV_BIT(MED_EV_GGTT_WRITE) | MED_EV_BIT(MED_EV_PT_WRITE) |
			MED_EV_BIT(MED_EV_SUBMIT) | MED_EV_BIT(MED_EV_SCAN) | MED_EV_BIT(MED_EV_REJECT) |
			MED_EV_BIT(MED_EV_COMPLETE) | MED_EV_BIT(MED_EV_CSB) | MED_EV_BIT(MED_EV_IRQ) |
			MED_EV_BIT(MED_EV_CLOCK) | MED_EV_BIT(MED_EV_VGPU_RESET);
	assert_int_equal(a.types & want, want);
	assert_int_equal(a.events, b.events);
	assert_true(ha == hb);
	assert_int_equal(ra->virtual_ns, rb->virtual_ns);
	for (unsigned i = 0; i < ra->nvgpus; i++) {
		assert_int_equal(ra->v[i].med.irqs, rb->v[i].med.irqs);
		assert_int_equal(ra->v[i].med.busy_cycles, rb->v[i].med.busy_cycles);
		assert_true(ra->v[i].busy_pct[0] == rb->v[i].busy_pct[0]);
	}
	assert_true(ha != hc);
	assert_true(ra->deterministic);
	sim_result_free(ra);
	sim_result_free(rb);
	sim_result_free(rc);
}

static void test_the_extra_subscriber_gets_only_its_mask(void **state)
{
	struct stream s;
	struct sim_result *r;
	stream_of(7, MED_EV_BIT(MED_EV_SUBMIT), &s, &r);
	assert_int_equal(s.types, MED_EV_BIT(MED_EV_SUBMIT));
	uint64_t subs = 0;
	for (unsigned i = 0; i < r->nvgpus; i++)
		subs += r->v[i].med.submissions;
	assert_int_equal(s.events, subs);
	sim_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_seed_gives_one_event_stream),
		cmocka_unit_test(test_the_extra_subscriber_gets_only_its_mask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
