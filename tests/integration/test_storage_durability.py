"""A write the guest was told is flushed survives the machine being cut off.

Debian's Linux writes a fresh random pattern to its volume with
`dd conv=fsync` and says so; the moment that line reaches the console the
test SIGKILLs QEMU (the whole process, as a power cut of the machine Bulkhead
runs on). A second boot of a guest on the same pool reads the region back, and
the host's `pool export` holds the same bytes.

QEMU runs with its default cache mode (writeback): a write QEMU has done sits
in the host's page cache, which outlives QEMU. So this test proves that nothing
between the guest and QEMU (the guest's device, the volume, Bulkhead's disk
driver) completes a write or a flush before the disk has it. That the guest's
FLUSH reaches the disk's own flush, and completes only after it, QEMU cannot
show here (its flush lands in the same page cache): tests/unit/test_blk_flush.c
proves it against a fake disk.
"""

import hashlib
import os
import select
import signal
import subprocess
import time

import pytest

from conftest import BULKHEAD, ROOT, linux_cfg, pool, run_vms

if not os.path.exists(os.path.join(ROOT, "storage", "volume.c")):
    pytest.skip("the pool's volumes (storage/volume.c) are not in this tree yet",
                allow_module_level=True)

MIB = 1024 * 1024
VOLUME_MIB = 8
REGION_MIB = 3       # where the pattern goes on the volume
PATTERN_MIB = 1

# A pattern no earlier run left, written and fsynced; then idle until killed
# (bounded: the test's deadline ends it long before). Descriptor 3 keeps the
# device open, so dd's close is not the last one, which would write the
# guest's cache back by itself: only the fsync makes the data durable.
WRITE_AND_IDLE = f"""#!/bin/sh
exec 3</dev/vda
dd if=/dev/urandom of=/tmp/p bs=64k count={PATTERN_MIB * 16} 2>/dev/null
dd if=/tmp/p of=/dev/vda bs=64k seek={REGION_MIB * 16} conv=fsync 2>/dev/null && \
echo "FSYNCED $(md5sum < /tmp/p | cut -d' ' -f1)"
sleep 120
echo "NOT-KILLED"
poweroff
"""

READ_BACK = f"""#!/bin/sh
echo "READBACK $(dd if=/dev/vda bs=64k skip={REGION_MIB * 16} count={PATTERN_MIB * 16} \
2>/dev/null | md5sum | cut -d' ' -f1)"
poweroff
"""

BOOT_DEADLINE = 240  # seconds: a bound on the first boot, never an assertion


def vm_cfg(tmp_path, name, initrd):
    return linux_cfg(tmp_path, name, initrd, "disk = [ 'vdev=xvda, access=rw, target=data' ]")


def qemu_children(pid):
    """QEMU processes `bulkhead run` (pid) started."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    found = []
    for kid in kids:
        try:
            with open(f"/proc/{kid}/comm") as f:
                if f.read().startswith("qemu"):
                    found.append(kid)
        except OSError:
            pass
    return found


def kill_group(pid):
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_until_fsynced(cfg, pool_file, log):
    """Boots `cfg`; SIGKILLs QEMU as soon as the guest says FSYNCED. Returns
    (the guest's md5, bulkhead's exit code, the console text)."""
    proc = subprocess.Popen([BULKHEAD, "run", "--cpus", "2", "--mem", "512",
                             "--timeout", str(BOOT_DEADLINE), "--disk", str(pool_file), cfg],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    text, pending, md5, qemus = b"", b"", None, []
    deadline = time.monotonic() + BOOT_DEADLINE + 60
    try:
        while md5 is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            text += chunk
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                words = line.decode("utf-8", "replace").strip().split()
                if words[-2:-1] == ["FSYNCED"]:
                    md5 = words[-1]
            if md5:
                qemus = qemu_children(proc.pid)
                for q in qemus:
                    kill_group(q)  # QEMU leads its own session
        rest, _ = proc.communicate(timeout=60)
        text += rest
        code = proc.returncode
    finally:
        if proc.poll() is None:
            kill_group(proc.pid)
            proc.wait()
        for q in qemus:
            kill_group(q)
    log.write_bytes(text)
    return md5, code, text.decode("utf-8", "replace"), qemus


def test_fsynced_write_survives_qemu_being_killed(tmp_path, initramfs):
    pool_file = tmp_path / "pool.img"
    assert pool("create", pool_file, "32M").code == 0
    assert pool("add", pool_file, "data", f"{VOLUME_MIB}M").code == 0

    cfg = vm_cfg(tmp_path, "w", initramfs(run=WRITE_AND_IDLE))
    md5, code, console, qemus = run_until_fsynced(cfg, pool_file, tmp_path / "first.log")
    assert md5, console
    assert len(qemus) == 1, console
    # Bulkhead drives the pool disk with its cache flush negotiated
    assert any(l.startswith("(hv) disk vda: virtio-blk") and
               "flush" in l.rstrip().split("), ", 1)[-1].split(", ")
               for l in console.splitlines()), console
    # QEMU died of the signal: the guest never got to its own end
    assert code == 1 and "QEMU exited with status -9" in console, console
    assert "NOT-KILLED" not in console and "powering off" not in console, console
    assert md5 != hashlib.md5(bytes(PATTERN_MIB * MIB)).hexdigest()

    # the host's view: the pool file as QEMU left it
    out = tmp_path / "data.out"
    assert pool("export", pool_file, "data", out).code == 0
    data = out.read_bytes()
    region = data[REGION_MIB * MIB:(REGION_MIB + PATTERN_MIB) * MIB]
    assert hashlib.md5(region).hexdigest() == md5
    assert pool("check", pool_file).code == 0

    # the next boot's guest reads it back through Bulkhead
    cfg = vm_cfg(tmp_path, "r", initramfs(run=READ_BACK))
    run = run_vms(cfg, timeout=BOOT_DEADLINE, args=("--cpus", "2", "--mem", "512",
                                                    "--disk", str(pool_file)))
    assert run.code == 0, run
    assert f"READBACK {md5}" in run.vm_lines("r"), run
