#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Conformance of `vgt decode` with Mesa's genxml (and the blitter captures).

    tools/genxml_conformance.py --vgt build/vgt [--shared ../shared] [--docs docs/COMMANDS.md]

For every <instruction> of ../shared/reference/gen8.xml and gen9.xml, reads
the genxml itself (independently of tools/genxml2c.py) and builds DW0 from
the opcode defaults with the DWord Length field at its minimum (0) and at its
maximum (all ones).  Each header is written as a little-endian dword stream,
padded with zero dwords to the length it encodes, every instruction of one
(generation, engine, min-or-max) back to back in one file, and decoded with
`vgt decode --json --gen G --engine E FILE`.  The first JSON line of each
command must carry genxml's name (or a documented alias) and dwords equal to
field + bias (fixed-length instructions: the genxml length), and status "ok"
("bad-length" is accepted where the length differs from genxml's nominal one:
rows whose hardware length is exact, docs/COMMANDS.md "len_exact").

Then, where ../shared holds them, the IGT blitter captures (gen9-igt-gem_blt,
gen8-igt-intel_upload_blit_small) are decoded on BCS at their batch address:
every relocated dword must be an address field of the command that holds it,
with the relocated value.

Prints per generation how many instructions were checked and ends with
`N passed, N failed`; exit 1 on any failure, 0 otherwise (also when
../shared/reference is absent: then it says so and skips).
"""

import argparse
import glob
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ENGINE_OF_TAG = {"render": "rcs", "blitter": "bcs", "video": "vcs"}
# Commands after which a decoder may legitimately stop walking a stream:
# each is decoded from a file of its own.
TERMINATORS = {"MI_BATCH_BUFFER_END", "MI_BATCH_BUFFER_START"}
BLT_CAPTURES = ("gen9-igt-gem_blt", "gen8-igt-intel_upload_blit_small")


class Case:
    def __init__(self, gen, name, engine, header, dwords, variant, nominal=None):
        self.gen, self.name, self.engine = gen, name, engine
        self.header, self.dwords, self.variant = header, dwords, variant
        self.nominal = nominal  # genxml's length attribute, if any

    def label(self):
        return "gen%d %s (%s, %s length, header 0x%08x)" % (
            self.gen, self.name, self.engine, self.variant, self.header)


def engine_for(ins):
    """An engine the instruction is legal on: genxml's tag, else its class."""
    name = ins.get("name")
    tag = ins.get("engine")
    if tag:
        return ENGINE_OF_TAG[tag.split("|")[0]]
    if name.startswith("MI_"):
        return "rcs"  # every untagged MI command is legal on render
    if re.match(r"(MFX|MFD|MFC|HCP|HUC|VDENC|VD_|HEVC|SFC)", name):
        return "vcs"
    if name.startswith("VEB"):
        return "vecs"
    return "rcs"


def cases_of(xml_path, gen):
    root = ET.parse(xml_path).getroot()
    cases = []
    for ins in root.iter("instruction"):
        name = ins.get("name")
        bias = int(ins.get("bias"))
        header = 0
        len_field = None
        for f in ins.findall("field"):
            start, end = int(f.get("start")), int(f.get("end"))
            if end >= 32:
                continue
            if f.get("name") == "DWord Length":
                len_field = (start, end)
            elif f.get("default") is not None:
                header |= int(f.get("default"), 0) << start
        engine = engine_for(ins)
        if len_field:
            width = len_field[1] - len_field[0] + 1
            for variant, value in (("min", 0), ("max", (1 << width) - 1)):
                nominal = int(ins.get("length")) if ins.get("length") else None
                cases.append(Case(gen, name, engine, header | (value << len_field[0]),
                                  value + bias, variant, nominal))
        else:
            cases.append(Case(gen, name, engine, header, int(ins.get("length")), "fixed"))
    return cases


def read_aliases(vgt, docs):
    """Alias pairs from `vgt decode --list-aliases` or docs/COMMANDS.md."""
    pairs = set()
    try:
        p = subprocess.run([vgt, "decode", "--list-aliases"], capture_output=True,
                           text=True, timeout=30)
        if p.returncode == 0:
            # "ALIAS NAME" per line; an alias has no spaces, a name may.
            for line in p.stdout.splitlines():
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    pairs.add((parts[0], parts[1]))
    except (OSError, subprocess.SubprocessError):
        pass
    if docs and os.path.exists(docs):
        with open(docs) as f:
            for line in f:
                m = re.match(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|", line)
                if m:
                    pairs.add((m.group(1), m.group(2)))
    return pairs


def same_name(got, want, aliases):
    return got == want or (got, want) in aliases or (want, got) in aliases


def run_decode(vgt, gen, engine, dwords, gma=None):
    """Runs vgt decode --json on the dwords; returns (list of objects, error)."""
    with tempfile.NamedTemporaryFile(prefix="vgt-conf-", suffix=".bin", delete=False) as f:
        f.write(struct.pack("<%dI" % len(dwords), *dwords))
        path = f.name
    try:
        cmd = [vgt, "decode", "--json", "--gen", str(gen), "--engine", engine]
        if gma is not None:
            cmd += ["--gma", "0x%x" % gma]
        cmd.append(path)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return None, "vgt decode timed out on %s" % " ".join(cmd)
        if p.returncode not in (0, 1):
            return None, "vgt decode exit %d: %s" % (p.returncode, p.stderr.strip()[:300])
        out = []
        for n, line in enumerate(p.stdout.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                return None, "vgt decode line %d is not JSON: %r" % (n, line[:200])
        return out, None
    finally:
        os.unlink(path)


def check_batch(vgt, gen, engine, cases, aliases, failures):
    """Decodes the cases back to back; returns how many passed.

    A wrong length desynchronises everything after it, so after the first
    disagreement the rest is decoded again from a fresh file."""
    passed = 0
    todo = list(cases)
    while todo:
        dws, offsets = [], []
        for c in todo:
            offsets.append(4 * len(dws))
            dws.append(c.header)
            dws.extend([0] * (c.dwords - 1))
        objs, err = run_decode(vgt, gen, engine, dws)
        if err:
            for c in todo:
                failures.append("%s: %s" % (c.label(), err))
            return passed
        by_offset = {}
        for o in objs:
            off = o.get("offset")
            if isinstance(off, int) and off not in by_offset:
                by_offset[off] = o  # the FIRST line at that offset
        bad = None
        for i, c in enumerate(todo):
            o = by_offset.get(offsets[i])
            why = None
            if o is None:
                why = "no command decoded at byte offset %d" % offsets[i]
            elif not isinstance(o.get("name"), str) or not same_name(o["name"], c.name, aliases):
                why = "name %r, genxml %r" % (o.get("name"), c.name)
            elif o.get("dwords") != c.dwords:
                why = "dwords %r, genxml %d" % (o.get("dwords"), c.dwords)
            elif o.get("status") != "ok" and not (
                    o.get("status") == "bad-length" and c.nominal is not None
                    and c.dwords != c.nominal):
                # bad-length: a command the hardware runs at genxml's length
                # only (docs/COMMANDS.md, len_exact), decoded right at another
                why = "status %r" % o.get("status")
            if why:
                failures.append("%s: %s" % (c.label(), why))
                bad = i
                break
            passed += 1
        todo = [] if bad is None else todo[bad + 1:]
    return passed


def check_genxml(vgt, ref, aliases, failures):
    passed = 0
    for gen in (8, 9):
        xml_path = os.path.join(ref, "gen%d.xml" % gen)
        cases = cases_of(xml_path, gen)
        names = {c.name for c in cases}
        gen_failed = len(failures)
        gen_passed = 0
        groups = {}
        for c in cases:
            key = (c.engine, c.variant, c.name if c.name in TERMINATORS else "")
            groups.setdefault(key, []).append(c)
        for (engine, _, _), group in sorted(groups.items()):
            gen_passed += check_batch(vgt, gen, engine, group, aliases, failures)
        print("gen%d: %d instructions, %d headers checked (min and max length): "
              "%d passed, %d failed" % (gen, len(names), len(cases), gen_passed,
                                        len(failures) - gen_failed))
        passed += gen_passed
    return passed


def load_object(folder, obj):
    buf = bytearray(obj["size"])
    for ch in obj.get("chunks", []):
        with open(os.path.join(folder, "blobs", ch["blob"]), "rb") as f:
            data = f.read()
        buf[ch["offset"]:ch["offset"] + len(data)] = data
    return bytes(buf)


def check_blt_captures(vgt, ref, failures):
    """Every relocated dword of the IGT blitter batches is an address field."""
    passed = relocs = 0
    seen = set()
    for cap in BLT_CAPTURES:
        folder = os.path.join(ref, "captures", cap)
        if not os.path.isdir(folder):
            print("blitter captures: %s absent, skipped" % folder)
            continue
        for rec_path in sorted(glob.glob(os.path.join(folder, "exec-*.json"))):
            with open(rec_path) as f:
                rec = json.load(f)
            batch = rec["objects"][rec["batch_index"]]
            data = load_object(folder, batch)
            start = rec["batch_start_offset"]
            end = start + rec["batch_len"] if rec["batch_len"] else len(data)
            end -= (end - start) % 4
            gma = (int(batch["gpu_address"], 16) + start) & ((1 << 48) - 1)
            rl = [(r["offset"], int(r["address"], 16) + r.get("delta", 0))
                  for r in batch.get("relocations", [])]
            key = (data[start:end], gma, tuple(rl), rec["gen"])
            if key in seen:
                continue
            seen.add(key)
            dws = list(struct.unpack("<%dI" % ((end - start) // 4), data[start:end]))
            objs, err = run_decode(vgt, rec["gen"], "bcs", dws, gma)
            where = "%s/%s" % (cap, os.path.basename(rec_path))
            if err:
                failures.append("%s: %s" % (where, err))
                continue
            ok = True
            for o in objs:
                if o.get("status") != "ok":
                    failures.append("%s: offset %s %s status %s" % (where, o.get("offset"),
                                                                  o.get("name"), o.get("status")))
                    ok = False
            for off, value in rl:
                if off < start or off >= end:
                    continue
                relocs += 1
                rel = off - start
                holder = [o for o in objs if isinstance(o.get("offset"), int)
                          and o["offset"] <= rel < o["offset"] + 4 * (o.get("dwords") or 1)]
                if not holder:
                    failures.append("%s: relocation at byte %d lies in no decoded command"
                                    % (where, off))
                    ok = False
                    continue
                fields = holder[0].get("fields") or {}
                want = value & ((1 << 48) - 1)
                hits = [k for k, v in fields.items() if "Address" in k and to_int(v) == want]
                if not hits:
                    failures.append("%s: %s at byte %d: no address field equals the "
                                    "relocated 0x%x (fields %s)"
                                    % (where, holder[0].get("name"), holder[0]["offset"], want,
                                       json.dumps(fields)[:300]))
                    ok = False
            passed += ok
    print("blitter captures: %d distinct batches, %d relocations checked" % (len(seen), relocs))
    return passed


def to_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 0)
        except ValueError:
            return None
    if isinstance(v, dict):
        for k in ("value", "address"):
            if k in v:
                return to_int(v[k])
    return None


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vgt", default=os.environ.get("VGT", os.path.join(top, "build", "vgt")))
    ap.add_argument("--shared", default=os.environ.get("VGT_SHARED",
                                                       os.path.join(top, "..", "shared")))
    ap.add_argument("--docs", default=os.path.join(top, "docs", "COMMANDS.md"))
    args = ap.parse_args(argv)

    ref = os.path.join(args.shared, "reference")
    if not os.path.isdir(ref):
        print("genxml conformance: SKIPPED: %s is absent (set VGT_SHARED to the shared "
              "folder holding reference/gen8.xml and gen9.xml)" % ref)
        return 0
    if not os.access(args.vgt, os.X_OK):
        print("genxml conformance: %s is not an executable vgt binary" % args.vgt)
        print("0 passed, 1 failed")
        return 1

    aliases = read_aliases(args.vgt, args.docs)
    failures = []
    passed = check_genxml(args.vgt, ref, aliases, failures)
    passed += check_blt_captures(args.vgt, ref, failures)
    for f in failures[:50]:
        print("FAIL " + f)
    if len(failures) > 50:
        print("... and %d more" % (len(failures) - 50))
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
