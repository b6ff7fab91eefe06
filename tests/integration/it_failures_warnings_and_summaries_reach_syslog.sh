#!/bin/bash
# Proves: btsoot-sync and btsoot-verify send syslog (ident = the program,
# facility daemon) every error and warning and one summary line per run,
# each naming the block, whatever stdout and stderr get: a sync and a
# verify run as cron does (-q, no terminal) print nothing on success while
# syslog gets an info summary (rows replayed, files copied, renamed,
# trashed); a failed sync's one stderr line (remote marker gone, exit 3)
# is in syslog at error level; a verify that finds a difference prints
# only the difference on stdout and syslog gets a warning; --no-syslog
# sends nothing. btsootfs, once detached (no -f), logs its mount and
# unmount to syslog with the block. `btsootfs -o debug` traces each
# journal row on stderr, one line per row (as many lines as rows in
# journal.db), beside libfuse's line for every request it passes through
# (a second line for a reply only when it is an error).
# syslog(3) is replaced by tests/syslogshim.c (LD_PRELOAD), which appends
# "IDENT[PID] <PRIORITY>: MESSAGE" to a file: no syslog daemon is needed.
. "$(dirname "$0")/lib.sh"
setup
SHIM="$B/tests/integration/syslogshim.so"
[ -f "$SHIM" ] || { echo "FAIL: $SHIM not built"; exit 1; }
LOG="$W/syslog"
: > "$LOG"
# LOG_DAEMON (3 << 3) + level
ERR=27; WARNING=28; NOTICE=29; INFO=30
logged() { LD_PRELOAD="$SHIM" BTSOOT_TEST_SYSLOG="$LOG" ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0" "$@"; }
new_lines() { tail -n +$(($1 + 1)) "$LOG"; } # FROM-LINE
lines() { wc -l < "$LOG"; }

mkdir "$SRC/d"
echo one > "$SRC/d/a"
echo two > "$SRC/gone"
echo three > "$SRC/old"
"$BTSOOT" add t "$SRC" "$REM" > /dev/null || { fail "add"; finish; exit 1; }

# --- the first sync, as cron runs it
n=$(lines)
logged "$SYNC" -q t > "$W/out" 2> "$W/err" < /dev/null; rc=$?
assert_eq 0 "$rc" "first sync exits 0"
assert_eq "" "$(cat "$W/out" "$W/err")" "it prints nothing (cron mails nothing)"
got=$(new_lines "$n" | grep -E "^btsoot-sync\[[0-9]+\] <$INFO>: block 't': synced: ")
assert_eq 1 "$(printf '%s' "$got" | grep -c .)" "syslog has one info summary naming the block"
echo "$got" | grep -q "rescan: first sync" && pass "the summary says the rescan and why" ||
	fail "summary: $got"
new_lines "$n" | grep -qE "^btsoot-sync\[[0-9]+\] <$NOTICE>: block 't': first sync: .*; reconciling by rescan" &&
	pass "the rescan notice reaches syslog with -q too" || fail "no rescan notice in syslog"

# --- a journal replay
mount_block t
head -c 5000 /dev/urandom > "$SRC/d/new"
mv "$SRC/old" "$SRC/renamed"
rm "$SRC/gone"
sync "$SRC/d/new"
n=$(lines)
logged "$SYNC" -q t > "$W/out" 2> "$W/err" < /dev/null; rc=$?
assert_eq 0 "$rc" "replaying sync exits 0"
assert_eq "" "$(cat "$W/out" "$W/err")" "it prints nothing"
got=$(new_lines "$n")
echo "$got" | grep -Eq "^btsoot-sync\[[0-9]+\] <$INFO>: block 't': synced: [0-9]+ rows replayed, 1 file copied \(4.9 KiB\), 1 renamed, [12] trashed" &&
	pass "syslog: rows replayed, the file copied, the rename and the deletion ($(echo "$got" | sed -n "s/.*synced: //p"))" ||
	fail "summary: $got"
assert_eq 1 "$(echo "$got" | grep -c "<$INFO>: ")" "one info line for the run"
assert_eq 0 "$(echo "$got" | grep -Ec "<($ERR|$WARNING)>: ")" "no error or warning for a successful run"
assert_eq 0 "$(echo "$got" | grep -vc "block 't'")" "every line names the block"
umount_block

# --- a failure
mv "$REM/.btsoot/marker" "$W/marker"
n=$(lines)
logged "$SYNC" -q t > "$W/out" 2> "$W/err" < /dev/null; rc=$?
assert_eq 3 "$rc" "sync without the remote's marker exits 3"
assert_eq 1 "$(grep -c . "$W/err")" "one line on stderr"
msg=$(sed 's/^btsoot-sync: //' "$W/err")
got=$(new_lines "$n" | grep "<$ERR>: ")
case $got in
*"block 't': $msg"*) pass "syslog has that error at error level, named by the block";;
*) fail "syslog: '$got', stderr: '$msg'";;
esac
n=$(lines)
logged "$SYNC" -q --no-syslog t > /dev/null 2>&1 < /dev/null; rc=$?
assert_eq 3 "$rc" "--no-syslog: the same exit"
assert_eq 0 "$(new_lines "$n" | grep -c .)" "--no-syslog: nothing in syslog"
mv "$W/marker" "$REM/.btsoot/marker"

# --- a verify that finds a difference, and one that finds none
touch -r "$REM" "$W/ref"
echo planted > "$REM/extra"
touch -r "$W/ref" "$REM" # only the extra file differs
n=$(lines)
logged "$VERIFY" -q t > "$W/out" 2> "$W/err" < /dev/null; rc=$?
assert_eq 1 "$rc" "verify of a remote with an extra file exits 1"
assert_eq "extra extra" "$(cat "$W/out")" "stdout names the difference, nothing else"
assert_eq "" "$(cat "$W/err")" "nothing on stderr"
new_lines "$n" | grep -Eq "^btsoot-verify\[[0-9]+\] <$WARNING>: block 't': full verify: 1 difference; " &&
	pass "syslog has a warning: the block, the mode, the count" || fail "syslog: $(new_lines "$n")"
rm "$REM/extra"
touch -r "$W/ref" "$REM"
n=$(lines)
logged "$VERIFY" -q t > /dev/null 2>&1 < /dev/null; rc=$?
assert_eq 0 "$rc" "verify of equal trees exits 0"
new_lines "$n" | grep -Eq "^btsoot-verify\[[0-9]+\] <$INFO>: block 't': full verify: equal; [0-9]+ entries" &&
	pass "syslog has an info summary" || fail "syslog: $(new_lines "$n")"

# --- btsootfs detached
n=$(lines)
logged "$BTSOOTFS" "$SRC" "$SRC" -o block=t 2> "$W/err"; rc=$?
assert_eq 0 "$rc" "btsootfs without -f returns 0 once mounted"
grep -q " $SRC fuse.btsootfs" /proc/mounts && pass "mounted" || fail "not mounted"
echo x > "$SRC/through"
fusermount3 -u "$SRC"
for _ in $(seq 100); do new_lines "$n" | grep -q "unmounted" && break; sleep 0.1; done
assert_eq "" "$(cat "$W/err")" "the detached daemon wrote nothing on stderr"
new_lines "$n" | grep -Eq "^btsootfs\[[0-9]+\] <$NOTICE>: block 't' mounted on " &&
	pass "its mount is in syslog with the block" || fail "syslog: $(new_lines "$n")"
new_lines "$n" | grep -Eq "^btsootfs\[[0-9]+\] <$NOTICE>: block 't' unmounted cleanly" &&
	pass "so is its unmount" || fail "syslog: $(new_lines "$n")"

# --- btsootfs -o debug: a line per journal row and per request
before=$(sqlite3 "$BTSOOT_STATE_DIR/t/journal.db" "SELECT coalesce(max(seq), 0) FROM ops")
"$BTSOOTFS" "$SRC" "$SRC" -o block=t,debug 2> "$W/debug.log" &
pid=$!
for _ in $(seq 100); do grep -q " $SRC fuse.btsootfs" /proc/mounts && break; sleep 0.1; done
mkdir "$SRC/dd"
echo data > "$SRC/dd/f"
mv "$SRC/dd/f" "$SRC/dd/g"
chmod 600 "$SRC/dd/g"
ln -s g "$SRC/dd/link"
rmdir "$SRC/dd" 2>/dev/null && fail "rmdir of a directory that holds files succeeded"
rm "$SRC/renamed"
sync "$SRC/dd/g"
fusermount3 -u "$SRC"
wait "$pid"; rc=$?
assert_eq 0 "$rc" "btsootfs -o debug exits 0 after the unmount"
rows=$(sqlite3 "$BTSOOT_STATE_DIR/t/journal.db" "SELECT count(*) FROM ops WHERE seq > $before")
traced=$(grep -c "^btsootfs: journal: " "$W/debug.log")
[ "$rows" -ge 6 ] && pass "the changes made $rows journal rows" || fail "only $rows rows"
assert_eq "$rows" "$traced" "one trace line per journal row"
for want in "journal: mkdir dd " "journal: rename dd/f -> dd/g " "journal: symlink dd/link " \
	    "journal: unlink renamed " "opcode: MKDIR" "opcode: RENAME" "opcode: SETATTR"; do
	grep -q "^btsootfs: .*$want" "$W/debug.log" && pass "traced: $want" ||
		fail "not traced: $want ($(grep -c . "$W/debug.log") lines)"
done
# one line per request: its reply is traced only when it is an error (the
# rmdir of a directory that is not empty)
requests=$(grep -c "^btsootfs: unique: [0-9]*, opcode: " "$W/debug.log")
assert_eq 0 "$(grep -c "unique: [0-9]*, success" "$W/debug.log")" \
	"no second line for a request that succeeded ($requests requests traced)"
grep -q "^btsootfs:    unique: [0-9]*, error: -39 (Directory not empty)" "$W/debug.log" &&
	pass "a failed request's reply is traced" || fail "no error reply traced"
finish
