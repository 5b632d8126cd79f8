/*
 * libFuzzer target for the data-abort syndrome decode (arch/arm64/include/
 * dabt.h: dabt_emulable, dabt_reg, dabt_emulate) on the real MMIO bus
 * (core/mmio.c) with one recording device. The input is a sequence of
 * records, 24 bytes each, little-endian: the ESR ISS (the low 25 bits of a
 * u32), the fault's IPA (u64; dabt_ipa is a double that returns it), what
 * the device answers to a read (u64), and then 4 bytes: whether the device
 * refuses, a register index to seed and its seed byte.
 *
 * Each syndrome is decoded again here, independently, and checked against
 * what the emulation did:
 *  - emulated only with ISV set and S1PTW clear (a write-back or pair form
 *    has ISV clear: never emulated, whatever else the syndrome says);
 *  - the device sees exactly one access of 1 << SAS bytes at the IPA, a
 *    write when WnR is set, carrying Xt truncated to the size (0 for XZR);
 *  - a load writes only Xt (nothing for XZR), the device's value truncated
 *    to the size, sign-extended when SSE is set, to 32 bits unless SF;
 *  - acquire/release (AR) changes nothing; a refused access, a store, or
 *    a syndrome that is not emulable leaves every register as it was;
 *  - an emulated access counts one TRAP_MMIO; the PC is never moved.
 */
#include <string.h>

#include "core/mmio.h"
#include "core/vm.h"
/* dabt.h includes its directory's arch_types.h; the fake's (tests/unit/
 * fake_arch/), included above by core/vm.h, stands in for it */
#define BULKHEAD_ARM64_ARCH_TYPES_H
#include "dabt.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define RECORD 24
#define DEV_BASE 0x09000000ull
#define DEV_SIZE 0x1000ull
#define DABT_AR (1ull << 14)

static struct vm vm;
static struct vcpu vcpu;
static u64 fault_ipa;

ipaddr_t dabt_ipa(void)
{
	return ipa_init(fault_ipa);
}

/* The device: records the last access; answers reads with `answer`. */
static struct {
	u32 calls, size;
	u64 offset, value, answer;
	bool write, refuse;
} dev_rec;

static bool dev_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	dev_rec.calls++;
	dev_rec.offset = offset;
	dev_rec.size = size;
	dev_rec.write = false;
	*value = dev_rec.answer & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	return !dev_rec.refuse;
}

static bool dev_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	dev_rec.calls++;
	dev_rec.offset = offset;
	dev_rec.size = size;
	dev_rec.write = true;
	dev_rec.value = value;
	return !dev_rec.refuse;
}

static const struct vdev_ops dev_ops = { .read = dev_read, .write = dev_write };
static struct vdev dev = { .ops = &dev_ops, .vm = &vm, .size = DEV_SIZE };

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static u64 truncate(u64 v, u32 size)
{
	return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* The load result the architecture gives, computed without dabt.h. */
static u64 expected_load(u64 esr, u64 raw, u32 size)
{
	u64 v = truncate(raw, size);

	if ((esr & DABT_SSE) && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ull << (size * 8);
	if (!(esr & DABT_SF))
		v &= 0xffffffffull;
	return v;
}

static void one(u64 esr, u64 ipa, u64 answer, const u8 *extra)
{
	struct arch_regs regs, before;
	u32 size = 1u << ((esr >> 22) & 3);
	u32 rt = (esr >> 16) & 31;
	bool write = esr & (1ull << 6);
	bool emulable = (esr & (1ull << 24)) && !(esr & (1ull << 7));
	bool inside = ipa >= DEV_BASE && ipa - DEV_BASE < DEV_SIZE && size <= DEV_BASE + DEV_SIZE - ipa;
	u64 mmio_before = vcpu.trap_count[TRAP_MMIO];
	bool done;

	for (u32 i = 0; i < 31; i++)
		regs.x[i] = 0x0101010101010101ull * (i + 1) ^ ((u64)extra[2] << (i % 57));
	regs.x[extra[1] % 31] = answer ^ 0x8000000080008080ull;
	regs.pc = 0x40080000ull;
	regs.pstate = 0x3c5;
	before = regs;
	fault_ipa = ipa;
	dev_rec.calls = 0;
	dev_rec.answer = answer;
	dev_rec.refuse = extra[0] & 1;

	CHECK(dabt_emulable(esr) == emulable);
	CHECK(dabt_reg(esr) == rt);
	if (!emulable)
		return;
	done = dabt_emulate(&vcpu, &regs, esr);

	CHECK(regs.pc == before.pc && regs.pstate == before.pstate);
	if (!inside) {
		CHECK(!done && dev_rec.calls == 0);
		CHECK(!memcmp(&regs, &before, sizeof(regs)));
		return;
	}
	CHECK(dev_rec.calls == 1 && dev_rec.size == size && dev_rec.write == write);
	CHECK(dev_rec.offset == ipa - DEV_BASE);
	if (write)
		CHECK(dev_rec.value == (rt == 31 ? 0 : truncate(before.x[rt], size)));
	CHECK(done == !dev_rec.refuse);
	CHECK(vcpu.trap_count[TRAP_MMIO] == mmio_before + (done ? 1 : 0));
	for (u32 i = 0; i < 31; i++) {
		if (done && !write && i == rt)
			CHECK(regs.x[i] == expected_load(esr, answer, size));
		else
			CHECK(regs.x[i] == before.x[i]);
	}
	if (done && !write && rt != 31) {
		/* AR (acquire/release) must not change the result */
		struct arch_regs again = before;

		dev_rec.calls = 0;
		CHECK(dabt_emulate(&vcpu, &again, esr ^ DABT_AR));
		CHECK(again.x[rt] == regs.x[rt]);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static bool ready;

	if (!ready) {
		dev.base = ipa_init(DEV_BASE);
		CHECK(mmio_register(&vm.bus, &dev) == 0);
		vcpu.vm = &vm;
		ready = true;
	}
	for (size_t off = 0; off + RECORD <= size; off += RECORD) {
		const u8 *r = data + off;
		u64 esr = le(r, 4) & 0x1ffffffull;
		u64 ipa = le(r + 4, 8);

		/* most inputs aim at the device's window, or just around it */
		if (!(r[20] & 0x80))
			ipa = DEV_BASE - 8 + (ipa % (DEV_SIZE + 16));
		one(esr, ipa, le(r + 12, 8), r + 20);
	}
	return 0;
}
