/* SPDX-License-Identifier: MIT */
/*
 * The tracefs source (trs_tracefs_ops, capture_int.h): vgt's probes as
 * tracefs uprobe events, read from the kernel's per-CPU ring buffers.
 *
 * Two rings.  The two kinds of record go to two tracefs instances of our
 * own: vgt_PID holds GROUP/event records only, vgt_PID_blob GROUP/blob
 * records (the blob pieces) only.  A full buffer drops records and the
 * kernel counts them per CPU and per instance, without saying what they
 * were: with one instance for each kind, the event instance's count is
 * exactly the events lost and the blob instance's the pieces lost (what
 * the BPF source counts in its program), so a log's losses add up to
 * what the traced process emitted.
 *
 * attach:
 *   - tracefs mounted (mounted here if it is not); uprobe_events present;
 *   - leftovers of dead vgt processes removed: groups vgt_PID and
 *     instances vgt_PID and vgt_PID_blob whose PID no longer exists;
 *   - a guardian forked: a small process holding the read end of a pipe
 *     whose write end only this process holds; when the read returns 0
 *     (this process detached, or died in any way, SIGKILL included) it
 *     disables and removes our events and both our instances, then exits.
 *     It uses only system calls (the parent may have threads) and keeps no
 *     descriptor but the pipe (not the terminal, not the traced program's
 *     output);
 *   - the events GROUP/event and GROUP/blob (GROUP = vgt_PID, PID ours),
 *     one per probe site (event_1, blob_1, ... for more sites), written as
 *     raw uprobe_events lines with the semaphores
 *     (tr_probes_uprobe_events: libtracefs's uprobe API has no ref_ctr);
 *   - the two instances, so the top-level buffer and what others trace are
 *     untouched, set up alike: buffer_bytes per CPU each (16 MiB default),
 *     overwrite off (a full buffer drops new records, counted in the
 *     per-CPU stats), trace_clock mono (one clock: their records merge by
 *     timestamp), set_event_pid = the traced process's threads with
 *     event-fork (a uprobe fires in every process that maps the binary);
 *     each enables only its kind's events of our group, the blob instance
 *     first (an event recorded has its pieces recorded).
 *
 * poll: reads the per-CPU trace_pipe_raw sub-buffers of both instances
 * (parsed with kbuffer), merges all of them by timestamp — a thread's
 * pieces are in the blob instance and its event in the event instance,
 * maybe on other CPUs (a thread that moved), and the assembler wants the
 * pieces first: they were recorded first — up to a horizon taken before
 * reading (no buffer can still deliver an earlier record), and hands each
 * record, with the event of the kernel's own format (tep, from our group's
 * format files), to tra_from_tep.  Overruns: the per-CPU stats ("dropped
 * events", "overrun") of the event instance go to tra_lost as events,
 * those of the blob instance as pieces.
 *
 * detach removes what attach created, on every path; the guardian does the
 * same if we cannot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "common/common.h"
#include "tracer/capture_int.h"

#define TFS_DEFAULT_BUFFER ((size_t)16 << 20) /* per CPU */
#define TFS_MAX_EVENTS     64                 /* event names in our group (sites) */
#define TFS_QUEUE_MAX      2048               /* sub-buffers held per CPU per pass */
#define TFS_HORIZON_NS     1000000ull         /* records this recent wait for the next poll */
#define TFS_STATS_MS       500                /* how often poll reads the per-CPU stats */
#define TFS_BLOB_SUFFIX    "_blob"            /* the blob instance: GROUP TFS_BLOB_SUFFIX */

/* The two instances (rings): one per kind of record, so that the kernel's
 * drop counts say which kind was lost. */
enum { RING_EVENT, RING_BLOB, NRINGS };

/* What the guardian needs, prepared before fork: paths and lines only. */
struct guard_plan {
	char enable[NRINGS][PATH_MAX];     /* INSTANCE/events/GROUP/enable */
	char tracing_on[NRINGS][PATH_MAX]; /* INSTANCE/tracing_on */
	char instance[NRINGS][PATH_MAX];   /* INSTANCE (rmdir) */
	char uprobe_events[PATH_MAX];
	char removals[TFS_MAX_EVENTS * 140]; /* "-:GROUP/EVENT\n" lines */
	size_t removals_len;
};

struct page {
	struct page *next;
	unsigned char data[];
};

/* One CPU's buffer of one ring. */
struct cpu_buf {
	int ring;                 /* RING_EVENT or RING_BLOB */
	int cpu;
	int fd;
	struct kbuffer *kb;
	struct page *head, *tail; /* read, not yet consumed (FIFO) */
	size_t queued;
	int more;                 /* the last read stopped at TFS_QUEUE_MAX, not at the end */
	void *cur;                /* the current record in head, NULL: load the next page */
	unsigned long long ts;
	uint64_t dropped, overrun; /* from stats, as last reported */
};

/* One instance: its records are all of one kind (ring_of). */
struct ring {
	char name[48];            /* GROUP, GROUP TFS_BLOB_SUFFIX */
	struct tracefs_instance *inst;
	int made;                 /* created by us (removed at detach) */
};

struct tfs {
	struct tr_asm *a;
	pid_t pid;                /* the traced process */
	char group[32];           /* also the event instance's name */
	char *errbuf;
	size_t errbuf_len;
	struct ring ring[NRINGS];
	int events_made;
	char names[TFS_MAX_EVENTS][64]; /* our events (event, blob, event_1, ...) */
	int nnames;
	struct guard_plan plan;
	int guard_fd;             /* write end; -1 */
	pid_t guard_pid;
	struct tep_handle *tep;
	int ncpu;                 /* CPUs (configured) */
	int nbuf;                 /* NRINGS * ncpu: ring r's CPU c is buf[r * ncpu + c] */
	struct cpu_buf *buf;
	struct pollfd *pfd;       /* nbuf */
	size_t subbuf;            /* the largest sub-buffer of the two instances */
	struct page *free_pages;
	uint64_t last_stats_ms;
	/* counters (for tests and the lead's stats) */
	uint64_t records, foreign, refused, missed_pages;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* snprintf whose truncation is checked (paths from tracefs and dirents) */
__attribute__((format(printf, 3, 4)))
static int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---------------------------------------------------------- the guardian */

/* Async-signal-safe: open, write, close. */
static void raw_write(const char *path, const char *s, size_t n, int append)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return;
	if (write(fd, s, n) < 0) {
		/* nothing to do: the file may be gone already */
	}
	close(fd);
}

/* Undoes attach with system calls only; each step may find nothing.  The
 * events are disabled in both instances before they are removed (an
 * enabled event cannot be: EBUSY). */
static void guard_cleanup(const struct guard_plan *g)
{
	for (int r = 0; r < NRINGS; r++) {
		raw_write(g->enable[r], "0", 1, 0);
		raw_write(g->tracing_on[r], "0", 1, 0);
	}
	for (int r = 0; r < NRINGS; r++)
		rmdir(g->instance[r]);
	/* one removal per write: a write fails as a whole on its first bad line */
	const char *s = g->removals, *end = g->removals + g->removals_len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
		raw_write(g->uprobe_events, s, n, 1);
		s += n;
	}
}

static void guard_main(const struct guard_plan *g, int rfd)
{
	/* a session of its own: no terminal, so a Ctrl-C meant for vgt and the
	 * traced program does not kill it before it did its work */
	setsid();
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (chdir("/")) {
		/* keeps the old directory busy, nothing worse */
	}
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (rfd != 3) {
		if (dup2(rfd, 3) < 0)
			_exit(1);
		rfd = 3;
	}
	/* every other descriptor: the traced program's pipes, logs, ... */
	syscall(SYS_close_range, 4u, ~0u, 0u);
	char c;
	for (;;) {
		ssize_t r = read(rfd, &c, 1);
		if (r == 0)
			break;
		if (r < 0 && errno != EINTR)
			break;
	}
	guard_cleanup(g);
	_exit(0);
}

static int guard_start(struct tfs *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		int err = -errno;
		vgt_errbuf_set(s->errbuf, s->errbuf_len, "tracefs source: pipe: %s", strerror(-err));
		return err;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		vgt_errbuf_set(s->errbuf, s->errbuf_len,
			       "tracefs source: cannot fork the clean-up guardian: %s",
			       strerror(-err));
		return err;
	}
	if (pid == 0) {
		close(p[1]);
		guard_main(&s->plan, p[0]);
	}
	close(p[0]);
	s->guard_fd = p[1];
	s->guard_pid = pid;
	return 0;
}

static void guard_stop(struct tfs *s)
{
	if (s->guard_fd >= 0) {
		close(s->guard_fd);
		s->guard_fd = -1;
	}
	if (s->guard_pid > 0) {
		while (waitpid(s->guard_pid, NULL, 0) < 0 && errno == EINTR)
			;
		s->guard_pid = 0;
	}
}

/* ------------------------------------------------------------ stale groups */

/* "vgt_PID", or with `suffix` (NULL: none) "vgt_PID" suffix, where PID is
 * a process that is gone (not ours): the length of "vgt_PID" (the group's
 * name), else 0. */
static size_t dead_vgt_name(const char *name, const char *suffix)
{
	static const char prefix[] = "vgt_";
	size_t n = sizeof(prefix) - 1;
	if (strncmp(name, prefix, n))
		return 0;
	long long v = 0;
	const char *c = name + n;
	for (; *c >= '0' && *c <= '9'; c++) {
		if (v > INT_MAX / 10)
			return 0;
		v = v * 10 + (*c - '0');
	}
	if (c == name + n || (*c && (!suffix || strcmp(c, suffix))))
		return 0;
	if (v <= 0 || v > INT_MAX || v == getpid())
		return 0;
	return kill((pid_t)v, 0) < 0 && errno == ESRCH ? (size_t)(c - name) : 0;
}

/* Groups vgt_PID and instances vgt_PID, vgt_PID_blob of processes that are
 * gone (an older vgt killed before it could clean up, its guardian killed
 * too): the instances first (their events disabled), then the events. */
static void remove_stale(const char *tdir)
{
	char path[PATH_MAX];
	pathf(path, sizeof(path), "%s/instances", tdir);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t glen = dead_vgt_name(de->d_name, TFS_BLOB_SUFFIX);
			if (!glen)
				continue;
			char p2[PATH_MAX + 300];
			pathf(p2, sizeof(p2), "%s/%s/events/%.*s/enable", path, de->d_name, (int)glen,
			      de->d_name);
			raw_write(p2, "0", 1, 0);
			pathf(p2, sizeof(p2), "%s/%s", path, de->d_name);
			rmdir(p2);
		}
		closedir(d);
	}
	char *list = tracefs_instance_file_read(NULL, "uprobe_events", NULL);
	if (!list)
		return;
	pathf(path, sizeof(path), "%s/uprobe_events", tdir);
	char *save = NULL;
	for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "p:GROUP/EVENT PATH:..." */
		if ((line[0] != 'p' && line[0] != 'r') || line[1] != ':')
			continue;
		char *sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		char *slash = strchr(line + 2, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (!dead_vgt_name(line + 2, NULL))
			continue;
		char rm[300];
		int w = snprintf(rm, sizeof(rm), "-:%s/%s\n", line + 2, slash + 1);
		if (w > 0 && (size_t)w < sizeof(rm))
			raw_write(path, rm, (size_t)w, 1);
	}
	free(list);
}

/* ------------------------------------------------------------ attach */

static int fail(struct tfs *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct tfs *s, int err, const char *fmt, ...)
{
	if (s->errbuf && s->errbuf_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->errbuf, s->errbuf_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static const char *priv_hint(void)
{
	return geteuid() ? "run vgt record as root" : "root lacks the right here (a container?)";
}

/* Our events' names from the lines "p:GROUP/NAME ...": kept for enabling
 * each in its instance, and as removal lines for the guardian and detach. */
static int plan_removals(struct tfs *s, const char *lines)
{
	struct guard_plan *g = &s->plan;
	g->removals_len = 0;
	s->nnames = 0;
	size_t glen = strlen(s->group);
	for (const char *l = lines; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		const char *sp = memchr(l, ' ', len);
		if (len > 2 && l[0] == 'p' && l[1] == ':' && sp) {
			size_t nm = (size_t)(sp - (l + 2)); /* "GROUP/NAME" */
			if (nm <= glen + 1 || memcmp(l + 2, s->group, glen) || l[2 + glen] != '/')
				return -EPROTO;
			size_t name = nm - glen - 1;
			if (s->nnames >= TFS_MAX_EVENTS || name >= sizeof(s->names[0]) ||
			    g->removals_len + nm + 4 > sizeof(g->removals))
				return -E2BIG;
			memcpy(s->names[s->nnames], l + 3 + glen, name);
			s->names[s->nnames++][name] = '\0';
			char *o = g->removals + g->removals_len;
			o[0] = '-', o[1] = ':';
			memcpy(o + 2, l + 2, nm);
			o[2 + nm] = '\n';
			g->removals_len += nm + 3;
		}
		l += len + (nl ? 1 : 0);
	}
	return 0;
}

/* The ring of one of our events: blob, blob_1, ... go to the blob
 * instance, event, event_1, ... to the event instance. */
static int ring_of(const char *name)
{
	size_t n = strlen(TRA_EV_BLOB);
	return !strncmp(name, TRA_EV_BLOB, n) && (!name[n] || name[n] == '_') ? RING_BLOB
										 : RING_EVENT;
}

static void remove_events(struct tfs *s)
{
	const struct guard_plan *g = &s->plan;
	const char *p = g->removals, *end = g->removals + g->removals_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		raw_write(g->uprobe_events, p, n, 1);
		p += n;
	}
}

static int write_file(struct tfs *s, int r, const char *file, const char *val)
{
	if (tracefs_instance_file_write(s->ring[r].inst, file, val) < 0) {
		int err = errno ? -errno : -EIO;
		return fail(s, err, "tracefs source: cannot write '%s' to %s/%s: %s", val,
			    s->plan.instance[r], file, strerror(-err));
	}
	return 0;
}

/* Ring r's set_event_pid: the traced process's threads, again until no
 * new one appeared in between (event-fork adds those created afterwards). */
static int set_pids(struct tfs *s, int r)
{
	if (s->pid <= 0)
		return 0;
	struct tracefs_instance *inst = s->ring[r].inst;
	int err = write_file(s, r, "set_event_pid", "");
	if (err)
		return err;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)s->pid);
	size_t seen = 0;
	for (int round = 0; round < 8; round++) {
		DIR *d = opendir(dir);
		if (!d) {
			err = -errno;
			return fail(s, err == -ENOENT ? -ESRCH : err,
				    "tracefs source: process %d: %s (did it exit?)", (int)s->pid,
				    strerror(-err));
		}
		size_t count = 0;
		struct dirent *de;
		char buf[4096];
		size_t len = 0;
		while ((de = readdir(d))) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			count++;
			size_t nl = strlen(de->d_name);
			if (len + nl + 2 >= sizeof(buf)) {
				buf[len] = '\0';
				if (tracefs_instance_file_append(inst, "set_event_pid", buf) < 0)
					break;
				len = 0;
			}
			memcpy(buf + len, de->d_name, nl);
			len += nl;
			buf[len++] = ' ';
		}
		closedir(d);
		buf[len] = '\0';
		if (len && tracefs_instance_file_append(inst, "set_event_pid", buf) < 0) {
			err = errno ? -errno : -EIO;
			return fail(s, err, "tracefs source: cannot set %s/set_event_pid: %s",
				    s->plan.instance[r], strerror(-err));
		}
		if (count == seen)
			break;
		seen = count;
	}
	return 0;
}

/* The per-CPU trace_pipe_raw of both rings, the event ring's first (a
 * pass reads the event buffers before the blob buffers: every piece of an
 * event read was recorded before it, so it is read in the same pass). */
static int open_cpus(struct tfs *s)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	if (n <= 0 || n > 4096)
		n = 1;
	s->ncpu = (int)n;
	s->nbuf = NRINGS * s->ncpu;
	s->buf = calloc((size_t)s->nbuf, sizeof(*s->buf));
	s->pfd = calloc((size_t)s->nbuf, sizeof(*s->pfd));
	if (!s->buf || !s->pfd)
		return fail(s, -ENOMEM, "tracefs source: out of memory");
	for (int i = 0; i < s->nbuf; i++) {
		s->buf[i].ring = i / s->ncpu;
		s->buf[i].cpu = i % s->ncpu;
		s->buf[i].fd = -1;
	}
	s->subbuf = (size_t)getpagesize();
	for (int r = 0; r < NRINGS; r++) {
		char *sz = tracefs_instance_file_read(s->ring[r].inst, "buffer_subbuf_size_kb", NULL);
		if (sz) {
			long kb = strtol(sz, NULL, 10);
			if (kb > 0 && kb <= 1024 && (size_t)kb << 10 > s->subbuf)
				s->subbuf = (size_t)kb << 10;
			free(sz);
		}
	}
	for (int i = 0; i < s->nbuf; i++) {
		struct cpu_buf *c = &s->buf[i];
		char path[PATH_MAX + 64];
		pathf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", s->plan.instance[c->ring],
		      c->cpu);
		c->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->fd < 0) {
			if (errno == ENOENT)
				continue; /* a CPU that is not possible here */
			int err = -errno;
			return fail(s, err, "tracefs source: cannot open %s: %s", path, strerror(-err));
		}
		c->kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
		if (!c->kb)
			return fail(s, -ENOMEM, "tracefs source: out of memory");
	}
	return 0;
}

/* Ring r's instance, created and set up (tracing off, nothing enabled). */
static int make_ring(struct tfs *s, int r, size_t bytes)
{
	struct ring *rg = &s->ring[r];
	const char *dir = s->plan.instance[r];
	rg->inst = tracefs_instance_create(rg->name);
	if (!rg->inst) {
		int err = errno ? -errno : -EIO;
		return fail(s, err, "tracefs source: cannot create the instance %s: %s", dir,
			    strerror(-err));
	}
	rg->made = 1;
	char kb[32];
	snprintf(kb, sizeof(kb), "%zu", (bytes + 1023) >> 10);
	int err;
	if ((err = write_file(s, r, "tracing_on", "0")) ||
	    (err = write_file(s, r, "buffer_size_kb", kb)) ||
	    (err = write_file(s, r, "trace_clock", "mono")))
		return err;
	/* a poll wakes us at 1% full, not the default half (a kernel without
	 * buffer_percent: the poll slices alone) */
	tracefs_instance_file_write(rg->inst, "buffer_percent", "1");
	if (tracefs_option_disable(rg->inst, TRACEFS_OPTION_OVERWRITE) < 0)
		return fail(s, -EIO, "tracefs source: cannot turn off %s/options/overwrite", dir);
	if (s->pid > 0) {
		if (tracefs_option_enable(rg->inst, TRACEFS_OPTION_EVENT_FORK) < 0)
			return fail(s, -EIO, "tracefs source: cannot turn on %s/options/event-fork",
				    dir);
		if ((err = set_pids(s, r)))
			return err;
	}
	return 0;
}

/* Ring r's events of our group enabled (its kind's only), then its
 * buffer on. */
static int start_ring(struct tfs *s, int r)
{
	struct ring *rg = &s->ring[r];
	for (int i = 0; i < s->nnames; i++) {
		if (ring_of(s->names[i]) != r)
			continue;
		/* (the name is an anchored regular expression: ours have no
		 * special character) */
		if (tracefs_event_enable(rg->inst, s->group, s->names[i]) < 0) {
			int err = errno ? -errno : -EIO;
			return fail(s, err, "tracefs source: cannot enable %s/%s in %s: %s", s->group,
				    s->names[i], s->plan.instance[r], strerror(-err));
		}
	}
	return write_file(s, r, "tracing_on", "1");
}

/* A tep holding our group's formats (event, blob, event_1, ...) and the
 * kernel's sub-buffer header, nothing else: tracefs_local_events_system
 * also parses /proc/kallsyms, saved_cmdlines and printk_formats (seconds
 * under the sanitizers), none of which a record of ours needs. */
static struct tep_handle *load_formats(struct tfs *s)
{
	struct tep_handle *tep = tep_alloc();
	if (!tep)
		return NULL;
	tep_set_long_size(tep, (int)sizeof(long));
	tep_set_file_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_page_size(tep, getpagesize());
	int size = 0;
	char *buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
	if (buf && size > 0)
		tep_parse_header_page(tep, buf, (unsigned long)size, (int)sizeof(long));
	free(buf);
	for (int i = 0; i < s->nnames; i++) {
		buf = tracefs_event_file_read(NULL, s->group, s->names[i], "format", &size);
		struct tep_event *e = NULL;
		int bad = !buf || size <= 0 ||
			  tep_parse_format(tep, &e, buf, (unsigned long)size, s->group) != TEP_ERRNO__SUCCESS;
		free(buf);
		if (bad) {
			tep_free(tep);
			return NULL;
		}
	}
	return tep;
}

static void tfs_free(struct tfs *s);

static int tfs_attach(const struct trs_target *t, struct tr_asm *a, void **state)
{
	if (!t || !a || !state || !t->binary)
		return -EINVAL;
	*state = NULL;
	struct tfs *s = calloc(1, sizeof(*s));
	if (!s) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "tracefs source: out of memory");
		return -ENOMEM;
	}
	s->a = a;
	s->pid = t->pid;
	s->errbuf = t->errbuf;
	s->errbuf_len = t->errbuf_len;
	s->guard_fd = -1;
	snprintf(s->group, sizeof(s->group), "vgt_%d", (int)getpid());
	snprintf(s->ring[RING_EVENT].name, sizeof(s->ring[RING_EVENT].name), "%s", s->group);
	snprintf(s->ring[RING_BLOB].name, sizeof(s->ring[RING_BLOB].name), "%s%s", s->group,
		 TFS_BLOB_SUFFIX);
	int err;
	const char *tdir = NULL;
	/* tracefs_tracing_dir_is_mounted leaks a copy of the path (libtracefs
	 * 1.6.4) even when given none: only called when it has to mount */
	tdir = tracefs_tracing_dir();
	char probe[PATH_MAX];
	struct stat sb;
	if (!tdir || pathf(probe, sizeof(probe), "%s/trace", tdir) || stat(probe, &sb)) {
		if (tdir && (errno == EACCES || errno == EPERM)) {
			err = fail(s, -EPERM, "tracefs source: %s is not accessible: uprobe events and "
				   "instances are root's; run vgt record as root", tdir);
			goto out;
		}
		if (tracefs_tracing_dir_is_mounted(true, NULL) < 0 || !(tdir = tracefs_tracing_dir())) {
			if (geteuid())
				err = fail(s, -EPERM, "tracefs source: tracefs is not mounted and only "
					   "root can mount it; run vgt record as root");
			else
				err = fail(s, -ENOTSUP,
					   "tracefs source: tracefs is not mounted and mounting it failed "
					   "(a kernel without CONFIG_TRACING? try: mount -t tracefs nodev "
					   "/sys/kernel/tracing)");
			goto out;
		}
	}
	if (pathf(probe, sizeof(probe), "%s/uprobe_events", tdir) || stat(probe, &sb)) {
		if (errno == EACCES || errno == EPERM)
			err = fail(s, -EPERM, "tracefs source: %s is not accessible: uprobe events "
				   "are root's; run vgt record as root", probe);
		else
			err = fail(s, -ENOTSUP,
				   "tracefs source: %s does not exist: this kernel has no uprobe "
				   "events (CONFIG_UPROBE_EVENTS); use the BPF source",
				   probe);
		goto out;
	}
	if (access(probe, W_OK)) {
		err = fail(s, -EPERM, "tracefs source: %s is not writable: %s", probe, priv_hint());
		goto out;
	}
	char *lines = NULL;
	err = tr_probes_uprobe_events(t->binary, s->group, &lines, s->errbuf, s->errbuf_len);
	if (err)
		goto out;
	err = plan_removals(s, lines);
	if (err) {
		free(lines);
		if (err == -E2BIG)
			fail(s, err, "%s: more probe sites than the tracefs source handles (%d)",
			     t->binary, TFS_MAX_EVENTS);
		else
			fail(s, err, "tracefs source: a uprobe line not of the group %s", s->group);
		goto out;
	}
	struct guard_plan *g = &s->plan;
	pathf(g->uprobe_events, sizeof(g->uprobe_events), "%s/uprobe_events", tdir);
	for (int r = 0; r < NRINGS; r++) {
		const char *name = s->ring[r].name;
		pathf(g->instance[r], sizeof(g->instance[r]), "%s/instances/%s", tdir, name);
		pathf(g->enable[r], sizeof(g->enable[r]), "%s/instances/%s/events/%s/enable", tdir,
		      name, s->group);
		pathf(g->tracing_on[r], sizeof(g->tracing_on[r]), "%s/instances/%s/tracing_on", tdir,
		      name);
	}
	remove_stale(tdir);
	/* ours from an earlier attach in this process that could not clean up */
	guard_cleanup(g);
	err = guard_start(s);
	if (err) {
		free(lines);
		goto out;
	}
	/* the events first (the instance's events/ then has our group) */
	for (const char *l = lines; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		char line[4096];
		if (len >= sizeof(line)) {
			err = fail(s, -E2BIG, "%s: a uprobe line longer than %zu", t->binary,
				   sizeof(line));
			break;
		}
		memcpy(line, l, len);
		line[len] = '\0';
		s->events_made = 1;
		/* (error_log is not cleared first: it is everyone's; on a failed
		 * write the kernel's last entry is ours) */
		if (tracefs_instance_file_append(NULL, "uprobe_events", line) < 0) {
			int e = errno ? -errno : -EIO;
			char *why = tracefs_error_last(NULL);
			if (e == -EACCES || e == -EPERM)
				err = fail(s, -EPERM, "tracefs source: cannot create uprobe events in "
					   "%s: %s; %s", g->uprobe_events, strerror(-e), priv_hint());
			else
				err = fail(s, e, "tracefs source: the kernel refused the uprobe event "
					   "for %s (%s%s%s): %.*s", t->binary, strerror(-e),
					   why ? ": " : "", why ? why : "", (int)(len - 1), line);
			free(why);
			break;
		}
		l += len;
	}
	free(lines);
	if (err)
		goto out;
	/* both instances alike: the given size per CPU each */
	size_t bytes = t->buffer_bytes ? t->buffer_bytes : TFS_DEFAULT_BUFFER;
	for (int r = 0; r < NRINGS; r++)
		if ((err = make_ring(s, r, bytes)))
			goto out;
	s->tep = load_formats(s);
	if (!s->tep || !tep_find_event_by_name(s->tep, s->group, TRA_EV_EVENT) ||
	    !tep_find_event_by_name(s->tep, s->group, TRA_EV_BLOB)) {
		err = fail(s, -EIO, "tracefs source: cannot read the formats of %s/events/%s", tdir,
			   s->group);
		goto out;
	}
	if ((err = open_cpus(s)))
		goto out;
	/* the pieces' ring first: an event recorded has its pieces recorded */
	if ((err = start_ring(s, RING_BLOB)) || (err = start_ring(s, RING_EVENT)))
		goto out;
	*state = s;
	return 0;
out:
	tfs_free(s);
	return err;
}

/* ------------------------------------------------------------ reading */

static struct page *page_get(struct tfs *s)
{
	struct page *p = s->free_pages;
	if (p) {
		s->free_pages = p->next;
		return p;
	}
	return malloc(sizeof(*p) + s->subbuf);
}

static void page_put(struct tfs *s, struct page *p)
{
	p->next = s->free_pages;
	s->free_pages = p;
}

/* Reads what the CPU's buffer holds now, into its queue. */
static int read_cpu(struct tfs *s, struct cpu_buf *c)
{
	c->more = 1;
	while (c->queued < TFS_QUEUE_MAX) {
		struct page *p = page_get(s);
		if (!p)
			return -ENOMEM;
		ssize_t r = read(c->fd, p->data, s->subbuf);
		if (r <= 0) {
			page_put(s, p);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0 || errno == EAGAIN) {
				c->more = 0;
				return 0;
			}
			return -errno;
		}
		if ((size_t)r < s->subbuf)
			memset(p->data + r, 0, s->subbuf - (size_t)r);
		p->next = NULL;
		if (c->tail)
			c->tail->next = p;
		else
			c->head = p;
		c->tail = p;
		c->queued++;
	}
	return 0;
}

/* The CPU's current record (loading queued sub-buffers as needed); 0 if
 * there is none now. */
static int cpu_current(struct tfs *s, struct cpu_buf *c)
{
	while (!c->cur) {
		if (!c->head)
			return 0;
		if (kbuffer_load_subbuffer(c->kb, c->head->data) < 0) {
			s->refused++;
		} else {
			int missed = kbuffer_missed_events(c->kb);
			if (missed)
				s->missed_pages++;
			c->cur = kbuffer_read_event(c->kb, &c->ts);
			if (c->cur)
				return 1;
		}
		struct page *p = c->head;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		page_put(s, p);
	}
	return 1;
}

static void cpu_advance(struct tfs *s, struct cpu_buf *c)
{
	c->cur = kbuffer_next_event(c->kb, &c->ts);
	if (!c->cur) {
		struct page *p = c->head;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		page_put(s, p);
	}
}

static int deliver(struct tfs *s, struct cpu_buf *c)
{
	struct tep_record r = {
		.ts = c->ts,
		.cpu = c->cpu,
		.data = c->cur,
		.size = kbuffer_event_size(c->kb),
		.record_size = kbuffer_curr_size(c->kb),
		.offset = (unsigned long long)kbuffer_curr_offset(c->kb),
	};
	s->records++;
	if (r.size < 8)
		return s->refused++, 0;
	struct tep_event *e = tep_find_event_by_record(s->tep, &r);
	if (!e || !e->system || strcmp(e->system, s->group))
		return s->foreign++, 0;
	int rc = tra_from_tep(s->a, e, &r);
	if (rc < 0)
		s->refused++;
	return rc > 0;
}

/* Does a's current record go before b's?  By time; at the same time a
 * piece goes first (a thread's pieces precede its event). */
static int before(const struct cpu_buf *a, const struct cpu_buf *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	return a->ring == RING_BLOB && b->ring != RING_BLOB;
}

/* Merges the records of every CPU of both rings in time order up to
 * `horizon` (all of them when 0).  A buffer that still holds records we
 * have not read (its queue was full) stops the merge when its queue runs
 * dry: its next record may be older than the others' (a piece before its
 * event).  Returns the records taken. */
static int merge(struct tfs *s, uint64_t horizon)
{
	int taken = 0;
	for (;;) {
		struct cpu_buf *best = NULL;
		for (int i = 0; i < s->nbuf; i++) {
			struct cpu_buf *c = &s->buf[i];
			if (c->fd < 0)
				continue;
			if (!cpu_current(s, c)) {
				if (c->more)
					return taken;
				continue;
			}
			if (!best || before(c, best))
				best = c;
		}
		if (!best)
			break;
		if (horizon && best->ts > horizon)
			break;
		taken += deliver(s, best);
		cpu_advance(s, best);
	}
	return taken;
}

/* The number after `key` at the start of a line of a per-CPU stats file
 * (not "commit overrun:" for "overrun:"); 0 if there is none. */
static unsigned long long stat_field(const char *st, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = st; l && *l;) {
		if (!strncmp(l, key, n))
			return strtoull(l + n, NULL, 10);
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return 0;
}

/* "dropped events: N" and "overrun: N" of each CPU of each ring: what is
 * new since last time goes to tra_lost, as events from the event ring, as
 * pieces from the blob ring (each ring holds one kind of record). */
static void account_losses(struct tfs *s)
{
	uint64_t lost[NRINGS] = { 0 };
	for (int i = 0; i < s->nbuf; i++) {
		struct cpu_buf *c = &s->buf[i];
		if (c->fd < 0)
			continue;
		char file[64];
		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", c->cpu);
		char *st = tracefs_instance_file_read(s->ring[c->ring].inst, file, NULL);
		if (!st)
			continue;
		unsigned long long dropped = stat_field(st, "dropped events:");
		unsigned long long overrun = stat_field(st, "overrun:");
		free(st);
		if (dropped > c->dropped)
			lost[c->ring] += dropped - c->dropped, c->dropped = dropped;
		if (overrun > c->overrun)
			lost[c->ring] += overrun - c->overrun, c->overrun = overrun;
	}
	if (lost[RING_EVENT] || lost[RING_BLOB])
		tra_lost(s->a, lost[RING_EVENT], lost[RING_BLOB]);
}

/* One pass over every buffer, the event ring's first (open_cpus). */
static int read_all(struct tfs *s)
{
	for (int i = 0; i < s->nbuf; i++) {
		struct cpu_buf *c = &s->buf[i];
		if (c->fd < 0)
			continue;
		int err = read_cpu(s, c);
		if (err)
			return fail(s, err, "tracefs source: reading %s/per_cpu/cpu%d/trace_pipe_raw: %s",
				    s->plan.instance[c->ring], c->cpu, strerror(-err));
	}
	return 0;
}

static int tfs_poll(void *state, int timeout_ms)
{
	struct tfs *s = state;
	if (!s)
		return -EINVAL;
	nfds_t n = 0;
	for (int i = 0; i < s->nbuf; i++)
		if (s->buf[i].fd >= 0)
			s->pfd[n++] = (struct pollfd){ .fd = s->buf[i].fd, .events = POLLIN };
	/* the buffers wake a reader at buffer_percent full (1% here): wait in
	 * slices and read whatever is there after each; not at all while a
	 * buffer has more than the last pass could queue */
	int wait = timeout_ms < 0 || timeout_ms > 50 ? 50 : timeout_ms;
	for (int i = 0; i < s->nbuf; i++)
		if (s->buf[i].more)
			wait = 0;
	if (poll(s->pfd, n, wait) < 0 && errno != EINTR)
		return fail(s, -errno, "tracefs source: poll: %s", strerror(errno));
	uint64_t horizon = mono_ns() - TFS_HORIZON_NS;
	int err = read_all(s);
	if (err)
		return err;
	int taken = merge(s, horizon);
	uint64_t now = mono_ns() / 1000000;
	if (now - s->last_stats_ms >= TFS_STATS_MS) {
		account_losses(s);
		s->last_stats_ms = now;
	}
	tra_tick(s->a);
	return taken;
}

static int tfs_drain(void *state)
{
	struct tfs *s = state;
	if (!s)
		return -EINVAL;
	/* stop the buffers, so what is left is finite: the events' first (an
	 * event recorded still gets its pieces) */
	for (int r = 0; r < NRINGS; r++)
		if (s->ring[r].inst)
			tracefs_instance_file_write(s->ring[r].inst, "tracing_on", "0");
	int taken = 0;
	for (int round = 0; round < 1 << 20; round++) {
		int err = read_all(s);
		if (err)
			return err;
		int got = merge(s, 0);
		taken += got;
		int more = 0;
		for (int i = 0; i < s->nbuf; i++)
			more |= s->buf[i].head != NULL || s->buf[i].more;
		if (!got && !more)
			break;
	}
	account_losses(s);
	return taken;
}

/* ------------------------------------------------------------ detach */

static void tfs_free(struct tfs *s)
{
	if (!s)
		return;
	if (s->buf) {
		for (int i = 0; i < s->nbuf; i++) {
			struct cpu_buf *c = &s->buf[i];
			if (c->fd >= 0)
				close(c->fd);
			if (c->kb)
				kbuffer_free(c->kb);
			while (c->head) {
				struct page *p = c->head;
				c->head = p->next;
				free(p);
			}
		}
		free(s->buf);
	}
	free(s->pfd);
	while (s->free_pages) {
		struct page *p = s->free_pages;
		s->free_pages = p->next;
		free(p);
	}
	/* the events disabled in both instances before either is removed, and
	 * before the events are (an enabled event cannot be removed) */
	for (int r = 0; r < NRINGS; r++) {
		struct ring *rg = &s->ring[r];
		if (rg->inst) {
			tracefs_event_disable(rg->inst, s->group, NULL);
			tracefs_instance_file_write(rg->inst, "tracing_on", "0");
		}
	}
	for (int r = 0; r < NRINGS; r++) {
		struct ring *rg = &s->ring[r];
		if (rg->inst) {
			if (rg->made)
				tracefs_instance_destroy(rg->inst);
			tracefs_instance_free(rg->inst);
		}
	}
	if (s->events_made)
		remove_events(s);
	if (s->tep)
		tep_free(s->tep);
	/* the guardian finds nothing left, and exits */
	guard_stop(s);
	free(s);
}

static void tfs_detach(void *state)
{
	tfs_free(state);
}

const struct trs_ops trs_tracefs_ops = {
	.name = "tracefs",
	.attach = tfs_attach,
	.poll = tfs_poll,
	.drain = tfs_drain,
	.detach = tfs_detach,
};
