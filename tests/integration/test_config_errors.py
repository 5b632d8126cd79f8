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
    (GOOD + "sve = 64\n", 4, "sve", "128 to 2048 in steps of 128"),
    (GOOD + "cap = 7000\n", 4, "cap", "between"),
    (GOOD.replace('name = "vm"', 'name = "42"'), 1, "name", "must not be all digits"),
    (GOOD + "crash_limit = 0\n", 4, "crash_limit", "between"),
    (GOOD + "crash_window = 'a minute'\n", 4, "crash_window", "integer"),
    (GOOD + "maxmem = 16\n", 4, "maxmem", "16 MiB is below memory (32 MiB, line 2)"),
    (GOOD + "balloon_free_page_reporting = 'yes'\n", 4, "balloon_free_page_reporting", "must be 1 or 0"),
    (GOOD + "disk = [ 'vdev=xvda, access=rw, target=data',\n"
     "         'vdev=xvdb, access=rx, target=logs' ]\n", 5, "disk", "bad access 'rx'"),
    # vif: each spec's own line, one line of words
    (GOOD + "vif = [ 'bridge=br0',\n 'mac=02-00-00-00-00-01' ]\n", 5, "vif",
     "bad mac '02-00-00-00-00-01': separate the octets with ':', as xl does"),
    (GOOD + "vif = [ 'mac=01:00:5e:00:00:01' ]\n", 4, "vif", "is a multicast address"),
    (GOOD + "vif = [ 'mac=00:00:00:00:00:00' ]\n", 4, "vif", "is not a NIC's address"),
    (GOOD + "vif = [ 'bridge=a-very-long-switch' ]\n", 4, "vif",
     "bad bridge 'a-very-long-switch' (a switch name: 1 to 15 of A-Z a-z 0-9 _ . -)"),
    (GOOD + "vif = [ 'rate=10Mbit/s' ]\n", 4, "vif", "bad rate '10Mbit/s': expected /s"),
    (GOOD + "vif = [ 'vlan=4095' ]\n", 4, "vif", "bad vlan '4095' (1 to 4094"),
    (GOOD + "vif = [ 'type=ioemu, model=e1000' ]\n", 4, "vif",
     "type 'ioemu' is not offered: Bulkhead emulates no NIC, a vif is virtio-net"),
    (GOOD + "vif = [ 'model=e1000' ]\n", 4, "vif", "model 'e1000' is not offered"),
    (GOOD + "vif = [ 'script=vif-bridge' ]\n", 4, "vif", "script= is xl's and has no meaning"),
    (GOOD + "vif = [ 'colour=blue' ]\n", 4, "vif", "unknown key 'colour' in a vif spec"),
    (GOOD + "vif = [ 'vlan=2, vlan=3' ]\n", 4, "vif", "vlan given twice in one vif spec"),
    (GOOD + "vif = [ 'mac=02:00:00:00:00:01',\n 'mac=02:00:00:00:00:01, bridge=br1' ]\n",
     5, "vif", "duplicate mac 02:00:00:00:00:01 (vif 0, on line 4, has it"),
    (GOOD + "vif = [ '', '', '', '', '', '', '', '', '' ]\n", 4, "vif", "at most 8 vifs"),
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
    assert f"{paths[2]}:2: memory: the VMs that start at boot need 2400 MiB in all" in \
        run.err, run
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


# --- disks against the pool files given (--disk) ---------------------------

def pool_cmd(*args):
    run = bulkhead("pool", *[str(a) for a in args])
    assert run.code == 0, run


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    """Two pools: one.img holds data and logs, two.img holds scratch; and a
    file with no GPT at all (Bulkhead passes over it: no volumes)."""
    folder = tmp_path_factory.mktemp("pools")
    one, two, blank = folder / "one.img", folder / "two.img", folder / "blank.img"
    pool_cmd("create", one, "8M")
    pool_cmd("add", one, "data", "2M")
    pool_cmd("add", one, "logs", "1M")
    pool_cmd("create", two, "4M")
    pool_cmd("add", two, "scratch", "1M")
    with open(blank, "wb") as f:
        f.truncate(4 * 1024 * 1024)
    return str(one), str(two), str(blank)


def disk_vm(tmp_path, name, *specs):
    """A config whose disk list has one spec a line, from line 4."""
    cfg = tmp_path / f"{name}.cfg"
    lines = ",\n        ".join(f"'{s}'" for s in specs)
    cfg.write_text(GOOD.replace('"vm"', f'"{name}"') + f"disk = [ {lines} ]\n")
    return str(cfg)


def checked(command, tmp_path, pools, *cfgs):
    """`bulkhead COMMAND` with each pool as --disk (every case given to run
    fails the check, so nothing boots)."""
    opts = [a for p in pools for a in ("--disk", p)]
    if command == "image":
        return bulkhead("image", "-o", str(tmp_path / "out.img"), *opts, *cfgs)
    if command == "run":
        return bulkhead("run", "--timeout", "60", *opts, *cfgs)
    return bulkhead("check", *opts, *cfgs)


def assert_refused(run, tmp_path, message):
    assert run.code == 2, run
    assert run.err == f"bulkhead: {message}\n", run      # one line, no traceback
    assert not run.hv_lines(), run                        # QEMU never started
    assert not (tmp_path / "out.img").exists()


@pytest.mark.parametrize("command", ["check", "image", "run"])
def test_a_missing_volume_names_the_specs_line(tmp_path, pools, command):
    one, two, blank = pools
    cfg = disk_vm(tmp_path, "a", "vdev=xvda, target=data", "vdev=xvdb, target=nosuch")
    run = checked(command, tmp_path, (one, two, blank), cfg)
    assert_refused(run, tmp_path, f"{cfg}:5: disk: no volume 'nosuch' in the pools given "
                                  f"({one}, {two}, {blank}: no volumes)")


def test_check_and_image_without_pools_do_not_look_for_volumes(tmp_path):
    cfg = disk_vm(tmp_path, "a", "vdev=xvda, target=anything")
    assert checked("check", tmp_path, (), cfg).code == 0
    assert checked("image", tmp_path, (), cfg).code == 0


def test_run_without_pools_has_no_volumes(tmp_path):
    cfg = disk_vm(tmp_path, "a", "vdev=xvda, target=data")
    assert_refused(checked("run", tmp_path, (), cfg), tmp_path,
                   f"{cfg}:4: disk: no volume 'data' in the pools given (none: give --disk POOL)")


@pytest.mark.parametrize("first, second, mode", [
    ("rw", "rw", "read-write"),
    ("rw", "ro", "read-write"),
    ("ro", "rw", "read-only"),
])
@pytest.mark.parametrize("command", ["check", "image", "run"])
def test_a_read_write_volume_is_attached_once(tmp_path, pools, command, first, second, mode):
    a = disk_vm(tmp_path, "a", "vdev=xvda, target=logs", f"vdev=xvdb, access={first}, target=data")
    b = disk_vm(tmp_path, "b", "vdev=xvda, target=scratch",
                f"vdev=xvdb, access={second}, target=data")
    run = checked(command, tmp_path, pools[:2], a, b)
    assert_refused(run, tmp_path, f"{b}:5: disk: volume 'data' is already attached {mode} to "
                                  f"vm 'a' ({a}:5); a read-write volume is attached to one VM "
                                  "only, once")


def test_one_vm_cannot_attach_a_read_write_volume_twice(tmp_path, pools):
    a = disk_vm(tmp_path, "a", "vdev=xvda, target=data", "vdev=xvdb, access=ro, target=data")
    assert_refused(checked("check", tmp_path, pools[:1], a), tmp_path,
                   f"{a}:5: disk: volume 'data' is already attached read-write to vm 'a' "
                   f"({a}:4); a read-write volume is attached to one VM only, once")


def test_conflicts_are_found_without_pools_too(tmp_path):
    a = disk_vm(tmp_path, "a", "vdev=xvda, target=data")
    b = disk_vm(tmp_path, "b", "vdev=xvda, target=data")
    assert checked("check", tmp_path, (), a, b).code == 2


def damage(path, copies, tmp_path):
    """A copy of pool `path` with the named GPT headers' CRC field broken."""
    out = tmp_path / f"damaged-{'-'.join(copies)}.img"
    data = bytearray(open(path, "rb").read())
    for copy in copies:
        at = 512 if copy == "primary" else len(data) - 512
        data[at + 16] ^= 0xFF                             # the header's CRC32
    out.write_bytes(bytes(data))
    return str(out)


@pytest.mark.parametrize("command", ["check", "image", "run"])
def test_a_pool_bulkhead_would_refuse_is_an_error(tmp_path, pools, command):
    bad = damage(pools[0], ("primary", "backup"), tmp_path)
    cfg = disk_vm(tmp_path, "a", "vdev=xvda, target=data")
    run = checked(command, tmp_path, (bad,), cfg)
    assert_refused(run, tmp_path, f"{bad}: --disk: Bulkhead would refuse this pool: no valid "
                                  "GPT (primary: header CRC mismatch; backup: header CRC "
                                  "mismatch)")


@pytest.mark.parametrize("given, words", [
    ("absent.img", "no such pool file"),
    (".", "a folder, not a pool file"),
])
def test_a_pool_file_that_is_not_there(tmp_path, given, words):
    cfg = disk_vm(tmp_path, "a", "vdev=xvda, target=data")
    path = str(tmp_path / given)
    assert_refused(checked("check", tmp_path, (path,), cfg), tmp_path, f"{path}: --disk: {words}")


def test_a_good_set_passes(tmp_path, pools):
    """Volumes from both pools; a read-only volume shared; a pool whose primary
    is damaged still counts (Bulkhead rewrites it from the backup)."""
    one = damage(pools[0], ("primary",), tmp_path)
    a = disk_vm(tmp_path, "a", "vdev=xvda, target=data", "vdev=xvdb, access=ro, target=logs")
    b = disk_vm(tmp_path, "b", "vdev=xvda, access=ro, target=logs", "vdev=xvdc, target=scratch")
    for command in ("check", "image"):
        run = checked(command, tmp_path, (one, pools[1], pools[2]), a, b)
        assert run.code == 0, run
    assert (tmp_path / "out.img").exists()


# --- vifs across VMs --------------------------------------------------------

def vif_vm(tmp_path, name, *specs):
    """A config whose vif list has one spec a line, from line 4."""
    cfg = tmp_path / f"{name}.cfg"
    lines = ",\n       ".join(f"'{s}'" for s in specs)
    cfg.write_text(GOOD.replace('"vm"', f'"{name}"') + f"vif = [ {lines} ]\n")
    return str(cfg)


@pytest.mark.parametrize("command", ["check", "image", "run"])
def test_one_mac_on_one_switch_and_vlan_is_refused(tmp_path, command):
    a = vif_vm(tmp_path, "a", "mac=02:00:00:00:00:01, bridge=lan, vlan=5")
    b = vif_vm(tmp_path, "b", "mac=02:00:00:00:00:02", "bridge=lan, vlan=5, mac=02:00:00:00:00:01")
    assert_refused(checked(command, tmp_path, (), a, b), tmp_path,
                   f"{b}:5: vif: vm 'a' already has mac 02:00:00:00:00:01 on bridge lan, "
                   f"VLAN 5 ({a}:4); two vifs on one switch and VLAN need different MACs")


def test_one_mac_untagged_on_the_default_switch_is_refused(tmp_path):
    a = vif_vm(tmp_path, "a", "bridge=br0, mac=02:00:00:00:00:AA")
    b = vif_vm(tmp_path, "b", "", "mac=02:00:00:00:00:aa")
    assert_refused(checked("check", tmp_path, (), a, b), tmp_path,
                   f"{b}:5: vif: vm 'a' already has mac 02:00:00:00:00:aa on bridge br0, "
                   f"untagged ({a}:4); two vifs on one switch and VLAN need different MACs")


def test_macs_on_other_switches_or_vlans_and_derived_macs_pass(tmp_path):
    """The same MAC on another switch, or another VLAN of the same switch, is
    another station; vifs without mac= get theirs from the hypervisor."""
    a = vif_vm(tmp_path, "a", "mac=02:00:00:00:00:01", "", "bridge=lan, vlan=5")
    b = vif_vm(tmp_path, "b", "mac=02:00:00:00:00:01, bridge=lan", "", "bridge=lan, vlan=5")
    c = vif_vm(tmp_path, "c", "mac=02:00:00:00:00:01, bridge=lan, vlan=5, rate=10Mb/s, type=vif")
    d = vif_vm(tmp_path, "d", "mac=02:00:00:00:00:01, bridge=br0, vlan=7")
    for command in ("check", "image"):
        run = checked(command, tmp_path, (), a, b, c, d)
        assert run.code == 0, run
    assert (tmp_path / "out.img").exists()
