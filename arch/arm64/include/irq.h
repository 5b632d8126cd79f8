/* Physical interrupt handling at EL2. */
#ifndef BULKHEAD_ARM64_IRQ_H
#define BULKHEAD_ARM64_IRQ_H

#include "types.h"
#include "core/vcpu_next.h"

struct vcpu;

/* Handles every pending interrupt; VCPU_YIELD when the running vCPU must
 * leave the guest (interrupts never end a VM). */
enum vcpu_next arm64_handle_irqs(struct vcpu *vcpu);

#endif
