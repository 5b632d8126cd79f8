/* ELF64 little-endian AArch64 executables: header and PT_LOAD segments. */
#include "core/elf.h"
#include "lib/string.h"

#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_AARCH64 183
#define PT_LOAD 1
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define MAX_PHDRS 64

static u64 le(const u8 *p, u32 n)
{
	u64 v = 0;

	for (u32 i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

bool elf_is_elf(const void *data, u64 size)
{
	return size >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0;
}

static const u8 *phdr(const struct elf_image *elf, u32 i)
{
	u64 phoff = le(elf->data + 32, 8);

	return elf->data + phoff + (u64)i * PHDR_SIZE;
}

static u32 phnum(const struct elf_image *elf)
{
	return (u32)le(elf->data + 56, 2);
}

static const char *check_segment(const struct elf_image *elf, const u8 *ph)
{
	u64 offset = le(ph + 8, 8), filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
	u64 paddr = le(ph + 24, 8);

	if (filesz > memsz)
		return "a segment's file size exceeds its memory size";
	if (offset > elf->size || filesz > elf->size - offset)
		return "a segment lies outside the file";
	if (!range_ok(paddr, memsz))
		return "a segment wraps around the address space";
	return NULL;
}

const char *elf_open(struct elf_image *elf, const void *data, u64 size)
{
	const u8 *d = data;
	u64 phoff;
	u32 n;

	memset(elf, 0, sizeof(*elf));
	if (size < EHDR_SIZE || !elf_is_elf(data, size))
		return "not an ELF file";
	if (d[EI_CLASS] != ELFCLASS64 || d[EI_DATA] != ELFDATA2LSB)
		return "not a 64-bit little-endian ELF file";
	if (le(d + 18, 2) != EM_AARCH64)
		return "not an AArch64 ELF file";
	if (le(d + 16, 2) != ET_EXEC && le(d + 16, 2) != ET_DYN)
		return "not an executable ELF file";
	elf->data = d;
	elf->size = size;
	elf->entry = le(d + 24, 8);
	phoff = le(d + 32, 8);
	n = phnum(elf);
	if (le(d + 54, 2) != PHDR_SIZE || n == 0 || n > MAX_PHDRS || phoff > size ||
	    (u64)n * PHDR_SIZE > size - phoff)
		return "bad program header table";
	for (u32 i = 0; i < n; i++) {
		const u8 *ph = phdr(elf, i);
		const char *why;

		if (le(ph, 4) != PT_LOAD)
			continue;
		why = check_segment(elf, ph);
		if (why)
			return why;
		elf->nsegments++;
	}
	return elf->nsegments ? NULL : "no loadable segment";
}

bool elf_segment(const struct elf_image *elf, u32 index, struct elf_segment *out)
{
	for (u32 i = 0, seen = 0; i < phnum(elf); i++) {
		const u8 *ph = phdr(elf, i);

		if (le(ph, 4) != PT_LOAD)
			continue;
		if (seen++ == index) {
			out->offset = le(ph + 8, 8);
			out->paddr = le(ph + 24, 8);
			out->filesz = le(ph + 32, 8);
			out->memsz = le(ph + 40, 8);
			return true;
		}
	}
	return false;
}
