/* SPDX-License-Identifier: MIT */
/*
 * common/: the error buffer, the JSON string writer (every control
 * character, quotes, backslash, NULL), the whole-file reader (directory,
 * empty, missing, over the limit, pipes) and the options-struct contract
 * (size first; a larger struct only with a zero tail).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

/* =========================================================== error buffer */

static void test_errbuf_formats_and_truncates(void **state)
{
	char buf[8];

	vgt_errbuf_set(buf, sizeof(buf), "%s %d", "abc", 42);
	assert_string_equal(buf, "abc 42");
	vgt_errbuf_set(buf, sizeof(buf), "%s", "0123456789");
	assert_string_equal(buf, "0123456");
}

static void test_errbuf_null_or_empty_buffer_is_ignored(void **state)
{
	char buf[4] = "xyz";

	vgt_errbuf_set(NULL, 16, "%s", "never");
	vgt_errbuf_set(buf, 0, "%s", "never");
	assert_string_equal(buf, "xyz");
}

/* =================================================================== JSON */

/* What vgt_json_str writes for s, as a malloc'd string. */
static char *json_of(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(vgt_json_str(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void test_json_escapes_every_control_character(void **state)
{
	for (unsigned c = 1; c < 0x20; c++) {
		char in[2] = { (char)c, 0 };
		char want[16];
		char *got = json_of(in);

		switch (c) {
		case '\b': strcpy(want, "\"\\b\""); break;
		case '\f': strcpy(want, "\"\\f\""); break;
		case '\n': strcpy(want, "\"\\n\""); break;
		case '\r': strcpy(want, "\"\\r\""); break;
		case '\t': strcpy(want, "\"\\t\""); break;
		default: snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		}
		if (strcmp(got, want))
			fail_msg("byte 0x%02x: got %s, want %s", c, got, want);
		free(got);
	}
	char *del = json_of("\x7f");
	assert_string_equal(del, "\"\\u007f\"");
	free(del);
}

static void test_json_escapes_quote_and_backslash(void **state)
{
	char *got = json_of("say \"hi\" C:\\dir\\");

	assert_string_equal(got, "\"say \\\"hi\\\" C:\\\\dir\\\\\"");
	free(got);
}

static void test_json_passes_text_and_utf8_through(void **state)
{
	char *got = json_of("MI_NOOP / caf\xc3\xa9");

	assert_string_equal(got, "\"MI_NOOP / caf\xc3\xa9\"");
	free(got);
	got = json_of("");
	assert_string_equal(got, "\"\"");
	free(got);
}

/* Bytes that begin no well-formed UTF-8 sequence are U+FFFD, one per
 * byte (they once passed through: invalid UTF-8, so invalid JSON); what
 * python's json refuses (overlongs, surrogates, past U+10FFFF) too. */
static void test_json_invalid_utf8_is_replacement_characters(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "\xff", "\"\\ufffd\"" },
		{ "\x80", "\"\\ufffd\"" },
		{ "\xc3\x28", "\"\\ufffd(\"" },
		{ "a\xc3", "\"a\\ufffd\"" },                        /* cut at the end */
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },               /* overlong '/' */
		{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },    /* overlong, 3 bytes */
		{ "\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },    /* U+D800 */
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* past U+10FFFF */
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },
		{ "x\x1b\xfe\"", "\"x\\u001b\\ufffd\\\"\"" },
		/* well-formed: unchanged */
		{ "\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"" },
		{ "\xe2\x82\xac \xed\x9f\xbf \xef\xbf\xbd", "\"\xe2\x82\xac \xed\x9f\xbf \xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", "\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in);
		char buf[64];
		size_t n = vgt_json_escape(buf, sizeof(buf), cases[i].in);

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: vgt_json_str gave %s, want %s", i, got, cases[i].want);
		if (n != strlen(cases[i].want) || strcmp(buf, cases[i].want))
			fail_msg("case %zu: vgt_json_escape gave %s (%zu), want %s", i, buf, n,
				 cases[i].want);
		free(got);
	}
}

static void test_json_null_string_is_null(void **state)
{
	char *got = json_of(NULL);
	char buf[8];

	assert_string_equal(got, "null");
	free(got);
	assert_int_equal(vgt_json_escape(buf, sizeof(buf), NULL), 4);
	assert_string_equal(buf, "null");
}

static void test_json_escape_into_buffer_sizes_like_snprintf(void **state)
{
	char buf[64];
	char small[5];

	assert_int_equal(vgt_json_escape(buf, sizeof(buf), "a\nb\x01"), 12);
	assert_string_equal(buf, "\"a\\nb\\u0001\"");
	/* too small: truncated, terminated, and the full length still returned */
	assert_int_equal(vgt_json_escape(small, sizeof(small), "a\nb"), 6);
	assert_string_equal(small, "\"a\\n");
	assert_int_equal(vgt_json_escape(NULL, 0, "\t"), 4);
}

static void test_json_hex_and_key(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(vgt_json_key(f, "gma"), 0);
	assert_int_equal(vgt_json_hex(f, 0xffff00000000ull), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, "\"gma\":\"0xffff00000000\"");
	free(text);
}

/* ============================================================ file reader */

struct tmp {
	char dir[64];
	char path[96];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	strcpy(t->dir, "/tmp/vgt-test-common-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/f", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_read_file_reads_whole_file_nul_terminated(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	void *data = NULL;
	size_t len = 0;

	write_bytes(t->path, "{\"a\":1}", 7);
	assert_int_equal(vgt_read_file(t->path, 7, 0, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "{\"a\":1}", 8); /* the NUL after the data */
	assert_string_equal(err, "");
	free(data);
}

static void test_read_file_refuses_a_directory(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	void *data = (void *)1;
	size_t len = 1;

	assert_int_equal(vgt_read_file(t->dir, 1024, 0, &data, &len, err, sizeof(err)), -EISDIR);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, t->dir));
	assert_non_null(strstr(err, "directory"));
}

static void test_read_file_refuses_an_empty_file_unless_allowed(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	void *data = NULL;
	size_t len = 1;

	write_bytes(t->path, "", 0);
	assert_int_equal(vgt_read_file(t->path, 1024, 0, &data, &len, err, sizeof(err)), -ENODATA);
	assert_non_null(strstr(err, "empty"));
	assert_null(data);

	assert_int_equal(vgt_read_file(t->path, 1024, VGT_READ_ALLOW_EMPTY, &data, &len, NULL, 0), 0);
	assert_non_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(((char *)data)[0], '\0');
	free(data);
}

static void test_read_file_missing_file_says_so(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	void *data = NULL;
	size_t len;

	assert_int_equal(vgt_read_file(t->path, 1024, 0, &data, &len, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, t->path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_null(data);
}

static void test_read_file_over_the_limit_is_efbig(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	void *data = NULL;
	size_t len;

	write_bytes(t->path, "12345678", 8);
	assert_int_equal(vgt_read_file(t->path, 7, 0, &data, &len, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "too large"));
	assert_non_null(strstr(err, "8 bytes"));
	assert_null(data);
	/* exactly the limit is fine */
	assert_int_equal(vgt_read_file(t->path, 8, 0, &data, &len, NULL, 0), 0);
	assert_int_equal(len, 8);
	free(data);
}

/* A pipe holding n bytes of 'x' with its write end closed; the path that
 * opens its read end. */
static int pipe_of(size_t n, char *path, size_t pathlen)
{
	char block[4096];
	int fds[2];

	memset(block, 'x', sizeof(block));
	assert_true(n <= 16 * sizeof(block)); /* fits the pipe's buffer */
	assert_int_equal(pipe(fds), 0);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(block) ? n - done : sizeof(block);
		assert_int_equal(write(fds[1], block, k), (ssize_t)k);
		done += k;
	}
	close(fds[1]);
	snprintf(path, pathlen, "/proc/self/fd/%d", fds[0]);
	return fds[0];
}

static void test_read_file_reads_a_pipe_to_its_end_within_the_limit(void **state)
{
	char path[64];
	char err[256] = "";
	void *data = NULL;
	size_t len = 0;
	int fd;

	/* a pipe has no size to check first: the limit is found while reading */
	fd = pipe_of(5000, path, sizeof(path));
	assert_int_equal(vgt_read_file(path, 4999, 0, &data, &len, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "too large"));
	assert_null(data);
	close(fd);

	fd = pipe_of(5000, path, sizeof(path));
	assert_int_equal(vgt_read_file(path, 5000, 0, &data, &len, NULL, 0), 0);
	assert_int_equal(len, 5000);
	assert_int_equal(((char *)data)[4999], 'x');
	assert_int_equal(((char *)data)[5000], '\0');
	free(data);
	close(fd);

	fd = pipe_of(0, path, sizeof(path));
	assert_int_equal(vgt_read_file(path, 5000, 0, &data, &len, err, sizeof(err)), -ENODATA);
	close(fd);
}

/* ======================================================= options structs */

struct opts_v1 {
	size_t sz;
	int a;
	int b;
};

/* The same struct as a newer caller built it, with one more field. */
struct opts_v2 {
	size_t sz;
	int a;
	int b;
	long c;
};

static void test_opts_null_means_defaults(void **state)
{
	struct opts_v1 o = { .sz = sizeof(o), .a = 7 };

	assert_int_equal(vgt_opts_check(NULL, sizeof(struct opts_v1)), 0);
	assert_int_equal(VGT_OPTS_LOAD(&o, (const struct opts_v1 *)NULL), 0);
	assert_int_equal(o.a, 7);
}

static void test_opts_smaller_than_the_size_field_is_einval(void **state)
{
	struct opts_v1 o = { .sz = sizeof(size_t) - 1 };

	assert_int_equal(VGT_OPTS_CHECK(&o), -EINVAL);
	o.sz = 0;
	assert_int_equal(VGT_OPTS_CHECK(&o), -EINVAL);
}

static void test_opts_larger_struct_with_zero_tail_is_accepted(void **state)
{
	struct opts_v2 newer = { .sz = sizeof(newer), .a = 1, .b = 2, .c = 0 };
	struct opts_v1 o = { .sz = sizeof(o) };

	assert_int_equal(vgt_opts_check(&newer, sizeof(struct opts_v1)), 0);
	assert_int_equal(vgt_opts_load(&o, sizeof(o), &newer), 0);
	assert_int_equal(o.sz, sizeof(struct opts_v1));
	assert_int_equal(o.a, 1);
	assert_int_equal(o.b, 2);
}

static void test_opts_larger_struct_with_nonzero_tail_is_e2big(void **state)
{
	struct opts_v2 newer = { .sz = sizeof(newer), .a = 1, .c = 1 };
	struct opts_v1 o = { .sz = sizeof(o), .a = 9 };

	assert_int_equal(vgt_opts_check(&newer, sizeof(struct opts_v1)), -E2BIG);
	assert_int_equal(vgt_opts_load(&o, sizeof(o), &newer), -E2BIG);
	assert_int_equal(o.a, 9); /* untouched */
}

static void test_opts_older_smaller_struct_keeps_defaults_past_it(void **state)
{
	/* an older caller knew only sz and a */
	struct opts_v1 caller = { .sz = offsetof(struct opts_v1, b), .a = 3, .b = 99 };
	struct opts_v1 o = { .sz = sizeof(o), .b = 5 };

	assert_int_equal(VGT_OPTS_LOAD(&o, &caller), 0);
	assert_int_equal(o.a, 3);
	assert_int_equal(o.b, 5); /* the caller's b is past its sz: not read */
	const struct opts_v1 *in = &caller, *none = NULL;
	assert_int_equal(VGT_OPT(in, a, -1), 3);
	assert_int_equal(VGT_OPT(in, b, -1), -1);
	assert_int_equal(VGT_OPT(none, a, -1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errbuf_formats_and_truncates),
		cmocka_unit_test(test_errbuf_null_or_empty_buffer_is_ignored),
		cmocka_unit_test(test_json_escapes_every_control_character),
		cmocka_unit_test(test_json_escapes_quote_and_backslash),
		cmocka_unit_test(test_json_passes_text_and_utf8_through),
		cmocka_unit_test(test_json_invalid_utf8_is_replacement_characters),
		cmocka_unit_test(test_json_null_string_is_null),
		cmocka_unit_test(test_json_escape_into_buffer_sizes_like_snprintf),
		cmocka_unit_test(test_json_hex_and_key),
		cmocka_unit_test_setup_teardown(test_read_file_reads_whole_file_nul_terminated,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_refuses_a_directory, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_refuses_an_empty_file_unless_allowed,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_missing_file_says_so, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_over_the_limit_is_efbig, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_read_file_reads_a_pipe_to_its_end_within_the_limit),
		cmocka_unit_test(test_opts_null_means_defaults),
		cmocka_unit_test(test_opts_smaller_than_the_size_field_is_einval),
		cmocka_unit_test(test_opts_larger_struct_with_zero_tail_is_accepted),
		cmocka_unit_test(test_opts_larger_struct_with_nonzero_tail_is_e2big),
		cmocka_unit_test(test_opts_older_smaller_struct_keeps_defaults_past_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
