#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance of `vgt decode` with Mesa's genxml: every Gen8/Gen9 instruction
# at the minimum and maximum of its DWord Length field, plus the relocations
# of the IGT blitter captures (tools/genxml_conformance.py does the work).
# Also checks that the committed tables scanner/cmds_gen{8,9}.c are what
# tools/genxml2c.py generates from the same genxml.
# Needs $VGT (the vgt binary), $VGT_SHARED (default ../shared) and python3;
# skips (exit 77, tests/support/skip.sh) when either is missing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/support/skip.sh"
shared=$vgt_shared
vgt=${VGT:-$top/build/vgt}

if [ ! -d "$shared/reference" ]; then
	vgt_skip_all "no ../shared" "$shared/reference is absent (set VGT_SHARED)"
fi
if [ $have_python3 = 0 ]; then
	vgt_skip_all "no python3" "the conformance tools are Python 3 (make deps)"
fi

status=0
if ! python3 "$top/tools/genxml2c.py" --check --shared "$shared" --out "$top/scanner"; then
	echo "e2e_genxml_conformance: FAILED: scanner/cmds_gen*.c differ from tools/genxml2c.py's output"
	status=1
fi
python3 "$top/tools/genxml_conformance.py" --vgt "$vgt" --shared "$shared" \
	--docs "$top/docs/COMMANDS.md" || status=1
exit $status
