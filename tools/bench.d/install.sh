#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# What tools/bench needs, from Debian's packages; nothing when all is there.
set -eu
"$(dirname "$0")/../install-deps.sh"
PKGS="bindfs rsync rclone b3sum xxhash sshfs openssh-server openssh-client \
iproute2 git time tar util-linux procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing:$missing" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
