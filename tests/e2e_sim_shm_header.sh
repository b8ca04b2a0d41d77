#!/usr/bin/env bash
# sim/sim_shm.h — the counters segment's layout for readers such as
# `vgt top` — compiles alone, as C and as C++, and pulls in no other
# header of the project.
set -u
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$tmp/reader.c" <<'C'
#include "sim/sim_shm.h"
_Static_assert(sizeof(struct sim_shm) == 7320, "layout version 2: 7320 bytes");
int reader_version(const struct sim_shm *s);
int reader_version(const struct sim_shm *s) { return s->magic == SIM_SHM_MAGIC ? (int)s->version : -1; }
C
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic -I. -fsyntax-only "$tmp/reader.c" 2>"$tmp/err" ||
	{ fail "sim/sim_shm.h does not compile alone as C11"; sed 's/^/    /' "$tmp/err" | head -5; }
deps=$("$CC" -std=c11 -I. -MM "$tmp/reader.c" 2>/dev/null | tr -s ' \\\n' '\n' | grep -v ':$' | grep -v "reader.c")
[ "$deps" = "sim/sim_shm.h" ] || fail "sim/sim_shm.h includes more of the project: $deps"
if command -v c++ >/dev/null; then
	printf '#include "sim/sim_shm.h"\nstatic_assert(sizeof(sim_shm) == 7320, "");\n' >"$tmp/reader.cc"
	c++ -std=c++11 -Wall -Werror -I. -fsyntax-only "$tmp/reader.cc" 2>"$tmp/err" ||
		{ fail "sim/sim_shm.h does not compile as C++"; sed 's/^/    /' "$tmp/err" | head -5; }
fi
if [ $fails -ne 0 ]; then
	echo "e2e_sim_shm_header: $fails failure(s)"
	exit 1
fi
echo "e2e_sim_shm_header: ok"
