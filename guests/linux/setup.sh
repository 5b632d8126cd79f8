# Sourced by every initramfs /init: mounts the basics, installs busybox's
# applets and loads the virtio modules listed in /etc/modules (in order).
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
while read -r module; do
	[ -n "$module" ] && insmod "/lib/modules/$module.ko" 2>/dev/null
done < /etc/modules
