/* SPDX-License-Identifier: MIT */
/*
 * tracer — the event log (.vgtl) and the ways events get into it.
 *
 * The one public header of tracer/.  Three pieces, each usable alone:
 *
 *  - the writer (tr_writer_*): takes events in seq order from any source
 *    (the in-process recorder below, the eBPF and trace-event sources, an
 *    importer) and writes the log: a file header, then self-delimiting
 *    chunks (events, blobs, losses), each one zstd frame with a content
 *    checksum, then an index and a footer on clean close.  Blobs (guest
 *    pages, context pages, shadows) are stored once per log, keyed by
 *    XXH3-128 of their bytes.  One thread at a time.
 *  - the reader (tr_reader_*): iterates a log in order, seeks by seq or
 *    time, fetches blobs by key.  Distrusts the file: a log cut at any byte
 *    or corrupted anywhere reads back every complete, valid chunk, and
 *    tr_reader_health() says what was recovered and what was lost.  It
 *    never needs the index (it scans forward when there is none).
 *  - the in-process recorder (tr_recorder_*): a mediator event-bus
 *    subscriber (tr_recorder_event is a med_event_fn).  The emitting thread
 *    copies the event into its own lock-free ring; one writer thread merges
 *    the rings in seq order, encodes, compresses and writes.  Lossless by
 *    default (a full ring makes its emitter wait); TR_RECORD_DROP drops
 *    instead, and every dropped event becomes part of a loss record.
 *
 * The byte-level format is docs/LOG-FORMAT.md.  The tracer knows events
 * (mediator.h's struct med_event), not the mediator's internals; the
 * mediator knows nothing of the log.
 *
 * Conventions (all of vgt): 0 or a negative errno; options structs start
 * with their own size (fields past `sz` read as zero, zero means
 * "default"); errors that need words go to the caller's errbuf, naming the
 * file and what is wrong with it.
 */
#ifndef VGT_TRACER_H
#define VGT_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "mediator/mediator.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

#define TR_LOG_VERSION 1          /* the format version this code writes and reads */

/* A blob's key: XXH3-128 of its bytes (lo = low64, hi = high64). */
struct tr_key {
	uint64_t lo, hi;
};
/* The key of len bytes. */
struct tr_key tr_blob_key(const void *data, size_t len);

/* ============================================================ the header */

/* Where a log's events came from. */
enum tr_source {
	TR_SOURCE_UNKNOWN = 0,
	TR_SOURCE_INPROC,            /* the in-process recorder (vgt sim --record) */
	TR_SOURCE_BPF,               /* eBPF on the mediator's USDT probes */
	TR_SOURCE_TRACEFS,           /* uprobe / trace events read through tracefs */
	TR_SOURCE_IMPORT,            /* converted from another format (trace-cmd) */
	TR_SOURCE_CAPTURE,           /* a real driver on the fake render node */
};
const char *tr_source_name(enum tr_source s); /* "in-process", "bpf", ... */

/*
 * What the log says about itself: the file header, as the writer was given
 * it and as the first events filled it in (the mediator's configuration
 * and the vGPUs that existed when recording began — the CONFIG and
 * VGPU_CREATE events before the first other event; every later vGPU is in
 * the event stream).  Strings are NUL-terminated and owned by the reader.
 */
struct tr_log_info {
	uint32_t version;            /* format version of the file */
	uint32_t event_version;      /* MED_EVENT_VERSION of the events */
	enum tr_source source;
	unsigned gen;                /* GPU generation (8, 9); 0: unknown */
	uint64_t types;              /* event types the source can record (MED_EV_BIT) */
	uint64_t created_ns;         /* wall clock (Unix ns) when the log was opened */
	const char *tool_version;    /* "vgt 0.1.0-..." */
	const char *cmdline;         /* the command that recorded it */
	const char *clock;           /* "virtual" (mediator ns), "monotonic", ... */
	const char *host;            /* host name, or "" */
	bool has_config;
	struct med_event config;     /* MED_EV_CONFIG (blobs, text: none) */
	unsigned nvgpus;
	struct med_event vgpus[MED_MAX_VGPUS]; /* MED_EV_VGPU_CREATE, in id order */
};

/* ============================================================ the writer */

struct tr_writer;

struct tr_writer_opts {
	size_t sz;                   /* sizeof(struct tr_writer_opts) */
	enum tr_source source;       /* 0: TR_SOURCE_UNKNOWN */
	const char *tool_version;    /* NULL: "" */
	const char *cmdline;         /* NULL: "" */
	const char *clock;           /* NULL: "virtual" */
	uint64_t types;              /* what the source can record; 0: every type */
	int level;                   /* zstd level; 0: 1 */
	uint32_t chunk_events;       /* events per chunk at most; 0: 65536 */
	uint32_t chunk_bytes;        /* encoded bytes per chunk at most; 0: 1 MiB */
	bool sync;                   /* fsync after every chunk and on close */
	char *errbuf;                /* optional: why an operation failed; written by any
				      * later call, so it must live as long as the writer */
	size_t errbuf_len;
};

/* Creates (truncates) the log at path and writes the file header's fixed
 * part.  -EINVAL bad options, -E2BIG an options struct larger than this
 * version knows with non-zero bytes past it, open's errno, -EIO (the
 * preamble's write failed), -ENOMEM. */
int tr_writer_open(const char *path, const struct tr_writer_opts *opts, struct tr_writer **out);
/* The same on an open file descriptor (a pipe is fine: the writer never
 * seeks); the writer does not close it.  The fd must be at offset 0 of an
 * empty file (or be a pipe read from its start): the log's offsets (index,
 * footer) count the bytes the writer wrote, so a log written after other
 * bytes has an index no reader accepts (it reads as an unclosed log). */
int tr_writer_fdopen(int fd, const struct tr_writer_opts *opts, struct tr_writer **out);

/*
 * Appends one event.  Events must come in increasing seq; an event whose
 * seq is not above the last one is still written (the reader returns it
 * where it was written) and counted in tr_write_stats.out_of_order.  The
 * event's blobs are hashed; bytes seen before are stored as a reference
 * only.  A blob with data == NULL is written as missing (its key is zero).
 * The writer copies what it needs.  -EIO (errbuf: the system's reason;
 * the log stays readable up to its last chunk), -EINVAL, -ENOMEM.
 */
int tr_writer_event(struct tr_writer *w, const struct med_event *ev);

/* A loss record: `count` events were not recorded.  Placed in the stream
 * where the loss happened (between the events around it). */
struct tr_loss {
	uint32_t thread;             /* which emitter (recorder ring), or source-defined */
	uint32_t reason;             /* enum tr_loss_reason */
	uint64_t count;              /* events lost */
	uint64_t first_seq, last_seq;/* seqs of the first and last lost one; 0: unknown */
	uint64_t bytes;              /* bytes lost, when known */
};
enum tr_loss_reason {
	TR_LOSS_RING_FULL = 1,       /* TR_RECORD_DROP: the emitter's ring was full */
	TR_LOSS_SOURCE,              /* the source said so (a BPF ring-buffer overrun, ...) */
	TR_LOSS_SEQ_GAP,             /* seqs never arrived (an event nobody handed over) */
	TR_LOSS_NO_MEMORY,           /* the recorder could not copy the event (no memory, or
				      * over 2 GiB): lost also in lossless mode */
};
const char *tr_loss_reason_name(unsigned r); /* "ring-full", "source", "seq-gap", "no-memory" */
int tr_writer_loss(struct tr_writer *w, const struct tr_loss *loss);

/* Writes what is buffered as chunks now (blobs first, then events).  While
 * the setup events (CONFIG and the VGPU_CREATEs before the first event of
 * another type) are still coming, it writes nothing: they all go into the
 * HEADER chunk, whenever flushes come. */
int tr_writer_flush(struct tr_writer *w);

struct tr_write_stats {
	size_t sz;
	uint64_t events, losses, lost_events;
	uint64_t out_of_order;       /* events written below an earlier seq */
	uint64_t chunks;             /* of every kind */
	uint64_t event_chunks, blob_chunks;
	uint64_t raw_bytes;          /* event records as encoded, before compression: stored
				      * blobs' contents excluded, inline blobs' bytes (at most
				      * 64 each) included */
	uint64_t event_bytes;        /* event chunks as written (headers included) */
	uint64_t blob_refs;          /* blobs attached to events */
	uint64_t blob_ref_bytes;     /* ... and their lengths, every blob: inline (<= 64
				      * bytes) and missing ones too, so blob_ref_bytes /
				      * blob_bytes overstates dedup by the inline bytes */
	uint64_t blobs;              /* distinct blobs stored */
	uint64_t blob_bytes;         /* ... their bytes before compression */
	uint64_t file_bytes;         /* everything written, so far */
};
int tr_writer_stats(const struct tr_writer *w, struct tr_write_stats *out);

/* Flushes, writes the index and the footer, (with opts.sync) fsyncs,
 * closes the file and frees the writer (always, also on error).  `st`
 * (optional) receives the final statistics.  0, -EIO (a write, fsync or
 * close failed, or compression failed; or an earlier call's error), or
 * -ENOMEM (buffers for the last chunks).  A log with more chunks than an
 * index holds (1.4 million), or whose index could not grow, gets neither
 * index nor footer: it is valid and read by scanning, but not "closed". */
int tr_writer_close(struct tr_writer *w, struct tr_write_stats *st);

/* ============================================================ the reader */

struct tr_reader;

struct tr_reader_opts {
	size_t sz;                   /* sizeof(struct tr_reader_opts) */
	bool no_blobs;               /* never load blob bytes (events still list their blobs;
				      * the keys of those not inline are then zero) */
	size_t blob_cache;           /* bytes of decompressed blob chunks kept (plus the one
				      * chunk being read); 0: 64 MiB.  Also the most bytes of
				      * stored blobs one record hands out (they are copied out
				      * of the cache, valid until the next next/seek/rewind):
				      * the blobs past it have data NULL and count in
				      * tr_health.blobs_missing (their key is kept) */
	char *errbuf;                /* why open failed */
	size_t errbuf_len;
};

/* Opens a log: reads and checks the file header (a file that is not a
 * .vgtl log is -EPROTO "not a vgt log"; another format version -EPROTONOSUPPORT),
 * finds the footer and index if there is a valid one.  A log with a
 * damaged header still opens (info says what is unknown).  open's errno,
 * -EISDIR, -EINVAL "not a regular file" (a FIFO, a device), -EPROTO
 * "empty: not a vgt log" (a file of 0 bytes), -ENOMEM. */
int tr_reader_open(const char *path, const struct tr_reader_opts *opts, struct tr_reader **out);
void tr_reader_close(struct tr_reader *r);
const struct tr_log_info *tr_reader_info(const struct tr_reader *r);

enum tr_record_kind {
	TR_REC_EVENT = 1,
	TR_REC_LOSS,
};

/* One record of the stream.  Valid until the next call on the reader. */
struct tr_record {
	enum tr_record_kind kind;
	/* TR_REC_EVENT: the event as it was given to the writer.  Its blobs'
	 * data point at the bytes (NULL when they are not available: no_blobs,
	 * a blob chunk lost, or recorded missing); text is NULL or the text. */
	struct med_event ev;
	const struct tr_key *keys;   /* ev.nblobs keys, parallel to ev.blobs; zero where
				      * data is NULL (the key of a stored blob is read
				      * from its blob chunk) */
	struct tr_loss loss;         /* TR_REC_LOSS */
	uint64_t offset;             /* file offset of the chunk it came from */
};

/* The next record in file order: 1 and *rec, 0 at the end, or a negative
 * errno for an I/O error (corruption is not an error: the damaged chunk is
 * skipped and reported in tr_reader_health()). */
int tr_reader_next(struct tr_reader *r, const struct tr_record **rec);
/* Positions the reader so that the next event returned is the first whose
 * seq (time) is >= the argument.  Uses the index when there is one, else
 * chunk headers.  0 (also when nothing is that late: next returns 0). */
int tr_reader_seek_seq(struct tr_reader *r, uint64_t seq);
int tr_reader_seek_time(struct tr_reader *r, uint64_t ns);
int tr_reader_rewind(struct tr_reader *r);

/* The bytes of the blob `key`: 0, *data (valid until the reader is closed
 * or its cache evicts it: the next call on the reader) and *len; -ENOENT
 * when the log has no such blob (or its chunk was lost). */
int tr_reader_blob(struct tr_reader *r, const struct tr_key *key, const void **data, uint32_t *len);

/* One damaged or missing stretch of the file. */
struct tr_problem {
	uint64_t offset;             /* file offset where it starts */
	uint64_t bytes;              /* bytes skipped */
	uint64_t events;             /* events known to be lost (from a chunk header), else 0 */
	uint64_t first_seq, last_seq;/* their seqs when known, else 0 */
	char what[120];              /* "chunk payload fails its checksum", "log ends inside a chunk", ... */
};

/* What reading the file has found so far (complete once next returned 0). */
struct tr_health {
	size_t sz;
	uint64_t file_bytes;
	uint64_t chunks_ok;          /* valid chunks read, every kind (with no_blobs, blob
				      * chunks are not read: they are not counted here) */
	uint64_t event_chunks;       /* valid event and loss chunks read */
	uint64_t blob_chunks;        /* blob chunks passed: valid ones, or with no_blobs
				      * those whose header is valid (payload unchecked) */
	uint64_t chunks_bad;         /* chunks skipped: corrupt header or payload */
	uint64_t bytes_skipped;      /* bytes not part of a valid chunk */
	uint64_t events;             /* events of the valid event chunks read (health counts
				      * each chunk once, whole, when it loads, whatever the
				      * seeks; so do losses, lost_events) */
	uint64_t events_lost;        /* in skipped chunks, as their headers said */
	uint64_t losses, lost_events;/* loss records read, and the events they count */
	uint64_t blobs_missing;      /* blob references whose bytes are not in the log */
	bool header_ok;              /* the file header was read and is valid */
	bool closed;                 /* a valid footer and index: the writer closed it */
	bool truncated;              /* the file ends inside a chunk */
	unsigned nproblems;          /* problems found (the first TR_MAX_PROBLEMS are kept) */
};
#define TR_MAX_PROBLEMS 64
int tr_reader_health(const struct tr_reader *r, struct tr_health *out);
/* Problem i (< min(nproblems, TR_MAX_PROBLEMS)); NULL past the end. */
const struct tr_problem *tr_reader_problem(const struct tr_reader *r, unsigned i);

/* What the file holds, from chunk headers only (no decompression of event
 * payloads): for stat and seeking.  0 or an I/O error. */
struct tr_chunk_info {
	uint64_t offset;
	unsigned kind;               /* TR_CHUNK_* */
	uint32_t count;              /* events / blobs / entries */
	uint32_t stored_bytes;       /* compressed payload */
	uint32_t raw_bytes;          /* decompressed payload */
	uint64_t first_seq, last_seq, first_time, last_time;
	uint64_t wall_ns;            /* when the writer wrote it (Unix ns) */
};
enum tr_chunk_kind {
	TR_CHUNK_HEADER = 1,
	TR_CHUNK_EVENTS,
	TR_CHUNK_BLOBS,
	TR_CHUNK_LOSS,
	TR_CHUNK_INDEX,
};
/* Calls fn for every chunk whose header is valid, in file order (it does
 * not move the reader's position).  fn returning non-zero stops the walk
 * and is returned.  0, or an I/O error. */
int tr_reader_chunks(struct tr_reader *r, int (*fn)(void *ctx, const struct tr_chunk_info *c),
		     void *ctx);

/* ========================================================== the recorder */

struct tr_recorder;

enum tr_record_mode {
	TR_RECORD_LOSSLESS = 0,      /* a full ring makes its emitter wait */
	TR_RECORD_DROP,              /* a full ring drops the event (counted, logged) */
};
/* "lossless", "drop"; -EINVAL. */
int tr_record_mode_parse(const char *s, enum tr_record_mode *out);

struct tr_recorder_opts {
	size_t sz;                   /* sizeof(struct tr_recorder_opts) */
	struct tr_writer_opts writer;/* its errbuf is unused: see below */
	enum tr_record_mode mode;
	size_t ring_bytes;           /* per emitting thread; 0: 4 MiB; 4 KiB..1 GiB, rounded
				      * down to a power of two */
	unsigned max_threads;        /* rings (one per emitting thread); 0: 64, at most 1024;
				      * more threads share one ring under a lock */
	uint32_t flush_ms;           /* a chunk at least this often; 0: 100 */
	uint32_t gap_ms;             /* wait this long for a missing one (seq, or the bus's
				      * gapless dseq: then only a thread descheduled this
				      * long between numbering and delivery); 0: 1000 */
	uint64_t writer_delay_ns;    /* testing: the writer sleeps this long per event */
	char *errbuf;                /* optional; written at open and at close, so it must
				      * live until tr_recorder_close returns */
	size_t errbuf_len;
	bool ordered;                /* events come in seq order from one thread (an outside
				      * source that orders them itself): a hole in the seqs
				      * is a loss at once, gap_ms is not waited */
};

/* Opens the log and starts the writer thread.  Errors as tr_writer_open. */
int tr_recorder_open(const char *path, const struct tr_recorder_opts *opts, struct tr_recorder **out);
/* The subscriber: pass it with the recorder as ctx (med_opts.event,
 * sim_opts.event or med_subscribe, mask MED_EV_ALL). */
void tr_recorder_event(void *ctx, const struct med_event *ev);

struct tr_record_stats {
	size_t sz;
	struct tr_write_stats w;     /* what the writer wrote */
	uint64_t received;           /* events handed to tr_recorder_event */
	uint64_t dropped;            /* TR_RECORD_DROP: events dropped */
	uint64_t waits;              /* TR_RECORD_LOSSLESS: times an emitter waited for room
				      * (TR_RECORD_DROP: for room for a drop's tombstone, when
				      * even the ring's reserve was full) */
	uint64_t gaps;               /* seqs declared missing after gap_ms (TR_LOSS_SEQ_GAP
				      * records, thread UINT32_MAX) */
	unsigned threads;            /* emitting threads seen */
	int error;                   /* the writer's first error (0: none) */
};
int tr_recorder_stats(struct tr_recorder *r, struct tr_record_stats *out);
/* For a source outside the process (vgt record): how many events it knows
 * it lost in all (its ring buffer's overruns).  The seqs that never arrive
 * become gap losses; at close, the events lost beyond those (at the end,
 * where no later seq shows the hole) are written as one TR_LOSS_SOURCE
 * record, so the log's losses add up to what the source counted. */
void tr_recorder_source_lost(struct tr_recorder *r, uint64_t events_total);
/* Stops accepting events (later ones are counted as dropped), drains the
 * rings, closes the log, stops the thread, frees.  Unsubscribe first.
 * 0 or the writer's first error (errbuf says it). */
int tr_recorder_close(struct tr_recorder *r, struct tr_record_stats *st);

/* ================================================ reading a log for people
 * (tracer/format.c, tracer/stat.c, tracer/export.c: what vgt stat, dump and
 * export print, reachable without the CLI) */

/* One event as one text line (no newline): "SEQ TIME vN ENGINE TYPE" then
 * the payload's meaningful fields as key=value, flags, err=-ENAME, blobs=N
 * and the text after " -- ".  TIME is the virtual clock in seconds with
 * nanoseconds.  Into buf[0..len) (NUL-terminated, truncated when short);
 * returns the length the whole line needs, like snprintf.  No allocation. */
size_t tr_event_format(char *buf, size_t len, const struct med_event *ev);
/* A loss record as one text line, the same way. */
size_t tr_loss_format(char *buf, size_t len, const struct tr_loss *loss);
/*
 * One record as one JSON object (no newline), stable keys:
 * {"seq","time","vgpu","engine","type","err","flags", the payload's fields
 * by type, "blobs":[{"kind","as","addr","gpa","len","key"}], "text"} for an
 * event; {"type":"loss","thread","reason","count","first_seq","last_seq",
 * "bytes"} for a loss.  seq, time (ns), ids, counts and sizes are numbers;
 * addresses, register values, descriptors, entries and digests are hex
 * strings (vgt_json_hex: no reader loses bits to a double).  Same buffer
 * contract as tr_event_format.
 */
size_t tr_record_json(char *buf, size_t len, const struct tr_record *rec);

/* Prints the commands of a command buffer blob (a MED_BLOB_SHADOW of a
 * scan event), one line each, through the scanner's decoder: "INDENT
 * GMA:  HEADER  NAME  N dw  operands"; runs of MI_NOOP as one line; stops
 * at a truncated command.  gen 8 or 9 (0: 9), engine enum scan_engine.
 * Returns the commands printed, or -EIO (the stream failed), -EINVAL. */
int tr_decode_blob(FILE *f, unsigned gen, int engine, const struct med_blob *b,
		   const char *indent);

/* What vgt stat reports: one pass over the records and the chunk headers. */
struct tr_vgpu_stats {
	uint64_t events;
	uint64_t mmio_reads, mmio_writes, cfg_reads, cfg_writes;
	uint64_t mmio_refused;        /* MMIO_* and GGTT_WRITE events with err != 0 */
	uint64_t ggtt_writes;         /* GGTT_WRITE events with err == 0 (the counter's meaning) */
	uint64_t pt_writes;           /* PT_WRITE events but those of a dying vGPU (-ENODEV) */
	uint64_t submissions, workloads, scans, rejections, dispatches, completions;
	uint64_t hangs, faults, escapes, failsafe;
};
struct tr_log_stats {
	size_t sz;
	uint64_t events, losses, lost_events;
	uint64_t by_type[MED_EV_TYPE_COUNT + 1]; /* [MED_EV_TYPE_COUNT]: unknown types */
	uint64_t by_vgpu_events[MED_MAX_VGPUS + 1]; /* [0]: no vGPU */
	struct tr_vgpu_stats vgpu[MED_MAX_VGPUS + 1]; /* [id] */
	uint64_t first_seq, last_seq, first_time, last_time; /* of the events read */
	uint64_t out_of_order;        /* events whose seq is not above the one before */
	uint64_t blob_refs, blob_ref_bytes; /* blobs attached to events longer than 64 bytes
					     * (the ones a log stores in blob chunks; shorter
					     * ones are inline in the event records), and their
					     * bytes: dedup = blob_ref_bytes / the stored blobs'
					     * bytes (chunk_raw[TR_CHUNK_BLOBS] less 8 per chunk
					     * and 20 per blob) */
	/* from the chunk headers */
	uint64_t chunks[TR_CHUNK_INDEX + 1], chunk_stored[TR_CHUNK_INDEX + 1],
		chunk_raw[TR_CHUNK_INDEX + 1]; /* by kind ([0]: other kinds) */
	uint64_t blobs_stored;        /* blobs in blob chunks */
	uint64_t first_wall_ns, last_wall_ns; /* chunk wall times (0: none) */
	struct tr_health health;
	uint64_t vgpu_out_of_range;   /* events naming a vGPU above MED_MAX_VGPUS (in no by_vgpu_events) */
};
/* Rewinds r, reads every record and walks the chunks.  0, or the
 * reader's I/O error (the stats hold what was read until then). */
int tr_log_stats(struct tr_reader *r, struct tr_log_stats *out);

/*
 * Chrome / Perfetto trace-event JSON ({"traceEvents":[...]}), streamed:
 * only the workloads in flight are kept.  Tracks: one process "GPU
 * engines" with a thread per engine holding one complete slice ("X") per
 * workload from its DISPATCH to its COMPLETE ("vGPU N wl ID"; args
 * vgpu, workload, commands, scanned, status, verdict); a process per vGPU
 * with a "submissions" thread (a slice from the WORKLOAD event to its
 * verdict, the flow's start), an "alerts" thread (instants: reject,
 * failsafe, escape) and counters ("C": traps/s, GGTT writes/s, PT
 * writes/s over windows of virtual time, rejections so far).  Flows ("s",
 * "f" bound to the engine slice, numeric id = workload id) join a
 * workload's submission to its execution.  Time: the log's clock, µs.
 */
struct tr_perfetto;
struct tr_perfetto_opts {
	size_t sz;                   /* sizeof(struct tr_perfetto_opts) */
	uint64_t window_ns;          /* counter window, virtual ns; 0: 1 ms */
	char *errbuf;
	size_t errbuf_len;
};
struct tr_export_stats {
	size_t sz;
	uint64_t records, slices, submissions, flows, instants, counters;
	uint64_t unfinished;         /* dispatched, never completed (closed at the end) */
	uint64_t unmatched;          /* COMPLETE without its DISPATCH, or a workload forgotten
	                                while awaiting its DISPATCH (over 65536 waiting) */
};
/* Writes the file's opening (info may be NULL).  -EINVAL, -ENOMEM, -EIO. */
int tr_perfetto_new(FILE *out, const struct tr_log_info *info, const struct tr_perfetto_opts *opts,
		    struct tr_perfetto **pp);
/* One record, in file order.  0 or -EIO. */
int tr_perfetto_record(struct tr_perfetto *p, const struct tr_record *rec);
/* Closes what is open, writes the end, frees p (always).  0 or -EIO
 * (errbuf says it).  st optional. */
int tr_perfetto_finish(struct tr_perfetto *p, struct tr_export_stats *st);
/* The whole log: rewinds r, then new / record... / finish. */
int tr_export_perfetto(struct tr_reader *r, FILE *out, const struct tr_perfetto_opts *opts,
		       struct tr_export_stats *st);

/* ===================================== capture from outside (vgt record)
 * (tracer/capture.c and the sources: docs/PROBES.md, docs/LOGS.md)
 *
 * Records a running or started process's mediator through its USDT probes
 * (provider "vgt"), with an eBPF program on a BPF ring buffer or with
 * tracefs uprobe events, into a log like the in-process recorder's.  Needs
 * root (or CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN); every failure to attach
 * says what is missing, and everything created is removed on every exit. */

enum tr_capture_source {
	TR_CAPTURE_BPF = 1,          /* libbpf USDT programs, one BPF ring buffer */
	TR_CAPTURE_TRACEFS,          /* tracefs uprobe events, per-CPU ring buffers */
};
/* "bpf", "tracefs"; -EINVAL. */
int tr_capture_source_parse(const char *s, enum tr_capture_source *out);

struct tr_capture_opts {
	size_t sz;                   /* sizeof(struct tr_capture_opts) */
	enum tr_capture_source source;
	pid_t pid;                   /* attach to this running process, or ... */
	char *const *argv;           /* ... start this command (PATH searched), attached
				      * before it runs; exactly one of pid and argv */
	const char *binary;          /* the executable holding the probes; NULL: the
				      * process's (/proc/PID/exe) or the command's */
	bool kernel;                 /* TR_CAPTURE_BPF: the kernel's gvt/i915 tracepoints
				      * instead of the probes */
	size_t buffer_bytes;         /* the BPF ring / each per-CPU tracefs buffer; 0: default */
	struct tr_writer_opts writer;/* its source is set from `source`; errbuf unused */
	const volatile int *stop;    /* optional: non-zero (a signal handler's flag) stops
				      * the capture; a started command gets SIGINT then */
	char *errbuf;                /* optional; must live until tr_capture returns */
	size_t errbuf_len;
};

struct tr_capture_stats {
	size_t sz;
	struct tr_record_stats rec;  /* what the recorder wrote */
	uint64_t events;             /* events assembled */
	uint64_t pieces;             /* blob pieces taken */
	uint64_t lost_events;        /* the source's overruns: events that never arrived */
	uint64_t lost_pieces;        /* ... blob pieces */
	uint64_t bad;                /* malformed records skipped */
	uint64_t incomplete;         /* events written without some blob bytes */
	int status;                  /* the started command's wait status; -1: none */
	uint64_t orphans;            /* events whose blob pieces came but not the event */
	uint64_t late;               /* events that came after their place was declared lost:
				      * not written (the loss record counts them) */
};

/* Captures into the log at path until the process exits or *stop is set.
 * 0, or a negative errno with errbuf saying what failed and how to fix it
 * (-EPERM: privileges, -ENOENT: no probes / no such process, -ENOTSUP:
 * kernel without uprobes/BTF/tracefs).  st optional. */
int tr_capture(const char *path, const struct tr_capture_opts *o, struct tr_capture_stats *st);

/* ============================================ USDT probes of a binary (vgt probes)
 * (tracer/usdt_notes.c, tracer/uprobe_lines.c; docs/PROBES.md)
 *
 * The probes an ELF binary declares in its .note.stapsdt, with the file
 * offsets a uprobe names (site and semaphore, through the PT_LOAD headers),
 * and the tracefs uprobe_events lines for vgt's two probes.  The file is
 * distrusted: a malformed note is an error naming the binary. */

#define TR_PROBE_NAME_MAX 64
#define TR_PROBE_ARGS_MAX 512
struct tr_probe {
	char provider[TR_PROBE_NAME_MAX];
	char name[TR_PROBE_NAME_MAX];
	uint64_t addr;               /* the site's virtual address (.stapsdt.base adjusted) */
	uint64_t offset;             /* ... its file offset: what a uprobe names */
	uint64_t base;               /* the note's base (.stapsdt.base as linked) */
	uint64_t sem_addr;           /* the semaphore's virtual address; 0: none */
	uint64_t sem_offset;         /* ... its file offset: a uprobe's ref_ctr_offset */
	char args[TR_PROBE_ARGS_MAX];/* the argument string ("8@%rdx 4@%ecx ...") */
};
/* Every probe site of the ELF file at path, in note order, into a malloc'd
 * array (*out, *n; free() it; *out NULL when there are none).  0 or a
 * negative errno with errbuf naming the file and what is wrong (-ENOENT,
 * -EACCES: cannot open; -ENOEXEC: not a 64-bit ELF executable or shared
 * object; -EPROTO: a malformed note). */
int tr_probes_read(const char *path, struct tr_probe **out, size_t *n, char *errbuf,
		   size_t errbuf_len);
/* The lines a tracefs uprobe_events file takes to create GROUP/event and
 * GROUP/blob (GROUP/event_1 ... when a probe has several sites) for vgt's
 * probes in the binary at path, with their semaphores and the fields of
 * tracer/capture_int.h, one per line, each ending in a newline: exactly
 * what the tracefs source writes.  *out is malloc'd.  -ENOENT: no vgt
 * probes; -EINVAL: a group name tracefs refuses, a path with whitespace;
 * -EPROTO: an argument tracefs cannot fetch. */
int tr_probes_uprobe_events(const char *path, const char *group, char **out, char *errbuf,
			    size_t errbuf_len);

/* ============================================================== import
 * (tracer/import.c, tracer/import_host.c: docs/PROBES.md "Importing a
 * GVT-g host's trace", docs/LOGS.md "vgt import")
 *
 * A trace-cmd recording (.dat, read with libtracecmd) into a log.  Two
 * kinds of recordings:
 *  - vgt's own probes (tracefs uprobe events named "event" and "blob", any
 *    group, with the fields of docs/PROBES.md): the events as the mediator
 *    emitted them, through the same assembler as `vgt record`: the log
 *    equals an in-process recording of the same run;
 *  - a GVT-g host's gvt:* and i915:* tracepoints: mapped into med_events as
 *    far as they carry them (numbered by the importer, time = the trace
 *    clock's ns, flagged TR_EVF_IMPORTED; what stays unknown is zero).
 * A recording holding vgt's probe events is imported as the first kind
 * (the host's records in it are then skipped and counted).  Missed events
 * (the kernel's ring buffer overran) become loss records at their place.
 */

/* med_event.flags: the event was mapped from another tracer's record by
 * an import; fields that record does not carry are zero (a SCAN's verdict
 * is unknown).  A bit mediator.h's MED_EVF_* leave free. */
#define TR_EVF_IMPORTED 0x80000000u

enum tr_import_kind {
	TR_IMPORT_NONE = 0,          /* nothing in the recording is importable */
	TR_IMPORT_PROBES,            /* vgt's uprobe events */
	TR_IMPORT_HOST,              /* a GVT-g host's gvt / i915 tracepoints */
};
const char *tr_import_kind_name(enum tr_import_kind k); /* "none", "vgt-probes", "gvt-host" */

struct tr_import_opts {
	size_t sz;                   /* sizeof(struct tr_import_opts) */
	struct tr_writer_opts writer;/* source, types and clock are set by the import; its
				      * errbuf is unused */
	const int8_t *rings;         /* host: GVT's ring_id -> enum scan_engine (-1: none),
				      * 16 entries; NULL: rcs, bcs, vcs, vcs, vecs */
	char *errbuf;                /* optional: what failed, naming the file */
	size_t errbuf_len;
	bool in_process;             /* read in this process: by default a child process reads
				      * the recording (libtracecmd crashes on some corrupt
				      * files: that becomes -EPROTO, not a crash) */
};

#define TR_IMPORT_NAMES 16
struct tr_import_stats {
	size_t sz;                   /* the caller sets sizeof(struct tr_import_stats): filled up to it */
	enum tr_import_kind kind;
	uint64_t types;              /* the log header's types mask */
	uint64_t records;            /* records read from the recording */
	uint64_t taken;              /* ... used (probe events and blob pieces, host records) */
	uint64_t skipped;            /* ... of other events (not ours) */
	uint64_t bad;                /* ... of ours, malformed: skipped */
	uint64_t unknown;            /* ... of an event id the recording has no format for */
	uint64_t events;             /* events written to the log */
	uint64_t by_type[MED_EV_TYPE_COUNT];
	uint64_t missed;             /* records libtracecmd said were lost (known counts) */
	uint64_t missed_unknown;     /* places where an unknown number was lost */
	uint64_t dropped;            /* records a full buffer dropped (the buffers' stats as
				      * saved in the recording; the newest, not in the data) */
	uint64_t losses, lost_events;/* loss records written, and the events they count */
	uint64_t incomplete;         /* probes: events written without some blob bytes */
	uint64_t orphans;            /* probes: blob pieces whose event never came */
	unsigned nskipped_names;     /* skipped records by event, the first TR_IMPORT_NAMES */
	struct {
		char name[64];       /* "system:event" */
		uint64_t count;
	} skipped_by[TR_IMPORT_NAMES];
	uint64_t file_bytes;         /* of the log */
};

/* Imports the trace-cmd recording `dat` into a new log at `out`.  0, or a
 * negative errno with errbuf naming the file and what is wrong: -ENOENT /
 * -EISDIR / -EACCES (cannot open), -EPROTO (not a trace-cmd recording, its
 * headers are truncated or corrupt, or reading it crashed libtracecmd: no
 * log then), -EINVAL (out is the recording itself), -EIO (writing the
 * log), -ENOMEM.
 * Losses and malformed records are not errors: st says them (and the log's
 * loss records).  st optional; filled as far as the import went. */
int tr_import(const char *dat, const char *out, const struct tr_import_opts *opts,
	      struct tr_import_stats *st);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_TRACER_H */
