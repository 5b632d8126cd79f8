"""Ballooning booted (issue 12): Debian's kernel with virtio_balloon.ko
loaded from its initramfs, in a VM whose maxmem is above its memory.

What must hold: the balloon starts holding maxmem - memory (the guest's
MemTotal shows it); `mem-set`, typed on the console, moves what the guest
sees; the machine's free memory (`info`) moves with the VM's and is exactly
its boot value again once the VM is destroyed; with free page reporting on,
an idle guest's free memory goes back to the pool by itself and comes back
zeroed when the guest touches it again.

A keeper VM (the test guest waiting for its power button) keeps Bulkhead
up after the Debian VM is destroyed, so `info` can be read then."""

import re
import time

from conftest import KERNEL, TEST_GUEST, console_run, machine_free_kib, shared_view

KIB = 1024
CTRL_RBRACKET = "\x1d"
# Tables a balloon's changes may take or give back (a RAM-table page and a
# stage-2 level-3 table per 2 MiB chunk of a 256 MiB VM): what `info`'s free
# memory may differ by from the VM's own change.
TABLES_KIB = 2 * 128 * 4
POLL_ROUNDS = 60


def write_cfgs(tmp_path, initrd, reporting):
    """deb waits for `create deb`, so that `info` can be read before it exists."""
    deb = tmp_path / "deb.cfg"
    deb.write_text(f'name = "deb"\nvcpus = 1\nmemory = 128\nmaxmem = 256\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\nautostart = 0\n'
                   f"balloon_free_page_reporting = {reporting}\n")
    keeper = tmp_path / "keeper.cfg"
    keeper.write_text(f'name = "keeper"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                      'extra = "test=button"\n')
    return str(deb), str(keeper)


def free_comes_back_to(p, kib):
    """A destroyed VM's memory goes back to the pool by background work
    (state `dying` meanwhile): polls `info` until free is `kib` again, and
    insists it is exactly that."""
    for _ in range(POLL_ROUNDS):
        free = machine_free_kib(p)
        if free >= kib:
            break
        time.sleep(1)
    assert free == kib, (free, kib)


def vm_memory(p):
    """(current KiB, balloon target KiB, KiB the guest says its balloon holds,
    pages reported) from `info deb`."""
    p.send("info deb\r")
    p.expect(r"\(hv\)   memory: current (\d+) KiB, maxmem 256 MiB")
    current = int(p.match.group(1))
    p.expect(r"\(hv\)   balloon: target (\d+) KiB, guest holds (\d+) KiB in it; pages inflated "
             r"\d+, deflated \d+, reported (\d+), refused (\d+);")
    target, held, reported, refused = (int(g) for g in p.match.groups())
    assert refused == 0, p.match.group(0)
    return current, target, held, reported


def wait_balloon(p, target_kib, current_kib=None):
    """Polls `info deb` until the guest's balloon holds maxmem - target
    (and, if given, the VM holds current_kib); returns the last reading."""
    want_held = 256 * KIB - target_kib
    for _ in range(POLL_ROUNDS):
        got = vm_memory(p)
        if got[1] == target_kib and got[2] == want_held and \
                (current_kib is None or got[0] == current_kib):
            return got
        time.sleep(2)
    raise AssertionError(f"balloon never reached target {target_kib} KiB: last {got}")


def to_guest(p):
    p.send("console deb\r")
    p.expect(r"input goes to deb")


def to_shell(p):
    """Ctrl-] gives the input back to the shell."""
    p.send(CTRL_RBRACKET)
    p.expect(r"input goes to the Bulkhead shell")


def guest_memtotal(p):
    to_guest(p)
    p.send("grep MemTotal /proc/meminfo\r")
    p.expect(r"\(deb\) MemTotal: +(\d+) kB")
    value = int(p.match.group(1))
    to_shell(p)
    return value


def boot(p):
    """Starts deb once the keeper runs; returns the machine's free KiB before."""
    p.expect(r"\(keeper\) button test: waiting for the power button")
    shared_view(p)
    free = machine_free_kib(p)
    p.send("create deb\r")
    p.expect(r"\(deb\) Enter 'help' for a list of built-in commands", timeout=600)
    time.sleep(1)
    return free


def guest_run(p, command, pattern):
    """Types `command` into deb's shell; returns the match of `pattern`."""
    to_guest(p)
    p.send(command + "\r")
    p.expect(pattern)
    match = p.match
    to_shell(p)
    return match


def test_mem_set_moves_the_guest_and_the_pool(tmp_path, initramfs):
    deb, keeper = write_cfgs(tmp_path, initramfs(), reporting=0)
    log = tmp_path / "console.log"
    with console_run("--timeout", "1500", deb, keeper, timeout=300, log=log) as p:
        free_boot = boot(p)
        # the balloon starts holding maxmem - memory: the VM holds 128 MiB
        wait_balloon(p, 128 * KIB, current_kib=128 * KIB)
        free0 = machine_free_kib(p)
        total0 = guest_memtotal(p)
        # Linux counts ballooned pages out of MemTotal (no DEFLATE_ON_OOM)
        assert total0 < 128 * KIB, total0
        keep = guest_run(p, "head -c 8388608 /dev/urandom > /tmp/keep; md5sum /tmp/keep",
                         r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)

        p.send("mem-set deb 200\r")
        p.expect(r"\(hv\) vm \d+ 'deb': target 200 MiB \(maxmem 256 MiB")
        wait_balloon(p, 200 * KIB, current_kib=200 * KIB)
        total1 = guest_memtotal(p)
        assert total1 - total0 == 72 * KIB, (total0, total1)
        free1 = machine_free_kib(p)
        assert abs((free0 - free1) - 72 * KIB) <= TABLES_KIB, (free0, free1)

        p.send("mem-set deb 100\r")
        p.expect(r"\(hv\) vm \d+ 'deb': target 100 MiB")
        wait_balloon(p, 100 * KIB, current_kib=100 * KIB)
        total2 = guest_memtotal(p)
        assert total1 - total2 == 100 * KIB, (total1, total2)
        free2 = machine_free_kib(p)
        assert abs((free2 - free1) - 100 * KIB) <= TABLES_KIB, (free1, free2)

        # its data is intact and it still works with what it has
        again = guest_run(p, "md5sum /tmp/keep", r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)
        assert again == keep
        guest_run(p, "dd if=/dev/zero of=/tmp/z bs=1M count=16 2>/dev/null; md5sum /tmp/z",
                  r"\(deb\) 2c7ab85a893283e98c931e9511add182 +/tmp/z")

        p.send("destroy deb\r")
        p.expect(r"\(hv\) vm \d+ 'deb' destroyed")
        free_comes_back_to(p, free_boot)
    assert "Traceback" not in open(log).read()


def test_free_page_reporting_returns_idle_memory(tmp_path, initramfs):
    deb, keeper = write_cfgs(tmp_path, initramfs(), reporting=1)
    log = tmp_path / "console.log"
    with console_run("--timeout", "1500", deb, keeper, timeout=300, log=log) as p:
        free_boot = boot(p)
        # the balloon's 128 MiB, then what the idle guest reports free
        for _ in range(POLL_ROUNDS):
            current, target, held, reported = vm_memory(p)
            if held == 128 * KIB and current <= 96 * KIB:
                break
            time.sleep(2)
        assert target == 128 * KIB and held == 128 * KIB, (current, target, held)
        assert current <= 96 * KIB and reported * 4 >= 32 * KIB, (current, reported)
        free_idle = machine_free_kib(p)
        # the pool got it: the VM costs it what it holds, plus its tables and devices
        assert free_boot - free_idle <= current + 2048, (free_boot, free_idle, current)

        # the guest uses its memory again: each page comes back zeroed, on touch
        guest_run(p, "dd if=/dev/zero of=/tmp/z bs=1M count=48 2>/dev/null; md5sum /tmp/z",
                  r"\(deb\) [0-9a-f]{32} +/tmp/z")
        p.send("info deb\r")
        p.expect(r"\(hv\)   memory: current (\d+) KiB, maxmem 256 MiB; faults on given-back "
                 r"pages: (\d+) filled, 0 aborted")
        assert int(p.match.group(2)) > 0, p.match.group(0)

        p.send("destroy deb\r")
        p.expect(r"\(hv\) vm \d+ 'deb' destroyed")
        free_comes_back_to(p, free_boot)
    assert "Traceback" not in open(log).read()


HOSTILE_CASES = {"outside": "used", "twice": "used", "own-pages": "used",
                 "deflate-outside": "used", "ring-page": "needs-reset"}


def test_lying_balloon_driver_costs_only_itself(tmp_path, initramfs):
    """The test guest's balloon-hostile mode beside Debian: every lie is
    answered, its own pages come back zeroed on touch, its silence after
    that changes nothing for anyone else, and the pool's count is exact."""
    deb = tmp_path / "deb.cfg"
    deb.write_text(f'name = "deb"\nvcpus = 1\nmemory = 128\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initramfs()}"\nextra = "console=ttyAMA0 quiet"\n')
    liar = tmp_path / "liar.cfg"
    liar.write_text(f'name = "liar"\nmemory = 16\nmaxmem = 24\nkernel = "{TEST_GUEST}"\n'
                    'extra = "test=balloon-hostile"\nautostart = 0\n')
    log = tmp_path / "console.log"
    with console_run("--timeout", "1500", str(deb), str(liar), timeout=300, log=log) as p:
        p.expect(r"\(deb\) Enter 'help' for a list of built-in commands", timeout=600)
        time.sleep(1)
        shared_view(p)
        free_before = machine_free_kib(p)
        keep = guest_run(p, "head -c 4194304 /dev/urandom > /tmp/keep; md5sum /tmp/keep",
                         r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)
        p.send("create liar\r")
        p.expect(r"\(liar\) BH num_pages (\d+)\r*\n")
        assert int(p.match.group(1)) == 8 * 256      # maxmem - memory, in 4 KiB pages
        for name, answer in HOSTILE_CASES.items():
            p.expect(rf"\(liar\) BH {name}: (\S+)([^\r\n]*)\r*\n")
            assert p.match.group(1) == answer and "FAIL" not in p.match.group(2), p.match.group(0)
        p.expect(r"\(liar\) BH DONE pass=5 fail=0")
        p.expect(r"\(liar\) BH sleeping")

        # it never answers: the shell and the other VM do not wait for it
        p.send("mem-set liar 8\r")
        p.expect(r"\(hv\) vm \d+ 'liar': target 8 MiB")
        p.send("info liar\r")
        p.expect(r"\(hv\)   memory: current (\d+) KiB, maxmem 24 MiB; faults on given-back "
                 r"pages: (\d+) filled, (\d+) aborted")
        current, filled, aborted = (int(g) for g in p.match.groups())
        # three pages given back (own[0], own[1], the ring's), all three touched again
        assert (current, filled, aborted) == (24 * KIB, 3, 0), p.match.group(0)
        p.expect(r"\(hv\)   balloon: target 8192 KiB, guest holds 0 KiB in it; pages inflated 3, "
                 r"deflated 0, reported 0, refused (\d+);")
        # 4 outside, the same page 3 more times, 2 deflates outside its RAM
        assert int(p.match.group(1)) == 9, p.match.group(0)
        again = guest_run(p, "md5sum /tmp/keep", r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)
        assert again == keep

        p.send("destroy liar\r")
        p.expect(r"\(hv\) vm \d+ 'liar' destroyed")
        free_comes_back_to(p, free_before)
        guest_run(p, "echo still-$((6*7))", r"\(deb\) still-42")
    assert "Traceback" not in open(log).read()
