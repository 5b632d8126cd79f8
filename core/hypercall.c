/*
 * Bulkhead's hypercall ABI (include/hypercall.h): the calls a guest makes of
 * the hypervisor itself. The arch's calling convention decodes the call and
 * brings it here by number.
 */
#include "core/console.h"
#include "core/hypercall_handle.h"
#include "core/vm.h"
#include "hypercall.h"

u64 hypercall_handle(struct vcpu *vcpu, u32 call, const u64 *args)
{
	switch (call) {
	case BH_CALL_NOP:
		return 0;
	case BH_CALL_VERSION:
		return (BH_ABI_MAJOR << 16) | BH_ABI_MINOR;
	case BH_CALL_CONSOLE_PUTC:
		console_guest_putc(&vcpu->vm->con, (char)(args[0] & 0xff));
		return 0;
	case BH_CALL_PANIC:
		vcpu_request_exit(vcpu, VCPU_EXIT_CRASH, "the guest reported a panic (code 0x%llx)",
				  (unsigned long long)args[0]);
		return 0;
	default:
		return (u64)(s64)BH_NOT_SUPPORTED;
	}
}
