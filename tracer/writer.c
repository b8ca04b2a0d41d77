/* SPDX-License-Identifier: MIT */
/*
 * The log writer (tracer.h, docs/LOG-FORMAT.md).  One thread.  Events are
 * encoded into the current event chunk's buffer (codec.c); blobs longer
 * than TRI_INLINE_MAX are hashed and, the first time a key is seen, copied
 * into the pending blob chunk.  A chunk is compressed (one reused zstd
 * context, one frame with content size and checksum) and written when it
 * is full, on flush and on close; the pending blob chunk always goes out
 * before the event chunk that references it, and the HEADER chunk before
 * everything, at the first write (when the setup events — CONFIG and the
 * VGPU_CREATEs before the first other event — are known).  No allocation
 * per event: buffers grow geometrically and are reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "common/common.h"
#include "tracer/log_format.h"

#define BLOB_CHUNK_BYTES (2u << 20)       /* a blob chunk is written past this */
#define MAX_CHUNK_BYTES  (32u << 20)      /* chunk_bytes is clamped to this */

struct index_entry {
	uint64_t offset, first_seq, last_seq, first_time, last_time;
	uint32_t count;
	unsigned kind;
};

/* What a chunk being filled covers. */
struct span {
	uint32_t count, aux;
	uint64_t first_seq, last_seq, first_time, last_time;
	bool any;
};

struct tr_writer {
	int fd;
	bool own_fd;
	char name[256];              /* the path, or "fd N" */
	struct tr_writer_opts o;
	int err;                     /* the first write error: every later call returns it */
	ZSTD_CCtx *cctx;
	uint64_t off;                /* bytes written */

	struct tri_codec codec;
	struct tri_buf ev;           /* encoded records of the current event chunk */
	struct span evs;
	struct tri_buf blob;         /* the pending blob chunk: key, u32 len, bytes ... */
	struct span bls;
	struct tri_keymap seen;      /* keys stored (or pending) */
	struct tri_buf out;          /* a chunk header + compressed payload */
	struct tri_blob_enc *benc;
	size_t benc_cap;

	struct index_entry *index;
	size_t nindex, index_cap;
	bool no_index;               /* the index could not grow: none is written */

	struct tr_log_info info;     /* the HEADER chunk */
	char host[256];
	bool setup_done, header_written;
	uint32_t salt;               /* the log's: in the preamble, every chunk header, the footer */
	uint64_t max_seq;
	struct tr_write_stats st;
};

static void span_add(struct span *s, uint64_t seq, uint64_t time)
{
	if (!s->any) {
		s->first_seq = s->last_seq = seq;
		s->first_time = s->last_time = time;
		s->any = true;
		return;
	}
	if (seq < s->first_seq)
		s->first_seq = seq;
	if (seq > s->last_seq)
		s->last_seq = seq;
	if (time < s->first_time)
		s->first_time = time;
	if (time > s->last_time)
		s->last_time = time;
}

static int fail_io(struct tr_writer *w, const char *what, int e)
{
	if (!w->err) {
		w->err = -EIO;
		vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len, "log %s: %s at offset %llu: %s", w->name,
			       what, (unsigned long long)w->off, strerror(e));
	}
	return w->err;
}

static int write_all(struct tr_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = write(w->fd, b, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return fail_io(w, "write failed", errno);
		}
		if (k == 0)
			return fail_io(w, "write wrote nothing", EIO);
		b += k;
		n -= (size_t)k;
		w->off += (uint64_t)k;
	}
	return 0;
}

static int do_sync(struct tr_writer *w)
{
	if (w->o.sync && fsync(w->fd) && errno != EINVAL && errno != EROFS)
		return fail_io(w, "fsync failed", errno);
	return 0;
}

/* Compresses raw[0..len) into one chunk of `kind` and writes it. */
static int write_chunk(struct tr_writer *w, unsigned kind, const void *raw, size_t len,
		       const struct span *sp)
{
	size_t bound = ZSTD_compressBound(len);
	w->out.len = 0;
	int err = tri_buf_reserve(&w->out, TRI_CHUNK_HDR_LEN + bound);
	if (err)
		return err;
	size_t c = ZSTD_compress2(w->cctx, w->out.p + TRI_CHUNK_HDR_LEN, bound, raw, len);
	if (ZSTD_isError(c)) {
		vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len, "log %s: compression failed: %s", w->name,
			       ZSTD_getErrorName(c));
		return w->err = -EIO;
	}
	struct tri_chunk_hdr h = {
		.kind = kind, .payload_len = (uint32_t)c, .raw_len = (uint32_t)len,
		.count = sp ? sp->count : 0, .aux = sp ? sp->aux : 0,
		.first_seq = sp ? sp->first_seq : 0, .last_seq = sp ? sp->last_seq : 0,
		.first_time = sp ? sp->first_time : 0, .last_time = sp ? sp->last_time : 0,
		.wall_ns = tri_wall_ns(), .salt = w->salt,
	};
	tri_chunk_hdr_put(w->out.p, &h);
	bool indexed = kind == TR_CHUNK_EVENTS || kind == TR_CHUNK_LOSS || kind == TR_CHUNK_BLOBS;
	if (indexed && !w->no_index && w->nindex == w->index_cap) {
		/* room before the chunk is written: a failure after it made the
		 * caller write the chunk again.  Without room the log gets no
		 * index (and no footer): still a valid log, read by scanning. */
		size_t cap = w->index_cap ? w->index_cap * 2 : 256;
		struct index_entry *ni = realloc(w->index, cap * sizeof(*ni));
		if (ni) {
			w->index = ni;
			w->index_cap = cap;
		} else {
			free(w->index);
			w->index = NULL;
			w->nindex = w->index_cap = 0;
			w->no_index = true;
		}
	}
	uint64_t at = w->off;
	if ((err = write_all(w, w->out.p, TRI_CHUNK_HDR_LEN + c)) || (err = do_sync(w)))
		return err;
	w->st.chunks++;
	if (kind == TR_CHUNK_EVENTS || kind == TR_CHUNK_LOSS) {
		w->st.event_chunks++;
		w->st.event_bytes += TRI_CHUNK_HDR_LEN + c;
	} else if (kind == TR_CHUNK_BLOBS) {
		w->st.blob_chunks++;
	}
	if (indexed && !w->no_index) {
		w->index[w->nindex++] = (struct index_entry){
			.offset = at, .kind = kind, .count = h.count,
			.first_seq = h.first_seq, .last_seq = h.last_seq,
			.first_time = h.first_time, .last_time = h.last_time,
		};
	}
	return 0;
}

static int write_header(struct tr_writer *w)
{
	if (w->header_written)
		return 0;
	struct tri_buf b = { 0 };
	int err = tri_info_encode(&b, &w->info);
	if (!err)
		err = write_chunk(w, TR_CHUNK_HEADER, b.p, b.len, NULL);
	tri_buf_free(&b);
	if (!err)
		w->header_written = true;
	return err;
}

static int flush_blobs(struct tr_writer *w)
{
	if (!w->bls.count)
		return 0;
	int err = write_header(w);
	if (!err)
		err = write_chunk(w, TR_CHUNK_BLOBS, w->blob.p, w->blob.len, &w->bls);
	if (err)
		return err;
	w->blob.len = 0;
	w->bls = (struct span){ 0 };
	return 0;
}

static int flush_events(struct tr_writer *w)
{
	int err = flush_blobs(w);
	if (err || (!w->evs.count && !w->evs.aux))
		return err;
	if ((err = write_header(w)))
		return err;
	unsigned kind = w->evs.count ? TR_CHUNK_EVENTS : TR_CHUNK_LOSS;
	if ((err = write_chunk(w, kind, w->ev.p, w->ev.len, &w->evs)))
		return err;
	w->st.raw_bytes += w->ev.len;
	w->ev.len = 0;
	w->evs = (struct span){ 0 };
	tri_codec_reset(&w->codec);
	return 0;
}

/* ------------------------------------------------------------------- open */

static void opts_free(struct tr_writer_opts *o)
{
	free((char *)o->tool_version);
	free((char *)o->cmdline);
	free((char *)o->clock);
}

static void writer_free(struct tr_writer *w)
{
	if (!w)
		return;
	ZSTD_freeCCtx(w->cctx);
	tri_buf_free(&w->ev);
	tri_buf_free(&w->blob);
	tri_buf_free(&w->out);
	tri_keymap_free(&w->seen);
	free(w->benc);
	free(w->index);
	opts_free(&w->o);
	free(w);
}

static int writer_new(const struct tr_writer_opts *opts, struct tr_writer **out)
{
	struct tr_writer_opts o = { .sz = sizeof(o) };
	int err = VGT_OPTS_LOAD(&o, opts);
	if (err) {
		vgt_errbuf_set(VGT_OPT(opts, errbuf, NULL), VGT_OPT(opts, errbuf_len, 0),
			       "log writer: options struct of %zu bytes not understood",
			       opts ? opts->sz : 0);
		return err;
	}
	if ((unsigned)o.source > TR_SOURCE_CAPTURE) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log writer: source %d unknown", (int)o.source);
		return -EINVAL;
	}
	if (!o.level)
		o.level = 1;
	if (o.level < ZSTD_minCLevel() || o.level > ZSTD_maxCLevel()) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "log writer: zstd level %d outside %d..%d",
			       o.level, ZSTD_minCLevel(), ZSTD_maxCLevel());
		return -EINVAL;
	}
	if (!o.chunk_events)
		o.chunk_events = 65536;
	if (!o.chunk_bytes)
		o.chunk_bytes = 1u << 20;
	if (o.chunk_bytes > MAX_CHUNK_BYTES)
		o.chunk_bytes = MAX_CHUNK_BYTES;

	struct tr_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->o = o;
	w->o.tool_version = strdup(o.tool_version ? o.tool_version : "");
	w->o.cmdline = strdup(o.cmdline ? o.cmdline : "");
	w->o.clock = strdup(o.clock ? o.clock : "virtual");
	w->cctx = ZSTD_createCCtx();
	if (!w->o.tool_version || !w->o.cmdline || !w->o.clock || !w->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, o.level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1))) {
		writer_free(w);
		return -ENOMEM;
	}
	if (gethostname(w->host, sizeof(w->host) - 1))
		w->host[0] = 0;
	w->info = (struct tr_log_info){
		.version = TR_LOG_VERSION, .event_version = MED_EVENT_VERSION, .source = o.source,
		.types = o.types ? o.types : MED_EV_ALL, .created_ns = tri_wall_ns(),
		.tool_version = w->o.tool_version, .cmdline = w->o.cmdline, .clock = w->o.clock,
		.host = w->host,
	};
	tri_codec_reset(&w->codec);
	w->salt = tri_new_salt();
	*out = w;
	return 0;
}

static int start(struct tr_writer *w)
{
	uint8_t pre[TRI_PREAMBLE_LEN] = { 0 };
	memcpy(pre, TRI_MAGIC, TRI_MAGIC_LEN);
	tri_put32(pre + 8, TR_LOG_VERSION);
	tri_put32(pre + TRI_PRE_SALT, w->salt);
	return write_all(w, pre, sizeof(pre));
}

int tr_writer_open(const char *path, const struct tr_writer_opts *opts, struct tr_writer **out)
{
	if (!path || !out)
		return -EINVAL;
	struct tr_writer *w;
	int err = writer_new(opts, &w);
	if (err)
		return err;
	snprintf(w->name, sizeof(w->name), "%s", path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = -errno;
		vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len, "log %s: cannot create: %s", path,
			       strerror(errno));
		writer_free(w);
		return err;
	}
	w->own_fd = true;
	if ((err = start(w))) {
		close(w->fd);
		writer_free(w);
		return err;
	}
	*out = w;
	return 0;
}

int tr_writer_fdopen(int fd, const struct tr_writer_opts *opts, struct tr_writer **out)
{
	if (fd < 0 || !out)
		return -EINVAL;
	struct tr_writer *w;
	int err = writer_new(opts, &w);
	if (err)
		return err;
	snprintf(w->name, sizeof(w->name), "fd %d", fd);
	w->fd = fd;
	if ((err = start(w))) {
		writer_free(w);
		return err;
	}
	*out = w;
	return 0;
}

/* ------------------------------------------------------------------ events */

/* The setup events go into the HEADER chunk too. */
static void note_setup(struct tr_writer *w, const struct med_event *ev)
{
	if (ev->type == MED_EV_CONFIG) {
		w->info.config = *ev;
		w->info.config.text = NULL;
		w->info.config.blobs = NULL;
		w->info.config.nblobs = 0;
		w->info.has_config = true;
		if (ev->u.config.gen)
			w->info.gen = ev->u.config.gen;
	} else if (ev->type == MED_EV_VGPU_CREATE && w->info.nvgpus < MED_MAX_VGPUS) {
		/* in id order */
		unsigned i = w->info.nvgpus++;
		while (i && w->info.vgpus[i - 1].vgpu > ev->vgpu) {
			w->info.vgpus[i] = w->info.vgpus[i - 1];
			i--;
		}
		w->info.vgpus[i] = *ev;
		w->info.vgpus[i].text = NULL;
		w->info.vgpus[i].blobs = NULL;
		w->info.vgpus[i].nblobs = 0;
	} else {
		w->setup_done = true;
	}
}

/* Decides how each blob is written and stores new ones in the pending blob
 * chunk. */
static int add_blobs(struct tr_writer *w, const struct med_event *ev)
{
	if (ev->nblobs > w->benc_cap) {
		size_t cap = w->benc_cap ? w->benc_cap : 16;
		while (cap < ev->nblobs)
			cap *= 2;
		struct tri_blob_enc *nb = realloc(w->benc, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		w->benc = nb;
		w->benc_cap = cap;
	}
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		const struct med_blob *b = &ev->blobs[i];
		struct tri_blob_enc *e = &w->benc[i];
		e->missing = !b->data;
		e->inline_ = b->data && b->len <= TRI_INLINE_MAX;
		w->st.blob_refs++;
		if (e->missing)
			continue;
		w->st.blob_ref_bytes += b->len;
		if (e->inline_)
			continue;
		e->key = tr_blob_key(b->data, b->len);
		uint64_t *v = tri_keymap_get(&w->seen, &e->key);
		if (v) {
			e->ord = *v; /* stored before */
			continue;
		}
		if (!e->key.lo && !e->key.hi) { /* the all-zero key (2^-128): no set member */
			e->missing = true;
			continue;
		}
		/* a blob chunk stays within its bound: the pending ones go first */
		int r;
		if (w->blob.len && w->blob.len + TRI_BLOB_ENTRY_HDR + b->len > BLOB_CHUNK_BYTES &&
		    (r = flush_blobs(w)))
			return r;
		/* room first, so a key in the set always has its bytes stored */
		if ((r = tri_buf_reserve(&w->blob, TRI_BLOB_ENTRY_HDR + (size_t)b->len + TRI_BLOB_PREFIX)))
			return r;
		if ((r = tri_keymap_put(&w->seen, &e->key, &v)) < 0)
			return r;
		e->ord = *v = w->st.blobs;
		if (!w->blob.len) {
			tri_put64(w->blob.p, e->ord);
			w->blob.len = TRI_BLOB_PREFIX;
		}
		uint8_t *p = w->blob.p + w->blob.len;
		tri_put64(p, e->key.lo);
		tri_put64(p + 8, e->key.hi);
		tri_put32(p + 16, b->len);
		memcpy(p + TRI_BLOB_ENTRY_HDR, b->data, b->len);
		w->blob.len += TRI_BLOB_ENTRY_HDR + (size_t)b->len;
		w->bls.count++;
		span_add(&w->bls, ev->seq, ev->time);
		w->st.blobs++;
		w->st.blob_bytes += b->len;
	}
	return 0;
}

int tr_writer_event(struct tr_writer *w, const struct med_event *ev)
{
	if (!w || !ev)
		return -EINVAL;
	if (w->err)
		return w->err;
	size_t text_len = 0;
	if (ev->text && (text_len = strnlen(ev->text, TRI_MAX_TEXT + 1)) > TRI_MAX_TEXT) {
		vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len,
			       "log %s: event %llu: text longer than %u bytes", w->name,
			       (unsigned long long)ev->seq, TRI_MAX_TEXT);
		return -EINVAL;
	}
	if (ev->nblobs && (!ev->blobs || ev->nblobs > TRI_MAX_BLOBS)) {
		vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len, "log %s: event %llu: %u blobs%s",
			       w->name, (unsigned long long)ev->seq, ev->nblobs,
			       ev->blobs ? " (too many)" : " but no array");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		if (ev->blobs[i].data && ev->blobs[i].len > TRI_MAX_BLOB) {
			vgt_errbuf_set(w->o.errbuf, w->o.errbuf_len,
				       "log %s: event %llu: blob of %u bytes (at most %u)", w->name,
				       (unsigned long long)ev->seq, ev->blobs[i].len, TRI_MAX_BLOB);
			return -EINVAL;
		}
	}
	int err;
	if (!w->setup_done)
		note_setup(w, ev);
	if (ev->nblobs && (err = add_blobs(w, ev)))
		return err;
	if (w->blob.len >= BLOB_CHUNK_BYTES && (err = flush_blobs(w)))
		return err;
	if ((err = tri_buf_reserve(&w->ev, tri_event_bound(ev, text_len))))
		return err;

	if (w->st.events && ev->seq <= w->max_seq)
		w->st.out_of_order++;
	else
		w->max_seq = ev->seq;
	w->st.events++;
	w->ev.len += tri_encode_event(&w->codec, w->ev.p + w->ev.len, ev, text_len, w->benc);
	w->evs.count++;
	span_add(&w->evs, ev->seq, ev->time);
	if (w->evs.count >= w->o.chunk_events || w->ev.len >= w->o.chunk_bytes)
		return flush_events(w);
	return 0;
}

int tr_writer_loss(struct tr_writer *w, const struct tr_loss *loss)
{
	if (!w || !loss)
		return -EINVAL;
	if (w->err)
		return w->err;
	int err = tri_buf_reserve(&w->ev, TRI_LOSS_BOUND);
	if (err)
		return err;
	w->ev.len += tri_encode_loss(w->ev.p + w->ev.len, loss);
	w->evs.aux++;
	w->st.losses++;
	w->st.lost_events += loss->count;
	if (w->evs.aux + w->evs.count >= w->o.chunk_events || w->ev.len >= w->o.chunk_bytes)
		return flush_events(w);
	return 0;
}

int tr_writer_flush(struct tr_writer *w)
{
	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* While the setup events are still coming, nothing is written: the
	 * HEADER chunk (the first chunk written) must hold all of them however
	 * the flushes fall (the in-process recorder flushes every 100 ms).
	 * They are written when setup ends (the first other event, then the
	 * next flush or a full chunk) or at close. */
	if (!w->setup_done)
		return 0;
	return flush_events(w);
}

int tr_writer_stats(const struct tr_writer *w, struct tr_write_stats *out)
{
	if (!w || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	struct tr_write_stats st = w->st;
	st.sz = sizeof(st);
	st.file_bytes = w->off;
	size_t n = out->sz < sizeof(st) ? out->sz : sizeof(st);
	memcpy(out, &st, n);
	out->sz = n;
	return 0;
}

/* ------------------------------------------------------------------- close */

static int write_index(struct tr_writer *w)
{
	if (w->no_index || (size_t)w->nindex * TRI_INDEX_ENTRY_LEN > TRI_MAX_PAYLOAD)
		return 0; /* no index (no memory for it, or too many chunks): the reader scans */
	struct tri_buf b = { 0 };
	int err = tri_buf_reserve(&b, w->nindex * TRI_INDEX_ENTRY_LEN + 1);
	if (err)
		return err;
	for (size_t i = 0; i < w->nindex; i++) {
		const struct index_entry *e = &w->index[i];
		uint8_t *p = b.p + i * TRI_INDEX_ENTRY_LEN;
		memset(p, 0, TRI_INDEX_ENTRY_LEN);
		tri_put64(p, e->offset);
		tri_put64(p + 8, e->first_seq);
		tri_put64(p + 16, e->last_seq);
		tri_put64(p + 24, e->first_time);
		tri_put64(p + 32, e->last_time);
		tri_put32(p + 40, e->count);
		p[44] = (uint8_t)e->kind;
	}
	b.len = w->nindex * TRI_INDEX_ENTRY_LEN;
	struct span sp = { .count = (uint32_t)w->nindex };
	uint64_t at = w->off;
	err = write_chunk(w, TR_CHUNK_INDEX, b.p, b.len, &sp);
	tri_buf_free(&b);
	if (err)
		return err;
	uint8_t f[TRI_FOOTER_LEN];
	tri_footer_put(f, at, w->off + TRI_FOOTER_LEN, w->salt);
	return write_all(w, f, sizeof(f));
}

int tr_writer_close(struct tr_writer *w, struct tr_write_stats *st)
{
	if (!w)
		return -EINVAL;
	int err = w->err;
	if (!err)
		err = flush_events(w);
	if (!err)
		err = write_header(w); /* a log with no event still has its header */
	if (!err)
		err = write_index(w);
	if (!err)
		err = do_sync(w);
	if (w->own_fd && close(w->fd) && !err)
		err = fail_io(w, "close failed", errno);
	if (st && st->sz >= sizeof(size_t))
		tr_writer_stats(w, st);
	writer_free(w);
	return err;
}
