#!/usr/bin/env python3
"""make soak: Bulkhead under churn. Four VMs on a 2-CPU machine (Debian's
Linux with a balloon, the fuzz guest, the test guest in its `chaos` mode,
which crashes, panics, resets or powers itself off at random, and U-Boot)
while random shell commands are typed at the console: create, destroy,
reboot, pause, unpause, shutdown, vcpu-pin, sched-credit, mem-set. The
commands follow a seed, printed first (--seed repeats a run).

At the end it fails (exit 1) on: a hypervisor panic or error line, a crash
of a VM other than the chaos guest, a fuzz-guest violation, a test-guest
FAIL, a command the shell never answered; then it brings every VM back to
running and checks that each works (Linux runs a command at its console,
U-Boot answers `version`, the fuzz guest finishes a run, the chaos guest
says it is alive), destroys them all and checks that the pool's free memory
is exactly what it was at boot, before any VM ran. See docs/fuzzing.md.

usage: tools/soak.py [--minutes M] [--seed S] [--log FILE]
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BULKHEAD = os.path.join(ROOT, "bulkhead")
KERNEL = os.path.join(ROOT, "build", "linux", "Image")
UBOOT = os.path.join(ROOT, "build", "uboot", "u-boot.bin")
TEST_GUEST = os.path.join(ROOT, "build", "guests", "test", "test.bin")
FUZZ_GUEST = os.path.join(ROOT, "build", "guests", "fuzz", "fuzz.bin")
MKINITRAMFS = os.path.join(ROOT, "guests", "linux", "mkinitramfs.py")

VMS = ("linux", "fuzz", "chaos", "uboot")
ANSWER_S = 60           # a shell command not answered within this is a finding
COMMANDS = ("destroy", "create", "reboot", "pause", "unpause", "shutdown", "vcpu-pin",
            "sched-credit", "mem-set")
# Lines that are a finding wherever they appear.
# A paused fuzz guest's secondary vCPU overruns the guest's own time limit
# for a CPU_ON run (its counter runs on while paused): not counted.
EXCUSED = re.compile(r"FUZZ VIOLATION vCPU 0x[0-9a-f]+ still on after \d+ ms")
BAD = re.compile(r"PANIC|exception in the hypervisor|FUZZ VIOLATION|^\((?:chaos|linux|fuzz|uboot)\) FAIL|"
                 r"not enough free memory|no memory for|'(?:linux|fuzz|uboot)' crashed")


class SoakError(Exception):
    pass


def configs(tmp, seed):
    initrd = os.path.join(tmp, "initramfs.cpio.gz")
    subprocess.run([MKINITRAMFS, "-o", initrd], check=True, stdout=subprocess.DEVNULL)
    common = 'autostart = 0\non_reboot = "restart"\n'
    texts = {
        "linux": f'name = "linux"\nvcpus = 2\nmemory = 128\nmaxmem = 160\nkernel = "{KERNEL}"\n'
                 f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\non_crash = "restart"\n'
                 'on_poweroff = "preserve"\n',
        "fuzz": f'name = "fuzz"\nvcpus = 2\nmemory = 32\nkernel = "{FUZZ_GUEST}"\n'
                f'extra = "seed={seed % 100000} ops=2000"\non_crash = "restart"\non_poweroff = "restart"\n',
        "chaos": f'name = "chaos"\nmemory = 32\nkernel = "{TEST_GUEST}"\nextra = "test=chaos ms=4000"\n'
                 'on_crash = "restart"\non_poweroff = "restart"\ncrash_limit = 64\ncrash_window = 1\n',
        "uboot": f'name = "uboot"\nmemory = 64\nfirmware = "{UBOOT}"\non_crash = "restart"\n'
                 'on_poweroff = "preserve"\n',
    }
    paths = []
    for name in VMS:
        path = os.path.join(tmp, f"{name}.cfg")
        with open(path, "w") as f:
            f.write(texts[name] + common)
        paths.append(path)
    return paths


def hv(p, command, answer, timeout=ANSWER_S):
    """Types a shell command; waits for an (hv) line matching `answer`."""
    p.send(command + "\r")
    try:
        p.expect(r"\(hv\) (?!> )(" + answer + ")", timeout=timeout)
    except pexpect.TIMEOUT:
        raise SoakError(f"no answer to '{command}' within {timeout} s") from None
    return p.match.group(1)


def free_kib(p):
    hv(p, "info", r"free_memory\s*: \d+ MiB \((\d+) KiB\)")
    return int(p.match.group(2))


def states(p):
    """name -> state from `list` (a VM destroyed shows `defined`). A VM
    being destroyed is listed as `dying` beside its `defined` row (its name
    is free at once): the live row counts, else `defined`."""
    hv(p, "list", r"ID\s+NAME")
    rows = {}
    while p.expect([r"\(hv\) +(\d+|-) +(linux|fuzz|chaos|uboot) +(\S+)\s", pexpect.TIMEOUT],
                   timeout=ANSWER_S if not rows else 3) == 0:
        rows.setdefault(p.match.group(2), []).append(p.match.group(3))
    seen = {}
    for name, found in rows.items():
        live = [s for s in found if s not in ("dying", "defined")]
        seen[name] = live[0] if live else ("defined" if "defined" in found else found[0])
    return seen


def churn_command(rng, name):
    cmd = rng.choice(COMMANDS)
    if cmd == "vcpu-pin":
        return f"vcpu-pin {name} 0 {rng.choice(['all', '0', '1', '0-1'])}"
    if cmd == "sched-credit":
        return f"sched-credit {name} weight={rng.randint(1, 1024)} cap={rng.choice([0, 0, 50, 100, 150])}"
    if cmd == "mem-set":
        return f"mem-set {name} {rng.randint(96, 160) if name == 'linux' else 32}"
    return f"{cmd} {name}"


def make_running(p, name, state):
    """Brings VM `name` back to running from whatever the churn left."""
    for _ in range(60):   # a destroyed VM is gone once its memory is scrubbed
        if state != "dying":
            break
        time.sleep(2)
        state = states(p).get(name, "defined")
    if state == "defined":
        answer = hv(p, f"create {name}", r"vm \d+ '" + name + r"': started|create " + name + r": [^\r\n]*")
        if "started" not in answer:
            raise SoakError(answer)
    elif state == "paused":
        hv(p, f"unpause {name}", r".*")
    elif state in ("shutdown", "crashed"):
        hv(p, f"reboot {name}", r".*")


def check_works(p, name, tmo):
    """The VM answers: each kind its own way. Input returns to the shell after."""
    if name == "fuzz":
        p.expect(r"\(fuzz\) .*FUZZ DONE seed=\d+ ops=\d+ \S+ \S+ \S+ violations=0", timeout=tmo)
        return
    if name == "chaos":
        p.expect(r"\(chaos\) chaos: (alive|living)", timeout=tmo)
        return
    hv(p, f"console {name}", r"console: input goes to")
    try:
        if name == "linux":
            _poke(p, "\r", r"[/~] # ", tmo)
            p.send("echo SOAK-$((6*7))\r")
            p.expect(r"SOAK-42", timeout=tmo)
        else:
            for _ in range(tmo // 3):   # U-Boot's autoboot eats keys until it gives up
                p.send("\r")
                if p.expect([r"=> ", pexpect.TIMEOUT], timeout=3) == 0:
                    break
            p.send("version\r")
            # the echo, then what it prints: the boot banner before the
            # prompt must not count. The prompt just matched may be the start
            # of the echo's line (a partial line goes out as it is), so the
            # echo is looked for alone.
            p.expect(r"version\r*\n", timeout=tmo)
            p.expect(r"U-Boot 20\d\d", timeout=tmo)
    finally:
        p.send("\x1d")   # Ctrl-]: input back to the shell
        p.expect(r"console: input goes to the Bulkhead shell", timeout=ANSWER_S)


def _poke(p, keys, prompt, tmo):
    for _ in range(max(1, tmo // 5)):
        p.send(keys)
        if p.expect([prompt, pexpect.TIMEOUT], timeout=5) == 0:
            return
    raise SoakError(f"no prompt '{prompt}'")


def soak(args, log_path):
    rng = random.Random(args.seed)
    findings = []
    counts = {}
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        cfgs = configs(tmp, args.seed)
        run_s = int(args.minutes * 60) + 900
        p = pexpect.spawn(BULKHEAD, ["run", "--on-idle", "stay", "--cpus", "2", "--timeout", str(run_s), *cfgs],
                          encoding="utf-8", codec_errors="replace", timeout=ANSWER_S, maxread=65536,
                          searchwindowsize=8192)
        log = open(log_path, "w")
        p.logfile_read = log
        try:
            p.expect(r"no VM is running yet", timeout=300)
            hv(p, "console-view shared", r"console: every VM's output by line")
            boot_free = free_kib(p)
            print(f"soak: free memory at boot {boot_free} KiB", flush=True)
            for name in VMS:
                hv(p, f"create {name}", r"vm \d+ '" + name + "': started")
            deadline = time.monotonic() + args.minutes * 60
            gone = set()   # destroyed by the churn: mostly created again next
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.5, 4.0))
                name = rng.choice(VMS)
                cmd = f"create {name}" if name in gone and rng.random() < 0.7 else churn_command(rng, name)
                counts[cmd.split()[0]] = counts.get(cmd.split()[0], 0) + 1
                answer = hv(p, cmd, r"[^\r\n]+(?=[\r\n])")
                if cmd.startswith("destroy ") and "destroyed" in answer:
                    gone.add(name)
                elif cmd.startswith("create "):
                    gone.discard(name)   # started, or it existed already
            print("soak: churn done: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
            # every VM running again, then each must work
            hv(p, "console-view shared", r"console: every VM's output by line")
            now = states(p)
            print("soak: after the churn: " + ", ".join(f"{n} {now.get(n, '?')}" for n in VMS), flush=True)
            for name in VMS:
                try:
                    make_running(p, name, now.get(name, "defined"))
                except SoakError as e:
                    findings.append(f"vm '{name}' could not be started again: {e}")
            for name in VMS:
                try:
                    check_works(p, name, 240)
                except (pexpect.TIMEOUT, SoakError) as e:
                    why = str(e) if isinstance(e, SoakError) else "no expected answer in time"
                    findings.append(f"vm '{name}' does not work after the churn ({why})")
            for name in VMS:
                hv(p, f"destroy {name}", r".*")
            for _ in range(60):   # a destroyed VM's memory comes back by background work
                if all(s == "defined" for s in states(p).values()):
                    break
                time.sleep(2)
            for _ in range(60):   # and its pages after it leaves the list
                end_free = free_kib(p)
                if end_free == boot_free:
                    break
                time.sleep(2)
            print(f"soak: free memory at the end {end_free} KiB", flush=True)
            if end_free != boot_free:
                findings.append(f"free memory {end_free} KiB at the end, {boot_free} KiB at boot")
        except (pexpect.TIMEOUT, pexpect.EOF, SoakError) as e:
            findings.append(f"the run stopped early: {type(e).__name__}: {str(e).splitlines()[0]}")
        finally:
            p.close(force=True)
            log.close()
    with open(log_path, errors="replace") as f:
        for line in f:
            if BAD.search(line.strip()) and not EXCUSED.search(line):
                findings.append("console: " + line.strip())
    return findings, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--log", default=os.path.join(ROOT, "build", "soak.log"))
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 31)
    print(f"soak: seed {args.seed}, {args.minutes:g} minutes, console log {args.log}", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    findings, _ = soak(args, args.log)
    for f in findings[:40]:
        print(f"  {f}")
    print(f"soak: {'FAILED' if findings else 'ok'} (seed {args.seed})")
    return 1 if findings else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
