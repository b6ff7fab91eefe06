#!/bin/bash
# Proves: an SQLite database in WAL mode does not trip the mass-deletion
# guard, even in a tiny block that holds only the database. A sync while
# it is open mirrors app.db, app.db-wal and app.db-shm; the program writes
# and closes it, SQLite removes -wal and -shm (2 of 3 mirrored entries,
# a net loss of two: never a mass deletion), and the next sync exits 0
# (it exited 8 before). A program that closes and reopens it between two
# syncs (2 deleted, 2 created: no net loss) passes too. Each time the
# remote equals the source and its database holds the rows.
. "$(dirname "$0")/lib.sh"
setup
sqlite3 "$SRC/app.db" "PRAGMA journal_mode=WAL; CREATE TABLE t(x);" >/dev/null
"$BTSOOT" add t "$SRC" "$REM" >/dev/null
run_sync t >/dev/null || fail "first sync"
mount_block t

sync_ok() { # WHAT
	"$SYNC" t >"$W/out" 2>&1; rc=$?
	assert_eq 0 "$rc" "$1"
	[ $rc -eq 0 ] || cat "$W/out"
}
open_db() { # a program holding the database open, writing row $1
	coproc DB { sqlite3 "$SRC/app.db" >/dev/null 2>&1; }
	echo "PRAGMA journal_mode=WAL; INSERT INTO t VALUES ($1);" >&"${DB[1]}"
	for _ in $(seq 50); do [ -e "$SRC/app.db-shm" ] && break; sleep 0.1; done
}
rows_on_remote() { # read from a copy: opening it in place would add a -wal there
	cp "$REM/app.db" "$W/copy.db" && sqlite3 "$W/copy.db" 'SELECT count(*) FROM t' 2>&1
}
close_db() { # writes row $1, then quits
	printf 'INSERT INTO t VALUES (%s);\n.quit\n' "$1" >&"${DB[1]}"
	wait "$DB_PID"
}

open_db 1
[ -e "$SRC/app.db-wal" ] && [ -e "$SRC/app.db-shm" ] && pass "the open database has -wal and -shm" ||
	fail "no -wal/-shm next to the open database"
sync_ok "a sync while the database is open"
[ -e "$REM/app.db-wal" ] && [ -e "$REM/app.db-shm" ] && pass "the remote holds -wal and -shm" ||
	fail "-wal/-shm were not mirrored"
close_db 2
[ ! -e "$SRC/app.db-wal" ] && [ ! -e "$SRC/app.db-shm" ] && pass "closing removed -wal and -shm" ||
	fail "-wal/-shm still there after close"
sync_ok "closing the WAL database (2 of 3 entries gone) is not refused"
[ ! -e "$REM/app.db-wal" ] && pass "the remote -wal is gone too" || fail "the remote -wal is still there"
assert_eq 2 "$(rows_on_remote)" "the remote database holds the 2 rows"

open_db 3
sync_ok "a sync while it is open again"
close_db 4
open_db 5
sync_ok "closing and reopening it between two syncs is not refused"
close_db 6
sync_ok "closing it again"
assert_eq 6 "$(rows_on_remote)" "the remote database holds the 6 rows"
assert_trees_equal "$SRC" "$REM" "remote equals source"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exited 0"
finish
