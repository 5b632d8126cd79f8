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
	u32 cpu;             /* whose queue: fixed for the item's life */
	bool queued;
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
/* Takes `w` off its queue if it is there: it will not run (teardown). */
void work_cancel(struct work *w);
struct work_queue {
	struct spinlock lock;
	struct work *head;
	u64 next_due;        /* the earliest due of its items, 0 when empty */
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
/* Runs the items of CPU `cpu`'s queue that are due, each at most once per
 * call (one that queues itself again runs on a later call). No lock held.
 * So an item never runs twice at once. Cheap when the queue is empty: the
 * run loop calls it every round. */
void work_run(u32 cpu);

#endif
