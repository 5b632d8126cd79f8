"""The host command as a CLI: stopped by SIGINT or SIGTERM it stops QEMU,
leaves no image and prints no traceback; --help, --version, one-line
errors for what it cannot read or write, --cpus within what Bulkhead uses."""

import os
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BULKHEAD, ROOT, TEST_GUEST, bulkhead


def qemu_children(pid):
    """The PIDs of qemu-system-aarch64 processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid and name.startswith("qemu-system"):
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_qemu_and_leaves_no_image(tmp_path, signum):
    cfg = tmp_path / "spin.cfg"
    cfg.write_text(f'name = "spin"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=spin"\n')
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    before = set(os.listdir(os.path.join(ROOT, "build"))) | {"run"}
    proc = subprocess.Popen([BULKHEAD, "run", str(cfg)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    qemu = []
    for _ in range(600):                         # until QEMU runs: at most 60 s
        qemu = qemu_children(proc.pid)
        if qemu:
            break
        time.sleep(0.1)
    assert qemu, "QEMU never started"
    assert os.listdir(scratch), "the boot image is not in the temporary folder"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, (out, err)
    assert f"bulkhead: stopped by {signal.Signals(signum).name}" in err, err
    assert "Traceback" not in err, err
    assert not alive(qemu[0]), "QEMU was left running"
    assert os.listdir(scratch) == [], "the boot image was left behind"
    run_dir = os.path.join(ROOT, "build", "run")
    assert not os.path.isdir(run_dir) or not os.listdir(run_dir)
    assert set(os.listdir(os.path.join(ROOT, "build"))) <= before


@pytest.mark.parametrize("command, words", [
    ("check", ["--cpus N", "(default: 4;", "at most 8", "(default: 2G)", "exit status: 0"]),
    ("image", ["--cpus N", "(default: 4;", "(default: 2G)", "exit status: 0",
               "nothing is left at FILE"]),
    ("run", ["(default: 4;", "at most 8", "(default: 2G)", "(default: max,pauth-impdef=on)",
             "exit status: 0", "3 --timeout passed", "130 or 143", "SIGTERM"]),
])
def test_help_shows_defaults_and_exit_codes(command, words):
    proc = subprocess.run([BULKHEAD, command, "--help"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for w in words:
        assert w in text, (w, proc.stdout)


def test_version():
    proc = subprocess.run([BULKHEAD, "--version"], stdout=subprocess.PIPE, text=True)
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    assert proc.returncode == 0
    assert proc.stdout.startswith("bulkhead ") and head[:7] in proc.stdout, proc.stdout


@pytest.mark.parametrize("command", ["check", "image", "run"])
def test_cpus_beyond_what_bulkhead_uses_is_refused(tmp_path, command):
    cfg = tmp_path / "vm.cfg"
    cfg.write_text(f'name = "vm"\nmemory = 32\nkernel = "{TEST_GUEST}"\n')
    extra = ["-o", str(tmp_path / "out.img")] if command == "image" else []
    run = bulkhead(command, *extra, "--cpus", "9", str(cfg))
    assert run.code == 2, run
    assert "argument --cpus: '9': Bulkhead uses 1 to 8 CPUs" in run.err, run
    assert run.out == "" and not (tmp_path / "out.img").exists()


@pytest.mark.parametrize("output, words", [
    ("/proc/no-such-folder/out.img", "No such file or directory"),
    ("/sys/out.img", "Permission denied"),
])
def test_an_unwritable_output_is_one_line(tmp_path, output, words):
    cfg = tmp_path / "vm.cfg"
    cfg.write_text(f'name = "vm"\nmemory = 32\nkernel = "{TEST_GUEST}"\n')
    run = bulkhead("image", "-o", output, str(cfg))
    assert run.code == 2, run
    assert run.err == f"bulkhead: {output}: cannot write the image: {words}\n", run


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_kernel_is_one_line(tmp_path):
    kernel = tmp_path / "Image"
    kernel.write_bytes(open(TEST_GUEST, "rb").read())
    kernel.chmod(0)
    cfg = tmp_path / "vm.cfg"
    cfg.write_text(f'name = "vm"\nmemory = 32\nkernel = "{kernel}"\n')
    run = bulkhead("check", str(cfg))
    assert run.code == 2, run
    assert run.err == f"bulkhead: {cfg}:3: kernel: cannot read '{kernel}': Permission denied\n"


def test_an_unreadable_input_is_one_line(tmp_path):
    """A folder where a file should be cannot be read, even by root."""
    cfg = tmp_path / "vm.cfg"
    cfg.write_text('name = "vm"\nmemory = 32\nkernel = "k"\nramdisk = "rd"\n')
    (tmp_path / "k").write_bytes(open(TEST_GUEST, "rb").read())
    (tmp_path / "rd").mkdir()
    run = bulkhead("check", str(cfg))
    assert run.code == 2, run
    assert run.err.count("\n") == 1 and f"{cfg}:4: ramdisk: no such file 'rd'" in run.err, run
