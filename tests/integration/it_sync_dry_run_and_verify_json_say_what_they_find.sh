#!/bin/bash
# Proves: `btsoot-sync --dry-run --json` prints one JSON object and
# nothing else on stdout, changes nothing (remote and journal rows as they
# were), and says what the sync would do: before the first sync that a
# rescan would run and why, with every difference; after it, the
# journal's rows, the files to copy and their bytes (4096 written through
# the mount), and the paths it would delete; a sync that cannot start
# (remote marker missing) gives exit_code 3 and its error in the object.
# `btsoot-verify --json` lists every difference with its kind and path
# (a name with a newline, a quote and an invalid UTF-8 byte escaped, the
# byte as \ufffd) and the counts, with the exit status of a plain verify.
# The dry run records nothing as a sync run and the verify records its
# result. (A real sync's --json: it_sync_json_says_how_the_run_ended.)
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || { echo "FAIL: jq needed (tools/install-deps.sh installs it)"; exit 1; }
json() { jq -r "$1" "$2" 2>/dev/null || echo PARSE-ERROR; }

mkdir "$SRC/d"
echo one > "$SRC/d/gone"
echo two > "$SRC/stays"
"$BTSOOT" add t "$SRC" "$REM" > /dev/null || { fail "add"; finish; exit 1; }

# --- before the first sync: a rescan, with the differences
"$SYNC" --dry-run --json t > "$W/d.json" 2> "$W/d.err"; rc=$?
assert_eq 0 "$rc" "dry run before the first sync exits 0"
jq -e . "$W/d.json" > /dev/null && pass "its output is one JSON document" || fail "not JSON: $(cat "$W/d.json")"
assert_eq true "$(json .rescan.needed "$W/d.json")" "a rescan is needed"
json .rescan.reason "$W/d.json" | grep -q "first sync" && pass "because it is the first sync" ||
	fail "reason: $(json .rescan.reason "$W/d.json")"
assert_eq "d stays" "$(json '[.differences[] | select(.kind == "missing") | .path] | sort | join(" ")' "$W/d.json")" \
	"every missing entry is listed with kind and path (a directory once, with what it holds)"
assert_eq null "$(json .files_to_copy "$W/d.json")" "files to copy: decided by the rescan (null)"
assert_eq "" "$(ls -A "$REM" | grep -v '^.btsoot$')" "the dry run copied nothing"

run_sync t > /dev/null || fail "first sync"
assert_eq 0 "$(journal_meta last_sync_exit)" "the sync recorded exit 0"
mount_block t

# --- after it: the journal's plan
head -c 4096 /dev/urandom > "$SRC/new"
rm "$SRC/d/gone"
mv "$SRC/stays" "$SRC/moved"
sync "$SRC/new"; sync "$SRC"
manifest "$REM" "$W/rem.before"
rows_before=$(sqlite3 "$BTSOOT_STATE_DIR/t/journal.db" "SELECT count(*) FROM ops")
end_before=$(journal_meta last_sync_end)
"$SYNC" -n --json t > "$W/d.json" 2> "$W/d.err"; rc=$?
assert_eq 0 "$rc" "dry run exits 0"
jq -e . "$W/d.json" > /dev/null && pass "its output is one JSON document" || fail "not JSON: $(cat "$W/d.json")"
assert_eq false "$(json .rescan.needed "$W/d.json")" "no rescan needed"
assert_eq t "$(json .block "$W/d.json")" "block"
assert_eq 0 "$(json .exit_code "$W/d.json")" "exit_code in the object"
r=$(json .journal.rows "$W/d.json")
[ "$r" -ge 3 ] 2>/dev/null && pass "journal rows counted ($r)" || fail "rows: $r"
assert_eq 1 "$(json .journal.renames "$W/d.json")" "one rename"
assert_eq 1 "$(json .files_to_copy "$W/d.json")" "one file to copy"
assert_eq new "$(json '.copies | join(" ")' "$W/d.json")" "the file to copy is named"
assert_eq 4096 "$(json .bytes_to_copy "$W/d.json")" "bytes to copy"
assert_eq "d/gone" "$(json '.deletions | join(" ")' "$W/d.json")" "the deletion is named"
assert_eq 1 "$(json .journal.deletions "$W/d.json")" "one deletion counted"
manifest "$REM" "$W/rem.after"
cmp -s "$W/rem.before" "$W/rem.after" && pass "the dry run left the remote as it was" || fail "the dry run changed the remote"
assert_eq "$rows_before" "$(sqlite3 "$BTSOOT_STATE_DIR/t/journal.db" "SELECT count(*) FROM ops")" \
	"the dry run left the journal's rows"
assert_eq "$end_before" "$(journal_meta last_sync_end)" "a dry run is not recorded as a sync"

# --- a dry run that cannot start
mv "$REM/.btsoot/marker" "$W/marker"
"$SYNC" -n --json t > "$W/d.json" 2> "$W/d.err"; rc=$?
assert_eq 3 "$rc" "dry run without the marker exits 3"
assert_eq 3 "$(json .exit_code "$W/d.json")" "exit_code 3 in the object"
json .error "$W/d.json" | grep -q "no btsoot marker" && pass "the error is in the object" ||
	fail "error: $(cat "$W/d.json")"
mv "$W/marker" "$REM/.btsoot/marker"

run_sync t > /dev/null || fail "sync"
umount_block

# --- verify --json: kinds, paths, escaping
odd=$(printf 'odd\nname "q" \xff.txt')
echo x > "$SRC/$odd"
echo changed >> "$SRC/moved"
touch -d @1000000000 "$SRC/moved"
echo planted > "$REM/extra"
"$VERIFY" --json t > "$W/v.json" 2> "$W/v.err"; rc=$?
assert_eq 1 "$rc" "verify --json exits 1 for differences"
jq -e . "$W/v.json" > /dev/null && pass "verify --json parses" || fail "not JSON: $(cat "$W/v.json")"
python3 -m json.tool "$W/v.json" > /dev/null 2>&1 && pass "python's json.tool parses it too" ||
	fail "json.tool refuses it"
assert_eq full "$(json .mode "$W/v.json")" "mode full"
assert_eq "odd\\nname \"q\" \\ufffd.txt" "$(grep -o '"odd[^,]*\.txt"' "$W/v.json" | sed 's/^"//; s/"$//; s/\\"/"/g')" \
	"the odd name is escaped: \\n, \\\", invalid byte as \\ufffd"
assert_eq "$(printf 'odd\nname "q" \xef\xbf\xbd.txt')" "$(json '.differences[] | select(.kind == "missing") | .path' "$W/v.json")" \
	"decoded, it is the name with U+FFFD for the invalid byte"
assert_eq extra "$(json '.differences[] | select(.path == "extra") | .kind' "$W/v.json")" "extra entry"
json '[.differences[] | select(.path == "moved") | .kind] | join(" ")' "$W/v.json" | grep -q "size" &&
	pass "a changed file is listed by kind" || fail "moved: $(json '.differences' "$W/v.json")"
# the odd name, moved and extra (and the root's mtime when the new names
# landed in another second than the sync): each entry counted once
n=$(json '[.differences[].path] | unique | length' "$W/v.json")
assert_eq "$n" "$(json .counts.differences "$W/v.json")" "counts.differences is the number of differing paths"
[ "$n" -ge 3 ] && pass "at least the three changed entries differ ($n)" || fail "only $n differ"
assert_eq 1 "$(json .exit_code "$W/v.json")" "exit_code in the object"
assert_eq "$n differences" "$(json .result "$W/v.json")" "result"
assert_eq "$n" "$(journal_meta last_verify_differences)" "verify recorded the count"
assert_eq 1 "$(journal_meta last_verify_exit)" "verify recorded its exit code"
"$VERIFY" --json --repair t > "$W/v.json" 2> "$W/v.err"; rc=$?
assert_eq 0 "$rc" "verify --repair --json exits 0 once repaired"
# (the root's mtime may differ by now too: counted by this run)
assert_eq "$(json .counts.differences "$W/v.json")" "$(json .counts.repaired "$W/v.json")" \
	"every difference is counted as repaired"
r=$(json .counts.repaired "$W/v.json")
[ "$r" -ge 3 ] && pass "at least the three changed entries repaired ($r)" || fail "repaired $r"
"$VERIFY" --json t > "$W/v.json"; rc=$?
assert_eq 0 "$rc" "verify --json of equal trees exits 0"
assert_eq "0 equal" "$(json '"\(.differences | length) \(.result)"' "$W/v.json")" "no differences listed; result equal"
finish
