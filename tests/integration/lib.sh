# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration tests: a temp workspace, real FUSE mounts of
# btsootfs, an independent tree manifest, and assertions.
# Needs: BTSOOT_BUILD (the meson build dir), root, /dev/fuse, perl, sqlite3.
#
# Every btsootfs that mount_block starts is checked when it ends (in
# umount_block, or in finish for one still running): it must exit 0 and its
# stderr ($W/daemon.log) must hold no line at error level (see
# daemon_log_errors). A test that provokes something says so explicitly:
#   expect_daemon_killed [SIGNAL]   kills the daemon on purpose and asserts it
#                                   died by that signal (default KILL);
#   EXPECT_DAEMON_ERRORS='ERE'      error lines matching it are expected, and
#                                   finish asserts at least one was logged;
#   EXPECT_DAEMON_RC=N              the exit status umount_block expects (0).
set -u
B=${BTSOOT_BUILD:?set BTSOOT_BUILD to the meson build directory}
# The source tree (for the daemon's log formats, see daemon_log_errors).
BT_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BTSOOT="$B/tools/btsoot"
BTSOOTFS="$B/fs/btsootfs"
SYNC="$B/sync/btsoot-sync"
VERIFY="$B/sync/btsoot-verify"
FSOPS="$B/tests/integration/fsops"
PASSED=0
FAILED=0
EXPECT_DAEMON_ERRORS=${EXPECT_DAEMON_ERRORS:-}
EXPECT_DAEMON_RC=${EXPECT_DAEMON_RC:-0}
DAEMON_RC=""
DAEMON_STARTED=""   # pids mount_block started, not yet checked
DAEMON_RUNS=0       # daemons checked: exited as expected
DAEMON_KILLED=0     # of those, killed on purpose
DAEMON_LOG_SEEN=0   # lines of $W/daemon.log already checked

require_fuse() {
	if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
		echo "FAIL: /dev/fuse not available: btsootfs integration tests need FUSE" \
		     "(modprobe fuse / run with --device /dev/fuse)"
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "FAIL: the integration tests mount FUSE over temp dirs and need root"
		exit 1
	fi
}

setup() {
	require_fuse
	W=$(mktemp -d "${TMPDIR:-/tmp}/btsoot-it.XXXXXX")
	SRC="$W/src"; REM="$W/remote"
	mkdir -p "$SRC" "$REM" "$W/config" "$W/state"
	export BTSOOT_CONFIG_DIR="$W/config" BTSOOT_STATE_DIR="$W/state"
	DAEMON_PID=""
	: > "$W/daemon.log"
	trap cleanup EXIT
}

cleanup() {
	umount_block >/dev/null 2>&1
	if grep -q " $SRC fuse" /proc/mounts 2>/dev/null; then umount -l "$SRC"; fi
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}

mount_block() { # NAME (MOUNT_OPTS: more -o options, e.g. allow_other)
	"$BTSOOTFS" "$SRC" "$SRC" -o "block=$1${MOUNT_OPTS:+,$MOUNT_OPTS}" -f 2>>"$W/daemon.log" &
	DAEMON_PID=$!
	DAEMON_STARTED="$DAEMON_STARTED $DAEMON_PID"
	for _ in $(seq 100); do
		grep -q " $SRC fuse.btsootfs" /proc/mounts && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: btsootfs did not mount $SRC:"; cat "$W/daemon.log"
	exit 1
}

umount_block() {
	[ -n "$DAEMON_PID" ] || return 0
	fusermount3 -u "$SRC" 2>/dev/null || umount -l "$SRC"
	for _ in $(seq 100); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		echo "FAIL: btsootfs (pid $DAEMON_PID) still running 10 s after unmount:"
		cat "$W/daemon.log"
		kill -9 "$DAEMON_PID"
		FAILED=$((FAILED + 1))
	fi
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	daemon_ended "$DAEMON_PID" "$DAEMON_RC" "$EXPECT_DAEMON_RC" "exited"
	DAEMON_PID=""
}

# The test kills btsootfs on purpose (the mount is left behind, dead: detach
# it with umount -l or fusermount3 -uz). Asserts it died by that signal;
# its log so far is checked like any other.
expect_daemon_killed() { # [SIGNAL (KILL)]
	local sig=${1:-KILL} n
	n=$(kill -l "$sig" 2>/dev/null) || n=$(kill -l "SIG$sig")
	[ -n "$DAEMON_PID" ] || { fail "expect_daemon_killed: no btsootfs is running"; return 1; }
	kill -s "$sig" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	case $n in [0-9]*) ;; *) n=$(kill -l "$n");; esac
	daemon_ended "$DAEMON_PID" "$DAEMON_RC" $((128 + n)) "was killed (SIG$sig) and exited"
	DAEMON_KILLED=$((DAEMON_KILLED + 1))
	DAEMON_PID=""
}

# The error-level lines of $W/daemon.log from line FROM on. btsootfs's log
# lines carry no level ("btsootfs: <message>", core/log.c), so: every line
# but the ones its bt_warn/bt_notice calls print (it logs at NOTICE; the
# formats are read from fs/ and core/ in the source, so a new message needs
# no list kept here). A bt_err line, a libfuse complaint, an ASan or UBSan
# report, anything unknown counts; so do lines matching
# EXPECT_DAEMON_ERRORS, which the caller filters out.
daemon_log_errors() { # FROM
	tail -n +"$1" "$W/daemon.log" | perl -e '
		my @ok;
		for my $f (@ARGV) {
			open(my $h, "<", $f) or next;
			local $/; my $src = <$h>;
			while ($src =~ /\bbt_(?:(?:warn|notice)\s*\(|log\s*\(\s*BT_LOG_(?:WARNING|NOTICE)\s*,)\s*((?:"(?:[^"\\]|\\.)*"\s*|PRI\w+\s*)+)/g) {
				my ($lits, $fmt) = ($1, "");
				while ($lits =~ /"((?:[^"\\]|\\.)*)"|PRI\w+/g) {
					$fmt .= defined $1 ? $1 : "d";
				}
				$fmt =~ s/\\(.)/$1/g;
				$fmt =~ s/%%/\x01/g;
				my @parts = split /%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t|L)?[a-zA-Z]/, $fmt, -1;
				next if length(join("", @parts)) < 8; # "%s": would hide anything
				my $re = join(".*", map { my $p = quotemeta($_); $p =~ s/\\?\x01/%/g; $p } @parts);
				push @ok, qr/^btsootfs: $re$/s;
			}
		}
		@ARGV = ();
		LINE: while (my $l = <STDIN>) {
			chomp $l;
			next if $l =~ /^\s*$/;
			for my $re (@ok) { next LINE if $l =~ $re; }
			print "$l\n";
		}' "$BT_SRCDIR"/fs/*.c "$BT_SRCDIR"/core/*.c
}

# The running btsootfs ends on its own (a lazy unmount whose last holder
# let go, a SIGTERM the test sent): waits up to 10 s and checks it like
# umount_block does, exit status WANT.
expect_daemon_exit() { # WHAT [WANT (0)]
	[ -n "$DAEMON_PID" ] || { fail "expect_daemon_exit: no btsootfs is running"; return 1; }
	for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "$1: btsootfs (pid $DAEMON_PID) still runs after 10 s"
		kill -9 "$DAEMON_PID"
	fi
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	daemon_ended "$DAEMON_PID" "$DAEMON_RC" "${2:-0}" "exited" && pass "$1"
	DAEMON_PID=""
}

# Checks one btsootfs that ended: exit status RC as WANT, and no unexpected
# error in the log lines it (or an earlier, killed one) added.
daemon_ended() { # PID RC WANT HOW
	local errs
	DAEMON_STARTED=$(echo " $DAEMON_STARTED " | sed "s/ $1 / /")
	errs=$(daemon_log_errors $((DAEMON_LOG_SEEN + 1)))
	DAEMON_LOG_SEEN=$(wc -l < "$W/daemon.log")
	[ -z "$EXPECT_DAEMON_ERRORS" ] || errs=$(echo "$errs" | grep -Ev -- "$EXPECT_DAEMON_ERRORS")
	if [ "$2" != "$3" ]; then
		fail "btsootfs (pid $1) $4 $2, not $3"
	elif [ -n "$errs" ]; then
		fail "btsootfs (pid $1) logged an error (set EXPECT_DAEMON_ERRORS if the test provokes it)"
	else
		DAEMON_RUNS=$((DAEMON_RUNS + 1))
		return 0
	fi
	echo "--- btsootfs errors:"; echo "${errs:-(none)}" | head -20
	echo "--- btsootfs stderr (last 20 lines):"; tail -20 "$W/daemon.log"
	return 1
}

# At the end of a test: a daemon still running is unmounted and checked,
# one that ended outside umount_block/expect_daemon_killed is a failure,
# and EXPECT_DAEMON_ERRORS must have been logged.
check_daemons() {
	local pid
	[ -z "$DAEMON_PID" ] || umount_block
	for pid in $DAEMON_STARTED; do
		if kill -0 "$pid" 2>/dev/null; then
			fail "btsootfs (pid $pid) is still running at the end of the test; killed"
			kill -9 "$pid"
		else
			fail "btsootfs (pid $pid) ended outside umount_block: if the test kills it on purpose, say so with expect_daemon_killed"
		fi
	done
	DAEMON_STARTED=""
	if [ -n "$EXPECT_DAEMON_ERRORS" ]; then
		if grep -Eq -- "$EXPECT_DAEMON_ERRORS" "$W/daemon.log"; then
			pass "btsootfs logged the error the test provokes ($EXPECT_DAEMON_ERRORS)"
		else
			fail "btsootfs did not log the error the test provokes ($EXPECT_DAEMON_ERRORS)"
		fi
	fi
	[ "$DAEMON_RUNS" -eq 0 ] ||
		pass "btsootfs: $DAEMON_RUNS runs ended as expected ($DAEMON_KILLED killed on purpose), no unexpected error logged"
}

# An independent description of a tree: type, mode, owner, size, links,
# mtime (ns), symlink target, name; then the extended attributes of every
# entry and a content hash per regular file. Directory sizes and atimes are
# left out; so is the remote's .btsoot.
manifest() { # DIR OUT
	(cd "$1" && find . -path ./.btsoot -prune -o \
		\( -type d -printf 'd %m %U:%G %T@ %P\0' \) -o \
		\( -type l -printf 'l %U:%G %T@ %l %P\0' \) -o \
		\( -type f -printf 'f %m %U:%G %s %T@ %P\0' \) -o \
		-printf '%y %m %U:%G %T@ %P\0' | LC_ALL=C sort -z) > "$2"
	# Extended attributes (all namespaces, symlinks' own too), in sorted
	# path order.
	(cd "$1" && find . -path ./.btsoot -prune -o -print0 | LC_ALL=C sort -z |
		xargs -0 -r getfattr -h -d -m - -e hex 2>&1 | tr '\n' '\0') >> "$2"
	# Content hashes, in sorted path order (one xxhsum for many files).
	(cd "$1" && find . -path ./.btsoot -prune -o -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r xxhsum -H2 | tr '\n' '\0') >> "$2"
	# Hard-link structure: each name of a multi-link file names the first
	# (sorted) name of its inode. Link counts themselves differ on purpose:
	# the remote's trash may hold extra names.
	local -A first=()
	local ino p
	while IFS=' ' read -r -d '' ino p; do
		[ -n "${first[$ino]:-}" ] || first[$ino]=$p
		[ "${first[$ino]}" = "$p" ] || printf 'link %s = %s\0' "$p" "${first[$ino]}"
	done < <(cd "$1" && find . -path ./.btsoot -prune -o -type f -links +1 -printf '%i %P\0' |
		 LC_ALL=C sort -z -k2) >> "$2"
}

assert_trees_equal() { # A B WHAT
	manifest "$1" "$W/m1"; manifest "$2" "$W/m2"
	if cmp -s "$W/m1" "$W/m2"; then
		pass "$3"
	else
		fail "$3: trees differ:"
		diff <(tr '\0\n' '\n?' < "$W/m1") <(tr '\0\n' '\n?' < "$W/m2") | head -20
	fi
}

# btsoot-verify of block NAME exits 0, and the trees are equal.
assert_verified_equal() { # WHAT [NAME]
	local rc
	"$VERIFY" -q "${2:-t}" > "$W/verify.out" 2>&1; rc=$?
	assert_eq 0 "$rc" "$1: verify finds remote == source"
	[ $rc -eq 0 ] || head -5 "$W/verify.out"
	assert_trees_equal "$SRC" "$REM" "$1: remote equals source"
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1"; }

assert_eq() { # EXPECTED ACTUAL WHAT
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: expected '$1', got '$2'"; fi
}

finish() {
	check_daemons
	if [ "$FAILED" -gt 0 ] && [ -s "$W/daemon.log" ]; then
		echo "--- btsootfs stderr (last 20 lines):"; tail -20 "$W/daemon.log"
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# The block's journal meta value KEY (empty when unset), read with sqlite3.
journal_meta() { # KEY [NAME (t)]
	sqlite3 -cmd ".timeout 5000" "$BTSOOT_STATE_DIR/${2:-t}/journal.db" \
		"SELECT value FROM meta WHERE key = '$1'" 2>&1
}

# The journal holds every change: btsootfs left no NEEDS_RESCAN and the
# journal is not marked incomplete (what would make the next sync rescan).
assert_journal_complete() { # WHAT [NAME (t)]
	local nr=absent
	[ -e "$BTSOOT_STATE_DIR/${2:-t}/NEEDS_RESCAN" ] &&
		nr="present: $(head -c 200 "$BTSOOT_STATE_DIR/${2:-t}/NEEDS_RESCAN")"
	assert_eq absent "$nr" "$1: no NEEDS_RESCAN in the state dir"
	assert_eq "" "$(journal_meta needs_rescan "${2:-t}" | grep -vx 0)" \
		"$1: the journal is not marked incomplete"
}

# Whether a sync rescanned, as state rather than as a message: a file
# planted on the remote behind the journal's back. Replaying rows leaves it
# (no row names it); so does the pass for changes made while unmounted when
# the file is in a directory the test leaves alone (make_quiet_dir, before
# the block's first sync: that pass compares only directories changed since
# a sync last looked); a reconciling rescan compares every directory and
# moves it into the trash. With btsootfs mounted since the last sync there
# is no such pass, and any remote directory will do (plant_rescan_probe DIR).
QUIET_DIR=quiet.untouched
make_quiet_dir() { # on the bare source, before the first sync
	mkdir -p "$SRC/$QUIET_DIR" && echo "left alone by the test" > "$SRC/$QUIET_DIR/keep"
	# btsootfs dates its stop two seconds back (coarse file times), so the
	# offline pass picks whatever changed in the two seconds before: the
	# quiet directory must be older than that to stay out of it.
	sleep 2.1
}
plant_rescan_probe() { # [REMOTE-DIR ($REM/$QUIET_DIR)]
	PROBE_DIR=${1:-$REM/$QUIET_DIR}
	[ -d "$PROBE_DIR" ] || { fail "no $PROBE_DIR to plant a probe in (make_quiet_dir before the first sync)"; return 1; }
	PROBE_MTIME0=$(stat -c %y "$PROBE_DIR")
	echo "planted on the remote by the test" > "$PROBE_DIR/rescan-probe.planted"
	PROBE_MTIME1=$(stat -c %y "$PROBE_DIR")
}
# yes: the syncs since plant_rescan_probe rescanned (the probe is gone); no:
# they did not (it is still there). Removes the probe and gives the
# directory back the mtime it would have without it.
assert_rescanned() { # yes|no WHAT
	local got=yes now
	[ -e "$PROBE_DIR/rescan-probe.planted" ] && got=no
	now=$(stat -c %y "$PROBE_DIR")
	rm -f "$PROBE_DIR/rescan-probe.planted"
	[ "$now" = "$PROBE_MTIME1" ] && now=$PROBE_MTIME0 # no sync set it since
	touch -m -d "$now" "$PROBE_DIR"
	assert_eq "$1" "$got" "$2 (a file planted on the remote: gone if the sync rescanned)"
}

# btsoot-sync -v (its summary and notices; without a terminal a successful
# sync prints nothing), returning its "N bytes written" figure in SYNC_BYTES.
run_sync() { # NAME [extra env]
	local out rc
	out=$("$SYNC" -v ${SYNC_FLAGS:-} "$1" 2>"$W/sync.err"); rc=$?
	{ echo "== sync $1 rc $rc"; echo "$out"; cat "$W/sync.err"; } >> "$W/sync.log"
	echo "$out"
	SYNC_BYTES=$(echo "$out" | sed -n 's/.* \([0-9]*\) bytes\? written to the remote.*/\1/p')
	[ $rc -eq 0 ] || { echo "sync failed ($rc):"; cat "$W/sync.err"; }
	return $rc
}
