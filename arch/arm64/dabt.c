/* Emulation of a data abort with a valid syndrome on the VM's MMIO bus. */
#include "dabt.h"
#include "sysregs.h"

ipaddr_t dabt_ipa(void)
{
	return ipa_init(((read_hpfar_el2() & 0x00000ffffffffff0ull) << 8) | (read_far_el2() & 0xfff));
}
