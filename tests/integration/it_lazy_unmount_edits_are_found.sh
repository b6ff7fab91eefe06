#!/bin/bash
# Proves: a lazy unmount (`umount -l` while a program holds a file open
# through btsootfs, so the daemon keeps running until that file is closed)
# loses nothing. Edits, new files, deletions and renames made in the bare
# source after the mount left the namespace are found by the next sync,
# although btsootfs stopped only after them: the remote then equals the
# source by an independent manifest; so they are when a sync was running
# as the mount left. While the daemon lingers, a sync
# refuses (exit 4) with a line that says what to do, and a remount says who
# holds the block. The daemon exits 0 and logs only what is expected. Also:
# SIGTERM to the lingering daemon leaves a filesystem mounted at the source
# alone, and kill -9 of it leaves the next sync to reconcile by rescan.
. "$(dirname "$0")/lib.sh"
setup
# Under tools/test-sanitize.sh: a daemon stopped while its detached mount
# is still held leaves two allocations at exit on purpose (the file says
# which and why); only this test's daemons are allowed them.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")/../.." && pwd)/tools/test-sanitize-leaks.supp:print_suppressions=0"

mkdir -p "$SRC/d/sub" "$SRC/keep"
for i in 1 2 3 4; do head -c $((i * 5000)) /dev/urandom > "$SRC/d/f$i"; done
echo held > "$SRC/held"; echo k > "$SRC/keep/k"; echo s > "$SRC/d/sub/s"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null || fail "first sync"

# The daemon's log holds only these lines (and the mount's passthrough
# line): nothing went wrong.
log_is_clean() { # WHAT
	local extra
	extra=$(grep -v -e "^btsootfs: block 't' mounted on " \
		-e "^btsootfs: block 't' unmounted cleanly$" \
		-e "^btsootfs: passthrough: \(on\|off\) (" \
		-e "^btsootfs: block 't': $SRC left the mount namespace" "$W/daemon.log")
	[ -z "$extra" ] && pass "$1" || fail "$1: unexpected daemon log lines: $extra"
}

# The holder has $SRC/held open (its shell opens it after the fork: an
# unmount before that finds nothing held).
wait_held() {
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$HOLDER/fd/0")" = "$SRC/held" ] && return 0
		sleep 0.05
	done
	fail "the holder did not open $SRC/held"
}

# Holds $SRC/held open through the mount, unmounts lazily, waits for the
# daemon to see it.
mount_hold_detach() {
	mount_block t
	echo "through the mount" > "$SRC/d/f1"
	run_sync t >/dev/null || fail "sync while mounted"
	sleep 1000 < "$SRC/held" &
	HOLDER=$!
	wait_held
	fusermount3 -u "$SRC" 2>/dev/null && fail "fusermount3 -u with a file held should say busy"
	umount -l "$SRC"
	grep -q " $SRC fuse.btsootfs" /proc/mounts && fail "the mount is still in the namespace"
	sleep 2
}

: > "$W/daemon.log"
mount_hold_detach
kill -0 "$DAEMON_PID" && pass "btsootfs lingers while a file is held" ||
	fail "btsootfs stopped although a file is held"
# The bare source, now visible at the path.
echo edited >> "$SRC/d/f2"
echo new > "$SRC/d/new"
rm "$SRC/d/f3"
mv "$SRC/d/f4" "$SRC/d/sub/f4-renamed"
mv "$SRC/keep" "$SRC/kept"
mkdir "$SRC/newdir"; echo n > "$SRC/newdir/n"
chmod 600 "$SRC/d/sub/s"
"$SYNC" -q t > "$W/s.out" 2> "$W/s.err"; rc=$?
assert_eq 4 "$rc" "a sync while the detached daemon lingers refuses with exit 4"
grep -q "kill $DAEMON_PID" "$W/s.err" && [ "$(wc -l < "$W/s.err")" -eq 1 ] &&
	pass "the refusal is one line that says what to do" || fail "refusal: $(cat "$W/s.err")"
"$BTSOOTFS" "$SRC" "$SRC" -o block=t -f > "$W/m.out" 2>&1; rc=$?
assert_eq 6 "$rc" "a second mount while the daemon lingers exits 6"
grep -q "still runs for it.*kill $DAEMON_PID" "$W/m.out" && pass "and says why the block is busy" ||
	fail "remount: $(cat "$W/m.out")"
sleep 3 # the old btsootfs recorded its stop minus 2 s: be older than that
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
expect_daemon_exit "btsootfs exits 0 once the held file is closed"
log_is_clean "the daemon logged nothing unexpected"
grep -q "left the mount namespace" "$W/daemon.log" && pass "the daemon noticed the detach" ||
	fail "the daemon did not notice the detach"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "sync after the daemon exited"
assert_trees_equal "$SRC" "$REM" "edits made after the lazy unmount are on the remote"

# A sync that began while mounted and ends after the mount left (paused by
# a test hook before its offline repair, which then marks the changes made
# while unmounted as covered): offline_since must still point before the
# detach while the daemon lingers, and the edits are found after it.
J="$BTSOOT_STATE_DIR/t/journal.db"
offline_since() { local v; v=$(sqlite3 -readonly "$J" \
	"select value from meta where key='offline_since'" 2>/dev/null); echo "${v%%[^0-9]*}"; }
echo "made while unmounted" > "$SRC/d/offline"
: > "$W/daemon.log"
mount_block t
P="$W/pause"
BTSOOT_PAUSE_BEFORE_OFFLINE_REPAIR=$P "$SYNC" -q t > "$W/s1.out" 2>&1 & sync_pid=$!
for _ in $(seq 300); do [ -e "$P" ] && break; sleep 0.1; done
[ -e "$P" ] || fail "the sync never reached the offline repair"
sleep 1000 < "$SRC/held" & HOLDER=$!
wait_held
umount -l "$SRC"; detached_at=$(date +%s%N)
sleep 2
echo "edited after the detach" > "$SRC/kept/k"; mkdir "$SRC/during"; echo x > "$SRC/during/x"
rm -f "$P"; wait $sync_pid; rc=$?
assert_eq 0 "$rc" "the sync that spanned the detach finished"
sleep 1.5
since=$(offline_since)
[ -n "$since" ] && [ "$since" -gt 0 ] && [ "$since" -le "$detached_at" ] &&
	pass "while the daemon lingers offline_since is before the detach" ||
	fail "offline_since is '$since', the detach was at $detached_at"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
expect_daemon_exit "btsootfs exits 0 after the spanning sync"
log_is_clean "the daemon logged nothing unexpected around the spanning sync"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "sync after the spanning sync"
assert_trees_equal "$SRC" "$REM" "edits made during a sync that spanned the detach are on the remote"

# SIGTERM to a lingering daemon over a source that is itself a mount
# point: btsootfs must not unmount what is mounted there now.
echo src-is-mount > "$W/tag"
mkdir "$W/real"; cp -a "$SRC/." "$W/real/"
mount --bind "$W/real" "$SRC"
: > "$W/daemon.log"
mount_hold_detach
echo "after detach, source mounted" > "$SRC/d/new"
kill "$DAEMON_PID"
expect_daemon_exit "SIGTERM stops the lingering btsootfs with exit 0"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
grep -q " $SRC " /proc/mounts && pass "the bind mount at the source is still there" ||
	fail "btsootfs unmounted the filesystem that was mounted at the source"
log_is_clean "the daemon logged nothing unexpected at SIGTERM"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "sync after SIGTERM"
assert_trees_equal "$SRC" "$REM" "edits made before SIGTERM are on the remote"
umount "$SRC" 2>/dev/null

# kill -9 of the lingering daemon: the next sync reconciles by rescan.
: > "$W/daemon.log"
mount_hold_detach
echo "before kill -9" > "$SRC/d/new"; rm "$SRC/newdir/n"
expect_daemon_killed
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "sync after kill -9 of the lingering daemon"
assert_trees_equal "$SRC" "$REM" "edits made before kill -9 are on the remote"
finish
