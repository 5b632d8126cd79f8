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
import struct
import sys
import uuid
import zlib

SECTOR = 512
MIB = 1024 * 1024
ALIGN = MIB // SECTOR                 # sectors per 1 MiB
ENTRIES = 128
ENTRY_SIZE = 128
ARRAY_SECTORS = ENTRIES * ENTRY_SIZE // SECTOR
NAME_MAX = 36
# 34f1ff85-d473-45ec-9812-6981efcf85a8, as in storage/gpt.h
VOLUME_TYPE = uuid.UUID("34f1ff85-d473-45ec-9812-6981efcf85a8")
UNUSED = bytes(16)

# UEFI 2.x table 5-5 (through PartitionEntryArrayCRC32) and 5-6
HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")
ENTRY = struct.Struct("<16s16sQQQ72s")
REVISION = 0x00010000
HEADER_SIZE = HEADER.size             # 92


class PoolError(Exception):
    """An error the user can fix; the message is the whole story."""


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


class Part:
    """One used partition entry."""

    def __init__(self, index, raw):
        self.index = index
        ptype, self.unique, self.first, self.last, self.attrs, name = ENTRY.unpack(raw)
        self.type = uuid.UUID(bytes_le=ptype)
        self.name = name.decode("utf-16-le", "replace").split("\0")[0]

    def pack(self):
        return ENTRY.pack(self.type.bytes_le, self.unique, self.first, self.last, self.attrs,
                          self.name.encode("utf-16-le"))

    @property
    def ours(self):
        return self.type == VOLUME_TYPE

    @property
    def sectors(self):
        return self.last - self.first + 1


def header_crc(fields):
    return zlib.crc32(HEADER.pack(*fields[:3], 0, *fields[4:]))


def make_header(my, other, first_usable, last_usable, disk_guid, entry_lba, count, size, array):
    fields = [b"EFI PART", REVISION, HEADER_SIZE, 0, 0, my, other, first_usable, last_usable,
              disk_guid, entry_lba, count, size, zlib.crc32(array)]
    fields[3] = header_crc(fields)
    return HEADER.pack(*fields).ljust(SECTOR, b"\0")


def protective_mbr(sectors):
    mbr = bytearray(SECTOR)
    # one partition of type 0xEE from LBA 1 to the end (capped at 2^32 - 1)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                               min(sectors - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


class Copy:
    """One copy of the table as read, with why it is bad if it is."""

    def __init__(self, pool, lba, other):
        self.why = None
        self.lba = lba
        try:
            self._check(pool, lba, other)
        except ValueError as err:
            self.why = str(err)

    def _check(self, pool, lba, other):
        raw = pool.read(lba, 1)
        f = list(HEADER.unpack_from(raw))
        (sig, rev, size, crc, _, my, alt, self.first_usable, self.last_usable, self.disk_guid,
         self.entry_lba, self.count, self.entry_size, array_crc) = f
        if sig != b"EFI PART":
            raise ValueError("no GPT signature")
        if rev != REVISION:
            raise ValueError("unknown GPT revision")
        if not HEADER_SIZE <= size <= SECTOR:
            raise ValueError("bad header size")
        if zlib.crc32(raw[:16] + bytes(4) + raw[20:size]) != crc:
            raise ValueError("header CRC mismatch")
        if my != lba or alt != other:
            raise ValueError("header LBAs do not match the disk's size")
        if not 2 <= self.first_usable <= self.last_usable <= pool.sectors - 2:
            raise ValueError("usable range outside the disk")
        if self.entry_size < 128 or self.entry_size & (self.entry_size - 1) or self.entry_size > SECTOR:
            raise ValueError("bad partition entry size")
        if self.count > ENTRIES or self.count * self.entry_size > ENTRIES * 128:
            raise ValueError("too many partition entries")
        nbytes = self.count * self.entry_size
        nsec = (nbytes + SECTOR - 1) // SECTOR
        if (self.entry_lba < 2 or self.entry_lba + nsec > pool.sectors - 1 or
                (nsec and self.entry_lba <= self.last_usable and self.first_usable < self.entry_lba + nsec)):
            raise ValueError("partition entry array misplaced")
        array = pool.read(self.entry_lba, nsec)[:nbytes]
        if zlib.crc32(array) != array_crc:
            raise ValueError("partition entry array CRC mismatch")
        self.parts = []
        for i in range(self.count):
            raw_entry = array[i * self.entry_size:i * self.entry_size + ENTRY.size]
            if raw_entry[:16] != UNUSED:
                self.parts.append(Part(i, raw_entry))
        for p in self.parts:
            if p.first > p.last:
                raise ValueError("a partition ends before it starts")
            if p.first < self.first_usable or p.last > self.last_usable:
                raise ValueError("a partition lies outside the usable range")
        spans = sorted(self.parts, key=lambda p: p.first)
        for a, b in zip(spans, spans[1:]):
            if b.first <= a.last:
                raise ValueError("two partitions overlap")


class Pool:
    def __init__(self, path, writable=True):
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
        except OSError as err:
            raise PoolError(f"{path}: {err.strerror}") from None
        self.sectors = os.lseek(self.fd, 0, os.SEEK_END) // SECTOR

    def close(self):
        os.close(self.fd)

    def read(self, lba, count):
        data = os.pread(self.fd, count * SECTOR, lba * SECTOR)
        return data.ljust(count * SECTOR, b"\0")

    def write(self, lba, data):
        self.write_at(lba * SECTOR, data)

    def write_at(self, offset, data):
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            view = view[n:]
            offset += n

    def flush(self):
        os.fsync(self.fd)

    def zero(self, first, sectors):
        chunk = bytes(MIB)
        offset, end = first * SECTOR, (first + sectors) * SECTOR
        while offset < end:
            n = min(len(chunk), end - offset)
            self.write_at(offset, chunk[:n])
            offset += n

    def load(self):
        """The table, when both copies are good; anything less is refused."""
        if self.sectors < 4:
            raise PoolError(f"{self.path}: too small to be a pool")
        self.primary = Copy(self, 1, self.sectors - 1)
        self.backup = Copy(self, self.sectors - 1, 1)
        if not self.primary.why and not self.backup.why and not apart(self.primary, self.backup):
            # as storage/gpt.c: a volume or a rewrite of one copy would destroy the other
            raise PoolError(f"{self.path}: one GPT copy's usable range or array covers the other's array")
        return self.primary, self.backup

    def table(self):
        primary, backup = self.load()
        if primary.why or backup.why:
            raise PoolError(f"{self.path}: {damage(primary, backup)}")
        self.parts = primary.parts
        return primary

    def update(self, t, parts):
        self.store(t, parts, self.primary.entry_lba, self.backup.entry_lba)

    def store(self, t, parts, primary_array, backup_array):
        """Writes both copies, each array where it was: the backup first
        (entries, then header), flushed, then the primary the same way."""
        array = bytearray(t.count * t.entry_size)
        for p in parts:
            array[p.index * t.entry_size:p.index * t.entry_size + ENTRY.size] = p.pack()
        array = bytes(array)
        nsec = (len(array) + SECTOR - 1) // SECTOR
        last = self.sectors - 1
        for my, other, entry_lba in ((last, 1, backup_array), (1, last, primary_array)):
            self.write(entry_lba, array.ljust(nsec * SECTOR, b"\0"))
            self.flush()
            self.write(my, make_header(my, other, t.first_usable, t.last_usable, t.disk_guid,
                                       entry_lba, t.count, t.entry_size, array))
            self.flush()

    def find(self, name):
        for p in self.parts:
            if p.ours and p.name == name:
                return p
        raise PoolError(f"{self.path}: no volume '{name}'")


def apart(a, b):
    def overlaps(x, xn, y, yn):
        return xn and yn and x < y + yn and y < x + xn

    def array(c):
        return c.entry_lba, (c.count * c.entry_size + SECTOR - 1) // SECTOR

    def usable(c):
        return c.first_usable, c.last_usable - c.first_usable + 1
    return not (overlaps(*usable(a), *array(b)) or overlaps(*usable(b), *array(a)) or
                overlaps(*array(a), *array(b)))


def damage(primary, backup):
    if primary.why and backup.why:
        return f"not a valid pool (primary GPT: {primary.why}; backup GPT: {backup.why})"
    which, copy = ("primary", primary) if primary.why else ("backup", backup)
    return f"{which} GPT damaged ({copy.why}); the other copy is good"


class NewTable:
    """A new table's header values, laid out as partitioning tools do: 128
    entries right after each header, the usable range between the arrays."""

    def __init__(self, sectors):
        self.first_usable = 2 + ARRAY_SECTORS
        self.last_usable = sectors - 2 - ARRAY_SECTORS
        self.disk_guid = uuid.uuid4().bytes_le
        self.count = ENTRIES
        self.entry_size = ENTRY_SIZE


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
        if any(p.ours and p.name == name for p in pool.parts):
            raise PoolError(f"{path}: a volume named '{name}' exists")
        used = {p.index for p in pool.parts}
        free = [i for i in range(t.count) if i not in used]
        if not free:
            raise PoolError(f"{path}: no free partition entry")
        start = first_fit(t, pool.parts, sectors)
        if start is None:
            raise PoolError(f"{path}: no free space of {sectors * SECTOR // MIB} MiB")
        # the data first: until the table names it, the space is free
        pool.zero(start, sectors)
        if src is not None:
            offset = start * SECTOR
            while True:
                chunk = src.read(MIB)
                if not chunk:
                    break
                pool.write_at(offset, chunk)
                offset += len(chunk)
        pool.flush()
        raw = ENTRY.pack(VOLUME_TYPE.bytes_le, uuid.uuid4().bytes_le, start, start + sectors - 1,
                         0, name.encode("utf-16-le"))
        pool.update(t, pool.parts + [Part(free[0], raw)])
    finally:
        pool.close()
        if src is not None:
            src.close()
    print(f"{name}: {sectors * SECTOR // MIB} MiB at {start * SECTOR // MIB} MiB")


def list_volumes(path):
    pool = Pool(path, writable=False)
    try:
        primary, backup = pool.load()
        good = primary if not primary.why else backup if not backup.why else None
        if good is None:
            raise PoolError(f"{path}: {damage(primary, backup)}")
        if primary.why or backup.why:
            print(f"bulkhead pool: warning: {path}: {damage(primary, backup)}", file=sys.stderr)
        print(f"{'NAME':<36} {'START':>12} {'SIZE':>12}")
        for p in sorted(good.parts, key=lambda p: p.first):
            if p.ours:
                print(f"{p.name:<36} {p.first * SECTOR:>12} {p.sectors * SECTOR:>12}")
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


def add_parser(sub):
    """Adds `pool` and its subcommands to the `bulkhead` command's parser."""
    pool = sub.add_parser("pool", help="make and change storage pools (disk images with volumes)")
    cmds = pool.add_subparsers(dest="pool_command", required=True)
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
    c = cmds.add_parser("list", help="the volumes: name, start, size (bytes)")
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
