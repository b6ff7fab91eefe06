#!/bin/bash
# Sequential read of one big file, side by side: the bare directory and
# the same file through btsootfs (as mounted by default: with passthrough
# where libfuse, the kernel and the options allow it; and with
# -o writeback, which turns passthrough off, as the cached-read control).
# Cold: the file's pages dropped first (dd iflag=nocache count=0, i.e.
# posix_fadvise DONTNEED, of that file only; through a bind mount of the
# source made before btsootfs covered it, and through the mount for
# btsootfs's own page cache). Warm: read again at once. Medians of ROUNDS
# (5) rounds of a SIZE_MIB (1024) MiB file; rates in MiB/s by dd.
# Run as root, from the source tree:
#   BTSOOT_BUILD=build tools/bench-read.sh
#   BTSOOT_CI_RUN='meson setup build-debian13 >/dev/null 2>&1; ninja -C build-debian13 &&
#     BTSOOT_BUILD=build-debian13 tools/bench-read.sh' tools/test-debian13.sh
set -u
ROUNDS=${ROUNDS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
. "$(dirname "$0")/../tests/integration/lib.sh"
setup
mkdir "$W/bare" "$W/under"
head -c $((SIZE_MIB << 20)) /dev/urandom > "$W/bare/big"
cp "$W/bare/big" "$SRC/big"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
mount --bind "$SRC" "$W/under"

drop() { dd if="$1" iflag=nocache count=0 status=none; }
# MiB/s of one sequential read of $1 (dd's own figure, converted).
rate() {
	dd if="$1" of=/dev/null bs=1M 2>&1 | awk '/copied/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $(i + 1) ~ /B\/s$/) {
			r = $i; u = $(i + 1) }
		f = (u == "GB/s") ? 1e9 : (u == "MB/s") ? 1e6 : (u == "kB/s") ? 1e3 : 1
		printf "%.0f\n", r * f / 1048576 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

run_mode() { # LABEL (btsootfs mounted as wanted)
	local i
	: > "$W/$1.cold"; : > "$W/$1.warm"; : > "$W/bare.cold.$1"; : > "$W/bare.warm.$1"
	for i in $(seq "$ROUNDS"); do
		drop "$W/bare/big"; rate "$W/bare/big" >> "$W/bare.cold.$1"
		rate "$W/bare/big" >> "$W/bare.warm.$1"
		drop "$W/under/big"; drop "$SRC/big"; rate "$SRC/big" >> "$W/$1.cold"
		rate "$SRC/big" >> "$W/$1.warm"
	done
	local bc bw mc mw
	bc=$(median < "$W/bare.cold.$1"); bw=$(median < "$W/bare.warm.$1")
	mc=$(median < "$W/$1.cold"); mw=$(median < "$W/$1.warm")
	awk -v l="$1" -v s="$SIZE_MIB" -v bc="$bc" -v mc="$mc" -v bw="$bw" -v mw="$mw" 'BEGIN {
		printf "| %s | %s | %s | %s | %.2f | %s | %s | %.2f |\n", l, s, bc, mc, mc / bc, bw, mw, mw / bw }'
}

echo "| btsootfs | MiB | bare cold MiB/s | btsootfs cold MiB/s | ratio | bare warm MiB/s | btsootfs warm MiB/s | ratio |"
echo "|---|---|---|---|---|---|---|---|"
mount_block t
stat "$SRC/big" >/dev/null # INIT answered: its log line is written
run_mode "default ($(grep -o 'passthrough: [a-z]*' "$W/daemon.log" | tail -1))"
umount_block
MOUNT_OPTS=writeback mount_block t
run_mode "-o writeback (passthrough off)"
umount_block
umount "$W/under"
echo "(medians of $ROUNDS rounds; libfuse $(pkg-config --modversion fuse3), $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"))"
finish >/dev/null
