/*
 * The GICv3 register front end of the vGIC: the distributor (GICD) and the
 * redistributors (GICR: RD_base and SGI_base frames) as MMIO registers over
 * the interrupt state model (vgic.h). A GICv2 front end would sit beside it
 * on the same model.
 *
 * The guest sees one security state (GICD_CTLR.DS = 1) with affinity routing
 * always on (ARE RAO/WI), so the distributor's registers for INTIDs 0-31 are
 * RAZ/WI and those interrupts are programmed through each vCPU's
 * redistributor SGI frame. No LPIs, no ITS, no extended SPI/PPI ranges, no
 * 1-of-N SPI routing (TYPER.No1N = 1, IROUTER.IRM RAZ/WI).
 *
 * Accepted access widths: 32 bits everywhere; 8 bits for IPRIORITYR; 64 bits
 * (or either 32-bit half) for GICD_IROUTER, GICR_TYPER, GICR_PROPBASER and
 * GICR_PENDBASER. Anything else, a misaligned access, or an offset past the
 * frames returns false.
 *
 * Register reads show the model, also for interrupts held in a list
 * register. Writes change the model; for an interrupt held in a list
 * register, the written state (pending, active) is marked stale in the
 * register, so that the model's wins when the register comes back (every
 * write kicks the vCPUs, which then sync and refill at once): an ICACTIVER
 * write deactivates an interrupt the guest is handling, as on hardware.
 */
#include "types.h"
#include "core/spinlock.h"
#include "vgic.h"
#include "vgic_lock.h"
#include "vgic_v3_regs.h"

_Static_assert(VGIC_REDIST_STRIDE == 0x20000, "two 64 KiB frames per redistributor");

/* Distributor (GICD) register offsets */
#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_TYPER2     0x000c
#define GICD_BITS_START 0x0080   /* IGROUPR .. ICACTIVER: seven 0x80-byte blocks */
#define GICD_BITS_END   0x0400
#define GICD_IPRIORITYR 0x0400
#define GICD_IPRIO_END  0x07fc   /* 1020 priority bytes */
#define GICD_ICFGR      0x0c00
#define GICD_ICFGR_END  0x0d00
#define GICD_IROUTER    0x6000   /* 64-bit register per INTID; 0-31 reserved */
#define GICD_IROUTER_END 0x7fe0  /* 1020 registers */
#define GIC_ID_START    0xffd0   /* PIDR4..PIDR7, PIDR0..PIDR3, CIDR0..CIDR3 */

/* Redistributor RD_base frame */
#define GICR_CTLR       0x0000
#define GICR_IIDR       0x0004
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PROPBASER  0x0070
#define GICR_PENDBASER  0x0078
#define GICR_SGI_FRAME  0x10000  /* SGI_base frame, from RD_base */

/* Redistributor SGI_base frame */
#define GICR_IPRIORITYR 0x0400
#define GICR_IPRIO_END  0x0420
#define GICR_ICFGR0     0x0c00
#define GICR_ICFGR1     0x0c04

/* The blocks of one-bit-per-INTID registers, by (offset >> 7). */
enum bit_reg {
	REG_IGROUPR = 1,
	REG_ISENABLER,
	REG_ICENABLER,
	REG_ISPENDR,
	REG_ICPENDR,
	REG_ISACTIVER,
	REG_ICACTIVER,
};

#define CTLR_ENABLE_G0  VGIC_CTLR_ENABLE_G0
#define CTLR_ENABLE_G1  VGIC_CTLR_ENABLE_G1   /* EnableGrp1A, or EnableGrp1 with DS = 1 */
#define CTLR_ARE        VGIC_CTLR_ARE
#define CTLR_DS         (1u << 6)

#define TYPER_IDBITS(n) ((u32)((n) - 1) << 19)
#define TYPER_A3V       (1u << 24)
#define TYPER_NO1N      (1u << 25)

/* JEP106 code of Arm (bank 4, 0x3b), product 0, variant 0, revision 0. */
#define VGIC_IIDR       0x0000043bu

#define GICR_TYPER_LAST (1u << 4)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

#define ICFGR_SGI       0xaaaaaaaau  /* every SGI edge-triggered, read-only */

#define PRIO_MASK ((u8)(0xff << (8 - VGIC_PRIO_BITS)))

/*
 * ID registers from 0xffd0: PIDR4-7, PIDR0-3, CIDR0-3. Designer Arm
 * (JEP106 0x3b, continuation 4), part 0; PIDR2.ArchRev = 3 (GICv3).
 */
static const u8 gic_id[12] = {
	0x44, 0x00, 0x00, 0x00,
	0x00, 0xb0, 0x3b, 0x00,
	0x0d, 0xf0, 0x05, 0xb1,
};

/* GICR_TYPER.Affinity_Value: Aff3.Aff2.Aff1.Aff0 as one 32-bit value. */
static u32 affinity32(u64 mpidr)
{
	return (u32)(mpidr & 0xffffff) | (u32)((mpidr >> 32) & 0xff) << 24;
}

static void set_priority(struct vgic_irq *irq, u32 value)
{
	irq->priority = (u8)value & PRIO_MASK;
}

/* --- registers shared by the distributor and the SGI frame ---------------- */

/* A one-bit-per-INTID register over the 32 interrupts `irqs` (NULL: RAZ/WI). */
static u32 bits_read(const struct vgic_irq *irqs, enum bit_reg reg)
{
	u32 v = 0;

	if (!irqs)
		return 0;
	for (u32 i = 0; i < 32; i++) {
		const struct vgic_irq *irq = &irqs[i];
		bool bit;

		switch (reg) {
		case REG_IGROUPR:
			bit = irq->group1;
			break;
		case REG_ISENABLER:
		case REG_ICENABLER:
			bit = irq->enabled;
			break;
		case REG_ISPENDR:
		case REG_ICPENDR:
			bit = vgic_irq_pending(irq);
			break;
		default:
			bit = irq->active;
			break;
		}
		v |= (u32)bit << i;
	}
	return v;
}

/* Returns the interrupts the write may have made pending or active. */
static u32 bits_write(struct vgic_irq *irqs, enum bit_reg reg, u32 value)
{
	if (!irqs)
		return 0;
	for (u32 i = 0; i < 32; i++) {
		struct vgic_irq *irq = &irqs[i];
		bool bit = (value >> i) & 1;

		if (reg == REG_IGROUPR) {
			irq->group1 = bit;
			continue;
		}
		if (!bit)
			continue;
		switch (reg) {
		case REG_ISENABLER: irq->enabled = true; break;
		case REG_ICENABLER: irq->enabled = false; break;
		case REG_ISPENDR: irq->pending = true; break;
		case REG_ICPENDR: irq->pending = false; break;
		case REG_ISACTIVER: irq->active = true; break;
		case REG_ICACTIVER: irq->active = false; break;
		default: break;
		}
		if (irq->in_lr && (reg == REG_ISPENDR || reg == REG_ICPENDR))
			irq->lr_stale |= VGIC_LR_STALE_PENDING;
		if (irq->in_lr && (reg == REG_ISACTIVER || reg == REG_ICACTIVER))
			irq->lr_stale |= VGIC_LR_STALE_ACTIVE;
	}
	return reg == REG_ISPENDR || reg == REG_ISACTIVER ? value : 0;
}

/* Four priority bytes, for the interrupts `irqs` (NULL: RAZ/WI). */
static u32 prio_read(const struct vgic_irq *irqs)
{
	u32 v = 0;

	if (!irqs)
		return 0;
	for (u32 i = 0; i < 4; i++)
		v |= (u32)irqs[i].priority << (8 * i);
	return v;
}

static void prio_write(struct vgic_irq *irqs, u32 value)
{
	if (!irqs)
		return;
	for (u32 i = 0; i < 4; i++)
		set_priority(&irqs[i], value >> (8 * i));
}

/* Sixteen 2-bit configuration fields; bit 1 of each means edge-triggered. */
static u32 cfg_read(const struct vgic_irq *irqs)
{
	u32 v = 0;

	if (!irqs)
		return 0;
	for (u32 i = 0; i < 16; i++)
		v |= (u32)irqs[i].edge << (2 * i + 1);
	return v;
}

static void cfg_write(struct vgic_irq *irqs, u32 value)
{
	if (!irqs)
		return;
	for (u32 i = 0; i < 16; i++)
		irqs[i].edge = (value >> (2 * i + 1)) & 1;
}

static u32 id_read(u64 off)
{
	return gic_id[(off - GIC_ID_START) / 4];
}

/* --- distributor ----------------------------------------------------------- */

/* Distributor words that never change (dist_read32 returns constants for
 * them): guests poll IIDR and TYPER, so the trap vector answers them. */
const u16 vgic_dist_fixed_regs[VGIC_DIST_FIXED_REGS] = {
	GICD_IIDR, GICD_TYPER, GICD_TYPER2, GIC_ID_START + 0x18 /* PIDR2 */,
};

/* The SPIs from `intid` on, when [intid, intid + n) are all SPIs; otherwise NULL. */
static struct vgic_irq *spis_from(struct vgic *g, u64 intid, u32 n)
{
	if (intid < VGIC_NR_PRIVATE || intid + n > VGIC_NR_IRQS)
		return NULL;
	return &g->spi[intid - VGIC_NR_PRIVATE];
}

static u32 dist_typer(void)
{
	return (VGIC_NR_IRQS / 32 - 1) | TYPER_IDBITS(10) | TYPER_A3V | TYPER_NO1N;
}

/* One 32-bit word of the distributor (`off` 4-aligned and inside the frame). */
static u32 dist_read32(struct vgic_locked l, u64 off)
{
	struct vgic *g = l.g;
	struct vgic_irq *spi;

	if (off >= GICD_BITS_START && off < GICD_BITS_END)
		return bits_read(spis_from(g, ((off & 0x7f) / 4) * 32, 32), (enum bit_reg)(off >> 7));
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIO_END)
		return prio_read(spis_from(g, off - GICD_IPRIORITYR, 4));
	if (off >= GICD_ICFGR && off < GICD_ICFGR_END)
		return cfg_read(spis_from(g, (off - GICD_ICFGR) / 4 * 16, 16));
	if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
		spi = spis_from(g, (off - GICD_IROUTER) / 8, 1);
		if (!spi)
			return 0;
		return (u32)(spi->route >> (off & 4 ? 32 : 0));
	}
	if (off >= GIC_ID_START)
		return id_read(off);
	switch (off) {
	case GICD_CTLR:
		return g->ctlr | CTLR_ARE | CTLR_DS;
	case GICD_TYPER:
		return dist_typer();
	case GICD_IIDR:
		return VGIC_IIDR;
	default:
		return 0; /* TYPER2, STATUSR, IGRPMODR, NSACR, ITARGETSR, reserved */
	}
}

static void dist_write32(struct vgic_locked l, u64 off, u32 value)
{
	struct vgic *g = l.g;
	struct vgic_irq *spi;

	if (off >= GICD_BITS_START && off < GICD_BITS_END) {
		u32 word = (u32)(off & 0x7f) / 4;
		u32 busy = bits_write(spis_from(g, word * 32, 32), (enum bit_reg)(off >> 7), value);

		if (busy)  /* word 0 is the private INTIDs: spis_from gave NULL */
			g->spi_busy[word - 1] |= busy;
	} else if (off >= GICD_IPRIORITYR && off < GICD_IPRIO_END) {
		prio_write(spis_from(g, off - GICD_IPRIORITYR, 4), value);
	} else if (off >= GICD_ICFGR && off < GICD_ICFGR_END) {
		cfg_write(spis_from(g, (off - GICD_ICFGR) / 4 * 16, 16), value);
	} else if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
		spi = spis_from(g, (off - GICD_IROUTER) / 8, 1);
		if (!spi)
			return;
		if (off & 4)
			spi->route = (spi->route & 0xffffffffull) | (u64)(value & 0xff) << 32;
		else
			spi->route = (spi->route & ~0xffffffffull) | (value & 0x00ffffff);
	} else if (off == GICD_CTLR) {
		g->ctlr = (value & (CTLR_ENABLE_G0 | CTLR_ENABLE_G1)) | CTLR_ARE;
	}
	/* everything else is read-only or RAZ/WI */
}

static bool dist_access_ok(u64 off, u32 size)
{
	if (off >= VGIC_DIST_SIZE || !is_aligned(off, size ? size : 1))
		return false;
	switch (size) {
	case 1:
		return off >= GICD_IPRIORITYR && off < GICD_IPRIO_END;
	case 4:
		return true;
	case 8:
		return off >= GICD_IROUTER && off < GICD_IROUTER_END;
	default:
		return false;
	}
}

/* --- redistributors -------------------------------------------------------- */

static u32 rd_read32(struct vgic_locked l, u32 v, u64 off)
{
	struct vgic *g = l.g;
	const struct vgic_cpu *c = &g->cpus[v];

	if (off >= GIC_ID_START)
		return id_read(off);
	switch (off) {
	case GICR_IIDR:
		return VGIC_IIDR;
	case GICR_TYPER:
		return (v << 8) | (v + 1 == g->ncpus ? GICR_TYPER_LAST : 0);
	case GICR_TYPER + 4:
		return affinity32(c->mpidr);
	case GICR_WAKER:
		return c->sleeping ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
	default:
		return 0; /* CTLR, STATUSR, PROPBASER, PENDBASER, reserved */
	}
}

static void rd_write32(struct vgic_locked l, u32 v, u64 off, u32 value)
{
	struct vgic *g = l.g;

	if (off == GICR_WAKER)
		g->cpus[v].sleeping = value & WAKER_PROCESSOR_SLEEP;
}

static u32 sgi_read32(struct vgic_locked l, u32 v, u64 off)
{
	struct vgic *g = l.g;
	struct vgic_irq *priv = g->cpus[v].priv;

	if (off >= GICD_BITS_START && off < GICD_BITS_END)
		return bits_read((off & 0x7f) ? NULL : priv, (enum bit_reg)(off >> 7));
	if (off >= GICR_IPRIORITYR && off < GICR_IPRIO_END)
		return prio_read(&priv[off - GICR_IPRIORITYR]);
	if (off == GICR_ICFGR0)
		return ICFGR_SGI;
	if (off == GICR_ICFGR1)
		return cfg_read(&priv[16]);
	return 0; /* IGRPMODR0, NSACR, extended ranges, reserved */
}

static void sgi_write32(struct vgic_locked l, u32 v, u64 off, u32 value)
{
	struct vgic *g = l.g;
	struct vgic_irq *priv = g->cpus[v].priv;

	if (off >= GICD_BITS_START && off < GICD_BITS_END)
		g->cpus[v].busy |= bits_write((off & 0x7f) ? NULL : priv, (enum bit_reg)(off >> 7),
					      value);
	else if (off >= GICR_IPRIORITYR && off < GICR_IPRIO_END)
		prio_write(&priv[off - GICR_IPRIORITYR], value);
	else if (off == GICR_ICFGR1)
		cfg_write(&priv[16], value);
}

static u32 redist_read32(struct vgic_locked l, u32 v, u64 off)
{
	if (off >= GICR_SGI_FRAME)
		return sgi_read32(l, v, off - GICR_SGI_FRAME);
	return rd_read32(l, v, off);
}

static void redist_write32(struct vgic_locked l, u32 v, u64 off, u32 value)
{
	if (off >= GICR_SGI_FRAME)
		sgi_write32(l, v, off - GICR_SGI_FRAME, value);
	else
		rd_write32(l, v, off, value);
}

/* Splits `offset` into vCPU and offset within its redistributor. */
static bool redist_access_ok(const struct vgic *g, u64 offset, u32 size, u32 *v, u64 *off)
{
	if (offset / VGIC_REDIST_STRIDE >= g->ncpus || !is_aligned(offset, size ? size : 1))
		return false;
	*v = (u32)(offset / VGIC_REDIST_STRIDE);
	*off = offset % VGIC_REDIST_STRIDE;
	switch (size) {
	case 1:
		return *off >= GICR_SGI_FRAME + GICR_IPRIORITYR && *off < GICR_SGI_FRAME + GICR_IPRIO_END;
	case 4:
		return true;
	case 8:
		return *off == GICR_TYPER || *off == GICR_PROPBASER || *off == GICR_PENDBASER;
	default:
		return false;
	}
}

/* --- MMIO entry points ----------------------------------------------------- */

/*
 * Both kinds of frame are built from 32-bit words: a 64-bit access is its two
 * halves, a byte access (priority registers only) one byte of its word.
 * `v` < 0 is the distributor, otherwise vCPU v's redistributor.
 */
static u32 word_read(struct vgic_locked l, int v, u64 off)
{
	return v < 0 ? dist_read32(l, off) : redist_read32(l, (u32)v, off);
}

static void word_write(struct vgic_locked l, int v, u64 off, u32 value)
{
	if (v < 0)
		dist_write32(l, off, value);
	else
		redist_write32(l, (u32)v, off, value);
}

static u64 mmio_read(struct vgic *g, int v, u64 off, u32 size)
{
	struct vgic_locked l;
	u64 val;

	l = vgic_lock(g);
	if (size == 8)
		val = word_read(l, v, off) | (u64)word_read(l, v, off + 4) << 32;
	else if (size == 4)
		val = word_read(l, v, off);
	else
		val = (word_read(l, v, off & ~3ull) >> (8 * (off & 3))) & 0xff;
	vgic_unlock(l);
	return val;
}

static void mmio_write(struct vgic *g, int v, u64 off, u32 size, u64 value)
{
	struct vgic_locked l;
	l = vgic_lock(g);
	if (size == 8) {
		word_write(l, v, off, (u32)value);
		word_write(l, v, off + 4, (u32)(value >> 32));
	} else if (size == 4) {
		word_write(l, v, off, (u32)value);
	} else {
		/* A priority byte: the word is rewritten with its other bytes as they are. */
		u64 word = off & ~3ull;
		u32 shift = 8 * (u32)(off & 3);
		u32 old = word_read(l, v, word);

		word_write(l, v, word, (old & ~(0xffu << shift)) | (u32)(value & 0xff) << shift);
	}
	vgic_unlock(l);
}

bool vgic_dist_read(struct vgic *g, u64 offset, u32 size, u64 *value)
{
	if (!dist_access_ok(offset, size))
		return false;
	*value = mmio_read(g, -1, offset, size);
	return true;
}

bool vgic_dist_write(struct vgic *g, u64 offset, u32 size, u64 value)
{
	if (!dist_access_ok(offset, size))
		return false;
	mmio_write(g, -1, offset, size, value);
	return true;
}

bool vgic_redist_read(struct vgic *g, u64 offset, u32 size, u64 *value)
{
	u32 v;
	u64 off;

	if (!redist_access_ok(g, offset, size, &v, &off))
		return false;
	*value = mmio_read(g, (int)v, off, size);
	return true;
}

bool vgic_redist_write(struct vgic *g, u64 offset, u32 size, u64 value)
{
	u32 v;
	u64 off;

	if (!redist_access_ok(g, offset, size, &v, &off))
		return false;
	mmio_write(g, (int)v, off, size, value);
	return true;
}
