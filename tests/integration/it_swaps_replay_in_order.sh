#!/bin/bash
# Proves: order-sensitive renames (a swap through a temp name, and
# RENAME_EXCHANGE) are replayed in the filesystem's order, and the
# exchange survives a crash between its steps.
. "$(dirname "$0")/lib.sh"
setup
echo A > "$SRC/a"; echo B > "$SRC/b"; echo C > "$SRC/c"; echo D > "$SRC/d"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null
mount_block t
mv "$SRC/a" "$SRC/t"; mv "$SRC/b" "$SRC/a"; mv "$SRC/t" "$SRC/b"
"$FSOPS" swap "$SRC" c d && pass "RENAME_EXCHANGE through the mount" || fail "exchange"
umount_block
assert_eq "B A D C" "$(cat "$SRC/a" "$SRC/b" "$SRC/c" "$SRC/d" | tr '\n' ' ' | sed 's/ $//')" \
	"source swapped"
BTSOOT_CRASH_AFTER_OPS=5 "$SYNC" -q t >/dev/null 2>&1
run_sync t >/dev/null
assert_eq "B A D C" "$(cat "$REM/a" "$REM/b" "$REM/c" "$REM/d" | tr '\n' ' ' | sed 's/ $//')" \
	"remote swapped the same way after a crash mid-replay"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
