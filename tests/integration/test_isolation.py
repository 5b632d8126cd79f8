"""Cross-VM isolation: a VM that sweeps guest-physical addresses over another
VM's physical RAM reaches none of it."""

import re

from conftest import TEST_GUEST, console_run

CTRL_A_3 = "\x01\x01\x01"
MIB = 1024 * 1024
SWEEP = (0x40000000, 0x50000000)  # holds Bulkhead and the first VMs' RAM
SWEEPER_RAM_BASE = 0x80000000     # its own window lies outside SWEEP
MAP = r"\(hv\) vm \d+ '{}' \(.*\): 1 vCPU, RAM IPA 0x([0-9a-f]+)-0x([0-9a-f]+) -> PA 0x([0-9a-f]+) \("


def test_a_vm_cannot_reach_another_vms_ram(tmp_path):
    """VM `held` fills its RAM with a pattern; only then is VM `sweeper`
    created, which loads and stores at every 2 MiB of SWEEP; then `held`
    is sent a key and checks its RAM."""
    held = tmp_path / "held.cfg"
    held.write_text(f'name = "held"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                    'extra = "test=fill"\n')
    sweeper = tmp_path / "sweeper.cfg"
    sweeper.write_text(f'name = "sweeper"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                       f'ram_base = {SWEEPER_RAM_BASE:#x}\nautostart = 0\n'
                       f'extra = "test=sweep sweep={SWEEP[0]:#x}-{SWEEP[1]:#x}"\n')
    with console_run("--cpus", "2", "--timeout", "300", str(held), str(sweeper), timeout=240,
                     log=tmp_path / "console.log") as p:
        p.expect(MAP.format("held"))
        ipa_lo, ipa_hi, pa = (int(g, 16) for g in p.match.groups())
        held_pa = (pa, pa + ipa_hi - ipa_lo)
        p.expect(r"\(held\) fill: (\d+) KiB of RAM hold the pattern; waiting for a key")
        assert int(p.match.group(1)) * 1024 > (ipa_hi - ipa_lo) - 2 * MIB

        p.send("create sweeper\r")
        p.expect(MAP.format("sweeper"))
        own = tuple(int(g, 16) for g in p.match.groups()[:2])
        p.expect(r"\(sweeper\) sweep 0x([0-9a-f]+)-0x([0-9a-f]+) step 0x200000: (\d+) accesses, "
                 r"(\d+) external aborts, (\d+) steps in own RAM skipped")
        swept = p.before
        start, end = int(p.match.group(1), 16), int(p.match.group(2), 16)
        accesses, aborted, skipped = (int(g) for g in p.match.groups()[2:])

        p.send(CTRL_A_3)
        p.expect(r"input goes to held")
        p.send("k")
        p.expect(r"(fill: RAM unchanged|FAIL fill: [^\r]*)")  # raw: held has the input
        verdict = p.match.group(1)
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")

    # not vacuous: the sweep covered the other VM's physical RAM and never its own
    assert (start, end) == SWEEP
    assert start <= held_pa[0] and held_pa[1] <= end, (held_pa, SWEEP)
    assert own == (SWEEPER_RAM_BASE, SWEEPER_RAM_BASE + 16 * MIB)
    assert skipped == 0
    assert accesses == 2 * (end - start) // (2 * MIB)
    # no load returned data, no store completed, and every access aborted
    assert "(sweeper) sweep: " not in swept, swept
    assert aborted == accesses
    assert verdict == "fill: RAM unchanged", verdict
