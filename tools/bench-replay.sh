#!/bin/bash
# How fast btsoot-sync replays a journal of N metadata rows (issue 14): a
# tree of N small files (bench-mktree), a first sync, then touch(1) of every
# file through btsootfs (one journaled change each), then the timed sync of
# those rows; rsync's first sync of the same tree is timed beside it, as
# the yardstick the issue names. ROUNDS rounds, medians; the machine is
# shared, so say so when quoting.
# Usage: sudo tools/bench-replay.sh [BUILD_DIR] [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${1:-build}" && pwd); N=${2:-100000}; ROUNDS=${3:-3}
W=$(mktemp -d /tmp/btsoot-replay.XXXXXX)
export BTSOOT_CONFIG_DIR=$W/config BTSOOT_STATE_DIR=$W/state
cleanup() { fusermount3 -u "$W/src" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
now() { date +%s.%N; }
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$B/tools/benchprogs/bench-mktree" "$W/src" "$N" 100 0 100 1 > /dev/null
"$B/tools/btsoot" add bench "$W/src" "$W/rem" > /dev/null
"$B/sync/btsoot-sync" -q bench
: > "$W/replay"; : > "$W/rsync"
for r in $(seq "$ROUNDS"); do
	rm -rf "$W/rsync-rem"; mkdir "$W/rsync-rem"; sync
	t0=$(now); rsync -a --delete "$W/src/" "$W/rsync-rem/"; t1=$(now)
	echo "$t1 - $t0" | bc >> "$W/rsync"
	"$B/fs/btsootfs" "$W/src" "$W/src" -o block=bench
	find "$W/src" -type f -print0 | xargs -0 touch
	rows=$(sqlite3 "$W/state/bench/journal.db" "SELECT count(*) FROM ops")
	t0=$(now); "$B/sync/btsoot-sync" -q bench; t1=$(now)
	echo "$t1 - $t0" | bc >> "$W/replay"
	fusermount3 -u "$W/src"; sleep 0.5
	printf 'round %d: %d rows replayed in %.2f s; rsync first sync %.2f s\n' "$r" "$rows" \
		"$(tail -1 "$W/replay")" "$(tail -1 "$W/rsync")"
done
rp=$(med < "$W/replay"); rs=$(med < "$W/rsync")
printf 'median of %d: replay %.2f s (%.0f rows/s), rsync first sync %.2f s, replay/rsync %.2f\n' \
	"$ROUNDS" "$rp" "$(echo "$N / $rp" | bc -l)" "$rs" "$(echo "$rp / $rs" | bc -l)"
