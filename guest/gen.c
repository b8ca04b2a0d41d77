/* SPDX-License-Identifier: MIT */
/*
 * Workload generators: the object that turns (profile, seed) into a
 * deterministic stream of submissions, the per-workload arena, and the
 * helpers every profile builder uses (buffer objects, checks, the result
 * page, the ring that starts a batch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest_int.h"

/* ---------------------------------------------------------------- arena */

void *guesti_arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	for (; a->cur < a->n; a->cur++) {
		struct arena_blk *b = &a->b[a->cur];
		if (b->cap - b->used >= n) {
			void *p = b->p + b->used;
			b->used += n;
			memset(p, 0, n);
			return p;
		}
	}
	if (a->n == a->cap) {
		unsigned cap = a->cap ? 2 * a->cap : 8;
		struct arena_blk *nb = realloc(a->b, cap * sizeof(*nb));
		if (!nb) {
			a->oom = true;
			return NULL;
		}
		a->b = nb;
		a->cap = cap;
	}
	size_t cap = n > (1u << 20) ? n : (1u << 20);
	uint8_t *p = calloc(1, cap);
	if (!p) {
		a->oom = true;
		return NULL;
	}
	a->b[a->n] = (struct arena_blk){ .p = p, .used = n, .cap = cap };
	a->cur = a->n++;
	return p;
}

void guesti_arena_reset(struct arena *a)
{
	for (unsigned i = 0; i < a->n; i++)
		a->b[i].used = 0;
	a->cur = 0;
	a->oom = false;
}

void guesti_arena_free(struct arena *a)
{
	for (unsigned i = 0; i < a->n; i++)
		free(a->b[i].p);
	free(a->b);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------- profiles */

static const char *const profile_names[GUEST_PROFILE_COUNT] = {
	[GUEST_PROFILE_3D] = "3d",
	[GUEST_PROFILE_COMPUTE] = "compute",
	[GUEST_PROFILE_BLIT] = "blit",
	[GUEST_PROFILE_MEDIA] = "media",
	[GUEST_PROFILE_DESKTOP] = "desktop",
	[GUEST_PROFILE_HOSTILE] = "hostile",
	[GUEST_PROFILE_CAPTURE] = "capture",
};

const char *guest_profile_name(enum guest_profile p)
{
	return (unsigned)p < GUEST_PROFILE_COUNT ? profile_names[p] : NULL;
}

int guest_profile_parse(const char *s, enum guest_profile *out, const char **dir)
{
	if (!s || !out)
		return -EINVAL;
	if (dir)
		*dir = NULL;
	if (!strncmp(s, "capture:", 8)) {
		if (!s[8])
			return -EINVAL;
		*out = GUEST_PROFILE_CAPTURE;
		if (dir)
			*dir = s + 8;
		return 0;
	}
	for (unsigned p = 0; p < GUEST_PROFILE_COUNT; p++) {
		if (p != GUEST_PROFILE_CAPTURE && !strcmp(s, profile_names[p])) {
			*out = (enum guest_profile)p;
			return 0;
		}
	}
	return -EINVAL;
}

/* -------------------------------------------------------------- helpers */

struct guest_bo *guesti_gen_bo(struct guest_gen *g, uint64_t gma, uint64_t size, uint32_t flags,
			const void *data, uint64_t data_len)
{
	if (g->nbos == sizeof(g->bos) / sizeof(g->bos[0]))
		return NULL;
	struct guest_bo *b = &g->bos[g->nbos++];
	b->gma = gma & SCAN_GMA_MASK & ~(uint64_t)(GPAGE - 1);
	b->size = page_up(size ? size : 1);
	b->flags = flags;
	b->data = data;
	b->data_len = data_len < b->size ? data_len : b->size;
	return b;
}

struct guest_check *guesti_gen_check(struct guest_gen *g, uint64_t gma, uint32_t len, const void *expect,
			      const char *what)
{
	if (g->nchecks == sizeof(g->checks) / sizeof(g->checks[0]) || !expect)
		return NULL;
	struct guest_check *c = &g->checks[g->nchecks++];
	c->gma = gma;
	c->len = len;
	c->expect = expect;
	c->what = what;
	return c;
}

uint64_t guesti_gen_result(struct guest_gen *g, uint64_t *value)
{
	uint64_t slot = GUEST_RESULT_GMA + 8 * (g->seq % 512);
	uint64_t v = (g->seq & 0xffffffffu) | ((uint64_t)g->tag << 32);
	guesti_gen_bo(g, GUEST_RESULT_GMA, GPAGE, GUEST_BO_RESULT | GUEST_BO_WRITE, NULL, 0);
	uint64_t *e = guesti_arena_alloc(&g->arena, 8);
	if (e) {
		*e = v;
		guesti_gen_check(g, slot, 8, e, "sequence number in the result page");
	}
	*value = v;
	return slot;
}

void guesti_gen_batch_bo(struct guest_gen *g, struct cbuf *cb, uint64_t gma)
{
	guesti_gen_bo(g, gma, cb_bytes(cb), GUEST_BO_BATCH, cb->dw, cb_bytes(cb));
	g->w.batch_bytes += cb_bytes(cb);
	g->w.commands += cb->cmds;
}

void guesti_gen_ring_start(struct guest_gen *g, uint64_t batch)
{
	guesti_emit_bb_start(&g->ring, batch, true, false);
	if (!g->w.batch)
		g->w.batch = batch;
}

/* ------------------------------------------------------------ generator */

int guest_gen_new(const struct guest_gen_opts *opts, struct guest_gen **out)
{
	if (!opts || !out)
		return -EINVAL;
	struct guest_gen_opts o = { .sz = sizeof(o) };
	int oerr = VGT_OPTS_LOAD(&o, opts);
	if (oerr)
		return oerr;
	if (!o.gen)
		o.gen = SCAN_GEN9;
	if (o.gen != SCAN_GEN8 && o.gen != SCAN_GEN9) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: generation %u unsupported (8 or 9)", o.gen);
		return -EINVAL;
	}
	if ((unsigned)o.profile >= GUEST_PROFILE_COUNT) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: profile %d unknown", (int)o.profile);
		return -EINVAL;
	}
	struct guest_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->gen = o.gen;
	g->profile = o.profile;
	g->errbuf = o.errbuf;
	g->errbuf_len = o.errbuf_len;
	guest_rng_seed(&g->rng, o.seed ^ (0x6775657374ull * (1 + (uint64_t)o.profile)));
	g->tag = 0x7e570000u | (uint32_t)(guest_rng_u64(&g->rng) & 0xffff);
	if (o.profile == GUEST_PROFILE_CAPTURE) {
		if (!o.capture_dir || !*o.capture_dir) {
			vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: the capture profile needs a folder (capture:DIR)");
			free(g);
			return -EINVAL;
		}
		int err = corpus_capture_open(o.capture_dir, &g->cap, o.errbuf, o.errbuf_len);
		if (err) {
			free(g);
			return err;
		}
		/* The first record says which generation the folder is. */
		struct corpus_record *rec = NULL;
		err = corpus_record_load(g->cap, 0, &rec, o.errbuf, o.errbuf_len);
		if (err) {
			corpus_capture_close(g->cap);
			free(g);
			return err;
		}
		enum scan_gen rg = corpus_record_gen(rec);
		corpus_record_free(rec);
		if (rg != o.gen) {
			vgt_errbuf_set(o.errbuf, o.errbuf_len,
			     "guest: capture folder %s holds Gen%u submissions; this simulation is Gen%u",
			     o.capture_dir, (unsigned)rg, (unsigned)o.gen);
			corpus_capture_close(g->cap);
			free(g);
			return -EINVAL;
		}
	}
	*out = g;
	return 0;
}

void guest_gen_free(struct guest_gen *g)
{
	if (!g)
		return;
	guesti_arena_free(&g->arena);
	for (unsigned i = 0; i < sizeof(g->cb) / sizeof(g->cb[0]); i++)
		guesti_cb_free(&g->cb[i]);
	guesti_cb_free(&g->ring);
	corpus_record_free(g->rec);
	corpus_capture_close(g->cap);
	free(g);
}

enum guest_profile guest_gen_profile(const struct guest_gen *g)
{
	return g ? g->profile : GUEST_PROFILE_COUNT;
}

int guest_gen_next(struct guest_gen *g, const struct guest_work **out)
{
	if (!g || !out)
		return -EINVAL;
	guesti_arena_reset(&g->arena);
	for (unsigned i = 0; i < sizeof(g->cb) / sizeof(g->cb[0]); i++)
		guesti_cb_reset(&g->cb[i]);
	guesti_cb_reset(&g->ring);
	g->nbos = 0;
	g->nchecks = 0;
	memset(&g->w, 0, sizeof(g->w));
	g->seq++;
	g->w.seq = g->seq;

	int err;
	switch (g->profile) {
	case GUEST_PROFILE_3D: err = guesti_prof_3d(g); break;
	case GUEST_PROFILE_COMPUTE: err = guesti_prof_compute(g); break;
	case GUEST_PROFILE_BLIT: err = guesti_prof_blit(g); break;
	case GUEST_PROFILE_MEDIA: err = guesti_prof_media(g); break;
	case GUEST_PROFILE_DESKTOP: err = guesti_prof_desktop(g); break;
	case GUEST_PROFILE_HOSTILE: err = guesti_prof_hostile(g); break;
	case GUEST_PROFILE_CAPTURE: err = guesti_prof_capture(g); break;
	default: err = -EINVAL; break;
	}
	if (err)
		return err;
	bool oom = g->arena.oom || g->ring.oom;
	for (unsigned i = 0; i < sizeof(g->cb) / sizeof(g->cb[0]); i++)
		oom |= g->cb[i].oom;
	if (oom) {
		vgt_errbuf_set(g->errbuf, g->errbuf_len, "guest: out of memory building workload %llu",
		     (unsigned long long)g->seq);
		return -ENOMEM;
	}
	g->w.bos = g->bos;
	g->w.nbos = g->nbos;
	g->w.checks = g->checks;
	g->w.nchecks = g->nchecks;
	g->w.ring = g->ring.dw;
	g->w.nring = g->ring.n;
	g->w.commands += g->ring.cmds;
	*out = &g->w;
	return 0;
}
