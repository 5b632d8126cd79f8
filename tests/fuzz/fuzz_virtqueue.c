/*
 * libFuzzer target for the split virtqueue's chain walker
 * (devices/virtio/virtqueue.c): the guest's RAM and the queue's set-up come
 * from the input.
 *
 *   byte 0      queue size: 2^(b % 10), or with bit 7 set byte 1 as is
 *   byte 1      bit 0: indirect descriptors negotiated; bit 1: EVENT_IDX
 *   byte 2      segments the back end takes at once (0..255, capped by the queue)
 *   bytes 3-8   descriptor table, available and used ring offsets in RAM
 *               (little-endian u16 each, not forced to be aligned)
 *   bytes 9-    RAM contents (the rest is zero)
 *
 * Then the device pops and completes chains until the queue is empty or
 * stops. Checks: nothing crashes and ASan sees no access outside the RAM
 * buffer; every segment lies inside RAM, device-readable ones first; the
 * count is within what the back end takes; a malformed chain stops the
 * queue for good; the used index moves only by what was pushed.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/vm.h"
#include "devices/virtio/virtqueue.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (16 * 1024)
#define HEADER 9
#define MAX_POPS 64

static u16 le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static bool in_ram(const struct virtq_seg *s)
{
	u64 a = ipa_addr(s->addr);

	return a >= RAM_BASE && a - RAM_BASE <= RAM_SIZE && s->len <= RAM_SIZE - (a - RAM_BASE);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
	struct virtq q;
	struct virtq_seg seg[VIRTQ_MAX_SEGS + 1];
	struct virtq_chain chain;
	u8 *ram;
	u32 max;
	u16 pushed = 0;

	if (size < HEADER)
		return 0;
	ram = calloc(1, RAM_SIZE);
	CHECK(ram);
	memcpy(ram, data + HEADER, size - HEADER < RAM_SIZE ? size - HEADER : RAM_SIZE);
	memset(&vm, 0, sizeof(vm));
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));

	memset(&q, 0, sizeof(q));
	q.vm = &vm;
	virtq_reset(&q);
	q.size = (data[0] & 0x80) ? data[1] : (u16)(1u << (data[0] % 10));
	q.indirect = data[1] & 1;
	q.event_idx = data[1] & 2;
	q.desc = ipa_init(RAM_BASE + le16(data + 3));
	q.avail = ipa_init(RAM_BASE + le16(data + 5));
	q.used = ipa_init(RAM_BASE + le16(data + 7));
	max = data[2];
	if (!virtq_enable(&q, 256)) {
		CHECK(!q.ready);
		CHECK(virtq_pop(&q, seg, max, &chain) == VIRTQ_EMPTY);
		free(ram);
		return 0;
	}
	CHECK(q.size && !(q.size & (q.size - 1)) && q.size <= 256);

	for (u32 n = 0; n < MAX_POPS; n++) {
		enum virtq_pop_result r;

		/* a poison segment past the back end's array must stay untouched */
		seg[VIRTQ_MAX_SEGS].len = 0xdead;
		r = virtq_pop(&q, seg, max, &chain);
		CHECK(seg[VIRTQ_MAX_SEGS].len == 0xdead);
		if (r == VIRTQ_EMPTY)
			break;
		if (r == VIRTQ_MALFORMED) {
			CHECK(q.broken && !q.ready);
			CHECK(virtq_pop(&q, seg, max, &chain) == VIRTQ_EMPTY);
			CHECK(!virtq_push(&q, &chain, 0));
			break;
		}
		CHECK(chain.head < q.size);
		CHECK(chain.nsegs >= 1 && chain.nsegs <= max && chain.nsegs <= VIRTQ_MAX_SEGS);
		CHECK(chain.nread <= chain.nsegs);
		{
			u64 wbytes = 0;

			for (u32 i = 0; i < chain.nsegs; i++) {
				CHECK(in_ram(&seg[i]));
				CHECK(seg[i].device_writes == (i >= chain.nread));
				if (seg[i].device_writes)
					wbytes += seg[i].len;
			}
			CHECK(wbytes == chain.write_bytes);
		}
		if (virtq_push(&q, &chain, n * 37u))
			pushed++;
		(void)virtq_notify_needed(&q);
	}
	/* the device's used index starts at 0 and nothing else it writes
	 * (elements, avail_event) lies on it */
	if (pushed)
		CHECK(le16(ram + (ipa_addr(q.used) - RAM_BASE) + 2) == pushed);
	free(ram);
	return 0;
}
