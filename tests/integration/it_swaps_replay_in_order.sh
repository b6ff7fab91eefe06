#!/bin/bash
# Proves: the journal records order-sensitive renames in the filesystem's
# order and the sync replays them that way: a swap through a temp name, a
# three-way rotation, RENAME_EXCHANGE of two files and of a directory with a
# file; also when the sync is killed between the steps (exact remote ops).
. "$(dirname "$0")/lib.sh"
setup
echo A > "$SRC/a"; echo B > "$SRC/b"; echo C > "$SRC/c"; echo D > "$SRC/d"
echo X > "$SRC/x"; echo Y > "$SRC/y"; echo Z > "$SRC/z"
mkdir "$SRC/dir"; echo inside > "$SRC/dir/f"; echo F > "$SRC/file"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
contents() { # DIR
	(cd "$1" && cat a b c d x y z dir/f file 2>/dev/null) | tr '\n' ' ' | sed 's/ $//'
}
for k in 0 1 2 3 4; do
	mount_block t
	mv "$SRC/a" "$SRC/t"; mv "$SRC/b" "$SRC/a"; mv "$SRC/t" "$SRC/b"      # swap via temp
	mv "$SRC/x" "$SRC/t"; mv "$SRC/z" "$SRC/x"; mv "$SRC/y" "$SRC/z"      # rotation
	mv "$SRC/t" "$SRC/y"
	"$FSOPS" swap "$SRC" c d || fail "RENAME_EXCHANGE of two files"
	"$FSOPS" swap "$SRC" dir file || fail "RENAME_EXCHANGE of a directory and a file"
	umount_block
	want=$(contents "$SRC")
	if [ $k -gt 0 ]; then
		BTSOOT_CRASH_AFTER_OPS=$k "$SYNC" -q t >/dev/null 2>&1
		assert_eq 137 $? "sync killed at remote op $k"
	fi
	run_sync t >/dev/null || fail "sync (crash at op $k before)"
	assert_eq "$want" "$(contents "$REM")" "remote order matches the source (crash at op $k)"
	assert_trees_equal "$SRC" "$REM" "remote equals source (crash at op $k)"
done
assert_eq "$(stat -c %F "$SRC/dir" "$SRC/file")" "$(stat -c %F "$REM/dir" "$REM/file")" \
	"the exchanged directory and file have the same kinds on both sides"
finish
