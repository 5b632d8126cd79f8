/*
 * The scheduler: each physical CPU has a run queue of the vCPUs placed on
 * it. Shared VMs' vCPUs take turns by the credit policy (weight, cap), 10 ms
 * at most at a time when several want the CPU, and idle CPUs take waiting
 * work from busy ones; a pinned VM's vCPUs own their CPUs. A vCPU in WFI is
 * blocked until a virtual interrupt is pending or its timer fires.
 */
#ifndef BULKHEAD_CORE_SCHED_H
#define BULKHEAD_CORE_SCHED_H

#include "types.h"
#include "core/vcpu_next.h"

struct vcpu;

/* The online CPU with the fewest vCPUs among `mask` (0: any) that no pinned
 * VM reserved, or -1. */
int sched_pick_cpu(u64 mask);
/* Reserves for a pinned vCPU an online CPU of `mask` that has no vCPU at
 * all, the highest first; -1 when none is free. sched_remove() of a pinned
 * VM's vCPU gives the CPU back. */
int sched_reserve_cpu(u64 mask);
enum sched_move_result {
	SCHED_MOVED,          /* on `to`'s run queue now (or it was already) */
	SCHED_MOVE_RUNNING,   /* a CPU runs it: make it leave, then try again */
	SCHED_MOVE_GONE,      /* on no queue any more: its VM is being destroyed */
};

/* Moves a vCPU that no CPU runs to CPU `to`'s run queue. */
enum sched_move_result sched_move(struct vcpu *vcpu, u32 to);
/* After a change that stops a vCPU from running (its VM stopping, paused,
 * the vCPU moving): makes the CPU running it, if any, look again. True when
 * one was running it. */
bool sched_kick_if_running(struct vcpu *vcpu);
void sched_add(struct vcpu *vcpu, u32 pcpu);
/* The vCPU must not be running. */
void sched_remove(struct vcpu *vcpu);
/* OFF -> RUNNABLE (the guest starts a vCPU, the VM starts). */
void sched_start(struct vcpu *vcpu);
/* -> OFF (the guest stops a vCPU, the VM stops). */
void sched_stop(struct vcpu *vcpu);
/* Called on the vCPU's own CPU for WFI: blocks unless `wake_now` says an
 * interrupt is already there. Returns true when the vCPU blocked. */
bool sched_block(struct vcpu *vcpu, bool (*wake_now)(struct vcpu *));
/*
 * WFI when the vCPU is all its CPU has to do: the CPU may sleep with the
 * vCPU still on it and resume it at its next interrupt, without the switch
 * out and back in. sched_wait_begin() says whether it may (nothing else can
 * run here, no work is due, nothing asks the vCPU to leave); from then on
 * the CPU counts as idle (a busy CPU's waiting vCPU may be handed to it) and
 * the wait is not charged as the vCPU's CPU time. After each interrupt,
 * sched_wait_goes_on() says whether that is still so; sched_wait_end()
 * ends the wait either way. A wait that does not go on ends as a WFI always
 * did: sched_block().
 */
bool sched_wait_begin(struct vcpu *vcpu);
bool sched_wait_goes_on(struct vcpu *vcpu);
void sched_wait_end(struct vcpu *vcpu);
/* BLOCKED -> RUNNABLE, from any CPU; kicks the vCPU's CPU when it is another.
 * Decided under the run queue lock, so a concurrent sched_block() either sees
 * the new interrupt or is undone here: no wake-up is lost. */
bool sched_wake(struct vcpu *vcpu);
/* True when vcpu is the one this CPU runs now and it is not blocked: it
 * takes a new interrupt on its way back into the guest, with no wake-up. */
bool sched_running_here(const struct vcpu *vcpu);

/* WFE: true when another vCPU on this CPU is waiting to run; the caller
 * then leaves the guest, and the others go first. (Not sched_yield: a host
 * build of this file, as in the unit tests, would replace libc's.) */
bool sched_yield_cpu(struct vcpu *vcpu);

/* Counter ticks the vCPU spent in the guest, its current run included. */
u64 sched_cpu_time(struct vcpu *vcpu);
/*
 * Gives the vCPU work the hypervisor does on its behalf before its guest
 * runs again (a restart's scrub, a set/way flush): when the vCPU is
 * scheduled, its CPU runs the task's bounded steps instead of the guest, in
 * the vCPU's slices and charged to it, and gives the CPU up between steps
 * as it would give it up in the guest. When the vCPU runs here now, its
 * guest leaves at once. Nothing else may be running the vCPU elsewhere.
 */
void sched_set_task(struct vcpu *vcpu, enum vcpu_next (*task)(struct vcpu *vcpu));

/* From the arch interrupt path on this CPU: the scheduler's timer fired.
 * Returns true when the running vCPU should give up the CPU. */
bool sched_timer_expired(void);
/* From the arch interrupt path: another CPU kicked this one. Returns true
 * when the running vCPU should leave the guest. */
bool sched_kicked(void);

#endif
