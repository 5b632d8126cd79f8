"""Errors before boot, never after: kernels, ramdisks, CPUs and memory
checked by `bulkhead check`, `image` and `run` with the hypervisor's own
loader code (core/boot_plan.c), one line naming FILE:LINE: KEY."""

import gzip
import os
import subprocess

import pytest

from conftest import KERNEL, TEST_GUEST, bulkhead, run_vms

COMMANDS = ("check", "image", "run")


def refused(tmp_path, command, *cfgs, opts=()):
    """Runs `command` on cfgs; returns its stderr after checking that it
    failed with a config error and built and booted nothing."""
    out = tmp_path / "out.img"
    args = {"check": ["check"], "image": ["image", "-o", str(out)],
            "run": ["run", "--timeout", "60"]}[command]
    run = bulkhead(*args, *opts, *cfgs)
    assert run.code == 2, run
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err, run
    assert run.out == "" and not out.exists(), run
    return run.err


def cfg_with(tmp_path, name="vm", **keys):
    fields = {"name": name, "memory": 32, "kernel": TEST_GUEST}
    fields.update(keys)
    path = tmp_path / f"{name}.cfg"
    path.write_text("".join(f"{k} = {v!r}\n" if isinstance(v, str) else f"{k} = {v}\n"
                            for k, v in fields.items()))
    return str(path)


def kernel_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_test_guest_is_an_image():
    # the cases below cut it or change it: it must start as a good Image
    with open(TEST_GUEST, "rb") as f:
        assert f.read(64)[56:60] == b"ARM\x64"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_kernel_is_refused(tmp_path, command):
    cfg = cfg_with(tmp_path, kernel=kernel_file(tmp_path, "empty.bin", b""))
    assert f"{cfg}:3: kernel: kernel 'empty.bin': the file is empty" in \
        refused(tmp_path, command, cfg)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_of_no_kernel_format_is_refused(tmp_path, command):
    cfg = cfg_with(tmp_path, kernel=kernel_file(tmp_path, "notes.txt", b"hello\n" * 100))
    assert (f"{cfg}:3: kernel: kernel 'notes.txt': neither a Linux arm64 Image nor an "
            "AArch64 ELF file (a raw binary needs kernel_format = \"raw\")") in \
        refused(tmp_path, command, cfg)


def test_kernel_format_raw_takes_any_file_but_an_empty_one(tmp_path):
    notes = kernel_file(tmp_path, "notes.txt", b"hello\n" * 100)
    run = bulkhead("check", cfg_with(tmp_path, kernel=notes, kernel_format="raw"))
    assert run.code == 0, run
    empty = kernel_file(tmp_path, "empty.bin", b"")
    cfg = cfg_with(tmp_path, kernel=empty, kernel_format="raw")
    assert f"{cfg}:3: kernel: kernel 'empty.bin': the file is empty" in \
        refused(tmp_path, "check", cfg)


def test_kernel_format_takes_auto_or_raw_and_goes_with_kernel(tmp_path):
    cfg = cfg_with(tmp_path, kernel_format="elf")
    assert f"{cfg}:4: kernel_format: must be \"auto\"" in refused(tmp_path, "check", cfg)
    cfg = tmp_path / "fw.cfg"
    cfg.write_text(f'name = "fw"\nmemory = 32\nfirmware = "{TEST_GUEST}"\n'
                   'kernel_format = "raw"\n')
    assert f"{cfg}:4: kernel_format: goes with kernel" in refused(tmp_path, "check", str(cfg))


@pytest.mark.parametrize("command", COMMANDS)
def test_a_truncated_linux_image_is_refused(tmp_path, command, linux_payload):
    with open(KERNEL, "rb") as f:
        cut = f.read(os.path.getsize(KERNEL) // 2)
    cfg = cfg_with(tmp_path, memory=256, kernel=kernel_file(tmp_path, "Image", cut))
    assert f"{cfg}:3: kernel: kernel 'Image': truncated (shorter than its PE header says)" in \
        refused(tmp_path, command, cfg)


def test_a_truncated_elf_is_refused(tmp_path):
    # linked to run in guest RAM, then cut after its program headers
    elf = tmp_path / "whole.elf"
    subprocess.run(["aarch64-linux-gnu-objcopy", "--change-addresses", "0x40080000",
                    os.path.join(os.path.dirname(TEST_GUEST), "test.elf"), str(elf)], check=True)
    assert bulkhead("check", cfg_with(tmp_path, kernel=str(elf))).code == 0
    cut = elf.read_bytes()[:1024]
    cfg = cfg_with(tmp_path, kernel=kernel_file(tmp_path, "test.elf", cut))
    assert f"{cfg}:3: kernel: kernel 'test.elf': a segment lies outside the file" in \
        refused(tmp_path, "check", cfg)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_truncated_gzip_kernel_is_refused(tmp_path, command):
    with open(TEST_GUEST, "rb") as f:
        packed = gzip.compress(f.read())
    path = kernel_file(tmp_path, "vmlinuz", packed[:len(packed) // 2])
    cfg = cfg_with(tmp_path, kernel=path)
    err = refused(tmp_path, command, cfg)
    assert f"{cfg}:3: kernel: {path} is a gzip file that does not decompress" in err
    assert "truncated or damaged" in err


def test_a_gzip_kernel_that_is_whole_passes(tmp_path):
    with open(TEST_GUEST, "rb") as f:
        path = kernel_file(tmp_path, "vmlinuz", gzip.compress(f.read()))
    run = bulkhead("check", cfg_with(tmp_path, kernel=path))
    assert run.code == 0, run


@pytest.mark.parametrize("command", COMMANDS)
def test_a_ramdisk_that_cannot_fit_beside_the_kernel(tmp_path, command):
    ramdisk = tmp_path / "big.cpio"
    with open(ramdisk, "wb") as f:
        f.truncate(31 * 1024 * 1024)       # the kernel and the device tree need the rest
    cfg = cfg_with(tmp_path, ramdisk=str(ramdisk))
    assert (f"{cfg}:4: ramdisk: ramdisk 'big.cpio' (31744 KiB) does not fit in RAM beside "
            "the kernel") in refused(tmp_path, command, cfg)
    with open(ramdisk, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    assert bulkhead("check", cfg).code == 0


def test_a_kernel_larger_than_the_vms_ram(tmp_path, linux_payload):
    cfg = cfg_with(tmp_path, memory=16, kernel=KERNEL)
    err = refused(tmp_path, "check", cfg)
    assert f"{cfg}:2: memory: kernel 'Image' (" in err and "does not fit in 16 MiB of RAM" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_cpus_outside_the_machine(tmp_path, command):
    cfg = cfg_with(tmp_path, cpus="2-5")
    assert f"{cfg}:4: cpus: the machine has no CPU 4,5: it has 4 CPUs, 0-3 (--cpus)" in \
        refused(tmp_path, command, cfg)
    assert bulkhead("check", "--cpus", "6", cfg).code == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_pinned_vms_that_cannot_all_get_their_cpus(tmp_path, command):
    a = cfg_with(tmp_path, "a", vcpus=3, sched="pinned")
    b = cfg_with(tmp_path, "b", vcpus=2, sched="pinned")
    assert (f"{b}:5: sched: \"pinned\" needs a free CPU for each of its 2 vCPUs, and the "
            "4-CPU machine (--cpus) has 1 of its `cpus` left (the others are owned by a)") in \
        refused(tmp_path, command, a, b)
    assert bulkhead("check", "--cpus", "5", a, b).code == 0


def test_a_shared_vm_left_no_cpu_by_pinned_ones(tmp_path):
    a = cfg_with(tmp_path, "a", vcpus=2, sched="pinned", cpus="2-3")
    b = cfg_with(tmp_path, "b", cpus="3")
    assert f"{b}:4: cpus: every CPU this VM may use is owned by a pinned VM (a)" in \
        refused(tmp_path, "check", a, b)
    # a VM that does not start at boot takes no CPU then
    a = cfg_with(tmp_path, "a", vcpus=2, sched="pinned", cpus="2-3", autostart=0)
    assert bulkhead("check", a, b).code == 0


def test_check_takes_mem(tmp_path):
    cfg = cfg_with(tmp_path, memory=1024)
    assert f"{cfg}:2: memory: 1024 MiB does not fit in a 512 MiB machine" in \
        refused(tmp_path, "check", cfg, opts=("--mem", "512M"))
    assert bulkhead("check", cfg).code == 0      # the default machine: 2G, as run's


@pytest.mark.parametrize("command", COMMANDS)
def test_vms_that_start_at_boot_must_fit_together(tmp_path, command):
    """Overcommit of definitions is for VMs that wait for `create` only."""
    a = cfg_with(tmp_path, "a", memory=300)
    b = cfg_with(tmp_path, "b", memory=300, autostart=0)
    c = cfg_with(tmp_path, "c", memory=300)
    assert (f"{c}:2: memory: the VMs that start at boot need 600 MiB in all but a 512 MiB "
            "machine leaves 496 MiB for VMs") in \
        refused(tmp_path, command, a, b, c, opts=("--mem", "512M"))


def test_vms_defined_beyond_the_machine_are_noted_not_refused(tmp_path):
    """autostart = 0 VMs beyond what the boot VMs leave: one note each, the
    image is built; one that could never fit alone is still an error."""
    a = cfg_with(tmp_path, "a", memory=300)
    b = cfg_with(tmp_path, "b", memory=150, autostart=0)
    c = cfg_with(tmp_path, "c", memory=100, maxmem=200, autostart=0)
    out = tmp_path / "out.img"
    for args in (["check"], ["image", "-o", str(out)]):
        run = bulkhead(*args, "--mem", "512M", a, b, c)
        assert run.code == 0, run
        notes = run.err.strip().splitlines()
        # b fits in the 196 MiB a leaves; c's 200 MiB (maxmem) is beyond the 46 left
        assert notes == [f"bulkhead: {c}:4: maxmem: note: 200 MiB is beyond the 46 MiB the "
                         "other VMs leave; accepted (autostart = 0): `create c` needs that "
                         "much free then"], run
    assert out.exists()
    out.unlink()
    big = cfg_with(tmp_path, "big", memory=600, autostart=0)
    assert f"{big}:2: memory: 600 MiB does not fit in a 512 MiB machine" in \
        refused(tmp_path, "check", a, big, opts=("--mem", "512M"))


def test_run_says_which_vm_of_its_command_line_was_not_created(tmp_path):
    """A refusal only the hypervisor makes (a volume the machine lacks, let
    through by --no-disk-check): the run fails, naming the VM."""
    good = cfg_with(tmp_path, "good", extra="test=hello")
    bad = cfg_with(tmp_path, "bad", disk=["vdev=xvda, access=rw, target=nosuch"])
    run = run_vms(good, bad, args=("--no-disk-check",))
    assert run.code == 1, run
    assert "tick 4" in run.vm_lines("good"), run
    assert "bulkhead: a VM of the command line was not created: " in run.err, run
    assert "nosuch" in run.err and "VM not created" in run.err, run
