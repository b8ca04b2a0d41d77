/* SPDX-License-Identifier: MIT */
/*
 * Event records (docs/LOG-FORMAT.md, "Event records"): each event is
 * encoded against the previous one of its chunk — a presence mask for the
 * fields that differ or are set, zigzag LEB128 varints, the time as a
 * delta, the 12 payload words as a mask of the words that differ from the
 * previous event of the same type plus their deltas.  The state resets at
 * every chunk, so a chunk decodes alone (the HEADER chunk is header.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "tracer/log_format.h"

/* ---------------------------------------------------------------- varints */

static inline uint8_t *put_uv(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint8_t *put_sv(uint8_t *p, int64_t v)
{
	return put_uv(p, zz(v));
}

/* 0, or -1: truncated or longer than 10 bytes. */
static inline int get_uv(const uint8_t *b, size_t end, size_t *pos, uint64_t *out)
{
	size_t i = *pos;
	uint64_t v = 0;
	for (unsigned sh = 0; sh < 70; sh += 7) {
		if (i >= end)
			return -1;
		uint8_t c = b[i++];
		v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80)) {
			*pos = i;
			*out = v;
			return 0;
		}
	}
	return -1;
}

static inline int get_sv(const uint8_t *b, size_t end, size_t *pos, int64_t *out)
{
	uint64_t v;
	if (get_uv(b, end, pos, &v))
		return -1;
	*out = unzz(v);
	return 0;
}

/* ------------------------------------------------------------------ state */

void tri_codec_reset(struct tri_codec *c)
{
	c->seq = 0;
	c->time = 0;
	c->vgpu = 0;
	c->engine = -1;
	c->version = TRI_STATE_VERSION;
	c->size = TRI_STATE_SIZE;
	c->ord = 0;
	c->baddr = 0;
	if (++c->gen == 0) { /* wrapped: every slot's generation is stale anyway */
		memset(c->tgen, 0, sizeof(c->tgen));
		c->gen = 1;
	}
}

static inline unsigned slot_of(unsigned type)
{
	return type < 255 ? type : 255;
}

/* --------------------------------------------------------------- encoding */

#define BLOB_BOUND (5 + 5 + 10 + 10 + TRI_INLINE_MAX)

size_t tri_event_bound(const struct med_event *ev, size_t text_len)
{
	return 2 + 3 + 3 * 10 + 10 + 10 + 10 + 10 + 2 + 3 + 5 + 12 * 10 + 5 + text_len + 5 +
	       (size_t)ev->nblobs * BLOB_BOUND;
}

size_t tri_encode_event(struct tri_codec *c, uint8_t *out, const struct med_event *ev,
			size_t text_len, const struct tri_blob_enc *benc)
{
	uint8_t *p = out;
	unsigned t = ev->type;
	if (t < TRI_REC_TYPE_EXT) {
		*p++ = (uint8_t)t;
	} else {
		*p++ = TRI_REC_TYPE_EXT;
		p = put_uv(p, t);
	}
	unsigned m = 0, m2 = 0;
	if (ev->vgpu != c->vgpu)
		m |= TRI_P_VGPU;
	if (ev->engine != c->engine)
		m |= TRI_P_ENGINE;
	if (ev->err)
		m |= TRI_P_ERR;
	if (ev->flags)
		m |= TRI_P_FLAGS;
	if (ev->text)
		m |= TRI_P_TEXT;
	if (ev->nblobs)
		m |= TRI_P_BLOBS;
	if (ev->seq != c->seq + 1)
		m |= TRI_P_SEQ;
	if (ev->version != c->version)
		m2 |= TRI_P2_VERSION;
	if (ev->size != c->size)
		m2 |= TRI_P2_SIZE;
	if (ev->blobs_dropped)
		m2 |= TRI_P2_DROPPED;
	if (m2)
		m |= TRI_P_EXT;
	*p++ = (uint8_t)m;
	if (m2)
		*p++ = (uint8_t)m2;
	if (m & TRI_P_VGPU)
		p = put_uv(p, ev->vgpu);
	if (m & TRI_P_ENGINE)
		*p++ = (uint8_t)ev->engine;
	if (m & TRI_P_ERR)
		p = put_sv(p, ev->err);
	if (m & TRI_P_FLAGS)
		p = put_uv(p, ev->flags);
	if (m & TRI_P_SEQ)
		p = put_sv(p, (int64_t)(ev->seq - (c->seq + 1)));
	p = put_sv(p, (int64_t)(ev->time - c->time));
	if (m2 & TRI_P2_VERSION)
		*p++ = ev->version;
	if (m2 & TRI_P2_SIZE)
		p = put_uv(p, ev->size);
	if (m2 & TRI_P2_DROPPED)
		p = put_uv(p, ev->blobs_dropped);

	/* payload words against the previous event of this type */
	unsigned s = slot_of(t);
	uint64_t *prev = c->prev[s];
	if (c->tgen[s] != c->gen) {
		memset(prev, 0, sizeof(c->prev[s]));
		c->tgen[s] = c->gen;
	}
	const uint64_t *w = ev->u.raw;
	unsigned wm = (unsigned)(w[0] != prev[0]) | (unsigned)(w[1] != prev[1]) << 1 |
		      (unsigned)(w[2] != prev[2]) << 2 | (unsigned)(w[3] != prev[3]) << 3 |
		      (unsigned)(w[4] != prev[4]) << 4 | (unsigned)(w[5] != prev[5]) << 5 |
		      (unsigned)(w[6] != prev[6]) << 6 | (unsigned)(w[7] != prev[7]) << 7 |
		      (unsigned)(w[8] != prev[8]) << 8 | (unsigned)(w[9] != prev[9]) << 9 |
		      (unsigned)(w[10] != prev[10]) << 10 | (unsigned)(w[11] != prev[11]) << 11;
	p = put_uv(p, wm);
	while (wm) {
		unsigned i = (unsigned)__builtin_ctz(wm);
		wm &= wm - 1;
		p = put_sv(p, (int64_t)(w[i] - prev[i]));
		prev[i] = w[i];
	}

	if (m & TRI_P_TEXT) {
		p = put_uv(p, text_len);
		memcpy(p, ev->text, text_len);
		p += text_len;
	}
	if (m & TRI_P_BLOBS) {
		p = put_uv(p, ev->nblobs);
		for (uint32_t i = 0; i < ev->nblobs; i++) {
			const struct med_blob *b = &ev->blobs[i];
			const struct tri_blob_enc *e = &benc[i];
			unsigned f = 0;
			if (e->missing)
				f |= TRI_B_MISSING;
			else if (e->inline_)
				f |= TRI_B_INLINE;
			if (b->gpa == b->addr)
				f |= TRI_B_GPA_ADDR;
			if (b->pad[0] || b->pad[1])
				f |= TRI_B_PAD;
			*p++ = b->kind;
			*p++ = b->as;
			*p++ = (uint8_t)f;
			if (f & TRI_B_PAD) {
				*p++ = b->pad[0];
				*p++ = b->pad[1];
			}
			p = put_uv(p, b->len);
			p = put_sv(p, (int64_t)(b->addr - c->baddr));
			c->baddr = b->addr + b->len;
			if (!(f & TRI_B_GPA_ADDR))
				p = put_uv(p, b->gpa + 1);
			if (f & TRI_B_MISSING)
				continue;
			if (f & TRI_B_INLINE) {
				memcpy(p, b->data, b->len);
				p += b->len;
			} else {
				p = put_sv(p, (int64_t)(e->ord - c->ord));
				c->ord = e->ord + 1;
			}
		}
	}
	c->seq = ev->seq;
	c->time = ev->time;
	c->vgpu = ev->vgpu;
	c->engine = ev->engine;
	c->version = ev->version;
	c->size = ev->size;
	return (size_t)(p - out);
}

size_t tri_encode_loss(uint8_t *out, const struct tr_loss *l)
{
	uint8_t *p = out;
	*p++ = TRI_REC_LOSS;
	p = put_uv(p, l->thread);
	p = put_uv(p, l->reason);
	p = put_uv(p, l->count);
	p = put_uv(p, l->first_seq);
	p = put_uv(p, l->last_seq);
	p = put_uv(p, l->bytes);
	return (size_t)(p - out);
}

/* --------------------------------------------------------------- decoding */

#define GET_UV(v)                                \
	do {                                     \
		if (get_uv(buf, end, &i, &(v)))  \
			return -1;               \
	} while (0)
#define GET_SV(v)                                \
	do {                                     \
		if (get_sv(buf, end, &i, &(v)))  \
			return -1;               \
	} while (0)
#define NEED(n)                                  \
	do {                                     \
		if (end - i < (size_t)(n))       \
			return -1;               \
	} while (0)

static int decode_loss(const uint8_t *buf, size_t end, size_t *pos, struct tr_loss *l)
{
	size_t i = *pos;
	uint64_t thread, reason;
	GET_UV(thread);
	GET_UV(reason);
	GET_UV(l->count);
	GET_UV(l->first_seq);
	GET_UV(l->last_seq);
	GET_UV(l->bytes);
	if (thread > UINT32_MAX || reason > UINT32_MAX)
		return -1;
	l->thread = (uint32_t)thread;
	l->reason = (uint32_t)reason;
	*pos = i;
	return 2;
}

int tri_decode_record(struct tri_codec *c, const uint8_t *buf, size_t end, size_t *pos,
		      struct med_event *ev, char **text_store, size_t *text_cap,
		      struct tri_blob_dec **blobs, size_t *blobs_cap, struct tr_loss *loss)
{
	size_t i = *pos;
	NEED(1);
	unsigned tag = buf[i++];
	uint64_t t = tag;
	if (tag == TRI_REC_LOSS) {
		*pos = i;
		return decode_loss(buf, end, pos, loss);
	}
	if (tag > TRI_REC_TYPE_EXT)
		return -1;
	if (tag == TRI_REC_TYPE_EXT) {
		GET_UV(t);
		if (t > UINT16_MAX || t < TRI_REC_TYPE_EXT)
			return -1;
	}
	NEED(1);
	unsigned m = buf[i++], m2 = 0;
	if (m & TRI_P_EXT) {
		NEED(1);
		m2 = buf[i++];
		if (m2 & ~(TRI_P2_VERSION | TRI_P2_SIZE | TRI_P2_DROPPED))
			return -1;
	}
	uint64_t v;
	int64_t sv;
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint16_t)t;
	ev->vgpu = c->vgpu;
	ev->engine = c->engine;
	ev->version = c->version;
	ev->size = c->size;
	if (m & TRI_P_VGPU) {
		GET_UV(v);
		if (v > UINT16_MAX)
			return -1;
		ev->vgpu = (uint16_t)v;
	}
	if (m & TRI_P_ENGINE) {
		NEED(1);
		ev->engine = (int8_t)buf[i++];
	}
	if (m & TRI_P_ERR) {
		GET_SV(sv);
		if (sv < INT32_MIN || sv > INT32_MAX)
			return -1;
		ev->err = (int32_t)sv;
	}
	if (m & TRI_P_FLAGS) {
		GET_UV(v);
		if (v > UINT32_MAX)
			return -1;
		ev->flags = (uint32_t)v;
	}
	ev->seq = c->seq + 1;
	if (m & TRI_P_SEQ) {
		GET_SV(sv);
		ev->seq += (uint64_t)sv;
	}
	GET_SV(sv);
	ev->time = c->time + (uint64_t)sv;
	if (m2 & TRI_P2_VERSION) {
		NEED(1);
		ev->version = buf[i++];
	}
	if (m2 & TRI_P2_SIZE) {
		GET_UV(v);
		if (v > UINT16_MAX)
			return -1;
		ev->size = (uint16_t)v;
	}
	if (m2 & TRI_P2_DROPPED) {
		GET_UV(v);
		if (v > UINT32_MAX)
			return -1;
		ev->blobs_dropped = (uint32_t)v;
	}

	unsigned s = slot_of((unsigned)t);
	uint64_t *prev = c->prev[s];
	if (c->tgen[s] != c->gen) {
		memset(prev, 0, sizeof(c->prev[s]));
		c->tgen[s] = c->gen;
	}
	uint64_t wm;
	GET_UV(wm);
	if (wm >> 12)
		return -1;
	for (unsigned k = 0; wm; k++, wm >>= 1) {
		if (wm & 1) {
			GET_SV(sv);
			prev[k] += (uint64_t)sv;
		}
	}
	memcpy(ev->u.raw, prev, sizeof(ev->u.raw));

	if (m & TRI_P_TEXT) {
		GET_UV(v);
		if (v > TRI_MAX_TEXT)
			return -1; /* the writer never writes more: no allocation beyond it */
		NEED(v);
		if (v + 1 > *text_cap) {
			size_t cap = *text_cap ? *text_cap : 256;
			while (cap < v + 1)
				cap *= 2;
			char *nt = realloc(*text_store, cap);
			if (!nt)
				return -ENOMEM;
			*text_store = nt;
			*text_cap = cap;
		}
		memcpy(*text_store, buf + i, v);
		(*text_store)[v] = 0;
		i += v;
		ev->text = *text_store;
	}
	if (m & TRI_P_BLOBS) {
		uint64_t n;
		GET_UV(n);
		/* every reference takes at least 5 bytes: bounded by the chunk */
		if (n == 0 || n > (end - i) / 5 || n > TRI_MAX_BLOBS)
			return -1;
		if (n > *blobs_cap) {
			size_t cap = *blobs_cap ? *blobs_cap : 8;
			while (cap < n)
				cap *= 2;
			struct tri_blob_dec *nb = realloc(*blobs, cap * sizeof(**blobs));
			if (!nb)
				return -ENOMEM;
			*blobs = nb;
			*blobs_cap = cap;
		}
		for (uint64_t k = 0; k < n; k++) {
			struct tri_blob_dec *d = &(*blobs)[k];
			memset(d, 0, sizeof(*d));
			NEED(3);
			d->b.kind = buf[i++];
			d->b.as = buf[i++];
			unsigned f = buf[i++];
			if (f & ~(TRI_B_MISSING | TRI_B_INLINE | TRI_B_GPA_ADDR | TRI_B_PAD) ||
			    (f & TRI_B_MISSING && f & TRI_B_INLINE))
				return -1;
			if (f & TRI_B_PAD) {
				NEED(2);
				d->b.pad[0] = buf[i++];
				d->b.pad[1] = buf[i++];
			}
			GET_UV(v);
			if (v > UINT32_MAX)
				return -1;
			d->b.len = (uint32_t)v;
			GET_SV(sv);
			d->b.addr = c->baddr + (uint64_t)sv;
			c->baddr = d->b.addr + d->b.len;
			if (f & TRI_B_GPA_ADDR) {
				d->b.gpa = d->b.addr;
			} else {
				GET_UV(v);
				d->b.gpa = v - 1;
			}
			d->missing = f & TRI_B_MISSING;
			d->inline_ = f & TRI_B_INLINE;
			if (d->missing)
				continue;
			if (d->inline_) {
				if (d->b.len > TRI_INLINE_MAX)
					return -1;
				NEED(d->b.len);
				d->b.data = buf + i;
				i += d->b.len;
				d->key = tr_blob_key(d->b.data, d->b.len);
			} else {
				GET_SV(sv);
				d->ord = c->ord + (uint64_t)sv;
				c->ord = d->ord + 1;
			}
		}
		ev->nblobs = (uint32_t)n;
	}
	c->seq = ev->seq;
	c->time = ev->time;
	c->vgpu = ev->vgpu;
	c->engine = ev->engine;
	c->version = ev->version;
	c->size = ev->size;
	*pos = i;
	return 1;
}
