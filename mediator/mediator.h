/* SPDX-License-Identifier: MIT */
/*
 * mediator — the vGPU mediator: vGPU lifecycle, the trap interface a
 * hypervisor forwards (MMIO, PCI config, GGTT, write-protected page-table
 * pages), execlist submission, the workload pipeline (context image ->
 * PPGTT shadow -> scan and shadow -> GPU model), the time-slice scheduler,
 * events and counters.  docs/MEDIATOR.md describes registers, the context
 * layout, failsafe, the scheduler, the event record and the counters.
 *
 * Conventions (all of vgt): functions that can fail return 0 or a negative
 * errno; objects are opaque; options structs start with their own size
 * (fields past `sz` read as zero, zero means "default").
 *
 * Threads.  Every trap entry point may be called concurrently for
 * different vGPUs (one thread per guest); calls for one vGPU are
 * serialised by that vGPU's lock.  With MED_DISPATCH_THREADS (the default)
 * each engine has its own thread that executes workloads on the GPU model;
 * with MED_DISPATCH_MANUAL nothing runs until the caller calls med_run(),
 * which executes and completes workloads in virtual-time order on the
 * caller's thread (deterministic: same calls, same results, same events).
 * A vGPU handle must not be used during or after med_vgpu_destroy().
 */
#ifndef VGT_MEDIATOR_H
#define VGT_MEDIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/scanner.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

struct gpu;         /* gpu/gpu.h */
struct shadow;      /* shadow/shadow.h */
struct shadow_vgpu; /* shadow/shadow.h */

/* ------------------------------------------------------------ constants */

#define MED_BAR0_SIZE       (16u << 20) /* BAR0: MMIO + GGTT */
#define MED_MMIO_SIZE       (2u << 20)  /* registers: [0, 2 MiB) */
#define MED_GGTT_OFFSET     (8u << 20)  /* GGTT table: [8 MiB, 16 MiB) */
#define MED_PVINFO_BASE     0x78000u    /* PVINFO page (4 KiB) */
#define MED_PVINFO_SIZE     0x1000u
#define MED_MAX_VGPUS       8
#define MED_NUM_ENGINES     SCAN_NUM_ENGINES /* indexed by enum scan_engine */
#define MED_NUM_FENCES      32          /* host fence registers */
#define MED_HOST_FENCES     4           /* kept by the host */
#define MED_FENCES_PER_VGPU 4
#define MED_FENCE_BASE      0x100000u   /* fence n: 0x100000 + 8n, 64 bits */
#define MED_CSB_ENTRIES     6           /* context status buffer entries, Gen8/9 */
#define MED_CFG_SIZE        0x1000u     /* PCIe extended config space */

/* PCI identity of the virtual device. */
#define MED_PCI_VENDOR      0x8086u
#define MED_PCI_DEVICE_GEN9 0x1912u     /* Skylake GT2 */
#define MED_PCI_DEVICE_GEN8 0x1616u     /* Broadwell GT2 */
#define MED_PCI_CLASS       0x030000u   /* VGA-compatible display controller */

/* ----------------------------------------------------------- the device */

struct med;      /* one per physical GPU */
struct med_vgpu; /* one per guest */
struct med_event;

/* An event subscriber (see "events" below for when it is called and which
 * locks are held).  It must not call back into med_* (med_clock(),
 * med_counters_vgpu(), med_counters_engine() and med_subscribed() excepted)
 * and must copy anything it keeps: the record, its text and the bytes its
 * blobs point at are valid only during the call. */
typedef void (*med_event_fn)(void *ctx, const struct med_event *ev);

enum med_dispatch {
	MED_DISPATCH_THREADS = 0, /* one thread per engine (default) */
	MED_DISPATCH_MANUAL,      /* the caller drives execution with med_run() */
};

/* What a rejected workload does to its vGPU. */
enum med_reject_action {
	MED_ON_REJECT_FAILSAFE = 0, /* default, as GVT-g: the vGPU enters failsafe */
	MED_ON_REJECT_DROP,         /* only the submission is dropped */
};

struct med_opts {
	size_t sz;                 /* sizeof(struct med_opts) */
	unsigned gen;              /* 8 or 9; 0: 9 */
	enum scan_policy policy;   /* default policy for new vGPUs (0: strict) */
	/* The GPU model and shadow engine to use.  NULL: created and owned by
	 * the mediator (the shadow engine then allocates host memory from the
	 * GPU model, tagging each page with its owner, and the GPU model's
	 * escapes become MED_EV_ESCAPE events).  Given: owned by the caller,
	 * who must have backed the shadow engine with the GPU model's memory;
	 * a given shadow engine requires a given GPU model. */
	struct gpu *gpu;
	struct shadow *shadow;
	enum med_dispatch dispatch;
	enum med_reject_action on_reject;
	/* Optional first subscriber, attached before anything happens (so it
	 * sees MED_EV_CONFIG and every vGPU from its creation); event_mask 0
	 * means every type.  More subscribe with med_subscribe(). */
	med_event_fn event;
	void *event_ctx;
	/* Scheduler (virtual time, nanoseconds).  0: the GVT-g values. */
	uint64_t tick_ns;          /* scheduling pass period; 1 ms */
	uint64_t balance_ns;       /* time-slice balance period; 100 ms */
	uint64_t priority_ns;      /* head start of a new vGPU; 2 s */
	bool no_priority;          /* no head start at all */
	uint32_t cycles_per_us;    /* engine cycles per virtual microsecond; 1000 */
	uint64_t exec_budget;      /* GPU model steps per workload; 0: model default */
	bool contain_escapes;      /* created GPU model: suppress escaping accesses */
	uint32_t max_queued;       /* workloads queued per vGPU and engine; 0: 8 */
	char *errbuf;              /* optional: why creation failed */
	size_t errbuf_len;
	uint64_t event_mask;       /* types `event` receives (MED_EV_BIT); 0: all */
	/* The scheduler's watchdog (docs/MEDIATOR.md, Scheduler): a workload
	 * that has had this much engine time (virtual ns) without finishing is
	 * stopped and reported hung; 0: one scheduling tick (tick_ns, 1 ms);
	 * MED_WATCHDOG_OFF: none (only exec_budget bounds a workload). */
	uint64_t watchdog_ns;
	/* Consecutive watchdog stops that put a vGPU into failsafe; 0: 3;
	 * MED_WATCHDOG_NEVER: never. */
	uint32_t watchdog_strikes;
};
#define MED_WATCHDOG_OFF   UINT64_MAX
#define MED_WATCHDOG_NEVER UINT32_MAX

/* -EINVAL (bad options: errbuf says which), -ENOMEM, or the GPU model's /
 * shadow engine's creation error. */
int med_new(const struct med_opts *opts, struct med **out);
/* Stops the engine threads, destroys every remaining vGPU, then what the
 * mediator owns. */
void med_free(struct med *m);

struct gpu *med_gpu(struct med *m);
struct shadow *med_shadow(struct med *m);
unsigned med_gen(const struct med *m);

/* ------------------------------------------------------------ the vGPUs */

/* The four standard types (GVTg_V5_x on Gen9, GVTg_V4_x on Gen8):
 * aperture / hidden window 64/384, 128/512, 256/1024, 512/2048 MiB and
 * default weights 2, 4, 8, 16 (16 / instances). */
enum med_vgpu_type {
	MED_VGPU_TYPE_8 = 1,
	MED_VGPU_TYPE_4,
	MED_VGPU_TYPE_2,
	MED_VGPU_TYPE_1,
};
const char *med_vgpu_type_name(enum med_vgpu_type t); /* "8", "4", "2", "1" */
int med_vgpu_type_parse(const char *s, enum med_vgpu_type *out);

struct med_vgpu_opts {
	size_t sz;                 /* sizeof(struct med_vgpu_opts) */
	enum med_vgpu_type type;   /* 0: MED_VGPU_TYPE_8 */
	unsigned weight;           /* 1..16; 0: the type's default */
	bool has_policy;           /* use `policy` instead of the mediator's */
	enum scan_policy policy;
	uint64_t mem_size;         /* guest memory bytes; 0: shadow engine default */
	char *errbuf;              /* optional: why creation failed */
	size_t errbuf_len;
};

/* -EINVAL bad options, -ENOSPC no room for the windows or no free fences
 * (errbuf says which), -EBUSY all vGPU ids taken, -ENOMEM. */
int med_vgpu_create(struct med *m, const struct med_vgpu_opts *opts, struct med_vgpu **out);
/* Drops queued workloads, waits for running ones, frees everything. */
void med_vgpu_destroy(struct med_vgpu *v);
/* Device-model-level reset: queued workloads dropped, running ones waited
 * for, virtual registers and PCI config back to their initial values, GGTT
 * windows back to scratch, PPGTT shadows released, failsafe cleared. Guest
 * memory is kept. */
int med_vgpu_reset(struct med_vgpu *v);

unsigned med_vgpu_id(const struct med_vgpu *v); /* 1..MED_MAX_VGPUS */
/* The shadow engine's vGPU (guest memory, windows, shadow counters). */
struct shadow_vgpu *med_vgpu_shadow(struct med_vgpu *v);

enum med_failsafe {
	MED_FAILSAFE_NONE = 0,
	MED_FAILSAFE_UNSUPPORTED_GUEST, /* not GVT-aware, or privilege-check disable */
	MED_FAILSAFE_INSUFFICIENT_RESOURCE,
	MED_FAILSAFE_GUEST_ERR,         /* a workload was rejected */
};
const char *med_failsafe_name(enum med_failsafe f); /* "none", "unsupported-guest", ... */

struct med_vgpu_info {
	size_t sz;
	unsigned id;
	enum med_vgpu_type type;
	unsigned weight;
	enum scan_policy policy;
	uint64_t aperture_base, aperture_size;
	uint64_t hidden_base, hidden_size;
	unsigned fences[MED_FENCES_PER_VGPU]; /* host fence numbers */
	enum med_failsafe failsafe;
	bool pvinfo_read;          /* the guest has read PVINFO (GVT-aware) */
};
void med_vgpu_info(struct med_vgpu *v, struct med_vgpu_info *out);

/* The last refused access or rejected workload, as one line naming the
 * input and what is wrong; "" when there was none.  Returns the length
 * snprintf would have written. */
int med_vgpu_last_error(struct med_vgpu *v, char *buf, size_t len);

/* --------------------------------------------------------- trap interface */

/*
 * MMIO access of 1, 2, 4 or 8 bytes at a BAR0 offset, naturally aligned.
 * [0, 2 MiB) are registers, [8 MiB, 16 MiB) the GGTT (4 or 8 bytes only,
 * writes handed to the shadow engine); [2 MiB, 8 MiB) is a hole.  Refused
 * with a reason (med_vgpu_last_error): -ERANGE outside BAR0 or in the hole,
 * -EINVAL bad size or alignment (and sub-dword writes to registers with side
 * effects).  An 8-byte register access is two dword accesses, low first.
 */
int med_mmio_read(struct med_vgpu *v, uint64_t offset, unsigned bytes, uint64_t *val);
int med_mmio_write(struct med_vgpu *v, uint64_t offset, unsigned bytes, uint64_t val);

/*
 * A batch of GGTT writes, as a hypervisor's coalesced-MMIO ring delivers
 * them: the GGTT range of BAR0 is write-posted and its reads have no side
 * effects, so the writes a guest makes in a row (binding a buffer writes
 * one entry per page) need not reach the mediator one by one.  They must
 * reach it, in order, before the next trap of any other kind for this vGPU
 * (a GGTT read, any other MMIO access, PCI config, a page-table write; an
 * ELSP write is what submits).  The result is exactly that of n
 * med_mmio_write() calls: the shadow engine's state, the GPU model's GGTT,
 * the counters (ggtt_writes += n) and one MED_EV_GGTT_WRITE per write, in
 * order, with u.mmio.batch = n and u.mmio.index = its position.  All or
 * nothing: an element that is not a 4- or 8-byte, 4-aligned write inside
 * [MED_GGTT_OFFSET, MED_BAR0_SIZE) refuses the whole batch before anything
 * is applied — -ERANGE outside the GGTT range, -EINVAL bad size or
 * alignment — with a reason naming the element (med_vgpu_last_error), one
 * mmio_refused and one MED_EV_GGTT_WRITE carrying that element, the error
 * and batch/index.  -ENODEV on a dying vGPU; -EINVAL for a NULL array or
 * more than UINT32_MAX writes.  n = 0 does nothing.
 */
struct med_ggtt_write {
	uint64_t offset;    /* BAR0 offset */
	uint64_t value;
	uint32_t bytes;     /* 4 or 8 */
	uint32_t pad;       /* ignored */
};
int med_ggtt_write_batch(struct med_vgpu *v, const struct med_ggtt_write *w, size_t n);

/* PCI configuration space, 1, 2 or 4 bytes, naturally aligned, offsets
 * below 4 KiB (-ERANGE, -EINVAL otherwise). */
int med_cfg_read(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t *val);
int med_cfg_write(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t val);

/* A guest CPU write to guest memory.  Bytes in write-protected page-table
 * pages are trapped (MED_EV_PT_WRITE, handed to the shadow engine in 4- or
 * 8-byte pieces; such a range must be 4-byte aligned there, else -EINVAL);
 * the rest is stored directly.  -EFAULT outside guest memory. */
int med_guest_write(struct med_vgpu *v, uint64_t gpa, const void *buf, size_t len);
/* A trapped write of 4 or 8 bytes to a write-protected page-table page. */
int med_pt_write(struct med_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes);
/* A guest CPU read (no event). */
int med_guest_read(struct med_vgpu *v, uint64_t gpa, void *buf, size_t len);

/* A virtual interrupt from outside the command streamers (display, PM):
 * sets `bits` in GT interrupt bank `bank` (0..3) as hardware would (latched
 * in IIR unless masked by IMR; delivered when enabled). */
int med_vgpu_trigger(struct med_vgpu *v, unsigned bank, uint32_t bits);

/* ------------------------------------------------------ clock and running */

/* Virtual time, nanoseconds since med_new(). */
uint64_t med_clock(struct med *m);
/* Host time passes (the guests think): advances the virtual clock and runs
 * the scheduler ticks it crosses.  MED_EV_CLOCK. */
int med_clock_advance(struct med *m, uint64_t ns);
/* MED_DISPATCH_MANUAL: dispatches, executes and completes workloads in
 * virtual-time order until nothing is runnable or `max` completions
 * (0: no limit).  Returns the number of completions, or -EINVAL in
 * MED_DISPATCH_THREADS mode. */
int med_run(struct med *m, uint64_t max);
/* Waits until every queue is empty and every engine idle (MANUAL mode runs
 * med_run() first).  -ETIMEDOUT after timeout_ms milliseconds of real time. */
int med_wait_idle(struct med *m, unsigned timeout_ms);

/* ------------------------------------------------------- register table */

#define MED_REG_F_RO         0x01u /* has read-only bits (ro_mask) */
#define MED_REG_F_GMADR      0x02u /* holds a graphics address */
#define MED_REG_F_MODE_MASK  0x04u /* upper 16 bits are write enables for the lower 16 */
#define MED_REG_F_CMD_ACCESS 0x08u /* GVT-g lets commands access it */
#define MED_REG_F_HANDLER    0x10u /* has side effects (a handler) */
#define MED_REG_F_ENGINE     0x20u /* one copy per engine, at engine base + offset */

struct med_reg_info {
	const char *name;   /* "RING_MODE", "GEN8_MASTER_IRQ", ... */
	uint32_t offset;    /* absolute offset of the register (dword) */
	uint32_t flags;     /* MED_REG_F_* */
	uint32_t ro_mask;   /* bits a guest write cannot change */
	int engine;         /* enum scan_engine for per-engine rows, -1 otherwise */
};
/* Looks up the tracked register covering `offset` (4-byte granular) on a
 * generation (8 or 9): 0, or -ENOENT for an untracked offset (plain
 * storage), -EINVAL for a bad generation or offset >= 2 MiB. */
int med_reg_lookup(unsigned gen, uint32_t offset, struct med_reg_info *out);

/* ------------------------------------------------------------ rejections */

/*
 * Why a workload was rejected.  Values below MED_RJ_MEDIATOR are the
 * scanner's reason codes (enum scan_reason, same numbers); the mediator's
 * own follow.  Stable: values never change.
 */
enum med_reject {
	MED_RJ_NONE = 0,
	MED_RJ_MEDIATOR = 64,
	MED_RJ_BAD_DESC = 64,     /* descriptor: not a PPGTT context, bad addressing mode */
	MED_RJ_BAD_CONTEXT,       /* context image outside the windows or unmapped */
	MED_RJ_BAD_RING,          /* ring start/size/control/head/tail invalid */
	MED_RJ_PPGTT,             /* root pointers invalid or the shadow failed */
	MED_RJ_FAILSAFE,          /* the vGPU is in failsafe */
	MED_RJ_RESOURCES,         /* queue full, no shadow space, no memory */
	MED_RJ_WA_BATCH,          /* indirect-context / per-context batch invalid */
	MED_RJ_END
};
#define MED_RJ_SLOTS 80
/* "bad-desc", ... or the scanner's name for scanner codes; NULL if none. */
const char *med_reject_name(unsigned r);

/* --------------------------------------------------------------- counters */

/* Per vGPU.  Each counter is read atomically; the snapshot as a whole is
 * not a consistent cut. */
struct med_counters {
	size_t sz;                 /* sizeof(struct med_counters), set by the caller */
	uint64_t mmio_reads, mmio_writes, mmio_refused;
	uint64_t cfg_reads, cfg_writes;
	uint64_t ggtt_reads, ggtt_writes;
	uint64_t pt_writes;        /* trapped page-table writes */
	uint64_t submissions;      /* ELSP submissions (fourth writes) */
	uint64_t workloads;        /* workloads created (one per valid element) */
	uint64_t completed;        /* workloads completed */
	uint64_t rejected;         /* workloads rejected (not executed) */
	uint64_t rejects[MED_RJ_SLOTS]; /* by reason code */
	uint64_t commands_scanned, bytes_scanned;
	uint64_t scan_ns;          /* real time spent scanning and shadowing */
	uint64_t scan_ns_max;
	uint64_t busy_cycles;      /* engine cycles, all engines */
	uint64_t busy_cycles_engine[MED_NUM_ENGINES];
	uint64_t commands_executed;
	uint64_t csb_events, irqs;
	uint64_t hangs, faults;    /* workloads that did not complete cleanly */
	uint64_t escapes;          /* isolation monitor reports */
	uint64_t sched_in;         /* times the scheduler gave it the engines */
	uint64_t failsafe_entries;
	uint64_t watchdog;         /* workloads the scheduler's watchdog stopped (also in hangs) */
};
/* Counters of vGPU `id` (kept after its destruction until the id is
 * reused).  -ENOENT for an id never used. */
int med_counters_vgpu(struct med *m, unsigned id, struct med_counters *out);

struct med_engine_counters {
	size_t sz;
	uint64_t dispatched, completed;
	uint64_t busy_cycles;
	uint64_t commands_executed;
	uint64_t hangs, faults;
};
int med_counters_engine(struct med *m, enum scan_engine e, struct med_engine_counters *out);

struct med_sched_counters {
	size_t sz;
	uint64_t switches;         /* vGPU switches (all engines) */
	uint64_t ticks, balances;
	uint64_t idle_skips;       /* clock jumps while every busy vGPU was out of slice */
	unsigned current;          /* vGPU id owning the engines, 0: none */
};
int med_counters_sched(struct med *m, struct med_sched_counters *out);

/* ----------------------------------------------------------------- events */

/*
 * The event bus.  Every input the mediator consumes and every outcome it
 * produces is one event; docs/MEDIATOR.md "Events" says exactly what each
 * carries and how a run is rebuilt from them.  Any number of subscribers
 * (up to MED_MAX_SUBSCRIBERS), each with a mask of types, come and go at run
 * time.  A type nobody subscribes to costs its emission site one relaxed
 * load and a branch: the record is never built (med_subscribed() is the
 * same test, for probes outside the mediator).
 *
 * Delivery is synchronous, on the thread that caused the event, to the
 * subscribers in slot order.  Locks held during the call:
 *  - trap events (MMIO_*, CFG_*, GGTT_WRITE, SUBMIT, WORKLOAD, SCAN, REJECT,
 *    FAILSAFE, TRIGGER, VGPU_RESET) and the completion's guest effects (CSB,
 *    IRQ, MEM_WRITE from the mediator): that vGPU's lock, which serialises
 *    its traps, so one vGPU's events arrive in the order of its traps;
 *  - scheduler events (SCHED_SWITCH, SCHED_BALANCE, SCHED_IDLE, CLOCK, RUN):
 *    the mediator's scheduler lock;
 *  - DISPATCH, COMPLETE, DIGEST, ESCAPE, PT_WRITE, MEM_WRITE from the guest,
 *    CONFIG, VGPU_CREATE, VGPU_DESTROY: no mediator lock.
 * seq and time are taken together (seq order never contradicts time
 * order), but events of different threads may reach a subscriber out of seq
 * order: sort by seq, or merge by dseq, the subscriber's own gapless
 * numbering (taken in the same critical section).  With MED_DISPATCH_MANUAL and one caller thread the
 * stream is deterministic (same calls, same events, apart from the
 * real-time field scan.scan_ns).
 */
#define MED_EVENT_VERSION   3
#define MED_MAX_SUBSCRIBERS 16
#define MED_EV_BIT(t)       (1ull << (t))
#define MED_EV_ALL          (~0ull)

enum med_event_type {
	MED_EV_NONE = 0,
	MED_EV_VGPU_CREATE,   /* payload: vgpu (its whole configuration) */
	MED_EV_VGPU_DESTROY,
	MED_EV_VGPU_RESET,
	MED_EV_MMIO_READ,     /* payload: mmio (GGTT range included); value = what the guest got */
	MED_EV_MMIO_WRITE,
	MED_EV_CFG_READ,      /* payload: cfg */
	MED_EV_CFG_WRITE,
	MED_EV_GGTT_WRITE,    /* payload: mmio; host_pte = the host entry afterwards */
	MED_EV_PT_WRITE,      /* payload: pt; a trapped write to a write-protected page-table page */
	MED_EV_SUBMIT,        /* payload: submit; the fourth ELSP write */
	MED_EV_WORKLOAD,      /* payload: workload; blob: the ring context page (the copy decided on) */
	MED_EV_SCAN,          /* payload: scan; blobs: the shadows the scanner audited */
	MED_EV_REJECT,        /* payload: reject; text: the explanation */
	MED_EV_DISPATCH,      /* payload: exec; the workload goes to the GPU model */
	MED_EV_COMPLETE,      /* payload: exec */
	MED_EV_CSB,           /* payload: csb */
	MED_EV_IRQ,           /* payload: irq; a virtual interrupt delivered */
	MED_EV_SCHED_SWITCH,  /* payload: sched */
	MED_EV_FAILSAFE,      /* payload: failsafe; text: why */
	MED_EV_ESCAPE,        /* payload: escape; the isolation monitor */
	MED_EV_CLOCK,         /* payload: clock; med_clock_advance */
	/* version 2 */
	MED_EV_CONFIG,        /* payload: config; med_new's options (also to each new subscriber) */
	MED_EV_MEM_WRITE,     /* payload: mem; blob: the bytes; a write to guest memory */
	MED_EV_TRIGGER,       /* payload: trigger; med_vgpu_trigger, delivered or not */
	MED_EV_RUN,           /* payload: run; med_run() */
	MED_EV_SCHED_BALANCE, /* payload: balance; the slices the balance pass gave */
	MED_EV_SCHED_IDLE,    /* payload: idle; the clock jumped while nothing could run */
	MED_EV_DIGEST,        /* payload: digest; a vGPU's memory and GGTT after a dispatch or completion */
	MED_EV_GPU_WRITE,     /* payload: exec; blobs: the guest pages the workload wrote (before COMPLETE) */
	MED_EV_TYPE_COUNT
};
_Static_assert(MED_EV_TYPE_COUNT < 64, "event types and MED_EV_BIT(MED_EV_TYPE_COUNT) fit a 64-bit mask");
const char *med_event_name(enum med_event_type t); /* "mmio-read", ... */
/* Parses a name back (the inverse of med_event_name); -EINVAL. */
int med_event_parse(const char *name, enum med_event_type *out);

struct med_sub;
/* Adds a subscriber for the types in `mask` (MED_EV_BIT(t) | ...;
 * MED_EV_ALL).  If the mask holds MED_EV_CONFIG it first receives, on the
 * calling thread, a CONFIG event and a VGPU_CREATE (vgpu.existing = 1) for
 * every vGPU alive.  -EINVAL (NULL fn, empty mask), -ENOSPC (all
 * MED_MAX_SUBSCRIBERS slots taken). */
int med_subscribe(struct med *m, uint64_t mask, med_event_fn fn, void *ctx, struct med_sub **out);
/* Removes it; when this returns no call to it is in progress or will
 * start.  Must not be called from a subscriber. */
void med_unsubscribe(struct med *m, struct med_sub *s);
/* Whether anyone subscribes to the type now. */
bool med_subscribed(const struct med *m, enum med_event_type t);

enum med_blob_kind {
	MED_BLOB_CONTEXT = 1, /* ring context page of a context image (addr: GGTT) */
	MED_BLOB_GUEST_PAGE,  /* (version 1: a guest page the scanner read; no longer emitted) */
	MED_BLOB_SHADOW,      /* a shadow the scanner audited: the bytes the GPU executes */
	MED_BLOB_GUEST_MEM,   /* bytes of guest memory at gpa (written, or read back after a write) */
};

/* Bytes the mediator consumed or produced: a recorder stores each once,
 * keyed by hash. */
struct med_blob {
	uint8_t kind;         /* enum med_blob_kind */
	uint8_t as;           /* enum scan_as of addr; MED_AS_GPA for guest-physical blobs */
	uint8_t pad[2];
	uint32_t len;
	uint64_t addr;        /* graphics address of data[0] (as), or the gpa (MED_AS_GPA) */
	uint64_t gpa;         /* guest-physical address of data[0]; UINT64_MAX when none */
	const void *data;
};
#define MED_AS_GPA 0xffu /* med_blob.as: addr is guest-physical */

/* Where a MED_EV_MEM_WRITE came from. */
enum med_mem_source {
	MED_MEM_GUEST = 0,    /* med_guest_write: the guest CPU (not the trapped part) */
	MED_MEM_CSB,          /* the mediator: CSB entry mirrored into the status page */
	MED_MEM_CONTEXT,      /* the mediator: ring head and timestamp written back into the context */
};

/* Which state a MED_EV_DIGEST describes. */
enum med_digest_phase {
	MED_DIGEST_DISPATCH = 0, /* before the GPU model runs the workload */
	MED_DIGEST_COMPLETE,     /* after its completion was applied to the guest */
};

/* med_event.flags */
#define MED_EVF_BLOBS_DROPPED 0x1u /* some blobs were not attached: see blobs_dropped */
#define MED_EVF_UNTRACKED     0x2u /* GPU_WRITE: nobody subscribed when the workload was
				    * dispatched, so its writes were not tracked */
#define MED_EVF_NO_DIGEST     0x4u /* DISPATCH: the digest could not be computed */

struct med_event {
	uint16_t type;        /* enum med_event_type */
	uint16_t vgpu;        /* vGPU id, 0: none */
	int8_t engine;        /* enum scan_engine, -1: none */
	uint8_t version;      /* MED_EVENT_VERSION of the emitter */
	uint16_t size;        /* sizeof(struct med_event) of the emitter */
	int32_t err;          /* 0 or the negative errno the trap returned */
	uint32_t flags;       /* MED_EVF_* */
	uint64_t seq;         /* 1, 2, ... unique per mediator, in time order */
	uint64_t time;        /* virtual clock, ns */
	union {
		uint64_t raw[12]; /* fixes the payload at 96 bytes */
		struct {      /* MMIO_* and GGTT_WRITE */
			uint64_t offset;   /* BAR0 offset */
			uint64_t value;    /* written, or read (what the guest got) */
			uint32_t bytes;
			uint32_t batch;    /* GGTT_WRITE from med_ggtt_write_batch: writes in
					    * the batch; 0: a single trap */
			uint32_t index;    /* ... and this one's position in it */
			uint32_t pad;
			uint64_t host_pte; /* GGTT_WRITE: the host GGTT entry afterwards */
			uint64_t host_pte_next; /* ... and the next one, for an 8-byte write at 4 mod 8 */
		} mmio;
		struct {      /* CFG_* */
			uint32_t offset, bytes, value;
		} cfg;
		struct {      /* PT_WRITE */
			uint64_t gpa, value;
			uint32_t bytes;
			uint32_t tables;   /* shadow tables built from that page */
			uint64_t host_pte; /* the first one's entry afterwards (0: none) */
			uint32_t stored;   /* 1: the value is in guest memory (also when a
					    * shadow could not be built: err -ENOMEM/-ENOSPC) */
		} pt;
		struct {      /* SUBMIT */
			uint64_t desc[2];  /* element 0, element 1 (0: invalid) */
		} submit;
		struct {      /* WORKLOAD */
			uint64_t id;       /* workload id, unique per mediator */
			uint64_t desc;
			uint64_t ring_start;
			uint32_t ring_size, head, tail, ring_ctl;
			uint32_t ctx_ctrl, levels;
			uint64_t pdp[4];
		} workload;
		struct {      /* SCAN */
			uint64_t id;
			uint64_t commands, bytes;
			uint64_t scan_ns;  /* real time: not part of a deterministic stream */
			uint32_t pass, first_reason, nviolations, nshadows;
			uint64_t viol_gma, viol_value; /* first violation */
			uint32_t viol_offset, policy;
			uint64_t pad2;     /* (the blobs are the audited bytes: digest them) */
			uint32_t npatches;
			uint32_t wa;       /* 1: a workaround (indirect/per-context) batch, 0: the ring */
		} scan;
		struct {      /* REJECT */
			uint64_t id;
			uint32_t reason;   /* enum med_reject */
			uint32_t failsafe; /* 1: the vGPU entered failsafe */
		} reject;
		struct {      /* DISPATCH, COMPLETE */
			uint64_t id;
			uint64_t ring_gma; /* the shadow ring executed */
			uint32_t head, tail, ring_size, status; /* status: enum gpu_status (COMPLETE) */
			uint64_t cycles, commands;
			uint32_t escapes, faults;
			uint64_t ppgtt_root; /* hpa of the root the engine walked */
			uint64_t digest;   /* DISPATCH: med_digest() over the shadows the GPU
					    * model is handed (equal to that over the ring
					    * scan's blobs); GPU_WRITE: over the pages */
			uint32_t written_pages; /* GPU_WRITE: guest pages the GPU wrote */
			uint32_t unmapped_writes; /* GPU_WRITE: written pages outside guest memory */
			uint32_t watchdog; /* COMPLETE: 1: the scheduler's watchdog stopped it
					    * (status GPU_HANG; text says after how long) */
		} exec;
		struct {      /* CSB */
			uint32_t status, ctx_id;
			uint32_t index;    /* entry written */
			uint32_t csb_ptr;  /* the status pointer register afterwards */
		} csb;
		struct {      /* IRQ */
			uint32_t master;   /* master IRQ register as the guest will read it */
			uint32_t bank;     /* bank that caused it */
			uint32_t iir;
			uint32_t msi_enabled;
			uint64_t msi_addr;
			uint32_t msi_data;
		} irq;
		struct {      /* SCHED_SWITCH */
			uint32_t from, to; /* vGPU ids, 0: none */
			uint64_t left_ns;  /* time slice left to `to` (signed, as bits) */
		} sched;
		struct {      /* SCHED_BALANCE */
			uint32_t present;  /* bit id-1: vGPU id takes part */
			uint32_t pad;
			int64_t left_ns[MED_MAX_VGPUS]; /* [id-1]: its slice after the pass */
		} balance;
		struct {      /* SCHED_IDLE */
			uint64_t from_ns, to_ns;
		} idle;
		struct {      /* FAILSAFE */
			uint32_t reason;   /* enum med_failsafe */
		} failsafe;
		struct {      /* ESCAPE: struct gpu_escape's fields */
			uint64_t seq, addr, hpa, value, cmd_gma;
			uint32_t kind, why, as, size, cmd, hpa_owner, cmd_as;
		} escape;
		struct {      /* CLOCK */
			uint64_t ns;
		} clock;
		struct {      /* VGPU_* */
			uint32_t type, weight, policy;
			uint32_t existing; /* CREATE sent to a late subscriber */
			uint64_t aperture_base, aperture_size, hidden_base, hidden_size;
			uint64_t mem_size; /* guest memory bytes */
			uint8_t fences[MED_FENCES_PER_VGPU];
			uint32_t failsafe; /* enum med_failsafe */
		} vgpu;
		struct {      /* CONFIG: struct med_opts as resolved (defaults applied) */
			uint32_t gen, policy, dispatch, on_reject;
			uint64_t tick_ns, balance_ns, priority_ns;
			uint64_t exec_budget;
			uint32_t cycles_per_us, max_queued;
			uint32_t no_priority, contain_escapes;
			uint32_t own_gpu;  /* 1: the mediator created the GPU model and shadow engine */
			uint64_t watchdog_ns; /* MED_WATCHDOG_OFF: none */
			uint32_t watchdog_strikes; /* MED_WATCHDOG_NEVER: never */
		} config;
		struct {      /* MEM_WRITE */
			uint64_t gpa;
			uint32_t len;
			uint32_t source;   /* enum med_mem_source */
		} mem;
		struct {      /* TRIGGER */
			uint32_t bank, bits;
			uint32_t iir;      /* the bank's IIR afterwards */
			uint32_t delivered;/* 1: an IRQ event followed */
		} trigger;
		struct {      /* RUN */
			uint64_t max;
			int64_t result;    /* completions, or the error */
		} run;
		struct {      /* DIGEST */
			uint64_t id;       /* the workload */
			uint32_t phase;    /* enum med_digest_phase */
			uint32_t pad;
			uint64_t mem;      /* med_digest() over guest memory: every non-zero page, by gfn */
			uint64_t mem_pages;/* non-zero pages hashed */
			uint64_t ggtt;     /* med_digest() over the virtual GGTT of both windows */
			uint64_t ggtt_entries;
		} digest;
	} u;
	const char *text;     /* optional one-line explanation, NULL when none */
	const struct med_blob *blobs;
	uint32_t nblobs;
	uint32_t blobs_dropped; /* blobs not attached (MED_EVF_BLOBS_DROPPED) */
	/* version 3: this subscriber's delivery number, 1, 2, ... in seq order
	 * with no gap, whatever types other subscribers take (seq is shared by
	 * all of them): a subscriber that merges deliveries from several
	 * threads knows exactly which one comes next.  Not part of the event:
	 * a log does not store it. */
	uint64_t dseq;
};

/*
 * The hash every digest in the events uses, so a checker computes the same
 * thing: 64-bit XXH3 (seed 0) chained over parts — digest = XXH3_64(part,
 * seed = previous digest), starting from MED_DIGEST_INIT.  A page digest
 * part is the 8-byte little-endian gfn followed by the 4096 bytes.
 */
#define MED_DIGEST_INIT 0x76677464ull /* "vgtd" */
uint64_t med_digest(uint64_t digest, const void *data, size_t len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_MEDIATOR_H */
