#!/usr/bin/env bash
# End-to-end tests of `vgt sim`: short runs print the per-vGPU table and
# exit 0, --json parses and carries every vGPU, the same seed gives the
# same counters, an attack that gets through (gvt policy) exits 1, bad
# options exit 2 with a message (an unknown option is called unknown, too
# many vGPUs say how many fit), the shared-memory segment exists while the
# run does, SIGINT stops the run cleanly and still prints the table — a
# second SIGINT too (GNU timeout sends two) — a segment left by a killed
# run is reclaimed while a live one's name is refused naming its pid,
# escapes under gvt are classified, and --deterministic repeats exactly.
set -u
VGT=${VGT:-build/vgt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_rc WANT CMD...: run CMD, compare its exit status
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

. "$(dirname "$0")/support/skip.sh"
have_python=$have_python3
[ $have_python = 1 ] || vgt_skip "no python3" "the checks that parse --json (watchdog, looping capture, same seed, --deterministic) did not run"

# --- a short mixed run: the table, every self-check ok
if expect_rc 0 "$VGT" sim --vgpus 4 --profile 3d,blit,media,hostile --submissions 40 --shm none; then
	grep -q 'self-check' "$tmp/out" || fail "no table header"
	[ "$(grep -cE '^[0-9]+ +(3d|blit|media|hostile) ' "$tmp/out")" -eq 4 ] || fail "not 4 vGPU rows"
	grep -q 'hostile .* ok (.*attacks)' "$tmp/out" || fail "hostile row not ok"
	grep -q 'rejected workloads by reason' "$tmp/out" || fail "no rejection summary"
	grep -q 'isolation monitor: 0 escapes' "$tmp/out" || fail "escapes reported"
fi

# --- --json: one object, per-vGPU counters
if expect_rc 0 "$VGT" sim --vgpus 3 --profile compute,desktop,hostile --submissions 30 --json --shm none &&
	[ $have_python = 1 ]; then
	python3 - "$tmp/out" <<'EOF' || fail "--json output"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and r["vgpus"] == 3 and r["escapes"] == 0, r
v = r["per_vgpu"]
assert [x["profile"] for x in v] == ["compute", "desktop", "hostile"], v
for x in v:
    assert x["submissions"] == 30 and x["self_check"] == "ok" and x["consistent"], x
    assert x["mmio_traps"] == x["mmio_reads"] + x["mmio_writes"]
    assert x["scan_p99_us"] >= x["scan_p50_us"] >= 0
assert v[2]["attacks"] > 0 and v[2]["attacks_ok"] == v[2]["attacks"]
assert sum(v[2]["rejects"].values()) == v[2]["rejected"]
EOF
fi

# --- issue 16: a looping guest does not starve its neighbour.  The hostile
# profile's endless loop (admitted by strict) is stopped by the watchdog,
# as expected, and the run stays ok
if expect_rc 0 "$VGT" sim --vgpus 2 --profile hostile,3d --submissions 120 --json --shm none &&
	[ $have_python = 1 ]; then
	python3 - "$tmp/out" <<'EOF' || fail "hostile,3d: the watchdog"
import json, sys
r = json.load(open(sys.argv[1]))
h, n = r["per_vgpu"]
assert r["ok"] is True, r
assert h["watchdog"] > 0 and h["attacks_ok"] == h["attacks"], h
assert h["rejected"] + h["watchdog"] == h["attacks"], h
assert n["watchdog"] == 0 and n["self_check"] == "ok" and n["legal_ok"] == 120, n
EOF
fi
# A capture whose batch is MI_BATCH_BUFFER_START(PPGTT) -> itself, beside 3d,
# under audit (strict refuses such a cycle): each looping workload holds the
# engine 1 ms (the watchdog) instead of ~24 ms (the GPU model's step
# budget).  A capture that hangs fails its self-check (exit 1).
if [ $have_python = 1 ]; then
	python3 - "$tmp/loop" <<'EOF' || fail "could not build the looping capture"
import hashlib, json, os, struct, sys
d = sys.argv[1]
os.makedirs(d + "/blobs")
a = 0x100000
b = struct.pack("<4I", 0x18800101, a, 0, 0x05000000)
h = hashlib.sha256(b).hexdigest()
open(f"{d}/blobs/{h}.bin", "wb").write(b)
json.dump({"format": "fakei915-exec-v2", "seq": 0, "gen": 9, "engine": "rcs", "batch_index": 0,
           "batch_gpu_address": hex(a), "batch_start_offset": 0, "batch_len": len(b),
           "objects": [{"index": 0, "handle": 1, "size": 4096, "gpu_address": hex(a), "is_batch": True,
                        "chunks": [{"offset": 0, "length": len(b), "blob": h + ".bin"}]}]},
          open(f"{d}/exec-0000.json", "w"))
EOF
	# deterministic: virtual time is engine time plus the traps, not the
	# wall time a threaded run keeps up with
	if expect_rc 1 "$VGT" sim --vgpus 2 --profile "capture:$tmp/loop,3d" --policy audit \
		--submissions 60 --json --shm none --deterministic; then
		python3 - "$tmp/out" <<'EOF' || fail "looping capture: the watchdog"
import json, sys
r = json.load(open(sys.argv[1]))
l, n = r["per_vgpu"]
assert l["watchdog"] == 60 and "hung" in l["first_failure"], l
assert n["self_check"] == "ok" and n["legal_ok"] == 60, n
assert r["virtual_ns"] < 60 * 1000000 + 60 * 400000, r["virtual_ns"]
EOF
	fi
fi

# --- the same seed, the same counters
if [ $have_python = 1 ]; then
	"$VGT" sim --submissions 25 --seed 9 --json --shm none >"$tmp/a.json" 2>/dev/null
	"$VGT" sim --submissions 25 --seed 9 --json --shm none >"$tmp/b.json" 2>/dev/null
	python3 - "$tmp/a.json" "$tmp/b.json" <<'EOF' || fail "same seed, different counters"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["submissions", "completed", "rejected", "rejects", "commands_scanned", "bytes_scanned",
        "ggtt_writes", "pt_writes", "mmio_reads", "mmio_writes", "legal", "attacks"]
for x, y in zip(a["per_vgpu"], b["per_vgpu"]):
    for k in keys:
        assert x[k] == y[k], (x["profile"], k, x[k], y[k])
EOF
fi

# --- an attack that is not rejected is a failure: exit 1; the escapes are
# classified (privileged work in PPGTT batches that hardware refuses, genuine)
if expect_rc 1 "$VGT" sim --vgpus 1 --profile hostile --submissions 12 --policy gvt --shm none; then
	grep -q 'was not rejected' "$tmp/out" || fail "gvt policy: the failure is not explained"
	grep -qE 'isolation monitor: [0-9]+ escapes in [0-9]+ workloads \([0-9]+ by privileged commands in non-privileged \(PPGTT\) batches, which Gen8/9 hardware.s privilege check refuses; [0-9]+ genuine\)' "$tmp/out" ||
		{ fail "gvt policy: escapes not classified"; grep 'isolation' "$tmp/out" | sed 's/^/    /'; }
fi

# --- --deterministic: the same seed repeats everything, virtual time too
if [ $have_python = 1 ]; then
	"$VGT" sim --deterministic --submissions 20 --seed 4 --json --shm none >"$tmp/d1.json" 2>/dev/null
	"$VGT" sim --deterministic --submissions 20 --seed 4 --json --shm none >"$tmp/d2.json" 2>/dev/null
	python3 - "$tmp/d1.json" "$tmp/d2.json" <<'EOF2' || fail "--deterministic: runs differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["deterministic"] is True and a["ok"] is True, a
assert a["virtual_ns"] == b["virtual_ns"] and a["busy_pct_engine"] == b["busy_pct_engine"]
for x, y in zip(a["per_vgpu"], b["per_vgpu"]):
    for k in x:
        if k not in ("scan_p50_us", "scan_p99_us"):
            assert x[k] == y[k], (x["profile"], k, x[k], y[k])
EOF2
fi

# --- usage errors: exit 2 with a message naming the problem
bad() {
	local what=$1; shift
	if expect_rc 2 "$VGT" sim "$@"; then
		grep -qi -- "$what" "$tmp/err" || fail "message for '$*' does not mention '$what'"
	fi
}
bad vgpus --vgpus 0
bad vgpus --vgpus 9
bad type --type 3
bad warp --profile 3d,warp
bad duration --duration soon
bad exclude --duration 1 --submissions 5
bad record-mode --record "$tmp/trace.vgtl" --record-mode sometimes
bad policy --policy lax
bad gen --gen 7
bad unknown --frobnicate 1
bad "unknown option '--bogus'" --bogus
bad "unknown option '-x'" -x
bad value --seed
bad "the host fits 7 of type 8" --vgpus 8 --shm none
bad "the host fits 2 of type 2" --vgpus 3 --type 2 --shm none
bad /no/such/folder --profile capture:/no/such/folder --vgpus 1
expect_rc 0 "$VGT" sim --help && grep -q 'usage: vgt sim' "$tmp/out" || fail "--help"

# --- the counters segment exists while the run does; SIGINT stops it
# cleanly with the table printed
shm=/vgt-e2e-sim-$$
"$VGT" sim --vgpus 2 --profile 3d,blit --duration 60 --shm "$shm" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
seen=0
for _ in $(seq 1 100); do
	if [ -e "/dev/shm${shm}" ]; then seen=1; break; fi
	sleep 0.1
done
[ -d /dev/shm ] && [ $seen = 0 ] && fail "no /dev/shm${shm} while running"
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { fail "SIGINT: exit $rc (want 0)"; sed 's/^/    /' "$tmp/int.err" | head -5; }
grep -q '(interrupted)' "$tmp/int.out" || fail "SIGINT: no '(interrupted)' in the report"
[ "$(grep -cE '^[0-9]+ +(3d|blit) ' "$tmp/int.out")" -eq 2 ] || fail "SIGINT: the table is missing"
[ -e "/dev/shm${shm}" ] && fail "segment ${shm} left behind"

# wait_segment NAME: until /dev/shm/NAME exists (bounded)
wait_segment() {
	for _ in $(seq 1 100); do
		[ -e "/dev/shm$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- two SIGINTs: the second one only says "already stopping" (when it
# arrives apart from the first: the kernel merges a signal still pending);
# the table is printed and the segment removed all the same
# check_stopped TAG OUT ERR SHM RC WANT_RC
check_stopped() {
	[ "$5" -eq "$6" ] || { fail "$1: exit $5 (want $6)"; sed 's/^/    /' "$3" | head -5; }
	grep -q '(interrupted)' "$2" || fail "$1: no '(interrupted)' in the report"
	[ "$(grep -cE '^[0-9]+ +(3d|media) ' "$2")" -eq 2 ] || fail "$1: the table is missing"
	grep -q 'isolation monitor' "$2" || fail "$1: the report is cut short"
	[ -e "/dev/shm$4" ] && { fail "$1: segment $4 left behind"; rm -f "/dev/shm$4"; }
}
if [ -d /dev/shm ]; then
	shm=/vgt-e2e-sim2-$$
	"$VGT" sim --vgpus 2 --profile 3d,media --duration 5 --shm "$shm" >"$tmp/int2.out" 2>"$tmp/int2.err" &
	pid=$!
	wait_segment "$shm" || fail "no /dev/shm${shm} while running"
	sleep 0.3
	kill -INT $pid
	sleep 0.02
	kill -INT $pid 2>/dev/null
	wait $pid
	check_stopped "two SIGINTs" "$tmp/int2.out" "$tmp/int2.err" "$shm" $? 0
	grep -v 'already stopping' "$tmp/int2.err" | grep -q . &&
		{ fail "two SIGINTs: unexpected messages"; sed 's/^/    /' "$tmp/int2.err" | head -3; }

	# GNU timeout signals the process and then its process group
	if command -v timeout >/dev/null; then
		shm=/vgt-e2e-sim3-$$
		timeout -s INT 1 "$VGT" sim --vgpus 2 --profile 3d,media --duration 5 --shm "$shm" \
			>"$tmp/int3.out" 2>"$tmp/int3.err"
		check_stopped "timeout -s INT" "$tmp/int3.out" "$tmp/int3.err" "$shm" $? 124
	fi
fi

# --- a run killed hard leaves its segment; the next run of that name
# reclaims it (its pid is dead); a live run's name is refused with its pid
if [ -d /dev/shm ]; then
	shm=/vgt-e2e-stale-$$
	"$VGT" sim --vgpus 1 --profile blit --duration 30 --shm "$shm" >/dev/null 2>&1 &
	pid=$!
	wait_segment "$shm" || fail "no /dev/shm${shm} while running"
	if expect_rc 2 "$VGT" sim --vgpus 1 --profile blit --submissions 3 --shm "$shm"; then
		grep -q "in use by the running process $pid" "$tmp/err" ||
			fail "live segment: the message does not name pid $pid: $(cat "$tmp/err")"
	fi
	kill -KILL $pid
	wait $pid 2>/dev/null
	[ -e "/dev/shm${shm}" ] || fail "SIGKILL: no stale segment to reclaim (test premise)"
	if expect_rc 0 "$VGT" sim --vgpus 1 --profile blit --submissions 3 --shm "$shm"; then
		grep -q 'File exists' "$tmp/err" && fail "stale segment: File exists"
	fi
	[ -e "/dev/shm${shm}" ] && { fail "stale segment ${shm} left behind"; rm -f "/dev/shm${shm}"; }
fi

if [ $fails -ne 0 ]; then
	echo "e2e_sim: $fails failure(s)"
	exit 1
fi
echo "e2e_sim: ok"
