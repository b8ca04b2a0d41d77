/* SPDX-License-Identifier: MIT */
/*
 * The reader distrusts the file (tracer.h): a small real log — a short
 * deterministic simulation recorded with small chunks — cut at every byte
 * offset reads back exactly the events of the complete chunks before the
 * cut and says the log is truncated (or not) and unclosed; the same log
 * with one byte flipped (at every byte of every header — preamble, chunk
 * headers, zstd frame headers, footer — and every 4th payload byte) never
 * makes the reader fail or return an event that was not written, the
 * chunks after the damaged one still read, and the damage is reported;
 * headers that pass their check but lie are bounded and skipped.
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
#include <sys/mman.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "sim/sim.h"
#include "tracer/tracer.h"

struct feed {
	struct tr_writer *w;
	int err;
	uint64_t events;
};

static void on_event(void *ctx, const struct med_event *ev)
{
	struct feed *f = ctx;
	int e = tr_writer_event(f->w, ev);
	if (e && !f->err)
		f->err = e;
	f->events++;
}

/* What the intact log holds. */
struct chunk {
	uint64_t off, end;
	unsigned kind;
	uint32_t count;
};
struct orig {
	uint8_t *bytes;
	size_t size;
	struct chunk *c;
	size_t nc;
	uint64_t *hash;   /* per event, in file order */
	uint64_t *nokey;  /* ... without the keys of stored blobs */
	uint64_t *seq;
	uint64_t *chunk;  /* offset of its chunk */
	size_t n;
	uint64_t blob_events; /* events with a blob stored in a blob chunk */
};

static struct orig O;
static int memfd = -1;
static char mpath[64];

/* An event's fields, text, blob descriptions and keys (not the blob bytes:
 * those are checked against their keys). */
static uint64_t ev_hash_keys(const struct tr_record *r, bool keys)
{
	const struct med_event *e = &r->ev;
	uint64_t d = XXH3_64bits(&e->type, offsetof(struct med_event, text));
	if (e->text)
		d = XXH3_64bits_withSeed(e->text, strlen(e->text) + 1, d);
	uint32_t nb[2] = { e->nblobs, e->blobs_dropped };
	d = XXH3_64bits_withSeed(nb, sizeof(nb), d);
	for (uint32_t i = 0; i < e->nblobs; i++) {
		d = XXH3_64bits_withSeed(&e->blobs[i], offsetof(struct med_blob, data), d);
		if (keys || e->blobs[i].len <= 64)
			d = XXH3_64bits_withSeed(&r->keys[i], sizeof(r->keys[i]), d);
	}
	return d;
}

/* With every key, or (when some stored blob is unavailable, so its key is
 * unknown) without the keys of stored blobs (the available ones' keys are
 * checked against their bytes). */
static uint64_t ev_hash(const struct tr_record *r)
{
	return ev_hash_keys(r, true);
}

static bool ev_matches(const struct tr_record *r, size_t k)
{
	bool all = true;
	for (uint32_t i = 0; i < r->ev.nblobs; i++)
		all &= r->ev.blobs[i].data || r->ev.blobs[i].len <= 64;
	return all ? ev_hash_keys(r, true) == O.hash[k] : ev_hash_keys(r, false) == O.nokey[k];
}

/* Present blob bytes are the bytes of their key. */
static void check_blob_bytes(const struct tr_record *r)
{
	for (uint32_t i = 0; i < r->ev.nblobs; i++) {
		const struct med_blob *b = &r->ev.blobs[i];
		if (!b->data)
			continue;
		struct tr_key k = tr_blob_key(b->data, b->len);
		assert_true(k.lo == r->keys[i].lo && k.hi == r->keys[i].hi);
	}
}

static int add_chunk(void *ctx, const struct tr_chunk_info *c)
{
	struct orig *o = ctx;
	o->c = realloc(o->c, (o->nc + 1) * sizeof(*o->c));
	assert_non_null(o->c);
	o->c[o->nc++] = (struct chunk){ .off = c->offset, .end = c->offset + 72 + c->stored_bytes,
					.kind = c->kind, .count = c->count };
	return 0;
}

static int setup(void **state)
{
	char path[] = "/tmp/vgt-test-damage-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char err[512] = "";
	struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_INPROC,
				     .chunk_events = 100, .errbuf = err, .errbuf_len = sizeof(err) };
	struct feed f = { 0 };
	assert_int_equal(tr_writer_fdopen(fd, &wo, &f.w), 0);
	struct sim_opts so = { .sz = sizeof(so), .vgpus = 2, .profiles = "3d,hostile",
			       .submissions = 1, .seed = 5, .shm_name = "", .deterministic = true,
			       .event = on_event, .event_ctx = &f, .errbuf = err,
			       .errbuf_len = sizeof(err) };
	struct sim_result *res = NULL;
	if (sim_run(&so, &res))
		fail_msg("sim_run: %s", err);
	sim_result_free(res);
	assert_int_equal(f.err, 0);
	struct tr_write_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_writer_close(f.w, &st), 0);
	assert_int_equal(st.events, f.events);
	O.size = (size_t)st.file_bytes;
	O.bytes = malloc(O.size);
	assert_int_equal(pread(fd, O.bytes, O.size, 0), (ssize_t)O.size);
	close(fd);

	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	assert_int_equal(tr_reader_chunks(r, add_chunk, &O), 0);
	O.hash = calloc(f.events, sizeof(uint64_t));
	O.nokey = calloc(f.events, sizeof(uint64_t));
	O.seq = calloc(f.events, sizeof(uint64_t));
	O.chunk = calloc(f.events, sizeof(uint64_t));
	const struct tr_record *rec;
	while (tr_reader_next(r, &rec) == 1) {
		assert_int_equal(rec->kind, TR_REC_EVENT);
		assert_true(O.n < f.events);
		O.hash[O.n] = ev_hash(rec);
		O.nokey[O.n] = ev_hash_keys(rec, false);
		O.seq[O.n] = rec->ev.seq;
		O.chunk[O.n] = rec->offset;
		bool stored = false;
		for (uint32_t i = 0; i < rec->ev.nblobs; i++)
			stored |= rec->ev.blobs[i].len > 64 && rec->ev.blobs[i].data;
		O.blob_events += stored;
		O.n++;
	}
	struct tr_health h = { .sz = sizeof(h) };
	tr_reader_health(r, &h);
	assert_true(h.closed && h.header_ok && !h.truncated && !h.nproblems);
	tr_reader_close(r);
	unlink(path);
	assert_int_equal(O.n, f.events);
	/* several chunks of every kind, and blobs */
	unsigned kinds[6] = { 0 };
	for (size_t i = 0; i < O.nc; i++)
		kinds[O.c[i].kind < 6 ? O.c[i].kind : 0]++;
	assert_true(kinds[TR_CHUNK_EVENTS] >= 4);
	assert_true(kinds[TR_CHUNK_BLOBS] >= 2);
	assert_true(O.blob_events > 0);
	print_message("log: %zu bytes, %zu events, %zu chunks\n", O.size, O.n, O.nc);

	memfd = memfd_create("vgt-damage", 0);
	assert_true(memfd >= 0);
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", memfd);
	return 0;
}

static int teardown(void **state)
{
	close(memfd);
	free(O.bytes);
	free(O.c);
	free(O.hash);
	free(O.nokey);
	free(O.seq);
	free(O.chunk);
	return 0;
}

static bool chunk_end(uint64_t cut)
{
	if (cut == 16 || cut == O.size)
		return true;
	for (size_t i = 0; i < O.nc; i++)
		if (O.c[i].end == cut)
			return true;
	return false;
}

static void test_a_log_cut_at_every_byte_reads_its_complete_chunks(void **state)
{
	assert_int_equal(pwrite(memfd, O.bytes, O.size, 0), (ssize_t)O.size);
	for (size_t cut = O.size + 1; cut-- > 0;) {
		assert_int_equal(ftruncate(memfd, (off_t)cut), 0);
		struct tr_reader *r = NULL;
		int e = tr_reader_open(mpath, NULL, &r);
		if (cut == 0 && e == -EPROTO)
			continue; /* an empty file is not a log */
		if (e)
			fail_msg("cut at %zu: open failed (%d)", cut, e);
		const struct tr_record *rec;
		size_t n = 0;
		while ((e = tr_reader_next(r, &rec)) == 1) {
			if (n >= O.n || ev_hash(rec) != O.hash[n])
				fail_msg("cut at %zu: record %zu is not the original", cut, n);
			if (cut % 61 == 0) /* (hashing every page each time is most of the time) */
				check_blob_bytes(rec);
			for (uint32_t i = 0; i < rec->ev.nblobs; i++) /* blobs precede their events */
				assert_true(rec->ev.blobs[i].data || rec->ev.blobs[i].len <= 64);
			n++;
		}
		assert_int_equal(e, 0);
		/* exactly the events of the chunks that end before the cut */
		size_t want = 0;
		for (size_t i = 0; i < O.nc; i++)
			if (O.c[i].kind == TR_CHUNK_EVENTS && O.c[i].end <= cut)
				want += O.c[i].count;
		if (n != want)
			fail_msg("cut at %zu: %zu events read, %zu expected", cut, n, want);
		struct tr_health h = { .sz = sizeof(h) };
		tr_reader_health(r, &h);
		assert_int_equal(h.closed, cut == O.size);
		if (h.truncated != !chunk_end(cut))
			fail_msg("cut at %zu: truncated %d", cut, h.truncated);
		assert_int_equal(h.chunks_bad, 0);
		assert_int_equal(h.events, n);
		assert_int_equal(h.file_bytes, cut);
		if (h.truncated) {
			assert_true(h.nproblems >= 1);
			const struct tr_problem *p = tr_reader_problem(r, 0);
			assert_non_null(p);
			if (!strstr(p->what, "ends inside"))
				fail_msg("cut at %zu: problem '%s'", cut, p->what);
			assert_int_equal(p->offset + p->bytes, cut);
		} else {
			assert_int_equal(h.nproblems, 0);
		}
		assert_int_equal(h.header_ok, cut >= O.c[0].end);
		tr_reader_close(r);
	}
}

/* The chunk holding byte `at`, or NULL. */
static const struct chunk *chunk_at(uint64_t at)
{
	for (size_t i = 0; i < O.nc; i++)
		if (O.c[i].off <= at && at < O.c[i].end)
			return &O.c[i];
	return NULL;
}

static void test_a_flipped_byte_anywhere_loses_only_its_chunk(void **state)
{
	assert_int_equal(ftruncate(memfd, 0), 0);
	assert_int_equal(pwrite(memfd, O.bytes, O.size, 0), (ssize_t)O.size);
	unsigned reported = 0, harmless = 0;
	unsigned tried = 0;
	for (size_t at = 0; at < O.size; at++) {
		/* every byte of the preamble, the chunk headers, the zstd frame
		 * headers and the footer; every 4th byte inside payloads (they all
		 * meet the same checksum: the time goes where the cases differ) */
		const struct chunk *in = chunk_at(at);
		if (in && at >= in->off + 72 + 8 && at % 4 != 0)
			continue;
		tried++;
		uint8_t b = O.bytes[at] ^ (uint8_t)(1u << (at % 8));
		assert_int_equal(pwrite(memfd, &b, 1, (off_t)at), 1);
		struct tr_reader *r = NULL;
		int e = tr_reader_open(mpath, NULL, &r);
		if (at < 12) { /* the magic and the version */
			assert_true(e == -EPROTO || e == -EPROTONOSUPPORT);
			assert_int_equal(pwrite(memfd, &O.bytes[at], 1, (off_t)at), 1);
			continue;
		}
		if (e)
			fail_msg("flip at %zu: open failed (%d)", at, e);
		const struct tr_record *rec;
		size_t n = 0, k = 0;
		uint64_t missing = 0;
		const struct chunk *dc = chunk_at(at);
		while ((e = tr_reader_next(r, &rec)) == 1) {
			/* an original event, in order */
			while (k < O.n && O.seq[k] != rec->ev.seq)
				k++;
			if (k == O.n || !ev_matches(rec, k))
				fail_msg("flip at %zu: an event not written (seq %llu)", at,
					 (unsigned long long)rec->ev.seq);
			/* blob bytes can only be wrong if they came from the damaged chunk */
			if ((dc && dc->kind == TR_CHUNK_BLOBS) || at % 17 == 0)
				check_blob_bytes(rec);
			for (uint32_t i = 0; i < rec->ev.nblobs; i++)
				missing += !rec->ev.blobs[i].data && rec->ev.blobs[i].len > 64;
				/* (the simulation records no blob as missing) */
			k++;
			n++;
		}
		assert_int_equal(e, 0);
		struct tr_health h = { .sz = sizeof(h) };
		tr_reader_health(r, &h);
		if (h.blobs_missing != missing)
			fail_msg("flip at %zu: %llu blobs missing, %llu seen", at,
				 (unsigned long long)h.blobs_missing, (unsigned long long)missing);
		/* every chunk but the damaged one reads */
		size_t want = O.n;
		if (dc && dc->kind == TR_CHUNK_EVENTS)
			want -= dc->count;
		if (n == O.n && !h.nproblems) {
			harmless++; /* e.g. a zstd frame header bit that does not matter */
			assert_false(h.truncated);
		} else {
			if (n < want)
				fail_msg("flip at %zu: %zu events read, %zu expected", at, n, want);
			assert_true(h.nproblems >= 1);
			assert_true(h.chunks_bad >= 1);
			/* a damaged payload's events are counted lost from its header;
			 * a damaged header's are unknown */
			if (dc && dc->kind == TR_CHUNK_EVENTS && n == want)
				assert_int_equal(h.events_lost, at >= dc->off + 72 ? dc->count : 0);
			reported++;
		}
		assert_false(h.truncated);
		tr_reader_close(r);
		assert_int_equal(pwrite(memfd, &O.bytes[at], 1, (off_t)at), 1);
	}
	print_message("flips: %u offsets, %u reported, %u harmless\n", tried, reported, harmless);
	assert_true(harmless < tried / 50);
}

/* A chunk header with a valid check (the log's salt), whatever its fields say. */
static void put_hdr(uint8_t *h, unsigned kind, uint32_t payload_len, uint32_t raw_len, uint32_t count)
{
	uint32_t salt;
	memcpy(&salt, O.bytes + 12, 4); /* the preamble's */
	memset(h, 0, 72);
	memcpy(h, "VGTC", 4);
	h[4] = (uint8_t)kind;
	memcpy(h + 8, &payload_len, 4);
	memcpy(h + 12, &raw_len, 4);
	memcpy(h + 16, &count, 4);
	memcpy(h + 64, &salt, 4);
	uint32_t c = XXH32(h, 68, 0x56475443u ^ salt);
	memcpy(h + 68, &c, 4);
}

/* Headers that pass their check but lie: sizes past the bounds, a count
 * the payload cannot hold, a frame without its checksum or of another
 * size.  Each is skipped and reported; the chunks around it still read. */
static void test_lying_chunk_headers_are_bounded_and_skipped(void **state)
{
	uint64_t first_ev = O.c[1].off; /* after the HEADER chunk */
	uint8_t frame[256];
	static const uint8_t raw[100] = { 0 };
	size_t nocheck = ZSTD_compress(frame, sizeof(frame), raw, sizeof(raw), 1); /* no checksum */
	assert_false(ZSTD_isError(nocheck));
	uint8_t frame2[256];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t checked = ZSTD_compress2(cc, frame2, sizeof(frame2), raw, sizeof(raw));
	ZSTD_freeCCtx(cc);
	assert_false(ZSTD_isError(checked));
	struct {
		unsigned kind;
		uint32_t payload_len, raw_len, count;
		const void *payload;
		size_t n;
		const char *what;
	} lies[] = {
		{ TR_CHUNK_EVENTS, 200u << 20, 100, 1, NULL, 0, "not a valid chunk" },
		{ TR_CHUNK_EVENTS, 16, 200u << 20, 1, NULL, 0, "not a valid chunk" },
		{ TR_CHUNK_EVENTS, 16, 100, 1000, NULL, 0, "not a valid chunk" },
		{ TR_CHUNK_BLOBS, 16, 100, 10, NULL, 0, "not a valid chunk" },
		{ TR_CHUNK_EVENTS, (uint32_t)nocheck, 100, 3, frame, nocheck, "no content checksum" },
		{ TR_CHUNK_EVENTS, (uint32_t)checked, 99, 3, frame2, checked, "content size" },
		{ TR_CHUNK_EVENTS, (uint32_t)checked - 1, 100, 3, frame2, checked - 1, "one zstd frame" },
	};
	for (unsigned k = 0; k < sizeof(lies) / sizeof(lies[0]); k++) {
		/* the log with the lie inserted before its first event chunk */
		assert_int_equal(ftruncate(memfd, 0), 0);
		assert_int_equal(pwrite(memfd, O.bytes, first_ev, 0), (ssize_t)first_ev);
		uint8_t h[72];
		put_hdr(h, lies[k].kind, lies[k].payload_len, lies[k].raw_len, lies[k].count);
		uint64_t at = first_ev;
		assert_int_equal(pwrite(memfd, h, 72, (off_t)at), 72);
		at += 72;
		uint8_t junk[16] = { 0 };
		const void *pl = lies[k].payload ? lies[k].payload : junk;
		size_t pn = lies[k].payload ? lies[k].n : sizeof(junk);
		assert_int_equal(pwrite(memfd, pl, pn, (off_t)at), (ssize_t)pn);
		at += pn;
		/* the rest, without the footer (its offsets moved) */
		size_t rest = O.size - 32 - first_ev;
		assert_int_equal(pwrite(memfd, O.bytes + first_ev, rest, (off_t)at), (ssize_t)rest);
		struct tr_reader *r = NULL;
		assert_int_equal(tr_reader_open(mpath, NULL, &r), 0);
		const struct tr_record *rec;
		size_t n = 0;
		int e;
		while ((e = tr_reader_next(r, &rec)) == 1) {
			assert_true(n < O.n && ev_hash(rec) == O.hash[n]);
			n++;
		}
		assert_int_equal(e, 0);
		assert_int_equal(n, O.n);
		struct tr_health h2 = { .sz = sizeof(h2) };
		tr_reader_health(r, &h2);
		assert_int_equal(h2.chunks_bad, 1);
		assert_int_equal(h2.nproblems, 1);
		assert_false(h2.closed);
		assert_false(h2.truncated);
		if (!strstr(tr_reader_problem(r, 0)->what, lies[k].what))
			fail_msg("lie %u: problem '%s'", k, tr_reader_problem(r, 0)->what);
		tr_reader_close(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_log_cut_at_every_byte_reads_its_complete_chunks),
		cmocka_unit_test(test_a_flipped_byte_anywhere_loses_only_its_chunk),
		cmocka_unit_test(test_lying_chunk_headers_are_bounded_and_skipped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
