#!/bin/bash
# Proves: `btsoot check` changes nothing (every file of the state dir and
# of the remote, names and bytes, the same before and after, unmounted and
# mounted) and says one line per finding, each "ok", "warn" or "fail":
# all ok (exit 0) for a mounted, synced, verified block; a warning (exit 1)
# when btsootfs is not mounted; and a failure with the exit code of its
# part for: a dead btsootfs mount after kill -9 (source, 4, naming ENOTCONN
# and umount -l), the remote's marker naming another block (remote, 3), a
# garbled meta value (journal, 5, naming the key), an unknown key in the
# block file (config, 2), a missing remote (3). Every --json output parses,
# its findings match the lines, and its counts and exit_code are right.
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || { echo "FAIL: jq needed (tools/install-deps.sh installs it)"; exit 1; }
ST="$BTSOOT_STATE_DIR/t"
J="$ST/journal.db"

# Names and contents of every file under DIRS (modes of directories too).
snapshot() { # OUT DIR...
	local out=$1; shift
	find "$@" -printf '%y %m %s %p\n' | LC_ALL=C sort > "$out"
	find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r md5sum >> "$out"
}
# check exits WANT; the line "LEVEL AREA: ...MATCH..." is there.
check_says() { # WANT LEVEL AREA MATCH WHAT
	local rc
	"$BTSOOT" check t > "$W/c.out" 2> "$W/c.err"; rc=$?
	assert_eq "$1" "$rc" "$5: check exits $1"
	grep -qE "^$2 +$3: .*$4" "$W/c.out" && pass "$5: '$2 $3: ...$4...'" ||
		{ fail "$5: no '$2 $3' line matching '$4'"; cat "$W/c.out" "$W/c.err"; }
	bad=$(grep -vE '^(ok  |warn|fail) [a-z]+: ' "$W/c.out")
	assert_eq "" "$bad" "$5: every line starts with ok/warn/fail and its part"
}
# --json: parses; the findings are the lines; counts and exit_code agree.
check_json() { # WANT WHAT
	local rc
	"$BTSOOT" check t --json > "$W/c.json" 2>/dev/null; rc=$?
	assert_eq "$1" "$rc" "$2: check --json exits $1"
	jq -e . "$W/c.json" > /dev/null || { fail "$2: not JSON: $(cat "$W/c.json")"; return; }
	assert_eq "$1" "$(jq -r .exit_code "$W/c.json")" "$2: exit_code in the object"
	"$BTSOOT" check t > "$W/c.out" 2>/dev/null
	assert_eq "$(cat "$W/c.out")" \
		"$(jq -r '.findings[] | "\(.level | . + "    " | .[0:4]) \(.area): \(.message)"' "$W/c.json")" \
		"$2: the JSON findings are the lines"
	for lv in ok warn fail; do
		assert_eq "$(grep -c "^$lv " "$W/c.out")" "$(jq -r ".$lv" "$W/c.json")" "$2: the $lv count"
	done
}

echo hello > "$SRC/f"
mkdir "$SRC/d" && echo there > "$SRC/d/g"
"$BTSOOT" add t "$SRC" "$REM" > /dev/null || { fail "add"; finish; exit 1; }
run_sync t > /dev/null || fail "first sync"

# --- unmounted: a warning, and nothing changes
check_says 1 warn source "not mounted" "unmounted"
snapshot "$W/before" "$ST" "$REM"
"$BTSOOT" check t > /dev/null 2>&1
"$BTSOOT" check t --json > /dev/null 2>&1
snapshot "$W/after" "$ST" "$REM"
diff "$W/before" "$W/after" > "$W/changed" && pass "unmounted: check changed nothing in the state dir or the remote" ||
	{ fail "unmounted: check changed:"; head "$W/changed"; }
check_json 1 "unmounted"

# --- mounted, synced, verified: all ok
mount_block t
echo more > "$SRC/d/h"
run_sync t > /dev/null || fail "sync while mounted"
"$VERIFY" -q t > /dev/null || fail "verify"
check_says 0 ok source "mounted at .* \\(pid $DAEMON_PID\\) and answers" "mounted"
grep -q "^ok   remote: .*marker names block 't'" "$W/c.out" && pass "mounted: the marker is checked" ||
	fail "mounted: $(cat "$W/c.out")"
grep -q "^ok   journal: .*quick_check ok" "$W/c.out" && pass "mounted: quick_check runs" || fail "no quick_check line"
grep -q "^ok   journal: schema version 3; every meta value matches" "$W/c.out" && pass "mounted: schema and meta checksums" ||
	fail "no schema line"
assert_eq 0 "$(grep -c '^warn\|^fail' "$W/c.out")" "mounted: no warning, no failure"
check_json 0 "mounted"
# The running daemon shares the journal: the -shm index may move; the
# database, its WAL and everything else may not.
snapshot "$W/before" "$ST" "$REM"
"$BTSOOT" check t > /dev/null 2>&1
snapshot "$W/after" "$ST" "$REM"
diff <(grep -v 'journal.db-shm' "$W/before") <(grep -v 'journal.db-shm' "$W/after") > "$W/changed" &&
	pass "mounted: check changed nothing but SQLite's -shm index" || { fail "mounted: check changed:"; head "$W/changed"; }

# --- a dead mount
expect_daemon_killed KILL
check_says 4 fail source "daemon is gone .*umount -l $SRC" "dead mount"
check_json 4 "dead mount"
grep -q "^warn state: btsootfs stopped uncleanly" "$W/c.out" && pass "dead mount: the unclean stop is a warning" ||
	fail "dead mount: $(cat "$W/c.out")"
umount -l "$SRC"

# --- the remote's marker names another block
cp "$REM/.btsoot/marker" "$W/marker"
printf 'block=other\nid=x\n' > "$REM/.btsoot/marker"
check_says 3 fail remote "belongs to another block" "foreign marker"
check_json 3 "foreign marker"
cp "$W/marker" "$REM/.btsoot/marker"

# --- a garbled meta value (the crc left as it was)
cp "$J" "$W/journal.keep"
sqlite3 "$J" "UPDATE meta SET value = value + 7 WHERE key = 'synced_seq'"
check_says 5 fail journal "corrupt \\(meta 'synced_seq' does not match its checksum" "garbled meta"
check_json 5 "garbled meta"
cp "$W/journal.keep" "$J"
rm -f "$J-wal" "$J-shm"

# --- an unknown key in the block file; a missing remote
cp "$BTSOOT_CONFIG_DIR/blocks/t.conf" "$W/t.conf"
echo "trash_dayz = 3" >> "$BTSOOT_CONFIG_DIR/blocks/t.conf"
check_says 2 fail config "unknown key 'trash_dayz'" "unknown config key"
check_json 2 "unknown config key"
cp "$W/t.conf" "$BTSOOT_CONFIG_DIR/blocks/t.conf"
mv "$REM" "$W/remote.away"
check_says 3 fail remote "No such file or directory" "missing remote"
mv "$W/remote.away" "$REM"
check_says 1 warn source "not mounted" "all back"
"$BTSOOT" check 2> "$W/c.err"; rc=$?
assert_eq 2 "$rc" "check without a block name exits 2"
assert_eq 1 "$(wc -l < "$W/c.err")" "with one line"
finish
