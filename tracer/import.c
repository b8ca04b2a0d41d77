/* SPDX-License-Identifier: MIT */
/*
 * vgt import: a trace-cmd recording (.dat) into a log (tracer.h, "import").
 *
 * libtracecmd reads the file and merges the per-CPU buffers (of the top
 * level and of every tracefs instance recorded in it) by timestamp.  Which
 * kind of recording it is comes from the event formats the file holds:
 * vgt's uprobe events (GROUP/event with an `ev` field, GROUP/blob with a
 * `desc` field) go through the assembler (assemble.c, tep_map.c) into an
 * ordered recorder, exactly as `vgt record --source tracefs` does live;
 * otherwise a GVT-g host's gvt/i915 tracepoints go through import_host.c
 * straight into a writer.  libtracecmd is not hardened against hostile
 * files, so the file's preamble is checked here first: the magic, and that
 * the file is not empty or a directory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "common/common.h"
#include "tracer/capture_int.h"
#include "tracer/import_int.h"

/* A trace-cmd file starts with 0x17 0x08 0x44 and "tracing". */
static const unsigned char dat_magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
/* Records shorter than the common fields (type, flags, preempt count, pid). */
#define COMMON_BYTES 8
/* The assembler's reorder buffer is let go every this many records. */
#define TICK_EVERY 4096

const char *tr_import_kind_name(enum tr_import_kind k)
{
	switch (k) {
	case TR_IMPORT_NONE: return "none";
	case TR_IMPORT_PROBES: return "vgt-probes";
	case TR_IMPORT_HOST: return "gvt-host";
	}
	return "unknown";
}

struct imp {
	const char *dat;
	struct tr_import_stats *st;
	enum tr_import_kind kind;
	/* probes */
	struct tr_recorder *rec;
	struct tr_asm *a;
	/* host */
	struct tr_writer *w;
	struct tri_host *host;
	int err;                     /* the first error that stopped the import */
	/* probes: the seqs of the events taken, and the records the kernel
	 * lost before the first of them (no seq gap can show those) */
	uint64_t first_seq, last_seq, events_seen;
	uint64_t head_missed;
	uint64_t lost_total;         /* probes: lost beyond the seq gaps */
	/* the record whose loss was counted (the follower and the iteration
	 * both see it): by file offset, a record's identity */
	bool missed_set;
	int missed_cpu;
	unsigned long long missed_offset;
	char *eb;
	size_t el;
	char werr[256];
};

/* ---------------------------------------------------------- the preamble */

static int check_file(const char *dat, char *eb, size_t el)
{
	struct stat sb;
	if (stat(dat, &sb)) {
		int err = -errno;
		vgt_errbuf_set(eb, el, "%s: cannot open: %s", dat, strerror(errno));
		return err;
	}
	if (S_ISDIR(sb.st_mode)) {
		vgt_errbuf_set(eb, el, "%s: is a directory, not a trace-cmd recording", dat);
		return -EISDIR;
	}
	if (!S_ISREG(sb.st_mode)) {
		vgt_errbuf_set(eb, el, "%s: not a regular file (libtracecmd reads files only)", dat);
		return -EINVAL;
	}
	if (!sb.st_size) {
		vgt_errbuf_set(eb, el, "%s: empty file, not a trace-cmd recording", dat);
		return -EPROTO;
	}
	int fd = open(dat, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		vgt_errbuf_set(eb, el, "%s: cannot open: %s", dat, strerror(errno));
		return err;
	}
	unsigned char head[sizeof(dat_magic)];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	int e = errno;
	close(fd);
	if (n < 0) {
		vgt_errbuf_set(eb, el, "%s: cannot read: %s", dat, strerror(e));
		return -EIO;
	}
	if ((size_t)n < sizeof(head) || memcmp(head, dat_magic, sizeof(head))) {
		vgt_errbuf_set(eb, el, "%s: not a trace-cmd recording (no tracing magic at its start)",
			       dat);
		return -EPROTO;
	}
	return 0;
}

/* ------------------------------------------------------------ cpu stats */

/* What the buffers' stats said when the recording was taken (trace-cmd
 * saves each CPU's `stats` file in it): the records a full buffer dropped
 * (the newest: nothing in the data marks them).  libtracecmd exports the
 * text (tracecmd_get_cpustats, every buffer's, from the top handle) but
 * its public header does not declare it: looked up, 0 when absent. */
static uint64_t dropped_of(struct tracecmd_input *h)
{
	const char *(*get)(struct tracecmd_input *);
	*(void **)&get = dlsym(RTLD_DEFAULT, "tracecmd_get_cpustats");
	const char *t = get ? get(h) : NULL;
	uint64_t sum = 0;
	static const char key[] = "dropped events:";
	for (const char *p = t; p && (p = strstr(p, key)); p += sizeof(key) - 1) {
		char *end;
		unsigned long long v = strtoull(p + sizeof(key) - 1, &end, 10);
		if (end != p + sizeof(key) - 1 && v < (1ull << 48))
			sum += v;
	}
	return sum;
}

/* ------------------------------------------------------------- the kind */

/* "event", "event_2", ...: one uprobe event per probe site (tep_map.c). */
static bool probe_name(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (!name || strncmp(name, base, n))
		return false;
	if (!name[n])
		return true;
	if (name[n] != '_' || !name[n + 1])
		return false;
	for (const char *p = name + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static bool is_probe_event(struct tep_event *e)
{
	return (probe_name(e->name, TRA_EV_EVENT) && tep_find_field(e, "ev")) ||
	       (probe_name(e->name, TRA_EV_BLOB) && tep_find_field(e, "desc"));
}

static enum tr_import_kind kind_of(struct tep_handle *tep, uint64_t *host_types)
{
	int n = tep_get_events_count(tep);
	for (int i = 0; i < n; i++) {
		struct tep_event *e = tep_get_event(tep, i);
		if (e && is_probe_event(e))
			return TR_IMPORT_PROBES;
	}
	*host_types = tri_host_types(tep);
	return *host_types ? TR_IMPORT_HOST : TR_IMPORT_NONE;
}

/* ------------------------------------------------------------ the records */

static void count_skipped(struct tr_import_stats *st, const struct tep_event *e)
{
	char name[64];
	st->skipped++;
	snprintf(name, sizeof(name), "%s:%s", e->system ? e->system : "?", e->name ? e->name : "?");
	for (unsigned i = 0; i < st->nskipped_names; i++) {
		if (!strcmp(st->skipped_by[i].name, name)) {
			st->skipped_by[i].count++;
			return;
		}
	}
	if (st->nskipped_names < TR_IMPORT_NAMES) {
		unsigned i = st->nskipped_names++;
		memcpy(st->skipped_by[i].name, name, sizeof(name));
		st->skipped_by[i].count = 1;
	}
}

/* The kernel lost records on this CPU before r: counted; for a host
 * import, a loss record at this place (a probe import's seq gaps are its
 * losses, placed by the recorder: the records lost mix events and blob
 * pieces, so their count is not a count of events). */
static int note_missed(struct imp *m, const struct tep_record *r)
{
	if (!r->missed_events ||
	    (m->missed_set && m->missed_cpu == r->cpu && m->missed_offset == r->offset))
		return 0;
	m->missed_set = true;
	m->missed_cpu = r->cpu;
	m->missed_offset = r->offset;
	if (r->missed_events > 0)
		m->st->missed += (uint64_t)r->missed_events;
	else
		m->st->missed_unknown++;
	if (m->kind != TR_IMPORT_HOST) {
		if (!m->events_seen && r->missed_events > 0)
			m->head_missed += (uint64_t)r->missed_events;
		return 0;
	}
	int err = tri_host_flush(m->host);
	if (err)
		return err;
	struct tr_loss loss = {
		.thread = (uint32_t)r->cpu,
		.reason = TR_LOSS_SOURCE,
		.count = r->missed_events > 0 ? (uint64_t)r->missed_events : 0,
	};
	return tr_writer_loss(m->w, &loss);
}

static int on_missed(struct tracecmd_input *h, struct tep_event *e, struct tep_record *r, int cpu,
		     void *data)
{
	struct imp *m = data;
	int err = note_missed(m, r);
	if (err) {
		m->err = err;
		return 1;
	}
	return 0;
}

static int number(struct tep_event *e, struct tep_record *r, const char *name, unsigned long long *v)
{
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || f->offset < 0 || f->size <= 0 || f->size > 8 || r->size < 0 ||
	    f->offset > r->size || f->size > r->size - f->offset)
		return -EPROTO;
	return tep_read_number_field(f, r->data, v) ? -EPROTO : 0;
}

/* An event record the assembler took: its type counted, its seq kept. */
static void note_probe_event(struct imp *m, struct tep_event *e, struct tep_record *r)
{
	unsigned long long t, seq;
	if (!probe_name(e->name, TRA_EV_EVENT))
		return;
	if (!number(e, r, "type", &t) && t < MED_EV_TYPE_COUNT)
		m->st->by_type[t]++;
	if (number(e, r, "seq", &seq) || !seq)
		return;
	if (!m->events_seen++ || seq < m->first_seq)
		m->first_seq = seq;
	if (seq > m->last_seq)
		m->last_seq = seq;
}

static int on_record(struct tracecmd_input *h, struct tep_record *r, int cpu, void *data)
{
	struct imp *m = data;
	struct tr_import_stats *st = m->st;
	st->records++;
	int err = note_missed(m, r);
	if (err) {
		m->err = err;
		return 1;
	}
	struct tep_event *e = NULL;
	if (r->data && r->size >= COMMON_BYTES)
		e = tep_find_event_by_record(tracecmd_get_tep(h), r);
	if (!e) {
		st->unknown++;
		return 0;
	}
	int rc;
	if (m->kind == TR_IMPORT_PROBES) {
		rc = tra_from_tep(m->a, e, r);
		if (rc == 1)
			note_probe_event(m, e, r);
		if (!(st->records % TICK_EVERY))
			tra_tick(m->a);
	} else {
		rc = tri_host_record(m->host, e, r);
	}
	if (rc == 1)
		st->taken++;
	else if (!rc)
		count_skipped(st, e);
	else if (rc == -EPROTO || rc == -EINVAL)
		st->bad++;
	else {
		m->err = rc;
		return 1;
	}
	return 0;
}

/* The host mapping's events go straight to the writer. */
static int host_emit(void *ctx, const struct med_event *ev)
{
	struct imp *m = ctx;
	int err = tr_writer_event(m->w, ev);
	if (!err && ev->type < MED_EV_TYPE_COUNT)
		m->st->by_type[ev->type]++;
	return err;
}

/* ------------------------------------------------------------- the import */

static int open_output(struct imp *m, const char *out, const struct tr_import_opts *o,
		       uint64_t host_types)
{
	struct tr_writer_opts wo = { .sz = sizeof(wo) };
	int err;
	if (o->writer.sz && (err = VGT_OPTS_LOAD(&wo, &o->writer))) {
		vgt_errbuf_set(m->eb, m->el, "%s: writer options: %s", out,
			       err == -E2BIG ? "fields this build does not know are set" : "bad sz");
		return err;
	}
	wo.source = TR_SOURCE_IMPORT;
	wo.errbuf = NULL;
	wo.errbuf_len = 0;
	if (m->kind == TR_IMPORT_PROBES) {
		/* what the probes deliver: every type but digests */
		wo.types = MED_EV_ALL & ~MED_EV_BIT(MED_EV_DIGEST);
		wo.clock = "virtual";
		m->st->types = wo.types;
		struct tr_recorder_opts ro = { .sz = sizeof(ro), .writer = wo, .ordered = true,
					       .errbuf = m->werr, .errbuf_len = sizeof(m->werr) };
		err = tr_recorder_open(out, &ro, &m->rec);
		if (!err && (err = tra_open(m->rec, &m->a))) {
			tr_recorder_close(m->rec, NULL);
			m->rec = NULL;
		}
	} else {
		/* the host's record times: the recording's trace clock, in ns */
		wo.types = host_types;
		wo.clock = "trace-clock";
		m->st->types = wo.types;
		wo.errbuf = m->werr;
		wo.errbuf_len = sizeof(m->werr);
		err = tr_writer_open(out, &wo, &m->w);
		if (!err && (err = tri_host_new(o->rings, host_emit, m, &m->host))) {
			tr_writer_close(m->w, NULL);
			m->w = NULL;
		}
	}
	if (err)
		vgt_errbuf_set(m->eb, m->el, "%s", m->werr[0] ? m->werr : strerror(-err));
	return err;
}

/* Closes the output; the first error wins. */
static int close_output(struct imp *m, int err)
{
	struct tr_import_stats *st = m->st;
	if (m->a) {
		struct tra_stats as;
		tra_flush(m->a);
		tra_stats(m->a, &as);
		if (m->head_missed && m->first_seq > 1) {
			/* The kernel lost the oldest records (an overwriting
			 * buffer): the events before the first that survived,
			 * at most first_seq - 1 of them and at most as many as
			 * the records lost.  The recorder writes what a source
			 * lost beyond the seq gaps it saw as one `source' loss
			 * record: the total passed is these plus the gaps
			 * (the seqs between first and last never handed over). */
			uint64_t head = m->head_missed < m->first_seq - 1 ? m->head_missed
									   : m->first_seq - 1;
			m->lost_total += head;
		}
		if (m->st->dropped)
			m->lost_total += m->st->dropped; /* the newest: records, at most as many events */
		if (m->lost_total) {
			uint64_t span = m->events_seen ? m->last_seq - m->first_seq + 1 : 0;
			uint64_t gaps = span > as.events ? span - as.events : 0;
			tra_lost(m->a, m->lost_total + gaps, 0);
		}
		st->incomplete = as.incomplete;
		st->orphans = as.orphans;
		tra_close(m->a);
		m->a = NULL;
	}
	if (m->rec) {
		struct tr_record_stats rs = { .sz = sizeof(rs) };
		int e = tr_recorder_close(m->rec, &rs);
		m->rec = NULL;
		st->events = rs.w.events;
		st->losses = rs.w.losses;
		st->lost_events = rs.w.lost_events;
		st->file_bytes = rs.w.file_bytes;
		if (e && !err) {
			vgt_errbuf_set(m->eb, m->el, "%s", m->werr[0] ? m->werr : strerror(-e));
			err = e;
		}
	}
	if (m->host) {
		int e = tri_host_flush(m->host);
		if (!e && m->st->dropped) {
			struct tr_loss loss = { .thread = UINT32_MAX, .reason = TR_LOSS_SOURCE,
						.count = m->st->dropped };
			e = tr_writer_loss(m->w, &loss);
		}
		if (e && !err) {
			vgt_errbuf_set(m->eb, m->el, "%s", m->werr[0] ? m->werr : strerror(-e));
			err = e;
		}
		tri_host_free(m->host);
		m->host = NULL;
	}
	if (m->w) {
		struct tr_write_stats ws = { .sz = sizeof(ws) };
		int e = tr_writer_close(m->w, &ws);
		m->w = NULL;
		st->events = ws.events;
		st->losses = ws.losses;
		st->lost_events = ws.lost_events;
		st->file_bytes = ws.file_bytes;
		if (e && !err) {
			vgt_errbuf_set(m->eb, m->el, "%s", m->werr[0] ? m->werr : strerror(-e));
			err = e;
		}
	}
	return err;
}

/* The import itself, in this process. */
static int import_here(const char *dat, const char *out, const struct tr_import_opts *opts,
		       struct tr_import_stats *st, char *eb, size_t el)
{
	struct tr_import_opts o = *opts;
	int err;
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *h =
		tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!h) {
		vgt_errbuf_set(eb, el,
			       "%s: cannot be read as a trace-cmd recording (its headers are truncated "
			       "or corrupt, or its version is not one libtracecmd reads)",
			       dat);
		return -EPROTO;
	}
	/* the top level's buffers and every instance's */
	int ninst = tracecmd_buffer_instances(h);
	if (ninst < 0)
		ninst = 0;
	struct tracecmd_input **hs = calloc((size_t)ninst + 1, sizeof(*hs));
	if (!hs) {
		tracecmd_close(h);
		vgt_errbuf_set(eb, el, "%s: out of memory", dat);
		return -ENOMEM;
	}
	int nh = 0;
	hs[nh++] = h;
	for (int i = 0; i < ninst; i++) {
		struct tracecmd_input *ih = tracecmd_buffer_instance_handle(h, i);
		if (ih)
			hs[nh++] = ih;
	}

	struct imp m = { .dat = dat, .st = st, .eb = eb, .el = el };
	uint64_t host_types = 0;
	m.kind = kind_of(tracecmd_get_tep(h), &host_types);
	st->kind = m.kind;
	st->dropped = dropped_of(h);
	if ((err = open_output(&m, out, &o, host_types)))
		goto out;
	for (int i = 0; i < nh; i++)
		tracecmd_follow_missed_events(hs[i], on_missed, &m);
	int rc = nh == 1 ? tracecmd_iterate_events(h, NULL, 0, on_record, &m)
			 : tracecmd_iterate_events_multi(hs, nh, on_record, &m);
	if (m.err) {
		err = m.err;
		vgt_errbuf_set(eb, el, "%s: %s", m.werr[0] ? m.werr : out,
			       m.werr[0] ? "writing the log failed" : strerror(-err));
	} else if (rc < 0) {
		err = -EPROTO;
		vgt_errbuf_set(eb, el, "%s: reading the recorded events failed (corrupt data)", dat);
	}
	err = close_output(&m, err);
out:
	for (int i = nh - 1; i >= 0; i--)
		tracecmd_close(hs[i]);
	free(hs);
	return err;
}

/* What the child sends back. */
struct child_msg {
	int err;
	struct tr_import_stats st;
	char eb[512];
};

static int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got == len ? 0 : -EIO;
}

static void write_all(int fd, const void *buf, size_t len)
{
	size_t put = 0;
	while (put < len) {
		ssize_t n = write(fd, (const char *)buf + put, len - put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		put += (size_t)n;
	}
}

/* libtracecmd trusts the file: some corrupt ones make it dereference NULL
 * (measured: a damaged instance buffer header crashes inside
 * tracecmd_buffer_instance_handle).  The import runs in a child process
 * so that such a file is an error, not a crash of the caller. */
static int import_isolated(const char *dat, const char *out, const struct tr_import_opts *o,
			   struct tr_import_stats *st, char *eb, size_t el)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		int err = -errno;
		vgt_errbuf_set(eb, el, "%s: cannot start the import: pipe: %s", dat, strerror(errno));
		return err;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		vgt_errbuf_set(eb, el, "%s: cannot start the import: fork: %s", dat, strerror(errno));
		return err;
	}
	if (!pid) {
		close(pfd[0]);
		struct child_msg *msg = calloc(1, sizeof(*msg));
		if (msg) {
			msg->err = import_here(dat, out, o, &msg->st, msg->eb, sizeof(msg->eb));
			write_all(pfd[1], msg, sizeof(*msg));
		}
		_exit(msg ? 0 : 1);
	}
	close(pfd[1]);
	struct child_msg *msg = calloc(1, sizeof(*msg));
	int rd = msg ? read_all(pfd[0], msg, sizeof(*msg)) : -ENOMEM;
	close(pfd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!rd) {
		*st = msg->st;
		if (msg->err)
			vgt_errbuf_set(eb, el, "%s", msg->eb);
		int err = msg->err;
		free(msg);
		return err;
	}
	free(msg);
	/* half a log would pass for the whole import: none */
	unlink(out);
	if (WIFSIGNALED(status))
		vgt_errbuf_set(eb, el, "%s: corrupt: reading it crashed libtracecmd (%s); no log written",
			       dat, strsignal(WTERMSIG(status)));
	else
		vgt_errbuf_set(eb, el, "%s: the import stopped without a result (%s)", dat,
			       rd == -ENOMEM ? "out of memory" : "exit status");
	return rd == -ENOMEM ? -ENOMEM : -EPROTO;
}

static int import_run(const char *dat, const char *out, const struct tr_import_opts *opts,
		      struct tr_import_stats *stp);

/* The caller's stats struct may be an older, smaller one: its sz says how
 * much of it there is. */
int tr_import(const char *dat, const char *out, const struct tr_import_opts *opts,
	      struct tr_import_stats *stp)
{
	struct tr_import_stats local = { .sz = sizeof(local) };
	int err = import_run(dat, out, opts, &local);
	if (stp && stp->sz >= sizeof(stp->sz)) {
		size_t sz = stp->sz < sizeof(local) ? stp->sz : sizeof(local);
		local.sz = sz;
		memcpy(stp, &local, sz);
	}
	return err;
}

static int import_run(const char *dat, const char *out, const struct tr_import_opts *opts,
		      struct tr_import_stats *stp)
{
	char *eb = VGT_OPT(opts, errbuf, NULL);
	size_t el = VGT_OPT(opts, errbuf_len, 0);
	struct tr_import_opts o = { .sz = sizeof(o) };
	struct tr_import_stats local;
	struct tr_import_stats *st = stp ? stp : &local;
	memset(st, 0, sizeof(*st));
	st->sz = sizeof(*st);
	if (!dat || !out) {
		vgt_errbuf_set(eb, el, "import: no input or no output named");
		return -EINVAL;
	}
	int err = VGT_OPTS_LOAD(&o, opts);
	if (err) {
		vgt_errbuf_set(eb, el, "%s: import options: %s", dat,
			       err == -E2BIG ? "fields this build does not know are set" : "bad sz");
		return err;
	}
	if ((err = check_file(dat, eb, el)))
		return err;
	struct stat si, so;
	if (!stat(dat, &si) && !stat(out, &so) && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
		vgt_errbuf_set(eb, el, "%s: the log would replace the recording it is read from", out);
		return -EINVAL;
	}
	o.errbuf = NULL;
	o.errbuf_len = 0;
	if (o.in_process)
		return import_here(dat, out, &o, st, eb, el);
	return import_isolated(dat, out, &o, st, eb, el);
}
