#!/usr/bin/env bash
# End-to-end tests of `vgt scan`: every case file under tests/cases/ meets
# its 'expect' line, raw-file mode (batch, ring, --mem, --ppgtt, windows),
# policies, --all, --json, and the exit statuses (0 clean, 1 violation,
# 2 usage or I/O error).
set -u
VGT=${VGT:-build/vgt}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/support/skip.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { :; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_rc WANT CMD...: run CMD, compare its exit status
expect_rc() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc (want $want): $*"
		sed 's/^/    /' "$tmp/out" "$tmp/err" | head -5
		return 1
	fi
	return 0
}

# dwords HEX...: little-endian binary on stdout
dwords() {
	local d
	for d in "$@"; do
		d=$((d))
		printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((d & 255)) $(((d >> 8) & 255)) \
			$(((d >> 16) & 255)) $(((d >> 24) & 255)))"
	done
}

# --- the shipped sample (`make run`'s input) is real-driver shaped: strict passes it,
# as a GGTT batch and as a PPGTT one
expect_rc 0 "$VGT" scan "$here/../samples/gen9-3d-batch.bin"
expect_rc 0 "$VGT" scan --ppgtt "$here/../samples/gen9-3d-batch.bin"

# --- every case file meets its expectation
n=0
for c in "$here"/cases/*.case; do
	n=$((n + 1))
	expect_rc 0 "$VGT" scan "$c" --check || fail "case $(basename "$c")"
done
[ "$n" -ge 15 ] || fail "only $n case files"

# --- raw files
dwords 0x11000001 0x7034 0x60000021 0x05000000 >"$tmp/clean.bin"
dwords 0x11000001 0x229c 0x00010001 0x11000001 0x101008 0 0x05000000 >"$tmp/evil.bin"

expect_rc 0 "$VGT" scan "$tmp/clean.bin" && grep -q "pass (strict, gen9 rcs)" "$tmp/out" ||
	fail "clean GGTT batch text output"
expect_rc 0 "$VGT" scan "$tmp/clean.bin" --ppgtt --gma 0x100000000 || fail "clean PPGTT batch"
expect_rc 1 "$VGT" scan "$tmp/evil.bin" && grep -q "reg-priv-disable" "$tmp/out" ||
	fail "ring-mode write not reported"
expect_rc 1 "$VGT" scan "$tmp/evil.bin" --all && [ "$(grep -c 'violation' "$tmp/out")" -eq 2 ] ||
	fail "--all should list two violations"
expect_rc 0 "$VGT" scan "$tmp/evil.bin" --policy audit && grep -q "would reject" "$tmp/out" ||
	fail "audit policy must report but pass"
expect_rc 1 "$VGT" scan "$tmp/clean.bin" --engine vcs && grep -q "reg-cross-engine" "$tmp/out" ||
	fail "L3CNTLREG from the video engine"
expect_rc 1 "$VGT" scan "$tmp/clean.bin" --policy gvt && grep -q "reg-write" "$tmp/out" ||
	fail "gvt policy should refuse L3CNTLREG"
expect_rc 0 "$VGT" scan "$tmp/clean.bin" --policy gvt --ppgtt || fail "gvt skips PPGTT batches"
expect_rc 1 "$VGT" scan "$tmp/clean.bin" --gma 0x1000 && grep -q "ggtt-range" "$tmp/out" ||
	fail "GGTT batch outside the default windows"
expect_rc 0 "$VGT" scan "$tmp/clean.bin" --gma 0x1000 --aperture 0x0:0x100000 ||
	fail "--aperture moves the window"
expect_rc 0 "$VGT" scan "$tmp/clean.bin" --gen 8 || fail "gen 8"

# a chained batch supplied with --mem; memory not supplied is unmapped
dwords 0x18800101 0x00010000 0x00000001 >"$tmp/chain.bin"
dwords 0x10800001 0x40 1 0x05000000 >"$tmp/target.bin"
expect_rc 1 "$VGT" scan "$tmp/chain.bin" --ppgtt --gma 0x100000000 &&
	grep -q "unmapped" "$tmp/out" || fail "jump into unmapped memory"
expect_rc 1 "$VGT" scan "$tmp/chain.bin" --ppgtt --gma 0x100000000 \
	--mem 0x100010000="$tmp/target.bin" && grep -q "forbidden-cmd" "$tmp/out" ||
	fail "chained batch via --mem"
expect_rc 1 "$VGT" scan "$tmp/chain.bin" --ppgtt --gma 0x100000000 \
	--mem ggtt:0x100010000="$tmp/target.bin" && grep -q "unmapped" "$tmp/out" ||
	fail "--mem with an explicit address space"

# a ring
dwords 0x18800001 0x08200000 0 0x01000000 >"$tmp/ring.bin"
dwords 0x05000000 >"$tmp/bb.bin"
expect_rc 0 "$VGT" scan "$tmp/ring.bin" --ring --mem 0x08200000="$tmp/bb.bin" --json ||
	fail "ring scan"
grep -q '"kind":"ring"' "$tmp/out" && grep -q '"user-interrupt"' "$tmp/out" &&
	grep -q '"bb-reloc"' "$tmp/out" || fail "ring JSON lacks shadows/events/patches"

# --- JSON is well formed and carries the documented keys
expect_rc 1 "$VGT" scan "$tmp/evil.bin" --json --all
for k in verdict violations commands shadows events patches reason buffer offset gma command \
	value message; do
	grep -q "\"$k\"" "$tmp/out" || fail "JSON lacks \"$k\""
done
grep -q '"verdict":"violation"' "$tmp/out" || fail "JSON verdict"
if [ $have_python3 = 1 ]; then
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out" || fail "JSON does not parse"
else
	vgt_skip "no python3" "--json output not parsed"
fi

# --- usage and I/O errors
expect_rc 2 "$VGT" scan && grep -q "missing FILE to scan; see 'vgt scan --help'" "$tmp/err" &&
	! grep -q "''" "$tmp/err" || fail "missing FILE message"
mkdir "$tmp/adir"
expect_rc 2 "$VGT" scan "$tmp/adir" && grep -q "$tmp/adir: is a directory" "$tmp/err" ||
	fail "a directory is named as one, not a read error"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --mem 0x1000="$tmp/adir" &&
	grep -q "$tmp/adir: is a directory" "$tmp/err" || fail "--mem directory message"
: >"$tmp/empty.bin"
expect_rc 2 "$VGT" scan "$tmp/empty.bin" && grep -q "$tmp/empty.bin: empty, no dwords to scan" "$tmp/err" ||
	fail "an empty file is called empty"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --gma 0x08100002 && grep -q "not dword aligned" "$tmp/err" ||
	fail "unaligned --gma is a usage error"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --gma 0xfffffffffffffffc &&
	grep -q "run past the end of the 4 GiB GGTT" "$tmp/err" || fail "--gma past the GGTT"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --ppgtt --gma 0xfffffffffffffffc &&
	grep -q "run past the end of the 48-bit PPGTT" "$tmp/err" || fail "--gma past the PPGTT"
expect_rc 0 "$VGT" scan "$tmp/clean.bin" --ppgtt --gma 0xfffffffffff0 || fail "--gma at the PPGTT's top"
expect_rc 2 "$VGT" scan "$tmp/nonexistent.bin" || fail "missing file is an I/O error"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --gen 7 || fail "--gen 7"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --engine gpu || fail "bad engine"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --policy lax || fail "bad policy"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --bogus || fail "unknown option"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --mem nonsense || fail "bad --mem"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --aperture 0x1000 || fail "bad --aperture"
printf 'abc' >"$tmp/odd.bin"
expect_rc 2 "$VGT" scan "$tmp/odd.bin" || fail "not whole dwords"
printf 'vgt-scan-case 1\ngen 9\nengine rcs\nbatch ppgtt 0x1000\nmem ppgtt 0x1000\n 0x05000000\n' \
	>"$tmp/noend.case"
expect_rc 2 "$VGT" scan "$tmp/noend.case" && grep -q "line 5" "$tmp/err" ||
	fail "case parse error names the line"
expect_rc 2 "$VGT" scan "$tmp/clean.bin" --check || fail "--check needs a case file"
expect_rc 0 "$VGT" scan --help || fail "--help"

if [ "$fails" -ne 0 ]; then
	echo "e2e_scan: $fails failure(s)"
	exit 1
fi
echo "e2e_scan: all passed ($n case files)"
