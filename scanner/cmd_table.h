/* SPDX-License-Identifier: MIT */
/*
 * Private to scanner/: the layout of a command-table row.
 *
 * One table per generation (cmds_gen8.c, cmds_gen9.c, generated from genxml
 * by tools/genxml2c.py and committed, so the build never needs ../shared),
 * plus the blitter's XY_* rows that genxml lacks (cmds_blt.c, hand-written,
 * shared by both generations) and the VEBOX rows it lacks too (cmds_vebox.c,
 * hand-written, one array per generation).  Rows are facts about the hardware; the
 * walker knows no individual command except through `handler`.
 */
#ifndef VGT_SCANNER_CMD_TABLE_H
#define VGT_SCANNER_CMD_TABLE_H

#include "scanner/scanner.h"

/* How the total length in dwords is obtained. */
enum scan_len_kind {
	SCAN_LEN_FIXED = 0, /* no length field: total = len_fixed */
	SCAN_LEN_VAR,       /* total = (dw0 & len_mask) + bias */
};

/*
 * Special operand/audit handling.  The decoder uses it to extract operands
 * whose layout genxml cannot express (LRI's repeated pairs, conditional
 * post-sync targets, the address-space selector of BB_START); the auditor
 * uses it to attach its rules.  SCAN_H_NONE: operands come from `addrs`.
 */
enum scan_handler {
	SCAN_H_NONE = 0,
	SCAN_H_NOOP,
	SCAN_H_BB_START,     /* MI_BATCH_BUFFER_START */
	SCAN_H_BB_END,       /* MI_BATCH_BUFFER_END */
	SCAN_H_COND_BB_END,  /* MI_CONDITIONAL_BATCH_BUFFER_END */
	SCAN_H_LRI,          /* MI_LOAD_REGISTER_IMM: (reg, value) pairs */
	SCAN_H_LRM,          /* MI_LOAD_REGISTER_MEM */
	SCAN_H_SRM,          /* MI_STORE_REGISTER_MEM */
	SCAN_H_LRR,          /* MI_LOAD_REGISTER_REG */
	SCAN_H_SDI,          /* MI_STORE_DATA_IMM */
	SCAN_H_SDX,          /* MI_STORE_DATA_INDEX */
	SCAN_H_ATOMIC,       /* MI_ATOMIC */
	SCAN_H_COPY_MEM_MEM, /* MI_COPY_MEM_MEM */
	SCAN_H_FLUSH_DW,     /* MI_FLUSH_DW */
	SCAN_H_PIPE_CONTROL, /* PIPE_CONTROL */
	SCAN_H_USER_INTERRUPT,
	SCAN_H_WAIT_FOR_EVENT,
	SCAN_H_DISPLAY_FLIP,
	SCAN_H_MATH,         /* MI_MATH */
	SCAN_H_REPORT_PERF,  /* MI_REPORT_PERF_COUNT */
	SCAN_H_SEMAPHORE_WAIT,
	SCAN_H_LOAD_SCAN_LINES,
	SCAN_H_CLFLUSH,      /* MI_CLFLUSH */
	SCAN_H_SET_CONTEXT,  /* MI_SET_CONTEXT */
	SCAN_H_UPDATE_GTT,   /* MI_UPDATE_GTT (hand-written row, cmds_mi.c) */
	SCAN_H_SEMAPHORE_SIGNAL,
	SCAN_H_RS_STORE_DATA_IMM,
	SCAN_H_LOAD_URB_MEM,
	SCAN_H_STORE_URB_MEM,
	SCAN_H_URB_CLEAR,
	SCAN_H_PREDICATE,    /* MI_PREDICATE, MI_SET_PREDICATE: may skip commands */
	SCAN_H_COUNT
};

/* A graphics-address operand: the bit range of the address field (genxml's
 * bit numbering across the whole command) and how its address space is
 * chosen: by a selector bit, or fixed (state addresses go through the
 * context's PPGTT). */
struct scan_addr_desc {
	const char *name;
	uint16_t start, end;  /* inclusive; address bits are [start, end] */
	int16_t sel_bit;      /* selector bit in the command, -1 if fixed */
	uint8_t sel_ggtt_val; /* selector value meaning GGTT */
	uint8_t fixed_as;     /* enum scan_as when sel_bit < 0 */
	/* 0: one operand.  Otherwise the operand belongs to a group that
	 * repeats to the end of the command (genxml group count="0", e.g. each
	 * VERTEX_BUFFER_STATE of 3DSTATE_VERTEX_BUFFERS): instance i sits at
	 * [start + i*rep_stride, end + i*rep_stride], for every i whose range
	 * lies inside the command's decoded length. */
	uint16_t rep_stride;
};

struct scan_cmd_desc {
	const char *name;      /* genxml's name (or PRM name for XY_*) */
	uint32_t mask, value;  /* DW0 opcode match, length field excluded */
	uint8_t engines;       /* SCAN_ENGINE_BIT() set */
	uint8_t len_kind;      /* enum scan_len_kind */
	uint8_t bias;          /* SCAN_LEN_VAR */
	uint8_t handler;       /* enum scan_handler */
	uint16_t len_mask;     /* SCAN_LEN_VAR: length field mask in DW0 */
	uint16_t len_fixed;    /* SCAN_LEN_FIXED: total; VAR: genxml's nominal
				  length (0 if genxml gives none) */
	uint16_t nfields, naddrs;
	const struct scan_field *fields;
	const struct scan_addr_desc *addrs;
	/* 0: the command exists on every generation whose table holds the
	 * row.  Otherwise the first generation (enum scan_gen) that has it:
	 * the shared XY_* rows XY_FAST_COPY_BLT and XY_FAST_COLOR_BLT are Gen9
	 * additions, so on Gen8 they must decode as unknown. */
	uint8_t min_gen;
	/* SCAN_LEN_VAR rows the hardware executes at one length only (the
	 * length field is there, but any value but len_fixed - bias is a
	 * malformed command): 1, and len_fixed is that total.  The decoder
	 * reports other lengths (scan_cmd_bad_length) and the auditor refuses
	 * them (bad-length). */
	uint8_t len_exact;
};

/* Per-generation rows (all engines), terminated by nothing: use the count. */
extern const struct scan_cmd_desc scan_cmds_gen8[];
extern const unsigned scan_cmds_gen8_count;
extern const struct scan_cmd_desc scan_cmds_gen9[];
extern const unsigned scan_cmds_gen9_count;
/* XY_* blitter rows, valid on BCS for Gen8 and Gen9. */
extern const struct scan_cmd_desc scan_cmds_blt[];
extern const unsigned scan_cmds_blt_count;
/* VEBOX rows, valid on VECS: one array per generation, because every VEBOX
 * command's length differs between Gen8 and Gen9. */
extern const struct scan_cmd_desc scan_cmds_vebox_gen8[];
extern const unsigned scan_cmds_vebox_gen8_count;
extern const struct scan_cmd_desc scan_cmds_vebox_gen9[];
extern const unsigned scan_cmds_vebox_gen9_count;
/* MI rows genxml lacks (MI_UPDATE_GTT), valid for Gen8 and Gen9. */
extern const struct scan_cmd_desc scan_cmds_mi[];
extern const unsigned scan_cmds_mi_count;

/* Documented aliases: another name a tool or the PRM uses for a row. */
struct scan_alias {
	const char *alias, *name;
};
extern const struct scan_alias scan_aliases[];
extern const unsigned scan_aliases_count;

#endif /* VGT_SCANNER_CMD_TABLE_H */
