#!/bin/bash
# Proves: symlinks planted on the remote (directories and files replaced by
# symlinks to places OUTSIDE the remote, at names the next sync writes into,
# deletes, renames, truncates or sets metadata on; and .btsoot, its tmp,
# trash and marker replaced by symlinks) are never followed: nothing outside
# the remote is created, modified or deleted, whatever the sync does (repair
# the name or report an error with a documented exit code), and a later
# sync (plus btsoot-verify --repair where the sync alone cannot) ends with
# remote == source.
. "$(dirname "$0")/lib.sh"
setup
OUT="$W/outside"

# The outside, in full: lib's manifest (types, modes, owners, mtimes,
# targets, xattrs, contents) plus every change time and inode.
outside_manifest() { # FILE
	manifest "$OUT" "$1"
	(cd "$OUT" && find . -printf '%i %C@ %n %P\0' | LC_ALL=C sort -z) >> "$1"
}
assert_outside_untouched() { # WHAT
	outside_manifest "$W/out.now"
	if cmp -s "$W/out.before" "$W/out.now"; then
		pass "$1: nothing outside the remote changed"
	else
		fail "$1: the outside changed:"
		diff <(tr '\0' '\n' < "$W/out.before") <(tr '\0' '\n' < "$W/out.now") | head -20
	fi
}
# The sync ends with a documented code, never a crash or a hang.
sync_documented() { # WHAT [flags]
	local what=$1; shift
	timeout -s KILL 60 "$SYNC" "$@" t > "$W/s.out" 2> "$W/s.err"; SRC_RC=$?
	{ echo "== sync $* ($what) rc $SRC_RC"; cat "$W/s.out" "$W/s.err"; } >> "$W/sync.log"
	case $SRC_RC in
	0|3|7) pass "$what: sync exits $SRC_RC";;
	*) fail "$what: sync exits $SRC_RC (crash, hang or undocumented): $(tail -3 "$W/s.err")";;
	esac
	[ $SRC_RC -eq 0 ] || echo "  ($what: $(head -1 "$W/s.err"))"
}
# A sync, then verify --repair if the sync could not get past a planted
# name, then a sync that must succeed and a verify that must find nothing.
converge() { # WHAT
	local rc
	"$SYNC" -q t >> "$W/sync.log" 2>&1; rc=$?
	if [ $rc -eq 0 ] && ! "$VERIFY" -q t > "$W/verify.out" 2>&1; then
		echo "  note ($1): the sync exited 0 but verify finds differences: $(head -3 "$W/verify.out" | tr '\n' ';')"
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		"$VERIFY" -q --repair t >> "$W/sync.log" 2>&1; rc=$?
		[ $rc -eq 0 ] || echo "  (verify --repair exit $rc)"
	fi
	"$SYNC" -q t >> "$W/sync.log" 2>&1; rc=$?
	assert_eq 0 "$rc" "$1: a sync after the repair succeeds"
	"$VERIFY" -q t > "$W/verify.out" 2>&1; rc=$?
	assert_eq 0 "$rc" "$1: verify finds remote == source"
	[ $rc -eq 0 ] || head -5 "$W/verify.out"
	assert_trees_equal "$SRC" "$REM" "$1: remote equals source"
}

# The source.
mkdir -p "$SRC/d_write" "$SRC/d_del" "$SRC/d_gone" "$SRC/d_ren" "$SRC/d_meta" \
	"$SRC/d_deep/sub" "$SRC/d_into"
for f in d_write/a d_write/b d_del/x d_del/y d_gone/g d_ren/r1 d_deep/sub/file \
	f_ws f_del f_ren f_chmod f_touch f_xattr f_trunc f_move f_target f_other; do
	head -c 3000 /dev/urandom > "$SRC/$f"
done
head -c 1M /dev/urandom > "$SRC/f_write"
ln -s some/where "$SRC/l_sym"

# The outside: a directory or file for every name that will be planted,
# with the same names inside, so a followed link would find them.
mkdir -p "$OUT/dir_w" "$OUT/dir_d" "$OUT/dir_g" "$OUT/dir_r" "$OUT/dir_m" \
	"$OUT/dir_deep/sub" "$OUT/dir_into" "$OUT/tmpdir" "$OUT/trashdir" "$OUT/area/tmp"
for f in dir_w/a dir_w/b dir_w/keep dir_d/x dir_d/y dir_d/keep dir_g/g dir_r/r1 \
	dir_deep/sub/file dir_into/keep file_ws file_del file_ren file_chmod file_touch \
	file_xattr file_trunc file_target file_sym tmpdir/precious tmpdir/1-1.part \
	trashdir/precious; do
	echo "outside $f" > "$OUT/$f"
done
head -c 1M /dev/urandom > "$OUT/file_w"
chmod 644 "$OUT"/file_* ; chmod 755 "$OUT"/dir_*
touch -d '2010-01-01 00:00:00' "$OUT"/file_* "$OUT"/dir_*

"$BTSOOT" add t "$SRC" "$REM" >/dev/null || fail "btsoot add"
cp "$REM/.btsoot/marker" "$OUT/area/marker" # a valid marker, outside
run_sync t >/dev/null && pass "first sync" || fail "first sync"

# Plant: every name below now points outside the remote.
plant() { # REL TARGET
	rm -rf "${REM:?}/$1"; ln -s "$2" "$REM/$1"
}
plant d_write "$OUT/dir_w"
plant d_del "$OUT/dir_d"
plant d_gone "$OUT/dir_g"
plant d_ren "$OUT/dir_r"
plant d_meta "$OUT/dir_m"
plant d_deep ../outside/dir_deep # relative, escaping upwards
plant d_into "$OUT/dir_into"
for f in ws del ren chmod touch xattr trunc target w; do plant "f_$f" "$OUT/file_$f"; done
plant l_sym "$OUT/file_sym" # a symlink where the source has another one
outside_manifest "$W/out.before"

# Changes through the mount that touch every planted name.
mount_block t
echo new > "$SRC/d_write/c"                                      # create inside
dd if=/dev/urandom of="$SRC/d_write/a" bs=100 count=1 conv=notrunc status=none # write inside
rm "$SRC/d_del/x"                                                # delete inside
rm -r "$SRC/d_gone"                                              # delete the tree
mv "$SRC/d_ren" "$SRC/d_ren2"                                    # rename the dir
echo more >> "$SRC/d_ren2/r1"; echo r2 > "$SRC/d_ren2/r2"        # then write into it
chmod 700 "$SRC/d_meta"; touch -d '2001-02-03 04:05:06' "$SRC/d_meta" # metadata
dd if=/dev/urandom of="$SRC/d_deep/sub/file" bs=10 count=1 conv=notrunc status=none
mv "$SRC/f_move" "$SRC/d_into/f_move"                            # rename into it
dd if=/dev/urandom of="$SRC/f_write" bs=4k count=1 seek=128 conv=notrunc status=none # in place
echo more >> "$SRC/f_ws"                                         # small rewrite
rm "$SRC/f_del"
mv "$SRC/f_ren" "$SRC/f_ren2"
chmod 600 "$SRC/f_chmod"
touch -d '2002-03-04 05:06:07' "$SRC/f_touch"
setfattr -n user.planted -v yes "$SRC/f_xattr"
truncate -s 10 "$SRC/f_trunc"
mv "$SRC/f_other" "$SRC/f_target"                                # rename over it
rm "$SRC/l_sym"; ln -s else/where "$SRC/l_sym"
umount_block

sync_documented "planted names"
assert_outside_untouched "after the sync"
# What the sync could not apply is still owed: the journal or a repair.
converge "planted names"
assert_outside_untouched "after the repair"
for n in d_write d_del d_ren2 d_meta d_deep d_into f_write f_ws f_chmod f_touch f_xattr \
	f_trunc f_target; do
	[ -L "$REM/$n" ] && fail "$n is still a planted symlink on the remote"
done

# One planted name at a time, so each kind of operation meets its symlink
# (a sync stops at the first planted name it trips over). The remote entry
# is moved outside and replaced by a symlink to it: a followed link finds
# exactly the names the sync is about to touch.
# All trial sources are made in one go; btsootfs then stays mounted (as in
# normal use: the sync asks it to commit what it holds).
N=0
declare -a T_WHAT T_REL T_CHANGE T_REL_LINK
trial() { # WHAT REL SETUP CHANGE [relative]
	T_WHAT+=("$1"); T_REL+=("$2"); T_CHANGE+=("$4"); T_REL_LINK+=("${5:-}")
	(cd "$SRC" && eval "$3")
}
run_trial() { # I
	local what=${T_WHAT[$1]} rel=${T_REL[$1]}
	N=$((N + 1))
	mv "$REM/$rel" "$OUT/t$N"
	if [ -n "${T_REL_LINK[$1]}" ]; then
		ln -s "$(realpath -s --relative-to="$(dirname "$REM/$rel")" "$OUT/t$N")" "$REM/$rel"
	else
		ln -s "$OUT/t$N" "$REM/$rel"
	fi
	outside_manifest "$W/out.before"
	(cd "$SRC" && eval "${T_CHANGE[$1]}")
	sync_documented "$what"
	assert_outside_untouched "$what"
	converge "$what"
	assert_outside_untouched "$what, after the repair"
	[ "$(readlink "$REM/$rel")" = "$(readlink "$SRC/$rel")" ] ||
		fail "$what: $rel is still the planted symlink"
}
mount_block t
trial "create in a planted dir" s1 'mkdir s1; echo a > s1/a' 'echo c > s1/c'
trial "mkdir in a planted dir" s2 'mkdir s2' 'mkdir s2/new; echo n > s2/new/n'
trial "fifo in a planted dir" s3 'mkdir s3' 'mkfifo s3/fifo'
trial "in-place write in a planted dir" s4 'mkdir s4; head -c 1M /dev/urandom > s4/big' \
	'dd if=/dev/urandom of=s4/big bs=4k count=1 seek=100 conv=notrunc status=none'
trial "delete in a planted dir" s5 'mkdir s5; echo x > s5/x; echo y > s5/y' 'rm s5/x'
trial "delete a planted dir's tree" s6 'mkdir s6; echo g > s6/g' 'rm -r s6'
trial "rename a planted dir, then write" s7 'mkdir s7; echo r > s7/r1' \
	'mv s7 s7b; echo more >> s7b/r1; echo r2 > s7b/r2'
trial "metadata of a planted dir" s8 'mkdir s8' \
	'chmod 700 s8; chown 1234:1234 s8; setfattr -n user.k -v v s8; touch -d "2001-02-03 04:05:06" s8'
trial "a planted dir two levels up (relative link)" s9/a 'mkdir -p s9/a/b; echo f > s9/a/b/f' \
	'dd if=/dev/urandom of=s9/a/b/f bs=10 count=1 conv=notrunc status=none; echo n > s9/a/b/n' relative
trial "rename into a planted dir" s10 'mkdir s10; echo m > f10' 'mv f10 s10/f10'
trial "rename out of a planted dir" s11 'mkdir s11; echo m > s11/m' 'mv s11/m m11'
trial "in-place write to a planted file" g1 'head -c 1M /dev/urandom > g1' \
	'dd if=/dev/urandom of=g1 bs=4k count=1 seek=128 conv=notrunc status=none'
trial "append to a planted file" g2 'echo a > g2' 'echo more >> g2'
trial "delete a planted file" g3 'echo a > g3' 'rm g3'
trial "rename a planted file" g4 'echo a > g4' 'mv g4 g4b; echo more >> g4b'
trial "chmod a planted file" g5 'echo a > g5; chmod 644 g5' 'chmod 600 g5'
trial "chown a planted file" g6 'echo a > g6' 'chown 1234:1234 g6'
trial "touch a planted file" g7 'echo a > g7' 'touch -d "2002-03-04 05:06:07" g7'
trial "xattr on a planted file" g8 'echo a > g8' 'setfattr -n user.planted -v yes g8'
trial "truncate a planted file" g9 'head -c 5000 /dev/urandom > g9' 'truncate -s 10 g9'
trial "extend a planted file" g10 'echo a > g10' 'truncate -s 100000 g10'
trial "rename over a planted file" g11 'echo a > g11; echo b > g11o' 'mv g11o g11'
trial "hard link to a planted file" g12 'echo a > g12' 'ln g12 g12b; echo more >> g12'
trial "replace a planted symlink" l1 'ln -s a/b l1' 'rm l1; ln -s c/d l1'
trial "exchange with a planted dir" s12 'mkdir s12 s12o; echo a > s12/a; echo b > s12o/b' \
	'"$FSOPS" swap . s12 s12o'
trial "exchange with a planted file" g13 'echo a > g13; mkdir g13o; echo b > g13o/b' \
	'"$FSOPS" swap . g13 g13o; echo c > g13/c'
"$SYNC" -q t >> "$W/sync.log" 2>&1 || fail "sync of the trial sources"
for i in "${!T_WHAT[@]}"; do run_trial "$i"; done
umount_block

# Plant where the sync writes its own state: .btsoot/tmp (emptied at the
# start of every sync), .btsoot/trash, .btsoot/marker and .btsoot itself.
# These the sync must refuse (or repair); the outside stays untouched.
area_trial() { # REL TARGET WHAT
	mv "$REM/$1" "$W/saved.area"
	ln -s "$2" "$REM/$1"
	outside_manifest "$W/out.before"
	mount_block t
	echo "$3" > "$SRC/new.$3"
	rm -f "$SRC/f_ws"; mv "$SRC/f_ren2" "$SRC/f_ren.$3"
	dd if=/dev/urandom of="$SRC/f_write" bs=4k count=1 seek=7 conv=notrunc status=none
	umount_block
	sync_documented "$3 planted"
	assert_outside_untouched "$3 planted"
	"$VERIFY" -q --repair t >> "$W/sync.log" 2>&1
	assert_outside_untouched "$3 planted, verify --repair"
	# The operator removes the planted link and puts the real one back.
	if [ -L "$REM/$1" ]; then
		rm "$REM/$1"; rm -rf "${REM:?}/$1"; mv "$W/saved.area" "$REM/$1"
	else
		rm -rf "$W/saved.area"
	fi
	converge "$3 planted"
	assert_outside_untouched "$3 planted, after the repair"
	mount_block t # the same starting point for the next trial
	echo x > "$SRC/f_ws"; mv "$SRC/f_ren.$3" "$SRC/f_ren2"
	umount_block
	"$SYNC" -q t >> "$W/sync.log" 2>&1
}
area_trial .btsoot/tmp "$OUT/tmpdir" tmp
area_trial .btsoot/trash "$OUT/trashdir" trash
area_trial .btsoot/marker "$OUT/area/marker" marker
area_trial .btsoot "$OUT/area" area
finish
