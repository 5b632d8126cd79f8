/*
 * A VM's vGIC (struct arch_vm's model, vgic.h) as the rest of the VM sees
 * it: interrupt inputs that kick the vCPU that should look, register
 * accesses that may have made something deliverable, and its lifetime.
 */
#ifndef BULKHEAD_ARM64_VGIC_VM_H
#define BULKHEAD_ARM64_VGIC_VM_H

#include "types.h"

struct vm;

/* Interrupt `intid` (a PPI of vCPU `vcpu`, or an SPI) changed level; the
 * vCPU that can now take it is kicked. */
void vgic_vm_set_line(struct vm *vm, u32 vcpu, u32 intid, bool level);

/* After the guest wrote a vGIC register: anything may have become
 * deliverable to any vCPU, so those that have something (or run) look again. */
void vgic_vm_changed(struct vm *vm);

/* The model's per-vCPU state, in pages of its own: taken once when the VM
 * is created (0, or -1 when memory is short), kept across restarts and
 * given back when the VM goes. */
int vgic_vm_alloc(struct vm *vm);
void vgic_vm_free(struct vm *vm);
/* The power-on state: everything disabled, idle, routed to nobody. */
void vgic_vm_reset(struct vm *vm);

#endif
