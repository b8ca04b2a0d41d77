/* SPDX-License-Identifier: MIT */
/*
 * The options-struct contract at every constructor that takes one
 * (common/'s vgt_opts_check): a struct whose sz does not cover the sz field
 * is -EINVAL; a caller's struct larger than this build knows is accepted
 * when the unknown tail is zero and refused with -E2BIG when it is not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "corpus/corpus.h"
#include "gpu/gpu.h"
#include "guest/guest.h"
#include "mediator/mediator.h"
#include "shadow/shadow.h"
#include "sim/sim.h"

/* A caller built against a newer header: the struct this build knows, then
 * a field it does not. */
#define NEWER(type)                  \
	struct {                     \
		type known;          \
		uint64_t unknown;    \
	}

static void test_gpu_create_checks_the_options_size(void **state)
{
	NEWER(struct gpu_opts) o = { .known.sz = sizeof(o) };
	struct gpu *g = NULL;

	assert_int_equal(gpu_create((struct gpu_opts *)&o, &g), 0);
	gpu_destroy(g);
	o.unknown = 1;
	assert_int_equal(gpu_create((struct gpu_opts *)&o, &g), -E2BIG);
	o.known.sz = 4;
	assert_int_equal(gpu_create((struct gpu_opts *)&o, &g), -EINVAL);
}

static void test_shadow_new_checks_the_options_size(void **state)
{
	char err[160] = "";
	NEWER(struct shadow_opts) o = { .known.sz = sizeof(o) };
	struct shadow *sh = NULL;

	assert_int_equal(shadow_new((struct shadow_opts *)&o, &sh), 0);
	shadow_free(sh);
	o.known.errbuf = err;
	o.known.errbuf_len = sizeof(err);
	o.unknown = 1;
	assert_int_equal(shadow_new((struct shadow_opts *)&o, &sh), -E2BIG);
	assert_non_null(strstr(err, "shadow_opts"));
	o.known.sz = 0;
	assert_int_equal(shadow_new((struct shadow_opts *)&o, &sh), -EINVAL);
}

static void test_shadow_vgpu_new_checks_the_options_size(void **state)
{
	struct shadow *sh = NULL;
	struct shadow_vgpu *v = NULL;
	NEWER(struct shadow_vgpu_opts) o = { .known.sz = sizeof(o) };

	assert_int_equal(shadow_new(NULL, &sh), 0);
	o.unknown = 1;
	assert_int_equal(shadow_vgpu_new(sh, (struct shadow_vgpu_opts *)&o, &v), -E2BIG);
	o.unknown = 0;
	assert_int_equal(shadow_vgpu_new(sh, (struct shadow_vgpu_opts *)&o, &v), 0);
	shadow_vgpu_free(v);
	o.known.sz = 1;
	assert_int_equal(shadow_vgpu_new(sh, (struct shadow_vgpu_opts *)&o, &v), -EINVAL);
	shadow_free(sh);
}

static void test_med_new_and_vgpu_create_check_the_options_size(void **state)
{
	NEWER(struct med_opts) o = { .known.sz = sizeof(o), .known.dispatch = MED_DISPATCH_MANUAL };
	NEWER(struct med_vgpu_opts) vo = { .known.sz = sizeof(vo) };
	struct med *m = NULL;
	struct med_vgpu *v = NULL;

	o.unknown = 1;
	assert_int_equal(med_new((struct med_opts *)&o, &m), -E2BIG);
	o.unknown = 0;
	o.known.sz = 2;
	assert_int_equal(med_new((struct med_opts *)&o, &m), -EINVAL);
	o.known.sz = sizeof(o);
	assert_int_equal(med_new((struct med_opts *)&o, &m), 0);

	vo.unknown = 1;
	assert_int_equal(med_vgpu_create(m, (struct med_vgpu_opts *)&vo, &v), -E2BIG);
	vo.unknown = 0;
	vo.known.sz = 0;
	assert_int_equal(med_vgpu_create(m, (struct med_vgpu_opts *)&vo, &v), -EINVAL);
	vo.known.sz = sizeof(vo);
	assert_int_equal(med_vgpu_create(m, (struct med_vgpu_opts *)&vo, &v), 0);
	med_vgpu_destroy(v);
	med_free(m);
}

static void test_guest_constructors_check_the_options_size(void **state)
{
	NEWER(struct guest_gen_opts) go = { .known.sz = sizeof(go) };
	NEWER(struct guest_drv_opts) dopt = { .known.sz = sizeof(dopt) };
	struct guest_gen *g = NULL;
	struct guest_drv *d = NULL;

	assert_int_equal(guest_gen_new((struct guest_gen_opts *)&go, &g), 0);
	guest_gen_free(g);
	go.unknown = 1;
	assert_int_equal(guest_gen_new((struct guest_gen_opts *)&go, &g), -E2BIG);
	go.known.sz = 3;
	assert_int_equal(guest_gen_new((struct guest_gen_opts *)&go, &g), -EINVAL);

	dopt.unknown = 1;
	assert_int_equal(guest_drv_new((struct guest_drv_opts *)&dopt, &d), -E2BIG);
	dopt.known.sz = 7;
	assert_int_equal(guest_drv_new((struct guest_drv_opts *)&dopt, &d), -EINVAL);
}

static void test_corpus_json_parse_checks_the_options_size(void **state)
{
	NEWER(struct corpus_json_opts) o = { .known.sz = sizeof(o) };
	struct corpus_json *doc = NULL;

	assert_int_equal(corpus_json_parse("[1]", 3, (struct corpus_json_opts *)&o, &doc, NULL, 0), 0);
	corpus_json_free(doc);
	o.unknown = 1;
	assert_int_equal(corpus_json_parse("[1]", 3, (struct corpus_json_opts *)&o, &doc, NULL, 0),
			 -E2BIG);
	o.known.sz = 0;
	assert_int_equal(corpus_json_parse("[1]", 3, (struct corpus_json_opts *)&o, &doc, NULL, 0),
			 -EINVAL);
}

static void test_sim_run_checks_the_options_size(void **state)
{
	NEWER(struct sim_opts) o = { .known.sz = sizeof(o) };
	struct sim_result *r = NULL;

	o.unknown = 1;
	assert_int_equal(sim_run((struct sim_opts *)&o, &r), -E2BIG);
	assert_null(r);
	o.unknown = 0;
	o.known.sz = 5;
	assert_int_equal(sim_run((struct sim_opts *)&o, &r), -EINVAL);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu_create_checks_the_options_size),
		cmocka_unit_test(test_shadow_new_checks_the_options_size),
		cmocka_unit_test(test_shadow_vgpu_new_checks_the_options_size),
		cmocka_unit_test(test_med_new_and_vgpu_create_check_the_options_size),
		cmocka_unit_test(test_guest_constructors_check_the_options_size),
		cmocka_unit_test(test_corpus_json_parse_checks_the_options_size),
		cmocka_unit_test(test_sim_run_checks_the_options_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
