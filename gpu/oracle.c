/* SPDX-License-Identifier: MIT */
/*
 * The register oracle: who owns each MMIO register, by hardware fact, per
 * engine and generation.  The isolation monitor judges every register
 * write an engine executes for a vGPU with it (exec.c); nothing here comes
 * from the scanner's allow-list.
 *
 * Sources (facts only): genxml gen8.xml / gen9.xml (register names, offsets
 * and fields), ../shared/reference/gvt-g.md (§3.1 the registers GVT-g
 * patches or never lets commands reach, §6.1 F_SR_IN_CTX, §6.2 the ring
 * context's registers, §6.4 the per-vGPU MMIO context-switch list, §8 the
 * registers i915's parser opens to userspace), security.md (CVE-2019-0155:
 * GTT/PTE registers from the blitter; GVT-g's GFX_MODE and CSFE_CHICKEN1
 * hardening) and the register working set of real drivers
 * (docs/REGISTERS.md).
 *
 * Owners:
 *   context   saved and restored by the hardware with the logical context
 *             image (or state only this context's own work consumes): the
 *             vGPU's own;
 *   switched  global on the hardware (not in any context image) but the
 *             host switches it per vGPU on every vGPU switch, as GVT-g's
 *             MMIO context switch does (gvt-g.md §6.4); the vGPU's own only
 *             when the device is told the host does (gpu_opts);
 *   shared    global state every vGPU's work sees: a write reaches other
 *             vGPUs;
 *   host      the host's: engine and ring control, submission, GTT and
 *             fences, interrupts, power and reset, display, registers
 *             that redirect what the engine fetches past the mediator.
 *
 * Masked registers (upper 16 bits enable the lower 16) carry the bits the
 * context owns; a write enabling only those (or none: it changes nothing)
 * stays within the vGPU.  FORCE_NONPRIV slots are judged by the register
 * the value would open to non-privileged batches.
 *
 * Default: a register in no row is the host's, or, inside another engine's
 * 4 KiB register block, shared (it belongs to whatever context runs on
 * that engine).  The command streamer writes MMIO with the host's
 * privilege, and the hardware saves and restores only a fixed set of
 * registers with a context; a register the table does not know to be in
 * that set is not the vGPU's.  Every register real drivers write by
 * command (docs/REGISTERS.md) has a context row.
 *
 * Lookup: per (generation, engine) the rows are resolved once into sorted
 * absolute ranges and bisected (about 40 ranges: six probes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

#define G8 1u
#define G9 2u
#define GALL (G8 | G9)

#define E_RCS  (1u << GPU_RCS)
#define E_BCS  (1u << GPU_BCS)
#define E_VCS  (1u << GPU_VCS)
#define E_VECS (1u << GPU_VECS)
#define E_ALL  (E_RCS | E_BCS | E_VCS | E_VECS)

#define HOST     GPU_REG_HOST
#define SHARED   GPU_REG_SHARED
#define SWITCHED GPU_REG_SWITCHED
#define CONTEXT  GPU_REG_CONTEXT

enum rule {
	RULE_PLAIN = 0,
	RULE_MASKED,  /* masked register: ctx_bits are the context's */
	RULE_NONPRIV, /* FORCE_NONPRIV slot: judged by the register the value names */
};

struct reg_row {
	const char *name;
	uint32_t off;      /* absolute, or engine-relative when rel */
	uint32_t len;      /* bytes */
	uint8_t engines;
	uint8_t gens;
	uint8_t rel;
	uint8_t owner;     /* enum gpu_reg_owner */
	uint8_t rule;      /* enum rule */
	uint16_t ctx_bits; /* RULE_MASKED: low bits the context owns */
	const char *why;
};

/*
 * The table.  Engine-relative rows first (RCS 0x2000, BCS 0x22000, VCS
 * 0x12000, VECS 0x1a000), then absolute rows by offset.
 */
static const struct reg_row rows[] = {
	/* ---- per engine, relative to the engine's register base ---- */
	{ .name = "RING_BUFFER", .off = 0x030, .len = 0x10, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "RING_TAIL/HEAD/START/CTL: where the engine fetches commands; the mediator "
		 "loads the shadow ring (the context image's copies are read and checked by the "
		 "mediator, never loaded from a command)" },
	{ .name = "RING_HWS_PGA", .off = 0x080, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "the engine's global status page address: the host's page, where "
		 "store-index and post-sync index writes land" },
	{ .name = "RING_NOPID", .off = 0x094, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = CONTEXT,
	  .why = "identification of the last MI_NOOP: any context sets it with MI_NOOP; "
		 "holds no host state" },
	{ .name = "MI_MODE", .off = 0x09c, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0,
	  .why = "masked; stop-ring and engine control of the engine the host schedules, "
		 "not in the context image" },
	{ .name = "RING_IMR", .off = 0x0a8, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "the engine's interrupt mask: the host's interrupt handling" },
	{ .name = "RING_BB_STATE", .off = 0x100, .len = 0x70, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "BB_STATE, SBB_ADDR/STATE, BB_ADDR(_UDW): in the ring context, but a write "
		 "redirects the batch the engine is fetching past the scanner" },
	{ .name = "RING_CTX_PTRS", .off = 0x1c0, .len = 0xc, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "BB_PER_CTX_PTR, INDIRECT_CTX(_OFFSET): batches run at context restore; the "
		 "mediator checks and shadows the context image's values" },
	{ .name = "RING_EXECLIST", .off = 0x230, .len = 0x10, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "execlist submit port and status: submission is the host's" },
	{ .name = "RING_CONTEXT_CONTROL", .off = 0x244, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0,
	  .why = "masked; restore-inhibit and save controls the mediator forces (gvt-g.md "
		 "§6.2: ctx_ctrl mask bits forced)" },
	{ .name = "RING_PDP", .off = 0x270, .len = 0x20, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "PPGTT root pointers: in the context image, but the mediator substitutes the "
		 "shadow root; a written root walks unshadowed guest page tables" },
	{ .name = "RING_MODE", .off = 0x29c, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0,
	  .why = "GFX_MODE, masked: execlist enable, PPGTT mode and the bit that disables the "
		 "hardware privilege check on non-privileged batches (bit 0; bit 2 on later "
		 "Gen9 parts); engine-wide, not in the context" },
	{ .name = "RING_TIMESTAMP", .off = 0x358, .len = 8, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = SHARED,
	  .why = "free-running engine timestamp every context reads: a write moves the clock "
		 "of every vGPU" },
	{ .name = "RING_CSB", .off = 0x370, .len = 0x30, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST,
	  .why = "context status buffer: the host's record of context switches" },
	{ .name = "CTX_TIMESTAMP", .off = 0x3a8, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = CONTEXT,
	  .why = "context-local running time, saved and restored in the ring context" },
	{ .name = "FORCE_NONPRIV", .off = 0x4d0, .len = 0x30, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = HOST, .rule = RULE_NONPRIV,
	  .why = "12 slots opening a register to every context's non-privileged batches; the "
		 "host's whitelist: a value naming RING_NOPID (unused) or a context register "
		 "opens nothing another context could misuse, anything else is an escape" },
	{ .name = "CS_GPR", .off = 0x600, .len = 0x80, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .owner = CONTEXT,
	  .why = "16 64-bit command-streamer GPRs (MI_MATH operands), in the logical context" },

	/* ---- render engine, absolute ---- */
	{ .name = "INSTPM", .off = 0x20c0, .len = 4, .engines = E_RCS, .gens = G8,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0x0040,
	  .why = "masked; bit 6 (CONSTANT_BUFFER address offset disable) is the addressing "
		 "mode of this context's own draws (Mesa on Gen8); instruction disables, TLB "
		 "invalidate and sync flush are engine control" },
	{ .name = "INSTPM", .off = 0x20c0, .len = 4, .engines = E_RCS, .gens = G9,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0,
	  .why = "masked; engine control only on Gen9 (the constant-buffer bit moved to "
		 "CS_DEBUG_MODE2)" },
	{ .name = "CSFE_CHICKEN1", .off = 0x20d4, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0,
	  .why = "masked chicken bits of the command-streamer front end; bits 3 and 4 let one "
		 "engine reach another engine's registers" },
	{ .name = "CS_DEBUG_MODE2", .off = 0x20d8, .len = 4, .engines = E_RCS, .gens = G9,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0x0010,
	  .why = "masked; bit 4 (CONSTANT_BUFFER address offset disable) is this context's "
		 "addressing mode (Mesa on Gen9); the instruction disables are engine debug" },
	{ .name = "CS_INVOCATION_COUNT", .off = 0x2290, .len = 8, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "pipeline-statistics counter of this context's work, in the render context" },
	{ .name = "PIPELINE_STATISTICS", .off = 0x2300, .len = 0x58, .engines = E_RCS,
	  .gens = GALL, .owner = CONTEXT,
	  .why = "HS..PS invocation counters and PS_DEPTH_COUNT: statistics of this context's "
		 "work, in the render context" },
	{ .name = "MI_PREDICATE", .off = 0x2400, .len = 0x20, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "MI_PREDICATE_SRC0/SRC1/DATA/RESULT: operands of this context's conditional "
		 "rendering" },
	{ .name = "3DPRIM", .off = 0x2420, .len = 0x28, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "indirect 3DPRIMITIVE parameters, consumed by this context's draws" },
	{ .name = "GPGPU_DISPATCHDIM", .off = 0x2500, .len = 0xc, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "indirect GPGPU_WALKER sizes, consumed by this context's dispatches" },
	{ .name = "CS_CHICKEN1", .off = 0x2580, .len = 4, .engines = E_RCS, .gens = G9,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0x0007,
	  .why = "masked; bits 2:0 are this context's preemption granularity (replay mode), "
		 "which i915 opens to userspace (Mesa writes it per pipeline switch)" },
	{ .name = "SO_NUM_PRIMS_WRITTEN", .off = 0x5200, .len = 0x20, .engines = E_RCS,
	  .gens = GALL, .owner = CONTEXT,
	  .why = "transform-feedback counters of this context, in the render context" },
	{ .name = "SO_PRIM_STORAGE_NEEDED", .off = 0x5240, .len = 0x20, .engines = E_RCS,
	  .gens = GALL, .owner = CONTEXT,
	  .why = "transform-feedback counters of this context, in the render context" },
	{ .name = "SO_WRITE_OFFSET", .off = 0x5280, .len = 0x10, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "transform-feedback write offsets, in the render context" },
	{ .name = "CACHE_MODE_0", .off = 0x7000, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT, .rule = RULE_MASKED,
	  .why = "masked render cache tuning, in the render context image" },
	{ .name = "CACHE_MODE_1", .off = 0x7004, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT, .rule = RULE_MASKED,
	  .why = "masked render cache tuning (PMA fix, MSAA), in the render context image" },
	{ .name = "GT_MODE", .off = 0x7008, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT, .rule = RULE_MASKED,
	  .why = "masked slice/subslice hashing, in the render context image" },
	{ .name = "L3CNTLREG", .off = 0x7034, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = CONTEXT,
	  .why = "this context's L3 partition (SLM/URB/RO/DC), in the render context image" },
	{ .name = "SLICE_COMMON_ECO_CHICKEN1", .off = 0x731c, .len = 4, .engines = E_RCS,
	  .gens = G9, .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0x0080,
	  .why = "masked; bit 7 is this context's barrier mode (GLK, opened to userspace); "
		 "the other bits are workarounds" },

	/* ---- GTT, power, reset, global caches ---- */
	{ .name = "GAM", .off = 0x4000, .len = 0x1000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "GTT/TLB control, fault registers (FAULT_REG, GFX_ARB_ERROR_RPT), PPAT: "
		 "memory translation of every vGPU (CVE-2019-0155)" },
	{ .name = "GDRST", .off = 0x941c, .len = 4, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "graphics device reset: resets the engines every vGPU runs on" },
	{ .name = "GT_PM", .off = 0xa000, .len = 0x1000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "power management, RC6, frequency, forcewake (FORCEWAKE_MT: GVT-g discards "
		 "command writes to it)" },
	{ .name = "L3CC", .off = 0xb020, .len = 0x80, .engines = E_RCS, .gens = G9,
	  .owner = SWITCHED,
	  .why = "L3 cacheability table: global, not in the context image; GVT-g switches it "
		 "per vGPU" },
	{ .name = "L3SQCREG4", .off = 0xb118, .len = 4, .engines = E_RCS, .gens = GALL,
	  .owner = SWITCHED,
	  .why = "global L3 tuning, not in the context image; GVT-g switches it per vGPU" },
	{ .name = "MOCS_RCS", .off = 0xc800, .len = 0x100, .engines = E_RCS, .gens = G9,
	  .owner = SWITCHED,
	  .why = "render MOCS table: global caching attributes; GVT-g switches it per vGPU" },
	{ .name = "MOCS_VCS", .off = 0xc900, .len = 0x100, .engines = E_VCS, .gens = G9,
	  .owner = SWITCHED,
	  .why = "video MOCS table: global caching attributes; GVT-g switches it per vGPU" },
	{ .name = "MOCS_VECS", .off = 0xcb00, .len = 0x100, .engines = E_VECS, .gens = G9,
	  .owner = SWITCHED,
	  .why = "video-enhance MOCS table: global; GVT-g switches it per vGPU" },
	{ .name = "MOCS_BCS", .off = 0xcc00, .len = 0x100, .engines = E_BCS, .gens = G9,
	  .owner = SWITCHED,
	  .why = "blitter MOCS table: global; GVT-g switches it per vGPU" },

	/* ---- blitter, absolute ---- */
	{ .name = "BCS_SWCTRL", .off = 0x22200, .len = 4, .engines = E_BCS, .gens = GALL,
	  .owner = HOST, .rule = RULE_MASKED, .ctx_bits = 0x0003,
	  .why = "masked; bits 1:0 select Y-tiling of this context's blits (i915 opens them "
		 "to userspace); the rest is engine control" },

	/* ---- interrupts, display, fences, GTT flush, MCHBAR ---- */
	{ .name = "INTERRUPTS", .off = 0x44000, .len = 0x1000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "master IRQ (GEN8_MASTER_IRQ), GT/display IIR/IMR/IER/ISR, DERRMR: the "
		 "host's interrupt delivery" },
	{ .name = "DISPLAY", .off = 0x45000, .len = 0xb000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "display power wells, DBUF, clocks" },
	{ .name = "DISPLAY_PIPES", .off = 0x60000, .len = 0x18000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "display pipes, planes, transcoders, ports: scan-out of the host's screen" },
	{ .name = "PVINFO", .off = 0x78000, .len = 0x1000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "the vGPU paravirtual info page: the mediator's, trapped, never hardware" },
	{ .name = "DISPLAY_PIPES_HI", .off = 0x79000, .len = 0x7000, .engines = E_ALL,
	  .gens = GALL, .owner = HOST,
	  .why = "display pipes, planes, transcoders, ports" },
	{ .name = "DMC", .off = 0x80000, .len = 0x3000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "display microcontroller (CSR/DMC) firmware" },
	{ .name = "PCH", .off = 0xc0000, .len = 0x40000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "south display / PCH" },
	{ .name = "FENCE", .off = 0x100000, .len = 0x100, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "fence registers: detiling of every vGPU's CPU access through the aperture" },
	{ .name = "GTT_FLUSH", .off = 0x101000, .len = 0x1000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "GFX_FLSH_CNTL and GTT flush control" },
	{ .name = "MCHBAR", .off = 0x140000, .len = 0x40000, .engines = E_ALL, .gens = GALL,
	  .owner = HOST,
	  .why = "MCHBAR mirror: memory controller" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct reg_row other_engine_row = {
	.name = NULL, .owner = SHARED,
	.why = "another engine's register block: it belongs to the context running on that "
	       "engine, which may be another vGPU's",
};
static const struct reg_row default_row = {
	.name = NULL, .owner = HOST,
	.why = "in no row: the host's (the hardware saves only a fixed set of registers with "
	       "a context, and the command streamer writes MMIO with the host's privilege)",
};

static const uint32_t engine_base[GPU_NUM_ENGINES] = {
	[GPU_RCS] = 0x2000, [GPU_BCS] = 0x22000, [GPU_VCS] = 0x12000, [GPU_VECS] = 0x1a000,
};
#define VCS2_BASE    0x1c000u
#define ENGINE_BLOCK 0x1000u

/* ------------------------------------------------------------ resolution */

struct reg_span {
	uint32_t start, end; /* [start, end) */
	const struct reg_row *row;
};

struct gpui_reg_table {
	struct reg_span span[NROWS];
	unsigned n;
	unsigned gen;            /* 0: Gen8, 1: Gen9 */
	enum gpu_engine engine;
};

static struct gpui_reg_table tables[2][GPU_NUM_ENGINES];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int span_cmp(const void *a, const void *b)
{
	const struct reg_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void build(void)
{
	for (unsigned g = 0; g < 2; g++) {
		for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
			struct gpui_reg_table *t = &tables[g][e];
			t->gen = g;
			t->engine = (enum gpu_engine)e;
			for (unsigned i = 0; i < NROWS; i++) {
				const struct reg_row *r = &rows[i];
				if (!(r->gens & (1u << g)) || !(r->engines & (1u << e)))
					continue;
				uint32_t start = r->off + (r->rel ? engine_base[e] : 0);
				t->span[t->n++] = (struct reg_span){ start, start + r->len, r };
			}
			qsort(t->span, t->n, sizeof(t->span[0]), span_cmp);
		}
	}
}

const struct gpui_reg_table *gpui_reg_table(enum gpu_gen gen, enum gpu_engine e)
{
	if ((gen != GPU_GEN8 && gen != GPU_GEN9) || (unsigned)e >= GPU_NUM_ENGINES)
		return NULL;
	pthread_once(&tables_once, build);
	return &tables[gen == GPU_GEN8 ? 0 : 1][e];
}

static const struct reg_span *find(const struct gpui_reg_table *t, uint32_t reg)
{
	unsigned lo = 0, hi = t->n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (reg < t->span[mid].start)
			hi = mid;
		else if (reg >= t->span[mid].end)
			lo = mid + 1;
		else
			return &t->span[mid];
	}
	return NULL;
}

/* The row covering reg on the table's engine; else, as *foreign, a row of
 * another engine (its register: the host's when that row says so, else
 * the context's running there) or that engine's register block; else the
 * default. */
static const struct reg_row *row_of(const struct gpui_reg_table *t, uint32_t reg, bool *foreign)
{
	const struct reg_span *s = find(t, reg);
	*foreign = false;
	if (s)
		return s->row;
	for (unsigned e = 0; e < GPU_NUM_ENGINES; e++) {
		if (e == (unsigned)t->engine)
			continue;
		s = find(&tables[t->gen][e], reg);
		if (s || reg - engine_base[e] < ENGINE_BLOCK) {
			*foreign = true;
			return s && s->row->owner == GPU_REG_HOST ? s->row : &other_engine_row;
		}
	}
	if (reg - VCS2_BASE < ENGINE_BLOCK) {
		*foreign = true;
		return &other_engine_row;
	}
	return &default_row;
}

static enum gpu_escape_why why_of(enum gpu_reg_owner o)
{
	return o == GPU_REG_HOST ? GPU_WHY_REG_HOST : GPU_WHY_REG_SHARED;
}

/* Plain ownership, bits aside. */
static bool owner_ok(enum gpu_reg_owner o, bool switched)
{
	return o == GPU_REG_CONTEXT || (o == GPU_REG_SWITCHED && switched);
}

bool gpui_reg_judge(const struct gpui_reg_table *t, uint32_t reg, uint32_t value,
		    bool switched, enum gpu_escape_why *why)
{
	bool foreign;
	const struct reg_row *r = row_of(t, reg, &foreign);
	enum gpu_reg_owner o = (enum gpu_reg_owner)r->owner;
	if (foreign) {
		/* Another engine's register: never this vGPU's (a masked write
		 * enabling nothing aside).  Its context bits belong to whatever
		 * context runs there (shared). */
		if (r->rule == RULE_MASKED && !(value >> 16))
			return true;
		bool ctx_bits_only = r->rule == RULE_MASKED && !((value >> 16) & (uint16_t)~r->ctx_bits);
		*why = ctx_bits_only ? GPU_WHY_REG_SHARED : why_of(o);
		return false;
	}
	switch (r->rule) {
	case RULE_MASKED:
		/* A write enabling only context bits, or none (it changes
		 * nothing), stays within the vGPU. */
		if (owner_ok(o, switched) || !((value >> 16) & (uint16_t)~r->ctx_bits))
			return true;
		break;
	case RULE_NONPRIV: {
		/* The slot holds a register offset; it may open one whose
		 * every bit belongs to the context (RING_NOPID: unused). */
		if (!(value & ~0x7ffffcu)) {
			bool tf;
			const struct reg_row *tr = row_of(t, value, &tf);
			if (!tf && tr->owner == GPU_REG_CONTEXT)
				return true;
		}
		break;
	}
	default:
		if (owner_ok(o, switched))
			return true;
		break;
	}
	*why = o == GPU_REG_SWITCHED ? GPU_WHY_REG_SHARED : why_of(o);
	return false;
}

/* ------------------------------------------------------------ public */

static void fill(const struct gpui_reg_table *t, uint32_t reg, struct gpu_reg_fact *out)
{
	bool foreign;
	const struct reg_row *r = row_of(t, reg, &foreign);
	const struct reg_span *s = foreign ? NULL : find(t, reg);
	memset(out, 0, sizeof(*out));
	out->name = r->name;
	out->why = r->why;
	out->owner = (enum gpu_reg_owner)r->owner;
	if (foreign) {
		/* Another engine's register: no bit of it is this engine's. */
		if (r->owner == GPU_REG_HOST)
			out->why = "another engine's register, the host's on that engine";
		out->first = out->last = reg;
		return;
	}
	out->masked = r->rule == RULE_MASKED;
	out->ctx_bits = r->rule != RULE_MASKED ? 0
			: r->owner == GPU_REG_CONTEXT ? 0xffff : r->ctx_bits;
	out->nonpriv = r->rule == RULE_NONPRIV;
	if (s) {
		out->first = s->start;
		out->last = s->end - 1;
	} else {
		out->first = out->last = reg;
	}
}

int gpu_reg_fact(enum gpu_gen gen, enum gpu_engine e, uint32_t reg, struct gpu_reg_fact *out)
{
	const struct gpui_reg_table *t = gpui_reg_table(gen, e);
	if (!t || !out || (reg & 3) || reg >= GPU_REG_LIMIT)
		return -EINVAL;
	fill(t, reg, out);
	return 0;
}

int gpu_reg_judge(enum gpu_gen gen, enum gpu_engine e, uint32_t reg, uint32_t value,
		  bool switched, enum gpu_escape_why *why)
{
	const struct gpui_reg_table *t = gpui_reg_table(gen, e);
	if (!t || (reg & 3) || reg >= GPU_REG_LIMIT)
		return -EINVAL;
	enum gpu_escape_why w = GPU_WHY_REG_HOST;
	if (gpui_reg_judge(t, reg, value, switched, &w))
		return 0;
	if (why)
		*why = w;
	return 1;
}

size_t gpu_reg_rows(void)
{
	return NROWS;
}

int gpu_reg_row(size_t i, struct gpu_reg_row *out)
{
	if (i >= NROWS || !out)
		return -EINVAL;
	const struct reg_row *r = &rows[i];
	memset(out, 0, sizeof(*out));
	out->name = r->name;
	out->why = r->why;
	out->offset = r->off;
	out->len = r->len;
	out->rel = r->rel;
	out->engines = r->engines;
	out->gen8 = r->gens & G8;
	out->gen9 = r->gens & G9;
	out->owner = (enum gpu_reg_owner)r->owner;
	out->masked = r->rule == RULE_MASKED;
	out->ctx_bits = r->rule != RULE_MASKED ? 0
			: r->owner == GPU_REG_CONTEXT ? 0xffff : r->ctx_bits;
	out->nonpriv = r->rule == RULE_NONPRIV;
	return 0;
}

const char *gpu_reg_owner_name(enum gpu_reg_owner o)
{
	switch (o) {
	case GPU_REG_HOST: return "host";
	case GPU_REG_SHARED: return "shared";
	case GPU_REG_SWITCHED: return "switched";
	case GPU_REG_CONTEXT: return "context";
	}
	return "?";
}
