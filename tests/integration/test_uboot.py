"""Debian's U-Boot for QEMU as a VM's firmware, beside a Linux VM, driven
through the console: it reaches its prompt and answers commands, sees the
device tree Bulkhead generated, and cannot write its flash."""

import re

import pexpect

from conftest import KERNEL, console_run

CTRL_A_3 = "\x01\x01\x01"
# The prompt line once Enter is pressed: U-Boot echoes "\r\n" after "=> ".
PROMPT = r"\(uboot\) => [\r ]*\n"


def write_cfgs(tmp_path, firmware, initrd):
    uboot = tmp_path / "uboot.cfg"
    uboot.write_text(f'name = "uboot"\nmemory = 128\nfirmware = "{firmware}"\n')
    linux = tmp_path / "deb.cfg"
    linux.write_text(f'name = "deb"\nmemory = 256\nkernel = "{KERNEL}"\n'
                     f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\n')
    return str(uboot), str(linux)


def reach_prompt(p):
    """Stops autoboot (or waits for it to give up), then waits for a prompt."""
    p.expect(r"\(uboot\) Net: ")
    p.send(" ")
    p.expect(r"\(uboot\) Hit any key to stop autoboot")
    # Enter until a prompt answers: keys typed while autoboot still runs are
    # eaten by its Ctrl-C checks
    for _ in range(30):
        p.send("\r")
        if p.expect([PROMPT, pexpect.TIMEOUT], timeout=3) == 0:
            return
    raise AssertionError("U-Boot never showed its prompt")


def command(p, text):
    # in one burst, longer than the UART's 32-byte receive FIFO: the console
    # holds what does not fit until U-Boot reads
    p.send(text + "\r")
    p.expect(r"\(uboot\) => " + re.escape(text) + r"[\r ]*\n")


def first_word(path):
    with open(path, "rb") as f:
        return int.from_bytes(f.read(4), "little")


def test_uboot_beside_linux(tmp_path, uboot_payload, initramfs):
    uboot, linux = write_cfgs(tmp_path, uboot_payload, initramfs())
    with console_run("--cpus", "2", "--timeout", "400", uboot, linux, timeout=120,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(hv\) vm 1 'uboot': firmware '.*u-boot.bin' read-only at IPA 0x0-0x[0-9a-f]+"
                 r" -> PA 0x[0-9a-f]+, entry 0x0")
        p.expect(r"\(hv\) vm 1 'uboot': device tree at IPA 0x40000000 ")
        # every VM's lines prefixed, whoever has the input: the test reads them so
        p.send("console-view shared\r")
        p.expect(r"\(hv\) console: every VM's output by line")
        p.send(CTRL_A_3)
        p.expect(r"\(hv\) console: input goes to uboot")
        reach_prompt(p)

        command(p, "version")
        p.expect(r"\(uboot\) U-Boot 20\d\d\.\d\d")

        # RAM as the config gives it: 128 MiB at 0x40000000
        command(p, "bdinfo")
        p.expect(r"\(uboot\) -> start += 0x0*40000000\r*\n")
        p.expect(r"\(uboot\) -> size += 0x0*8000000\r*\n")

        # the device tree U-Boot runs on is the one Bulkhead generated
        command(p, "fdt addr $fdtcontroladdr; fdt print /")
        p.expect(r'\(uboot\) \tmodel = "Bulkhead virtual machine";')
        p.expect(r"\(uboot\) \tpsci \{")
        p.expect(r'\(uboot\) \t\tmethod = "hvc";')
        p.expect(r"\(uboot\) \tpl011@9000000 \{")
        p.expect(r'\(uboot\) \t\tstdout-path = "/pl011@9000000";')

        # the flash: blank beyond the image; a write to it aborts and never lands
        command(p, "md.l 0x4000000 4")
        p.expect(r"\(uboot\) 04000000: 00000000 00000000 00000000 00000000")
        command(p, "mw.l 0x0 0x12345678")
        p.expect(r'\(uboot\) "Synchronous Abort" handler, esr 0x96000050')
        p.expect(r"\(hv\) vm 1 'uboot' rebooted \(PSCI SYSTEM_RESET\); on_reboot=restart")
        reach_prompt(p)
        command(p, "md.l 0x0 1")
        p.expect(r"\(uboot\) 00000000: %08x " % first_word(uboot_payload))

        # Linux runs beside it and has reached its shell (which may have
        # started before or after this point of the conversation)
        p.send(CTRL_A_3)
        p.expect(r"\(hv\) console: input goes to deb")
        for _ in range(40):
            p.send("echo linux-says-$((6*7))\r")
            if p.expect([r"\(deb\) linux-says-42", pexpect.TIMEOUT], timeout=3) == 0:
                break
        else:
            raise AssertionError("the Linux shell never answered")

        p.send(CTRL_A_3)
        p.expect(r"input goes to the Bulkhead shell")
        p.send("destroy uboot\r")
        p.expect(r"\(hv\) vm 1 'uboot' destroyed")
        p.send("destroy deb\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]
