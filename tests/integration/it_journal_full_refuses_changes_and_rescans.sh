#!/bin/bash
# Proves: when the journal cannot be written (its disk is full), btsootfs
# refuses further changes with EROFS instead of applying them unrecorded,
# leaves NEEDS_RESCAN, and the next sync reconciles by rescanning so the
# remote ends equal to the source.
. "$(dirname "$0")/lib.sh"
setup
# What the full disk makes btsootfs log (the reason the NEEDS_RESCAN file
# stays empty: there is no room for it either); finish asserts it happened.
EXPECT_DAEMON_ERRORS='journal commit of [0-9]+ rows failed: database or disk is full|journal incomplete \(journal commit failed: database or disk is full\)|cannot write .*/NEEDS_RESCAN$'
STATE=$BTSOOT_STATE_DIR
mount -t tmpfs -o size=200k tmpfs "$STATE" || { fail "cannot mount a tmpfs state dir"; finish; exit 1; }
trap 'umount_block; umount "$STATE" 2>/dev/null; cleanup' EXIT
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
refused=""
for i in $(seq 20000); do
	if ! err=$(mkdir "$SRC/a-long-directory-name-that-fills-the-journal-$i" 2>&1); then
		refused=$err; break
	fi
done
sleep 1.5 # the writer commits at least once a second
{ echo late > "$SRC/late.txt"; } 2>/dev/null && refused=${refused:-"accepted a change"}
echo "$refused" | grep -q "Read-only file system" && pass "changes are refused with EROFS" ||
	fail "no EROFS: '$refused'"
[ -e "$STATE/t/NEEDS_RESCAN" ] && pass "NEEDS_RESCAN left for the next sync" ||
	fail "no NEEDS_RESCAN"
grep -q "journal commit failed: database or disk is full" "$W/daemon.log" &&
	pass "the daemon logged the cause" || fail "cause not logged: $(cat "$W/daemon.log")"
umount_block
mount -o remount,size=20m "$STATE"
run_sync t >/dev/null && pass "sync after space was freed" || fail "sync"
grep -q "rescan" "$W/sync.err" && pass "the sync reconciled by rescan" || fail "no rescan"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
