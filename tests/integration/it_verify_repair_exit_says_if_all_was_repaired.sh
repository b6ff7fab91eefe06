#!/bin/bash
# Proves: btsoot-verify --repair exits 0 when it repaired every difference it
# found, even where one entry (the root, a file, a directory) differs in
# several ways at once (mode and mtime print two lines but are one repair;
# they used to be counted twice and gave exit 1 after a full repair). And a
# repair the remote refuses (an immutable directory) exits 1, not 0 nor 3
# "remote missing": the remote still differs, as the next verify says.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/d" "$SRC/locked"; echo a > "$SRC/a"; echo x > "$SRC/d/x"
echo f > "$SRC/f"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
# Several differences per entry, on the root itself too.
echo zz >> "$REM/a"
chmod 700 "$REM/f"; touch -d 2001-01-01 "$REM/f"
chmod 700 "$REM/d"; touch -d 2001-01-01 "$REM/d"
echo extra > "$REM/extra"
chmod 700 "$REM"; touch -d 2001-01-01 "$REM"
"$VERIFY" t > "$W/v1.out" 2>&1; assert_eq 1 $? "verify reports the differences"
"$VERIFY" --repair t > "$W/v2.out" 2>&1; rc=$?
assert_eq 0 $rc "verify --repair exits 0 after repairing everything"
[ $rc -eq 0 ] || cat "$W/v2.out"
grep -q "^mode \.: " "$W/v2.out" && grep -q "^mtime \.: " "$W/v2.out" &&
	pass "the root's two differences were both reported" || fail "root lines missing"
assert_verified_equal "after the repair"
# A difference the repair cannot fix: an extra entry in an immutable
# remote directory cannot be moved to the trash.
if chattr +i "$REM/locked" 2>/dev/null; then
	chattr -i "$REM/locked"; echo planted > "$REM/locked/planted"; chattr +i "$REM/locked"
	"$VERIFY" --repair t > "$W/v3.out" 2>&1
	assert_eq 1 $? "a repair the remote refuses exits 1: the remote still differs"
	"$VERIFY" t > "$W/v4.out" 2>&1; assert_eq 1 $? "the next verify still finds it"
	chattr -i "$REM/locked"
else
	echo "# chattr +i unsupported on $REM: unrepairable case not exercised"
fi
finish
