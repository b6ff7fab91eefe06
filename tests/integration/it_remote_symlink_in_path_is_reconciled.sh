#!/bin/bash
# Proves (issue 12, point 3): a remote directory replaced by a symlink in
# the middle of a path (by hand, or by an old race) is not a permanent
# failure: the rows below it are not applied through the symlink (ELOOP),
# the sync compares that part with the live source in the same run, moves
# the symlink into the trash without following it, exits 0, and later
# changes are mirrored as usual. Nothing is written where the symlink points.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d/e" "$W/elsewhere"
echo one > "$SRC/d/e/f"; echo two > "$SRC/d/g"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
run_sync t >/dev/null && pass "first sync" || fail "first sync"
mv "$REM/d" "$W/elsewhere/d-moved"; ln -s "$W/elsewhere" "$REM/d"
echo three > "$SRC/d/e/h"; echo changed >> "$SRC/d/g"; mv "$SRC/d/e/f" "$SRC/d/e/f2"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the sync over the planted symlink"
assert_trees_equal "$SRC" "$REM" "remote equals source"
assert_eq "" "$(ls "$W/elsewhere" | grep -v d-moved)" "nothing was written through the symlink"
[ -n "$(find "$REM/.btsoot/trash" -type l -name d)" ] && pass "the symlink went to the trash" ||
	fail "the symlink is not in the trash"
echo later > "$SRC/d/e/later"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "a later sync"
assert_trees_equal "$SRC" "$REM" "a later sync keeps remote == source"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
