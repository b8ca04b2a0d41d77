/* SPDX-License-Identifier: MIT */
/* gpu/ internals: the device layout shared by the files of the folder. */
#ifndef VGT_GPU_INT_H
#define VGT_GPU_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "gpu/gpu.h"

#define GPU_PAGE_SHIFT 12
#define GPU_HPA_LIMIT  (1ull << 46) /* bits 45:12 hold the frame */
#define GPU_GGTT_ENTRIES (GPU_GGTT_SIZE >> GPU_PAGE_SHIFT)
#define GPU_REG_LIMIT  (8u << 20)   /* register offsets fit in bits 22:2 */
#define GPU_STATS_VGPUS 64

/* ------------------------------------------------------------- memory */

/*
 * Host physical memory as a two-level direct map of page frames: engines
 * look a page up on every access, so the lookup takes no lock (two acquire
 * loads); allocation and freeing take one mutex.  A slot holds the page's
 * bytes and its owner; a leaf covers MEM_LEAF_PAGES frames (256 MiB of
 * host-physical space) and is allocated on first use, never moved and
 * freed only with the map, so a reader never follows a dangling leaf.
 * Page bytes are freed when the page is; as on hardware, nothing frees a
 * page an engine is using (the mediator frees shadows after completion,
 * the shadow engine refuses to discard a mapped guest frame).
 */
#define MEM_LEAF_BITS  16
#define MEM_LEAF_PAGES (1u << MEM_LEAF_BITS)
#define MEM_TOP        ((GPU_HPA_LIMIT >> GPU_PAGE_SHIFT) >> MEM_LEAF_BITS)

struct mem_slot {
	uint8_t *_Atomic data;      /* GPU_PAGE_SIZE bytes, NULL: no page */
	_Atomic gpu_owner_t owner;
};

struct mem_map {
	pthread_mutex_t lock;       /* writers: allocation, freeing */
	struct mem_slot *_Atomic *top; /* MEM_TOP leaves */
	_Atomic uint64_t used;
	uint64_t next_pfn;
	uint64_t max_pages;
};

int gpui_mem_init(struct mem_map *m, uint64_t max_pages, uint64_t hpa_base);
void gpui_mem_fini(struct mem_map *m);
/* Looks the page holding hpa up; returns its data (page start) or NULL and
 * its owner.  Lock-free. */
uint8_t *gpui_mem_lookup(struct mem_map *m, uint64_t hpa, gpu_owner_t *owner);

/* ------------------------------------------------------------ registers */

#define REGS_CAP 2048 /* power of two */

/* An engine register file: an open-addressing table of (offset, value);
 * key 0 is empty, a used key is offset | 1 (offsets are 4-aligned). */
struct gpu_regs {
	uint32_t used;
	uint32_t key[REGS_CAP];
	uint32_t val[REGS_CAP];
};

uint32_t gpui_regs_get(const struct gpu_regs *r, uint32_t reg);
int gpui_regs_set(struct gpu_regs *r, uint32_t reg, uint32_t val);

/* Engine-relative register offsets the model gives meaning to. */
#define R_RING_TAIL   0x030
#define R_RING_HEAD   0x034
#define R_RING_START  0x038
#define R_RING_CTL    0x03c
#define R_HWS_PGA     0x080
#define R_NOPID       0x094
#define R_PDP_LDW(n)  (0x270 + 8 * (n))
#define R_PDP_UDW(n)  (0x274 + 8 * (n))
#define R_TIMESTAMP   0x358
#define R_TIMESTAMP_UDW 0x35c
#define R_GPR(n)      (0x600 + 8 * (n)) /* 16 x 64-bit CS GPRs */
#define R_PREDICATE_SRC0   0x400 /* relative to the engine: 0x2400 on RCS */
#define R_PREDICATE_SRC1   0x408
#define R_PREDICATE_DATA   0x410
#define R_PREDICATE_RESULT 0x418
/* Absolute registers. */
#define R_3DPRIM_VERTEX_COUNT   0x2430
#define R_3DPRIM_INSTANCE_COUNT 0x2438
#define R_GPGPU_DISPATCHDIMX    0x2500
#define R_GPGPU_DISPATCHDIMY    0x2504
#define R_GPGPU_DISPATCHDIMZ    0x2508
#define R_PS_DEPTH_COUNT        0x2350
#define R_BCS_SWCTRL            0x22200

/* -------------------------------------------------------------- engines */

struct engine {
	enum gpu_engine id;
	uint32_t base;
	atomic_flag busy;
	struct gpu_regs regs;
	_Atomic uint64_t clock; /* read by gpu_engine_clock while running */
	/* MI_MATH ALU state */
	uint64_t srca, srcb, accu;
	bool zf, cf;
	/* blit row buffers, grown as needed */
	uint8_t *row[2];
	size_t rowcap;
};

/* ------------------------------------------------------------ monitor */

struct esc_counts {
	uint64_t escapes, mem_reads, mem_writes, reg_writes, faults;
};

struct monitor {
	pthread_mutex_t lock;
	struct gpu_escape *log;
	size_t cap, n;
	uint64_t seq;
	uint64_t dropped;
	struct esc_counts all;
	struct esc_counts per[GPU_STATS_VGPUS];
};

/* --------------------------------------------------------------- device */

struct gpui_reg_table;

struct gpu {
	struct gpu_opts opts;
	enum gpu_gen gen;
	const struct gpui_reg_table *regtab[GPU_NUM_ENGINES]; /* the oracle, this generation */
	struct mem_map mem;
	_Atomic uint64_t *ggtt; /* GPU_GGTT_ENTRIES */
	struct engine eng[GPU_NUM_ENGINES];
	struct monitor mon;
	pthread_mutex_t atomic_lock; /* MI_ATOMIC read-modify-writes */
};

/* The register oracle (oracle.c): the resolved table of a generation and
 * engine (NULL for bad arguments), and its verdict on a vGPU's write: true
 * when it stays within the vGPU, else false with *why. */
const struct gpui_reg_table *gpui_reg_table(enum gpu_gen gen, enum gpu_engine e);
bool gpui_reg_judge(const struct gpui_reg_table *t, uint32_t reg, uint32_t value,
		    bool switched, enum gpu_escape_why *why);

/* Records an escape or fault; returns its sequence number. */
uint64_t gpui_mon_record(struct gpu *g, const struct gpu_escape *e);

/* Translation helpers (gtt.c). */
uint64_t gpui_ggtt_pte(struct gpu *g, uint64_t gma);

/* Engine claim (gpu.c). */
struct engine *gpui_engine_claim(struct gpu *g, enum gpu_engine e, int *err);
void gpui_engine_release(struct engine *en);
uint32_t gpui_engine_reg_read(struct engine *en, uint32_t reg);

/* ------------------------------------------------------------ execution */

#define CMD_BUF_DW 1056 /* longest command kept whole: MI_STORE_DATA_IMM, 1025 dwords */

/* One gpu_exec in progress (exec.c; blit.c uses it too). */
struct exec {
	struct gpu *g;
	struct gpu_submit s;
	struct engine *en;
	struct gpu_completion c;
	bool check;              /* vGPU work: the monitor is on */
	bool contain;
	struct gpu_ppgtt root;   /* live: follows LRI to the PDP registers */
	uint64_t budget;
	bool stop;
	/* the command being executed */
	uint32_t cmd;
	uint64_t cmd_gma;
	enum gpu_as cmd_as;
	/* instruction pointers: level 0 is the ring, 1 and 2 batch levels */
	bool ring;
	unsigned level;
	uint32_t head;
	uint64_t ip;
	enum gpu_as ip_as;
	uint64_t ret_ip;         /* return into the first-level batch */
	enum gpu_as ret_as;
	uint32_t buf[CMD_BUF_DW];
};

/* Memory access on the engine's behalf, checked by the monitor: 0, or
 * -EFAULT when part of it faulted or was contained (reads of those bytes
 * return zeros). */
#define VM_WRITE 1u
#define VM_QUIET 2u /* record nothing (semaphore re-polls) */
int gpui_vmem(struct exec *x, enum gpu_as as, uint64_t gma, void *buf, size_t len, unsigned flags);
/* The address space of commands without a selector (blits): the PPGTT when
 * the submission has one, else the GGTT. */
enum gpu_as gpui_exec_default_as(const struct exec *x);
uint32_t gpui_exec_reg_read(struct exec *x, uint32_t reg);
/* Consumes budget; false (and the verdict set) once it is gone. */
bool gpui_exec_steps(struct exec *x, uint64_t n);
void gpui_exec_cycles(struct exec *x, uint64_t n);

/* Blitter (blit.c), called by the interpreter with the current command. */
void gpui_blit_exec(struct exec *x, const uint32_t *dw, uint32_t len);

#endif /* VGT_GPU_INT_H */
