/* SPDX-License-Identifier: MIT */
/*
 * sim_shm — the layout of the counters segment `vgt sim` publishes while it
 * runs (POSIX shared memory, "/vgt-sim-<pid>" by default), for readers in
 * other processes (`vgt top`).  This header depends on nothing but
 * <stdint.h>, so a reader includes it alone; docs/SIM.md is the reference
 * (offsets, the seqlock protocol).  sim/sim.h declares sim_shm_read(), a
 * reader built on this layout.
 *
 * Layout version 2, native (little-endian) byte order, every field
 * naturally aligned, no padding.  The constants below are this layout's
 * own: sim/ checks at compile time that they match the mediator's.
 */
#ifndef VGT_SIM_SHM_H
#define VGT_SIM_SHM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_SHM_MAGIC        0x314d49532d544756ull /* "VGT-SIM1" */
#define SIM_SHM_VERSION      2u
#define SIM_SHM_MAX_VGPUS    8u   /* vgpu[] records (the mediator's MED_MAX_VGPUS) */
#define SIM_SHM_REJECT_SLOTS 80u  /* rejects[] by reason code (MED_RJ_SLOTS) */
#define SIM_SHM_ENGINES      4u   /* busy_cycles_engine[]: rcs, bcs, vcs, vecs */

enum sim_shm_state {
	SIM_SHM_STARTING = 0,
	SIM_SHM_RUNNING,
	SIM_SHM_DONE,
};

/* Profiles as numbered in sim_shm_vgpu.profile (the guest model's enum
 * guest_profile). */
enum sim_shm_profile {
	SIM_SHM_PROFILE_3D = 0,
	SIM_SHM_PROFILE_COMPUTE,
	SIM_SHM_PROFILE_BLIT,
	SIM_SHM_PROFILE_MEDIA,
	SIM_SHM_PROFILE_DESKTOP,
	SIM_SHM_PROFILE_HOSTILE,
	SIM_SHM_PROFILE_CAPTURE,
};

struct sim_shm_vgpu {
	uint32_t id;                  /* mediator vGPU id */
	uint32_t profile;             /* enum sim_shm_profile */
	char profile_name[32];        /* NUL-terminated */
	uint64_t submissions, workloads, completed, rejected;
	uint64_t rejects[SIM_SHM_REJECT_SLOTS]; /* by reason code */
	uint64_t commands_scanned, bytes_scanned, scan_ns;
	uint64_t busy_cycles;         /* all engines */
	uint64_t mmio_reads, mmio_writes, ggtt_writes, pt_writes;
	uint64_t csb_events, irqs, escapes;
	uint64_t legal, legal_ok, attacks, attacks_ok, reboots;
	uint64_t scan_p50_ns, scan_p99_ns;
	uint32_t failsafe;            /* enum med_failsafe now */
	uint32_t ok;                  /* 1 while no self-check has failed */
	/* version 2 */
	uint64_t busy_cycles_engine[SIM_SHM_ENGINES];
	uint64_t escapes_hw_refused;  /* escapes a Gen8/9 privilege check would have stopped */
};

struct sim_shm {
	uint64_t magic;               /* SIM_SHM_MAGIC */
	uint32_t version;             /* SIM_SHM_VERSION */
	uint32_t header_size;         /* offset of vgpu[0] */
	uint32_t vgpu_size;           /* sizeof(struct sim_shm_vgpu) */
	uint32_t nvgpus;              /* records in use */
	uint32_t pid;                 /* the simulation's process (a dead pid: stale segment) */
	uint32_t state;               /* enum sim_shm_state */
	uint32_t gen, policy;         /* 8 or 9; 0 strict, 1 gvt, 2 audit */
	uint64_t seed;
	uint64_t seq;                 /* seqlock: odd while the writer updates */
	uint64_t updates;             /* snapshots published */
	uint64_t wall_ns;             /* real time since the start */
	uint64_t virtual_ns;          /* the mediator's clock */
	/* version 2 */
	uint32_t cycles_per_us;       /* engine cycles per virtual microsecond */
	uint32_t deterministic;       /* 1: one thread, manual dispatch (docs/SIM.md) */
	struct sim_shm_vgpu vgpu[SIM_SHM_MAX_VGPUS];
};

#ifdef __cplusplus
}
#endif
#endif /* VGT_SIM_SHM_H */
