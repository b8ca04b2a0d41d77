/* SPDX-License-Identifier: MIT */
/*
 * The log reader's insides, shared by reader.c (open, the forward read and
 * its damage reports, seeks, health), reader_file.c (bounded reads of
 * headers and payloads, the resynchronising scan) and reader_blobs.c (blob
 * chunks: the key and number maps, the bounded cache).  Private to
 * tracer/.
 */
#ifndef VGT_TRACER_READER_INT_H
#define VGT_TRACER_READER_INT_H

#include <zstd.h>

#include "tracer/log_format.h"

#define SCAN_WINDOW (64u << 10)

struct idx_entry {
	uint64_t offset, first_seq, last_seq, first_time, last_time;
	uint32_t count;
	unsigned kind;
};

/* A blob chunk the reader knows of. */
struct bchunk {
	uint64_t off;
	struct tri_chunk_hdr h;
	enum { BC_PENDING, BC_INDEXED, BC_BAD } state;
	const char *why;             /* BC_BAD: what is wrong with it */
	int32_t slot;                /* in the cache, -1: not cached */
	uint64_t sum;                /* BC_INDEXED: XXH3-64 of the payload indexed (a reload
				      * must find the same bytes: the file may change) */
};

struct cache_ent {
	uint8_t *data;
	uint32_t len;
	uint32_t chunk;              /* index into bchunks */
	uint64_t stamp;              /* last use */
};

struct tr_reader {
	int fd;
	char *path;
	uint64_t size;
	struct tr_reader_opts o;
	ZSTD_DCtx *dctx;
	struct tr_log_info info;
	char *info_store;
	uint64_t data_start, data_end;
	uint32_t salt;               /* the log's: a chunk header with another is not one */

	struct idx_entry *index;     /* closed logs: the index chunk's entries */
	size_t nindex;
	uint64_t index_off;

	uint64_t pos;                /* the next chunk to look at */
	struct tri_keymap counted;   /* {offset + 1, 3}: chunks and damage health has counted */
	struct tri_buf z;            /* a compressed payload */
	struct tri_buf raw;          /* the current event chunk, decompressed */
	bool cur_active, cur_fresh;
	uint64_t cur_off;
	struct tri_chunk_hdr cur_h;
	size_t rpos;
	uint32_t cur_events;
	struct tri_codec codec;
	int filter;                  /* after a seek: 1 seq, 2 time */
	uint64_t filter_v;

	struct tr_record rec;
	struct med_blob *blobs;
	struct tr_key *keys;
	size_t blobs_cap;
	struct tri_blob_dec *dec;
	size_t dec_cap;
	char *text;
	size_t text_cap;
	struct tri_buf arena;        /* the current record's stored blobs' bytes, copied out
				      * of the cache (at most opts.blob_cache bytes) */

	struct tri_keymap map;       /* blob key -> chunk << 32 | entry offset */
	struct tri_keymap ord_map;   /* {blob number, 2} -> the same */
	struct tri_keymap chunk_map; /* {offset, 1} -> index into bchunks */
	struct bchunk *bchunks;
	size_t nbchunks, bchunks_cap, npending;
	bool discovered;             /* every blob chunk of the file is known */
	struct cache_ent *cache;
	size_t ncache, cache_cap;
	uint64_t cache_bytes, stamp;

	char why[64];                /* a problem's words made up on the spot */
	struct tr_health h;
	struct tr_problem problems[TR_MAX_PROBLEMS];
};

/* ------------------------------------------------------ reader_file.c */

/* Reads exactly n bytes at off: 0, 1 when the file ends first, or -EIO. */
int tri_read_at(struct tr_reader *r, uint64_t off, void *buf, size_t n);
/* The header at off: 1 valid (and sane), 0 not a valid header, 2 the data
 * ends inside it, or -EIO. */
int tri_read_hdr(struct tr_reader *r, uint64_t off, struct tri_chunk_hdr *h);
/* The next chunk at or after from whose header is valid (magic, salt,
 * check, bounds) and whose payload loads and checks: 1 and *at, 0 none
 * (*partial: where the first chunk magic starts whose header or payload
 * the data cuts, else data_end), or a negative errno.  A header found by
 * scanning is trusted only with its payload: a header whose payload fails
 * is skipped like any other damaged bytes. */
int tri_scan_from(struct tr_reader *r, uint64_t from, uint64_t *at, uint64_t *partial);
/* Reads and decompresses a chunk's payload into dst (raw_len bytes): 0, a
 * negative errno, or 1 with *why set when the payload is bad. */
int tri_load_payload(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h, uint8_t *dst,
		     const char **why);
/* Walks the valid chunk headers from data_start (resynchronising past
 * damage); fn returning non-zero stops the walk and is returned. */
int tri_walk(struct tr_reader *r,
	     int (*fn)(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h),
	     void *ctx);

/* ----------------------------------------------------- reader_blobs.c */

/* Makes a blob chunk known (pending until indexed); *id its index. */
int tri_register_bchunk(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h, size_t *id);
/* Loads blob chunk id into the cache, indexing its keys the first time: 0,
 * 1 bad (bchunks[id].why), or a negative errno. */
int tri_bchunk_load(struct tr_reader *r, size_t id);
/* Indexes every pending blob chunk. */
int tri_index_pending(struct tr_reader *r);
/* The blob k names in map m (the key map or the number map): 1 found
 * (*data, *len, *key), 0 not in the log, or a negative errno. */
int tri_blob_find(struct tr_reader *r, struct tri_keymap *m, const struct tr_key *k,
		  const uint8_t **data, uint32_t *len, struct tr_key *key);

#endif /* VGT_TRACER_READER_INT_H */
