#!/bin/bash
# Proves: a reconciling rescan (here forced with the state dir's
# NEEDS_RESCAN, as btsootfs leaves it when it cannot journal) covers the
# journal rows before it, but does not lose the writes they name: a file
# rewritten through the mount with the same size and its mtime set back
# (a tagger that keeps file times) looks unchanged to a metadata
# comparison, yet its new content reaches the remote, because the pass
# copies every file the journal says was written. Compared by manifest.
. "$(dirname "$0")/lib.sh"
setup
mkdir -p "$SRC/music"
head -c 40000 /dev/urandom > "$SRC/music/a.mp3"; head -c 9000 /dev/urandom > "$SRC/music/b.mp3"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
mount_block t
run_sync t >/dev/null && pass "first sync" || fail "first sync"
for f in a b; do
	t0=$(stat -c %y "$SRC/music/$f.mp3")
	dd if=/dev/urandom of="$SRC/music/$f.mp3" bs=100 count=3 seek=1 conv=notrunc status=none
	touch -m -d "$t0" "$SRC/music/$f.mp3"
done
echo "btsootfs could not journal (test)" > "$W/state/t/NEEDS_RESCAN"
run_sync t >/dev/null; rc=$?
assert_eq 0 "$rc" "the reconciling sync"
assert_eq absent "$([ -e "$W/state/t/NEEDS_RESCAN" ] && echo present || echo absent)" \
	"the rescan answered NEEDS_RESCAN"
assert_trees_equal "$SRC" "$REM" "rewritten files with their times set back are on the remote"
umount_block
finish
