/*
 * The emulated PL011 as a guest reaches it: every access goes through a VM's
 * MMIO bus (core/mmio.c) at the guest-physical address of the UART.
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
#include "devices/pl011.h"

#define BASE 0x09000000ull
#define LINE 1
/* The VM the UART's line belongs to: only its identity matters here. */
static int line_vm_storage;
#define LINE_VM ((struct vm *)&line_vm_storage)

#define DR    0x000
#define RSR   0x004
#define FR    0x018
#define ILPR  0x020
#define IBRD  0x024
#define FBRD  0x028
#define LCR_H 0x02c
#define CR    0x030
#define IFLS  0x034
#define IMSC  0x038
#define RIS   0x03c
#define MIS   0x040
#define ICR   0x044
#define DMACR 0x048

#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)
#define INT_RX  (1u << 4)
#define INT_TX  (1u << 5)

#define FR_TXFF (1u << 5)

static struct mmio_bus bus;
static struct vdev dev;
static struct pl011_emul uart;
static char sent[256];
static u32 nsent;
static int sink_ctx;
/* The sink's room (the console ring's), and what it saw. */
static u32 room;
static u32 flushes, refused;

static bool sink_put(void *ctx, char c)
{
	assert_ptr_equal(ctx, &sink_ctx);
	if (!room) {
		refused++;
		return false;
	}
	room--;
	assert_true(nsent < sizeof(sent));
	sent[nsent++] = c;
	return true;
}

static u32 sink_room(void *ctx)
{
	assert_ptr_equal(ctx, &sink_ctx);
	return room;
}

static void sink_flush(void *ctx)
{
	assert_ptr_equal(ctx, &sink_ctx);
	flushes++;
}

static u32 rx_rooms;

static void sink_rx_room(void *ctx)
{
	assert_ptr_equal(ctx, &sink_ctx);
	rx_rooms++;
}

/* Bytes the sink holds, as the console ring would say. */
static u32 held;

static u32 sink_held(void *ctx)
{
	assert_ptr_equal(ctx, &sink_ctx);
	return held;
}

/* The driver's "more to send" as the sink heard it: calls and the last value. */
static u32 tx_waits_calls;
static bool tx_waits;

static void sink_tx_waits(void *ctx, bool waits)
{
	assert_ptr_equal(ctx, &sink_ctx);
	tx_waits_calls++;
	tx_waits = waits;
}

static const struct pl011_sink sink = { sink_put, sink_room, sink_flush, sink_rx_room, sink_held,
					sink_tx_waits };


/* A fresh UART on an empty bus, its interrupt line watched by `irq` (or not connected). */
static void attach(void (*irq)(struct vm *vm, u32 line, bool level))
{
	memset(&bus, 0, sizeof(bus));
	memset(&dev, 0, sizeof(dev));
	fake_arch_reset();
	fake.set_line_hook = irq;
	pl011_emul_init(&uart, &sink, &sink_ctx,
			irq ? (struct irq_line){ LINE_VM, LINE } : irq_line_none());
	pl011_emul_vdev(&uart, ipa_init(BASE), &dev);
	assert_int_equal(mmio_register(&bus, &dev), 0);
}

static int setup(void **state)
{
	memset(sent, 0, sizeof(sent));
	nsent = 0;
	room = 4096;
	flushes = refused = rx_rooms = 0;
	held = 0;
	tx_waits_calls = 0;
	tx_waits = false;
	attach(NULL);
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

static bool try_access(u64 addr, u32 size, bool write)
{
	u64 v = 0x41;

	return mmio_access(&bus, ipa_init(addr), size, write, &v);
}

static void test_device_entry(void **state)
{
	const struct vdev *d = mmio_find(&bus, ipa_init(BASE), 4);

	assert_ptr_equal(d, &dev);
	assert_int_equal(ipa_addr(d->base), BASE);
	assert_int_equal(d->size, PL011_MMIO_SIZE);
	assert_ptr_equal(d->priv, &uart);
	assert_non_null(d->ops->read);
	assert_non_null(d->ops->write);
	assert_non_null(d->ops->reset);
	assert_non_null(d->ops->dt_node);
	assert_ptr_equal(mmio_find(&bus, ipa_init(BASE + PL011_MMIO_SIZE - 4), 4), d);
	assert_null(mmio_find(&bus, ipa_init(BASE + PL011_MMIO_SIZE - 2), 4));
	assert_null(mmio_find(&bus, ipa_init(BASE + PL011_MMIO_SIZE), 1));
	assert_null(mmio_find(&bus, ipa_init(BASE - 1), 1));
	assert_null(mmio_find(&bus, ipa_init(BASE - 2), 4));
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(CR, 4), 0x300);
	assert_int_equal(rd(IFLS, 4), 0x12);
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFE);
	assert_int_equal(rd(IBRD, 4), 0);
	assert_int_equal(rd(FBRD, 4), 0);
	assert_int_equal(rd(LCR_H, 4), 0);
	assert_int_equal(rd(IMSC, 4), 0);
	assert_int_equal(rd(RIS, 4), 0);
	assert_int_equal(rd(MIS, 4), 0);
	assert_int_equal(rd(DMACR, 4), 0);
	assert_int_equal(rd(DR, 4), 0);
	assert_int_equal(rd(RSR, 4), 0);
	assert_int_equal(nsent, 0);
}

static void test_transmit(void **state)
{
	const char *msg = "hello, world\n";

	for (const char *p = msg; *p; p++)
		wr(DR, 4, (u8)*p);
	assert_int_equal(nsent, strlen(msg));
	assert_memory_equal(sent, msg, strlen(msg));
	/* only the low byte is sent, whatever the access size */
	wr(DR, 4, 0xffffff41);
	wr(DR, 2, 0x1242);
	wr(DR, 1, 0x43);
	assert_int_equal(nsent, strlen(msg) + 3);
	assert_memory_equal(sent + strlen(msg), "ABC", 3);
	/* the FIFO is never full, never has input */
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFE);
	/* a byte write to the upper part of DR is not a transmission */
	wr(DR + 1, 1, 0x44);
	assert_int_equal(nsent, strlen(msg) + 3);
}

static void test_tx_interrupt(void **state)
{
	wr(DR, 4, 'x');
	assert_int_equal(rd(RIS, 4), INT_TX);
	assert_int_equal(rd(MIS, 4), 0);
	wr(IMSC, 4, INT_TX | 0x10);
	assert_int_equal(rd(IMSC, 4), INT_TX | 0x10);
	assert_int_equal(rd(MIS, 4), INT_TX);
	/* ICR clears only the bits written */
	wr(ICR, 4, 0x10);
	assert_int_equal(rd(RIS, 4), INT_TX);
	wr(ICR, 4, INT_TX);
	assert_int_equal(rd(RIS, 4), 0);
	assert_int_equal(rd(MIS, 4), 0);
	/* ICR is write-only: it reads as zero */
	assert_int_equal(rd(ICR, 4), 0);
	wr(DR, 1, 'y');
	assert_int_equal(rd(MIS, 4), INT_TX);
	wr(ICR, 4, 0xffffffff);
	assert_int_equal(rd(RIS, 4), 0);
	/* RIS and MIS are read-only */
	wr(RIS, 4, INT_TX);
	wr(MIS, 4, INT_TX);
	assert_int_equal(rd(RIS, 4), 0);
	assert_int_equal(rd(MIS, 4), 0);
}

/* The sink hears when the driver unmasks or masks TXIM (Linux's amba-pl011
 * does while it has bytes left to send), and only then. */
static void test_tx_waits_follows_txim(void **state)
{
	wr(IMSC, 4, 0x10);
	assert_int_equal(tx_waits_calls, 0);
	wr(IMSC, 4, INT_TX | 0x10);
	assert_int_equal(tx_waits_calls, 1);
	assert_true(tx_waits);
	wr(IMSC, 2, INT_TX);
	wr(DR, 1, 'x');
	assert_int_equal(tx_waits_calls, 1);
	wr(IMSC, 4, 0x10);
	assert_int_equal(tx_waits_calls, 2);
	assert_false(tx_waits);
}

/* The interrupt output follows RIS & IMSC and is reported only when it changes. */
static u32 irq_calls;
static bool irq_level;

static void irq_line(struct vm *vm, u32 line, bool level)
{
	assert_ptr_equal(vm, LINE_VM);
	assert_int_equal(line, LINE);
	irq_calls++;
	irq_level = level;
}

static void test_interrupt_line(void **state)
{
	irq_calls = 0;
	irq_level = false;
	attach(irq_line);

	wr(DR, 4, 'a');               /* raised but masked: the line stays low */
	assert_int_equal(irq_calls, 0);
	wr(IMSC, 4, INT_TX);          /* unmasking raises it */
	assert_int_equal(irq_calls, 1);
	assert_true(irq_level);
	wr(DR, 4, 'b');               /* still high: no new report */
	assert_int_equal(irq_calls, 1);
	wr(ICR, 4, INT_TX);           /* cleared: low */
	assert_int_equal(irq_calls, 2);
	assert_false(irq_level);
	wr(DR, 4, 'c');
	assert_true(irq_level);
	wr(IMSC, 4, 0);               /* masking lowers it */
	assert_false(irq_level);
	assert_int_equal(irq_calls, 4);
}

/* A sink that runs out of room: FR says full, then empty once room is back;
 * the TX interrupt follows the room as Linux's amba-pl011 expects. */
static void test_back_pressure(void **state)
{
	irq_calls = 0;
	irq_level = false;
	attach(irq_line);
	wr(IMSC, 4, INT_TX);

	room = PL011_TX_ROOM + 1;
	wr(DR, 4, 'a');                       /* leaves exactly the level: still raised */
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFE);
	assert_true(irq_level);
	wr(DR, 4, 'b');                       /* below the level: not empty, TX cleared */
	assert_int_equal(rd(FR, 4), FR_RXFE);
	assert_int_equal(rd(RIS, 4) & INT_TX, 0);
	assert_false(irq_level);
	room = 1;
	flushes = 0;
	wr(DR, 4, 'c');                       /* the last byte that fits */
	assert_int_equal(flushes, 1);         /* every DR write */
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFF);
	assert_int_equal(flushes, 2);         /* and every FR read */
	wr(DR, 4, 'd');                       /* a guest ignoring TXFF loses the byte */
	assert_int_equal(refused, 1);
	assert_int_equal(nsent, 3);
	pl011_emul_tx_ready(&uart);           /* not enough room yet: nothing */
	assert_false(irq_level);
	room = PL011_TX_ROOM;
	pl011_emul_tx_ready(&uart);
	assert_true(irq_level);
	assert_int_equal(rd(MIS, 4), INT_TX);
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFE);
}

#define INT_RT (1u << 6)

/* Console input: a 32-byte FIFO behind DR, with the receive interrupts. */
static void test_receive(void **state)
{
	u32 taken = 0;

	assert_int_equal(rd(FR, 4) & FR_RXFE, FR_RXFE);
	assert_true(pl011_emul_receive(&uart, 'h'));
	assert_true(pl011_emul_receive(&uart, 'i'));
	assert_int_equal(rd(FR, 4) & FR_RXFE, 0);
	/* below the trigger level (half, at reset): only the timeout interrupt */
	assert_int_equal(rd(RIS, 4) & (INT_RX | INT_RT), INT_RT);
	assert_int_equal(rd(DR, 4), 'h');
	assert_int_equal(rx_rooms, 0);
	assert_int_equal(rd(DR, 4), 'i');
	assert_int_equal(rx_rooms, 1);  /* emptied: held input may come */
	/* empty again: RXFE set, receive interrupts dropped, DR reads 0 */
	assert_int_equal(rd(FR, 4) & FR_RXFE, FR_RXFE);
	assert_int_equal(rd(RIS, 4) & (INT_RX | INT_RT), 0);
	assert_int_equal(rd(DR, 4), 0);
	/* the FIFO holds 32 bytes; more are refused, FR says full */
	while (pl011_emul_receive(&uart, (u8)('a' + taken % 26)))
		taken++;
	assert_int_equal(taken, PL011_RX_FIFO);
	assert_int_equal(rd(FR, 4) & (1u << 6), 1u << 6);
	assert_int_equal(rd(RIS, 4) & (INT_RX | INT_RT), INT_RX | INT_RT);
	for (u32 i = 0; i < taken; i++)
		assert_int_equal(rd(DR, 4), 'a' + i % 26);
	assert_int_equal(rx_rooms, 3);  /* at half, and empty */
}

/* RXRIS follows the FIFO level against IFLS.RXIFLSEL (PL011 TRM): raised when
 * the level is reached, cleared by reads that take it below, or by ICR;
 * RTRIS cleared by ICR stays clear until the next byte. */
static void test_receive_trigger_level(void **state)
{
	static const struct { u32 code, level; } levels[] = {
		{ 0, 4 }, { 1, 8 }, { 2, 16 }, { 3, 24 }, { 4, 28 },
	};

	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		wr(IFLS, 2, levels[l].code << 3);
		for (u32 i = 0; i < levels[l].level - 1; i++)
			assert_true(pl011_emul_receive(&uart, 'x'));
		assert_int_equal(rd(RIS, 4) & INT_RX, 0);
		assert_true(pl011_emul_receive(&uart, 'x'));
		assert_int_equal(rd(RIS, 4) & INT_RX, INT_RX);
		rd(DR, 4);  /* one below the level */
		assert_int_equal(rd(RIS, 4) & INT_RX, 0);
		assert_true(pl011_emul_receive(&uart, 'x'));
		wr(ICR, 2, INT_RX | INT_RT);
		assert_int_equal(rd(RIS, 4) & (INT_RX | INT_RT), 0);
		while (!(rd(FR, 4) & FR_RXFE))
			rd(DR, 4);
	}
	/* the timeout interrupt comes back with the next byte */
	assert_true(pl011_emul_receive(&uart, 'y'));
	assert_int_equal(rd(RIS, 4) & INT_RT, INT_RT);
}

static void test_plain_registers(void **state)
{
	static const u64 regs[] = { IBRD, FBRD, LCR_H, CR, IFLS, IMSC, DMACR };

	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		u32 v = 0x1000 + (u32)i * 0x111;

		wr(regs[i], 4, v);
		assert_int_equal(rd(regs[i], 4), v);
	}
	/* registers are independent */
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		assert_int_equal(rd(regs[i], 4), 0x1000 + (u32)i * 0x111);
	/* the registers are 16 bits wide: the rest of a value is dropped */
	wr(IBRD, 4, 0x123456789ull);
	assert_int_equal(rd(IBRD, 4), 0x6789);
	/* 16-bit writes at the register work (Linux's default access width) */
	wr(CR, 2, 0x0301);
	assert_int_equal(rd(CR, 4), 0x0301);
	/* byte writes and writes to the upper half are ignored */
	wr(CR, 1, 0xff);
	wr(CR + 2, 2, 0xffff);
	assert_int_equal(rd(CR, 4), 0x0301);
	/* read-only registers ignore writes */
	wr(FR, 4, 0);
	assert_int_equal(rd(FR, 4), FR_RXFE | FR_TXFE);
	assert_int_equal(nsent, 0);
}

static void test_narrow_reads(void **state)
{
	wr(IBRD, 4, 0xa1b2c3d4);
	assert_int_equal(rd(IBRD, 1), 0xd4);
	assert_int_equal(rd(IBRD + 1, 1), 0xc3);
	assert_int_equal(rd(IBRD + 2, 1), 0);
	assert_int_equal(rd(IBRD + 3, 1), 0);
	assert_int_equal(rd(IBRD, 2), 0xc3d4);
	assert_int_equal(rd(IBRD + 2, 2), 0);
	assert_int_equal(rd(CR + 1, 1), 0x03);
	assert_int_equal(rd(FR, 1), FR_RXFE | FR_TXFE);
	assert_int_equal(rd(FR + 1, 1), 0);
	assert_int_equal(rd(FR, 2), FR_RXFE | FR_TXFE);
}

static void test_id_registers(void **state)
{
	static const u8 id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	for (u32 i = 0; i < 8; i++) {
		assert_int_equal(rd(0xfe0 + 4 * i, 4), id[i]);
		assert_int_equal(rd(0xfe0 + 4 * i, 1), id[i]);
		assert_int_equal(rd(0xfe0 + 4 * i + 1, 1), 0);
	}
	/* just below the ID block: reserved, reads as zero */
	assert_int_equal(rd(0xfdc, 4), 0);
	/* writes are ignored */
	wr(0xfe0, 4, 0);
	assert_int_equal(rd(0xfe0, 4), 0x11);
}

static void test_reserved_offsets(void **state)
{
	static const u64 offs[] = { 0x008, 0x00c, 0x010, 0x014, 0x01c, ILPR, 0x04c, 0x100,
				    0x800, 0xfd0, 0xffc - 0x20 };

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		wr(offs[i], 4, 0xffffffff);
		assert_int_equal(rd(offs[i], 4), 0);
	}
	assert_int_equal(rd(CR, 4), 0x300);
	assert_int_equal(nsent, 0);
}

/* What the trap vector would answer for FR now: the bus's polled register
 * (its address and value) while published, else nothing (-1). */
static s64 fr_answered(void)
{
	if (!__atomic_load_n(&bus.npolled, __ATOMIC_ACQUIRE) || bus.polled.ipa != BASE + 0x018)
		return -1;
	return bus.polled.value;
}

/*
 * FR is published for the trap vector only while a read of it changes
 * nothing: the sink holds nothing to write out and no byte waits. A write
 * to DR, a byte received and a reset withdraw it before anything changes;
 * the next read in C publishes it again once quiet.
 */
static void test_fr_published_only_while_quiet(void **state)
{
	assert_int_equal(fr_answered(), -1);
	assert_int_equal(rd(0x018, 4), 0x90);          /* TXFE | RXFE */
	assert_int_equal(fr_answered(), 0x90);
	assert_ptr_equal(bus.polled_owner, &dev);

	wr(0x000, 4, 'x');                             /* DR: the sink may flush */
	assert_int_equal(fr_answered(), -1);
	held = 1;                                      /* it still holds the byte */
	rd(0x018, 4);
	assert_int_equal(fr_answered(), -1);
	held = 0;                                      /* written out */
	rd(0x018, 4);
	assert_int_equal(fr_answered(), 0x90);

	assert_true(pl011_emul_receive(&uart, 'a'));   /* input: RXFE no longer true */
	assert_int_equal(fr_answered(), -1);
	assert_int_equal(rd(0x018, 4), 0x80);          /* from C: a byte waits */
	assert_int_equal(fr_answered(), -1);
	assert_int_equal(rd(0x000, 4), 'a');
	assert_int_equal(rd(0x018, 4), 0x90);
	assert_int_equal(fr_answered(), 0x90);

	pl011_emul_reset(&uart, &sink, &sink_ctx, irq_line_none());
	assert_int_equal(fr_answered(), -1);
}

/* A narrow read of FR is answered in C as before, and publishes too. */
static void test_fr_narrow_read_still_in_c(void **state)
{
	assert_int_equal(rd(0x018, 1), 0x90);
	assert_int_equal(fr_answered(), 0x90);
	room = 0;                                      /* the sink is full: TXFF */
	held = 4096;
	wr(0x000, 4, 'y');
	assert_int_equal(fr_answered(), -1);
	assert_int_equal(rd(0x018, 4), 0x30);          /* TXFF | RXFE */
	assert_int_equal(fr_answered(), -1);
}

static void test_refused_accesses(void **state)
{
	u64 v = 0x5555;

	/* sizes other than 1, 2, 4 */
	for (u32 size = 0; size <= 16; size++) {
		if (size == 1 || size == 2 || size == 4)
			continue;
		assert_false(try_access(BASE + DR, size, true));
		assert_false(try_access(BASE + FR, size, false));
	}
	/* unaligned */
	assert_false(try_access(BASE + DR + 1, 2, true));
	assert_false(try_access(BASE + DR + 2, 4, true));
	assert_false(try_access(BASE + FR + 1, 4, false));
	assert_false(try_access(BASE + FR + 3, 2, false));
	/* past the end of the device, or not in it */
	assert_false(try_access(BASE + PL011_MMIO_SIZE, 4, false));
	assert_false(try_access(BASE + PL011_MMIO_SIZE - 2, 4, false));
	assert_false(try_access(BASE - 4, 4, false));
	assert_false(try_access(0, 4, true));
	assert_false(try_access(~0ull, 1, false));
	assert_false(try_access(~0ull - 3, 4, false));
	assert_int_equal(nsent, 0);
	/* the last bytes are fine */
	assert_true(try_access(BASE + PL011_MMIO_SIZE - 4, 4, false));
	assert_true(try_access(BASE + PL011_MMIO_SIZE - 1, 1, false));
	/* a refused read leaves the value alone */
	assert_false(mmio_access(&bus, ipa_init(BASE + 1), 4, false, &v));
	assert_int_equal(v, 0x5555);
	/* the device's own entry points refuse offsets beyond the register file */
	assert_false(dev.ops->read(&dev, PL011_MMIO_SIZE, 4, &v));
	assert_false(dev.ops->write(&dev, PL011_MMIO_SIZE, 1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_device_entry, setup),
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_transmit, setup),
		cmocka_unit_test_setup(test_tx_interrupt, setup),
		cmocka_unit_test_setup(test_tx_waits_follows_txim, setup),
		cmocka_unit_test_setup(test_interrupt_line, setup),
		cmocka_unit_test_setup(test_back_pressure, setup),
		cmocka_unit_test_setup(test_receive, setup),
		cmocka_unit_test_setup(test_receive_trigger_level, setup),
		cmocka_unit_test_setup(test_plain_registers, setup),
		cmocka_unit_test_setup(test_narrow_reads, setup),
		cmocka_unit_test_setup(test_id_registers, setup),
		cmocka_unit_test_setup(test_reserved_offsets, setup),
		cmocka_unit_test_setup(test_refused_accesses, setup),
		cmocka_unit_test_setup(test_fr_published_only_while_quiet, setup),
		cmocka_unit_test_setup(test_fr_narrow_read_still_in_c, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
