/*
 * The guest's virtio-blk device (devices/virtio/blk.c) as a guest's driver
 * reaches it: through the VM's MMIO bus and rings in a host buffer standing
 * in for the VM's RAM. The pool's volume is a test double of this file: it
 * records each request and the test completes them, in any order, from
 * deferred work on CPU 0 (as the real pool's completions come).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"
#include "fake_arch.h"
#include "log_last.h"
#include "storage/volume.h"
#include "virtio_blk_guest.h"

#define HV_PAGES (VBLK_PIECES * VBLK_BOUNCE_PAGES + 32)
#define DISK_SECTORS 8192
#define PIECE_SECTORS (VBLK_BOUNCE_BYTES / 512)


/* --- the volume double ----------------------------------------------------- */

#define MAX_RQ 64

static struct volume vol = { .name = "data" };
static u8 disk[DISK_SECTORS * VOLUME_SECTOR_SIZE];
static struct blk_request *submitted[MAX_RQ];
static struct blk_request seen[MAX_RQ];   /* each as it was submitted */
static u32 nsubmitted;
static bool completed[MAX_RQ];
static int submit_rc;
static struct work completer;
static u32 to_complete;
static enum blk_status complete_with;

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

/* never the last reference here */
void vm_put_soon(struct vm *v)
{
	vm_put(v);
}

struct volume *volume_find(const char *name)
{
	return strcmp(name, vol.name) ? NULL : &vol;
}

/* A disk with a volatile cache: every flush reaches the volume. */
bool volume_has_write_cache(const struct volume *v)
{
	return true;
}

int volume_submit(struct volume *v, struct blk_request *rq)
{
	assert_ptr_equal(v, &vol);
	if (submit_rc)
		return submit_rc;
	assert_true(nsubmitted < MAX_RQ);
	seen[nsubmitted] = *rq;
	completed[nsubmitted] = false;
	submitted[nsubmitted++] = rq;
	return 0;
}

/* The pool's deferred work: moves the data of request `to_complete`, then
 * calls its done (the same struct, which the device may submit again). */
static void complete_work(struct work *w, u64 now)
{
	u32 i = to_complete;
	struct blk_request *rq = submitted[i];
	u8 *at = disk + seen[i].sector * VOLUME_SECTOR_SIZE;
	u64 bytes = (u64)seen[i].count * VOLUME_SECTOR_SIZE;

	assert_false(completed[i]);
	completed[i] = true;
	if (complete_with == BLK_OK && seen[i].op == BLK_READ)
		memcpy(pa_to_ptr(seen[i].buf), at, bytes);
	if (complete_with == BLK_OK && seen[i].op == BLK_WRITE)
		memcpy(at, pa_to_ptr(seen[i].buf), bytes);
	rq->done(rq, complete_with);
}

static int in_flight(void)
{
	int n = 0;

	for (u32 i = 0; i < nsubmitted; i++)
		n += !completed[i];
	return n;
}

static void complete(u32 i, enum blk_status status)
{
	assert_true(i < nsubmitted);
	to_complete = i;
	complete_with = status;
	work_queue(&completer, 0);
	work_run(0);
	work_run(0);   /* what the completion queued: the device's next pops */
}

/* --- set-up ---------------------------------------------------------------------- */

/* The page pool around the device's creation, for the memory it reports. */

static int setup_disk(bool read_only)
{
	nsubmitted = 0;
	submit_rc = 0;
	vm_refs = 0;
	vol.sectors = DISK_SECTORS;
	vol.read_only = false;
	for (u32 i = 0; i < sizeof(disk); i++)
		disk[i] = (u8)(i * 7 + 3);
	guest_blk_create(&vol, read_only, HV_PAGES);
	work_init(&completer, complete_work, 0);
	return 0;
}

static int setup(void **state)
{
	return setup_disk(false);
}

static int setup_ro(void **state)
{
	return setup_disk(true);
}

static int teardown(void **state)
{
	/* drain what a test left queued, so the next starts clean */
	work_cancel(&completer);
	fake.counter += fake.counter_freq;
	work_run(0);
	work_run(0);
	/* every piece the volume answered gave its VM reference back; the
	 * ones a test left on the volume still hold theirs */
	assert_int_equal(vm_refs, in_flight());
	guest_blk_free();
	return 0;
}

/* --- tests -------------------------------------------------------------------------- */

static void test_features_and_config(void **state)
{
	u64 f = device_features();

	assert_true(f & F_SEG_MAX);
	assert_true(f & F_BLK_SIZE);
	assert_true(f & F_FLUSH);
	assert_false(f & F_RO);
	assert_true(f & F_VERSION_1);
	assert_int_equal(rd(0x008), 2);                       /* block device */
	assert_int_equal(rd(CONFIG + 0), DISK_SECTORS);       /* capacity, low half */
	assert_int_equal(rd(CONFIG + 4), 0);
	assert_int_equal(rd(CONFIG + 12), 126);               /* seg_max */
	assert_int_equal(rd(CONFIG + 20), 512);               /* blk_size */
	assert_int_equal(rd(CONFIG + 8), 0);                  /* size_max not offered */
	assert_true(f & F_DISCARD);
	assert_true(f & F_WRITE_ZEROES);
	assert_int_equal(rd(CONFIG + 36), 8192);              /* max_discard_sectors */
	assert_int_equal(rd(CONFIG + 40), 1);                 /* max_discard_seg */
	assert_int_equal(rd(CONFIG + 48), 8192);              /* max_write_zeroes_sectors */
	assert_int_equal(rd(CONFIG + 52), 1);                 /* max_write_zeroes_seg */
}

static void test_write_then_read(void **state)
{
	u32 id, len;
	u16 head;

	for (u32 i = 0; i < 1024; i++)
		ram[DATA + i] = (u8)(0x5a ^ i);
	head = rw(0, T_OUT, 3, 0, 1024);
	assert_int_equal(nsubmitted, 1);
	assert_int_equal(seen[0].op, BLK_WRITE);
	assert_int_equal(seen[0].sector, 3);
	assert_int_equal(seen[0].count, 2);
	/* nothing answered before the volume did */
	assert_int_equal(ram[STATS], UNTOUCHED);
	assert_int_equal(used_idx(), 0);
	complete(0, BLK_OK);
	assert_memory_equal(disk + 3 * 512, ram + DATA, 1024);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(used_idx(), 1);
	used(0, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 1);
	assert_true(fake.line_level[LINE]);

	memset(ram + DATA + 0x8000, 0, 1024);
	head = rw(1, T_IN, 3, 0x8000, 1024);
	assert_int_equal(nsubmitted, 2);
	assert_int_equal(seen[1].op, BLK_READ);
	complete(1, BLK_OK);
	assert_memory_equal(ram + DATA + 0x8000, ram + DATA, 1024);
	assert_int_equal(ram[STATS + 1], 0);
	used(1, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 1025);
}

/* A request larger than a bounce buffer goes to the volume in pieces, all
 * at once while pieces are free; they may come back in any order, and the
 * request is answered once, when the last is back. */
static void test_large_request_split(void **state)
{
	u32 len = 3 * VBLK_BOUNCE_BYTES;
	static const u32 order[3] = { 2, 0, 1 };

	for (u32 i = 0; i < len; i++)
		ram[DATA + i] = (u8)(i * 13 + 1);
	rw(0, T_OUT, 10, 0, len);
	assert_int_equal(nsubmitted, 3);
	for (u32 i = 0; i < 3; i++) {
		assert_int_equal(seen[i].op, BLK_WRITE);
		assert_int_equal(seen[i].sector, 10 + i * PIECE_SECTORS);
		assert_int_equal(seen[i].count, PIECE_SECTORS);
	}
	for (u32 i = 0; i < 3; i++) {
		assert_int_equal(ram[STATS], UNTOUCHED);
		assert_int_equal(used_idx(), 0);
		complete(order[i], BLK_OK);
	}
	assert_int_equal(nsubmitted, 3);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(used_idx(), 1);
	assert_memory_equal(disk + 10 * 512, ram + DATA, len);

	memset(ram + DATA + len, 0, len);
	rw(1, T_IN, 10, len, len);
	assert_int_equal(nsubmitted, 6);
	for (u32 i = 0; i < 3; i++)
		complete(3 + order[i], BLK_OK);
	assert_int_equal(ram[STATS + 1], 0);
	assert_int_equal(used_idx(), 2);
	assert_memory_equal(ram + DATA + len, ram + DATA, len);
}

/* A request longer than all the pieces together: a piece that comes back
 * goes on to the next part, so the parts follow each other on the volume
 * with at most 8 out; the data arrives whole, whatever the order. */
static void test_request_longer_than_the_pieces(void **state)
{
	u32 len = 10 * VBLK_BOUNCE_BYTES;   /* 10 pieces */

	rw(0, T_IN, 0, 0, len);
	assert_int_equal(nsubmitted, 8);
	assert_int_equal(in_flight(), 8);
	complete(5, BLK_OK);
	assert_int_equal(nsubmitted, 9);
	assert_int_equal(seen[8].sector, 8 * PIECE_SECTORS);
	complete(8, BLK_OK);
	assert_int_equal(nsubmitted, 10);
	assert_int_equal(seen[9].sector, 9 * PIECE_SECTORS);
	for (u32 i = 9; i-- > 0;) {
		if (!completed[i])
			complete(i, BLK_OK);
	}
	assert_int_equal(ram[STATS], UNTOUCHED);
	complete(9, BLK_OK);
	assert_int_equal(nsubmitted, 10);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(used_idx(), 1);
	assert_memory_equal(ram + DATA, disk, len);
}

/* Pieces may complete in the disk's interrupt handler (irq_done): called
 * there, a completion starts a read's next piece itself but leaves a
 * write's, which copies from the guest, to the work. */
static void test_completion_in_the_interrupt_handler(void **state)
{
	u32 len = 10 * VBLK_BOUNCE_BYTES;   /* 10 pieces */

	rw(0, T_OUT, 0, 0, len);
	assert_int_equal(nsubmitted, 8);
	assert_true(seen[0].irq_done);
	completed[5] = true;
	submitted[5]->done(submitted[5], BLK_OK);
	assert_int_equal(nsubmitted, 8);
	assert_true(work_next_due(0) != 0);
	work_run(0);
	assert_int_equal(nsubmitted, 9);
	assert_int_equal(seen[8].op, BLK_WRITE);
	assert_int_equal(seen[8].sector, 8 * PIECE_SECTORS);
	for (u32 i = 0; i < 9; i++) {
		if (!completed[i])
			complete(i, BLK_OK);
	}
	complete(9, BLK_OK);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(ram[STATS], 0);

	rw(1, T_IN, 0, 0, len);
	assert_int_equal(nsubmitted, 18);
	assert_true(seen[10].irq_done);
	completed[12] = true;
	submitted[12]->done(submitted[12], BLK_OK);
	assert_int_equal(nsubmitted, 19);     /* the read's next piece, at once */
	assert_int_equal(seen[18].op, BLK_READ);
	assert_int_equal(work_next_due(0), 0);
	for (u32 i = 10; i < 20; i++) {
		if (!completed[i])
			complete(i, BLK_OK);
	}
	assert_int_equal(used_idx(), 2);
	assert_int_equal(ram[STATS + 1], 0);
}

/* A piece that fails ends the request with IOERR once the pieces already
 * out are back, and no piece of it is started after the failure. */
static void test_volume_error(void **state)
{
	rw(0, T_OUT, 0, 0, 2 * VBLK_BOUNCE_BYTES);
	assert_int_equal(nsubmitted, 2);
	complete(0, BLK_IOERR);
	assert_int_equal(ram[STATS], UNTOUCHED);
	assert_int_equal(used_idx(), 0);
	complete(1, BLK_OK);
	assert_int_equal(ram[STATS], 1);
	assert_int_equal(used_idx(), 1);
	/* a refusal by the volume, too */
	submit_rc = BLK_SUBMIT_INVALID;
	rw(1, T_IN, 0, 0, 512);
	assert_int_equal(ram[STATS + 1], 1);
	assert_int_equal(used_idx(), 2);
	submit_rc = 0;
	/* longer than the pieces: a failure stops the rest */
	rw(2, T_IN, 0, 0, 10 * VBLK_BOUNCE_BYTES);
	assert_int_equal(nsubmitted, 10);
	complete(3, BLK_IOERR);
	for (u32 i = 2; i < 10; i++) {
		if (!completed[i])
			complete(i, BLK_OK);
	}
	assert_int_equal(nsubmitted, 10);          /* the last 2 never started */
	assert_int_equal(ram[STATS + 2], 1);
	assert_int_equal(used_idx(), 3);
}

/* A disk with no room is tried again later: the guest sees no error. */
static void test_busy_disk_retried(void **state)
{
	submit_rc = BLK_SUBMIT_BUSY;
	rw(0, T_IN, 5, 0, 512);
	assert_int_equal(nsubmitted, 0);
	assert_int_equal(ram[STATS], UNTOUCHED);
	work_run(0);                               /* not due yet */
	assert_int_equal(nsubmitted, 0);
	fake.counter += fake.counter_freq / 1000;
	work_run(0);                               /* still busy */
	assert_int_equal(nsubmitted, 0);
	submit_rc = 0;
	fake.counter += fake.counter_freq / 1000;
	work_run(0);
	assert_int_equal(nsubmitted, 1);
	assert_int_equal(seen[0].sector, 5);
	complete(0, BLK_OK);
	assert_int_equal(ram[STATS], 0);
	assert_memory_equal(ram + DATA, disk + 5 * 512, 512);
}

/* A reset while a request waits for room: it lets go without a submission. */
static void test_busy_then_reset(void **state)
{
	submit_rc = BLK_SUBMIT_BUSY;
	rw(0, T_IN, 5, 0, 512);
	wr(STATUS, 0);
	submit_rc = 0;
	fake.counter += fake.counter_freq / 1000;
	work_run(0);
	assert_int_equal(nsubmitted, 0);
	assert_int_equal(ram[STATS], UNTOUCHED);
	driver_init();
	for (u32 i = 0; i < 4; i++)
		rw(i, T_IN, i, 512 * i, 512);
	assert_int_equal(nsubmitted, 4);
}

static void test_flush_waits_for_volume(void **state)
{
	struct seg s[2] = { header(0, T_FLUSH, 0), status(0) };

	offer(s, 2);
	assert_int_equal(nsubmitted, 1);
	assert_int_equal(seen[0].op, BLK_FLUSH);
	work_run(0);
	assert_int_equal(ram[STATS], UNTOUCHED);
	assert_int_equal(used_idx(), 0);
	complete(0, BLK_OK);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(used_idx(), 1);
}

static void test_get_id(void **state)
{
	static const char want[20] = "bulkhead-data";
	struct seg s[3] = { header(0, T_GET_ID, 0), { DATA, 20, true }, status(0) };
	u32 id, len;

	memset(ram + DATA, 0xff, 20);
	offer(s, 3);
	assert_int_equal(nsubmitted, 0);
	assert_memory_equal(ram + DATA, want, 20);
	assert_int_equal(ram[STATS], 0);
	used(0, &id, &len);
	assert_int_equal(len, 21);
}

static void test_past_the_end(void **state)
{
	rw(0, T_IN, DISK_SECTORS - 1, 0, 1024);
	assert_int_equal(ram[STATS], 1);
	rw(1, T_OUT, DISK_SECTORS, 0, 512);
	assert_int_equal(ram[STATS + 1], 1);
	rw(2, T_IN, ~0ull, 0, 512);                  /* sector + length overflows */
	assert_int_equal(ram[STATS + 2], 1);
	rw(3, T_IN, ~0ull - 1000, 0, 512);
	assert_int_equal(ram[STATS + 3], 1);
	assert_int_equal(nsubmitted, 0);
	assert_int_equal(used_idx(), 4);
	/* the last sector is fine */
	rw(4, T_IN, DISK_SECTORS - 1, 0, 512);
	assert_int_equal(nsubmitted, 1);
}

static void test_read_only(void **state)
{
	assert_true(device_features() & F_RO);
	rw(0, T_OUT, 0, 0, 512);
	assert_int_equal(ram[STATS], 1);
	assert_int_equal(nsubmitted, 0);
	rw(1, T_IN, 0, 0, 512);
	assert_int_equal(nsubmitted, 1);
}

static void test_malformed_chains(void **state)
{
	u32 id, len;

	/* no status byte: nothing can be told, the chain goes back empty */
	{
		struct seg s[2] = { header(0, T_IN, 0), { DATA, 512, false } };

		offer(s, 2);
		used(0, &id, &len);
		assert_int_equal(len, 0);
	}
	/* header too short */
	{
		struct seg s[3] = { { HDRS, 8, false }, { DATA, 512, true }, status(1) };

		ram[STATS + 1] = UNTOUCHED;
		offer(s, 3);
		assert_int_equal(ram[STATS + 1], 1);
	}
	/* data not a multiple of 512 */
	rw(2, T_IN, 0, 0, 500);
	assert_int_equal(ram[STATS + 2], 1);
	/* a read whose data the device would have to read, a write with writable data */
	{
		struct seg s[3] = { header(3, T_IN, 0), { DATA, 512, false }, status(3) };

		offer(s, 3);
		assert_int_equal(ram[STATS + 3], 1);
	}
	rw(4, T_OUT, 0, 0, 0);           /* no data: fine */
	assert_int_equal(ram[STATS + 4], 0);
	/* an unknown type */
	{
		struct seg s[2] = { header(5, 77, 0), status(5) };

		offer(s, 2);
		assert_int_equal(ram[STATS + 5], 2);
	}
	assert_int_equal(nsubmitted, 0);
	assert_int_equal(used_idx(), 6);
	/* a chain breaking the ring's rules (a readable segment after a writable
	 * one) is the transport's: it asks for a reset, nothing is submitted */
	{
		struct seg s[3] = { header(6, T_OUT, 0), status(6), { DATA, 512, false } };

		offer(s, 3);
		assert_true(rd(STATUS) & 64);
		assert_int_equal(ram[STATS + 6], UNTOUCHED);
		assert_int_equal(nsubmitted, 0);
	}
}

static void test_out_of_order(void **state)
{
	u16 heads[3];
	u32 id, len;

	for (u32 i = 0; i < 3; i++)
		heads[i] = rw(i, T_IN, i, 512 * i, 512);
	assert_int_equal(nsubmitted, 3);
	complete(2, BLK_OK);
	complete(0, BLK_IOERR);
	complete(1, BLK_OK);
	assert_int_equal(used_idx(), 3);
	used(0, &id, &len);
	assert_int_equal(id, heads[2]);
	used(1, &id, &len);
	assert_int_equal(id, heads[0]);
	used(2, &id, &len);
	assert_int_equal(id, heads[1]);
	assert_int_equal(ram[STATS + 0], 1);
	assert_int_equal(ram[STATS + 1], 0);
	assert_int_equal(ram[STATS + 2], 0);
	assert_memory_equal(ram + DATA + 512, disk + 512, 512);
}

/* With every slot busy, chains wait on the ring until a completion frees one. */
static void test_slots_bounded(void **state)
{
	for (u32 i = 0; i < 10; i++)
		rw(i, T_IN, i, 512 * i, 512);
	assert_int_equal(nsubmitted, 8);
	complete(1, BLK_OK);
	assert_int_equal(nsubmitted, 9);
	complete(0, BLK_OK);
	assert_int_equal(nsubmitted, 10);
	for (u32 i = 2; i < 10; i++)
		complete(i, BLK_OK);
	assert_int_equal(used_idx(), 10);
	for (u32 i = 0; i < 10; i++)
		assert_int_equal(ram[STATS + i], 0);
}

/* With a slot to spare, a completion queues no more work: the device popped
 * every chain there was, and a new one comes with its own notification. */
static void test_completion_with_slots_free_queues_nothing(void **state)
{
	rw(0, T_IN, 3, 0, 512);
	assert_int_equal(nsubmitted, 1);
	to_complete = 0;
	complete_with = BLK_OK;
	work_queue(&completer, 0);
	work_run(0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(work_next_due(0), 0);
}

/* A read goes to the volume from the guest's notification itself, with no
 * work queued; a write waits for the work, which copies its data. */
static void test_read_submitted_from_the_notification(void **state)
{
	struct seg rd_segs[3] = { header(0, T_IN, 4), { DATA, 512, true }, status(0) };
	struct seg wr_segs[3] = { header(1, T_OUT, 6), { DATA + 512, 512, false }, status(1) };

	offer_only(rd_segs, 3);
	assert_int_equal(nsubmitted, 1);
	assert_int_equal(seen[0].op, BLK_READ);
	assert_int_equal(work_next_due(0), 0);
	offer_only(wr_segs, 3);
	assert_int_equal(nsubmitted, 1);
	assert_true(work_next_due(0) != 0);
	work_run(0);
	assert_int_equal(nsubmitted, 2);
	assert_int_equal(seen[1].op, BLK_WRITE);
	complete(0, BLK_OK);
	complete(1, BLK_OK);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(ram[STATS], 0);
	assert_int_equal(ram[STATS + 1], 0);
}

/* A guest that notifies once for more chains than one trap takes (five,
 * 15 of the ring's 16 descriptors): the trap starts four, the work the last, and all are answered. */
static void test_notification_takes_a_bounded_share(void **state)
{
	for (u32 i = 0; i < 5; i++) {
		struct seg s[3] = { header(i, T_IN, i), { DATA + 512 * i, 512, true }, status(i) };

		offer_chain(s, 3, i == 4);
	}
	assert_int_equal(nsubmitted, 4);
	assert_true(work_next_due(0) != 0);
	work_run(0);
	assert_int_equal(nsubmitted, 5);
	for (u32 i = 0; i < 5; i++)
		complete(i, BLK_OK);
	assert_int_equal(used_idx(), 5);
	for (u32 i = 0; i < 5; i++)
		assert_int_equal(ram[STATS + i], 0);
}

/* A completion after a reset writes nothing to the guest and frees the slot. */
static void test_reset_with_request_in_flight(void **state)
{
	rw(0, T_IN, 0, 0, 512);
	memset(ram + DATA, 0x11, 512);
	wr(STATUS, 0);
	complete(0, BLK_OK);
	assert_int_equal(ram[STATS], UNTOUCHED);
	assert_int_equal(ram[DATA], 0x11);
	assert_int_equal(used_idx(), 0);
	/* the device works again, with every slot */
	driver_init();
	for (u32 i = 0; i < 4; i++)
		rw(i, T_IN, i, 512 * i, 512);
	assert_int_equal(nsubmitted, 5);
}

/* The VM going away gives the bounce buffers back, except one the volume
 * may still write into. */
static void test_destroy_keeps_busy_buffers(void **state)
{
	u64 free_before = hv_pages.free_pages;

	rw(0, T_IN, 0, 0, 512);
	assert_int_equal(nsubmitted, 1);
	dev.ops->destroy(&dev);
	assert_int_equal(hv_pages.free_pages, free_before + 7 * VBLK_BOUNCE_PAGES);
	dev.ops->destroy(&dev);                       /* twice: nothing more */
	assert_int_equal(hv_pages.free_pages, free_before + 7 * VBLK_BOUNCE_PAGES);
}

/* The device says what it took from Bulkhead's pages when it was created:
 * every page it took (bounce buffers and its state), none more. */
static void test_reports_its_memory(void **state)
{
	u64 taken = guest_blk_create_pages;
	char want[64];

	assert_true(taken >= VBLK_PIECES * VBLK_BOUNCE_PAGES);   /* at least the bounce buffers */
	snprintf(want, sizeof(want), ": %llu KiB of hypervisor memory",
		 (unsigned long long)(taken * PAGE_SIZE / KiB));
	assert_non_null(strstr(last_log, "disk xvda (volume '"));
	assert_non_null(strstr(last_log, want));
}

/* A DISCARD or WRITE_ZEROES of one range (16 bytes at DATA + 16h). */
static void range_request(u32 h, u32 type, u64 sector, u32 num, u32 flags)
{
	u8 *p = ram + DATA + 16 * h;
	struct seg s[3] = { header(h, type, 0), { DATA + 16 * h, 16, false }, status(h) };

	memcpy(p, &sector, 8);
	memcpy(p + 8, &num, 4);
	memcpy(p + 12, &flags, 4);
	offer(s, 3);
}

static void test_write_zeroes_and_discard(void **state)
{
	/* a piece and 16 sectors: two pieces, all zeros */
	range_request(0, T_WRITE_ZEROES, 100, PIECE_SECTORS + 16, 1);
	for (u32 i = 0; i < nsubmitted; i++) {
		assert_int_equal(seen[i].op, BLK_WRITE);
		assert_int_equal(seen[i].sector, 100 + PIECE_SECTORS * i);
		complete(i, BLK_OK);
	}
	assert_int_equal(nsubmitted, 2);
	assert_int_equal(ram[STATS], 0);
	for (u32 i = 0; i < (PIECE_SECTORS + 16) * 512; i++)
		assert_int_equal(disk[100 * 512 + i], 0);
	assert_int_not_equal(disk[(116 + PIECE_SECTORS) * 512] | disk[(116 + PIECE_SECTORS) * 512 + 1], 0);   /* not past it */

	range_request(1, T_DISCARD, 300, 1, 0);
	assert_int_equal(nsubmitted, 3);
	complete(2, BLK_OK);
	assert_int_equal(ram[STATS + 1], 0);

	/* refused: unmap on a discard, unknown flags, past the end, too long */
	range_request(2, T_DISCARD, 0, 1, 1);
	assert_int_equal(ram[STATS + 2], 2);
	range_request(3, T_WRITE_ZEROES, 0, 1, 2);
	assert_int_equal(ram[STATS + 3], 2);
	range_request(4, T_WRITE_ZEROES, DISK_SECTORS - 1, 2, 0);
	assert_int_equal(ram[STATS + 4], 1);
	range_request(5, T_WRITE_ZEROES, ~0ull, 1, 0);
	assert_int_equal(ram[STATS + 5], 1);
	range_request(6, T_DISCARD, 0, 8193, 0);
	assert_int_equal(ram[STATS + 6], 1);
	assert_int_equal(nsubmitted, 3);
}

static void test_write_zeroes_read_only(void **state)
{
	range_request(0, T_WRITE_ZEROES, 0, 1, 0);
	assert_int_equal(ram[STATS], 1);
	assert_false(device_features() & (F_DISCARD | F_WRITE_ZEROES));
	assert_int_equal(nsubmitted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_request_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_longer_than_the_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion_in_the_interrupt_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volume_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_disk_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_then_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_waits_for_volume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes_and_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes_read_only, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion_with_slots_free_queues_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_submitted_from_the_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notification_takes_a_bounded_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_with_request_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_keeps_busy_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_its_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
