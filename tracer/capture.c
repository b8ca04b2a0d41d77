/* SPDX-License-Identifier: MIT */
/*
 * tr_capture (tracer.h): record a mediator from outside its process.
 *
 * Order matters: a command is forked first and held before exec (so it
 * inherits none of our descriptors and none of its events is missed), the
 * log is opened, the source attaches to the child's pid and the binary it
 * will run, then the child is let go.  The loop polls the source until the
 * process is gone or a stop is asked (a started command then gets SIGINT,
 * as a terminal's Ctrl-C would give it, and is waited for), drains what is
 * buffered and detaches: the source removes everything it created on
 * every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tracer/capture_int.h"

#define POLL_MS        100
#define REC_RING       (64u << 20)
#define STOP_GRACE_MS  10000 /* after SIGINT, then SIGKILL */

int tr_capture_source_parse(const char *s, enum tr_capture_source *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "bpf"))
		*out = TR_CAPTURE_BPF;
	else if (!strcmp(s, "tracefs"))
		*out = TR_CAPTURE_TRACEFS;
	else
		return -EINVAL;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* argv[0] as execvp would find it, as an absolute path in out. */
static int find_command(const char *cmd, char *out, size_t len)
{
	if (strchr(cmd, '/'))
		return realpath(cmd, out) && access(out, X_OK) == 0 ? 0 : -ENOENT;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char cand[PATH_MAX];
		if (n && n + 1 + strlen(cmd) < sizeof(cand)) {
			memcpy(cand, p, n);
			cand[n] = '/';
			strcpy(cand + n + 1, cmd);
			struct stat st;
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
				return realpath(cand, out) ? 0 : -errno;
		}
		if (!e)
			break;
		p = e + 1;
	}
	(void)len;
	return -ENOENT;
}

/* A child held before exec: it waits for a byte on `go`, then execs path;
 * a failed exec reports its errno through `status` (close-on-exec: a
 * successful exec closes it with nothing written). */
struct child {
	pid_t pid;
	int go;      /* write end: one byte lets it run; closing it unsent, it exits */
	int status;  /* read end */
};

static int child_fork(const char *path, char *const *argv, struct child *c)
{
	int go[2], st[2];
	/* a socket, not a pipe: the byte is sent with MSG_NOSIGNAL, so a child
	 * that died before it (a Ctrl-C reaches it too) costs no SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go))
		return -errno;
	if (pipe2(st, O_CLOEXEC)) {
		int e = -errno;
		close(go[0]);
		close(go[1]);
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(go[0]);
		close(go[1]);
		close(st[0]);
		close(st[1]);
		return e;
	}
	if (pid == 0) {
		char b;
		close(go[1]);
		close(st[0]);
		if (read(go[0], &b, 1) != 1)
			_exit(127); /* the capture gave up before it began */
		execv(path, argv);
		int e = errno;
		if (write(st[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(st[1]);
	c->pid = pid;
	c->go = go[1];
	c->status = st[0];
	return 0;
}

/* Lets the child exec; 0, or the exec's negative errno. */
static int child_go(struct child *c)
{
	char b = 1;
	ssize_t w = send(c->go, &b, 1, MSG_NOSIGNAL);
	close(c->go);
	c->go = -1;
	if (w != 1)
		return -EPIPE;
	int e = 0;
	ssize_t r;
	do
		r = read(c->status, &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(c->status);
	c->status = -1;
	return r == (ssize_t)sizeof(e) ? -e : 0;
}

static void child_abort(struct child *c)
{
	if (c->go >= 0)
		close(c->go); /* it exits without running anything */
	if (c->status >= 0)
		close(c->status);
	c->go = c->status = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	c->pid = 0;
}

static int process_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

int tr_capture(const char *path, const struct tr_capture_opts *o, struct tr_capture_stats *st)
{
	char *eb = VGT_OPT(o, errbuf, NULL);
	size_t el = VGT_OPT(o, errbuf_len, 0);
	struct tr_capture_opts opts = { .sz = sizeof(opts) };
	int err = VGT_OPTS_LOAD(&opts, o);
	if (err || !path || !o) {
		vgt_errbuf_set(eb, el, "capture: invalid options");
		return -EINVAL;
	}
	if (st) {
		size_t sz = st->sz;
		memset(st, 0, sz < sizeof(*st) ? sz : sizeof(*st));
		st->sz = sz;
		if (sz >= offsetof(struct tr_capture_stats, status) + sizeof(int))
			st->status = -1;
	}
	const struct trs_ops *ops = opts.source == TR_CAPTURE_BPF       ? &trs_bpf_ops
				    : opts.source == TR_CAPTURE_TRACEFS ? &trs_tracefs_ops
									: NULL;
	bool have_argv = opts.argv && opts.argv[0];
	if (!ops || (opts.pid > 0 && have_argv) || (!opts.kernel && opts.pid <= 0 && !have_argv) ||
	    (opts.kernel && opts.source != TR_CAPTURE_BPF)) {
		vgt_errbuf_set(eb, el, "capture: %s",
			       !ops ? "no such source (bpf or tracefs)"
			       : opts.kernel && opts.source != TR_CAPTURE_BPF
				   ? "the kernel's tracepoints are read by the bpf source only"
				   : "give a process id or a command, one of them");
		return -EINVAL;
	}

	/* the command's executable (what runs), and the binary with the probes
	 * (the same unless --binary says otherwise) */
	char exe[PATH_MAX] = "", bin[PATH_MAX];
	if (have_argv && find_command(opts.argv[0], exe, sizeof(exe))) {
		vgt_errbuf_set(eb, el, "%s: command not found", opts.argv[0]);
		return -ENOENT;
	}
	if (opts.binary) {
		if (!realpath(opts.binary, bin)) {
			err = -errno;
			vgt_errbuf_set(eb, el, "%s: %s", opts.binary, strerror(-err));
			return err;
		}
	} else if (opts.kernel && !have_argv && opts.pid <= 0) {
		bin[0] = 0; /* the kernel: no binary, until stopped */
	} else if (have_argv) {
		memcpy(bin, exe, sizeof(bin));
	} else {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)opts.pid);
		ssize_t n = readlink(link, bin, sizeof(bin) - 1);
		if (n < 0) {
			err = errno == ENOENT ? -ESRCH : -errno;
			vgt_errbuf_set(eb, el, "process %d: %s", (int)opts.pid,
				       err == -ESRCH ? "no such process" : strerror(-err));
			return err == -ESRCH ? -ENOENT : err;
		}
		bin[n] = 0;
		/* "/path (deleted)": the file it runs was replaced */
		if (n > 10 && !strcmp(bin + n - 10, " (deleted)")) {
			vgt_errbuf_set(eb, el, "process %d runs %s, since deleted or replaced: its probes cannot be "
					       "attached by path", (int)opts.pid, bin);
			return -ENOENT;
		}
	}

	struct child c = { .go = -1, .status = -1 };
	if (have_argv) {
		err = child_fork(exe, opts.argv, &c);
		if (err) {
			vgt_errbuf_set(eb, el, "%s: cannot start: %s", opts.argv[0], strerror(-err));
			return err;
		}
	}
	pid_t pid = have_argv ? c.pid : opts.pid > 0 ? opts.pid : 0;

	/* attach before the log is opened: a capture that cannot start leaves
	 * an existing FILE as it was (the sources take nothing before the
	 * first poll, so the assembler gets its recorder after) */
	struct tr_asm *a = NULL;
	err = tra_open(NULL, &a);
	if (err) {
		vgt_errbuf_set(eb, el, "capture: %s", strerror(-err));
		child_abort(&c);
		return err;
	}
	struct trs_target t = { .pid = pid, .binary = bin[0] ? bin : NULL, .buffer_bytes = opts.buffer_bytes,
				.kernel = opts.kernel, .errbuf = eb, .errbuf_len = el };
	void *state = NULL;
	err = ops->attach(&t, a, &state);
	if (err) {
		if (eb && el && !eb[0])
			vgt_errbuf_set(eb, el, "%s: cannot attach: %s", ops->name, strerror(-err));
		child_abort(&c);
		tra_close(a);
		return err;
	}

	char rerr[512] = "";
	struct tr_recorder_opts ro = { .sz = sizeof(ro), .writer = opts.writer,
				       .mode = TR_RECORD_LOSSLESS, .ring_bytes = REC_RING,
				       .ordered = true, .errbuf = rerr, .errbuf_len = sizeof(rerr) };
	ro.writer.sz = sizeof(ro.writer);
	ro.writer.source = opts.source == TR_CAPTURE_BPF ? TR_SOURCE_BPF : TR_SOURCE_TRACEFS;
	ro.writer.errbuf = NULL;
	ro.writer.errbuf_len = 0;
	if (!ro.writer.types)
		ro.writer.types = MED_EV_ALL & ~MED_EV_BIT(MED_EV_DIGEST);
	struct tr_recorder *rec = NULL;
	err = tr_recorder_open(path, &ro, &rec);
	if (err) {
		vgt_errbuf_set(eb, el, "%s", rerr[0] ? rerr : strerror(-err));
		ops->detach(state);
		child_abort(&c);
		tra_close(a);
		return err;
	}
	tra_set_recorder(a, rec);
	if (have_argv) {
		if (opts.stop && *opts.stop)
			err = -EINTR; /* stopped while attaching: it never runs */
		else
			err = child_go(&c);
		if (err) {
			if (err == -EINTR)
				vgt_errbuf_set(eb, el, "stopped before %s ran", opts.argv[0]);
			else if (err == -EPIPE)
				vgt_errbuf_set(eb, el, "%s: the command ended before it ran (a signal?)",
					       opts.argv[0]);
			else
				vgt_errbuf_set(eb, el, "%s: cannot run: %s", exe, strerror(-err));
			ops->detach(state);
			child_abort(&c);
			tra_close(a);
			tr_recorder_close(rec, NULL);
			return err;
		}
	}

	/* the loop: until the process is gone or a stop is asked */
	int status = -1, perr = 0;
	bool alive = true;
	uint64_t stop_at = 0;
	while (alive) {
		int n = ops->poll(state, POLL_MS);
		if (n < 0 && n != -EINTR) {
			perr = n;
			break;
		}
		tra_tick(a);
		if (have_argv) {
			int s;
			pid_t w = waitpid(c.pid, &s, WNOHANG);
			if (w == c.pid) {
				status = s;
				alive = false;
				c.pid = 0;
			}
		} else if (pid && process_gone(pid)) {
			alive = false;
		}
		if (alive && opts.stop && *opts.stop) {
			if (!have_argv)
				break; /* attached (or the kernel): leave it running */
			if (!stop_at) {
				kill(c.pid, SIGINT);
				stop_at = mono_ms();
			} else if (mono_ms() - stop_at > STOP_GRACE_MS) {
				kill(c.pid, SIGKILL);
			}
		}
	}
	int derr = ops->drain(state); /* records taken, or a negative errno */
	if (derr > 0)
		derr = 0;
	ops->detach(state);
	tra_flush(a);
	if (have_argv && c.pid > 0) {
		/* a poll error: the command is not ours to leave behind */
		kill(c.pid, SIGKILL);
		while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR)
			;
	}

	struct tra_stats as;
	tra_stats(a, &as);
	tra_close(a);
	struct tr_record_stats rs = { .sz = sizeof(rs) };
	int cerr = tr_recorder_close(rec, &rs);
	if (st) {
		struct tr_capture_stats out = { .sz = sizeof(out), .rec = rs, .events = as.events,
						.pieces = as.pieces, .lost_events = as.lost_events,
						.lost_pieces = as.lost_pieces, .bad = as.bad,
						.incomplete = as.incomplete, .status = status,
						.orphans = as.orphans, .late = as.late };
		size_t sz = st->sz < sizeof(out) ? st->sz : sizeof(out);
		out.sz = sz;
		memcpy(st, &out, sz);
	}
	if (perr || derr) {
		if (eb && el && !eb[0])
			vgt_errbuf_set(eb, el, "%s: reading the buffer failed: %s", ops->name,
				       strerror(-(perr ? perr : derr)));
		return perr ? perr : derr;
	}
	if (cerr) {
		vgt_errbuf_set(eb, el, "%s", rerr[0] ? rerr : strerror(-cerr));
		return cerr;
	}
	return 0;
}
