/* SPDX-License-Identifier: MIT */
/*
 * GPU model throughput against baselines measured in the same run.
 *
 * Baseline for the command streamer: a 64 KiB batch of MI_NOOP (fetch,
 * decode, dispatch and nothing else).  Measured against it, per command:
 * MI_STORE_DATA_IMM as host work and as monitored vGPU work (the isolation
 * monitor's cost), LRI + MI_MATH, and the same SDI batch through a 4-level
 * PPGTT.  Baseline for the blitter: memcpy of the same bytes; measured: a
 * 1 MiB linear XY_SRC_COPY_BLT and a Y-tiled one.  Each figure is the best
 * of several timed rounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/gpu.h"

#define MIN_ROUND_NS 100000000.0
#define ROUNDS 3

static volatile uint64_t sink;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define BATCH 0x100000ull /* 64 KiB */
#define DATA  0x200000ull /* 64 KiB, vGPU 1's aperture */
#define SRC   0x400000ull /* 1 MiB */
#define DST   0x600000ull /* 1 MiB */

static int map(struct gpu *g, uint64_t gma, uint64_t bytes, gpu_owner_t owner)
{
	for (uint64_t a = gma; a < gma + bytes; a += 4096) {
		uint64_t hpa;
		if (gpu_mem_alloc_owned(g, owner, &hpa) || gpu_ggtt_set(g, a, hpa | GPU_PTE_PRESENT))
			return -1;
	}
	return 0;
}

static int put(struct gpu *g, uint64_t gma, const uint32_t *dw, size_t n)
{
	for (size_t i = 0; i < n; i += 1024) {
		uint64_t hpa;
		size_t c = n - i < 1024 ? n - i : 1024;
		if (gpu_ggtt_translate(g, gma + 4 * i, &hpa) || gpu_mem_write(g, hpa, dw + i, c * 4))
			return -1;
	}
	return 0;
}

/* ns per run of the submission, best of ROUNDS. */
static double time_exec(struct gpu *g, const struct gpu_submit *s, uint64_t *cmds)
{
	double best = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;
		unsigned n = 0;
		do {
			struct gpu_completion c = {.sz = sizeof(c)};
			if (gpu_exec(g, s, &c) || c.status != GPU_DONE) {
				fprintf(stderr, "bench_gpu: execution failed: %s\n", c.reason);
				exit(1);
			}
			*cmds = c.commands;
			n++;
			t = now_ns() - t0;
		} while (t < MIN_ROUND_NS);
		if (t / n < best)
			best = t / n;
	}
	return best;
}

static double time_memcpy(size_t bytes)
{
	uint8_t *a = malloc(bytes), *b = malloc(bytes);
	if (!a || !b)
		exit(1);
	memset(a, 1, bytes);
	double best = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;
		unsigned n = 0;
		do {
			a[n % bytes]++;
			memcpy(b, a, bytes);
			sink += b[n % bytes];
			n++;
			t = now_ns() - t0;
		} while (t < MIN_ROUND_NS);
		if (t / n < best)
			best = t / n;
	}
	free(a);
	free(b);
	return best;
}

static void set_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t v)
{
	gpu_mem_write(g, table + idx * 8ull, &v, 8);
}

int main(void)
{
	struct gpu *g;
	if (gpu_create(NULL, &g)) {
		fprintf(stderr, "bench_gpu: cannot create the model\n");
		return 1;
	}
	if (map(g, BATCH, 64 << 10, GPU_OWNER_HOST) || map(g, DATA, 64 << 10, 1) ||
	    map(g, SRC, 1 << 20, 1) || map(g, DST, 1 << 20, 1))
		return 1;
	enum { N = 16384 };
	static uint32_t b[N];
	uint64_t cmds;
	const struct gpu_range ro = {BATCH, 64 << 10, GPU_AS_GGTT};
	const struct gpu_reg_range gprs = {0x2600, 0x267c};
	struct gpu_submit host = {.sz = sizeof(host), .engine = GPU_RCS, .batch = BATCH,
				  .batch_as = GPU_AS_GGTT};
	struct gpu_submit vgpu = host;
	vgpu.vgpu = 1;
	vgpu.part = (struct gpu_partition){DATA, 64 << 10, 0, 0};
	vgpu.ro = &ro;
	vgpu.n_ro = 1;
	vgpu.regs = &gprs;
	vgpu.n_regs = 1;

	/* Baseline: MI_NOOP. */
	memset(b, 0, sizeof(b));
	b[N - 1] = 0x05000000;
	put(g, BATCH, b, N);
	double noop = time_exec(g, &host, &cmds) / (double)cmds;
	printf("gpu model: MI_NOOP               %7.1f ns/cmd  %6.1f Mcmd/s  (baseline)\n", noop,
	       1e3 / noop);

	/* MI_STORE_DATA_IMM into the vGPU's window. */
	unsigned n = 0;
	while (n + 4 < N) {
		b[n] = 0x10000002 | (1u << 22);
		b[n + 1] = (uint32_t)(DATA + (n * 4) % (64 << 10));
		b[n + 2] = 0;
		b[n + 3] = n;
		n += 4;
	}
	while (n < N)
		b[n++] = 0x05000000;
	put(g, BATCH, b, N);
	double sdi_h = time_exec(g, &host, &cmds) / (double)cmds;
	double sdi_v = time_exec(g, &vgpu, &cmds) / (double)cmds;
	printf("gpu model: SDI, host work        %7.1f ns/cmd  %6.2fx baseline\n", sdi_h, sdi_h / noop);
	printf("gpu model: SDI, monitored vGPU   %7.1f ns/cmd  %6.2fx baseline  %5.2fx host work\n",
	       sdi_v, sdi_v / noop, sdi_v / sdi_h);

	/* LRI of two GPRs + a 4-instruction MI_MATH (add). */
	n = 0;
	while (n + 10 < N) {
		const uint32_t seq[10] = {0x11000003, 0x2600, n, 0x2608, 7, 0x0d000003,
					  (0x080u << 20) | (0x20 << 10) | 0, (0x080u << 20) | (0x21 << 10) | 1,
					  0x100u << 20, (0x180u << 20) | (2 << 10) | 0x31};
		memcpy(b + n, seq, sizeof(seq));
		n += 10;
	}
	while (n < N)
		b[n++] = 0x05000000;
	put(g, BATCH, b, N);
	double math = time_exec(g, &vgpu, &cmds) / (double)cmds;
	printf("gpu model: LRI + MI_MATH, vGPU   %7.1f ns/cmd  %6.2fx baseline\n", math, math / noop);

	/* The SDI batch through a 4-level PPGTT mapping gma 0.. to the DATA pages. */
	uint64_t t[4];
	for (int i = 0; i < 4; i++)
		gpu_mem_alloc_page(g, &t[i]);
	for (int i = 0; i < 3; i++)
		set_entry(g, t[i], 0, t[i + 1] | 3);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t hpa;
		gpu_ggtt_translate(g, DATA + i * 4096ull, &hpa);
		set_entry(g, t[3], i, hpa | 3);
	}
	n = 0;
	while (n + 4 < N) {
		b[n] = 0x10000002;
		b[n + 1] = (n * 4) % (64 << 10);
		b[n + 2] = 0;
		b[n + 3] = n;
		n += 4;
	}
	while (n < N)
		b[n++] = 0x05000000;
	put(g, BATCH, b, N);
	struct gpu_submit pp = vgpu;
	pp.ppgtt = (struct gpu_ppgtt){.levels = 4, .pdp = {t[0]}};
	double sdi_p = time_exec(g, &pp, &cmds) / (double)cmds;
	printf("gpu model: SDI via PPGTT, vGPU   %7.1f ns/cmd  %6.2fx baseline  %5.2fx GGTT\n", sdi_p,
	       sdi_p / noop, sdi_p / sdi_v);

	/* Blits: 1 MiB, 32 bpp, 1024 x 256 at pitch 4096. */
	double mc = time_memcpy(1 << 20);
	printf("blitter:   memcpy 1 MiB          %7.1f us          (baseline)\n", mc / 1e3);
	struct gpu_submit bs = vgpu;
	bs.engine = GPU_BCS;
	bs.part = (struct gpu_partition){SRC, 4 << 20, 0, 0};
	for (int tiled = 0; tiled < 2; tiled++) {
		uint32_t blt[11] = {0x54f00008 | (tiled ? (1u << 11) | (1u << 15) : 0),
				    (3u << 24) | (0xccu << 16) | (tiled ? 4096 / 4 : 4096), 0,
				    (256u << 16) | 1024, (uint32_t)DST, 0, 0, tiled ? 4096 / 4 : 4096,
				    (uint32_t)SRC, 0, 0x05000000};
		put(g, BATCH, blt, 11);
		if (tiled) { /* BCS_SWCTRL: both surfaces Y-tiled */
			if (gpu_reg_write(g, GPU_BCS, 0x22200, 3))
				return 1;
		}
		double bt = time_exec(g, &bs, &cmds);
		printf("blitter:   XY_SRC_COPY_BLT %s %7.1f us  %6.2fx baseline\n",
		       tiled ? "Y-tiled" : "linear ", bt / 1e3, bt / mc);
	}
	gpu_destroy(g);
	return 0;
}
