/*
 * The virtio-blk driver (drivers/virtio_blk.c, virtio_mmio_host.c, blk.c)
 * against a fake virtio-blk device in host memory: its registers are a
 * struct behind the transport's two accesses, and fake_process() plays the
 * device, consuming the driver's avail ring and answering on the used ring,
 * honestly or not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/page_alloc.h"
#include "core/workqueue.h"
#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio_host.h"
#include "fake_arch.h"
#include "hv_pool.h"
#include "log_last.h"

#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define F_WRITE_ZEROES (1ull << 14)
#define F_VERSION_1 (1ull << 32)
#define F_UNWANTED (1ull << 10)   /* offered, never taken */

#define DISK_SECTORS 256
#define IRQ 48

/* The device side of one split virtqueue, as the spec lays it out. */
struct desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct fake_vblk {
	u32 magic, version, device_id;
	u64 features;
	u32 features_sel;
	u64 driver_features;
	u32 driver_features_sel;
	u32 status;
	bool refuse_features;       /* clears FEATURES_OK when set */
	u32 queue_num_max, queue_num, queue_ready;
	u64 desc, driver, device;
	u32 notifies;
	u32 int_status;
	u64 capacity;
	u32 blk_size;
	u32 max_write_zeroes;
	struct { u64 sector; u32 num_sectors, flags; } last_seg;  /* the last write-zeroes */
	u32 write_zeroes;
	u8 disk[DISK_SECTORS * 512];
	u16 last_avail, used_idx;
	u32 flushes;
	u32 resets;
	/* answers a hostile or broken device gives */
	bool reverse;               /* completes a batch in the opposite order */
	s64 bad_id;                 /* -1: none; else the id written for the first completion */
	u16 idx_jump;               /* added to the used index once */
	bool short_len;             /* reports one byte fewer written */
	int bad_status;             /* -1: none; else the status byte written */
	bool len_zero;              /* reports nothing written (an allowed underestimate) */
	bool no_status;             /* and really writes no status byte */
};

static struct fake_vblk dev;
#define HV_PAGES 512

static struct fake_vblk *fake_of(const struct vmmio *t)
{
	return pa_to_ptr(t->base);
}

u32 vmmio_read32(const struct vmmio *t, u32 off)
{
	struct fake_vblk *f = fake_of(t);

	switch (off) {
	case 0x000: return f->magic;
	case 0x004: return f->version;
	case 0x008: return f->device_id;
	case 0x00c: return 0x554d4551;
	case 0x010: return (u32)(f->features >> (f->features_sel ? 32 : 0));
	case 0x034: return f->queue_num_max;
	case 0x044: return f->queue_ready;
	case 0x060: return f->int_status;
	case 0x070: return f->status;
	case 0x0fc: return 0;
	case 0x100: return (u32)f->capacity;
	case 0x104: return (u32)(f->capacity >> 32);
	case 0x114: return f->blk_size;
	case 0x130: return f->max_write_zeroes;
	default: fail_msg("read of register 0x%x", off);
	}
	return 0;
}

static void set_half(u64 *v, u32 sel, u32 value)
{
	if (sel)
		*v = (*v & 0xffffffffull) | (u64)value << 32;
	else
		*v = (*v & ~0xffffffffull) | value;
}

void vmmio_write32(const struct vmmio *t, u32 off, u32 v)
{
	struct fake_vblk *f = fake_of(t);

	switch (off) {
	case 0x014: f->features_sel = v; break;
	case 0x020: set_half(&f->driver_features, f->driver_features_sel, v); break;
	case 0x024: f->driver_features_sel = v; break;
	case 0x030: assert_int_equal(v, 0); break;
	case 0x038: f->queue_num = v; break;
	case 0x044: f->queue_ready = v; break;
	case 0x050: f->notifies++; break;
	case 0x064: f->int_status &= ~v; break;
	case 0x070:
		if (v == 0) {
			/* reset: the queue is forgotten */
			f->resets++;
			f->queue_ready = 0;
			f->last_avail = f->used_idx = 0;
		}
		if ((v & VIRTIO_STATUS_FEATURES_OK) && f->refuse_features)
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		f->status = v;
		break;
	case 0x080: set_half(&f->desc, 0, v); break;
	case 0x084: set_half(&f->desc, 1, v); break;
	case 0x090: set_half(&f->driver, 0, v); break;
	case 0x094: set_half(&f->driver, 1, v); break;
	case 0x0a0: set_half(&f->device, 0, v); break;
	case 0x0a4: set_half(&f->device, 1, v); break;
	default: fail_msg("write of 0x%x to register 0x%x", v, off);
	}
}

static struct desc *fdesc(u16 i)
{
	assert_true(i < dev.queue_num);
	return (struct desc *)pa_to_ptr(pa_init(dev.desc)) + i;
}

static u16 *avail_idx(void) { return (u16 *)pa_to_ptr(pa_init(dev.driver)) + 1; }
static u16 *avail_ring(void) { return (u16 *)pa_to_ptr(pa_init(dev.driver)) + 2; }
static u16 *used_idx(void) { return (u16 *)pa_to_ptr(pa_init(dev.device)) + 1; }
static u32 *used_ring(void) { return (u32 *)pa_to_ptr(pa_init(dev.device)) + 1; }

/* Carries out one chain as a device would; returns the bytes it wrote. */
static u32 execute(u16 head)
{
	struct desc *h = fdesc(head), *d, *s;
	const u32 *hdr = pa_to_ptr(pa_init(h->addr));
	u64 sector;
	u8 *status;

	assert_int_equal(h->len, 16);
	assert_true(h->flags & 1);
	assert_false(h->flags & 2);
	sector = *(const u64 *)(hdr + 2);
	d = fdesc(h->next);
	if (hdr[0] == 4) {  /* flush: header and status only */
		s = d;
		dev.flushes++;
	} else if (hdr[0] == 13) {  /* write-zeroes: one segment the device reads */
		s = fdesc(d->next);
		assert_int_equal(sector, 0);
		assert_true(d->flags & 1);
		assert_false(d->flags & 2);
		assert_int_equal(d->len, 16);
		memcpy(&dev.last_seg, pa_to_ptr(pa_init(d->addr)), 16);
		dev.write_zeroes++;
		assert_true(dev.last_seg.sector + dev.last_seg.num_sectors <= DISK_SECTORS);
		memset(dev.disk + dev.last_seg.sector * 512, 0, dev.last_seg.num_sectors * 512);
	} else {
		s = fdesc(d->next);
		assert_true(d->flags & 1);
		assert_int_equal(d->len % 512, 0);
		assert_true(sector + d->len / 512 <= DISK_SECTORS);
		if (hdr[0] == 0) {
			assert_true(d->flags & 2);
			memcpy(pa_to_ptr(pa_init(d->addr)), dev.disk + sector * 512, d->len);
		} else {
			assert_int_equal(hdr[0], 1);
			assert_false(d->flags & 2);
			memcpy(dev.disk + sector * 512, pa_to_ptr(pa_init(d->addr)), d->len);
		}
	}
	assert_int_equal(s->len, 1);
	assert_int_equal(s->flags, 2);
	status = pa_to_ptr(pa_init(s->addr));
	if (!dev.no_status)
		*status = dev.bad_status >= 0 ? (u8)dev.bad_status : 0;
	if (dev.len_zero)
		return 0;
	return (hdr[0] == 0 ? d->len : 0) + 1;
}

/* The device's step: every chain the driver made available, answered on
 * the used ring (with the knobs' lies), then the interrupt. */
static void fake_process(void)
{
	u16 heads[64], n = 0;
	u32 lens[64];

	while (dev.last_avail != *avail_idx()) {
		heads[n] = avail_ring()[dev.last_avail % dev.queue_num];
		lens[n] = execute(heads[n]);
		n++;
		dev.last_avail++;
	}
	for (u16 i = 0; i < n; i++) {
		u16 k = dev.reverse ? n - 1 - i : i;
		u32 *e = used_ring() + 2 * (dev.used_idx % dev.queue_num);

		e[0] = heads[k];
		if (dev.bad_id >= 0 && i == 0)
			e[0] = (u32)dev.bad_id;
		e[1] = lens[k] - (dev.short_len ? 1 : 0);
		dev.used_idx++;
	}
	dev.used_idx += dev.idx_jump;
	dev.idx_jump = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*used_idx() = dev.used_idx;
	dev.int_status |= VIRTIO_INT_USED_BUFFER;
}

/* The interrupt, then CPU 0's deferred work, as the hypervisor runs them. */
static void interrupt_and_work(void)
{
	assert_non_null(fake_irq_handler);
	fake_irq_handler(fake_irq_ctx);
	assert_int_equal(dev.int_status, 0);  /* acknowledged in the handler */
	work_run(0);
}

static void reset_device(u64 features)
{
	memset(&dev, 0, sizeof(dev));
	dev.magic = VIRTIO_MMIO_MAGIC;
	dev.version = 2;
	dev.device_id = 2;
	dev.features = features;
	dev.queue_num_max = 128;
	dev.capacity = DISK_SECTORS;
	dev.blk_size = 4096;
	dev.bad_id = -1;
	dev.bad_status = -1;
	for (u32 i = 0; i < sizeof(dev.disk); i++)
		dev.disk[i] = (u8)(i * 7 + i / 512);
}

static struct blk_disk *probe(void)
{
	return virtio_blk_probe(ptr_to_pa(&dev), IRQ);
}

/* A request's outcome, recorded by its callback. */
struct result {
	int calls;
	enum blk_status status;
};

static void done(struct blk_request *rq, enum blk_status status)
{
	struct result *r = rq->ctx;

	r->calls++;
	r->status = status;
}

static struct blk_request req(enum blk_op op, u64 sector, u32 count, void *buf, struct result *r)
{
	return (struct blk_request){ .op = op, .sector = sector, .count = count,
				     .buf = buf ? ptr_to_pa(buf) : pa_init(0), .done = done,
				     .ctx = r };
}

/* Bulkhead's pages, for the whole run: the disk registry keeps every disk
 * a test probed, and their state lives in these pages. */
static int group_setup(void **state)
{
	hv_pool_add(HV_PAGES);
	return 0;
}

static int group_teardown(void **state)
{
	hv_pool_free();
	return 0;
}

static int setup(void **state)
{
	fake_arch_reset();
	fake.counter = 1000;  /* work queued "at once" is due from now */
	fake_irq_handler = NULL;
	reset_device(F_VERSION_1 | F_FLUSH | F_BLK_SIZE | F_SEG_MAX | F_UNWANTED);
	return 0;
}

static int teardown(void **state)
{
	return 0;
}

static void test_probe_negotiates_and_reads_geometry(void **state)
{
	struct blk_disk *d = probe();

	assert_non_null(d);
	assert_int_equal(dev.driver_features, F_VERSION_1 | F_FLUSH | F_BLK_SIZE | F_SEG_MAX);
	assert_int_equal(dev.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(dev.queue_ready, 1);
	assert_int_equal(dev.queue_num, 64);  /* the driver's ring, within the device's 128 */
	assert_int_equal(d->geo.sectors, DISK_SECTORS);
	assert_int_equal(d->geo.sector_size, 512);
	assert_int_equal(d->geo.block_size, 4096);
	assert_true(d->geo.flush);
	assert_false(d->geo.read_only);
	assert_int_equal(fake_irq_attached, IRQ);
	assert_int_equal(strncmp(d->name, "vd", 2), 0);
	assert_ptr_equal(blk_disk(blk_disk_count() - 1), d);
}

static void test_small_queue_and_read_only(void **state)
{
	struct blk_disk *d;
	struct result r = { 0 };
	u8 buf[512];
	struct blk_request rq = req(BLK_WRITE, 0, 1, buf, &r);

	reset_device(F_VERSION_1 | F_RO);
	dev.queue_num_max = 24;  /* not a power of two: the driver takes 16 */
	d = probe();
	assert_non_null(d);
	assert_int_equal(dev.queue_num, 16);
	assert_true(d->geo.read_only);
	assert_false(d->geo.flush);
	assert_int_equal(d->geo.block_size, 512);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_FLUSH, 0, 0, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	assert_int_equal(dev.notifies, 0);
}

static void test_slots_that_are_not_ours_are_skipped(void **state)
{
	u32 count = blk_disk_count();

	dev.device_id = 0;            /* empty */
	assert_null(probe());
	dev.device_id = 1;            /* a network card */
	assert_null(probe());
	dev.device_id = 2;
	dev.version = 1;              /* legacy */
	assert_null(probe());
	assert_non_null(strstr(last_log, "legacy"));
	dev.version = 2;
	dev.magic = 0;
	assert_null(probe());
	assert_int_equal(blk_disk_count(), count);
	assert_int_equal(dev.status, 0);  /* never touched */
}

static void test_features_refused(void **state)
{
	u32 count = blk_disk_count();

	reset_device(F_FLUSH);        /* no VERSION_1 */
	assert_null(probe());
	assert_true(dev.status & VIRTIO_STATUS_FAILED);
	reset_device(F_VERSION_1);
	dev.refuse_features = true;
	assert_null(probe());
	assert_true(dev.status & VIRTIO_STATUS_FAILED);
	assert_int_equal(blk_disk_count(), count);
}

static void test_write_read_flush(void **state)
{
	struct blk_disk *d = probe();
	struct result rw = { 0 }, rr = { 0 }, rf = { 0 };
	u8 *out = malloc(1024), *in = malloc(1024);
	struct blk_request w = req(BLK_WRITE, 10, 2, out, &rw);
	struct blk_request r = req(BLK_READ, 10, 2, in, &rr);
	struct blk_request f = req(BLK_FLUSH, 0, 0, NULL, &rf);

	for (int i = 0; i < 1024; i++)
		out[i] = (u8)(i ^ 0x5a);
	memset(in, 0, 1024);
	assert_int_equal(blk_submit(d, &w), 0);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(rw.calls, 0);      /* never from inside submit */
	fake_process();
	assert_int_equal(rw.calls, 0);      /* nor before the deferred work */
	interrupt_and_work();
	assert_int_equal(rw.calls, 1);
	assert_int_equal(rw.status, BLK_OK);
	assert_memory_equal(dev.disk + 10 * 512, out, 1024);

	assert_int_equal(blk_submit(d, &r), 0);
	assert_int_equal(blk_submit(d, &f), 0);
	/* a flush is done when the device has put it on the used ring, no sooner */
	interrupt_and_work();
	assert_int_equal(rf.calls, 0);
	assert_int_equal(dev.flushes, 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(rr.calls, 1);
	assert_int_equal(rr.status, BLK_OK);
	assert_memory_equal(in, out, 1024);
	assert_int_equal(rf.calls, 1);
	assert_int_equal(rf.status, BLK_OK);
	assert_int_equal(dev.flushes, 1);
	free(out);
	free(in);
}

/* Requests that allow it complete in the interrupt handler, a few at a
 * time; the rest, and those that do not allow it, in the deferred work. */
static void test_irq_done_completes_in_the_handler(void **state)
{
	struct blk_disk *d = probe();
	struct result r[7] = { 0 };
	struct blk_request rq[7];
	u8 *buf = malloc(7 * 512);
	int in_irq = 0;

	for (int i = 0; i < 7; i++) {
		rq[i] = req(BLK_READ, (u64)i, 1, buf + i * 512, &r[i]);
		rq[i].irq_done = i != 0;   /* the first one does not allow it */
		assert_int_equal(blk_submit(d, &rq[i]), 0);
	}
	fake_process();
	fake_irq_handler(fake_irq_ctx);
	assert_int_equal(dev.int_status, 0);
	for (int i = 0; i < 7; i++)
		in_irq += r[i].calls;
	assert_int_equal(r[0].calls, 0);
	assert_int_equal(in_irq, 4);      /* at most four a handler */
	work_run(0);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].status, BLK_OK);
		assert_memory_equal(buf + i * 512, dev.disk + i * 512, 512);
	}
	/* nothing completes twice */
	work_run(0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(r[i].calls, 1);
	free(buf);
}

static void test_requests_out_of_range_are_refused(void **state)
{
	struct blk_disk *d = probe();
	struct result r = { 0 };
	u8 buf[1024];
	struct blk_request rq = req(BLK_READ, DISK_SECTORS - 1, 2, buf, &r);

	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_READ, ~0ull, 1, buf, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_READ, 0, 0, buf, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_READ, 0, 1, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_READ, DISK_SECTORS - 2, 2, buf, &r);
	assert_int_equal(blk_submit(d, &rq), 0);
	assert_int_equal(dev.notifies, 1);
}

/* The ring fills (three descriptors a request), completions come back in
 * any order, each to its own request, and free the ring again. */
static void test_many_in_flight_complete_out_of_order(void **state)
{
	struct blk_disk *d = probe();
	enum { N = 64 / 3 };
	struct blk_request rq[N + 1];
	struct result res[N + 1];
	u8 *bufs = malloc((N + 1) * 512);

	memset(res, 0, sizeof(res));
	for (int round = 0; round < 2; round++) {
		memset(bufs, 0, (N + 1) * 512);
		for (int i = 0; i < N; i++) {
			rq[i] = req(BLK_READ, (u64)i * 3 + round, 1, bufs + i * 512, &res[i]);
			assert_int_equal(blk_submit(d, &rq[i]), 0);
		}
		rq[N] = req(BLK_READ, 0, 1, bufs + N * 512, &res[N]);
		assert_int_equal(blk_submit(d, &rq[N]), BLK_SUBMIT_BUSY);
		dev.reverse = true;
		fake_process();
		interrupt_and_work();
		for (int i = 0; i < N; i++) {
			assert_int_equal(res[i].calls, round + 1);
			assert_int_equal(res[i].status, BLK_OK);
			assert_memory_equal(bufs + i * 512, dev.disk + ((u64)i * 3 + round) * 512, 512);
		}
		assert_int_equal(res[N].calls, 0);
	}
	free(bufs);
}

/* Submits three reads, lets the device answer with the knobs set, and
 * returns how many completed with each status. */
static void three_reads(struct blk_disk *d, struct result *res, u8 *bufs)
{
	struct blk_request *rq = malloc(3 * sizeof(*rq));

	memset(res, 0, 3 * sizeof(*res));
	for (int i = 0; i < 3; i++) {
		rq[i] = req(BLK_READ, (u64)i, 1, bufs + i * 512, &res[i]);
		assert_int_equal(blk_submit(d, &rq[i]), 0);
	}
	fake_process();
	interrupt_and_work();
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].calls, 1);  /* each exactly once, whatever happened */
	free(rq);
}

static void assert_stopped(struct blk_disk *d, struct result *res, u8 *bufs)
{
	struct result r = { 0 };
	struct blk_request rq = req(BLK_READ, 0, 1, bufs, &r);

	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, BLK_IOERR);
	assert_int_equal(dev.status, 0);          /* reset: it drops the queue */
	assert_non_null(strstr(last_log, "device stopped"));
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_BROKEN);
	/* a late interrupt finds nothing to do */
	dev.int_status = VIRTIO_INT_USED_BUFFER;
	interrupt_and_work();
	assert_int_equal(r.calls, 0);
}

static void test_used_id_out_of_range_stops_the_device(void **state)
{
	struct blk_disk *d = probe();
	struct result res[3];
	u8 *bufs = malloc(3 * 512);

	dev.bad_id = 64;
	three_reads(d, res, bufs);
	assert_stopped(d, res, bufs);
	free(bufs);
}

static void test_used_id_not_in_flight_stops_the_device(void **state)
{
	struct blk_disk *d = probe();
	struct result res[3];
	u8 *bufs = malloc(3 * 512);

	dev.bad_id = 1;  /* in range, but a data descriptor, not a chain's head */
	three_reads(d, res, bufs);
	assert_stopped(d, res, bufs);
	free(bufs);
}

static void test_used_index_jump_stops_the_device(void **state)
{
	struct blk_disk *d = probe();
	struct result res[3];
	u8 *bufs = malloc(3 * 512);

	dev.idx_jump = 40;
	three_reads(d, res, bufs);
	assert_stopped(d, res, bufs);
	free(bufs);
}

/* A wrong length or status fails that request only; the device goes on. */
static void test_bad_length_or_status_fails_the_request(void **state)
{
	struct blk_disk *d = probe();
	struct result res[3];
	u8 *bufs = malloc(3 * 512);

	dev.short_len = true;
	three_reads(d, res, bufs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, BLK_IOERR);
	dev.short_len = false;
	dev.bad_status = 0x7f;
	three_reads(d, res, bufs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, BLK_IOERR);
	dev.bad_status = 2;
	three_reads(d, res, bufs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, BLK_UNSUPP);
	dev.bad_status = -1;
	three_reads(d, res, bufs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, BLK_OK);
	assert_true(dev.status & VIRTIO_STATUS_DRIVER_OK);
	free(bufs);
}

/* A device may underestimate what it wrote: a write or flush then stands
 * on its status byte alone; a read fails, its data not known to be there. */
static void test_underestimated_length(void **state)
{
	struct blk_disk *d = probe();
	struct result rw = { 0 }, rf = { 0 }, rr = { 0 }, rn = { 0 };
	u8 *buf = calloc(1, 512);
	struct blk_request w = req(BLK_WRITE, 5, 1, buf, &rw);
	struct blk_request f = req(BLK_FLUSH, 0, 0, NULL, &rf);
	struct blk_request r = req(BLK_READ, 5, 1, buf, &rr);
	struct blk_request n = req(BLK_FLUSH, 0, 0, NULL, &rn);

	dev.len_zero = true;
	assert_int_equal(blk_submit(d, &w), 0);
	assert_int_equal(blk_submit(d, &f), 0);
	assert_int_equal(blk_submit(d, &r), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(rw.status, BLK_OK);
	assert_int_equal(rf.status, BLK_OK);
	assert_int_equal(rr.status, BLK_IOERR);
	/* nothing written at all: the preset status byte fails it */
	dev.no_status = true;
	assert_int_equal(blk_submit(d, &n), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(rn.calls, 1);
	assert_int_equal(rn.status, BLK_IOERR);
	free(buf);
}

/* The byte the fake disk holds at `i` before anything writes it. */
static u8 pattern(u32 i)
{
	return (u8)(i * 7 + i / 512);
}

static bool zeroed(u64 sector, u32 count)
{
	for (u32 i = 0; i < count * 512; i++) {
		if (dev.disk[sector * 512 + i])
			return false;
	}
	return true;
}

/* Write-zeroes (virtio 1.2, 5.2.6): type 13, a header without a sector, one
 * device-readable segment { sector, num_sectors, flags 0 }, the status byte;
 * within the device's stated limit; its status as for any request. */
static void test_write_zeroes(void **state)
{
	struct blk_disk *d;
	struct result r = { 0 }, many[3];
	struct blk_request rq, mq[3];

	reset_device(F_VERSION_1 | F_FLUSH | F_WRITE_ZEROES);
	dev.max_write_zeroes = 32;
	d = probe();
	assert_non_null(d);
	assert_true(dev.driver_features & F_WRITE_ZEROES);
	assert_int_equal(d->geo.max_write_zeroes, 32);
	rq = req(BLK_WRITE_ZEROES, 100, 32, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.status, BLK_OK);
	assert_int_equal(dev.write_zeroes, 1);
	assert_int_equal(dev.last_seg.sector, 100);
	assert_int_equal(dev.last_seg.num_sectors, 32);
	assert_int_equal(dev.last_seg.flags, 0);  /* no unmapping */
	assert_true(zeroed(100, 32));
	assert_int_equal(dev.disk[100 * 512 - 1], pattern(100 * 512 - 1));
	assert_int_equal(dev.disk[132 * 512], pattern(132 * 512));

	/* past the device's limit, past the end, or empty: refused, never on the ring */
	rq = req(BLK_WRITE_ZEROES, 0, 33, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_WRITE_ZEROES, DISK_SECTORS - 1, 2, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	rq = req(BLK_WRITE_ZEROES, 0, 0, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	assert_int_equal(dev.notifies, 1);

	/* several in flight, answered in reverse: each its own segment */
	memset(many, 0, sizeof(many));
	for (int i = 0; i < 3; i++) {
		mq[i] = req(BLK_WRITE_ZEROES, (u64)i * 20, (u32)(i + 1), NULL, &many[i]);
		assert_int_equal(blk_submit(d, &mq[i]), 0);
	}
	dev.reverse = true;
	fake_process();
	interrupt_and_work();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(many[i].calls, 1);
		assert_int_equal(many[i].status, BLK_OK);
		assert_true(zeroed((u64)i * 20, (u32)(i + 1)));
		assert_int_equal(dev.disk[(i * 20 + i + 1) * 512], pattern((i * 20 + i + 1) * 512));
	}

	/* the device's answers: unsupported, an error, a status byte alone */
	dev.bad_status = 2;
	rq = req(BLK_WRITE_ZEROES, 200, 1, NULL, &r);
	assert_int_equal(blk_submit(d, &rq), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.status, BLK_UNSUPP);
	dev.bad_status = 1;
	assert_int_equal(blk_submit(d, &rq), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(r.status, BLK_IOERR);
	dev.bad_status = -1;
	dev.len_zero = true;
	assert_int_equal(blk_submit(d, &rq), 0);
	fake_process();
	interrupt_and_work();
	assert_int_equal(r.calls, 4);
	assert_int_equal(r.status, BLK_OK);
}

/* Offered without a limit, or not offered: not used. */
static void test_write_zeroes_not_offered(void **state)
{
	struct blk_disk *d;
	struct result r = { 0 };
	struct blk_request rq = req(BLK_WRITE_ZEROES, 0, 1, NULL, &r);

	reset_device(F_VERSION_1 | F_WRITE_ZEROES);
	d = probe();  /* max_write_zeroes_sectors 0 */
	assert_non_null(d);
	assert_int_equal(d->geo.max_write_zeroes, 0);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	reset_device(F_VERSION_1);
	dev.max_write_zeroes = 32;
	d = probe();
	assert_non_null(d);
	assert_false(dev.driver_features & F_WRITE_ZEROES);
	assert_int_equal(d->geo.max_write_zeroes, 0);
	assert_int_equal(blk_submit(d, &rq), BLK_SUBMIT_INVALID);
	assert_int_equal(dev.notifies, 0);
}

/* --- a probe that gives up ------------------------------------------------ */

/* After a failed probe: every page back, nothing registered, the device
 * reset (its queue forgotten) and FAILED (virtio 1.2, 3.1.1), and said. */
static void assert_given_up(u64 pages, u32 disks)
{
	assert_int_equal(hv_pages.free_pages, pages);
	assert_int_equal(blk_disk_count(), disks);
	assert_int_equal(dev.status, VIRTIO_STATUS_FAILED);
	assert_int_equal(dev.queue_ready, 0);
	assert_non_null(strstr(last_log, "skipped"));
}

static void test_probe_failures_give_everything_back(void **state)
{
	u64 pages = hv_pages.free_pages;
	u32 disks = blk_disk_count();
	u32 max_sizes[] = { 0, 1, 2, 3 };  /* no queue, or too small for a 3-descriptor chain */

	reset_device(F_FLUSH);  /* feature negotiation refused: no VERSION_1 */
	assert_null(probe());
	assert_given_up(pages, disks);
	reset_device(F_VERSION_1 | F_FLUSH);
	dev.refuse_features = true;  /* FEATURES_OK not kept */
	assert_null(probe());
	assert_given_up(pages, disks);
	for (u32 i = 0; i < 4; i++) {
		reset_device(F_VERSION_1 | F_FLUSH);
		dev.queue_num_max = max_sizes[i];
		assert_null(probe());
		assert_given_up(pages, disks);
		assert_non_null(strstr(last_log, "queue"));
	}
	/* the interrupt refused after the disk was named: the name is taken back */
	reset_device(F_VERSION_1 | F_FLUSH);
	assert_null(virtio_blk_probe(ptr_to_pa(&dev), 0));
	assert_given_up(pages, disks);
	assert_non_null(strstr(last_log, "interrupt"));
	assert_null(fake_irq_handler);
	/* the smallest queue that holds a request is taken */
	reset_device(F_VERSION_1 | F_FLUSH);
	dev.queue_num_max = 4;
	assert_non_null(probe());
	assert_int_equal(dev.queue_num, 4);
}

/* Each page the probe takes, in turn, is the one the pool cannot give. */
static void test_probe_out_of_pages_gives_everything_back(void **state)
{
	static paddr_t held[HV_PAGES];
	u32 disks = blk_disk_count(), nheld = 0;

	for (u64 left = 0; left < 3; left++) {
		while (hv_pages.free_pages > left) {
			held[nheld] = page_alloc(&hv_pages, 1, PAGE_SIZE);
			assert_true(pa_addr(held[nheld++]));
		}
		reset_device(F_VERSION_1 | F_FLUSH);
		assert_null(probe());
		assert_given_up(left, disks);
		while (nheld)
			page_free(&hv_pages, held[--nheld], 1);
	}
}

/* The disk registry full: the device is given up, its pages back. Last: it
 * fills the registry for good. */
static void test_probe_registry_full_gives_everything_back(void **state)
{
	static struct blk_disk others[BLK_MAX_DISKS];
	u64 pages = hv_pages.free_pages;
	u32 disks;

	for (u32 i = 0; i < BLK_MAX_DISKS && blk_register(&others[i], "xd") == 0; i++)
		;
	disks = blk_disk_count();
	assert_int_equal(disks, BLK_MAX_DISKS);
	assert_true(pages >= 3);  /* memory is not what stops it */
	assert_null(probe());
	assert_given_up(pages, disks);
	assert_non_null(strstr(last_log, "name"));
	assert_null(fake_irq_handler);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_negotiates_and_reads_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_queue_and_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_that_are_not_ours_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_done_completes_in_the_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_out_of_range_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_in_flight_complete_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_id_out_of_range_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_id_not_in_flight_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_index_jump_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_length_or_status_fails_the_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_underestimated_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_failures_give_everything_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_out_of_pages_gives_everything_back, setup,
						teardown),
		/* last: it fills the disk registry */
		cmocka_unit_test_setup_teardown(test_probe_registry_full_gives_everything_back, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
