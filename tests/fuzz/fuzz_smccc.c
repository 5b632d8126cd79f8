/*
 * libFuzzer target for SMCCC dispatch (arch/arm64/smccc.c, psci_guest.c and
 * core/hypercall.c). The input is a sequence of calls, 28 bytes each,
 * little-endian: the function ID (w0, as the trap handler passes it) and
 * x1-x3; x4-x6 are derived from x1.
 * vcpu_exit and console_guest_putc are doubles that record calls.
 *
 * Checks: x0 is NOT_SUPPORTED (-1) for yielding calls and for every owner
 * other than the architecture, standard (PSCI) and vendor-hypervisor
 * services; x1-x3 come back as they went in; only SYSTEM_OFF / SYSTEM_RESET
 * (and BH_HC_PANIC) end the VM and only CONSOLE_PUTC writes, with x1's low
 * byte; PSCI CPU_OFF stops the caller and yields; every other call resumes
 * the guest; CPU_ON only ever starts the VM's own vCPUs.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hypercall.h"
#include "smccc.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define RECORD 28
#define NOT_SUPPORTED ((u64)(s64)-1)

static struct vm vm;
static struct vcpu vcpus[2];

/* Scheduler doubles: PSCI CPU_ON / CPU_OFF change only the state. */
void sched_start(struct vcpu *v)
{
	CHECK(v == &vcpus[0] || v == &vcpus[1]);
	v->state = VCPU_RUNNABLE;
}

void sched_stop(struct vcpu *v)
{
	CHECK(v == &vcpus[0] || v == &vcpus[1]);
	v->state = VCPU_OFF;
}

static u32 exit_calls, putc_calls;
static enum vcpu_next last_exit;
static char last_char;

enum vcpu_next vcpu_exit(struct vcpu *v, enum vcpu_next exit, const char *fmt, ...)
{
	CHECK(v == &vcpus[0] && fmt != NULL && vcpu_next_is_exit(exit));
	exit_calls++;
	last_exit = exit;
	return exit;
}

void console_guest_putc(struct console_ring *ring, char c)
{
	CHECK(ring == &vm.con);
	putc_calls++;
	last_char = c;
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void one_call(u32 fid, u64 x1, u64 x2, u64 x3)
{
	struct smccc_regs c = {
		.x = { fid, x1, x2, x3, ~x1, x1 * 3, x1 ^ 0x5a5a5a5a5a5a5a5aull, 7 },
	};
	u32 owner = (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;
	bool fast = fid & SMCCC_FAST_CALL;
	u32 exits_before = exit_calls, putcs_before = putc_calls;

	enum vcpu_next next = smccc_handle(&vcpus[0], &c);

	CHECK(c.x[1] == x1 && c.x[2] == x2 && c.x[3] == x3);
	CHECK(c.x[4] == ~x1 && c.x[7] == 7);
	if (!fast || (owner != SMCCC_OWNER_ARCH && owner != SMCCC_OWNER_STANDARD &&
		      owner != SMCCC_OWNER_VENDOR_HYP))
		CHECK(c.x[0] == NOT_SUPPORTED);

	/* x0 is one of the values the ABI defines */
	CHECK(c.x[0] == 0 || c.x[0] == 1 || c.x[0] == NOT_SUPPORTED || c.x[0] == 0x10001 ||
	      c.x[0] == 2 || c.x[0] == ((BH_ABI_MAJOR << 16) | BH_ABI_MINOR) ||
	      c.x[0] == (u64)(s64)PSCI_INVALID_PARAMETERS || c.x[0] == (u64)(s64)PSCI_DENIED ||
	      c.x[0] == (u64)(s64)PSCI_ALREADY_ON || c.x[0] == (u64)(s64)PSCI_INVALID_ADDRESS);

	if (fid == PSCI_CPU_OFF) {
		CHECK(exit_calls == exits_before && next == VCPU_YIELD);
		CHECK(vcpus[0].state == VCPU_OFF);
		vcpus[0].state = VCPU_RUNNABLE;
	} else if (fid == PSCI_SYSTEM_OFF || fid == PSCI_SYSTEM_RESET) {
		CHECK(exit_calls == exits_before + 1);
		CHECK(last_exit == (fid == PSCI_SYSTEM_OFF ? VCPU_EXIT_POWEROFF : VCPU_EXIT_REBOOT));
		CHECK(next == last_exit);
		CHECK(c.x[0] == 0);
	} else if (fid == BH_HC_PANIC) {
		CHECK(exit_calls == exits_before + 1 && last_exit == VCPU_EXIT_CRASH);
		CHECK(next == VCPU_EXIT_CRASH);
	} else {
		CHECK(exit_calls == exits_before && next == VCPU_RESUME);
	}
	if (fid == BH_HC_CONSOLE_PUTC) {
		CHECK(putc_calls == putcs_before + 1);
		CHECK(last_char == (char)(x1 & 0xff));
		CHECK(c.x[0] == 0);
	} else {
		CHECK(putc_calls == putcs_before);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	strcpy(vm.cfg.name, "fuzz");
	vm.cfg.ram_base = 0x40000000;
	vm.ram.base = 0x40000000;
	vm.ram.size = 0x1000000;
	vm.vcpus = vcpus;
	vm.nvcpus = 2;
	for (u32 i = 0; i < 2; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
	}
	vcpus[0].state = VCPU_RUNNABLE;

	for (size_t pos = 0; pos + RECORD <= size; pos += RECORD) {
		const u8 *r = data + pos;

		one_call((u32)le(r, 4), le(r + 4, 8), le(r + 12, 8), le(r + 20, 8));
	}
	return 0;
}
