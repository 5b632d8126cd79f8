/* The fake virtio-net device (see fake_virtio_net.h). */
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "drivers/virtio_mmio_host.h"
#include "fake_virtio_net.h"

struct fake_vnet fvnet;

struct fdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

void fnet_reset(u64 features)
{
	memset(&fvnet, 0, sizeof(fvnet));
	fvnet.magic = VIRTIO_MMIO_MAGIC;
	fvnet.version = 2;
	fvnet.device_id = 1;
	fvnet.features = features;
	fvnet.q[0].num_max = fvnet.q[1].num_max = 64;
	memcpy(fvnet.mac, "\x52\x54\x00\x12\x34\x56", 6);
	fvnet.net_status = 1;
}

static struct fake_vnet *fake_of(const struct vmmio *t)
{
	check(pa_to_ptr(t->base) == &fvnet);
	return &fvnet;
}

static u8 config_byte(u32 off)
{
	if (off < 6)
		return fvnet.mac[off];
	if (off < 8)
		return (u8)(fvnet.net_status >> (8 * (off - 6)));
	abort();
}

u8 vmmio_read8(const struct vmmio *t, u32 off)
{
	fake_of(t);
	check(off >= 0x100);
	return config_byte(off - 0x100);
}

u16 vmmio_read16(const struct vmmio *t, u32 off)
{
	fake_of(t);
	check(off >= 0x100 && off % 2 == 0);
	return (u16)(config_byte(off - 0x100) | config_byte(off - 0x100 + 1) << 8);
}

u32 vmmio_read32(const struct vmmio *t, u32 off)
{
	struct fake_vnet *f = fake_of(t);
	struct fnet_queue *q = &f->q[f->queue_sel & 1];

	switch (off) {
	case 0x000: return f->magic;
	case 0x004: return f->version;
	case 0x008: return f->device_id;
	case 0x00c: return 0x554d4551;
	case 0x010: return (u32)(f->features >> (f->features_sel ? 32 : 0));
	case 0x034: return f->queue_sel < 2 ? q->num_max : 0;
	case 0x044: return f->queue_sel < 2 ? q->ready : 0;
	case 0x060: return f->int_status;
	case 0x070: return f->status;
	case 0x0fc: return 0;
	default: abort();
	}
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
	struct fake_vnet *f = fake_of(t);
	struct fnet_queue *q = &f->q[f->queue_sel & 1];

	switch (off) {
	case 0x014: f->features_sel = v; break;
	case 0x020: set_half(&f->driver_features, f->driver_features_sel, v); break;
	case 0x024: f->driver_features_sel = v; break;
	case 0x030: check(v < 2); f->queue_sel = v; break;
	case 0x038: q->num = v; break;
	case 0x044: q->ready = v; break;
	case 0x050: check(v < 2); f->notifies[v]++; break;
	case 0x064: f->int_status &= ~v; break;
	case 0x070:
		if (v == 0) {
			/* reset: the queues are forgotten; their sizes are the device's */
			u32 max0 = f->q[0].num_max, max1 = f->q[1].num_max;

			f->resets++;
			memset(f->q, 0, sizeof(f->q));
			f->q[0].num_max = max0;
			f->q[1].num_max = max1;
		}
		f->status = v;
		break;
	case 0x080: set_half(&q->desc, 0, v); break;
	case 0x084: set_half(&q->desc, 1, v); break;
	case 0x090: set_half(&q->driver, 0, v); break;
	case 0x094: set_half(&q->driver, 1, v); break;
	case 0x0a0: set_half(&q->device, 0, v); break;
	case 0x0a4: set_half(&q->device, 1, v); break;
	default: abort();
	}
}

static struct fdesc *desc(struct fnet_queue *q, u16 i)
{
	check(q->ready && i < q->num);
	return (struct fdesc *)pa_to_ptr(pa_init(q->desc)) + i;
}

static u16 avail_idx(struct fnet_queue *q) { return ((u16 *)pa_to_ptr(pa_init(q->driver)))[1]; }
static u16 avail_ring(struct fnet_queue *q, u16 i)
{
	return ((u16 *)pa_to_ptr(pa_init(q->driver)))[2 + i % q->num];
}

u16 fnet_rx_available(void)
{
	struct fnet_queue *q = &fvnet.q[0];

	return q->ready ? (u16)(avail_idx(q) - q->last_avail) : 0;
}

int fnet_rx_next(u32 *buf_len, u8 **buf)
{
	struct fnet_queue *q = &fvnet.q[0];
	struct fdesc *d;
	u16 id;

	if (!fnet_rx_available())
		return -1;
	id = avail_ring(q, q->last_avail++);
	d = desc(q, id);
	check(d->flags == 2);  /* device-writable, one descriptor */
	*buf_len = d->len;
	*buf = pa_to_ptr(pa_init(d->addr));
	return id;
}

void fnet_used(u32 queue, u32 id, u32 len)
{
	struct fnet_queue *q = &fvnet.q[queue];
	u32 *e;

	if (!q->ready)
		return;  /* reset: a device without a queue has nowhere to write */
	e = (u32 *)pa_to_ptr(pa_init(q->device)) + 1 + 2 * (q->used_idx % q->num);
	e[0] = id;
	e[1] = len;
	q->used_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	((u16 *)pa_to_ptr(pa_init(q->device)))[1] = q->used_idx;
	fvnet.int_status |= VIRTIO_INT_USED_BUFFER;
}

bool fnet_receive(const u8 *frame, u32 len, u8 flags, u16 csum_start, u16 csum_offset)
{
	u32 cap;
	u8 *buf;
	int id = fnet_rx_next(&cap, &buf);

	if (id < 0)
		return false;
	check(len + FNET_HDR <= cap);
	memset(buf, 0, FNET_HDR);
	buf[0] = flags;
	memcpy(buf + 6, &csum_start, 2);
	memcpy(buf + 8, &csum_offset, 2);
	buf[10] = 1;  /* num_buffers */
	memcpy(buf + FNET_HDR, frame, len);
	fnet_used(0, (u32)id, len + FNET_HDR);
	return true;
}

u32 fnet_transmit(bool complete)
{
	struct fnet_queue *q = &fvnet.q[1];
	u32 n = 0;

	while (q->ready && q->last_avail != avail_idx(q)) {
		u16 id = avail_ring(q, q->last_avail++);
		struct fdesc *d = desc(q, id);
		struct fnet_tx_frame *t = &fvnet.tx[fvnet.ntx++ % FNET_MAX_TX];

		check(d->flags == 0 && d->len >= FNET_HDR && d->len <= FNET_HDR + sizeof(t->data));
		memcpy(t->hdr, pa_to_ptr(pa_init(d->addr)), FNET_HDR);
		t->len = d->len - FNET_HDR;
		memcpy(t->data, (u8 *)pa_to_ptr(pa_init(d->addr)) + FNET_HDR, t->len);
		if (complete)
			fnet_used(1, id, 0);
		n++;
	}
	return n;
}

void fnet_set_link(bool up)
{
	fvnet.net_status = up;
	fvnet.int_status |= VIRTIO_INT_CONFIG;
}
