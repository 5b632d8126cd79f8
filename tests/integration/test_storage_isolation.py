"""VMs on different volumes never see each other's data.

One boot, three Debian guests side by side: `a` and `b` on two volumes of one
pool disk (with a freed gap between them), `c` on a second pool disk. Each
fills its whole volume with its own marker, flushes, reads the whole device
back and counts the others' markers (none) and its own (every line); each
sees its own volume's size. The volumes have different sizes, so a guest
given the wrong one would say so. Then the host exports each volume (only its
owner's marker, every byte) and checks that the pool disks' bytes outside
every partition, apart from the GPT's own, are still zero.
"""

import os
import struct

import pytest

from conftest import ROOT, linux_cfg, pool, run_vms

if not os.path.exists(os.path.join(ROOT, "storage", "volume.c")):
    pytest.skip("the pool's volumes (storage/volume.c) are not in this tree yet",
                allow_module_level=True)

MIB = 1024 * 1024
SECTOR = 512
# the VM, its volume's size in MiB and its pool disk (0: vda, 1: vdb)
VMS = {"a": (8, 0), "b": (6, 0), "c": (4, 1)}


def marker(name):
    line = f"{name.upper()}-OWNS-VOLUME-{name.upper()}\n".encode()
    assert len(line) == 16  # lines tile a volume exactly
    return line


# Fill the whole device with this VM's marker, flush, drop the guest's cache,
# read it all back.
def guest_script(name):
    me = marker(name).decode().strip()
    others = " ".join(f"-e {marker(o).decode().strip()}" for o in VMS if o != name)
    return f"""#!/bin/sh
SECTORS=$(cat /sys/block/vda/size)
echo "SIZE $SECTORS"
yes {me} | head -c $((SECTORS * 512)) > /tmp/p
dd if=/tmp/p of=/dev/vda bs=64k conv=fsync 2>/dev/null && echo "WRITE-OK"
rm /tmp/p
echo 3 > /proc/sys/vm/drop_caches
echo "OTHERS $(grep -c {others} /dev/vda)"
echo "MINE $(grep -c -x {me} /dev/vda)"
poweroff
"""


def vm_cfg(tmp_path, name, initrd):
    return linux_cfg(tmp_path, name, initrd, f"disk = [ 'vdev=xvda, access=rw, target=vol-{name}' ]",
                     memory=160)


def partitions(pool_file):
    """(start, size) in bytes of each volume, from `pool list`."""
    run = pool("list", pool_file)
    assert run.code == 0, run
    rows = [line.split() for line in run.lines[1:] if line.strip()]
    return {name: (int(start), int(size)) for name, start, size, kind in rows if kind == "volume"}


def usable_range(data):
    """The GPT's usable bytes, from the primary header (LBA 1)."""
    assert data[SECTOR:SECTOR + 8] == b"EFI PART"
    first, last = struct.unpack_from("<QQ", data, SECTOR + 40)
    return first * SECTOR, (last + 1) * SECTOR


def assert_zero_outside(pool_file, parts):
    data = pool_file.read_bytes()
    start, end = usable_range(data)
    at = start
    for first, size in sorted(parts.values()):
        assert data[at:first].count(0) == first - at, f"{pool_file}: bytes written at {at}..{first}"
        at = first + size
    assert data[at:end].count(0) == end - at, f"{pool_file}: bytes written at {at}..{end}"


def make_pools(tmp_path):
    disks = [tmp_path / "pool0.img", tmp_path / "pool1.img"]
    assert pool("create", disks[0], "24M").code == 0
    assert pool("create", disks[1], "8M").code == 0
    # a, a 1 MiB gap (added, then given back), b
    assert pool("add", disks[0], "vol-a", "8M").code == 0
    assert pool("add", disks[0], "gap", "1M").code == 0
    assert pool("add", disks[0], "vol-b", "6M").code == 0
    assert pool("rm", disks[0], "gap").code == 0
    assert pool("add", disks[1], "vol-c", "4M").code == 0
    return disks


def test_vms_on_separate_volumes_see_only_their_own_data(tmp_path, initramfs):
    disks = make_pools(tmp_path)
    layout = [partitions(d) for d in disks]
    assert set(layout[0]) == {"vol-a", "vol-b"} and set(layout[1]) == {"vol-c"}
    a_start, a_size = layout[0]["vol-a"]
    assert layout[0]["vol-b"][0] > a_start + a_size  # the gap is there

    cfgs = []
    for name in VMS:
        # each VM's initramfs and config in its own folder
        sub = tmp_path / name
        sub.mkdir()
        initrd = initramfs(run=guest_script(name))
        os.replace(initrd, sub / "initramfs.cpio.gz")
        cfgs.append(vm_cfg(sub, name, sub / "initramfs.cpio.gz"))
    run = run_vms(*cfgs, timeout=240,
                  args=("--cpus", "2", "--mem", "1024", "--disk", str(disks[0]),
                        "--disk", str(disks[1])))
    assert run.code == 0, run

    for name, (mib, _) in VMS.items():
        lines = run.vm_lines(name)
        assert f"SIZE {mib * MIB // SECTOR}" in lines, (name, run)
        assert "WRITE-OK" in lines, (name, run)
        assert "OTHERS 0" in lines, (name, run)
        assert f"MINE {mib * MIB // 16}" in lines, (name, run)

    for name, (mib, disk) in VMS.items():
        out = tmp_path / f"vol-{name}.out"
        assert pool("export", disks[disk], f"vol-{name}", out).code == 0
        assert out.read_bytes() == marker(name) * (mib * MIB // 16), name
    for disk, parts in zip(disks, layout):
        assert_zero_outside(disk, parts)
        assert pool("check", disk).code == 0
