/*
 * virtio-balloon on the transport, driven by a guest's driver
 * (tests/unit/virtio_guest.h) whose RAM comes from Bulkhead's pool, so that
 * pages given back really go to the pool: inflate (bad PFNs, the same page
 * twice), deflate, fault-fill, free page reporting, stats, and the pool's
 * count exact at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_mem.h"
#include "core/page_alloc.h"
#include "core/vm_ram.h"
#include "core/workqueue.h"
#include "fake_arch.h"
#include "hv_pool.h"
#include "virtio_guest.h"

#define BASE 0x0a002000ull
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define Q_REPORTING 3
#define F_STATS (1ull << 1)
#define F_REPORTING (1ull << 5)
#define PFN_AT (VG_BUFS)             /* the driver's PFN array */
#define PAGE_A 0x40000ull            /* RAM offsets of pages it gives back */
#define PAGE_B 0x41000ull

static struct vguest g;
static u64 free_at_start;

static void put32(u64 off, u32 v)
{
	memcpy(g.ram + off, &v, 4);
}

static int setup(void **state)
{
	paddr_t first;
	const char *why = NULL;

	(void)state;
	fake_arch_reset();
	fake.counter = 1000;   /* work queued "at once" is due */
	memset(&hv_pages, 0, sizeof(hv_pages));
	hv_pool_add(2048);
	free_at_start = hv_pages.free_pages;
	vg_init(&g, "ball");
	free(g.ram);
	assert_int_equal(guest_ram_create(&g.vm.ram, &hv_pages, VG_RAM_BASE, VG_RAM_SIZE), 0);
	assert_int_equal(guest_ram_populate(&g.vm.ram, &hv_pages), 0);
	assert_int_equal(guest_ram_runs(&g.vm.ram, &first), 1);
	g.ram = pa_to_ptr(first);
	assert_int_equal(arch_stage2_init(&g.vm.s2, 1), 0);
	g.vm.cfg.memory_mib = 1;
	g.vm.cfg.maxmem_mib = 2;
	g.vm.cfg.balloon_free_page_reporting = true;
	if (vg_create(&g, "virtio-balloon", BASE, 48, &why))
		fail_msg("create: %s", why);
	assert_non_null(g.vm.balloon.dev);
	assert_int_equal(vg_driver_init(&g, F_STATS | F_REPORTING | (1ull << 32), 4), 15);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dev_arena_release(&g.vm.dev_mem);
	arch_stage2_destroy(&g.vm.s2);
	guest_ram_release(&g.vm.ram, &hv_pages);
	/* every page the VM had, its tables and its device's state are back */
	assert_int_equal(hv_pages.free_pages, free_at_start);
	hv_pool_free();
	return 0;
}

static struct vm_balloon_status status(void)
{
	struct vm_balloon_status st;

	g.vm.balloon.status(g.vm.balloon.dev, &st);
	return st;
}

static void test_starts_with_maxmem_less_memory(void **state)
{
	u64 v = 0;

	assert_true(vg_config_rd(&g, 0, 4, &v));
	assert_int_equal(v, MiB / PAGE_SIZE);   /* (2 - 1) MiB in 4 KiB pages */
	assert_true(vg_device_features(&g) & F_REPORTING);
	assert_false(vg_device_features(&g) & (1ull << 4));   /* no PAGE_POISON */
	assert_false(vg_device_features(&g) & (1ull << 2));   /* DEFLATE_ON_OOM: not chosen */
}

static void test_inflate_checks_every_pfn(void **state)
{
	u64 free = hv_pages.free_pages, pages = g.vm.ram.pages;
	struct vm_ram_reclaim none = { 0 };
	u32 id, len;
	u8 byte;

	(void)none;
	memset(g.ram + PAGE_A, 0xab, PAGE_SIZE);
	put32(PFN_AT, (u32)((VG_RAM_BASE + PAGE_A) >> 12));
	put32(PFN_AT + 4, (u32)((VG_RAM_BASE + PAGE_B) >> 12));
	put32(PFN_AT + 8, (u32)((VG_RAM_BASE + PAGE_A) >> 12));      /* twice */
	put32(PFN_AT + 12, (u32)((VG_RAM_BASE + VG_RAM_SIZE) >> 12)); /* past its RAM */
	put32(PFN_AT + 16, 0x1000);                                   /* below it */
	vg_offer(&g, Q_INFLATE, &(struct vg_seg){ PFN_AT, 20, false }, 1, true);
	work_run(0);
	assert_true(vg_take_used(&g, Q_INFLATE, &id, &len));
	assert_int_equal(g.vm.ram.pages, pages - 2);
	/* a block was split: one page for the RAM table's chunk */
	assert_int_equal(hv_pages.free_pages, free + 2 - 1);
	assert_int_equal(fake.s2_unmaps, 2);
	assert_int_equal(fake.s2_unmap[0].ipa, VG_RAM_BASE + PAGE_A);
	assert_false(guest_mem_read(&g.vm, ipa_init(VG_RAM_BASE + PAGE_A), &byte, 1));
	assert_true(guest_mem_read(&g.vm, ipa_init(VG_RAM_BASE + PAGE_A + PAGE_SIZE * 2), &byte, 1));
	/* scrubbed before the pool got it */
	assert_int_equal(g.ram[PAGE_A], 0);
	assert_int_equal(status().inflated, 2);
	assert_int_equal(status().refused, 3);
}

static void give_back_a(void)
{
	put32(PFN_AT, (u32)((VG_RAM_BASE + PAGE_A) >> 12));
	vg_offer(&g, Q_INFLATE, &(struct vg_seg){ PFN_AT, 4, false }, 1, true);
	work_run(0);
}

static void test_deflate_and_fault_fill(void **state)
{
	u64 free_before, pages;
	u8 byte = 1;

	give_back_a();
	free_before = hv_pages.free_pages;
	pages = g.vm.ram.pages;
	/* deflate: a fresh zeroed page, mapped */
	put32(PFN_AT, (u32)((VG_RAM_BASE + PAGE_A) >> 12));
	vg_offer(&g, Q_DEFLATE, &(struct vg_seg){ PFN_AT, 4, false }, 1, true);
	work_run(0);
	assert_int_equal(g.vm.ram.pages, pages + 1);
	assert_int_equal(hv_pages.free_pages, free_before - 1);
	assert_true(guest_mem_read(&g.vm, ipa_init(VG_RAM_BASE + PAGE_A), &byte, 1));
	assert_int_equal(byte, 0);
	assert_int_equal(status().deflated, 1);
	/* a touch of a page given back: filled (the fault path), then there */
	give_back_a();
	assert_int_equal(vm_ram_fill(&g.vm, VG_RAM_BASE + PAGE_A + 8), VM_RAM_FILLED);
	assert_int_equal(vm_ram_fill(&g.vm, VG_RAM_BASE + PAGE_A), VM_RAM_WAS_BACKED);
	assert_int_equal(vm_ram_fill(&g.vm, VG_RAM_BASE + VG_RAM_SIZE), VM_RAM_NOT_RAM);
	/* the pool empty: the abort's answer */
	give_back_a();
	{
		u64 n = hv_pages.free_pages, got = 0;
		paddr_t *hog = calloc(n, sizeof(*hog));

		assert_non_null(hog);
		while (got < n && pa_addr(hog[got] = page_alloc(&hv_pages, 1, PAGE_SIZE)))
			got++;
		assert_int_equal(hv_pages.free_pages, 0);
		assert_int_equal(vm_ram_fill(&g.vm, VG_RAM_BASE + PAGE_A), VM_RAM_NO_MEMORY);
		assert_int_equal(hv_pages.free_pages, 0);   /* nothing half-taken */
		for (u64 i = 0; i < got; i++)
			page_free(&hv_pages, hog[i], 1);
		free(hog);
	}
}

static void test_free_page_reporting(void **state)
{
	u64 free = hv_pages.free_pages;
	u32 id, len;

	/* a run of 2 free pages, written by the device in protocol terms */
	vg_offer(&g, Q_REPORTING, &(struct vg_seg){ 0x50000, 2 * PAGE_SIZE, true }, 1, true);
	work_run(0);
	assert_true(vg_take_used(&g, Q_REPORTING, &id, &len));
	assert_int_equal(status().reported, 2);
	assert_int_equal(hv_pages.free_pages, free + 2 - 1);
	/* reported again: nothing twice */
	vg_offer(&g, Q_REPORTING, &(struct vg_seg){ 0x50000, 2 * PAGE_SIZE, true }, 1, true);
	work_run(0);
	assert_int_equal(status().reported, 2);
	assert_int_equal(status().refused, 2);
}

static void test_stats_held_and_refreshed(void **state)
{
	u8 buf[20] = { 4, 0, 0xd2, 0x04, 0, 0, 0, 0, 0, 0,   /* free = 1234 */
		       99, 0, 1, 0, 0, 0, 0, 0, 0, 0 };      /* unknown tag: ignored */
	struct vm_balloon_status st;

	memcpy(g.ram + VG_BUFS + 0x100, buf, sizeof(buf));
	vg_offer(&g, Q_STATS, &(struct vg_seg){ VG_BUFS + 0x100, sizeof(buf), false }, 1, true);
	work_run(0);
	assert_int_equal(vg_used_pending(&g, Q_STATS), 0);   /* held to ask for more */
	st = status();                                       /* ... which this does */
	assert_int_equal(st.stat[4], 1234);
	assert_int_equal(st.stat_seen, 1u << 4);
	assert_int_equal(st.stats_updates, 1);
	assert_int_equal(vg_used_pending(&g, Q_STATS), 1);
}

static void test_target(void **state)
{
	const char *why;
	u64 v = 0;

	assert_int_equal(g.vm.balloon.set_target(g.vm.balloon.dev, VG_RAM_SIZE - 16 * PAGE_SIZE, &why), 0);
	assert_true(vg_config_rd(&g, 0, 4, &v));
	assert_int_equal(v, 16);
	assert_int_equal(status().target, VG_RAM_SIZE - 16 * PAGE_SIZE);
	assert_int_equal(g.vm.balloon.set_target(g.vm.balloon.dev, VG_RAM_SIZE + PAGE_SIZE, &why), -1);
}

/* The last target's time to reach: from set_target until the VM holds it
 * (what `make bench` reads), counted on the machine's counter. */
static void test_time_to_target(void **state)
{
	const char *why;
	u32 id, len;

	fake.counter_freq = 1000000000;   /* a tick is a nanosecond */
	fake.counter_step = 0;
	assert_false(status().set_seen);
	assert_int_equal(g.vm.balloon.set_target(g.vm.balloon.dev, VG_RAM_SIZE - 2 * PAGE_SIZE, &why), 0);
	assert_true(status().set_seen);
	assert_false(status().set_reached);
	fake.counter += 5000;
	put32(PFN_AT, (u32)((VG_RAM_BASE + PAGE_A) >> 12));
	vg_offer(&g, Q_INFLATE, &(struct vg_seg){ PFN_AT, 4, false }, 1, true);
	work_run(0);
	assert_true(vg_take_used(&g, Q_INFLATE, &id, &len));
	assert_false(status().set_reached);   /* one page of two */
	fake.counter += 7000;
	put32(PFN_AT, (u32)((VG_RAM_BASE + PAGE_B) >> 12));
	vg_offer(&g, Q_INFLATE, &(struct vg_seg){ PFN_AT, 4, false }, 1, true);
	work_run(0);
	assert_true(vg_take_used(&g, Q_INFLATE, &id, &len));
	assert_true(status().set_reached);
	assert_int_equal(status().set_ns, 12000);
	assert_int_equal(status().set_moved, 2 * PAGE_SIZE);
	/* a target the VM holds already is reached at once */
	assert_int_equal(g.vm.balloon.set_target(g.vm.balloon.dev, VG_RAM_SIZE - 2 * PAGE_SIZE, &why), 0);
	assert_true(status().set_reached);
	assert_int_equal(status().set_ns, 0);
	assert_int_equal(status().set_moved, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_starts_with_maxmem_less_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inflate_checks_every_pfn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deflate_and_fault_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_page_reporting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_held_and_refreshed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_to_target, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
