"""The memory pool booted on a 1 GiB machine (issue 12 points 5 and 7).

A Debian VM of 640 MiB (its maxmem; the balloon starts holding 8 MiB of
it) runs; a 448 MiB VM, defined with autostart = 0 beyond what the Debian
VM leaves (the host tool notes it and builds the image all the same), is
refused by `create` with the free amount in the message and leaves
nothing behind; `mem-set` of the Debian VM to 256 MiB gives back enough for
it to be created and run, while the Debian VM's data in tmpfs stays
intact."""

import re
import time

from conftest import KERNEL, TEST_GUEST, console_run, machine_free_kib, shared_view

KIB = 1024
CTRL_RBRACKET = "\x1d"
POLL_ROUNDS = 90


def deb_current_kib(p):
    p.send("info deb\r")
    p.expect(r"\(hv\)   memory: current (\d+) KiB, maxmem 640 MiB")
    return int(p.match.group(1))


def wait_current(p, kib):
    """Polls `info deb` until the VM holds exactly `kib`."""
    for _ in range(POLL_ROUNDS):
        current = deb_current_kib(p)
        if current == kib:
            return
        time.sleep(2)
    raise AssertionError(f"deb never came to hold {kib} KiB: last {current}")


def guest_run(p, command, pattern):
    p.send("console deb\r")
    p.expect(r"input goes to deb")
    p.send(command + "\r")
    p.expect(pattern)
    match = p.match
    p.send(CTRL_RBRACKET)
    p.expect(r"input goes to the Bulkhead shell")
    return match


def write_cfgs(tmp_path, initrd):
    deb = tmp_path / "deb.cfg"
    deb.write_text(f'name = "deb"\nvcpus = 1\nmemory = 632\nmaxmem = 640\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\n'
                   "balloon_free_page_reporting = 0\n")
    small = tmp_path / "small.cfg"
    small.write_text(f'name = "small"\nmemory = 448\nkernel = "{TEST_GUEST}"\n'
                     'extra = "test=button"\nautostart = 0\n')
    return str(deb), str(small)


def test_ballooning_makes_room_for_a_new_vm(tmp_path, initramfs):
    deb, small = write_cfgs(tmp_path, initramfs())
    log = tmp_path / "console.log"
    with console_run("--timeout", "1500", "--mem", "1G", "--cpus", "2", deb, small,
                     timeout=300, log=log) as p:
        # the host tool accepts the definition beyond the machine, with a note
        p.expect(rf"bulkhead: {re.escape(small)}:2: memory: note: 448 MiB is beyond the "
                 r"\d+ MiB the other VMs leave; accepted \(autostart = 0\)")
        p.expect(r"\(hv\) vm 'small' \(small.cfg\): autostart = 0: start it with `create small`")
        p.expect(r"\(deb\) Enter 'help' for a list of built-in commands", timeout=900)
        time.sleep(1)
        shared_view(p)
        wait_current(p, 632 * KIB)
        keep = guest_run(p, "head -c 33554432 /dev/urandom > /tmp/keep; md5sum /tmp/keep",
                         r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)

        # too little is left: refused, naming the free amount, nothing built
        free_before = machine_free_kib(p)
        p.send("create small\r")
        p.expect(r"\(hv\) vm 'small': not enough free memory: needs 448 MiB, (\d+) MiB free; "
                 r"VM not created")
        said_free = int(p.match.group(1))
        assert said_free == free_before // KIB < 448, (said_free, free_before)
        p.expect(r"\(hv\) create small: ")
        assert machine_free_kib(p) == free_before
        p.send("list\r")
        p.expect(r"\(hv\) - +small +defined ")     # defined, not running
        p.send("mem-set deb 256\r")
        p.expect(r"\(hv\) vm \d+ 'deb': target 256 MiB \(maxmem 640 MiB")
        wait_current(p, 256 * KIB)
        assert machine_free_kib(p) // KIB >= 448

        p.send("create small\r")
        p.expect(r"\(small\) button test: waiting for the power button", timeout=120)
        again = guest_run(p, "md5sum /tmp/keep", r"\(deb\) ([0-9a-f]{32}) +/tmp/keep").group(1)
        assert again == keep
        guest_run(p, "echo still-$((6*7))", r"\(deb\) still-42")
    assert "Traceback" not in open(log).read()
