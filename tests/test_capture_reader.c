/* SPDX-License-Identifier: MIT */
/*
 * The capture reader (corpus/): the strict JSON parser, rebuilding objects
 * from sparse chunks, canonical address masking, and the memory view over a
 * loaded record.  Every capture here is synthetic, built by the test in a
 * temporary folder, so the whole case is visible in the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus/corpus.h"

/* ================================================================ JSON */

static struct corpus_json *parse_ok(const char *text)
{
	struct corpus_json *doc = NULL;
	char err[256] = "";
	int r = corpus_json_parse(text, strlen(text), NULL, &doc, err, sizeof(err));

	if (r)
		fail_msg("parse of '%s' failed (%d): %s", text, r, err);
	assert_non_null(doc);
	return doc;
}

static int parse_err(const char *text, char *err, size_t errlen)
{
	struct corpus_json *doc = (struct corpus_json *)1;
	int r = corpus_json_parse(text, strlen(text), NULL, &doc, err, errlen);

	assert_null(doc);
	return r;
}

static void test_json_object_and_array_values_are_reachable(void **state)
{
	struct corpus_json *doc =
		parse_ok(" {\"b\": [1, true, false, null, \"s\", {}, []], \"a\": {\"x\": -2}} ");
	const struct corpus_json_value *root = corpus_json_root(doc), *b, *a;
	const char *key;
	size_t klen;
	int64_t i;
	bool t;

	(void)state;
	assert_int_equal(corpus_json_type(root), CORPUS_JSON_OBJECT);
	assert_int_equal(corpus_json_count(root), 2);
	/* members keep document order; lookup is by name */
	assert_non_null(corpus_json_member(root, 0, &key, &klen));
	assert_int_equal(klen, 1);
	assert_memory_equal(key, "b", 1);
	b = corpus_json_get(root, "b");
	assert_int_equal(corpus_json_type(b), CORPUS_JSON_ARRAY);
	assert_int_equal(corpus_json_count(b), 7);
	assert_int_equal(corpus_json_type(corpus_json_at(b, 1)), CORPUS_JSON_TRUE);
	assert_int_equal(corpus_json_bool(corpus_json_at(b, 2), &t), 0);
	assert_false(t);
	assert_int_equal(corpus_json_type(corpus_json_at(b, 3)), CORPUS_JSON_NULL);
	assert_string_equal(corpus_json_string(corpus_json_at(b, 4), NULL), "s");
	assert_int_equal(corpus_json_count(corpus_json_at(b, 5)), 0);
	assert_int_equal(corpus_json_type(corpus_json_at(b, 6)), CORPUS_JSON_ARRAY);
	assert_null(corpus_json_at(b, 7));
	a = corpus_json_get(root, "a");
	assert_int_equal(corpus_json_i64(corpus_json_get(a, "x"), &i), 0);
	assert_int_equal(i, -2);
	assert_null(corpus_json_get(root, "c"));
	assert_null(corpus_json_get(b, "a")); /* not an object */
	corpus_json_free(doc);
}

static void test_json_lookup_finds_every_key_of_a_large_object(void **state)
{
	char *text = malloc(1 << 20);
	size_t n = 0;
	struct corpus_json *doc;
	const struct corpus_json_value *root;

	(void)state;
	n += (size_t)sprintf(text + n, "{");
	for (int k = 999; k >= 0; k--)
		n += (size_t)sprintf(text + n, "%s\"key%d\":%d", k == 999 ? "" : ",", k, k);
	sprintf(text + n, "}");
	doc = parse_ok(text);
	root = corpus_json_root(doc);
	assert_int_equal(corpus_json_count(root), 1000);
	for (int k = 0; k < 1000; k++) {
		char key[16];
		uint64_t u;

		snprintf(key, sizeof(key), "key%d", k);
		assert_int_equal(corpus_json_u64(corpus_json_get(root, key), &u), 0);
		assert_int_equal(u, (uint64_t)k);
	}
	corpus_json_free(doc);
	free(text);
}

static void test_json_string_escapes_decode_to_utf8(void **state)
{
	struct corpus_json *doc = parse_ok(
		"[\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", \"\\ud83d\\ude00\","
		" \"a\\u0000b\", \"\xc3\xa9 raw\"]");
	const struct corpus_json_value *r = corpus_json_root(doc);
	size_t len;
	const char *s;

	(void)state;
	assert_string_equal(corpus_json_string(corpus_json_at(r, 0), NULL),
			    "q\" b\\ s/ \b\f\n\r\t");
	assert_string_equal(corpus_json_string(corpus_json_at(r, 1), NULL),
			    "\xc3\xa9\xe2\x82\xac");
	assert_string_equal(corpus_json_string(corpus_json_at(r, 2), NULL), "\xf0\x9f\x98\x80");
	s = corpus_json_string(corpus_json_at(r, 3), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\0b", 3);
	assert_string_equal(corpus_json_string(corpus_json_at(r, 4), NULL), "\xc3\xa9 raw");
	corpus_json_free(doc);
}

static void test_json_bad_strings_are_rejected(void **state)
{
	static const char *const bad[] = {
		"\"\\x\"",            /* unknown escape */
		"\"\\u12\"",          /* short \u */
		"\"\\u12g4\"",        /* not hex */
		"\"\\ud83d\"",        /* lone high surrogate */
		"\"\\ud83d\\u0041\"", /* high surrogate + non-low */
		"\"\\ude00\"",        /* lone low surrogate */
		"\"a\tb\"",           /* raw control character */
		"\"a\nb\"",
		"\"\xc3\"",           /* truncated UTF-8 */
		"\"\xc0\xaf\"",       /* overlong */
		"\"\xed\xa0\x80\"",   /* encoded surrogate */
		"\"\xf5\x80\x80\x80\"", /* beyond U+10FFFF */
		"\"\xff\"",
		"\"unterminated",
	};
	char err[256];

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		err[0] = '\0';
		if (parse_err(bad[k], err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was not rejected with -EINVAL", bad[k]);
		assert_non_null(strstr(err, "byte "));
	}
}

static void test_json_nesting_beyond_the_cap_is_an_error_not_a_crash(void **state)
{
	size_t n = 1000000;
	char *deep = malloc(2 * n + 1);
	struct corpus_json *doc = NULL;
	struct corpus_json_opts opts = { .sz = sizeof(opts), .max_depth = 3 };
	char err[256];
	int r;

	(void)state;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	/* a million levels: refused at the default cap of 64 */
	r = corpus_json_parse(deep, 2 * n, NULL, &doc, err, sizeof(err));
	assert_int_equal(r, -E2BIG);
	assert_null(doc);
	assert_non_null(strstr(err, "nesting deeper than 64"));
	/* exactly 64 levels are fine */
	r = corpus_json_parse(deep + n - 64, 128, NULL, &doc, err, sizeof(err));
	assert_int_equal(r, 0);
	corpus_json_free(doc);
	/* 65 are not */
	r = corpus_json_parse(deep + n - 65, 130, NULL, &doc, err, sizeof(err));
	assert_int_equal(r, -E2BIG);
	/* a caller's cap */
	assert_int_equal(corpus_json_parse("[[[1]]]", 7, &opts, &doc, NULL, 0), 0);
	corpus_json_free(doc);
	assert_int_equal(corpus_json_parse("[[[[1]]]]", 9, &opts, &doc, NULL, 0), -E2BIG);
	assert_int_equal(corpus_json_parse("{\"a\":{\"b\":{\"c\":{}}}}", 20, &opts, &doc, NULL, 0),
			 -E2BIG);
	free(deep);
}

static void test_json_every_truncation_of_a_document_is_an_error(void **state)
{
	static const char doc[] =
		"{\"format\": \"x\\u00e9\", \"n\": [0, -1.5e+3, 12345678901234567890, true, "
		"false, null], \"o\": {\"k\": \"\\ud83d\\ude00\"}}";
	struct corpus_json *d = NULL;
	char err[256];

	(void)state;
	assert_int_equal(corpus_json_parse(doc, sizeof(doc) - 1, NULL, &d, err, sizeof(err)), 0);
	corpus_json_free(d);
	for (size_t n = 0; n + 1 < sizeof(doc); n++) {
		char *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		int r;

		memcpy(copy, doc, n);
		d = (struct corpus_json *)1;
		r = corpus_json_parse(copy, n, NULL, &d, err, sizeof(err));
		if (r != -EINVAL)
			fail_msg("prefix of %zu bytes gave %d, not -EINVAL", n, r);
		assert_null(d);
		free(copy);
	}
}

static void test_json_numbers_follow_the_grammar_and_keep_integers_exact(void **state)
{
	struct corpus_json *doc = parse_ok(
		"[0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775808,"
		" -9223372036854775809, 1.5, -2.5e-3, 1E2, 9007199254740993]");
	const struct corpus_json_value *r = corpus_json_root(doc);
	uint64_t u;
	int64_t i;
	double d;

	(void)state;
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 0), &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 1), &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 2), &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 3), &u), -ERANGE);
	assert_int_equal(corpus_json_i64(corpus_json_at(r, 4), &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 4), &u), -ERANGE);
	assert_int_equal(corpus_json_i64(corpus_json_at(r, 5), &i), -ERANGE);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 6), &u), -EINVAL); /* fraction */
	assert_int_equal(corpus_json_double(corpus_json_at(r, 6), &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(corpus_json_double(corpus_json_at(r, 7), &d), 0);
	assert_true(d == -2.5e-3);
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 8), &u), -EINVAL); /* exponent */
	assert_int_equal(corpus_json_double(corpus_json_at(r, 8), &d), 0);
	assert_true(d == 100.0);
	/* beyond double precision, the integer stays exact */
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 9), &u), 0);
	assert_true(u == UINT64_C(9007199254740993));
	assert_int_equal(corpus_json_u64(corpus_json_at(r, 4 + 100), &u), -EINVAL);
	corpus_json_free(doc);
}

static void test_json_malformed_numbers_are_rejected(void **state)
{
	static const char *const bad[] = {
		"01", "-", "+1", "1.", ".5", "1e", "1e+", "-a", "0x10", "1.e3", "--1", "NaN",
		"Infinity", "1 2",
	};
	char err[256];

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (parse_err(bad[k], err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was not rejected with -EINVAL", bad[k]);
	assert_int_equal(parse_err("1e400", err, sizeof(err)), -ERANGE);
}

static void test_json_overlong_number_is_refused(void **state)
{
	char text[400];
	char err[256];

	(void)state;
	memset(text, '7', 300);
	text[300] = '\0';
	assert_int_equal(parse_err(text, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "number longer than"));
}

static void test_json_error_message_names_the_byte_offset(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse_err("{\"a\": tru}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "byte 6 (line 1, column 7)"));
	assert_int_equal(parse_err("[1,\n 2,\n x]", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "byte 9 (line 3, column 2)"));
	assert_int_equal(parse_err("", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "end of input"));
}

static void test_json_structural_errors_are_rejected(void **state)
{
	static const char *const bad[] = {
		"{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]", "{1:2}", "{\"a\":1 \"b\":2}", "[}",
		"{]", "tru", "nul", "falsey", "[1] x", "\xef\xbb\xbf[]", "[\x00]", "{\"a\":1}}",
		"\v[]",
	};
	char err[256];

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct corpus_json *d = NULL;
		int r = corpus_json_parse(bad[k], strlen(bad[k]) + (k == 13 ? 3 : 0), NULL, &d,
					  err, sizeof(err));

		if (r != -EINVAL)
			fail_msg("case %zu was not rejected with -EINVAL (%d)", k, r);
		assert_null(d);
	}
}

static void test_json_duplicate_keys_are_rejected(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse_err("{\"a\":1,\"b\":2,\"a\":3}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duplicate key \"a\""));
	/* the same key in different objects is fine */
	corpus_json_free(parse_ok("[{\"a\":1},{\"a\":2}]"));
}

static void test_json_random_garbage_never_crashes(void **state)
{
	static const char alphabet[] = "{}[]\":,-0123456789.eE+tfnrulasx\\ \n\x80\xc3\xa9";
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		char buf[48];
		size_t n = (size_t)(round % 47) + 1;
		struct corpus_json *d = NULL;
		char err[128];
		int r;

		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		r = corpus_json_parse(buf, n, NULL, &d, err, sizeof(err));
		assert_true(r == 0 || r == -EINVAL || r == -E2BIG || r == -ERANGE);
		assert_true((r == 0) == (d != NULL));
		corpus_json_free(d);
	}
}

static void test_json_input_size_cap(void **state)
{
	struct corpus_json_opts opts = { .sz = sizeof(opts), .max_bytes = 4 };
	struct corpus_json *d = NULL;

	(void)state;
	assert_int_equal(corpus_json_parse("[1]", 3, &opts, &d, NULL, 0), 0);
	corpus_json_free(d);
	assert_int_equal(corpus_json_parse("[1,2]", 5, &opts, &d, NULL, 0), -E2BIG);
}

/* ======================================================= capture folders */

struct tmpcap {
	char dir[64];
	char blobs[96];
};

static void tmpcap_init(struct tmpcap *t)
{
	strcpy(t->dir, "/tmp/vgt-capture-test-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->blobs, sizeof(t->blobs), "%s/blobs", t->dir);
	assert_int_equal(mkdir(t->blobs, 0700), 0);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmpcap_done(struct tmpcap *t)
{
	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const void *data, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Blob names are 64 hex digits + ".bin"; the tests number theirs. */
static const char *blob_name(unsigned k)
{
	static char names[8][72];
	char *s = names[k % 8];

	snprintf(s, 72, "%064x.bin", k + 1);
	return s;
}

static void write_blob(struct tmpcap *t, unsigned k, const void *data, size_t n)
{
	write_file(t->blobs, blob_name(k), data, n);
}

/*
 * One record: a batch object at `batch_addr` (string as captures write it)
 * with chunks `chunks_json`, plus a second 8 KiB object at 0x200000 with
 * one 16-byte chunk (blob 7).
 */
static void write_record(struct tmpcap *t, const char *name, const char *batch_addr,
			 unsigned size, const char *chunks_json, unsigned batch_len,
			 const char *extra_obj_json)
{
	char json[8192];
	int n;

	n = snprintf(json, sizeof(json),
		     "{\"format\": \"fakei915-exec-v2\", \"seq\": 3, \"gen\": 9, \"engine\": \"vcs\",\n"
		     " \"batch_index\": 0, \"batch_gpu_address\": \"%s\", \"batch_start_offset\": 0,\n"
		     " \"batch_len\": %u, \"objects\": [\n"
		     "  {\"index\": 0, \"handle\": 5, \"size\": %u, \"gpu_address\": \"%s\",\n"
		     "   \"is_batch\": true, \"chunks\": %s,\n"
		     "   \"relocations\": [{\"offset\": 8, \"target_index\": 1, \"target_handle\": 6,\n"
		     "     \"delta\": -4, \"read_domains\": \"0x2\", \"write_domain\": \"0x0\",\n"
		     "     \"address\": \"0x1ffffc\"}]},\n"
		     "  {\"index\": 1, \"handle\": 6, \"size\": 8192, \"gpu_address\": \"0x200000\",\n"
		     "   \"is_batch\": false, \"chunks\": [{\"offset\": 0, \"length\": 16, \"blob\": \"%s\"}]}%s%s\n"
		     " ]}\n",
		     batch_addr, batch_len, size, batch_addr, chunks_json, blob_name(7),
		     extra_obj_json ? ",\n" : "", extra_obj_json ? extra_obj_json : "");
	assert_true(n > 0 && (size_t)n < sizeof(json));
	write_file(t->dir, name, json, (size_t)n);
	{
		static const uint8_t sixteen[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
						     0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

		write_blob(t, 7, sixteen, sizeof(sixteen));
	}
}

static char *chunks(unsigned off0, unsigned len0, unsigned blob0, int off1, unsigned len1,
		    unsigned blob1)
{
	static char buf[2048];

	if (off1 < 0)
		snprintf(buf, sizeof(buf), "[{\"offset\": %u, \"length\": %u, \"blob\": \"%s\"}]",
			 off0, len0, blob_name(blob0));
	else
		snprintf(buf, sizeof(buf),
			 "[{\"offset\": %u, \"length\": %u, \"blob\": \"%s\"},"
			 " {\"offset\": %d, \"length\": %u, \"blob\": \"%s\"}]",
			 off0, len0, blob_name(blob0), off1, len1, blob_name(blob1));
	return buf;
}

static struct corpus_record *load_ok(struct tmpcap *t, const char *name)
{
	char path[256], err[512] = "";
	struct corpus_record *rec = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	r = corpus_record_load_file(path, t->blobs, &rec, err, sizeof(err));
	if (r)
		fail_msg("load of %s failed (%d): %s", path, r, err);
	return rec;
}

static int load_err(struct tmpcap *t, const char *name, char *err, size_t errlen)
{
	char path[256];
	struct corpus_record *rec = (struct corpus_record *)1;
	int r;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	r = corpus_record_load_file(path, t->blobs, &rec, err, errlen);
	assert_null(rec);
	return r;
}

static void test_chunks_are_placed_at_their_offsets_with_zero_gaps(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b1[4] = { 9, 10, 11, 12 };
	struct corpus_record *rec;
	const struct corpus_object *o;

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_blob(&t, 1, b1, sizeof(b1));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, 4092, 4, 1), 0, NULL);
	rec = load_ok(&t, "exec-0000.json");
	assert_int_equal(corpus_record_object_count(rec), 2);
	o = corpus_record_object(rec, 0);
	assert_int_equal(o->size, 4096);
	assert_true(o->is_batch);
	assert_memory_equal(o->data, b0, 8);
	for (unsigned k = 8; k < 4092; k++)
		if (o->data[k])
			fail_msg("byte %u of the gap is 0x%02x, not zero", k, o->data[k]);
	assert_memory_equal(o->data + 4092, b1, 4);
	/* an object with one chunk shorter than the object */
	o = corpus_record_object(rec, 1);
	assert_int_equal(o->data[15], 0xaf);
	assert_int_equal(o->data[16], 0);
	assert_int_equal(o->data[8191], 0);
	corpus_record_free(rec);
	tmpcap_done(&t);
}

static void test_record_fields_and_relocations_are_loaded(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0 };
	struct corpus_record *rec;
	const struct corpus_object *o;
	struct corpus_batch b;

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 64, NULL);
	rec = load_ok(&t, "exec-0000.json");
	assert_int_equal(corpus_record_gen(rec), SCAN_GEN9);
	assert_int_equal(corpus_record_engine(rec), SCAN_VCS);
	assert_int_equal(corpus_record_seq(rec), 3);
	corpus_record_batch(rec, &b);
	assert_int_equal(b.object, 0);
	assert_int_equal(b.gpu_address, 0x100000);
	assert_int_equal(b.len, 64);
	assert_int_equal(b.bytes, 64);
	o = corpus_record_object(rec, 0);
	assert_int_equal(o->handle, 5);
	assert_int_equal(o->nrelocs, 1);
	assert_int_equal(o->relocs[0].offset, 8);
	assert_int_equal(o->relocs[0].target_index, 1);
	assert_int_equal(o->relocs[0].delta, -4);
	assert_int_equal(o->relocs[0].read_domains, 2);
	assert_true(o->relocs[0].has_address);
	assert_int_equal(o->relocs[0].address, 0x1ffffc);
	assert_int_equal(corpus_record_object(rec, 1)->nrelocs, 0);
	assert_null(corpus_record_object(rec, 2));
	corpus_record_free(rec);
	tmpcap_done(&t);
}

static void test_batch_len_zero_means_to_the_end_of_the_object(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0 };
	struct corpus_record *rec;
	struct corpus_batch b;

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 0, NULL);
	rec = load_ok(&t, "exec-0000.json");
	corpus_record_batch(rec, &b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.bytes, 4096);
	corpus_record_free(rec);
	tmpcap_done(&t);
}

static void test_chunk_running_past_its_object_is_rejected(void **state)
{
	struct tmpcap t;
	uint8_t b1[8] = { 0 };
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 1, b1, sizeof(b1));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(4092, 8, 1, -1, 0, 0), 0, NULL);
	assert_int_equal(load_err(&t, "exec-0000.json", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "exec-0000.json"));
	assert_non_null(strstr(err, "objects[0].chunks[0]"));
	assert_non_null(strstr(err, "runs past the end"));
	tmpcap_done(&t);
}

static void test_missing_blob_is_rejected_naming_it(void **state)
{
	struct tmpcap t;
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 3, -1, 0, 0), 0, NULL);
	assert_int_equal(load_err(&t, "exec-0000.json", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "exec-0000.json"));
	assert_non_null(strstr(err, blob_name(3)));
	tmpcap_done(&t);
}

static void test_blob_of_the_wrong_size_is_rejected(void **state)
{
	struct tmpcap t;
	uint8_t b0[12] = { 0 };
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 0, NULL);
	assert_int_equal(load_err(&t, "exec-0000.json", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is 12 bytes, the chunk says 8"));
	tmpcap_done(&t);
}

static void test_overlapping_chunks_are_rejected(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0 };
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, 4, 8, 0), 0, NULL);
	assert_int_equal(load_err(&t, "exec-0000.json", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlap"));
	tmpcap_done(&t);
}

static void test_overlapping_objects_are_rejected(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0 };
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 0,
		     "  {\"index\": 2, \"handle\": 9, \"size\": 8192, \"gpu_address\": \"0x201000\","
		     " \"is_batch\": false, \"chunks\": []}");
	assert_int_equal(load_err(&t, "exec-0000.json", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "objects[1]"));
	assert_non_null(strstr(err, "objects[2]"));
	assert_non_null(strstr(err, "overlap"));
	tmpcap_done(&t);
}

static void test_bad_records_are_rejected_with_the_reason(void **state)
{
	static const struct {
		const char *json, *expect;
	} cases[] = {
		{ "{\"format\": \"fakei915-exec-v2\", ", "bad JSON: byte 31" },
		{ "[]", "not an object" },
		{ "{\"format\": \"other\"}", "format" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 7}", "gen: 7" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"xcs\"}",
		  "engine" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\"}",
		  "batch_index: missing" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 0, \"batch_gpu_address\": 4096, \"batch_start_offset\": 0,"
		  " \"batch_len\": 0, \"objects\": []}", "batch_gpu_address: expected a hex string" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 1, \"batch_gpu_address\": \"0x1000\", \"batch_start_offset\": 0,"
		  " \"batch_len\": 0, \"objects\": [{\"index\": 0, \"handle\": 1, \"size\": 4096,"
		  " \"gpu_address\": \"0x1000\", \"is_batch\": true, \"chunks\": []}]}",
		  "batch_index: 1, but the record has 1 objects" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 0, \"batch_gpu_address\": \"0x1000\", \"batch_start_offset\": 0,"
		  " \"batch_len\": 8192, \"objects\": [{\"index\": 0, \"handle\": 1, \"size\": 4096,"
		  " \"gpu_address\": \"0x1000\", \"is_batch\": true, \"chunks\": []}]}",
		  "runs past the 4096-byte batch object" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 0, \"batch_gpu_address\": \"0x2000\", \"batch_start_offset\": 0,"
		  " \"batch_len\": 0, \"objects\": [{\"index\": 0, \"handle\": 1, \"size\": 4096,"
		  " \"gpu_address\": \"0x1000\", \"is_batch\": true, \"chunks\": []}]}",
		  "batch_gpu_address 0x2000 is not objects[0]" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 0, \"batch_gpu_address\": \"0x1000\", \"batch_start_offset\": 0,"
		  " \"batch_len\": 0, \"objects\": [{\"index\": 0, \"handle\": 1, \"size\": 4096,"
		  " \"gpu_address\": \"0x1000\", \"is_batch\": true, \"chunks\": [{\"offset\": 0,"
		  " \"length\": 4, \"blob\": \"../../etc/passwd\"}]}]}",
		  "chunks[0].blob" },
		{ "{\"format\": \"fakei915-exec-v2\", \"seq\": 0, \"gen\": 9, \"engine\": \"rcs\","
		  " \"batch_index\": 0, \"batch_gpu_address\": \"0x1000\", \"batch_start_offset\": 0,"
		  " \"batch_len\": 0, \"objects\": [{\"index\": 0, \"handle\": 1, \"size\": 4096,"
		  " \"gpu_address\": \"0x1000\", \"is_batch\": true, \"chunks\": [],"
		  " \"relocations\": [{\"offset\": 4094, \"target_index\": 0, \"delta\": 0}]}]}",
		  "relocations[0].offset" },
	};
	struct tmpcap t;

	(void)state;
	tmpcap_init(&t);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char err[512] = "";
		int r;

		write_file(t.dir, "exec-0000.json", cases[k].json, strlen(cases[k].json));
		r = load_err(&t, "exec-0000.json", err, sizeof(err));
		if (r >= 0 || !strstr(err, cases[k].expect) || !strstr(err, "exec-0000.json"))
			fail_msg("case %zu: got %d '%s', expected an error with '%s'", k, r, err,
				 cases[k].expect);
	}
	tmpcap_done(&t);
}

static void test_missing_record_file_is_enoent(void **state)
{
	struct tmpcap t;
	char err[512];

	(void)state;
	tmpcap_init(&t);
	assert_int_equal(load_err(&t, "exec-0042.json", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "exec-0042.json"));
	tmpcap_done(&t);
}

static void test_canonical_addresses_are_masked_to_48_bits(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	struct corpus_record *rec;
	struct corpus_batch b;
	uint64_t v;

	(void)state;
	assert_int_equal(corpus_parse_hex_u64("0xfffffffefffee000", 18, &v), 0);
	assert_true(CORPUS_CANONICAL(v) == UINT64_C(0xfffefffee000));
	assert_int_equal(corpus_parse_hex_u64("0x", 2, &v), -EINVAL);
	assert_int_equal(corpus_parse_hex_u64("0x10000000000000000", 19, &v), -EINVAL);
	assert_int_equal(corpus_parse_hex_u64("1000", 4, &v), -EINVAL);

	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0xfffffffefffee000", 65536, chunks(0, 8, 0, -1, 0, 0),
		     0, NULL);
	rec = load_ok(&t, "exec-0000.json");
	assert_true(corpus_record_object(rec, 0)->gpu_address == UINT64_C(0xfffefffee000));
	corpus_record_batch(rec, &b);
	assert_true(b.gpu_address == UINT64_C(0xfffefffee000));
	{
		struct scan_mem m = corpus_record_mem(rec);
		size_t len;
		const uint8_t *p;

		/* both forms of the address reach the same bytes */
		p = m.map(m.ctx, SCAN_AS_PPGTT, UINT64_C(0xfffefffee004), &len);
		assert_non_null(p);
		assert_int_equal(p[0], 0x55);
		assert_int_equal(len, 65536 - 4);
		p = m.map(m.ctx, SCAN_AS_PPGTT, UINT64_C(0xfffffffefffee004), &len);
		assert_non_null(p);
		assert_int_equal(p[0], 0x55);
		/* a non-canonical address does not translate */
		assert_null(m.map(m.ctx, SCAN_AS_PPGTT, UINT64_C(0x0001fffefffee004), &len));
		assert_int_equal(len, 0);
		assert_null(m.map(m.ctx, SCAN_AS_PPGTT, UINT64_C(0xff00fffefffee004), &len));
	}
	corpus_record_free(rec);
	tmpcap_done(&t);
}

static void test_memory_view_hits_misses_and_bytes_left(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct corpus_record *rec;
	struct scan_mem m;
	const uint8_t *p;
	size_t len;

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	/* objects: [0x100000, +4096) and [0x200000, +8192); a third, empty one */
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 0,
		     "  {\"index\": 2, \"handle\": 9, \"size\": 0, \"gpu_address\": \"0x300000\","
		     " \"is_batch\": false, \"chunks\": []}");
	rec = load_ok(&t, "exec-0000.json");
	m = corpus_record_mem(rec);

	p = m.map(m.ctx, SCAN_AS_PPGTT, 0x100000, &len);
	assert_non_null(p);
	assert_int_equal(p[1], 2);
	assert_int_equal(len, 4096);
	p = m.map(m.ctx, SCAN_AS_PPGTT, 0x100fff, &len);
	assert_non_null(p);
	assert_int_equal(len, 1);
	p = m.map(m.ctx, SCAN_AS_PPGTT, 0x200000 + 15, &len);
	assert_non_null(p);
	assert_int_equal(p[0], 0xaf);
	assert_int_equal(len, 8192 - 15);
	assert_ptr_equal(corpus_record_find(rec, 0x201fff), corpus_record_object(rec, 1));

	/* misses: below everything, in the gap, just past an end, the empty
	 * object, far above, and the whole GGTT */
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, 0, &len));
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, 0xfffff, &len));
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, 0x101000, &len));
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, 0x202000, &len));
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, 0x300000, &len));
	assert_null(m.map(m.ctx, SCAN_AS_PPGTT, UINT64_C(0x7fffffffffff), &len));
	assert_null(m.map(m.ctx, SCAN_AS_GGTT, 0x100000, &len));
	assert_int_equal(len, 0);
	corpus_record_free(rec);
	tmpcap_done(&t);
}

static void test_capture_lists_records_in_numeric_order(void **state)
{
	struct tmpcap t;
	struct corpus_capture *cap;
	char err[512];
	const char *p;

	(void)state;
	tmpcap_init(&t);
	write_file(t.dir, "exec-0010.json", "{}", 2);
	write_file(t.dir, "exec-0002.json", "{}", 2);
	write_file(t.dir, "exec-0001.json", "{}", 2);
	write_file(t.dir, "exec-x.json", "{}", 2);     /* not a record name */
	write_file(t.dir, "exec-0003.json.bak", "{}", 2);
	write_file(t.dir, "run.log", "", 0);
	assert_int_equal(corpus_capture_open(t.dir, &cap, err, sizeof(err)), 0);
	assert_int_equal(corpus_capture_count(cap), 3);
	p = corpus_capture_record_path(cap, 0);
	assert_non_null(strstr(p, "exec-0001.json"));
	assert_non_null(strstr(corpus_capture_record_path(cap, 1), "exec-0002.json"));
	assert_non_null(strstr(corpus_capture_record_path(cap, 2), "exec-0010.json"));
	assert_null(corpus_capture_record_path(cap, 3));
	assert_string_equal(corpus_capture_dir(cap), t.dir);
	corpus_capture_close(cap);
	tmpcap_done(&t);
}

static void test_capture_folder_without_records_or_missing_is_an_error(void **state)
{
	struct tmpcap t;
	struct corpus_capture *cap = (struct corpus_capture *)1;
	char err[512], missing[128];

	(void)state;
	tmpcap_init(&t);
	assert_int_equal(corpus_capture_open(t.dir, &cap, err, sizeof(err)), -ENODATA);
	assert_null(cap);
	assert_non_null(strstr(err, "no exec-NNNN.json"));
	snprintf(missing, sizeof(missing), "%s/nope", t.dir);
	assert_int_equal(corpus_capture_open(missing, &cap, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, missing));
	tmpcap_done(&t);
}

static void test_capture_loads_a_record_through_the_folder(void **state)
{
	struct tmpcap t;
	uint8_t b0[8] = { 0 };
	struct corpus_capture *cap;
	struct corpus_record *rec;
	char err[512];

	(void)state;
	tmpcap_init(&t);
	write_blob(&t, 0, b0, sizeof(b0));
	write_record(&t, "exec-0000.json", "0x100000", 4096, chunks(0, 8, 0, -1, 0, 0), 0, NULL);
	assert_int_equal(corpus_capture_open(t.dir, &cap, err, sizeof(err)), 0);
	assert_int_equal(corpus_record_load(cap, 0, &rec, err, sizeof(err)), 0);
	assert_non_null(strstr(corpus_record_path(rec), "exec-0000.json"));
	corpus_record_free(rec);
	assert_int_equal(corpus_record_load(cap, 1, &rec, err, sizeof(err)), -EINVAL);
	corpus_capture_close(cap);
	tmpcap_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_object_and_array_values_are_reachable),
		cmocka_unit_test(test_json_lookup_finds_every_key_of_a_large_object),
		cmocka_unit_test(test_json_string_escapes_decode_to_utf8),
		cmocka_unit_test(test_json_bad_strings_are_rejected),
		cmocka_unit_test(test_json_nesting_beyond_the_cap_is_an_error_not_a_crash),
		cmocka_unit_test(test_json_every_truncation_of_a_document_is_an_error),
		cmocka_unit_test(test_json_numbers_follow_the_grammar_and_keep_integers_exact),
		cmocka_unit_test(test_json_malformed_numbers_are_rejected),
		cmocka_unit_test(test_json_overlong_number_is_refused),
		cmocka_unit_test(test_json_error_message_names_the_byte_offset),
		cmocka_unit_test(test_json_structural_errors_are_rejected),
		cmocka_unit_test(test_json_duplicate_keys_are_rejected),
		cmocka_unit_test(test_json_random_garbage_never_crashes),
		cmocka_unit_test(test_json_input_size_cap),
		cmocka_unit_test(test_chunks_are_placed_at_their_offsets_with_zero_gaps),
		cmocka_unit_test(test_record_fields_and_relocations_are_loaded),
		cmocka_unit_test(test_batch_len_zero_means_to_the_end_of_the_object),
		cmocka_unit_test(test_chunk_running_past_its_object_is_rejected),
		cmocka_unit_test(test_missing_blob_is_rejected_naming_it),
		cmocka_unit_test(test_blob_of_the_wrong_size_is_rejected),
		cmocka_unit_test(test_overlapping_chunks_are_rejected),
		cmocka_unit_test(test_overlapping_objects_are_rejected),
		cmocka_unit_test(test_bad_records_are_rejected_with_the_reason),
		cmocka_unit_test(test_missing_record_file_is_enoent),
		cmocka_unit_test(test_canonical_addresses_are_masked_to_48_bits),
		cmocka_unit_test(test_memory_view_hits_misses_and_bytes_left),
		cmocka_unit_test(test_capture_lists_records_in_numeric_order),
		cmocka_unit_test(test_capture_folder_without_records_or_missing_is_an_error),
		cmocka_unit_test(test_capture_loads_a_record_through_the_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
