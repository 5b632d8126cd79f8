#!/usr/bin/env python3
"""make bench: Bulkhead's figures, printed as a table.

Timings come from QEMU run with -icount shift=0,sleep=off, where virtual time
advances one nanosecond per executed instruction: a guest reading its counter
measures instructions, deterministically (DESIGN.md section 5). The Linux
storage rows and the uplink row are the exception (sleep=on, see
STORAGE_REPEATS and uplink_runs). Nothing here is asserted; the table is for
people and for the notes on each issue. `tools/bench.py storage`,
`tools/bench.py network` or `tools/bench.py memory` prints only those rows.
"""

import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BULKHEAD = os.path.join(ROOT, "bulkhead")
TEST_GUEST = os.path.join(ROOT, "build", "guests", "test", "test.bin")
HV_SOURCES = ["arch", "core", "devices", "drivers", "lib", "include"]
LINUX = os.path.join(ROOT, "build", "linux")
COUNTER_NS = 16  # QEMU virt's generic timer runs at 62.5 MHz

BOOT_INIT = """#!/bin/sh
/bin/cntvct
. /lib/bulkhead/setup.sh
poweroff -f
"""

# The storage benchmark's run: 128 MiB written and read in 1 MiB requests,
# then 5000 reads of 4 KiB at random (guests/linux/blkbench.c).
BLKBENCH_MIB = 128
BLKBENCH_RANDOM_READS = 5000
BLKBENCH_INIT = f"""#!/bin/sh
. /lib/bulkhead/setup.sh
/bin/blkbench /dev/vda {BLKBENCH_MIB} {BLKBENCH_RANDOM_READS}
poweroff -f
"""

ROWS = []


def row(metric, value, target="", note=""):
    ROWS.append((metric, str(value), target, note))


def count_lines(path):
    """Lines that are neither blank nor only comment."""
    count = 0
    in_block = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if in_block:
                if "*/" in line:
                    in_block = False
                    line = line.split("*/", 1)[1].strip()
                else:
                    continue
            if line.startswith("/*"):
                if "*/" not in line:
                    in_block = True
                continue
            if not line or line.startswith("//"):
                continue
            count += 1
    return count


def source_lines():
    c_lines = asm_lines = 0
    for top in HV_SOURCES:
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith((".c", ".h")):
                    c_lines += count_lines(path)
                elif name.endswith(".S"):
                    asm_lines += count_lines(path)
    return c_lines, asm_lines


def run_vms(vms, cpus, memory=32):
    """vms: {name: more config lines}; each runs the test guest."""
    with tempfile.TemporaryDirectory() as tmp:
        cfgs = []
        for name, keys in vms.items():
            cfg = os.path.join(tmp, f"{name}.cfg")
            with open(cfg, "w") as f:
                f.write(f'name = "{name}"\nmemory = {memory}\nkernel = "{TEST_GUEST}"\n{keys}')
            cfgs.append(cfg)
        proc = subprocess.run([BULKHEAD, "run", "--icount", "--cpus", str(cpus),
                               "--timeout", "300", *cfgs],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout)
        raise SystemExit("bench: the benchmark VMs did not run cleanly")
    return proc.stdout


def run_guest(extra, memory=32, cpus=4, vcpus=1):
    """One test-guest VM named bench (bench_values reads its BENCH lines)."""
    return run_vms({"bench": f'extra = "{extra}"\nvcpus = {vcpus}\n'}, cpus, memory)


def run_native(extra, vcpus=1, memory=64, devices=()):
    """The test guest on the bare QEMU machine (EL1, no hypervisor), same
    CPU model and -icount: what the hardware itself costs. `devices`: more
    QEMU options (a disk)."""
    return subprocess.run(
        ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
         "-smp", str(vcpus), "-m", f"{memory}M", "-nic", "none", "-nographic",
         "-icount", "shift=0,sleep=off", *devices, "-kernel", TEST_GUEST, "-append", extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, errors="replace", timeout=300).stdout


def native_values(output, *keys):
    """BENCH lines of a bare-machine run (no VM prefix)."""
    values = {}
    for match in re.finditer(r"^BENCH (\S+) (?:avg )?([0-9.]+)", output, re.M):
        values[match.group(1)] = float(match.group(2))
    missing = [k for k in keys if k not in values]
    if missing:
        sys.stderr.write(output[-3000:])
        raise SystemExit(f"bench: the bare machine gave no {', '.join(missing)}")
    return values


def progress(output, name):
    return int(re.search(rf"^\({name}\) PROGRESS (\d+)", output, re.M).group(1))


def wfi_latency(output, name):
    m = re.search(rf"^\({name}\) BENCH wfi-timer-latency-ns avg (\d+) max (\d+)", output, re.M)
    return int(m.group(1)), int(m.group(2))


def scheduler_rows():
    gic1 = bench_values(run_guest("test=gic", memory=64, vcpus=2, cpus=1))
    rt = int(gic1["ipi-roundtrip-ns"])
    row("vCPU switch (insns)", rt // 2, "",
        f"half the IPI round trip with both vCPUs on one CPU ({rt}: 2 switches, "
        "SGI and WFI traps)")
    out = run_vms({"heavy": 'extra = "test=spin"\nweight = 512\n',
                   "light": 'extra = "test=spin"\nweight = 256\n'}, cpus=1)
    ratio = progress(out, "heavy") / progress(out, "light")
    row("fairness: CPU time at weights 512:256", f"{ratio:.3f}", "2 +- 10%",
        "two CPU-bound VMs on one CPU, progress counters over 1 s")
    # The pinned VM takes CPU 0: under -icount QEMU runs the CPUs round robin on one
    # thread, and a CPU woken while a CPU-bound CPU before it in the round has no
    # timer pending waits for that CPU's whole budget (up to 2 s) - an artefact of
    # the emulation that real CPUs, running side by side, do not have.
    pinned = 'extra = "test=latency"\nsched = "pinned"\ncpus = "0"\n'
    alone = wfi_latency(run_vms({"rt": pinned}, cpus=2), "rt")
    noisy = wfi_latency(run_vms({"rt": pinned, "noisy": 'extra = "test=spin ms=3000"\n'},
                                cpus=2), "rt")
    shared = wfi_latency(run_vms({"rt": 'extra = "test=latency"\n',
                                  "noisy": 'extra = "test=spin ms=3000"\n'}, cpus=1), "rt")
    row("pinned VM timer latency, alone (insns)", f"{alone[0]} / max {alone[1]}", "",
        "vCPU in WFI -> guest handler, 40 shots")
    bare = native_values(run_native("test=latency"), "wfi-timer-latency-ns")
    native = int(bare["wfi-timer-latency-ns"])
    row("timer wait from WFI, hypervisor's share (insns)", alone[0] - native, "<= 150",
        f"the pinned VM alone ({alone[0]}) less the same guest on the bare machine ({native})")
    row("pinned VM timer latency, noisy neighbour (insns)", f"{noisy[0]} / max {noisy[1]}", "",
        "a CPU-bound shared VM on the other CPU")
    row("shared VM timer latency, noisy neighbour (insns)", f"{shared[0]} / max {shared[1]}",
        "", "both on one CPU: the woken vCPU preempts")


IDLE_SPANS_MS = (1000, 2000)


def idle_busy_ticks(ms):
    """The hypervisor's power-off count of CPU time outside idle, for a VM
    that sleeps 1 ms and then `ms` in WFI (test=idle)."""
    out = run_guest(f"test=idle ms={ms}", cpus=2)
    match = re.search(r"CPU time outside idle since each CPU first idled: (\d+) ticks", out)
    if not match:
        sys.stderr.write(out[-3000:])
        raise SystemExit("bench: the hypervisor did not report its busy time")
    return int(match.group(1))


def idle_rows():
    short, long = (idle_busy_ticks(ms) for ms in IDLE_SPANS_MS)
    per_s = (long - short) * COUNTER_NS * 1000 / (IDLE_SPANS_MS[1] - IDLE_SPANS_MS[0])
    row("idle machine: hypervisor instructions per second", f"{per_s:.0f}", "0",
        f"a 1-vCPU VM in WFI, its timer 1 s and 2 s away, 2 CPUs: busy time outside idle "
        f"WFI, the difference ({short} / {long} ticks of {COUNTER_NS} insns)")


def bench_values(output):
    values = {}
    for match in re.finditer(r"^\(bench\) BENCH (\S+) ([0-9.]+)", output, re.M):
        values[match.group(1)] = float(match.group(2))
    return values


def hv_memory(output):
    match = re.search(r"hypervisor (\d+) KiB \(image (\d+) KiB\)", output)
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def linux_initramfs(tmp, script=BOOT_INIT, name="boot"):
    init = os.path.join(tmp, f"{name}-init.sh")
    with open(init, "w") as f:
        f.write(script)
    out = os.path.join(tmp, f"{name}.cpio.gz")
    subprocess.run([os.path.join(ROOT, "guests", "linux", "mkinitramfs.py"), "--init", init,
                    "--add", f"{LINUX}/cntvct:/bin/cntvct",
                    "--add", f"{LINUX}/blkbench:/bin/blkbench", "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def counter_at_init(output):
    match = re.search(r"CNTVCT (\d+)", output)
    if not match:
        sys.stderr.write(output[-3000:])
        raise SystemExit("bench: the Linux guest did not reach init")
    return int(match.group(1))


def linux_native(initrd, more=(), append="", sleep="off", nic=("-nic", "none")):
    """Debian's kernel on the bare QEMU machine (EL1), with the options both runs share."""
    return subprocess.run(
        ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
         "-smp", "2", "-m", "256M", *nic, "-nographic",
         "-icount", f"shift=0,sleep={sleep}",
         "-kernel", f"{LINUX}/Image", "-initrd", initrd,
         "-append", f"console=ttyAMA0 quiet{append}", *more],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, errors="replace", timeout=600).stdout


def linux_hosted(tmp, initrd, keys="", more=(), append="", sleep="off"):
    """The same kernel and initramfs as a 2-vCPU, 256 MiB VM under Bulkhead."""
    cfg = os.path.join(tmp, "linux.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "linux"\nvcpus = 2\nmemory = 256\nkernel = "{LINUX}/Image"\n'
                f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet{append}"\n{keys}')
    icount = "--icount-sleep" if sleep == "on" else "--icount"
    return subprocess.run([BULKHEAD, "run", icount, "--cpus", "2", "--mem", "1G",
                           "--timeout", "600", *more, cfg],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, errors="replace").stdout


def fetch_linux():
    subprocess.run([os.path.join(ROOT, "guests", "linux", "fetch-debian.sh")], check=True,
                   stdout=subprocess.DEVNULL)


def linux_boot_ratio():
    """Reset to init, same kernel and initramfs, under Bulkhead and natively (EL1)."""
    fetch_linux()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = linux_initramfs(tmp)
        native = linux_native(initrd)
        hosted = linux_hosted(tmp, initrd)
    # guests read the machine's counter (CNTVOFF_EL2 = 0): both count from reset
    return counter_at_init(native), counter_at_init(hosted)


def blkbench_values(output, who):
    values = dict((k, float(v)) for k, v in re.findall(r"BLKBENCH (\S+)=([0-9.]+)", output))
    if "BLKBENCH done" not in output or "rand-read-IOPS" not in values:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"bench: the storage benchmark did not finish {who}")
    return values


def pool_tool(*args):
    proc = subprocess.run([BULKHEAD, "pool", *[str(a) for a in args]], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench: bulkhead pool {args[0]}: {proc.stdout.strip()}")


# How the Linux storage rows are timed. Both machines run under
# -icount shift=0,sleep=on: CPU work costs 1 ns per instruction, and while
# every vCPU idles (the guest waits for its disk in WFI) virtual time follows
# real time, so a disk wait costs what QEMU's host thread really took to
# read or write the file. (Under sleep=off QEMU would warp the idle clock to
# the next timer deadline, 35-70 ms per request: timers, not the disk.) The
# disk files live on tmpfs (/dev/shm) so that those real waits are short and
# alike for both machines. The waits are host time, so the figures move with
# the host's load: native and Bulkhead run alternately STORAGE_REPEATS times
# each in one `make bench`. The host's load only ever adds time, so each
# side's best run is the one it disturbed least: each row is the ratio of the
# two sides' best runs, with every pair's ratio (the spread) beside it.
STORAGE_REPEATS = 3
STORAGE_SHM = "/dev/shm"


def best(values):
    """The highest throughput of a side's runs: the least disturbed."""
    return max(values)


def storage_native(tmp, initrd, raw):
    return blkbench_values(linux_native(initrd, [
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", f"if=none,format=raw,file={raw},id=d",
        "-device", "virtio-blk-device,drive=d"], sleep="on"), "natively")


def storage_hosted(tmp, initrd, pool):
    log = linux_hosted(tmp, initrd, "disk = [ 'vdev=xvda, access=rw, target=bench' ]\n",
                       ["--disk", pool], sleep="on")
    return blkbench_values(log, "under Bulkhead"), log


def storage_runs():
    """blkbench in the same guest, alternately: its disk a pool volume under
    Bulkhead, and a raw file of the volume's size attached to the bare QEMU
    machine. Lists of each side's figures, and the last Bulkhead log."""
    fetch_linux()
    volume = BLKBENCH_MIB * 1024 * 1024
    natives, hosteds, log = [], [], ""
    with tempfile.TemporaryDirectory(prefix="bulkhead-bench-") as tmp, \
            tempfile.TemporaryDirectory(prefix="bulkhead-bench-", dir=STORAGE_SHM) as shm:
        initrd = linux_initramfs(tmp, BLKBENCH_INIT, "blkbench")
        raw = os.path.join(shm, "native.img")
        with open(raw, "wb") as f:
            f.truncate(volume)
        pool = os.path.join(shm, "pool.img")
        pool_tool("create", pool, f"{BLKBENCH_MIB + 2}M")
        pool_tool("add", pool, "bench", f"{BLKBENCH_MIB}M")
        for _ in range(STORAGE_REPEATS):
            natives.append(storage_native(tmp, initrd, raw))
            hosted, log = storage_hosted(tmp, initrd, pool)
            hosteds.append(hosted)
    return natives, hosteds, log


# The test guest's blkbench mode: 4 KiB reads one at a time at pseudo-random
# sectors, each waited for in WFI with no timer armed. Under sleep=off virtual
# time then stands still while QEMU waits for the file, so the guest's figure
# is instructions per request (guests/test/blkbench.c).
BLK_INSNS_READS = 2000
BLK_INSNS_MIB = 64


def blk_insns(output, who):
    match = re.search(r"BENCH blk-4k-read-ns ([0-9.]+)", output)
    if not match or "FAIL" in output:
        sys.stderr.write(output[-3000:])
        raise SystemExit(f"bench: blkbench did not finish {who}")
    return float(match.group(1))


def blk_insns_native(raw):
    """The test guest on the bare QEMU machine (EL1), the file attached directly."""
    return blk_insns(run_native(
        f"test=blkbench reads={BLK_INSNS_READS}",
        devices=("-global", "virtio-mmio.force-legacy=false",
                 "-drive", f"if=none,format=raw,file={raw},id=d",
                 "-device", "virtio-blk-device,drive=d")), "natively")


def blk_insns_hosted(tmp, pool):
    cfg = os.path.join(tmp, "blkbench.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "bench"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                f'extra = "test=blkbench reads={BLK_INSNS_READS}"\n'
                "disk = [ 'vdev=xvda, access=rw, target=bench' ]\n")
    return blk_insns(subprocess.run(
        [BULKHEAD, "run", "--icount", "--cpus", "2", "--timeout", "300", "--disk", pool, cfg],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, errors="replace").stdout, "under Bulkhead")


def blk_insns_rows():
    with tempfile.TemporaryDirectory(prefix="bulkhead-bench-") as tmp, \
            tempfile.TemporaryDirectory(prefix="bulkhead-bench-", dir=STORAGE_SHM) as shm:
        raw = os.path.join(shm, "native.img")
        with open(raw, "wb") as f:
            f.truncate(BLK_INSNS_MIB * 1024 * 1024)
        pool = os.path.join(shm, "pool.img")
        pool_tool("create", pool, f"{BLK_INSNS_MIB + 2}M")
        pool_tool("add", pool, "bench", f"{BLK_INSNS_MIB}M")
        native = blk_insns_native(raw)
        hosted = blk_insns_hosted(tmp, pool)
    note = (f"test=blkbench: {BLK_INSNS_READS} reads, one at a time, WFI with no timer armed; "
            "-icount sleep=off")
    row("instructions per 4 KiB read, native", f"{native:.0f}", "", note)
    row("instructions per 4 KiB read, under Bulkhead", f"{hosted:.0f}", "",
        f"{BLK_INSNS_MIB} MiB pool volume, 2 CPUs")
    row("hypervisor instructions per 4 KiB read", f"{hosted - native:.0f}", "",
        "the difference: notify trap, checks, copies, the machine disk, completion, injection")


def storage_rows():
    blk_insns_rows()
    natives, hosteds, log = storage_runs()
    for label, key, unit in (("sequential 1 MiB writes + fsync", "seq-write-MBps", "MB/s"),
                             ("sequential 1 MiB reads", "seq-read-MBps", "MB/s"),
                             ("random 4 KiB reads", "rand-read-IOPS", "IOPS")):
        native = best([v[key] for v in natives])
        hosted = best([v[key] for v in hosteds])
        ratios = [h[key] / n[key] for n, h in zip(natives, hosteds) if n[key]]
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
        runs = ", ".join(f"{h[key]:.0f}/{n[key]:.0f}" for n, h in zip(natives, hosteds))
        row(f"{label}, under Bulkhead / native", f"{hosted / native if native else 0:.3f}",
            ">= 0.8",
            f"best {hosted:.0f} / {native:.0f} {unit} of {STORAGE_REPEATS} alternate runs "
            f"(each pair's ratio {spread}; runs {runs}); O_DIRECT, {BLKBENCH_MIB} MiB pool "
            "volume vs raw file, both on tmpfs, -icount sleep=on")
    memory_per_disk_rows(log)


def memory_per_disk_rows(log):
    """What the running hypervisor says one disk costs it (boot log lines)."""
    guest = re.search(r"disk xvda \(volume '[^']*'\): (\d+) KiB of hypervisor memory", log)
    machine = re.search(r"disk vda: (\d+) KiB of hypervisor memory", log)
    if not guest or not machine:
        raise SystemExit("bench: Bulkhead did not report its memory per disk")
    row("hypervisor memory per guest disk (KiB)", guest.group(1), "",
        "device state, transport, bounce buffers (boot log)")
    row("hypervisor memory per machine disk (KiB)", machine.group(1), "",
        "driver state, ring, request headers (boot log)")


# The network rows. Each guest times its own transfer with /bin/cntvct (the
# counter: 16 ns a tick, so under -icount shift=0 16 instructions a tick) and
# prints "NETBENCH WHAT START END BYTES".
NET_MIB = 16
NET_PORT = 5001
NET_PINGS = 10
NET_REPEATS = 3

NET_TIMED = """t0=$(/bin/cntvct | cut -d' ' -f2)
if {command}; then
    t1=$(/bin/cntvct | cut -d' ' -f2)
    echo "NETBENCH {what} $t0 $t1 $({size})"
    {then}
fi
"""

# Pings the peer until it answers (it may still be booting): 30 tries of 1 s.
NET_UP = """#!/bin/sh
. /lib/bulkhead/setup.sh
ip link set lo up
ip link set eth0 up
ip addr add {ip}/24 dev eth0
for i in $(seq 1 30); do
    if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then break; fi
done
"""

# The receiving end: its stdin a FIFO held open, so that it never half-closes
# the connection (busybox nc does on its stdin's end); it ends when the
# sender's nc has sent everything and closed. At most 120 s.
NET_LISTEN = f"""mkfifo /tmp/hold
nc -l -p {NET_PORT} < /tmp/hold > /tmp/r &
nc_pid=$!
exec 3> /tmp/hold
"""
NET_LISTENED = """for i in $(seq 1 120); do kill -0 $nc_pid 2>/dev/null || break; sleep 1; done
kill $nc_pid 2>/dev/null
exec 3>&-
echo "RECEIVED $(wc -c < /tmp/r)"
"""

# The sending end: the file to send, in tmpfs, and the round trip (after one
# ping that may wait for ARP); then the file, once the listener answers (20
# tries). nc ends when the receiver has read everything and closed.
NET_PING = f"""head -c {NET_MIB * 1024 * 1024} /dev/urandom > /tmp/s
ping -c 1 -W 1 {{peer}} >/dev/null 2>&1
echo "NETPING $(ping -c {NET_PINGS} {{peer}} | grep round-trip)"
"""


def net_send(what):
    return "for i in $(seq 1 20); do\n" + NET_TIMED.format(
        what=what, command="nc -w 5 {peer} " + f"{NET_PORT} < /tmp/s",
        size="wc -c < /tmp/s", then="break") + "    sleep 1\ndone\n"


NET_RECEIVER = NET_UP + NET_LISTEN + NET_LISTENED + "poweroff -f\n"
NET_SENDER = NET_UP + NET_PING + net_send("tcp") + "poweroff -f\n"
# One guest, both ends over 127.0.0.1 (its eth0 alone on br0): at lo's own
# MTU (64 KiB), then again at eth0's 1500 bytes, to tell how much of the gap
# to VM-to-VM is the smaller packets rather than the path between VMs.
NET_LOOPBACK = NET_UP + NET_PING + NET_LISTEN + net_send("tcp") + NET_LISTENED \
    + "ip link set lo mtu 1500\nrm -f /tmp/hold /tmp/r\n" + NET_LISTEN \
    + net_send("tcp1500") + NET_LISTENED + "poweroff -f\n"

# The uplink row's guest: the address QEMU's user network gives (no DHCP, to
# time only the transfer), then the file over HTTP from the bench's server on
# the host's 127.0.0.1 (10.0.2.2 inside), into tmpfs. At most 120 s (busybox
# 1.35's own wget -T crashes).
NET_FETCH = """#!/bin/sh
. /lib/bulkhead/setup.sh
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
""" + NET_TIMED.format(what="uplink", command="timeout 120 wget -q -O /tmp/r "
                       "http://10.0.2.2:{port}/blob", size="wc -c < /tmp/r",
                       then=":") + "poweroff -f\n"


def net_throughput(output, what, who):
    """MB/s in virtual time (1 instruction = 1 ns) of the guest's timed transfer."""
    nbytes = NET_MIB * 1024 * 1024
    match = re.search(rf"NETBENCH {what} (\d+) (\d+) (\d+)", output)
    # the nc runs: every receiver got it all; wget: what it wrote
    received = re.findall(r"RECEIVED (\d+)", output) if what.startswith("tcp") \
        else [match.group(3)] if match else []
    if not match or int(match.group(3)) != nbytes or not received \
            or any(int(n) != nbytes for n in received):
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"bench: the {what} transfer did not finish {who}")
    ns = (int(match.group(2)) - int(match.group(1))) * COUNTER_NS
    return nbytes / ns * 1e3


def net_ping(output, who):
    """The average round trip busybox ping reports, in instructions."""
    match = re.search(r"NETPING round-trip min/avg/max = [0-9.]+/([0-9.]+)/[0-9.]+ ms", output)
    if not match:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"bench: ping did not answer {who}")
    return float(match.group(1)) * 1e6


def net_vm_cfg(tmp, name, initrd, mac):
    """A 1-vCPU, 192 MiB Debian VM with one vif on br0 (as test_net_vm.py's)."""
    cfg = os.path.join(tmp, f"{name}.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "{name}"\nvcpus = 1\nmemory = 192\nkernel = "{LINUX}/Image"\n'
                f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\n'
                f"vif = [ 'mac={mac}, bridge=br0' ]\n")
    return cfg


def net_run(cfgs, who):
    proc = subprocess.run([BULKHEAD, "run", "--icount", "--cpus", "2", "--mem", "1G",
                           "--timeout", "600", *cfgs],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, errors="replace")
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"bench: the network VMs did not run cleanly {who}")
    return proc.stdout


def vm_to_vm_rows():
    """TCP and ping between two VMs on br0, and the same in one of them over
    its loopback, under -icount sleep=off: no host I/O is waited for, so
    virtual time counts the instructions of both ends (and the hypervisor)."""
    with tempfile.TemporaryDirectory(prefix="bulkhead-bench-") as tmp:
        a = net_vm_cfg(tmp, "a", linux_initramfs(
            tmp, NET_RECEIVER.format(ip="10.0.0.1", peer="10.0.0.2"), "net-a"),
            "02:00:00:00:00:01")
        b = net_vm_cfg(tmp, "b", linux_initramfs(
            tmp, NET_SENDER.format(ip="10.0.0.2", peer="10.0.0.1"), "net-b"),
            "02:00:00:00:00:02")
        pair = net_run([a, b], "VM to VM")
        os.makedirs(os.path.join(tmp, "lo"))
        lo = net_vm_cfg(os.path.join(tmp, "lo"), "a", linux_initramfs(
            tmp, NET_LOOPBACK.format(ip="10.0.0.1", peer="127.0.0.1"), "net-lo"),
            "02:00:00:00:00:01")
        loop = net_run([lo], "over loopback")
    vm_mbps, lo_mbps = net_throughput(pair, "tcp", "VM to VM"), net_throughput(loop, "tcp",
                                                                               "over loopback")
    row("VM-to-VM TCP, under Bulkhead / one guest's loopback", f"{vm_mbps / lo_mbps:.3f}",
        ">= 0.7", f"{vm_mbps:.1f} / {lo_mbps:.1f} MB/s of virtual time (instructions of all "
        f"CPUs): {NET_MIB} MiB from tmpfs by busybox nc, two 1-vCPU Debian VMs on br0 vs "
        "127.0.0.1 in one of them; -icount sleep=off")
    lo1500 = net_throughput(loop, "tcp1500", "over loopback at MTU 1500")
    row("VM-to-VM TCP / loopback at MTU 1500", f"{vm_mbps / lo1500:.3f}", "",
        f"{vm_mbps:.1f} / {lo1500:.1f} MB/s: the same, lo's MTU set to eth0's 1500 bytes "
        "(a second transfer in the loopback guest)")
    vm_rtt, lo_rtt = net_ping(pair, "VM to VM"), net_ping(loop, "over loopback")
    row("VM-to-VM ping round trip (insns)", f"{vm_rtt:.0f}", "",
        f"busybox ping -c {NET_PINGS}, its average (us resolution: 1000 insns); -icount sleep=off")
    row("ping round trip over one guest's loopback (insns)", f"{lo_rtt:.0f}", "",
        f"the same ping to 127.0.0.1; the VM-to-VM path adds {vm_rtt - lo_rtt:.0f}")


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def uplink_runs():
    """The same Debian guest (2 vCPUs, 256 MiB) fetching one file over HTTP from
    a server on the host's 127.0.0.1, alternately: under Bulkhead through a vif
    on br0 and the uplink (--nic user), and on the bare QEMU machine with
    QEMU's user network on its own virtio-net device. Each side's MB/s."""
    natives, hosteds = [], []
    with tempfile.TemporaryDirectory(prefix="bulkhead-bench-") as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        with open(os.path.join(www, "blob"), "wb") as f:
            f.write(os.urandom(NET_MIB * 1024 * 1024))
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietFiles, directory=www))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            initrd = linux_initramfs(tmp, NET_FETCH.format(port=server.server_address[1]),
                                     "fetch")
            nic = ("-global", "virtio-mmio.force-legacy=false", "-netdev", "user,id=n0",
                   "-device", "virtio-net-device,netdev=n0")
            for _ in range(NET_REPEATS):
                natives.append(net_throughput(linux_native(initrd, sleep="on", nic=nic),
                                              "uplink", "natively"))
                hosteds.append(net_throughput(linux_hosted(
                    tmp, initrd, "vif = [ 'mac=02:00:00:00:00:0a, bridge=br0' ]\n",
                    ["--nic", "user"], sleep="on"), "uplink", "under Bulkhead"))
        finally:
            server.shutdown()
    return natives, hosteds


def uplink_rows():
    natives, hosteds = uplink_runs()
    native, hosted = best(natives), best(hosteds)
    spread = [h / n for n, h in zip(natives, hosteds)]
    runs = ", ".join(f"{h:.1f}/{n:.1f}" for n, h in zip(natives, hosteds))
    row("uplink HTTP fetch, under Bulkhead / NIC attached directly", f"{hosted / native:.3f}",
        ">= 0.8", f"best {hosted:.1f} / {native:.1f} MB/s of {NET_REPEATS} alternate runs "
        f"(each pair's ratio {min(spread):.2f}-{max(spread):.2f}; runs {runs}); busybox wget "
        f"of {NET_MIB} MiB from the host's 127.0.0.1 (10.0.2.2) into tmpfs, --nic user vs "
        "-netdev user on the bare QEMU, -icount sleep=on")


# The memory rows: issue 12's 1 GiB machine. A Debian VM of maxmem 640 MiB
# holding 632 is asked down to 256 (inflation: what it gives back is
# scrubbed and in the pool when the VM holds its target, which is when a new
# VM can have it); a 448 MiB VM that did not fit before is then created, and
# the Debian VM asked up to 384 (deflation: what the pool has left beside the
# new VM; a deflation beyond that leaves the guest pages the pool cannot back,
# which abort when touched). Bulkhead times each move
# itself, on the machine's counter, from `mem-set` to the VM holding its
# target (`info VM`); under -icount shift=0,sleep=off a nanosecond is an
# instruction. Linux deflates 256 pages (1 MiB) per request and waits for
# each to be answered, and Bulkhead fills every page before answering, so
# the deflation row is those round trips in series (docs/memory.md).
MEM_CFG = """name = "deb"
vcpus = 1
memory = 632
maxmem = 640
kernel = "{kernel}"
ramdisk = "{initrd}"
extra = "console=ttyAMA0 quiet"
balloon_free_page_reporting = 0
"""
MEM_NEW_VM = f"""name = "new"
memory = 448
kernel = "{TEST_GUEST}"
extra = "test=button"
autostart = 0
"""


def mem_set_timed(p, mib):
    """`mem-set deb MIB`; polls `info deb` until Bulkhead says how long the
    move took: (KiB moved, microseconds). At most 600 polls, 0.5 s apart."""
    p.send(f"mem-set deb {mib}\r")
    p.expect(rf"\(hv\) vm \d+ 'deb': target {mib} MiB")
    for _ in range(600):
        p.send("info deb\r")
        got = p.expect([r"\(hv\)   balloon: last mem-set reached: (\d+) KiB moved in (\d+) us",
                        r"\(hv\)   balloon: last mem-set not reached yet", pexpect.TIMEOUT],
                       timeout=60)
        if got == 0:
            return int(p.match.group(1)), int(p.match.group(2))
        time.sleep(0.5)
    raise SystemExit(f"bench: deb never held its target of {mib} MiB")


def memory_rows():
    fetch_linux()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, "shell.cpio.gz")
        subprocess.run([os.path.join(ROOT, "guests", "linux", "mkinitramfs.py"), "-o", initrd],
                       check=True, stdout=subprocess.DEVNULL)
        deb, new = os.path.join(tmp, "deb.cfg"), os.path.join(tmp, "new.cfg")
        with open(deb, "w") as f:
            f.write(MEM_CFG.format(kernel=f"{LINUX}/Image", initrd=initrd))
        with open(new, "w") as f:
            f.write(MEM_NEW_VM)
        p = pexpect.spawn(BULKHEAD, ["run", "--icount", "--mem", "1G", "--cpus", "2",
                                     "--on-idle", "poweroff", "--timeout", "1200", deb, new],
                          encoding="utf-8", timeout=900)
        if os.environ.get("BENCH_LOG"):
            p.logfile_read = open(os.environ["BENCH_LOG"], "w")
        try:
            p.expect(r"\(deb\) Enter 'help' for a list of built-in commands")
            p.send("console-view shared\r")
            p.expect(r"\(hv\) > console-view shared")
            mem_set_timed(p, 632)               # the balloon's first 8 MiB are in
            down_kib, down_us = mem_set_timed(p, 256)
            p.send("create new\r")
            if p.expect([r"\(new\) button test: waiting", r"not enough free memory"]) != 0:
                raise SystemExit("bench: the 448 MiB VM did not fit after mem-set")
            # the new VM holds what was given back: up by what the pool has left
            up_kib, up_us = mem_set_timed(p, 384)
        except (pexpect.EOF, pexpect.TIMEOUT):
            sys.stderr.write((p.before or "")[-3000:])
            raise SystemExit("bench: the memory benchmark's machine did not answer") from None
        finally:
            p.close(force=True)
    row("balloon inflation: memory reclaimed (MiB/s)", f"{down_kib / 1024 / (down_us / 1e6):.0f}",
        "", f"Debian, 1 vCPU, 632 -> 256 MiB: {down_kib // 1024} MiB scrubbed into the pool")
    row("mem-set -> memory usable by a new VM (ms)", f"{down_us / 1000:.1f}", "",
        f"{down_us / 1000:.1f}M insns for {down_kib // 1024} MiB; then a 448 MiB VM is "
        "created that did not fit before")
    row("balloon deflation: memory given again (MiB/s)", f"{up_kib / 1024 / (up_us / 1e6):.0f}",
        "", f"256 -> 384 MiB beside the new VM in {up_us / 1000:.1f} ms: Linux's requests of "
        f"<= 256 pages in series (~{-(-up_kib // 1024)} round trips), each page scrubbed and "
        "mapped before its request is answered")


def network_rows():
    fetch_linux()
    vm_to_vm_rows()
    uplink_rows()


def print_table():
    print("Bulkhead benchmarks (QEMU TCG, -icount shift=0: 1 instruction = 1 ns; sleep=off, "
          "but sleep=on for the Linux storage rows and the uplink row)")
    widths = [max(len(r[i]) for r in ROWS + [("metric", "value", "target", "")])
              for i in range(3)]
    print(f"{'metric':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  note")
    for metric, value, target, note in ROWS:
        print(f"{metric:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {note}")


def main():
    subprocess.run(["make", "-s", "-C", ROOT, "all"], check=True)
    if sys.argv[1:] in (["storage"], ["network"], ["memory"]):
        {"storage": storage_rows, "network": network_rows, "memory": memory_rows}[sys.argv[1]]()
        print_table()
        return
    image = os.path.getsize(os.path.join(ROOT, "build", "bulkhead.bin"))
    row("hypervisor image (bytes)", image, "<= 262144")
    c_lines, asm_lines = source_lines()
    row("lines of C / assembly", f"{c_lines} / {asm_lines}", "", "hypervisor sources only")

    output = run_guest("test=all")
    values = bench_values(output)
    hv_kib, image_kib = hv_memory(output)
    row("hypervisor memory (KiB)", hv_kib, "<= 4096",
        f"image incl. bss {image_kib} KiB; tables, stacks, bitmaps")
    row("reset -> guest's first instruction (insns)", int(values["first-instruction-ns"]), "",
        "4 CPUs, 32 MiB guest (scrubbed and loaded)")
    null_hc = values["null-hypercall-ns"] - values["loop-overhead-ns"]
    row("null hypercall round trip (insns)", f"{null_hc:.1f}", "<= 40",
        f"Bulkhead NOP, answered in the exception vector; measured "
        f"{values['null-hypercall-ns']:.1f}, loop {values['loop-overhead-ns']:.1f}")
    c_hc = values["smccc-version-ns"] - values["loop-overhead-ns"]
    row("hypercall answered in C (insns)", f"{c_hc:.1f}", "",
        "SMCCC_VERSION: the trap's C fast path (x0-x19, x30 saved)")

    mmio = values["mmio-read-ns"] - values["load-loop-ns"]
    row("MMIO read of an emulated register (insns)", f"{mmio:.1f}", "<= 80",
        f"PL011 UARTFR; measured {values['mmio-read-ns']:.1f}, loop {values['load-loop-ns']:.1f}")
    gicd = values["mmio-gicd-ns"] - values["load-loop-ns"]
    row("MMIO read of a constant register (insns)", f"{gicd:.1f}", "<= 80",
        f"GICD_IIDR, answered in the exception vector; measured {values['mmio-gicd-ns']:.1f}")

    gic = bench_values(run_guest("test=gic", memory=64, vcpus=2))
    row("virtual timer interrupt latency (insns)", int(gic["timer-irq-latency-ns"]), "<= 400",
        "timer deadline -> guest handler, averaged")
    row("virtual IPI round trip (insns)", int(gic["ipi-roundtrip-ns"]), "<= 1800",
        "SGI vCPU0 -> vCPU1 -> vCPU0 (two IPIs), on 2 CPUs")
    bare = native_values(run_native("test=gicbench", vcpus=2),
                         "timer-irq-latency-ns", "ipi-roundtrip-ns")
    row("virtual timer interrupt latency, hypervisor's share (insns)",
        int(gic["timer-irq-latency-ns"] - bare["timer-irq-latency-ns"]), "<= 150",
        f"less the bare machine's {bare['timer-irq-latency-ns']:.0f} (test=gicbench, 2 vCPUs)")
    row("virtual IPI, hypervisor's share per IPI (insns)",
        int((gic["ipi-roundtrip-ns"] - bare["ipi-roundtrip-ns"]) / 2), "<= 300",
        f"half the round trip less the bare machine's {bare['ipi-roundtrip-ns']:.0f}")

    scheduler_rows()
    idle_rows()

    storage_rows()

    network_rows()

    memory_rows()

    native, hosted = linux_boot_ratio()
    row("Linux boot to init, under Bulkhead / native", f"{hosted / native:.3f}", "<= 1.03",
        f"{hosted * COUNTER_NS / 1e6:.0f}M / {native * COUNTER_NS / 1e6:.0f}M insns; "
        "Debian 2 vCPUs, 256 MiB")

    print_table()


if __name__ == "__main__":
    main()
