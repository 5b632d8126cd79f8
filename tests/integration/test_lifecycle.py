"""Several VMs, crash containment and the on_* policies."""

from conftest import run_vms


def test_two_vms_print_under_their_own_names(vmcfg):
    a = vmcfg("alpha", extra="test=hello name=alpha")
    b = vmcfg("beta", extra="test=hello name=beta")
    run = run_vms(a, b)
    assert run.code == 0, run
    for name in ("alpha", "beta"):
        lines = run.vm_lines(name)
        assert f"hello from {name}" in lines, run
        assert [l for l in lines if l.startswith("tick ")] == [f"tick {i}" for i in range(5)]
    hv = run.hv_lines()
    assert "vm 1 'alpha' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in hv
    assert "vm 2 'beta' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in hv


def test_crashed_vm_is_destroyed_and_others_carry_on(vmcfg):
    crasher = vmcfg("crasher", extra="test=crash", on_crash="destroy")
    other = vmcfg("other", extra="test=hello name=other")
    run = run_vms(crasher, other)
    assert run.code == 1, run  # a crashed VM makes the run fail
    crash = [i for i, l in enumerate(run.lines)
             if l.startswith("(hv) vm 1 'crasher' crashed: cannot take exceptions")
             and l.endswith("on_crash=destroy")]
    assert crash, run
    assert "tick 4" in run.vm_lines("other"), run
    assert "vm 2 'other' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines()
    assert "no VM is running (1 crashed): powering off" in run.hv_lines()


def test_on_crash_restart_boots_the_vm_again(vmcfg):
    crasher = vmcfg("crasher", extra="test=crash", on_crash="restart")
    run = run_vms(crasher, timeout=10)
    assert run.code != 0, run
    boots = run.vm_lines("crasher").count("crash test: faulting with no vector table")
    assert boots >= 2, run
    assert "PANIC" not in run.out


def test_on_crash_preserve_keeps_the_vm_stopped(vmcfg):
    crasher = vmcfg("crasher", extra="test=crash", on_crash="preserve")
    run = run_vms(crasher)
    assert run.code == 1, run
    assert run.vm_lines("crasher").count("crash test: faulting with no vector table") == 1
    assert any(l.startswith("vm 1 'crasher' crashed") and l.endswith("on_crash=preserve")
               for l in run.hv_lines()), run


def test_reboot_restarts_with_scrubbed_memory(vmcfg):
    """The guest fills its RAM before each reset; the next boot must find it zeroed."""
    cfg = vmcfg("resetter", memory=16, extra="test=reset", on_reboot="restart")
    run = run_vms(cfg, timeout=10)
    lines = run.vm_lines("resetter")
    assert lines.count("reset test: boot") >= 3, run
    assert lines.count("CHECK ram-zeroed: PASS") == lines.count("reset test: boot") or \
        lines.count("CHECK ram-zeroed: PASS") == lines.count("reset test: boot") - 1, run
    assert not [l for l in lines if "FAIL" in l], run
    assert any(l.startswith("reset test: wrote a pattern") for l in lines)
    assert run.hv_lines().count(
        "vm 1 'resetter' rebooted (PSCI SYSTEM_RESET); on_reboot=restart") >= 2


def test_reboot_with_on_reboot_destroy_ends_the_vm(vmcfg):
    cfg = vmcfg("resetter", memory=16, extra="test=reset", on_reboot="destroy")
    run = run_vms(cfg)
    assert run.code == 0, run
    assert run.vm_lines("resetter").count("reset test: boot") == 1
    assert "vm 1 'resetter' rebooted (PSCI SYSTEM_RESET); on_reboot=destroy" in run.hv_lines()


def test_poweroff_restart_policy(vmcfg):
    cfg = vmcfg("again", extra="test=hello name=again", on_poweroff="restart")
    run = run_vms(cfg, timeout=10)
    assert run.vm_lines("again").count("hello from again") >= 2, run


def test_more_vms_than_cpus_share_them(vmcfg):
    """Three VMs on one physical CPU take turns: their ticks interleave.
    Under -icount the guests' 20 ms spins are virtual time, so a loaded host
    cannot stretch one VM's slice past another's ticks."""
    cfgs = [vmcfg(f"vm{i}", extra=f"test=hello name=vm{i}") for i in range(3)]
    run = run_vms(*cfgs, args=("--cpus", "1", "--icount"))
    assert run.code == 0, run
    ticks = [line for line in run.lines if " tick " in line]
    for i in range(3):
        assert f"(vm{i}) tick 4" in ticks, run
    # round robin: every VM has printed tick 1 before any prints tick 3
    last_tick1 = max(ticks.index(f"(vm{i}) tick 1") for i in range(3))
    first_tick3 = min(ticks.index(f"(vm{i}) tick 3") for i in range(3))
    assert last_tick1 < first_tick3, ticks


def test_timeout_fails_the_run(vmcfg):
    cfg = vmcfg("resetter", memory=16, extra="test=reset", on_reboot="restart")
    run = run_vms(cfg, timeout=3)
    assert run.code == 3, run
    assert "timeout" in run.err


def test_fault_loop_is_a_crash_and_others_carry_on(vmcfg):
    looper = vmcfg("looper", extra="test=faultloop", on_crash="destroy")
    other = vmcfg("other", extra="test=hello name=other")
    run = run_vms(looper, other)
    assert run.code == 1, run
    assert any(l.startswith("vm 1 'looper' crashed: stuck in a fault loop: its handler returned "
                            "to the faulting instruction at 0x")
               and l.endswith("on_crash=destroy") for l in run.hv_lines()), run
    assert "tick 4" in run.vm_lines("other"), run


def test_guest_panic_notification_is_a_crash_and_restart_brings_it_back(vmcfg):
    panicker = vmcfg("panicker", extra="test=panic", on_crash="restart")
    other = vmcfg("other", extra="test=hello name=other")
    run = run_vms(panicker, other, timeout=15)
    assert run.code != 0, run  # restarted for ever: the run times out
    crashes = [l for l in run.hv_lines() if l.startswith(
        "vm 1 'panicker' crashed: the guest reported a panic (code 0xdead); on_crash=restart")]
    assert len(crashes) >= 2, run
    assert run.vm_lines("panicker").count("panic test: notifying the hypervisor") >= 2, run
    assert "tick 4" in run.vm_lines("other"), run
