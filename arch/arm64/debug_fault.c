/*
 * Deliberate hypervisor faults for the shell's debug-fault command: the only
 * way to prove at run time that the panic path works and that the EL2
 * mapping really is W^X. Each access is one instruction in inline assembly
 * so that the compiler can neither drop it nor move it.
 */
#include "arch.h"
#include "sysregs.h"

/* The top page of TTBR0_EL2's 48-bit range: no RAM or device reaches it. */
#define UNMAPPED_VA (0x1000000000000ull - PAGE_SIZE)

#define INSN_RET 0xd65f03c0u

/* A data page holding a valid instruction, so that only XN can stop the fetch. */
static u32 data_code[PAGE_SIZE / sizeof(u32)] __attribute__((aligned(PAGE_SIZE)));

/* Hypervisor text that the write aims at: this function's own first word. */
static void text_target(void)
{
}

u64 arch_debug_fault_addr(enum arch_fault_kind kind)
{
	switch (kind) {
	case ARCH_FAULT_UNMAPPED: return UNMAPPED_VA;
	case ARCH_FAULT_WRITE_TEXT: return (u64)(uintptr_t)text_target;
	case ARCH_FAULT_EXEC_DATA: return (u64)(uintptr_t)data_code;
	}
	return 0;
}

static void load_from(u64 va)
{
	u64 val;

	__asm__ volatile("ldr %0, [%1]" : "=r"(val) : "r"(va) : "memory");
}

static void store_to(u64 va)
{
	__asm__ volatile("str %0, [%1]" : : "r"(0xbadc0deull), "r"(va) : "memory");
}

static void call_into(u64 va)
{
	data_code[0] = INSN_RET;
	arch_clean_dcache_range(data_code, sizeof(data_code[0]));
	arch_invalidate_icache();
	__asm__ volatile("blr %0" : : "r"(va) : "x30", "memory");
}

void arch_debug_fault(enum arch_fault_kind kind)
{
	u64 va = arch_debug_fault_addr(kind);

	if (kind == ARCH_FAULT_UNMAPPED)
		load_from(va);
	else if (kind == ARCH_FAULT_WRITE_TEXT)
		store_to(va);
	else if (kind == ARCH_FAULT_EXEC_DATA)
		call_into(va);
}
