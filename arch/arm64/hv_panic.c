/*
 * An exception taken while Bulkhead itself runs is a hypervisor bug: print
 * everything needed to find it (syndrome, registers, frame-pointer
 * backtrace) and stop the machine.
 */
#include "core/console.h"
#include "core/log.h"
#include "esr.h"
#include "hv_frame.h"
#include "sysregs.h"

extern char _start_image[], _end[];

static const char *const kinds[] = {
	"synchronous (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
	"synchronous", "IRQ", "FIQ", "SError",
};

static const char *ec_name(u32 ec)
{
	switch (ec) {
	case EC_IABT_CUR: return "instruction abort";
	case EC_DABT_CUR: return "data abort";
	case EC_PC_ALIGN: return "PC alignment fault";
	case EC_SP_ALIGN: return "SP alignment fault";
	case EC_SERROR: return "SError";
	default: return "other";
	}
}

static const char *fsc_name(u64 fsc)
{
	static const char *const by_group[] = {
		"address size fault", "translation fault", "access flag fault",
		"permission fault",
	};

	if (fsc < 16)
		return by_group[fsc >> 2];
	return fsc == FSC_SEA ? "synchronous external abort" : "other fault";
}

/* The syndrome in words, so that a reader need not decode ESR by hand. */
static void describe_esr(u64 esr)
{
	u32 ec = esr_ec(esr);
	u64 fsc = esr & FSC_MASK;

	if (ec != EC_IABT_CUR && ec != EC_DABT_CUR) {
		hv_err("EC 0x%x: %s", ec, ec_name(ec));
		return;
	}
	if (fsc < 16)
		hv_err("EC 0x%x: %s, FSC 0x%llx: %s at level %llu", ec, ec_name(ec),
		       (unsigned long long)fsc, fsc_name(fsc), (unsigned long long)(fsc & 3));
	else
		hv_err("EC 0x%x: %s, FSC 0x%llx: %s", ec, ec_name(ec), (unsigned long long)fsc,
		       fsc_name(fsc));
	if (ec == EC_DABT_CUR)
		hv_err("access: %s", (esr & DABT_WNR) ? "write" : "read");
}

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
	/* ESR describes synchronous exceptions and SErrors; for an IRQ or FIQ it
	 * still holds the last trap's, which would mislead */
	if (kind % 4 == 0 || kind % 4 == 3)
		describe_esr(read_esr_el2());
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
