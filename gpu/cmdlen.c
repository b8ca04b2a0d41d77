/* SPDX-License-Identifier: MIT */
/*
 * The command streamer's own length rules: generic per command class, as the
 * hardware parses, with no command table (gvt-g.md §1.2, checked against
 * genxml gen8/gen9).
 */
#include <errno.h>

#include "gpu/gpu_int.h"

static uint32_t mi_length(enum gpu_gen gen, uint32_t h)
{
	unsigned op = (h >> 23) & 0x3f;
	if (op < 0x10)
		return 1; /* header-only: NOOP .. RS_CONTEXT */
	switch (op) {
	case 0x12: /* MI_LOAD_SCAN_LINES_INCL */
	case 0x13: /* MI_LOAD_SCAN_LINES_EXCL */
	case 0x26: /* MI_FLUSH_DW */
	case 0x28: /* MI_REPORT_PERF_COUNT */
		return (h & 0x3f) + 2;
	case 0x1a: /* MI_MATH: 5:0 on Gen8, 7:0 on Gen9 */
		return (h & (gen == GPU_GEN8 ? 0x3f : 0xff)) + 2;
	case 0x20: /* MI_STORE_DATA_IMM */
	case 0x23: /* MI_UPDATE_GTT */
	case 0x27: /* MI_CLFLUSH */
		return (h & 0x3ff) + 2;
	case 0x10: case 0x11: case 0x15: case 0x17: case 0x1e: case 0x1f:
		return 1; /* no such commands on Gen8/9: taken as header-only */
	default:
		return (h & 0xff) + 2;
	}
}

/* Type 3 on the render engine: 3D (pipeline 3) and media/GPGPU (pipeline 2),
 * with the common state commands in pipelines 0 and 1. */
static uint32_t render_length(uint32_t h)
{
	unsigned pipe = (h >> 27) & 3, opc = (h >> 24) & 7, sub = (h >> 16) & 0xff;
	switch (pipe) {
	case 3:
		/* 3DSTATE_BINDING_TABLE_EDIT_{VS,HS,DS,GS,PS} and
		 * 3DSTATE_SO_DECL_LIST carry a 9-bit length. */
		if ((opc == 0 && sub >= 0x43 && sub <= 0x47) || (opc == 1 && sub == 0x17))
			return (h & 0x1ff) + 2;
		return (h & 0xff) + 2;
	case 2:
		if (opc == 1 && sub == 5) /* GPGPU_WALKER: bits 15:8 are flags */
			return (h & 0xff) + 2;
		return (h & 0xffff) + 2;
	case 1:
		/* PIPELINE_SELECT and 3DSTATE_VF_STATISTICS are single dwords. */
		if ((opc == 1 && sub == 4) || (opc == 0 && sub == 0x0b))
			return 1;
		return (h & 0xff) + 2;
	default:
		return (h & 0xff) + 2;
	}
}

/* Type 3 on the video engines: MFX/HCP/HuC/VDEnc/VEBOX, 12-bit lengths;
 * MFX_WAIT (pipeline 1) is a single dword. */
static uint32_t video_length(uint32_t h)
{
	if (((h >> 27) & 3) == 1)
		return 1;
	return (h & 0xfff) + 2;
}

int gpu_cmd_length(enum gpu_gen gen, enum gpu_engine e, uint32_t h, uint32_t *dwords)
{
	if (!dwords || (unsigned)e >= GPU_NUM_ENGINES)
		return -EINVAL;
	unsigned type = h >> 29;
	if (type == 0) {
		*dwords = mi_length(gen, h);
		return 0;
	}
	if (type == 2 && e == GPU_BCS) {
		*dwords = (h & 0xff) + 2;
		return 0;
	}
	if (type == 3 && e == GPU_RCS) {
		*dwords = render_length(h);
		return 0;
	}
	if (type == 3 && (e == GPU_VCS || e == GPU_VECS)) {
		*dwords = video_length(h);
		return 0;
	}
	return -EINVAL;
}
