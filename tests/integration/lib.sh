# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration tests: a temp workspace, real FUSE mounts of
# btsootfs, an independent tree manifest, and assertions.
# Needs: BTSOOT_BUILD (the meson build dir), root, /dev/fuse.
set -u
B=${BTSOOT_BUILD:?set BTSOOT_BUILD to the meson build directory}
BTSOOT="$B/tools/btsoot"
BTSOOTFS="$B/fs/btsootfs"
SYNC="$B/sync/btsoot-sync"
VERIFY="$B/sync/btsoot-verify"
FSOPS="$B/tests/integration/fsops"
PASSED=0
FAILED=0

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
	DAEMON_PID=""
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
	if [ "$FAILED" -gt 0 ] && [ -s "$W/daemon.log" ]; then
		echo "--- btsootfs stderr (last 20 lines):"; tail -20 "$W/daemon.log"
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# btsoot-sync, returning its "N bytes written" figure in SYNC_BYTES.
run_sync() { # NAME [extra env]
	local out rc
	out=$("$SYNC" ${SYNC_FLAGS:-} "$1" 2>"$W/sync.err"); rc=$?
	{ echo "== sync $1 rc $rc"; echo "$out"; cat "$W/sync.err"; } >> "$W/sync.log"
	echo "$out"
	SYNC_BYTES=$(echo "$out" | sed -n 's/.* \([0-9]*\) bytes written to the remote.*/\1/p')
	[ $rc -eq 0 ] || { echo "sync failed ($rc):"; cat "$W/sync.err"; }
	return $rc
}
