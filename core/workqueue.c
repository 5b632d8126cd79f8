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

	for (struct work *w = q->head; w; w = w->next) {
		if (!next || w->due < next)
			next = w->due;
	}
	__atomic_store_n(&q->next_due, next, __ATOMIC_RELEASE);
}

void work_queue(struct work *w, u64 due)
{
	struct work_queue *q = &work_queues[w->cpu < MAX_CPUS ? w->cpu : 0];
	bool sooner = false;

	/* 0 says "no work" in next_due: at once is counter value 1, long past */
	if (!due)
		due = 1;
	spin_lock(&q->lock);
	if (!w->queued) {
		w->queued = true;
		w->due = due;
		w->next = q->head;
		q->head = w;
	} else if (due < w->due) {
		w->due = due;
	}
	if (!q->next_due || w->due < q->next_due) {
		__atomic_store_n(&q->next_due, w->due, __ATOMIC_RELEASE);
		sooner = true;
	}
	spin_unlock(&q->lock);
	/* the CPU arms its timer (or leaves its guest) when it looks again; on
	 * this CPU the kick is taken at the next guest entry or idle */
	if (sooner)
		arch_kick_cpu((u32)(q - work_queues));
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
	q = &work_queues[w->cpu < MAX_CPUS ? w->cpu : 0];
	spin_lock(&q->lock);
	if (w->queued) {
		unlink(q, w);
		recompute(q);
	}
	spin_unlock(&q->lock);
}

void work_run(u32 cpu)
{
	struct work_queue *q = &work_queues[cpu];
	/* taken off the queue first: once off, an item may be queued again (by
	 * its own function, or from another CPU) while this call still runs */
	struct work *batch[WORK_BATCH];
	u32 n = 0;
	u64 now;

	if (!__atomic_load_n(&q->next_due, __ATOMIC_ACQUIRE))
		return;
	now = arch_counter_read();
	if (!work_due(cpu, now))
		return;
	spin_lock(&q->lock);
	for (struct work **p = &q->head; *p && n < WORK_BATCH;) {
		struct work *w = *p;

		if (w->due > now) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = NULL;
		__atomic_store_n(&w->queued, false, __ATOMIC_RELEASE);
		batch[n++] = w;
	}
	recompute(q);
	spin_unlock(&q->lock);
	for (u32 i = 0; i < n; i++)
		batch[i]->fn(batch[i], now);
}
