/* SPDX-License-Identifier: MIT */
/* guest — private declarations shared by the files of guest/. */
#ifndef VGT_GUEST_INT_H
#define VGT_GUEST_INT_H

#include <stdarg.h>

#include "common/common.h"
#include "corpus/corpus.h"
#include "guest/guest.h"

#define GPAGE 4096u

static inline uint64_t page_up(uint64_t n)
{
	return (n + GPAGE - 1) & ~(uint64_t)(GPAGE - 1);
}

/* ------------------------------------------------------------- arena */

/* Bump allocator for one workload's data: reset by every guest_gen_next(),
 * blocks kept for the next one (no allocation once warm). */
struct arena_blk {
	uint8_t *p;
	size_t used, cap;
};
struct arena {
	struct arena_blk *b;
	unsigned n, cap, cur;
	bool oom;
};
void *guesti_arena_alloc(struct arena *a, size_t n);   /* 16-byte aligned, zeroed; NULL on OOM */
void guesti_arena_reset(struct arena *a);
void guesti_arena_free(struct arena *a);

/* ---------------------------------------------------- command builder */

/* A growing dword buffer (a batch, or ring commands). */
struct cbuf {
	uint32_t *dw;
	unsigned n, cap;
	unsigned cmds;   /* commands emitted */
	bool oom;
};
void guesti_cb_reset(struct cbuf *c);
void guesti_cb_free(struct cbuf *c);
/* Appends one command of n dwords (dw[0] is the header); counts it. */
void guesti_cb_cmd(struct cbuf *c, const uint32_t *dw, unsigned n);
/* Appends raw dwords (part of the previous command or padding). */
void guesti_cb_raw(struct cbuf *c, const uint32_t *dw, unsigned n);
/* Pads with MI_NOOP to a multiple of 8 bytes. */
void guesti_cb_align8(struct cbuf *c);
static inline uint32_t cb_bytes(const struct cbuf *c) { return 4u * c->n; }

/* The commands the generators emit.  Headers and lengths are genxml's
 * (Mesa gen8.xml / gen9.xml) and the Gen8+ XY_* layouts; cmds.c holds the
 * table and test_guest_workloads checks every row against the scanner. */
enum gcmd {
	C_MI_NOOP = 0,
	C_MI_USER_INTERRUPT,
	C_MI_ARB_CHECK,
	C_MI_BATCH_BUFFER_END,
	C_MI_STORE_DATA_IMM,
	C_MI_LOAD_REGISTER_IMM,
	C_MI_STORE_REGISTER_MEM,
	C_MI_FLUSH_DW,
	C_MI_LOAD_REGISTER_MEM,
	C_MI_BATCH_BUFFER_START,
	C_MI_STORE_DATA_INDEX,
	C_MI_UPDATE_GTT,
	C_MI_CONDITIONAL_BATCH_BUFFER_END,
	C_PIPE_CONTROL,
	C_PIPELINE_SELECT,
	C_STATE_BASE_ADDRESS,
	C_STATE_SIP,
	C_3DSTATE_DRAWING_RECTANGLE,
	C_3DSTATE_SAMPLE_PATTERN,
	C_3DSTATE_AA_LINE_PARAMETERS,
	C_3DSTATE_WM_CHROMAKEY,
	C_3DSTATE_WM_HZ_OP,
	C_3DSTATE_POLY_STIPPLE_OFFSET,
	C_3DSTATE_PUSH_CONSTANT_ALLOC_VS,
	C_3DSTATE_PUSH_CONSTANT_ALLOC_HS,
	C_3DSTATE_PUSH_CONSTANT_ALLOC_DS,
	C_3DSTATE_PUSH_CONSTANT_ALLOC_GS,
	C_3DSTATE_PUSH_CONSTANT_ALLOC_PS,
	C_3DSTATE_URB_VS,
	C_3DSTATE_URB_HS,
	C_3DSTATE_URB_DS,
	C_3DSTATE_URB_GS,
	C_3DSTATE_VERTEX_BUFFERS,
	C_3DSTATE_VERTEX_ELEMENTS,
	C_3DSTATE_INDEX_BUFFER,
	C_3DSTATE_VF_STATISTICS,
	C_3DSTATE_VF,
	C_3DSTATE_VF_SGVS,
	C_3DSTATE_VF_INSTANCING,
	C_3DSTATE_VF_TOPOLOGY,
	C_3DSTATE_BLEND_STATE_POINTERS,
	C_3DSTATE_PS_BLEND,
	C_3DSTATE_CC_STATE_POINTERS,
	C_3DSTATE_WM_DEPTH_STENCIL,
	C_3DSTATE_CONSTANT_VS,
	C_3DSTATE_CONSTANT_HS,
	C_3DSTATE_CONSTANT_DS,
	C_3DSTATE_CONSTANT_GS,
	C_3DSTATE_CONSTANT_PS,
	C_3DSTATE_BINDING_TABLE_POINTERS_VS,
	C_3DSTATE_BINDING_TABLE_POINTERS_HS,
	C_3DSTATE_BINDING_TABLE_POINTERS_DS,
	C_3DSTATE_BINDING_TABLE_POINTERS_GS,
	C_3DSTATE_BINDING_TABLE_POINTERS_PS,
	C_3DSTATE_SAMPLER_STATE_POINTERS_PS,
	C_3DSTATE_MULTISAMPLE,
	C_3DSTATE_SAMPLE_MASK,
	C_3DSTATE_VS,
	C_3DSTATE_HS,
	C_3DSTATE_TE,
	C_3DSTATE_DS,
	C_3DSTATE_GS,
	C_3DSTATE_STREAMOUT,
	C_3DSTATE_CLIP,
	C_3DSTATE_SF,
	C_3DSTATE_RASTER,
	C_3DSTATE_SBE,
	C_3DSTATE_SBE_SWIZ,
	C_3DSTATE_WM,
	C_3DSTATE_PS,
	C_3DSTATE_PS_EXTRA,
	C_3DSTATE_VIEWPORT_STATE_POINTERS_CC,
	C_3DSTATE_VIEWPORT_STATE_POINTERS_SF_CLIP,
	C_3DSTATE_SCISSOR_STATE_POINTERS,
	C_3DSTATE_DEPTH_BUFFER,
	C_3DSTATE_HIER_DEPTH_BUFFER,
	C_3DSTATE_STENCIL_BUFFER,
	C_3DSTATE_CLEAR_PARAMS,
	C_3DPRIMITIVE,
	C_MEDIA_VFE_STATE,
	C_MEDIA_CURBE_LOAD,
	C_MEDIA_INTERFACE_DESCRIPTOR_LOAD,
	C_GPGPU_WALKER,
	C_MEDIA_STATE_FLUSH,
	C_XY_COLOR_BLT,
	C_XY_SRC_COPY_BLT,
	C_XY_FAST_COPY_BLT,
	C_MFX_PIPE_MODE_SELECT,
	C_MFX_SURFACE_STATE,
	C_MFX_PIPE_BUF_ADDR_STATE,
	C_MFX_IND_OBJ_BASE_ADDR_STATE,
	C_MFX_BSP_BUF_BASE_ADDR_STATE,
	C_MFX_QM_STATE,
	C_MFD_AVC_PICID_STATE,
	C_MFX_AVC_IMG_STATE,
	C_MFX_AVC_DIRECTMODE_STATE,
	C_MFX_AVC_REF_IDX_STATE,
	C_MFX_AVC_SLICE_STATE,
	C_MFD_AVC_BSD_OBJECT,
	C_COUNT
};

struct guesti_gcmd_row {
	const char *name;   /* the scanner's (genxml's) name */
	uint32_t dw0;       /* header without the length field */
	uint8_t len8, len9; /* total dwords as emitted on Gen8 / Gen9 (0: not on that gen) */
	uint8_t bias;       /* 2 for length-field commands, 0 for one-dword ones */
	uint8_t engine;     /* enum scan_engine the command is emitted on */
};
const struct guesti_gcmd_row *guesti_gcmd_row(enum gcmd c);
/* Header with the length field for `dwords` total dwords. */
uint32_t guesti_gcmd_hdr(enum gcmd c, unsigned dwords);
/* The emitted length of a command on a generation (0: not available). */
unsigned guesti_gcmd_len(enum gcmd c, enum scan_gen gen);

/* Emits a command of its default length: header, then dwords 1.. from
 * `body` (missing ones zero). */
void guesti_emit(struct cbuf *c, enum scan_gen gen, enum gcmd cmd, const uint32_t *body, unsigned nbody);
/* The same with an explicit total length. */
void guesti_emit_n(struct cbuf *c, enum gcmd cmd, unsigned dwords, const uint32_t *body, unsigned nbody);
void guesti_emit_lri(struct cbuf *c, uint32_t reg, uint32_t val);
void guesti_emit_bb_end(struct cbuf *c);
void guesti_emit_bb_start(struct cbuf *c, uint64_t gma, bool ppgtt, bool second_level);
/* PIPE_CONTROL: flags for DW1, and an optional post-sync immediate write
 * (post_gma 0: none). */
void guesti_emit_pipe_control(struct cbuf *c, uint32_t flags, uint64_t post_gma, bool ggtt, uint64_t imm);
/* MI_FLUSH_DW with an optional qword post-sync write (post_gma 0: none). */
void guesti_emit_flush_dw(struct cbuf *c, uint32_t flags, uint64_t post_gma, bool ggtt, uint64_t imm);
/* MI_STORE_DATA_IMM of a qword (PPGTT or GGTT). */
void guesti_emit_sdi64(struct cbuf *c, uint64_t gma, bool ggtt, uint64_t val);

/* PIPE_CONTROL DW1 bits (genxml). */
#define PC_DEPTH_CACHE_FLUSH   (1u << 0)
#define PC_STALL_AT_SCOREBOARD (1u << 1)
#define PC_STATE_CACHE_INV     (1u << 2)
#define PC_CONST_CACHE_INV     (1u << 3)
#define PC_VF_CACHE_INV        (1u << 4)
#define PC_DC_FLUSH            (1u << 5)
#define PC_NOTIFY              (1u << 8)
#define PC_TEXTURE_CACHE_INV   (1u << 10)
#define PC_INSTR_CACHE_INV     (1u << 11)
#define PC_RT_FLUSH            (1u << 12)
#define PC_DEPTH_STALL         (1u << 13)
#define PC_POST_SYNC_IMM       (1u << 14)
#define PC_CS_STALL            (1u << 20)
#define PC_GGTT                (1u << 24)

/* ------------------------------------------------------------- profiles */

/* What a profile's builder gets: the generator's state, and where it puts
 * the workload.  Builders allocate from the arena and batch buffers from
 * gen->cb[]. */
struct guest_gen {
	enum scan_gen gen;
	enum guest_profile profile;
	struct guest_rng rng;
	uint64_t seq;
	uint32_t tag;              /* high half of result values */
	struct arena arena;
	struct cbuf cb[4];         /* batch builders, reset per workload */
	struct cbuf ring;
	struct guest_work w;
	/* growing arrays, reset per workload */
	struct guest_bo bos[64];
	unsigned nbos;
	struct guest_check checks[16];
	unsigned nchecks;
	/* profile state */
	uint64_t vb_serial;        /* 3d: streaming vertex-buffer slot */
	unsigned attack_next;      /* hostile: next attack class */
	unsigned legal_left;       /* hostile: legal workloads before the next attack */
	unsigned mix;              /* desktop: position in its pattern */
	/* capture */
	struct corpus_capture *cap;
	struct corpus_record *rec;
	unsigned rec_next;
	char *errbuf;
	size_t errbuf_len;
};

/* Builder helpers (gen.c). */
struct guest_bo *guesti_gen_bo(struct guest_gen *g, uint64_t gma, uint64_t size, uint32_t flags,
			const void *data, uint64_t data_len);
struct guest_check *guesti_gen_check(struct guest_gen *g, uint64_t gma, uint32_t len,
			      const void *expect, const char *what);
/* The result page BO and the check that slot seq holds the value; returns
 * the slot's PPGTT address and the value to store there. */
uint64_t guesti_gen_result(struct guest_gen *g, uint64_t *value);
/* A batch BO from builder cb at gma (size rounded to pages) and its shape. */
void guesti_gen_batch_bo(struct guest_gen *g, struct cbuf *cb, uint64_t gma);
/* The ring: MI_BATCH_BUFFER_START (PPGTT) of `batch`. */
void guesti_gen_ring_start(struct guest_gen *g, uint64_t batch);

/* One builder per profile (prof_*.c); each fills g->w and friends. */
int guesti_prof_3d(struct guest_gen *g);
int guesti_prof_compute(struct guest_gen *g);
int guesti_prof_blit(struct guest_gen *g);
int guesti_prof_media(struct guest_gen *g);
int guesti_prof_desktop(struct guest_gen *g);
int guesti_prof_hostile(struct guest_gen *g);
int guesti_prof_capture(struct guest_gen *g);
/* Small draw batch / small blit for the desktop mix. */
int guesti_prof_3d_small(struct guest_gen *g);
int guesti_prof_blit_small(struct guest_gen *g);

/* PPGTT address plan of the generated profiles (iris-like memory zones). */
#define VA_BATCH    0x0000fffe00000000ull /* batch pool near the top, like iris */
#define VA_SLOT_BATCH 0x20000ull           /* 128 KiB per batch slot */
#define VA_SHADER   0x0000000100000000ull /* instruction heap */
#define VA_SURFACE  0x0000000200000000ull /* surface state / binding tables */
#define VA_DYNAMIC  0x0000000300000000ull /* dynamic state */
#define VA_VERTEX   0x0000000400000000ull /* vertex / index buffers, streaming */
#define VA_SURF     0x0000000800000000ull /* render targets, textures, blit surfaces */
#define VA_VIDEO    0x0000000040000000ull /* video surfaces and scratch (below 4 GiB, as i965) */

#endif /* VGT_GUEST_INT_H */
