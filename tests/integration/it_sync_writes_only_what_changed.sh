#!/bin/bash
# Proves: a sync writes to the remote about the bytes that changed: an
# append to a small file sends the tail only (the remote file is extended in
# place), 1 MiB rewritten in a large file sends that MiB; a small file that
# was shrunk and regrown, or whose remote copy is not what the journal
# expects, is copied whole and ends equal; a fifo planted on the remote at a
# changed file's name neither blocks the sync nor survives it.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/docs" "$SRC/media"
head -c 20000 /dev/urandom > "$SRC/docs/log.txt"
head -c 30000 /dev/urandom > "$SRC/docs/shrunk.txt"
head -c 30000 /dev/urandom > "$SRC/docs/diverged.txt"
head -c 16M /dev/urandom > "$SRC/media/big.bin"
head -c 16M /dev/urandom > "$SRC/media/planted.bin"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t

ino=$(stat -c %i "$REM/docs/log.txt")
head -c 100 /dev/urandom >> "$SRC/docs/log.txt"
run_sync t >/dev/null || fail "sync after an append"
[ -n "$SYNC_BYTES" ] && [ "$SYNC_BYTES" -ge 100 ] && [ "$SYNC_BYTES" -lt 1000 ] &&
	pass "append of 100 bytes to a 20000-byte file wrote $SYNC_BYTES bytes" ||
	fail "append of 100 bytes to a 20000-byte file wrote '$SYNC_BYTES' bytes"
assert_eq "$ino" "$(stat -c %i "$REM/docs/log.txt")" "appended file extended in place"
cmp -s "$SRC/docs/log.txt" "$REM/docs/log.txt" && pass "appended file equal" ||
	fail "appended file differs"

dd if=/dev/urandom of="$SRC/media/big.bin" bs=1M seek=7 count=1 conv=notrunc status=none
run_sync t >/dev/null || fail "sync after a 1 MiB rewrite"
[ -n "$SYNC_BYTES" ] && [ "$SYNC_BYTES" -ge 1048576 ] && [ "$SYNC_BYTES" -lt 1200000 ] &&
	pass "1 MiB rewritten in a 16 MiB file wrote $SYNC_BYTES bytes" ||
	fail "1 MiB rewritten in a 16 MiB file wrote '$SYNC_BYTES' bytes"

# Shrunk to 4000 then grown by 6000: the one dirty range starts where the
# file was cut, not where the remote copy ends, so only a whole copy is right.
truncate -s 4000 "$SRC/docs/shrunk.txt"
head -c 6000 /dev/urandom >> "$SRC/docs/shrunk.txt"
# The remote copy lost bytes behind btsoot's back: an append check must not
# take "remote ends where the change starts" on trust.
truncate -s 10000 "$REM/docs/diverged.txt"
head -c 20000 /dev/urandom >> "$SRC/docs/diverged.txt"
# A fifo where the remote had a file whose middle changed.
rm "$REM/media/planted.bin"; mkfifo "$REM/media/planted.bin"
timeout 60 "$VERIFY" t > "$W/verify-fifo.out" 2>&1; rc=$?
[ "$rc" -eq 1 ] && grep -q "media/planted.bin" "$W/verify-fifo.out" &&
	pass "verify reports a fifo planted on the remote without blocking on it" ||
	{ fail "verify with a fifo planted on the remote: rc $rc (124: blocked)"; tail -3 "$W/verify-fifo.out"; }
dd if=/dev/urandom of="$SRC/media/planted.bin" bs=64K seek=3 count=1 conv=notrunc status=none
timeout 60 "$SYNC" t > "$W/sync-fifo.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && pass "a fifo planted on the remote did not block the sync" ||
	{ fail "sync with a fifo planted on the remote: rc $rc (124: blocked)"; tail -3 "$W/sync-fifo.out"; }
cmp -s "$SRC/docs/shrunk.txt" "$REM/docs/shrunk.txt" && pass "shrunk and regrown file equal" ||
	fail "shrunk and regrown file differs"
[ -f "$REM/media/planted.bin" ] && cmp -s "$SRC/media/planted.bin" "$REM/media/planted.bin" &&
	pass "planted fifo replaced by the file" || fail "planted fifo still there or file differs"
run_sync t >/dev/null || fail "sync after the repair"
umount_block
assert_verified_equal "remote equals source after verify" t
finish
