/*
 * The split virtqueue (devices/virtio/virtqueue.c) over a VM whose RAM is a
 * host buffer: the test plays the driver, writing descriptors and rings
 * into it, and checks what the device side takes and gives back. Every
 * malformed chain must stop the queue; ASan watches that nothing outside
 * the buffer is touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/virtio/virtqueue.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * KiB)
#define QSIZE 8
#define MAX_QSIZE 256
/* where the test driver keeps things, as offsets into RAM */
#define DESC  0x0000
#define AVAIL 0x1000
#define USED  0x2000
#define TABLE 0x3000          /* an indirect table */
#define BUFS  0x8000          /* data buffers */

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
static u8 *ram;
static struct virtq q;
static struct virtq_seg seg[VIRTQ_MAX_SEGS];
static struct virtq_chain chain;

static u64 ipa(u64 off)
{
	return RAM_BASE + off;
}

static void put16(u64 off, u16 v)
{
	memcpy(ram + off, &v, 2);
}

static void put32(u64 off, u32 v)
{
	memcpy(ram + off, &v, 4);
}

static void put64(u64 off, u64 v)
{
	memcpy(ram + off, &v, 8);
}

static u16 get16(u64 off)
{
	u16 v;

	memcpy(&v, ram + off, 2);
	return v;
}

static u32 get32(u64 off)
{
	u32 v;

	memcpy(&v, ram + off, 4);
	return v;
}

/* Descriptor `i` of the table at `table` (an offset into RAM). */
static void desc_at(u64 table, u32 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u64 at = table + 16 * (u64)i;

	put64(at, addr);
	put32(at + 8, len);
	put16(at + 12, flags);
	put16(at + 14, next);
}

static void desc(u32 i, u64 addr, u32 len, u16 flags, u16 next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* The driver makes chain `head` available. */
static void offer(u16 head)
{
	u16 idx = get16(AVAIL + 2);

	put16(AVAIL + 4 + 2 * (idx % QSIZE), head);
	put16(AVAIL + 2, (u16)(idx + 1));
}

static u16 used_idx(void)
{
	return get16(USED + 2);
}

static u16 avail_event(void)
{
	return get16(USED + 4 + 8 * QSIZE);
}

static void set_used_event(u16 v)
{
	put16(AVAIL + 4 + 2 * QSIZE, v);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	memset(&q, 0, sizeof(q));
	q.vm = &vm;
	virtq_reset(&q);
	q.size = QSIZE;
	q.desc = ipa_init(ipa(DESC));
	q.avail = ipa_init(ipa(AVAIL));
	q.used = ipa_init(ipa(USED));
	q.indirect = true;
	assert_true(virtq_enable(&q, MAX_QSIZE));
	memset(&chain, 0, sizeof(chain));
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static enum virtq_pop_result pop(void)
{
	return virtq_pop(&q, seg, VIRTQ_MAX_SEGS, &chain);
}

static void assert_seg(u32 i, u64 addr, u32 len, bool writes)
{
	assert_int_equal(ipa_addr(seg[i].addr), addr);
	assert_int_equal(seg[i].len, len);
	assert_int_equal(seg[i].device_writes, writes);
}

/* The queue stopped on a malformed chain: nothing more comes out of it and
 * nothing was handed back to the driver. */
static void assert_malformed(void)
{
	assert_int_equal(pop(), VIRTQ_MALFORMED);
	assert_true(q.broken);
	assert_false(q.ready);
	assert_int_equal(pop(), VIRTQ_EMPTY);
	assert_int_equal(used_idx(), 0);
	assert_false(virtq_push(&q, &chain, 0));
}

/* --- good chains ----------------------------------------------------------- */

static void test_simple_chain(void **state)
{
	desc(3, ipa(BUFS), 16, F_NEXT, 5);
	desc(5, ipa(BUFS + 0x100), 512, F_NEXT | F_WRITE, 1);
	desc(1, ipa(BUFS + 0x400), 1, F_WRITE, 0);
	assert_int_equal(pop(), VIRTQ_EMPTY);
	offer(3);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(chain.head, 3);
	assert_int_equal(chain.nsegs, 3);
	assert_int_equal(chain.nread, 1);
	assert_int_equal(chain.write_bytes, 513);
	assert_seg(0, ipa(BUFS), 16, false);
	assert_seg(1, ipa(BUFS + 0x100), 512, true);
	assert_seg(2, ipa(BUFS + 0x400), 1, true);
	assert_int_equal(pop(), VIRTQ_EMPTY);

	assert_true(virtq_push(&q, &chain, 100));
	assert_int_equal(used_idx(), 1);
	assert_int_equal(get32(USED + 4), 3);
	assert_int_equal(get32(USED + 8), 100);
	assert_true(virtq_notify_needed(&q));
	assert_false(virtq_notify_needed(&q));   /* nothing new since */
}

static void test_written_clamped(void **state)
{
	desc(0, ipa(BUFS), 8, F_NEXT, 1);
	desc(1, ipa(BUFS + 8), 8, F_WRITE, 0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_true(virtq_push(&q, &chain, 1000));
	assert_int_equal(get32(USED + 8), 8);
}

/* Indices run past the ring size and wrap at 2^16. */
static void test_wraps(void **state)
{
	desc(2, ipa(BUFS), 4, F_WRITE, 0);
	for (u32 n = 0; n < 3 * QSIZE + 1; n++) {
		offer(2);
		assert_int_equal(pop(), VIRTQ_CHAIN);
		assert_int_equal(chain.head, 2);
		assert_true(virtq_push(&q, &chain, 4));
	}
	assert_int_equal(used_idx(), 3 * QSIZE + 1);

	/* the same from just below 2^16 */
	virtq_disable(&q);
	memset(ram + AVAIL, 0, 0x2000);
	assert_true(virtq_enable(&q, MAX_QSIZE));
	q.next_avail = q.used_idx = q.signalled_used = 0xfffe;
	put16(AVAIL + 2, 0xfffe);
	put16(USED + 2, 0xfffe);
	for (u32 n = 0; n < 4; n++) {
		offer(2);
		assert_int_equal(pop(), VIRTQ_CHAIN);
		assert_true(virtq_push(&q, &chain, 4));
	}
	assert_int_equal(used_idx(), 2);
}

static void test_indirect(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 16, F_NEXT, 2);
	desc_at(TABLE, 2, ipa(BUFS + 0x10), 4096, F_NEXT | F_WRITE, 1);
	desc_at(TABLE, 1, ipa(BUFS + 0x2000), 1, F_WRITE, 0);
	/* the WRITE flag of the descriptor naming the table is ignored */
	desc(4, ipa(TABLE), 3 * 16, F_INDIRECT | F_WRITE, 0);
	offer(4);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(chain.head, 4);
	assert_int_equal(chain.nsegs, 3);
	assert_int_equal(chain.nread, 1);
	assert_seg(0, ipa(BUFS), 16, false);
	assert_seg(1, ipa(BUFS + 0x10), 4096, true);
	assert_seg(2, ipa(BUFS + 0x2000), 1, true);
}

/* Buffer descriptors followed by one indirect descriptor (2.7.5.3.2). */
static void test_direct_then_indirect(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS + 0x100), 32, F_WRITE, 0);
	desc(0, ipa(BUFS), 16, F_NEXT, 7);
	desc(7, ipa(TABLE), 16, F_INDIRECT, 0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(chain.nsegs, 2);
	assert_int_equal(chain.nread, 1);
	assert_seg(0, ipa(BUFS), 16, false);
	assert_seg(1, ipa(BUFS + 0x100), 32, true);
}

/* --- notification suppression -------------------------------------------- */

static void test_no_interrupt_flag(void **state)
{
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	put16(AVAIL, 1);                  /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_true(virtq_push(&q, &chain, 4));
	assert_false(virtq_notify_needed(&q));
	put16(AVAIL, 0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_true(virtq_push(&q, &chain, 4));
	assert_true(virtq_notify_needed(&q));
	/* without EVENT_IDX the device leaves avail_event alone */
	assert_int_equal(avail_event(), 0);
}

static void push_one(void)
{
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_true(virtq_push(&q, &chain, 4));
}

/* used_event: the driver wants a notification once used idx passes it. */
static void test_event_idx_used_side(void **state)
{
	q.event_idx = true;
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	put16(AVAIL, 1);                  /* ignored with EVENT_IDX */
	set_used_event(0);
	push_one();                       /* used idx 0 -> 1 steps over 0 */
	assert_true(virtq_notify_needed(&q));
	push_one();                       /* 1 -> 2: not asked for */
	assert_false(virtq_notify_needed(&q));
	set_used_event(2);
	push_one();                       /* 2 -> 3 */
	assert_true(virtq_notify_needed(&q));
	set_used_event(3);
	push_one();
	push_one();                       /* a batch 3 -> 5 steps over 3 */
	assert_true(virtq_notify_needed(&q));
	set_used_event(9);
	push_one();
	push_one();                       /* 5 -> 7: 9 not reached */
	assert_false(virtq_notify_needed(&q));
}

/* avail_event: the device asks to be notified for the next entry. */
static void test_event_idx_avail_side(void **state)
{
	q.event_idx = true;
	put16(USED + 4 + 8 * QSIZE, 0x1234);
	assert_int_equal(pop(), VIRTQ_EMPTY);
	assert_int_equal(avail_event(), 0);   /* published even when empty */
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	offer(0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(avail_event(), 1);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(avail_event(), 2);
	assert_int_equal(pop(), VIRTQ_EMPTY);
}

/* `more` says whether the driver had made another chain available, looked
 * at after avail_event is published, so a caller may stop on !more. */
static void test_more_says_another_waits(void **state)
{
	q.event_idx = true;
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	offer(0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_true(chain.more);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_false(chain.more);
	assert_int_equal(avail_event(), 2);   /* asked for a notification first */
	assert_int_equal(pop(), VIRTQ_EMPTY);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_false(chain.more);
	assert_int_equal(avail_event(), 3);
}

/* --- the queue's set-up ----------------------------------------------------- */

static bool enable_with(u16 size, u64 d, u64 a, u64 u)
{
	virtq_reset(&q);
	q.size = size;
	q.desc = ipa_init(d);
	q.avail = ipa_init(a);
	q.used = ipa_init(u);
	return virtq_enable(&q, MAX_QSIZE);
}

static void test_layout_checks(void **state)
{
	assert_true(enable_with(MAX_QSIZE, ipa(DESC), ipa(0x5000), ipa(0x6000)));
	assert_false(enable_with(0, ipa(DESC), ipa(AVAIL), ipa(USED)));
	assert_false(enable_with(6, ipa(DESC), ipa(AVAIL), ipa(USED)));          /* not 2^n */
	assert_false(enable_with(2 * MAX_QSIZE, ipa(DESC), ipa(AVAIL), ipa(USED))); /* > max */
	assert_false(enable_with(QSIZE, ipa(DESC + 8), ipa(AVAIL), ipa(USED)));  /* alignment */
	assert_false(enable_with(QSIZE, ipa(DESC), ipa(AVAIL + 1), ipa(USED)));
	assert_false(enable_with(QSIZE, ipa(DESC), ipa(AVAIL), ipa(USED + 2)));
	assert_true(enable_with(QSIZE, ipa(DESC), ipa(AVAIL + 2), ipa(USED + 4)));
	/* each ring all in RAM: the used ring needs 6 + 8 * 8 bytes */
	assert_true(enable_with(QSIZE, ipa(DESC), ipa(AVAIL), ipa(RAM_SIZE - 72)));
	assert_false(enable_with(QSIZE, ipa(DESC), ipa(AVAIL), ipa(RAM_SIZE - 68)));
	assert_false(enable_with(QSIZE, ipa(RAM_SIZE - 112), ipa(AVAIL), ipa(USED)));
	assert_false(enable_with(QSIZE, RAM_BASE - 0x1000, ipa(AVAIL), ipa(USED)));
	assert_false(enable_with(QSIZE, ipa(DESC), ~0ull - 1, ipa(USED)));
	assert_false(q.ready);
	assert_int_equal(pop(), VIRTQ_EMPTY);
}

/* A chain popped before a reset or a new set-up never completes after it. */
static void test_stale_push_dropped(void **state)
{
	struct virtq_chain old;

	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
	old = chain;
	virtq_disable(&q);
	assert_false(virtq_push(&q, &old, 4));
	assert_true(virtq_enable(&q, MAX_QSIZE));
	assert_false(virtq_push(&q, &old, 4));
	assert_int_equal(used_idx(), 0);
	virtq_reset(&q);
	assert_false(virtq_push(&q, &old, 4));
}

/* --- malformed chains --------------------------------------------------------- */

static void test_avail_idx_runs_ahead(void **state)
{
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	put16(AVAIL + 2, QSIZE + 1);
	assert_malformed();
}

static void test_avail_idx_full_ring_is_fine(void **state)
{
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	for (u32 i = 0; i < QSIZE; i++)
		offer(0);
	for (u32 i = 0; i < QSIZE; i++)
		assert_int_equal(pop(), VIRTQ_CHAIN);
	assert_int_equal(pop(), VIRTQ_EMPTY);
}

static void test_head_out_of_range(void **state)
{
	offer(QSIZE);
	assert_malformed();
}

static void test_next_out_of_range(void **state)
{
	desc(0, ipa(BUFS), 4, F_NEXT, QSIZE);
	offer(0);
	assert_malformed();
}

static void test_loop(void **state)
{
	desc(0, ipa(BUFS), 4, F_NEXT, 1);
	desc(1, ipa(BUFS), 4, F_NEXT, 0);
	offer(0);
	assert_malformed();
}

static void test_self_loop(void **state)
{
	desc(2, ipa(BUFS), 0, F_NEXT, 2);
	offer(2);
	assert_malformed();
}

static void test_read_after_write(void **state)
{
	desc(0, ipa(BUFS), 4, F_NEXT | F_WRITE, 1);
	desc(1, ipa(BUFS), 4, 0, 0);
	offer(0);
	assert_malformed();
}

static void test_buffer_outside_ram(void **state)
{
	desc(0, ipa(RAM_SIZE - 4), 8, F_WRITE, 0);   /* straddles the end */
	offer(0);
	assert_malformed();
}

static void test_buffer_below_ram(void **state)
{
	desc(0, 0x09000000, 4, 0, 0);                /* a device window */
	offer(0);
	assert_malformed();
}

static void test_too_many_segments(void **state)
{
	for (u16 i = 0; i < QSIZE; i++)
		desc(i, ipa(BUFS), 1, i + 1 < QSIZE ? F_NEXT : 0, (u16)(i + 1));
	offer(0);
	assert_int_equal(virtq_pop(&q, seg, QSIZE - 1, &chain), VIRTQ_MALFORMED);
	assert_true(q.broken);
}

static void test_indirect_not_negotiated(void **state)
{
	q.indirect = false;
	desc_at(TABLE, 0, ipa(BUFS), 4, 0, 0);
	desc(0, ipa(TABLE), 16, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void indirect_table_len(u32 len)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, 0, 0);
	desc(0, ipa(TABLE), len, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_len_not_multiple(void **state)
{
	indirect_table_len(24);
}

static void test_indirect_len_zero(void **state)
{
	indirect_table_len(0);
}

static void test_indirect_too_large(void **state)
{
	indirect_table_len((VIRTQ_MAX_SEGS + 1) * 16);
}

static void test_indirect_in_indirect(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, F_NEXT, 1);
	desc_at(TABLE, 1, ipa(TABLE + 0x100), 16, F_INDIRECT, 0);
	desc(0, ipa(TABLE), 32, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_next_out_of_table(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, F_NEXT, 2);   /* a 2-entry table */
	desc(0, ipa(TABLE), 32, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_loop(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, F_NEXT, 1);
	desc_at(TABLE, 1, ipa(BUFS), 4, F_NEXT, 0);
	desc(0, ipa(TABLE), 32, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_with_next(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, 0, 0);
	desc(0, ipa(TABLE), 16, F_INDIRECT | F_NEXT, 1);
	desc(1, ipa(BUFS), 4, F_WRITE, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_table_outside_ram(void **state)
{
	desc(0, ipa(RAM_SIZE - 16), 32, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

static void test_indirect_read_after_write(void **state)
{
	desc_at(TABLE, 0, ipa(BUFS), 4, F_NEXT | F_WRITE, 1);
	desc_at(TABLE, 1, ipa(BUFS), 4, 0, 0);
	desc(0, ipa(TABLE), 32, F_INDIRECT, 0);
	offer(0);
	assert_malformed();
}

/* A chain describing more than 2^32 bytes (2.7.5). */
static void test_chain_too_long_in_bytes(void **state)
{
	u64 big = 0x100000000ull;

	vm.ram.size = 2 * big;                 /* pretend: only the descriptors are read */
	desc(0, ipa(0), 0xffffffff, F_NEXT, 1);
	desc(1, ipa(0), 2, F_WRITE, 0);
	offer(0);
	assert_malformed();
	vm.ram.size = RAM_SIZE;
}

/* A reset clears the broken state; the driver can set the queue up again. */
static void test_reset_after_malformed(void **state)
{
	offer(QSIZE);
	assert_int_equal(pop(), VIRTQ_MALFORMED);
	assert_false(virtq_enable(&q, MAX_QSIZE));  /* not before a reset */
	memset(ram + AVAIL, 0, 0x2000);
	assert_true(enable_with(QSIZE, ipa(DESC), ipa(AVAIL), ipa(USED)));
	desc(0, ipa(BUFS), 4, F_WRITE, 0);
	offer(0);
	assert_int_equal(pop(), VIRTQ_CHAIN);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_simple_chain),
		T(test_written_clamped),
		T(test_wraps),
		T(test_indirect),
		T(test_direct_then_indirect),
		T(test_no_interrupt_flag),
		T(test_event_idx_used_side),
		T(test_event_idx_avail_side),
		T(test_more_says_another_waits),
		T(test_layout_checks),
		T(test_stale_push_dropped),
		T(test_avail_idx_runs_ahead),
		T(test_avail_idx_full_ring_is_fine),
		T(test_head_out_of_range),
		T(test_next_out_of_range),
		T(test_loop),
		T(test_self_loop),
		T(test_read_after_write),
		T(test_buffer_outside_ram),
		T(test_buffer_below_ram),
		T(test_too_many_segments),
		T(test_indirect_not_negotiated),
		T(test_indirect_len_not_multiple),
		T(test_indirect_len_zero),
		T(test_indirect_too_large),
		T(test_indirect_in_indirect),
		T(test_indirect_next_out_of_table),
		T(test_indirect_loop),
		T(test_indirect_with_next),
		T(test_indirect_table_outside_ram),
		T(test_indirect_read_after_write),
		T(test_chain_too_long_in_bytes),
		T(test_reset_after_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
