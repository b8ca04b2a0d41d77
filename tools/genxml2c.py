#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate vgt's Gen8/Gen9 command tables from Mesa's genxml.

    tools/genxml2c.py [--shared DIR] [--out DIR] [--check]

Reads DIR/reference/gen8.xml and gen9.xml (DIR defaults to ../shared, or
$VGT_SHARED) and writes scanner/cmds_gen8.c and scanner/cmds_gen9.c: one row
per <instruction>, in genxml's order (alphabetical).  The output is committed,
so building vgt never needs ../shared.  --check regenerates into memory and
fails when the committed files differ.

Every rule the rows follow, and every deliberate deviation from genxml, is in
docs/COMMANDS.md; the constants below carry the same reasons in short.
The generator fails loudly (exit 1, naming the instruction) when:
  - a DW0 field carries a default but is neither an opcode field nor one of
    the documented non-opcode defaults (a new genxml must be looked at);
  - a row's engines are not legal for its command type (gvt-g.md 1.1);
  - two rows legal on the same engine match a common header;
  - an address operand's space selector is not the one gvt-g.md 3.2 names;
  - a field or address operand of a fixed-length row lies past its length.
Only the Python 3 standard library is used.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

RCS, BCS, VCS, VECS = 1, 2, 4, 8
ALL = RCS | BCS | VCS | VECS
ENGINE_C = {RCS: "E_RCS", BCS: "E_BCS", VCS: "E_VCS", VECS: "E_VECS"}
GENXML_ENGINE = {"render": RCS, "blitter": BCS, "video": VCS}

# Which engines decode each command type (DW0 bits 31:29), gvt-g.md 1.1:
# type 0 MI everywhere; type 2 the 2D blitter on BCS only; type 3 is 3D/media
# on RCS, MFX on VCS and VEBOX on VECS.  Types 1, 4..7 decode nowhere.
TYPE_ENGINES = {0: ALL, 2: BCS, 3: RCS | VCS | VECS}

# DW0 fields that make up the opcode.  A defaulted DW0 field with another name
# stops the generator until someone decides what it is.
OPCODE_FIELDS = {
    "Command Type", "MI Command Opcode",
    "Command SubType", "Command Subtype", "3D Command Opcode", "3D Command Sub Opcode",
    "Pipeline", "Media Command Opcode", "Media Command OpCode", "SubOpcode",
    "SubOpcode A", "SubOpcode B", "Media Command Pipeline", "Media Command Sub-Opcode",
    "Media Instruction Command",
}
# DW0 fields genxml gives a default that are operands, not opcode bits: they
# stay out of the match so both values decode (docs/COMMANDS.md, deviations).
NON_OPCODE_DEFAULTS = {
    ("MI_ARB_ON_OFF", "Arbitration Enable"),           # 1 = on, 0 = off: both legal
    ("MI_CONDITIONAL_BATCH_BUFFER_END", "Compare Semaphore"),  # a mode bit
}

# Engine overrides: genxml tags these too narrowly.
ENGINE_OVERRIDES = {
    # genxml says "video"; the hardware (and i915's xcs flush) uses it on
    # every engine but render, which flushes with PIPE_CONTROL.
    "MI_FLUSH_DW": BCS | VCS | VECS,
}
# Untagged MI commands that only the render engine decodes (gvt-g.md 2.4 and
# the PRM: predication, resource streamer, URB and legacy ring contexts).
MI_RCS_ONLY = {
    "MI_PREDICATE", "MI_SET_CONTEXT", "MI_RS_CONTROL", "MI_RS_CONTEXT",
    "MI_RS_STORE_DATA_IMM", "MI_URB_ATOMIC_ALLOC", "MI_URB_CLEAR",
    "MI_LOAD_URB_MEM", "MI_STORE_URB_MEM", "MI_TOPOLOGY_FILTER",
}
MI_RCS_BCS = {"MI_DISPLAY_FLIP", "MI_WAIT_FOR_EVENT"}

HANDLERS = {
    "MI_NOOP": "SCAN_H_NOOP",
    "MI_BATCH_BUFFER_START": "SCAN_H_BB_START",
    "MI_BATCH_BUFFER_END": "SCAN_H_BB_END",
    "MI_CONDITIONAL_BATCH_BUFFER_END": "SCAN_H_COND_BB_END",
    "MI_LOAD_REGISTER_IMM": "SCAN_H_LRI",
    "MI_LOAD_REGISTER_MEM": "SCAN_H_LRM",
    "MI_STORE_REGISTER_MEM": "SCAN_H_SRM",
    "MI_LOAD_REGISTER_REG": "SCAN_H_LRR",
    "MI_STORE_DATA_IMM": "SCAN_H_SDI",
    "MI_STORE_DATA_INDEX": "SCAN_H_SDX",
    "MI_ATOMIC": "SCAN_H_ATOMIC",
    "MI_COPY_MEM_MEM": "SCAN_H_COPY_MEM_MEM",
    "MI_FLUSH_DW": "SCAN_H_FLUSH_DW",
    "PIPE_CONTROL": "SCAN_H_PIPE_CONTROL",
    "MI_USER_INTERRUPT": "SCAN_H_USER_INTERRUPT",
    "MI_WAIT_FOR_EVENT": "SCAN_H_WAIT_FOR_EVENT",
    "MI_DISPLAY_FLIP": "SCAN_H_DISPLAY_FLIP",
    "MI_MATH": "SCAN_H_MATH",
    "MI_REPORT_PERF_COUNT": "SCAN_H_REPORT_PERF",
    "MI_SEMAPHORE_WAIT": "SCAN_H_SEMAPHORE_WAIT",
    "MI_LOAD_SCAN_LINES_INCL": "SCAN_H_LOAD_SCAN_LINES",
    "MI_LOAD_SCAN_LINES_EXCL": "SCAN_H_LOAD_SCAN_LINES",
    "MI_CLFLUSH": "SCAN_H_CLFLUSH",
    "MI_SET_CONTEXT": "SCAN_H_SET_CONTEXT",
    "MI_SEMAPHORE_SIGNAL": "SCAN_H_SEMAPHORE_SIGNAL",
    "MI_RS_STORE_DATA_IMM": "SCAN_H_RS_STORE_DATA_IMM",
    "MI_LOAD_URB_MEM": "SCAN_H_LOAD_URB_MEM",
    "MI_STORE_URB_MEM": "SCAN_H_STORE_URB_MEM",
    "MI_URB_CLEAR": "SCAN_H_URB_CLEAR",
    "MI_PREDICATE": "SCAN_H_PREDICATE",
    "MI_SET_PREDICATE": "SCAN_H_PREDICATE",
}

# Commands with a DWord Length field that the hardware executes at one length
# only (docs/AUDIT.md, "Lengths"): the row carries len_exact and any other
# length is a malformed command for the decoder and the auditor alike.  The
# generator fails when genxml's nominal length disagrees.
EXACT_LENGTHS = {
    "MI_BATCH_BUFFER_START": 3,
    "MI_COPY_MEM_MEM": 5,
    "MI_LOAD_REGISTER_MEM": 4,
    "MI_LOAD_REGISTER_REG": 3,
    "MI_LOAD_SCAN_LINES_EXCL": 2,
    "MI_LOAD_SCAN_LINES_INCL": 2,
    "MI_LOAD_URB_MEM": 4,
    "MI_RS_STORE_DATA_IMM": 4,
    "MI_SEMAPHORE_SIGNAL": 2,
    "MI_STORE_REGISTER_MEM": 4,
    "MI_STORE_URB_MEM": 4,
    "MI_URB_CLEAR": 2,
    "PIPE_CONTROL": 6,
}

# Address-space selector fields, found by name (value meaning GGTT is read
# from the field's <value> list, or 1 for a "Use Global GTT" bool).
SELECTOR_NAMES = ("Address Space Indicator", "Use Global GTT", "Memory Type",
                  "Destination Address Type")
# What gvt-g.md 3.2 (and the PRM for the rest) says the selectors are:
# command -> (selector bit, value meaning GGTT) for its addresses.  The
# generator finds selectors itself and fails if it disagrees with this.
EXPECTED_SELECTORS = {
    "MI_BATCH_BUFFER_START": (8, 0),
    "MI_STORE_DATA_IMM": (22, 1),
    "MI_LOAD_REGISTER_MEM": (22, 1),
    "MI_STORE_REGISTER_MEM": (22, 1),
    "MI_ATOMIC": (22, 1),
    "MI_CONDITIONAL_BATCH_BUFFER_END": (22, 1),
    "MI_CLFLUSH": (22, 1),
    "MI_SEMAPHORE_WAIT": (22, 1),
    "MI_REPORT_PERF_COUNT": (32, 1),  # DW1 bit 0 on Gen8/Gen9
    "PIPE_CONTROL": (56, 1),          # DW1 bit 24
    "MI_FLUSH_DW": (34, 1),           # DW1 bit 2
}
# MI_COPY_MEM_MEM has one selector per operand.
COPY_MEM_MEM_SELECTORS = {"Destination Memory Address": 21, "Source Memory Address": 22}
# Addresses the hardware always reaches through the GGTT: the display engine
# and the legacy context image know no PPGTT.
FIXED_GGTT = {"MI_DISPLAY_FLIP", "MI_SET_CONTEXT"}

FIELDS_FIRST_ONLY = False

FIELD_TYPES = {
    "uint": "SCAN_FT_UINT", "int": "SCAN_FT_INT", "bool": "SCAN_FT_BOOL",
    "address": "SCAN_FT_ADDRESS", "offset": "SCAN_FT_OFFSET", "float": "SCAN_FT_FLOAT",
}


class GenError(Exception):
    pass


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_ident(s):
    return re.sub(r"[^A-Za-z0-9]", "_", s)


class Item:
    """One named bit range of a command after groups and structs are expanded."""

    def __init__(self, name, start, end, ftype, default, rep_stride, xml):
        self.name, self.start, self.end = name, start, end
        self.ftype, self.default, self.rep_stride, self.xml = ftype, default, rep_stride, xml


def expand(elem, structs, base, prefix, rep_stride, first_only, depth=0):
    """Yields Items for the fields under elem, bits relative to the command.

    Groups with count="0" repeat to the end of the command: their first
    instance is yielded with rep_stride = the group size.  Fixed-count groups
    yield every instance (first_only: only the first).  Struct-typed fields
    are replaced by their members, named "Field.Member".
    """
    if depth > 8:
        raise GenError("structs nest too deeply under " + prefix)
    for child in elem:
        if child.tag == "field":
            name = prefix + child.get("name")
            start = base + int(child.get("start"))
            end = base + int(child.get("end"))
            ftype = child.get("type", "uint")
            if ftype in structs:
                yield from expand(structs[ftype], structs, start, name + ".", rep_stride,
                                  first_only, depth + 1)
                continue
            default = child.get("default")
            yield Item(name, start, end, ftype,
                       None if default is None else int(default, 0), rep_stride, child)
        elif child.tag == "group":
            count = int(child.get("count"))
            gstart = base + int(child.get("start"))
            size = int(child.get("size"))
            if count == 0:
                yield from expand_group(child, structs, gstart, prefix, "[0]",
                                        rep_stride or size, first_only, depth)
                continue
            n = 1 if first_only else count
            for i in range(n):
                suffix = "[%d]" % i if count > 1 else ""
                yield from expand_group(child, structs, gstart + i * size, prefix, suffix,
                                        rep_stride, first_only, depth)


def expand_group(group, structs, base, prefix, suffix, rep_stride, first_only, depth):
    for it in expand(group, structs, base, prefix, rep_stride, first_only, depth + 1):
        # Index the group's own field names: "Register Offset[0]".
        rest = it.name[len(prefix):]
        head, dot, tail = rest.partition(".")
        it.name = prefix + head + suffix + dot + tail
        yield it


class Row:
    pass


def find_selectors(ins_name, items):
    sels = []
    for it in items:
        if it.start >= 64 or it.end != it.start:
            continue
        base = it.name
        if not any(base == s or base.startswith(s + " ") for s in SELECTOR_NAMES):
            continue
        ggtt = None
        values = it.xml.findall("value")
        if values:
            for v in values:
                vn = v.get("name")
                if "GGTT" in vn or "Global" in vn:
                    ggtt = int(v.get("value"), 0)
        elif it.ftype == "bool" and "Global GTT" in base:
            ggtt = 1
        if ggtt is None:
            raise GenError("%s: selector %r has no value meaning GGTT" % (ins_name, base))
        sels.append((base, it.start, ggtt))
    return sels


def address_operands(ins_name, items):
    """Address items, with genxml's split low/high pairs merged into one."""
    addrs = [it for it in items if it.ftype == "address"]
    merged, skip = [], set()
    for a in addrs:
        if id(a) in skip:
            continue
        for b in addrs:
            if (b is not a and b.start == a.end + 1 and b.name == a.name + " High"
                    and b.rep_stride == a.rep_stride):
                a = Item(a.name, a.start, b.end, "address", None, a.rep_stride, a.xml)
                skip.add(id(b))
                break
        merged.append(a)
    return merged


def build_row(ins, structs, gen):
    name = ins.get("name")
    r = Row()
    r.name = name
    r.bias = int(ins.get("bias"))
    r.length = int(ins.get("length")) if ins.get("length") else None
    top = [f for f in ins if f.tag == "field"]

    # DW0 match.
    mask = value = 0
    len_field = None
    for f in top:
        start, end = int(f.get("start")), int(f.get("end"))
        if start >= 32:
            continue
        if f.get("name") == "DWord Length":
            len_field = (start, end)
            continue
        if f.get("default") is None:
            continue
        if (name, f.get("name")) in NON_OPCODE_DEFAULTS:
            continue
        if f.get("name") not in OPCODE_FIELDS:
            raise GenError("%s: DW0 field %r has a default but is not a known opcode field"
                           % (name, f.get("name")))
        m = ((1 << (end - start + 1)) - 1) << start
        mask |= m
        value |= (int(f.get("default"), 0) << start) & m
    if mask & 0xE0000000 != 0xE0000000:
        raise GenError("%s: opcode does not cover the command type bits" % name)
    r.mask, r.value = mask, value
    r.ctype = value >> 29

    if len_field:
        if len_field[0] != 0:
            raise GenError("%s: DWord Length does not start at bit 0" % name)
        r.len_kind = "SCAN_LEN_VAR"
        r.len_mask = (1 << (len_field[1] + 1)) - 1
        if r.len_mask > 0xFFFF or r.len_mask & mask:
            raise GenError("%s: bad DWord Length field" % name)
        r.len_fixed = r.length or 0
    else:
        if r.length is None:
            raise GenError("%s: neither a DWord Length field nor a length" % name)
        r.len_kind = "SCAN_LEN_FIXED"
        r.len_mask = 0
        r.len_fixed = r.length
    r.max_len = (r.len_mask + r.bias) if len_field else r.len_fixed

    # Engines.
    tag = ins.get("engine")
    if name in ENGINE_OVERRIDES:
        r.engines = ENGINE_OVERRIDES[name]
    elif tag:
        r.engines = 0
        for t in tag.split("|"):
            if t not in GENXML_ENGINE:
                raise GenError("%s: unknown engine %r" % (name, t))
            r.engines |= GENXML_ENGINE[t]
    elif name.startswith("MI_"):
        r.engines = RCS if name in MI_RCS_ONLY else (RCS | BCS) if name in MI_RCS_BCS else ALL
    elif re.match(r"(MFX|MFD|MFC|HCP|HUC|VDENC|VD_|HEVC|SFC)", name):
        r.engines = VCS
    elif re.match(r"(VEB|VEBOX)", name):
        r.engines = VECS
    elif re.match(r"(3DSTATE|3DPRIMITIVE|MEDIA|GPGPU|PIPE|STATE_|SWTESS)", name):
        r.engines = RCS
    else:
        raise GenError("%s: no engine tag and no class rule" % name)
    legal = TYPE_ENGINES.get(r.ctype, 0)
    if r.engines & ~legal:
        raise GenError("%s: type %d command tagged for engines 0x%x; type %d decodes only on 0x%x"
                       % (name, r.ctype, r.engines, r.ctype, legal))
    if r.ctype == 0 and not name.startswith("MI_"):
        raise GenError("%s: type 0 but not an MI command" % name)

    r.handler = HANDLERS.get(name, "SCAN_H_NONE")
    r.len_exact = name in EXACT_LENGTHS
    if r.len_exact and (r.len_kind != "SCAN_LEN_VAR" or r.len_fixed != EXACT_LENGTHS[name]):
        raise GenError("%s: genxml's length %r is not the exact length %d"
                       % (name, r.len_fixed, EXACT_LENGTHS[name]))

    # Fields: every field, groups at their first instance, structs expanded.
    r.fields = []
    for it in expand(ins, structs, 0, "", 0, FIELDS_FIRST_ONLY):
        ft = FIELD_TYPES.get(it.ftype, "SCAN_FT_OTHER")
        if it.end - it.start + 1 > 64:
            ft = "SCAN_FT_OTHER"  # wider than a value: printed as raw bits
        r.fields.append((it.name, it.start, it.end, ft))
    if r.handler == "SCAN_H_LRI":
        # LRI's (offset, value) pairs repeat to the end of the command and are
        # decoded by the handler; gen8.xml's group also starts one dword late
        # (at DW2), which would name the first pair's data as a register.
        r.fields = [f for f in r.fields if not f[0].endswith("[0]")]

    # Addresses: every instance of fixed groups; repeating groups by stride.
    items = list(expand(ins, structs, 0, "", 0, False))
    sels = find_selectors(name, items)
    r.addrs = []
    for a in address_operands(name, items):
        sel_bit, ggtt_val, fixed = -1, 0, "SCAN_AS_PPGTT"
        if name == "MI_COPY_MEM_MEM":
            sel_bit, ggtt_val = COPY_MEM_MEM_SELECTORS[a.name], 1
        elif sels:
            if len(sels) != 1:
                raise GenError("%s: %d address-space selectors for %r"
                               % (name, len(sels), a.name))
            sel_bit, ggtt_val = sels[0][1], sels[0][2]
        elif name in FIXED_GGTT:
            fixed = "SCAN_AS_GGTT"
        r.addrs.append((a.name, a.start, a.end, sel_bit, ggtt_val, fixed, a.rep_stride))
    if name == "MI_COPY_MEM_MEM":
        found = {(s[0], s[1]) for s in sels}
        want = {("Use Global GTT Destination", 21), ("Use Global GTT Source", 22)}
        if found != want:
            raise GenError("MI_COPY_MEM_MEM: selectors %r, expected %r" % (found, want))
    if name in EXPECTED_SELECTORS:
        exp = EXPECTED_SELECTORS[name]
        got = {(a[3], a[4]) for a in r.addrs}
        if got != {exp}:
            raise GenError("%s: address-space selectors %r, gvt-g.md 3.2 says %r"
                           % (name, sorted(got), exp))
    elif sels and name != "MI_COPY_MEM_MEM":
        raise GenError("%s: selector %r found but not cross-checked" % (name, sels))

    if r.len_kind == "SCAN_LEN_FIXED":
        for f in r.fields:
            if f[2] >= 32 * r.len_fixed:
                raise GenError("%s: field %r ends past the fixed length" % (name, f[0]))
    for a in r.addrs:
        if a[2] >= 32 * r.max_len:
            raise GenError("%s: address %r ends past the maximum length" % (name, a[0]))
    return r


def check_conflicts(gen, rows):
    """Two rows legal on one engine must never match the same header."""
    errors = []
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            common = a.engines & b.engines
            if not common:
                continue
            if (a.value ^ b.value) & a.mask & b.mask:
                continue
            engines = [n for e, n in ((RCS, "rcs"), (BCS, "bcs"), (VCS, "vcs"), (VECS, "vecs"))
                       if common & e]
            errors.append("gen%d: %s (0x%08x/0x%08x) and %s (0x%08x/0x%08x) both match on %s"
                          % (gen, a.name, a.value, a.mask, b.name, b.value, b.mask,
                             ",".join(engines)))
    if errors:
        raise GenError("\n".join(errors))


def engines_c(mask):
    if mask == ALL:
        return "E_ALL"
    return " | ".join(ENGINE_C[e] for e in (RCS, BCS, VCS, VECS) if mask & e)


def render(gen, xml_name, rows):
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/*")
    w(" * generated by tools/genxml2c.py; do not edit.")
    w(" *")
    w(" * Gen%d command table, one row per <instruction> of Mesa's genxml" % gen)
    w(" * (%s, Mesa 19.3, MIT, Intel).  Rules and deviations: docs/COMMANDS.md." % xml_name)
    w(" */")
    w('#include "scanner/cmd_table.h"')
    w("")
    w("#define E_RCS  SCAN_ENGINE_BIT(SCAN_RCS)")
    w("#define E_BCS  SCAN_ENGINE_BIT(SCAN_BCS)")
    w("#define E_VCS  SCAN_ENGINE_BIT(SCAN_VCS)")
    w("#define E_VECS SCAN_ENGINE_BIT(SCAN_VECS)")
    w("#define E_ALL  SCAN_ENGINES_ALL")
    w("")
    for r in rows:
        ident = c_ident(r.name)
        if r.fields:
            w("static const struct scan_field f_%s[] = {" % ident)
            for (n, s, e, t) in r.fields:
                w("\t{ %s, %d, %d, %s }," % (c_str(n), s, e, t))
            w("};")
        if r.addrs:
            w("static const struct scan_addr_desc a_%s[] = {" % ident)
            for (n, s, e, sb, gv, fx, rep) in r.addrs:
                extra = ", .rep_stride = %d" % rep if rep else ""
                w("\t{ .name = %s, .start = %d, .end = %d, .sel_bit = %d, .sel_ggtt_val = %d, "
                  ".fixed_as = %s%s }," % (c_str(n), s, e, sb, gv, fx, extra))
            w("};")
    w("")
    w("const struct scan_cmd_desc scan_cmds_gen%d[] = {" % gen)
    for r in rows:
        ident = c_ident(r.name)
        parts = [
            ".name = %s" % c_str(r.name),
            ".mask = 0x%08x" % r.mask,
            ".value = 0x%08x" % r.value,
            ".engines = %s" % engines_c(r.engines),
            ".len_kind = %s" % r.len_kind,
            ".bias = %d" % r.bias,
        ]
        if r.len_mask:
            parts.append(".len_mask = 0x%x" % r.len_mask)
        parts.append(".len_fixed = %d" % r.len_fixed)
        if r.handler != "SCAN_H_NONE":
            parts.append(".handler = %s" % r.handler)
        if r.len_exact:
            parts.append(".len_exact = 1")
        if r.fields:
            parts.append(".nfields = %d, .fields = f_%s" % (len(r.fields), ident))
        if r.addrs:
            parts.append(".naddrs = %d, .addrs = a_%s" % (len(r.addrs), ident))
        w("\t{ " + ", ".join(parts) + " },")
    w("};")
    w("const unsigned scan_cmds_gen%d_count = sizeof(scan_cmds_gen%d) / sizeof(scan_cmds_gen%d[0]);"
      % (gen, gen, gen))
    return "\n".join(out) + "\n"


def generate(xml_path, gen):
    root = ET.parse(xml_path).getroot()
    if int(root.get("gen")) != gen:
        raise GenError("%s: gen=%s, expected %d" % (xml_path, root.get("gen"), gen))
    structs = {s.get("name"): s for s in root.iter("struct")}
    rows = [build_row(ins, structs, gen) for ins in root.iter("instruction")]
    names = [r.name for r in rows]
    if len(set(names)) != len(names):
        raise GenError("gen%d: duplicate instruction names" % gen)
    check_conflicts(gen, rows)
    return render(gen, os.path.basename(xml_path), rows), rows


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.environ.get("VGT_SHARED",
                                                       os.path.join(top, "..", "shared")))
    ap.add_argument("--out", default=os.path.join(top, "scanner"))
    ap.add_argument("--check", action="store_true",
                    help="fail if the committed tables differ from a fresh generation")
    args = ap.parse_args(argv)
    ref = os.path.join(args.shared, "reference")
    status = 0
    for gen in (8, 9):
        xml_path = os.path.join(ref, "gen%d.xml" % gen)
        if not os.path.exists(xml_path):
            print("genxml2c: %s is missing (set --shared or VGT_SHARED)" % xml_path,
                  file=sys.stderr)
            return 2
        try:
            text, rows = generate(xml_path, gen)
        except GenError as e:
            print("genxml2c: %s: %s" % (xml_path, e), file=sys.stderr)
            return 1
        dst = os.path.join(args.out, "cmds_gen%d.c" % gen)
        if args.check:
            try:
                with open(dst) as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print("genxml2c: %s is stale; run tools/genxml2c.py" % dst, file=sys.stderr)
                status = 1
            continue
        with open(dst, "w") as f:
            f.write(text)
        print("genxml2c: gen%d: %d rows, %d fields, %d address operands -> %s"
              % (gen, len(rows), sum(len(r.fields) for r in rows),
                 sum(len(r.addrs) for r in rows), dst))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
