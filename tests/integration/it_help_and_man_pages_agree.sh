#!/bin/bash
# Proves: every option each program's --help names (long and short, the
# -o options of btsootfs, and the options in each `btsoot CMD --help`) is
# in that program's man page, and BTSOOT_DEBUG is documented for sync and
# verify; every page in docs/ renders with `man --warnings -l` without a
# warning (a broken page is shown to produce one, so the check can fail).
# Needs man-db and groff-base (tools/install-deps.sh installs them).
. "$(dirname "$0")/lib.sh"
setup
command -v man >/dev/null && command -v groff >/dev/null ||
	{ echo "FAIL: man or groff is missing (tools/install-deps.sh installs man-db, groff-base)"; exit 1; }
DOCS="$BT_SRCDIR/docs"

# The page as plain ASCII text on one line (no hyphenation, no line breaks
# inside an option name).
page_text() { # FILE
	LC_ALL=C MANWIDTH=1000 man --nh --nj -l "$1" 2>/dev/null | col -b | tr '\n' ' '
}

# The options a help text names: --long, -s, and btsootfs's "-o name=".
help_options() { # < HELP
	local h; h=$(cat)
	{
		grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' <<<"$h" | sed 's/^[^-]//'
		grep -oE -- '(^|[][ |(,])-[a-zA-Z]([^a-zA-Z0-9-]|$)' <<<"$h" |
			sed -E 's/^[^-]*(-[a-zA-Z]).*/\1/'
		grep -oE -- '-o [a-z_]+' <<<"$h" | sed 's/^-o //'
	} | sort -u
}

in_page() { # TEXT OPTION
	case $2 in
	-*) grep -qE -- "(^|[^a-zA-Z0-9-])$2([^a-zA-Z0-9-]|$)" <<<"$1";;
	*) grep -qE -- "(^|[^a-zA-Z0-9_])$2([^a-zA-Z0-9_]|$)" <<<"$1";;
	esac
}

check_program() { # PAGE WHAT HELP-CMD... (NO_OPTIONS=1: a help that names none)
	local page=$1 what=$2 text opts missing=""; shift 2
	text=$(page_text "$DOCS/$page")
	opts=$("$@" 2>&1 | help_options)
	if [ -z "$opts" ]; then
		[ -n "${NO_OPTIONS:-}" ] && pass "$what names no options" ||
			fail "$what: no options found in its --help"
		return
	fi
	for o in $opts; do in_page "$text" "$o" || missing="$missing $o"; done
	[ -z "$missing" ] && pass "$what: all $(echo $opts | wc -w) options of its help are in $page" ||
		fail "$what: options in its help but not in $page:$missing"
}

check_program btsoot-sync.8 "btsoot-sync --help" "$SYNC" --help
check_program btsoot-verify.8 "btsoot-verify --help" "$VERIFY" --help
check_program btsootfs.8 "btsootfs --help" "$BTSOOTFS" --help
check_program btsoot.1 "btsoot --help" "$BTSOOT" --help
for cmd in add remove init-remote restore status check; do
	check_program btsoot.1 "btsoot $cmd --help" "$BTSOOT" "$cmd" --help
done
for cmd in list; do
	NO_OPTIONS=1 check_program btsoot.1 "btsoot $cmd --help" "$BTSOOT" "$cmd" --help
done
for page in btsoot-sync.8 btsoot-verify.8; do
	in_page "$(page_text "$DOCS/$page")" BTSOOT_DEBUG && pass "$page documents BTSOOT_DEBUG" ||
		fail "$page does not document BTSOOT_DEBUG"
done
# The extraction itself finds what it must (else the checks above prove nothing).
got=$(printf 'usage: x [-j|--jobs N] [-q] --dry-run\n  -o block=NAME  -f  stay\n' | help_options | tr '\n' ' ')
assert_eq "--dry-run --jobs -f -j -o -q block " "$got" "the option extraction finds long, short and -o options"
in_page "$(page_text "$DOCS/btsoot-sync.8")" --not-an-option && fail "in_page finds what is not there" ||
	pass "an option missing from a page is found missing"
in_page "$(page_text "$DOCS/btsoot-sync.8")" --dry && fail "in_page takes a prefix (--dry) for --dry-run" ||
	pass "in_page matches whole option names only"

for f in "$DOCS"/*.[1-8]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	[ -z "$w" ] && pass "man --warnings -l $(basename "$f") renders clean" ||
		fail "$(basename "$f") renders with warnings: $w"
done
printf '.TH BROKEN 1\n.SH NAME\nbroken \\- x\n.BOGUSMACRO y\n\\fZ\n' > "$W/broken.1"
w=$(LC_ALL=C.UTF-8 man --warnings -l "$W/broken.1" 2>&1 >/dev/null)
[ -n "$w" ] && pass "a broken page does produce warnings (the check above can fail)" ||
	fail "man --warnings printed nothing for a broken page"
finish
