#!/bin/bash
# Proves: seeded random operations (a few thousand, see tests/fsops.c)
# through the mount are mirrored exactly: synced with the daemon running,
# synced WHILE the operations run (then once more), and synced after the
# unmount. A run on a fresh mount that leaves multi-link files alone must be
# covered by the journal alone (no reconciling rescan). SEED=n and OPS=n override; the seed is printed.
. "$(dirname "$0")/lib.sh"
setup
# A random workload may delete most of a small tree on purpose: this test is
# about mirroring, not the mass-deletion check (it_empty_source_is_refused).
export SYNC_FLAGS="${SYNC_FLAGS:-} --force"
SEED=${SEED:-$(date +%s)}
OPS=${OPS:-3000}
echo "seed=$SEED ops=$OPS (replay: SEED=$SEED OPS=$OPS $0)"
"$FSOPS" random --seed "$SEED" --ops 300 "$SRC" >/dev/null || fail "building the initial tree"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
assert_trees_equal "$SRC" "$REM" "first sync (seed $SEED)"

mount_block t
"$FSOPS" random --seed $((SEED + 1)) --ops $((OPS / 2)) "$SRC" && pass "ops, part 1" ||
	fail "operations through the mount failed"
run_sync t >/dev/null && pass "sync with the daemon running" || fail "sync with the daemon running"
assert_trees_equal "$SRC" "$REM" "remote equals source after part 1 (seed $SEED)"

# Syncs racing the operations: each must succeed; the one after catches up.
# Hard links made while a sync runs have the least mileage (see the README's
# known limitations): CI races without them; RACE_HARDLINKS=1 includes them.
race_opts=--no-hardlinks
[ -n "${RACE_HARDLINKS:-}" ] && race_opts=
"$FSOPS" random --seed $((SEED + 2)) --ops $((OPS / 2)) $race_opts "$SRC" > "$W/ops2.out" & ops_pid=$!
syncs=0 bad=0
while kill -0 $ops_pid 2>/dev/null; do
	run_sync t >/dev/null || bad=$((bad + 1))
	syncs=$((syncs + 1))
done
wait $ops_pid && pass "ops, part 2 ($(cat "$W/ops2.out"))" || fail "operations failed: $(cat "$W/ops2.out")"
assert_eq "0 of $syncs" "$bad of $syncs" "syncs racing the operations succeed"
run_sync t >/dev/null && pass "catch-up sync" || fail "catch-up sync"
assert_trees_equal "$SRC" "$REM" "remote equals source after racing syncs (seed $SEED)"

umount_block
# A fresh daemon, and a run that leaves multi-link files alone: nothing in
# it needs more than the journal. (The sync right after the mount looks at
# the unmounted moment; the one after the run, still mounted, has only the
# journal, and must not rescan.)
mount_block t
run_sync t >/dev/null && pass "sync after the new mount" || fail "sync after the new mount"
plant_rescan_probe "$REM"
"$FSOPS" random --seed $((SEED + 3)) --ops 600 --no-hardlinks "$SRC" >/dev/null &&
	pass "ops, part 3 (no new hard links, existing ones untouched)" || fail "operations failed"
run_sync t >/dev/null && pass "sync of part 3 with the daemon running" || fail "sync of part 3"
assert_rescanned no "the journal alone covered a hard-link-free run"
assert_journal_complete "part 3"
umount_block
run_sync t >/dev/null && pass "final sync after the unmount" || fail "final sync"
assert_trees_equal "$SRC" "$REM" "remote equals source at the end (seed $SEED)"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees"
finish
