#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of the `vgt` command itself (cli/main.c): --version,
# --help, an unknown subcommand.
set -u
VGT=${VGT:-build/vgt}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

out=$("$VGT" --version) || fail "--version exit $?"
case "$out" in
"vgt "*) ;;
*) fail "--version prints '$out', not 'vgt <version>'" ;;
esac
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "--version prints more than one line"
ver=${out#vgt }
case "$ver" in
"" | *" "*) fail "--version: '$ver' is not one word" ;;
esac
# One source: the Makefile writes it next to the binary (vgt_version.h, from
# git describe or its fallback) and the binary prints exactly that.
hdr=$(dirname "$VGT")/vgt_version.h
if [ -f "$hdr" ]; then
	grep -qF "#define VGT_VERSION \"$ver\"" "$hdr" || fail "--version '$ver' is not $hdr's"
fi
"$VGT" --help | grep -q -- "--version" || fail "--help does not mention --version"
"$VGT" nosuch 2>"${TMPDIR:-/tmp}/vgt-e2e-cli.$$"
rc=$?
[ "$rc" -eq 2 ] || fail "unknown command exit $rc"
grep -q "'nosuch' is not a vgt command" "${TMPDIR:-/tmp}/vgt-e2e-cli.$$" || fail "unknown command message"
rm -f "${TMPDIR:-/tmp}/vgt-e2e-cli.$$"

if [ "$fails" -ne 0 ]; then
	echo "e2e_cli: $fails failure(s)"
	exit 1
fi
echo "e2e_cli: all passed"
