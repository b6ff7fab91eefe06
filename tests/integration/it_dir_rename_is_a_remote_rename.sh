#!/bin/bash
# Proves: renaming a directory of large files (and moving one file out of it)
# is replayed as renames: the remote files keep their inode numbers and the
# sync writes (almost) no bytes.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/media/season1" "$SRC/other"
for i in $(seq 8); do head -c 16M /dev/urandom > "$SRC/media/season1/ep$i.mkv"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
before=$(stat -c %i "$REM/media/season1/ep1.mkv"):$(stat -c %i "$REM/media/season1/ep8.mkv")
size=$(du -sb "$SRC/media/season1" | cut -f1)
mount_block t
mv "$SRC/media/season1" "$SRC/media/Season 1 (2024)"
mv "$SRC/media/Season 1 (2024)/ep8.mkv" "$SRC/other/"
echo note > "$SRC/other/note.txt"
run_sync t >/dev/null && pass "sync with the daemon running" || fail "sync"
umount_block
after=$(stat -c %i "$REM/media/Season 1 (2024)/ep1.mkv"):$(stat -c %i "$REM/other/ep8.mkv")
assert_eq "$before" "$after" "remote files kept their inodes (renamed, not copied)"
[ -n "$SYNC_BYTES" ] && [ "$SYNC_BYTES" -lt $((size / 100)) ] &&
	pass "sync wrote $SYNC_BYTES bytes for a $size-byte directory move" ||
	fail "sync wrote '$SYNC_BYTES' bytes for a $size-byte directory move"
[ ! -e "$REM/media/season1" ] && pass "old name gone on the remote" || fail "old name still there"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
