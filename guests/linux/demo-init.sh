#!/bin/sh
# What the demo's Linux VM runs once set up (mkinitramfs.py --run): show
# what the VM has, use its volume, then leave the operator at a shell with a
# hint of what to try.
echo "Debian Linux $(uname -r) under Bulkhead: $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
echo "virtio modules loaded: $(lsmod | awk '/^virtio/ { printf "%s ", $1 }')"
grep -E "arch_timer|Rescheduling|Function call" /proc/interrupts

# The volume demo-data (the config's disk, /dev/vda): an ext4 file system
# the host made. Its boot count lives on the volume, so it survives the VM,
# and is unmounted before poweroff so that everything written is on the pool.
mkdir -p /mnt
if [ -b /dev/vda ] && mount -t ext4 /dev/vda /mnt; then
	echo "mounted /dev/vda (volume demo-data) on /mnt; /mnt/welcome.txt says:"
	cat /mnt/welcome.txt
	boots=$(( $(cat /mnt/boots.log 2>/dev/null | wc -l) + 1 ))
	echo "boot $boots of the demo VM" >> /mnt/boots.log
	echo "demo-data: this is boot $boots of the demo VM (counted in /mnt/boots.log)"
	umount /mnt && echo "demo-data: unmounted"
else
	echo "demo-data: no volume to mount on /dev/vda"
fi
echo "uptime: $(cut -d' ' -f1 /proc/uptime) s"
echo "Try it: typing goes to Bulkhead's shell; Ctrl-A three times moves it to this VM's shell and back."
echo "In Bulkhead's shell: list, info debian, top, dmesg, help (Tab completes, Up recalls)."
echo "shutdown debian (there) or poweroff (here) stops this VM; the machine stays up, Ctrl-C leaves QEMU."
exec /bin/cttyhack /bin/sh
