"""The fuzz guest (guests/fuzz/) with fixed seeds, on 1 and 4 vCPUs, beside a
Linux VM that must keep working: no register may change that an op did not
ask to change, no vCPU may hang, the hypervisor may neither panic nor crash
a VM. `make fuzz-guest` runs more seeds for longer (docs/fuzzing.md)."""

import re

from conftest import KERNEL, ROOT, run_vms

FUZZ_GUEST = f"{ROOT}/build/guests/fuzz/fuzz.bin"

# Seeds that once found a bug stay here (docs/fuzzing.md), with enough ops
# to reach it. 100: op 5352 cleared PMCR_EL0.E with a PMU overflow flagged,
# and QEMU's PMU line stayed high: an interrupt storm at EL2 (vpmu.c).
OPS = 3000
SEEDS_1CPU = {1: OPS, 100: 5400}
SEEDS_4CPU = {2: OPS}

LINUX_RUN = """#!/bin/sh
for i in 1 2 3 4 5; do
    echo "LINUX-TICK $i $(echo tick$i | md5sum | cut -c1-8)"
    sleep 1
done
echo LINUX-DONE
poweroff
"""


def fuzz_cfg(vmcfg, name, vcpus, seed, ops, extra=""):
    return vmcfg(name, vcpus=vcpus, memory=32, kernel=FUZZ_GUEST, on_crash="destroy",
                 extra=f"seed={seed} ops={ops} {extra}".strip())


DONE = re.compile(r"FUZZ DONE (seed=\d+ ops=\d+ secondary_runs=\d+ faults=\d+ calls=\d+ "
                  r"violations=\d+)")


def done_line(run, name):
    """The FUZZ DONE fields of VM `name` (anywhere in its output: the fuzzer
    writes random bytes to its UART, so lines can be ragged). On a loaded
    host the console may show the line in two pieces (a partial line is
    written out once it has waited long enough, and the rest follows under
    the VM's prefix again), so the pieces are tried joined too: a match that
    ends where one of the VM's lines ended."""
    lines = run.vm_lines(name)
    m = DONE.search("\n".join(lines))
    if not m:
        flat, ends = "", set()
        for line in lines:
            flat += line
            ends.add(len(flat))
        ending = re.compile(DONE.pattern + "$")   # `$` at endpos: a line's end
        m = next((c for c in (ending.search(flat, 0, e) for e in sorted(ends)) if c), None)
    assert m, run
    return dict(kv.split("=") for kv in m.group(1).split())


def test_fixed_seeds_on_1_and_4_vcpus_beside_linux(vmcfg, initramfs):
    cfgs = [fuzz_cfg(vmcfg, f"f1s{s}", 1, s, ops) for s, ops in SEEDS_1CPU.items()]
    cfgs += [fuzz_cfg(vmcfg, f"f4s{s}", 4, s, ops) for s, ops in SEEDS_4CPU.items()]
    linux = vmcfg("linux", vcpus=1, memory=128, kernel=KERNEL, ramdisk=initramfs(run=LINUX_RUN),
                  extra="console=ttyAMA0 quiet")
    run = run_vms(*cfgs, linux, timeout=400)
    assert run.code == 0, run
    assert not [l for l in run.hv_lines() if "' crashed:" in l or "PANIC" in l], run
    assert "no VM is running (0 crashed): powering off" in run.hv_lines(), run
    ops_of = {f"f1s{s}": ops for s, ops in SEEDS_1CPU.items()}
    ops_of.update({f"f4s{s}": ops for s, ops in SEEDS_4CPU.items()})
    for name, ops in ops_of.items():
        assert "FUZZ VIOLATION" not in "\n".join(run.vm_lines(name)), run
        done = done_line(run, name)
        assert done["violations"] == "0", run
        assert int(done["ops"]) >= ops, run
        assert int(done["faults"]) > 0 and int(done["calls"]) > 0, done
    assert int(done_line(run, f"f4s{next(iter(SEEDS_4CPU))}")["secondary_runs"]) > 0, run
    lines = run.vm_lines("linux")
    assert [l for l in lines if l.startswith("LINUX-TICK ")][-1].startswith("LINUX-TICK 5 "), run
    assert "LINUX-DONE" in lines, run


def test_the_check_reports_a_register_changed_behind_its_back(vmcfg):
    """fuzz_selftest=1: the first op changes a register it does not name;
    the fuzzer must say so, or a clean run would prove nothing."""
    run = run_vms(fuzz_cfg(vmcfg, "selftest", 1, 3, 20, "fuzz_selftest=1"), timeout=120)
    assert run.code == 0, run
    text = "\n".join(run.vm_lines("selftest"))
    assert re.search(r"FUZZ VIOLATION seed 3 cpu 0 op 0 \(selftest 0x0\) insn 0x[0-9a-f]{8}: "
                     r"x\d+ changed 0x0 -> 0x5e1f", text), run
    assert done_line(run, "selftest")["violations"] == "1", run
