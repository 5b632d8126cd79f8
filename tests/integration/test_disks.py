"""The machine's own disks: Bulkhead drives virtio-blk disks attached with
`bulkhead run --disk`, names them in order and reads them (LBA 1's GPT
signature, through the interrupt-driven driver) as the storage pool
looks for GPTs on them; the pool itself is tested in test_volumes.py."""

import re

import pytest

from conftest import TEST_GUEST, run_vms

SECTOR = 512


def disk_file(folder, name, mib, gpt):
    path = folder / name
    with open(path, "wb") as f:
        f.truncate(mib * 1024 * 1024)
        f.seek(SECTOR)
        # LBA 1: a GPT header's signature, or something else in its place
        f.write(b"EFI PART" if gpt else b"NOT GPT!")
    return str(path)


@pytest.fixture(scope="module")
def disks_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disks")
    cfg = folder / "t.cfg"
    # the guest stays up a while: the machine powers off with its last VM,
    # and the reads complete whenever the disks answer
    cfg.write_text(f'name = "t"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=spin ms=1000"\n')
    first = disk_file(folder, "first.img", 4, gpt=True)
    second = disk_file(folder, "second.img", 1, gpt=False)
    return run_vms(str(cfg), args=("--disk", first, "--disk", second))


def disk_line(run, name):
    lines = [l for l in run.hv_lines() if l.startswith(f"disk {name}: virtio-blk at ")]
    assert len(lines) == 1, run
    return lines[0]


def test_two_disks_are_named_in_order_with_their_sizes(disks_run):
    assert disks_run.code == 0, disks_run
    assert re.fullmatch(r"disk vda: virtio-blk at 0x[0-9a-f]+: 8192 sectors of 512 bytes "
                        r"\(4 MiB\)(, flush)?(, write-zeroes)?", disk_line(disks_run, "vda"))
    assert re.fullmatch(r"disk vdb: virtio-blk at 0x[0-9a-f]+: 2048 sectors of 512 bytes "
                        r"\(1 MiB\)(, flush)?(, write-zeroes)?", disk_line(disks_run, "vdb"))
    assert not [l for l in disks_run.hv_lines() if l.startswith("disk vdc")]


def test_each_disk_is_read_for_its_gpt(disks_run):
    hv = disks_run.hv_lines()
    # a signature alone is no table: refused, and said why (never written)
    assert [l for l in hv if l.startswith("pool disk vda: refused: no valid GPT (primary: ")], \
        disks_run
    assert "pool disk vdb: no GPT (not a pool disk)" in hv, disks_run


def test_no_disk_no_disk_lines(tmp_path):
    cfg = tmp_path / "t.cfg"
    cfg.write_text(f'name = "t"\nmemory = 32\nkernel = "{TEST_GUEST}"\n')
    run = run_vms(str(cfg))
    assert run.code == 0, run
    assert not [l for l in run.hv_lines() if l.startswith("disk ") or "virtio-blk" in l], run
