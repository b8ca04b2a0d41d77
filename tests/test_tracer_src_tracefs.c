/* SPDX-License-Identifier: MIT */
/*
 * The tracefs source (tracer/src_tracefs.c), as root against the real
 * kernel: attached before a deterministic `vgt sim` starts, it delivers
 * every event the probes fire — seqs 1..N without a gap, and the same
 * events, texts and blob bytes as the in-process recorder writes for the
 * same run; a buffer too small loses events and the losses add up exactly
 * (events kept + events lost = the in-process count: the event records
 * and the blob pieces have an instance each, so the kernel's drop counts
 * say which were lost); detach leaves no uprobe event and no instance of
 * ours (vgt_PID, vgt_PID_blob); a process killed with SIGKILL while
 * attached leaves none either (its guardian removes them); leftovers of a
 * dead vgt are removed by the next attach.  Skips (counted) when not root or without tracefs uprobes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/skip.h"
#include "tracer/capture_int.h"
#include "tracer/tracer.h"

#define TDIR "/sys/kernel/tracing"

static char vgt[PATH_MAX];

/* Root, tracefs with uprobe events (mounted here if needed), the vgt
 * binary: else a noted skip. */
static int can_run(void)
{
	if (geteuid() != 0) {
		vgt_skip_note(VGT_SKIP_NOT_ROOT, "tracefs uprobe events need root (run as root)");
		return 0;
	}
	struct stat st;
	if (stat(TDIR "/uprobe_events", &st)) {
		if (system("mount -t tracefs nodev " TDIR " 2>/dev/null") != 0 ||
		    stat(TDIR "/uprobe_events", &st)) {
			vgt_skip_note(VGT_SKIP_NO_TRACEFS,
				      "%s/uprobe_events missing (no tracefs, or no CONFIG_UPROBE_EVENTS)",
				      TDIR);
			return 0;
		}
	}
	return 1;
}

static int setup(void **state)
{
	const char *v = getenv("VGT");
	if (!realpath(v && *v ? v : "build/vgt", vgt)) {
		fprintf(stderr, "test_tracer_src_tracefs: no vgt binary (set VGT): %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Is any uprobe event of group, or one of its instances (group,
 * group_blob), left? */
static int leftovers(const char *group)
{
	char pat[64];
	snprintf(pat, sizeof(pat), ":%s/", group);
	FILE *f = fopen(TDIR "/uprobe_events", "r");
	assert_non_null(f);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pat))
			n++;
	fclose(f);
	static const char *const suffix[] = { "", "_blob" };
	for (int i = 0; i < 2; i++) {
		char inst[128];
		snprintf(inst, sizeof(inst), TDIR "/instances/%s%s", group, suffix[i]);
		struct stat st;
		if (!stat(inst, &st))
			n++;
	}
	return n;
}

/* A child that runs `vgt sim ARGS...` once it reads a byte from *go
 * (go NULL: at once); its output goes to /dev/null. */
static pid_t start_sim(int *go, const char *const *args)
{
	int p[2] = { -1, -1 };
	if (go)
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		if (go && read(p[0], &c, 1) != 1)
			_exit(99);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		const char *argv[32] = { vgt, "sim" };
		int n = 2;
		for (int i = 0; args[i] && n < 31; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(vgt, (char *const *)argv);
		_exit(98);
	}
	if (go) {
		close(p[0]);
		*go = p[1];
	}
	return pid;
}

struct capture {
	char path[64];
	struct tr_recorder *rec;
	struct tr_asm *a;
	struct tra_stats as;
	struct tr_record_stats rs;
	int status;
};

static void capture_open(struct capture *c)
{
	strcpy(c->path, "/tmp/vgt-tfs-XXXXXX");
	int fd = mkstemp(c->path);
	assert_true(fd >= 0);
	close(fd);
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .ordered = true };
	ro.writer.sz = sizeof(ro.writer);
	ro.writer.source = TR_SOURCE_TRACEFS;
	assert_int_equal(tr_recorder_open(c->path, &ro, &c->rec), 0);
	assert_int_equal(tra_open(c->rec, &c->a), 0);
}

static void capture_close(struct capture *c)
{
	tra_flush(c->a);
	tra_stats(c->a, &c->as);
	tra_close(c->a);
	c->rs.sz = sizeof(c->rs);
	assert_int_equal(tr_recorder_close(c->rec, &c->rs), 0);
}

/* Attaches to a sim started for it (buffer_bytes per CPU, 0: default),
 * polls until it exits (poll_ms < 0: does not poll, waits), drains. */
static void capture_sim(struct capture *c, const char *const *args, size_t buffer_bytes,
			int poll_ms)
{
	capture_open(c);
	int go;
	pid_t pid = start_sim(&go, args);
	char err[512] = "";
	struct trs_target t = { .pid = pid, .binary = vgt, .buffer_bytes = buffer_bytes,
				.errbuf = err, .errbuf_len = sizeof(err) };
	void *st = NULL;
	int rc = trs_tracefs_ops.attach(&t, c->a, &st);
	if (rc) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("attach: %d %s", rc, err);
	}
	char group[32];
	snprintf(group, sizeof(group), "vgt_%d", (int)getpid());
	assert_true(leftovers(group) > 0);
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	if (poll_ms < 0)
		assert_int_equal(waitpid(pid, &c->status, 0), pid);
	else
		for (;;) {
			assert_true(trs_tracefs_ops.poll(st, poll_ms) >= 0);
			if (waitpid(pid, &c->status, WNOHANG) == pid)
				break;
		}
	assert_true(trs_tracefs_ops.drain(st) >= 0);
	trs_tracefs_ops.detach(st);
	assert_int_equal(leftovers(group), 0);
	capture_close(c);
	assert_true(WIFEXITED(c->status));
	assert_int_equal(WEXITSTATUS(c->status), 0);
}

struct evrec {
	struct med_event ev;
	char text[256];
	unsigned nb;
	struct tr_key key[8];
	uint32_t len[8];
};

/* The log's events (at most max), their blobs as keys of their bytes. */
static size_t read_log(const char *path, struct evrec *out, size_t max, uint64_t *losses)
{
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	const struct tr_record *rec;
	size_t n = 0;
	int rc;
	*losses = 0;
	while ((rc = tr_reader_next(r, &rec)) > 0) {
		if (rec->kind == TR_REC_LOSS) {
			(*losses)++;
			continue;
		}
		if (rec->kind != TR_REC_EVENT)
			continue;
		assert_true(n < max);
		struct evrec *e = &out[n++];
		memset(e, 0, sizeof(*e));
		e->ev = rec->ev;
		if (rec->ev.text)
			snprintf(e->text, sizeof(e->text), "%s", rec->ev.text);
		e->nb = rec->ev.nblobs < 8 ? rec->ev.nblobs : 8;
		for (unsigned b = 0; b < e->nb; b++) {
			assert_non_null(rec->ev.blobs[b].data);
			e->len[b] = rec->ev.blobs[b].len;
			e->key[b] = tr_blob_key(rec->ev.blobs[b].data, rec->ev.blobs[b].len);
		}
	}
	assert_int_equal(rc, 0);
	tr_reader_close(r);
	return n;
}

#define MAXEV 200000

/* The events a log says were lost (the counts of its loss records). */
static uint64_t log_lost_events(const char *path)
{
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	const struct tr_record *rec;
	uint64_t lost = 0;
	int rc;
	while ((rc = tr_reader_next(r, &rec)) > 0)
		if (rec->kind == TR_REC_LOSS)
			lost += rec->loss.count;
	assert_int_equal(rc, 0);
	tr_reader_close(r);
	return lost;
}

/* The events of `vgt sim ARGS` recorded in process. */
static size_t reference_events(const char *const *args)
{
	char ref[64];
	strcpy(ref, "/tmp/vgt-tfs-ref-XXXXXX");
	int fd = mkstemp(ref);
	assert_true(fd >= 0);
	close(fd);
	char cmd[PATH_MAX + 512];
	int n = snprintf(cmd, sizeof(cmd), "%s sim", vgt);
	for (int i = 0; args[i]; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %s", args[i]);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --record %s >/dev/null", ref);
	assert_int_equal(system(cmd), 0);
	struct evrec *want = calloc(MAXEV, sizeof(*want));
	assert_non_null(want);
	uint64_t losses;
	size_t nw = read_log(ref, want, MAXEV, &losses);
	assert_int_equal(losses, 0);
	free(want);
	unlink(ref);
	return nw;
}

static const char *const det5[] = { "--deterministic", "--vgpus", "2", "--submissions", "5",
				    "--shm", "none", NULL };

/* Captures det5 through the source and compares with the same run
 * recorded in process. */
static void capture_equals_reference(void)
{
	struct capture c;
	capture_sim(&c, det5, 0, 100);
	assert_true(c.as.events > 100);
	assert_int_equal(c.as.bad, 0);
	assert_int_equal(c.as.incomplete, 0);
	assert_int_equal(c.as.orphans, 0);
	assert_int_equal(c.as.lost_events, 0);
	assert_int_equal(c.rs.gaps, 0);

	char ref[64];
	strcpy(ref, "/tmp/vgt-tfs-ref-XXXXXX");
	int fd = mkstemp(ref);
	assert_true(fd >= 0);
	close(fd);
	char cmd[PATH_MAX + 256];
	snprintf(cmd, sizeof(cmd),
		 "%s sim --deterministic --vgpus 2 --submissions 5 --shm none --record %s >/dev/null",
		 vgt, ref);
	assert_int_equal(system(cmd), 0);

	struct evrec *got = calloc(MAXEV, sizeof(*got)), *want = calloc(MAXEV, sizeof(*want));
	assert_non_null(got);
	assert_non_null(want);
	uint64_t lg, lw;
	size_t ng = read_log(c.path, got, MAXEV, &lg), nw = read_log(ref, want, MAXEV, &lw);
	assert_int_equal(lg, 0);
	assert_int_equal(lw, 0);
	assert_int_equal(ng, c.as.events);
	assert_int_equal(ng, nw);
	for (size_t i = 0; i < ng; i++) {
		assert_int_equal(got[i].ev.seq, i + 1); /* 1..N, no gap */
		assert_int_equal(got[i].ev.seq, want[i].ev.seq);
		assert_int_equal(got[i].ev.type, want[i].ev.type);
		assert_int_equal(got[i].ev.vgpu, want[i].ev.vgpu);
		assert_int_equal(got[i].ev.time, want[i].ev.time);
		if (got[i].ev.type == MED_EV_SCAN) /* real time: not deterministic */
			got[i].ev.u.scan.scan_ns = want[i].ev.u.scan.scan_ns = 0;
		assert_memory_equal(&got[i].ev.u, &want[i].ev.u, sizeof(got[i].ev.u));
		assert_string_equal(got[i].text, want[i].text);
		assert_int_equal(got[i].nb, want[i].nb);
		for (unsigned b = 0; b < got[i].nb; b++) {
			assert_int_equal(got[i].len[b], want[i].len[b]);
			assert_memory_equal(&got[i].key[b], &want[i].key[b], sizeof(struct tr_key));
		}
	}
	free(got);
	free(want);
	unlink(ref);
	unlink(c.path);
}

static void test_events_arrive_complete_and_equal_to_the_in_process_recording(void **state)
{
	if (!can_run())
		skip();
	capture_equals_reference();
}

/* The uprobe fires in every process that maps the binary: another vgt
 * running at the same time must not reach the log. */
static void test_another_process_running_the_binary_is_not_recorded(void **state)
{
	if (!can_run())
		skip();
	static const char *const noise[] = { "--vgpus", "2", "--duration", "3", "--shm", "none",
					     NULL };
	pid_t other = start_sim(NULL, noise);
	capture_equals_reference();
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
}

/* Threads on both CPUs: a thread's pieces and its event may be read from
 * different CPUs; merged by time, none is incomplete, seqs have no gap. */
static void test_a_threaded_run_arrives_whole(void **state)
{
	if (!can_run())
		skip();
	static const char *const threaded[] = { "--vgpus", "3", "--submissions", "20", "--shm",
						"none", NULL };
	struct capture c;
	/* 32 MiB per CPU holds the whole run (~16 MB of records): under
	 * ThreadSanitizer the reading side is slower than the sim, and the
	 * point here is the merge, not the overruns (tested below) */
	capture_sim(&c, threaded, 32 << 20, 20);
	if (getenv("TFS_DEBUG"))
		fprintf(stderr, "events %llu pieces %llu bad %llu incomplete %llu orphans %llu\n",
			(unsigned long long)c.as.events, (unsigned long long)c.as.pieces,
			(unsigned long long)c.as.bad, (unsigned long long)c.as.incomplete,
			(unsigned long long)c.as.orphans);
	assert_true(c.as.events > 1000);
	assert_int_equal(c.as.bad, 0);
	assert_int_equal(c.as.incomplete, 0);
	assert_int_equal(c.as.orphans, 0);
	assert_int_equal(c.as.lost_events, 0);
	/* every seq 1..N reached the log exactly once */
	struct evrec *got = calloc(MAXEV, sizeof(*got));
	assert_non_null(got);
	uint64_t losses;
	size_t n = read_log(c.path, got, MAXEV, &losses);
	assert_int_equal(n, c.as.events);
	unsigned char *seen = calloc(n + 1, 1);
	assert_non_null(seen);
	size_t late = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t q = got[i].ev.seq;
		assert_true(q >= 1 && q <= n);
		assert_int_equal(seen[q], 0);
		seen[q] = 1;
		late += q != i + 1 && (!i || q < got[i - 1].ev.seq);
	}
	/* An emitter preempted between numbering an event and firing its
	 * probe (the sanitizers' slow threads) can fire it after the
	 * assembler stopped waiting for it (HOLD_MS of wall time): it is then
	 * written late, after a loss record for its place.  That is the
	 * assembler's ordering, not a record this source lost. */
	if (late || c.rs.gaps || losses)
		fprintf(stderr, "note: %zu event(s) written out of seq order, %llu gap(s), %llu loss "
				"record(s): the assembler's hold expired\n",
			late, (unsigned long long)c.rs.gaps, (unsigned long long)losses);
	assert_true(late >= c.rs.gaps);
	free(seen);
	free(got);
	unlink(c.path);
}

/* A buffer too small, read only at the end: the kernel drops records
 * (overwrite is off) and the source reports them as losses, exactly: the
 * events kept and the events the log says were lost are the run's events.
 * Everything after the buffers filled is lost, the last events too: no
 * later event reveals that hole, the event instance's drop count does
 * (written at close as one source loss beyond the seq gaps). */
static void test_overruns_are_reported_as_losses(void **state)
{
	if (!can_run())
		skip();
	static const char *const det20[] = { "--deterministic", "--vgpus", "2", "--submissions",
					     "20", "--shm", "none", NULL };
	struct capture c;
	capture_sim(&c, det20, 64 << 10, -1);
	assert_true(c.as.lost_events > 0);
	assert_true(c.as.lost_pieces > 0);
	assert_true(c.as.events > 0);
	struct evrec *got = calloc(MAXEV, sizeof(*got));
	assert_non_null(got);
	uint64_t losses;
	size_t n = read_log(c.path, got, MAXEV, &losses);
	assert_true(losses > 0);
	assert_int_equal(n, c.as.events);
	size_t want = reference_events(det20);
	uint64_t lost = log_lost_events(c.path);
	if (getenv("TFS_DEBUG"))
		fprintf(stderr, "kept %zu lost %llu (source %llu, gaps %llu) pieces %llu lost %llu "
				"incomplete %llu orphans %llu, in process %zu\n",
			n, (unsigned long long)lost, (unsigned long long)c.as.lost_events,
			(unsigned long long)c.rs.gaps, (unsigned long long)c.as.pieces,
			(unsigned long long)c.as.lost_pieces, (unsigned long long)c.as.incomplete,
			(unsigned long long)c.as.orphans, want);
	assert_int_equal(n + lost, want);
	/* the event instance's count is the events lost, not records */
	assert_int_equal(c.as.lost_events, want - n);
	free(got);
	unlink(c.path);
}

/* A child attaches (to a sleeping process) and says so; then SIGKILL. */
static void test_a_killed_process_leaves_no_uprobe_and_no_instance(void **state)
{
	if (!can_run())
		skip();
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		struct capture c;
		capture_open(&c);
		char err[512] = "";
		struct trs_target t = { .pid = getpid(), .binary = vgt, .errbuf = err,
					.errbuf_len = sizeof(err) };
		void *st;
		int rc = trs_tracefs_ops.attach(&t, c.a, &st);
		if (rc) {
			fprintf(stderr, "attach: %s\n", err);
			_exit(1);
		}
		if (write(p[1], "a", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	char ch;
	assert_int_equal(read(p[0], &ch, 1), 1);
	close(p[0]);
	char group[32];
	snprintf(group, sizeof(group), "vgt_%d", (int)child);
	assert_true(leftovers(group) > 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* the guardian runs on its own: give it up to 5 s */
	int left = 1;
	for (int i = 0; i < 500 && left; i++) {
		left = leftovers(group);
		if (left) {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(left, 0);
}

/* A group and the instances vgt_PID, vgt_PID_blob of a dead PID (a vgt
 * whose guardian died too) are removed by the next attach. */
static void test_leftovers_of_a_dead_vgt_are_removed_at_attach(void **state)
{
	if (!can_run())
		skip();
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char group[32], err[512] = "", *lines;
	snprintf(group, sizeof(group), "vgt_%d", (int)dead);
	assert_int_equal(tr_probes_uprobe_events(vgt, group, &lines, err, sizeof(err)), 0);
	int fd = open(TDIR "/uprobe_events", O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
	close(fd);
	free(lines);
	char inst[128];
	snprintf(inst, sizeof(inst), TDIR "/instances/%s", group);
	assert_int_equal(mkdir(inst, 0755), 0);
	snprintf(inst, sizeof(inst), TDIR "/instances/%s_blob", group);
	assert_int_equal(mkdir(inst, 0755), 0);
	assert_true(leftovers(group) >= 4);

	struct capture c;
	capture_open(&c);
	struct trs_target t = { .pid = getpid(), .binary = vgt, .errbuf = err,
				.errbuf_len = sizeof(err) };
	void *st;
	int rc = trs_tracefs_ops.attach(&t, c.a, &st);
	assert_int_equal(leftovers(group), 0);
	if (!rc)
		trs_tracefs_ops.detach(st);
	capture_close(&c);
	unlink(c.path);
	assert_int_equal(rc, 0);
}

/* No vgt probes in the binary: an error naming it, nothing created. */
static void test_a_binary_without_probes_is_an_error_naming_it(void **state)
{
	if (!can_run())
		skip();
	struct capture c;
	capture_open(&c);
	char err[512] = "";
	struct trs_target t = { .pid = getpid(), .binary = "/bin/true", .errbuf = err,
				.errbuf_len = sizeof(err) };
	void *st = NULL;
	assert_int_equal(trs_tracefs_ops.attach(&t, c.a, &st), -ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, "true"));
	assert_non_null(strstr(err, "no vgt:event probe"));
	char group[32];
	snprintf(group, sizeof(group), "vgt_%d", (int)getpid());
	assert_int_equal(leftovers(group), 0);
	capture_close(&c);
	unlink(c.path);
}

/* Without root: -EPERM, and the message says to run as root. */
static void test_without_root_the_error_says_to_run_as_root(void **state)
{
	if (!can_run())
		skip();
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		struct capture c;
		capture_open(&c);
		char err[512] = "";
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		struct trs_target t = { .pid = getpid(), .binary = vgt, .errbuf = err,
					.errbuf_len = sizeof(err) };
		void *st = NULL;
		int rc = trs_tracefs_ops.attach(&t, c.a, &st);
		char msg[600];
		int n = snprintf(msg, sizeof(msg), "%d %s", rc, err);
		if (write(p[1], msg, (size_t)n) != n)
			_exit(2);
		_exit(st ? 1 : 0);
	}
	close(p[1]);
	char msg[600] = "";
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	int status;
	waitpid(child, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(n > 0);
	if (strncmp(msg, "-1 ", 3) || !strstr(msg, "root"))
		fail_msg("not '-EPERM ... root': %s", msg);
	char group[32];
	snprintf(group, sizeof(group), "vgt_%d", (int)child);
	assert_int_equal(leftovers(group), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_arrive_complete_and_equal_to_the_in_process_recording),
		cmocka_unit_test(test_another_process_running_the_binary_is_not_recorded),
		cmocka_unit_test(test_a_threaded_run_arrives_whole),
		cmocka_unit_test(test_overruns_are_reported_as_losses),
		cmocka_unit_test(test_a_killed_process_leaves_no_uprobe_and_no_instance),
		cmocka_unit_test(test_leftovers_of_a_dead_vgt_are_removed_at_attach),
		cmocka_unit_test(test_a_binary_without_probes_is_an_error_naming_it),
		cmocka_unit_test(test_without_root_the_error_says_to_run_as_root),
	};
	return vgt_run_group_tests(tests, setup, NULL);
}
