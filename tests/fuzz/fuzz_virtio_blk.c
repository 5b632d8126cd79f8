/*
 * libFuzzer target for the guest's virtio-blk device (devices/virtio/blk.c)
 * behind its transport: the harness brings the driver up to a running
 * queue, then the input writes descriptors and the available ring, offers
 * chains, rewrites RAM, completes the volume's requests in any order and
 * resets the device. The input is a sequence of 16-byte records:
 *
 *   u8  op       mod 6: 0 descriptor `a % 16` := { RAM_BASE + 4 KiB +
 *                b % RAM_SIZE, len c, flags d, next e } (buffers may reach
 *                past RAM, never into the rings the checks read), 1 offer head `a` and notify,
 *                2 RAM at 4 KiB + (b * 8) % (RAM_SIZE - 4 KiB) := the record's
 *                last 8 bytes,
 *                3 complete outstanding request `a` with status `d % 3`,
 *                4 reset and set up again, 5 the disk is busy (refuses with
 *                BLK_SUBMIT_BUSY) while `a` is odd, the counter moves `b % 2^16`
 *                ticks, and CPU 0's work runs
 *   u8  a, u32 b, u32 c, u16 d, u16 e, u8 pad[2]  (all little-endian)
 *
 * Checks: each request on the volume (DISCARD and WRITE_ZEROES as writes of
 * zeros) lies within it, moves whole sectors
 * through a buffer the device owns and is completed at most once; the used
 * ring grows by at most what was offered and names chains that exist; the
 * guest's RAM is a buffer of exactly its size (ASan sees any access past it).
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/log.h"
#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vdev.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"
#include "storage/volume.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define BASE 0x0a000000ull
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * 1024)
#define HV_PAGES (VBLK_PIECES * VBLK_BOUNCE_PAGES + 32)   /* the device's pieces, bounce buffers, state */
#define QSIZE 16
#define DESC 0x0
#define AVAIL 0x100
#define USED 0x200
#define BUFS 0x1000     /* buffers from here: the rings stay the harness's */
#define RECORD 16
#define DISK_SECTORS 64
#define MAX_RQ 16
#define BOUNCE_MAX VBLK_BOUNCE_BYTES

/* The device's report of its memory goes to the log: not looked at here. */
void log_msg(enum log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static struct volume vol = { .name = "fz", .sectors = DISK_SECTORS };
static u8 disk[DISK_SECTORS * VOLUME_SECTOR_SIZE];
static struct blk_request *outstanding[MAX_RQ];
static u32 noutstanding;
static struct work completer;
static u32 to_complete;
static enum blk_status complete_with;
static bool disk_busy;

/* The VM's references: each piece on the volume holds one. */
static int vm_refs;

bool vm_get(struct vm *v)
{
	vm_refs++;
	return true;
}

void vm_put(struct vm *v)
{
	vm_refs--;
}

/* The interrupt handler's put: here as any other (nothing is freed). */
void vm_put_soon(struct vm *v)
{
	vm_refs--;
}

struct volume *volume_find(const char *name)
{
	return strcmp(name, vol.name) ? NULL : &vol;
}

bool volume_has_write_cache(const struct volume *v)
{
	return true;
}

int volume_submit(struct volume *v, struct blk_request *rq)
{
	CHECK(v == &vol);
	CHECK(rq->done);
	for (u32 i = 0; i < noutstanding; i++)
		CHECK(outstanding[i] != rq);    /* not in flight twice */
	if (rq->op != BLK_FLUSH) {
		CHECK(rq->count && (u64)rq->count * VOLUME_SECTOR_SIZE <= BOUNCE_MAX);
		CHECK(rq->sector < DISK_SECTORS && rq->count <= DISK_SECTORS - rq->sector);
		CHECK(pa_addr(rq->buf));
	}
	if (disk_busy || noutstanding == MAX_RQ)
		return BLK_SUBMIT_BUSY;
	outstanding[noutstanding++] = rq;
	return 0;
}

static void complete_work(struct work *w, u64 now)
{
	struct blk_request *rq;
	u8 *at;
	u64 bytes;

	if (to_complete >= noutstanding)
		return;
	rq = outstanding[to_complete];
	outstanding[to_complete] = outstanding[--noutstanding];
	at = disk + rq->sector * VOLUME_SECTOR_SIZE;
	bytes = (u64)rq->count * VOLUME_SECTOR_SIZE;
	if (complete_with == BLK_OK && rq->op == BLK_READ)
		memcpy(pa_to_ptr(rq->buf), at, bytes);
	if (complete_with == BLK_OK && rq->op == BLK_WRITE)
		memcpy(at, pa_to_ptr(rq->buf), bytes);
	rq->done(rq, complete_with);
}

static struct mmio_bus bus;
static u8 *ram;
static u16 offered, seen_used;

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

/* Linux's virtio_mmio probe, up to a running queue 0 with every feature. */
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
	wr(0x030, 0);
	wr(0x038, QSIZE);
	wr(0x080, (u32)(RAM_BASE + DESC));
	wr(0x084, 0);
	wr(0x090, (u32)(RAM_BASE + AVAIL));
	wr(0x094, 0);
	wr(0x0a0, (u32)(RAM_BASE + USED));
	wr(0x0a4, 0);
	wr(0x044, 1);
	wr(0x070, 15);
	memset(ram + AVAIL, 0, 0x100);
	memset(ram + USED, 0, 0x100);
	offered = seen_used = 0;
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* New used entries name a chain of the queue; never more than offered. */
static void check_used(void)
{
	u16 idx;

	memcpy(&idx, ram + USED + 2, 2);
	CHECK((u16)(idx - seen_used) <= (u16)(offered - seen_used));
	for (; seen_used != idx; seen_used++) {
		u32 id;

		memcpy(&id, ram + USED + 4 + 8 * (seen_used % QSIZE), 4);
		CHECK(id < QSIZE);
	}
}

static void offer(u16 head)
{
	u16 idx;

	memcpy(&idx, ram + AVAIL + 2, 2);
	memcpy(ram + AVAIL + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + AVAIL + 2, &idx, 2);
	offered++;
	wr(0x050, 0);
}

static void record(const u8 *r)
{
	u8 a = r[1];
	u32 b = (u32)le(r + 2, 4), c = (u32)le(r + 6, 4);
	u16 d = (u16)le(r + 10, 2), e = (u16)le(r + 12, 2);

	switch (r[0] % 6) {
	case 0: {
		u8 *p = ram + DESC + 16 * (a % QSIZE);
		u64 addr = RAM_BASE + BUFS + b % RAM_SIZE;

		memcpy(p, &addr, 8);
		memcpy(p + 8, &c, 4);
		memcpy(p + 12, &d, 2);
		memcpy(p + 14, &e, 2);
		break;
	}
	case 1:
		offer(a);
		break;
	case 2:
		/* buffers only (fuzz_virtio_mmio scribbles over rings) */
		memcpy(ram + BUFS + ((u64)b * 8) % (RAM_SIZE - BUFS), r + 8, 8);
		break;
	case 3:
		to_complete = a;
		complete_with = (enum blk_status)(d % 3);
		work_queue(&completer, 0);
		work_run(0);
		break;
	case 4:
		driver_init();
		break;
	default:
		disk_busy = a & 1;
		fake.counter += b & 0xffff;
		work_run(0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *hv_mem;
	static u64 bitmap[(HV_PAGES + 63) / 64];
	static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
	const struct vdev_kind *k = vdev_kind_by_name("virtio-blk");
	struct vdev dev;
	const char *why;

	CHECK(k);
	if (!hv_mem) {
		hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
		ram = malloc(RAM_SIZE);
		CHECK(hv_mem && ram);
	}
	memset(&hv_pages, 0, sizeof(hv_pages));
	memset(bitmap, 0, sizeof(bitmap));
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, bitmap) == 0);
	memset(ram, 0, RAM_SIZE);
	memset(&vm, 0, sizeof(vm));
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	vm.cfg.ndisks = 1;
	strcpy(vm.cfg.disks[0].target, vol.name);
	vm.cfg.disks[0].read_only = size && (data[0] & 0x80);
	vm.volumes[0] = &vol;  /* as the VM's creation attaches it */
	fake_arch_reset();
	fake.counter = 1000;
	noutstanding = 0;
	disk_busy = false;
	work_init(&completer, complete_work, 0);

	memset(&dev, 0, sizeof(dev));
	dev.vm = &vm;
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, 16 };
	dev.kind = k;
	CHECK(k->create(&dev, &why) == 0);
	memset(&bus, 0, sizeof(bus));
	CHECK(mmio_register(&bus, &dev) == 0);
	driver_init();

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		record(data + pos);
		check_used();
	}
	/* Let everything finish: the device's state goes with the arena, and
	 * nothing of it may stay on the work queue. */
	for (u32 round = 0; round < 1000 && (noutstanding || work_next_due(0)); round++) {
		to_complete = 0;
		complete_with = BLK_OK;
		disk_busy = false;
		fake.counter += 1000000;   /* past any retry's due time */
		if (noutstanding)
			work_queue(&completer, 0);
		work_run(0);
	}
	CHECK(!noutstanding && !work_next_due(0));
	dev_arena_release(&vm.dev_mem);
	return 0;
}
