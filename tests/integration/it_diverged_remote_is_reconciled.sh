#!/bin/bash
# Proves: when the remote no longer holds what the journal expects (a
# directory removed there behind btsoot's back), the sync does not fail
# forever: the rows it cannot apply become names that the same run compares
# with the live source (the journal's recheck set), only those names -- not
# the whole tree -- are compared, the remote ends equal to the source, and
# nothing is left to compare afterwards.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/photos/2020"; for i in 1 2 3; do echo "p$i" > "$SRC/photos/2020/p$i"; done
make_quiet_dir
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
rm -rf "$REM/photos"                      # someone cleaned up the share
mount_block t
echo changed >> "$SRC/photos/2020/p1"
mv "$SRC/photos/2020" "$SRC/photos/2020-trip"
echo new > "$SRC/photos/2020-trip/p4"
umount_block
plant_rescan_probe
run_sync t >/dev/null && pass "sync completes despite the diverged remote" || fail "sync failed"
assert_rescanned no "it compared the diverged names, not the whole tree"
assert_eq "" "$(sqlite3 "$W/state/t/journal.db" "SELECT path FROM recheck")" \
	"no name is left to compare"
assert_trees_equal "$SRC" "$REM" "remote equals source"
assert_journal_complete "after the reconciling sync"
plant_rescan_probe
run_sync t >/dev/null && pass "the next sync" || fail "the next sync"
assert_rescanned no "the next sync trusts the journal again"
assert_eq "0 0" "$(sqlite3 -separator ' ' "$W/state/t/journal.db" \
	"SELECT (SELECT count(*) FROM recheck), (SELECT count(*) FROM ops)")" \
	"the next sync finds nothing to replay or compare"
assert_trees_equal "$SRC" "$REM" "remote equals source after the next sync"
finish
