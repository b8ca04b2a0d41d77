/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the mediator's tests (header-only, static): an event
 * recorder, and a minimal guest that talks to the mediator only through the
 * trap interface — PVINFO, GGTT entries written through BAR0, 4-level
 * PPGTT tables in its own memory, logical ring contexts, rings and batches,
 * submission through the execlist port.
 */
#ifndef VGT_TEST_MEDIATOR_UTIL_H
#define VGT_TEST_MEDIATOR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "mediator/mediator.h"
#include "scanner/scanner.h"
#include "shadow/shadow.h"

/* ------------------------------------------------------------- commands */

#define MI_NOOP              0x00000000u
#define MI_USER_INTERRUPT    0x01000000u
#define MI_BATCH_BUFFER_END  0x05000000u
#define MI_SDI_GGTT          0x10400002u /* MI_STORE_DATA_IMM, dword, GGTT */
#define MI_SDI_PPGTT         0x10000002u /* MI_STORE_DATA_IMM, dword, PPGTT */
#define MI_LRI_1             0x11000001u /* MI_LOAD_REGISTER_IMM, one register */
#define MI_SRM_PPGTT         0x12000002u /* MI_STORE_REGISTER_MEM, PPGTT */
#define MI_BB_START_GGTT     0x18800001u
#define MI_BB_START_PPGTT    0x18800101u
#define GFX_3DPRIMITIVE      0x7b000005u

/* ------------------------------------------------------------ recorder */

#define REC_TEXT 200
struct rec_ev {
	struct med_event ev;   /* blobs and text cleared */
	char text[REC_TEXT];
	uint32_t nblobs;
};

struct rec {
	pthread_mutex_t lock;
	struct rec_ev *ev;
	size_t n, cap;
	size_t count[MED_EV_TYPE_COUNT];
};

static inline void rec_hook(void *ctx, const struct med_event *e)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->lock);
	if (e->type < MED_EV_TYPE_COUNT)
		r->count[e->type]++;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 1024;
		struct rec_ev *nv = realloc(r->ev, cap * sizeof(*nv));
		if (!nv) {
			pthread_mutex_unlock(&r->lock);
			return;
		}
		r->ev = nv;
		r->cap = cap;
	}
	struct rec_ev *d = &r->ev[r->n++];
	d->ev = *e;
	d->ev.blobs = NULL;
	d->ev.text = NULL;
	d->nblobs = e->nblobs;
	snprintf(d->text, sizeof(d->text), "%s", e->text ? e->text : "");
	/* blobs must point at readable bytes during the call */
	for (uint32_t i = 0; i < e->nblobs; i++) {
		if (!e->blobs[i].len)
			continue;
		volatile const uint8_t *p = e->blobs[i].data;
		(void)p[0];
		(void)p[e->blobs[i].len - 1];
	}
	pthread_mutex_unlock(&r->lock);
}

static inline void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}

static inline void rec_reset(struct rec *r)
{
	pthread_mutex_lock(&r->lock);
	r->n = 0;
	memset(r->count, 0, sizeof(r->count));
	pthread_mutex_unlock(&r->lock);
}

static inline void rec_fini(struct rec *r)
{
	free(r->ev);
	pthread_mutex_destroy(&r->lock);
}

static inline size_t rec_count(struct rec *r, enum med_event_type t)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->count[t];
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* The i-th (0-based) recorded event of type t (and vGPU id, 0 = any). */
static inline const struct rec_ev *rec_find(struct rec *r, enum med_event_type t, unsigned vgpu,
					     size_t i)
{
	for (size_t k = 0; k < r->n; k++) {
		if (r->ev[k].ev.type != t || (vgpu && r->ev[k].ev.vgpu != vgpu))
			continue;
		if (i-- == 0)
			return &r->ev[k];
	}
	return NULL;
}

static inline void rec_dump(struct rec *r, size_t last)
{
	size_t from = r->n > last ? r->n - last : 0;
	for (size_t k = from; k < r->n; k++)
		print_message("  #%llu t=%llu %s vgpu %u eng %d err %d %s\n",
			      (unsigned long long)r->ev[k].ev.seq, (unsigned long long)r->ev[k].ev.time,
			      med_event_name((enum med_event_type)r->ev[k].ev.type), r->ev[k].ev.vgpu,
			      r->ev[k].ev.engine, r->ev[k].ev.err, r->ev[k].text);
}

/* ------------------------------------------------------------ mediator */

static inline struct med *mk_med(enum med_dispatch d, struct rec *r, enum scan_policy pol)
{
	struct med_opts o = { .sz = sizeof(o) };
	char err[256] = "";
	o.gen = 9;
	o.dispatch = d;
	o.policy = pol;
	o.event = r ? rec_hook : NULL;
	o.event_ctx = r;
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	struct med *m = NULL;
	int e = med_new(&o, &m);
	if (e)
		fail_msg("med_new: %d %s", e, err);
	return m;
}

static inline struct med_vgpu *mk_vgpu(struct med *m, enum med_vgpu_type t)
{
	struct med_vgpu_opts o = { .sz = sizeof(o), .type = t };
	char err[256] = "";
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	struct med_vgpu *v = NULL;
	int e = med_vgpu_create(m, &o, &v);
	if (e)
		fail_msg("med_vgpu_create: %d %s", e, err);
	return v;
}

static inline uint32_t rd32(struct med_vgpu *v, uint64_t off)
{
	uint64_t val = 0;
	assert_int_equal(med_mmio_read(v, off, 4, &val), 0);
	return (uint32_t)val;
}

static inline void wr32(struct med_vgpu *v, uint64_t off, uint32_t val)
{
	assert_int_equal(med_mmio_write(v, off, 4, val), 0);
}

/* ---------------------------------------------------------------- guest */

struct guest {
	struct med *m;
	struct med_vgpu *v;
	unsigned id;
	uint64_t ap_base, ap_size, hid_base, hid_size;
	uint64_t next_gpa;  /* frame allocator */
	uint64_t next_ap;   /* aperture gma allocator (offset) */
	uint64_t pml4;      /* gpa of the PPGTT root */
};

#define PTE_P  1ull
#define PTE_RW 2ull

/* What a GVT-aware guest driver does first: reads PVINFO (balloons), turns
 * on execlists, unmasks and enables the engine interrupts. */
static inline void guest_init(struct guest *g, struct med *m, struct med_vgpu *v)
{
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->v = v;
	uint64_t magic = 0;
	assert_int_equal(med_mmio_read(v, MED_PVINFO_BASE, 8, &magic), 0);
	assert_true(magic == 0x4776544776544776ull);
	g->id = rd32(v, MED_PVINFO_BASE + 0x0c);
	g->ap_base = rd32(v, MED_PVINFO_BASE + 0x40);
	g->ap_size = rd32(v, MED_PVINFO_BASE + 0x44);
	g->hid_base = rd32(v, MED_PVINFO_BASE + 0x48);
	g->hid_size = rd32(v, MED_PVINFO_BASE + 0x4c);
	g->next_gpa = 0x100000;
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
		wr32(v, scan_engine_mmio_base((enum scan_engine)e) + 0x29c, 0x80008000u);
	for (unsigned b = 0; b < 4; b++) {
		wr32(v, 0x44304 + 0x10 * b, 0);          /* IMR: nothing masked */
		wr32(v, 0x4430c + 0x10 * b, 0xffffffffu); /* IER: all enabled */
	}
	wr32(v, 0x44200, 0x80000000u);                   /* master enable */
	/* the PPGTT root */
	g->pml4 = g->next_gpa;
	g->next_gpa += 4096;
}

static inline uint64_t guest_frames(struct guest *g, unsigned n)
{
	uint64_t gpa = g->next_gpa;
	g->next_gpa += (uint64_t)n * 4096;
	return gpa;
}

static inline void guest_write(struct guest *g, uint64_t gpa, const void *p, size_t len)
{
	assert_int_equal(med_guest_write(g->v, gpa, p, len), 0);
}

static inline uint32_t guest_read32(struct guest *g, uint64_t gpa)
{
	uint32_t v = 0;
	assert_int_equal(med_guest_read(g->v, gpa, &v, 4), 0);
	return v;
}

static inline void guest_ggtt_map(struct guest *g, uint64_t gma, uint64_t gpa)
{
	assert_int_equal(med_mmio_write(g->v, MED_GGTT_OFFSET + (gma >> 12) * 8, 8, gpa | PTE_P), 0);
}

/* n pages of aperture, mapped to fresh frames; returns the gma, *gpa the
 * first frame (contiguous). */
static inline uint64_t guest_ap_alloc(struct guest *g, unsigned n, uint64_t *gpa)
{
	uint64_t gma = g->ap_base + g->next_ap;
	uint64_t f = guest_frames(g, n);
	assert_true(g->next_ap + (uint64_t)n * 4096 <= g->ap_size);
	for (unsigned i = 0; i < n; i++)
		guest_ggtt_map(g, gma + i * 4096ull, f + i * 4096ull);
	g->next_ap += (uint64_t)n * 4096;
	if (gpa)
		*gpa = f;
	return gma;
}

static inline uint64_t guest_rd64(struct guest *g, uint64_t gpa)
{
	uint64_t v = 0;
	assert_int_equal(med_guest_read(g->v, gpa, &v, 8), 0);
	return v;
}

/* Maps a PPGTT page gma -> gpa, building tables as needed (writes to
 * tables already shadowed are trapped by the mediator). */
static inline void guest_ppgtt_map(struct guest *g, uint64_t gma, uint64_t gpa)
{
	uint64_t table = g->pml4;
	for (unsigned level = 4; level > 1; level--) {
		unsigned idx = (unsigned)(gma >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = guest_rd64(g, table + 8ull * idx);
		if (!(e & PTE_P)) {
			uint64_t f = guest_frames(g, 1);
			e = f | PTE_P | PTE_RW;
			guest_write(g, table + 8ull * idx, &e, 8);
		}
		table = e & 0x00003ffffffff000ull;
	}
	uint64_t pte = gpa | PTE_P | PTE_RW;
	guest_write(g, table + 8ull * ((gma >> 12) & 511), &pte, 8);
}

/* n PPGTT pages at gma backed by fresh frames; returns the first frame. */
static inline uint64_t guest_ppgtt_alloc(struct guest *g, uint64_t gma, unsigned n)
{
	uint64_t f = guest_frames(g, n);
	for (unsigned i = 0; i < n; i++)
		guest_ppgtt_map(g, gma + i * 4096ull, f + i * 4096ull);
	return f;
}

/* A logical ring context with its ring. */
struct gctx {
	unsigned engine;
	uint64_t lrca, lrca_gpa;   /* context image (GGTT) */
	uint64_t ring, ring_gpa;   /* ring buffer (GGTT) */
	uint32_t ring_size, tail;
	uint32_t id;
};

static inline void ctx_put(struct guest *g, struct gctx *c, unsigned dw, uint32_t reg, uint32_t val)
{
	uint32_t pair[2] = { reg, val };
	guest_write(g, c->lrca_gpa + 4096 + 4ull * (dw - 1), pair, 8);
}

static inline void guest_ctx_init(struct guest *g, struct gctx *c, unsigned engine, uint32_t id,
				  unsigned ring_pages)
{
	memset(c, 0, sizeof(*c));
	c->engine = engine;
	c->id = id;
	unsigned pages = engine == SCAN_RCS ? 22 : 2;
	c->lrca = guest_ap_alloc(g, pages, &c->lrca_gpa);
	c->ring_size = ring_pages * 4096;
	c->ring = guest_ap_alloc(g, ring_pages, &c->ring_gpa);
	uint32_t base = scan_engine_mmio_base((enum scan_engine)engine);
	uint32_t lri = 0x11000000u | (2 * 13 - 1) | (1u << 12); /* LRI header, as i915 writes */
	guest_write(g, c->lrca_gpa + 4096 + 4, &lri, 4);
	ctx_put(g, c, 0x03, base + 0x244, 0x00090009u);            /* CONTEXT_CONTROL */
	ctx_put(g, c, 0x05, base + 0x34, 0);                       /* RING_HEAD */
	ctx_put(g, c, 0x07, base + 0x30, 0);                       /* RING_TAIL */
	ctx_put(g, c, 0x09, base + 0x38, (uint32_t)c->ring);       /* RING_START */
	ctx_put(g, c, 0x0b, base + 0x3c, (c->ring_size - 4096) | 1); /* RING_CTL: valid */
	ctx_put(g, c, 0x31, base + 0x274, (uint32_t)(g->pml4 >> 32)); /* PDP0 UDW */
	ctx_put(g, c, 0x33, base + 0x270, (uint32_t)g->pml4);         /* PDP0 LDW */
}

static inline uint32_t ctx_get(struct guest *g, struct gctx *c, unsigned dw)
{
	return guest_read32(g, c->lrca_gpa + 4096 + 4ull * dw);
}

/* Appends dwords to the ring at its tail (wrapping) and pads to a qword. */
static inline void guest_ring_emit(struct guest *g, struct gctx *c, const uint32_t *dw, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		guest_write(g, c->ring_gpa + c->tail, &dw[i], 4);
		c->tail = (c->tail + 4) % c->ring_size;
	}
	if (c->tail & 7) {
		uint32_t noop = MI_NOOP;
		guest_write(g, c->ring_gpa + c->tail, &noop, 4);
		c->tail = (c->tail + 4) % c->ring_size;
	}
	ctx_put(g, c, 0x07, scan_engine_mmio_base((enum scan_engine)c->engine) + 0x30, c->tail);
}

static inline uint64_t ctx_desc(const struct gctx *c)
{
	return ((uint64_t)c->id << 32) | (c->lrca & 0xfffff000u) | (1u << 8) | (3u << 3) | 1u;
}

/* Submits one or two contexts through the execlist port (i915's order:
 * element 1 high, low, then element 0 high, low). */
static inline void guest_submit2(struct guest *g, const struct gctx *c0, const struct gctx *c1)
{
	uint32_t elsp = scan_engine_mmio_base((enum scan_engine)c0->engine) + 0x230;
	uint64_t d1 = c1 ? ctx_desc(c1) : 0;
	uint64_t d0 = ctx_desc(c0);
	wr32(g->v, elsp, (uint32_t)(d1 >> 32));
	wr32(g->v, elsp, (uint32_t)d1);
	wr32(g->v, elsp, (uint32_t)(d0 >> 32));
	wr32(g->v, elsp, (uint32_t)d0);
}

static inline void guest_submit(struct guest *g, const struct gctx *c)
{
	guest_submit2(g, c, NULL);
}

/* The CSB write pointer of an engine (bits 2:0 of the status pointer). */
static inline unsigned guest_csb_wp(struct guest *g, unsigned engine)
{
	return rd32(g->v, scan_engine_mmio_base((enum scan_engine)engine) + 0x3a0) & 7;
}

static inline uint32_t guest_csb_status(struct guest *g, unsigned engine, unsigned idx)
{
	return rd32(g->v, scan_engine_mmio_base((enum scan_engine)engine) + 0x370 + 8 * idx);
}

#endif /* VGT_TEST_MEDIATOR_UTIL_H */
