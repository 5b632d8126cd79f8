/*
 * The credit policy for shared vCPUs, in the manner of Xen's credit2: every
 * vCPU has a virtual time (vtime) that grows while it runs, more slowly the
 * larger its VM's weight, and the runnable vCPU with the least vtime runs
 * next. Two CPU-bound vCPUs with weights 512 and 256 thus get CPU time 2:1.
 * A VM's cap limits the CPU time all its vCPUs together take in each cap
 * period, in percent of one physical CPU.
 *
 * vtime is counted in counter ticks as a vCPU of the default weight would
 * spend them.
 */
#ifndef BULKHEAD_CORE_SCHED_CREDIT_H
#define BULKHEAD_CORE_SCHED_CREDIT_H

#include "types.h"

struct vm;
struct vcpu;

#define CREDIT_CAP_PERIODS_PER_SECOND 10

/* vtime that `ticks` of CPU time cost at `weight`. */
u64 credit_charge(u64 ticks, u32 weight);
/* Charges a vCPU that ran `ran` ticks until `now`: its vtime, and its VM's cap budget. */
void credit_account(struct vcpu *v, u64 ran, u64 now);
/* Ticks the VM may still run in the current cap period (U64_MAX: no cap). */
u64 credit_cap_left(const struct vm *vm, u64 now);
/* True when the VM has used up its cap for the current period. */
bool credit_capped_out(const struct vm *vm, u64 now);
/* The counter value at which the next cap period begins. */
u64 credit_next_period(u64 now);
/*
 * The vtime of a vCPU that becomes runnable on a queue whose runnable vCPUs
 * have reached `floor`: a vCPU that slept keeps a small head start
 * (`bonus`), so it runs soon, but cannot bank the time it slept.
 */
u64 credit_wake_vtime(u64 vtime, u64 floor, u64 bonus);
/* True when `woken` should take the CPU from `cur`, which has run `ran` ticks of its slice. */
bool credit_should_preempt(const struct vcpu *cur, u64 ran, const struct vcpu *woken,
			   u64 granularity);
/*
 * The least time `cur` may run (ticks since it was put on) before
 * credit_should_preempt() says `woken` should take the CPU: 0 when it is
 * owed already. As Xen's credit2 cuts the running vCPU's slice to when its
 * credit falls to the next waiting one's, so a woken I/O-bound vCPU beside
 * a CPU hog waits for its share, not for the hog's whole slice.
 */
u64 credit_preempt_after(const struct vcpu *cur, const struct vcpu *woken, u64 granularity);

#endif
