#!/bin/sh
# make debug: boot the VMs halted under QEMU's gdbstub and attach gdb-multiarch
# with Bulkhead's symbols at the address QEMU loads it, stopped on its first
# instruction. VMs: $VMS (default: the demo). The console goes to
# build/debug/console.log. With --check, gdb runs in batch mode and only
# verifies that it stops at _start (used by the tests).
set -eu
cd "$(dirname "$0")/.."
mode=${1:-interactive}
vms=${VMS:-examples/demo/*.cfg}
# The demo's Debian VM names the volume demo-data: the pool that holds it is
# the machine's disk, as under `make run` (virtio-mmio version 2).
disks=""
if [ -z "${VMS:-}" ] && [ -f build/demo/pool.img ]; then
	disks="-global virtio-mmio.force-legacy=false
		-drive if=none,format=raw,file=build/demo/pool.img,id=d0
		-device virtio-blk-device,drive=d0"
fi
out=build/debug
mkdir -p "$out"
port=${GDB_PORT:-1234}
# QEMU places an Image whose text_offset is 0 at RAM base + 2 MiB.
base=0x40200000

# shellcheck disable=SC2086
./bulkhead image -o "$out/image.bin" $vms >/dev/null
# shellcheck disable=SC2086
qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on \
	-smp 4 -m 2G -nic none -display none -serial "file:$out/console.log" -monitor none \
	-kernel "$out/image.bin" $disks -gdb "tcp::$port" -S &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT INT TERM

cat > "$out/gdbinit" <<GDB
set pagination off
set confirm off
target remote :$port
add-symbol-file build/bulkhead.elf -o $base
hbreak *$base
continue
delete
GDB

if [ "$mode" = "--check" ]; then
	gdb-multiarch -q -batch -nx -x "$out/gdbinit" -ex 'info symbol $pc' -ex 'x/2i $pc' \
		build/bulkhead.elf 2>&1
	exit 0
fi
echo "Bulkhead is stopped at its first instruction; console output: $out/console.log"
gdb-multiarch -q -nx -x "$out/gdbinit" build/bulkhead.elf
