"""Kernels as ELF files and raw binaries, besides Linux Images."""

import os
import subprocess

from conftest import ROOT, run_vms

TEST_ELF = os.path.join(ROOT, "build", "guests", "test", "test.elf")
TEST_BIN = os.path.join(ROOT, "build", "guests", "test", "test.bin")


def test_elf_kernel_is_placed_by_its_program_headers(tmp_path, vmcfg):
    # the test guest relocates itself: link it to run at 0x40080000 in guest RAM
    elf = tmp_path / "guest.elf"
    subprocess.run(["aarch64-linux-gnu-objcopy", "--change-addresses", "0x40080000",
                    TEST_ELF, str(elf)], check=True)
    run = run_vms(vmcfg("elfvm", kernel=str(elf), extra="test=all"))
    assert run.code == 0, run
    assert any("kernel" in l and "(ELF) at IPA 0x40080000" in l and "entry 0x40080000" in l
               for l in run.hv_lines()), run
    assert any(l.startswith("RESULT ") and l.endswith(" 0 failed") for l in run.vm_lines("elfvm"))


def test_raw_binary_is_loaded_at_base_plus_512k(tmp_path, vmcfg):
    raw = bytearray(open(TEST_BIN, "rb").read())
    raw[56:60] = b"\0\0\0\0"  # no Image magic: just bytes to run from the first one
    path = tmp_path / "guest.raw"
    path.write_bytes(raw)
    run = run_vms(vmcfg("rawvm", kernel=str(path), kernel_format="raw", extra="test=all"))
    assert run.code == 0, run
    assert any("(raw binary) at IPA 0x40080000" in l for l in run.hv_lines()), run
    assert any(l.startswith("RESULT ") and l.endswith(" 0 failed") for l in run.vm_lines("rawvm"))


def test_elf_outside_ram_is_refused_before_boot(vmcfg):
    # the hypervisor's own loader code (core/boot_plan.c) refuses it on the host
    cfg = vmcfg("lowelf", kernel=TEST_ELF, extra="test=all")
    run = run_vms(cfg)
    assert run.code == 2, run
    assert f"{cfg}:3: kernel: kernel 'test.elf': segment at 0x0+" in run.err, run
    assert "lies outside the VM's RAM" in run.err and run.out == "", run
