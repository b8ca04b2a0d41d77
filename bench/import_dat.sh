#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records a trace-cmd file of vgt's probes for bench_import: uprobe events
# in a tracefs instance of its own (the lines from tests/support/
# uprobe_lines.py, or `vgt probes --uprobe-events` when it exists), one
# deterministic `vgt sim` run, `trace-cmd extract -B`; everything created
# is removed on every exit.  Needs root, tracefs, trace-cmd, python3.
# usage: import_dat.sh OUT.dat VGT [vgt sim options...]   (exit 77: cannot)
set -u
out=$1 VGT=$(readlink -f "$2")
shift 2
T=/sys/kernel/tracing
G=vgtbimp$$
tmp=$(mktemp -d)
created=0
cleanup() {
	if [ $created = 1 ]; then
		[ -d "$T/instances/$G" ] && { echo 0 >"$T/instances/$G/events/$G/enable"; rmdir "$T/instances/$G"; }
		for e in $(sed -n "s/^p:$G\/\([^ ]*\) .*/\1/p" "$T/uprobe_events"); do
			echo "-:$G/$e" >>"$T/uprobe_events"
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] && [ -w "$T/uprobe_events" ] && command -v trace-cmd >/dev/null &&
	command -v python3 >/dev/null || { echo "needs root, tracefs at $T, trace-cmd and python3"; exit 77; }
here=$(dirname "$0")
if ! "$VGT" probes --uprobe-events "$G" >"$tmp/lines" 2>/dev/null || [ ! -s "$tmp/lines" ]; then
	readelf -nW "$VGT" >"$tmp/notes" && readelf -lW "$VGT" >"$tmp/segs" && readelf -SW "$VGT" >"$tmp/secs" &&
		python3 "$here/../tests/support/uprobe_lines.py" "$VGT" "$G" "$tmp/notes" "$tmp/segs" "$tmp/secs" \
			>"$tmp/lines" || exit 1
fi
created=1
while read -r l; do echo "$l" >>"$T/uprobe_events" || exit 1; done <"$tmp/lines"
mkdir "$T/instances/$G" || exit 1
echo 0 >"$T/instances/$G/options/overwrite"
echo 262144 >"$T/instances/$G/buffer_size_kb" || exit 1
echo 1 >"$T/instances/$G/events/$G/enable" || exit 1
"$VGT" sim "$@" >/dev/null || exit 1
echo 0 >"$T/instances/$G/events/$G/enable"
if grep -h "dropped events" "$T/instances/$G"/per_cpu/cpu*/stats | grep -qv ": 0$"; then
	echo "the tracefs buffer dropped events"
	exit 1
fi
(cd "$tmp" && trace-cmd extract -B "$G" -o "$(readlink -f "$out" 2>/dev/null || echo "$out")" >/dev/null 2>&1) ||
	{ echo "trace-cmd extract failed"; exit 1; }
