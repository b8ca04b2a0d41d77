/* SPDX-License-Identifier: MIT */
/*
 * The guest driver against the real mediator (engine threads, GPU model),
 * one vGPU, through the trap interface only: it boots as a GVT-aware guest,
 * runs generated workloads whose results it checks, catches a result that
 * is not what the batch should have written, reports a rejection with its
 * reason, resets the engine and carries on, and reboots after failsafe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "guest/guest.h"
#include "mediator/mediator.h"
#include "shadow/shadow.h"

struct fx {
	struct med *m;
	struct med_vgpu *v;
	struct guest_drv *d;
	char err[256];
};

static void hook(void *ctx, const struct med_event *ev)
{
	struct fx *f = ctx;
	struct guest_drv *d = __atomic_load_n(&f->d, __ATOMIC_ACQUIRE);
	if (d && ev->vgpu == med_vgpu_id(f->v))
		guest_drv_notify(d, ev);
}

static struct fx *fx_new(enum med_reject_action on_reject)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .event = hook, .event_ctx = f,
			       .on_reject = on_reject };
	assert_int_equal(med_new(&mo, &f->m), 0);
	struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = MED_VGPU_TYPE_8 };
	assert_int_equal(med_vgpu_create(f->m, &vo, &f->v), 0);
	struct guest_drv_opts o = { .sz = sizeof(o), .vgpu = f->v, .gen = 9, .hang_ms = 20000,
				    .errbuf = f->err, .errbuf_len = sizeof(f->err) };
	struct guest_drv *d = NULL;
	int rc = guest_drv_new(&o, &d);
	if (rc)
		fail_msg("guest_drv_new: %d %s", rc, f->err);
	__atomic_store_n(&f->d, d, __ATOMIC_RELEASE);
	return f;
}

static void fx_free(struct fx *f)
{
	med_free(f->m);
	guest_drv_free(f->d);
	free(f);
}

static struct guest_gen *mk_gen(enum guest_profile p, uint64_t seed)
{
	struct guest_gen_opts o = { .sz = sizeof(o), .gen = SCAN_GEN9, .profile = p, .seed = seed };
	struct guest_gen *g = NULL;
	assert_int_equal(guest_gen_new(&o, &g), 0);
	return g;
}

static uint64_t escapes(struct fx *f)
{
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(f->m), GPU_STATS_ALL, &gs), 0);
	return gs.escapes;
}

/* A hand-made workload: a PPGTT batch that stores `value` into a data
 * page, checked against `expect`. */
struct handmade {
	uint32_t batch[64];
	uint64_t expect;
	struct guest_bo bos[2];
	struct guest_check check;
	uint32_t ring[3];
	struct guest_work w;
};

#define HM_BATCH 0x0000200000000000ull
#define HM_DATA  0x0000200000100000ull

static void handmade(struct handmade *h, enum scan_engine e, uint64_t value, uint64_t expect,
		     uint32_t evil_lri_reg)
{
	memset(h, 0, sizeof(*h));
	unsigned n = 0;
	if (evil_lri_reg) {
		h->batch[n++] = 0x11000001u; /* MI_LOAD_REGISTER_IMM */
		h->batch[n++] = evil_lri_reg;
		h->batch[n++] = 0;
	}
	h->batch[n++] = 0x10200003u; /* MI_STORE_DATA_IMM, qword, PPGTT */
	h->batch[n++] = (uint32_t)HM_DATA;
	h->batch[n++] = (uint32_t)(HM_DATA >> 32);
	h->batch[n++] = (uint32_t)value;
	h->batch[n++] = (uint32_t)(value >> 32);
	h->batch[n++] = 0x05000000u; /* MI_BATCH_BUFFER_END */
	h->expect = expect;
	h->bos[0] = (struct guest_bo){ HM_BATCH, 4096, GUEST_BO_BATCH, h->batch, 4ull * n };
	h->bos[1] = (struct guest_bo){ HM_DATA, 4096, GUEST_BO_WRITE, NULL, 0 };
	h->check = (struct guest_check){ HM_DATA, 8, &h->expect, "hand-made store" };
	h->ring[0] = 0x18800101u; /* MI_BATCH_BUFFER_START, PPGTT */
	h->ring[1] = (uint32_t)HM_BATCH;
	h->ring[2] = (uint32_t)(HM_BATCH >> 32);
	h->w = (struct guest_work){ .seq = 1, .engine = e, .bos = h->bos, .nbos = 2,
				    .ring = h->ring, .nring = 3, .batch = HM_BATCH,
				    .checks = &h->check, .nchecks = 1 };
}

/* ---------------------------------------------------------------- tests */

static void test_boot_reads_pvinfo_and_enables_the_device(void **state)
{
	struct fx *f = fx_new(MED_ON_REJECT_FAILSAFE);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_true(info.pvinfo_read);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
	uint32_t cmd = 0, msi = 0;
	assert_int_equal(med_cfg_read(f->v, 0x04, 2, &cmd), 0);
	assert_int_equal(cmd & 0x6, 0x6); /* memory decoding, bus master */
	assert_int_equal(med_cfg_read(f->v, 0xae, 2, &msi), 0);
	assert_true(msi & 1);
	/* every engine's status page lies in the vGPU's aperture window */
	static const uint32_t base[] = { 0x2000, 0x22000, 0x12000, 0x1a000 };
	for (unsigned e = 0; e < 4; e++) {
		uint64_t hws = 0;
		assert_int_equal(med_mmio_read(f->v, base[e] + 0x80, 4, &hws), 0);
		assert_true(hws >= info.aperture_base && hws < info.aperture_base + info.aperture_size);
	}
	struct guest_drv_stats st = { .sz = sizeof(st) };
	guest_drv_stats(f->d, &st);
	assert_true(st.cfg_reads > 0 && st.ggtt_writes > 0 && st.mmio_writes > 0);
	/* the driver's default RAM is what the mediator gives a vGPU by default */
	assert_int_equal(shadow_gmem_size(med_vgpu_shadow(f->v)), GUEST_MEM_SIZE_DEFAULT);
	fx_free(f);
}

static void run_profile(enum guest_profile p, unsigned n)
{
	struct fx *f = fx_new(MED_ON_REJECT_FAILSAFE);
	struct guest_gen *g = mk_gen(p, 11);
	for (unsigned k = 0; k < n; k++) {
		const struct guest_work *w;
		assert_int_equal(guest_gen_next(g, &w), 0);
		struct guest_run r;
		int rc = guest_drv_run(f->d, w, &r);
		if (rc)
			fail_msg("%s workload %u: driver error %d: %s", guest_profile_name(p), k, rc, f->err);
		if (r.outcome != GUEST_DONE || r.checks_failed)
			fail_msg("%s workload %u: %s, %u checks failed: %s", guest_profile_name(p), k,
				 guest_outcome_name(r.outcome), r.checks_failed, r.detail);
	}
	assert_int_equal(escapes(f), 0);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.completed, n);
	assert_int_equal(c.rejected, 0);
	assert_true(c.pt_writes > 0); /* the PPGTT was shadowed: table writes trapped */
	struct guest_drv_stats st = { .sz = sizeof(st) };
	guest_drv_stats(f->d, &st);
	assert_int_equal(st.submissions, c.submissions);
	assert_int_equal(st.mmio_reads, c.mmio_reads);
	assert_int_equal(st.mmio_writes, c.mmio_writes);
	assert_int_equal(st.ggtt_writes, c.ggtt_writes);
	assert_true(st.pt_writes >= c.pt_writes);
	assert_int_equal(st.checks_failed, 0);
	guest_gen_free(g);
	fx_free(f);
}

static void test_3d_workloads_complete_and_check(void **state) { run_profile(GUEST_PROFILE_3D, 20); }
static void test_compute_workloads_complete_and_check(void **state) { run_profile(GUEST_PROFILE_COMPUTE, 20); }
static void test_blit_workloads_complete_and_check(void **state) { run_profile(GUEST_PROFILE_BLIT, 30); }
static void test_media_workloads_complete_and_check(void **state) { run_profile(GUEST_PROFILE_MEDIA, 20); }
static void test_desktop_workloads_complete_and_check(void **state) { run_profile(GUEST_PROFILE_DESKTOP, 30); }

static void test_a_wrong_result_is_caught(void **state)
{
	struct fx *f = fx_new(MED_ON_REJECT_FAILSAFE);
	struct handmade h;
	handmade(&h, SCAN_RCS, 0x1111222233334444ull, 0x1111222233334444ull, 0);
	struct guest_run r;
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_DONE);
	assert_int_equal(r.checks_failed, 0);
	/* the batch stores one value, the guest expects another */
	handmade(&h, SCAN_RCS, 0x5555, 0x6666, 0);
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_DONE);
	assert_int_equal(r.checks_failed, 1);
	assert_non_null(strstr(r.detail, "hand-made store"));
	fx_free(f);
}

static void test_a_rejection_is_reported_with_its_reason(void **state)
{
	struct fx *f = fx_new(MED_ON_REJECT_DROP);
	struct handmade h;
	handmade(&h, SCAN_BCS, 1, 1, 0x44200); /* GEN8_MASTER_IRQ from a batch */
	struct guest_run r;
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_REJECTED);
	assert_int_equal(r.reject_reason, SCAN_R_REG_PROTECTED);
	/* the engine was reset and the request skipped: the next one runs */
	handmade(&h, SCAN_BCS, 77, 77, 0);
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_DONE);
	assert_int_equal(r.checks_failed, 0);
	struct guest_drv_stats st = { .sz = sizeof(st) };
	guest_drv_stats(f->d, &st);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.engine_resets, 1);
	assert_int_equal(st.completed, 1);
	fx_free(f);
}

static void test_reboot_after_failsafe_brings_the_guest_back(void **state)
{
	struct fx *f = fx_new(MED_ON_REJECT_FAILSAFE);
	struct handmade h;
	handmade(&h, SCAN_RCS, 1, 1, 0x2229c); /* another engine's RING_MODE */
	struct guest_run r;
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_REJECTED);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_GUEST_ERR);
	/* in failsafe, legal work is refused too */
	handmade(&h, SCAN_RCS, 5, 5, 0);
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_REJECTED);
	assert_int_equal(r.reject_reason, MED_RJ_FAILSAFE);
	/* the VM reboots: the device is reset, the guest boots again */
	assert_int_equal(med_vgpu_reset(f->v), 0);
	assert_int_equal(guest_drv_reboot(f->d), 0);
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
	assert_true(info.pvinfo_read);
	handmade(&h, SCAN_RCS, 0xabcdef, 0xabcdef, 0);
	assert_int_equal(guest_drv_run(f->d, &h.w, &r), 0);
	assert_int_equal(r.outcome, GUEST_DONE);
	assert_int_equal(r.checks_failed, 0);
	assert_int_equal(escapes(f), 0);
	fx_free(f);
}

static void test_hostile_attacks_get_their_expected_reasons(void **state)
{
	struct fx *f = fx_new(MED_ON_REJECT_FAILSAFE);
	struct guest_gen *g = mk_gen(GUEST_PROFILE_HOSTILE, 3);
	unsigned attacks = 0;
	while (attacks < guest_attack_count()) {
		const struct guest_work *w;
		assert_int_equal(guest_gen_next(g, &w), 0);
		struct guest_run r;
		assert_int_equal(guest_drv_run(f->d, w, &r), 0);
		if (!w->attack) {
			if (r.outcome != GUEST_DONE || r.checks_failed)
				fail_msg("legal workload %llu: %s: %s", (unsigned long long)w->seq,
					 guest_outcome_name(r.outcome), r.detail);
			continue;
		}
		attacks++;
		struct med_vgpu_info info = { .sz = sizeof(info) };
		if (w->expect == GUEST_EXPECT_WATCHDOG) {
			/* admitted, then stopped by the scheduler's watchdog: a hang
			 * the guest recovers from with an engine reset */
			if (r.outcome != GUEST_HUNG || !r.watchdog)
				fail_msg("attack %s: %s (%s), expected a watchdog hang", w->attack,
					 guest_outcome_name(r.outcome), r.detail);
			med_vgpu_info(f->v, &info);
			assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
			continue;
		}
		if (r.outcome != GUEST_REJECTED || r.reject_reason != w->expect_reject)
			fail_msg("attack %s: %s with reason %s, expected %s", w->attack,
				 guest_outcome_name(r.outcome), med_reject_name(r.reject_reason),
				 med_reject_name(w->expect_reject));
		med_vgpu_info(f->v, &info);
		/* scanner verdicts put the vGPU in failsafe; the mediator's own do not */
		assert_int_equal(info.failsafe != MED_FAILSAFE_NONE, w->expect_reject < MED_RJ_MEDIATOR);
		if (info.failsafe != MED_FAILSAFE_NONE) {
			assert_int_equal(med_vgpu_reset(f->v), 0);
			assert_int_equal(guest_drv_reboot(f->d), 0);
		}
	}
	assert_int_equal(escapes(f), 0);
	guest_gen_free(g);
	fx_free(f);
}

/* One thread drives guest and GPU (MANUAL dispatch, the driver's kick):
 * everything repeats, virtual clock and interrupt deliveries included. */
struct manual {
	uint64_t clock, irqs, cycles;
};

static void kick(void *ctx)
{
	med_run(ctx, 0);
}

static void run_manual(uint64_t seed, struct manual *out)
{
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .dispatch = MED_DISPATCH_MANUAL };
	struct med *m = NULL;
	assert_int_equal(med_new(&mo, &m), 0);
	struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = MED_VGPU_TYPE_8 };
	struct med_vgpu *v = NULL;
	assert_int_equal(med_vgpu_create(m, &vo, &v), 0);
	struct guest_drv_opts o = { .sz = sizeof(o), .vgpu = v, .kick = kick, .kick_ctx = m };
	struct guest_drv *d = NULL;
	assert_int_equal(guest_drv_new(&o, &d), 0);
	struct guest_gen *g = mk_gen(GUEST_PROFILE_DESKTOP, seed);
	for (unsigned k = 0; k < 12; k++) {
		const struct guest_work *w;
		assert_int_equal(guest_gen_next(g, &w), 0);
		struct guest_run r;
		assert_int_equal(guest_drv_run(d, w, &r), 0);
		assert_int_equal(r.outcome, GUEST_DONE);
		assert_int_equal(r.checks_failed, 0);
	}
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(v), &c), 0);
	out->clock = med_clock(m);
	out->irqs = c.irqs;
	out->cycles = c.busy_cycles;
	assert_true(out->irqs > 0 && out->clock > 0);
	guest_gen_free(g);
	med_free(m);
	guest_drv_free(d);
}

static void test_manual_dispatch_with_kick_repeats_exactly(void **state)
{
	struct manual a, b;
	run_manual(21, &a);
	run_manual(21, &b);
	assert_int_equal(a.clock, b.clock);
	assert_int_equal(a.irqs, b.irqs);
	assert_int_equal(a.cycles, b.cycles);
}

static void test_bad_driver_options_are_refused(void **state)
{
	char err[256] = "";
	struct guest_drv *d = NULL;
	struct guest_drv_opts o = { .sz = sizeof(o), .errbuf = err, .errbuf_len = sizeof(err) };
	assert_int_equal(guest_drv_new(&o, &d), -EINVAL);
	assert_non_null(strstr(err, "vGPU"));
	assert_int_equal(guest_drv_new(NULL, &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_reads_pvinfo_and_enables_the_device),
		cmocka_unit_test(test_3d_workloads_complete_and_check),
		cmocka_unit_test(test_compute_workloads_complete_and_check),
		cmocka_unit_test(test_blit_workloads_complete_and_check),
		cmocka_unit_test(test_media_workloads_complete_and_check),
		cmocka_unit_test(test_desktop_workloads_complete_and_check),
		cmocka_unit_test(test_a_wrong_result_is_caught),
		cmocka_unit_test(test_a_rejection_is_reported_with_its_reason),
		cmocka_unit_test(test_reboot_after_failsafe_brings_the_guest_back),
		cmocka_unit_test(test_hostile_attacks_get_their_expected_reasons),
		cmocka_unit_test(test_manual_dispatch_with_kick_repeats_exactly),
		cmocka_unit_test(test_bad_driver_options_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
