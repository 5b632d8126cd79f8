"""Each vCPU's PMUv3 (arch/arm64/vpmu.c), under -icount: QEMU counts
INST_RETIRED only there, and a cycle is then one instruction's nanosecond."""

import re
import subprocess

import pytest

from conftest import KERNEL, MKINITRAMFS, ROOT, run_vms

PERFCOUNT = f"{ROOT}/build/linux/perfcount"

# Linux's PMU driver's line, then a `perf stat` of a 2 x 10M-instruction loop.
LINUX_RUN = """#!/bin/sh
dmesg | grep 'hw perfevents'
/bin/perfcount 10000000
poweroff
"""

PMU_CHECKS = ["pmu-shown", "pmu-regs", "pmu-cycles", "pmu-instructions", "pmu-overflow",
              "pmu-disable-flagged"]


@pytest.fixture(scope="module")
def pmu_run(tmp_path_factory):
    cfg = tmp_path_factory.mktemp("pmu") / "pmu.cfg"
    cfg.write_text(f'name = "pmu"\nmemory = 64\nkernel = "{ROOT}/build/guests/test/test.bin"\n'
                   'extra = "test=pmu"\n')
    return run_vms(str(cfg), args=("--icount", "--cpus", "1"))


@pytest.mark.parametrize("name", PMU_CHECKS)
def test_pmu_check_passes(pmu_run, name):
    assert pmu_run.code == 0, pmu_run
    assert f"CHECK {name}: PASS" in pmu_run.vm_lines("pmu"), pmu_run


def test_counts_do_not_leak_between_vms_on_one_cpu(vmcfg):
    """Two VMs take turns on one CPU, each counting a 200 ms loop: each counts
    exactly its own instructions, and cycles only while it ran."""
    cfgs = [vmcfg(name, memory=32, extra=f"test=pmuleak name={name}") for name in ("pa", "pb")]
    run = run_vms(*cfgs, args=("--icount", "--cpus", "1"))
    assert run.code == 0, run
    for name in ("pa", "pb"):
        assert "CHECK pmu-private: PASS" in run.vm_lines(name), run


def test_linux_perf_counts_instructions_and_cycles(tmp_path, vmcfg, linux_payload):
    """Debian's kernel finds the PMUv3 in its device tree and counts a
    user-space loop: exactly its instructions (plus the few around it)."""
    script = tmp_path / "run.sh"
    script.write_text(LINUX_RUN)
    initrd = tmp_path / "initramfs.cpio.gz"
    subprocess.run([MKINITRAMFS, "--run", str(script), "--add", f"{PERFCOUNT}:/bin/perfcount",
                    "-o", str(initrd)], check=True, stdout=subprocess.DEVNULL)
    cfg = vmcfg("perf", vcpus=1, memory=256, kernel=KERNEL, ramdisk=str(initrd),
                extra="console=ttyAMA0 quiet")
    run = run_vms(cfg, timeout=300, args=("--icount", "--cpus", "1"))
    lines = run.vm_lines("perf")
    assert run.code == 0, run
    driver = [l for l in lines if re.search(r"hw perfevents: enabled with armv8_pmuv3\S* PMU "
                                            r"driver, \d+ counters available", l)]
    assert driver, run
    counts = [l for l in lines if l.startswith("PERFCOUNT ")]
    assert counts and "error" not in counts[0], run
    found = dict(kv.split("=") for kv in counts[0].split()[1:])
    insts, cycles = int(found["instructions"]), int(found["cycles"])
    assert 20_000_000 <= insts <= 20_000_000 + 10_000, counts
    # under -icount a cycle is an instruction's nanosecond
    assert 10_000_000 <= cycles <= 40_000_000, counts
