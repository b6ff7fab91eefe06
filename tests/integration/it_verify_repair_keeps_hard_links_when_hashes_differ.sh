#!/bin/bash
# Proves: btsoot-verify --repair (which hashes) keeps a hard-link group one
# file on the remote when it finds the content of one of its names
# different. Hashes of a directory's files are judged after the walk went
# below it, where it may have linked another name to the remote file
# already: that file is rewritten in place, not replaced by a new copy that
# would leave the other name on the old one (the torture test found a
# final sync exiting 0 with such a split, the old content under one name).
. "$(dirname "$0")/lib.sh"
setup
mkdir "$SRC/d"
echo "source content" > "$SRC/a"; ln "$SRC/a" "$SRC/d/b"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
assert_eq "$(stat -c %i "$REM/a")" "$(stat -c %i "$REM/d/b")" "a and d/b are one file on the remote"
# The remote's a: other bytes, same size and mtime (only hashing sees it);
# d/b gone from the remote.
touch -r "$REM/a" "$W/times"
echo "REMOTE content" > "$REM/a"; touch -r "$W/times" "$REM/a"
rm "$REM/d/b"
"$VERIFY" --repair t > "$W/verify.out" 2>&1; rc=$?
assert_eq 0 "$rc" "verify --repair exits 0 (everything it found repaired)"
assert_eq "$(stat -c %i "$REM/a")" "$(stat -c %i "$REM/d/b" 2>&1)" \
	"a and d/b are one file on the remote again"
assert_eq "source content" "$(cat "$REM/d/b" 2>&1)" "d/b holds the source's content"
assert_trees_equal "$SRC" "$REM" "remote equals source, hard-link groups included"
"$VERIFY" t > "$W/verify2.out" 2>&1; rc=$?
assert_eq 0 "$rc" "a second verify finds nothing"
finish
