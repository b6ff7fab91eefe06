# SPDX-License-Identifier: BSD-3-Clause
# Section verify (d): hashing throughput of btsoot-verify (XXH3-128 of both
# trees, its own thread pool) against xxhsum -H2 (XXH128, one thread) and
# b3sum (BLAKE3, all cores by default, and one), on one big file and on many
# small files. Every tool hashes the same bytes: the source and the remote
# copy. Warm cache: this measures hashing, not the disk.
# The remote copy is bind-mounted nodev, as the README advises for remotes:
# btsoot-verify then opens its files directly. One more run with the mount
# allowing devices shows the O_PATH-first opens it uses there.

VD="$W/verify"
if [ "$QUICK" = 1 ]; then VD_BIG_MIB=512 VD_SMALL_N=5000; else VD_BIG_MIB=4096 VD_SMALL_N=20000; fi
mkdir -p "$VD/log"

verify_set() { # NAME: VD/NAME/src and its copy VD/NAME/rem, a block, rounds
	local s=$1 d="$VD/$1" bytes r
	cp -a "$d/src/." "$d/rem/"
	mount --bind "$d/rem" "$d/rem" && note_mount "$d/rem"
	mount -o remount,bind,nodev "$d/rem"
	"$BTSOOT" add "verify-$s" "$d/src" "$d/rem" >/dev/null
	touch -r "$d/src" "$d/rem" # adding .btsoot changed the remote root's mtime
	bytes=$(du -sb --exclude=.btsoot "$d/src" "$d/rem" | awk '{ s += $1 } END { print s }')
	rec "verify.$s.bytes" "$bytes"
	(cd "$d" && find src rem -path '*/.btsoot' -prune -o -type f -print0) > "$d/list"
	(cd "$d" && xargs -0 -a list cat > /dev/null) # warm the page cache
	for r in $(seq "$ROUNDS"); do
		log "verify: $s, round $r/$ROUNDS"
		vrun() { # TOOL CMD...
			local t=$1; shift
			cd "$d"
			timed "$VD/log/$s.$t.$r" "$@" || log "verify: $t on $s exited $T_RC"
			cd "$W"
			rec "verify.$s.$t.wall" "$T_WALL"; rec "verify.$s.$t.cpu" "$T_CPU"
		}
		vrun btsoot "$VERIFY" -q "verify-$s"
		vrun btsoot1 "$VERIFY" -q -j 1 "verify-$s"
		mount -o remount,bind,dev "$d/rem"
		vrun btsootdev "$VERIFY" -q "verify-$s"
		mount -o remount,bind,nodev "$d/rem"
		vrun xxhsum xargs -0 -a "$d/list" xxhsum -H2
		vrun b3sum xargs -0 -a "$d/list" b3sum
		vrun b3sum1 xargs -0 -a "$d/list" b3sum --num-threads 1
	done
}

log "verify: generating a $VD_BIG_MIB MiB file and $VD_SMALL_N small files"
mkdir -p "$VD/big/src" "$VD/big/rem" "$VD/small/rem"
head -c $((VD_BIG_MIB * 1048576)) /dev/urandom > "$VD/big/src/big.bin"
"$HB/bench-mktree" "$VD/small/src" "$VD_SMALL_N" 500 1024 32768 4 >/dev/null
verify_set big
verify_set small

tbl_begin "d) verify: hashing throughput, warm cache (median of $ROUNDS rounds)" \
	data tool "wall s" "MiB/s" "CPU s" "cores used" "MiB/s per core" "per core vs xxhsum"
for vs in big small; do
	if [ $vs = big ]; then what="1 file, $VD_BIG_MIB MiB, x2 (source + remote)"
	else what="$VD_SMALL_N files of 1-32 KiB, x2"; fi
	by=$(med "verify.$vs.bytes")
	xx_pc=$(calc a/b/c %.1f "$by" "$(med verify.$vs.xxhsum.cpu)" 1048576)
	for t in btsoot btsoot1 btsootdev xxhsum b3sum b3sum1; do
		case $t in
		btsoot) name="btsoot-verify (default threads: one per core)" ;;
		btsoot1) name="btsoot-verify -j 1" ;;
		btsootdev) name="btsoot-verify, remote mount allows devices (O_PATH-first opens)" ;;
		xxhsum) name="xxhsum -H2 (1 thread)" ;;
		b3sum) name="b3sum (all cores)" ;;
		b3sum1) name="b3sum --num-threads 1" ;;
		esac
		wall=$(med "verify.$vs.$t.wall") cpu=$(med "verify.$vs.$t.cpu")
		pc=$(calc a/b/c %.1f "$by" "$cpu" 1048576)
		tbl_row "$what" "$name" "$(calc a %.2f "$wall")" "$(calc a/b/c %.0f "$by" "$wall" 1048576)" \
			"$(calc a %.2f "$cpu")" "$(calc a/b %.2f "$cpu" "$wall")" "$pc" "$(calc a/b %.2f "$pc" "$xx_pc")"
	done
	rec "verify.$vs.ratio_per_core" "$(calc a/b %.3f "$(calc a/b/c %.1f "$by" "$(med verify.$vs.btsoot.cpu)" 1048576)" "$xx_pc")"
done
tbl_note "Bytes hashed = source + remote copy for every tool (btsoot-verify compares the two trees)."\
" CPU s = user + system time from /usr/bin/time (children included); cores used = CPU s / wall s;"\
" per core = bytes / CPU s. xxhsum and b3sum get the file list through one xargs."
tbl_note "btsoot-verify also walks and compares metadata of both trees and opens files beneath a root"\
" descriptor (openat2); the other tools only hash. The remote copy is a nodev bind mount (as the"\
" README advises), except in the 'allows devices' row: there a device node swapped in for a file"\
" could be opened, so btsoot-verify opens the remote's files O_PATH first and reopens them"\
" through /proc (two more system calls per file)."
tbl_end
umount "$VD/big/rem" "$VD/small/rem"
rm -rf --one-file-system "$VD/big" "$VD/small"
