#!/bin/bash
# Proves: a source that is empty while the remote holds a mirror (its disk
# not mounted: simulated by moving its content away) is refused, exit 4 or
# 8, with nothing deleted on the remote, also when the daemon stopped
# uncleanly so that the sync would otherwise mirror by rescan; --force
# mirrors the empty source and every deleted file goes to the remote's
# .btsoot/trash. A change set through the mount that deletes more than half
# of the mirror stops the sync before its first change with exit 8, listing
# what it would delete; --dry-run prints the plan and changes nothing;
# --force applies it (deleted files kept in the trash). A smaller deletion
# passes without --force. Each ends with remote == source, confirmed by
# btsoot-verify.
. "$(dirname "$0")/lib.sh"
setup

# Everything on the remote, its .btsoot included: names, types, sizes,
# contents. The "nothing changed" reference.
remote_state() { # OUT
	(cd "$REM" && find . -printf '%y %m %s %T@ %P\n' | LC_ALL=C sort) > "$1"
	(cd "$REM" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r xxhsum -q -H2) >> "$1"
}
assert_remote_unchanged() { # WHAT
	remote_state "$W/rem.now"
	if cmp -s "$W/rem.before" "$W/rem.now"; then
		pass "$1: the remote is unchanged"
	else
		fail "$1: the remote changed:"; diff "$W/rem.before" "$W/rem.now" | head -10
	fi
}
# Every file content of the reference list is in the remote's trash.
assert_in_trash() { # LIST WHAT
	local h p missing=0
	(cd "$REM" && find .btsoot/trash -type f -print0 2>/dev/null | xargs -0 -r xxhsum -q -H2 |
		cut -d' ' -f1 | sort -u) > "$W/trash.hashes"
	while read -r h p; do
		grep -qx "$h" "$W/trash.hashes" || { echo "    not in the trash: $p"; missing=$((missing + 1)); }
	done < "$1"
	[ $missing -eq 0 ] && pass "$2" || fail "$2: $missing deleted files are not in the trash"
}
hashes() { (cd "$1" && find . -path ./.btsoot -prune -o -type f -print0 | LC_ALL=C sort -z |
	xargs -0 -r xxhsum -q -H2); }
sync_rc() { # FLAGS...: runs btsoot-sync, output in $W/s.out and $W/s.err
	timeout -s KILL 60 "$SYNC" "$@" t > "$W/s.out" 2> "$W/s.err"; RC=$?
	{ echo "== sync $* rc $RC"; cat "$W/s.out" "$W/s.err"; } >> "$W/sync.log"
}

for d in a b c; do
	mkdir -p "$SRC/$d/sub"
	for i in $(seq 8); do head -c $((i * 1000)) /dev/urandom > "$SRC/$d/f$i"; done
	echo "$d" > "$SRC/$d/sub/leaf"
done
echo top > "$SRC/top"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
mkdir "$W/away"

# 1. Emptied while unmounted (the journal knows nothing of it).
mount_block t; echo later > "$SRC/a/later"; umount_block
remote_state "$W/rem.before"
mv "$SRC"/* "$W/away/"
sync_rc
case $RC in 4|8) pass "empty source (clean stop): sync refuses with $RC";;
*) fail "empty source (clean stop): sync exits $RC, not 4 or 8";; esac
grep -q "$SRC" "$W/s.err" && pass "the refusal names the source" ||
	fail "the refusal does not name $SRC: $(cat "$W/s.err")"
assert_remote_unchanged "empty source (clean stop)"
sync_rc --dry-run
assert_remote_unchanged "empty source, --dry-run"

# 2. Emptied after the daemon died: the next sync must rescan, and a rescan
#    of an empty source would delete the whole mirror.
mv "$W/away"/* "$SRC/"
mount_block t; echo later2 > "$SRC/a/later2"
expect_daemon_killed; umount -l "$SRC"
remote_state "$W/rem.before"
hashes "$REM" > "$W/mirror.hashes"
mv "$SRC"/* "$W/away/"
sync_rc
case $RC in 4|8) pass "empty source (daemon killed): sync refuses with $RC";;
*) fail "empty source (daemon killed): sync exits $RC, not 4 or 8";; esac
assert_remote_unchanged "empty source (daemon killed)"
sync_rc --dry-run
assert_remote_unchanged "empty source (daemon killed), --dry-run"

# 3. --force mirrors the empty source: everything goes to the trash.
sync_rc --force
assert_eq 0 "$RC" "--force mirrors the empty source"
[ -z "$(ls -A "$REM" | grep -vx .btsoot)" ] && pass "the remote mirror is empty" ||
	fail "the remote still holds: $(ls -A "$REM" | grep -vx .btsoot | head)"
assert_in_trash "$W/mirror.hashes" "every deleted file is in the trash"
assert_trees_equal "$SRC" "$REM" "--force: remote equals the empty source"

# The disk comes back: its content, moved in through the mount, is journaled.
mount_block t
mv "$W/away"/* "$SRC/"
umount_block
sync_rc
assert_eq 0 "$RC" "sync after the content came back"
assert_verified_equal "content back"

# 4. Mass deletion through the mount: more than half of the mirror.
remote_state "$W/rem.before"
hashes "$REM" > "$W/mirror.hashes"
mount_block t
echo fresh > "$SRC/fresh"                          # a change before the deletions
dd if=/dev/urandom of="$SRC/top" bs=3 count=1 conv=notrunc status=none
rm -r "$SRC/a" "$SRC/b"
umount_block
sync_rc
assert_eq 8 "$RC" "deleting more than half of the mirror is refused with exit 8"
grep -q "would delete" "$W/s.err" && pass "the refusal lists what it would delete" ||
	fail "no list of deletions: $(head -3 "$W/s.err")"
grep -q "would delete a/f1\b\|would delete b/" "$W/s.err" && pass "the list names deleted paths" ||
	fail "the list does not name a deleted path: $(grep -m3 would "$W/s.err")"
grep -q "force" "$W/s.err" && pass "the refusal says how to go on (--force)" ||
	fail "the refusal does not mention --force"
assert_remote_unchanged "refused mass deletion (stopped before its first change)"
[ ! -e "$REM/fresh" ] && pass "not even the change before the deletions was applied" ||
	fail "the sync applied changes before refusing"
sync_rc --dry-run
assert_eq 0 "$RC" "--dry-run exits 0"
grep -q "dry run" "$W/s.out" && grep -q "delete" "$W/s.out" && pass "--dry-run prints the plan" ||
	fail "--dry-run printed no plan: $(head -3 "$W/s.out")"
sync_rc --dry-run -v
grep -q "a/f1" "$W/s.out" && pass "--dry-run -v lists every operation" ||
	fail "--dry-run -v does not list the operations: $(head -3 "$W/s.out")"
assert_remote_unchanged "--dry-run"
sync_rc
assert_eq 8 "$RC" "still refused after the dry run (the journal is kept)"
assert_remote_unchanged "refused again"
sync_rc --force
assert_eq 0 "$RC" "--force applies the deletions"
assert_in_trash <(grep " ./[ab]/" "$W/mirror.hashes") "the deleted files are in the trash"
assert_verified_equal "mass deletion forced"

# 4b. The same after btsootfs died: the sync reconciles by rescanning, and
#     that rescan must not apply a mass deletion without --force either.
mount_block t
for i in 1 2 3; do echo "b$i" > "$SRC/bb$i"; done
umount_block
sync_rc
remote_state "$W/rem.before"
hashes "$REM" > "$W/mirror.hashes"
mount_block t
rm -r "$SRC/c" "$SRC"/bb*
expect_daemon_killed; umount -l "$SRC"
sync_rc
assert_eq 8 "$RC" "a mass deletion found by the reconciling rescan is refused with exit 8"
assert_remote_unchanged "refused mass deletion (daemon killed)"
sync_rc --force
assert_eq 0 "$RC" "--force applies it"
assert_in_trash <(grep " ./c/\| ./bb" "$W/mirror.hashes") "the deleted files are in the trash"
assert_verified_equal "mass deletion after the daemon died, forced"
mount_block t
mkdir "$SRC/c"; for i in $(seq 8); do head -c $((i * 1000)) /dev/urandom > "$SRC/c/f$i"; done
umount_block
sync_rc
assert_eq 0 "$RC" "sync of new content"

# 5. A smaller deletion (well under half) passes without --force.
mount_block t
rm "$SRC/c/f1" "$SRC/c/f2"
umount_block
sync_rc
assert_eq 0 "$RC" "deleting a small part of the mirror needs no --force"
assert_verified_equal "small deletion"

# 6. btsoot-verify --repair (a cron job too) against an empty source.
remote_state "$W/rem.before"
mv "$SRC"/* "$W/away/"
"$VERIFY" -q --repair t > "$W/verify.out" 2>&1; rc=$?
[ $rc -ne 0 ] && [ $rc -ne 1 ] && pass "verify --repair refuses the empty source ($rc)" ||
	fail "verify --repair of an empty source exits $rc"
assert_remote_unchanged "empty source, verify --repair"
mv "$W/away"/* "$SRC/"
"$VERIFY" -q --repair t > /dev/null 2>&1
assert_verified_equal "source back"
finish
