/*
 * libFuzzer target for a VM definition read from a pool disk
 * (storage/vm_def.c): the input is the partition's content. Its head is
 * checked as the boot scan does (the first VM_DEF_HEAD_BYTES only, from an
 * exactly-sized copy so ASan sees any read past them), then the whole input
 * as `create` does: when the head passes, the config it names must lie
 * within the input, the package must open with core/package.c, and the
 * config is parsed and checked against the package.
 */
#include <stdlib.h>
#include <string.h>

#include "storage/vm_def.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static struct vm_config cfg;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 head_len = size < VM_DEF_HEAD_BYTES ? size : VM_DEF_HEAD_BYTES;
	u8 *copy = malloc(size ? size : 1);
	struct vm_def_head h, whole;
	struct package pkg;
	const char *why;
	char text[200];

	memcpy(copy, data, size);
	if (vm_def_check_head(copy, head_len, size, &h, &why) == 0) {
		CHECK(h.total <= size);
		CHECK(h.cfg_offset <= h.total && h.cfg_size <= h.total - h.cfg_offset);
		CHECK(h.cfg_size > 0 && h.cfg_size <= VM_DEF_CONFIG_MAX);
		CHECK(memchr(h.cfg_file, '\0', sizeof(h.cfg_file)) != NULL);
		CHECK(vm_def_check_head(copy, size, size, &whole, &why) == 0);
		CHECK(package_open(&pkg, copy, h.total, &why) == 0);
		if (vm_def_check_config(&whole, (const char *)copy + whole.cfg_offset, whole.cfg_size,
					"pvm", &cfg, text, sizeof(text)) == 0)
			CHECK(strcmp(cfg.name, "pvm") == 0);
	}
	free(copy);
	return 0;
}
