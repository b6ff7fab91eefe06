#!/bin/bash
# Proves: an fstab line for btsootfs works through mount(8) and mount.fuse3
# as at boot: `mount -a` mounts it (with nofail and x-systemd options on the
# line) silently, the mount shows the fstab source (the source path) at the
# fstab target, and a second and third `mount -a` succeed silently without
# starting another btsootfs; changes through it are journaled and synced;
# `umount` stops it with exit 0 and a clean log. `mount -t fuse.btsootfs
# SRC SRC -o block=t` works the same, and an fsname= given there is kept.
# A mount point other than the source is refused (exit 2, one line naming
# both paths and the command to use), mounting nothing.
#
# mount(8) runs its helpers without the caller's PATH, so mount.fuse3 finds
# `btsootfs` only in the default directories. The test runs in a mount
# namespace of its own, where a directory holding a `btsootfs` wrapper is
# bind-mounted on /usr/local/sbin (and a tmpfs on /run/mount, libmount's
# utab): nothing outside the namespace sees either. The wrapper runs the
# built btsootfs with the arguments mount.fuse3 gives it, plus -f, so that
# the test sees its log and exit status (daemonized, both would be gone).
if [ -z "${BT_FSTAB_TEST_NS:-}" ]; then
	BT_FSTAB_TEST_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
setup
# A btsootfs a failing run left mounted stops at SIGTERM and unmounts.
trap 'kill $(cat "$W"/runs/*/pid 2>/dev/null) 2>/dev/null; sleep 0.5
	umount -l "$W/elsewhere" 2>/dev/null; umount -l /usr/local/sbin 2>/dev/null; cleanup' EXIT

mkdir -p "$W/sbin" "$W/runs"
cat > "$W/sbin/btsootfs" <<EOF
#!/bin/bash
# As mount.fuse3 calls it: btsootfs SRC MNT -o OPTS. Run N gets $W/runs/N/
# (its arguments, the daemon's pid and, once it ended, its exit status).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
run="$W/runs/\$(( \$(ls "$W/runs" | wc -l) + 1 ))"
mkdir "\$run"
printf '%s\n' "\$@" > "\$run/args"
(
	"$BTSOOTFS" "\$@" -f &
	echo \$! > "\$run/pid"
	wait \$!
	echo \$? > "\$run/rc"
) < /dev/null > /dev/null 2>> "$W/daemon.log" &
for _ in \$(seq 100); do
	[ -e "\$run/rc" ] && exit "\$(cat "\$run/rc")"
	grep -q " \$2 fuse.btsootfs " /proc/self/mounts && exit 0
	sleep 0.1
done
echo "btsootfs wrapper: \$2 not mounted after 10 s" >&2
exit 1
EOF
chmod +x "$W/sbin/btsootfs"
mount --bind "$W/sbin" /usr/local/sbin || { fail "bind the wrapper on /usr/local/sbin"; finish; exit 1; }
mount -t tmpfs tmpfs /run/mount || { fail "a private /run/mount"; finish; exit 1; }

runs() { ls "$W/runs" | wc -l; }
# The btsootfs of run N ended (after an umount): exit 0, no error logged.
run_ended() { # N WHAT
	local d="$W/runs/$1" pid
	pid=$(cat "$d/pid" 2>/dev/null)
	DAEMON_STARTED="$DAEMON_STARTED $pid"
	for _ in $(seq 100); do [ -e "$d/rc" ] && break; sleep 0.1; done
	if [ ! -e "$d/rc" ]; then
		fail "$2: btsootfs (pid $pid) still runs 10 s after the unmount"
		kill -9 "$pid" 2>/dev/null
		return
	fi
	daemon_ended "$pid" "$(cat "$d/rc")" 0 "exited" && pass "$2: btsootfs exited 0, no error logged"
}
# SOURCE FSTYPE of the mount at path P, as mount -a reads them.
mount_at() { findmnt -n -o SOURCE,FSTYPE --mountpoint "$1" 2>/dev/null; }

echo before > "$SRC/before"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add t"
run_sync t >/dev/null || fail "first sync"
OPTS="block=t,config_dir=$W/config,state_dir=$W/state"
echo "$SRC $SRC fuse.btsootfs $OPTS,nofail,x-systemd.requires-mounts-for=$W/state 0 0" > "$W/fstab"

# 1. mount -a, three times.
out=$(mount -a -T "$W/fstab" 2>&1); rc=$?
assert_eq "0:" "$rc:$out" "mount -a mounts the fstab line, silently"
assert_eq "$SRC fuse.btsootfs" "$(mount_at "$SRC")" "the mount shows the fstab source at the fstab target"
assert_eq 1 "$(runs)" "mount -a started one btsootfs"
grep -qx -- "-o" "$W/runs/1/args" && grep -q "block=t" "$W/runs/1/args" &&
	! grep -q "x-systemd\|nofail" "$W/runs/1/args" &&
	pass "mount.fuse3 passed btsootfs the options (nofail and x-systemd.* taken by mount)" ||
	fail "btsootfs got: $(tr '\n' ' ' < "$W/runs/1/args")"
echo "through the mount" > "$SRC/new"
for i in 2 3; do
	out=$(mount -a -T "$W/fstab" 2>&1); rc=$?
	assert_eq "0:" "$rc:$out" "mount -a number $i succeeds silently"
done
assert_eq 1 "$(runs)" "the repeated mount -a started no second btsootfs"
assert_eq "$SRC fuse.btsootfs" "$(mount_at "$SRC")" "still one btsootfs mount at the source"
assert_eq 1 "$(findmnt -n --mountpoint "$SRC" | wc -l)" "nothing stacked on the source"
out=$(umount "$SRC" 2>&1); rc=$?
assert_eq "0:" "$rc:$out" "umount of the fstab mount"
run_ended 1 "mount -a, umount"
assert_eq "" "$(mount_at "$SRC")" "the source is unmounted"
assert_journal_complete "mount -a, umount"
run_sync t >/dev/null && pass "sync after the fstab mount" || fail "sync after the fstab mount"
assert_eq "through the mount" "$(cat "$REM/new" 2>&1)" "the change made through the fstab mount reached the remote"

# 2. mount -t fuse.btsootfs by hand, umount.
out=$(mount -t fuse.btsootfs "$SRC" "$SRC" -o "$OPTS" 2>&1); rc=$?
assert_eq "0:" "$rc:$out" "mount -t fuse.btsootfs SRC SRC -o block=t"
assert_eq "$SRC fuse.btsootfs" "$(mount_at "$SRC")" "mount -t shows the source path"
umount "$SRC" || fail "umount after mount -t"
run_ended 2 "mount -t, umount"

# 3. An fsname= of the user's is kept.
out=$(mount -t fuse.btsootfs "$SRC" "$SRC" -o "$OPTS,fsname=mymedia" 2>&1); rc=$?
assert_eq "0:" "$rc:$out" "mount -t with fsname=mymedia"
assert_eq "mymedia fuse.btsootfs" "$(mount_at "$SRC")" "the user's fsname is kept"
umount "$SRC" || fail "umount after fsname="
run_ended 3 "fsname=, umount"

# 4. A mount point other than the source.
mkdir "$W/elsewhere"
# (-f: a btsootfs that wrongly mounts there is stopped by the timeout.)
timeout 10 "$BTSOOTFS" "$SRC" "$W/elsewhere" -o "$OPTS" -f > "$W/wrong.out" 2>&1; rc=$?
assert_eq 2 "$rc" "btsootfs on a mount point other than the source exits 2"
assert_eq 1 "$(wc -l < "$W/wrong.out")" "with one line"
grep -q "mount point $W/elsewhere is not block 't''s source $SRC" "$W/wrong.out" &&
	grep -q "btsootfs $SRC $SRC -o block=t" "$W/wrong.out" &&
	pass "the line names both paths and the command to use" ||
	fail "the refusal says: $(cat "$W/wrong.out")"
assert_eq "" "$(mount_at "$W/elsewhere")" "nothing is mounted there"
out=$(mount -t fuse.btsootfs "$SRC" "$W/elsewhere" -o "$OPTS" 2>&1); rc=$?
[ $rc -ne 0 ] && pass "mount -t onto another mount point fails (exit $rc)" ||
	fail "mount -t onto another mount point exits 0"
assert_eq 2 "$(cat "$W/runs/4/rc" 2>&1)" "... because btsootfs refused it (exit 2)"
assert_eq "" "$(mount_at "$W/elsewhere")" "nothing is mounted there either"
# That refusal went to the wrapper's log: its one line is the only error.
EXPECT_DAEMON_ERRORS="mount point $W/elsewhere is not block 't''s source"
errs=$(daemon_log_errors $((DAEMON_LOG_SEEN + 1)) | grep -v -- "$EXPECT_DAEMON_ERRORS")
assert_eq "" "$errs" "btsootfs logged nothing else while refusing"
DAEMON_LOG_SEEN=$(wc -l < "$W/daemon.log")
assert_trees_equal "$SRC" "$REM" "the remote equals the source"
finish
