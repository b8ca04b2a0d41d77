/* SPDX-License-Identifier: MIT */
/*
 * The trace-cmd import (tracer/, private): what import.c shares with the
 * mapping of a GVT-g host's tracepoints (import_host.c) and what the unit
 * tests reach.  docs/PROBES.md "Importing a GVT-g host's trace" is the
 * mapping in words.
 *
 * A host's gvt:* and i915:* records become med_events numbered by the
 * importer (seq 1, 2, ... in the order they are emitted; time = the
 * record's trace-clock timestamp), every one flagged TR_EVF_IMPORTED.
 * gvt_command records are grouped: consecutive commands of one workload,
 * one buffer, at consecutive addresses, with no other mapped record in
 * between, become one SCAN event whose blob is their dwords; so a scan is
 * emitted when the next mapped record (or a loss, or the end) shows that
 * it ended, and seq order never contradicts time order.
 */
#ifndef VGT_TRACER_IMPORT_INT_H
#define VGT_TRACER_IMPORT_INT_H

#include <stdint.h>

#include "mediator/mediator.h"
#include "tracer/tracer.h"

struct tep_handle;
struct tep_event;
struct tep_record;

/* The host events the mapping knows, by what they become. */
enum tri_host_kind {
	TRI_H_NONE = 0,
	TRI_H_GVT_COMMAND,   /* gvt:gvt_command -> SCAN (runs of commands) */
	TRI_H_WRITE_IR,      /* gvt:write_ir -> MMIO_WRITE */
	TRI_H_INJECT_MSI,    /* gvt:inject_msi -> IRQ */
	TRI_H_PROPAGATE,     /* gvt:propagate_event -> TRIGGER */
	TRI_H_RENDER_MMIO,   /* gvt:render_mmio -> SCHED_SWITCH (once per switch) */
	TRI_H_REQ_ADD,       /* i915:i915_request_add (i915_gem_request_add) -> DISPATCH */
	TRI_H_REQ_RETIRE,    /* i915:i915_request_retire (i915_gem_request_retire) -> COMPLETE */
	TRI_H_COUNT
};
/* The kind of an event by system and name (TRI_H_NONE: not mapped). */
enum tri_host_kind tri_host_kind_of(const struct tep_event *e);
/* The med_event types the host events whose formats tep holds can
 * produce (MED_EV_BIT), for the log header's `types`. */
uint64_t tri_host_types(struct tep_handle *tep);

/* GVT's ring_id -> enum scan_engine (-1: none), for ids 0..TRI_RINGS-1. */
#define TRI_RINGS 16

/* Called with each event in seq order; its text and blobs are valid only
 * during the call.  Non-zero stops the mapping and is returned. */
typedef int (*tri_emit_fn)(void *ctx, const struct med_event *ev);

struct tri_host_stats {
	uint64_t records;                 /* records handed in */
	uint64_t mapped;                  /* ... used */
	uint64_t bad;                     /* ... of a mapped event but malformed (skipped) */
	uint64_t by_kind[TRI_H_COUNT];    /* used, by kind */
	uint64_t events;                  /* events emitted */
	uint64_t commands;                /* gvt_command records in SCAN events */
};

struct tri_host;
/* rings: TRI_RINGS entries, NULL for the default (docs/PROBES.md). */
int tri_host_new(const int8_t *rings, tri_emit_fn emit, void *ctx, struct tri_host **out);
void tri_host_free(struct tri_host *h);
/* One record: 1 used, 0 not a host event the mapping knows, -EPROTO
 * malformed (counted, nothing emitted), or emit's error, -ENOMEM. */
int tri_host_record(struct tri_host *h, struct tep_event *e, struct tep_record *r);
/* Ends what is open (the scan being grouped): before a loss record and at
 * the end.  0 or emit's error. */
int tri_host_flush(struct tri_host *h);
void tri_host_stats(const struct tri_host *h, struct tri_host_stats *out);
/* The seq the next emitted event gets (a loss record's place). */
uint64_t tri_host_next_seq(const struct tri_host *h);

#endif /* VGT_TRACER_IMPORT_INT_H */
