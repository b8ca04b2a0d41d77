/* SPDX-License-Identifier: MIT */
/*
 * The log reader (tracer.h, docs/LOG-FORMAT.md).  Distrusts the file:
 * every length, count and offset is bounded before it is used (a chunk's
 * payload and raw sizes by TRI_MAX_PAYLOAD, its frame's content size must
 * equal raw_len, every record decodes inside its chunk), a chunk header
 * that fails its check is skipped by scanning forward for the next valid
 * one, a payload that fails (zstd, checksum, sizes, decoding) loses that
 * chunk only, and a file that ends inside a chunk is "truncated".  Memory
 * is bounded: one event chunk at a time, a cache of decompressed blob
 * chunks (opts.blob_cache), the blob key map.
 *
 * Blob chunks are indexed (key -> chunk, entry) as they are passed, or —
 * for those a seek jumped over and for tr_reader_blob — lazily, the first
 * time a key is not found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "common/common.h"
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

	struct idx_entry *index;     /* closed logs: the index chunk's entries */
	size_t nindex;
	uint64_t index_off;

	uint64_t pos;                /* the next chunk to look at */
	uint64_t counted_to;         /* health counts what starts at or after this */
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

	struct tri_keymap map;       /* blob key -> chunk << 32 | entry offset */
	struct tri_keymap ord_map;   /* {blob number, 2} -> the same */
	struct tri_keymap chunk_map; /* {offset, 1} -> index into bchunks */
	struct bchunk *bchunks;
	size_t nbchunks, bchunks_cap, npending;
	bool discovered;             /* every blob chunk of the file is known */
	struct cache_ent *cache;
	size_t ncache, cache_cap;
	uint64_t cache_bytes, stamp;

	struct tr_health h;
	struct tr_problem problems[TR_MAX_PROBLEMS];
};

/* ----------------------------------------------------------------- health */

static bool fresh(const struct tr_reader *r, uint64_t off)
{
	return off >= r->counted_to;
}

static void counted(struct tr_reader *r, uint64_t end)
{
	if (end > r->counted_to)
		r->counted_to = end;
}

__attribute__((format(printf, 7, 8)))
static void problem(struct tr_reader *r, uint64_t off, uint64_t bytes, uint64_t events,
		    uint64_t first_seq, uint64_t last_seq, const char *fmt, ...)
{
	if (r->h.nproblems < TR_MAX_PROBLEMS) {
		struct tr_problem *p = &r->problems[r->h.nproblems];
		*p = (struct tr_problem){ .offset = off, .bytes = bytes, .events = events,
					  .first_seq = first_seq, .last_seq = last_seq };
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->what, sizeof(p->what), fmt, ap);
		va_end(ap);
	}
	r->h.nproblems++;
}

/* -------------------------------------------------------------- file access */

/* Reads exactly n bytes at off: 0, 1 when the file ends first, or -EIO. */
static int read_at(struct tr_reader *r, uint64_t off, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n) {
		ssize_t k = pread(r->fd, b, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		if (k == 0)
			return 1;
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static bool hdr_sane(const struct tri_chunk_hdr *h)
{
	if (h->payload_len > TRI_MAX_PAYLOAD || h->raw_len > TRI_MAX_PAYLOAD || !h->payload_len ||
	    !h->kind)
		return false; /* (a kind this version does not know is skipped whole) */
	switch (h->kind) {
	case TR_CHUNK_EVENTS:
	case TR_CHUNK_LOSS:
		return (uint64_t)h->count + h->aux <= h->raw_len / 2 + 1;
	case TR_CHUNK_BLOBS:
		return (uint64_t)h->count * TRI_BLOB_ENTRY_HDR + TRI_BLOB_PREFIX <= h->raw_len;
	case TR_CHUNK_INDEX:
		return (uint64_t)h->count * TRI_INDEX_ENTRY_LEN == h->raw_len;
	}
	return true;
}

/* The header at off: 1 valid (and sane), 0 not a valid header, 2 the data
 * ends inside it, or -EIO. */
static int read_hdr(struct tr_reader *r, uint64_t off, struct tri_chunk_hdr *h)
{
	uint8_t b[TRI_CHUNK_HDR_LEN];
	if (off + TRI_CHUNK_HDR_LEN > r->data_end)
		return 2;
	int e = read_at(r, off, b, sizeof(b));
	if (e)
		return e < 0 ? e : 2;
	return !tri_chunk_hdr_get(b, h) && hdr_sane(h);
}

/* Looks for the next valid chunk header at or after from (and before
 * data_end).  1 and *at, 0 none (*partial: where a chunk magic starts whose
 * header the data cuts, else data_end), or -EIO. */
static int scan_from(struct tr_reader *r, uint64_t from, uint64_t *at, uint64_t *partial)
{
	uint8_t *buf = malloc(SCAN_WINDOW + TRI_CHUNK_HDR_LEN);
	if (!buf)
		return -ENOMEM;
	*partial = r->data_end;
	int rc = 0;
	for (uint64_t off = from; off < r->data_end;) {
		size_t n = SCAN_WINDOW + TRI_CHUNK_HDR_LEN;
		if (n > r->data_end - off)
			n = (size_t)(r->data_end - off);
		int e = read_at(r, off, buf, n);
		if (e < 0) {
			rc = e;
			break;
		}
		if (e > 0) { /* the file shrank */
			break;
		}
		size_t step = n > TRI_CHUNK_HDR_LEN ? n - TRI_CHUNK_HDR_LEN + 1 : n;
		for (size_t i = 0; i < step; i++) {
			if (buf[i] != 'V')
				continue;
			size_t have = n - i;
			if (have >= 4 && memcmp(buf + i, TRI_CHUNK_MAGIC, 4))
				continue;
			if (have < 4 && memcmp(buf + i, TRI_CHUNK_MAGIC, have))
				continue;
			if (off + i + TRI_CHUNK_HDR_LEN > r->data_end) {
				if (*partial == r->data_end)
					*partial = off + i;
				continue;
			}
			struct tri_chunk_hdr h;
			if (have >= TRI_CHUNK_HDR_LEN) {
				if (tri_chunk_hdr_get(buf + i, &h) || !hdr_sane(&h))
					continue;
			} else if (read_hdr(r, off + i, &h) != 1) {
				continue;
			}
			*at = off + i;
			rc = 1;
			goto out;
		}
		off += step;
	}
out:
	free(buf);
	return rc;
}

/* Reads and decompresses a chunk's payload into dst (raw_len bytes).  0,
 * -EIO, or 1 with *why set when the payload is bad. */
static int load_payload(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h,
			uint8_t *dst, const char **why)
{
	r->z.len = 0;
	int e = tri_buf_reserve(&r->z, h->payload_len);
	if (e)
		return e;
	e = read_at(r, off + TRI_CHUNK_HDR_LEN, r->z.p, h->payload_len);
	if (e) {
		*why = "the file ends inside the chunk";
		return e < 0 ? e : 1;
	}
	const uint8_t *p = r->z.p;
	/* a zstd frame: magic, then the descriptor whose bit 2 is the checksum flag */
	if (h->payload_len < 6 || tri_get32(p) != ZSTD_MAGICNUMBER) {
		*why = "chunk payload is not a zstd frame";
		return 1;
	}
	if (!(p[4] & 0x04)) {
		*why = "chunk payload has no content checksum";
		return 1;
	}
	if (ZSTD_getFrameContentSize(p, h->payload_len) != h->raw_len) {
		*why = "chunk payload's content size is not the header's";
		return 1;
	}
	size_t fl = ZSTD_findFrameCompressedSize(p, h->payload_len);
	if (ZSTD_isError(fl) || fl != h->payload_len) {
		*why = "chunk payload is not exactly one zstd frame";
		return 1;
	}
	size_t n = ZSTD_decompressDCtx(r->dctx, dst, h->raw_len, p, h->payload_len);
	if (ZSTD_isError(n)) {
		*why = ZSTD_getErrorCode(n) == ZSTD_error_checksum_wrong
			       ? "chunk payload fails its checksum"
			       : "chunk payload does not decompress";
		return 1;
	}
	if (n != h->raw_len) {
		*why = "chunk payload decompresses to another size";
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------- blobs */

static int register_bchunk(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h,
			   size_t *id)
{
	struct tr_key k = { .lo = off, .hi = 1 };
	uint64_t *v;
	int e = tri_keymap_put(&r->chunk_map, &k, &v);
	if (e < 0)
		return e;
	if (e == 0) {
		*id = (size_t)*v;
		return 0;
	}
	if (r->nbchunks == r->bchunks_cap) {
		size_t cap = r->bchunks_cap ? r->bchunks_cap * 2 : 64;
		struct bchunk *nb = realloc(r->bchunks, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM; /* (the map keeps a dangling id: never looked up again below) */
		r->bchunks = nb;
		r->bchunks_cap = cap;
	}
	*v = r->nbchunks;
	r->bchunks[r->nbchunks] = (struct bchunk){ .off = off, .h = *h, .state = BC_PENDING,
						    .slot = -1 };
	*id = r->nbchunks++;
	r->npending++;
	return 0;
}

static void cache_drop(struct tr_reader *r, size_t slot)
{
	struct cache_ent *c = &r->cache[slot];
	r->bchunks[c->chunk].slot = -1;
	r->cache_bytes -= c->len;
	free(c->data);
	r->cache[slot] = r->cache[--r->ncache];
	if (slot < r->ncache)
		r->bchunks[r->cache[slot].chunk].slot = (int32_t)slot;
}

/* Makes room for `need` more bytes: drops the least recently used chunks
 * not used by the current call. */
static void cache_evict(struct tr_reader *r, uint64_t need)
{
	while (r->ncache && r->cache_bytes + need > r->o.blob_cache) {
		size_t lru = SIZE_MAX;
		for (size_t i = 0; i < r->ncache; i++)
			if (r->cache[i].stamp != r->stamp &&
			    (lru == SIZE_MAX || r->cache[i].stamp < r->cache[lru].stamp))
				lru = i;
		if (lru == SIZE_MAX)
			return;
		cache_drop(r, lru);
	}
}

/* Loads blob chunk id into the cache (and indexes its keys the first time).
 * 0 (cached), 1 (bad chunk), or a negative errno. */
static int bchunk_load(struct tr_reader *r, size_t id)
{
	struct bchunk *bc = &r->bchunks[id];
	if (bc->slot >= 0) {
		r->cache[bc->slot].stamp = r->stamp;
		return 0;
	}
	if (bc->state == BC_BAD)
		return 1;
	uint32_t len = bc->h.raw_len;
	uint8_t *data = malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	const char *why = NULL;
	int e = load_payload(r, bc->off, &bc->h, data, &why);
	if (e == 0 && bc->state == BC_PENDING) {
		/* u64 first blob number, then entries: key (16), u32 len, bytes */
		uint32_t n = 0;
		uint64_t first = len >= TRI_BLOB_PREFIX ? tri_get64(data) : 0;
		if (len < TRI_BLOB_PREFIX || first > UINT64_MAX - bc->h.count) {
			why = "blob chunk has no valid first blob number";
			e = 1;
		}
		for (size_t i = TRI_BLOB_PREFIX; !e && i < len;) {
			if (len - i < TRI_BLOB_ENTRY_HDR ||
			    tri_get32(data + i + 16) > len - i - TRI_BLOB_ENTRY_HDR) {
				why = "blob chunk entries do not fit the chunk";
				e = 1;
				break;
			}
			n++;
			i += TRI_BLOB_ENTRY_HDR + (size_t)tri_get32(data + i + 16);
		}
		if (!e && n != bc->h.count) {
			why = "blob chunk holds another number of blobs than its header says";
			e = 1;
		}
		n = 0;
		for (size_t i = TRI_BLOB_PREFIX; !e && i < len; n++) {
			struct tr_key k = { tri_get64(data + i), tri_get64(data + i + 8) };
			struct tr_key ok = { first + n, 2 };
			uint64_t *v;
			int pe = tri_keymap_put(&r->map, &k, &v);
			if (pe == 1)
				*v = (uint64_t)id << 32 | i;
			if (pe >= 0 || pe == -EINVAL)
				pe = tri_keymap_put(&r->ord_map, &ok, &v);
			if (pe == 1)
				*v = (uint64_t)id << 32 | i;
			if (pe < 0) {
				free(data);
				return pe;
			}
			i += TRI_BLOB_ENTRY_HDR + (size_t)tri_get32(data + i + 16);
		}
		if (!e) {
			bc->state = BC_INDEXED;
			r->npending--;
		}
	}
	if (e) {
		free(data);
		if (e < 0)
			return e;
		if (bc->state == BC_PENDING)
			r->npending--;
		bc->state = BC_BAD; /* reported when the reader passes it (step) */
		bc->why = why;
		return 1;
	}
	cache_evict(r, len);
	if (r->ncache == r->cache_cap) {
		size_t cap = r->cache_cap ? r->cache_cap * 2 : 16;
		struct cache_ent *nc = realloc(r->cache, cap * sizeof(*nc));
		if (!nc) {
			free(data);
			return -ENOMEM;
		}
		r->cache = nc;
		r->cache_cap = cap;
	}
	r->cache[r->ncache] = (struct cache_ent){ .data = data, .len = len, .chunk = (uint32_t)id,
						   .stamp = r->stamp };
	bc->slot = (int32_t)r->ncache++;
	r->cache_bytes += len;
	return 0;
}

static int index_pending(struct tr_reader *r)
{
	for (size_t i = 0; r->npending && i < r->nbchunks; i++) {
		if (r->bchunks[i].state != BC_PENDING)
			continue;
		int e = bchunk_load(r, i);
		if (e < 0)
			return e;
	}
	return 0;
}

/* The blob `k` names in map m (the key map, or the number map): 1 found
 * (*data, *len, *key), 0 not in the log, or a negative errno. */
static int blob_find(struct tr_reader *r, struct tri_keymap *m, const struct tr_key *k,
		     const uint8_t **data, uint32_t *len, struct tr_key *key)
{
	uint64_t *v = tri_keymap_get(m, k);
	if (!v && r->npending) {
		int e = index_pending(r);
		if (e < 0)
			return e;
		v = tri_keymap_get(m, k);
	}
	if (!v)
		return 0;
	size_t id = (size_t)(*v >> 32), at = (size_t)(*v & 0xffffffffu);
	int e = bchunk_load(r, id);
	if (e)
		return e < 0 ? e : 0;
	const uint8_t *d = r->cache[r->bchunks[id].slot].data + at;
	key->lo = tri_get64(d);
	key->hi = tri_get64(d + 8);
	*len = tri_get32(d + 16);
	*data = d + TRI_BLOB_ENTRY_HDR;
	return 1;
}

/* ------------------------------------------------------------------- open */

static int load_index(struct tr_reader *r)
{
	uint8_t f[TRI_FOOTER_LEN];
	uint64_t ioff, fbytes;
	if (r->size < TRI_PREAMBLE_LEN + TRI_CHUNK_HDR_LEN + TRI_FOOTER_LEN)
		return 0;
	int e = read_at(r, r->size - TRI_FOOTER_LEN, f, sizeof(f));
	if (e)
		return e < 0 ? e : 0;
	if (tri_footer_get(f, &ioff, &fbytes) || fbytes != r->size || ioff < TRI_PREAMBLE_LEN ||
	    ioff + TRI_CHUNK_HDR_LEN > r->size - TRI_FOOTER_LEN)
		return 0;
	struct tri_chunk_hdr h;
	uint64_t save_end = r->data_end;
	r->data_end = r->size - TRI_FOOTER_LEN;
	e = read_hdr(r, ioff, &h);
	r->data_end = save_end;
	if (e < 0)
		return e;
	if (e != 1 || h.kind != TR_CHUNK_INDEX ||
	    ioff + TRI_CHUNK_HDR_LEN + h.payload_len != r->size - TRI_FOOTER_LEN)
		return 0;
	uint8_t *raw = malloc(h.raw_len ? h.raw_len : 1);
	if (!raw)
		return -ENOMEM;
	const char *why;
	e = load_payload(r, ioff, &h, raw, &why);
	if (e) {
		free(raw);
		return e < 0 ? e : 0;
	}
	struct idx_entry *ix = calloc(h.count ? h.count : 1, sizeof(*ix));
	if (!ix) {
		free(raw);
		return -ENOMEM;
	}
	uint64_t prev = 0;
	for (uint32_t i = 0; i < h.count; i++) {
		const uint8_t *p = raw + (size_t)i * TRI_INDEX_ENTRY_LEN;
		struct idx_entry *x = &ix[i];
		x->offset = tri_get64(p);
		x->first_seq = tri_get64(p + 8);
		x->last_seq = tri_get64(p + 16);
		x->first_time = tri_get64(p + 24);
		x->last_time = tri_get64(p + 32);
		x->count = tri_get32(p + 40);
		x->kind = p[44];
		if (x->offset < TRI_PREAMBLE_LEN || x->offset <= prev || x->offset >= ioff ||
		    (x->kind != TR_CHUNK_EVENTS && x->kind != TR_CHUNK_LOSS && x->kind != TR_CHUNK_BLOBS)) {
			free(ix);
			free(raw);
			return 0;
		}
		prev = x->offset;
	}
	free(raw);
	r->index = ix;
	r->nindex = h.count;
	r->index_off = ioff;
	r->data_end = r->size - TRI_FOOTER_LEN;
	r->h.closed = true;
	return 0;
}

static int load_header_chunk(struct tr_reader *r)
{
	struct tri_chunk_hdr h;
	int e = read_hdr(r, r->data_start, &h);
	if (e != 1 || h.kind != TR_CHUNK_HEADER)
		return e < 0 ? e : 0;
	uint8_t *raw = malloc(h.raw_len ? h.raw_len : 1);
	if (!raw)
		return -ENOMEM;
	const char *why;
	e = load_payload(r, r->data_start, &h, raw, &why);
	if (e == 0) {
		struct tr_log_info info = { 0 };
		char *store = NULL;
		int d = tri_info_decode(raw, h.raw_len, &info, &store);
		if (d == -ENOMEM) {
			e = d;
		} else if (d == 0) {
			info.version = r->info.version;
			free(r->info_store);
			r->info_store = store;
			r->info = info;
			r->h.header_ok = true;
			store = NULL;
		}
		free(store);
	}
	free(raw);
	return e < 0 ? e : 0;
}

void tr_reader_close(struct tr_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	ZSTD_freeDCtx(r->dctx);
	free(r->info_store);
	free(r->index);
	tri_buf_free(&r->z);
	tri_buf_free(&r->raw);
	free(r->blobs);
	free(r->keys);
	free(r->dec);
	free(r->text);
	tri_keymap_free(&r->map);
	tri_keymap_free(&r->ord_map);
	tri_keymap_free(&r->chunk_map);
	free(r->bchunks);
	for (size_t i = 0; i < r->ncache; i++)
		free(r->cache[i].data);
	free(r->cache);
	free(r);
}

int tr_reader_open(const char *path, const struct tr_reader_opts *opts, struct tr_reader **out)
{
	struct tr_reader_opts o = { .sz = sizeof(o) };
	int e = VGT_OPTS_LOAD(&o, opts);
	if (e) {
		vgt_errbuf_set(VGT_OPT(opts, errbuf, NULL), VGT_OPT(opts, errbuf_len, 0),
			       "log reader: options struct of %zu bytes not understood",
			       opts ? opts->sz : 0);
		return e;
	}
	if (!path || !out)
		return -EINVAL;
	if (!o.blob_cache)
		o.blob_cache = 64u << 20;
	struct tr_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->o = o;
	r->path = strdup(path);
	r->dctx = ZSTD_createDCtx();
	static const char empty[] = "";
	r->info.tool_version = r->info.cmdline = r->info.clock = r->info.host = empty;
	if (!r->path || !r->dctx) {
		tr_reader_close(r);
		return -ENOMEM;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st)) {
		e = -errno;
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: cannot open: %s", path, strerror(errno));
		tr_reader_close(r);
		return e;
	}
	if (S_ISDIR(st.st_mode)) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: is a directory", path);
		tr_reader_close(r);
		return -EISDIR;
	}
	r->size = (uint64_t)st.st_size;
	uint8_t pre[TRI_PREAMBLE_LEN] = { 0 };
	size_t have = r->size < sizeof(pre) ? (size_t)r->size : sizeof(pre);
	e = read_at(r, 0, pre, have);
	if (e) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: cannot read: %s", path,
			       e < 0 ? strerror(errno) : "it shrank");
		tr_reader_close(r);
		return -EIO;
	}
	if (memcmp(pre, TRI_MAGIC, have < TRI_MAGIC_LEN ? have : TRI_MAGIC_LEN)) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: not a vgt log (no VGTL magic)", path);
		tr_reader_close(r);
		return -EPROTO;
	}
	r->h.sz = sizeof(r->h);
	r->h.file_bytes = r->size;
	r->data_start = TRI_PREAMBLE_LEN;
	r->data_end = r->size;
	if (have < TRI_PREAMBLE_LEN) {
		/* a writer stopped inside its first write: an empty log, cut */
		r->h.truncated = true;
		r->h.bytes_skipped = r->size;
		problem(r, 0, r->size, 0, 0, 0, "log ends inside the file header (%zu of %u bytes)",
			have, TRI_PREAMBLE_LEN);
		r->data_start = r->data_end = r->pos = r->counted_to = r->size;
		*out = r;
		return 0;
	}
	r->info.version = tri_get32(pre + 8);
	if (r->info.version != TR_LOG_VERSION) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len,
			       "log %s: format version %u (this reader reads version %u)", path,
			       r->info.version, TR_LOG_VERSION);
		tr_reader_close(r);
		return -EPROTONOSUPPORT;
	}
	if ((e = load_index(r)) || (e = load_header_chunk(r))) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: %s", path,
			       e == -ENOMEM ? "out of memory" : "read failed");
		tr_reader_close(r);
		return e;
	}
	r->pos = r->counted_to = r->data_start;
	*out = r;
	return 0;
}

const struct tr_log_info *tr_reader_info(const struct tr_reader *r)
{
	return r ? &r->info : NULL;
}

/* ------------------------------------------------------------------ chunks */

/* The data at r->pos is not a valid chunk header: a cut header or footer
 * (the file ends there), a footer after a damaged index, or damage, which
 * is reported up to the next valid chunk header (or the end). */
static int skip_damage(struct tr_reader *r)
{
	uint64_t p = r->pos, end = r->data_end, at, partial;
	bool f = fresh(r, p);
	uint8_t tail[TRI_CHUNK_HDR_LEN];
	uint64_t io, fb;
	if (p + TRI_CHUNK_HDR_LEN > end) {
		size_t n = (size_t)(end - p);
		int e = read_at(r, p, tail, n);
		if (e < 0)
			return e;
		const char *what = NULL;
		unsigned whole = 0;
		if (e == 0 && n == TRI_FOOTER_LEN && !tri_footer_get(tail, &io, &fb) && fb == r->size) {
			what = ""; /* the footer of a log whose index is damaged */
		} else if (e == 0 && !memcmp(tail, TRI_CHUNK_MAGIC, n < 4 ? n : 4)) {
			what = "a chunk header";
			whole = TRI_CHUNK_HDR_LEN;
		} else if (e == 0 && n < TRI_FOOTER_LEN && !memcmp(tail, TRI_FOOTER_MAGIC, n < 4 ? n : 4)) {
			what = "the footer";
			whole = TRI_FOOTER_LEN;
		}
		if (what) {
			if (f && *what) {
				r->h.truncated = true;
				r->h.bytes_skipped += n;
				problem(r, p, n, 0, 0, 0,
					"log ends inside %s at offset %llu (%zu of %u bytes)", what,
					(unsigned long long)p, n, whole);
			}
			counted(r, end);
			r->pos = end;
			return 0;
		}
	}
	int e = scan_from(r, p + 1, &at, &partial);
	if (e < 0)
		return e;
	uint64_t stop = e == 1 ? at : end;
	bool footer = false;
	if (e != 1) {
		/* nothing valid up to the end: is there a footer, a cut chunk? */
		if (end - p >= TRI_FOOTER_LEN && read_at(r, end - TRI_FOOTER_LEN, tail, TRI_FOOTER_LEN) == 0 &&
		    !tri_footer_get(tail, &io, &fb) && fb == r->size) {
			stop = end - TRI_FOOTER_LEN;
			footer = true;
		} else if (partial < end) {
			stop = partial;
		}
	}
	if (f) {
		if (stop > p) {
			r->h.chunks_bad++;
			r->h.bytes_skipped += stop - p;
			problem(r, p, stop - p, 0, 0, 0,
				"%llu bytes at offset %llu are not a valid chunk (a damaged chunk header)",
				(unsigned long long)(stop - p), (unsigned long long)p);
		}
		if (e != 1 && !footer && stop < end) {
			r->h.truncated = true;
			r->h.bytes_skipped += end - stop;
			problem(r, stop, end - stop, 0, 0, 0,
				"log ends inside a chunk header at offset %llu (%llu of %u bytes)",
				(unsigned long long)stop, (unsigned long long)(end - stop),
				TRI_CHUNK_HDR_LEN);
		}
	}
	counted(r, e == 1 ? at : end);
	r->pos = e == 1 ? at : end;
	return 0;
}

/* Looks at the chunk at r->pos: 1 an event chunk is loaded, 0 moved on, or
 * a negative errno. */
static int step(struct tr_reader *r)
{
	struct tri_chunk_hdr h;
	uint64_t p = r->pos;
	int e = read_hdr(r, p, &h);
	if (e < 0)
		return e;
	if (e != 1)
		return skip_damage(r);
	bool f = fresh(r, p);
	uint64_t bytes = TRI_CHUNK_HDR_LEN + (uint64_t)h.payload_len;
	bool evk = h.kind == TR_CHUNK_EVENTS || h.kind == TR_CHUNK_LOSS;
	if (p + bytes > r->data_end) {
		if (f) {
			r->h.truncated = true;
			r->h.bytes_skipped += r->data_end - p;
			if (evk)
				r->h.events_lost += h.count;
			problem(r, p, r->data_end - p, evk ? h.count : 0, evk ? h.first_seq : 0,
				evk ? h.last_seq : 0,
				"log ends inside a chunk at offset %llu (%llu of %llu bytes)",
				(unsigned long long)p, (unsigned long long)(r->data_end - p),
				(unsigned long long)bytes);
		}
		counted(r, r->data_end);
		r->pos = r->data_end;
		return 0;
	}
	r->pos = p + bytes;
	const char *why = NULL;
	if (evk) {
		r->raw.len = 0;
		if ((e = tri_buf_reserve(&r->raw, h.raw_len + 1)))
			return e;
		e = load_payload(r, p, &h, r->raw.p, &why);
		if (e < 0)
			return e;
		if (e == 0) {
			if (f) {
				r->h.chunks_ok++;
				r->h.event_chunks++;
			}
			r->cur_active = true;
			r->cur_fresh = f;
			r->cur_off = p;
			r->cur_h = h;
			r->rpos = 0;
			r->cur_events = 0;
			tri_codec_reset(&r->codec);
			counted(r, p + bytes);
			return 1;
		}
	} else if (h.kind == TR_CHUNK_BLOBS) {
		size_t id;
		if ((e = register_bchunk(r, p, &h, &id)))
			return e;
		e = 0;
		if (!r->o.no_blobs) {
			r->stamp++;
			e = bchunk_load(r, id);
			if (e < 0)
				return e;
			why = r->bchunks[id].why;
		}
		if (e == 0) {
			if (f) {
				r->h.chunks_ok++;
				r->h.blob_chunks++;
			}
			counted(r, p + bytes);
			return 0;
		}
	} else {
		/* HEADER, INDEX, a later version's kind: checked, skipped */
		uint8_t *tmp = malloc(h.raw_len ? h.raw_len : 1);
		if (!tmp)
			return -ENOMEM;
		e = load_payload(r, p, &h, tmp, &why);
		free(tmp);
		if (e < 0)
			return e;
		if (e == 0) {
			if (f)
				r->h.chunks_ok++;
			counted(r, p + bytes);
			return 0;
		}
	}
	if (f) {
		r->h.chunks_bad++;
		r->h.bytes_skipped += bytes;
		if (evk)
			r->h.events_lost += h.count;
		problem(r, p, bytes, evk ? h.count : 0, evk ? h.first_seq : 0, evk ? h.last_seq : 0,
			"%s chunk at offset %llu: %s",
			h.kind == TR_CHUNK_EVENTS ? "event" : h.kind == TR_CHUNK_LOSS ? "loss"
			: h.kind == TR_CHUNK_BLOBS ? "blob" : h.kind == TR_CHUNK_HEADER ? "header"
			: h.kind == TR_CHUNK_INDEX ? "index" : "unknown",
			(unsigned long long)p, why);
	}
	counted(r, p + bytes);
	return 0;
}

static int resolve_blobs(struct tr_reader *r, uint32_t n)
{
	if (n > r->blobs_cap) {
		size_t cap = r->blobs_cap ? r->blobs_cap : 8;
		while (cap < n)
			cap *= 2;
		struct med_blob *nb = realloc(r->blobs, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		r->blobs = nb;
		struct tr_key *nk = realloc(r->keys, cap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		r->keys = nk;
		r->blobs_cap = cap;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct tri_blob_dec *d = &r->dec[i];
		r->blobs[i] = d->b;
		r->keys[i] = d->key;
		if (d->missing || d->inline_)
			continue;
		r->blobs[i].data = NULL;
		if (r->o.no_blobs)
			continue;
		const uint8_t *data;
		uint32_t len;
		struct tr_key ok = { d->ord, 2 };
		int e = blob_find(r, &r->ord_map, &ok, &data, &len, &r->keys[i]);
		if (e < 0)
			return e;
		if (e == 1 && len == d->b.len) {
			r->blobs[i].data = data;
		} else {
			r->keys[i] = (struct tr_key){ 0, 0 };
			if (r->cur_fresh)
				r->h.blobs_missing++;
		}
	}
	r->rec.ev.blobs = n ? r->blobs : NULL;
	r->rec.keys = n ? r->keys : NULL;
	return 0;
}

int tr_reader_next(struct tr_reader *r, const struct tr_record **rec)
{
	if (!r || !rec)
		return -EINVAL;
	r->stamp++;
	for (;;) {
		if (r->cur_active && r->rpos < r->cur_h.raw_len) {
			struct tr_loss loss;
			struct tr_record *o = &r->rec;
			int k = tri_decode_record(&r->codec, r->raw.p, r->cur_h.raw_len, &r->rpos,
						  &o->ev, &r->text, &r->text_cap, &r->dec, &r->dec_cap,
						  &loss);
			if (k == -ENOMEM)
				return k;
			if (k < 0) {
				r->cur_active = false;
				if (r->cur_fresh) {
					uint64_t lost = r->cur_h.count > r->cur_events
								? r->cur_h.count - r->cur_events : 0;
					r->h.chunks_bad++;
					r->h.events_lost += lost;
					problem(r, r->cur_off, 0, lost, r->cur_h.first_seq, r->cur_h.last_seq,
						"event chunk at offset %llu does not decode at byte %zu",
						(unsigned long long)r->cur_off, r->rpos);
				}
				continue;
			}
			o->offset = r->cur_off;
			if (k == 2) {
				if (r->filter)
					continue;
				o->kind = TR_REC_LOSS;
				o->loss = loss;
				memset(&o->ev, 0, sizeof(o->ev));
				o->keys = NULL;
				if (r->cur_fresh) {
					r->h.losses++;
					r->h.lost_events += loss.count;
				}
				*rec = o;
				return 1;
			}
			r->cur_events++;
			if (r->cur_fresh)
				r->h.events++;
			if (r->filter) {
				uint64_t v = r->filter == 1 ? o->ev.seq : o->ev.time;
				if (v < r->filter_v)
					continue;
				r->filter = 0;
			}
			o->kind = TR_REC_EVENT;
			memset(&o->loss, 0, sizeof(o->loss));
			int e = resolve_blobs(r, o->ev.nblobs);
			if (e)
				return e;
			*rec = o;
			return 1;
		}
		if (r->cur_active && r->cur_fresh && r->cur_events != r->cur_h.count) {
			problem(r, r->cur_off, 0, 0, r->cur_h.first_seq, r->cur_h.last_seq,
				"event chunk at offset %llu holds %u events, its header says %u",
				(unsigned long long)r->cur_off, r->cur_events, r->cur_h.count);
		}
		r->cur_active = false;
		if (r->pos >= r->data_end)
			return 0;
		int e = step(r);
		if (e < 0)
			return e;
	}
}

/* ------------------------------------------------------------------- seeks */

/* Walks valid chunk headers from data_start: fn(ctx, off, h) returning
 * non-zero stops the walk (and is returned). */
static int walk(struct tr_reader *r,
		int (*fn)(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h),
		void *ctx)
{
	for (uint64_t off = r->data_start; off < r->data_end;) {
		struct tri_chunk_hdr h;
		int e = read_hdr(r, off, &h);
		if (e < 0)
			return e;
		if (e != 1) {
			uint64_t at, partial;
			e = scan_from(r, off + 1, &at, &partial);
			if (e <= 0)
				return e;
			off = at;
			continue;
		}
		if ((e = fn(r, ctx, off, &h)))
			return e;
		off += TRI_CHUNK_HDR_LEN + (uint64_t)h.payload_len;
	}
	return 0;
}

struct seek_ctx {
	int mode;
	uint64_t v, target;
	bool found;
};

static int seek_fn(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h)
{
	struct seek_ctx *s = ctx;
	if (h->kind == TR_CHUNK_BLOBS) {
		size_t id;
		return register_bchunk(r, off, h, &id);
	}
	if (h->kind == TR_CHUNK_EVENTS && (s->mode == 1 ? h->last_seq : h->last_time) >= s->v) {
		s->target = off;
		s->found = true;
		return 1;
	}
	return 0;
}

static int seek(struct tr_reader *r, int mode, uint64_t v)
{
	if (!r)
		return -EINVAL;
	struct seek_ctx s = { .mode = mode, .v = v, .target = r->data_end };
	if (r->index) {
		for (size_t i = 0; i < r->nindex; i++) {
			const struct idx_entry *x = &r->index[i];
			struct tri_chunk_hdr h;
			if (x->kind == TR_CHUNK_BLOBS) {
				/* known to the reader (indexed when a blob is looked for) */
				struct tr_key ck = { x->offset, 1 };
				if (tri_keymap_get(&r->chunk_map, &ck))
					continue;
				if (read_hdr(r, x->offset, &h) == 1 && h.kind == TR_CHUNK_BLOBS) {
					size_t id;
					int e = register_bchunk(r, x->offset, &h, &id);
					if (e)
						return e;
				}
				continue;
			}
			if (x->kind == TR_CHUNK_EVENTS && (mode == 1 ? x->last_seq : x->last_time) >= v) {
				s.target = x->offset;
				break;
			}
		}
	} else {
		int e = walk(r, seek_fn, &s);
		if (e < 0)
			return e;
	}
	r->cur_active = false;
	r->pos = s.target;
	r->filter = mode;
	r->filter_v = v;
	return 0;
}

int tr_reader_seek_seq(struct tr_reader *r, uint64_t seq)
{
	return seek(r, 1, seq);
}

int tr_reader_seek_time(struct tr_reader *r, uint64_t ns)
{
	return seek(r, 2, ns);
}

int tr_reader_rewind(struct tr_reader *r)
{
	if (!r)
		return -EINVAL;
	r->cur_active = false;
	r->pos = r->data_start;
	r->filter = 0;
	return 0;
}

static int discover_fn(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h)
{
	size_t id;
	return h->kind == TR_CHUNK_BLOBS ? register_bchunk(r, off, h, &id) : 0;
}

int tr_reader_blob(struct tr_reader *r, const struct tr_key *key, const void **data, uint32_t *len)
{
	if (!r || !key || !data || !len)
		return -EINVAL;
	r->stamp++;
	const uint8_t *d;
	struct tr_key k;
	int e = blob_find(r, &r->map, key, &d, len, &k);
	if (e == 0 && !r->discovered) {
		r->discovered = true;
		if ((e = walk(r, discover_fn, NULL)) < 0)
			return e;
		e = blob_find(r, &r->map, key, &d, len, &k);
	}
	if (e < 0)
		return e;
	if (e == 0)
		return -ENOENT;
	*data = d;
	return 0;
}

/* ------------------------------------------------------------------ health */

int tr_reader_health(const struct tr_reader *r, struct tr_health *out)
{
	if (!r || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	struct tr_health h = r->h;
	h.sz = sizeof(h);
	size_t n = out->sz < sizeof(h) ? out->sz : sizeof(h);
	memcpy(out, &h, n);
	out->sz = n;
	return 0;
}

const struct tr_problem *tr_reader_problem(const struct tr_reader *r, unsigned i)
{
	if (!r || i >= r->h.nproblems || i >= TR_MAX_PROBLEMS)
		return NULL;
	return &r->problems[i];
}

struct chunks_ctx {
	int (*fn)(void *ctx, const struct tr_chunk_info *c);
	void *ctx;
};

static int chunks_fn(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h)
{
	struct chunks_ctx *c = ctx;
	struct tr_chunk_info ci = {
		.offset = off, .kind = h->kind, .count = h->count, .stored_bytes = h->payload_len,
		.raw_bytes = h->raw_len, .first_seq = h->first_seq, .last_seq = h->last_seq,
		.first_time = h->first_time, .last_time = h->last_time, .wall_ns = h->wall_ns,
	};
	int e = c->fn(c->ctx, &ci);
	return e;
}

int tr_reader_chunks(struct tr_reader *r, int (*fn)(void *ctx, const struct tr_chunk_info *c),
		     void *ctx)
{
	if (!r || !fn)
		return -EINVAL;
	struct chunks_ctx c = { fn, ctx };
	return walk(r, chunks_fn, &c);
}
