/* Physical interrupt handling at EL2. */
#ifndef BULKHEAD_ARM64_IRQ_H
#define BULKHEAD_ARM64_IRQ_H

#include "types.h"
#include "core/vcpu_next.h"

struct vcpu;

/* Handles every pending interrupt; VCPU_YIELD when the running vCPU must
 * leave the guest (interrupts never end a VM). */
enum vcpu_next arm64_handle_irqs(struct vcpu *vcpu);
/* WFI with the CPU counted idle meanwhile (arch_idle, a vCPU's wait in
 * place): its busy time (arch_cpu_busy_ticks) is the rest. */
void arm64_idle_wfi(void);

#endif
