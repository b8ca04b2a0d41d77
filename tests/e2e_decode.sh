#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of `vgt decode`: the shipped sample, JSON Lines, --fields,
# and every error path (exit codes and one-line messages).
set -u

VGT=${VGT:-build/vgt}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/support/skip.sh"
sample="$here/samples/gen9-3d-batch.bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# run NAME EXPECTED_RC ARGS...: runs vgt, keeps stdout/stderr in $out/$err.
run() {
	local name=$1 want=$2
	shift 2
	"$VGT" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
		bad "$name: exit $rc, expected $want; stderr: $err"; fi
}
expect_in() { # NAME TEXT HAYSTACK
	case "$3" in *"$2"*) ok "$1" ;; *) bad "$1: '$2' not found in: $(echo "$3" | head -5)" ;; esac
}
# dwords FILE HEX...: writes little-endian dwords.
dwords() {
	local f=$1 x d
	shift
	: >"$f"
	for x in "$@"; do
		x=${x#0x}
		d=$((16#$x))
		printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((d & 255)) $(((d >> 8) & 255)) \
			$(((d >> 16) & 255)) $(((d >> 24) & 255)))" >>"$f"
	done
}

if [ ! -x "$VGT" ]; then echo "FAIL: $VGT is not built"; exit 1; fi

# --- the sample: every command known, operands on the line
run "sample decodes" 0 decode --gen 9 --engine rcs --gma 0x10000 "$sample"
expect_in "sample starts at the given gma" "0x00010000:  7a000004  PIPE_CONTROL" "$out"
expect_in "sample LRI shows register and value" "write reg 0x7034=0x60000060" "$out"
expect_in "sample STATE_BASE_ADDRESS shows its bases" "Surface State Base Address=ppgtt:0x100000000" "$out"
expect_in "sample PIPE_CONTROL shows its post-sync write" "post-sync=1 (write-imm), Address=ppgtt:0xfff00000" "$out"
expect_in "sample ends with MI_BATCH_BUFFER_END" "MI_BATCH_BUFFER_END" "$out"
expect_in "sample summary counts every command ok" "unknown, 0 truncated" "$out"
run "defaults are gen 9, rcs, gma 0" 0 decode "$sample"
expect_in "default gma is 0" "0x00000000:  7a000004  PIPE_CONTROL" "$out"

# --- --fields: every named field, every LRI pair
run "--fields" 0 decode --fields "$sample"
expect_in "--fields prints DWord Length" "    DWord Length: 4" "$out"
expect_in "--fields prints a bool as true/false" "    Command Streamer Stall Enable: true" "$out"
expect_in "--fields prints an address field" "    Surface State Base Address: 0x100000000" "$out"
expect_in "--fields lists the second LRI pair" "operand dw3: write reg 0x7008=0x03000100" "$out"

# --- --json: JSON Lines with the documented keys
run "--json" 0 decode --json --gma 0x10000 "$sample"
if [ $have_python3 = 0 ]; then vgt_skip "no python3" "--json schema not checked"
elif python3 - "$tmp/out" <<'EOF'; then ok "--json lines parse and carry the keys"; else bad "--json schema"; fi
import json, sys
keys = {"offset", "gma", "header", "name", "dwords", "engine", "status", "fields", "operands"}
prev = None
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    missing = keys - o.keys()
    assert not missing, "line %d lacks %s" % (n, missing)
    assert isinstance(o["offset"], int) and isinstance(o["dwords"], int)
    assert o["gma"] == hex(0x10000 + o["offset"]), o["gma"]
    assert o["header"].startswith("0x") and len(o["header"]) == 10
    assert o["engine"] == "rcs" and o["status"] == "ok", o
    assert isinstance(o["fields"], dict) and o["fields"], o["name"]
    assert all(isinstance(v, (int, float)) for v in o["fields"].values()), o["name"]
    for op in o["operands"]:
        assert {"kind", "value", "as", "dw"} <= op.keys(), op
    if prev is not None:
        assert o["offset"] == prev["offset"] + 4 * prev["dwords"], (prev, o)
    if o["name"] == "MI_LOAD_REGISTER_IMM" and o["dwords"] == 5:
        regs = [(op["value"], op["imm"]) for op in o["operands"]]
        assert regs == [(0x2580, 0x00010001), (0x7008, 0x03000100)], regs
    if o["name"] == "PIPE_CONTROL":
        assert o["fields"]["DWord Length"] == 4
    prev = o
assert prev and prev["name"] in ("MI_BATCH_BUFFER_END", "MI_NOOP")
EOF

# --- engines: the same header is a different command
dwords "$tmp/vfe.bin" 70000007 0 0 0 0 0 0 0 0
run "0x70000000 on rcs" 0 decode --engine rcs "$tmp/vfe.bin"
expect_in "0x70000000 on rcs is MEDIA_VFE_STATE" "MEDIA_VFE_STATE" "$out"
run "0x70000000 on vcs" 0 decode --engine video "$tmp/vfe.bin"
expect_in "0x70000000 on vcs is MFX_PIPE_MODE_SELECT" "MFX_PIPE_MODE_SELECT" "$out"

# --- unknown: exit 1, walk continues past the guessed length
dwords "$tmp/unknown.bin" e0000000 05000000
run "unknown command" 1 decode "$tmp/unknown.bin"
expect_in "unknown command is marked" "<unknown>" "$out"
expect_in "walk continues after an unknown command" "MI_BATCH_BUFFER_END" "$out"
expect_in "unknown command is reported on stderr" "1 unknown, 0 truncated" "$err"
run "unknown command, json" 1 decode --json "$tmp/unknown.bin"
expect_in "unknown command has a null name in JSON" '"name":null' "$out"
expect_in "unknown command has status unknown in JSON" '"status":"unknown"' "$out"
dwords "$tmp/blt.bin" 54c00008 0 0 0 0 0 0 0 0 0
run "blitter command on the render engine" 1 decode --engine rcs "$tmp/blt.bin"
run "blitter command on the blitter" 0 decode --engine bcs "$tmp/blt.bin"
expect_in "XY_SRC_COPY_BLT on bcs" "XY_SRC_COPY_BLT" "$out"

# --- truncated: exit 1, the walk stops there
dwords "$tmp/trunc.bin" 05000000 7a000004 0 0
run "truncated command" 1 decode "$tmp/trunc.bin"
expect_in "truncated command is marked" "TRUNCATED: 3 of 6 dwords present" "$out"
run "truncated command, json" 1 decode --json "$tmp/trunc.bin"
expect_in "truncated status in JSON" '"status":"truncated"' "$out"

# --- bad length: a command the hardware runs at one length only, with another
# in its length field (the auditor's bad-length, from the row): exit 1
dwords "$tmp/pc5.bin" 7a000003 0 0 0 0 05000000
run "PIPE_CONTROL of 5 dwords" 1 decode "$tmp/pc5.bin"
expect_in "bad length is marked" "BAD-LENGTH: PIPE_CONTROL has exactly 6 dwords" "$out"
expect_in "walk continues after a bad length" "MI_BATCH_BUFFER_END" "$out"
expect_in "bad length is reported on stderr" "1 bad-length" "$err"
run "PIPE_CONTROL of 5 dwords, json" 1 decode --json "$tmp/pc5.bin"
expect_in "bad-length status in JSON" '"status":"bad-length"' "$out"
dwords "$tmp/srm3.bin" 12000001 2358 0
run "SRM of 3 dwords" 1 decode "$tmp/srm3.bin"
expect_in "SRM bad length" "MI_STORE_REGISTER_MEM has exactly 4 dwords" "$out"

# --- usage and I/O errors: exit 2, one line naming the problem
: >"$tmp/empty.bin"
run "empty file" 2 decode "$tmp/empty.bin"
expect_in "empty file message" "$tmp/empty.bin: empty, no dwords to decode" "$err"
printf 'abcde' >"$tmp/odd.bin"
run "odd byte count" 2 decode "$tmp/odd.bin"
expect_in "odd byte count message" "$tmp/odd.bin: 5 bytes is not a multiple of 4" "$err"
run "missing file" 2 decode "$tmp/no-such-file.bin"
expect_in "missing file message" "$tmp/no-such-file.bin: cannot open: No such file or directory" "$err"
run "no file" 2 decode
expect_in "no file message" "missing FILE" "$err"
run "unknown option" 2 decode --bogus "$sample"
expect_in "unknown option message" "unknown option '--bogus'" "$err"
run "bad --gen" 2 decode --gen 7 "$sample"
expect_in "bad --gen message" "--gen '7': expected 8 or 9" "$err"
run "bad --engine" 2 decode --engine xcs "$sample"
expect_in "bad --engine message" "--engine 'xcs'" "$err"
run "bad --gma" 2 decode --gma 0xzz "$sample"
expect_in "bad --gma message" "--gma '0xzz'" "$err"
run "--gen without value" 2 decode "$sample" --gen
run "directory" 2 decode "$tmp"
expect_in "directory message" "$tmp: is a directory" "$err"
run "unaligned --gma" 2 decode --gma 0x10002 "$sample"
expect_in "unaligned --gma message" "--gma 0x10002 is not dword aligned" "$err"
run "--gma that wraps" 2 decode --gma 0xfffffffffffffffc "$sample"
expect_in "wrapping --gma message" "run past the end of the 48-bit graphics address space" "$err"
dwords "$tmp/end.bin" 05000000
run "--gma at the top of the address space" 0 decode --gma 0xfffffffffffc "$tmp/end.bin"
for e in "$tmp/empty.bin" "$tmp/odd.bin"; do
	n=$("$VGT" decode "$e" 2>&1 >/dev/null | wc -l)
	if [ "$n" -eq 1 ]; then ok "one-line message for $(basename "$e")"; else bad "$n lines for $e"; fi
done

# --- help and aliases
run "--help" 0 decode --help
expect_in "--help prints the usage" "usage: vgt decode FILE" "$out"
run "--list-aliases" 0 decode --list-aliases
expect_in "aliases list MI_OP_2F" "MI_OP_2F MI_ATOMIC" "$out"

echo "e2e_decode: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
