/*
 * Deferred work: what a device back end or the console must do outside the
 * trap that asked for it. Each physical CPU has a queue; its run loop runs
 * the items that are due between vCPU runs and when it wakes from idle,
 * with no lock held and no vCPU loaded. The scheduler arms the CPU's timer
 * for the earliest item and makes a running vCPU leave when one falls due.
 *
 * The rule for what runs where: a trap handler (an MMIO access, a hypercall,
 * an interrupt) only records state, raises interrupt lines and queues work;
 * anything that may wait for a lock another VM can hold for long, touch
 * another VM, or take long (draining the console, moving data for a device,
 * scrubbing) is work. Work may queue more work, itself included.
 */
#ifndef BULKHEAD_CORE_WORKQUEUE_H
#define BULKHEAD_CORE_WORKQUEUE_H

#include "types.h"
#include "core/platform.h"
#include "core/spinlock.h"

struct work {
	void (*fn)(struct work *w, u64 now);
	struct work *next;   /* queue link */
	u64 due;             /* counter value it runs from; 0: at once */
	u32 cpu;             /* whose queue (moved only by work_queue_idle) */
	bool queued;
	bool when_idle;      /* may run before `due`, once its CPU has nothing else */
	bool running;        /* taken to run, not yet work_ran(): it stays on its CPU */
};

/* An item that runs `fn` on CPU `cpu`. */
static inline void work_init(struct work *w, void (*fn)(struct work *w, u64 now), u32 cpu)
{
	*w = (struct work){ .fn = fn, .cpu = cpu };
}

/*
 * Queues `w` to run on its CPU once the counter reaches `due` (0: as soon as
 * the CPU looks). An item already queued only moves earlier. From any
 * context; the CPU is interrupted when this gives it something to do sooner
 * than it knew.
 */
void work_queue(struct work *w, u64 due);
/*
 * Work a VM asks for, run in that VM's place: on CPU `cpu` (where its vCPU
 * runs; the item moves there when it is neither queued nor running, so it
 * never runs twice at once), as soon as that CPU has nothing else to run
 * (the vCPU waits for an interrupt, none other is runnable), and at `latest`
 * at the latest. What the guest asks for while it keeps running is done in
 * one go when it pauses, as a device would; a guest that never pauses still
 * gets it by `latest`. An item queued so calls work_ran() once it no longer
 * needs to be the only run of itself, before anything that may free it.
 * An item already queued with a plain work_queue() keeps that rule (it must
 * not run before its due); only its due may move earlier.
 */
void work_queue_idle(struct work *w, u32 cpu, u64 latest);
/* The run of an item queued by work_queue_idle() is over as far as moving
 * the item is concerned (it stays on its CPU until this is called). */
void work_ran(struct work *w);
/* Takes `w` off its queue if it is there: it will not run (teardown). */
void work_cancel(struct work *w);
struct work_queue {
	struct spinlock lock;
	struct work *head;
	u64 next_due;        /* the earliest due of its items, 0 when empty */
	bool any_when_idle;  /* an item may run as soon as the CPU is idle */
};

/* Read by the scheduler on every pass (inline: it is on the IPI path). */
extern struct work_queue work_queues[MAX_CPUS];

/* When CPU `cpu` next has work (0: none), read without its queue's lock. */
static inline u64 work_next_due(u32 cpu)
{
	return __atomic_load_n(&work_queues[cpu].next_due, __ATOMIC_ACQUIRE);
}

/* True when CPU `cpu` has work due at `now`. */
static inline bool work_due(u32 cpu, u64 now)
{
	u64 next = work_next_due(cpu);

	return next && next <= now;
}
/* True when CPU `cpu` has an item that runs once it has nothing else to do:
 * a vCPU going idle there does not wait in place but lets it run. */
static inline bool work_when_idle(u32 cpu)
{
	return __atomic_load_n(&work_queues[cpu].any_when_idle, __ATOMIC_ACQUIRE);
}

/* Runs the items of CPU `cpu`'s queue that are due, each at most once per
 * call (one that queues itself again runs on a later call). No lock held.
 * So an item never runs twice at once. Cheap when the queue is empty: the
 * run loop calls it every round. */
void work_run(u32 cpu);
/* As work_run(), for a CPU with nothing else to run: the items that may run
 * when it is idle run too, due or not. True when anything ran. */
bool work_run_idle(u32 cpu);

#endif
