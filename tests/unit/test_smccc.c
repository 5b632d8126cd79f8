/*
 * SMCCC dispatch: PSCI, the SMCCC architecture calls and Bulkhead's
 * hypercalls. vcpu_exit and console_guest_putc are replaced by doubles that
 * record their calls; what smccc_handle returns (the vCPU's next step) is
 * kept in `next`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/vm.h"
#include "hypercall.h"
#include "smccc.h"

#define NOT_SUPPORTED ((u64)(s64)-1)

static struct vm vm;
static struct vcpu vcpu;

static struct {
	u32 calls;
	struct vcpu *vcpu;
	enum vcpu_next exit;
	char why[96];
} exits;

static enum vcpu_next next;  /* smccc_handle's result for the last call */

static struct {
	u32 calls;
	struct console_ring *ring;
	char bytes[64];
} putcs;

enum vcpu_next vcpu_exit(struct vcpu *v, enum vcpu_next exit, const char *fmt, ...)
{
	va_list ap;

	exits.calls++;
	exits.vcpu = v;
	exits.exit = exit;
	va_start(ap, fmt);
	vsnprintf(exits.why, sizeof(exits.why), fmt, ap);
	va_end(ap);
	return exit;
}

void console_guest_putc(struct console_ring *ring, char c)
{
	if (putcs.calls < sizeof(putcs.bytes))
		putcs.bytes[putcs.calls] = c;
	putcs.calls++;
	putcs.ring = ring;
}


/* Scheduler doubles: record what PSCI asked for. */
static struct {
	u32 starts, stops;
	struct vcpu *started, *stopped;
} sched;

void sched_start(struct vcpu *v)
{
	sched.starts++;
	sched.started = v;
	v->state = VCPU_RUNNABLE;
}

void sched_stop(struct vcpu *v)
{
	sched.stops++;
	sched.stopped = v;
	v->state = VCPU_OFF;
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&exits, 0, sizeof(exits));
	next = VCPU_RESUME;
	memset(&putcs, 0, sizeof(putcs));
	memset(&sched, 0, sizeof(sched));
	strcpy(vm.cfg.name, "guest");
	vm.nvcpus = 1;
	vm.vcpus = &vcpu;
	vcpu.vm = &vm;
	return 0;
}

/* Calls fid with args 1..6 = a1, 0x22.., 0x33..; returns x0 and checks that
 * x1-x3 come back as they went in. */
static u64 call3(u64 fid, u64 a1)
{
	struct smccc_regs r = {
		.x = { fid, a1, 0x2222222222222222ull, 0x3333333333333333ull, 4, 5, 6, 7 },
	};

	next = smccc_handle(&vcpu, &r);
	/* result registers the call does not define keep their values */
	assert_int_equal(r.x[1], a1);
	assert_int_equal(r.x[2], 0x2222222222222222ull);
	assert_int_equal(r.x[3], 0x3333333333333333ull);
	/* and the other argument registers are left alone */
	assert_int_equal(r.x[4], 4);
	assert_int_equal(r.x[6], 6);
	assert_int_equal(r.x[7], 7);
	return r.x[0];
}

static u64 call(u64 fid)
{
	return call3(fid, 0x1111111111111111ull);
}

static void no_side_effects(void)
{
	assert_int_equal(exits.calls, 0);
	assert_int_equal(putcs.calls, 0);
	assert_int_equal(next, VCPU_RESUME);
}

static void test_psci_version(void **state)
{
	assert_int_equal(call(PSCI_VERSION), 0x10001);
	assert_int_equal(call(PSCI_MIGRATE_INFO_TYPE), 2);
	no_side_effects();
}

static void test_psci_features(void **state)
{
	static const u32 known[] = {
		PSCI_VERSION, PSCI_FEATURES, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF,
		PSCI_SYSTEM_RESET, SMCCC_VERSION, PSCI_CPU_OFF, PSCI_CPU_ON_64, PSCI_CPU_ON_32,
		PSCI_AFFINITY_INFO_64, PSCI_AFFINITY_INFO_32,
	};
	static const u32 unknown[] = {
		PSCI_CPU_SUSPEND_64, 0x84000005, 0x8400000f, 0xC4000008, BH_HC_NOP, 0, 0xffffffff,
	};

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		assert_int_equal(call3(PSCI_FEATURES, known[i]), 0);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_int_equal(call3(PSCI_FEATURES, unknown[i]), NOT_SUPPORTED);
	/* the queried ID is a 32-bit value: upper bits are ignored */
	assert_int_equal(call3(PSCI_FEATURES, 0xffffffff00000000ull | PSCI_VERSION), 0);
	no_side_effects();
}

static void test_psci_system_off(void **state)
{
	assert_int_equal(call(PSCI_SYSTEM_OFF), 0);
	assert_int_equal(exits.calls, 1);
	assert_ptr_equal(exits.vcpu, &vcpu);
	assert_int_equal(exits.exit, VCPU_EXIT_POWEROFF);
	assert_int_equal(next, VCPU_EXIT_POWEROFF);
	assert_non_null(strstr(exits.why, "SYSTEM_OFF"));
	assert_int_equal(putcs.calls, 0);
}

static void test_psci_system_reset(void **state)
{
	assert_int_equal(call(PSCI_SYSTEM_RESET), 0);
	assert_int_equal(exits.calls, 1);
	assert_ptr_equal(exits.vcpu, &vcpu);
	assert_int_equal(exits.exit, VCPU_EXIT_REBOOT);
	assert_int_equal(next, VCPU_EXIT_REBOOT);
	assert_non_null(strstr(exits.why, "SYSTEM_RESET"));
}

static void test_psci_unimplemented(void **state)
{
	static const u32 fids[] = {
		PSCI_CPU_SUSPEND_64, 0x84000001, 0xC4000000, 0xC4000008, 0xC4000009, 0x8400ffff,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fids); i++)
		assert_int_equal(call(fids[i]), NOT_SUPPORTED);
	no_side_effects();
}

/* A second vCPU (MPIDR 1) for the CPU_ON tests; RAM at 0x40000000, 16 MiB. */
static struct vcpu vcpus2[2];

static void two_vcpus(void)
{
	memset(vcpus2, 0, sizeof(vcpus2));
	vm.vcpus = vcpus2;
	vm.nvcpus = 2;
	vm.cfg.ram_base = 0x40000000;
	vm.ram.base = 0x40000000;
	vm.ram.size = 16 << 20;
	for (u32 i = 0; i < 2; i++) {
		vcpus2[i].vm = &vm;
		vcpus2[i].id = i;
	}
	vcpus2[0].state = VCPU_RUNNABLE;
}

static u64 call_on(struct vcpu *caller, u64 fid, u64 target, u64 entry, u64 ctx)
{
	struct smccc_regs r = { .x = { fid, target, entry, ctx } };

	next = smccc_handle(caller, &r);
	return r.x[0];
}

static void test_psci_cpu_on(void **state)
{
	two_vcpus();
	vm.counter_offset = 777;
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x40080000, 0x1234),
			 PSCI_SUCCESS);
	/* the started vCPU shares the VM's virtual counter */
	assert_int_equal(vcpus2[1].arch.counter_offset, 777);
	assert_int_equal(sched.starts, 1);
	assert_ptr_equal(sched.started, &vcpus2[1]);
	assert_int_equal(vcpus2[1].arch.regs.pc, 0x40080000);
	assert_int_equal(vcpus2[1].arch.regs.x[0], 0x1234);
	/* reset as vCPU 1 of its VM: the arch names it MPIDR 1 to the guest */
	assert_int_equal(vcpus2[1].arch.sys.index, 1);
	/* started once: a second CPU_ON is refused */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x40080000, 0),
			 (u64)(s64)PSCI_ALREADY_ON);
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 0, 0x40080000, 0),
			 (u64)(s64)PSCI_ALREADY_ON);
	assert_int_equal(sched.starts, 1);
}

static void test_psci_cpu_on_in_firmware_flash(void **state)
{
	two_vcpus();
	vm.fw_pa = pa_init(0x1000000);
	vm.fw_size = 0x100000;
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x8000000, 0),
			 (u64)(s64)PSCI_INVALID_ADDRESS);  /* the GIC, past the window */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x7fffffc, 0), PSCI_SUCCESS);
	assert_int_equal(vcpus2[1].arch.regs.pc, 0x7fffffc);
	vm.fw_pa = pa_init(0);
	vm.fw_size = 0;
}

static void test_psci_cpu_on_errors(void **state)
{
	two_vcpus();
	/* no such vCPU: only this VM's own MPIDRs exist */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 2, 0x40080000, 0),
			 (u64)(s64)PSCI_INVALID_PARAMETERS);
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 0x100, 0x40080000, 0),
			 (u64)(s64)PSCI_INVALID_PARAMETERS);
	/* entry outside the VM's RAM */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x3ffff000, 0),
			 (u64)(s64)PSCI_INVALID_ADDRESS);
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x41000000, 0),
			 (u64)(s64)PSCI_INVALID_ADDRESS);
	/* the flash window counts only for a VM that has firmware there */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x1000, 0),
			 (u64)(s64)PSCI_INVALID_ADDRESS);
	/* SMC32: the upper halves of the arguments are ignored */
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_32, 0xffffffff00000001ull,
				 0xffffffff40080000ull, 0), PSCI_SUCCESS);
	assert_int_equal(vcpus2[1].arch.regs.pc, 0x40080000);
}

static void test_psci_affinity_info_and_cpu_off(void **state)
{
	two_vcpus();
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 1, 0, 0), 1); /* OFF */
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 0, 0, 0), 0); /* ON */
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 5, 0, 0),
			 (u64)(s64)PSCI_INVALID_PARAMETERS);
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 0, 1, 0),
			 (u64)(s64)PSCI_INVALID_PARAMETERS);
	call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x40080000, 0);
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 1, 0, 0), 0);
	call_on(&vcpus2[1], PSCI_CPU_OFF, 0, 0, 0);
	assert_ptr_equal(sched.stopped, &vcpus2[1]);
	/* it leaves its CPU; nothing ends the VM */
	assert_int_equal(next, VCPU_YIELD);
	assert_int_equal(exits.calls, 0);
	/* still on its physical CPU: ON, and CPU_ON agrees it is not off yet */
	vcpus2[1].running = true;
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 1, 0, 0), 0);
	assert_int_equal(call_on(&vcpus2[0], PSCI_CPU_ON_64, 1, 0x40080000, 0),
			 (u64)(s64)PSCI_ALREADY_ON);
	vcpus2[1].running = false;
	assert_int_equal(call_on(&vcpus2[0], PSCI_AFFINITY_INFO_64, 1, 0, 0), 1);
}

static void test_smccc_arch(void **state)
{
	assert_int_equal(call(SMCCC_VERSION), 0x10001);
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, SMCCC_VERSION), 0);
	/* no workaround calls: ARCH_WORKAROUND_1/2/3 */
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, 0x80008000), NOT_SUPPORTED);
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, 0x80007fff), NOT_SUPPORTED);
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, 0x80003fff), NOT_SUPPORTED);
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, SMCCC_ARCH_FEATURES), NOT_SUPPORTED);
	assert_int_equal(call3(SMCCC_ARCH_FEATURES, 0xffffffff00000000ull | SMCCC_VERSION), 0);
	assert_int_equal(call(0x80000002), NOT_SUPPORTED);
	assert_int_equal(call(0x80008000), NOT_SUPPORTED);
	assert_int_equal(call(0xC0000000), NOT_SUPPORTED);
	no_side_effects();
}

static void test_bulkhead_calls(void **state)
{
	assert_int_equal(call(BH_HC_NOP), 0);
	assert_int_equal(call(BH_HC_VERSION), (BH_ABI_MAJOR << 16) | BH_ABI_MINOR);
	no_side_effects();
	assert_int_equal(call(BH_HC_BASE + 4), NOT_SUPPORTED);
	assert_int_equal(call(BH_HC_BASE + 0xffff), NOT_SUPPORTED);
	/* the 32-bit forms are not Bulkhead calls */
	assert_int_equal(call(BH_HC_NOP & ~SMCCC_64BIT), NOT_SUPPORTED);
	no_side_effects();
}

static void test_console_putc(void **state)
{
	const char *msg = "hi\n";

	for (const char *p = msg; *p; p++)
		assert_int_equal(call3(BH_HC_CONSOLE_PUTC, (u8)*p), 0);
	assert_int_equal(putcs.calls, 3);
	assert_memory_equal(putcs.bytes, msg, 3);
	assert_ptr_equal(putcs.ring, &vm.con);
	/* only the low byte of x1 is the character */
	assert_int_equal(call3(BH_HC_CONSOLE_PUTC, 0xffffffffffffff41ull), 0);
	assert_int_equal(putcs.bytes[3], 'A');
	assert_int_equal(exits.calls, 0);
}

static void test_panic_crashes_the_vm(void **state)
{
	assert_int_equal(call3(BH_HC_PANIC, 0xdead), 0);
	assert_int_equal(exits.calls, 1);
	assert_int_equal(exits.exit, VCPU_EXIT_CRASH);
	assert_int_equal(next, VCPU_EXIT_CRASH);
	assert_non_null(strstr(exits.why, "0xdead"));
}

static void test_yielding_calls_refused(void **state)
{
	/* bit 31 clear: yielding (standard) calls, none of which exist here */
	static const u32 fids[] = {
		PSCI_VERSION & ~SMCCC_FAST_CALL, PSCI_SYSTEM_OFF & ~SMCCC_FAST_CALL,
		BH_HC_CONSOLE_PUTC & ~SMCCC_FAST_CALL, BH_HC_NOP & ~SMCCC_FAST_CALL,
		SMCCC_VERSION & ~SMCCC_FAST_CALL, 0,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fids); i++)
		assert_int_equal(call(fids[i]), NOT_SUPPORTED);
	no_side_effects();
}

static void test_unknown_owners(void **state)
{
	for (u32 owner = 0; owner <= SMCCC_OWNER_MASK; owner++) {
		if (owner == SMCCC_OWNER_ARCH || owner == SMCCC_OWNER_STANDARD ||
		    owner == SMCCC_OWNER_VENDOR_HYP)
			continue;
		for (u32 low = 0; low < 4; low++) {
			u32 fid = SMCCC_FAST_CALL | (owner << SMCCC_OWNER_SHIFT) | low;

			assert_int_equal(call(fid), NOT_SUPPORTED);
			assert_int_equal(call(fid | SMCCC_64BIT), NOT_SUPPORTED);
		}
	}
	no_side_effects();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_psci_version, setup),
		cmocka_unit_test_setup(test_psci_features, setup),
		cmocka_unit_test_setup(test_psci_system_off, setup),
		cmocka_unit_test_setup(test_psci_system_reset, setup),
		cmocka_unit_test_setup(test_psci_unimplemented, setup),
		cmocka_unit_test_setup(test_smccc_arch, setup),
		cmocka_unit_test_setup(test_bulkhead_calls, setup),
		cmocka_unit_test_setup(test_console_putc, setup),
		cmocka_unit_test_setup(test_panic_crashes_the_vm, setup),
		cmocka_unit_test_setup(test_yielding_calls_refused, setup),
		cmocka_unit_test_setup(test_unknown_owners, setup),
		cmocka_unit_test_setup(test_psci_cpu_on, setup),
		cmocka_unit_test_setup(test_psci_cpu_on_errors, setup),
		cmocka_unit_test_setup(test_psci_cpu_on_in_firmware_flash, setup),
		cmocka_unit_test_setup(test_psci_affinity_info_and_cpu_off, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
