"""A hostile virtio driver beside a working one: the test guest's
`virtio-hostile` mode submits malformed chains, bad queue set-ups and
requests past its volume's end, round after round, while a Debian VM on
another volume of the same pool writes, flushes and reads back its disk.
Every bad request must get an answer virtio allows, the Debian VM's data
must be right, and neither volume may hold anything it should not."""

import os
import re

import pytest

from conftest import KERNEL, ROOT, TEST_GUEST, bulkhead, console_run

if not os.path.exists(os.path.join(ROOT, "storage", "volume.c")):
    pytest.skip("the pool's volumes (storage/volume.c) are not in this tree yet",
                allow_module_level=True)

MIB = 1024 * 1024
ROUNDS = 6
VICTIM = (0x40000000, 0x60000000)  # holds Bulkhead and the first VMs' physical RAM
VICTIM_STEP = 8 * MIB              # virtio_hostile.c's VICTIM_STEP
HV_ADDR = 0x40200000               # where QEMU's virt loads Bulkhead (checked below)
HOSTILE_RAM_BASE = 0x80000000      # so that VICTIM lies outside the hostile VM's RAM
HOSTILE_MIB = 4
SECTOR0 = b"BULKHEAD-HOSTILE-VOLUME-SECTOR-0"
MAP = r"\(hv\) vm \d+ '{}' \(.*\): \d vCPUs?, RAM IPA 0x([0-9a-f]+)-0x([0-9a-f]+) -> PA 0x([0-9a-f]+) \("

# Each round writes 1 MiB of its own pattern at MiB ROUND, flushed, drops
# the page cache and reads it back.
LINUX_IO = f"""#!/bin/sh
i=1
while [ $i -le {ROUNDS} ]; do
    yes LINUX-ROUND-$i | head -c {MIB} > /tmp/r
    dd if=/tmp/r of=/dev/vda bs=64k seek=$((i * 16)) conv=fsync 2>/dev/null || echo "WRITE-FAILED $i"
    sync
    echo 3 > /proc/sys/vm/drop_caches
    w=$(md5sum < /tmp/r | cut -d' ' -f1)
    r=$(dd if=/dev/vda bs=64k skip=$((i * 16)) count=16 2>/dev/null | md5sum | cut -d' ' -f1)
    echo "ROUND $i $w $r"
    i=$((i + 1))
done
echo "LINUX-IO-DONE"
poweroff
"""

# What a case may answer (the guest judges each case against its own list;
# this is the host's independent check of the words it prints).
ALLOWED = {"ioerr", "unsupp", "needs-reset", "used-len0", "features-refused", "reset-clean"}
GOOD = {"good-read", "get-id", "good-indirect", "tail-unchanged"}
# Cases the brief names, with the one answer this device gives.
EXPECTED = {
    "loop": "needs-reset", "chain-past-queue-size": "needs-reset",
    "head-out-of-range": "needs-reset", "avail-idx-runaway": "needs-reset",
    "buf-past-ram": "needs-reset", "buf-hypervisor": "needs-reset",
    "buf-virtio-window": "needs-reset", "buf-gic": "needs-reset", "huge-len": "needs-reset",
    "indirect-past-ram": "needs-reset", "indirect-bad-len": "needs-reset",
    "indirect-nested": "needs-reset", "readonly-status": "used-len0",
    "read-into-other-vm": "needs-reset", "write-from-other-vm": "needs-reset",
    "past-end-read": "ioerr", "past-end-write": "ioerr", "at-end-write": "ioerr",
    "sector-wraps-write": "ioerr", "write-zeroes-past-end": "ioerr",
    "unknown-type": "unsupp", "reset-after-notify": "reset-clean",
}


def pool(*args):
    return bulkhead("pool", *[str(a) for a in args])


def round_pattern(i):
    line = f"LINUX-ROUND-{i}\n".encode()
    return (line * (MIB // len(line) + 1))[:MIB]


def hostile_image(path):
    """Sector 0 marked, the last 64 KiB a pattern: what the volume must still hold."""
    data = bytearray(HOSTILE_MIB * MIB)
    data[:len(SECTOR0)] = SECTOR0
    tail = len(data) - 65536
    data[tail:] = bytes((i * 7 + 3) & 0xFF for i in range(65536))
    path.write_bytes(bytes(data))
    return bytes(data)


def test_hostile_virtio_driver_beside_a_linux_vm(tmp_path, initramfs):
    image = hostile_image(tmp_path / "hostile.img")
    pool_file = tmp_path / "pool.img"
    assert pool("create", pool_file, "32M").code == 0
    assert pool("add", pool_file, "hostile", f"{HOSTILE_MIB}M", "--from",
                tmp_path / "hostile.img").code == 0
    assert pool("add", pool_file, "linux", "16M").code == 0

    linux = tmp_path / "linux.cfg"
    linux.write_text(f'name = "linux"\nmemory = 128\nkernel = "{KERNEL}"\n'
                     f'ramdisk = "{initramfs(run=LINUX_IO)}"\nextra = "console=ttyAMA0 quiet"\n'
                     "disk = [ 'vdev=xvda, access=rw, target=linux' ]\n")
    hostile = tmp_path / "hostile.cfg"
    hostile.write_text(f'name = "hostile"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                       f"ram_base = {HOSTILE_RAM_BASE:#x}\n"
                       f'extra = "test=virtio-hostile victim={VICTIM[0]:#x}-{VICTIM[1]:#x} '
                       f'hv={HV_ADDR:#x} ms=600000"\n'
                       "disk = [ 'vdev=xvda, access=rw, target=hostile' ]\n")
    log = tmp_path / "console.log"
    with console_run("--cpus", "2", "--timeout", "280", "--disk", str(pool_file),
                     str(linux), str(hostile), timeout=240, log=log) as p:
        p.expect(r"\(hv\) hypervisor 0x([0-9a-f]+)-0x([0-9a-f]+):")  # whole: the colon follows
        hv = tuple(int(g, 16) for g in p.match.groups())
        p.expect(MAP.format("linux"))
        ipa_lo, ipa_hi, pa = (int(g, 16) for g in p.match.groups())
        linux_pa = (pa, pa + ipa_hi - ipa_lo)
        p.expect(r"\(hostile\) VH round 1: ")
        p.expect(r"\(linux\) LINUX-IO-DONE")
        # the hostile guest was still at it: stop it with a key
        p.send("console hostile\r")
        p.expect(r"input goes to hostile")
        p.send("k")
        p.expect(r"VH DONE pass=(\d+) fail=(\d+) rounds=(\d+)\s")  # raw: hostile has the input
        passed, failed, rounds = (int(g) for g in p.match.groups())
        p.expect(r"\(hv\) no VM is running \((\d+) crashed\): powering off")
        crashed = int(p.match.group(1))
    text = log.read_text(errors="replace")
    lines = [l.rstrip("\r") for l in text.splitlines()]
    assert "(hv) PANIC" not in text
    assert crashed == 0, text[-3000:]

    # every case got an allowed answer, in every round
    assert failed == 0, [l for l in lines if "FAIL" in l]
    cases = {}
    for line in lines:
        # the last case (tail-unchanged) comes while hostile has the input: unprefixed
        m = re.match(r"(?:\(hostile\) )?VH ([a-z0-9-]+): (\S+)", line)
        if m and m.group(1) not in ("round", "DONE", "device"):
            cases.setdefault(m.group(1), m.group(2))
    for name, answer in cases.items():
        assert answer == "ok" if name in GOOD else answer in ALLOWED, (name, answer)
    for name, answer in EXPECTED.items():
        assert cases.get(name) == answer, (name, cases.get(name))
    assert cases.get("get-id") == "ok" and "(hostile) VH get-id: ok bulkhead-hostile" in lines
    assert f'sector 0 starts "{SECTOR0.decode()}"' in text
    assert rounds >= 2 and passed == rounds * (len(cases) - 1) + 1, (passed, rounds, len(cases))

    # the hostile rounds ran while the Linux VM did its I/O
    first_io = next(i for i, l in enumerate(lines) if l.startswith("(linux) ROUND 1 "))
    io_done = lines.index("(linux) LINUX-IO-DONE")
    assert any(l.startswith("(hostile) VH round ") for l in lines[first_io:io_done])

    # not vacuous: the addresses tried hold Bulkhead and the Linux VM's RAM
    assert hv[0] <= HV_ADDR < hv[1], hv
    assert VICTIM[0] <= linux_pa[0] and linux_pa[1] <= VICTIM[1], linux_pa
    tried = range(VICTIM[0], VICTIM[1], VICTIM_STEP)
    assert any(linux_pa[0] <= a < linux_pa[1] for a in tried)

    # the Linux VM wrote, flushed and read back every round
    linux_lines = [l[len("(linux) "):] for l in lines if l.startswith("(linux) ")]
    done = [l.split() for l in linux_lines if l.startswith("ROUND ")]
    assert [int(r[1]) for r in done] == list(range(1, ROUNDS + 1)), linux_lines
    assert all(r[2] == r[3] for r in done), done
    assert not any(l.startswith("WRITE-FAILED") for l in linux_lines)

    # on the host: the Linux volume holds its rounds; the hostile volume is
    # as it was made (no write of it was valid)
    out = tmp_path / "linux.out"
    assert pool("export", pool_file, "linux", out).code == 0
    data = out.read_bytes()
    for i in range(1, ROUNDS + 1):
        assert data[i * MIB:(i + 1) * MIB] == round_pattern(i), i
    out = tmp_path / "hostile.out"
    assert pool("export", pool_file, "hostile", out).code == 0
    assert out.read_bytes() == image
