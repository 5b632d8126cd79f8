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

extern char _start_image[], _text_end[], _end[];

static const char *const kinds[] = {
	"synchronous (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
	"synchronous", "IRQ", "FIQ", "SError",
	[HV_KIND_STACK_OVERFLOW] = "synchronous (stack overflow)",
};

/* The EL2 regime's 48-bit VAs (mmu.c: T0SZ 16, no top-byte ignore): the bits
 * above hold a pointer's signature, or an authentication's error code. */
#define VA_MASK ((1ull << 48) - 1)

static const char *ec_name(u32 ec)
{
	switch (ec) {
	case EC_IABT_CUR: return "instruction abort";
	case EC_DABT_CUR: return "data abort";
	case EC_PC_ALIGN: return "PC alignment fault";
	case EC_SP_ALIGN: return "SP alignment fault";
	case EC_SERROR: return "SError";
	case EC_BTI: return "branch target exception";
	case EC_FPAC: return "pointer authentication failure";
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

static bool in_text(u64 addr)
{
	return addr >= (u64)(uintptr_t)_start_image && addr < (u64)(uintptr_t)_text_end;
}

/*
 * The protection that stopped the hypervisor, when it was one of its
 * control-flow checks. A failed AUTIASP without FEAT_FPAC does not fault
 * itself: it leaves an error code in the return address's top bits, and the
 * RET then faults on an address that is Bulkhead's text but for those bits.
 */
static const char *caught_by(u64 kind, u64 esr, u64 far)
{
	u32 ec = esr_ec(esr);

	if (kind == HV_KIND_STACK_OVERFLOW)
		return "stack guard page (the stack overflowed)";
	if (kind % 4 != 0)
		return NULL;
	if (ec == EC_BTI)
		return "BTI (an indirect branch to an instruction that is no landing pad)";
	if (ec == EC_FPAC || (ec == EC_IABT_CUR && (far & ~VA_MASK) && in_text(far & VA_MASK)))
		return "pointer authentication failure (a signed return address did not check)";
	return NULL;
}

static void backtrace(u64 fp, u64 sp)
{
	/* Frame records live on the stack above the trap frame; stop at anything odd. */
	for (int depth = 0; depth < 16 && fp && is_aligned(fp, 16) && fp >= sp &&
			    fp - sp < 64 * KiB; depth++) {
		const u64 *rec = (const u64 *)(uintptr_t)fp;
		u64 lr = rec[1] & VA_MASK;  /* signed return addresses carry a PAC */

		if (!in_image(lr))
			break;
		hv_err("  #%d 0x%llx (offset 0x%llx)", depth, (unsigned long long)lr,
		       (unsigned long long)(lr - (u64)(uintptr_t)_start_image));
		fp = rec[0];
	}
}

void arm64_hv_exception(struct arm64_hv_frame *f, u64 kind)
{
	u64 base = (u64)(uintptr_t)_start_image;
	u64 esr = read_esr_el2(), far = read_far_el2();
	const char *by = caught_by(kind, esr, far);

	console_panic_begin();  /* the dump goes straight to the UART */
	hv_err("PANIC: %s exception in the hypervisor",
	       kind < ARRAY_SIZE(kinds) ? kinds[kind] : "unknown");
	if (by)
		hv_err("caught by: %s", by);
	hv_err("ESR_EL2 0x%016llx FAR_EL2 0x%016llx", (unsigned long long)esr,
	       (unsigned long long)far);
	/* ESR describes synchronous exceptions and SErrors; for an IRQ or FIQ it
	 * still holds the last trap's, which would mislead */
	if (kind % 4 == 0 || kind % 4 == 3)
		describe_esr(esr);
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

/*
 * The stack protector's failure path (-fstack-protector-strong): a function
 * found the canary above its locals overwritten, so its frame was smashed
 * and its return address cannot be trusted. The canary is chosen at boot
 * (cfi_boot.c).
 */
void __stack_chk_fail(void) __attribute__((noreturn, used));

void __stack_chk_fail(void)
{
	u64 at = (u64)(uintptr_t)__builtin_return_address(0) & VA_MASK;

	panic("caught by: stack protector (the canary of the function at 0x%llx, image offset "
	      "0x%llx, was overwritten)", (unsigned long long)at,
	      (unsigned long long)(at - (u64)(uintptr_t)_start_image));
}
