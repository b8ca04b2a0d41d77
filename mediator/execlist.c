/* SPDX-License-Identifier: MIT */
/*
 * Execlist emulation: the submit port's fourth write submits an execlist
 * of up to two context descriptors; each valid element becomes a workload.
 * Context status events go to the virtual context status buffer (and, when
 * the guest programmed a status page, to its CSB mirror there), each with
 * the engine's context-switch interrupt.  All functions run with v->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mediator/med_int.h"

/* Gen8-10 status page dwords of the CSB mirror (i915's layout). */
#define HWS_CSB_BUF0_INDEX  0x10
#define HWS_CSB_WRITE_INDEX 0x1f

static void hwsp_mirror(struct med_vgpu *v, unsigned e, unsigned idx, uint32_t status,
			uint32_t ctx_id, unsigned wp)
{
	uint64_t hws = *vreg(v, eng_base(e) + R_HWS_PGA) & ~0xfffull;
	if (!hws || !shadow_vgpu_gma_valid(v->sv, hws, MED_PAGE))
		return;
	struct shadow_xlate x;
	if (shadow_ggtt_translate(v->sv, hws, &x))
		return;
	uint8_t *page = gpu_mem_ptr(v->m->gpu, x.hpa & ~0xfffull);
	if (!page)
		return;
	uint32_t entry[2] = { status, ctx_id };
	uint32_t off = 4 * (HWS_CSB_BUF0_INDEX + 2 * idx);
	memcpy(page + off, entry, sizeof(entry));
	uint32_t w = wp;
	memcpy(page + 4 * HWS_CSB_WRITE_INDEX, &w, sizeof(w));
	uint64_t gpa = x.gpa & ~0xfffull;
	medi_ev_mem_write(v, MED_MEM_CSB, gpa + off, page + off, sizeof(entry), 0);
	medi_ev_mem_write(v, MED_MEM_CSB, gpa + 4 * HWS_CSB_WRITE_INDEX, page + 4 * HWS_CSB_WRITE_INDEX,
			  sizeof(w), 0);
}

void medi_csb_append(struct med_vgpu *v, unsigned e, uint32_t status, uint32_t ctx_id)
{
	uint32_t base = eng_base(e);
	uint32_t ptr = *vreg(v, base + R_CSB_PTR);
	unsigned wp = ptr & 7;
	wp = wp >= MED_CSB_ENTRIES ? 0 : (wp + 1) % MED_CSB_ENTRIES;
	*vreg(v, base + R_CSB + 8 * wp) = status;
	*vreg(v, base + R_CSB + 8 * wp + 4) = ctx_id;
	ptr = (ptr & ~7u) | wp;
	*vreg(v, base + R_CSB_PTR) = ptr;
	hwsp_mirror(v, e, wp, status, ctx_id, wp);
	VCTR(v->m, v->id, csb_events, 1);
	if (ev_want(v->m, MED_EV_CSB)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_CSB, v, (int)e);
		ev.u.csb.status = status;
		ev.u.csb.ctx_id = ctx_id;
		ev.u.csb.index = wp;
		ev.u.csb.csb_ptr = ptr;
		medi_ev_emit(v->m, &ev);
	}
	medi_irq_engine(v, e, IRQ_CTX_SWITCH);
}

void medi_execlist_reset(struct med_vgpu *v, unsigned mask)
{
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		if (!(mask & (1u << e)))
			continue;
		uint32_t base = eng_base(e);
		v->elsp_n[e] = 0;
		memset(v->elsp[e], 0, sizeof(v->elsp[e]));
		v->csb[e].outstanding = 0;
		v->last_lrca[e] = 0;
		v->last_tail[e] = 0;
		for (unsigned i = 0; i < 2 * MED_CSB_ENTRIES; i++)
			*vreg(v, base + R_CSB + 4 * i) = 0;
		*vreg(v, base + R_CSB_PTR) = 0x0707;
	}
}

void medi_elsp_submit(struct med_vgpu *v, unsigned e)
{
	struct med *m = v->m;
	/* Written high-before-low, element 1 before element 0, stored in
	 * reverse: [0] = desc0 low, [1] = desc0 high, [2..3] = desc1. */
	uint64_t desc[2] = {
		((uint64_t)v->elsp[e][1] << 32) | v->elsp[e][0],
		((uint64_t)v->elsp[e][3] << 32) | v->elsp[e][2],
	};
	VCTR(m, v->id, submissions, 1);
	if (ev_want(m, MED_EV_SUBMIT)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_SUBMIT, v, (int)e);
		ev.u.submit.desc[0] = desc[0];
		ev.u.submit.desc[1] = desc[1];
		medi_ev_emit(m, &ev);
	}
	if (v->failsafe != MED_FAILSAFE_NONE) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "%s submission of context 0x%llx dropped: the vGPU is in failsafe (%s)",
			 scan_engine_name((enum scan_engine)e), (unsigned long long)desc[0],
			 med_failsafe_name(v->failsafe));
		medi_wl_reject(v, e, 0, MED_RJ_FAILSAFE, msg);
		return;
	}
	if (!(desc[0] & 1)) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "%s submission: element 0 descriptor 0x%llx is not valid (bit 0 clear)",
			 scan_engine_name((enum scan_engine)e), (unsigned long long)desc[0]);
		medi_wl_reject(v, e, 0, MED_RJ_BAD_DESC, msg);
		return;
	}
	unsigned n = (desc[1] & 1) ? 2 : 1;
	struct med_workload *w[2] = { NULL, NULL };
	for (unsigned i = 0; i < n; i++) {
		int err = medi_wl_create(v, e, desc[i], i, i + 1 == n, i ? w[0] : NULL, &w[i]);
		if (err) {
			for (unsigned k = 0; k < i; k++)
				medi_wl_free(m, w[k]);
			return; /* medi_wl_create reported the rejection */
		}
	}
	bool was_idle = v->csb[e].outstanding == 0;
	int err = medi_sched_queue(m, w, n);
	if (err) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "%s submission of context 0x%llx: queue full (%u workloads per engine)",
			 scan_engine_name((enum scan_engine)e), (unsigned long long)desc[0],
			 m->max_queued);
		for (unsigned k = 0; k < n; k++) {
			medi_wl_reject(v, e, w[k]->id, MED_RJ_RESOURCES, msg);
			medi_wl_free(m, w[k]);
		}
		return;
	}
	v->csb[e].outstanding += n;
	v->last_lrca[e] = w[n - 1]->lrca;
	v->last_tail[e] = w[n - 1]->tail;
	if (was_idle)
		medi_csb_append(v, e, CSB_IDLE_TO_ACTIVE, w[0]->ctx_id);
}

/* Completion as the guest sees it: the ring head written back into the
 * context image (with the wrap count), the ring registers, the interrupts
 * the workload raised, then the context status event.  A workload that did
 * not run to its tail gives the guest nothing (it sees a hang, as with
 * GVT-g); one from before an engine reset is ignored. */
void medi_wl_complete_guest(struct med *m, struct med_workload *w)
{
	struct med_vgpu *v = w->v;
	unsigned e = w->engine;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying) || w->gen != v->egen[e]) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	if (v->csb[e].outstanding)
		v->csb[e].outstanding--;
	if (!v->csb[e].outstanding)
		v->last_lrca[e] = 0;
	const struct gpu_completion *c = &w->comp;
	if (w->exec_err || c->status != GPU_DONE) {
		pthread_mutex_unlock(&v->lock);
		return;
	}

	/* The context image may have been remapped since: translate again. */
	uint32_t head = w->tail;
	struct shadow_xlate x;
	uint32_t *ctx = NULL;
	if (!shadow_ggtt_translate(v->sv, w->lrca + MED_PAGE, &x))
		ctx = gpu_mem_ptr(m->gpu, x.hpa & ~0xfffull);
	if (ctx) {
		uint32_t cur = __atomic_load_n(&ctx[CTX_RING_HEAD], __ATOMIC_RELAXED);
		uint32_t wrap = cur >> RB_HEAD_WRAP_SHIFT;
		if (w->tail < w->head)
			wrap++;
		uint32_t nh = (wrap << RB_HEAD_WRAP_SHIFT) | (head & RB_HEAD_OFF_MASK);
		__atomic_store_n(&ctx[CTX_RING_HEAD], nh, __ATOMIC_RELAXED);
		uint32_t ts = __atomic_load_n(&ctx[CTX_TIMESTAMP], __ATOMIC_RELAXED);
		__atomic_store_n(&ctx[CTX_TIMESTAMP], ts + (uint32_t)c->cycles, __ATOMIC_RELAXED);
		head = nh;
		uint64_t gpa = x.gpa & ~0xfffull;
		medi_ev_mem_write(v, MED_MEM_CONTEXT, gpa + 4 * CTX_RING_HEAD, &nh, 4, 0);
		uint32_t nts = ts + (uint32_t)c->cycles;
		medi_ev_mem_write(v, MED_MEM_CONTEXT, gpa + 4 * CTX_TIMESTAMP, &nts, 4, 0);
	}
	uint32_t base = eng_base(e);
	*vreg(v, base + R_RING_HEAD) = head;
	*vreg(v, base + R_RING_TAIL) = w->tail;
	*vreg(v, base + R_RING_START) = (uint32_t)w->ring_start;
	*vreg(v, base + R_RING_CTL) = w->ring_ctl;

	if (c->user_interrupts || w->ev_user)
		medi_irq_engine(v, e, IRQ_USER);
	if (c->pipe_notifies || c->flush_notifies || w->ev_notify)
		medi_irq_engine(v, e, IRQ_NOTIFY);
	uint32_t status = CSB_COMPLETE |
			  (v->csb[e].outstanding ? CSB_ELEMENT_SWITCH : CSB_ACTIVE_TO_IDLE);
	medi_csb_append(v, e, status, w->ctx_id);
	pthread_mutex_unlock(&v->lock);
}
