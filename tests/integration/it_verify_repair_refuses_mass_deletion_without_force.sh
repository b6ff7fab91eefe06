#!/bin/bash
# Proves: btsoot-verify --repair is held by the same mass-deletion guard as
# the sync. With 11 of 13 source entries moved away behind btsootfs's back
# (the block unmounted), --repair exits 8, names what it would delete, and
# leaves the remote unchanged by an independent manifest (before the guard
# it trashed 11 of the 13 remote entries); --force without --repair is a
# usage error; --repair --force applies it, the deleted files land in the
# trash, and the remote equals the source. A small repair (one deleted
# file) needs no --force.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d"
for i in $(seq 10); do echo "f$i" > "$SRC/d/f$i"; done
echo a > "$SRC/a"; echo b > "$SRC/b"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
remote_state() { (cd "$REM" && find . -printf '%y %m %s %T@ %P\n' | LC_ALL=C sort) > "$1"; }

mkdir "$W/away"; mv "$SRC/d" "$W/away/"
remote_state "$W/before"; manifest "$REM" "$W/mbefore"
"$VERIFY" --repair t >"$W/out" 2>"$W/err"; rc=$?
assert_eq 8 "$rc" "verify --repair deleting 11 of 13 entries is refused with exit 8"
grep -q "would delete d" "$W/err" && pass "the refusal names what it would delete" ||
	fail "no list of deletions: $(head -3 "$W/err")"
grep -q -- "--force" "$W/err" && pass "the refusal says how to go on" || fail "no --force hint"
remote_state "$W/after"; manifest "$REM" "$W/mafter"
cmp -s "$W/before" "$W/after" && cmp -s "$W/mbefore" "$W/mafter" &&
	pass "the refused repair changed nothing on the remote" ||
	fail "the refused repair changed the remote: $(diff "$W/before" "$W/after" | head -5)"

"$VERIFY" --force t >/dev/null 2>&1; rc=$?
assert_eq 2 "$rc" "--force without --repair is a usage error"

"$VERIFY" -q --repair --force t >/dev/null 2>&1; rc=$?
assert_eq 0 "$rc" "verify --repair --force applies it"
assert_trees_equal "$SRC" "$REM" "the remote equals the source after --force"
assert_eq f3 "$(cat "$REM"/.btsoot/trash/*/d/f3 2>&1)" "the deleted files are in the trash"

mv "$W/away/d" "$SRC/"
"$VERIFY" -q --repair t >/dev/null 2>&1; rc=$?
assert_eq 0 "$rc" "verify --repair copying the files back needs no --force"
rm "$SRC/d/f1"
"$VERIFY" -q --repair t >/dev/null 2>&1; rc=$?
assert_eq 0 "$rc" "a small repair (1 of 13 deleted) needs no --force"
assert_verified_equal "after the small repair"
finish
