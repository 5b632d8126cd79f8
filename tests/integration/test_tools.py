"""Host tooling: make debug's gdb session, bulkhead check, bulkhead run's options,
mkinitramfs and docs/linux-guests.md's example."""

import gzip
import re
import subprocess

import pexpect
import pytest

from conftest import MKINITRAMFS, ROOT, TEST_GUEST, bulkhead, console_run, run_vms


def test_debug_stops_at_the_first_instruction_with_symbols():
    proc = subprocess.run([f"{ROOT}/tools/debug.sh", "--check"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                          timeout=120, cwd=ROOT)
    assert "=> 0x40200000 <_start_image>:" in proc.stdout, proc.stdout
    # the "MZ" instruction of the PE header (efi_header.S), then the branch
    assert "ccmp\tx18, #0x0, #0xd, pl" in proc.stdout, proc.stdout
    assert re.search(r"b\t0x402[0-9a-f]{5} <primary_entry>", proc.stdout), proc.stdout


def test_check_accepts_the_demo_configs():
    names = ("alpha", "beta", "gamma", "linux")
    run = bulkhead("check", *[f"{ROOT}/examples/demo/{n}.cfg" for n in names])
    assert run.code == 0, run
    assert run.out.count(": ok") == 4


def demo_session(demo_pool, cfgs, boot):
    """`make run`'s demo at a terminal: the Debian VM shows its volume and
    boot count, then waits at a shell under a three-line hint; the hint's
    `shutdown debian` stops it. Returns what the Debian VM printed."""
    log = demo_pool.parent / f"demo-{boot}.log"
    with console_run("--timeout", "280", "--disk", str(demo_pool), *cfgs, timeout=240,
                     log=log) as p:
        p.expect(r"\(debian\) Try it: typing goes to Bulkhead's shell; Ctrl-A three times")
        p.expect(r"\(debian\) In Bulkhead's shell: list, info debian, top, dmesg, help")
        p.expect(r"\(debian\) shutdown debian \(there\) or poweroff \(here\) stops this VM")
        p.expect(r"\(debian\) [/~] # ")  # left at a shell
        p.send("shutdown debian\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0, open(log).read()[-3000:]
    text = open(log).read().replace("\r", "")
    return [l[len("(debian) "):] for l in text.splitlines() if l.startswith("(debian) ")], text


def test_the_demo_runs(tmp_path):
    """What `make run` boots: Debian Linux beside three test guests, all ending
    cleanly; the Debian VM mounts its volume (an ext4 file system that
    tools/make-demo-pool made), shows the welcome file and counts its boots
    there, so the next run of it counts one more."""
    demo_pool = tmp_path / "pool.img"
    made = subprocess.run([f"{ROOT}/tools/make-demo-pool", str(demo_pool)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)
    if made.returncode != 0 and "mke2fs is missing" in made.stdout:
        pytest.skip("mke2fs (Debian's e2fsprogs, `make deps`) makes the demo's volume")
    assert made.returncode == 0, made.stdout
    demo = [f"{ROOT}/examples/demo/{n}.cfg" for n in ("alpha", "beta", "gamma", "linux")]
    debian, text = demo_session(demo_pool, demo, 1)
    assert any(l.startswith("Debian Linux 6.") and "2 CPUs" in l for l in debian), text
    for name in ("alpha", "beta", "gamma"):
        assert f"({name}) tick 4" in text, text
    assert "Hello from demo-data, an ext4 file system on a Bulkhead volume." in debian, text
    assert "demo-data: this is boot 1 of the demo VM (counted in /mnt/boots.log)" in debian, text
    assert "demo-data: unmounted" in debian, text

    debian, text = demo_session(demo_pool, demo[-1:], 2)
    assert "demo-data: this is boot 2 of the demo VM (counted in /mnt/boots.log)" in debian, text


def hello_run(tmp_path, *opts):
    cfg = tmp_path / "hello.cfg"
    cfg.write_text(f'name = "hello"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=hello"\n')
    run = run_vms(str(cfg), args=opts)
    assert run.code == 0, run
    assert "tick 4" in run.vm_lines("hello"), run
    return run


def test_run_mem_and_cpus_shape_the_machine(tmp_path):
    """Not the defaults (2G, 4 CPUs): Bulkhead finds what --mem and --cpus gave QEMU."""
    hv = hello_run(tmp_path, "--mem", "768M", "--cpus", "3").hv_lines()
    assert "RAM 0x40000000-0x70000000 (768 MiB)" in hv, hv
    assert any(l.startswith("Bulkhead ") and "at EL2 on 3 CPUs" in l for l in hv), hv
    online = [l for l in hv if re.match(r"cpu \d+ online", l)]
    assert [l.split()[1] for l in online] == ["0", "1", "2"], hv


def counter_offset(run):
    hv = "\n".join(run.hv_lines())
    match = re.search(r"vm 1 'hello': started at counter (\d+)", hv)
    assert match, hv
    return int(match.group(1))


def test_run_icount_makes_virtual_time_follow_instructions(tmp_path):
    """Under --icount the counter counts executed instructions, so two runs
    read the same value at the same point of Bulkhead's boot (the counter
    when VM 1 is created); in real time they never would."""
    first = counter_offset(hello_run(tmp_path, "--icount", "--cpus", "2"))
    second = counter_offset(hello_run(tmp_path, "--icount", "--cpus", "2"))
    assert first == second


def cpio_entries(path):
    """(name, mode) of each entry of a gzip'd newc cpio archive."""
    data = gzip.decompress(open(path, "rb").read())
    entries, at = [], 0
    while True:
        header = data[at:at + 110]
        assert header[:6] == b"070701", at
        mode, size, namesize = (int(header[f:f + 8], 16) for f in (14, 54, 94))
        name = data[at + 110:at + 110 + namesize - 1].decode()
        if name == "TRAILER!!!":
            return entries
        entries.append((name, mode))
        at = (at + 110 + namesize + 3) & ~3
        at = (at + size + 3) & ~3


def test_mkinitramfs_add_makes_the_folders_of_dest(tmp_path, linux_payload):
    src = tmp_path / "index.html"
    src.write_text("hello\n")
    out = tmp_path / "rd.cpio.gz"
    subprocess.run([MKINITRAMFS, "--add", f"{src}:/srv/www/index.html", "-o", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    names = [name for name, _ in cpio_entries(out)]
    for folder in ("srv", "srv/www"):
        assert folder in names, names
        assert names.index(folder) < names.index("srv/www/index.html"), names
    modes = dict(cpio_entries(out))
    assert modes["srv/www"] == 0o040755 and modes["srv/www/index.html"] == 0o100644


def test_mkinitramfs_add_of_a_missing_file_is_one_line(tmp_path, linux_payload):
    out = tmp_path / "rd.cpio.gz"
    proc = subprocess.run([MKINITRAMFS, "--add", f"{tmp_path}/absent:/x", "-o", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode != 0
    assert proc.stderr == f"mkinitramfs: --add {tmp_path}/absent:/x: no such file " \
                          f"{tmp_path}/absent\n", proc.stderr
    assert not out.exists()


def test_the_linux_guests_example_works_as_written(linux_payload):
    """docs/linux-guests.md's example, run from the repository root: the
    file --add put under a new folder is there for the guest's script."""
    text = open(f"{ROOT}/docs/linux-guests.md").read()
    script = text.split("<!-- example: web -->\n```sh\n", 1)[1].split("```", 1)[0]
    assert "./bulkhead run build/web/web.cfg" in script
    script = script.replace("./bulkhead run ", "./bulkhead run --timeout 240 ")
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout
    assert "(web) web: Hello from /srv/www" in proc.stdout.replace("\r", ""), proc.stdout


def test_packed_relocations_are_checked_against_the_linkers(tmp_path):
    """tools/pack-relocs: the image's .relr names exactly the linker's
    relocations (the build runs --verify), and a table that misses one is
    refused in one line."""
    elf = f"{ROOT}/build/bulkhead.elf"
    tool = f"{ROOT}/tools/pack-relocs"
    ok = subprocess.run([tool, "--verify", elf], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout
    table = tmp_path / "relr.bin"
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", "--only-section=.relr", elf,
                    str(table)], check=True, timeout=60)
    words = bytearray(table.read_bytes())
    assert len(words) >= 16 and words[0] & 1 == 0  # starts with an offset
    words[0:8] = (int.from_bytes(words[0:8], "little") + 8).to_bytes(8, "little")
    table.write_bytes(bytes(words))
    bad = tmp_path / "bad.elf"
    subprocess.run(["aarch64-linux-gnu-objcopy", f"--update-section=.relr={table}", elf,
                    str(bad)], check=True, timeout=60)
    refused = subprocess.run([tool, "--verify", str(bad)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=60)
    assert refused.returncode == 1, refused.stdout
    assert refused.stdout.startswith("pack-relocs: ") and refused.stdout.count("\n") == 1, \
        refused.stdout
    assert "Traceback" not in refused.stdout
