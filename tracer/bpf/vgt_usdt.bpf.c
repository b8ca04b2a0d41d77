// SPDX-License-Identifier: MIT
/*
 * The eBPF side of vgt record's BPF source (tracer/src_bpf.c): handlers for
 * the mediator's USDT probes vgt:event and vgt:blob (docs/PROBES.md), and
 * for a GVT-g host's gvt tracepoints (--kernel), each copying what the
 * probe points at straight into a reservation on one BPF ring buffer
 * (the BPF stack is 512 bytes: nothing large goes through it).
 *
 * Wake-ups are batched: a record is submitted without waking the reader
 * unless the ring already holds more than wake_bytes; the reader polls
 * with a short timeout.  A wake-up per record (the ring's default) costs
 * the emitting thread several microseconds.
 *
 * A reservation that fails (the ring is full) is counted per CPU in the
 * map "lost"; nothing overwrites older records.
 *
 * The USDT handlers are attached by src_bpf.c (bpf_program__attach_usdt,
 * to one process and binary): a bare SEC("usdt") is not auto-attached.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "tracer/bpf/vgt_usdt.h"

/* bpf_probe_read_user and the ring buffer helpers are GPL-only; the
 * project's own code is MIT, this program is offered under both. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by user space before load (src_bpf.c). */
const volatile __u64 wake_bytes = 1u << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1u << 26); /* resized before load */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vgt_bpf_lost);
} lost SEC(".maps");

static __always_inline struct vgt_bpf_lost *lost_slot(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&lost, &k);
}

/* Wake the reader only when this record takes the ring past wake_bytes:
 * once woken, it consumes until the ring is empty (its epoll is level-
 * triggered), so records after the crossing need no wake-up of their own
 * (each would cost an irq_work, an interrupt on this CPU); one missed
 * by two CPUs crossing together is covered by the reader's timeout. */
static __always_inline __u64 submit_flags(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);

	return avail > wake_bytes && avail - size <= wake_bytes ? BPF_RB_FORCE_WAKEUP
								 : BPF_RB_NO_WAKEUP;
}

/* Only the two pointer arguments are fetched (each bpf_usdt_arg looks the
 * site's spec up again): type, vgpu, seq and nblobs are in *ev.
 *
 * The event is read onto the BPF stack and copied into the record: a
 * bpf_probe_read_user into the ring (vmalloc memory) makes the kernel's
 * hardened-usercopy check look the destination's area up, which cost
 * ~0.3 µs per event here; a stack destination is checked for nothing. */
SEC("usdt")
int vgt_event(struct pt_regs *ctx)
{
	struct vgt_bpf_event *r;
	struct vgt_bpf_lost *l;
	__u8 buf[VGT_BPF_EV_MAX];
	long ev = 0, text = 0;
	__u64 n;
	long t;

	if (bpf_usdt_arg(ctx, 0, &ev) || bpf_usdt_arg(ctx, 4, &text))
		goto unreadable;
	/* all of it at once (version 3 is VGT_BPF_EV_MAX bytes); then
	 * `size` says how much of it is the event */
	if (bpf_probe_read_user(buf, sizeof(buf), (const void *)ev)) {
		/* a shorter event at the end of a mapping: its header first */
		__builtin_memset(buf, 0, sizeof(buf));
		if (bpf_probe_read_user(buf, 8, (const void *)ev))
			goto unreadable;
		n = *(__u16 *)(buf + 6);
		if (n > VGT_BPF_EV_MAX)
			n = VGT_BPF_EV_MAX;
		barrier_var(n);
		if (n > 8 && bpf_probe_read_user(buf, n, (const void *)ev))
			goto unreadable;
	}
	r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		l = lost_slot();
		if (l)
			__sync_fetch_and_add(&l->events_full, 1);
		return 0;
	}
	r->kind = VGT_BPF_REC_EVENT;
	__builtin_memcpy(r->ev, buf, sizeof(buf));
	n = *(__u16 *)(buf + 6);
	r->ev_len = n < VGT_BPF_EV_MAX ? n : VGT_BPF_EV_MAX;
	t = bpf_probe_read_user_str(r->text, VGT_BPF_TEXT_MAX, (const void *)text);
	r->text_len = t > 0 ? t - 1 : 0;
	r->text_cut = t == VGT_BPF_TEXT_MAX;
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
unreadable:
	l = lost_slot();
	if (l)
		__sync_fetch_and_add(&l->events_read, 1);
	return 0;
}

SEC("usdt")
int BPF_USDT(vgt_blob, __u64 seq, __u32 index, const void *desc, const void *data, __u32 offset,
	     __u32 len)
{
	struct vgt_bpf_piece *r;
	struct vgt_bpf_lost *l;
	__u8 d[VGT_BPF_DESC];
	__u64 n = len;

	/* the descriptor by the stack (see vgt_event), the data straight
	 * into the record (2048 bytes: more than the stack holds) */
	if (bpf_probe_read_user(d, sizeof(d), desc)) {
		l = lost_slot();
		if (l)
			__sync_fetch_and_add(&l->pieces_read, 1);
		return 0;
	}
	r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		l = lost_slot();
		if (l)
			__sync_fetch_and_add(&l->pieces_full, 1);
		return 0;
	}
	r->kind = VGT_BPF_REC_PIECE;
	r->seq = seq;
	r->index = index;
	r->offset = offset;
	__builtin_memcpy(r->desc, d, sizeof(d));
	if (n > VGT_BPF_PIECE)
		n = VGT_BPF_PIECE;
	barrier_var(n);
	r->len = n;
	if (n && bpf_probe_read_user(r->data, n, data))
		goto unreadable;
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
unreadable:
	bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
	l = lost_slot();
	if (l)
		__sync_fetch_and_add(&l->pieces_read, 1);
	return 0;
}

/* ------------------------------------------- --kernel: gvt tracepoints
 * Raw tracepoints: the arguments of the tracepoint's TP_PROTO (not its
 * stored fields), as the GVT-g sources declare them (docs/PROBES.md).
 * Loaded only with --kernel (src_bpf.c turns autoload off otherwise). */

static __always_inline struct vgt_bpf_kernel *kernel_rec(__u32 tp)
{
	struct vgt_bpf_kernel *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);

	if (!r) {
		struct vgt_bpf_lost *l = lost_slot();

		if (l)
			__sync_fetch_and_add(&l->kernel_full, 1);
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = VGT_BPF_REC_KERNEL;
	r->tp = tp;
	r->ns = bpf_ktime_get_ns();
	return r;
}

static __always_inline void kernel_name(struct vgt_bpf_kernel *r, __u64 p)
{
	if (bpf_probe_read_kernel_str(r->name, VGT_BPF_NAME, (const void *)p) < 0)
		r->name[0] = 0;
}

SEC("raw_tp/inject_msi")
int vgt_k_inject_msi(struct bpf_raw_tracepoint_args *ctx)
{
	struct vgt_bpf_kernel *r = kernel_rec(VGT_BPF_TP_INJECT_MSI);

	if (!r)
		return 0;
	r->id = (__s32)ctx->args[0];
	r->reg = (__u32)ctx->args[1];
	r->new_val = (__u32)ctx->args[2];
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
}

SEC("raw_tp/write_ir")
int vgt_k_write_ir(struct bpf_raw_tracepoint_args *ctx)
{
	struct vgt_bpf_kernel *r = kernel_rec(VGT_BPF_TP_WRITE_IR);

	if (!r)
		return 0;
	r->id = (__s32)ctx->args[0];
	kernel_name(r, ctx->args[1]);
	r->reg = (__u32)ctx->args[2];
	r->new_val = (__u32)ctx->args[3];
	r->old_val = (__u32)ctx->args[4];
	r->changed = (__u32)(ctx->args[5] & 1);
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
}

SEC("raw_tp/propagate_event")
int vgt_k_propagate_event(struct bpf_raw_tracepoint_args *ctx)
{
	struct vgt_bpf_kernel *r = kernel_rec(VGT_BPF_TP_PROPAGATE_EVENT);

	if (!r)
		return 0;
	r->id = (__s32)ctx->args[0];
	kernel_name(r, ctx->args[1]);
	r->id2 = (__s32)ctx->args[2];
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
}

SEC("raw_tp/render_mmio")
int vgt_k_render_mmio(struct bpf_raw_tracepoint_args *ctx)
{
	struct vgt_bpf_kernel *r = kernel_rec(VGT_BPF_TP_RENDER_MMIO);

	if (!r)
		return 0;
	r->id2 = (__s32)ctx->args[0];
	r->id = (__s32)ctx->args[1];
	kernel_name(r, ctx->args[2]);
	r->reg = (__u32)ctx->args[3];
	r->old_val = (__u32)ctx->args[4];
	r->new_val = (__u32)ctx->args[5];
	bpf_ringbuf_submit(r, submit_flags(sizeof(*r)));
	return 0;
}
