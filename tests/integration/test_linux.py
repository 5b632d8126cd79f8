"""Debian's own arm64 kernel, unmodified, as an SMP guest."""

import pexpect

from conftest import KERNEL, console_run, run_vms

# What mkinitramfs.py loads by default, each of which must show in lsmod.
MODULES = ("virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "virtio_balloon",
           "evdev", "gpio_keys")

# Run by busybox init once set up; a plain poweroff, as a user would type it.
REPORT = """#!/bin/sh
echo "INIT-START $(uname -r)"
echo "CPUS $(grep -c ^processor /proc/cpuinfo)"
sleep 1
cat /proc/interrupts
lsmod | awk 'NR > 1 { print "MODULE " $1 }'
echo "INIT-DONE"
poweroff
"""

def linux_cfg(vmcfg, name, initrd, vcpus=2, memory=256, **keys):
    return vmcfg(name, vcpus=vcpus, memory=memory, kernel=KERNEL, ramdisk=initrd,
                 extra="console=ttyAMA0 quiet", **keys)


def interrupt_counts(lines, label):
    """Per-CPU counts of the /proc/interrupts row whose description contains label."""
    for line in lines:
        if label in line and ":" in line:
            fields = line.split(":", 1)[1].split()
            counts = []
            for field in fields:
                if not field.isdigit():
                    break
                counts.append(int(field))
            return counts
    return []


def every_cpu_counts(lines, label, cpus):
    counts = interrupt_counts(lines, label)
    assert len(counts) == cpus and min(counts) > 0, (label, counts, lines)


def test_two_vcpus_boot_to_the_shell_and_power_off(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "deb", initramfs(run=REPORT))
    run = run_vms(cfg, timeout=240)
    lines = run.vm_lines("deb")
    assert run.code == 0, run
    assert any(l.startswith("INIT-START 6.") for l in lines), run
    assert "CPUS 2" in lines, run
    assert "INIT-DONE" in lines, run
    # the virtual timer and both kinds of IPI count on every CPU
    for label in ("arch_timer", "Rescheduling interrupts", "Function call interrupts"):
        every_cpu_counts(lines, label, 2)
    loaded = {l.split()[1] for l in lines if l.startswith("MODULE ")}
    assert set(MODULES) <= loaded, (sorted(set(MODULES) - loaded), lines)
    assert not [l for l in lines if l.startswith("setup: ")], lines
    assert "vm 1 'deb' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines()


def test_typed_reboot_restarts_and_typed_poweroff_ends(tmp_path, vmcfg, initramfs):
    """`reboot` and then `poweroff` typed into the shell, without -f: busybox
    init (PID 1) shuts down in order and the VM restarts, then ends."""
    cfg = linux_cfg(vmcfg, "rb", initramfs(), on_reboot="restart")
    with console_run("--timeout", "300", cfg, timeout=150, log=tmp_path / "console.log") as p:
        p.expect(r"\(rb\) Bulkhead Linux guest: 6\.\S+, 2 CPUs")
        p.expect(r"\(rb\) [/~] # ")
        p.send("console rb\r")
        p.expect(r"\(hv\) console: input goes to rb")
        p.send("reboot\r")
        p.expect(r"The system is going down NOW!")  # as rb prints it: it has the input
        p.expect(r"\(hv\) vm 1 'rb' rebooted \(PSCI SYSTEM_RESET\); on_reboot=restart")
        p.expect(r"Bulkhead Linux guest: 6\.\S+, 2 CPUs")  # it keeps the input
        p.expect(r"[/~] # ")
        p.send("poweroff\r")
        p.expect(r"\(hv\) vm 1 'rb' powered off \(PSCI SYSTEM_OFF\); on_poweroff=destroy")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]


# An /init of its own (mkinitramfs.py --init) is PID 1 and sets up itself.
# Setting up twice makes every insmod fail: setup.sh must say so.
OWN_INIT = """#!/bin/sh
. /lib/bulkhead/setup.sh
echo "PID $$"
sh /lib/bulkhead/setup.sh 2>&1 | grep "^setup: "
poweroff -f
"""


def test_own_init_script_and_failed_modules_are_reported(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "own", initramfs(init=OWN_INIT))
    run = run_vms(cfg, timeout=240)
    lines = run.vm_lines("own")
    assert run.code == 0, run
    assert "PID 1" in lines, run
    for module in MODULES:
        assert f"setup: module {module} not loaded" in lines, (module, lines)


def test_four_vcpus_on_two_physical_cpus(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "quad", initramfs(run=REPORT), vcpus=4)
    run = run_vms(cfg, timeout=300, args=("--cpus", "2"))
    lines = run.vm_lines("quad")
    assert run.code == 0, run
    assert "CPUS 4" in lines, run
    for label in ("arch_timer", "Rescheduling interrupts", "Function call interrupts"):
        every_cpu_counts(lines, label, 4)


def test_smoke_boot_on_cortex_a53(vmcfg, initramfs):
    cfg = linux_cfg(vmcfg, "a53", initramfs(run=REPORT))
    run = run_vms(cfg, timeout=300, args=("--cpu", "cortex-a53", "--cpus", "2"))
    assert run.code == 0, run
    assert "CPUS 2" in run.vm_lines("a53"), run
    assert "INIT-DONE" in run.vm_lines("a53"), run


WORK = """#!/bin/sh
echo "CPUS $(grep -c ^processor /proc/cpuinfo)"
i=0
while [ $i -lt 3 ]; do
    echo "SUM $i $(seq 1 3000 | awk '{ s += $1 } END { print s }')"
    i=$((i + 1))
done
echo "WORK-DONE"
poweroff
"""


def test_two_linux_vms_and_a_test_guest_share_two_cpus(vmcfg, initramfs):
    """Two Debian VMs (2 vCPUs each) and the test guest's checks at once on
    2 physical CPUs: each proves it works, and each ends on its own."""
    initrd = initramfs(run=WORK)
    deb1 = linux_cfg(vmcfg, "deb1", initrd, memory=192)
    deb2 = linux_cfg(vmcfg, "deb2", initrd, memory=192, weight=512)
    tg = vmcfg("checks", extra="test=all")
    run = run_vms(deb1, deb2, tg, args=("--cpus", "2"), timeout=300)
    assert run.code == 0, run
    for name in ("deb1", "deb2"):
        lines = run.vm_lines(name)
        assert "CPUS 2" in lines, run
        assert [l for l in lines if l.startswith("SUM ")] == \
            [f"SUM {i} 4501500" for i in range(3)], run
        assert "WORK-DONE" in lines, run
        assert f"'{name}' powered off (PSCI SYSTEM_OFF)" in run.out
    checks = [l for l in run.vm_lines("checks") if l.startswith("RESULT ")]
    assert len(checks) == 1 and checks[0].endswith(" 0 failed"), run
