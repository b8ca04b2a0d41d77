/* SPDX-License-Identifier: MIT */
/*
 * Decoder throughput against a baseline measured in the same run.
 *
 * Inputs: a synthetic 1 MiB Gen9 render batch shaped like Mesa's (a state
 * preamble, then draws: pointer packets, vertex buffers, push constants,
 * 3DPRIMITIVE, periodic PIPE_CONTROL and LRI), and, when $VGT_SHARED holds
 * them, the captured 64 KiB iris batches of reference/captures/gen9-longbatch.
 *
 * Baseline = memcpy of the bytes + the cheapest header-only walk (reads each
 * header, skips by its length field with a per-class rule, no table).  The
 * decoder is measured as a walk with scan_decode alone, and with
 * scan_cmd_operands on every command (what an auditor pays).  Each figure is
 * the best of several timed rounds; ratios are time / baseline time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus/corpus.h"
#include "scanner/scanner.h"

#define MIN_ROUND_NS 150000000.0 /* each round runs at least 0.15 s */
#define ROUNDS 3

static volatile uint64_t sink;

struct input {
	const char *name;
	enum scan_gen gen;
	enum scan_engine engine;
	uint32_t **batches;
	size_t *ndw;
	unsigned n;
	size_t total_dw;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ------------------------------------------------------------ walkers */

/* Header-only length rule (no tables): MI opcodes below 0x10 are one dword;
 * the fixed-length 3D pipeline commands (sub-type 1, opcode 0/1: e.g.
 * PIPELINE_SELECT, 3DSTATE_VF_STATISTICS) one dword; the media pipeline a
 * 16-bit length; everything else an 8-bit length; bias 2. */
static inline uint32_t header_len(uint32_t h)
{
	switch (h >> 29) {
	case 0:
		return ((h >> 23) & 0x3f) < 0x10 ? 1 : (h & 0xff) + 2;
	case 2:
		return (h & 0xff) + 2;
	case 3:
		if (((h >> 27) & 3) == 1 && ((h >> 24) & 7) < 2)
			return 1;
		if (((h >> 27) & 3) == 2)
			return (h & 0xffff) + 2;
		return (h & 0xff) + 2;
	}
	return 1;
}

static size_t walk_headers(const uint32_t *b, size_t ndw)
{
	size_t off = 0, n = 0;

	while (off < ndw) {
		uint32_t len = header_len(b[off]);

		if (len > ndw - off)
			break; /* cut short: the decoder stops there too */
		off += len;
		n++;
	}
	return n;
}

static size_t walk_decode(const struct input *in, const uint32_t *b, size_t ndw)
{
	size_t off = 0, n = 0;
	struct scan_cmd c;

	while (off < ndw) {
		if (scan_decode(in->gen, in->engine, b + off, ndw - off, &c) == SCAN_CMD_TRUNCATED)
			break;
		off += c.dwords;
		n++;
	}
	return n;
}

static size_t walk_operands(const struct input *in, const uint32_t *b, size_t ndw)
{
	struct scan_operand ops[128];
	size_t off = 0, n = 0;
	uint64_t acc = 0;
	struct scan_cmd c;

	while (off < ndw) {
		unsigned k;

		if (scan_decode(in->gen, in->engine, b + off, ndw - off, &c) == SCAN_CMD_TRUNCATED)
			break;
		k = scan_cmd_operands(&c, ops, 128);
		for (unsigned i = 0; i < k && i < 128; i++)
			acc += ops[i].value;
		off += c.dwords;
		n++;
	}
	sink += acc;
	return n;
}

enum which { W_MEMCPY, W_HEADERS, W_DECODE, W_OPERANDS };

/* One pass over every batch of the input; returns commands seen. */
static size_t pass(const struct input *in, enum which w, uint8_t *scratch)
{
	size_t n = 0;

	for (unsigned i = 0; i < in->n; i++) {
		switch (w) {
		case W_MEMCPY:
			memcpy(scratch, in->batches[i], in->ndw[i] * 4);
			sink += scratch[in->ndw[i] * 2];
			break;
		case W_HEADERS:
			n += walk_headers(in->batches[i], in->ndw[i]);
			break;
		case W_DECODE:
			n += walk_decode(in, in->batches[i], in->ndw[i]);
			break;
		case W_OPERANDS:
			n += walk_operands(in, in->batches[i], in->ndw[i]);
			break;
		}
	}
	return n;
}

/* Best time of one pass, in ns; *cmds = commands per pass. */
static double measure(const struct input *in, enum which w, uint8_t *scratch, size_t *cmds)
{
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;
		unsigned reps = 0;

		do {
			*cmds = pass(in, w, scratch);
			reps++;
			t = now_ns() - t0;
		} while (t < MIN_ROUND_NS);
		t /= reps;
		if (!r || t < best)
			best = t;
	}
	return best;
}

static void report(const struct input *in)
{
	size_t maxdw = 0, c_hdr, c_dec, c_ops, c_mem;
	uint8_t *scratch;
	double t_mem, t_hdr, t_dec, t_ops, base, mb = in->total_dw * 4 / 1e6;

	for (unsigned i = 0; i < in->n; i++)
		if (in->ndw[i] > maxdw)
			maxdw = in->ndw[i];
	scratch = malloc(maxdw * 4 + 4);
	if (!scratch) {
		fprintf(stderr, "bench_decode: out of memory\n");
		return;
	}
	t_mem = measure(in, W_MEMCPY, scratch, &c_mem);
	t_hdr = measure(in, W_HEADERS, scratch, &c_hdr);
	t_dec = measure(in, W_DECODE, scratch, &c_dec);
	t_ops = measure(in, W_OPERANDS, scratch, &c_ops);
	free(scratch);
	base = t_mem + t_hdr;

	printf("%s: %u batch(es), %.3f MB, %zu commands (gen%d %s)\n", in->name, in->n, mb, c_dec,
	       (int)in->gen, scan_engine_name(in->engine));
	if (c_hdr != c_dec)
		printf("  note: the header-only walk saw %zu commands, the decoder %zu\n", c_hdr, c_dec);
	printf("  %-28s %9.1f us  %8.0f MB/s\n", "memcpy", t_mem / 1e3, mb / (t_mem / 1e9));
	printf("  %-28s %9.1f us  %8.0f MB/s  %6.1f Mcmd/s\n", "header-only walk", t_hdr / 1e3,
	       mb / (t_hdr / 1e9), c_hdr / (t_hdr / 1e3));
	printf("  %-28s %9.1f us  %8.0f MB/s  %6.1f Mcmd/s\n", "baseline (memcpy + walk)", base / 1e3,
	       mb / (base / 1e9), c_hdr / (base / 1e3));
	printf("  %-28s %9.1f us  %8.0f MB/s  %6.1f Mcmd/s  ratio %.2fx baseline, %.2fx walk\n",
	       "scan_decode", t_dec / 1e3, mb / (t_dec / 1e9), c_dec / (t_dec / 1e3), t_dec / base,
	       t_dec / t_hdr);
	printf("  %-28s %9.1f us  %8.0f MB/s  %6.1f Mcmd/s  ratio %.2fx baseline\n",
	       "scan_decode + operands", t_ops / 1e3, mb / (t_ops / 1e9), c_ops / (t_ops / 1e3),
	       t_ops / base);
}

/* ----------------------------------------------------- synthetic batch */

#define GFX(st, op, sub, len) ((3u << 29) | ((uint32_t)(st) << 27) | ((uint32_t)(op) << 24) | \
			       ((uint32_t)(sub) << 16) | ((uint32_t)(len) - 2))

struct builder {
	uint32_t *b;
	size_t n, cap;
};

static void put(struct builder *bd, const uint32_t *dw, size_t n)
{
	if (bd->n + n > bd->cap)
		return;
	memcpy(bd->b + bd->n, dw, n * 4);
	bd->n += n;
}

static uint32_t *synthetic_batch(size_t bytes, size_t *ndw)
{
	struct builder bd = { .cap = bytes / 4 };
	const uint32_t preamble[] = {
		GFX(3, 2, 0, 6), (1u << 20) | (1u << 12) | 1, 0, 0, 0, 0,  /* PIPE_CONTROL */
		GFX(1, 1, 4, 2) & ~0xffu, /* PIPELINE_SELECT 3D (fixed, 1 dword) */
		(0x22u << 23) | 1, 0x7034, 0x60000060,                     /* LRI L3CNTLREG */
		GFX(0, 1, 1, 19), 0x41, 0, 0x40000, 0x41, 1, 0x41, 2, 0x41, 0, 0x41, 0,
		0xfffff001, 0xfffff001, 0xfffff001, 0xfffff001, 0x41, 1, 0x1001,
	};
	uint32_t draw[64];
	unsigned k = 0, d = 0;

	bd.b = calloc(bd.cap, 4);
	if (!bd.b)
		return NULL;
	put(&bd, preamble, sizeof(preamble) / 4);
	while (bd.n + 80 < bd.cap) {
		k = 0;
		draw[k++] = GFX(3, 0, 0x2a, 2), draw[k++] = 0x40 + 0x40 * (d & 15); /* BT pointers PS */
		draw[k++] = GFX(3, 0, 0x2f, 2), draw[k++] = 0x200;                 /* samplers PS */
		draw[k++] = GFX(3, 0, 0x24, 2), draw[k++] = 0x101;                 /* blend */
		draw[k++] = GFX(3, 0, 0x15, 11);                                   /* CONSTANT_VS */
		draw[k++] = 1, draw[k++] = 0, draw[k++] = 0x1000u * d, draw[k++] = 6;
		for (int i = 0; i < 6; i++)
			draw[k++] = 0;
		draw[k++] = GFX(3, 0, 0x08, 9);                                    /* VERTEX_BUFFERS x2 */
		for (uint32_t v = 0; v < 2; v++) {
			draw[k++] = (v << 26) | (1u << 14) | 16;
			draw[k++] = 0x10000u * d + 0x100 * v, draw[k++] = 4, draw[k++] = 256;
		}
		draw[k++] = GFX(3, 0, 0x4b, 2), draw[k++] = 4;                     /* VF_TOPOLOGY */
		draw[k++] = GFX(3, 3, 0, 7), draw[k++] = 0x104, draw[k++] = 6;     /* 3DPRIMITIVE */
		draw[k++] = 0, draw[k++] = 1, draw[k++] = 0, draw[k++] = 0;
		if (d % 8 == 7) {                                                  /* flush */
			draw[k++] = GFX(3, 2, 0, 6), draw[k++] = (1u << 20) | (1u << 14) | (1u << 12);
			draw[k++] = 0xfff00000, draw[k++] = 0, draw[k++] = d, draw[k++] = 0;
		}
		if (d % 32 == 31)                                                  /* LRI x2 */
			draw[k++] = (0x22u << 23) | 3, draw[k++] = 0x2580, draw[k++] = 0x04000400,
			draw[k++] = 0x7004, draw[k++] = 0x40004000;
		put(&bd, draw, k);
		d++;
	}
	bd.b[bd.n++] = 0x0a << 23; /* MI_BATCH_BUFFER_END */
	if (bd.n & 1)
		bd.b[bd.n++] = 0;
	*ndw = bd.n;
	return bd.b;
}

/* ------------------------------------------------------ captured input */

static int load_longbatch(struct input *in)
{
	const char *shared = getenv("VGT_SHARED");
	char dir[4096], err[512];
	struct corpus_capture *cap;
	unsigned n;

	snprintf(dir, sizeof(dir), "%s/reference/captures/gen9-longbatch",
		 shared && *shared ? shared : "../shared");
	if (corpus_capture_open(dir, &cap, err, sizeof(err))) {
		printf("(captured batches skipped: %s)\n", err);
		return -1;
	}
	n = corpus_capture_count(cap);
	in->batches = calloc(n, sizeof(*in->batches));
	in->ndw = calloc(n, sizeof(*in->ndw));
	if (!in->batches || !in->ndw) {
		corpus_capture_close(cap);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct corpus_record *rec;
		struct corpus_batch b;
		const struct corpus_object *o;

		if (corpus_record_load(cap, i, &rec, err, sizeof(err))) {
			printf("(captured batch %u skipped: %s)\n", i, err);
			continue;
		}
		corpus_record_batch(rec, &b);
		o = corpus_record_object(rec, b.object);
		if (o && b.start_offset + b.bytes <= o->size && b.bytes >= 4) {
			size_t ndw = b.bytes / 4;
			uint32_t *dw = malloc(ndw * 4);

			if (dw) {
				memcpy(dw, o->data + b.start_offset, ndw * 4);
				in->batches[in->n] = dw;
				in->ndw[in->n++] = ndw;
				in->total_dw += ndw;
				in->gen = corpus_record_gen(rec);
				in->engine = corpus_record_engine(rec);
			}
		}
		corpus_record_free(rec);
	}
	corpus_capture_close(cap);
	return in->n ? 0 : -1;
}

int main(void)
{
	size_t ndw = 0;
	uint32_t *syn = synthetic_batch(1u << 20, &ndw);
	struct input s = { .name = "synthetic Mesa-like batch", .gen = SCAN_GEN9, .engine = SCAN_RCS,
			   .batches = &syn, .ndw = &ndw, .n = 1, .total_dw = ndw };
	struct input cap = { .name = "captured gen9-longbatch (iris, 64 KiB batches)" };

	if (!syn) {
		fprintf(stderr, "bench_decode: out of memory\n");
		return 1;
	}
	report(&s);
	if (!load_longbatch(&cap)) {
		report(&cap);
		for (unsigned i = 0; i < cap.n; i++)
			free(cap.batches[i]);
	}
	free(cap.batches);
	free(cap.ndw);
	free(syn);
	return 0;
}
