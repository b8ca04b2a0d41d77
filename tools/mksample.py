#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds samples/gen9-3d-batch.bin: a Gen9 render-engine batch shaped like the
ones Mesa's iris driver submits for one indexed, textured draw.

Every dword is written here from the hardware's command formats (type, opcode
and length fields; field positions as genxml documents them); nothing is copied
from a captured batch.  The batch is meant to sit at graphics address 0x10000
in the context's PPGTT (`make run` decodes it there); the buffers it points at
are placed at addresses of our own choosing.

usage: tools/mksample.py [OUTPUT]   (default: samples/gen9-3d-batch.bin)
"""
import os
import struct
import sys

# ------------------------------------------------------------ our layout
SURFACE_BASE = 0x1_0000_0000      # surface state heap
DYNAMIC_BASE = 0x2_0000_0000      # dynamic state heap (CC, blend, samplers)
INSTRUCTION_BASE = 0x3_0000_0000  # shader kernels
WORKAROUND_BO = 0x0_fff0_0000     # PIPE_CONTROL post-sync scratch
QUERY_BO = 0x0_fff1_0000          # timestamps / occlusion results
VERTEX_BO = 0x4_0000_0000
INDEX_BO = 0x4_0010_0000
DEPTH_BO = 0x5_0000_0000
HIZ_BO = 0x5_0100_0000
CONST_BO = 0x6_0000_0000
MOCS = 2                          # a write-back, LLC-cached MOCS index
WIDTH, HEIGHT = 256, 256

# ------------------------------------------------------- command headers
# MI:  type 0, opcode in bits 28:23, length (total - 2) in the low bits.
def mi(opcode, total=None):
    h = opcode << 23
    return h if total is None else h | (total - 2)

MI_BATCH_BUFFER_END = 0x0A
MI_STORE_DATA_IMM = 0x20
MI_LOAD_REGISTER_IMM = 0x22
MI_STORE_REGISTER_MEM = 0x24

# 3D:  type 3, sub-type (pipeline) 28:27, opcode 26:24, sub-opcode 23:16,
# length (total - 2) in bits 7:0.
def gfx(subtype, opcode, subop, total):
    return (3 << 29) | (subtype << 27) | (opcode << 24) | (subop << 16) | (total - 2)

def s3d(subop, total):       # 3DSTATE_* (pipelined, opcode 0)
    return gfx(3, 0, subop, total)

def s3d_np(subop, total):    # non-pipelined 3DSTATE_* (opcode 1)
    return gfx(3, 1, subop, total)

def lo(a):
    return a & 0xffffffff

def hi(a):
    return (a >> 32) & 0xffffffff

# --------------------------------------------------------------- commands
def pipe_control(flags, post_sync=0, address=0, imm=0):
    """PIPE_CONTROL, 6 dwords: DW1 flags and post-sync op (15:14),
    DW2-3 address (bits 47:2, PPGTT since DW1 bit 24 stays 0), DW4-5 data."""
    return [gfx(3, 2, 0, 6), flags | (post_sync << 14), lo(address), hi(address),
            lo(imm), hi(imm)]

PC_DEPTH_CACHE_FLUSH = 1 << 0
PC_STALL_AT_SCOREBOARD = 1 << 1
PC_STATE_CACHE_INVALIDATE = 1 << 2
PC_CONST_CACHE_INVALIDATE = 1 << 3
PC_VF_CACHE_INVALIDATE = 1 << 4
PC_DC_FLUSH = 1 << 5
PC_TEXTURE_CACHE_INVALIDATE = 1 << 10
PC_INSTRUCTION_CACHE_INVALIDATE = 1 << 11
PC_RT_FLUSH = 1 << 12
PC_DEPTH_STALL = 1 << 13
PC_CS_STALL = 1 << 20
PS_WRITE_IMM, PS_WRITE_DEPTH_COUNT, PS_WRITE_TIMESTAMP = 1, 2, 3

def pipeline_select_3d():
    # PIPELINE_SELECT: one dword, mask bits 9:8 enable the write of 1:0 (0 = 3D).
    return [gfx(1, 1, 4, 2) & ~0xff | (3 << 8) | 0]

def lri(*pairs):
    out = [mi(MI_LOAD_REGISTER_IMM, 1 + 2 * len(pairs))]
    for reg, val in pairs:
        out += [reg, val]
    return out

def srm(reg, address):
    # MI_STORE_REGISTER_MEM, 4 dwords; DW0 bit 22 clear = PPGTT.
    return [mi(MI_STORE_REGISTER_MEM, 4), reg, lo(address), hi(address)]

def state_base_address():
    def base(addr):  # address | MOCS (10:4) | modify enable (bit 0)
        return [lo(addr) | (MOCS << 4) | 1, hi(addr)]
    def size(pages):  # buffer size in 4 KiB pages (31:12) | modify enable
        return (pages << 12) | 1
    return ([gfx(0, 1, 1, 19)]
            + base(0)                              # general state
            + [MOCS << 16]                         # stateless data port MOCS
            + base(SURFACE_BASE)
            + base(DYNAMIC_BASE)
            + base(0)                              # indirect object
            + base(INSTRUCTION_BASE)
            + [size(0xfffff), size(0xfffff), size(0xfffff), size(0xfffff)]
            + base(SURFACE_BASE) + [size(0x3ff)])  # bindless surface state

def drawing_rectangle():
    return [gfx(3, 1, 0, 4), 0, ((HEIGHT - 1) << 16) | (WIDTH - 1), 0]

def urb(subop, start, entries, size):
    return [s3d(subop, 2), (start << 25) | ((size - 1) << 16) | entries]

def push_constant_alloc(subop, offset_kb, size_kb):
    return [s3d_np(subop, 2), (offset_kb << 16) | size_kb]

def depth_buffer():
    # DW1: 2D surface, depth writes, HiZ, D32_FLOAT, pitch - 1;
    # DW2-3 address; DW4 height/width; DW5 MOCS; DW6-7 view/qpitch.
    pitch = WIDTH * 4
    return [s3d(0x05, 8), (1 << 29) | (1 << 28) | (1 << 22) | (1 << 18) | (pitch - 1),
            lo(DEPTH_BO), hi(DEPTH_BO),
            ((HEIGHT - 1) << 18) | ((WIDTH - 1) << 4), MOCS, 0, 0]

def hier_depth_buffer():
    pitch = WIDTH * 2
    return [s3d(0x07, 5), (MOCS << 25) | (pitch - 1), lo(HIZ_BO), hi(HIZ_BO), 0]

def pointer(subop, offset, bit0=0):
    return [s3d(subop, 2), offset | bit0]

def vs(kernel_offset):
    # 3DSTATE_VS, 9 dwords: kernel start pointer (relative to the
    # instruction base) DW1-2, dispatch/URB setup, enable bit in DW7.
    return [s3d(0x10, 9), kernel_offset, 0, 0, 0, 0,
            (1 << 20),                    # dispatch GRF start
            (1 << 11) | (1 << 10) | 1,    # SIMD8 dispatch, statistics, enable
            (1 << 16)]                    # vertex URB entry output length

def disabled(subop, total):
    return [s3d(subop, total)] + [0] * (total - 1)

def ps(kernel_offset):
    return ([s3d(0x20, 12), kernel_offset, 0, (1 << 18), 0, 0,
             (63 << 23) | (1 << 0),       # max threads, SIMD8 dispatch enable
             (6 << 16), 0, 0, 0, 0])

def constant_ps(buffer, read_len):
    # 3DSTATE_CONSTANT_PS, 11 dwords: read lengths, then Buffer[0..3]
    # 64-bit addresses (Buffer[0] relative to the dynamic base on Gen9).
    return ([s3d(0x17, 11), read_len, 0, lo(buffer), hi(buffer)] + [0] * 6)

def vertex_buffers():
    # one VERTEX_BUFFER_STATE: index 31:26, MOCS 22:16, address modify 14,
    # pitch 11:0; 64-bit address; size in bytes.
    return [s3d(0x08, 5), (0 << 26) | (MOCS << 16) | (1 << 14) | 20,
            lo(VERTEX_BO), hi(VERTEX_BO), 4 * 20]

def vertex_elements():
    # two VERTEX_ELEMENT_STATEs: position (R32G32B32_FLOAT) and texcoord
    # (R32G32_FLOAT), components 1.0 where the format has none.
    R32G32B32_FLOAT, R32G32_FLOAT = 0x40, 0x85
    src, one, zero = 1, 3, 0
    def ve(fmt, offset, c):
        return [(0 << 26) | (1 << 25) | (fmt << 16) | offset,
                (c[0] << 28) | (c[1] << 24) | (c[2] << 20) | (c[3] << 16)]
    return ([s3d(0x09, 5)] + ve(R32G32B32_FLOAT, 0, (src, src, src, one))
            + ve(R32G32_FLOAT, 12, (src, src, zero, one)))

def index_buffer():
    # DW1 index format 9:8 (2 = DWORD), MOCS 6:0; DW2-3 address; DW4 size.
    return [s3d(0x0a, 5), (2 << 8) | MOCS, lo(INDEX_BO), hi(INDEX_BO), 6 * 4]

def primitive(count, instances=1):
    TRILIST = 4
    return [gfx(3, 3, 0, 7), (1 << 8) | TRILIST, count, 0, instances, 0, 0]

def build():
    b = []
    # Start of batch: flush and invalidate as iris does after a context switch.
    b += pipe_control(PC_DEPTH_CACHE_FLUSH | PC_DC_FLUSH | PC_RT_FLUSH | PC_CS_STALL)
    b += pipe_control(PC_STATE_CACHE_INVALIDATE | PC_CONST_CACHE_INVALIDATE |
                      PC_TEXTURE_CACHE_INVALIDATE | PC_INSTRUCTION_CACHE_INVALIDATE |
                      PC_VF_CACHE_INVALIDATE | PC_CS_STALL)
    b += pipeline_select_3d()
    b += lri((0x7034, 0x60000060))                         # L3CNTLREG: L3 partition
    b += lri((0x2580, (1 << 16) | 1),                      # CS_CHICKEN1: replay mode (masked)
             (0x7008, (3 << 24) | (1 << 8)))               # GT_MODE: subslice hashing (masked)
    b += pipe_control(PC_CS_STALL, PS_WRITE_IMM, WORKAROUND_BO, 0)
    b += state_base_address()
    # Static 3D state.
    b += drawing_rectangle()
    b += urb(0x30, 4, 64, 2) + urb(0x31, 12, 0, 1) + urb(0x32, 12, 0, 1) + urb(0x33, 12, 0, 1)
    b += push_constant_alloc(0x12, 0, 16) + push_constant_alloc(0x16, 16, 16)
    b += [s3d(0x0d, 2), 0]                                 # 3DSTATE_MULTISAMPLE: 1x
    b += [s3d(0x18, 2), 0x1]                               # 3DSTATE_SAMPLE_MASK
    b += depth_buffer() + hier_depth_buffer()
    b += disabled(0x06, 5)                                 # 3DSTATE_STENCIL_BUFFER: none
    b += [s3d(0x04, 3), 0x3f800000, 1]                     # 3DSTATE_CLEAR_PARAMS: depth 1.0
    # Pointers into the dynamic state heap.
    b += pointer(0x23, 0x0040)                             # VIEWPORT_STATE_POINTERS_CC
    b += pointer(0x21, 0x0080)                             # VIEWPORT_STATE_POINTERS_SF_CLIP
    b += pointer(0x0e, 0x00c0, 1)                          # CC_STATE_POINTERS (valid)
    b += pointer(0x24, 0x0100, 1)                          # BLEND_STATE_POINTERS (valid)
    b += pointer(0x0f, 0x0140)                             # SCISSOR_STATE_POINTERS
    # Shaders: VS on, HS/DS/GS/TE/SO off, PS on.
    b += vs(0x0000)
    b += disabled(0x1b, 9) + disabled(0x1c, 4) + disabled(0x1d, 11) + disabled(0x11, 10)
    b += disabled(0x1e, 5)
    b += [s3d(0x12, 4), 0, (1 << 31), 0]                   # 3DSTATE_CLIP: clip enable
    b += [s3d(0x13, 4), (1 << 1) | (1 << 0), 0, 0]         # 3DSTATE_SF: viewport xform
    b += [s3d(0x50, 5), (2 << 16) | (1 << 14), 0, 0, 0]    # 3DSTATE_RASTER: cull back
    b += [s3d(0x1f, 6), (1 << 22) | (1 << 21) | (2 << 11) | (1 << 5), 0, 0, 0xf, 0]  # SBE
    b += disabled(0x51, 11)                                # 3DSTATE_SBE_SWIZ
    b += [s3d(0x14, 2), (1 << 31) | (1 << 11)]             # 3DSTATE_WM: statistics
    b += ps(0x0400)
    b += [s3d(0x4f, 2), (1 << 31) | (1 << 24)]             # 3DSTATE_PS_EXTRA: valid
    b += [s3d(0x4d, 2), (1 << 30)]                         # 3DSTATE_PS_BLEND
    b += [s3d(0x4e, 4), (1 << 1) | (1 << 0), 0, 0]         # WM_DEPTH_STENCIL: test+write
    b += pointer(0x2a, 0x0040)                             # BINDING_TABLE_POINTERS_PS
    b += pointer(0x2f, 0x0200)                             # SAMPLER_STATE_POINTERS_PS
    b += constant_ps(CONST_BO, 1)
    # Vertex fetch and the draw.
    b += vertex_buffers() + vertex_elements() + index_buffer()
    b += [gfx(1, 0, 0x0b, 2) & ~0xff | 1]                  # 3DSTATE_VF_STATISTICS: on
    b += [s3d(0x0c, 2), 0]                                 # 3DSTATE_VF: no cut index
    b += [s3d(0x4b, 2), 4]                                 # 3DSTATE_VF_TOPOLOGY: TRILIST
    b += [s3d(0x49, 3), 0, 0] + [s3d(0x49, 3), 1, 0]       # 3DSTATE_VF_INSTANCING
    b += [s3d(0x4a, 2), 0]                                 # 3DSTATE_VF_SGVS
    b += srm(0x2358, QUERY_BO)                             # TIMESTAMP before the draw
    b += primitive(6)
    b += srm(0x2358, QUERY_BO + 8)                         # TIMESTAMP after the draw
    # End of batch: flush render target and depth, write a fence value.
    b += pipe_control(PC_RT_FLUSH | PC_DEPTH_CACHE_FLUSH | PC_DC_FLUSH | PC_CS_STALL,
                      PS_WRITE_IMM, QUERY_BO + 0x100, 1)
    b += [mi(MI_BATCH_BUFFER_END)]
    if len(b) % 2:                                         # qword-align with MI_NOOP
        b += [0]
    return b

def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "samples", "gen9-3d-batch.bin"))
    dwords = build()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        f.write(struct.pack("<%dI" % len(dwords), *dwords))
    print("%s: %d dwords" % (out, len(dwords)))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
