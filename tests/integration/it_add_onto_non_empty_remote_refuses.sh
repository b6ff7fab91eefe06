#!/bin/bash
# Proves: `btsoot add` onto a remote directory that already holds other
# data (the share's root instead of a subfolder) refuses with exit 8,
# saying how many entries are there and naming some, and changes nothing:
# no block, no .btsoot on the remote. A remote holding only .btsoot is
# accepted. `add --adopt` onto a mirror of the source: the first sync
# copies what is missing, trashes the one extra file and exits 0, remote
# equal to the source. `add --adopt` onto unrelated data: the first sync
# refuses to trash it (exit 8, remote unchanged); --force applies it.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d"
for i in $(seq 10); do echo "f$i" > "$SRC/d/f$i"; done
echo top > "$SRC/top"
mkdir -p "$REM/photos" "$REM/docs"; echo x > "$REM/photos/p1"; echo y > "$REM/budget.ods"
state() { (cd "$REM" && find . -printf '%y %s %T@ %P\n' | LC_ALL=C sort); }
state > "$W/before"
"$BTSOOT" add t "$SRC" "$REM" >"$W/out" 2>&1; rc=$?
assert_eq 8 "$rc" "add onto a directory holding 3 entries exits 8"
grep -q "holds 3 entries" "$W/out" && pass "it says how many entries are there" ||
	fail "no count: $(cat "$W/out")"
grep -q "photos\|docs\|budget.ods" "$W/out" && pass "it names some of them" ||
	fail "no names: $(cat "$W/out")"
grep -q -- "--adopt" "$W/out" && pass "it offers add --adopt" || fail "no --adopt hint"
assert_eq "" "$("$BTSOOT" list)" "no block was defined"
state > "$W/after"
cmp -s "$W/before" "$W/after" && pass "the remote is unchanged (no .btsoot)" ||
	fail "the remote changed: $(diff "$W/before" "$W/after" | head -5)"

mkdir -p "$W/r2/.btsoot"
"$BTSOOT" add t2 "$SRC" "$W/r2" >/dev/null 2>&1; assert_eq 0 $? "a remote holding only .btsoot is accepted"
"$BTSOOT" remove t2 >/dev/null

# A mirror of the source made by other means (cp -a), one file missing,
# one extra.
mkdir "$W/r3"; cp -a "$SRC/." "$W/r3/"; rm "$W/r3/d/f5"; echo old > "$W/r3/d/gone"
"$BTSOOT" add --adopt t3 "$SRC" "$W/r3" >/dev/null 2>&1; assert_eq 0 $? "add --adopt onto a mirror"
"$SYNC" t3 >"$W/out" 2>&1; rc=$?
assert_eq 0 "$rc" "the first sync of the adopted mirror exits 0"
assert_trees_equal "$SRC" "$W/r3" "the adopted mirror equals the source"
assert_eq old "$(cat "$W"/r3/.btsoot/trash/*/d/gone 2>&1)" "the extra file is in the trash"

"$BTSOOT" add --adopt t "$SRC" "$REM" >/dev/null 2>&1; assert_eq 0 $? "add --adopt onto unrelated data"
state | grep -v " \.btsoot" > "$W/before"
"$SYNC" t >"$W/out" 2>&1; rc=$?
assert_eq 8 "$rc" "the first sync refuses to trash the unrelated data"
state | grep -v " \.btsoot" > "$W/after"
cmp -s "$W/before" "$W/after" && pass "the refused sync changed nothing on the remote" ||
	fail "the refused sync changed the remote: $(diff "$W/before" "$W/after" | head -5)"
"$SYNC" --force t >/dev/null 2>&1; assert_eq 0 $? "--force applies it"
assert_trees_equal "$SRC" "$REM" "the remote equals the source after --force"
finish
