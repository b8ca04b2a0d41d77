/* SPDX-License-Identifier: MIT */
/* Host physical memory: sparse 4 KiB pages with an owner tag each, in a
 * two-level direct map (gpu_int.h says why it takes no lock to read). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

int gpui_mem_init(struct mem_map *m, uint64_t max_pages, uint64_t hpa_base)
{
	memset(m, 0, sizeof(*m));
	/* 2 MiB of leaf pointers, zero pages until a leaf is installed */
	struct mem_slot *_Atomic *top = calloc(MEM_TOP, sizeof(*top));
	if (!top)
		return -ENOMEM;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(top);
		return -ENOMEM;
	}
	m->top = top;
	m->max_pages = max_pages;
	m->next_pfn = hpa_base >> GPU_PAGE_SHIFT;
	return 0;
}

void gpui_mem_fini(struct mem_map *m)
{
	if (!m->top)
		return;
	for (size_t t = 0; t < MEM_TOP; t++) {
		struct mem_slot *leaf = atomic_load_explicit(&m->top[t], memory_order_relaxed);
		if (!leaf)
			continue;
		for (size_t i = 0; i < MEM_LEAF_PAGES; i++)
			free(atomic_load_explicit(&leaf[i].data, memory_order_relaxed));
		free(leaf);
	}
	free((void *)m->top);
	m->top = NULL;
	pthread_mutex_destroy(&m->lock);
}

/* The slot of frame pfn, or NULL when its leaf does not exist. */
static inline struct mem_slot *slot_of(const struct mem_map *m, uint64_t pfn)
{
	if (pfn >> MEM_LEAF_BITS >= MEM_TOP)
		return NULL;
	struct mem_slot *leaf =
		atomic_load_explicit(&m->top[pfn >> MEM_LEAF_BITS], memory_order_acquire);
	return leaf ? &leaf[pfn & (MEM_LEAF_PAGES - 1)] : NULL;
}

/* Lock held: whether frame pfn holds a page. */
static bool present_locked(const struct mem_map *m, uint64_t pfn)
{
	struct mem_slot *s = slot_of(m, pfn);
	return s && atomic_load_explicit(&s->data, memory_order_relaxed);
}

/* Lock held: the slot of pfn, its leaf created on demand (NULL: no memory). */
static struct mem_slot *slot_make_locked(struct mem_map *m, uint64_t pfn)
{
	struct mem_slot *s = slot_of(m, pfn);
	if (s)
		return s;
	struct mem_slot *leaf = calloc(MEM_LEAF_PAGES, sizeof(*leaf));
	if (!leaf)
		return NULL;
	atomic_store_explicit(&m->top[pfn >> MEM_LEAF_BITS], leaf, memory_order_release);
	return &leaf[pfn & (MEM_LEAF_PAGES - 1)];
}

static void free_data(uint8_t **d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i]);
	free(d);
}

/* Adds n pages: at pfn when !pick, else at a fresh run of n pfns aligned to
 * n (n is 1 or 512).  The bytes are allocated before the lock is taken. */
static int add_pages(struct gpu *g, uint64_t pfn, bool pick, size_t n, gpu_owner_t owner,
		     uint64_t *hpa)
{
	struct mem_map *m = &g->mem;
	uint8_t **d = calloc(n, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(d[i] = calloc(1, GPU_PAGE_SIZE))) {
			free_data(d, n);
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&m->lock);
	int err = 0;
	uint64_t used = atomic_load_explicit(&m->used, memory_order_relaxed);
	if (used + n > m->max_pages) {
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
			while (i < n && !present_locked(m, pfn + i))
				i++;
			if (i == n)
				break;
			pfn += n; /* something was mapped there by gpu_mem_map_page */
		}
		m->next_pfn = pfn + n;
	} else if (present_locked(m, pfn)) {
		err = -EEXIST;
		goto out;
	}
	/* every leaf first, so that a failure leaves nothing half added */
	for (size_t i = 0; i < n; i++) {
		if (!slot_make_locked(m, pfn + i)) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct mem_slot *s = slot_of(m, pfn + i);
		atomic_store_explicit(&s->owner, owner, memory_order_relaxed);
		atomic_store_explicit(&s->data, d[i], memory_order_release); /* publishes the owner */
		d[i] = NULL;
	}
	atomic_store_explicit(&m->used, used + n, memory_order_relaxed);
	if (hpa)
		*hpa = pfn << GPU_PAGE_SHIFT;
out:
	pthread_mutex_unlock(&m->lock);
	free_data(d, n);
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
	pthread_mutex_lock(&m->lock);
	struct mem_slot *s = slot_of(m, hpa >> GPU_PAGE_SHIFT);
	uint8_t *d = s ? atomic_exchange_explicit(&s->data, NULL, memory_order_acq_rel) : NULL;
	if (d)
		atomic_store_explicit(&m->used, atomic_load_explicit(&m->used, memory_order_relaxed) - 1,
				      memory_order_relaxed);
	pthread_mutex_unlock(&m->lock);
	if (!d)
		return -ENOENT;
	free(d);
	return 0;
}

uint8_t *gpui_mem_lookup(struct mem_map *m, uint64_t hpa, gpu_owner_t *owner)
{
	struct mem_slot *s = slot_of(m, hpa >> GPU_PAGE_SHIFT);
	uint8_t *d = s ? atomic_load_explicit(&s->data, memory_order_acquire) : NULL;
	if (d && owner)
		*owner = atomic_load_explicit(&s->owner, memory_order_relaxed);
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
	struct mem_map *m = &g->mem;
	pthread_mutex_lock(&m->lock); /* not while the page is being freed */
	struct mem_slot *s = slot_of(m, hpa >> GPU_PAGE_SHIFT);
	bool there = s && atomic_load_explicit(&s->data, memory_order_relaxed);
	if (there)
		atomic_store_explicit(&s->owner, owner, memory_order_relaxed);
	pthread_mutex_unlock(&m->lock);
	return there ? 0 : -ENOENT;
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
	return atomic_load_explicit(&g->mem.used, memory_order_relaxed);
}
