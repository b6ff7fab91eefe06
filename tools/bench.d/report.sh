# SPDX-License-Identifier: BSD-3-Clause
# The markdown report: machine, date, command, the tables in order.
machine_md() {
	local cpu fs
	cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
	fs=$(findmnt -n -o FSTYPE,SOURCE -T "$W" | tr -s ' ')
	cat <<EOT
| | |
|---|---|
| CPU | ${cpu:-unknown} |
| cores | $(nproc) online ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core) |
| RAM | $(free -g | awk '/^Mem:/ { print $2 }') GiB |
| kernel | $(uname -r) |
| temp dir | $W on ${fs} |
| btsoot | ${BUILT_COMMIT:-unknown}, release build |
| tools | $(rsync --version | head -1 | awk '{ print "rsync", $3 }'), $(rclone version 2>/dev/null | head -1), $(bindfs --version 2>/dev/null | head -1), $(sshfs --version 2>&1 | head -1), $(xxhsum --version 2>&1 | head -1 | awk '{ print $1, $2, $3 }'), $(b3sum --version) |
| open files limit | $(ulimit -Hn) hard (fs.nr_open $(cat /proc/sys/fs/nr_open)); CAP_SYS_RESOURCE $( (( (0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24) & 1 )) && echo yes || echo "no (the limit cannot be raised)") |
| load at start | $(cut -d' ' -f1-3 /proc/loadavg) |
EOT
}

write_report() { # FILE
	mkdir -p "$(dirname "$1")"
	{
		echo "# btsoot benchmarks"
		echo
		echo "Produced by \`tools/bench\` (issue 5). Measured $START to $(date -u '+%H:%M UTC'),"
		echo "$ROUNDS rounds per figure, medians$([ "$QUICK" = 1 ] && echo ", **quick mode (small sizes)**")."
		echo
		echo "    sudo $CMDLINE"
		echo
		echo "## Machine"
		echo
		machine_md
		echo
		echo "## Results"
		cat "$MD"
	} > "$1"
}
