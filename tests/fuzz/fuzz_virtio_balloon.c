/*
 * libFuzzer target for the guest's virtio-balloon device
 * (devices/virtio/balloon.c) behind its transport, with the VM's RAM taken
 * from Bulkhead's own pool so that every page the device takes back or gives
 * really moves between the VM and the pool. The harness brings a driver up
 * to four running queues (inflate, deflate, stats, reporting); the input
 * then writes descriptors and PFN arrays, offers chains on any queue, runs
 * the device's work, touches given-back pages as a vCPU's fault would,
 * resets, and asks for targets and status as the shell does. The input is
 * a sequence of 16-byte records:
 *
 *   u8  op   mod 8: 0 descriptor `a % 16` of queue `d % 4` := { RAM_BASE +
 *            b % (RAM_SIZE + 64 KiB), len c % 8 KiB, flags e & 7, next a >> 4 },
 *            1 offer head `a` on queue `d % 4` and notify,
 *            2 two le32 PFNs at buffer word `a`: RAM pages (b, c) % 560 less 16
 *              (so a few lie just outside),
 *            3 CPU 0's work runs,
 *            4 the guest touches RAM page `b % RAM_PAGES` (its fault's fill),
 *            5 reset and set up again,
 *            6 the shell: target `b % (RAM_SIZE + 64 KiB)` bytes, then status,
 *            7 config write of `c` at offset `a % 16`, size 1, 2 or 4
 *   u8  a, u32 b, u32 c, u16 d, u16 e, u8 pad[2]  (all little-endian)
 *
 * Checks after every record: each page of the pool is free, or the VM's
 * (backed in its RAM table and not free), or one of its tables or its
 * devices' pages: free + RAM + tables + arena = all, exactly; the VM never
 * holds more than its maxmem; the used rings never grow past what was
 * offered. At the end the VM's destruction gives the pool back every page.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/dev_arena.h"
#include "core/guest_mem.h"
#include "core/guest_ram.h"
#include "core/log.h"
#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vdev.h"
#include "core/vm.h"
#include "core/vm_ram.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define BASE 0x0a002000ull
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2 * MiB)          /* maxmem 2, memory 1 */
#define RAM_PAGES (RAM_SIZE / PAGE_SIZE)
#define HV_PAGES (RAM_PAGES + 64)   /* its RAM, its tables, the device's state */
#define NQ 4
#define QSIZE 16
#define RINGS(q) (0x1000 + 0x1000 * (u64)(q))   /* desc +0, avail +0x100, used +0x200 */
#define BUFS 0x8000                             /* PFN arrays and stats from here */
#define BUF_WORDS 1024
#define RECORD 16
#define F_STATS (1ull << 1)
#define F_REPORTING (1ull << 5)

void log_msg(enum log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

/* The device's work holds no VM reference; these are for the transport. */
bool vm_get(struct vm *v)
{
	return true;
}

void vm_put(struct vm *v)
{
}

static struct mmio_bus bus;
static struct vm vm;
static u16 offered[NQ], seen_used[NQ];

static void wr(u64 off, u32 value)
{
	u64 v = value;

	CHECK(mmio_access(&bus, ipa_init(BASE + off), 4, true, &v));
}

static u32 rd(u64 off)
{
	u64 v = 0;

	CHECK(mmio_access(&bus, ipa_init(BASE + off), 4, false, &v));
	return (u32)v;
}

/* What the guest's CPU does to its RAM: a store to a page it gave away
 * faults, and the fault's fill gives it a fresh one (or none: the pool is
 * out, and the store is lost as the abort would lose it). */
static void guest_write(u64 off, const void *p, u64 len)
{
	if (guest_mem_write(&vm, ipa_init(RAM_BASE + off), p, len))
		return;
	for (u64 at = off & ~(u64)(PAGE_SIZE - 1); at < off + len; at += PAGE_SIZE)
		vm_ram_fill(&vm, RAM_BASE + at);
	guest_mem_write(&vm, ipa_init(RAM_BASE + off), p, len);
}

static bool guest_read(u64 off, void *p, u64 len)
{
	return guest_mem_read(&vm, ipa_init(RAM_BASE + off), p, len);
}

static void zero_rings(void)
{
	static const u8 zero[0x300];

	for (u32 q = 0; q < NQ; q++) {
		guest_write(RINGS(q) + 0x100, zero, sizeof(zero) - 0x100);
		offered[q] = seen_used[q] = 0;
	}
}

/* Linux's virtio_mmio probe, up to four running queues. */
static void driver_init(void)
{
	u32 lo, hi;

	wr(0x070, 0);
	wr(0x070, 3);
	wr(0x014, 0);
	lo = rd(0x010);
	wr(0x014, 1);
	hi = rd(0x010);
	wr(0x024, 0);
	wr(0x020, lo);
	wr(0x024, 1);
	wr(0x020, hi);
	wr(0x070, 11);
	for (u32 q = 0; q < NQ; q++) {
		wr(0x030, q);
		wr(0x038, QSIZE);
		wr(0x080, (u32)(RAM_BASE + RINGS(q)));
		wr(0x084, 0);
		wr(0x090, (u32)(RAM_BASE + RINGS(q) + 0x100));
		wr(0x094, 0);
		wr(0x0a0, (u32)(RAM_BASE + RINGS(q) + 0x200));
		wr(0x0a4, 0);
		wr(0x044, 1);
	}
	wr(0x070, 15);
	zero_rings();
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* New used entries name a chain of the queue; never more than offered.
 * (A ring page the guest gave away reads as nothing new.) */
static void check_used(void)
{
	for (u32 q = 0; q < NQ; q++) {
		u16 idx;

		if (!guest_read(RINGS(q) + 0x202, &idx, 2))
			continue;
		CHECK((u16)(idx - seen_used[q]) <= (u16)(offered[q] - seen_used[q]));
		for (; seen_used[q] != idx; seen_used[q]++) {
			u32 id;

			if (guest_read(RINGS(q) + 0x204 + 8 * (seen_used[q] % QSIZE), &id, 4))
				CHECK(id < QSIZE);
		}
	}
}

/* Every pool page has exactly one place. */
static void check_pool(void)
{
	u64 backed = 0;

	for (u64 off = 0; off < RAM_SIZE; off += PAGE_SIZE) {
		paddr_t pa;

		if (guest_ram_lookup(&vm.ram, RAM_BASE + off, &pa)) {
			CHECK(!page_is_free(&hv_pages, pa));
			backed++;
		}
	}
	CHECK(backed == vm.ram.pages && backed <= RAM_PAGES);
	CHECK(vm_ram_current(&vm) == backed * PAGE_SIZE);
	CHECK(hv_pages.free_pages + vm.ram.pages + vm.ram.table_pages +
	      dev_arena_bytes(&vm.dev_mem) / PAGE_SIZE == hv_pages.total_pages);
}

static void offer(u32 q, u16 head)
{
	u16 idx = 0;

	guest_read(RINGS(q) + 0x102, &idx, 2);
	guest_write(RINGS(q) + 0x104 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	guest_write(RINGS(q) + 0x102, &idx, 2);
	offered[q]++;
	wr(0x050, q);
}

static void record(const u8 *r)
{
	u8 a = r[1];
	u32 b = (u32)le(r + 2, 4), c = (u32)le(r + 6, 4);
	u16 d = (u16)le(r + 10, 2), e = (u16)le(r + 12, 2);
	u32 q = d % NQ;

	switch (r[0] % 8) {
	case 0: {
		u8 desc[16];
		u64 addr = RAM_BASE + b % (RAM_SIZE + 64 * KiB);
		u32 len = c % (8 * KiB);
		u16 flags = e & 7, next = a >> 4;

		memcpy(desc, &addr, 8);
		memcpy(desc + 8, &len, 4);
		memcpy(desc + 12, &flags, 2);
		memcpy(desc + 14, &next, 2);
		guest_write(RINGS(q) + 16 * (a % QSIZE), desc, 16);
		break;
	}
	case 1:
		offer(q, a % QSIZE);
		break;
	case 2: {
		u32 pfn[2] = {
			(u32)(RAM_BASE / PAGE_SIZE) + b % (RAM_PAGES + 48) - 16,
			(u32)(RAM_BASE / PAGE_SIZE) + c % (RAM_PAGES + 48) - 16,
		};

		guest_write(BUFS + 8 * (a % (BUF_WORDS / 2)), pfn, 8);
		break;
	}
	case 3:
		work_run(0);
		break;
	case 4:
		vm_ram_fill(&vm, RAM_BASE + (u64)(b % RAM_PAGES) * PAGE_SIZE);
		break;
	case 5:
		driver_init();
		break;
	case 6: {
		struct vm_balloon_status st;
		const char *why;

		vm.balloon.set_target(vm.balloon.dev, b % (RAM_SIZE + 64 * KiB), &why);
		vm.balloon.status(vm.balloon.dev, &st);
		CHECK(st.target <= RAM_SIZE);
		break;
	}
	default: {
		u32 size = 1u << (e % 3);
		u64 v = c;

		mmio_access(&bus, ipa_init(BASE + 0x100 + (a % 16)), size, true, &v);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *hv_mem;
	static u64 bitmap[(HV_PAGES + 63) / 64];
	const struct vdev_kind *k = vdev_kind_by_name("virtio-balloon");
	struct vdev dev;
	const char *why;

	CHECK(k);
	if (!hv_mem) {
		hv_mem = aligned_alloc(2 * MiB, 4 * MiB);   /* a 2 MiB run for its RAM */
		CHECK(hv_mem);
	}
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(bitmap, 0, sizeof(bitmap));
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, bitmap) == 0);
	fake_arch_reset();
	fake.counter = 1000;   /* work queued "at once" is due */

	memset(&vm, 0, sizeof(vm));
	vm.cfg.ram_base = RAM_BASE;
	vm.cfg.memory_mib = 1;
	vm.cfg.maxmem_mib = 2;
	vm.cfg.balloon_free_page_reporting = !size || !(data[0] & 0x40);
	vm.cfg.balloon_deflate_on_oom = size && (data[0] & 0x80);
	CHECK(guest_ram_create(&vm.ram, &hv_pages, RAM_BASE, RAM_SIZE) == 0);
	CHECK(guest_ram_populate(&vm.ram, &hv_pages) == 0);
	CHECK(arch_stage2_init(&vm.s2, 1) == 0);

	memset(&dev, 0, sizeof(dev));
	dev.vm = &vm;
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, 48 };
	dev.kind = k;
	CHECK(k->create(&dev, &why) == 0);
	CHECK(vm.balloon.dev);
	memset(&bus, 0, sizeof(bus));
	CHECK(mmio_register(&bus, &dev) == 0);
	driver_init();
	check_pool();

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		record(data + pos);
		check_used();
		check_pool();
	}
	/* The VM goes as vm.c takes it apart: its devices, then its memory. */
	CHECK(dev.ops && dev.ops->destroy);
	dev.ops->destroy(&dev);
	CHECK(!work_next_due(0));
	dev_arena_release(&vm.dev_mem);
	arch_stage2_destroy(&vm.s2);
	guest_ram_release(&vm.ram, &hv_pages);
	CHECK(hv_pages.free_pages == hv_pages.total_pages);
	return 0;
}
