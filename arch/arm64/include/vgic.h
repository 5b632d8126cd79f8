/*
 * The vGIC's interrupt state model, whatever register front end programs it
 * (vgic_v3_regs.h: GICv3's distributor and redistributors): which
 * interrupts are enabled, pending, active, their priority, configuration and
 * routing. Getting pending interrupts into a running vCPU (the ICH_* list
 * registers) is vgic_lr.c's job, through vgic_pick() and vgic_lr_sync().
 *
 * INTIDs: 0-15 SGIs and 16-31 PPIs are per vCPU; 32..32+VGIC_NR_SPIS-1 are
 * SPIs shared by the VM. One lock per VM guards the whole state; every entry
 * point takes it, so any CPU may call in.
 */
#ifndef BULKHEAD_ARM64_VGIC_H
#define BULKHEAD_ARM64_VGIC_H

#include "types.h"
#include "core/spinlock_types.h"

#define VGIC_NR_PRIVATE 32
#define VGIC_NR_SPIS 96                 /* INTIDs 32..127: TYPER.ITLinesNumber = 3 */
#define VGIC_NR_IRQS (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_VCPUS 64
#define VGIC_PRIO_BITS 5                /* priorities as the guest sees them: 32 levels */

struct vgic_irq {
	u8 priority;       /* as written by the guest (only the top VGIC_PRIO_BITS bits kept) */
	bool enabled;
	bool edge;         /* ICFGR: edge-triggered (SGIs are always edge) */
	bool pending;      /* latched pending state (edge, or set by ISPENDR / an SGI) */
	bool level;        /* current input level of a level-sensitive line */
	bool active;
	bool group1;       /* IGROUPR bit */
	bool in_lr;        /* currently held in a list register of vcpu `lr_vcpu` */
	/* While in_lr: states the guest rewrote through the distributor or
	 * redistributor (I[SC]PENDR, I[SC]ACTIVER), which the list register's
	 * copy must not overwrite when it comes back (VGIC_LR_STALE_*). */
	u8 lr_stale;
	u16 lr_vcpu;
	u64 route;         /* SPIs: IROUTER (affinity of the target vCPU; IRM not supported) */
};

#define VGIC_LR_STALE_PENDING (1u << 0)
#define VGIC_LR_STALE_ACTIVE  (1u << 1)

struct vgic_cpu {
	struct vgic_irq priv[VGIC_NR_PRIVATE];
	u64 mpidr;         /* this vCPU's affinity, as in its MPIDR_EL1 */
	u32 busy;          /* private INTIDs that may be pending, active or high */
	bool sleeping;     /* GICR_WAKER.ProcessorSleep */
};

/* Bits of `ctlr`, in GICD_CTLR's layout: the model reads the group enables. */
#define VGIC_CTLR_ENABLE_G0 (1u << 0)
#define VGIC_CTLR_ENABLE_G1 (1u << 1)
#define VGIC_CTLR_ARE       (1u << 4)

struct vgic {
	struct spinlock lock;
	u32 ctlr;          /* GICD_CTLR as the guest wrote it (ARE_NS forced on) */
	struct vgic_irq spi[VGIC_NR_SPIS];
	/* SPIs that may be pending, active or high: the scans visit only these.
	 * A bit is set whenever an interrupt may leave the idle state and
	 * cleared by a scan that finds it idle. */
	u32 spi_busy[VGIC_NR_SPIS / 32];
	struct vgic_cpu *cpus;
	u32 ncpus;
};

/* The model with its lock held: the functions that need the lock take one,
 * which only vgic_lock() makes and vgic_unlock() ends (vgic_lock.h). */
struct vgic_locked {
	struct vgic *g;
};

/* `cpus` holds `ncpus` entries owned by the caller; mpidr[i] is vCPU i's affinity. */
void vgic_init(struct vgic *g, struct vgic_cpu *cpus, u32 ncpus, const u64 *mpidr);
/* Back to power-on for a VM restart, taking the lock (which is kept). */
void vgic_reset(struct vgic *g);

/* A level-sensitive interrupt is pending while its latch is set or its line is high. */
static inline bool vgic_irq_pending(const struct vgic_irq *irq)
{
	return irq->pending || (!irq->edge && irq->level);
}

/*
 * Interrupt sources. Each returns a bitmask-free answer: the vCPU index that
 * should be kicked to notice the change (it may be blocked in WFI or running
 * elsewhere), or -1 when no vCPU needs to look.
 */
/* A device line or PPI: level-sensitive lines follow `level`; edge lines latch on a rising call. */
int vgic_set_line(struct vgic *g, u32 vcpu, u32 intid, bool level);
/* Edge-style injection (e.g. a PPI from a timer the hypervisor emulates). */
int vgic_inject_edge(struct vgic *g, u32 vcpu, u32 intid);
/* A guest write of ICC_SGI1R_EL1 by `sender`: sets SGIs pending on the targets
 * (only this VM's vCPUs can ever be reached); returns a bitmask of vCPUs to kick
 * in `kick` (ncpus <= VGIC_MAX_VCPUS). */
void vgic_send_sgi(struct vgic *g, u32 sender, u64 sgi1r, u64 *kick);

/* True when vCPU `vcpu` has an interrupt it could take now or later (pending,
 * enabled, group enabled in GICD_CTLR), whatever its priority mask: what wakes
 * it from WFI. */
bool vgic_has_pending(struct vgic *g, u32 vcpu);

/*
 * List-register traffic. vgic_pick() fills `out` with up to `max` interrupts
 * for `vcpu`, highest priority first (lowest value; ties by lower INTID),
 * among those pending-and-enabled or active, not already in a list register;
 * each picked interrupt is marked in_lr and its latched pending state moves
 * into the list register (for level lines the LR gets pending while the line
 * is high). Returns how many.
 */
struct vgic_lr {
	u32 intid;
	u8 priority;
	bool pending;
	bool active;
	bool group1;
};
u32 vgic_pick(struct vgic *g, u32 vcpu, struct vgic_lr *out, u32 max);
/* When a list register is read back on exit: its state goes back into the
 * model and the interrupt is no longer in_lr. A level line that is still
 * high becomes pending again when it is no longer active. */
void vgic_lr_sync(struct vgic *g, u32 vcpu, u32 intid, bool pending, bool active);
/*
 * The fast way in for a PPI of a vCPU whose list registers are up to date
 * with the model and not all in use (so nothing else waits for one): raises
 * the line as vgic_set_line() would and, when the interrupt is deliverable
 * and not already in a list register, hands it over like vgic_pick() and
 * returns true. On false only the line changed; the caller refreshes the
 * vCPU's list registers as usual.
 */
bool vgic_raise_private(struct vgic *g, u32 vcpu, u32 intid, struct vgic_lr *out);
/*
 * The fast way in for SGIs just sent to a vCPU whose list registers were up
 * to date before them: hands each of `sgis` (a mask of INTIDs 0-15) that is
 * deliverable to out[], like vgic_pick(), and returns how many (at most
 * `max`). Returns -1 with nothing handed over when one of them is in a
 * list register already (its new pending state must meet the register's
 * there, which only a sync does) or `max` is too small: the caller then
 * refreshes as usual.
 */
int vgic_take_sgis(struct vgic *g, u32 vcpu, u32 sgis, struct vgic_lr *out, u32 max);

#endif
