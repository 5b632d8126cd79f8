/*
 * VM lifetime (core/vm.c): references taken by lookups, destroy while a
 * reference is held, and the last vm_put() that frees and scrubs the VM.
 * Everything outside arch/ is linked with the fake arch; the VMs come from
 * a boot package built in memory, their memory from a host buffer given to
 * `hv_pages`. Two CPUs are online.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/console.h"
#include "core/cpu.h"
#include "core/package.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "fake_arch.h"

#define BANK_SIZE (40 * MiB)
#define VM_RAM (8 * MiB)
#define KERNEL_SIZE (16 * KiB)

static u8 *bank;
static u64 bank_bitmap[BANK_SIZE / PAGE_SIZE / 64];
static u64 free0;
static struct package pkg;
static u8 *pkg_buf;
static u8 *kernel;
static const char *why;

/* --- the boot package ------------------------------------------------------ */

struct item {
	u32 kind, vm;
	const char *name;
	const u8 *data;
	u64 size;
};

static void make_package(const struct item *items, u32 n)
{
	u64 off = sizeof(struct pkg_header) + n * sizeof(struct pkg_entry), size = off;
	struct pkg_header *h;
	struct pkg_entry *e;
	const char *err = NULL;

	for (u32 i = 0; i < n; i++)
		size += align_up(items[i].size, 8);
	pkg_buf = calloc(1, size);
	assert_non_null(pkg_buf);
	h = (struct pkg_header *)pkg_buf;
	e = (struct pkg_entry *)(h + 1);
	memcpy(h->magic, PKG_MAGIC, 8);
	h->version = 1;
	h->count = n;
	h->total_size = size;
	for (u32 i = 0; i < n; i++) {
		e[i].kind = items[i].kind;
		e[i].vm = items[i].vm;
		e[i].offset = off;
		e[i].size = items[i].size;
		strcpy(e[i].name, items[i].name);
		memcpy(pkg_buf + off, items[i].data, items[i].size);
		off += align_up(items[i].size, 8);
	}
	assert_int_equal(package_open(&pkg, pkg_buf, size, &err), 0);
}

/* A Linux arm64 Image: header, then a recognisable body. */
static u8 *make_image(u64 size)
{
	u8 *k = malloc(size);

	assert_non_null(k);
	for (u64 i = 0; i < size; i++)
		k[i] = (u8)(i * 7 + 3);
	memset(k, 0, 64);
	k[8 + 2] = 0x08;          /* text_offset 0x80000 */
	k[16 + 2] = 0x08;         /* image_size 0x80000 */
	k[24] = 0x0a;
	memcpy(k + 56, "ARM\x64", 4);
	return k;
}

static const char cfg_a[] = "name = \"a\"\nmemory = 8\nkernel = \"Image\"\nautostart = 0\n";
static const char cfg_b[] = "name = \"b\"\nmemory = 8\nkernel = \"Image\"\nautostart = 0\n";
/* more memory than the pool has */
static const char cfg_big[] = "name = \"big\"\nmemory = 64\nkernel = \"Image\"\nautostart = 0\n";
/* a VM named by digits: the name wins over the id */
static const char cfg_num[] = "name = \"1\"\nmemory = 8\nkernel = \"Image\"\nautostart = 0\n";

enum { VM_A, VM_B, VM_BIG, VM_NUM };

/* What Bulkhead prints, for a failing test's log. */
static void out_putc(char c)
{
	if (getenv("TEST_VERBOSE"))
		fputc(c, stderr);
}

static const struct console_ops out_ops = { .putc = out_putc };

static int setup(void **state)
{
	struct item items[] = {
		{ PKG_CONFIG, VM_A, "a.cfg", (const u8 *)cfg_a, sizeof(cfg_a) - 1 },
		{ PKG_KERNEL, VM_A, "Image", NULL, KERNEL_SIZE },
		{ PKG_CONFIG, VM_B, "b.cfg", (const u8 *)cfg_b, sizeof(cfg_b) - 1 },
		{ PKG_KERNEL, VM_B, "Image", NULL, KERNEL_SIZE },
		{ PKG_CONFIG, VM_BIG, "big.cfg", (const u8 *)cfg_big, sizeof(cfg_big) - 1 },
		{ PKG_KERNEL, VM_BIG, "Image", NULL, KERNEL_SIZE },
		{ PKG_CONFIG, VM_NUM, "num.cfg", (const u8 *)cfg_num, sizeof(cfg_num) - 1 },
		{ PKG_KERNEL, VM_NUM, "Image", NULL, KERNEL_SIZE },
	};

	fake_arch_reset();
	console_init(&out_ops);
	memset(vms, 0, sizeof(vms));
	memset(cpus, 0, sizeof(cpus));
	memset(&platform, 0, sizeof(platform));
	platform.ncpus = 2;
	for (u32 i = 0; i < platform.ncpus; i++) {
		cpus[i].index = i;
		cpus[i].online = true;
	}
	bank = aligned_alloc(2 * MiB, BANK_SIZE);
	assert_non_null(bank);
	memset(bank, 0x55, BANK_SIZE);     /* an old owner's data */
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(bank_bitmap, 0, sizeof(bank_bitmap));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(bank), BANK_SIZE, bank_bitmap), 0);
	free0 = hv_pages.free_pages;
	kernel = make_image(KERNEL_SIZE);
	for (u32 i = 0; i < ARRAY_SIZE(items); i++)
		if (items[i].kind == PKG_KERNEL)
			items[i].data = kernel;
	make_package(items, ARRAY_SIZE(items));
	why = NULL;
	return 0;
}

/* Destroys what is left and drops every reference, catching the power-off
 * that destroying the last running VM asks for. */
/* Runs the background RAM releases of destroyed VMs to their end, a second
 * of counter time per round (each step waits its gap); the rounds they took. */
static u32 drain_ram_release(void)
{
	u32 rounds = 0;

	while (work_next_due(0) && rounds < 10000) {
		fake.counter += fake.counter_freq;
		work_run(0);
		rounds++;
	}
	return rounds;
}

static int teardown(void **state)
{
	for (volatile u32 i = 0; i < MAX_VMS; i++) {
		jmp_buf off;
		const char *err;

		if (vms[i].state == VM_RUNNING || vms[i].state == VM_STOPPED) {
			fake.system_off_jmp = &off;
			if (!setjmp(off))
				vm_destroy(&vms[i], &err);
			fake.system_off_jmp = NULL;
		}
		while (vms[i].state == VM_DYING)
			vm_put(&vms[i]);
	}
	drain_ram_release();
	/* every page is back */
	assert_int_equal(hv_pages.free_pages, free0);
	free(bank);
	free(pkg_buf);
	free(kernel);
	bank = pkg_buf = kernel = NULL;
	return 0;
}

/* --- helpers --------------------------------------------------------------- */

/* Creates VM `index` of the package; returns it (no reference taken). */
static struct vm *create(u32 index)
{
	struct vm *vm = NULL;
	u32 newest = 0;

	assert_int_equal(vm_create_from_package(&pkg, index), 0);
	for (u32 i = 0; i < MAX_VMS; i++) {
		if (vms[i].state == VM_RUNNING && vms[i].id > newest) {
			newest = vms[i].id;
			vm = &vms[i];
		}
	}
	assert_non_null(vm);
	assert_int_equal(vm->refs, 1);
	assert_int_equal(vm->pkg_index, index);
	return vm;
}

static char *digits(u32 id)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	return buf;
}

/* The VM's RAM, which a fresh pool gives as one run. */
static u8 *ram_of(struct vm *vm)
{
	paddr_t first;

	assert_int_equal(guest_ram_runs(&vm->ram, &first), 1);
	return pa_to_ptr(first);
}

/* True when the fake scrubbed exactly [p, p + size) since log entry `from`. */
static bool scrubbed_since(u32 from, const void *p, u64 size)
{
	for (u32 i = from; i < fake.scrubs && i < FAKE_LOG_MAX; i++)
		if (fake.scrub[i].p == p && fake.scrub[i].size == size)
			return true;
	return false;
}

/* Scrubbed since log entry `from` in pieces that cover [p, p + size). */
static bool scrubbed_in_pieces_since(u32 from, const u8 *p, u64 size)
{
	u64 covered = 0;

	for (u32 i = from; i < fake.scrubs && i < FAKE_LOG_MAX; i++) {
		const u8 *q = fake.scrub[i].p;

		if (q >= p && q + fake.scrub[i].size <= p + size)
			covered += fake.scrub[i].size;
	}
	return covered >= size;
}

static bool all_bytes(const u8 *p, u64 size, u8 v)
{
	for (u64 i = 0; i < size; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Whether `id` is among the ids vm_next_id walks. */
static bool listed(u32 id)
{
	for (u32 next = vm_next_id(0); next; next = vm_next_id(next))
		if (next == id)
			return true;
	return false;
}

/* --- tests ----------------------------------------------------------------- */

static void test_create(void **state)
{
	struct vm *a = create(VM_A);
	u8 *ram = ram_of(a);

	assert_string_equal(a->cfg.name, "a");
	assert_int_equal(a->state, VM_RUNNING);
	assert_int_equal(a->ram.size, VM_RAM);
	assert_int_equal(a->ram.pages, VM_RAM / PAGE_SIZE);
	assert_true(ram >= bank && ram + VM_RAM <= bank + BANK_SIZE);
	/* RAM was scrubbed when it was given, then the kernel loaded */
	assert_true(fake.scrubs >= 1);
	assert_true(scrubbed_since(0, ram, VM_RAM));
	assert_memory_equal(ram + 0x80000, kernel, KERNEL_SIZE);
	assert_true(hv_pages.free_pages < free0 - VM_RAM / PAGE_SIZE);
	assert_int_equal(vm_running_count(), 1);
	assert_true(listed(a->id));
	assert_ptr_equal(vm_console_device(a), &a->board->dev[0]);
}

static void test_lookups_take_a_reference(void **state)
{
	struct vm *a = create(VM_A), *b = create(VM_B), *got;

	assert_int_not_equal(a->id, b->id);
	got = vm_get_by_id(a->id);
	assert_ptr_equal(got, a);
	assert_int_equal(a->refs, 2);
	got = vm_get_by_name_or_id("a");
	assert_ptr_equal(got, a);
	assert_int_equal(a->refs, 3);
	got = vm_get_by_name_or_id(digits(a->id));
	assert_ptr_equal(got, a);
	assert_int_equal(a->refs, 4);
	got = vm_get_by_name_or_id("b");
	assert_ptr_equal(got, b);
	assert_int_equal(b->refs, 2);
	assert_int_equal(a->refs, 4);
	/* nothing by names and numbers that are not there, and no reference */
	assert_null(vm_get_by_name_or_id("c"));
	assert_null(vm_get_by_name_or_id(""));
	assert_null(vm_get_by_name_or_id("A"));
	assert_null(vm_get_by_name_or_id("a "));
	assert_null(vm_get_by_id(0));
	assert_null(vm_get_by_id(b->id + 100));
	assert_null(vm_get_by_name_or_id(digits(b->id + 100)));
	assert_null(vm_get_by_name_or_id("1x"));
	{
		char buf[24];

		/* an id must be all digits */
		snprintf(buf, sizeof(buf), "%ux", a->id);
		assert_null(vm_get_by_name_or_id(buf));
		snprintf(buf, sizeof(buf), " %u", a->id);
		assert_null(vm_get_by_name_or_id(buf));
		snprintf(buf, sizeof(buf), "%u.0", a->id);
		assert_null(vm_get_by_name_or_id(buf));
	}
	assert_null(vm_get_by_name_or_id("-1"));
	assert_null(vm_get_by_name_or_id("99999999999999999999"));
	assert_int_equal(a->refs, 4);
	assert_int_equal(b->refs, 2);
	/* giving them back leaves the VM as it was */
	vm_put(a);
	vm_put(a);
	vm_put(a);
	vm_put(b);
	assert_int_equal(a->refs, 1);
	assert_int_equal(b->refs, 1);
	assert_int_equal(a->state, VM_RUNNING);
	assert_int_equal(b->state, VM_RUNNING);
	assert_ptr_equal(vm_get_by_name_or_id("a"), a);
	vm_put(a);
}

/* A VM named "1" is found by its name, even when another VM has id 1 (the
 * first VM of the run, when this test runs first). */
/* A name of digits would shadow an id in the shell: such a config is refused
 * (config error naming the key), and digits always mean an id. */
static void test_digit_names_are_refused(void **state)
{
	struct vm *a = create(VM_A), *got;

	assert_int_equal(vm_create_from_package(&pkg, VM_NUM), -1);
	got = vm_get_by_name_or_id(digits(a->id));
	assert_ptr_equal(got, a);
	vm_put(got);
	assert_int_equal(a->refs, 1);
}

static void test_destroy_while_held(void **state)
{
	struct vm *b = create(VM_B);
	u64 free_b = hv_pages.free_pages;
	struct vm *a = create(VM_A), *held;
	u64 free_ab = hv_pages.free_pages;
	u8 *ram = ram_of(a);
	u8 *con = a->con.buf;
	struct vcpu *vcpus = a->vcpus;
	u32 id = a->id, scrubs;

	held = vm_get_by_id(id);
	assert_ptr_equal(held, a);
	scrubs = fake.scrubs;
	assert_int_equal(vm_destroy(a, &why), 0);
	assert_int_equal(fake.system_offs, 0);     /* b still runs */
	/* unreachable, but its memory stays while the reference does */
	assert_int_equal(a->state, VM_DYING);
	assert_int_equal(a->refs, 1);
	assert_int_equal(hv_pages.free_pages, free_ab);
	assert_false(scrubbed_since(scrubs, ram, VM_RAM));
	assert_memory_equal(ram + 0x80000, kernel, KERNEL_SIZE);
	assert_ptr_equal(ram_of(a), ram);
	assert_null(vm_get_by_id(id));
	assert_null(vm_get_by_name_or_id("a"));
	assert_null(vm_get_by_name_or_id(digits(id)));
	assert_false(listed(id));
	assert_true(listed(b->id));
	assert_int_equal(vm_next_id(0), b->id);
	assert_int_equal(vm_next_id(b->id), 0);
	assert_int_equal(vm_running_count(), 1);
	assert_int_equal(a->refs, 1);              /* the failed lookups took nothing */
	/* the holder may still look at it */
	assert_string_equal(held->cfg.name, "a");
	assert_int_equal(fake.s2_destroys, 0);

	/* the last reference frees it, scrubbed */
	scrubs = fake.scrubs;
	vm_put(held);
	assert_int_equal(a->state, VM_FREE);
	assert_int_equal(a->refs, 0);
	drain_ram_release();
	assert_int_equal(hv_pages.free_pages, free_b);
	assert_true(scrubbed_in_pieces_since(scrubs, ram, VM_RAM));
	assert_true(scrubbed_since(scrubs, con, PAGE_SIZE));
	/* the vCPUs' registers are the guest's too: the arena's page holding them */
	assert_true(scrubbed_since(scrubs, vcpus, PAGE_SIZE));
	assert_true(all_bytes(ram, VM_RAM, 0));
	assert_true(page_is_free(&hv_pages, ptr_to_pa(ram)));
	assert_null(a->ram.chunks);
	assert_null(a->board);
	assert_int_equal(a->dev_mem.nchunks, 0);
	assert_int_equal(fake.s2_destroys, 1);
	/* b is untouched */
	assert_int_equal(b->state, VM_RUNNING);
	assert_int_equal(b->refs, 1);
}

/* vm_put_soon (an interrupt handler's put): a reference not the last goes
 * at once; the last one frees the VM only in CPU 0's deferred work. */
static void test_put_soon_leaves_the_last_to_the_work(void **state)
{
	struct vm *b = create(VM_B);
	u64 free_b = hv_pages.free_pages;
	struct vm *a = create(VM_A), *held, *held2;
	u64 free_ab = hv_pages.free_pages;

	held = vm_get_by_id(a->id);
	held2 = vm_get_by_id(a->id);
	assert_int_equal(a->refs, 3);
	vm_put_soon(held2);
	assert_int_equal(a->refs, 2);
	assert_int_equal(vm_destroy(a, &why), 0);
	assert_int_equal(a->refs, 1);
	vm_put_soon(held);
	/* still whole: freeing is the work's */
	assert_int_equal(a->state, VM_DYING);
	assert_int_equal(a->refs, 1);
	assert_int_equal(hv_pages.free_pages, free_ab);
	fake.counter = 1000;  /* work queued "at once" is due from now */
	work_run(0);
	assert_int_equal(a->state, VM_FREE);
	assert_int_equal(a->refs, 0);
	drain_ram_release();
	assert_int_equal(hv_pages.free_pages, free_b);
	assert_int_equal(b->state, VM_RUNNING);
}

/* The slot is free at once; the RAM comes back in the background, in 2 MiB
 * steps (4 for 8 MiB), each page scrubbed before it is free. */
static void test_destroy_unheld_frees_at_once(void **state)
{
	struct vm *b = create(VM_B);
	u64 free_b = hv_pages.free_pages;
	struct vm *a = create(VM_A);
	u8 *ram = ram_of(a);
	u32 scrubs = fake.scrubs;

	assert_int_equal(vm_destroy(a, &why), 0);
	assert_int_equal(a->state, VM_FREE);
	assert_true(hv_pages.free_pages < free_b - VM_RAM / PAGE_SIZE);
	assert_true(all_bytes(ram, VM_RAM, 0) == false);
	assert_true(drain_ram_release() >= VM_RAM / (2 * MiB));
	assert_int_equal(hv_pages.free_pages, free_b);
	assert_true(scrubbed_in_pieces_since(scrubs, ram, VM_RAM));
	assert_true(all_bytes(ram, VM_RAM, 0));
	assert_int_equal(b->state, VM_RUNNING);
}

static void test_destroy_twice_refused(void **state)
{
	struct vm *a = create(VM_A), *b = create(VM_B), *held = vm_get_by_id(a->id);
	u64 free_ab = hv_pages.free_pages;

	assert_non_null(held);
	assert_int_equal(vm_destroy(a, &why), 0);
	why = NULL;
	assert_int_equal(vm_destroy(a, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "it is being destroyed already");
	/* nothing changed: still dying, still held, memory still there */
	assert_int_equal(a->state, VM_DYING);
	assert_int_equal(a->refs, 1);
	assert_int_equal(hv_pages.free_pages, free_ab);
	/* other actions refuse a dying VM too */
	why = NULL;
	assert_int_equal(vm_reboot(a, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(vm_shutdown(a, &why), -1);
	assert_non_null(why);
	assert_int_equal(vm_pause(a, true, &why), -1);
	vm_put(held);
	assert_int_equal(a->state, VM_FREE);
	/* and once it is gone */
	why = NULL;
	assert_int_equal(vm_destroy(a, &why), -1);
	assert_non_null(why);
	assert_int_equal(b->state, VM_RUNNING);
}

/* The old VM's name is free as soon as it is dying, even while it is held. */
static void test_recreate_while_held(void **state)
{
	struct vm *b, *a, *held, *a2, *got;
	u64 free_before_a, free_after_a, free_with_a2;
	u8 *ram;

	/* none autostarts; `create` finds them (the digit-named one is refused) */
	assert_int_equal(vm_boot_all(&pkg), 3);
	assert_int_equal(vm_running_count(), 0);
	assert_int_equal(vm_create_by_name("b", &why), 0);
	b = vm_get_by_name_or_id("b");
	assert_non_null(b);
	vm_put(b);
	free_before_a = hv_pages.free_pages;
	assert_int_equal(vm_create_by_name("a", &why), 0);
	free_after_a = hv_pages.free_pages;
	why = NULL;
	assert_int_equal(vm_create_by_name("a", &why), -1);
	assert_string_equal(why, "a VM of that name exists already");
	assert_int_equal(vm_create_by_name("nope", &why), -1);
	assert_string_equal(why, "no VM of that name in the boot image or the pool");
	held = vm_get_by_name_or_id("a");
	assert_non_null(held);
	a = held;
	ram = ram_of(a);
	assert_int_equal(vm_destroy(a, &why), 0);
	assert_int_equal(a->state, VM_DYING);

	/* a new "a", in another slot with a new id, beside the held one */
	assert_int_equal(vm_create_by_name("a", &why), 0);
	got = vm_get_by_name_or_id("a");
	assert_non_null(got);
	a2 = got;
	assert_ptr_not_equal(a2, a);
	assert_true(a2->id > a->id);
	assert_int_equal(a2->state, VM_RUNNING);
	assert_ptr_not_equal(ram_of(a2), ram);
	assert_int_equal(a->state, VM_DYING);
	assert_memory_equal(ram + 0x80000, kernel, KERNEL_SIZE);
	assert_null(vm_get_by_id(a->id));
	vm_put(got);
	assert_int_equal(vm_running_count(), 2);
	free_with_a2 = hv_pages.free_pages;
	assert_int_equal(free_after_a - free_with_a2, free_before_a - free_after_a);

	/* the old one goes; the new one stays */
	vm_put(held);
	assert_int_equal(a->state, VM_FREE);
	assert_int_equal(a2->state, VM_RUNNING);
	assert_int_equal(a2->refs, 1);
	drain_ram_release();
	assert_int_equal(hv_pages.free_pages, free_with_a2 + (free_before_a - free_after_a));
	got = vm_get_by_name_or_id("a");
	assert_ptr_equal(got, a2);
	vm_put(got);
}

/* Destroying the last running VM powers the machine off; a reference held
 * still keeps its memory until it is put. */
static void test_destroy_last_vm_powers_off(void **state)
{
	struct vm *a = create(VM_A);
	struct vm *volatile held = vm_get_by_id(a->id);
	u64 free_a = hv_pages.free_pages;
	u8 *ram = ram_of(a);
	jmp_buf off;

	fake.system_off_jmp = &off;
	if (!setjmp(off)) {
		vm_destroy(a, &why);
		fail_msg("destroying the last VM did not power off");
	}
	fake.system_off_jmp = NULL;
	assert_int_equal(fake.system_offs, 1);
	assert_int_equal(held->state, VM_DYING);
	assert_int_equal(hv_pages.free_pages, free_a);
	vm_put(held);
	assert_int_equal(a->state, VM_FREE);
	drain_ram_release();
	assert_int_equal(hv_pages.free_pages, free0);
	assert_true(all_bytes(ram, VM_RAM, 0));
}

/* A VM that cannot be built takes nothing and leaves nothing behind. */
static void test_failed_create_releases_everything(void **state)
{
	struct vm *b = create(VM_B);
	u64 free_b = hv_pages.free_pages;

	assert_int_equal(vm_create_from_package(&pkg, VM_BIG), -1);
	assert_int_equal(hv_pages.free_pages, free_b);
	assert_null(vm_get_by_name_or_id("big"));
	for (u32 i = 0; i < MAX_VMS; i++)
		assert_true(&vms[i] == b || vms[i].state == VM_FREE);
	assert_int_equal(vm_next_id(0), b->id);
	assert_int_equal(vm_next_id(b->id), 0);
	/* no such VM in the package */
	assert_int_equal(vm_create_from_package(&pkg, 9), -1);
	assert_int_equal(hv_pages.free_pages, free_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_digit_names_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_soon_leaves_the_last_to_the_work, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookups_take_a_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_while_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_unheld_frees_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_twice_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recreate_while_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_last_vm_powers_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_create_releases_everything, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
