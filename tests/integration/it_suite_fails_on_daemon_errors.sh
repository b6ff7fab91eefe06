#!/bin/bash
# Proves the suite's own rule can fail: a test built on lib.sh fails when
# its btsootfs logs a line at error level (a bt_err message, a sanitizer
# report) or ends outside umount_block (killed without
# expect_daemon_killed), and when an error it declares with
# EXPECT_DAEMON_ERRORS never comes; it passes when the daemon is killed on
# purpose through expect_daemon_killed, when the declared error comes, and
# when finish has to unmount a daemon still running (which is then gone).
# Each case is a small test script run on its own, judged by its exit
# status and the failure it names.
. "$(dirname "$0")/lib.sh"
setup
LIB="$(cd "$(dirname "$0")" && pwd)/lib.sh"

# Runs one case: a test body between setup (block t added, mounted) and
# finish. Sets CASE_RC and leaves the output in $W/case.out.
run_case() { # BODY
	cat > "$W/case.sh" <<EOF
. "$LIB"
setup
"\$BTSOOT" add t "\$SRC" "\$REM" >/dev/null || fail "add"
mount_block t
$1
finish
EOF
	bash "$W/case.sh" > "$W/case.out" 2>&1; CASE_RC=$?
}
expect_case() { # pass|fail WHAT [TEXT the output must hold]
	local want=0
	[ "$1" = fail ] && want=1
	if [ "$CASE_RC" -eq "$want" ] && { [ -z "${3:-}" ] || grep -qF -- "$3" "$W/case.out"; }; then
		pass "$2"
	else
		fail "$2: exit $CASE_RC, output:"; tail -8 "$W/case.out"
	fi
}

run_case 'echo data > "$SRC/f"; umount_block'
expect_case pass "a clean mount and unmount passes"

run_case 'echo "btsootfs: journal commit of 3 rows failed: disk I/O error" >> "$W/daemon.log"; umount_block'
expect_case fail "an error-level line in the daemon's log fails the test" \
	"logged an error (set EXPECT_DAEMON_ERRORS"

run_case 'echo "==42==ERROR: AddressSanitizer: heap-use-after-free" >> "$W/daemon.log"; umount_block'
expect_case fail "a sanitizer report in the daemon's log fails the test" "heap-use-after-free"

run_case 'echo "btsootfs: cannot clear set-id bits: Operation not permitted" >> "$W/daemon.log"; umount_block'
expect_case pass "a warning (bt_warn) is not an error"

run_case 'kill -9 "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""; umount -l "$SRC"'
expect_case fail "a daemon killed without expect_daemon_killed fails the test" \
	"ended outside umount_block"

run_case 'expect_daemon_killed; umount -l "$SRC"'
expect_case pass "expect_daemon_killed: a kill on purpose passes"

run_case 'EXPECT_DAEMON_ERRORS="journal commit of [0-9]+ rows failed"; umount_block'
expect_case fail "a declared error that never comes fails the test" "did not log the error"

run_case 'EXPECT_DAEMON_ERRORS="journal commit of [0-9]+ rows failed"
echo "btsootfs: journal commit of 3 rows failed: disk I/O error" >> "$W/daemon.log"; umount_block'
expect_case pass "a declared error that comes passes"

run_case 'echo "$DAEMON_PID" > "'"$W"'/case.pid"'
expect_case pass "finish unmounts and checks a daemon still running" "1 runs ended as expected"
pid=$(cat "$W/case.pid")
kill -0 "$pid" 2>/dev/null && fail "the daemon (pid $pid) still runs after finish" ||
	pass "the daemon is gone after finish"
finish
