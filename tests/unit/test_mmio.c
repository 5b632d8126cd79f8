/*
 * A VM's MMIO bus (core/mmio.c): registering device windows, finding the one
 * an access falls in, and dispatching the access to its device, with the
 * `last` hint in front. The devices are small test devices that record what
 * reached them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/mmio.h"
#include "core/vdev.h"

/* What reached one test device. */
struct tdev {
	u32 reads, writes;
	u64 off;
	u32 size;
	u64 value;      /* the last write's value */
	bool refuse;    /* its read/write return false */
	u64 tag;        /* reads return tag + offset */
};

static struct tdev tdevs[MMIO_MAX_DEVICES + 1];
static struct vdev devs[MMIO_MAX_DEVICES + 1];
static struct mmio_bus bus;

static bool t_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct tdev *t = d->priv;

	t->reads++;
	t->off = offset;
	t->size = size;
	if (t->refuse)
		return false;
	*value = t->tag + offset;
	return true;
}

static bool t_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct tdev *t = d->priv;

	t->writes++;
	t->off = offset;
	t->size = size;
	t->value = value;
	return !t->refuse;
}

static const struct vdev_ops t_ops = { .read = t_read, .write = t_write };

/* Offsets 8 and 4 are good; 6 is unaligned; 0xffe is past a 4 KiB window. */
static const u16 t_fixed[] = { 0x8, 0x4, 0x6, 0xffe };
static const struct vdev_ops t_fixed_ops = { .read = t_read, .write = t_write,
					     .fixed_regs = t_fixed, .nfixed_regs = 4 };

static int setup(void **state)
{
	fake_arch_reset();
	memset(&bus, 0, sizeof(bus));
	memset(tdevs, 0, sizeof(tdevs));
	memset(devs, 0, sizeof(devs));
	return 0;
}

/* Test device `i` with window [base, base + size). */
static struct vdev *dev(u32 i, u64 base, u64 size)
{
	devs[i] = (struct vdev){ .ops = &t_ops, .base = ipa_init(base), .size = size,
				 .priv = &tdevs[i] };
	tdevs[i].tag = (u64)(i + 1) << 32;
	return &devs[i];
}

static u32 calls(u32 i)
{
	return tdevs[i].reads + tdevs[i].writes;
}

static u32 all_calls(void)
{
	u32 n = 0;

	for (u32 i = 0; i < ARRAY_SIZE(tdevs); i++)
		n += calls(i);
	return n;
}

/* A read that must reach device `i` at offset `off`. */
static void read_hits(u64 addr, u32 size, u32 i, u64 off)
{
	u32 before = tdevs[i].reads, total = all_calls();
	u64 v = 0;

	assert_true(mmio_access(&bus, ipa_init(addr), size, false, &v));
	assert_int_equal(tdevs[i].reads, before + 1);
	assert_int_equal(all_calls(), total + 1);   /* and nothing else */
	assert_int_equal(tdevs[i].off, off);
	assert_int_equal(tdevs[i].size, size);
	assert_int_equal(v, tdevs[i].tag + off);
}

/* An access that must reach nothing at all. */
static void misses(u64 addr, u32 size, bool write)
{
	u32 total = all_calls();
	u64 v = 0x1234;

	assert_false(mmio_access(&bus, ipa_init(addr), size, write, &v));
	assert_int_equal(all_calls(), total);
	assert_int_equal(v, 0x1234);
}

static void test_register_keeps_address_order(void **state)
{
	static const u64 bases[] = { 0x5000, 0x1000, 0x9000, 0x3000, 0x2000, 0x7000 };
	static const u64 sorted[] = { 0x1000, 0x2000, 0x3000, 0x5000, 0x7000, 0x9000 };

	for (u32 i = 0; i < ARRAY_SIZE(bases); i++) {
		assert_int_equal(mmio_register(&bus, dev(i, bases[i], 0x800)), 0);
		assert_int_equal(bus.count, i + 1);
		for (u32 j = 1; j < bus.count; j++)
			assert_true(ipa_addr(bus.dev[j - 1]->base) < ipa_addr(bus.dev[j]->base));
	}
	for (u32 i = 0; i < ARRAY_SIZE(sorted); i++)
		assert_int_equal(ipa_addr(bus.dev[i]->base), sorted[i]);
	/* the entries are the devices themselves, not copies */
	assert_ptr_equal(bus.dev[0], &devs[1]);
	assert_ptr_equal(bus.dev[5], &devs[2]);
	assert_null(bus.last);
}

static void test_register_refuses_overlap(void **state)
{
	/* [0x2000, 0x3000) */
	assert_int_equal(mmio_register(&bus, dev(0, 0x2000, 0x1000)), 0);
	assert_int_equal(mmio_register(&bus, dev(1, 0x2000, 0x1000)), -1);   /* the same */
	assert_int_equal(mmio_register(&bus, dev(1, 0x2800, 0x100)), -1);    /* inside */
	assert_int_equal(mmio_register(&bus, dev(1, 0x1000, 0x1001)), -1);   /* its first byte */
	assert_int_equal(mmio_register(&bus, dev(1, 0x2fff, 0x1000)), -1);   /* its last byte */
	assert_int_equal(mmio_register(&bus, dev(1, 0x1000, 0x3000)), -1);   /* around it */
	assert_int_equal(mmio_register(&bus, dev(1, 0x2fff, 1)), -1);
	assert_int_equal(mmio_register(&bus, dev(1, 0x2000, 1)), -1);
	assert_int_equal(bus.count, 1);
	assert_ptr_equal(bus.dev[0], &devs[0]);
	/* adjacent on both sides is fine */
	assert_int_equal(mmio_register(&bus, dev(1, 0x3000, 0x1000)), 0);
	assert_int_equal(mmio_register(&bus, dev(2, 0x1000, 0x1000)), 0);
	assert_int_equal(bus.count, 3);
	assert_ptr_equal(bus.dev[0], &devs[2]);
	assert_ptr_equal(bus.dev[1], &devs[0]);
	assert_ptr_equal(bus.dev[2], &devs[1]);
	/* and the gap between two is taken only by what fits it */
	assert_int_equal(mmio_register(&bus, dev(3, 0x5000, 0x1000)), 0);
	assert_int_equal(mmio_register(&bus, dev(4, 0x3800, 0x2000)), -1);
	assert_int_equal(mmio_register(&bus, dev(4, 0x4000, 0x1001)), -1);
	assert_int_equal(mmio_register(&bus, dev(4, 0x4000, 0x1000)), 0);
	assert_int_equal(bus.count, 5);
	assert_ptr_equal(bus.dev[3], &devs[4]);
	assert_ptr_equal(bus.dev[4], &devs[3]);
}

static void test_register_refuses_empty_and_wrapping(void **state)
{
	assert_int_equal(mmio_register(&bus, dev(0, 0x1000, 0)), -1);
	assert_int_equal(mmio_register(&bus, dev(0, 0, 0)), -1);
	assert_int_equal(mmio_register(&bus, dev(0, ~0ull - 0xfff, 0x2000)), -1);
	assert_int_equal(mmio_register(&bus, dev(0, ~0ull, 2)), -1);
	assert_int_equal(mmio_register(&bus, dev(0, 0x1000, ~0ull)), -1);
	assert_int_equal(bus.count, 0);
	/* a window whose last byte is the last address but one does not wrap */
	assert_int_equal(mmio_register(&bus, dev(0, ~0ull - 0xfff, 0xfff)), 0);
	assert_int_equal(bus.count, 1);
	read_hits(~0ull - 1, 1, 0, 0xffe);
	misses(~0ull, 1, false);
	misses(~0ull - 1, 2, false);   /* runs past its end */
	/* a window at 0 is a window like any other */
	assert_int_equal(mmio_register(&bus, dev(1, 0, 0x10)), 0);
	read_hits(0, 4, 1, 0);
}

static void test_register_refuses_more_than_max(void **state)
{
	/* registered from the top down: each goes to the front */
	for (u32 i = 0; i < MMIO_MAX_DEVICES; i++)
		assert_int_equal(mmio_register(&bus, dev(i, 0x100000 - (u64)(i + 1) * 0x1000, 0x1000)),
				 0);
	assert_int_equal(bus.count, MMIO_MAX_DEVICES);
	/* a 49th is refused, even in free space, and nothing moves */
	assert_int_equal(mmio_register(&bus, dev(MMIO_MAX_DEVICES, 0x200000, 0x1000)), -1);
	assert_int_equal(mmio_register(&bus, dev(MMIO_MAX_DEVICES, 0, 0x1000)), -1);
	assert_int_equal(bus.count, MMIO_MAX_DEVICES);
	for (u32 i = 0; i < MMIO_MAX_DEVICES; i++)
		assert_ptr_equal(bus.dev[i], &devs[MMIO_MAX_DEVICES - 1 - i]);
	misses(0x200000, 4, false);
	/* every one of them is reachable */
	for (u32 i = 0; i < MMIO_MAX_DEVICES; i++)
		read_hits(0x100000 - (u64)(i + 1) * 0x1000 + 0x10, 4, i, 0x10);
}

static void test_find(void **state)
{
	/* A [0x1000, 0x1100), B [0x1100, 0x1200) adjacent, C [0x2000, 0x2010) apart */
	struct vdev *a = dev(0, 0x1000, 0x100), *b = dev(1, 0x1100, 0x100), *c = dev(2, 0x2000, 0x10);

	assert_int_equal(mmio_register(&bus, c), 0);
	assert_int_equal(mmio_register(&bus, b), 0);
	assert_int_equal(mmio_register(&bus, a), 0);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x1000), 1), a);   /* first byte */
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x1000), 8), a);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x10ff), 1), a);   /* last byte */
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x10fc), 4), a);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x10f8), 8), a);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x1100), 1), b);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x11ff), 1), b);
	assert_ptr_equal(mmio_find(&bus, ipa_init(0x2000), 0x10), c); /* exactly the window */
	/* straddling A and B: neither holds all of it */
	assert_null(mmio_find(&bus, ipa_init(0x10fe), 4));
	assert_null(mmio_find(&bus, ipa_init(0x10ff), 2));
	assert_null(mmio_find(&bus, ipa_init(0x10fc), 8));
	/* before, between and past the end */
	assert_null(mmio_find(&bus, ipa_init(0xfff), 1));
	assert_null(mmio_find(&bus, ipa_init(0xffe), 4));
	assert_null(mmio_find(&bus, ipa_init(0x1200), 1));
	assert_null(mmio_find(&bus, ipa_init(0x11fe), 4));
	assert_null(mmio_find(&bus, ipa_init(0x1ffc), 8));
	assert_null(mmio_find(&bus, ipa_init(0x2008), 16));
	assert_null(mmio_find(&bus, ipa_init(0x2010), 1));
	assert_null(mmio_find(&bus, ipa_init(0x2000), 0x11));
	assert_null(mmio_find(&bus, ipa_init(0), 4));
	assert_null(mmio_find(&bus, ipa_init(~0ull), 1));
	assert_null(mmio_find(&bus, ipa_init(~0ull - 3), 8));  /* the access itself wraps */
	/* an empty bus holds nothing */
	memset(&bus, 0, sizeof(bus));
	assert_null(mmio_find(&bus, ipa_init(0x1000), 1));
}

static void test_access_dispatches(void **state)
{
	u64 v;

	assert_int_equal(mmio_register(&bus, dev(0, 0x9000000, 0x1000)), 0);
	assert_int_equal(mmio_register(&bus, dev(1, 0x9030000, 0x1000)), 0);
	/* a write: the right device, the offset from its base, the value and size */
	v = 0xa5a5a5a5cafef00dull;
	assert_true(mmio_access(&bus, ipa_init(0x9030ff8), 8, true, &v));
	assert_int_equal(tdevs[1].writes, 1);
	assert_int_equal(tdevs[1].off, 0xff8);
	assert_int_equal(tdevs[1].size, 8);
	assert_int_equal(tdevs[1].value, 0xa5a5a5a5cafef00dull);
	assert_int_equal(calls(0), 0);
	assert_int_equal(v, 0xa5a5a5a5cafef00dull);  /* a write leaves the value alone */
	v = 0x42;
	assert_true(mmio_access(&bus, ipa_init(0x9000000), 1, true, &v));
	assert_int_equal(tdevs[0].writes, 1);
	assert_int_equal(tdevs[0].off, 0);
	assert_int_equal(tdevs[0].size, 1);
	assert_int_equal(tdevs[0].value, 0x42);
	assert_int_equal(tdevs[1].writes, 1);
	/* reads return what the device gives */
	read_hits(0x9000018, 4, 0, 0x18);
	read_hits(0x9030400, 2, 1, 0x400);
	read_hits(0x9000ffc, 4, 0, 0xffc);
	assert_int_equal(tdevs[0].writes, 1);
	assert_int_equal(tdevs[1].writes, 1);
}

static void test_access_refused(void **state)
{
	u64 v = 7;

	assert_int_equal(mmio_register(&bus, dev(0, 0x1000, 0x1000)), 0);
	assert_int_equal(mmio_register(&bus, dev(1, 0x2000, 0x1000)), 0);
	tdevs[1].refuse = true;
	/* the device is asked and says no: so does the bus */
	assert_false(mmio_access(&bus, ipa_init(0x2010), 4, false, &v));
	assert_int_equal(tdevs[1].reads, 1);
	assert_int_equal(tdevs[1].off, 0x10);
	assert_int_equal(v, 7);
	assert_false(mmio_access(&bus, ipa_init(0x2020), 4, true, &v));
	assert_int_equal(tdevs[1].writes, 1);
	assert_int_equal(tdevs[1].value, 7);
	assert_int_equal(calls(0), 0);
	/* nothing there: nobody is asked */
	misses(0x3000, 4, false);
	misses(0x3000, 4, true);
	misses(0xffc, 4, true);
	misses(0x1ffe, 4, false);   /* straddles the two */
	misses(0x1ffe, 4, true);
	misses(0x2ffc, 8, false);   /* runs past the end */
	/* an empty bus refuses everything */
	memset(&bus, 0, sizeof(bus));
	misses(0x1000, 4, false);
	assert_null(bus.last);
}

/* The hint is only a first guess: every access still reaches its own device. */
static void test_last_hint_never_misroutes(void **state)
{
	struct vdev *a = dev(0, 0x1000, 0x100), *b = dev(1, 0x1100, 0x100), *c = dev(2, 0x8000, 0x1000);

	assert_int_equal(mmio_register(&bus, a), 0);
	assert_int_equal(mmio_register(&bus, b), 0);
	assert_int_equal(mmio_register(&bus, c), 0);
	read_hits(0x1004, 4, 0, 0x4);
	assert_ptr_equal(bus.last, a);
	read_hits(0x1104, 4, 1, 0x4);   /* B right after A: found, and remembered */
	assert_ptr_equal(bus.last, b);
	read_hits(0x1008, 4, 0, 0x8);   /* back to A */
	assert_ptr_equal(bus.last, a);
	read_hits(0x10fc, 4, 0, 0xfc);  /* A again, from the hint */
	read_hits(0x1100, 4, 1, 0x0);   /* the first byte past A is B's */
	read_hits(0x10ff, 1, 0, 0xff);
	/* misses do not disturb the hint, and the hint does not catch them */
	misses(0x10fe, 4, false);       /* starts in A (the hint), ends in B */
	assert_ptr_equal(bus.last, a);
	misses(0x1200, 4, true);
	misses(0x0ffc, 8, false);
	assert_ptr_equal(bus.last, a);
	/* a hint that names a device the access is not in goes the slow way */
	bus.last = c;
	read_hits(0x1180, 4, 1, 0x80);
	assert_ptr_equal(bus.last, b);
	/* a device registered after the hint was taken is found too */
	assert_int_equal(mmio_register(&bus, dev(3, 0x0, 0x1000)), 0);
	assert_ptr_equal(bus.last, b);
	read_hits(0xff0, 4, 3, 0xff0);
	assert_ptr_equal(bus.last, &devs[3]);
	read_hits(0x8ffc, 4, 2, 0xffc);
	assert_ptr_equal(bus.last, c);
	/* writes go through the hint the same way */
	{
		u64 v = 99;

		assert_true(mmio_access(&bus, ipa_init(0x8010), 4, true, &v));
		assert_int_equal(tdevs[2].writes, 1);
		assert_int_equal(tdevs[2].off, 0x10);
		assert_true(mmio_access(&bus, ipa_init(0x1010), 4, true, &v));
		assert_int_equal(tdevs[0].writes, 1);
		assert_int_equal(tdevs[0].off, 0x10);
		assert_int_equal(tdevs[2].writes, 1);
	}
	/* a device that refuses is still the one the hint names */
	tdevs[1].refuse = true;
	{
		u64 v = 5;

		assert_false(mmio_access(&bus, ipa_init(0x1110), 4, false, &v));
		assert_int_equal(v, 5);
		assert_ptr_equal(bus.last, b);
	}
	read_hits(0x1020, 4, 0, 0x20);
}

/* A device's constant registers go into the bus's table with what its own
 * read returned (the low 32 bits), at their guest-physical address; bad
 * offsets and refused reads stay out. */
static void test_fixed_registers_read_once_from_the_device(void **state)
{
	struct vdev *d = dev(0, 0x9000000, 0x1000);

	d->ops = &t_fixed_ops;
	tdevs[0].tag = 0x1234500000000ull;
	assert_int_equal(mmio_register(&bus, d), 0);
	assert_int_equal(bus.nfixed, 2);
	assert_int_equal(bus.fixed[0].ipa, 0x9000008);
	assert_int_equal(bus.fixed[0].value, 0x8);
	assert_int_equal(bus.fixed[1].ipa, 0x9000004);
	assert_int_equal(bus.fixed[1].value, 0x4);
	assert_int_equal(bus.fixed_frame, 0x9000000 >> MMIO_FIXED_FRAME_SHIFT);
	assert_int_equal(tdevs[0].reads, 2);

	/* a device that refuses the reads adds nothing */
	d = dev(1, 0x9001000, 0x1000);
	d->ops = &t_fixed_ops;
	tdevs[1].refuse = true;
	assert_int_equal(mmio_register(&bus, d), 0);
	assert_int_equal(bus.nfixed, 2);
}

/* The table holds one 64 KiB frame (the vector checks the frame first) and
 * at most MMIO_FIXED_MAX entries; the devices themselves are all on the bus. */
/* The polled slot: the first device to publish owns it, a second is refused;
 * the owner's value changes in place; only the owner withdraws it. */
static void test_polled_register_has_one_owner(void **state)
{
	struct vdev *a = dev(0, 0x9000000, 0x1000), *b = dev(1, 0x9001000, 0x1000);

	assert_int_equal(mmio_register(&bus, a), 0);
	assert_int_equal(mmio_register(&bus, b), 0);
	assert_ptr_equal(a->bus, &bus);
	assert_int_equal(bus.npolled, 0);
	assert_true(mmio_polled_publish(a, ipa_init(0x9000018), 0x90));
	assert_int_equal(bus.npolled, 1);
	assert_int_equal(bus.polled.ipa, 0x9000018);
	assert_int_equal(bus.polled.value, 0x90);
	assert_int_equal(bus.polled_frame, 0x9000018 >> MMIO_FIXED_FRAME_SHIFT);
	assert_false(mmio_polled_publish(b, ipa_init(0x9001018), 0x10));
	mmio_polled_withdraw(b);                      /* not its slot: nothing */
	assert_int_equal(bus.npolled, 1);
	assert_int_equal(bus.polled.ipa, 0x9000018);
	mmio_polled_withdraw(a);
	assert_int_equal(bus.npolled, 0);
	assert_true(mmio_polled_publish(a, ipa_init(0x9000018), 0x80));
	assert_int_equal(bus.npolled, 1);
	assert_int_equal(bus.polled.value, 0x80);
}

static void test_fixed_registers_one_frame_and_bounded(void **state)
{
	struct vdev *d = dev(0, 0x8000000, 0x1000);

	d->ops = &t_fixed_ops;
	assert_int_equal(mmio_register(&bus, d), 0);
	d = dev(1, 0x8010000, 0x1000);          /* the next frame: left out */
	d->ops = &t_fixed_ops;
	assert_int_equal(mmio_register(&bus, d), 0);
	assert_int_equal(bus.nfixed, 2);
	for (u32 i = 2; i < 8; i++) {
		d = dev(i, 0x8000000 + i * 0x1000, 0x1000);
		d->ops = &t_fixed_ops;
		assert_int_equal(mmio_register(&bus, d), 0);
	}
	assert_int_equal(bus.nfixed, MMIO_FIXED_MAX);
	for (u32 i = 0; i < bus.nfixed; i++)
		assert_int_equal(bus.fixed[i].ipa >> MMIO_FIXED_FRAME_SHIFT, 0x800);
	assert_int_equal(bus.count, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_keeps_address_order, setup),
		cmocka_unit_test_setup(test_register_refuses_overlap, setup),
		cmocka_unit_test_setup(test_register_refuses_empty_and_wrapping, setup),
		cmocka_unit_test_setup(test_register_refuses_more_than_max, setup),
		cmocka_unit_test_setup(test_find, setup),
		cmocka_unit_test_setup(test_access_dispatches, setup),
		cmocka_unit_test_setup(test_access_refused, setup),
		cmocka_unit_test_setup(test_last_hint_never_misroutes, setup),
		cmocka_unit_test_setup(test_fixed_registers_read_once_from_the_device, setup),
		cmocka_unit_test_setup(test_fixed_registers_one_frame_and_bounded, setup),
		cmocka_unit_test_setup(test_polled_register_has_one_owner, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
