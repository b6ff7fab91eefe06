#!/bin/bash
# Proves, through the mount as on a bare directory: a sparse file past
# 4 GiB (data at 5 GiB) stays sparse, on the remote too; paths deeper than
# PATH_MAX, reached one directory at a time, work and are mirrored; inode
# numbers stay the same across renames, links, an unmount and a remount;
# ctimes and mtimes move as on the bare directory; a running program is
# ETXTBSY;
# statfs is the underlying filesystem's; other users are held to modes and
# ACLs (allow_other + default_permissions), setuid programs run setuid,
# device nodes and unix sockets work; hard links share data and counts.
# Then one sync mirrors it all exactly and btsoot-verify agrees.
. "$(dirname "$0")/lib.sh"
setup
# Paths deeper than PATH_MAX have no name the journal can hold: btsootfs
# says so at error level and leaves NEEDS_RESCAN, so the sync rescans.
EXPECT_DAEMON_ERRORS='journal incomplete \([a-z]+ of inode [0-9]+: no name of it is known\)'
DIFFTEST="$B/tests/integration/difftest"
BARE="$W/bare"; mkdir "$BARE"
chmod 755 "$W" # other users must reach both trees
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
echo keep > "$SRC/keep"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
mount_block t

# Sparse past 4 GiB: 1 MiB of data at 5 GiB, nothing before it.
head -c 1048576 /dev/urandom > "$W/chunk"
for d in "$BARE" "$SRC"; do
	dd if="$W/chunk" of="$d/big" bs=1M seek=5120 conv=notrunc status=none
done
assert_eq $((5121 * 1048576)) "$(stat -c %s "$SRC/big")" "size past 4 GiB through the mount"
blocks=$(stat -c %b "$SRC/big")
[ "$blocks" -lt 8192 ] && pass "sparse through the mount ($blocks blocks of 512)" ||
	fail "5 GiB file is not sparse through the mount: $blocks blocks"
cmp -s <(tail -c 1048576 "$SRC/big") "$W/chunk" && pass "data at 5 GiB reads back" ||
	fail "data at 5 GiB differs"

# Deeper than PATH_MAX, one level at a time (mkdirat + openat, then chdir).
"$DIFFTEST" deep "$BARE" "$SRC" 24 > "$W/deep.out" 2>&1 &&
	pass "$(tail -1 "$W/deep.out")" || { fail "deep paths differ:"; cat "$W/deep.out"; }
[ -e "$BTSOOT_STATE_DIR/t/NEEDS_RESCAN" ] &&
	pass "paths deeper than PATH_MAX left NEEDS_RESCAN for the sync" ||
	fail "no NEEDS_RESCAN after paths deeper than PATH_MAX"

# Which ctimes and mtimes each kind of change moves, as programs see them.
mkdir "$BARE/times" "$SRC/times"
"$DIFFTEST" times "$BARE/times" "$SRC/times" > "$W/times.out" 2>&1 &&
	pass "$(tail -1 "$W/times.out")" || { fail "timestamps differ:"; cat "$W/times.out"; }

# A program running from the mount cannot be opened for writing.
cp /bin/sleep "$SRC/busy" && { "$SRC/busy" 5 & busy=$!; }
sleep 0.3
err=$( { echo x > "$SRC/busy"; } 2>&1 )
case "$err" in *"Text file busy"*) pass "ETXTBSY for a running program";;
	*) fail "writing a running program: '$err'";; esac
kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null

# Inode numbers: stable across rename, link and (below) unmount and remount.
echo data > "$SRC/ino-a"
ino=$(stat -c %i "$SRC/ino-a")
mv "$SRC/ino-a" "$SRC/ino-b"; ln "$SRC/ino-b" "$SRC/ino-c"
assert_eq "$ino" "$(stat -c %i "$SRC/ino-b")" "inode number kept across a rename"
assert_eq "$ino" "$(stat -c %i "$SRC/ino-c")" "a hard link has the same inode number"
assert_eq "$ino" "$(ls -i "$SRC" | awk '$2 == "ino-b" { print $1 }')" "readdir's d_ino is st_ino"

# statfs: the filesystem below (the bare dir lives on it too).
assert_eq "$(stat -f -c '%b %S %c %l' "$BARE")" "$(stat -f -c '%b %S %c %l' "$SRC")" \
	"statfs: total blocks, block size, inodes and name length of the filesystem below"

# Other users: modes and ACLs hold as on the bare directory.
for d in "$BARE" "$SRC"; do
	echo secret > "$d/secret"; chmod 600 "$d/secret"
	echo public > "$d/public"; chmod 644 "$d/public"
	echo granted > "$d/granted"; chmod 600 "$d/granted"; setfacl -m u:65534:r "$d/granted"
	echo denied > "$d/denied"; chmod 644 "$d/denied"; setfacl -m u:65534:- "$d/denied"
done
for f in secret public granted denied; do
	want=$(as_nobody cat "$BARE/$f" 2>&1 | sed "s|$BARE|D|")
	got=$(as_nobody cat "$SRC/$f" 2>&1 | sed "s|$SRC|D|")
	assert_eq "$want" "$got" "nobody reads $f: as on the bare directory ($want)"
done
as_nobody sh -c "echo x >> '$SRC/public'" 2>/dev/null &&
	fail "nobody wrote a 0644 root file" || pass "nobody cannot write a 0644 root file"

# A setuid-root program runs setuid through the mount (no nosuid).
for d in "$BARE" "$SRC"; do cp /usr/bin/id "$d/id-suid"; chmod 4755 "$d/id-suid"; done
assert_eq "$(as_nobody "$BARE/id-suid" -u)" "$(as_nobody "$SRC/id-suid" -u)" \
	"a setuid program's effective uid, as on the bare directory"

# Device nodes work (no nodev); only root makes them.
mknod "$SRC/null" c 1 3 && mknod "$SRC/zero" c 1 5
echo hi > "$SRC/null" && pass "writing a device node through the mount" ||
	fail "cannot write a char device through the mount"
assert_eq "00000000" "$(head -c 4 "$SRC/zero" | od -An -tx1 | tr -d ' \n')" "reading /dev/zero's twin"
as_nobody mknod "$SRC/dir-nobody-node" c 1 3 2>/dev/null &&
	fail "nobody made a device node" || pass "nobody cannot make a device node"

# A unix socket bound, connected and talked to inside the tree.
mkdir "$SRC/sock" "$BARE/sock"
"$DIFFTEST" socket "$SRC/sock" >/dev/null && "$DIFFTEST" socket "$BARE/sock" >/dev/null &&
	pass "unix socket in the tree" || fail "unix socket through the mount"

# Hard links: one inode, one set of data, counted names.
echo one > "$SRC/hl-a"; ln "$SRC/hl-a" "$SRC/hl-b"
assert_eq 2 "$(stat -c %h "$SRC/hl-a")" "two names, st_nlink 2"
echo two >> "$SRC/hl-b"
assert_eq "$(printf 'one\ntwo')" "$(cat "$SRC/hl-a")" "a write through one name shows in the other"
rm "$SRC/hl-a"
assert_eq 1 "$(stat -c %h "$SRC/hl-b")" "st_nlink back to 1 after an unlink"

# The same after an unmount and a remount.
umount_block
assert_eq "$ino" "$(stat -c %i "$SRC/ino-b")" "inode number: the same file below the mount"
mount_block t
assert_eq "$ino" "$(stat -c %i "$SRC/ino-b")" "inode number kept across a remount"
umount_block

run_sync t >/dev/null && pass "sync" || fail "sync"
# (xxhsum cannot open paths past PATH_MAX: cmptree below compares those)
assert_trees_equal "$SRC" "$REM" "remote equals source" 2>"$W/manifest.err"
"$DIFFTEST" cmptree --copy "$SRC" "$REM" > "$W/cmp.out" 2>&1 &&
	pass "cmptree --copy: deep paths, devices, sockets, xattrs mirrored" ||
	{ fail "cmptree --copy (deep paths included):"; head -20 "$W/cmp.out"; }
rblocks=$(stat -c %b "$REM/big" 2>/dev/null || echo missing)
[ "$rblocks" != missing ] && [ "$rblocks" -lt 8192 ] &&
	pass "the remote copy is sparse too ($rblocks blocks)" ||
	fail "the remote copy of the 5 GiB file is not sparse: $rblocks blocks"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees (exit 0)"
finish
