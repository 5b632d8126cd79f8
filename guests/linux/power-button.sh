#!/bin/sh
# /etc/acpi/PWRF/00000080: busybox acpid runs this when the power button is
# pressed (gpio-keys reports KEY_POWER; Bulkhead's `shutdown VM` presses it).
# An initramfs has no service manager, so the orderly part is ours: ask every
# process to stop, flush what is cached, unmount, then power off.
echo "power button pressed: the system is going down"
kill -TERM -1 2>/dev/null
sleep 1
sync
umount -a -r 2>/dev/null
poweroff -f
