/*
 * Reading the board from the device tree: the memory the firmware reserves
 * (/memreserve/ and /reserved-memory) next to the RAM banks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"

#define HDR_TOTALSIZE	4
#define HDR_OFF_STRUCT	8
#define HDR_OFF_STRINGS	12
#define RSVMAP_OFF	40	/* where the writer puts its empty map */

struct region {
	u64 base, size;
	const char *status; /* NULL: no status property */
	bool no_map;
};

static void wr32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void reg_cells(u32 *cells, u64 base, u64 size)
{
	cells[0] = (u32)(base >> 32);
	cells[1] = (u32)base;
	cells[2] = (u32)(size >> 32);
	cells[3] = (u32)size;
}

static void write_reserved_memory(struct fdt_writer *w, const struct region *regs, u32 n)
{
	fdtw_begin_node(w, "reserved-memory");
	fdtw_prop_u32(w, "#address-cells", 2);
	fdtw_prop_u32(w, "#size-cells", 2);
	fdtw_prop_empty(w, "ranges");
	for (u32 i = 0; i < n; i++) {
		char name[32];
		u32 cells[4];

		snprintf(name, sizeof(name), "region@%llx", (unsigned long long)regs[i].base);
		fdtw_begin_node(w, name);
		reg_cells(cells, regs[i].base, regs[i].size);
		fdtw_prop_cells(w, "reg", cells, 4);
		if (regs[i].status)
			fdtw_prop_string(w, "status", regs[i].status);
		if (regs[i].no_map)
			fdtw_prop_empty(w, "no-map");
		fdtw_end_node(w);
	}
	/* only a size: the OS would allocate it; nothing is reserved yet */
	fdtw_begin_node(w, "pool");
	fdtw_prop_cells(w, "size", (const u32[]){ 0, 0x100000 }, 2);
	fdtw_end_node(w);
	fdtw_end_node(w);
}

/* The PL011's `interrupts` in the next board written (none when 0 cells). */
static u32 uart_irq[5];
static u32 uart_irq_cells;

/* virtio-mmio nodes in the next board written: QEMU virt's layout; the
 * one numbered `virtio_disabled` (if below virtio_count) says "disabled". */
static u32 virtio_count;
static u32 virtio_disabled = ~0u;

static void write_virtio(struct fdt_writer *w)
{
	for (u32 i = 0; i < virtio_count; i++) {
		u64 base = 0x0a000000 + 0x200ull * i;
		char name[32];
		u32 cells[4];

		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		fdtw_begin_node(w, name);
		fdtw_prop_string(w, "compatible", "virtio,mmio");
		reg_cells(cells, base, 0x200);
		fdtw_prop_cells(w, "reg", cells, 4);
		fdtw_prop_cells(w, "interrupts", (const u32[]){ 0, 16 + i, 1 }, 3);
		if (i == virtio_disabled)
			fdtw_prop_string(w, "status", "disabled");
		fdtw_end_node(w);
	}
}

/* A QEMU-virt-like tree: 1 GiB of RAM at 1 GiB, one CPU, a PL011. */
static int write_board(u8 *buf, u32 cap, const struct region *regs, u32 n)
{
	static u8 strs[1024];
	struct fdt_writer w;
	u32 cells[4];

	fdtw_init(&w, buf, cap, strs, sizeof(strs));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_begin_node(&w, "memory@40000000");
	fdtw_prop_string(&w, "device_type", "memory");
	reg_cells(cells, 0x40000000, 0x40000000);
	fdtw_prop_cells(&w, "reg", cells, 4);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "cpus");
	fdtw_prop_u32(&w, "#address-cells", 1);
	fdtw_prop_u32(&w, "#size-cells", 0);
	fdtw_begin_node(&w, "cpu@0");
	fdtw_prop_string(&w, "device_type", "cpu");
	fdtw_prop_cells(&w, "reg", (const u32[]){ 0 }, 1);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "pl011@9000000");
	fdtw_prop_string(&w, "compatible", "arm,pl011");
	reg_cells(cells, 0x09000000, 0x1000);
	fdtw_prop_cells(&w, "reg", cells, 4);
	if (uart_irq_cells)
		fdtw_prop_cells(&w, "interrupts", uart_irq, uart_irq_cells);
	fdtw_end_node(&w);
	write_virtio(&w);
	if (regs)
		write_reserved_memory(&w, regs, n);
	fdtw_end_node(&w);
	return fdtw_finish(&w);
}

/* The board with `n` /memreserve/ entries spliced in before the empty map. */
static u8 *board(const u64 *memreserve, u32 n, const struct region *regs, u32 nregs)
{
	static u8 buf[8192];
	int size = write_board(buf, sizeof(buf), regs, nregs);
	u32 extra = 16 * n;
	u8 *b;

	assert_true(size > 0);
	b = malloc(size + extra);
	assert_non_null(b);
	memcpy(b, buf, RSVMAP_OFF);
	for (u32 i = 0; i < 2 * n; i++) {
		wr32(b + RSVMAP_OFF + 8 * i, (u32)(memreserve[i] >> 32));
		wr32(b + RSVMAP_OFF + 8 * i + 4, (u32)memreserve[i]);
	}
	memcpy(b + RSVMAP_OFF + extra, buf + RSVMAP_OFF, size - RSVMAP_OFF);
	wr32(b + HDR_TOTALSIZE, size + extra);
	wr32(b + HDR_OFF_STRUCT, rd32(buf + HDR_OFF_STRUCT) + extra);
	wr32(b + HDR_OFF_STRINGS, rd32(buf + HDR_OFF_STRINGS) + extra);
	return b;
}

static void assert_reserved(const struct platform *p, u32 i, u64 base, u64 size)
{
	assert_true(i < p->nreserved);
	assert_int_equal(p->reserved[i].base, base);
	assert_int_equal(p->reserved[i].size, size);
}

static void test_no_reservations(void **state)
{
	struct platform p;
	const char *why = NULL;
	u8 *b = board(NULL, 0, NULL, 0);

	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.nmem, 1);
	assert_int_equal(p.nreserved, 0);
	free(b);
}

/* The console's interrupt is kept as the tree writes it, for the arch to
 * read; the arch reads its own part of the board once. */
static void test_uart_interrupt_cells_are_kept(void **state)
{
	struct platform p;
	const char *why = NULL;
	u8 *b;

	uart_irq[0] = 0;
	uart_irq[1] = 1;
	uart_irq[2] = 4;
	uart_irq_cells = 3;
	b = board(NULL, 0, NULL, 0);
	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.uart_irq_cells, 3);
	assert_int_equal(p.uart_irq[0], 0);
	assert_int_equal(p.uart_irq[1], 1);
	assert_int_equal(p.uart_irq[2], 4);
	assert_int_equal(p.arch.parses, 1);
	free(b);

	/* more cells than any binding Bulkhead knows: none kept */
	uart_irq_cells = 5;
	b = board(NULL, 0, NULL, 0);
	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.uart_irq_cells, 0);
	free(b);
	uart_irq_cells = 0;
}

/* Each enabled virtio-mmio transport is recorded in tree order with its
 * window and interrupt cells, up to the bound; the rest are only counted. */
static void test_virtio_slots_are_recorded(void **state)
{
	struct platform p;
	const char *why = NULL;
	u8 *b;

	virtio_count = 34;
	virtio_disabled = 1;
	b = board(NULL, 0, NULL, 0);
	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.virtio_mmio_in_dt, 33);
	assert_int_equal(p.virtio_mmio_count, PLATFORM_MAX_VIRTIO_MMIO);
	assert_int_equal(p.virtio_mmio[0].reg.base, 0x0a000000);
	assert_int_equal(p.virtio_mmio[0].reg.size, 0x200);
	/* the disabled node 1 is skipped: slot 1 is node 2 */
	assert_int_equal(p.virtio_mmio[1].reg.base, 0x0a000400);
	assert_int_equal(p.virtio_mmio[1].irq_cells, 3);
	assert_int_equal(p.virtio_mmio[1].irq[0], 0);
	assert_int_equal(p.virtio_mmio[1].irq[1], 18);
	assert_int_equal(p.virtio_mmio[1].irq[2], 1);
	assert_int_equal(p.virtio_mmio[31].reg.base, 0x0a000000 + 0x200 * 32);
	free(b);
	virtio_count = 0;
	virtio_disabled = ~0u;
}

static void test_memreserve_and_reserved_memory(void **state)
{
	static const u64 rsv[] = { 0x7f000000, 0x10000, 0x48000000, 0x1000000 };
	static const struct region regs[] = {
		{ 0x40400000, 0x200000, NULL, false },
		{ 0x50000000, 0x1000, "okay", false },
		{ 0x60000000, 0x1000, "disabled", false },
	};
	struct platform p;
	const char *why = NULL;
	u8 *b = board(rsv, 2, regs, 3);

	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.nreserved, 4);
	assert_reserved(&p, 0, 0x7f000000, 0x10000);
	assert_reserved(&p, 1, 0x48000000, 0x1000000);
	assert_reserved(&p, 2, 0x40400000, 0x200000);
	assert_reserved(&p, 3, 0x50000000, 0x1000);
	free(b);
}

static void test_region_past_the_top_is_clipped(void **state)
{
	static const u64 rsv[] = { 0xfffffffffffff000ull, 0x10000, 0x40000000, 0 };
	struct platform p;
	const char *why = NULL;
	u8 *b = board(rsv, 1, NULL, 0);

	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.nreserved, 1);
	assert_reserved(&p, 0, 0xfffffffffffff000ull, 0xfff);
	free(b);
}

static void test_too_many_reservations_is_refused(void **state)
{
	u64 rsv[2 * (PLATFORM_MAX_RESERVED + 1)];
	struct platform p;
	const char *why = NULL;
	u8 *b;

	for (u32 i = 0; i <= PLATFORM_MAX_RESERVED; i++) {
		rsv[2 * i] = 0x40000000 + i * 0x10000;
		rsv[2 * i + 1] = 0x1000;
	}
	b = board(rsv, PLATFORM_MAX_RESERVED + 1, NULL, 0);
	assert_int_equal(platform_parse(&p, b, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "reserves more memory regions"));
	free(b);

	/* exactly the limit is fine */
	b = board(rsv, PLATFORM_MAX_RESERVED, NULL, 0);
	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.nreserved, PLATFORM_MAX_RESERVED);
	free(b);
}

static void test_no_map_is_recorded_per_region(void **state)
{
	static const u64 rsv[] = { 0x7f000000, 0x10000 };
	static const struct region regs[] = {
		{ 0x40400000, 0x200000, NULL, true },
		{ 0x50000000, 0x1000, "okay", false },
	};
	struct platform p;
	const char *why = NULL;
	u8 *b = board(rsv, 1, regs, 2);

	assert_int_equal(platform_parse(&p, b, &why), 0);
	assert_int_equal(p.nreserved, 3);
	assert_false(p.reserved[0].no_map);    /* /memreserve/ has no flags */
	assert_true(p.reserved[1].no_map);
	assert_false(p.reserved[2].no_map);
	for (u32 i = 0; i < 3; i++)
		assert_int_equal(p.reserved[i].by, RESERVED_BY_DT);
	free(b);
}

struct piece {
	u64 base, size;
	bool mapped;
};

struct walk_log {
	struct piece p[16];
	u32 n;
};

static void log_piece(u64 base, u64 size, bool mapped, void *ctx)
{
	struct walk_log *log = ctx;

	assert_true(log->n < 16);
	log->p[log->n++] = (struct piece){ base, size, mapped };
}

static void assert_piece(const struct walk_log *log, u32 i, u64 base, u64 end, bool mapped)
{
	assert_true(i < log->n);
	assert_int_equal(log->p[i].base, base);
	assert_int_equal(log->p[i].base + log->p[i].size, end);
	assert_int_equal(log->p[i].mapped, mapped);
}

/* Holes are page-rounded outward, merged when they overlap or touch, clipped
 * to the bank, and only no-map regions make them. */
static void test_ram_walk_leaves_out_no_map_regions(void **state)
{
	struct platform p = { .nmem = 2 };
	struct walk_log log = { .n = 0 };

	p.mem[0] = (struct mem_range){ 0x40000000, 0x10000000 };
	p.mem[1] = (struct mem_range){ 0x80000000, 0x100000 };
	assert_true(platform_add_reserved(&p, 0x48000800, 0x1000, true, RESERVED_BY_DT));
	assert_true(platform_add_reserved(&p, 0x41000000, 0x2000, true, RESERVED_BY_DT));
	assert_true(platform_add_reserved(&p, 0x41002000, 0x1000, true, RESERVED_BY_UEFI));
	assert_true(platform_add_reserved(&p, 0x41001000, 0x3000, true, RESERVED_BY_DT));
	assert_true(platform_add_reserved(&p, 0x44000000, 0x1000, false, RESERVED_BY_DT));
	assert_true(platform_add_reserved(&p, 0x3ffff000, 0x2000, true, RESERVED_BY_DT));
	assert_true(platform_add_reserved(&p, 0x800ff000, 0x10000, true, RESERVED_BY_DT));
	platform_walk_ram(&p, log_piece, &log);
	assert_int_equal(log.n, 8);
	assert_piece(&log, 0, 0x40000000, 0x40001000, false);
	assert_piece(&log, 1, 0x40001000, 0x41000000, true);
	assert_piece(&log, 2, 0x41000000, 0x41004000, false);
	assert_piece(&log, 3, 0x41004000, 0x48000000, true);
	assert_piece(&log, 4, 0x48000000, 0x48002000, false);
	assert_piece(&log, 5, 0x48002000, 0x50000000, true);
	assert_piece(&log, 6, 0x80000000, 0x800ff000, true);
	assert_piece(&log, 7, 0x800ff000, 0x80100000, false);
}

static void test_ram_walk_without_holes_is_the_banks(void **state)
{
	struct platform p = { .nmem = 1 };
	struct walk_log log = { .n = 0 };

	p.mem[0] = (struct mem_range){ 0x40000000, 0x10000000 };
	assert_true(platform_add_reserved(&p, 0x44000000, 0x1000, false, RESERVED_BY_DT));
	platform_walk_ram(&p, log_piece, &log);
	assert_int_equal(log.n, 1);
	assert_piece(&log, 0, 0x40000000, 0x50000000, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_reservations),
		cmocka_unit_test(test_uart_interrupt_cells_are_kept),
		cmocka_unit_test(test_virtio_slots_are_recorded),
		cmocka_unit_test(test_memreserve_and_reserved_memory),
		cmocka_unit_test(test_region_past_the_top_is_clipped),
		cmocka_unit_test(test_too_many_reservations_is_refused),
		cmocka_unit_test(test_no_map_is_recorded_per_region),
		cmocka_unit_test(test_ram_walk_leaves_out_no_map_regions),
		cmocka_unit_test(test_ram_walk_without_holes_is_the_banks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
