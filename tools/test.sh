#!/bin/sh
# Installs what is missing, builds, and runs every test (unit + integration).
# Integration tests mount btsootfs for real: run as root on a machine with
# /dev/fuse; without it they FAIL with a message saying so.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
BUILD=${BUILD:-build}
if [ -d "$BUILD" ]; then
	meson setup --reconfigure "$BUILD" >/dev/null
else
	meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD"
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
