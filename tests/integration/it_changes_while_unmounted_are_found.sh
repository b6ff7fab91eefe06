#!/bin/bash
# Proves: changes written to the source while btsootfs was not mounted (so
# the journal never saw them) are found by the next sync's stat pass and
# mirrored: edits (also with the mtime set back), appends, truncation,
# chmod, xattrs, new files and directories, deletions, a directory renamed,
# a symlink, a hard-linked file edited and a new hard link (the structure
# stays: two names of one file on the remote); the sync says it found them and verify then finds remote ==
# source. A sync run while still unmounted keeps looking next time; a sync
# with btsootfs mounted throughout stops looking. A deletion of most of the
# mirror while unmounted is refused (exit 8) until --force, and the deleted
# files are in the trash. scan_offline_changes = 0 turns the pass off.
. "$(dirname "$0")/lib.sh"
setup

for d in a b c; do
	mkdir -p "$SRC/$d/sub"
	for i in $(seq 6); do head -c $((i * 3000)) /dev/urandom > "$SRC/$d/f$i"; done
	echo "$d" > "$SRC/$d/sub/leaf"
done
mkdir -p "$SRC/deep/x/y/z"; echo deep > "$SRC/deep/x/y/z/file"
echo top > "$SRC/top"
ln "$SRC/a/f1" "$SRC/b/linked-a-f1"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
mount_block t; echo through > "$SRC/a/through-mount"; umount_block


# 1. Behind the mount's back (it is not mounted).
sleep 0.1
dd if=/dev/urandom of="$SRC/a/f3" bs=100 count=1 seek=5 conv=notrunc status=none
dd if=/dev/urandom of="$SRC/a/f4" bs=100 count=1 seek=7 conv=notrunc status=none
touch -d '2001-02-03 04:05:06' "$SRC/a/f4"          # content changed, mtime set back
echo more >> "$SRC/b/f2"
truncate -s 10 "$SRC/b/f5"
chmod 600 "$SRC/c/f1"
setfattr -n user.offline -v yes "$SRC/c/f2"
echo new > "$SRC/c/sub/new-file"
mkdir -p "$SRC/newdir/inner"; echo n > "$SRC/newdir/inner/n"
rm "$SRC/b/f6"; rm -r "$SRC/c/sub" 2>/dev/null || true
mkdir -p "$SRC/c/sub"; echo back > "$SRC/c/sub/leaf2"
mv "$SRC/deep/x" "$SRC/deep/moved"
echo "deeper edit" > "$SRC/deep/moved/y/z/file"
ln -s ../top "$SRC/a/link-to-top"
dd if=/dev/urandom of="$SRC/b/linked-a-f1" bs=50 count=1 seek=2 conv=notrunc status=none
ln "$SRC/c/f3" "$SRC/deep/new-link-c-f3"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "sync after changes made while unmounted"
grep -q "changed while unmounted" "$W/sync.err" && pass "the sync says it found them" ||
	fail "the sync did not say so: $(head -3 "$W/sync.err")"
assert_verified_equal "changes made while unmounted"

# 2. Still unmounted: the next sync keeps looking.
echo "second round" > "$SRC/b/f1"
run_sync t >/dev/null || fail "second sync"
assert_verified_equal "a second round of changes while unmounted"

# 3. Mounted throughout a sync: later syncs trust the journal alone.
mount_block t
echo "through the mount" > "$SRC/b/f3"
run_sync t >/dev/null || fail "sync while mounted"
assert_verified_equal "sync while mounted"
# offline_since: the time from which the next sync looks for changes made
# behind btsootfs's back; 0 turns that walk off.
assert_eq 0 "$(journal_meta offline_since)" \
	"with btsootfs mounted throughout, the next sync has no offline moment to walk"
run_sync t >/dev/null && pass "a later sync while mounted" || fail "a later sync while mounted"
assert_eq 0 "$(journal_meta offline_since)" "nor does the one after it"
umount_block

# 4. Most of the mirror deleted while unmounted: refused until --force.
hashes() { (cd "$1" && find . -path ./.btsoot -prune -o -type f -print0 | LC_ALL=C sort -z |
	xargs -0 -r xxhsum -q -H2); }
hashes "$REM" > "$W/mirror.hashes"
rm -r "$SRC/a" "$SRC/b" "$SRC/c" "$SRC/newdir"
"$SYNC" -q t > "$W/s.out" 2> "$W/s.err"; rc=$?
assert_eq 8 "$rc" "deleting most of the mirror while unmounted is refused with exit 8"
grep -q "while it was not mounted" "$W/s.err" && grep -q -- "--force" "$W/s.err" &&
	grep -qx "btsoot-sync: would delete a" "$W/s.err" &&
	pass "the refusal says what and how to go on" || fail "unclear refusal: $(cat "$W/s.err")"
[ -e "$REM/a/f1" ] && pass "nothing was deleted on the remote" || fail "the remote lost a/f1"
"$SYNC" -q --force t > /dev/null 2>&1; rc=$?
assert_eq 0 "$rc" "--force applies it"
missing=0
(cd "$REM" && find .btsoot/trash -type f -print0 | xargs -0 -r xxhsum -q -H2 | cut -d' ' -f1 |
	sort -u) > "$W/trash.h"
while read -r h p; do
	case $p in ./a/*|./b/*|./c/*|./newdir/*) grep -qx "$h" "$W/trash.h" || missing=$((missing + 1));; esac
done < "$W/mirror.hashes"
assert_eq 0 "$missing" "every file deleted while unmounted is in the remote's trash"
assert_verified_equal "mass deletion while unmounted, forced"

# 5. scan_offline_changes = 0: the pass is off (verify still sees it).
sed -i '/^scan_offline_changes/d' "$BTSOOT_CONFIG_DIR/blocks/t.conf" # a key once only
echo "scan_offline_changes = 0" >> "$BTSOOT_CONFIG_DIR/blocks/t.conf"
echo "unseen" > "$SRC/top"
run_sync t >/dev/null || fail "sync with the pass off"
"$VERIFY" -q t > /dev/null 2>&1; rc=$?
assert_eq 1 "$rc" "with scan_offline_changes = 0 the change is not looked for (verify reports it)"
sed -i '/scan_offline_changes/d' "$BTSOOT_CONFIG_DIR/blocks/t.conf"
run_sync t >/dev/null || fail "sync with the pass on again"
assert_verified_equal "pass on again"
finish
