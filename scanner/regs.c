/* SPDX-License-Identifier: MIT */
/*
 * The register allow-list: which MMIO registers a guest's commands (LRI,
 * LRM, SRM, LRR, PIPE_CONTROL's MMIO write and post-sync counter reads) may
 * reach, per engine and per direction, each row with the reason it is safe.
 * Everything not listed is denied.  docs/REGISTERS.md mirrors this table.
 *
 * Rows are either absolute offsets valid on the listed engines, or offsets
 * relative to the engine's register base (RCS 0x2000, BCS 0x22000, VCS
 * 0x12000, VECS 0x1a000; VCS2 0x1c000 is not an engine vgt scans) where
 * the hardware repeats the register per engine.
 *
 * Lookup: per (generation, engine), the rows are resolved once into a
 * sorted array of absolute [start, end) ranges and searched by bisection.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/audit_priv.h"

#define G8 1u
#define G9 2u
#define GALL (G8 | G9)

#define E_RCS SCAN_ENGINE_BIT(SCAN_RCS)
#define E_BCS SCAN_ENGINE_BIT(SCAN_BCS)
#define E_VCS SCAN_ENGINE_BIT(SCAN_VCS)
#define E_VECS SCAN_ENGINE_BIT(SCAN_VECS)
#define E_ALL SCAN_ENGINES_ALL

#define A_R 1u
#define A_W 2u
#define A_RW 3u

/* Value checks for writes. */
enum reg_check {
	RC_NONE = 0,
	RC_MASKED,  /* masked register: may change only `wmask`, never set `deny_set` */
	RC_NONPRIV, /* FORCE_NONPRIV slot: value must name an allowed register */
};

struct reg_row {
	const char *name;
	uint32_t off;        /* absolute, or engine-relative when rel */
	uint32_t len;        /* bytes */
	uint8_t engines;
	uint8_t gens;
	uint8_t rel;
	uint8_t acc;         /* strict: A_R / A_W / A_RW / 0 */
	uint8_t gvt;         /* GVT-g: LRI may write it (F_CMD_ACCESS) */
	uint8_t check;       /* enum reg_check */
	uint16_t wmask;      /* RC_MASKED: low bits a guest may change */
	uint16_t deny_set;   /* RC_MASKED: bits a guest may never set */
	uint16_t deny_set_g9;/* RC_MASKED: extra never-set bits on Gen9 */
	uint16_t trap;       /* reason when a deny_set bit is set */
	const char *why;
};

/*
 * The allow-list.  Sorted by engine-relative rows first, then absolute
 * offset.  `acc` is what the strict (and audit) policy admits; `gvt` what
 * GVT-g's F_CMD_ACCESS attribute admits for LRI according to the fact sheet
 * (its SRM/LRM and LRR filters are applied in code, below).
 */
static const struct reg_row reg_rows[] = {
	/* ---- per engine, relative to the engine's register base ---- */
	{ .name = "RING_NOPID", .off = 0x094, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_R,
	  .why = "identification number of the last MI_NOOP; a plain read" },
	{ .name = "MI_MODE", .off = 0x09c, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = 0, .gvt = 1,
	  .why = "ring stop / engine control of the host's engine: denied (GVT-g allows it)" },
	{ .name = "RING_MODE", .off = 0x29c, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_W, .gvt = 1, .check = RC_MASKED, .wmask = 0,
	  .deny_set = 0x0001, .deny_set_g9 = 0x0004, .trap = SCAN_R_REG_PRIV_DISABLE,
	  .why = "GFX_MODE: only a write that changes nothing is accepted; bit 0 (bit 2 on "
		 "CFL/CML) disables the hardware privilege check on non-privileged batches" },
	{ .name = "RING_TIMESTAMP", .off = 0x358, .len = 8, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_R, .gvt = 1,
	  .why = "free-running engine timestamp (timer queries); reading has no side effect" },
	{ .name = "CTX_TIMESTAMP", .off = 0x3a8, .len = 4, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_R, .gvt = 1,
	  .why = "context-local running time, saved in the context (i915 whitelists it: 273500ae7171)" },
	{ .name = "FORCE_NONPRIV", .off = 0x4d0, .len = 0x30, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_W, .gvt = 1, .check = RC_NONPRIV,
	  .why = "opens one register to non-privileged batches: accepted only when the value "
		 "names a register this engine's allow-list admits for writing, or RING_NOPID" },
	{ .name = "CS_GPR", .off = 0x600, .len = 0x80, .engines = E_ALL, .gens = GALL,
	  .rel = 1, .acc = A_RW, .gvt = 1,
	  .why = "16 64-bit command-streamer GPRs (MI_MATH operands), saved in the logical "
		 "context; hold only what this context put there" },

	/* ---- render engine, absolute ---- */
	{ .name = "INSTPM", .off = 0x20c0, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_W, .gvt = 1, .check = RC_MASKED, .wmask = 0x0040,
	  .why = "masked; only bit 6 (constant buffer address offset disable, Mesa on Gen8) "
		 "may change; the TLB-invalidate and sync bits stay the host's" },
	{ .name = "CSFE_CHICKEN1", .off = 0x20d4, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_W, .gvt = 1, .check = RC_MASKED, .wmask = 0,
	  .deny_set = 0x0018, .trap = SCAN_R_REG_CROSS_ENGINE,
	  .why = "masked; bits 3 and 4 let one engine reach another engine's registers: "
		 "only a write that changes nothing is accepted" },
	{ .name = "CS_DEBUG_MODE2", .off = 0x20d8, .len = 4, .engines = E_RCS, .gens = G9,
	  .acc = A_W, .gvt = 1, .check = RC_MASKED, .wmask = 0x0010,
	  .why = "masked, in the render context image; only bit 4 (constant buffer address "
		 "offset disable, Mesa on Gen9) may change" },
	{ .name = "CS_INVOCATION_COUNT", .off = 0x2290, .len = 8, .engines = E_RCS, .gens = GALL,
	  .acc = A_R,
	  .why = "pipeline-statistics counter (compute shader invocations) read by queries" },
	{ .name = "PIPELINE_STATISTICS", .off = 0x2300, .len = 0x58, .engines = E_RCS, .gens = GALL,
	  .acc = A_R,
	  .why = "HS/DS/IA/VS/GS/CL/PS counters and PS_DEPTH_COUNT (occlusion): reads for "
		 "queries and PIPE_CONTROL depth-count writes; no side effect" },
	{ .name = "MI_PREDICATE", .off = 0x2400, .len = 0x20, .engines = E_RCS, .gens = GALL,
	  .acc = A_RW, .gvt = 1,
	  .why = "MI_PREDICATE_SRC0/SRC1/DATA/RESULT: operands of conditional rendering, "
		 "context state" },
	{ .name = "3DPRIM", .off = 0x2420, .len = 0x28, .engines = E_RCS, .gens = GALL,
	  .acc = A_RW, .gvt = 1,
	  .why = "3DPRIM_END_OFFSET..BASE_VERTEX: parameters of an indirect 3DPRIMITIVE, "
		 "consumed by this context's draws only" },
	{ .name = "GPGPU_DISPATCHDIM", .off = 0x2500, .len = 0xc, .engines = E_RCS, .gens = GALL,
	  .acc = A_RW, .gvt = 1,
	  .why = "GPGPU_DISPATCHDIMX/Y/Z: sizes of an indirect GPGPU_WALKER (DispatchIndirect)" },
	{ .name = "CS_CHICKEN1", .off = 0x2580, .len = 4, .engines = E_RCS, .gens = G9,
	  .acc = A_W, .gvt = 1, .check = RC_MASKED, .wmask = 0x0003,
	  .why = "masked, in the render context image; bits 1:0 select this context's "
		 "preemption granularity (Mesa writes them per pipeline switch)" },
	{ .name = "SO_NUM_PRIMS_WRITTEN", .off = 0x5200, .len = 0x20, .engines = E_RCS, .gens = GALL,
	  .acc = A_R,
	  .why = "transform-feedback counters read by queries" },
	{ .name = "SO_PRIM_STORAGE_NEEDED", .off = 0x5240, .len = 0x20, .engines = E_RCS,
	  .gens = GALL, .acc = A_R,
	  .why = "transform-feedback counters read by queries" },
	{ .name = "SO_WRITE_OFFSET", .off = 0x5280, .len = 0x10, .engines = E_RCS, .gens = GALL,
	  .acc = A_RW, .gvt = 1,
	  .why = "transform-feedback write offsets, context state (pause/resume)" },
	{ .name = "CACHE_MODE_0", .off = 0x7000, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_W, .gvt = 1,
	  .why = "masked render cache tuning, in the render context image" },
	{ .name = "CACHE_MODE_1", .off = 0x7004, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_W, .gvt = 1,
	  .why = "masked render cache tuning (PMA fix, MSAA), in the render context image" },
	{ .name = "GT_MODE", .off = 0x7008, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_W, .gvt = 1,
	  .why = "masked subslice hashing mode, in the render context image" },
	{ .name = "L3CNTLREG", .off = 0x7034, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = A_RW, .gvt = 0,
	  .why = "L3 partition (URB/DC/RO/all) of this context, in the render context image; "
		 "written by iris in the first batch of every context (GVT-g refuses it)" },
	{ .name = "L3CC", .off = 0xb020, .len = 0x80, .engines = E_RCS, .gens = G9,
	  .acc = A_W, .gvt = 1,
	  .why = "L3 cacheability (MOCS) table: caching attributes only, switched per vGPU "
		 "by the mediator's MMIO context switch; the guest kernel programs it by LRI" },
	{ .name = "L3SQCREG4", .off = 0xb118, .len = 4, .engines = E_RCS, .gens = GALL,
	  .acc = 0, .gvt = 1,
	  .why = "global L3 tuning not in the context image: denied (GVT-g allows it)" },
	{ .name = "MOCS_RCS", .off = 0xc800, .len = 0x100, .engines = E_RCS, .gens = G9,
	  .acc = A_W, .gvt = 1,
	  .why = "render MOCS table: caching attributes only, switched per vGPU by the "
		 "mediator; the guest kernel programs it by LRI" },
	{ .name = "MOCS_VCS", .off = 0xc900, .len = 0x100, .engines = E_VCS, .gens = G9,
	  .acc = A_W, .gvt = 1,
	  .why = "video MOCS table: caching attributes only, switched per vGPU" },
	{ .name = "MOCS_VECS", .off = 0xcb00, .len = 0x100, .engines = E_VECS, .gens = G9,
	  .acc = A_W, .gvt = 1,
	  .why = "video-enhance MOCS table: caching attributes only, switched per vGPU" },
	{ .name = "MOCS_BCS", .off = 0xcc00, .len = 0x100, .engines = E_BCS, .gens = G9,
	  .acc = A_W, .gvt = 1,
	  .why = "blitter MOCS table: caching attributes only, switched per vGPU" },

	/* ---- video engine, absolute ---- */
	{ .name = "VCS_CODEC_STATUS", .off = 0x12800, .len = 0x158, .engines = E_VCS,
	  .gens = GALL, .acc = A_R,
	  .why = "MFX/MFC status (error flags, CRC, MB count, bitstream byte counts, image "
		 "status) of this engine's last job; iHD reads them with SRM" },
	{ .name = "HCP_STATUS", .off = 0x1e900, .len = 0x100, .engines = E_VCS, .gens = G9,
	  .acc = A_R,
	  .why = "HEVC (HCP) decode/encode status of this engine's last job; iHD reads "
		 "0x1e900/0x1e904 with SRM" },

	/* ---- blitter, absolute ---- */
	{ .name = "BCS_SWCTRL", .off = 0x22200, .len = 4, .engines = E_BCS, .gens = GALL,
	  .acc = A_RW, .gvt = 1, .check = RC_MASKED, .wmask = 0x0003,
	  .why = "masked; bits 1:0 select Y-tiling of source/destination (i915's Gen9 "
		 "blitter whitelist)" },
};

/* Blocks no command may touch, named for the diagnostics (everything not
 * allow-listed is denied anyway; these get SCAN_R_REG_PROTECTED). */
struct reg_block {
	const char *name;
	uint32_t start, end; /* [start, end), absolute or engine-relative */
	uint8_t rel;
};

static const struct reg_block reg_blocks[] = {
	{ "ring buffer registers (TAIL/HEAD/START/CTL)", 0x030, 0x040, 1 },
	{ "status page address (HWS_PGA)", 0x080, 0x084, 1 },
	{ "batch-buffer state (BB_ADDR, BB_STATE, SBB)", 0x100, 0x170, 1 },
	{ "execlist submit port / status", 0x230, 0x240, 1 },
	{ "context control", 0x244, 0x248, 1 },
	{ "page-directory pointers (would bypass the shadow page tables)", 0x270, 0x290, 1 },
	{ "context status buffer", 0x370, 0x3a0, 1 },
	{ "GAM: GTT/TLB control, fault registers, PPAT", 0x4000, 0x5000, 0 },
	{ "power management, RC6, forcewake", 0xa000, 0xb000, 0 },
	{ "interrupt control (GT/display IIR/IMR/IER/ISR, DERRMR)", 0x44000, 0x45000, 0 },
	{ "display (power wells, DBUF, clocks)", 0x45000, 0x50000, 0 },
	{ "display (pipes, planes, transcoders, ports)", 0x60000, 0x78000, 0 },
	{ "PVINFO (vGPU paravirtual info page)", 0x78000, 0x79000, 0 },
	{ "display (pipes, planes, transcoders, ports)", 0x79000, 0x80000, 0 },
	{ "display microcontroller (CSR/DMC) firmware", 0x80000, 0x83000, 0 },
	{ "south display / PCH", 0xc0000, 0x100000, 0 },
	{ "fence registers", 0x100000, 0x100100, 0 },
	{ "GTT flush control", 0x101000, 0x102000, 0 },
	{ "MCHBAR mirror", 0x140000, 0x180000, 0 },
};

static const uint32_t engine_base[SCAN_NUM_ENGINES] = {
	[SCAN_RCS] = 0x2000, [SCAN_BCS] = 0x22000, [SCAN_VCS] = 0x12000, [SCAN_VECS] = 0x1a000,
};
#define VCS2_BASE 0x1c000u
#define ENGINE_BLOCK 0x1000u
#define MMIO_SIZE (2u << 20)

uint32_t scan_engine_mmio_base(enum scan_engine e)
{
	return (unsigned)e < SCAN_NUM_ENGINES ? engine_base[e] : 0;
}

/* ------------------------------------------------------------ resolution */

struct range {
	uint32_t start, end;
	const struct reg_row *row;
	const struct reg_block *blk;
};

#define NROWS (sizeof(reg_rows) / sizeof(reg_rows[0]))
#define NBLKS (sizeof(reg_blocks) / sizeof(reg_blocks[0]))

struct eng_table {
	struct range rows[NROWS];
	unsigned nrows;
	struct range blks[NBLKS];
	unsigned nblks;
};

static struct eng_table tables[2][SCAN_NUM_ENGINES];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void build_tables(void)
{
	for (unsigned g = 0; g < 2; g++) {
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			struct eng_table *t = &tables[g][e];

			for (unsigned i = 0; i < NROWS; i++) {
				const struct reg_row *r = &reg_rows[i];

				if (!(r->gens & (1u << g)) || !(r->engines & (1u << e)))
					continue;
				uint32_t start = r->off + (r->rel ? engine_base[e] : 0);
				t->rows[t->nrows++] = (struct range){ start, start + r->len, r, NULL };
			}
			for (unsigned i = 0; i < NBLKS; i++) {
				const struct reg_block *b = &reg_blocks[i];
				uint32_t add = b->rel ? engine_base[e] : 0;

				t->blks[t->nblks++] = (struct range){ b->start + add, b->end + add,
								      NULL, b };
			}
			qsort(t->rows, t->nrows, sizeof(t->rows[0]), range_cmp);
			qsort(t->blks, t->nblks, sizeof(t->blks[0]), range_cmp);
		}
	}
}

static const struct range *find(const struct range *v, unsigned n, uint32_t off)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (off < v[mid].start)
			hi = mid;
		else if (off >= v[mid].end)
			lo = mid + 1;
		else
			return &v[mid];
	}
	return NULL;
}

static const struct eng_table *table_for(enum scan_gen gen, enum scan_engine eng)
{
	pthread_once(&tables_once, build_tables);
	return &tables[gen == SCAN_GEN8 ? 0 : 1][eng];
}

/* Another engine owns this offset: its register block, or one of its rows. */
static const char *other_engine(enum scan_gen gen, enum scan_engine eng, uint32_t off)
{
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		if (e == (unsigned)eng)
			continue;
		if (off - engine_base[e] < ENGINE_BLOCK)
			return scan_engine_name((enum scan_engine)e);
		if (find(table_for(gen, (enum scan_engine)e)->rows,
			 table_for(gen, (enum scan_engine)e)->nrows, off))
			return scan_engine_name((enum scan_engine)e);
	}
	if (off - VCS2_BASE < ENGINE_BLOCK)
		return "vcs2";
	return NULL;
}

static const char *op_verb(enum reg_op op)
{
	switch (op) {
	case REGOP_LRI: return "LRI writes";
	case REGOP_LRM: return "LRM loads";
	case REGOP_SRM: return "SRM reads";
	case REGOP_LRR_SRC: return "LRR reads";
	case REGOP_LRR_DST: return "LRR writes";
	case REGOP_PC_WRITE: return "PIPE_CONTROL writes";
	case REGOP_POSTSYNC_READ: return "post-sync op reads";
	}
	return "accesses";
}

static bool op_writes(enum reg_op op)
{
	return op == REGOP_LRI || op == REGOP_LRM || op == REGOP_LRR_DST || op == REGOP_PC_WRITE;
}

static bool op_value_known(enum reg_op op)
{
	return op == REGOP_LRI || op == REGOP_PC_WRITE;
}

/* GVT-g's v5.12+ filters (fact sheet §3.1 steps 4-5). */
static bool gvt_srm_lrm_ok(enum scan_gen gen, uint32_t off)
{
	return off == 0xb118 || off == 0x21f0 || (gen == SCAN_GEN8 && off == 0x20c0);
}

#define MSG(...) do { if (msg && msglen) snprintf(msg, msglen, __VA_ARGS__); } while (0)

static uint16_t check_value(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			    const struct range *rg, uint32_t off, enum reg_op op,
			    uint32_t value, char *msg, size_t msglen)
{
	const struct reg_row *r = rg->row;

	if (r->check == RC_MASKED) {
		uint16_t deny = r->deny_set | (gen == SCAN_GEN9 ? r->deny_set_g9 : 0);
		uint16_t wmask = pol == SCAN_POLICY_GVT ? (uint16_t)~deny : r->wmask;

		if (!op_value_known(op)) {
			if (wmask == 0xffff && !deny)
				return SCAN_R_NONE;
			MSG("%s %s (0x%x) from a value the scanner cannot see: the row restricts "
			    "its bits", op_verb(op), r->name, off);
			return SCAN_R_REG_VALUE;
		}
		uint16_t m = value >> 16, v = value & 0xffff;
		if (m & v & deny) {
			MSG("%s %s (0x%x) = 0x%08x: sets bit(s) 0x%x (%s)", op_verb(op), r->name,
			    off, value, m & v & deny,
			    r->trap == SCAN_R_REG_PRIV_DISABLE
				    ? "disables the privilege check on non-privileged batches"
				    : "cross-engine register access");
			return r->trap;
		}
		if (m & ~(wmask | deny)) {
			MSG("%s %s (0x%x) = 0x%08x: changes masked bit(s) 0x%x; only 0x%x may change",
			    op_verb(op), r->name, off, value, m & ~(wmask | deny), wmask);
			return SCAN_R_REG_VALUE;
		}
		return SCAN_R_NONE;
	}
	if (r->check == RC_NONPRIV) {
		if (!op_value_known(op)) {
			MSG("%s FORCE_NONPRIV slot 0x%x from memory: the value cannot be checked",
			    op_verb(op), off);
			return SCAN_R_REG_NONPRIV;
		}
		uint32_t target = value;
		uint32_t nopid = engine_base[eng] + 0x94;

		if (target == nopid)
			return SCAN_R_NONE;
		if (!(target & ~0x7ffffcu) && target < MMIO_SIZE) {
			const struct eng_table *t = table_for(gen, eng);
			const struct range *tr = find(t->rows, t->nrows, target);

			if (tr && tr->row->check == RC_NONE &&
			    (pol == SCAN_POLICY_GVT ? tr->row->gvt : (tr->row->acc & A_W)))
				return SCAN_R_NONE;
		}
		MSG("%s FORCE_NONPRIV slot 0x%x = 0x%08x: would open a register outside the "
		    "allow-list to non-privileged batches", op_verb(op), off, value);
		return SCAN_R_REG_NONPRIV;
	}
	return SCAN_R_NONE;
}

static uint16_t reg_audit(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			  uint32_t off, enum reg_op op, uint32_t value, char *msg, size_t msglen)
{
	bool write = op_writes(op);

	if ((unsigned)eng >= SCAN_NUM_ENGINES)
		return SCAN_R_REG_RANGE;
	if ((off & 3) || off >= MMIO_SIZE) {
		MSG("%s register 0x%x: outside the 2 MiB MMIO space or not dword aligned",
		    op_verb(op), off);
		return SCAN_R_REG_RANGE;
	}

	const struct eng_table *t = table_for(gen, eng);
	const struct range *rg = find(t->rows, t->nrows, off);

	if (pol == SCAN_POLICY_GVT) {
		/* GVT-g: PIPE_CONTROL register writes are accepted (a TODO in
		 * its code); SRM/LRM and LRR have their own short lists. */
		if (op == REGOP_PC_WRITE || op == REGOP_POSTSYNC_READ)
			return SCAN_R_NONE;
		if (op == REGOP_SRM || op == REGOP_LRM) {
			if (gvt_srm_lrm_ok(gen, off))
				return SCAN_R_NONE;
			MSG("%s register 0x%x: GVT-g lets SRM/LRM reach only 0xb118, 0x21f0 "
			    "(and INSTPM on BDW)", op_verb(op), off);
			return write ? SCAN_R_REG_WRITE : SCAN_R_REG_READ;
		}
		if (op == REGOP_LRR_SRC || op == REGOP_LRR_DST) {
			if (gen == SCAN_GEN8 && off == 0x215c)
				return SCAN_R_NONE;
			MSG("%s register 0x%x: GVT-g lets LRR reach only 0x215c on BDW",
			    op_verb(op), off);
			return write ? SCAN_R_REG_WRITE : SCAN_R_REG_READ;
		}
		if (rg && rg->row->gvt)
			return check_value(gen, eng, pol, rg, off, op, value, msg, msglen);
		MSG("%s register 0x%x: not command-accessible in GVT-g's MMIO table",
		    op_verb(op), off);
		return SCAN_R_REG_WRITE;
	}

	if (rg) {
		unsigned need = write ? A_W : A_R;

		if ((rg->row->acc & need) && write)
			return check_value(gen, eng, pol, rg, off, op, value, msg, msglen);
		if (rg->row->acc & need)
			return SCAN_R_NONE; /* value rules restrict writes only */
		MSG("%s %s (0x%x): the allow-list admits it only for %s (%s)", op_verb(op),
		    rg->row->name, off,
		    rg->row->acc == A_R ? "reading" : rg->row->acc == A_W ? "writing" : "nothing",
		    rg->row->why);
		return write ? SCAN_R_REG_WRITE : SCAN_R_REG_READ;
	}
	const struct range *bl = find(t->blks, t->nblks, off);
	if (bl) {
		MSG("%s register 0x%x: %s", op_verb(op), off, bl->blk->name);
		return SCAN_R_REG_PROTECTED;
	}
	const char *other = other_engine(gen, eng, off);
	if (other) {
		MSG("%s register 0x%x of the %s engine from %s", op_verb(op), off, other,
		    scan_engine_name(eng));
		return SCAN_R_REG_CROSS_ENGINE;
	}
	MSG("%s register 0x%x: not in the %s allow-list", op_verb(op), off,
	    scan_engine_name(eng));
	return write ? SCAN_R_REG_WRITE : SCAN_R_REG_READ;
}

_Atomic(scan_reg_seam_fn) scan_reg_seam;

uint16_t scan_reg_audit(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			uint32_t off, enum reg_op op, uint32_t value, char *msg, size_t msglen)
{
	uint16_t r = reg_audit(gen, eng, pol, off, op, value, msg, msglen);

	if (r != SCAN_R_NONE) { /* cold: the test seam is read on denials only */
		scan_reg_seam_fn seam = atomic_load_explicit(&scan_reg_seam, memory_order_relaxed);

		if (seam && seam(gen, eng, off, op_writes(op), value))
			return SCAN_R_NONE;
	}
	return r;
}

/* Row (or protected block) that covers `offset`, for a verdict. */
static void describe_row(enum scan_gen gen, enum scan_engine eng, uint32_t offset,
			 struct scan_reg_verdict *out)
{
	if (offset < MMIO_SIZE) {
		const struct eng_table *t = table_for(gen, eng);
		const struct range *rg = find(t->rows, t->nrows, offset);

		if (rg) {
			out->row = rg->row->name;
			out->why = rg->row->why;
			out->row_start = rg->start;
			out->row_end = rg->end;
		} else if ((rg = find(t->blks, t->nblks, offset))) {
			out->row = rg->blk->name;
			out->row_start = rg->start;
			out->row_end = rg->end;
		}
	}
}

void scan_reg_check_write(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			  uint32_t offset, uint32_t value, struct scan_reg_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if ((unsigned)eng >= SCAN_NUM_ENGINES) {
		out->reason = SCAN_R_REG_RANGE;
		return;
	}
	out->reason = scan_reg_audit(gen, eng, pol, offset, REGOP_LRI, value, NULL, 0);
	describe_row(gen, eng, offset, out);
}

void scan_reg_check(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
		    uint32_t offset, bool write, struct scan_reg_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if ((unsigned)eng >= SCAN_NUM_ENGINES) {
		out->reason = SCAN_R_REG_RANGE;
		return;
	}
	/* Direction only: value checks need a value, so the write is asked as
	 * an LRI of 0 (a masked write that changes nothing). */
	enum reg_op op = write ? REGOP_LRI : REGOP_SRM;

	out->reason = scan_reg_audit(gen, eng, pol, offset, op, 0, NULL, 0);
	if (write && out->reason == SCAN_R_REG_NONPRIV)
		out->reason = SCAN_R_NONE; /* the slot itself is writable */
	describe_row(gen, eng, offset, out);
}

unsigned scan_reg_rows(void)
{
	return NROWS;
}

void scan_reg_row(unsigned i, struct scan_reg_row_info *out)
{
	memset(out, 0, sizeof(*out));
	if (i >= NROWS)
		return;
	const struct reg_row *r = &reg_rows[i];
	out->name = r->name;
	out->offset = r->off;
	out->len = r->len;
	out->rel = r->rel;
	out->engines = r->engines;
	out->gens = r->gens;
	out->read = r->acc & A_R;
	out->write = r->acc & A_W;
	out->gvt_lri = r->gvt;
	out->why = r->why;
}
