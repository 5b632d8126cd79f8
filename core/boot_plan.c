/*
 * The Linux arm64 boot protocol, as Bulkhead applies it to every kernel:
 * the Image at a 2 MiB-aligned base plus its text_offset, the device tree at
 * the top of RAM (8-byte aligned, at most 2 MiB), the initrd just below it.
 * ELF kernels go where their program headers say, entered at e_entry. A raw
 * binary (only when the config says kernel_format = "raw": any other file
 * that is neither an Image nor an ELF is refused, since booting a mistaken
 * file would only crash the guest) is loaded at RAM base + 0x80000 and
 * entered at its first byte, as QEMU does.
 */
#include "arch.h"
#include "core/boot_plan.h"
#include "core/elf.h"
#include "core/guest_layout.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define RAW_LOAD_OFFSET 0x80000
#define PE_OFFSET_FIELD 0x3c
#define PE_SECTION_SIZE 40

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u32 le16(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8;
}

static bool ram_contains(const struct boot_files *f, u64 a, u64 size)
{
	return a >= f->ram_base && size <= f->ram_size && a - f->ram_base <= f->ram_size - size;
}

static int fail(const char **key, const char *blame, char *why, u32 why_size, const char *what,
		const struct boot_files *f)
{
	*key = blame;
	fmt_snprintf(why, why_size, "kernel '%s': %s", f->kernel_name, what);
	return -1;
}

static int too_big(const struct boot_files *f, u64 size, const char **key, char *why,
		   u32 why_size)
{
	*key = "memory";
	fmt_snprintf(why, why_size, "kernel '%s' (%llu KiB) does not fit in %llu MiB of RAM",
		     f->kernel_name, (unsigned long long)(size / KiB),
		     (unsigned long long)(f->ram_size / MiB));
	return -1;
}

/*
 * An Image with an EFI stub ("MZ" at 0, the PE header where 0x3c says)
 * carries a PE section table whose raw data ends where the file does: the
 * one way an Image says how long it is.
 * Returns NULL, or why the file is cut short.
 */
static const char *image_truncated(const u8 *d, u64 size)
{
	u64 pe, table, end = 0;
	u32 count;

	if (d[0] != 'M' || d[1] != 'Z')
		return NULL;
	pe = le32(d + PE_OFFSET_FIELD);
	if (pe > size || size - pe < 24)
		return "truncated (its PE header is missing)";
	/* "MZ" without a PE header is some other stub: nothing to tell by */
	if (memcmp(d + pe, "PE\0\0", 4) != 0)
		return NULL;
	count = le16(d + pe + 6);
	table = pe + 24 + le16(d + pe + 20);
	if (table > size || (u64)count * PE_SECTION_SIZE > size - table)
		return "truncated (its PE section table is cut short)";
	for (u32 i = 0; i < count; i++) {
		const u8 *s = d + table + (u64)i * PE_SECTION_SIZE;
		u64 raw_end = (u64)le32(s + 20) + le32(s + 16);

		if (raw_end > end)
			end = raw_end;
	}
	return end > size ? "truncated (shorter than its PE header says)" : NULL;
}

static int plan_elf(const struct boot_files *f, struct boot_layout *b, const char **key,
		    char *why, u32 why_size)
{
	struct elf_image elf;
	const char *bad = elf_open(&elf, f->kernel, f->kernel_size);
	char what[120];

	if (bad)
		return fail(key, "kernel", why, why_size, bad, f);
	b->format = "ELF";
	b->kernel_start = ipa_init(~0ull);
	for (u32 i = 0; i < elf.nsegments; i++) {
		struct elf_segment seg;

		elf_segment(&elf, i, &seg);
		if (!ram_contains(f, seg.paddr, seg.memsz)) {
			fmt_snprintf(what, sizeof(what), "segment at 0x%llx+0x%llx lies outside "
				     "the VM's RAM", (unsigned long long)seg.paddr,
				     (unsigned long long)seg.memsz);
			return fail(key, "kernel", why, why_size, what, f);
		}
		if (seg.paddr < ipa_addr(b->kernel_start))
			b->kernel_start = ipa_init(seg.paddr);
		if (seg.paddr + seg.memsz > ipa_addr(b->kernel_end))
			b->kernel_end = ipa_init(seg.paddr + seg.memsz);
	}
	b->entry = ipa_init(elf.entry);
	if (!ram_contains(f, elf.entry, 4)) {
		fmt_snprintf(what, sizeof(what), "entry point 0x%llx is outside the VM's RAM",
			     (unsigned long long)elf.entry);
		return fail(key, "kernel", why, why_size, what, f);
	}
	return 0;
}

static int plan_raw(const struct boot_files *f, struct boot_layout *b, const char **key,
		    char *why, u32 why_size)
{
	b->format = "raw binary";
	b->kernel_start = ipa_init(f->ram_base + RAW_LOAD_OFFSET);
	b->kernel_end = ipa_add(b->kernel_start, f->kernel_size);
	b->entry = b->kernel_start;
	if (!ram_contains(f, ipa_addr(b->kernel_start), f->kernel_size))
		return too_big(f, f->kernel_size, key, why, why_size);
	return 0;
}

static int plan_kernel(const struct boot_files *f, struct boot_layout *b, const char **key,
		       char *why, u32 why_size)
{
	u64 ram_end = f->ram_base + f->ram_size;
	u64 text_offset, image_size, start;
	const char *cut;

	if (f->kernel_size == 0)
		return fail(key, "kernel", why, why_size, "the file is empty", f);
	if (f->kernel_raw)
		return plan_raw(f, b, key, why, why_size);
	if (elf_is_elf(f->kernel, f->kernel_size))
		return plan_elf(f, b, key, why, why_size);
	if (!arch_kernel_image_parse(f->kernel, f->kernel_size, &text_offset, &image_size))
		return fail(key, "kernel", why, why_size, "neither a Linux arm64 Image nor an "
			    "AArch64 ELF file (a raw binary needs kernel_format = \"raw\")", f);
	cut = image_truncated(f->kernel, f->kernel_size);
	if (cut)
		return fail(key, "kernel", why, why_size, cut, f);
	b->format = "Linux Image";
	start = align_up(f->ram_base, GUEST_KERNEL_ALIGN) + text_offset;
	b->kernel_start = ipa_init(start);
	b->kernel_end = ipa_init(start + image_size);
	b->entry = b->kernel_start;
	if (text_offset >= GUEST_KERNEL_ALIGN || start + image_size > ram_end ||
	    start + image_size < start)
		return too_big(f, image_size, key, why, why_size);
	return 0;
}

/* The DTB goes at the top of RAM, the initrd right below it. */
static int plan_dtb_and_initrd(const struct boot_files *f, struct boot_layout *b,
			       const char **key, char *why, u32 why_size)
{
	u64 ram_end = f->ram_base + f->ram_size;
	u64 floor = align_up(ipa_addr(b->kernel_end), PAGE_SIZE);
	u64 dtb = align_down(ram_end - GUEST_DTB_MAX, GUEST_DTB_MAX);
	u64 initrd;

	/* with less than GUEST_DTB_MAX of RAM at a low base, ram_end - GUEST_DTB_MAX
	 * would wrap and put the DTB far outside the VM's RAM */
	b->dtb = ipa_init(dtb);
	if (f->ram_size < GUEST_DTB_MAX || dtb < floor) {
		*key = "memory";
		fmt_snprintf(why, why_size, "%llu MiB of RAM leaves no room for the device tree "
			     "above the kernel", (unsigned long long)(f->ram_size / MiB));
		return -1;
	}
	if (!f->has_ramdisk)
		return 0;
	initrd = align_down(dtb - f->ramdisk_size, PAGE_SIZE);
	b->initrd_start = ipa_init(initrd);
	b->initrd_end = ipa_init(initrd + f->ramdisk_size);
	if (f->ramdisk_size > dtb || initrd < floor) {
		*key = "ramdisk";
		fmt_snprintf(why, why_size, "ramdisk '%s' (%llu KiB) does not fit in RAM beside "
			     "the kernel", f->ramdisk_name,
			     (unsigned long long)(f->ramdisk_size / KiB));
		return -1;
	}
	return 0;
}

int boot_plan(const struct boot_files *f, struct boot_layout *b, const char **key, char *why,
	      u32 why_size)
{
	memset(b, 0, sizeof(*b));
	if (plan_kernel(f, b, key, why, why_size) || plan_dtb_and_initrd(f, b, key, why, why_size))
		return -1;
	return 0;
}
