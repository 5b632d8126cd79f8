/*
 * The device side of a split virtqueue. Layout in guest memory (2.7):
 *
 *   descriptor table  16 bytes each: le64 addr, le32 len, le16 flags, le16 next
 *   available ring    le16 flags, le16 idx, le16 ring[size], le16 used_event
 *   used ring         le16 flags, le16 idx, {le32 id, le32 len} ring[size], le16 avail_event
 *
 * Indices are free-running 16-bit counters; an entry is at idx mod size.
 * The guest owns the descriptor table and the available ring and may change
 * them at any time, so every value is checked where it is used, and a copy
 * is taken before it is checked (a descriptor is read once, then trusted as
 * read).
 */
#include "core/guest_mem.h"
#include "core/vm.h"
#include "devices/virtio/virtqueue.h"
#include "virtio_ring.h"

/* Virtio 1.x rings are little-endian: so is every CPU Bulkhead runs on. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtqueue fields are read as little-endian");

#define DESC_SIZE 16
#define AVAIL_RING 4          /* offset of avail->ring[0] (and of used->ring[0]) */
#define USED_ELEM_SIZE 8
/* The most bytes one chain may describe (2.7.5: no more than 2^32). */
#define CHAIN_MAX_BYTES ((u64)1 << 32)

_Static_assert(sizeof(struct virtq_desc) == DESC_SIZE, "descriptor layout");
_Static_assert(offsetof(struct virtq_avail, ring) == AVAIL_RING &&
	       offsetof(struct virtq_used, ring) == AVAIL_RING, "ring offsets");
_Static_assert(sizeof(struct virtq_used_elem) == USED_ELEM_SIZE, "used element layout");

/* The segments gathered so far for one chain. */
struct walk {
	struct virtq_seg *seg;
	u32 max;
	u32 nsegs;
	u32 nread;
	bool seen_write;
	u64 read_bytes;
	u64 write_bytes;
};

static ipaddr_t avail_field(const struct virtq *q, u32 entry)
{
	return ipa_add(q->avail, AVAIL_RING + 2 * (u64)entry);
}

/* used_event sits after the available ring, avail_event after the used ring. */
static ipaddr_t used_event_at(const struct virtq *q)
{
	return avail_field(q, q->size);
}

static ipaddr_t avail_event_at(const struct virtq *q)
{
	return ipa_add(q->used, AVAIL_RING + USED_ELEM_SIZE * (u64)q->size);
}

void virtq_reset(struct virtq *q)
{
	struct vm *vm = q->vm;
	u32 gen = q->gen + 1;   /* never reused: a chain from before cannot complete */

	*q = (struct virtq){ .vm = vm, .gen = gen };
}

bool virtq_layout_ok(const struct virtq *q, u16 max_size)
{
	u64 n = q->size;

	if (!n || (n & (n - 1)) || n > max_size || n > VIRTQ_MAX_SIZE)
		return false;
	if (!is_aligned(ipa_addr(q->desc), 16) || !is_aligned(ipa_addr(q->avail), 2) ||
	    !is_aligned(ipa_addr(q->used), 4))
		return false;
	return vm_ram_contains(q->vm, q->desc, VIRTQ_DESC_BYTES(n)) &&
	       vm_ram_contains(q->vm, q->avail, VIRTQ_AVAIL_BYTES(n)) &&
	       vm_ram_contains(q->vm, q->used, VIRTQ_USED_BYTES(n));
}

bool virtq_enable(struct virtq *q, u16 max_size)
{
	if (q->broken || !virtq_layout_ok(q, max_size))
		return false;
	/* the driver zeroed both rings: both sides start at index 0 */
	q->next_avail = q->used_idx = q->signalled_used = 0;
	q->gen++;
	q->ready = true;
	return true;
}

void virtq_disable(struct virtq *q)
{
	q->ready = false;
	q->gen++;
}

static enum virtq_pop_result stop(struct virtq *q)
{
	q->broken = true;
	q->ready = false;
	return VIRTQ_MALFORMED;
}

/* One buffer descriptor joins the chain; false when it breaks a rule. */
static bool add_seg(struct virtq *q, struct walk *w, const struct virtq_desc *d)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;

	if (!writes && w->seen_write)
		return false;           /* readable after writable (2.7.4.2) */
	if (w->nsegs == w->max)
		return false;           /* more than the device takes */
	if (!vm_ram_contains(q->vm, ipa_init(d->addr), d->len))
		return false;
	if (writes)
		w->write_bytes += d->len;
	else
		w->read_bytes += d->len;
	if (w->read_bytes + w->write_bytes > CHAIN_MAX_BYTES)
		return false;
	w->seg[w->nsegs++] = (struct virtq_seg){ ipa_init(d->addr), d->len, writes };
	if (writes)
		w->seen_write = true;
	else
		w->nread++;
	return true;
}

/*
 * The table an indirect descriptor names (2.7.5.3): 16-byte entries, at
 * least one, at most VIRTQ_MAX_SEGS, all in RAM; its chain starts at entry 0,
 * stays inside it, holds no indirect descriptor and visits each entry at
 * most once.
 */
static bool walk_indirect(struct virtq *q, struct walk *w, const struct virtq_desc *table)
{
	u32 n = table->len / DESC_SIZE;
	u32 i = 0;

	if (!table->len || table->len % DESC_SIZE || n > VIRTQ_MAX_SEGS ||
	    !vm_ram_contains(q->vm, ipa_init(table->addr), table->len))
		return false;
	for (u32 steps = 1;; steps++) {
		struct virtq_desc d;

		if (steps > n)
			return false;   /* a loop */
		if (!guest_mem_read(q->vm, ipa_init(table->addr + (u64)i * DESC_SIZE), &d, sizeof(d)))
			return false;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return false;
		if (!add_seg(q, w, &d))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= n)
			return false;
		i = d.next;
	}
}

/* The chain from descriptor `head`: zero or more buffer descriptors,
 * optionally ended by one indirect descriptor (2.7.5.3.2). */
static bool walk_chain(struct virtq *q, struct walk *w, u16 head)
{
	u32 i = head;

	if (head >= q->size)
		return false;
	for (u32 steps = 1;; steps++) {
		struct virtq_desc d;

		if (steps > q->size)
			return false;   /* longer than the queue: a loop */
		if (!guest_mem_read(q->vm, ipa_add(q->desc, (u64)i * DESC_SIZE), &d, sizeof(d)))
			return false;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* the WRITE flag of this descriptor means nothing (2.7.5.3.2) */
			if (!q->indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return false;
			return walk_indirect(q, w, &d);
		}
		if (!add_seg(q, w, &d))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= q->size)
			return false;
		i = d.next;
	}
}

/* With EVENT_IDX: "notify me when you make entry next_avail available". */
static bool publish_avail_event(struct virtq *q)
{
	return !q->event_idx || guest_mem_store16(q->vm, avail_event_at(q), q->next_avail);
}

/* Entries the driver has made available and the device has not taken. */
static bool pending(struct virtq *q, u16 *count)
{
	u16 idx;

	if (!guest_mem_load16(q->vm, ipa_add(q->avail, 2), &idx))
		return false;
	*count = (u16)(idx - q->next_avail);
	return true;
}

u32 virtq_avail_count(struct virtq *q)
{
	u16 count;

	if (!q->ready || !pending(q, &count) || count > q->size)
		return 0;               /* a fault or a runaway index: the next pop finds it */
	return count;
}

enum virtq_pop_result virtq_pop(struct virtq *q, struct virtq_seg *seg, u32 max,
				struct virtq_chain *chain)
{
	struct walk w = { .seg = seg, .max = max < VIRTQ_MAX_SEGS ? max : VIRTQ_MAX_SEGS };
	u16 count, head;

	if (!q->ready)
		return VIRTQ_EMPTY;
	if (!pending(q, &count))
		return stop(q);
	if (!count) {
		/* Ask for a notification, then look again: an entry the driver
		 * added before it could see avail_event would otherwise wait for
		 * a notification that never comes. */
		if (!publish_avail_event(q))
			return stop(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!pending(q, &count))
			return stop(q);
		if (!count)
			return VIRTQ_EMPTY;
	}
	if (count > q->size)
		return stop(q);         /* the driver moved idx past entries it has not filled */
	/* the ring entry and its descriptors were written before idx */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!guest_mem_load16(q->vm, avail_field(q, q->next_avail & (q->size - 1)), &head))
		return stop(q);
	if (!walk_chain(q, &w, head))
		return stop(q);
	q->next_avail++;
	if (!publish_avail_event(q))
		return stop(q);
	*chain = (struct virtq_chain){
		.head = head, .nsegs = w.nsegs, .nread = w.nread,
		.write_bytes = w.write_bytes, .gen = q->gen, .more = count > 1,
	};
	/* The last one seen: look again after avail_event (as an empty pop
	 * would), so that a caller stopping on !more misses no entry the driver
	 * added without a notification. A failed look says more: the next pop
	 * finds the fault. */
	if (!chain->more) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		chain->more = !pending(q, &count) || count;
	}
	return VIRTQ_CHAIN;
}

/* Writes used ring entry `slot` for `chain`; false when the ring is not RAM. */
static bool write_used(struct virtq *q, u16 slot, const struct virtq_chain *chain, u64 written)
{
	struct virtq_used_elem e;
	u64 at;

	if (written > chain->write_bytes)
		written = chain->write_bytes;
	if (written > (u32)~0u)
		written = (u32)~0u;
	e = (struct virtq_used_elem){ chain->head, (u32)written };
	at = AVAIL_RING + USED_ELEM_SIZE * (u64)(slot & (q->size - 1));
	return guest_mem_write(q->vm, ipa_add(q->used, at), &e, sizeof(e));
}

bool virtq_push_many(struct virtq *q, const struct virtq_chain *chain, const u64 *written, u32 n)
{
	if (!q->ready || !n || n > q->size)
		return false;
	for (u32 i = 0; i < n; i++) {
		if (chain[i].gen != q->gen)
			return false;
	}
	for (u32 i = 0; i < n; i++) {
		if (!write_used(q, (u16)(q->used_idx + i), &chain[i], written[i])) {
			stop(q);
			return false;
		}
	}
	/* the elements before the index that hands them over, all at once */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!guest_mem_store16(q->vm, ipa_add(q->used, 2), (u16)(q->used_idx + n))) {
		stop(q);
		return false;
	}
	q->used_idx = (u16)(q->used_idx + n);
	return true;
}

bool virtq_push(struct virtq *q, const struct virtq_chain *chain, u64 written)
{
	return virtq_push_many(q, chain, &written, 1);
}

bool virtq_notify_needed(struct virtq *q)
{
	u16 old = q->signalled_used, now = q->used_idx, v;

	if (!q->ready)
		return false;
	q->signalled_used = now;
	if (old == now)
		return false;
	/* the used index is out before the driver's wishes are read: a driver
	 * re-enabling notifications after its last look then gets one */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		if (!guest_mem_load16(q->vm, used_event_at(q), &v))
			return true;    /* a notification too many is harmless */
		/* did used idx step over used_event + 1 in (old, now]? */
		return (u16)(now - v - 1) < (u16)(now - old);
	}
	if (!guest_mem_load16(q->vm, q->avail, &v))
		return true;
	return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
