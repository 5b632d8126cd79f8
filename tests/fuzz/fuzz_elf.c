/*
 * libFuzzer target for the ELF kernel reader (core/elf.c): any input either
 * is refused with a reason or yields segments that lie inside the input.
 */
#include <stdlib.h>

#include "core/elf.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct elf_image elf;
	const char *why = elf_open(&elf, data, size);

	if (why)
		return 0;
	CHECK(elf.nsegments > 0);
	for (u32 i = 0; i < elf.nsegments; i++) {
		struct elf_segment s;

		CHECK(elf_segment(&elf, i, &s));
		CHECK(s.filesz <= s.memsz);
		CHECK(s.offset <= size && s.filesz <= size - s.offset);
		CHECK(s.paddr + s.memsz >= s.paddr);
	}
	return 0;
}
