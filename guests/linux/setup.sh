# Sourced by every initramfs /init: mounts the basics, installs busybox's
# applets, loads the modules listed in /etc/modules (in order) and starts
# the power button's handler.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
while read -r module; do
	[ -n "$module" ] && insmod "/lib/modules/$module.ko" 2>/dev/null
done < /etc/modules
# The power button: gpio-keys reports KEY_POWER on an input device, and
# busybox acpid runs /etc/acpi/PWRF/00000080 for it (its output on the console).
if [ -c /dev/input/event0 ]; then
	acpid -l /dev/console
fi
