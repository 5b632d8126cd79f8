"""bulkhead pool: make and change storage pools on the host.

A pool is a disk image (a sparse file) with a GUID partition table; each
Bulkhead volume is a partition of Bulkhead's volume type (storage/gpt.h),
1 MiB-aligned, named with 1-36 ASCII characters. The hypervisor reads the
same table (storage/gpt.c) and refuses a pool it cannot fully trust, so this
tool writes only tables that pass the same checks.

Every change writes the backup copy (entries, then header), flushes, then
the primary the same way: a crash at any point leaves at least one copy
valid. Space a volume gives back is zeroed before the table lets go of it,
and new space is zeroed (or filled) before the table hands it out.
"""

import os
import re
import sys
import uuid

from gpt_table import (ALIGN, ARRAY_SECTORS, ENTRY, MIB, NAME_MAX, SECTOR, VM_DEF_TYPE,
                       VOLUME_TYPE, NewTable, Part, Pool, PoolError, damage, protective_mbr)


def parse_size(text):
    match = re.fullmatch(r"([0-9]+)([KMG]?)", text.strip(), re.IGNORECASE)
    if not match:
        raise PoolError(f"bad size '{text}' (bytes, or a number with K, M or G)")
    shift = {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2).upper()]
    return int(match.group(1)) << shift


def volume_sectors(text):
    """A volume's size in sectors, rounded up to whole MiB."""
    size = parse_size(text)
    if size == 0:
        raise PoolError("a volume's size must not be 0")
    return (size + MIB - 1) // MIB * ALIGN


def check_name(name):
    if not 1 <= len(name) <= NAME_MAX or not all(0x20 < ord(c) < 0x7f for c in name):
        raise PoolError(f"bad volume name '{name}' (1-{NAME_MAX} printable ASCII characters, no spaces)")


def create(path, size_text):
    size = parse_size(size_text)
    if size % MIB or size < 2 * MIB:
        raise PoolError(f"a pool's size must be a whole number of MiB, at least 2M (not {size_text})")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as err:
        raise PoolError(f"{path}: {err.strerror}") from None
    os.ftruncate(fd, size)
    os.close(fd)
    pool = Pool(path)
    try:
        pool.write(0, protective_mbr(pool.sectors))
        pool.store(NewTable(pool.sectors), [], 2, pool.sectors - 1 - ARRAY_SECTORS)
    finally:
        pool.close()
    print(f"{path}: {size // MIB} MiB pool")


def first_fit(t, parts, sectors):
    """The first 1 MiB-aligned start where `sectors` fit between partitions."""
    start = (t.first_usable + ALIGN - 1) // ALIGN * ALIGN
    for p in sorted(parts, key=lambda p: p.first):
        if start + sectors - 1 < p.first:
            break
        start = max(start, (p.last + 1 + ALIGN - 1) // ALIGN * ALIGN)
    if start + sectors - 1 > t.last_usable:
        return None
    return start


def add(path, name, size_text, image=None):
    check_name(name)
    sectors = volume_sectors(size_text)
    src = None
    if image is not None:
        try:
            src = open(image, "rb")
        except OSError as err:
            raise PoolError(f"{image}: {err.strerror}") from None
        length = os.fstat(src.fileno()).st_size
        if length > sectors * SECTOR:
            src.close()
            raise PoolError(f"{image} ({length} bytes) does not fit in {size_text}")
    pool = Pool(path)
    try:
        t = pool.table()
        start = add_partition(pool, t, name, sectors, VOLUME_TYPE, iter(lambda: src.read(MIB), b"")
                              if src is not None else ())
    finally:
        pool.close()
        if src is not None:
            src.close()
    print(f"{name}: {sectors * SECTOR // MIB} MiB at {start * SECTOR // MIB} MiB")


def name_clash(pool, name):
    """Why `name` cannot be a new partition's: volumes and VM definitions
    share one name space (the hypervisor refuses a disk naming one twice)."""
    for p in pool.parts:
        if p.ours and p.name == name:
            return f"{pool.path}: a volume named '{name}' exists"
        if p.vm_def and p.name == name:
            return f"{pool.path}: a VM named '{name}' is defined in the pool"
    return None


def add_partition(pool, t, name, sectors, ptype, chunks):
    """A new partition of `ptype` filled from `chunks` (zero elsewhere): the
    data first, flushed (until the table names it, the space is free), then
    the table. Returns its first sector."""
    clash = name_clash(pool, name)
    if clash:
        raise PoolError(clash)
    used = {p.index for p in pool.parts}
    free = [i for i in range(t.count) if i not in used]
    if not free:
        raise PoolError(f"{pool.path}: no free partition entry")
    start = first_fit(t, pool.parts, sectors)
    if start is None:
        raise PoolError(f"{pool.path}: no free space of {sectors * SECTOR // MIB} MiB")
    pool.zero(start, sectors)
    offset = start * SECTOR
    for chunk in chunks:
        pool.write_at(offset, chunk)
        offset += len(chunk)
    pool.flush()
    raw = ENTRY.pack(ptype.bytes_le, uuid.uuid4().bytes_le, start, start + sectors - 1,
                     0, name.encode("utf-16-le"))
    pool.update(t, pool.parts + [Part(free[0], raw)])
    return start


def add_vm(path, name, package):
    """Stores a one-VM package (bulkhead's build_package) as a VM definition
    partition named `name`, sized to the whole MiB that hold it."""
    check_name(name)
    sectors = (len(package) + MIB - 1) // MIB * ALIGN
    pool = Pool(path)
    try:
        t = pool.table()
        start = add_partition(pool, t, name, sectors, VM_DEF_TYPE,
                              (package[i:i + MIB] for i in range(0, len(package), MIB)))
    finally:
        pool.close()
    print(f"{name}: VM defined ({len(package)} bytes in {sectors * SECTOR // MIB} MiB at "
          f"{start * SECTOR // MIB} MiB)")


def rm_vm(path, name):
    pool = Pool(path)
    try:
        t = pool.table()
        found = [p for p in pool.parts if p.vm_def and p.name == name]
        if not found:
            raise PoolError(f"{path}: no VM '{name}' defined")
        p = found[0]
        # zeroed before the entry goes, as a volume is
        pool.zero(p.first, p.sectors)
        pool.flush()
        pool.update(t, [q for q in pool.parts if q is not p])
    finally:
        pool.close()
    print(f"{name}: VM definition removed")


def list_volumes(path):
    pool = Pool(path, writable=False)
    try:
        primary, backup = pool.load()
        good = primary if not primary.why else backup if not backup.why else None
        if good is None:
            raise PoolError(f"{path}: {damage(primary, backup)}")
        if primary.why or backup.why:
            print(f"bulkhead pool: warning: {path}: {damage(primary, backup)}", file=sys.stderr)
        print(f"{'NAME':<36} {'START':>12} {'SIZE':>12}  KIND")
        for p in sorted(good.parts, key=lambda p: p.first):
            if p.ours or p.vm_def:
                kind = "vm" if p.vm_def else "volume"
                print(f"{p.name:<36} {p.first * SECTOR:>12} {p.sectors * SECTOR:>12}  {kind}")
    finally:
        pool.close()


def check(path):
    pool = Pool(path, writable=False)
    try:
        primary, backup = pool.load()
    finally:
        pool.close()
    if primary.why or backup.why:
        print(f"{path}: {damage(primary, backup)}")
        return 1
    print(f"{path}: both GPT copies good")
    return 0


def rm(path, name):
    pool = Pool(path)
    try:
        t = pool.table()
        p = pool.find(name)
        # zeroed before the entry goes, so nothing of it is left in free space
        pool.zero(p.first, p.sectors)
        pool.flush()
        pool.update(t, [q for q in pool.parts if q is not p])
    finally:
        pool.close()
    print(f"{name}: removed")


def export(path, name, out):
    pool = Pool(path, writable=False)
    try:
        pool.table()
        p = pool.find(name)
        try:
            dst = open(out, "wb")
        except OSError as err:
            raise PoolError(f"{out}: {err.strerror}") from None
        with dst:
            remaining, lba = p.sectors, p.first
            while remaining:
                n = min(remaining, ALIGN)
                chunk = pool.read(lba, n)
                if chunk.count(0) == len(chunk):
                    dst.seek(len(chunk), os.SEEK_CUR)      # keep the copy sparse
                else:
                    dst.write(chunk)
                remaining -= n
                lba += n
            dst.truncate()
    finally:
        pool.close()
    print(f"{out}: {p.sectors * SECTOR} bytes")


def resize(path, name, size_text):
    sectors = volume_sectors(size_text)
    pool = Pool(path)
    try:
        t = pool.table()
        p = pool.find(name)
        old_last = p.last
        new_last = p.first + sectors - 1
        if new_last > old_last:
            limit = min([q.first - 1 for q in pool.parts if q.first > p.last] + [t.last_usable])
            if new_last > limit:
                raise PoolError(f"{path}: no room to grow '{name}' to {size_text}")
            pool.zero(old_last + 1, new_last - old_last)
        elif new_last < old_last:
            pool.zero(new_last + 1, old_last - new_last)
        pool.flush()
        p.last = new_last
        pool.update(t, pool.parts)
    finally:
        pool.close()
    print(f"{name}: {sectors * SECTOR // MIB} MiB")


def add_parser(sub, add_vm_command=None, machine_options=None):
    """Adds `pool` and its subcommands to the `bulkhead` command's parser;
    `add-vm` runs `add_vm_command(args)` (bulkhead's, which checks the
    config as `bulkhead check` does and builds the package)."""
    pool = sub.add_parser("pool", help="make and change storage pools (disk images with volumes)")
    cmds = pool.add_subparsers(dest="pool_command", required=True, metavar="SUBCOMMAND")
    c = cmds.add_parser("create", help="a new sparse pool file with an empty GPT")
    c.add_argument("pool")
    c.add_argument("size")
    c.set_defaults(pool_func=lambda a: create(a.pool, a.size))
    c = cmds.add_parser("add", help="a new volume in the first free space that fits")
    c.add_argument("pool")
    c.add_argument("name")
    c.add_argument("size")
    c.add_argument("--from", dest="image", metavar="IMAGE", help="fill it from IMAGE")
    c.set_defaults(pool_func=lambda a: add(a.pool, a.name, a.size, a.image))
    c = cmds.add_parser("list", help="the volumes and VM definitions: name, start, size (bytes), kind")
    c.add_argument("pool")
    c.set_defaults(pool_func=lambda a: list_volumes(a.pool))
    c = cmds.add_parser("check", help="whether both GPT copies are good (exit 1 if not)")
    c.add_argument("pool")
    c.set_defaults(pool_func=lambda a: check(a.pool))
    c = cmds.add_parser("rm", help="zero a volume and remove it")
    c.add_argument("pool")
    c.add_argument("name")
    c.set_defaults(pool_func=lambda a: rm(a.pool, a.name))
    c = cmds.add_parser("export", help="copy a volume's contents to a file")
    c.add_argument("pool")
    c.add_argument("name")
    c.add_argument("out")
    c.set_defaults(pool_func=lambda a: export(a.pool, a.name, a.out))
    c = cmds.add_parser("resize", help="grow a volume into free space after it, or shrink it")
    c.add_argument("pool")
    c.add_argument("name")
    c.add_argument("size")
    c.set_defaults(pool_func=lambda a: resize(a.pool, a.name, a.size))
    if add_vm_command:
        c = cmds.add_parser("add-vm", help="define a VM in the pool: its config, kernel, "
                            "ramdisk and firmware, checked as `bulkhead check` does")
        if machine_options:
            machine_options(c, " the VM is checked against")
        c.add_argument("--disk", action="append", default=[], metavar="POOL",
                       help="another pool file the machine will have, for the config's "
                       "disks (the pool itself is always looked in)")
        c.add_argument("pool")
        c.add_argument("config", metavar="VM.cfg")
        c.set_defaults(pool_func=add_vm_command)
    c = cmds.add_parser("rm-vm", help="zero a VM definition and remove it")
    c.add_argument("pool")
    c.add_argument("name")
    c.set_defaults(pool_func=lambda a: rm_vm(a.pool, a.name))
    pool.set_defaults(func=run)


def run(args):
    """Runs a `bulkhead pool` subcommand: 0, 1 (check found damage) or 2 (an error)."""
    try:
        return args.pool_func(args) or 0
    except PoolError as err:
        print(f"bulkhead pool: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"bulkhead pool: {err.filename or args.pool}: {err.strerror}", file=sys.stderr)
        return 2
