# SPDX-License-Identifier: BSD-3-Clause
# Section io (a): the same operations on the bare directory, through
# btsootfs (journal on, journal off, and with -o writeback) and through
# bindfs, one configuration after the other within each round. Every figure
# is a rate (higher is better); ratios are rate over rate.

if [ "$QUICK" = 1 ]; then SEQ_MIB=256 RAND_MIB=128 RAND_N=2000 SMALL_N=2000 DIR_N=10000 GIT_N=5000
else SEQ_MIB=2048 RAND_MIB=1024 RAND_N=20000 SMALL_N=20000 DIR_N=100000 GIT_N=50000; fi
# Overrides, e.g. to stay below a low descriptor limit (see section scale).
SMALL_N=${BENCH_SMALL_N:-$SMALL_N} DIR_N=${BENCH_DIR_N:-$DIR_N} GIT_N=${BENCH_GIT_N:-$GIT_N}
IO="$W/io" IO_SRC="$W/io/src"
IO_CFGS="bare btsootfs nojournal writeback bindfs"
mkdir -p "$IO_SRC" "$IO/remote"
"$BTSOOT" add bench-io "$IO_SRC" "$IO/remote" >/dev/null

log "io: preparing files on the bare directory"
dd if=/dev/zero of="$IO_SRC/rand.bin" bs=1M count="$RAND_MIB" conv=fsync status=none
"$HB/bench-mktree" "$IO_SRC/readdir" "$DIR_N" 0 0 0 >/dev/null
tar -C /usr -cf "$IO/tree.tar" include
TAR_N=$(tar -tf "$IO/tree.tar" | wc -l)
"$HB/bench-mktree" "$IO_SRC/repo" "$GIT_N" 500 100 2000 >/dev/null
(cd "$IO_SRC/repo" && git init -q && git add -A &&
	git -c user.name=bench -c user.email=bench@localhost commit -qm tree)

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", (t > 0) ? n / t : 0 }'; }
# A failed operation is recorded as such (and shown in the table), never fatal.
io_fail() { rec "io.$1.$2.failed" 1; log "io: $2 failed on $1: $(tail -1 "$W/io.err" 2>/dev/null)"; }
# Forget cached dentries and inodes between operations: what one operation
# made the kernel (and a FUSE daemon) hold does not burden the next.
forget() { echo 2 > /proc/sys/vm/drop_caches; }
io_round() { # CFG DIR ROUND
	local c=$1 d=$2 r=$3 t0 out op t
	t0=$(now); dd if=/dev/zero of="$d/seq.bin" bs=1M count="$SEQ_MIB" conv=fsync status=none
	rec "io.$c.seqwrite" "$(rate "$SEQ_MIB" "$(since "$t0")")"
	drop_caches
	t0=$(now); dd if="$d/seq.bin" of=/dev/null bs=1M status=none
	rec "io.$c.coldread" "$(rate "$SEQ_MIB" "$(since "$t0")")"
	t0=$(now); dd if="$d/seq.bin" of=/dev/null bs=1M status=none
	rec "io.$c.warmread" "$(rate "$SEQ_MIB" "$(since "$t0")")"
	rm "$d/seq.bin"
	if out=$("$HB/bench-randwrite" "$d/rand.bin" "$RAND_N" 100 2>>"$W/io.err"); then
		rec "io.$c.randwrite" "$(rate "$RAND_N" "$out")"; else io_fail "$c" randwrite; fi
	forget
	mkdir "$d/small$r"
	out=$("$HB/bench-smallfiles" "$d/small$r" "$SMALL_N" 2>>"$W/io.err") || io_fail "$c" smallfiles
	while read -r op t; do [ -n "$op" ] && rec "io.$c.$op" "$(rate "$SMALL_N" "$t")"; done <<< "$out"
	forget # after a failure the kernel may pin the daemon's descriptors
	rm -rf "$d/small$r" 2>>"$W/io.err" || { forget; rm -rf "$d/small$r"; }
	for op in readdir readdirstat; do
		if "$HB/bench-readdir" "$d/readdir" ${op#readdir} >/dev/null 2>>"$W/io.err" && # warm-up
		   out=$("$HB/bench-readdir" "$d/readdir" ${op#readdir} 2>>"$W/io.err"); then
			rec "io.$c.$op" "$(rate $out)"; else io_fail "$c" "$op"; fi
	done
	forget
	mkdir "$d/tarx"
	t0=$(now)
	if tar -xf "$IO/tree.tar" -C "$d/tarx" 2>>"$W/io.err"; then
		rec "io.$c.untar" "$(rate "$TAR_N" "$(since "$t0")")"; else io_fail "$c" untar; fi
	t0=$(now)
	if rm -rf "$d/tarx" 2>>"$W/io.err"; then rec "io.$c.rmrf" "$(rate "$TAR_N" "$(since "$t0")")"
	else io_fail "$c" rmrf; forget; rm -rf "$d/tarx"; fi
	forget
	if git -C "$d/repo" status --porcelain >/dev/null 2>>"$W/io.err"; then # refreshes the index once
		t0=$(now)
		git -C "$d/repo" status --porcelain >/dev/null 2>>"$W/io.err" &&
			rec "io.$c.gitstatus" "$(rate "$GIT_N" "$(since "$t0")")" || io_fail "$c" gitstatus
	else io_fail "$c" gitstatus; fi
}

for r in $(seq "$ROUNDS"); do
	for c in $IO_CFGS; do
		log "io: round $r/$ROUNDS: $c"
		case $c in
		bare) io_round bare "$IO_SRC" "$r" ;;
		btsootfs) mount_bt bench-io "$IO_SRC"; io_round "$c" "$IO_SRC" "$r"
			rec io.daemon_hwm_kib "$(vmhwm_kib "$BT_PID")"; umount_bt "$IO_SRC" ;;
		nojournal|writeback) mount_bt bench-io "$IO_SRC" "$c"; io_round "$c" "$IO_SRC" "$r"
			umount_bt "$IO_SRC" ;;
		bindfs) mount_bindfs "$IO_SRC" "$IO/bind"; io_round "$c" "$IO/bind" "$r"
			unmount "$IO/bind" "$BINDFS_PID" ;;
		esac
	done
done

IO_OPS="seqwrite:MiB/s:sequential write ${SEQ_MIB} MiB (dd 1 MiB, fsync)
coldread:MiB/s:sequential read, cold cache
warmread:MiB/s:sequential re-read, warm cache
randwrite:writes/s:random 4 KiB writes in ${RAND_MIB} MiB, fsync every 100 (${RAND_N})
create:files/s:create+write 1 KiB+close (${SMALL_N} files)
stat:files/s:stat (${SMALL_N} files)
rename:files/s:rename (${SMALL_N} files)
unlink:files/s:unlink (${SMALL_N} files)
readdir:entries/s:readdir of ${DIR_N} entries (warm)
readdirstat:entries/s:readdir + stat of ${DIR_N} entries (warm)
untar:files/s:tar -x of /usr/include (${TAR_N} entries)
rmrf:files/s:rm -rf of that tree
gitstatus:files/s:git status, ${GIT_N}-file repo (warm)"
tbl_begin "a) I/O: rates (median of $ROUNDS rounds) and ratios" \
	operation unit bare btsootfs nojournal writeback bindfs "bt/bare" "bt/bindfs" "journal on/off" "wb/bare"
while IFS=: read -r op unit what; do
	row=("$what" "$unit")
	for c in $IO_CFGS; do
		f=$(nrounds "io.$c.$op.failed")
		[ "$op" = create ] || [ "$op" = stat ] || [ "$op" = rename ] || [ "$op" = unlink ] &&
			f=$((f + $(nrounds "io.$c.smallfiles.failed")))
		cell=$(calc a %.0f "$(med "io.$c.$op")")
		[ "$f" -gt 0 ] && cell="$cell (failed $f/$ROUNDS)"
		row+=("$cell")
	done
	row+=("$(calc a/b %.2f "$(med "io.btsootfs.$op")" "$(med "io.bare.$op")")")
	row+=("$(calc a/b %.2f "$(med "io.btsootfs.$op")" "$(med "io.bindfs.$op")")")
	row+=("$(calc a/b %.2f "$(med "io.btsootfs.$op")" "$(med "io.nojournal.$op")")")
	row+=("$(calc a/b %.2f "$(med "io.writeback.$op")" "$(med "io.bare.$op")")")
	tbl_row "${row[@]}"
done <<< "$IO_OPS"
tbl_note "btsootfs = journal on (the product); nojournal = -o nojournal (benchmark-only switch);"\
" writeback = journal on with -o writeback (kernel writeback cache); bindfs with its defaults."
tbl_note "Ratios are rate/rate: bt/bare 0.85 = 85% of the bare directory's speed;"\
" journal on/off 0.91 = the journal costs ~10%. Cold = after sync + drop_caches."
[ -s "$W/io.err" ] && tbl_note "'failed k/N': the operation failed in k of N rounds (first error: $(grep -m1 . "$W/io.err" 2>/dev/null | cut -c1-120));"\
" the median is of the rounds that succeeded."
tbl_note "Dentry and inode caches are dropped (drop_caches 2) between operations, so that what one operation"\
" left cached (and a FUSE daemon holding it) does not burden the next."
tbl_note "Small-file, readdir, tar and git figures come from single processes (tools/benchprogs,"\
" tar, git), not shell loops. btsootfs daemon peak RSS (VmHWM) after a round:"\
" $(calc a/1024 %.1f "$(med io.daemon_hwm_kib)") MiB."
tbl_end
