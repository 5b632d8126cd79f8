#!/usr/bin/env python3
"""make bench: Bulkhead's figures, printed as a table.

Timings come from QEMU run with -icount shift=0,sleep=off, where virtual time
advances one nanosecond per executed instruction: a guest reading its counter
measures instructions, deterministically (DESIGN.md section 5). Nothing here
is asserted; the table is for people and for the notes on each issue.
"""

import os
import re
import subprocess
import sys
import tempfile

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
    row("pinned VM timer latency, noisy neighbour (insns)", f"{noisy[0]} / max {noisy[1]}", "",
        "a CPU-bound shared VM on the other CPU")
    row("shared VM timer latency, noisy neighbour (insns)", f"{shared[0]} / max {shared[1]}",
        "", "both on one CPU: the woken vCPU preempts")


def bench_values(output):
    values = {}
    for match in re.finditer(r"^\(bench\) BENCH (\S+) ([0-9.]+)", output, re.M):
        values[match.group(1)] = float(match.group(2))
    return values


def hv_memory(output):
    match = re.search(r"hypervisor (\d+) KiB \(image (\d+) KiB\)", output)
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def linux_initramfs(tmp):
    init = os.path.join(tmp, "init.sh")
    with open(init, "w") as f:
        f.write(BOOT_INIT)
    out = os.path.join(tmp, "boot.cpio.gz")
    subprocess.run([os.path.join(ROOT, "guests", "linux", "mkinitramfs.py"), "--init", init,
                    "--add", f"{LINUX}/cntvct:/bin/cntvct", "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def counter_at_init(output):
    match = re.search(r"CNTVCT (\d+)", output)
    if not match:
        sys.stderr.write(output[-3000:])
        raise SystemExit("bench: the Linux guest did not reach init")
    return int(match.group(1))


def linux_boot_ratio():
    """Reset to init, same kernel and initramfs, under Bulkhead and natively (EL1)."""
    subprocess.run([os.path.join(ROOT, "guests", "linux", "fetch-debian.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        initrd = linux_initramfs(tmp)
        native = subprocess.run(
            ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
             "-smp", "2", "-m", "256M", "-nic", "none", "-nographic", "-icount", "shift=0,sleep=off",
             "-kernel", f"{LINUX}/Image", "-initrd", initrd,
             "-append", "console=ttyAMA0 quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", timeout=600)
        cfg = os.path.join(tmp, "linux.cfg")
        with open(cfg, "w") as f:
            f.write(f'name = "linux"\nvcpus = 2\nmemory = 256\nkernel = "{LINUX}/Image"\n'
                    f'ramdisk = "{initrd}"\nextra = "console=ttyAMA0 quiet"\n')
        hosted = subprocess.run([BULKHEAD, "run", "--icount", "--cpus", "2", "--mem", "1G",
                                 "--timeout", "600", cfg],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace")
    # guests read the machine's counter (CNTVOFF_EL2 = 0): both count from reset
    return counter_at_init(native.stdout), counter_at_init(hosted.stdout)


def main():
    subprocess.run(["make", "-s", "-C", ROOT, "all"], check=True)
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
    row("null hypercall round trip (insns)", f"{null_hc:.1f}", "<= 150",
        f"measured {values['null-hypercall-ns']:.1f}, loop {values['loop-overhead-ns']:.1f}")

    mmio = values["mmio-read-ns"] - values["load-loop-ns"]
    row("MMIO read of an emulated register (insns)", f"{mmio:.1f}", "<= 160",
        f"PL011 UARTFR; measured {values['mmio-read-ns']:.1f}, loop {values['load-loop-ns']:.1f}")

    gic = bench_values(run_guest("test=gic", memory=64, vcpus=2))
    row("virtual timer interrupt latency (insns)", int(gic["timer-irq-latency-ns"]), "<= 400",
        "timer deadline -> guest handler, averaged")
    row("virtual IPI round trip (insns)", int(gic["ipi-roundtrip-ns"]), "<= 1800",
        "SGI vCPU0 -> vCPU1 -> vCPU0 (two IPIs), on 2 CPUs")

    scheduler_rows()

    native, hosted = linux_boot_ratio()
    row("Linux boot to init, under Bulkhead / native", f"{hosted / native:.3f}", "<= 1.03",
        f"{hosted * COUNTER_NS / 1e6:.0f}M / {native * COUNTER_NS / 1e6:.0f}M insns; "
        "Debian 2 vCPUs, 256 MiB")

    print("Bulkhead benchmarks (QEMU TCG, -icount shift=0,sleep=off: 1 instruction = 1 ns)")
    widths = [max(len(r[i]) for r in ROWS + [("metric", "value", "target", "")])
              for i in range(3)]
    print(f"{'metric':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  note")
    for metric, value, target, note in ROWS:
        print(f"{metric:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {note}")


if __name__ == "__main__":
    main()
