#!/usr/bin/env bash
# End-to-end tests of `vgt sim --record`: a short run writes a log and the
# table says its events and bytes (the --json object too); a log in a
# missing folder, or a directory, is refused with one line naming it and
# exit 2, before anything runs; a bad --record-mode or --record-buffer, or
# a record option without --record, exits 2; SIGINT during a long
# --duration run still closes the log cleanly (it ends with its footer);
# kill -9 leaves a log that reads back to its last complete chunk;
# drop mode with a tiny buffer still exits 0 and reports its losses when
# it has any.
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
[ $have_python3 = 1 ] || vgt_skip "no python3" "the --json check of the record object did not run"

# log_closed FILE: the writer closed the log (docs/LOG-FORMAT.md: a closed
# log ends with the 32-byte footer, which starts with the magic "VGTE")
log_closed() {
	local f=$1
	[ -s "$f" ] || return 1
	[ "$(tail -c 32 "$f" | head -c 4)" = "VGTE" ]
}

# --- a short recorded run: the file, and the line under the table
if expect_rc 0 "$VGT" sim --vgpus 2 --profile 3d,hostile --submissions 20 --shm none \
	--record "$tmp/a.vgtl"; then
	[ -s "$tmp/a.vgtl" ] || fail "no log written"
	grep -qE "^record: $tmp/a.vgtl: [1-9][0-9]* events, [1-9][0-9]* bytes written.*nothing lost" \
		"$tmp/out" || { fail "no record line"; tail -3 "$tmp/out" | sed 's/^/    /'; }
	log_closed "$tmp/a.vgtl" || fail "the log of a clean run has no footer"
fi

# --- --json carries a record object
if expect_rc 0 "$VGT" sim --vgpus 1 --profile blit --submissions 10 --shm none --json \
	--record "$tmp/b.vgtl" --record-buffer 1 --sync && [ $have_python3 = 1 ]; then
	python3 - "$tmp/out" "$tmp/b.vgtl" <<'EOF' || fail "--json record object"
import json, os, sys
r = json.load(open(sys.argv[1]))
rec = r["record"]
assert rec["path"] == sys.argv[2], rec
assert rec["events"] > 0 and rec["events"] == rec["received"], rec
assert rec["bytes"] == os.path.getsize(sys.argv[2]), (rec, os.path.getsize(sys.argv[2]))
assert rec["dropped"] == 0 and rec["gaps"] == 0 and rec["error"] is None, rec
assert r["ok"] is True
EOF
fi

# --- open errors: one line naming the file, exit 2, nothing run
if expect_rc 2 "$VGT" sim --submissions 5 --shm none --record "$tmp/no/such/dir/x.vgtl"; then
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing folder: not one line"
	grep -q "$tmp/no/such/dir/x.vgtl" "$tmp/err" || fail "missing folder: the path is not named"
	[ -s "$tmp/out" ] && fail "missing folder: the simulation ran"
fi
if expect_rc 2 "$VGT" sim --submissions 5 --shm none --record "$tmp"; then
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "directory: not one line"
	grep -q "$tmp" "$tmp/err" || fail "directory: the path is not named"
fi

# --- bad record options
expect_rc 2 "$VGT" sim --record "$tmp/c.vgtl" --record-mode bogus &&
	{ grep -q "record-mode 'bogus'" "$tmp/err" || fail "--record-mode bogus: message"; }
expect_rc 2 "$VGT" sim --record "$tmp/c.vgtl" --record-buffer 0
expect_rc 2 "$VGT" sim --record "$tmp/c.vgtl" --record-buffer 4096
expect_rc 2 "$VGT" sim --record-mode drop &&
	{ grep -q "need --record" "$tmp/err" || fail "--record-mode without --record: message"; }
[ -e "$tmp/c.vgtl" ] && fail "a refused command line created the log"

# --- SIGINT during a long run: the table, and a closed log
"$VGT" sim --vgpus 2 --profile 3d,blit --duration 60 --shm none --record "$tmp/int.vgtl" \
	>"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { fail "SIGINT: exit $rc (want 0)"; sed 's/^/    /' "$tmp/int.err" | head -5; }
grep -q '(interrupted)' "$tmp/int.out" || fail "SIGINT: no '(interrupted)' in the report"
grep -qE "^record: .*[1-9][0-9]* events" "$tmp/int.out" || fail "SIGINT: no record line"
log_closed "$tmp/int.vgtl" || fail "SIGINT: the log was not closed cleanly (no footer)"

# --- kill -9 mid-write: the log reads back to its last complete chunk
# (the writer flushes a chunk at least every 100 ms), and vgt stat says it
# was not closed (exit 1); dump prints what was recovered
"$VGT" sim --vgpus 2 --profile 3d,blit --duration 60 --shm none --record "$tmp/k.vgtl" \
	>/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -KILL $pid
wait $pid 2>/dev/null
log_closed "$tmp/k.vgtl" && fail "kill -9: the log has a footer"
if expect_rc 1 "$VGT" stat "$tmp/k.vgtl"; then
	grep -qiE "not closed|truncated|NOT WHOLE" "$tmp/out" ||
		fail "kill -9: vgt stat does not say the log was cut"
fi
n=$("$VGT" dump "$tmp/k.vgtl" 2>/dev/null | wc -l)
[ "$n" -gt 100 ] || fail "kill -9: only $n events recovered"
"$VGT" dump "$tmp/k.vgtl" 2>/dev/null | head -1 | grep -q "config" ||
	fail "kill -9: the recovered log does not start with the configuration"

# --- drop mode with the smallest buffer: still a clean run; losses, if
# any, are said
if expect_rc 0 "$VGT" sim --vgpus 2 --profile 3d,media --submissions 30 --shm none \
	--record "$tmp/d.vgtl" --record-mode drop --record-buffer 1; then
	grep -qE "^record: .*(nothing lost|LOST [1-9][0-9]* events: [0-9]+ dropped)" "$tmp/out" ||
		fail "drop mode: no record line"
	log_closed "$tmp/d.vgtl" || fail "drop mode: no footer"
fi

[ $fails -eq 0 ] && echo "e2e_sim_record: ok"
exit $((fails > 0))
