"""A VM with U-Boot as its firmware and no kernel boots Linux from its own
volume, as a cloud VM boots: the volume holds a disk image (a GPT, one ext4
partition with /boot/extlinux/extlinux.conf, the kernel and an initramfs),
U-Boot's distro boot scans its virtio-blk device, finds the extlinux.conf
and boots what it names. The initramfs then mounts the volume itself and
reads a file from it. Once from the boot image, once defined on the pool
with `pool add-vm` and started with `create` at the shell."""

import re
import secrets
import shutil
import subprocess

import pytest

from conftest import KERNEL, MKINITRAMFS, TEST_GUEST, console_run, pool, run_vms

MIB = 1024 * 1024
DISK_MIB = 48                 # the kernel Image is some 32 MiB
PART_START = 1 * MIB          # sgdisk's default alignment: sector 2048
FS_MIB = 46                   # inside the partition, short of the backup GPT

# The initramfs's script: mounts the partition it came from, reads it, and
# shows the command line extlinux.conf gave the kernel.
RUN = """#!/bin/sh
echo "INITRAMFS FROM THE VOLUME"
echo "CMDLINE $(cat /proc/cmdline)"
mkdir -p /mnt
mount -t ext4 -o ro /dev/vda1 /mnt && echo "MOUNTED /dev/vda1"
echo "VOLUME SAYS $(cat /mnt/hello.txt)"
umount /mnt
poweroff
"""

EXTLINUX = """default linux
timeout 0
label linux
  kernel /boot/Image
  initrd /boot/initrd.gz
  append console=ttyAMA0 quiet bulkhead.token={token}
"""


def tools():
    found = [shutil.which(t) for t in ("sgdisk", "mke2fs")]
    if not all(found):
        pytest.skip("sgdisk and mke2fs (Debian's gdisk and e2fsprogs, `make deps`) are "
                    "needed to make the boot disk")
    return found


@pytest.fixture(scope="module")
def boot_disk(tmp_path_factory, linux_payload):
    """A disk image as a cloud image is made, without root: a GPT with one
    Linux partition holding an ext4 file system that mke2fs builds from a
    folder. Returns (its path, the token its extlinux.conf and hello.txt hold)."""
    sgdisk, mke2fs = tools()
    folder = tmp_path_factory.mktemp("uboot-disk")
    token = secrets.token_hex(8)
    root = folder / "root"
    (root / "boot" / "extlinux").mkdir(parents=True)
    (root / "boot" / "extlinux" / "extlinux.conf").write_text(EXTLINUX.format(token=token))
    shutil.copyfile(KERNEL, root / "boot" / "Image")
    script = folder / "run.sh"
    script.write_text(RUN)
    subprocess.run([MKINITRAMFS, "--run", str(script), "--add-module", "ext4",
                    "-o", str(root / "boot" / "initrd.gz")], check=True, stdout=subprocess.DEVNULL)
    (root / "hello.txt").write_text(f"hello {token}\n")

    fs = folder / "fs.img"
    with open(fs, "wb") as f:
        f.truncate(FS_MIB * MIB)
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext4", "-L", "rootfs", "-d", str(root), str(fs)],
                   check=True)
    disk = folder / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(DISK_MIB * MIB)
    subprocess.run([sgdisk, "-n", f"1:{PART_START // 512}:0", "-t", "1:8300", "-c", "1:rootfs",
                    str(disk)], check=True, stdout=subprocess.DEVNULL)
    with open(fs, "rb") as src, open(disk, "r+b") as dst:
        dst.seek(PART_START)
        shutil.copyfileobj(src, dst, MIB)
    return disk, token


def boot_pool(folder, disk):
    path = folder / "pool.img"
    assert pool("create", path, f"{DISK_MIB + 16}M").code == 0
    run = pool("add", path, "boot", f"{DISK_MIB}M", "--from", disk)
    assert run.code == 0, run
    return path


def uboot_cfg(folder, firmware):
    cfg = folder / "ub.cfg"
    cfg.write_text(f'name = "ub"\nmemory = 256\nfirmware = "{firmware}"\n'
                   "disk = [ 'vdev=xvda, access=ro, target=boot' ]\n")
    return cfg


# What the VM's console says, in order: U-Boot finds the volume's
# extlinux.conf and loads from it, then Linux runs the initramfs it loaded.
def expected_lines(token):
    return [
        r"Device 0: BLKH VirtIO Block Device",
        r"Scanning virtio 0:1\.\.\.",
        r"Found /boot/extlinux/extlinux\.conf",
        r"Retrieving file: /boot/initrd\.gz",
        r"Retrieving file: /boot/Image",
        r"Starting kernel \.\.\.",
        r"INITRAMFS FROM THE VOLUME",
        rf"CMDLINE .*bulkhead\.token={token}",
        r"MOUNTED /dev/vda1",
        rf"VOLUME SAYS hello {token}",
    ]


def assert_in_order(lines, patterns):
    at = 0
    for pattern in patterns:
        while at < len(lines) and not re.search(pattern, lines[at]):
            at += 1
        assert at < len(lines), f"no line matching {pattern!r} (in order) in:\n" + "\n".join(lines)
        at += 1


def test_uboot_boots_linux_from_its_volume(tmp_path, uboot_payload, boot_disk):
    disk, token = boot_disk
    path = boot_pool(tmp_path, disk)
    run = run_vms(str(uboot_cfg(tmp_path, uboot_payload)), timeout=400,
                  args=("--disk", str(path)))
    assert run.code == 0, run
    assert_in_order(run.vm_lines("ub"), expected_lines(token))
    assert "vm 1 'ub' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines(), run


def test_pool_defined_uboot_vm_boots_from_its_volume(tmp_path, uboot_payload, boot_disk):
    """The same VM, defined on the pool beside its volume: `create ub` at the
    shell reads its firmware from the pool, and U-Boot boots the volume."""
    disk, token = boot_disk
    path = boot_pool(tmp_path, disk)
    run = pool("add-vm", path, uboot_cfg(tmp_path, uboot_payload))
    assert run.code == 0 and "ub: VM defined" in run.out, run
    # a VM of the boot image keeps the machine up until `create` has run
    waiter = tmp_path / "boot" / "w.cfg"
    waiter.parent.mkdir()
    waiter.write_text(f'name = "w"\nmemory = 16\nkernel = "{TEST_GUEST}"\nextra = "test=button"\n')
    log = tmp_path / "console.log"
    with console_run("--timeout", "500", "--disk", str(path), str(waiter),
                     timeout=400, log=log) as p:
        p.expect(r"\(hv\) pool disk vda: VM 'ub' defined")
        p.expect(r"\(w\) button test: waiting")
        p.send("create ub\r")
        p.expect(r"\(hv\) vm 'ub': reading its \d+ KiB from pool disk vda")
        p.expect(rf"\(ub\) VOLUME SAYS hello {token}")
        p.expect(r"\(hv\) vm \d+ 'ub'.*powered off")
        p.send("shutdown w\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
    lines = [l.rstrip("\r") for l in log.read_text().splitlines()]
    assert_in_order([l[5:] for l in lines if l.startswith("(ub) ")], expected_lines(token))
    assert not any("PANIC" in l for l in lines)
