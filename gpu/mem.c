/* SPDX-License-Identifier: MIT */
/* Host physical memory: sparse 4 KiB pages with an owner tag each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

static size_t slot_of(uint64_t pfn, size_t cap)
{
	uint64_t h = pfn * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17) & (cap - 1);
}

int gpui_mem_init(struct mem_map *m, uint64_t max_pages, uint64_t hpa_base)
{
	memset(m, 0, sizeof(*m));
	m->cap = 1024;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	if (pthread_rwlock_init(&m->lock, NULL) != 0) {
		free(m->slot);
		return -ENOMEM;
	}
	m->max_pages = max_pages;
	m->next_pfn = hpa_base >> GPU_PAGE_SHIFT;
	return 0;
}

void gpui_mem_fini(struct mem_map *m)
{
	if (!m->slot)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slot[i]) {
			free(m->slot[i]->data);
			free(m->slot[i]);
		}
	}
	free(m->slot);
	m->slot = NULL;
	pthread_rwlock_destroy(&m->lock);
}

/* Caller holds the lock (either mode). */
static struct mem_page *find_locked(const struct mem_map *m, uint64_t pfn)
{
	size_t i = slot_of(pfn, m->cap);
	for (;;) {
		struct mem_page *p = m->slot[i];
		if (!p)
			return NULL;
		if (p->pfn == pfn)
			return p;
		i = (i + 1) & (m->cap - 1);
	}
}

/* Caller holds the write lock; the table has room. */
static void insert_locked(struct mem_map *m, struct mem_page *p)
{
	size_t i = slot_of(p->pfn, m->cap);
	while (m->slot[i])
		i = (i + 1) & (m->cap - 1);
	m->slot[i] = p;
	m->used++;
}

static int grow_locked(struct mem_map *m)
{
	size_t ncap = m->cap * 2;
	struct mem_page **ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct mem_page **old = m->slot;
	size_t ocap = m->cap;
	m->slot = ns;
	m->cap = ncap;
	m->used = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			insert_locked(m, old[i]);
	free(old);
	return 0;
}

/* Backward-shift deletion keeps probe chains unbroken without tombstones. */
static void remove_locked(struct mem_map *m, size_t i)
{
	size_t mask = m->cap - 1;
	m->slot[i] = NULL;
	m->used--;
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		struct mem_page *p = m->slot[j];
		if (!p)
			return;
		size_t home = slot_of(p->pfn, m->cap);
		/* p may move to i when its home is not within (i, j]. */
		bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			m->slot[i] = p;
			m->slot[j] = NULL;
			i = j;
		}
	}
}

static void free_pages(struct mem_page **p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i]) {
			free(p[i]->data);
			free(p[i]);
		}
	}
	free(p);
}

/* Adds n pages: at pfn when !pick, else at a fresh run of n pfns aligned to
 * n (n is 1 or 512).  Everything is allocated before the lock is taken. */
static int add_pages(struct gpu *g, uint64_t pfn, bool pick, size_t n, gpu_owner_t owner,
		     uint64_t *hpa)
{
	struct mem_map *m = &g->mem;
	struct mem_page **p = calloc(n, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p[i] = malloc(sizeof(*p[i]));
		if (!p[i] || !(p[i]->data = calloc(1, GPU_PAGE_SIZE))) {
			free(p[i]);
			p[i] = NULL;
			free_pages(p, n);
			return -ENOMEM;
		}
	}
	pthread_rwlock_wrlock(&m->lock);
	int err = 0;
	if (m->used + n > m->max_pages) {
		err = -ENOMEM;
		goto out;
	}
	if (pick) {
		const uint64_t limit = GPU_HPA_LIMIT >> GPU_PAGE_SHIFT;
		pfn = (m->next_pfn + n - 1) / n * n;
		for (;;) {
			if (pfn + n > limit) {
				err = -ENOMEM;
				goto out;
			}
			size_t i = 0;
			while (i < n && !find_locked(m, pfn + i))
				i++;
			if (i == n)
				break;
			pfn += n; /* something was mapped there by gpu_mem_map_page */
		}
		m->next_pfn = pfn + n;
	} else if (find_locked(m, pfn)) {
		err = -EEXIST;
		goto out;
	}
	while ((m->used + n) * 2 > m->cap)
		if ((err = grow_locked(m)) != 0)
			goto out;
	for (size_t i = 0; i < n; i++) {
		p[i]->pfn = pfn + i;
		atomic_init(&p[i]->owner, owner);
		insert_locked(m, p[i]);
		p[i] = NULL;
	}
	if (hpa)
		*hpa = pfn << GPU_PAGE_SHIFT;
out:
	pthread_rwlock_unlock(&m->lock);
	free_pages(p, n);
	return err;
}

int gpu_mem_alloc_page(struct gpu *g, uint64_t *hpa)
{
	return gpu_mem_alloc_owned(g, GPU_OWNER_HOST, hpa);
}

int gpu_mem_alloc_owned(struct gpu *g, gpu_owner_t owner, uint64_t *hpa)
{
	if (!g || !hpa)
		return -EINVAL;
	return add_pages(g, 0, true, 1, owner, hpa);
}

int gpu_mem_map_page(struct gpu *g, uint64_t hpa, gpu_owner_t owner)
{
	if (!g || (hpa & GPU_PAGE_MASK) || hpa >= GPU_HPA_LIMIT)
		return -EINVAL;
	return add_pages(g, hpa >> GPU_PAGE_SHIFT, false, 1, owner, NULL);
}

#define HUGE_PAGES 512 /* 2 MiB */

int gpu_mem_alloc_huge(struct gpu *g, gpu_owner_t owner, uint64_t *hpa)
{
	if (!g || !hpa)
		return -EINVAL;
	return add_pages(g, 0, true, HUGE_PAGES, owner, hpa);
}

int gpu_mem_free_huge(struct gpu *g, uint64_t hpa)
{
	if (!g || (hpa & ((HUGE_PAGES << GPU_PAGE_SHIFT) - 1)))
		return -EINVAL;
	int err = 0;
	for (unsigned i = 0; i < HUGE_PAGES; i++)
		if (gpu_mem_free_page(g, hpa + ((uint64_t)i << GPU_PAGE_SHIFT)))
			err = -ENOENT;
	return err;
}

int gpu_mem_free_page(struct gpu *g, uint64_t hpa)
{
	if (!g)
		return -EINVAL;
	struct mem_map *m = &g->mem;
	uint64_t pfn = hpa >> GPU_PAGE_SHIFT;
	pthread_rwlock_wrlock(&m->lock);
	size_t i = slot_of(pfn, m->cap);
	struct mem_page *p;
	while ((p = m->slot[i]) && p->pfn != pfn)
		i = (i + 1) & (m->cap - 1);
	if (p)
		remove_locked(m, i);
	pthread_rwlock_unlock(&m->lock);
	if (!p)
		return -ENOENT;
	free(p->data);
	free(p);
	return 0;
}

uint8_t *gpui_mem_lookup(struct mem_map *m, uint64_t hpa, gpu_owner_t *owner)
{
	pthread_rwlock_rdlock(&m->lock);
	struct mem_page *p = find_locked(m, hpa >> GPU_PAGE_SHIFT);
	uint8_t *d = NULL;
	if (p) {
		d = p->data;
		if (owner)
			*owner = atomic_load_explicit(&p->owner, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&m->lock);
	return d;
}

void *gpu_mem_ptr(struct gpu *g, uint64_t hpa)
{
	if (!g)
		return NULL;
	uint8_t *d = gpui_mem_lookup(&g->mem, hpa, NULL);
	return d ? d + (hpa & GPU_PAGE_MASK) : NULL;
}

int gpu_mem_set_owner(struct gpu *g, uint64_t hpa, gpu_owner_t owner)
{
	if (!g)
		return -EINVAL;
	pthread_rwlock_rdlock(&g->mem.lock);
	struct mem_page *p = find_locked(&g->mem, hpa >> GPU_PAGE_SHIFT);
	if (p)
		atomic_store_explicit(&p->owner, owner, memory_order_relaxed);
	pthread_rwlock_unlock(&g->mem.lock);
	return p ? 0 : -ENOENT;
}

int gpu_mem_get_owner(struct gpu *g, uint64_t hpa, gpu_owner_t *owner)
{
	if (!g || !owner)
		return -EINVAL;
	return gpui_mem_lookup(&g->mem, hpa, owner) ? 0 : -ENOENT;
}

static int copy(struct gpu *g, uint64_t hpa, void *buf, size_t len, bool write)
{
	if (!g || (!buf && len))
		return -EINVAL;
	if (len > UINT64_MAX - hpa)
		return -EFAULT;
	/* First make sure every page exists, so nothing is half done. */
	for (uint64_t a = hpa & ~GPU_PAGE_MASK; a < hpa + len; a += GPU_PAGE_SIZE)
		if (!gpui_mem_lookup(&g->mem, a, NULL))
			return -EFAULT;
	uint8_t *b = buf;
	while (len) {
		size_t off = hpa & GPU_PAGE_MASK;
		size_t n = GPU_PAGE_SIZE - off;
		if (n > len)
			n = len;
		uint8_t *d = gpui_mem_lookup(&g->mem, hpa, NULL);
		if (!d)
			return -EFAULT; /* freed meanwhile */
		if (write)
			memcpy(d + off, b, n);
		else
			memcpy(b, d + off, n);
		b += n;
		hpa += n;
		len -= n;
	}
	return 0;
}

int gpu_mem_read(struct gpu *g, uint64_t hpa, void *buf, size_t len)
{
	return copy(g, hpa, buf, len, false);
}

int gpu_mem_write(struct gpu *g, uint64_t hpa, const void *buf, size_t len)
{
	return copy(g, hpa, (void *)buf, len, true);
}

uint64_t gpu_mem_pages(struct gpu *g)
{
	if (!g)
		return 0;
	pthread_rwlock_rdlock(&g->mem.lock);
	uint64_t n = g->mem.used;
	pthread_rwlock_unlock(&g->mem.lock);
	return n;
}
