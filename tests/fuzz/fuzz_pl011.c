/*
 * libFuzzer target for the emulated PL011, reached as a guest reaches it:
 * through a VM's MMIO bus (core/mmio.c). The input is a sequence of 12-byte
 * accesses:
 *
 *   u16 offset   little-endian; from the UART's base - 0x100, so accesses
 *                below, inside and past the device are all reachable
 *   u8  size     taken modulo 9 (0..8 bytes)
 *   u8  flags    bit 0: write; bit 1: offset within the device (mod 0x1000)
 *   u64 value    written, or the poison a read must overwrite
 *
 * Checks: nothing crashes; an access is accepted exactly when it is 1, 2 or
 * 4 bytes, aligned and inside the device; a read of N bytes never sets a bit
 * above N*8; and the register file behaves like a small model of it.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/mmio.h"
#include "core/vdev.h"
#include "devices/pl011.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define BASE 0x09000000ull
#define RECORD 12

/* What the guest should see, kept independently of the device. */
struct model {
	u32 reg[PL011_MMIO_SIZE / 4];  /* plain read/write registers */
	u32 ris;
	u64 sent;
	char last;
};

static u64 sent;
static char last_sent;

/* A sink with room to spare: the model below is the UART with an empty FIFO. */
static bool tx(void *ctx, char c)
{
	CHECK(ctx == &sent);
	sent++;
	last_sent = c;
	return true;
}

static u32 tx_room(void *ctx)
{
	return 4096;
}

static const struct pl011_sink sink = { tx, tx_room, NULL, NULL, NULL, NULL };

static bool is_plain(u64 reg)
{
	switch (reg) {
	case 0x024: case 0x028: case 0x02c: case 0x030: case 0x034: case 0x038: case 0x048:
		return true;
	default:
		return false;
	}
}

static u32 model_read(const struct model *m, u64 reg)
{
	static const u8 id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	if (is_plain(reg))
		return m->reg[reg / 4];
	if (reg == 0x018)
		return (1u << 4) | (1u << 7);  /* RXFE | TXFE */
	if (reg == 0x03c)
		return m->ris;
	if (reg == 0x040)
		return m->ris & m->reg[0x038 / 4];
	if (reg >= 0xfe0)
		return id[(reg - 0xfe0) / 4];
	return 0;
}

static void model_write(struct model *m, u64 off, u32 size, u64 value)
{
	if (off == 0x000) {
		m->sent++;
		m->last = (char)(value & 0xff);
		m->ris |= 1u << 5;
	} else if (off == 0x044) {
		m->ris &= ~((u32)value & 0x7ffu);
	} else if (is_plain(off) && size >= 2) {
		m->reg[off / 4] = (u32)value & 0xffff;  /* 16-bit registers */
	}
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct mmio_bus bus;
	struct vdev dev;
	struct pl011_emul uart;
	struct model m;

	memset(&bus, 0, sizeof(bus));
	memset(&m, 0, sizeof(m));
	sent = 0;
	memset(&dev, 0, sizeof(dev));
	pl011_emul_init(&uart, &sink, &sent, irq_line_none());
	pl011_emul_vdev(&uart, ipa_init(BASE), &dev);
	CHECK(mmio_register(&bus, &dev) == 0);
	m.reg[0x030 / 4] = 0x300;
	m.reg[0x034 / 4] = 0x12;

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		const u8 *r = data + pos;
		u64 off = le(r, 2);
		u32 len = r[2] % 9;
		bool write = r[3] & 1;
		u64 value = le(r + 4, 8);
		u64 addr = (r[3] & 2) ? BASE + (off % PL011_MMIO_SIZE) : BASE - 0x100 + off;
		u64 dev_off = addr - BASE;
		bool inside = addr >= BASE && dev_off < PL011_MMIO_SIZE && len <= PL011_MMIO_SIZE - dev_off;
		bool valid = inside && (len == 1 || len == 2 || len == 4) && dev_off % len == 0;
		u64 v = value;
		bool ok = mmio_access(&bus, ipa_init(addr), len, write, &v);

		CHECK(ok == valid);
		if (!ok) {
			CHECK(v == value);  /* a refused read leaves the value alone */
			continue;
		}
		if (write) {
			model_write(&m, dev_off, len, value);
		} else {
			u64 reg = dev_off & ~3ull;
			u64 want = (model_read(&m, reg) >> ((dev_off - reg) * 8));

			if (len < 8)
				CHECK((v >> (len * 8)) == 0);
			if (len < 4)
				want &= (1ull << (len * 8)) - 1;
			CHECK(v == want);
		}
		CHECK(sent == m.sent);
		if (sent)
			CHECK(last_sent == m.last);
		CHECK(uart.ris == m.ris);
	}
	return 0;
}
