/* SPDX-License-Identifier: MIT */
/*
 * End-to-end simulation benchmark (issue 6).
 *
 * Part 1, scaling: `vgt sim`'s engine (guest threads, mediator engine
 * threads, GPU model) with 1, 2, 4 and 7 vGPUs running the 3d profile;
 * submissions/s and traps/s (MMIO, PCI config, GGTT and trapped page-table
 * writes), each as a ratio to the 1-vGPU run measured in the same
 * process.  Eight vGPUs cannot be created: the mediator gives each vGPU 4
 * of the 28 fence registers the host leaves (and the default GGTT layout
 * holds seven type-8 windows), so 7 is the largest count.
 *
 * Part 2, mediator CPU: one vGPU on a MED_DISPATCH_MANUAL mediator driven
 * from a single thread (the GPU model runs only between traps, through the
 * driver's kick), the same 3d workloads under `strict` (every batch
 * scanned and shadowed) and under `gvt` (PPGTT batches not scanned).
 * Mediator CPU = the time spent inside trap calls, split into scanning and
 * shadowing of command buffers (the mediator's scan_ns), the rest of the
 * submission path (context read, PPGTT shadow pin, placing shadows), GGTT
 * and page-table traps, and other register traps.  The GPU model's own
 * execution is outside every trap and excluded.  Best of several
 * alternating repetitions (the machine is shared).  Target: strict costs
 * at most 10% more mediator CPU than gvt.
 *
 * BENCH_SIM_ONLY=scale|cpu runs one part.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"
#include "mediator/mediator.h"

#define SCALE_SUBS 600   /* per vGPU */
#define CPU_WARM   30
#define CPU_SUBS   400
#define CPU_REPS   5

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ----------------------------------------------------------- scaling */

struct scale {
	unsigned n;
	double wall, subs_s, traps_s;
	bool ok;
};

static int run_scale(unsigned n, struct scale *out)
{
	char err[512] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = n, .profiles = "3d",
				    .submissions = SCALE_SUBS, .seed = 3, .shm_name = "",
				    .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *r = NULL;
	double t0 = now_s();
	int rc = sim_run(&o, &r);
	double wall = now_s() - t0;
	if (rc) {
		fprintf(stderr, "bench_sim: %u vGPUs: %s (%d)\n", n, err, rc);
		return rc;
	}
	uint64_t subs = 0, traps = 0;
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct med_counters *c = &r->v[i].med;
		subs += c->submissions;
		traps += c->mmio_reads + c->mmio_writes + c->cfg_reads + c->cfg_writes +
			 c->ggtt_writes + c->pt_writes;
	}
	/* the guests' own running time, not setup and teardown */
	out->n = n;
	out->wall = r->wall_s > 0 ? r->wall_s : wall;
	out->subs_s = (double)subs / out->wall;
	out->traps_s = (double)traps / out->wall;
	out->ok = r->ok;
	sim_result_free(r);
	return 0;
}

/* ------------------------------------------------------- mediator CPU */

struct cpu {
	double trap, submit, scan, ptggtt, mmio, gpu; /* ns per submission */
	double traps;                                  /* traps per submission */
	uint64_t cmds, bytes;                          /* scanned per submission */
};

struct kick {
	struct med *m;
	double gpu_s;
};

static void kick(void *ctx)
{
	struct kick *k = ctx;
	double t = now_s();
	med_run(k->m, 0);
	k->gpu_s += now_s() - t;
}

static int run_cpu(enum scan_policy pol, struct cpu *out)
{
	char err[512] = "";
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .policy = pol,
			       .dispatch = MED_DISPATCH_MANUAL };
	struct med *m = NULL;
	if (med_new(&mo, &m))
		return -1;
	struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = MED_VGPU_TYPE_8 };
	struct med_vgpu *v = NULL;
	struct kick k = { .m = m };
	struct guest_drv_opts dopt = { .sz = sizeof(dopt), .gen = 9, .kick = kick, .kick_ctx = &k,
				       .errbuf = err, .errbuf_len = sizeof(err) };
	struct guest_gen_opts go = { .sz = sizeof(go), .gen = SCAN_GEN9,
				     .profile = GUEST_PROFILE_3D, .seed = 11 };
	struct guest_drv *d = NULL;
	struct guest_gen *g = NULL;
	int rc = med_vgpu_create(m, &vo, &v);
	if (!rc) {
		dopt.vgpu = v;
		rc = guest_drv_new(&dopt, &d);
	}
	if (!rc)
		rc = guest_gen_new(&go, &g);
	struct guest_drv_stats s0 = { .sz = sizeof(s0) }, s1 = { .sz = sizeof(s1) };
	struct med_counters c0 = { .sz = sizeof(c0) }, c1 = { .sz = sizeof(c1) };
	for (unsigned i = 0; !rc && i < CPU_WARM + CPU_SUBS; i++) {
		if (i == CPU_WARM) {
			guest_drv_stats(d, &s0);
			med_counters_vgpu(m, med_vgpu_id(v), &c0);
			k.gpu_s = 0;
		}
		const struct guest_work *w;
		struct guest_run r;
		rc = guest_gen_next(g, &w);
		if (!rc)
			rc = guest_drv_run(d, w, &r);
		if (!rc && (r.outcome != GUEST_DONE || r.checks_failed)) {
			fprintf(stderr, "bench_sim: %s workload %llu: %s %s\n", scan_policy_name(pol),
				(unsigned long long)w->seq, guest_outcome_name(r.outcome), r.detail);
			rc = -1;
		}
	}
	if (!rc) {
		guest_drv_stats(d, &s1);
		med_counters_vgpu(m, med_vgpu_id(v), &c1);
		double n = CPU_SUBS;
		out->trap = (double)(s1.trap_ns - s0.trap_ns) / n;
		out->submit = (double)(s1.submit_ns - s0.submit_ns) / n;
		out->scan = (double)(c1.scan_ns - c0.scan_ns) / n;
		out->ptggtt = (double)(s1.pt_ns - s0.pt_ns + s1.ggtt_ns - s0.ggtt_ns) / n;
		out->mmio = out->trap - out->submit - out->ptggtt;
		out->gpu = k.gpu_s * 1e9 / n;
		out->traps = (double)(s1.mmio_reads - s0.mmio_reads + s1.mmio_writes - s0.mmio_writes +
				      s1.ggtt_writes - s0.ggtt_writes + s1.cfg_reads - s0.cfg_reads +
				      s1.cfg_writes - s0.cfg_writes + c1.pt_writes - c0.pt_writes) / n;
		out->cmds = (c1.commands_scanned - c0.commands_scanned) / CPU_SUBS;
		out->bytes = (c1.bytes_scanned - c0.bytes_scanned) / CPU_SUBS;
	} else if (err[0]) {
		fprintf(stderr, "bench_sim: %s\n", err);
	}
	guest_gen_free(g);
	med_free(m);
	guest_drv_free(d);
	return rc;
}

static void print_cpu(const char *name, const struct cpu *c)
{
	double t = c->trap;
	printf("  %-7s %8.1f us  scan+shadow %5.1f%%  rest of submit %5.1f%%  GGTT+PT traps %5.1f%%"
	       "  other traps %5.1f%%   (%llu cmds, %llu KiB scanned; GPU model %.1f us, excluded)\n",
	       name, t / 1e3, 100 * c->scan / t, 100 * (c->submit - c->scan) / t, 100 * c->ptggtt / t,
	       100 * c->mmio / t, (unsigned long long)c->cmds, (unsigned long long)(c->bytes >> 10),
	       c->gpu / 1e3);
}

int main(void)
{
	const char *only = getenv("BENCH_SIM_ONLY"); /* scale | cpu */
	printf("bench_sim: 3d profile, Gen9, type-8 vGPUs\n\n");
	if (only && !strcmp(only, "cpu"))
		goto cpu;
	printf("scaling (%u submissions per vGPU, guest and engine threads; ratio to 1 vGPU):\n",
	       SCALE_SUBS);
	printf("  %-6s %9s %12s %7s %12s %7s  %s\n", "vgpus", "wall s", "subm/s", "ratio", "traps/s",
	       "ratio", "self-checks");
	static const unsigned ns[] = { 1, 2, 4, 7 };
	struct scale base = { 0 }, warm;
	if (run_scale(1, &warm)) /* page faults, table builds: not the 1-vGPU figure */
		return 1;
	for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct scale s;
		if (run_scale(ns[i], &s))
			return 1;
		if (i == 0)
			base = s;
		printf("  %-6u %9.3f %12.0f %6.2fx %12.0f %6.2fx  %s\n", s.n, s.wall, s.subs_s,
		       s.subs_s / base.subs_s, s.traps_s, s.traps_s / base.traps_s, s.ok ? "ok" : "FAILED");
		if (!s.ok)
			return 1;
	}
	printf("  (8 vGPUs: not creatable, 7 is the mediator's limit: 4 fences each of the 28 the "
	       "host leaves)\n");
	if (only && !strcmp(only, "scale"))
		return 0;
cpu:
	printf("\nmediator CPU per submission, one vGPU, single thread, best of %u x %u submissions:\n",
	       CPU_REPS, CPU_SUBS);
	struct cpu best[2];
	bool have[2] = { false, false };
	const enum scan_policy pols[2] = { SCAN_POLICY_GVT, SCAN_POLICY_STRICT };
	for (unsigned rep = 0; rep < CPU_REPS; rep++) {
		for (unsigned p = 0; p < 2; p++) {
			struct cpu c;
			if (run_cpu(pols[p], &c))
				return 1;
			if (!have[p] || c.trap < best[p].trap)
				best[p] = c;
			have[p] = true;
		}
	}
	print_cpu("gvt", &best[0]);
	print_cpu("strict", &best[1]);
	double ratio = best[1].trap / best[0].trap;
	printf("  strict / gvt mediator CPU: %.3fx (%+.1f%%; target <= +10%%): %s\n", ratio,
	       100 * (ratio - 1), ratio <= 1.10 ? "met" : "NOT met");
	/* Here a trap is a function call.  A hypervisor adds a fixed cost per
	 * trap (exit, decode, return) to both policies alike: the per-trap cost
	 * at which strict's extra work falls to 10% of gvt's total. */
	double traps = (best[0].traps + best[1].traps) / 2;
	double extra = best[1].trap - 1.10 * best[0].trap;
	printf("  %.0f traps per submission; strict stays within +10%% once each trap costs the "
	       "hypervisor %.2f us more than here\n",
	       traps, extra > 0 ? extra / (0.10 * traps) / 1e3 : 0.0);
	/* What full scanning adds per command it scans, to compare with the
	 * cheapest walk that visits every command (bench_scan's baseline):
	 * no scanner can add less per command than that walk costs. */
	double dcmds = (double)best[1].cmds - (double)best[0].cmds;
	if (dcmds > 0)
		printf("  strict adds %.2f ns per extra command scanned (%.0f commands)\n",
		       (best[1].trap - best[0].trap) / dcmds, dcmds);
	double whole = (best[1].trap + best[1].gpu) / (best[0].trap + best[0].gpu);
	printf("  whole pipeline per submission (mediator + GPU model): strict / gvt %.3fx (%+.1f%%)\n",
	       whole, 100 * (whole - 1));
	return 0;
}
