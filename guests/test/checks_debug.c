/*
 * Self-hosted debug from inside the VM, as on the bare machine: the OS lock,
 * the breakpoint and watchpoint registers reading back what was written, a
 * hardware breakpoint and watchpoints (load and store) taken, single step
 * (over an instruction the hypervisor emulates too) and BRK. The highest
 * breakpoint and watchpoint ID_AA64DFR0_EL1 names are the ones used, so an
 * advertised register the CPU does not switch shows. The `dbgshare` mode
 * runs in VMs that take turns on one CPU with different debug settings.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "lib/string.h"

#define EC_BREAKPOINT_CUR 0x31
#define EC_STEP_CUR       0x33
#define EC_WATCHPOINT_CUR 0x35
#define EC_BRK            0x3c
#define ESR_WNR           (1ull << 6)

#define MDSCR_SS  (1ull << 0)
#define MDSCR_KDE (1ull << 13)
#define MDSCR_MDE (1ull << 15)
#define SPSR_SS   (1ull << 21)
#define SPSR_D    (1ull << 9)
#define SPSR_EL1H 0x5ull

/* Enabled, matching at EL1, every byte of an A64 instruction or a doubleword. */
#define BCR_EL1_A64 (1ull | 1ull << 1 | 0xfull << 5)
#define WCR_EL1_8   (1ull | 1ull << 1 | 0xffull << 5)
#define WCR_LOAD    (1ull << 3)
#define WCR_STORE   (2ull << 3)

#define OSLSR_OSLK (1ull << 1)
#define OSLSR_OSLM (1ull << 3)   /* OSLM == 0b10: the OS lock is implemented */

/* Indexed debug registers: the number is part of the encoding. */
#define DBG_CASES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) \
	X(12) X(13) X(14) X(15)
#define DBG_ACCESS(name, CASE)                                                         \
	static u64 read_##name(u32 n)                                                  \
	{                                                                              \
		u64 v = 0;                                                             \
		switch (n) {                                                           \
		DBG_CASES(CASE##_R)                                                    \
		}                                                                      \
		return v;                                                              \
	}                                                                              \
	static void write_##name(u32 n, u64 v)                                         \
	{                                                                              \
		switch (n) {                                                           \
		DBG_CASES(CASE##_W)                                                    \
		}                                                                      \
		isb();                                                                 \
	}
#define BVR_R(n) case n: v = read_sysreg(dbgbvr##n##_el1); break;
#define BVR_W(n) case n: write_sysreg(dbgbvr##n##_el1, v); break;
#define BCR_R(n) case n: v = read_sysreg(dbgbcr##n##_el1); break;
#define BCR_W(n) case n: write_sysreg(dbgbcr##n##_el1, v); break;
#define WVR_R(n) case n: v = read_sysreg(dbgwvr##n##_el1); break;
#define WVR_W(n) case n: write_sysreg(dbgwvr##n##_el1, v); break;
#define WCR_R(n) case n: v = read_sysreg(dbgwcr##n##_el1); break;
#define WCR_W(n) case n: write_sysreg(dbgwcr##n##_el1, v); break;
DBG_ACCESS(bvr, BVR)
DBG_ACCESS(bcr, BCR)
DBG_ACCESS(wvr, WVR)
DBG_ACCESS(wcr, WCR)

/* What the debug handler saw. */
static volatile struct {
	u32 count, ec;
	u64 esr, far, elr;
	u32 steps;
	u64 step_pc[8];
} seen;

static u32 bp, wp;  /* the breakpoint and watchpoint used: the highest ones */

static u32 breakpoints(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) + 1;
}

static u32 watchpoints(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 20) & 0xf) + 1;
}

/*
 * A breakpoint or watchpoint is disabled when taken (returning to the
 * instruction would take it again); a step goes on to step_end.
 */
static bool on_debug(u64 esr, u64 far, u64 *elr, u64 *spsr)
{
	u32 ec = ESR_EC(esr);

	switch (ec) {
	case EC_BREAKPOINT_CUR:
		write_bcr(bp, 0);
		break;
	case EC_WATCHPOINT_CUR:
		write_wcr(wp, 0);
		break;
	case EC_STEP_CUR:
		if (seen.steps < 8)
			seen.step_pc[seen.steps] = *elr;
		seen.steps++;
		if (*elr == (u64)step_end || seen.steps >= 8) {
			write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
			*spsr &= ~SPSR_SS;
		} else {
			*spsr |= SPSR_SS;
		}
		break;
	case EC_BRK:
		*elr += 4;
		break;
	default:
		return false;
	}
	seen.count++;
	seen.ec = ec;
	seen.esr = esr;
	seen.far = far;
	seen.elr = *elr;
	return true;
}

static void seen_reset(void)
{
	seen.count = 0;
	seen.ec = 0;
	seen.steps = 0;
}

static void debug_on(void)
{
	write_sysreg(oslar_el1, 0);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	isb();
	asm volatile("msr daifclr, #8" : : : "memory");
}

static void debug_off(void)
{
	asm volatile("msr daifset, #8" : : : "memory");
	write_sysreg(mdscr_el1, 0);
	for (u32 i = 0; i < breakpoints(); i++)
		write_bcr(i, 0);
	for (u32 i = 0; i < watchpoints(); i++)
		write_wcr(i, 0);
}

__attribute__((noinline)) static u64 bp_target(u64 x)
{
	barrier();
	return x * 3 + 1;
}

__attribute__((noinline)) static u64 other_target(u64 x)
{
	barrier();
	return x * 5 + 2;
}

/* Run first: the OS lock as a cold reset leaves it (locked), then as OSLAR_EL1 sets it. */
static void check_os_lock(void)
{
	struct why w = { 0 };
	u64 reset = read_sysreg(oslsr_el1), locked, unlocked;

	write_sysreg(oslar_el1, 1);
	isb();
	locked = read_sysreg(oslsr_el1);
	write_sysreg(oslar_el1, 0);
	isb();
	unlocked = read_sysreg(oslsr_el1);
	if (!(reset & OSLSR_OSLM) || !(reset & OSLSR_OSLK))
		why_add(&w, "OSLSR_EL1 0x%lx at reset, expected OSLM 0b10 and OSLK set", reset);
	if (!(locked & OSLSR_OSLK))
		why_add(&w, "OSLAR_EL1 = 1 left OSLSR_EL1 0x%lx", locked);
	if (unlocked & OSLSR_OSLK)
		why_add(&w, "OSLAR_EL1 = 0 left OSLSR_EL1 0x%lx", unlocked);
	report("debug-os-lock", &w);
}

/* Every advertised pair keeps what was written (disabled, so none fires). */
static void check_debug_regs(void)
{
	u32 nb = breakpoints(), nw = watchpoints();
	struct why w = { 0 };
	u64 mdscr;

	printk("NOTE: debug: %u breakpoints, %u watchpoints, ID_AA64DFR0_EL1 0x%lx\n", nb, nw,
	       read_sysreg(id_aa64dfr0_el1));
	if (nb < 2 || nw < 2)
		why_add(&w, "%u breakpoints and %u watchpoints: the architecture has 2 at least",
			nb, nw);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	for (u32 i = 0; i < nb; i++) {
		write_bvr(i, (u64)bp_target + 4 * i);
		write_bcr(i, BCR_EL1_A64 & ~1ull);
	}
	for (u32 i = 0; i < nw; i++) {
		write_wvr(i, 0x40001000ull + 8 * i);
		write_wcr(i, (WCR_EL1_8 | WCR_LOAD) & ~1ull);
	}
	isb();
	mdscr = read_sysreg(mdscr_el1);
	if ((mdscr & (MDSCR_MDE | MDSCR_KDE)) != (MDSCR_MDE | MDSCR_KDE))
		why_add(&w, "MDSCR_EL1 reads 0x%lx after writing MDE|KDE", mdscr);
	for (u32 i = 0; i < nb; i++) {
		if (read_bvr(i) != (u64)bp_target + 4 * i || read_bcr(i) != (BCR_EL1_A64 & ~1ull))
			why_add(&w, "breakpoint %u: BVR 0x%lx BCR 0x%lx", i, read_bvr(i),
				read_bcr(i));
	}
	for (u32 i = 0; i < nw; i++) {
		if (read_wvr(i) != 0x40001000ull + 8 * i ||
		    read_wcr(i) != ((WCR_EL1_8 | WCR_LOAD) & ~1ull))
			why_add(&w, "watchpoint %u: WVR 0x%lx WCR 0x%lx", i, read_wvr(i),
				read_wcr(i));
	}
	debug_off();
	report("debug-regs", &w);
}

static void check_breakpoint(void)
{
	struct why w = { 0 };
	u64 r;

	seen_reset();
	debug_on();
	write_bvr(bp, (u64)bp_target);
	write_bcr(bp, BCR_EL1_A64);
	r = bp_target(5);
	debug_off();
	if (seen.count != 1 || seen.ec != EC_BREAKPOINT_CUR || seen.elr != (u64)bp_target)
		why_add(&w, "%u debug exception(s), last EC 0x%x at 0x%lx; breakpoint %u at 0x%lx",
			seen.count, seen.ec, seen.elr, bp, (u64)bp_target);
	if (r != 16)
		why_add(&w, "the function returned %lu", r);
	report("debug-breakpoint", &w);
}

static volatile u64 watched __attribute__((aligned(16)));

static void expect_watch(struct why *w, const char *what, bool write)
{
	u64 addr = (u64)&watched;

	if (seen.count != 1 || seen.ec != EC_WATCHPOINT_CUR)
		why_add(w, "%s: %u debug exception(s), last EC 0x%x", what, seen.count, seen.ec);
	else if (seen.far < (addr & ~0xfull) || seen.far >= addr + 8 ||
		 !!(seen.esr & ESR_WNR) != write)
		why_add(w, "%s: FAR 0x%lx (watched 0x%lx), ESR 0x%lx", what, seen.far, addr,
			seen.esr);
}

/* A load and a store, each taken by a watchpoint of its kind and only by it. */
static void check_watchpoint(void)
{
	struct why w = { 0 };
	u64 v;

	watched = 7;
	seen_reset();
	debug_on();
	write_wvr(wp, (u64)&watched);
	write_wcr(wp, WCR_EL1_8 | WCR_LOAD);
	watched = 8;              /* a store: the load watchpoint ignores it */
	v = watched;
	expect_watch(&w, "load", false);
	if (v != 8)
		why_add(&w, "the load read %lu", v);
	seen_reset();
	write_wcr(wp, WCR_EL1_8 | WCR_STORE);
	v = watched;              /* a load: the store watchpoint ignores it */
	watched = 9;
	expect_watch(&w, "store", true);
	debug_off();
	if (watched != 9)
		why_add(&w, "the store left %lu", watched);
	report("debug-watchpoint", &w);
}

static void check_step(void)
{
	struct why w = { 0 };
	u64 daif = read_sysreg(daif) | SPSR_D, r;

	/* D stays masked here (else this code would be stepped): only the
	 * sequence runs with it clear, from its SPSR */
	seen_reset();
	write_sysreg(oslar_el1, 0);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE | MDSCR_SS);
	isb();
	r = step_sequence((daif & ~SPSR_D) | SPSR_EL1H | SPSR_SS);
	debug_off();
	if (seen.steps != 4 || r != 6)
		why_add(&w, "%u steps (4 expected), result %lu", seen.steps, r);
	for (u32 i = 0; i < 4 && i < seen.steps; i++) {
		if (seen.step_pc[i] != (u64)step_first + 4 * (i + 1))
			why_add(&w, "step %u at 0x%lx, expected 0x%lx", i, seen.step_pc[i],
				(u64)step_first + 4 * (i + 1));
	}
	report("debug-step", &w);
}

static void check_brk(void)
{
	struct why w = { 0 };

	seen_reset();
	asm volatile("brk #0x42" : : : "memory");
	if (seen.count != 1 || seen.ec != EC_BRK || (seen.esr & 0xffff) != 0x42)
		why_add(&w, "%u debug exception(s), EC 0x%x ESR 0x%lx", seen.count, seen.ec,
			seen.esr);
	report("debug-brk", &w);
}

void run_debug_checks(void)
{
	bp = breakpoints() - 1;
	wp = watchpoints() - 1;
	set_debug_handler(on_debug);
	check_os_lock();
	check_debug_regs();
	check_breakpoint();
	check_watchpoint();
	check_step();
	check_brk();
	set_debug_handler(NULL);
}

/*
 * The `dbgshare` mode, with dbg=set, dbg=none or dbg=own in the bootargs:
 * for ms= milliseconds (1 s by default) the VM calls bp_target. With `set`
 * a breakpoint there must stop every call; with `none` (no debug register
 * ever touched, debug exceptions unmasked) none may; with `own` the VM's
 * breakpoint is on other_target instead, which must stop every call while
 * bp_target never does. The VMs take turns on one CPU, so any state left
 * on it by another would show.
 */
/* A taken breakpoint disables itself (on_debug): armed again after each. */
static void arm_share(const char *role)
{
	if (!strcmp(role, "set")) {
		write_bvr(bp, (u64)bp_target);
		write_bcr(bp, BCR_EL1_A64);
	} else if (!strcmp(role, "own")) {
		write_bvr(bp, (u64)other_target);
		write_bcr(bp, BCR_EL1_A64);
	}
}

void mode_dbgshare(void)
{
	u64 freq = read_sysreg(cntfrq_el0);
	u64 span = freq / 1000 * (plat.ms ? plat.ms : 1000);
	u64 start = read_sysreg(cntvct_el0), last = start, now;
	u32 gaps = 0, calls = 0, wrong = 0;
	struct why w = { 0 };
	char role[8];

	find_word(plat.bootargs ? plat.bootargs : "", "dbg=", role, sizeof(role));
	printk("dbgshare test: %s, dbg=%s\n", plat.name, role);
	if (strcmp(role, "set") && strcmp(role, "none") && strcmp(role, "own")) {
		check_fail("debug-private", "dbg=%s: set, none or own expected", role);
		finish();
	}
	bp = breakpoints() - 1;
	set_debug_handler(on_debug);
	if (!strcmp(role, "none"))
		asm volatile("msr daifclr, #8" : : : "memory");
	else
		debug_on();
	arm_share(role);
	do {
		seen_reset();
		if (!strcmp(role, "own")) {
			(void)other_target(1);
			if (seen.count != 1 || seen.elr != (u64)other_target)
				wrong++;
			arm_share(role);
			seen_reset();
		}
		(void)bp_target(calls);
		if (!strcmp(role, "set") ? seen.count != 1 || seen.elr != (u64)bp_target
					 : seen.count != 0)
			wrong++;
		arm_share(role);  /* at once: armed nearly all the time the VM runs */
		calls++;
		for (u32 i = 0; i < 200; i++)
			barrier();
		now = read_sysreg(cntvct_el0);
		gaps += now - last > freq / 500;  /* 2 ms without running */
		last = now;
	} while (now - start < span);
	printk("NOTE: dbgshare: %u calls, %u wrong, the CPU was taken away %u time(s)\n", calls,
	       wrong, gaps);
	if (wrong)
		why_add(&w, "%u of %u calls stopped where this VM's settings say not", wrong,
			calls);
	if (!gaps)
		why_add(&w, "never lost the CPU: nothing else ran to test against");
	report("debug-private", &w);
	finish();
}
