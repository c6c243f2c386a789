#!/bin/sh
# bootgate's disk userland, last step of the build: run on the build host as mmdebstrap's
# customize hook, with $1 the guest's root directory (its /proc, /sys and /dev mounted).
# Turns a minimal Debian into a machine that boots fast under TCG, takes the lab's key from
# the kernel command line, runs OpenSSH and prints the ready marker on ttyS0.
set -eu
ROOT=$1
HERE=$(dirname "$(readlink -f "$0")")
HOSTNAME=${BOOTGATE_HOSTNAME:-bootgate}
guest() { chroot "$ROOT" "$@"; }

# Configuration files, units and scripts, owned by root whoever owns the checkout.
tar -C "$HERE/rootfs" --owner=0 --group=0 -cf - . | tar -C "$ROOT" --no-overwrite-dir -xf -
chmod 0755 "$ROOT"/usr/local/lib/bootgate/*

echo "$HOSTNAME" > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$HOSTNAME" > "$ROOT/etc/hosts"
# A fixed machine id: with an empty one, every cell's first boot would make up an id and commit
# it, and its later boots would differ from the first.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$ROOT/etc/machine-id"
echo >> "$ROOT/etc/machine-id"

# One SSH host key, made now and pinned by the lab; sshd never makes keys at boot.
rm -f "$ROOT"/etc/ssh/ssh_host_*
guest ssh-keygen -q -t ed25519 -N '' -C "root@$HOSTNAME" -f /etc/ssh/ssh_host_ed25519_key
install -d -m 700 "$ROOT/root/.ssh"

guest systemctl enable -q systemd-networkd.service ssh.service bootgate-phase-init.service bootgate-authkey.service bootgate-ready.service
# Nothing waits for "network online"; the ready unit waits for the address itself.
guest systemctl disable -q systemd-networkd-wait-online.service 2>/dev/null || true
# Periodic jobs and consoles a test VM has no use for; each costs boot time under TCG.
guest systemctl mask -q \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer man-db.timer fstrim.timer \
  e2scrub_all.timer e2scrub_reap.service systemd-timesyncd.service getty@tty1.service getty-static.service \
  systemd-tmpfiles-clean.timer
# The console log level is the lab's (loglevel= on the command line): procps would lower it
# to 4 and hide the call traces of an oops.
ln -sf /dev/null "$ROOT/etc/sysctl.d/10-console-messages.conf"

# The initrd, made once with bootgate's configuration (the kernel package made none: INITRD=No).
chmod 0755 "$ROOT/etc/initramfs-tools/hooks/bootgate"
for kernel in "$ROOT"/boot/vmlinuz-*; do
  rel=${kernel##*/vmlinuz-}
  guest env -u INITRD update-initramfs -c -k "$rel"
  guest lsinitramfs "/boot/initrd.img-$rel" | grep -q '/virtio_blk\.ko' || { echo "initrd.img-$rel has no virtio_blk" >&2; exit 1; }
done

# Caches the first boot would otherwise rebuild (hwdb, ld.so.cache: ConditionNeedsUpdate=).
guest systemd-hwdb update
guest ldconfig
# What the essential set brought before 90bootgate-nodoc was in place.
find "$ROOT/usr/share/doc" -type f ! -name copyright -delete
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
# mmdebstrap's own dpkg options (force-unsafe-io) are for the build, not for the guest.
rm -f "$ROOT/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
# Build logs and caches (mmdebstrap's cleanup/reproducible is skipped to keep the machine id).
rm -rf "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/apt/* "$ROOT"/var/cache/debconf/*-old \
  "$ROOT/var/log/dpkg.log" "$ROOT/var/log/alternatives.log" "$ROOT/var/lib/dbus/machine-id"
touch "$ROOT/etc/.updated" "$ROOT/var/.updated"
