"""Each VM's kernel and ramdisk checked before anything is built or booted,
for `bulkhead check`, `image` and `run`.

The hypervisor decides where a kernel, its ramdisk and the device tree go
(core/boot_plan.c) only once the machine has booted; bulkhead-kernel
(tools/kernel_check.c) runs that same code on the host, so the files are
refused here for exactly the reasons the hypervisor would refuse them:
an empty file, one that is neither a Linux arm64 Image nor an AArch64 ELF
(unless kernel_format = "raw"), an ELF or EFI-stub Image cut short, a
kernel larger than the VM's RAM, a ramdisk with no room beside it.
"""

import gzip
import os
import subprocess
import zlib

MIB = 1024 * 1024


class BootError(Exception):
    """An error the user must fix, already worded in full."""


def read_kernel(path, where):
    """The kernel as Bulkhead loads it: gzip-compressed ones (Debian's
    vmlinuz) are decompressed here, since the hypervisor takes them raw."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise BootError(f"{where}: cannot read {path}: {err.strerror}") from None
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as err:
        raise BootError(f"{where}: {path} is a gzip file that does not decompress "
                        f"({err}): truncated or damaged") from None


def check_boot(cfg, checker, where):
    """Reads and checks cfg's kernel beside its ramdisk; returns the kernel's
    bytes (decompressed) for the image. `where(key)` words FILE:LINE: KEY."""
    data = read_kernel(cfg["kernel_path"], where("kernel"))
    args = [checker, str(cfg["ram_base"]), str(cfg["maxmem_mib"] * MIB),
            "1" if cfg["kernel_format"] == "raw" else "0", os.path.basename(cfg["kernel"])]
    if cfg.get("ramdisk_path"):
        args += [os.path.basename(cfg["ramdisk"]), str(os.path.getsize(cfg["ramdisk_path"]))]
    result = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode == 1:
        key, _, why = result.stderr.decode("utf-8", "replace").strip().partition(": ")
        raise BootError(f"{where(key)}: {why}")
    if result.returncode != 0:
        raise BootError(f"{where('kernel')}: {result.stderr.decode('utf-8', 'replace').strip()}")
    return data
