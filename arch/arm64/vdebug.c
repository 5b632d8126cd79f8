/*
 * Self-hosted debug for guests: hardware breakpoints, watchpoints, software
 * step and the OS lock, on the CPU's own registers, switched per vCPU.
 *
 * Lazily: a vCPU that never touched a debug register runs with them trapped
 * (MDCR_EL2.TDA, TDOSA) and with the CPU's registers clean (MDSCR_EL1 0,
 * every breakpoint and watchpoint disabled), so nothing another vCPU set can
 * fire in it. Its first access loads its own state (the reset state: all
 * clear, OS lock locked) and lifts the traps; the access is then executed
 * again, by the hardware. From then on the registers are saved when it
 * leaves the CPU and loaded when it comes back (not if nothing else used
 * them in between).
 *
 * Debug exceptions go straight to the guest's EL1 (MDCR_EL2.TDE and
 * HCR_EL2.TGE are 0): breakpoint, watchpoint, software step and BRK never
 * reach Bulkhead. With EL1 the debug target, none is generated while the CPU
 * runs at EL2 whatever the guest wrote (HMC, SSC included): the Arm ARM's
 * AArch64.GenerateDebugExceptionsFrom() allows exceptions from a higher EL
 * than the target never, so the hypervisor can neither be stopped nor
 * stepped by a guest's settings.
 *
 * Not switched: DBGCLAIM* and DBGPRCR_EL1 (QEMU 7.2 does not have them, and
 * an access from EL2 would be UNDEFINED), the DCC (DBGDTR*, for an external
 * debugger). MDRAR_EL1 stays trapped (TDRA) and reads as zero: there is no
 * memory-mapped debug interface.
 */
#include "core/vm.h"
#include "dbgregs.h"
#include "percpu.h"
#include "vdebug.h"

#define MDCR_TDA   (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_DEBUG_TRAPS (MDCR_TDA | MDCR_TDOSA)

#define OSLSR_OSLK (1ull << 1)

/* Debugv8p8: later versions add breakpoint banks past 16 (MDSELR_EL1). */
#define DEBUGVER_MAX 0xaull

struct dbg_cpu {
	/* the vCPU whose state the registers hold; compared, never followed */
	const struct vcpu *holder;
	bool clean;  /* they hold clean_state (unknown at boot: firmware ran first) */
};

static struct dbg_cpu dbg_cpus[MAX_CPUS];
static const struct arch_debug clean_state;

static u64 field(u64 v, u32 shift)
{
	return (v >> shift) & 0xf;
}

/* ID_AA64DFR0_EL1.BRPs and WRPs hold the number minus one. */
static u32 cpu_breakpoints(void)
{
	return (u32)field(read_id_aa64dfr0_el1(), 12) + 1;
}

static u32 cpu_watchpoints(void)
{
	return (u32)field(read_id_aa64dfr0_el1(), 20) + 1;
}

static bool cpu_has_double_lock(void)
{
	return field(read_id_aa64dfr0_el1(), 36) == 0;
}

u64 vdebug_dfr0(void)
{
	u64 cpu = read_id_aa64dfr0_el1();
	u64 ver = field(cpu, 0);

	return (ver > DEBUGVER_MAX ? DEBUGVER_MAX : ver) |
	       field(cpu, 12) << 12 |   /* BRPs */
	       field(cpu, 20) << 20 |   /* WRPs */
	       field(cpu, 28) << 28 |   /* CTX_CMPs */
	       field(cpu, 36) << 36;    /* DoubleLock */
}

static void hw_load(const struct arch_debug *d)
{
	u32 nb = cpu_breakpoints(), nw = cpu_watchpoints();

	write_mdscr_el1(d->mdscr);
	for (u32 i = 0; i < nb; i++) {
		write_dbgbcr(i, d->bcr[i]);
		write_dbgbvr(i, d->bvr[i]);
	}
	for (u32 i = 0; i < nw; i++) {
		write_dbgwcr(i, d->wcr[i]);
		write_dbgwvr(i, d->wvr[i]);
	}
	write_mdccint_el1(d->mdccint);
	if (cpu_has_double_lock())
		write_osdlr_el1(d->osdlr);
	write_oslar_el1(d->os_unlocked ? 0 : 1);
	isb();
}

static void hw_save(struct arch_debug *d)
{
	u32 nb = cpu_breakpoints(), nw = cpu_watchpoints();

	d->mdscr = read_mdscr_el1();
	for (u32 i = 0; i < nb; i++) {
		d->bcr[i] = read_dbgbcr(i);
		d->bvr[i] = read_dbgbvr(i);
	}
	for (u32 i = 0; i < nw; i++) {
		d->wcr[i] = read_dbgwcr(i);
		d->wvr[i] = read_dbgwvr(i);
	}
	d->mdccint = read_mdccint_el1();
	if (cpu_has_double_lock())
		d->osdlr = read_osdlr_el1();
	d->os_unlocked = !(read_oslsr_el1() & OSLSR_OSLK);
}

/* Only the debug trap bits: the rest of MDCR_EL2 is not this file's. */
static void set_traps(bool trap)
{
	u64 m = read_mdcr_el2();
	u64 want = trap ? m | MDCR_DEBUG_TRAPS : m & ~MDCR_DEBUG_TRAPS;

	if (want != m)
		write_mdcr_el2(want);
}

static void load_own(struct dbg_cpu *c, struct vcpu *vcpu, u32 here)
{
	hw_load(&vcpu->arch.dbg);
	c->holder = vcpu;
	c->clean = false;
	vcpu->arch.dbg.loaded_on = here;
}

void vdebug_load(struct vcpu *vcpu)
{
	u32 index = this_percpu()->index;
	struct dbg_cpu *c = &dbg_cpus[index];
	struct arch_debug *d = &vcpu->arch.dbg;

	if (d->used) {
		if (c->holder != vcpu || d->loaded_on != index + 1)
			load_own(c, vcpu, index + 1);
	} else if (!c->clean) {
		hw_load(&clean_state);
		c->holder = NULL;
		c->clean = true;
	}
	set_traps(!d->used);
}

void vdebug_put(struct vcpu *vcpu)
{
	if (vcpu->arch.dbg.used)
		hw_save(&vcpu->arch.dbg);
}

static bool is_mdrar(u64 esr)
{
	/* op0 2, op1 0, CRn 1, CRm 0, op2 0 */
	return ((esr >> 17) & 7) == 0 && ((esr >> 14) & 7) == 0 && ((esr >> 10) & 0xf) == 1 &&
	       ((esr >> 1) & 0xf) == 0;
}

bool vdebug_sysreg(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	u32 rt = (esr >> 5) & 0x1f;
	bool read = esr & 1;

	if (!is_mdrar(esr)) {
		if (!vcpu->arch.dbg.used) {
			/* first use: from now on the vCPU owns the registers */
			vcpu->arch.dbg.used = true;
			load_own(&dbg_cpus[this_percpu()->index], vcpu, this_percpu()->index + 1);
			set_traps(false);
			return true;   /* the access runs again, untrapped */
		}
		if (read_mdcr_el2() & MDCR_DEBUG_TRAPS) {
			set_traps(false);  /* someone else set MDCR_EL2 since vdebug_load */
			return true;
		}
	}
	/* MDRAR_EL1, or a register trapped for another reason: nothing behind it */
	if (read && rt != 31)
		regs->x[rt] = 0;
	regs->elr += 4;
	vdebug_step_done(regs);
	return true;
}
