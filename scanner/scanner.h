/* SPDX-License-Identifier: MIT */
/*
 * scanner — Gen8/Gen9 command decoding, auditing and shadowing.
 *
 * The one public header of scanner/.  Everything else in the folder is
 * private.  Conventions (all of vgt): functions that can fail return 0 or a
 * negative errno; objects are opaque; configuration structs start with their
 * own size (libbpf's opts pattern) so fields can be appended later.
 *
 * The decoder never reads outside the buffer it is given: a command whose
 * length runs past the end is SCAN_CMD_TRUNCATED, a header that matches no
 * command on that engine is SCAN_CMD_UNKNOWN (and its length is only a
 * display guess, flagged as such).
 */
#ifndef VGT_SCANNER_H
#define VGT_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- basics */

enum scan_gen {
	SCAN_GEN8 = 8, /* Broadwell */
	SCAN_GEN9 = 9, /* Skylake, Kaby Lake, Coffee Lake */
};

enum scan_engine {
	SCAN_RCS = 0, /* render (3D, media, GPGPU) */
	SCAN_BCS,     /* blitter */
	SCAN_VCS,     /* video (MFX, HCP, HuC, VDEnc) */
	SCAN_VECS,    /* video enhancement (VEBOX) */
	SCAN_NUM_ENGINES
};
#define SCAN_ENGINE_BIT(e) (1u << (e))
#define SCAN_ENGINES_ALL   ((1u << SCAN_NUM_ENGINES) - 1)

/* Address space an operand reaches memory through. */
enum scan_as {
	SCAN_AS_GGTT = 0,
	SCAN_AS_PPGTT = 1,
};

/* "rcs", "bcs", "vcs", "vecs"; NULL for an out-of-range value. */
const char *scan_engine_name(enum scan_engine e);
/* Parses an engine name (also accepts "render", "blitter", "video",
 * "video-enhance"); returns 0 or -EINVAL. */
int scan_engine_parse(const char *s, enum scan_engine *out);
const char *scan_as_name(enum scan_as as); /* "ggtt" / "ppgtt" */

/* ------------------------------------------------------- command tables */

/* One row of a generation's command table.  Layout private (cmd_table.h). */
struct scan_cmd_desc;

/* Field kinds, as genxml types them. */
enum scan_field_type {
	SCAN_FT_UINT = 0,
	SCAN_FT_INT,
	SCAN_FT_BOOL,
	SCAN_FT_ADDRESS, /* graphics address */
	SCAN_FT_OFFSET,  /* register or state offset */
	SCAN_FT_FLOAT,
	SCAN_FT_OTHER,   /* structs, enums, fixed point: printed as raw bits */
};

/* A named bit range of a command; bits count across the whole command
 * (DW1 bit 0 is bit 32), as in genxml. */
struct scan_field {
	const char *name;
	uint16_t start, end; /* inclusive */
	uint8_t type;        /* enum scan_field_type */
};

const char *scan_desc_name(const struct scan_cmd_desc *d);
unsigned scan_desc_engines(const struct scan_cmd_desc *d);
/* Every named field of the command (DW0's opcode fields included). */
const struct scan_field *scan_desc_fields(const struct scan_cmd_desc *d, unsigned *n);

/* Number of rows in a generation's table; rows are indexed 0..n-1 so tests
 * can iterate them.  Returns 0 for an unsupported generation. */
unsigned scan_table_size(enum scan_gen gen);
const struct scan_cmd_desc *scan_table_row(enum scan_gen gen, unsigned i);
/* Finds a row by its genxml name or a documented alias (docs/COMMANDS.md). */
const struct scan_cmd_desc *scan_table_find(enum scan_gen gen, const char *name);
/* For a row, the minimum and maximum total length in dwords the header can
 * encode (equal for fixed-length commands). */
void scan_desc_len_range(const struct scan_cmd_desc *d, uint32_t *min, uint32_t *max);

/* ------------------------------------------------------------- decoding */

enum scan_cmd_status {
	SCAN_CMD_OK = 0,
	SCAN_CMD_UNKNOWN,   /* no command with this header on this engine */
	SCAN_CMD_TRUNCATED, /* length runs past the end of the buffer */
};
const char *scan_cmd_status_name(enum scan_cmd_status s); /* "ok", ... */

/* One decoded command.  Points into the caller's buffer; valid while it is. */
struct scan_cmd {
	const struct scan_cmd_desc *desc; /* NULL when unknown */
	const uint32_t *dw;               /* first dword (the header) */
	uint32_t header;
	uint32_t dwords;    /* length the header encodes (guess when unknown) */
	uint32_t avail;     /* dwords available from dw to the end of buffer */
	uint8_t status;     /* enum scan_cmd_status */
	bool len_is_guess;  /* unknown command: generic per-class length */
};

/* Decodes the command at buf[0] (ndw >= 1 dwords available).  O(1) table
 * lookup on the header.  Returns the status (also stored in out->status). */
enum scan_cmd_status scan_decode(enum scan_gen gen, enum scan_engine eng,
				 const uint32_t *buf, size_t ndw,
				 struct scan_cmd *out);

/* Reads field f of a decoded command (bits beyond the available dwords read
 * as zero; never out of bounds). */
uint64_t scan_cmd_field(const struct scan_cmd *c, const struct scan_field *f);

/* Operands the auditor and the humans care about. */
enum scan_op_kind {
	SCAN_OP_ADDRESS = 0, /* graphics address: value, space */
	SCAN_OP_REG_WRITE,   /* register offset written (value = register) */
	SCAN_OP_REG_READ,    /* register offset read */
	SCAN_OP_POST_SYNC,   /* PIPE_CONTROL / MI_FLUSH_DW post-sync operation */
	SCAN_OP_BB_START,    /* MI_BATCH_BUFFER_START: value = target address */
};

struct scan_operand {
	uint8_t kind;       /* enum scan_op_kind */
	uint8_t as;         /* enum scan_as, for ADDRESS and BB_START */
	uint8_t second_level; /* BB_START: 1 = second level */
	uint16_t dw;        /* dword index of the operand inside the command */
	uint64_t value;     /* address / register offset / post-sync op */
	uint64_t imm;       /* LRI data dword, post-sync immediate (if any) */
	const char *name;   /* field name ("Surface State Base Address", ...) */
};

/* Extracts the operands of a decoded OK command into out[0..max).  Returns
 * how many the command has (may exceed max; only max are written). */
unsigned scan_cmd_operands(const struct scan_cmd *c, struct scan_operand *out,
			   unsigned max);

/* ---------------------------------------------------------- memory view */

/*
 * How the scanner (and anyone else that reads guest command memory) sees
 * memory: map() returns a pointer to readable bytes at graphics address
 * `gma` in space `as` (PPGTT = the one root this view was made for), and
 * sets *len to the number of bytes readable contiguously from there (at
 * least to the end of that 4 KiB page), or returns NULL when the address
 * does not translate.  Failure is an answer, never a guess.  The scanner
 * never writes through these pointers.
 */
struct scan_mem {
	const void *(*map)(void *ctx, enum scan_as as, uint64_t gma, size_t *len);
	void *ctx;
};

/* ======================================================================
 * Auditing (issue 3) — declarations appended below by the auditor.
 * ====================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* VGT_SCANNER_H */
