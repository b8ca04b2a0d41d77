/* SPDX-License-Identifier: MIT */
/*
 * The commands the guest emits, as data: one row per command with the
 * header genxml gives it (Mesa gen8.xml / gen9.xml, MIT) or, for the
 * blitter, the Gen8+ XY_* layout, and the length the real drivers emit on
 * each generation (where i965 or iris emit a length other than genxml's
 * default, theirs: the captures are what a guest really sends).  The
 * builder (struct cbuf) and a few emitters with meaning (LRI, batch start
 * and end, post-sync writes) sit on top.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest_int.h"

#define R SCAN_RCS
#define B SCAN_BCS
#define V SCAN_VCS

/* name, DW0 without length, length on Gen8, on Gen9, bias, engine */
#define ROW(c, n, d, l8, l9, b, e) [c] = { n, d, l8, l9, b, e }
static const struct guesti_gcmd_row rows[C_COUNT] = {
	ROW(C_MI_NOOP,                     "MI_NOOP",                     0x00000000u, 1, 1, 0, R),
	ROW(C_MI_USER_INTERRUPT,           "MI_USER_INTERRUPT",           0x01000000u, 1, 1, 0, R),
	ROW(C_MI_ARB_CHECK,                "MI_ARB_CHECK",                0x02800000u, 1, 1, 0, R),
	ROW(C_MI_BATCH_BUFFER_END,         "MI_BATCH_BUFFER_END",         0x05000000u, 1, 1, 0, R),
	ROW(C_MI_STORE_DATA_IMM,           "MI_STORE_DATA_IMM",           0x10000000u, 4, 4, 2, R),
	ROW(C_MI_LOAD_REGISTER_IMM,        "MI_LOAD_REGISTER_IMM",        0x11000000u, 3, 3, 2, R),
	ROW(C_MI_STORE_REGISTER_MEM,       "MI_STORE_REGISTER_MEM",       0x12000000u, 4, 4, 2, R),
	ROW(C_MI_FLUSH_DW,                 "MI_FLUSH_DW",                 0x13000000u, 4, 4, 2, B),
	ROW(C_MI_LOAD_REGISTER_MEM,        "MI_LOAD_REGISTER_MEM",        0x14800000u, 4, 4, 2, R),
	ROW(C_MI_BATCH_BUFFER_START,       "MI_BATCH_BUFFER_START",       0x18800000u, 3, 3, 2, R),
	ROW(C_MI_STORE_DATA_INDEX,         "MI_STORE_DATA_INDEX",         0x10800000u, 3, 3, 2, R),
	ROW(C_MI_UPDATE_GTT,               "MI_UPDATE_GTT",               0x11800000u, 3, 3, 2, R),
	ROW(C_MI_CONDITIONAL_BATCH_BUFFER_END, "MI_CONDITIONAL_BATCH_BUFFER_END", 0x1b000000u, 3, 4, 2, R),
	ROW(C_PIPE_CONTROL,                "PIPE_CONTROL",                0x7a000000u, 6, 6, 2, R),
	ROW(C_PIPELINE_SELECT,             "PIPELINE_SELECT",             0x69040000u, 1, 1, 0, R),
	ROW(C_STATE_BASE_ADDRESS,          "STATE_BASE_ADDRESS",          0x61010000u, 16, 19, 2, R),
	ROW(C_STATE_SIP,                   "STATE_SIP",                   0x61020000u, 3, 3, 2, R),
	ROW(C_3DSTATE_DRAWING_RECTANGLE,   "3DSTATE_DRAWING_RECTANGLE",   0x79000000u, 4, 4, 2, R),
	ROW(C_3DSTATE_SAMPLE_PATTERN,      "3DSTATE_SAMPLE_PATTERN",      0x791c0000u, 9, 9, 2, R),
	ROW(C_3DSTATE_AA_LINE_PARAMETERS,  "3DSTATE_AA_LINE_PARAMETERS",  0x790a0000u, 3, 3, 2, R),
	ROW(C_3DSTATE_WM_CHROMAKEY,        "3DSTATE_WM_CHROMAKEY",        0x784c0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_WM_HZ_OP,            "3DSTATE_WM_HZ_OP",            0x78520000u, 5, 5, 2, R),
	ROW(C_3DSTATE_POLY_STIPPLE_OFFSET, "3DSTATE_POLY_STIPPLE_OFFSET", 0x79060000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PUSH_CONSTANT_ALLOC_VS, "3DSTATE_PUSH_CONSTANT_ALLOC_VS", 0x79120000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PUSH_CONSTANT_ALLOC_HS, "3DSTATE_PUSH_CONSTANT_ALLOC_HS", 0x79130000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PUSH_CONSTANT_ALLOC_DS, "3DSTATE_PUSH_CONSTANT_ALLOC_DS", 0x79140000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PUSH_CONSTANT_ALLOC_GS, "3DSTATE_PUSH_CONSTANT_ALLOC_GS", 0x79150000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PUSH_CONSTANT_ALLOC_PS, "3DSTATE_PUSH_CONSTANT_ALLOC_PS", 0x79160000u, 2, 2, 2, R),
	ROW(C_3DSTATE_URB_VS,              "3DSTATE_URB_VS",              0x78300000u, 2, 2, 2, R),
	ROW(C_3DSTATE_URB_HS,              "3DSTATE_URB_HS",              0x78310000u, 2, 2, 2, R),
	ROW(C_3DSTATE_URB_DS,              "3DSTATE_URB_DS",              0x78320000u, 2, 2, 2, R),
	ROW(C_3DSTATE_URB_GS,              "3DSTATE_URB_GS",              0x78330000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VERTEX_BUFFERS,      "3DSTATE_VERTEX_BUFFERS",      0x78080000u, 5, 5, 2, R),
	ROW(C_3DSTATE_VERTEX_ELEMENTS,     "3DSTATE_VERTEX_ELEMENTS",     0x78090000u, 3, 3, 2, R),
	ROW(C_3DSTATE_INDEX_BUFFER,        "3DSTATE_INDEX_BUFFER",        0x780a0000u, 5, 5, 2, R),
	ROW(C_3DSTATE_VF_STATISTICS,       "3DSTATE_VF_STATISTICS",       0x680b0000u, 1, 1, 0, R),
	ROW(C_3DSTATE_VF,                  "3DSTATE_VF",                  0x780c0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VF_SGVS,             "3DSTATE_VF_SGVS",             0x784a0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VF_INSTANCING,       "3DSTATE_VF_INSTANCING",       0x78490000u, 3, 3, 2, R),
	ROW(C_3DSTATE_VF_TOPOLOGY,         "3DSTATE_VF_TOPOLOGY",         0x784b0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_BLEND_STATE_POINTERS, "3DSTATE_BLEND_STATE_POINTERS", 0x78240000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PS_BLEND,            "3DSTATE_PS_BLEND",            0x784d0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_CC_STATE_POINTERS,   "3DSTATE_CC_STATE_POINTERS",   0x780e0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_WM_DEPTH_STENCIL,    "3DSTATE_WM_DEPTH_STENCIL",    0x784e0000u, 3, 4, 2, R),
	ROW(C_3DSTATE_CONSTANT_VS,         "3DSTATE_CONSTANT_VS",         0x78150000u, 11, 11, 2, R),
	ROW(C_3DSTATE_CONSTANT_HS,         "3DSTATE_CONSTANT_HS",         0x78190000u, 11, 11, 2, R),
	ROW(C_3DSTATE_CONSTANT_DS,         "3DSTATE_CONSTANT_DS",         0x781a0000u, 11, 11, 2, R),
	ROW(C_3DSTATE_CONSTANT_GS,         "3DSTATE_CONSTANT_GS",         0x78160000u, 11, 11, 2, R),
	ROW(C_3DSTATE_CONSTANT_PS,         "3DSTATE_CONSTANT_PS",         0x78170000u, 11, 11, 2, R),
	ROW(C_3DSTATE_BINDING_TABLE_POINTERS_VS, "3DSTATE_BINDING_TABLE_POINTERS_VS", 0x78260000u, 2, 2, 2, R),
	ROW(C_3DSTATE_BINDING_TABLE_POINTERS_HS, "3DSTATE_BINDING_TABLE_POINTERS_HS", 0x78270000u, 2, 2, 2, R),
	ROW(C_3DSTATE_BINDING_TABLE_POINTERS_DS, "3DSTATE_BINDING_TABLE_POINTERS_DS", 0x78280000u, 2, 2, 2, R),
	ROW(C_3DSTATE_BINDING_TABLE_POINTERS_GS, "3DSTATE_BINDING_TABLE_POINTERS_GS", 0x78290000u, 2, 2, 2, R),
	ROW(C_3DSTATE_BINDING_TABLE_POINTERS_PS, "3DSTATE_BINDING_TABLE_POINTERS_PS", 0x782a0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_SAMPLER_STATE_POINTERS_PS, "3DSTATE_SAMPLER_STATE_POINTERS_PS", 0x782f0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_MULTISAMPLE,         "3DSTATE_MULTISAMPLE",         0x780d0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_SAMPLE_MASK,         "3DSTATE_SAMPLE_MASK",         0x78180000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VS,                  "3DSTATE_VS",                  0x78100000u, 9, 9, 2, R),
	ROW(C_3DSTATE_HS,                  "3DSTATE_HS",                  0x781b0000u, 9, 9, 2, R),
	ROW(C_3DSTATE_TE,                  "3DSTATE_TE",                  0x781c0000u, 4, 4, 2, R),
	ROW(C_3DSTATE_DS,                  "3DSTATE_DS",                  0x781d0000u, 9, 11, 2, R),
	ROW(C_3DSTATE_GS,                  "3DSTATE_GS",                  0x78110000u, 10, 10, 2, R),
	ROW(C_3DSTATE_STREAMOUT,           "3DSTATE_STREAMOUT",           0x781e0000u, 5, 5, 2, R),
	ROW(C_3DSTATE_CLIP,                "3DSTATE_CLIP",                0x78120000u, 4, 4, 2, R),
	ROW(C_3DSTATE_SF,                  "3DSTATE_SF",                  0x78130000u, 4, 4, 2, R),
	ROW(C_3DSTATE_RASTER,              "3DSTATE_RASTER",              0x78500000u, 5, 5, 2, R),
	ROW(C_3DSTATE_SBE,                 "3DSTATE_SBE",                 0x781f0000u, 4, 6, 2, R),
	ROW(C_3DSTATE_SBE_SWIZ,            "3DSTATE_SBE_SWIZ",            0x78510000u, 11, 11, 2, R),
	ROW(C_3DSTATE_WM,                  "3DSTATE_WM",                  0x78140000u, 2, 2, 2, R),
	ROW(C_3DSTATE_PS,                  "3DSTATE_PS",                  0x78200000u, 12, 12, 2, R),
	ROW(C_3DSTATE_PS_EXTRA,            "3DSTATE_PS_EXTRA",            0x784f0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VIEWPORT_STATE_POINTERS_CC, "3DSTATE_VIEWPORT_STATE_POINTERS_CC", 0x78230000u, 2, 2, 2, R),
	ROW(C_3DSTATE_VIEWPORT_STATE_POINTERS_SF_CLIP, "3DSTATE_VIEWPORT_STATE_POINTERS_SF_CLIP", 0x78210000u, 2, 2, 2, R),
	ROW(C_3DSTATE_SCISSOR_STATE_POINTERS, "3DSTATE_SCISSOR_STATE_POINTERS", 0x780f0000u, 2, 2, 2, R),
	ROW(C_3DSTATE_DEPTH_BUFFER,        "3DSTATE_DEPTH_BUFFER",        0x78050000u, 8, 8, 2, R),
	ROW(C_3DSTATE_HIER_DEPTH_BUFFER,   "3DSTATE_HIER_DEPTH_BUFFER",   0x78070000u, 5, 5, 2, R),
	ROW(C_3DSTATE_STENCIL_BUFFER,      "3DSTATE_STENCIL_BUFFER",      0x78060000u, 5, 5, 2, R),
	ROW(C_3DSTATE_CLEAR_PARAMS,        "3DSTATE_CLEAR_PARAMS",        0x78040000u, 3, 3, 2, R),
	ROW(C_3DPRIMITIVE,                 "3DPRIMITIVE",                 0x7b000000u, 7, 7, 2, R),
	ROW(C_MEDIA_VFE_STATE,             "MEDIA_VFE_STATE",             0x70000000u, 9, 9, 2, R),
	ROW(C_MEDIA_CURBE_LOAD,            "MEDIA_CURBE_LOAD",            0x70010000u, 4, 4, 2, R),
	ROW(C_MEDIA_INTERFACE_DESCRIPTOR_LOAD, "MEDIA_INTERFACE_DESCRIPTOR_LOAD", 0x70020000u, 4, 4, 2, R),
	ROW(C_GPGPU_WALKER,                "GPGPU_WALKER",                0x71050000u, 15, 15, 2, R),
	ROW(C_MEDIA_STATE_FLUSH,           "MEDIA_STATE_FLUSH",           0x70040000u, 2, 2, 2, R),
	/* Blitter: type 2, opcode in bits 28:22; 32 bpp write enables set. */
	ROW(C_XY_COLOR_BLT,                "XY_COLOR_BLT",                0x54300000u, 7, 7, 2, B),
	ROW(C_XY_SRC_COPY_BLT,             "XY_SRC_COPY_BLT",             0x54f00000u, 10, 10, 2, B),
	ROW(C_XY_FAST_COPY_BLT,            "XY_FAST_COPY_BLT",            0x50800000u, 0, 10, 2, B),
	/* Video: i965's H.264 decode lengths (gen9-i965-h264-decode). */
	ROW(C_MFX_PIPE_MODE_SELECT,        "MFX_PIPE_MODE_SELECT",        0x70000000u, 5, 5, 2, V),
	ROW(C_MFX_SURFACE_STATE,           "MFX_SURFACE_STATE",           0x70010000u, 6, 6, 2, V),
	ROW(C_MFX_PIPE_BUF_ADDR_STATE,     "MFX_PIPE_BUF_ADDR_STATE",     0x70020000u, 61, 61, 2, V),
	ROW(C_MFX_IND_OBJ_BASE_ADDR_STATE, "MFX_IND_OBJ_BASE_ADDR_STATE", 0x70030000u, 26, 26, 2, V),
	ROW(C_MFX_BSP_BUF_BASE_ADDR_STATE, "MFX_BSP_BUF_BASE_ADDR_STATE", 0x70040000u, 10, 10, 2, V),
	ROW(C_MFX_QM_STATE,                "MFX_QM_STATE",                0x70070000u, 18, 18, 2, V),
	ROW(C_MFD_AVC_PICID_STATE,         "MFD_AVC_PICID_STATE",         0x71250000u, 10, 10, 2, V),
	ROW(C_MFX_AVC_IMG_STATE,           "MFX_AVC_IMG_STATE",           0x71000000u, 17, 17, 2, V),
	ROW(C_MFX_AVC_DIRECTMODE_STATE,    "MFX_AVC_DIRECTMODE_STATE",    0x71020000u, 71, 71, 2, V),
	ROW(C_MFX_AVC_REF_IDX_STATE,       "MFX_AVC_REF_IDX_STATE",       0x71040000u, 10, 10, 2, V),
	ROW(C_MFX_AVC_SLICE_STATE,         "MFX_AVC_SLICE_STATE",         0x71030000u, 11, 11, 2, V),
	ROW(C_MFD_AVC_BSD_OBJECT,          "MFD_AVC_BSD_OBJECT",          0x71280000u, 6, 6, 2, V),
};

const struct guesti_gcmd_row *guesti_gcmd_row(enum gcmd c)
{
	return (unsigned)c < C_COUNT ? &rows[c] : NULL;
}

uint32_t guesti_gcmd_hdr(enum gcmd c, unsigned dwords)
{
	const struct guesti_gcmd_row *r = &rows[c];
	if (!r->bias || dwords < r->bias)
		return r->dw0;
	return r->dw0 | (dwords - r->bias);
}

unsigned guesti_gcmd_len(enum gcmd c, enum scan_gen gen)
{
	if ((unsigned)c >= C_COUNT)
		return 0;
	return gen == SCAN_GEN8 ? rows[c].len8 : rows[c].len9;
}

/* ------------------------------------------------------------ builder */

void guesti_cb_reset(struct cbuf *c)
{
	c->n = 0;
	c->cmds = 0;
	c->oom = false;
}

void guesti_cb_free(struct cbuf *c)
{
	free(c->dw);
	memset(c, 0, sizeof(*c));
}

static bool cb_room(struct cbuf *c, unsigned n)
{
	if (c->oom)
		return false;
	if (c->n + n <= c->cap)
		return true;
	unsigned cap = c->cap ? c->cap : 1024;
	while (cap < c->n + n)
		cap *= 2;
	uint32_t *p = realloc(c->dw, (size_t)cap * 4);
	if (!p) {
		c->oom = true;
		return false;
	}
	c->dw = p;
	c->cap = cap;
	return true;
}

void guesti_cb_raw(struct cbuf *c, const uint32_t *dw, unsigned n)
{
	if (!cb_room(c, n))
		return;
	if (dw)
		memcpy(c->dw + c->n, dw, (size_t)n * 4);
	else
		memset(c->dw + c->n, 0, (size_t)n * 4);
	c->n += n;
}

void guesti_cb_cmd(struct cbuf *c, const uint32_t *dw, unsigned n)
{
	guesti_cb_raw(c, dw, n);
	c->cmds++;
}

void guesti_cb_align8(struct cbuf *c)
{
	if (c->n & 1) {
		uint32_t noop = 0;
		guesti_cb_cmd(c, &noop, 1);
	}
}

/* ------------------------------------------------------------ emitters */

void guesti_emit_n(struct cbuf *c, enum gcmd cmd, unsigned dwords, const uint32_t *body, unsigned nbody)
{
	if (!dwords || !cb_room(c, dwords))
		return;
	uint32_t *p = c->dw + c->n;
	p[0] = guesti_gcmd_hdr(cmd, dwords);
	for (unsigned i = 1; i < dwords; i++)
		p[i] = i - 1 < nbody ? body[i - 1] : 0;
	c->n += dwords;
	c->cmds++;
}

void guesti_emit(struct cbuf *c, enum scan_gen gen, enum gcmd cmd, const uint32_t *body, unsigned nbody)
{
	guesti_emit_n(c, cmd, guesti_gcmd_len(cmd, gen), body, nbody);
}

void guesti_emit_lri(struct cbuf *c, uint32_t reg, uint32_t val)
{
	uint32_t b[2] = { reg, val };
	guesti_emit_n(c, C_MI_LOAD_REGISTER_IMM, 3, b, 2);
}

void guesti_emit_bb_end(struct cbuf *c)
{
	guesti_emit_n(c, C_MI_BATCH_BUFFER_END, 1, NULL, 0);
}

void guesti_emit_bb_start(struct cbuf *c, uint64_t gma, bool ppgtt, bool second_level)
{
	uint32_t d[3] = {
		guesti_gcmd_hdr(C_MI_BATCH_BUFFER_START, 3) | (ppgtt ? 1u << 8 : 0) |
			(second_level ? 1u << 22 : 0),
		(uint32_t)gma & ~3u,
		(uint32_t)(gma >> 32) & 0xffffu,
	};
	guesti_cb_cmd(c, d, 3);
}

void guesti_emit_pipe_control(struct cbuf *c, uint32_t flags, uint64_t post_gma, bool ggtt, uint64_t imm)
{
	uint32_t d[6] = { guesti_gcmd_hdr(C_PIPE_CONTROL, 6), flags, 0, 0, 0, 0 };
	if (post_gma) {
		d[1] |= PC_POST_SYNC_IMM | (ggtt ? PC_GGTT : 0);
		d[2] = (uint32_t)post_gma & ~7u;
		d[3] = (uint32_t)(post_gma >> 32) & 0xffffu;
		d[4] = (uint32_t)imm;
		d[5] = (uint32_t)(imm >> 32);
	}
	guesti_cb_cmd(c, d, 6);
}

void guesti_emit_flush_dw(struct cbuf *c, uint32_t flags, uint64_t post_gma, bool ggtt, uint64_t imm)
{
	if (!post_gma) {
		uint32_t d[4] = { guesti_gcmd_hdr(C_MI_FLUSH_DW, 4) | flags, 0, 0, 0 };
		guesti_cb_cmd(c, d, 4);
		return;
	}
	uint32_t d[5] = {
		guesti_gcmd_hdr(C_MI_FLUSH_DW, 5) | flags | (1u << 14), /* post-sync: write immediate */
		((uint32_t)post_gma & ~7u) | (ggtt ? 4u : 0),    /* bit 2: GGTT */
		(uint32_t)(post_gma >> 32) & 0xffffu,
		(uint32_t)imm,
		(uint32_t)(imm >> 32),
	};
	guesti_cb_cmd(c, d, 5);
}

void guesti_emit_sdi64(struct cbuf *c, uint64_t gma, bool ggtt, uint64_t val)
{
	uint32_t d[5] = {
		guesti_gcmd_hdr(C_MI_STORE_DATA_IMM, 5) | (1u << 21) | (ggtt ? 1u << 22 : 0), /* qword */
		(uint32_t)gma & ~7u,
		(uint32_t)(gma >> 32) & 0xffffu,
		(uint32_t)val,
		(uint32_t)(val >> 32),
	};
	guesti_cb_cmd(c, d, 5);
}
