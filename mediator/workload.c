/* SPDX-License-Identifier: MIT */
/*
 * The workload pipeline (docs/MEDIATOR.md, "Submission"):
 *   descriptor -> context image (ring context page through the GGTT, one
 *   copy, every decision on the copy) -> ring and PPGTT root validation ->
 *   PPGTT shadow (get, flush, pin) -> scan and shadow the ring and every
 *   batch it starts -> shadows materialised in host memory (GGTT shadows in
 *   the host-reserved high GGTT, PPGTT shadows in an unused PML4 slot of an
 *   execution copy of the shadow root) -> a gpu_submit ready to execute.
 * A rejected workload never reaches an engine.  Runs with v->lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mediator/med_int.h"

#define EXEC_PTE (GPU_PTE_PRESENT)             /* shadow buffers: read only */
#define EXEC_DIR (GPU_PTE_PRESENT | GPU_PTE_RW) /* directories */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *ename(unsigned e)
{
	return scan_engine_name((enum scan_engine)e);
}

/* ------------------------------------------------------------ rejection */

void medi_wl_reject(struct med_vgpu *v, unsigned e, uint64_t id, unsigned reason, const char *msg)
{
	struct med *m = v->m;
	VCTR(m, v->id, rejected, 1);
	if (reason < MED_RJ_SLOTS)
		ctr_add(m, v->id, CTR_IDX(rejects) + reason, 1);
	medi_vgpu_set_error(v, "%s", msg);
	/* Scanner verdicts (and invalid workaround batches) are what GVT-g
	 * calls an unhealthy guest: failsafe. */
	bool fs = m->on_reject == MED_ON_REJECT_FAILSAFE &&
		  ((reason > MED_RJ_NONE && reason < MED_RJ_MEDIATOR) || reason == MED_RJ_WA_BATCH);
	if (ev_want(m, MED_EV_REJECT)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_REJECT, v, (int)e);
		ev.u.reject.id = id;
		ev.u.reject.reason = reason;
		ev.u.reject.failsafe = fs && v->failsafe == MED_FAILSAFE_NONE;
		ev.text = msg;
		medi_ev_emit(m, &ev);
	}
	if (fs)
		medi_vgpu_enter_failsafe(v, MED_FAILSAFE_GUEST_ERR, msg);
}

/* -------------------------------------------------------------- freeing */

static void buf_release(struct med_vgpu *v, struct shbuf *b)
{
	struct med *m = v->m;
	for (uint32_t i = 0; b->hpa && i < b->pages; i++) {
		if (!b->hpa[i])
			continue;
		if (b->as == SCAN_AS_GGTT)
			medi_host_map_ggtt(m, b->gma + (uint64_t)i * MED_PAGE, 0);
		medi_page_put(v, b->hpa[i]);
	}
	if (b->as == SCAN_AS_GGTT)
		medi_space_free(m, b->gma, b->pages);
	free(b->hpa);
	b->hpa = NULL;
	b->pages = 0;
}

void medi_wl_free(struct med *m, struct med_workload *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < w->nbufs; i++)
		buf_release(w->v, &w->bufs[i]);
	free(w->bufs);
	for (unsigned i = 0; i < w->nexec_pages; i++)
		medi_page_put(w->v, w->exec_pages[i]);
	free(w->exec_pages);
	if (w->root) {
		if (w->root_pinned)
			shadow_ppgtt_unpin(w->root);
		shadow_ppgtt_put(w->root);
	}
	free(w->ro);
	medi_wl_events_free(w);
	free(w);
}

/* -------------------------------------------------------- shadow space */

static int buf_add(struct med_workload *w, uint8_t as, uint64_t gma, uint32_t pages, bool ring)
{
	if (w->nbufs == w->capbufs) {
		unsigned cap = w->capbufs ? 2 * w->capbufs : 8;
		struct shbuf *nb = realloc(w->bufs, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		w->bufs = nb;
		w->capbufs = cap;
	}
	struct shbuf *b = &w->bufs[w->nbufs++];
	memset(b, 0, sizeof(*b));
	b->as = as;
	b->gma = gma;
	b->pages = pages;
	b->ring = ring;
	return 0;
}

/* Chooses where PPGTT shadows go: an unused PML4 entry (4-level, from the
 * top) or an absent PDP (3-level). */
static int ppgtt_slot(struct med_vgpu *v, struct med_workload *w)
{
	if (w->ppgtt_limit)
		return 0;
	if (w->levels == 4) {
		for (int i = 511; i >= 0; i--) {
			uint64_t e = 0;
			if (shadow_guest_read(v->sv, w->pdp[0] + 8ull * (unsigned)i, &e, 8))
				return -EFAULT;
			if (!(e & SHADOW_PTE_PRESENT)) {
				w->ppgtt_base = (uint64_t)i << 39;
				w->ppgtt_limit = w->ppgtt_base + (1ull << 30);
				w->slot = (unsigned)i;
				return 0;
			}
		}
	} else {
		for (int i = 3; i >= 0; i--) {
			if (!w->pdp[i]) {
				w->ppgtt_base = (uint64_t)i << 30;
				w->ppgtt_limit = w->ppgtt_base + (1ull << 30);
				w->slot = (unsigned)i;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

/* The scanner's shadow allocator: GGTT shadows in the mediator's space,
 * PPGTT shadows in the workload's reserved PPGTT slot. */
static int shadow_alloc_cb(void *ctx, enum scan_as as, uint64_t bytes, uint64_t *gma)
{
	struct med_vgpu *v = ctx;
	struct med_workload *w = v->cur_wl;
	if (!w || !bytes || (bytes & (MED_PAGE - 1)))
		return -EINVAL;
	uint32_t pages = (uint32_t)(bytes / MED_PAGE);
	int err;
	if (as == SCAN_AS_GGTT) {
		err = medi_space_alloc(v->m, pages, gma);
		if (err) {
			w->alloc_why = "no room left in the mediator's GGTT shadow space";
			return err;
		}
	} else {
		err = ppgtt_slot(v, w);
		if (err) {
			w->alloc_why = w->levels == 4 ?
				"no unused PML4 entry in the guest's PPGTT for batch shadows" :
				"no absent PDP in the guest's 3-level PPGTT for batch shadows";
			return err;
		}
		if (w->ppgtt_next + bytes > w->ppgtt_limit - w->ppgtt_base) {
			w->alloc_why = "PPGTT shadow slot full";
			return -ENOSPC;
		}
		*gma = w->ppgtt_base + w->ppgtt_next;
		w->ppgtt_next += bytes;
	}
	err = buf_add(w, (uint8_t)as, *gma, pages, false);
	if (err && as == SCAN_AS_GGTT)
		medi_space_free(v->m, *gma, pages);
	return err;
}

/* A zeroed host page for the execution copy of the PPGTT tables. */
static int exec_page(struct med *m, struct med_workload *w, uint64_t *hpa)
{
	if (w->nexec_pages == w->capexec) {
		unsigned cap = w->capexec ? 2 * w->capexec : 8;
		uint64_t *np = realloc(w->exec_pages, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		w->exec_pages = np;
		w->capexec = cap;
	}
	int err = medi_page_get(w->v, true, hpa);
	if (err)
		return err;
	w->exec_pages[w->nexec_pages++] = *hpa;
	return 0;
}

/* Entry `idx` of the table at `table`: the next-level table, created on
 * demand. */
static int exec_next(struct med *m, struct med_workload *w, uint64_t table, unsigned idx,
		     uint64_t *next)
{
	uint64_t *t = gpu_mem_ptr(m->gpu, table);
	if (!t)
		return -EFAULT;
	if (t[idx] & GPU_PTE_PRESENT) {
		*next = t[idx] & GPU_PTE_ADDR_MASK;
		return 0;
	}
	int err = exec_page(m, w, next);
	if (err)
		return err;
	t[idx] = (*next & GPU_PTE_ADDR_MASK) | EXEC_DIR;
	return 0;
}

/* Maps one shadow page at `gma` in the workload's PPGTT slot. */
static int exec_map(struct med *m, struct med_workload *w, uint64_t gma, uint64_t hpa)
{
	uint64_t pd, pt;
	int err;
	if (w->levels == 4) {
		err = exec_next(m, w, w->exec_top, shadow_ppgtt_index(gma, 3), &pd);
	} else {
		pd = w->exec_top;
		err = 0;
	}
	if (!err)
		err = exec_next(m, w, pd, shadow_ppgtt_index(gma, 2), &pt);
	if (err)
		return err;
	uint64_t *t = gpu_mem_ptr(m->gpu, pt);
	if (!t)
		return -EFAULT;
	t[shadow_ppgtt_index(gma, 1)] = (hpa & GPU_PTE_ADDR_MASK) | EXEC_PTE;
	return 0;
}

/* The root the engine walks: the shadow root itself, or (when PPGTT shadows
 * exist) a copy with the reserved slot pointing at the shadows' tables. */
static int exec_root(struct med *m, struct med_workload *w, bool need_slot)
{
	uint64_t sroot[4] = { 0 };
	int err = shadow_ppgtt_shadow_root(w->root, sroot);
	if (err)
		return err;
	w->sub.ppgtt.levels = w->levels;
	memcpy(w->sub.ppgtt.pdp, sroot, sizeof(sroot));
	if (w->levels == 4) {
		w->sub.ppgtt.pdp[1] = w->sub.ppgtt.pdp[2] = w->sub.ppgtt.pdp[3] = 0;
	}
	if (!need_slot)
		return 0;
	if (w->levels == 4) {
		uint64_t pml4, pdp;
		if ((err = exec_page(m, w, &pml4)) || (err = exec_page(m, w, &pdp)))
			return err;
		uint64_t *dst = gpu_mem_ptr(m->gpu, pml4);
		const uint64_t *src = gpu_mem_ptr(m->gpu, sroot[0] & GPU_PTE_ADDR_MASK);
		if (!dst || !src)
			return -EFAULT;
		memcpy(dst, src, MED_PAGE);
		dst[w->slot] = (pdp & GPU_PTE_ADDR_MASK) | EXEC_DIR;
		w->exec_top = pdp;
		w->sub.ppgtt.pdp[0] = pml4;
	} else {
		uint64_t pd;
		if ((err = exec_page(m, w, &pd)))
			return err;
		w->exec_top = pd;
		w->sub.ppgtt.pdp[w->slot] = pd;
	}
	return 0;
}

/* Copies a scanner shadow into host pages and maps them where the GPU
 * model will fetch them. */
static int materialise(struct med *m, struct med_workload *w, struct shbuf *b, const void *data,
		       size_t bytes)
{
	b->hpa = calloc(b->pages, sizeof(uint64_t));
	if (!b->hpa)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->pages; i++) {
		uint64_t hpa;
		size_t off = (size_t)i * MED_PAGE;
		size_t n = off < bytes ? (bytes - off < MED_PAGE ? bytes - off : MED_PAGE) : 0;
		int err = medi_page_get(w->v, false, &hpa);
		if (err)
			return err;
		b->hpa[i] = hpa;
		uint8_t *p = gpu_mem_ptr(m->gpu, hpa);
		if (!p)
			return -EFAULT;
		/* every byte written: the copy, then zeroes past it (a reused
		 * page holds an earlier shadow of this vGPU) */
		memcpy(p, (const char *)data + off, n);
		memset(p + n, 0, MED_PAGE - n);
		uint64_t gma = b->gma + off;
		err = b->as == SCAN_AS_GGTT ? medi_host_map_ggtt(m, gma, hpa) : exec_map(m, w, gma, hpa);
		if (err)
			return err;
	}
	return 0;
}

/* Releases the bufs from index `from` on (scans whose shadows are not run). */
static void bufs_truncate(struct med *m, struct med_workload *w, unsigned from)
{
	for (unsigned i = from; i < w->nbufs; i++)
		buf_release(w->v, &w->bufs[i]);
	if (w->nbufs > from)
		w->nbufs = from;
}

/* ---------------------------------------------------------- scan events */

/* The bytes of shadow i as the GPU will see them: the ring copy up to its
 * commands, a batch shadow whole (zero tail included). */
static uint32_t shadow_len(const struct scan_result *r, unsigned i)
{
	return i == 0 ? r->shadows[0].bytes : r->shadows[i].size;
}


/* ----------------------------------------------------------- the scanner */

static int ensure_scanner(struct med_vgpu *v)
{
	if (v->scan && !v->scan_stale)
		return 0;
	scan_free(v->scan);
	v->scan = NULL;
	struct scan_config c;
	memset(&c, 0, sizeof(c));
	c.sz = sizeof(c);
	c.gen = v->m->gen == 8 ? SCAN_GEN8 : SCAN_GEN9;
	c.policy = v->policy;
	c.part.aperture.base = v->win.aperture_base;
	c.part.aperture.size = v->win.aperture_size;
	c.part.hidden.base = v->win.hidden_base;
	c.part.hidden.size = v->win.hidden_size;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		c.part.hwsp[e] = v->hwsp[e] = medi_vgpu_hwsp(v, e);
	c.shadow_alloc = shadow_alloc_cb;
	c.shadow_alloc_ctx = v;
	int err = scan_new(&c, &v->scan);
	if (!err)
		v->scan_stale = false;
	return err;
}

/* The GGTT status page of an engine: the guest's HWS_PGA when it lies in
 * the vGPU's windows, else the engine's page at the start of the aperture
 * window. */
uint64_t medi_vgpu_hwsp(struct med_vgpu *v, unsigned e)
{
	uint64_t hws = *vreg(v, eng_base(e) + R_HWS_PGA) & ~0xfffull;
	if (hws && shadow_vgpu_gma_valid(v->sv, hws, MED_PAGE))
		return hws;
	return v->win.aperture_base + (uint64_t)e * MED_PAGE;
}

static void emit_scan(struct med_vgpu *v, struct med_workload *w, const struct scan_result *r,
		      uint64_t ns, bool wa)
{
	if (!ev_want(v->m, MED_EV_SCAN))
		return;
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_SCAN, v, (int)w->engine);
	ev.u.scan.id = w->id;
	ev.u.scan.commands = r->commands;
	ev.u.scan.bytes = r->bytes;
	ev.u.scan.scan_ns = ns;
	ev.u.scan.pass = r->pass;
	ev.u.scan.first_reason = r->first_reason;
	ev.u.scan.nviolations = r->nviolations;
	ev.u.scan.nshadows = r->nshadows;
	ev.u.scan.policy = v->policy;
	if (r->nviolations) {
		ev.u.scan.viol_gma = r->violations[0].gma;
		ev.u.scan.viol_value = r->violations[0].value;
		ev.u.scan.viol_offset = r->violations[0].offset;
		ev.text = r->violations[0].message;
	}
	ev.u.scan.npatches = r->npatches;
	ev.u.scan.wa = wa;
	/* The audited shadows themselves, not the guest pages they were copied
	 * from: another vCPU may have changed those since. */
	struct med_blob local[16], *blobs = local;
	if (r->nshadows > 16 && !(blobs = calloc(r->nshadows, sizeof(*blobs)))) {
		blobs = local;
		ev.blobs_dropped = r->nshadows - 16;
	}
	unsigned n = r->nshadows - ev.blobs_dropped;
	for (unsigned i = 0; i < n; i++) {
		const struct scan_shadow *sh = &r->shadows[i];
		blobs[i] = (struct med_blob){
			.kind = MED_BLOB_SHADOW,
			.as = sh->as,
			.len = shadow_len(r, i),
			.addr = sh->gma,
			.gpa = UINT64_MAX,
			.data = sh->data,
		};
	}
	ev.blobs = blobs;
	ev.nblobs = n;
	medi_ev_emit(v->m, &ev);
	if (blobs != local)
		free(blobs);
}

/* Runs one scan (ring or WA batch) with timing, counters and the event. */
static int run_scan(struct med_vgpu *v, struct med_workload *w, const struct scan_mem *mem,
		    const struct scan_ring *ring, uint64_t batch, const struct scan_result **res)
{
	struct med *m = v->m;
	uint64_t t0 = mono_ns();
	int err = ring ? scan_ring(v->scan, (enum scan_engine)w->engine, mem, ring, res)
		       : scan_batch(v->scan, (enum scan_engine)w->engine, mem, batch, SCAN_AS_GGTT,
				    res);
	uint64_t ns = mono_ns() - t0;
	VCTR(m, v->id, scan_ns, ns);
	ctr_max(m, v->id, CTR_IDX(scan_ns_max), ns);
	if (err)
		return err;
	VCTR(m, v->id, commands_scanned, (*res)->commands);
	VCTR(m, v->id, bytes_scanned, (*res)->bytes);
	emit_scan(v, w, *res, ns, !ring);
	return 0;
}

/* -------------------------------------------------------------- creation */

static int reject(struct med_vgpu *v, struct med_workload *w, unsigned reason, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static int reject(struct med_vgpu *v, struct med_workload *w, unsigned reason, const char *fmt,
		  ...)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s workload %llu (context 0x%llx): ", ename(w->engine),
			 (unsigned long long)w->id, (unsigned long long)w->desc);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	medi_wl_reject(v, w->engine, w->id, reason, msg);
	return -EPERM;
}

static unsigned context_pages(const struct med *m, unsigned e)
{
	if (e == SCAN_RCS)
		return m->gen == 8 ? 20 : 22;
	return 2;
}

static void emit_workload(struct med_vgpu *v, struct med_workload *w, const uint32_t *ctx)
{
	if (!ev_want(v->m, MED_EV_WORKLOAD))
		return;
	struct med_blob blob = {
		.kind = MED_BLOB_CONTEXT,
		.as = SCAN_AS_GGTT,
		.addr = w->lrca + MED_PAGE,
		.data = ctx,
		.len = MED_PAGE,
	};
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_WORKLOAD, v, (int)w->engine);
	ev.u.workload.id = w->id;
	ev.u.workload.desc = w->desc;
	ev.u.workload.ring_start = w->ring_start;
	ev.u.workload.ring_size = w->ring_size;
	ev.u.workload.head = w->head;
	ev.u.workload.tail = w->tail;
	ev.u.workload.ring_ctl = w->ring_ctl;
	ev.u.workload.ctx_ctrl = w->ctx_ctrl;
	ev.u.workload.levels = w->levels;
	memcpy(ev.u.workload.pdp, w->pdp, sizeof(w->pdp));
	ev.blobs = &blob;
	ev.nblobs = 1;
	medi_ev_emit(v->m, &ev);
}

/* Reads and validates the context image; fills the ring and PPGTT fields. */
static int read_context(struct med_vgpu *v, struct med_workload *w, const struct med_workload *prev,
			uint32_t ctx[1024])
{
	struct med *m = v->m;
	unsigned e = w->engine;
	uint64_t desc = w->desc;
	if (!(desc & (1ull << 8)))
		return reject(v, w, MED_RJ_BAD_DESC,
			      "not a PPGTT context (privilege-access bit 8 clear): GGTT "
			      "contexts are not accepted from guests");
	unsigned mode = (unsigned)(desc >> 3) & 3;
	if (mode == 3)
		w->levels = 4;
	else if (mode == 1)
		w->levels = 3;
	else
		return reject(v, w, MED_RJ_BAD_DESC,
			      "addressing mode %u unsupported (1 = legacy 32-bit, 3 = legacy "
			      "64-bit)",
			      mode);
	w->lrca = desc & 0xfffff000ull;
	w->ctx_id = (uint32_t)(desc >> 32);
	unsigned pages = context_pages(m, e);
	if (!w->lrca || !shadow_vgpu_gma_valid(v->sv, w->lrca, (uint64_t)pages * MED_PAGE))
		return reject(v, w, MED_RJ_BAD_CONTEXT,
			      "context image [0x%llx, +%u pages) is not inside one of the "
			      "vGPU's windows",
			      (unsigned long long)w->lrca, pages);
	struct shadow_xlate x;
	int err = shadow_ggtt_translate(v->sv, w->lrca + MED_PAGE, &x);
	const void *page = err ? NULL : gpu_mem_ptr(m->gpu, x.hpa & ~0xfffull);
	if (!page)
		return reject(v, w, MED_RJ_BAD_CONTEXT,
			      "ring context page at 0x%llx is not mapped in the GGTT",
			      (unsigned long long)(w->lrca + MED_PAGE));
	w->ctx_hpa = x.hpa & ~0xfffull;
	memcpy(ctx, page, MED_PAGE); /* one fetch; every decision on the copy */

	w->ctx_ctrl = ctx[CTX_CONTEXT_CONTROL];
	w->head_raw = ctx[CTX_RING_HEAD];
	w->head = w->head_raw & RB_HEAD_OFF_MASK;
	w->tail = ctx[CTX_RING_TAIL] & RB_TAIL_OFF_MASK;
	w->ring_start = ctx[CTX_RB_START] & 0xfffff000u;
	w->ring_ctl = ctx[CTX_RB_CTRL];
	w->ring_size = (w->ring_ctl & RB_CTL_SIZE_MASK) + MED_PAGE;
	for (unsigned i = 0; i < 4; i++)
		w->pdp[i] = ((uint64_t)ctx[CTX_PDP_UDW(i)] << 32) | ctx[CTX_PDP_LDW(i)];
	if (w->levels == 4)
		w->pdp[1] = w->pdp[2] = w->pdp[3] = 0;

	/* A context resubmitted while its previous workload is queued: the
	 * image's head is stale until that completes (GVT-g does the same). */
	if (prev && prev->lrca == w->lrca)
		w->head = prev->tail;
	else if (v->csb[e].outstanding && v->last_lrca[e] == w->lrca)
		w->head = v->last_tail[e];
	emit_workload(v, w, ctx);

	if (!(w->ring_ctl & RB_CTL_VALID))
		return reject(v, w, MED_RJ_BAD_RING, "ring control 0x%08x: ring not valid (bit 0)",
			      w->ring_ctl);
	if (!w->ring_start ||
	    !shadow_vgpu_gma_valid(v->sv, w->ring_start, w->ring_size))
		return reject(v, w, MED_RJ_BAD_RING,
			      "ring [0x%llx, +0x%x) is not inside one of the vGPU's windows",
			      (unsigned long long)w->ring_start, w->ring_size);
	if (w->head >= w->ring_size || w->tail >= w->ring_size)
		return reject(v, w, MED_RJ_BAD_RING, "head 0x%x / tail 0x%x outside the 0x%x-byte ring",
			      w->head, w->tail, w->ring_size);
	uint64_t gsize = shadow_gmem_size(v->sv);
	unsigned n = w->levels == 4 ? 1 : 4;
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		if (!w->pdp[i])
			continue;
		any = true;
		if ((w->pdp[i] & 0xfff) || w->pdp[i] >= gsize)
			return reject(v, w, MED_RJ_PPGTT,
				      "PDP%u 0x%llx is not a page-aligned guest-physical address "
				      "inside guest memory",
				      i, (unsigned long long)w->pdp[i]);
	}
	if (!any)
		return reject(v, w, MED_RJ_PPGTT, "no PPGTT root pointer is present");
	return 0;
}

/* Indirect-context and per-context batches (RCS): scanned like batches;
 * the GPU model does not run context restores, so they are not executed. */
static int check_wa(struct med_vgpu *v, struct med_workload *w, const uint32_t *ctx,
		    const struct scan_mem *mem)
{
	uint64_t addrs[2];
	unsigned n = 0;
	uint32_t per_ctx = ctx[CTX_BB_PER_CTX_PTR];
	uint32_t indirect = ctx[CTX_INDIRECT_CTX];
	if (per_ctx & 1)
		addrs[n++] = per_ctx & 0xfffff000u;
	if (indirect & 0x3f)
		addrs[n++] = indirect & 0xffffffc0u;
	for (unsigned i = 0; i < n; i++) {
		unsigned mark = w->nbufs;
		const struct scan_result *r;
		int err = run_scan(v, w, mem, NULL, addrs[i], &r);
		bufs_truncate(v->m, w, mark);
		if (err)
			return reject(v, w, MED_RJ_RESOURCES, "workaround batch at 0x%llx could not be scanned (%d)",
				      (unsigned long long)addrs[i], err);
		if (!r->pass)
			return reject(v, w, MED_RJ_WA_BATCH, "workaround batch at 0x%llx: %s",
				      (unsigned long long)addrs[i],
				      r->nviolations ? r->violations[0].message : "rejected");
	}
	return 0;
}

/* Builds the GPU submission from a passing scan. */
static int build_exec(struct med_vgpu *v, struct med_workload *w, const struct scan_result *r)
{
	struct med *m = v->m;
	bool need_slot = false;
	for (unsigned i = 1; i < r->nshadows; i++)
		if (r->shadows[i].as == SCAN_AS_PPGTT)
			need_slot = true;
	int err = exec_root(m, w, need_slot);
	if (err)
		return err;

	/* The ring: the scanner's linear head..tail copy, placed in a ring of
	 * its own with room for the tail (head 0, tail = bytes). */
	const struct scan_shadow *rs = &r->shadows[0];
	uint32_t bytes = rs->bytes;
	uint32_t rsize = (bytes + 4 + MED_PAGE - 1) & ~(MED_PAGE - 1);
	if (rsize > (2u << 20))
		return -E2BIG;
	uint64_t rgma;
	err = medi_space_alloc(m, rsize / MED_PAGE, &rgma);
	if (err)
		return err;
	err = buf_add(w, SCAN_AS_GGTT, rgma, rsize / MED_PAGE, true);
	if (err) {
		medi_space_free(m, rgma, rsize / MED_PAGE);
		return err;
	}
	err = materialise(m, w, &w->bufs[w->nbufs - 1], rs->data, bytes);
	if (err)
		return err;
	medi_wl_note_shadow(w, 0, w->nbufs - 1, bytes);
	w->ring_gma = rgma;
	w->exec_tail = bytes;

	/* Every other shadow at the address the scanner relocated to. */
	for (unsigned i = 1; i < r->nshadows; i++) {
		const struct scan_shadow *s = &r->shadows[i];
		struct shbuf *b = NULL;
		for (unsigned k = 0; k < w->nbufs; k++)
			if (!w->bufs[k].hpa && !w->bufs[k].ring && w->bufs[k].as == s->as &&
			    w->bufs[k].gma == s->shadow_gma)
				b = &w->bufs[k];
		if (!b)
			return -ENOENT;
		err = materialise(m, w, b, s->data, s->size);
		if (err)
			return err;
		medi_wl_note_shadow(w, i, (unsigned)(b - w->bufs), s->size);
	}
	/* The scanner's own allocation for the ring copy is not used. */
	for (unsigned k = 0; k < w->nbufs; k++) {
		struct shbuf *b = &w->bufs[k];
		if (!b->hpa && !b->ring)
			buf_release(v, b);
	}

	w->ro = calloc(w->nbufs ? w->nbufs : 1, sizeof(*w->ro));
	if (!w->ro)
		return -ENOMEM;
	w->n_ro = 0;
	for (unsigned k = 0; k < w->nbufs; k++) {
		if (!w->bufs[k].pages)
			continue;
		w->ro[w->n_ro].gma = w->bufs[k].gma;
		w->ro[w->n_ro].size = (uint64_t)w->bufs[k].pages * MED_PAGE;
		w->ro[w->n_ro].as = w->bufs[k].as == SCAN_AS_GGTT ? GPU_AS_GGTT : GPU_AS_PPGTT;
		w->n_ro++;
	}
	for (unsigned k = 0; k < r->nevents; k++) {
		switch (r->events[k].kind) {
		case SCAN_EV_USER_INTERRUPT:
			w->ev_user++;
			break;
		case SCAN_EV_PIPE_CONTROL_NOTIFY:
		case SCAN_EV_FLUSH_DW_NOTIFY:
			w->ev_notify++;
			break;
		default:
			break;
		}
	}

	struct gpu_submit *s = &w->sub;
	s->sz = sizeof(*s);
	s->vgpu = (gpu_owner_t)v->id;
	s->engine = (enum gpu_engine)w->engine;
	s->ring_start = rgma;
	s->ring_size = rsize;
	s->head = 0;
	s->tail = bytes;
	s->part.aperture_base = v->win.aperture_base;
	s->part.aperture_size = v->win.aperture_size;
	s->part.hidden_base = v->win.hidden_base;
	s->part.hidden_size = v->win.hidden_size;
	s->status_page = v->hwsp[w->engine];
	s->status_page_size = MED_PAGE;
	s->ro = w->ro;
	s->n_ro = w->n_ro;
	/* Register writes: the GPU model's own register oracle judges them
	 * (gpu_reg_judge), independently of the scanner's allow-list. */
	s->budget = m->exec_budget;
	return 0;
}

int medi_wl_create(struct med_vgpu *v, unsigned e, uint64_t desc, unsigned elem, bool last,
	      const struct med_workload *prev, struct med_workload **out)
{
	struct med *m = v->m;
	struct med_workload *w = calloc(1, sizeof(*w));
	if (!w) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s submission: out of memory", ename(e));
		medi_wl_reject(v, e, 0, MED_RJ_RESOURCES, msg);
		return -ENOMEM;
	}
	w->v = v;
	w->id = atomic_fetch_add(&m->next_wl_id, 1) + 1;
	w->engine = e;
	w->elem = elem;
	w->last = last;
	w->desc = desc;
	w->gen = v->egen[e];
	VCTR(m, v->id, workloads, 1);

	uint32_t ctx[1024];
	int err = read_context(v, w, prev, ctx);
	if (err)
		goto fail;

	/* PPGTT: pending torn entries first, then the shadow, pinned for the
	 * workload's lifetime. */
	shadow_ppgtt_flush(v->sv);
	err = medi_vgpu_root_get(v, w->levels, w->pdp, &w->root);
	if (!err) {
		err = shadow_ppgtt_pin(w->root);
		w->root_pinned = !err;
	}
	if (err) {
		err = reject(v, w, MED_RJ_PPGTT, "the PPGTT (root 0x%llx) could not be shadowed (%d)",
			     (unsigned long long)w->pdp[0], err);
		goto fail;
	}
	err = ensure_scanner(v);
	if (err) {
		err = reject(v, w, MED_RJ_RESOURCES, "no scanner (%d)", err);
		goto fail;
	}

	struct shadow_scan_view view;
	struct scan_mem mem;
	shadow_scan_mem_init(&view, &mem, v->sv, w->root);
	v->cur_wl = w;
	if (e == SCAN_RCS) {
		err = check_wa(v, w, ctx, &mem);
		if (err)
			goto fail_scan;
	}
	const struct scan_result *r;
	struct scan_ring ring = {
		.start = w->ring_start,
		.size = w->ring_size,
		.head = w->head,
		.tail = w->tail,
	};
	err = run_scan(v, w, &mem, &ring, 0, &r);
	if (err) {
		err = reject(v, w, MED_RJ_RESOURCES, "scan could not run: %s (%d)",
			     w->alloc_why ? w->alloc_why : "scanner error", err);
		goto fail_scan;
	}
	if (!r->pass) {
		const struct scan_violation *vi = r->nviolations ? &r->violations[0] : NULL;
		err = reject(v, w, r->first_reason ? r->first_reason : SCAN_R_UNKNOWN_CMD,
			     "rejected by the scanner (%s policy): %s",
			     scan_policy_name(v->policy),
			     vi ? vi->message : "no violation recorded");
		goto fail_scan;
	}
	err = build_exec(v, w, r);
	if (err) {
		err = reject(v, w, MED_RJ_RESOURCES, "shadows could not be placed for the GPU (%d)",
			     err);
		goto fail_scan;
	}
	v->cur_wl = NULL;
	*out = w;
	return 0;

fail_scan:
	v->cur_wl = NULL;
fail:
	medi_wl_free(m, w);
	return err < 0 ? err : -EPERM;
}
