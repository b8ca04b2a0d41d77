/* SPDX-License-Identifier: MIT */
/*
 * guest — the guest-driver model and the simulation that runs it.
 *
 * The one public header of guest/.  Three layers, each usable alone:
 *
 *  - workload generators (guest_gen_*): for a profile and a seed, the
 *    command buffers a real driver stack would submit — Mesa/iris-style
 *    draw and compute batches, blitter copies and fills, i965-style video
 *    decode streams, a light desktop mix, captured driver batches replayed
 *    at their recorded PPGTT addresses, and a hostile profile cycling
 *    through the auditor's attack classes.  Each legal workload says how to
 *    check its own result (a sequence number stored into a guest-owned
 *    result page, blitted bytes); each attack says which rejection reason
 *    it must get.  Needs nothing but scanner/ and corpus/ types.
 *
 *  - the guest driver (guest_drv_*): a GVT-aware guest kernel driver that
 *    talks to the mediator only through its trap interface — PCI config,
 *    PVINFO and ballooning, GGTT entries written through BAR0, 4-level
 *    PPGTT page tables in its own memory (written as guest CPU writes, so
 *    writes to shadowed tables trap), logical ring contexts, rings, the
 *    execlist submit port, the context status buffer (read from its status
 *    page) and the interrupt registers.
 *
 *  - the simulation (guest_sim_*): N vGPUs on one mediator, one guest
 *    thread each, counters published in a shared-memory segment for
 *    `vgt top` (docs/SIM.md), and the end-of-run report.
 *
 * Conventions (all of vgt): 0 or a negative errno; opaque objects; options
 * structs start with their own size (fields past `sz` read as zero, and
 * zero means "default"); errors that need words go to the caller's errbuf.
 */
#ifndef VGT_GUEST_H
#define VGT_GUEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mediator/mediator.h"
#include "scanner/scanner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** seeded through splitmix64: the same seed gives the same
 * stream on every machine (no rand(), no global state). */
struct guest_rng {
	uint64_t s[4];
};
void guest_rng_seed(struct guest_rng *r, uint64_t seed);
uint64_t guest_rng_u64(struct guest_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint32_t guest_rng_below(struct guest_rng *r, uint32_t n);
/* Uniform in [lo, hi] (lo when hi < lo). */
uint32_t guest_rng_range(struct guest_rng *r, uint32_t lo, uint32_t hi);

/* -------------------------------------------------------------- profiles */

enum guest_profile {
	GUEST_PROFILE_3D = 0,  /* iris-style draw batches on RCS */
	GUEST_PROFILE_COMPUTE, /* iris-style GPGPU dispatch on RCS */
	GUEST_PROFILE_BLIT,    /* XY_* copies and fills on BCS */
	GUEST_PROFILE_MEDIA,   /* i965-style H.264 decode on VCS */
	GUEST_PROFILE_DESKTOP, /* composition: blits plus small draws */
	GUEST_PROFILE_HOSTILE, /* the auditor's attack classes, between legal work */
	GUEST_PROFILE_CAPTURE, /* real captured batches from a capture folder */
	GUEST_PROFILE_COUNT
};
/* "3d", "compute", "blit", "media", "desktop", "hostile", "capture". */
const char *guest_profile_name(enum guest_profile p);
/* Parses a profile name, or "capture:DIR" (then *dir points at DIR inside
 * s; NULL otherwise).  0 or -EINVAL. */
int guest_profile_parse(const char *s, enum guest_profile *out, const char **dir);

/* ------------------------------------------------------------- workloads */

#define GUEST_BO_BATCH  0x1u /* holds commands */
#define GUEST_BO_WRITE  0x2u /* the GPU writes it */
#define GUEST_BO_RESULT 0x4u /* the result page: mapped once, its contents kept */

/* One buffer object of a workload, placed in the guest's PPGTT. */
struct guest_bo {
	uint64_t gma;        /* PPGTT address (48-bit), 4 KiB aligned */
	uint64_t size;       /* bytes, a 4 KiB multiple */
	uint32_t flags;      /* GUEST_BO_* */
	const void *data;    /* initial contents: data_len bytes, zeros after */
	uint64_t data_len;   /* (data NULL: all zeros; ignored for RESULT) */
};

/* A value the GPU must have written into guest memory. */
struct guest_check {
	uint64_t gma;        /* PPGTT address */
	uint32_t len;
	const void *expect;
	const char *what;    /* "sequence number", "blit destination", ... */
};

/* Attacks on the driver's own structures: the mediator refuses the
 * workload before scanning it. */
enum guest_ctx_attack {
	GUEST_CTX_OK = 0,
	GUEST_CTX_GGTT_DESC,    /* descriptor without the PPGTT bit: bad-desc */
	GUEST_CTX_RING_OUTSIDE, /* ring start in the host's GGTT range: bad-ring */
	GUEST_CTX_OUTSIDE,      /* context image outside the windows: bad-context */
	GUEST_CTX_PDP_OUTSIDE,  /* PML4 pointer beyond guest memory: ppgtt */
};

/* One submission's worth of work. */
struct guest_work {
	uint64_t seq;               /* 1, 2, ... per generator */
	enum scan_engine engine;
	unsigned ctx;               /* the engine's context slot (0 or 1) */
	const struct guest_bo *bos;
	unsigned nbos;
	const uint32_t *ring;       /* dwords for the ring (the driver adds its breadcrumb) */
	unsigned nring;
	uint64_t batch;             /* first-level batch the ring starts (0: none) */
	const struct guest_check *checks;
	unsigned nchecks;
	/* Hostile work: the attack's name and the rejection it must get
	 * (enum med_reject: a scanner reason or a mediator one). */
	const char *attack;         /* NULL for legal work */
	uint16_t expect_reject;
	enum guest_ctx_attack ctx_attack;
	/* Shape, for statistics. */
	uint32_t batch_bytes;       /* bytes of commands in batches */
	uint32_t commands;          /* commands in batches and ring */
};

/* The PPGTT page every legal workload of a generator stores its sequence
 * number into (slot seq % 512, 8 bytes: seq | tag << 32). */
#define GUEST_RESULT_GMA 0x0000500000000000ull

struct guest_gen;

struct guest_gen_opts {
	size_t sz;                  /* sizeof(struct guest_gen_opts) */
	enum scan_gen gen;          /* 0: Gen9 */
	enum guest_profile profile;
	const char *capture_dir;    /* GUEST_PROFILE_CAPTURE */
	uint64_t seed;
	char *errbuf;               /* optional: why creation or a step failed */
	size_t errbuf_len;
};

/* -EINVAL (bad options, a capture folder of another generation), -ENOENT
 * (capture folder missing), -ENODATA (no records), -ENOMEM. */
int guest_gen_new(const struct guest_gen_opts *opts, struct guest_gen **out);
void guest_gen_free(struct guest_gen *g);
/* The next workload; valid until the next call or guest_gen_free().  0, or
 * a capture record's load error (errbuf names the file), -ENOMEM. */
int guest_gen_next(struct guest_gen *g, const struct guest_work **out);
enum guest_profile guest_gen_profile(const struct guest_gen *g);

/* The hostile profile's attack classes, in the order it cycles through
 * them (interleaved with legal work). */
unsigned guest_attack_count(void);
/* Name and expected rejection (enum med_reject) of attack i; NULL past the
 * end. */
const char *guest_attack_name(unsigned i, uint16_t *expect_reject);

/* ---------------------------------------------------------- the driver */

struct guest_drv;

#define GUEST_MEM_SIZE_DEFAULT (512ull << 20)

struct guest_drv_opts {
	size_t sz;                  /* sizeof(struct guest_drv_opts) */
	struct med_vgpu *vgpu;
	unsigned gen;               /* 8 or 9; 0: 9 */
	unsigned ring_pages;        /* per context; 0: 8 (32 KiB) */
	unsigned bo_cache_mb;       /* BOs kept mapped between workloads; 0: 64 */
	unsigned hang_ms;           /* hangcheck: real time without completion; 0: 5000 */
	/* Optional: called while the driver waits for a completion, outside
	 * any trap (with a MED_DISPATCH_MANUAL mediator: med_run() it, so one
	 * thread drives guest and GPU deterministically). */
	void (*kick)(void *ctx);
	void *kick_ctx;
	char *errbuf;
	size_t errbuf_len;
	/* The VM's RAM: what the hypervisor gave the vGPU
	 * (med_vgpu_opts.mem_size); 0: GUEST_MEM_SIZE_DEFAULT, the mediator's
	 * default.  The driver allocates frames below it. */
	uint64_t mem_size;
};

/* Binds a driver to a fresh vGPU and boots it: PCI probe, PVINFO
 * (ballooning), execlists, interrupts, status pages, the PPGTT root.
 * -EIO when the device does not answer as a GVT-g vGPU (errbuf says how),
 * -ENOMEM, or a trap's error. */
int guest_drv_new(const struct guest_drv_opts *opts, struct guest_drv **out);
/* Forgets the driver (the vGPU is left to its owner). */
void guest_drv_free(struct guest_drv *d);
/* The VM rebooted (its vGPU was reset by med_vgpu_reset()): boots again
 * through the traps, keeping its memory and page tables. */
int guest_drv_reboot(struct guest_drv *d);
/* Feed the mediator's events for this vGPU here (from the event hook):
 * context-status events and interrupts wake a waiting driver; a rejection,
 * or a completion the engine did not finish (hang, fault), fires its
 * hangcheck at once instead of after hang_ms.  Safe from any thread; calls
 * nothing in med_*. */
void guest_drv_notify(struct guest_drv *d, const struct med_event *ev);

enum guest_outcome {
	GUEST_DONE = 0,  /* completed; checks ran */
	GUEST_REJECTED,  /* the mediator refused it (hangcheck fired at once) */
	GUEST_HUNG,      /* the engine stopped short, or no completion within hang_ms */
};
const char *guest_outcome_name(enum guest_outcome o);

struct guest_run {
	enum guest_outcome outcome;
	uint16_t reject_reason;     /* GUEST_REJECTED: enum med_reject */
	unsigned checks_failed;     /* GUEST_DONE: checks (and breadcrumb) that failed */
	char detail[224];           /* the first failure, one line */
};

/* Runs one workload: maps its buffers (PPGTT, recycling the BO cache),
 * writes ring and context, submits through the ELSP, waits for the
 * context-status events, acknowledges the interrupt, checks the results.
 * On a rejection or hang it resets the engine through GDRST and skips the
 * request, as i915 does.  0 when the workload ran to an outcome (in *r),
 * or a negative errno when the driver itself failed (a trap refused). */
int guest_drv_run(struct guest_drv *d, const struct guest_work *w, struct guest_run *r);

/* The guest's own counts (compare with struct med_counters). */
struct guest_drv_stats {
	size_t sz;                  /* sizeof(struct guest_drv_stats), set by the caller */
	uint64_t submissions;       /* ELSP submissions (fourth writes) */
	uint64_t completed, rejected, hangs;
	uint64_t checks, checks_failed;
	uint64_t mmio_reads, mmio_writes; /* register traps */
	uint64_t ggtt_writes;       /* GGTT entries written through BAR0 */
	uint64_t pt_writes;         /* page-table entries written (trapped or not) */
	uint64_t cfg_reads, cfg_writes;
	uint64_t csb_events;        /* context-status events consumed */
	uint64_t irqs;              /* interrupt handler runs */
	uint64_t bo_maps, bo_unmaps, bo_hits;
	uint64_t frames_used;       /* guest frames in use now */
	uint64_t reboots, engine_resets;
	/* Real time inside trap calls: what the mediator costs the guest. */
	uint64_t trap_ns;           /* MMIO, PCI config, GGTT and page-table writes */
	uint64_t submit_ns;         /* fourth ELSP writes (the whole workload pipeline) */
	uint64_t pt_ns;             /* page-table writes */
	uint64_t ggtt_ns;           /* GGTT writes */
	uint64_t mem_ns;            /* writes to the guest's ordinary memory (not traps) */
};
void guest_drv_stats(struct guest_drv *d, struct guest_drv_stats *out);

/* ------------------------------------------------------- the simulation */

struct guest_sim_opts {
	size_t sz;                  /* sizeof(struct guest_sim_opts) */
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
};

/* Scan-time percentiles come from a log histogram with 8 buckets per
 * power of two (values are bucket upper bounds, within 12.5%). */
struct guest_sim_vgpu {
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
	uint64_t scans, scan_p50_ns, scan_p99_ns;
	double busy_pct;            /* its engine time / elapsed virtual time */
	bool consistent;            /* mediator counters agree with the guest's */
	bool ok;                    /* self-checks passed, attacks rejected as expected */
	char first_failure[256];
};

struct guest_sim_result {
	unsigned nvgpus;
	struct guest_sim_vgpu v[MED_MAX_VGPUS];
	unsigned gen;
	enum scan_policy policy;
	enum med_vgpu_type type;
	uint64_t seed;
	double wall_s;              /* real seconds the guests ran */
	uint64_t virtual_ns;        /* the mediator's clock at the end */
	uint64_t escapes;           /* all isolation-monitor reports */
	bool interrupted;           /* stopped through opts.stop */
	bool ok;                    /* every vGPU ok and consistent, no escape */
	char shm_name[64];          /* "" when none was published */
};

/* Creates the mediator and the vGPUs, runs the guests to the end (count,
 * duration or stop), waits for the engines, collects the counters.  0 when
 * the simulation ran (its verdict is result->ok), or -EINVAL (bad options:
 * errbuf says which), -ENOSPC (the vGPUs do not fit), -ENOMEM, or a setup
 * error. */
int guest_sim_run(const struct guest_sim_opts *opts, struct guest_sim_result **out);
void guest_sim_result_free(struct guest_sim_result *r);
/* The per-vGPU table (text) and the same as one JSON object.  0 or -EIO. */
int guest_sim_report(const struct guest_sim_result *r, FILE *f);
int guest_sim_report_json(const struct guest_sim_result *r, FILE *f);

/* ------------------------------------------------ shared-memory counters */

/*
 * The segment `vgt sim` publishes while it runs (POSIX shm, name
 * "/vgt-sim-<pid>" by default).  Layout version 1, little-endian, all
 * fields naturally aligned; docs/SIM.md is the reference.  A reader maps
 * it read-only and takes a consistent snapshot with the seqlock:
 * read `seq` (odd: retry), copy, read `seq` again (changed: retry).
 */
#define GUEST_SHM_MAGIC   0x314d49532d544756ull /* "VGT-SIM1" */
#define GUEST_SHM_VERSION 1u

enum guest_shm_state {
	GUEST_SHM_STARTING = 0,
	GUEST_SHM_RUNNING,
	GUEST_SHM_DONE,
};

struct guest_shm_vgpu {
	uint32_t id;
	uint32_t profile;             /* enum guest_profile */
	char profile_name[32];
	uint64_t submissions, workloads, completed, rejected;
	uint64_t rejects[MED_RJ_SLOTS];
	uint64_t commands_scanned, bytes_scanned, scan_ns;
	uint64_t busy_cycles;
	uint64_t mmio_reads, mmio_writes, ggtt_writes, pt_writes;
	uint64_t csb_events, irqs, escapes;
	uint64_t legal, legal_ok, attacks, attacks_ok, reboots;
	uint64_t scan_p50_ns, scan_p99_ns;
	uint32_t failsafe;            /* enum med_failsafe now */
	uint32_t ok;                  /* 1 while no self-check has failed */
};

struct guest_shm {
	uint64_t magic;               /* GUEST_SHM_MAGIC */
	uint32_t version;             /* GUEST_SHM_VERSION */
	uint32_t header_size;         /* offsetof(struct guest_shm, vgpu) */
	uint32_t vgpu_size;           /* sizeof(struct guest_shm_vgpu) */
	uint32_t nvgpus;
	uint32_t pid;
	uint32_t state;               /* enum guest_shm_state */
	uint32_t gen, policy;
	uint64_t seed;
	uint64_t seq;                 /* seqlock: odd while the writer updates */
	uint64_t updates;             /* snapshots published */
	uint64_t wall_ns;             /* real time since the start */
	uint64_t virtual_ns;          /* the mediator's clock */
	struct guest_shm_vgpu vgpu[MED_MAX_VGPUS];
};

/* Reader side (for `vgt top` and tests): opens a segment by name and
 * copies a consistent snapshot.  -ENOENT (no such segment), -EPROTO (not a
 * vgt-sim segment or another version), -EAGAIN (the writer kept it busy). */
int guest_shm_read(const char *name, struct guest_shm *out);

#ifdef __cplusplus
}
#endif
#endif /* VGT_GUEST_H */
