/*
 * A minimal GICv3 driver for the `gic` mode: the distributor and
 * redistributors found in the device tree, the CPU interface through the
 * ICC_* system registers. Everything is group 1 (the VM sees one security
 * state), affinity routing on, EOImode 0.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "lib/string.h"

/* Distributor */
#define GICD_CTLR        0x0000
#define GICD_TYPER       0x0004
#define GICD_IGROUPR     0x0080
#define GICD_ISENABLER   0x0100
#define GICD_ICENABLER   0x0180
#define GICD_ICPENDR     0x0280
#define GICD_IPRIORITYR  0x0400
#define GICD_ICFGR       0x0c00
#define GICD_IROUTER     0x6000
#define CTLR_ENABLE_G1   (1u << 1)
#define CTLR_ARE         (1u << 4)
#define CTLR_RWP         (1u << 31)

/* Redistributor RD_base frame */
#define GICR_CTLR        0x0000
#define GICR_TYPER       0x0008
#define GICR_WAKER       0x0014
#define GICR_STRIDE      0x20000
#define GICR_SGI_OFFSET  0x10000
#define TYPER_LAST       (1ull << 4)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

/* Redistributor SGI_base frame */
#define GICR_IGROUPR0    0x0080
#define GICR_ISENABLER0  0x0100
#define GICR_ICENABLER0  0x0180
#define GICR_ICPENDR0    0x0280
#define GICR_IPRIORITYR  0x0400

struct gic_info gic;
static u64 rd_base[SMP_MAX_CPUS];

u32 cpu_id(void)
{
	return (u32)(read_sysreg(mpidr_el1) & 0xff);
}

int gic_probe(void)
{
	const struct fdt *fdt = &plat.fdt;
	int node, cpus;

	if (!plat.fdt_ok)
		return -1;
	node = fdt_find_compatible(fdt, -1, "arm,gic-v3");
	if (node < 0 || !fdt_get_reg(fdt, node, 0, &gic.gicd, &gic.gicd_size) ||
	    !fdt_get_reg(fdt, node, 1, &gic.gicr, &gic.gicr_size) || !gic.gicd_size ||
	    !gic.gicr_size)
		return -1;
	cpus = fdt_find_path(fdt, "/cpus");
	for (int n = cpus >= 0 ? fdt_first_child(fdt, cpus) : -1; n >= 0;
	     n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_prop_string(fdt, n, "device_type");

		if (type && !strcmp(type, "cpu"))
			gic.nr_cpus++;
	}
	if (mmu_map(gic.gicd, gic.gicd_size, MAP_DEVICE) ||
	    mmu_map(gic.gicr, gic.gicr_size, MAP_DEVICE))
		return -1;
	return 0;
}

static bool wait_dist_rwp(void)
{
	return WAIT_UNTIL(!(mmio_read32(gic.gicd + GICD_CTLR) & CTLR_RWP), 100);
}

const char *gic_dist_init(void)
{
	u32 lines = (mmio_read32(gic.gicd + GICD_TYPER) & 0x1f) + 1;  /* 32-INTID blocks */
	u32 ctlr;

	if (lines * 32 > NR_INTIDS)
		lines = NR_INTIDS / 32;
	mmio_write32(gic.gicd + GICD_CTLR, CTLR_ARE);
	if (!wait_dist_rwp())
		return "GICD_CTLR.RWP stays set";
	/* SPIs: disabled, not pending, group 1, default priority. */
	for (u32 i = 1; i < lines; i++) {
		mmio_write32(gic.gicd + GICD_ICENABLER + 4 * i, ~0u);
		mmio_write32(gic.gicd + GICD_ICPENDR + 4 * i, ~0u);
		mmio_write32(gic.gicd + GICD_IGROUPR + 4 * i, ~0u);
	}
	for (u32 i = 32; i < lines * 32; i += 4)
		mmio_write32(gic.gicd + GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
	mmio_write32(gic.gicd + GICD_CTLR, CTLR_ARE | CTLR_ENABLE_G1);
	if (!wait_dist_rwp())
		return "GICD_CTLR.RWP stays set";
	ctlr = mmio_read32(gic.gicd + GICD_CTLR);
	if ((ctlr & (CTLR_ARE | CTLR_ENABLE_G1)) != (CTLR_ARE | CTLR_ENABLE_G1))
		return "GICD_CTLR does not read back ARE and EnableGrp1";
	return NULL;
}

/* The redistributor whose GICR_TYPER affinity is `aff` (Aff3.Aff2.Aff1.Aff0), or 0. */
static u64 find_rd(u32 aff)
{
	for (u64 off = 0; off + GICR_STRIDE <= gic.gicr_size; off += GICR_STRIDE) {
		u64 typer = mmio_read64(gic.gicr + off + GICR_TYPER);

		if ((u32)(typer >> 32) == aff)
			return gic.gicr + off;
		if (typer & TYPER_LAST)
			break;
	}
	return 0;
}

u64 gic_rd(u32 cpu)
{
	if (cpu >= SMP_MAX_CPUS)
		return 0;
	if (!rd_base[cpu])
		rd_base[cpu] = find_rd(cpu);  /* vCPU i has Aff0 = i, Aff1-3 = 0 */
	return rd_base[cpu];
}

u64 gic_sgi_frame(u32 cpu)
{
	u64 rd = gic_rd(cpu);

	return rd ? rd + GICR_SGI_OFFSET : 0;
}

void gic_set_private_prio(u32 cpu, u32 intid, u8 prio)
{
	mmio_write8(gic_sgi_frame(cpu) + GICR_IPRIORITYR + intid, prio);
}

void gic_enable_private(u32 cpu, u32 intid, bool on)
{
	u64 sgi = gic_sgi_frame(cpu);

	mmio_write32(sgi + (on ? GICR_ISENABLER0 : GICR_ICENABLER0), 1u << intid);
}

const char *gic_cpu_init(void)
{
	u32 cpu = cpu_id();
	u64 rd, sgi, sre;

	if (cpu >= SMP_MAX_CPUS)
		return "Aff0 beyond what the guest supports";
	rd = gic_rd(cpu);
	if (!rd)
		return "no redistributor with this vCPU's affinity";
	sgi = rd + GICR_SGI_OFFSET;

	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~WAKER_PROCESSOR_SLEEP);
	if (!WAIT_UNTIL(!(mmio_read32(rd + GICR_WAKER) & WAKER_CHILDREN_ASLEEP), 100))
		return "GICR_WAKER.ChildrenAsleep stays set";

	/* SGIs enabled, PPIs disabled until a check wants one; all group 1. */
	mmio_write32(sgi + GICR_ICENABLER0, ~0u);
	mmio_write32(sgi + GICR_ICPENDR0, ~0u);
	mmio_write32(sgi + GICR_IGROUPR0, ~0u);
	for (u32 i = 0; i < 32; i += 4)
		mmio_write32(sgi + GICR_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
	mmio_write32(sgi + GICR_ISENABLER0, 0xffffu);

	write_sysreg_s(ICC_SRE_EL1, read_sysreg_s(ICC_SRE_EL1) | 1);
	isb();
	sre = read_sysreg_s(ICC_SRE_EL1);
	if (!(sre & 1))
		return "ICC_SRE_EL1.SRE reads 0";
	write_sysreg_s(ICC_PMR_EL1, PMR_DEFAULT);
	write_sysreg_s(ICC_BPR1_EL1, 0);
	write_sysreg_s(ICC_CTLR_EL1, 0);       /* EOImode 0: EOIR also deactivates */
	write_sysreg_s(ICC_IGRPEN1_EL1, 1);
	isb();
	if (!(read_sysreg_s(ICC_IGRPEN1_EL1) & 1))
		return "ICC_IGRPEN1_EL1 reads 0";
	return NULL;
}

void gic_send_sgi(u64 sgi1r)
{
	write_sysreg_s(ICC_SGI1R_EL1, sgi1r);
	isb();
}

void gic_sgi_to(u32 cpu, u32 intid)
{
	gic_send_sgi((1ull << cpu) | SGI1R_INTID(intid));
}

void gic_enable_spi(u32 intid, bool edge)
{
	u64 d = gic.gicd;
	u32 cfg = GICD_ICFGR + 4 * (intid / 16), field = 2 * (intid % 16);
	u32 v = mmio_read32(d + cfg) & ~(2u << field);

	mmio_write32(d + cfg, v | (edge ? 2u << field : 0));
	mmio_write64(d + GICD_IROUTER + 8 * intid, 0);    /* Aff 0.0.0.0: vCPU 0 */
	mmio_write32(d + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}
