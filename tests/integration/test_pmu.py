"""Each vCPU's PMUv3 (arch/arm64/vpmu.c), under -icount: QEMU counts
INST_RETIRED only there, and a cycle is then one instruction's nanosecond."""

import pytest

from conftest import ROOT, run_vms

PMU_CHECKS = ["pmu-shown", "pmu-regs", "pmu-cycles", "pmu-instructions", "pmu-overflow"]


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
