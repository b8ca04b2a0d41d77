/* SPDX-License-Identifier: MIT */
/*
 * Shadow space: the part of the host-reserved high GGTT where the mediator
 * maps the shadow rings and GGTT shadow batch buffers it hands to the GPU
 * model, and the mirroring of the shadow engine's host GGTT into the GPU
 * model's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mediator/med_int.h"

/* First-fit over a page map, starting at a rotating hint. */
int medi_space_alloc(struct med *m, uint32_t pages, uint64_t *gma)
{
	if (!pages || pages > m->space_pages)
		return -ENOSPC;
	pthread_mutex_lock(&m->space_lock);
	uint32_t n = m->space_pages;
	for (uint32_t tries = 0; tries < 2; tries++) {
		uint32_t start = tries ? 0 : m->space_hint;
		uint32_t run = 0;
		for (uint32_t i = start; i < n; i++) {
			if (m->space_map[i]) {
				run = 0;
				continue;
			}
			if (++run == pages) {
				uint32_t first = i + 1 - pages;
				memset(m->space_map + first, 1, pages);
				m->space_hint = i + 1 < n ? i + 1 : 0;
				pthread_mutex_unlock(&m->space_lock);
				*gma = m->space_base + (uint64_t)first * MED_PAGE;
				return 0;
			}
		}
	}
	pthread_mutex_unlock(&m->space_lock);
	return -ENOSPC;
}

void medi_space_free(struct med *m, uint64_t gma, uint32_t pages)
{
	if (gma < m->space_base)
		return;
	uint64_t first = (gma - m->space_base) / MED_PAGE;
	if (first + pages > m->space_pages)
		return;
	pthread_mutex_lock(&m->space_lock);
	memset(m->space_map + first, 0, pages);
	pthread_mutex_unlock(&m->space_lock);
}

/* Copies the shadow engine's host entry for `gma` into the GPU model. */
void medi_ggtt_copy(struct med *m, uint64_t gma)
{
	uint32_t index = (uint32_t)(gma >> 12);
	gpu_ggtt_set(m->gpu, gma & ~0xfffull, shadow_ggtt_host_pte(m->sh, index));
}

int medi_host_map_ggtt(struct med *m, uint64_t gma, uint64_t hpa)
{
	int err = shadow_ggtt_host_map(m->sh, gma, hpa, hpa ? SHADOW_PTE_PRESENT : 0);
	if (err)
		return err;
	medi_ggtt_sync(m, gma);
	return 0;
}
