/*
 * Run queues and the per-CPU loop. A run queue is a singly linked list of
 * the vCPUs placed on a CPU; its lock guards their state. The loop runs the
 * next runnable vCPU after the one that ran last, so runnable vCPUs share
 * the CPU round robin; the EL2 timer ends a slice only when another vCPU is
 * waiting for the CPU, and wakes blocked vCPUs whose timer is due.
 */
#include "arch.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/sched.h"
#include "core/vm.h"

#define SLICES_PER_SECOND 100

static u64 slice_ticks(void)
{
	return arch_counter_freq() / SLICES_PER_SECOND;
}

static struct cpu *this_cpu(void)
{
	return &cpus[arch_cpu_index()];
}

/*
 * The run queue lock of the vCPU's CPU. A vCPU can move (vcpu-pin), so its
 * CPU is read again once the lock is held.
 */
static struct cpu *lock_rq_of(struct vcpu *vcpu)
{
	for (;;) {
		struct cpu *c = &cpus[__atomic_load_n(&vcpu->pcpu, __ATOMIC_ACQUIRE)];

		spin_lock(&c->rq_lock);
		if (vcpu->pcpu == c->index)
			return c;
		spin_unlock(&c->rq_lock);
	}
}

int sched_pick_cpu(u64 mask)
{
	int best = -1;

	for (u32 i = 0; i < platform.ncpus; i++) {
		if (!cpus[i].online || (mask && !(mask & (1ull << i))))
			continue;
		if (best < 0 || cpus[i].nr_vcpus < cpus[best].nr_vcpus)
			best = (int)i;
	}
	return best;
}

void sched_add(struct vcpu *vcpu, u32 pcpu)
{
	struct cpu *c = &cpus[pcpu];

	spin_lock(&c->rq_lock);
	vcpu->pcpu = pcpu;
	vcpu->rq_next = c->rq_head;
	c->rq_head = vcpu;
	c->nr_vcpus++;
	spin_unlock(&c->rq_lock);
}

static void unlink(struct cpu *c, struct vcpu *vcpu)
{
	for (struct vcpu **p = &c->rq_head; *p; p = &(*p)->rq_next) {
		if (*p == vcpu) {
			*p = vcpu->rq_next;
			c->nr_vcpus--;
			break;
		}
	}
	if (c->last == vcpu)
		c->last = NULL;
}

void sched_remove(struct vcpu *vcpu)
{
	struct cpu *c = lock_rq_of(vcpu);

	unlink(c, vcpu);
	spin_unlock(&c->rq_lock);
}

static void kick_cpu_of(struct vcpu *vcpu);

void sched_move(struct vcpu *vcpu, u32 to)
{
	for (;;) {
		u32 from = __atomic_load_n(&vcpu->pcpu, __ATOMIC_ACQUIRE);
		struct cpu *a = &cpus[from < to ? from : to], *b = &cpus[from < to ? to : from];

		spin_lock(&a->rq_lock);
		if (b != a)
			spin_lock(&b->rq_lock);
		if (vcpu->pcpu == from) {
			unlink(&cpus[from], vcpu);
			vcpu->rq_next = cpus[to].rq_head;
			cpus[to].rq_head = vcpu;
			cpus[to].nr_vcpus++;
			__atomic_store_n(&vcpu->pcpu, to, __ATOMIC_RELEASE);
		}
		if (b != a)
			spin_unlock(&b->rq_lock);
		spin_unlock(&a->rq_lock);
		if (vcpu->pcpu == to)
			break;
	}
	kick_cpu_of(vcpu);
}

static void rearm(struct cpu *c);

/*
 * A vCPU just became runnable. On another CPU, kick it; on this one, the
 * running vCPU now has company and must get a slice end (the timer may be
 * off while it ran alone).
 */
static void kick_cpu_of(struct vcpu *vcpu)
{
	struct cpu *c = &cpus[vcpu->pcpu];

	if (vcpu->pcpu != arch_cpu_index()) {
		arch_kick_cpu(vcpu->pcpu);
		return;
	}
	spin_lock(&c->rq_lock);
	rearm(c);
	spin_unlock(&c->rq_lock);
}

void sched_start(struct vcpu *vcpu)
{
	struct cpu *c = lock_rq_of(vcpu);

	vcpu->state = VCPU_RUNNABLE;
	vcpu->wake_at = 0;
	spin_unlock(&c->rq_lock);
	kick_cpu_of(vcpu);
}

void sched_stop(struct vcpu *vcpu)
{
	struct cpu *c = lock_rq_of(vcpu);

	vcpu->state = VCPU_OFF;
	vcpu->wake_at = 0;
	spin_unlock(&c->rq_lock);
}

bool sched_block(struct vcpu *vcpu, bool (*wake_now)(struct vcpu *))
{
	struct cpu *c = lock_rq_of(vcpu);
	bool blocked = false;

	if (vcpu->state == VCPU_RUNNABLE && !wake_now(vcpu)) {
		vcpu->state = VCPU_BLOCKED;
		blocked = true;
	}
	spin_unlock(&c->rq_lock);
	return blocked;
}

bool sched_wake(struct vcpu *vcpu)
{
	struct cpu *c = lock_rq_of(vcpu);
	bool woke = false;

	if (vcpu->state == VCPU_BLOCKED) {
		vcpu->state = VCPU_RUNNABLE;
		vcpu->wake_at = 0;
		woke = true;
	}
	spin_unlock(&c->rq_lock);
	if (woke)
		kick_cpu_of(vcpu);
	return woke;
}

static bool can_run(const struct vcpu *v)
{
	return v->state == VCPU_RUNNABLE && !__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&v->moving, __ATOMIC_ACQUIRE);
}

/* The runnable vCPU after the one that ran last (round robin); lock held. */
static struct vcpu *pick_next(struct cpu *c)
{
	struct vcpu *start = c->last && c->last->rq_next ? c->last->rq_next : c->rq_head;
	struct vcpu *v = start;

	if (!v)
		return NULL;
	do {
		if (can_run(v))
			return v;
		v = v->rq_next ? v->rq_next : c->rq_head;
	} while (v != start);
	return NULL;
}

static u32 runnable_count(const struct cpu *c)
{
	u32 n = 0;

	for (const struct vcpu *v = c->rq_head; v; v = v->rq_next)
		n += can_run(v);
	return n;
}

/* Earliest of: a blocked vCPU's timer, and the slice end when others wait. */
static u64 next_deadline(struct cpu *c)
{
	u64 when = 0;

	for (const struct vcpu *v = c->rq_head; v; v = v->rq_next) {
		if (v->state == VCPU_BLOCKED && v->wake_at && (!when || v->wake_at < when))
			when = v->wake_at;
	}
	if (c->current && runnable_count(c) > 1 && (!when || c->slice_end < when))
		when = c->slice_end;
	return when;
}

static void rearm(struct cpu *c)
{
	arch_set_timer(next_deadline(c));
}

/* Wakes blocked vCPUs whose timer is due; lock held. */
static void wake_due(struct cpu *c, u64 now)
{
	for (struct vcpu *v = c->rq_head; v; v = v->rq_next) {
		if (v->state == VCPU_BLOCKED && v->wake_at && v->wake_at <= now) {
			v->state = VCPU_RUNNABLE;
			v->wake_at = 0;
		}
	}
}

bool sched_others_waiting(void)
{
	struct cpu *c = this_cpu();
	bool waiting;

	spin_lock(&c->rq_lock);
	waiting = runnable_count(c) > (c->current && can_run(c->current) ? 1u : 0u);
	spin_unlock(&c->rq_lock);
	return waiting;
}

bool sched_timer_expired(void)
{
	struct cpu *c = this_cpu();
	u64 now = arch_counter_read();
	bool preempt;

	spin_lock(&c->rq_lock);
	wake_due(c, now);
	preempt = c->current && now >= c->slice_end && runnable_count(c) > 1;
	if (preempt)
		c->slice_end = now + slice_ticks(); /* never re-arm in the past */
	rearm(c);
	spin_unlock(&c->rq_lock);
	return preempt;
}

bool sched_kicked(void)
{
	struct cpu *c = this_cpu();
	bool leave;

	spin_lock(&c->rq_lock);
	rearm(c);
	leave = c->current && !can_run(c->current);
	spin_unlock(&c->rq_lock);
	return leave;
}

static struct vcpu *claim_next(struct cpu *c)
{
	struct vcpu *v;

	spin_lock(&c->rq_lock);
	v = pick_next(c);
	if (v) {
		v->running = true;
		c->current = v;
		c->last = v;
		c->slice_end = arch_counter_read() + slice_ticks();
	}
	rearm(c);
	spin_unlock(&c->rq_lock);
	return v;
}

static void release_current(struct cpu *c, struct vcpu *v)
{
	spin_lock(&c->rq_lock);
	c->current = NULL;
	__atomic_store_n(&v->running, false, __ATOMIC_RELEASE);
	spin_unlock(&c->rq_lock);
	arch_send_event(); /* someone may wait for this vCPU to be off the CPU */
}

void cpu_run_loop(void)
{
	struct cpu *c = this_cpu();

	for (;;) {
		struct vcpu *v;
		u64 start;

		if (c->index == 0) {
			console_service();  /* console input is routed between vCPU runs */
			/* TEMPORARY (console branch): until the scheduler arms its timer
			 * for console_flush_deadline() and calls console_poll() there */
			console_poll(arch_counter_read());
		}
		v = claim_next(c);
		if (!v) {
			arch_idle();
			continue;
		}
		start = arch_counter_read();
		arch_vcpu_run(v);
		v->cpu_time += arch_counter_read() - start;
		release_current(c, v);
		if (v->exit == VCPU_EXIT_YIELD)
			v->exit = VCPU_EXIT_NONE;
		else if (v->exit != VCPU_EXIT_NONE)
			vm_handle_exit(v);
	}
}
