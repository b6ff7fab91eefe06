#!/bin/bash
# Proves: a change btsootfs cannot name (a hard-linked file held open
# through the mount, its only name the daemon knew removed, its other name
# never looked up) is a journal row, ordered with the others, and not only
# the NEEDS_RESCAN note: a comparison that was already running when it came
# cannot take it as covered and remove the note with it (the torture test
# lost an xattr that way). The next sync compares the whole tree and the
# remote's other name gets the change.
. "$(dirname "$0")/lib.sh"
setup
echo one > "$SRC/a"; ln "$SRC/a" "$SRC/b"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
mount_block t
nameless() {
	sqlite3 -cmd ".timeout 5000" "$BTSOOT_STATE_DIR/t/journal.db" \
		"SELECT count(*) FROM ops WHERE op = 11 AND path = CAST('' AS BLOB) AND len = 1" 2>&1
}
# Held open through the mount as a (the daemon looks up a only), a removed:
# b, never looked up, is the name the change lives on under.
exec 3<>"$SRC/a"
rm "$SRC/a"
echo two >&3 # at offset 0: the file is "two" now
setfattr -n user.k -v v "/proc/$$/fd/3" || fail "setfattr through the held descriptor"
exec 3>&-
# The daemon commits its queue within a second.
for _ in $(seq 50); do [ "$(nameless)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
[ "$(nameless)" -gt 0 ] 2>/dev/null && pass "the journal holds a row for the nameless change" ||
	fail "no nameless row in the journal: $(nameless)"
run_sync t > "$W/sync.out" 2>&1; rc=$?
assert_eq 0 "$rc" "the sync exits 0"
assert_eq two "$(cat "$REM/b" 2>&1)" "the remote's b holds the change"
assert_eq v "$(getfattr --absolute-names --only-values -n user.k "$REM/b" 2>&1)" "and its xattr"
assert_trees_equal "$SRC" "$REM" "remote equals source"
run_sync t > "$W/sync2.out" 2>&1; rc=$?
assert_eq 0 "$rc" "a later sync exits 0"
assert_eq 0 "$(nameless)" "the row is replayed and gone"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
