#!/bin/bash
# Proves: bad input gets a one-line error naming the thing, a documented
# exit code, and changes nothing (for btsootfs: an unknown -o option leaves
# no mount, no lock and the journal as it was).
. "$(dirname "$0")/lib.sh"
setup
echo data > "$SRC/a"
check() { # EXPECTED_RC NEEDLE WHAT CMD...
	local want=$1 needle=$2 what=$3; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ $rc -eq "$want" ] && echo "$out" | grep -q -- "$needle" && [ "$(echo "$out" | wc -l)" -le 2 ]; then
		pass "$what (exit $rc)"
	else
		fail "$what: exit $rc, output: $out"
	fi
}
check 2 "nosuch" "sync of an unknown block" "$SYNC" nosuch
check 2 "nosuch" "verify of an unknown block" "$VERIFY" nosuch
check 2 "nosuch" "status of an unknown block" "$BTSOOT" status nosuch
check 2 "absolute" "relative source path" "$BTSOOT" add t src "$REM"
mkdir "$SRC/inner"
check 2 "contain" "remote inside the source" "$BTSOOT" add t "$SRC" "$SRC/inner"
check 2 "No such file" "missing source directory" "$BTSOOT" add t "$W/nope" "$REM"
check 2 "invalid block name" "bad block name" "$BTSOOT" add ../x "$SRC" "$REM"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null && pass "add" || fail "add"
J="$BTSOOT_STATE_DIR/t/journal.db"
sum_before=$(cat "$J"* 2>/dev/null | xxhsum -H2)
check 2 "timout=5" "btsootfs with an unknown -o option" "$BTSOOTFS" "$SRC" "$SRC" -o block=t,timout=5
check 2 "bogus" "btsootfs with an unknown -o option first" "$BTSOOTFS" "$SRC" "$SRC" -o bogus,block=t -f
grep -q " $SRC fuse" /proc/mounts && fail "a rejected btsootfs left a mount" ||
	pass "a rejected btsootfs left no mount"
[ ! -e "$BTSOOT_STATE_DIR/t/daemon.lock" ] && [ "$(cat "$J"* 2>/dev/null | xxhsum -H2)" = "$sum_before" ] &&
	pass "a rejected btsootfs left no lock and the journal as it was" ||
	fail "a rejected btsootfs changed the state: $(ls "$BTSOOT_STATE_DIR/t")"
check 2 "already exists" "duplicate block name" "$BTSOOT" add t "$SRC" "$REM"
run_sync t >/dev/null || fail "first sync"
# An unmounted share looks like an empty directory: no marker.
mv "$REM" "$W/remote.real"; mkdir "$REM"
check 3 "marker" "sync refuses a remote without its marker" "$SYNC" t
[ -z "$(ls -A "$REM")" ] && pass "nothing written to the unmarked remote" ||
	fail "sync wrote into the unmarked remote"
rmdir "$REM"; mv "$W/remote.real" "$REM"
# The marker directory itself deleted, with changes pending: exit 3, the
# remote stays exactly as it was (no .btsoot recreated), the journal is kept
# and, once the remote is adopted on purpose, the next sync applies it.
mount_block t
echo changed >> "$SRC/a"; echo new > "$SRC/b"
umount_block
rm -rf "$REM/.btsoot"
manifest "$REM" "$W/remote-before"
check 3 "marker" "sync refuses a remote whose .btsoot was deleted" "$SYNC" t
manifest "$REM" "$W/remote-after"
cmp -s "$W/remote-before" "$W/remote-after" && [ ! -e "$REM/.btsoot" ] &&
	pass "nothing written to the remote without a marker" ||
	fail "sync wrote into the remote without a marker"
check 0 "" "init-remote adopts the existing mirror" "$BTSOOT" init-remote t
run_sync t >/dev/null && pass "sync after init-remote" || fail "sync after init-remote"
assert_trees_equal "$SRC" "$REM" "pending changes applied after adoption"
# A marker of another block is not taken over without --force.
mkdir "$W/src2"; echo z > "$W/src2/z"
mkdir "$W/remote2"; "$BTSOOT" add v "$W/src2" "$W/remote2" >/dev/null || fail "add v"
sed -i "s|^remote *=.*|remote = $REM|" "$BTSOOT_CONFIG_DIR/blocks/v.conf"
check 3 "another block" "sync refuses a remote marked for another block" "$SYNC" v
[ ! -e "$REM/z" ] && pass "the other block's mirror was not touched" ||
	fail "sync wrote into another block's remote"
printf 'source = %s\nbogus line\n' "$SRC" > "$BTSOOT_CONFIG_DIR/blocks/bad.conf"
check 2 "bad.conf:2" "bad config line names file and line" "$SYNC" bad
check 2 "Usage\|usage" "sync without a block" "$SYNC"
finish
