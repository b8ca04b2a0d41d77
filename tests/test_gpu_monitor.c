/* SPDX-License-Identifier: MIT */
/* GPU model: the isolation monitor (escapes, faults, policy, threads). */
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

/* GGTT layout: host-owned shadow batches and ring low; vGPU 1 and vGPU 2
 * windows above.  Only the first pages of each window are backed. */
#define BATCH   0x10000ull  /* shadow batch, host pages, read-only for the vGPU */
#define RING    0x30000ull
#define STATUS  0x50000ull  /* vGPU 1's status page (host page) */
#define HOSTBUF 0x60000ull  /* some host page */
#define AP1     0x1000000ull
#define HI1     0x40000000ull
#define AP2     0x2000000ull
#define WIN     0x100000ull /* 1 MiB windows */

#define MI_BB_END    0x05000000u
#define MI_SDI       0x10000002u /* 4 dwords */
#define MI_LRI1      0x11000001u
#define GGTT_BIT     (1u << 22)
#define PIPE_CONTROL 0x7a000004u

static void map(struct gpu *g, uint64_t gma, unsigned pages, gpu_owner_t owner)
{
	for (unsigned i = 0; i < pages; i++) {
		uint64_t hpa;
		assert_int_equal(gpu_mem_alloc_owned(g, owner, &hpa), 0);
		assert_int_equal(gpu_ggtt_set(g, gma + i * 4096ull, hpa | GPU_PTE_PRESENT), 0);
	}
}

static void gwrite(struct gpu *g, uint64_t gma, const void *p, size_t n)
{
	uint64_t hpa;
	assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
	assert_int_equal(gpu_mem_write(g, hpa, p, n), 0);
}

static uint32_t gread32(struct gpu *g, uint64_t gma)
{
	uint64_t hpa;
	uint32_t v;
	assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
	assert_int_equal(gpu_mem_read(g, hpa, &v, 4), 0);
	return v;
}

static struct gpu *make(bool contain, size_t cap)
{
	struct gpu_opts o = {.sz = sizeof(o), .contain_escapes = contain, .escape_log_cap = cap};
	struct gpu *g;
	assert_int_equal(gpu_create(&o, &g), 0);
	map(g, BATCH, 4, GPU_OWNER_HOST);
	map(g, RING, 1, GPU_OWNER_HOST);
	map(g, STATUS, 1, GPU_OWNER_HOST);
	map(g, HOSTBUF, 1, GPU_OWNER_HOST);
	map(g, AP1, 4, 1);
	map(g, HI1, 1, 1);
	map(g, AP2, 4, 2);
	return g;
}

static int setup(void **state)
{
	*state = make(false, 0);
	return 0;
}

static int teardown(void **state)
{
	gpu_destroy(*state);
	return 0;
}

static const struct gpu_range shadow_ro[] = {{BATCH, 4 * 4096, GPU_AS_GGTT}};
static const struct gpu_reg_range gprs[] = {{0x2600, 0x267c}, {0x22600, 0x2267c}};

static struct gpu_submit vgpu1(enum gpu_engine e, uint64_t batch)
{
	struct gpu_submit s = {
		.sz = sizeof(s), .vgpu = 1, .engine = e, .batch = batch, .batch_as = GPU_AS_GGTT,
		.part = {AP1, WIN, HI1, WIN}, .status_page = STATUS, .status_page_size = 4096,
		.ro = shadow_ro, .n_ro = 1, .regs = gprs, .n_regs = 2,
	};
	return s;
}

static struct gpu_completion exec(struct gpu *g, const struct gpu_submit *s)
{
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, s, &c), 0);
	return c;
}

/* Runs `dw` as vGPU 1's shadow batch on RCS. */
static struct gpu_completion run1(struct gpu *g, const uint32_t *dw, size_t n)
{
	gwrite(g, BATCH, dw, n * 4);
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	return exec(g, &s);
}

static struct gpu_escape first(struct gpu *g)
{
	struct gpu_escape e;
	assert_int_equal(gpu_escape_get(g, 0, &e), 0);
	return e;
}

/* ---------------------------------------------------------- memory */

static void test_sdi_into_own_windows_is_not_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, AP1 + 0x100, 0, 1,
			      MI_SDI | GGTT_BIT, HI1 + 0x8, 0, 2, MI_BB_END};
	struct gpu_completion c = run1(g, b, 9);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 0);
	assert_int_equal(gpu_escape_count(g), 0);
	assert_int_equal(gread32(g, AP1 + 0x100), 1);
	assert_int_equal(gread32(g, HI1 + 0x8), 2);
}

static void test_sdi_to_another_vgpus_page_is_an_escape(void **state)
{
	struct gpu *g = *state;
	/* A GGTT entry inside vGPU 1's aperture wrongly points at vGPU 2's page. */
	uint64_t pte;
	assert_int_equal(gpu_ggtt_get(g, AP2, &pte), 0);
	assert_int_equal(gpu_ggtt_set(g, AP1 + 0x3000, pte), 0);
	const uint32_t sdi = MI_SDI | GGTT_BIT;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, AP1 + 0x100, 0, 1,
			      sdi, AP1 + 0x3010, 0, 0x666, MI_BB_END};
	struct gpu_completion c = run1(g, b, 9);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(gpu_escape_count(g), 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.kind, GPU_ESC_MEM_WRITE);
	assert_int_equal(e.why, GPU_WHY_FOREIGN_PAGE);
	assert_int_equal(e.vgpu, 1);
	assert_int_equal(e.engine, GPU_RCS);
	assert_int_equal(e.as, GPU_AS_GGTT);
	assert_int_equal(e.addr, AP1 + 0x3010);
	assert_int_equal(e.size, 4);
	assert_int_equal(e.hpa, (pte & GPU_PTE_ADDR_MASK) + 0x10);
	assert_int_equal(e.hpa_owner, 2);
	assert_int_equal(e.cmd, sdi);
	assert_int_equal(e.cmd_gma, BATCH + 16);
	assert_int_equal(e.cmd_as, GPU_AS_GGTT);
	assert_int_equal(c.first_escape_seq, e.seq);
	/* Not contained: the hardware did write it. */
	assert_int_equal(gread32(g, AP2 + 0x10), 0x666);
}

/* MI_UPDATE_GTT from a vGPU changes the GTT behind the mediator: always an
 * escape, whatever entries it writes, and the host GGTT stays as it was. */
static void test_update_gtt_is_an_escape(void **state)
{
	struct gpu *g = *state;
	uint64_t before, after;
	assert_int_equal(gpu_ggtt_get(g, AP1, &before), 0);
	const uint32_t b[] = {0x11800002u, 0x1000, 0x00000003, 0, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.kind, GPU_ESC_MEM_WRITE);
	assert_int_equal(e.why, GPU_WHY_GTT_WRITE);
	assert_int_equal(e.addr, 0x1000);
	assert_int_equal(e.size, 8);
	assert_int_equal(e.cmd, 0x11800002u);
	assert_int_equal(gpu_ggtt_get(g, AP1, &after), 0);
	assert_true(before == after);
}

static void test_sdi_into_another_vgpus_window_is_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, AP2 + 0x20, 0, 7, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.why, GPU_WHY_OUTSIDE_WINDOWS);
	assert_int_equal(e.hpa_owner, 2);
}

static void test_ggtt_write_outside_the_windows_is_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, HOSTBUF + 0x40, 0, 9, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.kind, GPU_ESC_MEM_WRITE);
	assert_int_equal(e.why, GPU_WHY_OUTSIDE_WINDOWS);
	assert_int_equal(e.addr, HOSTBUF + 0x40);
	assert_int_equal(e.hpa_owner, GPU_OWNER_HOST);
}

static void test_write_range_straddling_a_window_end_is_an_escape(void **state)
{
	struct gpu *g = *state;
	map(g, AP1 + WIN, 1, 1); /* vGPU 1's page, but the GGTT slot is past its window */
	uint64_t last = AP1 + WIN - 4;
	map(g, AP1 + WIN - 4096, 1, 1);
	const uint32_t b[] = {MI_SDI | GGTT_BIT | (1u << 21) | 1, (uint32_t)last, 0, 1, 2, MI_BB_END};
	struct gpu_completion c = run1(g, b, 6);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.addr, AP1 + WIN);
	assert_int_equal(e.why, GPU_WHY_OUTSIDE_WINDOWS);
}

static void test_write_into_read_only_shadow_batch_is_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, BATCH + 0x800, 0, 0x5eed, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.why, GPU_WHY_READ_ONLY);
	assert_int_equal(e.kind, GPU_ESC_MEM_WRITE);
}

static void test_status_page_write_is_allowed(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, STATUS + 0x30, 0, 0xabc, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.escapes, 0);
	assert_int_equal(gread32(g, STATUS + 0x30), 0xabc);
}

static void test_ring_fetch_is_allowed_and_ring_write_is_not(void **state)
{
	struct gpu *g = *state;
	const uint32_t r[] = {MI_SDI | GGTT_BIT, RING + 0x800, 0, 1};
	gwrite(g, RING, r, sizeof(r));
	struct gpu_submit s = vgpu1(GPU_RCS, 0);
	s.ring_start = RING;
	s.ring_size = 4096;
	s.tail = sizeof(r);
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).why, GPU_WHY_READ_ONLY);
}

static void test_store_index_into_the_host_status_page_is_an_escape(void **state)
{
	struct gpu *g = *state;
	/* The engine's global status page is the host's. */
	assert_int_equal(gpu_reg_write(g, GPU_RCS, 0x2080, (uint32_t)HOSTBUF), 0);
	const uint32_t b[] = {PIPE_CONTROL, (1u << 21) | (1u << 14), 0x10, 0, 5, 0, MI_BB_END};
	struct gpu_completion c = run1(g, b, 7);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.addr, HOSTBUF + 0x10);
	assert_int_equal(e.size, 8);
	assert_int_equal(e.cmd, PIPE_CONTROL);
}

static void test_blit_outside_the_windows_escapes_row_by_row(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {0x54300005u, (3u << 24) | (0xf0u << 16) | 64, 0, (4u << 16) | 16,
			      (uint32_t)HOSTBUF, 0, 0xffffffff, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_BCS, BATCH);
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 4); /* four rows written */
	assert_int_equal(first(g).kind, GPU_ESC_MEM_WRITE);
	assert_int_equal(first(g).cmd, 0x54300005u);
}

/* ----------------------------------------------------------- PPGTT */

static void set_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t v)
{
	assert_int_equal(gpu_mem_write(g, table + idx * 8ull, &v, 8), 0);
}

static void test_ppgtt_write_into_a_page_table_page_is_an_escape(void **state)
{
	struct gpu *g = *state;
	uint64_t t[4], own;
	for (int i = 0; i < 4; i++)
		assert_int_equal(gpu_mem_alloc_page(g, &t[i]), 0); /* host-owned tables */
	assert_int_equal(gpu_mem_alloc_owned(g, 1, &own), 0);
	for (int i = 0; i < 3; i++)
		set_entry(g, t[i], 0, t[i + 1] | 3);
	set_entry(g, t[3], 0, own | 3);
	set_entry(g, t[3], 1, t[3] | 3); /* gma 0x1000 maps the page table itself */
	const uint32_t b[] = {MI_SDI, 0x10, 0, 1,            /* own page: fine */
			      MI_SDI, 0x1008, 0, 0x41414141, /* into the PT */
			      MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_VCS, BATCH);
	s.ppgtt.levels = 4;
	s.ppgtt.pdp[0] = t[0];
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.as, GPU_AS_PPGTT);
	assert_int_equal(e.why, GPU_WHY_HOST_PAGE);
	assert_int_equal(e.hpa, t[3] + 8);
	assert_int_equal(e.engine, GPU_VCS);
}

static void test_page_fault_is_recorded_but_is_not_an_escape(void **state)
{
	struct gpu *g = *state;
	uint64_t pml4;
	assert_int_equal(gpu_mem_alloc_page(g, &pml4), 0);
	const uint32_t b[] = {MI_SDI, 0x10, 0, 1, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.ppgtt.levels = 4;
	s.ppgtt.pdp[0] = pml4;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 0);
	assert_int_equal(c.faults, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.kind, GPU_ESC_PAGE_FAULT);
	assert_int_equal(e.why, GPU_WHY_NOT_PRESENT);
	struct gpu_stats st = {.sz = sizeof(st)};
	assert_int_equal(gpu_stats_get(g, 1, &st), 0);
	assert_int_equal(st.escapes, 0);
	assert_int_equal(st.faults, 1);
}

/* -------------------------------------------------------- registers */

/* The register oracle judges register writes by itself: a host register
 * (INSTPM's TLB-invalidate and sync bits, engine control) is an escape
 * whatever the submission's extra restriction says. */
static void test_lri_to_a_host_register_is_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {0x11000003u, 0x2600, 1, 0x20c0, 0x12345678, MI_BB_END};
	struct gpu_completion c = run1(g, b, 6);
	assert_int_equal(c.escapes, 1);
	struct gpu_escape e = first(g);
	assert_int_equal(e.kind, GPU_ESC_REG_WRITE);
	assert_int_equal(e.why, GPU_WHY_REG_HOST);
	assert_int_equal(e.addr, 0x20c0);
	assert_int_equal(e.value, 0x12345678);
	assert_int_equal(e.cmd, 0x11000003u);
}

static void test_lri_to_a_context_register_is_not_an_escape(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {0x11000005u, 0x7034, 0x60000060, 0x7004, 0x02120212, 0x2608, 7,
			      MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.regs = NULL;
	s.n_regs = 0;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.escapes, 0);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, 0x7034, &v), 0);
	assert_int_equal(v, 0x60000060);
}

/* The submission's table is an extra restriction: a context register
 * outside it is refused (`register-denied`) ... */
static void test_extra_restriction_refuses_a_context_register_outside_it(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_LRI1, 0x7034, 0x60000060, MI_BB_END};
	struct gpu_completion c = run1(g, b, 4);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).why, GPU_WHY_REG_DENIED);
}

/* ... and it never admits what the oracle refuses. */
static void test_extra_restriction_never_admits_a_host_register(void **state)
{
	struct gpu *g = *state;
	static const struct gpu_reg_range all[] = {{0, 0x7ffffc}};
	const uint32_t b[] = {MI_LRI1, 0x44200, 0, MI_BB_END}; /* GEN8_MASTER_IRQ */
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.regs = all;
	s.n_regs = 1;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).why, GPU_WHY_REG_HOST);
	assert_int_equal(first(g).addr, 0x44200);
}

/* Value-aware: GFX_MODE is masked; enabling its privilege-disable bit is an
 * escape, a write that enables no bit changes nothing. */
static void test_ring_mode_privilege_bit_is_an_escape_and_an_empty_mask_is_not(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {0x11000003u, 0x229c, 0x00000001, 0x229c, 0x00010001, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.regs = NULL;
	s.n_regs = 0;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).value, 0x00010001);
	assert_int_equal(first(g).why, GPU_WHY_REG_HOST);
}

/* A global register the host switches per vGPU (MOCS) is the vGPU's only
 * when the device is told the host switches it. */
static void test_switched_register_is_an_escape_unless_the_host_switches_it(void **state)
{
	(void)state;
	for (int sw = 0; sw < 2; sw++) {
		struct gpu_opts o = {.sz = sizeof(o), .switches_vgpu_regs = sw};
		struct gpu *g;
		assert_int_equal(gpu_create(&o, &g), 0);
		map(g, BATCH, 4, GPU_OWNER_HOST);
		map(g, STATUS, 1, GPU_OWNER_HOST);
		map(g, AP1, 4, 1);
		map(g, HI1, 1, 1);
		const uint32_t b[] = {MI_LRI1, 0xc800, 0x3b, MI_BB_END}; /* MOCS_RCS[0] */
		gwrite(g, BATCH, b, sizeof(b));
		struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
		s.regs = NULL;
		s.n_regs = 0;
		struct gpu_completion c = exec(g, &s);
		assert_int_equal(c.escapes, sw ? 0 : 1);
		if (!sw)
			assert_int_equal(first(g).why, GPU_WHY_REG_SHARED);
		gpu_destroy(g);
	}
}

static bool allow_odd_dwords(void *ctx, gpu_owner_t vgpu, enum gpu_engine e, uint32_t reg,
			     uint32_t value)
{
	int *calls = ctx;
	(*calls)++;
	return vgpu == 1 && e == GPU_RCS && (reg & 4) && value != 0xdead;
}

static void test_register_policy_callback_decides(void **state)
{
	struct gpu *g = *state;
	int calls = 0;
	const uint32_t b[] = {0x11000003u, 0x7004, 1, 0x7008, 2, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.n_regs = 0;
	s.regs = NULL;
	s.reg_allow = allow_odd_dwords;
	s.reg_allow_ctx = &calls;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(calls, 2);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).addr, 0x7008);
}

/* The extra restriction sees the value written. */
static void test_register_policy_callback_sees_the_value(void **state)
{
	struct gpu *g = *state;
	int calls = 0;
	const uint32_t b[] = {0x11000003u, 0x7004, 1, 0x7004, 0xdead, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.n_regs = 0;
	s.regs = NULL;
	s.reg_allow = allow_odd_dwords;
	s.reg_allow_ctx = &calls;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(calls, 2);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(first(g).addr, 0x7004);
}

/* ------------------------------------------------ options and queries */

static void test_host_work_is_not_monitored(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, AP2, 0, 1, MI_LRI1, 0x20c0, 1, MI_BB_END};
	gwrite(g, BATCH, b, sizeof(b));
	struct gpu_submit s = vgpu1(GPU_RCS, BATCH);
	s.vgpu = GPU_OWNER_HOST;
	struct gpu_completion c = exec(g, &s);
	assert_int_equal(c.escapes, 0);
	assert_int_equal(gpu_escape_count(g), 0);
	assert_int_equal(gread32(g, AP2), 1);
}

static void test_contained_escapes_do_not_touch_memory_or_registers(void **state)
{
	(void)state;
	struct gpu *g = make(true, 0);
	const uint32_t b[] = {MI_SDI | GGTT_BIT, AP2 + 4, 0, 0x666, MI_LRI1, 0x20c0, 0x77,
			      MI_SDI | GGTT_BIT, AP1 + 4, 0, 0x1, MI_BB_END};
	struct gpu_completion c = run1(g, b, 12);
	assert_int_equal(c.escapes, 2);
	assert_int_equal(gread32(g, AP2 + 4), 0);
	assert_int_equal(gread32(g, AP1 + 4), 1);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, 0x20c0, &v), 0);
	assert_int_equal(v, 0);
	gpu_destroy(g);
}

static void test_escape_log_keeps_the_first_records_and_counts_the_rest(void **state)
{
	(void)state;
	struct gpu *g = make(false, 2);
	uint32_t b[5 * 4 + 1];
	for (int i = 0; i < 5; i++) {
		b[4 * i] = MI_SDI | GGTT_BIT;
		b[4 * i + 1] = (uint32_t)(HOSTBUF + 4 * i);
		b[4 * i + 2] = 0;
		b[4 * i + 3] = (uint32_t)i;
	}
	b[20] = MI_BB_END;
	struct gpu_completion c = run1(g, b, 21);
	assert_int_equal(c.escapes, 5);
	assert_int_equal(gpu_escape_count(g), 2);
	assert_int_equal(first(g).addr, HOSTBUF);
	struct gpu_escape e;
	assert_int_equal(gpu_escape_get(g, 2, &e), -ENOENT);
	struct gpu_stats st = {.sz = sizeof(st)};
	assert_int_equal(gpu_stats_get(g, GPU_STATS_ALL, &st), 0);
	assert_int_equal(st.escapes, 5);
	assert_int_equal(st.mem_writes, 5);
	assert_int_equal(st.dropped, 3);
	gpu_escape_clear(g);
	assert_int_equal(gpu_escape_count(g), 0);
	assert_int_equal(gpu_stats_get(g, GPU_STATS_ALL, &st), 0);
	assert_int_equal(st.escapes, 0);
	gpu_destroy(g);
}

static void test_stats_are_kept_per_vgpu(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, HOSTBUF, 0, 1, MI_BB_END};
	run1(g, b, 5);
	struct gpu_stats s1 = {.sz = sizeof(s1)}, s2 = {.sz = sizeof(s2)};
	assert_int_equal(gpu_stats_get(g, 1, &s1), 0);
	assert_int_equal(gpu_stats_get(g, 2, &s2), 0);
	assert_int_equal(s1.escapes, 1);
	assert_int_equal(s2.escapes, 0);
	assert_int_equal(gpu_stats_get(g, 200, &s2), -ENOENT);
}

static void test_escape_format_names_vgpu_engine_address_and_command(void **state)
{
	struct gpu *g = *state;
	const uint32_t b[] = {MI_SDI | GGTT_BIT, HOSTBUF + 0x40, 0, 9, MI_BB_END};
	run1(g, b, 5);
	struct gpu_escape e = first(g);
	char line[256];
	assert_true(gpu_escape_format(&e, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "vgpu 1"));
	assert_non_null(strstr(line, "rcs"));
	assert_non_null(strstr(line, "mem-write"));
	assert_non_null(strstr(line, "0x60040"));
	assert_non_null(strstr(line, "outside-windows"));
	assert_non_null(strstr(line, "0x10400002"));
}

/* ---------------------------------------------------------- threads */

struct worker {
	struct gpu *g;
	enum gpu_engine e;
	gpu_owner_t vgpu;
	uint64_t batch, win;
	bool escape;
	struct gpu_completion c;
	int err;
};

static void *work(void *p)
{
	struct worker *w = p;
	const struct gpu_range ro = {w->batch, 4096, GPU_AS_GGTT};
	struct gpu_submit s = {.sz = sizeof(s), .vgpu = w->vgpu, .engine = w->e, .batch = w->batch,
			       .batch_as = GPU_AS_GGTT, .part = {w->win, WIN, 0, 0}, .ro = &ro,
			       .n_ro = 1};
	w->c.sz = sizeof(w->c);
	for (int i = 0; i < 20 && !w->err; i++)
		w->err = gpu_exec(w->g, &s, &w->c);
	return NULL;
}

static void test_engines_execute_concurrently_on_their_own_threads(void **state)
{
	(void)state;
	struct gpu *g = make(false, 0);
	struct worker w[GPU_NUM_ENGINES];
	pthread_t t[GPU_NUM_ENGINES];
	for (int i = 0; i < GPU_NUM_ENGINES; i++) {
		w[i] = (struct worker){.g = g, .e = (enum gpu_engine)i, .vgpu = (gpu_owner_t)(10 + i),
				       .batch = 0x80000 + 0x1000ull * i, .win = 0x4000000 + WIN * i,
				       .escape = i == GPU_VECS};
		map(g, w[i].batch, 1, GPU_OWNER_HOST);
		map(g, w[i].win, 1, w[i].vgpu);
		uint32_t b[4 * 100 + 5], n = 0;
		for (uint32_t k = 0; k < 100; k++) {
			b[n++] = MI_SDI | GGTT_BIT;
			b[n++] = (uint32_t)(w[i].win + 4 * k);
			b[n++] = 0;
			b[n++] = (uint32_t)(i * 1000 + k);
		}
		if (w[i].escape) {
			b[n++] = MI_SDI | GGTT_BIT;
			b[n++] = (uint32_t)(HOSTBUF + 0x100);
			b[n++] = 0;
			b[n++] = 1;
		}
		b[n++] = MI_BB_END;
		gwrite(g, w[i].batch, b, n * 4);
	}
	for (int i = 0; i < GPU_NUM_ENGINES; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < GPU_NUM_ENGINES; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < GPU_NUM_ENGINES; i++) {
		assert_int_equal(w[i].err, 0);
		assert_int_equal(w[i].c.status, GPU_DONE);
		assert_int_equal(w[i].c.escapes, w[i].escape ? 1 : 0);
		for (uint32_t k = 0; k < 100; k += 33)
			assert_int_equal(gread32(g, w[i].win + 4 * k), (uint32_t)(i * 1000 + k));
	}
	struct gpu_stats st = {.sz = sizeof(st)};
	assert_int_equal(gpu_stats_get(g, GPU_STATS_ALL, &st), 0);
	assert_int_equal(st.escapes, 20);
	assert_int_equal(gpu_stats_get(g, 10 + GPU_VECS, &st), 0);
	assert_int_equal(st.escapes, 20);
	gpu_destroy(g);
}

struct reentry {
	struct gpu *g;
	int exec_err, reg_err, other_err;
};

static void reenter(void *ctx, const struct gpu_escape *e)
{
	struct reentry *r = ctx;
	(void)e;
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH};
	struct gpu_completion c = {.sz = sizeof(c)};
	uint32_t v;
	r->exec_err = gpu_exec(r->g, &s, &c);
	r->reg_err = gpu_reg_read(r->g, GPU_RCS, 0x2600, &v);
	r->other_err = gpu_reg_read(r->g, GPU_BCS, 0x22600, &v);
}

static void test_a_running_engine_is_busy_to_other_callers(void **state)
{
	(void)state;
	struct reentry r = {0};
	struct gpu_opts o = {.sz = sizeof(o), .on_escape = reenter, .on_escape_ctx = &r};
	struct gpu *g;
	assert_int_equal(gpu_create(&o, &g), 0);
	r.g = g;
	map(g, BATCH, 1, GPU_OWNER_HOST);
	map(g, HOSTBUF, 1, GPU_OWNER_HOST);
	const uint32_t b[] = {MI_SDI | GGTT_BIT, HOSTBUF, 0, 1, MI_BB_END};
	struct gpu_completion c = run1(g, b, 5);
	assert_int_equal(c.escapes, 1);
	assert_int_equal(r.exec_err, -EBUSY);
	assert_int_equal(r.reg_err, -EBUSY);
	assert_int_equal(r.other_err, 0);
	gpu_destroy(g);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_sdi_into_own_windows_is_not_an_escape),
		T(test_sdi_to_another_vgpus_page_is_an_escape),
		T(test_sdi_into_another_vgpus_window_is_an_escape),
		T(test_update_gtt_is_an_escape),
		T(test_ggtt_write_outside_the_windows_is_an_escape),
		T(test_write_range_straddling_a_window_end_is_an_escape),
		T(test_write_into_read_only_shadow_batch_is_an_escape),
		T(test_status_page_write_is_allowed),
		T(test_ring_fetch_is_allowed_and_ring_write_is_not),
		T(test_store_index_into_the_host_status_page_is_an_escape),
		T(test_blit_outside_the_windows_escapes_row_by_row),
		T(test_ppgtt_write_into_a_page_table_page_is_an_escape),
		T(test_page_fault_is_recorded_but_is_not_an_escape),
		T(test_lri_to_a_host_register_is_an_escape),
		T(test_lri_to_a_context_register_is_not_an_escape),
		T(test_extra_restriction_refuses_a_context_register_outside_it),
		T(test_extra_restriction_never_admits_a_host_register),
		T(test_ring_mode_privilege_bit_is_an_escape_and_an_empty_mask_is_not),
		cmocka_unit_test(test_switched_register_is_an_escape_unless_the_host_switches_it),
		T(test_register_policy_callback_decides),
		T(test_register_policy_callback_sees_the_value),
		T(test_host_work_is_not_monitored),
		cmocka_unit_test(test_contained_escapes_do_not_touch_memory_or_registers),
		cmocka_unit_test(test_escape_log_keeps_the_first_records_and_counts_the_rest),
		T(test_stats_are_kept_per_vgpu),
		T(test_escape_format_names_vgpu_engine_address_and_command),
		cmocka_unit_test(test_engines_execute_concurrently_on_their_own_threads),
		cmocka_unit_test(test_a_running_engine_is_busy_to_other_callers),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
