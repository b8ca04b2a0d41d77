/* SPDX-License-Identifier: MIT */
/*
 * The reader against files made to fool it (a guest controls the bytes of
 * the blobs a log stores; anyone may hand the reader a crafted file): a
 * complete fake chunk planted in a guest page is never read as the log's,
 * a header found by scanning is trusted only with its payload, records
 * that would make the reader allocate without bound are malformed, the
 * blob cache is a real bound, crafted keys do not make the maps quadratic,
 * and files that are not regular files or are empty are not logs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "tracer/log_format.h"

static char dir[64];

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/vgt-hostile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------- crafting */

/* A zstd frame as the writer makes them: checksum, content size. */
static size_t frame(uint8_t *out, size_t cap, const void *raw, size_t len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	size_t n = ZSTD_compress2(c, out, cap, raw, len);
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(n));
	return n;
}

/* A complete chunk (header + frame) at out; returns its bytes. */
static size_t make_chunk(uint8_t *out, size_t cap, uint32_t salt, unsigned kind, const void *raw,
			 size_t len, uint32_t count, uint64_t first_seq, uint64_t last_seq)
{
	size_t n = frame(out + TRI_CHUNK_HDR_LEN, cap - TRI_CHUNK_HDR_LEN, raw, len);
	struct tri_chunk_hdr h = { .kind = kind, .payload_len = (uint32_t)n, .raw_len = (uint32_t)len,
				   .count = count, .first_seq = first_seq, .last_seq = last_seq,
				   .salt = salt };
	tri_chunk_hdr_put(out, &h);
	return TRI_CHUNK_HDR_LEN + n;
}

/* A crafted log: preamble with salt, then chunks appended. */
struct craft {
	FILE *f;
	uint32_t salt;
};

static void craft_open(struct craft *c, const char *path, uint32_t salt)
{
	c->f = fopen(path, "wb");
	assert_non_null(c->f);
	c->salt = salt;
	uint8_t p[TRI_PREAMBLE_LEN] = { 0 };
	memcpy(p, TRI_MAGIC, TRI_MAGIC_LEN);
	tri_put32(p + 8, TR_LOG_VERSION);
	tri_put32(p + TRI_PRE_SALT, salt);
	assert_int_equal(fwrite(p, 1, sizeof(p), c->f), sizeof(p));
}

static void craft_chunk(struct craft *c, unsigned kind, const void *raw, size_t len, uint32_t count,
			uint64_t first_seq, uint64_t last_seq)
{
	size_t cap = ZSTD_compressBound(len) + TRI_CHUNK_HDR_LEN;
	uint8_t *b = malloc(cap);
	assert_non_null(b);
	size_t n = make_chunk(b, cap, c->salt, kind, raw, len, count, first_seq, last_seq);
	assert_int_equal(fwrite(b, 1, n, c->f), n);
	free(b);
}

static void craft_header(struct craft *c)
{
	struct tr_log_info info = { .event_version = MED_EVENT_VERSION, .source = TR_SOURCE_IMPORT,
				    .tool_version = "t", .cmdline = "", .clock = "virtual", .host = "" };
	struct tri_buf b = { 0 };
	assert_int_equal(tri_info_encode(&b, &info), 0);
	craft_chunk(c, TR_CHUNK_HEADER, b.p, b.len, 0, 0, 0);
	tri_buf_free(&b);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(*n ? *n : 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static int first_blob_chunk(void *ctx, const struct tr_chunk_info *c)
{
	uint64_t *off = ctx;
	if (c->kind == TR_CHUNK_BLOBS && !*off)
		*off = c->offset;
	return 0;
}

/* A log of three events, one chunk each; the second references a 4 KiB
 * guest page (stored in a BLOBS chunk).  *boff: that chunk's offset. */
static void write_page_log(const char *path, const uint8_t *page, uint64_t *boff)
{
	struct tr_writer_opts wo = { .sz = sizeof(wo) };
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	for (uint64_t s = 1; s <= 3; s++) {
		struct med_blob b = { .kind = 1, .len = 4096, .addr = 0x1000, .gpa = UINT64_MAX,
				      .data = page };
		struct med_event e = { .type = MED_EV_MMIO_WRITE, .version = MED_EVENT_VERSION,
				       .size = sizeof(struct med_event), .seq = s, .time = s,
				       .engine = -1, .blobs = s == 2 ? &b : NULL, .nblobs = s == 2 };
		assert_int_equal(tr_writer_event(w, &e), 0);
		assert_int_equal(tr_writer_flush(w), 0);
	}
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader *r;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	*boff = 0;
	assert_int_equal(tr_reader_chunks(r, first_blob_chunk, boff), 0);
	assert_true(*boff > 0);
	tr_reader_close(r);
}

/* Reads every record: the seqs of the events in *seqs (up to 16). */
static size_t read_seqs(const char *path, uint64_t *seqs, struct tr_health *h)
{
	struct tr_reader *r;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	const struct tr_record *rec;
	size_t n = 0;
	int e;
	while ((e = tr_reader_next(r, &rec)) == 1)
		if (rec->kind == TR_REC_EVENT && n < 16)
			seqs[n++] = rec->ev.seq;
	assert_int_equal(e, 0);
	h->sz = sizeof(*h);
	assert_int_equal(tr_reader_health(r, h), 0);
	tr_reader_close(r);
	return n;
}

/* A fake event chunk (one event, seq 0xDEAD) as a guest would plant it: it
 * cannot know the log's salt. */
static size_t fake_chunk(uint8_t *out, size_t cap, uint32_t salt, uint32_t payload_len)
{
	struct med_event fe = { .type = MED_EV_MMIO_READ, .version = TRI_STATE_VERSION,
				.size = TRI_STATE_SIZE, .seq = 0xDEAD, .time = 7, .engine = -1 };
	struct tri_codec c;
	tri_codec_reset(&c);
	uint8_t raw[512];
	size_t rl = tri_encode_event(&c, raw, &fe, 0, NULL);
	size_t n = make_chunk(out, cap, salt, TR_CHUNK_EVENTS, raw, rl, 1, 0xDEAD, 0xDEAD);
	if (payload_len) { /* a lie about its size, with a valid check */
		struct tri_chunk_hdr h;
		assert_int_equal(tri_chunk_hdr_get(out, &h), 0);
		h.payload_len = payload_len;
		tri_chunk_hdr_put(out, &h);
	}
	return n;
}

/* /tmp/poc/forge: a guest page holding a complete fake chunk; one bit of
 * the real blob chunk's header flipped, so the reader scans through the
 * page.  The fake chunk (whatever salt the guest guessed) is not read. */
static void test_a_chunk_planted_in_a_guest_page_is_not_read(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "forge.vgtl");
	uint8_t page[4096];
	srand(1);
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)rand();
	/* the guest's guesses: the old fixed seed (salt 0) and a random one */
	fake_chunk(page + 1000, sizeof(page) - 1000, 0, 0);
	fake_chunk(page + 2000, sizeof(page) - 2000, 0x12345678u, 0);
	uint64_t boff;
	write_page_log(path, page, &boff);
	size_t n;
	uint8_t *b = slurp(path, &n);
	b[boff + TRI_CH_WALL_NS + 4] ^= 1;
	spit(path, b, n);
	free(b);
	uint64_t seqs[16];
	struct tr_health h;
	size_t k = read_seqs(path, seqs, &h);
	assert_int_equal(k, 3);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(seqs[i], i + 1);
	assert_int_equal(h.chunks_bad, 1);
	assert_int_equal(h.blobs_missing, 1);
	assert_true(h.closed);
	assert_false(h.truncated);
}

/* /tmp/poc/forge2: a header found by scanning whose payload_len reaches
 * past the next chunks (even one with the log's salt) is trusted only if
 * its payload checks: the scan resumes after it and the chunks it covers
 * still read; a closed log is not reported truncated. */
static void test_a_scanned_header_is_trusted_only_with_its_payload(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "forge2.vgtl");
	uint8_t page[4096];
	srand(2);
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)rand();
	uint64_t boff;
	write_page_log(path, page, &boff);
	size_t n;
	uint8_t *b = slurp(path, &n);
	uint32_t salt = tri_get32(b + TRI_PRE_SALT);
	/* the worst case: the fake has the log's salt and covers the rest of
	 * the data up to the footer */
	uint64_t at = boff + TRI_CHUNK_HDR_LEN + 500;
	uint32_t pl = (uint32_t)(n - TRI_FOOTER_LEN - at - TRI_CHUNK_HDR_LEN);
	uint8_t fake[1024];
	fake_chunk(fake, sizeof(fake), salt, pl);
	memcpy(b + at, fake, TRI_CHUNK_HDR_LEN);
	b[boff + TRI_CH_WALL_NS + 4] ^= 1;
	spit(path, b, n);
	free(b);
	uint64_t seqs[16];
	struct tr_health h;
	size_t k = read_seqs(path, seqs, &h);
	assert_int_equal(k, 3);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(seqs[i], i + 1);
	assert_int_equal(h.chunks_bad, 1);
	assert_true(h.closed);
	assert_false(h.truncated);
}

/* An event record: tag, mask, time 0, word mask 0, then what follows. */
static size_t record_with_blobs(uint8_t *raw, uint64_t n)
{
	size_t i = 0;
	raw[i++] = 0;
	raw[i++] = TRI_P_BLOBS;
	raw[i++] = 0;
	raw[i++] = 0;
	uint64_t v = n;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		raw[i++] = c | (v ? 0x80 : 0);
	} while (v);
	for (uint64_t k = 0; k < n; k++) { /* kind, as, flags: missing, len 0, addr 0 */
		raw[i++] = 0;
		raw[i++] = 0;
		raw[i++] = TRI_B_MISSING | TRI_B_GPA_ADDR;
		raw[i++] = 0;
		raw[i++] = 0;
	}
	return i;
}

static size_t record_with_text(uint8_t *raw, uint64_t len)
{
	size_t i = 0;
	raw[i++] = 0;
	raw[i++] = TRI_P_TEXT;
	raw[i++] = 0;
	raw[i++] = 0;
	uint64_t v = len;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		raw[i++] = c | (v ? 0x80 : 0);
	} while (v);
	memset(raw + i, 'x', len);
	return i + len;
}

/* /tmp/poc/amp: more blob references or longer text than the writer
 * accepts is a malformed record (no allocation in proportion). */
static void test_records_past_the_writers_limits_are_malformed(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "amp.vgtl");
	size_t cap = 16 + (size_t)(TRI_MAX_BLOBS + 1) * 5 + TRI_MAX_TEXT + 1;
	uint8_t *raw = malloc(cap);
	assert_non_null(raw);
	struct { size_t len; bool ok; } cases[4];
	for (int c = 0; c < 4; c++) {
		struct craft cr;
		craft_open(&cr, path, 0x5a5a1234u);
		craft_header(&cr);
		size_t len = c == 0 ? record_with_blobs(raw, TRI_MAX_BLOBS)
			   : c == 1 ? record_with_blobs(raw, TRI_MAX_BLOBS + 1)
			   : c == 2 ? record_with_text(raw, TRI_MAX_TEXT)
				    : record_with_text(raw, TRI_MAX_TEXT + 1);
		craft_chunk(&cr, TR_CHUNK_EVENTS, raw, len, 1, 0, 0);
		fclose(cr.f);
		uint64_t seqs[16];
		struct tr_health h;
		cases[c].len = read_seqs(path, seqs, &h);
		cases[c].ok = h.chunks_bad == 0;
	}
	free(raw);
	assert_int_equal(cases[0].len, 1);
	assert_true(cases[0].ok);
	assert_int_equal(cases[1].len, 0);
	assert_false(cases[1].ok);
	assert_int_equal(cases[2].len, 1);
	assert_true(cases[2].ok);
	assert_int_equal(cases[3].len, 0);
	assert_false(cases[3].ok);
}

/* /tmp/poc/coll: keys from a file that share their low bits (the old slot)
 * do not make the key map probe quadratically: 100000 of them go in and
 * are found in well under a second (quadratic: ~5e9 probes). */
static void test_colliding_keys_do_not_make_the_map_quadratic(void **state)
{
	struct tri_keymap m = { 0 };
	clock_t t0 = clock();
	for (uint64_t k = 0; k < 100000; k++) {
		struct tr_key key = { (k + 1) << 40, k };
		uint64_t *v;
		assert_int_equal(tri_keymap_put(&m, &key, &v), 1);
		*v = k;
	}
	for (uint64_t k = 0; k < 100000; k++) {
		struct tr_key key = { (k + 1) << 40, k };
		uint64_t *v = tri_keymap_get(&m, &key);
		assert_non_null(v);
		assert_int_equal(*v, k);
	}
	double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
	tri_keymap_free(&m);
	print_message("100000 colliding keys: %.3f s\n", s);
	assert_true(s < 2.0);
}

/* /dev/null, a FIFO and an empty file are not logs (and a FIFO does not
 * block the open). */
static void test_files_that_are_not_regular_or_are_empty_are_not_logs(void **state)
{
	char err[256] = "", path[128];
	struct tr_reader_opts ro = { .sz = sizeof(ro), .errbuf = err, .errbuf_len = sizeof(err) };
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open("/dev/null", &ro, &r), -EINVAL);
	assert_non_null(strstr(err, "/dev/null"));
	assert_non_null(strstr(err, "not a regular file"));
	path_of(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(tr_reader_open(path, &ro, &r), -EINVAL);
	assert_non_null(strstr(err, path));
	path_of(path, sizeof(path), "empty.vgtl");
	spit(path, (const uint8_t *)"", 0);
	assert_int_equal(tr_reader_open(path, &ro, &r), -EPROTO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "empty: not a vgt log"));
	assert_null(r);
}

static int blob_chunks(void *ctx, const struct tr_chunk_info *c)
{
	uint64_t *ci = ctx;
	if (c->kind == TR_CHUNK_BLOBS && !ci[0]) {
		ci[0] = c->offset;
		ci[1] = c->stored_bytes;
	}
	return 0;
}

/* /tmp/poc/toctou: a blob chunk evicted from the cache and changed in the
 * file (same sizes, an entry claiming 2 GiB) is not trusted on reload: the
 * blob is not found rather than read past the chunk. */
static void test_a_blob_chunk_changed_after_it_was_indexed_is_not_trusted(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "toctou.vgtl");
	static uint8_t A[4096], B[4096];
	srand(3);
	for (int i = 0; i < 4096; i++) {
		A[i] = (uint8_t)rand();
		B[i] = (uint8_t)rand();
	}
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	for (uint64_t s = 1; s <= 2; s++) {
		struct med_blob b = { .kind = 1, .len = 4096, .addr = 0x1000 * s, .gpa = UINT64_MAX,
				      .data = s == 1 ? A : B };
		struct med_event e = { .type = MED_EV_MMIO_READ, .version = MED_EVENT_VERSION,
				       .size = sizeof(struct med_event), .seq = s, .time = s * 10,
				       .engine = -1, .blobs = &b, .nblobs = 1 };
		assert_int_equal(tr_writer_event(w, &e), 0);
		assert_int_equal(tr_writer_flush(w), 0);
	}
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader_opts o = { .sz = sizeof(o), .blob_cache = 1 };
	struct tr_reader *r;
	assert_int_equal(tr_reader_open(path, &o, &r), 0);
	uint64_t ci[2] = { 0 };
	assert_int_equal(tr_reader_chunks(r, blob_chunks, ci), 0);
	const struct tr_record *rec;
	assert_int_equal(tr_reader_next(r, &rec), 1);
	assert_int_equal(tr_reader_next(r, &rec), 1); /* A's chunk evicted by B's */
	uint8_t raw[4124];
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)rand();
	tri_put64(raw, 0);
	tri_put32(raw + 24, 0x7fffff00u);
	uint8_t z[8192];
	size_t n = frame(z, sizeof(z), raw, sizeof(raw));
	assert_int_equal(n, ci[1]);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, z, n, (off_t)ci[0] + TRI_CHUNK_HDR_LEN), (ssize_t)n);
	close(fd);
	struct tr_key ka = tr_blob_key(A, sizeof(A));
	const void *d;
	uint32_t len;
	int e = tr_reader_blob(r, &ka, &d, &len);
	if (e == 0) {
		assert_int_equal(len, sizeof(A));
		assert_memory_equal(d, A, sizeof(A));
	} else {
		assert_int_equal(e, -ENOENT);
	}
	tr_reader_close(r);
}

/* /tmp/poc/uaf_san: a record holds its blobs' bytes while tr_reader_blob
 * loads another chunk into a cache too small for both (under SAN=1 a read
 * of freed memory before the fix). */
static void test_tr_reader_blob_leaves_the_current_records_blobs_alone(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "uaf.vgtl");
	static uint8_t A[4096], B[4096], C[4096];
	srand(4);
	for (int i = 0; i < 4096; i++) {
		A[i] = (uint8_t)rand();
		B[i] = (uint8_t)rand();
		C[i] = (uint8_t)rand();
	}
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	for (uint64_t s = 1; s <= 3; s++) {
		struct med_blob b = { .kind = 1, .len = 4096, .addr = 0x1000 * s, .gpa = UINT64_MAX,
				      .data = s == 1 ? A : s == 2 ? B : C };
		struct med_event e = { .type = MED_EV_MMIO_READ, .version = MED_EVENT_VERSION,
				       .size = sizeof(struct med_event), .seq = s, .time = s * 10,
				       .engine = -1, .blobs = &b, .nblobs = 1 };
		assert_int_equal(tr_writer_event(w, &e), 0);
		assert_int_equal(tr_writer_flush(w), 0);
	}
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader_opts o = { .sz = sizeof(o), .blob_cache = 4096 };
	struct tr_reader *r;
	assert_int_equal(tr_reader_open(path, &o, &r), 0);
	const struct tr_record *rec;
	assert_int_equal(tr_reader_next(r, &rec), 1);
	assert_non_null(rec->ev.blobs[0].data);
	struct tr_key kc = tr_blob_key(C, sizeof(C)), kb = tr_blob_key(B, sizeof(B));
	const void *d;
	uint32_t len;
	assert_int_equal(tr_reader_blob(r, &kc, &d, &len), 0);
	assert_memory_equal(d, C, sizeof(C));
	assert_int_equal(tr_reader_blob(r, &kb, &d, &len), 0);
	assert_memory_equal(d, B, sizeof(B));
	/* memcmp, not assert_memory_equal: ASan checks the test's own reads
	 * (cmocka is not instrumented) */
	assert_int_equal(memcmp(rec->ev.blobs[0].data, A, sizeof(A)), 0);
	tr_reader_close(r);
}

/* /tmp/poc/pin: one event referencing blobs in several chunks; the bytes a
 * record hands out are bounded by blob_cache (the blobs past it: data
 * NULL, missing, one problem), and all there with a cache big enough. */
static void test_one_records_blob_bytes_are_bounded_by_the_blob_cache(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "pin.vgtl");
	enum { NB = 4, LEN = 1536 << 10 };
	uint8_t *bytes = malloc((size_t)NB * LEN);
	assert_non_null(bytes);
	for (size_t i = 0; i < (size_t)NB * LEN; i++)
		bytes[i] = (uint8_t)(i * 7 + i / LEN);
	struct med_blob b[NB];
	for (int k = 0; k < NB; k++)
		b[k] = (struct med_blob){ .kind = 1, .len = LEN, .addr = (uint64_t)k << 24,
					  .gpa = UINT64_MAX, .data = bytes + (size_t)k * LEN };
	struct med_event e = { .type = MED_EV_MMIO_READ, .version = MED_EVENT_VERSION,
			       .size = sizeof(struct med_event), .seq = 1, .time = 1, .engine = -1,
			       .blobs = b, .nblobs = NB };
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	assert_int_equal(tr_writer_event(w, &e), 0);
	struct tr_write_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_writer_close(w, &st), 0);
	assert_int_equal(st.blob_chunks, NB);
	for (int big = 0; big < 2; big++) {
		struct tr_reader_opts o = { .sz = sizeof(o), .blob_cache = big ? 8u << 20 : 2u << 20 };
		struct tr_reader *r;
		assert_int_equal(tr_reader_open(path, &o, &r), 0);
		const struct tr_record *rec;
		assert_int_equal(tr_reader_next(r, &rec), 1);
		assert_int_equal(rec->ev.nblobs, NB);
		for (int k = 0; k < NB; k++) {
			if (big || k == 0) {
				assert_non_null(rec->ev.blobs[k].data);
				assert_memory_equal(rec->ev.blobs[k].data, bytes + (size_t)k * LEN, LEN);
			} else {
				assert_null(rec->ev.blobs[k].data);
			}
		}
		assert_int_equal(tr_reader_next(r, &rec), 0);
		struct tr_health h = { .sz = sizeof(h) };
		tr_reader_health(r, &h);
		assert_int_equal(h.blobs_missing, big ? 0 : NB - 1);
		assert_int_equal(h.nproblems, big ? 0 : 1);
		tr_reader_close(r);
	}
	free(bytes);
}

/* A BLOBS chunk larger than the writer makes (one blob of TRI_MAX_BLOB
 * alone) is not a valid chunk: no decompression of up to 64 MiB. */
static void test_a_blob_chunk_larger_than_the_writer_makes_is_refused(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "bomb.vgtl");
	for (int over = 0; over < 2; over++) {
		size_t len = TRI_MAX_BLOB_CHUNK + (size_t)over;
		uint8_t *raw = calloc(1, len);
		assert_non_null(raw);
		tri_put64(raw + TRI_BLOB_PREFIX, 1); /* a key, not zero */
		tri_put32(raw + TRI_BLOB_PREFIX + 16, (uint32_t)(len - TRI_BLOB_PREFIX - TRI_BLOB_ENTRY_HDR));
		struct craft cr;
		craft_open(&cr, path, 77);
		craft_header(&cr);
		craft_chunk(&cr, TR_CHUNK_BLOBS, raw, len, 1, 0, 0);
		fclose(cr.f);
		free(raw);
		uint64_t seqs[16];
		struct tr_health h;
		read_seqs(path, seqs, &h);
		assert_int_equal(h.chunks_bad, over);
		assert_int_equal(h.blob_chunks, !over);
	}
}

/* An event chunk whose second record does not decode: none of its records
 * is returned (not the first, then a loss) and it counts once, bad. */
static void test_a_chunk_that_fails_midway_is_lost_whole_and_counted_once(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "midway.vgtl");
	struct craft cr;
	craft_open(&cr, path, 0x1234u);
	craft_header(&cr);
	static const uint8_t raw[] = { 0, 0, 2, 0, /* an event: type 0, time 1 */ 0xF5 };
	craft_chunk(&cr, TR_CHUNK_EVENTS, raw, sizeof(raw), 2, 1, 2);
	static const uint8_t good[] = { 0, TRI_P_SEQ, 6, 4, 0 }; /* seq 4, time 2 */
	craft_chunk(&cr, TR_CHUNK_EVENTS, good, sizeof(good), 1, 4, 4);
	fclose(cr.f);
	uint64_t seqs[16];
	struct tr_health h;
	size_t n = read_seqs(path, seqs, &h);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], 4);
	assert_int_equal(h.events, 1);
	assert_int_equal(h.chunks_bad, 1);
	assert_int_equal(h.chunks_ok, 2); /* the HEADER chunk and the good one */
	assert_int_equal(h.events_lost, 2);
	assert_int_equal(h.nproblems, 1);
}

static void health_of(struct tr_reader *r, struct tr_health *h)
{
	h->sz = sizeof(*h);
	assert_int_equal(tr_reader_health(r, h), 0);
}

static size_t drain(struct tr_reader *r)
{
	const struct tr_record *rec;
	size_t n = 0;
	int e;
	while ((e = tr_reader_next(r, &rec)) == 1)
		n++;
	assert_int_equal(e, 0);
	return n;
}

/* Health after seeks and rewinds is what one full read says: each chunk
 * and each damaged stretch counted once, the loss records a seek's filter
 * skips counted too (the old high-water mark lost both). */
static void test_health_is_exact_whatever_the_seeks(void **state)
{
	char path[128];
	path_of(path, sizeof(path), "seeks.vgtl");
	struct tr_writer_opts wo = { .sz = sizeof(wo), .chunk_events = 10 };
	struct tr_writer *w;
	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	for (uint64_t s = 1; s <= 100; s++) {
		if (s % 10 == 5) {
			struct tr_loss l = { .reason = TR_LOSS_SOURCE, .count = 2, .first_seq = 0,
					     .last_seq = 0 };
			assert_int_equal(tr_writer_loss(w, &l), 0);
		}
		struct med_event e = { .type = MED_EV_MMIO_WRITE, .version = MED_EVENT_VERSION,
				       .size = sizeof(e), .seq = s, .time = s * 10, .engine = -1 };
		assert_int_equal(tr_writer_event(w, &e), 0);
	}
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader *r;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	struct tr_health full;
	size_t nfull = drain(r);
	health_of(r, &full);
	tr_reader_close(r);
	assert_int_equal(full.events, 100);
	assert_int_equal(full.losses, 10);
	for (int how = 0; how < 3; how++) {
		assert_int_equal(tr_reader_open(path, NULL, &r), 0);
		if (how == 0) { /* the middle first, then everything */
			assert_int_equal(tr_reader_seek_seq(r, 57), 0);
			drain(r);
			assert_int_equal(tr_reader_rewind(r), 0);
		} else if (how == 1) { /* half of the start, then a seek back and forth */
			const struct tr_record *rec;
			for (int i = 0; i < 25; i++)
				assert_int_equal(tr_reader_next(r, &rec), 1);
			assert_int_equal(tr_reader_seek_time(r, 900), 0);
			drain(r);
			assert_int_equal(tr_reader_seek_seq(r, 1), 0);
		} else { /* twice */
			drain(r);
			assert_int_equal(tr_reader_rewind(r), 0);
		}
		assert_int_equal(drain(r), nfull);
		struct tr_health h;
		health_of(r, &h);
		assert_int_equal(h.events, full.events);
		assert_int_equal(h.losses, full.losses);
		assert_int_equal(h.lost_events, full.lost_events);
		assert_int_equal(h.chunks_ok, full.chunks_ok);
		assert_int_equal(h.event_chunks, full.event_chunks);
		assert_int_equal(h.chunks_bad, full.chunks_bad);
		assert_int_equal(h.nproblems, full.nproblems);
		tr_reader_close(r);
	}
	/* a seek past a loss record at the start of its chunk: counted anyway */
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	assert_int_equal(tr_reader_seek_seq(r, 46), 0);
	drain(r);
	struct tr_health h;
	health_of(r, &h);
	assert_int_equal(h.losses, 6); /* before 45 .. 95 */
	tr_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_chunk_planted_in_a_guest_page_is_not_read),
		cmocka_unit_test(test_a_scanned_header_is_trusted_only_with_its_payload),
		cmocka_unit_test(test_records_past_the_writers_limits_are_malformed),
		cmocka_unit_test(test_colliding_keys_do_not_make_the_map_quadratic),
		cmocka_unit_test(test_files_that_are_not_regular_or_are_empty_are_not_logs),
		cmocka_unit_test(test_a_blob_chunk_changed_after_it_was_indexed_is_not_trusted),
		cmocka_unit_test(test_tr_reader_blob_leaves_the_current_records_blobs_alone),
		cmocka_unit_test(test_one_records_blob_bytes_are_bounded_by_the_blob_cache),
		cmocka_unit_test(test_a_blob_chunk_larger_than_the_writer_makes_is_refused),
		cmocka_unit_test(test_a_chunk_that_fails_midway_is_lost_whole_and_counted_once),
		cmocka_unit_test(test_health_is_exact_whatever_the_seeks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
