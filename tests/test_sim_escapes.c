/* SPDX-License-Identifier: MIT */
/*
 * Escapes under `--policy gvt|audit`, as `vgt sim` explains them: an
 * escape by a command fetched from a PPGTT (non-privileged) batch that
 * writes a register, touches the GGTT or updates GGTT entries is one real
 * Gen8/9 hardware's privilege check refuses (the GPU model does not model
 * that check); everything else is genuine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gpu/gpu.h"
#include "sim/sim_int.h"

/* sim/ names the escape record's values without the GPU model's header */
_Static_assert(SIM_ESC_KIND_REG_WRITE == GPU_ESC_REG_WRITE, "kind");
_Static_assert(SIM_ESC_WHY_GTT_WRITE == GPU_WHY_GTT_WRITE, "why");
_Static_assert(SIM_ESC_AS_GGTT == GPU_AS_GGTT && SIM_ESC_AS_PPGTT == GPU_AS_PPGTT, "as");

static struct med_event escape(enum gpu_escape_kind kind, enum gpu_escape_why why, enum gpu_as as,
			       enum gpu_as cmd_as)
{
	struct med_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = MED_EV_ESCAPE;
	ev.vgpu = 1;
	ev.u.escape.kind = kind;
	ev.u.escape.why = why;
	ev.u.escape.as = as;
	ev.u.escape.cmd_as = cmd_as;
	return ev;
}

static void test_privileged_accesses_from_ppgtt_batches_are_hardware_refused(void **state)
{
	struct med_event e = escape(GPU_ESC_REG_WRITE, GPU_WHY_REG_DENIED, GPU_AS_GGTT, GPU_AS_PPGTT);
	assert_true(sim_escape_hw_refused(&e)); /* LRI of a protected register */
	e = escape(GPU_ESC_MEM_WRITE, GPU_WHY_OUTSIDE_WINDOWS, GPU_AS_GGTT, GPU_AS_PPGTT);
	assert_true(sim_escape_hw_refused(&e)); /* SDI to the host's GGTT */
	e = escape(GPU_ESC_MEM_READ, GPU_WHY_OUTSIDE_WINDOWS, GPU_AS_GGTT, GPU_AS_PPGTT);
	assert_true(sim_escape_hw_refused(&e)); /* SRM/LRM through the GGTT */
	e = escape(GPU_ESC_MEM_WRITE, GPU_WHY_GTT_WRITE, GPU_AS_PPGTT, GPU_AS_PPGTT);
	assert_true(sim_escape_hw_refused(&e)); /* MI_UPDATE_GTT */
}

static void test_other_escapes_are_genuine(void **state)
{
	/* from the ring or a GGTT batch: privileged, the hardware runs it */
	struct med_event e = escape(GPU_ESC_REG_WRITE, GPU_WHY_REG_DENIED, GPU_AS_GGTT, GPU_AS_GGTT);
	assert_false(sim_escape_hw_refused(&e));
	e = escape(GPU_ESC_MEM_WRITE, GPU_WHY_OUTSIDE_WINDOWS, GPU_AS_GGTT, GPU_AS_GGTT);
	assert_false(sim_escape_hw_refused(&e));
	/* through the PPGTT: the hardware walks the same shadow tables */
	e = escape(GPU_ESC_MEM_WRITE, GPU_WHY_FOREIGN_PAGE, GPU_AS_PPGTT, GPU_AS_PPGTT);
	assert_false(sim_escape_hw_refused(&e));
	/* not an escape event at all */
	e = escape(GPU_ESC_REG_WRITE, GPU_WHY_REG_DENIED, GPU_AS_GGTT, GPU_AS_PPGTT);
	e.type = MED_EV_COMPLETE;
	assert_false(sim_escape_hw_refused(&e));
	assert_false(sim_escape_hw_refused(NULL));
}

struct count {
	uint64_t escapes, refused;
};

static void count_escapes(void *ctx, const struct med_event *ev)
{
	struct count *c = ctx;
	c->escapes++;
	c->refused += sim_escape_hw_refused(ev);
}

static void test_gvt_policy_run_reports_both_kinds(void **state)
{
	char err[512] = "";
	struct count c = { 0 };
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 1, .profiles = "hostile", .submissions = 60,
			      .seed = 1, .policy = SCAN_POLICY_GVT, .shm_name = "",
			      .deterministic = true, .event = count_escapes, .event_ctx = &c,
			      .event_mask = MED_EV_BIT(MED_EV_ESCAPE), .errbuf = err,
			      .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	if (sim_run(&o, &r))
		fail_msg("sim_run: %s", err);
	assert_false(r->ok);
	assert_int_equal(r->escapes, c.escapes);
	assert_int_equal(r->escapes_hw_refused, c.refused);
	assert_true(r->escapes_hw_refused > 0);
	assert_true(r->escapes > r->escapes_hw_refused);
	assert_true(r->escape_workloads > 0 && r->escape_workloads <= r->v[0].med.completed);
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	assert_int_equal(sim_report(r, f), 0);
	fclose(f);
	char want[256];
	snprintf(want, sizeof(want), "%llu by privileged commands in non-privileged (PPGTT) batches",
		 (unsigned long long)r->escapes_hw_refused);
	if (!strstr(buf, want) || !strstr(buf, "genuine"))
		fail_msg("report does not classify the escapes:\n%s", buf);
	assert_non_null(strstr(r->v[0].first_failure, "was not rejected"));
	sim_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privileged_accesses_from_ppgtt_batches_are_hardware_refused),
		cmocka_unit_test(test_other_escapes_are_genuine),
		cmocka_unit_test(test_gvt_policy_run_reports_both_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
