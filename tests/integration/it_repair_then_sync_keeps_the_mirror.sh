#!/bin/bash
# Proves (issue 12, point 1): btsoot-verify --repair changes the remote from
# the live source, so it also brings the journal's account of the remote up
# to date: the rows it covered are not replayed afterwards. Before, a
# `mv a b; echo new > a` repaired by verify and then replayed by the nightly
# sync left the remote b holding the new a; with a directory replaced by a
# symlink (`mv dir dir2; ln -s x dir`) the remote dir2 became a symlink and
# every later sync failed. Compared by the independent manifest.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/dir"; echo "old a" > "$SRC/a"; echo "in dir" > "$SRC/dir/f"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
run_sync t >/dev/null && pass "first sync" || fail "first sync"

mv "$SRC/a" "$SRC/b"; echo "new a" > "$SRC/a"
mv "$SRC/dir" "$SRC/dir2"; ln -s x "$SRC/dir"; echo y > "$SRC/dir2/new"
"$VERIFY" -q --repair t > "$W/repair.out" 2>&1; rc=$?
assert_eq 0 "$rc" "verify --repair repairs every difference"
assert_trees_equal "$SRC" "$REM" "the repaired remote equals the source"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the sync after the repair"
assert_trees_equal "$SRC" "$REM" "the sync after the repair keeps remote == source"
assert_eq "old a" "$(cat "$REM/b")" "the remote b holds the old a"
[ -d "$REM/dir2" ] && [ ! -L "$REM/dir2" ] && pass "the remote dir2 is a directory" ||
	fail "the remote dir2 is not a directory"

# Later changes still replay normally.
echo more >> "$SRC/dir2/new"; mv "$SRC/b" "$SRC/c"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "a later sync"
assert_trees_equal "$SRC" "$REM" "a later sync keeps remote == source"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
