#!/bin/bash
# Proves: a remote share that is unmounted (its mount point is then an empty
# local directory) is refused: (a) between two syncs the sync exits 3 with a
# one-line error naming the remote, writes nothing into the empty mount
# point and keeps every journal row, which the sync after the remount
# applies; (b) unmounted (umount -l) in the middle of a large sync, the sync
# ends with a documented exit code, writes nothing into the empty mount
# point, and after the remount the next sync plus btsoot-verify end with
# remote == source and the last good mirror was never lost; (c) when the
# share dies under the sync (its FUSE server killed), the sync stops with a
# documented non-zero code, and the same holds.
# The remote is a bind mount of a directory on a tmpfs, so an unmount and a
# remount keep its content (as a real share would).
. "$(dirname "$0")/lib.sh"
setup
STORE="$W/store"
mkdir -p "$STORE"
mount -t tmpfs -o size=768m tmpfs "$STORE" || { fail "cannot mount a tmpfs"; finish; exit 1; }
mkdir "$STORE/remote"
remount() { mount --bind "$STORE/remote" "$REM"; }
is_mounted() { grep -q " $REM " /proc/mounts; }
trap 'umount_block; umount -l "$REM" 2>/dev/null; umount -l "$STORE" 2>/dev/null; cleanup' EXIT
remount || { fail "cannot bind-mount the remote"; finish; exit 1; }

# Every name (any type) under a directory, the remote's .btsoot included.
listing() { (cd "$1" && find . -mindepth 1 -printf '%y %s %P\n' | LC_ALL=C sort); }
# Every file of the last good mirror (OLD, a manifest listing of
# "hash  ./path" lines) is still on the remote with the same content, or
# holds what the source holds now.
assert_mirror_kept() { # OLD WHAT
	local h p lost=0 now
	while read -r h p; do
		now=$(xxhsum -q -H2 < "$STORE/remote/$p" 2>/dev/null | cut -d' ' -f1)
		[ "$now" = "$h" ] && continue
		[ -f "$SRC/$p" ] && [ "$now" = "$(xxhsum -q -H2 < "$SRC/$p" | cut -d' ' -f1)" ] && continue
		echo "  lost or damaged: $p"; lost=$((lost + 1))
	done < "$1"
	[ $lost -eq 0 ] && pass "$2" || fail "$2: $lost files lost or damaged"
}
hashes() { (cd "$1" && find . -path ./.btsoot -prune -o -type f -print0 | LC_ALL=C sort -z |
	xargs -0 -r xxhsum -q -H2 | sed 's/^XXH128 //'); }

mkdir -p "$SRC/docs/sub" "$SRC/media"
for i in $(seq 10); do head -c $((i * 3000)) /dev/urandom > "$SRC/docs/f$i"; done
echo leaf > "$SRC/docs/sub/leaf"
head -c 3M /dev/urandom > "$SRC/media/big"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
grep -q "remote_is_mount = 1" "$W/config/blocks/t.conf" && pass "add saw the remote as a mount point" ||
	fail "add did not record the remote as a mount point: $(cat "$W/config/blocks/t.conf")"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
hashes "$STORE/remote" > "$W/good.hashes"

# (a) Unmounted between two syncs.
mount_block t
echo new > "$SRC/docs/new"
mv "$SRC/docs/sub" "$SRC/docs/sub2"
rm "$SRC/docs/f1"
dd if=/dev/urandom of="$SRC/media/big" bs=4k count=1 seek=100 conv=notrunc status=none
mkdir "$SRC/fresh"; echo x > "$SRC/fresh/x"
pending() { "$BTSOOT" status t | sed -n 's/^pending *\([0-9]*\) operations.*/\1/p'; }
# The daemon commits its rows within about a second.
for _ in $(seq 50); do [ "$(pending)" -ge 8 ] && break; sleep 0.1; done
# Appends (WRITE rows "to the end of the file") are pending too.
echo appended >> "$SRC/docs/f2"; echo appended >> "$SRC/docs/f3"
for _ in $(seq 30); do [ "$(pending)" -ge 10 ] && break; sleep 0.1; done
pending_before=$(pending)
[ "$pending_before" -ge 10 ] && pass "btsoot status counts the pending rows, appends included" ||
	fail "btsoot status shows $pending_before pending rows (10 or more were made)"
pbytes=$("$BTSOOT" status t | sed -n 's/^pending .*[ (]\([0-9]*\) bytes\?[ )].*/\1/p')
[ -n "$pbytes" ] && [ "${#pbytes}" -le 12 ] && pass "btsoot status shows a sane pending byte count ($pbytes)" ||
	fail "btsoot status shows '$pbytes' pending bytes for a few small changes"
umount "$REM" || fail "umount remote"
out=$("$SYNC" t 2>&1 >/dev/null); rc=$?
assert_eq 3 "$rc" "sync with the remote unmounted exits 3"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && pass "the error is one line" ||
	fail "the error is not one line: $out"
case "$out" in *"$REM"*) pass "the error names the remote";; *) fail "the error does not name $REM: $out";; esac
[ -z "$(ls -A "$REM")" ] && pass "nothing written into the empty mount point" ||
	fail "the sync wrote into the empty mount point: $(ls -A "$REM")"
"$SYNC" -q --force t >/dev/null 2>&1; rc=$?
assert_eq 3 "$rc" "--force does not get past an unmounted remote"
[ -z "$(ls -A "$REM")" ] && pass "still nothing in the mount point after --force" ||
	fail "--force wrote into the empty mount point: $(ls -A "$REM")"
"$VERIFY" -q --repair t >/dev/null 2>&1; rc=$?
assert_eq 3 "$rc" "verify --repair refuses the unmounted remote"
[ -z "$(ls -A "$REM")" ] && pass "verify --repair wrote nothing into the mount point" ||
	fail "verify --repair wrote into the empty mount point: $(ls -A "$REM")"
pending_after=$(pending)
[ -n "$pending_after" ] && [ "$pending_after" = "$pending_before" ] &&
	pass "journal rows kept ($pending_after pending)" ||
	fail "pending rows changed: before '$pending_before', after '$pending_after'"
assert_mirror_kept "$W/good.hashes" "the last good mirror is intact in the unmounted store"
remount || fail "remount"
run_sync t >/dev/null && pass "sync after the remount" || fail "sync after the remount"
"$BTSOOT" status t | grep -q "^pending *0 operations" && pass "the kept rows were applied" ||
	fail "rows still pending: $("$BTSOOT" status t | grep pending)"
assert_trees_equal "$SRC" "$REM" "remote equals source after the remount"

# (b) Unmounted (lazily) while a large sync runs.
mkdir "$SRC/bulk"
for i in $(seq -w 200); do head -c 1M /dev/urandom > "$SRC/bulk/b$i"; done
umount_block
hashes "$STORE/remote" > "$W/good.hashes"
listing "$STORE/remote" > "$W/good.listing"
landed=0
for delay in first-file 0.2 0.1 0.05 0.02 0; do
	(exec "$SYNC" t > "$W/bg.out" 2> "$W/bg.err") &
	bg=$!
	if [ "$delay" = first-file ]; then
		# As soon as the copy has visibly started.
		for _ in $(seq 20000); do
			compgen -G "$STORE/remote/.btsoot/tmp/*" >/dev/null && break
			[ -e "$STORE/remote/bulk" ] && break
			kill -0 $bg 2>/dev/null || break
		done
	else
		sleep "$delay"
	fi
	running=0; kill -0 $bg 2>/dev/null && running=1
	umount -l "$REM"
	kill -0 $bg 2>/dev/null || running=0
	timeout 60 tail --pid=$bg -f /dev/null; wait $bg; rc=$?
	{ echo "== bg sync (umount -l at $delay, landed mid-run: $running) rc $rc"; cat "$W/bg.out" "$W/bg.err"; } >> "$W/sync.log"
	echo "umount -l after $delay: sync still running at the unmount: $running, exit $rc"
	[ -z "$(ls -A "$REM")" ] || fail "sync (unmounted after $delay) wrote into the empty mount point: $(ls -A "$REM" | head)"
	if [ $running -eq 1 ]; then landed=1; break; fi
	# The sync finished (or never started) before the unmount: remount,
	# give it new work and try again with a shorter delay.
	remount || fail "remount"
	mount_block t
	for i in $(seq -w 200); do dd if=/dev/urandom of="$SRC/bulk/b$i" bs=1M count=1 conv=notrunc status=none; done
	umount_block
done
assert_eq 1 "$landed" "the unmount landed in the middle of a sync"
# A lazily unmounted share stays reachable through the descriptors the
# sync already holds (the sync never reopens the remote by path), so the
# sync may also finish on it: exit 0 is right only if every byte arrived.
case $rc in
0|3|7) pass "the interrupted sync exits with a documented code ($rc)";;
*) fail "the interrupted sync exits $rc (not 0, 3 or 7)";;
esac
bg_rc=$rc
[ -z "$(ls -A "$REM")" ] && pass "nothing written into the empty mount point" ||
	fail "the sync wrote into the empty mount point: $(ls -A "$REM" | head)"
[ -z "$(ls -A "$STORE/remote/.btsoot/tmp" 2>/dev/null)" ] || echo "note: temp files left in .btsoot/tmp (the next sync empties it)"
assert_mirror_kept "$W/good.hashes" "the last good mirror is intact after the interrupted sync"
"$SYNC" -q t >/dev/null 2>&1; rc=$?
assert_eq 3 "$rc" "a sync while still unmounted exits 3"
[ -z "$(ls -A "$REM")" ] && pass "and writes nothing into the mount point" ||
	fail "wrote into the empty mount point: $(ls -A "$REM" | head)"
remount || fail "remount"
if [ $bg_rc -eq 0 ]; then
	assert_trees_equal "$SRC" "$REM" "the sync that exited 0 had written everything (through the detached mount)"
fi
run_sync t >/dev/null && pass "sync after the remount" || fail "sync after the remount"
"$VERIFY" -q t > "$W/verify.out" 2>&1; rc=$?
assert_eq 0 "$rc" "verify: remote equals source"
[ $rc -eq 0 ] || head -5 "$W/verify.out"
assert_trees_equal "$SRC" "$REM" "remote equals source"

# (c) The share dies under the sync (as sshfs or a network share can): the
# remote is served by a FUSE pass-through (a second btsootfs, block 'r',
# mounted over the store's directory, as btsootfs only mounts over its
# source, and bound onto the remote's mount point), killed with SIGKILL
# while the sync copies; every remote call then fails with ENOTCONN. The
# sync must stop with a documented non-zero code, and the lazily unmounted
# mount point must stay empty.
mkdir "$W/rdummy"
"$BTSOOT" add r "$STORE/remote" "$W/rdummy" >/dev/null || fail "add the pass-through block"
umount "$REM" || fail "umount remote"
"$BTSOOTFS" "$STORE/remote" "$STORE/remote" -o block=r -f 2>>"$W/remote-fs.log" &
RFS=$!
for _ in $(seq 100); do grep -q " $STORE/remote fuse.btsootfs" /proc/mounts && break; sleep 0.1; done
remount
grep -q " $REM fuse.btsootfs" /proc/mounts && pass "the remote is served through FUSE" ||
	fail "the FUSE remote did not mount: $(cat "$W/remote-fs.log")"
trap 'kill -9 $RFS 2>/dev/null; umount_block; umount -l "$REM" 2>/dev/null
	umount -l "$STORE/remote" 2>/dev/null; umount -l "$STORE" 2>/dev/null; cleanup' EXIT
mount_block t
for i in $(seq -w 200); do dd if=/dev/urandom of="$SRC/bulk/b$i" bs=1M count=1 conv=notrunc status=none; done
umount_block
hashes "$STORE/remote" > "$W/good.hashes"
(exec "$SYNC" t > "$W/bg.out" 2> "$W/bg.err") &
bg=$!
for _ in $(seq 20000); do
	compgen -G "$STORE/remote/.btsoot/tmp/*" >/dev/null && break
	kill -0 $bg 2>/dev/null || break
done
running=0; kill -0 $bg 2>/dev/null && running=1
kill -9 $RFS; wait $RFS 2>/dev/null
timeout 60 tail --pid=$bg -f /dev/null; wait $bg; rc=$?
{ echo "== bg sync (FUSE remote killed, mid-run: $running) rc $rc"; cat "$W/bg.out" "$W/bg.err"; } >> "$W/sync.log"
echo "FUSE remote killed: sync still running then: $running, exit $rc: $(head -1 "$W/bg.err")"
assert_eq 1 "$running" "the share died in the middle of a sync"
case $rc in
3|7) pass "the sync stops with a documented code ($rc)";;
*) fail "the sync exits $rc when its remote dies (3 or 7 expected)";;
esac
[ "$(wc -l < "$W/bg.err")" -le 2 ] && pass "with a short error" ||
	fail "the error is $(wc -l < "$W/bg.err") lines: $(head -3 "$W/bg.err")"
umount -l "$REM"
umount -l "$STORE/remote" # the dead pass-through: the store is bare again
[ -z "$(ls -A "$REM")" ] && pass "nothing written into the empty mount point" ||
	fail "the sync wrote into the empty mount point: $(ls -A "$REM" | head)"
"$SYNC" -q t >/dev/null 2>&1; rc=$?
assert_eq 3 "$rc" "a sync while the share is gone exits 3"
assert_mirror_kept "$W/good.hashes" "the last good mirror is intact after the share died"
remount || fail "remount"
run_sync t >/dev/null && pass "sync after the share is back" || fail "sync after the share is back"
"$VERIFY" -q t > "$W/verify.out" 2>&1; rc=$?
assert_eq 0 "$rc" "verify: remote equals source"
[ $rc -eq 0 ] || head -5 "$W/verify.out"
assert_trees_equal "$SRC" "$REM" "remote equals source after the share came back"
finish
