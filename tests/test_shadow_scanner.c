/* SPDX-License-Identifier: MIT */
/* The scanner reading guest batches through the shadow engine
 * (shadow_scan_mem_init): PPGTT and GGTT batches translate through this
 * vGPU's shadow, and an address the guest did not map is refused, not
 * guessed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/scanner.h"
#include "shadow/shadow.h"

#define MiB (1ull << 20)
#define P SHADOW_PTE_PRESENT
#define MI_NOOP 0x00000000u
#define MI_BATCH_BUFFER_END (0x0Au << 23)

struct env {
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_ppgtt *root;
	struct shadow_windows w;
	struct scan_ctx *scan;
	struct shadow_scan_view view;
	struct scan_mem mem;
};

static void wr64(struct shadow_vgpu *v, uint64_t gpa, uint64_t val)
{
	assert_int_equal(shadow_guest_write_trap(v, gpa, &val, 8), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow_ppgtt_opts ro = SHADOW_PPGTT_OPTS_INIT;
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = SCAN_GEN9 };

	if (!e || shadow_new(NULL, &e->sh))
		return -1;
	vo.mem_size = 64 * MiB;
	if (shadow_vgpu_new(e->sh, &vo, &e->v))
		return -1;
	shadow_vgpu_windows(e->v, &e->w);
	/* PPGTT: gma 0x10000 -> guest frame 0x200 (batch), tables at 0x10.. */
	wr64(e->v, 0x10ull << 12, (0x11ull << 12) | P);
	wr64(e->v, 0x11ull << 12, (0x12ull << 12) | P);
	wr64(e->v, 0x12ull << 12, (0x13ull << 12) | P);
	wr64(e->v, (0x13ull << 12) + 16 * 8, (0x200ull << 12) | P);
	ro.levels = 4;
	ro.pdp[0] = 0x10ull << 12;
	if (shadow_ppgtt_get(e->v, &ro, &e->root) || shadow_ppgtt_pin(e->root))
		return -1;
	/* GGTT: first page of the vGPU's aperture window -> guest frame 0x201 */
	if (shadow_ggtt_write(e->v, (uint32_t)((e->w.aperture_base >> 12) * 8), (0x201ull << 12) | P, 8))
		return -1;
	cfg.part.aperture.base = e->w.aperture_base;
	cfg.part.aperture.size = e->w.aperture_size;
	cfg.part.hidden.base = e->w.hidden_base;
	cfg.part.hidden.size = e->w.hidden_size;
	if (scan_new(&cfg, &e->scan))
		return -1;
	shadow_scan_mem_init(&e->view, &e->mem, e->v, e->root);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	scan_free(e->scan);
	shadow_ppgtt_put(e->root);
	shadow_free(e->sh);
	free(e);
	return 0;
}

static void put_batch(struct env *e, uint64_t gfn)
{
	uint32_t b[4] = { MI_NOOP, MI_NOOP, MI_NOOP, MI_BATCH_BUFFER_END };
	assert_int_equal(shadow_guest_write(e->v, gfn << 12, b, sizeof(b)), 0);
}

static void test_ppgtt_batch_is_read_through_the_shadow(void **state)
{
	struct env *e = *state;
	const struct scan_result *r = NULL;

	put_batch(e, 0x200);
	assert_int_equal(scan_batch(e->scan, SCAN_RCS, &e->mem, 0x10000, SCAN_AS_PPGTT, &r), 0);
	assert_non_null(r);
	assert_true(r->pass);
	assert_int_equal(r->commands, 4);
	assert_true(r->nshadows >= 1);
	assert_int_equal(r->shadows[0].data[3], MI_BATCH_BUFFER_END);
}

static void test_ggtt_batch_is_read_through_the_vgpu_window(void **state)
{
	struct env *e = *state;
	const struct scan_result *r = NULL;

	put_batch(e, 0x201);
	assert_int_equal(scan_batch(e->scan, SCAN_BCS, &e->mem, e->w.aperture_base, SCAN_AS_GGTT, &r), 0);
	assert_non_null(r);
	assert_true(r->pass);
	assert_int_equal(r->commands, 4);
}

static void test_unmapped_batch_address_is_refused(void **state)
{
	struct env *e = *state;
	const struct scan_result *r = NULL;

	/* PPGTT page the guest never mapped, and the host's part of the GGTT */
	assert_int_equal(scan_batch(e->scan, SCAN_RCS, &e->mem, 0x20000, SCAN_AS_PPGTT, &r), 0);
	assert_non_null(r);
	assert_false(r->pass);
	assert_int_equal(scan_batch(e->scan, SCAN_RCS, &e->mem, 0x1000, SCAN_AS_GGTT, &r), 0);
	assert_false(r->pass);
	/* the guest unmaps its batch: the next scan refuses it */
	assert_int_equal(shadow_ppgtt_write(e->v, (0x13ull << 12) + 16 * 8, 0, 8), 0);
	assert_int_equal(scan_batch(e->scan, SCAN_RCS, &e->mem, 0x10000, SCAN_AS_PPGTT, &r), 0);
	assert_false(r->pass);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ppgtt_batch_is_read_through_the_shadow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ggtt_batch_is_read_through_the_vgpu_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_batch_address_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
