/*
 * libFuzzer target for the emulated PL061 GPIO controller, reached as a guest
 * reaches it, through a VM's MMIO bus, while the hypervisor presses buttons.
 * The input is a sequence of 12-byte records:
 *
 *   u16 offset   little-endian; from the controller's base - 0x100, so accesses
 *                below, inside and past the device are all reachable
 *   u8  size     taken modulo 9 (0..8 bytes)
 *   u8  flags    bit 0: write; bit 1: offset within the device (mod 0x1000);
 *                bit 2: instead of an access, press the button on pin
 *                value % 9 (pin 8 does not exist)
 *   u64 value    written, or the poison a read must overwrite
 *
 * Checks: nothing crashes; an access is accepted exactly when it is 1, 2 or
 * 4 bytes, aligned and inside the device; a read of N bytes never sets a bit
 * above N*8; every read and the interrupt line agree with a pin-by-pin model
 * of the TRM's rules written independently of the device.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/mmio.h"
#include "core/vdev.h"
#include "fake_arch.h"
#include "devices/pl061.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define BASE 0x09030000ull
#define RECORD 12

struct model {
	u8 data, dir, is, ibe, iev, ie, ris, afsel;
	u8 in, held, last;
};

static bool line;

/* The VM the controller's line belongs to: only its identity matters. */
static int line_vm;

static void irq(struct vm *vm, u32 n, bool level)
{
	CHECK(vm == (struct vm *)&line_vm && n == 7);
	CHECK(level != line);
	line = level;
}

static bool bit(u8 v, int i)
{
	return (v >> i) & 1;
}

static bool pin_level(const struct model *m, int i)
{
	return bit(m->dir, i) ? bit(m->data, i) : bit(m->in, i);
}

static void model_settle(struct model *m)
{
	for (int i = 0; i < 8; i++) {
		bool now = pin_level(m, i), before = bit(m->last, i);
		u8 b = (u8)(1u << i);

		if (bit(m->is, i))
			m->ris = (u8)((m->ris & ~b) | (now == bit(m->iev, i) ? b : 0));
		else if (now != before && (bit(m->ibe, i) || now == bit(m->iev, i)))
			m->ris |= b;
		m->last = (u8)((m->last & ~b) | (now ? b : 0));
	}
}

static u8 model_read(struct model *m, u64 reg)
{
	static const u8 id[8] = { 0x61, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	u8 v = 0;

	if (reg < 0x400) {
		for (int i = 0; i < 8; i++) {
			if (!bit((u8)(reg >> 2), i))
				continue;
			v |= (u8)(pin_level(m, i) << i);
			if (bit(m->held, i) && bit(m->in, i) && !bit(m->dir, i)) {
				m->in &= (u8)~(1u << i);
				m->held &= (u8)~(1u << i);
			}
		}
		return v;
	}
	switch (reg) {
	case 0x400: return m->dir;
	case 0x404: return m->is;
	case 0x408: return m->ibe;
	case 0x40c: return m->iev;
	case 0x410: return m->ie;
	case 0x414: return m->ris;
	case 0x418: return m->ris & m->ie;
	case 0x420: return m->afsel;
	}
	return reg >= 0xfe0 ? id[(reg - 0xfe0) / 4] : 0;
}

static void model_write(struct model *m, u64 reg, u8 v)
{
	if (reg < 0x400) {
		u8 mask = (u8)(reg >> 2);

		m->data = (u8)((m->data & ~mask) | (v & mask));
		return;
	}
	switch (reg) {
	case 0x400: m->dir = v; break;
	case 0x404: m->ris &= (u8)~(m->is ^ v); m->is = v; break;
	case 0x408: m->ibe = v; break;
	case 0x40c: m->iev = v; break;
	case 0x410: m->ie = v; break;
	case 0x41c: m->ris &= (u8)~v; break;
	case 0x420: m->afsel = v; break;
	}
}

static void model_press(struct model *m, u32 pin)
{
	if (pin >= 8)
		return;
	if (bit(m->in, (int)pin)) {
		m->in &= (u8)~(1u << pin);
		model_settle(m);
	}
	m->in |= (u8)(1u << pin);
	m->held |= (u8)(1u << pin);
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* One guest access, checked against the model. */
static void access(struct mmio_bus *bus, struct model *m, const u8 *r)
{
	u64 off = le(r, 2);
	u32 len = r[2] % 9;
	bool write = r[3] & 1;
	u64 value = le(r + 4, 8);
	u64 addr = (r[3] & 2) ? BASE + (off % PL061_MMIO_SIZE) : BASE - 0x100 + off;
	u64 dev_off = addr - BASE;
	bool inside = addr >= BASE && dev_off < PL061_MMIO_SIZE && len <= PL061_MMIO_SIZE - dev_off;
	bool valid = inside && (len == 1 || len == 2 || len == 4) && dev_off % len == 0;
	u64 v = value;
	bool ok = mmio_access(bus, ipa_init(addr), len, write, &v);

	CHECK(ok == valid);
	if (!ok) {
		CHECK(v == value);  /* a refused read leaves the value alone */
		return;
	}
	if (dev_off % 4) {
		/* upper byte lanes hold no register bits */
		CHECK(write || v == 0);
	} else if (write) {
		model_write(m, dev_off, (u8)value);
	} else {
		CHECK(v == model_read(m, dev_off));
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct mmio_bus bus;
	struct vdev dev;
	static struct pl061_emul gpio;
	struct model m;

	memset(&bus, 0, sizeof(bus));
	memset(&m, 0, sizeof(m));
	memset(&gpio, 0, sizeof(gpio));
	line = false;
	memset(&dev, 0, sizeof(dev));
	fake.set_line_hook = irq;
	pl061_emul_init(&gpio, (struct irq_line){ (struct vm *)&line_vm, 7 });
	pl061_emul_vdev(&gpio, ipa_init(BASE), &dev);
	CHECK(mmio_register(&bus, &dev) == 0);

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		const u8 *r = data + pos;

		if (r[3] & 4) {
			u32 pin = (u32)(le(r + 4, 8) % 9);

			pl061_emul_press(&gpio, pin);
			model_press(&m, pin);
		} else {
			access(&bus, &m, r);
		}
		model_settle(&m);
		CHECK(gpio.ris == m.ris);
		CHECK(line == ((m.ris & m.ie) != 0));
	}
	return 0;
}
