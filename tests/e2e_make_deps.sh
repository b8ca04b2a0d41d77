#!/usr/bin/env bash
# End-to-end test of the build's dependency check: a plain `make` on a
# machine where `make deps` has not run stops before compiling anything
# and says which Debian packages are missing and how to install them.
# Nothing is uninstalled: DEP_HEADERS points at headers that do not exist,
# DEP_TOOLS at a compiler that does not, in a scratch build directory.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$root" BUILD="$tmp/build" "$@"; }

# --- a missing header: exit 2, the header and its package named, make deps said
mk -j2 DEP_HEADERS="/nonexistent/vgt-test/zstd.h /usr/include/stdio.h" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "missing header: exit $rc (want 2)"
grep -q 'vgt: cannot build: missing on this machine' "$tmp/err" || fail "missing header: no headline"
grep -q '/nonexistent/vgt-test/zstd.h (Debian package libzstd-dev)' "$tmp/err" ||
	fail "missing header: the header or its package is not named"
grep -q "make deps" "$tmp/err" || fail "missing header: does not say 'make deps'"
grep -q 'stdio.h' "$tmp/err" && fail "a header that exists is listed as missing"
if find "$tmp/build" -name '*.o' 2>/dev/null | grep -q .; then fail "compiled before checking"; fi
grep -qiE 'error:|fatal' "$tmp/err" && fail "failed in a compile instead"
sed 's/^/    /' "$tmp/err" | head -6

# --- a missing compiler too: both said, packages listed once each
mk buildcheck DEP_HEADERS="/nonexistent/a/xxhash.h" DEP_TOOLS="vgt-no-such-cc:build-essential" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "missing tool: exit $rc (want 2)"
grep -q 'the program vgt-no-such-cc (Debian package build-essential)' "$tmp/err" ||
	fail "missing tool: not named"
grep -q 'among them: build-essential libxxhash-dev)' "$tmp/err" || fail "missing tool: package list"

# --- everything present: the check passes silently
mk buildcheck >"$tmp/out" 2>"$tmp/err" || fail "buildcheck fails on this machine: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "buildcheck printed on a complete machine: $(cat "$tmp/err")"

[ $fails -eq 0 ] && echo "e2e_make_deps: ok" || echo "e2e_make_deps: $fails failed"
[ $fails -eq 0 ]
