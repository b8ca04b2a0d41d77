/* SPDX-License-Identifier: MIT */
/*
 * Default host memory for shadow/: every 4 KiB page is its own allocation
 * (so AddressSanitizer sees any use after free), numbered with fake host
 * physical addresses.  Slots live in fixed two-level tables that never move,
 * so ptr() is lock-free; allocation and free take a mutex.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

#define BASE_4K     (1ull << 32)
#define BASE_2M     (1ull << 40)
#define CHUNK_SLOTS 4096u
#define TOP_4K      16384u  /* 64 Mi pages: 256 GiB */
#define TOP_2M      64u     /* 256 Ki huge pages: 512 GiB */

struct hslot {
	void *p;
	uint32_t owner;
	uint32_t kind;
};

struct hpool {
	struct hslot *top[TOP_4K];
	unsigned ntop;
	uint64_t next;          /* never-used slot index */
	uint64_t *freel;        /* freed slot indices (LIFO) */
	size_t nfree, capfree;
};

/* Freed 4 KiB pages kept for reuse, except under AddressSanitizer, where
 * every free must really free so a stale pointer is caught. */
#if defined(__SANITIZE_ADDRESS__)
#define PAGE_CACHE 0
#else
#define PAGE_CACHE 1024
#endif

struct shadow_host {
	pthread_mutex_t lock;
	size_t max_pages;
	struct hpool small, huge;
	struct shadow_host_stats st;
	void *cache[PAGE_CACHE + 1];
	unsigned ncache;
};

struct shadow_host *shadow_host_default_new(size_t max_pages)
{
	struct shadow_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->max_pages = max_pages;
	h->small.ntop = TOP_4K;
	h->huge.ntop = TOP_2M;
	h->st.sz = sizeof(h->st);
	return h;
}

static void pool_free_all(struct hpool *p)
{
	for (unsigned t = 0; t < p->ntop; t++) {
		if (!p->top[t])
			continue;
		for (unsigned i = 0; i < CHUNK_SLOTS; i++)
			free(p->top[t][i].p);
		free(p->top[t]);
	}
	free(p->freel);
}

void shadow_host_default_free(struct shadow_host *h)
{
	if (!h)
		return;
	while (h->ncache)
		free(h->cache[--h->ncache]);
	pool_free_all(&h->small);
	pool_free_all(&h->huge);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static struct hslot *pool_slot(struct hpool *p, uint64_t idx)
{
	if (idx / CHUNK_SLOTS >= p->ntop)
		return NULL;
	struct hslot *c = __atomic_load_n(&p->top[idx / CHUNK_SLOTS], __ATOMIC_ACQUIRE);
	return c ? &c[idx % CHUNK_SLOTS] : NULL;
}

/* Picks a slot index (lock held); -ENOMEM when the table is full. */
static int pool_take(struct hpool *p, uint64_t *idx)
{
	if (p->nfree) {
		*idx = p->freel[--p->nfree];
		return 0;
	}
	uint64_t i = p->next;
	if (i / CHUNK_SLOTS >= p->ntop)
		return -ENOMEM;
	if (!p->top[i / CHUNK_SLOTS]) {
		struct hslot *c = calloc(CHUNK_SLOTS, sizeof(*c));
		if (!c)
			return -ENOMEM;
		__atomic_store_n(&p->top[i / CHUNK_SLOTS], c, __ATOMIC_RELEASE);
	}
	p->next++;
	*idx = i;
	return 0;
}

static int pool_give(struct hpool *p, uint64_t idx)
{
	if (p->nfree == p->capfree) {
		size_t cap = p->capfree ? p->capfree * 2 : 256;
		uint64_t *n = realloc(p->freel, cap * sizeof(*n));
		if (!n)
			return -ENOMEM; /* slot leaks as unusable; memory itself is freed */
		p->freel = n;
		p->capfree = cap;
	}
	p->freel[p->nfree++] = idx;
	return 0;
}

static int host_alloc(struct shadow_host *h, bool huge, unsigned owner,
		      enum shadow_page_kind kind, uint64_t *hpa)
{
	size_t pages = huge ? 512 : 1;
	struct hpool *p = huge ? &h->huge : &h->small;
	size_t bytes = huge ? SHADOW_PAGE_2M : SHADOW_PAGE_SIZE;
	uint64_t idx;
	int err;

	pthread_mutex_lock(&h->lock);
	if (h->max_pages && h->st.live_pages + pages > h->max_pages) {
		h->st.alloc_failures++;
		pthread_mutex_unlock(&h->lock);
		return -ENOMEM;
	}
	err = pool_take(p, &idx);
	if (err) {
		h->st.alloc_failures++;
		pthread_mutex_unlock(&h->lock);
		return err;
	}
	/* contents are not zeroed: shadow/ writes every page it hands out */
	void *mem = !huge && h->ncache ? h->cache[--h->ncache] : aligned_alloc(SHADOW_PAGE_SIZE, bytes);
	if (!mem) {
		pool_give(p, idx);
		h->st.alloc_failures++;
		pthread_mutex_unlock(&h->lock);
		return -ENOMEM;
	}
	struct hslot *s = pool_slot(p, idx);
	s->owner = owner;
	s->kind = kind;
	__atomic_store_n(&s->p, mem, __ATOMIC_RELEASE);
	h->st.live_pages += pages;
	h->st.allocs++;
	pthread_mutex_unlock(&h->lock);
	*hpa = huge ? BASE_2M + idx * SHADOW_PAGE_2M : BASE_4K + idx * SHADOW_PAGE_SIZE;
	return 0;
}

static void host_free(struct shadow_host *h, bool huge, uint64_t hpa)
{
	struct hpool *p = huge ? &h->huge : &h->small;
	uint64_t base = huge ? BASE_2M : BASE_4K;
	uint64_t unit = huge ? SHADOW_PAGE_2M : SHADOW_PAGE_SIZE;
	struct hslot *s = NULL;

	pthread_mutex_lock(&h->lock);
	if (hpa >= base && (hpa - base) % unit == 0)
		s = pool_slot(p, (hpa - base) / unit);
	if (!s || !s->p) {
		h->st.bad_frees++;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	void *mem = s->p;
	__atomic_store_n(&s->p, NULL, __ATOMIC_RELEASE);
	s->owner = 0;
	s->kind = 0;
	pool_give(p, (hpa - base) / unit);
	h->st.live_pages -= huge ? 512 : 1;
	h->st.frees++;
	if (!huge && PAGE_CACHE && h->ncache + 1 <= PAGE_CACHE) {
		h->cache[h->ncache++] = mem;
		mem = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	free(mem);
}

static int def_alloc_page(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	return host_alloc(ctx, false, owner, kind, hpa);
}

static int def_alloc_huge(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	return host_alloc(ctx, true, owner, kind, hpa);
}

static void def_free_page(void *ctx, uint64_t hpa) { host_free(ctx, false, hpa); }
static void def_free_huge(void *ctx, uint64_t hpa) { host_free(ctx, true, hpa); }

static struct hslot *find_slot(struct shadow_host *h, uint64_t hpa, uint64_t *off)
{
	if (hpa >= BASE_2M) {
		*off = (hpa - BASE_2M) % SHADOW_PAGE_2M;
		return pool_slot(&h->huge, (hpa - BASE_2M) / SHADOW_PAGE_2M);
	}
	if (hpa >= BASE_4K) {
		*off = 0;
		return pool_slot(&h->small, (hpa - BASE_4K) / SHADOW_PAGE_SIZE);
	}
	return NULL;
}

static void *def_ptr(void *ctx, uint64_t hpa)
{
	uint64_t off;
	struct hslot *s = find_slot(ctx, hpa & ~(uint64_t)(SHADOW_PAGE_SIZE - 1), &off);
	if (!s)
		return NULL;
	char *p = __atomic_load_n(&s->p, __ATOMIC_ACQUIRE);
	return p ? p + off : NULL;
}

const struct shadow_host_ops shadow_host_default_ops = {
	.sz = sizeof(struct shadow_host_ops),
	.alloc_page = def_alloc_page,
	.free_page = def_free_page,
	.ptr = def_ptr,
	.alloc_huge = def_alloc_huge,
	.free_huge = def_free_huge,
};

void shadow_host_default_stats(struct shadow_host *h, struct shadow_host_stats *st)
{
	size_t sz = st->sz ? st->sz : sizeof(*st);

	pthread_mutex_lock(&h->lock);
	struct shadow_host_stats cur = h->st;
	pthread_mutex_unlock(&h->lock);
	if (sz > sizeof(cur))
		sz = sizeof(cur);
	cur.sz = sz;
	memcpy(st, &cur, sz);
}

int shadow_host_default_owner(struct shadow_host *h, uint64_t hpa, unsigned *owner,
			      enum shadow_page_kind *kind)
{
	uint64_t off;
	int err = -ENOENT;

	pthread_mutex_lock(&h->lock);
	struct hslot *s = find_slot(h, hpa & ~(uint64_t)(SHADOW_PAGE_SIZE - 1), &off);
	if (s && s->p) {
		if (owner)
			*owner = s->owner;
		if (kind)
			*kind = (enum shadow_page_kind)s->kind;
		err = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}
