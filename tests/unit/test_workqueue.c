/*
 * Per-CPU deferred work (core/workqueue.c) on the fake arch: the counter is
 * fake.counter, and arch_kick_cpu is counted in fake.kicks / fake.last_kick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/workqueue.h"

#define NITEMS 24

/* A work item and what its function saw. */
struct item {
	struct work w;
	u32 runs;
	u64 last_now;
	u64 requeue_due;   /* queue itself again at this due when it runs */
	bool requeue;
};

static struct item items[NITEMS];
static u32 total_runs;

/* What every item's function records of its run. */
static struct item *note_run(struct work *w, u64 now)
{
	struct item *it = (struct item *)w;

	it->runs++;
	it->last_now = now;
	total_runs++;
	return it;
}

static void item_fn(struct work *w, u64 now)
{
	struct item *it = note_run(w, now);

	/* it is off its queue while it runs */
	assert_false(w->queued);
	if (it->requeue)
		work_queue(w, it->requeue_due);
}

static int setup(void **state)
{
	fake_arch_reset();
	memset(work_queues, 0, sizeof(work_queues));
	memset(items, 0, sizeof(items));
	total_runs = 0;
	for (u32 i = 0; i < NITEMS; i++)
		work_init(&items[i].w, item_fn, 1);
	return 0;
}

/* One work_run on `cpu` with the counter at `now`. */
static void run_at(u32 cpu, u64 now)
{
	fake.counter = now;
	work_run(cpu);
}

static void test_init(void **state)
{
	struct work w;

	memset(&w, 0xff, sizeof(w));
	work_init(&w, item_fn, 3);
	assert_ptr_equal(w.fn, item_fn);
	assert_int_equal(w.cpu, 3);
	assert_false(w.queued);
	assert_null(w.next);
	assert_int_equal(w.due, 0);
	/* nothing queued anywhere: nothing due, and running finds nothing */
	for (u32 cpu = 0; cpu < MAX_CPUS; cpu++) {
		assert_int_equal(work_next_due(cpu), 0);
		assert_false(work_due(cpu, ~0ull));
		run_at(cpu, 1000);
	}
	assert_int_equal(total_runs, 0);
}

static void test_runs_when_due(void **state)
{
	struct item *a = &items[0];

	fake.counter = 100;
	work_queue(&a->w, 200);
	assert_true(a->w.queued);
	assert_int_equal(work_next_due(1), 200);
	assert_false(work_due(1, 199));
	assert_true(work_due(1, 200));
	assert_true(work_due(1, 5000));
	run_at(1, 100);
	run_at(1, 199);
	assert_int_equal(a->runs, 0);
	assert_true(a->w.queued);
	run_at(1, 200);
	assert_int_equal(a->runs, 1);
	assert_int_equal(a->last_now, 200);    /* the counter value it ran at */
	assert_false(a->w.queued);
	assert_int_equal(work_next_due(1), 0);
	assert_false(work_due(1, ~0ull));
	run_at(1, 10000);                       /* once only */
	assert_int_equal(a->runs, 1);
	/* queued again, it runs again */
	work_queue(&a->w, 10500);
	run_at(1, 10499);
	assert_int_equal(a->runs, 1);
	run_at(1, 20000);
	assert_int_equal(a->runs, 2);
	assert_int_equal(a->last_now, 20000);
}

static void test_at_once(void **state)
{
	struct item *a = &items[0];

	fake.counter = 5;
	work_queue(&a->w, 0);
	/* 0 means "no work" in next_due: "at once" is stored as the earliest time */
	assert_int_equal(work_next_due(1), 1);
	assert_true(work_due(1, 1));
	assert_false(work_due(1, 0));
	run_at(1, 5);
	assert_int_equal(a->runs, 1);
	assert_int_equal(work_next_due(1), 0);
	/* an at-once item goes before one queued earlier for later */
	work_queue(&items[1].w, 1000);
	work_queue(&a->w, 0);
	assert_int_equal(work_next_due(1), 1);
	run_at(1, 6);
	assert_int_equal(a->runs, 2);
	assert_int_equal(items[1].runs, 0);
	assert_int_equal(work_next_due(1), 1000);
}

static void test_queue_again_only_moves_earlier(void **state)
{
	struct item *a = &items[0];

	work_queue(&a->w, 500);
	work_queue(&a->w, 300);
	assert_int_equal(a->w.due, 300);
	assert_int_equal(work_next_due(1), 300);
	work_queue(&a->w, 800);                /* later: no change */
	assert_int_equal(a->w.due, 300);
	assert_int_equal(work_next_due(1), 300);
	work_queue(&a->w, 0);                  /* at once is earliest of all */
	assert_int_equal(a->w.due, 1);
	work_queue(&a->w, 300);
	assert_int_equal(a->w.due, 1);
	/* queued several times, it is on the queue once: it runs once */
	run_at(1, 1000);
	assert_int_equal(a->runs, 1);
	assert_int_equal(work_next_due(1), 0);
	run_at(1, 2000);
	assert_int_equal(a->runs, 1);
}

static void test_next_due_is_the_earliest(void **state)
{
	work_queue(&items[0].w, 700);
	assert_int_equal(work_next_due(1), 700);
	work_queue(&items[1].w, 900);
	assert_int_equal(work_next_due(1), 700);
	work_queue(&items[2].w, 400);
	assert_int_equal(work_next_due(1), 400);
	work_queue(&items[3].w, 401);
	assert_int_equal(work_next_due(1), 400);
	/* running the due one leaves the next earliest, one tick later */
	run_at(1, 400);
	assert_int_equal(items[2].runs, 1);
	assert_int_equal(items[0].runs + items[1].runs + items[3].runs, 0);
	assert_int_equal(work_next_due(1), 401);
	run_at(1, 401);
	assert_int_equal(items[3].runs, 1);
	assert_int_equal(work_next_due(1), 700);
	assert_false(work_due(1, 699));
	/* everything due runs in one call */
	run_at(1, 900);
	assert_int_equal(items[0].runs, 1);
	assert_int_equal(items[1].runs, 1);
	assert_int_equal(work_next_due(1), 0);
}

static void test_cancel(void **state)
{
	struct item *a = &items[0], *b = &items[1], *c = &items[2];

	/* not queued: nothing happens */
	work_cancel(&a->w);
	assert_false(a->w.queued);
	assert_int_equal(work_next_due(1), 0);

	work_queue(&a->w, 100);
	work_queue(&b->w, 200);
	work_queue(&c->w, 300);
	work_cancel(&a->w);                    /* the earliest: the next takes over */
	assert_false(a->w.queued);
	assert_int_equal(work_next_due(1), 200);
	work_cancel(&c->w);                    /* not the earliest: unchanged */
	assert_int_equal(work_next_due(1), 200);
	work_cancel(&c->w);                    /* twice is harmless */
	run_at(1, 1000);
	assert_int_equal(a->runs, 0);
	assert_int_equal(c->runs, 0);
	assert_int_equal(b->runs, 1);
	assert_int_equal(work_next_due(1), 0);
	/* the last one cancelled leaves nothing due */
	work_queue(&a->w, 2000);
	work_cancel(&a->w);
	assert_int_equal(work_next_due(1), 0);
	run_at(1, 5000);
	assert_int_equal(a->runs, 0);
	/* and a cancelled item can be queued again */
	work_queue(&a->w, 6000);
	assert_int_equal(work_next_due(1), 6000);
	run_at(1, 6000);
	assert_int_equal(a->runs, 1);
}

/* An item that queues itself from its function runs once per call, even
 * when it is due again at once. */
static void test_requeue_from_fn(void **state)
{
	struct item *a = &items[0];

	a->requeue = true;
	a->requeue_due = 0;
	work_queue(&a->w, 0);
	run_at(1, 10);
	assert_int_equal(a->runs, 1);
	assert_true(a->w.queued);
	assert_int_equal(work_next_due(1), 1);
	run_at(1, 10);
	assert_int_equal(a->runs, 2);
	/* due at a time already reached: still one run per call */
	a->requeue_due = 10;
	run_at(1, 20);
	assert_int_equal(a->runs, 3);
	assert_int_equal(work_next_due(1), 10);
	run_at(1, 20);
	assert_int_equal(a->runs, 4);
	/* queued for later, it waits */
	a->requeue_due = 100;
	run_at(1, 30);
	assert_int_equal(a->runs, 5);
	assert_int_equal(work_next_due(1), 100);
	run_at(1, 99);
	assert_int_equal(a->runs, 5);
	a->requeue = false;
	run_at(1, 100);
	assert_int_equal(a->runs, 6);
	assert_false(a->w.queued);
	assert_int_equal(work_next_due(1), 0);
}

/* At most 16 items per call: the rest stay queued and due. */
static void test_batch_limit(void **state)
{
	u32 ran = 0;

	for (u32 i = 0; i < 20; i++)
		work_queue(&items[i].w, 50 + i);
	work_queue(&items[20].w, 5000);        /* not due */
	run_at(1, 1000);
	assert_int_equal(total_runs, 16);
	for (u32 i = 0; i < 20; i++) {
		assert_true(items[i].runs <= 1);
		assert_int_equal(items[i].w.queued, items[i].runs == 0);
		ran += items[i].runs;
	}
	assert_int_equal(ran, 16);
	assert_true(work_due(1, 1000));
	assert_true(work_next_due(1) >= 50 && work_next_due(1) < 70);
	run_at(1, 1000);
	assert_int_equal(total_runs, 20);
	for (u32 i = 0; i < 20; i++)
		assert_int_equal(items[i].runs, 1);
	assert_int_equal(items[20].runs, 0);
	assert_int_equal(work_next_due(1), 5000);
	assert_false(work_due(1, 1000));
}

/* The CPU is kicked when it gets something to do sooner than it knew. */
static void test_kicks(void **state)
{
	struct item *a = &items[0], *b = &items[1], *c = &items[2];

	work_init(&a->w, item_fn, 2);
	work_init(&b->w, item_fn, 2);
	work_init(&c->w, item_fn, 2);
	work_queue(&a->w, 1000);                /* first item: kick */
	assert_int_equal(fake.kicks, 1);
	assert_int_equal(fake.last_kick, 2);
	work_queue(&b->w, 2000);                /* later than what it knows: no kick */
	assert_int_equal(fake.kicks, 1);
	work_queue(&b->w, 1000);                /* as early as it knows: no kick */
	assert_int_equal(fake.kicks, 1);
	work_queue(&a->w, 1500);                /* an item queued again later: no kick */
	assert_int_equal(fake.kicks, 1);
	work_queue(&c->w, 500);                 /* earlier: kick */
	assert_int_equal(fake.kicks, 2);
	assert_int_equal(fake.last_kick, 2);
	work_queue(&a->w, 400);                 /* an item moved earlier: kick */
	assert_int_equal(fake.kicks, 3);
	assert_int_equal(work_next_due(2), 400);
	/* another CPU's queue: its own kick */
	work_queue(&items[3].w, 3000);          /* CPU 1 */
	assert_int_equal(fake.kicks, 4);
	assert_int_equal(fake.last_kick, 1);
	/* running does not kick; an empty queue gets a kick again */
	run_at(2, 10000);
	assert_int_equal(fake.kicks, 4);
	assert_int_equal(work_next_due(2), 0);
	work_queue(&a->w, 20000);
	assert_int_equal(fake.kicks, 5);
	assert_int_equal(fake.last_kick, 2);
}

static void test_cpus_are_independent(void **state)
{
	struct item *on0 = &items[0], *on1 = &items[1], *on7 = &items[2];

	work_init(&on0->w, item_fn, 0);
	work_init(&on7->w, item_fn, MAX_CPUS - 1);
	work_queue(&on0->w, 100);
	work_queue(&on1->w, 200);
	work_queue(&on7->w, 300);
	assert_int_equal(work_next_due(0), 100);
	assert_int_equal(work_next_due(1), 200);
	assert_int_equal(work_next_due(MAX_CPUS - 1), 300);
	assert_int_equal(work_next_due(2), 0);
	/* each CPU runs its own items only, however late it is */
	run_at(1, 1000);
	assert_int_equal(on1->runs, 1);
	assert_int_equal(on0->runs + on7->runs, 0);
	assert_int_equal(work_next_due(0), 100);
	assert_int_equal(work_next_due(MAX_CPUS - 1), 300);
	run_at(2, 1000);
	assert_int_equal(total_runs, 1);
	/* cancelling on one CPU leaves the others alone */
	work_cancel(&on0->w);
	assert_int_equal(work_next_due(0), 0);
	assert_int_equal(work_next_due(MAX_CPUS - 1), 300);
	run_at(0, 1000);
	assert_int_equal(on0->runs, 0);
	run_at(MAX_CPUS - 1, 1000);
	assert_int_equal(on7->runs, 1);
	assert_int_equal(total_runs, 2);
}

/* An item queued by work_queue_idle() that says when its run is over. */
static void idle_fn(struct work *w, u64 now)
{
	note_run(w, now);
	assert_true(w->running);
	work_ran(w);
	assert_false(w->running);
}

static void test_idle_runs_early_only_when_idle(void **state)
{
	struct item *a = &items[0], *b = &items[1];

	work_init(&a->w, idle_fn, 1);
	fake.counter = 100;
	work_queue_idle(&a->w, 1, 1100);
	assert_true(work_when_idle(1));
	assert_int_equal(work_next_due(1), 1100);
	/* a CPU with other things to run leaves it until its latest */
	run_at(1, 500);
	assert_int_equal(a->runs, 0);
	/* one with nothing else runs it at once */
	fake.counter = 600;
	assert_true(work_run_idle(1));
	assert_int_equal(a->runs, 1);
	assert_int_equal(a->last_now, 600);
	assert_false(work_when_idle(1));
	assert_int_equal(work_next_due(1), 0);
	assert_false(work_run_idle(1));        /* nothing more */
	/* not idle, it still runs by its latest */
	work_queue_idle(&a->w, 1, 2000);
	run_at(1, 2000);
	assert_int_equal(a->runs, 2);
	/* a plain item waits for its due even on an idle CPU, beside an idle one */
	work_queue(&b->w, 5000);
	work_queue_idle(&a->w, 1, 6000);
	fake.counter = 3000;
	assert_true(work_run_idle(1));
	assert_int_equal(a->runs, 3);
	assert_int_equal(b->runs, 0);
	assert_false(work_when_idle(1));
	assert_int_equal(work_next_due(1), 5000);
}

static void test_idle_item_moves_to_the_asking_cpu(void **state)
{
	struct item *a = &items[0];

	work_init(&a->w, idle_fn, 0);
	fake.counter = 10;
	work_queue_idle(&a->w, 2, 1000);       /* neither queued nor running: moves */
	assert_int_equal(a->w.cpu, 2);
	assert_int_equal(fake.last_kick, 2);
	assert_int_equal(work_next_due(0), 0);
	assert_int_equal(work_next_due(2), 1000);
	/* queued: asking from elsewhere only moves its latest earlier */
	work_queue_idle(&a->w, 3, 500);
	assert_int_equal(a->w.cpu, 2);
	assert_int_equal(work_next_due(3), 0);
	assert_int_equal(work_next_due(2), 500);
	assert_true(work_run_idle(2));
	assert_int_equal(a->runs, 1);
	assert_false(a->w.running);
	/* once its run is over it may move again */
	work_queue_idle(&a->w, 3, 700);
	assert_int_equal(a->w.cpu, 3);
	assert_true(work_when_idle(3));
	assert_false(work_when_idle(2));
}

/* An item running on one CPU asked for from another: it stays where it runs
 * (its fn is not over), so it never runs on two CPUs at once. */
static struct item *asked_while_running;

static void asks_itself_fn(struct work *w, u64 now)
{
	(void)now;
	asked_while_running->runs++;
	work_queue_idle(w, 3, 900);
	assert_int_equal(w->cpu, 1);
	assert_true(w->queued);
	work_ran(w);
}

static void test_running_idle_item_stays(void **state)
{
	struct item *a = &items[0];

	asked_while_running = a;
	work_init(&a->w, asks_itself_fn, 1);
	work_queue_idle(&a->w, 1, 100);
	run_at(1, 100);
	assert_int_equal(a->runs, 1);
	assert_int_equal(work_next_due(1), 900);
	assert_int_equal(work_next_due(3), 0);
	/* an item a plain work_queue() found queued keeps the plain rule */
	work_cancel(&a->w);
	work_init(&a->w, idle_fn, 1);
	work_queue(&a->w, 5000);
	work_queue_idle(&a->w, 1, 4000);
	assert_false(work_when_idle(1));
	assert_int_equal(work_next_due(1), 4000);
	fake.counter = 10;
	assert_false(work_run_idle(1));
	assert_int_equal(a->runs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init, setup),
		cmocka_unit_test_setup(test_runs_when_due, setup),
		cmocka_unit_test_setup(test_at_once, setup),
		cmocka_unit_test_setup(test_queue_again_only_moves_earlier, setup),
		cmocka_unit_test_setup(test_next_due_is_the_earliest, setup),
		cmocka_unit_test_setup(test_cancel, setup),
		cmocka_unit_test_setup(test_requeue_from_fn, setup),
		cmocka_unit_test_setup(test_batch_limit, setup),
		cmocka_unit_test_setup(test_kicks, setup),
		cmocka_unit_test_setup(test_cpus_are_independent, setup),
		cmocka_unit_test_setup(test_idle_runs_early_only_when_idle, setup),
		cmocka_unit_test_setup(test_idle_item_moves_to_the_asking_cpu, setup),
		cmocka_unit_test_setup(test_running_idle_item_stays, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
