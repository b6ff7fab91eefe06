#!/bin/bash
# Proves: when a comparison of some names (the directory d, changed while
# btsootfs was not mounted) makes a hard-link group whole again by relinking
# a name outside it (keep/x, which the remote held as a stale file of its
# own), the remote directory of that name keeps the source's times: the
# relink retires and links a name in it, which moves the remote directory's
# mtime, and nothing else would compare that directory (the torture test,
# seed 2827481969: a directory's mtime differed after the final sync).
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/keep" "$SRC/d"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
echo content > "$SRC/d/y"; ln "$SRC/d/y" "$SRC/keep/x"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
# The remote's keep/x: a file of its own, older, unknown to the journal;
# keep's own times as the source has them.
cp "$REM/keep/x" "$W/x"; touch -d '2001-01-01' "$W/x"; mv "$W/x" "$REM/keep/x"
touch -r "$SRC/keep" "$REM/keep"
# d changes while unmounted, long enough after the last change for keep not
# to be picked (the daemon's margin is 2-3 s).
sleep 4
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
echo offline > "$SRC/d/new"
mount_block t
run_sync t > "$W/sync.out" 2>&1; rc=$?
assert_eq 0 "$rc" "the sync exits 0"
assert_eq "$(stat -c %i "$REM/keep/x")" "$(stat -c %i "$REM/d/y")" \
	"keep/x and d/y are one file on the remote again"
assert_eq "$(stat -c %Y.%y "$SRC/keep")" "$(stat -c %Y.%y "$REM/keep")" \
	"the remote keep has the source's mtime"
assert_trees_equal "$SRC" "$REM" "remote == source"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
