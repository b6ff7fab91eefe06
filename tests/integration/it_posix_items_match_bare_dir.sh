#!/bin/bash
# Proves, one named check per behaviour that issue 4 lists, that the same
# calls give the same results through the mount as on a bare directory:
# rename over files and directories, into its own subtree (EINVAL),
# RENAME_NOREPLACE and RENAME_EXCHANGE, hard links, open-then-unlink, O_APPEND,
# O_TRUNC, O_EXCL, O_CREAT under umask, shared writable mmap, truncate up and
# down, holes and SEEK_DATA/SEEK_HOLE, fallocate and punch-hole, files over
# 4 GiB, xattrs and POSIX ACLs, chown as root, set-id bits, fifos, sockets and
# device nodes, nanosecond times, odd and 255-byte names, paths deeper than
# PATH_MAX, stable inode numbers, statfs, and other users held to the modes
# (allow_other). tests/posixitems.c says what each check looks at. Then one
# sync mirrors the result exactly and btsoot-verify agrees.
. "$(dirname "$0")/lib.sh"
setup
# Paths deeper than PATH_MAX have no name the journal can hold: btsootfs
# says so at error level and leaves NEEDS_RESCAN, so the sync rescans.
EXPECT_DAEMON_ERRORS='journal incomplete \([a-z]+ of inode [0-9]+: no name of it is known\)'
ITEMS="$B/tests/integration/posixitems"
BARE="$W/bare"
chmod 755 "$W" "$SRC" # another user must reach both trees
mkdir -m 755 "$BARE" "$BARE/p"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
MOUNT_OPTS=allow_other mount_block t
mkdir -m 755 "$SRC/p"

"$ITEMS" "$BARE/p" > "$W/bare.out" 2>&1 || fail "posixitems on the bare directory"
"$ITEMS" "$SRC/p" > "$W/mount.out" 2>&1 || fail "posixitems through the mount"
[ -e "$BTSOOT_STATE_DIR/t/NEEDS_RESCAN" ] &&
	pass "paths deeper than PATH_MAX left NEEDS_RESCAN for the sync" ||
	fail "no NEEDS_RESCAN after paths deeper than PATH_MAX"
n=$(wc -l < "$W/bare.out")
[ "$n" -ge 27 ] && pass "$n named checks ran on the bare directory" ||
	fail "only $n checks ran on the bare directory"
while IFS= read -r want; do
	name=${want%%:*}
	got=$(grep -F -m1 "$name:" "$W/mount.out")
	if [ "$got" = "$want" ]; then pass "$name"
	else fail "$name"; echo "    bare:  ${want#*:}"; echo "    mount:${got#*:}"; fi
done < "$W/bare.out"

run_sync t >/dev/null && pass "sync after the checks" || fail "sync after the checks"
umount_block
assert_verified_equal "the checks' leftovers mirrored" t
finish
