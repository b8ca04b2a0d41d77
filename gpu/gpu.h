/* SPDX-License-Identifier: MIT */
/*
 * gpu — a model of an Intel Gen8/Gen9 GPU, and the isolation monitor.
 *
 * The one public header of gpu/.  The model is the hardware the mediator
 * drives: sparse host physical memory with an owner tag per page, the host
 * GGTT, a PPGTT walker that reads page tables in host memory, and four
 * engines (RCS, BCS, VCS, VECS) whose command streamers execute rings and
 * batch buffers.  Every memory access and register write an engine makes on
 * behalf of a vGPU is checked against that vGPU's ownership; any access
 * outside it is an *escape*, recorded with the command that caused it.
 *
 * gpu/ depends on nothing else of vgt: it decodes commands with its own
 * minimal knowledge (the generic length rules of the hardware), so it can
 * serve as an independent oracle of what the scanner let through.
 *
 * Conventions (all of vgt): 0 or a negative errno; opaque objects; options
 * structs start with their own size.  docs/GPU-MODEL.md describes what is
 * modelled and what is not.
 *
 * Locking.  The page map is guarded by a reader/writer lock; the escape log
 * and the counters by a mutex; GGTT entries are 64-bit atomics.  Each engine
 * may run on its own thread: an engine is claimed for the duration of any
 * call that touches its state (gpu_exec, register access, save/restore) and a
 * second concurrent call on the same engine returns -EBUSY.  Page *contents*
 * are not locked, as DRAM is not: two engines writing the same bytes race as
 * they would on hardware (MI_ATOMIC is atomic against other MI_ATOMICs).
 * Freeing a page while an engine may still reach it is the caller's bug, as
 * it is on hardware.
 */
#ifndef VGT_GPU_H
#define VGT_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

/* ---------------------------------------------------------------- basics */

struct gpu;      /* the device */
struct gpu_regs; /* a saved engine register file (one vGPU's context) */

enum gpu_gen {
	GPU_GEN8 = 8, /* Broadwell */
	GPU_GEN9 = 9, /* Skylake and later Gen9 */
};

enum gpu_engine {
	GPU_RCS = 0, /* render: MI, 3D, media/GPGPU        (MMIO base 0x02000) */
	GPU_BCS,     /* blitter: MI, 2D                     (MMIO base 0x22000) */
	GPU_VCS,     /* video: MI, MFX/HCP/HuC/VDEnc        (MMIO base 0x12000) */
	GPU_VECS,    /* video enhancement: MI, VEBOX        (MMIO base 0x1a000) */
	GPU_NUM_ENGINES
};

/* "rcs", "bcs", "vcs", "vecs"; NULL when out of range. */
const char *gpu_engine_name(enum gpu_engine e);
/* The engine's MMIO base (0x2000, 0x22000, 0x12000, 0x1a000); 0 when out of range. */
uint32_t gpu_engine_mmio_base(enum gpu_engine e);

/* Address space of a graphics memory address. */
enum gpu_as {
	GPU_AS_GGTT = 0,
	GPU_AS_PPGTT = 1,
};
const char *gpu_as_name(enum gpu_as as); /* "ggtt" / "ppgtt" */

/* Owner of a host page.  vGPU ids are 1..GPU_VGPU_MAX. */
typedef uint16_t gpu_owner_t;
#define GPU_OWNER_HOST    ((gpu_owner_t)0)
#define GPU_OWNER_SCRATCH ((gpu_owner_t)0xffff) /* junk page: anyone may read and write */
#define GPU_VGPU_MAX      0xfffe

#define GPU_PAGE_SIZE 4096u
#define GPU_PAGE_MASK ((uint64_t)GPU_PAGE_SIZE - 1)
#define GPU_HPA_NONE  UINT64_MAX
#define GPU_GGTT_SIZE (1ull << 32) /* 4 GiB, 1 Mi entries of 8 bytes */

/* Gen8 page-table entry bits (GGTT and PPGTT at every level). */
#define GPU_PTE_PRESENT   (1ull << 0)
#define GPU_PTE_RW        (1ull << 1)  /* PPGTT: writable (checked on writes) */
#define GPU_PTE_PS        (1ull << 7)  /* PDPE: 1 GiB page, PDE: 2 MiB page */
#define GPU_PDE_IPS       (1ull << 11) /* PDE: its page table holds 64 KiB entries */
#define GPU_PTE_ADDR_MASK 0x00003ffffffff000ull /* bits 45:12 */

/* ------------------------------------------------------------ the device */

struct gpu_escape;

struct gpu_opts {
	size_t sz;            /* sizeof(struct gpu_opts) */
	enum gpu_gen gen;     /* 0: GPU_GEN9 */
	uint64_t max_pages;   /* host pages the model may hold; 0: 1 Mi (4 GiB) */
	uint64_t hpa_base;    /* first hpa gpu_mem_alloc_page hands out; 0: 4 GiB */
	size_t escape_log_cap;/* escape/fault records kept (the first ones); 0: 4096 */
	/* false (default): an escaping access is performed, as hardware would,
	 * and recorded.  true: it is recorded and suppressed (writes dropped,
	 * reads return zeros). */
	bool contain_escapes;
	uint64_t default_budget; /* steps per gpu_exec when the submit says 0; 0: 1 Mi */
	/* Called on the engine's thread for every escape and fault recorded
	 * (also beyond the log's capacity), with no model lock held. */
	void (*on_escape)(void *ctx, const struct gpu_escape *e);
	void *on_escape_ctx;
	/* The host switches the registers the oracle calls GPU_REG_SWITCHED
	 * (global on the hardware: MOCS, L3CC, L3SQCREG4) per vGPU on every
	 * vGPU switch, as GVT-g's MMIO context switch does, so a vGPU's write
	 * to them stays its own.  false (default): such a write is an escape
	 * (`shared-register`). */
	bool switches_vgpu_regs;
};

/* Creates a device; opts may be NULL for the defaults.  -EINVAL, -E2BIG
 * (opts larger than known with non-zero tail), -ENOMEM. */
int gpu_create(const struct gpu_opts *opts, struct gpu **out);
void gpu_destroy(struct gpu *g);
enum gpu_gen gpu_gen(const struct gpu *g);

/* ------------------------------------------------- host physical memory */

/* Allocates one zeroed 4 KiB page owned by the host at a fresh hpa
 * (never reused).  The shape of the shadow engine's page allocator:
 * alloc / free / ptr.  -ENOMEM when max_pages are in use. */
int gpu_mem_alloc_page(struct gpu *g, uint64_t *hpa);
/* Same, owned by `owner` from the start. */
int gpu_mem_alloc_owned(struct gpu *g, gpu_owner_t owner, uint64_t *hpa);
/* 512 contiguous pages (2 MiB) at a fresh 2 MiB-aligned hpa, every one
 * owned by `owner`; gpu_mem_ptr works on each 4 KiB inside.  The shape of
 * the shadow engine's optional alloc_huge / free_huge.  -ENOMEM. */
int gpu_mem_alloc_huge(struct gpu *g, gpu_owner_t owner, uint64_t *hpa);
/* Frees the 512 pages from a 2 MiB-aligned hpa; -ENOENT if some were
 * missing (the others are freed), -EINVAL if hpa is not 2 MiB aligned. */
int gpu_mem_free_huge(struct gpu *g, uint64_t hpa);
/* Creates the page at a chosen page-aligned hpa (< 2^46).  -EEXIST, -EINVAL. */
int gpu_mem_map_page(struct gpu *g, uint64_t hpa, gpu_owner_t owner);
/* Frees the page holding hpa.  -ENOENT when there is none. */
int gpu_mem_free_page(struct gpu *g, uint64_t hpa);
/* Pointer to the byte at hpa, valid up to the end of its page and until the
 * page is freed; NULL when no page holds hpa. */
void *gpu_mem_ptr(struct gpu *g, uint64_t hpa);
int gpu_mem_set_owner(struct gpu *g, uint64_t hpa, gpu_owner_t owner); /* -ENOENT */
int gpu_mem_get_owner(struct gpu *g, uint64_t hpa, gpu_owner_t *owner); /* -ENOENT */
/* Copies between a buffer and host memory; the range may span pages but
 * every page must exist (-EFAULT, nothing copied otherwise). */
int gpu_mem_read(struct gpu *g, uint64_t hpa, void *buf, size_t len);
int gpu_mem_write(struct gpu *g, uint64_t hpa, const void *buf, size_t len);
uint64_t gpu_mem_pages(struct gpu *g); /* pages currently allocated */

/* --------------------------------------------------------- the host GGTT */

/* Writes / reads the 8-byte host GGTT entry that maps gma (any address in
 * the page).  -ERANGE for gma >= 4 GiB. */
int gpu_ggtt_set(struct gpu *g, uint64_t gma, uint64_t pte);
int gpu_ggtt_get(struct gpu *g, uint64_t gma, uint64_t *pte);
/* gma -> hpa through the host GGTT: -ERANGE outside 4 GiB, -EFAULT when the
 * entry is not present. */
int gpu_ggtt_translate(struct gpu *g, uint64_t gma, uint64_t *hpa);
/* The table itself (GPU_GGTT_SIZE >> 12 entries), for the one writer a real
 * device has — the host's GTT code, here the shadow engine — to write in
 * place, as it writes the GGTT of a real GPU.  Entries must be read and
 * written with 64-bit atomic loads and stores; the engines read it as they
 * run. */
uint64_t *gpu_ggtt_table(struct gpu *g);

/* ------------------------------------------------------------ the PPGTT */

/* A PPGTT root as the context descriptor and ring context give it:
 * levels 4: pdp[0] is the PML4's hpa (48-bit addresses);
 * levels 3: pdp[0..3] are the four page directories (32-bit addresses);
 * levels 0: no PPGTT (every PPGTT access faults).
 * A root pointer counts as present when non-zero. */
struct gpu_ppgtt {
	unsigned levels;
	uint64_t pdp[4];
};

/* Why a walk failed (also used in fault records). */
enum gpu_walk_level {
	GPU_WALK_ROOT = 0, GPU_WALK_PML4E, GPU_WALK_PDPE, GPU_WALK_PDE, GPU_WALK_PTE,
};

struct gpu_xlate {
	uint64_t hpa;        /* translated address */
	uint64_t page_size;  /* 4 KiB, 64 KiB, 2 MiB or 1 GiB */
	bool writable;       /* RW set at every level */
	unsigned fault_level;/* enum gpu_walk_level of the entry that was not present */
	uint64_t fault_entry;/* its value */
};

/* Walks the page tables in host memory as hardware does (Gen8 entry format,
 * PS for 2 MiB / 1 GiB, IPS for 64 KiB page tables).  0; -EFAULT for a
 * fault (non-present entry, table page absent from host memory, gma beyond
 * the walk's reach, or a write through a read-only entry when `write`),
 * with x->fault_level set; -EINVAL for a bad root. */
int gpu_ppgtt_translate(struct gpu *g, const struct gpu_ppgtt *root, uint64_t gma,
			bool write, struct gpu_xlate *x);

/* ------------------------------------------------- engines and registers */

/* Reads / writes a register of an engine's live register file (the engine
 * must be idle: -EBUSY otherwise).  Registers are dwords at 4-aligned
 * offsets below 8 MiB, bits 22:2 as in MI_LOAD_REGISTER_IMM (-EINVAL otherwise).  A register never written reads
 * 0; the engine's TIMESTAMP (base+0x358/0x35c) reads the engine clock. */
int gpu_reg_read(struct gpu *g, enum gpu_engine e, uint32_t reg, uint32_t *val);
int gpu_reg_write(struct gpu *g, enum gpu_engine e, uint32_t reg, uint32_t val);

/* Saved register files, for the scheduler's context switches. */
int gpu_regs_new(struct gpu_regs **out);
void gpu_regs_free(struct gpu_regs *r);
int gpu_regs_get(const struct gpu_regs *r, uint32_t reg, uint32_t *val);
int gpu_regs_set(struct gpu_regs *r, uint32_t reg, uint32_t val); /* -ENOSPC when full */
/* Copies the engine's live register file out / in (engine idle, else -EBUSY). */
int gpu_engine_save(struct gpu *g, enum gpu_engine e, struct gpu_regs *to);
int gpu_engine_restore(struct gpu *g, enum gpu_engine e, const struct gpu_regs *from);
/* The engine's virtual clock: cycles of the cost model since creation. */
uint64_t gpu_engine_clock(struct gpu *g, enum gpu_engine e);

/* Generic hardware length rule: the command length in dwords of the command
 * whose first dword is `header`, on `engine`.  0; -EINVAL when the command
 * type is not one the engine's command streamer accepts. */
int gpu_cmd_length(enum gpu_gen gen, enum gpu_engine e, uint32_t header, uint32_t *dwords);

/* -------------------------------------------------------------- execution */

/* A vGPU's GGTT windows (GVT-g's partition of the global graphics memory). */
struct gpu_partition {
	uint64_t aperture_base, aperture_size; /* low GM, CPU-mappable */
	uint64_t hidden_base, hidden_size;     /* high GM */
};

/* A range of graphics memory in one address space. */
struct gpu_range {
	uint64_t gma, size;
	enum gpu_as as;
};

/* A range of register offsets [first, last], inclusive. */
struct gpu_reg_range {
	uint32_t first, last;
};

/* Extra register restriction (tests): true when `vgpu` may write `value`
 * to `reg` from `engine`, on top of the register oracle.  It sees the value
 * (a restriction may depend on it). */
typedef bool (*gpu_reg_allow_fn)(void *ctx, gpu_owner_t vgpu, enum gpu_engine engine,
				 uint32_t reg, uint32_t value);

/* What to run, for whom.  Either a ring (ring_size != 0: commands from head
 * to tail of the ring at ring_start in the GGTT) or, with ring_size 0, one
 * first-level batch at `batch` in `batch_as`, run until its
 * MI_BATCH_BUFFER_END. */
struct gpu_submit {
	size_t sz;               /* sizeof(struct gpu_submit) */
	gpu_owner_t vgpu;        /* GPU_OWNER_HOST: host work, not monitored */
	enum gpu_engine engine;
	struct gpu_ppgtt ppgtt;  /* loaded into the engine's PDP registers */

	uint64_t ring_start;     /* GGTT, 4 KiB aligned */
	uint32_t ring_size;      /* bytes, multiple of 4 KiB, at most 2 MiB */
	uint32_t head, tail;     /* byte offsets in the ring (dword aligned) */
	uint64_t batch;          /* when ring_size == 0 */
	enum gpu_as batch_as;

	/* The vGPU's ownership (ignored for host work).  Accesses allowed: its
	 * GGTT windows (the pages behind them must be its own), its status
	 * page (read/write), the ring and the read-only ranges (the shadow
	 * buffers handed to it for this workload: read only), PPGTT pages
	 * tagged with its id.  The ring is implicitly readable; a batch
	 * submitted alone is not: list it in `ro` unless the vGPU owns it.
	 *
	 * Register writes are judged by the register oracle (gpu_reg_judge:
	 * the model's own hardware facts, per engine and generation).  The
	 * table and the callback below are optional *extra* restrictions
	 * (tests): when either is given, a write the oracle admits must also
	 * be inside a range or admitted by the callback (`register-denied`
	 * otherwise).  They never admit what the oracle refuses. */
	struct gpu_partition part;
	uint64_t status_page;      /* GGTT address of its status page */
	uint32_t status_page_size; /* 0: none */
	const struct gpu_range *ro;
	size_t n_ro;
	const struct gpu_reg_range *regs;
	size_t n_regs;
	gpu_reg_allow_fn reg_allow;
	void *reg_allow_ctx;

	uint64_t budget;         /* steps (commands, blit rows and pages); 0: the device default */
	/* Optional: called on the engine's thread after each write the engine
	 * performs to memory, once per piece inside one 4 KiB page (what a
	 * recorder needs to know what a workload wrote). */
	void (*on_write)(void *ctx, enum gpu_as as, uint64_t gma, uint64_t hpa, uint32_t len);
	void *on_write_ctx;
	/* A watchdog on engine time: the engine is stopped once the workload's
	 * virtual cycles would exceed it (GPU_HANG, completion.watchdog set,
	 * cycles = cycle_budget: what ran up to the stop).  0: none. */
	uint64_t cycle_budget;
};

enum gpu_status {
	GPU_DONE = 0,  /* ran to the tail / to the batch's end */
	GPU_HANG,      /* the step budget ran out (a hostile loop, a stuck semaphore) */
	GPU_FAULT,     /* an instruction fetch faulted */
	GPU_ERROR,     /* the command streamer could not go on (bad command type, nesting, ...) */
};
const char *gpu_status_name(enum gpu_status s);

struct gpu_completion {
	size_t sz;               /* sizeof(struct gpu_completion), set by the caller */
	enum gpu_status status;
	uint64_t cycles;         /* virtual engine cycles consumed */
	uint64_t steps;          /* budget consumed */
	uint64_t commands;       /* commands executed (including skipped by predication) */
	uint32_t head;           /* ring offset where execution stopped (ring mode) */
	uint32_t user_interrupts;/* MI_USER_INTERRUPT */
	uint32_t pipe_notifies;  /* PIPE_CONTROL with notify */
	uint32_t flush_notifies; /* MI_FLUSH_DW with notify */
	uint32_t faults;         /* page faults during this execution */
	uint32_t escapes;        /* escapes during this execution */
	uint64_t first_escape_seq; /* sequence number of the first, when escapes != 0 */
	uint32_t unmodelled;     /* commands recognised but not modelled (see docs) */
	uint32_t regs_dropped;   /* register writes lost to a full register file */
	/* When status != GPU_DONE: the command (or fetch) where it stopped. */
	uint32_t stop_header;
	uint64_t stop_gma;
	enum gpu_as stop_as;
	char reason[160];
	bool watchdog;           /* GPU_HANG because cycle_budget was reached */
};

/* Executes a submission on its engine and fills the completion record.
 * Returns 0 whenever it ran (the verdict is out->status); -EINVAL for a
 * malformed submission (bad engine, ring geometry, sizes), -EBUSY when the
 * engine is already executing. */
int gpu_exec(struct gpu *g, const struct gpu_submit *s, struct gpu_completion *out);

/* ---------------------------------------------------- isolation monitor */

enum gpu_escape_kind {
	GPU_ESC_MEM_READ = 0,
	GPU_ESC_MEM_WRITE,
	GPU_ESC_REG_WRITE,
	GPU_ESC_PAGE_FAULT, /* a fault is recorded alongside, but is not an escape */
};

enum gpu_escape_why {
	GPU_WHY_OUTSIDE_WINDOWS = 0, /* GGTT address outside the vGPU's windows */
	GPU_WHY_READ_ONLY,           /* write to a read-only range (ring, shadow buffer) */
	GPU_WHY_FOREIGN_PAGE,        /* the page belongs to another vGPU */
	GPU_WHY_HOST_PAGE,           /* the page belongs to the host (page tables, shadows) */
	GPU_WHY_UNBACKED,            /* the translation leads to no host page */
	GPU_WHY_REG_DENIED,          /* register write the submission's extra policy refuses */
	GPU_WHY_NOT_PRESENT,         /* (fault) entry not present */
	GPU_WHY_PTE_READ_ONLY,       /* (fault) write through a read-only PPGTT entry */
	GPU_WHY_NO_PPGTT,            /* (fault) PPGTT access with no PPGTT root */
	GPU_WHY_OUT_OF_RANGE,        /* (fault) beyond the GGTT / the walk's reach */
	GPU_WHY_GTT_WRITE,           /* MI_UPDATE_GTT: the engine writes GGTT entries */
	GPU_WHY_REG_HOST,            /* register write the oracle says is the host's */
	GPU_WHY_REG_SHARED,          /* register write reaching other vGPUs (oracle) */
};

struct gpu_escape {
	uint64_t seq;        /* 1, 2, ... per device */
	gpu_owner_t vgpu;
	enum gpu_engine engine;
	enum gpu_escape_kind kind;
	enum gpu_escape_why why;
	enum gpu_as as;      /* of addr (memory kinds) */
	uint64_t addr;       /* graphics address, or register offset */
	uint32_t size;       /* bytes */
	uint64_t hpa;        /* GPU_HPA_NONE when not translated */
	gpu_owner_t hpa_owner; /* owner of that page (when hpa is backed) */
	uint64_t value;      /* register writes: the value */
	uint32_t cmd;        /* the command's first dword */
	uint64_t cmd_gma;    /* where the command was fetched */
	enum gpu_as cmd_as;
};

const char *gpu_escape_kind_name(enum gpu_escape_kind k);
const char *gpu_escape_why_name(enum gpu_escape_why w);
/* One line, e.g. "vgpu 2 rcs mem-write ggtt 0x1000+4 (hpa 0x... owner 3):
 * foreign-page, by cmd 0x10400002 at ggtt 0x20000".  Returns what snprintf
 * returns. */
int gpu_escape_format(const struct gpu_escape *e, char *buf, size_t len);

/* Records held in the log (at most escape_log_cap, the first ones). */
size_t gpu_escape_count(struct gpu *g);
int gpu_escape_get(struct gpu *g, size_t i, struct gpu_escape *out); /* -ENOENT */
/* Empties the log and zeroes the counters. */
void gpu_escape_clear(struct gpu *g);

#define GPU_STATS_ALL ((gpu_owner_t)0xffff)
struct gpu_stats {
	size_t sz;            /* sizeof(struct gpu_stats), set by the caller */
	uint64_t escapes;     /* all escape kinds */
	uint64_t mem_reads, mem_writes, reg_writes; /* escapes by kind */
	uint64_t faults;
	uint64_t dropped;     /* records not kept because the log was full */
};
/* Counters for one vGPU (ids up to 63 are counted separately) or for all
 * (GPU_STATS_ALL).  -EINVAL, -ENOENT for an id the model does not count alone. */
int gpu_stats_get(struct gpu *g, gpu_owner_t vgpu, struct gpu_stats *out);


/* ------------------------------------------------------ register oracle */

/*
 * Who owns a register, by hardware fact (gpu/oracle.c: one row per
 * register or range, with its reason; per engine and generation).  The
 * monitor judges every register write it executes for a vGPU with it.
 * A register in no row is the host's, or shared when it lies in another
 * engine's 4 KiB register block.  docs/GPU-MODEL.md lists the rows.
 */
enum gpu_reg_owner {
	GPU_REG_HOST = 0, /* the host's: ring/engine control, GTT, interrupts, power, display */
	GPU_REG_SHARED,   /* global state other vGPUs' work sees (timestamps, other engines) */
	GPU_REG_SWITCHED, /* global, but switched per vGPU by the host (opts.switches_vgpu_regs) */
	GPU_REG_CONTEXT,  /* saved and restored with the context: the vGPU's own */
};
const char *gpu_reg_owner_name(enum gpu_reg_owner o);

struct gpu_reg_fact {
	const char *name;      /* the row ("RING_MODE"); NULL: no row (the default) */
	const char *why;       /* its reason */
	enum gpu_reg_owner owner;
	uint32_t first, last;  /* absolute offsets the row covers on this engine */
	bool masked;           /* upper 16 bits enable the lower 16 */
	uint16_t ctx_bits;     /* masked: the low bits the context owns */
	bool nonpriv;          /* a FORCE_NONPRIV slot: judged by the register it names */
};

/* The fact for one register (dword aligned, below 8 MiB): 0, -EINVAL. */
int gpu_reg_fact(enum gpu_gen gen, enum gpu_engine e, uint32_t reg, struct gpu_reg_fact *out);
/* The oracle's verdict on a vGPU writing `value` to `reg` from engine `e`:
 * 0 when the write stays within the vGPU (context register; context bits
 * of a masked register, or a masked write enabling nothing; a
 * FORCE_NONPRIV value naming a context register), 1 when it is an escape
 * (with *why GPU_WHY_REG_HOST or GPU_WHY_REG_SHARED), -EINVAL.  `switched`:
 * as opts.switches_vgpu_regs. */
int gpu_reg_judge(enum gpu_gen gen, enum gpu_engine e, uint32_t reg, uint32_t value,
		  bool switched, enum gpu_escape_why *why);

/* The rows themselves, for tests and documentation checks. */
struct gpu_reg_row {
	const char *name, *why;
	uint32_t offset;       /* absolute, or relative to the engine base when rel */
	uint32_t len;          /* bytes */
	bool rel;
	unsigned engines;      /* bit per enum gpu_engine */
	bool gen8, gen9;
	enum gpu_reg_owner owner;
	bool masked;
	uint16_t ctx_bits;
	bool nonpriv;
};
size_t gpu_reg_rows(void);
int gpu_reg_row(size_t i, struct gpu_reg_row *out); /* -EINVAL past the end */

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif /* VGT_GPU_H */
