/* Assertions on a device tree read back with lib/fdt.h, shared by the unit tests. */
#ifndef BULKHEAD_TESTS_FDT_CHECK_H
#define BULKHEAD_TESTS_FDT_CHECK_H

#include "lib/fdt.h"

/* Property `name` of `node` holds exactly the `n` cells `want` (include after cmocka.h). */
static inline void check_cells(const struct fdt *f, int node, const char *name, const u32 *want,
			       u32 n)
{
	const void *data;
	u32 len;

	if (!fdt_get_prop(f, node, name, &data, &len))
		fail_msg("no property '%s'", name);
	assert_int_equal(len, n * 4);
	for (u32 i = 0; i < n; i++)
		assert_int_equal(fdt_read_cells((const u8 *)data + i * 4, 1), want[i]);
}

#endif
