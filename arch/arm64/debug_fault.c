/*
 * Deliberate hypervisor faults for the shell's debug-fault command: the only
 * way to prove at run time that the panic path works, that the EL2
 * mapping really is W^X, and that each control-flow protection catches its
 * attack. Each access is one instruction in inline assembly so that the
 * compiler can neither drop it nor move it.
 */
#include "arch.h"
#include "cfi.h"
#include "core/log.h"
#include "hv_stack.h"
#include "percpu.h"
#include "sysregs.h"

extern char arm64_bti_past_pad[];

/* The top page of TTBR0_EL2's 48-bit range: no RAM or device reaches it. */
#define UNMAPPED_VA (0x1000000000000ull - PAGE_SIZE)

#define INSN_RET 0xd65f03c0u

/* A data page holding a valid instruction, so that only XN can stop the fetch. */
static u32 data_code[PAGE_SIZE / sizeof(u32)] __attribute__((aligned(PAGE_SIZE)));

/* Hypervisor text that the write aims at: this function's own first word. */
static void text_target(void)
{
}

/*
 * Where the overwritten return address leads: reached only if the return
 * went through unchecked. It cannot return (its caller's frame is gone).
 */
static void __attribute__((noinline, noreturn)) attacker_target(void)
{
	panic("debug-fault return-addr: the overwritten return address was followed: "
	      "return addresses are not signed");
}

/* How many bytes canary_victim writes: its array and the 8 beyond. Volatile
 * so that the compiler sees no overrun to warn about or to remove. */
static volatile u32 canary_overrun = 32 + 8;

u64 arch_debug_fault_addr(enum arch_fault_kind kind)
{
	switch (kind) {
	case ARCH_FAULT_UNMAPPED: return UNMAPPED_VA;
	case ARCH_FAULT_WRITE_TEXT: return (u64)(uintptr_t)text_target;
	case ARCH_FAULT_EXEC_DATA: return (u64)(uintptr_t)data_code;
	case ARCH_FAULT_STACK_OVERFLOW: return hv_guard_page(this_percpu()->index);
	case ARCH_FAULT_RETURN_ADDR: return (u64)(uintptr_t)attacker_target;
	case ARCH_FAULT_NO_PAD: return (u64)(uintptr_t)arm64_bti_past_pad;
	case ARCH_FAULT_CANARY: return (u64)(uintptr_t)&canary_overrun;
	}
	return 0;
}

const char *arch_debug_fault_unsupported(enum arch_fault_kind kind)
{
	if (kind == ARCH_FAULT_RETURN_ADDR && !arm64_cpu_has_pauth())
		return "this CPU has no pointer authentication (FEAT_PAuth)";
	if (kind == ARCH_FAULT_NO_PAD && !arm64_cpu_has_bti())
		return "this CPU has no branch target identification (FEAT_BTI)";
	return NULL;
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

/* Each call takes a frame of its own until one lands in the guard page. */
static u64 __attribute__((noinline)) recurse(u64 depth)
{
	volatile u8 pad[512];

	pad[depth % sizeof(pad)] = (u8)depth;
	if (depth == 0)
		return 0;
	return recurse(depth - 1) + pad[depth % sizeof(pad)];
}

/* A non-leaf function (it calls out), so its return address is signed on
 * its stack: overwrite it there, as a stack-smashing attacker would. */
static void __attribute__((noinline)) overwrite_own_return(u64 target)
{
	volatile u64 *frame = __builtin_frame_address(0);  /* x29, then x30 */

	frame[1] = target;
	hv_info("debug-fault return-addr: return address overwritten");
}

static u64 call_past_pad(u64 target)
{
	register u64 x0 __asm__("x0");

	__asm__ volatile("blr %1" : "=r"(x0) : "r"(target) : "x30", "memory");
	return x0;
}

/* -fstack-protector-strong puts the canary right above the array. */
static void __attribute__((noinline)) canary_victim(void)
{
	char buf[32];
	volatile char *p = buf;

	for (u32 i = 0; i < canary_overrun; i++)
		p[i] = 0x5a;
	__asm__ volatile("" : : "r"(buf) : "memory");
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
	else if (kind == ARCH_FAULT_STACK_OVERFLOW)
		recurse(HV_STACK_SIZE);  /* far more than the stack holds */
	else if (kind == ARCH_FAULT_RETURN_ADDR)
		overwrite_own_return(va);
	else if (kind == ARCH_FAULT_NO_PAD)
		call_past_pad(va);
	else if (kind == ARCH_FAULT_CANARY)
		canary_victim();
}
