/* SPDX-License-Identifier: MIT */
/*
 * The mediator's register table: which MMIO registers are tracked, with
 * their flags, read-only masks and side-effect handlers.  One row per
 * register (or run of registers), sorted by offset within each group; rows
 * marked MED_REG_F_ENGINE repeat at every engine's base (RCS 0x2000, BCS
 * 0x22000, VCS 0x12000, VECS 0x1a000).  Offsets not listed are plain
 * storage.  docs/MEDIATOR.md explains each handler.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mediator/med_int.h"

#define G8  1u
#define G9  2u
#define GA  (G8 | G9)

#define F_RO   MED_REG_F_RO
#define F_GM   MED_REG_F_GMADR
#define F_MM   MED_REG_F_MODE_MASK
#define F_CMD  MED_REG_F_CMD_ACCESS
#define F_H    MED_REG_F_HANDLER
#define F_ENG  MED_REG_F_ENGINE

#define ALL_RO 0xffffffffu

/* Per-engine registers, offsets relative to the engine's base. */
static const struct reg_row engine_rows[] = {
	/* ring buffer registers: in execlist mode they live in the context
	 * image; the mediator keeps them as storage and updates HEAD/TAIL on
	 * completion. */
	{ .name = "RING_TAIL",  .offset = R_RING_TAIL,  .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_HEAD",  .offset = R_RING_HEAD,  .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_START", .offset = R_RING_START, .count = 1, .flags = F_ENG | F_GM, .gens = GA },
	{ .name = "RING_CTL",   .offset = R_RING_CTL,   .count = 1, .flags = F_ENG, .gens = GA },
	/* PSMI control: masked, harmless */
	{ .name = "RING_PSMI_CTL", .offset = 0x050, .count = 1, .flags = F_ENG | F_MM | F_CMD, .gens = GA },
	/* ACTHD upper dword, instruction pointer state: hardware status */
	{ .name = "RING_ACTHD_UDW", .offset = 0x05c, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_IPEIR", .offset = 0x064, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_IPEHR", .offset = 0x068, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_INSTDONE", .offset = 0x06c, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_ACTHD", .offset = R_ACTHD, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_DMA_FADD", .offset = 0x078, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	/* status page address: the scanner redirects index writes there */
	{ .name = "RING_HWS_PGA", .offset = R_HWS_PGA, .count = 1, .flags = F_ENG | F_GM | F_H, .handler = H_HWS_PGA, .gens = GA },
	{ .name = "RING_NOPID", .offset = 0x094, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_HWSTAM", .offset = 0x098, .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_MI_MODE", .offset = R_MI_MODE, .count = 1, .flags = F_ENG | F_MM | F_CMD, .gens = GA },
	{ .name = "RING_IMR", .offset = 0x0a8, .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_EIR", .offset = 0x0b0, .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_EMR", .offset = 0x0b4, .count = 1, .flags = F_ENG, .gens = GA },
	{ .name = "RING_ESR", .offset = 0x0b8, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_BB_STATE", .offset = 0x110, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_BBADDR", .offset = 0x140, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "RING_BBADDR_UDW", .offset = 0x168, .count = 1, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	/* execlist submit port: four writes, then submit */
	{ .name = "RING_ELSP", .offset = R_ELSP, .count = 1, .flags = F_ENG | F_H, .handler = H_ELSP, .gens = GA },
	/* execlist status: hardware state, not emulated beyond storage */
	{ .name = "RING_EXECLIST_STATUS", .offset = R_EXECLIST_STATUS, .count = 2, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	/* context control: in the context image; masked */
	{ .name = "RING_CONTEXT_CONTROL", .offset = 0x244, .count = 1, .flags = F_ENG | F_MM | F_CMD, .gens = GA },
	/* PPGTT root pointers (PDP0..3, lower/upper dwords) */
	{ .name = "RING_PDP", .offset = 0x270, .count = 8, .flags = F_ENG | F_CMD, .gens = GA },
	/* GFX_MODE / RING_MODE: bit 0 disables the privilege check (failsafe),
	 * bit 15 enables execlists */
	{ .name = "RING_MODE", .offset = R_RING_MODE, .count = 1, .flags = F_ENG | F_MM | F_H, .handler = H_RING_MODE, .gens = GA },
	/* timestamp: the virtual clock */
	{ .name = "RING_TIMESTAMP", .offset = R_TIMESTAMP, .count = 2, .flags = F_ENG | F_RO | F_CMD | F_H, .ro_mask = ALL_RO, .handler = H_TIMESTAMP, .gens = GA },
	/* context status buffer: 6 entries of {status, context id}, written by
	 * the mediator only */
	{ .name = "RING_CONTEXT_STATUS_BUF", .offset = R_CSB, .count = 2 * MED_CSB_ENTRIES, .flags = F_ENG | F_RO, .ro_mask = ALL_RO, .gens = GA },
	/* status pointer: write pointer bits 2:0 (hardware), read pointer bits
	 * 10:8 (guest, masked) */
	{ .name = "RING_CONTEXT_STATUS_PTR", .offset = R_CSB_PTR, .count = 1, .flags = F_ENG | F_MM | F_RO, .ro_mask = 0xfffff8ffu, .gens = GA },
	{ .name = "RING_CTX_TIMESTAMP", .offset = R_CTX_TIMESTAMP, .count = 1, .flags = F_ENG | F_RO | F_CMD, .ro_mask = ALL_RO, .gens = GA },
	/* whitelist slots: storage (the scanner never lets commands write them) */
	{ .name = "RING_FORCE_TO_NONPRIV", .offset = 0x4d0, .count = 12, .flags = F_ENG, .gens = GA },
	/* command streamer general purpose registers (MI_MATH) */
	{ .name = "RING_GPR", .offset = 0x600, .count = 32, .flags = F_ENG | F_CMD, .gens = GA },
};

/* Registers at absolute offsets. */
static const struct reg_row global_rows[] = {
	{ .name = "FORCEWAKE_ACK_RENDER_GEN9", .offset = 0x0d84, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = G9 },
	{ .name = "FORCEWAKE_ACK_MEDIA_GEN9", .offset = 0x0d88, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = G9 },
	{ .name = "INSTPM", .offset = 0x20c0, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	/* bits 3 and 4 let one engine reach another's registers: failsafe */
	{ .name = "CSFE_CHICKEN1", .offset = R_CSFE_CHICKEN1, .count = 1, .flags = F_MM | F_CMD | F_H, .handler = H_CSFE_CHICKEN1, .gens = GA },
	{ .name = "GEN9_CS_DEBUG_MODE1", .offset = 0x20ec, .count = 1, .flags = F_MM | F_CMD, .gens = G9 },
	{ .name = "MI_PREDICATE_SRC0", .offset = 0x2400, .count = 2, .flags = F_CMD, .gens = GA },
	{ .name = "MI_PREDICATE_SRC1", .offset = 0x2408, .count = 2, .flags = F_CMD, .gens = GA },
	{ .name = "MI_PREDICATE_DATA", .offset = 0x2410, .count = 2, .flags = F_CMD, .gens = GA },
	{ .name = "MI_PREDICATE_RESULT", .offset = 0x2418, .count = 1, .flags = F_CMD, .gens = GA },
	{ .name = "GEN8_CS_CHICKEN1", .offset = 0x2580, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "GEN8_PRIVATE_PAT", .offset = 0x40e0, .count = 2, .flags = 0, .gens = GA },
	{ .name = "SO_NUM_PRIMS_WRITTEN", .offset = 0x5200, .count = 8, .flags = F_CMD, .gens = GA },
	{ .name = "SO_PRIM_STORAGE_NEEDED", .offset = 0x5240, .count = 8, .flags = F_CMD, .gens = GA },
	{ .name = "SO_WRITE_OFFSET", .offset = 0x5280, .count = 4, .flags = F_CMD, .gens = GA },
	{ .name = "CACHE_MODE_0_GEN7", .offset = 0x7000, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "CACHE_MODE_1", .offset = 0x7004, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "GEN7_GT_MODE", .offset = 0x7008, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "COMMON_SLICE_CHICKEN2", .offset = 0x7014, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "GEN7_L3CNTLREG", .offset = 0x7034, .count = 1, .flags = F_CMD, .gens = GA },
	{ .name = "HDC_CHICKEN0", .offset = 0x7300, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	/* graphics device reset: bit 0 resets every engine of the vGPU */
	{ .name = "GEN6_GDRST", .offset = R_GDRST, .count = 1, .flags = F_H, .handler = H_GDRST, .gens = GA },
	/* forcewake requests: the acks mirror them */
	{ .name = "FORCEWAKE_MEDIA_GEN9", .offset = 0xa270, .count = 1, .flags = F_MM | F_H, .handler = H_FORCEWAKE, .arg = 0x0d88, .gens = G9 },
	{ .name = "FORCEWAKE_RENDER_GEN9", .offset = 0xa278, .count = 1, .flags = F_MM | F_H, .handler = H_FORCEWAKE, .arg = 0x0d84, .gens = G9 },
	{ .name = "FORCEWAKE_MT", .offset = 0xa188, .count = 1, .flags = F_MM | F_H, .handler = H_FORCEWAKE, .arg = 0x130044, .gens = GA },
	{ .name = "GEN8_L3SQCREG1", .offset = 0xb100, .count = 1, .flags = F_CMD, .gens = GA },
	{ .name = "GEN8_L3SQCREG4", .offset = 0xb118, .count = 1, .flags = F_CMD, .gens = GA },
	{ .name = "GEN8_HALF_SLICE_CHICKEN3", .offset = 0xe184, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "GEN9_HALF_SLICE_CHICKEN5", .offset = 0xe188, .count = 1, .flags = F_MM | F_CMD, .gens = G9 },
	{ .name = "GEN9_HALF_SLICE_CHICKEN7", .offset = 0xe194, .count = 1, .flags = F_MM | F_CMD, .gens = G9 },
	{ .name = "GEN8_ROW_CHICKEN", .offset = 0xe4f0, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	{ .name = "GEN7_ROW_CHICKEN2", .offset = 0xe4f4, .count = 1, .flags = F_MM | F_CMD, .gens = GA },
	/* interrupts: master control and the four GT banks */
	{ .name = "GEN8_MASTER_IRQ", .offset = R_MASTER_IRQ, .count = 1, .flags = F_RO | F_H, .ro_mask = 0x7fffffffu, .handler = H_MASTER_IRQ, .gens = GA },
	{ .name = "GEN8_GT_ISR0", .offset = R_GT_ISR(0), .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_GT_IMR0", .offset = R_GT_IMR(0), .count = 1, .flags = F_H, .handler = H_GT_IMR, .arg = 0, .gens = GA },
	{ .name = "GEN8_GT_IIR0", .offset = R_GT_IIR(0), .count = 1, .flags = F_H, .handler = H_GT_IIR, .arg = 0, .gens = GA },
	{ .name = "GEN8_GT_IER0", .offset = R_GT_IER(0), .count = 1, .flags = F_H, .handler = H_GT_IER, .arg = 0, .gens = GA },
	{ .name = "GEN8_GT_ISR1", .offset = R_GT_ISR(1), .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_GT_IMR1", .offset = R_GT_IMR(1), .count = 1, .flags = F_H, .handler = H_GT_IMR, .arg = 1, .gens = GA },
	{ .name = "GEN8_GT_IIR1", .offset = R_GT_IIR(1), .count = 1, .flags = F_H, .handler = H_GT_IIR, .arg = 1, .gens = GA },
	{ .name = "GEN8_GT_IER1", .offset = R_GT_IER(1), .count = 1, .flags = F_H, .handler = H_GT_IER, .arg = 1, .gens = GA },
	{ .name = "GEN8_GT_ISR2", .offset = R_GT_ISR(2), .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_GT_IMR2", .offset = R_GT_IMR(2), .count = 1, .flags = F_H, .handler = H_GT_IMR, .arg = 2, .gens = GA },
	{ .name = "GEN8_GT_IIR2", .offset = R_GT_IIR(2), .count = 1, .flags = F_H, .handler = H_GT_IIR, .arg = 2, .gens = GA },
	{ .name = "GEN8_GT_IER2", .offset = R_GT_IER(2), .count = 1, .flags = F_H, .handler = H_GT_IER, .arg = 2, .gens = GA },
	{ .name = "GEN8_GT_ISR3", .offset = R_GT_ISR(3), .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_GT_IMR3", .offset = R_GT_IMR(3), .count = 1, .flags = F_H, .handler = H_GT_IMR, .arg = 3, .gens = GA },
	{ .name = "GEN8_GT_IIR3", .offset = R_GT_IIR(3), .count = 1, .flags = F_H, .handler = H_GT_IIR, .arg = 3, .gens = GA },
	{ .name = "GEN8_GT_IER3", .offset = R_GT_IER(3), .count = 1, .flags = F_H, .handler = H_GT_IER, .arg = 3, .gens = GA },
	/* display and PCU interrupt banks: storage, IIR write-1-to-clear */
	{ .name = "GEN8_DE_PIPE_A_ISR", .offset = 0x44400, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_DE_PIPE_A_IMR", .offset = 0x44404, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PIPE_A_IIR", .offset = 0x44408, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_DE_PIPE_A_IER", .offset = 0x4440c, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PIPE_B_ISR", .offset = 0x44410, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_DE_PIPE_B_IMR", .offset = 0x44414, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PIPE_B_IIR", .offset = 0x44418, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_DE_PIPE_B_IER", .offset = 0x4441c, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PIPE_C_ISR", .offset = 0x44420, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_DE_PIPE_C_IMR", .offset = 0x44424, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PIPE_C_IIR", .offset = 0x44428, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_DE_PIPE_C_IER", .offset = 0x4442c, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PORT_ISR", .offset = 0x44440, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_DE_PORT_IMR", .offset = 0x44444, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_PORT_IIR", .offset = 0x44448, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_DE_PORT_IER", .offset = 0x4444c, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_MISC_ISR", .offset = 0x44460, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_DE_MISC_IMR", .offset = 0x44464, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_DE_MISC_IIR", .offset = 0x44468, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_DE_MISC_IER", .offset = 0x4446c, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_PCU_ISR", .offset = 0x444e0, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	{ .name = "GEN8_PCU_IMR", .offset = 0x444e4, .count = 1, .flags = 0, .gens = GA },
	{ .name = "GEN8_PCU_IIR", .offset = 0x444e8, .count = 1, .flags = F_H, .handler = H_IIR_W1C, .gens = GA },
	{ .name = "GEN8_PCU_IER", .offset = 0x444ec, .count = 1, .flags = 0, .gens = GA },
	/* the PVINFO page: top half written by the mediator, bottom half by the guest */
	{ .name = "PVINFO", .offset = MED_PVINFO_BASE, .count = MED_PVINFO_SIZE / 4, .flags = F_H, .handler = H_PVINFO, .gens = GA },
	/* fence registers: 32 x 64 bits; a vGPU owns the first 4 of its view */
	{ .name = "FENCE_REG_GEN6", .offset = MED_FENCE_BASE, .count = 2 * MED_NUM_FENCES, .flags = F_H, .handler = H_FENCE, .gens = GA },
	/* GGTT TLB flush: accepted, nothing to do (the shadow engine writes
	 * host entries atomically) */
	{ .name = "GFX_FLSH_CNTL_GEN6", .offset = R_GFX_FLSH_CNTL, .count = 1, .flags = 0, .gens = GA },
	{ .name = "FORCEWAKE_ACK_HSW", .offset = 0x130044, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
	/* EU thread status: reads 0 (no thread in flight) */
	{ .name = "GEN6_GT_THREAD_STATUS_REG", .offset = 0x13805c, .count = 1, .flags = F_RO, .ro_mask = ALL_RO, .gens = GA },
};

/* ------------------------------------------------------------ the index */

struct gen_index {
	uint16_t *slot;           /* per dword of the 2 MiB: attr index + 1, 0 untracked */
	struct reg_attr *attr;
	unsigned nattr;
	int err;
};

static struct gen_index indexes[2]; /* [0] Gen8, [1] Gen9 */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int add_row(struct gen_index *ix, const struct reg_row *r, uint32_t base, int engine,
		   unsigned cap)
{
	if (ix->nattr >= cap)
		return -ENOSPC;
	unsigned a = ix->nattr++;
	ix->attr[a].row = r;
	ix->attr[a].base = base;
	ix->attr[a].engine = engine;
	for (uint32_t i = 0; i < r->count; i++) {
		uint32_t off = base + 4 * i;
		if (off >= MED_MMIO_SIZE)
			return -ERANGE;
		if (ix->slot[off >> 2])
			return -EEXIST; /* two rows cover one register: a table bug */
		ix->slot[off >> 2] = (uint16_t)(a + 1);
	}
	return 0;
}

static void build_index(struct gen_index *ix, unsigned genbit)
{
	size_t n_eng = sizeof(engine_rows) / sizeof(engine_rows[0]);
	size_t n_glob = sizeof(global_rows) / sizeof(global_rows[0]);
	unsigned cap = (unsigned)(n_eng * MED_NUM_ENGINES + n_glob);
	ix->slot = calloc(MED_MMIO_SIZE / 4, sizeof(uint16_t));
	ix->attr = calloc(cap, sizeof(*ix->attr));
	if (!ix->slot || !ix->attr) {
		ix->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n_eng && !ix->err; i++) {
		const struct reg_row *r = &engine_rows[i];
		if (!(r->gens & genbit))
			continue;
		for (unsigned e = 0; e < MED_NUM_ENGINES && !ix->err; e++) {
			if (r->engines && !(r->engines & (1u << e)))
				continue;
			ix->err = add_row(ix, r, eng_base(e) + r->offset, (int)e, cap);
		}
	}
	for (size_t i = 0; i < n_glob && !ix->err; i++) {
		const struct reg_row *r = &global_rows[i];
		if (r->gens & genbit)
			ix->err = add_row(ix, r, r->offset, -1, cap);
	}
}

static void build_all(void)
{
	build_index(&indexes[0], G8);
	build_index(&indexes[1], G9);
}

int medi_reg_attr_get(unsigned gen, uint32_t offset, struct reg_attr *out)
{
	if ((gen != 8 && gen != 9) || offset >= MED_MMIO_SIZE)
		return -EINVAL;
	pthread_once(&index_once, build_all);
	const struct gen_index *ix = &indexes[gen - 8];
	if (ix->err)
		return ix->err;
	uint16_t s = ix->slot[offset >> 2];
	if (!s)
		return -ENOENT;
	*out = ix->attr[s - 1];
	return 0;
}

int med_reg_lookup(unsigned gen, uint32_t offset, struct med_reg_info *out)
{
	struct reg_attr a;
	int err = medi_reg_attr_get(gen, offset, &a);
	if (err)
		return err;
	if (out) {
		uint32_t idx = ((offset & ~3u) - a.base) / 4;
		out->name = a.row->name;
		out->offset = a.base + 4 * idx;
		out->flags = a.row->flags | (a.row->handler ? MED_REG_F_HANDLER : 0);
		out->ro_mask = a.row->ro_mask;
		out->engine = a.engine;
	}
	return 0;
}
