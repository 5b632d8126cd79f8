"""Faults a guest takes where real hardware would take them: inside its own
vector table and past it, in a handler, and thousands of times at one
instruction its handler skips; only a guest that can never take an
exception is crashed. And timer values near 2^64 stall nobody."""

from conftest import run_vms

VECFAULT_CHECKS = ["fault-in-vector-slot", "fault-past-vectors", "handler-faults-in-slot",
                   "probe-loop"]


def test_faults_in_and_past_the_vector_table_are_delivered(vmcfg):
    faulter = vmcfg("faulter", extra="test=vecfault", on_crash="destroy")
    run = run_vms(faulter)
    assert run.code == 0, run
    lines = run.vm_lines("faulter")
    for name in VECFAULT_CHECKS:
        assert f"CHECK {name}: PASS" in lines, run
    assert [l for l in lines if l.startswith("RESULT ")] == [
        f"RESULT {len(VECFAULT_CHECKS)} passed, 0 failed"], run
    assert not [l for l in run.hv_lines() if "' crashed:" in l], run


def test_vector_at_unmapped_ipa_is_a_crash_with_its_reason(vmcfg):
    crasher = vmcfg("crasher", extra="test=crash", on_crash="destroy")
    other = vmcfg("other", extra="test=hello name=other")
    run = run_vms(crasher, other)
    assert run.code == 1, run
    assert any(l.startswith("vm 1 'crasher' crashed: cannot take exceptions: its vector at 0x")
               and "faults itself" in l and l.endswith("on_crash=destroy")
               for l in run.hv_lines()), run
    assert "tick 4" in run.vm_lines("other"), run


def test_timer_compare_near_2_64_stalls_nobody(vmcfg):
    staller = vmcfg("staller", extra="test=timerstall")
    other = vmcfg("other", extra="test=hello name=other", sched="pinned")
    run = run_vms(staller, other, args=("--cpus", "2"))
    assert run.code == 0, run
    assert "stall tick 4" in run.vm_lines("staller"), run
    assert "tick 4" in run.vm_lines("other"), run
