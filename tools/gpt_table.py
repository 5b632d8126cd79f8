"""The GPT of a storage pool file, for `bulkhead pool` (tools/pool.py).

Reads both copies with the checks storage/gpt.c applies, so the tool and
the hypervisor agree on what is a valid pool, and writes both copies in the
crash-safe order: the backup (entries, then header), flushed, then the
primary the same way.
"""

import os
import struct
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
# 3d947d5d-d1f3-4758-8061-dc030d51a8e9: a VM definition (`pool add-vm`), as in storage/gpt.h
VM_DEF_TYPE = uuid.UUID("3d947d5d-d1f3-4758-8061-dc030d51a8e9")
UNUSED = bytes(16)

# UEFI 2.x table 5-5 (through PartitionEntryArrayCRC32) and 5-6
HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")
ENTRY = struct.Struct("<16s16sQQQ72s")
REVISION = 0x00010000
HEADER_SIZE = HEADER.size             # 92

class PoolError(Exception):
    """An error the user can fix; the message is the whole story."""


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
    def vm_def(self):
        return self.type == VM_DEF_TYPE

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
