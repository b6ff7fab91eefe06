#!/bin/bash
# Proves: adoption is honest. A mounted block is synced; its remote is
# replaced by an empty directory (a new share mounted in its place): the
# sync refuses it (exit 3, no marker); after `btsoot init-remote` the next
# sync compares the whole tree and copies everything (before, it printed
# "0 files copied", exited 0 and left the remote empty), exit 0, remote
# equal to the source by an independent manifest. init-remote --force onto
# a directory full of unrelated files: the next sync refuses to trash them
# (exit 8, remote unchanged) and --force reconciles it.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d/e"
for i in $(seq 12); do echo "f$i" > "$SRC/d/f$i"; done
echo deep > "$SRC/d/e/g"; ln -s d/f1 "$SRC/link"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
echo later > "$SRC/later"
run_sync t >/dev/null || fail "sync through the mount"

mv "$REM" "$W/old-remote"; mkdir "$REM"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 3 "$rc" "a sync onto the empty replacement share exits 3"
grep -q "init-remote" "$W/out" && pass "it suggests btsoot init-remote" ||
	fail "no init-remote hint: $(cat "$W/out")"
"$BTSOOT" init-remote t >/dev/null; assert_eq 0 $? "init-remote exits 0"
echo "after" > "$SRC/after"   # a change journaled after the adoption
"$SYNC" -v t >"$W/out" 2>&1; rc=$?
assert_eq 0 "$rc" "the next sync exits 0"
grep -q " 0 files copied" "$W/out" && fail "the sync copied nothing: $(cat "$W/out")"
assert_trees_equal "$SRC" "$REM" "the remote equals the source after init-remote"
"$SYNC" t >/dev/null 2>&1; assert_eq 0 $? "a later sync exits 0"
assert_verified_equal "a later sync"

# Unrelated data under the remote: the reconciling rescan is guarded.
rm -rf "$REM"; mkdir -p "$REM/theirs"
for i in $(seq 10); do echo "x$i" > "$REM/theirs/x$i"; done
echo mine > "$REM/notes.txt"
"$BTSOOT" init-remote t >/dev/null 2>&1; assert_eq 0 $? "init-remote onto a foreign directory"
(cd "$REM" && find . -path ./.btsoot -prune -o -printf '%y %s %T@ %P\n' | sort) > "$W/before"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 8 "$rc" "the sync refuses to trash the unrelated files (exit 8)"
(cd "$REM" && find . -path ./.btsoot -prune -o -printf '%y %s %T@ %P\n' | sort) > "$W/after"
cmp -s "$W/before" "$W/after" && pass "the refused sync changed nothing on the remote" ||
	fail "the refused sync changed the remote: $(diff "$W/before" "$W/after" | head -5)"
"$SYNC" --force t >/dev/null 2>&1; assert_eq 0 $? "--force reconciles it"
assert_trees_equal "$SRC" "$REM" "the remote equals the source after --force"
assert_eq mine "$(cat "$REM"/.btsoot/trash/*/notes.txt 2>&1)" "the unrelated files are in the trash"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited 0"
finish
