"""Work Bulkhead does for one VM never holds the CPU from its neighbours
past a time slice (issue 14): a big VM's set/way flushes, its RAM scrubbed
on every restart, its RAM scrubbed when it is destroyed.

Each test runs a `latency` VM (timer shots in WFI, reporting the worst
lateness of its timer interrupt) on the same CPU as the VM that makes
Bulkhead work, under --icount (virtual time is instructions: the bound is
functional, not a speed claim). With 10 ms slices, no shot may be later
than two slices.
"""
import re

from conftest import run_vms

SLICE_MS = 10
BOUND_NS = 2 * SLICE_MS * 1_000_000


def worst_ns(run, name):
    for line in run.vm_lines(name):
        m = re.match(r"BENCH wfi-timer-latency-ns avg (\d+) max (\d+) over (\d+) shots", line)
        if m:
            return int(m.group(2)), int(m.group(3))
    raise AssertionError(f"{name} printed no latency line\n{run}")


def latency_beside(vmcfg, noisy, ms=1500):
    lat = vmcfg("lat", extra=f"test=latency ms={ms}", cpus="0")
    run = run_vms(noisy, lat, args=("--cpus", "1", "--icount"), timeout=300)
    worst, shots = worst_ns(run, "lat")
    return run, worst, shots


def test_set_way_flushes_of_a_big_vm_keep_the_neighbour_on_time(vmcfg):
    sw = vmcfg("sw", memory=1024, extra="test=setwayloop ms=1500", cpus="0")
    run, worst, shots = latency_beside(vmcfg, sw)
    assert run.code == 0, run
    assert any(l.startswith("setwayloop: ") and "rounds" in l for l in run.vm_lines("sw")), run
    assert worst <= BOUND_NS, f"worst timer latency {worst} ns over {shots} shots\n{run}"


def test_restart_loop_of_a_big_vm_keeps_the_neighbour_on_time(vmcfg):
    rs = vmcfg("rs", memory=1024, extra="test=resetloop ms=3000", on_reboot="restart",
               cpus="0")
    run, worst, shots = latency_beside(vmcfg, rs)
    assert run.code == 0, run
    boots = run.vm_lines("rs").count("resetloop: boot")
    assert boots >= 2, run
    assert worst <= BOUND_NS, f"worst timer latency {worst} ns over {shots} shots, " \
                              f"{boots} boots of rs\n{run}"


def test_destroying_a_big_vm_keeps_the_neighbour_on_time(vmcfg):
    """`hello` powers off after 80 ms; on_poweroff destroys it, and its 1 GiB
    is scrubbed while the neighbour measures."""
    gone = vmcfg("gone", memory=1024, extra="test=hello name=gone", cpus="0")
    run, worst, shots = latency_beside(vmcfg, gone, ms=800)
    assert run.code == 0, run
    assert "tick 4" in run.vm_lines("gone"), run
    assert worst <= BOUND_NS, f"worst timer latency {worst} ns over {shots} shots\n{run}"
