/*
 * The run queues (core/sched.c with the credit policy): placement and
 * reservation, vCPU state changes, the pick order, preemption on wake,
 * yielding, moves between CPUs and the EL2 timer deadline.
 *
 * The per-CPU loop is driven for real: cpu_run_loop() runs on fake CPU 1
 * until it has nothing to run, and the fake arch's idle hook then jumps back
 * here. A run hook stands in for the guest: it records which vCPU ran, lets
 * the test act while that vCPU is on the CPU, and returns what the guest's
 * trap handlers would have. Logging and vm_handle_exit are stubs; the work
 * queue is the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/cpu.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/workqueue.h"
#include "core/vm.h"
#include "fake_arch.h"

#define NV 4
#define HERE 1  /* the fake CPU the tests run the loop on (CPU 0 also serves the console) */

struct cpu cpus[MAX_CPUS];
struct platform platform;

static struct vm vm, pinned_vm;
static struct vcpu v[NV];

/* Stubs for what sched.c calls outside the scheduler. */
void log_msg(enum log_level level, const char *fmt, ...) {}

static u32 exits_handled;
static int vm_refs;           /* references taken and not given back */
static bool vm_dying;         /* vm_get() refuses: the VM is being destroyed */

void vm_handle_exit(struct vcpu *vcpu, enum vcpu_next exit)
{
	assert_true(vm_refs > 0);  /* the VM cannot go while its exit is handled */
	exits_handled++;
}

bool vm_get(struct vm *vm)
{
	if (vm_dying)
		return false;
	vm_refs++;
	return true;
}

void vm_put(struct vm *vm)
{
	vm_refs--;
}

/* The guest's side: which vCPUs ran, in order, and what each run does. */
static struct {
	struct vcpu *order[32];
	u32 runs;
	u32 max_runs;          /* after this many, every vCPU is stopped */
	u64 ticks_per_run;     /* counter time each run takes */
	void (*during)(struct vcpu *vcpu);  /* called while the vCPU is on the CPU */
	enum vcpu_next next;
} guest;

static jmp_buf loop_done;

static void idle_hook(void)
{
	longjmp(loop_done, 1);
}

static enum vcpu_next run_hook(struct vcpu *vcpu)
{
	if (guest.runs < 32)
		guest.order[guest.runs] = vcpu;
	guest.runs++;
	if (guest.during)
		guest.during(vcpu);
	fake.counter += guest.ticks_per_run;
	if (guest.runs >= guest.max_runs) {
		for (u32 i = 0; i < NV; i++)
			sched_stop(&v[i]);
	}
	return guest.next;
}

/* Runs CPU `cpu`'s loop until it has nothing left to run. */
static void run_loop_on(u32 cpu)
{
	fake.cpu_index = cpu;
	if (setjmp(loop_done) == 0)
		cpu_run_loop();
	assert_null(cpus[cpu].current);
}

static void run_loop(void)
{
	run_loop_on(HERE);
}

static u64 ms(u64 n)
{
	return fake.counter_freq / 1000 * n;
}

static int setup(void **state)
{
	fake_arch_reset();
	fake.idle_hook = idle_hook;
	fake.vcpu_run_hook = run_hook;
	fake.counter = ms(1000);
	memset(cpus, 0, sizeof(cpus));
	memset(&platform, 0, sizeof(platform));
	memset(&vm, 0, sizeof(vm));
	memset(&pinned_vm, 0, sizeof(pinned_vm));
	memset(v, 0, sizeof(v));
	memset(&guest, 0, sizeof(guest));
	memset(work_queues, 0, sizeof(work_queues));
	guest.max_runs = 1;
	guest.next = VCPU_YIELD;
	exits_handled = 0;
	vm_refs = 0;
	vm_dying = false;
	platform.ncpus = 4;
	for (u32 i = 0; i < 4; i++) {
		cpus[i].index = i;
		cpus[i].online = true;
	}
	vm.cfg.weight = 256;
	pinned_vm.cfg.weight = 256;
	pinned_vm.cfg.pinned = true;
	for (u32 i = 0; i < NV; i++) {
		v[i].vm = &vm;
		v[i].id = i;
	}
	return 0;
}

static bool on_queue(const struct cpu *c, const struct vcpu *vcpu)
{
	for (const struct vcpu *p = c->rq_head; p; p = p->rq_next) {
		if (p == vcpu)
			return true;
	}
	return false;
}

static void test_add_and_remove(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	assert_int_equal(cpus[HERE].nr_vcpus, 2);
	assert_int_equal(v[1].pcpu, HERE);
	assert_true(on_queue(&cpus[HERE], &v[0]) && on_queue(&cpus[HERE], &v[1]));
	assert_int_equal(v[0].state, VCPU_OFF);  /* placed, not started */
	sched_remove(&v[0]);
	assert_int_equal(cpus[HERE].nr_vcpus, 1);
	assert_false(on_queue(&cpus[HERE], &v[0]));
	assert_true(on_queue(&cpus[HERE], &v[1]));
	/* the least loaded CPU gets the next vCPU */
	assert_int_not_equal(sched_pick_cpu(0), HERE);
	assert_int_equal(sched_pick_cpu(1u << HERE), HERE);
}

static bool no_interrupt(struct vcpu *vcpu) { return false; }
static bool interrupt_waiting(struct vcpu *vcpu) { return true; }

static void test_state_changes(void **state)
{
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	assert_int_equal(v[0].state, VCPU_RUNNABLE);
	/* WFI with an interrupt already there does not block */
	assert_false(sched_block(&v[0], interrupt_waiting));
	assert_int_equal(v[0].state, VCPU_RUNNABLE);
	v[0].wake_at = ms(2000);
	assert_true(sched_block(&v[0], no_interrupt));
	assert_int_equal(v[0].state, VCPU_BLOCKED);
	assert_true(sched_wake(&v[0]));
	assert_int_equal(v[0].state, VCPU_RUNNABLE);
	assert_int_equal(v[0].wake_at, 0);
	assert_false(sched_wake(&v[0]));  /* only a blocked vCPU wakes */
	sched_stop(&v[0]);
	assert_int_equal(v[0].state, VCPU_OFF);
	assert_false(sched_block(&v[0], no_interrupt));  /* an off vCPU does not block */
	assert_false(sched_wake(&v[0]));
}

static void test_pick_least_vtime_first(void **state)
{
	static const u64 vtimes[3] = { 300, 100, 200 };

	for (u32 i = 0; i < 3; i++) {
		sched_add(&v[i], HERE);
		v[i].vtime = vtimes[i];
		sched_start(&v[i]);
	}
	guest.max_runs = 3;
	guest.during = sched_stop;  /* each runs once */
	run_loop();
	assert_int_equal(guest.runs, 3);
	assert_ptr_equal(guest.order[0], &v[1]);
	assert_ptr_equal(guest.order[1], &v[2]);
	assert_ptr_equal(guest.order[2], &v[0]);
}

static void test_equals_take_turns(void **state)
{
	for (u32 i = 0; i < 3; i++) {
		sched_add(&v[i], HERE);
		sched_start(&v[i]);
	}
	guest.max_runs = 9;  /* no time passes: every vtime stays equal */
	run_loop();
	assert_int_equal(guest.runs, 9);
	for (u32 i = 3; i < 9; i++)
		assert_ptr_equal(guest.order[i], guest.order[i - 3]);
	assert_ptr_not_equal(guest.order[0], guest.order[1]);
	assert_ptr_not_equal(guest.order[1], guest.order[2]);
	assert_ptr_not_equal(guest.order[0], guest.order[2]);
}

static void test_time_run_is_charged(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	vm.cfg.weight = 256;
	sched_start(&v[0]);
	sched_start(&v[1]);
	guest.max_runs = 4;
	guest.ticks_per_run = ms(5);
	run_loop();
	/* charged for every run: the two alternate */
	assert_ptr_not_equal(guest.order[0], guest.order[1]);
	assert_ptr_equal(guest.order[0], guest.order[2]);
	assert_int_equal(v[0].cpu_time + v[1].cpu_time, 4 * ms(5));
	assert_int_equal(v[0].vtime + v[1].vtime, 4 * ms(5));
}

/* A vCPU alone on its CPU gets no tick: what it has run so far must still
 * show while it runs (list, vcpu-list and stats read this). */
static u64 time_seen_while_running, charged_while_running;

static void look_at_time(struct vcpu *running)
{
	fake.counter += ms(7);
	charged_while_running = running->cpu_time;
	time_seen_while_running = sched_cpu_time(running);
}

static void test_time_of_a_lone_running_vcpu(void **state)
{
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.during = look_at_time;
	run_loop();
	assert_int_equal(charged_while_running, 0);  /* no tick charged it yet */
	assert_true(time_seen_while_running >= ms(7));
	assert_int_equal(sched_cpu_time(&v[0]), v[0].cpu_time);  /* off the CPU: what was charged */
	assert_true(v[0].cpu_time >= ms(7));
}

/* While v[0] runs, blocked v[1] gets an interrupt. */
static bool preempted;
static u32 kicks_of_here;

static void wake_v1(struct vcpu *running)
{
	u32 kicks = fake.kicks;

	if (running != &v[0])
		return;
	assert_true(sched_wake(&v[1]));
	preempted = cpus[HERE].preempt;
	kicks_of_here = fake.kicks - kicks;
	if (kicks_of_here)
		assert_int_equal(fake.last_kick, HERE);
	/* a kick now makes the running vCPU leave exactly when it was preempted */
	assert_int_equal(sched_kicked(), preempted);
}

static void start_with_v1_blocked(u64 v0_vtime, u64 v1_vtime)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[1]);
	assert_true(sched_block(&v[1], no_interrupt));
	v[0].vtime = v0_vtime;
	v[1].vtime = v1_vtime;
	sched_start(&v[0]);
	guest.during = wake_v1;
	guest.max_runs = 2;
}

static void test_wake_preempts_when_owed(void **state)
{
	/* the woken vCPU is owed far more than the 1 ms granularity */
	start_with_v1_blocked(ms(50), ms(30));
	cpus[HERE].min_vtime = ms(30);
	run_loop();
	assert_true(preempted);
	assert_int_equal(kicks_of_here, 1);  /* this CPU kicks itself */
	assert_ptr_equal(guest.order[1], &v[1]);
}

static void test_wake_does_not_preempt_a_peer(void **state)
{
	/* less than the granularity apart: no ping-pong */
	start_with_v1_blocked(ms(30), ms(30));
	cpus[HERE].min_vtime = ms(30);
	platform.ncpus = 2;
	cpus[0].online = false;  /* no idle CPU to hand the woken vCPU to */
	run_loop();
	assert_false(preempted);
	assert_int_equal(kicks_of_here, 0);  /* the timer is re-armed instead */
}

/*
 * An I/O-bound vCPU beside a CPU hog on one CPU: it wakes not yet owed the
 * granularity (it ran about as much as the hog), so it does not preempt at
 * once; the hog's slice is cut for it the moment it is owed, and it runs
 * within the granularity of waking, not after the hog's whole 10 ms slice.
 */
static u64 woken_at, cut_at;
static bool left_at_cut;

static void io_vcpu_wakes(struct vcpu *running)
{
	if (running != &v[0])
		return;
	fake.counter += ms(2);             /* the hog is 2 ms into its slice */
	woken_at = fake.counter;
	assert_true(sched_wake(&v[1]));
	assert_false(cpus[HERE].preempt);   /* not owed yet */
	cut_at = fake.timer;
	fake.counter = cut_at - 1;
	assert_false(sched_timer_expired()); /* a tick early: the hog stays */
	fake.counter = cut_at;
	left_at_cut = sched_timer_expired();
}

static void test_woken_vcpu_cuts_a_hogs_slice(void **state)
{
	platform.ncpus = 2;
	cpus[0].online = false;  /* no idle CPU to hand the woken vCPU to */
	/* the I/O vCPU has run 2.5 ms more than the hog when the hog goes on */
	start_with_v1_blocked(ms(30), ms(30) + ms(5) / 2);
	cpus[HERE].min_vtime = ms(30);
	guest.during = io_vcpu_wakes;
	run_loop();
	/* owed more than the 1 ms granularity once the hog is 3.5 ms further */
	assert_true(cut_at > woken_at && cut_at <= woken_at + ms(2));
	assert_true(left_at_cut);
	assert_ptr_equal(guest.order[1], &v[1]);
}

static bool yielded_alone, yielded_with_others;

static void yield_twice(struct vcpu *running)
{
	if (running == &v[1])
		sched_stop(&v[1]);  /* leaves v[0] alone again */
	if (running != &v[0] || guest.runs != 1)
		return;
	yielded_alone = sched_yield_cpu(&v[0]);
	sched_start(&v[1]);
	yielded_with_others = sched_yield_cpu(&v[0]);
}

static void test_yield(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	v[0].vtime = 0;
	v[1].vtime = ms(100);  /* far behind: only a yield lets it go first */
	sched_start(&v[0]);
	guest.during = yield_twice;
	guest.max_runs = 3;
	run_loop();
	assert_false(yielded_alone);
	assert_true(yielded_with_others);
	assert_ptr_equal(guest.order[0], &v[0]);
	assert_ptr_equal(guest.order[1], &v[1]);  /* the yielder went after the other */
	assert_false(v[0].yielding);              /* cleared when it ran again */
	assert_ptr_equal(guest.order[2], &v[0]);
}

static void test_move_keeps_standing(void **state)
{
	sched_add(&v[0], 1);
	cpus[1].min_vtime = ms(100);
	cpus[2].min_vtime = ms(500);
	v[0].vtime = ms(103);  /* 3 ms ahead of its queue */
	sched_move(&v[0], 2);
	assert_int_equal(v[0].pcpu, 2);
	assert_false(on_queue(&cpus[1], &v[0]));
	assert_true(on_queue(&cpus[2], &v[0]));
	assert_int_equal(cpus[1].nr_vcpus, 0);
	assert_int_equal(cpus[2].nr_vcpus, 1);
	assert_int_equal(v[0].vtime, ms(503));
	assert_int_equal(fake.last_kick, 2);  /* its new CPU looks again */
	/* a move to where it already is changes nothing */
	assert_int_equal(sched_move(&v[0], 2), SCHED_MOVED);
	assert_int_equal(cpus[2].nr_vcpus, 1);
}

static void test_move_refuses_a_running_vcpu(void **state)
{
	sched_add(&v[0], 1);
	v[0].running = true;  /* a CPU claimed it just before the move */
	assert_int_equal(sched_move(&v[0], 2), SCHED_MOVE_RUNNING);
	assert_int_equal(v[0].pcpu, 1);
	assert_true(on_queue(&cpus[1], &v[0]));
	assert_false(on_queue(&cpus[2], &v[0]));
	v[0].running = false;
	assert_int_equal(sched_move(&v[0], 2), SCHED_MOVED);
	assert_true(on_queue(&cpus[2], &v[0]));
}

static void test_move_of_a_removed_vcpu_does_not_relink_it(void **state)
{
	sched_add(&v[0], 1);
	sched_remove(&v[0]);  /* its VM is being destroyed */
	assert_int_equal(sched_move(&v[0], 2), SCHED_MOVE_GONE);
	assert_false(on_queue(&cpus[1], &v[0]));
	assert_false(on_queue(&cpus[2], &v[0]));
	assert_int_equal(cpus[2].nr_vcpus, 0);
}

/* While v[0] runs alone on HERE: what the WFI trap would ask. */
static bool wait_alone, wait_on_after_wake, wait_on_after_preempt;
static u64 cpu_time_before_wait;

static void wait_in_place_round(struct vcpu *running)
{
	if (running != &v[0] || guest.runs != 1)
		return;
	fake.cpu_index = HERE;
	fake.counter += ms(2);                 /* it ran 2 ms, then executes WFI */
	wait_alone = sched_wait_begin(&v[0]);
	cpu_time_before_wait = v[0].cpu_time;  /* those 2 ms are charged at the start */
	fake.counter += ms(30);                /* asleep in place */
	wait_on_after_wake = sched_wait_goes_on(&v[0]);
	sched_wake(&v[1]);                     /* company: the wait must end */
	wait_on_after_preempt = sched_wait_goes_on(&v[0]);
	sched_wait_end(&v[0]);
	assert_false(cpus[HERE].waiting_in_place);
}

static void test_wfi_waits_in_place_only_when_alone(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[1]);
	assert_true(sched_block(&v[1], no_interrupt));
	sched_start(&v[0]);
	guest.during = wait_in_place_round;
	guest.max_runs = 2;
	run_loop();
	assert_true(wait_alone);
	assert_true(wait_on_after_wake);
	assert_false(wait_on_after_preempt);
	assert_int_equal(cpu_time_before_wait, ms(2));
	/* the 30 ms asleep are nobody's CPU time */
	assert_true(v[0].cpu_time < ms(30));
}

static bool begin_with_company;

static void wait_with_company(struct vcpu *running)
{
	if (guest.runs != 1)
		return;
	fake.cpu_index = HERE;
	begin_with_company = sched_wait_begin(running);
}

static void test_wfi_does_not_wait_in_place_beside_a_runnable_vcpu(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[0]);
	sched_start(&v[1]);
	guest.during = wait_with_company;
	guest.max_runs = 2;
	begin_with_company = true;
	run_loop();
	assert_false(begin_with_company);
	assert_false(cpus[HERE].waiting_in_place);
}

/* Work the VM asked for that waits for its vCPU to pause: the WFI does not
 * wait in place but lets the CPU run it, and work that appears during a
 * wait in place ends the wait. */
static struct work vm_work;
static bool begin_with_vm_work, wait_on_with_vm_work;
static u32 vm_work_runs;

static void vm_work_fn(struct work *w, u64 now)
{
	(void)now;
	vm_work_runs++;
	work_ran(w);
}

static void wait_beside_vm_work(struct vcpu *running)
{
	if (running != &v[0] || guest.runs != 1)
		return;
	fake.cpu_index = HERE;
	work_queue_idle(&vm_work, HERE, fake.counter + ms(1));
	begin_with_vm_work = sched_wait_begin(&v[0]);
	work_cancel(&vm_work);
	assert_true(sched_wait_begin(&v[0]));
	work_queue_idle(&vm_work, HERE, fake.counter + ms(1));
	wait_on_with_vm_work = sched_wait_goes_on(&v[0]);
	sched_wait_end(&v[0]);
}

static void test_wfi_lets_the_vms_work_run_first(void **state)
{
	work_init(&vm_work, vm_work_fn, 0);
	vm_work_runs = 0;
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.during = wait_beside_vm_work;
	guest.max_runs = 1;
	begin_with_vm_work = true;
	wait_on_with_vm_work = true;
	run_loop();
	assert_false(begin_with_vm_work);
	assert_false(wait_on_with_vm_work);
	/* the loop, with nothing to run, ran it before its latest */
	assert_int_equal(vm_work_runs, 1);
}

/* A CPU waiting in place is idle to the others: it is kicked to help, and
 * its wait then ends so that it can take the waiting vCPU. */
static bool help_ended_wait;
static u32 help_kicks;

static void wait_then_help(struct vcpu *running)
{
	u32 kicks;

	if (running != &v[0] || guest.runs != 1)
		return;
	fake.cpu_index = HERE;
	assert_true(sched_wait_begin(&v[0]));
	/* on CPU 2, v[2] and v[3] share: v[3] waits while v[2] runs */
	fake.cpu_index = 2;
	cpus[2].current = &v[2];
	v[2].running = true;
	v[2].run_start = fake.counter;
	cpus[2].slice_end = fake.counter + ms(10);
	kicks = fake.kicks;
	sched_wake(&v[3]);
	help_kicks = fake.kicks - kicks;
	fake.cpu_index = HERE;
	help_ended_wait = !sched_wait_goes_on(&v[0]);
	sched_wait_end(&v[0]);
	cpus[2].current = NULL;
	v[2].running = false;
}

static void test_cpu_waiting_in_place_is_kicked_to_help(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[2], 2);
	sched_add(&v[3], 2);
	sched_start(&v[0]);
	sched_start(&v[2]);
	sched_start(&v[3]);
	assert_true(sched_block(&v[3], no_interrupt));
	/* peers: the woken one is not owed CPU 2 at once, so it waits there */
	v[2].vtime = v[3].vtime = ms(30);
	cpus[2].min_vtime = ms(30);
	for (u32 i = 0; i < 4; i++)
		if (i != HERE && i != 2)
			cpus[i].online = false;
	platform.ncpus = 3;
	guest.during = wait_then_help;
	guest.max_runs = 1;
	run_loop();
	assert_true(help_kicks >= 1);
	assert_int_equal(fake.last_kick, HERE);
	assert_true(help_ended_wait);
}

static void test_kick_if_running(void **state)
{
	u32 kicks;

	sched_add(&v[0], 2);
	kicks = fake.kicks;
	assert_false(sched_kick_if_running(&v[0]));
	assert_int_equal(fake.kicks, kicks);
	v[0].running = true;
	assert_true(sched_kick_if_running(&v[0]));
	assert_int_equal(fake.kicks, kicks + 1);
	assert_int_equal(fake.last_kick, 2);
}

static void test_idle_cpu_takes_waiting_work(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[0]);
	sched_start(&v[1]);
	/* v[0] runs on CPU HERE; v[1] waits there, CPU 2 is idle */
	cpus[HERE].current = &v[0];
	v[0].running = true;
	run_loop_on(2);
	assert_int_equal(guest.runs, 1);
	assert_ptr_equal(guest.order[0], &v[1]);
	assert_int_equal(v[1].pcpu, 2);
	assert_true(on_queue(&cpus[2], &v[1]));
	assert_false(on_queue(&cpus[HERE], &v[1]));
}

static void test_pinned_vcpu_is_not_taken(void **state)
{
	v[1].vm = &pinned_vm;
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[0]);
	sched_start(&v[1]);
	cpus[HERE].current = &v[0];
	v[0].running = true;
	run_loop_on(2);
	assert_int_equal(guest.runs, 0);
	assert_int_equal(v[1].pcpu, HERE);
}

static void test_pinned_reservation(void **state)
{
	struct vcpu *p = &v[3];

	p->vm = &pinned_vm;
	sched_add(&v[0], 1);
	/* the highest CPU with no vCPU at all: 3 */
	assert_int_equal(sched_reserve_cpu(0), 3);
	sched_add(p, 3);
	/* nothing else is placed there, nor reserved twice */
	for (u32 i = 0; i < 8; i++)
		assert_int_not_equal(sched_pick_cpu(0), 3);
	assert_int_equal(sched_pick_cpu(1u << 3), -1);
	assert_int_equal(sched_reserve_cpu(0), 2);
	assert_int_equal(sched_reserve_cpu(1u << 1), -1);  /* CPU 1 has a vCPU */
	/* removing the pinned vCPU gives its CPU back */
	sched_remove(p);
	assert_false(cpus[3].reserved);
	assert_int_equal(sched_pick_cpu(1u << 3), 3);
}

static u64 timer_alone, timer_with_company, slice_end;

static void look_at_timer(struct vcpu *running)
{
	if (running != &v[0] || guest.runs != 1)
		return;
	timer_alone = fake.timer;
	sched_start(&v[1]);  /* company: the slice now has an end */
	timer_with_company = fake.timer;
	slice_end = cpus[HERE].slice_end;
}

static void test_slice_end_only_when_others_wait(void **state)
{
	u64 started = fake.counter;

	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[0]);
	guest.during = look_at_timer;
	guest.max_runs = 2;
	run_loop();
	assert_int_equal(timer_alone, 0);  /* alone: no tick at all */
	assert_int_equal(slice_end, started + ms(1000) / 100);
	assert_int_equal(timer_with_company, slice_end);
}

static void test_blocked_vcpu_deadline(void **state)
{
	sched_add(&v[0], HERE);
	sched_add(&v[1], HERE);
	sched_start(&v[0]);
	sched_start(&v[1]);
	v[0].wake_at = fake.counter + ms(7);
	v[1].wake_at = fake.counter + ms(3);
	assert_true(sched_block(&v[0], no_interrupt));
	assert_true(sched_block(&v[1], no_interrupt));
	fake.cpu_index = HERE;
	assert_false(sched_kicked());  /* re-arms the timer; nothing runs here */
	assert_int_equal(fake.timer, v[1].wake_at);  /* the earliest */
	/* the timer fires: v[1] is due and runnable again, v[0] still waits */
	fake.counter += ms(3);
	assert_false(sched_timer_expired());
	assert_int_equal(v[1].state, VCPU_RUNNABLE);
	assert_int_equal(v[0].state, VCPU_BLOCKED);
	assert_int_equal(fake.timer, v[0].wake_at);
	/* a blocked vCPU with no timer of its own sets no deadline */
	v[0].wake_at = 0;
	sched_kicked();
	assert_int_equal(fake.timer, 0);
}

/* Deferred work (core/workqueue.h) on this CPU: its due time arms the timer,
 * a running guest leaves when it falls due, and the loop runs it. */
static u32 work_fn_runs;

static void count_work(struct work *w, u64 now)
{
	work_fn_runs++;
}

static struct work later;

static void work_falls_due(struct vcpu *running)
{
	assert_false(sched_timer_expired());  /* not due yet: the guest stays */
	fake.counter += ms(5);
	assert_true(sched_timer_expired());   /* due: the guest leaves for it */
}

static void test_work_is_run_by_the_loop(void **state)
{
	u64 due = fake.counter + ms(5);

	work_fn_runs = 0;
	work_init(&later, count_work, HERE);
	fake.cpu_index = HERE;
	work_queue(&later, due);
	sched_kicked();
	assert_int_equal(fake.timer, due);
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.during = work_falls_due;
	run_loop();
	assert_int_equal(work_fn_runs, 1);
	assert_int_equal(work_next_due(HERE), 0);
}

/* Work due at once, seen from an interrupt while a guest runs: the guest
 * leaves for it, and the timer is not armed for the past (it would fire
 * again each time it is acknowledged until the loop ran the work). */
static void work_due_now(struct vcpu *running)
{
	work_queue(&later, 0);
	fake.timer = 1;
	assert_true(sched_kicked());
	assert_int_equal(fake.timer, 0);
	work_queue(&later, 0);
	fake.timer = 1;
	assert_true(sched_timer_expired());
	assert_int_equal(fake.timer, 0);
}

static void test_due_work_arms_no_past_timer(void **state)
{
	work_fn_runs = 0;
	work_init(&later, count_work, HERE);
	fake.cpu_index = HERE;
	/* an idle CPU: the loop it goes back to runs the work */
	work_queue(&later, 0);
	fake.timer = 1;
	assert_false(sched_kicked());
	assert_int_equal(fake.timer, 0);
	work_cancel(&later);
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.during = work_due_now;
	run_loop();
	assert_int_equal(work_fn_runs, 1);
	/* the loop armed the timer again from what is left: nothing */
	assert_int_equal(fake.timer, 0);
}

static void test_exit_goes_to_the_vm(void **state)
{
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.next = VCPU_EXIT_CRASH;
	run_loop();
	assert_int_equal(exits_handled, 1);
	assert_int_equal(vm_refs, 0);
	assert_false(v[0].running);
	/* a VM a sibling's exit is destroying needs no more handling */
	setup(state);
	vm_dying = true;
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	guest.next = VCPU_EXIT_CRASH;
	run_loop();
	assert_int_equal(exits_handled, 0);
	assert_false(v[0].running);
	/* a yield is the scheduler's alone */
	setup(state);
	sched_add(&v[0], HERE);
	sched_start(&v[0]);
	run_loop();
	assert_int_equal(exits_handled, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add_and_remove, setup),
		cmocka_unit_test_setup(test_state_changes, setup),
		cmocka_unit_test_setup(test_pick_least_vtime_first, setup),
		cmocka_unit_test_setup(test_equals_take_turns, setup),
		cmocka_unit_test_setup(test_time_run_is_charged, setup),
		cmocka_unit_test_setup(test_time_of_a_lone_running_vcpu, setup),
		cmocka_unit_test_setup(test_wake_preempts_when_owed, setup),
		cmocka_unit_test_setup(test_wake_does_not_preempt_a_peer, setup),
		cmocka_unit_test_setup(test_woken_vcpu_cuts_a_hogs_slice, setup),
		cmocka_unit_test_setup(test_yield, setup),
		cmocka_unit_test_setup(test_move_keeps_standing, setup),
		cmocka_unit_test_setup(test_move_refuses_a_running_vcpu, setup),
		cmocka_unit_test_setup(test_move_of_a_removed_vcpu_does_not_relink_it, setup),
		cmocka_unit_test_setup(test_wfi_waits_in_place_only_when_alone, setup),
		cmocka_unit_test_setup(test_wfi_does_not_wait_in_place_beside_a_runnable_vcpu, setup),
		cmocka_unit_test_setup(test_wfi_lets_the_vms_work_run_first, setup),
		cmocka_unit_test_setup(test_cpu_waiting_in_place_is_kicked_to_help, setup),
		cmocka_unit_test_setup(test_kick_if_running, setup),
		cmocka_unit_test_setup(test_idle_cpu_takes_waiting_work, setup),
		cmocka_unit_test_setup(test_pinned_vcpu_is_not_taken, setup),
		cmocka_unit_test_setup(test_pinned_reservation, setup),
		cmocka_unit_test_setup(test_slice_end_only_when_others_wait, setup),
		cmocka_unit_test_setup(test_blocked_vcpu_deadline, setup),
		cmocka_unit_test_setup(test_work_is_run_by_the_loop, setup),
		cmocka_unit_test_setup(test_due_work_arms_no_past_timer, setup),
		cmocka_unit_test_setup(test_exit_goes_to_the_vm, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
