#!/bin/bash
# Proves: what a sync deletes or overwrites on the remote lands in
# .btsoot/trash/<UTC run date>/<path> with its old content; a later sync
# prunes run folders older than trash_days (30: a 40-day-old one goes, a
# 10-day-old one stays), leaves names that are not run dates alone, and
# removes symlinks planted in the trash (also at the bottom of a 3000-level
# directory chain, and one named like a run) without touching what they
# point to; trash_days = 0 keeps only the current run's folder.
. "$(dirname "$0")/lib.sh"
setup
TR="$REM/.btsoot/trash"
mkdir -p "$SRC/dir/sub" "$W/outside/inner"
echo "old a" > "$SRC/a.txt"
echo "old b" > "$SRC/b.txt"
echo "old c" > "$SRC/dir/sub/c.txt"
echo precious > "$W/outside/precious"
for i in $(seq 20); do echo "$i" > "$SRC/stays$i"; done # below max_delete_percent
echo inner > "$W/outside/inner/file"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
grep -q '^trash_days = 30$' "$W/config/blocks/t.conf" && pass "trash_days defaults to 30" ||
	fail "trash_days is not 30: $(grep trash_days "$W/config/blocks/t.conf")"
run_sync t >/dev/null || fail "first sync"
mount_block t
rm "$SRC/a.txt"
echo "new b" > "$SRC/b.txt"
rm -r "$SRC/dir"
run_sync t >/dev/null || fail "sync of deletions and an overwrite"

run1=$(ls "$TR")
assert_eq 1 "$(echo "$run1" | wc -l)" "one trash folder for the sync"
[[ $run1 =~ ^[0-9]{8}T[0-9]{6}Z$ ]] && pass "named by the UTC date of the run" ||
	fail "trash folder name '$run1'"
assert_eq "old a" "$(cat "$TR/$run1/a.txt" 2>&1)" "a deleted file is in the trash with its content"
assert_eq "old b" "$(cat "$TR/$run1/b.txt" 2>&1)" "an overwritten file is in the trash with its old content"
assert_eq "old c" "$(cat "$TR/$run1/dir/sub/c.txt" 2>&1)" "a deleted directory's file is in the trash"
assert_eq "new b" "$(cat "$REM/b.txt")" "the remote holds the new content"

# Make the first run 40 days old and plant what must never be followed.
d40=$(date -u -d '40 days ago' +%Y%m%dT%H%M%SZ)
d45=$(date -u -d '45 days ago' +%Y%m%dT%H%M%SZ)
d10=$(date -u -d '10 days ago' +%Y%m%dT%H%M%SZ)
mv "$TR/$run1" "$TR/$d40"
ln -s "$W/outside/precious" "$TR/$d40/to-file"
ln -s "$W/outside" "$TR/$d40/dir/to-dir"
ln -s "$W/outside" "$TR/$d45"
chain=$(printf 'd/%.0s' $(seq 1000))
(cd "$TR/$d40" && for _ in 1 2 3; do mkdir -p "$chain" && cd "$chain" || exit 1; done &&
	echo deep > f && ln -s "$W/outside/inner" to-inner) || fail "building the deep chain"
mkdir "$TR/notes"; echo mine > "$TR/notes/keep"

rm "$SRC/b.txt"
run_sync t >/dev/null || fail "second sync"
run2=$(ls "$TR" | grep -v -e "^$d40$" -e "^$d45$" -e '^notes$')
assert_eq "new b" "$(cat "$TR/$run2/b.txt" 2>&1)" "the second run's trash holds b"
mv "$TR/$run2" "$TR/$d10"

echo more > "$SRC/more.txt"
run_sync t >/dev/null || fail "sync that prunes"
[ ! -e "$TR/$d40" ] && pass "the 40-day-old folder is pruned (trash_days 30)" ||
	fail "the 40-day-old folder is still there: $(ls "$TR")"
[ ! -L "$TR/$d45" ] && pass "a symlink named like an old run is removed" ||
	fail "the planted run symlink is still there"
assert_eq "new b" "$(cat "$TR/$d10/b.txt" 2>&1)" "the 10-day-old folder is kept"
assert_eq mine "$(cat "$TR/notes/keep" 2>&1)" "a name that is not a run date is left alone"
assert_eq precious "$(cat "$W/outside/precious" 2>&1)" "the target of a planted file symlink is intact"
assert_eq inner "$(cat "$W/outside/inner/file" 2>&1)" "the target of a planted directory symlink is intact"
assert_eq "inner precious" "$(ls "$W/outside" | tr '\n' ' ' | sed 's/ $//')" "nothing outside the trash was removed"

sed -i 's/^trash_days = .*/trash_days = 0/' "$W/config/blocks/t.conf"
rm "$SRC/more.txt"
run_sync t >/dev/null || fail "sync with trash_days 0"
runs=$(ls "$TR" | grep -v '^notes$')
assert_eq 1 "$(echo "$runs" | wc -l)" "trash_days 0 keeps only the current run's folder"
assert_eq more "$(cat "$TR/$runs/more.txt" 2>&1)" "which holds what this sync deleted"
umount_block
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
