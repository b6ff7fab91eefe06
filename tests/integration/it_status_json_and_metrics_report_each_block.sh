#!/bin/bash
# Proves: `btsoot status --json` (one block: an object; none: an array of
# every block) parses and holds the right values: mounted and the daemon's
# pid, pending rows and bytes (3000 bytes written through the mount), the
# last successful sync as epoch seconds and ISO 8601, the last verify's
# mode, result and difference count, the trash's size (a file the sync
# overwrote), the recheck count. A sync that fails (remote marker moved
# away: exit 3) is recorded with its exit code and error, shown by status
# (JSON and the person's lines: "failed ... with exit 3"), and a later
# success keeps both. `btsoot status --prometheus DIR` writes DIR/btsoot.prom
# by rename (no temp file left), and every line of it is a HELP, TYPE or
# sample line of the exposition format, with the right values; a block
# name needing no escaping and a broken block (a bad config line) do not
# break it. status leaves no -wal/-shm in an unmounted block's state dir.
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || { echo "FAIL: jq needed (tools/install-deps.sh installs it)"; exit 1; }
ST="$BTSOOT_STATE_DIR/t"

json() { # JQ-FILTER FILE: the value, or "PARSE-ERROR"
	jq -r "$1" "$2" 2>/dev/null || echo PARSE-ERROR
}

echo "old contents" > "$SRC/keep"
"$BTSOOT" add t "$SRC" "$REM" > /dev/null || { fail "add"; finish; exit 1; }
run_sync t > /dev/null || fail "first sync"
mount_block t

# --- pending rows and bytes, mounted, pid
head -c 3000 /dev/urandom > "$SRC/new"
echo "new contents, longer than before" > "$SRC/keep" # overwritten: old one to the trash
sync "$SRC/new" "$SRC/keep"
"$BTSOOT" status --json t > "$W/st.json"; rc=$?
assert_eq 0 "$rc" "status --json exits 0"
jq -e . "$W/st.json" > /dev/null && pass "status --json parses" || { fail "status --json: $(cat "$W/st.json")"; }
assert_eq object "$(json type "$W/st.json")" "status --json of one block is an object"
assert_eq t "$(json .name "$W/st.json")" "name"
assert_eq "$SRC" "$(json .source "$W/st.json")" "source"
assert_eq "$REM" "$(json .remote "$W/st.json")" "remote"
assert_eq true "$(json .mounted "$W/st.json")" "mounted while btsootfs runs"
assert_eq "$DAEMON_PID" "$(json .daemon_pid "$W/st.json")" "daemon_pid is the daemon's"
rows=$(json .pending.rows "$W/st.json")
[ "$rows" -ge 3 ] 2>/dev/null && pass "pending rows counted ($rows)" || fail "pending rows: $rows"
bytes=$(json .pending.bytes "$W/st.json")
[ "$bytes" -ge 3000 ] 2>/dev/null && [ "$bytes" -lt 4000 ] && pass "pending bytes ($bytes) cover the 3000 written" ||
	fail "pending bytes: $bytes"
t0=$(json .last_sync.success_time "$W/st.json")
now=$(date +%s)
[ "$t0" -gt $((now - 300)) ] 2>/dev/null && [ "$t0" -le "$now" ] && pass "last sync time is recent epoch seconds" ||
	fail "last_sync.success_time: $t0"
assert_eq "$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)" "$(json .last_sync.success_time_iso "$W/st.json")" \
	"last sync ISO 8601 time matches the epoch seconds"
assert_eq 0 "$(json .last_sync.exit_code "$W/st.json")" "last sync exit code 0 is recorded"
assert_eq null "$(json .last_sync.error "$W/st.json")" "no error for a successful sync"
assert_eq null "$(json .last_verify.time "$W/st.json")" "never verified: null"
assert_eq 0 "$(json .recheck.count "$W/st.json")" "recheck count"

# --- after a sync and a verify: trash, verify result
run_sync t > /dev/null || fail "sync of the changes"
"$VERIFY" --quick t > /dev/null 2>&1
"$BTSOOT" status --json t > "$W/st.json"
assert_eq 0 "$(json .pending.rows "$W/st.json")" "nothing pending after the sync"
assert_eq quick "$(json .last_verify.mode "$W/st.json")" "last verify mode quick"
assert_eq equal "$(json .last_verify.result "$W/st.json")" "last verify result"
assert_eq 0 "$(json .last_verify.differences "$W/st.json")" "last verify differences"
assert_eq 0 "$(json .last_verify.exit_code "$W/st.json")" "last verify exit code"
tb=$(json .trash.bytes "$W/st.json")
# the overwritten file and its run folder's log
assert_eq "$(find "$REM/.btsoot/trash" -type f -printf '%s\n' | awk '{s += $1} END {print s}')" "$tb" \
	"trash bytes are what the trash holds"
[ "$tb" -ge "$(stat -c %s "$REM"/.btsoot/trash/*/keep)" ] && pass "the overwritten file is counted" ||
	fail "trash bytes $tb"
assert_eq "$(find "$REM/.btsoot/trash" -type f | wc -l)" "$(json .trash.files "$W/st.json")" "trash files"
assert_eq 1 "$(json .trash.runs "$W/st.json")" "one sync's folder in the trash"
"$BTSOOT" status t > "$W/st.txt"
grep -q "^btsootfs *mounted (pid $DAEMON_PID)" "$W/st.txt" && pass "status says mounted with the pid" ||
	fail "status mount line: $(cat "$W/st.txt")"
grep -q "^trash  *[0-9.]* [KM]\?i\?B in [0-9]* files\? (1 sync, kept 30 days)" "$W/st.txt" && pass "status shows the trash in units" ||
	fail "status trash line: $(grep trash "$W/st.txt")"

# --- a failed sync is recorded, then a success after it
mv "$REM/.btsoot/marker" "$W/marker"
"$SYNC" -q t > /dev/null 2>&1; rc=$?
assert_eq 3 "$rc" "sync without the remote's marker exits 3"
"$BTSOOT" status --json t > "$W/st.json"
assert_eq 3 "$(json .last_sync.exit_code "$W/st.json")" "the failed sync's exit code is recorded"
json .last_sync.error "$W/st.json" | grep -q "no btsoot marker" && pass "its error is recorded" ||
	fail "last_sync.error: $(json .last_sync.error "$W/st.json")"
succ=$(json .last_sync.success_time "$W/st.json")
end=$(json .last_sync.end_time "$W/st.json")
[ "$end" -ge "$succ" ] && pass "the failed run ended after the last success" || fail "end $end success $succ"
"$BTSOOT" status t > "$W/st.txt"
grep -q "^  last run *failed .* with exit 3: remote .*no btsoot marker" "$W/st.txt" &&
	pass "status tells a person the last sync failed, how and why" || fail "status: $(cat "$W/st.txt")"

# --- metrics
mkdir -p "$W/prom"
"$BTSOOT" status --prometheus "$W/prom"; rc=$?
assert_eq 0 "$rc" "status --prometheus exits 0"
assert_eq "btsoot.prom" "$(ls -A "$W/prom")" "only btsoot.prom is left in DIR (written by rename)"
P="$W/prom/btsoot.prom"
bad=$(grep -vnE '^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$|^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter)$|^[a-zA-Z_:][a-zA-Z0-9_:]*\{block="([^"\\]|\\["\\n])*"\} -?[0-9]+$' "$P")
assert_eq "" "$bad" "every line of btsoot.prom is a HELP, TYPE or sample line"
for m in btsoot_last_sync_success_timestamp_seconds btsoot_pending_rows btsoot_pending_bytes \
	 btsoot_last_verify_timestamp_seconds btsoot_last_verify_differences btsoot_trash_bytes btsoot_mounted; do
	# HELP, then TYPE, then the samples, in that order
	got=$(grep -E "^(# (HELP|TYPE) )?$m[ {]" "$P" | sed -E 's/^# (HELP|TYPE) .*/\1/; s/^[a-z_]+\{.*/sample/' | tr '\n' ' ')
	assert_eq "HELP TYPE sample " "$got" "$m: HELP, TYPE and one sample"
done
sample() { sed -n "s/^$1{block=\"$2\"} //p" "$P"; }
assert_eq "$succ" "$(sample btsoot_last_sync_success_timestamp_seconds t)" "metric: last success"
assert_eq 3 "$(sample btsoot_last_sync_exit_code t)" "metric: last sync exit code"
assert_eq 1 "$(sample btsoot_mounted t)" "metric: mounted"
assert_eq 0 "$(sample btsoot_pending_rows t)" "metric: pending rows"
assert_eq "$tb" "$(sample btsoot_trash_bytes t)" "metric: trash bytes"
assert_eq 0 "$(sample btsoot_last_verify_differences t)" "metric: verify differences"
n=$(grep -c '^# TYPE' "$P"); m=$(grep -c '^# HELP' "$P")
assert_eq "$n" "$m" "as many HELP as TYPE lines"
assert_eq "$n" "$(grep '^# TYPE' "$P" | sort -u | wc -l)" "each metric has one TYPE line"

mv "$W/marker" "$REM/.btsoot/marker"
run_sync t > /dev/null || fail "sync with the marker back"
"$BTSOOT" status --json t > "$W/st.json"
assert_eq 0 "$(json .last_sync.exit_code "$W/st.json")" "a later success records exit 0"
umount_block

# --- every block, a broken one among them; no -wal/-shm after status
mkdir -p "$W/src2" "$W/rem2"
"$BTSOOT" add u.2 "$W/src2" "$W/rem2" > /dev/null || fail "add u.2"
printf 'source = %s\nremote = %s\nbogus = 1\n' "$W/src2" "$W/rem2" > "$BTSOOT_CONFIG_DIR/blocks/broken.conf"
rm -f "$ST/journal.db-wal" "$ST/journal.db-shm"
"$BTSOOT" status --json > "$W/all.json"; rc=$?
assert_eq 2 "$rc" "status of every block exits 2 for the broken block file"
assert_eq array "$(json type "$W/all.json")" "status --json without a block is an array"
assert_eq "broken t u.2" "$(json '[.[].name] | join(" ")' "$W/all.json")" "one object per block"
json '.[] | select(.name == "broken") | .error' "$W/all.json" | grep -q "unknown key 'bogus'" &&
	pass "the broken block's object says why" || fail "broken: $(cat "$W/all.json")"
assert_eq false "$(json '.[] | select(.name == "t") | .mounted' "$W/all.json")" "t is not mounted now"
assert_eq "" "$(ls "$ST" | grep -E 'journal.db-(wal|shm)')" "status created no -wal/-shm file"
"$BTSOOT" status --prometheus "$W/prom"; rc=$?
assert_eq 0 "$rc" "metrics are written with a broken block among them"
assert_eq 0 "$(sample btsoot_journal_readable broken)" "metric: the broken block is unreadable"
assert_eq "" "$(sample btsoot_pending_rows broken)" "no made-up sample for the broken block"
assert_eq 0 "$(sample btsoot_mounted t)" "metric: t not mounted"
assert_eq 0 "$(sample btsoot_last_verify_timestamp_seconds u.2)" "metric: u.2 never verified"
"$BTSOOT" status --prometheus "$W/nonexistent/dir" 2> "$W/p.err"; rc=$?
assert_eq 7 "$rc" "metrics into a missing directory: exit 7"
assert_eq 1 "$(wc -l < "$W/p.err")" "one line says so"
"$BTSOOT" status t --prometheus "$W/prom" 2> /dev/null; rc=$?
assert_eq 2 "$rc" "--prometheus with a block name is refused"
finish
