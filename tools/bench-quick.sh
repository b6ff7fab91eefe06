#!/bin/bash
# Quick side-by-side check of the FUSE design (the full benchmark is
# tools/bench, issue 5): sequential write/read of a large file and
# create/stat/unlink of many small files, on the bare directory, through
# btsootfs (journal on and off) and through bindfs, in one run.
# Usage: sudo tools/bench-quick.sh [BUILD_DIR] [SIZE_MIB] [NFILES]
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${1:-build}" && pwd); SIZE=${2:-1024}; N=${3:-5000}
command -v bindfs >/dev/null || apt-get install -y -qq bindfs >/dev/null
W=$(mktemp -d /tmp/btsoot-bench.XXXXXX)
export BTSOOT_CONFIG_DIR=$W/config BTSOOT_STATE_DIR=$W/state
mkdir -p "$W/src" "$W/rem" "$W/bind"
"$B/tools/btsoot" add bench "$W/src" "$W/rem" >/dev/null
cleanup() { for m in "$W/src" "$W/bind"; do fusermount3 -u "$m" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v s="$1" -v e="$2" -v m="$SIZE" 'BEGIN { printf "%8.0f MB/s", m * 1.048576 / (e - s) }'; }
ops() { awk -v s="$1" -v e="$2" -v n="$N" 'BEGIN { printf "%8.0f ops/s", n / (e - s) }'; }

run() { # LABEL DIR
	local d=$2/bench t0 t1 t2 t3 t4 t5
	mkdir -p "$d"
	t0=$(now); dd if=/dev/zero of="$d/big" bs=1M count="$SIZE" conv=fsync status=none; t1=$(now)
	sync; echo 3 > /proc/sys/vm/drop_caches
	t2=$(now); dd if="$d/big" of=/dev/null bs=1M status=none; t3=$(now)
	rm "$d/big"
	mkdir -p "$d/small"
	t4=$(now)
	(cd "$d/small" && for i in $(seq "$N"); do : > "f$i"; done && stat -c %s f* > /dev/null &&
		find . -type f -delete)
	t5=$(now)
	printf '%-22s write %s  cold read %s  small-file create+stat+unlink %s\n' "$1" \
		"$(rate "$t0" "$t1")" "$(rate "$t2" "$t3")" "$(ops "$t4" "$t5")"
	rm -rf "$d"
}

unmount_wait() { # the daemon lets go of its lock a moment after the unmount
	fusermount3 -u "$1"
	while "$B/tools/btsoot" status bench | grep -q "mounted (pid"; do sleep 0.1; done
}

run "bare directory" "$W/src"
"$B/fs/btsootfs" "$W/src" "$W/src" -o block=bench; run "btsootfs" "$W/src"; unmount_wait "$W/src"
"$B/fs/btsootfs" "$W/src" "$W/src" -o block=bench,nojournal; run "btsootfs nojournal" "$W/src"; unmount_wait "$W/src"
bindfs "$W/src" "$W/bind"; run "bindfs" "$W/bind"; fusermount3 -u "$W/bind"
