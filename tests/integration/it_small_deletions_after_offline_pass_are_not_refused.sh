#!/bin/bash
# Proves: a sync whose offline pass copied many files (made in the bare
# source while btsootfs was not mounted) counts them into the mirror, so a
# later small deletion through the mount is not refused as a mass deletion:
# 4 files synced, 40 more added unmounted and synced by the offline pass,
# then 3 deleted through the mount: the sync exits 0 (it exited 8 when the
# mirror count stayed at 4) and the remote equals the source.
. "$(dirname "$0")/lib.sh"
setup
for i in 1 2 3 4; do echo "$i" > "$SRC/f$i"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mkdir "$SRC/new"
for i in $(seq 40); do echo "n$i" > "$SRC/new/n$i"; done
run_sync t >/dev/null; assert_eq 0 $? "the offline pass copies 41 entries made while unmounted"
assert_eq 40 "$(ls "$REM/new" | wc -l)" "the remote holds the new files"

mount_block t
rm "$SRC/f1" "$SRC/f2" "$SRC/new/n1"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 0 "$rc" "deleting 3 of 45 mirrored entries is not refused"
[ $rc -eq 0 ] || cat "$W/out"
assert_verified_equal "after the small deletion"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited 0"
finish
