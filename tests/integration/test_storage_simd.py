"""A guest's FP/SIMD registers survive Bulkhead's disk copies.

Bulkhead copies disk data between its bounce buffers and guest RAM with SIMD
registers (arch_copy_bulk), and re-enters a vCPU that was the last on its
CPU without loading its FP/SIMD state again. One CPU, two VMs on it: Debian
writes and reads its volume in 1 MiB direct I/O (every byte checked by md5),
while the test guest holds known values in v0-v31 and FPCR and checks them
without pause. A copy that left a register changed fails the test guest.
"""

import os

import pytest

from conftest import KERNEL, ROOT, TEST_GUEST, bulkhead, run_vms

if not os.path.exists(os.path.join(ROOT, "storage", "volume.c")):
    pytest.skip("the pool's volumes (storage/volume.c) are not in this tree yet",
                allow_module_level=True)

ROUNDS = 6
# Each round: 4 MiB of fresh data onto the disk and back, bypassing the
# page cache so that every byte goes through the device's copies.
IO_LOOP = f"""#!/bin/sh
i=0
while [ $i -lt {ROUNDS} ]; do
    head -c 4194304 /dev/urandom > /tmp/p
    dd if=/tmp/p of=/dev/vda bs=1M oflag=direct conv=fsync 2>/dev/null
    a=$(md5sum < /tmp/p | cut -d' ' -f1)
    b=$(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
    [ "$a" = "$b" ] && echo "ROUND-OK $i" || echo "ROUND-BAD $i $a $b"
    i=$((i + 1))
done
poweroff
"""


def test_guest_simd_registers_survive_disk_copies(tmp_path, initramfs):
    pool = tmp_path / "pool.img"
    assert bulkhead("pool", "create", str(pool), "32M").code == 0
    assert bulkhead("pool", "add", str(pool), "data", "16M").code == 0
    io = tmp_path / "io.cfg"
    io.write_text(f'name = "io"\nvcpus = 1\nmemory = 256\ncpus = "0"\nkernel = "{KERNEL}"\n'
                  f'ramdisk = "{initramfs(run=IO_LOOP)}"\nextra = "console=ttyAMA0 quiet"\n'
                  f"disk = [ 'vdev=xvda, access=rw, target=data' ]\n")
    keep = tmp_path / "keep.cfg"
    keep.write_text(f'name = "keep"\nmemory = 32\ncpus = "0"\nkernel = "{TEST_GUEST}"\n'
                    f'extra = "test=simd-keep ms=60000"\n')
    run = run_vms(str(io), str(keep), timeout=400,
                  args=("--cpus", "1", "--disk", str(pool)))
    io_lines, keep_lines = run.vm_lines("io"), run.vm_lines("keep")
    assert run.code == 0, run
    assert [l for l in io_lines if l.startswith("ROUND-OK")] == \
        [f"ROUND-OK {i}" for i in range(ROUNDS)], run
    assert not [l for l in keep_lines if "FAIL" in l], run
    assert any(l.startswith("SIMD-KEPT ") for l in keep_lines), run
