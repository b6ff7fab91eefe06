#!/bin/bash
# Proves: btsoot-sync killed with SIGKILL at exact remote operations (the
# BTSOOT_CRASH_AFTER_OPS hook) in the middle of a rename-heavy replay, even
# twice in a row, and killed at a random moment of a large first copy,
# leaves a state from which the next run converges to remote == source.
# SEED=n replays a run.
. "$(dirname "$0")/lib.sh"
setup
SEED=${SEED:-$(date +%s)}
echo "seed=$SEED"
RANDOM=$SEED

for d in $(seq 0 9); do
	mkdir -p "$SRC/d$d/sub"
	for i in $(seq 30); do head -c $((RANDOM % 20000)) /dev/urandom > "$SRC/d$d/f$i"; done
	echo "$d" > "$SRC/d$d/sub/leaf"
done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null && pass "first sync of $(find "$SRC" -type f | wc -l) files" ||
	fail "first sync"

# At least 10 directory renames, 20 cross-directory moves and 5 three-step
# swaps (55+ remote renames) plus edits, appends, deletions and creations.
change_set() { # ROUND
	local r=$1 i n a b dirs files
	cd "$SRC" || return
	mapfile -t dirs < <(find . -mindepth 1 -maxdepth 1 -type d -printf '%P\n' | LC_ALL=C sort)
	for i in "${!dirs[@]}"; do mv "${dirs[$i]}" "d$i.r$r"; done
	mapfile -t files < <(find . -type f -printf '%P\n' | LC_ALL=C sort)
	n=${#files[@]}
	for i in $(seq 0 19); do
		a=${files[$(((i * 37 + r * 11) % n))]}
		[ -e "$a" ] && mv "$a" "d$(((i + r) % 10)).r$r/m$r-$i"
	done
	mapfile -t files < <(find . -type f -printf '%P\n' | LC_ALL=C sort)
	for i in $(seq 0 4); do
		a=${files[$((i * 2))]} b=${files[$((n - 1 - i * 2))]}
		mv "$a" "swap.tmp"; mv "$b" "$a"; mv "swap.tmp" "$b"
	done
	for i in 1 2 3; do
		dd if=/dev/urandom of="${files[$((i * 5))]}" bs=1k count=2 seek=$r conv=notrunc status=none
		echo "round $r" >> "${files[$((i * 7))]}"
		rm -f "${files[$((i * 11))]}"
		echo "new $r $i" > "d$i.r$r/new$r-$i"
	done
	cd /
}

# The content hashes of every file in a tree (the remote's .btsoot left out).
hashes() { # DIR
	(cd "$1" && find . -path ./.btsoot -prune -o -type f -print0 |
		xargs -0 -r xxhsum -H2 | cut -d' ' -f1 | LC_ALL=C sort -u)
}
# After a crash every visible remote file must hold a complete old or new
# content (these files are small, so they are copied whole via .btsoot/tmp):
# never a half-written file under a real name. A name that did not exist on
# the remote before may show as an empty placeholder until its data arrives
# (a file created then renamed must exist for the rename).
EMPTY=$(xxhsum -H2 < /dev/null | cut -d' ' -f1)
assert_no_torn_files() { # WHAT
	local torn
	torn=$(cd "$REM" && find . -path ./.btsoot -prune -o -type f -print0 |
		xargs -0 -r xxhsum -H2 | while read -r h p; do
			grep -qx "$h" "$W/old.h" "$W/new.h" && continue
			[ "$h" = "$EMPTY" ] && ! grep -qxF "$p" "$W/old.names" && continue
			echo "$p"
		done)
	assert_eq "" "$torn" "$1: no remote file with a content that never existed"
}
remote_before() {
	hashes "$REM" > "$W/old.h"
	(cd "$REM" && find . -path ./.btsoot -prune -o -type f -print) > "$W/old.names"
}

# A new change set through the mount, with the remote's contents before
# and the source's after recorded for assert_no_torn_files.
round=0
next_round() {
	round=$((round + 1))
	remote_before
	mount_block t
	change_set $round
	umount_block
	hashes "$SRC" > "$W/new.h"
}

for k in 1 2 9 23 41 $((RANDOM % 50 + 1)); do
	next_round
	BTSOOT_CRASH_AFTER_OPS=$k "$SYNC" -q t >/dev/null 2>&1
	assert_eq 137 $? "sync dies by SIGKILL at remote op $k of round $round"
	assert_no_torn_files "crash at op $k"
	run_sync t >/dev/null && pass "rerun after the crash at op $k" || fail "rerun after op $k"
	assert_trees_equal "$SRC" "$REM" "converged after a crash at op $k"
done

# Two crashes in a row: the second run resumes a half-done replay and dies too.
next_round
BTSOOT_CRASH_AFTER_OPS=10 "$SYNC" -q t >/dev/null 2>&1
assert_eq 137 $? "first of two crashes (op 10)"
BTSOOT_CRASH_AFTER_OPS=3 "$SYNC" -q t >/dev/null 2>&1
assert_eq 137 $? "second of two crashes (op 3 of the resumed run)"
assert_no_torn_files "two crashes"
run_sync t >/dev/null && pass "rerun after two crashes" || fail "rerun after two crashes"
assert_trees_equal "$SRC" "$REM" "converged after two crashes in a row"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees"
[ -z "$(ls -A "$REM/.btsoot/tmp" 2>/dev/null)" ] && pass "no temp leftovers in .btsoot/tmp" ||
	fail "temp files left in .btsoot/tmp: $(ls "$REM/.btsoot/tmp" | head -3)"

# A large first copy (300 files, 200 MiB) killed -9 from outside at a random
# moment; retried with shorter delays until the kill lands mid-run.
S2="$W/big-src" R2="$W/big-remote"
mkdir -p "$S2" "$R2"
for d in $(seq 10); do
	mkdir "$S2/album$d"
	for i in $(seq 30); do head -c $((RANDOM % 1300 * 1024)) /dev/urandom > "$S2/album$d/p$i"; done
done
"$BTSOOT" add big "$S2" "$R2" >/dev/null
killed=0
for delay_ms in $((RANDOM % 400 + 100)) $((RANDOM % 80 + 20)) 5; do
	"$SYNC" -q big >/dev/null 2>&1 & pid=$!
	sleep "$(printf '0.%03d' "$delay_ms")"
	kill -9 $pid 2>/dev/null
	wait $pid; rc=$?
	if [ $rc -eq 137 ]; then
		killed=1
		echo "killed the first copy after $delay_ms ms: $(du -sm "$R2" | cut -f1) MiB on the remote"
		break
	fi
	echo "note: the first copy finished within $delay_ms ms (rc $rc); starting over"
	rm -rf "$R2"; mkdir "$R2"
	"$BTSOOT" remove big --purge-state >/dev/null; "$BTSOOT" add big "$S2" "$R2" >/dev/null
done
assert_eq 1 $killed "kill -9 landed in the middle of the first copy"
run_sync big >/dev/null && pass "rerun after kill -9 of the first copy" || fail "rerun"
assert_trees_equal "$S2" "$R2" "first copy converges after kill -9"
[ -z "$(ls -A "$R2/.btsoot/tmp" 2>/dev/null)" ] && pass "no temp leftovers after the rerun" ||
	fail "temp files left in $R2/.btsoot/tmp"
finish
