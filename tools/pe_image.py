"""Sizes in the headers of a Bulkhead image (arch/arm64/head.S, efi_header.S).

The Linux arm64 Image header's image_size and the PE/COFF header's
SizeOfImage and last section both cover the image as loaded: the hypervisor,
its bss, and the VM package `bulkhead image` appends. They are known only
after linking, and again after appending, so both steps call set_loaded_size.
"""

import struct

IMAGE_SIZE_OFFSET = 16
PE_OFFSET_FIELD = 0x3C
PE_FILE_ALIGN = 512


def _align(value, to):
    return (value + to - 1) & ~(to - 1)


def set_loaded_size(image, loaded_size):
    """Edits `image` (a bytearray holding the file) in place: pads the file
    to the PE file alignment and makes both headers cover loaded_size bytes."""
    (pe,) = struct.unpack_from("<I", image, PE_OFFSET_FIELD)
    if image[:2] != b"MZ" or image[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not a Bulkhead image: no MZ/PE header")
    image += b"\0" * (_align(len(image), PE_FILE_ALIGN) - len(image))
    if loaded_size < len(image):
        raise ValueError(f"loaded size {loaded_size} is smaller than the file ({len(image)})")
    count, opt_size = struct.unpack_from("<H12xH", image, pe + 6)
    opt = pe + 24
    last = opt + opt_size + 40 * (count - 1)
    (virtual_address, raw_pointer) = struct.unpack_from("<I4xI", image, last + 12)
    struct.pack_into("<Q", image, IMAGE_SIZE_OFFSET, loaded_size)
    struct.pack_into("<I", image, opt + 56, loaded_size)                     # SizeOfImage
    struct.pack_into("<I", image, opt + 8, loaded_size - virtual_address)   # SizeOfInitializedData
    struct.pack_into("<I", image, last + 8, loaded_size - virtual_address)  # VirtualSize
    struct.pack_into("<I", image, last + 16, len(image) - raw_pointer)      # SizeOfRawData


def loaded_size(image):
    """image_size from the Image header."""
    return struct.unpack_from("<Q", image, IMAGE_SIZE_OFFSET)[0]
