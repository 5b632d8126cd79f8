/*
 * Loading a VM's kernel, ramdisk and device tree where core/boot_plan.c
 * says (the Linux arm64 boot protocol); every kernel gets x0 = the device tree.
 *
 * A VM with firmware instead starts as QEMU's virt board starts a -bios
 * image: at the firmware's first byte, with the device tree at the start of
 * RAM, where firmware built for virt (U-Boot's qemu-arm) looks for it.
 */
#include "core/boot_plan.h"
#include "core/elf.h"
#include "core/firmware.h"
#include "core/guest_dt.h"
#include "core/guest_layout.h"
#include "core/guest_mem.h"
#include "core/loader.h"
#include "core/vm.h"
#include "lib/fmt.h"
#include "lib/string.h"

/* The guest may start with its caches off: each host piece of the range is
 * cleaned to where it reads it. */
static void clean_range(struct vm *vm, ipaddr_t ipa, u64 size)
{
	u64 run;

	while (size) {
		const void *p = guest_mem_run(vm, ipa, size, &run);

		if (!p)
			return;
		arch_clean_dcache_range(p, run);
		ipa = ipa_add(ipa, run);
		size -= run;
	}
}

/* Callers checked the range. */
static void copy_in(struct vm *vm, ipaddr_t ipa, const void *src, u64 size)
{
	if (guest_mem_write(vm, ipa, src, size))
		clean_range(vm, ipa, size);
}

/* Copies the kernel where the plan put it: an ELF by its segments (their
 * memsz beyond filesz stays the zeros fresh guest RAM holds). */
static void copy_kernel(struct vm *vm, const struct pkg_blob *k, const struct boot_layout *b)
{
	struct elf_image elf;

	if (strcmp(b->format, "ELF") != 0) {
		copy_in(vm, b->kernel_start, k->data, k->size);
		return;
	}
	elf_open(&elf, k->data, k->size);
	for (u32 i = 0; i < elf.nsegments; i++) {
		struct elf_segment seg;

		elf_segment(&elf, i, &seg);
		copy_in(vm, ipa_init(seg.paddr), k->data + seg.offset, seg.filesz);
	}
}

static int load_linux_style(struct vm *vm, struct boot_layout *b, char *why, u32 why_size)
{
	struct pkg_blob kernel;
	struct pkg_blob ramdisk;
	struct boot_files f;
	const char *key;

	if (!package_find(vm->pkg, vm->pkg_index, PKG_KERNEL, &kernel)) {
		fmt_snprintf(why, why_size, "the VM package holds no kernel for this VM");
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.has_ramdisk = package_find(vm->pkg, vm->pkg_index, PKG_RAMDISK, &ramdisk);
	f.kernel = kernel.data;
	f.kernel_size = kernel.size;
	f.kernel_name = kernel.name;
	f.kernel_raw = vm->cfg.kernel_raw;
	f.ramdisk_size = f.has_ramdisk ? ramdisk.size : 0;
	f.ramdisk_name = f.has_ramdisk ? ramdisk.name : "";
	f.ram_base = vm->ram.base;
	f.ram_size = vm->ram.size;
	if (boot_plan(&f, b, &key, why, why_size))
		return -1;
	copy_kernel(vm, &kernel, b);
	if (f.has_ramdisk)
		copy_in(vm, b->initrd_start, ramdisk.data, ramdisk.size);
	b->dtb_cap = GUEST_DTB_MAX;
	return 0;
}

/* Firmware in its flash, the device tree at the bottom of RAM. */
static int load_firmware_style(struct vm *vm, struct boot_layout *b, char *why, u32 why_size)
{
	if (firmware_load(vm, b, why, why_size))
		return -1;
	b->dtb = ipa_init(vm->ram.base);
	b->dtb_cap = vm->ram.size < GUEST_DTB_MAX ? (u32)vm->ram.size : GUEST_DTB_MAX;
	return 0;
}

int loader_load(struct vm *vm, struct boot_layout *b, char *why, u32 why_size)
{
	void *dtb;
	u64 run;
	int size;

	memset(b, 0, sizeof(*b));
	if (vm->cfg.firmware[0] ? load_firmware_style(vm, b, why, why_size) :
				  load_linux_style(vm, b, why, why_size))
		return -1;
	/* it lies in one 2 MiB chunk (both places are 2 MiB aligned): one run
	 * unless the pool had no 2 MiB block, when it gets the run there is */
	dtb = (void *)guest_mem_run(vm, b->dtb, b->dtb_cap, &run);
	if (!dtb) {
		fmt_snprintf(why, why_size, "no RAM backs the device tree's place");
		return -1;
	}
	b->dtb_cap = (u32)run;
	size = guest_dt_build(vm, b, dtb, b->dtb_cap);
	if (size < 0) {
		fmt_snprintf(why, why_size, "the generated device tree does not fit in %llu KiB",
			     (unsigned long long)(b->dtb_cap / KiB));
		return -1;
	}
	b->dtb_size = (u32)size;
	arch_clean_dcache_range(dtb, (u64)size);
	arch_invalidate_icache();
	return 0;
}
