/* SPDX-License-Identifier: MIT */
/* The recorder's single-producer / single-consumer byte ring (ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/ring.h"

int tr_ring_init(struct tr_ring *g, uint64_t cap, uint64_t reserve, unsigned index)
{
	memset(g, 0, sizeof(*g));
	if (cap < 4096 || (cap & (cap - 1)) || reserve >= cap / 2 || (reserve & 7))
		return -EINVAL;
	void *buf = NULL;
	if (posix_memalign(&buf, TR_CACHELINE, cap))
		return -ENOMEM;
	g->buf = buf;
	g->cap = cap;
	g->mask = cap - 1;
	g->limit = cap - reserve;
	g->index = index;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void tr_ring_fini(struct tr_ring *g)
{
	if (!g->buf)
		return;
	free(g->buf);
	g->buf = NULL;
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
}
