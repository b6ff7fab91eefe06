#!/bin/bash
# The README's first command: install what is missing, build, then show the
# main job on a generated tree: mount btsootfs over the source, change things
# (a directory rename, moves, deletions, edits), sync, verify, and print how
# many bytes crossed to the remote against the tree's size.
# Usage: tools/demo.sh [BUILD_DIR]    (as root, with /dev/fuse)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
tools/install-deps.sh
[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
B=$(cd "$BUILD" && pwd)
[ -c /dev/fuse ] || { echo "demo: /dev/fuse is missing: btsootfs needs FUSE"; exit 1; }

W=$(mktemp -d /tmp/btsoot-demo.XXXXXX)
SRC=$W/source REM=$W/remote
export BTSOOT_CONFIG_DIR=$W/config BTSOOT_STATE_DIR=$W/state
cleanup() {
	grep -q " $SRC fuse" /proc/mounts && fusermount3 -u "$SRC"
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$SRC" "$REM"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
say() { printf '\n== %s\n' "$*"; }

say "generating a demo tree in $SRC"
for year in 2019 2020 2021; do
	mkdir -p "$SRC/media/$year"
	for i in 1 2 3; do head -c $((10 + 10 * i))M /dev/urandom > "$SRC/media/$year/clip$i.mp4"; done
done
for d in $(seq 1 20); do
	mkdir -p "$SRC/docs/d$d"
	for f in $(seq 1 100); do head -c $((1024 + RANDOM % 7000)) /dev/urandom > "$SRC/docs/d$d/note$f.txt"; done
done
TREE=$(du -sb "$SRC" | cut -f1)
echo "$(find "$SRC" -type f | wc -l) files, $(mib "$TREE")"

say "btsoot add demo, first sync (mirrors everything)"
"$B/tools/btsoot" add demo "$SRC" "$REM" | head -1
"$B/sync/btsoot-sync" demo

say "mount btsootfs over the source itself, then change things through it"
"$B/fs/btsootfs" "$SRC" "$SRC" -o block=demo
RENAMED=$(du -sb "$SRC/media" | cut -f1)
mv "$SRC/media" "$SRC/Media Library"                           # rename: most of the bytes
M="$SRC/Media Library"
mkdir "$SRC/docs/moved"; mv "$SRC"/docs/d1/note1*.txt "$SRC/docs/moved/"   # moves
mv "$M/2021/clip1.mp4" "$M/2020/clip1-from-2021.mp4"
rm -r "$SRC/docs/d2"; rm "$M/2021/clip3.mp4"                    # deletions
dd if=/dev/urandom of="$M/2020/clip1.mp4" bs=1M count=1 seek=10 conv=notrunc status=none
for f in 1 2 3; do echo "appended line $f" >> "$SRC/docs/d3/note$f.txt"; done
mkdir "$SRC/docs/new"; for f in $(seq 1 50); do head -c 2048 /dev/urandom > "$SRC/docs/new/n$f.txt"; done
CHANGED=$((1048576 + 3 * 16 + 50 * 2048))
echo "renamed a directory holding $(mib "$RENAMED"), moved 13 files, deleted a directory"
echo "of 100 files and a 40 MiB file, rewrote 1 MiB in the middle of a 20 MiB file,"
echo "appended to 3 files, created 50 files"

say "btsoot-sync demo (replays the journal)"
OUT=$("$B/sync/btsoot-sync" -v demo); echo "$OUT"
SENT=$(echo "$OUT" | sed -n 's/.* \([0-9]*\) bytes written to the remote.*/\1/p')

say "btsoot-verify demo (hashes both trees)"
set +e; "$B/sync/btsoot-verify" demo; V=$?; set -e
fusermount3 -u "$SRC"

say "summary"
printf '%-40s %s\n' "tree size" "$(mib "$TREE")" \
	"directory renamed on the source" "$(mib "$RENAMED")" \
	"new and changed content (approx.)" "$(mib "$CHANGED")" \
	"bytes the change sync wrote" "$SENT ($(mib "$SENT"))" \
	"written / tree size" "$(awk -v a="$SENT" -v b="$TREE" 'BEGIN { printf "%.4f%%", 100 * a / b }')" \
	"verify" "$([ $V -eq 0 ] && echo "remote equals source" || echo "DIFFERENCES (exit $V)")"
if [ ! -e "$REM/Media Library/2019/clip1.mp4" ] || [ -e "$REM/media" ]; then
	echo "demo: the directory rename did not reach the remote"; exit 1
fi
exit $V
