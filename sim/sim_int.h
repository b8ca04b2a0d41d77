/* SPDX-License-Identifier: MIT */
/* sim — private declarations shared by the files of sim/. */
#ifndef VGT_SIM_INT_H
#define VGT_SIM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/common.h"
#include "sim/sim.h"

/* The segment's own constants must be the mediator's. */
_Static_assert(SIM_SHM_MAX_VGPUS == MED_MAX_VGPUS, "segment vGPU records = MED_MAX_VGPUS");
_Static_assert(SIM_SHM_REJECT_SLOTS == MED_RJ_SLOTS, "segment reject slots = MED_RJ_SLOTS");
_Static_assert(SIM_SHM_ENGINES == MED_NUM_ENGINES, "segment engines = MED_NUM_ENGINES");
_Static_assert(SIM_SHM_PROFILE_CAPTURE == (int)GUEST_PROFILE_CAPTURE, "segment profile numbers");

#define SIM_CYCLES_PER_US 1000 /* 1 engine cycle = 1 virtual ns */
#define HBUCKETS 496 /* scan-time histogram: 16 exact + 8 per power of two */

/* MED_EV_ESCAPE carries struct gpu_escape's fields (docs/MEDIATOR.md);
 * the values sim/ needs, pinned to gpu/gpu.h's by tests/test_sim_escapes.c
 * (sim/ does not include the GPU model). */
#define SIM_ESC_KIND_REG_WRITE 2u  /* GPU_ESC_REG_WRITE */
#define SIM_ESC_WHY_GTT_WRITE  10u /* GPU_WHY_GTT_WRITE */
#define SIM_ESC_AS_GGTT        0u  /* GPU_AS_GGTT */
#define SIM_ESC_AS_PPGTT       1u  /* GPU_AS_PPGTT */

uint64_t simi_now_ns(void);

/* One VM: its vGPU and its guest. */
struct vg {
	struct sim *s;
	unsigned idx, id;
	enum guest_profile profile;
	char pname[64];
	const char *capture_dir;
	struct med_vgpu *v;
	struct guest_gen *gen;
	struct guest_drv *_Atomic drv;
	pthread_t thread;
	bool started;
	bool active;                /* deterministic: still has work to run */
	uint64_t traps_charged;     /* deterministic: traps already on the clock */
	char err[256];
	/* outcomes (relaxed atomics: the publisher reads them) */
	_Atomic uint64_t work, legal, legal_ok, attacks, attacks_ok, reboots;
	_Atomic uint64_t watchdog_ok; /* attacks the watchdog stopped, as expected */
	_Atomic bool failed;
	char first_failure[256];
	_Atomic uint64_t hist[HBUCKETS];
	_Atomic uint64_t escapes_hw_refused;
	_Atomic uint64_t escape_workloads; /* completions with an escape */
};

struct shm_writer {
	char name[64];
	struct sim_shm *seg;        /* mapped read-write */
};

struct sim {
	struct sim_opts o;
	struct med *m;
	struct med_sub *sub;        /* the hypervisor's own subscription */
	struct vg vg[MED_MAX_VGPUS];
	struct vg *by_id[MED_MAX_VGPUS + 1];
	unsigned n;
	uint64_t t0, deadline;
	char *profiles;             /* the profile list, split in place (capture dirs point into it) */
	_Atomic bool done;          /* everything stops */
	_Atomic bool guests_done;   /* the guests have stopped: the clock no longer follows real time */
	struct shm_writer shm;
	uint64_t updates;           /* snapshots published (one publisher at a time) */
	pthread_t host;             /* the host thread: clock and segment */
	bool host_running;
};

/* A guest records its first failure (later ones are dropped). */
void simi_fail(struct vg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* publish.c: the scan-time histogram, the segment's snapshots. */
unsigned simi_hbucket(uint64_t ns);
void simi_percentiles(const struct vg *g, uint64_t *n, uint64_t *p50, uint64_t *p99);
void simi_snapshot(struct sim *s, struct sim_shm *snap, enum sim_shm_state state);
/* Publishes one snapshot now (no-op without a segment).  Called by one
 * thread at a time: before the host thread starts, by it, after it ends. */
void simi_publish(struct sim *s, enum sim_shm_state state);

/* shm.c: the writer side.  Creates (exclusively: a stale segment whose
 * owner is dead is reclaimed first) and maps the segment, its header
 * (magic, version, sizes, pid) written at once; -errno with errbuf. */
int simi_shm_writer_open(struct shm_writer *w, const char *name, char *errbuf, size_t errlen);
/* Publishes a whole snapshot under the seqlock. */
void simi_shm_writer_publish(struct shm_writer *w, const struct sim_shm *snap);
/* Unmaps and unlinks. */
void simi_shm_writer_close(struct shm_writer *w);

#endif /* VGT_SIM_INT_H */
