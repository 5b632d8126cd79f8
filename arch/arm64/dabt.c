/* Emulation of a data abort with a valid syndrome on the VM's MMIO bus. */
#include "core/mmio.h"
#include "core/vm.h"
#include "dabt.h"
#include "sysregs.h"

ipaddr_t dabt_ipa(void)
{
	return ipa_init(((read_hpfar_el2() & 0x00000ffffffffff0ull) << 8) | (read_far_el2() & 0xfff));
}

static u64 sign_extend(u64 v, u32 bits)
{
	u64 m = 1ull << (bits - 1);

	return (v ^ m) - m;
}

bool dabt_emulate(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	u32 size = 1u << ((esr >> DABT_SAS_SHIFT) & 3);
	u32 srt = dabt_reg(esr);
	bool write = esr & DABT_WNR;
	u64 value = 0;

	if (write && srt != 31)
		value = regs->x[srt] & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	if (!mmio_access(&vcpu->vm->bus, dabt_ipa(), size, write, &value))
		return false;
	vcpu->trap_count[TRAP_MMIO]++;
	if (!write && srt != 31) {
		if ((esr & DABT_SSE) && size < 8)
			value = sign_extend(value, size * 8);
		if (!(esr & DABT_SF))
			value &= 0xffffffffull;
		regs->x[srt] = value;
	}
	return true;
}
