#!/usr/bin/env bash
# build/libvgt.a exports exactly its API: every global symbol it defines is
# declared in a part's public header (<part>/<part>.h), every function those
# headers declare is defined there as global, and the parts' internal helpers
# (medi_*, shadowi_*, gpui_*, guesti_*, scani_*, the generated command tables)
# are local.  The library is built with -fvisibility=hidden, the public
# headers push default visibility, and `objcopy --localize-hidden` makes the
# rest local (Makefile, libvgt.a).
set -u
VGT=${VGT:-build/vgt}
top=$(cd "$(dirname "$0")/.." && pwd)
lib=${VGT_LIB:-$(dirname "$VGT")/libvgt.a}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -f "$lib" ] || { echo "e2e_exports: FAILED: $lib not built"; exit 1; }

# The public headers: <part>/<part>.h of every library part (cli/ is not one).
pub=()
for d in "$top"/*/; do
	p=$(basename "$d")
	[ "$p" = cli ] && continue
	[ -f "$d/$p.h" ] && pub+=("$p/$p.h")
done
[ ${#pub[@]} -ge 7 ] || fail "only ${#pub[@]} public headers found: ${pub[*]}"

# Global symbols the library defines (sanitizer bookkeeping aside).
nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	grep -Ev '^(__odr_asan|__asan|__tsan|__ubsan|__sanitizer)' | sort -u >"$tmp/global"
[ -s "$tmp/global" ] || fail "no global symbol in $lib"
# Every symbol it defines, with its binding (global or local).
nm --defined-only "$lib" 2>/dev/null | awk 'NF == 3 { print $2, $3 }' >"$tmp/all"

# Functions the public headers declare (GCC's -aux-info lists each
# prototype with the header it came from), and the variables they declare.
for h in "${pub[@]}"; do echo "#include \"$h\""; done >"$tmp/api.c"
if "$CC" -std=gnu11 -D_GNU_SOURCE -I"$top" -fsyntax-only -aux-info "$tmp/aux" "$tmp/api.c" \
	2>"$tmp/cc.err"; then
	hdr_re=$(printf '%s|' "${pub[@]}" | sed 's/|$//; s/\./\\./g')
	grep -E "^/\* ($top/|\./)?($hdr_re):[0-9]+:[A-Z]+ \*/ extern " "$tmp/aux" |
		sed -E 's/^\/\*[^*]*\*\/ //; s/ \(.*//; s/.*[ *]//' | sort -u >"$tmp/functions"
else
	fail "cannot list the public headers' prototypes with $CC -aux-info:"
	sed 's/^/    /' "$tmp/cc.err" | head -5
	: >"$tmp/functions"
fi
(cd "$top" && cat "${pub[@]}") |
	grep -E '^extern [^(]*;' | sed -E 's/\[[^]]*\]//g; s/;.*//; s/.*[ *]//' | sort -u >"$tmp/variables"
sort -u "$tmp/functions" "$tmp/variables" >"$tmp/api"
[ "$(wc -l <"$tmp/functions")" -ge 100 ] ||
	fail "only $(wc -l <"$tmp/functions") functions found in the public headers"

# 1. nothing global that the headers do not declare
comm -23 "$tmp/global" "$tmp/api" >"$tmp/extra"
if [ -s "$tmp/extra" ]; then
	fail "$(wc -l <"$tmp/extra") global symbols not declared in a public header:"
	sed 's/^/    /' "$tmp/extra" | head -20
fi

# 2. every declared function is there and global (a definition compiled
#    without its public header in view would be hidden, then local)
comm -23 "$tmp/functions" "$tmp/global" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	fail "$(wc -l <"$tmp/missing") functions declared in a public header are not global in libvgt.a:"
	sed 's/^/    /' "$tmp/missing" | head -20
fi

# 3. internal helpers exist but are local
if grep -Eq '^(medi|shadowi|gpui|guesti|scani)_' "$tmp/global"; then
	fail "internal helpers are global: $(grep -E '^(medi|shadowi|gpui|guesti|scani)_' "$tmp/global" | head -5 | tr '\n' ' ')"
fi
for sym in medi_ev_emit shadowi_ggtt_vgpu_fini; do
	if ! grep -q "^[a-z] $sym\$" "$tmp/all"; then
		fail "$sym: expected as a local symbol of libvgt.a ($(grep " $sym\$" "$tmp/all" | head -1))"
	fi
done

if [ $fails -ne 0 ]; then
	echo "e2e_exports: $fails failed"
	exit 1
fi
echo "e2e_exports: ok ($(wc -l <"$tmp/global") global symbols, all declared in ${#pub[@]} public headers)"
