#!/bin/bash
# Proves (issue 12, point 1): a reconciling rescan of a block in use (the
# first sync, which takes hours on a big tree while people keep working)
# does not replay the rows journaled while it walked onto a remote that
# already reflects them. A test hook pauses the first sync after it took its
# journal position and before its walk; `mv zzz/a zzz/b; echo NEW > zzz/a`
# then runs through the mount. Before, the replay renamed the remote's new
# a over b (remote b = "NEW"). Also with a directory move, a hard link and a
# file replaced by a directory. Compared by the independent manifest.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/zzz" "$SRC/d1/sub" "$SRC/q"
echo "old a" > "$SRC/zzz/a"; echo keep > "$SRC/d1/sub/f"; echo l > "$SRC/q/l1"
echo "file" > "$SRC/q/x"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
P="$W/pause"
BTSOOT_PAUSE_BEFORE_RECONCILE=$P "$SYNC" t > "$W/s1.out" 2>&1 & sync_pid=$!
for _ in $(seq 300); do [ -e "$P" ] && break; sleep 0.1; done
[ -e "$P" ] && pass "the first sync paused before its walk" || fail "the first sync never paused"
mv "$SRC/zzz/a" "$SRC/zzz/b"; echo NEW > "$SRC/zzz/a"
mv "$SRC/d1" "$SRC/d2"; echo added > "$SRC/d2/sub/g"
ln "$SRC/q/l1" "$SRC/q/l2"
rm "$SRC/q/x"; mkdir "$SRC/q/x"; echo inside > "$SRC/q/x/y"
rm -f "$P"
wait $sync_pid; rc=$?
assert_eq 0 "$rc" "the first sync finished"
assert_trees_equal "$SRC" "$REM" "the first sync mirrors the changes made during its walk"
assert_eq "old a" "$(cat "$REM/zzz/b")" "the remote b holds the old a"
assert_eq "$(stat -c %i "$REM/q/l1")" "$(stat -c %i "$REM/q/l2")" "l1 and l2 are one file on the remote"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the next sync"
assert_trees_equal "$SRC" "$REM" "the next sync keeps remote == source"
assert_eq "0" "$(sqlite3 "$W/state/t/journal.db" "SELECT count(*) FROM recheck")" \
	"no name is left to compare"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
