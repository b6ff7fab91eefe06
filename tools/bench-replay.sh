#!/bin/bash
# How fast btsoot-sync replays a journal of N rows (issue 14): a tree of N
# small files (bench-mktree, 1000 per directory, 0-100 bytes), a first
# sync, then, per workload and round, one change to every file through
# btsootfs (one journaled row each) and the timed sync of those rows, with
# btsootfs still mounted (as in production: no walk for changes made
# while unmounted; a sync right after mounting clears that first).
# Workloads: touch (touch(1) of every file: a META row each), chmod
# (chmod -R, o-r and back: a META row per file and directory), write
# (100 bytes written at offset 0 of every file, a tagger rewriting
# headers: a WRITE row each; files this small are copied whole, the old
# version kept in the remote's trash). rsync's first sync of the same tree
# is timed once, as the yardstick the issue names. Medians of ROUNDS; the
# machine is shared, so say so when quoting.
# Usage: sudo tools/bench-replay.sh [BUILD_DIR] [N] [ROUNDS] [WORKLOADS]
#   e.g. tools/bench-replay.sh build 1000000 1 "touch chmod write"
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${1:-build}" && pwd); N=${2:-100000}; ROUNDS=${3:-3}; WORKLOADS=${4:-touch chmod write}
W=$(mktemp -d /tmp/btsoot-replay.XXXXXX)
export BTSOOT_CONFIG_DIR=$W/config BTSOOT_STATE_DIR=$W/state
cleanup() { fusermount3 -u "$W/src" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
now() { date +%s.%N; }
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The journal's row count once btsootfs has committed what it holds (it
# commits in the background: the count stops moving).
settled_rows() {
	local a b=-1
	a=$(sqlite3 "$W/state/bench/journal.db" "SELECT count(*) FROM ops")
	while [ "$a" != "$b" ]; do
		sleep 1; b=$a
		a=$(sqlite3 "$W/state/bench/journal.db" "SELECT count(*) FROM ops")
	done
	echo "$a"
}

change() {
	case $1 in
	touch) find "$W/src" -type f -print0 | xargs -0 touch ;;
	chmod) if [ -e "$W/flip" ]; then chmod -R o+r "$W/src"; rm "$W/flip"
	       else chmod -R o-r "$W/src"; : > "$W/flip"; fi ;;
	write) find "$W/src" -type f -print0 |
		perl -0ne 'chomp; open(my $f, "+<", $_) or die "$_: $!\n"; print $f "t" x 100; close $f or die' ;;
	*) echo "unknown workload $1" >&2; exit 2 ;;
	esac
}

"$B/tools/benchprogs/bench-mktree" "$W/src" "$N" 1000 0 100 1 > /dev/null
mkdir "$W/rem" "$W/rsync-rem"
"$B/tools/btsoot" add bench "$W/src" "$W/rem" > /dev/null
"$B/sync/btsoot-sync" -q bench
sync; t0=$(now); rsync -a --delete "$W/src/" "$W/rsync-rem/"; t1=$(now)
rs=$(echo "$t1 - $t0" | bc); rm -rf "$W/rsync-rem"
printf 'rsync first sync of the %d files: %.2f s\n' "$N" "$rs"
for wl in $WORKLOADS; do
	: > "$W/replay.$wl"
	for r in $(seq "$ROUNDS"); do
		"$B/fs/btsootfs" "$W/src" "$W/src" -o block=bench
		"$B/sync/btsoot-sync" -q bench # clears what the last unmount left to look for
		change "$wl"
		rows=$(settled_rows)
		t0=$(now); "$B/sync/btsoot-sync" -q bench; t1=$(now)
		echo "$t1 - $t0" | bc >> "$W/replay.$wl"
		fusermount3 -u "$W/src"; sleep 0.5
		printf '%s round %d: %d rows replayed in %.2f s (%.0f rows/s)\n' "$wl" "$r" "$rows" \
			"$(tail -1 "$W/replay.$wl")" "$(echo "$rows / $(tail -1 "$W/replay.$wl")" | bc -l)"
	done
	rp=$(med < "$W/replay.$wl")
	printf '%s: median of %d: %.2f s, %.0f rows/s, replay/rsync first sync %.2f\n' \
		"$wl" "$ROUNDS" "$rp" "$(echo "$rows / $rp" | bc -l)" "$(echo "$rp / $rs" | bc -l)"
done
