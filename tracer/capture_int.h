/* SPDX-License-Identifier: MIT */
/*
 * Capture from outside the mediator's process (tracer/, private): the
 * pieces the eBPF source, the tracefs source and the trace-cmd import
 * share.
 *
 *   probes (mediator/probes.h, docs/PROBES.md)
 *      -> a source: BPF ring buffer (src_bpf.c), tracefs uprobe events
 *         (src_tracefs.c), a trace-cmd file (import.c)
 *      -> the assembler (assemble.c): blob pieces + event = one med_event
 *      -> a tr_recorder, merging by seq (dseq 0), gaps become losses
 *
 * The event probe's record carries the emitter's struct med_event bytes
 * (its pointers are meaningless here), its text and its seq; each piece of
 * each of its blobs arrives before it, from the same thread.
 */
#ifndef VGT_TRACER_CAPTURE_INT_H
#define VGT_TRACER_CAPTURE_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mediator/mediator.h"
#include "tracer/tracer.h"

/* Names of the tracefs uprobe events for the two probes (docs/PROBES.md,
 * "tracefs"): GROUP/event and GROUP/blob, with these fields.  The import
 * of a trace-cmd file finds them by these names in any group. */
#define TRA_EV_EVENT "event"
#define TRA_EV_BLOB  "blob"
/* event: type u32, vgpu u32, seq u64, ev x64[20] (struct med_event, 160
 * bytes), text ustring, nblobs u32.
 * blob: seq u64, index u32, desc x64[3] (struct med_blob's first 24
 * bytes: kind, as, pad, len, addr, gpa), offset u32, len u32,
 * data0..data3 x64[64] (MED_PROBE_PIECE bytes). */
#define TRA_PIECE       2048u /* MED_PROBE_PIECE: a piece's bytes at most */
#define TRA_EVENT_WORDS 20
#define TRA_DESC_WORDS  3
#define TRA_DATA_FIELDS 4
#define TRA_DATA_WORDS  64

/* ---------------------------------------------------------- the assembler */

struct tr_asm;

struct tra_stats {
	uint64_t events;        /* events handed to the recorder (not those still held) */
	uint64_t pieces;        /* blob pieces taken */
	uint64_t bad;           /* records refused as malformed (counted, skipped) */
	uint64_t incomplete;    /* events whose blobs lacked a piece (MED_EVF_BLOBS_DROPPED) */
	uint64_t orphans;       /* events whose pieces came but not the event (given up) */
	uint64_t late;          /* events that came after their place was declared lost
				 * (or twice): not written */
	uint64_t lost_events;   /* reported by the source (tra_lost) */
	uint64_t lost_pieces;
};

/* The assembler feeds `rec` (which it does not own; NULL: set it with
 * tra_set_recorder before the first event). */
int tra_open(struct tr_recorder *rec, struct tr_asm **out);
void tra_set_recorder(struct tr_asm *a, struct tr_recorder *rec);
void tra_close(struct tr_asm *a);
void tra_stats(const struct tr_asm *a, struct tra_stats *out);

/* One blob piece: `desc` is struct med_blob's first 24 bytes (kind, as,
 * len, addr, gpa) as the emitter laid them out; data[0..n) the bytes at
 * `offset` of that blob.  Malformed (offset + n > len, len over the cap,
 * index over MED's blob limit) -> -EPROTO, counted in `bad`. */
int tra_piece(struct tr_asm *a, uint64_t seq, uint32_t index, const void *desc, uint32_t offset,
	      const void *data, uint32_t n);
/* One event: `ev` the emitter's struct med_event bytes (len <= its size),
 * text[0..text_len) its text (no NUL needed).  Its pieces, if any, were
 * taken before; the event goes to the recorder with its blobs. */
int tra_event(struct tr_asm *a, const void *ev, size_t len, const char *text, size_t text_len);
/* Events wait in a reorder buffer (two threads' events may reach a ring
 * out of seq order) until their turn: tra_tick hands over those that
 * waited long enough (call it after every poll), tra_flush all of them
 * (at the end, before closing the recorder: pieces still waiting for an
 * event are orphans then). */
void tra_tick(struct tr_asm *a);
void tra_flush(struct tr_asm *a);
/* What the source knows it lost (ring-buffer overruns): counted; the
 * seqs that never arrive become the recorder's gap losses, and at close
 * the events lost beyond those are written as one TR_LOSS_SOURCE record. */
void tra_lost(struct tr_asm *a, uint64_t events, uint64_t pieces);

/* The tep side (tep_map.c): a record of GROUP/event or GROUP/blob (any
 * group), parsed by field name from the event's format.  1: taken, 0: not
 * one of ours, negative: malformed. */
struct tep_event;
struct tep_record;
int tra_from_tep(struct tr_asm *a, struct tep_event *e, struct tep_record *r);
/* A __data_loc / __rel_loc field's bytes, checked to lie inside the record
 * (libtraceevent's tep_get_field_raw does not check); NULL if they do not. */
const void *tra_tep_dynamic(struct tep_event *e, struct tep_record *r, const char *name, size_t *len);

/* ------------------------------------------------------------ the sources */

struct trs_target {
	pid_t pid;              /* the traced process (started by tr_capture or given) */
	const char *binary;     /* the executable holding the probes (absolute path) */
	size_t buffer_bytes;    /* 0: the source's default */
	int kernel;             /* BPF: gvt/i915 tracepoints instead of the probes */
	char *errbuf;
	size_t errbuf_len;
};

/* A source: attach, then poll until the traced process is gone or a stop
 * is asked, then drain what is buffered, then detach (also after errors:
 * it removes everything it created). */
struct trs_ops {
	const char *name;
	int (*attach)(const struct trs_target *t, struct tr_asm *a, void **state);
	/* up to timeout_ms; returns records taken (>= 0) or a negative errno */
	int (*poll)(void *state, int timeout_ms);
	int (*drain)(void *state);
	void (*detach)(void *state);
};
extern const struct trs_ops trs_bpf_ops;
extern const struct trs_ops trs_tracefs_ops;

#endif /* VGT_TRACER_CAPTURE_INT_H */
