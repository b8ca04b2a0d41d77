/* SPDX-License-Identifier: MIT */
/*
 * A struct scan_mem over caller-owned segments: what `vgt scan`, case files
 * and tests use.  Segments are sorted per address space at creation and
 * found by bisection; a map() returns the bytes left in the segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/audit_priv.h"

struct scan_segmem {
	struct scan_memseg *segs; /* sorted by (as, gma) */
	unsigned n;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct scan_memseg *x = a, *y = b;

	if (x->as != y->as)
		return x->as < y->as ? -1 : 1;
	return x->gma < y->gma ? -1 : x->gma > y->gma;
}

int scan_segmem_new(const struct scan_memseg *segs, unsigned n, struct scan_segmem **out)
{
	struct scan_segmem *m;

	if (!out || (n && !segs))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (!segs[i].len || !segs[i].data || segs[i].gma + segs[i].len < segs[i].gma ||
		    (segs[i].as != SCAN_AS_GGTT && segs[i].as != SCAN_AS_PPGTT))
			return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->segs = calloc(n ? n : 1, sizeof(*m->segs));
	if (!m->segs) {
		free(m);
		return -ENOMEM;
	}
	if (n)
		memcpy(m->segs, segs, n * sizeof(*segs));
	m->n = n;
	qsort(m->segs, n, sizeof(*m->segs), seg_cmp);
	for (unsigned i = 1; i < n; i++) {
		const struct scan_memseg *p = &m->segs[i - 1], *q = &m->segs[i];

		if (p->as == q->as && p->gma + p->len > q->gma) {
			scan_segmem_free(m);
			return -EINVAL;
		}
	}
	*out = m;
	return 0;
}

void scan_segmem_free(struct scan_segmem *m)
{
	if (!m)
		return;
	free(m->segs);
	free(m);
}

static const void *segmem_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	const struct scan_segmem *m = ctx;
	unsigned lo = 0, hi = m->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct scan_memseg *s = &m->segs[mid];

		if (as < s->as || (as == s->as && gma < s->gma)) {
			hi = mid;
		} else if (as > s->as || gma - s->gma >= s->len) {
			lo = mid + 1;
		} else {
			*len = s->len - (size_t)(gma - s->gma);
			return (const char *)s->data + (gma - s->gma);
		}
	}
	*len = 0;
	return NULL;
}

void scan_segmem_view(struct scan_segmem *m, struct scan_mem *view)
{
	view->map = segmem_map;
	view->ctx = m;
}
