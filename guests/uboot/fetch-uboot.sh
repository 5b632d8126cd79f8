#!/bin/sh
# Fetches Debian's U-Boot for QEMU (package u-boot-qemu, the same files for
# every architecture) and keeps the qemu_arm64 build's u-boot.bin as
# build/uboot/u-boot.bin. Cached: does nothing when it is already there.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/uboot
[ -f "$out/u-boot.bin" ] && exit 0

if ! apt-cache show u-boot-qemu >/dev/null 2>&1; then
	apt-get update -qq 2>/dev/null || true
fi
rm -rf "$out/debs" "$out/root"
mkdir -p "$out/debs" "$out/root"
cd "$out/debs"
# apt-get download writes as _apt when it can; a root-owned folder is fine too.
apt-get download -q u-boot-qemu 2>&1 | grep -v "^W: Download is performed unsandboxed" || true
deb=$(ls ./u-boot-qemu_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "could not download u-boot-qemu" >&2; exit 1; }
dpkg-deb -x "$deb" "$out/root"
cp "$out/root/usr/lib/u-boot/qemu_arm64/u-boot.bin" "$out/u-boot.bin.tmp"
mv "$out/u-boot.bin.tmp" "$out/u-boot.bin"
dpkg-deb -f "$deb" Version > "$out/version"
rm -rf "$out/root"
echo "fetched u-boot-qemu $(cat "$out/version") into $out"
