#!/bin/bash
# Proves: a RENAME_EXCHANGE parks one side in the remote's .btsoot/xchg-<seq>
# for a moment; whatever stops it there never leaves that spot behind, and
# nothing parked is lost. (1) A sync killed mid-exchange, then reconciled by
# a rescan instead of resuming: the next sync moves the orphaned spot into
# the trash. (2) A sync killed mid-exchange, then the remote diverges (the
# other side renamed on the share): the resumed exchange is abandoned, the
# parked entry goes back, the sync reconciles. (3) Spots planted as an old
# killed run leaves them (a file and a directory) go to the trash.
. "$(dirname "$0")/lib.sh"
setup
echo C-orig > "$SRC/c"; echo D-original > "$SRC/d"; touch -d 2020-01-01 "$SRC/c"; mkdir "$SRC/k"; echo keep > "$SRC/k/f"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
parks() { find "$REM/.btsoot" -maxdepth 1 -name 'xchg-*' | wc -l; }
# Where a content is on the remote, mirror or trash ("" if nowhere).
holder() { grep -rlx -- "$1" "$REM" 2>/dev/null | head -1; }

# (1) killed after parking c (op 1), reconciled by rescan.
mount_block t; "$FSOPS" swap "$SRC" c d || fail "swap 1"; umount_block
BTSOOT_CRASH_AFTER_OPS=2 "$SYNC" -q t >/dev/null 2>&1
assert_eq 137 $? "sync killed right after parking"
assert_eq 1 "$(parks)" "the killed exchange left its parking spot"
touch "$BTSOOT_STATE_DIR/t/NEEDS_RESCAN"
run_sync t >/dev/null || fail "sync after the kill (rescan)"
assert_eq 0 "$(parks)" "(1) no parking spot left after the reconciling sync"
case "$(holder C-orig)" in
	*/.btsoot/trash/*/.btsoot/parked/xchg-*) pass "(1) the parked entry is in the trash";;
	"") fail "(1) the parked content is gone";;
	*) pass "(1) the parked content is kept at $(holder C-orig)";;
esac
assert_trees_equal "$SRC" "$REM" "(1) remote equals source"

# (2) killed after parking, then the other side moved away on the remote.
echo C2 > "$SRC/c"; echo D2-longer > "$SRC/d"; run_sync t >/dev/null || fail "sync before (2)"
mount_block t; "$FSOPS" swap "$SRC" c d || fail "swap 2"; umount_block
BTSOOT_CRASH_AFTER_OPS=2 "$SYNC" -q t >/dev/null 2>&1
assert_eq 137 $? "sync killed right after parking (2)"
mv "$REM/d" "$REM/d-moved-by-hand"
run_sync t >/dev/null; assert_eq 0 $? "(2) the sync meeting the diverged exchange exits 0"
assert_eq 0 "$(parks)" "(2) no parking spot left"
[ -n "$(holder C2)" ] && pass "(2) the parked content is kept ($(holder C2))" ||
	fail "(2) the parked content is gone"
assert_trees_equal "$SRC" "$REM" "(2) remote equals source"

# (3) planted leftovers of an old run: a file and a directory.
echo planted-file > "$REM/.btsoot/xchg-0"
mkdir "$REM/.btsoot/xchg-999999999"; echo planted-dir > "$REM/.btsoot/xchg-999999999/f"
run_sync t >/dev/null || fail "sync (3)"
assert_eq 0 "$(parks)" "(3) stale parking spots are gone from .btsoot"
for c in planted-file planted-dir; do
	case "$(holder $c)" in
		*/.btsoot/trash/*/.btsoot/parked/xchg-*) pass "(3) $c is in the trash";;
		*) fail "(3) $c is not in the trash: '$(holder $c)'";;
	esac
done
assert_verified_equal "(3) at the end"
finish
