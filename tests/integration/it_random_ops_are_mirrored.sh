#!/bin/bash
# Proves: a seeded random sequence of a few thousand operations through the
# mount, synced in the middle (daemon running) and at the end, is mirrored
# exactly. SEED=n and OPS=n override; the seed is printed for replays.
. "$(dirname "$0")/lib.sh"
setup
SEED=${SEED:-$(date +%s)}
OPS=${OPS:-3000}
echo "seed=$SEED ops=$OPS"
"$FSOPS" random --seed "$SEED" --ops 300 "$SRC" >/dev/null
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
"$FSOPS" random --seed $((SEED + 1)) --ops $((OPS / 2)) "$SRC" && pass "first half of the ops" ||
	fail "operations through the mount failed"
run_sync t >/dev/null && pass "sync in the middle, daemon running" || fail "middle sync"
cp "$W/sync.err" "$W/middle.err"
assert_trees_equal "$SRC" "$REM" "remote equals source after the middle sync (seed $SEED)"
"$FSOPS" random --seed $((SEED + 2)) --ops $((OPS / 2)) "$SRC" && pass "second half of the ops" ||
	fail "operations through the mount failed"
umount_block
run_sync t >/dev/null && pass "final sync" || fail "final sync"
assert_trees_equal "$SRC" "$REM" "remote equals source at the end (seed $SEED)"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees"
rescans=$(cat "$W/middle.err" "$W/sync.err" | grep -c "rescan" || true)
[ "$rescans" = 0 ] && pass "the journal alone sufficed (no reconciling rescan)" || { fail "a reconciling rescan was needed:"; cat "$W/middle.err" "$W/sync.err"; }
finish
