#!/bin/bash
# Proves: btsootfs keeps working on a tree with many more files than it may
# hold descriptors (RLIMIT_NOFILE that cannot be raised, as in a container):
# near the limit it asks the kernel to forget its own least recently used
# entries, so creating, stat'ing, renaming and deleting 6000 files under a
# limit of 1024 gives no error, every change is journaled, and the sync
# mirrors it exactly. It never writes vm.drop_caches, which would empty the
# caches of every filesystem on the machine: the kernel counts such writes
# in /proc/vmstat (drop_slab, drop_pagecache), and they must not move.
. "$(dirname "$0")/lib.sh"
setup
printf '#!/bin/sh\nulimit -n 1024 || exit 99\nexec "%s" "$@"\n' "$BTSOOTFS" > "$W/btsootfs-1024"
chmod +x "$W/btsootfs-1024"
BTSOOTFS="$W/btsootfs-1024"
make_quiet_dir
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "add"
run_sync t >/dev/null || fail "first sync"
mount_block t
[ "$(awk '/Max open files/ { print $4 }' /proc/$DAEMON_PID/limits)" = 1024 ] &&
	pass "btsootfs runs with a descriptor limit of 1024" || fail "the limit was not applied"
drops() { grep -E '^drop_(slab|pagecache) ' /proc/vmstat | tr '\n' ' '; }
drops_before=$(drops)
N=6000
errors=0
mkdir "$SRC/many" || errors=$((errors + 1))
for i in $(seq $N); do echo "$i" > "$SRC/many/f$i" || errors=$((errors + 1)); done 2>"$W/create.err"
assert_eq 0 "$errors" "creating $N files through the mount gives no error"
[ -s "$W/create.err" ] && head -3 "$W/create.err"
n=$(find "$SRC/many" -type f | wc -l)
assert_eq "$N" "$n" "all $N files are listed"
stat "$SRC"/many/f* > /dev/null 2>"$W/stat.err"; rc=$?
assert_eq 0 "$rc" "stat of every file succeeds"
[ "$rc" -eq 0 ] || { head -3 "$W/stat.err"; grep -c . "$W/stat.err"; }
errors=0
for i in $(seq 1 3 $N); do mv "$SRC/many/f$i" "$SRC/many/r$i" || errors=$((errors + 1)); done 2>>"$W/create.err"
for i in $(seq 2 3 $N); do rm "$SRC/many/f$i" || errors=$((errors + 1)); done 2>>"$W/create.err"
assert_eq 0 "$errors" "renaming and deleting through the mount gives no error"
fds=$(ls /proc/$DAEMON_PID/fd | wc -l)
[ "$fds" -lt 1024 ] && pass "btsootfs stayed under its limit ($fds descriptors)" ||
	fail "btsootfs holds $fds descriptors"
find "$SRC" -type f | wc -l > /dev/null
assert_eq "$drops_before" "$(drops)" "no vm.drop_caches write while btsootfs ran (/proc/vmstat)"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0"
assert_journal_complete "btsootfs journaled everything"
plant_rescan_probe
run_sync t >/dev/null && pass "sync" || fail "sync"
assert_rescanned no "the journal alone brought the remote up to date"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
