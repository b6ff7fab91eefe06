#!/bin/bash
# Proves: `btsoot-sync --json BLOCK` (a real sync, not --dry-run) changes
# the remote as a plain sync does and prints one JSON object and nothing
# else on stdout (jq and python3 -m json.tool parse it), with what the run
# did: for the first sync a rescan and why, the entries compared and the
# files and bytes copied; for a replay the journal rows replayed, the one
# file and its 3000 bytes copied, the rename and the deletion (trashed);
# exit_code 0 and error null. A sync that cannot start (the remote's
# marker gone) exits 3 as without --json, and its object holds exit_code
# 3 and the error line stderr shows, and no counts.
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || { echo "FAIL: jq needed (tools/install-deps.sh installs it)"; exit 1; }
json() { jq -r "$1" "$W/s.json" 2>/dev/null || echo PARSE-ERROR; }
parses() { # WHAT
	jq -e . "$W/s.json" > /dev/null && python3 -m json.tool "$W/s.json" > /dev/null &&
		pass "$1: stdout is one JSON document (jq, json.tool)" || fail "$1: not JSON: $(cat "$W/s.json")"
}

mkdir "$SRC/d"
for i in 1 2 3; do echo "file $i" > "$SRC/d/f$i"; done
echo old > "$SRC/old"
"$BTSOOT" add t "$SRC" "$REM" > /dev/null || { fail "add"; finish; exit 1; }

"$SYNC" --json --no-syslog t > "$W/s.json" 2> "$W/s.err"; rc=$?
assert_eq 0 "$rc" "first sync --json exits 0"
parses "first sync"
assert_trees_equal "$SRC" "$REM" "the first sync with --json mirrored the source"
assert_eq "t false 0 null" "$(json '"\(.block) \(.dry_run) \(.exit_code) \(.error)"')" \
	"block, dry_run false, exit_code 0, error null"
assert_eq true "$(json .rescan.needed)" "a rescan ran"
json .rescan.reason | grep -q "first sync" && pass "and says why" || fail "reason: $(json .rescan.reason)"
assert_eq 4 "$(json .files_copied)" "four files copied"
assert_eq 25 "$(json .bytes_copied)" "their 25 bytes"
assert_eq 5 "$(json .compared)" "the five entries below the root compared"

mount_block t
head -c 3000 /dev/urandom > "$SRC/d/new"
mv "$SRC/old" "$SRC/renamed"
rm "$SRC/d/f1"
sync "$SRC/d/new"
"$SYNC" --json --no-syslog t > "$W/s.json" 2> "$W/s.err"; rc=$?
assert_eq 0 "$rc" "replaying sync --json exits 0"
parses "replay"
assert_eq false "$(json .rescan.needed)" "no rescan"
r=$(json .rows_replayed)
[ "$r" -ge 3 ] 2>/dev/null && pass "journal rows replayed counted ($r)" || fail "rows: $r"
assert_eq "1 3000 1" "$(json '"\(.files_copied) \(.bytes_copied) \(.renamed)"')" \
	"one file, its 3000 bytes, one rename"
t=$(json .trashed)
[ "$t" -ge 1 ] 2>/dev/null && pass "the deletion was trashed ($t)" || fail "trashed: $t"
assert_eq 0 "$(json .exit_code)" "exit_code 0"
umount_block
assert_trees_equal "$SRC" "$REM" "the replay with --json mirrored the source"

mv "$REM/.btsoot/marker" "$W/marker"
"$SYNC" --json --no-syslog t > "$W/s.json" 2> "$W/s.err"; rc=$?
assert_eq 3 "$rc" "sync --json without the remote's marker exits 3, as without --json"
parses "failure"
assert_eq 3 "$(json .exit_code)" "exit_code 3 in the object"
assert_eq "$(sed 's/^btsoot-sync: //' "$W/s.err")" "$(json .error)" "the error is stderr's line"
assert_eq null "$(json .files_copied)" "no counts for a sync that did not start"
mv "$W/marker" "$REM/.btsoot/marker"
finish
