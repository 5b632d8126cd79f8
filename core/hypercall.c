/*
 * Bulkhead's hypercall ABI (include/hypercall.h): the calls a guest makes of
 * the hypervisor itself. The arch's calling convention decodes the call and
 * brings it here by number.
 */
#include "core/console.h"
#include "core/hypercall_handle.h"
#include "core/vm.h"
#include "hypercall.h"

_Static_assert(BH_CALL_NOP < HYPERCALL_FIXED && BH_CALL_VERSION < HYPERCALL_FIXED &&
	       BH_CALL_CONSOLE_PUTC >= HYPERCALL_FIXED && BH_CALL_PANIC >= HYPERCALL_FIXED,
	       "the calls with a fixed result come first");

const u64 hypercall_fixed_result[HYPERCALL_FIXED] = {
	[BH_CALL_NOP] = 0,
	[BH_CALL_VERSION] = (BH_ABI_MAJOR << 16) | BH_ABI_MINOR,
};

enum vcpu_next hypercall_handle(struct vcpu *vcpu, u32 call, const u64 *args, u64 *result)
{
	if (call < HYPERCALL_FIXED) {
		*result = hypercall_fixed_result[call];
		return VCPU_RESUME;
	}
	*result = 0;
	switch (call) {
	case BH_CALL_CONSOLE_PUTC:
		console_guest_putc(&vcpu->vm->con, (char)(args[0] & 0xff));
		break;
	case BH_CALL_PANIC:
		return vcpu_exit(vcpu, VCPU_EXIT_CRASH, "the guest reported a panic (code 0x%llx)",
				 (unsigned long long)args[0]);
	default:
		*result = (u64)(s64)BH_NOT_SUPPORTED;
		break;
	}
	return VCPU_RESUME;
}
