#!/bin/bash
# Proves: set-id bits and security.capability are cleared through btsootfs
# exactly as on a bare directory when a file is written (pwrite, append),
# truncated (truncate(2), an O_TRUNC open) by a user other than root
# (nobody, not in the file's group or in it), and written by root: for
# setuid, setgid with and without group-exec, and both. With libfuse 3.17
# and Linux 5.11+ btsootfs negotiates FUSE_CAP_HANDLE_KILLPRIV_V2 and the
# kernel leaves all of this to btsootfs (fs/creds.c bt_kill_priv); with
# libfuse 3.14 the kernel does most of it. Then the journal brings the
# cleared modes and the removed capability to the remote.
# (The POSIX suites cover chown as root, set-id inheritance, and random
# writes and truncates as other users; not each of these by name.)
. "$(dirname "$0")/lib.sh"
setup
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
INGROUP="setpriv --reuid=65534 --regid=65534 --groups=0"
CAP=0x0100000200200000000000000000000000000000 # cap_net_raw=ep

# One file per (mode, operation), made the same in DIR.
make_files() { # DIR
	local m op
	for m in 4777 2777 2767 6777 6767; do
		for op in pwrite append truncate otrunc rootwrite ingroup; do
			printf 'some data\n' > "$1/f$m-$op"
			chmod "$m" "$1/f$m-$op"
		done
	done
	for op in rootwrite pwrite truncate; do
		printf 'some data\n' > "$1/cap-$op"
		chmod 0777 "$1/cap-$op"
		setfattr -n security.capability -v "$CAP" "$1/cap-$op"
	done
}

# The operations, as nobody unless said.
run_ops() { # DIR
	local f
	for f in "$1"/f*-pwrite "$1"/cap-pwrite; do
		$NOBODY dd of="$f" bs=1 seek=3 count=2 conv=notrunc status=none <<<"XY"
	done
	for f in "$1"/f*-append; do $NOBODY sh -c 'printf more >> "$1"' sh "$f"; done
	for f in "$1"/f*-truncate "$1"/cap-truncate; do $NOBODY truncate -s 4 "$f"; done
	for f in "$1"/f*-otrunc; do $NOBODY sh -c ': > "$1"' sh "$f"; done
	for f in "$1"/f*-rootwrite "$1"/cap-rootwrite; do printf root >> "$f"; done
	for f in "$1"/f*-ingroup; do $INGROUP sh -c 'printf grp >> "$1"' sh "$f"; done
}

# Mode, size and capability of each file, by name.
describe() { # DIR
	(cd "$1" && for f in *; do
		printf '%s %s %s\n' "$f" "$(stat -c '%a %s' "$f")" \
			"$(getfattr --only-values -n security.capability -e hex "$f" 2>/dev/null)"
	done)
}

mkdir "$W/bare" "$SRC/sid"
make_files "$W/bare"
make_files "$SRC/sid"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
chmod 755 "$W" # nobody reaches the bare directory too

MOUNT_OPTS=allow_other mount_block t
run_ops "$W/bare"
run_ops "$SRC/sid"
describe "$W/bare" > "$W/bare.txt"
describe "$SRC/sid" > "$W/mount.txt"
if cmp -s "$W/bare.txt" "$W/mount.txt"; then
	pass "modes, sizes and capabilities after $(wc -l < "$W/mount.txt") writes and truncates equal the bare directory's"
else
	fail "set-id or capability clearing differs from the bare directory (bare < > mount):"
	diff "$W/bare.txt" "$W/mount.txt" | head -20
fi
# What the bare directory did, so that a change of both sides shows too.
assert_eq "f4777-pwrite 777 10 " "$(grep '^f4777-pwrite ' "$W/mount.txt")" \
	"nobody's write clears setuid"
assert_eq "f2767-truncate 767 4 " "$(grep '^f2767-truncate ' "$W/mount.txt")" \
	"nobody's truncate clears setgid without group-exec (not in the group)"
assert_eq "f2767-ingroup 2767 13 " "$(grep '^f2767-ingroup ' "$W/mount.txt")" \
	"a member of the group keeps setgid without group-exec"
assert_eq "f6777-rootwrite 6777 14 " "$(grep '^f6777-rootwrite ' "$W/mount.txt")" \
	"root's write keeps both bits"
assert_eq "cap-rootwrite 777 14 " "$(grep '^cap-rootwrite ' "$W/mount.txt")" \
	"root's write removes security.capability"
assert_eq "f6777-otrunc 777 0 " "$(grep '^f6777-otrunc ' "$W/mount.txt")" \
	"nobody's O_TRUNC open clears both bits"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0 at the unmount"
run_sync t >/dev/null && pass "sync" || fail "sync"
assert_trees_equal "$SRC" "$REM" "the remote has the cleared bits and capabilities"
finish
