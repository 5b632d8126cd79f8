/*
 * The virtio-mmio register front end (virtio 1.2, 4.2.2). Registers below
 * 0x100 are 32 bits wide and take only aligned 32-bit accesses (4.2.2.2);
 * the device type's config space follows at 0x100 with its own widths.
 * Offsets in the register range that name no register read as zero and
 * ignore writes, as do reads of write-only registers: only the access
 * width and alignment are refused.
 */
#include "virtio_mmio_regs.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "devices/virtio/mmio.h"

#define MAGIC 0x74726976        /* "virt" */
#define VERSION 2               /* the modern (non-legacy) register layout */
#define VENDOR_ID 0x484b4c42    /* "BLKH" */

/* Feature bits a device type may offer: 0-23 and 50 up (6: "Feature Bits");
 * the rest belong to the transport and rings, which offer only what they do. */
#define DEVICE_TYPE_FEATURES (0x00ffffffull | (~0ull << 50))
#define TRANSPORT_FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_INDIRECT_DESC) | \
			    (1ull << VIRTIO_F_RING_EVENT_IDX))

/* --- with the lock held ---------------------------------------------------- */

/* The line is high while any InterruptStatus bit is (4.2.2). */
static void update_line(struct virtio_mmio *t)
{
	bool high = t->int_status != 0;

	if (high != t->line_high) {
		t->line_high = high;
		irq_line_set(&t->vdev->irq, high);
	}
}

static void raise_int(struct virtio_mmio *t, u32 bits)
{
	t->int_status |= bits;
	update_line(t);
}

/* The driver broke the rules in a way only a reset repairs (2.1.2): say so,
 * and tell a running driver with a configuration change interrupt. */
static void needs_reset(struct virtio_mmio *t)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_int(t, VIRTIO_MMIO_INT_CONFIG);
}

/* Everything but the device type's own state back to power-on. */
static void reset_transport(struct virtio_mmio *t)
{
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = 0;
	t->queue_sel = 0;
	t->status = 0;
	t->int_status = 0;
	update_line(t);
	for (u32 i = 0; i < t->ops->num_queues; i++) {
		virtq_reset(&t->queue[i]);
		t->queue[i].size = t->ops->queue_max;
	}
}

static struct virtq *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->queue[t->queue_sel] : NULL;
}

static u32 half(u64 v, u32 sel)
{
	return sel == 0 ? (u32)v : sel == 1 ? (u32)(v >> 32) : 0;
}

static void set_half(u64 *v, bool high, u32 value)
{
	*v = high ? (*v & 0xffffffffull) | (u64)value << 32 : (*v & ~0xffffffffull) | value;
}

static u32 read_register(struct virtio_mmio *t, u64 reg)
{
	struct virtq *q = selected(t);

	switch (reg) {
	case VMMIO_REG_MAGIC: return MAGIC;
	case VMMIO_REG_VERSION: return VERSION;
	case VMMIO_REG_DEVICE_ID: return t->ops->device_id;
	case VMMIO_REG_VENDOR_ID: return VENDOR_ID;
	case VMMIO_REG_DEVICE_FEATURES: return half(t->device_features, t->device_features_sel);
	case VMMIO_REG_QUEUE_NUM_MAX: return q ? t->ops->queue_max : 0;   /* 0: no such queue */
	case VMMIO_REG_QUEUE_READY: return q && q->ready;
	case VMMIO_REG_INTERRUPT_STATUS: return t->int_status;
	case VMMIO_REG_STATUS: return t->status;
	case VMMIO_REG_CONFIG_GENERATION: return t->config_generation;
	default: break;
	}
	/* no shared memory regions: every one reads as length (and base) -1 */
	if (reg >= VMMIO_REG_SHM_LEN_LOW && reg <= VMMIO_REG_SHM_BASE_HIGH)
		return 0xffffffffu;
	return 0;
}

/* FEATURES_OK only for a subset of what the device offers that includes
 * VERSION_1: this transport has no legacy interface (4.2.3.1). */
static bool features_acceptable(const struct virtio_mmio *t)
{
	return !(t->driver_features & ~t->device_features) &&
	       (t->driver_features & (1ull << VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio *t, u32 value)
{
	u32 v = value & 0xff & ~(u32)VIRTIO_STATUS_DEVICE_NEEDS_RESET;  /* that bit is the device's */

	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(t))
		v &= ~(u32)VIRTIO_STATUS_FEATURES_OK;   /* the driver reads it back and gives up */
	/* a device that needed a reset before the driver ran tells it now (2.1.2) */
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_DRIVER_OK) &&
	    (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		raise_int(t, VIRTIO_MMIO_INT_CONFIG);
	t->status = v | (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* QueueReady = 1: the queue runs with what the driver set up, if it is
 * sound; features are fixed by then (3.1.1 sets FEATURES_OK first). */
static void enable_queue(struct virtio_mmio *t, struct virtq *q)
{
	if (q->ready)
		return;
	q->indirect = t->driver_features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	q->event_idx = t->driver_features & (1ull << VIRTIO_F_RING_EVENT_IDX);
	if (!(t->status & VIRTIO_STATUS_FEATURES_OK) || !virtq_enable(q, t->ops->queue_max))
		needs_reset(t);
}

/* Queue registers are the driver's only while the queue is not ready (4.2.2.2). */
static void write_queue_register(struct virtq *q, u64 reg, u32 value)
{
	if (!q || q->ready)
		return;
	switch (reg) {
	case VMMIO_REG_QUEUE_NUM: q->size = value > 0xffff ? 0xffff : (u16)value; break;  /* 0xffff: refused at ready */
	case VMMIO_REG_QUEUE_DESC_LOW: set_half(&q->desc.ipa, false, value); break;
	case VMMIO_REG_QUEUE_DESC_HIGH: set_half(&q->desc.ipa, true, value); break;
	case VMMIO_REG_QUEUE_DRIVER_LOW: set_half(&q->avail.ipa, false, value); break;
	case VMMIO_REG_QUEUE_DRIVER_HIGH: set_half(&q->avail.ipa, true, value); break;
	case VMMIO_REG_QUEUE_DEVICE_LOW: set_half(&q->used.ipa, false, value); break;
	case VMMIO_REG_QUEUE_DEVICE_HIGH: set_half(&q->used.ipa, true, value); break;
	default: break;
	}
}

/* What a register write leaves for after the lock is dropped. */
struct after_write {
	bool reset;            /* the device type's reset() */
	bool notify;           /* its notify() for queue `queue` */
	u32 queue;
};

static void write_register(struct virtio_mmio *t, u64 reg, u32 value, struct after_write *after)
{
	struct virtq *q = selected(t);

	switch (reg) {
	case VMMIO_REG_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
	case VMMIO_REG_DRIVER_FEATURES:
		/* fixed once FEATURES_OK is set (3.1.1) */
		if (!(t->status & VIRTIO_STATUS_FEATURES_OK) && t->driver_features_sel <= 1)
			set_half(&t->driver_features, t->driver_features_sel == 1, value);
		break;
	case VMMIO_REG_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
	case VMMIO_REG_QUEUE_SEL: t->queue_sel = value; break;
	case VMMIO_REG_QUEUE_READY:
		if (q && value)
			enable_queue(t, q);
		else if (q)
			virtq_disable(q);
		break;
	case VMMIO_REG_QUEUE_NOTIFY:
		/* the value is the queue's index (no VIRTIO_F_NOTIFICATION_DATA);
		 * unknown, unready queues and a driver not running are ignored */
		if (value < t->ops->num_queues && t->queue[value].ready &&
		    (t->status & VIRTIO_STATUS_DRIVER_OK)) {
			after->notify = true;
			after->queue = value;
		}
		break;
	case VMMIO_REG_INTERRUPT_ACK:
		t->int_status &= ~value;
		update_line(t);
		break;
	case VMMIO_REG_STATUS:
		if (value == 0) {
			reset_transport(t);
			after->reset = true;
		} else {
			write_status(t, value);
		}
		break;
	default:
		write_queue_register(q, reg, value);
		break;
	}
}

/* --- the guest's accesses ---------------------------------------------------- */

/* A config space access the device type gets to see: 1, 2, 4 or 8 bytes,
 * aligned to its size, inside the type's config space. */
static bool config_access_ok(const struct virtio_mmio *t, u64 off, u32 size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return is_aligned(off, size) && off < t->ops->config_size && size <= t->ops->config_size - off;
}

static bool virtio_mmio_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct virtio_mmio *t = d->priv;
	bool ok = true;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		u64 off = offset - VIRTIO_MMIO_CONFIG;

		if (!config_access_ok(t, off, size))
			return false;
		spin_lock(&t->lock);
		if (t->ops->config_read)
			ok = t->ops->config_read(t->dev, (u32)off, size, value);
		else
			*value = 0;
		spin_unlock(&t->lock);
		return ok;
	}
	if (size != 4 || !is_aligned(offset, 4))
		return false;
	spin_lock(&t->lock);
	*value = read_register(t, offset);
	spin_unlock(&t->lock);
	return true;
}

static bool virtio_mmio_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct virtio_mmio *t = d->priv;
	struct after_write after = { 0 };
	bool ok = true;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		u64 off = offset - VIRTIO_MMIO_CONFIG;

		if (!config_access_ok(t, off, size))
			return false;
		spin_lock(&t->lock);
		if (t->ops->config_write)
			ok = t->ops->config_write(t->dev, (u32)off, size, value);
		spin_unlock(&t->lock);
		return ok;
	}
	if (size != 4 || !is_aligned(offset, 4))
		return false;
	spin_lock(&t->lock);
	write_register(t, offset, (u32)value, &after);
	spin_unlock(&t->lock);
	/* outside the lock: the device type may pop from its work right away */
	if (after.reset && t->ops->reset)
		t->ops->reset(t->dev);
	if (after.notify)
		t->ops->notify(t->dev, after.queue);
	return true;
}

/* The VM restarts: as a reset by the driver, with the line dropped. */
static void virtio_mmio_vdev_reset(struct vdev *d)
{
	struct virtio_mmio *t = d->priv;

	spin_lock(&t->lock);
	reset_transport(t);
	spin_unlock(&t->lock);
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

static void virtio_mmio_vdev_unplug(struct vdev *d)
{
	struct virtio_mmio *t = d->priv;

	if (t->ops->unplug)
		t->ops->unplug(t->dev);
}

static void virtio_mmio_vdev_destroy(struct vdev *d)
{
	struct virtio_mmio *t = d->priv;

	if (t->ops->destroy)
		t->ops->destroy(t->dev);
}

/* The node QEMU's virt writes for its transports, which Linux's
 * virtio_mmio driver and U-Boot probe. */
static void virtio_mmio_dt_node(struct vdev *d, struct vdt *dt)
{
	vdt_begin_node_at(dt, "virtio_mmio", d->base);
	fdtw_prop_string(dt->w, "compatible", "virtio,mmio");
	vdt_reg(dt, d->base, d->size);
	if (irq_line_connected(&d->irq))
		vdt_interrupts(dt, &d->irq);
	/* the device copies through the CPU's cacheable view of guest RAM */
	fdtw_prop_empty(dt->w, "dma-coherent");
	fdtw_end_node(dt->w);
}

static const struct vdev_ops virtio_mmio_vdev_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
	.reset = virtio_mmio_vdev_reset,
	.unplug = virtio_mmio_vdev_unplug,
	.destroy = virtio_mmio_vdev_destroy,
	.dt_node = virtio_mmio_dt_node,
};

static bool ops_ok(const struct vdev *d, const struct virtio_device_ops *ops)
{
	u32 n = ops->queue_max;

	return ops->device_id && ops->notify && ops->num_queues && ops->num_queues <= VIRTIO_MMIO_MAX_QUEUES &&
	       n && !(n & (n - 1)) && n <= VIRTQ_MAX_SIZE &&
	       d->size >= VIRTIO_MMIO_CONFIG && ops->config_size <= d->size - VIRTIO_MMIO_CONFIG;
}

struct virtio_mmio *virtio_mmio_create(struct vdev *d, const struct virtio_device_ops *ops, void *dev)
{
	struct virtio_mmio *t;

	if (!ops_ok(d, ops))
		return NULL;
	t = vm_dev_alloc(d->vm, sizeof(*t) + ops->num_queues * sizeof(struct virtq));
	if (!t)
		return NULL;
	t->vdev = d;
	t->ops = ops;
	t->dev = dev;
	t->device_features = (ops->features & DEVICE_TYPE_FEATURES) | TRANSPORT_FEATURES;
	for (u32 i = 0; i < ops->num_queues; i++)
		t->queue[i].vm = d->vm;
	reset_transport(t);
	d->ops = &virtio_mmio_vdev_ops;
	d->priv = t;
	return t;
}

void virtio_mmio_withhold_features(struct virtio_mmio *t, u64 features)
{
	t->device_features &= ~(features & DEVICE_TYPE_FEATURES);
}

/* --- the back end's side -------------------------------------------------- */

u32 virtio_mmio_avail(struct virtio_mmio *t, u32 queue)
{
	u32 n = 0;

	if (queue >= t->ops->num_queues)
		return 0;
	spin_lock(&t->lock);
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		n = virtq_avail_count(&t->queue[queue]);
	spin_unlock(&t->lock);
	return n;
}

enum virtq_pop_result virtio_mmio_pop(struct virtio_mmio *t, u32 queue, struct virtq_seg *seg,
				      u32 max, struct virtq_chain *chain)
{
	enum virtq_pop_result r = VIRTQ_EMPTY;

	if (queue >= t->ops->num_queues)
		return VIRTQ_EMPTY;
	spin_lock(&t->lock);
	/* no buffer is used before the driver says it is ready (3.1.1) */
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		r = virtq_pop(&t->queue[queue], seg, max, chain);
	if (r == VIRTQ_MALFORMED)
		needs_reset(t);
	spin_unlock(&t->lock);
	return r;
}

void virtio_mmio_push(struct virtio_mmio *t, u32 queue, const struct virtq_chain *chain, u64 written)
{
	struct virtq *q;

	if (queue >= t->ops->num_queues)
		return;
	q = &t->queue[queue];
	spin_lock(&t->lock);
	if (virtq_push(q, chain, written)) {
		if (virtq_notify_needed(q))
			raise_int(t, VIRTIO_MMIO_INT_VRING);
	} else if (q->broken) {
		needs_reset(t);   /* its used ring stopped being RAM */
	}
	spin_unlock(&t->lock);
}

bool virtio_mmio_push_many(struct virtio_mmio *t, u32 queue, const struct virtq_chain *chain,
			   const u64 *written, u32 n)
{
	struct virtq *q;
	bool ok;

	if (queue >= t->ops->num_queues)
		return false;
	q = &t->queue[queue];
	spin_lock(&t->lock);
	ok = virtq_push_many(q, chain, written, n);
	if (ok && virtq_notify_needed(q))
		raise_int(t, VIRTIO_MMIO_INT_VRING);
	else if (!ok && q->broken)
		needs_reset(t);
	spin_unlock(&t->lock);
	return ok;
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	spin_lock(&t->lock);
	t->config_generation++;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_int(t, VIRTIO_MMIO_INT_CONFIG);
	spin_unlock(&t->lock);
}

u64 virtio_mmio_features(struct virtio_mmio *t)
{
	u64 f;

	spin_lock(&t->lock);
	f = (t->status & VIRTIO_STATUS_FEATURES_OK) ? t->driver_features : 0;
	spin_unlock(&t->lock);
	return f;
}

u32 virtio_mmio_status(struct virtio_mmio *t)
{
	u32 s;

	spin_lock(&t->lock);
	s = t->status;
	spin_unlock(&t->lock);
	return s;
}
