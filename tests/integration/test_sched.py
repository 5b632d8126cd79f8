"""The scheduler: credit weights and caps, pinned VMs, idle CPUs taking work.

CPU shares are read from the test guest's progress counters (mode spin),
counted over the same window of virtual time in each VM, under -icount so
that the counts are instructions executed.
"""
import re

import pexpect

from conftest import TEST_GUEST, console_run, run_vms


def progress(run, name):
    for line in run.vm_lines(name):
        m = re.match(r"PROGRESS (\d+) passes", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"{name} printed no PROGRESS line\n{run}")


def test_weights_2_to_1_on_one_cpu(vmcfg):
    heavy = vmcfg("heavy", extra="test=spin", weight=512)
    light = vmcfg("light", extra="test=spin", weight=256)
    run = run_vms(heavy, light, args=("--cpus", "1", "--icount"), timeout=120)
    assert run.code == 0, run
    ratio = progress(run, "heavy") / progress(run, "light")
    assert 1.8 <= ratio <= 2.2, f"heavy/light = {ratio:.3f}\n{run}"


def test_equal_weights_share_equally(vmcfg):
    a = vmcfg("a", extra="test=spin")
    b = vmcfg("b", extra="test=spin")
    run = run_vms(a, b, args=("--cpus", "1", "--icount"), timeout=120)
    assert run.code == 0, run
    ratio = progress(run, "a") / progress(run, "b")
    assert 0.9 <= ratio <= 1.1, f"a/b = {ratio:.3f}\n{run}"


def test_cap_limits_a_vm_even_with_the_cpu_to_spare(vmcfg):
    """cap=25 next to an uncapped VM of the same weight: 1:3, not 1:1."""
    capped = vmcfg("capped", extra="test=spin", cap=25)
    free = vmcfg("free", extra="test=spin")
    run = run_vms(capped, free, args=("--cpus", "1", "--icount"), timeout=120)
    assert run.code == 0, run
    ratio = progress(run, "capped") / progress(run, "free")
    assert 0.25 <= ratio <= 0.42, f"capped/free = {ratio:.3f}\n{run}"


def test_pinned_vm_owns_its_cpu_beside_a_noisy_neighbour(vmcfg):
    rt = vmcfg("rt", extra="test=latency", sched="pinned")
    noisy = vmcfg("noisy", extra="test=spin ms=3000", cpus="0-1")
    run = run_vms(noisy, rt, args=("--cpus", "2"), timeout=120)
    assert run.code == 0, run
    hv = run.hv_lines()
    # pinned VMs are placed first, on the highest free CPU; nothing else goes there
    assert "vm 1 'rt': vCPU 0 on cpu 1" in hv, run
    assert "vm 2 'noisy': vCPU 0 on cpu 0" in hv, run
    assert any(l.startswith("BENCH wfi-timer-latency-ns") for l in run.vm_lines("rt")), run
    assert progress(run, "noisy") > 0


def test_shared_vm_woken_by_its_timer_beside_a_noisy_neighbour(vmcfg):
    """A vCPU sleeping in WFI on a busy CPU still gets every timer interrupt."""
    lat = vmcfg("lat", extra="test=latency")
    noisy = vmcfg("noisy", extra="test=spin ms=3000")
    run = run_vms(noisy, lat, args=("--cpus", "1"), timeout=120)
    assert run.code == 0, run
    assert any(l.startswith("BENCH wfi-timer-latency-ns") for l in run.vm_lines("lat")), run


def test_pinned_vm_without_a_free_cpu_is_refused(vmcfg):
    a = vmcfg("first", extra="test=hello name=first", sched="pinned", cpus="1")
    b = vmcfg("second", extra="test=hello name=second", sched="pinned", cpus="1")
    # found before boot now, by replaying the hypervisor's placement (tools/cpu_check.py)
    run = run_vms(a, b, args=("--cpus", "2"))
    assert run.code == 2 and run.out == "", run
    assert f"{b}:5: sched: \"pinned\" needs a free CPU for each of its 1 vCPUs, and the " \
           "2-CPU machine (--cpus) has 0 of its `cpus` left (the others are owned by first)" \
           in run.err, run


def test_idle_cpu_takes_waiting_work(vmcfg):
    """Two short and two long VMs over two CPUs: once the short ones end,
    the CPU they leave idle takes one of the long ones from the other."""
    cfgs = [vmcfg("short0", extra="test=spin ms=300"), vmcfg("long0", extra="test=spin ms=2500"),
            vmcfg("short1", extra="test=spin ms=300"), vmcfg("long1", extra="test=spin ms=2500")]
    run = run_vms(*cfgs, args=("--cpus", "2", "--loglevel", "debug"), timeout=120)
    assert run.code == 0, run
    hv = run.hv_lines()
    placed = {m.group(1): m.group(2) for m in
              (re.match(r"vm \d+ '(\w+)': vCPU 0 on cpu (\d)", l) for l in hv) if m}
    assert placed["long0"] == placed["long1"] or placed["short0"] == placed["short1"], placed
    assert any(re.match(r"cpu \d took vm '(long|short)\d' vCPU 0 from cpu \d", l) for l in hv), run


def test_sched_credit_shows_and_sets_weight_and_cap(tmp_path):
    cfg = tmp_path / "w.cfg"
    cfg.write_text(f'name = "w"\nmemory = 16\nkernel = "{TEST_GUEST}"\nextra = "test=reset"\n'
                   'on_reboot = "restart"\nweight = 300\n')
    with console_run("--timeout", "60", str(cfg), timeout=40) as p:
        p.expect(r"\(w\) reset test: boot")
        p.send("sched-credit\r")
        p.expect(r"\(hv\) w +300 +0  shared")
        p.send("sched-credit w weight=512 cap=50\r")
        p.expect(r"\(hv\) w +512 +50  shared")
        p.send("info w\r")
        p.expect(r"\(hv\)   sched shared: weight 512, cap 50%")
        p.send("sched-credit w weight=0\r")
        p.expect(r"\(hv\) sched-credit w: weight must be 1-65535")
        p.send("sched-credit w speed=3\r")
        p.expect(r"\(hv\) sched-credit: usage: sched-credit \[VM \[weight=W\] \[cap=C\]\]")
        p.send("sched-credit nosuch\r")
        p.expect(r"\(hv\) sched-credit: no VM 'nosuch' \(see list\)")
        p.expect(r"\(w\) reset test: boot")  # capped at 50%, it still runs
        p.send("destroy w\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0


def stats_irqs(p, name):
    """The physical-interrupt exits of VM `name` from the shell's `stats`."""
    p.send(f"stats {name}\r")
    p.expect(rf"\(hv\) {name} +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) ")
    return int(p.match.group(6))


def test_pinned_vm_runs_without_a_tick(vmcfg):
    """A CPU-bound pinned VM is never interrupted by a time-slice tick, while
    two CPU-bound shared VMs on one CPU are, every slice."""
    solo = vmcfg("solo", extra="test=spin ms=6000", sched="pinned")
    pair = [vmcfg(f"pair{i}", extra="test=spin ms=6000", cpus="0") for i in range(2)]
    with console_run("--cpus", "2", "--timeout", "90", solo, *pair, timeout=60) as p:
        p.expect(r"\(hv\) vm 1 'solo': vCPU 0 on cpu 1")
        p.expect(r"\(solo\) PROGRESS")
        solo_irqs = stats_irqs(p, "solo")
        pair_irqs = stats_irqs(p, "pair0")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0
    assert solo_irqs <= 5, solo_irqs    # no tick: only the console's rare work, if any
    assert pair_irqs >= 20, pair_irqs   # 10 ms slices for more than a second


def test_idle_cpu_takes_a_cpu_bound_vcpu(vmcfg):
    """Two CPU-bound VMs on CPU 0 (they never block or wake): once one may
    also use CPU 1, the idle CPU 1 takes it."""
    pair = [vmcfg(f"busy{i}", extra="test=spin ms=8000", cpus="0") for i in range(2)]
    with console_run("--cpus", "2", "--timeout", "90", *pair, timeout=60) as p:
        p.expect(r"\(busy1\) spin: counting")
        p.send("vcpu-pin busy1 0 0-1\r")
        p.expect(r"\(hv\) vm 2 'busy1' vCPU 0 now on cpu 0 \(may use cpus 0-1\)")
        for _ in range(50):
            p.send("vcpu-list\r")
            p.expect(r"\(hv\) busy1 +0 +(\d) ")
            if p.match.group(1) == "1":
                break
        else:
            raise AssertionError("busy1 never moved to the idle CPU 1")
        p.send("destroy busy0\r")
        p.send("destroy busy1\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
