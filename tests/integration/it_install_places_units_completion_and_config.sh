#!/bin/bash
# Proves: `meson install --destdir` puts in place the four programs, the
# five man pages, the systemd units btsoot-sync@ and btsoot-verify@
# (service + timer), the bash completion (for all four programs) and the
# examples (a block config, a .mount unit); every unit renders clean with
# `systemd-analyze verify` (an unknown key, a bad setting or an ExecStart
# that is not the installed program fails it), and so do the .mount example
# (installed and in the README) and the .mount unit systemd's fstab
# generator makes of the README's fstab line, which orders btsootfs after
# the journal's filesystem; the example config loads as a block; the sync service's own
# command (ExecStart, instance t) syncs block t; the completion parses with
# `bash -n`, is registered for each program and completes subcommands,
# options, block names (from `btsoot list`, honouring --config-dir and
# -o config_dir=) and paths in a block's remote.
# Exits 77 (skipped) only if systemd-analyze is there but cannot verify even
# a trivial unit in this container, and everything else passed.
. "$(dirname "$0")/lib.sh"
setup
DEST="$W/dest"

# --- meson install into a temp root
MESON=${MESON:-meson}
"$MESON" install -C "$B" --no-rebuild --quiet --destdir "$DEST" > "$W/install.log" 2>&1
rc=$?
assert_eq 0 "$rc" "meson install --destdir exits 0"
[ $rc -eq 0 ] || tail -20 "$W/install.log"

# The one installed file called NAME under DEST whose path ends in WHERE/NAME.
installed() { # WHERE NAME
	find "$DEST" -path "*/$1/$2" \( -type f -o -type l \) | head -2
}
assert_installed() { # WHERE NAME [-x]
	local got
	got=$(installed "$1" "$2")
	if [ -z "$got" ]; then
		fail "$1/$2 is installed (not found under the destdir)"
	elif [ "$(echo "$got" | wc -l)" -ne 1 ]; then
		fail "$1/$2 is installed once, not: $got"
	elif [ "${3:-}" = -x ] && [ ! -x "$got" ]; then
		fail "$1/$2 is installed executable"
	else
		pass "installed: ${got#"$DEST"}"
	fi
}
assert_installed bin btsoot -x
for p in btsootfs btsoot-sync btsoot-verify; do assert_installed sbin "$p" -x; done
assert_installed man1 btsoot.1
assert_installed man5 btsoot.conf.5
for m in btsootfs.8 btsoot-sync.8 btsoot-verify.8; do assert_installed man8 "$m"; done
for u in btsoot-sync@.service btsoot-sync@.timer btsoot-verify@.service btsoot-verify@.timer; do
	assert_installed lib/systemd/system "$u"
done
for c in btsoot btsoot-sync btsoot-verify btsootfs; do
	assert_installed bash-completion/completions "$c"
done
assert_installed doc/btsoot/examples btsoot.conf.example
assert_installed doc/btsoot/examples data-media.mount
UNITDIR=$(dirname "$(installed lib/systemd/system btsoot-sync@.service)")
COMPFILE=$(installed bash-completion/completions btsoot)
EXAMPLES=$(dirname "$(installed doc/btsoot/examples btsoot.conf.example)")
BIN=$(dirname "$(installed bin btsoot)")

# --- units. Each ExecStart names an installed program by its final path;
# the rendered copies point into the destdir, so that systemd-analyze
# checks the program is there and executable.
for s in btsoot-sync btsoot-verify; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$UNITDIR/$s@.service")
	[ -n "$exe" ] && [ "${exe##*/}" = "$s" ] && [ -x "$DEST$exe" ] &&
		pass "$s@.service runs the installed $exe" ||
		fail "$s@.service's ExecStart '$exe' is not the installed $s"
done
grep -q '^ExecStart=.*btsoot-sync -q %i$' "$UNITDIR/btsoot-sync@.service" &&
	pass "the sync service runs btsoot-sync -q <instance>" ||
	fail "the sync service's ExecStart: $(grep ExecStart "$UNITDIR/btsoot-sync@.service")"
grep -q '^Type=oneshot' "$UNITDIR/btsoot-sync@.service" &&
	grep -q '^Type=oneshot' "$UNITDIR/btsoot-verify@.service" &&
	pass "both services are oneshot" || fail "a service is not Type=oneshot"
grep -q '^OnCalendar=weekly' "$UNITDIR/btsoot-verify@.timer" &&
	grep -q '^RandomizedDelaySec=' "$UNITDIR/btsoot-verify@.timer" &&
	pass "the verify timer is weekly with a randomized delay" ||
	fail "the verify timer: $(grep -E '^(OnCalendar|RandomizedDelaySec)' "$UNITDIR/btsoot-verify@.timer")"
# A filesystem sandbox would hide an arbitrary remote path (or /tmp) from
# the sync, and RestrictSUIDSGID/PrivateDevices would fail a mirror of
# setuid files and device nodes.
bad=$(grep -hE '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|RestrictSUIDSGID|CapabilityBoundingSet|ReadOnlyPaths|InaccessiblePaths)=' \
	"$UNITDIR"/btsoot-*@.service)
assert_eq "" "$bad" "the services keep every path writable and every file type mirrorable"

mkdir -p "$W/units"
for f in "$UNITDIR"/btsoot-*; do
	sed "s|^ExecStart=/|ExecStart=$DEST/|" "$f" > "$W/units/${f##*/}"
done
# The installed .mount example, for a mount point of this test.
MOUNT_UNIT=$(systemd-escape -p --suffix=mount "$SRC" 2>/dev/null)
sed "s|/data/media|$SRC|g" "$EXAMPLES/data-media.mount" > "$W/units/$MOUNT_UNIT"
# The README's copy of it (the indented block from "[Unit]" to the next
# blank line), in a directory of its own.
mkdir -p "$W/readme-unit"
sed -n '/^    \[Unit\]$/,/^$/p' "$BT_SRCDIR/README.md" | sed 's/^    //' |
	sed "s|/data/media|$SRC|g" > "$W/readme-unit/$MOUNT_UNIT"
grep -q '^Type=fuse.btsootfs$' "$W/readme-unit/$MOUNT_UNIT" &&
	pass "the README shows a .mount unit for btsootfs" ||
	fail "no .mount unit for btsootfs in README.md"
# The README's fstab line, through systemd's own fstab generator.
FSTAB_LINE=$(sed -n 's/^    \(\/data\/media \/data\/media fuse\.btsootfs .*\)$/\1/p' "$BT_SRCDIR/README.md" |
	grep x-systemd | head -1)
[ -n "$FSTAB_LINE" ] && pass "the README has an fstab line with x-systemd options" ||
	fail "no fstab line with x-systemd options in README.md"
echo "$FSTAB_LINE" | sed "s|/data/media|$SRC|g" > "$W/fstab"
mkdir -p "$W/gen"
GEN=""
for g in /lib/systemd/system-generators/systemd-fstab-generator \
	 /usr/lib/systemd/system-generators/systemd-fstab-generator; do
	[ -x "$g" ] && { GEN=$g; break; }
done

ANALYZE_OK=1
if ! command -v systemd-analyze >/dev/null; then
	fail "systemd-analyze is missing: install the systemd package (tools/install-deps.sh)"
	ANALYZE_OK=0
else
	# Can it run here at all? A trivial unit must verify clean.
	mkdir -p "$W/probe"
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$W/probe/bt-probe.service"
	if ! (cd "$W/probe" && systemd-analyze verify --man=no ./bt-probe.service) > "$W/probe.out" 2>&1; then
		echo "systemd-analyze cannot verify a trivial unit here: $(head -3 "$W/probe.out")"
		ANALYZE_OK=0
	fi
fi
verify_units() { # WHAT DIR UNIT...
	local what=$1 dir=$2 out rc
	shift 2
	out=$(cd "$dir" && systemd-analyze verify --man=no "$@" 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		pass "systemd-analyze verify: $what renders clean"
	else
		fail "systemd-analyze verify: $what (exit $rc): $out"
	fi
}
if [ $ANALYZE_OK -eq 1 ]; then
	verify_units "btsoot-sync@t.service" "$W/units" ./btsoot-sync@t.service
	verify_units "btsoot-sync@t.timer" "$W/units" ./btsoot-sync@t.timer
	verify_units "btsoot-verify@t.service" "$W/units" ./btsoot-verify@t.service
	verify_units "btsoot-verify@t.timer" "$W/units" ./btsoot-verify@t.timer
	verify_units "the example .mount unit (as $MOUNT_UNIT)" "$W/units" "./$MOUNT_UNIT"
	verify_units "the README's .mount unit" "$W/readme-unit" "./$MOUNT_UNIT"
	# The check can fail: a misspelt key is reported.
	sed 's/^Nice=/Nicce=/' "$W/units/btsoot-sync@.service" > "$W/probe/bt-bad@.service"
	out=$(cd "$W/probe" && systemd-analyze verify --man=no ./bt-bad@t.service 2>&1)
	echo "$out" | grep -q "Nicce" && pass "systemd-analyze verify reports a misspelt key" ||
		fail "systemd-analyze verify did not report a misspelt key: $out"
	if [ -z "$GEN" ]; then
		fail "systemd-fstab-generator not found"
	else
		SYSTEMD_FSTAB="$W/fstab" SYSTEMD_PROC_CMDLINE="" "$GEN" "$W/gen" "$W/gen" "$W/gen" \
			> "$W/gen.out" 2>&1 || fail "systemd-fstab-generator: $(head -3 "$W/gen.out")"
		if [ -f "$W/gen/$MOUNT_UNIT" ]; then
			grep -q '^RequiresMountsFor=.*/var/lib/btsoot' "$W/gen/$MOUNT_UNIT" &&
				grep -q '^Type=fuse.btsootfs' "$W/gen/$MOUNT_UNIT" &&
				pass "the README's fstab line becomes a btsootfs mount that requires the journal's filesystem" ||
				fail "the generated mount unit: $(cat "$W/gen/$MOUNT_UNIT")"
			verify_units "the README's fstab line (generated $MOUNT_UNIT)" "$W/gen" "./$MOUNT_UNIT"
		else
			fail "the fstab generator made no $MOUNT_UNIT of: $(cat "$W/fstab")"
		fi
	fi
fi

# --- the example config is a block file btsoot reads (every key known,
# every value valid).
mkdir -p "$W/exconf/blocks"
cp "$EXAMPLES/btsoot.conf.example" "$W/exconf/blocks/media.conf"
out=$("$BIN/btsoot" --config-dir "$W/exconf" list 2>&1)
assert_eq "$(printf 'media\t/data/media\t/mnt/nas/media')" "$out" \
	"the example config loads as block media"

# --- the sync service's command, as systemd would run it for instance t.
mkdir -p "$SRC/photos/2019"
echo "a photo" > "$SRC/photos/2019/p1.jpg"
"$BIN/btsoot" add t "$SRC" "$REM" >/dev/null || fail "btsoot add t"
cmd=$(sed -n 's/^ExecStart=//p' "$UNITDIR/btsoot-sync@.service" | sed "s/%i/t/g; s|^/|$DEST/|")
$cmd > "$W/svc.out" 2>&1; rc=$?
assert_eq 0 "$rc" "the sync service's command ($cmd) exits 0"
[ -f "$REM/photos/2019/p1.jpg" ] && pass "... and synced block t" ||
	fail "the service's command did not sync: $(cat "$W/svc.out")"

# --- bash completion
bash -n "$COMPFILE" && pass "the completion parses (bash -n)" || fail "bash -n $COMPFILE"
mkdir -p "$W/other/blocks" "$W/osrc" "$W/orem"
"$BIN/btsoot" add media2 "$W/osrc" "$W/orem" >/dev/null || fail "btsoot add media2"
printf 'source = %s\nremote = %s\n' "$W/osrc" "$W/orem2" > "$W/other/blocks/elsewhere.conf"
# The candidates bash would offer for the last word of the line WORD...,
# one per line, sorted: the function registered with `complete` for the
# command, called as bash calls it, in an interactive-like shell whose
# PATH finds the installed btsoot.
complete_line() { # WORD...
	PATH="$BIN:$PATH" bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "${COMP_WORDS[0]##*/}" 2>/dev/null | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion registered for ${COMP_WORDS[0]}"; exit 1; }
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$COMPFILE" "$@"
}
assert_completes() { # WANT(space separated) WORD...
	local want=$1 got
	shift
	got=$(complete_line "$@" | tr '\n' ' ' | sed 's/ $//')
	assert_eq "$want" "$got" "completion of '$*'"
}
assert_completes "media2 t" btsoot status ""
assert_completes "media2" btsoot remove m
assert_completes "t" btsoot restore t
assert_completes "elsewhere" btsoot --config-dir "$W/other" init-remote ""
assert_completes "elsewhere" btsoot --config-dir = "$W/other" status ""
assert_completes "media2 t" btsoot-sync ""
assert_completes "media2" btsoot-sync -q -v m
assert_completes "" btsoot-sync t ""
assert_completes "--dry-run" btsoot-sync --dr
assert_completes "media2 t" btsoot-verify -j 2 ""
assert_completes "--repair" btsoot-verify --rep
assert_completes "init-remote" btsoot in
assert_completes "add check init-remote list remove restore status" btsoot --state-dir /x ""
assert_completes "media2 t" btsoot check ""
assert_completes "--json" btsoot check t --j
assert_completes "--json --prometheus" btsoot status --
assert_completes "--json" btsoot-verify --js
assert_completes "--in-place" btsoot restore t --in
assert_completes "photos/" btsoot restore t ""
assert_completes "photos/2019/" btsoot restore t photos/2
assert_completes "media2 t" btsootfs "$SRC" "$SRC" -o block = ""
assert_completes "elsewhere" btsootfs "$SRC" "$SRC" -o config_dir = "$W/other,block" = ""
assert_completes "$SRC" btsootfs "$SRC" ""
assert_completes "allow_other,block=" btsootfs "$SRC" "$SRC" -o allow_other,bl

if [ $ANALYZE_OK -eq 0 ] && [ "$FAILED" -eq 0 ]; then
	echo "SKIP: systemd-analyze cannot run in this container (all else passed: $PASSED checks)"
	exit 77
fi
finish
