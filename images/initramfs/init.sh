#!/bin/busybox sh
# PID 1 of bootgate's initramfs userland. Mirrors a real boot order: kernel drivers,
# then the persistent root state, then boot-start agents (modules-load.d), then network
# and sshd, then the ready marker the harness waits for on the serial console.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /run /tmp /var/log
mount -t devpts devpts /dev/pts
# As systemd does: eBPF agents pin objects in bpffs and attach through tracefs.
mkdir -p /sys/fs/bpf /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo "bootgate-phase init uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console

REL=$(uname -r)
while read -r m; do
  [ -n "$m" ] && insmod "/lib/modules/$REL/$m" 2>/dev/null
done < /lib/modules/$REL/bootgate.load

# The state disk: what an agent installs lives here, across reboots, like a root fs.
mkdir -p /persist
if mount -t ext4 /dev/vda /persist 2>/dev/null; then
  for d in lib/modules/$REL/extra etc/modules-load.d etc/modprobe.d etc/bootgate var/lib opt; do
    mkdir -p "/persist/$d" "/$d"
    mount --bind "/persist/$d" "/$d"
  done
else
  echo "bootgate-warning no state disk" > /dev/console
fi

# Boot-start agents: like systemd-modules-load, before network and sshd.
depmod -a 2>/dev/null
for conf in /etc/modules-load.d/*.conf; do
  [ -f "$conf" ] || continue
  grep -v '^[#;]' "$conf" | while read -r mod; do
    [ -n "$mod" ] || continue
    echo "bootgate-phase agent-load module=$mod uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
    modprobe "$mod" || echo "bootgate-agent-load-failed module=$mod" > /dev/console
  done
done
for s in /etc/bootgate/boot.d/*; do [ -x "$s" ] && "$s" > /dev/console 2>&1; done

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# The lab's public key arrives on the kernel command line (bootgate.authkey=<base64 ed25519>).
mkdir -p /root/.ssh
for w in $(cat /proc/cmdline); do
  case "$w" in bootgate.authkey=*) echo "ssh-ed25519 ${w#bootgate.authkey=} bootgate-lab" > /root/.ssh/authorized_keys ;; esac
done
chmod 700 /root/.ssh; chmod 600 /root/.ssh/authorized_keys 2>/dev/null
dropbear -s -p 22 -r /etc/dropbear/dropbear_ed25519_host_key

echo "bootgate-ready boot_id=$(cat /proc/sys/kernel/random/boot_id) uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
while true; do sleep 3600; done
