/* SPDX-License-Identifier: MIT */
/*
 * The event log (issue 17): writer and reader throughput, bytes per event
 * and compression on 3d simulation traffic.
 *
 * The stream: a deterministic `sim_run` (4 vGPUs, profile 3d) captured
 * into memory (events, texts and blob bytes copied), then written again
 * and again to a file in /tmp:
 *  - writer: events/s through tr_writer_event + close (encode, hash and
 *    store blobs, compress at zstd level 1, write), with the blobs and
 *    with every event's blobs stripped (the recorder's writer-thread cost
 *    for blob-less events);
 *  - baselines measured in the same run: memcpy of the raw 176-byte
 *    structs; writing them raw to a file; and raw structs compressed with
 *    zstd level 1 in 1 MiB blocks (the "plain ring + zstd" point);
 *  - bytes per event excluding blob contents (event chunks as written /
 *    events), the encoding's and zstd's ratios, the blob dedup ratio;
 *  - reader: events/s through tr_reader_next, blob-less and with blobs
 *    (resolved through the cache), and with no_blobs.
 * Figures are ratios against a baseline of the same run; no timing
 * asserts.  BENCH_LOG_SUBS sets the submissions per vGPU (default 200).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "sim/sim.h"
#include "tracer/tracer.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's CPU time: the machine is shared, so the writer's and the
 * reader's own cost is also given per event in CPU ns. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double last_cpu_ns; /* best CPU ns per event of the last write_log/read_log */

/* ------------------------------------------------------------ the capture */

struct cap {
	struct med_event *ev;
	size_t n, cap;
	uint8_t **chunks; /* arenas: texts, blob arrays, blob bytes */
	size_t nchunks;
	uint8_t *arena;
	size_t arena_left;
};

static void *cap_alloc(struct cap *c, size_t len)
{
	len = (len + 15) & ~(size_t)15;
	if (len > c->arena_left) {
		size_t sz = len > (4u << 20) ? len : (4u << 20);
		c->arena = malloc(sz);
		if (!c->arena) {
			fprintf(stderr, "bench_log: out of memory\n");
			exit(1);
		}
		c->chunks = realloc(c->chunks, (c->nchunks + 1) * sizeof(*c->chunks));
		c->chunks[c->nchunks++] = c->arena;
		c->arena_left = sz;
	}
	void *p = c->arena;
	c->arena += len;
	c->arena_left -= len;
	return p;
}

static void on_event(void *ctx, const struct med_event *ev)
{
	struct cap *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 65536;
		c->ev = realloc(c->ev, c->cap * sizeof(*c->ev));
		if (!c->ev)
			exit(1);
	}
	struct med_event *e = &c->ev[c->n++];
	*e = *ev;
	if (ev->text) {
		size_t l = strlen(ev->text) + 1;
		e->text = memcpy(cap_alloc(c, l), ev->text, l);
	}
	if (ev->nblobs) {
		struct med_blob *b = cap_alloc(c, ev->nblobs * sizeof(*b));
		for (uint32_t i = 0; i < ev->nblobs; i++) {
			b[i] = ev->blobs[i];
			if (b[i].data)
				b[i].data = memcpy(cap_alloc(c, b[i].len), ev->blobs[i].data, b[i].len);
		}
		e->blobs = b;
	}
}

/* ------------------------------------------------------------- the runs */

static const char *path = "/tmp/vgt-bench-log.vgtl";

static double write_log(const struct med_event *ev, size_t n, int reps, struct tr_write_stats *st)
{
	char err[256] = "";
	double best = 1e9, bestc = 1e9;
	for (int r = 0; r < reps; r++) {
		double c0 = cpu_s();
		struct tr_writer_opts o = { .sz = sizeof(o), .source = TR_SOURCE_INPROC,
					    .errbuf = err, .errbuf_len = sizeof(err) };
		struct tr_writer *w;
		double t0 = now_s();
		if (tr_writer_open(path, &o, &w)) {
			fprintf(stderr, "bench_log: %s\n", err);
			exit(1);
		}
		for (size_t i = 0; i < n; i++)
			if (tr_writer_event(w, &ev[i])) {
				fprintf(stderr, "bench_log: %s\n", err);
				exit(1);
			}
		st->sz = sizeof(*st);
		if (tr_writer_close(w, st)) {
			fprintf(stderr, "bench_log: %s\n", err);
			exit(1);
		}
		double t = now_s() - t0, c = cpu_s() - c0;
		if (t < best)
			best = t;
		if (c < bestc)
			bestc = c;
	}
	last_cpu_ns = bestc * 1e9 / (double)n;
	return (double)n / best;
}

static double read_log(bool no_blobs, int reps, uint64_t *events)
{
	double best = 1e9, bestc = 1e9;
	for (int r = 0; r < reps; r++) {
		struct tr_reader_opts o = { .sz = sizeof(o), .no_blobs = no_blobs };
		struct tr_reader *rd;
		double t0 = now_s(), c0 = cpu_s();
		if (tr_reader_open(path, &o, &rd)) {
			fprintf(stderr, "bench_log: cannot read %s\n", path);
			exit(1);
		}
		const struct tr_record *rec;
		uint64_t n = 0, sum = 0;
		while (tr_reader_next(rd, &rec) == 1) {
			n++;
			sum += rec->ev.seq;
		}
		tr_reader_close(rd);
		double t = now_s() - t0, c = cpu_s() - c0;
		if (t < best)
			best = t;
		if (c < bestc)
			bestc = c;
		*events = n + (sum == 1); /* (keeps the loop) */
	}
	last_cpu_ns = bestc * 1e9 / (double)*events;
	return (double)*events / best;
}

static double memcpy_raw(const struct med_event *ev, size_t n, int reps)
{
	size_t bytes = n * sizeof(*ev);
	uint8_t *dst = malloc(1u << 20);
	double best = 1e9;
	for (int r = 0; r < reps; r++) {
		double t0 = now_s();
		for (size_t off = 0; off < bytes; off += 1u << 20) {
			size_t k = bytes - off < (1u << 20) ? bytes - off : (1u << 20);
			memcpy(dst, (const uint8_t *)ev + off, k);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		double t = now_s() - t0;
		if (t < best)
			best = t;
	}
	free(dst);
	return (double)n / best;
}

/* Raw structs to a file, plain or zstd-1 compressed in 1 MiB blocks. */
static double write_raw(const struct med_event *ev, size_t n, bool zstd, int reps, uint64_t *bytes_out)
{
	size_t bytes = n * sizeof(*ev);
	size_t cap = ZSTD_compressBound(1u << 20);
	uint8_t *dst = malloc(cap);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	double best = 1e9;
	for (int r = 0; r < reps; r++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		uint64_t total = 0;
		double t0 = now_s();
		for (size_t off = 0; off < bytes; off += 1u << 20) {
			size_t k = bytes - off < (1u << 20) ? bytes - off : (1u << 20);
			const void *src = (const uint8_t *)ev + off;
			size_t w = k;
			if (zstd) {
				w = ZSTD_compress2(cc, dst, cap, src, k);
				src = dst;
			}
			if (write(fd, src, w) != (ssize_t)w)
				exit(1);
			total += w;
		}
		close(fd);
		double t = now_s() - t0;
		if (t < best)
			best = t;
		*bytes_out = total;
	}
	ZSTD_freeCCtx(cc);
	free(dst);
	return (double)n / best;
}

int main(void)
{
	const char *subs_env = getenv("BENCH_LOG_SUBS");
	uint64_t subs = subs_env ? strtoull(subs_env, NULL, 10) : 200;
	char err[512] = "";
	struct cap c = { 0 };
	struct sim_opts so = { .sz = sizeof(so), .vgpus = 4, .profiles = "3d", .submissions = subs,
			       .seed = 11, .shm_name = "", .deterministic = true, .event = on_event,
			       .event_ctx = &c, .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *res;
	if (sim_run(&so, &res)) {
		fprintf(stderr, "bench_log: sim: %s\n", err);
		return 1;
	}
	sim_result_free(res);
	/* the same stream without blobs */
	struct med_event *bare = malloc(c.n * sizeof(*bare));
	uint64_t nblobs = 0;
	for (size_t i = 0; i < c.n; i++) {
		bare[i] = c.ev[i];
		nblobs += bare[i].nblobs;
		bare[i].blobs = NULL;
		bare[i].nblobs = 0;
	}
	printf("bench_log: deterministic sim, 4 vGPUs, 3d, %llu submissions each: %zu events, "
	       "%llu blob refs; zstd level 1, chunks of 64 Ki events / 1 MiB\n\n",
	       (unsigned long long)subs, c.n, (unsigned long long)nblobs);

	/* every figure: the best of `reps` runs over the stream (a log each) */
	int reps = (int)(1500000 / c.n) + 3;
	struct tr_write_stats sb, sf;
	double mc = memcpy_raw(bare, c.n, reps);
	uint64_t rawb, zb;
	double rw = write_raw(bare, c.n, false, reps, &rawb);
	double zw = write_raw(bare, c.n, true, reps, &zb);
	double wb = write_log(bare, c.n, reps, &sb), wb_c = last_cpu_ns;
	uint64_t rb_events, rf_events, rn_events;
	double rb = read_log(false, reps, &rb_events), rb_c = last_cpu_ns;
	double wf = write_log(c.ev, c.n, 3, &sf), wf_c = last_cpu_ns;
	double rf = read_log(false, 3, &rf_events), rf_c = last_cpu_ns;
	double rn = read_log(true, reps, &rn_events), rn_c = last_cpu_ns;
	size_t nb = c.n;
	struct tr_write_stats s1, s0;
	write_log(bare, c.n, 1, &s1);
	/* the inline blobs' bytes are blob contents too: zeroed, their share shows */
	static const uint8_t zeros[64];
	for (size_t i = 0; i < c.n; i++)
		for (uint32_t b = 0; b < c.ev[i].nblobs; b++) {
			struct med_blob *mb = (struct med_blob *)&c.ev[i].blobs[b];
			if (mb->data && mb->len <= 64)
				mb->data = zeros;
		}
	write_log(c.ev, c.n, 1, &s0);
	printf("writer (a log of the %zu events, best of %d):\n", nb, reps);
	printf("  %-44s %7.1f M events/s  %6.3fx\n", "memcpy of raw structs (baseline)", mc / 1e6, 1.0);
	printf("  %-44s %7.1f M events/s  %6.3fx  %6.1f B/event\n", "raw structs written to a file",
	       rw / 1e6, rw / mc, (double)rawb / nb);
	printf("  %-44s %7.1f M events/s  %6.3fx  %6.1f B/event\n", "raw structs, zstd -1, written",
	       zw / 1e6, zw / mc, (double)zb / nb);
	printf("  %-44s %7.1f M events/s  %6.3fx  %6.2f B/event  (CPU %.0f ns/event: %.1f M/s)\n",
	       "tr_writer, blob-less events", wb / 1e6, wb / mc, (double)sb.event_bytes / sb.events,
	       wb_c, 1e3 / wb_c);
	printf("  %-44s %7.2f M events/s  (CPU %.0f ns/event)\n", "tr_writer, events with their blobs",
	       wf / 1e6, wf_c);
	printf("\nlog of the sim stream with blobs (%llu bytes):\n", (unsigned long long)sf.file_bytes);
	printf("  bytes per event in event chunks (blob chunks excluded): %.2f (%llu B / %llu events)\n",
	       (double)sf.event_bytes / sf.events, (unsigned long long)sf.event_bytes,
	       (unsigned long long)sf.events);
	printf("  encoded records: %.2f B/event (%.1fx smaller than the %zu-byte struct); "
	       "zstd on them: %.2fx\n",
	       (double)sf.raw_bytes / sf.events, (double)sizeof(struct med_event) * sf.events / sf.raw_bytes,
	       sizeof(struct med_event), (double)sf.raw_bytes / sf.event_bytes);
	printf("  ... with the inline blobs' bytes (<= 64, stored in the records) zeroed: %.2f B/event\n",
	       (double)s0.event_bytes / s0.events);
	printf("  the same events without their blob references: %.2f B/event (encoded %.2f)\n",
	       (double)s1.event_bytes / s1.events, (double)s1.raw_bytes / s1.events);
	printf("  compression ratio vs raw structs: %.1fx\n",
	       (double)sizeof(struct med_event) * sf.events / sf.event_bytes);
	printf("  blobs: %llu refs, %llu bytes; %llu distinct stored, %llu bytes: dedup %.2fx; "
	       "%llu blob chunks\n",
	       (unsigned long long)sf.blob_refs, (unsigned long long)sf.blob_ref_bytes,
	       (unsigned long long)sf.blobs, (unsigned long long)sf.blob_bytes,
	       sf.blob_bytes ? (double)sf.blob_ref_bytes / sf.blob_bytes : 0.0,
	       (unsigned long long)sf.blob_chunks);
	printf("\nreader (tr_reader_next, best of %d; ratio to the blob-less writer):\n", reps);
	printf("  (the blob-less log read first: %llu bytes)\n", (unsigned long long)sb.file_bytes);
	printf("  %-44s %7.1f M events/s  %6.3fx  (CPU %.0f ns/event)\n", "blob-less log", rb / 1e6,
	       rb / wb, rb_c);
	printf("  %-44s %7.2f M events/s  %6.3fx  (CPU %.0f ns/event)\n", "sim log, blobs resolved",
	       rf / 1e6, rf / wb, rf_c);
	printf("  %-44s %7.1f M events/s  %6.3fx  (CPU %.0f ns/event)\n", "sim log, no_blobs", rn / 1e6,
	       rn / wb, rn_c);
	if (rb_events != nb || rf_events != c.n || rn_events != c.n)
		printf("  (event counts differ: %llu/%zu %llu/%zu)\n", (unsigned long long)rb_events, nb,
		       (unsigned long long)rf_events, c.n);
	unlink(path);
	free(bare);
	free(c.ev);
	for (size_t i = 0; i < c.nchunks; i++)
		free(c.chunks[i]);
	free(c.chunks);
	return 0;
}
