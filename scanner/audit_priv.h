/* SPDX-License-Identifier: MIT */
/*
 * Private to scanner/: what the auditor's files (audit.c, regs.c,
 * segmem.c, casefile.c, audit_json.c) share.  Not for the decoder.
 */
#ifndef VGT_SCANNER_AUDIT_PRIV_H
#define VGT_SCANNER_AUDIT_PRIV_H

#include <stdatomic.h>

#include "scanner/scanner.h"

/* How a command reaches a register (the rules differ per command). */
enum reg_op {
	REGOP_LRI = 0,   /* MI_LOAD_REGISTER_IMM: write, value known */
	REGOP_LRM,       /* MI_LOAD_REGISTER_MEM: write, value from memory */
	REGOP_SRM,       /* MI_STORE_REGISTER_MEM: read */
	REGOP_LRR_SRC,   /* MI_LOAD_REGISTER_REG source: read */
	REGOP_LRR_DST,   /* MI_LOAD_REGISTER_REG destination: write, value unknown */
	REGOP_PC_WRITE,  /* PIPE_CONTROL "LRI post-sync": write, value known */
	REGOP_POSTSYNC_READ, /* PIPE_CONTROL / MI_FLUSH_DW post-sync counter reads */
};

/*
 * Audits one register access.  Returns SCAN_R_NONE or the reason; on a
 * violation writes a one-line explanation into msg (msglen bytes).
 */
uint16_t scan_reg_audit(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			uint32_t offset, enum reg_op op, uint32_t value,
			char *msg, size_t msglen);

/*
 * Test seam: a deliberately too-permissive allow-list, to show that the GPU
 * model's monitor (its own register oracle) catches what the scanner lets
 * through.  When set, a register access scan_reg_audit would deny is
 * offered to it, and `true` admits it.  Read only on the denial path, never
 * for an admitted register: nothing on the hot path.  NULL unless a test
 * sets it.
 */
typedef bool (*scan_reg_seam_fn)(enum scan_gen gen, enum scan_engine eng, uint32_t offset,
				 bool write, uint32_t value);
extern _Atomic(scan_reg_seam_fn) scan_reg_seam;

/* Rows of the allow-list, for tests and documentation checks. */
struct scan_reg_row_info {
	const char *name;
	uint32_t offset;  /* absolute, or relative to the engine base when rel */
	uint32_t len;
	bool rel;
	unsigned engines; /* SCAN_ENGINE_BIT() set */
	unsigned gens;    /* bit 0: gen8, bit 1: gen9 */
	bool read, write; /* strict policy */
	bool gvt_lri;     /* GVT-g lets LRI write it (F_CMD_ACCESS, per the fact sheet) */
	const char *why;
};
unsigned scan_reg_rows(void);
void scan_reg_row(unsigned i, struct scan_reg_row_info *out);

/* ------------------------------------------------ the auditor's header cache */

#include "scanner/cmd_table.h"

/* One cached row: enough to match a header, compute its length and know
 * whether a policy has anything to check in it, in 16 bytes. */
struct scan_fast_ent {
	uint32_t mask, value; /* DW0 match, as the row */
	uint16_t len_mask;    /* 0: fixed length */
	uint8_t len_base;     /* bias (variable) or total (fixed) */
	uint8_t flags;        /* SCAN_FAST_ALLOW_* */
	uint16_t row;         /* row index: the generation's table, then XY_* rows */
	uint16_t pad;
};
#define SCAN_FAST_ALLOW_STRICT 1u /* nothing to audit under strict / audit */
#define SCAN_FAST_ALLOW_GVT    2u /* nothing to audit under gvt */
#define SCAN_FAST_PIPE_CONTROL 4u /* plain when DW1 asks for nothing to audit */
#define SCAN_FAST_FLUSH_DW     8u /* plain when DW0/DW1 ask for nothing to audit */

/* Per (generation, engine): entry index + 1 for slots holding exactly one
 * row legal on the engine; 0 means "ask scan_decode()".  Indexed by header
 * bits 31:16 for every type: a 3D/media/video opcode (28:16) is one slot,
 * an MI opcode (28:23) fills its 128 slots, a 2D opcode (28:22) its 64, so
 * the lookup is one load. */
struct scan_fast_table {
	uint16_t slot[65536];
	struct scan_fast_ent ent[1024];
	unsigned nent;
	enum scan_gen gen;  /* entries' rows are scan_table_row(gen, row) */
	bool unsafe[8];     /* a command type the cache must not answer for */
};

/*
 * The usual total length of header h, only a guess for the hot loop (the
 * entry's own rule is compared beside it and wins): the low 8 bits plus 2.
 * That is every 3D, 2D and MI length field with a bias of 2, and the
 * 12- or 16-bit fields of media and video commands while they are under
 * 256 dwords (their upper length bits are then 0).  One AND, not a table
 * or a per-type choice: the guess sits on the walk's dependency chain
 * (header load -> length -> next header load), so every cycle in it is a
 * cycle per command; a wrong guess costs one mispredicted branch.
 */
static inline uint32_t scan_fast_guess(uint32_t h)
{
	return (h & 0xffu) + 2;
}

const struct scan_fast_table *scan_fast_table(enum scan_gen gen, enum scan_engine eng);

/* Whether a row has nothing to audit under a policy (audit.c). */
bool scan_row_is_plain(const struct scan_cmd_desc *d, enum scan_policy pol);

/* The cached entry for header h, or NULL: ask the decoder. */
static inline const struct scan_fast_ent *scan_fast_lookup(const struct scan_fast_table *t,
							    uint32_t h)
{
	unsigned idx = t->slot[h >> 16];

	if (!idx)
		return NULL;
	const struct scan_fast_ent *e = &t->ent[idx - 1];
	if ((h & e->mask) != e->value)
		return NULL;
	return e;
}

/* The total length in dwords (as scan_decode computes it). */
static inline uint32_t scan_fast_len(const struct scan_fast_ent *e, uint32_t h)
{
	return (h & e->len_mask) + e->len_base;
}

/* The row an entry caches. */
static inline const struct scan_cmd_desc *scan_fast_row(const struct scan_fast_table *t,
							const struct scan_fast_ent *e)
{
	return scan_table_row(t->gen, e->row);
}

#endif
