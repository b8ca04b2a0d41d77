#!/usr/bin/env bash
# End-to-end tests of `vgt import` (a trace-cmd recording into a log):
#  - bad input needs no privilege: no file, a directory, an empty file,
#    a file that is not a recording, a missing -o: one line naming the
#    input, exit 2; --help;
#  - vgt's probes recorded by trace-cmd: uprobe events created through
#    tracefs in an instance of our own (the lines from `vgt probes
#    --uprobe-events` when that exists, else derived here from `readelf -n`,
#    with the semaphores' REF_CTR suffix), a deterministic `vgt sim` run,
#    `trace-cmd extract -B`; the imported log has the same events, per
#    vGPU, as `vgt sim --record` of the same run (vgt dump --json --keys:
#    payloads and blob keys; the real-time scan_ns aside), its header says
#    source import, and vgt stat calls it whole;
#  - a truncated and a corrupted copy of that recording: exit 2 with one
#    line naming the file, or (damage inside the event data) exit 1 and
#    the losses said; never a crash;
#  - a buffer too small: overwritten records (the oldest) and dropped ones
#    (the newest) are loss records, and vgt stat says the log lost events;
#  - the uprobe events and the instance are removed on every exit (trap).
# Needs root, tracefs, trace-cmd, python3; CI runs as root (REQUIRE_ALL=1),
# where a skip fails.
set -u
VGT=${VGT:-build/vgt}
VGT=$(readlink -f "$VGT")
tmp=$(mktemp -d)
T=/sys/kernel/tracing
G=vgtimp$$
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

created=0
cleanup() {
	if [ $created = 1 ]; then
		[ -d "$T/instances/$G" ] && echo 0 >"$T/instances/$G/events/$G/enable" 2>/dev/null
		echo 0 >"$T/events/$G/enable" 2>/dev/null
		[ -d "$T/instances/$G" ] && rmdir "$T/instances/$G" 2>/dev/null
		for e in $(sed -n "s/^p:$G\/\([^ ]*\) .*/\1/p" "$T/uprobe_events" 2>/dev/null); do
			echo "-:$G/$e" >>"$T/uprobe_events" 2>/dev/null
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/support/skip.sh"

expect_rc() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc (want $want): $*"
		sed 's/^/    /' "$tmp/out" "$tmp/err" | head -8
		return 1
	fi
	return 0
}
one_line_naming() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$2: not one line: $(cat "$tmp/err")"
	grep -qF -- "$1" "$tmp/err" || fail "$2: '$1' is not named: $(cat "$tmp/err")"
}

# --- bad input first: no privilege needed
expect_rc 0 "$VGT" import --help && grep -q "usage: vgt import" "$tmp/out" || fail "--help"
expect_rc 2 "$VGT" import "$tmp/none.dat" -o "$tmp/x.vgtl" &&
	one_line_naming "$tmp/none.dat" "missing file"
expect_rc 2 "$VGT" import "$tmp" -o "$tmp/x.vgtl" && one_line_naming "$tmp" "directory"
: >"$tmp/empty.dat"
expect_rc 2 "$VGT" import "$tmp/empty.dat" -o "$tmp/x.vgtl" &&
	one_line_naming "$tmp/empty.dat" "empty file"
echo "not a recording at all" >"$tmp/text.dat"
expect_rc 2 "$VGT" import "$tmp/text.dat" -o "$tmp/x.vgtl" &&
	one_line_naming "$tmp/text.dat" "not a recording"
expect_rc 2 "$VGT" import "$tmp/text.dat" && grep -q -- "-o" "$tmp/err" || fail "no -o"
expect_rc 2 "$VGT" import "$tmp/text.dat" -o "$tmp/x.vgtl" --rings rcs,xcs &&
	grep -q "xcs" "$tmp/err" || fail "--rings xcs"
[ -e "$tmp/x.vgtl" ] && fail "a refused import created the log"

# --- what the rest needs
[ "$(id -u)" = 0 ] || vgt_skip_all "not root" "uprobe events through tracefs need root (CI runs as root)"
if [ ! -w "$T/uprobe_events" ]; then
	mount -t tracefs nodev "$T" 2>/dev/null
	[ -w "$T/uprobe_events" ] || vgt_skip_all "no tracefs" "no writable $T/uprobe_events"
fi
command -v trace-cmd >/dev/null 2>&1 || vgt_skip_all "no trace-cmd" "trace-cmd is not installed (make deps)"
[ $have_python3 = 1 ] || vgt_skip_all "no python3" "the comparison of the logs did not run"

# The uprobe_events lines for vgt's probes in group $G (docs/PROBES.md,
# tracer/capture_int.h: event and blob with these fields).
uprobe_lines() {
	if "$VGT" probes --uprobe-events "$G" >"$tmp/lines" 2>/dev/null && [ -s "$tmp/lines" ]; then
		cat "$tmp/lines"
		return
	fi
	readelf -nW "$VGT" >"$tmp/notes" && readelf -lW "$VGT" >"$tmp/segs" &&
		readelf -SW "$VGT" >"$tmp/secs" || return 1
	python3 "$(dirname "$0")/support/uprobe_lines.py" "$VGT" "$G" "$tmp/notes" "$tmp/segs" "$tmp/secs"
}

uprobe_lines >"$tmp/events" || { fail "cannot make the uprobe_events lines"; exit 1; }
[ -s "$tmp/events" ] || { fail "no vgt probes found in $VGT"; exit 1; }
created=1
while read -r line; do
	echo "$line" >>"$T/uprobe_events" ||
		{ fail "uprobe_events refused: $line: $(tail -2 "$T/error_log" 2>/dev/null)"; exit 1; }
done <"$tmp/events"
mkdir "$T/instances/$G" || { fail "cannot create the instance $G"; exit 1; }

run=(sim --deterministic --vgpus 2 --submissions 5 --shm none)
# record OUT.dat BUFFER_KB OVERWRITE: one run of the probes into OUT.dat
record() {
	echo 0 >"$T/instances/$G/tracing_on"
	echo "$3" >"$T/instances/$G/options/overwrite"
	echo "$2" >"$T/instances/$G/buffer_size_kb"
	echo >"$T/instances/$G/trace"
	echo 1 >"$T/instances/$G/tracing_on"
	echo 1 >"$T/instances/$G/events/$G/enable" || { fail "cannot enable $G"; exit 1; }
	"$VGT" "${run[@]}" >"$tmp/sim.out" 2>&1 || fail "vgt ${run[*]}: exit $?"
	echo 0 >"$T/instances/$G/events/$G/enable"
	(cd "$tmp" && trace-cmd extract -B "$G" -o "$1" >"$tmp/extract.out" 2>&1) ||
		{ fail "trace-cmd extract: $(tail -2 "$tmp/extract.out")"; exit 1; }
	# trace-cmd extract -B removes the instance: make it again for the next
	[ -d "$T/instances/$G" ] || mkdir "$T/instances/$G"
}
# a buffer large enough: nothing lost (checked); then a small one that
# overwrites the oldest records
record "$tmp/f.dat" 32768 0
grep -q "events lost" "$tmp/extract.out" && fail "the tracefs buffer lost events (raise buffer_size_kb)"
record "$tmp/lossy.dat" 64 1
record "$tmp/drop.dat" 64 0
cleanup_events() {
	[ -d "$T/instances/$G" ] && rmdir "$T/instances/$G"
	while read -r line; do
		echo "-:$G/$(echo "$line" | sed 's/^p:[^/]*\/\([^ ]*\) .*/\1/')" >>"$T/uprobe_events"
	done <"$tmp/events"
}
cleanup_events || fail "removing the uprobe events"
grep -q "^p:$G/" "$T/uprobe_events" && fail "uprobe events of $G left behind"
created=0

"$VGT" "${run[@]}" --record "$tmp/g.vgtl" >/dev/null 2>&1 || fail "vgt sim --record: exit $?"

cp "$tmp/f.dat" "$tmp/same.dat"
expect_rc 2 "$VGT" import "$tmp/same.dat" -o "$tmp/same.dat" && one_line_naming "same.dat" "-o the input"
cmp -s "$tmp/f.dat" "$tmp/same.dat" || fail "-o the input: the recording was changed"
if expect_rc 0 "$VGT" import "$tmp/f.dat" -o "$tmp/f.vgtl"; then
	grep -q "vgt-probes" "$tmp/out" || fail "the report does not say vgt-probes"
	grep -q "losses     none" "$tmp/out" || fail "the report does not say nothing was lost"
fi
expect_rc 0 "$VGT" import "$tmp/f.dat" -o "$tmp/j.vgtl" --json &&
	python3 - "$tmp/out" <<'EOF' || fail "--json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kind"] == "vgt-probes", r
assert r["events"] > 0 and r["bad"] == 0 and r["missed"] == 0 and r["losses"] == 0, r
assert sum(r["by_type"].values()) == r["events"], r
assert "digest" not in r["types"] and "config" in r["types"], r
EOF
expect_rc 0 "$VGT" stat "$tmp/f.vgtl" && grep -qE "source +import" "$tmp/out" ||
	fail "vgt stat: not whole, or the source is not import"
"$VGT" dump --json --keys "$tmp/f.vgtl" >"$tmp/f.json" || fail "vgt dump f.vgtl: exit $?"
"$VGT" dump --json --keys "$tmp/g.vgtl" >"$tmp/g.json" || fail "vgt dump g.vgtl: exit $?"
python3 - "$tmp/f.json" "$tmp/g.json" <<'EOF' || fail "the imported log differs from the in-process one"
import json, sys
def per_vgpu(path):
    out = {}
    for line in open(path):
        e = json.loads(line)
        assert e.get("type") != "loss", (path, e)
        e.pop("scan_ns", None)            # real time, not part of a deterministic stream
        out.setdefault(e["vgpu"], []).append(e)
    return out
f, g = per_vgpu(sys.argv[1]), per_vgpu(sys.argv[2])
assert sorted(f) == sorted(g), ("vGPUs", sorted(f), sorted(g))
bad = 0
for v in sorted(g):
    if len(f[v]) != len(g[v]):
        print("    vGPU %s: %d events imported, %d in-process" % (v, len(f[v]), len(g[v])))
        bad += 1
    for a, b in zip(f[v], g[v]):
        if a != b:
            diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
            print("    vGPU %s seq %s: %s" % (v, b.get("seq"), diff))
            bad += 1
            break
n = sum(len(x) for x in g.values())
assert n > 100, "only %d events" % n
sys.exit(1 if bad else 0)
EOF

# --- records the kernel overwrote: losses at their place, exact by seq
if expect_rc 1 "$VGT" import "$tmp/lossy.dat" -o "$tmp/lossy.vgtl" --json; then
	grep -q "$tmp/lossy.dat" "$tmp/err" || fail "lossy: stderr does not name the recording"
	python3 - "$tmp/out" "$tmp/g.json" <<'EOF' || fail "lossy: events kept + lost != the run's events"
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(1 for _ in open(sys.argv[2]))
assert r["missed"] > 0 or r["missed_unknown"] > 0, r
assert r["losses"] > 0 and r["lost_events"] > 0, r
assert r["events"] + r["lost_events"] == n, (r["events"], r["lost_events"], n)
EOF
	expect_rc 1 "$VGT" stat "$tmp/lossy.vgtl" || fail "lossy: vgt stat does not say events were lost"
fi

# --- records a full buffer dropped (the newest, not in the data): the
# buffers' stats saved in the recording say how many, a loss record
if expect_rc 1 "$VGT" import "$tmp/drop.dat" -o "$tmp/drop.vgtl" --json; then
	python3 - "$tmp/out" "$tmp/g.json" <<'EOF' || fail "drop: the dropped records are not a loss"
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(1 for _ in open(sys.argv[2]))
assert r["dropped"] > 0 and r["losses"] > 0 and r["lost_events"] >= r["dropped"], r
assert r["events"] + r["lost_events"] >= n, (r["events"], r["lost_events"], n)
EOF
	expect_rc 1 "$VGT" stat "$tmp/drop.vgtl" || fail "drop: vgt stat does not say events were lost"
fi

# --- damaged recordings: a clear error or losses said, never a crash
size=$(stat -c %s "$tmp/f.dat")
for cut in 64 4096 $((size / 2)) $((size - 4096)); do
	head -c "$cut" "$tmp/f.dat" >"$tmp/cut.dat"
	"$VGT" import "$tmp/cut.dat" -o "$tmp/cut.vgtl" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	case $rc in
	2) one_line_naming "$tmp/cut.dat" "cut at $cut" ;;
	1) grep -q "$tmp/cut.dat" "$tmp/err" || fail "cut at $cut: exit 1 without naming the file" ;;
	*) fail "cut at $cut: exit $rc (want 2, or 1 with the losses said)"
	   sed 's/^/    /' "$tmp/err" | head -3 ;;
	esac
done
for seed in 1 2 3 4 5 6 7 8; do
	python3 - "$tmp/f.dat" "$tmp/bad.dat" "$seed" <<'EOF'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[3]))
# half the seeds damage anywhere, half the last third (the event data)
lo = 0 if int(sys.argv[3]) % 2 else len(b) * 2 // 3
for _ in range(8):
    b[r.randrange(lo, len(b))] = r.randrange(256)
open(sys.argv[2], "wb").write(b)
EOF
	"$VGT" import "$tmp/bad.dat" -o "$tmp/bad.vgtl" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	case $rc in
	0 | 1) ;;
	2) one_line_naming "$tmp/bad.dat" "corrupted (seed $seed)" ;;
	*) fail "corrupted (seed $seed): exit $rc: $(head -2 "$tmp/err")" ;;
	esac
done

[ $fails -eq 0 ] && echo "e2e_import: ok"
exit $((fails > 0))
