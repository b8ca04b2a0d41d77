#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make check`'s runner: runs every test program given (cmocka binaries, then
# tests/e2e_*.sh scripts), each even when an earlier one failed, and prints
# one summary line:
#
#   test programs: 36 passed, 0 failed, 5 skipped (no ../shared: 5)
#
# A program passed when it exits 0 and noted no skip; it skipped when it
# exits 77 (all of it skipped) or exits 0 having printed "SKIP: <why>: ..."
# for some of its cases (tests/support/skip.h, skip.sh); anything else
# failed.  The reasons in parentheses count skipped programs per <why>.
# REQUIRE_ALL=1 (CI, where ../shared and python3 exist) counts a skipped
# program as failed.  Exit status 1 if anything failed.
#
# Environment: VGT (the vgt binary, for scripts), VGT_SHARED, REQUIRE_ALL.
set -u
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

pass=0 fail=0 skipped=0
failed="" skipped_list=""
declare -A why_count=()
why_order=()

for t in "$@"; do
	echo "== $t"
	log="$logdir/$(basename "$t").skips"
	: >"$log"
	case "$t" in
	*.sh) VGT_SKIP_LOG=$log bash "$t" ;;
	*) VGT_SKIP_LOG=$log "$t" ;;
	esac
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		fail=$((fail + 1))
		failed="$failed $t"
		continue
	fi
	if [ $rc -eq 0 ] && [ ! -s "$log" ]; then
		pass=$((pass + 1))
		continue
	fi
	# skipped (all of it, or some cases): count each distinct reason once
	[ -s "$log" ] || echo "SKIP: unknown: exit 77 without a SKIP line" >"$log"
	whys=$(sed -n 's/^SKIP: \([^:]*\).*/\1/p' "$log" | sort -u)
	ncases=$(grep -c '^SKIP: ' "$log")
	if [ $rc -eq 77 ]; then what="all skipped"
	elif [ "$ncases" = 1 ]; then what="1 case skipped, the rest ran"
	else what="$ncases cases skipped, the rest ran"; fi
	while IFS= read -r w; do
		[ -n "$w" ] || continue
		if [ -z "${why_count[$w]+x}" ]; then
			why_count[$w]=0
			why_order+=("$w")
		fi
		why_count[$w]=$((why_count[$w] + 1))
	done <<<"$whys"
	if [ "${REQUIRE_ALL:-}" = 1 ]; then
		fail=$((fail + 1))
		failed="$failed $t(skipped)"
	else
		skipped=$((skipped + 1))
	fi
	skipped_list="$skipped_list
  $t: $what ($(printf '%s\n' "$whys" | paste -sd, | sed 's/,/, /g'))"
done

reasons=""
for w in "${why_order[@]}"; do
	reasons="$reasons${reasons:+, }$w: ${why_count[$w]}"
done
if [ -n "$skipped_list" ]; then
	echo "skipped:$skipped_list"
fi
if [ "${REQUIRE_ALL:-}" = 1 ]; then
	echo "test programs: $pass passed, $fail failed, $skipped skipped${reasons:+ (REQUIRE_ALL=1 counts skips as failures: $reasons)}"
else
	echo "test programs: $pass passed, $fail failed, $skipped skipped${reasons:+ ($reasons)}"
fi
if [ $fail -ne 0 ]; then
	echo "FAILED:$failed"
	exit 1
fi
exit 0
