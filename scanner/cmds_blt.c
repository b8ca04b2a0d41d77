/* SPDX-License-Identifier: MIT */
/*
 * The blitter's XY_* commands (type 2, opcode DW0 bits 28:22, length field
 * bits 7:0, bias 2), which Mesa's Gen8/Gen9 genxml does not describe.
 * Hand-written from the Gen8/Gen9 command reference (PRM Vol 2a) and the
 * GVT-g facts (gvt-g.md 1.1, 2.3, 2.4: GVT-g knows the 24 legacy ones, all
 * BCS-only); docs/COMMANDS.md lists them with opcodes and lengths.
 *
 * Gen8 widened every graphics address of these commands to 48 bits held in
 * two dwords, so each layout below is the Gen7 one with every address
 * dword followed by its high dword.  Lengths are the Gen8+ totals; the
 * *_IMMEDIATE forms carry a variable tail of immediate data, and their
 * len_fixed is the fixed part before that data.  Checked against the
 * captures gen9-igt-gem_blt and gen8-igt-intel_upload_blit_small:
 * XY_SRC_COPY_BLT is 10 dwords there, relocated at DW4 and DW8.
 *
 * Addresses go through the context's PPGTT (no selector bit exists).
 * Rows are in opcode order.
 */
#include "scanner/cmd_table.h"

#define BLT_MASK    0xffc00000u /* type 31:29 + opcode 28:22 */
#define BLT_OP(op)  (0x40000000u | ((uint32_t)(op) << 22))

/* Field helpers: dword dw, bits lo..hi of that dword. */
#define F(name, dw, lo, hi, t) { name, (dw) * 32 + (lo), (dw) * 32 + (hi), SCAN_FT_##t }
#define F_ADDR(name, dw)       { name, (dw) * 32, (dw) * 32 + 47, SCAN_FT_ADDRESS }
#define F_U32(name, dw)        F(name, dw, 0, 31, UINT)

/* DW0: every XY_* command. */
#define DW0_FIELDS                                    \
	F("DWord Length", 0, 0, 7, UINT),             \
	F("Destination Tiling Enable", 0, 11, 11, BOOL), \
	F("32bpp Byte Mask", 0, 20, 21, UINT),        \
	F("2D Command Opcode", 0, 22, 28, UINT),      \
	F("Command Type", 0, 29, 31, UINT)
#define SRC_TILING F("Source Tiling Enable", 0, 15, 15, BOOL)

/* DW1, BR13: pitch, raster operation, colour depth, clipping. */
#define BR13_FIELDS                                   \
	F("Destination Pitch", 1, 0, 15, INT),        \
	F("Raster Operation", 1, 16, 23, UINT),       \
	F("Color Depth", 1, 24, 25, UINT),            \
	F("Clipping Enabled", 1, 30, 30, BOOL)

/* BR22/BR23: destination rectangle, top-left inclusive, bottom-right
 * exclusive. */
#define DST_RECT(dw)                                  \
	F("Destination X1", dw, 0, 15, UINT),         \
	F("Destination Y1", dw, 16, 31, UINT),        \
	F("Destination X2", (dw) + 1, 0, 15, UINT),   \
	F("Destination Y2", (dw) + 1, 16, 31, UINT)
/* BR24/BR25: clip rectangle of the setup commands. */
#define CLIP_RECT(dw)                                 \
	F("Clip Rect X1", dw, 0, 15, UINT),           \
	F("Clip Rect Y1", dw, 16, 31, UINT),          \
	F("Clip Rect X2", (dw) + 1, 0, 15, UINT),     \
	F("Clip Rect Y2", (dw) + 1, 16, 31, UINT)
/* BR26 + BR11: source origin and pitch. */
#define SRC_XY_PITCH(dw)                              \
	F("Source X1", dw, 0, 15, UINT),              \
	F("Source Y1", dw, 16, 31, UINT),             \
	F("Source Pitch", (dw) + 1, 0, 15, INT)

/* Address operands: 48 bits over two dwords, fixed PPGTT. */
#define A(nm, dw) { .name = nm, .start = (dw) * 32, .end = (dw) * 32 + 47, \
		      .sel_bit = -1, .fixed_as = SCAN_AS_PPGTT }

#define ROW(nm, op, len, f, a) {                                           \
	.name = nm, .mask = BLT_MASK, .value = BLT_OP(op),                 \
	.engines = SCAN_ENGINE_BIT(SCAN_BCS), .len_kind = SCAN_LEN_VAR,     \
	.bias = 2, .len_mask = 0xff, .len_fixed = len,                      \
	.nfields = sizeof(f) / sizeof((f)[0]), .fields = f,                 \
	.naddrs = sizeof(a) / sizeof((a)[0]), .addrs = a }
#define ROW_NOADDR(nm, op, len, f) {                                       \
	.name = nm, .mask = BLT_MASK, .value = BLT_OP(op),                 \
	.engines = SCAN_ENGINE_BIT(SCAN_BCS), .len_kind = SCAN_LEN_VAR,     \
	.bias = 2, .len_mask = 0xff, .len_fixed = len,                      \
	.nfields = sizeof(f) / sizeof((f)[0]), .fields = f }

/* 0x01 XY_SETUP_BLT, 10 dwords: state for the XY_PIXEL/SCANLINES/TEXT blits. */
static const struct scan_field f_setup[] = {
	DW0_FIELDS, BR13_FIELDS, CLIP_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Background Color", 6), F_U32("Foreground Color", 7),
	F_ADDR("Pattern Base Address", 8),
};
static const struct scan_addr_desc a_setup[] = {
	A("Destination Base Address", 4), A("Pattern Base Address", 8),
};

/* 0x03 XY_SETUP_CLIP_BLT, 3 dwords. */
static const struct scan_field f_setup_clip[] = { DW0_FIELDS, CLIP_RECT(1) };

/* 0x11 XY_SETUP_MONO_PATTERN_SL_BLT, 10 dwords. */
static const struct scan_field f_setup_mono_pat[] = {
	DW0_FIELDS, BR13_FIELDS, CLIP_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Background Color", 6), F_U32("Foreground Color", 7),
	F_U32("Pattern Data 0", 8), F_U32("Pattern Data 1", 9),
};
static const struct scan_addr_desc a_dst4[] = { A("Destination Base Address", 4) };

/* 0x24 XY_PIXEL_BLT, 2 dwords. */
static const struct scan_field f_pixel[] = {
	DW0_FIELDS, F("Destination X", 1, 0, 15, UINT), F("Destination Y", 1, 16, 31, UINT),
};

/* 0x25 XY_SCANLINES_BLT, 3 dwords. */
static const struct scan_field f_scanlines[] = { DW0_FIELDS, DST_RECT(1) };

/* 0x26 XY_TEXT_BLT, 5 dwords: monochrome source in memory. */
static const struct scan_field f_text[] = {
	DW0_FIELDS, DST_RECT(1), F_ADDR("Source Base Address", 3),
};
static const struct scan_addr_desc a_text[] = { A("Source Base Address", 3) };

/* 0x31 XY_TEXT_IMMEDIATE_BLT, 3 dwords + immediate text data. */
static const struct scan_field f_text_imm[] = {
	DW0_FIELDS, DST_RECT(1), F_U32("Immediate Data[0]", 3),
};

/* 0x42 XY_FAST_COPY_BLT (Gen9), 10 dwords. */
static const struct scan_field f_fast_copy[] = {
	F("DWord Length", 0, 0, 7, UINT),
	F("Destination Tiling Method", 0, 13, 14, UINT),
	F("Source Tiling Method", 0, 20, 21, UINT),
	F("2D Command Opcode", 0, 22, 28, UINT),
	F("Command Type", 0, 29, 31, UINT),
	F("Destination Pitch", 1, 0, 15, INT),
	F("Color Depth", 1, 24, 26, UINT),
	DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
};
static const struct scan_addr_desc a_dst4_src8[] = {
	A("Destination Base Address", 4), A("Source Base Address", 8),
};

/* 0x44 XY_FAST_COLOR_BLT (Gen9), 7 dwords. */
static const struct scan_field f_fast_color[] = {
	F("DWord Length", 0, 0, 7, UINT),
	F("Destination Tiling Method", 0, 13, 14, UINT),
	F("2D Command Opcode", 0, 22, 28, UINT),
	F("Command Type", 0, 29, 31, UINT),
	F("Destination Pitch", 1, 0, 15, INT),
	F("Color Depth", 1, 24, 26, UINT),
	DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Fill Color", 6),
};

/* 0x50 XY_COLOR_BLT, 7 dwords. */
static const struct scan_field f_color[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_U32("Solid Pattern Color", 6),
};

/* 0x51 XY_PAT_BLT, 8 dwords. */
static const struct scan_field f_pat[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Pattern Base Address", 6),
};
static const struct scan_addr_desc a_dst4_pat6[] = {
	A("Destination Base Address", 4), A("Pattern Base Address", 6),
};

/* 0x52 XY_MONO_PAT_BLT, 10 dwords. */
static const struct scan_field f_mono_pat[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Background Color", 6), F_U32("Foreground Color", 7),
	F_U32("Pattern Data 0", 8), F_U32("Pattern Data 1", 9),
};

/* 0x53 XY_SRC_COPY_BLT, 10 dwords. */
static const struct scan_field f_src_copy[] = {
	DW0_FIELDS, SRC_TILING, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
};

/* 0x54 XY_MONO_SRC_COPY_BLT, 10 dwords. */
static const struct scan_field f_mono_src_copy[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Source Base Address", 6),
	F_U32("Background Color", 8), F_U32("Foreground Color", 9),
};
static const struct scan_addr_desc a_dst4_src6[] = {
	A("Destination Base Address", 4), A("Source Base Address", 6),
};

/* 0x55 XY_FULL_BLT, 12 dwords. */
static const struct scan_field f_full[] = {
	DW0_FIELDS, SRC_TILING, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
	F_ADDR("Pattern Base Address", 10),
};
static const struct scan_addr_desc a_dst4_src8_pat10[] = {
	A("Destination Base Address", 4), A("Source Base Address", 8),
	A("Pattern Base Address", 10),
};

/* 0x56 XY_FULL_MONO_SRC_BLT, 12 dwords. */
static const struct scan_field f_full_mono_src[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Source Base Address", 6),
	F_U32("Background Color", 8), F_U32("Foreground Color", 9),
	F_ADDR("Pattern Base Address", 10),
};
static const struct scan_addr_desc a_dst4_src6_pat10[] = {
	A("Destination Base Address", 4), A("Source Base Address", 6),
	A("Pattern Base Address", 10),
};

/* 0x57 XY_FULL_MONO_PATTERN_BLT, 14 dwords. */
static const struct scan_field f_full_mono_pattern[] = {
	DW0_FIELDS, SRC_TILING, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
	F_U32("Pattern Background Color", 10), F_U32("Pattern Foreground Color", 11),
	F_U32("Pattern Data 0", 12), F_U32("Pattern Data 1", 13),
};

/* 0x58 XY_FULL_MONO_PATTERN_MONO_SRC_BLT, 14 dwords. */
static const struct scan_field f_full_mono_pattern_mono_src[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Source Base Address", 6),
	F_U32("Source Background Color", 8), F_U32("Source Foreground Color", 9),
	F_U32("Pattern Background Color", 10), F_U32("Pattern Foreground Color", 11),
	F_U32("Pattern Data 0", 12), F_U32("Pattern Data 1", 13),
};

/* 0x59 XY_MONO_PAT_FIXED_BLT, 8 dwords. */
static const struct scan_field f_mono_pat_fixed[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Background Color", 6), F_U32("Foreground Color", 7),
};

/* 0x71 XY_MONO_SRC_COPY_IMMEDIATE_BLT, 8 dwords + immediate source. */
static const struct scan_field f_mono_src_copy_imm[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Background Color", 6), F_U32("Foreground Color", 7),
	F_U32("Immediate Data[0]", 8),
};

/* 0x72 XY_PAT_BLT_IMMEDIATE, 6 dwords + immediate pattern. */
static const struct scan_field f_pat_imm[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_U32("Pattern Data[0]", 6),
};

/* 0x73 XY_SRC_COPY_CHROMA_BLT, 12 dwords. */
static const struct scan_field f_src_copy_chroma[] = {
	DW0_FIELDS, SRC_TILING, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
	F_U32("Transparency Color Low", 10), F_U32("Transparency Color High", 11),
};

/* 0x74 XY_FULL_IMMEDIATE_PATTERN_BLT, 10 dwords + immediate pattern. */
static const struct scan_field f_full_imm_pat[] = {
	DW0_FIELDS, SRC_TILING, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	SRC_XY_PITCH(6),
	F_ADDR("Source Base Address", 8),
	F_U32("Pattern Data[0]", 10),
};

/* 0x75 XY_FULL_MONO_SRC_IMMEDIATE_PATTERN_BLT, 10 dwords + immediate pattern. */
static const struct scan_field f_full_mono_src_imm_pat[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Source Base Address", 6),
	F_U32("Background Color", 8), F_U32("Foreground Color", 9),
	F_U32("Pattern Data[0]", 10),
};

/* 0x76 XY_PAT_CHROMA_BLT, 10 dwords. */
static const struct scan_field f_pat_chroma[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4), F_ADDR("Pattern Base Address", 6),
	F_U32("Transparency Color Low", 8), F_U32("Transparency Color High", 9),
};

/* 0x77 XY_PAT_CHROMA_BLT_IMMEDIATE, 8 dwords + immediate pattern. */
static const struct scan_field f_pat_chroma_imm[] = {
	DW0_FIELDS, BR13_FIELDS, DST_RECT(2),
	F_ADDR("Destination Base Address", 4),
	F_U32("Transparency Color Low", 6), F_U32("Transparency Color High", 7),
	F_U32("Pattern Data[0]", 8),
};

const struct scan_cmd_desc scan_cmds_blt[] = {
	ROW("XY_SETUP_BLT", 0x01, 10, f_setup, a_setup),
	ROW_NOADDR("XY_SETUP_CLIP_BLT", 0x03, 3, f_setup_clip),
	ROW("XY_SETUP_MONO_PATTERN_SL_BLT", 0x11, 10, f_setup_mono_pat, a_dst4),
	ROW_NOADDR("XY_PIXEL_BLT", 0x24, 2, f_pixel),
	ROW_NOADDR("XY_SCANLINES_BLT", 0x25, 3, f_scanlines),
	ROW("XY_TEXT_BLT", 0x26, 5, f_text, a_text),
	ROW_NOADDR("XY_TEXT_IMMEDIATE_BLT", 0x31, 3, f_text_imm),
	{ .name = "XY_FAST_COPY_BLT", .mask = BLT_MASK, .value = BLT_OP(0x42),
	  .engines = SCAN_ENGINE_BIT(SCAN_BCS), .len_kind = SCAN_LEN_VAR, .bias = 2,
	  .len_mask = 0xff, .len_fixed = 10,
	  .nfields = sizeof(f_fast_copy) / sizeof(f_fast_copy[0]), .fields = f_fast_copy,
	  .naddrs = 2, .addrs = a_dst4_src8, .min_gen = SCAN_GEN9 },
	{ .name = "XY_FAST_COLOR_BLT", .mask = BLT_MASK, .value = BLT_OP(0x44),
	  .engines = SCAN_ENGINE_BIT(SCAN_BCS), .len_kind = SCAN_LEN_VAR, .bias = 2,
	  .len_mask = 0xff, .len_fixed = 7,
	  .nfields = sizeof(f_fast_color) / sizeof(f_fast_color[0]), .fields = f_fast_color,
	  .naddrs = 1, .addrs = a_dst4, .min_gen = SCAN_GEN9 },
	ROW("XY_COLOR_BLT", 0x50, 7, f_color, a_dst4),
	ROW("XY_PAT_BLT", 0x51, 8, f_pat, a_dst4_pat6),
	ROW("XY_MONO_PAT_BLT", 0x52, 10, f_mono_pat, a_dst4),
	ROW("XY_SRC_COPY_BLT", 0x53, 10, f_src_copy, a_dst4_src8),
	ROW("XY_MONO_SRC_COPY_BLT", 0x54, 10, f_mono_src_copy, a_dst4_src6),
	ROW("XY_FULL_BLT", 0x55, 12, f_full, a_dst4_src8_pat10),
	ROW("XY_FULL_MONO_SRC_BLT", 0x56, 12, f_full_mono_src, a_dst4_src6_pat10),
	ROW("XY_FULL_MONO_PATTERN_BLT", 0x57, 14, f_full_mono_pattern, a_dst4_src8),
	ROW("XY_FULL_MONO_PATTERN_MONO_SRC_BLT", 0x58, 14, f_full_mono_pattern_mono_src,
	    a_dst4_src6),
	ROW("XY_MONO_PAT_FIXED_BLT", 0x59, 8, f_mono_pat_fixed, a_dst4),
	ROW("XY_MONO_SRC_COPY_IMMEDIATE_BLT", 0x71, 8, f_mono_src_copy_imm, a_dst4),
	ROW("XY_PAT_BLT_IMMEDIATE", 0x72, 6, f_pat_imm, a_dst4),
	ROW("XY_SRC_COPY_CHROMA_BLT", 0x73, 12, f_src_copy_chroma, a_dst4_src8),
	ROW("XY_FULL_IMMEDIATE_PATTERN_BLT", 0x74, 10, f_full_imm_pat, a_dst4_src8),
	ROW("XY_FULL_MONO_SRC_IMMEDIATE_PATTERN_BLT", 0x75, 10, f_full_mono_src_imm_pat,
	    a_dst4_src6),
	ROW("XY_PAT_CHROMA_BLT", 0x76, 10, f_pat_chroma, a_dst4_pat6),
	ROW("XY_PAT_CHROMA_BLT_IMMEDIATE", 0x77, 8, f_pat_chroma_imm, a_dst4),
};
const unsigned scan_cmds_blt_count = sizeof(scan_cmds_blt) / sizeof(scan_cmds_blt[0]);
