/* SPDX-License-Identifier: MIT */
/* mediator — private declarations shared by the files of mediator/. */
#ifndef VGT_MED_INT_H
#define VGT_MED_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>

#include "common/common.h"
#include "gpu/gpu.h"
#include "mediator/mediator.h"
#include "mediator/probes.h"
#include "scanner/scanner.h"
#include "shadow/shadow.h"

#define MED_PAGE 4096u

/* ------------------------------------------------------- register table */

/* Handlers of registers with side effects. */
enum reg_handler {
	H_NONE = 0,
	H_ELSP,          /* execlist submit port */
	H_CSB_PTR,       /* context status buffer pointer */
	H_RING_MODE,     /* failsafe on privilege-check disable; execlist enable */
	H_CSFE_CHICKEN1, /* failsafe on cross-engine bits */
	H_MASTER_IRQ,    /* GEN8_MASTER_IRQ */
	H_GT_IMR,        /* GT bank: IMR */
	H_GT_IIR,        /* GT bank: IIR (write 1 to clear) */
	H_GT_IER,        /* GT bank: IER */
	H_IIR_W1C,       /* display/PCU IIR: write 1 to clear, storage otherwise */
	H_FENCE,         /* fence registers */
	H_PVINFO,        /* the PVINFO page */
	H_FORCEWAKE,     /* forcewake request: the ack mirrors it */
	H_GDRST,         /* graphics device reset */
	H_TIMESTAMP,     /* engine timestamp: the virtual clock */
	H_HWS_PGA,       /* status page address: the scanner's partition changes */
};

struct reg_row {
	const char *name;
	uint32_t offset;   /* absolute, or engine-relative with MED_REG_F_ENGINE */
	uint32_t count;    /* consecutive dwords covered (>= 1) */
	uint32_t flags;    /* MED_REG_F_* */
	uint32_t ro_mask;
	uint8_t handler;   /* enum reg_handler */
	uint8_t gens;      /* bit 0: Gen8, bit 1: Gen9 */
	uint8_t engines;   /* engine mask for engine rows (0: all) */
	uint32_t arg;      /* handler argument (forcewake ack offset, bank) */
};

/* Expanded view of one tracked dword. */
struct reg_attr {
	const struct reg_row *row;
	uint32_t base;     /* absolute offset of the row's first dword */
	int engine;        /* -1 for global rows */
};

/* Builds (once) and returns the lookup for a generation; NULL if none. */
int medi_reg_attr_get(unsigned gen, uint32_t offset, struct reg_attr *out);

/* Register offsets (engine-relative unless noted). */
#define R_RING_TAIL       0x030
#define R_RING_HEAD       0x034
#define R_RING_START      0x038
#define R_RING_CTL        0x03c
#define R_ACTHD           0x074
#define R_HWS_PGA         0x080
#define R_MI_MODE         0x09c
#define R_ELSP            0x230
#define R_EXECLIST_STATUS 0x234
#define R_RING_MODE       0x29c
#define R_TIMESTAMP       0x358
#define R_CSB             0x370
#define R_CSB_PTR         0x3a0
#define R_CTX_TIMESTAMP   0x3a8

#define R_MASTER_IRQ      0x44200u
#define R_GT_ISR(n)       (0x44300u + 0x10u * (n))
#define R_GT_IMR(n)       (0x44304u + 0x10u * (n))
#define R_GT_IIR(n)       (0x44308u + 0x10u * (n))
#define R_GT_IER(n)       (0x4430cu + 0x10u * (n))
#define R_CSFE_CHICKEN1   0x20d4u
#define R_GDRST           0x941cu
#define R_GFX_FLSH_CNTL   0x101008u

#define MASTER_IRQ_CONTROL (1u << 31)

/* Context status event bits (low dword of a CSB entry). */
#define CSB_IDLE_TO_ACTIVE (1u << 0)
#define CSB_PREEMPTED      (1u << 1)
#define CSB_ELEMENT_SWITCH (1u << 2)
#define CSB_ACTIVE_TO_IDLE (1u << 3)
#define CSB_COMPLETE       (1u << 4)
#define CSB_LITE_RESTORE   (1u << 15)

/* Engine interrupt bits (within the engine's 16 bits of its GT bank). */
#define IRQ_USER           (1u << 0)
#define IRQ_NOTIFY         (1u << 4)  /* PIPE_CONTROL / MI_FLUSH_DW notify */
#define IRQ_CTX_SWITCH     (1u << 8)

/* ------------------------------------------------------------- PVINFO */

#define PV_MAGIC           0x4776544776544776ull /* "VGTVGTVG" */
#define PV_VERSION_MAJOR   1
#define PV_VERSION_MINOR   0
#define PV_OFF_MAGIC       0x000
#define PV_OFF_VERSION     0x008 /* u16 major, u16 minor */
#define PV_OFF_VGT_ID      0x00c
#define PV_OFF_CAPS        0x010
#define PV_OFF_APER_BASE   0x040
#define PV_OFF_APER_SIZE   0x044
#define PV_OFF_HIDDEN_BASE 0x048
#define PV_OFF_HIDDEN_SIZE 0x04c
#define PV_OFF_FENCE_NUM   0x050
#define PV_GUEST_HALF      0x800 /* [0x800, 0x1000): written by the guest */
#define PV_OFF_DISPLAY_RDY 0x804
#define PV_OFF_G2V_NOTIFY  0x818
#define PV_OFF_PDP         0x838 /* 4 x {lo, hi} */
#define PV_OFF_EXECLIST_LO 0x858
#define PV_OFF_EXECLIST_HI 0x85c
#define PV_CAP_FULL_PPGTT  (1u << 2)
#define PV_CAP_HWSP_EMU    (1u << 3)
#define PV_CAP_HUGE_GTT    (1u << 4)
/* g2v_notify values */
#define G2V_PPGTT_L3_CREATE  2
#define G2V_PPGTT_L3_DESTROY 3
#define G2V_PPGTT_L4_CREATE  4
#define G2V_PPGTT_L4_DESTROY 5

/* ---------------------------------------------------- logical ring context */

/* Dword indices of values in the ring context page (LRCA + 1 page). */
#define CTX_CONTEXT_CONTROL  0x03
#define CTX_RING_HEAD        0x05
#define CTX_RING_TAIL        0x07
#define CTX_RB_START         0x09
#define CTX_RB_CTRL          0x0b
#define CTX_BB_PER_CTX_PTR   0x19
#define CTX_INDIRECT_CTX     0x1b
#define CTX_INDIRECT_CTX_OFF 0x1d
#define CTX_TIMESTAMP        0x23
#define CTX_PDP_UDW(n)       (0x31 - 4 * (n))
#define CTX_PDP_LDW(n)       (0x33 - 4 * (n))

#define RB_HEAD_OFF_MASK     0x001ffffcu
#define RB_HEAD_WRAP_SHIFT   21
#define RB_TAIL_OFF_MASK     0x001ffff8u
#define RB_CTL_SIZE_MASK     0x001ff000u
#define RB_CTL_VALID         (1u << 0)

/* ------------------------------------------------------------ workloads */

/* A range of shadow space a workload holds. */
struct shbuf {
	uint8_t as;        /* enum scan_as */
	bool ring;         /* the exec ring (not from the scanner) */
	uint64_t gma;
	uint32_t pages;
	uint64_t *hpa;     /* pages host pages (0 until materialised) */
};

struct med_workload {
	struct med_workload *next;
	struct med_vgpu *v;
	uint64_t id;
	unsigned engine;
	unsigned elem;       /* 0 or 1 in its execlist */
	bool last;           /* last element of its execlist */
	uint64_t desc;
	uint32_t ctx_id;
	uint64_t lrca;       /* gma of the context image */
	uint64_t ctx_hpa;    /* host page of the ring context page */
	/* guest ring */
	uint64_t ring_start;
	uint32_t ring_size, head, tail, head_raw, ring_ctl, ctx_ctrl;
	unsigned levels;
	uint64_t pdp[4];
	struct shadow_ppgtt *root;
	bool root_pinned;
	/* shadow space */
	struct shbuf *bufs;
	unsigned nbufs, capbufs;
	uint64_t ppgtt_next;     /* PPGTT shadow bump allocator */
	uint64_t ppgtt_base, ppgtt_limit;
	unsigned slot;           /* PML4 index (4-level) or PDP index (3-level) */
	uint64_t exec_top;       /* slot's PDP (4-level) or PD (3-level) */
	const char *alloc_why;   /* why the shadow allocator failed */
	uint32_t gen;            /* v->egen[engine] at creation */
	uint64_t *exec_pages;    /* exec-root page tables (host pages) */
	unsigned nexec_pages, capexec;
	/* execution */
	struct gpu_submit sub;
	struct gpu_range *ro;
	size_t n_ro;
	uint64_t ring_gma;       /* the shadow ring in the GGTT */
	uint32_t exec_tail;
	uint32_t ev_user, ev_notify; /* events the scanner NOOPed */
	/* set by the scheduler */
	uint64_t t_start, t_end;
	struct gpu_completion comp;
	int exec_err;
	/* events (wlevents.c): where each audited shadow went, to digest what
	 * the GPU is handed; the pages the GPU wrote, for the completion */
	struct med_shadow_ref { unsigned buf; uint32_t len; } *dig;
	unsigned ndig;
	bool dig_lost;           /* a note could not be kept: no dispatch digest */
	bool wr_tracked;         /* on_write was armed at dispatch */
	struct med_wpage { uint8_t as; uint64_t gma; } *wr;
	unsigned nwr, capwr;
	uint32_t wr_dropped;
};

/* ------------------------------------------------------------ the vGPU */

struct csb_state {
	uint32_t outstanding;  /* workloads submitted and not completed */
};

/* Host pages kept for a vGPU's shadows between workloads (pagecache.c). */
#define MED_PAGE_CACHE 128
struct med_page_cache {
	pthread_mutex_t lock;
	unsigned n;
	uint64_t hpa[MED_PAGE_CACHE];
};

struct med_vgpu {
	struct med *m;
	struct shadow_vgpu *sv;
	unsigned id;
	enum med_vgpu_type type;
	unsigned weight;
	enum scan_policy policy;
	struct shadow_windows win;
	unsigned fences[MED_FENCES_PER_VGPU];

	pthread_mutex_t lock;      /* guards everything below up to `sched` */
	uint32_t *vreg;            /* MED_MMIO_SIZE bytes */
	uint8_t cfg[MED_CFG_SIZE];
	uint32_t elsp[MED_NUM_ENGINES][4];
	unsigned elsp_n[MED_NUM_ENGINES];
	struct csb_state csb[MED_NUM_ENGINES];
	uint32_t egen[MED_NUM_ENGINES];   /* bumped by engine / vGPU resets */
	uint64_t last_lrca[MED_NUM_ENGINES]; /* last queued context (outstanding > 0) */
	uint32_t last_tail[MED_NUM_ENGINES];
	enum med_failsafe failsafe;
	bool pvinfo_read;
	_Atomic bool dying;
	struct scan_ctx *scan;
	bool scan_stale;           /* partition changed: recreate the scanner */
	uint64_t hwsp[MED_NUM_ENGINES]; /* status pages the scanner was made with */
	struct med_workload *cur_wl;    /* being scanned (shadow allocator) */
	/* PPGTT roots kept shadowed across submissions (LRU, most recent last) */
	struct shadow_ppgtt *roots[16];
	uint64_t root_key[16][4];
	unsigned root_levels[16];
	unsigned nroots;
	char last_error[256];
	struct med_page_cache pages;    /* its own lock */

	/* Scheduler state: guarded by m->lock. */
	struct {
		struct med_workload *qhead[MED_NUM_ENGINES], *qtail[MED_NUM_ENGINES];
		unsigned queued[MED_NUM_ENGINES];
		unsigned running;      /* workloads on engines */
		int64_t left_ns, alloc_ns;
		uint64_t pri_until;
		bool pri;
		struct gpu_regs *hwregs[MED_NUM_ENGINES];
		bool on_runq;
		uint32_t wd_strikes;   /* consecutive watchdog stops (watchdog.c) */
	} s;
};

/* ------------------------------------------------------------ counters */

struct ctr {
	_Atomic uint64_t v[sizeof(struct med_counters) / sizeof(uint64_t)];
};
#define CTR_IDX(field) ((offsetof(struct med_counters, field)) / sizeof(uint64_t))

struct ectr {
	_Atomic uint64_t v[sizeof(struct med_engine_counters) / sizeof(uint64_t)];
};
#define ECTR_IDX(field) ((offsetof(struct med_engine_counters, field)) / sizeof(uint64_t))

/* ------------------------------------------------------------ the device */

struct med {
	unsigned gen;
	enum scan_policy policy;
	struct gpu *gpu;
	struct shadow *sh;
	bool own_gpu, own_sh;
	bool ggtt_shared;  /* the shadow engine writes the GPU model's GGTT in place */
	enum med_dispatch dispatch;
	enum med_reject_action on_reject;
	/* The event bus (events.c).  `ev_mask` is the union of the
	 * subscribers' masks: an emission site tests it before building. */
	_Atomic uint64_t ev_mask;
	pthread_mutex_t sub_lock;     /* subscribe / unsubscribe */
	struct med_sub {
		_Atomic uint64_t mask;    /* 0: free slot */
		_Atomic unsigned busy;    /* deliveries numbered and not yet returned */
		_Atomic unsigned gen;     /* subscriptions this slot has held */
		uint64_t delivered;       /* delivery numbers taken (seq_lock) */
		med_event_fn fn;
		void *ctx;
	} subs[MED_MAX_SUBSCRIBERS];
	pthread_mutex_t seq_lock;     /* seq and time are taken together */
	uint64_t tick_ns, balance_ns, priority_ns;
	bool no_priority;
	bool contain_escapes;
	uint32_t cycles_per_us;
	uint64_t exec_budget;
	uint32_t max_queued;
	uint64_t watchdog_ns;         /* MED_WATCHDOG_OFF: none */
	uint64_t watchdog_cycles;     /* the same in engine cycles; 0: none */
	uint32_t watchdog_strikes;    /* MED_WATCHDOG_NEVER: never */
	struct shadow_layout layout;

	uint64_t seq;                 /* under seq_lock */
	_Atomic uint64_t clock;       /* virtual ns (written under lock) */
	_Atomic uint64_t next_wl_id;

	/* vGPU table and fences: guarded by `lock`. */
	pthread_mutex_t lock;
	struct med_vgpu *vgpus[MED_MAX_VGPUS + 1];
	uint32_t fences_used;         /* bit n: host fence n taken */
	bool ids_used[MED_MAX_VGPUS + 1];

	/* GGTT shadow space (host high reserve): guarded by `space_lock`. */
	pthread_mutex_t space_lock;
	uint64_t space_base;
	uint32_t space_pages;
	uint8_t *space_map;           /* one byte per page: 1 used */
	uint32_t space_hint;

	/* scheduler: guarded by `lock` */
	struct {
		struct med_vgpu *current, *next;
		bool next_set;       /* a pass chose `next` (NULL: idle) */
		bool need_resched;
		bool in_run;         /* med_run() in progress */
		uint64_t sched_in_time;
		uint64_t next_tick, next_balance;
		uint64_t stage;
		struct med_vgpu *lru[MED_MAX_VGPUS];
		unsigned nlru;
		struct med_workload *running[MED_NUM_ENGINES];
		bool executing[MED_NUM_ENGINES]; /* THREADS: gpu_exec in progress */
		uint64_t switches, ticks, balances, idle_skips;
	} s;
	pthread_cond_t eng_cond[MED_NUM_ENGINES];
	pthread_cond_t idle_cond;
	pthread_t threads[MED_NUM_ENGINES];
	bool thread_ok[MED_NUM_ENGINES];
	bool stop;

	struct ctr vctr[MED_MAX_VGPUS + 1];
	_Atomic bool vctr_used[MED_MAX_VGPUS + 1];
	struct ectr ectr[MED_NUM_ENGINES];
};

/* ------------------------------------------------------------ helpers */

static inline void ctr_add(struct med *m, unsigned id, size_t idx, uint64_t n)
{
	if (id <= MED_MAX_VGPUS)
		atomic_fetch_add_explicit(&m->vctr[id].v[idx], n, memory_order_relaxed);
}
static inline void ctr_max(struct med *m, unsigned id, size_t idx, uint64_t n)
{
	if (id > MED_MAX_VGPUS)
		return;
	uint64_t cur = atomic_load_explicit(&m->vctr[id].v[idx], memory_order_relaxed);
	while (cur < n && !atomic_compare_exchange_weak_explicit(&m->vctr[id].v[idx], &cur, n,
								  memory_order_relaxed,
								  memory_order_relaxed))
		;
}
static inline void ectr_add(struct med *m, unsigned e, size_t idx, uint64_t n)
{
	atomic_fetch_add_explicit(&m->ectr[e].v[idx], n, memory_order_relaxed);
}
/* A counter every writer of which holds the vGPU's lock (the trap counters
 * of mmio.c): a relaxed load and store, not a locked add, which alone costs
 * more than a trapped GGTT write.  Readers still load it atomically. */
static inline void ctr_add_locked(struct med *m, unsigned id, size_t idx, uint64_t n)
{
	if (id <= MED_MAX_VGPUS) {
		_Atomic uint64_t *c = &m->vctr[id].v[idx];
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
				      memory_order_relaxed);
	}
}
#define VCTR(m, id, field, n) ctr_add((m), (id), CTR_IDX(field), (n))
#define VCTR_LOCKED(m, id, field, n) ctr_add_locked((m), (id), CTR_IDX(field), (n))
#define ECTR(m, e, field, n) ectr_add((m), (e), ECTR_IDX(field), (n))

static inline uint64_t med_now(struct med *m)
{
	return atomic_load_explicit(&m->clock, memory_order_relaxed);
}

/* pagecache.c: a host page for the vGPU's shadows (zeroed if `zero`, else
 * with stale bytes of its own earlier shadows), and its return. */
int medi_page_get(struct med_vgpu *v, bool zero, uint64_t *hpa);
void medi_page_put(struct med_vgpu *v, uint64_t hpa);
void medi_page_cache_init(struct med_vgpu *v);
void medi_page_cache_fini(struct med_vgpu *v);

/* events.c */
void medi_ev_init(struct med_event *ev, enum med_event_type t, const struct med_vgpu *v, int engine);
/* Delivers to every subscriber of ev->type; stamps seq, time, version, size. */
void medi_ev_emit(struct med *m, struct med_event *ev);
/* Whether an event of type t would reach anyone: test before building it. */
static inline bool ev_want(const struct med *m, enum med_event_type t)
{
	uint64_t mask = atomic_load_explicit(&((struct med *)m)->ev_mask, memory_order_relaxed);
	if (VGT_PROBE_ON(event))
		mask |= MED_PROBE_TYPES;
	return mask & MED_EV_BIT(t);
}
/* At creation, with the "event" probe attached: the configuration, to the
 * probe only (a subscriber gets its own when it subscribes). */
void medi_probe_config(struct med *m);
void medi_bus_init(struct med *m);
void medi_bus_fini(struct med *m);
/* CONFIG and VGPU_CREATE(existing) to one subscriber only (med_subscribe). */
void medi_ev_config(struct med *m, struct med_event *ev);
void medi_ev_vgpu_fill(struct med_vgpu *v, struct med_event *ev);

void medi_ev_mem_write(struct med_vgpu *v, enum med_mem_source src, uint64_t gpa, const void *p,
		       size_t len, int err);

/* vgpu.c */
void medi_vgpu_set_error(struct med_vgpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void medi_vgpu_enter_failsafe(struct med_vgpu *v, enum med_failsafe why, const char *text);
void medi_vgpu_init_vregs(struct med_vgpu *v);
static inline uint32_t *vreg(struct med_vgpu *v, uint32_t off) { return &v->vreg[off >> 2]; }
static inline uint32_t eng_base(unsigned e) { return scan_engine_mmio_base((enum scan_engine)e); }
void medi_vgpu_sync_windows(struct med_vgpu *v);
void medi_vgpu_roots_release(struct med_vgpu *v);
int medi_vgpu_root_get(struct med_vgpu *v, unsigned levels, const uint64_t pdp[4],
		  struct shadow_ppgtt **out);
void medi_vgpu_root_drop(struct med_vgpu *v, unsigned levels, const uint64_t pdp[4]);

/* pcicfg.c (v->lock held) */
void medi_cfg_init(struct med_vgpu *v);
int medi_cfg_access_check(struct med_vgpu *v, uint32_t offset, unsigned bytes, bool write);
uint32_t medi_cfg_read(struct med_vgpu *v, uint32_t offset, unsigned bytes);
void medi_cfg_write(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t val);

/* irq.c (v->lock held) */
void medi_irq_raise(struct med_vgpu *v, unsigned bank, uint32_t bits);
void medi_irq_engine(struct med_vgpu *v, unsigned engine, uint32_t bits);
void medi_irq_after_write(struct med_vgpu *v, unsigned bank, uint32_t old_pending);
uint32_t medi_irq_pending(struct med_vgpu *v, unsigned bank);
void medi_irq_master_written(struct med_vgpu *v, uint32_t old);
uint32_t medi_irq_master_read(struct med_vgpu *v);

/* mmio.c */
int medi_mmio_reg_write(struct med_vgpu *v, uint32_t off, uint32_t val, uint32_t bytemask);
uint32_t medi_mmio_reg_read(struct med_vgpu *v, uint32_t off);

/* execlist.c (v->lock held) */
void medi_elsp_submit(struct med_vgpu *v, unsigned engine);
void medi_csb_append(struct med_vgpu *v, unsigned engine, uint32_t status, uint32_t ctx_id);
void medi_execlist_reset(struct med_vgpu *v, unsigned engine_mask);

/* workload.c (v->lock held) */
int medi_wl_create(struct med_vgpu *v, unsigned e, uint64_t desc, unsigned elem, bool last,
	      const struct med_workload *prev, struct med_workload **out);
void medi_wl_reject(struct med_vgpu *v, unsigned e, uint64_t id, unsigned reason, const char *msg);
uint64_t medi_vgpu_hwsp(struct med_vgpu *v, unsigned e);
void medi_wl_free(struct med *m, struct med_workload *w);
/* Completion effects on the guest (takes v->lock). */
void medi_wl_complete_guest(struct med *m, struct med_workload *w);

/* wlevents.c: a workload's execution as events (no mediator lock held) */
void medi_wl_dispatch_events(struct med *m, struct med_workload *w);
void medi_wl_complete_event(struct med *m, struct med_workload *w);
void medi_wl_digest_event(struct med *m, struct med_workload *w, enum med_digest_phase phase);
/* build_exec: shadow i of the scan (in scan order) is bufs[buf], len bytes
 * (a few bytes per shadow, always kept; a failure only loses the digest) */
void medi_wl_note_shadow(struct med_workload *w, unsigned i, unsigned buf, uint32_t len);
void medi_wl_events_free(struct med_workload *w);

/* space.c */
int medi_space_alloc(struct med *m, uint32_t pages, uint64_t *gma);
void medi_space_free(struct med *m, uint64_t gma, uint32_t pages);
/* space.c: copies the shadow engine's host entry for gma into the GPU
 * model's GGTT.  Only for a shadow engine given with a table of its own:
 * the mediator's own engine writes the model's GGTT in place (ggtt_shared),
 * and then there is nothing to copy. */
void medi_ggtt_copy(struct med *m, uint64_t gma);
static inline void medi_ggtt_sync(struct med *m, uint64_t gma)
{
	if (!m->ggtt_shared)
		medi_ggtt_copy(m, gma);
}
int medi_host_map_ggtt(struct med *m, uint64_t gma, uint64_t hpa);

/* sched.c */
int medi_sched_queue(struct med *m, struct med_workload **wls, unsigned n);
void medi_sched_vgpu_add(struct med *m, struct med_vgpu *v);
/* Drops v's queued workloads and waits for its running ones; `destroy`
 * also takes it off the run queue.  Called without v->lock. */
void medi_sched_vgpu_remove(struct med *m, struct med_vgpu *v, bool destroy);
/* Drops v's queued workloads on the engines of `mask` (v->lock held). */
void medi_sched_drop_queued(struct med *m, struct med_vgpu *v, unsigned mask);
int medi_sched_start(struct med *m);
void medi_sched_stop(struct med *m);
void medi_sched_clock_advance_locked(struct med *m, uint64_t to);

/* watchdog.c: the scheduler's per-workload engine-time budget. */
void medi_wd_init(struct med *m, uint64_t watchdog_ns, uint32_t strikes);
/* Gives the workload its cycle budget before it runs (m->lock held). */
void medi_wd_arm(struct med *m, struct med_workload *w);
/* After it ran (m->lock held): counts a watchdog stop, rewrites its reason,
 * tracks consecutive stops; true when the vGPU has just become a repeat
 * offender (call medi_wd_failsafe before the completion is reported). */
bool medi_wd_complete_locked(struct med *m, struct med_workload *w);
/* Puts the workload's vGPU into failsafe and drops its queued work; drops
 * m->lock for it (lock order) and takes it again. */
void medi_wd_failsafe(struct med *m, struct med_workload *w);

#endif /* VGT_MED_INT_H */
