#!/bin/bash
# Installs what is missing, builds, and runs every test (unit + integration).
# Integration tests mount btsootfs for real: run as root on a machine with
# /dev/fuse; without it they FAIL with a message saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
BUILD=${BUILD:-build}
if [ -d "$BUILD" ]; then
	meson setup --reconfigure "$BUILD" >/dev/null
else
	meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD"
set +e
# The torture suite is a separate command until it runs clean (README).
meson test -C "$BUILD" --print-errorlogs --num-processes 2 --no-suite torture "$@" |
	tee "$BUILD/test-output.txt"
rc=${PIPESTATUS[0]}
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/test-output.txt")
bad=$(sed -n 's/^\(Fail\|Timeout\|Unexpected Pass\): *\([0-9]*\).*/\2/p' "$BUILD/test-output.txt" |
	awk '{ s += $1 } END { print s + 0 }')
echo "${ok:-0} passed, ${bad:-0} failed"
exit "$rc"
