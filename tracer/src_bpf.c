/* SPDX-License-Identifier: MIT */
/*
 * The eBPF source of vgt record (capture_int.h: trs_bpf_ops): the programs
 * of tracer/bpf/vgt_usdt.bpf.c on the traced process's vgt:event and
 * vgt:blob probes (or, --kernel, on a GVT-g host's gvt tracepoints), one
 * BPF ring buffer, and the records it holds handed to the assembler.
 *
 * The programs wake this reader only when the ring holds more than a
 * quarter of its size; poll therefore waits at most POLL_MS and then
 * consumes whatever is there.  Records the programs could not reserve
 * (the ring was full) or read (the emitter's memory) are counted per CPU;
 * each poll sums the CPUs and reports what is new with tra_lost().
 *
 * libbpf prints nothing (VGT_BPF_VERBOSE=1 in the environment lets it
 * print to stderr); its last warning completes our one-line errors.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/common.h"
#include "tracer/bpf/vgt_usdt.h"
#include "tracer/capture_int.h"
#include "vgt_usdt.skel.h"

_Static_assert(VGT_BPF_EV_MAX == sizeof(struct med_event), "the BPF program reads a whole med_event");
_Static_assert(VGT_BPF_PIECE == TRA_PIECE, "a piece is MED_PROBE_PIECE bytes at most");
_Static_assert(VGT_BPF_DESC == offsetof(struct med_blob, data), "a blob descriptor's bytes");

#define RING_DEFAULT ((size_t)64 << 20)
#define RING_MAX     ((size_t)1 << 31) /* max_entries is a u32 power of two */
#define POLL_MS      10                /* the longest a batch waits for its reader */

struct bpf_src {
	struct vgt_usdt *skel;
	struct ring_buffer *rb;
	struct tr_asm *a;
	int kernel;
	int ncpus;
	struct vgt_bpf_lost *percpu; /* ncpus slots, for the lookup */
	struct vgt_bpf_lost seen;    /* the sums already reported */
	uint64_t taken;              /* records in this poll */
	uint64_t kseq;               /* --kernel: the events' seqs, in ring order */
	int err;                     /* a callback's fatal error */
};

/* ------------------------------------------------------- libbpf's voice */

static __thread char last_msg[256];

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int verbose = -1;
	if (verbose < 0) {
		const char *v = getenv("VGT_BPF_VERBOSE");
		verbose = v && *v && strcmp(v, "0") != 0;
	}
	if (verbose) {
		va_list cp;
		va_copy(cp, ap);
		vfprintf(stderr, fmt, cp);
		va_end(cp);
	}
	if (level == LIBBPF_WARN) {
		char m[sizeof(last_msg)];
		vsnprintf(m, sizeof(m), fmt, ap);
		const char *p = strncmp(m, "libbpf: ", 8) == 0 ? m + 8 : m;
		snprintf(last_msg, sizeof(last_msg), "%s", p);
		size_t n = strlen(last_msg);
		while (n && (last_msg[n - 1] == '\n' || last_msg[n - 1] == ' '))
			last_msg[--n] = 0;
		for (char *c = last_msg; *c; c++)
			if (*c == '\n' || *c == '\t')
				*c = ' '; /* our errors are one line */
	}
	return 0;
}

/* " (libbpf: MSG)" when libbpf said something, else "". */
static const char *libbpf_said(char *buf, size_t len)
{
	if (!last_msg[0])
		return "";
	snprintf(buf, len, " (libbpf: %s)", last_msg);
	return buf;
}

/* ----------------------------------------------------------- the records */

static int take_kernel(struct bpf_src *s, const struct vgt_bpf_kernel *k)
{
	struct med_event ev;
	char text[128];
	char name[VGT_BPF_NAME + 1];

	memcpy(name, k->name, VGT_BPF_NAME);
	name[VGT_BPF_NAME] = 0;
	memset(&ev, 0, sizeof(ev));
	ev.version = MED_EVENT_VERSION;
	ev.size = sizeof(ev);
	ev.engine = -1;
	ev.seq = ++s->kseq;
	ev.time = k->ns;
	ev.vgpu = k->id > 0 && k->id <= UINT16_MAX ? (uint16_t)k->id : 0;
	switch (k->tp) {
	case VGT_BPF_TP_INJECT_MSI:
		ev.type = MED_EV_IRQ;
		ev.u.irq.msi_enabled = 1;
		ev.u.irq.msi_addr = k->reg;
		ev.u.irq.msi_data = k->new_val;
		snprintf(text, sizeof(text), "gvt:inject_msi");
		break;
	case VGT_BPF_TP_WRITE_IR:
		ev.type = MED_EV_MMIO_WRITE;
		ev.u.mmio.offset = k->reg;
		ev.u.mmio.value = k->new_val;
		ev.u.mmio.bytes = 4;
		snprintf(text, sizeof(text), "gvt:write_ir %s old 0x%x%s", name, k->old_val,
			 k->changed ? " (changed)" : "");
		break;
	case VGT_BPF_TP_PROPAGATE_EVENT:
		ev.type = MED_EV_TRIGGER;
		ev.u.trigger.bits = k->id2 >= 0 && k->id2 < 32 ? 1u << k->id2 : 0;
		ev.u.trigger.delivered = 1;
		snprintf(text, sizeof(text), "gvt:propagate_event %s bit %d", name, k->id2);
		break;
	case VGT_BPF_TP_RENDER_MMIO:
		ev.type = MED_EV_MMIO_WRITE;
		ev.u.mmio.offset = k->reg;
		ev.u.mmio.value = k->new_val;
		ev.u.mmio.bytes = 4;
		snprintf(text, sizeof(text), "gvt:render_mmio %s from vGPU %d, old 0x%x", name, k->id2,
			 k->old_val);
		break;
	default:
		/* not a record this program writes: the assembler counts it */
		return tra_event(s->a, k, 0, NULL, 0);
	}
	return tra_event(s->a, &ev, sizeof(ev), text, strlen(text));
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct bpf_src *s = ctx;
	uint32_t kind = 0;
	int rc;

	if (size >= sizeof(kind))
		memcpy(&kind, data, sizeof(kind));
	if (kind == VGT_BPF_REC_EVENT && size >= sizeof(struct vgt_bpf_event)) {
		const struct vgt_bpf_event *e = data;
		uint32_t tl = e->text_len < VGT_BPF_TEXT_MAX ? e->text_len : VGT_BPF_TEXT_MAX - 1;
		rc = tra_event(s->a, e->ev, e->ev_len <= VGT_BPF_EV_MAX ? e->ev_len : 0, e->text, tl);
	} else if (kind == VGT_BPF_REC_PIECE && size >= sizeof(struct vgt_bpf_piece)) {
		const struct vgt_bpf_piece *p = data;
		rc = tra_piece(s->a, p->seq, p->index, p->desc, p->offset, p->data,
			       p->len <= VGT_BPF_PIECE ? p->len : VGT_BPF_PIECE + 1);
	} else if (kind == VGT_BPF_REC_KERNEL && size >= sizeof(struct vgt_bpf_kernel)) {
		rc = take_kernel(s, data);
	} else {
		/* unknown or short: an event record too short for any layout,
		 * which the assembler refuses and counts as bad */
		rc = tra_event(s->a, data, 0, NULL, 0);
	}
	s->taken++;
	if (rc == -ENOMEM) {
		s->err = rc;
		return rc; /* stops the consumer; poll returns it */
	}
	return 0; /* malformed records were counted by the assembler */
}

/* Sums the per-CPU loss counters and reports what is new. */
static int report_lost(struct bpf_src *s)
{
	uint32_t key = 0;
	size_t vsz = sizeof(struct vgt_bpf_lost) * (size_t)s->ncpus;
	if (bpf_map__lookup_elem(s->skel->maps.lost, &key, sizeof(key), s->percpu, vsz, 0))
		return -errno;
	struct vgt_bpf_lost sum = { 0 };
	for (int i = 0; i < s->ncpus; i++) {
		sum.events_full += s->percpu[i].events_full;
		sum.pieces_full += s->percpu[i].pieces_full;
		sum.events_read += s->percpu[i].events_read;
		sum.pieces_read += s->percpu[i].pieces_read;
		sum.kernel_full += s->percpu[i].kernel_full;
	}
	uint64_t ev = (sum.events_full - s->seen.events_full) + (sum.events_read - s->seen.events_read) +
		      (sum.kernel_full - s->seen.kernel_full);
	uint64_t pc = (sum.pieces_full - s->seen.pieces_full) + (sum.pieces_read - s->seen.pieces_read);
	s->seen = sum;
	if (ev || pc)
		tra_lost(s->a, ev, pc);
	return 0;
}

/* ------------------------------------------------------------- attaching */

static void src_detach(void *state)
{
	struct bpf_src *s = state;
	if (!s)
		return;
	ring_buffer__free(s->rb);
	vgt_usdt__destroy(s->skel); /* the links go with it: semaphores fall */
	free(s->percpu);
	free(s);
}

static int ring_size(size_t want, uint32_t *out)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t n = want ? want : RING_DEFAULT;
	if (n > RING_MAX)
		return -E2BIG;
	size_t r = page;
	while (r < n)
		r <<= 1;
	*out = (uint32_t)r;
	return 0;
}

/* "; this process lacks CAP_X, CAP_Y" for the capabilities a capture
 * needs that are not in this process's effective set, or "". */
static const char *caps_missing(char *buf, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = { { CAP_BPF, "CAP_BPF" }, { CAP_PERFMON, "CAP_PERFMON" },
		     { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" } };
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	buf[0] = 0;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return buf;
	size_t n = 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (d[need[i].cap / 32].effective & (1u << (need[i].cap % 32)))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "; this process lacks ",
				 need[i].name);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

static int perm_error(const struct trs_target *t, const char *what, int err)
{
	char lb[320], caps[96];
	vgt_errbuf_set(t->errbuf, t->errbuf_len,
		       "bpf: %s: permission denied%s%s; run vgt record as root (or with CAP_BPF, "
		       "CAP_PERFMON and CAP_SYS_ADMIN)",
		       what, libbpf_said(lb, sizeof(lb)), caps_missing(caps, sizeof(caps)));
	return -EPERM;
}

static int attach_usdt(struct bpf_src *s, const struct trs_target *t, struct bpf_program *prog,
		       const char *name, struct bpf_link **link)
{
	char lb[320];
	last_msg[0] = 0;
	struct bpf_link *l = bpf_program__attach_usdt(prog, t->pid, t->binary, "vgt", name, NULL);
	if (l) {
		*link = l;
		return 0;
	}
	int err = -errno;
	if (err == -EPERM || err == -EACCES) {
		char what[64];
		snprintf(what, sizeof(what), "attaching the uprobe of vgt:%s", name);
		return perm_error(t, what, err);
	}
	if (err == -ESRCH || (kill(t->pid, 0) != 0 && errno == ESRCH)) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: pid %d: no such process (it exited?)",
			       (int)t->pid);
		return -ENOENT;
	}
	if (access("/sys/bus/event_source/devices/uprobe", F_OK) != 0 &&
	    access("/sys/kernel/tracing/uprobe_events", F_OK) != 0 &&
	    access("/sys/kernel/debug/tracing/uprobe_events", F_OK) != 0) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len,
			       "bpf: this kernel has no uprobes (no uprobe event source in /sys/bus/"
			       "event_source/devices; it needs CONFIG_UPROBES and CONFIG_UPROBE_EVENTS)%s",
			       libbpf_said(lb, sizeof(lb)));
		return -ENOTSUP;
	}
	if (err == -ENOENT) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len,
			       "bpf: %s has no vgt:%s probe (not a vgt binary, or built with "
			       "-DVGT_NO_PROBES; `readelf -n` lists its .note.stapsdt)%s",
			       t->binary, name, libbpf_said(lb, sizeof(lb)));
		return -ENOENT;
	}
	vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: attaching to vgt:%s in %s (pid %d): %s%s",
		       name, t->binary, (int)t->pid, strerror(-err), libbpf_said(lb, sizeof(lb)));
	return err;
}

/* --kernel: the gvt tracepoints, all of them or an error. */
static int attach_kernel(struct bpf_src *s, const struct trs_target *t)
{
	struct {
		struct bpf_program *p;
		struct bpf_link **l;
		const char *tp;
	} tps[] = {
		{ s->skel->progs.vgt_k_inject_msi, &s->skel->links.vgt_k_inject_msi, "inject_msi" },
		{ s->skel->progs.vgt_k_write_ir, &s->skel->links.vgt_k_write_ir, "write_ir" },
		{ s->skel->progs.vgt_k_propagate_event, &s->skel->links.vgt_k_propagate_event,
		  "propagate_event" },
		{ s->skel->progs.vgt_k_render_mmio, &s->skel->links.vgt_k_render_mmio, "render_mmio" },
	};
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		last_msg[0] = 0;
		struct bpf_link *l = bpf_program__attach_raw_tracepoint(tps[i].p, tps[i].tp);
		if (l) {
			*tps[i].l = l;
			continue;
		}
		int err = -errno;
		if (err == -EPERM || err == -EACCES)
			return perm_error(t, "attaching to the gvt tracepoints", err);
		if (err == -ENOENT) {
			vgt_errbuf_set(t->errbuf, t->errbuf_len,
				       "bpf: this kernel has no gvt/i915 tracepoints: no gvt:%s (a GVT-g "
				       "host needs i915 built with CONFIG_DRM_I915_GVT and loaded)",
				       tps[i].tp);
			return -ENOTSUP;
		}
		char lb[320];
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: attaching to the tracepoint gvt:%s: %s%s",
			       tps[i].tp, strerror(-err), libbpf_said(lb, sizeof(lb)));
		return err;
	}
	return 0;
}

static int load(struct bpf_src *s, const struct trs_target *t)
{
	char lb[320];
	uint32_t size;
	int err = ring_size(t->buffer_bytes, &size);
	if (err) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len,
			       "bpf: buffer of %zu bytes: the BPF ring buffer holds at most %zu",
			       t->buffer_bytes, RING_MAX);
		return err;
	}
	last_msg[0] = 0;
	s->skel = vgt_usdt__open();
	if (!s->skel) {
		err = errno ? -errno : -ENOMEM;
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: opening the BPF object: %s%s",
			       strerror(-err), libbpf_said(lb, sizeof(lb)));
		return err;
	}
	struct vgt_usdt *k = s->skel;
	err = bpf_map__set_max_entries(k->maps.ring, size);
	if (err) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: a ring of %u bytes: %s", size,
			       strerror(-err));
		return err;
	}
	k->rodata->wake_bytes = size / 4;
	bool usdt = !s->kernel;
	bpf_program__set_autoload(k->progs.vgt_event, usdt);
	bpf_program__set_autoload(k->progs.vgt_blob, usdt);
	bpf_program__set_autoload(k->progs.vgt_k_inject_msi, !usdt);
	bpf_program__set_autoload(k->progs.vgt_k_write_ir, !usdt);
	bpf_program__set_autoload(k->progs.vgt_k_propagate_event, !usdt);
	bpf_program__set_autoload(k->progs.vgt_k_render_mmio, !usdt);
	last_msg[0] = 0;
	err = vgt_usdt__load(k);
	if (err == -EPERM || err == -EACCES)
		return perm_error(t, "loading the BPF programs", err);
	if (err) {
		if (access("/sys/kernel/btf/vmlinux", F_OK) != 0)
			vgt_errbuf_set(t->errbuf, t->errbuf_len,
				       "bpf: loading the BPF programs: %s; this kernel has no BTF "
				       "(/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF=y)%s",
				       strerror(-err), libbpf_said(lb, sizeof(lb)));
		else
			vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: loading the BPF programs: %s%s",
				       strerror(-err), libbpf_said(lb, sizeof(lb)));
		return err;
	}
	return 0;
}

static int src_attach(const struct trs_target *t, struct tr_asm *a, void **state)
{
	if (!t || !a || !state)
		return -EINVAL;
	*state = NULL;
	if (!t->kernel && (t->pid <= 0 || !t->binary || !*t->binary)) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len,
			       "bpf: the probes need a process and its executable (pid %d, binary %s)",
			       (int)t->pid, t->binary ? t->binary : "none");
		return -EINVAL;
	}
	if (!t->kernel) {
		if (kill(t->pid, 0) != 0 && errno == ESRCH) {
			vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: pid %d: no such process",
				       (int)t->pid);
			return -ENOENT;
		}
		if (access(t->binary, R_OK) != 0) {
			int err = -errno;
			vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: %s: %s", t->binary, strerror(-err));
			return err;
		}
	}
	struct bpf_src *s = calloc(1, sizeof(*s));
	if (!s) {
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: out of memory");
		return -ENOMEM;
	}
	s->a = a;
	s->kernel = t->kernel;
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	int err = 0;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus < 0 ? s->ncpus : -EINVAL;
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: cannot count the possible CPUs "
			       "(/sys/devices/system/cpu/possible): %s", strerror(-err));
		goto fail;
	}
	s->percpu = calloc((size_t)s->ncpus, sizeof(*s->percpu));
	if (!s->percpu) {
		err = -ENOMEM;
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: out of memory");
		goto fail;
	}
	err = load(s, t);
	if (err)
		goto fail;
	if (s->kernel) {
		err = attach_kernel(s, t);
	} else {
		err = attach_usdt(s, t, s->skel->progs.vgt_blob, "blob", &s->skel->links.vgt_blob);
		if (!err)
			err = attach_usdt(s, t, s->skel->progs.vgt_event, "event",
					  &s->skel->links.vgt_event);
	}
	if (err)
		goto fail;
	last_msg[0] = 0;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.ring), on_record, s, NULL);
	if (!s->rb) {
		err = errno ? -errno : -ENOMEM;
		char lb[320];
		vgt_errbuf_set(t->errbuf, t->errbuf_len, "bpf: mapping the ring buffer: %s%s",
			       strerror(-err), libbpf_said(lb, sizeof(lb)));
		goto fail;
	}
	libbpf_set_print(old);
	*state = s;
	return 0;
fail:
	libbpf_set_print(old);
	src_detach(s);
	return err;
}

/* ------------------------------------------------------------ consuming */

static int src_poll(void *state, int timeout_ms)
{
	struct bpf_src *s = state;
	if (!s)
		return -EINVAL;
	s->taken = 0;
	int ms = timeout_ms < 0 || timeout_ms > POLL_MS ? POLL_MS : timeout_ms;
	/* woken only past the threshold: after the wait, take what is there */
	int rc = ring_buffer__poll(s->rb, ms);
	if (rc >= 0 || rc == -EINTR)
		rc = ring_buffer__consume(s->rb);
	if (rc < 0 && rc != -EINTR)
		return s->err ? s->err : rc;
	rc = report_lost(s);
	if (rc)
		return rc;
	return s->taken > INT_MAX ? INT_MAX : (int)s->taken;
}

static int src_drain(void *state)
{
	struct bpf_src *s = state;
	if (!s)
		return -EINVAL;
	int rc;
	do {
		s->taken = 0;
		rc = ring_buffer__consume(s->rb);
	} while (rc > 0);
	if (rc < 0)
		return s->err ? s->err : rc;
	return report_lost(s);
}

const struct trs_ops trs_bpf_ops = {
	.name = "bpf",
	.attach = src_attach,
	.poll = src_poll,
	.drain = src_drain,
	.detach = src_detach,
};
