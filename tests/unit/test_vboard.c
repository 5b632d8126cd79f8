/*
 * A VM's virtual board (core/vboard.c) with the device kinds that register
 * themselves (core/vdev.c): the PL011 and PL061 of devices/, and two kinds
 * of this file's own that no VM gets unless a board entry names them. The
 * VM is a zeroed struct vm; its device arena draws on a host buffer given to
 * `hv_pages`, and its console ring has a host buffer but is not registered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_dt.h"
#include "core/guest_layout.h"
#include "core/page_alloc.h"
#include "core/vboard.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "fake_arch.h"
#include "fdt_check.h"
#include "lib/fdt.h"

#define HV_PAGES 32
#define UART_BASE 0x09000000ull
#define GPIO_BASE 0x09030000ull
#define UART_LINE 1
#define GPIO_LINE 7

/* PL011 registers and bits */
#define DR    0x000
#define FR    0x018
#define CR    0x030
#define IMSC  0x038
#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)
#define INT_RX  (1u << 4)
/* PL061 registers */
#define GPIODATA_ALL 0x3fc
#define GPIODATA_PIN3 (1u << (3 + 2))
#define GPIODIR 0x400
#define GPIOIEV 0x40c
#define GPIOIE  0x410
#define GPIOIC  0x41c

static struct vm vm;
static u8 *hv_mem;
static u64 hv_bitmap[1];
static u64 free_at_start;
static u8 con_buf[PAGE_SIZE];
static const char *why;

/* --- this file's device kinds ------------------------------------------- */

#define TEST_BASE 0x09100000ull
#define TEST_SIZE 0x1000
#define TEST_LINE 20
#define TEST_STATE_BYTES 256

/* The test device's state, in the VM's device arena. */
struct tstate {
	u32 reads, writes, resets, destroys;
	u64 off, value;
	u8 pad[TEST_STATE_BYTES - 40];
};

/* What the last create saw. */
static struct vdev seen_create;
static u32 creates;

static bool t_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct tstate *t = d->priv;

	t->reads++;
	t->off = offset;
	*value = 0x7e570000u + offset;
	return true;
}

static bool t_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct tstate *t = d->priv;

	t->writes++;
	t->off = offset;
	t->value = value;
	return true;
}

static void t_reset(struct vdev *d)
{
	((struct tstate *)d->priv)->resets++;
}

static void t_destroy(struct vdev *d)
{
	((struct tstate *)d->priv)->destroys++;
}

static void t_dt_node(struct vdev *d, struct vdt *dt)
{
	vdt_begin_node_at(dt, "testdev", d->base);
	fdtw_prop_string(dt->w, "compatible", "bulkhead,test");
	vdt_reg(dt, d->base, d->size);
	if (irq_line_connected(&d->irq))
		vdt_interrupts(dt, &d->irq);
	fdtw_prop_u32(dt->w, "instance", d->instance);
	fdtw_end_node(dt->w);
}

static const struct vdev_ops t_ops = {
	.read = t_read, .write = t_write, .reset = t_reset, .destroy = t_destroy,
	.dt_node = t_dt_node,
};

static int t_create(struct vdev *d, const char **err)
{
	struct tstate *t = vm_dev_alloc(d->vm, sizeof(*t));

	creates++;
	seen_create = *d;
	if (!t) {
		*err = "no memory for the test device";
		return -1;
	}
	d->ops = &t_ops;
	d->priv = t;
	return 0;
}

static int t_create_refuses(struct vdev *d, const char **err)
{
	*err = "the test device refuses";
	return -1;
}

static const struct vdev_kind test_kind = {
	.name = "testdev",
	.base = { TEST_BASE },
	.size = TEST_SIZE,
	.line = TEST_LINE,
	.every_vm = false,
	.create = t_create,
};

static const struct vdev_kind refusing_kind = {
	.name = "testrefuse",
	.base = { 0x09200000 },
	.size = 0x1000,
	.line = -1,
	.every_vm = false,
	.create = t_create_refuses,
};

/* A kind the config asks for, as disks are: `config_items` instances in
 * QEMU virt's virtio-mmio slots. */
static u32 config_items;

static u32 t_config_count(const struct vm *vm)
{
	return config_items;
}

static const struct vdev_kind slot_kind = {
	.name = "testslot",
	.base = { 0x0a000000 },
	.size = 0x200,
	.line = 16,
	.every_vm = false,
	.config_count = t_config_count,
	.create = t_create,
};

static const struct vdev_kind *const test_kind_entry VDEV_KIND_SECTION = &test_kind;
static const struct vdev_kind *const slot_kind_entry VDEV_KIND_SECTION = &slot_kind;
static const struct vdev_kind *const refusing_kind_entry VDEV_KIND_SECTION = &refusing_kind;

/* --- set-up --------------------------------------------------------------- */

static int setup(void **state)
{
	fake_arch_reset();
	memset(&vm, 0, sizeof(vm));
	seen_create = (struct vdev){ 0 };
	creates = 0;
	why = NULL;
	hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
	assert_non_null(hv_mem);
	memset(hv_mem, 0x77, HV_PAGES * PAGE_SIZE);
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(hv_bitmap, 0, sizeof(hv_bitmap));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE,
					    hv_bitmap), 0);
	free_at_start = hv_pages.free_pages;
	strcpy(vm.cfg.name, "t");
	vm.cfg.vcpus = 2;
	vm.nvcpus = 2;
	vm.cfg.ram_base = 0x40000000;
	vm.ram.base = 0x40000000;
	vm.ram.size = 16 * MiB;
	console_ring_init(&vm.con, "t", con_buf, sizeof(con_buf));
	return 0;
}

static int teardown(void **state)
{
	vboard_destroy(&vm);
	dev_arena_release(&vm.dev_mem);
	assert_int_equal(hv_pages.free_pages, free_at_start);
	free(hv_mem);
	hv_mem = NULL;
	return 0;
}

static void build(void)
{
	assert_int_equal(vboard_build(&vm, &why), 0);
	assert_non_null(vm.board);
}

static void build_and_attach(void)
{
	build();
	assert_int_equal(vboard_attach(&vm, &why), 0);
}

static u64 rd(u64 addr, u32 size)
{
	u64 v = 0xdeadbeefdeadbeefull;

	if (!mmio_access(&vm.bus, ipa_init(addr), size, false, &v))
		fail_msg("read of %u bytes at %#llx refused", size, (unsigned long long)addr);
	return v;
}

static void wr(u64 addr, u32 size, u64 v)
{
	if (!mmio_access(&vm.bus, ipa_init(addr), size, true, &v))
		fail_msg("write of %u bytes at %#llx refused", size, (unsigned long long)addr);
}

/* A board entry that must be refused for `reason`, leaving the table as it was. */
static void add_refused(const struct vdev_kind *k, u64 base, u64 size, const char *reason)
{
	struct vboard before = *vm.board;

	why = NULL;
	if (vboard_add(&vm, k, ipa_init(base), size, 3, 0, &why) == 0)
		fail_msg("%s at %#llx+%#llx was added", k->name, (unsigned long long)base,
			 (unsigned long long)size);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("refused with '%s', want '%s'", why, reason);
	assert_memory_equal(&before, vm.board, sizeof(before));
}

static void check_address_order(void)
{
	for (u32 i = 1; i < vm.board->count; i++)
		assert_true(ipa_addr(vm.board->dev[i - 1].base) + vm.board->dev[i - 1].size <=
			    ipa_addr(vm.board->dev[i].base));
}

/* --- the registry --------------------------------------------------------- */

static void test_kinds_registered(void **state)
{
	const struct vdev_kind *k, *pl011 = NULL, *pl061 = NULL, *mine = NULL, *refusing = NULL;
	u32 n;

	for (n = 0; (k = vdev_kind_at(n)); n++) {
		assert_true(n < 16);
		assert_ptr_equal(vdev_kind_by_name(k->name), k);
		if (!strcmp(k->name, "pl011"))
			pl011 = k;
		else if (!strcmp(k->name, "pl061"))
			pl061 = k;
		else if (k == &test_kind)
			mine = k;
		else if (k == &refusing_kind)
			refusing = k;
	}
	assert_int_equal(n, 5);
	assert_null(vdev_kind_at(n + 1));
	assert_null(vdev_kind_at(~0u));
	assert_non_null(pl011);
	assert_non_null(pl061);
	assert_non_null(mine);
	assert_non_null(refusing);
	assert_ptr_equal(vdev_kind_by_name("testdev"), &test_kind);
	assert_ptr_equal(vdev_kind_by_name("testrefuse"), &refusing_kind);
	/* the standard board's devices, at QEMU virt's places */
	assert_int_equal(ipa_addr(pl011->base), UART_BASE);
	assert_int_equal(pl011->size, 0x1000);
	assert_int_equal(pl011->size_per_vcpu, 0);
	assert_int_equal(pl011->line, UART_LINE);
	assert_true(pl011->every_vm);
	assert_non_null(pl011->create);
	assert_int_equal(ipa_addr(pl061->base), GPIO_BASE);
	assert_int_equal(pl061->size, 0x1000);
	assert_int_equal(pl061->line, GPIO_LINE);
	assert_true(pl061->every_vm);
	/* names match whole */
	assert_null(vdev_kind_by_name("pl01"));
	assert_null(vdev_kind_by_name("pl0111"));
	assert_null(vdev_kind_by_name("PL011"));
	assert_null(vdev_kind_by_name(""));
	assert_null(vdev_kind_by_name("virtio"));
}

/* --- the table ------------------------------------------------------------ */

static void test_build(void **state)
{
	const struct vdev *u, *g;

	build();
	/* only the every-VM kinds, in address order */
	assert_int_equal(vm.board->count, 2);
	u = &vm.board->dev[0];
	g = &vm.board->dev[1];
	assert_ptr_equal(u->kind, vdev_kind_by_name("pl011"));
	assert_ptr_equal(u->vm, &vm);
	assert_int_equal(ipa_addr(u->base), UART_BASE);
	assert_int_equal(u->size, 0x1000);
	assert_ptr_equal(u->irq.vm, &vm);
	assert_int_equal(u->irq.line, UART_LINE);
	assert_int_equal(u->instance, 0);
	assert_ptr_equal(g->kind, vdev_kind_by_name("pl061"));
	assert_ptr_equal(g->vm, &vm);
	assert_int_equal(ipa_addr(g->base), GPIO_BASE);
	assert_int_equal(g->size, 0x1000);
	assert_true(irq_line_connected(&g->irq));
	assert_ptr_equal(g->irq.vm, &vm);
	assert_int_equal(g->irq.line, GPIO_LINE);
	/* not created yet: no ops, no state, nothing on the bus, no roles */
	assert_null(u->ops);
	assert_null(u->priv);
	assert_int_equal(vm.bus.count, 0);
	assert_null(vm_console_device(&vm));
	assert_null(vm_power_button_device(&vm));
	assert_int_equal(creates, 0);
	/* the table lives in the VM's device arena, one page of the pool */
	assert_int_equal(dev_arena_bytes(&vm.dev_mem), PAGE_SIZE);
	assert_int_equal(hv_pages.free_pages, free_at_start - 1);
	assert_true((u8 *)vm.board >= hv_mem && (u8 *)(vm.board + 1) <= hv_mem + HV_PAGES * PAGE_SIZE);
}

/* One entry per config item, the n-th in the n-th slot with line 16 + n:
 * the first item has the lowest address (Linux's vda). */
static void test_build_config_items(void **state)
{
	const char *why = NULL;

	config_items = 3;
	assert_int_equal(vboard_build(&vm, &why), 0);
	assert_int_equal(vm.board->count, 5);
	for (u32 i = 0; i < 3; i++) {
		const struct vdev *d = &vm.board->dev[2 + i];

		assert_ptr_equal(d->kind, &slot_kind);
		assert_int_equal(ipa_addr(d->base), 0x0a000000 + 0x200 * i);
		assert_int_equal(d->size, 0x200);
		assert_int_equal(d->irq.line, 16 + i);
		assert_int_equal(d->instance, i);
	}
	/* the last of QEMU virt's 32 slots is inside the device region */
	config_items = 32;
	vm.board = NULL;
	assert_int_equal(vboard_build(&vm, &why), 0);
	assert_int_equal(ipa_addr(vm.board->dev[33].base), 0x0a000000 + 0x200 * 31);
	/* more than the region holds is refused */
	config_items = 33;
	vm.board = NULL;
	assert_int_equal(vboard_build(&vm, &why), -1);
	config_items = 0;
}

static void test_build_without_memory(void **state)
{
	paddr_t all = page_alloc(&hv_pages, hv_pages.free_pages, PAGE_SIZE);

	assert_int_not_equal(pa_addr(all), 0);
	assert_int_equal(vboard_build(&vm, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "no memory"));
	assert_null(vm.board);
	page_free(&hv_pages, all, HV_PAGES);
}

static void test_add_keeps_address_order(void **state)
{
	static const u64 bases[] = { 0x09100000, GUEST_DEVICES_BASE, 0x09001000, 0x08fff000,
				     GUEST_DEVICES_END - 0x1000, 0x09020000 };

	build();
	for (u32 i = 0; i < ARRAY_SIZE(bases); i++) {
		assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(bases[i]), 0x1000,
					    i % 2 ? -1 : (int)(40 + i), i, &why), 0);
		check_address_order();
	}
	assert_int_equal(vm.board->count, 2 + ARRAY_SIZE(bases));
	/* adjacent to the UART on both sides, and at both ends of the region */
	assert_int_equal(ipa_addr(vm.board->dev[0].base), GUEST_DEVICES_BASE);
	assert_int_equal(ipa_addr(vm.board->dev[1].base), 0x08fff000);
	assert_int_equal(ipa_addr(vm.board->dev[2].base), UART_BASE);
	assert_int_equal(ipa_addr(vm.board->dev[3].base), 0x09001000);
	assert_int_equal(ipa_addr(vm.board->dev[4].base), 0x09020000);
	assert_int_equal(ipa_addr(vm.board->dev[5].base), GPIO_BASE);
	assert_int_equal(ipa_addr(vm.board->dev[6].base), 0x09100000);
	assert_int_equal(ipa_addr(vm.board->dev[7].base), GUEST_DEVICES_END - 0x1000);
	/* each entry as it was given */
	assert_ptr_equal(vm.board->dev[6].kind, &test_kind);
	assert_int_equal(vm.board->dev[6].instance, 0);
	assert_ptr_equal(vm.board->dev[6].irq.vm, &vm);
	assert_int_equal(vm.board->dev[6].irq.line, 40);
	assert_int_equal(vm.board->dev[0].instance, 1);
	assert_false(irq_line_connected(&vm.board->dev[0].irq));  /* line -1: none */
	assert_int_equal(vm.board->dev[7].instance, 4);
	assert_int_equal(vm.board->dev[7].irq.line, 44);
	assert_ptr_equal(vm.board->dev[7].vm, &vm);
}

static void test_add_refusals(void **state)
{
	const char *place = "outside the device region or overlaps another";

	build();
	/* outside [GUEST_DEVICES_BASE, GUEST_DEVICES_END) */
	add_refused(&test_kind, GUEST_DEVICES_BASE - 0x1000, 0x1000, place);
	add_refused(&test_kind, GUEST_DEVICES_BASE - 0x1000, 0x2000, place);
	add_refused(&test_kind, GUEST_DEVICES_END - 0x800, 0x1000, place);
	add_refused(&test_kind, GUEST_DEVICES_END - 0x1000, 0x1001, place);  /* one byte over */
	add_refused(&test_kind, GUEST_DEVICES_END, 0x1000, place);
	add_refused(&test_kind, 0x40000000, 0x1000, place);                /* RAM */
	add_refused(&test_kind, 0, 0x1000, place);
	add_refused(&test_kind, GUEST_DEVICES_BASE, ~0ull, place);        /* wraps */
	add_refused(&test_kind, ~0ull - 0xfff, 0x2000, place);
	add_refused(&test_kind, 0x09500000, 0, place);                    /* empty */
	/* overlapping the UART or the GPIO controller */
	add_refused(&test_kind, UART_BASE, 0x1000, place);
	add_refused(&test_kind, UART_BASE + 0x800, 0x1000, place);
	add_refused(&test_kind, UART_BASE - 0x800, 0x1000, place);
	add_refused(&test_kind, UART_BASE - 0x1000, 0x1001, place);
	add_refused(&test_kind, UART_BASE + 0xfff, 1, place);
	add_refused(&test_kind, GUEST_DEVICES_BASE, GUEST_DEVICES_END - GUEST_DEVICES_BASE, place);
	add_refused(&test_kind, GPIO_BASE - 0x10000, 0x20000, place);
	assert_int_equal(vm.board->count, 2);
	/* the last byte of the region is fine */
	assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(GUEST_DEVICES_END - 1), 1, -1, 0,
				    &why), 0);
	add_refused(&test_kind, GUEST_DEVICES_END - 2, 2, place);
}

static void test_add_table_full(void **state)
{
	build();
	for (u32 i = vm.board->count; i < VBOARD_MAX_DEVICES; i++)
		assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(0x09100000 + (u64)i * 0x2000),
					    0x1000, -1, i, &why), 0);
	assert_int_equal(vm.board->count, VBOARD_MAX_DEVICES);
	add_refused(&test_kind, 0x08000000, 0x1000, "more devices than a VM's board has room for");
	/* a full table is full before the window is looked at */
	add_refused(&test_kind, 0, 0, "more devices");
	assert_int_equal(vm.board->count, VBOARD_MAX_DEVICES);
	check_address_order();
	/* all of them get created and go on the bus */
	assert_int_equal(vboard_attach(&vm, &why), 0);
	assert_int_equal(vm.bus.count, VBOARD_MAX_DEVICES);
	assert_int_equal(creates, VBOARD_MAX_DEVICES - 2);
	for (u32 i = 0; i < VBOARD_MAX_DEVICES; i++) {
		assert_ptr_equal(vm.bus.dev[i], &vm.board->dev[i]);
		assert_non_null(vm.board->dev[i].priv);
	}
}

/* --- creating the devices ------------------------------------------------- */

static void test_attach(void **state)
{
	build_and_attach();
	assert_int_equal(vm.bus.count, 2);
	for (u32 i = 0; i < 2; i++) {
		struct vdev *d = &vm.board->dev[i];

		assert_ptr_equal(vm.bus.dev[i], d);
		assert_non_null(d->ops);
		assert_non_null(d->ops->read);
		assert_non_null(d->ops->write);
		assert_non_null(d->ops->reset);
		assert_non_null(d->ops->dt_node);
		assert_non_null(d->priv);
		/* its state is in the VM's device arena */
		assert_true((u8 *)d->priv >= hv_mem && (u8 *)d->priv < hv_mem + HV_PAGES * PAGE_SIZE);
	}
	assert_ptr_not_equal(vm.board->dev[0].priv, vm.board->dev[1].priv);
	/* the UART is the console, the GPIO controller has the power button */
	assert_ptr_equal(vm_console_device(&vm), &vm.board->dev[0]);
	assert_ptr_equal(vm_power_button_device(&vm), &vm.board->dev[1]);
	assert_non_null(vm.console_input);
	assert_non_null(vm.power_press);
	/* the bus reaches them */
	assert_int_equal(rd(UART_BASE + FR, 4), FR_RXFE | FR_TXFE);
	assert_int_equal(rd(UART_BASE + CR, 4), 0x300);
	assert_int_equal(rd(UART_BASE + 0xfe0, 4), 0x11);   /* PL011's PeriphID0 */
	assert_int_equal(rd(GPIO_BASE + 0xfe0, 4), 0x61);   /* PL061's */
	{
		u64 v = 0;

		assert_false(mmio_access(&vm.bus, ipa_init(UART_BASE + 0x1000), 4, false, &v));
		assert_false(mmio_access(&vm.bus, ipa_init(GPIO_BASE - 4), 4, false, &v));
	}
	/* nothing went to the interrupt lines */
	assert_int_equal(fake.line_sets, 0);
}

static void test_attach_own_kind(void **state)
{
	struct tstate *t;

	build();
	assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(TEST_BASE), 0x2000, TEST_LINE, 3, &why),
			 0);
	assert_int_equal(vboard_attach(&vm, &why), 0);
	/* create saw its entry filled in */
	assert_int_equal(creates, 1);
	assert_ptr_equal(seen_create.vm, &vm);
	assert_ptr_equal(seen_create.kind, &test_kind);
	assert_int_equal(ipa_addr(seen_create.base), TEST_BASE);
	assert_int_equal(seen_create.size, 0x2000);
	assert_ptr_equal(seen_create.irq.vm, &vm);
	assert_int_equal(seen_create.irq.line, TEST_LINE);
	assert_int_equal(seen_create.instance, 3);
	assert_null(seen_create.ops);
	assert_null(seen_create.priv);
	assert_int_equal(vm.bus.count, 3);
	assert_ptr_equal(vm.bus.dev[2], &vm.board->dev[2]);
	/* an access to it gets there, at its offset */
	t = vm.board->dev[2].priv;
	assert_int_equal(rd(TEST_BASE + 0x1ff8, 8), 0x7e570000u + 0x1ff8);
	assert_int_equal(t->reads, 1);
	wr(TEST_BASE + 0x10, 4, 0xabcd);
	assert_int_equal(t->writes, 1);
	assert_int_equal(t->off, 0x10);
	assert_int_equal(t->value, 0xabcd);
	/* the roles stay with the standard devices */
	assert_ptr_equal(vm_console_device(&vm), &vm.board->dev[0]);
	/* destroy reaches it */
	vboard_destroy(&vm);
	assert_int_equal(t->destroys, 1);
	t->destroys = 0;
}

static void test_attach_refusals(void **state)
{
	struct vdev blocker = { .base = ipa_init(GPIO_BASE), .size = 0x10 };

	/* a kind whose create refuses: its reason comes back */
	build();
	assert_int_equal(vboard_add(&vm, &refusing_kind, ipa_init(0x09200000), 0x1000, -1, 0, &why),
			 0);
	why = NULL;
	assert_int_equal(vboard_attach(&vm, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "the test device refuses");

	/* the bus refuses a window (here, one the VM put there before) */
	dev_arena_release(&vm.dev_mem);
	memset(&vm.bus, 0, sizeof(vm.bus));
	vm.console_dev = vm.power_dev = NULL;
	build();
	assert_int_equal(mmio_register(&vm.bus, &blocker), 0);
	why = NULL;
	assert_int_equal(vboard_attach(&vm, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "MMIO bus"));
	/* the UART before it made it */
	assert_int_equal(vm.bus.count, 2);
	assert_ptr_equal(vm.bus.dev[0], &vm.board->dev[0]);

	/* a bus with no room left */
	dev_arena_release(&vm.dev_mem);
	memset(&vm.bus, 0, sizeof(vm.bus));
	vm.console_dev = vm.power_dev = NULL;
	build();
	for (u32 i = 0; i < MMIO_MAX_DEVICES - 1; i++) {
		static struct vdev filler[MMIO_MAX_DEVICES];

		filler[i] = (struct vdev){ .base = ipa_init(0x100000 + (u64)i * 0x1000), .size = 0x1000 };
		assert_int_equal(mmio_register(&vm.bus, &filler[i]), 0);
	}
	why = NULL;
	assert_int_equal(vboard_attach(&vm, &why), -1);
	assert_non_null(strstr(why, "do not fit on the MMIO bus"));
	assert_int_equal(vm.bus.count, MMIO_MAX_DEVICES);
}

/* --- what the devices do for the VM -------------------------------------- */

static void test_console_input(void **state)
{
	u32 taken = 0;

	build_and_attach();
	assert_true(vm_console_input(&vm, 'h'));
	assert_true(vm_console_input(&vm, 'i'));
	assert_int_equal(rd(UART_BASE + FR, 4) & FR_RXFE, 0);
	assert_int_equal(rd(UART_BASE + DR, 4), 'h');
	assert_int_equal(rd(UART_BASE + DR, 4), 'i');
	assert_int_equal(rd(UART_BASE + FR, 4) & FR_RXFE, FR_RXFE);
	/* the FIFO's limit is the VM's: a full one refuses the byte */
	while (vm_console_input(&vm, (u8)('a' + taken)))
		taken++;
	assert_int_equal(taken, 32);
	assert_int_equal(rd(UART_BASE + DR, 1), 'a');
	assert_true(vm_console_input(&vm, '!'));
	/* a VM with no console device takes (and loses) the byte */
	vm.console_input = NULL;
	vm.console_dev = NULL;
	assert_true(vm_console_input(&vm, 'x'));
}

static void test_uart_irq_line(void **state)
{
	build_and_attach();
	wr(UART_BASE + IMSC, 4, INT_RX | (1u << 6));  /* one byte: the timeout interrupt */
	assert_int_equal(fake.line_sets, 0);
	assert_true(vm_console_input(&vm, 'z'));
	assert_true(fake.line_level[UART_LINE]);
	assert_ptr_equal(fake.line_vm, &vm);
	assert_int_equal(fake.line, UART_LINE);
	assert_int_equal(fake.line_sets, 1);
	/* taking the byte lowers it */
	assert_int_equal(rd(UART_BASE + DR, 4), 'z');
	assert_false(fake.line_level[UART_LINE]);
	assert_int_equal(fake.line_sets, 2);
	assert_false(fake.line_level[GPIO_LINE]);
}

static void test_power_button(void **state)
{
	build_and_attach();
	assert_int_equal(rd(GPIO_BASE + GPIODATA_ALL, 4), 0);
	/* an interrupt on the rising edge of pin 3 */
	wr(GPIO_BASE + GPIOIEV, 4, 1u << 3);
	wr(GPIO_BASE + GPIOIE, 4, 1u << 3);
	assert_false(fake.line_level[GPIO_LINE]);
	vm.power_press(vm.power_dev);
	assert_true(fake.line_level[GPIO_LINE]);
	assert_ptr_equal(fake.line_vm, &vm);
	assert_int_equal(fake.line, GPIO_LINE);
	/* the pin reads high, and only pin 3 */
	assert_int_equal(rd(GPIO_BASE + GPIODATA_PIN3, 4), 1u << 3);
	/* it was seen: the button is released */
	assert_int_equal(rd(GPIO_BASE + GPIODATA_ALL, 4), 0);
	wr(GPIO_BASE + GPIOIC, 4, 1u << 3);
	assert_false(fake.line_level[GPIO_LINE]);
	assert_false(fake.line_level[UART_LINE]);
	/* pressed again, it is high again */
	vm.power_press(vm.power_dev);
	assert_int_equal(rd(GPIO_BASE + GPIODATA_ALL, 4), 1u << 3);
}

static void test_reset(void **state)
{
	struct tstate *t;

	build();
	assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(TEST_BASE), TEST_SIZE, -1, 0, &why), 0);
	assert_int_equal(vboard_attach(&vm, &why), 0);
	t = vm.board->dev[2].priv;
	wr(UART_BASE + IMSC, 4, 0x50);
	wr(UART_BASE + CR, 4, 0x301);
	assert_true(vm_console_input(&vm, 'q'));
	wr(GPIO_BASE + GPIODIR, 4, 0xff);
	wr(GPIO_BASE + GPIODATA_ALL, 4, 0xa5);
	assert_int_equal(rd(UART_BASE + IMSC, 4), 0x50);
	assert_int_equal(rd(GPIO_BASE + GPIODIR, 4), 0xff);
	assert_int_equal(rd(GPIO_BASE + GPIODATA_ALL, 4), 0xa5);

	vboard_reset(&vm);
	assert_int_equal(rd(UART_BASE + IMSC, 4), 0);
	assert_int_equal(rd(UART_BASE + CR, 4), 0x300);
	assert_int_equal(rd(UART_BASE + FR, 4), FR_RXFE | FR_TXFE);   /* the input is gone */
	assert_int_equal(rd(GPIO_BASE + GPIODIR, 4), 0);
	assert_int_equal(rd(GPIO_BASE + GPIODATA_ALL, 4), 0);
	assert_int_equal(t->resets, 1);
	/* the devices keep their places and roles */
	assert_int_equal(vm.bus.count, 3);
	assert_ptr_equal(vm_console_device(&vm), &vm.board->dev[0]);
	assert_ptr_equal(vm_power_button_device(&vm), &vm.board->dev[1]);
	assert_true(vm_console_input(&vm, 'r'));
	assert_int_equal(rd(UART_BASE + DR, 4), 'r');
}

/* Nothing of `buf` from `from` on was written. */
static void untouched(const char *buf, u32 from, u32 size)
{
	for (u32 i = from; i < size; i++)
		if (buf[i] != 'Z')
			fail_msg("byte %u past the end was written", i);
}

static void test_describe(void **state)
{
	char buf[64];

	build();
	memset(buf, 'Z', sizeof(buf));
	vboard_describe(&vm, buf, sizeof(buf));
	assert_string_equal(buf, "pl011@0x9000000, pl061@0x9030000");
	assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(0x08001000), 0x1000, -1, 0, &why), 0);
	vboard_describe(&vm, buf, sizeof(buf));
	assert_string_equal(buf, "testdev@0x8001000, pl011@0x9000000, pl061@0x9030000");
	/* a short buffer gets what fits, terminated, and nothing past it */
	memset(buf, 'Z', sizeof(buf));
	vboard_describe(&vm, buf, 12);
	assert_string_equal(buf, "testdev@0x8");
	untouched(buf, 12, sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	vboard_describe(&vm, buf, 22);
	assert_string_equal(buf, "testdev@0x8001000, pl");
	untouched(buf, 22, sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	vboard_describe(&vm, buf, 1);
	assert_string_equal(buf, "");
	untouched(buf, 1, sizeof(buf));
	/* an empty table says nothing */
	vm.board->count = 0;
	vboard_describe(&vm, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* --- the device tree ------------------------------------------------------ */

static u8 dtb[64 * KiB];

static void open_dtb(struct fdt *f, u32 size)
{
	assert_int_equal(fdt_open(f, dtb, size), 0);
}

/* How many nodes in the tree are named `name` (with any unit address). */
static u32 count_nodes(const struct fdt *f, const char *name)
{
	u32 n = 0;
	int d, node;

	for (node = fdt_next_node(f, -1, &d); node >= 0; node = fdt_next_node(f, node, &d))
		n += fdt_node_name_is(f, node, name);
	return n;
}

/* The apb-pclk node: there is exactly one; returns its phandle. */
static u32 check_apb_clock(const struct fdt *f)
{
	int clk = fdt_find_path(f, "/apb-pclk");
	u32 phandle, v;

	assert_int_equal(count_nodes(f, "apb-pclk"), 1);
	assert_true(clk >= 0);
	assert_true(fdt_is_compatible(f, clk, "fixed-clock"));
	assert_true(fdt_prop_u32(f, clk, "#clock-cells", &v));
	assert_int_equal(v, 0);
	assert_true(fdt_prop_u32(f, clk, "clock-frequency", &v));
	assert_int_equal(v, 24000000);
	assert_true(fdt_prop_u32(f, clk, "phandle", &phandle));
	assert_int_not_equal(phandle, 0);
	assert_int_not_equal(phandle, VDT_PHANDLE_INTC);
	assert_int_equal(fdt_find_phandle(f, phandle), clk);
	return phandle;
}

static void check_uart(const struct fdt *f, const char *path, u64 base, u32 line, u32 clk)
{
	int n = fdt_find_path(f, path);
	const u32 irq[1] = { line }, clocks[2] = { clk, clk };
	u64 addr, size;

	if (n < 0)
		fail_msg("no node %s", path);
	assert_true(fdt_is_compatible(f, n, "arm,pl011"));
	assert_true(fdt_is_compatible(f, n, "arm,primecell"));
	assert_true(fdt_get_reg(f, n, 0, &addr, &size));
	assert_int_equal(addr, base);
	assert_int_equal(size, 0x1000);
	check_cells(f, n, "interrupts", irq, 1);
	check_cells(f, n, "clocks", clocks, 2);
}

/* The PL061 at `path`; returns its phandle. */
static u32 check_gpio(const struct fdt *f, const char *path, u64 base, u32 line, u32 clk)
{
	int n = fdt_find_path(f, path);
	const u32 irq[1] = { line }, clocks[1] = { clk };
	u64 addr, size;
	u32 phandle, v;

	if (n < 0)
		fail_msg("no node %s", path);
	assert_true(fdt_is_compatible(f, n, "arm,pl061"));
	assert_true(fdt_get_reg(f, n, 0, &addr, &size));
	assert_int_equal(addr, base);
	assert_int_equal(size, 0x1000);
	check_cells(f, n, "interrupts", irq, 1);
	check_cells(f, n, "clocks", clocks, 1);
	assert_true(fdt_prop_u32(f, n, "#gpio-cells", &v));
	assert_int_equal(v, 2);
	assert_true(fdt_prop_u32(f, n, "phandle", &phandle));
	assert_int_not_equal(phandle, 0);
	assert_int_not_equal(phandle, VDT_PHANDLE_INTC);
	assert_int_not_equal(phandle, clk);
	assert_int_equal(fdt_find_phandle(f, phandle), n);
	return phandle;
}

/* /gpio-keys/poweroff: the power key on pin 3 of the controller `gpio`. */
static void check_power_key(const struct fdt *f, u32 gpio)
{
	int key = fdt_find_path(f, "/gpio-keys/poweroff");
	const u32 gpios[3] = { gpio, 3, 0 };
	u32 v;

	assert_int_equal(count_nodes(f, "gpio-keys"), 1);
	assert_true(fdt_is_compatible(f, fdt_find_path(f, "/gpio-keys"), "gpio-keys"));
	assert_true(key >= 0);
	check_cells(f, key, "gpios", gpios, 3);
	assert_true(fdt_prop_u32(f, key, "linux,code", &v));
	assert_int_equal(v, 116);
}

static void test_guest_dt(void **state)
{
	struct boot_layout b = { 0 };
	struct fdt f;
	u64 free_before;
	u32 clk, gpio;
	int size, chosen;

	build_and_attach();
	free_before = hv_pages.free_pages;
	strcpy(vm.cfg.extra, "console=ttyAMA0");
	size = guest_dt_build(&vm, &b, dtb, sizeof(dtb));
	assert_true(size > 0);
	assert_int_equal(hv_pages.free_pages, free_before);   /* its scratch page went back */
	open_dtb(&f, (u32)size);
	clk = check_apb_clock(&f);
	check_uart(&f, "/pl011@9000000", UART_BASE, UART_LINE, clk);
	gpio = check_gpio(&f, "/pl061@9030000", GPIO_BASE, GPIO_LINE, clk);
	check_power_key(&f, gpio);
	chosen = fdt_find_path(&f, "/chosen");
	assert_true(chosen >= 0);
	assert_string_equal(fdt_prop_string(&f, chosen, "stdout-path"), "/pl011@9000000");
	assert_string_equal(fdt_prop_string(&f, chosen, "bootargs"), "console=ttyAMA0");
	/* the arch's part is there too (the fake's one node per vCPU) */
	assert_true(fdt_find_path(&f, "/cpus/cpu@1") >= 0);
	assert_true(fdt_find_path(&f, "/cpus/cpu@2") < 0);
	/* nothing for kinds the VM does not have */
	assert_int_equal(count_nodes(&f, "testdev"), 0);
}

/* A VM with no console device has no stdout-path. */
static void test_guest_dt_without_console(void **state)
{
	struct boot_layout b = { 0 };
	struct fdt f;
	int size, chosen;

	build_and_attach();
	vm.console_dev = NULL;
	size = guest_dt_build(&vm, &b, dtb, sizeof(dtb));
	assert_true(size > 0);
	open_dtb(&f, (u32)size);
	chosen = fdt_find_path(&f, "/chosen");
	assert_true(chosen >= 0);
	assert_null(fdt_prop_string(&f, chosen, "stdout-path"));
	/* the UART is still described */
	assert_true(fdt_find_path(&f, "/pl011@9000000") >= 0);
}

/*
 * vboard_dt with a second UART, a second GPIO controller and a test device:
 * one bus clock for all, the console stays the first UART, the power key the
 * first controller's.
 */
static void test_board_dt_more_devices(void **state)
{
	static u8 strings[PAGE_SIZE];
	struct fdt_writer w;
	struct vdt dt = { .w = &w, .vm = &vm, .intc_phandle = VDT_PHANDLE_INTC,
			  .next_phandle = VDT_PHANDLE_INTC + 1 };
	struct fdt f;
	const struct vdev_kind *pl011 = vdev_kind_by_name("pl011");
	const struct vdev_kind *pl061 = vdev_kind_by_name("pl061");
	u32 clk, gpio, gpio2, v;
	int size, t;
	u64 addr, len;

	build();
	assert_int_equal(vboard_add(&vm, pl011, ipa_init(0x09040000), 0x1000, 9, 1, &why), 0);
	assert_int_equal(vboard_add(&vm, pl061, ipa_init(0x09050000), 0x1000, 10, 1, &why), 0);
	assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(TEST_BASE), TEST_SIZE, TEST_LINE, 5,
				    &why), 0);
	assert_int_equal(vboard_attach(&vm, &why), 0);
	assert_ptr_equal(vm_console_device(&vm), &vm.board->dev[0]);
	assert_ptr_equal(vm_power_button_device(&vm), &vm.board->dev[1]);

	fdtw_init(&w, dtb, sizeof(dtb), strings, sizeof(strings));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	vboard_dt(&vm, &dt);
	fdtw_end_node(&w);
	size = fdtw_finish(&w);
	assert_true(size > 0);
	assert_string_equal(dt.stdout_path, "/pl011@9000000");
	open_dtb(&f, (u32)size);

	clk = check_apb_clock(&f);
	assert_int_equal(dt.apb_clock_phandle, clk);
	check_uart(&f, "/pl011@9000000", UART_BASE, UART_LINE, clk);
	check_uart(&f, "/pl011@9040000", 0x09040000, 9, clk);
	assert_int_equal(count_nodes(&f, "pl011"), 2);
	gpio = check_gpio(&f, "/pl061@9030000", GPIO_BASE, GPIO_LINE, clk);
	gpio2 = check_gpio(&f, "/pl061@9050000", 0x09050000, 10, clk);
	assert_int_not_equal(gpio, gpio2);
	check_power_key(&f, gpio);
	/* the test device wrote its own node */
	t = fdt_find_path(&f, "/testdev@9100000");
	assert_true(t >= 0);
	assert_true(fdt_get_reg(&f, t, 0, &addr, &len));
	assert_int_equal(addr, TEST_BASE);
	assert_int_equal(len, TEST_SIZE);
	assert_true(fdt_prop_u32(&f, t, "interrupts", &v));
	assert_int_equal(v, TEST_LINE);
	assert_true(fdt_prop_u32(&f, t, "instance", &v));
	assert_int_equal(v, 5);
	/* the second UART takes no input and is not the console */
	assert_true(vm_console_input(&vm, 'k'));
	assert_int_equal(rd(0x09040000 + FR, 4) & FR_RXFE, FR_RXFE);
	assert_int_equal(rd(UART_BASE + DR, 4), 'k');
}

/* --- the device arena ----------------------------------------------------- */

static void test_arena_release(void **state)
{
	struct dev_arena_chunk chunks[DEV_ARENA_CHUNKS];
	u32 npages, nchunks, scrubs_before;

	build();
	/* enough devices with state for several pages */
	for (u32 i = 0; i < 30; i++)
		assert_int_equal(vboard_add(&vm, &test_kind, ipa_init(0x09100000 + (u64)i * 0x1000),
					    0x1000, -1, i, &why), 0);
	assert_int_equal(vboard_attach(&vm, &why), 0);
	nchunks = vm.dev_mem.nchunks;
	npages = (u32)(dev_arena_bytes(&vm.dev_mem) / PAGE_SIZE);
	assert_true(npages >= 3);
	assert_int_equal(hv_pages.free_pages, free_at_start - npages);
	memcpy(chunks, vm.dev_mem.chunk, sizeof(chunks));
	/* guest data in the devices' state */
	assert_true(vm_console_input(&vm, 's'));
	for (u32 i = 2; i < vm.board->count; i++)
		memset(((struct tstate *)vm.board->dev[i].priv)->pad, 0xee, sizeof(((struct tstate *)0)->pad));

	scrubs_before = fake.scrubs;
	dev_arena_release(&vm.dev_mem);
	vm.board = NULL;
	assert_int_equal(hv_pages.free_pages, free_at_start);
	assert_int_equal(vm.dev_mem.nchunks, 0);
	assert_int_equal(dev_arena_bytes(&vm.dev_mem), 0);
	assert_int_equal(fake.scrubs, scrubs_before + nchunks);
	for (u32 i = 0; i < nchunks; i++) {
		const u8 *p = pa_to_ptr(chunks[i].pa);
		u64 bytes = chunks[i].npages * PAGE_SIZE;
		bool scrubbed = false;

		assert_true(page_is_free(&hv_pages, chunks[i].pa));
		for (u32 s = scrubs_before; s < fake.scrubs && s < FAKE_LOG_MAX; s++)
			scrubbed |= fake.scrub[s].p == p && fake.scrub[s].size == bytes;
		assert_true(scrubbed);
		for (u64 j = 0; j < bytes; j++)
			assert_int_equal(p[j], 0);
	}
	/* released twice: nothing more */
	dev_arena_release(&vm.dev_mem);
	assert_int_equal(fake.scrubs, scrubs_before + nchunks);
	assert_int_equal(hv_pages.free_pages, free_at_start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kinds_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_config_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_without_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_keeps_address_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_own_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uart_irq_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_dt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_dt_without_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_board_dt_more_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_release, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
