/*
 * The Linux arm64 boot protocol, as Bulkhead applies it to every kernel:
 * the Image at a 2 MiB-aligned base plus its text_offset, the device tree at
 * the top of RAM (8-byte aligned, at most 2 MiB), the initrd just below it.
 * ELF kernels go where their program headers say, entered at e_entry; any
 * other file is a raw binary loaded at RAM base + 0x80000 and entered at its
 * first byte, as QEMU does. Every kernel gets x0 = the device tree.
 *
 * A VM with firmware instead starts as QEMU's virt board starts a -bios
 * image: at the firmware's first byte, with the device tree at the start of
 * RAM, where firmware built for virt (U-Boot's qemu-arm) looks for it.
 */
#include "core/elf.h"
#include "core/firmware.h"
#include "core/guest_dt.h"
#include "core/guest_layout.h"
#include "core/guest_mem.h"
#include "core/loader.h"
#include "core/vm.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define RAW_LOAD_OFFSET 0x80000

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

static int too_big(const struct vm *vm, const struct pkg_blob *k, u64 size, char *why,
		   u32 why_size)
{
	fmt_snprintf(why, why_size, "kernel '%s' (%llu KiB) does not fit in %llu MiB of RAM",
		     k->name, (unsigned long long)(size / KiB),
		     (unsigned long long)(vm->ram.size / MiB));
	return -1;
}

static int load_elf(struct vm *vm, const struct pkg_blob *k, struct boot_layout *b, char *why,
		    u32 why_size)
{
	struct elf_image elf;
	const char *bad = elf_open(&elf, k->data, k->size);

	if (bad) {
		fmt_snprintf(why, why_size, "kernel '%s': %s", k->name, bad);
		return -1;
	}
	b->format = "ELF";
	b->kernel_start = ipa_init(~0ull);
	for (u32 i = 0; i < elf.nsegments; i++) {
		struct elf_segment seg;

		elf_segment(&elf, i, &seg);
		if (!vm_ram_contains(vm, ipa_init(seg.paddr), seg.memsz)) {
			fmt_snprintf(why, why_size, "kernel '%s': segment at 0x%llx+0x%llx lies "
				     "outside the VM's RAM", k->name, (unsigned long long)seg.paddr,
				     (unsigned long long)seg.memsz);
			return -1;
		}
		copy_in(vm, ipa_init(seg.paddr), k->data + seg.offset, seg.filesz);
		if (seg.paddr < ipa_addr(b->kernel_start))
			b->kernel_start = ipa_init(seg.paddr);
		if (seg.paddr + seg.memsz > ipa_addr(b->kernel_end))
			b->kernel_end = ipa_init(seg.paddr + seg.memsz);
	}
	b->entry = ipa_init(elf.entry);
	if (!vm_ram_contains(vm, b->entry, 4)) {
		fmt_snprintf(why, why_size, "kernel '%s': entry point 0x%llx is outside the VM's "
			     "RAM", k->name, (unsigned long long)elf.entry);
		return -1;
	}
	return 0;
}

static int load_raw(struct vm *vm, const struct pkg_blob *k, struct boot_layout *b, char *why,
		    u32 why_size)
{
	b->format = "raw binary";
	b->kernel_start = ipa_init(vm->ram.base + RAW_LOAD_OFFSET);
	b->kernel_end = ipa_add(b->kernel_start, k->size);
	b->entry = b->kernel_start;
	if (!vm_ram_contains(vm, b->kernel_start, k->size))
		return too_big(vm, k, k->size, why, why_size);
	copy_in(vm, b->kernel_start, k->data, k->size);
	return 0;
}

static int load_kernel(struct vm *vm, const struct pkg_blob *k, struct boot_layout *b,
		       char *why, u32 why_size)
{
	u64 ram_end = vm->ram.base + vm->ram.size;
	u64 text_offset, image_size, start;

	if (elf_is_elf(k->data, k->size))
		return load_elf(vm, k, b, why, why_size);
	if (!arch_kernel_image_parse(k->data, k->size, &text_offset, &image_size))
		return load_raw(vm, k, b, why, why_size);
	b->format = "Linux Image";
	start = align_up(vm->ram.base, GUEST_KERNEL_ALIGN) + text_offset;
	b->kernel_start = ipa_init(start);
	b->kernel_end = ipa_init(start + image_size);
	b->entry = b->kernel_start;
	if (text_offset >= GUEST_KERNEL_ALIGN || start + image_size > ram_end ||
	    start + image_size < start)
		return too_big(vm, k, image_size, why, why_size);
	copy_in(vm, b->kernel_start, k->data, k->size);
	return 0;
}

/* The DTB goes at the top of RAM, the initrd right below it. */
static int place_dtb_and_initrd(struct vm *vm, const struct pkg_blob *rd, bool has_rd,
				struct boot_layout *b, char *why, u32 why_size)
{
	u64 ram_end = vm->ram.base + vm->ram.size;
	u64 floor = align_up(ipa_addr(b->kernel_end), PAGE_SIZE);
	u64 dtb = align_down(ram_end - GUEST_DTB_MAX, GUEST_DTB_MAX);
	u64 initrd;

	/* with less than GUEST_DTB_MAX of RAM at a low base, ram_end - GUEST_DTB_MAX
	 * would wrap and put the DTB far outside the VM's RAM */
	b->dtb = ipa_init(dtb);
	if (vm->ram.size < GUEST_DTB_MAX || dtb < floor) {
		fmt_snprintf(why, why_size, "%llu MiB of RAM leaves no room for the device tree "
			     "above the kernel", (unsigned long long)(vm->ram.size / MiB));
		return -1;
	}
	if (!has_rd)
		return 0;
	initrd = align_down(dtb - rd->size, PAGE_SIZE);
	b->initrd_start = ipa_init(initrd);
	b->initrd_end = ipa_init(initrd + rd->size);
	if (rd->size > dtb || initrd < floor) {
		fmt_snprintf(why, why_size, "ramdisk '%s' (%llu KiB) does not fit in RAM beside "
			     "the kernel", rd->name, (unsigned long long)(rd->size / KiB));
		return -1;
	}
	copy_in(vm, b->initrd_start, rd->data, rd->size);
	return 0;
}

static int load_linux_style(struct vm *vm, struct boot_layout *b, char *why, u32 why_size)
{
	struct pkg_blob kernel;
	struct pkg_blob ramdisk;
	bool has_rd;

	if (!package_find(vm->pkg, vm->pkg_index, PKG_KERNEL, &kernel)) {
		fmt_snprintf(why, why_size, "the VM package holds no kernel for this VM");
		return -1;
	}
	has_rd = package_find(vm->pkg, vm->pkg_index, PKG_RAMDISK, &ramdisk);
	if (load_kernel(vm, &kernel, b, why, why_size) ||
	    place_dtb_and_initrd(vm, &ramdisk, has_rd, b, why, why_size))
		return -1;
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
