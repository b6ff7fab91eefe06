#!/bin/sh
# Installs what btsoot needs to build and test, from Debian's packages only.
# Does nothing (and needs no network) when everything is already there.
# man-db, groff-base and bsdextrautils (col): it_help_and_man_pages_agree
# renders the man pages; bsdutils (script): a test runs a sync on a terminal;
# jq: the tests parse every --json output and check its values.
set -eu
# systemd: only its systemd-analyze and fstab generator, which check the
# units the tests install (it need not be the init system).
PKGS="build-essential meson ninja-build pkg-config libfuse3-dev fuse3 \
libxxhash-dev xxhash libsqlite3-dev sqlite3 libcmocka-dev attr acl \
util-linux psmisc git rsync openssh-server openssh-client sshfs \
man-db groff-base bsdextrautils bsdutils systemd jq"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
