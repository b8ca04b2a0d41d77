/* SPDX-License-Identifier: MIT */
/*
 * guest — the guest-driver model and its workload generators.
 *
 * The one public header of guest/.  Two layers, each usable alone (the
 * simulation that runs them on N vGPUs is sim/sim.h):
 *
 *  - workload generators (guest_gen_*): for a profile and a seed, the
 *    command buffers a real driver stack would submit — Mesa/iris-style
 *    draw and compute batches, blitter copies and fills, i965-style video
 *    decode streams, a light desktop mix, captured driver batches replayed
 *    at their recorded PPGTT addresses, and a hostile profile cycling
 *    through the auditor's attack classes.  Each legal workload says how to
 *    check its own result (a sequence number stored into a guest-owned
 *    result page, blitted bytes); each attack says which rejection reason
 *    it must get, or that the mediator's watchdog must stop it.  Needs
 *    nothing but scanner/ and corpus/ types.
 *
 *  - the guest driver (guest_drv_*): a GVT-aware guest kernel driver that
 *    talks to the mediator only through its trap interface — PCI config,
 *    PVINFO and ballooning, GGTT entries written through BAR0, 4-level
 *    PPGTT page tables in its own memory (written as guest CPU writes, so
 *    writes to shadowed tables trap), logical ring contexts, rings, the
 *    execlist submit port, the context status buffer (read from its status
 *    page) and the interrupt registers.
 *
 * Conventions (all of vgt): 0 or a negative errno; opaque objects; options
 * structs start with their own size (fields past `sz` read as zero, and
 * zero means "default"); errors that need words go to the caller's errbuf.
 */
#ifndef VGT_GUEST_H
#define VGT_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mediator/mediator.h"
#include "scanner/scanner.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

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

/* What the mediator must do with an attack. */
enum guest_expect {
	GUEST_EXPECT_REJECT = 0, /* refuse it with expect_reject */
	GUEST_EXPECT_WATCHDOG,   /* admit it (the auditor cannot prove it endless) and
				  * stop it with the scheduler's watchdog: a hang */
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
	enum guest_expect expect;   /* attacks: rejection (expect_reject) or watchdog */
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
 * end.  MED_RJ_NONE for an attack the watchdog must stop instead. */
const char *guest_attack_name(unsigned i, uint16_t *expect_reject);
/* What the mediator must do with attack i (GUEST_EXPECT_REJECT past the end). */
enum guest_expect guest_attack_expect(unsigned i);

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
/* Feed the mediator's events for this vGPU here (from an event subscriber):
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
	bool watchdog;              /* GUEST_HUNG: the mediator's watchdog stopped it */
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

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_GUEST_H */
