"""Exact accounting (issue 12 point 6): after 100 balloon inflate/deflate
cycles of a Debian VM and 1,000 create/destroy cycles of a small test-guest
VM, all typed at the shell, the machine's free memory (`info`) is exactly
its value at boot.

A keeper VM (the test guest waiting for its power button) keeps Bulkhead up
between them. The create/destroy lines are typed in batches, each batch's
outcome read before the next is sent, so no typed line waits long in the
UART and every loop is bounded."""

import re
import time

from conftest import KERNEL, TEST_GUEST, console_run, machine_free_kib, shared_view

KIB = 1024
MIB_KIB = 1024
BALLOON_CYCLES = 100
CREATE_CYCLES = 1000
BATCH = 25
POLL_ROUNDS = 600
# the balloon moves between these targets (MiB); maxmem is 160
LOW, HIGH = 120, 128


def deb_memory(p):
    """(current KiB, pages inflated, pages deflated, refused) from `info deb`."""
    p.send("info deb\r")
    p.expect(r"\(hv\)   memory: current (\d+) KiB, maxmem 160 MiB")
    current = int(p.match.group(1))
    p.expect(r"\(hv\)   balloon: target \d+ KiB, guest holds \d+ KiB in it; pages inflated "
             r"(\d+), deflated (\d+), reported \d+, refused (\d+);")
    return (current, *(int(g) for g in p.match.groups()))


def set_and_wait(p, mib):
    """`mem-set deb MIB`, then polls until the VM holds exactly that."""
    p.send(f"mem-set deb {mib}\r")
    p.expect(rf"\(hv\) vm \d+ 'deb': target {mib} MiB")
    for _ in range(POLL_ROUNDS):
        got = deb_memory(p)
        if got[0] == mib * MIB_KIB:
            return got
        time.sleep(0.1)
    raise AssertionError(f"deb never came to hold {mib} MiB: last {got}")


def free_comes_back_to(p, kib):
    """Destroyed VMs' memory goes back by background work: polls `info`
    until free is `kib` again, and insists it is exactly that."""
    for _ in range(120):
        free = machine_free_kib(p)
        if free >= kib:
            break
        time.sleep(1)
    assert free == kib, (free, kib)


def create_destroy(p, cycles):
    """`create tiny` and `destroy tiny`, typed BATCH cycles at a time; each
    VM's id is the one after the last (none was refused)."""
    last_id = None
    for start in range(0, cycles, BATCH):
        n = min(BATCH, cycles - start)
        p.send("create tiny\rdestroy tiny\r" * n)
        for _ in range(n):
            p.expect(r"\(hv\) (vm \d+ 'tiny' destroyed|.*VM not created|create tiny: .*|"
                     r"destroy tiny: .*)\r*\n")
            match = re.match(r"vm (\d+) 'tiny' destroyed", p.match.group(1))
            assert match, p.match.group(0)
            vm_id = int(match.group(1))
            assert last_id is None or vm_id == last_id + 1, (last_id, vm_id)
            last_id = vm_id


def write_cfgs(tmp_path, initrd):
    keeper = tmp_path / "keeper.cfg"
    keeper.write_text(f'name = "keeper"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                      'extra = "test=button"\n')
    deb = tmp_path / "deb.cfg"
    deb.write_text(f'name = "deb"\nvcpus = 1\nmemory = {HIGH}\nmaxmem = 160\n'
                   f'kernel = "{KERNEL}"\nramdisk = "{initrd}"\n'
                   'extra = "console=ttyAMA0 quiet"\nautostart = 0\n'
                   "balloon_free_page_reporting = 0\n")
    tiny = tmp_path / "tiny.cfg"
    tiny.write_text(f'name = "tiny"\nmemory = 4\nkernel = "{TEST_GUEST}"\n'
                    'extra = "test=button"\nautostart = 0\n')
    return str(keeper), str(deb), str(tiny)


def test_free_memory_is_exact_after_many_cycles(tmp_path, initramfs):
    cfgs = write_cfgs(tmp_path, initramfs())
    log = tmp_path / "console.log"
    with console_run("--timeout", "1500", "--mem", "512M", "--cpus", "2", *cfgs,
                     timeout=300, log=log) as p:
        p.expect(r"\(keeper\) button test: waiting for the power button")
        shared_view(p)
        free_boot = machine_free_kib(p)

        p.send("create deb\r")
        p.expect(r"\(deb\) Enter 'help' for a list of built-in commands", timeout=900)
        time.sleep(1)
        _, inflated0, deflated0, _ = set_and_wait(p, HIGH)
        started = time.monotonic()
        for _ in range(BALLOON_CYCLES):
            set_and_wait(p, LOW)
            _, inflated, deflated, refused = set_and_wait(p, HIGH)
        print(f"{BALLOON_CYCLES} balloon cycles: {time.monotonic() - started:.0f} s")
        pages = (HIGH - LOW) * 256 * BALLOON_CYCLES
        assert inflated - inflated0 == pages and deflated - deflated0 == pages, \
            (inflated0, inflated, deflated0, deflated)
        assert refused == 0
        p.send("destroy deb\r")
        p.expect(r"\(hv\) vm \d+ 'deb' destroyed")
        free_comes_back_to(p, free_boot)

        started = time.monotonic()
        create_destroy(p, CREATE_CYCLES)
        print(f"{CREATE_CYCLES} create/destroy cycles: {time.monotonic() - started:.0f} s")
        free_comes_back_to(p, free_boot)
    assert "Traceback" not in open(log).read()
