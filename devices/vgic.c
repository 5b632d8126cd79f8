/*
 * The virtual GICv3's interrupt state model (see devices/vgic.h).
 *
 * The guest sees one security state (GICD_CTLR.DS = 1) with affinity routing
 * always on (ARE RAO/WI), so the distributor's registers for INTIDs 0-31 are
 * RAZ/WI and those interrupts are programmed through each vCPU's
 * redistributor SGI frame. No LPIs, no ITS, no extended SPI/PPI ranges, no
 * 1-of-N SPI routing (TYPER.No1N = 1, IROUTER.IRM RAZ/WI).
 *
 * Pending state: `pending` is the latch (edge, ISPENDR, SGIs); a
 * level-sensitive interrupt is pending while its latch is set or its line is
 * high. Accepted access widths: 32 bits everywhere; 8 bits for IPRIORITYR;
 * 64 bits (or either 32-bit half) for GICD_IROUTER, GICR_TYPER, GICR_PROPBASER
 * and GICR_PENDBASER. Anything else, a misaligned access, or an offset past
 * the frames returns false.
 *
 * Interrupts sitting in a list register: their LR holds the pending state
 * handed over by vgic_pick() and the authoritative active state until
 * vgic_lr_sync(). Register reads show the model meanwhile, and register
 * writes change the model only (a pending state cleared by ICPENDR comes back
 * if the LR still had it, as on hardware where the guest may win that race).
 * An edge interrupt's latch moves into the LR; a level interrupt's latch
 * stays in the model until the LR comes back no longer pending (the guest
 * acknowledged it). A level interrupt that is active goes into an LR as
 * active only: its line is sampled again when the guest deactivates it, so a
 * line the handler lowered is not taken a second time.
 */
#include "types.h"
#include "lib/string.h"
#include "devices/vgic.h"

_Static_assert(VGIC_NR_SPIS % 32 == 0, "SPIs come in whole 32-bit register words");
_Static_assert(VGIC_NR_IRQS <= 1020, "INTIDs beyond 1019 are special");
_Static_assert(VGIC_MAX_VCPUS <= 64, "vgic_send_sgi reports kicks in a u64");
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

#define CTLR_ENABLE_G0  (1u << 0)
#define CTLR_ENABLE_G1  (1u << 1)   /* EnableGrp1A, or EnableGrp1 with DS = 1 */
#define CTLR_ARE        (1u << 4)
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

/* Affinity fields of MPIDR_EL1 and GICD_IROUTER (Aff3 at 39:32, Aff2..Aff0 at 23:0). */
#define AFF_MASK 0x000000ff00ffffffull

/*
 * ID registers from 0xffd0: PIDR4-7, PIDR0-3, CIDR0-3. Designer Arm
 * (JEP106 0x3b, continuation 4), part 0; PIDR2.ArchRev = 3 (GICv3).
 */
static const u8 gic_id[12] = {
	0x44, 0x00, 0x00, 0x00,
	0x00, 0xb0, 0x3b, 0x00,
	0x0d, 0xf0, 0x05, 0xb1,
};

/* --- interrupt state ------------------------------------------------------ */

static u64 affinity(u64 mpidr)
{
	return mpidr & AFF_MASK;
}

/* GICR_TYPER.Affinity_Value: Aff3.Aff2.Aff1.Aff0 as one 32-bit value. */
static u32 affinity32(u64 mpidr)
{
	return (u32)(mpidr & 0xffffff) | (u32)((mpidr >> 32) & 0xff) << 24;
}

static bool irq_pending(const struct vgic_irq *irq)
{
	return irq->pending || (!irq->edge && irq->level);
}

static bool group_enabled(const struct vgic *g, const struct vgic_irq *irq)
{
	return g->ctlr & (irq->group1 ? CTLR_ENABLE_G1 : CTLR_ENABLE_G0);
}

static bool deliverable(const struct vgic *g, const struct vgic_irq *irq)
{
	return irq_pending(irq) && irq->enabled && group_enabled(g, irq);
}

/* The vCPU an SPI is routed to: the first whose affinity matches IROUTER, or -1. */
static int spi_target(const struct vgic *g, const struct vgic_irq *irq)
{
	for (u32 i = 0; i < g->ncpus; i++)
		if (affinity(g->cpus[i].mpidr) == irq->route)
			return (int)i;
	return -1;
}

/* False when a lower-numbered vCPU shares vCPU v's affinity (and so takes its SPIs). */
static bool first_with_affinity(const struct vgic *g, u32 v)
{
	u64 aff = affinity(g->cpus[v].mpidr);

	for (u32 i = 0; i < v; i++)
		if (affinity(g->cpus[i].mpidr) == aff)
			return false;
	return true;
}

/* The interrupt may have left the idle state: the scans must visit it. */
static inline void mark_busy(struct vgic *g, u32 v, u32 intid)
{
	if (intid < VGIC_NR_PRIVATE)
		g->cpus[v].busy |= 1u << intid;
	else if (intid < VGIC_NR_IRQS)
		g->spi_busy[(intid - VGIC_NR_PRIVATE) / 32] |= 1u << (intid % 32);
}

/* The interrupt `intid` as vCPU v sees it (v must be valid), or NULL. */
static struct vgic_irq *irq_of(struct vgic *g, u32 v, u32 intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return &g->cpus[v].priv[intid];
	if (intid < VGIC_NR_IRQS)
		return &g->spi[intid - VGIC_NR_PRIVATE];
	return NULL;
}

/* The vCPU to kick when an input of `irq` (owned by `v` if private) rose. */
static int kick_target(const struct vgic *g, const struct vgic_irq *irq, u32 intid, u32 v,
		       bool was_deliverable)
{
	if (was_deliverable || !deliverable(g, irq))
		return -1;
	return intid < VGIC_NR_PRIVATE ? (int)v : spi_target(g, irq);
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
			bit = irq_pending(irq);
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
static u32 dist_read32(struct vgic *g, u64 off)
{
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

static void dist_write32(struct vgic *g, u64 off, u32 value)
{
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

static u32 rd_read32(struct vgic *g, u32 v, u64 off)
{
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

static void rd_write32(struct vgic *g, u32 v, u64 off, u32 value)
{
	if (off == GICR_WAKER)
		g->cpus[v].sleeping = value & WAKER_PROCESSOR_SLEEP;
}

static u32 sgi_read32(struct vgic *g, u32 v, u64 off)
{
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

static void sgi_write32(struct vgic *g, u32 v, u64 off, u32 value)
{
	struct vgic_irq *priv = g->cpus[v].priv;

	if (off >= GICD_BITS_START && off < GICD_BITS_END)
		g->cpus[v].busy |= bits_write((off & 0x7f) ? NULL : priv, (enum bit_reg)(off >> 7),
					      value);
	else if (off >= GICR_IPRIORITYR && off < GICR_IPRIO_END)
		prio_write(&priv[off - GICR_IPRIORITYR], value);
	else if (off == GICR_ICFGR1)
		cfg_write(&priv[16], value);
}

static u32 redist_read32(struct vgic *g, u32 v, u64 off)
{
	if (off >= GICR_SGI_FRAME)
		return sgi_read32(g, v, off - GICR_SGI_FRAME);
	return rd_read32(g, v, off);
}

static void redist_write32(struct vgic *g, u32 v, u64 off, u32 value)
{
	if (off >= GICR_SGI_FRAME)
		sgi_write32(g, v, off - GICR_SGI_FRAME, value);
	else
		rd_write32(g, v, off, value);
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
static u32 word_read(struct vgic *g, int v, u64 off)
{
	return v < 0 ? dist_read32(g, off) : redist_read32(g, (u32)v, off);
}

static void word_write(struct vgic *g, int v, u64 off, u32 value)
{
	if (v < 0)
		dist_write32(g, off, value);
	else
		redist_write32(g, (u32)v, off, value);
}

static u64 mmio_read(struct vgic *g, int v, u64 off, u32 size)
{
	u64 val;

	spin_lock(&g->lock);
	if (size == 8)
		val = word_read(g, v, off) | (u64)word_read(g, v, off + 4) << 32;
	else if (size == 4)
		val = word_read(g, v, off);
	else
		val = (word_read(g, v, off & ~3ull) >> (8 * (off & 3))) & 0xff;
	spin_unlock(&g->lock);
	return val;
}

static void mmio_write(struct vgic *g, int v, u64 off, u32 size, u64 value)
{
	spin_lock(&g->lock);
	if (size == 8) {
		word_write(g, v, off, (u32)value);
		word_write(g, v, off + 4, (u32)(value >> 32));
	} else if (size == 4) {
		word_write(g, v, off, (u32)value);
	} else {
		/* A priority byte: the word is rewritten with its other bytes as they are. */
		u64 word = off & ~3ull;
		u32 shift = 8 * (u32)(off & 3);
		u32 old = word_read(g, v, word);

		word_write(g, v, word, (old & ~(0xffu << shift)) | (u32)(value & 0xff) << shift);
	}
	spin_unlock(&g->lock);
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

/* --- setup and interrupt sources ------------------------------------------- */

void vgic_init(struct vgic *g, struct vgic_cpu *cpus, u32 ncpus, const u64 *mpidr)
{
	memset(g, 0, sizeof(*g));
	if (!cpus || !mpidr)
		ncpus = 0;
	if (ncpus > VGIC_MAX_VCPUS)
		ncpus = VGIC_MAX_VCPUS;
	g->ctlr = CTLR_ARE;
	g->cpus = cpus;
	g->ncpus = ncpus;
	for (u32 i = 0; i < ncpus; i++) {
		memset(&cpus[i], 0, sizeof(cpus[i]));
		cpus[i].mpidr = mpidr[i];
		cpus[i].sleeping = true;
		for (u32 n = 0; n < 16; n++)
			cpus[i].priv[n].edge = true;  /* SGIs; PPIs start level-sensitive */
	}
	/* SPIs: level-sensitive, group 0, disabled, priority 0, IROUTER 0 */
}

/*
 * One change at an interrupt's input: a level (device lines, PPIs) or an edge
 * event. For an SPI, `vcpu` is not used: the kick goes to the vCPU IROUTER
 * names.
 */
static int input_event(struct vgic *g, u32 vcpu, u32 intid, bool edge_event, bool level)
{
	struct vgic_irq *irq;
	bool was;
	int kick;

	if (intid >= VGIC_NR_IRQS || (intid < VGIC_NR_PRIVATE && vcpu >= g->ncpus))
		return -1;
	spin_lock(&g->lock);
	irq = intid < VGIC_NR_PRIVATE ? &g->cpus[vcpu].priv[intid] : &g->spi[intid - VGIC_NR_PRIVATE];
	was = deliverable(g, irq);
	if (edge_event) {
		irq->pending = true;
	} else {
		if (irq->edge && level && !irq->level)
			irq->pending = true;
		irq->level = level;
	}
	mark_busy(g, vcpu, intid);
	kick = kick_target(g, irq, intid, vcpu, was);
	spin_unlock(&g->lock);
	return kick;
}

int vgic_set_line(struct vgic *g, u32 vcpu, u32 intid, bool level)
{
	return input_event(g, vcpu, intid, false, level);
}

int vgic_inject_edge(struct vgic *g, u32 vcpu, u32 intid)
{
	return input_event(g, vcpu, intid, true, false);
}

/* Whether vCPU `c` is among the targets of an ICC_SGI1R_EL1 write by `sender`. */
static bool sgi_targets(const struct vgic_cpu *c, u32 i, u32 sender, u64 sgi1r)
{
	u64 mpidr = c->mpidr;
	u32 aff0 = mpidr & 0xff;

	if ((sgi1r >> 40) & 1)   /* IRM: every vCPU but the sender */
		return i != sender;
	return ((mpidr >> 8) & 0xff) == ((sgi1r >> 16) & 0xff) &&   /* Aff1 */
	       ((mpidr >> 16) & 0xff) == ((sgi1r >> 32) & 0xff) &&  /* Aff2 */
	       ((mpidr >> 32) & 0xff) == ((sgi1r >> 48) & 0xff) &&  /* Aff3 */
	       (aff0 >> 4) == ((sgi1r >> 44) & 0xf) &&              /* RS */
	       ((sgi1r >> (aff0 & 0xf)) & 1);                         /* TargetList */
}

void vgic_send_sgi(struct vgic *g, u32 sender, u64 sgi1r, u64 *kick)
{
	u32 intid = (sgi1r >> 24) & 0xf;
	u64 mask = 0;

	if (sender < g->ncpus) {
		spin_lock(&g->lock);
		for (u32 i = 0; i < g->ncpus; i++) {
			struct vgic_irq *irq = &g->cpus[i].priv[intid];
			bool was;

			if (!sgi_targets(&g->cpus[i], i, sender, sgi1r))
				continue;
			was = deliverable(g, irq);
			irq->pending = true;
			mark_busy(g, i, intid);
			if (!was && deliverable(g, irq))
				mask |= 1ull << i;
		}
		spin_unlock(&g->lock);
	}
	if (kick)
		*kick = mask;
}

/* --- delivery -------------------------------------------------------------- */

/* Whether `irq` (INTID `intid`) is vCPU v's: `spis` says v may receive SPIs at all. */
/* Cheap first test of the scans: most interrupts are idle. */
static bool idle(const struct vgic_irq *irq)
{
	return !irq->pending && !irq->level && !irq->active;
}

static bool targets(const struct vgic *g, u32 v, u32 intid, const struct vgic_irq *irq, bool spis)
{
	return intid < VGIC_NR_PRIVATE || (spis && irq->route == affinity(g->cpus[v].mpidr));
}

/*
 * The next busy INTID at or after `from` for vCPU v (VGIC_NR_IRQS when
 * none), dropping the marks of interrupts found idle on the way. Lock held.
 */
static u32 next_busy(struct vgic *g, u32 v, u32 from)
{
	while (from < VGIC_NR_IRQS) {
		u32 *word = from < VGIC_NR_PRIVATE ? &g->cpus[v].busy :
			    &g->spi_busy[(from - VGIC_NR_PRIVATE) / 32];
		u32 bits = *word & (~0u << (from % 32));
		u32 intid;

		if (!bits) {
			from = (from | 31) + 1;
			continue;
		}
		intid = (from & ~31u) + (u32)__builtin_ctz(bits);
		if (!idle(irq_of(g, v, intid)))
			return intid;
		*word &= ~(1u << (intid % 32));
		from = intid + 1;
	}
	return VGIC_NR_IRQS;
}

bool vgic_has_pending(struct vgic *g, u32 vcpu)
{
	bool spis, found = false;

	if (vcpu >= g->ncpus)
		return false;
	spin_lock(&g->lock);
	spis = first_with_affinity(g, vcpu);
	for (u32 intid = next_busy(g, vcpu, 0); intid < VGIC_NR_IRQS && !found;
	     intid = next_busy(g, vcpu, intid + 1)) {
		const struct vgic_irq *irq = irq_of(g, vcpu, intid);

		found = targets(g, vcpu, intid, irq, spis) && deliverable(g, irq);
	}
	spin_unlock(&g->lock);
	return found;
}

/* Hands `irq` to a list register: what goes in it, and the model's side. Lock held. */
static inline void take_into_lr(struct vgic *g, struct vgic_irq *irq, u32 intid, u32 vcpu,
			 struct vgic_lr *out)
{
	*out = (struct vgic_lr){
		.intid = intid,
		.priority = irq->priority,
		/* an active level line is pending again only once deactivated */
		.pending = deliverable(g, irq) && (irq->edge || !irq->active),
		.active = irq->active,
		.group1 = irq->group1,
	};
	irq->in_lr = true;
	irq->lr_vcpu = (u16)vcpu;
	/* An edge's latch moves into the LR. A level line's latch stays until
	 * the guest acknowledges it (seen at sync), like the GIC's flip-flop. */
	if (out->pending && irq->edge)
		irq->pending = false;
}

u32 vgic_pick(struct vgic *g, u32 vcpu, struct vgic_lr *out, u32 max)
{
	u16 key[VGIC_NR_IRQS];   /* priority << 8 | INTID: sorts as the GIC prioritises */
	u32 n = 0, picked;
	bool spis;

	_Static_assert(VGIC_NR_IRQS <= 256, "INTID fits in a key's low byte");
	if (vcpu >= g->ncpus || !out || !max)
		return 0;
	spin_lock(&g->lock);
	spis = first_with_affinity(g, vcpu);
	for (u32 intid = next_busy(g, vcpu, 0); intid < VGIC_NR_IRQS;
	     intid = next_busy(g, vcpu, intid + 1)) {
		const struct vgic_irq *irq = irq_of(g, vcpu, intid);

		if (irq->in_lr || !targets(g, vcpu, intid, irq, spis))
			continue;
		if (irq->active || deliverable(g, irq))
			key[n++] = (u16)(irq->priority << 8 | intid);
	}
	picked = n < max ? n : max;
	for (u32 i = 0; i < picked; i++) {
		u32 best = i;
		u16 k;

		for (u32 j = i + 1; j < n; j++)
			if (key[j] < key[best])
				best = j;
		k = key[best];
		key[best] = key[i];
		key[i] = k;

		take_into_lr(g, irq_of(g, vcpu, k & 0xff), k & 0xff, vcpu, &out[i]);
	}
	spin_unlock(&g->lock);
	return picked;
}

bool vgic_raise_private(struct vgic *g, u32 vcpu, u32 intid, struct vgic_lr *out)
{
	struct vgic_irq *irq;
	bool taken;

	/* PPIs only: SGIs come from vgic_send_sgi() */
	if (vcpu >= g->ncpus || intid < 16 || intid >= VGIC_NR_PRIVATE || !out)
		return false;
	spin_lock(&g->lock);
	irq = &g->cpus[vcpu].priv[intid];
	if (irq->edge && !irq->level)
		irq->pending = true;
	irq->level = true;
	mark_busy(g, vcpu, intid);
	taken = !irq->in_lr && !irq->active && deliverable(g, irq);
	if (taken)
		take_into_lr(g, irq, intid, vcpu, out);
	spin_unlock(&g->lock);
	return taken;
}

void vgic_lr_sync(struct vgic *g, u32 vcpu, u32 intid, bool pending, bool active)
{
	struct vgic_irq *irq;

	if (vcpu >= g->ncpus || intid >= VGIC_NR_IRQS)
		return;
	spin_lock(&g->lock);
	irq = irq_of(g, vcpu, intid);
	/* Only the LR that vgic_pick() filled for this vCPU may give the state back. */
	if (irq->in_lr && irq->lr_vcpu == vcpu) {
		/*
		 * A level line that was not active when picked was handed to the
		 * LR as pending: if that is gone, the guest acknowledged it and
		 * the latch is spent. One that was active was handed without its
		 * pending state, which the latch (and the line) still hold.
		 */
		if (irq->edge)
			irq->pending = irq->pending || pending;
		else if (!irq->active && !pending)
			irq->pending = false;
		irq->in_lr = false;
		irq->active = active;
		mark_busy(g, vcpu, intid);
	}
	spin_unlock(&g->lock);
}
