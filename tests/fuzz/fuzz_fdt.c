/*
 * libFuzzer target for the DTB reader: the input is opened as a blob and
 * every accessor is run over every node the walk reaches, plus a few node
 * offsets the walk does not vouch for. The input is copied into an
 * exactly-sized buffer so ASan sees any read past its end.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "lib/fdt.h"

static volatile u64 sink;

static void poke_node(const struct fdt *f, int n)
{
	const char *s;
	const void *data;
	u32 len, v;
	u64 a, sz;
	int i, count;

	s = fdt_node_name(f, n);
	if (s)
		sink += strlen(s);
	sink += fdt_node_name_is(f, n, "memory");
	sink += fdt_first_child(f, n);
	sink += fdt_next_sibling(f, n);
	sink += fdt_parent(f, n);
	if (fdt_get_prop(f, n, "reg", &data, &len) && len >= 8)
		sink += fdt_read_cells(data, 2);
	if (fdt_prop_u32(f, n, "phandle", &v))
		sink += fdt_find_phandle(f, v);
	s = fdt_prop_string(f, n, "compatible");
	if (s) {
		sink += strlen(s);
		sink += fdt_is_compatible(f, n, s);
	}
	sink += fdt_is_compatible(f, n, "arm,pl011");
	count = fdt_reg_count(f, n);
	for (i = -1; i <= count && i < 8; i++)
		if (fdt_get_reg(f, n, i, &a, &sz))
			sink += a + sz;
}

static void poke_tree(const struct fdt *f)
{
	static const char *const paths[] = {
		"/", "/chosen", "/memory", "/cpus/cpu@0", "/soc/uart", "//a//b/",
		"/a@1/b", "relative",
	};
	int n, d, subdepth;
	size_t i;
	u64 a, sz;

	for (n = fdt_next_node(f, -1, &d); n >= 0; n = fdt_next_node(f, n, &d)) {
		poke_node(f, n);
		subdepth = 0;
		sink += fdt_next_node(f, n, &subdepth);
	}
	for (n = fdt_next_node(f, -1, NULL); n >= 0; n = fdt_next_node(f, n, NULL))
		sink += n;
	for (n = fdt_find_compatible(f, -1, "arm,pl011"); n >= 0;
	     n = fdt_find_compatible(f, n, "arm,pl011"))
		sink += n;
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		sink += fdt_find_path(f, paths[i]);
	sink += fdt_find_phandle(f, 1);
	for (u32 r = 0; fdt_memreserve(f, r, &a, &sz); r++)
		sink += a + sz;
	/* Arbitrary offsets, including ones inside property data. */
	for (n = -4; n < 64; n += 4)
		poke_node(f, n);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fdt f;
	u8 *copy;

	if (size > UINT32_MAX)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size >= 8)
		sink += fdt_header_size(copy);
	/* Run the walk even when open fails: a failed fdt must stay harmless. */
	fdt_open(&f, copy, size);
	poke_tree(&f);
	free(copy);
	return 0;
}
