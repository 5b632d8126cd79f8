"""The shell's `shutdown VM`: the VM's power button, pressed through its PL061."""

import pexpect

from conftest import BULKHEAD, KERNEL, TEST_GUEST

WAITING = r"button test: waiting for the power button \(pl061@0x9030000 pin 3, INTID 39\)"
# The test guest takes the rising edge, reads the pin high once (after which
# the button is up again) and clears the edge.
SAW = r"button test: GPIOMIS 0x8, pin 3 read 1 then 0, GPIORIS 0x0 after GPIOIC"


def button_cfg(tmp_path, name, on_poweroff):
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(f'name = "{name}"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   f'extra = "test=button"\non_poweroff = "{on_poweroff}"\n')
    return str(cfg)


def spawn(tmp_path, *cfgs, timeout=60):
    # a pty is a terminal: on_idle would be stay, and these runs end with the power-off
    p = pexpect.spawn(BULKHEAD, ["run", "--on-idle", "poweroff", "--timeout", str(timeout * 2),
                                 *cfgs], encoding="utf-8", timeout=timeout)
    p.logfile_read = open(tmp_path / "console.log", "w")
    return p


def expect_all(p, patterns):
    """Every pattern, in whatever order the VMs print them."""
    left = list(patterns)
    while left:
        left.pop(p.expect(left))


def test_shutdown_applies_on_poweroff(tmp_path):
    """destroy: the VM is gone; restart: it boots again; preserve: it stays, stopped."""
    cfgs = [button_cfg(tmp_path, name, action)
            for name, action in (("gone", "destroy"), ("again", "restart"), ("kept", "preserve"))]
    p = spawn(tmp_path, *cfgs)
    try:
        expect_all(p, [rf"\({name}\) {WAITING}" for name in ("gone", "again", "kept")])

        p.send("shutdown gone\r")
        p.expect(r"\(hv\) vm 1 'gone': power button pressed")
        p.expect(rf"\(gone\) {SAW}")
        p.expect(r"\(hv\) vm 1 'gone' powered off \(PSCI SYSTEM_OFF\); on_poweroff=destroy")
        p.send("shutdown gone\r")
        p.expect(r"\(hv\) shutdown: no VM 'gone' \(see list\)")

        p.send("shutdown 2\r")
        p.expect(r"\(hv\) vm 2 'again': power button pressed")
        p.expect(rf"\(again\) {SAW}")
        p.expect(r"\(hv\) vm 2 'again' powered off \(PSCI SYSTEM_OFF\); on_poweroff=restart")
        p.expect(rf"\(again\) {WAITING}")   # booted again, the button up

        p.send("shutdown kept\r")
        p.expect(rf"\(kept\) {SAW}")
        p.expect(r"\(hv\) vm 3 'kept' powered off \(PSCI SYSTEM_OFF\); on_poweroff=preserve")
        p.send("list\r")
        p.expect(r"\(hv\) 2 +again +(running|blocked)")
        p.expect(r"\(hv\) 3 +kept +shutdown .* ---s-- +powered off: ")
        p.send("shutdown kept\r")
        p.expect(r"\(hv\) shutdown kept: it is not running")

        p.send("shutdown\r")
        p.expect(r"\(hv\) shutdown: which VM\? \(usage: shutdown VM\)")
        p.send("shutdown again kept\r")
        p.expect(r"\(hv\) shutdown: too many arguments \(see help\)")
        p.send("help\r")
        p.expect(r"\(hv\)   shutdown VM +press its power button")

        # the restarted VM still answers its button
        p.send("shutdown again\r")
        p.expect(rf"\(again\) {SAW}")
        p.expect(r"\(hv\) vm 2 'again' powered off \(PSCI SYSTEM_OFF\); on_poweroff=restart")
        p.expect(rf"\(again\) {WAITING}")
        p.send("destroy again\r")   # a stopped VM does not keep the machine on
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    finally:
        p.close(force=True)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]


def test_shutdown_linux(tmp_path, initramfs):
    """Debian's gpio-keys reports KEY_POWER, busybox acpid runs poweroff; the other VM runs on."""
    deb = tmp_path / "deb.cfg"
    deb.write_text(f'name = "deb"\nvcpus = 2\nmemory = 256\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initramfs()}"\n'
                   'extra = "console=ttyAMA0 quiet"\n')
    p = spawn(tmp_path, str(deb), button_cfg(tmp_path, "btn", "destroy"), timeout=120)
    try:
        expect_all(p, [rf"\(btn\) {WAITING}",
                       r"\(deb\) Enter 'help' for a list of built-in commands"])
        p.send("shutdown deb\r")
        p.expect(r"\(hv\) vm 1 'deb': power button pressed")
        p.expect(r"\(deb\) .*acpid: PWRF/00000080")  # after the shell's prompt
        p.expect(r"\(deb\) power button pressed: the system is going down")
        p.expect(r"\(deb\) .*reboot: Power down")
        p.expect(r"\(hv\) vm 1 'deb' powered off \(PSCI SYSTEM_OFF\); on_poweroff=destroy")
        p.send("list\r")
        p.expect(r"\(hv\) 2 +btn +(running|blocked)")
        p.send("shutdown btn\r")
        p.expect(rf"\(btn\) {SAW}")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    finally:
        p.close(force=True)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]
