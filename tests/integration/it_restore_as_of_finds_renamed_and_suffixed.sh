#!/bin/bash
# Proves: `btsoot restore BLOCK PATH --as-of DATE` brings back what the
# source held at PATH at DATE, where the trash's own naming used to lose it:
# (1) a real file named "X~1" deleted in the same sync as X, which was also
# rewritten and deleted there (two versions of X in one run folder): both
# come back with their own contents (X as it was at DATE); (2) a directory
# renamed, then deleted by a later sync, is found under its later name,
# whole; (3) a directory renamed and deleted within one sync, likewise;
# (4) a legacy run folder (no .btsoot, "x~N" naming) still restores; (2)
# and (3) also within a restore of the whole block.
# Each restored tree is compared by contents, modes and file mtimes with a
# copy of the source taken at DATE (directory mtimes are left out: removing
# the children on the remote changed them before the directory was retired).
. "$(dirname "$0")/lib.sh"
setup
for i in $(seq 20); do echo "keep $i" > "$SRC/keep$i"; done
echo "notes at date" > "$SRC/notes"; echo "a real notes~1" > "$SRC/notes~1"
mkdir -p "$SRC/proj/src" "$SRC/docs/img"; chmod 750 "$SRC/proj"
echo main > "$SRC/proj/src/main.c"; echo readme > "$SRC/proj/README"
echo pic > "$SRC/docs/img/a.png"; echo guide > "$SRC/docs/guide"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
cp -a "$SRC" "$W/at-date"
sleep 1.1; DATE=$(date -u +%Y-%m-%dT%H:%M:%S); sleep 1.1

mount_block t
echo "notes rewritten after the date" > "$SRC/notes"
umount_block; run_sync t >/dev/null || fail "sync: notes rewritten"
sleep 1.1; mount_block t
echo "notes v3" > "$SRC/notes"; rm "$SRC/notes"; rm "$SRC/notes~1"
mv "$SRC/proj" "$SRC/proj2"
mv "$SRC/docs" "$SRC/docs2"; rm -rf "$SRC/docs2"
umount_block; run_sync t >/dev/null || fail "sync: deletions and renames"
sleep 1.1; mount_block t
rm -rf "$SRC/proj2"
umount_block; run_sync t >/dev/null || fail "sync: proj2 deleted"

same() { # A B: contents, modes, file mtimes
	(cd "$1" && find . -type f -printf '%m %s %T@ %P\n' | sort; find . -type d -printf '%m %P\n' | sort
	 find . -type f -print0 | sort -z | xargs -0 -r xxhsum -H2) > "$W/s1"
	(cd "$2" && find . -path ./.btsoot -prune -o -type f -printf '%m %s %T@ %P\n' | sort
	 find . -path ./.btsoot -prune -o -type d -printf '%m %P\n' | sort
	 find . -path ./.btsoot -prune -o -type f -print0 | sort -z | xargs -0 -r xxhsum -H2) > "$W/s2"
	diff "$W/s1" "$W/s2" >&2
}
restore_to() { # PATH DIR
	"$BTSOOT" restore t "$1" --as-of "$DATE" --to "$2" > "$W/restore.out" 2>&1 ||
		{ cat "$W/restore.out"; return 1; }
}
restore_to "notes~1" "$W/r1" && assert_eq "a real notes~1" "$(cat "$W/r1/notes~1")" \
	"(1) a real X~1 next to X comes back" || fail "(1) restore of notes~1 failed"
restore_to notes "$W/r2" && assert_eq "notes at date" "$(cat "$W/r2/notes")" \
	"(1) X comes back as it was at the date" || fail "(1) restore of notes failed"
restore_to proj "$W/r3" && same "$W/at-date/proj" "$W/r3/proj" &&
	pass "(2) a directory renamed, then deleted by a later sync, comes back whole" ||
	fail "(2) proj as of the date"
restore_to docs "$W/r4" && same "$W/at-date/docs" "$W/r4/docs" &&
	pass "(3) a directory renamed and deleted in one sync comes back whole" ||
	fail "(3) docs as of the date"
restore_to "" "$W/r5" || fail "restore of the whole block"
assert_eq "a real notes~1" "$(cat "$W/r5/notes~1" 2>/dev/null)" "(1) a whole-block restore has the real X~1"
assert_eq "notes at date" "$(cat "$W/r5/notes" 2>/dev/null)" "(1) and X as it was at the date"
same "$W/at-date/proj" "$W/r5/proj" && same "$W/at-date/docs" "$W/r5/docs" &&
	pass "(2, 3) a whole-block restore follows the renamed directories too" ||
	fail "(2, 3) whole-block restore: proj or docs differ"
# (4) a legacy run folder: what an older btsoot wrote.
L="$REM/.btsoot/trash/20300101T000000Z"; mkdir -p "$L"
echo old-x > "$L/x"; echo later-x > "$L/x~1"
"$BTSOOT" restore t x --as-of 2029-12-31 --to "$W/r6" >/dev/null 2>&1
assert_eq "old-x" "$(cat "$W/r6/x" 2>/dev/null)" "(4) legacy run folder: x as it was"
[ ! -e "$W/r6/x~1" ] && pass "(4) legacy later version x~1 not restored as a file" ||
	fail "(4) legacy x~1 restored"
finish
