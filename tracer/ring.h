/* SPDX-License-Identifier: MIT */
/*
 * tracer/ring.h — the recorder's single-producer / single-consumer byte
 * ring (private to tracer/).
 *
 * One producer thread appends variable-length records, one consumer thread
 * takes them in the same order; neither locks nor allocates.  Positions
 * are 64-bit byte counts that only grow (the index into the buffer is
 * pos & mask), so full and empty never look alike.  Every record starts
 * with struct tr_rec_hdr, is 8-byte aligned and lies in one piece: a record
 * that would cross the end of the buffer is preceded by a PAD record
 * filling the rest of it.
 *
 * Memory ordering: the producer writes a record's bytes, then publishes
 * the new tail with a release store; the consumer reads the tail with an
 * acquire load, reads the records, then gives the bytes back with a
 * release store of the head, which the producer reads with an acquire
 * load before it reuses them.  Each side keeps a cached copy of the other
 * side's position and reloads it only when the cached one says "no room"
 * or "nothing there", so the common path touches no shared cache line but
 * the one it publishes.
 *
 * Room: ordinary records may fill `limit` bytes (capacity minus a reserve);
 * tombstones may use the whole capacity, so that a TR_RECORD_DROP ring
 * which is full of events still has room to say which seqs it dropped.
 */
#ifndef VGT_TRACER_RING_H
#define VGT_TRACER_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Record kinds. */
enum tr_rec_kind {
	TR_REC_PAD = 1,   /* filler up to the end of the buffer */
	TR_REC_EV,        /* an event, its blob descriptors, text and blob bytes */
	TR_REC_REF,       /* an event too large for the ring: a heap copy (TR_REC_EV layout) */
	TR_REC_TOMB,      /* an event dropped (TR_RECORD_DROP): its seq */
};

#define TR_RECF_TEXT 0x1u /* TR_REC_EV: a NUL-terminated text follows the blob descriptors */
#define TR_RECF_DSEQ 0x2u /* `seq` is the bus's delivery number (med_event.dseq) */
#define TR_RECF_NOMEM 0x4u /* TR_REC_TOMB: the event could not be copied (too large, no memory) */

struct tr_rec_hdr {
	uint32_t len;     /* bytes of the record, header included, a multiple of 8 */
	uint16_t kind;    /* enum tr_rec_kind */
	uint16_t flags;   /* TR_RECF_* */
	uint64_t seq;     /* the merge order: the event's dseq, or its seq when it has
			   * none (every kind but PAD); a TOMB's event seq follows */
};
_Static_assert(sizeof(struct tr_rec_hdr) == 16, "record header");

struct tr_rec_ref {
	struct tr_rec_hdr h;
	void *copy;       /* malloc'd record, TR_REC_EV layout */
};

#define TR_CACHELINE 64

struct tr_ring {
	/* the producer's line */
	_Alignas(TR_CACHELINE) uint64_t tail;  /* published with release */
	uint64_t head_cache;                   /* the producer's copy of head */
	uint64_t received, dropped, waits;     /* producer-owned, read by anyone (relaxed) */
	/* the consumer's line */
	_Alignas(TR_CACHELINE) uint64_t head;  /* given back with release */
	uint64_t tail_cache;                   /* the consumer's copy of tail */
	/* read-only after creation */
	_Alignas(TR_CACHELINE) uint8_t *buf;
	uint64_t cap, mask;
	uint64_t limit;                        /* room for ordinary records */
	unsigned index;                        /* loss records' `thread` */
	pthread_t owner;
	/* an emitter waiting for room */
	int waiting;                           /* atomic: set by the emitter while it sleeps */
	pthread_mutex_t lock;
	pthread_cond_t cond;                   /* CLOCK_MONOTONIC */
};

static inline uint64_t tr_round8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* cap: a power of two >= 4096; reserve: bytes kept for tombstones.
 * 0 or -ENOMEM. */
int tr_ring_init(struct tr_ring *g, uint64_t cap, uint64_t reserve, unsigned index);
void tr_ring_fini(struct tr_ring *g);

/*
 * Producer: room for a record of `need` bytes (a multiple of 8, at most
 * limit / 2) within `limit` bytes of occupancy.  Returns where to write it,
 * or NULL when there is no room now.  Nothing is visible to the consumer
 * until tr_ring_publish().
 */
static inline uint8_t *tr_ring_reserve(struct tr_ring *g, uint64_t need, uint64_t limit)
{
	uint64_t tail = g->tail; /* only this thread writes it */
	uint64_t pos = tail & g->mask;
	uint64_t to_end = g->cap - pos;
	uint64_t total = need <= to_end ? need : need + to_end;
	if (tail + total - g->head_cache > limit) {
		g->head_cache = __atomic_load_n(&g->head, __ATOMIC_ACQUIRE);
		if (tail + total - g->head_cache > limit)
			return NULL;
	}
	if (need > to_end) {
		struct tr_rec_hdr *pad = (struct tr_rec_hdr *)(g->buf + pos);
		pad->len = (uint32_t)to_end;
		pad->kind = TR_REC_PAD;
		pad->flags = 0;
		/* the pad is published with the record that follows it */
		return g->buf;
	}
	return g->buf + pos;
}

/* Producer: makes the record reserved at `rec` (need bytes) visible. */
static inline void tr_ring_publish(struct tr_ring *g, const uint8_t *rec, uint64_t need)
{
	uint64_t tail = g->tail;
	uint64_t pos = tail & g->mask;
	uint64_t adv = rec == g->buf + pos ? need : need + (g->cap - pos);
	__atomic_store_n(&g->tail, tail + adv, __ATOMIC_RELEASE);
}

/* Consumer: the next record (PADs skipped), or NULL when the ring is empty. */
static inline struct tr_rec_hdr *tr_ring_peek(struct tr_ring *g)
{
	for (;;) {
		uint64_t head = g->head;
		if (head == g->tail_cache) {
			g->tail_cache = __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE);
			if (head == g->tail_cache)
				return NULL;
		}
		struct tr_rec_hdr *h = (struct tr_rec_hdr *)(g->buf + (head & g->mask));
		if (h->kind != TR_REC_PAD)
			return h;
		__atomic_store_n(&g->head, head + h->len, __ATOMIC_RELEASE);
	}
}

/* Consumer: gives the record tr_ring_peek returned back to the producer. */
static inline void tr_ring_pop(struct tr_ring *g, const struct tr_rec_hdr *h)
{
	__atomic_store_n(&g->head, g->head + h->len, __ATOMIC_RELEASE);
}

/* Bytes in the ring now (either side, approximate from outside). */
static inline uint64_t tr_ring_used(struct tr_ring *g)
{
	return __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE) - __atomic_load_n(&g->head, __ATOMIC_ACQUIRE);
}

#endif /* VGT_TRACER_RING_H */
