#!/bin/bash
# Proves: a remote that runs out of space (a size-limited tmpfs) makes the
# sync stop with exit 7 and a one-line error naming the file, keeps every
# unsynced journal row and the last good files, leaves no temp files, and a
# rerun after space is freed completes with remote == source.
. "$(dirname "$0")/lib.sh"
setup
mount -t tmpfs -o size=8m tmpfs "$REM" || { fail "cannot mount a tmpfs remote"; finish; exit 1; }
trap 'umount_block; umount "$REM" 2>/dev/null; cleanup' EXIT
head -c 2M /dev/urandom > "$SRC/small"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
want_small=$(xxhsum -H2 < "$SRC/small")
mount_block t
head -c 12M /dev/urandom > "$SRC/big"
echo note > "$SRC/note"
out=$("$SYNC" -q t 2>&1); rc=$?
assert_eq 7 "$rc" "sync into a full remote exits 7"
echo "$out" | grep -q "big.*No space left" && pass "the error names the file and the cause" ||
	fail "unclear error: $out"
assert_eq "$want_small" "$(xxhsum -H2 < "$REM/small")" "the last good copy of small is intact"
[ -z "$(ls -A "$REM/.btsoot/tmp")" ] && pass "no temp file left behind" || fail "temp files left"
"$BTSOOT" status t | grep -q "pending *[1-9]" && pass "unsynced rows are kept" ||
	fail "pending rows lost: $("$BTSOOT" status t | grep pending)"
mount -o remount,size=64m "$REM"
run_sync t >/dev/null && pass "rerun after freeing space" || fail "rerun"
umount_block
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
