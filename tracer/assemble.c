/* SPDX-License-Identifier: MIT */
/*
 * The assembler (capture_int.h): what an out-of-process source takes from
 * the probes — blob pieces, then the event they belong to — back into one
 * struct med_event with its blobs, handed to a recorder that orders by seq.
 *
 * Pieces wait in a small table keyed by seq until their event arrives (the
 * probe fires them first, on the same thread).  Nothing read is trusted:
 * an event of another layout, a piece past its blob's length or beyond the
 * writer's caps is counted as bad and skipped; a piece whose event never
 * comes (its record was lost) is dropped once the table is full or at
 * close, counted as an orphan.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/capture_int.h"
#include "tracer/log_format.h"

/* Events whose pieces may be in flight at once: one per emitting thread is
 * the normal case; beyond this the oldest is given up. */
#define PEND_MAX   256
#define TEXT_MAX   4096

struct pblob {
	int present;           /* a piece arrived */
	uint8_t kind, as;
	uint32_t len;          /* the whole blob's */
	uint64_t addr, gpa;
	uint8_t *data;         /* len bytes */
	uint32_t got;          /* bytes received (pieces arrive once each) */
};

struct pend {
	int used;
	uint64_t seq;
	uint64_t age;          /* order of creation: the oldest goes first */
	uint32_t nblobs;       /* slots in blobs (highest index seen + 1) */
	struct pblob *blobs;
};

struct tr_asm {
	struct tr_recorder *rec;
	struct pend pend[PEND_MAX];
	unsigned npend;
	uint64_t clock;
	struct tra_stats st;
};

int tra_open(struct tr_recorder *rec, struct tr_asm **out)
{
	if (!rec || !out)
		return -EINVAL;
	struct tr_asm *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->rec = rec;
	*out = a;
	return 0;
}

static void pend_free(struct tr_asm *a, struct pend *p)
{
	for (uint32_t i = 0; i < p->nblobs; i++)
		free(p->blobs[i].data);
	free(p->blobs);
	memset(p, 0, sizeof(*p));
	a->npend--;
}

void tra_close(struct tr_asm *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < PEND_MAX; i++) {
		if (a->pend[i].used) {
			a->st.orphans++;
			pend_free(a, &a->pend[i]);
		}
	}
	free(a);
}

void tra_stats(const struct tr_asm *a, struct tra_stats *out)
{
	if (a && out)
		*out = a->st;
}

void tra_lost(struct tr_asm *a, uint64_t events, uint64_t pieces)
{
	if (!a)
		return;
	a->st.lost_events += events;
	a->st.lost_pieces += pieces;
	if (events)
		tr_recorder_source_lost(a->rec, a->st.lost_events);
}

static struct pend *pend_find(struct tr_asm *a, uint64_t seq)
{
	for (unsigned i = 0; i < PEND_MAX && a->npend; i++)
		if (a->pend[i].used && a->pend[i].seq == seq)
			return &a->pend[i];
	return NULL;
}

static struct pend *pend_new(struct tr_asm *a, uint64_t seq)
{
	struct pend *p = NULL;
	if (a->npend == PEND_MAX) {
		/* full: the oldest's event is not coming */
		struct pend *old = &a->pend[0];
		for (unsigned i = 1; i < PEND_MAX; i++)
			if (a->pend[i].age < old->age)
				old = &a->pend[i];
		a->st.orphans++;
		pend_free(a, old);
	}
	for (unsigned i = 0; i < PEND_MAX; i++) {
		if (!a->pend[i].used) {
			p = &a->pend[i];
			break;
		}
	}
	p->used = 1;
	p->seq = seq;
	p->age = ++a->clock;
	a->npend++;
	return p;
}

int tra_piece(struct tr_asm *a, uint64_t seq, uint32_t index, const void *desc, uint32_t offset,
	      const void *data, uint32_t n)
{
	if (!a || !desc || (n && !data))
		return -EINVAL;
	/* struct med_blob's first 24 bytes, as the emitter laid them out */
	struct med_blob b;
	memcpy(&b, desc, offsetof(struct med_blob, data));
	if (index >= TRI_MAX_BLOBS || b.len > TRI_MAX_BLOB || offset > b.len || n > b.len - offset ||
	    n > TRA_PIECE) {
		a->st.bad++;
		return -EPROTO;
	}
	struct pend *p = pend_find(a, seq);
	if (!p)
		p = pend_new(a, seq);
	if (index >= p->nblobs) {
		struct pblob *nb = realloc(p->blobs, (index + 1) * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + p->nblobs, 0, (index + 1 - p->nblobs) * sizeof(*nb));
		p->blobs = nb;
		p->nblobs = index + 1;
	}
	struct pblob *pb = &p->blobs[index];
	if (!pb->present) {
		pb->present = 1;
		pb->kind = b.kind;
		pb->as = b.as;
		pb->len = b.len;
		pb->addr = b.addr;
		pb->gpa = b.gpa;
		pb->data = calloc(1, b.len ? b.len : 1); /* a missing piece must not leak our memory */
		if (!pb->data) {
			pb->present = 0;
			return -ENOMEM;
		}
	} else if (pb->len != b.len || pb->kind != b.kind || pb->addr != b.addr) {
		a->st.bad++; /* pieces of one blob disagree */
		return -EPROTO;
	}
	if (n)
		memcpy(pb->data + offset, data, n);
	pb->got += n;
	a->st.pieces++;
	return 0;
}

int tra_event(struct tr_asm *a, const void *evp, size_t len, const char *text, size_t text_len)
{
	if (!a || !evp)
		return -EINVAL;
	struct med_event ev;
	/* the layout this build knows, and nothing shorter than its fields up
	 * to blobs_dropped (the pointers are the emitter's: not used) */
	if (len < offsetof(struct med_event, dseq)) {
		a->st.bad++;
		return -EPROTO;
	}
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, evp, len < sizeof(ev) ? len : sizeof(ev));
	if (ev.version != MED_EVENT_VERSION || ev.size != sizeof(struct med_event) || !ev.type ||
	    ev.type >= MED_EV_TYPE_COUNT || ev.nblobs > TRI_MAX_BLOBS) {
		a->st.bad++;
		return -EPROTO;
	}
	uint32_t want = ev.nblobs;
	ev.text = NULL;
	ev.blobs = NULL;
	ev.nblobs = 0;
	ev.dseq = 0;
	char tbuf[TEXT_MAX];
	if (text && text_len) {
		size_t tl = strnlen(text, text_len < TEXT_MAX - 1 ? text_len : TEXT_MAX - 1);
		memcpy(tbuf, text, tl);
		tbuf[tl] = 0;
		if (tl)
			ev.text = tbuf;
	}
	struct pend *p = want ? pend_find(a, ev.seq) : NULL;
	struct med_blob *blobs = NULL;
	if (want) {
		blobs = calloc(want, sizeof(*blobs));
		if (!blobs) {
			if (p)
				pend_free(a, p);
			return -ENOMEM;
		}
		uint32_t n = 0, missing = 0;
		for (uint32_t i = 0; i < want; i++) {
			struct pblob *pb = p && i < p->nblobs ? &p->blobs[i] : NULL;
			if (!pb || !pb->present || pb->got != pb->len) {
				missing++; /* a piece was lost: not half a blob */
				continue;
			}
			blobs[n++] = (struct med_blob){ .kind = pb->kind, .as = pb->as, .len = pb->len,
							.addr = pb->addr, .gpa = pb->gpa, .data = pb->data };
		}
		ev.blobs = blobs;
		ev.nblobs = n;
		if (missing) {
			ev.blobs_dropped += missing;
			ev.flags |= MED_EVF_BLOBS_DROPPED;
			a->st.incomplete++;
		}
	}
	tr_recorder_event(a->rec, &ev);
	a->st.events++;
	free(blobs);
	if (p)
		pend_free(a, p);
	return 0;
}
