/* SPDX-License-Identifier: MIT */
/*
 * The register allow-list as data: every row documented, rows never
 * overlap on an engine, offsets inside the 2 MiB MMIO space, the public
 * query agrees with the rows, and docs/REGISTERS.md / docs/AUDIT.md list
 * every row and every reason code.
 */
#include "tests/test_scanner_audit_util.h"
#include "scanner/audit_priv.h"

static uint32_t resolve(const struct scan_reg_row_info *r, enum scan_engine e)
{
	return r->offset + (r->rel ? scan_engine_mmio_base(e) : 0);
}

static bool applies(const struct scan_reg_row_info *r, enum scan_gen gen, enum scan_engine e)
{
	return (r->engines & SCAN_ENGINE_BIT(e)) && (r->gens & (gen == SCAN_GEN8 ? 1u : 2u));
}

static void test_every_row_is_documented(void **state)
{
	assert_true(scan_reg_rows() > 10);
	for (unsigned i = 0; i < scan_reg_rows(); i++) {
		struct scan_reg_row_info r;

		scan_reg_row(i, &r);
		assert_non_null(r.name);
		assert_non_null(r.why);
		assert_true(strlen(r.why) > 20);
		assert_true(r.len > 0 && (r.len & 3) == 0);
		assert_true(r.engines != 0 && r.gens != 0);
	}
}

static void test_rows_stay_inside_mmio_space(void **state)
{
	for (unsigned i = 0; i < scan_reg_rows(); i++) {
		struct scan_reg_row_info r;

		scan_reg_row(i, &r);
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			if (!(r.engines & SCAN_ENGINE_BIT(e)))
				continue;
			uint32_t a = resolve(&r, (enum scan_engine)e);
			assert_true(a + r.len <= (2u << 20));
			assert_int_equal(a & 3, 0);
			if (r.rel)
				assert_true(r.offset + r.len <= 0x1000); /* inside the engine block */
		}
	}
}

static void test_rows_never_overlap_on_an_engine(void **state)
{
	for (unsigned g = 8; g <= 9; g++) {
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			for (unsigned i = 0; i < scan_reg_rows(); i++) {
				struct scan_reg_row_info a;

				scan_reg_row(i, &a);
				if (!applies(&a, (enum scan_gen)g, (enum scan_engine)e))
					continue;
				for (unsigned j = i + 1; j < scan_reg_rows(); j++) {
					struct scan_reg_row_info c;

					scan_reg_row(j, &c);
					if (!applies(&c, (enum scan_gen)g, (enum scan_engine)e))
						continue;
					uint32_t x = resolve(&a, (enum scan_engine)e);
					uint32_t y = resolve(&c, (enum scan_engine)e);
					if (x < y + c.len && y < x + a.len)
						fail_msg("%s and %s overlap on %s gen%u", a.name, c.name,
							 scan_engine_name((enum scan_engine)e), g);
				}
			}
		}
	}
}

static void test_query_agrees_with_rows(void **state)
{
	for (unsigned i = 0; i < scan_reg_rows(); i++) {
		struct scan_reg_row_info r;

		scan_reg_row(i, &r);
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			if (!applies(&r, SCAN_GEN9, (enum scan_engine)e))
				continue;
			uint32_t a = resolve(&r, (enum scan_engine)e);
			struct scan_reg_verdict v;

			scan_reg_check(SCAN_GEN9, (enum scan_engine)e, SCAN_POLICY_STRICT, a, false, &v);
			assert_string_equal(v.row, r.name);
			assert_int_equal(v.row_start, a);
			if ((v.reason == SCAN_R_NONE) != r.read)
				fail_msg("%s on %s: read verdict %s", r.name,
					 scan_engine_name((enum scan_engine)e),
					 scan_reason_name((enum scan_reason)v.reason));
			scan_reg_check(SCAN_GEN9, (enum scan_engine)e, SCAN_POLICY_STRICT, a, true, &v);
			if ((v.reason == SCAN_R_NONE) != r.write)
				fail_msg("%s on %s: write verdict %s", r.name,
					 scan_engine_name((enum scan_engine)e),
					 scan_reason_name((enum scan_reason)v.reason));
		}
	}
}

static void test_unlisted_registers_are_denied_both_ways(void **state)
{
	struct scan_reg_verdict v;

	scan_reg_check(SCAN_GEN9, SCAN_RCS, SCAN_POLICY_STRICT, 0x7300, true, &v);
	assert_int_equal(v.reason, SCAN_R_REG_WRITE);
	scan_reg_check(SCAN_GEN9, SCAN_RCS, SCAN_POLICY_STRICT, 0x7300, false, &v);
	assert_int_equal(v.reason, SCAN_R_REG_READ);
	assert_null(v.row);
	scan_reg_check(SCAN_GEN9, SCAN_RCS, SCAN_POLICY_STRICT, 0x78000, false, &v);
	assert_int_equal(v.reason, SCAN_R_REG_PROTECTED);
	assert_non_null(strstr(v.row, "PVINFO"));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_registers_doc_lists_every_row(void **state)
{
	char *doc = slurp("docs/REGISTERS.md");

	if (!doc)
		fail_msg("docs/REGISTERS.md missing (run from the repository root)");
	for (unsigned i = 0; i < scan_reg_rows(); i++) {
		struct scan_reg_row_info r;
		char needle[64];

		scan_reg_row(i, &r);
		snprintf(needle, sizeof(needle), "`%s`", r.name);
		if (!strstr(doc, needle))
			fail_msg("docs/REGISTERS.md does not document row %s", r.name);
	}
	free(doc);
}

static void test_audit_doc_lists_every_reason(void **state)
{
	char *doc = slurp("docs/AUDIT.md");

	if (!doc)
		fail_msg("docs/AUDIT.md missing (run from the repository root)");
	for (unsigned i = 1; i < SCAN_R_COUNT; i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "`%s`", scan_reason_name((enum scan_reason)i));
		if (!strstr(doc, needle))
			fail_msg("docs/AUDIT.md does not document reason %s",
				 scan_reason_name((enum scan_reason)i));
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_is_documented),
		cmocka_unit_test(test_rows_stay_inside_mmio_space),
		cmocka_unit_test(test_rows_never_overlap_on_an_engine),
		cmocka_unit_test(test_query_agrees_with_rows),
		cmocka_unit_test(test_unlisted_registers_are_denied_both_ways),
		cmocka_unit_test(test_registers_doc_lists_every_row),
		cmocka_unit_test(test_audit_doc_lists_every_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
