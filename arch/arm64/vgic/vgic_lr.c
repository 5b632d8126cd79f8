/*
 * The vGIC's hardware half: interrupts picked from the model go into the
 * ICH_LR<n>_EL2 list registers, where the guest acknowledges and completes
 * them without trapping; on the way out their state goes back to the model.
 * Every interrupt but an SGI asks for a maintenance interrupt when the guest
 * deactivates it (EOI bit), so level-sensitive lines are sampled again; when
 * more interrupts wait than there are list registers, the underflow
 * maintenance interrupt brings the rest in.
 */
#include "core/vm.h"
#include "gicv3.h"
#include "lib/bits.h"
#include "guest_gic.h"
#include "sysregs.h"
#include "vgic.h"
#include "vgic_lr.h"
#include "vgic_vm.h"
#include "vtimer.h"

#define LR_PENDING  (1ull << 62)
#define LR_ACTIVE   (1ull << 63)
#define LR_GROUP1   (1ull << 60)
#define LR_EOI      (1ull << 41)
#define LR_PRIO_SHIFT 48
#define LR_INTID_MASK 0xffffffffull

#define ICH_HCR_EN  (1ull << 0)
#define ICH_HCR_UIE (1ull << 1)
#define MAX_LRS 16

static u32 nr_lrs;
static u32 nr_aprs;   /* active priority registers per group */

void vgic_lr_init_cpu(void)
{
	nr_lrs = gic_list_registers();
	nr_aprs = gic_active_priority_registers();
	if (nr_lrs > MAX_LRS)
		nr_lrs = MAX_LRS;
	for (u32 i = 0; i < nr_lrs; i++)
		gic_write_lr(i, 0);
}

/* List register n's state back into the model; the register is free again. */
static void give_back(struct vcpu *vcpu, u32 n)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;
	u64 lr = gic_read_lr(n);

	gic_write_lr(n, 0);
	g->lr_used &= ~(1u << n);
	g->lr_pending &= ~(1u << n);
	vgic_lr_sync(&vcpu->vm->arch.vgic, vcpu->id, g->lr_intid[n], lr & LR_PENDING, lr & LR_ACTIVE);
}

void vgic_sync(struct vcpu *vcpu)
{
	while (vcpu->arch.gic.lr_used)
		give_back(vcpu, (u32)__builtin_ctz(vcpu->arch.gic.lr_used));
	write_ich_hcr_el2(ICH_HCR_EN);
}

static u64 encode(const struct vgic_lr *l)
{
	u64 lr = l->intid | ((u64)l->priority << LR_PRIO_SHIFT);

	if (l->pending)
		lr |= LR_PENDING;
	if (l->active)
		lr |= LR_ACTIVE;
	if (l->group1)
		lr |= LR_GROUP1;
	if (l->intid >= 16)
		lr |= LR_EOI;
	return lr;
}

static u32 free_lrs(const struct arch_vgic_cpu *g)
{
	return nr_lrs - bits_set(g->lr_used);
}

/* The picked interrupts into free list registers, in order. */
static void place(struct vcpu *vcpu, const struct vgic_lr *picked, u32 n)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;

	for (u32 i = 0, k = 0; k < n && i < nr_lrs; i++) {
		if (g->lr_used & (1u << i))
			continue;
		gic_write_lr(i, encode(&picked[k]));
		vcpu->irqs_injected += picked[k].pending;
		g->lr_intid[i] = picked[k].intid;
		g->lr_used |= 1u << i;
		g->lr_pending |= (u32)picked[k].pending << i;
		k++;
	}
}

void vgic_fill(struct vcpu *vcpu)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;
	struct vgic_lr picked[MAX_LRS];
	u32 free = free_lrs(g);
	u32 n;

	/* the pick sees every SGI sent before this: none is news any more */
	__atomic_exchange_n(&g->sgi_new, 0, __ATOMIC_ACQUIRE);
	n = vgic_pick(&vcpu->vm->arch.vgic, vcpu->id, picked, free);
	place(vcpu, picked, n);
	/* all registers in use and maybe more waiting: ask to be told when they drain */
	write_ich_hcr_el2(ICH_HCR_EN | (n == free && n ? ICH_HCR_UIE : 0));
}

/*
 * SGIs sent since the last fill, the list registers otherwise up to date:
 * each goes into a free register as a fill would put it, since with a free
 * one to spare nothing else waits (underflow not asked for). One already in
 * a register, more than fit, or registers already short: a refresh.
 */
static void take_new_sgis(struct vcpu *vcpu)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;
	struct vgic_lr picked[MAX_LRS];
	u32 sgis = __atomic_exchange_n(&g->sgi_new, 0, __ATOMIC_ACQUIRE);
	int n;

	if (!sgis)
		return;
	if (read_ich_hcr_el2() & ICH_HCR_UIE) {
		vgic_refresh(vcpu);
		return;
	}
	/* the last one of the same SGI, most likely, done with but not given back */
	for (u32 used = g->lr_used; used; used &= used - 1) {
		u32 i = (u32)__builtin_ctz(used);

		if (g->lr_intid[i] < 16 && ((sgis >> g->lr_intid[i]) & 1) &&
		    !(gic_read_lr(i) & (LR_PENDING | LR_ACTIVE)))
			give_back(vcpu, i);
	}
	n = vgic_take_sgis(&vcpu->vm->arch.vgic, vcpu->id, sgis, picked, free_lrs(g));
	if (n < 0)
		vgic_refresh(vcpu);
	else
		place(vcpu, picked, (u32)n);
}

void vgic_catch_up(struct vcpu *vcpu)
{
	if (__atomic_load_n(&vcpu->irq_dirty, __ATOMIC_ACQUIRE))
		vgic_refresh(vcpu);
	else
		take_new_sgis(vcpu);
}

void vgic_load(struct vcpu *vcpu)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;

	write_ich_vmcr_el2(g->vmcr);
	for (u32 group = 0; group < 2; group++)
		for (u32 n = 0; n < nr_aprs; n++)
			gic_write_apr(group, n, g->apr[group][n]);
	__atomic_store_n(&vcpu->irq_dirty, false, __ATOMIC_RELAXED);
	vgic_fill(vcpu);
}

void vgic_put(struct vcpu *vcpu)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;

	vgic_sync(vcpu);
	g->vmcr = read_ich_vmcr_el2();
	for (u32 group = 0; group < 2; group++) {
		for (u32 n = 0; n < nr_aprs; n++) {
			g->apr[group][n] = gic_read_apr(group, n);
			gic_write_apr(group, n, 0);
		}
	}
}

/* The list registers are up to date with the model and one is free. */
static bool lrs_current(struct vcpu *vcpu)
{
	return vcpu->arch.gic.lr_used != (1u << nr_lrs) - 1 &&
	       !__atomic_load_n(&vcpu->irq_dirty, __ATOMIC_ACQUIRE);
}

void vgic_raise_ppi_now(struct vcpu *vcpu, u32 intid)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;
	struct vgic_lr l;
	u32 n;

	if (!lrs_current(vcpu)) {
		vgic_vm_set_line(vcpu->vm, vcpu->id, intid, true);
		return;
	}
	/* nothing waits outside the list registers (else irq_dirty would be
	 * set), so a free one is where vgic_fill() would put it too */
	if (!vgic_raise_private(&vcpu->vm->arch.vgic, vcpu->id, intid, &l)) {
		vcpu_kick(vcpu);
		return;
	}
	/* place()'s work for one, written out: this is the timer's hot path */
	n = (u32)__builtin_ctz(~g->lr_used);
	gic_write_lr(n, encode(&l));
	vcpu->irqs_injected++;
	g->lr_intid[n] = intid;
	g->lr_used |= 1u << n;
	g->lr_pending |= 1u << n;
}

/*
 * Deactivated interrupts (EOI bit) leave their list registers: only those go
 * back to the model, and the freed registers are filled again. All of them
 * are redone only when the registers ran low with more to come (underflow)
 * or the model changed.
 */
void vgic_maintenance(struct vcpu *vcpu)
{
	struct arch_vgic_cpu *g = &vcpu->arch.gic;
	u32 done = (u32)read_ich_eisr_el2() & g->lr_used;
	bool waiting = read_ich_hcr_el2() & ICH_HCR_UIE;
	bool freed = done != 0;

	while (done) {
		u32 n = (u32)__builtin_ctz(done);

		done &= ~(1u << n);
		give_back(vcpu, n);
		vtimer_deactivated(vcpu, g->lr_intid[n]);
	}
	if (waiting || __atomic_load_n(&vcpu->irq_dirty, __ATOMIC_ACQUIRE))
		vgic_refresh(vcpu);
	else if (freed)
		/* a level line still high is pending again once deactivated (the
		 * UART's, with more to send): no irq_dirty tells of it */
		vgic_fill(vcpu);
}

void vgic_refresh(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->irq_dirty, false, __ATOMIC_RELAXED);
	vgic_sync(vcpu);
	vgic_fill(vcpu);
}
