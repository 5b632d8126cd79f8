/* Per-CPU EL2 configuration and the arch CPU services of include/arch.h. */
#include "arch.h"
#include "hv_stack.h"
#include "percpu.h"
#include "sysregs.h"
#include "vpmu.h"
#include "vsve.h"

struct arm64_percpu arm64_percpu[MAX_CPUS];
u64 secondary_stack_tops[MAX_CPUS];
struct hv_stack_slot hv_stacks[MAX_CPUS] __attribute__((aligned(HV_STACK_SLOT)));

extern char el2_vectors[];

#define HCR_VM    (1ull << 0)
#define HCR_SWIO  (1ull << 1)
#define HCR_FMO   (1ull << 3)
#define HCR_IMO   (1ull << 4)
#define HCR_AMO   (1ull << 5)
#define HCR_FB    (1ull << 9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_TWI   (1ull << 13)
#define HCR_TWE   (1ull << 14)
#define HCR_TID3  (1ull << 18)
#define HCR_TSC   (1ull << 19)
#define HCR_TIDCP (1ull << 20)
#define HCR_TACR  (1ull << 21)
#define HCR_TSW   (1ull << 22)
#define HCR_TVM   (1ull << 26)
#define HCR_RW    (1ull << 31)
#define HCR_TLOR  (1ull << 35)
#define HCR_TERR  (1ull << 36)

/*
 * Guests run AArch64 at EL1 under stage 2; physical interrupts and SErrors
 * come to EL2; SMC, WFI/WFE, ID registers, set/way maintenance and
 * implementation-defined registers trap; TLB and cache maintenance is
 * broadcast inner-shareable so a vCPU that moves stays coherent. Pointer
 * authentication is hidden from guests (ID registers) and its keys are
 * Bulkhead's own (cfi_boot.c): the key registers trap (APK clear), and so
 * does any PAC instruction a guest enables in SCTLR_EL1 (API clear), so no
 * guest can sign or check a pointer with the hypervisor's key. Disabled,
 * the HINT-space ones (PACIASP, AUTIASP) stay no-ops and do not trap.
 */
static const u64 hcr_guest = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB |
			     HCR_BSU_IS | HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP |
			     HCR_TACR | HCR_TSW | HCR_RW;

/* MDCR_EL2: debug, OS lock, debug ROM and PMU accesses trap (the PMU's
 * controls come from vpmu.c). */
#define MDCR_TDA   (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_TDRA  (1ull << 11)

/* CPTR_EL2: RES1 bits, plus TZ (SVE: until a vCPU uses it, vsve.c) and TSM (SME:
 * not virtualized) trapped. */
#define CPTR_EL2_RES1 0x32ffull
#define CPTR_TZ  (1ull << 8)
#define CPTR_TSM (1ull << 12)

/* CNTHCTL_EL2: EL1 reads the physical counter and owns the EL1 physical
 * timer (switched per vCPU, vtimer.c); no virtual counter offset. */
#define CNTHCTL_EL1PCTEN (1ull << 0)
#define CNTHCTL_EL1PCEN  (1ull << 1)

/* 39-bit IPA, start at level 1, 4K granule, inner-shareable write-back walks. */
#define VTCR_T0SZ_39  25ull
#define VTCR_SL0_L1   (1ull << 6)
#define VTCR_IRGN_WB  (1ull << 8)
#define VTCR_ORGN_WB  (1ull << 10)
#define VTCR_SH_INNER (3ull << 12)
#define VTCR_PS_SHIFT 16
#define VTCR_RES1     (1ull << 31)

/*
 * Registers a guest could write and another read if they were left alone:
 * the LORegion registers (FEAT_LOR, hidden from guests) and the RAS error
 * record registers (ERR*, FEAT_RAS) trap and are UNDEFINED to the guest.
 * Each trap bit is RES0 on a CPU without its feature, so it is set only
 * where the feature is.
 */
static u64 hcr_extra_traps(void)
{
	u64 traps = 0;

	if ((read_id_aa64mmfr1_el1() >> 16) & 0xf)  /* LO */
		traps |= HCR_TLOR;
	if ((read_id_aa64pfr0_el1() >> 28) & 0xf)   /* RAS */
		traps |= HCR_TERR;
	return traps;
}

static u64 hcr_now[MAX_CPUS];

void arm64_hcr_tvm(bool on)
{
	u32 cpu = this_percpu()->index;
	u64 hcr = hcr_guest | hcr_extra_traps() | (on ? HCR_TVM : 0);

	if (hcr_now[cpu] != hcr) {
		write_hcr_el2(hcr);
		isb();
		hcr_now[cpu] = hcr;
	}
}

u64 pa_range_field(void)
{
	u64 parange = read_id_aa64mmfr0_el1() & 0xf;

	return parange > 5 ? 5 : parange; /* at most 48 bits */
}

void arm64_cpu_init(u32 index)
{
	struct arm64_percpu *p = &arm64_percpu[index];

	p->index = index;
	p->emergency_sp = hv_emergency_top(index);
	write_tpidr_el2((u64)(uintptr_t)p);
	write_vbar_el2((u64)(uintptr_t)el2_vectors);
	write_hcr_el2(hcr_guest | hcr_extra_traps());
	hcr_now[index] = hcr_guest | hcr_extra_traps();
	write_vtcr_el2(VTCR_T0SZ_39 | VTCR_SL0_L1 | VTCR_IRGN_WB | VTCR_ORGN_WB | VTCR_SH_INNER |
		       (pa_range_field() << VTCR_PS_SHIFT) | VTCR_RES1);
	write_cptr_el2(CPTR_EL2_RES1 | CPTR_TZ | CPTR_TSM);
	vsve_cpu_init(index);
	write_mdcr_el2(MDCR_TDA | MDCR_TDOSA | MDCR_TDRA | vpmu_cpu_init());
	write_cnthctl_el2(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
	write_cntvoff_el2(0);
	write_vpidr_el2(read_midr_el1());
	isb();
	tlbi_alle1();
}

u32 arch_cpu_index(void)
{
	return this_percpu()->index;
}

void arch_wait_event(void)
{
	wfe();
}

void arch_send_event(void)
{
	dsb_ish();
	sev();
}

u64 arch_counter_read(void)
{
	isb();
	return read_cntpct_el0();
}

u64 arch_counter_freq(void)
{
	return read_cntfrq_el0();
}

void arch_system_off(void)
{
	psci_fw_system_off();
	for (;;)
		wfi();
}

void arch_clean_dcache_range(const void *p, u64 size)
{
	u64 line = 4ull << ((read_ctr_el0() >> 16) & 0xf); /* CTR_EL0.DminLine */
	u64 addr = align_down((u64)(uintptr_t)p, line);
	u64 end = (u64)(uintptr_t)p + size;

	for (; addr < end; addr += line)
		__asm__ volatile("dc cvac, %0" : : "r"(addr) : "memory");
	dsb_sy();
}

void arch_clean_invalidate_dcache_range(const void *p, u64 size)
{
	u64 line = 4ull << ((read_ctr_el0() >> 16) & 0xf);
	u64 addr = align_down((u64)(uintptr_t)p, line);
	u64 end = (u64)(uintptr_t)p + size;

	for (; addr < end; addr += line)
		__asm__ volatile("dc civac, %0" : : "r"(addr) : "memory");
	dsb_sy();
}

void arch_invalidate_icache(void)
{
	__asm__ volatile("ic ialluis; dsb ish; isb" ::: "memory");
}

/* DC ZVA zeroes a whole block per instruction; DCZID_EL0 gives its size. */
static u64 zva_block(void)
{
	u64 dczid;

	__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
	if (dczid & (1u << 4))
		return 0; /* DC ZVA prohibited */
	return 4ull << (dczid & 0xf);
}

void arch_scrub(void *p, u64 size)
{
	u64 block = zva_block();
	u64 addr = (u64)(uintptr_t)p;
	u64 end = addr + size;

	if (block && is_aligned(addr | size, block)) {
		for (; addr < end; addr += block)
			__asm__ volatile("dc zva, %0" : : "r"(addr) : "memory");
	} else {
		for (u64 *q = p; (u64)(uintptr_t)q < end; q++)
			*q = 0;
	}
	arch_clean_dcache_range(p, size);
}
