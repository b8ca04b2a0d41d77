#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The tracefs uprobe_events lines for vgt's USDT probes in BINARY, in GROUP
# (docs/PROBES.md; the fields of tracer/capture_int.h: GROUP/event and
# GROUP/blob), from `readelf -nW`, `readelf -lW` and `readelf -SW` output
# saved in NOTES, SEGS and SECS: each site's file offset and its
# semaphore's as the (REF_CTR) suffix, the note's operands as tracefs
# fetch arguments.  Used by tests/e2e_import.sh and bench/import_dat.sh
# until `vgt probes --uprobe-events GROUP` exists (then they use that).
# usage: uprobe_lines.py BINARY GROUP NOTES SEGS SECS
import re, sys
binary, group, notes, segs, secs = sys.argv[1:]
loads = []
for l in open(segs):
    f = l.split()
    if f and f[0] == "LOAD":
        loads.append((int(f[2], 16), int(f[1], 16), int(f[5], 16)))  # vaddr, offset, memsz
base_sec = None
for l in open(secs):
    m = re.search(r"\.stapsdt\.base\s+\S+\s+([0-9a-f]+)", l)
    if m:
        base_sec = int(m.group(1), 16)
def off(a):
    for v, o, n in loads:
        if v <= a < v + n:
            return a - v + o
    raise SystemExit("address 0x%x in no LOAD segment" % a)
def reg(r):
    r = r.lstrip("%")
    m = re.fullmatch(r"r(\d+)[dwb]?", r)
    if m:
        return "%r" + m.group(1)
    r = re.sub(r"^[re]", "", r) if len(r) == 3 else r
    return "%" + r
def arg(a):
    a = a.split("@", 1)[1] if "@" in a else a
    m = re.fullmatch(r"(-?\d*)\((%\w+)\)", a)
    if m:
        return "+%s(%s)" % (m.group(1) or "0", reg(m.group(2)))
    return reg(a)
probes, cur = [], None
for l in open(notes):
    m = re.search(r"Provider: (\S+)", l)
    if m:
        cur = {"provider": m.group(1)}
        probes.append(cur)
        continue
    l = l.strip()
    if l.startswith("Name:") and cur is not None:
        cur["name"] = l.split()[1]
    elif l.startswith("Location:") and cur is not None:
        m = re.findall(r"(\w+): (0x[0-9a-f]+)", l)
        cur.update({k: int(v, 16) for k, v in m})
    elif l.startswith("Arguments:") and cur is not None:
        cur["args"] = [arg(a) for a in l.split()[1:]]
count = {}
for p in probes:
    if p.get("provider") != "vgt" or p.get("name") not in ("event", "blob"):
        continue
    adj = (base_sec - p["Base"]) if base_sec is not None else 0
    loc, sem = off(p["Location"] + adj), off(p["Semaphore"] + adj)
    a = p["args"]
    n = count.get(p["name"], 0)
    count[p["name"]] = n + 1
    name = p["name"] + ("_%d" % n if n else "")
    if p["name"] == "event":
        fields = ("type=%s:u32 vgpu=%s:u32 seq=%s:u64 ev=+0(%s):x64[20] text=+0(%s):ustring "
                  "nblobs=%s:u32" % (a[1], a[2], a[3], a[0], a[4], a[5]))
    else:
        data = " ".join("data%d=+%d(%s):x64[64]" % (i, 512 * i, a[3]) for i in range(4))
        fields = ("seq=%s:u64 index=%s:u32 desc=+0(%s):x64[3] offset=%s:u32 len=%s:u32 %s"
                  % (a[0], a[1], a[2], a[4], a[5], data))
    print("p:%s/%s %s:0x%x(0x%x) %s" % (group, name, binary, loc, sem, fields))
