#!/bin/sh
# Set-up of every Linux guest: busybox init runs it as sysinit, and /init
# scripts given with --init source it. Mounts the basics, installs busybox's
# applets, loads the modules listed in /etc/modules (in order) and starts
# the power button's handler.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
# A module that does not load is said on the console (insmod says why):
# the VM then lacks a device, and whoever reads the log should know.
while read -r module; do
	[ -n "$module" ] || continue
	insmod "/lib/modules/$module.ko" || echo "setup: module $module not loaded" >&2
done < /etc/modules
# The power button: gpio-keys reports KEY_POWER on an input device, and
# busybox acpid runs /etc/acpi/PWRF/00000080 for it (its output on the console).
if [ -c /dev/input/event0 ]; then
	acpid -l /dev/console
fi
