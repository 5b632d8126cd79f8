"""bulkhead pool: storage pools on the host (no QEMU), checked against sgdisk."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, bulkhead

sys.path.insert(0, os.path.join(ROOT, "tools"))
import gpt_table  # noqa: E402  (tools/, found through the line above)
import pool as pool_tool  # noqa: E402

MIB = 1024 * 1024
SGDISK = shutil.which("sgdisk") or "/usr/sbin/sgdisk"
GPT_CHECK = os.path.join(ROOT, "build", "host", "bulkhead-gpt")


def pool(*args):
    return bulkhead("pool", *[str(a) for a in args])


def volumes(path):
    """{name: (start, size)} from `pool list`."""
    run = pool("list", path)
    assert run.code == 0, run
    rows = [line.split() for line in run.out.splitlines()[1:]]
    return {name: (int(start), int(size)) for name, start, size, kind in rows if kind == "volume"}


def sgdisk(*args):
    return subprocess.run([SGDISK, *[str(a) for a in args]], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)


def assert_sgdisk_clean(path):
    verify = sgdisk("-v", path)
    assert verify.returncode == 0 and "No problems found" in verify.stdout, verify.stdout


def assert_one_line_error(run, text):
    assert run.code == 2, run
    assert run.out == "", run
    assert run.err.count("\n") == 1 and text in run.err and "Traceback" not in run.err, run


@pytest.fixture
def p(tmp_path):
    path = tmp_path / "pool.img"
    run = pool("create", path, "64M")
    assert run.code == 0, run
    return path


def test_create_is_sparse_with_both_copies(p):
    assert os.path.getsize(p) == 64 * MIB
    assert os.stat(p).st_blocks * 512 < MIB
    assert volumes(p) == {}
    assert pool("check", p).code == 0
    assert_sgdisk_clean(p)


def test_add_list_and_sgdisk_agree(p, tmp_path):
    image = tmp_path / "data.bin"
    data = os.urandom(3 * MIB + 123)
    image.write_bytes(data)
    assert pool("add", p, "alpha", "8M").code == 0
    assert pool("add", p, "beta", "4M", "--from", image).code == 0
    assert pool("add", p, "gamma", "1000K").code == 0      # rounded up to 1 MiB
    assert volumes(p) == {"alpha": (1 * MIB, 8 * MIB), "beta": (9 * MIB, 4 * MIB),
                          "gamma": (13 * MIB, 1 * MIB)}
    table = sgdisk("-p", p).stdout
    for name, first, last in (("alpha", 2048, 18431), ("beta", 18432, 26623),
                              ("gamma", 26624, 28671)):
        assert any(line.split()[1:3] == [str(first), str(last)] and line.split()[-1] == name
                   for line in table.splitlines() if line.strip()[:1].isdigit()), table
    assert_sgdisk_clean(p)

    out = tmp_path / "beta.out"
    assert pool("export", p, "beta", out).code == 0
    exported = out.read_bytes()
    assert len(exported) == 4 * MIB
    assert exported[:len(data)] == data and exported[len(data):].count(0) == 4 * MIB - len(data)


def test_rm_zeroes_then_frees_the_space(p, tmp_path):
    image = tmp_path / "ones.bin"
    image.write_bytes(b"\xa5" * (2 * MIB))
    assert pool("add", p, "a", "2M", "--from", image).code == 0
    assert pool("add", p, "b", "1M").code == 0
    run = pool("rm", p, "a")
    assert run.code == 0, run
    with open(p, "rb") as f:
        f.seek(MIB)
        assert f.read(2 * MIB).count(0) == 2 * MIB
    assert volumes(p) == {"b": (3 * MIB, MIB)}
    # the first gap that fits is the freed one
    assert pool("add", p, "c", "1M").code == 0
    assert volumes(p)["c"] == (MIB, MIB)
    assert_sgdisk_clean(p)


def test_resize_grows_into_free_space_and_zeroes_what_it_gives_back(p, tmp_path):
    image = tmp_path / "ones.bin"
    image.write_bytes(b"\x5a" * (4 * MIB))
    assert pool("add", p, "v", "4M", "--from", image).code == 0
    assert pool("add", p, "w", "1M").code == 0          # right after v: 5 MiB
    assert pool("resize", p, "v", "1M").code == 0
    with open(p, "rb") as f:
        f.seek(MIB)
        assert f.read(MIB) == b"\x5a" * MIB
        assert f.read(3 * MIB).count(0) == 3 * MIB
    assert pool("resize", p, "v", "4M").code == 0
    assert volumes(p)["v"] == (MIB, 4 * MIB)
    run = pool("resize", p, "v", "5M")                 # w is in the way
    assert_one_line_error(run, "no room to grow 'v'")
    assert pool("resize", p, "w", "40M").code == 0      # free space after w
    assert volumes(p) == {"v": (MIB, 4 * MIB), "w": (5 * MIB, 40 * MIB)}
    assert_sgdisk_clean(p)


def test_user_errors_are_one_line(p, tmp_path):
    assert pool("add", p, "dup", "1M").code == 0
    assert_one_line_error(pool("add", p, "dup", "1M"), "a volume named 'dup' exists")
    assert_one_line_error(pool("add", p, "huge", "1G"), "no free space")
    assert_one_line_error(pool("add", p, "x", "10X"), "bad size '10X'")
    assert_one_line_error(pool("add", p, "x" * 37, "1M"), "bad volume name")
    assert_one_line_error(pool("add", p, "caf\u00e9", "1M"), "bad volume name")
    assert_one_line_error(pool("rm", p, "nothere"), "no volume 'nothere'")
    assert_one_line_error(pool("list", tmp_path / "missing.img"), "No such file or directory")
    assert_one_line_error(pool("create", p, "8M"), "File exists")
    assert_one_line_error(pool("create", tmp_path / "odd.img", "1500K"), "whole number of MiB")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(2 * MIB))
    assert_one_line_error(pool("add", p, "small", "1M", "--from", big), "does not fit")
    assert volumes(p) == {"dup": (MIB, MIB)}


def test_a_corrupted_primary_is_detected(p):
    assert pool("add", p, "keep", "1M").code == 0
    with open(p, "r+b") as f:
        f.seek(512 + 60)                               # inside the primary's disk GUID
        byte = f.read(1)
        f.seek(512 + 60)
        f.write(bytes([byte[0] ^ 1]))
    run = pool("check", p)
    assert run.code == 1 and "primary GPT damaged (header CRC mismatch)" in run.out, run
    # listing still works from the backup, with a warning; changes are refused
    run = pool("list", p)
    assert run.code == 0 and "keep" in run.out and "primary GPT damaged" in run.err, run
    assert_one_line_error(pool("add", p, "more", "1M"), "primary GPT damaged")
    assert "keep" in sgdisk("-p", p).stdout             # sgdisk too falls back to the backup


@pytest.fixture(scope="module")
def gpt_check():
    """The hypervisor's own GPT reader (storage/gpt.c), built for the host."""
    subprocess.run(["make", "-s", "-C", ROOT, "build/host/bulkhead-gpt"], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)

    def run(*args):
        return subprocess.run([GPT_CHECK, *[str(a) for a in args]], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    return run


def test_the_hypervisors_reader_accepts_what_the_tool_writes(p, gpt_check):
    assert pool("add", p, "alpha", "3M").code == 0
    assert pool("add", p, "beta", "1M").code == 0
    assert sgdisk("-n", "0:0:+1M", "-t", "0:8300", p).returncode == 0   # not ours: ignored
    run = gpt_check(p)
    assert run.returncode == 0, run
    assert run.stdout.splitlines() == ["primary: good", "backup: good",
                                       "alpha 2048 6144", "beta 8192 2048"]
    assert volumes(p) == {"alpha": (MIB, 3 * MIB), "beta": (4 * MIB, MIB)}


def test_the_hypervisors_reader_repairs_a_damaged_primary(p, gpt_check):
    assert pool("add", p, "keep", "2M").code == 0
    with open(p, "r+b") as f:
        f.seek(2 * 512 + 56)                           # the first entry's name
        f.write(b"X")
    assert "primary GPT damaged (partition entry array CRC mismatch)" in pool("check", p).out
    run = gpt_check(p)
    assert run.returncode == 0, run
    assert run.stdout.splitlines()[:2] == ["primary: bad (partition entry array CRC mismatch)",
                                           "backup: good"]
    run = gpt_check(p, "--repair")
    assert run.returncode == 0, run
    assert pool("check", p).code == 0
    assert volumes(p) == {"keep": (MIB, 2 * MIB)}
    assert_sgdisk_clean(p)


def test_the_hypervisors_reader_refuses_a_pool_with_both_copies_damaged(p, gpt_check):
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        for lba in (1, size // 512 - 1):
            f.seek(lba * 512)
            f.write(b"NOT PART")
    before = open(p, "rb").read(64 * 1024)
    run = gpt_check(p, "--repair")
    assert run.returncode == 1 and "no valid GPT" in run.stderr, run
    assert open(p, "rb").read(64 * 1024) == before
    assert_one_line_error(pool("list", p), "not a valid pool")


class Crash(Exception):
    """The machine stops in the middle of a write."""


@pytest.mark.parametrize("change", [
    lambda path: pool_tool.add(path, "new", "2M"),
    lambda path: pool_tool.rm(path, "old"),
    lambda path: pool_tool.resize(path, "old", "3M"),
    lambda path: pool_tool.resize(path, "old", "1M"),
], ids=["add", "rm", "grow", "shrink"])
def test_a_crash_at_any_write_leaves_a_valid_copy(p, tmp_path, gpt_check, monkeypatch, change):
    """Every write of a change is cut short in turn (half of it lands): the
    hypervisor's reader must still accept the pool, from one copy or both."""
    assert pool("add", p, "old", "2M").code == 0
    real_write = gpt_table.Pool.write_at
    crashed = tmp_path / "crashed.img"
    for stop in range(1, 100):
        shutil.copyfile(p, crashed)
        writes = 0

        def write_at(self, offset, data):
            nonlocal writes
            writes += 1
            if writes == stop:
                real_write(self, offset, bytes(data)[:len(data) // 2])
                raise Crash
            real_write(self, offset, data)
        monkeypatch.setattr(gpt_table.Pool, "write_at", write_at)
        try:
            change(str(crashed))
        except Crash:
            pass
        else:
            break                                      # every write has had its turn
        finally:
            monkeypatch.undo()
        run = gpt_check(crashed)
        assert run.returncode == 0, (stop, run)
        assert "good" in run.stdout, (stop, run)
    assert stop > 4, "the change made fewer writes than the table alone needs"
