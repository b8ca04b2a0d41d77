/* SPDX-License-Identifier: MIT */
/* Mediator: register semantics of the trap interface (no workloads run). */
#include "tests/test_mediator_util.h"

struct fx {
	struct rec rec;
	struct med *m;
	struct med_vgpu *v;
};

/* One mediator for the whole group; a fresh vGPU and recording per test. */
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

static int setup(void **state)
{
	struct fx *f = &group;
	f->v = mk_vgpu(f->m, MED_VGPU_TYPE_8);
	rec_reset(&f->rec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	med_vgpu_destroy(f->v);
	f->v = NULL;
	return 0;
}

#define RCS 0x2000u
#define BCS 0x22000u

static void test_pvinfo_page_describes_the_vgpu_windows(void **state)
{
	struct fx *f = *state;
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	uint64_t magic = 0;
	assert_int_equal(med_mmio_read(f->v, MED_PVINFO_BASE, 8, &magic), 0);
	assert_true(magic == 0x4776544776544776ull);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x08), 1); /* version 1.0 */
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x0c), med_vgpu_id(f->v));
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x40), (uint32_t)info.aperture_base);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x44), (uint32_t)info.aperture_size);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x48), (uint32_t)info.hidden_base);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x4c), (uint32_t)info.hidden_size);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x50), MED_FENCES_PER_VGPU);
	assert_int_equal(info.aperture_size, 64u << 20); /* type 8 */
	assert_int_equal(info.hidden_size, 384u << 20);
	med_vgpu_info(f->v, &info);
	assert_true(info.pvinfo_read);
}

static void test_pvinfo_top_half_is_read_only_bottom_half_stores(void **state)
{
	struct fx *f = *state;
	uint32_t before = rd32(f->v, MED_PVINFO_BASE + 0x40);
	wr32(f->v, MED_PVINFO_BASE + 0x40, 0xdeadbeef);
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x40), before);
	wr32(f->v, MED_PVINFO_BASE + 0x804, 1); /* display_ready */
	assert_int_equal(rd32(f->v, MED_PVINFO_BASE + 0x804), 1);
}

static void test_mode_mask_register_changes_only_enabled_bits(void **state)
{
	struct fx *f = *state;
	struct med_reg_info ri;
	assert_int_equal(med_reg_lookup(9, 0x20c0, &ri), 0);
	assert_true(ri.flags & MED_REG_F_MODE_MASK);
	wr32(f->v, 0x20c0, 0x00050005u);           /* set bits 0 and 2 */
	assert_int_equal(rd32(f->v, 0x20c0), 0x5);
	wr32(f->v, 0x20c0, 0x00000000u);           /* no enables: no change */
	assert_int_equal(rd32(f->v, 0x20c0), 0x5);
	wr32(f->v, 0x20c0, 0x00010000u);           /* clear bit 0 only */
	assert_int_equal(rd32(f->v, 0x20c0), 0x4);
}

static void test_read_only_bits_keep_their_value(void **state)
{
	struct fx *f = *state;
	/* CSB status pointer: the write pointer (2:0) is the mediator's, the
	 * read pointer (10:8) the guest's, both under write enables. */
	uint32_t ptr = RCS + 0x3a0;
	assert_int_equal(rd32(f->v, ptr), 0x0707);
	wr32(f->v, ptr, 0xffff0000u | 0x0302u);
	assert_int_equal(rd32(f->v, ptr), 0x0307);
	/* ACTHD is entirely read only */
	wr32(f->v, RCS + 0x74, 0x1234);
	assert_int_equal(rd32(f->v, RCS + 0x74), 0);
	/* the master IRQ register keeps only its control bit */
	wr32(f->v, 0x44200, 0xffffffffu);
	assert_int_equal(rd32(f->v, 0x44200), 0x80000000u);
}

static void test_unknown_register_is_plain_storage(void **state)
{
	struct fx *f = *state;
	assert_int_equal(med_reg_lookup(9, 0x1234, NULL), -ENOENT);
	wr32(f->v, 0x1234, 0x11223344u);
	assert_int_equal(rd32(f->v, 0x1234), 0x11223344u);
	assert_int_equal(med_mmio_write(f->v, 0x1236, 2, 0xaabb), 0);
	assert_int_equal(rd32(f->v, 0x1234), 0xaabb3344u);
	assert_int_equal(med_mmio_write(f->v, 0x1235, 1, 0x99), 0);
	assert_int_equal(rd32(f->v, 0x1234), 0xaabb9944u);
	uint64_t v = 0;
	assert_int_equal(med_mmio_read(f->v, 0x1236, 2, &v), 0);
	assert_int_equal(v, 0xaabb);
	assert_int_equal(med_mmio_write(f->v, 0x1238, 8, 0x0102030405060708ull), 0);
	assert_int_equal(rd32(f->v, 0x1238), 0x05060708u);
	assert_int_equal(rd32(f->v, 0x123c), 0x01020304u);
}

static void expect_refused(struct fx *f, bool write, uint64_t off, unsigned bytes, int err,
			   const char *needle)
{
	uint64_t v = 0;
	int r = write ? med_mmio_write(f->v, off, bytes, 0) : med_mmio_read(f->v, off, bytes, &v);
	assert_int_equal(r, err);
	char msg[256];
	med_vgpu_last_error(f->v, msg, sizeof(msg));
	if (!strstr(msg, needle))
		fail_msg("message '%s' lacks '%s'", msg, needle);
}

static void test_refused_accesses_say_why(void **state)
{
	struct fx *f = *state;
	expect_refused(f, false, MED_BAR0_SIZE, 4, -ERANGE, "outside BAR0");
	expect_refused(f, true, MED_BAR0_SIZE - 4, 8, -ERANGE, "outside BAR0");
	expect_refused(f, true, 3u << 20, 4, -ERANGE, "hole");
	expect_refused(f, false, 0x2002, 4, -EINVAL, "aligned");
	expect_refused(f, true, 0x2000, 3, -EINVAL, "size");
	expect_refused(f, true, 0x2000, 16, -EINVAL, "size");
	expect_refused(f, true, MED_GGTT_OFFSET, 2, -EINVAL, "GGTT");
	expect_refused(f, true, RCS + 0x230, 2, -EINVAL, "RING_ELSP");
	expect_refused(f, true, 0x20c0, 2, -EINVAL, "INSTPM");
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.mmio_refused, 9);
	/* every refusal is an event with its errno and text */
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_MMIO_READ, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->ev.err, -ERANGE);
	assert_non_null(strstr(e->text, "BAR0"));
}

static void test_elsp_submits_on_the_fourth_write_in_reverse_order(void **state)
{
	struct fx *f = *state;
	uint32_t elsp = BCS + 0x230;
	wr32(f->v, elsp, 0x00000022u); /* desc1 high */
	wr32(f->v, elsp, 0x00000000u); /* desc1 low: invalid */
	wr32(f->v, elsp, 0x00000011u); /* desc0 high: context id */
	assert_int_equal(rec_count(&f->rec, MED_EV_SUBMIT), 0);
	wr32(f->v, elsp, 0x00ab0119u); /* desc0 low: valid, PPGTT, 4-level */
	assert_int_equal(rec_count(&f->rec, MED_EV_SUBMIT), 1);
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_SUBMIT, 0, 0);
	assert_int_equal(e->ev.engine, SCAN_BCS);
	assert_true(e->ev.u.submit.desc[0] == 0x0000001100ab0119ull);
	assert_true(e->ev.u.submit.desc[1] == 0x0000002200000000ull);
	/* the context at 0xab000 is not in the vGPU's windows */
	const struct rec_ev *r = rec_find(&f->rec, MED_EV_REJECT, 0, 0);
	assert_non_null(r);
	assert_int_equal(r->ev.u.reject.reason, MED_RJ_BAD_CONTEXT);
	assert_int_equal(r->ev.u.reject.failsafe, 0);
	/* the protocol restarts: three more writes do not submit */
	for (int i = 0; i < 3; i++)
		wr32(f->v, elsp, 0);
	assert_int_equal(rec_count(&f->rec, MED_EV_SUBMIT), 1);
}

static void test_elsp_descriptor_checks(void **state)
{
	struct fx *f = *state;
	uint32_t elsp = RCS + 0x230;
	/* element 0 not valid */
	for (int i = 0; i < 4; i++)
		wr32(f->v, elsp, 0);
	/* a GGTT (non-PPGTT) context */
	uint32_t w[4] = { 0, 0, 1, 0x08000019u & ~0x100u };
	for (int i = 0; i < 4; i++)
		wr32(f->v, elsp, w[i]);
	/* addressing mode 0 */
	uint32_t w2[4] = { 0, 0, 1, 0x08000101u };
	for (int i = 0; i < 4; i++)
		wr32(f->v, elsp, w2[i]);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.submissions, 3);
	assert_int_equal(c.rejected, 3);
	assert_int_equal(c.rejects[MED_RJ_BAD_DESC], 3);
	assert_string_equal(med_reject_name(MED_RJ_BAD_DESC), "bad-desc");
	assert_string_equal(med_reject_name(SCAN_R_REG_WRITE), "reg-write");
	char msg[256];
	med_vgpu_last_error(f->v, msg, sizeof(msg));
	assert_non_null(strstr(msg, "addressing mode"));
	/* none of this is a guest error that warrants failsafe */
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
	assert_int_equal(rec_count(&f->rec, MED_EV_DISPATCH), 0);
}

static void test_masked_interrupt_does_not_latch(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rd32(f->v, 0x44304), 0xffffffffu); /* IMR: all masked at reset */
	assert_int_equal(med_vgpu_trigger(f->v, 0, 1u << 8), 0);
	assert_int_equal(rd32(f->v, 0x44308), 0);
	wr32(f->v, 0x44304, ~(1u << 8));
	assert_int_equal(med_vgpu_trigger(f->v, 0, (1u << 8) | (1u << 0)), 0);
	assert_int_equal(rd32(f->v, 0x44308), 1u << 8);
}

static void test_iir_latches_and_clears_on_write_one(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x44314, 0); /* bank 1 IMR */
	assert_int_equal(med_vgpu_trigger(f->v, 1, 0x11), 0);
	assert_int_equal(rd32(f->v, 0x44318), 0x11);
	wr32(f->v, 0x44318, 0x01);
	assert_int_equal(rd32(f->v, 0x44318), 0x10);
	wr32(f->v, 0x44318, 0xffffffffu);
	assert_int_equal(rd32(f->v, 0x44318), 0);
	/* ISR is read only */
	wr32(f->v, 0x44310, 0xffffffffu);
	assert_int_equal(rd32(f->v, 0x44310), 0);
}

static void test_interrupt_delivered_when_enabled_and_master_on(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x44304, 0);             /* IMR0 */
	wr32(f->v, 0x44200, 0x80000000u);   /* master on, IER0 still 0 */
	assert_int_equal(med_vgpu_trigger(f->v, 0, 1u << 16), 0); /* BCS user interrupt */
	assert_int_equal(rec_count(&f->rec, MED_EV_IRQ), 0);
	assert_int_equal(rd32(f->v, 0x44200), 0x80000000u); /* not enabled: not pending */
	wr32(f->v, 0x4430c, 0xffffffffu);   /* IER0: the pending bit interrupts now */
	assert_int_equal(rec_count(&f->rec, MED_EV_IRQ), 1);
	assert_int_equal(rd32(f->v, 0x44200), 0x80000000u | (1u << 1)); /* GT BCS */
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_IRQ, 0, 0);
	assert_int_equal(e->ev.u.irq.bank, 0);
	assert_int_equal(e->ev.u.irq.iir, 1u << 16);
	/* the guest's handler: master off, clear IIR, master on */
	wr32(f->v, 0x44200, 0);
	wr32(f->v, 0x44308, 1u << 16);
	wr32(f->v, 0x44200, 0x80000000u);
	assert_int_equal(rec_count(&f->rec, MED_EV_IRQ), 1);
	/* an event while the master is off interrupts when it comes back on */
	wr32(f->v, 0x44200, 0);
	assert_int_equal(med_vgpu_trigger(f->v, 0, 1u << 0), 0);
	assert_int_equal(rec_count(&f->rec, MED_EV_IRQ), 1);
	assert_int_equal(rd32(f->v, 0x44200), 1u << 0);
	wr32(f->v, 0x44200, 0x80000000u);
	assert_int_equal(rec_count(&f->rec, MED_EV_IRQ), 2);
	assert_int_equal(med_vgpu_trigger(f->v, 4, 1), -EINVAL);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.irqs, 2);
}

static void test_display_iir_is_write_one_to_clear_storage(void **state)
{
	struct fx *f = *state;
	/* no display model: the guest's own value stays until it clears it */
	wr32(f->v, 0x44408, 0); /* nothing latched */
	assert_int_equal(rd32(f->v, 0x44408), 0);
	wr32(f->v, 0x4440c, 0x5); /* IER storage */
	assert_int_equal(rd32(f->v, 0x4440c), 0x5);
}

static void test_ring_mode_privilege_disable_is_stripped_and_enters_failsafe(void **state)
{
	struct fx *f = *state;
	(void)rd32(f->v, MED_PVINFO_BASE); /* GVT-aware */
	wr32(f->v, RCS + 0x29c, 0x80018001u); /* execlists on + privilege check off */
	assert_int_equal(rd32(f->v, RCS + 0x29c), 0x8000u);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_UNSUPPORTED_GUEST);
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_FAILSAFE, 0, 0);
	assert_non_null(e);
	assert_non_null(strstr(e->text, "privilege"));
	/* a reset clears it */
	assert_int_equal(med_vgpu_reset(f->v), 0);
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
	assert_int_equal(rd32(f->v, RCS + 0x29c), 0);
}

static void test_csfe_chicken1_cross_engine_bits_enter_failsafe(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x20d4, 0x00190019u);
	assert_int_equal(rd32(f->v, 0x20d4), 0x1); /* bits 3, 4 stripped, bit 0 kept */
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_UNSUPPORTED_GUEST);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.failsafe_entries, 1);
}

static void test_execlists_without_pvinfo_mean_not_gvt_aware(void **state)
{
	struct fx *f = *state;
	wr32(f->v, BCS + 0x29c, 0x80008000u);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_UNSUPPORTED_GUEST);
	assert_false(info.pvinfo_read);
}

static void test_execlists_after_pvinfo_are_fine(void **state)
{
	struct fx *f = *state;
	(void)rd32(f->v, MED_PVINFO_BASE + 0x0c);
	wr32(f->v, BCS + 0x29c, 0x80008000u);
	assert_int_equal(rd32(f->v, BCS + 0x29c), 0x8000u);
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	assert_int_equal(info.failsafe, MED_FAILSAFE_NONE);
}

static void test_fences_are_the_vgpus_own_four(void **state)
{
	struct fx *f = *state;
	struct med_vgpu *b = mk_vgpu(f->m, MED_VGPU_TYPE_8);
	for (unsigned n = 0; n < MED_FENCES_PER_VGPU; n++)
		assert_int_equal(med_mmio_write(f->v, MED_FENCE_BASE + 8 * n, 8,
						0x0800000008100001ull + n),
				 0);
	uint64_t v = 0;
	assert_int_equal(med_mmio_read(f->v, MED_FENCE_BASE + 8, 8, &v), 0);
	assert_true(v == 0x0800000008100002ull);
	assert_int_equal(med_mmio_read(b, MED_FENCE_BASE + 8, 8, &v), 0);
	assert_true(v == 0);
	assert_int_equal(med_mmio_write(f->v, MED_FENCE_BASE + 8 * 4, 4, 1), -EINVAL);
	assert_int_equal(med_mmio_read(f->v, MED_FENCE_BASE + 8 * 4, 4, &v), 0);
	assert_true(v == 0);
	struct med_vgpu_info ia = { .sz = sizeof(ia) }, ib = { .sz = sizeof(ib) };
	med_vgpu_info(f->v, &ia);
	med_vgpu_info(b, &ib);
	for (unsigned i = 0; i < MED_FENCES_PER_VGPU; i++) {
		assert_true(ia.fences[i] >= MED_HOST_FENCES && ia.fences[i] < MED_NUM_FENCES);
		for (unsigned k = 0; k < MED_FENCES_PER_VGPU; k++)
			assert_true(ia.fences[i] != ib.fences[k]);
	}
	med_vgpu_destroy(b);
}

static void test_forcewake_ack_mirrors_the_request(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0xa278, 0x00010001u);
	assert_int_equal(rd32(f->v, 0x0d84), 1);
	wr32(f->v, 0xa188, 0x00010001u);
	assert_int_equal(rd32(f->v, 0x130044), 1);
	wr32(f->v, 0xa188, 0x00010000u);
	assert_int_equal(rd32(f->v, 0x130044), 0);
	wr32(f->v, 0x0d84, 0); /* the ack is read only */
	assert_int_equal(rd32(f->v, 0x0d84), 1);
}

static void test_register_table_knows_the_named_registers(void **state)
{
	(void)state;
	struct med_reg_info ri;
	assert_int_equal(med_reg_lookup(9, 0x2230, &ri), 0);
	assert_string_equal(ri.name, "RING_ELSP");
	assert_int_equal(ri.engine, SCAN_RCS);
	assert_true(ri.flags & MED_REG_F_HANDLER);
	assert_int_equal(med_reg_lookup(9, 0x1a230, &ri), 0);
	assert_int_equal(ri.engine, SCAN_VECS);
	assert_int_equal(med_reg_lookup(8, 0x2238, &ri), 0);
	assert_string_equal(ri.name, "RING_EXECLIST_STATUS");
	assert_int_equal(ri.offset, 0x2238);
	assert_int_equal(med_reg_lookup(9, 0x12038, &ri), 0);
	assert_true(ri.flags & MED_REG_F_GMADR);
	assert_int_equal(med_reg_lookup(9, 0x44200, &ri), 0);
	assert_string_equal(ri.name, "GEN8_MASTER_IRQ");
	assert_int_equal(ri.ro_mask, 0x7fffffffu);
	assert_int_equal(med_reg_lookup(9, 0x78123, &ri), 0);
	assert_string_equal(ri.name, "PVINFO");
	assert_int_equal(med_reg_lookup(8, 0xa278, &ri), -ENOENT); /* Gen9 only */
	assert_int_equal(med_reg_lookup(7, 0x2230, &ri), -EINVAL);
	assert_int_equal(med_reg_lookup(9, MED_MMIO_SIZE, &ri), -EINVAL);
}

static void test_ggtt_writes_reach_the_shadow_engine_and_the_gpu_model(void **state)
{
	struct fx *f = *state;
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(f->v, &info);
	uint64_t gma = info.aperture_base + 0x5000;
	uint64_t off = MED_GGTT_OFFSET + (gma >> 12) * 8;
	assert_int_equal(med_mmio_write(f->v, off, 8, 0x300000 | 1), 0);
	uint64_t v = 0;
	assert_int_equal(med_mmio_read(f->v, off, 8, &v), 0);
	assert_true(v == (0x300000 | 1));
	struct shadow_xlate x;
	assert_int_equal(shadow_ggtt_translate(med_vgpu_shadow(f->v), gma, &x), 0);
	assert_true(x.gpa == 0x300000);
	uint64_t hpa = 0;
	assert_int_equal(gpu_ggtt_translate(med_gpu(f->m), gma, &hpa), 0);
	assert_true(hpa == x.hpa);
	gpu_owner_t owner = 0;
	assert_int_equal(gpu_mem_get_owner(med_gpu(f->m), hpa, &owner), 0);
	assert_int_equal(owner, med_vgpu_id(f->v));
	/* two 4-byte halves */
	assert_int_equal(med_mmio_write(f->v, off, 4, 0x301000 | 1), 0);
	assert_int_equal(med_mmio_write(f->v, off + 4, 4, 0), 0);
	assert_int_equal(gpu_ggtt_translate(med_gpu(f->m), gma, &hpa), 0);
	assert_int_equal(shadow_ggtt_translate(med_vgpu_shadow(f->v), gma, &x), 0);
	assert_true(x.gpa == 0x301000 && hpa == x.hpa);
	/* outside the windows: ignored, reads zero */
	uint64_t foreign = MED_GGTT_OFFSET + 8;
	assert_int_equal(med_mmio_write(f->v, foreign, 8, 0x300000 | 1), 0);
	assert_int_equal(med_mmio_read(f->v, foreign, 8, &v), 0);
	assert_true(v == 0);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.ggtt_writes, 4);
	assert_int_equal(rec_count(&f->rec, MED_EV_GGTT_WRITE), 4);
}

static void test_gdrst_completes_at_once(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x941c, 1);
	assert_int_equal(rd32(f->v, 0x941c), 0);
}

static void test_timestamp_follows_the_virtual_clock(void **state)
{
	struct fx *f = *state;
	uint64_t c0 = med_clock(f->m);
	assert_int_equal(med_clock_advance(f->m, 3000000 - c0 % 1000000), 0);
	uint32_t t0 = rd32(f->v, RCS + 0x358);
	assert_int_equal(med_clock_advance(f->m, 1000000), 0); /* 1 ms */
	uint32_t t1 = rd32(f->v, RCS + 0x358);
	assert_int_equal(t1 - t0, 12000); /* 12 MHz on Gen9 */
	assert_true(med_clock(f->m) % 1000000 == 0);
	assert_int_equal(rec_count(&f->rec, MED_EV_CLOCK), 2);
}

static void test_events_are_numbered_in_order(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x1000, 1);
	wr32(f->v, 0x1004, 2);
	(void)rd32(f->v, 0x1000);
	assert_true(f->rec.n >= 3);
	for (size_t i = 1; i < f->rec.n; i++)
		assert_true(f->rec.ev[i].ev.seq > f->rec.ev[i - 1].ev.seq);
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_MMIO_WRITE, 0, 1);
	assert_int_equal(e->ev.u.mmio.offset, 0x1004);
	assert_int_equal(e->ev.u.mmio.value, 2);
	assert_int_equal(e->ev.vgpu, med_vgpu_id(f->v));
	assert_string_equal(med_event_name(MED_EV_SCHED_SWITCH), "sched-switch");
	assert_null(med_event_name(MED_EV_TYPE_COUNT));
}

static void test_reset_restores_initial_registers(void **state)
{
	struct fx *f = *state;
	wr32(f->v, 0x1000, 0x55);
	wr32(f->v, 0x44304, 0);
	assert_int_equal(med_vgpu_reset(f->v), 0);
	assert_int_equal(rd32(f->v, 0x1000), 0);
	assert_int_equal(rd32(f->v, 0x44304), 0xffffffffu);
	assert_int_equal(rd32(f->v, RCS + 0x3a0), 0x0707);
	assert_int_equal(rec_count(&f->rec, MED_EV_VGPU_RESET), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pvinfo_page_describes_the_vgpu_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvinfo_top_half_is_read_only_bottom_half_stores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_mask_register_changes_only_enabled_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_bits_keep_their_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_register_is_plain_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_accesses_say_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elsp_submits_on_the_fourth_write_in_reverse_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elsp_descriptor_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masked_interrupt_does_not_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_latches_and_clears_on_write_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_delivered_when_enabled_and_master_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_display_iir_is_write_one_to_clear_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_mode_privilege_disable_is_stripped_and_enters_failsafe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csfe_chicken1_cross_engine_bits_enter_failsafe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execlists_without_pvinfo_mean_not_gvt_aware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execlists_after_pvinfo_are_fine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fences_are_the_vgpus_own_four, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forcewake_ack_mirrors_the_request, setup, teardown),
		cmocka_unit_test(test_register_table_knows_the_named_registers),
		cmocka_unit_test_setup_teardown(test_ggtt_writes_reach_the_shadow_engine_and_the_gpu_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gdrst_completes_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_follows_the_virtual_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_are_numbered_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_restores_initial_registers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
