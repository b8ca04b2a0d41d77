/* SPDX-License-Identifier: MIT */
/*
 * The in-process recorder (tracer.h): several threads emit synthetic
 * events numbered as the mediator numbers them (seq taken under a mutex,
 * the event handed over outside it, so arrivals interleave out of order),
 * with text and random blobs (repeated ones, missing ones, ones larger
 * than a quarter of the ring); the log read back holds every event once,
 * in seq order, identical.  Lossless mode with a tiny ring waits and
 * loses nothing; drop mode under an artificially slow writer counts its
 * drops exactly and the log's loss records cover every dropped seq; a seq
 * nobody hands over is declared missing after gap_ms; close drains the
 * rings; threads beyond max_threads share one ring and still come out in
 * order; open errors name the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"
#include "tests/support/skip.h"

/* ------------------------------------------------------ synthetic events */

#define RING_SMALL (64u << 10)
#define BIG_BLOB   (20000u) /* > RING_SMALL / 4 */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A blob's bytes: a function of (seq, i), or one shared pattern (repeated
 * blobs: the writer stores those once). */
static void blob_bytes(uint64_t seq, unsigned i, uint8_t *p, uint32_t len)
{
	uint64_t k = seq % 10 == 0 ? 424242 : seq * 8 + i;
	for (uint32_t j = 0; j < len; j += 8) {
		uint64_t v = mix(k + j);
		memcpy(p + j, &v, len - j < 8 ? len - j : 8);
	}
}

struct synth {
	struct med_event ev;
	struct med_blob blobs[3];
	uint8_t *bytes[3];
	char text[64];
};

/* Everything about event `seq` is a function of seq, so a reader can
 * rebuild what it should be.  big: some events carry a blob > ring / 4. */
static void synth_make(struct synth *s, uint64_t seq, bool big)
{
	memset(&s->ev, 0, sizeof(s->ev));
	uint64_t h = mix(seq);
	s->ev.type = (uint16_t)(1 + h % (MED_EV_TYPE_COUNT - 1));
	s->ev.vgpu = (uint16_t)(h >> 8) % 9;
	s->ev.engine = (int8_t)((h >> 16) % 5) - 1;
	s->ev.version = MED_EVENT_VERSION;
	s->ev.size = sizeof(struct med_event);
	s->ev.err = (h >> 20) % 11 == 0 ? -22 : 0;
	s->ev.flags = (uint32_t)(h >> 24) & 1;
	s->ev.seq = seq;
	s->ev.time = seq * 1000 + (h & 0xff);
	for (unsigned i = 0; i < 12; i++)
		s->ev.u.raw[i] = mix(seq * 16 + i);
	if (seq % 7 == 0) {
		snprintf(s->text, sizeof(s->text), "event %llu says why", (unsigned long long)seq);
		s->ev.text = s->text;
	}
	unsigned n = seq % 5 == 0 ? 1 + (unsigned)(h >> 40) % 3 : 0;
	for (unsigned i = 0; i < n; i++) {
		struct med_blob *b = &s->blobs[i];
		memset(b, 0, sizeof(*b));
		b->kind = (uint8_t)(1 + i);
		b->as = (uint8_t)i;
		b->len = big && seq % 97 == 0 && i == 0 ? BIG_BLOB : 64 + (uint32_t)((h >> (44 + i)) % 4000);
		if (seq % 10 == 0)
			b->len = 4096; /* the shared pattern */
		b->addr = seq << 12;
		b->gpa = i == 2 ? UINT64_MAX : (seq << 12) + i;
		s->bytes[i] = malloc(b->len);
		assert_non_null(s->bytes[i]);
		blob_bytes(seq, i, s->bytes[i], b->len);
		b->data = seq % 13 == 0 && i == n - 1 ? NULL : s->bytes[i]; /* recorded missing */
	}
	s->ev.blobs = n ? s->blobs : NULL;
	s->ev.nblobs = n;
}

static void synth_free(struct synth *s)
{
	for (unsigned i = 0; i < s->ev.nblobs; i++)
		free(s->bytes[i]);
}

/* The event read back is the one emitted. */
static void expect_event(const struct tr_record *rec, bool big)
{
	struct synth s;
	const struct med_event *e = &rec->ev;
	synth_make(&s, e->seq, big);
	const struct med_event *w = &s.ev;
	assert_int_equal(e->type, w->type);
	assert_int_equal(e->vgpu, w->vgpu);
	assert_int_equal(e->engine, w->engine);
	assert_int_equal(e->err, w->err);
	assert_int_equal(e->flags, w->flags);
	assert_int_equal(e->time, w->time);
	assert_memory_equal(e->u.raw, w->u.raw, sizeof(w->u.raw));
	if (w->text)
		assert_string_equal(e->text, w->text);
	else
		assert_null(e->text);
	assert_int_equal(e->nblobs, w->nblobs);
	for (unsigned i = 0; i < w->nblobs; i++) {
		const struct med_blob *a = &e->blobs[i], *b = &w->blobs[i];
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->as, b->as);
		assert_int_equal(a->len, b->len);
		assert_int_equal(a->addr, b->addr);
		assert_int_equal(a->gpa, b->gpa);
		if (!b->data) {
			assert_null(a->data);
			continue;
		}
		assert_non_null(a->data);
		assert_memory_equal(a->data, b->data, b->len);
	}
	synth_free(&s);
}

/* ------------------------------------------------------------- emitters */

struct bus {
	struct tr_recorder *rec;
	pthread_mutex_t lock;
	uint64_t seq;          /* the mediator's counter */
	uint64_t skip;         /* a seq nobody hands over (0: none) */
	unsigned per_thread;
	bool big;
};

static void *emitter(void *arg)
{
	struct bus *b = arg;
	for (unsigned i = 0; i < b->per_thread; i++) {
		pthread_mutex_lock(&b->lock);
		uint64_t seq = ++b->seq;
		pthread_mutex_unlock(&b->lock);
		if (seq == b->skip)
			continue;
		struct synth s;
		synth_make(&s, seq, b->big);
		tr_recorder_event(b->rec, &s.ev); /* outside the lock: out of order */
		synth_free(&s);
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void run_threads(struct bus *b, unsigned nthreads)
{
	pthread_t t[16];
	assert_true(nthreads <= 16);
	for (unsigned i = 0; i < nthreads; i++)
		assert_int_equal(pthread_create(&t[i], NULL, emitter, b), 0);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

/* ---------------------------------------------------------------- files */

static char tmpdir[256];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vgt-test-rec-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[320];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static struct tr_recorder_opts opts_of(enum tr_record_mode mode, size_t ring, char *err, size_t errlen)
{
	struct tr_recorder_opts o = { .sz = sizeof(o), .mode = mode, .ring_bytes = ring,
				      .gap_ms = 10000, .errbuf = err, .errbuf_len = errlen };
	o.writer.sz = sizeof(o.writer);
	o.writer.source = TR_SOURCE_INPROC;
	o.writer.tool_version = "vgt test";
	o.writer.cmdline = "test_tracer_recorder";
	o.writer.clock = "virtual";
	return o;
}

/* What the log holds. */
struct readback {
	uint64_t events, losses, lost, gap_lost;
	uint8_t *seen;          /* [seq]: times the event was read */
	struct tr_loss loss[4096];
	unsigned nloss;
	uint64_t out_of_order;  /* events whose seq is below the previous one's */
	bool closed;
};

static void read_log(const char *path, uint64_t maxseq, bool big, struct readback *rb)
{
	memset(rb, 0, sizeof(*rb));
	rb->seen = calloc(maxseq + 2, 1);
	assert_non_null(rb->seen);
	char err[256] = "";
	struct tr_reader_opts ro = { .sz = sizeof(ro), .errbuf = err, .errbuf_len = sizeof(err) };
	struct tr_reader *rd = NULL;
	int rc = tr_reader_open(path, &ro, &rd);
	if (rc)
		fail_msg("tr_reader_open(%s): %d %s", path, rc, err);
	const struct tr_record *rec;
	uint64_t last = 0;
	while ((rc = tr_reader_next(rd, &rec)) == 1) {
		if (rec->kind == TR_REC_LOSS) {
			if (rb->nloss < sizeof(rb->loss) / sizeof(rb->loss[0]))
				rb->loss[rb->nloss++] = rec->loss;
			rb->losses++;
			if (rec->loss.reason == TR_LOSS_SEQ_GAP)
				rb->gap_lost += rec->loss.count;
			else
				rb->lost += rec->loss.count;
			continue;
		}
		assert_int_equal(rec->kind, TR_REC_EVENT);
		uint64_t seq = rec->ev.seq;
		assert_true(seq >= 1 && seq <= maxseq);
		rb->seen[seq]++;
		if (seq < last)
			rb->out_of_order++;
		last = seq;
		rb->events++;
		expect_event(rec, big);
	}
	assert_int_equal(rc, 0);
	struct tr_health h = { .sz = sizeof(h) };
	assert_int_equal(tr_reader_health(rd, &h), 0);
	rb->closed = h.closed;
	tr_reader_close(rd);
}

static bool covered(const struct readback *rb, uint64_t seq, unsigned reason)
{
	for (unsigned i = 0; i < rb->nloss; i++)
		if (rb->loss[i].reason == reason && rb->loss[i].first_seq <= seq &&
		    seq <= rb->loss[i].last_seq)
			return true;
	return false;
}

/* ---------------------------------------------------------------- tests */

static void test_threads_every_event_once_in_seq_order_identical(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, RING_SMALL, err, sizeof(err));
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 2500, .big = true };
	const char *path = path_of("threads.vgtl");
	int rc = tr_recorder_open(path, &o, &b.rec);
	if (rc)
		fail_msg("open: %d %s", rc, err);
	run_threads(&b, 4);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(b.rec, &st), 0);
	uint64_t n = 4 * 2500;
	assert_int_equal(st.received, n);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.threads, 4);
	assert_int_equal(st.w.events, n);
	assert_int_equal(st.w.out_of_order, 0);
	assert_true(st.w.file_bytes > 0);

	struct readback rb;
	read_log(path, n, true, &rb);
	assert_true(rb.closed);
	assert_int_equal(rb.events, n);
	assert_int_equal(rb.losses, 0);
	assert_int_equal(rb.out_of_order, 0);
	for (uint64_t s = 1; s <= n; s++)
		assert_int_equal(rb.seen[s], 1);
	free(rb.seen);
}

static void test_lossless_tiny_ring_waits_and_loses_nothing(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, 4096, err, sizeof(err));
	o.writer_delay_ns = 2000; /* a writer slower than the emitters */
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 1500 };
	const char *path = path_of("lossless.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &b.rec), 0);
	run_threads(&b, 3);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(b.rec, &st), 0);
	uint64_t n = 3 * 1500;
	assert_true(st.waits > 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.received, n);
	assert_int_equal(st.w.events, n);

	struct readback rb;
	read_log(path, n, false, &rb);
	assert_int_equal(rb.events, n);
	assert_int_equal(rb.losses, 0);
	for (uint64_t s = 1; s <= n; s++)
		assert_int_equal(rb.seen[s], 1);
	free(rb.seen);
}

static void test_drop_mode_slow_writer_losses_are_exact(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_DROP, 4096, err, sizeof(err));
	o.writer_delay_ns = 20000; /* an artificially slow writer */
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 1500 };
	const char *path = path_of("drop.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &b.rec), 0);
	run_threads(&b, 3);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(b.rec, &st), 0);
	uint64_t n = 3 * 1500;
	assert_int_equal(st.received, n);
	assert_true(st.dropped > 0);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.w.events + st.dropped, n);
	assert_int_equal(st.w.lost_events, st.dropped);

	struct readback rb;
	read_log(path, n, false, &rb);
	assert_int_equal(rb.lost, st.dropped);      /* never silent */
	assert_int_equal(rb.gap_lost, 0);
	assert_int_equal(rb.events + st.dropped, n); /* present + dropped = emitted */
	assert_int_equal(rb.out_of_order, 0);
	for (uint64_t s = 1; s <= n; s++) {
		assert_true(rb.seen[s] <= 1); /* no event twice */
		if (!rb.seen[s] && !covered(&rb, s, TR_LOSS_RING_FULL))
			fail_msg("seq %llu is neither in the log nor in a loss record",
				 (unsigned long long)s);
	}
	for (unsigned i = 0; i < rb.nloss; i++) {
		assert_true(rb.loss[i].thread < 3);
		assert_true(rb.loss[i].count >= 1);
		assert_true(rb.loss[i].first_seq <= rb.loss[i].last_seq);
	}
	free(rb.seen);
}

static void emit_one(struct tr_recorder *r, uint64_t seq)
{
	struct synth s;
	synth_make(&s, seq, false);
	tr_recorder_event(r, &s.ev);
	synth_free(&s);
}

static void test_missing_seq_is_declared_after_gap_ms_and_late_one_still_written(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, RING_SMALL, err, sizeof(err));
	o.gap_ms = 50;
	struct tr_recorder *r = NULL;
	const char *path = path_of("gap.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &r), 0);
	for (uint64_t s = 1; s <= 20; s++)
		if (s != 11)
			emit_one(r, s);
	struct tr_record_stats st = { .sz = sizeof(st) };
	/* not declared at once: the writer waits for it first */
	assert_int_equal(tr_recorder_stats(r, &st), 0);
	assert_int_equal(st.gaps, 0);
	for (int i = 0; i < 200 && !st.gaps; i++) {
		usleep(10000);
		assert_int_equal(tr_recorder_stats(r, &st), 0);
	}
	assert_int_equal(st.gaps, 1);
	emit_one(r, 11); /* late: still written, out of order */
	assert_int_equal(tr_recorder_close(r, &st), 0);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.w.events, 20);
	assert_int_equal(st.w.out_of_order, 1);

	/* the loss sits between 10 and 12, the late event at the end */
	char rerr[256];
	struct tr_reader_opts ro = { .sz = sizeof(ro), .errbuf = rerr, .errbuf_len = sizeof(rerr) };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(path, &ro, &rd), 0);
	const struct tr_record *rec;
	uint64_t order[32];
	unsigned k = 0;
	while (tr_reader_next(rd, &rec) == 1 && k < 32) {
		if (rec->kind == TR_REC_LOSS) {
			assert_int_equal(rec->loss.reason, TR_LOSS_SEQ_GAP);
			assert_int_equal(rec->loss.count, 1);
			assert_int_equal(rec->loss.first_seq, 11);
			assert_int_equal(rec->loss.last_seq, 11);
			order[k++] = 0;
		} else {
			order[k++] = rec->ev.seq;
		}
	}
	tr_reader_close(rd);
	assert_int_equal(k, 21);
	assert_int_equal(order[9], 10);
	assert_int_equal(order[10], 0);
	assert_int_equal(order[11], 12);
	assert_int_equal(order[20], 11);
}

static void test_close_with_events_still_in_rings_loses_nothing(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, 1u << 20, err, sizeof(err));
	o.writer_delay_ns = 1000; /* the rings are far from empty at close */
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 2000 };
	const char *path = path_of("close.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &b.rec), 0);
	run_threads(&b, 2);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_stats(b.rec, &st), 0);
	assert_true(st.w.events < 4000); /* still in the rings */
	assert_int_equal(tr_recorder_close(b.rec, &st), 0);
	assert_int_equal(st.w.events, 4000);
	struct readback rb;
	read_log(path, 4000, false, &rb);
	assert_true(rb.closed);
	assert_int_equal(rb.events, 4000);
	for (uint64_t s = 1; s <= 4000; s++)
		assert_int_equal(rb.seen[s], 1);
	free(rb.seen);
}

static void test_threads_beyond_max_threads_share_a_ring_still_in_order(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, RING_SMALL, err, sizeof(err));
	o.max_threads = 2;
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 1000, .big = true };
	const char *path = path_of("shared.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &b.rec), 0);
	run_threads(&b, 6);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(b.rec, &st), 0);
	assert_int_equal(st.threads, 6);
	assert_int_equal(st.w.events, 6000);
	assert_int_equal(st.gaps, 0);
	struct readback rb;
	read_log(path, 6000, true, &rb);
	assert_int_equal(rb.events, 6000);
	assert_int_equal(rb.out_of_order, 0);
	for (uint64_t s = 1; s <= 6000; s++)
		assert_int_equal(rb.seen[s], 1);
	free(rb.seen);
}

/* Reads the first bytes of the FIFO, then closes it: the writer's next
 * writes fail (EPIPE). */
static void *fifo_reader(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY);
	if (fd >= 0) {
		char buf[512];
		ssize_t n = read(fd, buf, sizeof(buf));
		(void)n;
		close(fd);
	}
	return NULL;
}

static void test_a_dead_writer_keeps_its_first_error_and_never_hangs_emitters(void **state)
{
	char fifo[320];
	snprintf(fifo, sizeof(fifo), "%s", path_of("pipe"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGPIPE, SIG_IGN);
	pthread_t rt;
	assert_int_equal(pthread_create(&rt, NULL, fifo_reader, fifo), 0);
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, 4096, err, sizeof(err));
	o.flush_ms = 1;
	struct bus b = { .lock = PTHREAD_MUTEX_INITIALIZER, .per_thread = 3000 };
	assert_int_equal(tr_recorder_open(fifo, &o, &b.rec), 0);
	pthread_join(rt, NULL); /* the pipe has no reader from now on */
	/* a tiny lossless ring: the emitters wait for the writer, which fails
	 * and then takes and discards: they finish */
	run_threads(&b, 2);
	struct tr_record_stats st = { .sz = sizeof(st) };
	int rc = tr_recorder_close(b.rec, &st);
	assert_true(rc < 0);
	assert_int_equal(st.error, rc);
	assert_int_equal(st.received, 6000);
	assert_true(st.w.events < 6000);
	assert_true(err[0] != 0); /* the writer's reason */
}

static void test_open_errors_name_the_path(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, 0, err, sizeof(err));
	struct tr_recorder *r = (struct tr_recorder *)1;
	/* a directory */
	assert_int_equal(tr_recorder_open(tmpdir, &o, &r), -EISDIR);
	assert_null(r);
	assert_non_null(strstr(err, tmpdir));
	/* a path in a missing directory */
	char p[400];
	snprintf(p, sizeof(p), "%s/no/such/dir/x.vgtl", tmpdir);
	err[0] = 0;
	assert_int_equal(tr_recorder_open(p, &o, &r), -ENOENT);
	assert_non_null(strstr(err, p));
	/* bad options */
	o.ring_bytes = 100;
	err[0] = 0;
	assert_int_equal(tr_recorder_open(path_of("x.vgtl"), &o, &r), -EINVAL);
	assert_non_null(strstr(err, "ring_bytes"));
	o.ring_bytes = 0;
	o.mode = (enum tr_record_mode)7;
	assert_int_equal(tr_recorder_open(path_of("x.vgtl"), &o, &r), -EINVAL);
	assert_int_equal(tr_recorder_close(NULL, NULL), -EINVAL);
}

static void test_an_empty_recording_is_a_closed_log(void **state)
{
	char err[256] = "";
	struct tr_recorder_opts o = opts_of(TR_RECORD_LOSSLESS, 0, err, sizeof(err));
	struct tr_recorder *r = NULL;
	const char *path = path_of("empty.vgtl");
	assert_int_equal(tr_recorder_open(path, &o, &r), 0);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(r, &st), 0);
	assert_int_equal(st.received, 0);
	assert_int_equal(st.w.events, 0);
	struct readback rb;
	read_log(path, 1, false, &rb);
	assert_true(rb.closed);
	assert_int_equal(rb.events, 0);
	free(rb.seen);
}

/* The bus numbers a subscriber's deliveries from 1; when another thread's
 * number 2 and 3 reach the recorder before number 1, the writer waits for
 * 1 rather than start at 2 (and write 1 out of order). */
static struct tr_recorder *first_rec;

static void first_emit(uint64_t n)
{
	struct med_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = MED_EV_MMIO_READ;
	ev.engine = -1;
	ev.version = MED_EVENT_VERSION;
	ev.size = sizeof(ev);
	ev.seq = n * 3; /* seqs with holes: other subscribers took the rest */
	ev.dseq = n;
	ev.time = n;
	tr_recorder_event(first_rec, &ev);
}

static void *first_later(void *arg)
{
	(void)arg;
	first_emit(2);
	first_emit(3);
	return NULL;
}

static void test_delivery_numbers_start_at_one_whoever_arrives_first(void **state)
{
	(void)state;
	char path[] = "/tmp/vgt-test-rec-first-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_recorder_opts o = { .sz = sizeof(o), .gap_ms = 60000 };
	assert_int_equal(tr_recorder_open(path, &o, &first_rec), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, first_later, NULL), 0);
	pthread_join(t, NULL);
	usleep(20000); /* the writer has seen 2 and 3 */
	first_emit(1);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(first_rec, &st), 0);
	assert_int_equal(st.w.events, 3);
	assert_int_equal(st.w.out_of_order, 0);
	assert_int_equal(st.gaps, 0);
	struct tr_reader *rd;
	struct tr_reader_opts ro = { .sz = sizeof(ro) };
	assert_int_equal(tr_reader_open(path, &ro, &rd), 0);
	const struct tr_record *x;
	for (uint64_t n = 1; n <= 3; n++) {
		assert_int_equal(tr_reader_next(rd, &x), 1);
		assert_int_equal(x->ev.seq, n * 3);
		assert_int_equal(x->ev.dseq, 0); /* delivery metadata is not logged */
	}
	assert_int_equal(tr_reader_next(rd, &x), 0);
	tr_reader_close(rd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_every_event_once_in_seq_order_identical),
		cmocka_unit_test(test_lossless_tiny_ring_waits_and_loses_nothing),
		cmocka_unit_test(test_drop_mode_slow_writer_losses_are_exact),
		cmocka_unit_test(test_missing_seq_is_declared_after_gap_ms_and_late_one_still_written),
		cmocka_unit_test(test_close_with_events_still_in_rings_loses_nothing),
		cmocka_unit_test(test_threads_beyond_max_threads_share_a_ring_still_in_order),
		cmocka_unit_test(test_a_dead_writer_keeps_its_first_error_and_never_hangs_emitters),
		cmocka_unit_test(test_open_errors_name_the_path),
		cmocka_unit_test(test_an_empty_recording_is_a_closed_log),
		cmocka_unit_test(test_delivery_numbers_start_at_one_whoever_arrives_first),
	};
	return vgt_run_group_tests(tests, setup, teardown);
}
