/*
 * Reading ELF64 kernels (RTOS and bare-metal builds come as ELF). Only what
 * loading needs: the entry point and the PT_LOAD segments, every field
 * checked against the file.
 */
#ifndef BULKHEAD_CORE_ELF_H
#define BULKHEAD_CORE_ELF_H

#include "types.h"

struct elf_segment {
	u64 paddr;     /* where it goes in the guest (p_paddr) */
	u64 offset;    /* file offset of its contents */
	u64 filesz;
	u64 memsz;     /* >= filesz; the rest is zero */
};

struct elf_image {
	const u8 *data;
	u64 size;
	u64 entry;
	u32 nsegments; /* PT_LOAD segments */
};

bool elf_is_elf(const void *data, u64 size);
/* Validates the header and program headers; returns NULL or why not. */
const char *elf_open(struct elf_image *elf, const void *data, u64 size);
/* The index-th PT_LOAD segment (0 <= index < nsegments). */
bool elf_segment(const struct elf_image *elf, u32 index, struct elf_segment *out);

#endif
