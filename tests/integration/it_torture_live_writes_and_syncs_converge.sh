#!/bin/bash
# Proves: a mirror kept by btsoot-sync while the source is in use converges
# whatever runs beside the writes. For each seed, a seeded random workload
# (tests/torture.c: renames to new names, into other directories and over
# existing names, directory moves, three-step swaps and RENAME_EXCHANGE,
# hard links, file <-> directory <-> symlink replacement at one name,
# "mv a b; create a", writes at random offsets, appends, truncates, files
# over 64 KiB, user.* xattrs, chmod, utimes to a few fixed ns times (many
# entries share one mtime), unlinks, rm -rf of subtrees) runs through the
# mount while, in loops beside it,
#   a controller (seeded) runs btsoot-sync; btsoot-sync after forcing the
#     reconciling rescan of a first sync (the state dir's NEEDS_RESCAN);
#     btsoot-verify --repair; a btsoot-sync killed -9 at a random moment or
#     by its own crash hook; kill -9 of btsootfs (the workload pauses, the
#     dead mount is detached, sometimes a sync runs on the bare source, then
#     the block is remounted and the workload goes on);
#   a "cron" loop runs plain btsoot-syncs back to back.
# Every run's exit code is recorded; only documented transient ones pass
# (6: another sync or verify holds the block; 137: a run we killed; verify:
# 1 = differences seen): anything else (3, 5, 9, a crash) fails. At the end
# the workload stops, a final btsoot-sync must exit 0 and the remote must
# equal the source by lib.sh's independent manifest (type, mode, owner, ns
# mtime, content hash, xattrs, hard-link groups), never by btsoot-verify
# alone; then the unmount must end the daemon with exit 0 and a log holding
# nothing but its mount and clean-unmount lines (and, after a kill -9 we
# made, the next daemon's "stopped uncleanly" warning), and one more sync
# after the unmount must exit 0 and leave the trees equal too.
#
#   SEEDS="11 22 33"  the seeds (CI: three of SEED_SECONDS=40 s each).
#   SEEDS=random DURATION=3600  the long mode: new seeds until DURATION
#                  seconds passed, each printed with running counts of
#                  operations, syncs, rescans, repairs and kills; stops at
#                  the first divergence and prints its replay line.
#   OPS=n          the workload runs exactly n operations instead of
#                  SEED_SECONDS (the replay line gives it: a seed and a count
#                  fix the workload's every operation; the runs beside it
#                  still land where the scheduler puts them).
#   STOP_AT_FIRST=1  stop after the first failing seed (always in long mode).
# Knobs that switch parts off, for bisecting:
#   TORTURE_NO_REPAIR=1     no btsoot-verify --repair
#   TORTURE_NO_RESCAN=1     no forced rescans, and after a daemon kill the
#                           recovery rescan runs before the workload resumes
#   TORTURE_NO_KILL=1       no kill -9 at all (= both of the next two)
#   TORTURE_NO_SYNC_KILL=1  no killed syncs
#   TORTURE_NO_DAEMON_KILL=1  no kill -9 of btsootfs
#   TORTURE_NO_HARDLINKS=1  the workload makes no hard links
#   TORTURE_NO_CRON=1       no second sync loop (no exit-6 contention)
#   TORTURE_SNEAKY=1        adds the adversary's same-size edit with its
#                           mtime set back (to the ns) as an operation of
#                           its own (writes followed by utimes to a fixed
#                           time do it by chance anyway; a killed daemon's
#                           lost rows are then found by the files' ctimes,
#                           design.md "What is guaranteed")
#   TORTURE_NO_RACE=1       nothing races the workload: it pauses for every
#                           run beside it (no cron loop); what fails then
#                           fails without concurrency
#   TORTURE_SKIP=op,op      operations the workload leaves out (names as in
#                           its summary line: exchange, swap3, replace...)
. "$(dirname "$0")/lib.sh"
setup
TORTURE="$B/tests/integration/torture"
SEEDS=${SEEDS:-"11 22 33"}
SEED_SECONDS=${SEED_SECONDS:-40}
DURATION=${DURATION:-0}
[ "$SEEDS" = random ] && [ "$DURATION" -le 0 ] && DURATION=3600
[ "$SEEDS" = random ] && STOP_AT_FIRST=1
[ -n "${TORTURE_NO_KILL:-}" ] && TORTURE_NO_SYNC_KILL=1 TORTURE_NO_DAEMON_KILL=1
KNOBS=$(env | grep -E '^TORTURE_(NO_[A-Z_]+|SKIP|SNEAKY)=.' | LC_ALL=C sort | tr '\n' ' ')
wl_opts=
[ -n "${TORTURE_NO_HARDLINKS:-}" ] && wl_opts="$wl_opts --no-hardlinks"
[ -z "${TORTURE_SNEAKY:-}" ] && wl_opts="$wl_opts --no-sneaky"
[ -n "${TORTURE_SKIP:-}" ] && wl_opts="$wl_opts --skip $TORTURE_SKIP"
# A random workload may delete a large share of a small tree on purpose:
# the mass-deletion guard is another test's subject.
SYNC_OPTS=--force
VERIFY_OPTS=
"$VERIFY" --help 2>&1 | grep -q -- --force && VERIFY_OPTS=--force
START=$SECONDS
TOTAL_OPS=0 TOTAL_SYNCS=0 TOTAL_RESCANS=0 TOTAL_REPAIRS=0 TOTAL_KILLS=0 TOTAL_DKILLS=0
SEEDS_RUN=0

msleep() { # MS
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# Waits up to 120 s for FILE, or until PID is gone. 0: FILE is there.
wait_file() { # FILE PID
	local i
	for i in $(seq 12000); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# One run of KIND (sync, rescan, repair, killed, bare, cron): its exit code
# into rc.log, its output into runs.log.
# Each file gets one write per run: the two loops append concurrently.
record() { # KIND RC OUTFILE
	echo "$1 $2" >> "$D/rc.log"
	{ echo "== $1 rc $2"; cat "$3"; } > "$3.rec"
	cat "$3.rec" >> "$D/runs.log"
}

run_sync_as() { # KIND [env...]
	local out="$D/run.$BASHPID" rc
	env "${@:2}" "$SYNC" $SYNC_OPTS "$BLK" > "$out" 2>&1; rc=$?
	record "$1" $rc "$out"
}

# The second loop: plain syncs back to back until CTL/stop, idle while the
# controller holds the block (CTL/hold).
cron_loop() {
	RANDOM=$((SEED * 7 + 1))
	while [ -d "$CTL" ] && [ ! -e "$CTL/stop" ]; do
		if [ -e "$CTL/hold" ]; then
			: > "$CTL/cron-idle"
			while [ -e "$CTL/hold" ] && [ ! -e "$CTL/stop" ]; do sleep 0.01; done
			[ -d "$CTL" ] || break
			rm -f "$CTL/cron-idle"
			continue
		fi
		run_sync_as cron
		msleep $((RANDOM % 500))
	done
}

# The workload stops between two operations holding nothing in the mount,
# and the cron loop between two syncs.
hold_all() {
	: > "$CTL/hold"
	[ -n "$cron_pid" ] && wait_file "$CTL/cron-idle" "$cron_pid"
	: > "$CTL/pause"
	wait_file "$CTL/paused" "$wl_pid"
}

release_all() {
	rm -f "$CTL/pause" "$CTL/hold"
	# Both have left their pause before the next one can begin.
	while { [ -e "$CTL/paused" ] && kill -0 "$wl_pid"; } 2>/dev/null ||
	      { [ -e "$CTL/cron-idle" ] && kill -0 "$cron_pid"; } 2>/dev/null; do
		sleep 0.01
	done
}

# kill -9 of btsootfs with the workload paused (it must run through the
# mount) and the cron loop idle; the dead mount detached; sometimes a sync
# on the bare source; a new daemon.
kill_daemon() {
	[ -n "${TORTURE_NO_RACE:-}" ] || hold_all
	expect_daemon_killed
	fusermount3 -uz "$SRC" 2>/dev/null || umount -l "$SRC"
	echo "daemon-kill 137" >> "$D/rc.log"
	if [ -n "${TORTURE_NO_RESCAN:-}" ] || [ $((RANDOM % 2)) -eq 0 ]; then
		run_sync_as bare
	fi
	mount_block "$BLK"
	# The recovery rescan before the workload goes on (see TORTURE_NO_RESCAN).
	[ -n "${TORTURE_NO_RESCAN:-}" ] && run_sync_as sync
	[ -n "${TORTURE_NO_RACE:-}" ] || release_all
}

# A sync killed -9 from outside after 0-400 ms, or by its own crash hook at
# its k-th remote operation.
killed_sync() {
	local out="$D/run.killed" pid rc
	if [ $((RANDOM % 2)) -eq 0 ]; then
		BTSOOT_CRASH_AFTER_OPS=$((1 + RANDOM % 40)) "$SYNC" $SYNC_OPTS "$BLK" > "$out" 2>&1 &
		pid=$!
	else
		"$SYNC" $SYNC_OPTS "$BLK" > "$out" 2>&1 & pid=$!
		msleep $((RANDOM % 400))
		kill -9 $pid 2>/dev/null
	fi
	wait $pid 2>/dev/null; rc=$?
	record killed $rc "$out"
}

# The controller: one seeded action after another while the workload runs.
controller() {
	local r
	while kill -0 "$wl_pid" 2>/dev/null; do
		r=$((RANDOM % 100))
		if [ -n "${TORTURE_NO_RACE:-}" ]; then
			msleep $((RANDOM % 300))
			hold_all
		fi
		if [ $r -lt 25 ]; then
			run_sync_as sync
		elif [ $r -lt 42 ] && [ -z "${TORTURE_NO_RESCAN:-}" ]; then
			: > "$W/state/$BLK/NEEDS_RESCAN"
			run_sync_as rescan
		elif [ $r -lt 57 ] && [ -z "${TORTURE_NO_REPAIR:-}" ]; then
			local out="$D/run.repair" rc
			"$VERIFY" --repair -q $VERIFY_OPTS "$BLK" > "$out" 2>&1; rc=$?
			record repair $rc "$out"
		elif [ $r -lt 72 ] && [ -z "${TORTURE_NO_SYNC_KILL:-}" ]; then
			killed_sync
		elif [ $r -lt 79 ] && [ -z "${TORTURE_NO_DAEMON_KILL:-}" ]; then
			kill_daemon
		else
			msleep $((RANDOM % 500))
		fi
		[ -z "${TORTURE_NO_RACE:-}" ] || release_all
	done
}

# Every recorded exit code must be one its kind may have.
BAD_RC='function bad(k, rc) {
	if (k == "sync" || k == "rescan" || k == "cron" || k == "bare") return rc != 0 && rc != 6
	if (k == "repair") return rc != 0 && rc != 1 && rc != 6
	if (k == "killed") return rc != 0 && rc != 6 && rc != 137
	return 0
}'
check_exit_codes() {
	local bad
	bad=$(awk "$BAD_RC"' bad($1, $2)' "$D/rc.log" | sort | uniq -c | tr '\n' ';')
	assert_eq "" "$bad" "seed $SEED: every sync/verify exit code is 0, 6, a kill (137) or verify's 1"
	if [ -n "$bad" ]; then
		echo "--- the first run with an unexpected exit code (and the run before it):"
		awk "$BAD_RC"' /^== /{ if (shown) exit; prev = cur; cur = $0; show = bad($2, $4)
			if (show) { print prev; print; shown = 1; next } } show' "$D/runs.log" |
			grep -a '^== \|^btsoot-\|^error ' |
			grep -av 'next sync rescans$\|a rescan follows$' | head -8
	fi
}

# The daemon's log: its mount and clean-unmount lines, and the warning a
# daemon started after our kill -9 gives; nothing else.
check_daemon_log() {
	local extra
	extra=$(grep -v -e "^btsootfs: block '$BLK' mounted on " \
		-e "^btsootfs: block '$BLK' unmounted cleanly\$" \
		-e "^btsootfs: passthrough: \(on\|off\) (" \
		-e "^btsootfs: block '$BLK': the previous btsootfs stopped uncleanly; " \
		-e "^btsootfs: journal incomplete ([a-z]* of inode [0-9]*: no name of it is known): " \
		"$D/daemon.log" |
		head -5)
	assert_eq "" "$extra" "seed $SEED: the daemon logged nothing but mounts and clean unmounts"
	if [ "$dkills" -eq 0 ] && grep -q "stopped uncleanly" "$D/daemon.log"; then
		fail "seed $SEED: a daemon says its predecessor stopped uncleanly, but none was killed"
	fi
}

# lib.sh's manifest decides; what differs is shown path first (the
# manifest's own lines sort by type and mode), newlines in names as '?'.
compare() { # WHAT
	manifest "$SRC" "$W/m1" 2>/dev/null; manifest "$REM" "$W/m2" 2>/dev/null
	cp "$W/m1" "$D/source.manifest"; cp "$W/m2" "$D/remote.manifest"
	if cmp -s "$W/m1" "$W/m2"; then
		pass "seed $SEED: remote equals source $1"
		return 0
	fi
	fail "seed $SEED: remote equals source $1: $(cmp "$W/m1" "$W/m2" | head -1)"
	# Kept as they were at the failure: later compares overwrite the others.
	cp "$W/m1" "$D/source.manifest.failed"; cp "$W/m2" "$D/remote.manifest.failed"
	echo "--- first differences (< source, > remote): type, mode, owner, size, mtime, path;"
	echo "--- xattrs; content hashes; hard-link groups (link NAME = FIRST NAME)"
	diff <(tr '\0\n' '\n?' < "$W/m1") <(tr '\0\n' '\n?' < "$W/m2") | grep -a '^[<>]' | head -12
	return 1
}

one_seed() { # SEED
	SEED=$1
	BLK=t$SEED D="$W/s$SEED"
	SRC="$D/src" REM="$D/remote" CTL="$D/ctl"
	mkdir -p "$SRC" "$REM" "$CTL"
	: > "$D/rc.log"; : > "$W/daemon.log"
	local failed0=$FAILED ops rc line
	"$TORTURE" --seed "$SEED" --ops 400 $wl_opts "$SRC" > "$D/initial.out" 2>&1 ||
		fail "seed $SEED: building the initial tree: $(tail -3 "$D/initial.out")"
	"$BTSOOT" add "$BLK" "$SRC" "$REM" >/dev/null || fail "seed $SEED: btsoot add"
	sed -i 's/^max_delete_percent.*/max_delete_percent = 100/' "$W/config/blocks/$BLK.conf"
	"$SYNC" -q $SYNC_OPTS "$BLK" > "$D/first.out" 2>&1 || fail "seed $SEED: first sync: $(cat "$D/first.out")"
	compare "after the first sync" || return 1

	mount_block "$BLK"
	RANDOM=$SEED
	local wl_args=(--seed $((SEED + 1)) --ctl "$CTL" $wl_opts)
	if [ -n "${OPS:-}" ]; then wl_args+=(--ops "$OPS"); else wl_args+=(--seconds "$SEED_SECONDS"); fi
	"$TORTURE" "${wl_args[@]}" "$SRC" > "$D/workload.out" 2>&1 & wl_pid=$!
	cron_pid=
	if [ -z "${TORTURE_NO_CRON:-}" ] && [ -z "${TORTURE_NO_RACE:-}" ]; then
		cron_loop & cron_pid=$!
	fi
	controller
	wait "$wl_pid"; rc=$?
	: > "$CTL/stop"
	[ -n "$cron_pid" ] && wait "$cron_pid"
	ops=$(sed -n 's/^ops=\([0-9]*\).*/\1/p' "$D/workload.out")
	REPLAY="SEEDS=$SEED OPS=${ops:-?} ${KNOBS}KEEP=1 BTSOOT_BUILD=$B $0"
	assert_eq 0 "$rc" "seed $SEED: the workload's every operation succeeded through the mount"
	[ "$rc" -eq 0 ] || tail -5 "$D/workload.out"

	# Everything has stopped: the final sync must bring the remote level.
	run_sync_as final
	line=$(tail -1 "$D/rc.log")
	assert_eq "final 0" "$line" "seed $SEED: the final sync exits 0"
	[ "$line" = "final 0" ] || sed -n '/^== final/,$p' "$D/runs.log" | tail -5
	if ! compare "after the final sync (daemon running)"; then
		run_sync_as diag
		manifest "$SRC" "$W/m1" 2>/dev/null; manifest "$REM" "$W/m2" 2>/dev/null
		cmp -s "$W/m1" "$W/m2" && echo "(a second sync made them equal: $(tail -1 "$D/rc.log"))" ||
			echo "(still different after a second sync: $(tail -1 "$D/rc.log"))"
	fi
	umount_block
	cp "$W/daemon.log" "$D/daemon.log"
	assert_eq 0 "$DAEMON_RC" "seed $SEED: btsootfs exits 0 at the final unmount"
	tail -1 "$D/daemon.log" | grep -q "unmounted cleanly" ||
		fail "seed $SEED: the final unmount is not logged as clean: $(tail -1 "$D/daemon.log")"
	dkills=$(grep -c '^daemon-kill' "$D/rc.log")
	check_daemon_log
	run_sync_as after-unmount
	line=$(tail -1 "$D/rc.log")
	assert_eq "after-unmount 0" "$line" "seed $SEED: the sync after the unmount exits 0"
	compare "after the unmount and one more sync"
	# The final runs were checked above; the loops' runs here.
	check_exit_codes

	local syncs rescans repairs kills
	syncs=$(grep -cE '^(sync|rescan|cron|bare|killed) ' "$D/rc.log")
	rescans=$(grep -c 'reconciling by rescan' "$D/runs.log")
	repairs=$(grep -c '^repair ' "$D/rc.log")
	kills=$(grep -c '^killed 137' "$D/rc.log")
	TOTAL_OPS=$((TOTAL_OPS + ${ops:-0})) TOTAL_SYNCS=$((TOTAL_SYNCS + syncs))
	TOTAL_RESCANS=$((TOTAL_RESCANS + rescans)) TOTAL_REPAIRS=$((TOTAL_REPAIRS + repairs))
	TOTAL_KILLS=$((TOTAL_KILLS + kills)) TOTAL_DKILLS=$((TOTAL_DKILLS + dkills))
	SEEDS_RUN=$((SEEDS_RUN + 1))
	echo "seed $SEED: ${ops:-?} ops, $syncs syncs ($rescans rescans), $repairs repairs," \
	     "$kills syncs and $dkills daemons killed -9 ($(find "$SRC" | wc -l) entries," \
	     "$(du -sk "$SRC" | cut -f1) KiB) -- totals after $SEEDS_RUN seeds, $((SECONDS - START)) s:" \
	     "$TOTAL_OPS ops, $TOTAL_SYNCS syncs, $TOTAL_RESCANS rescans, $TOTAL_REPAIRS repairs," \
	     "$TOTAL_KILLS + $TOTAL_DKILLS kills"
	if [ "$FAILED" -gt "$failed0" ]; then
		echo "FAILED: seed $SEED; replay: $REPLAY"
		return 1
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$D"
	return 0
}

per_seed="$SEED_SECONDS s"; [ -n "${OPS:-}" ] && per_seed="$OPS operations"
echo "torture: seeds $SEEDS, $per_seed each$([ "$DURATION" -gt 0 ] && echo ", for $DURATION s")${KNOBS:+, $KNOBS}"
if [ "$SEEDS" = random ]; then
	while [ $((SECONDS - START)) -lt "$DURATION" ]; do
		s=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		echo "== seed $s"
		one_seed "$s" || break
	done
else
	for s in $SEEDS; do
		echo "== seed $s"
		one_seed "$s" || [ -z "${STOP_AT_FIRST:-}" ] || break
	done
fi
finish
