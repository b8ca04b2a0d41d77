/* SPDX-License-Identifier: MIT */
/*
 * The guest driver: a GVT-aware i915-like kernel driver that reaches the
 * mediator only through the trap interface (mediator.h): PCI config reads
 * and writes, MMIO reads and writes at BAR0 offsets (registers, PVINFO,
 * GGTT entries), and guest CPU writes to its own memory (which trap when
 * they touch a page-table page the mediator shadows).
 *
 * Boot: PCI probe (IDs, BAR sizing, command register, MSI), PVINFO (magic,
 * version, the GGTT windows: ballooning, the driver allocates only inside
 * them), interrupt masks and enables, per engine a status page (HWS_PGA)
 * and execlist mode, the PPGTT root announced through PVINFO's g2v_notify.
 *
 * Memory: guest frames from a bump allocator with a free list; the GGTT
 * windows by bump allocation (contexts and their images in the hidden
 * window, rings and status pages in the aperture); a 4-level PPGTT whose
 * tables live in guest frames, mirrored in a small software tree so empty
 * tables are freed; buffer objects cached by address and size (a softpin
 * BO cache), evicted least-recently-used beyond a budget.
 *
 * Submission: one outstanding request at a time: ring commands plus the
 * breadcrumb (a post-sync write of the driver's seqno into the engine's
 * status page, and MI_USER_INTERRUPT), the ring tail in the context image,
 * four ELSP writes.  Completion is read from the context-status-buffer
 * mirror in the status page (as i915 reads it), then the interrupt is
 * acknowledged (master disable, IIR read and clear, CSB read pointer,
 * master enable).  A fixed number of traps per request keeps the counters
 * deterministic.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/guest_int.h"

/* ---------------------------------------------------------- hardware */

#define PTE_P  1ull
#define PTE_RW 2ull
#define PTE_ADDR 0x00003ffffffff000ull

/* The entry index of a 48-bit address in its level-`level` table (1: the
 * page table, 4: the PML4): 9 bits per level above the 4 KiB page offset. */
static inline unsigned pt_index(uint64_t gma, unsigned level)
{
	return (unsigned)(gma >> (12 + 9 * (level - 1))) & 511;
}

/* Engine-relative registers. */
#define R_HWS_PGA   0x080u
#define R_ELSP      0x230u
#define R_RING_MODE 0x29cu
#define R_CSB_PTR   0x3a0u
/* Global registers. */
#define R_MASTER_IRQ 0x44200u
#define R_GT_IMR(b)  (0x44304u + 0x10u * (b))
#define R_GT_IIR(b)  (0x44308u + 0x10u * (b))
#define R_GT_IER(b)  (0x4430cu + 0x10u * (b))
#define R_GDRST      0x941cu
/* PVINFO */
#define PV_MAGIC_VAL   0x4776544776544776ull
#define PV_VERSION     0x008u
#define PV_VGT_ID      0x00cu
#define PV_CAPS        0x010u
#define PV_APER_BASE   0x040u
#define PV_APER_SIZE   0x044u
#define PV_HID_BASE    0x048u
#define PV_HID_SIZE    0x04cu
#define PV_FENCE_NUM   0x050u
#define PV_DISPLAY_RDY 0x804u
#define PV_G2V_NOTIFY  0x818u
#define PV_PDP0        0x838u
#define G2V_L4_CREATE  4u
/* Status page dwords: the CSB mirror (i915's Gen8-10 layout) and the
 * driver's breadcrumbs. */
#define HWS_CSB0       0x10u
#define HWS_CSB_WP     0x1fu
#define HWS_SEQNO(c)   (0x40u + 2u * (c))
#define CSB_ENTRIES    6u
#define CSB_COMPLETE   (1u << 4)
/* Interrupt bits of an engine in its bank: user, notify, context switch. */
#define IRQ_BITS       ((1u << 0) | (1u << 4) | (1u << 8))
/* Ring context (page 1 of the image): dword of each value. */
#define CTX_CONTROL    0x03u
#define CTX_HEAD       0x05u
#define CTX_TAIL       0x07u
#define CTX_START      0x09u
#define CTX_CTL        0x0bu
#define CTX_PDP0_UDW   0x31u
#define CTX_PDP0_LDW   0x33u

#define NCTX 2 /* contexts per engine */

static const struct {
	uint8_t bank, shift, gdrst_bit;
} eng_hw[SCAN_NUM_ENGINES] = {
	[SCAN_RCS] = { 0, 0, 1 },
	[SCAN_BCS] = { 0, 16, 3 },
	[SCAN_VCS] = { 1, 0, 2 },
	[SCAN_VECS] = { 3, 0, 4 },
};

/* ------------------------------------------------------------- state */

struct pt_node {
	uint64_t gpa;             /* the table's frame */
	unsigned used;            /* present entries */
	struct pt_node **child;   /* 512, levels 4..2 */
};

struct bo {
	uint64_t gma, size, npages;
	uint32_t flags;
	uint64_t *frames;
	uint64_t last_use;
	bool pinned;              /* used by the request in flight */
};

struct gctx {
	bool live;
	uint32_t id;
	uint64_t lrca, lrca_gpa;  /* context image: GGTT, contiguous frames */
	unsigned pages;
	uint64_t ring, ring_gpa;
	uint32_t ring_size, tail;
};

struct ggtt_map {
	uint64_t gma, gpa;
	uint32_t pages;
};

struct guest_drv {
	struct med_vgpu *v;
	unsigned gen;
	unsigned ring_pages;
	uint64_t bo_budget;
	unsigned hang_ms;
	void (*kick)(void *ctx);
	void *kick_ctx;
	char *errbuf;
	size_t errbuf_len;

	/* from PVINFO */
	unsigned vgt_id;
	uint64_t ap_base, ap_size, hid_base, hid_size;
	uint64_t ap_next, hid_next;        /* GGTT bump allocators (offsets) */
	struct ggtt_map *gmaps;
	unsigned ngmaps, capgmaps;

	/* guest frames */
	uint64_t mem_size, frame_next;
	uint64_t *free_frames;
	size_t nfree, capfree;
	uint64_t frames_used;

	/* PPGTT */
	struct pt_node *pml4;

	/* engines */
	uint64_t hws[SCAN_NUM_ENGINES], hws_gpa[SCAN_NUM_ENGINES];
	unsigned csb_head[SCAN_NUM_ENGINES];
	struct gctx ctx[SCAN_NUM_ENGINES][NCTX];
	uint32_t seqno;

	/* BO cache */
	struct bo **bos;
	unsigned nbos, capbos;
	uint64_t resident, use_clock;

	/* notifications (guest_drv_notify, any thread) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t n_events, n_rejects, n_faulted;
	uint16_t last_reject;
	uint32_t last_status;
	bool last_watchdog;        /* the last hang was the mediator's watchdog */

	struct guest_drv_stats st;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------- traps */

static int rd(struct guest_drv *d, uint32_t off, unsigned bytes, uint64_t *val)
{
	uint64_t t = now_ns();
	int err = med_mmio_read(d->v, off, bytes, val);
	d->st.trap_ns += now_ns() - t;
	d->st.mmio_reads++;
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: mmio read of 0x%x refused (%d)", off, err);
	return err;
}

static int rd32(struct guest_drv *d, uint32_t off, uint32_t *val)
{
	uint64_t v = 0;
	int err = rd(d, off, 4, &v);
	*val = (uint32_t)v;
	return err;
}

static int wr32(struct guest_drv *d, uint32_t off, uint32_t val)
{
	uint64_t t = now_ns();
	int err = med_mmio_write(d->v, off, 4, val);
	d->st.trap_ns += now_ns() - t;
	d->st.mmio_writes++;
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: mmio write of 0x%08x to 0x%x refused (%d)", val,
		     off, err);
	return err;
}

static int cfg_rd(struct guest_drv *d, uint32_t off, unsigned bytes, uint32_t *val)
{
	uint64_t t = now_ns();
	int err = med_cfg_read(d->v, off, bytes, val);
	d->st.trap_ns += now_ns() - t;
	d->st.cfg_reads++;
	return err;
}

static int cfg_wr(struct guest_drv *d, uint32_t off, unsigned bytes, uint32_t val)
{
	uint64_t t = now_ns();
	int err = med_cfg_write(d->v, off, bytes, val);
	d->st.trap_ns += now_ns() - t;
	d->st.cfg_writes++;
	return err;
}

static int ggtt_set(struct guest_drv *d, uint64_t gma, uint64_t gpa)
{
	uint64_t t = now_ns();
	int err = med_mmio_write(d->v, MED_GGTT_OFFSET + (gma >> 12) * 8, 8, gpa | PTE_P);
	uint64_t dt = now_ns() - t;
	d->st.trap_ns += dt;
	d->st.ggtt_ns += dt;
	d->st.ggtt_writes++;
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: GGTT entry for 0x%llx refused (%d)",
		     (unsigned long long)gma, err);
	return err;
}

/* Guest CPU write; `pt` says it writes page-table entries, which a
 * shadowing mediator traps (other guest memory is the VM's own: no trap,
 * its time is counted apart). */
static int mem_wr(struct guest_drv *d, uint64_t gpa, const void *p, size_t len, bool pt)
{
	uint64_t t = now_ns();
	int err = med_guest_write(d->v, gpa, p, len);
	uint64_t dt = now_ns() - t;
	if (pt) {
		d->st.trap_ns += dt;
		d->st.pt_ns += dt;
	} else {
		d->st.mem_ns += dt;
	}
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: write of %zu bytes at gpa 0x%llx failed (%d)", len,
		     (unsigned long long)gpa, err);
	return err;
}

static int mem_rd(struct guest_drv *d, uint64_t gpa, void *p, size_t len)
{
	int err = med_guest_read(d->v, gpa, p, len);
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: read of %zu bytes at gpa 0x%llx failed (%d)", len,
		     (unsigned long long)gpa, err);
	return err;
}

static int zero_frame(struct guest_drv *d, uint64_t gpa)
{
	static const uint8_t zero[GPAGE];
	return mem_wr(d, gpa, zero, GPAGE, false);
}

/* ----------------------------------------------------------- frames */

static int frame_alloc(struct guest_drv *d, uint64_t *gpa)
{
	if (d->nfree) {
		*gpa = d->free_frames[--d->nfree];
	} else if (d->frame_next + GPAGE <= d->mem_size) {
		*gpa = d->frame_next;
		d->frame_next += GPAGE;
	} else {
		return -ENOMEM;
	}
	d->frames_used++;
	return 0;
}

static void frame_free(struct guest_drv *d, uint64_t gpa)
{
	if (d->nfree == d->capfree) {
		size_t cap = d->capfree ? 2 * d->capfree : 1024;
		uint64_t *n = realloc(d->free_frames, cap * sizeof(*n));
		if (!n)
			return; /* leaked to the guest, not to the host */
		d->free_frames = n;
		d->capfree = cap;
	}
	d->free_frames[d->nfree++] = gpa;
	d->frames_used--;
}

/* Contiguous frames from the bump allocator (context images, rings). */
static int frames_contig(struct guest_drv *d, unsigned n, uint64_t *gpa)
{
	if (d->frame_next + (uint64_t)n * GPAGE > d->mem_size)
		return -ENOMEM;
	*gpa = d->frame_next;
	d->frame_next += (uint64_t)n * GPAGE;
	d->frames_used += n;
	return 0;
}

/* ------------------------------------------------------------- GGTT */

/* n pages in a window (hidden or aperture), mapped to contiguous frames. */
static int ggtt_alloc(struct guest_drv *d, bool hidden, unsigned n, uint64_t *gma, uint64_t *gpa)
{
	uint64_t *next = hidden ? &d->hid_next : &d->ap_next;
	uint64_t base = hidden ? d->hid_base : d->ap_base, size = hidden ? d->hid_size : d->ap_size;
	if (*next + (uint64_t)n * GPAGE > size) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: the %s window (%llu MiB) is full",
		     hidden ? "hidden" : "aperture", (unsigned long long)(size >> 20));
		return -ENOSPC;
	}
	int err = frames_contig(d, n, gpa);
	if (err) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: out of guest memory");
		return err;
	}
	*gma = base + *next;
	*next += (uint64_t)n * GPAGE;
	if (d->ngmaps == d->capgmaps) {
		unsigned cap = d->capgmaps ? 2 * d->capgmaps : 16;
		struct ggtt_map *m = realloc(d->gmaps, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		d->gmaps = m;
		d->capgmaps = cap;
	}
	d->gmaps[d->ngmaps++] = (struct ggtt_map){ *gma, *gpa, n };
	for (unsigned i = 0; i < n; i++) {
		err = ggtt_set(d, *gma + (uint64_t)i * GPAGE, *gpa + (uint64_t)i * GPAGE);
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------ PPGTT */

static struct pt_node *node_new(struct guest_drv *d, unsigned level, int *err)
{
	struct pt_node *n = calloc(1, sizeof(*n));
	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	if (level > 1 && !(n->child = calloc(512, sizeof(*n->child)))) {
		free(n);
		*err = -ENOMEM;
		return NULL;
	}
	*err = frame_alloc(d, &n->gpa);
	if (!*err)
		*err = zero_frame(d, n->gpa);
	if (*err) {
		free(n->child);
		free(n);
		return NULL;
	}
	return n;
}

static void node_free_tree(struct pt_node *n, unsigned level)
{
	if (!n)
		return;
	if (level > 1)
		for (unsigned i = 0; i < 512; i++)
			node_free_tree(n->child[i], level - 1);
	free(n->child);
	free(n);
}

static int write_entries(struct guest_drv *d, uint64_t table, unsigned idx, const uint64_t *e,
			 unsigned n)
{
	d->st.pt_writes += n;
	return mem_wr(d, table + 8ull * idx, e, 8ull * n, true);
}

/* The page table (level 1 node) covering gma, created on demand. */
static int pt_for(struct guest_drv *d, uint64_t gma, bool create, struct pt_node **out)
{
	struct pt_node *n = d->pml4;
	for (unsigned level = 4; level > 1; level--) {
		unsigned idx = pt_index(gma, level);
		if (!n->child[idx]) {
			if (!create) {
				*out = NULL;
				return 0;
			}
			int err;
			struct pt_node *c = node_new(d, level - 1, &err);
			if (!c)
				return err;
			uint64_t e = c->gpa | PTE_P | PTE_RW;
			err = write_entries(d, n->gpa, idx, &e, 1);
			if (err) {
				frame_free(d, c->gpa);
				node_free_tree(c, level - 1);
				return err;
			}
			n->child[idx] = c;
			n->used++;
		}
		n = n->child[idx];
	}
	*out = n;
	return 0;
}

/* Maps npages pages at gma to frames[], one write per run of entries in a
 * table. */
static int ppgtt_map(struct guest_drv *d, uint64_t gma, const uint64_t *frames, uint64_t npages)
{
	uint64_t e[512];
	uint64_t i = 0;
	while (i < npages) {
		uint64_t a = gma + i * GPAGE;
		struct pt_node *pt = NULL;
		int err = pt_for(d, a, true, &pt);
		if (err)
			return err;
		unsigned idx = pt_index(a, 1), n = 0;
		while (i + n < npages && idx + n < 512) {
			e[n] = frames[i + n] | PTE_P | PTE_RW;
			n++;
		}
		err = write_entries(d, pt->gpa, idx, e, n);
		if (err)
			return err;
		pt->used += n;
		i += n;
	}
	return 0;
}

/* Clears the entries; tables left empty are unlinked and freed (i915
 * frees its empty page tables too). */
static int ppgtt_unmap(struct guest_drv *d, uint64_t gma, uint64_t npages)
{
	static const uint64_t zero[512];
	uint64_t i = 0;
	while (i < npages) {
		uint64_t a = gma + i * GPAGE;
		struct pt_node *path[5] = { NULL };
		path[4] = d->pml4;
		for (unsigned level = 4; level > 1 && path[level]; level--)
			path[level - 1] = path[level]->child[pt_index(a, level)];
		unsigned idx = pt_index(a, 1);
		unsigned n = 0;
		while (i + n < npages && idx + n < 512)
			n++;
		struct pt_node *pt = path[1];
		if (pt) {
			int err = write_entries(d, pt->gpa, idx, zero, n);
			if (err)
				return err;
			pt->used -= n < pt->used ? n : pt->used;
			/* free empty tables bottom-up (never the PML4) */
			for (unsigned level = 1; level < 4 && path[level]->used == 0; level++) {
				struct pt_node *parent = path[level + 1];
				unsigned pidx = pt_index(a, level + 1);
				err = write_entries(d, parent->gpa, pidx, zero, 1);
				if (err)
					return err;
				frame_free(d, path[level]->gpa);
				node_free_tree(path[level], level);
				parent->child[pidx] = NULL;
				parent->used--;
			}
		}
		i += n;
	}
	return 0;
}

/* ---------------------------------------------------------- BO cache */

static void bo_evict(struct guest_drv *d, unsigned i, int *err)
{
	struct bo *b = d->bos[i];
	int e = ppgtt_unmap(d, b->gma, b->npages);
	if (e && !*err)
		*err = e;
	for (uint64_t k = 0; k < b->npages; k++)
		frame_free(d, b->frames[k]);
	d->resident -= b->size;
	d->st.bo_unmaps++;
	free(b->frames);
	free(b);
	d->bos[i] = d->bos[--d->nbos];
}

/* Evicts unpinned least-recently-used BOs until `need` more bytes fit in
 * the budget (need 0: just get under it). */
static int bo_trim(struct guest_drv *d, uint64_t need)
{
	int err = 0;
	while (d->resident + need > d->bo_budget) {
		int victim = -1;
		for (unsigned i = 0; i < d->nbos; i++) {
			struct bo *b = d->bos[i];
			if (b->pinned || (b->flags & GUEST_BO_RESULT))
				continue;
			if (victim < 0 || b->last_use < d->bos[victim]->last_use)
				victim = (int)i;
		}
		if (victim < 0)
			break;
		bo_evict(d, (unsigned)victim, &err);
	}
	return err;
}

static int bo_write_data(struct guest_drv *d, struct bo *b, const struct guest_bo *w, bool fresh)
{
	const uint8_t *p = w->data;
	static const uint8_t zero[GPAGE];
	for (uint64_t k = 0; k < b->npages; k++) {
		uint64_t off = k * GPAGE;
		uint64_t n = 0;
		if (p && off < w->data_len)
			n = w->data_len - off < GPAGE ? w->data_len - off : GPAGE;
		int err = 0;
		if (n)
			err = mem_wr(d, b->frames[k], p + off, n, false);
		if (!err && fresh && n < GPAGE)
			err = mem_wr(d, b->frames[k] + n, zero, GPAGE - n, false);
		if (err)
			return err;
		if (!n && !fresh)
			break; /* nothing more to write on a reused BO */
	}
	return 0;
}

static int bo_get(struct guest_drv *d, const struct guest_bo *w)
{
	d->use_clock++;
	for (unsigned i = 0; i < d->nbos; i++) {
		struct bo *b = d->bos[i];
		if (b->gma == w->gma && b->size == w->size) {
			b->pinned = true;
			b->last_use = d->use_clock;
			d->st.bo_hits++;
			if (w->flags & GUEST_BO_RESULT)
				return 0;
			return w->data ? bo_write_data(d, b, w, false) : 0;
		}
	}
	/* evict what overlaps, then make room */
	int err = 0;
	for (unsigned i = 0; i < d->nbos;) {
		struct bo *b = d->bos[i];
		if (b->gma < w->gma + w->size && w->gma < b->gma + b->size)
			bo_evict(d, i, &err);
		else
			i++;
	}
	if (err)
		return err;
	err = bo_trim(d, w->size);
	if (err)
		return err;
	struct bo *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->gma = w->gma;
	b->size = w->size;
	b->npages = w->size / GPAGE;
	b->flags = w->flags;
	b->frames = calloc(b->npages ? b->npages : 1, sizeof(uint64_t));
	if (!b->frames) {
		free(b);
		return -ENOMEM;
	}
	for (uint64_t k = 0; k < b->npages; k++) {
		err = frame_alloc(d, &b->frames[k]);
		if (err == -ENOMEM) {
			/* out of guest memory: drop the whole cache and retry */
			d->bo_budget = 0;
			bo_trim(d, 0);
			err = frame_alloc(d, &b->frames[k]);
		}
		if (err) {
			for (uint64_t j = 0; j < k; j++)
				frame_free(d, b->frames[j]);
			free(b->frames);
			free(b);
			vgt_errbuf_set(d->errbuf, d->errbuf_len,
			     "guest: out of guest memory mapping %llu KiB at 0x%llx",
			     (unsigned long long)(w->size >> 10), (unsigned long long)w->gma);
			return err;
		}
	}
	if (d->nbos == d->capbos) {
		unsigned cap = d->capbos ? 2 * d->capbos : 64;
		struct bo **n = realloc(d->bos, cap * sizeof(*n));
		if (!n) {
			for (uint64_t j = 0; j < b->npages; j++)
				frame_free(d, b->frames[j]);
			free(b->frames);
			free(b);
			return -ENOMEM;
		}
		d->bos = n;
		d->capbos = cap;
	}
	d->bos[d->nbos++] = b;
	d->resident += b->size;
	b->pinned = true;
	b->last_use = d->use_clock;
	d->st.bo_maps++;
	err = bo_write_data(d, b, w, true);
	if (!err)
		err = ppgtt_map(d, b->gma, b->frames, b->npages);
	return err;
}

/* gma -> gpa through the cache (for checks). */
static bool bo_gpa(struct guest_drv *d, uint64_t gma, uint64_t *gpa)
{
	for (unsigned i = 0; i < d->nbos; i++) {
		struct bo *b = d->bos[i];
		if (gma >= b->gma && gma < b->gma + b->size) {
			*gpa = b->frames[(gma - b->gma) / GPAGE] + (gma & (GPAGE - 1));
			return true;
		}
	}
	return false;
}

/* --------------------------------------------------------- contexts */

static uint32_t ebase(unsigned e)
{
	return scan_engine_mmio_base((enum scan_engine)e);
}

static unsigned ctx_pages(const struct guest_drv *d, unsigned e)
{
	if (e == SCAN_RCS)
		return d->gen == 8 ? 20 : 22;
	return 2;
}

/* Writes one register value of the ring context (page 1, dword dw). */
static int ctx_put(struct guest_drv *d, const struct gctx *c, unsigned dw, uint32_t val)
{
	return mem_wr(d, c->lrca_gpa + GPAGE + 4ull * dw, &val, 4, false);
}

/* The logical ring context image i915 writes: the ring context's LRI
 * lists with the ring registers and PDPs, the rest zero. */
static int ctx_write_image(struct guest_drv *d, unsigned e, struct gctx *c)
{
	for (unsigned p = 0; p < c->pages; p++) {
		int err = zero_frame(d, c->lrca_gpa + (uint64_t)p * GPAGE);
		if (err)
			return err;
	}
	uint32_t b = ebase(e);
	uint32_t st[0x50];
	memset(st, 0, sizeof(st));
	st[0x01] = 0x11001000u | (2 * 13 - 1); /* MI_LOAD_REGISTER_IMM(13), force posted */
	st[0x02] = b + 0x244, st[0x03] = 0x00090009u; /* CONTEXT_CONTROL */
	st[0x04] = b + 0x034, st[0x05] = 0;           /* RING_HEAD */
	st[0x06] = b + 0x030, st[0x07] = c->tail;     /* RING_TAIL */
	st[0x08] = b + 0x038, st[0x09] = (uint32_t)c->ring;
	st[0x0a] = b + 0x03c, st[0x0b] = ((c->ring_size - GPAGE) & 0x1ff000u) | 1u;
	st[0x0c] = b + 0x168, st[0x0e] = b + 0x140, st[0x10] = b + 0x110;
	st[0x12] = b + 0x11c, st[0x14] = b + 0x114, st[0x16] = b + 0x118;
	st[0x18] = b + 0x1c0, st[0x1a] = b + 0x1c4, st[0x1c] = b + 0x1c8;
	st[0x21] = 0x11001000u | (2 * 9 - 1);  /* MI_LOAD_REGISTER_IMM(9) */
	st[0x22] = b + 0x3a8;                  /* CTX_TIMESTAMP */
	for (unsigned n = 0; n < 4; n++) {
		st[0x31 - 4 * n - 1] = b + 0x274 + 8 * n; /* PDPn upper */
		st[0x33 - 4 * n - 1] = b + 0x270 + 8 * n; /* PDPn lower */
	}
	st[CTX_PDP0_UDW] = (uint32_t)(d->pml4->gpa >> 32);
	st[CTX_PDP0_LDW] = (uint32_t)d->pml4->gpa;
	st[0x4f] = 0x05000000u;                /* MI_BATCH_BUFFER_END */
	return mem_wr(d, c->lrca_gpa + GPAGE, st, sizeof(st), false);
}

static int ctx_get(struct guest_drv *d, unsigned e, unsigned slot, struct gctx **out)
{
	struct gctx *c = &d->ctx[e][slot];
	if (!c->live) {
		memset(c, 0, sizeof(*c));
		c->id = 0x100u * (e + 1) + slot + 1;
		c->pages = ctx_pages(d, e);
		c->ring_size = d->ring_pages * GPAGE;
		int err = ggtt_alloc(d, true, c->pages, &c->lrca, &c->lrca_gpa);
		if (!err)
			err = ggtt_alloc(d, false, d->ring_pages, &c->ring, &c->ring_gpa);
		if (!err)
			err = ctx_write_image(d, e, c);
		if (err)
			return err;
		c->live = true;
	}
	*out = c;
	return 0;
}

static uint64_t ctx_desc(const struct gctx *c)
{
	/* context id, LRCA, privileged (PPGTT) context, legacy 64-bit, valid */
	return ((uint64_t)c->id << 32) | (c->lrca & 0xfffff000u) | (1u << 8) | (3u << 3) | 1u;
}

/* ------------------------------------------------------------ boot */

static int pci_probe(struct guest_drv *d)
{
	uint32_t id, cls, bar, size, cmd, cap;
	int err = cfg_rd(d, 0x00, 4, &id);
	if (!err)
		err = cfg_rd(d, 0x08, 4, &cls);
	if (err)
		return err;
	if ((id & 0xffff) != MED_PCI_VENDOR || (cls >> 8) != MED_PCI_CLASS) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len,
		     "guest: PCI function is %04x:%04x class %06x, not an Intel display controller",
		     id & 0xffff, id >> 16, cls >> 8);
		return -EIO;
	}
	/* BAR0 sizing: write all ones, read the mask, restore */
	if ((err = cfg_rd(d, 0x10, 4, &bar)) || (err = cfg_wr(d, 0x10, 4, 0xffffffffu)) ||
	    (err = cfg_rd(d, 0x10, 4, &size)) || (err = cfg_wr(d, 0x10, 4, bar)))
		return err;
	if ((size & ~0xfu) == 0 || ((~(size & ~0xfu)) + 1) < MED_BAR0_SIZE) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: BAR0 sizes as 0x%08x, smaller than 16 MiB",
		     size);
		return -EIO;
	}
	/* memory decoding and bus mastering */
	if ((err = cfg_rd(d, 0x04, 2, &cmd)) || (err = cfg_wr(d, 0x04, 2, cmd | 0x6)))
		return err;
	/* MSI: walk the capability list */
	if ((err = cfg_rd(d, 0x34, 1, &cap)))
		return err;
	for (unsigned hops = 0; cap && hops < 16; hops++) {
		uint32_t cid, nxt;
		if ((err = cfg_rd(d, cap, 1, &cid)) || (err = cfg_rd(d, cap + 1, 1, &nxt)))
			return err;
		if (cid == 0x05) {
			uint32_t ctl;
			if ((err = cfg_rd(d, cap + 2, 2, &ctl)) ||
			    (err = cfg_wr(d, cap + 4, 4, 0xfee00000u)) ||
			    (err = cfg_wr(d, cap + 8, 4, 0)) ||
			    (err = cfg_wr(d, cap + 12, 2, 0x4041u + d->vgt_id)) ||
			    (err = cfg_wr(d, cap + 2, 2, ctl | 1)))
				return err;
			break;
		}
		cap = nxt;
	}
	return 0;
}

static int read_pvinfo(struct guest_drv *d)
{
	uint64_t magic = 0;
	uint32_t ver, id, caps, ab, as, hb, hs, fences;
	int err = rd(d, MED_PVINFO_BASE, 8, &magic);
	if (err)
		return err;
	if (magic != PV_MAGIC_VAL) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len,
		     "guest: PVINFO magic is 0x%016llx: not a GVT-g vGPU (this driver needs one)",
		     (unsigned long long)magic);
		return -EIO;
	}
	if ((err = rd32(d, MED_PVINFO_BASE + PV_VERSION, &ver)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_VGT_ID, &id)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_CAPS, &caps)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_APER_BASE, &ab)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_APER_SIZE, &as)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_HID_BASE, &hb)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_HID_SIZE, &hs)) ||
	    (err = rd32(d, MED_PVINFO_BASE + PV_FENCE_NUM, &fences)))
		return err;
	if ((ver & 0xffff) != 1 || !(caps & (1u << 2))) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len,
		     "guest: PVINFO version %u.%u caps 0x%x: needs version 1 with full PPGTT",
		     ver & 0xffff, ver >> 16, caps);
		return -EIO;
	}
	if (!as || !hs) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: PVINFO gives an empty GGTT window");
		return -EIO;
	}
	/* ballooning: the rest of the GGTT is not ours */
	d->vgt_id = id;
	d->ap_base = ab, d->ap_size = as, d->hid_base = hb, d->hid_size = hs;
	return 0;
}

static int write_hws_csb_reset(struct guest_drv *d, unsigned e)
{
	uint32_t wp = 7; /* "nothing written yet", as the hardware resets it */
	d->csb_head[e] = CSB_ENTRIES - 1;
	return mem_wr(d, d->hws_gpa[e] + 4 * HWS_CSB_WP, &wp, 4, false);
}

/* Everything a boot programs through the traps.  `first`: allocate too. */
static int boot(struct guest_drv *d, bool first)
{
	int err = pci_probe(d);
	if (!err)
		err = read_pvinfo(d);
	if (err)
		return err;
	if (first) {
		d->frame_next = 0x100000; /* the first MiB is firmware's */
		int e2;
		d->pml4 = node_new(d, 4, &e2);
		if (!d->pml4)
			return e2;
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			err = ggtt_alloc(d, false, 1, &d->hws[e], &d->hws_gpa[e]);
			if (err)
				return err;
		}
	} else {
		/* the vGPU reset put the windows back to scratch: map again */
		for (unsigned i = 0; i < d->ngmaps; i++)
			for (uint32_t p = 0; p < d->gmaps[i].pages; p++) {
				err = ggtt_set(d, d->gmaps[i].gma + (uint64_t)p * GPAGE,
					       d->gmaps[i].gpa + (uint64_t)p * GPAGE);
				if (err)
					return err;
			}
	}
	/* interrupts: master off, unmask and enable the engines' bits, master on */
	if ((err = wr32(d, R_MASTER_IRQ, 0)))
		return err;
	uint32_t mask[4] = { 0 };
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
		mask[eng_hw[e].bank] |= IRQ_BITS << eng_hw[e].shift;
	for (unsigned bk = 0; bk < 4; bk++) {
		if ((err = wr32(d, R_GT_IMR(bk), ~mask[bk])) || (err = wr32(d, R_GT_IER(bk), mask[bk])))
			return err;
	}
	/* engines: status page, execlists */
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		if ((err = zero_frame(d, d->hws_gpa[e])) || (err = write_hws_csb_reset(d, e)) ||
		    (err = wr32(d, ebase(e) + R_HWS_PGA, (uint32_t)d->hws[e])) ||
		    (err = wr32(d, ebase(e) + R_RING_MODE, 0x80008000u)))
			return err;
	}
	if ((err = wr32(d, R_MASTER_IRQ, 0x80000000u)))
		return err;
	/* the PPGTT root, announced to the mediator */
	if ((err = wr32(d, MED_PVINFO_BASE + PV_PDP0, (uint32_t)d->pml4->gpa)) ||
	    (err = wr32(d, MED_PVINFO_BASE + PV_PDP0 + 4, (uint32_t)(d->pml4->gpa >> 32))) ||
	    (err = wr32(d, MED_PVINFO_BASE + PV_G2V_NOTIFY, G2V_L4_CREATE)) ||
	    (err = wr32(d, MED_PVINFO_BASE + PV_DISPLAY_RDY, 1)))
		return err;
	/* contexts: fresh images (head and tail back to 0) */
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
		for (unsigned s = 0; s < NCTX; s++) {
			struct gctx *c = &d->ctx[e][s];
			if (!c->live)
				continue;
			c->tail = 0;
			if ((err = ctx_write_image(d, e, c)))
				return err;
		}
	return 0;
}

int guest_drv_new(const struct guest_drv_opts *opts, struct guest_drv **out)
{
	if (!opts || !out)
		return -EINVAL;
	struct guest_drv_opts o = { .sz = sizeof(o) };
	int oerr = VGT_OPTS_LOAD(&o, opts);
	if (oerr)
		return oerr;
	if (!o.vgpu) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: no vGPU to drive");
		return -EINVAL;
	}
	if (o.gen && o.gen != 8 && o.gen != 9) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: generation %u unsupported (8 or 9)", o.gen);
		return -EINVAL;
	}
	if (o.ring_pages > 512) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "guest: ring of %u pages: at most 512 (2 MiB)",
		     o.ring_pages);
		return -EINVAL;
	}
	if (o.mem_size % GPAGE) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len,
			    "guest: memory of %llu bytes: not a whole number of 4 KiB pages",
			    (unsigned long long)o.mem_size);
		return -EINVAL;
	}
	struct guest_drv *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->v = o.vgpu;
	d->gen = o.gen ? o.gen : 9;
	d->ring_pages = o.ring_pages ? o.ring_pages : 8;
	d->bo_budget = (uint64_t)(o.bo_cache_mb ? o.bo_cache_mb : 64) << 20;
	d->hang_ms = o.hang_ms ? o.hang_ms : 5000;
	d->kick = o.kick;
	d->kick_ctx = o.kick_ctx;
	d->errbuf = o.errbuf;
	d->errbuf_len = o.errbuf_len;
	d->mem_size = o.mem_size ? o.mem_size : GUEST_MEM_SIZE_DEFAULT; /* the VM's RAM size */
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	int err = boot(d, true);
	if (err) {
		guest_drv_free(d);
		return err;
	}
	*out = d;
	return 0;
}

void guest_drv_free(struct guest_drv *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->nbos; i++) {
		free(d->bos[i]->frames);
		free(d->bos[i]);
	}
	free(d->bos);
	node_free_tree(d->pml4, 4);
	free(d->free_frames);
	free(d->gmaps);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

int guest_drv_reboot(struct guest_drv *d)
{
	if (!d)
		return -EINVAL;
	d->st.reboots++;
	return boot(d, false);
}

void guest_drv_notify(struct guest_drv *d, const struct med_event *ev)
{
	if (!d || !ev)
		return;
	switch (ev->type) {
	case MED_EV_REJECT:
		pthread_mutex_lock(&d->lock);
		d->n_rejects++;
		d->last_reject = (uint16_t)ev->u.reject.reason;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		break;
	case MED_EV_COMPLETE:
		if (ev->u.exec.status == 0) /* GPU_DONE: the CSB event follows */
			break;
		/* the engine hung or faulted: the guest will see no completion */
		pthread_mutex_lock(&d->lock);
		d->n_faulted++;
		d->last_status = ev->u.exec.status;
		d->last_watchdog = ev->u.exec.watchdog != 0;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		break;
	case MED_EV_CSB:
	case MED_EV_IRQ:
		pthread_mutex_lock(&d->lock);
		d->n_events++;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		break;
	default:
		break;
	}
}

const char *guest_outcome_name(enum guest_outcome o)
{
	switch (o) {
	case GUEST_DONE: return "done";
	case GUEST_REJECTED: return "rejected";
	case GUEST_HUNG: return "hung";
	}
	return NULL;
}

void guest_drv_stats(struct guest_drv *d, struct guest_drv_stats *out)
{
	if (!d || !out || out->sz < sizeof(size_t))
		return;
	struct guest_drv_stats s = d->st;
	s.sz = sizeof(s);
	s.frames_used = d->frames_used;
	size_t n = out->sz < sizeof(s) ? out->sz : sizeof(s);
	memcpy(out, &s, n);
	out->sz = n;
}

/* -------------------------------------------------------- submission */

/* Appends dwords to the context's ring at its tail (wrapping). */
static int ring_emit(struct guest_drv *d, struct gctx *c, const uint32_t *dw, unsigned n)
{
	uint32_t bytes = 4 * n;
	if (bytes + 8 > c->ring_size) {
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: %u ring bytes do not fit a %u-byte ring", bytes,
		     c->ring_size);
		return -E2BIG;
	}
	uint32_t first = c->ring_size - c->tail < bytes ? c->ring_size - c->tail : bytes;
	int err = mem_wr(d, c->ring_gpa + c->tail, dw, first, false);
	if (!err && first < bytes)
		err = mem_wr(d, c->ring_gpa, (const uint8_t *)dw + first, bytes - first, false);
	if (err)
		return err;
	c->tail = (c->tail + bytes) % c->ring_size;
	return 0;
}

static int elsp_submit(struct guest_drv *d, unsigned e, uint64_t desc)
{
	uint32_t elsp = ebase(e) + R_ELSP;
	int err;
	if ((err = wr32(d, elsp, 0)) || (err = wr32(d, elsp, 0)) ||
	    (err = wr32(d, elsp, (uint32_t)(desc >> 32))))
		return err;
	/* the fourth write: the whole workload pipeline runs inside it */
	uint64_t t = now_ns();
	err = med_mmio_write(d->v, elsp, 4, (uint32_t)desc);
	uint64_t dt = now_ns() - t;
	d->st.trap_ns += dt;
	d->st.submit_ns += dt;
	d->st.mmio_writes++;
	d->st.submissions++;
	if (err)
		vgt_errbuf_set(d->errbuf, d->errbuf_len, "guest: ELSP submission refused (%d)", err);
	return err;
}

/* Consumes new CSB entries from the status page; *done when a completion
 * of context `id` was among them. */
static int csb_consume(struct guest_drv *d, unsigned e, uint32_t id, bool *done)
{
	uint32_t hws[0x20];
	int err = mem_rd(d, d->hws_gpa[e], hws, sizeof(hws));
	if (err)
		return err;
	uint32_t wp = hws[HWS_CSB_WP];
	if (wp >= CSB_ENTRIES)
		return 0;
	while (d->csb_head[e] != wp) {
		d->csb_head[e] = (d->csb_head[e] + 1) % CSB_ENTRIES;
		uint32_t status = hws[HWS_CSB0 + 2 * d->csb_head[e]];
		uint32_t ctx = hws[HWS_CSB0 + 2 * d->csb_head[e] + 1];
		d->st.csb_events++;
		if ((status & CSB_COMPLETE) && ctx == id)
			*done = true;
	}
	return 0;
}

/* The interrupt handler's register traffic for one completion (i915's
 * gen8 handler: master off, read, ack IIR, CSB read pointer, master on). */
static int irq_ack(struct guest_drv *d, unsigned e)
{
	uint32_t master, iir;
	unsigned bank = eng_hw[e].bank;
	int err;
	if ((err = wr32(d, R_MASTER_IRQ, 0)) || (err = rd32(d, R_MASTER_IRQ, &master)) ||
	    (err = rd32(d, R_GT_IIR(bank), &iir)) || (err = wr32(d, R_GT_IIR(bank), iir)) ||
	    (err = wr32(d, ebase(e) + R_CSB_PTR, (0x0700u << 16) | (d->csb_head[e] << 8))) ||
	    (err = wr32(d, R_MASTER_IRQ, 0x80000000u)))
		return err;
	d->st.irqs++;
	return 0;
}

/* After a hang or a rejection: reset the engine and skip the request. */
static int engine_reset(struct guest_drv *d, unsigned e, struct gctx *c)
{
	int err = wr32(d, R_GDRST, 1u << eng_hw[e].gdrst_bit);
	if (!err)
		err = write_hws_csb_reset(d, e);
	if (!err)
		err = ctx_put(d, c, CTX_HEAD, c->tail);
	d->st.engine_resets++;
	return err;
}

static int run_checks(struct guest_drv *d, const struct guest_work *w, unsigned e, unsigned slot,
		      uint32_t seqno, struct guest_run *r)
{
	uint32_t got = 0;
	int err = mem_rd(d, d->hws_gpa[e] + 4 * HWS_SEQNO(slot), &got, 4);
	if (err)
		return err;
	d->st.checks++;
	if (got != seqno) {
		d->st.checks_failed++;
		r->checks_failed++;
		snprintf(r->detail, sizeof(r->detail),
			 "breadcrumb in the %s status page is %u, expected %u",
			 scan_engine_name((enum scan_engine)e), got, seqno);
	}
	uint8_t buf[GPAGE];
	for (unsigned i = 0; i < w->nchecks; i++) {
		const struct guest_check *ck = &w->checks[i];
		d->st.checks++;
		bool bad = false;
		for (uint32_t off = 0; off < ck->len && !bad;) {
			uint64_t gma = ck->gma + off, gpa;
			uint32_t n = GPAGE - (uint32_t)(gma & (GPAGE - 1));
			if (n > ck->len - off)
				n = ck->len - off;
			if (!bo_gpa(d, gma, &gpa)) {
				bad = true;
				if (!r->checks_failed)
					snprintf(r->detail, sizeof(r->detail),
						 "%s at 0x%llx: not in any buffer of the workload",
						 ck->what, (unsigned long long)gma);
				break;
			}
			if ((err = mem_rd(d, gpa, buf, n)))
				return err;
			const uint8_t *x = (const uint8_t *)ck->expect + off;
			if (memcmp(buf, x, n)) {
				uint32_t k = 0;
				while (buf[k] == x[k])
					k++;
				bad = true;
				if (!r->checks_failed)
					snprintf(r->detail, sizeof(r->detail),
						 "%s at 0x%llx: byte %u is 0x%02x, expected 0x%02x",
						 ck->what, (unsigned long long)ck->gma, off + k, buf[k],
						 x[k]);
			}
			off += n;
		}
		if (bad) {
			d->st.checks_failed++;
			r->checks_failed++;
		}
	}
	return 0;
}

int guest_drv_run(struct guest_drv *d, const struct guest_work *w, struct guest_run *r)
{
	if (!d || !w || !r || (unsigned)w->engine >= SCAN_NUM_ENGINES)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	unsigned e = w->engine, slot = w->ctx % NCTX;
	struct gctx *c;
	int err = ctx_get(d, e, slot, &c);
	if (err)
		return err;
	for (unsigned i = 0; i < d->nbos; i++)
		d->bos[i]->pinned = false;
	for (unsigned i = 0; i < w->nbos; i++)
		if ((err = bo_get(d, &w->bos[i])))
			return err;

	/* ring: the work's commands, then the breadcrumb */
	uint32_t seqno = ++d->seqno;
	uint64_t crumb = d->hws[e] + 4 * HWS_SEQNO(slot);
	struct cbuf cb = { 0 };
	guesti_cb_raw(&cb, w->ring, w->nring);
	if (e == SCAN_RCS)
		guesti_emit_pipe_control(&cb, PC_CS_STALL | PC_RT_FLUSH | PC_DC_FLUSH, crumb, true, seqno);
	else
		guesti_emit_flush_dw(&cb, 0, crumb, true, seqno);
	guesti_emit_n(&cb, C_MI_USER_INTERRUPT, 1, NULL, 0);
	guesti_cb_align8(&cb);
	if (cb.oom) {
		guesti_cb_free(&cb);
		return -ENOMEM;
	}
	err = ring_emit(d, c, cb.dw, cb.n);
	guesti_cb_free(&cb);
	if (err)
		return err;
	if ((err = ctx_put(d, c, CTX_TAIL, c->tail)))
		return err;

	/* attacks on the driver's own structures */
	uint64_t desc = ctx_desc(c);
	switch (w->ctx_attack) {
	case GUEST_CTX_GGTT_DESC:
		desc &= ~(uint64_t)(1u << 8);
		break;
	case GUEST_CTX_RING_OUTSIDE:
		err = ctx_put(d, c, CTX_START, 0x1000);
		break;
	case GUEST_CTX_OUTSIDE:
		desc = (desc & ~0xfffff000ull) | 0x3000;
		break;
	case GUEST_CTX_PDP_OUTSIDE:
		err = ctx_put(d, c, CTX_PDP0_LDW, (uint32_t)(d->mem_size + 0x100000));
		if (!err)
			err = ctx_put(d, c, CTX_PDP0_UDW, (uint32_t)((d->mem_size + 0x100000) >> 32));
		break;
	default:
		break;
	}
	if (err)
		return err;

	pthread_mutex_lock(&d->lock);
	uint64_t rejects0 = d->n_rejects, faulted0 = d->n_faulted;
	pthread_mutex_unlock(&d->lock);
	if ((err = elsp_submit(d, e, desc)))
		return err;

	/* wait: completion in the status page, a rejection, or the hangcheck */
	uint64_t deadline = now_ns() + (uint64_t)d->hang_ms * 1000000ull;
	bool done = false, kicked = false;
	for (;;) {
		pthread_mutex_lock(&d->lock);
		uint64_t seen = d->n_events;
		bool rejected = d->n_rejects != rejects0;
		bool faulted = d->n_faulted != faulted0;
		uint16_t why = d->last_reject;
		uint32_t status = d->last_status;
		bool watchdog = d->last_watchdog;
		pthread_mutex_unlock(&d->lock);
		if ((err = csb_consume(d, e, c->id, &done)))
			return err;
		if (done)
			break;
		if (rejected) {
			r->outcome = GUEST_REJECTED;
			r->reject_reason = why;
			break;
		}
		if (faulted) {
			/* the hangcheck, without waiting for its timer */
			r->outcome = GUEST_HUNG;
			r->watchdog = watchdog;
			snprintf(r->detail, sizeof(r->detail),
				 "%s context %u: the engine stopped before the tail (GPU status %u%s)",
				 scan_engine_name((enum scan_engine)e), c->id, status,
				 watchdog ? ", the mediator's watchdog" : "");
			break;
		}
		if (d->kick && !kicked) {
			/* let the GPU run (manual dispatch), then look again */
			d->kick(d->kick_ctx);
			kicked = true;
			continue;
		}
		kicked = false;
		uint64_t t = now_ns();
		if (t >= deadline) {
			r->outcome = GUEST_HUNG;
			snprintf(r->detail, sizeof(r->detail),
				 "no completion of %s context %u within %u ms",
				 scan_engine_name((enum scan_engine)e), c->id, d->hang_ms);
			break;
		}
		uint64_t until = t + 2000000ull; /* re-read the status page every 2 ms */
		if (until > deadline)
			until = deadline;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t abs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + (until - t);
		ts.tv_sec = (time_t)(abs / 1000000000ull);
		ts.tv_nsec = (long)(abs % 1000000000ull);
		pthread_mutex_lock(&d->lock);
		while (d->n_events == seen && d->n_rejects == rejects0 && d->n_faulted == faulted0 &&
		       pthread_cond_timedwait(&d->cond, &d->lock, &ts) == 0)
			;
		pthread_mutex_unlock(&d->lock);
	}

	/* restore what an attack changed */
	if (w->ctx_attack == GUEST_CTX_RING_OUTSIDE)
		err = ctx_put(d, c, CTX_START, (uint32_t)c->ring);
	else if (w->ctx_attack == GUEST_CTX_PDP_OUTSIDE) {
		err = ctx_put(d, c, CTX_PDP0_LDW, (uint32_t)d->pml4->gpa);
		if (!err)
			err = ctx_put(d, c, CTX_PDP0_UDW, (uint32_t)(d->pml4->gpa >> 32));
	}
	if (err)
		return err;

	if (done) {
		d->st.completed++;
		if ((err = irq_ack(d, e)) || (err = run_checks(d, w, e, slot, seqno, r)))
			return err;
	} else {
		if (r->outcome == GUEST_REJECTED)
			d->st.rejected++;
		else
			d->st.hangs++;
		if ((err = engine_reset(d, e, c)))
			return err;
	}
	return bo_trim(d, 0);
}
