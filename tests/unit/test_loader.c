/*
 * Loading a VM: kernel, ramdisk and the generated device tree, with the fake
 * arch. The VM's RAM is a host buffer (its "physical address" is the pointer,
 * as under the hypervisor's identity map) and the package is built in memory
 * with a fake Linux arm64 Image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/firmware.h"
#include "core/guest_layout.h"
#include "core/loader.h"
#include "core/page_alloc.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "fake_arch.h"
#include "fdt_check.h"
#include "lib/fdt.h"

#define RAM_BASE 0x40000000ull
/* The standard board's UART and GPIO controller (devices/pl011.c, pl061.c),
 * with the fake arch's one-cell interrupt specifiers. */
#define UART_BASE 0x09000000ull
#define UART_SIZE 0x1000
#define UART_LINE 1
#define GPIO_BASE 0x09030000ull
#define GPIO_SIZE 0x1000
#define GPIO_LINE 7
#define POWER_KEY_PIN 3
#define HV_PAGES 16

static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(64 * MiB)];
static u8 *ram;
static u8 *hv_mem;
static u64 hv_bitmap[1];
static struct package pkg;
static u8 *pkg_buf;
static u64 pkg_size;
static struct boot_layout b;
static char why[160];

/* One entry of the package being built. */
struct item {
	u32 kind, vm;
	const char *name;
	const u8 *data;
	u64 size;
};

static int setup(void **state)
{
	fake_arch_reset();
	memset(&vm, 0, sizeof(vm));
	memset(&b, 0, sizeof(b));
	memset(&pkg, 0, sizeof(pkg));
	memset(why, 0, sizeof(why));
	hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
	assert_non_null(hv_mem);
	memset(hv_mem, 0x77, HV_PAGES * PAGE_SIZE);
	memset(&hv_pages, 0, sizeof(hv_pages));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE,
					    hv_bitmap), 0);
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	free(pkg_buf);
	free(hv_mem);
	ram = pkg_buf = hv_mem = NULL;
	return 0;
}

/* The VM's devices, from its board table, as the VM's creation attaches them. */
static void give_board(void)
{
	const char *err = NULL;

	dev_arena_release(&vm.dev_mem);  /* a second VM in the same test */
	memset(&vm.bus, 0, sizeof(vm.bus));
	vm.console_dev = vm.power_dev = NULL;
	assert_int_equal(vboard_build(&vm, &err), 0);
	assert_int_equal(vboard_attach(&vm, &err), 0);
}

/* RAM for the VM: `size` bytes of host memory at guest-physical `base`. */
static void give_ram(u64 base, u64 size, u32 nvcpus, const char *bootargs)
{
	ram = aligned_alloc(2 * MiB, align_up(size, 2 * MiB));
	assert_non_null(ram);
	memset(ram, 0, size);
	strcpy(vm.cfg.name, "linux");
	vm.cfg.ram_base = base;
	vm.cfg.memory_mib = size / MiB;
	vm.cfg.vcpus = nvcpus;
	strcpy(vm.cfg.extra, bootargs);
	guest_ram_init_run(&vm.ram, base, size, ram_chunks, ptr_to_pa(ram));
	vm.nvcpus = nvcpus;
	give_board();
}

static void make_package(const struct item *items, u32 n)
{
	u64 off = sizeof(struct pkg_header) + n * sizeof(struct pkg_entry);
	struct pkg_header *h;
	struct pkg_entry *e;
	const char *err = NULL;

	pkg_size = off;
	for (u32 i = 0; i < n; i++)
		pkg_size += align_up(items[i].size, 8);
	pkg_buf = malloc(pkg_size);
	assert_non_null(pkg_buf);
	memset(pkg_buf, 0, pkg_size);
	h = (struct pkg_header *)pkg_buf;
	e = (struct pkg_entry *)(h + 1);
	memcpy(h->magic, PKG_MAGIC, 8);
	h->version = 1;
	h->count = n;
	h->total_size = pkg_size;
	for (u32 i = 0; i < n; i++) {
		e[i].kind = items[i].kind;
		e[i].vm = items[i].vm;
		e[i].offset = off;
		e[i].size = items[i].size;
		strcpy(e[i].name, items[i].name);
		memcpy(pkg_buf + off, items[i].data, items[i].size);
		off += align_up(items[i].size, 8);
	}
	assert_int_equal(package_open(&pkg, pkg_buf, pkg_size, &err), 0);
	vm.pkg = &pkg;
	vm.pkg_index = 0;
}

/* A Linux arm64 Image of `size` bytes: header, then a recognisable body. */
static u8 *make_image(u64 size, u64 text_offset, u64 image_size)
{
	u8 *k = malloc(size);

	assert_non_null(k);
	for (u64 i = 0; i < size; i++)
		k[i] = (u8)(i * 7 + 3);
	if (size >= 64) {
		memset(k, 0, 64);
		k[0] = 0x4d; /* "MZ" of the EFI stub, then a branch: not looked at */
		k[1] = 0x5a;
		for (int i = 0; i < 8; i++) {
			k[8 + i] = (u8)(text_offset >> (8 * i));
			k[16 + i] = (u8)(image_size >> (8 * i));
		}
		k[24] = 0x0a; /* flags: little-endian, 4K pages, anywhere */
		memcpy(k + 56, "ARM\x64", 4);
	}
	return k;
}

static u8 *make_bytes(u64 size, u8 seed)
{
	u8 *p = malloc(size ? size : 1);

	assert_non_null(p);
	for (u64 i = 0; i < size; i++)
		p[i] = (u8)(i * 13 + seed);
	return p;
}

static u8 *at(u64 ipa)
{
	assert_true(ipa >= vm.cfg.ram_base && ipa < vm.cfg.ram_base + vm.ram.size);
	return ram + (ipa - vm.cfg.ram_base);
}

static int load(void)
{
	u64 free_before = hv_pages.free_pages;
	int ret;

	memset(why, 0, sizeof(why));
	ret = loader_load(&vm, &b, why, sizeof(why));
	/* the device tree's scratch page always goes back */
	assert_int_equal(hv_pages.free_pages, free_before);
	return ret;
}

static void expect_failure(const char *msg)
{
	if (load() == 0)
		fail_msg("loaded, but should fail with '%s'", msg);
	if (!strstr(why, msg))
		fail_msg("failed with '%s', want '%s'", why, msg);
	assert_non_null(memchr(why, '\0', sizeof(why)));
}

static void open_dtb(struct fdt *f)
{
	assert_int_equal(fdt_open(f, at(ipa_addr(b.dtb)), b.dtb_size), 0);
	assert_int_equal(fdt_header_size(at(ipa_addr(b.dtb))), b.dtb_size);
}

static u64 prop_u64(const struct fdt *f, int node, const char *name)
{
	const void *data;
	u32 len;

	assert_true(fdt_get_prop(f, node, name, &data, &len));
	assert_int_equal(len, 8);
	return fdt_read_cells(data, 2);
}

/* The PL061 and, wired to its pin 3, the gpio-keys power button. */
static void check_power_key(const struct fdt *f)
{
	const void *data;
	u64 addr, size;
	u32 len, phandle;
	int gpio, keys, key;

	gpio = fdt_find_compatible(f, -1, "arm,pl061");
	assert_true(gpio >= 0);
	assert_true(fdt_is_compatible(f, gpio, "arm,primecell"));
	assert_true(fdt_get_reg(f, gpio, 0, &addr, &size));
	assert_int_equal(addr, GPIO_BASE);
	assert_int_equal(size, GPIO_SIZE);
	assert_true(fdt_get_prop(f, gpio, "interrupts", &data, &len));
	assert_int_equal(len, 4);
	assert_int_equal(fdt_read_cells(data, 1), GPIO_LINE);
	assert_true(fdt_get_prop(f, gpio, "gpio-controller", &data, &len));
	assert_true(fdt_prop_u32(f, gpio, "#gpio-cells", &len));
	assert_int_equal(len, 2);
	assert_string_equal(fdt_prop_string(f, gpio, "clock-names"), "apb_pclk");
	assert_true(fdt_prop_u32(f, gpio, "phandle", &phandle));

	keys = fdt_find_compatible(f, -1, "gpio-keys");
	assert_true(keys >= 0);
	key = fdt_first_child(f, keys);
	assert_true(key >= 0);
	assert_true(fdt_prop_u32(f, key, "linux,code", &len));
	assert_int_equal(len, 116);  /* KEY_POWER */
	assert_true(fdt_get_prop(f, key, "gpios", &data, &len));
	assert_int_equal(len, 12);
	assert_int_equal(fdt_read_cells(data, 1), phandle);
	assert_int_equal(fdt_read_cells((const u8 *)data + 4, 1), POWER_KEY_PIN);
	assert_int_equal(fdt_read_cells((const u8 *)data + 8, 1), 0);  /* active high */
}

/* Every interrupt in the tree routes to the interrupt controller the arch
 * names (the arch's own nodes are tested with the arch). */
static void check_interrupt_parent(const struct fdt *f)
{
	u32 parent;

	assert_true(fdt_prop_u32(f, fdt_root(f), "interrupt-parent", &parent));
	assert_int_equal(parent, VDT_PHANDLE_INTC);
}

static void check_dt(u64 ram_base, u64 ram_size, u32 nvcpus, const char *bootargs)
{
	const u32 uart_irq[1] = { UART_LINE };
	struct fdt f;
	const char *s;
	u64 addr, size;
	u32 v, count = 0;
	int n, cpus, child;

	open_dtb(&f);
	assert_true(fdt_prop_u32(&f, fdt_root(&f), "#address-cells", &v));
	assert_int_equal(v, 2);
	assert_true(fdt_prop_u32(&f, fdt_root(&f), "#size-cells", &v));
	assert_int_equal(v, 2);

	n = fdt_find_path(&f, "/memory");
	assert_true(n >= 0);
	assert_string_equal(fdt_prop_string(&f, n, "device_type"), "memory");
	assert_int_equal(fdt_reg_count(&f, n), 1);
	assert_true(fdt_get_reg(&f, n, 0, &addr, &size));
	assert_int_equal(addr, ram_base);
	assert_int_equal(size, ram_size);

	cpus = fdt_find_path(&f, "/cpus");
	assert_true(cpus >= 0);
	/* the arch's nodes come from it: here, the fake's one node per vCPU */
	for (child = fdt_first_child(&f, cpus); child >= 0; child = fdt_next_sibling(&f, child)) {
		assert_true(fdt_node_name_is(&f, child, "cpu"));
		assert_true(fdt_prop_u32(&f, child, "reg", &v));
		assert_int_equal(v, count);
		count++;
	}
	assert_int_equal(count, nvcpus);

	n = fdt_find_path(&f, "/chosen");
	assert_true(n >= 0);
	assert_string_equal(fdt_prop_string(&f, n, "bootargs"), bootargs);
	s = fdt_prop_string(&f, n, "stdout-path");
	assert_non_null(s);
	assert_string_equal(s, "/pl011@9000000");
	n = fdt_find_path(&f, s);
	assert_true(n >= 0);
	assert_true(fdt_is_compatible(&f, n, "arm,pl011"));
	assert_true(fdt_get_reg(&f, n, 0, &addr, &size));
	assert_int_equal(addr, UART_BASE);
	assert_int_equal(size, UART_SIZE);
	check_cells(&f, n, "interrupts", uart_irq, 1);
	check_power_key(&f);
	check_interrupt_parent(&f);
}

static void check_initrd_props(bool present)
{
	struct fdt f;
	const void *data;
	u32 len;
	int chosen;

	open_dtb(&f);
	chosen = fdt_find_path(&f, "/chosen");
	assert_true(chosen >= 0);
	if (!present) {
		assert_false(fdt_get_prop(&f, chosen, "linux,initrd-start", &data, &len));
		assert_false(fdt_get_prop(&f, chosen, "linux,initrd-end", &data, &len));
		return;
	}
	assert_int_equal(prop_u64(&f, chosen, "linux,initrd-start"), ipa_addr(b.initrd_start));
	assert_int_equal(prop_u64(&f, chosen, "linux,initrd-end"), ipa_addr(b.initrd_end));
}

static void test_linux_with_ramdisk(void **state)
{
	const u64 ram_size = 16 * MiB, ksize = 96 * KiB, rdsize = 300 * KiB + 123;
	u8 *kernel = make_image(ksize, 0x80000, 256 * KiB);
	u8 *rd = make_bytes(rdsize, 5);
	const char *args = "console=ttyAMA0 root=/dev/ram0 rdinit=/init";
	struct item items[] = {
		{ PKG_CONFIG, 0, "linux.cfg", (const u8 *)"name = \"linux\"\n", 15 },
		{ PKG_KERNEL, 0, "Image", kernel, ksize },
		{ PKG_RAMDISK, 0, "rootfs.cpio", rd, rdsize },
	};

	give_ram(RAM_BASE, ram_size, 3, args);
	make_package(items, ARRAY_SIZE(items));
	assert_int_equal(load(), 0);

	/* kernel at the 2 MiB-aligned base plus text_offset; image_size counts */
	assert_string_equal(b.format, "Linux Image");
	assert_int_equal(ipa_addr(b.kernel_start), RAM_BASE + 0x80000);
	assert_int_equal(ipa_addr(b.entry), ipa_addr(b.kernel_start));
	assert_int_equal(ipa_addr(b.kernel_end), ipa_addr(b.kernel_start) + 256 * KiB);
	assert_memory_equal(at(ipa_addr(b.kernel_start)), kernel, ksize);
	for (u64 i = 0; i < 0x80000; i++)
		assert_int_equal(ram[i], 0);

	/* the DTB in the top 2 MiB, the initrd page-aligned right below it */
	assert_int_equal(ipa_addr(b.dtb), RAM_BASE + ram_size - GUEST_DTB_MAX);
	assert_true(b.dtb_size > 0 && b.dtb_size <= GUEST_DTB_MAX);
	assert_int_equal(ipa_addr(b.initrd_end) - ipa_addr(b.initrd_start), rdsize);
	assert_true(is_aligned(ipa_addr(b.initrd_start), PAGE_SIZE));
	assert_true(ipa_addr(b.initrd_end) <= ipa_addr(b.dtb));
	assert_true(ipa_addr(b.dtb) - ipa_addr(b.initrd_end) < PAGE_SIZE);
	assert_true(ipa_addr(b.initrd_start) >= ipa_addr(b.kernel_end));
	assert_memory_equal(at(ipa_addr(b.initrd_start)), rd, rdsize);

	check_dt(RAM_BASE, ram_size, 3, args);
	check_initrd_props(true);

	/* everything written was cleaned for a guest starting with caches off */
	assert_true(fake_dcache_cleaned(at(ipa_addr(b.kernel_start)), ksize));
	assert_true(fake_dcache_cleaned(at(ipa_addr(b.initrd_start)), rdsize));
	assert_true(fake_dcache_cleaned(at(ipa_addr(b.dtb)), b.dtb_size));
	assert_int_equal(fake.icache_invalidates, 1);
	free(kernel);
	free(rd);
}

static void test_linux_without_ramdisk(void **state)
{
	const u64 ksize = 4 * KiB;
	u8 *kernel = make_image(ksize, 0x80000, 64 * KiB);
	struct item items[] = { { PKG_KERNEL, 0, "Image", kernel, ksize } };

	give_ram(RAM_BASE, 64 * MiB, 1, "");
	make_package(items, 1);
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.initrd_start), 0);
	assert_int_equal(ipa_addr(b.initrd_end), 0);
	assert_int_equal(ipa_addr(b.dtb), RAM_BASE + 62 * MiB);
	check_dt(RAM_BASE, 64 * MiB, 1, "");
	check_initrd_props(false);
	free(kernel);
}

static void test_text_offset(void **state)
{
	const u64 ksize = 8 * KiB;
	u8 *k1 = make_image(ksize, 0x1ff000, 8 * KiB);
	u8 *k2 = make_image(ksize, 0x12345, 0); /* pre-3.17: text_offset means nothing */
	struct item items[] = {
		{ PKG_KERNEL, 0, "Image", k1, ksize },
		{ PKG_KERNEL, 1, "old-Image", k2, ksize },
	};

	give_ram(RAM_BASE, 8 * MiB, 2, "x");
	make_package(items, 2);
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.kernel_start), RAM_BASE + 0x1ff000);
	assert_memory_equal(at(ipa_addr(b.kernel_start)), k1, ksize);

	memset(ram, 0, vm.ram.size);
	vm.pkg_index = 1;
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.kernel_start), RAM_BASE + 0x80000);
	assert_int_equal(ipa_addr(b.kernel_end), ipa_addr(b.kernel_start) + ksize);
	assert_memory_equal(at(ipa_addr(b.kernel_start)), k2, ksize);
	check_dt(RAM_BASE, 8 * MiB, 2, "x");
	free(k1);
	free(k2);
}

static void test_per_vm_blobs(void **state)
{
	u8 *k0 = make_image(4 * KiB, 0, 4 * KiB);
	u8 *k1 = make_image(12 * KiB, 0, 12 * KiB);
	u8 *rd0 = make_bytes(5000, 1);
	struct item items[] = {
		{ PKG_CONFIG, 0, "a.cfg", (const u8 *)"a", 1 },
		{ PKG_KERNEL, 0, "a-Image", k0, 4 * KiB },
		{ PKG_RAMDISK, 0, "a.cpio", rd0, 5000 },
		{ PKG_CONFIG, 1, "b.cfg", (const u8 *)"b", 1 },
		{ PKG_KERNEL, 1, "b-Image", k1, 12 * KiB },
	};

	give_ram(0x80000000, 4 * MiB, 1, "vm b");
	make_package(items, ARRAY_SIZE(items));
	vm.pkg_index = 1;
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.kernel_start), 0x80000000);
	assert_memory_equal(at(ipa_addr(b.kernel_start)), k1, 12 * KiB);
	/* VM 0's ramdisk is not VM 1's */
	assert_int_equal(ipa_addr(b.initrd_start), 0);
	assert_int_equal(ipa_addr(b.dtb), 0x80200000);
	check_dt(0x80000000, 4 * MiB, 1, "vm b");
	check_initrd_props(false);
	free(k0);
	free(k1);
	free(rd0);
}

/* A file that is neither an Image nor an ELF is refused unless the config
 * says kernel_format = "raw"; an empty one is refused either way. */
static void test_unknown_format_is_refused(void **state)
{
	u8 *k = make_image(4 * KiB, 0x80000, 4 * KiB);
	struct item items[] = {
		{ PKG_KERNEL, 0, "notes.txt", k, 4 * KiB },
		{ PKG_KERNEL, 1, "empty", k, 0 },
	};

	k[59] = 0x65; /* "ARMe": not an Image */
	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, 2);
	expect_failure("kernel 'notes.txt': neither a Linux arm64 Image nor an AArch64 ELF file "
		       "(a raw binary needs kernel_format = \"raw\")");
	vm.pkg_index = 1;
	vm.cfg.kernel_raw = true;
	expect_failure("kernel 'empty': the file is empty");
	free(k);
}

/* An Image with an EFI stub whose PE sections end past the file was cut short. */
static void test_truncated_pe_image_is_refused(void **state)
{
	u8 *k = make_image(4 * KiB, 0x80000, 64 * KiB);
	struct item items[] = { { PKG_KERNEL, 0, "Image", k, 4 * KiB } };
	u8 *sec = k + 0x100 + 24;

	k[0] = 'M';
	k[1] = 'Z';
	k[0x3c] = 0x00;
	k[0x3d] = 0x01;          /* PE header at 0x100 */
	memset(k + 0x100, 0, 24 + 40);
	memcpy(k + 0x100, "PE\0\0", 4);
	k[0x100 + 6] = 1;        /* one section, no optional header */
	k[0x100 + 20] = 0;
	sec[20] = 0x00;
	sec[21] = 0x02;          /* raw data at 0x200 ... */
	sec[16] = 0x00;
	sec[17] = 0x20;          /* ... for 8 KiB: past the 4 KiB file */
	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, 1);
	expect_failure("kernel 'Image': truncated (shorter than its PE header says)");
	sec[17] = 0x0e;          /* 0xe00 bytes: ends where the file does */
	free(pkg_buf);
	make_package(items, 1);
	if (load())
		fail_msg("%s", why);
	assert_string_equal(b.format, "Linux Image");
	free(k);
}

/* kernel_format = "raw": a raw binary at base + 0x80000. */
static void test_raw_binary(void **state)
{
	u8 *k = make_image(4 * KiB, 0x80000, 4 * KiB);
	u8 *big = make_bytes(16 * MiB, 0x5a);
	struct item items[] = {
		{ PKG_KERNEL, 0, "rtos.bin", k, 4 * KiB },
		{ PKG_KERNEL, 1, "big.bin", big, 16 * MiB },
	};

	k[59] = 0x65; /* "ARMe": not an Image */
	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, 2);
	vm.cfg.kernel_raw = true;
	assert_int_equal(load(), 0);
	assert_string_equal(b.format, "raw binary");
	assert_int_equal(ipa_addr(b.entry), RAM_BASE + 0x80000);
	assert_memory_equal(ram + 0x80000, k, 4 * KiB);
	vm.pkg_index = 1;
	expect_failure("kernel 'big.bin' (16384 KiB) does not fit in 16 MiB of RAM");
	free(k);
	free(big);
}

/* A minimal ELF64 AArch64 executable with one PT_LOAD segment. */
static u8 *make_elf(u64 paddr, u64 entry, u64 filesz, u64 memsz, u16 machine)
{
	u8 *e = calloc(1, 4096);

	memcpy(e, "\x7f" "ELF", 4);
	e[4] = 2; /* 64-bit */
	e[5] = 1; /* little-endian */
	e[16] = 2; /* ET_EXEC */
	memcpy(e + 18, &machine, 2);
	memcpy(e + 24, &entry, 8);
	*(u64 *)(e + 32) = 64;   /* e_phoff */
	*(u16 *)(e + 54) = 56;   /* e_phentsize */
	*(u16 *)(e + 56) = 1;    /* e_phnum */
	*(u32 *)(e + 64) = 1;    /* PT_LOAD */
	*(u64 *)(e + 64 + 8) = 1024;  /* p_offset */
	*(u64 *)(e + 64 + 24) = paddr;
	*(u64 *)(e + 64 + 32) = filesz;
	*(u64 *)(e + 64 + 40) = memsz;
	memset(e + 1024, 0xab, filesz);
	return e;
}

static void test_elf_kernel(void **state)
{
	u8 *good = make_elf(RAM_BASE + 0x100000, RAM_BASE + 0x100040, 512, 8192, 183);
	u8 *outside = make_elf(RAM_BASE - 0x1000, RAM_BASE, 512, 512, 183);
	u8 *bad_entry = make_elf(RAM_BASE + 0x100000, 0x1000, 512, 512, 183);
	u8 *x86 = make_elf(RAM_BASE + 0x100000, RAM_BASE + 0x100000, 512, 512, 62);
	struct item items[] = {
		{ PKG_KERNEL, 0, "rtos.elf", good, 4096 },
		{ PKG_KERNEL, 1, "low.elf", outside, 4096 },
		{ PKG_KERNEL, 2, "entry.elf", bad_entry, 4096 },
		{ PKG_KERNEL, 3, "x86.elf", x86, 4096 },
	};

	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, 4);
	assert_int_equal(load(), 0);
	assert_string_equal(b.format, "ELF");
	assert_int_equal(ipa_addr(b.entry), RAM_BASE + 0x100040);
	assert_int_equal(ram[0x100000], 0xab);
	assert_int_equal(ram[0x100000 + 511], 0xab);
	assert_int_equal(ram[0x100000 + 512], 0);  /* memsz beyond filesz stays zero */
	vm.pkg_index = 1;
	expect_failure("kernel 'low.elf': segment at 0x3ffff000+0x200 lies outside the VM's RAM");
	vm.pkg_index = 2;
	expect_failure("kernel 'entry.elf': entry point 0x1000 is outside the VM's RAM");
	vm.pkg_index = 3;
	expect_failure("kernel 'x86.elf': not an AArch64 ELF file");
	free(good);
	free(outside);
	free(bad_entry);
	free(x86);
}

static void test_no_kernel(void **state)
{
	u8 *rd = make_bytes(100, 0);
	struct item items[] = {
		{ PKG_CONFIG, 0, "a.cfg", (const u8 *)"a", 1 },
		{ PKG_RAMDISK, 0, "rd", rd, 100 },
	};

	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, 2);
	expect_failure("holds no kernel");
	free(rd);
}

static void test_kernel_too_big(void **state)
{
	u8 *k1 = make_image(4 * KiB, 0x80000, 32 * MiB);      /* image_size > RAM */
	u8 *k2 = make_image(4 * KiB, 2 * MiB, 4 * KiB);       /* text_offset too large */
	u8 *k3 = make_image(4 * KiB, 0x80000, ~0ull - 4096); /* end wraps */
	u8 *k4 = make_image(4 * KiB, 0x80000, 14 * MiB);      /* no room for the DTB */
	struct item items[] = {
		{ PKG_KERNEL, 0, "big", k1, 4 * KiB },
		{ PKG_KERNEL, 1, "offset", k2, 4 * KiB },
		{ PKG_KERNEL, 2, "wrap", k3, 4 * KiB },
		{ PKG_KERNEL, 3, "crowded", k4, 4 * KiB },
	};

	give_ram(RAM_BASE, 16 * MiB, 1, "");
	make_package(items, ARRAY_SIZE(items));
	expect_failure("kernel 'big' (32768 KiB) does not fit in 16 MiB of RAM");
	vm.pkg_index = 1;
	expect_failure("kernel 'offset' (4 KiB) does not fit");
	vm.pkg_index = 2;
	expect_failure("kernel 'wrap'");
	vm.pkg_index = 3;
	expect_failure("16 MiB of RAM leaves no room for the device tree above the kernel");
	free(k1);
	free(k2);
	free(k3);
	free(k4);
}

static void test_kernel_fills_ram_exactly(void **state)
{
	/* kernel ending exactly where the DTB starts is fine */
	u8 *k = make_image(4 * KiB, 0x80000, 6 * MiB - 0x80000);
	struct item items[] = { { PKG_KERNEL, 0, "Image", k, 4 * KiB } };

	give_ram(RAM_BASE, 8 * MiB, 1, "");
	make_package(items, 1);
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.kernel_end), ipa_addr(b.dtb));
	free(k);
}

static void test_ramdisk_too_big(void **state)
{
	const u64 big = 1536 * KiB + 64 * KiB;
	u8 *k = make_image(4 * KiB, 0x80000, 64 * KiB);
	u8 *rd = make_bytes(big, 9);
	struct item items[] = {
		{ PKG_KERNEL, 0, "Image", k, 4 * KiB },
		{ PKG_RAMDISK, 0, "huge.cpio", rd, big },
	};

	/* 4 MiB: DTB at +2 MiB, kernel up to +0x90000 */
	give_ram(RAM_BASE, 4 * MiB, 1, "");
	make_package(items, 2);
	expect_failure("ramdisk 'huge.cpio' (1600 KiB) does not fit in RAM beside the kernel");
	free(k);
	free(rd);
}

static void test_ramdisk_fits_exactly(void **state)
{
	/* the initrd may end at the DTB and start at the kernel's end */
	const u64 rdsize = 2 * MiB - 0x90000;
	u8 *k = make_image(4 * KiB, 0x80000, 64 * KiB);
	u8 *rd = make_bytes(rdsize, 9);
	struct item items[] = {
		{ PKG_KERNEL, 0, "Image", k, 4 * KiB },
		{ PKG_RAMDISK, 0, "rd", rd, rdsize },
	};

	give_ram(RAM_BASE, 4 * MiB, 1, "");
	make_package(items, 2);
	assert_int_equal(load(), 0);
	assert_int_equal(ipa_addr(b.initrd_start), ipa_addr(b.kernel_end));
	assert_int_equal(ipa_addr(b.initrd_end), ipa_addr(b.dtb));
	assert_memory_equal(at(ipa_addr(b.initrd_start)), rd, rdsize);
	check_initrd_props(true);
	free(k);
	free(rd);
}

static void test_ramdisk_larger_than_dtb_address(void **state)
{
	/* RAM at 0: the ramdisk is larger than the DTB's address itself */
	u8 *k = make_image(4 * KiB, 0, 4 * KiB);
	u8 *rd = make_bytes(3 * MiB, 1);
	struct item items[] = {
		{ PKG_KERNEL, 0, "Image", k, 4 * KiB },
		{ PKG_RAMDISK, 0, "rd", rd, 3 * MiB },
	};

	give_ram(0, 4 * MiB, 1, "");
	make_package(items, 2);
	expect_failure("ramdisk 'rd' (3072 KiB) does not fit");
	free(k);
	free(rd);
}

static void test_ram_smaller_than_dtb_area(void **state)
{
	/* less than 2 MiB of RAM: the DTB can never fit, wherever RAM is */
	u8 *k = make_image(4 * KiB, 0, 4 * KiB);
	struct item items[] = { { PKG_KERNEL, 0, "Image", k, 4 * KiB } };

	give_ram(0, 1 * MiB, 1, "");
	make_package(items, 1);
	expect_failure("1 MiB of RAM leaves no room for the device tree");
	free(ram);
	ram = NULL;
	give_ram(RAM_BASE, 1 * MiB, 1, "");
	expect_failure("1 MiB of RAM leaves no room for the device tree");
	free(k);
}

static void test_no_scratch_page(void **state)
{
	u8 *k = make_image(4 * KiB, 0x80000, 4 * KiB);
	struct item items[] = { { PKG_KERNEL, 0, "Image", k, 4 * KiB } };

	give_ram(RAM_BASE, 8 * MiB, 1, "");
	make_package(items, 1);
	assert_int_not_equal(pa_addr(page_alloc(&hv_pages, hv_pages.free_pages, PAGE_SIZE)), 0);
	expect_failure("the generated device tree does not fit in 2048 KiB");
	free(k);
}

/* --- firmware VMs --------------------------------------------------------- */

#define FW_BANK (4 * MiB)
static u64 fw_bitmap[FW_BANK / PAGE_SIZE / 64];
static u8 *fw_bank;

/* A VM with `firmware` and 4 MiB more in the pool for its flash. */
static void give_firmware_vm(const u8 *image, u64 size)
{
	struct item items[] = {
		{ PKG_CONFIG, 0, "u.cfg", (const u8 *)"x", 1 },
		{ PKG_FIRMWARE, 0, "u-boot.bin", image, size },
	};

	fw_bank = aligned_alloc(2 * MiB, FW_BANK);
	assert_non_null(fw_bank);
	memset(fw_bank, 0x55, FW_BANK);  /* an old owner's data */
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(fw_bank), FW_BANK, fw_bitmap), 0);
	give_ram(RAM_BASE, 16 * MiB, 2, "");
	strcpy(vm.cfg.firmware, "u-boot.bin");
	make_package(items, ARRAY_SIZE(items));
	assert_int_equal(arch_stage2_init(&vm.s2, 1), 0);
}

static void drop_firmware_vm(void)
{
	firmware_release(&vm);
	arch_stage2_destroy(&vm.s2);
	free(fw_bank);
	fw_bank = NULL;
}

static void test_firmware_boot(void **state)
{
	const u64 size = 5000;
	u8 *image = make_bytes(size, 9);
	u64 free_before, mapped = 0;
	const u8 *fw;

	give_firmware_vm(image, size);
	free_before = hv_pages.free_pages;
	assert_int_equal(firmware_map(&vm, why, sizeof(why)), 0);
	assert_int_equal(firmware_bytes(&vm), 8 * KiB + 2 * MiB);
	assert_int_equal(hv_pages.free_pages, free_before - firmware_bytes(&vm) / PAGE_SIZE);

	/* the image's pages at IPA 0, then the blank block to the end of the window;
	 * everything read-only */
	assert_int_equal(fake.s2_map[0].ipa, GUEST_FLASH_BASE);
	assert_int_equal(fake.s2_map[0].pa, pa_addr(vm.fw_pa));
	assert_int_equal(fake.s2_map[0].size, 8 * KiB);
	for (u32 i = 0; i < fake.s2_maps && i < FAKE_LOG_MAX; i++) {
		assert_int_equal(fake.s2_map[i].mem, S2_ROM);
		assert_int_equal(fake.s2_map[i].ipa, GUEST_FLASH_BASE + mapped);
		if (i > 0)
			assert_int_equal(fake.s2_map[i].pa, pa_addr(vm.fw_blank_pa));
		mapped += fake.s2_map[i].size;
	}
	assert_int_equal(vm.s2.mapped, GUEST_FLASH_SIZE);
	for (u64 i = 0; i < 2 * MiB; i++)
		assert_int_equal(((const u8 *)pa_to_ptr(vm.fw_blank_pa))[i], 0);

	assert_int_equal(load(), 0);
	assert_string_equal(b.format, "firmware");
	assert_int_equal(ipa_addr(b.entry), GUEST_FLASH_BASE);
	fw = pa_to_ptr(vm.fw_pa);
	assert_memory_equal(fw, image, size);
	for (u64 i = size; i < 8 * KiB; i++)
		assert_int_equal(fw[i], 0);
	assert_true(fake_dcache_cleaned(fw, size));
	/* the device tree at the start of RAM, as virt firmware expects */
	assert_int_equal(ipa_addr(b.dtb), RAM_BASE);
	check_dt(RAM_BASE, 16 * MiB, 2, "");
	check_initrd_props(false);

	/* a restart loads it again into the same pages */
	assert_int_equal(load(), 0);
	assert_memory_equal(fw, image, size);

	firmware_release(&vm);
	assert_int_equal(hv_pages.free_pages, free_before);
	assert_int_equal(firmware_bytes(&vm), 0);
	assert_int_equal(fake.scrub[fake.scrubs - 1].size, 2 * MiB);
	assert_int_equal(fake.scrub[fake.scrubs - 2].size, 8 * KiB);
	drop_firmware_vm();
	free(image);
}

static void test_firmware_refused(void **state)
{
	u8 *image = make_bytes(64, 1);

	give_firmware_vm(image, 0);
	expect_failure("firmware 'u-boot.bin' is 0 bytes; it must be 1 byte to 64 MiB");
	assert_int_equal(firmware_map(&vm, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is 0 bytes"));
	vm.pkg_index = 1;
	assert_int_equal(firmware_map(&vm, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "holds no firmware"));
	expect_failure("holds no firmware");
	assert_int_equal(fake.s2_maps, 0);
	drop_firmware_vm();
	free(image);
}

static void test_firmware_no_memory(void **state)
{
	u8 *image = make_bytes(64, 1);
	u64 free_before;
	paddr_t hog;

	give_firmware_vm(image, 64);
	hog = page_alloc(&hv_pages, FW_BANK / PAGE_SIZE, 2 * MiB);
	assert_int_not_equal(pa_addr(hog), 0);
	free_before = hv_pages.free_pages;
	assert_int_equal(firmware_map(&vm, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not enough free memory for firmware 'u-boot.bin'"));
	firmware_release(&vm);
	assert_int_equal(hv_pages.free_pages, free_before);
	page_free(&hv_pages, hog, FW_BANK / PAGE_SIZE);

	/* stage-2 tables run out part way: release still gives everything back */
	free_before = hv_pages.free_pages;
	fake.fail_stage2_map_after = 3;
	assert_int_equal(firmware_map(&vm, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "stage-2 tables"));
	firmware_release(&vm);
	assert_int_equal(hv_pages.free_pages, free_before);
	drop_firmware_vm();
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_with_ramdisk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_without_ramdisk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_vm_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_format_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_pe_image_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_fills_ram_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ramdisk_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ramdisk_fits_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ramdisk_larger_than_dtb_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_smaller_than_dtb_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_scratch_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_boot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_no_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
