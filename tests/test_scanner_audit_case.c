/* SPDX-License-Identifier: MIT */
/*
 * Case files, the segment memory view, the JSON writer, and robustness:
 * random batches and random case-file text never crash, hang or break the
 * shadow invariants (run under `make check SAN=1` for the memory checks).
 */
#include "tests/test_scanner_audit_util.h"

static const char good[] =
	"# a comment line\n"
	"vgt-scan-case 1\n"
	"gen 8\n"
	"engine vcs   # trailing comment\n"
	"policy audit\n"
	"aperture 0x10000000 0x1000000\n"
	"hidden 0x40000000 0x2000000\n"
	"hwsp vcs 0x10002000\n"
	"batch ppgtt 0x100000000\n"
	"expect reg-protected\n"
	"mem ppgtt 0x100000000\n"
	"  0x11000001 0x101008 0\n"
	"  0x05000000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"end\n"
	"fill ggtt 0x10000000 64 0xffffffff\n";

static void test_case_file_parses_every_field(void **state)
{
	struct scan_case c;
	char err[128];

	assert_int_equal(scan_case_parse(good, sizeof(good) - 1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.gen, SCAN_GEN8);
	assert_int_equal(c.engine, SCAN_VCS);
	assert_true(c.has_policy);
	assert_int_equal(c.policy, SCAN_POLICY_AUDIT);
	assert_int_equal(c.part.aperture.base, 0x10000000);
	assert_int_equal(c.part.hidden.size, 0x2000000);
	assert_int_equal(c.part.hwsp[SCAN_VCS], 0x10002000);
	assert_false(c.is_ring);
	assert_int_equal(c.batch_as, SCAN_AS_PPGTT);
	assert_int_equal(c.batch_gma, 0x100000000ull);
	assert_true(c.has_expect);
	assert_false(c.expect_pass);
	assert_int_equal(c.expect_reason, SCAN_R_REG_PROTECTED);
	assert_int_equal(c.nsegs, 2);
	assert_int_equal(c.segs[0].len, 26 * 4);
	assert_int_equal(((const uint32_t *)c.segs[0].data)[1], 0x101008);
	assert_int_equal(c.segs[1].len, 64);
	assert_int_equal(((const uint32_t *)c.segs[1].data)[15], 0xffffffffu);
	scan_case_free(&c);
}

static void test_case_file_runs_as_written(void **state)
{
	struct scan_case c;
	struct scan_segmem *m;
	struct scan_mem view;
	struct scan_ctx *s;
	const struct scan_result *r;

	assert_int_equal(scan_case_parse(good, sizeof(good) - 1, &c, NULL, 0), 0);
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = c.gen, .policy = c.policy,
				   .part = c.part };
	assert_int_equal(scan_segmem_new(c.segs, c.nsegs, &m), 0);
	scan_segmem_view(m, &view);
	assert_int_equal(scan_new(&cfg, &s), 0);
	assert_int_equal(scan_batch(s, c.engine, &view, c.batch_gma, c.batch_as, &r), 0);
	assert_true(r->pass); /* audit policy */
	assert_int_equal(r->nviolations, 1);
	assert_int_equal(r->first_reason, c.expect_reason);
	scan_free(s);
	scan_segmem_free(m);
	scan_case_free(&c);
}

/* What `vgt scan --check` does, through the library alone. */
static void run_case(const char *text, struct scan_case *c, struct scan_segmem **m,
		     struct scan_ctx **s, const struct scan_result **r)
{
	struct scan_config cfg;
	struct scan_mem view;

	assert_int_equal(scan_case_parse(text, strlen(text), c, NULL, 0), 0);
	scan_case_config(c, &cfg);
	assert_int_equal(scan_segmem_new(c->segs, c->nsegs, m), 0);
	scan_segmem_view(*m, &view);
	assert_int_equal(scan_new(&cfg, s), 0);
	assert_int_equal(scan_case_scan(*s, c, c->engine, &view, r), 0);
}

static void done_case(struct scan_case *c, struct scan_segmem *m, struct scan_ctx *s)
{
	scan_free(s);
	scan_segmem_free(m);
	scan_case_free(c);
}

static void test_case_check_meets_and_explains_the_expect_line(void **state)
{
	static const char head[] = "vgt-scan-case 1\ngen 9\nengine rcs\nbatch ppgtt 0x1000\n";
	static const char body[] = "mem ppgtt 0x1000\n 0x11000001 0x229c 0x00010001 0x05000000\nend\n";
	static const struct {
		const char *expect;
		int met;
		const char *why;
	} rows[] = {
		{ "expect reg-priv-disable\n", 1, NULL },
		{ "expect violation\n", 1, NULL },
		{ "expect pass\n", 0, "expected pass, got reg-priv-disable" },
		{ "expect reg-write\n", 0, "expected reg-write, got reg-priv-disable" },
		{ "", -ENOENT, NULL },
	};
	char text[512], why[128];

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct scan_case c;
		struct scan_segmem *m;
		struct scan_ctx *s;
		const struct scan_result *r;

		snprintf(text, sizeof(text), "%s%s%s", head, rows[i].expect, body);
		run_case(text, &c, &m, &s, &r);
		assert_int_equal(scan_case_check(&c, r, why, sizeof(why)), rows[i].met);
		if (rows[i].why)
			assert_string_equal(why, rows[i].why);
		done_case(&c, m, s);
	}
	/* the case's policy: audit reports (a violation is met) but passes */
	snprintf(text, sizeof(text), "%spolicy audit\nexpect reg-priv-disable\n%s", head, body);
	{
		struct scan_case c;
		struct scan_segmem *m;
		struct scan_ctx *s;
		const struct scan_result *r;

		run_case(text, &c, &m, &s, &r);
		assert_true(r->pass);
		assert_int_equal(scan_case_check(&c, r, NULL, 0), 1);
		done_case(&c, m, s);
	}
	assert_int_equal(scan_case_check(NULL, NULL, NULL, 0), -EINVAL);
}

/* A ring entry point goes through scan_ring(). */
static void test_case_scan_runs_a_ring(void **state)
{
	static const char text[] =
		"vgt-scan-case 1\ngen 9\nengine rcs\nring 0x08100000 4096 0 8\nexpect pass\n"
		"mem ggtt 0x08100000\n 0x01000000 0\nend\n";
	struct scan_case c;
	struct scan_segmem *m;
	struct scan_ctx *s;
	const struct scan_result *r;

	run_case(text, &c, &m, &s, &r);
	assert_int_equal(r->nshadows, 1);
	assert_int_equal(r->shadows[0].kind, SCAN_BUF_RING);
	assert_int_equal(r->nevents, 1); /* MI_USER_INTERRUPT */
	assert_int_equal(scan_case_check(&c, r, NULL, 0), 1);
	done_case(&c, m, s);
}

static void expect_error(const char *text, const char *needle)
{
	struct scan_case c;
	char err[256];

	assert_int_equal(scan_case_parse(text, strlen(text), &c, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not contain \"%s\"", err, needle);
	assert_null(c.segs);
}

static void test_case_file_errors_name_the_line(void **state)
{
	expect_error("", "empty case file");
	expect_error("gen 9\n", "line 1: expected 'vgt-scan-case 1'");
	expect_error("vgt-scan-case 2\n", "line 1");
	expect_error("vgt-scan-case 1\ngen 7\n", "line 2: gen 7");
	expect_error("vgt-scan-case 1\ngen 9\nengine gpu\n", "line 3: engine 'gpu'");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\n", "no entry point");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch vram 0\n", "line 4: address space");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nring 0 4096 0 0\n",
		     "line 5: a second entry point");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nmem ggtt 0\n 1 2\n",
		     "line 5: 'mem' segment without 'end'");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nmem ggtt 0\n 0x1ffffffff\nend\n",
		     "line 6");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nmem ggtt 0\n zz\nend\n",
		     "line 6: dword: 'zz'");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nexpect maybe\n",
		     "line 5: expect 'maybe'");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nfrobnicate\n",
		     "line 5: unknown");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nfill ggtt 0 6 0\n",
		     "line 5: fill of 6 bytes");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\nfill ggtt 0xfffff000 8192 0\n",
		     "runs past the end");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\n"
		     "fill ggtt 0 4096 0\nfill ggtt 0x800 4096 0\n", "overlap");
	expect_error("vgt-scan-case 1\ngen 9\nengine rcs\nbatch ggtt 0\n"
		     "fill ggtt 0 1073741824 0\n", "at most");
}

static void test_case_file_detection(void **state)
{
	assert_true(scan_case_detect(good, sizeof(good) - 1));
	assert_true(scan_case_detect("\n\n  vgt-scan-case 1", 18));
	assert_false(scan_case_detect("\x11\x00\x00\x01", 4));
	assert_false(scan_case_detect("vgt-scan", 8));
	assert_false(scan_case_detect("", 0));
}

static void test_segment_view_maps_and_refuses(void **state)
{
	static const uint32_t a[4] = { 1, 2, 3, 4 }, b[2] = { 5, 6 };
	struct scan_memseg segs[] = {
		{ SCAN_AS_PPGTT, 0x2000, b, sizeof(b) },
		{ SCAN_AS_GGTT, 0x1000, a, sizeof(a) },
		{ SCAN_AS_PPGTT, 0x1000, a, sizeof(a) },
	};
	struct scan_segmem *m;
	struct scan_mem v;
	size_t len;

	assert_int_equal(scan_segmem_new(segs, 3, &m), 0);
	scan_segmem_view(m, &v);
	const uint32_t *p = v.map(v.ctx, SCAN_AS_GGTT, 0x1004, &len);
	assert_non_null(p);
	assert_int_equal(*p, 2);
	assert_int_equal(len, 12);
	p = v.map(v.ctx, SCAN_AS_PPGTT, 0x2004, &len);
	assert_int_equal(*p, 6);
	assert_int_equal(len, 4);
	assert_null(v.map(v.ctx, SCAN_AS_GGTT, 0x2000, &len));
	assert_null(v.map(v.ctx, SCAN_AS_PPGTT, 0x1010, &len));
	assert_null(v.map(v.ctx, SCAN_AS_PPGTT, 0xfff, &len));
	scan_segmem_free(m);

	struct scan_memseg overlap[] = {
		{ SCAN_AS_GGTT, 0x1000, a, sizeof(a) },
		{ SCAN_AS_GGTT, 0x100c, b, sizeof(b) },
	};
	assert_int_equal(scan_segmem_new(overlap, 2, &m), -EINVAL);
	struct scan_memseg wrap[] = { { SCAN_AS_GGTT, UINT64_MAX - 3, a, sizeof(a) } };
	assert_int_equal(scan_segmem_new(wrap, 1, &m), -EINVAL);
}

static char *json_of(const struct scan_result *r, enum scan_policy pol)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(scan_result_json(r, pol, f), 0);
	fclose(f);
	return buf;
}

static void test_json_carries_verdict_violations_shadows_events_patches(void **state)
{
	static struct bb b;
	struct fx f;

	bb_init(&b, PP, SCAN_AS_PPGTT);
	cmd(&b, SCAN_GEN9, "MI_USER_INTERRUPT", 1);
	lri(&b, SCAN_GEN9, 0x101008, 0);
	bb_end(&b, SCAN_GEN9);
	fx_init(&f, SCAN_GEN9, SCAN_POLICY_STRICT);
	fx_map_bb(&f, &b);
	char *j = json_of(fx_batch(&f, SCAN_RCS, b.gma, b.as), SCAN_POLICY_STRICT);
	assert_non_null(strstr(j, "\"verdict\":\"violation\""));
	assert_non_null(strstr(j, "\"reason\":\"reg-protected\""));
	assert_non_null(strstr(j, "\"buffer\":\"batch\""));
	assert_non_null(strstr(j, "\"offset\":1"));
	assert_non_null(strstr(j, "\"gma\":\"0x100000004\""));
	assert_non_null(strstr(j, "\"command\":\"MI_LOAD_REGISTER_IMM\""));
	assert_non_null(strstr(j, "\"value\":\"0x101008\""));
	assert_non_null(strstr(j, "\"events\":[{\"kind\":\"user-interrupt\""));
	assert_non_null(strstr(j, "\"patches\":[{\"kind\":\"noop\""));
	assert_non_null(strstr(j, "\"shadows\":[{\"kind\":\"batch\""));
	assert_non_null(strstr(j, "\"commands\":2"));
	free(j);
	fx_done(&f);
}

static void test_json_escapes_strings(void **state)
{
	struct scan_violation v = { .reason = SCAN_R_BAD_FIELD, .command = "X" };
	struct scan_result r = { .pass = false, .violations = &v, .nviolations = 1 };

	strcpy(v.message, "quote \" backslash \\ newline \n bell \a end");
	char *j = json_of(&r, SCAN_POLICY_STRICT);
	assert_non_null(strstr(j, "quote \\\" backslash \\\\ newline \\n bell \\u0007 end"));
	free(j);
}

static uint32_t rng = 0xdecafbad;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Headers from the tables with random operands, plus raw noise: batches
 * no scan may crash on, whatever the verdict. */
static void test_random_batches_never_break_the_scanner(void **state)
{
	static uint32_t mem[3][1024];
	static const enum scan_policy pols[] = { SCAN_POLICY_STRICT, SCAN_POLICY_GVT,
						 SCAN_POLICY_AUDIT };

	for (unsigned round = 0; round < 600; round++) {
		enum scan_gen gen = round & 1 ? SCAN_GEN9 : SCAN_GEN8;
		enum scan_engine eng = (enum scan_engine)(round % SCAN_NUM_ENGINES);
		unsigned nrows = scan_table_size(gen);

		for (unsigned p = 0; p < 3; p++) {
			for (unsigned i = 0; i < 1024;) {
				uint32_t pick = next() % 8;

				if (pick < 5) {
					const struct scan_cmd_desc *d = scan_table_row(gen, next() % nrows);
					uint32_t len = d->len_kind == SCAN_LEN_VAR ? d->bias + next() % 8
										 : d->len_fixed;
					mem[p][i++] = d->len_kind == SCAN_LEN_VAR
							      ? d->value | ((len - d->bias) & d->len_mask)
							      : d->value;
					for (uint32_t k = 1; k < len && i < 1024; k++)
						mem[p][i++] = next() % 3 ? next() % 0x100 : next();
				} else if (pick == 5) {
					/* batch starts into the other pages */
					mem[p][i++] = 0x18800001u | (next() & 0x00400100u);
					if (i < 1024)
						mem[p][i++] = (uint32_t)(PP + 0x1000 * (next() % 4)) +
							      4 * (next() % 8);
					if (i < 1024)
						mem[p][i++] = 1;
				} else {
					mem[p][i++] = next();
				}
			}
		}
		struct fx f;

		fx_init(&f, gen, pols[round % 3]);
		f.cfg.all_violations = round & 2;
		f.cfg.max_batch_bytes = 1u << 16;
		for (unsigned p = 0; p < 3; p++)
			fx_map(&f, SCAN_AS_PPGTT, PP + 0x1000 * p, mem[p], sizeof(mem[p]));
		fx_map(&f, SCAN_AS_GGTT, AP, mem[0], sizeof(mem[0]));
		const struct scan_result *r =
			fx_batch(&f, eng, round & 4 ? AP : PP, round & 4 ? SCAN_AS_GGTT : SCAN_AS_PPGTT);
		if (pols[round % 3] == SCAN_POLICY_AUDIT)
			assert_true(r->pass);
		else
			assert_true(r->pass == (r->nviolations == 0));
		for (unsigned s = 0; s < r->nshadows; s++) {
			const struct scan_shadow *sh = &r->shadows[s];

			assert_true(sh->bytes <= sh->size);
			assert_int_equal(sh->size % 4096, 0);
			for (uint32_t k = sh->bytes / 4; k < sh->size / 4; k++)
				assert_int_equal(sh->data[k], 0);
		}
		fx_done(&f);
	}
}

static void test_random_case_text_never_breaks_the_parser(void **state)
{
	static const char *const words[] = {
		"vgt-scan-case", "1", "gen", "9", "8", "engine", "rcs", "vcs", "batch", "ring",
		"ggtt", "ppgtt", "mem", "end", "fill", "expect", "pass", "hwsp", "aperture",
		"hidden", "0x1000", "4096", "0xffffffff", "-1", "#", "\n", "\n", "\n", "  ",
		"0x100000000", "policy", "gvt", "reg-write", "0",
	};
	char text[512];

	for (unsigned round = 0; round < 3000; round++) {
		size_t n = 0;
		struct scan_case c;
		char err[128];

		if (round & 1)
			n += (size_t)snprintf(text, sizeof(text), "vgt-scan-case 1\n");
		while (n + 24 < sizeof(text)) {
			const char *w = words[next() % (sizeof(words) / sizeof(words[0]))];

			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s ", w);
		}
		if (scan_case_parse(text, n, &c, err, sizeof(err)) == 0)
			scan_case_free(&c);
		else
			assert_true(err[0] != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_file_parses_every_field),
		cmocka_unit_test(test_case_file_runs_as_written),
		cmocka_unit_test(test_case_check_meets_and_explains_the_expect_line),
		cmocka_unit_test(test_case_scan_runs_a_ring),
		cmocka_unit_test(test_case_file_errors_name_the_line),
		cmocka_unit_test(test_case_file_detection),
		cmocka_unit_test(test_segment_view_maps_and_refuses),
		cmocka_unit_test(test_json_carries_verdict_violations_shadows_events_patches),
		cmocka_unit_test(test_json_escapes_strings),
		cmocka_unit_test(test_random_batches_never_break_the_scanner),
		cmocka_unit_test(test_random_case_text_never_breaks_the_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
