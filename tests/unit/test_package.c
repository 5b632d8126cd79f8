/*
 * VM package reader. Packages are built in exactly-sized heap buffers so that
 * ASan flags any read past what package_open was told is loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/package.h"

#define MAX_ENTRIES 8

struct blob_spec {
	u32 kind, vm;
	const char *name;
	const char *data;
};

/* A package under construction: the header, the table, then the data. */
static struct {
	u8 *buf;
	u64 size;
	struct pkg_header *hdr;
	struct pkg_entry *e;
} p;

static struct package pkg;
static const char *why;
static u8 *copy; /* what package_open last looked at */

static void build(const struct blob_spec *specs, u32 n)
{
	u64 off = sizeof(struct pkg_header) + n * sizeof(struct pkg_entry);
	u64 total = off;

	for (u32 i = 0; i < n; i++)
		total += strlen(specs[i].data);
	free(p.buf);
	p.buf = malloc(total ? total : 1); /* malloc's alignment suits the header */
	assert_non_null(p.buf);
	memset(p.buf, 0, total);
	p.size = total;
	p.hdr = (struct pkg_header *)p.buf;
	p.e = (struct pkg_entry *)(p.hdr + 1);
	memcpy(p.hdr->magic, PKG_MAGIC, 8);
	p.hdr->version = 1;
	p.hdr->count = n;
	p.hdr->total_size = total;
	for (u32 i = 0; i < n; i++) {
		u64 len = strlen(specs[i].data);

		p.e[i].kind = specs[i].kind;
		p.e[i].vm = specs[i].vm;
		p.e[i].offset = off;
		p.e[i].size = len;
		strncpy(p.e[i].name, specs[i].name, PKG_NAME_MAX);
		memcpy(p.buf + off, specs[i].data, len);
		off += len;
	}
}

static int setup(void **state)
{
	memset(&p, 0, sizeof(p));
	memset(&pkg, 0, sizeof(pkg));
	why = NULL;
	return 0;
}

static int teardown(void **state)
{
	free(p.buf);
	free(copy);
	p.buf = NULL;
	copy = NULL;
	return 0;
}

/* Opens from an exactly-sized copy of the first `avail` bytes. */
static int open_avail(u64 avail)
{
	int ret;

	free(copy);
	copy = malloc(avail ? avail : 1);
	assert_non_null(copy);
	memcpy(copy, p.buf, avail);
	why = NULL;
	ret = package_open(&pkg, copy, avail, &why);
	if (ret == 0) {
		/* the test goes on with the copy */
		free(p.buf);
		p.buf = copy;
		p.hdr = (struct pkg_header *)p.buf;
		p.e = (struct pkg_entry *)(p.hdr + 1);
		copy = NULL;
	}
	return ret;
}

static int open_all(void)
{
	return open_avail(p.size);
}

static void expect_rejected(const char *msg)
{
	assert_int_equal(open_all(), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, msg));
}

static const struct blob_spec two_vms[] = {
	{ PKG_CONFIG, 0, "a.cfg", "name = \"a\"\n" },
	{ PKG_KERNEL, 0, "Image", "KERNEL-A" },
	{ PKG_RAMDISK, 0, "initrd.cpio", "RAMDISK" },
	{ PKG_CONFIG, 1, "b.cfg", "name = \"b\"\n" },
	{ PKG_KERNEL, 1, "rtos.bin", "KB" },
};

static void expect_blob(u32 vm, enum pkg_kind kind, const char *name, const char *data)
{
	struct pkg_blob b;

	assert_true(package_find(&pkg, vm, kind, &b));
	assert_string_equal(b.name, name);
	assert_int_equal(b.size, strlen(data));
	assert_memory_equal(b.data, data, b.size);
	assert_true(b.data >= p.buf && b.data + b.size <= p.buf + p.size);
}

static void test_valid(void **state)
{
	struct pkg_blob b;

	build(two_vms, ARRAY_SIZE(two_vms));
	assert_int_equal(open_all(), 0);
	assert_ptr_equal(pkg.hdr, p.buf);
	assert_ptr_equal(pkg.entries, p.buf + sizeof(struct pkg_header));
	assert_int_equal(pkg.size, p.size);
	assert_int_equal(package_vm_count(&pkg), 2);
	expect_blob(0, PKG_CONFIG, "a.cfg", "name = \"a\"\n");
	expect_blob(0, PKG_KERNEL, "Image", "KERNEL-A");
	expect_blob(0, PKG_RAMDISK, "initrd.cpio", "RAMDISK");
	expect_blob(1, PKG_CONFIG, "b.cfg", "name = \"b\"\n");
	expect_blob(1, PKG_KERNEL, "rtos.bin", "KB");
	assert_false(package_find(&pkg, 1, PKG_RAMDISK, &b));
	assert_false(package_find(&pkg, 2, PKG_CONFIG, &b));
	assert_false(package_find(&pkg, 0, (enum pkg_kind)0, &b));
	assert_false(package_find(&pkg, 0xffffffff, PKG_KERNEL, &b));
}

static void test_valid_more_loaded(void **state)
{
	/* more bytes loaded than the package holds: fine, size is the package's */
	u8 *big;

	build(two_vms, 2);
	big = malloc(p.size + 64);
	assert_non_null(big);
	memset(big, 0xcc, p.size + 64);
	memcpy(big, p.buf, p.size);
	assert_int_equal(package_open(&pkg, big, p.size + 64, &why), 0);
	assert_int_equal(pkg.size, p.size);
	free(big);
}

static void test_empty(void **state)
{
	struct pkg_blob b;

	build(NULL, 0);
	assert_int_equal(open_all(), 0);
	assert_int_equal(package_vm_count(&pkg), 0);
	assert_false(package_find(&pkg, 0, PKG_CONFIG, &b));
}

static void test_edge_entries(void **state)
{
	static const struct blob_spec specs[] = {
		{ PKG_CONFIG, 0, "c", "x" },
		{ PKG_RAMDISK, 0, "empty", "" },
	};
	struct pkg_blob b;
	const char name47[] = "0123456789012345678901234567890123456789012345x";

	build(specs, 2);
	/* a zero-size entry right at the end, and a name of PKG_NAME_MAX-1 */
	assert_int_equal(p.e[1].offset, p.size);
	memcpy(p.e[0].name, name47, sizeof(name47));
	assert_int_equal(open_all(), 0);
	assert_true(package_find(&pkg, 0, PKG_RAMDISK, &b));
	assert_int_equal(b.size, 0);
	assert_ptr_equal(b.data, p.buf + p.size);
	assert_true(package_find(&pkg, 0, PKG_CONFIG, &b));
	assert_string_equal(b.name, name47);
	/* the data may start right after the table */
	assert_int_equal(p.e[0].offset, sizeof(struct pkg_header) + 2 * sizeof(struct pkg_entry));
}

static void test_first_match_wins(void **state)
{
	static const struct blob_spec specs[] = {
		{ PKG_KERNEL, 0, "first", "1" },
		{ PKG_KERNEL, 0, "second", "22" },
	};

	build(specs, 2);
	assert_int_equal(open_all(), 0);
	expect_blob(0, PKG_KERNEL, "first", "1");
	assert_int_equal(package_vm_count(&pkg), 0);
}

static void test_too_small(void **state)
{
	build(two_vms, ARRAY_SIZE(two_vms));
	for (u64 avail = 0; avail < sizeof(struct pkg_header); avail++) {
		assert_int_equal(open_avail(avail), -1);
		assert_non_null(strstr(why, "no VM package"));
	}
	/* a header but not the whole package */
	for (u64 avail = sizeof(struct pkg_header); avail < p.size; avail += 7) {
		assert_int_equal(open_avail(avail), -1);
		assert_non_null(strstr(why, "truncated"));
	}
	assert_int_equal(open_avail(p.size - 1), -1);
	assert_int_equal(open_avail(p.size), 0);
}

static void test_bad_magic(void **state)
{
	build(two_vms, ARRAY_SIZE(two_vms));
	p.hdr->magic[7] = '2';
	expect_rejected("no VM package");
	memcpy(p.hdr->magic, "bhpkg001", 8);
	expect_rejected("no VM package");
	memset(p.hdr->magic, 0, 8);
	expect_rejected("no VM package");
}

static void test_bad_version(void **state)
{
	static const u32 versions[] = { 0, 2, 0x01000000, 0xffffffff };

	build(two_vms, ARRAY_SIZE(two_vms));
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		p.hdr->version = versions[i];
		expect_rejected("unknown version");
	}
}

static void test_total_size(void **state)
{
	build(two_vms, ARRAY_SIZE(two_vms));
	p.hdr->total_size = p.size + 1;
	expect_rejected("truncated");
	p.hdr->total_size = ~0ull;
	expect_rejected("truncated");
	/* smaller than the header and table */
	p.hdr->total_size = sizeof(struct pkg_header);
	expect_rejected("truncated");
	p.hdr->total_size = 0;
	expect_rejected("truncated");
	/* smaller than the data: the last entry then lies outside */
	p.hdr->total_size = p.size - 1;
	expect_rejected("outside");
}

static void test_count_overflow(void **state)
{
	static const u32 counts[] = { 6, 100, 0x10000000, 0x38e38e39, 0x80000000, 0xffffffff };

	build(two_vms, ARRAY_SIZE(two_vms));
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		p.hdr->count = counts[i];
		expect_rejected("truncated");
	}
	/* fewer entries than there are is fine: the rest is data */
	p.hdr->count = 2;
	assert_int_equal(open_all(), 0);
	assert_int_equal(package_vm_count(&pkg), 1);
}

static void test_entry_outside(void **state)
{
	u64 table_end = sizeof(struct pkg_header) + ARRAY_SIZE(two_vms) * sizeof(struct pkg_entry);
	struct {
		u64 offset, size;
	} bad[] = {
		{ 0, 4 },                       /* over the header */
		{ table_end - 1, 1 },           /* over the table */
		{ sizeof(struct pkg_header), 8 },
		{ 0, 0 },
		{ 0, 0 },                       /* filled in below: past the end */
		{ 0, 0 },                       /* ends one past the end */
		{ 0, 0 },                       /* offset + size wraps */
		{ ~0ull, 0 },
		{ ~0ull, ~0ull },
	};

	build(two_vms, ARRAY_SIZE(two_vms));
	bad[4].offset = p.size + 1;
	bad[5].offset = p.size - 3;
	bad[5].size = 4;
	bad[6].offset = table_end;
	bad[6].size = ~0ull - table_end + 2;
	for (u32 which = 0; which < ARRAY_SIZE(two_vms); which++) {
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			struct pkg_entry saved = p.e[which];

			p.e[which].offset = bad[i].offset;
			p.e[which].size = bad[i].size;
			expect_rejected("outside");
			p.e[which] = saved;
		}
		/* a size too large by one */
		p.e[which].size = p.size - p.e[which].offset + 1;
		expect_rejected("outside");
		build(two_vms, ARRAY_SIZE(two_vms));
	}
	/* the whole data area as one blob is fine */
	p.e[0].offset = table_end;
	p.e[0].size = p.size - table_end;
	assert_int_equal(open_all(), 0);
}

static void test_unterminated_name(void **state)
{
	build(two_vms, ARRAY_SIZE(two_vms));
	memset(p.e[3].name, 'n', PKG_NAME_MAX);
	expect_rejected("outside");
	build(two_vms, ARRAY_SIZE(two_vms));
	memset(p.e[4].name, 'n', PKG_NAME_MAX - 1);
	assert_int_equal(open_all(), 0);
	expect_blob(1, PKG_KERNEL, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "KB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_more_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_match_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unterminated_name, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
