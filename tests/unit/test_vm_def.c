/*
 * Checking a VM definition read from a pool disk (storage/vm_def.c): the
 * package header, entries and config. Packages are built in exactly-sized
 * heap buffers so that ASan flags any read past what the check was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/vm_def.h"

static const char good_cfg[] = "name = \"pvm\"\nmemory = 32\nkernel = \"k.bin\"\n";
static const char kernel_bytes[] = "KERNELKERNELKERNEL";

static u8 *buf;
static u64 size;
static struct vm_def_head head;
static const char *why;
static char text[200];
static struct vm_config cfg;

/* A package of a config and a kernel, as bulkhead's build_package lays it out. */
static void build(const char *config)
{
	u64 table_end = sizeof(struct pkg_header) + 2 * sizeof(struct pkg_entry);
	u64 clen = strlen(config), klen = sizeof(kernel_bytes);
	struct pkg_header *h;
	struct pkg_entry *e;

	free(buf);
	size = table_end + clen + klen;
	buf = calloc(1, size);
	h = (struct pkg_header *)buf;
	memcpy(h->magic, PKG_MAGIC, 8);
	h->version = 1;
	h->count = 2;
	h->total_size = size;
	e = (struct pkg_entry *)(h + 1);
	e[0] = (struct pkg_entry){ .kind = PKG_CONFIG, .offset = table_end, .size = clen };
	strcpy(e[0].name, "pvm.cfg");
	e[1] = (struct pkg_entry){ .kind = PKG_KERNEL, .offset = table_end + clen, .size = klen };
	strcpy(e[1].name, "k.bin");
	memcpy(buf + table_end, config, clen);
	memcpy(buf + table_end + clen, kernel_bytes, klen);
}

static struct pkg_header *hdr(void) { return (struct pkg_header *)buf; }
static struct pkg_entry *entry(u32 i) { return (struct pkg_entry *)(hdr() + 1) + i; }

static int check(void)
{
	return vm_def_check_head(buf, size, size, &head, &why);
}

static int check_cfg(void)
{
	return vm_def_check_config(&head, (const char *)buf + head.cfg_offset, head.cfg_size, "pvm",
				   &cfg, text, sizeof(text));
}

static int setup(void **state)
{
	(void)state;
	build(good_cfg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(buf);
	buf = NULL;
	return 0;
}

static void good_definition(void **state)
{
	(void)state;
	assert_int_equal(check(), 0);
	assert_int_equal(head.total, size);
	assert_true(head.has[PKG_CONFIG] && head.has[PKG_KERNEL] && !head.has[PKG_RAMDISK]);
	assert_string_equal(head.cfg_file, "pvm.cfg");
	assert_int_equal(check_cfg(), 0);
	assert_string_equal(cfg.name, "pvm");
	assert_int_equal(cfg.maxmem_mib, 32);
}

static void truncated_anywhere_in_the_head(void **state)
{
	u64 table_end = sizeof(struct pkg_header) + 2 * sizeof(struct pkg_entry);

	(void)state;
	for (u64 avail = 0; avail < table_end; avail++) {
		u8 *cut = malloc(avail ? avail : 1);

		memcpy(cut, buf, avail);
		assert_int_equal(vm_def_check_head(cut, avail, size, &head, &why), -1);
		free(cut);
	}
}

static void bad_header_fields(void **state)
{
	(void)state;
	hdr()->magic[0] = 'X';
	assert_int_equal(check(), -1);
	hdr()->magic[0] = 'B';
	hdr()->version = 2;
	assert_int_equal(check(), -1);
	hdr()->version = 1;
	hdr()->count = 0;
	assert_int_equal(check(), -1);
	hdr()->count = VM_DEF_MAX_ENTRIES + 1;
	assert_int_equal(check(), -1);
	hdr()->count = 0xffffffff;  /* the table size must not wrap */
	assert_int_equal(check(), -1);
	hdr()->count = 2;
	assert_int_equal(check(), 0);
}

static void package_bigger_than_partition(void **state)
{
	(void)state;
	assert_int_equal(vm_def_check_head(buf, size, size - 1, &head, &why), -1);
	assert_string_equal(why, "the package is bigger than its partition");
	hdr()->total_size = 16;  /* smaller than its own table */
	assert_int_equal(check(), -1);
}

static void bad_offsets(void **state)
{
	u64 table_end = sizeof(struct pkg_header) + 2 * sizeof(struct pkg_entry);

	(void)state;
	entry(1)->offset = table_end - 1;  /* inside the table */
	assert_int_equal(check(), -1);
	entry(1)->offset = size + 1;
	assert_int_equal(check(), -1);
	entry(1)->offset = size - 4;
	entry(1)->size = 5;
	assert_int_equal(check(), -1);
	entry(1)->offset = table_end + 1;
	entry(1)->size = ~0ull;  /* offset + size wraps */
	assert_int_equal(check(), -1);
	assert_string_equal(why, "an entry lies outside the package");
}

static void bad_entries(void **state)
{
	(void)state;
	entry(1)->vm = 1;
	assert_int_equal(check(), -1);
	entry(1)->vm = 0;
	entry(1)->kind = 9;
	assert_int_equal(check(), -1);
	entry(1)->kind = PKG_CONFIG;  /* two configs */
	assert_int_equal(check(), -1);
	entry(1)->kind = PKG_RAMDISK;  /* no kernel and no firmware */
	assert_int_equal(check(), -1);
	entry(1)->kind = PKG_KERNEL;
	memset(entry(1)->name, 'x', PKG_NAME_MAX);
	assert_int_equal(check(), -1);
	entry(1)->name[PKG_NAME_MAX - 1] = '\0';
	entry(0)->kind = PKG_FIRMWARE;  /* no config */
	assert_int_equal(check(), -1);
	entry(0)->kind = PKG_CONFIG;
	entry(0)->size = 0;
	assert_int_equal(check(), -1);
}

static void config_too_big(void **state)
{
	char *big = malloc(VM_DEF_CONFIG_MAX + 2);

	(void)state;
	memset(big, '#', VM_DEF_CONFIG_MAX + 1);
	big[VM_DEF_CONFIG_MAX + 1] = '\0';
	build(big);
	assert_int_equal(check(), -1);
	free(big);
}

static void bad_config_names_file_line_key(void **state)
{
	(void)state;
	build("name = \"pvm\"\nbogus = 1\nkernel = \"k.bin\"\n");
	assert_int_equal(check(), 0);
	assert_int_equal(check_cfg(), -1);
	assert_non_null(strstr(text, "pvm.cfg:2: bogus"));
}

static void config_must_match_partition_and_package(void **state)
{
	(void)state;
	build("name = \"other\"\nmemory = 32\nkernel = \"k.bin\"\n");
	assert_int_equal(check(), 0);
	assert_int_equal(check_cfg(), -1);
	assert_non_null(strstr(text, "name"));
	build("name = \"pvm\"\nmemory = 32\nkernel = \"k.bin\"\nramdisk = \"r.img\"\n");
	assert_int_equal(check(), 0);
	assert_int_equal(check_cfg(), -1);
	assert_non_null(strstr(text, "ramdisk"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_anywhere_in_the_head, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_header_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(package_bigger_than_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(config_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_config_names_file_line_key, setup, teardown),
		cmocka_unit_test_setup_teardown(config_must_match_partition_and_package, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
