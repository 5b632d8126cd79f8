"""VMs defined on the pool at run time: `bulkhead pool add-vm` stores a VM's
config and files in a pool file as a partition of its own type; a Bulkhead
booted with that pool lists the VM as defined and `create NAME` reads it from
the disk and starts it. The host tool's checks and refusals run without QEMU."""

import os
import sys

from conftest import ROOT, TEST_GUEST, bulkhead, console_run, pool

sys.path.insert(0, os.path.join(ROOT, "tools"))
import gpt_table  # noqa: E402  (tools/, found through the line above)

MIB = 1024 * 1024


def guest_cfg(folder, name, memory=32, extra="test=hello", more=""):
    cfg = folder / f"{name}.cfg"
    cfg.write_text(f'name = "{name}"\nmemory = {memory}\nkernel = "{TEST_GUEST}"\n'
                   f'extra = "{extra}"\n{more}')
    return cfg


def listing(path):
    """{name: kind} from `pool list`."""
    run = pool("list", path)
    assert run.code == 0, run
    return {row.split()[0]: row.split()[3] for row in run.out.splitlines()[1:] if row.strip()}


def assert_good(path):
    run = pool("check", path)
    assert run.code == 0 and "both GPT copies good" in run.out, run


def assert_one_line_error(run, text):
    assert run.code == 2, run
    assert run.err.count("\n") == 1 and text in run.err and "Traceback" not in run.err, run


def vm_def_partition(path, name):
    p = gpt_table.Pool(str(path), writable=False)
    try:
        p.table()
        return [q for q in p.parts if q.vm_def and q.name == name][0]
    finally:
        p.close()


def test_add_vm_list_and_rm_vm(tmp_path):
    path = tmp_path / "pool.img"
    assert pool("create", path, "16M").code == 0
    assert pool("add", path, "data", "2M").code == 0
    run = pool("add-vm", path, guest_cfg(tmp_path, "pvm"))
    assert run.code == 0 and "pvm: VM defined" in run.out, run
    assert listing(path) == {"data": "volume", "pvm": "vm"}
    assert_good(path)
    # the partition holds the package: magic, one config, the kernel
    part = vm_def_partition(path, "pvm")
    assert part.type == gpt_table.VM_DEF_TYPE != gpt_table.VOLUME_TYPE
    with open(path, "rb") as f:
        f.seek(part.first * 512)
        assert f.read(8) == b"BHPKG001"
    # one name space for volumes and VMs
    assert_one_line_error(pool("add-vm", path, guest_cfg(tmp_path, "pvm")),
                          "a VM named 'pvm' is defined in the pool")
    assert_one_line_error(pool("add-vm", path, guest_cfg(tmp_path, "data")),
                          "a volume named 'data' exists")
    assert_one_line_error(pool("add", path, "pvm", "1M"), "a VM named 'pvm' is defined")
    # `rm` is for volumes, `rm-vm` for VMs; the space is zeroed
    assert_one_line_error(pool("rm", path, "pvm"), "no volume 'pvm'")
    assert_one_line_error(pool("rm-vm", path, "data"), "no VM 'data' defined")
    run = pool("rm-vm", path, "pvm")
    assert run.code == 0, run
    assert listing(path) == {"data": "volume"}
    assert_good(path)
    with open(path, "rb") as f:
        f.seek(part.first * 512)
        assert f.read(part.sectors * 512).count(0) == part.sectors * 512


def test_add_vm_checks_the_config_as_check_does(tmp_path):
    path = tmp_path / "pool.img"
    assert pool("create", path, "8M").code == 0
    bad = guest_cfg(tmp_path, "bad", more="bogus = 1\n")
    assert_one_line_error(pool("add-vm", path, bad), f"{bad}:5: bogus")
    nodisk = guest_cfg(tmp_path, "nodisk", more="disk = [ 'vdev=xvda, access=rw, target=none' ]\n")
    run = pool("add-vm", path, nodisk)
    assert run.code == 2 and f"{nodisk}:5: disk" in run.err and "Traceback" not in run.err, run
    huge = guest_cfg(tmp_path, "huge", memory=4096)
    assert_one_line_error(pool("add-vm", path, huge), f"{huge}:2: memory")
    assert_one_line_error(pool("add-vm", tmp_path / "nosuch.img", guest_cfg(tmp_path, "x")),
                          "no such pool file")
    assert listing(path) == {}
    assert_good(path)


def corrupt_magic(path, name):
    part = vm_def_partition(path, name)
    with open(path, "r+b") as f:
        f.seek(part.first * 512)
        f.write(b"XXXXXXXX")


def test_pool_vm_listed_and_created(tmp_path):
    path = tmp_path / "pool.img"
    assert pool("create", path, "32M").code == 0
    for cfg in (guest_cfg(tmp_path, "pvm", extra="test=hello"),
                guest_cfg(tmp_path, "broken"), guest_cfg(tmp_path, "a"),
                guest_cfg(tmp_path, "big", memory=900)):
        run = pool("add-vm", path, cfg)
        assert run.code == 0, run
    corrupt_magic(path, "broken")
    boot_vm = tmp_path / "boot" / "a.cfg"
    boot_vm.parent.mkdir()
    boot_vm.write_text(f'name = "a"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                       'extra = "test=button"\n')
    with console_run("--timeout", "200", "--mem", "768M", "--disk", str(path), str(boot_vm),
                     timeout=120, log=tmp_path / "console.log") as p:
        p.expect(r"\(hv\) pool disk vda: VM 'broken': bad definition: no VM package "
                 r"\(bad magic\); skipped")
        p.expect(r"\(hv\) pool disk vda: VM 'a' is also a VM of the boot image, which wins")
        p.expect(r"\(a\) button test: waiting")
        p.send("list\r")
        p.expect(r"pvm +defined .*\(pool disk vda; create NAME starts it\)")
        p.send("create big\r")
        p.expect(r"\(hv\) create big: not enough free memory: needs \d+ MiB \(900 MiB of RAM, "
                 r"1 MiB for its files from the pool\), \d+ MiB free")
        p.send("create broken\r")
        p.expect(r"\(hv\) create broken: no VM of that name in the boot image or the pool")
        p.send("create pvm\r")
        p.expect(r"\(hv\) vm 'pvm': reading its \d+ KiB from pool disk vda")
        p.expect(r"\(pvm\) hello from ")
        p.expect(r"\(pvm\) tick 2")
        p.expect(r"\(hv\) vm \d+ 'pvm'.*powered off")
        # its package went back with it: created again, read again
        p.send("create pvm\r")
        p.expect(r"\(hv\) vm 'pvm': reading its")
        p.expect(r"\(pvm\) hello from ")
        p.expect(r"\(hv\) vm \d+ 'pvm'.*powered off")
        p.send("list\r")
        p.expect(r"pvm +defined")
        p.send("shutdown a\r")
    log = (tmp_path / "console.log").read_text()
    assert "PANIC" not in log
    # refused before anything was built: no VM 'big' ever had RAM
    assert "'big' (big.cfg)" not in log
