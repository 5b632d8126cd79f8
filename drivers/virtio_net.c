/*
 * virtio-net (virtio 1.2, 5.1) over a virtio-mmio v2 transport: the
 * machine's own NIC, which the uplink joins to a switch.
 *
 * Two split virtqueues, receiveq (0) and transmitq (1). Each descriptor i of
 * a queue always names buffer i of that queue: 2 KiB in Bulkhead's memory
 * holding the 12-byte virtio-net header and the frame (VERSION_1 lets the
 * header share a descriptor with the data). So a chain is one descriptor,
 * and the used ring's id is all that says which buffer came back.
 *
 * RX: every receive buffer the driver does not hold is with the device.
 * Deferred work takes the used entries under the lock, hands the frames to
 * the user with no lock held, then gives the buffers back. TX: transmit()
 * copies the frame into a free buffer under the lock and queues it; buffers
 * come back on the used ring (reclaimed by the work, or by transmit itself
 * when none is free).
 *
 * The device is hardware we trust less than ourselves. A used entry naming
 * a buffer it does not hold, or a used index running past what it holds,
 * stops it (reset: it drops both queues). A length that cannot be right
 * costs only that frame, counted in rx_errors.
 */
#include "arch.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/spinlock.h"
#include "core/workqueue.h"
#include "drivers/net.h"
#include "drivers/virtio_mmio_host.h"
#include "drivers/virtio_net.h"
#include "lib/string.h"
#include "net/net_csum.h"
#include "virtio_net_hdr.h"
#include "virtio_ring.h"

#define VIRTIO_ID_NET 1

#define VIRTIO_NET_F_CSUM (1ull << 0)        /* the device completes our partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)  /* it may hand us partial or validated ones */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)

#define VIRTIO_NET_S_LINK_UP 1

/* Device-specific configuration: the MAC's six bytes, then the status. */
#define VMMIO_REG_CONFIG 0x100
#define CFG_MAC 0
#define CFG_STATUS 6

#define RXQ 0
#define TXQ 1

/* Each queue's ring size at most (the device may offer more): a power of
 * two, so that the ring fits one page and 16-bit indexes wrap cleanly. */
#define QUEUE_MAX 64
/* One frame and its header: without MRG_RXBUF or GUEST_TSO the spec asks
 * for at least 1526 bytes; 2 KiB also takes a tagged frame from the trunk. */
#define BUF_SIZE 2048

#define RING_AVAIL_OFF (QUEUE_MAX * sizeof(struct virtq_desc))
#define RING_USED_OFF 2048

struct vq {
	u16 qsize;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	u8 *bufs;                   /* qsize buffers of BUF_SIZE */
	paddr_t bufs_pa;
	u16 avail_idx;              /* ours: the next avail slot */
	u16 last_used;              /* the used index consumed up to */
	u16 with_device;            /* buffers the device holds */
	bool held[QUEUE_MAX];       /* buffer i is with the device */
};

/* A received buffer taken off the used ring, checked, to hand over. */
struct rx_taken {
	u16 id;
	u32 len;                    /* bytes the device says it wrote; 0: bad, not delivered */
};

struct vnet {
	struct net_nic nic;
	struct vmmio io;
	struct spinlock lock;
	struct work work;           /* drains both used rings (CPU 0) */
	u64 features;
	struct vq rx, tx;
	u16 tx_free[QUEUE_MAX];     /* TX buffers we hold, a stack */
	u16 ntx_free;
	bool config_changed;        /* atomic: the interrupt saw a configuration change */
	struct rx_taken taken[QUEUE_MAX];  /* the work's, outside the lock */
};

_Static_assert(sizeof(struct vnet) <= PAGE_SIZE, "a NIC's state fits one page");
_Static_assert(RING_AVAIL_OFF + VIRTQ_AVAIL_BYTES(QUEUE_MAX) <= RING_USED_OFF, "avail fits");
_Static_assert(RING_USED_OFF + VIRTQ_USED_BYTES(QUEUE_MAX) <= PAGE_SIZE, "used fits");

static struct vnet *vnet_of(struct net_nic *nic)
{
	return nic->priv;
}

/* Lock held. Publishes buffer `id` on `q` (the caller notifies). */
static void vq_post(struct vq *q, u16 id, u32 len, bool device_writes)
{
	q->desc[id].addr = pa_addr(q->bufs_pa) + (u64)id * BUF_SIZE;
	q->desc[id].len = len;
	q->desc[id].flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
	q->desc[id].next = 0;
	q->avail->ring[q->avail_idx % q->qsize] = id;
	q->held[id] = true;
	q->with_device++;
	/* the descriptor and its ring entry before the index that publishes them */
	arch_io_wmb();
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
}

/* Lock held. The device stops touching our memory; the NIC is dead. */
static void vnet_break(struct vnet *v, const char *why)
{
	if (v->nic.broken)
		return;
	hv_err("nic %s: %s: device stopped", v->nic.name, why);
	vmmio_reset(&v->io);
	__atomic_store_n(&v->nic.broken, true, __ATOMIC_RELAXED);
	__atomic_store_n(&v->nic.link_up, false, __ATOMIC_RELAXED);
	v->rx.with_device = v->tx.with_device = 0;
	memset(v->rx.held, 0, sizeof(v->rx.held));
	memset(v->tx.held, 0, sizeof(v->tx.held));
}

/* Lock held. How many fresh used entries `q` has; false (device stopped)
 * when the index claims more than the device holds. */
static bool vq_fresh(struct vnet *v, struct vq *q, u16 *fresh)
{
	u16 used_idx = q->used->idx;

	*fresh = (u16)(used_idx - q->last_used);
	if (*fresh > q->with_device) {
		vnet_break(v, "used index ran past the buffers it holds");
		return false;
	}
	/* the index before the entries it covers */
	arch_io_rmb();
	return true;
}

/* Lock held. Takes the next used entry of `q`; false (device stopped) when
 * it names a buffer the device does not hold. */
static bool vq_take(struct vnet *v, struct vq *q, struct virtq_used_elem *e)
{
	*e = q->used->ring[q->last_used % q->qsize];
	if (e->id >= q->qsize || !q->held[e->id]) {
		vnet_break(v, "used ring names a buffer the device does not hold");
		return false;
	}
	q->held[e->id] = false;
	q->with_device--;
	q->last_used++;
	return true;
}

/* Lock held. TX buffers the device has sent, back on the free stack. */
static void tx_reclaim(struct vnet *v)
{
	struct virtq_used_elem e;
	u16 fresh;

	if (!vq_fresh(v, &v->tx, &fresh))
		return;
	for (; fresh; fresh--) {
		if (!vq_take(v, &v->tx, &e))
			return;
		v->tx_free[v->ntx_free++] = (u16)e.id;
	}
}

/* Lock held. Received buffers into v->taken; returns how many. A length
 * that cannot be right (shorter than the header, longer than the buffer)
 * is kept as 0: the buffer goes back without its frame being delivered. */
static u16 rx_take(struct vnet *v)
{
	struct virtq_used_elem e;
	u16 fresh, n = 0;

	if (!vq_fresh(v, &v->rx, &fresh))
		return 0;
	for (; fresh; fresh--) {
		if (!vq_take(v, &v->rx, &e))
			return 0;  /* the device was reset: its buffers are ours, none delivered */
		v->taken[n].id = (u16)e.id;
		v->taken[n].len = e.len > VNET_HDR_LEN && e.len <= BUF_SIZE ? e.len : 0;
		n++;
	}
	return n;
}

/* The offload fields of a received header; false when they cannot be right
 * for this frame (a partial checksum outside it, a GSO frame we never asked
 * for, flags we did not negotiate). */
static bool rx_offload(const struct vnet *v, const struct vnet_hdr *h, u32 len,
		       struct net_offload *off)
{
	*off = (struct net_offload){ 0 };
	if (h->gso_type != VNET_GSO_NONE)
		return false;
	if (!h->flags)
		return true;
	if (!(v->features & VIRTIO_NET_F_GUEST_CSUM) ||
	    (h->flags & ~(VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID)))
		return false;
	off->flags = h->flags;
	off->csum_start = h->csum_start;
	off->csum_offset = h->csum_offset;
	return !(h->flags & VNET_HDR_F_NEEDS_CSUM) || net_csum_offsets_ok(off, len);
}

/* No lock held: hands one received buffer's frame to the user. */
static void rx_deliver(struct vnet *v, const struct rx_taken *t, u64 now)
{
	const u8 *buf = v->rx.bufs + (u64)t->id * BUF_SIZE;
	struct vnet_hdr h;
	struct net_offload off;
	u32 len = t->len - (u32)VNET_HDR_LEN;

	/* one copy of the header: the device could still be writing the buffer */
	memcpy(&h, buf, sizeof(h));
	if (!t->len || !rx_offload(v, &h, len, &off)) {
		net_count(&v->nic.stats.rx_errors, 1);
		return;
	}
	net_rx_frame(&v->nic, buf + VNET_HDR_LEN, len, &off, now);
}

/* Lock held. Gives the taken buffers back to the device and rings it. */
static void rx_repost(struct vnet *v, u16 n)
{
	if (v->nic.broken)
		return;
	for (u16 i = 0; i < n; i++)
		vq_post(&v->rx, v->taken[i].id, BUF_SIZE, true);
	/* the index before the doorbell */
	arch_io_wmb();
	vmmio_queue_notify(&v->io, RXQ);
}

/* The link as the device's status says (up without STATUS). */
static bool link_status(struct vnet *v)
{
	if (!(v->features & VIRTIO_NET_F_STATUS))
		return true;
	return vmmio_read16(&v->io, VMMIO_REG_CONFIG + CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

/* Lock held. A configuration change: the link may have moved. */
static void read_link(struct vnet *v)
{
	bool up = link_status(v);

	if (up != v->nic.link_up)
		hv_info("nic %s: link %s", v->nic.name, up ? "up" : "down");
	__atomic_store_n(&v->nic.link_up, up, __ATOMIC_RELAXED);
}

/* Deferred work: link changes, TX completions, then received frames with
 * no lock held (the user sends them into a switch). */
static void vnet_work(struct work *w, u64 now)
{
	struct vnet *v = (struct vnet *)((u8 *)w - offsetof(struct vnet, work));
	u16 n = 0;

	spin_lock(&v->lock);
	if (!v->nic.broken) {
		if (__atomic_exchange_n(&v->config_changed, false, __ATOMIC_RELAXED))
			read_link(v);
		tx_reclaim(v);
	}
	if (!v->nic.broken)
		n = rx_take(v);
	spin_unlock(&v->lock);
	for (u16 i = 0; i < n; i++)
		rx_deliver(v, &v->taken[i], now);
	if (!n)
		return;
	spin_lock(&v->lock);
	rx_repost(v, n);
	spin_unlock(&v->lock);
}

/* Interrupt context: quiet the device and leave the rest to the work. */
static void vnet_irq(void *ctx)
{
	struct vnet *v = ctx;
	u32 why = vmmio_interrupt_status(&v->io);

	vmmio_interrupt_ack(&v->io, why);
	if (why & VIRTIO_INT_CONFIG)
		__atomic_store_n(&v->config_changed, true, __ATOMIC_RELAXED);
	if (why & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG))
		work_queue(&v->work, 0);
}

/* The header a TX buffer starts with; completes the checksum ourselves when
 * the device cannot. */
static void tx_header(const struct vnet *v, u8 *buf, const struct net_delivery *d)
{
	struct vnet_hdr h = { .gso_type = VNET_GSO_NONE };

	if (d->offload.flags & NET_OFFLOAD_NEEDS_CSUM) {
		if (v->features & VIRTIO_NET_F_CSUM) {
			h.flags = VNET_HDR_F_NEEDS_CSUM;
			h.csum_start = d->offload.csum_start;
			h.csum_offset = d->offload.csum_offset;
		} else {
			net_csum_complete(buf + VNET_HDR_LEN, d->len, &d->offload);
		}
	}
	memcpy(buf, &h, sizeof(h));
}

/* Copies the delivered frame, run by run, into `dst`. */
static void tx_copy(u8 *dst, const struct net_delivery *d)
{
	const u8 *src;
	u32 off = 0, n;

	while (off < d->len && (n = net_delivery_piece(d, off, &src)) != 0) {
		if (n > d->len - off)
			n = d->len - off;
		memcpy(dst + off, src, n);
		off += n;
	}
	if (off < d->len)
		memset(dst + off, 0, d->len - off);  /* a short frame: never send stale bytes */
}

static bool tx_frame_ok(const struct net_delivery *d)
{
	if (d->len < ETH_HLEN || d->len > BUF_SIZE - VNET_HDR_LEN)
		return false;
	return !(d->offload.flags & NET_OFFLOAD_NEEDS_CSUM) ||
	       net_csum_offsets_ok(&d->offload, d->len);
}

static enum net_tx vnet_transmit(struct net_nic *nic, const struct net_delivery *d)
{
	struct vnet *v = vnet_of(nic);
	u16 id;
	u8 *buf;

	if (!tx_frame_ok(d))
		return NET_TX_BAD_FRAME;
	spin_lock(&v->lock);
	if (!v->nic.broken && !v->ntx_free)
		tx_reclaim(v);
	if (v->nic.broken || !v->nic.link_up || !v->ntx_free) {
		enum net_tx r = v->nic.broken ? NET_TX_BROKEN :
				!v->nic.link_up ? NET_TX_LINK_DOWN : NET_TX_BUSY;

		spin_unlock(&v->lock);
		return r;
	}
	id = v->tx_free[--v->ntx_free];
	buf = v->tx.bufs + (u64)id * BUF_SIZE;
	tx_copy(buf + VNET_HDR_LEN, d);
	tx_header(v, buf, d);
	vq_post(&v->tx, id, (u32)VNET_HDR_LEN + d->len, false);
	/* the index before the doorbell */
	arch_io_wmb();
	vmmio_queue_notify(&v->io, TXQ);
	spin_unlock(&v->lock);
	return NET_TX_QUEUED;
}

static const struct net_nic_ops vnet_ops = { .transmit = vnet_transmit };

/* Queue `index`: its ring page and buffers; false when the device or memory
 * says no (what was taken is freed by vnet_discard). */
static bool vq_setup(struct vnet *v, struct vq *q, u32 index)
{
	paddr_t ring = page_alloc_zeroed(), bufs;
	u32 max;

	if (!pa_addr(ring))
		return false;
	q->desc = pa_to_ptr(ring);
	vmmio_queue_select(&v->io, index);
	max = vmmio_queue_num_max(&v->io);
	if (vmmio_queue_ready(&v->io) || max < 2)
		return false;
	q->qsize = QUEUE_MAX;
	while (q->qsize > max)
		q->qsize /= 2;
	bufs = page_alloc(&hv_pages, (u64)q->qsize * BUF_SIZE / PAGE_SIZE, PAGE_SIZE);
	if (!pa_addr(bufs))
		return false;
	q->bufs = pa_to_ptr(bufs);
	q->bufs_pa = bufs;
	memset(q->bufs, 0, (u64)q->qsize * BUF_SIZE);
	q->avail = pa_to_ptr(pa_add(ring, RING_AVAIL_OFF));
	q->used = pa_to_ptr(pa_add(ring, RING_USED_OFF));
	vmmio_queue_enable(&v->io, q->qsize, ring, pa_add(ring, RING_AVAIL_OFF),
			   pa_add(ring, RING_USED_OFF));
	return true;
}

static void vq_free(struct vq *q)
{
	if (q->bufs)
		page_free(&hv_pages, q->bufs_pa, (u64)q->qsize * BUF_SIZE / PAGE_SIZE);
	if (q->desc)
		page_free(&hv_pages, ptr_to_pa((const void *)q->desc), 1);
}

/* A device we gave up on during setup: it stops, its memory goes back. */
static void vnet_discard(struct vnet *v)
{
	vmmio_reset(&v->io);
	vmmio_fail(&v->io);
	vq_free(&v->rx);
	vq_free(&v->tx);
	page_free(&hv_pages, ptr_to_pa(v), 1);
}

/* The MAC the device gives, or a locally administered one made from where
 * the transport sits (stable from boot to boot on the same board). */
static void read_mac(struct vnet *v)
{
	if (v->features & VIRTIO_NET_F_MAC) {
		for (u32 i = 0; i < ETH_ALEN; i++)
			v->nic.mac[i] = vmmio_read8(&v->io, VMMIO_REG_CONFIG + CFG_MAC + i);
		if (!eth_is_multicast(v->nic.mac) && eth_mac_to_u64(v->nic.mac))
			return;
	}
	eth_u64_to_mac(0x02b0b0000000ull | ((pa_addr(v->io.base) >> 9) & 0xffffff), v->nic.mac);
}

static bool vnet_present(const struct vmmio *io)
{
	return vmmio_magic(io) == VIRTIO_MMIO_MAGIC && vmmio_version(io) == 2 &&
	       vmmio_device_id(io) == VIRTIO_ID_NET;
}

/* Every receive buffer to the device; every transmit buffer ours. */
static void vnet_fill(struct vnet *v)
{
	for (u16 i = 0; i < v->rx.qsize; i++)
		vq_post(&v->rx, i, BUF_SIZE, true);
	for (u16 i = 0; i < v->tx.qsize; i++)
		v->tx_free[v->ntx_free++] = i;
}

struct net_nic *virtio_net_probe(paddr_t base, u32 irq)
{
	struct vmmio io = { base };
	paddr_t state;
	struct vnet *v;

	if (!vnet_present(&io))
		return NULL;
	/* checked first: an attached interrupt cannot be taken back */
	state = net_nic_count() < NET_MAX_NICS ? page_alloc_zeroed() : pa_init(0);
	if (!pa_addr(state)) {
		hv_warn("virtio-net at 0x%llx: out of memory or NICs; skipped",
			(unsigned long long)pa_addr(base));
		return NULL;
	}
	v = pa_to_ptr(state);
	v->io = io;
	v->features = vmmio_negotiate(&io, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS |
						   VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM);
	if (!v->features || !vq_setup(v, &v->rx, RXQ) || !vq_setup(v, &v->tx, TXQ) ||
	    arch_irq_attach(irq, vnet_irq, v) != 0) {
		hv_warn("virtio-net at 0x%llx: %s; skipped", (unsigned long long)pa_addr(base),
			v->features ? "cannot set up its queues or interrupt"
				    : "the device refused virtio 1 features");
		vnet_discard(v);
		return NULL;
	}
	v->nic.kind = "virtio-net";
	v->nic.mtu = ETH_FRAME_MAX;
	v->nic.ops = &vnet_ops;
	v->nic.priv = v;
	work_init(&v->work, vnet_work, 0);
	read_mac(v);
	v->nic.link_up = link_status(v);
	vnet_fill(v);
	net_register(&v->nic);
	vmmio_driver_ok(&io);
	/* the receive buffers were made available before DRIVER_OK; ring once */
	vmmio_queue_notify(&io, RXQ);
	return &v->nic;
}

void virtio_net_probe_all(void)
{
	for (u32 i = 0; i < platform.virtio_mmio_count; i++) {
		const struct virtio_mmio_slot *s = &platform.virtio_mmio[i];

		if (s->reg.size >= 0x200)
			virtio_net_probe(pa_init(s->reg.base), arch_irq_from_dt(s->irq, s->irq_cells));
	}
}
