/* SPDX-License-Identifier: MIT */
/* GPU model: the command streamer executes MI commands, batches, rings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"

/* ------------------------------------------------------------ fixture */

#define BATCH  0x10000ull /* GGTT: batches */
#define BATCH2 0x11000ull
#define BATCH3 0x12000ull
#define DATA   0x20000ull /* GGTT: results */
#define RING   0x30000ull

#define MI(op)        ((uint32_t)(op) << 23)
#define MI_NOOP       0u
#define MI_USER_INT   MI(0x02)
#define MI_BB_END     MI(0x0a)
#define MI_PREDICATE  MI(0x0c)
#define MI_MATH(n)    (MI(0x1a) | ((n) - 1))
#define MI_SEM_WAIT   (MI(0x1c) | 2)
#define MI_SDI(n)     (MI(0x20) | ((n) - 2))
#define MI_LRI(pairs) (MI(0x22) | (2 * (pairs) - 1))
#define MI_SRM        (MI(0x24) | 2)
#define MI_FLUSH_DW   (MI(0x26) | 3)
#define MI_LRM        (MI(0x29) | 2)
#define MI_LRR        (MI(0x2a) | 1)
#define MI_COPY_MM    (MI(0x2e) | 3)
#define MI_ATOMIC(n)  (MI(0x2f) | ((n) - 2))
#define MI_BB_START   (MI(0x31) | 1)
#define MI_COND_BBE   (MI(0x36) | 2)
#define GGTT_BIT      (1u << 22)
#define PIPE_CONTROL  0x7a000004u
#define PRIM_3D       0x7b000005u
#define GPGPU_WALKER  0x7105000du

#define ALU(op, a, b) (((uint32_t)(op) << 20) | ((uint32_t)(a) << 10) | (uint32_t)(b))
#define SRCA 0x20
#define SRCB 0x21
#define ACCU 0x31
#define ZF   0x32
#define CF   0x33

#define GPR(n) (0x2600u + 8u * (n))

struct batch {
	uint32_t dw[512];
	unsigned n;
};

static void emitv(struct batch *b, const uint32_t *dw, unsigned n)
{
	assert_true(b->n + n <= 512);
	memcpy(b->dw + b->n, dw, n * 4);
	b->n += n;
}
#define EMIT(b, ...) emitv((b), (const uint32_t[]){__VA_ARGS__}, \
			   sizeof((const uint32_t[]){__VA_ARGS__}) / 4)

static void ggtt_map(struct gpu *g, uint64_t gma, unsigned pages, gpu_owner_t owner)
{
	for (unsigned i = 0; i < pages; i++) {
		uint64_t hpa;
		assert_int_equal(gpu_mem_alloc_owned(g, owner, &hpa), 0);
		assert_int_equal(gpu_ggtt_set(g, gma + i * 4096ull, hpa | GPU_PTE_PRESENT), 0);
	}
}

static void ggtt_write(struct gpu *g, uint64_t gma, const void *p, size_t n)
{
	uint64_t hpa;
	assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
	assert_int_equal(gpu_mem_write(g, hpa, p, n), 0);
}

static uint32_t ggtt_read32(struct gpu *g, uint64_t gma)
{
	uint64_t hpa;
	uint32_t v;
	assert_int_equal(gpu_ggtt_translate(g, gma, &hpa), 0);
	assert_int_equal(gpu_mem_read(g, hpa, &v, 4), 0);
	return v;
}

static uint64_t ggtt_read64(struct gpu *g, uint64_t gma)
{
	return ggtt_read32(g, gma) | (uint64_t)ggtt_read32(g, gma + 4) << 32;
}

static void put_batch(struct gpu *g, uint64_t gma, const struct batch *b)
{
	ggtt_write(g, gma, b->dw, b->n * 4);
}

static struct gpu_completion run_on(struct gpu *g, enum gpu_engine e, uint64_t gma)
{
	struct gpu_submit s = {.sz = sizeof(s), .engine = e, .batch = gma, .batch_as = GPU_AS_GGTT};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	return c;
}

static struct gpu_completion run(struct gpu *g, uint64_t gma)
{
	return run_on(g, GPU_RCS, gma);
}

static int setup(void **state)
{
	struct gpu *g;
	if (gpu_create(NULL, &g))
		return -1;
	ggtt_map(g, BATCH, 3, GPU_OWNER_HOST);
	ggtt_map(g, DATA, 2, GPU_OWNER_HOST);
	ggtt_map(g, RING, 1, GPU_OWNER_HOST);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	gpu_destroy(*state);
	return 0;
}

/* ------------------------------------------------------------- stores */

static void test_sdi_writes_dword_and_qword(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA + 0x10, 0, 0x11223344);
	EMIT(&b, MI_SDI(5) | GGTT_BIT | (1u << 21), DATA + 0x18, 0, 0xaabbccdd, 0x55667788);
	EMIT(&b, MI_BB_END);
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.commands, 3);
	assert_int_equal(ggtt_read32(g, DATA + 0x10), 0x11223344);
	assert_int_equal(ggtt_read64(g, DATA + 0x18), 0x55667788aabbccddull);
	assert_int_equal(ggtt_read32(g, DATA + 0x14), 0);
}

static void test_lri_then_srm_round_trips(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_LRI(2), GPR(3), 0xdeadbeef, GPR(3) + 4, 0x01234567);
	EMIT(&b, MI_SRM | GGTT_BIT, GPR(3), DATA, 0);
	EMIT(&b, MI_SRM | GGTT_BIT, GPR(3) + 4, DATA + 4, 0);
	EMIT(&b, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read64(g, DATA), 0x01234567deadbeefull);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, GPR(3), &v), 0);
	assert_int_equal(v, 0xdeadbeef);
}

static void test_lri_byte_write_disables_keep_those_bytes(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_reg_write(g, GPU_RCS, 0x7300, 0x11223344), 0);
	struct batch b = {0};
	/* Disable bytes 0 and 2. */
	EMIT(&b, MI_LRI(1) | (0x5u << 8), 0x7300, 0xaabbccdd, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, 0x7300, &v), 0);
	assert_int_equal(v, 0xaa22cc44);
}

static void test_lrm_loads_and_lrr_copies_registers(void **state)
{
	struct gpu *g = *state;
	uint32_t val = 0xcafef00d;
	ggtt_write(g, DATA + 0x40, &val, 4);
	struct batch b = {0};
	EMIT(&b, MI_LRM | GGTT_BIT, GPR(0), DATA + 0x40, 0);
	EMIT(&b, MI_LRR, GPR(0), GPR(5));
	EMIT(&b, MI_SRM | GGTT_BIT, GPR(5), DATA + 0x44, 0);
	EMIT(&b, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	assert_int_equal(ggtt_read32(g, DATA + 0x44), 0xcafef00d);
}

static void test_copy_mem_mem_copies_a_dword(void **state)
{
	struct gpu *g = *state;
	uint32_t val = 0x600df00d;
	ggtt_write(g, DATA + 0x80, &val, 4);
	struct batch b = {0};
	EMIT(&b, MI_COPY_MM | (1u << 22) | (1u << 21), DATA + 0x84, 0, DATA + 0x80, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	assert_int_equal(ggtt_read32(g, DATA + 0x84), 0x600df00d);
}

/* ------------------------------------------------------------ MI_MATH */

static void test_math_sub_sets_carry_and_add_sets_zero(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_LRI(4), GPR(0), 5, GPR(0) + 4, 0, GPR(1), 7, GPR(1) + 4, 0);
	EMIT(&b, MI_MATH(5), ALU(0x080, SRCA, 0), ALU(0x080, SRCB, 1), ALU(0x101, 0, 0),
	     ALU(0x180, 2, ACCU), ALU(0x180, 3, CF));
	/* R4 = R2 + 2 (= 0 with carry): LOAD1 twice is 1 + 1, so build 2 first. */
	EMIT(&b, MI_MATH(8), ALU(0x481, SRCA, 0), ALU(0x481, SRCB, 0), ALU(0x100, 0, 0),
	     ALU(0x180, 6, ACCU), ALU(0x080, SRCA, 2), ALU(0x080, SRCB, 6), ALU(0x100, 0, 0),
	     ALU(0x180, 4, ZF));
	for (unsigned r = 2; r <= 4; r++)
		EMIT(&b, MI_SRM | GGTT_BIT, GPR(r), DATA + 8 * r, 0,
		     MI_SRM | GGTT_BIT, GPR(r) + 4, DATA + 8 * r + 4, 0);
	EMIT(&b, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read64(g, DATA + 16), (uint64_t)5 - 7); /* wraps */
	assert_int_equal(ggtt_read64(g, DATA + 24), ~0ull);           /* borrow */
	assert_int_equal(ggtt_read64(g, DATA + 32), ~0ull);           /* -2 + 2 == 0 */
}

static void test_math_logic_ops_and_storeinv(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_LRI(2), GPR(0), 0xff00ff00, GPR(1), 0x0ff00ff0);
	EMIT(&b, MI_MATH(10), ALU(0x080, SRCA, 0), ALU(0x080, SRCB, 1),
	     ALU(0x102, 0, 0), ALU(0x180, 2, ACCU),   /* AND */
	     ALU(0x103, 0, 0), ALU(0x180, 3, ACCU),   /* OR */
	     ALU(0x104, 0, 0), ALU(0x580, 4, ACCU),   /* XOR, inverted */
	     ALU(0x480, SRCA, 0), ALU(0x180, 5, SRCA)); /* LOADINV */
	for (unsigned r = 2; r <= 5; r++)
		EMIT(&b, MI_SRM | GGTT_BIT, GPR(r), DATA + 4 * r, 0);
	EMIT(&b, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	assert_int_equal(ggtt_read32(g, DATA + 8), 0x0f000f00);
	assert_int_equal(ggtt_read32(g, DATA + 12), 0xfff0fff0);
	assert_int_equal(ggtt_read32(g, DATA + 16), ~(0xff00ff00u ^ 0x0ff00ff0u));
	assert_int_equal(ggtt_read32(g, DATA + 20), ~0xff00ff00u);
}

/* --------------------------------------------------- batches and rings */

static void predicated_bb(struct gpu *g, uint32_t src0, uint32_t src1)
{
	struct batch b = {0}, t = {0};
	EMIT(&b, MI_LRI(4), 0x2400, src0, 0x2404, 0, 0x2408, src1, 0x240c, 0);
	/* LOAD, SET, SRCS_EQUAL */
	EMIT(&b, MI_PREDICATE | (2u << 6) | (0u << 3) | 2u);
	EMIT(&b, MI_BB_START | (1u << 22) | (1u << 15), BATCH2, 0); /* second level, predicated */
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA + 4, 0, 0xbeef, MI_BB_END);
	EMIT(&t, MI_SDI(4) | GGTT_BIT, DATA, 0, 0x7a4e, MI_BB_END);
	put_batch(g, BATCH, &b);
	put_batch(g, BATCH2, &t);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
}

static void test_predicated_bb_start_is_skipped_when_predicate_false(void **state)
{
	struct gpu *g = *state;
	predicated_bb(g, 1, 2);
	assert_int_equal(ggtt_read32(g, DATA), 0);
	assert_int_equal(ggtt_read32(g, DATA + 4), 0xbeef);
}

static void test_predicated_bb_start_runs_when_predicate_true(void **state)
{
	struct gpu *g = *state;
	predicated_bb(g, 3, 3);
	assert_int_equal(ggtt_read32(g, DATA), 0x7a4e);
	assert_int_equal(ggtt_read32(g, DATA + 4), 0xbeef);
}

static void test_second_level_batch_returns_to_caller(void **state)
{
	struct gpu *g = *state;
	struct batch a = {0}, b2 = {0};
	EMIT(&a, MI_SDI(4) | GGTT_BIT, DATA, 0, 1);
	EMIT(&a, MI_BB_START | (1u << 22), BATCH2, 0);
	/* Runs after the second-level batch: it sees its store. */
	EMIT(&a, MI_LRM | GGTT_BIT, GPR(0), DATA + 4, 0, MI_SRM | GGTT_BIT, GPR(0), DATA + 8, 0);
	EMIT(&a, MI_BB_END);
	EMIT(&b2, MI_SDI(4) | GGTT_BIT, DATA + 4, 0, 2, MI_BB_END);
	put_batch(g, BATCH, &a);
	put_batch(g, BATCH2, &b2);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA + 8), 2);
	assert_int_equal(c.commands, 7);
}

static void test_chained_batch_does_not_return(void **state)
{
	struct gpu *g = *state;
	struct batch a = {0}, b2 = {0};
	EMIT(&a, MI_BB_START, BATCH2, 0);
	EMIT(&a, MI_SDI(4) | GGTT_BIT, DATA, 0, 0xbad, MI_BB_END);
	EMIT(&b2, MI_SDI(4) | GGTT_BIT, DATA + 4, 0, 0x900d, MI_BB_END);
	put_batch(g, BATCH, &a);
	put_batch(g, BATCH2, &b2);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA), 0);
	assert_int_equal(ggtt_read32(g, DATA + 4), 0x900d);
}

static void test_third_level_batch_is_an_error(void **state)
{
	struct gpu *g = *state;
	struct batch a = {0}, b2 = {0};
	EMIT(&a, MI_BB_START | (1u << 22), BATCH2, 0, MI_BB_END);
	EMIT(&b2, MI_BB_START | (1u << 22), BATCH3, 0, MI_BB_END);
	put_batch(g, BATCH, &a);
	put_batch(g, BATCH2, &b2);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_ERROR);
	assert_int_equal(c.stop_gma, BATCH2);
	assert_non_null(strstr(c.reason, "second-level"));
}

static struct gpu_completion run_ring(struct gpu *g, uint32_t head, uint32_t tail)
{
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .ring_start = RING,
			       .ring_size = 4096, .head = head, .tail = tail};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	return c;
}

static void test_ring_runs_head_to_tail_across_the_wrap(void **state)
{
	struct gpu *g = *state;
	/* An SDI starting 8 bytes before the end of the ring wraps around. */
	uint32_t sdi[4] = {MI_SDI(4) | GGTT_BIT, DATA + 0x20, 0, 0x5151};
	ggtt_write(g, RING + 0xff8, sdi, 8);
	ggtt_write(g, RING, sdi + 2, 8);
	uint32_t noop = MI_NOOP;
	ggtt_write(g, RING + 8, &noop, 4);
	struct gpu_completion c = run_ring(g, 0xff8, 0xc);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.head, 0xc);
	assert_int_equal(c.commands, 2);
	assert_int_equal(ggtt_read32(g, DATA + 0x20), 0x5151);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, 0x2034, &v), 0); /* RING_HEAD */
	assert_int_equal(v, 0xc);
}

static void test_batch_from_ring_returns_to_the_ring(void **state)
{
	struct gpu *g = *state;
	struct batch r = {0}, b = {0};
	EMIT(&r, MI_BB_START, BATCH, 0, MI_SDI(4) | GGTT_BIT, DATA + 4, 0, 2);
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA, 0, 1, MI_BB_END);
	ggtt_write(g, RING, r.dw, r.n * 4);
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run_ring(g, 0, r.n * 4);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA), 1);
	assert_int_equal(ggtt_read32(g, DATA + 4), 2);
	assert_int_equal(c.head, r.n * 4);
}

static void test_ring_command_running_past_tail_is_an_error(void **state)
{
	struct gpu *g = *state;
	uint32_t sdi[4] = {MI_SDI(4) | GGTT_BIT, DATA, 0, 1};
	ggtt_write(g, RING, sdi, sizeof(sdi));
	struct gpu_completion c = run_ring(g, 0, 8);
	assert_int_equal(c.status, GPU_ERROR);
	assert_int_equal(c.head, 0);
	assert_int_equal(ggtt_read32(g, DATA), 0);
}

static void test_infinite_batch_loop_ends_with_hang_verdict(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_NOOP, MI_BB_START, BATCH, 0);
	put_batch(g, BATCH, &b);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT, .budget = 5000};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_HANG);
	assert_int_equal(c.steps, 5000);
	assert_non_null(strstr(c.reason, "budget"));
}

static void test_instruction_fetch_fault_stops_execution(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_BB_START, 0x7000000, 0); /* unmapped */
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_FAULT);
	assert_int_equal(c.stop_gma, 0x7000000);
	assert_int_equal(c.faults, 1);
}

static void test_blit_on_render_engine_is_an_error(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_NOOP, 0x54f00008, 0, 0, 0, 0, 0, 0, 0, 0, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_ERROR);
	assert_int_equal(c.stop_header, 0x54f00008);
	assert_int_equal(c.stop_gma, BATCH + 4);
}

static void test_conditional_batch_end_ends_when_memory_not_above_data(void **state)
{
	struct gpu *g = *state;
	uint32_t v = 3;
	ggtt_write(g, DATA + 0x100, &v, 4);
	struct batch b = {0};
	EMIT(&b, MI_COND_BBE | GGTT_BIT, 2, DATA + 0x100, 0); /* 3 > 2: go on */
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA, 0, 1);
	EMIT(&b, MI_COND_BBE | GGTT_BIT, 3, DATA + 0x100, 0); /* 3 <= 3: end */
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA + 4, 0, 1, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA), 1);
	assert_int_equal(ggtt_read32(g, DATA + 4), 0);
}

/* ------------------------------------------- post-sync, interrupts, time */

static void test_interrupt_events_are_counted(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_USER_INT, MI_USER_INT, PIPE_CONTROL, 1u << 8, 0, 0, 0, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.user_interrupts, 2);
	assert_int_equal(c.pipe_notifies, 1);
	struct batch f = {0};
	EMIT(&f, MI_FLUSH_DW | (1u << 8), 0, 0, 0, 0, MI_BB_END);
	put_batch(g, BATCH2, &f);
	c = run_on(g, GPU_BCS, BATCH2);
	assert_int_equal(c.flush_notifies, 1);
	assert_int_equal(c.user_interrupts, 0);
}

static void test_pipe_control_writes_immediate_and_timestamp(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, PIPE_CONTROL, (1u << 24) | (1u << 14), DATA + 0x30, 0, 0x89abcdef, 0x01234567);
	EMIT(&b, PIPE_CONTROL, (1u << 24) | (3u << 14), DATA + 0x38, 0, 0, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(ggtt_read64(g, DATA + 0x30), 0x0123456789abcdefull);
	uint64_t ts = ggtt_read64(g, DATA + 0x38);
	assert_true(ts > 0);
	assert_true(ts <= gpu_engine_clock(g, GPU_RCS));
	assert_true(c.cycles > 0);
}

static void test_flush_dw_store_index_writes_the_status_page(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_reg_write(g, GPU_BCS, 0x22080, (uint32_t)(DATA + 0x1000)), 0);
	struct batch b = {0};
	EMIT(&b, MI_FLUSH_DW | (1u << 14) | (1u << 21), 0x40, 0, 0x5eed, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run_on(g, GPU_BCS, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA + 0x1040), 0x5eed);
}

static void test_cycle_budget_stops_a_loop_where_it_runs_out(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI_NOOP, MI_BB_START, BATCH, 0);
	put_batch(g, BATCH, &b);
	uint64_t before = gpu_engine_clock(g, GPU_RCS);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT, .cycle_budget = 100000};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_HANG);
	assert_true(c.watchdog);
	/* charged exactly the budget, engine clock included */
	assert_int_equal(c.cycles, 100000);
	assert_int_equal(gpu_engine_clock(g, GPU_RCS) - before, 100000);
	assert_true(c.steps < 100000);
	assert_non_null(strstr(c.reason, "rcs: watchdog: 100000 cycles"));
	/* a single command dearer than what is left stops inside it */
	struct batch big = {0};
	EMIT(&big, PRIM_3D, 4, 30000, 0, 1, 0, 0, MI_BB_END);
	put_batch(g, BATCH, &big);
	s.cycle_budget = 5000;
	c.sz = sizeof(c);
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_HANG);
	assert_true(c.watchdog);
	assert_int_equal(c.cycles, 5000);
	/* a batch within its budget runs to its end */
	s.cycle_budget = 1000000;
	c.sz = sizeof(c);
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	assert_false(c.watchdog);
	assert_true(c.cycles > 120000 && c.cycles < 1000000);
}

static uint64_t cycles_of(struct gpu *g, const struct batch *b)
{
	put_batch(g, BATCH, b);
	uint64_t before = gpu_engine_clock(g, GPU_RCS);
	struct gpu_completion c = run(g, BATCH);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(gpu_engine_clock(g, GPU_RCS) - before, c.cycles);
	return c.cycles;
}

static void test_cost_model_scales_with_vertices_and_dispatch_size(void **state)
{
	struct gpu *g = *state;
	struct batch small = {0}, big = {0}, ws = {0}, wb = {0};
	EMIT(&small, PRIM_3D, 4, 3, 0, 1, 0, 0, MI_BB_END);
	EMIT(&big, PRIM_3D, 4, 30000, 0, 1, 0, 0, MI_BB_END);
	uint64_t cs = cycles_of(g, &small), cb = cycles_of(g, &big);
	assert_true(cb > cs + 30000);
	/* GPGPU_WALKER: X dimension in DW7, Y in DW10, Z in DW12. */
	EMIT(&ws, GPGPU_WALKER, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, MI_BB_END);
	EMIT(&wb, GPGPU_WALKER, 0, 0, 0, 0, 0, 0, 64, 0, 0, 64, 0, 1, 0, 0, MI_BB_END);
	uint64_t ws_c = cycles_of(g, &ws), wb_c = cycles_of(g, &wb);
	assert_true(wb_c > ws_c * 100);
	/* A predicated-off primitive costs next to nothing. */
	struct batch off = {0};
	EMIT(&off, MI_LRI(1), 0x2418, 0, PRIM_3D | (1u << 8), 4, 30000, 0, 1, 0, 0, MI_BB_END);
	assert_true(cycles_of(g, &off) < cs);
}

static void test_store_data_index_writes_the_per_process_status_page(void **state)
{
	struct gpu *g = *state;
	struct batch b = {0};
	EMIT(&b, MI(0x21) | (1u << 21) | 1, 0x48, 0xd00d, MI_BB_END); /* MI_STORE_DATA_INDEX */
	put_batch(g, BATCH, &b);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT, .status_page = DATA + 0x1000,
			       .status_page_size = 4096};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA + 0x1048), 0xd00d);
}

static void test_masked_register_write_changes_only_enabled_bits(void **state)
{
	struct gpu *g = *state;
	assert_int_equal(gpu_reg_write(g, GPU_RCS, 0x229c, 0x00f0), 0); /* GFX_MODE */
	struct batch b = {0};
	/* Enable bits 0 and 4 only: set bit 0, clear bit 4; bit 8 is not enabled. */
	EMIT(&b, MI_LRI(1), 0x229c, (0x0011u << 16) | 0x0101, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, 0x229c, &v), 0);
	assert_int_equal(v, 0x00e1);
}

/* ------------------------------------------------------------ atomics */

static void test_atomic_ops_update_memory(void **state)
{
	struct gpu *g = *state;
	uint32_t init[4] = {10, 7, 5, 0};
	ggtt_write(g, DATA + 0x200, init, sizeof(init));
	uint64_t q = 0xffffffffull;
	ggtt_write(g, DATA + 0x210, &q, 8);
	struct batch b = {0};
	const uint32_t in = GGTT_BIT | (1u << 18); /* GGTT, inline operands */
	EMIT(&b, MI_ATOMIC(4) | in | (0x07u << 8), DATA + 0x200, 0, 32);     /* ADD 32 -> 42 */
	EMIT(&b, MI_ATOMIC(3) | in | (0x05u << 8), DATA + 0x204, 0);         /* INC -> 8 */
	EMIT(&b, MI_ATOMIC(5) | in | (0x0eu << 8), DATA + 0x208, 0, 5, 99);  /* CMP_WR 5 -> 99 */
	EMIT(&b, MI_ATOMIC(6) | in | (0x27u << 8) | (1u << 19), DATA + 0x210, 0, 1, 0, 0); /* ADD8B */
	EMIT(&b, MI_ATOMIC(3) | GGTT_BIT | (0x05u << 8) | (1u << 16), DATA + 0x200, 0); /* INC, return */
	EMIT(&b, MI_SRM | GGTT_BIT, GPR(0), DATA + 0x20c, 0, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA + 0x200), 43);
	assert_int_equal(ggtt_read32(g, DATA + 0x204), 8);
	assert_int_equal(ggtt_read32(g, DATA + 0x208), 99);
	assert_int_equal(ggtt_read64(g, DATA + 0x210), 0x100000000ull);
	assert_int_equal(ggtt_read32(g, DATA + 0x20c), 42); /* pre-increment value */
}

static void test_semaphore_wait_passes_when_satisfied_and_hangs_otherwise(void **state)
{
	struct gpu *g = *state;
	uint32_t v = 5;
	ggtt_write(g, DATA + 0x300, &v, 4);
	struct batch b = {0};
	/* SAD_EQUAL_SDD (4), polling */
	EMIT(&b, MI_SEM_WAIT | GGTT_BIT | (1u << 15) | (4u << 12), 5, DATA + 0x300, 0);
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA, 0, 1, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA), 1);
	v = 6;
	ggtt_write(g, DATA + 0x300, &v, 4);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT, .budget = 10000};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_HANG);
}

/* ---------------------------------------------------- context and PPGTT */

static void test_register_file_saves_and_restores_per_context(void **state)
{
	struct gpu *g = *state;
	struct gpu_regs *a, *blank;
	assert_int_equal(gpu_regs_new(&a), 0);
	assert_int_equal(gpu_regs_new(&blank), 0);
	struct batch b = {0};
	EMIT(&b, MI_LRI(1), GPR(7), 0x77, MI_BB_END);
	put_batch(g, BATCH, &b);
	run(g, BATCH);
	assert_int_equal(gpu_engine_save(g, GPU_RCS, a), 0);
	assert_int_equal(gpu_engine_restore(g, GPU_RCS, blank), 0);
	uint32_t v;
	assert_int_equal(gpu_reg_read(g, GPU_RCS, GPR(7), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(gpu_engine_restore(g, GPU_RCS, a), 0);
	assert_int_equal(gpu_reg_read(g, GPU_RCS, GPR(7), &v), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(gpu_regs_get(a, GPR(7), &v), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(gpu_regs_set(blank, GPR(1), 5), 0);
	assert_int_equal(gpu_regs_set(blank, 3, 5), -EINVAL);
	gpu_regs_free(a);
	gpu_regs_free(blank);
}

static void set_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t v)
{
	assert_int_equal(gpu_mem_write(g, table + idx * 8ull, &v, 8), 0);
}

/* A 4-level PPGTT mapping gma 0..4K to one page; returns the PML4, the page in *leaf. */
static uint64_t tiny_ppgtt(struct gpu *g, uint64_t *leaf)
{
	uint64_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(gpu_mem_alloc_page(g, &t[i]), 0);
	assert_int_equal(gpu_mem_alloc_page(g, leaf), 0);
	for (int i = 0; i < 3; i++)
		set_entry(g, t[i], 0, t[i + 1] | 3);
	set_entry(g, t[3], 0, *leaf | 3);
	return t[0];
}

static void test_lri_to_pdp_switches_the_ppgtt_root(void **state)
{
	struct gpu *g = *state;
	uint64_t leaf_a, leaf_b;
	uint64_t root_a = tiny_ppgtt(g, &leaf_a), root_b = tiny_ppgtt(g, &leaf_b);
	struct batch b = {0};
	EMIT(&b, MI_SDI(4), 0x10, 0, 0xaaaa);
	EMIT(&b, MI_LRI(2), 0x2274, (uint32_t)(root_b >> 32), 0x2270, (uint32_t)root_b);
	EMIT(&b, MI_SDI(4), 0x10, 0, 0xbbbb, MI_BB_END);
	put_batch(g, BATCH, &b);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .batch = BATCH,
			       .batch_as = GPU_AS_GGTT, .ppgtt = {.levels = 4, .pdp = {root_a}}};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	uint32_t va, vb;
	assert_int_equal(gpu_mem_read(g, leaf_a + 0x10, &va, 4), 0);
	assert_int_equal(gpu_mem_read(g, leaf_b + 0x10, &vb, 4), 0);
	assert_int_equal(va, 0xaaaa);
	assert_int_equal(vb, 0xbbbb);
}

static void test_ppgtt_batch_executes_from_guest_memory(void **state)
{
	struct gpu *g = *state;
	uint64_t leaf;
	uint64_t root = tiny_ppgtt(g, &leaf);
	uint32_t b[] = {MI_SDI(4), 0x800, 0, 0x1234, MI_BB_END};
	assert_int_equal(gpu_mem_write(g, leaf + 0x100, b, sizeof(b)), 0);
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_VCS, .batch = 0x100,
			       .batch_as = GPU_AS_PPGTT, .ppgtt = {.levels = 4, .pdp = {root}}};
	struct gpu_completion c = {.sz = sizeof(c)};
	assert_int_equal(gpu_exec(g, &s, &c), 0);
	assert_int_equal(c.status, GPU_DONE);
	uint32_t v;
	assert_int_equal(gpu_mem_read(g, leaf + 0x800, &v, 4), 0);
	assert_int_equal(v, 0x1234);
}

static void test_exec_rejects_malformed_submissions(void **state)
{
	struct gpu *g = *state;
	struct gpu_completion c = {.sz = sizeof(c)};
	struct gpu_submit s = {.sz = sizeof(s), .engine = GPU_RCS, .ring_start = RING,
			       .ring_size = 1000};
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL); /* size not in pages */
	s.ring_size = 4096;
	s.head = 4096;
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL); /* head outside */
	s.head = 2;
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL); /* misaligned */
	s.head = 0;
	s.engine = GPU_NUM_ENGINES;
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL);
	s.engine = GPU_RCS;
	s.ppgtt.levels = 2;
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL);
	s.ppgtt.levels = 0;
	s.n_ro = 1;
	assert_int_equal(gpu_exec(g, &s, &c), -EINVAL); /* ranges missing */
	s.n_ro = 0;
	assert_int_equal(gpu_exec(g, &s, &c), 0);       /* empty ring: fine */
	assert_int_equal(c.status, GPU_DONE);
	assert_int_equal(c.commands, 0);
}

/* ----------------------------------------------------------- robustness */

static uint64_t rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* Random, mostly well-formed command streams on every engine, for the host
 * and for a vGPU, through a PPGTT of garbage: each ends with a verdict
 * inside its budget, and the device still works afterwards. */
static void test_random_command_streams_always_end_with_a_verdict(void **state)
{
	struct gpu *g = *state;
	static const uint32_t pool[] = {
		MI_NOOP, MI_USER_INT, MI_BB_END, MI_PREDICATE, MI_MATH(4), MI_SEM_WAIT,
		MI_SDI(4), MI_SDI(5), MI_LRI(2), MI_SRM, MI_FLUSH_DW, MI_LRM, MI_LRR, MI_COPY_MM,
		MI_ATOMIC(3), MI_ATOMIC(11), MI_BB_START, MI_BB_START | (1u << 22),
		MI_BB_START | (1u << 8), MI_COND_BBE, MI(0x23) | 2, MI(0x01),
		PIPE_CONTROL, PRIM_3D, GPGPU_WALKER, 0x71000004u, 0x71280004u, 0x73a00001u,
		0x74030002u, 0x68000000u, 0x54c00008u, 0x54300005u, 0x50800008u, 0x51000006u,
		0x50400000u, 0x69040000u,
	};
	uint64_t st = 0x9e3779b97f4a7c15ull;
	uint64_t pml4, real;
	assert_int_equal(gpu_mem_alloc_page(g, &pml4), 0);
	assert_int_equal(gpu_ggtt_translate(g, DATA, &real), 0);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = rnd(&st);
		if (i % 3 == 0)
			e = pml4 | 3; /* loops back into itself */
		else if (i % 3 == 1)
			e = real | 3 | (rnd(&st) & GPU_PTE_PS);
		set_entry(g, pml4, i, e);
	}
	unsigned verdicts[GPU_ERROR + 1] = {0};
	for (unsigned iter = 0; iter < 120; iter++) {
		enum gpu_engine eng = (enum gpu_engine)(iter % 4);
		uint32_t dw[768];
		unsigned n = 0;
		while (n < 700) {
			uint64_t r = rnd(&st);
			uint32_t h = pool[r % (sizeof(pool) / 4)], len;
			if ((r >> 32) % 4 == 0)
				h ^= (uint32_t)(r >> 20) & 0x00ff03ffu; /* flags and lengths */
			if (gpu_cmd_length(GPU_GEN9, eng, h, &len) || len > 64)
				continue;
			dw[n++] = h;
			for (uint32_t k = 1; k < len && n < 767; k++) {
				uint64_t q = rnd(&st);
				switch (q % 6) {
				case 0: dw[n++] = (uint32_t)(DATA + ((q >> 8) & 0x1ffc)); break;
				case 1: dw[n++] = (uint32_t)(BATCH + ((q >> 8) & 0x2ffc)); break;
				case 2: dw[n++] = 0; break;
				case 3: dw[n++] = (uint32_t)((q >> 8) & 0xffff); break;
				default: dw[n++] = (uint32_t)(q >> 16); break;
				}
			}
		}
		while (n < 768)
			dw[n++] = MI_BB_END;
		ggtt_write(g, BATCH, dw, sizeof(dw));
		struct gpu_range ro = {BATCH, 3 * 4096, GPU_AS_GGTT};
		struct gpu_submit s = {
			.sz = sizeof(s), .vgpu = (gpu_owner_t)(iter & 1), .engine = eng,
			.batch = BATCH, .batch_as = GPU_AS_GGTT,
			.ppgtt = {.levels = iter % 3 ? 4 : 3, .pdp = {pml4, pml4, real, 0}},
			.part = {DATA, 0x2000, 0, 0}, .ro = &ro, .n_ro = 1, .budget = 4000,
		};
		struct gpu_completion c = {.sz = sizeof(c)};
		assert_int_equal(gpu_exec(g, &s, &c), 0);
		/* The verdict is one of the four, and it is a hang exactly when
		 * the budget ran out (the budget stops at 4000 on a hang). */
		switch (c.status) {
		case GPU_DONE: case GPU_HANG: case GPU_FAULT: case GPU_ERROR:
			verdicts[c.status]++;
			break;
		default:
			fail_msg("%u: status %d is not a verdict", iter, (int)c.status);
		}
		assert_true(c.steps <= 4000);
		assert_int_equal(c.status == GPU_HANG, c.steps == 4000);
		if (getenv("GPU_FUZZ_DEBUG"))
			print_message("%u: %s steps %llu cmds %llu esc %u faults %u unmod %u: %s\n", iter,
				      gpu_status_name(c.status), (unsigned long long)c.steps,
				      (unsigned long long)c.commands, c.escapes, c.faults, c.unmodelled, c.reason);
		if (c.status != GPU_DONE)
			assert_true(c.reason[0] != 0);
	}
	/* The streams reach every verdict (else part of the model goes
	 * unexercised by this test). */
	print_message("verdicts: done %u, hang %u, fault %u, error %u\n", verdicts[GPU_DONE],
		      verdicts[GPU_HANG], verdicts[GPU_FAULT], verdicts[GPU_ERROR]);
	for (int v = GPU_DONE; v <= GPU_ERROR; v++)
		if (!verdicts[v])
			fail_msg("no stream ended %s", gpu_status_name((enum gpu_status)v));
	struct batch b = {0};
	EMIT(&b, MI_SDI(4) | GGTT_BIT, DATA + 0x10, 0, 0x600d, MI_BB_END);
	put_batch(g, BATCH, &b);
	assert_int_equal(run(g, BATCH).status, GPU_DONE);
	assert_int_equal(ggtt_read32(g, DATA + 0x10), 0x600d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_sdi_writes_dword_and_qword),
		T(test_lri_then_srm_round_trips),
		T(test_lri_byte_write_disables_keep_those_bytes),
		T(test_lrm_loads_and_lrr_copies_registers),
		T(test_copy_mem_mem_copies_a_dword),
		T(test_math_sub_sets_carry_and_add_sets_zero),
		T(test_math_logic_ops_and_storeinv),
		T(test_predicated_bb_start_is_skipped_when_predicate_false),
		T(test_predicated_bb_start_runs_when_predicate_true),
		T(test_second_level_batch_returns_to_caller),
		T(test_chained_batch_does_not_return),
		T(test_third_level_batch_is_an_error),
		T(test_ring_runs_head_to_tail_across_the_wrap),
		T(test_batch_from_ring_returns_to_the_ring),
		T(test_ring_command_running_past_tail_is_an_error),
		T(test_infinite_batch_loop_ends_with_hang_verdict),
		T(test_cycle_budget_stops_a_loop_where_it_runs_out),
		T(test_instruction_fetch_fault_stops_execution),
		T(test_blit_on_render_engine_is_an_error),
		T(test_conditional_batch_end_ends_when_memory_not_above_data),
		T(test_interrupt_events_are_counted),
		T(test_pipe_control_writes_immediate_and_timestamp),
		T(test_flush_dw_store_index_writes_the_status_page),
		T(test_store_data_index_writes_the_per_process_status_page),
		T(test_masked_register_write_changes_only_enabled_bits),
		T(test_cost_model_scales_with_vertices_and_dispatch_size),
		T(test_atomic_ops_update_memory),
		T(test_semaphore_wait_passes_when_satisfied_and_hangs_otherwise),
		T(test_register_file_saves_and_restores_per_context),
		T(test_lri_to_pdp_switches_the_ppgtt_root),
		T(test_ppgtt_batch_executes_from_guest_memory),
		T(test_exec_rejects_malformed_submissions),
		T(test_random_command_streams_always_end_with_a_verdict),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
