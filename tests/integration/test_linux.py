"""Debian's own arm64 kernel, unmodified, as an SMP guest."""

import os
import re
import subprocess

import pytest

from conftest import KERNEL, run_vms


REPORT_INIT = """#!/bin/sh
. /lib/bulkhead/setup.sh
echo "INIT-START $(uname -r)"
echo "CPUS $(grep -c ^processor /proc/cpuinfo)"
sleep 1
cat /proc/interrupts
lsmod | grep -c virtio | sed 's/^/VIRTIO-MODULES /'
echo "INIT-DONE"
poweroff -f
"""

REBOOT_INIT = """#!/bin/sh
. /lib/bulkhead/setup.sh
echo "BOOTED $(grep -c ^processor /proc/cpuinfo)"
reboot -f
"""


def linux_cfg(vmcfg, name, initrd, vcpus=2, memory=256, **keys):
    return vmcfg(name, vcpus=vcpus, memory=memory, kernel=KERNEL, ramdisk=initrd,
                 extra="console=ttyAMA0 quiet", **keys)


def interrupt_counts(lines, label):
    """Per-CPU counts of the /proc/interrupts row whose description contains label."""
    for line in lines:
        if label in line and ":" in line:
            fields = line.split(":", 1)[1].split()
            counts = []
            for field in fields:
                if not field.isdigit():
                    break
                counts.append(int(field))
            return counts
    return []


def test_two_vcpus_boot_to_the_shell_and_power_off(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "deb", initramfs(REPORT_INIT))
    run = run_vms(cfg, timeout=240)
    lines = run.vm_lines("deb")
    assert run.code == 0, run
    assert any(l.startswith("INIT-START 6.") for l in lines), run
    assert "CPUS 2" in lines, run
    assert "INIT-DONE" in lines, run
    # the virtual timer and IPIs count on every CPU
    timer = interrupt_counts(lines, "arch_timer")
    assert len(timer) == 2 and min(timer) > 0, lines
    for ipi in ("Rescheduling interrupts", "Function call interrupts"):
        counts = interrupt_counts(lines, ipi)
        assert len(counts) == 2 and sum(counts) > 0, (ipi, lines)
    assert any(l.endswith("Rescheduling interrupts") or "IPI" in l for l in lines)
    assert "VIRTIO-MODULES 5" in lines or any(l.startswith("VIRTIO-MODULES ") and
                                              int(l.split()[1]) >= 5 for l in lines), lines
    assert "vm 1 'deb' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines()


def test_reboot_restarts_the_vm(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "rb", initramfs(REBOOT_INIT), on_reboot="restart")
    run = run_vms(cfg, timeout=90)
    boots = [l for l in run.vm_lines("rb") if l.startswith("BOOTED ")]
    assert len(boots) >= 2, run
    assert all(b == "BOOTED 2" for b in boots), boots
    assert run.hv_lines().count("vm 1 'rb' rebooted (PSCI SYSTEM_RESET); on_reboot=restart") >= 1


def test_four_vcpus_on_two_physical_cpus(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "quad", initramfs(REPORT_INIT), vcpus=4)
    run = run_vms(cfg, timeout=300, args=("--cpus", "2"))
    lines = run.vm_lines("quad")
    assert run.code == 0, run
    assert "CPUS 4" in lines, run
    timer = interrupt_counts(lines, "arch_timer")
    assert len(timer) == 4 and min(timer) > 0, lines


def test_smoke_boot_on_cortex_a53(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "a53", initramfs(REPORT_INIT))
    run = run_vms(cfg, timeout=300, args=("--cpu", "cortex-a53", "--cpus", "2"))
    assert run.code == 0, run
    assert "CPUS 2" in run.vm_lines("a53"), run
    assert "INIT-DONE" in run.vm_lines("a53"), run


WORK_INIT = """#!/bin/sh
. /lib/bulkhead/setup.sh
echo "CPUS $(grep -c ^processor /proc/cpuinfo)"
i=0
while [ $i -lt 3 ]; do
    echo "SUM $i $(seq 1 3000 | awk '{ s += $1 } END { print s }')"
    i=$((i + 1))
done
echo "WORK-DONE"
poweroff -f
"""


def test_two_linux_vms_and_a_test_guest_share_two_cpus(vmcfg, initramfs):
    """Two Debian VMs (2 vCPUs each) and the test guest's checks at once on
    2 physical CPUs: each proves it works, and each ends on its own."""
    initrd = initramfs(WORK_INIT)
    deb1 = linux_cfg(vmcfg, "deb1", initrd, memory=192)
    deb2 = linux_cfg(vmcfg, "deb2", initrd, memory=192, weight=512)
    tg = vmcfg("checks", extra="test=all")
    run = run_vms(deb1, deb2, tg, args=("--cpus", "2"), timeout=300)
    assert run.code == 0, run
    for name in ("deb1", "deb2"):
        lines = run.vm_lines(name)
        assert "CPUS 2" in lines, run
        assert [l for l in lines if l.startswith("SUM ")] == \
            [f"SUM {i} 4501500" for i in range(3)], run
        assert "WORK-DONE" in lines, run
        assert f"'{name}' powered off (PSCI SYSTEM_OFF)" in run.out
    checks = [l for l in run.vm_lines("checks") if l.startswith("RESULT ")]
    assert len(checks) == 1 and checks[0].endswith(" 0 failed"), run
