# SPDX-License-Identifier: MIT
# Sourced by tests/e2e_*.sh: the shell side of tests/support/skip.h.
#   vgt_skip WHY DETAILS...      note one skipped check ("SKIP: WHY: DETAILS")
#   vgt_skip_all WHY DETAILS...  note it and exit 77: the whole script skipped
# WHY is one of: "no ../shared", "no python3", "not root", "no tracefs".  $vgt_shared is the reference
# data folder ($VGT_SHARED, default ../shared); have_python3 is 1 or 0.
vgt_shared=${VGT_SHARED:-../shared}
have_python3=1
command -v python3 >/dev/null 2>&1 || have_python3=0

vgt_skip() {
	local why=$1
	shift
	echo "SKIP: $why: $*"
	if [ -n "${VGT_SKIP_LOG:-}" ]; then echo "SKIP: $why: $*" >>"$VGT_SKIP_LOG"; fi
}

vgt_skip_all() {
	vgt_skip "$@"
	exit 77
}
