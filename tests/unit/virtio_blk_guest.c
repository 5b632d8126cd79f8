/*
 * The guest's side of tests/unit/virtio_blk_guest.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"
#include "core/vdev.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"
#include "virtio_blk_guest.h"

struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
struct vdev dev;
struct mmio_bus bus;
u8 *ram;
static u8 *hv_mem;
static u64 hv_bitmap[8];
static u16 next_desc;

u64 guest_blk_create_pages;

void guest_blk_create(struct volume *vol, bool read_only, u32 hv_pages_n)
{
	const struct vdev_kind *k = vdev_kind_by_name("virtio-blk");
	const char *why = NULL;
	u64 free_before;

	assert_true(hv_pages_n <= 64 * sizeof(hv_bitmap) / sizeof(hv_bitmap[0]));
	fake_arch_reset();
	fake.counter = 1000;   /* deferred work queued "at once" is due */
	memset(&vm, 0, sizeof(vm));
	memset(&dev, 0, sizeof(dev));
	memset(&bus, 0, sizeof(bus));
	hv_mem = aligned_alloc(PAGE_SIZE, hv_pages_n * PAGE_SIZE);
	ram = calloc(1, RAM_SIZE);
	assert_non_null(hv_mem);
	assert_non_null(ram);
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(hv_bitmap, 0, sizeof(hv_bitmap));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), hv_pages_n * PAGE_SIZE,
					    hv_bitmap), 0);
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	vm.cfg.ndisks = 1;
	strcpy(vm.cfg.disks[0].vdev, "xvda");
	strcpy(vm.cfg.disks[0].target, vol->name);
	vm.cfg.disks[0].read_only = read_only;
	vm.volumes[0] = vol;  /* as the VM's creation attaches it */
	assert_non_null(k);
	assert_int_equal(ipa_addr(k->base), BASE);
	assert_int_equal(k->config_count(&vm), 1);
	dev.vm = &vm;
	dev.kind = k;
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, LINE };
	free_before = hv_pages.free_pages;
	assert_int_equal(k->create(&dev, &why), 0);
	guest_blk_create_pages = free_before - hv_pages.free_pages;
	assert_int_equal(mmio_register(&bus, &dev), 0);
	driver_init();
}

void guest_blk_free(void)
{
	dev_arena_release(&vm.dev_mem);
	free(hv_mem);
	free(ram);
}

u32 rd(u64 off)
{
	u64 v = 0;

	assert_true(mmio_access(&bus, ipa_init(BASE + off), 4, false, &v));
	return (u32)v;
}

void wr(u64 off, u32 value)
{
	u64 v = value;

	assert_true(mmio_access(&bus, ipa_init(BASE + off), 4, true, &v));
}

u64 device_features(void)
{
	u64 f;

	wr(DEV_FEATURES_SEL, 0);
	f = rd(DEV_FEATURES);
	wr(DEV_FEATURES_SEL, 1);
	return f | (u64)rd(DEV_FEATURES) << 32;
}

void driver_init(void)
{
	u64 f = device_features();

	wr(STATUS, 0);
	wr(STATUS, 1);
	wr(STATUS, 3);
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (u32)f);
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, (u32)(f >> 32));
	wr(STATUS, 11);
	assert_true(rd(STATUS) & 8);
	wr(QUEUE_SEL, 0);
	wr(QUEUE_NUM, QSIZE);
	wr(0x080, (u32)(RAM_BASE + DESC));
	wr(0x084, 0);
	wr(0x090, (u32)(RAM_BASE + AVAIL));
	wr(0x094, 0);
	wr(0x0a0, (u32)(RAM_BASE + USED));
	wr(0x0a4, 0);
	wr(QUEUE_READY, 1);
	wr(STATUS, 15);
	memset(ram + AVAIL, 0, 0x1000);
	memset(ram + USED, 0, 0x1000);
	next_desc = 0;
}

/* Offers a chain of `n` segments and notifies, running the work the
 * notification queued; its head's id. */
u16 offer(const struct seg *s, u32 n)
{
	u16 head = offer_only(s, n);

	work_run(0);
	return head;
}

u16 offer_only(const struct seg *s, u32 n)
{
	return offer_chain(s, n, true);
}

u16 offer_chain(const struct seg *s, u32 n, bool notify)
{
	u16 head = next_desc, idx;

	for (u32 i = 0; i < n; i++) {
		u64 d = DESC + 16 * (u64)((head + i) % QSIZE);
		u64 addr = RAM_BASE + s[i].off;
		u16 flags = (u16)((i + 1 < n ? 1 : 0) | (s[i].writes ? 2 : 0));
		u16 next = (u16)((head + i + 1) % QSIZE);

		memcpy(ram + d, &addr, 8);
		memcpy(ram + d + 8, &s[i].len, 4);
		memcpy(ram + d + 12, &flags, 2);
		memcpy(ram + d + 14, &next, 2);
	}
	next_desc = (u16)((head + n) % QSIZE);
	memcpy(&idx, ram + AVAIL + 2, 2);
	memcpy(ram + AVAIL + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + AVAIL + 2, &idx, 2);
	if (notify)
		wr(QUEUE_NOTIFY, 0);
	return head;
}

/* Header `h` (0..) at HDRS + 16h, status byte `h` at STATS + h. */
struct seg header(u32 h, u32 type, u64 sector)
{
	u8 *p = ram + HDRS + 16 * h;

	memset(p, 0, 16);
	memcpy(p, &type, 4);
	memcpy(p + 8, &sector, 8);
	ram[STATS + h] = UNTOUCHED;
	return (struct seg){ HDRS + 16 * h, 16, false };
}

struct seg status(u32 h)
{
	return (struct seg){ STATS + h, 1, true };
}

/* A read or write of `len` bytes at `sector` into DATA + data_off. */
u16 rw(u32 h, u32 type, u64 sector, u64 data_off, u32 len)
{
	struct seg s[3] = { header(h, type, sector), { DATA + data_off, len, type == T_IN },
			    status(h) };

	return offer(s, 3);
}

u16 used_idx(void)
{
	u16 idx;

	memcpy(&idx, ram + USED + 2, 2);
	return idx;
}

/* Used ring entry `i`: the chain's id and the bytes written. */
void used(u16 i, u32 *id, u32 *len)
{
	memcpy(id, ram + USED + 4 + 8 * (i % QSIZE), 4);
	memcpy(len, ram + USED + 8 + 8 * (i % QSIZE), 4);
}
