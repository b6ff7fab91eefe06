#!/bin/bash
# Proves: the command line takes nothing it has to guess and says plainly
# what it did (issue 13, parts 3 and 9): every btsoot subcommand answers
# -h/--help; -j takes whole numbers only; long options are never
# abbreviated (`--f` is not `--force`); a key given twice in a block file is
# refused naming file, line and key; as cron runs it (no terminal) a
# successful sync prints nothing, -v prints one summary, with singular
# forms ("1 file"), and a failing one prints one line that says what to do;
# after kill -9 of btsootfs the sync names the dead mount and how to
# detach it, and the same for a dead remote mount; two restores in one second get two directories; an absolute
# path inside the source restores, one outside is refused; the in-place
# countdown writes no '\r' without a terminal; status shows sizes in
# units, ages, and whether the last verify was quick; verify shows mtimes
# as local dates, not epoch nanoseconds.
. "$(dirname "$0")/lib.sh"
setup
check() { # EXPECTED_RC NEEDLE WHAT CMD...: one line (or usage) naming the thing
	local want=$1 needle=$2 what=$3; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ $rc -eq "$want" ] && echo "$out" | grep -q -- "$needle" && [ "$(echo "$out" | wc -l)" -le 2 ]; then
		pass "$what (exit $rc)"
	else
		fail "$what: exit $rc, output: $out"
	fi
}

# --- -h/--help everywhere, exit 0, on stdout
for cmd in add list status remove init-remote restore; do
	for h in -h --help; do
		out=$("$BTSOOT" $cmd $h 2>/dev/null); rc=$?
		[ $rc -eq 0 ] && echo "$out" | grep -q "usage: btsoot $cmd" &&
			pass "btsoot $cmd $h prints its usage" ||
			fail "btsoot $cmd $h: exit $rc, output: $out"
	done
done
check 0 "usage: btsoot status" "status -h after a block name" "$BTSOOT" status t -h
for p in "$SYNC" "$VERIFY" "$BTSOOT"; do
	"$p" --help | grep -q "^usage:" && pass "$(basename "$p") --help" || fail "$(basename "$p") --help"
done

# --- bad values and abbreviations: one line, exit 2
check 2 "whole number" "-j abc is refused" "$VERIFY" -j abc t
check 2 "whole number" "-j -3 is refused" "$VERIFY" -j -3 t
check 2 "whole number" "--jobs=0 is refused" "$VERIFY" --jobs=0 t
check 2 "did you mean --force" "--f is not taken for --force" "$SYNC" --f t
check 2 "never abbreviated" "--conf is not taken for --config-dir" "$VERIFY" --conf "$W/config" t
check 2 "did you mean --config-dir" "btsoot --config is not taken for --config-dir" "$BTSOOT" --config "$W/config" list
check 2 "unknown option '--x'" "an unknown option of a subcommand is named" "$BTSOOT" status --x
check 2 "unknown option '--purge'" "remove --purge is not --purge-state" "$BTSOOT" remove t --purge
check 2 "needs a value" "an option missing its value" "$VERIFY" t --jobs

# --- duplicate config key
mkdir -p "$BTSOOT_CONFIG_DIR/blocks"
printf 'source = %s\nremote = %s\ntrash_days = 3\ntrash_days = 4\n' "$SRC" "$REM" > "$BTSOOT_CONFIG_DIR/blocks/dup.conf"
check 2 "dup.conf:4: key 'trash_days' given again (first on line 3)" "a duplicate key names file, line and key" "$SYNC" dup
rm "$BTSOOT_CONFIG_DIR/blocks/dup.conf"

# --- what a sync prints
echo one > "$SRC/a"
touch -d '2024-05-01 10:00:00.123456789' "$SRC/a"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
"$SYNC" t > "$W/s.out" 2>&1; rc=$?
assert_eq 0 $rc "first sync without a terminal"
[ ! -s "$W/s.out" ] && pass "a successful first sync without a terminal prints nothing" ||
	fail "a sync without a terminal printed: $(cat "$W/s.out")"
mount_block t
echo two > "$SRC/b"
"$SYNC" -v t > "$W/s.out" 2>&1; rc=$?
assert_eq 0 $rc "sync -v"
assert_eq 1 "$(grep -c "rows\? replayed" "$W/s.out")" "sync -v prints one summary"
grep -q " 1 file copied, 4 bytes written" "$W/s.out" && pass "singular: '1 file copied'" ||
	fail "plural forms: $(cat "$W/s.out")"
echo three > "$SRC/c"
"$SYNC" -q -v t > "$W/s.out" 2>&1
[ ! -s "$W/s.out" ] && pass "-q wins over -v: nothing printed" || fail "-q -v printed: $(cat "$W/s.out")"
if command -v script >/dev/null; then
	echo four > "$SRC/d"
	script -qec "$SYNC t" /dev/null > "$W/tty.out" 2>&1
	grep -q "rows\? replayed" "$W/tty.out" && pass "on a terminal a sync prints its summary" ||
		fail "no summary on a terminal: $(cat "$W/tty.out")"
fi

# --- status: units, ages, verify mode
head -c 3000000 /dev/urandom > "$SRC/big"
sync "$SRC/big" # its journal rows are committed when fsync returns
"$BTSOOT" status t > "$W/st.out"
grep -q "^pending .*2\.9 MiB to write (3000000 bytes)" "$W/st.out" && pass "status shows pending bytes in MiB" ||
	fail "status pending: $(grep pending "$W/st.out")"
grep -q "^last sync .*(\(just now\|[0-9]* s ago\))" "$W/st.out" && pass "status shows the age of the last sync" ||
	fail "status last sync: $(grep "last sync" "$W/st.out")"
"$VERIFY" --quick t > /dev/null 2>&1
"$BTSOOT" status t > "$W/st.out"
grep -q "result .*quick" "$W/st.out" && pass "status says the last verify was quick" ||
	fail "status verify: $(cat "$W/st.out")"
run_sync t >/dev/null || fail "sync of big"
"$VERIFY" t > /dev/null 2>&1
"$BTSOOT" status t | grep -q "result .*full" && pass "status says the last verify was full" ||
	fail "status after a full verify: $("$BTSOOT" status t)"

# --- verify prints local times
umount_block
touch -d '2024-05-01 10:00:00.5' "$REM/a"
TZ=UTC "$VERIFY" --quick t > "$W/v.out" 2>&1
grep -q "^mtime a: source 2024-05-01 10:00:00.123456789 +0000 remote 2024-05-01 10:00:00.500000000 +0000" "$W/v.out" &&
	pass "verify prints an mtime difference as local dates" || fail "verify mtime line: $(cat "$W/v.out")"
run_sync t > /dev/null

# --- a dead mount: one line with what to do
mount_block t
expect_daemon_killed
check 4 "umount -l $SRC" "sync on a dead btsootfs mount says to detach it" "$SYNC" t
grep -q "is dead" <<<"$out" && pass "and that the mount is dead" || fail "dead mount message: $out"
umount -l "$SRC"

# --- a dead remote mount (a FUSE remote whose daemon died, like an sshfs
# that lost its connection): exit 3 and what to do. The remote here is a
# btsootfs of a second block over it, killed with -9.
mkdir -p "$W/rr"
"$BTSOOT" add r "$REM" "$W/rr" > /dev/null || fail "add r"
"$BTSOOTFS" "$REM" "$REM" -o block=r -f 2>> "$W/remote-daemon.log" & rpid=$!
for _ in $(seq 100); do grep -q " $REM fuse.btsootfs" /proc/mounts && break; sleep 0.1; done
kill -9 $rpid; wait $rpid 2>/dev/null
check 3 "its mount is dead: detach it with .umount -l." "sync onto a dead remote mount says to detach it" "$SYNC" t
umount -l "$REM"

# --- restore: unique default names, absolute paths, countdown
mkdir -p "$SRC/photos/2019"; echo pic > "$SRC/photos/2019/p1"
run_sync t > /dev/null || fail "sync of photos"
"$BTSOOT" restore t photos > "$W/r1.out" 2>&1 && "$BTSOOT" restore t photos > "$W/r2.out" 2>&1; rc=$?
assert_eq 0 $rc "two restores in a row to the default directory"
d1=$(sed -n 's/.* into \(.*\); .*/\1/p' "$W/r1.out"); d2=$(sed -n 's/.* into \(.*\); .*/\1/p' "$W/r2.out")
[ -n "$d1" ] && [ -n "$d2" ] && [ "$d1" != "$d2" ] && cmp -s "$d1/photos/2019/p1" "$SRC/photos/2019/p1" &&
	cmp -s "$d2/photos/2019/p1" "$SRC/photos/2019/p1" &&
	pass "two restores in one second get two directories ($(basename "$d1"), $(basename "$d2"))" ||
	fail "restore directories: '$d1' '$d2': $(cat "$W/r1.out" "$W/r2.out")"
rm -rf "$d1" "$d2"
"$BTSOOT" restore t "$SRC/photos/2019/" --to "$W/abs" > "$W/r.out" 2>&1
assert_eq 0 $? "restore of an absolute path inside the source"
cmp -s "$W/abs/photos/2019/p1" "$SRC/photos/2019/p1" && pass "it restores photos/2019" ||
	fail "absolute path restore: $(cat "$W/r.out"; find "$W/abs")"
check 2 "not inside the source" "an absolute path outside the source is refused" \
	"$BTSOOT" restore t /etc/passwd --to "$W/abs2"
[ ! -e "$W/abs2" ] && pass "and nothing is made for it" || fail "a refused restore made $W/abs2"
echo changed > "$SRC/photos/2019/p1"
timeout 60 "$BTSOOT" restore t photos --in-place > "$W/ip.out" 2> "$W/ip.err" < /dev/null
assert_eq 0 $? "restore --in-place without a terminal"
! grep -q $'\r' "$W/ip.err" && grep -q "restoring in place in 15 s" "$W/ip.err" &&
	pass "its countdown is plain lines without '\\r'" || fail "countdown: $(cat -A "$W/ip.err")"
grep -q "1 entry to write" "$W/ip.out" && grep -q "^restored 1 entry (" "$W/ip.out" &&
	pass "singular: '1 entry to write', 'restored 1 entry'" || fail "plural forms: $(cat "$W/ip.out")"
finish
