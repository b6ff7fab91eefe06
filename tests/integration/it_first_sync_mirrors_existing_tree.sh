#!/bin/bash
# Proves: a block added to an already populated tree (nested directories, a
# sparse file, symlinks of every sort, hard links across directories, a
# fifo, odd names, modes, owners, xattrs, nanosecond times) is mirrored
# exactly by the first sync, holes stay holes, the source is not touched,
# and a second sync with nothing changed writes nothing.
. "$(dirname "$0")/lib.sh"
setup
cd "$SRC"
mkdir -p a/b/c/d/e "empty dir" "mode 700" links
for d in a a/b a/b/c a/b/c/d a/b/c/d/e; do
	for i in 1 2 3; do head -c $((i * 3000)) /dev/urandom > "$d/file$i"; done
done
mkdir many; for i in $(seq 500); do echo "doc $i" > "many/doc$i.txt"; done
head -c 3M /dev/urandom > big.bin
: > empty.txt
truncate -s 256M sparse.img                             # 256 MiB, 8 KiB of data
printf 'header' | dd of=sparse.img conv=notrunc status=none
head -c 8192 /dev/urandom | dd of=sparse.img bs=1M seek=100 conv=notrunc status=none
ln -s ../big.bin links/relative; ln -s "$SRC/big.bin" links/absolute
ln -s "no such target" links/dangling; ln -s ../a/b links/to-a-dir
ln -s loop links/loop                                   # points at itself
ln a/file1 links/hard1; ln a/file1 "a/b/c/hard 2"       # three names, one inode
mkfifo a/b/fifo
echo s > "name with  spaces "; echo n > "$(printf 'new\nline')"; echo d > -leading-dash
echo u > "$(printf 'latin1 \xe9t\xe9')"; echo c > "ünïcödé ✓"
echo l > "$(printf 'L%.0s' $(seq 255))"                 # the longest legal name
echo secret > "mode 700/secret"; chmod 400 "mode 700/secret"; chmod 700 "mode 700"
chmod 4755 a/file2; chown 1000:1000 a/file3; chown -h 1001:1001 links/relative
setfattr -n user.colour -v red big.bin; setfattr -n user.dir -v yes a/b
setfattr -h -n trusted.on-a-symlink -v 1 links/relative; mkfifo fifo-x; setfattr -n user.f -v 2 fifo-x
touch -h -d '2001-02-03 04:05:06.123456789' links/dangling
find . -depth -exec touch -h -d '2020-05-05 05:05:05.987654321' {} +  # dirs last
cd /
manifest "$SRC" "$W/source-before"

"$BTSOOT" add t "$SRC" "$REM" >/dev/null && pass "add on a populated tree" || fail "add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
assert_trees_equal "$SRC" "$REM" "first sync mirrors the existing tree"
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees (exit 0)"
manifest "$SRC" "$W/source-after"
cmp -s "$W/source-before" "$W/source-after" && pass "the sync did not touch the source" ||
	fail "the source changed during the sync"
alloc=$(du -B1 "$REM/sparse.img" | cut -f1)
[ "$alloc" -lt $((1 << 20)) ] && pass "sparse file stays sparse on the remote ($alloc bytes allocated)" ||
	fail "sparse 256 MiB file took $alloc bytes on the remote"
[ "$(stat -c %i "$REM/links/hard1")" = "$(stat -c %i "$REM/a/b/c/hard 2")" ] &&
	pass "hard links stay one inode on the remote" || fail "hard links were split on the remote"
[ "$(stat -c %F "$REM/a/b/fifo")" = "fifo" ] && pass "fifo recreated as a fifo" ||
	fail "fifo is a '$(stat -c %F "$REM/a/b/fifo")' on the remote"
run_sync t >/dev/null && pass "second sync" || fail "second sync"
assert_eq 0 "${SYNC_BYTES:-missing}" "a sync with nothing changed writes 0 bytes"
assert_trees_equal "$SRC" "$REM" "still equal after the second sync"
finish
