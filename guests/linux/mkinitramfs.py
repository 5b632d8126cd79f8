#!/usr/bin/env python3
"""Builds a gzip'd cpio (newc) initramfs for a Linux guest from Debian's parts.

  mkinitramfs.py [--run SCRIPT | --init SCRIPT] [--module NAME]...
                 [--add-module NAME]... [--add SRC:DEST]... -o OUT

It holds busybox-static, the named kernel modules with everything they
depend on (read from each module's own .modinfo, since Debian ships no
modules.dep: its depends= and the modules its softdep= "pre:" names, found
by their aliases, as ext4 names crypto-crc32c), /etc/modules listing them
in load order, the shared set-up
script /lib/bulkhead/setup.sh and the power button's handler for busybox
acpid (/etc/acpi/PWRF/00000080).

By default /init is busybox init, driven by the inittab here: it runs
setup.sh, then a shell on the console, and handles plain `poweroff` and
`reboot`. --run SCRIPT runs SCRIPT once on the console instead of the shell.
--init SCRIPT makes SCRIPT itself /init (PID 1; it must set up on its own,
`. /lib/bulkhead/setup.sh`, and can only end with `poweroff -f`).
"""

import argparse
import glob
import gzip
import io
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTFS = os.path.join(HERE, "..", "..", "build", "linux", "rootfs")
# evdev and gpio_keys: the power button (gpio-keys on the PL061) as /dev/input/event0.
DEFAULT_MODULES = ["virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "virtio_balloon",
                   "evdev", "gpio_keys"]
# busybox acpid runs /etc/acpi/<ACTION>/<PARAMETER>; KEY_POWER is PWRF/00000080.
POWER_BUTTON_HANDLER = "etc/acpi/PWRF/00000080"
# The inittab line that --run replaces: the console's shell.
CONSOLE_SHELL = "::respawn:/bin/cttyhack /bin/sh\n"
RUN_SCRIPT = "lib/bulkhead/run"


def modinfo(path):
    """The .modinfo fields (KEY=VALUE strings) of an ELF64 little-endian kernel
    module. Reads only the headers and that section: the alias index reads
    every module of the kernel."""
    with open(path, "rb") as f:
        def at(offset, size):
            f.seek(offset)
            return f.read(size)

        shoff, = struct.unpack_from("<Q", at(0x28, 8))
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", at(0x3A, 6))
        headers = at(shoff, shnum * shentsize)

        def section(index):
            name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", headers,
                                                             index * shentsize)
            return name, offset, size

        _, names_off, names_size = section(shstrndx)
        names = at(names_off, names_size)
        for index in range(shnum):
            name, offset, size = section(index)
            if names[name:names.index(b"\0", name)] == b".modinfo":
                return [f.decode("utf-8", "replace") for f in at(offset, size).split(b"\0")
                        if b"=" in f]
    return []


def modinfo_depends(path):
    """What a module needs loaded first: its depends= modules, then the
    modules (or aliases) its softdep= names as "pre:"."""
    needs = []
    for field in modinfo(path):
        key, value = field.split("=", 1)
        if key == "depends":
            needs += [d for d in value.split(",") if d]
        elif key == "softdep":
            words = value.split()
            if words and words[0] == "pre:":
                needs += [w for w in words[1:] if not w.endswith(":")]
    return needs


def alias_index(index):
    """Module aliases (alias=crypto-crc32c) to module names, for softdeps
    that name an alias. Only exact aliases: the wildcard ones are for devices."""
    aliases = {}
    for key, path in index.items():
        for field in modinfo(path):
            name, _, value = field.partition("=")
            if name == "alias" and not any(c in value for c in "*?["):
                aliases.setdefault(value, key)
    return aliases


def module_index(rootfs):
    index = {}
    for path in glob.glob(os.path.join(rootfs, "lib", "modules", "*", "kernel", "**", "*.ko"),
                          recursive=True):
        index[os.path.basename(path)[:-3].replace("-", "_")] = path
    return index


def resolve(names, index):
    """Modules in load order: every dependency before what needs it."""
    order, seen, aliases = [], set(), []

    def visit(name):
        key = name.replace("-", "_")
        if key not in index:
            if not aliases:
                aliases.append(alias_index(index))      # read only when needed
            key = aliases[0].get(name, key)
        if key in seen:
            return
        if key not in index:
            raise SystemExit(f"mkinitramfs: no module '{name}' in {ROOTFS}")
        seen.add(key)
        for dep in modinfo_depends(index[key]):
            visit(dep)
        order.append(key)

    for name in names:
        visit(name)
    return order


class Cpio:
    """Writer of the 'newc' cpio format the kernel unpacks."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1
        self.folders = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
        self.ino += 1
        self.out.write(header.encode() + name_bytes)
        self.out.write(b"\0" * (-(110 + len(name_bytes)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def directory(self, name):
        self._entry(name, 0o040755, nlink=2)
        self.folders.add(name)

    def parents(self, name):
        """The folders `name` lies in, each made once: the kernel unpacks
        no file whose folder the archive does not make first."""
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in self.folders:
                self.directory(folder)

    def file(self, name, data, mode=0o644):
        self._entry(name, 0o100000 | mode, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def inittab(run):
    """The inittab here; with a run script, that script in place of the shell."""
    text = read(os.path.join(HERE, "inittab")).decode()
    if run is None:
        return text
    if CONSOLE_SHELL not in text:
        raise SystemExit("mkinitramfs: the inittab has no console shell line to replace")
    return text.replace(CONSOLE_SHELL, f"::once:/{RUN_SCRIPT}\n")


def add_init(cpio, init, run):
    """/init: the given script, or busybox init with its inittab."""
    if init is not None:
        cpio.file("init", read(init), 0o755)
        return
    cpio.symlink("init", "bin/busybox")
    cpio.file("etc/inittab", inittab(run).encode())
    cpio.file("lib/bulkhead/banner.sh", read(os.path.join(HERE, "banner.sh")), 0o755)
    if run is not None:
        cpio.file(RUN_SCRIPT, read(run), 0o755)


def build(init, run, modules, extra, rootfs):
    index = module_index(rootfs)
    order = resolve(modules, index)
    cpio = Cpio()
    for folder in ("bin", "sbin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "lib",
                   "lib/modules", "lib/bulkhead", "proc", "sys", "tmp", "run", "usr", "usr/bin",
                   "usr/sbin", "root", "var", "var/log", "var/run"):
        cpio.directory(folder)
    cpio.file("bin/busybox", read(os.path.join(rootfs, "bin", "busybox")), 0o755)
    cpio.symlink("bin/sh", "busybox")
    for key in order:
        cpio.file(f"lib/modules/{key}.ko", read(index[key]))
    cpio.file("etc/modules", "".join(f"{key}\n" for key in order).encode())
    cpio.file("lib/bulkhead/setup.sh", read(os.path.join(HERE, "setup.sh")), 0o755)
    cpio.file(POWER_BUTTON_HANDLER, read(os.path.join(HERE, "power-button.sh")), 0o755)
    for src, dest in extra:
        cpio.parents(dest)
        cpio.file(dest, read(src), os.stat(src).st_mode & 0o777)
    add_init(cpio, init, run)
    return gzip.compress(cpio.finish(), compresslevel=6, mtime=0)


def added(item):
    """--add SRC:DEST as (SRC, DEST without its leading /), or a one-line exit."""
    src, colon, dest = item.partition(":")
    dest = os.path.normpath(dest.lstrip("/")) if dest.strip("/") else ""
    if not colon or not src or not dest or dest.startswith(".."):
        raise SystemExit(f"mkinitramfs: --add {item}: give SRC:DEST, DEST a file's path in "
                         "the initramfs")
    if not os.path.isfile(src):
        raise SystemExit(f"mkinitramfs: --add {item}: no such file {src}")
    if not os.access(src, os.R_OK):
        raise SystemExit(f"mkinitramfs: --add {item}: cannot read {src}")
    return src, dest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", required=True)
    script = parser.add_mutually_exclusive_group()
    script.add_argument("--init", metavar="SCRIPT", help="SCRIPT is /init (PID 1)")
    script.add_argument("--run", metavar="SCRIPT",
                        help="busybox init runs SCRIPT once set up, instead of a shell")
    parser.add_argument("--module", action="append", dest="modules",
                        help=f"kernel module to carry and load (default: {' '.join(DEFAULT_MODULES)})")
    parser.add_argument("--add-module", action="append", default=[], metavar="NAME",
                        help="also carry and load NAME, after the --module ones or the defaults")
    parser.add_argument("--add", action="append", default=[], metavar="SRC:DEST",
                        help="also carry file SRC at DEST (its folders are made; SRC keeps "
                        "its permissions)")
    parser.add_argument("--rootfs", default=ROOTFS, help="unpacked Debian packages")
    args = parser.parse_args()
    extra = [added(item) for item in args.add]
    modules = (args.modules or DEFAULT_MODULES) + args.add_module
    image = build(args.init, args.run, modules, extra, args.rootfs)
    tmp = args.output + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(image)
        os.replace(tmp, args.output)
    except OSError as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise SystemExit(f"mkinitramfs: cannot write {args.output}: {err.strerror}") from None
    print(f"{args.output}: {len(image)} bytes")


if __name__ == "__main__":
    sys.exit(main())
