/* SPDX-License-Identifier: MIT */
/*
 * The eBPF source (tracer/src_bpf.c, trs_bpf_ops) on a real process: this
 * test forks itself; the child (this binary, linked with libvgt, so it
 * carries the vgt probes) waits until the source is attached to it, then
 * runs a deterministic simulation.  What the source delivers, through the
 * assembler and an ordered recorder, is a log equal event for event and
 * blob byte for byte to what an in-process subscriber of the same run got
 * (the types the probes see: all but digests).  A threaded run arrives
 * complete, every seq once.  With a one-page ring and nobody reading
 * during the run the ring overflows: what arrived plus what the source
 * counted as lost is what was emitted, events and blob pieces each.
 * Every refusal is one line naming what is missing: no such process, no
 * such binary, a binary without the probes, no privileges (a child that
 * gave up root), no gvt tracepoints (--kernel here), a ring too large.
 *
 * Needs root (or CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN): otherwise each
 * case skips, saying why (a failure under REQUIRE_ALL=1, as in CI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mediator/probes.h"
#include "sim/sim.h"
#include "tracer/capture_int.h"
#include "tracer/tracer.h"
#include "tests/support/skip.h"

#define SKIP_NO_BPF "no BPF" /* not root, or BPF not permitted here */

/* ------------------------------------------------ the in-process reference */

struct ref_blob {
	struct med_blob b;
	uint8_t *data;
};
struct ref_ev {
	struct med_event ev;
	char *text;
	struct ref_blob *blobs;
};
struct ref {
	pthread_mutex_t lock;
	struct ref_ev *v;
	size_t n, cap;
	uint64_t pieces; /* what the blob probe fires for these events */
};

static void ref_event(void *ctx, const struct med_event *ev)
{
	struct ref *r = ctx;
	pthread_mutex_lock(&r->lock);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4096;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	struct ref_ev *e = &r->v[r->n++];
	e->ev = *ev;
	e->text = ev->text && *ev->text ? strdup(ev->text) : NULL;
	e->blobs = ev->nblobs ? calloc(ev->nblobs, sizeof(*e->blobs)) : NULL;
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		e->blobs[i].b = ev->blobs[i];
		e->blobs[i].data = malloc(ev->blobs[i].len + 1);
		memcpy(e->blobs[i].data, ev->blobs[i].data, ev->blobs[i].len);
		r->pieces += ev->blobs[i].len ? (ev->blobs[i].len + TRA_PIECE - 1) / TRA_PIECE : 1;
	}
	pthread_mutex_unlock(&r->lock);
}

static void ref_free(struct ref *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (uint32_t j = 0; j < r->v[i].ev.nblobs; j++)
			free(r->v[i].blobs[j].data);
		free(r->v[i].blobs);
		free(r->v[i].text);
	}
	free(r->v);
	pthread_mutex_destroy(&r->lock);
}

static struct sim_opts run_opts(bool det, char *err, size_t errlen)
{
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 2, .profiles = "3d,blit,hostile",
			      .submissions = 5, .seed = 3, .shm_name = "", .deterministic = det,
			      .errbuf = err, .errbuf_len = errlen };
	return o;
}

static void reference_run(struct ref *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	char err[256] = "";
	struct sim_opts o = run_opts(true, err, sizeof(err));
	o.event = ref_event;
	o.event_ctx = r;
	o.event_mask = MED_PROBE_TYPES;
	struct sim_result *res = NULL;
	int rc = sim_run(&o, &res);
	if (rc)
		fail_msg("reference sim_run: %d %s", rc, err);
	assert_true(res->ok);
	sim_result_free(res);
	assert_true(r->n > 100);
}

/* ------------------------------------------------------------ the child */

struct child {
	pid_t pid;
	int go; /* write end: one byte starts the run, closing it cancels */
};

/* Forks a child that runs the simulation once told to (deterministic or
 * threaded), or exits 3 if the parent closes the pipe first. */
static const char *exec_vgt; /* non-NULL: the child execs this vgt binary instead */

static struct child child_start(bool det)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(3);
		if (exec_vgt) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(4);
			execl(exec_vgt, "vgt", "sim", "--deterministic", "--vgpus", "2", "--submissions",
			      "5", "--shm", "none", (char *)NULL);
			_exit(5);
		}
		char err[256] = "";
		struct sim_opts o = run_opts(det, err, sizeof(err));
		struct sim_result *res = NULL;
		int rc = sim_run(&o, &res);
		int ok = rc == 0 && res->ok;
		if (!rc)
			sim_result_free(res);
		_exit(ok ? 0 : 1);
	}
	close(p[0]);
	return (struct child){ .pid = pid, .go = p[1] };
}

static void child_go(struct child *c)
{
	assert_int_equal(write(c->go, "g", 1), 1);
	close(c->go);
	c->go = -1;
}

static int child_reap(struct child *c, int options)
{
	if (c->go >= 0) {
		close(c->go);
		c->go = -1;
	}
	int status = 0;
	pid_t r = waitpid(c->pid, &status, options);
	if (r == 0)
		return -1; /* still running */
	assert_int_equal(r, c->pid);
	c->pid = 0;
	return status;
}

static const char *self_exe(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = 0;
	return path;
}

/* ------------------------------------------------------------ a capture */

struct cap {
	char path[64];
	struct tr_recorder *rec;
	struct tr_asm *a;
	void *src;
	struct child child;
	char err[512];
	struct trs_target t;
};

/* Opens the log and the assembler, forks the child and attaches to it.
 * 0, or the attach's error (the capture closed, the child gone). */
static int cap_start(struct cap *c, bool det, size_t ring)
{
	memset(c, 0, sizeof(*c));
	c->child = child_start(det);
	strcpy(c->path, "/tmp/vgt-test-bpf-XXXXXX");
	int fd = mkstemp(c->path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .ordered = true };
	ro.writer.sz = sizeof(ro.writer);
	ro.writer.source = TR_SOURCE_BPF;
	assert_int_equal(tr_recorder_open(c->path, &ro, &c->rec), 0);
	assert_int_equal(tra_open(c->rec, &c->a), 0);
	c->t = (struct trs_target){ .pid = c->child.pid, .binary = exec_vgt ? exec_vgt : self_exe(),
				    .buffer_bytes = ring,
				    .errbuf = c->err, .errbuf_len = sizeof(c->err) };
	int rc = trs_bpf_ops.attach(&c->t, c->a, &c->src);
	if (rc) {
		assert_null(c->src);
		assert_int_equal(child_reap(&c->child, 0), 3 << 8);
		tra_close(c->a);
		struct tr_record_stats st = { .sz = sizeof(st) };
		tr_recorder_close(c->rec, &st);
		unlink(c->path);
	}
	return rc;
}

/* Runs the child to its end, polling unless told not to, then drains,
 * detaches and closes; *as the assembler's counts. */
static void cap_finish(struct cap *c, bool poll_during, struct tra_stats *as)
{
	child_go(&c->child);
	int status;
	if (poll_during) {
		while ((status = child_reap(&c->child, WNOHANG)) < 0) {
			int n = trs_bpf_ops.poll(c->src, 50);
			assert_true(n >= 0);
			tra_tick(c->a);
		}
	} else {
		status = child_reap(&c->child, 0);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(trs_bpf_ops.drain(c->src), 0);
	trs_bpf_ops.detach(c->src);
	c->src = NULL;
	tra_flush(c->a);
	tra_stats(c->a, as);
	tra_close(c->a);
	struct tr_record_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_recorder_close(c->rec, &st), 0);
	assert_int_equal(st.error, 0);
}

/* Skips the case when BPF is not ours to use here (not root, no
 * permission); fails on any other error. */
#define ATTACH_OR_SKIP(c, det, ring)                                                  \
	do {                                                                          \
		int rc_ = cap_start((c), (det), (ring));                              \
		if (rc_ == -EPERM || rc_ == -ENOTSUP) {                               \
			vgt_skip(SKIP_NO_BPF, "%s", (c)->err);                        \
			return;                                                       \
		}                                                                     \
		if (rc_)                                                              \
			fail_msg("attach: %d %s", rc_, (c)->err);                     \
	} while (0)

/* ------------------------------------------------------------------ tests */

static void test_a_deterministic_run_arrives_as_the_in_process_subscriber_saw_it(void **state)
{
	struct cap c;
	ATTACH_OR_SKIP(&c, true, 16u << 20);
	struct ref ref; /* the child waits meanwhile: the probes are its own */
	reference_run(&ref);
	struct tra_stats as;
	cap_finish(&c, true, &as);
	assert_int_equal(as.lost_events, 0);
	assert_int_equal(as.lost_pieces, 0);
	assert_int_equal(as.bad, 0);
	assert_int_equal(as.incomplete, 0);
	assert_int_equal(as.orphans, 0);
	assert_int_equal(as.events, ref.n);
	assert_int_equal(as.pieces, ref.pieces);

	struct tr_reader_opts rdo = { .sz = sizeof(rdo) };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(c.path, &rdo, &rd), 0);
	const struct tr_record *x;
	size_t i = 0;
	int rc;
	uint64_t blob_bytes = 0;
	while ((rc = tr_reader_next(rd, &x)) == 1) {
		assert_int_equal(x->kind, TR_REC_EVENT);
		assert_true(i < ref.n);
		const struct med_event *g = &x->ev, *w = &ref.v[i].ev;
		if (g->seq != w->seq || g->type != w->type)
			fail_msg("event %zu: seq %llu type %u, the subscriber saw seq %llu type %u", i,
				 (unsigned long long)g->seq, g->type, (unsigned long long)w->seq,
				 w->type);
		assert_int_equal(g->vgpu, w->vgpu);
		assert_int_equal(g->engine, w->engine);
		assert_int_equal(g->err, w->err);
		assert_int_equal(g->flags, w->flags);
		assert_int_equal(g->time, w->time);
		assert_int_equal(g->dseq, 0); /* delivery numbers are the bus's */
		struct med_event a = *g, b = *w;
		if (a.type == MED_EV_SCAN)
			a.u.scan.scan_ns = b.u.scan.scan_ns = 0; /* real time */
		if (memcmp(&a.u, &b.u, sizeof(a.u)) != 0)
			fail_msg("event seq %llu (type %u): payload differs",
				 (unsigned long long)g->seq, g->type);
		assert_string_equal(g->text ? g->text : "", ref.v[i].text ? ref.v[i].text : "");
		assert_int_equal(g->nblobs, w->nblobs);
		for (uint32_t j = 0; j < g->nblobs; j++) {
			const struct med_blob *gb = &g->blobs[j];
			const struct ref_blob *wb = &ref.v[i].blobs[j];
			assert_int_equal(gb->kind, wb->b.kind);
			assert_int_equal(gb->as, wb->b.as);
			assert_int_equal(gb->len, wb->b.len);
			assert_int_equal(gb->addr, wb->b.addr);
			assert_int_equal(gb->gpa, wb->b.gpa);
			assert_non_null(gb->data);
			if (memcmp(gb->data, wb->data, gb->len) != 0)
				fail_msg("event seq %llu blob %u: bytes differ",
					 (unsigned long long)g->seq, j);
			blob_bytes += gb->len;
		}
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, ref.n);
	assert_true(blob_bytes > 0);
	tr_reader_close(rd);
	unlink(c.path);
	ref_free(&ref);
}

static void test_a_threaded_run_arrives_whole_every_seq_once(void **state)
{
	struct cap c;
	ATTACH_OR_SKIP(&c, false, 16u << 20);
	struct tra_stats as;
	cap_finish(&c, true, &as);
	assert_int_equal(as.lost_events, 0);
	assert_int_equal(as.lost_pieces, 0);
	assert_int_equal(as.bad, 0);
	assert_int_equal(as.incomplete, 0);
	assert_int_equal(as.orphans, 0);
	assert_true(as.events > 100);

	struct tr_reader_opts rdo = { .sz = sizeof(rdo), .no_blobs = true };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(c.path, &rdo, &rd), 0);
	const struct tr_record *x;
	uint64_t last = 0;
	int rc;
	while ((rc = tr_reader_next(rd, &x)) == 1) {
		assert_int_equal(x->kind, TR_REC_EVENT);
		assert_int_equal(x->ev.seq, last + 1);
		last = x->ev.seq;
		if (last == 1)
			assert_int_equal(x->ev.type, MED_EV_CONFIG);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(last, as.events);
	tr_reader_close(rd);
	unlink(c.path);
}

/* What vgt record does with a command: the process exists (forked, not
 * yet exec'd) when the source attaches to it and to the binary it will
 * run; the probes fire in the new image, from its first event. */
static void test_a_process_attached_before_its_exec_delivers_from_the_first_event(void **state)
{
	static char vgt[4096];
	snprintf(vgt, sizeof(vgt), "%s", self_exe());
	char *slash = strrchr(vgt, '/');
	assert_non_null(slash);
	*slash = 0; /* BUILD/tests */
	slash = strrchr(vgt, '/');
	assert_non_null(slash);
	strcpy(slash, "/vgt"); /* BUILD/vgt */
	if (access(vgt, X_OK) != 0)
		fail_msg("%s: not built (make all first)", vgt);
	exec_vgt = vgt;
	struct cap c;
	int rc = cap_start(&c, true, 16u << 20);
	exec_vgt = NULL;
	if (rc == -EPERM || rc == -ENOTSUP) {
		vgt_skip(SKIP_NO_BPF, "%s", c.err);
		return;
	}
	if (rc)
		fail_msg("attach: %d %s", rc, c.err);
	struct tra_stats as;
	cap_finish(&c, true, &as);
	assert_int_equal(as.lost_events + as.lost_pieces + as.bad + as.incomplete + as.orphans, 0);
	assert_true(as.events > 100);
	assert_true(as.pieces > 100);
	struct tr_reader_opts rdo = { .sz = sizeof(rdo), .no_blobs = true };
	struct tr_reader *rd = NULL;
	assert_int_equal(tr_reader_open(c.path, &rdo, &rd), 0);
	const struct tr_record *x;
	uint64_t last = 0;
	while ((rc = tr_reader_next(rd, &x)) == 1) {
		assert_int_equal(x->kind, TR_REC_EVENT);
		assert_int_equal(x->ev.seq, last + 1);
		if (!last)
			assert_int_equal(x->ev.type, MED_EV_CONFIG);
		last = x->ev.seq;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(last, as.events);
	tr_reader_close(rd);
	unlink(c.path);
}

static void test_an_overrun_ring_counts_what_it_dropped(void **state)
{
	struct cap c;
	ATTACH_OR_SKIP(&c, true, 1); /* the smallest ring: one page */
	struct ref ref;
	reference_run(&ref);
	struct tra_stats as;
	cap_finish(&c, false, &as);
	assert_true(as.lost_events > 0);
	assert_true(as.lost_pieces > 0);
	assert_int_equal(as.bad, 0);
	assert_int_equal(as.events + as.lost_events, ref.n);
	assert_int_equal(as.pieces + as.lost_pieces, ref.pieces);
	unlink(c.path);
	ref_free(&ref);
}

/* ------------------------------------------------------------- refusals */

struct refusal {
	int rc;
	char err[512];
};

static struct refusal try_attach(pid_t pid, const char *binary, int kernel, size_t ring)
{
	struct refusal r = { 0 };
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .ordered = true };
	ro.writer.sz = sizeof(ro.writer);
	char path[] = "/tmp/vgt-test-bpf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_recorder *rec = NULL;
	struct tr_asm *a = NULL;
	assert_int_equal(tr_recorder_open(path, &ro, &rec), 0);
	assert_int_equal(tra_open(rec, &a), 0);
	struct trs_target t = { .pid = pid, .binary = binary, .kernel = kernel, .buffer_bytes = ring,
				.errbuf = r.err, .errbuf_len = sizeof(r.err) };
	void *src = (void *)&r; /* must come back NULL */
	r.rc = trs_bpf_ops.attach(&t, a, &src);
	if (r.rc == 0) {
		trs_bpf_ops.detach(src);
	} else {
		assert_null(src);
		assert_true(r.err[0]);
		assert_null(strchr(r.err, '\n')); /* one line */
	}
	tra_close(a);
	struct tr_record_stats st = { .sz = sizeof(st) };
	tr_recorder_close(rec, &st);
	unlink(path);
	return r;
}

static pid_t gone_pid(void)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

static void test_a_process_that_is_gone_is_named(void **state)
{
	pid_t p = gone_pid();
	struct refusal r = try_attach(p, self_exe(), 0, 0);
	assert_int_equal(r.rc, -ENOENT);
	char want[64];
	snprintf(want, sizeof(want), "pid %d: no such process", (int)p);
	if (!strstr(r.err, want))
		fail_msg("got: %s", r.err);
}

static void test_a_missing_binary_is_named(void **state)
{
	struct refusal r = try_attach(getpid(), "/nonexistent/vgt", 0, 0);
	assert_int_equal(r.rc, -ENOENT);
	if (!strstr(r.err, "/nonexistent/vgt: No such file"))
		fail_msg("got: %s", r.err);
}

static void test_a_ring_over_two_gib_is_refused(void **state)
{
	struct refusal r = try_attach(getpid(), self_exe(), 0, (size_t)1 << 32);
	assert_int_equal(r.rc, -E2BIG);
	if (!strstr(r.err, "at most"))
		fail_msg("got: %s", r.err);
}

static void test_a_binary_without_the_probes_is_named(void **state)
{
	struct refusal r = try_attach(getpid(), "/bin/sh", 0, 4096);
	if (r.rc == -EPERM) {
		vgt_skip(SKIP_NO_BPF, "%s", r.err);
		return;
	}
	assert_int_equal(r.rc, -ENOENT);
	if (!strstr(r.err, "/bin/sh has no vgt:"))
		fail_msg("got: %s", r.err);
}

static void test_no_gvt_tracepoints_is_said_in_one_line(void **state)
{
	struct refusal r = try_attach(0, NULL, 1, 4096);
	if (r.rc == -EPERM) {
		vgt_skip(SKIP_NO_BPF, "%s", r.err);
		return;
	}
	if (r.rc == 0)
		return; /* a GVT-g host: it attached (and detached) */
	assert_int_equal(r.rc, -ENOTSUP);
	if (!strstr(r.err, "this kernel has no gvt/i915 tracepoints"))
		fail_msg("got: %s", r.err);
}

/* A process that is not root (and has no capability) is told what it
 * lacks.  Run in a child that gives up root. */
static void test_without_privileges_the_error_says_what_is_needed(void **state)
{
	if (geteuid() != 0) {
		/* this process is the unprivileged case itself */
		struct refusal r = try_attach(getpid(), self_exe(), 0, 4096);
		assert_int_equal(r.rc, -EPERM);
		if (!strstr(r.err, "run vgt record as root"))
			fail_msg("got: %s", r.err);
		return;
	}
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct refusal r = { .rc = -1000 };
		if (setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
		    setresuid(65534, 65534, 65534) == 0)
			r = try_attach(getppid(), self_exe(), 0, 4096);
		ssize_t w = write(p[1], &r, sizeof(r));
		_exit(w == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	struct refusal r;
	ssize_t n = read(p[0], &r, sizeof(r));
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(n, sizeof(r));
	assert_int_not_equal(r.rc, -1000); /* the child could drop root */
	assert_int_equal(r.rc, -EPERM);
	if (!strstr(r.err, "permission denied") ||
	    !strstr(r.err, "this process lacks CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN") ||
	    !strstr(r.err, "run vgt record as root"))
		fail_msg("got: %s", r.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_deterministic_run_arrives_as_the_in_process_subscriber_saw_it),
		cmocka_unit_test(test_a_threaded_run_arrives_whole_every_seq_once),
		cmocka_unit_test(test_a_process_attached_before_its_exec_delivers_from_the_first_event),
		cmocka_unit_test(test_an_overrun_ring_counts_what_it_dropped),
		cmocka_unit_test(test_a_process_that_is_gone_is_named),
		cmocka_unit_test(test_a_missing_binary_is_named),
		cmocka_unit_test(test_a_ring_over_two_gib_is_refused),
		cmocka_unit_test(test_a_binary_without_the_probes_is_named),
		cmocka_unit_test(test_no_gvt_tracepoints_is_said_in_one_line),
		cmocka_unit_test(test_without_privileges_the_error_says_what_is_needed),
	};
	return vgt_run_group_tests(tests, NULL, NULL);
}
