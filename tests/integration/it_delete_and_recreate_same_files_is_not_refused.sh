#!/bin/bash
# Proves: the mass-deletion guard counts the net loss (entries deleted
# minus entries created), as its message says: `rm -rf dir` followed by
# recreating the same 12 files there (what `tar x` of a backup does) loses
# nothing, so the sync is not refused (it exited 8 when only the deletions
# were counted) and the remote equals the source. A real mass deletion in
# the same block is still refused, exit 8, with the remote unchanged.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/dir/sub"
for i in $(seq 8); do echo "a$i" > "$SRC/dir/a$i"; done
for i in $(seq 4); do echo "b$i" > "$SRC/dir/sub/b$i"; done
echo keep > "$SRC/keep"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
tar -C "$SRC" -cf "$W/dir.tar" dir

mount_block t
rm -rf "$SRC/dir" && tar -C "$SRC" -xf "$W/dir.tar"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 0 "$rc" "rm -rf dir and tar x dir is not refused"
[ $rc -eq 0 ] || cat "$W/out"
assert_verified_equal "after the recreation"

rm -rf "$SRC/dir"
(cd "$REM" && find . -printf '%y %s %P\n' | LC_ALL=C sort) > "$W/before"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 8 "$rc" "deleting 14 of 15 entries is still refused"
(cd "$REM" && find . -printf '%y %s %P\n' | LC_ALL=C sort) > "$W/after"
cmp -s "$W/before" "$W/after" && pass "the refused sync changed nothing on the remote" ||
	fail "the refused sync changed the remote"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited 0"
finish
