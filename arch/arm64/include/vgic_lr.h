/* Moving a vCPU's interrupts between the vGIC model and the list registers. */
#ifndef BULKHEAD_ARM64_VGIC_LR_H
#define BULKHEAD_ARM64_VGIC_LR_H

#include "types.h"

struct vcpu;

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
/* A PPI of the vCPU running here rose (its timer): into a list register at
 * once when nothing else waits for one, else through the model as usual. */
void vgic_raise_ppi_now(struct vcpu *vcpu, u32 intid);
/* The maintenance interrupt: an interrupt was deactivated, or the registers ran low. */
void vgic_maintenance(struct vcpu *vcpu);

#endif
