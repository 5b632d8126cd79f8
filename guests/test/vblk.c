/*
 * The test guest's virtio-blk driver (see vblk.h). One queue, polled for
 * its used ring and woken by the device's interrupt, whose handler takes
 * InterruptStatus and acknowledges it, so that a configuration change
 * (DEVICE_NEEDS_RESET) is seen even when no buffer is ever used.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vblk.h"
#include "virtio_mmio_regs.h"

#define MAGIC 0x74726976          /* "virt" */
#define VIRTIO_ID_BLOCK 2
#define CFG_CAPACITY 0            /* le64, in config space */

struct vdesc vblk_desc[VBLK_QSIZE] __attribute__((aligned(4096)));
volatile struct vblk_avail vblk_avail __attribute__((aligned(4096)));
volatile struct vblk_used vblk_used __attribute__((aligned(4096)));
volatile u32 vblk_int_seen;

static struct vblk_hdr req_hdr __attribute__((aligned(64)));
static volatile u8 req_status __attribute__((aligned(64)));
static u64 irq_base;              /* the transport the handler acknowledges */

u32 vblk_read_reg(const struct vblk *b, u32 reg)
{
	return mmio_read32(b->base + reg);
}

void vblk_write_reg(const struct vblk *b, u32 reg, u32 value)
{
	mmio_write32(b->base + reg, value);
}

static void on_irq(u32 cpu, u32 intid)
{
	u32 bits = mmio_read32(irq_base + VMMIO_REG_INTERRUPT_STATUS);

	mmio_write32(irq_base + VMMIO_REG_INTERRUPT_ACK, bits);
	vblk_int_seen |= bits;
}

static u32 cell(const void *data, u32 index)
{
	return (u32)fdt_read_cells((const u8 *)data + 4 * index, 1);
}

/* reg and an SPI from `node`; false when either is missing. */
static bool node_resources(int node, u64 *base, u32 *intid)
{
	const struct fdt *fdt = &plat.fdt;
	const void *irq;
	u32 len;
	u64 size;

	if (!fdt_get_reg(fdt, node, 0, base, &size) || size < 0x200)
		return false;
	if (!fdt_get_prop(fdt, node, "interrupts", &irq, &len) || len != 12 || cell(irq, 0) != 0)
		return false;
	*intid = 32 + cell(irq, 1);
	return *intid < NR_INTIDS;
}

const char *vmmio_find(u32 device_id, u32 nth, u64 *base, u32 *intid)
{
	const struct fdt *fdt = &plat.fdt;

	for (int n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
	     n = fdt_find_compatible(fdt, n, "virtio,mmio")) {
		if (!node_resources(n, base, intid))
			continue;
		if (mmu_map(*base, PAGE_SIZE, MAP_DEVICE))
			return "cannot map a virtio-mmio window";
		if (mmio_read32(*base + VMMIO_REG_MAGIC) == MAGIC && mmio_read32(*base + VMMIO_REG_VERSION) == 2 &&
		    mmio_read32(*base + VMMIO_REG_DEVICE_ID) == device_id && nth-- == 0)
			return NULL;
	}
	return "no such virtio,mmio node with a Version 2 device (reg, SPI)";
}

static const char *find_device(struct vblk *b)
{
	return vmmio_find(VIRTIO_ID_BLOCK, 0, &b->base, &b->intid);
}

const char *vblk_probe(struct vblk *b)
{
	const char *why;

	if (!plat.fdt_ok)
		return "no device tree";
	why = find_device(b);
	if (!why && gic_probe())
		why = "cannot find or map the GIC";
	if (!why)
		why = gic_dist_init();
	if (!why)
		why = gic_cpu_init();
	if (why)
		return why;
	irq_base = b->base;
	irq_set_handler(b->intid, on_irq);
	gic_enable_spi(b->intid, false);   /* virtio-mmio's line is a level */
	irq_enable();
	return NULL;
}

void vblk_reset(struct vblk *b)
{
	vblk_write_reg(b, VMMIO_REG_STATUS, 0);
	b->qsize = 0;
	b->avail_idx = b->used_idx = 0;
	vblk_int_seen = 0;
}

static u64 read_features(const struct vblk *b)
{
	u64 f;

	vblk_write_reg(b, VMMIO_REG_DEVICE_FEATURES_SEL, 0);
	f = vblk_read_reg(b, VMMIO_REG_DEVICE_FEATURES);
	vblk_write_reg(b, VMMIO_REG_DEVICE_FEATURES_SEL, 1);
	return f | (u64)vblk_read_reg(b, VMMIO_REG_DEVICE_FEATURES) << 32;
}

static void write_features(const struct vblk *b, u64 f)
{
	vblk_write_reg(b, VMMIO_REG_DRIVER_FEATURES_SEL, 0);
	vblk_write_reg(b, VMMIO_REG_DRIVER_FEATURES, (u32)f);
	vblk_write_reg(b, VMMIO_REG_DRIVER_FEATURES_SEL, 1);
	vblk_write_reg(b, VMMIO_REG_DRIVER_FEATURES, (u32)(f >> 32));
}

static void zero_rings(void)
{
	for (u32 i = 0; i < VBLK_QSIZE; i++) {
		vblk_desc[i] = (struct vdesc){ 0 };
		vblk_avail.ring[i] = 0;
		vblk_used.ring[i].id = vblk_used.ring[i].len = 0;
	}
	vblk_avail.flags = vblk_avail.idx = vblk_avail.used_event = 0;
	vblk_used.flags = vblk_used.idx = vblk_used.avail_event = 0;
}

static u64 read_capacity(const struct vblk *b)
{
	u32 lo, hi, gen;

	/* a 64-bit field read in halves: retried until the generation holds (4.2.2.1) */
	for (int tries = 0; tries < 8; tries++) {
		gen = vblk_read_reg(b, VMMIO_REG_CONFIG_GENERATION);
		lo = vblk_read_reg(b, VMMIO_REG_CONFIG + CFG_CAPACITY);
		hi = vblk_read_reg(b, VMMIO_REG_CONFIG + CFG_CAPACITY + 4);
		if (gen == vblk_read_reg(b, VMMIO_REG_CONFIG_GENERATION))
			break;
	}
	return lo | (u64)hi << 32;
}

static const char *setup_queue(struct vblk *b, const struct vblk_ring *ring)
{
	struct vblk_ring def = {
		.size = b->queue_max < VBLK_QSIZE ? b->queue_max : VBLK_QSIZE,
		.desc = (u64)vblk_desc, .avail = (u64)&vblk_avail, .used = (u64)&vblk_used,
	};

	if (!ring)
		ring = &def;
	zero_rings();
	dsb_ish();
	vblk_write_reg(b, VMMIO_REG_QUEUE_NUM, ring->size);
	vblk_write_reg(b, VMMIO_REG_QUEUE_DESC_LOW, (u32)ring->desc);
	vblk_write_reg(b, VMMIO_REG_QUEUE_DESC_HIGH, (u32)(ring->desc >> 32));
	vblk_write_reg(b, VMMIO_REG_QUEUE_DRIVER_LOW, (u32)ring->avail);
	vblk_write_reg(b, VMMIO_REG_QUEUE_DRIVER_HIGH, (u32)(ring->avail >> 32));
	vblk_write_reg(b, VMMIO_REG_QUEUE_DEVICE_LOW, (u32)ring->used);
	vblk_write_reg(b, VMMIO_REG_QUEUE_DEVICE_HIGH, (u32)(ring->used >> 32));
	vblk_write_reg(b, VMMIO_REG_QUEUE_READY, 1);
	if (vblk_read_reg(b, VMMIO_REG_QUEUE_READY) != 1)
		return "QueueReady reads 0";
	b->qsize = (u16)ring->size;
	return NULL;
}

const char *vblk_init(struct vblk *b, u64 features, const struct vblk_ring *ring)
{
	const char *why;
	u32 status = VS_ACKNOWLEDGE | VS_DRIVER;

	vblk_reset(b);
	if (vblk_read_reg(b, VMMIO_REG_STATUS) != 0)
		return "Status is not 0 after a reset";
	vblk_write_reg(b, VMMIO_REG_STATUS, VS_ACKNOWLEDGE);
	vblk_write_reg(b, VMMIO_REG_STATUS, status);
	b->offered = read_features(b);
	write_features(b, features & b->offered);
	status |= VS_FEATURES_OK;
	vblk_write_reg(b, VMMIO_REG_STATUS, status);
	if (!(vblk_read_reg(b, VMMIO_REG_STATUS) & VS_FEATURES_OK))
		return "FEATURES_OK not kept";
	vblk_write_reg(b, VMMIO_REG_QUEUE_SEL, 0);
	b->queue_max = vblk_read_reg(b, VMMIO_REG_QUEUE_NUM_MAX);
	if (!b->queue_max)
		return "queue 0 does not exist";
	b->capacity = read_capacity(b);
	why = setup_queue(b, ring);
	status |= VS_DRIVER_OK;
	/* DRIVER_OK even after a refusal: the device then says NEEDS_RESET */
	vblk_write_reg(b, VMMIO_REG_STATUS, status);
	if (!why && (vblk_read_reg(b, VMMIO_REG_STATUS) & VS_NEEDS_RESET))
		why = "the device needs a reset right after DRIVER_OK";
	return why;
}

void vblk_submit(struct vblk *b, u16 head, u16 step)
{
	u16 size = b->qsize ? b->qsize : 1;

	vblk_int_seen = 0;
	vblk_avail.ring[b->avail_idx % size] = head;
	/* the entry and its descriptors before the index that hands them over */
	dsb_ish();
	b->avail_idx += step;
	vblk_avail.idx = b->avail_idx;
	dsb_ish();
	vblk_write_reg(b, VMMIO_REG_QUEUE_NOTIFY, 0);
}

enum vblk_answer vblk_wait(struct vblk *b, u64 ms, u32 *id, u32 *len, bool *config_int)
{
	WAIT_UNTIL(vblk_used.idx != b->used_idx || (vblk_int_seen & VINT_CONFIG), ms);
	*config_int = vblk_int_seen & VINT_CONFIG;
	if (vblk_used.idx != b->used_idx) {
		u32 at = b->used_idx % (b->qsize ? b->qsize : 1);

		dmb_ish();   /* the element was written before the index */
		*id = vblk_used.ring[at].id;
		*len = vblk_used.ring[at].len;
		b->used_idx++;
		return VA_USED;
	}
	if (vblk_read_reg(b, VMMIO_REG_STATUS) & VS_NEEDS_RESET)
		return VA_NEEDS_RESET;
	return VA_TIMEOUT;
}

int vblk_request(struct vblk *b, u32 type, u64 sector, void *buf, u32 bytes, u64 ms)
{
	u16 data_flags = type == VBLK_T_OUT ? 0 : VD_WRITE;
	u32 id, len;
	bool cfg;
	u16 s = bytes ? 2 : 1;

	req_hdr = (struct vblk_hdr){ .type = type, .sector = sector };
	req_status = 0xaa;
	vblk_desc[0] = (struct vdesc){ (u64)&req_hdr, sizeof(req_hdr), VD_NEXT, 1 };
	if (bytes)
		vblk_desc[1] = (struct vdesc){ (u64)buf, bytes, data_flags | VD_NEXT, 2 };
	else
		vblk_desc[0].next = s;
	vblk_desc[s] = (struct vdesc){ (u64)&req_status, 1, VD_WRITE, 0 };
	vblk_submit(b, 0, 1);
	if (vblk_wait(b, ms, &id, &len, &cfg) != VA_USED || id != 0)
		return -1;
	return req_status;
}
