# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the sshfs test and tools/bench: ssh_pair DIR HOST ADDR [PORT]
# writes into DIR (made 0700) a host key and a client key, an sshd_config
# that listens on ADDR[:PORT] for root with that key only (SFTP in-process,
# no PAM), and an ssh_config naming it HOST. Start the server with
# `/usr/sbin/sshd -D -e -f DIR/sshd_config`, reach it with `ssh -F
# DIR/ssh_config HOST` (or sshfs -F).
ssh_pair() {
	local d=$1 host=$2 addr=$3 port=${4:-}
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id"
	cp "$d/id.pub" "$d/authorized_keys"
	cat > "$d/sshd_config" <<-EOT
		ListenAddress $addr${port:+:$port}
		HostKey $d/host_key
		PidFile $d/sshd.pid
		AuthorizedKeysFile $d/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		Subsystem sftp internal-sftp
		LogLevel ERROR
	EOT
	cat > "$d/ssh_config" <<-EOT
		Host $host
		  HostName $addr
		  ${port:+Port $port}
		  User root
		  IdentityFile $d/id
		  IdentitiesOnly yes
		  StrictHostKeyChecking no
		  UserKnownHostsFile /dev/null
		  BatchMode yes
		  LogLevel ERROR
	EOT
}
