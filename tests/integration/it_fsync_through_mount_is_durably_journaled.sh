#!/bin/bash
# Proves: when fsync() of a file or of a directory through the mount
# returns, the journal row for that change is already committed to the
# journal file, as a second connection (another process) reads it at once,
# long before the writer's one-second batch timer. For fsync the row is the
# file's WRITE, for fsyncdir the RENAME that gave a file its name (the
# write-tmp, rename, fsync-dir pattern of careful programs). That the commit
# is then also fsynced (the WAL on disk) is counted by the journal unit test
# sync_commits_and_fsyncs_the_wal; here the daemon must exit 0 with no error
# and the mirror must come out equal.
. "$(dirname "$0")/lib.sh"
setup
J="$BTSOOT_STATE_DIR/t/journal.db"
mkdir "$SRC/d"
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
mount_block t

python3 - "$SRC" "$J" > "$W/py.out" 2>&1 <<'EOF'
import os, sqlite3, sys
src, jpath = sys.argv[1], sys.argv[2]

def committed(sql, arg):
    con = sqlite3.connect(f"file:{jpath}?mode=ro", uri=True)
    try:
        return con.execute(sql, (arg.encode(),)).fetchone()[0]
    finally:
        con.close()

missing_write = missing_rename = 0
for i in range(20):
    fd = os.open(f"{src}/d/f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"durable %d\n" % i)
    os.fsync(fd)
    if committed("SELECT count(*) FROM ops WHERE op = 9 AND path = ?", f"d/f{i}") == 0:
        missing_write += 1
    os.close(fd)

    with open(f"{src}/d/.tmp{i}", "w") as f:
        f.write("renamed %d\n" % i)
    os.rename(f"{src}/d/.tmp{i}", f"{src}/d/r{i}")
    dfd = os.open(f"{src}/d", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    if committed("SELECT count(*) FROM ops WHERE op = 6 AND path2 = ?", f"d/r{i}") == 0:
        missing_rename += 1
print(missing_write, missing_rename)
EOF
rc=$?
assert_eq 0 "$rc" "the fsync loop ran ($(tail -1 "$W/py.out"))"
read -r mw mr < <(tail -1 "$W/py.out")
assert_eq 0 "${mw:-x}" "after fsync of a file its WRITE row is committed (of 20)"
assert_eq 0 "${mr:-x}" "after fsync of a directory the RENAME row is committed (of 20)"
umount_block
assert_eq 0 "$DAEMON_RC" "btsootfs exits 0"
grep -qiE "error|fail" "$W/daemon.log" && fail "btsootfs logged an error: $(grep -iE "error|fail" "$W/daemon.log" | head -2)"
run_sync t >/dev/null && pass "sync" || fail "sync"
assert_trees_equal "$SRC" "$REM" "remote equals source"
finish
