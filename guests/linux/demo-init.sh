#!/bin/sh
# /init of the demo's Linux VM: show what the VM has, then power off.
# (Interactive consoles come with the console multiplexer.)
. /lib/bulkhead/setup.sh
echo "Debian Linux $(uname -r) under Bulkhead: $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
echo "virtio modules loaded: $(lsmod | awk '/^virtio/ { printf "%s ", $1 }')"
grep -E "arch_timer|Rescheduling|Function call" /proc/interrupts
echo "uptime: $(cut -d' ' -f1 /proc/uptime) s; powering off"
poweroff -f
