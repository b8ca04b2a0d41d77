/* SPDX-License-Identifier: MIT */
/*
 * A log as Chrome / Perfetto trace-event JSON (tracer.h, "tr_perfetto_*";
 * ../shared/reference/tracing.md §6 for the format's facts).
 *
 * Streaming: records come in file order and are written as they are
 * understood; what is kept is per workload in flight (submitted, not yet
 * dispatched or rejected: at most 65536, found by (vGPU, id) in constant
 * time, the oldest forgotten past that; dispatched, not yet completed: at
 * most one per engine) and a few counters per vGPU.  Every track's events
 * are written in timestamp order, slices on one thread never overlap, and
 * each flow's "s" is written once its DISPATCH is seen (no flow without
 * its end), after the slice it binds to, its "f" after the engine
 * slice it ends in, so that an importer that binds flows in file order
 * (chrome://tracing) and one that sorts (Perfetto) see the same thing.
 *
 * Tracks:
 *   pid 1 "GPU engines": tid 1 + engine, one "X" per workload executed;
 *   pid 100 + N "vGPU N": tid 1 "submissions" (an "X" from the WORKLOAD
 *   event to its verdict, where the flow starts), tid 2 "alerts"
 *   (instants: reject, failsafe, escape), counters "rates" and
 *   "rejections";
 *   pid 1, tid 99 "alerts (no vGPU)" for alerts without one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "gpu/gpu.h"
#include "tracer/tracer.h"

#define PID_ENGINES 1
#define PID_VGPU(n) (100u + (n))
#define TID_SUBMIT 1
#define TID_ALERTS 2
#define TID_ORPHAN_ALERTS 99
#define FLOW_CAT "workload"
#define FLOW_NAME "submit-to-run"

/* A workload known from its WORKLOAD event. */
struct wl {
	uint64_t id;
	uint64_t t_wl, t_verdict;      /* WORKLOAD, last SCAN / REJECT */
	uint64_t t_dispatch;
	uint64_t scanned;              /* commands scanned (every pass) */
	uint32_t first_reason;         /* first violation seen, 0: none */
	uint16_t vgpu;
	int8_t engine;
	bool has_wl, scanned_any, pass, rejected, flow;
};

/* A pending workload: its hash chain and its place in the age list. */
struct pent {
	struct wl w;                   /* first: a struct wl * is its pent */
	uint32_t hnext;                /* the chain, or the free list */
	uint32_t older, newer;
};

#define PNIL UINT32_MAX
#define PEND_MAX 65536u

struct vstate {
	bool known;                    /* metadata written */
	bool sub_open;                 /* sub: submission slice not yet written */
	struct wl sub;
	uint64_t traps, ggtt, pt;      /* in the current window */
	bool last_nonzero;             /* the last rate written was not zero */
	uint64_t rejections;
};

struct tr_perfetto {
	FILE *f;
	struct tr_perfetto_opts o;
	uint64_t window;
	uint64_t win_start;
	bool have_time;
	uint64_t last_time;
	bool orphan_alerts;            /* the pid 1 alerts thread is named */
	struct vstate v[MED_MAX_VGPUS + 1];
	bool engine_open[MED_NUM_ENGINES];
	struct wl running[MED_NUM_ENGINES];
	/* workloads submitted (verdict given or not), not yet dispatched or
	 * rejected: a hash table on (vGPU, id), and a list oldest first; past
	 * PEND_MAX the oldest is forgotten (counted unmatched) */
	struct pent *pend;
	uint32_t npend, cappend;
	uint32_t *bucket, nbucket;      /* nbucket: a power of two, >= 2 cappend */
	uint32_t free_, oldest, newest; /* PNIL: none */
	struct tr_export_stats st;
	bool first;                    /* no event written yet (no comma) */
	int err;
};

/* ------------------------------------------------------------ writing */

static void ts(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

/* Starts an event object: {"ph":"X","pid":P,"tid":T,"ts":... */
static void ev_begin(struct tr_perfetto *p, const char *ph, unsigned pid, unsigned tid, uint64_t t)
{
	FILE *f = p->f;

	fputs(p->first ? "\n{\"ph\":\"" : ",\n{\"ph\":\"", f);
	p->first = false;
	fputs(ph, f);
	fprintf(f, "\",\"pid\":%u,\"tid\":%u,\"ts\":", pid, tid);
	ts(f, t);
}

static void meta(struct tr_perfetto *p, const char *what, unsigned pid, unsigned tid,
		 const char *name)
{
	ev_begin(p, "M", pid, tid, 0);
	fprintf(p->f, ",\"name\":\"%s\",\"args\":{\"name\":", what);
	vgt_json_str(p->f, name);
	fputs("}}", p->f);
}

static void meta_sort(struct tr_perfetto *p, unsigned pid, unsigned idx)
{
	ev_begin(p, "M", pid, 0, 0);
	fprintf(p->f, ",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%u}}", idx);
}

static void vgpu_known(struct tr_perfetto *p, unsigned v)
{
	char name[32];

	if (!v || v > MED_MAX_VGPUS || p->v[v].known)
		return;
	p->v[v].known = true;
	snprintf(name, sizeof(name), "vGPU %u", v);
	meta(p, "process_name", PID_VGPU(v), 0, name);
	meta_sort(p, PID_VGPU(v), 1 + v);
	meta(p, "thread_name", PID_VGPU(v), TID_SUBMIT, "submissions");
	meta(p, "thread_name", PID_VGPU(v), TID_ALERTS, "alerts");
}

static const char *verdict(const struct wl *w)
{
	if (w->rejected)
		return "rejected";
	if (!w->scanned_any)
		return "not scanned";
	return w->pass ? "pass" : "violations (audit)";
}

static void wl_args(struct tr_perfetto *p, const struct wl *w)
{
	FILE *f = p->f;

	fprintf(f, "\"vgpu\":%u,\"workload\":%" PRIu64 ",\"engine\":", w->vgpu, w->id);
	vgt_json_str(f, w->engine >= 0 && w->engine < MED_NUM_ENGINES
				? scan_engine_name((enum scan_engine)w->engine)
				: NULL);
	fprintf(f, ",\"scanned\":%" PRIu64 ",\"verdict\":\"%s\"", w->scanned, verdict(w));
	if (w->first_reason) {
		fputs(",\"first_violation\":", f);
		vgt_json_str(f, med_reject_name(w->first_reason));
	}
}

/* The submission slice of w on its vGPU (its flow starts when it is
 * dispatched: write_flow_start). */
static void write_submission(struct tr_perfetto *p, struct wl *w)
{
	FILE *f = p->f;
	uint64_t end = w->t_verdict > w->t_wl ? w->t_verdict : w->t_wl;
	uint64_t dur = end - w->t_wl;

	if (!w->has_wl)
		return;
	vgpu_known(p, w->vgpu);
	ev_begin(p, "X", PID_VGPU(w->vgpu), TID_SUBMIT, w->t_wl);
	fputs(",\"dur\":", f);
	ts(f, dur ? dur : 1);
	fprintf(f, ",\"cat\":\"submission\",\"name\":\"wl %" PRIu64 "\",\"args\":{", w->id);
	wl_args(p, w);
	fputs("}}", f);
	p->st.submissions++;
}

/* The flow's start, in w's submission slice (written before): only once
 * its DISPATCH is seen, so that every "s" has its "f". */
static void write_flow_start(struct tr_perfetto *p, struct wl *w)
{
	ev_begin(p, "s", PID_VGPU(w->vgpu), TID_SUBMIT, w->t_wl);
	fprintf(p->f, ",\"cat\":\"" FLOW_CAT "\",\"name\":\"" FLOW_NAME "\",\"id\":%" PRIu64 "}",
		w->id);
	w->flow = true;
}

/* The engine slice of a workload that ran (or was left running). */
static void write_slice(struct tr_perfetto *p, const struct wl *w, uint64_t end,
			const struct med_event *done)
{
	FILE *f = p->f;
	uint64_t dur = end > w->t_dispatch ? end - w->t_dispatch : 0;
	unsigned tid = 1u + (unsigned)w->engine;

	ev_begin(p, "X", PID_ENGINES, tid, w->t_dispatch);
	fputs(",\"dur\":", f);
	ts(f, dur ? dur : 1);
	fprintf(f, ",\"cat\":\"workload\",\"name\":\"vGPU %u wl %" PRIu64 "\",\"args\":{", w->vgpu,
		w->id);
	wl_args(p, w);
	if (done) {
		fprintf(f, ",\"commands\":%" PRIu64 ",\"cycles\":%" PRIu64 ",\"status\":",
			done->u.exec.commands, done->u.exec.cycles);
		vgt_json_str(f, gpu_status_name((enum gpu_status)done->u.exec.status));
		fprintf(f, ",\"escapes\":%u,\"faults\":%u,\"watchdog\":%s", done->u.exec.escapes,
			done->u.exec.faults, done->u.exec.watchdog ? "true" : "false");
	} else {
		fputs(",\"status\":\"unfinished (no completion in the log)\"", f);
	}
	fputs("}}", f);
	p->st.slices++;
	if (w->flow) {
		ev_begin(p, "f", PID_ENGINES, tid, w->t_dispatch);
		fprintf(f, ",\"bp\":\"e\",\"cat\":\"" FLOW_CAT "\",\"name\":\"" FLOW_NAME
			   "\",\"id\":%" PRIu64 "}",
			w->id);
		p->st.flows++;
	}
}

static void instant(struct tr_perfetto *p, const struct med_event *ev, const char *name)
{
	FILE *f = p->f;
	unsigned pid = PID_ENGINES, tid = TID_ORPHAN_ALERTS;

	if (ev->vgpu && ev->vgpu <= MED_MAX_VGPUS) {
		vgpu_known(p, ev->vgpu);
		pid = PID_VGPU(ev->vgpu);
		tid = TID_ALERTS;
	} else if (!p->orphan_alerts) {
		p->orphan_alerts = true;
		meta(p, "thread_name", PID_ENGINES, TID_ORPHAN_ALERTS, "alerts (no vGPU)");
	}
	ev_begin(p, "i", pid, tid, ev->time);
	fputs(",\"s\":\"t\",\"cat\":\"alert\",\"name\":", f);
	vgt_json_str(f, name);
	fprintf(f, ",\"args\":{\"seq\":%" PRIu64, ev->seq);
	switch (ev->type) {
	case MED_EV_REJECT:
		fprintf(f, ",\"workload\":%" PRIu64 ",\"reason\":", ev->u.reject.id);
		vgt_json_str(f, med_reject_name(ev->u.reject.reason));
		fprintf(f, ",\"failsafe\":%s", ev->u.reject.failsafe ? "true" : "false");
		break;
	case MED_EV_FAILSAFE:
		fputs(",\"reason\":", f);
		vgt_json_str(f, med_failsafe_name((enum med_failsafe)ev->u.failsafe.reason));
		break;
	case MED_EV_ESCAPE:
		fputs(",\"kind\":", f);
		vgt_json_str(f, gpu_escape_kind_name((enum gpu_escape_kind)ev->u.escape.kind));
		fputs(",\"why\":", f);
		vgt_json_str(f, gpu_escape_why_name((enum gpu_escape_why)ev->u.escape.why));
		fputs(",\"addr\":", f);
		vgt_json_hex(f, ev->u.escape.addr);
		fputs(",\"hpa\":", f);
		vgt_json_hex(f, ev->u.escape.hpa);
		break;
	}
	if (ev->text) {
		fputs(",\"text\":", f);
		vgt_json_str(f, ev->text);
	}
	fputs("}}", f);
	p->st.instants++;
}

/* ---------------------------------------------------------- counters */

static void counter_rates(struct tr_perfetto *p, unsigned v, uint64_t t)
{
	struct vstate *s = &p->v[v];
	double per_s = 1e9 / (double)p->window;

	vgpu_known(p, v);
	ev_begin(p, "C", PID_VGPU(v), 0, t);
	fprintf(p->f,
		",\"name\":\"rates\",\"args\":{\"traps/s\":%.0f,\"GGTT writes/s\":%.0f,"
		"\"PT writes/s\":%.0f}}",
		(double)s->traps * per_s, (double)s->ggtt * per_s, (double)s->pt * per_s);
	s->last_nonzero = s->traps || s->ggtt || s->pt;
	s->traps = s->ggtt = s->pt = 0;
	p->st.counters++;
}

/* Writes the current window's rates (for the vGPUs that have any, or had
 * some in the window before).  Returns whether anything was written. */
static bool window_write(struct tr_perfetto *p)
{
	bool any = false;

	for (unsigned v = 1; v <= MED_MAX_VGPUS; v++) {
		struct vstate *s = &p->v[v];

		if (s->traps || s->ggtt || s->pt || s->last_nonzero) {
			any = true;
			counter_rates(p, v, p->win_start);
		}
	}
	return any;
}

/* Writes the windows that end at or before t.  win_start + window is never
 * formed: near 2^64 it wraps (and the loop would never end). */
static void windows_until(struct tr_perfetto *p, uint64_t t)
{
	while (t >= p->win_start && t - p->win_start >= p->window) {
		if (window_write(p))
			p->win_start += p->window; /* <= t: no wrap */
		else
			p->win_start = t - t % p->window;
	}
}

/* At the end: the last window, and the zero after it (none when the next
 * window would start past 2^64). */
static void windows_finish(struct tr_perfetto *p)
{
	for (int i = 0; i < 2; i++) {
		window_write(p);
		if (p->win_start > UINT64_MAX - p->window)
			return;
		p->win_start += p->window;
	}
}

/* ---------------------------------------------------------- workloads */

static uint32_t pend_hash(const struct tr_perfetto *p, unsigned vgpu, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)vgpu << 48)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (p->nbucket - 1);
}

static struct wl *pend_find(struct tr_perfetto *p, unsigned vgpu, uint64_t id)
{
	if (!p->nbucket)
		return NULL;
	for (uint32_t i = p->bucket[pend_hash(p, vgpu, id)]; i != PNIL; i = p->pend[i].hnext)
		if (p->pend[i].w.id == id && p->pend[i].w.vgpu == vgpu)
			return &p->pend[i].w;
	return NULL;
}

static void pend_remove(struct tr_perfetto *p, struct wl *w)
{
	struct pent *e = (struct pent *)w;
	uint32_t i = (uint32_t)(e - p->pend);
	uint32_t *link = &p->bucket[pend_hash(p, w->vgpu, w->id)];

	while (*link != i)
		link = &p->pend[*link].hnext;
	*link = e->hnext;
	if (e->older != PNIL)
		p->pend[e->older].newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer != PNIL)
		p->pend[e->newer].older = e->older;
	else
		p->newest = e->older;
	e->hnext = p->free_;
	p->free_ = i;
	p->npend--;
}

/* Room for PEND_MAX at most: the table doubles, its chains are rebuilt. */
static int pend_grow(struct tr_perfetto *p)
{
	uint32_t n = p->cappend ? 2 * p->cappend : 64;
	struct pent *a = realloc(p->pend, n * sizeof(*a));
	uint32_t *b;

	if (!a)
		return -ENOMEM;
	p->pend = a;
	b = malloc(2 * (size_t)n * sizeof(*b));
	if (!b)
		return -ENOMEM;
	free(p->bucket);
	p->bucket = b;
	p->nbucket = 2 * n;
	for (uint32_t i = 0; i < p->nbucket; i++)
		b[i] = PNIL;
	if (!p->cappend)
		p->oldest = p->newest = PNIL;
	for (uint32_t i = p->oldest; i != PNIL; i = a[i].newer) {
		uint32_t h = pend_hash(p, a[i].w.vgpu, a[i].w.id);

		a[i].hnext = b[h];
		b[h] = i;
	}
	for (uint32_t i = n; i-- > p->cappend;) {
		a[i].hnext = p->free_;
		p->free_ = i;
	}
	p->cappend = n;
	return 0;
}

static struct wl *pend_add(struct tr_perfetto *p, unsigned vgpu, uint64_t id)
{
	if (p->npend >= PEND_MAX) {
		/* never dispatched nor rejected, as far as this export knows */
		pend_remove(p, &p->pend[p->oldest].w);
		p->st.unmatched++;
	}
	if (p->npend == p->cappend) {
		if (!p->cappend)
			p->free_ = PNIL;
		if (pend_grow(p))
			return NULL;
	}
	uint32_t i = p->free_;
	struct pent *e = &p->pend[i];
	uint32_t h = pend_hash(p, vgpu, id);

	p->free_ = e->hnext;
	memset(e, 0, sizeof(*e));
	e->w.id = id;
	e->w.vgpu = (uint16_t)vgpu;
	e->hnext = p->bucket[h];
	p->bucket[h] = i;
	e->older = p->newest;
	e->newer = PNIL;
	if (p->newest != PNIL)
		p->pend[p->newest].newer = i;
	else
		p->oldest = i;
	p->newest = i;
	p->npend++;
	return &e->w;
}

/* The vGPU's open submission slice is written (its verdict is known or
 * the next one starts). */
static void close_sub(struct tr_perfetto *p, unsigned v)
{
	struct vstate *s = &p->v[v];

	if (!s->sub_open)
		return;
	s->sub_open = false;
	write_submission(p, &s->sub);
}

static void on_workload(struct tr_perfetto *p, const struct med_event *ev)
{
	unsigned v = ev->vgpu <= MED_MAX_VGPUS ? ev->vgpu : 0;
	struct wl *w = pend_add(p, v, ev->u.workload.id);

	if (!w) {
		p->err = -ENOMEM;
		return;
	}
	w->has_wl = true;
	w->t_wl = w->t_verdict = ev->time;
	w->engine = ev->engine;
	if (v) {
		close_sub(p, v);
		p->v[v].sub_open = true;
		p->v[v].sub = *w;
	}
}

/* SCAN / REJECT: the verdict so far, on the pending entry and the open
 * submission slice. */
static void on_verdict(struct tr_perfetto *p, const struct med_event *ev, uint64_t id)
{
	unsigned v = ev->vgpu <= MED_MAX_VGPUS ? ev->vgpu : 0;
	struct wl *w = pend_find(p, v, id);
	struct wl *targets[2] = { w, v && p->v[v].sub_open && p->v[v].sub.id == id ? &p->v[v].sub
										     : NULL };

	for (int i = 0; i < 2; i++) {
		struct wl *t = targets[i];

		if (!t)
			continue;
		t->t_verdict = ev->time;
		if (ev->type == MED_EV_SCAN) {
			if (!t->scanned_any)
				t->pass = true;
			t->scanned_any = true;
			t->scanned += ev->u.scan.commands;
			if (!ev->u.scan.pass)
				t->pass = false;
			if (!t->first_reason && ev->u.scan.first_reason)
				t->first_reason = ev->u.scan.first_reason;
		} else {
			t->rejected = true;
			if (ev->u.reject.reason && (!t->first_reason || ev->u.reject.reason >= MED_RJ_MEDIATOR))
				t->first_reason = ev->u.reject.reason;
		}
	}
	if (ev->type == MED_EV_REJECT) {
		if (v)
			close_sub(p, v);
		if (w)
			pend_remove(p, w);
	}
}

static void on_dispatch(struct tr_perfetto *p, const struct med_event *ev)
{
	int e = ev->engine;
	unsigned v = ev->vgpu <= MED_MAX_VGPUS ? ev->vgpu : 0;
	struct wl w = { 0 };

	if (e < 0 || e >= MED_NUM_ENGINES)
		return;
	if (v && p->v[v].sub_open && p->v[v].sub.id == ev->u.exec.id)
		close_sub(p, v);
	struct wl *pw = pend_find(p, v, ev->u.exec.id);

	if (pw) {
		w = *pw;
		pend_remove(p, pw);
		/* its submission slice is written (close_sub above, or when the
		 * vGPU's next one opened): the flow starts there */
		if (w.has_wl && w.vgpu && !w.rejected)
			write_flow_start(p, &w);
	} else {
		w.id = ev->u.exec.id;
		w.vgpu = (uint16_t)v;
	}
	w.engine = (int8_t)e;
	w.t_dispatch = ev->time;
	if (p->engine_open[e]) {
		/* the engine never reported the one before: it ends here */
		write_slice(p, &p->running[e], ev->time, NULL);
		p->st.unfinished++;
	}
	p->engine_open[e] = true;
	p->running[e] = w;
}

static void on_complete(struct tr_perfetto *p, const struct med_event *ev)
{
	int e = ev->engine;

	if (e < 0 || e >= MED_NUM_ENGINES || !p->engine_open[e] ||
	    p->running[e].id != ev->u.exec.id) {
		p->st.unmatched++;
		return;
	}
	p->engine_open[e] = false;
	write_slice(p, &p->running[e], ev->time, ev);
}

/* A reset or destroy drops the vGPU's queued workloads. */
static void drop_vgpu(struct tr_perfetto *p, unsigned v)
{
	close_sub(p, v);
	for (uint32_t i = p->npend ? p->oldest : PNIL, next; i != PNIL; i = next) {
		next = p->pend[i].newer;
		if (p->pend[i].w.vgpu == v)
			pend_remove(p, &p->pend[i].w);
	}
}

/* ---------------------------------------------------------------- API */

int tr_perfetto_new(FILE *out, const struct tr_log_info *info, const struct tr_perfetto_opts *opts,
		    struct tr_perfetto **pp)
{
	struct tr_perfetto *p;
	int rc;

	if (!out || !pp)
		return -EINVAL;
	*pp = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->o.sz = sizeof(p->o);
	rc = VGT_OPTS_LOAD(&p->o, opts);
	if (rc) {
		free(p);
		return rc;
	}
	p->f = out;
	p->window = p->o.window_ns ? p->o.window_ns : 1000000;
	p->st.sz = sizeof(p->st);
	p->first = true;
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"vgt export\"", out);
	if (info) {
		fputs(",\"source\":", out);
		vgt_json_str(out, tr_source_name(info->source));
		fprintf(out, ",\"gen\":%u,\"clock\":", info->gen);
		vgt_json_str(out, info->clock);
		fputs(",\"tool_version\":", out);
		vgt_json_str(out, info->tool_version);
		fputs(",\"cmdline\":", out);
		vgt_json_str(out, info->cmdline);
		fputs(",\"host\":", out);
		vgt_json_str(out, info->host);
	}
	fputs("},\"traceEvents\":[", out);
	meta(p, "process_name", PID_ENGINES, 0, "GPU engines");
	meta_sort(p, PID_ENGINES, 0);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		meta(p, "thread_name", PID_ENGINES, 1 + e, scan_engine_name((enum scan_engine)e));
	if (info)
		for (unsigned i = 0; i < info->nvgpus && i < MED_MAX_VGPUS; i++)
			vgpu_known(p, info->vgpus[i].vgpu);
	if (ferror(out)) {
		vgt_errbuf_set(p->o.errbuf, p->o.errbuf_len, "writing the trace failed");
		free(p);
		return -EIO;
	}
	*pp = p;
	return 0;
}

int tr_perfetto_record(struct tr_perfetto *p, const struct tr_record *rec)
{
	if (!p || !rec)
		return -EINVAL;
	p->st.records++;
	if (rec->kind != TR_REC_EVENT)
		return 0;

	const struct med_event *ev = &rec->ev;
	unsigned v = ev->vgpu <= MED_MAX_VGPUS ? ev->vgpu : 0;

	if (!p->have_time) {
		p->have_time = true;
		p->win_start = ev->time - ev->time % p->window;
	}
	if (ev->time > p->last_time)
		p->last_time = ev->time;
	windows_until(p, ev->time);
	if (v)
		vgpu_known(p, v);
	switch (ev->type) {
	case MED_EV_MMIO_READ:
	case MED_EV_MMIO_WRITE:
	case MED_EV_CFG_READ:
	case MED_EV_CFG_WRITE:
		p->v[v].traps++;
		break;
	case MED_EV_GGTT_WRITE:
		p->v[v].traps++;
		p->v[v].ggtt += ev->err == 0;
		break;
	case MED_EV_PT_WRITE:
		p->v[v].traps++;
		p->v[v].pt++;
		break;
	case MED_EV_WORKLOAD:
		on_workload(p, ev);
		break;
	case MED_EV_SCAN:
		on_verdict(p, ev, ev->u.scan.id);
		break;
	case MED_EV_REJECT:
		on_verdict(p, ev, ev->u.reject.id);
		instant(p, ev, "reject");
		if (v) {
			p->v[v].rejections++;
			ev_begin(p, "C", PID_VGPU(v), 0, ev->time);
			fprintf(p->f, ",\"name\":\"rejections\",\"args\":{\"rejections\":%" PRIu64 "}}",
				p->v[v].rejections);
			p->st.counters++;
		}
		break;
	case MED_EV_DISPATCH:
		on_dispatch(p, ev);
		break;
	case MED_EV_COMPLETE:
		on_complete(p, ev);
		break;
	case MED_EV_FAILSAFE:
		instant(p, ev, "failsafe");
		break;
	case MED_EV_ESCAPE:
		instant(p, ev, "escape");
		break;
	case MED_EV_VGPU_RESET:
	case MED_EV_VGPU_DESTROY:
		if (v)
			drop_vgpu(p, v);
		break;
	default:
		break;
	}
	if (p->v[0].traps)
		p->v[0].traps = p->v[0].ggtt = p->v[0].pt = 0; /* no vGPU: no track */
	if (ferror(p->f) && !p->err)
		p->err = -EIO;
	return p->err;
}

int tr_perfetto_finish(struct tr_perfetto *p, struct tr_export_stats *st)
{
	int rc;

	if (!p)
		return -EINVAL;
	for (unsigned v = 1; v <= MED_MAX_VGPUS; v++)
		close_sub(p, v);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		if (p->engine_open[e]) {
			write_slice(p, &p->running[e], p->last_time, NULL);
			p->st.unfinished++;
		}
	/* the last window, and the zero after it */
	if (p->have_time) {
		windows_finish(p);
	}
	fputs("\n]}\n", p->f);
	rc = p->err;
	if (fflush(p->f) || ferror(p->f))
		rc = -EIO;
	if (rc)
		vgt_errbuf_set(p->o.errbuf, p->o.errbuf_len, "%s",
			       rc == -ENOMEM ? "out of memory" : "writing the trace failed");
	if (st)
		*st = p->st;
	free(p->pend);
	free(p->bucket);
	free(p);
	return rc;
}

int tr_export_perfetto(struct tr_reader *r, FILE *out, const struct tr_perfetto_opts *opts,
		       struct tr_export_stats *st)
{
	struct tr_perfetto *p;
	const struct tr_record *rec;
	int rc, rrc;

	if (!r || !out)
		return -EINVAL;
	rc = tr_reader_rewind(r);
	if (rc)
		return rc;
	rc = tr_perfetto_new(out, tr_reader_info(r), opts, &p);
	if (rc)
		return rc;
	while ((rrc = tr_reader_next(r, &rec)) > 0) {
		rc = tr_perfetto_record(p, rec);
		if (rc)
			break;
	}
	int frc = tr_perfetto_finish(p, st);

	if (rc)
		return rc;
	if (rrc < 0) {
		vgt_errbuf_set(VGT_OPT(opts, errbuf, NULL), VGT_OPT(opts, errbuf_len, 0),
			       "reading the log: %s", strerror(-rrc));
		return rrc;
	}
	return frc;
}
