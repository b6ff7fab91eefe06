#!/bin/bash
# Proves: when a comparison of names the journal could not vouch for meets
# several names of one hard-linked file, and the file's trusted name outside
# the comparison cannot be linked to on the remote (the remote holds
# something else there, unknown to the journal), the names compared get one
# remote file between them, not a copy each: the hard-link group stays one
# group on the remote; and a trusted name outside the comparison that the
# remote holds as a file of its own is linked to that one file again (the
# group is made whole). (The torture test found split groups: a final sync
# exited 0 with the remote's names of one file on two inodes.)
. "$(dirname "$0")/lib.sh"
setup
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
# Made through the mount: btsootfs knows the file as d/y, and its rows name
# d/y, never keep/x.
mkdir "$SRC/keep" "$SRC/d"
echo content > "$SRC/d/y"; ln "$SRC/d/y" "$SRC/keep/x"; ln "$SRC/d/y" "$SRC/keep/z"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
# The remote's x is not what the journal says (a symlink now), and a and b
# already exist there: the journal's rows linking y to a and b cannot be
# applied, so y, a and b are compared with the source instead, and x, which
# no row names, is their trusted other name.
rm "$REM/keep/x"; ln -s nowhere "$REM/keep/x"
cp -p "$REM/keep/z" "$W/z"; mv "$W/z" "$REM/keep/z" # the same bytes, a file of its own
echo planted > "$REM/d/a"; echo planted > "$REM/d/b"
ln "$SRC/d/y" "$SRC/d/a" && ln "$SRC/d/y" "$SRC/d/b" || fail "ln through the mount"
run_sync t > "$W/sync.out" 2>&1; rc=$?
assert_eq 0 "$rc" "the sync exits 0"
[ -f "$REM/d/a" ] && [ ! -L "$REM/d/a" ] && pass "a is a regular file on the remote" ||
	fail "a on the remote: $(ls -l "$REM/d/a" 2>&1)"
assert_eq "$(stat -c %i "$REM/d/a") $(stat -c %i "$REM/d/a")" \
	"$(stat -c %i "$REM/d/b") $(stat -c %i "$REM/d/y")" \
	"a, b and y are one file on the remote, as on the source"
assert_eq content "$(cat "$REM/d/b")" "b holds the source's content"
assert_eq "$(stat -c %i "$REM/d/a")" "$(stat -c %i "$REM/keep/z")" \
	"keep/z, outside the comparison, is linked to them again"
# x itself stays as the remote has it until something compares it: the
# journal never saw it change. A repair brings it back into the group.
"$VERIFY" --repair -q t > "$W/verify.out" 2>&1; rc=$?
assert_eq 0 "$rc" "verify --repair exits 0 (everything it found repaired)"
assert_trees_equal "$SRC" "$REM" "remote equals source, hard-link groups included"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
