#!/bin/bash
# Proves: when btsootfs is killed with SIGKILL (its queued journal rows
# lost), the next sync notices the unclean stop, reconciles by rescanning,
# and the remote ends equal to the source; the sync after that trusts the
# journal again.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d"; for i in $(seq 20); do head -c 5000 /dev/urandom > "$SRC/d/f$i"; done
make_quiet_dir
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
mv "$SRC/d" "$SRC/e"; echo fresh > "$SRC/e/new"; rm "$SRC/e/f1"
dd if=/dev/urandom of="$SRC/e/f2" bs=100 count=1 seek=3 conv=notrunc 2>/dev/null
expect_daemon_killed
umount -l "$SRC"
"$BTSOOT" status t | grep -q "stopped uncleanly" && pass "status reports the unclean stop" ||
	fail "status does not report the unclean stop"
plant_rescan_probe
run_sync t >/dev/null && pass "sync after the daemon was killed" || fail "sync"
assert_rescanned yes "the sync after the kill reconciled by rescan"
grep -q "stopped uncleanly" "$W/sync.err" && pass "sync said it reconciles" ||
	fail "sync did not notice the unclean stop"
assert_trees_equal "$SRC" "$REM" "remote equals source after reconciling"
mount_block t
echo later > "$SRC/e/later"
umount_block
assert_journal_complete "after a clean stop"
plant_rescan_probe
run_sync t >/dev/null && pass "sync after a clean stop" || fail "sync after a clean stop"
assert_rescanned no "the next sync trusts the journal again"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
