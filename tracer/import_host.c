/* SPDX-License-Identifier: MIT */
/*
 * A GVT-g host's tracepoints (gvt:*, i915:*) into med_events
 * (import_int.h; the mapping in words: docs/PROBES.md "Importing a GVT-g
 * host's trace").  Fields are found by name in each event's own format,
 * never at fixed offsets, and every one is checked against the record's
 * size: a record that lacks a field the mapping needs, or whose field does
 * not fit, is malformed (counted, skipped), never read past its end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "scanner/scanner.h"
#include "tracer/capture_int.h"
#include "tracer/import_int.h"

/* A SCAN event holds at most this many dwords of commands (256 KiB); a
 * longer run continues in the next one. */
#define RUN_MAX_DW  (64u << 10)
#define NAMES_MAX   480

/* GVT's ring_id on the kernels gvt-g.md describes (the i915 engine ids
 * RCS, BCS, VCS, VCS2, VECS); VCS2 runs the same commands as VCS. */
static const int8_t default_rings[TRI_RINGS] = {
	SCAN_RCS, SCAN_BCS, SCAN_VCS, SCAN_VCS, SCAN_VECS,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* i915's uabi engine classes (render, copy, video, video-enhance) are in
 * the order of enum scan_engine. */
static int8_t engine_of_class(unsigned long long c)
{
	return c < SCAN_NUM_ENGINES ? (int8_t)c : -1;
}

struct run {
	bool open;
	uint16_t vgpu;
	int8_t engine;
	uint32_t ring, buf_type, as;
	uint64_t workload;
	uint64_t start_gma, next_gma;
	uint64_t time;
	uint32_t *dw;
	size_t ndw, cap;
	uint64_t commands;
	char names[NAMES_MAX + 8];
	size_t nlen;
};

struct tri_host {
	int8_t rings[TRI_RINGS];
	tri_emit_fn emit;
	void *ctx;
	uint64_t seq;
	struct run run;
	/* render_mmio: the switch being reported (one SCHED_SWITCH per run) */
	bool switching;
	long long sw_from, sw_to;
	struct tri_host_stats st;
};

static const struct {
	const char *system, *name;
	enum tri_host_kind kind;
	enum med_event_type type;
} host_events[] = {
	{ "gvt", "gvt_command", TRI_H_GVT_COMMAND, MED_EV_SCAN },
	{ "gvt", "write_ir", TRI_H_WRITE_IR, MED_EV_MMIO_WRITE },
	{ "gvt", "inject_msi", TRI_H_INJECT_MSI, MED_EV_IRQ },
	{ "gvt", "propagate_event", TRI_H_PROPAGATE, MED_EV_TRIGGER },
	{ "gvt", "render_mmio", TRI_H_RENDER_MMIO, MED_EV_SCHED_SWITCH },
	{ "i915", "i915_request_add", TRI_H_REQ_ADD, MED_EV_DISPATCH },
	{ "i915", "i915_gem_request_add", TRI_H_REQ_ADD, MED_EV_DISPATCH },
	{ "i915", "i915_request_retire", TRI_H_REQ_RETIRE, MED_EV_COMPLETE },
	{ "i915", "i915_gem_request_retire", TRI_H_REQ_RETIRE, MED_EV_COMPLETE },
};
#define NHOST (sizeof(host_events) / sizeof(host_events[0]))

enum tri_host_kind tri_host_kind_of(const struct tep_event *e)
{
	if (!e || !e->system || !e->name)
		return TRI_H_NONE;
	for (size_t i = 0; i < NHOST; i++)
		if (!strcmp(e->system, host_events[i].system) && !strcmp(e->name, host_events[i].name))
			return host_events[i].kind;
	return TRI_H_NONE;
}

uint64_t tri_host_types(struct tep_handle *tep)
{
	uint64_t mask = 0;
	for (size_t i = 0; tep && i < NHOST; i++)
		if (tep_find_event_by_name(tep, host_events[i].system, host_events[i].name))
			mask |= MED_EV_BIT(host_events[i].type);
	return mask;
}

int tri_host_new(const int8_t *rings, tri_emit_fn emit, void *ctx, struct tri_host **out)
{
	if (!emit || !out)
		return -EINVAL;
	struct tri_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	memcpy(h->rings, rings ? rings : default_rings, sizeof(h->rings));
	h->emit = emit;
	h->ctx = ctx;
	*out = h;
	return 0;
}

void tri_host_free(struct tri_host *h)
{
	if (!h)
		return;
	free(h->run.dw);
	free(h);
}

void tri_host_stats(const struct tri_host *h, struct tri_host_stats *out)
{
	if (h && out)
		*out = h->st;
}

uint64_t tri_host_next_seq(const struct tri_host *h)
{
	return h ? h->seq + 1 : 0;
}

/* ------------------------------------------------------------- fields */

static struct tep_format_field *fixed_field(struct tep_event *e, struct tep_record *r,
					    const char *name)
{
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || (f->flags & TEP_FIELD_IS_DYNAMIC) || f->offset < 0 || f->size <= 0 || r->size < 0 ||
	    f->offset > r->size || f->size > r->size - f->offset)
		return NULL;
	return f;
}

/* A number field of 1..8 bytes: 0, -ENOENT (no such field), -EPROTO (it
 * does not fit the record, or is not a number). */
static int num(struct tep_event *e, struct tep_record *r, const char *name, unsigned long long *v)
{
	if (!tep_find_field(e, name))
		return -ENOENT;
	struct tep_format_field *f = fixed_field(e, r, name);
	if (!f || (f->flags & TEP_FIELD_IS_ARRAY) || f->size > 8)
		return -EPROTO;
	return tep_read_number_field(f, r->data, v) ? -EPROTO : 0;
}

/* A fixed char[N] field as a NUL-terminated string (cut at cap - 1);
 * "" when absent. */
static void str(struct tep_event *e, struct tep_record *r, const char *name, char *out, size_t cap)
{
	struct tep_format_field *f = fixed_field(e, r, name);
	out[0] = 0;
	if (!f)
		return;
	size_t n = strnlen((const char *)r->data + f->offset, (size_t)f->size);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, (const char *)r->data + f->offset, n);
	out[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

/* -------------------------------------------------------------- emitting */

static void ev_init(struct tri_host *h, struct med_event *ev, enum med_event_type t, uint64_t time)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint16_t)t;
	ev->engine = -1;
	ev->version = MED_EVENT_VERSION;
	ev->size = sizeof(*ev);
	ev->flags = TR_EVF_IMPORTED;
	ev->seq = ++h->seq;
	ev->time = time;
}

static int emit(struct tri_host *h, struct med_event *ev)
{
	h->st.events++;
	return h->emit(h->ctx, ev);
}

static const char *buf_name(uint32_t t)
{
	static const char *const n[] = { "ring", "batch", "2nd-level batch", "context buffer" };
	return t < 4 ? n[t] : "buffer";
}

static int run_flush(struct tri_host *h)
{
	struct run *u = &h->run;
	if (!u->open)
		return 0;
	u->open = false;
	struct med_event ev;
	ev_init(h, &ev, MED_EV_SCAN, u->time);
	ev.vgpu = u->vgpu;
	ev.engine = u->engine;
	ev.u.scan.id = u->workload;
	ev.u.scan.commands = u->commands;
	ev.u.scan.bytes = u->ndw * 4;
	ev.u.scan.nshadows = 1;
	ev.u.scan.wa = u->buf_type == 3; /* GVT's context (wa) buffer */
	struct med_blob b = {
		.kind = MED_BLOB_SHADOW,
		.as = (uint8_t)u->as,
		.len = (uint32_t)(u->ndw * 4),
		.addr = u->start_gma,
		.gpa = UINT64_MAX,
		.data = u->dw,
	};
	ev.blobs = &b;
	ev.nblobs = 1;
	char text[NAMES_MAX + 96];
	snprintf(text, sizeof(text), "GVT %s ring %u: %s", buf_name(u->buf_type), u->ring, u->names);
	ev.text = text;
	h->st.commands += u->commands;
	return emit(h, &ev);
}

/* Any mapped record but a command that continues the run ends what is
 * open. */
static int end_open(struct tri_host *h, enum tri_host_kind k)
{
	if (k != TRI_H_RENDER_MMIO)
		h->switching = false;
	return run_flush(h);
}

int tri_host_flush(struct tri_host *h)
{
	if (!h)
		return -EINVAL;
	h->switching = false;
	return run_flush(h);
}

static int map_command(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	unsigned long long vgpu, ring, gma, buf_type, len, as = SCAN_AS_GGTT, workload = 0;
	if (num(e, r, "vgpu_id", &vgpu) || num(e, r, "ring_id", &ring) || num(e, r, "ip_gma", &gma) ||
	    num(e, r, "buf_type", &buf_type) || num(e, r, "cmd_len", &len))
		return -EPROTO;
	/* older kernels lack these two: GGTT, no workload identity */
	int err = num(e, r, "buf_addr_type", &as);
	if (err == -EPROTO || (err = num(e, r, "workload", &workload)) == -EPROTO)
		return -EPROTO;
	size_t bytes = 0;
	const void *raw = tra_tep_dynamic(e, r, "raw_cmd", &bytes);
	/* the dwords are there, and as many as cmd_len says */
	if (!raw || !len || len > RUN_MAX_DW || bytes / 4 < len || as > SCAN_AS_PPGTT || vgpu > UINT16_MAX)
		return -EPROTO;
	char name[48];
	str(e, r, "cmd_name", name, sizeof(name));

	struct run *u = &h->run;
	int8_t engine = ring < TRI_RINGS ? h->rings[ring] : -1;
	bool cont = u->open && u->vgpu == vgpu && u->ring == ring && u->workload == workload &&
		    u->buf_type == buf_type && u->as == as && u->next_gma == gma &&
		    u->ndw + len <= RUN_MAX_DW;
	if (!cont) {
		h->switching = false;
		if ((err = run_flush(h)))
			return err;
		*u = (struct run){ .dw = u->dw, .cap = u->cap };
		u->open = true;
		u->vgpu = (uint16_t)vgpu;
		u->engine = engine;
		u->ring = (uint32_t)ring;
		u->workload = workload;
		u->buf_type = (uint32_t)buf_type;
		u->as = (uint32_t)as;
		u->start_gma = gma;
		u->time = r->ts;
	}
	if (u->ndw + len > u->cap) {
		size_t nc = u->cap ? u->cap : 1024;
		while (nc < u->ndw + len)
			nc *= 2;
		uint32_t *nd = realloc(u->dw, nc * 4);
		if (!nd) {
			u->open = false;
			return -ENOMEM;
		}
		u->dw = nd;
		u->cap = nc;
	}
	memcpy(u->dw + u->ndw, raw, len * 4);
	u->ndw += len;
	u->next_gma = gma + len * 4;
	u->commands++;
	/* GVT's names, in order, as far as they fit */
	if (u->nlen < NAMES_MAX) {
		int n = snprintf(u->names + u->nlen, NAMES_MAX - u->nlen, "%s%s", u->nlen ? " " : "",
				 name[0] ? name : "?");
		if (n < 0 || (size_t)n >= NAMES_MAX - u->nlen) {
			strcpy(u->names + NAMES_MAX - 4, "...");
			u->nlen = NAMES_MAX;
		} else {
			u->nlen += (size_t)n;
		}
	}
	return 1;
}

static int map_write_ir(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	unsigned long long id, reg, nv, ov, changed = 0;
	if (num(e, r, "id", &id) || num(e, r, "reg", &reg) || num(e, r, "new_val", &nv) ||
	    num(e, r, "old_val", &ov) || num(e, r, "changed", &changed) == -EPROTO || id > UINT16_MAX)
		return -EPROTO;
	char name[16], text[96];
	str(e, r, "buf", name, sizeof(name));
	int err = end_open(h, TRI_H_WRITE_IR);
	if (err)
		return err;
	struct med_event ev;
	ev_init(h, &ev, MED_EV_MMIO_WRITE, r->ts);
	ev.vgpu = (uint16_t)id;
	ev.u.mmio.offset = reg;
	ev.u.mmio.value = nv;
	ev.u.mmio.bytes = 4;
	snprintf(text, sizeof(text), "GVT interrupt register %s: 0x%llx -> 0x%llx%s",
		 name[0] ? name : "?", ov, nv, changed ? "" : " (unchanged)");
	ev.text = text;
	return emit(h, &ev) ?: 1;
}

static int map_inject_msi(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	unsigned long long id, addr, data;
	if (num(e, r, "id", &id) || num(e, r, "address", &addr) || num(e, r, "data", &data) ||
	    id > UINT16_MAX)
		return -EPROTO;
	int err = end_open(h, TRI_H_INJECT_MSI);
	if (err)
		return err;
	struct med_event ev;
	ev_init(h, &ev, MED_EV_IRQ, r->ts);
	ev.vgpu = (uint16_t)id;
	ev.u.irq.msi_enabled = 1;
	ev.u.irq.msi_addr = addr;
	ev.u.irq.msi_data = (uint32_t)data;
	ev.text = "GVT MSI injected";
	return emit(h, &ev) ?: 1;
}

static int map_propagate(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	unsigned long long id, bit;
	if (num(e, r, "id", &id) || num(e, r, "bit", &bit) || id > UINT16_MAX)
		return -EPROTO;
	char name[16], text[64];
	str(e, r, "buf", name, sizeof(name));
	int err = end_open(h, TRI_H_PROPAGATE);
	if (err)
		return err;
	struct med_event ev;
	ev_init(h, &ev, MED_EV_TRIGGER, r->ts);
	ev.vgpu = (uint16_t)id;
	ev.u.trigger.bank = UINT32_MAX; /* GVT does not say */
	ev.u.trigger.bits = bit < 32 ? 1u << bit : 0;
	snprintf(text, sizeof(text), "GVT virtual interrupt %s (bit %lld)", name[0] ? name : "?",
		 (long long)bit);
	ev.text = text;
	return emit(h, &ev) ?: 1;
}

static int map_render_mmio(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	unsigned long long from, to;
	if (num(e, r, "old_id", &from) || num(e, r, "new_id", &to))
		return -EPROTO;
	/* ids are ints: -1 or the like is "none" */
	long long f = (long long)(int)from, t = (long long)(int)to;
	if (h->switching && h->sw_from == f && h->sw_to == t)
		return 1; /* one more register of the same switch */
	int err = end_open(h, TRI_H_RENDER_MMIO);
	if (err)
		return err;
	h->switching = true;
	h->sw_from = f;
	h->sw_to = t;
	struct med_event ev;
	ev_init(h, &ev, MED_EV_SCHED_SWITCH, r->ts);
	ev.u.sched.from = f > 0 ? (uint32_t)f : 0;
	ev.u.sched.to = t > 0 ? (uint32_t)t : 0;
	ev.text = "GVT MMIO context switch (render_mmio)";
	return emit(h, &ev) ?: 1;
}

static int map_request(struct tri_host *h, struct tep_event *e, struct tep_record *r,
		       enum tri_host_kind k)
{
	unsigned long long dev = 0, ctx, seqno, cls, inst = 0, ring;
	if (num(e, r, "ctx", &ctx) || num(e, r, "seqno", &seqno) || num(e, r, "dev", &dev) == -EPROTO)
		return -EPROTO;
	int8_t engine = -1;
	char eng[24];
	int err = num(e, r, "class", &cls);
	if (!err) {
		if (num(e, r, "instance", &inst) == -EPROTO)
			return -EPROTO;
		engine = engine_of_class(cls);
		snprintf(eng, sizeof(eng), "%llu:%llu", cls, inst);
	} else if (err == -ENOENT && !(err = num(e, r, "ring", &ring))) {
		engine = ring < TRI_RINGS ? h->rings[ring] : -1; /* older kernels: an engine id */
		snprintf(eng, sizeof(eng), "ring %llu", ring);
	} else {
		return -EPROTO;
	}
	if ((err = end_open(h, k)))
		return err;
	struct med_event ev;
	ev_init(h, &ev, k == TRI_H_REQ_ADD ? MED_EV_DISPATCH : MED_EV_COMPLETE, r->ts);
	ev.engine = engine;
	/* a request is (fence context, seqno) */
	ev.u.exec.id = (ctx << 32) ^ (seqno & 0xffffffffu);
	char text[128];
	snprintf(text, sizeof(text), "i915 request %s: dev %llu ctx %llu engine %s seqno %llu",
		 k == TRI_H_REQ_ADD ? "added" : "retired", dev, ctx, eng, seqno);
	ev.text = text;
	return emit(h, &ev) ?: 1;
}

int tri_host_record(struct tri_host *h, struct tep_event *e, struct tep_record *r)
{
	if (!h || !e || !r || (!r->data && r->size))
		return -EINVAL;
	enum tri_host_kind k = tri_host_kind_of(e);
	if (k == TRI_H_NONE)
		return 0;
	h->st.records++;
	int rc;
	switch (k) {
	case TRI_H_GVT_COMMAND: rc = map_command(h, e, r); break;
	case TRI_H_WRITE_IR: rc = map_write_ir(h, e, r); break;
	case TRI_H_INJECT_MSI: rc = map_inject_msi(h, e, r); break;
	case TRI_H_PROPAGATE: rc = map_propagate(h, e, r); break;
	case TRI_H_RENDER_MMIO: rc = map_render_mmio(h, e, r); break;
	case TRI_H_REQ_ADD:
	case TRI_H_REQ_RETIRE: rc = map_request(h, e, r, k); break;
	default: rc = 0; break;
	}
	if (rc == -EPROTO)
		h->st.bad++;
	if (rc == 1) {
		h->st.mapped++;
		h->st.by_kind[k]++;
	}
	return rc;
}
