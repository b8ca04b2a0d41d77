#!/usr/bin/env bash
# End-to-end tests of `vgt probes`:
#  - with no BINARY it lists this vgt's probes: vgt:blob and vgt:event, each
#    with a site and a semaphore file offset and its argument string; the
#    same for an explicit path; the sites and arguments agree with
#    `readelf -n`; --json is an array of objects with the same values;
#  - --uprobe-events GROUP prints one line per site for GROUP/event and
#    GROUP/blob, with the absolute path, the semaphore suffix and the fields
#    of tracer/capture_int.h; as root, tracefs accepts exactly these lines
#    (they are written, read back and removed);
#  - bad inputs: a missing file, a file that is not ELF, a binary without
#    vgt's probes (listing: "no USDT probes", exit 0; --uprobe-events:
#    exit 2), a bad group name, unknown options, two binaries, --json with
#    --uprobe-events: exit 2 and one line naming the input.
set -u
VGT=${VGT:-build/vgt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

. "$(dirname "$0")/support/skip.sh"

expect_rc() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc (want $want): $*"
		sed 's/^/    /' "$tmp/out" | head -5
		sed 's/^/    /' "$tmp/err" | head -5
		return 1
	fi
	return 0
}

one_line_naming() {
	local what=$1; shift
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { fail "$what: not one line on stderr:"; sed 's/^/    /' "$tmp/err" | head -5; return; }
	for n in "$@"; do
		grep -qF -- "$n" "$tmp/err" || fail "$what: the message does not say '$n': $(cat "$tmp/err")"
	done
}

abs=$(readlink -f "$VGT")

# --- the list, default binary and explicit
if expect_rc 0 "$VGT" probes; then
	cp "$tmp/out" "$tmp/self"
	grep -qE '^vgt:event site 0x[0-9a-f]+ semaphore 0x[0-9a-f]+ args 8@%' "$tmp/self" || fail "no vgt:event line: $(cat "$tmp/self")"
	grep -qE '^vgt:blob site 0x[0-9a-f]+ semaphore 0x[0-9a-f]+ args 8@%' "$tmp/self" || fail "no vgt:blob line: $(cat "$tmp/self")"
fi
if expect_rc 0 "$VGT" probes "$VGT"; then
	cmp -s "$tmp/out" "$tmp/self" || fail "vgt probes $VGT differs from vgt probes"
fi

# --- against readelf: each site's arguments (PIE with vaddr = offset in the text segment)
if command -v readelf >/dev/null 2>&1; then
	readelf -n "$VGT" | awk '/Provider:/{p=$2} /Name:/{n=$2} /Location:/{l=$2; sub(",","",l)} /Arguments:/{sub(/^ *Arguments: */,""); print p":"n" "l" "$0}' >"$tmp/readelf"
	while read -r pn loc args; do
		grep -qF "$pn site 0x$(printf '%x' "$((loc))")" "$tmp/self" || fail "$pn: site $loc of readelf not in: $(cat "$tmp/self")"
		grep -qF "args $args" "$tmp/self" || fail "$pn: arguments '$args' of readelf not listed"
	done <"$tmp/readelf"
	[ -s "$tmp/readelf" ] || fail "readelf -n shows no stapsdt notes in $VGT"
fi

# --- --json
if expect_rc 0 "$VGT" probes --json "$VGT"; then
	if [ $have_python3 = 1 ]; then
		python3 - "$tmp/out" "$tmp/self" <<'PY' || fail "--json does not match the text list"
import json, sys
arr = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
assert len(arr) == len(text), (len(arr), len(text))
for o, t in zip(arr, text):
    want = "%s:%s site %s semaphore %s args %s" % (o["provider"], o["name"], o["offset"], o["semaphore_offset"], o["args"])
    assert want == t, (want, t)
    for k in ("binary", "address", "semaphore_address"):
        assert k in o, k
PY
	else
		vgt_skip "no python3" "--json not parsed"
	fi
fi

# --- --uprobe-events
if expect_rc 0 "$VGT" probes --uprobe-events vgt_e2e "$VGT"; then
	cp "$tmp/out" "$tmp/lines"
	[ "$(wc -l <"$tmp/lines")" -eq 2 ] || fail "--uprobe-events: not two lines: $(cat "$tmp/lines")"
	grep -qE "^p:vgt_e2e/event $abs:0x[0-9a-f]+\(0x[0-9a-f]+\) type=%[a-z0-9]+:u32 vgpu=%[a-z0-9]+:u32 seq=%[a-z0-9]+:u64 ev=\+0\(%[a-z0-9]+\):x64\[20\] text=\+0\(%[a-z0-9]+\):ustring nblobs=%[a-z0-9]+:u32$" "$tmp/lines" ||
		fail "--uprobe-events: the event line is not as expected: $(head -1 "$tmp/lines")"
	grep -qE "^p:vgt_e2e/blob $abs:0x[0-9a-f]+\(0x[0-9a-f]+\) seq=%[a-z0-9]+:u64 index=%[a-z0-9]+:u32 desc=\+0\(%[a-z0-9]+\):x64\[3\] offset=%[a-z0-9]+:u32 len=%[a-z0-9]+:u32 data0=\+0\((%[a-z0-9]+)\):x64\[64\] data1=\+512\(%[a-z0-9]+\):x64\[64\] data2=\+1024\(%[a-z0-9]+\):x64\[64\] data3=\+1536\(%[a-z0-9]+\):x64\[64\]$" "$tmp/lines" ||
		fail "--uprobe-events: the blob line is not as expected: $(tail -1 "$tmp/lines")"
	# the kernel takes them (root only)
	ue=/sys/kernel/tracing/uprobe_events
	if [ "$(id -u)" != 0 ]; then
		vgt_skip "not root" "the lines were not given to tracefs"
	elif [ ! -w "$ue" ]; then
		vgt_skip "no tracefs" "$ue missing"
	else
		group=vgt_e2e_$$
		"$VGT" probes --uprobe-events "$group" "$VGT" >"$tmp/mine"
		if ! cat "$tmp/mine" >>"$ue" 2>"$tmp/err"; then
			fail "tracefs refused the lines: $(cat "$tmp/err"); $(tail -3 /sys/kernel/tracing/error_log)"
		fi
		n=$(grep -c "^p:$group/" "$ue")
		[ "$n" -eq 2 ] || fail "tracefs shows $n events of $group, not 2"
		for e in event blob; do
			[ -f "/sys/kernel/tracing/events/$group/$e/format" ] || fail "no format for $group/$e"
		done
		grep -q 'field:u64 data3\[64\];' "/sys/kernel/tracing/events/$group/blob/format" 2>/dev/null ||
			grep -q 'data3' "/sys/kernel/tracing/events/$group/blob/format" || fail "blob format lacks data3"
		echo "-:$group/event" >>"$ue"
		echo "-:$group/blob" >>"$ue"
		! grep -q "^p:$group/" "$ue" || fail "could not remove $group's events"
	fi
fi

# --- help
if expect_rc 0 "$VGT" probes --help; then
	grep -q '^usage: vgt probes' "$tmp/out" || fail "--help: no usage line"
	grep -q -- '--uprobe-events GROUP' "$tmp/out" || fail "--help does not describe --uprobe-events"
fi
"$VGT" --help | grep -q '^  probes ' || fail "vgt --help does not list probes"

# --- bad inputs
if expect_rc 2 "$VGT" probes "$tmp/missing"; then one_line_naming "missing" "$tmp/missing" "cannot open"; fi
printf 'hello' >"$tmp/text"
if expect_rc 2 "$VGT" probes "$tmp/text"; then one_line_naming "not ELF" "$tmp/text" "not an ELF file"; fi
head -c 100 "$VGT" >"$tmp/cut"
if expect_rc 2 "$VGT" probes "$tmp/cut"; then one_line_naming "truncated" "$tmp/cut"; fi
if expect_rc 0 "$VGT" probes /bin/true; then grep -q 'no USDT probes' "$tmp/out" || fail "/bin/true: $(cat "$tmp/out")"; fi
if expect_rc 2 "$VGT" probes --uprobe-events g /bin/true; then one_line_naming "no probes" "true" "has no vgt:event probe"; fi
if expect_rc 2 "$VGT" probes --uprobe-events 9bad; then one_line_naming "bad group" "'9bad'" "group name"; fi
if expect_rc 2 "$VGT" probes --uprobe-events; then one_line_naming "no group" "--uprobe-events needs a GROUP"; fi
if expect_rc 2 "$VGT" probes --bogus; then one_line_naming "unknown option" "--bogus"; fi
if expect_rc 2 "$VGT" probes "$VGT" "$VGT"; then one_line_naming "two binaries" "one BINARY only"; fi
if expect_rc 2 "$VGT" probes --json --uprobe-events g; then one_line_naming "json+lines" "--json"; fi

if [ $fails -ne 0 ]; then
	echo "e2e_probes: $fails failure(s)"
	exit 1
fi
echo "e2e_probes: ok"
