#!/bin/sh
# Runs the whole test suite on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/, or the directory given with -C).
# Any sanitizer report fails: the programs abort at the first one (exit
# 134), which fails a unit test, an integration test's checks of the tools'
# exit codes, and lib.sh's check of btsootfs (exit 0, nothing at error
# level in its stderr, where ASan/UBSan write). Leak checking is on: the
# tools and btsootfs free what they allocate.
# Usage: sudo tools/test-sanitize.sh [-C DIR] [meson test arguments, e.g. a test name]
set -eu
cd "$(dirname "$0")/.."
BUILD=build-asan
if [ "${1:-}" = "-C" ]; then BUILD=$2; shift 2; fi
if [ ! -f "$BUILD/build.ninja" ]; then
	# b_lundef=false: the sanitizer runtimes resolve some symbols at run
	# time; debug: no optimisation hides the line a report points at.
	meson setup "$BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null
fi
ninja -C "$BUILD"
ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=${DETECT_LEAKS:-1}:detect_stack_use_after_return=1"
# tools/test-sanitize.supp: known findings in files others own (each says why).
UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$PWD/tools/test-sanitize.supp"
export ASAN_OPTIONS UBSAN_OPTIONS
# The sanitized programs run 2-3 times slower.
exec meson test -C "$BUILD" --print-errorlogs --timeout-multiplier 3 "$@"
