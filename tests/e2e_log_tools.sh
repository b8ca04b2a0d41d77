#!/usr/bin/env bash
# End-to-end tests of the log tools on a recorded deterministic run
# (vgt sim --deterministic --vgpus 3 --profile 3d,blit,hostile
# --submissions 20 --record F):
#  - vgt stat: text and --json; events by type sum to the total; the
#    per-vGPU counts (submissions, rejections, GGTT writes, page-table
#    writes, MMIO reads and writes) equal the simulation's own table;
#  - vgt dump: --vgpu, --type, --from/--to give exactly the subset a full
#    --json dump filtered in python3 gives; text and JSON have one line per
#    record; --decode prints the scanned buffers' commands; '| head' is
#    quiet and exits 0;
#  - vgt export: valid JSON whose engine slices match the log's
#    DISPATCH/COMPLETE pairs one to one (ids, times, vGPU, engine, status,
#    commands), flows paired and bound in order, every track's timestamps
#    in order and its slices nested, one instant per reject/failsafe/escape;
#  - bad inputs for each command: missing file, a directory, an empty
#    file, a file that is not a log, a truncated log (stat says truncated
#    and exits 1, dump prints what it recovered and exits 1, export too),
#    unknown option, unknown --type (the valid names listed), --format
#    bogus, -o into a missing directory: the right exit code and one line
#    naming the input.
set -u
VGT=${VGT:-build/vgt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

. "$(dirname "$0")/support/skip.sh"
[ $have_python3 = 1 ] || vgt_skip_all "no python3" "every check of e2e_log_tools parses JSON"

# expect_rc WANT CMD...: run CMD, compare its exit status
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

# one_line_naming WHAT NEEDLE...: stderr is one line holding every needle
one_line_naming() {
	local what=$1; shift
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { fail "$what: not one line on stderr:"; sed 's/^/    /' "$tmp/err" | head -5; return; }
	for n in "$@"; do
		grep -qF -- "$n" "$tmp/err" || fail "$what: the message does not say '$n': $(cat "$tmp/err")"
	done
}

log=$tmp/run.vgtl
"$VGT" sim --deterministic --vgpus 3 --profile 3d,blit,hostile --submissions 20 --shm none \
	--json --record "$log" >"$tmp/sim.json" 2>"$tmp/sim.err"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$log" ]; then
	fail "vgt sim --record: exit $rc, log $(stat -c %s "$log" 2>/dev/null || echo missing)"
	sed 's/^/    /' "$tmp/sim.err" | head -5
	echo "e2e_log_tools: $fails failure(s)"
	exit 1
fi

# --- stat: text
if expect_rc 0 "$VGT" stat "$log"; then
	for w in 'vgt log, format 1' 'source       in-process' 'gen          9' 'clock        virtual' \
		'config       gen=9 policy=strict dispatch=manual' 'by type' 'per vGPU' \
		'bytes/event' 'compression' 'dedup' 'chunks' 'health         ok'; do
		grep -qF -- "$w" "$tmp/out" || fail "stat: no '$w' in the text"
	done
	grep -q 'sim .*--record' "$tmp/out" || fail "stat: the command line is not the recording's"
fi

# --- stat --json: totals and the simulation's own counters
if expect_rc 0 "$VGT" stat "$log" --json; then
	cp "$tmp/out" "$tmp/stat.json"
	python3 - "$tmp/stat.json" "$tmp/sim.json" <<'EOF' || fail "stat --json"
import json, sys
s = json.load(open(sys.argv[1]))
sim = json.load(open(sys.argv[2]))
assert s["format_version"] == 1 and s["source"] == "in-process" and s["gen"] == 9, s
assert s["health"]["ok"] is True and s["health"]["closed"] is True and s["health"]["problems"] == []
assert s["events"] > 1000 and sum(s["by_type"].values()) == s["events"], s["by_type"]
assert sum(s["by_vgpu"].values()) == s["events"]
assert s["config"]["type"] == "config" and s["config"]["dispatch"] == "manual"
assert s["last_seq"] - s["first_seq"] + 1 == s["events"] and s["out_of_order"] == 0
assert s["duration"]["virtual_ns"] == s["duration"]["last_time"] - s["duration"]["first_time"] > 0
assert s["bytes"]["per_event"] > 0 and s["bytes"]["compression_ratio"] >= 1, s["bytes"]
assert s["blobs"]["refs"] > 0 and s["blobs"]["stored"] > 0 and s["blobs"]["dedup_ratio"] >= 1, s["blobs"]
assert s["chunks"]["events"] > 0 and s["chunks"]["blobs"] > 0 and s["chunks"]["bad"] == 0
per = {v["vgpu"]: v for v in s["per_vgpu"]}
assert len(sim["per_vgpu"]) == 3 and sorted(per) == [1, 2, 3], per.keys()
for i, x in enumerate(sim["per_vgpu"], 1):
    p = per[i]
    for a, b in (("submissions", "submissions"), ("rejections", "rejected"),
                 ("ggtt_writes", "ggtt_writes"), ("pt_writes", "pt_writes"),
                 ("mmio_reads", "mmio_reads"), ("mmio_writes", "mmio_writes"),
                 ("completions", "completed")):
        assert p[a] == x[b], (i, x["profile"], a, p[a], b, x[b])
    assert p["submissions"] == 20
assert per[3]["rejections"] > 0  # the hostile guest's attacks
EOF
fi

# --- dump: the full stream, text and JSON, one line per record
expect_rc 0 "$VGT" dump "$log" --json && cp "$tmp/out" "$tmp/all.jsonl"
expect_rc 0 "$VGT" dump "$log" && cp "$tmp/out" "$tmp/all.txt"
[ "$(wc -l <"$tmp/all.txt")" -eq "$(wc -l <"$tmp/all.jsonl")" ] || fail "dump: text and JSON line counts differ"
grep -qE '^[0-9]+ [0-9]+\.[0-9]{9} v[1-3] rcs scan id=[0-9]+ verdict=pass commands=[0-9]+' "$tmp/all.txt" ||
	fail "dump: no scan line in the text form"
grep -qE ' reject id=[0-9]+ reason=[a-z-]+ .* -- ' "$tmp/all.txt" || fail "dump: no reject line with its text"

# the filters, against the full dump filtered here
seqs=$(python3 -c '
import json, sys
s = [json.loads(l)["seq"] for l in open(sys.argv[1])]
print(s[len(s) // 3], s[len(s) // 2])' "$tmp/all.jsonl")
from=${seqs% *}
to=${seqs#* }
dump_subset() { # NAME PYTHON-PREDICATE DUMP-OPTIONS...
	local name=$1 pred=$2; shift 2
	if expect_rc 0 "$VGT" dump "$log" --json "$@"; then
		python3 - "$tmp/all.jsonl" "$tmp/out" "$pred" <<'EOF' || fail "dump $name: not the subset"
import json, sys
full = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
keep = eval("lambda e: " + sys.argv[3])
want = [e for e in full if keep(e)]
assert got == want, (len(got), len(want))
assert want, "an empty subset proves nothing"
EOF
	fi
}
dump_subset "--vgpu 2" 'e["vgpu"] == 2' --vgpu 2
dump_subset "--vgpu 0" 'e["vgpu"] == 0' --vgpu 0
dump_subset "--type scan,reject" 'e["type"] in ("scan", "reject")' --type scan,reject
dump_subset "--from/--to" "$from <= e['seq'] <= $to" --from "$from" --to "$to"
dump_subset "all of them" "$from <= e['seq'] <= $to and e['vgpu'] == 3 and e['type'] in ('ggtt-write', 'submit')" \
	--from "$from" --to "$to" --vgpu 3 --type ggtt-write,submit

# --keys: every blob's key (without it, only inline blobs have theirs)
if expect_rc 0 "$VGT" dump "$log" --json --keys --type scan,workload,mem-write; then
	python3 - "$tmp/out" <<'EOF' || fail "dump --keys"
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
blobs = [b for e in ev for b in e["blobs"]]
assert blobs and all(re.fullmatch("[0-9a-f]{32}", b["key"]) for b in blobs), blobs[:3]
EOF
fi

# --decode: the commands of the scanned buffers
if expect_rc 0 "$VGT" dump "$log" --type scan --decode --vgpu 1; then
	grep -qE '^    buffer 0: [0-9]+ bytes at (ggtt|ppgtt):0x[0-9a-f]+$' "$tmp/out" || fail "--decode: no buffer line"
	grep -qE '^      0x[0-9a-f]+:  [0-9a-f]{8}  (MI_BATCH_BUFFER_START|PIPE_CONTROL) ' "$tmp/out" ||
		fail "--decode: no decoded MI_BATCH_BUFFER_START or PIPE_CONTROL"
fi

# '| head': quiet, exit 0 (the pipe closing is not an error)
(set -o pipefail; "$VGT" dump "$log" 2>"$tmp/head.err" | head -3 >"$tmp/head.out")
rc=$?
[ $rc -eq 0 ] || fail "dump | head: exit $rc"
[ -s "$tmp/head.err" ] && fail "dump | head: said something: $(cat "$tmp/head.err")"
[ "$(wc -l <"$tmp/head.out")" -eq 3 ] || fail "dump | head: not 3 lines"

# --- export: the trace against the log
if expect_rc 0 "$VGT" export "$log" --format perfetto -o "$tmp/trace.json"; then
	grep -qE 'workload slices' "$tmp/err" || fail "export: no summary"
	python3 - "$tmp/trace.json" "$tmp/all.jsonl" <<'EOF' || fail "export: the trace"
import collections, json, sys
trace = json.load(open(sys.argv[1]))
log = [json.loads(l) for l in open(sys.argv[2])]
ev = trace["traceEvents"]
assert trace["otherData"]["source"] == "in-process" and ev
for e in ev:
    assert e["ph"] in ("M", "X", "C", "i", "s", "f"), e
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
# engine slices <-> DISPATCH/COMPLETE pairs, one to one
disp = {e["id"]: e for e in log if e.get("type") == "dispatch"}
comp = {e["id"]: e for e in log if e.get("type") == "complete"}
pairs = {i for i in disp if i in comp}
assert pairs and len(disp) == len([e for e in log if e.get("type") == "dispatch"])
slices = [e for e in ev if e["ph"] == "X" and e["pid"] == 1]
ids = [e["args"]["workload"] for e in slices]
assert len(ids) == len(set(ids)), "a workload has two slices"
assert set(ids) == pairs, sorted(set(ids) ^ pairs)
engines = ["rcs", "bcs", "vcs", "vecs"]
for s in slices:
    d, c = disp[s["args"]["workload"]], comp[s["args"]["workload"]]
    assert abs(s["ts"] - d["time"] / 1000) < 0.0015, (s, d)
    assert abs(s["ts"] + s["dur"] - max(c["time"], d["time"] + 1) / 1000) < 0.0015, (s, c)
    assert s["tid"] == 1 + engines.index(d["engine"]) and s["args"]["vgpu"] == d["vgpu"]
    assert s["name"] == "vGPU %d wl %d" % (d["vgpu"], d["id"])
    assert s["args"]["status"] == c["status"] and s["args"]["commands"] == c["commands"]
    assert s["args"]["verdict"] in ("pass", "violations (audit)"), s
# flows: numeric ids, one s and one f each, f bound to its enclosing slice
fs = collections.Counter(e["id"] for e in ev if e["ph"] == "s")
ff = collections.Counter(e["id"] for e in ev if e["ph"] == "f")
assert ff and all(isinstance(i, int) for i in fs)
assert set(fs.values()) == {1} and set(ff.values()) == {1}
workloads = {e["id"] for e in log if e.get("type") == "workload"}
assert set(ff) == pairs & workloads and set(fs) == set(ff), (set(fs) ^ set(ff))
assert all(e["bp"] == "e" for e in ev if e["ph"] == "f")
# each track in timestamp order, its slices nested
tracks = collections.defaultdict(list)
for e in ev:
    if e["ph"] in ("X", "i"):
        tracks[(e["pid"], e["tid"])].append(e)
    elif e["ph"] == "C":
        tracks[(e["pid"], "C", e["name"])].append(e)
for k, l in tracks.items():
    ts = [e["ts"] for e in l]
    assert ts == sorted(ts), ("out of order", k)
    stack = []
    for e in (x for x in l if x["ph"] == "X"):
        while stack and stack[-1] <= e["ts"] + 1e-9:
            stack.pop()
        assert not stack or e["ts"] + e["dur"] <= stack[-1] + 1e-9, ("not nested", k, e)
        stack.append(e["ts"] + e["dur"])
# instants: one per reject, failsafe, escape; every used thread named
alerts = [e for e in log if e.get("type") in ("reject", "failsafe", "escape")]
assert alerts and len([e for e in ev if e["ph"] == "i"]) == len(alerts)
named = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
assert all((e["pid"], e["tid"]) in named for e in ev if e["ph"] in ("X", "i"))
counters = {e["name"] for e in ev if e["ph"] == "C"}
assert counters == {"rates", "rejections"}, counters
EOF
fi
# -o - writes the same trace on standard output
if expect_rc 0 "$VGT" export "$log" -o -; then
	cmp -s "$tmp/out" "$tmp/trace.json" || fail "export -o -: not the same trace as -o FILE"
fi

# --- bad inputs
mkdir "$tmp/adir"
: >"$tmp/empty"
echo "not a log at all, only text" >"$tmp/text"
size=$(stat -c %s "$log")
# cut inside its last chunk (the index: every event chunk is whole) and in the middle
head -c $((size - 40)) "$log" >"$tmp/cut.vgtl"
head -c $((size / 2)) "$log" >"$tmp/half.vgtl"
for cmd in stat dump export; do
	extra=()
	[ $cmd = export ] && extra=(-o "$tmp/x.json")
	expect_rc 2 "$VGT" $cmd "$tmp/missing.vgtl" "${extra[@]}" &&
		one_line_naming "$cmd missing" "$tmp/missing.vgtl" "No such file"
	expect_rc 2 "$VGT" $cmd "$tmp/adir" "${extra[@]}" && one_line_naming "$cmd dir" "$tmp/adir" "directory"
	expect_rc 2 "$VGT" $cmd "$tmp/empty" "${extra[@]}" && one_line_naming "$cmd empty" "$tmp/empty" "empty"
	expect_rc 2 "$VGT" $cmd "$tmp/text" "${extra[@]}" && one_line_naming "$cmd text" "$tmp/text" "not a vgt log"
	expect_rc 2 "$VGT" $cmd "$log" --bogus "${extra[@]}" && one_line_naming "$cmd option" "--bogus" "vgt $cmd --help"
	expect_rc 2 "$VGT" $cmd && one_line_naming "$cmd no file" "missing FILE"
	expect_rc 0 "$VGT" $cmd --help && grep -q "^usage: vgt $cmd" "$tmp/out" || fail "$cmd --help"
done
[ -e "$tmp/x.json" ] && fail "export created its output for an input it refused"

# a truncated log: stat says so (exit 1); dump and export give what they recovered (exit 1)
if expect_rc 1 "$VGT" stat "$tmp/cut.vgtl"; then
	grep -q 'truncated' "$tmp/out" || fail "stat cut: the report does not say truncated"
	one_line_naming "stat cut" "$tmp/cut.vgtl" "truncated"
fi
if expect_rc 1 "$VGT" stat "$tmp/cut.vgtl" --json; then
	python3 - "$tmp/out" <<'EOF' || fail "stat --json cut"
import json, sys
s = json.load(open(sys.argv[1]))
h = s["health"]
assert h["ok"] is False and h["truncated"] is True and h["closed"] is False, h
assert h["problems"] and s["events"] > 0, h
EOF
fi
if expect_rc 1 "$VGT" dump "$tmp/cut.vgtl" --json; then
	cmp -s "$tmp/all.jsonl" "$tmp/out" || fail "dump cut: did not recover every event before the cut"
	one_line_naming "dump cut" "$tmp/cut.vgtl" "truncated"
fi
for cmd in stat dump; do
	if expect_rc 1 "$VGT" $cmd "$tmp/half.vgtl"; then
		one_line_naming "$cmd half" "$tmp/half.vgtl" "truncated"
	fi
done
if expect_rc 1 "$VGT" dump "$tmp/half.vgtl" --json; then
	n=$(wc -l <"$tmp/out")
	head -n "$n" "$tmp/all.jsonl" | cmp -s - "$tmp/out" || fail "dump half: what it recovered is not the log's beginning"
fi
if expect_rc 1 "$VGT" export "$tmp/cut.vgtl" -o "$tmp/cut.json"; then
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/cut.json" || fail "export cut: not JSON"
	grep -q 'not whole (truncated' "$tmp/err" || fail "export cut: does not say the log is truncated"
fi

# dump: unknown --type lists the valid names; bad numbers
if expect_rc 2 "$VGT" dump "$log" --type scan,bogus; then
	one_line_naming "dump --type" "'bogus'" "mmio-read" "ggtt-write" "complete"
fi
expect_rc 2 "$VGT" dump "$log" --vgpu 9 && one_line_naming "dump --vgpu 9" "--vgpu '9'"
expect_rc 2 "$VGT" dump "$log" --from 10 --to 5 && one_line_naming "dump --from > --to" "--from 10"
expect_rc 2 "$VGT" dump "$log" --decode --json && one_line_naming "dump --decode --json" "--decode"
expect_rc 2 "$VGT" dump "$log" --keys && one_line_naming "dump --keys" "--keys"
# export: the format, the output
expect_rc 2 "$VGT" export "$log" --format bogus -o "$tmp/x.json" && one_line_naming "export --format" "'bogus'" "perfetto"
expect_rc 2 "$VGT" export "$log" && one_line_naming "export no -o" "-o"
expect_rc 2 "$VGT" export "$log" -o "$log" && one_line_naming "export -o the log" "$log" "is the log being exported"
[ "$(stat -c %s "$log")" -eq "$size" ] || fail "export -o the log: the log was overwritten"
# --window-us: capped at one hour of virtual time (a huge window once made
# win_start + window wrap and the export loop forever)
expect_rc 2 timeout 20 "$VGT" export "$log" --window-us 18446744073709551 -o "$tmp/w.json" &&
	one_line_naming "export --window-us huge" "--window-us 18446744073709551" "one hour"
expect_rc 0 timeout 20 "$VGT" export "$log" --window-us 3600000000 -o "$tmp/w.json"
expect_rc 2 "$VGT" export "$log" -o "$tmp/nodir/out.json" &&
	one_line_naming "export -o nodir" "$tmp/nodir/out.json" "No such file or directory"

# export: a read error on the log names the log, not the output (it once
# said "OUT.json: ..."): pread fails (EIO) once the output is opened,
# through an LD_PRELOAD shim built here
cat >"$tmp/shim.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* pread fails (EIO) once a file named *.json was opened for writing */
static int armed;

static void arm(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	if (n > 5 && !strcmp(path + n - 5, ".json"))
		armed = 1;
}

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);

	if (!real)
		real = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
	arm(path);
	return real(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);

	if (!real)
		real = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen64");
	arm(path);
	return real(path, mode);
}

ssize_t pread(int fd, void *b, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (armed) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
	return real(fd, b, n, off);
}

ssize_t pread64(int fd, void *b, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (armed) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
	return real(fd, b, n, off);
}
SHIM
if ${CC:-cc} -shared -fPIC -o "$tmp/shim.so" "$tmp/shim.c" -ldl 2>"$tmp/cc.err"; then
	if ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD="$tmp/shim.so" \
		expect_rc 2 "$VGT" export "$log" -o "$tmp/rerr.json"; then
		one_line_naming "export read error" "$log: reading the log" "Input/output error"
		grep -qF "rerr.json" "$tmp/err" && fail "export read error: names the output: $(cat "$tmp/err")"
		[ -e "$tmp/rerr.json" ] && fail "export read error: the partial output is left"
	fi
else
	echo "note: no C compiler for the pread shim; the export read-error check is not run"
fi

if [ $fails -ne 0 ]; then
	echo "e2e_log_tools: $fails failure(s)"
	exit 1
fi
echo "e2e_log_tools: ok"
