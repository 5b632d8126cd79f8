"""Bad configs: a clear error naming file, line and key; no image written."""

import os

import pytest

from conftest import TEST_GUEST, bulkhead

GOOD = f'name = "vm"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'


def image(tmp_path, *cfgs, opts=()):
    out = tmp_path / "out.img"
    run = bulkhead("image", "-o", str(out), *opts, *cfgs)
    return run, out


@pytest.mark.parametrize("text, line, key, words", [
    (GOOD + "colour = 'blue'\n", 4, "colour", "unknown key"),
    (GOOD.replace("memory = 32", "memory = 'lots'"), 2, "memory", "integer"),
    (GOOD + "vcpus = 0\n", 4, "vcpus", "between"),
    (GOOD + "on_crash = 'coredump-destroy'\n", 4, "on_crash", "not supported"),
    (GOOD + "memory = 64\n", 4, "memory", "duplicate"),
    (GOOD.replace("name = \"vm\"\n", ""), 0, "name", "missing"),
    (GOOD + "extra = 'unterminated\n", 4, "extra", ""),
    (GOOD.replace(f'kernel = "{TEST_GUEST}"\n', ""), 0, "kernel",
     "missing required key (or give `firmware`"),
    (GOOD + f'firmware = "{TEST_GUEST}"\n', 4, "firmware", "cannot be combined with kernel"),
    (GOOD.replace("kernel", "firmware") + "ram_base = 0x4000000\n", 4, "ram_base",
     "overlaps the firmware flash at 0x0..0x8000000"),
    (GOOD.replace("kernel", "firmware") + "ramdisk = 'rd'\n", 4, "ramdisk", "goes with kernel"),
    (GOOD + "ram_base = 0x8000000\n", 4, "ram_base",
     "overlaps the emulated devices at 0x8000000..0xa004000"),
    (GOOD + "sched = 'pinned'\nweight = 512\n", 5, "weight", "shared VMs only"),
    (GOOD + "cap = 7000\n", 4, "cap", "between"),
    (GOOD + "disk = [ 'vdev=xvda, access=rw, target=data',\n"
     "         'vdev=xvdb, access=rx, target=logs' ]\n", 5, "disk", "bad access 'rx'"),
])
def test_config_error_names_file_line_and_key(tmp_path, text, line, key, words):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    run, out = image(tmp_path, str(cfg))
    assert run.code == 2, run
    where = f"{cfg}:{line}: {key}:" if line else f"{cfg}: {key}:"
    assert where in run.err, run
    assert words in run.err, run
    assert not out.exists()


def test_missing_kernel_file(tmp_path):
    cfg = tmp_path / "nokernel.cfg"
    cfg.write_text('name = "vm"\nmemory = 32\nkernel = "no-such-kernel.bin"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 2, run
    assert f"{cfg}:3: kernel: no such file 'no-such-kernel.bin'" in run.err, run
    assert str(tmp_path / "no-such-kernel.bin") in run.err  # resolved from the config's folder
    assert not out.exists()


def test_missing_firmware_file(tmp_path):
    cfg = tmp_path / "nofw.cfg"
    cfg.write_text('name = "vm"\nmemory = 32\nfirmware = "no-such-rom.bin"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 2, run
    assert f"{cfg}:3: firmware: no such file 'no-such-rom.bin'" in run.err, run
    assert not out.exists()


def test_firmware_larger_than_its_flash_bank(tmp_path):
    rom = tmp_path / "huge.bin"
    with open(rom, "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: costs no disk
    cfg = tmp_path / "hugefw.cfg"
    cfg.write_text(f'name = "vm"\nmemory = 32\nfirmware = "{rom}"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 2, run
    assert f"{cfg}:3: firmware: '{rom}' is 67108865 bytes; a firmware image must be " \
           "1 byte to 64 MiB" in run.err, run
    assert not out.exists()


def test_firmware_vm_is_packed(tmp_path):
    cfg = tmp_path / "fw.cfg"
    cfg.write_text(f'name = "vm"\nmemory = 32\nfirmware = "{TEST_GUEST}"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 0, run
    with open(TEST_GUEST, "rb") as f:
        assert f.read() in out.read_bytes()


def test_relative_kernel_path_is_resolved_from_the_config_folder(tmp_path):
    sub = tmp_path / "vms"
    sub.mkdir()
    os.symlink(TEST_GUEST, sub / "guest.bin")
    cfg = sub / "rel.cfg"
    cfg.write_text('name = "vm"\nmemory = 32\nkernel = "guest.bin"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 0, run
    assert out.stat().st_size > os.path.getsize(TEST_GUEST)


def test_memory_that_does_not_fit(tmp_path):
    cfg = tmp_path / "big.cfg"
    cfg.write_text(GOOD.replace("memory = 32", "memory = 4096"))
    run, out = image(tmp_path, str(cfg), opts=("--mem", "2G"))
    assert run.code == 2, run
    assert f"{cfg}:2: memory: 4096 MiB does not fit in a 2048 MiB machine" in run.err, run
    assert not out.exists()


def test_vms_together_do_not_fit(tmp_path):
    paths = []
    for i in range(3):
        cfg = tmp_path / f"vm{i}.cfg"
        cfg.write_text(GOOD.replace('"vm"', f'"vm{i}"').replace("memory = 32", "memory = 800"))
        paths.append(str(cfg))
    run, out = image(tmp_path, *paths)
    assert run.code == 2, run
    assert "memory: the VMs need 2400 MiB in all" in run.err, run
    assert not out.exists()


def test_duplicate_vm_names(tmp_path):
    a = tmp_path / "a.cfg"
    b = tmp_path / "b.cfg"
    a.write_text(GOOD)
    b.write_text(GOOD)
    run, out = image(tmp_path, str(a), str(b))
    assert run.code == 2, run
    assert f"{b}:1: name: 'vm' is already the name of the VM in {a}" in run.err, run
    assert not out.exists()


def test_missing_config_file(tmp_path):
    run, out = image(tmp_path, str(tmp_path / "absent.cfg"))
    assert run.code == 2, run
    assert "absent.cfg: no such config file" in run.err
    assert not out.exists()


def test_missing_ramdisk_file(tmp_path):
    cfg = tmp_path / "nord.cfg"
    cfg.write_text(GOOD + 'ramdisk = "no-such-initrd.cpio"\n')
    run, out = image(tmp_path, str(cfg))
    assert run.code == 2, run
    assert f"{cfg}:4: ramdisk: no such file 'no-such-initrd.cpio'" in run.err, run
    assert str(tmp_path / "no-such-initrd.cpio") in run.err
    assert not out.exists()


@pytest.mark.parametrize("text, opts, where, words", [
    (GOOD + "vcpus = 0\n", (), ":4: vcpus:", "between"),
    (GOOD + 'ramdisk = "no-such-initrd.cpio"\n', (), ":4: ramdisk:", "no such file"),
    (GOOD.replace("memory = 32", "memory = 64"), ("--mem", "64M"), ":2: memory:",
     "does not fit in a 64 MiB machine"),
])
def test_run_refuses_a_bad_config_and_boots_nothing(tmp_path, text, opts, where, words):
    """`run` checks as `image` does, before QEMU starts."""
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    run = bulkhead("run", "--timeout", "60", *opts, str(cfg))
    assert run.code == 2, run
    assert f"{cfg}{where}" in run.err and words in run.err, run
    assert not run.hv_lines(), run  # Bulkhead never printed: QEMU did not start
