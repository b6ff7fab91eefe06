# SPDX-License-Identifier: BSD-3-Clause
# The targets of issue 5, each checked against this run's medians:
# PASS or MISS with the figure; "not run" when its section was skipped and
# "NOT MEASURED" when this run could not meet the target's condition.

verdict() { # VALUE OP THRESHOLD -> PASS / MISS / not run
	[ "$1" = NA ] && { echo "not run"; return; }
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		ok = (op == ">=") ? v >= t : (op == "<=") ? v <= t : (op == "<") ? v < t : v == t
		print ok ? "PASS" : "MISS" }'
}
target() { # WHAT OP THRESHOLD VALUE [SHOWN]
	tbl_row "$1" "$2 $3" "${5:-$4}" "$(verdict "$4" "$2" "$3")"
}

tbl_begin "Targets" target required measured result
r=$(calc a/b %.2f "$(med io.btsootfs.seqwrite)" "$(med io.bare.seqwrite)")
target "a) sequential write, btsootfs / bare" ">=" 0.85 "$r"
r=$(calc a/b %.2f "$(med io.btsootfs.coldread)" "$(med io.bare.coldread)")
target "a) cold sequential read, btsootfs / bare" ">=" 0.85 "$r"
r=$(calc a/b %.2f "$(med io.btsootfs.warmread)" "$(med io.bare.warmread)")
target "a) warm re-read, btsootfs / bare" ">=" 0.8 "$r"
for op in create stat rename unlink readdir readdirstat untar rmrf gitstatus; do
	r=$(calc a/b %.2f "$(med io.btsootfs.$op)" "$(med io.bindfs.$op)")
	f=$(( $(nrounds io.btsootfs.$op.failed) + $(nrounds io.btsootfs.smallfiles.failed) ))
	if [ "$r" = NA ] && [ "$f" -gt 0 ] && [ "$(med io.bindfs.$op)" != NA ]; then
		case $op in create|stat|rename|unlink) ;; *) f=$(nrounds io.btsootfs.$op.failed) ;; esac
		[ "$f" -gt 0 ] && { tbl_row "a) small-file/metadata: $op, btsootfs / bindfs" ">= 1.5" \
			"failed through btsootfs in $f rounds" MISS; continue; }
	fi
	target "a) small-file/metadata: $op, btsootfs / bindfs" ">=" 1.5 "$r"
done
worst=NA worst_op=""
# Only operations that write journal rows: reads cannot cost journaling, and
# on a noisy machine their on/off ratio is noise.
for op in seqwrite randwrite create rename unlink untar rmrf; do
	r=$(calc a/b %.3f "$(med io.btsootfs.$op)" "$(med io.nojournal.$op)")
	[ "$r" = NA ] && continue
	if [ "$worst" = NA ] || awk -v a="$r" -v b="$worst" 'BEGIN { exit !(a < b) }'; then worst=$r worst_op=$op; fi
done
cost=$(calc b/a %.3f "$worst" 1)
target "a) journal cost vs journal off, % more time (worst mutating operation)" "<=" 10 \
	"$(calc a %.3f "$(awk -v c="$cost" 'BEGIN { if (c == "NA") print "NA"; else print (c - 1) * 100 }')")" \
	"$([ "$worst" = NA ] && echo NA || echo "$worst_op: $(awk -v c="$cost" 'BEGIN { printf "%+.0f%%", (c - 1) * 100 }') time")"
for k in local ssh; do
	r=$(calc a/b %.3f "$(med sync.$k.btsoot.wbytes)" "$(med sync.changed)")
	target "b) btsoot-sync bytes written / bytes changed ($k)" "<=" 1.05 "$r"
	r=$(med "sync.$k.btsoot.rbytes")
	target "b) btsoot-sync file data read from the remote ($k), bytes" "=" 0 "$r"
done
r=$(calc a/b %.1f "$(med sync.ssh.rsync.wall)" "$(med sync.ssh.btsoot.wall)")
target "b) rsync wall / btsoot-sync wall over the shaped link" ">=" 10 "$r" "${r/%[0-9]/&x}"
for s in big small; do
	r=$(med "verify.$s.ratio_per_core")
	target "d) btsoot-verify per core / xxhsum per core ($s files)" ">=" 0.9 "$r"
done
n=$(for x in ${SC_SIZES:-}; do echo "$x"; done | tail -1)
if [ -z "$n" ]; then
	target "c) btsootfs VmHWM after 10^6 files touched, MiB" "<" 64 NA
else
	hwm=$(calc a/1024 %.1f "$(med scale.$n.hwm_touch)")
	errs=$(awk -v k="scale.$n.errors" '$1 == k { s += $2 } END { print s + 0 }' "$RAW")
	if [ "$n" -lt 1000000 ] || [ "$errs" -gt 0 ]; then
		tbl_row "c) btsootfs VmHWM after 10^6 files touched, MiB" "< 64" \
			"$hwm after $n files, $errs failed lookups/touches" "NOT MEASURED"
	else
		fds=$(med scale.$n.fds) lim=$(med scale.$n.fdlimit)
		if [ "${lim:-0}" != NA ] && [ "${lim:-0}" -lt "$n" ] 2>/dev/null; then
			target "c) btsootfs VmHWM after 10^6 files touched, MiB" "<" 64 "$hwm" \
				"$hwm (the daemon held at most $fds inodes: descriptor limit $lim)"
		else
			target "c) btsootfs VmHWM after 10^6 files touched, MiB" "<" 64 "$hwm"
		fi
	fi
fi
r=$(med scale.inodemem.per_inode)
[ -n "$r" ] && [ "$r" != NA ] &&
	target "c) daemon at mount + inode table for 10^6 inodes (bench-inodemem), MiB" "<" 64 \
		"$(calc mib_of_1e6_plus_b %.1f "$r" "$(med scale.$n.hwm_mount)")"
tbl_note "Figures are this run's medians. On a shared or busy machine they are noisy: re-measure on an idle one."
[ "$QUICK" = 1 ] && tbl_note "Quick mode: small sizes, for checking that the benchmark runs; not for the targets."
tbl_end
