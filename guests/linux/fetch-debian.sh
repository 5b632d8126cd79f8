#!/bin/sh
# Fetches Debian's arm64 kernel (whatever the linux-image-arm64 metapackage
# depends on today, never a hard-coded ABI version) and busybox-static, and
# unpacks them under build/linux/. Cached: does nothing when already there.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/linux
[ -f "$out/Image" ] && [ -f "$out/rootfs/bin/busybox" ] && exit 0

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "Debian's arm64 packages are needed; enable them with:" >&2
		echo "  sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
		exit 1
	fi
	dpkg --add-architecture arm64
	apt-get update -qq
fi
kernel=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { sub(":arm64", "", $2); print $2; exit }')
if [ -z "$kernel" ]; then
	apt-get update -qq 2>/dev/null || true
	kernel=$(apt-cache depends linux-image-arm64:arm64 |
		awk '/Depends: linux-image-[0-9]/ { sub(":arm64", "", $2); print $2; exit }')
fi
[ -n "$kernel" ] || { echo "cannot resolve linux-image-arm64:arm64" >&2; exit 1; }

rm -rf "$out/debs" "$out/rootfs"
mkdir -p "$out/debs" "$out/rootfs"
cd "$out/debs"
# apt-get download writes as _apt when it can; a root-owned folder is fine too.
apt-get download -q "$kernel:arm64" busybox-static:arm64 2>&1 | grep -v "^W: Download is performed unsandboxed" || true
for deb in ./*.deb; do
	dpkg-deb -x "$deb" "$out/rootfs"
done
image=$(ls "$out"/rootfs/boot/vmlinuz-* | head -n 1)
if [ "$(head -c 2 "$image" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
	gzip -dc "$image" > "$out/Image.tmp"
else
	cp "$image" "$out/Image.tmp"
fi
mv "$out/Image.tmp" "$out/Image"
echo "$kernel" > "$out/kernel-package"
echo "fetched $kernel and busybox-static into $out"
