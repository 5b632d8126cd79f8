/*
 * virtio-balloon (virtio 1.2 section 5.5) on the virtio-mmio transport: the
 * guest gives pages back (inflate) and takes them again (deflate) as the
 * administrator's target asks, sends its memory statistics, and reports
 * free pages on its own (FREE_PAGE_REPORTING). DEFLATE_ON_OOM is the VM's
 * choice; PAGE_POISON is never offered (Bulkhead scrubs every page it takes
 * back) and neither is MUST_TELL_HOST (a page the guest uses before telling
 * is filled on touch anyway).
 *
 * Every PFN is the guest's word only: core/vm_ram.c checks it (inside its
 * RAM, backed, page-aligned) and counts what it refuses; a lying guest
 * loses pages it still uses, which come back zeroed on touch or abort when
 * the pool is out. The queues are worked on CPU 0 (the notify only queues
 * the work), in batches of VM_RAM_RECLAIM_MAX pages, a bounded number of
 * chains per run.
 */
#include "arch.h"
#include "core/log.h"
#include "core/guest_mem.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "core/vm_ram.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "lib/string.h"

#define VIRTIO_ID_BALLOON 5
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_REPORTING 5

/* Queues in the order the driver numbers them: the optional ones are packed
 * (no free-page-hint queue is offered, so reporting is 3). */
enum { Q_INFLATE, Q_DEFLATE, Q_STATS, Q_REPORTING, VBAL_QUEUES };

#define VBAL_PFN_SHIFT 12     /* PFNs are of 4 KiB pages, whatever the guest's */
#define VBAL_QUEUE_MAX 128
#define VBAL_CFG_SIZE 16      /* num_pages, actual, free_page_hint_cmd_id, poison_val */
#define VBAL_CHAINS_PER_RUN 16
#define VBAL_STAT_SIZE 10     /* le16 tag, le64 value */

struct vballoon {
	struct work work;        /* first: the work item leads to the device */
	struct vm *vm;
	struct virtio_mmio *t;
	struct spinlock lock;    /* the fields below the line */
	u32 num_pages;           /* the target: pages the balloon should hold */
	u32 actual;              /* what the driver says it holds */
	bool stats_held;         /* the driver's stats buffer, kept to ask for more */
	struct virtq_chain stats_chain;
	struct vm_balloon_status st;
	u64 set_at;              /* counter when the target was last set */
	u64 set_from;            /* bytes the VM held then */
	/* the work's own (CPU 0 only) */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
	u64 ipa[VM_RAM_RECLAIM_MAX];
	u8 pfn_le[VM_RAM_RECLAIM_MAX * 4];
};

static u64 page_bytes(u64 pages)
{
	return pages << VBAL_PFN_SHIFT;
}

/* --- the queues (CPU 0's work) ------------------------------------------- */

static u64 get_le(const u8 *p, u32 n)
{
	u64 v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}


static void count_reclaim(struct vballoon *b, const struct vm_ram_reclaim *r, bool reported)
{
	spin_lock(&b->lock);
	if (reported)
		b->st.reported += r->taken;
	else
		b->st.inflated += r->taken;
	b->st.refused += r->outside + r->not_backed + r->no_memory;
	spin_unlock(&b->lock);
}

static u64 ticks_to_ns(u64 ticks)
{
	u64 hz = arch_counter_freq();

	return hz ? ticks / hz * 1000000000ull + ticks % hz * 1000000000ull / hz : 0;
}

static u64 distance(u64 a, u64 b)
{
	return a > b ? a - b : b - a;
}

/* Under the lock: the VM holds the target now, for the first time since it
 * was set? Then that is how long the move took: from then on the pages
 * given back are in the pool (scrubbed) for any VM. */
static void note_target_reached(struct vballoon *b, u64 now)
{
	u64 cur = vm_ram_current(b->vm);

	if (!b->st.set_seen || b->st.set_reached || cur != b->vm->ram.size - page_bytes(b->num_pages))
		return;
	b->st.set_reached = true;
	b->st.set_ns = ticks_to_ns(now - b->set_at);
	b->st.set_moved = distance(cur, b->set_from);
}

/* An inflate or deflate chain: its readable bytes are le32 PFNs. */
static void pfn_chain(struct vballoon *b, const struct virtq_chain *c, bool inflate)
{
	struct vm_ram_reclaim r = { 0 };
	u64 deflated = 0, refused = 0;

	for (u32 i = 0; i < c->nread; i++) {
		const struct virtq_seg *s = &b->seg[i];

		for (u64 at = 0; at + 4 <= s->len;) {
			u64 n = (s->len - at) / 4;

			n = n < VM_RAM_RECLAIM_MAX ? n : VM_RAM_RECLAIM_MAX;
			if (!guest_mem_read(b->vm, ipa_add(s->addr, at), b->pfn_le, n * 4)) {
				refused += n;
				break;
			}
			for (u64 k = 0; k < n; k++)
				b->ipa[k] = page_bytes(get_le(b->pfn_le + 4 * k, 4));
			if (inflate) {
				vm_ram_reclaim(b->vm, b->ipa, (u32)n, &r);
			} else {
				for (u64 k = 0; k < n; k++) {
					enum vm_ram_fill f = vm_ram_fill(b->vm, b->ipa[k]);

					deflated += f == VM_RAM_FILLED;
					refused += f == VM_RAM_NOT_RAM;
				}
			}
			at += n * 4;
		}
	}
	count_reclaim(b, &r, false);
	spin_lock(&b->lock);
	b->st.deflated += deflated;
	b->st.refused += refused;
	note_target_reached(b, arch_counter_read());
	spin_unlock(&b->lock);
}

/* A free page report: each segment is a run of free guest pages (written
 * by the device in the protocol's terms, so its length is the run's). */
static void report_chain(struct vballoon *b, const struct virtq_chain *c)
{
	struct vm_ram_reclaim r = { 0 };

	for (u32 i = 0; i < c->nsegs; i++) {
		u64 base = ipa_addr(b->seg[i].addr), len = b->seg[i].len;

		if (!is_aligned(base | len, PAGE_SIZE)) {
			r.outside++;
			continue;
		}
		for (u64 off = 0; off < len;) {
			u32 n = 0;

			while (n < VM_RAM_RECLAIM_MAX && off < len) {
				b->ipa[n++] = base + off;
				off += PAGE_SIZE;
			}
			vm_ram_reclaim(b->vm, b->ipa, n, &r);
		}
	}
	count_reclaim(b, &r, true);
}

/* The driver's statistics: tagged values, kept by tag; the buffer is held
 * so that the device can ask for fresh ones by giving it back. */
static void stats_chain(struct vballoon *b, const struct virtq_chain *c)
{
	u8 buf[VM_BALLOON_STATS * 2 * VBAL_STAT_SIZE];
	struct virtq_chain old;
	u64 got = 0;
	bool again;

	for (u32 i = 0; i < c->nread && got < sizeof(buf); i++) {
		u64 take = b->seg[i].len < sizeof(buf) - got ? b->seg[i].len : sizeof(buf) - got;

		if (!guest_mem_read(b->vm, b->seg[i].addr, buf + got, take))
			break;
		got += take;
	}
	spin_lock(&b->lock);
	for (u64 at = 0; at + VBAL_STAT_SIZE <= got; at += VBAL_STAT_SIZE) {
		u32 tag = (u32)get_le(buf + at, 2);

		if (tag < VM_BALLOON_STATS) {
			b->st.stat[tag] = get_le(buf + at + 2, 8);
			b->st.stat_seen |= 1u << tag;
		}
	}
	b->st.stats_updates++;
	old = b->stats_chain;
	again = b->stats_held;
	b->stats_chain = *c;
	b->stats_held = true;
	spin_unlock(&b->lock);
	if (again)        /* a second buffer: the first is given back */
		virtio_mmio_push(b->t, Q_STATS, &old, 0);
}

/* Up to VBAL_CHAINS_PER_RUN chains of queue q; true when some may be left. */
static bool work_queue_of(struct vballoon *b, u32 q)
{
	for (u32 n = 0; n < VBAL_CHAINS_PER_RUN; n++) {
		struct virtq_chain c;

		if (virtio_mmio_pop(b->t, q, b->seg, VIRTQ_MAX_SEGS, &c) != VIRTQ_CHAIN)
			return false;
		if (q == Q_STATS) {
			stats_chain(b, &c);
			continue;
		}
		if (q == Q_REPORTING)
			report_chain(b, &c);
		else
			pfn_chain(b, &c, q == Q_INFLATE);
		virtio_mmio_push(b->t, q, &c, 0);
	}
	return true;
}

static void vballoon_work(struct work *w, u64 now)
{
	struct vballoon *b = (struct vballoon *)w;
	bool more = false;

	(void)now;
	for (u32 q = 0; q < VBAL_QUEUES; q++)
		more |= work_queue_of(b, q);
	if (more)
		work_queue(&b->work, 0);   /* the rest after other work has had a turn */
}

/* --- the transport's side -------------------------------------------------- */

static bool vballoon_config_read(void *dev, u32 offset, u32 size, u64 *value)
{
	struct vballoon *b = dev;
	u8 cfg[VBAL_CFG_SIZE] = { 0 };

	/* the transport holds its lock: ours nests inside it, never the reverse */
	for (u32 i = 0; i < 4; i++) {
		cfg[i] = (u8)(b->num_pages >> (8 * i));
		cfg[4 + i] = (u8)(b->actual >> (8 * i));
	}
	*value = get_le(cfg + offset, size);
	return true;
}

/* Only `actual` is the driver's to write (whole or in part). */
static bool vballoon_config_write(void *dev, u32 offset, u32 size, u64 value)
{
	struct vballoon *b = dev;

	if (offset < 4 || offset + size > 8)
		return true;   /* read-only fields: the write is ignored */
	for (u32 i = 0; i < size; i++) {
		u32 shift = 8 * (offset - 4 + i);

		b->actual = (b->actual & ~(0xffu << shift)) | ((u32)((value >> (8 * i)) & 0xff) << shift);
	}
	return true;
}

static void vballoon_notify(void *dev, u32 queue)
{
	struct vballoon *b = dev;

	(void)queue;
	work_queue(&b->work, 0);
}

static void vballoon_reset(void *dev)
{
	struct vballoon *b = dev;

	spin_lock(&b->lock);
	b->actual = 0;
	b->stats_held = false;   /* the chain is stale now */
	spin_unlock(&b->lock);
}

static void vballoon_destroy(void *dev)
{
	struct vballoon *b = dev;

	work_cancel(&b->work);
	b->vm->balloon.dev = NULL;
}

/* --- the shell's side ------------------------------------------------------ */

static int vballoon_set_target(void *dev, u64 bytes, const char **why)
{
	struct vballoon *b = dev;

	if (bytes > b->vm->ram.size || bytes < PAGE_SIZE) {
		*why = "the target must be between 4 KiB and the VM's maxmem";
		return -1;
	}
	spin_lock(&b->lock);
	b->num_pages = (u32)((b->vm->ram.size - align_up(bytes, PAGE_SIZE)) >> VBAL_PFN_SHIFT);
	b->set_at = arch_counter_read();
	b->set_from = vm_ram_current(b->vm);
	b->st.set_seen = true;
	b->st.set_reached = false;
	note_target_reached(b, b->set_at);   /* it may hold that already */
	spin_unlock(&b->lock);
	virtio_mmio_config_changed(b->t);
	return 0;
}

/* Copies out what is known; a held stats buffer goes back to the driver,
 * which answers with fresh statistics (seen by the next status). */
static void vballoon_status(void *dev, struct vm_balloon_status *out)
{
	struct vballoon *b = dev;
	struct virtq_chain c;
	bool ask;

	spin_lock(&b->lock);
	*out = b->st;
	out->target = b->vm->ram.size - page_bytes(b->num_pages);
	out->guest_held = page_bytes(b->actual);
	ask = b->stats_held;
	c = b->stats_chain;
	b->stats_held = false;
	spin_unlock(&b->lock);
	if (ask)
		virtio_mmio_push(b->t, Q_STATS, &c, 0);
}

static const struct virtio_device_ops vballoon_ops = {
	.device_id = VIRTIO_ID_BALLOON,
	.features = 1ull << VIRTIO_BALLOON_F_STATS_VQ,   /* the VM's choices are added */
	.num_queues = VBAL_QUEUES,
	.queue_max = VBAL_QUEUE_MAX,
	.config_size = VBAL_CFG_SIZE,
	.config_read = vballoon_config_read,
	.config_write = vballoon_config_write,
	.notify = vballoon_notify,
	.reset = vballoon_reset,
	.destroy = vballoon_destroy,
};

static u32 vballoon_config_count(const struct vm *vm)
{
	return vm->cfg.maxmem_mib > vm->cfg.memory_mib;
}

static int vballoon_create(struct vdev *d, const char **why)
{
	struct vm *vm = d->vm;
	struct vballoon *b = vm_dev_alloc(vm, sizeof(*b));
	struct virtio_device_ops *ops = vm_dev_alloc(vm, sizeof(*ops));

	if (!b || !ops) {
		*why = "no memory for its virtio-balloon device";
		return -1;
	}
	*ops = vballoon_ops;
	if (vm->cfg.balloon_deflate_on_oom)
		ops->features |= 1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (vm->cfg.balloon_free_page_reporting)
		ops->features |= 1ull << VIRTIO_BALLOON_F_REPORTING;
	b->vm = vm;
	work_init(&b->work, vballoon_work, 0);
	/* it starts holding all that maxmem has above memory */
	b->num_pages = (u32)((vm->cfg.maxmem_mib - vm->cfg.memory_mib) * MiB >> VBAL_PFN_SHIFT);
	b->t = virtio_mmio_create(d, ops, b);
	if (!b->t) {
		*why = "no memory for its virtio-balloon transport";
		return -1;
	}
	vm->balloon = (struct vm_balloon){ b, vballoon_set_target, vballoon_status };
	return 0;
}

/* The slot after the vifs' (8 of them from slot 8), line 16 + 16. */
static const struct vdev_kind vballoon_kind = {
	.name = "virtio-balloon",
	.base = { 0x0a000000 + 16 * VIRTIO_MMIO_SIZE },
	.size = VIRTIO_MMIO_SIZE,
	.line = 16 + 16,
	.every_vm = false,
	.config_count = vballoon_config_count,
	.create = vballoon_create,
};

static const struct vdev_kind *const vballoon_kind_entry VDEV_KIND_SECTION = &vballoon_kind;
