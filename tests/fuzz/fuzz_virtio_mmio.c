/*
 * libFuzzer target for the virtio-mmio transport (devices/virtio/mmio.c),
 * reached as a guest reaches it, through a VM's MMIO bus, while a back end
 * pops and completes chains and the guest rewrites its RAM. The input is a
 * sequence of 12-byte records:
 *
 *   u16 offset   little-endian, from the transport's base (mod 0x200 with
 *                flags bit 1, else from base - 0x10: below it is no device)
 *   u8  size     taken modulo 9 (0..8 bytes)
 *   u8  flags    bit 0: write; bits 2-3 instead of an access: 1 the back end
 *                pops queue (value % 3) and completes what it got with
 *                `value >> 8` bytes, 2 the guest writes `value` to RAM at
 *                offset * 8, 3 the device's config changes
 *   u64 value    written, or the poison a read must leave alone when refused
 *
 * Checks: an access is accepted exactly when it is an aligned 32-bit one
 * below 0x100, or a 1/2/4/8-byte aligned one inside the config space; a
 * refused read leaves the value alone; the interrupt line changes only when
 * it must and is high exactly while InterruptStatus is non-zero; FEATURES_OK
 * reads back only for an acceptable feature set; a ready queue's layout is
 * sound; every popped segment lies inside RAM and fits the back end's array.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define BASE 0x0a000000ull
#define LINE 16
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (16 * 1024)
#define HV_PAGES 4
#define RECORD 12
#define CONFIG_SIZE 8
#define SEGS 8

static bool line;
static u8 config[CONFIG_SIZE];

static void set_line(struct vm *vm, u32 n, bool level)
{
	CHECK(n == LINE);
	CHECK(level != line);   /* only changes reach the controller */
	line = level;
}

static bool cfg_read(void *d, u32 off, u32 size, u64 *value)
{
	CHECK(off + size <= CONFIG_SIZE && off % size == 0);
	*value = 0;
	memcpy(value, config + off, size);
	return true;
}

static bool cfg_write(void *d, u32 off, u32 size, u64 value)
{
	CHECK(off + size <= CONFIG_SIZE && off % size == 0);
	memcpy(config + off, &value, size);
	return true;
}

static void notify(void *d, u32 queue)
{
	CHECK(queue < 3);
}

static const struct virtio_device_ops ops = {
	.device_id = 2,
	.features = 0x3f,
	.num_queues = 3,
	.queue_max = 16,
	.config_size = CONFIG_SIZE,
	.config_read = cfg_read,
	.config_write = cfg_write,
	.notify = notify,
};

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static bool in_ram(const struct virtq_seg *s)
{
	u64 a = ipa_addr(s->addr);

	return a >= RAM_BASE && a - RAM_BASE <= RAM_SIZE && s->len <= RAM_SIZE - (a - RAM_BASE);
}

static void back_end(struct virtio_mmio *t, u64 value)
{
	struct virtq_seg seg[SEGS + 1];
	struct virtq_chain chain;
	u32 q = (u32)(value % 3);

	seg[SEGS].len = 0xdead;
	if (virtio_mmio_pop(t, q, seg, SEGS, &chain) != VIRTQ_CHAIN) {
		CHECK(seg[SEGS].len == 0xdead);
		return;
	}
	CHECK(seg[SEGS].len == 0xdead);
	CHECK(chain.nsegs >= 1 && chain.nsegs <= SEGS && chain.nread <= chain.nsegs);
	for (u32 i = 0; i < chain.nsegs; i++)
		CHECK(in_ram(&seg[i]));
	virtio_mmio_push(t, q, &chain, value >> 8);
}

static void access(struct mmio_bus *bus, const struct virtio_mmio *t, const u8 *r)
{
	u64 off = le(r, 2);
	u32 len = r[2] % 9;
	bool write = r[3] & 1;
	u64 value = le(r + 4, 8), v = value;
	u64 addr = (r[3] & 2) ? BASE + off % VIRTIO_MMIO_SIZE : BASE - 0x10 + off;
	u64 dev_off = addr - BASE;
	bool inside = addr >= BASE && dev_off < VIRTIO_MMIO_SIZE && len <= VIRTIO_MMIO_SIZE - dev_off;
	bool valid;

	if (dev_off < VIRTIO_MMIO_CONFIG) {
		valid = len == 4 && dev_off % 4 == 0;
	} else {
		u64 c = dev_off - VIRTIO_MMIO_CONFIG;

		valid = (len == 1 || len == 2 || len == 4 || len == 8) && c % len == 0 &&
			c + len <= CONFIG_SIZE;
	}
	valid = valid && inside;
	CHECK(mmio_access(bus, ipa_init(addr), len, write, &v) == valid);
	if (!valid || write) {
		CHECK(v == value);
		return;
	}
	if (dev_off == 0)
		CHECK(v == 0x74726976);
	if (dev_off == 4)
		CHECK(v == 2);
	if (dev_off < VIRTIO_MMIO_CONFIG)
		CHECK(v <= 0xffffffffu);
}

/* What must hold after every record. */
static void invariants(struct virtio_mmio *t)
{
	CHECK(line == (t->int_status != 0));
	CHECK(!(t->int_status & ~3u));
	if (t->status & VIRTIO_STATUS_FEATURES_OK) {
		CHECK(!(t->driver_features & ~t->device_features));
		CHECK(t->driver_features & (1ull << VIRTIO_F_VERSION_1));
	}
	for (u32 i = 0; i < ops.num_queues; i++) {
		if (t->queue[i].ready)
			CHECK(virtq_layout_ok(&t->queue[i], ops.queue_max));
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *hv_mem, *ram;
	static u64 bitmap[1];
	static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
	struct mmio_bus bus;
	struct vdev dev;
	struct virtio_mmio *t;

	if (!hv_mem) {
		hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
		ram = malloc(RAM_SIZE);
		CHECK(hv_mem && ram);
	}
	memset(&hv_pages, 0, sizeof(hv_pages));
	bitmap[0] = 0;
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, bitmap) == 0);
	memset(ram, 0, RAM_SIZE);
	memset(&vm, 0, sizeof(vm));
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	memset(config, 0, sizeof(config));
	fake_arch_reset();
	fake.set_line_hook = set_line;
	line = false;

	memset(&dev, 0, sizeof(dev));
	dev.vm = &vm;
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, LINE };
	t = virtio_mmio_create(&dev, &ops, NULL);
	CHECK(t);
	memset(&bus, 0, sizeof(bus));
	CHECK(mmio_register(&bus, &dev) == 0);

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		const u8 *r = data + pos;
		u64 value = le(r + 4, 8);

		switch ((r[3] >> 2) & 3) {
		case 0:
			access(&bus, t, r);
			break;
		case 1:
			back_end(t, value);
			break;
		case 2:
			memcpy(ram + (le(r, 2) * 8) % RAM_SIZE, &value, 8);
			break;
		default:
			virtio_mmio_config_changed(t);
			break;
		}
		invariants(t);
	}
	dev_arena_release(&vm.dev_mem);
	return 0;
}
