#!/bin/bash
# Proves: with passthrough (libfuse 3.16+, Linux 6.9+; fs/passthrough.c) a
# file open read-only is read by the kernel from the backing file, not by
# btsootfs: its bytes arrive while btsootfs is stopped (SIGSTOP), while a
# reader opened beside a cached writer waits for btsootfs (the control);
# and mixed opens of one file (a reader then a writer, a writer then a
# reader, shared writable and read-only mmap, O_TRUNC opens while a reader
# is open, a cached open after a mapped writer, readers and writers in
# several processes, eight processes opening and closing one file at
# once: tests/mixedopen.c) never fail and read and leave the
# same bytes as on a bare directory, and the journal alone brings every
# written range to the remote (the files existed and were synced before,
# so only journaled ranges are copied). On a source on overlayfs, whose
# files the kernel refuses as backing files, it falls back: one warning,
# the same scenarios still equal the bare directory.
# Skips (77) where btsootfs has no passthrough: built against libfuse <
# 3.16, or the kernel does not offer it (the daemon's log line says which).
. "$(dirname "$0")/lib.sh"
MIXED="$B/tests/integration/mixedopen"
if ! grep -q '^#define HAVE_FUSE_PASSTHROUGH' "$B/config.h"; then
	echo "SKIP: btsootfs is built without passthrough (libfuse $(pkg-config --modversion fuse3) < 3.16)"
	exit 77
fi
setup

# Made on the bare source before the mount: none of it is in btsootfs's
# page cache, and the first sync copies it all.
head -c 8M /dev/urandom > "$W/data"
cp "$W/data" "$SRC/pt.bin"
cp "$W/data" "$SRC/cached.bin"
mkdir "$W/bare" "$SRC/mixed"
"$MIXED" prepare "$W/bare" && "$MIXED" prepare "$SRC/mixed" || fail "mixedopen prepare"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"

mount_block t
stat "$SRC/pt.bin" >/dev/null # INIT is answered, its log line written
if ! grep -q "passthrough: on" "$W/daemon.log"; then
	why=$(grep -o "passthrough: off.*" "$W/daemon.log" | head -1)
	umount_block
	echo "SKIP: ${why:-btsootfs said nothing about passthrough}"
	exit 77
fi
pass "btsootfs says at the mount that passthrough is on"
# A sync while mounted: the next one has no changes made while unmounted
# to look for (that pass compares whole directories, and would copy what
# the journal missed).
run_sync t >/dev/null || fail "sync while mounted"

# Reads while btsootfs is stopped (every thread of it: a thread still
# running could take a request and leave its reader waiting unkillably):
# a file open read-only alone passes through and is read; a reader opened
# while a writer has the file open is in cached mode and waits until
# btsootfs runs again.
stopped() {
	local t
	for t in /proc/"$DAEMON_PID"/task/*/stat; do
		[ "$(cut -d' ' -f3 "$t")" = T ] || return 1
	done
}
want=$("$MIXED" readfd 6 6<"$W/data")
# The writer is held by a process of its own: each close of a descriptor
# of it (by every child of this shell that inherited it) would FLUSH, and
# wait for btsootfs. Readers close without a FLUSH (FOPEN_NOFLUSH).
sleep 600 4>>"$SRC/cached.bin" & holder=$!
for _ in $(seq 50); do [ -e /proc/$holder/fd/4 ] && break; sleep 0.1; done
exec 3<"$SRC/pt.bin" 5<"$SRC/cached.bin"
kill -STOP "$DAEMON_PID"
for _ in $(seq 50); do stopped && break; sleep 0.1; done
stopped && pass "btsootfs is stopped" || fail "btsootfs did not stop"
"$MIXED" readfd 3 > "$W/pt.out" & pt=$!
"$MIXED" readfd 5 > "$W/cached.out" & cached=$!
for _ in $(seq 100); do kill -0 "$pt" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pt" 2>/dev/null && pt_state="still reading" || pt_state=done
sleep 1
kill -0 "$cached" 2>/dev/null && cached_state="still reading" || cached_state=done
kill -CONT "$DAEMON_PID"
wait "$pt"; rc_pt=$?
wait "$cached"; rc_cached=$?
exec 3<&- 5<&-
kill "$holder"; wait "$holder" 2>/dev/null
assert_eq done "$pt_state" "a file open read-only is read to its end while btsootfs is stopped"
assert_eq "0 $want" "$rc_pt $(cat "$W/pt.out")" "those bytes are the file's (the kernel read the backing file)"
assert_eq "still reading" "$cached_state" "control: a reader beside a cached writer waits for btsootfs"
assert_eq "0 $want" "$rc_cached $(cat "$W/cached.out")" "control: it reads the file once btsootfs runs"

# Every mixed-open scenario, on the bare directory and through the mount.
"$MIXED" scenarios "$W/bare" > "$W/bare.out" 2>&1 ||
	fail "mixedopen on the bare directory: $(tail -1 "$W/bare.out")"
"$MIXED" scenarios "$SRC/mixed" > "$W/mount.out" 2>&1 ||
	fail "mixedopen through btsootfs: $(tail -1 "$W/mount.out")"
if cmp -s "$W/bare.out" "$W/mount.out"; then
	pass "9 mixed-open scenarios read and leave the same bytes as on the bare directory ($(wc -l < "$W/mount.out") lines)"
else
	fail "mixed opens differ from the bare directory (bare < > mount):"
	diff "$W/bare.out" "$W/mount.out" | head -20
fi
assert_eq "" "$(cd "$W/bare" && for f in *; do cmp -s "$f" "$SRC/mixed/$f" || echo "$f"; done)" \
	"every scenario's file is byte-identical to the bare directory's"

# btsootfs dates its stop back by up to three seconds (the next sync
# compares directories changed since): the scenarios' changes stay older.
sleep 5
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0 at the unmount"
assert_journal_complete "mixed opens"
run_sync t > "$W/last-sync.out" && pass "sync after the mixed opens" || fail "sync after the mixed opens"
assert_eq "" "$(grep -i 'changed while unmounted' "$W/last-sync.out")" \
	"that sync replays the journal alone (no directory compared)"
assert_trees_equal "$SRC" "$REM" "the journal's ranges bring every change to the remote"

# A source on overlayfs: the kernel refuses its files as backing files (a
# stacked filesystem; btsootfs asks for none). btsootfs says so once and
# serves every read itself; nothing fails.
mkdir "$W/lower" "$W/upper" "$W/work" "$W/merged" "$W/rem2" "$W/bare2"
if mount -t overlay overlay -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" \
	"$W/merged" 2>/dev/null; then
	SRC=$W/merged REM=$W/rem2 # for mount_block and umount_block
	"$MIXED" prepare "$SRC" && "$MIXED" prepare "$W/bare2" || fail "mixedopen prepare (overlayfs)"
	"$BTSOOT" add o "$SRC" "$REM" >/dev/null || fail "add a block on overlayfs"
	run_sync o >/dev/null || fail "first sync of the block on overlayfs"
	mount_block o
	"$MIXED" scenarios "$W/bare2" > "$W/bare2.out" 2>&1
	"$MIXED" scenarios "$SRC" > "$W/ovl.out" 2>&1 ||
		fail "mixedopen through btsootfs on overlayfs: $(tail -1 "$W/ovl.out")"
	cmp -s "$W/bare2.out" "$W/ovl.out" &&
		pass "on overlayfs the scenarios read and leave the same bytes as on the bare directory" ||
		{ fail "on overlayfs the scenarios differ:"; diff "$W/bare2.out" "$W/ovl.out" | head; }
	assert_eq 1 "$(grep -c 'passthrough: the kernel refused a backing file' "$W/daemon.log")" \
		"on overlayfs btsootfs says once that the kernel refused the backing file"
	umount_block
	assert_eq 0 "$DAEMON_RC" "btsootfs on overlayfs exits 0 at the unmount"
	umount "$W/merged"
	SRC=$W/src REM=$W/remote
else
	echo "# no overlayfs here: the fallback is not tried"
fi
finish
