#!/bin/bash
# Proves: a corrupt journal (truncated at seeded random offsets, a 4 KiB page
# overwritten with garbage, a few bytes flipped) never costs the mirror: the
# sync neither crashes nor hangs, exits 5 (journal) or recovers by a full
# rescan, never deletes the journal file (it stays in the state dir, as
# journal.db or moved aside as journal.db.corrupt-*), and leaves every file
# of the last good mirror intact (only additions and updates that match the
# source); a following sync then falls back to a verify-and-repair rescan and
# ends with remote == source, which btsoot-verify confirms. btsootfs mounted
# over a corrupt journal sets it aside too and keeps journaling.
# SEED=n replays a run; TRIALS=n sets the number of truncations (8).
. "$(dirname "$0")/lib.sh"
setup
SEED=${SEED:-$(date +%s)}
TRIALS=${TRIALS:-8}
echo "seed=$SEED"
RANDOM=$SEED
ST="$BTSOOT_STATE_DIR/t"
J="$ST/journal.db"

# A synced tree...
for d in $(seq 0 5); do
	mkdir -p "$SRC/d$d/sub"
	for i in $(seq 12); do head -c $((RANDOM % 9000 + 1)) /dev/urandom > "$SRC/d$d/f$i"; done
	echo "$d" > "$SRC/d$d/sub/leaf"
done
head -c 2M /dev/urandom > "$SRC/big"
make_quiet_dir
"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
run_sync t >/dev/null && pass "first sync" || fail "first sync"
# ... plus pending changes of every kind, enough rows for several pages.
mount_block t
mv "$SRC/d0" "$SRC/d0.moved"
for i in $(seq 1 4); do mv "$SRC/d1/f$i" "$SRC/d2/m$i"; done
rm "$SRC/d3/f1" "$SRC/d3/f2"; rm -r "$SRC/d4/sub"
for i in $(seq 5 9); do echo "more $i" >> "$SRC/d5/f$i"; done
dd if=/dev/urandom of="$SRC/big" bs=4k count=2 seek=100 conv=notrunc status=none
mkdir "$SRC/new"
for i in $(seq 150); do echo "n$i" > "$SRC/new/a-rather-long-file-name-to-fill-journal-pages-$i"; done
chmod 600 "$SRC/d2/f9"; setfattr -n user.k -v v "$SRC/d2/f10"
umount_block
"$VERIFY" -q t >/dev/null 2>&1; assert_eq 1 "$?" "changes are pending (verify sees differences)"
ls "$ST"/journal.db-wal >/dev/null 2>&1 && echo "note: a WAL file is left after the clean unmount"
cp -a "$ST" "$W/state.good"
cp -a "$REM" "$W/remote.good"
SIZE=$(stat -c %s "$J")
PAGES=$((SIZE / 4096))
echo "journal: $SIZE bytes, $PAGES pages"

hashes() { # DIR: "hash  ./path" of every file; with ALL=1 the remote's .btsoot too
	local skip=./.btsoot
	[ -n "${ALL:-}" ] && skip=./.none
	(cd "$1" && find . -path "$skip" -prune -o -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r xxhsum -q -H2)
}
# No file of the last good mirror is lost: each one's content is still on
# the remote (at its name, renamed, or in the trash), or its name holds what
# the source holds now (an in-place update). And nothing is damaged: every
# file on the remote (outside .btsoot) holds a content of the source or of
# the last good mirror, never a truncated or foreign one.
assert_mirror_kept() { # WHAT
	local h p lost=0 bad=0
	ALL=1 hashes "$REM" > "$W/rem.all"
	hashes "$SRC" > "$W/src.now"
	while read -r h p; do
		grep -q "^$h " "$W/rem.all" && continue
		[ -f "$REM/$p" ] && [ -f "$SRC/$p" ] && cmp -s "$REM/$p" "$SRC/$p" && continue
		echo "    lost: $p"; lost=$((lost + 1))
	done < "$W/good.hashes"
	while read -r h p; do
		grep -q "^$h " "$W/src.now" "$W/good.hashes" && continue
		printf '    damaged or foreign: %q\n' "$p"; bad=$((bad + 1))
	done < <(hashes "$REM")
	[ $lost -eq 0 ] && pass "$1: no file of the last good mirror lost" ||
		fail "$1: $lost files of the last good mirror lost"
	[ $bad -eq 0 ] && pass "$1: no file on the remote truncated, damaged or foreign" ||
		fail "$1: $bad files on the remote hold neither a source nor a mirror content"
}
# Bytes from the seeded RANDOM, so SEED=n replays the very same garbage.
garbage() { # N
	local i s=""
	for ((i = 0; i < $1; i++)); do printf -v s '%s\\%03o' "$s" $((RANDOM % 256)); done
	printf "$s"
}

trial() { # WHAT CORRUPT-COMMAND
	local what=$1 rc kept f
	rm -rf "${ST:?}" "${REM:?}"
	cp -a "$W/state.good" "$ST"; cp -a "$W/remote.good" "$REM"
	eval "$2"
	cp "$J" "$W/corrupt.db"
	plant_rescan_probe
	timeout -s KILL 20 "$SYNC" t > "$W/s.out" 2> "$W/s.err"; rc=$?
	{ echo "== $what: sync rc $rc"; cat "$W/s.out" "$W/s.err"; } >> "$W/sync.log"
	echo "  $what: sync exit $rc: $(head -1 "$W/s.err")"
	rescanned=yes; [ -e "$PROBE_DIR/rescan-probe.planted" ] && rescanned=no
	assert_rescanned "$rescanned" "$what: the probe is removed again" >/dev/null
	case $rc in
	137) fail "$what: the sync hung (killed after 20 s)";;
	0) # Exit 0 with or without a rescan is only right if nothing was missed.
	   "$VERIFY" -q t > "$W/verify.out" 2>&1 &&
		pass "$what: the sync exited 0 (rescanned: $rescanned) and the remote is right" ||
		fail "$what: the sync exited 0 (rescanned: $rescanned), but the remote differs: $(head -3 "$W/verify.out" | tr '\n' ';')";;
	5) pass "$what: the sync exits 5 (journal)";;
	*) fail "$what: the sync exits $rc (crash or undocumented; 0 or 5 expected): $(tail -2 "$W/s.err")";;
	esac
	if [ $rc -ne 0 ]; then
		[ "$(wc -l < "$W/s.err")" -le 2 ] && grep -q "$ST" "$W/s.err" &&
			pass "$what: a short error naming the journal" ||
			fail "$what: unclear error: $(head -3 "$W/s.err")"
	fi
	# Corruption SQLite cannot see (inside a row) may go unnoticed: then
	# the sync used the journal as usual (verified above).
	noticed=1
	[ $rc -eq 0 ] && [ $rescanned = no ] && noticed=0
	kept=""
	for f in "$ST"/journal.db "$ST"/journal.db.corrupt*; do
		[ -f "$f" ] && cmp -s "$f" "$W/corrupt.db" && kept=$f
	done
	if [ $noticed -eq 0 ]; then
		echo "    (the corruption went unnoticed: the journal was used and pruned)"
	elif [ -n "$kept" ]; then
		pass "$what: the corrupt journal is kept as it was (${kept#"$ST"/})"
	elif compgen -G "$ST/journal.db.corrupt*" >/dev/null; then
		pass "$what: the corrupt journal is kept, moved aside (its bytes changed)"
	elif [ -f "$J" ]; then
		fail "$what: the corrupt journal was overwritten or changed in place"
	else
		fail "$what: the corrupt journal is gone from the state dir: $(ls "$ST")"
	fi
	assert_mirror_kept "$what"
	[ -z "$(ls -A "$REM/.btsoot/tmp" 2>/dev/null)" ] || fail "$what: temp files left on the remote"
	# The following sync falls back to a verify-and-repair rescan.
	timeout -s KILL 20 "$SYNC" t > "$W/s.out" 2> "$W/s.err"; rc=$?
	{ echo "== $what: following sync rc $rc"; cat "$W/s.out" "$W/s.err"; } >> "$W/sync.log"
	assert_eq 0 "$rc" "$what: the following sync succeeds"
	[ $rc -eq 0 ] || echo "    $(head -1 "$W/s.err")"
	[ $noticed -eq 0 ] || compgen -G "$ST/journal.db.corrupt*" >/dev/null ||
		cmp -s "$J" "$W/corrupt.db" || fail "$what: after the following sync the corrupt journal is nowhere in $ST: $(ls "$ST")"
	"$VERIFY" -q t > "$W/verify.out" 2>&1; rc=$?
	assert_eq 0 "$rc" "$what: verify finds remote == source"
	[ $rc -eq 0 ] || head -3 "$W/verify.out"
	assert_trees_equal "$SRC" "$REM" "$what: remote equals source"
}

hashes "$REM" > "$W/good.hashes"
for n in $(seq "$TRIALS"); do
	if [ $((n % 2)) -eq 1 ]; then # page-aligned: whole pages lost
		off=$(((RANDOM % (PAGES - 1) + 1) * 4096))
	else
		off=$(((RANDOM * 32768 + RANDOM) % (SIZE - 1) + 1))
	fi
	trial "truncated at $off of $SIZE" "truncate -s $off '$J'"
done
page=$((RANDOM % PAGES))
trial "page $page of $PAGES overwritten with garbage" \
	"garbage 4096 > '$W/g'; dd if='$W/g' of='$J' bs=4096 count=1 seek=$page conv=notrunc status=none"
off=$(((RANDOM * 32768 + RANDOM) % (SIZE - 200) + 100))
trial "16 bytes at $off overwritten with garbage" \
	"garbage 16 > '$W/g'; dd if='$W/g' of='$J' bs=1 count=16 seek=$off conv=notrunc status=none"
trial "the header page overwritten with garbage" \
	"garbage 4096 > '$W/g'; dd if='$W/g' of='$J' bs=4096 count=1 conv=notrunc status=none"
# A path inside a row garbled (no '/' and no NUL): the pages stay valid, so
# SQLite cannot see it. Whatever the sync does, the mirror must not suffer
# and the following sync plus verify must end with remote == source.
garbage_high() { # N bytes in 0x80..0xff
	local i s=""
	for ((i = 0; i < $1; i++)); do printf -v s '%s\\%03o' "$s" $((RANDOM % 128 + 128)); done
	printf "$s"
}
name=a-rather-long-file-name-to-fill-journal-pages-77
off=$(grep -obUa -- "$name" "$W/state.good/journal.db" | head -1 | cut -d: -f1)
if [ -n "$off" ]; then
	trial "a journaled path garbled at $((off + 2))" \
		"garbage_high 12 > '$W/g'; dd if='$W/g' of='$J' bs=1 count=12 seek=$((off + 2)) conv=notrunc status=none"
else
	fail "cannot find a journaled path in the journal file"
fi

# btsootfs mounting over a corrupt journal: it keeps the file aside, mounts
# (the user's work goes on), journals into a new one, and the next sync
# reconciles by rescan.
rm -rf "${ST:?}" "${REM:?}"
cp -a "$W/state.good" "$ST"; cp -a "$W/remote.good" "$REM"
garbage 4096 > "$W/g"; dd if="$W/g" of="$J" bs=4096 count=1 conv=notrunc status=none
cp "$J" "$W/corrupt.db"
mount_block t
echo "written while mounted over a corrupt journal" > "$SRC/after-corruption"
umount_block
kept=""
for f in "$ST"/journal.db.corrupt*; do cmp -s "$f" "$W/corrupt.db" && kept=$f; done
[ -n "$kept" ] && pass "btsootfs kept the corrupt journal aside (${kept#"$ST"/})" ||
	fail "btsootfs did not keep the corrupt journal: $(ls "$ST")"
plant_rescan_probe
run_sync t >/dev/null && pass "sync after mounting over a corrupt journal" ||
	fail "sync after mounting over a corrupt journal"
assert_rescanned yes "that sync reconciled by rescan"
assert_trees_equal "$SRC" "$REM" "mounted over a corrupt journal: remote equals source"
echo "seed=$SEED"
finish
