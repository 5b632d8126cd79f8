/*
 * The UEFI side of booting: find the device tree the firmware installed,
 * leave boot services, and make the image and tree visible with the MMU off.
 * Runs before head.S has applied the image's relocations, so nothing here may
 * read a pointer stored in the image's data: every address is PC-relative or
 * comes from the firmware. Only the few UEFI structures used are declared.
 */
#include "arch.h"
#include "lib/fdt.h"
#include "lib/string.h"

typedef u64 efi_status;
typedef __CHAR16_TYPE__ efi_char16;

#define EFI_ERROR_BIT (1ull << 63)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_LOADER_DATA 2
/* a memory map can grow by a few entries between asking its size and reading it */
#define MAP_SLACK_DESCRIPTORS 16
#define EXIT_ATTEMPTS 8
/* more than any board's tree; bounds what is cleaned from a firmware value */
#define FDT_MAX_SIZE (2 * MiB)
/* merged runs the UEFI map keeps from the OS; a map with more stops the boot */
#define EFI_KEPT_MAX 32
#define EFI_PAGE_SIZE 4096

/* The UEFI 2.x EFI_MEMORY_DESCRIPTOR; the firmware's desc_size may be larger. */
struct efi_memory_descriptor {
	u32 type;
	u64 phys_start, virt_start, pages, attribute;
};

/*
 * What the UEFI memory map keeps from the OS, for core to keep from its
 * allocator. In .data, not .bss: primary_entry clears bss after the stub ran.
 * Plain numbers only, since the image has not been relocated yet.
 */
static struct {
	struct { u64 base, size; } range[EFI_KEPT_MAX];
	u32 count;
	bool overflow;
} efi_kept __attribute__((section(".data")));

struct efi_guid {
	u32 data1;
	u16 data2, data3;
	u8 data4[8];
};

struct efi_table_header {
	u64 signature;
	u32 revision, header_size, crc32, reserved;
};

struct efi_text_output {
	void *reset;
	efi_status (*output_string)(struct efi_text_output *self, const efi_char16 *s);
};

/* Up to ExitBootServices; entries Bulkhead never calls are opaque. */
struct efi_boot_services {
	struct efi_table_header hdr;
	void *raise_tpl, *restore_tpl, *allocate_pages, *free_pages;
	efi_status (*get_memory_map)(u64 *size, void *map, u64 *key, u64 *desc_size, u32 *desc_ver);
	efi_status (*allocate_pool)(u32 type, u64 size, void **out);
	void *free_pool, *create_event, *set_timer, *wait_for_event, *signal_event, *close_event;
	void *check_event, *install_protocol, *reinstall_protocol, *uninstall_protocol;
	void *handle_protocol, *reserved, *register_protocol_notify, *locate_handle;
	void *locate_device_path, *install_configuration_table, *load_image, *start_image;
	void *exit, *unload_image;
	efi_status (*exit_boot_services)(void *image, u64 map_key);
};

struct efi_configuration_table {
	struct efi_guid guid;
	void *table;
};

struct efi_system_table {
	struct efi_table_header hdr;
	efi_char16 *vendor;
	u32 revision;
	void *con_in_handle, *con_in, *con_out_handle;
	struct efi_text_output *con_out;
	void *stderr_handle, *stderr_out, *runtime_services;
	struct efi_boot_services *boot_services;
	u64 table_count;
	struct efi_configuration_table *tables;
};

static const struct efi_guid fdt_guid = {
	0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 }
};

u64 efi_main(void *image, struct efi_system_table *st, u64 image_base);

static void say(struct efi_system_table *st, const efi_char16 *s)
{
	if (st->con_out)
		st->con_out->output_string(st->con_out, s);
}

static void *find_fdt(struct efi_system_table *st)
{
	for (u64 i = 0; i < st->table_count; i++) {
		if (memcmp(&st->tables[i].guid, &fdt_guid, sizeof(fdt_guid)) == 0)
			return st->tables[i].table;
	}
	return 0;
}

/* The types an OS may use once boot services are gone; every other type
 * (reserved, runtime services, ACPI, MMIO, unusable, PAL, persistent) is kept. */
static bool efi_usable(u32 type)
{
	return type == 1 || type == 2 || type == 3 || type == 4 || type == 7;
}

/* Adds [base, base + size), joined to a kept run it touches or overlaps. */
static void keep_range(u64 base, u64 size)
{
	for (u32 i = 0; i < efi_kept.count; i++) {
		u64 b = efi_kept.range[i].base, e = b + efi_kept.range[i].size;

		if (base <= e && b <= base + size) {
			u64 lo = base < b ? base : b, hi = base + size > e ? base + size : e;

			efi_kept.range[i].base = lo;
			efi_kept.range[i].size = hi - lo;
			return;
		}
	}
	if (efi_kept.count == EFI_KEPT_MAX) {
		efi_kept.overflow = true;
		return;
	}
	efi_kept.range[efi_kept.count].base = base;
	efi_kept.range[efi_kept.count++].size = size;
}

static void keep_unusable(const u8 *map, u64 size, u64 desc_size)
{
	if (desc_size < sizeof(struct efi_memory_descriptor)) {
		efi_kept.overflow = true;  /* a map we cannot read is one we cannot trust */
		return;
	}
	for (u64 off = 0; off + desc_size <= size; off += desc_size) {
		const struct efi_memory_descriptor *d = (const void *)(map + off);
		u64 bytes = d->pages > (~0ull - d->phys_start) / EFI_PAGE_SIZE ?
			~0ull - d->phys_start : d->pages * EFI_PAGE_SIZE;

		if (!efi_usable(d->type) && bytes)
			keep_range(d->phys_start, bytes);
	}
}

bool arch_boot_reserved(u32 i, u64 *base, u64 *size)
{
	if (i >= efi_kept.count)
		return false;
	*base = efi_kept.range[i].base;
	*size = efi_kept.range[i].size;
	return true;
}

bool arch_boot_reserved_overflow(void)
{
	return efi_kept.overflow;
}

enum exit_result {
	EXIT_DONE,       /* boot services are gone: the image owns the machine */
	EXIT_NOT_TRIED,  /* failed before asking: the firmware still runs */
	EXIT_REFUSED,    /* asked and refused: only GetMemoryMap and ExitBootServices remain */
};

/*
 * ExitBootServices needs the key of the current memory map; anything the
 * firmware does in between (a timer event allocating memory) changes it, so
 * read the map again and retry.
 */
static enum exit_result exit_boot_services(struct efi_system_table *st, void *image)
{
	struct efi_boot_services *bs = st->boot_services;
	u64 size = 0, key, desc_size, cap;
	u32 desc_ver;
	void *map;

	if (bs->get_memory_map(&size, 0, &key, &desc_size, &desc_ver) != EFI_BUFFER_TOO_SMALL)
		return EXIT_NOT_TRIED;
	cap = size + MAP_SLACK_DESCRIPTORS * desc_size;
	if (bs->allocate_pool(EFI_LOADER_DATA, cap, &map) != 0)
		return EXIT_NOT_TRIED;
	for (u32 attempt = 0; attempt < EXIT_ATTEMPTS; attempt++) {
		efi_status rc;

		size = cap;
		if (bs->get_memory_map(&size, map, &key, &desc_size, &desc_ver) != 0)
			return attempt ? EXIT_REFUSED : EXIT_NOT_TRIED;
		rc = bs->exit_boot_services(image, key);
		if (rc == 0) {
			/* the map that was current when boot services ended */
			keep_unusable(map, size, desc_size);
			return EXIT_DONE;
		}
		if (rc != EFI_INVALID_PARAMETER)
			return EXIT_REFUSED;
	}
	return EXIT_REFUSED;
}

/* Returns the DTB's address with boot services left, or 0 (and says why) with them still on. */
u64 efi_main(void *image, struct efi_system_table *st, u64 image_base)
{
	/* image_size in our Image header: `bulkhead image` grows it over the VM package */
	u64 image_size = *(const u64 *)(uintptr_t)(image_base + 16);
	void *fdt = find_fdt(st);
	u32 fdt_size = fdt ? fdt_header_size(fdt) : 0;

	if (!fdt_size || fdt_size > FDT_MAX_SIZE) {
		say(st, u"Bulkhead: the firmware installed no device tree; with QEMU, "
			u"boot with -M virt,acpi=off so that EDK2 provides one\r\n");
		return 0;
	}
	say(st, u"Bulkhead: leaving UEFI boot services\r\n");
	switch (exit_boot_services(st, image)) {
	case EXIT_DONE:
		break;
	case EXIT_NOT_TRIED:
		say(st, u"Bulkhead: cannot read the UEFI memory map\r\n");
		return 0;
	case EXIT_REFUSED:
		/* The firmware's console and the way back to it are gone with a
		 * refused ExitBootServices: nothing is left to do but stop. */
		for (;;)
			__asm__ volatile("wfe");
	}
	/* the boot protocol: with the MMU off, these must already be in memory */
	arch_clean_invalidate_dcache_range((const void *)(uintptr_t)image_base, image_size);
	arch_clean_invalidate_dcache_range(fdt, fdt_size);
	return (u64)(uintptr_t)fdt;
}
