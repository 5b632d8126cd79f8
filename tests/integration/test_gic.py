"""The test guest's `gic` mode: PSCI CPU_ON/OFF/AFFINITY_INFO, SGIs, the
virtual and physical timers' PPIs and their levels, the UART SPI (to either vCPU), priorities, masking, more
pending interrupts than list registers, and WFI blocking and wake-ups on a
2-vCPU VM, with the vCPUs on their own CPUs and sharing one."""

import re

import pytest

from conftest import TEST_GUEST, run_vms

GIC_CHECKS = ["gic-setup", "psci-cpu-on-errors", "psci-cpu-on", "sgi", "sgi-self-broadcast",
              "ppi-timer", "wfi-blocks", "ptimer", "timer-level", "spi-uart", "level-refire", "spi-route", "priority", "masking",
              "lr-overflow", "wfi", "cpu-off"]
BENCHES = ["timer-irq-latency-ns", "ipi-roundtrip-ns"]


def gic_cfg(folder):
    cfg = folder / "gicvm.cfg"
    cfg.write_text(f'name = "gicvm"\nvcpus = 2\nmemory = 64\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=gic"\n')
    return str(cfg)


@pytest.fixture(scope="module")
def gic_run(tmp_path_factory):
    return run_vms(gic_cfg(tmp_path_factory.mktemp("gic")))


def failures(run):
    """What a reader needs when a check fails: the guest's verdicts."""
    guest = run.vm_lines("gicvm")
    bad = [line for line in guest if line.startswith("CHECK ") and ": PASS" not in line]
    return "\n".join(bad) + f"\n{run!r}"


def test_runs_two_vcpus_and_powers_off(gic_run):
    assert gic_run.code == 0, gic_run
    hv = gic_run.hv_lines()
    assert any(re.match(r"vm 1 'gicvm' \(gicvm.cfg\): 2 vCPUs", line) for line in hv), gic_run
    assert any("'gicvm' powered off (PSCI SYSTEM_OFF)" in line for line in hv), gic_run


@pytest.mark.parametrize("name", GIC_CHECKS)
def test_gic_check_passes(gic_run, name):
    assert f"CHECK {name}: PASS" in gic_run.vm_lines("gicvm"), failures(gic_run)


def test_gic_reports_no_failure(gic_run):
    guest = gic_run.vm_lines("gicvm")
    result = [line for line in guest if line.startswith("RESULT ")]
    assert result == [f"RESULT {len(GIC_CHECKS)} passed, 0 failed"], failures(gic_run)
    assert not [line for line in guest if "FAIL" in line], failures(gic_run)


@pytest.mark.parametrize("name", BENCHES)
def test_gic_bench_is_reported(gic_run, name):
    guest = gic_run.vm_lines("gicvm")
    assert any(re.fullmatch(rf"BENCH {name} \d+", line) for line in guest), gic_run


def test_gic_checks_pass_with_both_vcpus_on_one_cpu(tmp_path):
    """Both vCPUs share CPU 0: a vCPU that CPU_ON or an SGI makes runnable must
    get the CPU while the other one polls for it."""
    run = run_vms(gic_cfg(tmp_path), args=("--cpus", "1"))
    assert run.code == 0, run
    guest = run.vm_lines("gicvm")
    for name in GIC_CHECKS:
        assert f"CHECK {name}: PASS" in guest, failures(run)
    assert f"RESULT {len(GIC_CHECKS)} passed, 0 failed" in guest, failures(run)
