/* SPDX-License-Identifier: MIT */
/*
 * The video-enhancement engine's VEBOX commands (type 3 on VECS: pipeline
 * 28:27 = 2, opcode 26:24 = 4, sub-opcode A 23:21 = 0, sub-opcode B 20:16;
 * 12-bit length field, bias 2), which Mesa's Gen8/Gen9 genxml does not
 * describe.  Facts (opcodes, sub-opcodes, dword counts, address fields)
 * from Intel's MIT-licensed media driver, the hardware-command headers
 * mhw_vebox_hwcmd_g8_X.h and mhw_vebox_hwcmd_g9_X.h (and their .cpp
 * constructors, where DW0's DWord Length defaults to dwSize - 2); GVT-g
 * knows three of them, VECS-only, without handlers (gvt-g.md 1.1, 2.3, 2.4).
 *
 * Every command's length differs between Gen8 and Gen9 (Skylake added
 * dwords), so each generation has its own rows; VEBOX_TILING_CONVERT exists
 * on Gen9 only.  Every address is the pair "X Low" (bits 31:12 of a dword)
 * + "X High" (bits 15:0 of the next), i.e. bits 47:12 of a 4 KiB-aligned
 * address, except the Gen9 Gamma Correction Values Address and the
 * VEBOX_TILING_CONVERT addresses, which are bits 63:12 of a qword.  No
 * VEBOX command has an address-space selector: the addresses go through
 * the context's PPGTT, as for every other state and surface address.
 * docs/COMMANDS.md lists the rows.  Rows are in sub-opcode order.
 */
#include "scanner/cmd_table.h"

#define VEBOX_MASK   0xffff0000u /* type, pipeline, opcode, sub-op A, sub-op B */
#define VEBOX_OP(b)  (0x74000000u | ((uint32_t)(b) << 16))

/* Field helpers: dword dw, bits lo..hi of that dword. */
#define F(name, dw, lo, hi, t) { name, (dw) * 32 + (lo), (dw) * 32 + (hi), SCAN_FT_##t }
/* A 4 KiB-aligned address, bits 47:12, in DW dw (31:12) and dw+1 (15:0). */
#define F_ADDR48(name, dw)     { name, (dw) * 32 + 12, (dw) * 32 + 47, SCAN_FT_ADDRESS }
/* A 4 KiB-aligned address, bits 63:12 of the qword at DW dw. */
#define F_ADDR64(name, dw)     { name, (dw) * 32 + 12, (dw) * 32 + 63, SCAN_FT_ADDRESS }

#define DW0_FIELDS                                 \
	F("DWord Length", 0, 0, 11, UINT),         \
	F("SubOpcode B", 0, 16, 20, UINT),         \
	F("SubOpcode A", 0, 21, 23, UINT),         \
	F("Media Command Opcode", 0, 24, 26, UINT), \
	F("Pipeline", 0, 27, 28, UINT),            \
	F("Command Type", 0, 29, 31, UINT)

/* Address operands, fixed PPGTT. */
#define A48(nm, dw) { .name = nm, .start = (dw) * 32 + 12, .end = (dw) * 32 + 47, \
		      .sel_bit = -1, .fixed_as = SCAN_AS_PPGTT }
#define A64(nm, dw) { .name = nm, .start = (dw) * 32 + 12, .end = (dw) * 32 + 63, \
		      .sel_bit = -1, .fixed_as = SCAN_AS_PPGTT }

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ROW(nm, subb, len, f, a, gen) {                                    \
	.name = nm, .mask = VEBOX_MASK, .value = VEBOX_OP(subb),           \
	.engines = SCAN_ENGINE_BIT(SCAN_VECS), .len_kind = SCAN_LEN_VAR,    \
	.bias = 2, .len_mask = 0xfff, .len_fixed = len,                     \
	.nfields = NELEM(f), .fields = f, .naddrs = NELEM(a), .addrs = a,   \
	.min_gen = gen }
#define ROW_NOADDR(nm, subb, len, f) {                                     \
	.name = nm, .mask = VEBOX_MASK, .value = VEBOX_OP(subb),           \
	.engines = SCAN_ENGINE_BIT(SCAN_VECS), .len_kind = SCAN_LEN_VAR,    \
	.bias = 2, .len_mask = 0xfff, .len_fixed = len,                     \
	.nfields = NELEM(f), .fields = f }

/* ------------------------------------------------ VEBOX_SURFACE_STATE */

/* DW1-DW5, common to both generations: which surface set, size, layout. */
#define SURFACE_FIELDS                                     \
	F("Surface Identification", 1, 0, 0, UINT),        \
	F("Width", 2, 4, 17, UINT),                        \
	F("Height", 2, 18, 31, UINT),                      \
	F("Tile Walk", 3, 0, 0, UINT),                     \
	F("Tiled Surface", 3, 1, 1, BOOL),                 \
	F("Half Pitch for Chroma", 3, 2, 2, BOOL),         \
	F("Surface Pitch", 3, 3, 19, UINT),                \
	F("Bayer Pattern Format", 3, 24, 24, UINT),        \
	F("Bayer Pattern Offset", 3, 25, 26, UINT),        \
	F("Interleave Chroma", 3, 27, 27, BOOL),           \
	F("Surface Format", 3, 28, 31, UINT),              \
	F("Y Offset for U", 4, 0, 14, UINT),               \
	F("X Offset for U", 4, 16, 28, UINT),              \
	F("Y Offset for V", 5, 0, 14, UINT),               \
	F("X Offset for V", 5, 16, 28, UINT)

/* Gen8: 7 dwords (DW6 unnamed in the source). */
static const struct scan_field f_surface_gen8[] = { DW0_FIELDS, SURFACE_FIELDS };

/* Gen9: 9 dwords. */
static const struct scan_field f_surface_gen9[] = {
	DW0_FIELDS, SURFACE_FIELDS,
	F("Y Offset for Frame", 6, 0, 14, UINT),
	F("X Offset for Frame", 6, 16, 30, UINT),
	F("Derived Surface Pitch", 7, 0, 16, UINT),
	F("Surface Pitch for Skin Score Output Surfaces", 8, 0, 16, UINT),
};

/* ------------------------------------------------ VEBOX_TILING_CONVERT */

/* Gen9: 5 dwords; copies the input surface to the output one with another
 * tiling and pitch. */
static const struct scan_field f_tiling_convert[] = {
	DW0_FIELDS,
	F("Input Surface Control Bits", 1, 0, 10, OTHER),
	F_ADDR64("Input Address", 1),
	F("Output Surface Control Bits", 3, 0, 10, OTHER),
	F_ADDR64("Output Address", 3),
};
static const struct scan_addr_desc a_tiling_convert[] = {
	A64("Input Address", 1), A64("Output Address", 3),
};

/* --------------------------------------------------------- VEBOX_STATE */

#define STATE_DW1_FIELDS                                    \
	F("Color Gamut Expansion Enable", 1, 0, 0, BOOL),   \
	F("Color Gamut Compression Enable", 1, 1, 1, BOOL), \
	F("Global IECP Enable", 1, 2, 2, BOOL),             \
	F("DN Enable", 1, 3, 3, BOOL),                      \
	F("DI Enable", 1, 4, 4, BOOL),                      \
	F("DN/DI First Frame", 1, 5, 5, BOOL),              \
	F("422/420 Downsample Method", 1, 6, 6, UINT),      \
	F("444/422 Downsample Method", 1, 7, 7, UINT),      \
	F("DI Output Frames", 1, 8, 9, UINT),               \
	F("Demosaic Enable", 1, 10, 10, BOOL),              \
	F("Vignette Enable", 1, 11, 11, BOOL),              \
	F("Alpha Plane Enable", 1, 12, 12, BOOL),           \
	F("Hot Pixel Filtering Enable", 1, 13, 13, BOOL)
#define STATE_POINTERS                                     \
	F_ADDR48("DN/DI State Pointer", 2),                \
	F_ADDR48("IECP State Pointer", 4),                 \
	F_ADDR48("Gamut State Pointer", 6),                \
	F_ADDR48("Vertex Table State Pointer", 8),         \
	F_ADDR48("Capture Pipe State Pointer", 10)
#define STATE_POINTER_OPS                                  \
	A48("DN/DI State Pointer", 2),                     \
	A48("IECP State Pointer", 4),                      \
	A48("Gamut State Pointer", 6),                     \
	A48("Vertex Table State Pointer", 8),              \
	A48("Capture Pipe State Pointer", 10)

/* Gen8: 12 dwords, five indirect state pointers. */
static const struct scan_field f_state_gen8[] = {
	DW0_FIELDS, STATE_DW1_FIELDS,
	F("Single Slice VEBOX Enable", 1, 14, 14, BOOL),
	F("State Surface Control Bits", 1, 25, 31, OTHER),
	STATE_POINTERS,
};
static const struct scan_addr_desc a_state_gen8[] = { STATE_POINTER_OPS };

/* Gen9: 16 dwords; adds the LACE LUT table pointer and the gamma values. */
static const struct scan_field f_state_gen9[] = {
	DW0_FIELDS, STATE_DW1_FIELDS,
	F("Single Slice VEBOX Enable", 1, 14, 15, UINT),
	F("LACE Correction Enable", 1, 16, 16, BOOL),
	F("Disable Encoder Statistics", 1, 17, 17, BOOL),
	F("Disable Temporal Denoise Filter", 1, 18, 18, BOOL),
	F("Single Pipe Enable", 1, 19, 19, BOOL),
	F("Forward Gamma Correction Enable", 1, 21, 21, BOOL),
	F("State Surface Control Bits", 1, 25, 31, OTHER),
	STATE_POINTERS,
	F_ADDR48("LACE LUT Table State Pointer", 12),
	F("Arbitration Priority Control for LACE LUT", 13, 30, 31, UINT),
	F_ADDR64("Gamma Correction Values Address", 14),
};
static const struct scan_addr_desc a_state_gen9[] = {
	STATE_POINTER_OPS,
	A48("LACE LUT Table State Pointer", 12),
	A64("Gamma Correction Values Address", 14),
};

/* --------------------------------------------------------- VEB_DI_IECP */

/* Each surface: control bits (cacheability) in the low bits of the
 * address dword; Gen9 adds an arbitration priority in the high dword. */
#define DI_SURF8(nm, dw) \
	F(nm " Surface Control Bits", dw, 0, 8, OTHER), F_ADDR48(nm " Address", dw)
#define DI_SURF9(nm, dw)                                          \
	F(nm " Surface Control Bits", dw, 0, 10, OTHER),          \
	F_ADDR48(nm " Address", dw),                              \
	F(nm " Arbitration Priority Control", (dw) + 1, 30, 31, UINT)
#define DI_X F("Ending X", 1, 0, 13, UINT), F("Starting X", 1, 16, 29, UINT)
#define DI_OPS                                             \
	A48("Current Frame Input Address", 2),             \
	A48("Previous Frame Input Address", 4),            \
	A48("STMM Input Address", 6),                      \
	A48("STMM Output Address", 8),                     \
	A48("Denoised Current Frame Output Address", 10),  \
	A48("Current Frame Output Address", 12),           \
	A48("Previous Frame Output Address", 14),          \
	A48("Statistics Output Address", 16),              \
	A48("Alpha/Vignette Correction Address", 18)

/* Gen8: 20 dwords, nine surfaces. */
static const struct scan_field f_di_iecp_gen8[] = {
	DW0_FIELDS, DI_X,
	DI_SURF8("Current Frame Input", 2),
	DI_SURF8("Previous Frame Input", 4),
	DI_SURF8("STMM Input", 6),
	DI_SURF8("STMM Output", 8),
	DI_SURF8("Denoised Current Frame Output", 10),
	DI_SURF8("Current Frame Output", 12),
	DI_SURF8("Previous Frame Output", 14),
	DI_SURF8("Statistics Output", 16),
	DI_SURF8("Alpha/Vignette Correction", 18),
};
static const struct scan_addr_desc a_di_iecp_gen8[] = { DI_OPS };

/* Gen9: 24 dwords; adds the LACE/ACE/RGB histogram and skin score outputs. */
static const struct scan_field f_di_iecp_gen9[] = {
	DW0_FIELDS, DI_X,
	DI_SURF9("Current Frame Input", 2),
	DI_SURF9("Previous Frame Input", 4),
	DI_SURF9("STMM Input", 6),
	DI_SURF9("STMM Output", 8),
	DI_SURF9("Denoised Current Frame Output", 10),
	DI_SURF9("Current Frame Output", 12),
	DI_SURF9("Previous Frame Output", 14),
	DI_SURF9("Statistics Output", 16),
	DI_SURF9("Alpha/Vignette Correction", 18),
	DI_SURF9("LACE/ACE/RGB Histogram Output", 20),
	DI_SURF9("Skin Score Output", 22),
};
static const struct scan_addr_desc a_di_iecp_gen9[] = {
	DI_OPS,
	A48("LACE/ACE/RGB Histogram Output Address", 20),
	A48("Skin Score Output Address", 22),
};

/* ------------------------------------------------------------- tables */

const struct scan_cmd_desc scan_cmds_vebox_gen8[] = {
	ROW_NOADDR("VEBOX_SURFACE_STATE", 0, 7, f_surface_gen8),
	ROW("VEBOX_STATE", 2, 12, f_state_gen8, a_state_gen8, 0),
	ROW("VEB_DI_IECP", 3, 20, f_di_iecp_gen8, a_di_iecp_gen8, 0),
};
const unsigned scan_cmds_vebox_gen8_count = NELEM(scan_cmds_vebox_gen8);

const struct scan_cmd_desc scan_cmds_vebox_gen9[] = {
	ROW_NOADDR("VEBOX_SURFACE_STATE", 0, 9, f_surface_gen9),
	ROW("VEBOX_TILING_CONVERT", 1, 5, f_tiling_convert, a_tiling_convert, SCAN_GEN9),
	ROW("VEBOX_STATE", 2, 16, f_state_gen9, a_state_gen9, 0),
	ROW("VEB_DI_IECP", 3, 24, f_di_iecp_gen9, a_di_iecp_gen9, 0),
};
const unsigned scan_cmds_vebox_gen9_count = NELEM(scan_cmds_vebox_gen9);
