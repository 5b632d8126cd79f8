#!/bin/sh
# /etc/acpi/PWRF/00000080: busybox acpid runs this when the power button is
# pressed (gpio-keys reports KEY_POWER; Bulkhead's `shutdown VM` presses it).
echo "power button pressed: the system is going down"
# Under busybox init (the default initramfs) a plain poweroff is orderly:
# init runs the inittab's shutdown actions and stops every process.
if [ -f /etc/inittab ]; then
	exec poweroff
fi
# An /init script of its own ignores poweroff's signal, so the orderly part
# is ours: ask every process to stop, flush what is cached, unmount.
kill -TERM -1 2>/dev/null
sleep 1
sync
umount -a -r 2>/dev/null
poweroff -f
