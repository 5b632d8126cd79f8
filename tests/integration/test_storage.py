"""A VM's disk on a pool volume: Debian's Linux guest writes its /dev/vda
through the guest's virtio-blk device, reads it back, and the host's pool
tool finds what it wrote in the volume."""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT, linux_cfg, pool, run_vms

if not os.path.exists(os.path.join(ROOT, "storage", "volume.c")):
    pytest.skip("the pool's volumes (storage/volume.c) are not in this tree yet",
                allow_module_level=True)

LINE = b"BULKHEAD-PATTERN\n"
PATTERN_BYTES = 1024 * 1024

# 1 MiB of the pattern onto the disk, flushed, read back; then what the
# device says of itself (its size in sectors, the GET_ID serial).
WRITE_AND_READ = f"""#!/bin/sh
yes BULKHEAD-PATTERN | head -c {PATTERN_BYTES} > /tmp/p
echo "SIZE $(cat /sys/block/vda/size)"
echo "SERIAL $(cat /sys/block/vda/serial)"
dd if=/tmp/p of=/dev/vda bs=64k conv=fsync 2>/dev/null && echo "WRITE-OK"
sync
echo 3 > /proc/sys/vm/drop_caches
echo "WROTE $(md5sum < /tmp/p | cut -d' ' -f1)"
echo "READ $(dd if=/dev/vda bs=64k count=16 2>/dev/null | md5sum | cut -d' ' -f1)"
poweroff
"""

# A read-only disk: reads work, a write fails in the guest.
READ_ONLY = """#!/bin/sh
echo "RO $(cat /sys/block/vda/ro)"
dd if=/dev/vda of=/dev/null bs=64k count=1 2>/dev/null && echo "READ-OK"
dd if=/dev/zero of=/dev/vda bs=64k count=1 conv=fsync 2>/dev/null || echo "WRITE-REFUSED"
poweroff
"""


@pytest.fixture
def pool_file(tmp_path):
    path = tmp_path / "pool.img"
    assert pool("create", path, "64M").code == 0
    assert pool("add", path, "data", "16M").code == 0
    return path


def disk_cfg(tmp_path, name, initrd, access):
    return linux_cfg(tmp_path, name, initrd, f"disk = [ 'vdev=xvda, access={access}, target=data' ]")


def test_guest_writes_its_disk_and_the_pool_holds_it(tmp_path, pool_file, initramfs):
    cfg = disk_cfg(tmp_path, "st", initramfs(run=WRITE_AND_READ), "rw")
    run = run_vms(cfg, timeout=300, args=("--disk", str(pool_file)))
    lines = run.vm_lines("st")
    assert run.code == 0, run
    assert f"SIZE {16 * 1024 * 1024 // 512}" in lines, run
    assert "SERIAL bulkhead-data" in lines, run
    assert "WRITE-OK" in lines, run
    wrote = [l.split()[1] for l in lines if l.startswith("WROTE ")]
    read = [l.split()[1] for l in lines if l.startswith("READ ")]
    assert wrote and wrote == read, run

    out = tmp_path / "data.out"
    assert pool("export", pool_file, "data", out).code == 0
    data = out.read_bytes()
    want = (LINE * (PATTERN_BYTES // len(LINE) + 1))[:PATTERN_BYTES]
    assert data[:PATTERN_BYTES] == want


def test_read_only_disk_refuses_writes(tmp_path, pool_file, initramfs):
    cfg = disk_cfg(tmp_path, "ro", initramfs(run=READ_ONLY), "ro")
    run = run_vms(cfg, timeout=300, args=("--disk", str(pool_file)))
    lines = run.vm_lines("ro")
    assert run.code == 0, run
    assert "RO 1" in lines, run
    assert "READ-OK" in lines, run
    assert "WRITE-REFUSED" in lines, run
    out = tmp_path / "data.out"
    assert pool("export", pool_file, "data", out).code == 0
    assert out.read_bytes()[:65536] == bytes(65536)


# An ext4 file system on the volume: mounted, a file read and one written,
# unmounted before poweroff so that all of it reaches the pool.
EXT4 = """#!/bin/sh
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt && echo "MOUNTED"
echo "HOST SAID $(cat /mnt/from-host.txt)"
echo "written by the guest on its ext4 volume" > /mnt/from-guest.txt
umount /mnt && echo "UNMOUNTED"
poweroff
"""


def test_guest_mounts_an_ext4_volume_the_host_made(tmp_path, initramfs):
    mke2fs, debugfs, e2fsck = (shutil.which(t) for t in ("mke2fs", "debugfs", "e2fsck"))
    if not (mke2fs and debugfs and e2fsck):
        pytest.skip("mke2fs, debugfs and e2fsck (Debian's e2fsprogs, `make deps`) are needed "
                    "to make, read and check the ext4 file system")
    root = tmp_path / "root"
    root.mkdir()
    (root / "from-host.txt").write_text("hello from the host\n")
    fs = tmp_path / "fs.img"
    with open(fs, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext4", "-d", str(root), str(fs)], check=True)
    pool_path = tmp_path / "pool.img"
    assert pool("create", pool_path, "16M").code == 0
    assert pool("add", pool_path, "data", "8M", "--from", fs).code == 0

    cfg = disk_cfg(tmp_path, "fs", initramfs(run=EXT4, modules=("ext4",)), "rw")
    run = run_vms(cfg, timeout=300, args=("--disk", str(pool_path)))
    lines = run.vm_lines("fs")
    assert run.code == 0, run
    assert "MOUNTED" in lines, run
    assert "HOST SAID hello from the host" in lines, run
    assert "UNMOUNTED" in lines, run

    out = tmp_path / "data.out"
    assert pool("export", pool_path, "data", out).code == 0
    got = subprocess.run([debugfs, "-R", "cat /from-guest.txt", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert got.stdout == "written by the guest on its ext4 volume\n", got
    # cleanly unmounted: the file system needs no repair
    fsck = subprocess.run([e2fsck, "-fn", str(out)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert fsck.returncode == 0, fsck.stdout
