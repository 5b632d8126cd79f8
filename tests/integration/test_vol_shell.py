"""The shell's vol-create and vol-delete on a running hypervisor: a volume
with data deleted (zeroed, then its GPT entry removed) and a new one made in
its place, checked from the host afterwards with the pool tool: both GPT
copies good, the new volume where the old one was, and all zeros. Refusals:
an attached volume, a taken or bad name, no room, a second job while one
runs."""

import pexpect

from conftest import TEST_GUEST, bulkhead, console_run

MIB = 1024 * 1024


def make_pool(folder):
    """16 MiB: 'old' (4 MiB of 0x5a bytes) at 1 MiB, then 'keep' (2 MiB)."""
    pattern = folder / "pattern.bin"
    pattern.write_bytes(b"\x5a" * (4 * MIB))
    pool = folder / "pool.img"
    for args in (("create", pool, "16M"), ("add", pool, "old", "4M", "--from", pattern),
                 ("add", pool, "keep", "2M")):
        run = bulkhead("pool", *[str(a) for a in args])
        assert run.code == 0, run
    return pool


def volumes(pool):
    """{name: (start, size)} in bytes, from `pool list`."""
    run = bulkhead("pool", "list", str(pool))
    assert run.code == 0, run
    rows = [line.split() for line in run.out.splitlines()[1:] if line.strip()]
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def test_vol_delete_then_create_in_its_place(tmp_path):
    pool = make_pool(tmp_path)
    assert volumes(pool)["old"] == (1 * MIB, 4 * MIB)
    cfg = tmp_path / "a.cfg"
    cfg.write_text(f'name = "a"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   f"disk = [ 'vdev=xvda, access=rw, target=keep' ]\nextra = \"test=button\"\n")
    with console_run("--timeout", "200", "--disk", str(pool), str(cfg), timeout=120,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(a\) button test: waiting")
        p.send("vol-delete keep\r")
        p.expect(r"\(hv\) vol-delete keep: attached to a \(rw\); destroy the VM first")
        p.send("vol-delete nosuch\r")
        p.expect(r"\(hv\) vol-delete nosuch: no such volume")
        p.send("vol-delete old\r")
        p.expect(r"\(hv\) vol-delete old: done: 4 MiB zeroed and removed from vda")
        p.send("vol-create keep 1\r")
        p.expect(r"\(hv\) vol-create keep: a volume of that name exists")
        p.send("vol-create a-name-of-thirty-seven-characters-xyz 1\r")
        p.expect(r"\(hv\) vol-create a-name-of-thirty-seven-characters-xyz: bad name")
        p.send("vol-create huge 1g\r")
        # free: 1-5 MiB (where old was) and 7-15 MiB
        p.expect(r"\(hv\) vol-create huge: failed: no room for 1024 MiB: the largest free "
                 r"extent is 8 MiB \(on vda\)")
        p.send("vol-create new 4\r")
        p.expect(r"\(hv\) vol-create new: done: 4 MiB on vda at 1 MiB")
        # both lines reach the shell before the first job's first disk request completes
        p.send("vol-create b1 2m\rvol-create b2 1\r")
        p.expect(r"\(hv\) vol-create b2: busy")
        p.expect(r"\(hv\) vol-create b1: done: 2 MiB on vda at 7 MiB")
        p.send("vol-list\r")
        # new took old's emptied slot in the table
        p.expect(r"\(hv\) new +4 +vda +2048 +-\r")
        p.expect(r"\(hv\) keep +2 +vda +10240 +a \(rw\)\r")
        p.expect(r"\(hv\) b1 +2 +vda +14336 +-\r")
        p.send("shutdown a\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    check = bulkhead("pool", "check", str(pool))
    assert check.code == 0, check
    vols = volumes(pool)
    assert "old" not in vols
    assert vols["new"] == (1 * MIB, 4 * MIB)
    assert vols["b1"] == (7 * MIB, 2 * MIB)
    out = tmp_path / "new.bin"
    run = bulkhead("pool", "export", str(pool), "new", str(out))
    assert run.code == 0, run
    data = out.read_bytes()
    assert len(data) == 4 * MIB and data.count(0) == len(data)
    # the pattern is gone from the whole disk, not just from the new volume
    assert b"\x5a" * 512 not in pool.read_bytes()
