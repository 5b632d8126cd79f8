/*
 * The vGIC's interrupt state model (see vgic.h): what the GICv3 register
 * front end (vgic_v3_regs.c) programs and the list registers (vgic_lr.c)
 * deliver.
 *
 * Pending state: `pending` is the latch (edge, ISPENDR, SGIs); a
 * level-sensitive interrupt is pending while its latch is set or its line is
 * high.
 *
 * Interrupts sitting in a list register: their LR holds the pending state
 * handed over by vgic_pick() and the authoritative active state until
 * vgic_lr_sync(). An edge interrupt's latch moves into the LR; a level
 * interrupt's latch stays in the model until the LR comes back no longer
 * pending (the guest acknowledged it). A level interrupt that is active goes
 * into an LR as active only: its line is sampled again when the guest
 * deactivates it, so a line the handler lowered is not taken a second time.
 */
#include "types.h"
#include "core/spinlock.h"
#include "lib/bits.h"
#include "lib/string.h"
#include "vgic.h"
#include "vgic_lock.h"

_Static_assert(VGIC_NR_SPIS % 32 == 0, "SPIs come in whole 32-bit register words");
_Static_assert(VGIC_NR_IRQS <= 1020, "INTIDs beyond 1019 are special");
_Static_assert(VGIC_MAX_VCPUS <= 64, "vgic_send_sgi reports kicks in a u64");

#define CTLR_ENABLE_G0  VGIC_CTLR_ENABLE_G0
#define CTLR_ENABLE_G1  VGIC_CTLR_ENABLE_G1
#define CTLR_ARE        VGIC_CTLR_ARE

/* Affinity fields of MPIDR_EL1 and GICD_IROUTER (Aff3 at 39:32, Aff2..Aff0 at 23:0). */
#define AFF_MASK 0x000000ff00ffffffull

/* --- interrupt state ------------------------------------------------------ */

static u64 affinity(u64 mpidr)
{
	return mpidr & AFF_MASK;
}


static bool group_enabled(const struct vgic *g, const struct vgic_irq *irq)
{
	return g->ctlr & (irq->group1 ? CTLR_ENABLE_G1 : CTLR_ENABLE_G0);
}

static bool deliverable(const struct vgic *g, const struct vgic_irq *irq)
{
	return vgic_irq_pending(irq) && irq->enabled && group_enabled(g, irq);
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
static inline void mark_busy(struct vgic_locked l, u32 v, u32 intid)
{
	struct vgic *g = l.g;

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

/* --- setup and interrupt sources ------------------------------------------- */

/* Power-on state of everything but the lock. */
static void init_model(struct vgic *g, struct vgic_cpu *cpus, u32 ncpus, const u64 *mpidr)
{
	struct spinlock lock = g->lock;

	memset(g, 0, sizeof(*g));
	g->lock = lock;
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

void vgic_init(struct vgic *g, struct vgic_cpu *cpus, u32 ncpus, const u64 *mpidr)
{
	memset(&g->lock, 0, sizeof(g->lock));
	init_model(g, cpus, ncpus, mpidr);
}

/*
 * The VM restarts while another CPU may be inside the model (console input
 * raising the UART's line): back to power-on under the lock, which stays.
 */
void vgic_reset(struct vgic *g)
{
	u64 mpidr[VGIC_MAX_VCPUS];
	struct vgic_locked l = vgic_lock(g);
	struct vgic_cpu *cpus = g->cpus;
	u32 ncpus = g->ncpus;

	for (u32 i = 0; i < ncpus; i++)
		mpidr[i] = cpus[i].mpidr;
	init_model(g, cpus, ncpus, mpidr);
	vgic_unlock(l);
}

/*
 * One change at an interrupt's input: a level (device lines, PPIs) or an edge
 * event. For an SPI, `vcpu` is not used: the kick goes to the vCPU IROUTER
 * names.
 */
static int input_event(struct vgic *g, u32 vcpu, u32 intid, bool edge_event, bool level)
{
	struct vgic_locked l;
	struct vgic_irq *irq;
	bool was;
	int kick;

	if (intid >= VGIC_NR_IRQS || (intid < VGIC_NR_PRIVATE && vcpu >= g->ncpus))
		return -1;
	l = vgic_lock(g);
	irq = intid < VGIC_NR_PRIVATE ? &g->cpus[vcpu].priv[intid] : &g->spi[intid - VGIC_NR_PRIVATE];
	was = deliverable(g, irq);
	if (edge_event) {
		irq->pending = true;
	} else {
		if (irq->edge && level && !irq->level)
			irq->pending = true;
		irq->level = level;
	}
	mark_busy(l, vcpu, intid);
	kick = kick_target(g, irq, intid, vcpu, was);
	vgic_unlock(l);
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
	struct vgic_locked l;
	u32 intid = (sgi1r >> 24) & 0xf;
	u64 mask = 0;

	if (sender < g->ncpus) {
		l = vgic_lock(g);
		for (u32 i = 0; i < g->ncpus; i++) {
			struct vgic_irq *irq = &g->cpus[i].priv[intid];
			bool was;

			if (!sgi_targets(&g->cpus[i], i, sender, sgi1r))
				continue;
			was = deliverable(g, irq);
			irq->pending = true;
			mark_busy(l, i, intid);
			if (!was && deliverable(g, irq))
				mask |= 1ull << i;
		}
		vgic_unlock(l);
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
 * none), dropping the marks of interrupts found idle on the way.
 */
static u32 next_busy(struct vgic_locked l, u32 v, u32 from)
{
	struct vgic *g = l.g;

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
	struct vgic_locked l;
	bool spis, found = false;

	if (vcpu >= g->ncpus)
		return false;
	l = vgic_lock(g);
	spis = first_with_affinity(g, vcpu);
	for (u32 intid = next_busy(l, vcpu, 0); intid < VGIC_NR_IRQS && !found;
	     intid = next_busy(l, vcpu, intid + 1)) {
		const struct vgic_irq *irq = irq_of(g, vcpu, intid);

		found = targets(g, vcpu, intid, irq, spis) && deliverable(g, irq);
	}
	vgic_unlock(l);
	return found;
}

/* Hands `irq` to a list register: what goes in it, and the model's side. */
static inline void take_into_lr(struct vgic_locked l, struct vgic_irq *irq, u32 intid, u32 vcpu,
				struct vgic_lr *out)
{
	struct vgic *g = l.g;

	*out = (struct vgic_lr){
		.intid = intid,
		.priority = irq->priority,
		/* an active level line is pending again only once deactivated */
		.pending = deliverable(g, irq) && (irq->edge || !irq->active),
		.active = irq->active,
		.group1 = irq->group1,
	};
	irq->in_lr = true;
	irq->lr_stale = 0;
	irq->lr_vcpu = (u16)vcpu;
	/* An edge's latch moves into the LR. A level line's latch stays until
	 * the guest acknowledges it (seen at sync), like the GIC's flip-flop. */
	if (out->pending && irq->edge)
		irq->pending = false;
}

u32 vgic_pick(struct vgic *g, u32 vcpu, struct vgic_lr *out, u32 max)
{
	struct vgic_locked l;
	u16 key[VGIC_NR_IRQS];   /* priority << 8 | INTID: sorts as the GIC prioritises */
	u32 n = 0, picked;
	bool spis;

	_Static_assert(VGIC_NR_IRQS <= 256, "INTID fits in a key's low byte");
	if (vcpu >= g->ncpus || !out || !max)
		return 0;
	l = vgic_lock(g);
	spis = first_with_affinity(g, vcpu);
	for (u32 intid = next_busy(l, vcpu, 0); intid < VGIC_NR_IRQS;
	     intid = next_busy(l, vcpu, intid + 1)) {
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

		take_into_lr(l, irq_of(g, vcpu, k & 0xff), k & 0xff, vcpu, &out[i]);
	}
	vgic_unlock(l);
	return picked;
}

bool vgic_raise_private(struct vgic *g, u32 vcpu, u32 intid, struct vgic_lr *out)
{
	struct vgic_locked l;
	struct vgic_irq *irq;
	bool taken;

	/* PPIs only: SGIs come from vgic_send_sgi() */
	if (vcpu >= g->ncpus || intid < 16 || intid >= VGIC_NR_PRIVATE || !out)
		return false;
	l = vgic_lock(g);
	irq = &g->cpus[vcpu].priv[intid];
	if (irq->edge && !irq->level)
		irq->pending = true;
	irq->level = true;
	mark_busy(l, vcpu, intid);
	taken = !irq->in_lr && !irq->active && deliverable(g, irq);
	if (taken)
		take_into_lr(l, irq, intid, vcpu, out);
	vgic_unlock(l);
	return taken;
}

int vgic_take_sgis(struct vgic *g, u32 vcpu, u32 sgis, struct vgic_lr *out, u32 max)
{
	struct vgic_locked l;
	u32 n = 0;

	sgis &= 0xffff;
	if (vcpu >= g->ncpus || !out || bits_set(sgis) > max)
		return -1;
	l = vgic_lock(g);
	for (u32 left = sgis; left; left &= left - 1) {
		if (g->cpus[vcpu].priv[__builtin_ctz(left)].in_lr) {
			vgic_unlock(l);
			return -1;
		}
	}
	for (u32 left = sgis; left; left &= left - 1) {
		u32 intid = (u32)__builtin_ctz(left);
		struct vgic_irq *irq = &g->cpus[vcpu].priv[intid];

		if (deliverable(g, irq))
			take_into_lr(l, irq, intid, vcpu, &out[n++]);
	}
	vgic_unlock(l);
	return (int)n;
}

void vgic_lr_sync(struct vgic *g, u32 vcpu, u32 intid, bool pending, bool active)
{
	struct vgic_locked l;
	struct vgic_irq *irq;

	if (vcpu >= g->ncpus || intid >= VGIC_NR_IRQS)
		return;
	l = vgic_lock(g);
	irq = irq_of(g, vcpu, intid);
	/* Only the LR that vgic_pick() filled for this vCPU may give the state back. */
	if (irq->in_lr && irq->lr_vcpu == vcpu) {
		/*
		 * A level line that was not active when picked was handed to the
		 * LR as pending: if that is gone, the guest acknowledged it and
		 * the latch is spent. One that was active was handed without its
		 * pending state, which the latch (and the line) still hold. A
		 * state the guest rewrote since (lr_stale) stands as written.
		 */
		bool keep_pending = irq->lr_stale & VGIC_LR_STALE_PENDING;

		if (!keep_pending && irq->edge)
			irq->pending = irq->pending || pending;
		else if (!keep_pending && !irq->active && !pending)
			irq->pending = false;
		if (!(irq->lr_stale & VGIC_LR_STALE_ACTIVE))
			irq->active = active;
		irq->lr_stale = 0;
		irq->in_lr = false;
		mark_busy(l, vcpu, intid);
	}
	vgic_unlock(l);
}
