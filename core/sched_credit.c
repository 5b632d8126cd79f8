/* The credit policy: vtime charging, caps, wake-up placement. */
#include "arch.h"
#include "core/config.h"
#include "core/sched_credit.h"
#include "core/vm.h"

u64 credit_charge(u64 ticks, u32 weight)
{
	if (weight == 0)
		weight = CONFIG_DEFAULT_WEIGHT;
	return ticks * CONFIG_DEFAULT_WEIGHT / weight;
}

static u64 period_ticks(void)
{
	return arch_counter_freq() / CREDIT_CAP_PERIODS_PER_SECOND;
}

static u64 period_of(u64 now)
{
	return now / period_ticks();
}

u64 credit_next_period(u64 now)
{
	return (period_of(now) + 1) * period_ticks();
}

static u64 cap_budget(const struct vm *vm)
{
	return period_ticks() * vm->cfg.cap / 100;
}

u64 credit_cap_left(const struct vm *vm, u64 now)
{
	u64 used;

	if (vm->cfg.cap == 0)
		return ~0ull;
	used = __atomic_load_n(&vm->cap_period, __ATOMIC_ACQUIRE) == period_of(now) ?
		       __atomic_load_n(&vm->cap_used, __ATOMIC_RELAXED) : 0;
	return used < cap_budget(vm) ? cap_budget(vm) - used : 0;
}

bool credit_capped_out(const struct vm *vm, u64 now)
{
	return credit_cap_left(vm, now) == 0;
}

/* Time run across a period boundary counts in the period it ends in: a cap
 * is a long-run average, and the error is at most one slice. */
static void charge_cap(struct vm *vm, u64 ran, u64 now)
{
	spin_lock(&vm->cap_lock);
	if (vm->cap_period != period_of(now)) {
		vm->cap_period = period_of(now);
		vm->cap_used = 0;
	}
	vm->cap_used += ran;
	spin_unlock(&vm->cap_lock);
}

void credit_account(struct vcpu *v, u64 ran, u64 now)
{
	v->vtime += credit_charge(ran, v->vm->cfg.weight);
	if (v->vm->cfg.cap)
		charge_cap(v->vm, ran, now);
}

u64 credit_wake_vtime(u64 vtime, u64 floor, u64 bonus)
{
	u64 least = floor > bonus ? floor - bonus : 0;

	return vtime > least ? vtime : least;
}

u64 credit_preempt_after(const struct vcpu *cur, const struct vcpu *woken, u64 granularity)
{
	u64 weight = cur->vm->cfg.weight ? cur->vm->cfg.weight : CONFIG_DEFAULT_WEIGHT;
	u64 lead = woken->vtime + granularity;

	if (lead < cur->vtime)
		return 0;
	/* the least `ran` whose charge exceeds lead - vtime (charge rounds down) */
	return ((lead - cur->vtime + 1) * weight + CONFIG_DEFAULT_WEIGHT - 1) / CONFIG_DEFAULT_WEIGHT;
}

bool credit_should_preempt(const struct vcpu *cur, u64 ran, const struct vcpu *woken,
			   u64 granularity)
{
	u64 cur_now = cur->vtime + credit_charge(ran, cur->vm->cfg.weight);

	return woken->vtime + granularity < cur_now;
}
