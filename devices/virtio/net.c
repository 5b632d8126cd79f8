/*
 * The guest's virtio-net device (virtio 1.2 section 5.1) on the virtio-mmio
 * transport: one per `vif` of the VM's config, each a port of a virtual
 * switch (net/switch.h). Queue 0 receives, queue 1 transmits.
 *
 * TX: the guest's notification queues `tx_work` on the notifying vCPU's CPU,
 * to run when that vCPU pauses (or VNET_TX_LATEST_HZ later): the sender's
 * time pays for its frames, and what it queues while it runs goes in one
 * run. A run pops up to VNET_TX_BATCH chains (then queues itself again, so
 * a backlog shares its CPU's work loop), checks each chain's virtio_net_hdr and hands
 * the frame to switch_tx() as pointers into the guest's RAM, with no device
 * lock held, then returns the chain. A vif with a rate (xl's `rate=`) holds
 * a frame its port's bucket has no room for yet, with the chain unreturned,
 * and runs again when there will be: the guest's queue fills and its stack
 * slows down, as under Xen's netback, instead of losing frames (which TCP
 * takes for congestion, falling far below the rate).
 *
 * RX: the switch calls deliver() from the sender's context, on any CPU, for
 * two senders at once perhaps: `lock` serialises it. The frame is copied
 * once, from the sender's buffers into as many RX chains as it takes
 * (MRG_RXBUF), and they are handed over together with one used-index update.
 *
 * Lifetime: the port holds a VM reference from creation until the switch
 * calls release(); the VM's destruction unplugs the port first.
 */
#include "arch.h"
#include "core/guest_mem.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "net/net_csum.h"
#include "net/switch.h"
#include "net/vif_mac.h"
#include "devices/virtio/net_hdr.h"

#define VIRTIO_ID_NET 1

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VNET_S_LINK_UP 1
/* Config space (5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs. */
#define VNET_CFG_MAC 0
#define VNET_CFG_STATUS 6
#define VNET_CFG_PAIRS 8
#define VNET_CFG_SIZE 10

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_QUEUE_MAX 256
/* Chains a TX run takes before it lets other work on its CPU run. */
#define VNET_TX_BATCH 16
/* The longest a frame the guest queued waits while its vCPU keeps running
 * (1 ms): what it queues meanwhile goes out with it in one run. */
#define VNET_TX_LATEST_HZ 1000
/* The most RX chains one frame may take: a driver posting buffers smaller
 * than a whole GSO frame (64 KiB and headers) / 48 gets such frames dropped
 * (Linux posts 1.5 KiB or more). */
#define VNET_RX_MAX_CHAINS 48
#define NS_PER_SEC 1000000000ull
/* The longest a held frame waits before its bucket is asked again (a rate so
 * low that one frame takes longer is still kept, a second at a time). */
#define VNET_TX_WAIT_MAX_NS NS_PER_SEC

struct vnet {
	struct work tx_work;          /* first: the work's fn finds the device from it */
	struct virtio_mmio *t;
	struct vm *vm;
	u32 index;                    /* the vif's in cfg.vifs */
	struct switch_port port;
	struct spinlock lock;         /* RX: one deliver() at a time; `unplugged` */
	bool unplugged;               /* the VM is going: no more frames either way */
	bool on_switch;
	u8 config[VNET_CFG_SIZE];
	char why[96];                 /* a create error, for the VM's message */
	/* TX scratch: the work never runs twice at once */
	struct virtq_seg tx_seg[VIRTQ_MAX_SEGS];
	struct net_seg tx_frame[NET_FRAME_MAX_SEGS];
	struct virtq_chain tx_chain;  /* the chain in tx_seg */
	bool tx_held;                 /* tx_chain waits for its rate (under `lock`, read by notify) */
	/* RX scratch, under `lock` */
	struct virtq_seg rx_seg[VIRTQ_MAX_SEGS];
	struct virtq_chain rx_chain[VNET_RX_MAX_CHAINS];
	u64 rx_written[VNET_RX_MAX_CHAINS];
	/* the device's own counters (atomic adds) */
	u64 tx_bad_header;            /* short header, unknown flags or bad offsets */
	u64 tx_gso;                   /* GSO headers refused: type not negotiated, bad fields */
	u64 rx_bad_buffers;           /* RX chains too small or not RAM */
};

static void count(u64 *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static u64 now_ns(void)
{
	u64 c = arch_counter_read(), f = arch_counter_freq();

	return c / f * NS_PER_SEC + c % f * NS_PER_SEC / f;
}

/* --- TX ------------------------------------------------------------------ */

/*
 * The frame after the header, as pointers into the guest's RAM: the
 * readable segments from byte VNET_HDR_LEN on, each cut where guest pages
 * are not host-contiguous. False when a segment is no longer RAM (the
 * transport checked it when popped; the map may change), or when it is cut
 * into more pieces than fit, which only a segment larger than a page (so an
 * oversize frame) can cause.
 */
static bool tx_frame(struct vnet *v, const struct virtq_chain *c, struct net_frame *f)
{
	u64 skip = VNET_HDR_LEN, len = 0;
	u32 n = 0;

	for (u32 i = 0; i < c->nread; i++) {
		const struct virtq_seg *s = &v->tx_seg[i];
		u64 off = skip < s->len ? skip : s->len;
		const void *p;

		skip -= off;
		if (off == s->len)
			continue;
		for (u64 at = off, run; at < s->len; at += run) {
			p = guest_mem_run(v->vm, ipa_add(s->addr, at), s->len - at, &run);
			if (!p || n == NET_FRAME_MAX_SEGS)
				return false;
			v->tx_frame[n++] = (struct net_seg){ p, (u32)run };
		}
		len += s->len - off;
	}
	/* a chain's readable bytes fit u32 many times over (128 segments) but a
	 * hostile length sum is not trusted: the switch refuses oversize */
	if (len > 0xffffffffull)
		return false;
	*f = (struct net_frame){ .segs = v->tx_frame, .nsegs = n, .len = (u32)len };
	return true;
}

static bool negotiated(struct vnet *v, u32 bit)
{
	return virtio_mmio_features(v->t) & (1ull << bit);
}

/* A GSO header's fields, and its type one the driver negotiated. */
static bool tx_gso_ok(struct vnet *v, const struct vnet_hdr *h, u32 len)
{
	return vnet_hdr_gso_ok(h, len, negotiated(v, VIRTIO_NET_F_HOST_TSO4),
			       negotiated(v, VIRTIO_NET_F_HOST_TSO6));
}

/* One chain: checked, then sent or dropped and counted. */
static void tx_one(struct vnet *v, const struct virtq_chain *c)
{
	u8 raw[VNET_HDR_LEN];
	struct vnet_hdr h;
	struct net_frame f;
	u64 got = 0;
	u32 hold;

	for (u32 i = 0; i < c->nread && got < VNET_HDR_LEN; i++) {
		u64 take = v->tx_seg[i].len < VNET_HDR_LEN - got ? v->tx_seg[i].len : VNET_HDR_LEN - got;

		if (!guest_mem_read(v->vm, v->tx_seg[i].addr, raw + got, take))
			break;
		got += take;
	}
	if (got < VNET_HDR_LEN || c->nsegs != c->nread) {
		count(&v->tx_bad_header);      /* TX buffers are read-only to us */
		return;
	}
	vnet_hdr_parse(raw, &h);
	/* the frame's pointers stay good until the switch has copied it */
	hold = guest_mem_hold(v->vm);
	if (!tx_frame(v, c, &f) || !vnet_hdr_tx_ok(&h, f.len)) {
		guest_mem_unhold(v->vm, hold);
		count(&v->tx_bad_header);
		return;
	}
	if (h.gso_type != VNET_GSO_NONE && !tx_gso_ok(v, &h, f.len)) {
		guest_mem_unhold(v->vm, hold);
		count(&v->tx_gso);
		return;
	}
	f.offload = vnet_hdr_offload(&h);
	/* runts, oversize, spoofing, the rate: the switch counts them */
	switch_tx(&v->port, &f, now_ns(), NULL);
	guest_mem_unhold(v->vm, hold);
}

static bool tx_allowed(struct vnet *v)
{
	bool ok;

	spin_lock(&v->lock);
	ok = !v->unplugged && v->on_switch;
	spin_unlock(&v->lock);
	return ok;
}

/* The chain held for its rate, if a reset has not dropped it since. */
static bool tx_take_held(struct vnet *v)
{
	bool held;

	spin_lock(&v->lock);
	held = v->tx_held;
	v->tx_held = false;
	spin_unlock(&v->lock);
	return held;
}

/* The frame's length as its rate counts it: what follows the header. */
static u32 tx_frame_len(const struct vnet *v, const struct virtq_chain *c)
{
	u64 len = 0;

	for (u32 i = 0; i < c->nread; i++)
		len += v->tx_seg[i].len;
	len = len > VNET_HDR_LEN ? len - VNET_HDR_LEN : 0;
	return len > 0xffffffffull ? 0xffffffffu : (u32)len;
}

/*
 * True when the port's rate lets the chain go now. Otherwise the chain is
 * held (tx_seg, tx_chain stay as they are) and the work queued for when
 * the bucket will have room: nothing is popped or returned meanwhile.
 */
static bool tx_rate_ok(struct vnet *v)
{
	u64 wait = switch_tx_wait_ns(&v->port, tx_frame_len(v, &v->tx_chain), now_ns());
	u64 f = arch_counter_freq();

	if (!wait)
		return true;
	if (wait > VNET_TX_WAIT_MAX_NS)
		wait = VNET_TX_WAIT_MAX_NS;
	spin_lock(&v->lock);
	v->tx_held = true;
	spin_unlock(&v->lock);
	/* round up: woken a tick early, the bucket would still be short */
	work_queue(&v->tx_work, arch_counter_read() + (wait * f + NS_PER_SEC - 1) / NS_PER_SEC);
	return false;
}

static void tx_work(struct work *w, u64 now)
{
	struct vnet *v = (struct vnet *)w;
	struct vm *vm = v->vm;
	struct virtq_chain *c = &v->tx_chain;
	u64 start = arch_counter_read();
	u32 n;

	(void)now;
	/* the frames point into its RAM: the VM stays while they travel */
	if (!vm_get(vm)) {
		work_ran(w);
		return;
	}
	for (n = 0; n < VNET_TX_BATCH; n++) {
		if (!tx_take_held(v) &&
		    virtio_mmio_pop(v->t, VNET_TXQ, v->tx_seg, VIRTQ_MAX_SEGS, c) != VIRTQ_CHAIN)
			break;
		if (tx_allowed(v)) {
			if (!tx_rate_ok(v))
				break;
			tx_one(v, c);
		}
		virtio_mmio_push(v->t, VNET_TXQ, c, 0);
	}
	if (n == VNET_TX_BATCH) {
		/* More may wait. It runs again after as long as this batch took
		 * (or once the CPU has nothing else), so a vif with a backlog gets
		 * at most half a CPU that has a vCPU to run. */
		u64 end = arch_counter_read();

		work_queue_idle(&v->tx_work, arch_cpu_index(), end + (end - start));
	}
	work_ran(w);
	vm_put(vm);                           /* last: the VM may go with it */
}

/* --- RX ------------------------------------------------------------------ */

/* Where the stream of header and frame goes, and what must be patched into
 * it once all of it is written (the header's num_buffers, a checksum). */
struct rx_fill {
	const struct net_delivery *d;
	u32 total;                    /* header + frame */
	u32 off;                      /* stream bytes placed so far */
	ipaddr_t hdr_at[VNET_HDR_LEN];
	bool csum;                    /* complete the checksum into the copy */
	u32 csum_from;                /* stream offsets */
	u32 csum_field;
	ipaddr_t field_at[2];
	u64 sum;
};

/*
 * Adds the checksummed part of stream bytes [at, at + n) to the sum. A run
 * that starts at an odd offset from csum_from has every byte in the other
 * half of its 16-bit word: its sum, taken as if even, counts byte-swapped
 * (256 x 256 = 1 in ones'-complement arithmetic, RFC 1071).
 */
static void sum_bytes(struct rx_fill *r, u32 at, const u8 *p, u32 n)
{
	u32 skip = at < r->csum_from ? r->csum_from - at : 0;
	u64 sum;

	if (skip >= n)
		return;
	sum = net_csum_sum(p + skip, n - skip);
	if ((at + skip - r->csum_from) & 1) {
		u16 folded = (u16)~net_csum_fold(sum);

		sum = (u16)(folded << 8 | folded >> 8);
	}
	r->sum += sum;
}

/* Places stream bytes into one writable segment; false when not RAM. */
static bool fill_seg(struct vnet *v, struct rx_fill *r, const struct virtq_seg *s, u32 *used)
{
	u32 room = s->len, at = 0;

	while (room && r->off < r->total) {
		ipaddr_t dst = ipa_init(ipa_addr(s->addr) + at);
		const u8 *p;
		u32 n;

		if (r->off < VNET_HDR_LEN) {
			r->hdr_at[r->off] = dst;     /* written last, num_buffers known */
			n = 1;
		} else {
			n = net_delivery_piece(r->d, r->off - VNET_HDR_LEN, &p);
			if (!n)
				return false;          /* the delivery is shorter than it said */
			if (n > room)
				n = room;
			if (!guest_mem_write(v->vm, dst, p, n))
				return false;
			if (r->csum) {
				sum_bytes(r, r->off, p, n);
				for (u32 k = 0; k < 2; k++) {
					u32 fo = r->csum_field + k;

					if (fo >= r->off && fo < r->off + n)
						r->field_at[k] = ipa_init(ipa_addr(dst) + fo - r->off);
				}
			}
		}
		r->off += n;
		at += n;
		room -= n;
	}
	*used += at;
	return true;
}

enum fill { FILL_OK, FILL_NONE, FILL_BAD };

/* Pops RX chain `i` and fills it: FILL_NONE when there is none, FILL_BAD
 * when it was popped but cannot take its part (too small, not RAM). */
static enum fill fill_chain(struct vnet *v, struct rx_fill *r, u32 i)
{
	struct virtq_chain *c = &v->rx_chain[i];
	u32 used = 0;

	if (virtio_mmio_pop(v->t, VNET_RXQ, v->rx_seg, VIRTQ_MAX_SEGS, c) != VIRTQ_CHAIN)
		return FILL_NONE;
	/* the header must sit in the first buffer (5.1.6.3.1) */
	if (i == 0 && c->write_bytes < VNET_HDR_LEN)
		return FILL_BAD;
	for (u32 k = c->nread; k < c->nsegs && r->off < r->total; k++) {
		if (!fill_seg(v, r, &v->rx_seg[k], &used))
			return FILL_BAD;
	}
	v->rx_written[i] = used;
	return FILL_OK;
}

/*
 * Writes `n` bytes whose guest addresses are at[0..n-1]: each run of
 * neighbouring addresses in one write (the whole header, as a rule: a
 * write costs far more than a byte).
 */
static bool write_scattered(struct vnet *v, const ipaddr_t *at, const u8 *bytes, u32 n)
{
	for (u32 i = 0; i < n;) {
		u32 j = i + 1;

		while (j < n && ipa_addr(at[j]) == ipa_addr(at[j - 1]) + 1)
			j++;
		if (!guest_mem_write(v->vm, at[i], bytes + i, j - i))
			return false;
		i = j;
	}
	return true;
}

static bool write_patches(struct vnet *v, struct rx_fill *r, const struct vnet_hdr *h)
{
	u8 raw[VNET_HDR_LEN];

	vnet_hdr_build(h, raw);
	if (!write_scattered(v, r->hdr_at, raw, VNET_HDR_LEN))
		return false;
	if (r->csum) {
		u16 c = net_csum_fold(r->sum);
		u8 be[2] = { (u8)(c >> 8), (u8)c };

		if (!write_scattered(v, r->field_at, be, 2))
			return false;
	}
	return true;
}

/* Whether the driver takes a GSO frame of this type whole: its TSO
 * feature, and GUEST_CSUM (which it depends on) for the partial checksum. */
static bool rx_takes_gso(struct vnet *v, u8 gso_type)
{
	u32 bit = gso_type == VNET_GSO_TCPV4 ? VIRTIO_NET_F_GUEST_TSO4 :
		  gso_type == VNET_GSO_TCPV6 ? VIRTIO_NET_F_GUEST_TSO6 : 0;

	return bit && negotiated(v, bit) && negotiated(v, VIRTIO_NET_F_GUEST_CSUM);
}

/* The header the receiver sees, and whether its copy needs a checksum;
 * false for a GSO frame the driver does not take (a reset since the switch
 * asked). */
static bool rx_header(struct vnet *v, const struct net_delivery *d, struct vnet_hdr *h,
		      struct rx_fill *r)
{
	u64 f = virtio_mmio_features(v->t);
	const struct net_offload *o = &d->offload;
	/* offsets inside the MAC header would write the sum over the addresses */
	bool partial = (o->flags & NET_OFFLOAD_NEEDS_CSUM) && net_csum_offsets_ok(o, d->len);

	*h = (struct vnet_hdr){ .gso_type = VNET_GSO_NONE };
	if (o->gso_type != NET_GSO_NONE) {
		if (!partial || !rx_takes_gso(v, o->gso_type))
			return false;
		*h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM, .gso_type = o->gso_type,
					.gso_size = o->gso_size, .hdr_len = o->hdr_len,
					.csum_start = o->csum_start, .csum_offset = o->csum_offset };
		return true;
	}
	if (partial && (f & (1ull << VIRTIO_NET_F_GUEST_CSUM))) {
		h->flags = VNET_HDR_F_NEEDS_CSUM;
		h->csum_start = o->csum_start;
		h->csum_offset = o->csum_offset;
	} else if (partial) {
		r->csum = true;
		r->csum_from = VNET_HDR_LEN + o->csum_start;
		r->csum_field = r->csum_from + o->csum_offset;
	} else if ((o->flags & VNET_HDR_F_DATA_VALID) && (f & (1ull << VIRTIO_NET_F_GUEST_CSUM))) {
		h->flags = VNET_HDR_F_DATA_VALID;
	}
	return true;
}

/* Gives back chains popped for a frame that did not fit, with nothing in
 * them: a driver drops a buffer shorter than a header. */
static void rx_return_empty(struct vnet *v, u32 n)
{
	for (u32 i = 0; i < n; i++)
		v->rx_written[i] = 0;
	if (n)
		virtio_mmio_push_many(v->t, VNET_RXQ, v->rx_chain, v->rx_written, n);
}

/*
 * A GSO frame over mergeable buffers takes dozens at once: when the ring
 * holds fewer than it would take at the smallest size Linux posts, the
 * switch is asked for segments instead, each of which needs one, before any
 * is used (a short ring then loses some segments, not 64 KiB at once, which
 * TCP would pay for with its whole window).
 */
#define VNET_RX_MIN_BUF 1518
static bool rx_room_for_whole(struct vnet *v, const struct net_delivery *d, bool mrg)
{
	u32 need = mrg ? (VNET_HDR_LEN + d->len + VNET_RX_MIN_BUF - 1) / VNET_RX_MIN_BUF : 1;

	return virtio_mmio_avail(v->t, VNET_RXQ) >= need;
}

static enum switch_deliver rx_locked(struct vnet *v, const struct net_delivery *d)
{
	bool mrg = virtio_mmio_features(v->t) & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	u32 max = mrg ? VNET_RX_MAX_CHAINS : 1;
	struct rx_fill r = { .d = d, .total = VNET_HDR_LEN + d->len };
	enum fill res = FILL_OK;
	struct vnet_hdr h;
	u32 n = 0;

	if (!rx_header(v, d, &h, &r))
		return SWITCH_NO_BUFFERS;
	if (h.gso_type != VNET_GSO_NONE && !rx_room_for_whole(v, d, mrg))
		return SWITCH_SEGMENT_IT;
	while (r.off < r.total && res == FILL_OK) {
		if (n == max) {
			res = FILL_BAD;       /* buffers too small for the frame */
			break;
		}
		res = fill_chain(v, &r, n);
		if (res != FILL_NONE)
			n++;
	}
	if (res == FILL_OK) {
		h.num_buffers = (u16)n;
		if (write_patches(v, &r, &h)) {
			virtio_mmio_push_many(v->t, VNET_RXQ, v->rx_chain, v->rx_written, n);
			return SWITCH_DELIVERED;
		}
		res = FILL_BAD;
	}
	/* the switch counts the frame as dropped for want of buffers */
	if (res == FILL_BAD)
		count(&v->rx_bad_buffers);
	rx_return_empty(v, n);
	return SWITCH_NO_BUFFERS;
}

static enum switch_deliver vnet_deliver(struct switch_port *port, const struct net_delivery *d)
{
	struct vnet *v = port->ctx;
	enum switch_deliver res = SWITCH_NO_BUFFERS;

	spin_lock(&v->lock);
	if (!v->unplugged)
		res = rx_locked(v, d);
	spin_unlock(&v->lock);
	return res;
}

/* The switch is done with the port: the VM may go. */
static void vnet_release(struct switch_port *port)
{
	struct vnet *v = port->ctx;

	vm_put(v->vm);
}

static bool vnet_takes_gso(struct switch_port *port, u8 gso_type)
{
	return rx_takes_gso(port->ctx, gso_type);
}

static const struct switch_port_ops vnet_port_ops = {
	.deliver = vnet_deliver,
	.takes_gso = vnet_takes_gso,
	.release = vnet_release,
};

/* --- the transport's side ------------------------------------------------ */

static bool vnet_config_read(void *dev, u32 offset, u32 size, u64 *value)
{
	struct vnet *v = dev;

	*value = 0;
	for (u32 i = 0; i < size; i++)
		*value |= (u64)v->config[offset + i] << (8 * i);
	return true;
}

static void vnet_notify(void *dev, u32 queue)
{
	struct vnet *v = dev;

	/* RX buffers are taken when a frame comes: nothing to do for queue 0.
	 * While a frame waits for its rate the work is queued for then: a
	 * guest's kicks do not make it run (and ask the bucket) sooner. */
	if (queue == VNET_TXQ && !__atomic_load_n(&v->tx_held, __ATOMIC_RELAXED))
		work_queue_idle(&v->tx_work, arch_cpu_index(),
				arch_counter_read() + arch_counter_freq() / VNET_TX_LATEST_HZ);
}

/* A driver reset or a VM restart: a deliver() running now finishes first
 * (the lock), so once the reset returns no frame lands in old buffers; a
 * frame held for its rate is forgotten (its chain is stale). */
static void vnet_reset(void *dev)
{
	struct vnet *v = dev;

	spin_lock(&v->lock);
	v->tx_held = false;
	spin_unlock(&v->lock);
}

static void vnet_unplug(void *dev)
{
	struct vnet *v = dev;
	bool remove;

	spin_lock(&v->lock);
	remove = v->on_switch && !v->unplugged;
	v->unplugged = true;
	spin_unlock(&v->lock);
	if (remove)
		switch_port_remove(&v->port);
}

static void vnet_destroy(void *dev)
{
	struct vnet *v = dev;

	work_cancel(&v->tx_work);
}

#define VNET_FEATURES ((1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) | \
		       (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MRG_RXBUF) | \
		       (1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_NET_F_GUEST_TSO4) | \
		       (1ull << VIRTIO_NET_F_GUEST_TSO6))
#define VNET_HOST_TSO ((1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6))
static const struct virtio_device_ops vnet_ops = {
	.features = VNET_FEATURES | VNET_HOST_TSO,   /* HOST_TSO: not on a vif with a rate */
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max = VNET_QUEUE_MAX,
	.config_size = VNET_CFG_SIZE,
	.config_read = vnet_config_read,
	.notify = vnet_notify,
	.reset = vnet_reset,
	.unplug = vnet_unplug,
	.destroy = vnet_destroy,
};

/* --- network-list -------------------------------------------------------- */

static void vnet_status(struct switch_port *port, struct vif_status *out)
{
	struct vnet *v = port->ctx;
	u32 st = virtio_mmio_status(v->t);

	if (__atomic_load_n(&v->unplugged, __ATOMIC_RELAXED))
		out->state = "unplugged";
	else if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		out->state = "needs reset";
	else if (st & VIRTIO_STATUS_DRIVER_OK)
		out->state = "connected";
	else
		out->state = "initialising";
	out->tx_errors = __atomic_load_n(&v->tx_bad_header, __ATOMIC_RELAXED) +
			 __atomic_load_n(&v->tx_gso, __ATOMIC_RELAXED);
	out->rx_errors = __atomic_load_n(&v->rx_bad_buffers, __ATOMIC_RELAXED);
}

/* --- the device kind ----------------------------------------------------- */

static u32 vnet_config_count(const struct vm *vm)
{
	return vm->cfg.nvifs;
}

static void fill_config(struct vnet *v, const u8 *mac)
{
	memcpy(v->config + VNET_CFG_MAC, mac, ETH_ALEN);
	v->config[VNET_CFG_STATUS] = VNET_S_LINK_UP;
	v->config[VNET_CFG_PAIRS] = 1;
}

static int join_switch(struct vnet *v, const struct config_vif *c, const char **why)
{
	struct switch_port_config pc = { .kind = SWITCH_PORT_VIF, .vlan = c->vlan,
					  .rate_bps = c->rate_bps,
					  .rate_interval_us = c->rate_interval_us };
	struct vswitch *sw = switch_get(c->bridge[0] ? c->bridge : CONFIG_DEFAULT_BRIDGE);
	enum switch_add_error e;

	memcpy(pc.mac, v->config + VNET_CFG_MAC, ETH_ALEN);
	fmt_snprintf(pc.label, sizeof(pc.label), "%s.%u", v->vm->cfg.name, v->index);
	if (!sw) {
		fmt_snprintf(v->why, sizeof(v->why), "%s:%u: vif: no switch '%s' (bad name, or too many switches)",
			     v->vm->cfg_file, c->line, c->bridge);
		*why = v->why;
		return -1;
	}
	if (!vm_get(v->vm)) {
		*why = "the VM is being destroyed";
		return -1;
	}
	e = switch_port_add(sw, &v->port, &pc, &vnet_port_ops, v);
	if (e != SWITCH_ADD_OK) {
		vm_put(v->vm);
		fmt_snprintf(v->why, sizeof(v->why), "%s:%u: vif: switch '%s': %s", v->vm->cfg_file,
			     c->line, sw->name, switch_add_error_str(e));
		*why = v->why;
		return -1;
	}
	v->on_switch = true;
	return 0;
}

static int vnet_create(struct vdev *d, const char **why)
{
	const struct config_vif *c;
	struct vnet *v;
	u8 mac[ETH_ALEN];

	if (d->instance >= d->vm->cfg.nvifs) {
		*why = "a virtio-net device with no vif in the config";
		return -1;
	}
	c = &d->vm->cfg.vifs[d->instance];
	v = vm_dev_alloc(d->vm, sizeof(*v));
	if (!v) {
		*why = "no memory for its virtio-net device";
		return -1;
	}
	v->vm = d->vm;
	v->index = d->instance;
	work_init(&v->tx_work, tx_work, 0);
	if (c->has_mac)
		memcpy(mac, c->mac, ETH_ALEN);
	else
		vif_derive_mac(d->vm->cfg.name, d->instance, mac);
	fill_config(v, mac);
	v->t = virtio_mmio_create(d, &vnet_ops, v);
	if (!v->t) {
		*why = "no memory for its virtio-net transport";
		return -1;
	}
	/* Its bucket's burst (the rate over 50 ms by default) may be smaller
	 * than one 64 KiB frame, which would then never pass. */
	if (c->rate_bps)
		virtio_mmio_withhold_features(v->t, VNET_HOST_TSO);
	if (join_switch(v, c, why))
		return -1;
	d->vm->vifs[d->instance] = (struct vm_vif){ &v->port, vnet_status };
	return 0;
}

/* QEMU virt's virtio-mmio slots 8 up (lines 24 up), above the disks' 0-7:
 * vif 0 has the lowest address of them, which Linux numbers first (eth0). */
static const struct vdev_kind vnet_kind = {
	.name = "virtio-net",
	.base = { 0x0a000000 + 8 * VIRTIO_MMIO_SIZE },
	.size = VIRTIO_MMIO_SIZE,
	.line = 16 + 8,
	.every_vm = false,
	.config_count = vnet_config_count,
	.create = vnet_create,
};

static const struct vdev_kind *const vnet_kind_entry VDEV_KIND_SECTION = &vnet_kind;
