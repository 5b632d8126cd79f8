/* The credit policy: vtime charging by weight, cap budgets per period, wake placement. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/sched_credit.h"
#include "core/vm.h"
#include "fake_arch.h"

static struct vm vm;
static struct vcpu v;

static u64 ms(u64 n)
{
	return fake.counter_freq / 1000 * n;
}

static int setup(void **state)
{
	fake_arch_reset();
	memset(&vm, 0, sizeof(vm));
	memset(&v, 0, sizeof(v));
	vm.cfg.weight = 256;
	v.vm = &vm;
	return 0;
}

static void test_charge_scales_with_weight(void **state)
{
	assert_int_equal(credit_charge(1000, 256), 1000);
	assert_int_equal(credit_charge(1000, 512), 500);
	assert_int_equal(credit_charge(1000, 128), 2000);
	assert_int_equal(credit_charge(1000, 0), 1000);  /* never divides by zero */
	vm.cfg.weight = 512;
	credit_account(&v, 1000, 0);
	assert_int_equal(v.vtime, 500);
}

static void test_no_cap_never_runs_out(void **state)
{
	credit_account(&v, ms(5000), ms(5000));
	assert_false(credit_capped_out(&vm, ms(5000)));
	assert_int_equal(credit_cap_left(&vm, ms(5000)), ~0ull);
}

static void test_cap_budget_per_period(void **state)
{
	u64 period = ms(1000) / CREDIT_CAP_PERIODS_PER_SECOND;
	u64 t = 3 * period + ms(1);

	vm.cfg.cap = 25;
	assert_int_equal(credit_cap_left(&vm, t), period / 4);
	credit_account(&v, period / 8, t);
	assert_int_equal(credit_cap_left(&vm, t), period / 8);
	assert_false(credit_capped_out(&vm, t));
	credit_account(&v, period / 8, t + ms(2));
	assert_true(credit_capped_out(&vm, t + ms(2)));
	/* the next period starts with the whole budget again */
	assert_int_equal(credit_next_period(t), 4 * period);
	assert_false(credit_capped_out(&vm, 4 * period));
	assert_int_equal(credit_cap_left(&vm, 4 * period), period / 4);
	credit_account(&v, period / 10, 4 * period + 1);
	assert_int_equal(credit_cap_left(&vm, 4 * period + 2), period / 4 - period / 10);
}

static void test_cap_above_one_cpu(void **state)
{
	u64 period = ms(1000) / CREDIT_CAP_PERIODS_PER_SECOND;

	vm.cfg.cap = 150;  /* one and a half CPUs, over several vCPUs */
	credit_account(&v, period, 1);
	assert_false(credit_capped_out(&vm, 2));
	credit_account(&v, period / 2, 3);
	assert_true(credit_capped_out(&vm, 4));
}

static void test_wake_vtime(void **state)
{
	/* a sleeper cannot bank time: it comes back just ahead of the queue */
	assert_int_equal(credit_wake_vtime(100, 10000, 500), 9500);
	/* one that ran more than the others keeps its debt */
	assert_int_equal(credit_wake_vtime(20000, 10000, 500), 20000);
	assert_int_equal(credit_wake_vtime(0, 300, 500), 0);
}

static void test_preempt_only_when_owed_more_than_granularity(void **state)
{
	struct vm other = vm;
	struct vcpu cur = { .vm = &other, .vtime = 10000 };
	struct vcpu woken = { .vm = &vm, .vtime = 9500 };

	assert_false(credit_should_preempt(&cur, 0, &woken, 1000));
	assert_true(credit_should_preempt(&cur, 600, &woken, 1000));
	other.cfg.weight = 1024;  /* the running one is heavy: its time counts less */
	assert_false(credit_should_preempt(&cur, 600, &woken, 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_charge_scales_with_weight, setup),
		cmocka_unit_test_setup(test_no_cap_never_runs_out, setup),
		cmocka_unit_test_setup(test_cap_budget_per_period, setup),
		cmocka_unit_test_setup(test_cap_above_one_cpu, setup),
		cmocka_unit_test_setup(test_wake_vtime, setup),
		cmocka_unit_test_setup(test_preempt_only_when_owed_more_than_granularity, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
