#!/bin/bash
# Proves: one garbled value in the journal's meta table (synced_seq moved
# forward by 9, written with the sqlite3 CLI, so SQLite's quick_check and the
# row checksums still pass) is never acted on. Garbled while unmounted, the
# next sync says the journal is corrupt, sets it aside as journal.db.corrupt-*
# (the garbled value still in it), reconciles by rescan and exits 0 with
# remote == source by the independent manifest; without the meta checksum it
# would skip 9 rows and leave files missing. Garbled while mounted, a sync
# refuses with exit 5 (journal) and leaves it as is, the daemon keeps
# working and exits 0, and the sync after the unmount takes the corruption
# path. Garbled before a mount, btsootfs sets the journal aside itself and
# the next sync rescans.
. "$(dirname "$0")/lib.sh"
setup
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 CLI needed"; exit 1; }
ST="$BTSOOT_STATE_DIR/t"
J="$ST/journal.db"

meta() { sqlite3 "$1" "SELECT value FROM meta WHERE key = '$2'"; }
garble_synced() { # JOURNAL: synced_seq + 9, crc left as it was
	local v
	v=$(meta "$1" synced_seq)
	sqlite3 "$1" "UPDATE meta SET value = '$((v + 9))' WHERE key = 'synced_seq'"
	GARBLED=$((v + 9))
}
changes() { # TAG: a dozen rows or more, each one needed on the remote;
	# first appends to files the remote holds, which no later row repairs
	local i
	for i in $(seq 12); do echo "$1" >> "$SRC/base/f$i"; done
	mkdir "$SRC/$1"
	for i in $(seq 12); do echo "$1 $i" > "$SRC/$1/f$i"; done
}
asides() { compgen -G "$ST/journal.db.corrupt-*" | wc -l; }
# SYNC: the sync exits with EXPECTED and its stderr says "corrupt".
sync_says_corrupt() { # EXPECTED WHAT
	local rc
	"$SYNC" -v t > "$W/s.out" 2> "$W/s.err"; rc=$?
	{ echo "== $2: rc $rc"; cat "$W/s.out" "$W/s.err"; } >> "$W/sync.log"
	assert_eq "$1" "$rc" "$2: sync exits $1"
	grep -qi "corrupt" "$W/s.err" && pass "$2: sync says the journal is corrupt" ||
		fail "$2: sync did not say corrupt: $(head -2 "$W/s.err")"
}

mkdir "$SRC/base"
for i in $(seq 12); do echo "base $i" > "$SRC/base/f$i"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"

# 1. Garbled while unmounted.
mount_block t
changes one
run_sync t >/dev/null && pass "sync while mounted" || fail "sync while mounted"
changes two
sleep 3 # older than the unmount's offline window: only the journal knows them
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0"
garble_synced "$J"
sync_says_corrupt 0 "garbled while unmounted"
assert_eq 1 "$(asides)" "the garbled journal is set aside (journal.db.corrupt-*)"
A=$(compgen -G "$ST/journal.db.corrupt-*" | head -1)
assert_eq "$GARBLED" "$(meta "$A" synced_seq)" "the aside journal keeps the garbled value"
grep -qi "rescan" "$W/s.err" && pass "the sync reconciled by rescan" ||
	fail "no rescan: $(head -2 "$W/s.err")"
assert_trees_equal "$SRC" "$REM" "garbled while unmounted: remote equals source"

# 2. Garbled while mounted: refused until unmounted, then the same path.
mount_block t
changes three
run_sync t >/dev/null || fail "sync before the garble"
changes four
garble_synced "$J"
sync_says_corrupt 5 "garbled while mounted"
assert_eq 1 "$(asides)" "while mounted the journal stays where it is"
changes five
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0 over a garbled meta value"
sync_says_corrupt 0 "after the unmount"
assert_eq 2 "$(asides)" "the garbled journal is set aside after the unmount"
assert_trees_equal "$SRC" "$REM" "garbled while mounted: remote equals source"

# 3. Garbled, then mounted: btsootfs sets it aside and journals anew.
mount_block t
changes six
umount_block
garble_synced "$J"
mount_block t
assert_eq 3 "$(asides)" "btsootfs sets a journal with a garbled meta value aside"
changes seven
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0"
run_sync t >/dev/null && pass "sync after that mount" || fail "sync after that mount"
grep -qi "rescan" "$W/sync.err" && pass "that sync reconciled by rescan" ||
	fail "that sync did not rescan: $(head -2 "$W/sync.err")"
assert_trees_equal "$SRC" "$REM" "garbled before a mount: remote equals source"
finish
