#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance of `vgt decode` with Mesa's genxml: every Gen8/Gen9 instruction
# at the minimum and maximum of its DWord Length field, plus the relocations
# of the IGT blitter captures (tools/genxml_conformance.py does the work).
# Also checks that the committed tables scanner/cmds_gen{8,9}.c are what
# tools/genxml2c.py generates from the same genxml.
# Needs $VGT (the vgt binary) and $VGT_SHARED (default ../shared); skips
# with a message when $VGT_SHARED/reference is absent.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${VGT_SHARED:-../shared}
vgt=${VGT:-$top/build/vgt}

if [ ! -d "$shared/reference" ]; then
	echo "e2e_genxml_conformance: SKIPPED: $shared/reference is absent (set VGT_SHARED)"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "e2e_genxml_conformance: FAILED: python3 is not installed (make deps)"
	exit 1
fi

status=0
if ! python3 "$top/tools/genxml2c.py" --check --shared "$shared" --out "$top/scanner"; then
	echo "e2e_genxml_conformance: FAILED: scanner/cmds_gen*.c differ from tools/genxml2c.py's output"
	status=1
fi
python3 "$top/tools/genxml_conformance.py" --vgt "$vgt" --shared "$shared" \
	--docs "$top/docs/COMMANDS.md" || status=1
exit $status
