/* SPDX-License-Identifier: MIT */
/*
 * Mediator end to end, without a guest model: contexts, rings and batches
 * built by hand in guest memory (written as guest CPU writes and trapped
 * GGTT writes), submitted through trapped MMIO only, executed by the GPU
 * model; completion, context status events and interrupts observed.
 */
#include <unistd.h>

#include "tests/test_mediator_util.h"

#define PP_BATCH 0x40000000ull /* PPGTT address of batches */
#define PP_DATA  0x50000000ull /* PPGTT address of a data page */

struct fx {
	struct rec rec;
	struct med *m;
	struct med_vgpu *v;
	struct guest g;
};

/* One MANUAL mediator for the group; a fresh vGPU and guest per test. */
static struct fx group;

static int group_setup(void **state)
{
	(void)state;
	rec_init(&group.rec);
	group.m = mk_med(MED_DISPATCH_MANUAL, &group.rec, SCAN_POLICY_STRICT);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	med_free(group.m);
	rec_fini(&group.rec);
	return 0;
}

static int setup_manual(void **state)
{
	struct fx *f = &group;
	f->v = mk_vgpu(f->m, MED_VGPU_TYPE_8);
	guest_init(&f->g, f->m, f->v);
	rec_reset(&f->rec);
	gpu_escape_clear(med_gpu(f->m));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	assert_int_equal(med_wait_idle(f->m, 1000), 0);
	med_vgpu_destroy(f->v);
	f->v = NULL;
	return 0;
}

/* A batch at PP_BATCH + 4 KiB * slot that stores `value` at PP_DATA + 4 * slot. */
static void sdi_batch(struct guest *g, unsigned slot, uint32_t value, bool user_irq)
{
	uint64_t gma = PP_BATCH + 4096ull * slot;
	uint64_t gpa = guest_ppgtt_alloc(g, gma, 1);
	uint64_t dst = PP_DATA + 4ull * slot;
	uint32_t b[8];
	unsigned n = 0;
	b[n++] = MI_SDI_PPGTT;
	b[n++] = (uint32_t)dst;
	b[n++] = (uint32_t)(dst >> 32);
	b[n++] = value;
	if (user_irq)
		b[n++] = MI_USER_INTERRUPT;
	b[n++] = MI_BATCH_BUFFER_END;
	guest_write(g, gpa, b, 4 * n);
}

static void ring_start_batch(struct guest *g, struct gctx *c, unsigned slot)
{
	uint64_t gma = PP_BATCH + 4096ull * slot;
	uint32_t r[3] = { MI_BB_START_PPGTT, (uint32_t)gma, (uint32_t)(gma >> 32) };
	guest_ring_emit(g, c, r, 3);
}

static void test_sdi_from_a_ppgtt_batch_lands_in_the_guest_page(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data_gpa = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 0xcafe0001u, false);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 0x42, 1);
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	assert_int_equal(rec_count(&f->rec, MED_EV_REJECT), 0);
	/* queued, not run: MANUAL dispatch */
	assert_int_equal(guest_read32(g, data_gpa), 0);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data_gpa), 0xcafe0001u);

	const struct rec_ev *e = rec_find(&f->rec, MED_EV_COMPLETE, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->ev.u.exec.status, GPU_DONE);
	assert_int_equal(e->ev.u.exec.escapes, 0);
	/* the guest context's head caught up with its tail */
	assert_int_equal(ctx_get(g, &c, 0x05) & 0x1ffffc, c.tail);
	/* CSB: idle-to-active, then complete + active-to-idle, context id 0x42 */
	assert_int_equal(guest_csb_wp(g, SCAN_RCS), 1);
	assert_int_equal(guest_csb_status(g, SCAN_RCS, 0), 0x1);
	assert_int_equal(guest_csb_status(g, SCAN_RCS, 1), 0x18);
	assert_int_equal(rd32(f->v, 0x2000 + 0x370 + 8 + 4), 0x42);
	/* context-switch interrupt in GT IIR0, delivered */
	assert_true(rd32(f->v, 0x44308) & (1u << 8));
	assert_true(rec_count(&f->rec, MED_EV_IRQ) >= 1);
	assert_true(rd32(f->v, 0x44200) & 1u);
	/* counters */
	struct med_counters cn = { .sz = sizeof(cn) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &cn), 0);
	assert_int_equal(cn.submissions, 1);
	assert_int_equal(cn.workloads, 1);
	assert_int_equal(cn.completed, 1);
	assert_int_equal(cn.rejected, 0);
	assert_true(cn.commands_scanned >= 3);
	assert_true(cn.busy_cycles > 0);
	assert_int_equal(cn.busy_cycles_engine[SCAN_RCS], cn.busy_cycles);
	struct med_engine_counters ec = { .sz = sizeof(ec) };
	assert_int_equal(med_counters_engine(f->m, SCAN_RCS, &ec), 0);
	assert_int_equal(ec.completed, 1);
	/* the scan event carries the guest pages the scanner read */
	const struct rec_ev *s = rec_find(&f->rec, MED_EV_SCAN, 0, 0);
	assert_non_null(s);
	assert_int_equal(s->ev.u.scan.pass, 1);
	assert_true(s->nblobs >= 2); /* ring page and batch page */
	const struct rec_ev *w = rec_find(&f->rec, MED_EV_WORKLOAD, 0, 0);
	assert_non_null(w);
	assert_int_equal(w->nblobs, 1);
	assert_true(w->ev.u.workload.ring_start == c.ring);
	assert_true(w->ev.u.workload.pdp[0] == g->pml4);
	assert_true(med_clock(f->m) > 0);
}

static void test_sdi_to_the_aperture_from_the_ring(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t gpa;
	uint64_t gma = guest_ap_alloc(g, 1, &gpa);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_BCS, 7, 1);
	uint32_t r[4] = { MI_SDI_GGTT, (uint32_t)gma + 8, (uint32_t)(gma >> 32), 0x5a5a5a5au };
	guest_ring_emit(g, &c, r, 4);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, gpa + 8), 0x5a5a5a5au);
	assert_int_equal(guest_csb_status(g, SCAN_BCS, 1), 0x18);
	assert_true(rd32(f->v, 0x44308) & (1u << 24)); /* BCS context switch: bit 8 + 16 */
}

static void test_user_interrupt_reaches_the_guest(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 1, true);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 1, 1);
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_true(rd32(f->v, 0x44308) & 1u); /* RCS user interrupt */
}

static void test_two_elements_report_an_element_switch(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 10, false);
	sdi_batch(g, 1, 11, false);
	struct gctx a, b;
	guest_ctx_init(g, &a, SCAN_RCS, 0xa, 1);
	guest_ctx_init(g, &b, SCAN_RCS, 0xb, 1);
	ring_start_batch(g, &a, 0);
	ring_start_batch(g, &b, 1);
	guest_submit2(g, &a, &b);
	assert_int_equal(med_run(f->m, 0), 2);
	assert_int_equal(guest_read32(g, data), 10);
	assert_int_equal(guest_read32(g, data + 4), 11);
	assert_int_equal(guest_csb_wp(g, SCAN_RCS), 2);
	assert_int_equal(guest_csb_status(g, SCAN_RCS, 0), 0x01);
	assert_int_equal(guest_csb_status(g, SCAN_RCS, 1), 0x14); /* complete + element switch */
	assert_int_equal(rd32(f->v, 0x2000 + 0x370 + 8 + 4), 0xa);
	assert_int_equal(guest_csb_status(g, SCAN_RCS, 2), 0x18); /* complete + active to idle */
	assert_int_equal(rd32(f->v, 0x2000 + 0x370 + 16 + 4), 0xb);
}

static void test_resubmitted_context_continues_from_the_queued_tail(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 20, false);
	sdi_batch(g, 1, 21, false);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 3, 1);
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	/* before the first completes, the same context again with a new tail */
	ring_start_batch(g, &c, 1);
	guest_submit(g, &c);
	const struct rec_ev *w1 = rec_find(&f->rec, MED_EV_WORKLOAD, 0, 1);
	assert_non_null(w1);
	assert_int_equal(w1->ev.u.workload.head, 16); /* not the stale 0 in the image */
	assert_int_equal(med_run(f->m, 0), 2);
	assert_int_equal(guest_read32(g, data), 20);
	assert_int_equal(guest_read32(g, data + 4), 21);
	struct med_counters cn = { .sz = sizeof(cn) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &cn), 0);
	assert_int_equal(cn.completed, 2);
	assert_true(cn.commands_executed >= 2 * 3); /* BB_START, SDI, BB_END at least */
}

static void test_ring_wraps(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 0x77, false);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 3, 1);
	/* move head and tail near the end of the 4 KiB ring */
	c.tail = 4096 - 8;
	ctx_put(g, &c, 0x05, 0x2034, c.tail);
	ring_start_batch(g, &c, 0); /* 16 bytes: wraps */
	assert_int_equal(c.tail, 8);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data), 0x77);
	uint32_t head = ctx_get(g, &c, 0x05);
	assert_int_equal(head & 0x1ffffc, 8);
	assert_int_equal(head >> 21, 1); /* the wrap count went up */
}

static void test_rejected_workload_never_runs_and_enters_failsafe(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 0x99, false);
	/* the batch also writes the master interrupt register */
	uint64_t gpa = guest_ppgtt_alloc(g, PP_BATCH + 0x10000, 1);
	uint32_t b[] = { MI_LRI_1, 0x44200, 0, MI_BATCH_BUFFER_END };
	guest_write(g, gpa, b, sizeof(b));
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 9, 1);
	uint32_t r[6] = { MI_BB_START_PPGTT, (uint32_t)(PP_BATCH + 0x10000), 0, MI_NOOP };
	guest_ring_emit(g, &c, r, 3);
	guest_submit(g, &c);
	const struct rec_ev *rj = rec_find(&f->rec, MED_EV_REJECT, 0, 0);
	assert_non_null(rj);
	assert_true(rj->ev.u.reject.reason > 0 && rj->ev.u.reject.reason < MED_RJ_MEDIATOR);
	assert_int_equal(rj->ev.u.reject.failsafe, 1);
	assert_non_null(strstr(rj->text, "0x44200"));
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_GUEST_ERR);
	assert_int_equal(med_run(f->m, 0), 0);
	assert_int_equal(rec_count(&f->rec, MED_EV_DISPATCH), 0);
	/* the guest sees no completion */
	assert_int_equal(guest_csb_wp(g, SCAN_RCS), 7);
	/* later submissions are dropped while in failsafe */
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 0);
	assert_int_equal(guest_read32(g, data), 0);
	struct med_counters cn = { .sz = sizeof(cn) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &cn), 0);
	assert_int_equal(cn.rejected, 2);
	assert_int_equal(cn.rejects[MED_RJ_FAILSAFE], 1);
	assert_int_equal(cn.rejects[rj->ev.u.reject.reason], 1);
	char msg[256];
	med_vgpu_last_error(f->v, msg, sizeof(msg));
	assert_non_null(strstr(msg, "failsafe"));
}

static void test_bad_ring_is_rejected_without_failsafe(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 1, 1);
	ctx_put(g, &c, 0x09, 0x2038, 0x1000); /* ring start outside the windows */
	uint32_t r[2] = { MI_NOOP, MI_NOOP };
	guest_ring_emit(g, &c, r, 2);
	guest_submit(g, &c);
	const struct rec_ev *rj = rec_find(&f->rec, MED_EV_REJECT, 0, 0);
	assert_non_null(rj);
	assert_int_equal(rj->ev.u.reject.reason, MED_RJ_BAD_RING);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
}

static void test_drop_policy_keeps_the_vgpu_usable(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct med_opts o = { .sz = sizeof(o), .dispatch = MED_DISPATCH_MANUAL,
			      .on_reject = MED_ON_REJECT_DROP, .event = rec_hook, .event_ctx = &rec };
	struct med *m = NULL;
	assert_int_equal(med_new(&o, &m), 0);
	struct med_vgpu *v = mk_vgpu(m, MED_VGPU_TYPE_8);
	struct guest g;
	guest_init(&g, m, v);
	uint64_t data = guest_ppgtt_alloc(&g, PP_DATA, 1);
	sdi_batch(&g, 0, 0x31, false);
	struct gctx c;
	guest_ctx_init(&g, &c, SCAN_RCS, 1, 1);
	uint32_t bad[3] = { MI_LRI_1, 0x44200, 0 };
	guest_ring_emit(&g, &c, bad, 3);
	guest_submit(&g, &c);
	assert_int_equal(rec_count(&rec, MED_EV_REJECT), 1);
	/* the guest rewinds past the rejected commands and carries on */
	ctx_put(&g, &c, 0x05, 0x2034, c.tail);
	ring_start_batch(&g, &c, 0);
	guest_submit(&g, &c);
	assert_int_equal(med_run(m, 0), 1);
	assert_int_equal(guest_read32(&g, data), 0x31);
	med_free(m);
	rec_fini(&rec);
}

static void test_batch_rewritten_after_submission_runs_the_scanned_copy(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 0x1234, false);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 1, 1);
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	/* after the scan, the guest swaps in a forbidden write (double fetch) */
	uint32_t evil[] = { MI_LRI_1, 0x44200, 0, MI_BATCH_BUFFER_END };
	uint64_t pte = 0;
	/* find the batch's frame through the guest's own tables */
	uint64_t t = g->pml4;
	for (unsigned level = 4; level >= 1; level--) {
		unsigned idx = (unsigned)(PP_BATCH >> (12 + 9 * (level - 1))) & 511;
		pte = guest_rd64(g, t + 8ull * idx);
		t = pte & 0x00003ffffffff000ull;
	}
	guest_write(g, t, evil, sizeof(evil));
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data), 0x1234);
	assert_int_equal(rec_count(&f->rec, MED_EV_ESCAPE), 0);
}

/* Shadow pages come back to the vGPU's cache and serve its next workloads:
 * the GPU model's page count stops growing, and a short batch placed in a
 * page that held a long one runs its own copy only. */
static void test_shadow_pages_are_reused_between_workloads(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	struct gpu *gpu = med_gpu(f->m);
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 7, 1);

	/* a batch filling most of its page: 1000 NOOPs, then an SDI */
	uint64_t gpa = guest_ppgtt_alloc(g, PP_BATCH, 1);
	uint32_t big[1005] = { 0 };
	big[1000] = MI_SDI_PPGTT;
	big[1001] = (uint32_t)PP_DATA;
	big[1002] = (uint32_t)(PP_DATA >> 32);
	big[1003] = 0x600d;
	big[1004] = MI_BATCH_BUFFER_END;
	guest_write(g, gpa, big, sizeof(big));
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data), 0x600d);
	/* the short batch, rewritten in place (guest pages stay the same) */
	uint64_t sgpa = guest_ppgtt_alloc(g, PP_BATCH + 4096, 1);
	uint64_t pages = 0;
	for (uint32_t i = 1; i <= 20; i++) {
		uint32_t b[5] = { MI_SDI_PPGTT, (uint32_t)(PP_DATA + 4), (uint32_t)((PP_DATA + 4) >> 32),
				  0x1000 + i, MI_BATCH_BUFFER_END };
		guest_write(g, sgpa, b, sizeof(b));
		ring_start_batch(g, &c, 1);
		guest_submit(g, &c);
		uint64_t built = gpu_mem_pages(gpu); /* the workload's shadows exist */
		assert_int_equal(med_run(f->m, 0), 1);
		assert_int_equal(guest_read32(g, data + 4), 0x1000 + i);
		assert_int_equal(guest_read32(g, data), 0x600d); /* the old batch never ran again */
		/* freed into the cache, not to the GPU model; the next one takes them */
		assert_int_equal(gpu_mem_pages(gpu), built);
		if (i == 1)
			pages = built;
		else
			assert_int_equal(built, pages);
	}
	assert_int_equal(rec_count(&f->rec, MED_EV_REJECT), 0);
	assert_int_equal(rec_count(&f->rec, MED_EV_ESCAPE), 0);
}

static void test_ggtt_batch_from_the_ring_runs_from_its_shadow(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data_gpa, bb_gpa;
	uint64_t data = guest_ap_alloc(g, 1, &data_gpa);
	uint64_t bb = guest_ap_alloc(g, 1, &bb_gpa);
	uint32_t b[] = { MI_SDI_GGTT, (uint32_t)data + 12, 0, 0x4444, MI_BATCH_BUFFER_END, 0 };
	guest_write(g, bb_gpa, b, sizeof(b));
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_BCS, 1, 1);
	uint32_t r[3] = { MI_BB_START_GGTT, (uint32_t)bb, 0 };
	guest_ring_emit(g, &c, r, 3);
	guest_submit(g, &c);
	/* the guest's copy is gone before it runs: the shadow is what executes */
	uint32_t zero[6] = { 0 };
	guest_write(g, bb_gpa, zero, sizeof(zero));
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data_gpa + 12), 0x4444);
	const struct rec_ev *d = rec_find(&f->rec, MED_EV_DISPATCH, 0, 0);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	/* the shadow ring lives outside the vGPU's windows (host reserve) */
	assert_false(d->ev.u.exec.ring_gma >= info.aperture_base &&
		     d->ev.u.exec.ring_gma < info.aperture_base + info.aperture_size);
}

static void test_ggtt_entry_written_as_two_unaligned_halves(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t gma = g->ap_base + 0x100000;
	uint64_t idx = gma >> 12;
	/* an 8-byte write at 4 mod 8: high half of entry idx, low half of idx + 1 */
	assert_int_equal(med_mmio_write(f->v, MED_GGTT_OFFSET + idx * 8, 4, 0x500000 | 1), 0);
	assert_int_equal(med_mmio_write(f->v, MED_GGTT_OFFSET + idx * 8 + 4, 8,
					((uint64_t)(0x501000 | 1) << 32) | 0), 0);
	assert_int_equal(med_mmio_write(f->v, MED_GGTT_OFFSET + idx * 8 + 12, 4, 0), 0);
	uint64_t h0 = 0, h1 = 0;
	struct shadow_xlate x0, x1;
	assert_int_equal(shadow_ggtt_translate(med_vgpu_shadow(f->v), gma, &x0), 0);
	assert_int_equal(shadow_ggtt_translate(med_vgpu_shadow(f->v), gma + 4096, &x1), 0);
	assert_true(x0.gpa == 0x500000 && x1.gpa == 0x501000);
	assert_int_equal(gpu_ggtt_translate(med_gpu(f->m), gma, &h0), 0);
	assert_int_equal(gpu_ggtt_translate(med_gpu(f->m), gma + 4096, &h1), 0);
	assert_true(h0 == x0.hpa && h1 == x1.hpa);
}

/* A legacy 32-bit (3-level) context: four PDPs in the context image. */
static void test_three_level_ppgtt_context(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t pd[3];
	for (int i = 0; i < 3; i++)
		pd[i] = guest_frames(g, 1); /* PDP3 stays absent */
	const uint64_t batch = 0x00400000ull, dst = 0x80001000ull;
	uint64_t gmas[2] = { batch, dst }, gpas[2];
	for (int k = 0; k < 2; k++) {
		gpas[k] = guest_frames(g, 1);
		uint64_t pt = guest_frames(g, 1);
		uint64_t pde = pt | PTE_P | PTE_RW;
		guest_write(g, pd[gmas[k] >> 30] + 8 * ((gmas[k] >> 21) & 511), &pde, 8);
		uint64_t pte = gpas[k] | PTE_P | PTE_RW;
		guest_write(g, pt + 8 * ((gmas[k] >> 12) & 511), &pte, 8);
	}
	uint32_t b[] = { MI_SDI_PPGTT, (uint32_t)dst + 8, 0, 0x3333, MI_BATCH_BUFFER_END, 0 };
	guest_write(g, gpas[0], b, sizeof(b));
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_VCS, 5, 1);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t p = i < 3 ? pd[i] : 0;
		ctx_put(g, &c, 0x31 - 4 * i, 0x12274 + 8 * i, (uint32_t)(p >> 32));
		ctx_put(g, &c, 0x33 - 4 * i, 0x12270 + 8 * i, (uint32_t)p);
	}
	uint32_t r[3] = { MI_BB_START_PPGTT, (uint32_t)batch, 0 };
	guest_ring_emit(g, &c, r, 3);
	uint64_t desc = ((uint64_t)5 << 32) | (c.lrca & 0xfffff000u) | (1u << 8) | (1u << 3) | 1u;
	uint32_t elsp = 0x12000 + 0x230;
	wr32(f->v, elsp, 0);
	wr32(f->v, elsp, 0);
	wr32(f->v, elsp, (uint32_t)(desc >> 32));
	wr32(f->v, elsp, (uint32_t)desc);
	if (rec_count(&f->rec, MED_EV_REJECT))
		rec_dump(&f->rec, 10);
	assert_int_equal(rec_count(&f->rec, MED_EV_REJECT), 0);
	const struct rec_ev *w = rec_find(&f->rec, MED_EV_WORKLOAD, 0, 0);
	assert_int_equal(w->ev.u.workload.levels, 3);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, gpas[1] + 8), 0x3333);
	assert_true(rd32(f->v, 0x44318) & (1u << 8)); /* VCS: GT1 bits 15:0 */
}

static void test_pvinfo_ppgtt_notification_shadows_ahead(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	guest_ppgtt_alloc(g, PP_DATA, 1);
	wr32(f->v, MED_PVINFO_BASE + 0x838, (uint32_t)g->pml4);
	wr32(f->v, MED_PVINFO_BASE + 0x83c, 0);
	wr32(f->v, MED_PVINFO_BASE + 0x818, 4); /* L4 page table create */
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(med_vgpu_shadow(f->v), &st);
	assert_int_equal(st.roots, 1);
	assert_true(shadow_gmem_protected(med_vgpu_shadow(f->v), g->pml4 >> 12));
	wr32(f->v, MED_PVINFO_BASE + 0x818, 5); /* L4 page table destroy */
	shadow_vgpu_stats(med_vgpu_shadow(f->v), &st);
	assert_int_equal(st.roots, 0);
}

static void test_page_table_writes_after_shadowing_are_trapped(void **state)
{
	struct fx *f = *state;
	struct guest *g = &f->g;
	uint64_t data = guest_ppgtt_alloc(g, PP_DATA, 1);
	sdi_batch(g, 0, 1, false);
	struct gctx c;
	guest_ctx_init(g, &c, SCAN_RCS, 1, 1);
	ring_start_batch(g, &c, 0);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data), 1);
	size_t before = rec_count(&f->rec, MED_EV_PT_WRITE);
	/* remap the data page: its PTE lives in a shadowed table */
	uint64_t data2 = guest_ppgtt_alloc(g, PP_DATA, 1);
	assert_true(rec_count(&f->rec, MED_EV_PT_WRITE) > before);
	sdi_batch(g, 1, 2, false);
	ring_start_batch(g, &c, 1);
	guest_submit(g, &c);
	assert_int_equal(med_run(f->m, 0), 1);
	assert_int_equal(guest_read32(g, data2 + 4), 2);
	assert_int_equal(guest_read32(g, data + 4), 0);
	struct med_counters cn = { .sz = sizeof(cn) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &cn), 0);
	assert_true(cn.pt_writes > 0);
}

/* ------------------------------------------------------- threads */

struct worker {
	struct med *m;
	struct med_vgpu *v;
	unsigned engine;
	unsigned n;
	int failed;
	uint32_t seed;
};

/* A guest thread: N workloads, each waiting for its completion through
 * the CSB before the next, each checking the value it stored. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct guest g;
	guest_init(&g, w->m, w->v);
	uint64_t data = guest_ppgtt_alloc(&g, PP_DATA, 1);
	struct gctx c;
	guest_ctx_init(&g, &c, w->engine, w->seed, 4);
	unsigned expect_wp = 7;
	for (unsigned i = 0; i < w->n; i++) {
		unsigned slot = i % 8;
		uint32_t value = w->seed * 1000003u + i;
		sdi_batch(&g, slot, value, false);
		ring_start_batch(&g, &c, slot);
		guest_submit(&g, &c);
		/* two CSB events per workload: idle-to-active, complete */
		expect_wp = (expect_wp == 7 ? 1 : (expect_wp + 2) % 6);
		unsigned spins = 0;
		while (guest_csb_wp(&g, w->engine) != expect_wp) {
			if (++spins > 2000000) {
				w->failed = 1;
				return NULL;
			}
			sched_yield();
		}
		if (guest_read32(&g, data + 4 * slot) != value) {
			w->failed = 2;
			return NULL;
		}
	}
	return NULL;
}

static void test_two_vgpus_submit_concurrently_from_two_threads(void **state)
{
	(void)state;
	struct rec rec;
	rec_init(&rec);
	struct med *m = mk_med(MED_DISPATCH_THREADS, &rec, SCAN_POLICY_STRICT);
	struct med_vgpu *a = mk_vgpu(m, MED_VGPU_TYPE_8);
	struct med_vgpu *b = mk_vgpu(m, MED_VGPU_TYPE_4);
	struct worker wa = { .m = m, .v = a, .engine = SCAN_RCS, .n = 40, .seed = 1 };
	struct worker wb = { .m = m, .v = b, .engine = SCAN_BCS, .n = 40, .seed = 2 };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, worker_main, &wa);
	pthread_create(&tb, NULL, worker_main, &wb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(wa.failed, 0);
	assert_int_equal(wb.failed, 0);
	assert_int_equal(med_wait_idle(m, 5000), 0);
	struct med_counters ca = { .sz = sizeof(ca) }, cb = { .sz = sizeof(cb) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(a), &ca), 0);
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(b), &cb), 0);
	assert_int_equal(ca.completed, 40);
	assert_int_equal(cb.completed, 40);
	assert_int_equal(ca.escapes + cb.escapes, 0);
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(m), GPU_STATS_ALL, &gs), 0);
	assert_int_equal(gs.escapes, 0);
	med_free(m);
	rec_fini(&rec);
}

struct churn {
	struct med *m;
	unsigned rounds;
	int failed;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	for (unsigned i = 0; i < c->rounds; i++) {
		struct med_vgpu_opts o = { .sz = sizeof(o), .type = MED_VGPU_TYPE_8 };
		struct med_vgpu *v = NULL;
		if (med_vgpu_create(c->m, &o, &v)) {
			c->failed = 1;
			return NULL;
		}
		/* queue work, then destroy without waiting for it */
		struct guest g;
		guest_init(&g, c->m, v);
		guest_ppgtt_alloc(&g, PP_DATA, 1);
		struct gctx ctx;
		guest_ctx_init(&g, &ctx, SCAN_RCS, 100 + i, 1);
		for (unsigned k = 0; k < 3; k++) {
			sdi_batch(&g, k, k, false);
			ring_start_batch(&g, &ctx, k);
		}
		guest_submit(&g, &ctx);
		med_vgpu_destroy(v);
	}
	return NULL;
}

static void test_vgpu_create_and_destroy_under_load(void **state)
{
	(void)state;
	struct med *m = mk_med(MED_DISPATCH_THREADS, NULL, SCAN_POLICY_STRICT);
	struct med_vgpu *a = mk_vgpu(m, MED_VGPU_TYPE_8);
	struct worker wa = { .m = m, .v = a, .engine = SCAN_RCS, .n = 60, .seed = 5 };
	struct churn ch = { .m = m, .rounds = 6 };
	pthread_t ta, tc;
	pthread_create(&ta, NULL, worker_main, &wa);
	pthread_create(&tc, NULL, churn_main, &ch);
	pthread_join(tc, NULL);
	pthread_join(ta, NULL);
	assert_int_equal(ch.failed, 0);
	assert_int_equal(wa.failed, 0);
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(m), GPU_STATS_ALL, &gs), 0);
	assert_int_equal(gs.escapes, 0);
	/* every page the destroyed vGPUs held went back */
	uint64_t pages_before = gpu_mem_pages(med_gpu(m));
	struct med_vgpu *t = mk_vgpu(m, MED_VGPU_TYPE_8);
	med_vgpu_destroy(t);
	assert_int_equal(gpu_mem_pages(med_gpu(m)), pages_before);
	med_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sdi_from_a_ppgtt_batch_lands_in_the_guest_page, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_sdi_to_the_aperture_from_the_ring, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_user_interrupt_reaches_the_guest, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_two_elements_report_an_element_switch, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_resubmitted_context_continues_from_the_queued_tail, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_ring_wraps, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_workload_never_runs_and_enters_failsafe, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_is_rejected_without_failsafe, setup_manual, teardown),
		cmocka_unit_test(test_drop_policy_keeps_the_vgpu_usable),
		cmocka_unit_test_setup_teardown(test_batch_rewritten_after_submission_runs_the_scanned_copy, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_three_level_ppgtt_context, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_shadow_pages_are_reused_between_workloads, setup_manual,
						teardown),
		cmocka_unit_test_setup_teardown(test_ggtt_batch_from_the_ring_runs_from_its_shadow, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_ggtt_entry_written_as_two_unaligned_halves, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_pvinfo_ppgtt_notification_shadows_ahead, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_page_table_writes_after_shadowing_are_trapped, setup_manual, teardown),
		cmocka_unit_test(test_two_vgpus_submit_concurrently_from_two_threads),
		cmocka_unit_test(test_vgpu_create_and_destroy_under_load),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
