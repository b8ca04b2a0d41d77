/* SPDX-License-Identifier: MIT */
/* GGTT: layout and partitioning, the trapped write path, scratch, reset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"

#define MiB (1ull << 20)
#define P SHADOW_PTE_PRESENT

struct env {
	struct shadow_host *host;
	struct shadow *sh;
};

static void env_up(struct env *e)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;

	e->host = shadow_host_default_new(0);
	assert_non_null(e->host);
	o.host = &shadow_host_default_ops;
	o.host_ctx = e->host;
	assert_int_equal(shadow_new(&o, &e->sh), 0);
}

static void env_down(struct env *e)
{
	struct shadow_host_stats st = { .sz = sizeof(st) };

	shadow_free(e->sh);
	shadow_host_default_stats(e->host, &st);
	assert_int_equal(st.live_pages, 0);
	assert_int_equal(st.bad_frees, 0);
	shadow_host_default_free(e->host);
}

static struct shadow_vgpu *vgpu(struct env *e, enum shadow_vgpu_type t)
{
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow_vgpu *v;
	char err[256] = "";

	vo.type = t;
	vo.mem_size = 64 * MiB;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	int rc = shadow_vgpu_new(e->sh, &vo, &v);
	if (rc)
		fail_msg("shadow_vgpu_new(type %d): %d %s", t, rc, err);
	return v;
}

static void check(struct shadow_vgpu *v)
{
	char err[512] = "";
	if (shadow_vgpu_check(v, err, sizeof(err)))
		fail_msg("consistency: %s", err);
}

static uint32_t off_of(uint64_t gma)
{
	return (uint32_t)((gma >> 12) * 8);
}

static struct shadow_vgpu_stats stats(struct shadow_vgpu *v)
{
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(v, &st);
	return st;
}

static uint64_t host_pte(struct env *e, uint64_t gma)
{
	return shadow_ggtt_host_pte(e->sh, (uint32_t)(gma >> 12));
}

static uint64_t frame_hpa(struct shadow_vgpu *v, uint64_t gfn)
{
	uint64_t hpa = 0;
	assert_int_equal(shadow_gmem_hpa(v, gfn, &hpa), 0);
	return hpa;
}

/* ------------------------------------------------------------ layout */

static void test_default_layout_is_1g_aperture_after_host_reserve(void **state)
{
	struct env e;
	struct shadow_layout l;
	(void)state;
	env_up(&e);
	shadow_get_layout(e.sh, &l);
	assert_int_equal(l.total, 4096 * MiB);
	assert_int_equal(l.aperture_size, 1024 * MiB);
	assert_int_equal(l.host_low_base, 0);
	assert_int_equal(l.host_low_size, 128 * MiB);
	assert_int_equal(l.host_high_base, 1024 * MiB);
	assert_int_equal(l.host_high_size, 384 * MiB);
	/* the GGTT is 1 Mi 8-byte entries at 8 MiB into BAR0 */
	assert_int_equal(SHADOW_GGTT_ENTRIES * 8ull, SHADOW_GGTT_TABLE_BYTES);
	assert_int_equal(SHADOW_GGTT_BAR0_OFFSET, 8 * MiB);
	/* every entry starts on the engine's scratch page, present */
	assert_int_equal(shadow_ggtt_host_pte(e.sh, 12345), shadow_scratch_hpa(e.sh) | P);
	env_down(&e);
}

static void test_vgpu_types_have_gvt_window_sizes(void **state)
{
	static const uint64_t want[][2] = { { 64, 384 }, { 128, 512 }, { 256, 1024 }, { 512, 2048 } };
	(void)state;
	for (unsigned t = SHADOW_VGPU_TYPE_8; t <= SHADOW_VGPU_TYPE_1; t++) {
		uint64_t ap, hid;
		assert_int_equal(shadow_vgpu_type_sizes(t, &ap, &hid), 0);
		assert_int_equal(ap, want[t - 1][0] * MiB);
		assert_int_equal(hid, want[t - 1][1] * MiB);
	}
	uint64_t ap, hid;
	assert_int_equal(shadow_vgpu_type_sizes(SHADOW_VGPU_CUSTOM, &ap, &hid), -EINVAL);
	assert_string_equal(shadow_vgpu_type_name(SHADOW_VGPU_TYPE_2), "2");
}

static void test_seven_type8_vgpus_fit_and_the_eighth_is_refused(void **state)
{
	struct env e;
	struct shadow_vgpu *v[8];
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	char err[256] = "";
	(void)state;
	env_up(&e);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_8), 7);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_4), 5);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_2), 2);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_1), 1);
	for (unsigned i = 0; i < 7; i++)
		v[i] = vgpu(&e, SHADOW_VGPU_TYPE_8);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_8), 0);
	vo.mem_size = 16 * MiB;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v[7]), -ENOSPC);
	assert_non_null(strstr(err, "hidden window of 384 MiB does not fit"));
	/* windows do not overlap and sit outside the host reserve */
	for (unsigned i = 0; i < 7; i++) {
		struct shadow_windows a;
		shadow_vgpu_windows(v[i], &a);
		assert_true(a.aperture_base >= 128 * MiB && a.aperture_base + a.aperture_size <= 1024 * MiB);
		assert_true(a.hidden_base >= 1408 * MiB && a.hidden_base + a.hidden_size <= 4096 * MiB);
		for (unsigned j = 0; j < i; j++) {
			struct shadow_windows b;
			shadow_vgpu_windows(v[j], &b);
			assert_true(a.aperture_base >= b.aperture_base + b.aperture_size ||
				    b.aperture_base >= a.aperture_base + a.aperture_size);
			assert_true(a.hidden_base >= b.hidden_base + b.hidden_size ||
				    b.hidden_base >= a.hidden_base + a.hidden_size);
		}
	}
	env_down(&e);
}

static void test_aperture_exhaustion_is_refused_with_reason(void **state)
{
	struct env e;
	struct shadow_vgpu *v;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	char err[256] = "";
	(void)state;
	env_up(&e);
	vo.type = SHADOW_VGPU_CUSTOM;
	vo.aperture_size = 900 * MiB; /* 896 MiB of low GM are free */
	vo.hidden_size = 16 * MiB;
	vo.errbuf = err;
	vo.errbuf_len = sizeof(err);
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v), -ENOSPC);
	assert_non_null(strstr(err, "aperture window of 900 MiB does not fit (896 MiB free"));
	vo.aperture_size = 896 * MiB;
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v), 0);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_8), 0);
	vo.aperture_size = 3 * 1024 * 1024 + 5;
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v), -EINVAL);
	assert_non_null(strstr(err, "multiples of 1 MiB"));
	env_down(&e);
}

static void test_mixed_types_share_the_partition(void **state)
{
	struct env e;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *a = vgpu(&e, SHADOW_VGPU_TYPE_1);
	/* 384 MiB low and 640 MiB high remain */
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_1), 0);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_8), 1);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_4), 1);
	struct shadow_vgpu *b = vgpu(&e, SHADOW_VGPU_TYPE_4);
	assert_int_equal(shadow_vgpu_type_avail(e.sh, SHADOW_VGPU_TYPE_8), 0);
	/* freeing the big one makes its windows reusable, first fit */
	struct shadow_windows wa, wc;
	shadow_vgpu_windows(a, &wa);
	shadow_vgpu_free(a);
	struct shadow_vgpu *c = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(c, &wc);
	assert_int_equal(wc.aperture_base, wa.aperture_base);
	assert_int_equal(wc.hidden_base, wa.hidden_base);
	(void)b;
	env_down(&e);
}

static void test_ninth_vgpu_is_refused_for_lack_of_ids(void **state)
{
	struct env e;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow_vgpu *v;
	(void)state;
	env_up(&e);
	vo.type = SHADOW_VGPU_CUSTOM;
	vo.aperture_size = 1 * MiB;
	vo.hidden_size = 1 * MiB;
	vo.mem_size = 1 * MiB;
	for (unsigned i = 0; i < SHADOW_MAX_VGPUS; i++) {
		assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v), 0);
		assert_int_equal(shadow_vgpu_id(v), i + 1);
	}
	assert_int_equal(shadow_vgpu_new(e.sh, &vo, &v), -EBUSY);
	env_down(&e);
}

static void test_layout_that_does_not_fit_is_refused(void **state)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow *sh;
	char err[256] = "";
	(void)state;
	o.aperture_size = 4096 * MiB;
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	assert_int_equal(shadow_new(&o, &sh), -EINVAL);
	assert_non_null(strstr(err, "aperture 4096 MiB"));
	o.aperture_size = 512 * MiB; /* the alternative layout works */
	assert_int_equal(shadow_new(&o, &sh), 0);
	assert_int_equal(shadow_vgpu_type_avail(sh, SHADOW_VGPU_TYPE_8), 6);
	shadow_free(sh);
}

/* ------------------------------------------------------- trapped writes */

static void test_present_entry_maps_guest_frame_to_host_page(void **state)
{
	struct env e;
	struct shadow_windows w;
	struct shadow_xlate x;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint64_t gma = w.hidden_base + 5 * 4096, ge = (0x42ull << 12) | P | 0x6;
	assert_int_equal(shadow_ggtt_write(v, off_of(gma), ge, 8), 0);
	assert_int_equal(host_pte(&e, gma), frame_hpa(v, 0x42) | P | 0x6);
	assert_int_equal(shadow_ggtt_read(v, off_of(gma), 8, &rd), 0);
	assert_int_equal(rd, ge); /* reads return the virtual GGTT */
	assert_int_equal(shadow_ggtt_translate(v, gma + 0x18, &x), 0);
	assert_int_equal(x.gpa, (0x42ull << 12) + 0x18);
	assert_int_equal(x.hpa, frame_hpa(v, 0x42) + 0x18);
	assert_int_equal(stats(v).ggtt_writes, 1);
	assert_int_equal(stats(v).pinned_frames, 1);
	check(v);
	env_down(&e);
}

static void test_half_writes_are_held_until_the_other_half(void **state)
{
	struct env e;
	struct shadow_windows w;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint64_t gma = w.aperture_base;
	assert_int_equal(shadow_ggtt_write(v, off_of(gma), (0x10ull << 12) | P, 8), 0);
	uint64_t before = host_pte(&e, gma);
	/* a new frame written low half first: the old mapping stays */
	uint64_t ge = (0x23ull << 12) | P;
	assert_int_equal(shadow_ggtt_write(v, off_of(gma), (uint32_t)ge, 4), 0);
	assert_int_equal(host_pte(&e, gma), before);
	assert_int_equal(shadow_ggtt_read(v, off_of(gma), 8, &rd), 0);
	assert_int_equal(rd, ge); /* the virtual entry has the new half */
	check(v);
	assert_int_equal(shadow_ggtt_write(v, off_of(gma) + 4, ge >> 32, 4), 0);
	assert_int_equal(host_pte(&e, gma), frame_hpa(v, 0x23) | P);
	assert_int_equal(stats(v).ggtt_partial_writes, 2);
	uint64_t hpa;
	assert_int_equal(shadow_gmem_discard(v, 0x10), 0); /* the old frame was released */
	assert_int_equal(shadow_gmem_hpa(v, 0x10, &hpa), -ENOENT);
	check(v);
	env_down(&e);
}

static void test_writes_outside_the_windows_are_ignored_and_counted(void **state)
{
	struct env e;
	struct shadow_windows wb;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *a = vgpu(&e, SHADOW_VGPU_TYPE_8), *b = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(b, &wb);
	uint64_t b_before = host_pte(&e, wb.aperture_base);
	/* host reserve and the other vGPU's windows */
	assert_int_equal(shadow_ggtt_write(a, off_of(0x1000), (0x5ull << 12) | P, 8), 0);
	assert_int_equal(shadow_ggtt_write(a, off_of(wb.aperture_base), (0x5ull << 12) | P, 8), 0);
	assert_int_equal(shadow_ggtt_write(a, off_of(wb.hidden_base), 0x1234, 4), 0);
	assert_int_equal(host_pte(&e, 0x1000), shadow_scratch_hpa(e.sh) | P);
	assert_int_equal(host_pte(&e, wb.aperture_base), b_before);
	assert_int_equal(stats(a).ggtt_ignored_writes, 3);
	assert_int_equal(stats(a).ggtt_writes, 0);
	assert_int_equal(stats(a).pinned_frames, 0);
	assert_int_equal(shadow_ggtt_read(a, off_of(wb.aperture_base), 8, &rd), 0);
	assert_int_equal(rd, 0);
	struct shadow_xlate x;
	assert_int_equal(shadow_ggtt_translate(a, wb.aperture_base, &x), -EFAULT);
	assert_int_equal(shadow_ggtt_translate(a, 0x1000, &x), -EFAULT);
	check(a);
	check(b);
	env_down(&e);
}

static void test_invalid_entries_point_at_the_vgpu_scratch_page(void **state)
{
	struct env e;
	struct shadow_windows w;
	struct shadow_xlate x;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint64_t g0 = w.aperture_base, g1 = g0 + 4096, g2 = g0 + 8192;
	assert_int_equal(shadow_ggtt_write(v, off_of(g0), (uint64_t)(64 * MiB / 4096) << 12 | P, 8), 0);
	assert_int_equal(shadow_ggtt_write(v, off_of(g1), (0x7ull << 12) | P | (1ull << 60), 8), 0);
	assert_int_equal(shadow_ggtt_write(v, off_of(g2), 0x7ull << 12, 8), 0); /* not present */
	/* invalid: scratch, present; not present: scratch, present clear */
	assert_int_equal(shadow_ggtt_translate(v, g0, &x), -ENOENT);
	uint64_t scratch = shadow_pte_addr(x.pte);
	assert_true(scratch != shadow_scratch_hpa(e.sh)); /* the vGPU's own scratch page */
	assert_int_equal(host_pte(&e, g0), scratch | P);
	assert_int_equal(host_pte(&e, g1), scratch | P);
	assert_int_equal(host_pte(&e, g2), scratch);
	assert_int_equal(stats(v).invalid_entries, 2);
	assert_int_equal(stats(v).scratch_hits, 2);
	assert_int_equal(stats(v).pinned_frames, 0);
	check(v);
	env_down(&e);
}

static void test_remap_releases_the_old_frame_exactly_once(void **state)
{
	struct env e;
	struct shadow_windows w;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint64_t gma = w.hidden_base;
	/* the same frame mapped twice, then each mapping replaced */
	assert_int_equal(shadow_ggtt_write(v, off_of(gma), (0x9ull << 12) | P, 8), 0);
	assert_int_equal(shadow_ggtt_write(v, off_of(gma + 4096), (0x9ull << 12) | P, 8), 0);
	assert_int_equal(shadow_gmem_discard(v, 0x9), -EBUSY);
	assert_int_equal(shadow_ggtt_write(v, off_of(gma), (0xaull << 12) | P, 8), 0);
	assert_int_equal(shadow_gmem_discard(v, 0x9), -EBUSY);
	/* rewriting the identical entry re-validates it (pin new, then release old) */
	assert_int_equal(shadow_ggtt_write(v, off_of(gma + 4096), (0x9ull << 12) | P, 8), 0);
	assert_int_equal(shadow_gmem_discard(v, 0x9), -EBUSY);
	assert_int_equal(shadow_ggtt_write(v, off_of(gma + 4096), 0, 8), 0);
	assert_int_equal(shadow_gmem_discard(v, 0x9), 0);
	assert_int_equal(stats(v).bad_unpins, 0);
	assert_int_equal(stats(v).pinned_frames, 1);
	check(v);
	env_down(&e);
}

static int fail_pins(void *ctx, enum shadow_fault_site site, uint64_t call)
{
	(void)ctx;
	(void)call;
	return site == SHADOW_FAULT_GMEM_PIN ? -ENOMEM : 0;
}

static void test_unmappable_frame_points_at_scratch(void **state)
{
	struct env e;
	struct shadow_windows w;
	struct shadow_xlate x;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	assert_int_equal(shadow_ggtt_write(v, off_of(w.aperture_base), (0x3ull << 12) | P, 8), 0);
	shadow_fault_set_hook(e.sh, fail_pins, NULL);
	assert_int_equal(shadow_ggtt_write(v, off_of(w.aperture_base), (0x4ull << 12) | P, 8), 0);
	shadow_fault_set_hook(e.sh, NULL, NULL);
	assert_int_equal(shadow_ggtt_translate(v, w.aperture_base, &x), -ENOENT);
	assert_true(x.scratch);
	assert_int_equal(stats(v).map_failures, 1);
	assert_int_equal(stats(v).pinned_frames, 0); /* the old frame was released too */
	check(v);
	env_down(&e);
}

static void test_reset_points_every_window_entry_at_scratch(void **state)
{
	struct env e;
	struct shadow_windows w;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(shadow_ggtt_write(v, off_of(w.aperture_base + i * 4096ull),
						   ((0x100ull + i) << 12) | P, 8), 0);
		assert_int_equal(shadow_ggtt_write(v, off_of(w.hidden_base + i * 4096ull),
						   ((0x200ull + i) << 12) | P, 8), 0);
	}
	assert_int_equal(shadow_ggtt_write(v, off_of(w.hidden_base + 65 * 4096ull), 0x1001, 4), 0);
	assert_int_equal(stats(v).pinned_frames, 128);
	shadow_ggtt_reset(v);
	assert_int_equal(stats(v).pinned_frames, 0);
	struct shadow_xlate x;
	assert_int_equal(shadow_ggtt_translate(v, w.aperture_base, &x), -ENOENT);
	uint64_t scratch = shadow_pte_addr(x.pte);
	for (uint64_t g = w.aperture_base; g < w.aperture_base + w.aperture_size; g += 4096)
		assert_int_equal(host_pte(&e, g), scratch | P);
	for (uint64_t g = w.hidden_base; g < w.hidden_base + w.hidden_size; g += 4096)
		assert_int_equal(host_pte(&e, g), scratch | P);
	assert_int_equal(shadow_ggtt_read(v, off_of(w.aperture_base), 8, &rd), 0);
	assert_int_equal(rd, 0);
	/* the held half was forgotten: a lone high half does not complete it */
	assert_int_equal(shadow_ggtt_write(v, off_of(w.hidden_base + 65 * 4096ull) + 4, 0, 4), 0);
	assert_int_equal(host_pte(&e, w.hidden_base + 65 * 4096ull), scratch | P);
	check(v);
	env_down(&e);
}

static void test_unaligned_8_byte_write_is_two_halves(void **state)
{
	struct env e;
	struct shadow_windows w;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint32_t off = off_of(w.aperture_base);
	/* low half of entry 0 and (later) high half of entry 1 */
	assert_int_equal(shadow_ggtt_write(v, off, (0x11ull << 12) | P, 4), 0);
	assert_int_equal(shadow_ggtt_write(v, off + 4, 0x0000000000000000ull | ((uint64_t)((0x12u << 12) | 1) << 32), 8), 0);
	assert_int_equal(host_pte(&e, w.aperture_base), frame_hpa(v, 0x11) | P);
	assert_int_equal(shadow_ggtt_read(v, off + 8, 8, &rd), 0);
	assert_int_equal(rd, (0x12ull << 12) | P);
	assert_int_equal(shadow_ggtt_write(v, off + 12, 0, 4), 0);
	assert_int_equal(host_pte(&e, w.aperture_base + 4096), frame_hpa(v, 0x12) | P);
	assert_int_equal(shadow_ggtt_read(v, off + 4, 8, &rd), (int)0);
	assert_int_equal(rd, (uint64_t)((0x12u << 12) | 1) << 32);
	check(v);
	env_down(&e);
}

static void test_bad_ggtt_access_sizes_are_refused(void **state)
{
	struct env e;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	assert_int_equal(shadow_ggtt_write(v, 0, 0, 2), -EINVAL);
	assert_int_equal(shadow_ggtt_write(v, 2, 0, 4), -EINVAL);
	assert_int_equal(shadow_ggtt_write(v, SHADOW_GGTT_TABLE_BYTES - 4, 0, 8), -EINVAL);
	assert_int_equal(shadow_ggtt_write(v, SHADOW_GGTT_TABLE_BYTES, 0, 4), -EINVAL);
	assert_int_equal(shadow_ggtt_read(v, 1, 4, &rd), -EINVAL);
	assert_int_equal(shadow_ggtt_write(v, SHADOW_GGTT_TABLE_BYTES - 4, 0, 4), 0);
	env_down(&e);
}

static void test_host_map_is_limited_to_the_host_reserve(void **state)
{
	struct env e;
	uint64_t hpa = 0x5000000000ull;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	struct shadow_windows w;
	shadow_vgpu_windows(v, &w);
	assert_int_equal(shadow_ggtt_host_map(e.sh, 0x2000, hpa, 0), 0);
	assert_int_equal(host_pte(&e, 0x2000), hpa | P);
	assert_int_equal(shadow_ggtt_host_map(e.sh, 1024 * MiB + 4096, hpa, 0), 0); /* high reserve */
	assert_int_equal(shadow_ggtt_host_map(e.sh, w.aperture_base, hpa, 0), -EPERM);
	assert_int_equal(shadow_ggtt_host_map(e.sh, 0x2001, hpa, 0), -EINVAL);
	assert_int_equal(shadow_ggtt_host_map(e.sh, 0x2000, 0, 0), 0);
	assert_int_equal(host_pte(&e, 0x2000), shadow_scratch_hpa(e.sh) | P);
	assert_int_equal(shadow_ggtt_host_table(e.sh)[0x2000 >> 12], shadow_scratch_hpa(e.sh) | P);
	env_down(&e);
}

static void test_freed_vgpu_windows_return_to_engine_scratch(void **state)
{
	struct env e;
	struct shadow_windows w;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	assert_int_equal(shadow_ggtt_write(v, off_of(w.hidden_base), (0x8ull << 12) | P, 8), 0);
	shadow_vgpu_free(v);
	assert_int_equal(host_pte(&e, w.hidden_base), shadow_scratch_hpa(e.sh) | P);
	assert_int_equal(host_pte(&e, w.aperture_base), shadow_scratch_hpa(e.sh) | P);
	env_down(&e);
}

/* The device's table handed to the engine: written in place, filled with
 * the engine's scratch at creation, left to its owner at the end. */
static void test_engine_writes_a_given_host_ggtt_in_place(void **state)
{
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow_windows w;
	uint64_t *table = calloc(SHADOW_GGTT_ENTRIES, 8);
	(void)state;

	assert_non_null(table);
	o.host_ggtt = table;
	assert_int_equal(shadow_new(&o, &sh), 0);
	assert_ptr_equal(shadow_ggtt_host_table(sh), table);
	assert_int_equal(table[12345], shadow_scratch_hpa(sh) | P);
	vo.mem_size = 64 * MiB;
	assert_int_equal(shadow_vgpu_new(sh, &vo, &v), 0);
	shadow_vgpu_windows(v, &w);
	assert_int_equal(shadow_ggtt_write(v, off_of(w.aperture_base), (0x21ull << 12) | P | 2, 8), 0);
	assert_int_equal(table[w.aperture_base >> 12], frame_hpa(v, 0x21) | P | 2);
	/* GGTT pins keep a frame from being discarded until the entry moves */
	assert_int_equal(shadow_gmem_discard(v, 0x21), -EBUSY);
	assert_int_equal(shadow_ggtt_write(v, off_of(w.aperture_base), 0, 8), 0);
	assert_int_equal(shadow_gmem_discard(v, 0x21), 0);
	check(v);
	shadow_free(sh); /* the table stays the caller's */
	assert_int_equal(table[w.aperture_base >> 12], table[0]);
	free(table);
}

/* ---------------------------------------------------------------- batches */

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* An entry near an edge of a window, or just outside one (ignored). */
static uint64_t pick_gma(const struct shadow_windows *w, uint64_t r)
{
	uint64_t k = (r >> 8) % 24;
	switch (r % 8) {
	case 0:
	case 1: return w->aperture_base + k * 4096;
	case 2: return w->aperture_base + w->aperture_size - (1 + k % 8) * 4096;
	case 3:
	case 4: return w->hidden_base + k * 4096;
	case 5: return w->hidden_base + w->hidden_size - (1 + k % 8) * 4096;
	case 6: return k & 1 ? w->aperture_base - 4096 : w->hidden_base + w->hidden_size;
	default: return 0x1000 + k * 4096; /* the host reserve */
	}
}

/* A guest entry: mostly valid frames from a small pool (so frames are
 * shared, remapped and released), sometimes not present or invalid. */
static uint64_t pick_pte(uint64_t r)
{
	uint64_t flags = ((r >> 20) & 0xffe) | P, frame = 0x10 + (r >> 40) % 24;
	switch ((r >> 4) % 16) {
	case 10: return (frame << 12) | (flags & ~P);                /* not present */
	case 11: return (frame << 12) | flags | (1ull << (46 + (r >> 50) % 18)); /* reserved */
	case 12: return ((64 * MiB >> 12) + (r >> 32) % 100) << 12 | flags; /* beyond memory */
	case 13: return r * 0x9e3779b97f4a7c15ull;                   /* anything */
	default: return (frame << 12) | flags;
	}
}

/* Appends one guest action to ops: an 8-byte entry write, both halves of
 * one (either order; sometimes only one), or an 8-byte write at 4 mod 8. */
static size_t gen_ops(const struct shadow_windows *w, uint64_t *seed, struct shadow_ggtt_write *ops)
{
	uint64_t r = xs(seed), pte = pick_pte(xs(seed));
	uint32_t off = off_of(pick_gma(w, r));
	switch ((r >> 32) % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		ops[0] = (struct shadow_ggtt_write){ .offset = off, .bytes = 8, .value = pte };
		return 1;
	case 4:
	case 5: {
		bool hi_first = r & (1ull << 40);
		ops[0] = (struct shadow_ggtt_write){ .offset = off + (hi_first ? 4 : 0), .bytes = 4,
						     .value = hi_first ? pte >> 32 : (uint32_t)pte };
		ops[1] = (struct shadow_ggtt_write){ .offset = off + (hi_first ? 0 : 4), .bytes = 4,
						     .value = hi_first ? (uint32_t)pte : pte >> 32 };
		return (r >> 44) % 5 ? 2 : 1; /* a fifth of the halves stay alone */
	}
	case 6:
		ops[0] = (struct shadow_ggtt_write){ .offset = off + 4, .bytes = 8, .value = pte };
		return 1;
	default:
		ops[0] = (struct shadow_ggtt_write){ .offset = off, .bytes = 4, .value = pte >> 32 };
		return 1;
	}
}

static int fail_every_5th_pin(void *ctx, enum shadow_fault_site site, uint64_t call)
{
	(void)ctx;
	return site == SHADOW_FAULT_GMEM_PIN && call % 5 == 0 ? -ENOMEM : 0;
}

/* Both vGPUs hold the same guest GGTT and the same shadow of it: virtual
 * entries, host entries (flags and which guest frame or scratch), counters. */
static void assert_same_ggtt(struct env *ea, struct shadow_vgpu *a, struct env *eb,
			     struct shadow_vgpu *b, const struct shadow_windows *w)
{
	struct shadow_vgpu_stats sa = stats(a), sb = stats(b);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	const uint64_t base[2] = { w->aperture_base, w->hidden_base };
	const uint64_t size[2] = { w->aperture_size, w->hidden_size };
	for (unsigned r = 0; r < 2; r++) {
		for (uint64_t k = 0; k < 48; k++) {
			uint64_t gma = k < 24 ? base[r] + k * 4096 : base[r] + size[r] - (k - 23) * 4096;
			uint64_t va, vb;
			struct shadow_xlate xa, xb;
			assert_int_equal(shadow_ggtt_read(a, off_of(gma), 8, &va), 0);
			assert_int_equal(shadow_ggtt_read(b, off_of(gma), 8, &vb), 0);
			assert_int_equal(va, vb);
			int ra = shadow_ggtt_translate(a, gma + 8, &xa);
			int rb = shadow_ggtt_translate(b, gma + 8, &xb);
			assert_int_equal(ra, rb);
			assert_int_equal(xa.scratch, xb.scratch);
			uint64_t ha = host_pte(ea, gma), hb = host_pte(eb, gma);
			assert_int_equal(ha & SHADOW_PTE_FLAGS_MASK, hb & SHADOW_PTE_FLAGS_MASK);
			if (ra == 0) {
				assert_int_equal(xa.gpa, xb.gpa);
				assert_int_equal(shadow_pte_addr(ha), frame_hpa(a, xa.gpa >> 12));
				assert_int_equal(shadow_pte_addr(hb), frame_hpa(b, xb.gpa >> 12));
			}
		}
	}
	for (uint64_t gma = 0x1000; gma < 0x1000 + 24 * 4096; gma += 4096) {
		assert_int_equal(host_pte(ea, gma), shadow_scratch_hpa(ea->sh) | P);
		assert_int_equal(host_pte(eb, gma), shadow_scratch_hpa(eb->sh) | P);
	}
	check(a);
	check(b);
}

static void test_batches_equal_the_same_writes_one_by_one(void **state)
{
	enum { OPS = 200000 };
	struct env ea, eb;
	struct shadow_windows w, wb;
	struct shadow_ggtt_write *ops = calloc(OPS + 2, sizeof(*ops));
	uint64_t seed = 0x5eed0004;
	size_t n = 0, batches = 0, split_pairs = 0;
	(void)state;
	assert_non_null(ops);
	env_up(&ea);
	env_up(&eb);
	struct shadow_vgpu *a = vgpu(&ea, SHADOW_VGPU_TYPE_8), *b = vgpu(&eb, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(a, &w);
	shadow_vgpu_windows(b, &wb);
	assert_memory_equal(&w, &wb, sizeof(w));
	while (n < OPS)
		n += gen_ops(&w, &seed, ops + n);
	/* one by one into a, in batches split at random points into b; from
	 * the middle on, every 5th pin fails in both engines */
	for (size_t i = 0; i < n;) {
		size_t len = 1 + xs(&seed) % (xs(&seed) % 8 ? 24 : 600);
		if (len > n - i)
			len = n - i;
		if (i < n / 2 && i + len > n / 2)
			len = n / 2 - i;
		if (i == n / 2) {
			shadow_fault_set_hook(ea.sh, fail_every_5th_pin, NULL);
			shadow_fault_set_hook(eb.sh, fail_every_5th_pin, NULL);
		}
		for (size_t j = 0; j < len; j++)
			assert_int_equal(shadow_ggtt_write(a, ops[i + j].offset, ops[i + j].value,
							   ops[i + j].bytes), 0);
		size_t bad = 12345;
		assert_int_equal(shadow_ggtt_write_batch(b, ops + i, len, &bad), 0);
		assert_int_equal(bad, 12345);
		if (ops[i + len - 1].bytes == 4 && i + len < n && ops[i + len].bytes == 4 &&
		    (ops[i + len].offset >> 3) == (ops[i + len - 1].offset >> 3))
			split_pairs++; /* the two halves of one entry in two batches */
		i += len;
		if (++batches % 64 == 0)
			assert_same_ggtt(&ea, a, &eb, b, &w);
	}
	assert_same_ggtt(&ea, a, &eb, b, &w);
	struct shadow_vgpu_stats st = stats(b);
	struct shadow_fault_stats fa, fb;
	shadow_fault_stats(ea.sh, &fa);
	shadow_fault_stats(eb.sh, &fb);
	shadow_fault_set_hook(ea.sh, NULL, NULL);
	shadow_fault_set_hook(eb.sh, NULL, NULL);
	print_message("  %zu writes in %zu batches, %zu entries split between two batches, "
		      "%llu halves, %llu ignored, %llu invalid, %llu pin failures\n",
		      n, batches, split_pairs, (unsigned long long)st.ggtt_partial_writes,
		      (unsigned long long)st.ggtt_ignored_writes, (unsigned long long)st.invalid_entries,
		      (unsigned long long)st.map_failures);
	/* the sequence exercised what it is meant to */
	assert_true(split_pairs > 10);
	assert_true(st.ggtt_partial_writes > 1000 && st.ggtt_ignored_writes > 1000);
	assert_true(st.invalid_entries > 100 && st.map_failures > 100);
	assert_true(st.pinned_frames > 0);
	assert_int_equal(st.bad_unpins, 0);
	assert_int_equal(fa.injected, fb.injected);
	assert_int_equal(st.map_failures, fb.injected);
	free(ops);
	env_down(&ea);
	env_down(&eb);
}

static void test_batch_stops_at_a_bad_element(void **state)
{
	struct env e;
	struct shadow_windows w;
	uint64_t rd;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	shadow_vgpu_windows(v, &w);
	uint32_t off = off_of(w.aperture_base);
	const struct shadow_ggtt_write ops[] = {
		{ .offset = off, .bytes = 8, .value = (0x21ull << 12) | P },
		{ .offset = off + 8, .bytes = 4, .value = (0x22u << 12) | 1 },
		{ .offset = off + 16, .bytes = 2, .value = 0 },       /* bad size */
		{ .offset = off + 24, .bytes = 8, .value = (0x23ull << 12) | P },
	};
	size_t bad = 99;
	assert_int_equal(shadow_ggtt_write_batch(v, ops, 4, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	/* the writes before it were applied, the ones after it were not */
	assert_int_equal(host_pte(&e, w.aperture_base), frame_hpa(v, 0x21) | P);
	assert_int_equal(shadow_ggtt_read(v, off + 8, 8, &rd), 0);
	assert_int_equal(rd, (0x22u << 12) | 1); /* a held half */
	assert_int_equal(shadow_ggtt_read(v, off + 24, 8, &rd), 0);
	assert_int_equal(rd, 0);
	assert_int_equal(stats(v).ggtt_writes, 2);
	/* misaligned and beyond the table */
	const struct shadow_ggtt_write mis[] = { { .offset = off + 2, .bytes = 4 } };
	const struct shadow_ggtt_write end[] = { { .offset = SHADOW_GGTT_TABLE_BYTES - 4, .bytes = 8 } };
	assert_int_equal(shadow_ggtt_write_batch(v, mis, 1, &bad), -EINVAL);
	assert_int_equal(bad, 0);
	assert_int_equal(shadow_ggtt_write_batch(v, end, 1, NULL), -EINVAL);
	assert_int_equal(stats(v).ggtt_writes, 2);
	check(v);
	env_down(&e);
}

static void test_empty_batch_does_nothing(void **state)
{
	struct env e;
	(void)state;
	env_up(&e);
	struct shadow_vgpu *v = vgpu(&e, SHADOW_VGPU_TYPE_8);
	assert_int_equal(shadow_ggtt_write_batch(v, NULL, 0, NULL), 0);
	assert_int_equal(shadow_ggtt_write_batch(v, NULL, 3, NULL), -EINVAL);
	struct shadow_vgpu_stats st = stats(v);
	assert_int_equal(st.ggtt_writes + st.ggtt_ignored_writes, 0);
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_layout_is_1g_aperture_after_host_reserve),
		cmocka_unit_test(test_vgpu_types_have_gvt_window_sizes),
		cmocka_unit_test(test_seven_type8_vgpus_fit_and_the_eighth_is_refused),
		cmocka_unit_test(test_aperture_exhaustion_is_refused_with_reason),
		cmocka_unit_test(test_mixed_types_share_the_partition),
		cmocka_unit_test(test_ninth_vgpu_is_refused_for_lack_of_ids),
		cmocka_unit_test(test_layout_that_does_not_fit_is_refused),
		cmocka_unit_test(test_present_entry_maps_guest_frame_to_host_page),
		cmocka_unit_test(test_half_writes_are_held_until_the_other_half),
		cmocka_unit_test(test_writes_outside_the_windows_are_ignored_and_counted),
		cmocka_unit_test(test_invalid_entries_point_at_the_vgpu_scratch_page),
		cmocka_unit_test(test_remap_releases_the_old_frame_exactly_once),
		cmocka_unit_test(test_unmappable_frame_points_at_scratch),
		cmocka_unit_test(test_reset_points_every_window_entry_at_scratch),
		cmocka_unit_test(test_unaligned_8_byte_write_is_two_halves),
		cmocka_unit_test(test_bad_ggtt_access_sizes_are_refused),
		cmocka_unit_test(test_host_map_is_limited_to_the_host_reserve),
		cmocka_unit_test(test_freed_vgpu_windows_return_to_engine_scratch),
		cmocka_unit_test(test_engine_writes_a_given_host_ggtt_in_place),
		cmocka_unit_test(test_batches_equal_the_same_writes_one_by_one),
		cmocka_unit_test(test_batch_stops_at_a_bad_element),
		cmocka_unit_test(test_empty_batch_does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
