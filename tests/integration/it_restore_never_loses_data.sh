#!/bin/bash
# Proves: restore --to a new directory gives exactly the remote; --as-of
# brings back deleted and overwritten versions from the trash (the oldest
# trash copy after the date wins) and equals the source as it was then;
# restoring into the source or the remote without --in-place, --in-place
# while the block is mounted, and any restore from a remote without its
# marker are refused without writing; --in-place waits with a countdown
# and writes nothing before it ends; --in-place --override after unmounting
# restores, keeps every differing source entry as
# NAME.btsoot-before-restore-DATE, deletes nothing, and the next sync
# mirrors the result.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/docs/deep"
echo keep > "$SRC/keep.txt"
echo v1 > "$SRC/over.txt"
echo deleted > "$SRC/del.txt"
echo deep > "$SRC/docs/deep/d.txt"
ln -s keep.txt "$SRC/link"
echo linked > "$SRC/h1"; ln "$SRC/h1" "$SRC/h2"
for i in $(seq 20); do echo "$i" > "$SRC/stays$i"; done # below max_delete_percent
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
cp -a "$SRC" "$W/then"
T0=$(date -u +%Y-%m-%dT%H:%M:%S)
sleep 1.1
mount_block t
echo v2 > "$SRC/over.txt"
rm "$SRC/del.txt"
rm -r "$SRC/docs"
echo new > "$SRC/new.txt"
run_sync t >/dev/null || fail "sync of the changes"
sleep 1.1
echo v3 > "$SRC/over.txt"
run_sync t >/dev/null || fail "sync of the second overwrite"

"$BTSOOT" restore t --to "$W/plain" >/dev/null 2>"$W/err"
assert_eq 0 $? "restore --to a new directory"
assert_trees_equal "$REM" "$W/plain" "the restored tree equals the remote"

"$BTSOOT" restore t --as-of "$T0" --to "$W/asof" >/dev/null 2>"$W/err"
assert_eq 0 $? "restore --as-of"
assert_eq v1 "$(cat "$W/asof/over.txt" 2>&1)" "the oldest trash copy after the date wins"
assert_eq deleted "$(cat "$W/asof/del.txt" 2>&1)" "a deleted file comes back"
assert_eq deep "$(cat "$W/asof/docs/deep/d.txt" 2>&1)" "a deleted directory comes back"
echo new > "$W/then/new.txt" # created after the date: still on the remote
diff -r --no-dereference "$W/then" "$W/asof" >"$W/diff" 2>&1 &&
	pass "the --as-of tree has the contents of the source at that date" ||
	fail "--as-of differs from the source at the date: $(head -5 "$W/diff")"
"$BTSOOT" restore t --as-of 2026-02-30 --to "$W/bad" 2>/dev/null
assert_eq 2 $? "an impossible date is refused"

"$BTSOOT" restore t --to "$SRC/inside" 2>"$W/err"
assert_eq 2 $? "--to inside the source is refused without --in-place"
"$BTSOOT" restore t --to "$REM/inside" 2>/dev/null
assert_eq 2 $? "--to inside the remote is refused"
[ ! -e "$SRC/inside" ] && [ ! -e "$REM/inside" ] && pass "nothing written by refused restores" ||
	fail "a refused restore wrote a directory"
manifest "$SRC" "$W/before"
"$BTSOOT" restore t --in-place --override 2>"$W/err"
assert_eq 4 $? "--in-place is refused while the block is mounted"
grep -q unmount "$W/err" && [ "$(wc -l < "$W/err")" -eq 1 ] && pass "one line saying to unmount" ||
	fail "message: $(cat "$W/err")"

umount_block
echo "local edit" > "$SRC/keep.txt"
echo mine > "$SRC/local-only.txt"
manifest "$SRC" "$W/before"
"$BTSOOT" restore t --in-place --as-of "$T0" >/dev/null 2>"$W/countdown" &
pid=$!
sleep 2.2
kill "$pid"; wait "$pid" 2>/dev/null
# (not a terminal: one plain line, no per-second '\r' redraw)
grep -q "in 15 s" "$W/countdown" && ! grep -q $'\r' "$W/countdown" &&
	pass "--in-place announces its countdown on stderr" || fail "no countdown: $(cat -A "$W/countdown")"
manifest "$SRC" "$W/after"
cmp -s "$W/before" "$W/after" && pass "nothing written before the countdown ends" ||
	fail "the source changed during the countdown"

mv "$REM/.btsoot/marker" "$W/marker"
"$BTSOOT" restore t --in-place --override >/dev/null 2>&1
assert_eq 3 $? "a remote without its marker is refused"
"$BTSOOT" restore t --to "$W/nomarker" >/dev/null 2>&1
assert_eq 3 $? "also for --to"
[ ! -e "$W/nomarker" ] && pass "nothing created without the marker" || fail "target created"
manifest "$SRC" "$W/after"
cmp -s "$W/before" "$W/after" && pass "the source is untouched" || fail "the source changed"
mv "$W/marker" "$REM/.btsoot/marker"

"$BTSOOT" restore t --in-place --override --as-of "$T0" >"$W/out" 2>"$W/err"
assert_eq 0 $? "--in-place --override after unmounting"
grep -q "^replace over.txt" "$W/out" && grep -q "^new del.txt" "$W/out" &&
	pass "it printed what it restores" || fail "no plan printed: $(head -5 "$W/out")"
assert_eq v1 "$(cat "$SRC/over.txt")" "over.txt is back as of the date"
assert_eq v3 "$(cat "$SRC"/over.txt.btsoot-before-restore-* 2>&1)" "its newer version is kept aside"
assert_eq keep "$(cat "$SRC/keep.txt")" "keep.txt has the remote's content"
assert_eq "local edit" "$(cat "$SRC"/keep.txt.btsoot-before-restore-* 2>&1)" "the local edit is kept aside"
assert_eq deleted "$(cat "$SRC/del.txt" 2>&1)" "a deleted file is back"
assert_eq deep "$(cat "$SRC/docs/deep/d.txt" 2>&1)" "a deleted directory is back"
assert_eq mine "$(cat "$SRC/local-only.txt" 2>&1)" "a file only in the source is not deleted"
assert_eq 2 "$(ls "$SRC" | grep -c btsoot-before-restore)" "identical files are not set aside"
assert_eq keep.txt "$(readlink "$SRC/link")" "the symlink is intact"
[ "$(stat -c %i "$SRC/h1")" = "$(stat -c %i "$SRC/h2")" ] && pass "hard links are intact" ||
	fail "h1 and h2 are no longer one file"
[ ! -e "$SRC/.btsoot" ] && pass "no scratch area left in the source" || fail "$SRC/.btsoot left"
[ -e "$W/state/t/NEEDS_RESCAN" ] && pass "the next sync is told to rescan" ||
	fail "no NEEDS_RESCAN after an in-place restore"

mount_block t
run_sync t >/dev/null || fail "sync after the restore"
umount_block
assert_trees_equal "$SRC" "$REM" "the next sync mirrors the restored source"
grep -rqx v3 "$REM/.btsoot/trash" && pass "the replaced remote version is in the trash" ||
	fail "v3 is gone from the remote"
finish
