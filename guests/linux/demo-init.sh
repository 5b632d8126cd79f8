#!/bin/sh
# What the demo's Linux VM runs once set up (mkinitramfs.py --run): show
# what the VM has, then power off as a user would.
# (Interactive consoles come with the console multiplexer.)
echo "Debian Linux $(uname -r) under Bulkhead: $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
echo "virtio modules loaded: $(lsmod | awk '/^virtio/ { printf "%s ", $1 }')"
grep -E "arch_timer|Rescheduling|Function call" /proc/interrupts
echo "uptime: $(cut -d' ' -f1 /proc/uptime) s; powering off"
poweroff
