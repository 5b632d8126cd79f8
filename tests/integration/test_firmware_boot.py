"""Starting Bulkhead from firmware, as a Linux arm64 Image is started: UEFI
(EDK2 loads the image as an EFI application) and U-Boot's booti. QEMU -kernel
is covered by test_boot.py. Each run boots the image `bulkhead image` builds
with the test guest and checks the banner, every CPU and the guest's checks."""

import os
import re
import subprocess

import pexpect
import pytest

from conftest import TEST_GUEST, bulkhead

EDK2 = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"  # Debian's qemu-efi-aarch64
MACHINE = "virt,virtualization=on,gic-version=3"
CPUS = 4
# where the U-Boot test places the image; booti starts it in place (2 MiB aligned)
UBOOT_LOAD_ADDR = 0x40400000
GUEST_CHECKS = ["dtb", "ram-zeroed", "mmu", "hvc-version", "psci-version", "pl011-id",
                "probe-after-ram", "probe-store-after-ram"]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    folder = tmp_path_factory.mktemp("firmware")
    cfg = folder / "testvm.cfg"
    cfg.write_text(f'name = "testvm"\nmemory = 64\nkernel = "{TEST_GUEST}"\nextra = "test=all"\n')
    out = folder / "bulkhead.img"
    run = bulkhead("image", "-o", str(out), str(cfg))
    assert run.code == 0, run
    return str(out)


def qemu(machine, *args, timeout=120):
    return pexpect.spawn("qemu-system-aarch64",
                         ["-M", machine, "-cpu", "max", "-smp", str(CPUS), "-m", "1024",
                          "-display", "none", "-monitor", "none", "-serial", "stdio", *args],
                         encoding="utf-8", timeout=timeout)


def console_until_exit(p, timeout=300):
    """What QEMU printed until it exited (Bulkhead powers off when the guest does)."""
    try:
        p.expect(pexpect.EOF, timeout=timeout)
        return [line.rstrip("\r") for line in p.before.split("\n")]
    finally:
        p.close(force=True)


def assert_ran_the_test_guest(lines):
    text = "\n".join(lines)
    assert any(re.search(rf"\(hv\) Bulkhead \S+ starting at EL2 on {CPUS} CPUs", l)
               for l in lines), text
    for cpu in range(CPUS):
        assert f"(hv) cpu {cpu} online (MPIDR 0x{cpu:x})" in lines, text
    for name in GUEST_CHECKS:
        assert f"(testvm) CHECK {name}: PASS" in lines, text
    assert any(re.fullmatch(r"\(testvm\) RESULT \d+ passed, 0 failed", l) for l in lines), text
    assert "(hv) no VM is running (0 crashed): powering off" in lines, text


@pytest.fixture
def edk2():
    if not os.path.exists(EDK2):
        pytest.fail(f"{EDK2} is missing: tools/install-deps installs qemu-efi-aarch64")
    return EDK2


def vm_ram(text):
    match = re.search(r"'testvm' .*-> PA (0x[0-9a-f]+) \((\d+) MiB\)", text)
    assert match, text
    return int(match.group(1), 16), int(match.group(2)) << 20


def test_uefi_starts_the_image_as_an_efi_application(edk2, image):
    """EDK2 runs at EL2 with virtualization=on and hands over its device tree
    only without ACPI tables (acpi=off). Its memory map keeps its runtime
    services regions inside the RAM the device tree describes: the boot map
    lists them, the EL2 mapping leaves them out and no VM gets them."""
    p = qemu(MACHINE + ",acpi=off", "-bios", edk2, "-kernel", image)
    p.expect_exact("Bulkhead: leaving UEFI boot services")
    lines = console_until_exit(p)
    assert_ran_the_test_guest(lines)
    text = "\n".join(lines)
    kept = [(int(m.group(1), 16), int(m.group(2), 16)) for m in
            (re.fullmatch(r"\(hv\) reserved by UEFI (0x[0-9a-f]+)-(0x[0-9a-f]+)", l) for l in lines)
            if m]
    ram_base, ram_end = 0x40000000, 0x40000000 + (1024 << 20)  # -m 1024
    in_ram = [(lo, hi) for lo, hi in kept if ram_base <= lo and hi <= ram_end]
    assert in_ram, text
    for lo, hi in in_ram:
        assert f"(hv) RAM {lo:#x}-{hi:#x} not mapped (no-map)" in lines, text
    vm_base, vm_size = vm_ram(text)
    for lo, hi in kept:
        assert vm_base + vm_size <= lo or hi <= vm_base, text


def test_uefi_at_el1_gets_the_el1_refusal(edk2, image):
    """Without virtualization=on EDK2 runs at EL1 and starts us there."""
    p = qemu("virt,gic-version=3,acpi=off", "-bios", edk2, "-kernel", image)
    p.expect_exact("Bulkhead: leaving UEFI boot services")
    lines = console_until_exit(p)
    assert any(l.startswith("(hv) Bulkhead was entered at EL1, not EL2") for l in lines), lines


def test_uefi_with_acpi_says_the_device_tree_is_missing(edk2, image):
    """With ACPI tables EDK2 installs no device tree: the stub returns to the
    firmware with a reason instead of starting blind."""
    p = qemu(MACHINE, "-bios", edk2, "-kernel", image)
    try:
        p.expect_exact("Bulkhead: the firmware installed no device tree; with QEMU, "
                       "boot with -M virt,acpi=off")
    finally:
        p.close(force=True)


def test_uboot_booti_starts_the_image(uboot_payload, image):
    """Debian's U-Boot as the machine's firmware (at EL2: virtualization=on),
    the image placed in RAM by QEMU, booti with U-Boot's own device tree."""
    p = qemu(MACHINE, "-bios", uboot_payload,
             "-device", f"loader,file={image},addr={UBOOT_LOAD_ADDR:#x},force-raw=on")
    p.expect_exact("Hit any key to stop autoboot")
    p.send(" ")
    p.expect_exact("=> ")
    p.sendline(f"booti {UBOOT_LOAD_ADDR:#x} - ${{fdtcontroladdr}}")
    assert_ran_the_test_guest(console_until_exit(p))


# First fit would put the VM's RAM right after the image (0x40400000 with
# QEMU -kernel) and, past the first region, at 0x48200000: each region covers
# where the VM would land if it alone were ignored. QEMU puts the DTB at
# 0x48000000, between them.
RESERVED_MEMORY_NODE = (0x40400000, 0x7c00000)
MEMRESERVE = (0x48100000, 0x1000000)


def board_dtb_with_reservations(folder):
    """QEMU's own device tree for the machine, plus a /memreserve/ entry and a
    /reserved-memory region."""
    dumped, dts, dtb = folder / "virt.dtb", folder / "virt.dts", folder / "reserved.dtb"
    subprocess.run(["qemu-system-aarch64", "-M", f"{MACHINE},dumpdtb={dumped}", "-cpu", "max",
                    "-smp", str(CPUS), "-m", "1024", "-display", "none"],
                   check=True, capture_output=True, timeout=60)
    text = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dumped)], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    base, size = RESERVED_MEMORY_NODE
    text = text.replace("/dts-v1/;\n", "/dts-v1/;\n/memreserve/ %#x %#x;\n" % MEMRESERVE, 1)
    text += ("/ { reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;\n"
             f"  firmware@{base:x} {{ reg = <0x0 {base:#x} 0x0 {size:#x}>; no-map; }}; }}; }};\n")
    dts.write_text(text)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb), str(dts)], check=True,
                   capture_output=True, timeout=60)
    return str(dtb)


def test_memory_the_firmware_reserves_is_never_used(image, tmp_path):
    dtb = board_dtb_with_reservations(tmp_path)
    lines = console_until_exit(qemu(MACHINE, "-kernel", image, "-dtb", dtb))
    text = "\n".join(lines)
    assert f"(hv) reserved by firmware {MEMRESERVE[0]:#x}-{sum(MEMRESERVE):#x}" in lines, text
    base, size = RESERVED_MEMORY_NODE
    assert f"(hv) reserved by firmware {base:#x}-{base + size:#x} (no-map)" in lines, text
    # printed by the EL2 mapping code as it leaves the hole; the /memreserve/
    # entry stays mapped (it is only kept from the allocator)
    assert f"(hv) RAM {base:#x}-{base + size:#x} not mapped (no-map)" in lines, text
    assert [l for l in lines if l.endswith("not mapped (no-map)")] == \
        [f"(hv) RAM {base:#x}-{base + size:#x} not mapped (no-map)"], text
    vm_base, vm_size = vm_ram(text)
    for base, size in (MEMRESERVE, RESERVED_MEMORY_NODE):
        assert vm_base + vm_size <= base or base + size <= vm_base, text
    assert any(re.fullmatch(r"\(testvm\) RESULT \d+ passed, 0 failed", l) for l in lines), text
