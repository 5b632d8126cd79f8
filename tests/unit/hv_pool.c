/* Bulkhead's page pool for a test group (tests/unit/hv_pool.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/page_alloc.h"
#include "hv_pool.h"

static u8 *hv_mem;
static u64 *hv_bitmap;

void hv_pool_add(u64 pages)
{
	u64 size = pages * PAGE_SIZE;

	hv_mem = aligned_alloc(PAGE_SIZE, size);
	assert_non_null(hv_mem);
	hv_bitmap = calloc(1, page_bank_bitmap_bytes(size));
	assert_non_null(hv_bitmap);
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), size, hv_bitmap), 0);
}

void hv_pool_free(void)
{
	free(hv_mem);
	free(hv_bitmap);
	hv_mem = NULL;
	hv_bitmap = NULL;
}
