/* SPDX-License-Identifier: MIT */
/*
 * tr_import's refusals (tracer/import.c): a recording that is missing, a
 * directory, empty, not a trace-cmd file, or cut inside its headers, and
 * a log that would replace its recording, each one message naming the
 * file, no log written, in this process and in the child process alike;
 * options of an unknown size.  (A whole recording of vgt's probes is
 * tests/e2e_import.sh: making one needs root, tracefs and trace-cmd.)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracer/tracer.h"

struct fx {
	char dir[64];
	char path[128], out[128];
	char eb[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/vgt-import-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->out, sizeof(f->out), "%s/out.vgtl", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	const char *names[] = { "out.vgtl", "empty.dat", "text.dat", "cut.dat", "sub" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
		rmdir(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* tr_import on path, both ways: the error, its message naming `name` and
 * containing `what`, no log. */
static void expect_refused(struct fx *f, const char *path, int want, const char *what)
{
	for (int child = 0; child < 2; child++) {
		struct tr_import_stats st = { .sz = sizeof(st) };
		struct tr_import_opts o = { .sz = sizeof(o), .errbuf = f->eb, .errbuf_len = sizeof(f->eb),
					    .in_process = !child };
		f->eb[0] = 0;
		assert_int_equal(tr_import(path, f->out, &o, &st), want);
		assert_non_null(strstr(f->eb, path));
		if (!strstr(f->eb, what))
			fail_msg("'%s' does not say '%s'", f->eb, what);
		assert_int_equal(st.events, 0);
		assert_int_equal(access(f->out, F_OK), -1);
	}
}

static void test_a_missing_recording_is_named(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/none.dat", f->dir);
	expect_refused(f, f->path, -ENOENT, "cannot open");
}

static void test_a_directory_is_not_a_recording(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/sub", f->dir);
	assert_int_equal(mkdir(f->path, 0700), 0);
	expect_refused(f, f->path, -EISDIR, "directory");
}

static void test_an_empty_file_is_not_a_recording(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/empty.dat", f->dir);
	write_file(f->path, "", 0);
	expect_refused(f, f->path, -EPROTO, "empty");
}

static void test_text_is_not_a_recording(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/text.dat", f->dir);
	const char t[] = "# tracer: nop\n#\n  vgt-1 [001] 1.0: event: seq=1\n";
	write_file(f->path, t, sizeof(t) - 1);
	expect_refused(f, f->path, -EPROTO, "not a trace-cmd recording");
}

static void test_headers_cut_short_are_refused(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/cut.dat", f->dir);
	/* the magic, version 7, then nothing */
	const unsigned char cut[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g', '7', 0 };
	write_file(f->path, cut, sizeof(cut));
	expect_refused(f, f->path, -EPROTO, "truncated or corrupt");
}

static void test_the_log_cannot_replace_its_recording(void **state)
{
	struct fx *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/cut.dat", f->dir);
	const unsigned char cut[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g', '7', 0 };
	write_file(f->path, cut, sizeof(cut));
	struct tr_import_opts o = { .sz = sizeof(o), .errbuf = f->eb, .errbuf_len = sizeof(f->eb) };
	assert_int_equal(tr_import(f->path, f->path, &o, NULL), -EINVAL);
	assert_non_null(strstr(f->eb, "would replace"));
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, sizeof(cut));
}

static void test_options_of_an_unknown_size_are_refused(void **state)
{
	struct fx *f = *state;
	struct {
		struct tr_import_opts o;
		uint64_t more;
	} big = { .o = { .sz = sizeof(big), .errbuf = f->eb, .errbuf_len = sizeof(f->eb) }, .more = 1 };
	assert_int_equal(tr_import("x.dat", f->out, &big.o, NULL), -E2BIG);
	assert_non_null(strstr(f->eb, "x.dat"));
	struct tr_import_opts small = { .sz = 1 };
	assert_int_equal(tr_import("x.dat", f->out, &small, NULL), -EINVAL);
	assert_int_equal(tr_import(NULL, f->out, NULL, NULL), -EINVAL);
	assert_int_equal(access(f->out, F_OK), -1);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(tr_import_kind_name(TR_IMPORT_PROBES), "vgt-probes");
	assert_string_equal(tr_import_kind_name(TR_IMPORT_HOST), "gvt-host");
	assert_string_equal(tr_import_kind_name(TR_IMPORT_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_missing_recording_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_directory_is_not_a_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_empty_file_is_not_a_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_is_not_a_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers_cut_short_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_log_cannot_replace_its_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options_of_an_unknown_size_are_refused, setup, teardown),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
