/* SPDX-License-Identifier: MIT */
/*
 * The records vgt_usdt.bpf.c puts on its BPF ring buffer and src_bpf.c
 * takes off it (tracer/, private).  Both sides include this header: it
 * needs nothing but <linux/types.h>, and every record has a fixed size
 * (a BPF ring reservation is a constant) with its fields at the same
 * offsets on both sides (naturally aligned, explicit padding).
 *
 * Each record starts with its kind (u32).  The ring keeps the order in
 * which records were reserved; a thread's blob pieces come before its
 * event, but two threads' records interleave.
 */
#ifndef VGT_TRACER_BPF_VGT_USDT_H
#define VGT_TRACER_BPF_VGT_USDT_H

#include <linux/types.h>

#define VGT_BPF_EV_MAX   160u  /* struct med_event's bytes read at most (version 3: all) */
#define VGT_BPF_TEXT_MAX 256u  /* an event's text, NUL included: longer ones are cut */
#define VGT_BPF_DESC     24u   /* struct med_blob's first 24 bytes: kind, as, pad, len, addr, gpa */
#define VGT_BPF_PIECE    2048u /* MED_PROBE_PIECE */
#define VGT_BPF_NAME     16u   /* a kernel tracepoint's short name (register, interrupt) */

enum vgt_bpf_kind {
	VGT_BPF_REC_EVENT = 1,  /* struct vgt_bpf_event: the vgt:event probe */
	VGT_BPF_REC_PIECE = 2,  /* struct vgt_bpf_piece: the vgt:blob probe */
	VGT_BPF_REC_KERNEL = 3, /* struct vgt_bpf_kernel: a gvt tracepoint (--kernel) */
};

/* vgt:event.  ev[0..ev_len) are the emitter's struct med_event bytes
 * (ev_len = its `size`, capped at VGT_BPF_EV_MAX); text[0..text_len) its
 * text without the NUL (text_cut: it was longer). */
struct vgt_bpf_event {
	__u32 kind;
	__u32 ev_len;
	__u32 text_len;
	__u32 text_cut;
	__u8 ev[VGT_BPF_EV_MAX];
	char text[VGT_BPF_TEXT_MAX];
};

/* vgt:blob: one piece of blob `index` of event `seq`, data[0..len) the
 * blob's bytes at `offset`. */
struct vgt_bpf_piece {
	__u32 kind;
	__u32 index;
	__u64 seq;
	__u32 offset;
	__u32 len;
	__u8 desc[VGT_BPF_DESC];
	__u8 data[VGT_BPF_PIECE];
};

/* The gvt tracepoints --kernel attaches to (raw tracepoints: their
 * TP_PROTO arguments, docs/PROBES.md "The eBPF source"). */
enum vgt_bpf_tp {
	VGT_BPF_TP_INJECT_MSI = 1,  /* (int id, u32 address, u32 data) */
	VGT_BPF_TP_WRITE_IR,        /* (int id, char *reg_name, u32 reg, u32 new_val, u32 old_val, bool changed) */
	VGT_BPF_TP_PROPAGATE_EVENT, /* (int id, const char *irq_name, int bit) */
	VGT_BPF_TP_RENDER_MMIO,     /* (int old_id, int new_id, char *action, u32 reg, u32 old_val, u32 new_val) */
};

struct vgt_bpf_kernel {
	__u32 kind;
	__u32 tp;       /* enum vgt_bpf_tp */
	__u64 ns;       /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__s32 id;       /* the vGPU (render_mmio: the one switched to) */
	__s32 id2;      /* render_mmio: the one switched from; propagate_event: the bit */
	__u32 reg;      /* write_ir, render_mmio; inject_msi: the MSI address */
	__u32 new_val;  /* inject_msi: the MSI data */
	__u32 old_val;
	__u32 changed;
	char name[VGT_BPF_NAME]; /* register, interrupt or action name (NUL-terminated) */
};

/* What could not reach the ring, per CPU (the map "lost", one slot):
 * user space sums the CPUs.  *_full: no room (the ring was full);
 * *_read: the emitter's memory could not be read (record discarded). */
struct vgt_bpf_lost {
	__u64 events_full;
	__u64 pieces_full;
	__u64 events_read;
	__u64 pieces_read;
	__u64 kernel_full;
};

#endif /* VGT_TRACER_BPF_VGT_USDT_H */
