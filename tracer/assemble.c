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
#include <time.h>

#include "tracer/capture_int.h"
#include "tracer/log_format.h"

/* Events whose pieces may be in flight at once: one per emitting thread is
 * the normal case; beyond this the oldest is given up. */
#define PEND_MAX   256
#define TEXT_MAX   4096
/* The reorder buffer: emitters number events under a lock and fire the
 * probe after it, so two threads' events may reach the ring out of seq
 * order.  An event waits at most HOLD_MS for the seqs before it (then
 * they are lost), and the buffer holds at most HOLD_BYTES. */
#define HOLD_MS    200
#define HOLD_BYTES ((size_t)256 << 20)
/* Blob bytes waiting for their events, all events together: a traced
 * process may claim 16 MiB blobs it never sends; past this the oldest
 * waiting event's pieces are given up (orphans). */
#define PEND_BYTES ((size_t)512 << 20)

struct pblob {
	int present;           /* a piece arrived */
	uint8_t kind, as;
	uint32_t len;          /* the whole blob's */
	uint64_t addr, gpa;
	uint8_t *data;         /* len bytes */
	uint8_t *seen;         /* a bit per piece received: a repeated one is refused */
	uint32_t got;          /* bytes received */
};

struct pend {
	int used;
	uint64_t seq;
	uint64_t age;          /* order of creation: the oldest goes first */
	uint32_t nblobs;       /* slots in blobs (highest index seen + 1) */
	struct pblob *blobs;
};

/* An assembled event waiting for its turn (the reorder buffer). */
struct held {
	uint64_t seq;
	uint64_t since_ms;     /* when it arrived */
	size_t bytes;
	struct med_event ev;   /* text and blobs point into memory it owns */
};

struct tr_asm {
	struct tr_recorder *rec;
	struct pend pend[PEND_MAX];
	unsigned npend;
	size_t pend_bytes;     /* blob bytes allocated in pend[] */
	uint64_t clock;
	/* the reorder buffer: a min-heap by seq */
	struct held *heap;
	size_t nheap, heap_cap, heap_bytes;
	uint64_t next;         /* the seq expected next; 0: not known yet */
	uint64_t first_ms;     /* when the first event arrived */
	struct tra_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void tra_set_recorder(struct tr_asm *a, struct tr_recorder *rec)
{
	if (a)
		a->rec = rec;
}

int tra_open(struct tr_recorder *rec, struct tr_asm **out)
{
	if (!out)
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
	for (uint32_t i = 0; i < p->nblobs; i++) {
		if (p->blobs[i].data)
			a->pend_bytes -= p->blobs[i].len ? p->blobs[i].len : 1;
		free(p->blobs[i].data);
		free(p->blobs[i].seen);
	}
	free(p->blobs);
	memset(p, 0, sizeof(*p));
	a->npend--;
}

static void held_free(struct held *h)
{
	free((void *)h->ev.text);
	for (uint32_t i = 0; i < h->ev.nblobs; i++)
		free((void *)h->ev.blobs[i].data);
	free((void *)h->ev.blobs);
}

void tra_close(struct tr_asm *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nheap; i++)
		held_free(&a->heap[i]);
	free(a->heap);
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

/* Gives up the oldest waiting event other than `keep` (its event is not
 * coming); 0 if there is none. */
static int pend_evict(struct tr_asm *a, const struct pend *keep)
{
	struct pend *old = NULL;
	for (unsigned i = 0; i < PEND_MAX; i++)
		if (a->pend[i].used && &a->pend[i] != keep && (!old || a->pend[i].age < old->age))
			old = &a->pend[i];
	if (!old)
		return 0;
	a->st.orphans++;
	pend_free(a, old);
	return 1;
}

static struct pend *pend_new(struct tr_asm *a, uint64_t seq)
{
	struct pend *p = NULL;
	if (a->npend == PEND_MAX)
		pend_evict(a, NULL); /* full: the oldest's event is not coming */
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
	/* the probe's contract: pieces at multiples of TRA_PIECE, each as long
	 * as the blob has bytes left, up to TRA_PIECE */
	if (index >= TRI_MAX_BLOBS || b.len > TRI_MAX_BLOB || offset > b.len || n > TRA_PIECE ||
	    offset % TRA_PIECE || n != (b.len - offset < TRA_PIECE ? b.len - offset : TRA_PIECE) ||
	    (offset == b.len && b.len)) {
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
		size_t need = b.len ? b.len : 1;
		while (a->pend_bytes + need > PEND_BYTES && pend_evict(a, p))
			;
		if (a->pend_bytes + need > PEND_BYTES) {
			a->st.bad++; /* one event's blobs alone over the budget */
			return -ENOSPC;
		}
		uint32_t npieces = b.len ? (b.len + TRA_PIECE - 1) / TRA_PIECE : 1;
		pb->data = calloc(1, need); /* a missing piece must not leak our memory */
		pb->seen = calloc((npieces + 7) / 8, 1);
		if (!pb->data || !pb->seen) {
			free(pb->data);
			free(pb->seen);
			pb->data = pb->seen = NULL;
			return -ENOMEM;
		}
		a->pend_bytes += need;
		pb->present = 1;
		pb->kind = b.kind;
		pb->as = b.as;
		pb->len = b.len;
		pb->addr = b.addr;
		pb->gpa = b.gpa;
	} else if (pb->len != b.len || pb->kind != b.kind || pb->addr != b.addr) {
		a->st.bad++; /* pieces of one blob disagree */
		return -EPROTO;
	}
	uint32_t k = offset / TRA_PIECE;
	if (pb->seen[k / 8] & (1u << (k % 8))) {
		a->st.bad++; /* the same piece twice */
		return -EPROTO;
	}
	pb->seen[k / 8] |= (uint8_t)(1u << (k % 8));
	if (n)
		memcpy(pb->data + offset, data, n);
	pb->got += n;
	a->st.pieces++;
	return 0;
}

/* ------------------------------------------------------ the reorder buffer */

static void heap_up(struct held *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (h[p].seq <= h[i].seq)
			break;
		struct held t = h[p];
		h[p] = h[i];
		h[i] = t;
		i = p;
	}
}

static void heap_down(struct held *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && h[l].seq < h[m].seq)
			m = l;
		if (l + 1 < n && h[l + 1].seq < h[m].seq)
			m = l + 1;
		if (m == i)
			break;
		struct held t = h[m];
		h[m] = h[i];
		h[i] = t;
		i = m;
	}
}

static void emit_top(struct tr_asm *a)
{
	struct held h = a->heap[0];
	a->heap[0] = a->heap[--a->nheap];
	heap_down(a->heap, a->nheap, 0);
	a->heap_bytes -= h.bytes;
	if (a->next && h.seq < a->next) {
		/* its place was given up (declared lost) before it came, or a
		 * repeat: written now it would be counted twice */
		a->st.late++;
		held_free(&h);
		return;
	}
	tr_recorder_event(a->rec, &h.ev);
	a->st.events++;
	if (h.seq >= a->next)
		a->next = h.seq + 1;
	held_free(&h);
}

/* Hands the recorder every event whose turn has come: the next seq, or one
 * that waited HOLD_MS (the seqs before it are lost), or any when `all`. */
static void release(struct tr_asm *a, uint64_t t, bool all)
{
	while (a->nheap) {
		struct held *top = &a->heap[0];
		if (!a->next) {
			/* attached mid-run, the first seq is not 1: wait for
			 * earlier ones from other threads first */
			if (!all && top->seq != 1 && t - a->first_ms < HOLD_MS &&
			    a->heap_bytes < HOLD_BYTES)
				break;
			a->next = top->seq;
		}
		if (all || top->seq <= a->next || t - top->since_ms >= HOLD_MS ||
		    a->heap_bytes >= HOLD_BYTES)
			emit_top(a);
		else
			break;
	}
}

void tra_tick(struct tr_asm *a)
{
	if (a && a->nheap)
		release(a, now_ms(), false);
}

void tra_flush(struct tr_asm *a)
{
	if (!a)
		return;
	release(a, 0, true);
	/* the end: pieces still waiting lost their event */
	for (unsigned i = 0; i < PEND_MAX && a->npend; i++) {
		if (a->pend[i].used) {
			a->st.orphans++;
			pend_free(a, &a->pend[i]);
		}
	}
}

/* ----------------------------------------------------------------- events */

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
	    ev.type >= MED_EV_TYPE_COUNT || ev.nblobs > TRI_MAX_BLOBS || !ev.seq) {
		a->st.bad++;
		return -EPROTO;
	}
	if (a->nheap == a->heap_cap) {
		size_t nc = a->heap_cap ? 2 * a->heap_cap : 1024;
		struct held *nh = realloc(a->heap, nc * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		a->heap = nh;
		a->heap_cap = nc;
	}
	uint32_t want = ev.nblobs;
	ev.text = NULL;
	ev.blobs = NULL;
	ev.nblobs = 0;
	ev.dseq = 0;
	size_t bytes = sizeof(ev);
	if (text && text_len) {
		size_t tl = strnlen(text, text_len < TEXT_MAX - 1 ? text_len : TEXT_MAX - 1);
		if (tl) {
			char *t = malloc(tl + 1);
			if (!t)
				return -ENOMEM;
			memcpy(t, text, tl);
			t[tl] = 0;
			ev.text = t;
			bytes += tl;
		}
	}
	struct pend *p = want ? pend_find(a, ev.seq) : NULL;
	if (want) {
		struct med_blob *blobs = calloc(want, sizeof(*blobs));
		if (!blobs) {
			free((void *)ev.text);
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
			/* the bytes move from the pending table to the event */
			blobs[n++] = (struct med_blob){ .kind = pb->kind, .as = pb->as, .len = pb->len,
							.addr = pb->addr, .gpa = pb->gpa, .data = pb->data };
			bytes += pb->len;
			a->pend_bytes -= pb->len ? pb->len : 1;
			pb->data = NULL;
		}
		ev.blobs = blobs;
		ev.nblobs = n;
		if (missing) {
			ev.blobs_dropped += missing;
			ev.flags |= MED_EVF_BLOBS_DROPPED;
			a->st.incomplete++;
		}
	}
	if (p)
		pend_free(a, p);
	uint64_t t = now_ms();
	if (!a->first_ms)
		a->first_ms = t;
	a->heap[a->nheap] = (struct held){ .seq = ev.seq, .since_ms = t, .bytes = bytes, .ev = ev };
	heap_up(a->heap, a->nheap++);
	a->heap_bytes += bytes;
	release(a, t, false);
	return 0;
}
