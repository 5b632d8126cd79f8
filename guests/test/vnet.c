/*
 * The test guest's virtio-net driver (see vnet.h). Each device's interrupt
 * handler takes InterruptStatus and acknowledges it, so that a
 * configuration change (DEVICE_NEEDS_RESET) is seen even when no buffer is
 * ever used; the rings are polled.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vnet.h"
#include "lib/string.h"
#include "virtio_mmio_regs.h"

#define VIRTIO_ID_NET 1
#define MAX_DEVICES 4

static struct vnet *devices[MAX_DEVICES];
static u32 ndevices;
static bool gic_ready;

static u32 rd(const struct vnet *n, u32 reg) { return mmio_read32(n->base + reg); }
static void wr(const struct vnet *n, u32 reg, u32 v) { mmio_write32(n->base + reg, v); }

/* One plain byte load: a trapping hypervisor emulates only those. */
static u8 config_byte(const struct vnet *n, u32 off)
{
	u32 v;

	asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(n->base + VMMIO_REG_CONFIG + off) : "memory");
	return (u8)v;
}

static void on_irq(u32 cpu, u32 intid)
{
	for (u32 i = 0; i < ndevices; i++) {
		struct vnet *n = devices[i];
		u32 bits;

		if (n->intid != intid)
			continue;
		bits = rd(n, VMMIO_REG_INTERRUPT_STATUS);
		wr(n, VMMIO_REG_INTERRUPT_ACK, bits);
		n->int_seen |= bits;
	}
}

static const char *gic_once(void)
{
	const char *why = NULL;

	if (gic_ready)
		return NULL;
	if (gic_probe())
		return "cannot find or map the GIC";
	why = gic_dist_init();
	if (!why)
		why = gic_cpu_init();
	gic_ready = !why;
	return why;
}

const char *vnet_probe(struct vnet *n, u32 nth)
{
	const char *why;

	if (!plat.fdt_ok)
		return "no device tree";
	if (ndevices == MAX_DEVICES)
		return "too many devices";
	why = vmmio_find(VIRTIO_ID_NET, nth, &n->base, &n->intid);
	if (!why)
		why = gic_once();
	if (why)
		return why;
	for (u32 i = 0; i < 6; i++)
		n->mac[i] = config_byte(n, i);
	devices[ndevices++] = n;
	irq_set_handler(n->intid, on_irq);
	gic_enable_spi(n->intid, false);   /* virtio-mmio's line is a level */
	irq_enable();
	return NULL;
}

void vnet_reset(struct vnet *n)
{
	wr(n, VMMIO_REG_STATUS, 0);
	for (u32 q = 0; q < 2; q++)
		n->q[q].size = n->q[q].avail_idx = n->q[q].used_idx = 0;
	n->int_seen = 0;
}

static u64 read_features(const struct vnet *n)
{
	u64 f;

	wr(n, VMMIO_REG_DEVICE_FEATURES_SEL, 0);
	f = rd(n, VMMIO_REG_DEVICE_FEATURES);
	wr(n, VMMIO_REG_DEVICE_FEATURES_SEL, 1);
	return f | (u64)rd(n, VMMIO_REG_DEVICE_FEATURES) << 32;
}

static void write_features(const struct vnet *n, u64 f)
{
	wr(n, VMMIO_REG_DRIVER_FEATURES_SEL, 0);
	wr(n, VMMIO_REG_DRIVER_FEATURES, (u32)f);
	wr(n, VMMIO_REG_DRIVER_FEATURES_SEL, 1);
	wr(n, VMMIO_REG_DRIVER_FEATURES, (u32)(f >> 32));
}

static const char *setup_queue(struct vnet *n, u32 qi, const struct vblk_ring *ring)
{
	struct vnet_queue *q = &n->q[qi];
	struct vblk_ring def;

	wr(n, VMMIO_REG_QUEUE_SEL, qi);
	n->queue_max = rd(n, VMMIO_REG_QUEUE_NUM_MAX);
	if (!n->queue_max)
		return "a queue does not exist";
	def = (struct vblk_ring){ n->queue_max < VNET_QSIZE ? n->queue_max : VNET_QSIZE,
				  (u64)q->desc, (u64)&q->avail, (u64)&q->used };
	if (!ring)
		ring = &def;
	memset(q->desc, 0, sizeof(q->desc));
	memset((void *)&q->avail, 0, sizeof(q->avail));
	memset((void *)&q->used, 0, sizeof(q->used));
	dsb_ish();
	wr(n, VMMIO_REG_QUEUE_NUM, ring->size);
	wr(n, VMMIO_REG_QUEUE_DESC_LOW, (u32)ring->desc);
	wr(n, VMMIO_REG_QUEUE_DESC_HIGH, (u32)(ring->desc >> 32));
	wr(n, VMMIO_REG_QUEUE_DRIVER_LOW, (u32)ring->avail);
	wr(n, VMMIO_REG_QUEUE_DRIVER_HIGH, (u32)(ring->avail >> 32));
	wr(n, VMMIO_REG_QUEUE_DEVICE_LOW, (u32)ring->used);
	wr(n, VMMIO_REG_QUEUE_DEVICE_HIGH, (u32)(ring->used >> 32));
	wr(n, VMMIO_REG_QUEUE_READY, 1);
	if (rd(n, VMMIO_REG_QUEUE_READY) != 1)
		return "QueueReady reads 0";
	q->size = (u16)ring->size;
	return NULL;
}

const char *vnet_init(struct vnet *n, u64 features, u32 which, const struct vblk_ring *ring)
{
	u32 status = VS_ACKNOWLEDGE | VS_DRIVER;
	const char *why = NULL;

	vnet_reset(n);
	if (rd(n, VMMIO_REG_STATUS) != 0)
		return "Status is not 0 after a reset";
	wr(n, VMMIO_REG_STATUS, VS_ACKNOWLEDGE);
	wr(n, VMMIO_REG_STATUS, status);
	n->offered = read_features(n);
	write_features(n, features & n->offered);
	status |= VS_FEATURES_OK;
	wr(n, VMMIO_REG_STATUS, status);
	if (!(rd(n, VMMIO_REG_STATUS) & VS_FEATURES_OK))
		return "FEATURES_OK not kept";
	for (u32 q = 0; q < 2 && !why; q++)
		why = setup_queue(n, q, q == which ? ring : NULL);
	/* DRIVER_OK even after a refusal: the device then says NEEDS_RESET */
	wr(n, VMMIO_REG_STATUS, status | VS_DRIVER_OK);
	if (!why && (rd(n, VMMIO_REG_STATUS) & VS_NEEDS_RESET))
		why = "the device needs a reset right after DRIVER_OK";
	return why;
}

void vnet_submit(struct vnet *n, u32 qi, u16 head, u16 step)
{
	struct vnet_queue *q = &n->q[qi];
	u16 size = q->size ? q->size : 1;

	n->int_seen = 0;
	q->avail.ring[q->avail_idx % size] = head;
	dsb_ish();   /* the entry and its descriptors before the index */
	q->avail_idx += step;
	q->avail.idx = q->avail_idx;
	dsb_ish();
	wr(n, VMMIO_REG_QUEUE_NOTIFY, qi);
}

enum vblk_answer vnet_wait(struct vnet *n, u32 qi, u64 ms, u32 *id, u32 *len, bool *config_int)
{
	struct vnet_queue *q = &n->q[qi];

	WAIT_UNTIL(q->used.idx != q->used_idx || (n->int_seen & VINT_CONFIG), ms);
	*config_int = n->int_seen & VINT_CONFIG;
	if (q->used.idx != q->used_idx) {
		u32 at = q->used_idx % (q->size ? q->size : 1);

		dmb_ish();   /* the element was written before the index */
		*id = q->used.ring[at].id;
		*len = q->used.ring[at].len;
		q->used_idx++;
		return VA_USED;
	}
	if (rd(n, VMMIO_REG_STATUS) & VS_NEEDS_RESET)
		return VA_NEEDS_RESET;
	return VA_TIMEOUT;
}

void vnet_post_rx(struct vnet *n, u8 *bufs, u32 size, u32 count)
{
	struct vnet_queue *q = &n->q[VNET_RXQ];

	for (u16 i = 0; i < count; i++) {
		q->desc[i] = (struct vdesc){ (u64)(bufs + (u64)i * size), size, VD_WRITE, 0 };
		q->avail.ring[q->avail_idx++ % q->size] = i;
	}
	dsb_ish();
	q->avail.idx = q->avail_idx;
	dsb_ish();
	wr(n, VMMIO_REG_QUEUE_NOTIFY, VNET_RXQ);
}

void vnet_hdr_put(u8 raw[VNET_HDR_LEN], const struct vnet_hdr *h)
{
	u16 f[5] = { h->hdr_len, h->gso_size, h->csum_start, h->csum_offset, h->num_buffers };

	raw[0] = h->flags;
	raw[1] = h->gso_type;
	for (u32 i = 0; i < 5; i++) {
		raw[2 + 2 * i] = (u8)f[i];
		raw[3 + 2 * i] = (u8)(f[i] >> 8);
	}
}

static u8 tx_hdr[VNET_HDR_LEN] __attribute__((aligned(64)));

enum vblk_answer vnet_send(struct vnet *n, const struct vnet_hdr *h, const void *frame, u32 len, u64 ms)
{
	struct vnet_queue *q = &n->q[VNET_TXQ];
	u32 id, ulen;
	bool cfg;

	vnet_hdr_put(tx_hdr, h);
	q->desc[0] = (struct vdesc){ (u64)tx_hdr, VNET_HDR_LEN, len ? VD_NEXT : 0, 1 };
	q->desc[1] = (struct vdesc){ (u64)frame, len, 0, 0 };
	vnet_submit(n, VNET_TXQ, 0, 1);
	return vnet_wait(n, VNET_TXQ, ms, &id, &ulen, &cfg);
}
