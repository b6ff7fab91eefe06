# SPDX-License-Identifier: BSD-3-Clause
# Section scale (c): a sync of 100 changed files in trees of growing size,
# btsoot-sync vs `rsync -a --delete` (local remote, caches dropped before
# each run, as for a nightly cron job), and the btsootfs daemon's peak memory
# after every file of the tree has been looked up and then touched.

SC="$W/scale"
if [ "$QUICK" = 1 ]; then SC_SIZES="10000 100000"; else SC_SIZES="10000 1000000"; fi
mkdir -p "$SC/log"

scale_size() { # NFILES
	local n=$1 src="$SC/src-$1" rb="$SC/rem-bt-$1" rr="$SC/rem-rs-$1" blk="scale-$1" t0 k i r
	log "scale: generating $n files"
	t0=$(now)
	"$HB/bench-mktree" "$src" "$n" 1000 0 100 3 >/dev/null
	rec "scale.$n.gen" "$(since "$t0")"
	mkdir -p "$rb" "$rr"
	"$BTSOOT" add "$blk" "$src" "$rb" >/dev/null
	log "scale: $n files: first syncs (full mirror)"
	timed "$SC/log/$n.first-bt" "$SYNC" -q "$blk" || log "scale: first btsoot-sync exited $T_RC"
	rec "scale.$n.bt.first" "$T_WALL"
	timed "$SC/log/$n.first-rs" rsync -a "$src/" "$rr/"
	rec "scale.$n.rs.first" "$T_WALL"
	# btsootfs stays mounted across the rounds, as from fstab: the first sync
	# after a mount walks the source for changes made while it was not
	# mounted (reported on its own), the nightly ones after it do not.
	# rsync reads the bare source through a bind mount made before
	# btsootfs covers the path.
	mkdir -p "$src.bare"; mount --bind "$src" "$src.bare"; note_mount "$src.bare"
	mount_bt "$blk" "$src"
	drop_caches
	timed "$SC/log/$n.aftermount" "$SYNC" -q "$blk" || log "scale: first sync after mount exited $T_RC"
	rec "scale.$n.bt.aftermount" "$T_WALL"
	for r in $(seq "$ROUNDS"); do
		log "scale: $n files, round $r/$ROUNDS"
		for k in $(seq 0 99); do
			i=$((k * (n / 100) + r))
			printf 'round %d\n' "$r" 2>>"$SC/log/$n.change.err" \
				>> "$(printf '%s/d%05d/f%07d' "$src" $((i / 1000)) "$i")" ||
				echo "append failed: $i" >> "$SC/log/$n.change.err"
		done
		rec "scale.$n.applied" "$((100 - $(grep -c "failed: .*" "$SC/log/$n.change.err" 2>/dev/null)))"
		: > "$SC/log/$n.change.err"
		drop_caches
		timed "$SC/log/$n.bt.$r" "$SYNC" "$blk" || log "scale: btsoot-sync exited $T_RC"
		rec "scale.$n.bt.wall" "$T_WALL"; rec "scale.$n.bt.rss" "$T_RSS"
		drop_caches
		timed "$SC/log/$n.rs.$r" rsync -a --delete "$src.bare/" "$rr/"
		rec "scale.$n.rs.wall" "$T_WALL"; rec "scale.$n.rs.rss" "$T_RSS"
	done
	umount_bt "$src"
	umount "$src.bare"; rmdir "$src.bare"
	if [ "$n" -le 100000 ]; then
		for d in "$rb" "$rr"; do
			diff -rq --exclude=.btsoot "$src" "$d" > "$SC/log/$n.diff" 2>&1 ||
				{ log "scale: $d differs from the source:"; head -5 "$SC/log/$n.diff" >&2
				  rec "scale.$n.differs" 1; }
		done
	fi
	log "scale: $n files: looking up, then touching every file through the mount (daemon memory)"
	mount_bt "$blk" "$src"
	rec "scale.$n.hwm_mount" "$(vmhwm_kib "$BT_PID")"
	t0=$(now)
	find "$src" -type f -printf '%s\n' 2>"$SC/log/$n.find.err" | wc -l > "$SC/log/$n.found" || true
	rec "scale.$n.find" "$(since "$t0")"
	rec "scale.$n.hwm_lookup" "$(vmhwm_kib "$BT_PID")"
	rec "scale.$n.fds" "$(ls "/proc/$BT_PID/fd" | wc -l)"
	rec "scale.$n.fdlimit" "$(awk '/open files/ { print $5 }' "/proc/$BT_PID/limits")"
	rec "scale.$n.errors" "$(grep -c . "$SC/log/$n.find.err")"
	t0=$(now)
	find "$src" -type f -print0 2>>"$SC/log/$n.touch.err" | xargs -0 touch 2>>"$SC/log/$n.touch.err" ||
		log "scale: touch through the mount failed: $(head -1 "$SC/log/$n.touch.err")"
	rec "scale.$n.touch" "$(since "$t0")"
	rec "scale.$n.errors" "$(grep -c . "$SC/log/$n.touch.err")"
	rec "scale.$n.hwm_touch" "$(vmhwm_kib "$BT_PID")"
	log "scale: $n files: syncing the $n journaled touches (sync memory against journal length)"
	timed "$SC/log/$n.touchsync" "$SYNC" -q "$blk" || log "scale: btsoot-sync of the touches exited $T_RC"
	rec "scale.$n.touchsync.wall" "$T_WALL"; rec "scale.$n.touchsync.rss" "$T_RSS"
	umount_bt "$src"
	rm -rf --one-file-system "$src" "$rb" "$rr"
}

for n in $SC_SIZES; do scale_size "$n"; done
# The daemon's inode table alone, for a million inodes: measurable even
# where the descriptor limit keeps the daemon from holding that many.
"$HB/bench-inodemem" 1000000 > "$SC/log/inodemem" 2>&1 &&
	rec "scale.inodemem.per_inode" "$(awk '{ print $8 }' "$SC/log/inodemem")"

tbl_begin "c) scale: sync of 100 changed files (local remote, cold cache; median of $ROUNDS rounds)" \
	files "changes applied" "btsoot-sync s" "rsync s" "rsync/btsoot" "first sync: btsoot s" "first: rsync s" \
	"btsoot-sync RSS MiB" "rsync RSS MiB" "daemon VmHWM after lookup-all MiB" "after touch-all MiB" \
	"daemon fds (limit)" "EMFILE/errors seen" "sync of the N touches: s" "its RSS MiB" \
	"first sync after a mount: s"
for n in $SC_SIZES; do
	tbl_row "$n" "$(med scale.$n.applied)/100" "$(calc a %.2f "$(med scale.$n.bt.wall)")" "$(calc a %.2f "$(med scale.$n.rs.wall)")" \
		"$(calc a/b %.1f "$(med scale.$n.rs.wall)" "$(med scale.$n.bt.wall)")" \
		"$(calc a %.1f "$(med scale.$n.bt.first)")" "$(calc a %.1f "$(med scale.$n.rs.first)")" \
		"$(calc a/1024 %.0f "$(med scale.$n.bt.rss)")" "$(calc a/1024 %.0f "$(med scale.$n.rs.rss)")" \
		"$(calc a/1024 %.1f "$(med scale.$n.hwm_lookup)")" "$(calc a/1024 %.1f "$(med scale.$n.hwm_touch)")" \
		"$(med scale.$n.fds) ($(med scale.$n.fdlimit))" \
		"$(awk -v k="scale.$n.errors" '$1 == k { s += $2 } END { print s + 0 }' "$RAW")" \
		"$(calc a %.1f "$(med scale.$n.touchsync.wall)")" "$(calc a/1024 %.0f "$(med scale.$n.touchsync.rss)")" \
		"$(calc a %.2f "$(med scale.$n.bt.aftermount)")"
done
tbl_note "Trees of empty-to-100-byte files, 1000 per directory (bench-mktree). Each round appends a line to"\
" 100 files through btsootfs; btsoot-sync runs with btsootfs mounted (mounted once for all rounds, as from fstab),"\
" rsync reads the bare source (a bind mount made before btsootfs covered it)."\
" Caches dropped (sync; drop_caches) before each timed sync."
tbl_note "Daemon memory: VmHWM of btsootfs from /proc/PID/status after find(1) looked up every file"\
" through the mount, then after touch(1) of every file (one journaled change each)."\
" 'changes applied' < 100 means appends failed through the mount (see the last note)."\
" Time for those: $(for n in $SC_SIZES; do printf '%s files: find %s s, touch-all %s s; ' "$n" \
	"$(calc a %.1f "$(med scale.$n.find)")" "$(calc a %.1f "$(med scale.$n.touch)")"; done)"
tbl_note "btsootfs holds an O_PATH descriptor for every inode the kernel has looked up: 'daemon fds'"\
" is its count after lookup-all, against its RLIMIT_NOFILE. Errors are failed lookups, appends or touches"\
" (EMFILE once the daemon is out of descriptors); a remote that differs from the source is logged."
tbl_note "'first sync after a mount': the sync that follows each mount walks the source (stat only, on the"\
" directory under the mount, borrowed from the daemon) for changes made while btsootfs was not mounted."
tbl_note "'sync of the N touches': btsoot-sync replaying the journal that touch-all left (one row per file,"\
" in batches of 100,000 rows): its peak RSS against the 100-change syncs shows what the journal's length costs."
tbl_note "bench-inodemem (fs/inode.c compiled in, fed 10^6 distinct inodes, RSS read before and after):"\
" $(med scale.inodemem.per_inode) bytes per inode, i.e. $(calc mib_of_1e6 %.1f "$(med scale.inodemem.per_inode)") MiB"\
" of inode table for a million inodes (the descriptors are kernel memory, not counted)."
tbl_end
