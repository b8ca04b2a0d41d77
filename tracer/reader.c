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
 * Blob chunks are indexed (key and number -> chunk, entry) as they are
 * passed, or — for those a seek jumped over and for tr_reader_blob —
 * lazily, the first time a blob is not found (reader_blobs.c); bounded
 * reads of the file are reader_file.c.
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
#include "tracer/reader_int.h"

/* ----------------------------------------------------------------- health */

/* Health counts each chunk (and each damaged stretch) once, by where it
 * starts, however seeks and rewinds move the reader: a set of the offsets
 * counted. */
static bool fresh(const struct tr_reader *r, uint64_t off)
{
	struct tr_key k = { off + 1, 3 };
	return !tri_keymap_get(&r->counted, &k);
}

static int counted(struct tr_reader *r, uint64_t off)
{
	struct tr_key k = { off + 1, 3 };
	uint64_t *v;
	int e = tri_keymap_put(&r->counted, &k, &v);
	return e < 0 ? e : 0;
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

/* ------------------------------------------------------------------- open */

static int load_index(struct tr_reader *r)
{
	uint8_t f[TRI_FOOTER_LEN];
	uint64_t ioff, fbytes;
	uint32_t salt;
	if (r->size < TRI_PREAMBLE_LEN + TRI_CHUNK_HDR_LEN + TRI_FOOTER_LEN)
		return 0;
	int e = tri_read_at(r, r->size - TRI_FOOTER_LEN, f, sizeof(f));
	if (e)
		return e < 0 ? e : 0;
	if (tri_footer_get(f, &ioff, &fbytes, &salt) || salt != r->salt || fbytes != r->size ||
	    ioff < TRI_PREAMBLE_LEN ||
	    ioff + TRI_CHUNK_HDR_LEN > r->size - TRI_FOOTER_LEN)
		return 0;
	struct tri_chunk_hdr h;
	uint64_t save_end = r->data_end;
	r->data_end = r->size - TRI_FOOTER_LEN;
	e = tri_read_hdr(r, ioff, &h);
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
	e = tri_load_payload(r, ioff, &h, raw, &why);
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

/* The log's salt: the footer's (its check holds and it is where the file
 * ends), else the first chunk's (the writer puts the HEADER chunk right
 * after the preamble: only that position may teach the salt; the guest's
 * bytes are never there), else the preamble's. */
static void learn_salt(struct tr_reader *r, const uint8_t *pre)
{
	uint8_t b[TRI_FOOTER_LEN > TRI_CHUNK_HDR_LEN ? TRI_FOOTER_LEN : TRI_CHUNK_HDR_LEN];
	uint64_t io, fb;
	uint32_t salt;
	struct tri_chunk_hdr h;
	r->salt = tri_get32(pre + TRI_PRE_SALT);
	if (r->size >= TRI_PREAMBLE_LEN + TRI_CHUNK_HDR_LEN + TRI_FOOTER_LEN &&
	    !tri_read_at(r, r->size - TRI_FOOTER_LEN, b, TRI_FOOTER_LEN) &&
	    !tri_footer_get(b, &io, &fb, &salt) && fb == r->size) {
		r->salt = salt;
		return;
	}
	if (r->size >= TRI_PREAMBLE_LEN + TRI_CHUNK_HDR_LEN &&
	    !tri_read_at(r, TRI_PREAMBLE_LEN, b, TRI_CHUNK_HDR_LEN) && !tri_chunk_hdr_get(b, &h))
		r->salt = h.salt;
}

static int load_header_chunk(struct tr_reader *r)
{
	struct tri_chunk_hdr h;
	int e = tri_read_hdr(r, r->data_start, &h);
	if (e != 1 || h.kind != TR_CHUNK_HEADER)
		return e < 0 ? e : 0;
	uint8_t *raw = malloc(h.raw_len ? h.raw_len : 1);
	if (!raw)
		return -ENOMEM;
	const char *why;
	e = tri_load_payload(r, r->data_start, &h, raw, &why);
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
	tri_buf_free(&r->arena);
	tri_keymap_free(&r->map);
	tri_keymap_free(&r->ord_map);
	tri_keymap_free(&r->chunk_map);
	tri_keymap_free(&r->counted);
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
	/* O_NONBLOCK: a FIFO must not block the open (it is refused below) */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
	if (!S_ISREG(st.st_mode)) { /* a FIFO, a device: no size, no pread */
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: not a regular file", path);
		tr_reader_close(r);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: empty: not a vgt log", path);
		tr_reader_close(r);
		return -EPROTO;
	}
	r->size = (uint64_t)st.st_size;
	uint8_t pre[TRI_PREAMBLE_LEN] = { 0 };
	size_t have = r->size < sizeof(pre) ? (size_t)r->size : sizeof(pre);
	e = tri_read_at(r, 0, pre, have);
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
		r->data_start = r->data_end = r->pos = r->size;
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
	learn_salt(r, pre);
	if ((e = load_index(r)) || (e = load_header_chunk(r))) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log %s: %s", path,
			       e == -ENOMEM ? "out of memory" : "read failed");
		tr_reader_close(r);
		return e;
	}
	r->pos = r->data_start;
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
	uint32_t salt;
	if (p + TRI_CHUNK_HDR_LEN > end) {
		size_t n = (size_t)(end - p);
		int e = tri_read_at(r, p, tail, n);
		if (e < 0)
			return e;
		const char *what = NULL;
		unsigned whole = 0;
		if (e == 0 && n == TRI_FOOTER_LEN && !tri_footer_get(tail, &io, &fb, &salt) && salt == r->salt &&
		    fb == r->size) {
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
			r->pos = end;
			return counted(r, p);
		}
	}
	int e = tri_scan_from(r, p + 1, &at, &partial);
	if (e < 0)
		return e;
	uint64_t stop = e == 1 ? at : end;
	bool footer = false;
	if (e != 1) {
		/* nothing valid up to the end: is there a footer, a cut chunk? */
		if (end - p >= TRI_FOOTER_LEN && tri_read_at(r, end - TRI_FOOTER_LEN, tail, TRI_FOOTER_LEN) == 0 &&
		    !tri_footer_get(tail, &io, &fb, &salt) && salt == r->salt && fb == r->size) {
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
	r->pos = e == 1 ? at : end;
	return counted(r, p);
}

/* Decodes every record of the event chunk just loaded (r->raw) before any
 * is returned, so a chunk is either read whole or lost whole (and counted
 * once): 0 and *nev its events, 1 a record does not decode (*bad_at), or
 * -ENOMEM.  (The scratch buffers are the record's: the previous record is
 * done with once the reader moves to another chunk.) */
static int check_records(struct tr_reader *r, const struct tri_chunk_hdr *h, size_t *bad_at,
			 uint32_t *nev, uint64_t *nloss, uint64_t *nlost)
{
	struct med_event ev;
	struct tr_loss loss;
	size_t pos = 0;
	uint32_t n = 0;
	tri_codec_reset(&r->codec);
	while (pos < h->raw_len) {
		int k = tri_decode_record(&r->codec, r->raw.p, h->raw_len, &pos, &ev, &r->text,
					  &r->text_cap, &r->dec, &r->dec_cap, &loss);
		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			*bad_at = pos;
			return 1;
		}
		n += k == 1;
		if (k == 2) {
			(*nloss)++;
			*nlost += loss.count;
		}
	}
	*nev = n;
	return 0;
}

/* Looks at the chunk at r->pos: 1 an event chunk is loaded, 0 moved on, or
 * a negative errno. */
static int step(struct tr_reader *r)
{
	struct tri_chunk_hdr h;
	uint64_t p = r->pos;
	int e = tri_read_hdr(r, p, &h);
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
		r->pos = r->data_end;
		return counted(r, p);
	}
	r->pos = p + bytes;
	const char *why = NULL;
	if (evk) {
		r->raw.len = 0;
		if ((e = tri_buf_reserve(&r->raw, h.raw_len + 1)))
			return e;
		e = tri_load_payload(r, p, &h, r->raw.p, &why);
		if (e < 0)
			return e;
		size_t bad_at = 0;
		uint32_t nev = 0;
		uint64_t nloss = 0, nlost = 0;
		if (e == 0) {
			if ((e = check_records(r, &h, &bad_at, &nev, &nloss, &nlost)) < 0)
				return e;
			if (e == 1) {
				snprintf(r->why, sizeof(r->why), "a record does not decode at byte %zu",
					 bad_at);
				why = r->why;
			}
		}
		if (e == 0 && f && nev != h.count)
			problem(r, p, 0, 0, h.first_seq, h.last_seq,
				"event chunk at offset %llu holds %u events, its header says %u",
				(unsigned long long)p, nev, h.count);
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
			if (f) { /* the chunk is checked whole: counted whole, now */
				r->h.events += nev;
				r->h.losses += nloss;
				r->h.lost_events += nlost;
			}
			if ((e = counted(r, p)))
				return e;
			return 1;
		}
	} else if (h.kind == TR_CHUNK_BLOBS) {
		size_t id;
		if ((e = tri_register_bchunk(r, p, &h, &id)))
			return e;
		e = 0;
		if (!r->o.no_blobs) {
			r->stamp++;
			e = tri_bchunk_load(r, id);
			if (e < 0)
				return e;
			why = r->bchunks[id].why;
		}
		if (e == 0) {
			if (f) {
				/* with no_blobs the payload is not read: not known ok */
				r->h.chunks_ok += !r->o.no_blobs;
				r->h.blob_chunks++;
			}
			return counted(r, p);
		}
	} else {
		/* HEADER, INDEX, a later version's kind: checked, skipped */
		uint8_t *tmp = malloc(h.raw_len ? h.raw_len : 1);
		if (!tmp)
			return -ENOMEM;
		e = tri_load_payload(r, p, &h, tmp, &why);
		free(tmp);
		if (e < 0)
			return e;
		if (e == 0) {
			if (f)
				r->h.chunks_ok++;
			return counted(r, p);
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
	return counted(r, p);
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
	/* The stored blobs' bytes are copied into the record's arena: the
	 * record then holds no blob chunk in the cache (which stays bounded
	 * however many chunks one event references, and which tr_reader_blob
	 * may evict from), and the arena is bounded by blob_cache too: the
	 * blobs past it have data NULL (counted missing; their key stays). */
	uint64_t want = 0;
	for (uint32_t i = 0; i < n && !r->o.no_blobs; i++) {
		const struct tri_blob_dec *d = &r->dec[i];
		if (!d->missing && !d->inline_ && want + d->b.len <= r->o.blob_cache)
			want += d->b.len;
	}
	r->arena.len = 0;
	if (want && tri_buf_reserve(&r->arena, (size_t)want))
		return -ENOMEM;
	bool cut = false;
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
		r->stamp++; /* the chunks of the blobs before may go */
		int e = tri_blob_find(r, &r->ord_map, &ok, &data, &len, &r->keys[i]);
		if (e < 0)
			return e;
		if (e == 1 && len == d->b.len) {
			if (len <= want - r->arena.len) {
				memcpy(r->arena.p + r->arena.len, data, len);
				r->blobs[i].data = r->arena.p + r->arena.len;
				r->arena.len += len;
			} else {
				cut = true;
				if (r->cur_fresh)
					r->h.blobs_missing++;
			}
		} else {
			r->keys[i] = (struct tr_key){ 0, 0 };
			if (r->cur_fresh)
				r->h.blobs_missing++;
		}
	}
	if (cut && r->cur_fresh)
		problem(r, r->cur_off, 0, 0, r->rec.ev.seq, r->rec.ev.seq,
			"event %llu references more blob bytes than the blob cache holds (%zu): "
			"some have no data", (unsigned long long)r->rec.ev.seq, (size_t)r->o.blob_cache);
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
			if (k < 0) { /* (checked whole when loaded: cannot happen) */
				r->cur_active = false;
				continue;
			}
			o->offset = r->cur_off;
			if (k == 2) { /* (counted when the chunk loaded) */
				if (r->filter)
					continue;
				o->kind = TR_REC_LOSS;
				o->loss = loss;
				memset(&o->ev, 0, sizeof(o->ev));
				o->keys = NULL;
				*rec = o;
				return 1;
			}
			r->cur_events++;
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
		r->cur_active = false;
		if (r->pos >= r->data_end)
			return 0;
		int e = step(r);
		if (e < 0)
			return e;
	}
}

/* ------------------------------------------------------------------- seeks */

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
		return tri_register_bchunk(r, off, h, &id);
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
				if (tri_read_hdr(r, x->offset, &h) == 1 && h.kind == TR_CHUNK_BLOBS) {
					size_t id;
					int e = tri_register_bchunk(r, x->offset, &h, &id);
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
		int e = tri_walk(r, seek_fn, &s);
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
	return tri_walk(r, chunks_fn, &c);
}
