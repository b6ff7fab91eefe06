#!/bin/bash
# Proves: a comparison of some names (here the directory b, changed while
# btsootfs was not mounted) that meets a hard-linked file whose other name
# lies outside it links the name met to that other name's remote copy only
# if that copy is still the source's file. The rename that made the other
# name (a/first) the file races the comparison: it happens after the sync
# took its list of rows to leave alone, so a/first looks trusted, while the
# remote a/first is still the old file. Before, b/rel was linked to the old
# remote a/first, the rename was then replayed over a/first, and b/rel kept
# the old content with every sync exiting 0 (the torture test, seed
# 1728503677). Now b/rel gets a copy of its own, a/first is compared rather
# than replayed, and the two names end as one file on the remote.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/a" "$SRC/b"
echo "the old first" > "$SRC/a/first"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
run_sync t >/dev/null && pass "first sync" || fail "first sync"
# a/tmp and b/rel: one file, on both sides.
echo "the new file" > "$SRC/a/tmp"; touch -d '2001-02-03 04:05:06' "$SRC/a/tmp"
ln "$SRC/a/tmp" "$SRC/b/rel"
run_sync t >/dev/null && pass "second sync" || fail "second sync"
assert_eq "$(stat -c %i "$REM/a/tmp")" "$(stat -c %i "$REM/b/rel")" "a/tmp and b/rel are one file on the remote"
# b changes while unmounted: the next sync compares b, one level (and only
# b: a changed longer before the unmount than the daemon's margin of 2-3 s).
sleep 4
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
echo offline > "$SRC/b/other"
mount_block t
P="$W/pause"
BTSOOT_PAUSE_BEFORE_RECONCILE=$P "$SYNC" t > "$W/s.out" 2>&1 & sync_pid=$!
for _ in $(seq 300); do [ -e "$P" ] && break; sleep 0.1; done
[ -e "$P" ] && pass "the sync paused before comparing b" || fail "the sync never paused"
mv "$SRC/a/tmp" "$SRC/a/first"
rm -f "$P"
wait $sync_pid; rc=$?
assert_eq 0 "$rc" "the sync exits 0"
assert_eq "the new file" "$(cat "$REM/b/rel")" "the remote b/rel holds the new file"
assert_eq "the new file" "$(cat "$REM/a/first")" "the remote a/first holds the new file"
assert_eq "$(stat -c %i "$REM/a/first")" "$(stat -c %i "$REM/b/rel")" \
	"a/first and b/rel are one file on the remote"
assert_trees_equal "$SRC" "$REM" "remote == source after the sync"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the next sync"
assert_trees_equal "$SRC" "$REM" "remote == source after the next sync"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited cleanly"
finish
