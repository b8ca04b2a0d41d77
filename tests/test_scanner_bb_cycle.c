/* SPDX-License-Identifier: MIT */
/*
 * bb-cycle (docs/AUDIT.md, "Batches"): chained batch starts that form a
 * cycle nothing on it can leave are refused; a chain that ends, and a
 * cycle with a possible way out (a conditional end, a predicated start, a
 * predicate, a second-level batch with a conditional end), pass.  Before
 * the rule, such a loop passed strict and held the engine until the GPU
 * model's step budget ended it.
 */
#include "tests/test_scanner_audit_util.h"

#define G9 SCAN_GEN9
#define G8 SCAN_GEN8
#define STRICT SCAN_POLICY_STRICT

static struct bb a, b, c;

/* MI_CONDITIONAL_BATCH_BUFFER_END comparing a PPGTT dword (a way out). */
static void cond_end(struct bb *x, enum scan_gen gen)
{
	cmd(x, gen, "MI_CONDITIONAL_BATCH_BUFFER_END", 4, 0, (uint32_t)(PP + 0x80000),
	    (uint32_t)(PP >> 32));
}

/* A predicated chained start (DW0 bit 15): it may fall through. */
static void bb_start_predicated(struct bb *x, enum scan_gen gen, uint64_t target)
{
	bb_start(x, gen, target, true, false);
	x->dw[x->n - 3] |= 1u << 15;
}

static const struct scan_result *scan3(struct fx *f, enum scan_gen gen, enum scan_policy pol,
				       unsigned n)
{
	fx_init(f, gen, pol);
	fx_map_bb(f, &a);
	if (n > 1)
		fx_map_bb(f, &b);
	if (n > 2)
		fx_map_bb(f, &c);
	return fx_batch(f, SCAN_RCS, a.gma, a.as);
}

static void test_ppgtt_batch_starting_itself_is_bb_cycle(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	lri(&a, G9, 0x7034, 0);
	bb_start(&a, G9, PP, true, false);
	const struct scan_result *r = scan3(&f, G9, STRICT, 1);
	expect_reason(r, SCAN_R_BB_CYCLE);
	assert_int_equal(r->nviolations, 1);
	const struct scan_violation *v = &r->violations[0];
	assert_int_equal(v->buffer, SCAN_BUF_BATCH);
	assert_int_equal(v->as, SCAN_AS_PPGTT);
	assert_int_equal(v->offset, 3);
	assert_int_equal(v->gma, PP + 12);
	assert_int_equal(v->value, PP);
	assert_string_equal(v->command, "MI_BATCH_BUFFER_START");
	assert_non_null(strstr(v->message, "cycle of 1 batch "));
	fx_done(&f);
}

static void test_ggtt_batch_starting_itself_is_bb_cycle(void **state)
{
	struct fx f;

	bb_init(&a, AP + 0x100000, SCAN_AS_GGTT);
	put(&a, 1, 0);
	bb_start(&a, G9, AP + 0x100000, false, false);
	expect_reason(scan3(&f, G9, STRICT, 1), SCAN_R_BB_CYCLE);
	fx_done(&f);
	/* the same on Gen8 */
	bb_init(&a, AP + 0x100000, SCAN_AS_GGTT);
	put(&a, 1, 0);
	bb_start(&a, G8, AP + 0x100000, false, false);
	expect_reason(scan3(&f, G8, STRICT, 1), SCAN_R_BB_CYCLE);
	fx_done(&f);
}

/* MI_ARB_CHECK lets the host preempt the loop; it does not end it. */
static void test_arb_check_is_not_a_way_out(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	cmd(&a, G9, "MI_ARB_CHECK", 1);
	bb_start(&a, G9, PP, true, false);
	expect_reason(scan3(&f, G9, STRICT, 1), SCAN_R_BB_CYCLE);
	fx_done(&f);
}

/* A -> B -> A: reported at B's start (the one that closes the cycle). */
static void test_two_batch_cycle_is_bb_cycle(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP + 0x10000, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	put(&b, 2, 0, 0);
	bb_start(&b, G9, PP, true, false);
	const struct scan_result *r = scan3(&f, G9, STRICT, 2);
	expect_reason(r, SCAN_R_BB_CYCLE);
	assert_int_equal(r->nshadows, 2);
	assert_int_equal(r->violations[0].shadow, 1);
	assert_int_equal(r->violations[0].offset, 2);
	assert_int_equal(r->violations[0].value, PP);
	assert_non_null(strstr(r->violations[0].message, "cycle of 2 batches"));
	fx_done(&f);
}

/* A -> B -> C -> B: the cycle need not pass through the entry batch. */
static void test_cycle_behind_the_entry_batch_is_bb_cycle(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP + 0x10000, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	bb_start(&b, G9, PP + 0x20000, true, false);
	bb_init(&c, PP + 0x20000, SCAN_AS_PPGTT);
	bb_start(&c, G9, PP + 0x10000, true, false);
	expect_reason(scan3(&f, G9, STRICT, 3), SCAN_R_BB_CYCLE);
	fx_done(&f);
}

/* The ring starts a batch that starts itself. */
static void test_ring_starting_a_self_loop_is_bb_cycle(void **state)
{
	static uint32_t ring[1024];
	struct fx f;
	struct scan_ring rd = { .start = AP + 0x100000, .size = 4096, .head = 0, .tail = 16 };

	memset(ring, 0, sizeof(ring));
	ring[0] = hdr(G9, "MI_BATCH_BUFFER_START", 3) | (1u << 8);
	ring[1] = (uint32_t)PP;
	ring[2] = (uint32_t)(PP >> 32);
	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP, true, false);
	fx_init(&f, G9, STRICT);
	fx_map(&f, SCAN_AS_GGTT, rd.start, ring, sizeof(ring));
	fx_map_bb(&f, &a);
	const struct scan_result *r = fx_ring(&f, SCAN_RCS, &rd);
	expect_reason(r, SCAN_R_BB_CYCLE);
	assert_int_equal(r->violations[0].buffer, SCAN_BUF_BATCH);
	fx_done(&f);
}

static void test_chain_that_ends_passes(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP + 0x10000, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	bb_start(&b, G9, PP + 0x20000, true, false);
	bb_init(&c, PP + 0x20000, SCAN_AS_PPGTT);
	lri(&c, G9, 0x7034, 0);
	bb_end(&c, G9);
	const struct scan_result *r = scan3(&f, G9, STRICT, 3);
	expect_pass(r);
	assert_int_equal(r->nshadows, 3);
	fx_done(&f);
}

/* Two batches both chaining to one that ends: shared, not a cycle. */
static void test_two_starts_of_one_batch_pass(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start_predicated(&a, G9, PP + 0x20000);
	bb_start(&a, G9, PP + 0x10000, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	bb_start(&b, G9, PP + 0x20000, true, false);
	bb_init(&c, PP + 0x20000, SCAN_AS_PPGTT);
	bb_end(&c, G9);
	expect_pass(scan3(&f, G9, STRICT, 3));
	fx_done(&f);
}

static void test_cycle_with_a_conditional_end_passes(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP + 0x10000, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	cond_end(&b, G9);
	bb_start(&b, G9, PP, true, false);
	expect_pass(scan3(&f, G9, STRICT, 2));
	fx_done(&f);
	/* Gen8's 3-dword form too */
	bb_init(&a, PP, SCAN_AS_PPGTT);
	cmd(&a, G8, "MI_CONDITIONAL_BATCH_BUFFER_END", 3, 0, (uint32_t)(PP + 0x80000));
	bb_start(&a, G8, PP, true, false);
	expect_pass(scan3(&f, G8, STRICT, 1));
	fx_done(&f);
}

/* A predicated start may be taken: a way out of the loop. */
static void test_cycle_with_a_predicated_start_out_passes(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start_predicated(&a, G9, PP + 0x10000);
	bb_start(&a, G9, PP, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	bb_end(&b, G9);
	expect_pass(scan3(&f, G9, STRICT, 2));
	fx_done(&f);
}

/* A predicated closing start may fall through (here to an end). */
static void test_predicated_self_start_passes(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start_predicated(&a, G9, PP);
	bb_end(&a, G9);
	expect_pass(scan3(&f, G9, STRICT, 1));
	fx_done(&f);
}

/* MI_PREDICATE / MI_SET_PREDICATE may make the closing start a NOOP. */
static void test_cycle_with_a_predicate_passes(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	cmd(&a, G9, "MI_PREDICATE", 1);
	bb_start(&a, G9, PP, true, false);
	expect_pass(scan3(&f, G9, STRICT, 1));
	fx_done(&f);
	bb_init(&a, PP, SCAN_AS_PPGTT);
	cmd(&a, G9, "MI_SET_PREDICATE", 1);
	bb_start(&a, G9, PP, true, false);
	expect_pass(scan3(&f, G9, STRICT, 1));
	fx_done(&f);
}

/* A second-level batch called from the loop: a conditional end in it is a
 * possible way out; a plain one that returns is not. */
static void test_second_level_call_decides_by_its_contents(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	bb_start(&a, G9, PP + 0x10000, true, true);
	bb_start(&a, G9, PP, true, false);
	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	cond_end(&b, G9);
	bb_end(&b, G9);
	expect_pass(scan3(&f, G9, STRICT, 2));
	fx_done(&f);

	bb_init(&b, PP + 0x10000, SCAN_AS_PPGTT);
	lri(&b, G9, 0x7034, 0);
	bb_end(&b, G9);
	expect_reason(scan3(&f, G9, STRICT, 2), SCAN_R_BB_CYCLE);
	fx_done(&f);
}

/* audit reports it and passes; all_violations keeps other violations too. */
static void test_audit_reports_the_cycle_without_rejecting(void **state)
{
	struct fx f;

	bb_init(&a, PP, SCAN_AS_PPGTT);
	lri(&a, G9, 0x229c, 0x00010001); /* reg-priv-disable */
	bb_start(&a, G9, PP, true, false);
	const struct scan_result *r = scan3(&f, G9, SCAN_POLICY_AUDIT, 1);
	assert_true(r->pass);
	assert_int_equal(r->nviolations, 2);
	assert_int_equal(r->violations[0].reason, SCAN_R_REG_PRIV_DISABLE);
	assert_int_equal(r->violations[1].reason, SCAN_R_BB_CYCLE);
	fx_done(&f);
}

/* gvt reproduces GVT-g's decisions, and GVT-g has no cycle rule. */
static void test_gvt_policy_lets_the_loop_through_as_gvt_g_does(void **state)
{
	struct fx f;

	bb_init(&a, AP + 0x100000, SCAN_AS_GGTT);
	put(&a, 1, 0);
	bb_start(&a, G9, AP + 0x100000, false, false);
	expect_pass(scan3(&f, G9, SCAN_POLICY_GVT, 1));
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppgtt_batch_starting_itself_is_bb_cycle),
		cmocka_unit_test(test_ggtt_batch_starting_itself_is_bb_cycle),
		cmocka_unit_test(test_arb_check_is_not_a_way_out),
		cmocka_unit_test(test_two_batch_cycle_is_bb_cycle),
		cmocka_unit_test(test_cycle_behind_the_entry_batch_is_bb_cycle),
		cmocka_unit_test(test_ring_starting_a_self_loop_is_bb_cycle),
		cmocka_unit_test(test_chain_that_ends_passes),
		cmocka_unit_test(test_two_starts_of_one_batch_pass),
		cmocka_unit_test(test_cycle_with_a_conditional_end_passes),
		cmocka_unit_test(test_cycle_with_a_predicated_start_out_passes),
		cmocka_unit_test(test_predicated_self_start_passes),
		cmocka_unit_test(test_cycle_with_a_predicate_passes),
		cmocka_unit_test(test_second_level_call_decides_by_its_contents),
		cmocka_unit_test(test_audit_reports_the_cycle_without_rejecting),
		cmocka_unit_test(test_gvt_policy_lets_the_loop_through_as_gvt_g_does),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
