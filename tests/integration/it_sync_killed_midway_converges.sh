#!/bin/bash
# Proves: btsoot-sync killed with SIGKILL at exact points (the
# BTSOOT_CRASH_AFTER_OPS hook) and at random moments of a large first copy
# leaves a state from which the next run converges to remote == source.
. "$(dirname "$0")/lib.sh"
setup
SEED=${SEED:-$(date +%s)}
echo "seed=$SEED"
for i in $(seq 60); do head -c $((RANDOM * 40)) /dev/urandom > "$SRC/f$i"; done
mkdir -p "$SRC/dir/sub"; for i in $(seq 20); do echo $i > "$SRC/dir/sub/g$i"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null

# 1) kill -9 at a random moment of the first (full) copy
"$SYNC" -q t & pid=$!
sleep 0.0$((SEED % 9 + 1)); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
run_sync t >/dev/null && pass "rerun after kill -9 of the first sync" || fail "rerun"
assert_trees_equal "$SRC" "$REM" "first copy converges after kill -9"

# 2) a rename-heavy change set, killed at exact remote operations
round=0
for k in 1 2 3 5 8 13 $((SEED % 7 + 4)) $((SEED % 11 + 2)); do
	round=$((round + 1))
	mount_block t
	mv "$SRC/dir" "$SRC/dir$round"; mv "$SRC/dir$round" "$SRC/dir"
	mv "$SRC/f1" "$SRC/tmp"; mv "$SRC/f2" "$SRC/f1"; mv "$SRC/tmp" "$SRC/f2"
	echo "round $round" >> "$SRC/f3"; rm -f "$SRC/f$((round + 10))"
	mkdir "$SRC/new$round"; echo n > "$SRC/new$round/x"
	dd if=/dev/urandom of="$SRC/f4" bs=1k count=2 seek=$round conv=notrunc 2>/dev/null
	umount_block
	BTSOOT_CRASH_AFTER_OPS=$k "$SYNC" -q t >/dev/null 2>&1; rc=$?
	[ $rc -eq 137 ] && pass "sync died at remote op $k (SIGKILL)" ||
		echo "note: sync finished before op $k (rc $rc)"
	run_sync t >/dev/null && pass "rerun after crash at op $k" || fail "rerun after op $k"
	assert_trees_equal "$SRC" "$REM" "converged after crash at op $k"
done
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees"
ls "$REM/.btsoot/tmp" | grep -q . && fail "temp files left in .btsoot/tmp" ||
	pass "no temp leftovers after the last run"
finish
