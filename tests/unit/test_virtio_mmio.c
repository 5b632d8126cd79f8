/*
 * The virtio-mmio transport (devices/virtio/mmio.c) as a guest's driver
 * reaches it, through the VM's MMIO bus, carrying a test device type of this
 * file that records what the transport hands it. The VM's RAM is a host
 * buffer holding the driver's rings; the transport's state comes from the
 * VM's device arena over `hv_pages`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"
#include "fdt_check.h"
#include "lib/fdt.h"

#define BASE 0x0a000000ull
#define LINE 16
#define HV_PAGES 8
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * KiB)
#define QSIZE 8
/* the driver's rings, as offsets into RAM */
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define BUFS  0x8000

/* registers */
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEV_FEATURES 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES 0x020
#define DRV_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INT_STATUS 0x060
#define INT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define SHM_LEN_LOW 0x0b0
#define CONFIG_GEN 0x0fc
#define CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64

#define F_TYPE_BIT 5                  /* a device-type feature the test type offers */
#define F_VERSION_1 (1ull << 32)
#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)

static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
static struct vdev dev;
static struct mmio_bus bus;
static struct virtio_mmio *t;
static u8 *hv_mem, *ram;
static u64 hv_bitmap[1];

/* --- the test device type ---------------------------------------------------- */

struct tdev {
	u32 notifies, last_queue, resets;
	u32 cfg_reads, cfg_writes, last_off, last_size;
	u64 last_value;
	u8 config[16];
};

static struct tdev td;

static bool t_config_read(void *d, u32 off, u32 size, u64 *value)
{
	struct tdev *x = d;

	x->cfg_reads++;
	x->last_off = off;
	x->last_size = size;
	*value = 0;
	memcpy(value, x->config + off, size);
	return true;
}

static bool t_config_write(void *d, u32 off, u32 size, u64 value)
{
	struct tdev *x = d;

	x->cfg_writes++;
	x->last_off = off;
	x->last_size = size;
	x->last_value = value;
	return off != 12;     /* offset 12 is read-only: a refused write */
}

static void t_notify(void *d, u32 queue)
{
	struct tdev *x = d;

	x->notifies++;
	x->last_queue = queue;
}

static void t_reset(void *d)
{
	((struct tdev *)d)->resets++;
}

static const struct virtio_device_ops tops = {
	.device_id = 2,
	/* bit 40 is the transport's to offer: dropped */
	.features = (1ull << F_TYPE_BIT) | (1ull << 40) | (1ull << 52),
	.num_queues = 2,
	.queue_max = 64,
	.config_size = sizeof(td.config),
	.config_read = t_config_read,
	.config_write = t_config_write,
	.notify = t_notify,
	.reset = t_reset,
};

/* --- set-up and access helpers ------------------------------------------ */

static int setup(void **state)
{
	fake_arch_reset();
	memset(&vm, 0, sizeof(vm));
	memset(&dev, 0, sizeof(dev));
	memset(&bus, 0, sizeof(bus));
	memset(&td, 0, sizeof(td));
	for (u32 i = 0; i < sizeof(td.config); i++)
		td.config[i] = (u8)(0xa0 + i);
	hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
	ram = calloc(1, RAM_SIZE);
	assert_non_null(hv_mem);
	assert_non_null(ram);
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(hv_bitmap, 0, sizeof(hv_bitmap));
	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE,
					    hv_bitmap), 0);
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	dev.vm = &vm;
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, LINE };
	t = virtio_mmio_create(&dev, &tops, &td);
	assert_non_null(t);
	assert_ptr_equal(dev.priv, t);
	assert_int_equal(mmio_register(&bus, &dev), 0);
	return 0;
}

static int teardown(void **state)
{
	dev_arena_release(&vm.dev_mem);
	free(hv_mem);
	free(ram);
	return 0;
}

static u32 rd(u64 off)
{
	u64 v = 0xdeadbeefdeadbeefull;

	if (!mmio_access(&bus, ipa_init(BASE + off), 4, false, &v))
		fail_msg("read at +%#llx refused", (unsigned long long)off);
	return (u32)v;
}

static void wr(u64 off, u32 value)
{
	u64 v = value;

	if (!mmio_access(&bus, ipa_init(BASE + off), 4, true, &v))
		fail_msg("write at +%#llx refused", (unsigned long long)off);
}

static bool try_access(u64 off, u32 size, bool write, u64 *v)
{
	return mmio_access(&bus, ipa_init(BASE + off), size, write, v);
}

static void write_features(u64 f)
{
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (u32)f);
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, (u32)(f >> 32));
}

static void queue_addresses(u64 desc, u64 avail, u64 used)
{
	wr(QUEUE_DESC_LOW, (u32)desc);
	wr(QUEUE_DESC_HIGH, (u32)(desc >> 32));
	wr(QUEUE_DRIVER_LOW, (u32)avail);
	wr(QUEUE_DRIVER_HIGH, (u32)(avail >> 32));
	wr(QUEUE_DEVICE_LOW, (u32)used);
	wr(QUEUE_DEVICE_HIGH, (u32)(used >> 32));
}

/* What Linux's virtio_mmio driver does up to a running queue 0 (3.1.1). */
static void driver_init(u64 features)
{
	wr(STATUS, 0);
	wr(STATUS, S_ACK);
	wr(STATUS, S_ACK | S_DRIVER);
	write_features(features);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_true(rd(STATUS) & S_FEATURES_OK);
	wr(QUEUE_SEL, 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	wr(QUEUE_NUM, QSIZE);
	queue_addresses(RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);
	wr(QUEUE_READY, 1);
	assert_int_equal(rd(QUEUE_READY), 1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* The driver offers one chain: descriptor `head` naming a writable buffer. */
static void offer(u16 head)
{
	u16 idx;
	u64 d = DESC + 16 * (u64)(head % QSIZE);
	u64 addr = RAM_BASE + BUFS;
	u32 len = 64;
	u16 flags = 2;

	memcpy(ram + d, &addr, 8);
	memcpy(ram + d + 8, &len, 4);
	memcpy(ram + d + 12, &flags, 2);
	memcpy(&idx, ram + AVAIL + 2, 2);
	memcpy(ram + AVAIL + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + AVAIL + 2, &idx, 2);
}

/* --- tests -------------------------------------------------------------------- */

static void test_identity(void **state)
{
	assert_int_equal(rd(MAGIC), 0x74726976);
	assert_int_equal(rd(VERSION), 2);
	assert_int_equal(rd(DEVICE_ID), 2);
	assert_int_not_equal(rd(VENDOR_ID), 0);
	assert_int_equal(rd(STATUS), 0);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_int_equal(rd(QUEUE_NUM_MAX), 64);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 64);
	wr(QUEUE_SEL, 2);                        /* no such queue */
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_int_equal(rd(SHM_LEN_LOW), 0xffffffffu);  /* no shared memory region */
	assert_int_equal(rd(0x0f0), 0);          /* no register there: reads as zero */
	assert_int_equal(rd(QUEUE_NOTIFY), 0);   /* write-only */
	assert_false(fake.line_level[LINE]);
}

static u64 device_features(void)
{
	u64 f;

	wr(DEV_FEATURES_SEL, 0);
	f = rd(DEV_FEATURES);
	wr(DEV_FEATURES_SEL, 1);
	f |= (u64)rd(DEV_FEATURES) << 32;
	wr(DEV_FEATURES_SEL, 2);
	assert_int_equal(rd(DEV_FEATURES), 0);
	return f;
}

static void test_feature_negotiation(void **state)
{
	u64 offered = device_features();

	assert_int_equal(offered, (1ull << F_TYPE_BIT) | (1ull << 52) | F_VERSION_1 | F_INDIRECT |
			 F_EVENT_IDX);

	/* without VERSION_1: a legacy driver, which this transport does not serve */
	wr(STATUS, S_ACK | S_DRIVER);
	write_features(1ull << F_TYPE_BIT);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER);
	assert_int_equal(virtio_mmio_features(t), 0);

	/* a feature the device does not offer */
	write_features(F_VERSION_1 | (1ull << 6));
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_false(rd(STATUS) & S_FEATURES_OK);
	write_features(F_VERSION_1 | (1ull << 40));   /* nor one it dropped */
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_false(rd(STATUS) & S_FEATURES_OK);

	/* a subset with VERSION_1 */
	write_features(F_VERSION_1 | F_EVENT_IDX | (1ull << F_TYPE_BIT));
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	assert_int_equal(virtio_mmio_features(t), F_VERSION_1 | F_EVENT_IDX | (1ull << F_TYPE_BIT));
	/* fixed from then on */
	write_features(F_VERSION_1);
	assert_int_equal(virtio_mmio_features(t), F_VERSION_1 | F_EVENT_IDX | (1ull << F_TYPE_BIT));
	/* the driver cannot set DEVICE_NEEDS_RESET */
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_NEEDS_RESET);
	assert_false(rd(STATUS) & S_NEEDS_RESET);
}

static void test_queue_setup(void **state)
{
	driver_init(F_VERSION_1);
	assert_int_equal(t->queue[0].size, QSIZE);
	assert_int_equal(ipa_addr(t->queue[0].desc), RAM_BASE + DESC);
	assert_int_equal(ipa_addr(t->queue[0].avail), RAM_BASE + AVAIL);
	assert_int_equal(ipa_addr(t->queue[0].used), RAM_BASE + USED);
	assert_false(t->queue[0].indirect);

	/* a ready queue's registers are not the driver's */
	wr(QUEUE_NUM, 16);
	queue_addresses(RAM_BASE + 0x4000, RAM_BASE + 0x5000, RAM_BASE + 0x6000);
	assert_int_equal(t->queue[0].size, QSIZE);
	assert_int_equal(ipa_addr(t->queue[0].desc), RAM_BASE + DESC);

	/* stopped by the driver, they are again */
	wr(QUEUE_READY, 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	wr(QUEUE_NUM, 16);
	assert_int_equal(t->queue[0].size, 16);

	/* a queue that does not exist takes nothing */
	wr(QUEUE_SEL, 9);
	wr(QUEUE_NUM, 4);
	wr(QUEUE_READY, 1);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_false(rd(STATUS) & S_NEEDS_RESET);
}

static void test_queue_64bit_addresses(void **state)
{
	wr(QUEUE_SEL, 1);
	queue_addresses(0x123456789abcdef0ull, 0x1111222233334444ull, 0x5555666677778888ull);
	assert_int_equal(ipa_addr(t->queue[1].desc), 0x123456789abcdef0ull);
	assert_int_equal(ipa_addr(t->queue[1].avail), 0x1111222233334444ull);
	assert_int_equal(ipa_addr(t->queue[1].used), 0x5555666677778888ull);
}

static void bad_queue(u32 num, u64 desc, u64 avail, u64 used)
{
	wr(STATUS, 0);
	wr(STATUS, S_ACK | S_DRIVER);
	write_features(F_VERSION_1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	wr(QUEUE_NUM, num);
	queue_addresses(desc, avail, used);
	wr(QUEUE_READY, 1);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_true(rd(STATUS) & S_NEEDS_RESET);
	/* not running yet: no configuration change interrupt */
	assert_int_equal(rd(INT_STATUS), 0);
}

/* An unusable queue set-up: the queue stays off and the device asks for a reset. */
static void test_queue_setup_refused(void **state)
{
	bad_queue(12, RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);        /* not 2^n */
	bad_queue(128, RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);       /* > QueueNumMax */
	bad_queue(0x10008, RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);   /* not 16 bits */
	bad_queue(QSIZE, RAM_BASE + DESC + 4, RAM_BASE + AVAIL, RAM_BASE + USED); /* misaligned */
	bad_queue(QSIZE, RAM_BASE + DESC, RAM_BASE + RAM_SIZE, RAM_BASE + USED);  /* not RAM */
	bad_queue(QSIZE, BASE, RAM_BASE + AVAIL, RAM_BASE + USED);                /* a device */

	/* a driver that goes on regardless hears about it when it starts */
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	assert_int_equal(rd(INT_STATUS), 2);
	assert_true(fake.line_level[LINE]);

	/* and before FEATURES_OK */
	wr(STATUS, 0);
	wr(STATUS, S_ACK | S_DRIVER);
	wr(QUEUE_NUM, QSIZE);
	queue_addresses(RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);
	wr(QUEUE_READY, 1);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_true(rd(STATUS) & S_NEEDS_RESET);
	/* a reset clears it */
	wr(STATUS, 0);
	assert_int_equal(rd(STATUS), 0);
}

static void test_notify(void **state)
{
	wr(STATUS, S_ACK | S_DRIVER);
	write_features(F_VERSION_1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	wr(QUEUE_NUM, QSIZE);
	queue_addresses(RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);
	wr(QUEUE_READY, 1);
	wr(QUEUE_NOTIFY, 0);                     /* before DRIVER_OK */
	assert_int_equal(td.notifies, 0);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(td.notifies, 1);
	assert_int_equal(td.last_queue, 0);
	wr(QUEUE_NOTIFY, 1);                     /* not ready */
	wr(QUEUE_NOTIFY, 2);                     /* no such queue */
	wr(QUEUE_NOTIFY, 0xffffffff);
	assert_int_equal(td.notifies, 1);
}

static void test_interrupt_and_ack(void **state)
{
	struct virtq_seg seg[4];
	struct virtq_chain chain;

	driver_init(F_VERSION_1);
	offer(3);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_CHAIN);
	assert_int_equal(chain.head, 3);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_EMPTY);
	virtio_mmio_push(t, 0, &chain, 10);
	assert_int_equal(rd(INT_STATUS), 1);
	assert_true(fake.line_level[LINE]);
	assert_int_equal(fake.line_vm, &vm);

	virtio_mmio_config_changed(t);
	assert_int_equal(rd(INT_STATUS), 3);
	assert_int_equal(rd(CONFIG_GEN), 1);
	wr(INT_ACK, 1);
	assert_int_equal(rd(INT_STATUS), 2);
	assert_true(fake.line_level[LINE]);      /* high while any bit is */
	wr(INT_ACK, 2);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_false(fake.line_level[LINE]);

	/* the driver asks for no interrupts: none */
	{
		u16 no_int = 1;

		memcpy(ram + AVAIL, &no_int, 2);
	}
	offer(4);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_CHAIN);
	virtio_mmio_push(t, 0, &chain, 10);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_false(fake.line_level[LINE]);
}

static void test_pop_needs_driver_ok(void **state)
{
	struct virtq_seg seg[4];
	struct virtq_chain chain;

	driver_init(F_VERSION_1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);   /* DRIVER_OK dropped */
	offer(0);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_EMPTY);
	assert_int_equal(virtio_mmio_pop(t, 7, seg, 4, &chain), VIRTQ_EMPTY);
}

static void test_reset_by_status_zero(void **state)
{
	struct virtq_seg seg[4];
	struct virtq_chain chain;

	driver_init(F_VERSION_1 | F_INDIRECT);
	offer(1);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_CHAIN);
	virtio_mmio_config_changed(t);
	assert_true(fake.line_level[LINE]);
	wr(STATUS, 0);
	assert_int_equal(td.resets, 2);          /* driver_init began with one */
	assert_int_equal(rd(STATUS), 0);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_false(fake.line_level[LINE]);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_int_equal(virtio_mmio_features(t), 0);
	/* a completion of a chain popped before is dropped */
	virtio_mmio_push(t, 0, &chain, 1);
	assert_int_equal(ram[USED + 2], 0);
	/* set up again, it runs */
	driver_init(F_VERSION_1);
	assert_int_equal(td.resets, 3);
}

/* The VM restarting resets the transport and drops its line. */
static void test_vm_reset(void **state)
{
	driver_init(F_VERSION_1);
	virtio_mmio_config_changed(t);
	assert_true(fake.line_level[LINE]);
	dev.ops->reset(&dev);
	assert_false(fake.line_level[LINE]);
	assert_int_equal(rd(STATUS), 0);
	assert_int_equal(td.resets, 2);          /* driver_init began with one */
}

static void test_refused_accesses(void **state)
{
	u64 v = 0x1234;

	for (u32 size = 1; size <= 8; size *= 2) {
		if (size == 4)
			continue;
		v = 0x1234;
		assert_false(try_access(MAGIC, size, false, &v));
		assert_int_equal(v, 0x1234);
		assert_false(try_access(STATUS, size, true, &v));
	}
	assert_false(try_access(MAGIC + 2, 4, false, &v));
	assert_false(try_access(STATUS + 1, 4, true, &v));
	assert_false(try_access(3, 4, false, &v));
	assert_int_equal(rd(STATUS), 0);
	/* config space: only inside it, aligned to the width */
	assert_false(try_access(CONFIG + 1, 2, false, &v));
	assert_false(try_access(CONFIG + 4, 8, false, &v));
	assert_false(try_access(CONFIG + 16, 1, false, &v));
	assert_false(try_access(CONFIG + 14, 4, false, &v));
	assert_false(try_access(CONFIG + 0xfc, 4, true, &v));
	assert_false(try_access(CONFIG + 0, 3, false, &v));
	assert_int_equal(td.cfg_reads + td.cfg_writes, 0);
}

static void test_config_forwarding(void **state)
{
	u64 v = 0;

	assert_true(try_access(CONFIG + 4, 4, false, &v));
	assert_int_equal(v, 0xa7a6a5a4);
	assert_int_equal(td.last_off, 4);
	assert_int_equal(td.last_size, 4);
	assert_true(try_access(CONFIG + 15, 1, false, &v));
	assert_int_equal(v, 0xaf);
	assert_true(try_access(CONFIG + 8, 8, false, &v));
	assert_int_equal(v, 0xafaeadacabaaa9a8ull);
	assert_true(try_access(CONFIG + 2, 2, false, &v));
	assert_int_equal(v, 0xa3a2);
	v = 0x55;
	assert_true(try_access(CONFIG + 1, 1, true, &v));
	assert_int_equal(td.last_off, 1);
	assert_int_equal(td.last_value, 0x55);
	/* the device type refuses a write: the guest gets the abort */
	assert_false(try_access(CONFIG + 12, 4, true, &v));
	assert_int_equal(td.cfg_reads, 4);
	assert_int_equal(td.cfg_writes, 2);
}

/* A malformed chain: DEVICE_NEEDS_RESET, a configuration change interrupt,
 * and the queue gives nothing until the driver resets the device. */
static void test_needs_reset_on_malformed_chain(void **state)
{
	struct virtq_seg seg[4];
	struct virtq_chain chain;
	u16 idx = 1, bad_head = QSIZE + 3;

	driver_init(F_VERSION_1);
	memcpy(ram + AVAIL + 4, &bad_head, 2);
	memcpy(ram + AVAIL + 2, &idx, 2);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(td.notifies, 1);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_MALFORMED);
	assert_true(rd(STATUS) & S_NEEDS_RESET);
	assert_int_equal(rd(INT_STATUS), 2);
	assert_true(fake.line_level[LINE]);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_EMPTY);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(td.notifies, 1);        /* the stopped queue is not handed on */
	/* the bit stays through the driver's status writes, until reset */
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK | 128);
	assert_true(rd(STATUS) & S_NEEDS_RESET);
	wr(STATUS, 0);
	assert_int_equal(rd(STATUS), 0);
	memset(ram + AVAIL, 0, 0x2000);
	driver_init(F_VERSION_1);
	offer(0);
	assert_int_equal(virtio_mmio_pop(t, 0, seg, 4, &chain), VIRTQ_CHAIN);
}

static void test_create_checks_ops(void **state)
{
	struct vdev d2 = dev;
	struct virtio_device_ops bad = tops;

	bad.queue_max = 48;
	assert_null(virtio_mmio_create(&d2, &bad, &td));
	bad = tops;
	bad.num_queues = 0;
	assert_null(virtio_mmio_create(&d2, &bad, &td));
	bad = tops;
	bad.config_size = 0x101;
	assert_null(virtio_mmio_create(&d2, &bad, &td));
	bad = tops;
	bad.notify = NULL;
	assert_null(virtio_mmio_create(&d2, &bad, &td));
	bad = tops;
	bad.device_id = 0;
	assert_null(virtio_mmio_create(&d2, &bad, &td));
}

static void test_dt_node(void **state)
{
	static u8 buf[1024], strings[256];
	struct fdt_writer w;
	struct vdt dt = { .w = &w };
	struct fdt f;
	const u32 reg[4] = { 0, BASE, 0, VIRTIO_MMIO_SIZE };
	const u32 irq[1] = { LINE };
	const void *data;
	u32 len;
	int node;

	fdtw_init(&w, buf, sizeof(buf), strings, sizeof(strings));
	fdtw_begin_node(&w, "");
	dev.ops->dt_node(&dev, &dt);
	fdtw_end_node(&w);
	assert_true(fdtw_finish(&w) > 0);
	assert_int_equal(fdt_open(&f, buf, sizeof(buf)), 0);
	node = fdt_find_path(&f, "/virtio_mmio@a000000");
	assert_true(node >= 0);
	assert_true(fdt_get_prop(&f, node, "compatible", &data, &len));
	assert_string_equal(data, "virtio,mmio");
	check_cells(&f, node, "reg", reg, 4);
	check_cells(&f, node, "interrupts", irq, 1);
	assert_true(fdt_get_prop(&f, node, "dma-coherent", &data, &len));
	assert_int_equal(len, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_feature_negotiation),
		T(test_queue_setup),
		T(test_queue_64bit_addresses),
		T(test_queue_setup_refused),
		T(test_notify),
		T(test_interrupt_and_ack),
		T(test_pop_needs_driver_ok),
		T(test_reset_by_status_zero),
		T(test_vm_reset),
		T(test_refused_accesses),
		T(test_config_forwarding),
		T(test_needs_reset_on_malformed_chain),
		T(test_create_checks_ops),
		T(test_dt_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
