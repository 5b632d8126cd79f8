"""SVE for guests: shown as the VM's `sve` says, every vCPU's Z, P, FFR and
ZCR_EL1 its own.

Two test guests share one CPU, each holding its own pattern in all its SVE
registers at its own vector length (the machine's 2048 bits, and 256 capped
by `sve`) while it writes and reads its disk (Bulkhead copies that data with
SIMD registers): any state crossing from one to the other, or a copy that
does not keep the upper bits of the Z registers, fails the guest's check.
"""

import os

import pytest

from conftest import KERNEL, ROOT, TEST_GUEST, bulkhead, run_vms

HAS_POOL = os.path.exists(os.path.join(ROOT, "storage", "volume.c"))


def keep_cfg(tmp_path, name, vl, sve=None, disk=None, ms=8000):
    io = " io=1" if disk else ""
    text = (f'name = "{name}"\nmemory = 32\ncpus = "0"\nkernel = "{TEST_GUEST}"\n'
            f'extra = "test=sve-keep vl={vl} name={name} ms={ms}{io}"\n')
    if sve is not None:
        text += f"sve = {sve}\n"
    if disk:
        text += f"disk = [ 'vdev=xvda, access=rw, target={disk}' ]\n"
    path = tmp_path / f"{name}.cfg"
    path.write_text(text)
    return str(path)


@pytest.mark.skipif(not HAS_POOL, reason="the pool's volumes are not in this tree yet")
def test_two_vms_keep_their_own_sve_state_through_disk_copies(tmp_path):
    pool = tmp_path / "pool.img"
    assert bulkhead("pool", "create", str(pool), "16M").code == 0
    for vol in ("da", "db"):
        assert bulkhead("pool", "add", str(pool), vol, "4M").code == 0
    cfgs = [keep_cfg(tmp_path, "wide", 2048, disk="da"),
            keep_cfg(tmp_path, "narrow", 256, sve='"256"', disk="db")]
    run = run_vms(*cfgs, timeout=240, args=("--cpus", "1", "--disk", str(pool)))
    assert run.code == 0, run
    for name in ("wide", "narrow"):
        lines = run.vm_lines(name)
        assert "CHECK sve-keep: PASS" in lines, run
        kept = [l for l in lines if l.startswith("SVE-KEPT ")]
        assert kept and " 0 disk rounds" not in kept[0], run


def test_sve_disabled_is_hidden(tmp_path):
    run = run_vms(keep_cfg(tmp_path, "nosve", 0, sve='"disabled"'))
    assert run.code == 0, run
    assert "CHECK sve-keep: PASS" in run.vm_lines("nosve"), run


def test_longer_than_the_machine_is_refused_with_file_line_key(tmp_path):
    cfg = keep_cfg(tmp_path, "toolong", 2048, sve=2048)
    run = run_vms(cfg, args=("--cpu", "max,sve-max-vq=4,pauth-impdef=on"))
    assert ("toolong.cfg:6: sve: 2048 bits is longer than this machine's SVE vectors "
            "(512 bits); VM not created") in "\n".join(run.hv_lines()), run


# Linux says what SVE it found; every line is bounded, then a plain poweroff.
LINUX_SVE = """#!/bin/sh
echo "FEATURES $(grep -m1 ^Features /proc/cpuinfo | cut -d: -f2)"
echo "SVE-DEFAULT-VL $(cat /proc/sys/abi/sve_default_vector_length)"
dmesg | grep -i 'SVE: maximum' | sed 's/^.*SVE: /SVE-BOOT /'
poweroff
"""


def test_debian_linux_sees_sve_capped_by_the_config(tmp_path, initramfs):
    cfg = tmp_path / "deb.cfg"
    cfg.write_text(f'name = "deb"\nvcpus = 2\nmemory = 256\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initramfs(run=LINUX_SVE)}"\nextra = "console=ttyAMA0 quiet"\n'
                   f'sve = "256"\n')
    run = run_vms(str(cfg), timeout=240)
    lines = run.vm_lines("deb")
    assert run.code == 0, run
    features = [l for l in lines if l.startswith("FEATURES ")]
    assert features and "sve" in features[0].split(), run
    assert "sve2" in features[0].split(), run   # -cpu max has SVE2: shown as the CPU has it
    # 256 bits = 32 bytes: the longest the VM may use, below Linux's 64-byte default
    assert "SVE-DEFAULT-VL 32" in lines, run
    assert any(l.startswith("SVE-BOOT maximum available vector length 32 bytes") for l in lines), run
