/* Moving a vCPU's interrupts between the vGIC model and the list registers. */
#ifndef BULKHEAD_ARM64_VGIC_LR_H
#define BULKHEAD_ARM64_VGIC_LR_H

#include "types.h"
#include "core/vm.h"

void vgic_lr_init_cpu(void);
/* Entering the guest after a switch: virtual CPU interface state and interrupts in. */
void vgic_load(struct vcpu *vcpu);
/* Leaving the CPU: everything back into the model. */
void vgic_put(struct vcpu *vcpu);
/* List registers back into the model (and cleared). */
void vgic_sync(struct vcpu *vcpu);
/* The model's best interrupts into free list registers. */
void vgic_fill(struct vcpu *vcpu);
/* The model changed (irq_dirty): the list registers again from scratch. */
void vgic_refresh(struct vcpu *vcpu);
/* On the way into the guest, when irq_dirty or sgi_new is set: a refresh,
 * or only the new SGIs into free list registers. */
void vgic_catch_up(struct vcpu *vcpu);

/* Whether the list registers may be behind: the model changed (irq_dirty)
 * or SGIs were sent (sgi_new). Inline: read on every way into the guest. */
static inline bool vgic_lrs_behind(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->irq_dirty, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&vcpu->arch.gic.sgi_new, __ATOMIC_ACQUIRE);
}
/* A PPI of the vCPU running here rose (its timer): into a list register at
 * once when nothing else waits for one, else through the model as usual. */
void vgic_raise_ppi_now(struct vcpu *vcpu, u32 intid);
/* The maintenance interrupt: an interrupt was deactivated, or the registers ran low. */
void vgic_maintenance(struct vcpu *vcpu);

#endif
