/* SPDX-License-Identifier: MIT */
/* The log reader's blob chunks (reader_int.h): registered as they are
 * passed or found, indexed (key -> entry, blob number -> entry) when loaded,
 * kept in a cache of at most blob_cache bytes (least recently used first,
 * never what the current call handed out); tr_reader_blob. */
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
#include <xxhash.h>

#include "common/common.h"
#include "tracer/reader_int.h"

/* ------------------------------------------------------------------- blobs */

int tri_register_bchunk(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h,
			size_t *id)
{
	struct tr_key k = { .lo = off, .hi = 1 };
	uint64_t *v = tri_keymap_get(&r->chunk_map, &k);
	if (v) {
		*id = (size_t)*v;
		return 0;
	}
	/* room first: the map never holds an id that is not a chunk */
	if (r->nbchunks == r->bchunks_cap) {
		size_t cap = r->bchunks_cap ? r->bchunks_cap * 2 : 64;
		struct bchunk *nb = realloc(r->bchunks, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		r->bchunks = nb;
		r->bchunks_cap = cap;
	}
	int e = tri_keymap_put(&r->chunk_map, &k, &v);
	if (e < 0)
		return e;
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
int tri_bchunk_load(struct tr_reader *r, size_t id)
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
	int e = tri_load_payload(r, bc->off, &bc->h, data, &why);
	if (e == 0 && bc->state == BC_INDEXED && XXH3_64bits(data, len) != bc->sum) {
		/* the maps point into the bytes indexed: other bytes are not them */
		why = "blob chunk changed since it was read";
		e = 1;
	}
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
			bc->sum = XXH3_64bits(data, len);
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

int tri_index_pending(struct tr_reader *r)
{
	for (size_t i = 0; r->npending && i < r->nbchunks; i++) {
		if (r->bchunks[i].state != BC_PENDING)
			continue;
		int e = tri_bchunk_load(r, i);
		if (e < 0)
			return e;
		/* indexed, not needed yet: the first to go (the cache stays bounded
		 * however many chunks a seek jumped over) */
		if (e == 0 && r->bchunks[i].slot >= 0)
			r->cache[r->bchunks[i].slot].stamp = 0;
	}
	return 0;
}

/* The blob `k` names in map m (the key map, or the number map): 1 found
 * (*data, *len, *key), 0 not in the log, or a negative errno. */
int tri_blob_find(struct tr_reader *r, struct tri_keymap *m, const struct tr_key *k,
		  const uint8_t **data, uint32_t *len, struct tr_key *key)
{
	uint64_t *v = tri_keymap_get(m, k);
	if (!v && r->npending) {
		int e = tri_index_pending(r);
		if (e < 0)
			return e;
		v = tri_keymap_get(m, k);
	}
	if (!v)
		return 0;
	size_t id = (size_t)(*v >> 32), at = (size_t)(*v & 0xffffffffu);
	int e = tri_bchunk_load(r, id);
	if (e)
		return e < 0 ? e : 0;
	const struct cache_ent *c = &r->cache[r->bchunks[id].slot];
	if (at > c->len || c->len - at < TRI_BLOB_ENTRY_HDR ||
	    tri_get32(c->data + at + 16) > c->len - at - TRI_BLOB_ENTRY_HDR)
		return 0; /* (cannot happen: the bytes are the ones indexed) */
	const uint8_t *d = c->data + at;
	key->lo = tri_get64(d);
	key->hi = tri_get64(d + 8);
	*len = tri_get32(d + 16);
	*data = d + TRI_BLOB_ENTRY_HDR;
	return 1;
}

static int discover_fn(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h)
{
	size_t id;
	return h->kind == TR_CHUNK_BLOBS ? tri_register_bchunk(r, off, h, &id) : 0;
}

int tr_reader_blob(struct tr_reader *r, const struct tr_key *key, const void **data, uint32_t *len)
{
	if (!r || !key || !data || !len)
		return -EINVAL;
	r->stamp++;
	const uint8_t *d;
	struct tr_key k;
	int e = tri_blob_find(r, &r->map, key, &d, len, &k);
	if (e == 0 && !r->discovered) {
		r->discovered = true;
		if ((e = tri_walk(r, discover_fn, NULL)) < 0)
			return e;
		e = tri_blob_find(r, &r->map, key, &d, len, &k);
	}
	if (e < 0)
		return e;
	if (e == 0)
		return -ENOENT;
	*data = d;
	return 0;
}

