# SPDX-License-Identifier: BSD-3-Clause
# Section sync (b): btsoot-sync vs `rsync -a --delete` and `rclone sync` on
# one change set made THROUGH the btsootfs mount (so btsoot journals it),
# over two remotes: a local directory and sshfs over the shaped veth link.
# Each tool has its own remote copy, seeded from the same pristine tree
# (cp -a on the remote side, then each tool's own first run, a no-op check)
# and is measured through bench-countfs, so all are counted alike.

source "$HERE/bench.d/netns.sh"
SY="$W/sync" SY_SRC="$W/sync/src" SY_P="$W/sync/pristine" SY_CNT="$W/sync/cnt"
SY_TOOLS="btsoot rsync rclone"
if [ "$QUICK" = 1 ]; then SY_DIV=10 SY_DOCS=2000; else SY_DIV=1 SY_DOCS=20000; fi
export RCLONE_CONFIG="$SY/rclone.conf"
mkdir -p "$SY/log" "$SY_CNT"
: > "$RCLONE_CONFIG"

log "sync: generating the pristine tree"
# Seven media directories of two files each (MiB, divided by SY_DIV in quick
# mode); m01, m04 and m06 (renamed below) hold ~40% of the bytes.
while read -r d a b; do
	mkdir -p "$SY_P/media/$d"
	head -c $((a * 1048576 / SY_DIV)) /dev/urandom > "$SY_P/media/$d/clip1.mkv"
	head -c $((b * 1048576 / SY_DIV)) /dev/urandom > "$SY_P/media/$d/clip2.mkv"
done <<-EOT
	m01 300 100
	m02 280 90
	m03 250 80
	m04 220 70
	m05 200 60
	m06 180 50
	m07 150 120
EOT
"$HB/bench-mktree" "$SY_P/docs" "$SY_DOCS" 100 1024 15360 1 >/dev/null
# Whole-second times: SFTP keeps seconds only, and the tools must start
# from a mirror they all consider up to date.
find "$SY_P" -depth -exec touch -h -d @1700000000 {} +
SY_TREE_BYTES=$(du -sb "$SY_P" | cut -f1)
SY_TREE_FILES=$(find "$SY_P" -type f | wc -l)
SY_RENAMED=$(du -scb "$SY_P/media/m01" "$SY_P/media/m04" "$SY_P/media/m06" | tail -1 | cut -f1)

docf() { printf 'docs/d%05d/f%07d' $(($1 / 100)) "$1"; }
# The change set, in DIR (the btsootfs mount). Prints the bytes of new and
# changed content: what a perfect tool would write.
apply_changes() {
	local d=$1 i k f sz new moves=() dels=()
	mv "$d/media/m01" "$d/media/m01 renamed"
	mv "$d/media/m04" "$d/media/m04-2019"
	mkdir "$d/archive"; mv "$d/media/m06" "$d/archive/m06"
	for k in $(seq 0 99); do # 100 files into the next directory
		i=$((k * 10 + 1))
		mv "$d/$(docf $i)" "$d/$(printf 'docs/d%05d' $(((i / 100 + 1) % (SY_DOCS / 100))))/moved-$i"
	done
	for f in "media/m02/clip1.mkv" "media/m03/clip1.mkv" "media/m05/clip1.mkv" \
		 "media/m07/clip1.mkv" "media/m01 renamed/clip2.mkv"; do
		sz=$(stat -c %s "$d/$f")
		dd if=/dev/urandom of="$d/$f" bs=1M count=1 seek=$((sz / 2 / 1048576)) conv=notrunc status=none
	done
	for k in $(seq 0 49); do head -c 4096 /dev/urandom >> "$d/$(docf $((k * 10 + 2)))"; done
	new=$("$HB/bench-mktree" "$d/docs/new" 500 0 1024 8192 2)
	for k in $(seq 0 199); do dels+=("$d/$(docf $((k * 10 + 3)))"); done
	rm "${dels[@]}"
	echo $((5 * 1048576 + 50 * 4096 + new))
}

cnt_dump() { # [SAVE_AS]: counters since the last dump (which resets them)
	rm -f "$SY/stats"
	kill -USR1 "$CNT_PID"
	for _ in $(seq 100); do [ -f "$SY/stats" ] && break; sleep 0.02; done
	[ -z "${1:-}" ] || cp "$SY/stats" "$1"
}
cnt() { # FILE OP...: sum of those counters
	local f=$1; shift
	awk -v l=" $* " '{ k = $1; sub(/^op_/, "", k) } index(l, " " k " ") { s += $2 } END { print s + 0 }' "$f"
}

sync_tool() { # KIND TOOL ROUND CMD...: one measured run
	local k=$1 t=$2 r=$3 p="$SY/log/$1.$2.$3" n0 n1; shift 3
	drop_caches
	cnt_dump
	[ "$k" = ssh ] && n0=$(net_bytes)
	timed "$p" "$@" || log "sync: $t on $k exited $T_RC (see $p.err)"
	[ "$k" = ssh ] && n1=$(net_bytes) &&
		rec "sync.$k.$t.tx" "$(($(echo "$n1" | cut -d' ' -f1) - $(echo "$n0" | cut -d' ' -f1)))" &&
		rec "sync.$k.$t.rx" "$(($(echo "$n1" | cut -d' ' -f2) - $(echo "$n0" | cut -d' ' -f2)))"
	rec "sync.$k.$t.wall" "$T_WALL"; rec "sync.$k.$t.rss" "$T_RSS"; rec "sync.$k.$t.cpu" "$T_CPU"
	rec "sync.$k.$t.rchar" "$(io_of "$p" rchar)"; rec "sync.$k.$t.wchar" "$(io_of "$p" wchar)"
	[ "$t" = rsyncssh ] && return 0
	cnt_dump "$p.cnt"
	rec "sync.$k.$t.wbytes" "$(cnt "$p.cnt" bytes_written)"
	rec "sync.$k.$t.rbytes" "$(cnt "$p.cnt" bytes_read)"
	rec "sync.$k.$t.rbytes_own" "$(cnt "$p.cnt" bytes_read_btsoot_dir)"
	rec "sync.$k.$t.ops" "$(cnt "$p.cnt" ops_total)"
	rec "sync.$k.$t.ops_ns" "$(cnt "$p.cnt" mkdir rename unlink rmdir link symlink create mknod)"
	rec "sync.$k.$t.ops_meta" "$(cnt "$p.cnt" getattr readdir opendir readlink getxattr listxattr statfs)"
	rec "sync.$k.$t.ops_data" "$(cnt "$p.cnt" open read write fsync truncate fallocate flush release)"
	rec "sync.$k.$t.ops_set" "$(cnt "$p.cnt" chmod chown utimens setxattr removexattr)"
}

sync_round() { # KIND ROUND
	local k=$1 r=$2 back="$SY/back-$1" blk="sync-$1-$2" t changed
	log "sync: $k round $r/$ROUNDS: seeding the source and $SY_TOOLS remote copies"
	rm -rf --one-file-system "$SY_SRC" "$back"
	mkdir -p "$back"
	cp -a "$SY_P" "$SY_SRC"
	for t in $SY_TOOLS $([ "$k" = ssh ] && echo rsyncssh); do cp -a "$SY_P" "$back/$t"; done
	if [ "$k" = ssh ]; then mount_sshfs "$back" "$SY/sshfs"; back_fs="$SY/sshfs"; else back_fs=$back; fi
	"$HB/bench-countfs" "$back_fs" "$SY_CNT" "$SY/stats" -f 2>>"$W/countfs.log" &
	CNT_PID=$!; note_pid "$CNT_PID"; note_mount "$SY_CNT"; wait_mounted "$SY_CNT" "$CNT_PID"

	# Each tool's own first run over its seeded copy: nothing to do.
	"$BTSOOT" add --adopt "$blk" "$SY_SRC" "$SY_CNT/btsoot" >/dev/null
	"$SYNC" -q "$blk" || log "sync: btsoot's first sync on $k failed"
	rsync -a --delete "$SY_SRC/" "$SY_CNT/rsync/"
	rclone sync -q "$SY_SRC" "$SY_CNT/rclone"

	mount_bt "$blk" "$SY_SRC"
	changed=$(apply_changes "$SY_SRC")
	rec sync.changed "$changed"
	sync_tool "$k" btsoot "$r" "$SYNC" -v "$blk"
	rec "sync.$k.btsoot.self" "$(sed -n 's/.* \([0-9]*\) bytes written to the remote.*/\1/p' "$SY/log/$k.btsoot.$r.out")"
	umount_bt "$SY_SRC" # the other tools read the bare source
	sync_tool "$k" rsync "$r" rsync -a --delete "$SY_SRC/" "$SY_CNT/rsync/"
	sync_tool "$k" rclone "$r" rclone sync "$SY_SRC" "$SY_CNT/rclone"
	[ "$k" = ssh ] && sync_tool "$k" rsyncssh "$r" rsync -a --delete -e "ssh -F $SSH_CFG" \
		"$SY_SRC/" "bench-remote:$back/rsyncssh/"
	unmount "$SY_CNT" "$CNT_PID"
	[ "$k" = ssh ] && unmount "$SY/sshfs" "$SSHFS_PID"
	for t in $SY_TOOLS $([ "$k" = ssh ] && echo rsyncssh); do
		if diff -rq --no-dereference --exclude=.btsoot "$SY_SRC" "$back/$t" > "$SY/log/$k.$t.$r.diff" 2>&1
		then rec "sync.$k.$t.equal" 1; else rec "sync.$k.$t.equal" 0; fi
	done
}

net_up
for r in $(seq "$ROUNDS"); do
	for k in local ssh; do sync_round "$k" "$r"; done
done

mib() { calc a/1048576 "${2:-%.1f}" "$1"; }
for k in local ssh; do
	if [ $k = local ]; then what="local directory"; else what="sshfs over veth, tbf 100 Mbit/s"; fi
	tbl_begin "b) sync of one change set, remote: $what (median of $ROUNDS rounds)" \
		tool "wall s" "x btsoot" "written MiB" "written/changed" "file data read MiB" \
		"remote ops: total (ns/meta/data/set)" "wire to/from remote MiB" "peak RSS MiB" "CPU s" "remote = source"
	for t in $SY_TOOLS $([ $k = ssh ] && echo rsyncssh); do
		m() { med "sync.$k.$t.$1"; }
		if [ $t = rsyncssh ]; then ops="n/a (rsync runs on the remote)"
		else ops="$(m ops) ($(m ops_ns)/$(m ops_meta)/$(m ops_data)/$(m ops_set))"; fi
		tbl_row "$([ $t = rsyncssh ] && echo "rsync -a --delete over ssh" || echo "$t")" \
			"$(calc a %.2f "$(m wall)")" "$(calc a/b %.1f "$(m wall)" "$(med sync.$k.btsoot.wall)")" \
			"$(mib "$(m wbytes)")" "$(calc a/b %.3f "$(m wbytes)" "$(med sync.changed)")" \
			"$(mib "$(m rbytes)")" "$ops" \
			"$([ $k = ssh ] && echo "$(mib "$(m tx)") / $(mib "$(m rx)")" || echo -)" \
			"$(calc a/1024 %.0f "$(m rss)")" "$(calc a %.1f "$(m cpu)")" \
			"$(awk -v k="sync.$k.$t.equal" '$1 == k { n++; s += $2 } END { print (s == n ? "yes" : s "/" n " rounds") }' "$RAW")"
	done
	tbl_note "Tree: $SY_TREE_FILES files, $(mib "$SY_TREE_BYTES") MiB. Change set, made through the btsootfs mount:"\
" 3 directories renamed ($(mib "$SY_RENAMED") MiB, $(calc a/b %.0f "$((SY_RENAMED * 100))" "$SY_TREE_BYTES")% of the bytes),"\
" 100 files moved across directories, 1 MiB rewritten in the middle of 5 large files, 4 KiB appended to 50 files,"\
" 500 new files (1-8 KiB), 200 deletions = $(mib "$(med sync.changed)") MiB of new and changed content ('changed')."
	tbl_note "Bytes and ops are counted by bench-countfs, a pass-through FUSE layer over each tool's remote copy"\
" (the same for every tool; its 1 s kernel attribute cache stays on, like a network client's)."\
" 'written' = file data written, 'file data read' = file data read back from the remote (btsoot's reads of its"\
" own .btsoot/marker, an identity check of $(med sync.$k.btsoot.rbytes_own) bytes, are not counted there)."\
" ns = namespace changes, meta = lookups/stat/readdir/xattr reads, data = open/read/write/close/fsync, set = chmod/chown/utimes/setxattr."
	[ $k = ssh ] && tbl_note "The sshfs mount is used as a local path by all three tools (rclone too: simplest, same remote for all)."\
" Wire bytes are the veth's counters (ip -s link; SSH and TCP overhead included). The link is shaped to 100 Mbit/s"\
" with tc tbf; no latency is added (no netem in this kernel), which favours chatty tools."\
" 'rsync over ssh' (an rsync at the far end, delta transfer) is shown for reference: a NAS share cannot run it."
	[ $k = local ] && tbl_note "Wall times include the counting layer's FUSE overhead, the same for every tool."
	tbl_note "btsoot-sync runs with btsootfs mounted (as in production); rsync and rclone read the bare source."\
" Caches dropped before each run. Peak RSS: /usr/bin/time -v (for rsync, its largest process)."\
" Tool-side I/O (/proc/PID/io rchar/wchar) is in the raw figures."
	tbl_end
done
# The trees (~20 GB in full mode) are not needed any more; logs stay.
rm -rf --one-file-system "$SY_P" "$SY_SRC" "$SY"/back-*
