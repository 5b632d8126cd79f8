/* Per-CPU queues of deferred work, unordered lists with a cached earliest due. */
#include "arch.h"
#include "core/platform.h"
#include "core/spinlock.h"
#include "core/workqueue.h"

/* Items run per call at most: the rest stay due, and the loop comes back. */
#define WORK_BATCH 16

struct work_queue work_queues[MAX_CPUS];

/* Queue lock held: the earliest item again, after one left or changed. */
static void recompute(struct work_queue *q)
{
	u64 next = 0;
	bool idle = false;

	for (struct work *w = q->head; w; w = w->next) {
		if (!next || w->due < next)
			next = w->due;
		idle |= w->when_idle;
	}
	__atomic_store_n(&q->next_due, next, __ATOMIC_RELEASE);
	__atomic_store_n(&q->any_when_idle, idle, __ATOMIC_RELEASE);
}

/* `w`'s queue, locked: the one its `cpu` names once the lock is held (a
 * work_queue_idle() on another CPU may move an idle item meanwhile). */
static struct work_queue *lock_queue_of(struct work *w)
{
	for (;;) {
		u32 cpu = __atomic_load_n(&w->cpu, __ATOMIC_ACQUIRE);
		struct work_queue *q = &work_queues[cpu < MAX_CPUS ? cpu : 0];

		spin_lock(&q->lock);
		if (__atomic_load_n(&w->cpu, __ATOMIC_RELAXED) == cpu || cpu >= MAX_CPUS)
			return q;
		spin_unlock(&q->lock);
	}
}

/* Queue lock held. True when the CPU must look again (sooner than it knew). */
static bool enqueue(struct work_queue *q, struct work *w, u64 due, bool when_idle)
{
	bool sooner = false;

	/* 0 says "no work" in next_due: at once is counter value 1, long past */
	if (!due)
		due = 1;
	if (!w->queued) {
		w->queued = true;
		w->due = due;
		w->when_idle = when_idle;
		w->next = q->head;
		q->head = w;
	} else {
		if (due < w->due)
			w->due = due;
		w->when_idle &= when_idle;
	}
	if (!q->next_due || w->due < q->next_due) {
		__atomic_store_n(&q->next_due, w->due, __ATOMIC_RELEASE);
		sooner = true;
	}
	if (w->when_idle && !q->any_when_idle) {
		__atomic_store_n(&q->any_when_idle, true, __ATOMIC_RELEASE);
		sooner = true;
	}
	return sooner;
}

void work_queue(struct work *w, u64 due)
{
	struct work_queue *q = lock_queue_of(w);
	bool sooner = enqueue(q, w, due, false);

	spin_unlock(&q->lock);
	/* the CPU arms its timer (or leaves its guest) when it looks again; on
	 * this CPU the kick is taken at the next guest entry or idle */
	if (sooner)
		arch_kick_cpu((u32)(q - work_queues));
}

void work_queue_idle(struct work *w, u32 cpu, u64 latest)
{
	struct work_queue *q = lock_queue_of(w);
	bool sooner;

	if (cpu < MAX_CPUS && !w->queued && !w->running && q != &work_queues[cpu]) {
		/* moved under its old queue's lock, then queued under the new one's:
		 * lock_queue_of() elsewhere waits for the second */
		__atomic_store_n(&w->cpu, cpu, __ATOMIC_RELEASE);
		spin_unlock(&q->lock);
		q = lock_queue_of(w);
	}
	sooner = enqueue(q, w, latest, true);
	spin_unlock(&q->lock);
	if (sooner)
		arch_kick_cpu((u32)(q - work_queues));
}

void work_ran(struct work *w)
{
	struct work_queue *q = lock_queue_of(w);

	w->running = false;
	spin_unlock(&q->lock);
}

static void unlink(struct work_queue *q, struct work *w)
{
	for (struct work **p = &q->head; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	w->queued = false;
	w->next = NULL;
}

void work_cancel(struct work *w)
{
	struct work_queue *q;

	if (!__atomic_load_n(&w->queued, __ATOMIC_ACQUIRE))
		return;
	q = lock_queue_of(w);
	if (w->queued) {
		unlink(q, w);
		recompute(q);
	}
	spin_unlock(&q->lock);
}

/* Runs what is due at `now` (and, `idle`, what may run when the CPU is idle). */
static u32 run_items(u32 cpu, u64 now, bool idle)
{
	struct work_queue *q = &work_queues[cpu];
	/* taken off the queue first: once off, an item may be queued again (by
	 * its own function, or from another CPU) while this call still runs */
	struct work *batch[WORK_BATCH];
	u32 n = 0;

	spin_lock(&q->lock);
	for (struct work **p = &q->head; *p && n < WORK_BATCH;) {
		struct work *w = *p;

		if (w->due > now && !(idle && w->when_idle)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = NULL;
		__atomic_store_n(&w->queued, false, __ATOMIC_RELEASE);
		w->running = true;  /* until work_ran(): only idle items look */
		batch[n++] = w;
	}
	recompute(q);
	spin_unlock(&q->lock);
	for (u32 i = 0; i < n; i++)
		batch[i]->fn(batch[i], now);
	return n;
}

void work_run(u32 cpu)
{
	u64 now;

	if (!__atomic_load_n(&work_queues[cpu].next_due, __ATOMIC_ACQUIRE))
		return;
	now = arch_counter_read();
	if (work_due(cpu, now))
		run_items(cpu, now, false);
}

bool work_run_idle(u32 cpu)
{
	u64 now = arch_counter_read();

	if (!work_when_idle(cpu) && !work_due(cpu, now))
		return false;
	return run_items(cpu, now, true) != 0;
}
