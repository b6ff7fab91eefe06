#!/bin/bash
# Proves: a scripted set of operations through the mount (create, overwrite,
# append, truncate, renames of files and of a directory full of files, moves,
# rename over an existing file, unlink, rmdir, symlink, hard link, chmod,
# utimens, fifo, odd names, changes that cancel out, and the syscall-level
# set of `fsops script`) ends, after one sync, with remote == source.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/docs/old" "$SRC/photos" "$SRC/gone/sub"
for i in 1 2 3 4 5; do head -c $((i * 100000)) /dev/urandom > "$SRC/photos/p$i.jpg"; done
echo keep > "$SRC/docs/keep.txt"; echo victim > "$SRC/docs/victim.txt"
echo x > "$SRC/gone/sub/f"
mkdir "$SRC/quiet1" "$SRC/quiet2"; touch -d '2001-01-01' "$SRC/quiet1" "$SRC/quiet2"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || { fail "add"; finish; exit; }
run_sync t >/dev/null && pass "first sync" || fail "first sync"
assert_trees_equal "$SRC" "$REM" "first sync mirrors the existing tree"

mount_block t
cd "$SRC"
echo "new file" > docs/new.txt                         # create
echo "overwritten" > docs/keep.txt                     # overwrite (O_TRUNC)
echo "appended" >> docs/new.txt                        # append
head -c 300000 /dev/urandom > big.bin; truncate -s 1000 big.bin; truncate -s 5000 big.bin
dd if=/dev/urandom of=photos/p5.jpg bs=1000 count=3 seek=100 conv=notrunc 2>/dev/null
mv docs/new.txt docs/renamed.txt                       # rename a file
mv photos pictures                                     # rename a directory full of files
mv pictures/p1.jpg docs/                               # move across directories
mv docs/renamed.txt docs/victim.txt                    # rename over an existing file
rm docs/old -r; rm -r gone                             # rmdir, unlink
ln -s ../pictures/p2.jpg docs/link                     # symlink
ln pictures/p3.jpg pictures/p3-hardlink.jpg            # hard link
chmod 600 pictures/p4.jpg; chmod 750 docs              # chmod
touch -d '2011-11-11 11:11:11.123456789' pictures/p2.jpg  # utimens (ns)
mkfifo docs/fifo
setfattr -h -n trusted.sym -v yes docs/link; setfattr -n user.onfifo -v 1 docs/fifo  # xattrs of a symlink and a fifo
echo odd > "docs/name with spaces and ünïcödé"
echo nl > "$(printf 'docs/new\nline')"
mkdir -p deep/a/b/c && echo deep > deep/a/b/c/file && mv deep deeper
echo t > quiet1/tmp; rm quiet1/tmp                     # changes that cancel out still
mkdir quiet2/sub; rmdir quiet2/sub                     # change their directory's mtime
cd /
# The syscall-level set: writes through fds after rename/unlink/rename-over,
# RENAME_EXCHANGE/NOREPLACE, copy_file_range, a punched hole, an mmap write,
# xattrs, symlink and fifo times, chown.
mkdir "$SRC/scripted"
"$FSOPS" script "$SRC/scripted" && pass "fsops script through the mount" ||
	fail "fsops script: a syscall failed through the mount"
umount_block
run_sync t >/dev/null && pass "sync after changes" || fail "sync after changes"
assert_trees_equal "$SRC" "$REM" "scripted changes are mirrored"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees (exit 0)"
[ -e "$REM/.btsoot/trash" ] && pass "overwritten and deleted data kept in the trash" ||
	fail "no trash folder"
# Negative control: the comparison above can fail.
printf 'X' | dd of="$REM/pictures/p2.jpg" bs=1 seek=10 conv=notrunc 2>/dev/null
manifest "$SRC" "$W/m1"; manifest "$REM" "$W/m2"
cmp -s "$W/m1" "$W/m2" && fail "manifest misses a changed byte" || pass "manifest sees a changed byte"
"$VERIFY" -q t >/dev/null; assert_eq 1 $? "btsoot-verify reports the changed byte (exit 1)"
finish
