# SPDX-License-Identifier: BSD-3-Clause
# Shared by tools/bench and its sections: recording figures and taking
# medians, tables (plain text to stdout, markdown to the report), mounts that
# are always cleaned up, and timing a command with its peak memory.
# Set by the driver: B (build dir), W (private work dir), QUICK, ROUNDS.

BTSOOT="$B/tools/btsoot" BTSOOTFS="$B/fs/btsootfs"
SYNC="$B/sync/btsoot-sync" VERIFY="$B/sync/btsoot-verify"
HB="$B/tools/benchprogs"
RAW="$W/raw.txt"       # "KEY VALUE" lines, every round of every figure
MD="$W/tables.md"      # the report's tables, in order
export BTSOOT_CONFIG_DIR="$W/config" BTSOOT_STATE_DIR="$W/state"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.4f", e - s }'; }

# Figures: rec KEY VALUE (once per round), med KEY -> median or NA.
rec() { echo "$1 $2" >> "$RAW"; }
med() {
	awk -v k="$1" '$1 == k { print $2 }' "$RAW" 2>/dev/null | sort -g |
		awk '{ a[NR] = $1 } END { if (!NR) print "NA"; else if (NR % 2) print a[(NR + 1) / 2];
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
nrounds() { awk -v k="$1" '$1 == k { n++ } END { print n + 0 }' "$RAW" 2>/dev/null; }
# calc 'EXPR' with a, b, c bound to the arguments; NA in, NA out.
calc() {
	local e=$1 fmt=${2:-%.2f}; shift 2
	awk -v e="$e" -v fmt="$fmt" -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" \
		-v na="$([[ " $* " == *" NA "* ]] && echo 1)" 'BEGIN {
		if (na) { print "NA"; exit }
		if (e == "a/b") { if (b == 0) { print "NA"; exit } r = a / b }
		else if (e == "b/a") { if (a == 0) { print "NA"; exit } r = b / a }
		else if (e == "a/b/c") { if (b == 0 || c == 0) { print "NA"; exit } r = a / b / c }
		else if (e == "mib/s") { if (b == 0) { print "NA"; exit } r = a / 1048576 / b }
		else if (e == "a/1048576") r = a / 1048576
		else if (e == "a/1024") r = a / 1024
		else if (e == "a") r = a
		else if (e == "mib_of_1e6") r = a * 1000000 / 1048576
		else if (e == "mib_of_1e6_plus_b") r = a * 1000000 / 1048576 + b / 1024
		printf fmt "\n", r }'
}

# Tables: tbl_begin TITLE COL...; tbl_row CELL...; tbl_note TEXT; tbl_end.
tbl_begin() { TBL_TITLE=$1; shift; TBL="$W/tbl.tsv"; (IFS=$'\t'; echo "$*") > "$TBL"; TBL_NOTES=(); }
tbl_row() { (IFS=$'\t'; echo "$*") >> "$TBL"; }
tbl_note() { TBL_NOTES+=("$1"); }
tbl_end() {
	local n
	printf '\n%s\n' "$TBL_TITLE"
	printf '%s\n' "$TBL_TITLE" | sed 's/./-/g'
	column -t -s $'\t' "$TBL"
	for n in "${TBL_NOTES[@]}"; do printf '  * %s\n' "$n"; done
	{
		printf '\n### %s\n\n' "$TBL_TITLE"
		awk -F'\t' 'NR == 1 { printf "|"; for (i = 1; i <= NF; i++) { printf " %s |", $i; s = s "---|" }
				printf "\n|%s\n", s; next }
			{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }' "$TBL"
		[ ${#TBL_NOTES[@]} -eq 0 ] || echo
		for n in "${TBL_NOTES[@]}"; do printf -- '- %s\n' "$n"; done
	} >> "$MD"
}

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# Mounts and processes we start are listed here and undone by bench_cleanup.
note_mount() { echo "$1" >> "$W/mounts"; }
note_pid() { echo "$1" >> "$W/pids"; }
is_mounted() { grep -q " $(realpath -m "$1") " /proc/mounts; }
wait_mounted() { # MOUNTPOINT PID
	for _ in $(seq 200); do
		is_mounted "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	log "mount of $1 failed"; return 1
}
unmount() { # MOUNTPOINT [PID to wait for]
	is_mounted "$1" && { fusermount3 -u "$1" 2>/dev/null || umount "$1"; }
	[ -z "${2:-}" ] && return 0
	for _ in $(seq 300); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.05; done
	log "pid $2 still running 15 s after unmounting $1"; return 1
}

# btsootfs SRC over itself: mount_bt BLOCK SRC [OPTS]; sets BT_PID.
mount_bt() {
	"$BTSOOTFS" "$2" "$2" -o "block=$1${3:+,$3}" -f 2>>"$W/btsootfs.log" &
	BT_PID=$!; note_pid "$BT_PID"; note_mount "$2"
	wait_mounted "$2" "$BT_PID"
}
umount_bt() { unmount "$1" "$BT_PID"; }
vmhwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo NA; }

mount_bindfs() { # SRC MNT
	mkdir -p "$2"
	bindfs -f "$1" "$2" 2>>"$W/bindfs.log" &
	BINDFS_PID=$!; note_pid "$BINDFS_PID"; note_mount "$2"
	wait_mounted "$2" "$BINDFS_PID"
}

# timed PREFIX CMD...: runs CMD under /usr/bin/time -v in a shell that then
# reads its own /proc/PID/io (which, once the tool and its children are
# reaped, includes all their I/O). Sets T_WALL (s), T_RSS (KiB), T_CPU (s),
# T_RC; keeps PREFIX.out, .err, .time and .io.
timed() {
	local p=$1 t0; shift
	t0=$(now)
	bash -c '/usr/bin/time -v -o "$0.time" "$@" >"$0.out" 2>"$0.err"; rc=$?
		cat /proc/$$/io > "$0.io"; exit $rc' "$p" "$@"
	T_RC=$?
	T_WALL=$(since "$t0")
	T_RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$p.time")
	T_CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$p.time")
	return $T_RC
}
io_of() { awk -v k="$2" -F': ' '$1 == k { print $2 }' "$1.io"; } # PREFIX FIELD
