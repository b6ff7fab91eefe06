#!/bin/bash
# Proves: a sync that ran out of space on the remote (a 20 MiB tmpfs, a
# change set of 30 MiB) and is retried after the remote grew copies only
# what the failed run had not copied yet: the retry's "bytes written" is the
# change set minus the files already complete on the remote, and no
# identical copy lands in the trash. And the skip is never wrong: a file the
# failed run had copied, then rewritten through the mount with its size and
# mtime kept (touch -d), is copied again.
. "$(dirname "$0")/lib.sh"
setup
mount -t tmpfs -o size=20m tmpfs "$REM" || { fail "cannot mount a tmpfs remote"; finish; exit 1; }
trap 'umount_block; umount "$REM" 2>/dev/null; cleanup' EXIT
for i in $(seq 10); do echo "keep $i" > "$SRC/keep$i"; done
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t
mkdir "$SRC/big"
for i in $(seq -w 30); do head -c 1M /dev/urandom > "$SRC/big/f$i"; done
umount_block
sleep 1.2 # the skip needs the source unchanged for a second before the failed run
"$SYNC" -q t > "$W/full.out" 2>&1; assert_eq 7 $? "the sync into the full remote exits 7"
# Files the failed run completed: on the remote with the source's content.
done_bytes=0; done_files=()
for f in "$SRC"/big/f*; do
	r="$REM/big/${f##*/}"
	if [ -f "$r" ] && cmp -s "$f" "$r"; then
		done_bytes=$((done_bytes + $(stat -c %s "$f"))); done_files+=("${f##*/}")
	fi
done
[ ${#done_files[@]} -gt 2 ] && pass "the failed run completed ${#done_files[@]} files first" ||
	fail "the failed run completed only ${#done_files[@]} files: nothing to measure"
# One completed file rewritten with the same size and mtime kept.
victim=${done_files[0]}
mount_block t
old_mtime=$(stat -c %y "$SRC/big/$victim")
head -c 1M /dev/urandom > "$SRC/big/$victim"; touch -d "$old_mtime" "$SRC/big/$victim"
umount_block
assert_eq "$(stat -c '%s %Y' "$REM/big/$victim")" "$(stat -c '%s %Y' "$SRC/big/$victim")" \
	"the rewritten file kept the size and mtime of the remote copy"
mount -o remount,size=200m "$REM"
trash_files() { find "$REM/.btsoot/trash" -mindepth 2 -path '*/.btsoot' -prune -o -type f -print 2>/dev/null | wc -l; }
trash_before=$(trash_files)
run_sync t >/dev/null || fail "the retry after the remote grew"
want=$(( 30 * 1048576 - done_bytes + 1048576 ))
assert_eq "$want" "$SYNC_BYTES" "the retry wrote only what was missing (+ the rewritten file)"
echo "# failed run completed $done_bytes bytes; retry wrote $SYNC_BYTES of $((30 * 1048576))"
trash_after=$(trash_files)
assert_eq $((trash_before + 1)) "$trash_after" \
	"the trash got only the rewritten file's old copy, no identical ones"
assert_eq "$(xxhsum -H2 < "$SRC/big/$victim")" "$(xxhsum -H2 < "$REM/big/$victim")" \
	"the rewritten file (same size and mtime) was copied again"
assert_trees_equal "$SRC" "$REM" "remote equals source"
[ ! -e "$REM/.btsoot/copied" ] && pass "the copy ledger is gone after a complete replay" ||
	fail "the ledger outlived the replay"
finish
