/*
 * The physical GICv3. Bulkhead routes nothing from the distributor to itself
 * yet; it uses one SGI to kick other CPUs and three PPIs (its timer, the
 * guest's virtual timer and the vGIC maintenance interrupt), all in group 1
 * with the CPU interface in system-register mode.
 */
#include "arch.h"
#include "core/log.h"
#include "core/platform.h"
#include "gicv3.h"
#include "sysregs.h"

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_ARE   (1u << 4)
#define GICD_CTLR_GRP1  (1u << 1)

#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_SGI_BASE   0x10000
#define GICR_IGROUPR0   (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400)
#define GICR_TYPER_LAST (1ull << 4)
#define GICR_TYPER_VLPIS (1ull << 1)
#define WAKER_SLEEP     (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

#define ICC_SRE_SRE     (1ull << 0)
#define ICC_SRE_ENABLE  (1ull << 3)
#define ICH_HCR_EN      (1ull << 0)
#define HV_PRIORITY     0x80

/* Each CPU's own redistributor, found at boot. */
static u64 rd_base[MAX_CPUS];

static u32 gicd_read(u32 off)
{
	return *(volatile u32 *)(uintptr_t)(platform.arch.gicd_base + off);
}

static void gicd_write(u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(platform.arch.gicd_base + off) = v;
}

static u32 gicr_read(u64 frame, u32 off)
{
	return *(volatile u32 *)(uintptr_t)(frame + off);
}

static u64 gicr_read_typer(u64 frame)
{
	return *(volatile u64 *)(uintptr_t)(frame + GICR_TYPER);
}

static void gicr_write(u64 frame, u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(frame + off) = v;
}

/* Register writes to GICD_CTLR complete when RWP clears (a device wait, not a lock). */
static void gicd_wait_rwp(void)
{
	while (gicd_read(GICD_CTLR) & GICD_CTLR_RWP)
		;
}

void gic_init_distributor(void)
{
	u32 lines = ((gicd_read(GICD_TYPER) & 0x1f) + 1) * 32;

	gicd_write(GICD_CTLR, 0);
	gicd_wait_rwp();
	for (u32 i = 32; i < lines; i += 32) {
		gicd_write(GICD_ICENABLER + i / 8, 0xffffffffu);
		gicd_write(GICD_IGROUPR + i / 8, 0xffffffffu);
	}
	gicd_write(GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
	gicd_wait_rwp();
}

static u64 affinity_of(u64 mpidr)
{
	return (mpidr & 0xffffffull) | ((mpidr >> 32) & 0xff) << 24;
}

/* The redistributor whose TYPER names this CPU's affinity. */
static u64 find_redistributor(u64 mpidr)
{
	u64 frame = platform.arch.gicr_base;
	u64 end = platform.arch.gicr_base + platform.arch.gicr_size;

	while (frame < end) {
		u64 typer = gicr_read_typer(frame);

		if ((typer >> 32) == affinity_of(mpidr))
			return frame;
		if (typer & GICR_TYPER_LAST)
			break;
		frame += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
	}
	return 0;
}

static void enable_private(u64 rd, u32 intid)
{
	u8 *prio = (u8 *)(uintptr_t)(rd + GICR_IPRIORITYR + intid);

	*(volatile u8 *)prio = HV_PRIORITY;
	gicr_write(rd, GICR_ISENABLER0, 1u << intid);
}

void gic_init_cpu(u64 mpidr)
{
	u64 rd = find_redistributor(mpidr);

	if (!rd)
		panic("no GIC redistributor for MPIDR 0x%llx", (unsigned long long)mpidr);
	rd_base[arch_cpu_index()] = rd;
	gicr_write(rd, GICR_WAKER, gicr_read(rd, GICR_WAKER) & ~WAKER_SLEEP);
	while (gicr_read(rd, GICR_WAKER) & WAKER_CHILDREN_ASLEEP)
		;
	gicr_write(rd, GICR_ICENABLER0, 0xffffffffu);
	gicr_write(rd, GICR_IGROUPR0, 0xffffffffu);
	enable_private(rd, SGI_KICK);
	enable_private(rd, SGI_VIRQ);
	enable_private(rd, PPI_MAINTENANCE);
	enable_private(rd, PPI_HYP_TIMER);
	enable_private(rd, PPI_VIRT_TIMER);
	enable_private(rd, PPI_PHYS_TIMER);
	enable_private(rd, PPI_PMU);

	write_icc_sre_el2(ICC_SRE_SRE | ICC_SRE_ENABLE);
	isb();
	write_icc_pmr_el1(0xff);
	write_icc_bpr1_el1(0);
	write_icc_ctlr_el1(0);  /* EOImode 0: EOI drops priority and deactivates */
	write_icc_igrpen1_el1(1);
	write_ich_hcr_el2(ICH_HCR_EN);
	isb();
}

void gic_ppi_enable(u32 intid, bool enable)
{
	u64 rd = rd_base[arch_cpu_index()];

	gicr_write(rd, enable ? GICR_ISENABLER0 : GICR_ICENABLER0, 1u << intid);
}

void gic_route_spi_here(u32 intid, u64 mpidr)
{
	volatile u64 *router = (volatile u64 *)(uintptr_t)(platform.arch.gicd_base + GICD_IROUTER +
							   8ull * intid);
	volatile u8 *prio = (volatile u8 *)(uintptr_t)(platform.arch.gicd_base + GICD_IPRIORITYR +
						      intid);

	/* IROUTER: Aff3 in bits [39:32], Aff2.Aff1.Aff0 in bits [23:0] */
	*router = (mpidr & 0xffffffull) | ((mpidr >> 32) & 0xff) << 32;
	*prio = HV_PRIORITY;
	gicd_write(GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

u32 gic_ack(void)
{
	u32 intid = (u32)read_icc_iar1_el1() & 0xffffff;

	__asm__ volatile("dsb sy" ::: "memory");
	return intid;
}

void gic_eoi(u32 intid)
{
	write_icc_eoir1_el1(intid);
	isb();
}

void gic_send_sgi(u64 mpidr, u32 sgi)
{
	u64 aff1 = (mpidr >> 8) & 0xff, aff2 = (mpidr >> 16) & 0xff, aff3 = (mpidr >> 32) & 0xff;
	u64 aff0 = mpidr & 0xff;
	u64 v = (aff3 << 48) | (aff2 << 32) | ((u64)sgi << 24) | (aff1 << 16) |
		((aff0 / 16) << 44) | (1ull << (aff0 % 16));

	dsb_ish();
	write_icc_sgi1r_el1(v);
	isb();
}

u32 gic_list_registers(void)
{
	return (u32)(read_ich_vtr_el2() & 0x1f) + 1;
}

#define LR_CASE(n, crm, op2)                                                        \
	case n:                                                                     \
		if (write)                                                          \
			__asm__ volatile("msr S3_4_C12_" crm "_" op2 ", %0" : : "r"(v)); \
		else                                                                \
			__asm__ volatile("mrs %0, S3_4_C12_" crm "_" op2 : "=r"(v));     \
		break;

/* ICH_LR<n>_EL2: the register number is part of the instruction encoding. */
static u64 access_lr(u32 n, bool write, u64 v)
{
	switch (n) {
	LR_CASE(0, "C12", "0") LR_CASE(1, "C12", "1") LR_CASE(2, "C12", "2") LR_CASE(3, "C12", "3")
	LR_CASE(4, "C12", "4") LR_CASE(5, "C12", "5") LR_CASE(6, "C12", "6") LR_CASE(7, "C12", "7")
	LR_CASE(8, "C13", "0") LR_CASE(9, "C13", "1") LR_CASE(10, "C13", "2") LR_CASE(11, "C13", "3")
	LR_CASE(12, "C13", "4") LR_CASE(13, "C13", "5") LR_CASE(14, "C13", "6") LR_CASE(15, "C13", "7")
	default:
		break;
	}
	return v;
}

u64 gic_read_lr(u32 n)
{
	return access_lr(n, false, 0);
}

void gic_write_lr(u32 n, u64 value)
{
	access_lr(n, true, value);
}

/* ICH_AP0R<n>_EL2 and ICH_AP1R<n>_EL2: one bit per active group priority.
 * 5 priority bits need one register per group, 6 need two, 7 need four. */
u32 gic_active_priority_registers(void)
{
	u32 pre_bits = (u32)((read_ich_vtr_el2() >> 26) & 7) + 1;

	return pre_bits <= 5 ? 1 : 1u << (pre_bits - 5);
}

static u64 access_apr(u32 group, u32 n, bool write, u64 v)
{
	switch (group * 4 + n) {
	LR_CASE(0, "C8", "0") LR_CASE(1, "C8", "1") LR_CASE(2, "C8", "2") LR_CASE(3, "C8", "3")
	LR_CASE(4, "C9", "0") LR_CASE(5, "C9", "1") LR_CASE(6, "C9", "2") LR_CASE(7, "C9", "3")
	default:
		break;
	}
	return v;
}

u64 gic_read_apr(u32 group, u32 n)
{
	return access_apr(group, n, false, 0);
}

void gic_write_apr(u32 group, u32 n, u64 value)
{
	access_apr(group, n, true, value);
}
