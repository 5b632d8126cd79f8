/*
 * Firmware VMs boot like QEMU's virt board: the CPU starts at the bottom of
 * flash, where the image is, and the rest of the flash window reads as blank
 * (zero) flash, which firmware built for virt reads freely (U-Boot looks for
 * its saved environment in the second bank). All of it is read-only in the
 * VM's stage 2, so a guest write faults (and becomes the external abort a
 * write to ROM gives) instead of changing what the next boot runs.
 *
 * The blank part costs one 2 MiB zero block per VM, mapped over and over;
 * both allocations are the VM's own, accounted and scrubbed with it.
 */
#include "core/firmware.h"
#include "core/guest_layout.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define BLANK_BLOCK (2 * MiB)

static bool find_image(const struct vm *vm, struct pkg_blob *fw, char *why, u32 why_size)
{
	if (!package_find(vm->pkg, vm->pkg_index, PKG_FIRMWARE, fw)) {
		fmt_snprintf(why, why_size, "the VM package holds no firmware for this VM");
		return false;
	}
	if (fw->size == 0 || fw->size > GUEST_FIRMWARE_MAX) {
		fmt_snprintf(why, why_size, "firmware '%s' is %llu bytes; it must be 1 byte to "
			     "%llu MiB (the flash bank at IPA 0x%llx)", fw->name,
			     (unsigned long long)fw->size,
			     (unsigned long long)(GUEST_FIRMWARE_MAX / MiB),
			     (unsigned long long)GUEST_FLASH_BASE);
		return false;
	}
	return true;
}

/* Zeroed pages, or pa 0. Scrubbed now, so no old owner's data ever shows. */
static paddr_t take(u64 size, u64 align)
{
	paddr_t pa = page_alloc(&hv_pages, size / PAGE_SIZE, align);

	if (pa_addr(pa))
		arch_scrub(pa_to_ptr(pa), size);
	return pa;
}

/* Maps the flash window above the image to the blank block, read-only. */
static int map_blank(struct vm *vm)
{
	u64 ipa = GUEST_FLASH_BASE + vm->fw_size;
	u64 end = GUEST_FLASH_BASE + GUEST_FLASH_SIZE;

	while (ipa < end) {
		/* up to the next block boundary, then whole blocks */
		u64 chunk = BLANK_BLOCK - (ipa & (BLANK_BLOCK - 1));

		if (arch_stage2_map(&vm->s2, ipa_init(ipa), vm->fw_blank_pa, chunk, S2_ROM))
			return -1;
		ipa += chunk;
	}
	return 0;
}

int firmware_map(struct vm *vm, char *why, u32 why_size)
{
	struct pkg_blob fw;
	u64 size;

	if (!find_image(vm, &fw, why, why_size))
		return -1;
	size = align_up(fw.size, PAGE_SIZE);
	vm->fw_pa = take(size, PAGE_SIZE);
	if (pa_addr(vm->fw_pa))
		vm->fw_size = size;
	vm->fw_blank_pa = take(BLANK_BLOCK, BLANK_BLOCK);
	if (!pa_addr(vm->fw_pa) || !pa_addr(vm->fw_blank_pa)) {
		fmt_snprintf(why, why_size, "not enough free memory for firmware '%s' (%llu KiB "
			     "and a 2 MiB blank block)", fw.name, (unsigned long long)(size / KiB));
		return -1;
	}
	if (arch_stage2_map(&vm->s2, ipa_init(GUEST_FLASH_BASE), vm->fw_pa, size, S2_ROM) ||
	    map_blank(vm)) {
		fmt_snprintf(why, why_size, "no memory for the stage-2 tables of its firmware");
		return -1;
	}
	return 0;
}

int firmware_load(struct vm *vm, struct boot_layout *b, char *why, u32 why_size)
{
	struct pkg_blob fw;
	void *dst = pa_to_ptr(vm->fw_pa);

	if (!find_image(vm, &fw, why, why_size))
		return -1;
	if (align_up(fw.size, PAGE_SIZE) != vm->fw_size) {
		fmt_snprintf(why, why_size, "firmware '%s' does not match the pages taken for it",
			     fw.name);
		return -1;
	}
	memcpy(dst, fw.data, fw.size);
	arch_clean_dcache_range(dst, fw.size);
	b->format = "firmware";
	b->kernel_start = ipa_init(GUEST_FLASH_BASE);
	b->kernel_end = ipa_init(GUEST_FLASH_BASE + vm->fw_size);
	b->entry = ipa_init(GUEST_FLASH_BASE);
	return 0;
}

u64 firmware_bytes(const struct vm *vm)
{
	return vm->fw_size + (pa_addr(vm->fw_blank_pa) ? BLANK_BLOCK : 0);
}

void firmware_release(struct vm *vm)
{
	if (pa_addr(vm->fw_pa)) {
		arch_scrub(pa_to_ptr(vm->fw_pa), vm->fw_size);
		page_free(&hv_pages, vm->fw_pa, vm->fw_size / PAGE_SIZE);
	}
	if (pa_addr(vm->fw_blank_pa)) {
		/* never writable by anyone, but scrubbing costs little and proves it */
		arch_scrub(pa_to_ptr(vm->fw_blank_pa), BLANK_BLOCK);
		page_free(&hv_pages, vm->fw_blank_pa, BLANK_BLOCK / PAGE_SIZE);
	}
	vm->fw_pa = pa_init(0);
	vm->fw_blank_pa = pa_init(0);
	vm->fw_size = 0;
}
