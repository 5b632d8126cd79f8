/*
 * The guest's virtio-blk device (virtio 1.2 section 5.2) on the virtio-mmio
 * transport: one per `disk` of the VM's config, backed by a volume of the
 * storage pool (storage/volume.h).
 *
 * What runs where: the guest's notification queues `work` on CPU 0, which
 * pops chains, checks them and starts each one on a free request slot. The
 * data moves in pieces: a piece is one request on the volume with its own
 * bounce buffer in Bulkhead's memory; data is copied between it and the
 * guest with guest_mem (never a pointer into guest RAM). A guest request
 * takes as many free pieces as it needs, so the parts of a large request
 * are on the disk together, and the oldest request gets the next free
 * piece. The volume's completions (the disk's interrupt handler or deferred
 * work, CPU 0) copy read data out and hand the piece on; the request is answered once its last piece
 * is back, with the first failure's status if one failed (no piece of it
 * is started after a failure). Nothing here waits: with every slot busy,
 * chains stay on the ring until a completion frees one and queues the work
 * again.
 *
 * A reset of the device bumps `gen`: a request popped before it starts no
 * more pieces, its pieces keep their bounce buffers until the volume has
 * answered (the disk may still be writing into them) and then let go
 * without touching guest memory.
 */
#include "arch.h"
#include "core/guest_mem.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"
#include "lib/string.h"
#include "storage/volume.h"

#define VIRTIO_ID_BLOCK 2

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9
#define VIRTIO_BLK_F_DISCARD  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VBLK_HEADER_BYTES 16          /* le32 type, le32 reserved, le64 sector */
#define VBLK_SECTOR 512               /* virtio-blk's sector, whatever blk_size says */

/* Config space (5.2.4): the fields up to blk_size; the rest reads as zero. */
#define VBLK_CFG_CAPACITY 0
#define VBLK_CFG_SEG_MAX  12
#define VBLK_CFG_BLK_SIZE 20
#define VBLK_CFG_MAX_DISCARD_SECTORS 36
#define VBLK_CFG_MAX_DISCARD_SEG 40
#define VBLK_CFG_DISCARD_ALIGNMENT 44
#define VBLK_CFG_MAX_WRITE_ZEROES_SECTORS 48
#define VBLK_CFG_MAX_WRITE_ZEROES_SEG 52
#define VBLK_CFG_SIZE     60          /* through write_zeroes_may_unmap and padding */

#define VBLK_QUEUE_MAX 256
/* DISCARD and WRITE_ZEROES: one range per request (the segment is 16 bytes:
 * le64 sector, le32 num_sectors, le32 flags), at most this many sectors.
 * Both write zeros: the pool does not give space back, and zeros are what
 * a discarded range may read as. */
#define VBLK_RANGE_BYTES 16
#define VBLK_RANGE_MAX_SECTORS 8192   /* 4 MiB */
#define VBLK_RANGE_F_UNMAP 1u
/* How long a piece the disk had no room for waits before it is tried again. */
#define VBLK_RETRY_PER_SEC 10000      /* 100 us */
/* Chains a guest's notification handles in its own trap (see vblk_notify). */
#define VBLK_DIRECT_CHAINS 4

struct vblk;

/* One request of the guest's, from pop to push. Its counters change under
 * the device's lock. */
struct vblk_req {
	struct vblk *dev;
	struct virtq_chain chain;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
	u32 gen;                      /* the device's reset count when popped */
	bool busy;                    /* owned from pop until its last piece is back */
	bool started;                 /* checked and wanting pieces */
	u64 seq;                      /* pop order: the oldest gets pieces first */
	u32 type;
	u64 sector;
	u64 read_bytes;               /* the readable segments' total */
	u64 len;                      /* data bytes (a flush: none, but one piece) */
	u64 issued;                   /* data bytes handed to pieces so far */
	bool flush_issued;
	u32 inflight;                 /* its pieces not yet back */
	u8 status;                    /* VIRTIO_BLK_S_OK until a piece fails */
};

/* One request on the volume, with its bounce buffer. */
struct vblk_piece {
	struct blk_request rq;
	struct vblk *dev;
	struct vblk_req *req;         /* its owner; NULL while free */
	paddr_t bounce;
	u64 offset;                   /* into the request's data */
	u64 bytes;
	bool retry;                   /* waits to be submitted again (the disk was busy) */
};

struct vblk {
	struct work work;             /* first: the work's fn finds the device from it */
	struct virtio_mmio *t;
	struct vm *vm;
	struct volume *vol;
	bool read_only;
	u64 capacity;                 /* in 512-byte sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	u8 config[VBLK_CFG_SIZE];
	struct spinlock lock;         /* slots, pieces, their counters and gen */
	u32 gen;
	u64 seq;
	bool starved;                 /* the work found every slot busy: a release looks again */
	u32 retries;                  /* pieces marked retry */
	u32 started_mask;             /* bit i: req[i].started (set_started) */
	struct vblk_req req[VBLK_SLOTS];
	struct vblk_piece piece[VBLK_PIECES];
};

_Static_assert(VBLK_SLOTS <= 32, "a slot is a bit of started_mask");

static void put_le(u8 *p, u64 v, u32 bytes)
{
	for (u32 i = 0; i < bytes; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 get_le(const u8 *p, u32 bytes)
{
	u64 v = 0;

	for (u32 i = 0; i < bytes; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

/* --- moving bytes to and from the chain ---------------------------------- */

/*
 * Copies `len` bytes between `buf` and the byte stream the segments seg[0..n)
 * make, from `offset` bytes into it. The segments were checked to be RAM when
 * popped; guest_mem checks again (the guest may have changed its memory map).
 */
static bool stream_copy(struct vm *vm, const struct virtq_seg *seg, u32 n, u64 offset, void *buf,
			u64 len, bool to_guest)
{
	u8 *p = buf;

	for (u32 i = 0; i < n && len; i++) {
		u64 take;
		ipaddr_t at;
		bool ok;

		if (offset >= seg[i].len) {
			offset -= seg[i].len;
			continue;
		}
		take = seg[i].len - offset;
		if (take > len)
			take = len;
		at = ipa_init(ipa_addr(seg[i].addr) + offset);
		ok = to_guest ? guest_mem_write(vm, at, p, take) : guest_mem_read(vm, at, p, take);
		if (!ok)
			return false;
		p += take;
		len -= take;
		offset = 0;
	}
	return len == 0;
}

/* The device-readable part of the chain, and the writable part. */
static bool from_readable(struct vblk_req *r, u64 offset, void *buf, u64 len)
{
	return stream_copy(r->dev->vm, r->seg, r->chain.nread, offset, buf, len, false);
}

static bool to_writable(struct vblk_req *r, u64 offset, const void *buf, u64 len)
{
	return stream_copy(r->dev->vm, r->seg + r->chain.nread, r->chain.nsegs - r->chain.nread,
			   offset, (void *)buf, len, true);
}

/* --- slots ------------------------------------------------------------------ */

/* Lock held. The only way `started` changes: the mask lets pump look at
 * started requests alone, and at none when there are none. */
static void set_started(struct vblk *b, struct vblk_req *r, bool started)
{
	u32 bit = 1u << (u32)(r - b->req);

	r->started = started;
	if (started)
		b->started_mask |= bit;
	else
		b->started_mask &= ~bit;
}

static struct vblk_req *claim_slot(struct vblk *b)
{
	struct vblk_req *r = NULL;

	spin_lock(&b->lock);
	for (u32 i = 0; i < VBLK_SLOTS && !r; i++) {
		if (!b->req[i].busy) {
			r = &b->req[i];
			r->busy = true;
			set_started(b, r, false);
			r->gen = b->gen;
			r->seq = b->seq++;
		}
	}
	if (!r)
		b->starved = true;
	spin_unlock(&b->lock);
	return r;
}

/* The slot is free again; chains left on the ring for want of one get a
 * look (only then: with a slot free, the work popped every chain there was,
 * and a new one comes with its own notification). */
static void release_slot(struct vblk_req *r)
{
	struct vblk *b = r->dev;
	bool starved;

	spin_lock(&b->lock);
	r->busy = false;
	set_started(b, r, false);
	starved = b->starved;
	b->starved = false;
	spin_unlock(&b->lock);
	if (starved)
		work_queue(&b->work, 0);
}

static bool stale(struct vblk_req *r)
{
	struct vblk *b = r->dev;
	bool s;

	spin_lock(&b->lock);
	s = r->gen != b->gen;
	spin_unlock(&b->lock);
	return s;
}

enum put_result { PUT_OK, PUT_FAILED, PUT_STALE };

/*
 * Writes to the chain's writable bytes unless the device was reset since
 * the request was popped. Under the device's lock, which a reset takes: the
 * reset comes first and nothing is written, or it waits for the copy (at
 * most a bounce buffer), so once the driver's reset has returned no late
 * completion touches the memory it reclaimed.
 */
static enum put_result put_current(struct vblk_req *r, u64 offset, const void *buf, u64 len)
{
	struct vblk *b = r->dev;
	enum put_result res = PUT_STALE;

	spin_lock(&b->lock);
	if (r->gen == b->gen)
		res = to_writable(r, offset, buf, len) ? PUT_OK : PUT_FAILED;
	spin_unlock(&b->lock);
	return res;
}

/*
 * Ends a request: the status byte is the last writable byte, and the used
 * length is every writable byte (the data area and the status, as a device
 * that filled it all). With no writable byte the status cannot be told: the
 * chain goes back with nothing written.
 */
static void finish(struct vblk_req *r, u8 status)
{
	u64 wbytes = r->chain.write_bytes;
	enum put_result res;

	if (wbytes)
		res = put_current(r, wbytes - 1, &status, 1);
	else
		res = stale(r) ? PUT_STALE : PUT_FAILED;
	if (res == PUT_STALE) {
		release_slot(r);
		return;
	}
	/* a chain from before a reset that slips in here is dropped by the transport */
	virtio_mmio_push(r->dev->t, 0, &r->chain, res == PUT_OK ? wbytes : 0);
	release_slot(r);
}

static u8 virtio_status(enum blk_status s)
{
	if (s == BLK_OK)
		return VIRTIO_BLK_S_OK;
	return s == BLK_UNSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* --- pieces on the volume ------------------------------------------------------ */

static void pump(struct vblk *b, bool reads_only);

static bool zeroes(const struct vblk_req *r)
{
	return r->type == VIRTIO_BLK_T_DISCARD || r->type == VIRTIO_BLK_T_WRITE_ZEROES;
}

/* Lock held. Whether a started request wants another piece. */
static bool wants_piece(const struct vblk *b, const struct vblk_req *r)
{
	if (!r->busy || !r->started || r->gen != b->gen || r->status != VIRTIO_BLK_S_OK)
		return false;
	if (r->type == VIRTIO_BLK_T_FLUSH)
		return !r->flush_issued;
	return r->issued < r->len;
}

/* Lock held. A started request with nothing left to do: every piece back,
 * and none to start (done, failed, or reset since it was popped). */
static bool settled(const struct vblk *b, const struct vblk_req *r)
{
	return r->busy && r->started && !r->inflight && !wants_piece(b, r);
}

/*
 * Lock held. The piece given to the oldest request that wants one (only
 * reads with `reads_only`); its range is taken. NULL when no piece is free
 * or no request wants one.
 */
static struct vblk_piece *take_piece(struct vblk *b, bool reads_only)
{
	struct vblk_piece *p = NULL;
	struct vblk_req *r = NULL;

	for (u32 m = b->started_mask; m; m &= m - 1) {
		struct vblk_req *q = &b->req[__builtin_ctz(m)];

		if (wants_piece(b, q) && (!reads_only || q->type == VIRTIO_BLK_T_IN) &&
		    (!r || q->seq < r->seq))
			r = q;
	}
	for (u32 i = 0; r && i < VBLK_PIECES && !p; i++) {
		if (!b->piece[i].req)
			p = &b->piece[i];
	}
	if (!p || !r)
		return NULL;
	p->req = r;
	p->retry = false;
	p->offset = r->issued;
	p->bytes = r->len - r->issued < VBLK_BOUNCE_BYTES ? r->len - r->issued : VBLK_BOUNCE_BYTES;
	r->issued += p->bytes;
	if (r->type == VIRTIO_BLK_T_FLUSH)
		r->flush_issued = true;
	r->inflight++;
	return p;
}

/* Whether a started request other than a read wants a piece (a hint for
 * piece_end: the work looks again under the lock). */
static bool copying_waits(struct vblk *b)
{
	bool waits = false;

	spin_lock(&b->lock);
	for (u32 m = b->started_mask; m && !waits; m &= m - 1) {
		const struct vblk_req *q = &b->req[__builtin_ctz(m)];

		waits = q->type != VIRTIO_BLK_T_IN && wants_piece(b, q);
	}
	spin_unlock(&b->lock);
	return waits;
}

/*
 * A piece is back (or was never sent): it is free again, and `status`
 * (VIRTIO_BLK_S_OK or the failure) counts for its request. The request is
 * answered here when this was its last piece; the freed piece goes to
 * whoever wants it next.
 */
static void piece_end(struct vblk_piece *p, u8 status)
{
	struct vblk *b = p->dev;
	struct vblk_req *r = p->req;
	bool last, current;

	spin_lock(&b->lock);
	p->req = NULL;
	if (p->retry)
		b->retries--;
	p->retry = false;
	r->inflight--;
	if (status != VIRTIO_BLK_S_OK && r->status == VIRTIO_BLK_S_OK)
		r->status = status;
	last = settled(b, r);
	current = r->gen == b->gen;
	if (last)
		set_started(b, r, false);   /* answered once: nothing else sees it settled */
	spin_unlock(&b->lock);
	if (last && current)
		finish(r, r->status);
	else if (last)
		release_slot(r);
	/* This may be the disk's interrupt handler: only reads start here,
	 * which copy nothing before the disk answers; the work starts the rest. */
	pump(b, true);
	if (copying_waits(b))
		work_queue(&b->work, 0);
}

/*
 * Every piece on the volume holds a reference on the VM, so a destroyed VM's
 * memory (this device's state, its bounce buffers) stays until the disk has
 * answered. Dropped last: the VM may go with it. This may run in the disk's
 * interrupt handler (the pieces set `irq_done`): bounded (one bounce buffer
 * copied, the chain pushed, reads' next pieces started, a write's left to
 * the work), trap context's locks only, and the VM's last reference goes
 * to CPU 0's work.
 */
static void piece_done(struct blk_request *rq, enum blk_status status)
{
	struct vblk_piece *p = rq->ctx;
	struct vm *vm = p->dev->vm;
	u8 st = virtio_status(status);

	if (st == VIRTIO_BLK_S_OK && p->req->type == VIRTIO_BLK_T_IN) {
		enum put_result res = put_current(p->req, p->offset, pa_to_ptr(p->bounce), p->bytes);

		if (res == PUT_FAILED)
			st = VIRTIO_BLK_S_IOERR;
	}
	piece_end(p, st);
	vm_put_soon(vm);
}

/*
 * Hands the piece to the volume. A refusal fails it, except a full disk
 * queue: other VMs' requests fill it, which is no fault of this guest's,
 * so the work tries again a little later (a timed retry, not a wait).
 */
static void submit_piece(struct vblk_piece *p)
{
	struct vblk *b = p->dev;
	struct vm *vm = b->vm;
	int rc;

	if (stale(p->req) || !vm_get(vm)) {
		piece_end(p, VIRTIO_BLK_S_IOERR);  /* reset, or the VM is going */
		return;
	}
	rc = volume_submit(b->vol, &p->rq);
	if (rc == BLK_SUBMIT_BUSY) {
		spin_lock(&b->lock);
		if (!p->retry)
			b->retries++;
		p->retry = true;
		spin_unlock(&b->lock);
		work_queue(&b->work, arch_counter_read() + arch_counter_freq() / VBLK_RETRY_PER_SEC);
	} else if (rc) {
		piece_end(p, VIRTIO_BLK_S_IOERR);
	}
	if (rc)
		vm_put_soon(vm);  /* nothing in flight: last, as the VM may go with it */
}

/* Fills the piece's bounce buffer (a write's data, zeros) and its request. */
static void send_piece(struct vblk_piece *p)
{
	struct vblk_req *r = p->req;

	/*
	 * A flush covers the writes completed to the guest before it, and each
	 * of those completed only once the disk had it: the disk's own flush
	 * (or, on a disk with no volatile cache, nothing) is all that is left.
	 */
	if (r->type == VIRTIO_BLK_T_FLUSH && !volume_has_write_cache(r->dev->vol)) {
		piece_end(p, VIRTIO_BLK_S_OK);
		return;
	}
	if (r->type == VIRTIO_BLK_T_FLUSH) {
		p->rq = (struct blk_request){ .op = BLK_FLUSH, .done = piece_done, .ctx = p,
					      .irq_done = true };
		submit_piece(p);
		return;
	}
	if (r->type == VIRTIO_BLK_T_OUT &&
	    !from_readable(r, VBLK_HEADER_BYTES + p->offset, pa_to_ptr(p->bounce), p->bytes)) {
		piece_end(p, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (zeroes(r))
		memset(pa_to_ptr(p->bounce), 0, p->bytes);
	p->rq = (struct blk_request){
		.op = r->type == VIRTIO_BLK_T_IN ? BLK_READ : BLK_WRITE,
		.sector = r->sector + p->offset / VBLK_SECTOR,
		.count = (u32)(p->bytes / VBLK_SECTOR),
		.buf = p->bounce,
		.done = piece_done,
		.ctx = p,
		.irq_done = true,
	};
	submit_piece(p);
}

/* Lock held. A started request that was reset before it got all its pieces
 * and has none out: nobody else will let it go. */
static struct vblk_req *take_abandoned(struct vblk *b)
{
	for (u32 m = b->started_mask; m; m &= m - 1) {
		struct vblk_req *r = &b->req[__builtin_ctz(m)];

		if (r->gen != b->gen && settled(b, r)) {
			set_started(b, r, false);
			return r;
		}
	}
	return NULL;
}

/* Starts pieces while one is free and a request wants one (only reads with
 * `reads_only`: they copy nothing before the disk has them). Bounded: each
 * round takes a free piece, and a piece comes back only through a
 * completion (deferred work) or a failure that ends its request's wants. */
static void pump(struct vblk *b, bool reads_only)
{
	for (;;) {
		struct vblk_piece *p;
		struct vblk_req *gone;

		spin_lock(&b->lock);
		p = take_piece(b, reads_only);
		gone = p ? NULL : take_abandoned(b);
		spin_unlock(&b->lock);
		if (p)
			send_piece(p);
		else if (gone)
			release_slot(gone);
		else
			return;
	}
}

static void get_id(struct vblk_req *r)
{
	u64 n = r->chain.write_bytes - 1;
	enum put_result res;

	if (n > VIRTIO_BLK_ID_BYTES)
		n = VIRTIO_BLK_ID_BYTES;
	res = put_current(r, 0, r->dev->id, n);
	if (res == PUT_STALE)
		release_slot(r);
	else
		finish(r, res == PUT_OK ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
}

/* --- checking a chain ---------------------------------------------------------- */

/* [sector, sector + bytes / 512) lies within the disk, without overflow. */
static bool in_range(const struct vblk *b, u64 sector, u64 bytes)
{
	return sector <= b->capacity && bytes / VBLK_SECTOR <= b->capacity - sector;
}

/*
 * The one range of a DISCARD or WRITE_ZEROES: the request then covers it.
 * Unknown flags, and unmap on a discard, are UNSUPP as 5.2.6.2 says.
 */
static int check_range(struct vblk_req *r)
{
	u8 range[VBLK_RANGE_BYTES];
	u32 num, flags;

	if (!from_readable(r, VBLK_HEADER_BYTES, range, sizeof(range)))
		return VIRTIO_BLK_S_IOERR;
	r->sector = get_le(range, 8);
	num = (u32)get_le(range + 8, 4);
	flags = (u32)get_le(range + 12, 4);
	if (flags & ~VBLK_RANGE_F_UNMAP)
		return VIRTIO_BLK_S_UNSUPP;
	if (r->type == VIRTIO_BLK_T_DISCARD && flags)
		return VIRTIO_BLK_S_UNSUPP;
	if (num > VBLK_RANGE_MAX_SECTORS)
		return VIRTIO_BLK_S_IOERR;
	r->len = (u64)num * VBLK_SECTOR;
	return in_range(r->dev, r->sector, r->len) ? 0 : VIRTIO_BLK_S_IOERR;
}

/*
 * The layout each type must have: the 16-byte header leads the readable
 * bytes, the status byte ends the writable ones; a read's data is the
 * writable rest, a write's the readable rest, a flush has none. 0, or the
 * status to end the request with at once.
 */
static int check(struct vblk_req *r)
{
	struct vblk *b = r->dev;
	u64 wbytes = r->chain.write_bytes;
	u64 extra = r->read_bytes - VBLK_HEADER_BYTES;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		r->len = wbytes - 1;
		if (extra)
			return VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_OUT:
		r->len = extra;
		if (wbytes != 1 || b->read_only)
			return VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		return extra || wbytes != 1 ? VIRTIO_BLK_S_IOERR : 0;
	case VIRTIO_BLK_T_GET_ID:
		return extra ? VIRTIO_BLK_S_IOERR : 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (extra != VBLK_RANGE_BYTES || wbytes != 1 || b->read_only)
			return VIRTIO_BLK_S_IOERR;
		return check_range(r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	if (r->len % VBLK_SECTOR || !in_range(b, r->sector, r->len))
		return VIRTIO_BLK_S_IOERR;
	return 0;
}

/*
 * A popped chain: checked, then answered or handed pieces. `direct`: in the
 * guest's notification (trap context), where only a read's pieces are
 * started. True when the request waits for the work to start its pieces.
 */
static bool start(struct vblk_req *r, bool direct)
{
	struct vblk *b = r->dev;
	u8 header[VBLK_HEADER_BYTES];
	int status;

	r->read_bytes = 0;
	for (u32 i = 0; i < r->chain.nread; i++)
		r->read_bytes += r->seg[i].len;
	r->len = 0;
	if (!r->chain.write_bytes || r->read_bytes < VBLK_HEADER_BYTES ||
	    !from_readable(r, 0, header, sizeof(header))) {
		finish(r, VIRTIO_BLK_S_IOERR);
		return false;
	}
	r->type = (u32)get_le(header, 4);
	r->sector = get_le(header + 8, 8);
	status = check(r);
	if (status) {
		finish(r, (u8)status);
		return false;
	}
	if (r->type == VIRTIO_BLK_T_GET_ID) {
		get_id(r);
		return false;
	}
	if (!r->len && r->type != VIRTIO_BLK_T_FLUSH) {
		finish(r, VIRTIO_BLK_S_OK);
		return false;
	}
	spin_lock(&b->lock);
	r->issued = 0;
	r->flush_issued = false;
	r->inflight = 0;
	r->status = VIRTIO_BLK_S_OK;
	set_started(b, r, true);
	spin_unlock(&b->lock);
	if (direct && r->type != VIRTIO_BLK_T_IN)
		return true;
	pump(b, direct);
	return false;
}

/* Takes the retry mark off piece `i`: whether it had one. */
static bool take_retry(struct vblk *b, u32 i)
{
	bool retry;

	spin_lock(&b->lock);
	retry = b->piece[i].req && b->piece[i].retry;
	if (b->piece[i].retry)
		b->retries--;
	b->piece[i].retry = false;
	spin_unlock(&b->lock);
	return retry;
}

/* Whether any piece waits to be submitted again (a hint: read without the lock). */
static bool any_retry(const struct vblk *b)
{
	return __atomic_load_n(&b->retries, __ATOMIC_ACQUIRE) != 0;
}

/* The next chain of the ring into the claimed slot `r`; false (the slot
 * free again) when there is none. */
static bool pop_into(struct vblk *b, struct vblk_req *r)
{
	if (virtio_mmio_pop(b->t, 0, r->seg, VIRTQ_MAX_SEGS, &r->chain) == VIRTQ_CHAIN)
		return true;
	spin_lock(&b->lock);
	r->busy = false;
	spin_unlock(&b->lock);
	return false;
}

/* CPU 0's work: pieces the disk had no room for, then every chain the ring
 * holds, while a slot is free. */
static void vblk_work(struct work *w, u64 now)
{
	struct vblk *b = (struct vblk *)w;
	struct vblk_req *r;

	(void)now;
	for (u32 i = 0; any_retry(b) && i < VBLK_PIECES; i++) {
		if (take_retry(b, i))
			submit_piece(&b->piece[i]);
	}
	pump(b, false);   /* requests a reset left with no piece out, writes started in a trap */
	while ((r = claim_slot(b))) {
		if (!pop_into(b, r))
			return;
		start(r, false);
	}
}

/* --- the transport's side -------------------------------------------------------- */

static bool vblk_config_read(void *dev, u32 offset, u32 size, u64 *value)
{
	struct vblk *b = dev;

	/* the transport keeps the access within config_size */
	*value = get_le(b->config + offset, size);
	return true;
}

/*
 * The guest's notification, in its trap on its own CPU: up to
 * VBLK_DIRECT_CHAINS chains are popped, checked and, for reads, sent to the
 * volume right here, sparing the hop to CPU 0's work and back into the
 * guest. Bounded: each chain is one pop (at most VIRTQ_MAX_SEGS segments)
 * and a 16-byte header read; a read's pieces copy nothing before the disk
 * answers, and the disk's queue lock is a leaf held for one submission.
 * Writes, flushes and what is left on the ring go to the work, which does
 * the copying.
 */
static void vblk_notify(void *dev, u32 queue)
{
	struct vblk *b = dev;
	bool defer = false;

	(void)queue;
	for (u32 n = 0;; n++) {
		struct vblk_req *r;

		if (n == VBLK_DIRECT_CHAINS) {
			defer = true;     /* the rest of the ring */
			break;
		}
		bool more;

		r = claim_slot(b);
		if (!r || !pop_into(b, r))
			break;            /* all slots busy (a release queues the work), or empty */
		more = r->chain.more;     /* read first: start() may let the slot go */
		defer |= start(r, true);
		if (!more)
			break;            /* the ring is empty: spare a pop that finds so */
	}
	if (defer)
		work_queue(&b->work, 0);
}

static void vblk_reset(void *dev)
{
	struct vblk *b = dev;

	spin_lock(&b->lock);
	b->gen++;
	spin_unlock(&b->lock);
}

/* Gives back the bounce buffers the volume is done with. One a piece still
 * holds stays taken: the disk may yet write into it. */
static void vblk_destroy(void *dev)
{
	struct vblk *b = dev;

	/* its state goes with the VM's arena: the work must not run after */
	work_cancel(&b->work);
	spin_lock(&b->lock);
	for (u32 i = 0; i < VBLK_PIECES; i++) {
		struct vblk_piece *p = &b->piece[i];

		if (!p->req && pa_addr(p->bounce)) {
			page_free(&hv_pages, p->bounce, VBLK_BOUNCE_PAGES);
			p->bounce = pa_init(0);
		}
	}
	spin_unlock(&b->lock);
}

static const struct virtio_device_ops vblk_ops_rw = {
	.device_id = VIRTIO_ID_BLOCK,
	.features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_DISCARD) |
		    (1ull << VIRTIO_BLK_F_WRITE_ZEROES),
	.num_queues = 1,
	.queue_max = VBLK_QUEUE_MAX,
	.config_size = VBLK_CFG_SIZE,
	.config_read = vblk_config_read,
	.notify = vblk_notify,
	.reset = vblk_reset,
	.destroy = vblk_destroy,
};

static const struct virtio_device_ops vblk_ops_ro = {
	.device_id = VIRTIO_ID_BLOCK,
	.features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_RO),
	.num_queues = 1,
	.queue_max = VBLK_QUEUE_MAX,
	.config_size = VBLK_CFG_SIZE,
	.config_read = vblk_config_read,
	.notify = vblk_notify,
	.reset = vblk_reset,
	.destroy = vblk_destroy,
};

/* --- the device kind ---------------------------------------------------------------- */

static void fill_config(struct vblk *b)
{
	put_le(b->config + VBLK_CFG_CAPACITY, b->capacity, 8);
	/* the header and the status take two of the segments a chain may have */
	put_le(b->config + VBLK_CFG_SEG_MAX, VIRTQ_MAX_SEGS - 2, 4);
	put_le(b->config + VBLK_CFG_BLK_SIZE, VOLUME_SECTOR_SIZE, 4);
	put_le(b->config + VBLK_CFG_MAX_DISCARD_SECTORS, VBLK_RANGE_MAX_SECTORS, 4);
	put_le(b->config + VBLK_CFG_MAX_DISCARD_SEG, 1, 4);
	put_le(b->config + VBLK_CFG_DISCARD_ALIGNMENT, 1, 4);
	put_le(b->config + VBLK_CFG_MAX_WRITE_ZEROES_SECTORS, VBLK_RANGE_MAX_SECTORS, 4);
	put_le(b->config + VBLK_CFG_MAX_WRITE_ZEROES_SEG, 1, 4);
}

/* "bulkhead-" and the volume's name, cut at 20 bytes and zero-padded. */
static void fill_id(struct vblk *b)
{
	static const char prefix[] = "bulkhead-";
	u32 n = 0;

	for (u32 i = 0; prefix[i] && n < VIRTIO_BLK_ID_BYTES; i++)
		b->id[n++] = prefix[i];
	for (u32 i = 0; b->vol->name[i] && n < VIRTIO_BLK_ID_BYTES; i++)
		b->id[n++] = b->vol->name[i];
}

static u32 vblk_config_count(const struct vm *vm)
{
	return vm->cfg.ndisks;
}

/* What one guest disk costs Bulkhead, said once at creation: the pages its
 * creation took (device state, transport and queue bookkeeping, bounce
 * buffers), counted from the page pool, so `make bench` reports what the
 * running hypervisor holds rather than what this file intends. */
static void report_memory(const struct vblk *b, const struct config_disk *disk, u64 free_before)
{
	u64 taken = free_before > hv_pages.free_pages ? free_before - hv_pages.free_pages : 0;

	hv_info("vm %u '%s': disk %s (volume '%s'): %llu KiB of hypervisor memory "
		"(device state, %u bounce buffers of %u KiB)",
		b->vm->id, b->vm->cfg.name, disk->vdev, b->vol->name,
		(unsigned long long)(taken * PAGE_SIZE / KiB), VBLK_PIECES, (u32)(VBLK_BOUNCE_BYTES / KiB));
}

static int vblk_create(struct vdev *d, const char **why)
{
	const struct config_disk *disk;
	u64 free_before = hv_pages.free_pages;
	struct vblk *b;

	if (d->instance >= d->vm->cfg.ndisks) {
		*why = "a virtio-blk device with no disk in the config";
		return -1;
	}
	disk = &d->vm->cfg.disks[d->instance];
	b = vm_dev_alloc(d->vm, sizeof(*b));
	if (!b) {
		*why = "no memory for its virtio-blk device";
		return -1;
	}
	b->vm = d->vm;
	/* the VM attached it when it was created (core/vm_volumes.c) */
	b->vol = d->vm->volumes[d->instance];
	if (!b->vol) {
		*why = "a disk's volume is not attached";
		return -1;
	}
	b->read_only = disk->read_only || b->vol->read_only;
	b->capacity = b->vol->sectors;
	work_init(&b->work, vblk_work, 0);
	fill_config(b);
	fill_id(b);
	for (u32 i = 0; i < VBLK_SLOTS; i++)
		b->req[i].dev = b;
	for (u32 i = 0; i < VBLK_PIECES; i++) {
		b->piece[i].dev = b;
		b->piece[i].bounce = page_alloc(&hv_pages, VBLK_BOUNCE_PAGES, PAGE_SIZE);
		if (!pa_addr(b->piece[i].bounce)) {
			vblk_destroy(b);
			*why = "no memory for its virtio-blk buffers";
			return -1;
		}
	}
	b->t = virtio_mmio_create(d, b->read_only ? &vblk_ops_ro : &vblk_ops_rw, b);
	if (!b->t) {
		vblk_destroy(b);
		*why = "no memory for its virtio-blk transport";
		return -1;
	}
	report_memory(b, disk, free_before);
	return 0;
}

/* Slot i of QEMU virt's virtio-mmio window, line 16 + i: disk 0 has the lowest
 * address, which Linux numbers first (vda). */
static const struct vdev_kind vblk_kind = {
	.name = "virtio-blk",
	.base = { 0x0a000000 },
	.size = VIRTIO_MMIO_SIZE,
	.line = 16,
	.every_vm = false,
	.config_count = vblk_config_count,
	.create = vblk_create,
};

static const struct vdev_kind *const vblk_kind_entry VDEV_KIND_SECTION = &vblk_kind;
