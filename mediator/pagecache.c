/* SPDX-License-Identifier: MIT */
/*
 * Host pages for a vGPU's shadows (rings, batch buffers, the execution
 * copies of its PPGTT tables), kept between workloads: allocating a page
 * from the GPU model and freeing it again cost more per workload than
 * scanning a hundred commands.  The cache is per vGPU so a page never goes
 * from one vGPU's shadows to another's; reused pages are zeroed where the
 * caller does not overwrite them.  Completion frees on an engine thread
 * while the trap thread builds the next workload, hence the small lock.
 */
#include <errno.h>
#include <string.h>

#include "mediator/med_int.h"

int medi_page_get(struct med_vgpu *v, bool zero, uint64_t *hpa)
{
	struct med_page_cache *c = &v->pages;

	pthread_mutex_lock(&c->lock);
	if (c->n) {
		*hpa = c->hpa[--c->n];
		pthread_mutex_unlock(&c->lock);
		if (zero) {
			uint8_t *p = gpu_mem_ptr(v->m->gpu, *hpa);
			if (!p)
				return -EFAULT;
			memset(p, 0, MED_PAGE);
		}
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	return gpu_mem_alloc_page(v->m->gpu, hpa); /* zeroed */
}

void medi_page_put(struct med_vgpu *v, uint64_t hpa)
{
	struct med_page_cache *c = &v->pages;

	if (!hpa)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->n < MED_PAGE_CACHE) {
		c->hpa[c->n++] = hpa;
		hpa = 0;
	}
	pthread_mutex_unlock(&c->lock);
	if (hpa)
		gpu_mem_free_page(v->m->gpu, hpa);
}

void medi_page_cache_init(struct med_vgpu *v)
{
	pthread_mutex_init(&v->pages.lock, NULL);
	v->pages.n = 0;
}

/* Once no workload of the vGPU is left. */
void medi_page_cache_fini(struct med_vgpu *v)
{
	for (unsigned i = 0; i < v->pages.n; i++)
		gpu_mem_free_page(v->m->gpu, v->pages.hpa[i]);
	v->pages.n = 0;
	pthread_mutex_destroy(&v->pages.lock);
}
