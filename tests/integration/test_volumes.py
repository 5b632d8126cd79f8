"""The storage pool in the hypervisor: volumes found on a pool disk at boot,
attached to VMs by their config's `disk` key (read-write exclusive), a bad
primary GPT repaired through the disk driver, and the shell's vol-list and
block-list."""

import re
import shutil

import pytest

from conftest import TEST_GUEST, bulkhead, console_run, run_vms

SECTOR = 512


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    """A 16 MiB pool with two volumes: data (4 MiB) and logs (2 MiB)."""
    path = tmp_path_factory.mktemp("pool") / "pool.img"
    for args in (("create", path, "16M"), ("add", path, "data", "4M"),
                 ("add", path, "logs", "2M")):
        run = bulkhead("pool", *[str(a) for a in args])
        assert run.code == 0, run
    return path


def cfg(folder, name, mode, *disks):
    path = folder / f"{name}.cfg"
    specs = ", ".join(f"'{d}'" for d in disks)
    path.write_text(f'name = "{name}"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                    f'disk = [ {specs} ]\nextra = "test={mode}"\n')
    return str(path)


def test_volumes_are_attached_and_conflicts_refused(tmp_path, pool_file):
    a = cfg(tmp_path, "a", "spin ms=300", "vdev=xvdb, access=ro, target=logs",
            "vdev=xvda, access=rw, target=data")
    b = cfg(tmp_path, "b", "hello", "vdev=xvda, access=rw, target=data")
    c = cfg(tmp_path, "c", "hello", "vdev=xvda, access=ro, target=logs")
    d = cfg(tmp_path, "d", "hello", "vdev=xvda, target=nosuch")
    e = cfg(tmp_path, "e", "hello", "vdev=xvda, access=rw, target=logs")
    f = cfg(tmp_path, "f", "hello", "vdev=xvda, access=ro, target=data")
    # the host would refuse these configs: boot them anyway, for Bulkhead to refuse
    run = run_vms(a, b, c, d, e, f, args=("--no-disk-check", "--disk", str(pool_file)))
    hv = run.hv_lines()
    assert "pool disk vda: 2 volumes: data (4 MiB), logs (2 MiB)" in hv, run

    def refused(name, words):
        pattern = rf"vm '{name}' \(\S*{name}\.cfg:4\): disk: volume {words}; VM not created"
        assert [l for l in hv if re.fullmatch(pattern, l)], (pattern, run)

    refused("b", "'data' is attached read-write to vm 'a'")
    refused("d", "'nosuch' is not in the storage pool")
    refused("e", "'logs' is attached read-only to vm 'a'")
    # read-only beside a writer is refused too: its data would change underneath
    refused("f", "'data' is attached read-write to vm 'a'")
    # two readers share a read-only volume
    assert "(c) hello from the test guest" in run.lines or \
        [l for l in run.lines if l.startswith("(c) ")], run
    assert not [l for l in hv if l.startswith("vm 'c'") and "not created" in l], run
    assert not [l for l in hv if l.startswith("vm 'a'") and "not created" in l], run


def test_bad_primary_is_rewritten_from_the_backup(tmp_path, pool_file):
    damaged = tmp_path / "damaged.img"
    shutil.copyfile(pool_file, damaged)
    with open(damaged, "r+b") as f:
        f.seek(SECTOR)
        f.write(bytes(SECTOR))  # the primary header, gone
    assert bulkhead("pool", "check", str(damaged)).code == 1
    a = cfg(tmp_path, "a", "hello", "vdev=xvda, access=rw, target=data")
    run = run_vms(a, args=("--disk", str(damaged)))
    hv = run.hv_lines()
    assert "pool disk vda: primary GPT bad (no GPT signature); rewritten from the backup" \
        in hv, run
    assert "pool disk vda: 2 volumes: data (4 MiB), logs (2 MiB)" in hv, run
    # written through the driver and flushed: the host's tool finds both copies good
    check = bulkhead("pool", "check", str(damaged))
    assert check.code == 0, check


def test_both_copies_bad_refused_and_never_written(tmp_path, pool_file):
    broken = tmp_path / "broken.img"
    shutil.copyfile(pool_file, broken)
    size = broken.stat().st_size
    with open(broken, "r+b") as f:
        f.seek(SECTOR)
        f.write(bytes(SECTOR))
        f.seek(size - SECTOR)
        f.write(bytes(SECTOR))
    before = broken.read_bytes()
    a = cfg(tmp_path, "a", "hello", "vdev=xvda, access=rw, target=data")
    run = run_vms(a, args=("--no-disk-check", "--disk", str(broken)))
    hv = run.hv_lines()
    assert [l for l in hv if l.startswith("pool disk vda: no GPT") or
            l.startswith("pool disk vda: refused: ")], run
    assert [l for l in hv if "disk: volume 'data' is not in the storage pool" in l], run
    assert broken.read_bytes() == before


def test_shell_vol_list_and_block_list(tmp_path, pool_file):
    a = cfg(tmp_path, "a", "button", "vdev=xvdb, access=ro, target=logs",
            "vdev=xvda, access=rw, target=data")
    c = cfg(tmp_path, "c", "button", "vdev=vdc, access=ro, target=logs")
    with console_run("--timeout", "120", "--disk", str(pool_file), a, c, timeout=60,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(c\) button test: waiting")
        p.send("vol-list\r")
        p.expect(r"\(hv\) NAME +SIZE\(MiB\) +DISK +START +ATTACHED TO")
        p.expect(r"\(hv\) data +4 +vda +2048 +a \(rw\)\r")
        p.expect(r"\(hv\) logs +2 +vda +\d+ +a \(ro\), c \(ro\)\r")
        p.send("block-list a\r")
        p.expect(r"\(hv\) VDEV +BE +STATE +ACCESS")
        p.expect(r"\(hv\) xvda +data +attached +rw")
        p.expect(r"\(hv\) xvdb +logs +attached +ro")
        p.send("block-list nosuch\r")
        p.expect(r"\(hv\) block-list: no VM 'nosuch'")
        p.send("destroy a\r")
        p.expect(r"\(hv\) vm 1 'a' destroyed")
        # the final free detached a's volumes
        p.send("vol-list\r")
        p.expect(r"\(hv\) data +4 +vda +2048 +-\r")
        p.expect(r"\(hv\) logs +2 +vda +\d+ +c \(ro\)\r")
        p.send("shutdown c\r")
        p.expect(r"\(hv\) no VM is running")
