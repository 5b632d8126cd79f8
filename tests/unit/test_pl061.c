/*
 * The emulated PL061 as a guest reaches it, through a VM's MMIO bus at the
 * controller's guest-physical address, with the power button on pin 3.
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
#include "devices/pl061.h"

#define BASE 0x09030000ull
#define PIN  3                      /* the power button's, as the kind wires it */
#define LINE 7
static int line_vm_storage;
#define LINE_VM ((struct vm *)&line_vm_storage)
#define BIT  (1u << PIN)

#define DATA_ALL (0xffu << 2)       /* GPIODATA with every pin in the mask */
#define DATA_PIN (BIT << 2)         /* GPIODATA seeing only the button's pin */
#define DIR   0x400
#define IS    0x404
#define IBE   0x408
#define IEV   0x40c
#define IE    0x410
#define RIS   0x414
#define MIS   0x418
#define IC    0x41c
#define AFSEL 0x420

static struct mmio_bus bus;
static struct vdev dev;
static struct pl061_emul gpio;
static bool line;       /* the interrupt output as the callback last set it */
static u32 line_changes;

static void irq_line(struct vm *vm, u32 n, bool level)
{
	assert_ptr_equal(vm, LINE_VM);
	assert_int_equal(n, LINE);
	assert_true(level != line);  /* called only on a change */
	line = level;
	line_changes++;
}

static int setup(void **state)
{
	memset(&bus, 0, sizeof(bus));
	memset(&dev, 0, sizeof(dev));
	memset(&gpio, 0, sizeof(gpio));
	line = false;
	line_changes = 0;
	fake_arch_reset();
	fake.set_line_hook = irq_line;
	pl061_emul_init(&gpio, (struct irq_line){ LINE_VM, LINE });
	pl061_emul_vdev(&gpio, ipa_init(BASE), &dev);
	assert_int_equal(mmio_register(&bus, &dev), 0);
	return 0;
}

static u64 rd(u64 off, u32 size)
{
	u64 v = 0xdeadbeefdeadbeefull;

	if (!mmio_access(&bus, ipa_init(BASE + off), size, false, &v))
		fail_msg("read of %u bytes at +%#llx refused", size, (unsigned long long)off);
	return v;
}

static void wr(u64 off, u32 size, u64 v)
{
	if (!mmio_access(&bus, ipa_init(BASE + off), size, true, &v))
		fail_msg("write of %u bytes at +%#llx refused", size, (unsigned long long)off);
}

static bool try_access(u64 off, u32 size, bool write)
{
	u64 v = 0x1234;

	return mmio_access(&bus, ipa_init(BASE + off), size, write, &v);
}

static void test_id_and_reset_values(void **state)
{
	static const u8 id[8] = { 0x61, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	for (u32 i = 0; i < 8; i++)
		assert_int_equal(rd(0xfe0 + 4 * i, 4), id[i]);
	/* Linux's amba bus reads them a byte at a time */
	assert_int_equal(rd(0xfe0, 1), 0x61);
	for (u64 off = DIR; off <= AFSEL; off += 4)
		assert_int_equal(rd(off, 4), 0);
	assert_int_equal(rd(DATA_ALL, 4), 0);
	assert_false(line);
}

static void test_data_address_mask(void **state)
{
	wr(DIR, 1, 0xff);
	wr(0x0f << 2, 1, 0xff);            /* only pins 0-3 change */
	assert_int_equal(rd(DATA_ALL, 1), 0x0f);
	wr(DATA_PIN, 1, 0);                /* pin 3 alone */
	assert_int_equal(rd(DATA_ALL, 1), 0x07);
	assert_int_equal(rd(0x04 << 2, 1), 0x04);  /* a read sees only its mask */
	assert_int_equal(rd(0, 1), 0);
	/* input pins do not show the latch; an output shows it again */
	wr(DIR, 1, 0xfe);
	assert_int_equal(rd(DATA_ALL, 1), 0x06);
	wr(DIR, 1, 0xff);
	assert_int_equal(rd(DATA_ALL, 1), 0x07);
}

static void test_button_held_until_read(void **state)
{
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(0x07 << 2, 1), 0);      /* a mask without pin 3 sees nothing */
	assert_int_equal(rd(0xf7 << 2, 1), 0);
	assert_int_equal(rd(DATA_PIN, 1), BIT);     /* still pressed: now it is seen */
	assert_int_equal(rd(DATA_PIN, 1), 0);       /* and released */
	/* an upper byte lane holds no pin, so reading it samples nothing */
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(DATA_PIN + 1, 1), 0);
	assert_int_equal(rd(DATA_ALL, 4), BIT);
	assert_int_equal(rd(DATA_ALL, 4), 0);
}

static void test_rising_edge(void **state)
{
	wr(IEV, 1, BIT);
	wr(IE, 1, BIT);
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(RIS, 1), BIT);
	assert_int_equal(rd(MIS, 1), BIT);
	assert_true(line);
	wr(IC, 1, BIT);
	assert_int_equal(rd(RIS, 1), 0);
	assert_false(line);
	assert_int_equal(rd(DATA_PIN, 1), BIT);
	assert_int_equal(rd(RIS, 1), 0);            /* the release is a falling edge */
	assert_int_equal(line_changes, 2);
}

static void test_both_edges_and_falling(void **state)
{
	wr(IBE, 1, BIT);
	wr(IE, 1, BIT);
	pl061_emul_press(&gpio, PIN);
	assert_true(line);
	wr(IC, 1, 0xff);
	assert_false(line);
	rd(DATA_PIN, 1);
	assert_int_equal(rd(MIS, 1), BIT);          /* the release */
	assert_true(line);
	wr(IC, 1, BIT);
	wr(IBE, 1, 0);                              /* falling edge only (IEV 0) */
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(RIS, 1), 0);
	rd(DATA_PIN, 1);
	assert_int_equal(rd(RIS, 1), BIT);
}

static void test_level_sensitive(void **state)
{
	wr(IS, 1, BIT);
	wr(IEV, 1, BIT);                            /* high level */
	wr(IE, 1, BIT);
	assert_false(line);
	pl061_emul_press(&gpio, PIN);
	assert_true(line);
	wr(IC, 1, BIT);                             /* no effect while the level lasts */
	assert_int_equal(rd(RIS, 1), BIT);
	assert_true(line);
	rd(DATA_PIN, 1);
	assert_int_equal(rd(RIS, 1), 0);
	assert_false(line);
	/* low level: every undriven pin is low, so all raise status */
	wr(IS, 1, 0xff);
	wr(IEV, 1, 0);
	assert_int_equal(rd(RIS, 1), 0xff);
	/* back to edges: nothing stays latched from the level status */
	wr(IS, 1, 0);
	assert_int_equal(rd(RIS, 1), 0);
}

static void test_mask_and_outputs(void **state)
{
	wr(IEV, 1, 0xff);
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(RIS, 1), BIT);
	assert_int_equal(rd(MIS, 1), 0);
	assert_false(line);
	wr(IE, 1, BIT);                             /* unmasking a latched edge raises the line */
	assert_true(line);
	wr(IE, 1, 0);
	assert_false(line);
	/* an output pin's rising edge counts like an input's */
	wr(IC, 1, 0xff);
	wr(DIR, 1, 0x01);
	wr(0x01 << 2, 1, 1);
	assert_int_equal(rd(RIS, 1), 0x01);
	/* the button on a pin made an output is not seen through GPIODATA */
	wr(IC, 1, 0xff);
	wr(DIR, 1, BIT);
	pl061_emul_press(&gpio, PIN);
	assert_int_equal(rd(DATA_PIN, 1), 0);
	wr(DIR, 1, 0);
	assert_int_equal(rd(DATA_PIN, 1), BIT);
}

static void test_press_again_before_read(void **state)
{
	wr(IEV, 1, BIT);
	wr(IE, 1, BIT);
	pl061_emul_press(&gpio, PIN);
	wr(IC, 1, BIT);
	assert_false(line);
	pl061_emul_press(&gpio, PIN);               /* released and pressed: a new edge */
	assert_true(line);
	assert_int_equal(rd(DATA_PIN, 1), BIT);
	pl061_emul_press(&gpio, PL061_PINS);        /* no such pin: nothing happens */
	assert_int_equal(rd(DATA_ALL, 1), 0);
}

static void test_widths_and_lanes(void **state)
{
	wr(AFSEL, 4, 0x1ff);                        /* 8-bit registers */
	assert_int_equal(rd(AFSEL, 4), 0xff);
	wr(AFSEL + 1, 1, 0);                        /* no register bits in upper lanes */
	assert_int_equal(rd(AFSEL, 2), 0xff);
	assert_int_equal(rd(AFSEL + 1, 1), 0);
	assert_int_equal(rd(AFSEL + 2, 2), 0);
	wr(RIS, 1, 0xff);                           /* read-only */
	wr(MIS, 1, 0xff);
	wr(0xfe0, 1, 0);
	assert_int_equal(rd(RIS, 1), 0);
	assert_int_equal(rd(0xfe0, 1), 0x61);
	wr(0x800, 4, 0xffffffff);                   /* reserved: RAZ/WI */
	assert_int_equal(rd(0x800, 4), 0);
	assert_int_equal(rd(IC, 1), 0);             /* write-only */
	assert_false(try_access(DIR, 8, false));
	assert_false(try_access(DIR, 3, true));
	assert_false(try_access(DIR + 2, 4, false));
	assert_false(try_access(DIR + 1, 2, true));
	assert_false(try_access(PL061_MMIO_SIZE, 1, false));
	assert_false(try_access((u64)-4, 4, false));
	assert_true(try_access(PL061_MMIO_SIZE - 4, 4, true));
}

static void test_init_resets(void **state)
{
	wr(DIR, 1, 0xff);
	wr(IE, 1, 0xff);
	pl061_emul_press(&gpio, PIN);
	pl061_emul_init(&gpio, (struct irq_line){ LINE_VM, LINE });
	line = false;
	assert_int_equal(rd(DIR, 1), 0);
	assert_int_equal(rd(IE, 1), 0);
	assert_int_equal(rd(DATA_ALL, 1), 0);       /* the button is up again */
	pl061_emul_press(&gpio, PIN);               /* and the lock still works */
	assert_int_equal(rd(DATA_PIN, 1), BIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_id_and_reset_values, setup),
		cmocka_unit_test_setup(test_data_address_mask, setup),
		cmocka_unit_test_setup(test_button_held_until_read, setup),
		cmocka_unit_test_setup(test_rising_edge, setup),
		cmocka_unit_test_setup(test_both_edges_and_falling, setup),
		cmocka_unit_test_setup(test_level_sensitive, setup),
		cmocka_unit_test_setup(test_mask_and_outputs, setup),
		cmocka_unit_test_setup(test_press_again_before_read, setup),
		cmocka_unit_test_setup(test_widths_and_lanes, setup),
		cmocka_unit_test_setup(test_init_resets, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
