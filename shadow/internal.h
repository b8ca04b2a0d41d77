/* SPDX-License-Identifier: MIT */
/* shadow/ private layout.  Nothing outside shadow/ includes this. */
#ifndef VGT_SHADOW_INTERNAL_H
#define VGT_SHADOW_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>

#include "common/common.h"
#include "shadow/shadow.h"

/* ---------------------------------------------------------- intrusive list */

struct slist {
	struct slist *prev, *next;
};

static inline void slist_init(struct slist *h) { h->prev = h->next = h; }
static inline bool slist_empty(const struct slist *h) { return h->next == h; }
static inline void slist_add_tail(struct slist *h, struct slist *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void slist_del(struct slist *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define slist_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ------------------------------------------------------------------ engine */

struct shadow {
	pthread_mutex_t lock;              /* vGPU table and partition */
	const struct shadow_host_ops *ops;
	void *hctx;
	struct shadow_host *own_host;      /* when opts gave no host ops */
	bool huge_ops;                     /* ops has alloc_huge/free_huge */
	bool ips;
	uint64_t aperture;
	uint64_t low_res, high_res;
	uint64_t *host_ggtt;               /* SHADOW_GGTT_ENTRIES host PTEs */
	bool own_ggtt;                     /* host_ggtt is ours to free */
	uint64_t scratch_hpa;
	struct shadow_vgpu *vgpus[SHADOW_MAX_VGPUS + 1]; /* by id, [0] unused */

	/* fault injection (atomics; armed only while a hook or countdown is set) */
	int fault_armed;
	shadow_fault_fn fault_fn;
	void *fault_ctx;
	uint64_t fault_calls[SHADOW_FAULT_NR];
	uint64_t fault_seen;               /* calls at sites in fault_mask */
	uint64_t fault_nth;
	unsigned fault_mask;
	int fault_sticky;
	uint64_t fault_injected;
};

/* Returns 0 or the negative errno to inject at this call. */
int shadowi_sh_fault_slow(struct shadow *sh, enum shadow_fault_site site);
static inline int sh_fault(struct shadow *sh, enum shadow_fault_site site)
{
	if (__builtin_expect(!__atomic_load_n(&sh->fault_armed, __ATOMIC_RELAXED), 1))
		return 0;
	return shadowi_sh_fault_slow(sh, site);
}

static inline void *sh_ptr(struct shadow *sh, uint64_t hpa)
{
	return sh->ops->ptr(sh->hctx, hpa & ~(uint64_t)(SHADOW_PAGE_SIZE - 1));
}
int shadowi_sh_alloc_page(struct shadow *sh, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa);
void shadowi_sh_free_page(struct shadow *sh, uint64_t hpa);
void *shadowi_sh_malloc(struct shadow *sh, size_t n);  /* zeroed; META_ALLOC site */

static inline void store_pte(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t load_pte(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/* -------------------------------------------------------------- guest memory */

struct spt;

/* A frame's backing host page is not here but in shadow_vgpu.fhpa
 * (frame_page()), the one word the lock-free GGTT writer reads. */
struct gframe {
	struct spt *spts;      /* shadow tables built from this frame (write protection) */
	uint32_t pins;         /* PPGTT shadow entries holding this frame (GGTT: gpins) */
	uint32_t ext;          /* shadow_gmem_pin() pins */
	uint16_t nspt;         /* length of the spts chain */
	uint8_t huge_part;     /* part of a 2 MiB host page */
};

enum { CHUNK_NONE = 0, CHUNK_HUGE, CHUNK_SMALL };
struct gchunk {
	uint64_t hpa;
	uint8_t state;
};

/* ------------------------------------------------------------ shadow tables */

/*
 * One shadow page table.  gent[i] is the guest entry the shadow entry i was
 * built from, 0 when the shadow entry is scratch (no resources held).  For
 * a 64 KiB (IPS) PT only the 16-aligned indices carry gent.  child[i] (levels
 * 2..4) is the next-level shadow table or the split PT of a 2 MiB page (NULL
 * for a huge-backed 2 MiB page).
 */
struct spt {
	struct shadow_vgpu *v;
	uint64_t gfn;            /* guest table frame; split PT: the 2 MiB page's first gfn */
	uint64_t hpa;            /* shadow page */
	uint64_t *sh;            /* its bytes */
	uint32_t ref;
	uint8_t level;           /* 1 PT, 2 PD, 3 PDP, 4 PML4 */
	uint8_t ips;             /* PT of 64 KiB entries */
	uint8_t split;           /* PT made from a 2 MiB guest page (not a guest table) */
	uint8_t on_pending;
	uint16_t nlive;          /* entries with gent != 0 */
	uint32_t check_ref;      /* scratch field of shadow_vgpu_check() */
	struct spt *wp_next;     /* chain on gframe.spts */
	struct slist all;        /* vgpu->spts */
	struct slist pend;       /* vgpu->pending */
	uint64_t pending[SHADOW_ENTRIES / 64]; /* shadow on scratch, waiting for flush */
	uint64_t half_lo[SHADOW_ENTRIES / 64]; /* torn: low half written */
	uint64_t half_hi[SHADOW_ENTRIES / 64]; /* torn: high half written */
	struct spt **child;      /* NULL at level 1 */
	uint64_t gent[SHADOW_ENTRIES];
};

struct shadow_ppgtt {
	struct shadow_vgpu *v;
	unsigned levels;
	uint64_t gpdp[4];
	uint32_t ref, pins;
	bool shadowed;
	bool in_lru;
	struct spt *top[4];      /* 4-level: top[0] = PML4; 3-level: the PDs */
	struct slist node;       /* vgpu->roots */
	struct slist lru;        /* vgpu->lru (shadowed roots, oldest first) */
};

/* ---------------------------------------------------------------- vGPU */

/*
 * One GGTT window entry is two words in two arrays (12 bytes an entry, not
 * a padded 16-byte struct: the trap path streams through them): gv[w], the
 * virtual GGTT entry (what the guest wrote, what reads return), and gf[w],
 * the frame the host entry holds (gfn + 1, 0 = scratch) in bits 29:0 with
 * the half-written flags in bits 31:30 (bit 30 low half, bit 31 high half).
 * Written only by the vGPU's GGTT writer; read elsewhere with atomics.
 */
#define GF_FRAME_MASK ((1u << 30) - 1) /* gfn + 1 < 2^25 (64 GiB of 4 KiB frames) */
#define GF_HALF_SHIFT 30

/* Counters of the GGTT write path, kept apart from the locked ones (st) so
 * that the lock-free writer owns them; shadow_vgpu_stats() adds them up. */
struct ggtt_counts {
	uint64_t writes, partial, ignored;
	uint64_t invalid, scratch, map_failures;
	uint64_t bad_unpins;
};

struct shadow_vgpu {
	struct shadow *sh;
	unsigned id;
	unsigned type;
	pthread_mutex_t lock;

	/* GGTT windows */
	uint64_t ap_base, ap_size, hid_base, hid_size;
	uint32_t ap_n, win_n;    /* entries in the aperture window, in both */
	uint32_t ap_e, hid_e;    /* host GGTT index of each window's first entry */
	uint32_t hid_n;          /* entries in the hidden window */
	uint64_t *gv;            /* per window entry: virtual GGTT entry */
	uint32_t *gf;            /* per window entry: held frame + 1, half flags */
	/*
	 * The GGTT write path takes no lock: a vGPU's GGTT writes have one
	 * writer at a time (the caller serializes them, as a hypervisor
	 * serializes a vGPU's MMIO emulation; shadow.h).  It owns gv, gf, gpins
	 * and gst, publishes with relaxed atomic stores, and keeps gseq odd
	 * while it changes a host entry and its slot, so shadow_ggtt_translate()
	 * on another thread reads the pair consistently (a seqlock).
	 */
	uint32_t *gpins;         /* per frame: GGTT entries holding it */
	uint32_t gseq;
	struct ggtt_counts gst;

	/* guest memory */
	uint64_t nframes;
	struct gframe *frames;
	uint64_t *fhpa;          /* per frame: hpa | 1 when backed (frame_hpa()) */
	bool huge;
	uint64_t nchunks;
	struct gchunk *chunks;

	/* scratch: page, and a scratch table per level 1..4 */
	uint64_t scratch_page;
	uint64_t scratch_tbl[5];
	uint64_t scratch_ent[5]; /* "nothing here" entry of a level-L table */

	/* PPGTT */
	struct slist roots, lru, spts, pending;
	uint32_t nroots, max_roots;
	uint32_t nspt, max_spt;
	struct spt *cache_pt, *cache_dir; /* freed spt objects (zeroed tables) */
	uint32_t ncache;
	int last_err;            /* last resource error of a shadow build */

	struct shadow_vgpu_stats st;
};

static inline void vlock(struct shadow_vgpu *v) { pthread_mutex_lock(&v->lock); }
static inline void vunlock(struct shadow_vgpu *v) { pthread_mutex_unlock(&v->lock); }

/*
 * A frame's backing, one word per frame: its host page | 1 once backed, 0
 * before (and after a discard).  The only record of it, so the lock-free
 * GGTT writer reads 8 bytes a frame, not a struct gframe.  Backing and
 * discarding happen under the vGPU lock and publish with a release store;
 * readers use acquire loads.
 */
static inline void frame_set_backed(struct shadow_vgpu *v, uint64_t gfn, uint64_t hpa)
{
	__atomic_store_n(&v->fhpa[gfn], hpa | 1, __ATOMIC_RELEASE);
}
static inline void frame_set_unbacked(struct shadow_vgpu *v, uint64_t gfn)
{
	__atomic_store_n(&v->fhpa[gfn], 0, __ATOMIC_RELEASE);
}
/* hpa | 1 when backed, 0 when not */
static inline uint64_t frame_hpa(const struct shadow_vgpu *v, uint64_t gfn)
{
	return __atomic_load_n(&v->fhpa[gfn], __ATOMIC_ACQUIRE);
}
static inline bool frame_backed(const struct shadow_vgpu *v, uint64_t gfn)
{
	return frame_hpa(v, gfn) != 0;
}
/* The backing host page (meaningful only when backed). */
static inline uint64_t frame_page(const struct shadow_vgpu *v, uint64_t gfn)
{
	return frame_hpa(v, gfn) & ~1ull;
}

/* gmem.c (vGPU lock held) */
int shadowi_gmem_init(struct shadow_vgpu *v, uint64_t size, bool huge);
void shadowi_gmem_fini(struct shadow_vgpu *v);
int shadowi_gmem_back_slow(struct shadow_vgpu *v, uint64_t gfn);
/* Backs frame gfn with host memory if it is not yet (0 or -ENOMEM). */
static inline int gmem_back(struct shadow_vgpu *v, uint64_t gfn)
{
	return frame_backed(v, gfn) ? 0 : shadowi_gmem_back_slow(v, gfn);
}
int shadowi_gmem_pin_range(struct shadow_vgpu *v, uint64_t gfn, uint64_t n);
void shadowi_gmem_unpin_range(struct shadow_vgpu *v, uint64_t gfn, uint64_t n);

/* The hot single-frame cases of the above (the GGTT path, 4 KiB PTEs). */
static inline int gmem_pin1(struct shadow_vgpu *v, uint64_t gfn)
{
	struct gframe *f = &v->frames[gfn];

	if (gfn >= v->nframes || !frame_backed(v, gfn) || __atomic_load_n(&v->sh->fault_armed, __ATOMIC_RELAXED))
		return shadowi_gmem_pin_range(v, gfn, 1);
	if (f->pins++ == 0 && !f->ext)
		v->st.pinned_frames++;
	return 0;
}

static inline void gmem_unpin1(struct shadow_vgpu *v, uint64_t gfn)
{
	struct gframe *f = &v->frames[gfn];

	if (gfn >= v->nframes || f->pins <= 1)
		shadowi_gmem_unpin_range(v, gfn, 1); /* bounds, underflow and 1 -> 0 accounting */
	else
		f->pins--;
}
/* Bytes of a backed frame, NULL when unbacked (reads as zero). */
void *shadowi_gmem_peek(struct shadow_vgpu *v, uint64_t gfn);
/* Whether gfn's 2 MiB chunk is backed by one huge host page (its address). */
bool shadowi_gmem_chunk_huge(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa);
int shadowi_gmem_read_locked(struct shadow_vgpu *v, uint64_t gpa, void *buf, size_t len);

/* ggtt.c */
int shadowi_ggtt_vgpu_init(struct shadow_vgpu *v);
void shadowi_ggtt_vgpu_fini(struct shadow_vgpu *v);
void shadowi_ggtt_reset_locked(struct shadow_vgpu *v);
/* Checks the host entries against the slots and the GGTT pins against the
 * entries holding each frame; no GGTT writer may run meanwhile. */
int shadowi_ggtt_check_locked(struct shadow_vgpu *v, char *err, size_t len);

/* ppgtt.c */
int shadowi_ppgtt_vgpu_init(struct shadow_vgpu *v);
void shadowi_ppgtt_vgpu_fini(struct shadow_vgpu *v);     /* roots and shadow tables */
void shadowi_ppgtt_scratch_fini(struct shadow_vgpu *v);  /* scratch page and tables */
int shadowi_ppgtt_check_locked(struct shadow_vgpu *v, uint32_t *expect_pins, char *err, size_t len);

#endif
