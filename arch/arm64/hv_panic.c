/*
 * An exception taken while Bulkhead itself runs is a hypervisor bug: print
 * everything needed to find it (syndrome, registers, frame-pointer
 * backtrace) and stop the machine.
 */
#include "core/console.h"
#include "core/log.h"
#include "sysregs.h"

extern char _start_image[], _end[];

struct arm64_hv_frame {
	u64 x[30];
	u64 lr;
	u64 sp;
	u64 elr;
	u64 spsr;
};

void arm64_hv_exception(struct arm64_hv_frame *f, u64 kind);

static const char *const kinds[] = {
	"synchronous (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
	"synchronous", "IRQ", "FIQ", "SError",
};

static bool in_image(u64 addr)
{
	return addr >= (u64)(uintptr_t)_start_image && addr < (u64)(uintptr_t)_end;
}

static void backtrace(u64 fp, u64 sp)
{
	/* Frame records live on the stack above the trap frame; stop at anything odd. */
	for (int depth = 0; depth < 16 && fp && is_aligned(fp, 16) && fp >= sp &&
			    fp - sp < 64 * KiB; depth++) {
		const u64 *rec = (const u64 *)(uintptr_t)fp;

		if (!in_image(rec[1]))
			break;
		hv_err("  #%d 0x%llx (offset 0x%llx)", depth, (unsigned long long)rec[1],
		       (unsigned long long)(rec[1] - (u64)(uintptr_t)_start_image));
		fp = rec[0];
	}
}

void arm64_hv_exception(struct arm64_hv_frame *f, u64 kind)
{
	u64 base = (u64)(uintptr_t)_start_image;

	console_panic_begin();  /* the dump goes straight to the UART */
	hv_err("PANIC: %s exception in the hypervisor", kind < 8 ? kinds[kind] : "unknown");
	hv_err("ESR_EL2 0x%016llx FAR_EL2 0x%016llx", (unsigned long long)read_esr_el2(),
	       (unsigned long long)read_far_el2());
	hv_err("ELR_EL2 0x%016llx (offset 0x%llx) SPSR 0x%llx SP 0x%llx",
	       (unsigned long long)f->elr, (unsigned long long)(f->elr - base),
	       (unsigned long long)f->spsr, (unsigned long long)f->sp);
	for (int i = 0; i < 30; i += 3)
		hv_err("x%-2d %016llx x%-2d %016llx x%-2d %016llx", i, (unsigned long long)f->x[i],
		       i + 1, (unsigned long long)f->x[i + 1], i + 2,
		       (unsigned long long)f->x[i + 2]);
	hv_err("x30 %016llx", (unsigned long long)f->lr);
	hv_err("backtrace (image base 0x%llx):", (unsigned long long)base);
	backtrace(f->x[29], f->sp);
	panic("stopping after an exception in the hypervisor");
}
