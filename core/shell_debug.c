/*
 * debug-fault KIND: crash Bulkhead on purpose, as Xen's `xl debug-keys C`
 * does, so that the panic dump, W^X and each control-flow protection can be
 * seen working on a live system. Only the console operator reaches the shell; no guest can.
 */
#include "arch.h"
#include "core/log.h"
#include "core/shell.h"
#include "lib/string.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

static const struct {
	const char *name;
	enum arch_fault_kind kind;
	const char *what;
} faults[] = {
	{ "unmapped", ARCH_FAULT_UNMAPPED, "reading unmapped hypervisor VA" },
	{ "write-text", ARCH_FAULT_WRITE_TEXT, "writing hypervisor text" },
	{ "exec-data", ARCH_FAULT_EXEC_DATA, "executing hypervisor data" },
	{ "stack-overflow", ARCH_FAULT_STACK_OVERFLOW, "recursing into the stack guard page" },
	{ "return-addr", ARCH_FAULT_RETURN_ADDR, "overwriting a return address with" },
	{ "no-pad", ARCH_FAULT_NO_PAD, "calling past a landing pad to" },
	{ "canary", ARCH_FAULT_CANARY, "overrunning a stack array by the count" },
};

static void usage(void)
{
	say("debug-fault: usage: debug-fault unmapped|write-text|exec-data|stack-overflow|"
	    "return-addr|no-pad|canary (crashes the hypervisor)");
}

void shell_debug_fault(char **argv, u32 argc)
{
	if (argc != 2) {
		usage();
		return;
	}
	for (u32 i = 0; i < ARRAY_SIZE(faults); i++) {
		const char *unsupported;

		if (strcmp(argv[1], faults[i].name))
			continue;
		unsupported = arch_debug_fault_unsupported(faults[i].kind);
		if (unsupported) {
			say("debug-fault %s: not possible: %s", faults[i].name, unsupported);
			return;
		}
		/* Said before the access: the test matches FAR against this address. */
		say("debug-fault %s: %s at 0x%llx", faults[i].name, faults[i].what,
		    (unsigned long long)arch_debug_fault_addr(faults[i].kind));
		arch_debug_fault(faults[i].kind);
		say("debug-fault %s: nothing caught it: the protection is missing",
		    faults[i].name);
		return;
	}
	usage();
}
