#!/bin/bash
# Proves: on a terminal (a pseudo-terminal made by script(1)) btsoot-sync,
# btsoot-verify and btsoot restore redraw one progress line in place
# ("\r" + text + "\033[K"), with a percent where the total is known (for
# restore, counted before it copies: entries and bytes of what it brings
# back, and its last redraw is at 100%), and
# erase it at the end (the last thing on that line is "\r\033[K"); without
# a terminal, or with -q, none of it is printed. BTSOOT_PROGRESS_MS=0
# redraws on every update so a small tree gives several redraws.
. "$(dirname "$0")/lib.sh"
setup
export BTSOOT_PROGRESS_MS=0
for d in $(seq 1 6); do
	mkdir -p "$SRC/d$d"
	for f in $(seq 1 40); do head -c $((f * 1000)) /dev/urandom > "$SRC/d$d/f$f"; done
done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
for f in $(seq 1 60); do head -c 20000 /dev/urandom > "$SRC/d1/new$f"; done
ESC=$(printf '\033')
# check_capture FILE WHAT [percent]
check_capture() {
	local n last
	n=$(grep -o $'\r[^\r]*'"$ESC"'\[K' "$1" | grep -c "$2:")
	[ "$n" -ge 3 ] && pass "$2 redraws its line in place ($n redraws)" ||
		fail "$2: $n redraws: $(od -c "$1" | head -20)"
	if [ "${3:-}" = percent ]; then
		grep -q "$2: [0-9]*/[0-9]* [a-z]*, .* ([0-9]*%)" "$1" && pass "$2 shows a percent" ||
			fail "$2: no percent"
	fi
	# The last progress draw is followed by an erase, and no text of it after.
	last=$(tr '\n' '\001' < "$1" | grep -o "$2: [^$ESC]*$ESC\[K.*" | tail -c 300)
	printf '%s' "$last" | grep -q $'\r'"$ESC"'\[K' && pass "$2 erases its line at the end" ||
		fail "$2: line not erased: $(printf '%s' "$last" | od -c | tail -5)"
	printf '%s' "$last" | tr '\001' '\n' | tail -n +2 | grep -q "$2: [0-9]" &&
		fail "$2: progress text after its erase" || true
}
script -qfc "$SYNC t" /dev/null > "$W/sync.tty" 2>&1
check_capture "$W/sync.tty" btsoot-sync percent
"$SYNC" t 2> "$W/sync.err" >/dev/null
umount_block
script -qfc "$VERIFY t" /dev/null > "$W/verify.tty" 2>&1
check_capture "$W/verify.tty" btsoot-verify percent
grep -q "btsoot-verify: [0-9]*/[0-9]* entries" "$W/verify.tty" &&
	pass "verify's total is the entry count of the last full pass" || fail "verify: no total"
script -qfc "$VERIFY -q t" /dev/null > "$W/verify-q.tty" 2>&1
grep -q "$ESC\[K" "$W/verify-q.tty" && fail "verify -q drew progress" ||
	pass "verify -q on a terminal draws no progress"
"$VERIFY" t > "$W/verify.out" 2> "$W/verify.err"
script -qfc "$BTSOOT restore t d2 --to $W/back" /dev/null > "$W/restore.tty" 2>&1
check_capture "$W/restore.tty" "btsoot restore" percent
# d2 holds 40 files of 1000 to 40000 bytes: 820000 bytes, 800.8 KiB
grep -q "btsoot restore: [0-9]*/40 entries, .* of 800.8 KiB" "$W/restore.tty" &&
	pass "restore's total is counted before copying: 40 entries, 800.8 KiB" ||
	fail "restore: no total of 40 entries and 800.8 KiB: $(tr '\r' '\n' < "$W/restore.tty" | head -5)"
grep -q "btsoot restore: 40/40 entries, 800.8 KiB of 800.8 KiB (100%)" "$W/restore.tty" &&
	pass "its last redraw is at 100%" || fail "restore: never at 100%: $(tr '\r' '\n' < "$W/restore.tty" | tail -3)"
"$BTSOOT" restore t d3 --to "$W/back3" > "$W/restore.out" 2> "$W/restore.err"
if grep -q $'\r' "$W/sync.err" "$W/verify.err" "$W/verify.out" "$W/restore.err" "$W/restore.out" ||
   grep -q "$ESC" "$W/sync.err" "$W/verify.err" "$W/restore.err"; then
	fail "progress printed without a terminal"
else
	pass "without a terminal no progress is printed"
fi
finish
