/* SPDX-License-Identifier: MIT */
/*
 * Mediator: coalesced GGTT write batches (med_ggtt_write_batch) against the
 * single trapped write (med_mmio_write), their events, and refused batches.
 */
#include "tests/test_mediator_util.h"

#define MiB (1ull << 20)

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t bar0_of(uint64_t gma)
{
	return MED_GGTT_OFFSET + (gma >> 12) * 8;
}

static struct med_vgpu_info vinfo(struct med_vgpu *v)
{
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(v, &info);
	return info;
}

static struct med_counters counters(struct med *m, struct med_vgpu *v)
{
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(m, med_vgpu_id(v), &c), 0);
	return c;
}

static struct shadow_vgpu_stats sstats(struct med_vgpu *v)
{
	struct shadow_vgpu_stats st = { .sz = sizeof(st) };
	shadow_vgpu_stats(med_vgpu_shadow(v), &st);
	return st;
}

/* Entry k (0..15) of one of six places: near an edge of a window, or just
 * outside both (ignored). */
static uint64_t gma_at(const struct med_vgpu_info *w, unsigned place, uint64_t k)
{
	switch (place) {
	case 0: return w->aperture_base + k * 4096;
	case 1: return w->aperture_base + w->aperture_size - (1 + k % 4) * 4096;
	case 2: return w->hidden_base + k * 4096;
	case 3: return w->hidden_base + w->hidden_size - (1 + k % 4) * 4096;
	case 4: return w->hidden_base + w->hidden_size + k * 4096;
	default: return 0x2000 + k * 4096; /* the host reserve */
	}
}

static uint64_t pick_gma(const struct med_vgpu_info *w, uint64_t r)
{
	return gma_at(w, (unsigned)(r % 6), (r >> 8) % 16);
}

/* Guest frames from a small pool, sometimes not present or invalid. */
static uint64_t pick_pte(uint64_t r)
{
	uint64_t frame = 0x100 + (r >> 40) % 16, flags = ((r >> 20) & 0xffe) | PTE_P;
	switch ((r >> 4) % 8) {
	case 5: return frame << 12;                          /* not present */
	case 6: return (frame << 12) | flags | (1ull << 50); /* reserved bit */
	case 7: return r;                                    /* anything */
	default: return (frame << 12) | flags;
	}
}

/* One guest action: an entry, its two halves (either order, sometimes only
 * one), or an 8-byte write at 4 mod 8. */
static size_t gen(const struct med_vgpu_info *w, uint64_t *seed, struct med_ggtt_write *out)
{
	uint64_t r = xs(seed), pte = pick_pte(xs(seed)), off = bar0_of(pick_gma(w, r));
	switch ((r >> 32) % 6) {
	case 0:
	case 1:
	case 2:
		out[0] = (struct med_ggtt_write){ .offset = off, .bytes = 8, .value = pte };
		return 1;
	case 3:
	case 4: {
		unsigned hi = (r >> 40) & 1;
		out[0] = (struct med_ggtt_write){ .offset = off + 4 * hi, .bytes = 4,
						  .value = hi ? pte >> 32 : (uint32_t)pte };
		out[1] = (struct med_ggtt_write){ .offset = off + 4 * !hi, .bytes = 4,
						  .value = hi ? (uint32_t)pte : pte >> 32 };
		return (r >> 44) % 4 ? 2 : 1;
	}
	default:
		out[0] = (struct med_ggtt_write){ .offset = off + 4, .bytes = 8, .value = pte };
		return 1;
	}
}

/* a and b (vGPUs of two mediators with the same layout) hold the same GGTT:
 * virtual entries, shadow translations, the GPU model's copy of the host
 * GGTT, counters. */
static void assert_same(struct med *ma, struct med_vgpu *a, struct med *mb, struct med_vgpu *b)
{
	struct med_vgpu_info w = vinfo(a);
	struct shadow_vgpu_stats sa = sstats(a), sb = sstats(b);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	struct med_counters ca = counters(ma, a), cb = counters(mb, b);
	assert_int_equal(ca.ggtt_writes, cb.ggtt_writes);
	assert_int_equal(ca.mmio_refused, cb.mmio_refused);
	for (uint64_t k = 0; k < 6 * 16; k++) {
		uint64_t gma = gma_at(&w, (unsigned)(k / 16), k % 16), va = 0, vb = 0;
		assert_int_equal(med_mmio_read(a, bar0_of(gma), 8, &va), 0);
		assert_int_equal(med_mmio_read(b, bar0_of(gma), 8, &vb), 0);
		assert_int_equal(va, vb);
		struct shadow_xlate xa, xb;
		int ra = shadow_ggtt_translate(med_vgpu_shadow(a), gma, &xa);
		int rb = shadow_ggtt_translate(med_vgpu_shadow(b), gma, &xb);
		assert_int_equal(ra, rb);
		if (!ra)
			assert_int_equal(xa.gpa, xb.gpa);
		/* the GPU model walks what the shadow engine wrote */
		uint64_t ga = 0, gb = 0;
		assert_int_equal(gpu_ggtt_get(med_gpu(ma), gma, &ga), 0);
		assert_int_equal(gpu_ggtt_get(med_gpu(mb), gma, &gb), 0);
		assert_int_equal(ga, shadow_ggtt_host_pte(med_shadow(ma), (uint32_t)(gma >> 12)));
		assert_int_equal(gb, shadow_ggtt_host_pte(med_shadow(mb), (uint32_t)(gma >> 12)));
		assert_int_equal(ga & 0xfff, gb & 0xfff);
	}
}

static void test_batches_equal_single_traps_and_their_events_replay_them(void **state)
{
	enum { OPS = 6000 };
	struct rec ra, rb;
	struct med_ggtt_write *ops = calloc(OPS + 2, sizeof(*ops));
	uint64_t seed = 0x6a77;
	size_t n = 0, batches = 0;
	(void)state;
	assert_non_null(ops);
	rec_init(&ra);
	rec_init(&rb);
	struct med *ma = mk_med(MED_DISPATCH_MANUAL, &ra, SCAN_POLICY_STRICT);
	struct med *mb = mk_med(MED_DISPATCH_MANUAL, &rb, SCAN_POLICY_STRICT);
	struct med_vgpu *a = mk_vgpu(ma, MED_VGPU_TYPE_8), *b = mk_vgpu(mb, MED_VGPU_TYPE_8);
	struct med_vgpu_info w = vinfo(a), wb = vinfo(b);
	assert_int_equal(w.aperture_base, wb.aperture_base);
	assert_int_equal(w.hidden_base, wb.hidden_base);
	while (n < OPS)
		n += gen(&w, &seed, ops + n);
	rec_reset(&ra);
	rec_reset(&rb);
	/* a: batches split at random points; b: the same writes one trap each */
	for (size_t i = 0; i < n; batches++) {
		size_t len = 1 + xs(&seed) % (xs(&seed) % 8 ? 16 : 300);
		if (len > n - i)
			len = n - i;
		assert_int_equal(med_ggtt_write_batch(a, ops + i, len), 0);
		/* every entry the batch touched reached the GPU model */
		for (size_t j = 0; j < len; j++) {
			uint64_t e = (ops[i + j].offset - MED_GGTT_OFFSET) >> 3, pte = 0;
			for (uint64_t x = e; x <= e + (ops[i + j].offset & 4 && ops[i + j].bytes == 8); x++) {
				assert_int_equal(gpu_ggtt_get(med_gpu(ma), x << 12, &pte), 0);
				assert_int_equal(pte, shadow_ggtt_host_pte(med_shadow(ma), (uint32_t)x));
			}
		}
		for (size_t j = 0; j < len; j++) {
			const struct med_ggtt_write *o = &ops[i + j];
			assert_int_equal(med_mmio_write(b, o->offset, o->bytes, o->value), 0);
		}
		i += len;
	}
	/* one event per write, in order, each saying which batch it came in */
	assert_int_equal(rec_count(&ra, MED_EV_GGTT_WRITE), n);
	assert_int_equal(rec_count(&rb, MED_EV_GGTT_WRITE), n);
	for (size_t i = 0; i < n; i++) {
		const struct rec_ev *ea = rec_find(&ra, MED_EV_GGTT_WRITE, 0, i);
		const struct rec_ev *eb = rec_find(&rb, MED_EV_GGTT_WRITE, 0, i);
		assert_int_equal(ea->ev.u.mmio.offset, ops[i].offset);
		assert_int_equal(ea->ev.u.mmio.value, eb->ev.u.mmio.value);
		assert_int_equal(ea->ev.u.mmio.bytes, eb->ev.u.mmio.bytes);
		assert_int_equal(ea->ev.err, 0);
		assert_true(ea->ev.u.mmio.batch >= 1 && ea->ev.u.mmio.index < ea->ev.u.mmio.batch);
		assert_int_equal(eb->ev.u.mmio.batch, 0);
		if (i)
			assert_true(ea->ev.seq > rec_find(&ra, MED_EV_GGTT_WRITE, 0, i - 1)->ev.seq);
	}
	struct med_counters ca = counters(ma, a);
	assert_int_equal(ca.ggtt_writes, n);
	assert_int_equal(ca.mmio_refused, 0);
	assert_same(ma, a, mb, b);
	assert_true(sstats(a).ggtt_partial_writes > 100 && sstats(a).ggtt_ignored_writes > 100);
	assert_true(sstats(a).invalid_entries > 10 && sstats(a).pinned_frames > 0);

	/* a recorder of a's events replays every write into a third mediator */
	struct med *mc = mk_med(MED_DISPATCH_MANUAL, NULL, SCAN_POLICY_STRICT);
	struct med_vgpu *c = mk_vgpu(mc, MED_VGPU_TYPE_8);
	for (size_t i = 0; i < n; i++) {
		const struct rec_ev *e = rec_find(&ra, MED_EV_GGTT_WRITE, 0, i);
		assert_int_equal(med_mmio_write(c, e->ev.u.mmio.offset, e->ev.u.mmio.bytes,
						e->ev.u.mmio.value),
				 0);
	}
	assert_same(ma, a, mc, c);
	print_message("  %zu GGTT writes in %zu batches\n", n, batches);
	med_free(mc);
	med_free(ma);
	med_free(mb);
	rec_fini(&ra);
	rec_fini(&rb);
	free(ops);
}

static void test_batch_with_a_write_outside_the_ggtt_is_refused_whole(void **state)
{
	static const struct {
		uint64_t offset;
		uint32_t bytes;
		int err;
		const char *why;
	} bad[] = {
		{ 0x2000, 4, -ERANGE, "outside the GGTT range" },             /* a register */
		{ 3 * MiB, 8, -ERANGE, "outside the GGTT range" },            /* the BAR0 hole */
		{ MED_GGTT_OFFSET - 4, 8, -ERANGE, "outside the GGTT range" }, /* starts below */
		{ MED_BAR0_SIZE, 4, -ERANGE, "outside the GGTT range" },      /* beyond BAR0 */
		{ MED_BAR0_SIZE - 4, 8, -ERANGE, "outside the GGTT range" },  /* runs past its end */
		{ MED_GGTT_OFFSET, 2, -EINVAL, "4- or 8-byte writes" },
		{ MED_GGTT_OFFSET + 8, 1, -EINVAL, "4- or 8-byte writes" },
		{ MED_GGTT_OFFSET + 2, 4, -EINVAL, "not 4-byte aligned" },
	};
	struct rec r;
	(void)state;
	rec_init(&r);
	struct med *m = mk_med(MED_DISPATCH_MANUAL, &r, SCAN_POLICY_STRICT);
	struct med_vgpu *v = mk_vgpu(m, MED_VGPU_TYPE_8);
	struct med_vgpu_info w = vinfo(v);
	uint64_t good = bar0_of(w.aperture_base), reg = rd32(v, 0x2000);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		rec_reset(&r);
		const struct med_ggtt_write batch[] = {
			{ .offset = good, .bytes = 8, .value = 0x200000 | PTE_P },
			{ .offset = bad[k].offset, .bytes = bad[k].bytes, .value = 0x55 },
			{ .offset = good + 8, .bytes = 8, .value = 0x201000 | PTE_P },
		};
		assert_int_equal(med_ggtt_write_batch(v, batch, 3), bad[k].err);
		char msg[256];
		med_vgpu_last_error(v, msg, sizeof(msg));
		if (!strstr(msg, "element 1 of 3") || !strstr(msg, bad[k].why) ||
		    !strstr(msg, "nothing applied"))
			fail_msg("case %zu: unexpected reason: %s", k, msg);
		/* one event: the refused element, the error, the reason */
		assert_int_equal(rec_count(&r, MED_EV_GGTT_WRITE), 1);
		const struct rec_ev *e = rec_find(&r, MED_EV_GGTT_WRITE, 0, 0);
		assert_int_equal(e->ev.err, bad[k].err);
		assert_int_equal(e->ev.u.mmio.offset, bad[k].offset);
		assert_int_equal(e->ev.u.mmio.batch, 3);
		assert_int_equal(e->ev.u.mmio.index, 1);
		assert_non_null(strstr(e->text, "element 1 of 3"));
	}
	/* nothing of any of them was applied */
	uint64_t val = 1;
	assert_int_equal(med_mmio_read(v, good, 8, &val), 0);
	assert_int_equal(val, 0);
	assert_int_equal(med_mmio_read(v, good + 8, 8, &val), 0);
	assert_int_equal(val, 0);
	assert_int_equal(rd32(v, 0x2000), reg);
	struct med_counters c = counters(m, v);
	assert_int_equal(c.ggtt_writes, 0);
	assert_int_equal(c.mmio_refused, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(sstats(v).ggtt_writes + sstats(v).ggtt_ignored_writes, 0);
	med_free(m);
	rec_fini(&r);
}

static void test_empty_batch_does_nothing_and_null_is_refused(void **state)
{
	struct rec r;
	(void)state;
	rec_init(&r);
	struct med *m = mk_med(MED_DISPATCH_MANUAL, &r, SCAN_POLICY_STRICT);
	struct med_vgpu *v = mk_vgpu(m, MED_VGPU_TYPE_8);
	rec_reset(&r);
	const struct med_ggtt_write one = { .offset = MED_GGTT_OFFSET, .bytes = 8 };
	assert_int_equal(med_ggtt_write_batch(v, NULL, 0), 0);
	assert_int_equal(med_ggtt_write_batch(v, NULL, 2), -EINVAL);
	assert_int_equal(med_ggtt_write_batch(NULL, &one, 1), -EINVAL);
	assert_int_equal(r.n, 0);
	assert_int_equal(counters(m, v).ggtt_writes, 0);
	med_free(m);
	rec_fini(&r);
}

static void test_batched_entries_map_guest_frames_for_the_gpu(void **state)
{
	(void)state;
	struct med *m = mk_med(MED_DISPATCH_MANUAL, NULL, SCAN_POLICY_STRICT);
	struct med_vgpu *v = mk_vgpu(m, MED_VGPU_TYPE_8);
	struct med_vgpu_info w = vinfo(v);
	/* what binding a 64-page buffer produces: 64 consecutive entries */
	struct med_ggtt_write b[64];
	for (unsigned i = 0; i < 64; i++)
		b[i] = (struct med_ggtt_write){ .offset = bar0_of(w.hidden_base) + 8 * i, .bytes = 8,
						.value = (0x400000 + 4096ull * i) | PTE_P | PTE_RW };
	assert_int_equal(med_ggtt_write_batch(v, b, 64), 0);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t gma = w.hidden_base + 4096ull * i, hpa = 0;
		struct shadow_xlate x;
		assert_int_equal(shadow_ggtt_translate(med_vgpu_shadow(v), gma + 12, &x), 0);
		assert_int_equal(x.gpa, 0x400000 + 4096ull * i + 12);
		assert_int_equal(gpu_ggtt_translate(med_gpu(m), gma + 12, &hpa), 0);
		assert_int_equal(hpa, x.hpa);
		gpu_owner_t owner = 0;
		assert_int_equal(gpu_mem_get_owner(med_gpu(m), hpa, &owner), 0);
		assert_int_equal(owner, med_vgpu_id(v));
	}
	assert_int_equal(counters(m, v).ggtt_writes, 64);
	assert_int_equal(sstats(v).pinned_frames, 64);
	med_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_equal_single_traps_and_their_events_replay_them),
		cmocka_unit_test(test_batch_with_a_write_outside_the_ggtt_is_refused_whole),
		cmocka_unit_test(test_empty_batch_does_nothing_and_null_is_refused),
		cmocka_unit_test(test_batched_entries_map_guest_frames_for_the_gpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
