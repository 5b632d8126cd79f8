/*
 * A PMUv3 for every vCPU: the CPU's own cycle counter and event counters,
 * holding the vCPU's values only while it is on the CPU.
 *
 * Every PMU register access traps (MDCR_EL2.TPM, TPMCR) and is done on the
 * hardware for the guest. Trapping costs a few hundred instructions per
 * access, but keeps two things exact without sampling: the overflow line
 * (it changes only by a trapped write or by a counter wrapping, which
 * raises the physical PMU interrupt), and counting at EL2, which the guest
 * can never ask for (the filters' NSH bit is always written 0; HPMD as well
 * where the CPU has PMUv3p1). MDCR_EL2.HPMN gives EL1 every counter, so the
 * guest's PMCR_EL0.N is the CPU's.
 *
 * A vCPU's PMU state is loaded at its first PMU access and, from then on,
 * switched on every entry and exit: stopped and saved when it leaves (so
 * nothing counts for it while it is off the CPU, and the next vCPU finds
 * every enable, overflow and interrupt bit clear), loaded when it returns.
 * vCPUs that never touch the PMU cost nothing on the switch path.
 *
 * The overflow interrupt is the level (PMCR.E && PMOVSSET & PMINTENSET),
 * the guest's PPI 23. When the physical PPI fires, the guest's is raised
 * and the physical one masked until a trapped write brings the level down
 * (the hardware line stays high until then). A physical interrupt with
 * the level low leaves the PPI masked until the next trapped write or
 * switch: a PMU whose output disagrees with its registers (QEMU 7.2 after
 * PMCR.E is cleared) cannot hold a CPU in an interrupt storm. On exit the level is taken
 * from the saved state, so an overflow that came just before the exit
 * reaches the vGIC even while the vCPU is off its CPU.
 */
#include "core/vm.h"
#include "gicv3.h"
#include "lib/fdt.h"
#include "percpu.h"
#include "sysregs.h"
#include "vgic_lr.h"
#include "vgic_vm.h"
#include "vpmu.h"

SYSREG_RW(pmcr_el0)
SYSREG_RW(pmcntenset_el0)
SYSREG_RW(pmcntenclr_el0)
SYSREG_RW(pmintenset_el1)
SYSREG_RW(pmintenclr_el1)
SYSREG_RW(pmovsset_el0)
SYSREG_RW(pmovsclr_el0)
SYSREG_WRITE(pmswinc_el0)
SYSREG_RW(pmselr_el0)
SYSREG_READ(pmceid0_el0)
SYSREG_READ(pmceid1_el0)
SYSREG_RW(pmccntr_el0)
SYSREG_RW(pmccfiltr_el0)
SYSREG_RW(pmxevtyper_el0)
SYSREG_RW(pmxevcntr_el0)
SYSREG_RW(pmuserenr_el0)
SYSREG_RW_ENC(pmmir_el1, "S3_0_C9_C14_6")

#define PMCR_E  (1ull << 0)
#define PMCR_P  (1ull << 1)
#define PMCR_C  (1ull << 2)
#define PMCR_D  (1ull << 3)
#define PMCR_X  (1ull << 4)
#define PMCR_DP (1ull << 5)
#define PMCR_LC (1ull << 6)
#define PMCR_LP (1ull << 7)
#define PMCR_N_SHIFT 11

#define CYCLE_COUNTER 31
#define SEL_MASK 0x1full
/* Event filters: P, U, NSK, NSU and the event number. NSH (count at EL2),
 * M (EL3), SH, MT and threshold bits are never written: the guest has no
 * EL2 to count in, and the rest is for features it is not shown. */
#define TYPER_FILTERS (0xfull << 28)
#define PMUSERENR_MASK 0xfull   /* EN, SW, CR, ER */

#define MDCR_HPMN_MASK 0x1full
#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM   (1ull << 6)
#define MDCR_HPMD  (1ull << 17)

/* ID_AA64DFR0_EL1.PMUVer values. */
#define PMUVER_V3   1
#define PMUVER_V3P1 4
#define PMUVER_V3P4 5
#define PMUVER_V3P5 6   /* the newest offered: later ones add controls not forwarded here */
#define PMUVER_IMPDEF 0xf

#define LINE_LOW  1
#define LINE_HIGH 2

/* The physical PPI, masked by this CPU while a guest's line is high. */
static bool ppi_masked[MAX_CPUS];

static u64 hw_pmuver(void)
{
	return (read_id_aa64dfr0_el1() >> 8) & 0xf;
}

static u32 hw_counters(void)
{
	return (u32)(read_pmcr_el0() >> PMCR_N_SHIFT) & 0x1f;
}

u64 vpmu_pmuver(void)
{
	u64 v = hw_pmuver();

	/* no PMU, or one that is not PMUv3, or an interrupt elsewhere than
	 * where Bulkhead takes it and the guest's tree says it is */
	if (v == 0 || v == PMUVER_IMPDEF || platform.arch.pmu_ppi != GUEST_PPI_PMU)
		return 0;
	return v > PMUVER_V3P5 ? PMUVER_V3P5 : v;
}

/* The bits of the counter bitmaps that exist: N event counters and C. */
static u64 counter_mask(void)
{
	return (1ull << CYCLE_COUNTER) | ((1ull << hw_counters()) - 1);
}

static u64 event_mask(void)
{
	return hw_pmuver() >= PMUVER_V3P1 ? 0xffffull : 0x3ffull;
}

static u64 pmcr_writable(void)
{
	u64 m = PMCR_E | PMCR_P | PMCR_C | PMCR_D | PMCR_X | PMCR_DP | PMCR_LC;

	return vpmu_pmuver() >= PMUVER_V3P5 ? m | PMCR_LP : m;
}

/* Everything that counts or interrupts off, so the PMU is quiet. */
static void stop_and_clear(void)
{
	u64 all = ~0ull;

	write_pmcntenclr_el0(all);
	write_pmintenclr_el1(all);
	write_pmovsclr_el0(all);
	write_pmuserenr_el0(0);
	write_pmcr_el0(0);
	isb();
}

u64 vpmu_cpu_init(void)
{
	u64 mdcr = MDCR_TPM | MDCR_TPMCR;

	if (hw_pmuver() == 0 || hw_pmuver() == PMUVER_IMPDEF)
		return mdcr;
	stop_and_clear();
	ppi_masked[this_percpu()->index] = false;
	mdcr |= hw_counters() & MDCR_HPMN_MASK;
	if (hw_pmuver() >= PMUVER_V3P1)
		mdcr |= MDCR_HPMD;
	return mdcr;
}

/* --- event counters by index (PMSELR, kept as the guest had it) --------- */

static u64 evtyper_read(u32 n)
{
	u64 sel = read_pmselr_el0(), v;

	write_pmselr_el0(n);
	isb();
	v = read_pmxevtyper_el0();
	write_pmselr_el0(sel);
	return v;
}

static void evtyper_write(u32 n, u64 v)
{
	u64 sel = read_pmselr_el0();

	write_pmselr_el0(n);
	isb();
	write_pmxevtyper_el0(v & (TYPER_FILTERS | event_mask()));
	write_pmselr_el0(sel);
}

static u64 evcntr_read(u32 n)
{
	u64 sel = read_pmselr_el0(), v;

	write_pmselr_el0(n);
	isb();
	v = read_pmxevcntr_el0();
	write_pmselr_el0(sel);
	return v;
}

static void evcntr_write(u32 n, u64 v)
{
	u64 sel = read_pmselr_el0();

	write_pmselr_el0(n);
	isb();
	write_pmxevcntr_el0(v);
	write_pmselr_el0(sel);
}

/* --- the overflow line ----------------------------------------------------- */

static void ppi_mask(bool masked)
{
	bool *m = &ppi_masked[this_percpu()->index];

	if (*m == masked)
		return;
	*m = masked;
	gic_ppi_enable(GUEST_PPI_PMU, !masked);
}

static bool level_of(u64 pmcr, u64 inten, u64 ovs)
{
	return (pmcr & PMCR_E) && (inten & ovs);
}

static bool live_level(void)
{
	return level_of(read_pmcr_el0(), read_pmintenset_el1(), read_pmovsset_el0());
}

static void set_line(struct vcpu *vcpu, bool level)
{
	u8 line = level ? LINE_HIGH : LINE_LOW;

	if (vcpu->arch.pmu.line == line)
		return;
	vcpu->arch.pmu.line = line;
	vgic_vm_set_line(vcpu->vm, vcpu->id, GUEST_PPI_PMU, level);
}

/*
 * Makes the PMU drive its interrupt output from its registers again. A
 * write of zero to PMOVSCLR changes no state; QEMU 7.2 recomputes its
 * output only on such writes and on an overflow, not when PMCR.E changes,
 * so after PMCR.E 1 -> 0 with an overflow flagged its line stays high
 * while the level the registers give is low. Unmasked then, the PPI would
 * fire for ever with nothing to clear it (fuzz guest seed 100).
 */
static void line_resync(void)
{
	write_pmovsclr_el0(0);
	isb();
}

/* After a trapped write: the hardware says where the line is. */
static void sample_live(struct vcpu *vcpu)
{
	bool level = live_level();

	line_resync();
	set_line(vcpu, level);
	if (!level)
		ppi_mask(false);
}

void vpmu_overflow(struct vcpu *vcpu)
{
	ppi_mask(true);
	if (!vcpu || !vcpu->arch.pmu.used || !live_level()) {
		/*
		 * Nothing of a guest's is high: a line that dropped already, or
		 * one the PMU holds high against its registers. The PPI stays
		 * masked until the next trapped PMU write or vCPU switch, so a
		 * line stuck high costs one interrupt, never a storm.
		 */
		line_resync();
		return;
	}
	if (vcpu->arch.pmu.line == LINE_HIGH)
		return;   /* the vGIC has it already (a level saved high) */
	vcpu->arch.pmu.line = LINE_HIGH;
	vgic_raise_ppi_now(vcpu, GUEST_PPI_PMU);
}

/* --- switching ------------------------------------------------------------- */

static void load_state(const struct arch_pmu *s)
{
	u32 n = hw_counters();

	write_pmcr_el0(s->pmcr & pmcr_writable() & ~(PMCR_P | PMCR_C));
	for (u32 i = 0; i < n; i++) {
		evtyper_write(i, s->evtyper[i]);
		evcntr_write(i, s->evcntr[i]);
	}
	write_pmselr_el0(s->selr);
	write_pmccfiltr_el0(s->ccfiltr & TYPER_FILTERS);
	write_pmccntr_el0(s->ccntr);
	write_pmuserenr_el0(s->userenr);
	write_pmovsset_el0(s->ovs);
	write_pmintenset_el1(s->inten);
	write_pmcntenset_el0(s->cnten);
	isb();
}

static void save_state(struct arch_pmu *s)
{
	u32 n = hw_counters();

	s->cnten = read_pmcntenset_el0();
	write_pmcntenclr_el0(~0ull);  /* stop first: nothing counts past the exit */
	isb();
	s->pmcr = read_pmcr_el0();
	s->inten = read_pmintenset_el1();
	s->ovs = read_pmovsset_el0();
	s->selr = read_pmselr_el0();
	s->userenr = read_pmuserenr_el0();
	s->ccntr = read_pmccntr_el0();
	s->ccfiltr = read_pmccfiltr_el0();
	for (u32 i = 0; i < n; i++) {
		s->evtyper[i] = evtyper_read(i);
		s->evcntr[i] = evcntr_read(i);
	}
}

void vpmu_load(struct vcpu *vcpu)
{
	if (!vcpu->arch.pmu.used)
		return;
	load_state(&vcpu->arch.pmu);
	/* a level saved high raises the physical line again at once: the vGIC
	 * has it already, so the physical PPI waits masked for it to drop */
	ppi_mask(vcpu->arch.pmu.line == LINE_HIGH);
}

void vpmu_put(struct vcpu *vcpu)
{
	struct arch_pmu *s = &vcpu->arch.pmu;

	if (!s->used)
		return;
	save_state(s);
	stop_and_clear();
	ppi_mask(false);  /* the hardware line is low now */
	set_line(vcpu, level_of(s->pmcr, s->inten, s->ovs));
}

/* The first access: the vCPU's PMU is in its reset state (all zero but
 * PMCR.N), and whatever the last vCPU left in the counters is overwritten. */
static void first_use(struct vcpu *vcpu)
{
	struct arch_pmu *s = &vcpu->arch.pmu;

	if (s->used)
		return;
	*s = (struct arch_pmu){ .used = true, .line = LINE_LOW };
	load_state(s);
	line_resync();
	ppi_mask(false);   /* all clear: the line is low */
}

/* --- the registers --------------------------------------------------------- */

bool vpmu_is_pmu_reg(u32 op1, u32 crn, u32 crm)
{
	if (crn == 9 && crm >= 12 && (op1 == 0 || op1 == 3))
		return true;   /* PMCR .. PMCEID1, PMCCNTR, PMXEV*, PMUSERENR, PMINTEN*, PMOVSSET */
	return op1 == 3 && crn == 14 && crm >= 8;   /* PMEVCNTR<n>, PMEVTYPER<n>, PMCCFILTR */
}

/* A counter bitmap register: SET/CLR writes only the counters that exist. */
static bool bitmap(bool read, u64 *val, u64 (*rd)(void), void (*wr)(u64))
{
	if (read)
		*val = rd();
	else
		wr(*val & counter_mask());
	return true;
}

static bool typer(u32 n, bool read, u64 *val)
{
	if (n == CYCLE_COUNTER) {
		if (read)
			*val = read_pmccfiltr_el0();
		else
			write_pmccfiltr_el0(*val & TYPER_FILTERS);
		return true;
	}
	if (n >= hw_counters())
		return false;
	if (read)
		*val = evtyper_read(n);
	else
		evtyper_write(n, *val);
	return true;
}

static bool cntr(u32 n, bool read, u64 *val)
{
	if (n >= hw_counters())
		return false;   /* PMXEVCNTR with PMSELR 31 included: UNPREDICTABLE */
	if (read)
		*val = evcntr_read(n);
	else
		evcntr_write(n, *val);
	return true;
}

static bool pmcr(bool read, u64 *val)
{
	if (read)
		*val = read_pmcr_el0();
	else
		write_pmcr_el0(*val & pmcr_writable());
	return true;
}

static bool read_only(bool read, u64 *val, u64 v)
{
	if (read)
		*val = v;
	return read;
}

/* op1 3, CRn 9: PMCR_EL0 and its neighbours. */
static bool crn9_el0(u32 crm, u32 op2, bool read, u64 *val)
{
	u64 sel = read_pmselr_el0() & SEL_MASK;

	switch (crm << 3 | op2) {
	case 12 << 3 | 0: return pmcr(read, val);
	case 12 << 3 | 1: return bitmap(read, val, read_pmcntenset_el0, write_pmcntenset_el0);
	case 12 << 3 | 2: return bitmap(read, val, read_pmcntenset_el0, write_pmcntenclr_el0);
	case 12 << 3 | 3: return bitmap(read, val, read_pmovsset_el0, write_pmovsclr_el0);
	case 12 << 3 | 4:
		if (read)
			return false;   /* PMSWINC_EL0 is write-only */
		write_pmswinc_el0(*val & counter_mask() & ~(1ull << CYCLE_COUNTER));
		return true;
	case 12 << 3 | 5:
		if (read)
			*val = read_pmselr_el0();
		else
			write_pmselr_el0(*val & SEL_MASK);
		return true;
	case 12 << 3 | 6: return read_only(read, val, read_pmceid0_el0());
	case 12 << 3 | 7: return read_only(read, val, read_pmceid1_el0());
	case 13 << 3 | 0:
		if (read)
			*val = read_pmccntr_el0();
		else
			write_pmccntr_el0(*val);
		return true;
	case 13 << 3 | 1: return typer((u32)sel, read, val);
	case 13 << 3 | 2: return cntr((u32)sel, read, val);
	case 14 << 3 | 0:
		if (read)
			*val = read_pmuserenr_el0();
		else
			write_pmuserenr_el0(*val & PMUSERENR_MASK);
		return true;
	case 14 << 3 | 3: return bitmap(read, val, read_pmovsset_el0, write_pmovsset_el0);
	default: return false;
	}
}

/* op1 0, CRn 9, CRm 14: PMINTENSET_EL1, PMINTENCLR_EL1, PMMIR_EL1. */
static bool crn9_el1(u32 crm, u32 op2, bool read, u64 *val)
{
	if (crm == 14 && op2 == 1)
		return bitmap(read, val, read_pmintenset_el1, write_pmintenset_el1);
	if (crm == 14 && op2 == 2)
		return bitmap(read, val, read_pmintenset_el1, write_pmintenclr_el1);
	if (crm == 14 && op2 == 6 && vpmu_pmuver() >= PMUVER_V3P4)
		return read_only(read, val, read_pmmir_el1());
	return false;
}

static bool dispatch(u32 op1, u32 crn, u32 crm, u32 op2, bool read, u64 *val)
{
	if (crn == 14)
		return crm >= 12 ? typer((crm & 3) << 3 | op2, read, val)
				 : cntr((crm & 3) << 3 | op2, read, val);
	return op1 == 3 ? crn9_el0(crm, op2, read, val) : crn9_el1(crm, op2, read, val);
}

bool vpmu_access(struct vcpu *vcpu, u32 op1, u32 crn, u32 crm, u32 op2, bool read, u64 *val)
{
	bool ok;

	if (!vpmu_pmuver())
		return false;
	first_use(vcpu);
	ok = dispatch(op1, crn, crm, op2, read, val);
	if (ok && !read) {
		isb();
		sample_live(vcpu);
	}
	return ok;
}

/* --- the guest's device tree ---------------------------------------------- */

#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4

void vpmu_write_dt(struct fdt_writer *w)
{
	const u32 cells[3] = { GIC_PPI, GUEST_PPI_PMU - 16, IRQ_LEVEL_HIGH };

	if (!vpmu_pmuver())
		return;
	fdtw_begin_node(w, "pmu");
	fdtw_prop_string(w, "compatible", "arm,armv8-pmuv3");
	fdtw_prop_cells(w, "interrupts", cells, 3);
	fdtw_end_node(w);
}
