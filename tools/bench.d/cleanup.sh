# SPDX-License-Identifier: BSD-3-Clause
# Undoes everything tools/bench set up, newest first: mounts (all under $W),
# processes it started (by pid), the network namespace; then removes $W
# without crossing into a mount that failed to go away.
bench_cleanup() {
	local m p
	set +e
	if [ -z "${REPORT_DONE:-}" ] && [ -s "$MD" ]; then # stopped early: keep what was measured
		source "$HERE/bench.d/report.sh"
		write_report "$OUT.partial" && log "stopped early: partial report in $OUT.partial"
	fi
	[ -n "${NET_NS:-}" ] && net_down
	if [ -f "$W/mounts" ]; then
		tac "$W/mounts" | while read -r m; do
			is_mounted "$m" && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
		done
	fi
	if [ -f "$W/pids" ]; then
		tac "$W/pids" | while read -r p; do
			for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -0 "$p" 2>/dev/null && kill "$p"
		done
	fi
	if [ "$KEEP" = 1 ]; then
		log "kept $W"
	elif grep -q " $W/" /proc/mounts; then
		log "not removing $W: still mounted below it"
	else
		rm -rf --one-file-system "$W"
	fi
}
