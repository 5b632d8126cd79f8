"""Helpers for integration tests: write VM configs, boot them under QEMU."""

import contextlib
import os
import subprocess
import textwrap

import pexpect
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BULKHEAD = os.path.join(ROOT, "bulkhead")
TEST_GUEST = os.path.join(ROOT, "build", "guests", "test", "test.bin")
KERNEL = os.path.join(ROOT, "build", "linux", "Image")
UBOOT = os.path.join(ROOT, "build", "uboot", "u-boot.bin")
MKINITRAMFS = os.path.join(ROOT, "guests", "linux", "mkinitramfs.py")


class Run:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.lines = [line.rstrip("\r") for line in proc.stdout.splitlines()]
        # pytest cuts a long assertion message short but shows a failed
        # test's captured output whole: the run is there in full.
        print(f"=== {' '.join(map(str, proc.args))}\n{self!r}")

    def vm_lines(self, name):
        prefix = f"({name}) "
        return [line[len(prefix):] for line in self.lines if line.startswith(prefix)]

    def hv_lines(self):
        return [line[5:] for line in self.lines if line.startswith("(hv) ")]

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def bulkhead(*args, timeout=120):
    proc = subprocess.run([BULKHEAD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, errors="replace", timeout=timeout)
    return Run(proc)


@pytest.fixture
def vmcfg(tmp_path):
    """vmcfg(name, **keys) writes tmp_path/NAME.cfg and returns its path."""

    def write(name, text=None, **keys):
        path = tmp_path / f"{name}.cfg"
        if text is None:
            fields = {"name": name, "memory": 32, "kernel": TEST_GUEST}
            fields.update(keys)
            text = "".join(f"{k} = {v!r}\n" if isinstance(v, str) else f"{k} = {v}\n"
                           for k, v in fields.items())
        path.write_text(textwrap.dedent(text))
        return str(path)

    return write


def pool(*args):
    """`bulkhead pool ARGS`, each argument made a string (paths included)."""
    return bulkhead("pool", *[str(a) for a in args])


def linux_cfg(tmp_path, name, initrd, devices, vcpus=2, memory=256):
    """Writes tmp_path/NAME.cfg for the Linux guest (KERNEL, `initrd`, a
    quiet console) with the `devices` line (disk = [...], vif = [...])
    after it; returns its path."""
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(f'name = "{name}"\nvcpus = {vcpus}\nmemory = {memory}\nkernel = "{KERNEL}"\n'
                   f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\n'
                   f"{devices}\n")
    return str(cfg)


def run_vms(*cfgs, timeout=60, args=()):
    return bulkhead("run", "--timeout", str(timeout), *args, *cfgs, timeout=timeout + 60)


@pytest.fixture(scope="session")
def linux_payload():
    """Debian's kernel and busybox (cached under build/linux)."""
    proc = subprocess.run([os.path.join(ROOT, "guests", "linux", "fetch-debian.sh")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    return KERNEL


@pytest.fixture(scope="session")
def uboot_payload():
    """Debian's U-Boot for QEMU, the qemu_arm64 build (cached under build/uboot)."""
    proc = subprocess.run([os.path.join(ROOT, "guests", "uboot", "fetch-uboot.sh")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    return UBOOT


@pytest.fixture
def initramfs(tmp_path, linux_payload):
    """initramfs() builds the default one (busybox init, a shell on the
    console); initramfs(run=TEXT) has busybox init run script TEXT instead
    of the shell; initramfs(init=TEXT) makes script TEXT /init itself;
    modules=("ext4",) carries and loads those modules too; add={SRC: DEST}
    carries file SRC at DEST. Each call
    writes its own files, so the VMs of one run can each have their own."""
    built = []

    def build(run=None, init=None, modules=(), add=None):
        n = len(built)
        built.append(n)
        args = [a for m in modules for a in ("--add-module", m)]
        args += [a for src, dest in (add or {}).items() for a in ("--add", f"{src}:{dest}")]
        for option, text in (("--run", run), ("--init", init)):
            if text is not None:
                script = tmp_path / f"{option[2:]}-{n}.sh"
                script.write_text(text)
                args += [option, str(script)]
        out = tmp_path / f"initramfs-{n}.cpio.gz"
        subprocess.run([MKINITRAMFS, *args, "-o", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        return str(out)
    return build


@contextlib.contextmanager
def console_run(*args, timeout, log=None):
    """`bulkhead run ARGS` under pexpect, for tests that type at the console;
    `log` keeps what the console printed. QEMU is stopped on the way out, and
    p.exitstatus is then the run's exit code."""
    if "--on-idle" not in args:
        # a pty is a terminal, where the machine would stay up once its VMs
        # stop: these tests end with the power-off unless they ask otherwise
        args = ("--on-idle", "poweroff", *args)
    p = pexpect.spawn(BULKHEAD, ["run", *args], encoding="utf-8", timeout=timeout)
    logfile = open(log, "w") if log else None
    p.logfile_read = logfile
    try:
        yield p
    finally:
        p.close(force=True)
        if logfile:
            logfile.close()


def shared_view(p):
    """At the shell of a console_run: every VM's output by line with its
    prefix, whoever has the input (the tests' patterns read the prefixes)."""
    p.send("console-view shared\r")
    p.expect(r"\(hv\) > console-view shared")


def machine_free_kib(p):
    """The machine's free memory in KiB, as the shell's `info` says it."""
    p.send("info\r")
    p.expect(r"\(hv\) free_memory +: \d+ MiB \((\d+) KiB\)")
    return int(p.match.group(1))
