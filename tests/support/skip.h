/* SPDX-License-Identifier: MIT */
/*
 * How a test says it skipped, so `make check` can count it (tests/support/
 * run.sh; the convention is in README.md):
 *
 *  - each skipped case prints one line "SKIP: <why>: <details>" (and appends
 *    it to $VGT_SKIP_LOG when the runner set it); <why> is one of the
 *    VGT_SKIP_* reasons below, which the summary line counts;
 *  - a program whose every case skipped exits 77 (VGT_EXIT_SKIP);
 *  - under `make check REQUIRE_ALL=1` (CI) any skip is a failure.
 *
 * Include after <cmocka.h> (vgt_skip calls cmocka's skip()).
 */
#ifndef VGT_TESTS_SKIP_H
#define VGT_TESTS_SKIP_H

#include <stddef.h>

#define VGT_SKIP_NO_SHARED "no ../shared" /* the reference data is not checked out */
#define VGT_SKIP_NO_PYTHON "no python3"
#define VGT_SKIP_NOT_ROOT  "not root"     /* tracing the probes needs root */
#define VGT_SKIP_NO_TRACEFS "no tracefs"  /* no tracefs, or a kernel without uprobe events */
#define VGT_EXIT_SKIP 77

/* The project's reference data: $VGT_SHARED, or ../shared (README.md). */
const char *vgt_test_shared(void);
/* "<shared>/<rel>" in a static buffer when that path exists, else NULL after
 * noting the skip (VGT_SKIP_NO_SHARED); the caller then calls skip(). */
const char *vgt_test_shared_path(const char *rel);

/* Prints and logs one "SKIP: why: details" line (once per skipped case). */
void vgt_skip_note(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vgt_skip(why, ...)                        \
	do {                                      \
		vgt_skip_note(why, __VA_ARGS__);  \
		skip();                           \
	} while (0)

/* A test program's exit status: the failures; else 77 when every one of its
 * ncases cases noted a skip; else 0. */
int vgt_test_status(int failures, size_t ncases);
#define vgt_run_group_tests(tests, setup, teardown)                          \
	vgt_test_status(cmocka_run_group_tests(tests, setup, teardown),     \
			sizeof(tests) / sizeof((tests)[0]))

#endif /* VGT_TESTS_SKIP_H */
