/* SPDX-License-Identifier: MIT */
/*
 * The mediator's USDT probes (provider "vgt"), documented for tracers in
 * docs/PROBES.md.  Private to mediator/: a tracer finds them in the ELF
 * notes (.note.stapsdt), never through this header.
 *
 * Each probe has a semaphore that a tracer raises while it is attached
 * (libbpf through the uprobe's ref_ctr_offset, tracefs through the
 * "(OFFSET)" suffix).  Unattached, a probe site costs the load and the
 * test of VGT_PROBE_ON(); attached, the mediator builds and emits every
 * event type in MED_PROBE_TYPES as if a subscriber wanted it.
 *
 * Built with -DVGT_NO_PROBES, the probes and their notes are compiled out
 * (bench/ compares the two builds).
 */
#ifndef VGT_MEDIATOR_PROBES_H
#define VGT_MEDIATOR_PROBES_H

#include <stdint.h>

#include "mediator/mediator.h"

/* What an attached "event" probe makes the mediator emit: everything but
 * the digests, which cost time in proportion to guest memory (what
 * `vgt sim --record` records by default, so the sources agree). */
#define MED_PROBE_TYPES (MED_EV_ALL & ~MED_EV_BIT(MED_EV_DIGEST))

/* A blob reaches the "blob" probe in pieces of at most this many bytes,
 * and `data` always points at this many readable bytes (a tracefs uprobe
 * fetches fixed-size arrays: a short last piece is copied, zero-padded). */
#define MED_PROBE_PIECE 2048u

#ifdef VGT_NO_PROBES

#define VGT_PROBE_ON(name) 0
#define VGT_PROBE_EVENT(ev, type, vgpu, seq, text, nblobs) ((void)0)
#define VGT_PROBE_BLOB(seq, index, desc, data, offset, len) ((void)0)

#else

/* Registers only: libbpf's USDT support rejects RIP-relative operands,
 * and a register operand is what tracefs fetches most simply. */
#define STAP_SDT_ARG_CONSTRAINT nr
#define _SDT_HAS_SEMAPHORES 1
/* The semaphores: 16-bit counters in .probes, raised by the kernel in
 * every process mapping the binary while a probe is enabled. */
extern unsigned short vgt_event_semaphore;
extern unsigned short vgt_blob_semaphore;
#include <sys/sdt.h>

#define VGT_PROBE_ON(name) \
	__builtin_expect(*(volatile unsigned short *)&vgt_##name##_semaphore != 0, 0)
#define VGT_PROBE_EVENT(ev, type, vgpu, seq, text, nblobs) \
	STAP_PROBE6(vgt, event, ev, type, vgpu, seq, text, nblobs)
#define VGT_PROBE_BLOB(seq, index, desc, data, offset, len) \
	STAP_PROBE6(vgt, blob, seq, index, desc, data, offset, len)

#endif

#endif /* VGT_MEDIATOR_PROBES_H */
