#!/bin/bash
# Proves: real programs work through the mount and their results are
# mirrored exactly: git (init, add, commit, gc, fsck), sqlite3 in WAL mode
# (shared-memory mmap, POSIX locks, checkpoints), tar -x of an archive with
# hard links, symlinks, a fifo, xattrs and ACLs, cp -a and rsync -aHAX into
# the mount, and an editor-style save (temp file, fsync, rename over, with
# a backup name). One sync afterwards, without --force: remote == source,
# and btsoot-verify agrees.
. "$(dirname "$0")/lib.sh"
setup
DIFFTEST="$B/tests/integration/difftest"
for p in git sqlite3 tar rsync setfacl; do
	command -v $p >/dev/null || { fail "$p is missing (tools/install-deps.sh installs it)"; finish; exit; }
done
# A little tree to archive and copy, made outside the mount.
T="$W/tree"
mkdir -p "$T/dir/sub" "$T/empty"
head -c 300000 /dev/urandom > "$T/dir/blob"
echo "text" > "$T/dir/sub/a.txt"; ln "$T/dir/sub/a.txt" "$T/dir/hardlink"
ln -s sub/a.txt "$T/dir/symlink"; ln -s ../nowhere "$T/dangling"
mkfifo "$T/fifo"; truncate -s 5M "$T/sparse"; echo end >> "$T/sparse"
setfattr -n user.tag -v blue "$T/dir/blob"; setfacl -m u:65534:r "$T/dir/sub/a.txt"
chmod 2750 "$T/dir/sub"; touch -d '2001-02-03 04:05:06.789' "$T/dir/sub/a.txt"
tar --format=posix --xattrs --xattrs-include='*' --acls -cf "$W/tree.tar" -C "$T" .
for i in $(seq 20); do echo "file $i" > "$SRC/existing-$i"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
mount_block t

# git: a repository with history, packed by gc, then checked. From $W: git
# reads the repository of its working directory first, and the test runs in
# the build directory, whose source tree's .git may not resolve (a git
# worktree's .git file names a path outside a chroot).
export HOME="$W" GIT_CONFIG_NOSYSTEM=1
cd "$W"
git config --global user.email t@example.org; git config --global user.name t
git config --global init.defaultBranch main; git config --global safe.directory '*'
mkdir "$SRC/repo" && cd "$SRC/repo" && git init -q . || fail "git init"
for i in $(seq 5); do
	seq $((i * 1000)) > "f$i.txt"; cp "$T/dir/blob" "bin$i"
	git add -A && git commit -qm "commit $i" || fail "git commit $i"
done
git mv f1.txt renamed.txt && git commit -qm rename || fail "git mv + commit"
git gc -q --aggressive --prune=now && pass "git gc" || fail "git gc"
git fsck --strict --no-dangling --no-progress >/dev/null && pass "git fsck after gc" || fail "git fsck"
assert_eq 6 "$(git rev-list --count HEAD)" "git history through the mount"
cd /

# sqlite3 in WAL mode: many rows, several transactions, a checkpoint.
db="$SRC/data.db"
sqlite3 "$db" "PRAGMA journal_mode=WAL;" >/dev/null
sqlite3 "$db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
	INSERT INTO t(v) SELECT hex(randomblob(32)) FROM n;" || fail "sqlite3 insert"
for i in $(seq 10); do
	sqlite3 "$db" "INSERT INTO t(v) VALUES ('row $i'); UPDATE t SET v = 'u' WHERE id = $i;" ||
		fail "sqlite3 transaction $i"
done
# Four writers at once: WAL locking (POSIX locks, the -shm mapping).
for w in 1 2 3 4; do
	(for i in $(seq 50); do
		sqlite3 -cmd '.timeout 10000' "$db" "INSERT INTO t(v) VALUES ('w$w-$i');" || exit 1
	done) & pids="${pids:-} $!"
done
for p in $pids; do wait "$p" || fail "a concurrent sqlite3 writer failed"; done
assert_eq 20210 "$(sqlite3 "$db" 'SELECT count(*) FROM t;')" "sqlite3 WAL: every row, 4 writers at once"
assert_eq ok "$(sqlite3 "$db" 'PRAGMA integrity_check;')" "sqlite3 integrity_check"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null || fail "sqlite3 checkpoint"

# tar -x, cp -a, rsync -aHAX: each must equal the tree it came from.
mkdir "$SRC/untar" && tar --xattrs --xattrs-include='*' --acls -xpf "$W/tree.tar" -C "$SRC/untar" ||
	fail "tar -x"
cp -a "$T" "$SRC/cp-a" || fail "cp -a"
rsync -aHAX "$T/" "$SRC/rsynced/" || fail "rsync -aHAX"
rsync -aHAX --delete "$T/" "$SRC/rsynced/" || fail "rsync -aHAX again (nothing to do)"
for d in untar cp-a rsynced; do
	"$DIFFTEST" cmptree --copy "$T" "$SRC/$d" > "$W/cmp-$d.out" 2>&1 &&
		pass "$d: equal to the original (times, xattrs, ACLs, hard links, fifo)" ||
		{ fail "$d differs from the original:"; head -12 "$W/cmp-$d.out"; }
done

# An editor's save: backup name, new content in a temp file, fsync, rename.
echo "version 1" > "$SRC/doc.txt"
for v in 2 3 4; do
	ln -f "$SRC/doc.txt" "$SRC/doc.txt~"
	printf 'version %s\n' "$v" > "$SRC/.doc.txt.swp"
	sync "$SRC/.doc.txt.swp" || fail "fsync of the temp file"
	mv "$SRC/.doc.txt.swp" "$SRC/doc.txt" || fail "rename over"
done
assert_eq "version 4" "$(cat "$SRC/doc.txt")" "editor save: the new content"
assert_eq "version 3" "$(cat "$SRC/doc.txt~")" "editor save: the backup"

umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0 at the unmount"
run_sync t >/dev/null && pass "sync without --force" || fail "sync without --force"
assert_trees_equal "$SRC" "$REM" "remote equals source"
"$DIFFTEST" cmptree --copy "$SRC" "$REM" > "$W/cmp.out" 2>&1 &&
	pass "cmptree --copy source remote" || { fail "cmptree --copy:"; head -12 "$W/cmp.out"; }
"$VERIFY" -q t >/dev/null; assert_eq 0 $? "btsoot-verify agrees (exit 0)"
(cd "$REM/repo" && git fsck --strict --no-dangling --no-progress >/dev/null) && pass "the remote's git repository is sound" ||
	fail "git fsck on the remote"
# (a copy: opening a WAL database writes beside it)
cp "$REM/data.db" "$W/remote-copy.db" || fail "no data.db on the remote"
assert_eq "ok 20210" "$(sqlite3 "$W/remote-copy.db" 'PRAGMA integrity_check;' \
	'SELECT count(*) FROM t;' 2>&1 | tr '\n' ' ' | sed 's/ $//')" "the remote's database is sound and whole"
finish
