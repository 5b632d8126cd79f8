/*
 * Run queues and the per-CPU loop. A run queue is a singly linked list of
 * the vCPUs placed on a CPU; its lock guards their state. Two kinds of VM
 * share the machine:
 *  - shared VMs' vCPUs take turns by the credit policy (sched_credit.h): the
 *    runnable vCPU with the least weighted CPU time runs for a slice of up to
 *    10 ms, a woken vCPU that is owed time preempts, and an idle CPU takes
 *    waiting work from a busy one within the vCPU's affinity;
 *  - a pinned VM's vCPUs each own a CPU that nothing else is placed on, so
 *    no slice timer ever runs there.
 * The EL2 timer is armed only for what needs it: a slice end when others
 * wait (or a cap runs out), a blocked vCPU's guest timer, a cap period start.
 */
#include "arch.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/sched_credit.h"
#include "core/vm.h"
#include "core/workqueue.h"

#define SLICES_PER_SECOND 100
/* A vCPU that slept may run ahead of the queue by half a slice. */
#define WAKE_BONUS_DIVISOR 2
/* A woken vCPU preempts only when owed more than 1 ms: no ping-pong. */
#define PREEMPT_GRANULARITY_PER_SECOND 1000

static struct spinlock place_lock;  /* placement and CPU reservation */

static u64 slice_ticks(void)
{
	return arch_counter_freq() / SLICES_PER_SECOND;
}

/* How far ahead of its queue a vCPU that slept may come back, in vtime. */
static u64 wake_bonus(void)
{
	return credit_charge(slice_ticks(), CONFIG_DEFAULT_WEIGHT) / WAKE_BONUS_DIVISOR;
}

/* How much more than the running vCPU another must be owed to preempt it. */
static u64 preempt_granularity(void)
{
	return arch_counter_freq() / PREEMPT_GRANULARITY_PER_SECOND;
}

static struct cpu *this_cpu(void)
{
	return &cpus[arch_cpu_index()];
}

/*
 * A CPU's run queue with its lock held (Hafnium's vm_locked habit). Only
 * rq_lock(), rq_lock_of() and rq_lock_pair() make one and rq_unlock() /
 * rq_unlock_pair() end it, so a function that takes one cannot be called
 * without the lock.
 */
struct rq_locked {
	struct cpu *cpu;
};

/* The run queues a vCPU moves between, locked together in CPU index order
 * (one lock when they are the same). */
struct rq_pair_locked {
	struct rq_locked from, to;
};

static struct rq_locked rq_lock(struct cpu *c)
{
	spin_lock(&c->rq_lock);
	return (struct rq_locked){ c };
}

static void rq_unlock(struct rq_locked rq)
{
	spin_unlock(&rq.cpu->rq_lock);
}

/*
 * The run queue of the vCPU's CPU, locked. A vCPU can move (vcpu-pin, an
 * idle CPU taking work), so its CPU is read again once the lock is held.
 */
static struct rq_locked rq_lock_of(struct vcpu *vcpu)
{
	for (;;) {
		struct rq_locked rq = rq_lock(&cpus[__atomic_load_n(&vcpu->pcpu, __ATOMIC_ACQUIRE)]);

		if (vcpu->pcpu == rq.cpu->index)
			return rq;
		rq_unlock(rq);
	}
}

static struct rq_pair_locked rq_lock_pair(struct cpu *from, struct cpu *to)
{
	struct cpu *first = from->index < to->index ? from : to;
	struct cpu *second = first == from ? to : from;

	spin_lock(&first->rq_lock);
	if (second != first)
		spin_lock(&second->rq_lock);
	return (struct rq_pair_locked){ { from }, { to } };
}

static void rq_unlock_pair(struct rq_pair_locked pair)
{
	if (pair.from.cpu != pair.to.cpu)
		spin_unlock(&pair.to.cpu->rq_lock);
	spin_unlock(&pair.from.cpu->rq_lock);
}

static bool cpu_allowed(const struct cpu *c, u64 mask)
{
	return __atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && (!mask || (mask & (1ull << c->index)));
}

int sched_pick_cpu(u64 mask)
{
	int best = -1;

	spin_lock(&place_lock);
	for (u32 i = 0; i < platform.ncpus; i++) {
		if (!cpu_allowed(&cpus[i], mask) || cpus[i].reserved)
			continue;
		if (best < 0 || cpus[i].nr_vcpus < cpus[best].nr_vcpus)
			best = (int)i;
	}
	spin_unlock(&place_lock);
	return best;
}

/* The highest free CPU: CPU 0 also serves the console, so it is taken last. */
int sched_reserve_cpu(u64 mask)
{
	int found = -1;

	spin_lock(&place_lock);
	for (u32 i = platform.ncpus; i-- > 0 && found < 0;) {
		if (cpu_allowed(&cpus[i], mask) && !cpus[i].reserved && cpus[i].nr_vcpus == 0) {
			cpus[i].reserved = true;
			found = (int)i;
		}
	}
	spin_unlock(&place_lock);
	return found;
}

void sched_add(struct vcpu *vcpu, u32 pcpu)
{
	struct rq_locked rq = rq_lock(&cpus[pcpu]);
	struct cpu *c = rq.cpu;

	vcpu->pcpu = pcpu;
	vcpu->vtime = c->min_vtime;
	vcpu->rq_next = c->rq_head;
	c->rq_head = vcpu;
	c->nr_vcpus++;
	rq_unlock(rq);
}

/* Takes the vCPU off the queue; false when it was not on it (removed). */
static bool unlink(struct rq_locked rq, struct vcpu *vcpu)
{
	struct cpu *c = rq.cpu;
	bool found = false;

	for (struct vcpu **p = &c->rq_head; *p; p = &(*p)->rq_next) {
		if (*p == vcpu) {
			*p = vcpu->rq_next;
			c->nr_vcpus--;
			found = true;
			break;
		}
	}
	if (c->last == vcpu)
		c->last = NULL;  /* the vCPU may be freed next */
	return found;
}

/* Puts a vCPU unlinked from pair.from on pair.to, keeping its standing
 * against that queue. */
static void link_moved(struct rq_pair_locked pair, struct vcpu *vcpu)
{
	struct cpu *from = pair.from.cpu, *to = pair.to.cpu;
	u64 ahead = vcpu->vtime > from->min_vtime ? vcpu->vtime - from->min_vtime : 0;

	vcpu->vtime = to->min_vtime + ahead;
	vcpu->rq_next = to->rq_head;
	to->rq_head = vcpu;
	to->nr_vcpus++;
	__atomic_store_n(&vcpu->pcpu, to->index, __ATOMIC_RELEASE);
}

void sched_remove(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);

	unlink(rq, vcpu);
	if (vcpu->vm->cfg.pinned)
		rq.cpu->reserved = false;
	rq_unlock(rq);
}

static void kick_cpu_of(struct vcpu *vcpu, bool preempt);

/*
 * Decided under both queues' locks, so that it cannot race a CPU claiming
 * the vCPU (claim_next sets `running` under its queue's lock) or the VM's
 * destruction taking it off its queue for good.
 */
enum sched_move_result sched_move(struct vcpu *vcpu, u32 to)
{
	enum sched_move_result result;

	for (;;) {
		u32 from = __atomic_load_n(&vcpu->pcpu, __ATOMIC_ACQUIRE);
		struct rq_pair_locked pair = rq_lock_pair(&cpus[from], &cpus[to]);

		if (vcpu->pcpu != from) {
			rq_unlock_pair(pair);  /* it moved meanwhile: lock its new queue */
			continue;
		}
		if (from == to)
			result = SCHED_MOVED;
		else if (vcpu->running)
			result = SCHED_MOVE_RUNNING;
		else if (!unlink(pair.from, vcpu))
			result = SCHED_MOVE_GONE;
		else {
			link_moved(pair, vcpu);
			result = SCHED_MOVED;
		}
		rq_unlock_pair(pair);
		break;
	}
	if (result == SCHED_MOVED)
		kick_cpu_of(vcpu, false);
	return result;
}

/*
 * Read under the vCPU's queue lock: a CPU claiming it at this moment either
 * has (it is running, and is kicked) or will see, under that lock, what the
 * caller changed before (stopping, paused) and not take it.
 */
bool sched_kick_if_running(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);
	bool running = vcpu->running;
	u32 cpu = vcpu->pcpu;

	rq_unlock(rq);
	if (running && cpu != arch_cpu_index())
		arch_kick_cpu(cpu);
	return running;
}

static bool can_run(const struct vcpu *v, u64 now)
{
	return v->state == VCPU_RUNNABLE && !__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&v->moving, __ATOMIC_ACQUIRE) && !credit_capped_out(v->vm, now);
}

static u32 runnable_count(struct rq_locked rq, u64 now)
{
	u32 n = 0;

	for (const struct vcpu *v = rq.cpu->rq_head; v; v = v->rq_next)
		n += can_run(v, now);
	return n;
}

static u64 earliest(u64 a, u64 b)
{
	return !a || (b && b < a) ? b : a;
}

/*
 * When the running vCPU's slice is cut for a woken vCPU that waits (0: it
 * is not): the moment the waiter is owed the CPU. A vCPU that slept is
 * behind in vtime but may not be owed more than the granularity yet when it
 * wakes; it then preempts as soon as it is, instead of waiting up to a whole
 * slice behind a CPU hog (Linux's CFS rechecks at every tick, Xen's credit2
 * sizes the slice by the waiter's credit). Only woken vCPUs cut a slice: two
 * CPU hogs still take whole slices in turn.
 */
static u64 woken_deadline(struct rq_locked rq, u64 now)
{
	struct vcpu *cur = rq.cpu->current;
	u64 when = 0;

	for (const struct vcpu *v = rq.cpu->rq_head; v; v = v->rq_next) {
		if (v != cur && v->woke && can_run(v, now))
			when = earliest(when, cur->run_start +
					      credit_preempt_after(cur, v, preempt_granularity()));
	}
	return when;
}

/*
 * Earliest of: a blocked vCPU's guest timer, the slice end when the running
 * vCPU must give way (others wait, or its cap runs out) or sooner for a
 * woken vCPU, and the start of the next cap period when a capped vCPU waits
 * for it.
 */
static u64 next_deadline(struct rq_locked rq, u64 now)
{
	struct cpu *c = rq.cpu;
	u64 when = 0;
	bool capped_waiting = false;

	for (const struct vcpu *v = c->rq_head; v; v = v->rq_next) {
		if (v->state == VCPU_BLOCKED && v->wake_at)
			when = earliest(when, v->wake_at);
		if (v->state == VCPU_RUNNABLE && v->vm->cfg.cap && credit_capped_out(v->vm, now))
			capped_waiting = true;
	}
	if (c->current && (runnable_count(rq, now) > 1 || c->current->vm->cfg.cap))
		when = earliest(when, c->slice_end);
	if (c->current)
		when = earliest(when, woken_deadline(rq, now));
	if (capped_waiting)
		when = earliest(when, credit_next_period(now));
	return earliest(when, work_next_due(c->index));
}

static void rearm(struct rq_locked rq)
{
	arch_set_timer(next_deadline(rq, arch_counter_read()));
}

/*
 * From an interrupt: the timer for what comes next. A deadline already past
 * (work due at once) would fire again as soon as it is acknowledged, over
 * and over until the run loop handles what is due; when the CPU is about to
 * go round its loop anyway (its vCPU leaves, or it has none: it was idle),
 * the timer stays off, and claim_next() arms it after the work has run.
 */
static void rearm_unless_leaving(struct rq_locked rq, bool leaving)
{
	u64 now = arch_counter_read();
	u64 when = next_deadline(rq, now);

	if (when && when <= now && (leaving || !rq.cpu->current))
		when = 0;
	arch_set_timer(when);
}

/* An idle CPU of the vCPU's affinity, to take it while its own CPU is busy. */
static int idle_helper_for(const struct vcpu *vcpu)
{
	if (vcpu->vm->cfg.pinned)
		return -1;
	for (u32 i = 0; i < platform.ncpus; i++) {
		const struct cpu *c = &cpus[i];

		if (i != vcpu->pcpu && cpu_allowed(c, vcpu->affinity) && !c->reserved &&
		    (!__atomic_load_n(&c->current, __ATOMIC_ACQUIRE) ||
		     __atomic_load_n(&c->waiting_in_place, __ATOMIC_ACQUIRE)))
			return (int)i;
	}
	return -1;
}

/* A CPU waiting in place goes round its loop only when told it is wanted. */
static void kick_helper(u32 cpu)
{
	__atomic_store_n(&cpus[cpu].help_wanted, true, __ATOMIC_RELEASE);
	arch_kick_cpu(cpu);
}

/*
 * A vCPU just became runnable. Its CPU must look again: another CPU is
 * kicked; on this one the timer is re-armed (the running vCPU now has
 * company), or, when the newcomer is owed the CPU, this CPU kicks itself so
 * that the guest leaves as soon as it is entered. If its CPU stays busy, an
 * idle CPU of its affinity is woken to take it.
 */
static void kick_cpu_of(struct vcpu *vcpu, bool preempt)
{
	struct cpu *c = &cpus[vcpu->pcpu];
	int helper;

	/* With no vCPU on it, this CPU is in its loop (its work, or an
	 * interrupt in arch_idle), which goes to claim_next next: that arms
	 * the timer. */
	if (vcpu->pcpu != arch_cpu_index() || preempt) {
		arch_kick_cpu(vcpu->pcpu);
	} else if (__atomic_load_n(&c->current, __ATOMIC_ACQUIRE)) {
		struct rq_locked rq = rq_lock(c);

		rearm(rq);
		rq_unlock(rq);
	}
	if (__atomic_load_n(&c->current, __ATOMIC_ACQUIRE) && !preempt &&
	    (helper = idle_helper_for(vcpu)) >= 0)
		kick_helper((u32)helper);
}

/* For a vCPU turning runnable: place it in vtime and say whether it should
 * take the CPU from the running one (only if it can run: not paused, not
 * held back by its cap). */
static bool make_runnable(struct rq_locked rq, struct vcpu *vcpu)
{
	struct cpu *c = rq.cpu;
	u64 now;

	vcpu->state = VCPU_RUNNABLE;
	vcpu->wake_at = 0;
	vcpu->vtime = credit_wake_vtime(vcpu->vtime, c->min_vtime, wake_bonus());
	if (!c->current || c->current == vcpu)
		return false;
	now = arch_counter_read();
	if (can_run(vcpu, now) &&
	    credit_should_preempt(c->current, now - c->current->run_start, vcpu,
				  preempt_granularity())) {
		c->preempt = true;
		return true;
	}
	return false;
}

void sched_start(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);
	bool preempt = make_runnable(rq, vcpu);

	rq_unlock(rq);
	kick_cpu_of(vcpu, preempt);
}

void sched_stop(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);

	vcpu->state = VCPU_OFF;
	vcpu->wake_at = 0;
	rq_unlock(rq);
}

bool sched_block(struct vcpu *vcpu, bool (*wake_now)(struct vcpu *))
{
	struct rq_locked rq = rq_lock_of(vcpu);
	bool blocked = false;

	if (vcpu->state == VCPU_RUNNABLE && !wake_now(vcpu)) {
		vcpu->state = VCPU_BLOCKED;
		blocked = true;
	}
	rq_unlock(rq);
	return blocked;
}

bool sched_running_here(const struct vcpu *vcpu)
{
	/* Only this CPU blocks its current vCPU, so the state cannot turn to
	 * BLOCKED under our feet; other CPUs never touch a runnable one's. */
	return cpus[arch_cpu_index()].current == vcpu &&
	       __atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) == VCPU_RUNNABLE;
}

bool sched_wake(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);
	bool woke = false, preempt = false;

	if (vcpu->state == VCPU_BLOCKED) {
		vcpu->woke = true;
		preempt = make_runnable(rq, vcpu);
		woke = true;
	}
	rq_unlock(rq);
	if (woke)
		kick_cpu_of(vcpu, preempt);
	return woke;
}

/* The running vCPU is charged only when it leaves: count its slice so far. */
static u64 vtime_at(struct rq_locked rq, const struct vcpu *v, u64 now)
{
	if (v != rq.cpu->current)
		return v->vtime;
	return v->vtime + credit_charge(now - v->run_start, v->vm->cfg.weight);
}

/*
 * The runnable vCPU with the least vtime; ties go to the one after the vCPU
 * that ran last, so equals take turns. A vCPU that yielded (WFE) is taken
 * only when nobody else can run.
 */
static struct vcpu *pick_next(struct rq_locked rq, u64 now)
{
	struct cpu *c = rq.cpu;
	struct vcpu *start = c->last && c->last->rq_next ?
				     c->last->rq_next : c->rq_head;
	struct vcpu *best = NULL, *v = start;

	if (!v)
		return NULL;
	do {
		if (can_run(v, now) && (!best || (best->yielding && !v->yielding) ||
					(best->yielding == v->yielding &&
					 vtime_at(rq, v, now) < vtime_at(rq, best, now))))
			best = v;
		v = v->rq_next ? v->rq_next : c->rq_head;
	} while (v != start);
	return best;
}

bool sched_yield_cpu(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);
	u64 now = arch_counter_read();
	bool others = runnable_count(rq, now) > (can_run(vcpu, now) ? 1u : 0u);

	if (others)
		vcpu->yielding = true;
	rq_unlock(rq);
	return others;
}

/* A slice is 10 ms, or what is left of the VM's cap budget if that is less. */
static void start_slice(struct rq_locked rq, struct vcpu *v, u64 now)
{
	struct cpu *c = rq.cpu;
	u64 left = credit_cap_left(v->vm, now);

	c->slice_capped = left < slice_ticks();
	c->slice_end = now + (c->slice_capped ? left : slice_ticks());
}

/* Charges the running vCPU for its time so far. */
static void charge_current(struct rq_locked rq, u64 now)
{
	struct vcpu *v = rq.cpu->current;

	v->cpu_time += now - v->run_start;
	credit_account(v, now - v->run_start, now);
	v->run_start = now;
}

/* Nothing but `vcpu` for this CPU now (its run queue lock held). */
static bool alone_here(struct rq_locked rq, struct vcpu *vcpu, u64 now)
{
	struct cpu *c = rq.cpu;

	if (c->current != vcpu || c->preempt || work_due(c->index, now) ||
	    work_when_idle(c->index) || !can_run(vcpu, now))
		return false;
	for (const struct vcpu *v = c->rq_head; v; v = v->rq_next) {
		if (v != vcpu && v->state == VCPU_RUNNABLE && can_run(v, now))
			return false;
	}
	return true;
}

/* The vCPU this CPU runs cannot move meanwhile: its queue is this CPU's. */
bool sched_wait_begin(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock(this_cpu());
	u64 now = arch_counter_read();
	bool may = alone_here(rq, vcpu, now);

	if (may) {
		/* the timer as the loop would leave it for an idle CPU: a deadline
		 * armed while the vCPU ran (its slice's end) is nothing to wake for */
		rearm(rq);
		charge_current(rq, now);
		__atomic_store_n(&rq.cpu->help_wanted, false, __ATOMIC_RELAXED);
		__atomic_store_n(&rq.cpu->waiting_in_place, true, __ATOMIC_RELEASE);
	}
	rq_unlock(rq);
	return may;
}

bool sched_wait_goes_on(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock(this_cpu());
	bool on = alone_here(rq, vcpu, arch_counter_read()) &&
		  !__atomic_exchange_n(&rq.cpu->help_wanted, false, __ATOMIC_ACQ_REL);

	rq_unlock(rq);
	return on;
}

void sched_wait_end(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock(this_cpu());

	__atomic_store_n(&rq.cpu->waiting_in_place, false, __ATOMIC_RELEASE);
	vcpu->run_start = arch_counter_read();  /* the wait was not the vCPU's CPU time */
	rq_unlock(rq);
}

/*
 * A vCPU alone on its CPU may run for ever without a tick (no slice end when
 * nobody waits), so cpu_time alone would read 0: the run in progress is
 * added here, under its run queue's lock, as the scheduler sees it.
 */
u64 sched_cpu_time(struct vcpu *vcpu)
{
	struct rq_locked rq = rq_lock_of(vcpu);
	u64 t = vcpu->cpu_time;

	/* a wait in place is not its CPU time (sched_wait_end) */
	if (rq.cpu->current == vcpu && !rq.cpu->waiting_in_place)
		t += arch_counter_read() - vcpu->run_start;
	rq_unlock(rq);
	return t;
}

/* Wakes blocked vCPUs whose timer is due. */
static void wake_due(struct rq_locked rq, u64 now)
{
	for (struct vcpu *v = rq.cpu->rq_head; v; v = v->rq_next) {
		if (v->state == VCPU_BLOCKED && v->wake_at && v->wake_at <= now) {
			v->woke = true;
			make_runnable(rq, v);
		}
	}
}

/* Whether the running vCPU should give way now. */
static bool should_leave(struct rq_locked rq, u64 now)
{
	struct cpu *c = rq.cpu;
	struct vcpu *cur = c->current, *next;

	if (!cur)
		return false;
	if (!can_run(cur, now) || c->preempt)
		return true;
	if (now < c->slice_end)
		return false;
	if (c->slice_capped)
		return true;  /* the cap's budget ran out with this slice */
	next = pick_next(rq, now);
	return next && next != cur;
}

bool sched_timer_expired(void)
{
	struct rq_locked rq = rq_lock(this_cpu());
	struct cpu *c = rq.cpu;
	u64 now = arch_counter_read();
	bool preempt;

	wake_due(rq, now);
	if (c->current && !c->preempt && now < c->slice_end) {
		struct vcpu *next = pick_next(rq, now);

		/* a woken vCPU owed the CPU takes it now */
		c->preempt = next && next != c->current &&
			     credit_should_preempt(c->current, now - c->current->run_start, next,
						   preempt_granularity());
	}
	/* deferred work runs in the loop: the guest leaves for it */
	preempt = should_leave(rq, now) || (c->current && work_due(c->index, now));
	if (!preempt && c->current && now >= c->slice_end) {
		/* it keeps the CPU for another slice: charge this one, so that
		 * the vtime order and the cap see it */
		charge_current(rq, now);
		start_slice(rq, c->current, now);
	}
	rearm_unless_leaving(rq, preempt);
	rq_unlock(rq);
	return preempt;
}

bool sched_kicked(void)
{
	struct rq_locked rq = rq_lock(this_cpu());
	struct cpu *c = rq.cpu;
	bool leave = false;
	u64 now;

	if (c->current) {
		now = arch_counter_read();
		leave = c->preempt || !can_run(c->current, now) || work_due(c->index, now) ||
			c->current->task;
	}
	rearm_unless_leaving(rq, leave);
	rq_unlock(rq);
	return leave;
}

/*
 * An idle CPU takes the waiting vCPU with the least vtime from another CPU,
 * if that vCPU's affinity allows this CPU. Pinned VMs never move, and a CPU
 * reserved for one neither gives nor takes. True when it took one.
 */
static bool take_work(struct cpu *c, u64 now)
{
	if (c->reserved)
		return false;
	for (u32 i = 0; i < platform.ncpus; i++) {
		struct cpu *o = &cpus[i];
		struct vcpu *best = NULL;
		struct rq_pair_locked pair;

		if (o == c || !__atomic_load_n(&o->online, __ATOMIC_ACQUIRE) || o->reserved)
			continue;
		/* An idle CPU is passed over without its lock. Should it start
		 * running meanwhile with others waiting, helper_for_waiting() wakes
		 * an idle CPU for them. */
		if (!__atomic_load_n(&o->current, __ATOMIC_ACQUIRE))
			continue;
		pair = rq_lock_pair(o, c);
		/* an idle CPU runs its own runnable vCPUs next: take only from busy ones */
		for (struct vcpu *v = o->current ? o->rq_head : NULL; v; v = v->rq_next) {
			if (v != o->current && !v->running && can_run(v, now) && !v->vm->cfg.pinned &&
			    cpu_allowed(c, v->affinity) && (!best || v->vtime < best->vtime))
				best = v;
		}
		if (best) {
			unlink(pair.from, best);
			link_moved(pair, best);
		}
		rq_unlock_pair(pair);
		if (best) {
			hv_debug("cpu %u took vm '%s' vCPU %u from cpu %u", c->index,
				 best->vm->cfg.name, best->id, o->index);
			return true;
		}
	}
	return false;
}

/*
 * The CPU has just put a vCPU on: if others still wait there, an idle CPU of
 * one's affinity is woken to take it (vCPUs that keep running never block
 * or wake, so nothing else would tell the idle CPU).
 */
static int helper_for_waiting(struct rq_locked rq, u64 now)
{
	for (struct vcpu *w = rq.cpu->rq_head; w; w = w->rq_next) {
		int helper;

		if (w != rq.cpu->current && can_run(w, now) && (helper = idle_helper_for(w)) >= 0)
			return helper;
	}
	return -1;
}

static struct vcpu *claim_next(struct cpu *cpu)
{
	u64 now = arch_counter_read();
	struct rq_locked rq = rq_lock(cpu);
	struct cpu *c = rq.cpu;
	struct vcpu *v;
	int helper = -1;

	v = pick_next(rq, now);
	if (v) {
		v->running = true;
		v->yielding = false;
		v->woke = false;
		v->run_start = now;
		/* one held back by its cap does not come back with a lead to spend */
		v->vtime = credit_wake_vtime(v->vtime, c->min_vtime, wake_bonus());
		if (v->vtime > c->min_vtime)
			c->min_vtime = v->vtime;
		__atomic_store_n(&c->current, v, __ATOMIC_RELEASE);
		c->last = v;
		c->preempt = false;
		start_slice(rq, v, now);
		helper = helper_for_waiting(rq, now);
	}
	rearm(rq);
	rq_unlock(rq);
	if (helper >= 0)
		kick_helper((u32)helper);
	return v;
}

static void release_current(struct cpu *c, struct vcpu *v)
{
	u64 now = arch_counter_read();
	struct rq_locked rq = rq_lock(c);

	charge_current(rq, now);
	__atomic_store_n(&c->current, NULL, __ATOMIC_RELEASE);
	c->preempt = false;
	__atomic_store_n(&v->running, false, __ATOMIC_RELEASE);
	rq_unlock(rq);
	arch_send_event(); /* someone may wait for this vCPU to be off the CPU */
}

void sched_set_task(struct vcpu *vcpu, enum vcpu_next (*task)(struct vcpu *vcpu))
{
	vcpu->task_pos = 0;
	__atomic_store_n(&vcpu->task, task, __ATOMIC_RELEASE);
	/* in the guest on this CPU: the kick is taken at its next entry */
	if (cpus[arch_cpu_index()].current == vcpu)
		arch_kick_cpu(arch_cpu_index());
}

/*
 * The vCPU's task, a bounded step at a time, until it is done or the CPU
 * must go to someone else: pending interrupts are handled between steps as
 * they would be in the guest (the slice timer, kicks, wake-ups), so a task
 * never holds the CPU more than one step past the vCPU's slice.
 */
static enum vcpu_next run_task(struct vcpu *v)
{
	for (;;) {
		enum vcpu_next next = v->task(v);

		if (next == VCPU_RESUME) {
			__atomic_store_n(&v->task, NULL, __ATOMIC_RELEASE);
			return VCPU_YIELD;
		}
		if (vcpu_next_is_exit(next)) {
			__atomic_store_n(&v->task, NULL, __ATOMIC_RELEASE);
			return next;
		}
		if (arch_poll_irqs())
			return VCPU_YIELD;
	}
}

void cpu_run_loop(void)
{
	struct cpu *c = this_cpu();

	for (;;) {
		struct vcpu *v;
		struct vm *vm;
		enum vcpu_next next;
		bool held;

		if (work_next_due(c->index))
			work_run(c->index);
		v = claim_next(c);
		if (!v && take_work(c, arch_counter_read()))
			v = claim_next(c);
		if (!v) {
			if (!work_run_idle(c->index))
				arch_idle();
			continue;
		}
		next = v->task ? run_task(v) : arch_vcpu_run(v);
		if (!vcpu_next_is_exit(next)) {
			release_current(c, v);
			continue;
		}
		/* Once off the CPU, a sibling's exit handling on another CPU may
		 * destroy the VM: the reference keeps its vCPUs until this one's
		 * exit is handled. A VM already dying needs no more handling. */
		vm = v->vm;
		held = vm_get(vm);
		release_current(c, v);
		if (held) {
			vm_handle_exit(v, next);
			vm_put(vm);
		}
	}
}
