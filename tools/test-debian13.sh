#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the README's test command (tools/test.sh, arguments passed on to it)
# inside a Debian 13 (trixie) minbase tree, as root on a Debian host with
# /dev/fuse. The tree is made by debootstrap from the mirror the host's apt
# sources name (BTSOOT_CI_MIRROR overrides), kept in
# /var/cache/btsoot-ci/trixie (BTSOOT_CI_CACHE overrides the directory) with
# a stamp, and made again when it is missing, broken, made by another recipe
# or older than BTSOOT_CI_MAX_DAYS (30) days. tools/install-deps.sh installs
# the packages inside it (kept there for the next run).
#
# For the run: the tree itself is bind-mounted on itself and made private (no
# mount made under it reaches the host's mounts), /dev, /dev/pts and /sys are
# bound in, /proc is mounted, /dev/shm and /tmp are fresh (/tmp a directory
# on disk beside the tree, removed after the run), and this source tree is
# bound at /btsoot; the build goes to build-debian13/ in it. On exit, error,
# Ctrl-C or SIGTERM the processes running inside the tree are stopped and
# every mount under it is undone, deepest first.
#
# Only some tests: name them, they go to `meson test` (through tools/test.sh):
#   tools/test-debian13.sh it_passthrough_reads_skip_the_daemon_and_mixed_opens_keep_the_journal
# Something else in the tree (a benchmark, a shell): BTSOOT_CI_RUN holds a
# shell command run in /btsoot instead of tools/test.sh (BUILD is still
# build-debian13; tools/install-deps.sh is the command's to call):
#   BTSOOT_CI_RUN='tools/install-deps.sh && meson setup build-debian13 &&
#     ninja -C build-debian13 && tools/benchprogs/...' tools/test-debian13.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd -P)
RELEASE=trixie
RECIPE=1	# bump when the tree's setup below changes: forces a new tree
CACHE=${BTSOOT_CI_CACHE:-/var/cache/btsoot-ci}
MAX_DAYS=${BTSOOT_CI_MAX_DAYS:-30}
ROOT=$CACHE/$RELEASE
STAMP=$ROOT/.btsoot-ci-stamp
say() { echo "test-debian13: $*" >&2; }
die() { say "$*"; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (it uses chroot and mounts)"
[ -c /dev/fuse ] || die "/dev/fuse is missing: the integration tests mount btsootfs"
case $CACHE in
/*[!/]*) ;;
*) die "BTSOOT_CI_CACHE must be an absolute directory, not '$CACHE'" ;;
esac
case $CACHE$SRC in
*[[:space:]\\]*) die "no blanks or backslashes in $CACHE or $SRC (mount table paths)" ;;
esac

# The Debian archive the host's apt uses: the first deb source whose suites
# hold the host's own codename (deb822 .sources or one-line .list files).
host_mirror() {
	local codename f
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$codename" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
				    (" " suites " ") ~ (" " want " ") && uri != "")
					{ print uri; found = 1; exit }
				types = suites = uri = enabled = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { if (!found) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/\[[^]]*\]//' "$f" |
			awk -v want="$codename" '$1 == "deb" && $3 == want { print $2 }'
	done
}
MIRROR=${BTSOOT_CI_MIRROR:-$(host_mirror | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

mkdir -p "$CACHE"
chmod 755 "$CACHE"
# One run per tree at a time (a second one waits).
exec 9>"$CACHE/$RELEASE.lock"
if ! flock -n 9; then
	say "another run uses $ROOT; waiting for it"
	flock 9
fi

# Mount points at or under $1, deepest first (reverse order of mounting).
mounts_under() {
	awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' \
		/proc/self/mountinfo | tac
}

# Stops what runs inside the tree, found by its root directory: only
# processes chrooted there (by this run, or by one killed with -9: the lock
# says no other run is using the tree).
stop_tree_processes() {
	local pid pids i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids=""
		for pid in /proc/[0-9]*; do
			[ "$(readlink "$pid/root" 2>/dev/null)" = "$ROOT" ] &&
				pids="$pids ${pid#/proc/}"
		done
		[ -n "$pids" ] || break
		if [ "$i" -eq 1 ]; then
			say "stopping what still runs in the tree:$pids"
			kill -TERM $pids 2>/dev/null
		elif [ "$i" -eq 6 ]; then
			kill -KILL $pids 2>/dev/null
		fi
		sleep 1
	done
}

# Stops what runs inside the tree, then undoes every mount under it.
RUN=""
CHILD=""
cleanup() {
	local rc=$? m
	trap - EXIT INT TERM HUP
	set +e
	stop_tree_processes
	[ -z "$CHILD" ] || wait "$CHILD" 2>/dev/null
	for m in $(mounts_under "$ROOT"); do
		umount "$m" 2>/dev/null || umount -l "$m" ||
			say "could not unmount $m"
	done
	if [ -n "$(mounts_under "$ROOT")" ]; then
		say "still mounted under $ROOT:" $(mounts_under "$ROOT")
		[ "$rc" -ne 0 ] || rc=1
	elif [ -n "$RUN" ]; then
		rm -rf --one-file-system "$RUN"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Leftovers of a run that could not clean up (killed with -9).
stop_tree_processes
for m in $(mounts_under "$ROOT"); do
	umount -l "$m" || die "cannot unmount $m, left by an earlier run"
done
for d in "$CACHE"/run.*; do
	[ ! -d "$d" ] || [ -n "$(mounts_under "$d")" ] || rm -rf --one-file-system "$d"
done

tree_ok() {
	[ -f "$STAMP" ] && [ -x "$ROOT/usr/bin/apt-get" ] || return 1
	grep -qx "release=$RELEASE recipe=$RECIPE" "$STAMP" || return 1
	[ -z "$(find "$STAMP" -mtime "+$MAX_DAYS")" ] || return 1
	grep -qx "VERSION_CODENAME=$RELEASE" "$ROOT/etc/os-release" || return 1
	chroot "$ROOT" /usr/bin/dpkg-query -W -f='${Status}\n' dpkg apt \
		2>/dev/null | grep -c " ok installed" | grep -qx 2
}

T0=$(date +%s)
if ! tree_ok; then
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	NEW=$ROOT.new
	for d in "$NEW" "$ROOT"; do
		[ -z "$(mounts_under "$d")" ] || die "something is mounted under $d"
	done
	say "making a $RELEASE minbase tree in $ROOT from $MIRROR"
	rm -rf --one-file-system "$NEW"
	if ! debootstrap --variant=minbase "$RELEASE" "$NEW" "$MIRROR" \
		>"$CACHE/$RELEASE.debootstrap.log" 2>&1; then
		tail -n 20 "$CACHE/$RELEASE.debootstrap.log" >&2
		die "debootstrap failed (log: $CACHE/$RELEASE.debootstrap.log)"
	fi
	# No service starts inside the tree (openssh-server's postinst would
	# start an sshd on the host's port 22); fusermount3 reads /etc/mtab.
	printf '#!/bin/sh\nexit 101\n' >"$NEW/usr/sbin/policy-rc.d"
	chmod 755 "$NEW/usr/sbin/policy-rc.d"
	ln -sfn ../proc/self/mounts "$NEW/etc/mtab"
	echo "release=$RELEASE recipe=$RECIPE" >"$NEW/.btsoot-ci-stamp"
	echo "mirror=$MIRROR made=$(date -u +%FT%TZ)" >>"$NEW/.btsoot-ci-stamp"
	rm -rf --one-file-system "$ROOT"
	mv "$NEW" "$ROOT"
	say "tree made in $(($(date +%s) - T0)) s"
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
chmod 755 "$RUN"
mkdir -m 1777 "$RUN/tmp"
mkdir -p "$ROOT/btsoot"
mount --bind "$ROOT" "$ROOT"
mount --make-private "$ROOT"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$ROOT/dev/shm"
mount -t proc proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
mount --bind "$RUN/tmp" "$ROOT/tmp"
mount --bind "$SRC" "$ROOT/btsoot"

# Job control on while starting it: an asynchronous command would otherwise
# start with SIGINT and SIGQUIT ignored (and libfuse installs no handler
# for an ignored signal). Waiting in `wait` lets the traps run at once.
T1=$(date +%s)
set -m
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	TERM="${TERM:-dumb}" BUILD=build-debian13 \
	BTSOOT_CI_RUN="${BTSOOT_CI_RUN:-}" \
	chroot "$ROOT" /bin/sh -c 'cd /btsoot &&
		if [ -n "$BTSOOT_CI_RUN" ]; then exec /bin/sh -c "$BTSOOT_CI_RUN"; fi
		exec tools/test.sh "$@"' \
	test.sh "$@" </dev/null 9>&- &
CHILD=$!
set +m
rc=0
wait "$CHILD" || rc=$?
CHILD=""
say "Debian 13 ($(cat "$ROOT/etc/debian_version")): exit $rc," \
	"$(($(date +%s) - T1)) s in the tree, $(($(date +%s) - T0)) s in all"
exit "$rc"
