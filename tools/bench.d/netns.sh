# SPDX-License-Identifier: BSD-3-Clause
# A shaped "remote machine": a network namespace joined to this one by a
# veth pair, a token bucket (tc tbf, 100 Mbit/s) on both ends (the kernel
# has no netem, so no added latency), and an sshd inside the namespace on the
# veth address: generated host and client keys, root login by key only,
# everything configured in $W/ssh. It serves this machine's own filesystem,
# so a remote directory can be seeded locally without crossing the link.
# net_up starts it; net_down (also called by bench_cleanup) removes it.

source "$HERE/ssh-pair.sh"

net_up() {
	local o=$(($$ % 250 + 1)) s="$W/ssh"
	NET_NS="btsb$$" NET_VH="btsb$$h" NET_VN="btsb$$n"
	NET_HOST_IP="10.237.$o.1" NET_PEER_IP="10.237.$o.2"
	ip netns add "$NET_NS"
	ip link add "$NET_VH" type veth peer name "$NET_VN"
	ip link set "$NET_VN" netns "$NET_NS"
	ip addr add "$NET_HOST_IP/30" dev "$NET_VH"
	ip link set "$NET_VH" up
	ip -n "$NET_NS" addr add "$NET_PEER_IP/30" dev "$NET_VN"
	ip -n "$NET_NS" link set "$NET_VN" up
	ip -n "$NET_NS" link set lo up
	tc qdisc add dev "$NET_VH" root tbf rate 100mbit burst 128kb latency 20ms
	tc -n "$NET_NS" qdisc add dev "$NET_VN" root tbf rate 100mbit burst 128kb latency 20ms

	ssh_pair "$s" bench-remote "$NET_PEER_IP"
	SSH_CFG="$s/ssh_config"
	ip netns exec "$NET_NS" /usr/sbin/sshd -D -e -f "$s/sshd_config" 2>>"$W/sshd.log" &
	NET_SSHD_PID=$!
	note_pid "$NET_SSHD_PID"
	for _ in $(seq 100); do
		ssh -F "$SSH_CFG" bench-remote true 2>/dev/null && return 0
		sleep 0.1
	done
	log "sshd in namespace $NET_NS does not answer:"; cat "$W/sshd.log" >&2
	return 1
}

net_down() {
	[ -n "${NET_SSHD_PID:-}" ] && kill "$NET_SSHD_PID" 2>/dev/null
	ip netns del "$NET_NS" 2>/dev/null # takes the veth pair with it
	ip link del "$NET_VH" 2>/dev/null
	NET_NS=""
}

# Bytes through the host end: tx = towards the remote, rx = back from it.
net_bytes() { echo "$(cat "/sys/class/net/$NET_VH/statistics/tx_bytes") $(cat "/sys/class/net/$NET_VH/statistics/rx_bytes")"; }

mount_sshfs() { # REMOTE_DIR MOUNTPOINT; sets SSHFS_PID
	mkdir -p "$2"
	sshfs -f -F "$SSH_CFG" "bench-remote:$1" "$2" 2>>"$W/sshfs.log" &
	SSHFS_PID=$!; note_pid "$SSHFS_PID"; note_mount "$2"
	wait_mounted "$2" "$SSHFS_PID"
}
