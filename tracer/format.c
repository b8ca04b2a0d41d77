/* SPDX-License-Identifier: MIT */
/*
 * Events for people: one text line or one JSON object per record, and the
 * commands of a scanned buffer through the scanner's decoder.  What vgt
 * dump prints, here so that tests reach it without the CLI.
 *
 * Both forms come from one description per event type (put_payload): a
 * small emitter writes each field either as " key=value" or as
 * ",\"key\":value" into the caller's buffer.  No allocation, no stdio on
 * the per-event path (dump's throughput is the reader's, not printf's).
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "gpu/gpu.h"
#include "tracer/tracer.h"

/* ------------------------------------------------------------ the emitter */

struct em {
	char *buf;
	size_t cap, len; /* len: what the whole output needs */
	bool json;
};

static void put(struct em *e, const char *s, size_t n)
{
	if (e->len < e->cap) {
		size_t room = e->cap - e->len;

		memcpy(e->buf + e->len, s, n < room ? n : room);
	}
	e->len += n;
}

static void puts_(struct em *e, const char *s)
{
	put(e, s, strlen(s));
}

static void putc_(struct em *e, char c)
{
	put(e, &c, 1);
}

static void put_dec(struct em *e, uint64_t v)
{
	char t[24];
	int i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(e, t + i, sizeof(t) - (size_t)i);
}

static void put_sdec(struct em *e, int64_t v)
{
	if (v < 0) {
		putc_(e, '-');
		put_dec(e, (uint64_t)0 - (uint64_t)v);
	} else {
		put_dec(e, (uint64_t)v);
	}
}

static void put_hex_raw(struct em *e, uint64_t v)
{
	static const char dig[] = "0123456789abcdef";
	char t[18];
	int i = sizeof(t);

	do {
		t[--i] = dig[v & 15];
		v >>= 4;
	} while (v);
	t[--i] = 'x';
	t[--i] = '0';
	put(e, t + i, sizeof(t) - (size_t)i);
}

/* A JSON string body (escaped as vgt_json_escape does), or the text as is. */
static void put_str(struct em *e, const char *s)
{
	if (!e->json) {
		puts_(e, s);
		return;
	}
	char tmp[256];
	size_t n = vgt_json_escape(tmp, sizeof(tmp), s);

	if (n < sizeof(tmp)) {
		put(e, tmp, n);
		return;
	}
	/* long text: escape straight into the output */
	if (e->len < e->cap)
		vgt_json_escape(e->buf + e->len, e->cap - e->len, s);
	e->len += n;
}

static void key(struct em *e, const char *k)
{
	if (e->json) {
		puts_(e, ",\"");
		puts_(e, k);
		puts_(e, "\":");
	} else {
		putc_(e, ' ');
		puts_(e, k);
		putc_(e, '=');
	}
}

static void fu(struct em *e, const char *k, uint64_t v)
{
	key(e, k);
	put_dec(e, v);
}

static void fi(struct em *e, const char *k, int64_t v)
{
	key(e, k);
	put_sdec(e, v);
}

static void fx(struct em *e, const char *k, uint64_t v)
{
	key(e, k);
	if (e->json)
		putc_(e, '"');
	put_hex_raw(e, v);
	if (e->json)
		putc_(e, '"');
}

/* A name (no spaces in text form) or NULL: "?" / null. */
static void fs(struct em *e, const char *k, const char *v)
{
	key(e, k);
	if (!v) {
		puts_(e, e->json ? "null" : "?");
		return;
	}
	if (e->json)
		put_str(e, v); /* quotes included */
	else
		puts_(e, v);
}

/* A flag: text prints the bare word when set, JSON true/false always. */
static void fb(struct em *e, const char *k, bool v)
{
	if (e->json) {
		key(e, k);
		puts_(e, v ? "true" : "false");
	} else if (v) {
		putc_(e, ' ');
		puts_(e, k);
	}
}

static void finish(struct em *e)
{
	if (e->cap)
		e->buf[e->len < e->cap ? e->len : e->cap - 1] = '\0';
}

/* ------------------------------------------------------------------ names */

static const char *policy_name(uint32_t p)
{
	return scan_policy_name((enum scan_policy)p);
}

static const char *blob_kind_name(unsigned k)
{
	switch (k) {
	case MED_BLOB_CONTEXT:
		return "context";
	case MED_BLOB_GUEST_PAGE:
		return "guest-page";
	case MED_BLOB_SHADOW:
		return "shadow";
	case MED_BLOB_GUEST_MEM:
		return "guest-mem";
	}
	return "unknown";
}

static const char *as_name(unsigned as)
{
	if (as == MED_AS_GPA)
		return "gpa";
	return as <= SCAN_AS_PPGTT ? scan_as_name((enum scan_as)as) : "unknown";
}

static const char *mem_source_name(uint32_t s)
{
	switch (s) {
	case MED_MEM_GUEST:
		return "guest";
	case MED_MEM_CSB:
		return "csb";
	case MED_MEM_CONTEXT:
		return "context";
	}
	return "unknown";
}

static const char *engine_name(int e)
{
	const char *n = e >= 0 && e < SCAN_NUM_ENGINES ? scan_engine_name((enum scan_engine)e) : NULL;

	return n ? n : "-";
}

/* ---------------------------------------------------------------- payload */

static void put_payload(struct em *e, const struct med_event *ev)
{
	switch (ev->type) {
	case MED_EV_CONFIG:
		fu(e, "gen", ev->u.config.gen);
		fs(e, "policy", policy_name(ev->u.config.policy));
		fs(e, "dispatch", ev->u.config.dispatch == MED_DISPATCH_MANUAL ? "manual" : "threads");
		fs(e, "on_reject", ev->u.config.on_reject == MED_ON_REJECT_DROP ? "drop" : "failsafe");
		fu(e, "tick_ns", ev->u.config.tick_ns);
		fu(e, "balance_ns", ev->u.config.balance_ns);
		fu(e, "priority_ns", ev->u.config.priority_ns);
		fu(e, "exec_budget", ev->u.config.exec_budget);
		fu(e, "cycles_per_us", ev->u.config.cycles_per_us);
		fu(e, "max_queued", ev->u.config.max_queued);
		fb(e, "no_priority", ev->u.config.no_priority);
		fb(e, "contain_escapes", ev->u.config.contain_escapes);
		fb(e, "own_gpu", ev->u.config.own_gpu);
		if (ev->u.config.watchdog_ns == MED_WATCHDOG_OFF)
			fs(e, "watchdog_ns", "off");
		else
			fu(e, "watchdog_ns", ev->u.config.watchdog_ns);
		if (ev->u.config.watchdog_strikes == MED_WATCHDOG_NEVER)
			fs(e, "watchdog_strikes", "never");
		else
			fu(e, "watchdog_strikes", ev->u.config.watchdog_strikes);
		break;
	case MED_EV_VGPU_CREATE:
	case MED_EV_VGPU_DESTROY:
	case MED_EV_VGPU_RESET:
		fs(e, "vgpu_type", med_vgpu_type_name((enum med_vgpu_type)ev->u.vgpu.type));
		fu(e, "weight", ev->u.vgpu.weight);
		fs(e, "policy", policy_name(ev->u.vgpu.policy));
		fx(e, "aperture_base", ev->u.vgpu.aperture_base);
		fx(e, "aperture_size", ev->u.vgpu.aperture_size);
		fx(e, "hidden_base", ev->u.vgpu.hidden_base);
		fx(e, "hidden_size", ev->u.vgpu.hidden_size);
		fx(e, "mem_size", ev->u.vgpu.mem_size);
		if (e->json) {
			key(e, "fences");
			putc_(e, '[');
			for (int i = 0; i < MED_FENCES_PER_VGPU; i++) {
				if (i)
					putc_(e, ',');
				put_dec(e, ev->u.vgpu.fences[i]);
			}
			putc_(e, ']');
		} else {
			key(e, "fences");
			for (int i = 0; i < MED_FENCES_PER_VGPU; i++) {
				if (i)
					putc_(e, ',');
				put_dec(e, ev->u.vgpu.fences[i]);
			}
		}
		fs(e, "failsafe", med_failsafe_name((enum med_failsafe)ev->u.vgpu.failsafe));
		fb(e, "existing", ev->u.vgpu.existing);
		break;
	case MED_EV_MMIO_READ:
	case MED_EV_MMIO_WRITE:
	case MED_EV_GGTT_WRITE:
		fx(e, "offset", ev->u.mmio.offset);
		fu(e, "bytes", ev->u.mmio.bytes);
		fx(e, "value", ev->u.mmio.value);
		if (ev->type == MED_EV_GGTT_WRITE) {
			fx(e, "host_pte", ev->u.mmio.host_pte);
			if (ev->u.mmio.host_pte_next || e->json)
				fx(e, "host_pte_next", ev->u.mmio.host_pte_next);
			if (ev->u.mmio.batch || e->json) {
				fu(e, "batch", ev->u.mmio.batch);
				fu(e, "index", ev->u.mmio.index);
			}
		}
		break;
	case MED_EV_CFG_READ:
	case MED_EV_CFG_WRITE:
		fx(e, "offset", ev->u.cfg.offset);
		fu(e, "bytes", ev->u.cfg.bytes);
		fx(e, "value", ev->u.cfg.value);
		break;
	case MED_EV_PT_WRITE:
		fx(e, "gpa", ev->u.pt.gpa);
		fu(e, "bytes", ev->u.pt.bytes);
		fx(e, "value", ev->u.pt.value);
		fu(e, "tables", ev->u.pt.tables);
		fx(e, "host_pte", ev->u.pt.host_pte);
		fb(e, "stored", ev->u.pt.stored);
		break;
	case MED_EV_SUBMIT:
		fx(e, "desc0", ev->u.submit.desc[0]);
		fx(e, "desc1", ev->u.submit.desc[1]);
		break;
	case MED_EV_WORKLOAD:
		fu(e, "id", ev->u.workload.id);
		fx(e, "desc", ev->u.workload.desc);
		fx(e, "ring_start", ev->u.workload.ring_start);
		fu(e, "ring_size", ev->u.workload.ring_size);
		fx(e, "head", ev->u.workload.head);
		fx(e, "tail", ev->u.workload.tail);
		fx(e, "ring_ctl", ev->u.workload.ring_ctl);
		fx(e, "ctx_ctrl", ev->u.workload.ctx_ctrl);
		fu(e, "levels", ev->u.workload.levels);
		fx(e, "pdp0", ev->u.workload.pdp[0]);
		if (e->json) {
			fx(e, "pdp1", ev->u.workload.pdp[1]);
			fx(e, "pdp2", ev->u.workload.pdp[2]);
			fx(e, "pdp3", ev->u.workload.pdp[3]);
		}
		break;
	case MED_EV_SCAN:
		fu(e, "id", ev->u.scan.id);
		fs(e, "verdict", (ev->flags & TR_EVF_IMPORTED) ? "unknown"
				 : ev->u.scan.pass			 ? "pass"
									 : "fail");
		fu(e, "commands", ev->u.scan.commands);
		fu(e, "bytes", ev->u.scan.bytes);
		fu(e, "shadows", ev->u.scan.nshadows);
		fu(e, "patches", ev->u.scan.npatches);
		fs(e, "policy", policy_name(ev->u.scan.policy));
		fs(e, "buffer", ev->u.scan.wa ? "wa-batch" : "ring");
		if (ev->u.scan.nviolations || e->json) {
			fu(e, "violations", ev->u.scan.nviolations);
			fs(e, "reason", ev->u.scan.first_reason
						? scan_reason_name((enum scan_reason)ev->u.scan.first_reason)
						: "none");
			fx(e, "viol_gma", ev->u.scan.viol_gma);
			fx(e, "viol_value", ev->u.scan.viol_value);
			fu(e, "viol_offset", ev->u.scan.viol_offset);
		}
		fu(e, "scan_ns", ev->u.scan.scan_ns);
		break;
	case MED_EV_REJECT:
		fu(e, "id", ev->u.reject.id);
		fs(e, "reason", med_reject_name(ev->u.reject.reason));
		fb(e, "failsafe", ev->u.reject.failsafe);
		break;
	case MED_EV_DISPATCH:
	case MED_EV_COMPLETE:
	case MED_EV_GPU_WRITE:
		fu(e, "id", ev->u.exec.id);
		if (ev->type == MED_EV_GPU_WRITE) {
			fu(e, "pages", ev->u.exec.written_pages);
			fu(e, "unmapped", ev->u.exec.unmapped_writes);
			fx(e, "digest", ev->u.exec.digest);
			break;
		}
		fx(e, "ring", ev->u.exec.ring_gma);
		fx(e, "head", ev->u.exec.head);
		fx(e, "tail", ev->u.exec.tail);
		if (ev->type == MED_EV_DISPATCH) {
			fx(e, "ppgtt_root", ev->u.exec.ppgtt_root);
			fx(e, "digest", ev->u.exec.digest);
			break;
		}
		fs(e, "status", gpu_status_name((enum gpu_status)ev->u.exec.status));
		fu(e, "commands", ev->u.exec.commands);
		fu(e, "cycles", ev->u.exec.cycles);
		fu(e, "escapes", ev->u.exec.escapes);
		fu(e, "faults", ev->u.exec.faults);
		fb(e, "watchdog", ev->u.exec.watchdog);
		break;
	case MED_EV_CSB:
		fx(e, "status", ev->u.csb.status);
		fx(e, "ctx_id", ev->u.csb.ctx_id);
		fu(e, "index", ev->u.csb.index);
		fx(e, "csb_ptr", ev->u.csb.csb_ptr);
		break;
	case MED_EV_IRQ:
		fx(e, "master", ev->u.irq.master);
		fu(e, "bank", ev->u.irq.bank);
		fx(e, "iir", ev->u.irq.iir);
		fb(e, "msi", ev->u.irq.msi_enabled);
		if (ev->u.irq.msi_enabled || e->json) {
			fx(e, "msi_addr", ev->u.irq.msi_addr);
			fx(e, "msi_data", ev->u.irq.msi_data);
		}
		break;
	case MED_EV_SCHED_SWITCH:
		fu(e, "from", ev->u.sched.from);
		fu(e, "to", ev->u.sched.to);
		fi(e, "left_ns", (int64_t)ev->u.sched.left_ns);
		break;
	case MED_EV_SCHED_BALANCE:
		if (e->json) {
			key(e, "left_ns");
			putc_(e, '{');
		} else {
			key(e, "left_ns");
		}
		for (unsigned i = 0, n = 0; i < MED_MAX_VGPUS; i++) {
			if (!(ev->u.balance.present & (1u << i)))
				continue;
			if (n++)
				putc_(e, ',');
			if (e->json)
				putc_(e, '"');
			put_dec(e, i + 1);
			puts_(e, e->json ? "\":" : ":");
			put_sdec(e, ev->u.balance.left_ns[i]);
		}
		if (e->json)
			putc_(e, '}');
		break;
	case MED_EV_SCHED_IDLE:
		fu(e, "from_ns", ev->u.idle.from_ns);
		fu(e, "to_ns", ev->u.idle.to_ns);
		break;
	case MED_EV_FAILSAFE:
		fs(e, "reason", med_failsafe_name((enum med_failsafe)ev->u.failsafe.reason));
		break;
	case MED_EV_ESCAPE:
		fs(e, "kind", gpu_escape_kind_name((enum gpu_escape_kind)ev->u.escape.kind));
		fs(e, "why", gpu_escape_why_name((enum gpu_escape_why)ev->u.escape.why));
		fx(e, "addr", ev->u.escape.addr);
		fs(e, "as", gpu_as_name((enum gpu_as)ev->u.escape.as));
		fx(e, "hpa", ev->u.escape.hpa);
		fu(e, "size", ev->u.escape.size);
		fx(e, "value", ev->u.escape.value);
		fx(e, "cmd", ev->u.escape.cmd);
		fx(e, "cmd_gma", ev->u.escape.cmd_gma);
		fu(e, "hpa_owner", ev->u.escape.hpa_owner);
		fu(e, "escape_seq", ev->u.escape.seq);
		break;
	case MED_EV_CLOCK:
		fu(e, "ns", ev->u.clock.ns);
		break;
	case MED_EV_MEM_WRITE:
		fx(e, "gpa", ev->u.mem.gpa);
		fu(e, "len", ev->u.mem.len);
		fs(e, "source", mem_source_name(ev->u.mem.source));
		break;
	case MED_EV_TRIGGER:
		fu(e, "bank", ev->u.trigger.bank);
		fx(e, "bits", ev->u.trigger.bits);
		fx(e, "iir", ev->u.trigger.iir);
		fb(e, "delivered", ev->u.trigger.delivered);
		break;
	case MED_EV_RUN:
		fu(e, "max", ev->u.run.max);
		fi(e, "result", ev->u.run.result);
		break;
	case MED_EV_DIGEST:
		fu(e, "id", ev->u.digest.id);
		fs(e, "phase", ev->u.digest.phase == MED_DIGEST_COMPLETE ? "complete" : "dispatch");
		fx(e, "mem", ev->u.digest.mem);
		fu(e, "mem_pages", ev->u.digest.mem_pages);
		fx(e, "ggtt", ev->u.digest.ggtt);
		fu(e, "ggtt_entries", ev->u.digest.ggtt_entries);
		break;
	default:
		break;
	}
}

static void put_err(struct em *e, int32_t err)
{
	if (e->json) {
		fi(e, "err", err);
		return;
	}
	if (!err)
		return;
	/* -INT32_MIN does not exist (UB): that one is a number */
	const char *n = err < 0 && err != INT32_MIN ? strerrorname_np(-err) : NULL;

	key(e, "err");
	if (n) {
		putc_(e, '-');
		puts_(e, n);
	} else {
		put_sdec(e, err);
	}
}

static void put_flags(struct em *e, uint32_t flags)
{
	if (e->json) {
		fu(e, "flags", flags);
		return;
	}
	if (flags & MED_EVF_BLOBS_DROPPED)
		puts_(e, " BLOBS-DROPPED");
	if (flags & MED_EVF_UNTRACKED)
		puts_(e, " UNTRACKED");
	if (flags & MED_EVF_NO_DIGEST)
		puts_(e, " NO-DIGEST");
	if (flags & TR_EVF_IMPORTED)
		puts_(e, " IMPORTED");
}

/* "SEQ TIME vN ENGINE TYPE" */
static void put_head_text(struct em *e, const struct med_event *ev)
{
	char t[9];
	uint32_t frac = (uint32_t)(ev->time % 1000000000u);
	const char *name = med_event_name((enum med_event_type)ev->type);

	put_dec(e, ev->seq);
	putc_(e, ' ');
	put_dec(e, ev->time / 1000000000u);
	putc_(e, '.');
	for (int i = 8; i >= 0; i--, frac /= 10)
		t[i] = (char)('0' + frac % 10);
	put(e, t, sizeof(t));
	putc_(e, ' ');
	if (ev->vgpu) {
		putc_(e, 'v');
		put_dec(e, ev->vgpu);
	} else {
		putc_(e, '-');
	}
	putc_(e, ' ');
	puts_(e, engine_name(ev->engine));
	putc_(e, ' ');
	if (name) {
		puts_(e, name);
	} else {
		puts_(e, "type-");
		put_dec(e, ev->type);
	}
}

size_t tr_event_format(char *buf, size_t len, const struct med_event *ev)
{
	struct em e = { .buf = buf, .cap = buf ? len : 0 };

	put_head_text(&e, ev);
	put_payload(&e, ev);
	put_flags(&e, ev->flags);
	put_err(&e, ev->err);
	if (ev->nblobs)
		fu(&e, "blobs", ev->nblobs);
	if (ev->blobs_dropped)
		fu(&e, "blobs_dropped", ev->blobs_dropped);
	if (ev->text) {
		puts_(&e, " -- ");
		/* one line: a newline inside the text would break the format;
		 * no control character reaches a terminal (ESC: \x1b), and a
		 * backslash is doubled so that the escapes are unambiguous */
		for (const unsigned char *s = (const unsigned char *)ev->text; *s; s++) {
			static const char hex[] = "0123456789abcdef";

			if (*s == '\n' || *s == '\r') {
				putc_(&e, ' ');
			} else if (*s < 0x20 || *s == 0x7f) {
				puts_(&e, "\\x");
				putc_(&e, hex[*s >> 4]);
				putc_(&e, hex[*s & 15]);
			} else if (*s == '\\') {
				puts_(&e, "\\\\");
			} else {
				putc_(&e, (char)*s);
			}
		}
	}
	finish(&e);
	return e.len;
}

static void put_loss_fields(struct em *e, const struct tr_loss *l)
{
	fu(e, "thread", l->thread);
	fs(e, "reason", tr_loss_reason_name(l->reason));
	fu(e, "count", l->count);
	fu(e, "first_seq", l->first_seq);
	fu(e, "last_seq", l->last_seq);
	fu(e, "bytes", l->bytes);
}

size_t tr_loss_format(char *buf, size_t len, const struct tr_loss *loss)
{
	struct em e = { .buf = buf, .cap = buf ? len : 0 };

	puts_(&e, "LOST ");
	put_dec(&e, loss->count);
	puts_(&e, " events");
	put_loss_fields(&e, loss);
	finish(&e);
	return e.len;
}

static void put_key_hex(struct em *e, const struct tr_key *k)
{
	static const char dig[] = "0123456789abcdef";
	char t[34];

	t[0] = '"';
	for (int i = 0; i < 16; i++)
		t[1 + i] = dig[(k->hi >> (60 - 4 * i)) & 15];
	for (int i = 0; i < 16; i++)
		t[17 + i] = dig[(k->lo >> (60 - 4 * i)) & 15];
	t[33] = '"';
	put(e, t, sizeof(t));
}

size_t tr_record_json(char *buf, size_t len, const struct tr_record *rec)
{
	struct em e = { .buf = buf, .cap = buf ? len : 0, .json = true };

	if (rec->kind == TR_REC_LOSS) {
		puts_(&e, "{\"type\":\"loss\"");
		put_loss_fields(&e, &rec->loss);
		putc_(&e, '}');
		finish(&e);
		return e.len;
	}
	const struct med_event *ev = &rec->ev;
	const char *name = med_event_name((enum med_event_type)ev->type);

	puts_(&e, "{\"seq\":");
	put_dec(&e, ev->seq);
	fu(&e, "time", ev->time);
	fu(&e, "vgpu", ev->vgpu);
	if (ev->engine >= 0 && ev->engine < SCAN_NUM_ENGINES)
		fs(&e, "engine", engine_name(ev->engine));
	else
		fs(&e, "engine", NULL);
	fs(&e, "type", name);
	put_err(&e, ev->err);
	put_flags(&e, ev->flags);
	put_payload(&e, ev);
	key(&e, "blobs");
	putc_(&e, '[');
	for (uint32_t i = 0; ev->blobs && i < ev->nblobs; i++) {
		const struct med_blob *b = &ev->blobs[i];

		if (i)
			putc_(&e, ',');
		puts_(&e, "{\"kind\":\"");
		puts_(&e, blob_kind_name(b->kind));
		puts_(&e, "\",\"as\":\"");
		puts_(&e, as_name(b->as));
		putc_(&e, '"');
		fx(&e, "addr", b->addr);
		if (b->gpa == UINT64_MAX) {
			key(&e, "gpa");
			puts_(&e, "null");
		} else {
			fx(&e, "gpa", b->gpa);
		}
		fu(&e, "len", b->len);
		key(&e, "key");
		if (rec->keys && (rec->keys[i].lo || rec->keys[i].hi))
			put_key_hex(&e, &rec->keys[i]);
		else
			puts_(&e, "null");
		putc_(&e, '}');
	}
	putc_(&e, ']');
	if (ev->blobs_dropped)
		fu(&e, "blobs_dropped", ev->blobs_dropped);
	key(&e, "text");
	if (ev->text)
		put_str(&e, ev->text);
	else
		puts_(&e, "null");
	putc_(&e, '}');
	finish(&e);
	return e.len;
}

/* ------------------------------------------------------------ --decode */

#define DECODE_OPS 8

int tr_decode_blob(FILE *f, unsigned gen, int engine, const struct med_blob *b, const char *indent)
{
	static __thread struct scan_operand ops[DECODE_OPS];
	enum scan_gen g = gen == 8 ? SCAN_GEN8 : SCAN_GEN9;
	size_t ndw, off = 0;
	int printed = 0;

	if (!f || !b || engine < 0 || engine >= SCAN_NUM_ENGINES || (gen && gen != 8 && gen != 9))
		return -EINVAL;
	if (!indent)
		indent = "";
	if (!b->data) {
		fprintf(f, "%s(the bytes of this buffer are not in the log)\n", indent);
		return ferror(f) ? -EIO : 0;
	}
	ndw = b->len / 4;
	const uint8_t *bytes = b->data;
	/* the blob's bytes are little-endian dwords with no alignment promise */
	while (off < ndw) {
		uint32_t tmp[256];
		size_t have = ndw - off < 256 ? ndw - off : 256;
		struct scan_cmd c;

		memcpy(tmp, bytes + off * 4, have * 4);
		for (size_t i = 0; i < have; i++)
			tmp[i] = le32toh(tmp[i]);
		enum scan_cmd_status st = scan_decode(g, (enum scan_engine)engine, tmp, have, &c);
		size_t step = c.dwords ? c.dwords : 1, repeat = 1;

		if (st == SCAN_CMD_TRUNCATED && have == 256 && ndw - off > 256) {
			/* a command longer than the window: say its length, skip it */
			st = SCAN_CMD_OK;
		}
		if (st == SCAN_CMD_OK && c.header == 0 && c.dwords == 1) {
			static const uint8_t zero[4];

			/* the whole run of MI_NOOP, past the decode window */
			while (off + repeat < ndw && !memcmp(bytes + (off + repeat) * 4, zero, 4))
				repeat++;
		}
		fprintf(f, "%s0x%08llx:  %08x  %-32s %3u dw", indent,
			(unsigned long long)(b->addr + off * 4), c.header,
			c.desc ? scan_desc_name(c.desc) : "<unknown>", c.dwords);
		if (st == SCAN_CMD_UNKNOWN)
			fputs("  UNKNOWN", f);
		else if (st == SCAN_CMD_TRUNCATED)
			fprintf(f, "  TRUNCATED: %u of %u dwords present", c.avail, c.dwords);
		if (repeat > 1)
			fprintf(f, "  x %zu", repeat);
		if (st == SCAN_CMD_OK && c.dwords <= have) {
			unsigned n = scan_cmd_operands(&c, ops, DECODE_OPS);

			for (unsigned i = 0; i < n && i < DECODE_OPS; i++) {
				const struct scan_operand *o = &ops[i];

				fputs(i ? ", " : "  ", f);
				switch (o->kind) {
				case SCAN_OP_ADDRESS:
					fprintf(f, "%s=%s:0x%llx", o->name ? o->name : "address",
						scan_as_name((enum scan_as)o->as),
						(unsigned long long)o->value);
					break;
				case SCAN_OP_REG_WRITE:
					fprintf(f, "write reg 0x%llx", (unsigned long long)o->value);
					break;
				case SCAN_OP_REG_READ:
					fprintf(f, "read reg 0x%llx", (unsigned long long)o->value);
					break;
				case SCAN_OP_POST_SYNC:
					fprintf(f, "post-sync=%llu", (unsigned long long)o->value);
					break;
				case SCAN_OP_BB_START:
					fprintf(f, "-> %s:0x%llx %s", scan_as_name((enum scan_as)o->as),
						(unsigned long long)o->value,
						o->second_level ? "second-level" : "first-level");
					break;
				}
			}
			if (n > DECODE_OPS)
				fprintf(f, ", ... (+%u more)", n - DECODE_OPS);
		}
		putc('\n', f);
		printed++;
		if (st == SCAN_CMD_TRUNCATED)
			break;
		if (repeat > 1)
			step = repeat;
		if (step > ndw - off)
			break;
		off += step;
	}
	if (b->len % 4)
		fprintf(f, "%s(%u trailing bytes: not a whole dword)\n", indent, b->len % 4);
	return ferror(f) ? -EIO : printed;
}
