#!/bin/bash
# Proves: when btsootfs dies (kill -9) with a same-size edit still in its
# queue whose writer then set the mtime back (a tag editor that keeps file
# times, or `touch -r`), the next sync still brings the edit to the remote:
# its rows died with the daemon, and size, mtime and type say nothing
# changed, but the file's ctime is newer than the daemon's last committed
# batch (journal meta committed_at), so the reconciling pass copies it
# whatever its times say. Before, the sync exited 0 with the old content on
# the remote until a hashing verify. Both ways: a new daemon mounted before
# the sync (it records since when, lost_since), and a sync on the bare
# source with no daemon since.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d"
head -c 100000 /dev/urandom > "$SRC/d/song"; touch -d '2001-02-03 04:05:06' "$SRC/d/song"
head -c 100000 /dev/urandom > "$SRC/d/other"; touch -d '2001-02-03 04:05:06' "$SRC/d/other"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
edit() { # FILE: 100 bytes at offset 5000, then the old times back
	touch -r "$1" "$W/times"
	head -c 100 /dev/urandom | dd of="$1" bs=100 seek=50 conv=notrunc status=none
	touch -r "$W/times" "$1"
}
kill_now() {
	expect_daemon_killed
	fusermount3 -uz "$SRC" 2>/dev/null || umount -l "$SRC"
}
# The daemon commits its queue once a second: a batch goes in first, so the
# edit lands in a fresh queue.
mount_block t
echo warm > "$SRC/d/warm"; sleep 1.5
edit "$SRC/d/song"; kill_now
assert_eq 0 "$(sqlite3 "$W/state/t/journal.db" "SELECT count(*) FROM ops WHERE path = CAST('d/song' AS BLOB)")" \
	"the edit's rows died with the daemon"
mount_block t
assert_eq 1 "$([ "$(journal_meta lost_since)" -gt 0 ] 2>/dev/null && echo 1)" \
	"the new daemon recorded since when changes may be lost"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the sync after the remount exits 0"
assert_eq "$(md5sum < "$SRC/d/song")" "$(md5sum < "$REM/d/song")" "the remote has the edit"
assert_trees_equal "$SRC" "$REM" "remote equals source"
assert_eq 0 "$(journal_meta lost_since)" "the pass that copied it clears lost_since"
# The same with no daemon between the kill and the sync.
echo warm2 > "$SRC/d/warm"; sleep 1.5
edit "$SRC/d/other"; kill_now
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the sync on the bare source exits 0"
assert_eq "$(md5sum < "$SRC/d/other")" "$(md5sum < "$REM/d/other")" "the remote has that edit too"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
