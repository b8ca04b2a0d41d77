/* SPDX-License-Identifier: MIT */
/*
 * The log round trip (tracer.h): random event streams — every event type,
 * random payload words, texts, errors, flags, blobs of every size class
 * (inline, odd sizes, 4 KiB pages, repeated ones, missing ones), loss
 * records in between — written with small chunks so they span many, read
 * back identically (every field, blob bytes and keys), seeks by seq and by
 * time with the index and without it, blobs fetched by key, the writer's
 * statistics, the header's setup events, and the errors of bad options
 * and files that are not logs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

/* ------------------------------------------------------------ the stream */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

#define NPOOL 48

struct pool_blob {
	uint8_t *data;
	uint32_t len;
};

struct rec {
	bool loss;
	struct tr_loss l;
	struct med_event ev;
	char *text;
	struct med_blob *blobs;
};

struct stream {
	struct rec *r;
	size_t n, nevents, nlosses;
	uint64_t lost;
	struct pool_blob pool[NPOOL];
	uint64_t blob_refs, blob_ref_bytes;
};

static const uint32_t pool_sizes[] = { 0, 1, 7, 33, 64, 65, 100, 777, 4096, 4096, 4096, 10000 };

static void make_pool(struct stream *s)
{
	for (unsigned i = 0; i < NPOOL; i++) {
		uint32_t len = pool_sizes[i % (sizeof(pool_sizes) / sizeof(pool_sizes[0]))];
		s->pool[i].len = len;
		s->pool[i].data = malloc(len ? len : 1);
		assert_non_null(s->pool[i].data);
		for (uint32_t k = 0; k < len; k++) /* some compressible, some not */
			s->pool[i].data[k] = (uint8_t)(i & 1 ? rnd() : k / 16 + i);
	}
}

static uint64_t rnd_word(void)
{
	switch (rndn(5)) {
	case 0: return 0;
	case 1: return rndn(100);
	case 2: return rnd();
	case 3: return (uint64_t)-(int64_t)rndn(1000);
	default: return 0xfee00000ull + rndn(4096) * 8;
	}
}

/* n records; setup events (CONFIG, VGPU_CREATEs) first when `setup`. */
static void make_stream(struct stream *s, size_t n, uint64_t seed, bool setup)
{
	memset(s, 0, sizeof(*s));
	rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
	make_pool(s);
	s->r = calloc(n, sizeof(*s->r));
	assert_non_null(s->r);
	uint64_t seq = 1 + rndn(5), time = rnd() >> 20;
	uint64_t prevw[MED_EV_TYPE_COUNT][12] = { { 0 } };
	for (size_t i = 0; i < n; i++) {
		struct rec *r = &s->r[i];
		if (i > 8 && rndn(50) == 0) {
			r->loss = true;
			r->l = (struct tr_loss){ .thread = rndn(4), .reason = 1 + rndn(3),
						 .count = 1 + rndn(100), .first_seq = seq,
						 .last_seq = seq + rndn(100), .bytes = rnd() >> 40 };
			seq += 1 + rndn(3);
			s->nlosses++;
			s->lost += r->l.count;
			continue;
		}
		struct med_event *e = &r->ev;
		unsigned t;
		if (setup && i == 0)
			t = MED_EV_CONFIG;
		else if (setup && i <= 3)
			t = MED_EV_VGPU_CREATE;
		else
			t = 1 + rndn(MED_EV_TYPE_COUNT - 1);
		e->type = (uint16_t)t;
		e->vgpu = (uint16_t)(setup && i <= 3 && i ? 4 - i : rndn(5)); /* creates out of id order */
		e->engine = (int8_t)(rndn(4) ? (int)rndn(5) - 1 : -1);
		e->version = rndn(50) ? MED_EVENT_VERSION : 1;
		e->size = rndn(50) ? sizeof(struct med_event) : 200;
		e->err = rndn(8) ? 0 : -(int32_t)(1 + rndn(130));
		e->flags = rndn(6) ? 0 : rndn(8);
		e->seq = seq;
		seq += rndn(20) ? 1 : 2 + rndn(1000);
		e->time = time;
		time += rndn(10) ? rndn(5000) : rnd() >> 30;
		for (unsigned k = 0; k < 12; k++) {
			/* like the real stream: most words repeat or move a little */
			uint64_t w = prevw[t][k];
			switch (rndn(4)) {
			case 0: w = rnd_word(); break;
			case 1: w += rndn(64); break;
			default: break;
			}
			e->u.raw[k] = prevw[t][k] = w;
		}
		if (rndn(7) == 0) {
			size_t len = rndn(5) ? rndn(60) : rndn(3000);
			r->text = malloc(len + 1);
			assert_non_null(r->text);
			for (size_t k = 0; k < len; k++)
				r->text[k] = (char)(' ' + rndn(95));
			r->text[len] = 0;
			e->text = r->text;
		}
		if (rndn(4) == 0) {
			unsigned nb = 1 + rndn(5);
			r->blobs = calloc(nb, sizeof(*r->blobs));
			assert_non_null(r->blobs);
			for (unsigned k = 0; k < nb; k++) {
				struct med_blob *b = &r->blobs[k];
				struct pool_blob *p = &s->pool[rndn(NPOOL)];
				b->kind = (uint8_t)(1 + rndn(4));
				b->as = rndn(3) ? (uint8_t)rndn(3) : MED_AS_GPA;
				b->pad[0] = rndn(20) ? 0 : 9;
				b->addr = rnd() >> rndn(64);
				b->gpa = rndn(3) == 0 ? UINT64_MAX : rndn(2) ? b->addr : rnd();
				b->len = p->len;
				b->data = rndn(15) ? p->data : NULL;
				s->blob_refs++;
				if (b->data)
					s->blob_ref_bytes += b->len;
			}
			e->blobs = r->blobs;
			e->nblobs = nb;
			if (rndn(4) == 0) {
				e->flags |= MED_EVF_BLOBS_DROPPED;
				e->blobs_dropped = 1 + rndn(3);
			}
		}
		s->nevents++;
	}
	s->n = n;
}

static void free_stream(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->r[i].text);
		free(s->r[i].blobs);
	}
	free(s->r);
	for (unsigned i = 0; i < NPOOL; i++)
		free(s->pool[i].data);
}

static int write_stream(struct tr_writer *w, const struct stream *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		int e = s->r[i].loss ? tr_writer_loss(w, &s->r[i].l) : tr_writer_event(w, &s->r[i].ev);
		if (e)
			return e;
	}
	return 0;
}

/* -------------------------------------------------------------- checking */

static bool key_zero(const struct tr_key *k)
{
	return !k->lo && !k->hi;
}

/* The reader's blob_cache for the log being checked (0: the default). */
static size_t blob_cache = 64u << 20;
static uint64_t cut_blobs, cut_records; /* what the cap left without bytes */

static void check_event(const struct med_event *want, const struct tr_record *got, bool no_blobs)
{
	assert_int_equal(got->kind, TR_REC_EVENT);
	const struct med_event *g = &got->ev;
	assert_int_equal(g->seq, want->seq);
	assert_int_equal(g->type, want->type);
	assert_int_equal(g->vgpu, want->vgpu);
	assert_int_equal(g->engine, want->engine);
	assert_int_equal(g->version, want->version);
	assert_int_equal(g->size, want->size);
	assert_int_equal(g->err, want->err);
	assert_int_equal(g->flags, want->flags);
	assert_int_equal(g->time, want->time);
	assert_memory_equal(g->u.raw, want->u.raw, sizeof(want->u.raw));
	if (want->text)
		assert_string_equal(g->text, want->text);
	else
		assert_null(g->text);
	assert_int_equal(g->nblobs, want->nblobs);
	assert_int_equal(g->blobs_dropped, want->blobs_dropped);
	uint64_t arena = 0; /* a record's stored blobs: at most blob_cache bytes of them */
	unsigned cut = 0;
	for (uint32_t i = 0; i < want->nblobs; i++) {
		const struct med_blob *a = &want->blobs[i], *b = &g->blobs[i];
		assert_int_equal(b->kind, a->kind);
		assert_int_equal(b->as, a->as);
		assert_memory_equal(b->pad, a->pad, sizeof(a->pad));
		assert_int_equal(b->len, a->len);
		assert_int_equal(b->addr, a->addr);
		assert_int_equal(b->gpa, a->gpa);
		if (!a->data) {
			assert_null(b->data);
			assert_true(key_zero(&got->keys[i]));
			continue;
		}
		if (no_blobs && a->len > 64) { /* a stored blob not loaded: no bytes, no key */
			assert_null(b->data);
			assert_true(key_zero(&got->keys[i]));
			continue;
		}
		struct tr_key k = tr_blob_key(a->data, a->len);
		assert_int_equal(got->keys[i].lo, k.lo);
		assert_int_equal(got->keys[i].hi, k.hi);
		if (a->len > 64 && arena + a->len > blob_cache) { /* past the cap: no bytes */
			assert_null(b->data);
			cut_records += !cut++;
			cut_blobs++;
			continue;
		}
		if (a->len > 64)
			arena += a->len;
		assert_non_null(b->data);
		assert_memory_equal(b->data, a->data, a->len);
	}
}

static void check_record(const struct rec *want, const struct tr_record *got, bool no_blobs)
{
	if (want->loss) {
		assert_int_equal(got->kind, TR_REC_LOSS);
		assert_memory_equal(&got->loss, &want->l, sizeof(want->l));
		return;
	}
	check_event(&want->ev, got, no_blobs);
}

/* Reads the whole log and compares it with s[from..). */
static void check_log(const char *path, const struct stream *s, const struct tr_reader_opts *o,
		      bool closed)
{
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, o, &r), 0);
	blob_cache = o && o->blob_cache ? o->blob_cache : 64u << 20;
	cut_blobs = cut_records = 0;
	const struct tr_record *rec;
	bool no_blobs = o && o->no_blobs;
	uint64_t prev_off = 0;
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(tr_reader_next(r, &rec), 1);
		check_record(&s->r[i], rec, no_blobs);
		assert_true(rec->offset >= prev_off);
		prev_off = rec->offset;
	}
	assert_int_equal(tr_reader_next(r, &rec), 0);
	assert_int_equal(tr_reader_next(r, &rec), 0);
	struct tr_health h = { .sz = sizeof(h) };
	assert_int_equal(tr_reader_health(r, &h), 0);
	assert_int_equal(h.events, s->nevents);
	assert_int_equal(h.losses, s->nlosses);
	assert_int_equal(h.lost_events, s->lost);
	assert_int_equal(h.chunks_bad, 0);
	assert_int_equal(h.events_lost, 0);
	assert_int_equal(h.bytes_skipped, 0);
	assert_int_equal(h.blobs_missing, cut_blobs);
	assert_int_equal(h.nproblems, cut_records);
	assert_true(h.header_ok);
	assert_false(h.truncated);
	assert_int_equal(h.closed, closed);
	assert_true(h.event_chunks > 10);
	tr_reader_close(r);
}

static char *tmp_path(const char *tag)
{
	static char buf[4][128];
	static unsigned k;
	char *p = buf[k++ % 4];
	snprintf(p, 128, "/tmp/vgt-test-log-%d-%s.vgtl", (int)getpid(), tag);
	return p;
}

static void copy_file(const char *from, const char *to)
{
	int a = open(from, O_RDONLY), b = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(a >= 0 && b >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(a, buf, sizeof(buf))) > 0)
		assert_int_equal(write(b, buf, (size_t)n), n);
	close(a);
	close(b);
}

/* ----------------------------------------------------------------- tests */

static void test_random_streams_read_back_identically(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct stream s;
		make_stream(&s, 3000, seed, seed & 1);
		char *path = tmp_path("rt");
		char err[256] = "";
		struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_IMPORT,
					     .chunk_events = 37 + (uint32_t)seed * 11,
					     .chunk_bytes = seed == 4 ? 2000 : 0,
					     .level = seed == 3 ? 3 : 0, .sync = seed == 2, .errbuf = err,
					     .errbuf_len = sizeof(err) };
		struct tr_writer *w = NULL;
		assert_int_equal(tr_writer_open(path, &wo, &w), 0);
		assert_int_equal(write_stream(w, &s, 0, s.n), 0);
		struct tr_write_stats st = { .sz = sizeof(st) };
		assert_int_equal(tr_writer_close(w, &st), 0);
		check_log(path, &s, NULL, true);
		struct tr_reader_opts ro = { .sz = sizeof(ro), .no_blobs = true };
		check_log(path, &s, &ro, true);
		struct tr_reader_opts small = { .sz = sizeof(small), .blob_cache = 5000 };
		check_log(path, &s, &small, true);

		/* the statistics */
		assert_int_equal(st.events, s.nevents);
		assert_int_equal(st.losses, s.nlosses);
		assert_int_equal(st.lost_events, s.lost);
		assert_int_equal(st.out_of_order, 0);
		assert_int_equal(st.blob_refs, s.blob_refs);
		assert_int_equal(st.blob_ref_bytes, s.blob_ref_bytes);
		/* each distinct blob above the inline size stored once */
		uint64_t distinct = 0, dbytes = 0;
		for (unsigned i = 0; i < NPOOL; i++) {
			bool used = false;
			for (size_t k = 0; k < s.n && !used; k++)
				for (uint32_t b = 0; b < s.r[k].ev.nblobs; b++)
					used |= s.r[k].ev.blobs[b].data == s.pool[i].data;
			if (used && s.pool[i].len > 64) {
				/* pool entries of equal bytes would share a key; sizes differ or
				 * bytes are random, so each is distinct */
				distinct++;
				dbytes += s.pool[i].len;
			}
		}
		assert_int_equal(st.blobs, distinct);
		assert_int_equal(st.blob_bytes, dbytes);
		assert_true(st.blob_ref_bytes > st.blob_bytes); /* dedup happened */
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(st.file_bytes, (uint64_t)sb.st_size);
		assert_true(st.chunks >= st.event_chunks + st.blob_chunks + 2);
		assert_true(st.event_bytes < st.file_bytes);
		assert_true(st.raw_bytes > 0);
		unlink(path);
		free_stream(&s);
	}
}

static void test_the_header_holds_the_setup_events(void **state)
{
	struct stream s;
	make_stream(&s, 500, 9, true);
	s.r[0].ev.u.config.gen = 8;
	char *path = tmp_path("hdr");
	struct tr_writer_opts wo = { .sz = sizeof(wo), .source = TR_SOURCE_INPROC,
				     .tool_version = "vgt test", .cmdline = "vgt sim --record x",
				     .types = MED_EV_BIT(MED_EV_CLOCK), .chunk_events = 50 };
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	assert_int_equal(write_stream(w, &s, 0, s.n), 0);
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	blob_cache = 64u << 20;
	const struct tr_log_info *in = tr_reader_info(r);
	assert_int_equal(in->version, TR_LOG_VERSION);
	assert_int_equal(in->event_version, MED_EVENT_VERSION);
	assert_int_equal(in->source, TR_SOURCE_INPROC);
	assert_int_equal(in->gen, 8);
	assert_int_equal(in->types, MED_EV_BIT(MED_EV_CLOCK));
	assert_true(in->created_ns > 1600000000ull * 1000000000ull);
	assert_string_equal(in->tool_version, "vgt test");
	assert_string_equal(in->cmdline, "vgt sim --record x");
	assert_string_equal(in->clock, "virtual");
	assert_non_null(in->host);
	assert_true(in->has_config);
	assert_int_equal(in->config.seq, s.r[0].ev.seq);
	assert_memory_equal(in->config.u.raw, s.r[0].ev.u.raw, sizeof(in->config.u.raw));
	assert_int_equal(in->nvgpus, 3);
	for (unsigned i = 0; i < 3; i++) { /* in id order: written 3, 2, 1 */
		assert_int_equal(in->vgpus[i].type, MED_EV_VGPU_CREATE);
		assert_int_equal(in->vgpus[i].vgpu, i + 1);
		assert_memory_equal(in->vgpus[i].u.raw, s.r[3 - i].ev.u.raw, 96);
	}
	/* the setup events stay in the stream */
	const struct tr_record *rec;
	assert_int_equal(tr_reader_next(r, &rec), 1);
	check_event(&s.r[0].ev, rec, false);
	tr_reader_close(r);
	assert_int_equal(tr_source_name(TR_SOURCE_INPROC)[0], 'i');
	assert_string_equal(tr_source_name(TR_SOURCE_BPF), "bpf");
	assert_string_equal(tr_loss_reason_name(TR_LOSS_RING_FULL), "ring-full");
	enum tr_record_mode m;
	assert_int_equal(tr_record_mode_parse("drop", &m), 0);
	assert_int_equal(m, TR_RECORD_DROP);
	assert_int_equal(tr_record_mode_parse("lossless", &m), 0);
	assert_int_equal(m, TR_RECORD_LOSSLESS);
	assert_int_equal(tr_record_mode_parse("dropped", &m), -EINVAL);
	unlink(path);
	free_stream(&s);
}

/* The first event at or after `v` (mode 1 seq, 2 time) of a stream whose
 * seq and time only grow, or -1. */
static ssize_t first_at(const struct stream *s, int mode, uint64_t v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->r[i].loss && (mode == 1 ? s->r[i].ev.seq : s->r[i].ev.time) >= v)
			return (ssize_t)i;
	return -1;
}

static void check_seeks(const char *path, const struct stream *s, bool closed, size_t cache)
{
	struct tr_reader *r = NULL;
	struct tr_reader_opts o = { .sz = sizeof(o), .blob_cache = cache };
	assert_int_equal(tr_reader_open(path, &o, &r), 0);
	blob_cache = cache ? cache : 64u << 20;
	struct tr_health h = { .sz = sizeof(h) };
	assert_int_equal(tr_reader_health(r, &h), 0);
	assert_int_equal(h.closed, closed);
	uint64_t last_seq = 0, last_time = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!s->r[i].loss) {
			last_seq = s->r[i].ev.seq;
			last_time = s->r[i].ev.time;
		}
	for (unsigned k = 0; k < 120; k++) {
		int mode = 1 + (int)(k & 1);
		uint64_t v = mode == 1 ? rnd() % (last_seq + 10) : rnd() % (last_time + 1000);
		if (k == 0)
			v = 0;
		const struct tr_record *rec;
		assert_int_equal(mode == 1 ? tr_reader_seek_seq(r, v) : tr_reader_seek_time(r, v), 0);
		ssize_t want = first_at(s, mode, v);
		if (want < 0) {
			assert_int_equal(tr_reader_next(r, &rec), 0);
			continue;
		}
		/* the event, then the records after it as written (a few) */
		for (size_t i = (size_t)want; i < s->n && i < (size_t)want + 40; i++) {
			assert_int_equal(tr_reader_next(r, &rec), 1);
			check_record(&s->r[i], rec, false);
		}
		if (k % 10 == 9) {
			assert_int_equal(tr_reader_rewind(r), 0);
			assert_int_equal(tr_reader_next(r, &rec), 1);
			check_record(&s->r[0], rec, false);
		}
	}
	tr_reader_close(r);
}

static void test_seeks_by_seq_and_time_with_and_without_index(void **state)
{
	struct stream s;
	make_stream(&s, 4000, 21, true);
	char *path = tmp_path("seek"), *open_copy = tmp_path("seek-open");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	struct tr_writer_opts wo = { .sz = sizeof(wo), .chunk_events = 64 };
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_fdopen(fd, &wo, &w), 0);
	assert_int_equal(write_stream(w, &s, 0, s.n), 0);
	assert_int_equal(tr_writer_flush(w), 0);
	copy_file(path, open_copy); /* as a log whose writer never closed */
	assert_int_equal(tr_writer_close(w, NULL), 0);
	close(fd);
	check_log(open_copy, &s, NULL, false);
	rng_state = 77;
	check_seeks(path, &s, true, 0);
	rng_state = 77;
	check_seeks(open_copy, &s, false, 0);
	rng_state = 78; /* a cache smaller than one blob chunk */
	check_seeks(path, &s, true, 3000);
	rng_state = 78;
	check_seeks(open_copy, &s, false, 3000);

	/* blobs by key, from a fresh reader (with and without an index) */
	for (int pass = 0; pass < 2; pass++) {
		struct tr_reader *r = NULL;
		assert_int_equal(tr_reader_open(pass ? open_copy : path, NULL, &r), 0);
		blob_cache = 64u << 20;
		for (unsigned i = NPOOL; i-- > 0;) {
			struct tr_key k = tr_blob_key(s.pool[i].data, s.pool[i].len);
			const void *d;
			uint32_t len;
			int e = tr_reader_blob(r, &k, &d, &len);
			if (s.pool[i].len <= 64) { /* inline: never in a blob chunk */
				assert_int_equal(e, -ENOENT);
				continue;
			}
			if (e == -ENOENT)
				continue; /* never used (or only missing) */
			assert_int_equal(e, 0);
			assert_int_equal(len, s.pool[i].len);
			assert_memory_equal(d, s.pool[i].data, len);
		}
		struct tr_key nokey = { 1, 2 };
		const void *d;
		uint32_t len;
		assert_int_equal(tr_reader_blob(r, &nokey, &d, &len), -ENOENT);
		/* looking blobs up first does not hide anything from a full read's health */
		assert_int_equal(tr_reader_rewind(r), 0);
		const struct tr_record *rec;
		for (size_t i = 0; i < s.n; i++) {
			assert_int_equal(tr_reader_next(r, &rec), 1);
			check_record(&s.r[i], rec, false);
		}
		assert_int_equal(tr_reader_next(r, &rec), 0);
		struct tr_health h = { .sz = sizeof(h) };
		assert_int_equal(tr_reader_health(r, &h), 0);
		assert_int_equal(h.events, s.nevents);
		assert_int_equal(h.chunks_bad, 0);
		assert_int_equal(h.blobs_missing, 0);
		assert_true(h.blob_chunks > 0);
		/* the header, and the index of the closed log */
		assert_int_equal(h.chunks_ok, h.event_chunks + h.blob_chunks + 1 + (pass ? 0 : 1));
		tr_reader_close(r);
	}
	unlink(path);
	unlink(open_copy);
	free_stream(&s);
}

static int count_chunk(void *ctx, const struct tr_chunk_info *c)
{
	uint64_t *n = ctx;
	n[c->kind < 6 ? c->kind : 0]++;
	return 0;
}

static void test_chunks_lists_every_chunk(void **state)
{
	struct stream s;
	make_stream(&s, 1000, 5, true);
	char *path = tmp_path("chunks");
	struct tr_writer_opts wo = { .sz = sizeof(wo), .chunk_events = 100 };
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_open(path, &wo, &w), 0);
	assert_int_equal(write_stream(w, &s, 0, s.n), 0);
	struct tr_write_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_writer_close(w, &st), 0);
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	blob_cache = 64u << 20;
	uint64_t n[6] = { 0 };
	assert_int_equal(tr_reader_chunks(r, count_chunk, n), 0);
	assert_int_equal(n[TR_CHUNK_HEADER], 1);
	assert_int_equal(n[TR_CHUNK_EVENTS] + n[TR_CHUNK_LOSS], st.event_chunks);
	assert_int_equal(n[TR_CHUNK_BLOBS], st.blob_chunks);
	assert_int_equal(n[TR_CHUNK_INDEX], 1);
	assert_int_equal(n[0], 0);
	tr_reader_close(r);
	unlink(path);
	free_stream(&s);
}

static void test_out_of_order_events_stay_where_written(void **state)
{
	char *path = tmp_path("ooo");
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	uint64_t seqs[] = { 5, 6, 4, 7, 7, 100, 50 };
	for (unsigned i = 0; i < 7; i++) {
		struct med_event e = { .type = MED_EV_CLOCK, .seq = seqs[i], .time = seqs[i] * 10,
				       .engine = -1, .version = MED_EVENT_VERSION,
				       .size = sizeof(e) };
		assert_int_equal(tr_writer_event(w, &e), 0);
	}
	struct tr_write_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_writer_close(w, &st), 0);
	assert_int_equal(st.out_of_order, 3);
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	blob_cache = 64u << 20;
	const struct tr_record *rec;
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(tr_reader_next(r, &rec), 1);
		assert_int_equal(rec->ev.seq, seqs[i]);
		assert_int_equal(rec->ev.time, seqs[i] * 10);
	}
	assert_int_equal(tr_reader_next(r, &rec), 0);
	tr_reader_close(r);
	unlink(path);
}

/* Blobs of an event that together pass a blob chunk's size go out in
 * several blob chunks, each within the reader's bounds. */
static void test_one_event_with_more_blob_bytes_than_a_blob_chunk(void **state)
{
	char *path = tmp_path("bigblobs");
	enum { NB = 5, LEN = 3 << 20 };
	struct med_blob b[NB];
	uint8_t *data[NB];
	for (unsigned i = 0; i < NB; i++) {
		data[i] = malloc(LEN);
		assert_non_null(data[i]);
		for (size_t k = 0; k < LEN; k += 8)
			memcpy(data[i] + k, &(uint64_t){ k * 2654435761u + i }, 8);
		b[i] = (struct med_blob){ .kind = MED_BLOB_GUEST_MEM, .as = MED_AS_GPA, .len = LEN,
					  .addr = (uint64_t)i << 30, .gpa = (uint64_t)i << 30,
					  .data = data[i] };
	}
	struct med_event e = { .type = MED_EV_GPU_WRITE, .seq = 1, .engine = 0, .blobs = b,
			       .nblobs = NB, .version = MED_EVENT_VERSION, .size = sizeof(e) };
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	assert_int_equal(tr_writer_event(w, &e), 0);
	struct tr_write_stats st = { .sz = sizeof(st) };
	assert_int_equal(tr_writer_close(w, &st), 0);
	assert_true(st.blob_chunks >= 3);
	assert_int_equal(st.blobs, NB);
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	blob_cache = 64u << 20;
	const struct tr_record *rec;
	assert_int_equal(tr_reader_next(r, &rec), 1);
	check_event(&e, rec, false);
	assert_int_equal(tr_reader_next(r, &rec), 0);
	struct tr_health h = { .sz = sizeof(h) };
	tr_reader_health(r, &h);
	assert_int_equal(h.nproblems, 0);
	tr_reader_close(r);
	for (unsigned i = 0; i < NB; i++)
		free(data[i]);
	unlink(path);
}

/* /tmp/poc/hdr: a flush between the setup events (the recorder flushes
 * every 100 ms) does not write the HEADER chunk early: it holds the CONFIG
 * and every VGPU_CREATE before the first other event either way. */
static void test_the_header_holds_the_setup_events_whenever_flush_is_called(void **state)
{
	for (int when = 0; when < 4; when++) {
		char *path = tmp_path("hdrflush");
		struct tr_writer *w = NULL;
		assert_int_equal(tr_writer_open(path, NULL, &w), 0);
		struct med_event e = { .type = MED_EV_CONFIG, .version = MED_EVENT_VERSION,
				       .size = sizeof(e), .seq = 1, .engine = -1 };
		assert_int_equal(tr_writer_event(w, &e), 0);
		if (when == 1)
			assert_int_equal(tr_writer_flush(w), 0);
		for (unsigned v = 0; v < 2; v++) {
			struct med_event c = { .type = MED_EV_VGPU_CREATE, .vgpu = (uint16_t)v,
					       .version = MED_EVENT_VERSION, .size = sizeof(c),
					       .seq = 2 + v, .engine = -1 };
			assert_int_equal(tr_writer_event(w, &c), 0);
			if (when == 2)
				assert_int_equal(tr_writer_flush(w), 0);
		}
		struct med_event m = { .type = MED_EV_MMIO_WRITE, .version = MED_EVENT_VERSION,
				       .size = sizeof(m), .seq = 4, .engine = -1 };
		assert_int_equal(tr_writer_event(w, &m), 0);
		if (when == 3)
			assert_int_equal(tr_writer_flush(w), 0);
		assert_int_equal(tr_writer_close(w, NULL), 0);
		struct tr_reader *r = NULL;
		assert_int_equal(tr_reader_open(path, NULL, &r), 0);
		assert_true(tr_reader_info(r)->has_config);
		assert_int_equal(tr_reader_info(r)->nvgpus, 2);
		const struct tr_record *rec;
		for (uint64_t s = 1; s <= 4; s++) {
			assert_int_equal(tr_reader_next(r, &rec), 1);
			assert_int_equal(rec->ev.seq, s);
		}
		assert_int_equal(tr_reader_next(r, &rec), 0);
		tr_reader_close(r);
		unlink(path);
	}
}

static void test_an_empty_log_has_its_header_and_nothing_else(void **state)
{
	char *path = tmp_path("empty");
	struct tr_writer *w = NULL;
	assert_int_equal(tr_writer_open(path, NULL, &w), 0);
	assert_int_equal(tr_writer_flush(w), 0);
	assert_int_equal(tr_writer_close(w, NULL), 0);
	struct tr_reader *r = NULL;
	assert_int_equal(tr_reader_open(path, NULL, &r), 0);
	blob_cache = 64u << 20;
	const struct tr_record *rec;
	assert_int_equal(tr_reader_next(r, &rec), 0);
	struct tr_health h = { .sz = sizeof(h) };
	tr_reader_health(r, &h);
	assert_true(h.header_ok && h.closed && !h.truncated);
	assert_int_equal(h.chunks_ok, 2); /* header, index */
	assert_int_equal(h.nproblems, 0);
	assert_false(tr_reader_info(r)->has_config);
	tr_reader_close(r);
	unlink(path);
}

static void test_bad_options_and_files_that_are_not_logs(void **state)
{
	char err[256] = "";
	char *path = tmp_path("bad");
	struct tr_writer *w = NULL;
	struct tr_writer_opts lvl = { .sz = sizeof(lvl), .level = 99, .errbuf = err,
				      .errbuf_len = sizeof(err) };
	assert_int_equal(tr_writer_open(path, &lvl, &w), -EINVAL);
	assert_non_null(strstr(err, "level"));
	struct {
		struct tr_writer_opts o;
		uint64_t extra;
	} big = { .o = { .sz = sizeof(big) }, .extra = 1 };
	assert_int_equal(tr_writer_open(path, &big.o, &w), -E2BIG);
	assert_int_equal(tr_writer_open("/nonexistent-dir/x.vgtl", NULL, &w), -ENOENT);

	struct tr_reader *r = NULL;
	struct tr_reader_opts ro = { .sz = sizeof(ro), .errbuf = err, .errbuf_len = sizeof(err) };
	FILE *f = fopen(path, "w");
	fputs("hello, this is not a log at all\n", f);
	fclose(f);
	assert_int_equal(tr_reader_open(path, &ro, &r), -EPROTO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a vgt log"));
	f = fopen(path, "w");
	fwrite("VGTL\r\n\x1a\n\x07\0\0\0\0\0\0\0", 1, 16, f);
	fclose(f);
	assert_int_equal(tr_reader_open(path, &ro, &r), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "version 7"));
	assert_int_equal(tr_reader_open("/tmp", &ro, &r), -EISDIR);
	assert_int_equal(tr_reader_open("/nonexistent-dir/x.vgtl", &ro, &r), -ENOENT);

	/* a writer's I/O error: every later call fails the same way */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	struct tr_writer_opts po = { .sz = sizeof(po), .chunk_events = 1, .errbuf = err,
				     .errbuf_len = sizeof(err) };
	assert_int_equal(tr_writer_fdopen(fds[1], &po, &w), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	struct med_event e = { .type = MED_EV_CLOCK, .seq = 1, .engine = -1 };
	assert_int_equal(tr_writer_event(w, &e), -EIO);
	assert_non_null(strstr(err, "fd "));
	assert_int_equal(tr_writer_event(w, &e), -EIO);
	assert_int_equal(tr_writer_flush(w), -EIO);
	assert_int_equal(tr_writer_close(w, NULL), -EIO);
	close(fds[1]);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_streams_read_back_identically),
		cmocka_unit_test(test_the_header_holds_the_setup_events),
		cmocka_unit_test(test_seeks_by_seq_and_time_with_and_without_index),
		cmocka_unit_test(test_chunks_lists_every_chunk),
		cmocka_unit_test(test_out_of_order_events_stay_where_written),
		cmocka_unit_test(test_one_event_with_more_blob_bytes_than_a_blob_chunk),
		cmocka_unit_test(test_the_header_holds_the_setup_events_whenever_flush_is_called),
		cmocka_unit_test(test_an_empty_log_has_its_header_and_nothing_else),
		cmocka_unit_test(test_bad_options_and_files_that_are_not_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
