/* SPDX-License-Identifier: MIT */
/*
 * Test helper: Mesa's own decode of the captured batches
 * (../shared/reference/captures/<folder>/mesa-decode.txt.xz, printed by
 * intel_batch_decoder with INTEL_DEBUG=bat), read back as data, and a light
 * reader of genxml (gen8.xml / gen9.xml) for what Mesa's decode leaves
 * implicit: each instruction's length bias and each field's type.
 *
 * The text Mesa prints, as these files show it:
 *
 *   <src>:<line>: render batch [2] flush with 23460b (35.8%) (cmds), ...   opens a batch
 *   0xfffffffefffee000:  0x7a000004:  PIPE_CONTROL        one line per command
 *   0xfffffffefffee000:  0x7a000004 : Dword 0             its raw dwords, each
 *       DWord Length: 4                                   followed by the fields
 *   ...                                                   that end in that dword
 *       Vertex Buffer State[0]: <struct VERTEX_BUFFER_STATE>
 *   0xfffffffefffee1b8:  0x0004400c : Dword 0             a struct's dwords again
 *       Buffer Pitch: 12                                  (absolute addresses,
 *                                                         struct-relative index)
 *   register L3CNTLREG (0x7034): 0x60000060               LRI: one line per pair
 *   0x00007034:  0x60000060 : Dword 0                     whose register Mesa
 *       SLM Enable: false                                 knows, then its fields
 *   pointer 0: 0x...  /  BLEND_STATE  /  shader disassembly ...
 *                                                         indirect state: ignored
 *   Fence list ... / BO list ... / [ 0]: ...              end of batch: ignored
 *
 * Mesa follows MI_BATCH_BUFFER_START: it prints the target's commands right
 * after the BB_START line (same format, the target's addresses), then for a
 * second-level start continues after the BB_START, and for a chained one
 * stops.  So a batch's command list is in execution order, BB_START targets
 * inline -- the order a walker that follows batch starts visits them.
 * MI_BATCH_BUFFER_END of a second-level batch is printed too.
 */
#ifndef VGT_TESTS_MESA_DECODE_H
#define VGT_TESTS_MESA_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One "    Name: value" line of a command. */
struct mesa_field {
	const char *name;  /* as printed: "Address", "Buffer[0]", "Register Offset" */
	const char *value; /* everything after ": " */
	uint64_t num;      /* the value's leading number (0x hex or decimal) */
	bool has_num;
	bool is_hex;       /* printed 0x...: genxml address or offset */
	int dw;            /* dword (index in the command) of the last dword line
			      before it: where the field ends; -1 if none */
};

/* One "register NAME (0xOFFSET): 0xVALUE" line (LRI). */
struct mesa_reg {
	const char *name;
	uint32_t offset, value;
};

struct mesa_cmd {
	uint64_t address;  /* as printed (canonical form, 64 bits) */
	uint32_t header;
	const char *name;  /* as printed, trailing padding removed */
	unsigned line;     /* line number in the decompressed text */
	unsigned nfields;
	const struct mesa_field *fields;
	/* The raw dwords Mesa printed for the command, by index in it (only
	 * those it printed: dwords after its last field are not). */
	unsigned ndw;      /* 1 + highest index printed */
	const uint32_t *dw;
	const uint8_t *dw_seen;
	unsigned nregs;
	const struct mesa_reg *regs;
};

struct mesa_batch {
	unsigned index;    /* 0-based, in file order */
	unsigned line;     /* line of the batch's opening line */
	const char *title; /* that line */
	unsigned ncmds;
	const struct mesa_cmd *cmds;
};

struct mesa_decode;

/* Starts `xz -dc PATH` and reads its output batch by batch. */
int mesa_decode_open(const char *path, struct mesa_decode **out, char *err, size_t errlen);
/* The next batch: 1 and *out (valid until the next call or close), 0 at the
 * end of the text, or a negative errno with err describing the problem. */
int mesa_decode_next(struct mesa_decode *md, const struct mesa_batch **out,
		     char *err, size_t errlen);
/* Stops xz (if still running) and frees everything. */
void mesa_decode_close(struct mesa_decode *md);

/* Parses text already in memory (no xz): the same reader, for unit tests. */
int mesa_decode_open_text(const char *text, size_t len, struct mesa_decode **out);

/* The nth (0-based) field of c named `name` (exactly, or with an "[i]"
 * suffix when `any_index`), or NULL. */
const struct mesa_field *mesa_cmd_field(const struct mesa_cmd *c, const char *name,
					unsigned nth, bool any_index);
/* Raw dword i as Mesa printed it; false when Mesa did not print it. */
bool mesa_cmd_dword(const struct mesa_cmd *c, unsigned i, uint32_t *out);

/* ---------------------------------------------------------------- genxml */

enum mesa_gx_kind { MESA_GX_INSTRUCTION, MESA_GX_STRUCT, MESA_GX_REGISTER };

struct mesa_gx_field {
	const char *name;
	const char *type;  /* "uint", "address", "offset", a struct name, ... */
	int start, end;    /* bits, relative to the group when in_group */
	bool in_group;
};

struct mesa_gx_group {
	const char *name;
	int kind;          /* enum mesa_gx_kind */
	int bias;          /* instructions: length = DWord Length + bias */
	int length;        /* the "length" attribute; 0 when absent */
	unsigned nfields;
	const struct mesa_gx_field *fields;
};

struct mesa_genxml;

int mesa_genxml_load(const char *path, struct mesa_genxml **out, char *err, size_t errlen);
void mesa_genxml_free(struct mesa_genxml *gx);
/* An instruction, struct or register by name (NULL when absent). */
const struct mesa_gx_group *mesa_genxml_find(const struct mesa_genxml *gx, const char *name,
					     int kind);
/*
 * Field `name` (an "[i]" suffix is ignored) as seen from instruction
 * `instr`: its own fields first, then those of the structs it embeds,
 * transitively; the first found.  *ambiguous as below.
 */
const struct mesa_gx_field *mesa_genxml_field(const struct mesa_genxml *gx, const char *instr,
					      const char *name, bool *ambiguous);
/*
 * Type of field `name` (an "[i]" suffix is ignored) as seen from
 * instruction `instr`: its own fields first, then those of the structs it
 * embeds, transitively.  NULL when no such field.  *ambiguous is set when
 * the name has different types in those places.
 */
const char *mesa_genxml_field_type(const struct mesa_genxml *gx, const char *instr,
				   const char *name, bool *ambiguous);

#endif /* VGT_TESTS_MESA_DECODE_H */
