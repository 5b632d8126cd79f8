/*
 * virtio-blk (virtio 1.2, 5.2) over a virtio-mmio v2 transport, one split
 * virtqueue (2.7), interrupt-driven with several requests in flight.
 *
 * A request is a descriptor chain: header (device reads), data (device
 * writes for a read, reads for a write; none for a flush), status byte
 * (device writes). Each chain's header and status live in a DMA page slot
 * named by the chain's head descriptor.
 *
 * The device is hardware we trust less than ourselves: every value it
 * hands back (used index, ids, lengths, status) is checked. A value that
 * cannot be right stops the device (reset, so it drops the queue) and fails
 * every request in flight; it never makes us touch memory we did not give it.
 */
#include "arch.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/spinlock.h"
#include "core/workqueue.h"
#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio_host.h"
#include "lib/string.h"
#include "virtio_ring.h"

#define VIRTIO_ID_BLOCK 2

#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ull << 14)

/* Configuration fields */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_MAX_WRITE_ZEROES_SECTORS 48

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR_SIZE 512

/* Our ring size (the device may offer more): a power of two, so that the
 * ring fits one page (below) and 16-bit indexes wrap cleanly. */
#define QUEUE_MAX 64
/* Callbacks one interrupt runs at most (see vblk_irq). */
#define VBLK_IRQ_DONE 4
#define NO_DESC 0xffff

/* The ring page: descriptor table, driver area, device area. */
#define RING_AVAIL_OFF (QUEUE_MAX * sizeof(struct virtq_desc))
#define RING_USED_OFF 2048

struct blk_req_header {
	u32 type;
	u32 reserved;
	u64 sector;
};

/* A write-zeroes request's one segment (virtio 1.2, 5.2.6). */
struct blk_zero_seg {
	u64 sector;
	u32 num_sectors;
	u32 flags;          /* 0: the device must not unmap */
};

/* The DMA page: a header, a write-zeroes segment and a status byte per head
 * descriptor. */
struct blk_dma {
	struct blk_req_header hdr[QUEUE_MAX];
	struct blk_zero_seg seg[QUEUE_MAX];
	u8 status[QUEUE_MAX];
};

struct vblk {
	struct blk_disk disk;
	struct vmmio io;
	struct spinlock lock;
	struct work work;           /* drains the used ring (CPU 0) */
	u16 qsize;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	volatile struct blk_dma *dma;
	paddr_t dma_pa;
	/* free descriptors, linked through our own copy of `next`: the table
	 * itself is device-visible and not to be believed */
	u16 free_head;
	u16 nfree;
	u16 link[QUEUE_MAX];
	u16 avail_idx;              /* ours: the next avail slot */
	u16 last_used;              /* the used index we have consumed up to */
	u16 ninflight;
	struct blk_request *inflight[QUEUE_MAX];  /* by head descriptor */
	u32 writable[QUEUE_MAX];    /* bytes the device writes for that chain */
	u16 chain_len[QUEUE_MAX];
	struct blk_request *later;  /* taken off the ring, for the work to complete */
	bool broken;
};

_Static_assert(sizeof(struct vblk) <= PAGE_SIZE, "a disk's state fits one page");
_Static_assert(RING_AVAIL_OFF + VIRTQ_AVAIL_BYTES(QUEUE_MAX) <= RING_USED_OFF, "avail fits");
_Static_assert(RING_USED_OFF + VIRTQ_USED_BYTES(QUEUE_MAX) <= PAGE_SIZE, "used fits");
_Static_assert(sizeof(struct blk_dma) <= PAGE_SIZE, "headers fit one page");

static u16 desc_alloc(struct vblk *b)
{
	u16 d = b->free_head;

	b->free_head = b->link[d];
	b->nfree--;
	return d;
}

static void desc_free_chain(struct vblk *b, u16 head)
{
	u16 d = head;

	for (u16 i = 1; i < b->chain_len[head]; i++)
		d = b->link[d];
	b->link[d] = b->free_head;
	b->free_head = head;
	b->nfree += b->chain_len[head];
}

/* Fills descriptor `d`; `next` links it on (NO_DESC: the chain ends). Our
 * copy of the link is what we free by. */
static void desc_set(struct vblk *b, u16 d, paddr_t addr, u32 len, bool device_writes, u16 next)
{
	b->desc[d].addr = pa_addr(addr);
	b->desc[d].len = len;
	b->desc[d].flags = (u16)((device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				 (next != NO_DESC ? VIRTQ_DESC_F_NEXT : 0));
	b->desc[d].next = next != NO_DESC ? next : 0;
	b->link[d] = next;
}

static u32 request_type(enum blk_op op)
{
	switch (op) {
	case BLK_READ: return VIRTIO_BLK_T_IN;
	case BLK_WRITE: return VIRTIO_BLK_T_OUT;
	case BLK_WRITE_ZEROES: return VIRTIO_BLK_T_WRITE_ZEROES;
	default: return VIRTIO_BLK_T_FLUSH;
	}
}

/* The data descriptor: the caller's buffer, or for write-zeroes the chain's
 * segment in the DMA page (filled here). */
static void set_data(struct vblk *b, u16 head, u16 data, u16 status, struct blk_request *rq)
{
	if (rq->op == BLK_WRITE_ZEROES) {
		b->dma->seg[head].sector = rq->sector;
		b->dma->seg[head].num_sectors = rq->count;
		b->dma->seg[head].flags = 0;
		desc_set(b, data, pa_add(b->dma_pa, offsetof(struct blk_dma, seg[head])),
			 sizeof(struct blk_zero_seg), false, status);
		return;
	}
	desc_set(b, data, rq->buf, rq->count * SECTOR_SIZE, rq->op == BLK_READ, status);
}

static int vblk_submit(struct blk_disk *disk, struct blk_request *rq)
{
	struct vblk *b = disk->priv;
	bool has_data = rq->op != BLK_FLUSH;
	u16 need = has_data ? 3 : 2;
	u32 bytes = rq->count * SECTOR_SIZE;
	u16 head, data, status;

	spin_lock(&b->lock);
	if (b->broken) {
		spin_unlock(&b->lock);
		return BLK_SUBMIT_BROKEN;
	}
	if (b->nfree < need) {
		spin_unlock(&b->lock);
		return BLK_SUBMIT_BUSY;
	}
	head = desc_alloc(b);
	data = has_data ? desc_alloc(b) : NO_DESC;
	status = desc_alloc(b);
	b->dma->hdr[head].type = request_type(rq->op);
	b->dma->hdr[head].reserved = 0;
	/* the header's sector is for reads and writes only */
	b->dma->hdr[head].sector = rq->op == BLK_READ || rq->op == BLK_WRITE ? rq->sector : 0;
	b->dma->status[head] = 0xff;
	desc_set(b, head, pa_add(b->dma_pa, offsetof(struct blk_dma, hdr[head])),
		 sizeof(struct blk_req_header), false, has_data ? data : status);
	if (has_data)
		set_data(b, head, data, status, rq);
	desc_set(b, status, pa_add(b->dma_pa, offsetof(struct blk_dma, status[head])), 1, true,
		 NO_DESC);
	b->chain_len[head] = need;
	b->writable[head] = (rq->op == BLK_READ ? bytes : 0) + 1;
	b->inflight[head] = rq;
	b->ninflight++;
	b->avail->ring[b->avail_idx % b->qsize] = head;
	/* the chain and its ring entry before the index that publishes them */
	arch_io_wmb();
	b->avail_idx++;
	b->avail->idx = b->avail_idx;
	/* the index before the doorbell */
	arch_io_wmb();
	vmmio_queue_notify(&b->io, 0);
	spin_unlock(&b->lock);
	return 0;
}

static const struct blk_ops vblk_ops = { .submit = vblk_submit };

/* Lock held. Fails every request in flight onto `done` and stops the device
 * so it no longer reads or writes their buffers. */
static void vblk_break(struct vblk *b, struct blk_request **done, const char *why)
{
	hv_err("disk %s: %s: device stopped", b->disk.name, why);
	b->broken = true;
	vmmio_reset(&b->io);
	for (u16 i = 0; i < b->qsize; i++) {
		struct blk_request *rq = b->inflight[i];

		if (!rq)
			continue;
		b->inflight[i] = NULL;
		rq->status = BLK_IOERR;
		rq->next = *done;
		*done = rq;
	}
	b->ninflight = 0;
}

static enum blk_status status_of(u8 s)
{
	return s == VIRTIO_BLK_S_OK ? BLK_OK : s == VIRTIO_BLK_S_UNSUPP ? BLK_UNSUPP : BLK_IOERR;
}

/*
 * The bytes the device says it wrote into a chain's writable part. More
 * than it was given cannot be true. It may say less (virtio 1.2, 2.7.8.2:
 * an underestimate is allowed): for a read that means the data is not known
 * to be there, so the read fails; a write or flush has only the status byte,
 * preset to 0xff, which then speaks for itself.
 */
static bool used_len_ok(u32 writable, u32 len)
{
	return len == writable || (writable == 1 && len == 0);
}

/* Lock held. Takes what the device has finished off the used ring. */
static void vblk_reap(struct vblk *b, struct blk_request **done)
{
	u16 used_idx = b->used->idx;
	u16 fresh = (u16)(used_idx - b->last_used);

	if (fresh > b->ninflight) {
		vblk_break(b, done, "used index ran past the requests in flight");
		return;
	}
	/* the index before the entries it covers */
	arch_io_rmb();
	for (; fresh; fresh--) {
		struct virtq_used_elem e = b->used->ring[b->last_used % b->qsize];
		struct blk_request *rq;

		if (e.id >= b->qsize || !b->inflight[e.id]) {
			vblk_break(b, done, "used ring names no request in flight");
			return;
		}
		rq = b->inflight[e.id];
		b->inflight[e.id] = NULL;
		b->ninflight--;
		rq->status = used_len_ok(b->writable[e.id], e.len) ? status_of(b->dma->status[e.id])
								   : BLK_IOERR;
		desc_free_chain(b, (u16)e.id);
		b->last_used++;
		rq->next = *done;
		*done = rq;
	}
}

/* Calls each request's callback, with no lock held (a callback may submit
 * again). */
static void complete_all(struct blk_request *done)
{
	while (done) {
		struct blk_request *rq = done;

		done = rq->next;
		rq->next = NULL;
		rq->done(rq, rq->status);
	}
}

/* Deferred work: completions the interrupt handler left, and whatever else
 * the used ring holds. */
static void vblk_work(struct work *w, u64 now)
{
	struct vblk *b = (struct vblk *)((u8 *)w - offsetof(struct vblk, work));
	struct blk_request *done;

	(void)now;
	spin_lock(&b->lock);
	done = b->later;
	b->later = NULL;
	if (!b->broken)
		vblk_reap(b, &done);
	spin_unlock(&b->lock);
	complete_all(done);
}

/*
 * Interrupt context: quiet the device and take what it finished off the
 * ring (at most the ring's size, no copying). Up to VBLK_IRQ_DONE requests
 * that allow it (`irq_done`) complete right here, sparing a trip through
 * CPU 0's loop (and the guest running there a full exit); the others go to
 * the work.
 */
static void vblk_irq(void *ctx)
{
	struct vblk *b = ctx;
	u32 why = vmmio_interrupt_status(&b->io);
	struct blk_request *done = NULL, *now = NULL, *later = NULL;
	u32 n = 0;

	vmmio_interrupt_ack(&b->io, why);
	if (!(why & VIRTIO_INT_USED_BUFFER))
		return;
	spin_lock(&b->lock);
	if (!b->broken)
		vblk_reap(b, &done);
	while (done) {
		struct blk_request *rq = done;

		done = rq->next;
		if (rq->irq_done && n < VBLK_IRQ_DONE) {
			rq->next = now;
			now = rq;
			n++;
		} else {
			rq->next = b->later;
			b->later = rq;
			later = rq;
		}
	}
	spin_unlock(&b->lock);
	if (later)
		work_queue(&b->work, 0);
	complete_all(now);
}

/* One page back to the pool, if there was one. */
static void page_give_back(paddr_t pa)
{
	if (pa_addr(pa))
		page_free(&hv_pages, pa, 1);
}

/* The queue and its pages; false (nothing kept) when the device or memory
 * says no. The smallest ring is 4: a read or write is a chain of 3. */
static bool vblk_setup_queue(struct vblk *b)
{
	paddr_t ring, dma;
	u32 max;

	vmmio_queue_select(&b->io, 0);
	max = vmmio_queue_num_max(&b->io);
	if (vmmio_queue_ready(&b->io) || max < 4)
		return false;
	ring = page_alloc_zeroed();
	dma = page_alloc_zeroed();
	if (!pa_addr(ring) || !pa_addr(dma)) {
		page_give_back(ring);
		page_give_back(dma);
		return false;
	}
	b->qsize = QUEUE_MAX;
	while (b->qsize > max)
		b->qsize /= 2;
	b->desc = pa_to_ptr(ring);
	b->avail = pa_to_ptr(pa_add(ring, RING_AVAIL_OFF));
	b->used = pa_to_ptr(pa_add(ring, RING_USED_OFF));
	b->dma = pa_to_ptr(dma);
	b->dma_pa = dma;
	for (u16 i = 0; i < b->qsize; i++)
		b->link[i] = i + 1 < b->qsize ? (u16)(i + 1) : NO_DESC;
	b->free_head = 0;
	b->nfree = b->qsize;
	vmmio_queue_enable(&b->io, b->qsize, ring, pa_add(ring, RING_AVAIL_OFF),
			   pa_add(ring, RING_USED_OFF));
	return true;
}

/* What the configuration and features say about the disk. */
static void vblk_read_geometry(struct vblk *b, u64 features)
{
	struct blk_geometry *g = &b->disk.geo;
	u32 blk_size = features & VIRTIO_BLK_F_BLK_SIZE ?
			       vmmio_config_read32(&b->io, CFG_BLK_SIZE) : SECTOR_SIZE;

	g->sector_size = SECTOR_SIZE;  /* the protocol's unit, whatever blk_size says */
	g->sectors = vmmio_config_read64(&b->io, CFG_CAPACITY);
	/* a hint only: kept when it is a sane power of two */
	g->block_size = blk_size >= SECTOR_SIZE && blk_size <= 64 * KiB &&
				is_aligned(blk_size, blk_size) ? blk_size : SECTOR_SIZE;
	g->read_only = features & VIRTIO_BLK_F_RO;
	g->flush = features & VIRTIO_BLK_F_FLUSH;
	/* write-zeroes only with a limit the device states (0 would mean none) */
	g->max_write_zeroes = features & VIRTIO_BLK_F_WRITE_ZEROES ?
				      vmmio_config_read32(&b->io, CFG_MAX_WRITE_ZEROES_SECTORS) : 0;
	/* we never use more than one data segment, so SEG_MAX (>= 1) cannot bind */
	(void)CFG_SEG_MAX;
}

static bool vblk_present(const struct vmmio *io)
{
	u32 version;
	u32 id;

	if (vmmio_magic(io) != VIRTIO_MMIO_MAGIC) {
		hv_warn("virtio-mmio at 0x%llx: no virtio magic value; skipped",
			(unsigned long long)pa_addr(io->base));
		return false;
	}
	version = vmmio_version(io);
	id = vmmio_device_id(io);
	if (id == 0)
		return false;  /* an empty slot */
	if (version != 2) {
		hv_warn("virtio-mmio at 0x%llx: %s transport (version %u), device %u; skipped",
			(unsigned long long)pa_addr(io->base), version == 1 ? "legacy" : "unknown",
			version, id);
		return false;
	}
	return id == VIRTIO_ID_BLOCK;
}

/* The device-specific setup (3.1.1 step 7): NULL when the disk is named and
 * its interrupt attached, else why not (what was done is undone, but for
 * the queue the caller's reset drops). */
static const char *vblk_start(struct vblk *b, u32 irq, u64 features)
{
	if (!vblk_setup_queue(b))
		return "cannot set up its queue";
	vblk_read_geometry(b, features);
	if (blk_register(&b->disk, "vd") != 0)
		return "no disk name left for it";
	if (arch_irq_attach(irq, vblk_irq, b) != 0) {
		blk_unregister_last(&b->disk);
		return "cannot attach its interrupt";
	}
	return NULL;
}

struct blk_disk *virtio_blk_probe(paddr_t base, u32 irq)
{
	struct vmmio io = { base };
	const char *why;
	paddr_t state;
	struct vblk *b;
	u64 features;

	if (!vblk_present(&io))
		return NULL;
	features = vmmio_negotiate(&io, VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO |
						VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX |
						VIRTIO_BLK_F_WRITE_ZEROES);
	if (!features) {
		hv_warn("virtio-blk at 0x%llx: the device refused virtio 1 features; skipped",
			(unsigned long long)pa_addr(base));
		return NULL;
	}
	state = page_alloc_zeroed();
	if (!pa_addr(state)) {
		vmmio_fail(&io);
		hv_warn("virtio-blk at 0x%llx: out of memory; skipped", (unsigned long long)pa_addr(base));
		return NULL;
	}
	b = pa_to_ptr(state);
	b->io = io;
	b->disk.ops = &vblk_ops;
	b->disk.priv = b;
	work_init(&b->work, vblk_work, 0);
	why = vblk_start(b, irq, features);
	if (why) {
		/* reset first: the device forgets the ring before its pages go back */
		vmmio_fail(&io);
		if (b->dma)
			page_give_back(b->dma_pa);
		if (b->desc)
			page_give_back(ptr_to_pa((const void *)b->desc));
		page_give_back(state);
		hv_warn("virtio-blk at 0x%llx: %s; skipped", (unsigned long long)pa_addr(base), why);
		return NULL;
	}
	vmmio_driver_ok(&io);
	return &b->disk;
}

static void report(const struct blk_disk *d, paddr_t base, u64 pages)
{
	hv_info("disk %s: virtio-blk at 0x%llx: %llu sectors of %u bytes (%llu MiB)%s%s%s", d->name,
		(unsigned long long)pa_addr(base), (unsigned long long)d->geo.sectors,
		d->geo.sector_size, (unsigned long long)(d->geo.sectors * d->geo.sector_size / MiB),
		d->geo.read_only ? ", read-only" : "", d->geo.flush ? ", flush" : "",
		d->geo.max_write_zeroes ? ", write-zeroes" : "");
	hv_info("disk %s: %llu KiB of hypervisor memory (driver state, ring, request headers)",
		d->name, (unsigned long long)(pages * PAGE_SIZE / KiB));
}

void virtio_blk_probe_all(void)
{
	for (u32 i = 0; i < platform.virtio_mmio_count; i++) {
		const struct virtio_mmio_slot *s = &platform.virtio_mmio[i];
		paddr_t base = pa_init(s->reg.base);
		/* the pages the probe took: what this disk costs Bulkhead */
		u64 free_before = hv_pages.free_pages;
		struct blk_disk *d;

		if (s->reg.size < 0x200)
			continue;
		d = virtio_blk_probe(base, arch_irq_from_dt(s->irq, s->irq_cells));
		if (d)
			report(d, base, free_before > hv_pages.free_pages ?
						free_before - hv_pages.free_pages : 0);
	}
}
