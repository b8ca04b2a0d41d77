/* SPDX-License-Identifier: MIT */
/* Mediator: PCI configuration space of the virtual device. */
#include "tests/test_mediator_util.h"

struct fx {
	struct rec rec;
	struct med *m;
	struct med_vgpu *v;
};

/* One mediator per generation; a fresh vGPU and recording per test. */
static struct fx gens[2];

static int group_setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		rec_init(&gens[i].rec);
		struct med_opts o = { .sz = sizeof(o), .gen = 8 + i, .dispatch = MED_DISPATCH_MANUAL,
				      .event = rec_hook, .event_ctx = &gens[i].rec };
		assert_int_equal(med_new(&o, &gens[i].m), 0);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		med_free(gens[i].m);
		rec_fini(&gens[i].rec);
	}
	return 0;
}

static int setup_gen(void **state, unsigned gen)
{
	struct fx *f = &gens[gen - 8];
	f->v = mk_vgpu(f->m, MED_VGPU_TYPE_4);
	rec_reset(&f->rec);
	*state = f;
	return 0;
}

static int setup9(void **state) { return setup_gen(state, 9); }
static int setup8(void **state) { return setup_gen(state, 8); }

static int teardown(void **state)
{
	struct fx *f = *state;
	med_vgpu_destroy(f->v);
	f->v = NULL;
	return 0;
}

static uint32_t cfg(struct fx *f, uint32_t off, unsigned bytes)
{
	uint32_t v = 0;
	assert_int_equal(med_cfg_read(f->v, off, bytes, &v), 0);
	return v;
}

static void cfgw(struct fx *f, uint32_t off, unsigned bytes, uint32_t val)
{
	assert_int_equal(med_cfg_write(f->v, off, bytes, val), 0);
}

static void test_identity_is_an_intel_display_controller(void **state)
{
	struct fx *f = *state;
	assert_int_equal(cfg(f, 0, 2), MED_PCI_VENDOR);
	assert_int_equal(cfg(f, 2, 2), med_gen(f->m) == 8 ? MED_PCI_DEVICE_GEN8 : MED_PCI_DEVICE_GEN9);
	assert_int_equal(cfg(f, 8, 4) >> 8, MED_PCI_CLASS);
	assert_int_equal(cfg(f, 0x0e, 1), 0);   /* type 0 header */
	assert_int_equal(cfg(f, 0x3d, 1), 1);   /* INTA# */
	assert_true(cfg(f, 6, 2) & 0x10);       /* capabilities list */
	/* identity registers ignore writes */
	cfgw(f, 0, 4, 0xffffffffu);
	cfgw(f, 8, 4, 0);
	assert_int_equal(cfg(f, 0, 2), MED_PCI_VENDOR);
	assert_int_equal(cfg(f, 8, 4) >> 8, MED_PCI_CLASS);
}

static void test_bar0_sizes_as_16_mib_64_bit_memory(void **state)
{
	struct fx *f = *state;
	assert_int_equal(cfg(f, 0x10, 4) & 0xf, 0x4);
	cfgw(f, 0x10, 4, 0xffffffffu);
	cfgw(f, 0x14, 4, 0xffffffffu);
	assert_int_equal(cfg(f, 0x10, 4), 0xff000004u);
	assert_int_equal(cfg(f, 0x14, 4), 0xffffffffu);
	/* programming an address keeps it, minus the bits below the size */
	cfgw(f, 0x10, 4, 0xe0123456u);
	cfgw(f, 0x14, 4, 0x1);
	assert_int_equal(cfg(f, 0x10, 4), 0xe0000004u);
	assert_int_equal(cfg(f, 0x14, 4), 0x1);
	/* byte writes into a BAR follow the same rule */
	cfgw(f, 0x11, 1, 0xff);
	assert_int_equal(cfg(f, 0x10, 4), 0xe0000004u);
}

static void test_bar2_sizes_as_the_aperture(void **state)
{
	struct fx *f = *state;
	struct shadow_layout l;
	shadow_get_layout(med_shadow(f->m), &l);
	uint64_t size = 1;
	while (size < l.aperture_size)
		size <<= 1;
	assert_int_equal(cfg(f, 0x18, 4) & 0xf, 0xc); /* 64-bit prefetchable */
	cfgw(f, 0x18, 4, 0xffffffffu);
	assert_int_equal(cfg(f, 0x18, 4), (uint32_t)~(size - 1) | 0xc);
}

static void test_bar4_sizes_as_64_bytes_of_io(void **state)
{
	struct fx *f = *state;
	cfgw(f, 0x20, 4, 0xffffffffu);
	assert_int_equal(cfg(f, 0x20, 4), 0xffffffc1u);
	cfgw(f, 0x24, 4, 0xffffffffu); /* BAR5: not implemented */
	assert_int_equal(cfg(f, 0x24, 4), 0);
}

static void test_command_register_takes_only_its_bits(void **state)
{
	struct fx *f = *state;
	cfgw(f, 4, 2, 0xffff);
	assert_int_equal(cfg(f, 4, 2), 0x0407);
	cfgw(f, 4, 2, 0x0002);
	assert_int_equal(cfg(f, 4, 2), 0x0002);
	cfgw(f, 6, 2, 0xffff); /* status: read only */
	assert_int_equal(cfg(f, 6, 2), 0x0010);
}

static void test_msi_capability_is_in_the_list_and_programmable(void **state)
{
	struct fx *f = *state;
	uint32_t cap = cfg(f, 0x34, 1);
	bool found = false;
	for (unsigned hops = 0; cap && hops < 8; hops++) {
		if (cfg(f, cap, 1) == 0x05) {
			found = true;
			break;
		}
		cap = cfg(f, cap + 1, 1);
	}
	assert_true(found);
	assert_true(cfg(f, cap + 2, 2) & 0x80); /* 64-bit address capable */
	cfgw(f, cap + 4, 4, 0xfee00003u);        /* low bits are reserved */
	cfgw(f, cap + 8, 4, 0);
	cfgw(f, cap + 12, 2, 0x4041);
	cfgw(f, cap + 2, 2, 0x0071);             /* enable; multiple-message bits stay 0 */
	assert_int_equal(cfg(f, cap + 4, 4), 0xfee00000u);
	assert_int_equal(cfg(f, cap + 2, 2), 0x0081);
	/* the MSI the mediator asks the hypervisor to inject */
	wr32(f->v, 0x44304, 0);
	wr32(f->v, 0x4430c, 0xffffffffu);
	wr32(f->v, 0x44200, 0x80000000u);
	assert_int_equal(med_vgpu_trigger(f->v, 0, 1), 0);
	const struct rec_ev *e = rec_find(&f->rec, MED_EV_IRQ, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->ev.u.irq.msi_enabled, 1);
	assert_true(e->ev.u.irq.msi_addr == 0xfee00000u);
	assert_int_equal(e->ev.u.irq.msi_data, 0x4041);
}

static void test_bad_config_accesses_are_refused(void **state)
{
	struct fx *f = *state;
	uint32_t v;
	assert_int_equal(med_cfg_read(f->v, 0x1000, 4, &v), -ERANGE);
	assert_int_equal(med_cfg_read(f->v, 0xffe, 4, &v), -ERANGE);
	assert_int_equal(med_cfg_read(f->v, 0x2, 4, &v), -EINVAL);
	assert_int_equal(med_cfg_write(f->v, 0x0, 8, 0), -EINVAL);
	char msg[256];
	med_vgpu_last_error(f->v, msg, sizeof(msg));
	assert_non_null(strstr(msg, "size"));
	/* extended space: reads zero, ignores writes */
	cfgw(f, 0x100, 4, 0x12345678u);
	assert_int_equal(cfg(f, 0x100, 4), 0);
	struct med_counters c = { .sz = sizeof(c) };
	assert_int_equal(med_counters_vgpu(f->m, med_vgpu_id(f->v), &c), 0);
	assert_int_equal(c.cfg_writes, 1);
	assert_int_equal(rec_count(&f->rec, MED_EV_CFG_READ), 4);
}

static void test_reset_restores_config_space(void **state)
{
	struct fx *f = *state;
	cfgw(f, 4, 2, 0x0007);
	cfgw(f, 0x10, 4, 0xffffffffu);
	assert_int_equal(med_vgpu_reset(f->v), 0);
	assert_int_equal(cfg(f, 4, 2), 0);
	assert_int_equal(cfg(f, 0x10, 4), 0x4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_is_an_intel_display_controller, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_identity_is_an_intel_display_controller, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_bar0_sizes_as_16_mib_64_bit_memory, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_bar2_sizes_as_the_aperture, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_bar4_sizes_as_64_bytes_of_io, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_command_register_takes_only_its_bits, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_msi_capability_is_in_the_list_and_programmable, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_accesses_are_refused, setup9, teardown),
		cmocka_unit_test_setup_teardown(test_reset_restores_config_space, setup9, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
