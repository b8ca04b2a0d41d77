/* SPDX-License-Identifier: MIT */
/* Growable buffers and the key map (open addressing; the slot is a seeded
 * hash of the whole key: keys read from a file may be crafted to collide). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <xxhash.h>

#include "tracer/log_format.h"

int tri_buf_reserve(struct tri_buf *b, size_t more)
{
	if (b->cap - b->len >= more)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

void tri_buf_free(struct tri_buf *b)
{
	free(b->p);
	*b = (struct tri_buf){ 0 };
}

static inline bool key_zero(const struct tr_key *k)
{
	return !k->lo && !k->hi;
}

static inline size_t slot_of(const struct tri_keymap *m, const struct tr_key *k)
{
	uint64_t w[2] = { k->lo, k->hi };
	return (size_t)XXH3_64bits_withSeed(w, sizeof(w), m->seed);
}

/* The all-zero key marks an empty slot, so it is never a member
 * (tri_keymap_put says -EINVAL; the writer records a blob hashing to it,
 * probability 2^-128, as missing). */
uint64_t *tri_keymap_get(const struct tri_keymap *m, const struct tr_key *k)
{
	if (!m->cap || key_zero(k))
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = slot_of(m, k) & mask;; i = (i + 1) & mask) {
		struct tri_keyslot *s = &m->s[i];
		if (s->k.lo == k->lo && s->k.hi == k->hi)
			return &s->v;
		if (key_zero(&s->k))
			return NULL;
	}
}

static int grow(struct tri_keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	struct tri_keyslot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (!m->cap) {
		uint64_t seed = 0;
		if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
			seed = ((uint64_t)tri_new_salt() << 32) ^ tri_new_salt();
		m->seed = seed;
	}
	for (size_t j = 0; j < m->cap; j++) {
		if (key_zero(&m->s[j].k))
			continue;
		size_t i = slot_of(m, &m->s[j].k) & (cap - 1);
		while (!key_zero(&s[i].k))
			i = (i + 1) & (cap - 1);
		s[i] = m->s[j];
	}
	free(m->s);
	m->s = s;
	m->cap = cap;
	return 0;
}

int tri_keymap_put(struct tri_keymap *m, const struct tr_key *k, uint64_t **v)
{
	if (key_zero(k))
		return -EINVAL;
	if ((m->n + 1) * 4 > m->cap * 3) {
		int err = grow(m);
		if (err)
			return err;
	}
	size_t mask = m->cap - 1;
	for (size_t i = slot_of(m, k) & mask;; i = (i + 1) & mask) {
		struct tri_keyslot *s = &m->s[i];
		if (s->k.lo == k->lo && s->k.hi == k->hi) {
			*v = &s->v;
			return 0;
		}
		if (key_zero(&s->k)) {
			s->k = *k;
			s->v = 0;
			m->n++;
			*v = &s->v;
			return 1;
		}
	}
}

void tri_keymap_free(struct tri_keymap *m)
{
	free(m->s);
	*m = (struct tri_keymap){ 0 };
}
