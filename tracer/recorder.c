/* SPDX-License-Identifier: MIT */
/*
 * The in-process recorder (tracer.h, "the recorder"): a mediator event-bus
 * subscriber that copies each event into its emitting thread's own ring,
 * and one writer thread that merges the rings in seq order into a log.
 *
 * Emitters.  tr_recorder_event finds its thread's ring through a small
 * thread-local table keyed by the recorder's generation id (unique per
 * recorder ever opened in the process, so a recorder freed and another
 * allocated at the same address never finds the old one's ring), then
 * copies the event — fixed fields, blob descriptors, text, blob bytes — as
 * one record (ring.h).  A blob-less, text-less event is a 168-byte copy and
 * a release store: no lock, no system call, no allocation.  The first
 * event of a thread creates its ring (under the recorder's lock); past
 * max_threads rings, further threads share one ring behind a mutex.  A
 * record larger than a quarter of the ring is copied to the heap and the
 * ring holds a reference to it.
 *
 * Full ring.  TR_RECORD_LOSSLESS: the emitter waits (spins briefly, yields,
 * then sleeps on its ring's condition variable, which the writer signals
 * as it takes records; 1 ms timeout as a backstop) and counts one wait.
 * TR_RECORD_DROP: the event is dropped and a 24-byte tombstone (its seq)
 * takes its place, in a reserve at the end of the ring that events may not
 * use (an eighth of it), so the writer learns exactly which seqs will
 * never come and the merge does not stall on them.  If even the reserve is
 * full the emitter waits for room for the tombstone (counted in waits):
 * drops stay exact.
 *
 * The writer.  Each ring is sorted (a thread's events are numbered in the
 * order it delivers them), so the writer does a k-way merge on the rings'
 * heads and writes the next expected one.  The order is the bus's delivery
 * number for this subscriber (med_event.dseq: gapless, whatever types the
 * other subscribers take), or the seq for events handed over without one.  When the smallest
 * head is above it, the missing seq is in flight on a thread whose ring is
 * empty: the writer waits; after gap_ms without it, the seqs are declared
 * missing (a TR_LOSS_SEQ_GAP loss record, stats.gaps) and the merge goes
 * on; a late arrival is still written (tr_write_stats.out_of_order).  The
 * shared ring is not sorted (several threads fill it), so the writer moves
 * its records into a min-heap (at most one ring's worth of bytes) and
 * merges that.  Tombstones of one ring with no event written between them
 * become one TR_LOSS_RING_FULL loss record (thread = ring index, count,
 * first and last seq), written before the next event.  The writer flushes
 * a chunk at least every flush_ms and sleeps in 1 ms timed waits when
 * there is nothing to do.  Its first error is kept; from then on it takes
 * and discards records, so emitters never hang on a dead writer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tracer/ring.h"
#include "tracer/tracer.h"

#define RING_DEFAULT   (4ull << 20)
#define RING_MIN       4096ull
#define RING_MAX       (1ull << 30)
#define THREADS_MAX    1024u
#define TLS_SLOTS      4
#define REC_EV_MIN     (sizeof(struct tr_rec_hdr) + sizeof(struct med_event))
#define REC_TOMB       (sizeof(struct tr_rec_hdr) + 8) /* + the event's seq */
#define REC_REF        sizeof(struct tr_rec_ref)
#define REC_LEN_MAX    (1ull << 31)
#define GAP_THREAD     UINT32_MAX /* loss.thread of a TR_LOSS_SEQ_GAP: no emitter */

/* The order the writer merges in: the bus's delivery number for this
 * subscriber (gapless whatever types other subscribers take), or, for an
 * event handed over by something else, its seq. */
static inline uint64_t order_key(const struct med_event *ev)
{
	return ev->dseq ? ev->dseq : ev->seq;
}

_Static_assert(sizeof(struct med_event) % 8 == 0, "records stay 8-byte aligned");
_Static_assert(sizeof(struct med_blob) % 8 == 0, "records stay 8-byte aligned");
_Static_assert(REC_REF % 8 == 0, "records stay 8-byte aligned");

/* A record taken out of the shared ring, waiting in the writer's heap. */
struct held {
	uint64_t seq;
	struct tr_rec_hdr *rec; /* malloc'd copy of the ring record */
};

/* A run of one ring's tombstones not yet written as a loss record. */
struct pending_loss {
	uint64_t count, first, last;
	uint32_t reason;            /* enum tr_loss_reason of the run */
};

struct tr_recorder {
	uint64_t gen;               /* unique per recorder opened in this process */
	enum tr_record_mode mode;
	uint64_t cap, reserve;      /* per ring */
	unsigned max_threads;
	uint64_t flush_ns, gap_ns, delay_ns;
	char *errbuf;               /* the caller's, filled at close */
	size_t errbuf_len;
	struct tr_writer *w;
	pthread_t thread;

	int closing;                /* atomic: no more events accepted */

	pthread_mutex_t lock;       /* ring creation; the writer's published figures */
	struct tr_ring **rings;     /* [max_threads]; the first nrings are live */
	unsigned nrings;            /* atomic (release when a ring is added) */
	struct tr_ring *shared;     /* atomic; created when the rings run out */
	pthread_mutex_t shared_lock;/* serialises the shared ring's producers */
	unsigned threads;           /* atomic: emitting threads seen */
	uint64_t late_received;     /* atomic: after close began, or no ring */
	uint64_t late_dropped;      /* atomic */

	pthread_mutex_t wlock;      /* the writer's sleep */
	pthread_cond_t wcond;       /* CLOCK_MONOTONIC */

	/* published by the writer thread under `lock` */
	struct tr_write_stats wstats;
	uint64_t gaps;
	uint64_t source_lost;       /* atomic: tr_recorder_source_lost */
	int error;
	char werr[256];             /* the writer's own errbuf */
};

static uint64_t next_gen = 1; /* atomic */

static __thread struct {
	uint64_t gen;
	struct tr_ring *ring;
} tls[TLS_SLOTS];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void deadline(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	uint64_t t = (uint64_t)ts->tv_nsec + ns;
	ts->tv_sec += (time_t)(t / 1000000000ull);
	ts->tv_nsec = (long)(t % 1000000000ull);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

static inline void add_relaxed(uint64_t *p, uint64_t n)
{
	/* single writer: a plain read and an atomic store, no locked RMW */
	__atomic_store_n(p, *p + n, __ATOMIC_RELAXED);
}

/* ============================================================ emitters */

/* Bytes of the record of ev (header included); *tlen: its text's length. */
static uint64_t rec_size(const struct med_event *ev, uint32_t nblobs, size_t *tlen)
{
	uint64_t n = REC_EV_MIN + (uint64_t)nblobs * sizeof(struct med_blob);
	for (uint32_t i = 0; i < nblobs; i++)
		if (ev->blobs[i].data)
			n += tr_round8(ev->blobs[i].len);
	*tlen = 0;
	if (ev->text) {
		*tlen = strlen(ev->text);
		n += tr_round8((uint64_t)*tlen + 1);
	}
	return n;
}

static void rec_fill(uint8_t *p, uint64_t need, const struct med_event *ev, uint32_t nblobs,
		     size_t tlen)
{
	struct tr_rec_hdr *h = (struct tr_rec_hdr *)p;
	h->len = (uint32_t)need;
	h->kind = TR_REC_EV;
	h->flags = (ev->text ? TR_RECF_TEXT : 0) | (ev->dseq ? TR_RECF_DSEQ : 0);
	h->seq = order_key(ev);
	struct med_event *e = (struct med_event *)(p + sizeof(*h));
	memcpy(e, ev, sizeof(*e));
	e->nblobs = nblobs;
	uint8_t *q = (uint8_t *)(e + 1);
	if (nblobs) {
		memcpy(q, ev->blobs, (size_t)nblobs * sizeof(struct med_blob));
		q += (size_t)nblobs * sizeof(struct med_blob);
	}
	if (ev->text) {
		memcpy(q, ev->text, tlen + 1);
		q += tr_round8((uint64_t)tlen + 1);
	}
	for (uint32_t i = 0; i < nblobs; i++) {
		const struct med_blob *b = &ev->blobs[i];
		if (!b->data)
			continue;
		memcpy(q, b->data, b->len);
		q += tr_round8(b->len);
	}
}

/* Waiting for room, step `*spins`: spin, yield, then sleep until the
 * writer takes something (1 ms at most: a missed signal costs no more). */
static void wait_room(struct tr_ring *g, unsigned *spins)
{
	unsigned s = (*spins)++;
	if (s < 64) {
		cpu_relax();
		return;
	}
	if (s < 96) {
		sched_yield();
		return;
	}
	pthread_mutex_lock(&g->lock);
	__atomic_store_n(&g->waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&g->head, __ATOMIC_SEQ_CST) == g->head_cache) {
		struct timespec ts;
		deadline(&ts, 1000000);
		pthread_cond_timedwait(&g->cond, &g->lock, &ts);
	}
	__atomic_store_n(&g->waiting, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&g->lock);
}

/* The event seq will not be recorded: a tombstone says so (waiting for
 * room for it if need be: it may use the whole ring). */
static void push_tomb(struct tr_ring *g, const struct med_event *ev, bool waited, bool nomem)
{
	add_relaxed(&g->dropped, 1);
	unsigned spins = 0;
	uint8_t *p;
	while (!(p = tr_ring_reserve(g, REC_TOMB, g->cap))) {
		if (!waited) {
			add_relaxed(&g->waits, 1);
			waited = true;
		}
		wait_room(g, &spins);
	}
	struct tr_rec_hdr *h = (struct tr_rec_hdr *)p;
	h->len = REC_TOMB;
	h->kind = TR_REC_TOMB;
	h->flags = (ev->dseq ? TR_RECF_DSEQ : 0) | (nomem ? TR_RECF_NOMEM : 0);
	h->seq = order_key(ev);
	memcpy(p + sizeof(*h), &ev->seq, sizeof(ev->seq));
	tr_ring_publish(g, p, REC_TOMB);
}

static __attribute__((noinline)) void push_slow(struct tr_recorder *r, struct tr_ring *g,
						const struct med_event *ev, uint64_t lim)
{
	uint32_t nblobs = ev->blobs ? ev->nblobs : 0;
	size_t tlen;
	uint64_t need = rec_size(ev, nblobs, &tlen), ring_need = need;
	uint8_t *copy = NULL;
	if (need > g->cap / 4) {
		/* too large for the ring: a heap copy, referenced from it */
		if (need > REC_LEN_MAX || !(copy = malloc(need))) {
			push_tomb(g, ev, false, true); /* also in lossless mode */
			return;
		}
		rec_fill(copy, need, ev, nblobs, tlen);
		ring_need = REC_REF;
	}
	unsigned spins = 0;
	bool waited = false;
	for (;;) {
		uint8_t *p = tr_ring_reserve(g, ring_need, lim);
		if (p) {
			if (copy) {
				struct tr_rec_ref *ref = (struct tr_rec_ref *)p;
				ref->h.len = REC_REF;
				ref->h.kind = TR_REC_REF;
				ref->h.flags = ev->dseq ? TR_RECF_DSEQ : 0;
				ref->h.seq = order_key(ev);
				ref->copy = copy;
			} else {
				rec_fill(p, need, ev, nblobs, tlen);
			}
			tr_ring_publish(g, p, ring_need);
			return;
		}
		if (r->mode == TR_RECORD_DROP)
			break;
		if (!waited) {
			add_relaxed(&g->waits, 1);
			waited = true;
		}
		wait_room(g, &spins);
	}
	free(copy);
	push_tomb(g, ev, waited, false);
}

static inline void push(struct tr_recorder *r, struct tr_ring *g, const struct med_event *ev)
{
	add_relaxed(&g->received, 1);
	uint64_t lim = r->mode == TR_RECORD_DROP ? g->limit : g->cap;
	if (__builtin_expect(!ev->nblobs && !ev->text, 1)) {
		uint8_t *p = tr_ring_reserve(g, REC_EV_MIN, lim);
		if (__builtin_expect(p != NULL, 1)) {
			struct tr_rec_hdr *h = (struct tr_rec_hdr *)p;
			h->len = REC_EV_MIN;
			h->kind = TR_REC_EV;
			h->flags = ev->dseq ? TR_RECF_DSEQ : 0;
			h->seq = order_key(ev);
			memcpy(p + sizeof(*h), ev, sizeof(*ev));
			tr_ring_publish(g, p, REC_EV_MIN);
			return;
		}
	}
	push_slow(r, g, ev, lim);
}

static struct tr_ring *ring_new(struct tr_recorder *r, unsigned index)
{
	struct tr_ring *g = NULL;
	if (posix_memalign((void **)&g, TR_CACHELINE, sizeof(*g)))
		return NULL;
	if (tr_ring_init(g, r->cap, r->mode == TR_RECORD_DROP ? r->reserve : 0, index)) {
		free(g);
		return NULL;
	}
	return g;
}

/* The calling thread's ring when the first thread-local slot is not it:
 * another slot, the ring it had (its slots evicted), a new ring, or the
 * shared one.  NULL only when no ring could be allocated. */
static __attribute__((noinline)) struct tr_ring *ring_of_thread(struct tr_recorder *r)
{
	for (unsigned i = 1; i < TLS_SLOTS; i++)
		if (tls[i].gen == r->gen) {
			struct tr_ring *g = tls[i].ring;
			tls[i] = tls[0];
			tls[0].gen = r->gen;
			tls[0].ring = g;
			return g;
		}
	pthread_t self = pthread_self();
	struct tr_ring *g = NULL;
	pthread_mutex_lock(&r->lock);
	unsigned n = r->nrings;
	for (unsigned i = 0; i < n && !g; i++)
		if (pthread_equal(r->rings[i]->owner, self))
			g = r->rings[i];
	if (!g && n < r->max_threads && (g = ring_new(r, n))) {
		g->owner = self;
		r->rings[n] = g;
		__atomic_store_n(&r->nrings, n + 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&r->threads, 1, __ATOMIC_RELAXED);
	}
	if (!g) {
		g = r->shared;
		if (!g && (g = ring_new(r, r->max_threads)))
			__atomic_store_n(&r->shared, g, __ATOMIC_RELEASE);
		if (g)
			__atomic_add_fetch(&r->threads, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&r->lock);
	if (g) {
		memmove(&tls[1], &tls[0], sizeof(tls[0]) * (TLS_SLOTS - 1));
		tls[0].gen = r->gen;
		tls[0].ring = g;
	}
	return g;
}

void tr_recorder_event(void *ctx, const struct med_event *ev)
{
	struct tr_recorder *r = ctx;
	if (__builtin_expect(!r || !ev, 0))
		return;
	struct tr_ring *g = tls[0].gen == r->gen ? tls[0].ring : ring_of_thread(r);
	if (__builtin_expect(!g || __atomic_load_n(&r->closing, __ATOMIC_ACQUIRE), 0)) {
		/* Not recorded.  With no ring (its allocation failed) the hole
		 * it leaves is the writer's seq-gap record, so it is counted
		 * there, not here too; after close began it is a drop. */
		__atomic_add_fetch(&r->late_received, 1, __ATOMIC_RELAXED);
		if (g)
			__atomic_add_fetch(&r->late_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	if (__builtin_expect(g->index == r->max_threads, 0)) { /* the shared ring */
		pthread_mutex_lock(&r->shared_lock);
		push(r, g, ev);
		pthread_mutex_unlock(&r->shared_lock);
		return;
	}
	push(r, g, ev);
}

/* ============================================================== writer */

/* The writer thread's state. */
struct wstate {
	struct tr_recorder *r;
	uint64_t next;              /* the seq to write next; 0: not known yet */
	bool dseq_keys;             /* the last record was keyed by its delivery number */
	uint64_t first_since;       /* when the merge first saw a record, seq keys not from 1 */
	uint64_t stall_since;       /* when the merge began waiting for `next` */
	uint64_t last_flush;
	uint64_t unflushed;         /* events since the last flush */
	uint64_t taken;             /* records taken */
	bool dead;                  /* the writer failed: take and discard */
	/* the shared ring's records, a min-heap by seq */
	struct held *heap;
	size_t nheap, heap_cap;
	uint64_t heap_bytes;
	/* pending loss runs, per source ([max_threads]: the shared ring) */
	struct pending_loss *pend;
	unsigned npend;
};

#define SRC_NONE UINT32_MAX

static void fail(struct wstate *s, int err)
{
	struct tr_recorder *r = s->r;
	if (s->dead)
		return;
	s->dead = true;
	pthread_mutex_lock(&r->lock);
	if (!r->error)
		r->error = err;
	pthread_mutex_unlock(&r->lock);
}

static void publish_stats(struct wstate *s)
{
	struct tr_recorder *r = s->r;
	struct tr_write_stats st = { .sz = sizeof(st) };
	if (s->dead || tr_writer_stats(r->w, &st))
		return;
	pthread_mutex_lock(&r->lock);
	r->wstats = st;
	pthread_mutex_unlock(&r->lock);
}

static void flush(struct wstate *s)
{
	s->last_flush = now_ns();
	s->unflushed = 0;
	if (s->dead)
		return;
	int err = tr_writer_flush(s->r->w);
	if (err)
		fail(s, err);
	publish_stats(s);
}

static void write_loss(struct wstate *s, const struct tr_loss *l)
{
	if (s->dead)
		return;
	int err = tr_writer_loss(s->r->w, l);
	if (err)
		fail(s, err);
}

/* Pending tombstone runs become loss records: before the next event. */
static void flush_losses(struct wstate *s)
{
	struct tr_recorder *r = s->r;
	for (unsigned i = 0; s->npend && i <= r->max_threads; i++) {
		struct pending_loss *p = &s->pend[i];
		if (!p->count)
			continue;
		struct tr_loss l = { .thread = i, .reason = p->reason, .count = p->count,
				     .first_seq = p->first, .last_seq = p->last };
		write_loss(s, &l);
		memset(p, 0, sizeof(*p));
		s->npend--;
	}
}

static void tombstone(struct wstate *s, unsigned src, uint64_t seq, uint32_t reason)
{
	struct pending_loss *p = &s->pend[src];
	if (p->count && p->reason != reason)
		flush_losses(s); /* one run, one reason */
	if (!p->count) {
		p->first = p->last = seq;
		p->reason = reason;
		s->npend++;
	}
	if (seq < p->first)
		p->first = seq;
	if (seq > p->last)
		p->last = seq;
	p->count++;
}

/* The record's event, its pointers set into the record (which the writer
 * may change: the producer does not touch it until it is given back). */
static void write_event(struct wstate *s, uint8_t *rec)
{
	struct tr_rec_hdr *h = (struct tr_rec_hdr *)rec;
	struct med_event *ev = (struct med_event *)(rec + sizeof(*h));
	uint8_t *q = (uint8_t *)(ev + 1);
	struct med_blob *b = (struct med_blob *)q;
	ev->blobs = ev->nblobs ? b : NULL;
	q += (size_t)ev->nblobs * sizeof(*b);
	ev->text = NULL;
	if (h->flags & TR_RECF_TEXT) {
		ev->text = (const char *)q;
		q += tr_round8(strlen(ev->text) + 1);
	}
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		if (!b[i].data)
			continue;
		b[i].data = q;
		q += tr_round8(b[i].len);
	}
	if (s->npend)
		flush_losses(s);
	if (!s->dead) {
		int err = tr_writer_event(s->r->w, ev);
		if (err)
			fail(s, err);
	}
	s->unflushed++;
	if (s->r->delay_ns) {
		struct timespec ts = { .tv_sec = (time_t)(s->r->delay_ns / 1000000000ull),
				       .tv_nsec = (long)(s->r->delay_ns % 1000000000ull) };
		nanosleep(&ts, NULL);
	}
}

static void process(struct wstate *s, unsigned src, struct tr_rec_hdr *h)
{
	switch (h->kind) {
	case TR_REC_EV:
		write_event(s, (uint8_t *)h);
		break;
	case TR_REC_REF: {
		void *copy = ((struct tr_rec_ref *)h)->copy;
		write_event(s, copy);
		free(copy);
		break;
	}
	case TR_REC_TOMB: {
		uint64_t seq;
		memcpy(&seq, (uint8_t *)h + sizeof(*h), sizeof(seq));
		tombstone(s, src, seq,
			  (h->flags & TR_RECF_NOMEM) ? TR_LOSS_NO_MEMORY : TR_LOSS_RING_FULL);
		break;
	}
	}
	s->dseq_keys = (h->flags & TR_RECF_DSEQ) != 0;
	if (h->seq >= s->next)
		s->next = h->seq + 1;
}

/* -------------------------------------------------- the shared ring's heap */

static void heap_push(struct wstate *s, struct held e)
{
	size_t i = s->nheap++;
	while (i) {
		size_t p = (i - 1) / 2;
		if (s->heap[p].seq <= e.seq)
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = e;
}

static void heap_pop(struct wstate *s)
{
	struct held last = s->heap[--s->nheap];
	size_t i = 0, n = s->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && s->heap[c + 1].seq < s->heap[c].seq)
			c++;
		if (last.seq <= s->heap[c].seq)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n)
		s->heap[i] = last;
}

/* Frees `h`'s room in the ring and wakes an emitter sleeping for room.
 * Store-load ordering against wait_room (which stores `waiting`, then
 * loads head): both sides use seq_cst accesses rather than a fence, which
 * ThreadSanitizer cannot model. */
static void ring_release(struct tr_ring *g, const struct tr_rec_hdr *h)
{
	__atomic_store_n(&g->head, g->head + h->len, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&g->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&g->lock);
		pthread_cond_signal(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
}

/* Moves the shared ring's records into the heap: one ring's worth at most,
 * unless the merge waits for a seq (which may be behind them: the heap
 * then takes what arrives until then, gap_ms at most). */
static void pull_shared(struct wstate *s, bool stalled)
{
	struct tr_ring *g = __atomic_load_n(&s->r->shared, __ATOMIC_ACQUIRE);
	if (!g)
		return;
	while (stalled || s->heap_bytes < g->cap) {
		struct tr_rec_hdr *h = tr_ring_peek(g);
		if (!h)
			break;
		if (s->nheap == s->heap_cap) {
			size_t nc = s->heap_cap ? 2 * s->heap_cap : 256;
			struct held *nh = realloc(s->heap, nc * sizeof(*nh));
			if (!nh)
				break;
			s->heap = nh;
			s->heap_cap = nc;
		}
		struct tr_rec_hdr *copy = malloc(h->len);
		if (!copy)
			break;
		memcpy(copy, h, h->len);
		ring_release(g, h);
		s->heap_bytes += copy->len;
		heap_push(s, (struct held){ .seq = copy->seq, .rec = copy });
	}
}

/* ------------------------------------------------------------ the merge */

static struct tr_rec_hdr *src_peek(struct wstate *s, unsigned src)
{
	if (src == s->r->max_threads)
		return s->nheap ? s->heap[0].rec : NULL;
	return tr_ring_peek(s->r->rings[src]);
}

static void src_pop(struct wstate *s, unsigned src, struct tr_rec_hdr *h)
{
	if (src == s->r->max_threads) {
		s->heap_bytes -= h->len;
		heap_pop(s);
		free(h);
		return;
	}
	struct tr_ring *g = s->r->rings[src];
	ring_release(g, h);
}

/* Sleeps up to 1 ms, or until close wakes it. */
static void idle(struct wstate *s, unsigned *spins)
{
	struct tr_recorder *r = s->r;
	if ((*spins)++ < 8) {
		sched_yield();
		return;
	}
	pthread_mutex_lock(&r->wlock);
	if (!__atomic_load_n(&r->closing, __ATOMIC_ACQUIRE)) {
		struct timespec ts;
		deadline(&ts, 1000000);
		pthread_cond_timedwait(&r->wcond, &r->wlock, &ts);
	}
	pthread_mutex_unlock(&r->wlock);
}

static void *writer_main(void *arg)
{
	struct wstate *s = arg;
	struct tr_recorder *r = s->r;
	unsigned spins = 0;
	s->last_flush = now_ns();
	for (;;) {
		bool closing = __atomic_load_n(&r->closing, __ATOMIC_ACQUIRE);
		unsigned n = __atomic_load_n(&r->nrings, __ATOMIC_ACQUIRE);
		/* at close, or waiting for a seq, the whole shared ring: the
		 * seq may be behind what the heap holds */
		pull_shared(s, closing || s->stall_since != 0);
		unsigned best = SRC_NONE;
		uint64_t m = UINT64_MAX;
		for (unsigned i = 0; i < n; i++) {
			struct tr_rec_hdr *h = tr_ring_peek(r->rings[i]);
			if (h && h->seq < m) {
				m = h->seq;
				best = i;
			}
		}
		if (s->nheap && s->heap[0].seq < m) {
			m = s->heap[0].seq;
			best = r->max_threads;
		}
		uint64_t t = 0;
		if (best == SRC_NONE) {
			if (closing)
				break;
			if (s->unflushed && (t = now_ns()) - s->last_flush >= r->flush_ns)
				flush(s);
			idle(s, &spins);
			continue;
		}
		if (!s->next) {
			/* The bus numbers a subscriber's deliveries from 1, and
			 * a later one may arrive first (another thread's).
			 * Seqs handed over without numbers may start anywhere:
			 * unless the first is 1, other threads get gap_ms to
			 * show an earlier one before the merge starts. */
			struct tr_rec_hdr *h0 = src_peek(s, best);
			if ((h0->flags & TR_RECF_DSEQ) || m == 1) {
				s->next = 1;
			} else {
				t = now_ns();
				if (!s->first_since)
					s->first_since = t;
				if (!closing && t - s->first_since < r->gap_ns) {
					idle(s, &spins);
					continue;
				}
				s->next = m;
			}
		}
		if (m > s->next) {
			/* `next` is in flight on a thread whose ring is empty, or
			 * will never come: wait gap_ms for it (not at close: every
			 * emitter is done then) */
			t = now_ns();
			if (!s->stall_since)
				s->stall_since = t;
			if (!closing && t - s->stall_since < r->gap_ns) {
				if (s->unflushed && t - s->last_flush >= r->flush_ns)
					flush(s);
				idle(s, &spins);
				continue;
			}
			flush_losses(s);
			/* keyed by the bus's delivery numbers, the missing
			 * ones' seqs are unknown */
			struct tr_loss l = { .thread = GAP_THREAD, .reason = TR_LOSS_SEQ_GAP,
					     .count = m - s->next,
					     .first_seq = s->dseq_keys ? 0 : s->next,
					     .last_seq = s->dseq_keys ? 0 : m - 1 };
			write_loss(s, &l);
			pthread_mutex_lock(&r->lock);
			r->gaps += l.count;
			pthread_mutex_unlock(&r->lock);
			s->next = m;
		}
		s->stall_since = 0;
		spins = 0;
		/* take from `best` while it holds the next seq (the common case:
		 * one busy thread, or a thread's run between other threads') */
		struct tr_rec_hdr *h = src_peek(s, best);
		do {
			process(s, best, h);
			src_pop(s, best, h);
			/* the clock every 256 records: a flush at least every flush_ms */
			if ((++s->taken & 255) == 0 && s->unflushed &&
			    now_ns() - s->last_flush >= r->flush_ns)
				flush(s);
			if (best == r->max_threads)
				break; /* refill the heap first */
			h = src_peek(s, best);
		} while (h && h->seq == s->next);
	}
	flush_losses(s);
	/* what an outside source lost beyond the holes the merge saw */
	uint64_t src_lost = __atomic_load_n(&r->source_lost, __ATOMIC_ACQUIRE);
	if (!s->dead && src_lost > r->gaps) {
		struct tr_loss l = { .thread = GAP_THREAD, .reason = TR_LOSS_SOURCE,
				     .count = src_lost - r->gaps };
		write_loss(s, &l);
	}
	struct tr_write_stats st = { .sz = sizeof(st) };
	if (!s->dead && s->unflushed)
		flush(s);
	int err = tr_writer_close(r->w, &st);
	r->w = NULL;
	pthread_mutex_lock(&r->lock);
	if (!r->error && err)
		r->error = err;
	if (!err || st.file_bytes)
		r->wstats = st;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i].rec);
	free(s->heap);
	free(s->pend);
	free(s);
	return NULL;
}

/* ============================================================== the API */

static void rec_free(struct tr_recorder *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->rings && i < r->nrings; i++) {
		tr_ring_fini(r->rings[i]);
		free(r->rings[i]);
	}
	if (r->shared) {
		tr_ring_fini(r->shared);
		free(r->shared);
	}
	free(r->rings);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->shared_lock);
	pthread_mutex_destroy(&r->wlock);
	pthread_cond_destroy(&r->wcond);
	free(r);
}

int tr_recorder_open(const char *path, const struct tr_recorder_opts *opts, struct tr_recorder **out)
{
	char *eb = VGT_OPT(opts, errbuf, NULL);
	size_t el = VGT_OPT(opts, errbuf_len, 0);
	if (out)
		*out = NULL;
	if (!path || !*path || !out) {
		vgt_errbuf_set(eb, el, "tr_recorder_open: %s", !out ? "no place for the recorder" : "no path");
		return -EINVAL;
	}
	struct tr_recorder_opts o = { .sz = sizeof(o) };
	int err = VGT_OPTS_LOAD(&o, opts);
	if (err) {
		vgt_errbuf_set(eb, el, "%s: recorder options: %s", path,
			       err == -E2BIG ? "fields this build does not know are set" : "bad sz");
		return err;
	}
	if (o.mode != TR_RECORD_LOSSLESS && o.mode != TR_RECORD_DROP) {
		vgt_errbuf_set(eb, el, "%s: recorder options: unknown mode %d", path, (int)o.mode);
		return -EINVAL;
	}
	uint64_t rb = o.ring_bytes ? o.ring_bytes : RING_DEFAULT;
	if (rb < RING_MIN || rb > RING_MAX) {
		vgt_errbuf_set(eb, el, "%s: recorder options: ring_bytes %llu outside %llu..%llu", path,
			       (unsigned long long)rb, RING_MIN, RING_MAX);
		return -EINVAL;
	}
	uint64_t cap = RING_MIN;
	while (cap * 2 <= rb)
		cap *= 2; /* a power of two, never above what was asked */
	unsigned maxt = o.max_threads ? o.max_threads : 64;
	if (maxt > THREADS_MAX) {
		vgt_errbuf_set(eb, el, "%s: recorder options: max_threads %u above %u", path, maxt,
			       THREADS_MAX);
		return -EINVAL;
	}
	struct tr_writer_opts wo = { .sz = sizeof(wo) };
	if (o.writer.sz && (err = VGT_OPTS_LOAD(&wo, &o.writer))) {
		vgt_errbuf_set(eb, el, "%s: writer options: %s", path,
			       err == -E2BIG ? "fields this build does not know are set" : "bad sz");
		return err;
	}

	struct tr_recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		vgt_errbuf_set(eb, el, "%s: out of memory", path);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->shared_lock, NULL);
	pthread_mutex_init(&r->wlock, NULL);
	cond_init(&r->wcond);
	r->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	r->mode = o.mode;
	r->cap = cap;
	r->reserve = cap / 8;
	r->max_threads = maxt;
	r->flush_ns = (uint64_t)(o.flush_ms ? o.flush_ms : 100) * 1000000ull;
	r->gap_ns = o.ordered ? 0 : (uint64_t)(o.gap_ms ? o.gap_ms : 1000) * 1000000ull;
	r->delay_ns = o.writer_delay_ns;
	r->errbuf = eb;
	r->errbuf_len = el;
	r->rings = calloc(maxt, sizeof(*r->rings));
	struct wstate *s = calloc(1, sizeof(*s));
	struct pending_loss *pend = calloc(maxt + 1, sizeof(*pend));
	if (!r->rings || !s || !pend) {
		free(s);
		free(pend);
		rec_free(r);
		vgt_errbuf_set(eb, el, "%s: out of memory", path);
		return -ENOMEM;
	}
	s->r = r;
	s->pend = pend;

	wo.errbuf = r->werr;
	wo.errbuf_len = sizeof(r->werr);
	err = tr_writer_open(path, &wo, &r->w);
	if (err) {
		if (r->werr[0])
			vgt_errbuf_set(eb, el, "%s", r->werr);
		else
			vgt_errbuf_set(eb, el, "%s: %s", path, strerror(-err));
		free(s);
		free(pend);
		rec_free(r);
		return err;
	}
	r->wstats.sz = sizeof(r->wstats);
	err = -pthread_create(&r->thread, NULL, writer_main, s);
	if (err) {
		tr_writer_close(r->w, NULL);
		vgt_errbuf_set(eb, el, "%s: cannot start the writer thread: %s", path, strerror(-err));
		free(s);
		free(pend);
		rec_free(r);
		return err;
	}
	/* the thread owns s and frees it (see tr_recorder_close) */
	r->wstats.sz = sizeof(r->wstats);
	*out = r;
	return 0;
}

int tr_recorder_stats(struct tr_recorder *r, struct tr_record_stats *out)
{
	if (!r || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	struct tr_record_stats st = { .sz = sizeof(st) };
	pthread_mutex_lock(&r->lock);
	st.w = r->wstats;
	st.gaps = r->gaps;
	st.error = r->error;
	unsigned n = r->nrings;
	struct tr_ring *sh = r->shared;
	for (unsigned i = 0; i <= n; i++) {
		struct tr_ring *g = i < n ? r->rings[i] : sh;
		if (!g)
			continue;
		st.received += __atomic_load_n(&g->received, __ATOMIC_RELAXED);
		st.dropped += __atomic_load_n(&g->dropped, __ATOMIC_RELAXED);
		st.waits += __atomic_load_n(&g->waits, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&r->lock);
	st.received += __atomic_load_n(&r->late_received, __ATOMIC_RELAXED);
	st.dropped += __atomic_load_n(&r->late_dropped, __ATOMIC_RELAXED);
	st.threads = __atomic_load_n(&r->threads, __ATOMIC_RELAXED);
	size_t sz = out->sz < sizeof(st) ? out->sz : sizeof(st);
	st.sz = sz;
	memcpy(out, &st, sz);
	return 0;
}

void tr_recorder_source_lost(struct tr_recorder *r, uint64_t events_total)
{
	if (r)
		__atomic_store_n(&r->source_lost, events_total, __ATOMIC_RELEASE);
}

int tr_recorder_close(struct tr_recorder *r, struct tr_record_stats *st)
{
	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&r->wlock);
	__atomic_store_n(&r->closing, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&r->wcond);
	pthread_mutex_unlock(&r->wlock);
	/* the writer drains every ring, closes the log and ends */
	pthread_join(r->thread, NULL);
	if (st)
		tr_recorder_stats(r, st);
	int err = r->error;
	if (err)
		vgt_errbuf_set(r->errbuf, r->errbuf_len, "%s", r->werr[0] ? r->werr : strerror(-err));
	rec_free(r);
	return err;
}
