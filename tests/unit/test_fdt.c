/*
 * FDT reader/writer tests. Trees are built with the writer and read back;
 * corrupt blobs are derived from good ones or assembled by hand and always
 * live in exactly-sized heap buffers so ASan flags any overread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "lib/fdt.h"

#define HDR_TOTALSIZE	4
#define HDR_OFF_STRUCT	8
#define HDR_OFF_STRINGS	12
#define HDR_OFF_RSVMAP	16
#define HDR_VERSION	20
#define HDR_LAST_COMP	24
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT	36

static u32 rd32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void wr32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static u8 *dup_blob(const void *src, size_t len)
{
	u8 *p = malloc(len);

	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

/* The reference tree used by most tests, returned in an exactly-sized buffer. */
static u8 *build_tree(int *size)
{
	static u8 buf[4096], strs[512];
	static const char *const soc_compat[] = { "acme,soc", "simple-bus" };
	static const char *const uart_compat[] = { "arm,pl011", "arm,primecell" };
	static const u32 mem_reg[] = { 0, 0x40000000, 0, 0x10000000, 0x1, 0x0, 0x0, 0x20000000 };
	static const u32 uart0_reg[] = { 0x09000000, 0x1000 };
	static const u32 uart1_reg[] = { 0x09001000, 0x1000 };
	static const u32 bad_reg[] = { 1, 2, 3, 4 };
	struct fdt_writer w;

	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_prop_string(&w, "model", "bulkhead-test");
	fdtw_begin_node(&w, "chosen");
	fdtw_prop_string(&w, "bootargs", "console=ttyAMA0");
	fdtw_prop_u64(&w, "linux,initrd-start", 0x1122334455667788ull);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "memory@40000000");
	fdtw_prop_string(&w, "device_type", "memory");
	fdtw_prop_cells(&w, "reg", mem_reg, 8);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "soc");
	fdtw_prop_u32(&w, "#address-cells", 1);
	fdtw_prop_u32(&w, "#size-cells", 1);
	fdtw_prop_strings(&w, "compatible", soc_compat, 2);
	fdtw_prop_empty(&w, "ranges");
	fdtw_begin_node(&w, "uart@9000000");
	fdtw_prop_strings(&w, "compatible", uart_compat, 2);
	fdtw_prop_cells(&w, "reg", uart0_reg, 2);
	fdtw_prop_u32(&w, "phandle", 1);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "uart@9001000");
	fdtw_prop_string(&w, "compatible", "arm,pl011");
	fdtw_prop_cells(&w, "reg", uart1_reg, 2);
	fdtw_prop_u32(&w, "linux,phandle", 2);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "cpus");
	fdtw_prop_u32(&w, "#address-cells", 1);
	fdtw_prop_u32(&w, "#size-cells", 0);
	fdtw_begin_node(&w, "cpu@0");
	fdtw_prop_cells(&w, "reg", (const u32[]){ 0 }, 1);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "cpu@1");
	fdtw_prop_cells(&w, "reg", (const u32[]){ 0x100 }, 1);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "bad-cells");
	fdtw_prop_u32(&w, "#address-cells", 3);
	fdtw_begin_node(&w, "child");
	fdtw_prop_cells(&w, "reg", bad_reg, 4);
	fdtw_prop_cells(&w, "odd", bad_reg, 3);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	*size = fdtw_finish(&w);
	assert_true(*size > 0);
	assert_false(w.overflow);
	return dup_blob(buf, *size);
}

static void open_tree(struct fdt *f, u8 **blob)
{
	int size;

	*blob = build_tree(&size);
	assert_int_equal(fdt_open(f, *blob, size), 0);
}

static void test_header(void **state)
{
	struct fdt f;
	u8 *b;
	int size;

	b = build_tree(&size);
	assert_int_equal(fdt_header_size(b), size);
	assert_int_equal(rd32(b), FDT_MAGIC);
	assert_int_equal(rd32(b + HDR_VERSION), 17);
	assert_int_equal(rd32(b + HDR_LAST_COMP), 16);
	/* Empty reservation map: one zero entry right after the header. */
	for (int i = 40; i < 56; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(fdt_open(&f, b, size), 0);
	assert_int_equal(f.total_size, size);
	assert_int_equal(fdt_open(&f, b, size + 100), 0);
	free(b);
}

static void test_navigation(void **state)
{
	struct fdt f;
	u8 *b;
	int root, c, soc, u0, u1;

	open_tree(&f, &b);
	root = fdt_root(&f);
	assert_true(root >= 0);
	assert_string_equal(fdt_node_name(&f, root), "");
	assert_int_equal(fdt_parent(&f, root), -1);
	assert_int_equal(fdt_next_sibling(&f, root), -1);

	c = fdt_first_child(&f, root);
	assert_string_equal(fdt_node_name(&f, c), "chosen");
	assert_int_equal(fdt_first_child(&f, c), -1);
	c = fdt_next_sibling(&f, c);
	assert_string_equal(fdt_node_name(&f, c), "memory@40000000");
	soc = fdt_next_sibling(&f, c);
	assert_string_equal(fdt_node_name(&f, soc), "soc");
	c = fdt_next_sibling(&f, soc);
	assert_string_equal(fdt_node_name(&f, c), "cpus");
	c = fdt_next_sibling(&f, c);
	assert_string_equal(fdt_node_name(&f, c), "bad-cells");
	assert_int_equal(fdt_next_sibling(&f, c), -1);

	u0 = fdt_first_child(&f, soc);
	u1 = fdt_next_sibling(&f, u0);
	assert_string_equal(fdt_node_name(&f, u0), "uart@9000000");
	assert_string_equal(fdt_node_name(&f, u1), "uart@9001000");
	assert_int_equal(fdt_next_sibling(&f, u1), -1);
	assert_int_equal(fdt_parent(&f, u0), soc);
	assert_int_equal(fdt_parent(&f, u1), soc);
	assert_int_equal(fdt_parent(&f, soc), root);

	assert_true(fdt_node_name_is(&f, u0, "uart"));
	assert_true(fdt_node_name_is(&f, u0, "uart@9000000"));
	assert_false(fdt_node_name_is(&f, u0, "uar"));
	assert_false(fdt_node_name_is(&f, soc, "so"));
	assert_true(fdt_node_name_is(&f, soc, "soc"));
	free(b);
}

static void test_next_node(void **state)
{
	static const char *const order[] = {
		"", "chosen", "memory@40000000", "soc", "uart@9000000",
		"uart@9001000", "cpus", "cpu@0", "cpu@1", "bad-cells", "child",
	};
	static const int depths[] = { 0, 1, 1, 1, 2, 2, 1, 2, 2, 1, 2 };
	struct fdt f;
	u8 *b;
	int n, d, i = 0, soc;

	open_tree(&f, &b);
	for (n = fdt_next_node(&f, -1, &d); n >= 0; n = fdt_next_node(&f, n, &d), i++) {
		assert_true(i < (int)ARRAY_SIZE(order));
		assert_string_equal(fdt_node_name(&f, n), order[i]);
		assert_int_equal(d, depths[i]);
	}
	assert_int_equal(i, ARRAY_SIZE(order));

	/* Relative depth 0 confines the walk to the subtree. */
	soc = fdt_find_path(&f, "/soc");
	d = 0;
	i = 0;
	for (n = fdt_next_node(&f, soc, &d); n >= 0; n = fdt_next_node(&f, n, &d))
		i++;
	assert_int_equal(i, 2);

	/* Without a depth pointer the walk runs to the end of the tree. */
	i = 0;
	for (n = fdt_next_node(&f, soc, NULL); n >= 0; n = fdt_next_node(&f, n, NULL))
		i++;
	assert_int_equal(i, 7);
	free(b);
}

static void test_props(void **state)
{
	struct fdt f;
	const void *data;
	const char *s;
	u32 len, v;
	u8 *b;
	int root, chosen, soc, u0, u1, child;

	open_tree(&f, &b);
	root = fdt_root(&f);
	chosen = fdt_find_path(&f, "/chosen");
	soc = fdt_find_path(&f, "/soc");
	u0 = fdt_find_path(&f, "/soc/uart@9000000");
	u1 = fdt_find_path(&f, "/soc/uart@9001000");
	child = fdt_find_path(&f, "/bad-cells/child");

	assert_true(fdt_prop_u32(&f, root, "#size-cells", &v));
	assert_int_equal(v, 2);
	assert_string_equal(fdt_prop_string(&f, root, "model"), "bulkhead-test");
	assert_string_equal(fdt_prop_string(&f, chosen, "bootargs"), "console=ttyAMA0");

	assert_true(fdt_get_prop(&f, chosen, "linux,initrd-start", &data, &len));
	assert_int_equal(len, 8);
	assert_true(fdt_read_cells(data, 2) == 0x1122334455667788ull);
	assert_int_equal(fdt_read_cells(data, 1), 0x11223344);
	assert_false(fdt_prop_u32(&f, chosen, "linux,initrd-start", &v));

	assert_true(fdt_get_prop(&f, soc, "ranges", &data, &len));
	assert_int_equal(len, 0);
	assert_true(fdt_get_prop(&f, soc, "ranges", NULL, NULL));
	assert_null(fdt_prop_string(&f, soc, "ranges"));

	assert_true(fdt_get_prop(&f, child, "odd", &data, &len));
	assert_int_equal(len, 12);
	assert_int_equal(fdt_read_cells((const u8 *)data + 8, 1), 3);

	/* String list: both entries match, the first is the string value. */
	assert_true(fdt_is_compatible(&f, u0, "arm,pl011"));
	assert_true(fdt_is_compatible(&f, u0, "arm,primecell"));
	assert_false(fdt_is_compatible(&f, u0, "arm,pl01"));
	assert_false(fdt_is_compatible(&f, u1, "arm,primecell"));
	assert_false(fdt_is_compatible(&f, chosen, "arm,pl011"));
	s = fdt_prop_string(&f, u0, "compatible");
	assert_string_equal(s, "arm,pl011");
	assert_true(fdt_get_prop(&f, u0, "compatible", &data, &len));
	assert_int_equal(len, sizeof("arm,pl011") + sizeof("arm,primecell"));
	assert_memory_equal(data, "arm,pl011\0arm,primecell", len);

	assert_false(fdt_get_prop(&f, root, "nope", &data, &len));
	assert_false(fdt_prop_u32(&f, root, "nope", &v));
	assert_null(fdt_prop_string(&f, root, "nope"));
	/* Properties belong to their node only, not to its children. */
	assert_false(fdt_get_prop(&f, root, "bootargs", NULL, NULL));
	free(b);
}

static void test_reg(void **state)
{
	struct fdt f;
	u64 a, s;
	u8 *b;
	int mem, u1, cpu1, child;

	open_tree(&f, &b);
	mem = fdt_find_path(&f, "/memory");
	assert_int_equal(fdt_reg_count(&f, mem), 2);
	assert_true(fdt_get_reg(&f, mem, 0, &a, &s));
	assert_true(a == 0x40000000 && s == 0x10000000);
	assert_true(fdt_get_reg(&f, mem, 1, &a, &s));
	assert_true(a == 0x100000000ull && s == 0x20000000);
	assert_false(fdt_get_reg(&f, mem, 2, &a, &s));
	assert_false(fdt_get_reg(&f, mem, -1, &a, &s));

	u1 = fdt_find_path(&f, "/soc/uart@9001000");
	assert_int_equal(fdt_reg_count(&f, u1), 1);
	assert_true(fdt_get_reg(&f, u1, 0, &a, &s));
	assert_true(a == 0x09001000 && s == 0x1000);

	cpu1 = fdt_find_path(&f, "/cpus/cpu@1");
	assert_int_equal(fdt_reg_count(&f, cpu1), 1);
	assert_true(fdt_get_reg(&f, cpu1, 0, &a, &s));
	assert_true(a == 0x100 && s == 0);

	/* #address-cells = 3 is unsupported. */
	child = fdt_find_path(&f, "/bad-cells/child");
	assert_true(child >= 0);
	assert_int_equal(fdt_reg_count(&f, child), -1);
	assert_false(fdt_get_reg(&f, child, 0, &a, &s));
	/* No reg, and no parent to take cell sizes from. */
	assert_int_equal(fdt_reg_count(&f, fdt_find_path(&f, "/chosen")), -1);
	assert_int_equal(fdt_reg_count(&f, fdt_root(&f)), -1);
	free(b);
}

static void test_reg_defaults_and_sizes(void **state)
{
	static u8 buf[1024], strs[128];
	static const u32 reg3[] = { 0, 0x1000, 0x2000 };
	static const u32 reg2[] = { 0x1000, 0x2000 };
	struct fdt_writer w;
	struct fdt f;
	u64 a, s;
	int size, n;

	/* No #cells in the parent: 2 address cells, 1 size cell. */
	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_begin_node(&w, "dev@1000");
	fdtw_prop_cells(&w, "reg", reg3, 3);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "odd");
	fdtw_prop_cells(&w, "reg", reg2, 2);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	size = fdtw_finish(&w);
	assert_true(size > 0);
	assert_int_equal(fdt_open(&f, buf, size), 0);
	n = fdt_find_path(&f, "/dev");
	assert_int_equal(fdt_reg_count(&f, n), 1);
	assert_true(fdt_get_reg(&f, n, 0, &a, &s));
	assert_true(a == 0x1000 && s == 0x2000);
	/* 8 bytes is not a whole number of 12-byte entries. */
	n = fdt_find_path(&f, "/odd");
	assert_int_equal(fdt_reg_count(&f, n), -1);
	assert_false(fdt_get_reg(&f, n, 0, &a, &s));

	/* Unaligned input is fine for the cell reader. */
	memcpy(buf + 1, (const u8[]){ 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 }, 8);
	assert_true(fdt_read_cells(buf + 1, 2) == 0xdeadbeef01020304ull);
	assert_true(fdt_read_cells(buf + 1, 3) == 0);
}

static void test_find_path(void **state)
{
	struct fdt f;
	u8 *b;
	int root, mem, soc;

	open_tree(&f, &b);
	root = fdt_root(&f);
	mem = fdt_find_path(&f, "/memory@40000000");
	soc = fdt_find_path(&f, "/soc");
	assert_int_equal(fdt_find_path(&f, "/"), root);
	assert_true(mem > root);
	assert_int_equal(fdt_find_path(&f, "/memory"), mem);
	assert_int_equal(fdt_find_path(&f, "//memory/"), mem);
	assert_int_equal(fdt_find_path(&f, "/memory@4000"), -1);
	assert_int_equal(fdt_find_path(&f, "/memory@400000000"), -1);
	assert_int_equal(fdt_find_path(&f, "/mem"), -1);
	assert_int_equal(fdt_find_path(&f, "/memory@"), -1);
	assert_string_equal(fdt_node_name(&f, fdt_find_path(&f, "/soc/uart")), "uart@9000000");
	assert_string_equal(fdt_node_name(&f, fdt_find_path(&f, "/soc/uart@9001000")),
			    "uart@9001000");
	assert_string_equal(fdt_node_name(&f, fdt_find_path(&f, "/cpus/cpu@1")), "cpu@1");
	assert_int_equal(fdt_find_path(&f, "/soc/uart@9002000"), -1);
	assert_int_equal(fdt_find_path(&f, "/uart"), -1);
	assert_int_equal(fdt_find_path(&f, "/soc/uart/x"), -1);
	assert_int_equal(fdt_find_path(&f, "soc"), -1);
	assert_int_equal(fdt_find_path(&f, ""), -1);
	assert_int_equal(fdt_find_path(&f, NULL), -1);
	assert_true(soc > 0);
	free(b);
}

static void test_find_compatible(void **state)
{
	struct fdt f;
	u8 *b;
	int n;

	open_tree(&f, &b);
	n = fdt_find_compatible(&f, -1, "arm,pl011");
	assert_string_equal(fdt_node_name(&f, n), "uart@9000000");
	n = fdt_find_compatible(&f, n, "arm,pl011");
	assert_string_equal(fdt_node_name(&f, n), "uart@9001000");
	assert_int_equal(fdt_find_compatible(&f, n, "arm,pl011"), -1);

	n = fdt_find_compatible(&f, -1, "arm,primecell");
	assert_string_equal(fdt_node_name(&f, n), "uart@9000000");
	assert_int_equal(fdt_find_compatible(&f, n, "arm,primecell"), -1);

	n = fdt_find_compatible(&f, -1, "simple-bus");
	assert_int_equal(n, fdt_find_path(&f, "/soc"));
	assert_int_equal(fdt_find_compatible(&f, -1, "nope"), -1);
	free(b);
}

static void test_phandle(void **state)
{
	struct fdt f;
	u8 *b;

	open_tree(&f, &b);
	assert_int_equal(fdt_find_phandle(&f, 1), fdt_find_path(&f, "/soc/uart@9000000"));
	assert_int_equal(fdt_find_phandle(&f, 2), fdt_find_path(&f, "/soc/uart@9001000"));
	assert_int_equal(fdt_find_phandle(&f, 3), -1);
	assert_int_equal(fdt_find_phandle(&f, 0), -1);
	assert_int_equal(fdt_find_phandle(&f, 0xffffffff), -1);
	free(b);
}

/* Counts occurrences of NUL-terminated `s` as a whole entry in a strings block. */
static int count_string(const u8 *blk, u32 len, const char *s)
{
	u32 off = 0;
	int n = 0;

	while (off < len) {
		const char *e = (const char *)blk + off;

		n += !strcmp(e, s);
		off += strlen(e) + 1;
	}
	return n;
}

static void test_writer_dedup(void **state)
{
	struct fdt f;
	u8 *b;

	open_tree(&f, &b);
	assert_int_equal(count_string(b + f.strings_off, f.strings_size, "reg"), 1);
	assert_int_equal(count_string(b + f.strings_off, f.strings_size, "compatible"), 1);
	assert_int_equal(count_string(b + f.strings_off, f.strings_size, "#address-cells"), 1);
	/* Strings follow the struct block, which ends with FDT_END. */
	assert_int_equal(f.strings_off, f.struct_off + f.struct_size);
	assert_int_equal(rd32(b + f.struct_off + f.struct_size - 4), 9);
	assert_int_equal(f.strings_off + f.strings_size, f.total_size);
	free(b);
}

/* The reference tree written into a heap buffer of exactly `cap` bytes. */
static int write_small(u32 cap, u32 strings_cap, bool *overflow)
{
	u8 *buf = cap ? malloc(cap) : NULL;
	u8 *strs = strings_cap ? malloc(strings_cap) : NULL;
	struct fdt_writer w;
	int ret;

	fdtw_init(&w, buf, cap, strs, strings_cap);
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 1);
	fdtw_begin_node(&w, "node@1");
	fdtw_prop_string(&w, "compatible", "x,y");
	fdtw_prop_u64(&w, "val", 5);
	fdtw_prop_strings(&w, "list", (const char *const[]){ "a", "bc" }, 2);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	ret = fdtw_finish(&w);
	*overflow = w.overflow;
	if (ret > 0) {
		struct fdt f;

		assert_int_equal(fdt_open(&f, buf, cap), 0);
		assert_true(fdt_is_compatible(&f, fdt_find_path(&f, "/node"), "x,y"));
	}
	free(buf);
	free(strs);
	return ret;
}

static void test_writer_overflow(void **state)
{
	bool overflow;
	int need, cap;

	need = write_small(4096, 256, &overflow);
	assert_true(need > 0);
	assert_false(overflow);
	for (cap = 0; cap < need; cap++) {
		assert_true(write_small(cap, 256, &overflow) < 0);
		assert_true(overflow);
	}
	assert_int_equal(write_small(need, 256, &overflow), need);

	/* "#address-cells\0compatible\0val\0list\0" is 35 bytes. */
	assert_true(write_small(4096, 34, &overflow) < 0);
	assert_true(overflow);
	assert_true(write_small(4096, 0, &overflow) < 0);
	assert_int_equal(write_small(4096, 35, &overflow), need);
}

static int finish_after(void (*build)(struct fdt_writer *))
{
	static u8 buf[512], strs[64];
	struct fdt_writer w;

	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	build(&w);
	return fdtw_finish(&w);
}

static void b_missing_end(struct fdt_writer *w)
{
	fdtw_begin_node(w, "");
	fdtw_begin_node(w, "a");
	fdtw_end_node(w);
}

static void b_extra_end(struct fdt_writer *w)
{
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
	fdtw_end_node(w);
}

/* The stray end would cancel out the extra begin if misuse were not sticky. */
static void b_end_then_begin(struct fdt_writer *w)
{
	fdtw_end_node(w);
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
}

static void b_prop_outside(struct fdt_writer *w)
{
	fdtw_prop_u32(w, "x", 1);
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
}

static void b_two_roots(struct fdt_writer *w)
{
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
}

static void b_empty(struct fdt_writer *w)
{
}

static void b_ok(struct fdt_writer *w)
{
	fdtw_begin_node(w, "");
	fdtw_end_node(w);
}

static void test_writer_unbalanced(void **state)
{
	assert_true(finish_after(b_ok) > 0);
	assert_true(finish_after(b_missing_end) < 0);
	assert_true(finish_after(b_extra_end) < 0);
	assert_true(finish_after(b_end_then_begin) < 0);
	assert_true(finish_after(b_prop_outside) < 0);
	assert_true(finish_after(b_two_roots) < 0);
	assert_true(finish_after(b_empty) < 0);
}

static void test_writer_finish_twice(void **state)
{
	static u8 buf[256], strs[32], copy[256];
	struct fdt_writer w;
	int a, b;

	fdtw_init(&w, buf, sizeof(buf), strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "x", 7);
	fdtw_end_node(&w);
	a = fdtw_finish(&w);
	assert_true(a > 0);
	memcpy(copy, buf, a);
	b = fdtw_finish(&w);
	assert_int_equal(a, b);
	assert_memory_equal(copy, buf, a);
}

/* --- corrupt input ------------------------------------------------------- */

/* Every accessor on every node offset it can reach must fail cleanly. */
static void poke_all(const struct fdt *f)
{
	const void *data;
	u32 len, v;
	u64 a, s;
	int n, d, guard = 0;

	for (n = fdt_next_node(f, -1, &d); n >= 0; n = fdt_next_node(f, n, &d)) {
		assert_true(++guard < 10000);
		fdt_node_name(f, n);
		fdt_node_name_is(f, n, "a");
		fdt_first_child(f, n);
		fdt_next_sibling(f, n);
		fdt_parent(f, n);
		fdt_get_prop(f, n, "reg", &data, &len);
		fdt_prop_u32(f, n, "a", &v);
		fdt_prop_string(f, n, "compatible");
		fdt_is_compatible(f, n, "x");
		fdt_reg_count(f, n);
		fdt_get_reg(f, n, 0, &a, &s);
	}
	fdt_find_path(f, "/a/b");
	fdt_find_compatible(f, -1, "x");
	fdt_find_phandle(f, 1);
}

static void test_bad_header(void **state)
{
	struct fdt f;
	u8 *good, *b;
	int size;

	good = build_tree(&size);

	b = dup_blob(good, size);
	b[0] ^= 1;
	assert_int_equal(fdt_header_size(b), 0);
	assert_true(fdt_open(&f, b, size) < 0);
	/* A failed open leaves an fdt on which every lookup finds nothing. */
	assert_int_equal(fdt_root(&f), -1);
	assert_int_equal(fdt_find_path(&f, "/"), -1);
	assert_false(fdt_get_prop(&f, 0, "x", NULL, NULL));
	poke_all(&f);
	free(b);

	assert_true(fdt_open(&f, good, size - 1) < 0);	/* totalsize > max */
	assert_true(fdt_open(&f, good, 39) < 0);	/* not even a header */

	struct { int off; u32 val; } patch[] = {
		{ HDR_TOTALSIZE, 39 },
		{ HDR_TOTALSIZE, 0xffffffff },
		{ HDR_VERSION, 15 },
		{ HDR_LAST_COMP, 18 },
		{ HDR_OFF_STRUCT, size },
		{ HDR_OFF_STRUCT, 0xfffffffc },
		{ HDR_OFF_STRUCT, 58 },		/* misaligned */
		{ HDR_SIZE_STRUCT, size },
		{ HDR_SIZE_STRUCT, 0xfffffff0 },
		{ HDR_OFF_STRINGS, size + 1 },
		{ HDR_OFF_STRINGS, 0xffffffff },
		{ HDR_SIZE_STRINGS, size },
		{ HDR_SIZE_STRINGS, 0xffffffff },
		{ HDR_OFF_RSVMAP, 0 },		/* inside the header */
		{ HDR_OFF_RSVMAP, 44 },		/* misaligned */
		{ HDR_OFF_RSVMAP, size + 8 },
		{ HDR_OFF_RSVMAP, 0xfffffff8 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(patch); i++) {
		b = dup_blob(good, size);
		wr32(b + patch[i].off, patch[i].val);
		assert_true(fdt_open(&f, b, size) < 0);
		free(b);
	}
	free(good);
}

static void wr64(u8 *p, u64 v)
{
	wr32(p, (u32)(v >> 32));
	wr32(p + 4, (u32)v);
}

/*
 * The reference tree with `n` reservation entries (address, size pairs)
 * before the writer's empty map, which becomes their terminator.
 */
static u8 *tree_with_memreserve(const u64 *pairs, u32 n, int *size)
{
	int good_size;
	u8 *good = build_tree(&good_size);
	u32 extra = 16 * n;
	u8 *b = malloc(good_size + extra);

	assert_non_null(b);
	memcpy(b, good, 40);
	for (u32 i = 0; i < n; i++) {
		wr64(b + 40 + 16 * i, pairs[2 * i]);
		wr64(b + 48 + 16 * i, pairs[2 * i + 1]);
	}
	memcpy(b + 40 + extra, good + 40, good_size - 40);
	wr32(b + HDR_TOTALSIZE, good_size + extra);
	wr32(b + HDR_OFF_STRUCT, rd32(good + HDR_OFF_STRUCT) + extra);
	wr32(b + HDR_OFF_STRINGS, rd32(good + HDR_OFF_STRINGS) + extra);
	free(good);
	*size = good_size + extra;
	return b;
}

static void test_memreserve(void **state)
{
	static const u64 pairs[] = { 0x48000000, 0x1000000, 0x100000000ull, 0x2000 };
	struct fdt f;
	u64 a, s;
	int size;
	u8 *b = tree_with_memreserve(pairs, 2, &size);

	assert_int_equal(fdt_open(&f, b, size), 0);
	assert_true(fdt_memreserve(&f, 0, &a, &s));
	assert_int_equal(a, 0x48000000);
	assert_int_equal(s, 0x1000000);
	assert_true(fdt_memreserve(&f, 1, &a, &s));
	assert_int_equal(a, 0x100000000ull);
	assert_int_equal(s, 0x2000);
	assert_false(fdt_memreserve(&f, 2, &a, &s));	/* the terminator */
	assert_false(fdt_memreserve(&f, 0xffffffff, &a, &s));
	/* the tree itself still reads */
	assert_true(fdt_find_path(&f, "/memory") >= 0);
	free(b);

	/* an entry that would run off the end of the blob is not read */
	b = tree_with_memreserve(pairs, 2, &size);
	wr32(b + HDR_OFF_RSVMAP, (size - 8) & ~7);
	assert_int_equal(fdt_open(&f, b, size), 0);
	assert_false(fdt_memreserve(&f, 0, &a, &s));
	free(b);
}

static void test_v16(void **state)
{
	struct fdt f;
	u8 *b;
	int size;

	/* v16 has no size_dt_struct: the struct block runs to totalsize. */
	b = build_tree(&size);
	wr32(b + HDR_VERSION, 16);
	wr32(b + HDR_SIZE_STRUCT, 0);
	assert_int_equal(fdt_open(&f, b, size), 0);
	assert_true(fdt_find_path(&f, "/soc/uart@9001000") > 0);
	assert_int_equal(fdt_find_phandle(&f, 2), fdt_find_path(&f, "/soc/uart@9001000"));
	free(b);
}

/* Finds the token of `name` in `node` through the public accessor. */
static u8 *prop_token(const struct fdt *f, int node, const char *name)
{
	const void *data;
	u32 len;

	assert_true(fdt_get_prop(f, node, name, &data, &len));
	return (u8 *)data - 12;
}

static void test_bad_prop_len(void **state)
{
	struct fdt f;
	u8 *b, *tok;
	int mem;

	open_tree(&f, &b);
	mem = fdt_find_path(&f, "/memory");
	tok = prop_token(&f, mem, "reg");
	wr32(tok + 4, 0x7ffffff0);
	assert_false(fdt_get_prop(&f, mem, "reg", NULL, NULL));
	assert_int_equal(fdt_reg_count(&f, mem), -1);
	/* The walk cannot step over the broken property either. */
	assert_int_equal(fdt_find_path(&f, "/soc"), -1);
	assert_int_equal(fdt_next_sibling(&f, mem), -1);
	poke_all(&f);

	/* Exactly one byte too long for the struct block. */
	wr32(tok + 4, f.struct_off + f.struct_size - (u32)(tok + 12 - b) + 1);
	assert_false(fdt_get_prop(&f, mem, "reg", NULL, NULL));
	poke_all(&f);
	free(b);
}

static void test_bad_name_offset(void **state)
{
	struct fdt f;
	u8 *b, *tok;
	int chosen;

	open_tree(&f, &b);
	chosen = fdt_find_path(&f, "/chosen");
	tok = prop_token(&f, chosen, "bootargs");
	wr32(tok + 8, f.strings_size);
	assert_null(fdt_prop_string(&f, chosen, "bootargs"));
	assert_false(fdt_get_prop(&f, chosen, "linux,initrd-start", NULL, NULL));
	poke_all(&f);
	wr32(tok + 8, 0xffffffff);
	assert_null(fdt_prop_string(&f, chosen, "bootargs"));
	poke_all(&f);
	free(b);

	/* The strings block is cut inside the last name: no terminator in bounds. */
	open_tree(&f, &b);
	wr32(b + HDR_SIZE_STRINGS, f.strings_size - 1);
	assert_int_equal(fdt_open(&f, b, f.total_size), 0);
	poke_all(&f);
	free(b);
}

static void test_bad_string_prop(void **state)
{
	struct fdt f;
	u8 *b, *tok;
	int chosen, u0;

	open_tree(&f, &b);
	chosen = fdt_find_path(&f, "/chosen");
	tok = prop_token(&f, chosen, "bootargs");
	/* Drop the terminator from the property's length. */
	wr32(tok + 4, rd32(tok + 4) - 1);
	assert_null(fdt_prop_string(&f, chosen, "bootargs"));
	assert_true(fdt_get_prop(&f, chosen, "linux,initrd-start", NULL, NULL));

	u0 = fdt_find_path(&f, "/soc/uart@9000000");
	tok = prop_token(&f, u0, "compatible");
	wr32(tok + 4, rd32(tok + 4) - 1);
	assert_true(fdt_is_compatible(&f, u0, "arm,pl011"));
	assert_false(fdt_is_compatible(&f, u0, "arm,primecell"));
	free(b);
}

/* Hand-built blobs: header + empty reserve map + struct words + strings. */
struct raw {
	u8 s[8192];
	u32 len;
};

static void push32(struct raw *r, u32 v)
{
	assert_true(r->len + 4 <= sizeof(r->s));
	wr32(r->s + r->len, v);
	r->len += 4;
}

static void push_name(struct raw *r, const char *name)
{
	size_t n = strlen(name) + 1;

	assert_true(r->len + n + 3 <= sizeof(r->s));
	memset(r->s + r->len, 0, (n + 3) & ~3u);
	memcpy(r->s + r->len, name, n);
	r->len += (n + 3) & ~3u;
}

static u8 *raw_blob(const struct raw *r, const char *strs, u32 strs_len, u32 *size)
{
	u32 total = 56 + r->len + strs_len;
	u8 *b = calloc(1, total);

	assert_non_null(b);
	wr32(b, FDT_MAGIC);
	wr32(b + HDR_TOTALSIZE, total);
	wr32(b + HDR_OFF_STRUCT, 56);
	wr32(b + HDR_OFF_STRINGS, 56 + r->len);
	wr32(b + HDR_OFF_RSVMAP, 40);	/* bytes 40..55 stay zero: an empty map */
	wr32(b + HDR_VERSION, 17);
	wr32(b + HDR_LAST_COMP, 16);
	wr32(b + HDR_SIZE_STRINGS, strs_len);
	wr32(b + HDR_SIZE_STRUCT, r->len);
	memcpy(b + 56, r->s, r->len);
	memcpy(b + 56 + r->len, strs, strs_len);
	*size = total;
	return b;
}

static void test_unterminated_name(void **state)
{
	struct raw r = { .len = 0 };
	struct fdt f;
	u32 size;
	u8 *b;

	push32(&r, 1);
	memcpy(r.s + r.len, "abcdefgh", 8);	/* fills the block, no NUL */
	r.len += 8;
	b = raw_blob(&r, "", 0, &size);
	assert_int_equal(fdt_open(&f, b, size), 0);
	assert_int_equal(fdt_root(&f), -1);
	assert_null(fdt_node_name(&f, 0));
	assert_int_equal(fdt_find_path(&f, "/"), -1);
	poke_all(&f);
	free(b);
}

static void test_endless_nesting(void **state)
{
	struct raw r = { .len = 0 };
	struct fdt f;
	u32 size;
	u8 *b;
	int n, d, count = 0, last = -1;

	push32(&r, 1);
	push_name(&r, "");
	for (int i = 0; i < 300; i++) {
		push32(&r, 1);
		push_name(&r, "a");
		push32(&r, 3);
		push32(&r, 4);
		push32(&r, 0);		/* compatible = "x" */
		push_name(&r, "x");
	}
	b = raw_blob(&r, "compatible", 11, &size);
	assert_int_equal(fdt_open(&f, b, size), 0);
	for (n = fdt_next_node(&f, -1, &d); n >= 0; n = fdt_next_node(&f, n, &d)) {
		last = n;
		count++;
	}
	assert_true(count > 1 && count <= 65);
	/* The deepest reachable node still has a parent; one level more does not. */
	assert_true(fdt_parent(&f, last) > 0);
	assert_true(fdt_first_child(&f, last) > last);
	assert_int_equal(fdt_parent(&f, fdt_first_child(&f, last)), -1);
	assert_int_equal(fdt_next_sibling(&f, fdt_root(&f)), -1);
	assert_true(fdt_find_path(&f, "/a/a/a") > 0);
	assert_true(fdt_find_compatible(&f, -1, "x") > 0);
	poke_all(&f);
	free(b);
}

static void test_truncated_tree(void **state)
{
	struct raw r = { .len = 0 };
	struct fdt f;
	u32 size;
	u8 *b;
	int root, a;

	/* No END_NODE / FDT_END: the struct block just stops. */
	push32(&r, 1);
	push_name(&r, "");
	push32(&r, 1);
	push_name(&r, "a");
	b = raw_blob(&r, "", 0, &size);
	assert_int_equal(fdt_open(&f, b, size), 0);
	root = fdt_root(&f);
	a = fdt_find_path(&f, "/a");
	assert_true(root >= 0 && a > root);
	assert_int_equal(fdt_parent(&f, a), root);
	assert_int_equal(fdt_next_sibling(&f, a), -1);
	assert_int_equal(fdt_next_sibling(&f, root), -1);
	assert_false(fdt_get_prop(&f, a, "x", NULL, NULL));
	poke_all(&f);
	free(b);
}

static void test_unknown_token_and_bad_offsets(void **state)
{
	struct raw r = { .len = 0 };
	struct fdt f;
	u32 size;
	u8 *b;
	int root;

	push32(&r, 4);		/* NOPs before the root are allowed */
	push32(&r, 1);
	push_name(&r, "");
	push32(&r, 3);
	push32(&r, 4);
	push32(&r, 0);
	push32(&r, 1);		/* property data that looks like BEGIN_NODE */
	push32(&r, 0x1234);	/* unknown token */
	push32(&r, 2);
	push32(&r, 9);
	b = raw_blob(&r, "p", 2, &size);
	assert_int_equal(fdt_open(&f, b, size), 0);
	root = fdt_root(&f);
	assert_int_equal(root, 4);
	assert_true(fdt_get_prop(&f, root, "p", NULL, NULL));
	assert_int_equal(fdt_first_child(&f, root), -1);
	assert_int_equal(fdt_next_sibling(&f, root), -1);
	assert_int_equal(fdt_next_node(&f, root, NULL), -1);

	/* Offsets that are not nodes. */
	int bad[] = { -5, 1, 2, 0, 20, (int)r.len, (int)r.len - 4, 0x7ffffffc };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int d = 0;

		fdt_node_name(&f, bad[i]);
		fdt_first_child(&f, bad[i]);
		fdt_next_sibling(&f, bad[i]);
		fdt_next_node(&f, bad[i], &d);
		fdt_parent(&f, bad[i]);
		fdt_get_prop(&f, bad[i], "p", NULL, NULL);
		fdt_get_reg(&f, bad[i], 0, NULL, NULL);
		fdt_find_compatible(&f, bad[i], "x");
	}
	assert_null(fdt_node_name(&f, 0));
	assert_int_equal(fdt_parent(&f, 20), -1);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_navigation),
		cmocka_unit_test(test_next_node),
		cmocka_unit_test(test_props),
		cmocka_unit_test(test_reg),
		cmocka_unit_test(test_reg_defaults_and_sizes),
		cmocka_unit_test(test_find_path),
		cmocka_unit_test(test_find_compatible),
		cmocka_unit_test(test_phandle),
		cmocka_unit_test(test_writer_dedup),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_unbalanced),
		cmocka_unit_test(test_writer_finish_twice),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_memreserve),
		cmocka_unit_test(test_v16),
		cmocka_unit_test(test_bad_prop_len),
		cmocka_unit_test(test_bad_name_offset),
		cmocka_unit_test(test_bad_string_prop),
		cmocka_unit_test(test_unterminated_name),
		cmocka_unit_test(test_endless_nesting),
		cmocka_unit_test(test_truncated_tree),
		cmocka_unit_test(test_unknown_token_and_bad_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
