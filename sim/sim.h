/* SPDX-License-Identifier: MIT */
/*
 * sim — the simulation behind `vgt sim` (docs/SIM.md): one mediator, N
 * vGPUs on it, one guest-driver model (guest/) per vGPU, the counters
 * segment for `vgt top`, and the end-of-run report.
 *
 * The simulation is the hypervisor: it creates the VMs (vGPU plus guest
 * driver with the VM's memory size), forwards the mediator's events to
 * the guests' interrupt lines, reboots a VM whose vGPU went into failsafe,
 * keeps the virtual clock moving while the guests work, and at the end
 * checks every guest's results, every attack's rejection, the isolation
 * monitor, and the mediator's counters against the guests' own.
 *
 * Two ways to run: one thread per guest with the mediator's engine
 * threads (default), or --deterministic: every guest driven from the
 * caller's thread in a fixed round-robin order against a
 * MED_DISPATCH_MANUAL mediator, so the same options give the same event
 * stream.
 *
 * Conventions (all of vgt): 0 or a negative errno; options structs start
 * with their own size (fields past `sz` read as zero, zero means
 * "default"); errors that need words go to the caller's errbuf.
 */
#ifndef VGT_SIM_H
#define VGT_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest/guest.h"
#include "mediator/mediator.h"
#include "sim/sim_shm.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

/* Guest memory each VM gets (and its vGPU is created with). */
#define SIM_MEM_SIZE_DEFAULT (512ull << 20)
/* Virtual time a guest trap costs in a deterministic run (see trap_ns). */
#define SIM_TRAP_NS_DEFAULT 1000u

struct sim_opts {
	size_t sz;                  /* sizeof(struct sim_opts) */
	unsigned vgpus;             /* 1..MED_MAX_VGPUS; 0: 4 */
	enum med_vgpu_type type;    /* 0: MED_VGPU_TYPE_8 */
	const char *profiles;       /* "3d,blit,..." assigned round-robin; NULL: "3d,blit,media,hostile" */
	uint64_t submissions;       /* workloads per vGPU (when duration is 0); 0: 200 */
	double duration;            /* wall-clock seconds instead of a count */
	uint64_t seed;
	enum scan_policy policy;    /* 0: strict */
	unsigned gen;               /* 8 or 9; 0: 9 */
	const char *shm_name;       /* NULL: "/vgt-sim-<pid>"; "": no segment */
	volatile sig_atomic_t *stop;/* optional: set non-zero to stop (SIGINT) */
	bool contain_escapes;       /* suppress escaping accesses in the GPU model */
	unsigned progress_ms;       /* shm publish period; 0: 100 */
	char *errbuf;
	size_t errbuf_len;
	/* Deterministic dispatch: MED_DISPATCH_MANUAL, every guest driven from
	 * the calling thread in vGPU order, one workload each per round; the
	 * virtual clock advances by the engines' cycles and by trap_ns per
	 * guest trap, never by real time. */
	bool deterministic;
	uint32_t trap_ns;           /* deterministic: virtual ns per guest trap; 0: SIM_TRAP_NS_DEFAULT */
	uint64_t mem_size;          /* guest memory per VM; 0: SIM_MEM_SIZE_DEFAULT */
	/* Optional extra subscriber (a recorder), attached through med_opts
	 * before the first vGPU exists; event_mask 0: every type.  Same rules
	 * as any subscriber (mediator.h): it must not call back into med_*. */
	med_event_fn event;
	void *event_ctx;
	uint64_t event_mask;
};

/* Scan-time percentiles come from a log histogram with 8 buckets per
 * power of two (values are bucket upper bounds, within 12.5%). */
struct sim_vgpu {
	unsigned id;                /* mediator vGPU id */
	enum guest_profile profile;
	char profile_name[64];      /* as given ("capture:DIR" shortened) */
	struct med_counters med;    /* the mediator's counters at the end */
	struct guest_drv_stats drv; /* the guest's own counts */
	uint64_t work;              /* workloads run */
	uint64_t legal, legal_ok;   /* legal workloads, and those that passed every check */
	uint64_t attacks, attacks_ok; /* attacks, and those rejected with the expected reason */
	uint64_t reboots;           /* VM reboots after failsafe */
	uint64_t escapes;           /* isolation monitor reports against this vGPU */
	uint64_t escapes_hw_refused;/* ... of which sim_escape_hw_refused() holds */
	uint64_t escape_workloads;  /* workloads during which the monitor reported escapes */
	uint64_t scans, scan_p50_ns, scan_p99_ns;
	/* Engine time / elapsed virtual time, per engine (enum scan_engine),
	 * in percent; busy_engine is the engine with the most time. */
	double busy_pct[MED_NUM_ENGINES];
	enum scan_engine busy_engine;
	bool consistent;            /* mediator counters agree with the guest's */
	bool ok;                    /* self-checks passed, attacks rejected as expected */
	char first_failure[256];
};

struct sim_result {
	unsigned nvgpus;
	struct sim_vgpu v[MED_MAX_VGPUS];
	unsigned gen;
	enum scan_policy policy;
	enum med_vgpu_type type;
	uint64_t seed;
	bool deterministic;
	double wall_s;              /* real seconds the guests ran */
	uint64_t virtual_ns;        /* the mediator's clock at the end */
	uint32_t cycles_per_us;     /* engine cycles per virtual microsecond */
	double busy_pct[MED_NUM_ENGINES]; /* all vGPUs together, per engine */
	uint64_t escapes;           /* all isolation-monitor reports */
	uint64_t escapes_hw_refused;/* ... from privileged work in non-privileged batches */
	uint64_t escape_workloads;  /* workloads with escapes */
	bool interrupted;           /* stopped through opts.stop */
	bool ok;                    /* every vGPU ok and consistent, no escape */
	char shm_name[64];          /* "" when none was published */
};

/* Creates the mediator and the vGPUs, runs the guests to the end (count,
 * duration or stop), waits for the engines, collects the counters.  0 when
 * the simulation ran (its verdict is result->ok), or -EINVAL (bad options:
 * errbuf says which), -ENOSPC (the vGPUs do not fit: errbuf says how many
 * of the type the host holds), -EEXIST/-EBUSY (the segment name is taken:
 * errbuf names the process holding it), -ENOMEM, or a setup error. */
int sim_run(const struct sim_opts *opts, struct sim_result **out);
void sim_result_free(struct sim_result *r);
/* The per-vGPU table (text) and the same as one JSON object.  0 or -EIO. */
int sim_report(const struct sim_result *r, FILE *f);
int sim_report_json(const struct sim_result *r, FILE *f);

/* How many vGPUs of `type` one host holds on a generation (8 or 9): the
 * mediator's answer, found by creating them on a scratch mediator until it
 * refuses.  0 or a negative errno. */
int sim_vgpu_capacity(unsigned gen, enum med_vgpu_type type, unsigned *out);

/* Whether an isolation-monitor escape (a MED_EV_ESCAPE event) comes from a
 * privileged access — a register write, a GGTT access, a GGTT entry
 * update — made by a command fetched from a PPGTT (non-privileged) batch:
 * one that real Gen8/9 hardware's privilege check on non-privileged
 * batches would have refused, which the GPU model does not model.  Any
 * other escape (from the ring or a GGTT batch, or through the PPGTT) is
 * genuine. */
bool sim_escape_hw_refused(const struct med_event *ev);

/* Reader side of the counters segment (`vgt top`, tests): opens it by name
 * and copies a consistent snapshot.  -ENOENT (no such segment), -EPROTO
 * (not a vgt-sim segment or another layout version), -EAGAIN (the writer
 * kept it busy). */
int sim_shm_read(const char *name, struct sim_shm *out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_SIM_H */
