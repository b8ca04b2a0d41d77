/* SPDX-License-Identifier: MIT */
/*
 * The .vgtl on-disk layout (docs/LOG-FORMAT.md is the byte-level
 * description; this header is its code form) and the tracer's internal
 * helpers shared by the writer, the reader and the codec.  Private to
 * tracer/ (prefix tri_).
 *
 * All integers are little-endian.  A file is:
 *   preamble (16 bytes) | chunk* | [index chunk | footer (32 bytes)]
 * and a chunk is a 72-byte header followed by payload_len bytes: exactly
 * one zstd frame (content checksum and content size = raw_len).
 */
#ifndef VGT_TRACER_LOG_FORMAT_H
#define VGT_TRACER_LOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tracer/tracer.h"

/* ---------------------------------------------------------------- preamble */

#define TRI_MAGIC          "VGTL\r\n\x1a\n" /* 8 bytes: CR LF and ^Z catch text-mode damage */
#define TRI_MAGIC_LEN      8
#define TRI_PREAMBLE_LEN   16               /* magic, u32 version, u32 salt */
#define TRI_PRE_SALT       12               /* u32: the log's salt (a random non-zero number) */

/* ------------------------------------------------------------------ chunks */

#define TRI_CHUNK_MAGIC    "VGTC"
#define TRI_CHUNK_HDR_LEN  72
#define TRI_MAX_PAYLOAD    (64u << 20)      /* payload_len and raw_len bounds */
#define TRI_HDR_SEED       0x56475443u      /* XXH32 seed of the header check ("VGTC"), xor the salt */

/* Chunk header field offsets. */
#define TRI_CH_MAGIC       0
#define TRI_CH_KIND        4   /* u8: enum tr_chunk_kind */
#define TRI_CH_FLAGS       5   /* u8: 0 */
#define TRI_CH_RESERVED    6   /* u16: 0 */
#define TRI_CH_PAYLOAD_LEN 8   /* u32 */
#define TRI_CH_RAW_LEN     12  /* u32 */
#define TRI_CH_COUNT       16  /* u32: events (EVENTS, LOSS), blobs (BLOBS), entries (INDEX) */
#define TRI_CH_AUX         20  /* u32: loss records (EVENTS, LOSS), else 0 */
#define TRI_CH_FIRST_SEQ   24  /* u64: lowest event seq in the chunk (0: none) */
#define TRI_CH_LAST_SEQ    32  /* u64: highest */
#define TRI_CH_FIRST_TIME  40  /* u64: lowest event time */
#define TRI_CH_LAST_TIME   48  /* u64: highest */
#define TRI_CH_WALL_NS     56  /* u64: Unix ns when written */
#define TRI_CH_SALT        64  /* u32: the log's salt (the preamble's) */
#define TRI_CH_CHECK       68  /* u32: XXH32(bytes 0..67, TRI_HDR_SEED ^ salt) */

struct tri_chunk_hdr {
	unsigned kind, flags;
	uint32_t payload_len, raw_len, count, aux;
	uint64_t first_seq, last_seq, first_time, last_time, wall_ns;
	uint32_t salt;
};

/* ------------------------------------------------------------------ footer */

#define TRI_FOOTER_MAGIC   "VGTE"
#define TRI_FOOTER_LEN     32 /* magic, u32 version, u64 index offset, u64 file bytes, u32 salt, u32 check */
#define TRI_FOOTER_SEED    0x56475445u

/* Blob chunk payload: u64 number of its first blob (blobs are numbered 0,
 * 1, ... in the order the log stores them), then per blob: key (16 bytes:
 * lo, hi), u32 length, the bytes. */
#define TRI_BLOB_PREFIX    8
#define TRI_BLOB_ENTRY_HDR 20

/* Index entry: u64 offset, u64 first_seq, last_seq, first_time, last_time,
 * u32 count, u8 kind, 3 bytes zero. */
#define TRI_INDEX_ENTRY_LEN 48

/* -------------------------------------------------------------- header chunk */

/* TLV records of the HEADER chunk payload: u16 tag, u32 length, value.
 * Unknown tags are skipped. */
enum tri_tag {
	TRI_TAG_EVENT_VERSION = 1, /* u32 */
	TRI_TAG_SOURCE,            /* u32 */
	TRI_TAG_GEN,               /* u32 */
	TRI_TAG_TYPES,             /* u64 */
	TRI_TAG_CREATED_NS,        /* u64 */
	TRI_TAG_TOOL_VERSION,      /* bytes */
	TRI_TAG_CMDLINE,           /* bytes */
	TRI_TAG_CLOCK,             /* bytes */
	TRI_TAG_HOST,              /* bytes */
	TRI_TAG_CONFIG,            /* TRI_FIXED_EVENT_LEN: the CONFIG event */
	TRI_TAG_VGPU,              /* TRI_FIXED_EVENT_LEN: one VGPU_CREATE event (repeated) */
};
/* An event without text and blobs in fixed form: u16 type, u16 vgpu,
 * i8 engine, u8 version, u16 size, i32 err, u32 flags, u64 seq, u64 time,
 * 96 bytes payload (12 u64). */
#define TRI_FIXED_EVENT_LEN 128
#define TRI_MAX_STR         4096 /* header strings longer are cut */

/* ----------------------------------------------------------- event records */

/* Record tags (the first byte of a record in an EVENTS/LOSS chunk). */
#define TRI_REC_TYPE_EXT   0xEFu /* an event whose type >= 0xEF: varint type follows */
#define TRI_REC_LOSS       0xF0u /* a loss record */

/* Presence mask bits (second byte of an event record). */
#define TRI_P_VGPU    0x01u /* varint vgpu (differs from the previous event's) */
#define TRI_P_ENGINE  0x02u /* byte engine (differs) */
#define TRI_P_ERR     0x04u /* zigzag err (non-zero) */
#define TRI_P_FLAGS   0x08u /* varint flags (non-zero) */
#define TRI_P_TEXT    0x10u /* varint length, bytes */
#define TRI_P_BLOBS   0x20u /* varint count, blob refs */
#define TRI_P_SEQ     0x40u /* zigzag (seq - (prev seq + 1)) */
#define TRI_P_EXT     0x80u /* a second mask byte follows */
/* Second mask byte. */
#define TRI_P2_VERSION 0x01u /* byte version (differs) */
#define TRI_P2_SIZE    0x02u /* varint size (differs) */
#define TRI_P2_DROPPED 0x04u /* varint blobs_dropped (non-zero) */

/* Blob reference flags byte. */
#define TRI_B_MISSING  0x01u /* data was NULL: nothing else stored */
#define TRI_B_INLINE   0x02u /* bytes follow inline (len <= TRI_INLINE_MAX); else the
			      * blob's number in the log follows (zigzag, against the
			      * previous stored reference's + 1) */
#define TRI_B_GPA_ADDR 0x04u /* gpa == addr (gpa not stored) */
#define TRI_B_PAD      0x08u /* two pad bytes follow */
#define TRI_INLINE_MAX 64

/* The state's starting event version and size: format constants (the
 * values of MED_EVENT_VERSION and sizeof(struct med_event) on x86-64 when
 * format 1 was defined), so another build decodes the same. */
#define TRI_STATE_VERSION 3
#define TRI_STATE_SIZE    160

#define TRI_MAX_TEXT   (1u << 20)  /* longest text the writer accepts */
#define TRI_MAX_BLOBS  4096        /* blobs per event the writer accepts */
#define TRI_MAX_BLOB   (16u << 20) /* longest blob the writer accepts */
/* The largest BLOBS chunk (raw) the writer makes: one blob of TRI_MAX_BLOB
 * alone (pending blobs are written at 2 MiB, before a blob that would pass
 * it).  A reader refuses more (decompression bombs). */
#define TRI_MAX_BLOB_CHUNK (TRI_BLOB_PREFIX + TRI_BLOB_ENTRY_HDR + TRI_MAX_BLOB)

/* ----------------------------------------------------------- little endian */

static inline void tri_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void tri_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void tri_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint16_t tri_get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t tri_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t tri_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tracer/: the log is little-endian and this code assumes a little-endian host"
#endif

/* ---------------------------------------------------------------- headers */

/* h->salt is written in plain and seeds the check. */
void tri_chunk_hdr_put(uint8_t out[TRI_CHUNK_HDR_LEN], const struct tri_chunk_hdr *h);
/* 0, or -1 when the magic or the check (seeded with the header's own salt,
 * h->salt: the caller compares it with the log's) is wrong. */
int tri_chunk_hdr_get(const uint8_t in[TRI_CHUNK_HDR_LEN], struct tri_chunk_hdr *h);
void tri_footer_put(uint8_t out[TRI_FOOTER_LEN], uint64_t index_off, uint64_t file_bytes,
		    uint32_t salt);
int tri_footer_get(const uint8_t in[TRI_FOOTER_LEN], uint64_t *index_off, uint64_t *file_bytes,
		   uint32_t *salt);
/* A random non-zero salt for a new log. */
uint32_t tri_new_salt(void);

/* ------------------------------------------------------------------ codec */

/* A growable byte buffer. */
struct tri_buf {
	uint8_t *p;
	size_t len, cap;
};
int tri_buf_reserve(struct tri_buf *b, size_t more); /* 0 or -ENOMEM */
void tri_buf_free(struct tri_buf *b);

/* The per-chunk delta state (encoder and decoder keep the same). */
struct tri_codec {
	uint64_t seq, time;
	uint16_t vgpu;
	int8_t engine;
	uint8_t version;
 	uint16_t size;
	uint64_t ord;                 /* the next blob number expected */
	uint64_t baddr;               /* the previous blob's addr + len */
	uint32_t gen;                 /* chunk generation: prev[t] valid when tgen[t] == gen */
	uint32_t tgen[256];
	uint64_t prev[256][12];
};
void tri_codec_reset(struct tri_codec *c);

/* How a blob is written: inline bytes, or a key (the writer has made sure
 * the blob chunks hold its bytes). */
struct tri_blob_enc {
	bool missing, inline_;
	struct tr_key key;
	uint64_t ord;                 /* stored blobs: the blob's number in the log */
};
/* Upper bound of an event record's bytes. */
size_t tri_event_bound(const struct med_event *ev, size_t text_len);
/* Encodes ev at out (at least tri_event_bound bytes); returns bytes written. */
size_t tri_encode_event(struct tri_codec *c, uint8_t *out, const struct med_event *ev,
			size_t text_len, const struct tri_blob_enc *benc);
#define TRI_LOSS_BOUND (1 + 6 * 10)
size_t tri_encode_loss(uint8_t *out, const struct tr_loss *l);

/* A decoded blob reference: for inline blobs data points into the chunk. */
struct tri_blob_dec {
	struct med_blob b;            /* data: inline bytes, or NULL */
	struct tr_key key;            /* inline blobs: computed; stored ones: from their chunk */
	uint64_t ord;                 /* stored blobs: the blob's number in the log */
	bool missing, inline_;
};
/* Decodes one record at *pos (< end).  Returns 1 event (ev filled; its
 * text points into the buffer; blobs into `blobs`, grown as needed), 2 a
 * loss, or -1 when the record is malformed.  Never reads past end. */
int tri_decode_record(struct tri_codec *c, const uint8_t *buf, size_t end, size_t *pos,
		      struct med_event *ev, char **text_store, size_t *text_cap,
		      struct tri_blob_dec **blobs, size_t *blobs_cap, struct tr_loss *loss);

/* The HEADER chunk payload. */
int tri_info_encode(struct tri_buf *b, const struct tr_log_info *info);
/* Fills info (strings point into the strings storage it allocates: free
 * *store).  -1 malformed (what is parsed stays). */
int tri_info_decode(const uint8_t *p, size_t len, struct tr_log_info *info, char **store);
void tri_fixed_event_put(uint8_t *out, const struct med_event *ev);
void tri_fixed_event_get(const uint8_t *in, struct med_event *ev);

/* ------------------------------------------------------------- hash tables */

/* A set of keys, mapping each to a 64-bit value (open addressing).  Keys
 * come from files: slots are a hash of both words seeded per map (drawn
 * when the map first grows), so crafted keys cannot pile up on a slot. */
struct tri_keymap {
	struct tri_keyslot {
		struct tr_key k;
		uint64_t v;
	} *s;
	size_t n, cap; /* cap: power of two, 0 when empty */
	uint64_t seed;
};
/* The slot's value or NULL. */
uint64_t *tri_keymap_get(const struct tri_keymap *m, const struct tr_key *k);
/* Inserts (or finds) k: 1 inserted, 0 existed, -ENOMEM; *v points at its value. */
int tri_keymap_put(struct tri_keymap *m, const struct tr_key *k, uint64_t **v);
void tri_keymap_free(struct tri_keymap *m);

uint64_t tri_wall_ns(void);

#endif /* VGT_TRACER_LOG_FORMAT_H */
