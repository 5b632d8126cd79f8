/*
 * The guest's EL1 timers, virtual (PPI 27) and physical (PPI 30): both are
 * the guest's own while its vCPU is on the CPU (no trap for CNTV_* or
 * CNTP_*), switched per vCPU like its other EL1 registers. Bulkhead runs on
 * the EL2 timer and never uses them.
 *
 * The counters: CNTVOFF_EL2 is 0, so a guest's virtual and physical
 * counters are both the machine's counter. One time base for both timers
 * needs nothing to translate, and no offset means a guest's CVAL is never
 * added to one: QEMU 7.2 adds CVAL and CNTVOFF without an overflow check
 * and a CVAL near 2^64 then stalls the whole machine.
 *
 * Each timer's output (ENABLE && ISTATUS && !IMASK) is a level-sensitive
 * line into the vGIC. When it rises the physical PPI fires: Bulkhead raises
 * the guest's PPI and masks the physical one, as the line stays high until
 * the guest acts on the timer, which it does without trapping. So the line
 * is sampled again wherever the guest can look: when it deactivates the
 * interrupt, before it waits in WFI, when it (or another vCPU) accesses
 * the vCPU's redistributor (GICR_ISPENDR0 shows the output, enabling the PPI
 * delivers only a live one) and when the vCPU leaves its CPU. A line found
 * low unmasks the physical PPI again.
 */
#include "core/vm.h"
#include "gicv3.h"
#include "guest_gic.h"
#include "percpu.h"
#include "sysregs.h"
#include "vgic_lr.h"
#include "vgic_vm.h"
#include "vtimer.h"

#define CTL_ENABLE  (1ull << 0)
#define CTL_IMASK   (1ull << 1)
#define CTL_ISTATUS (1ull << 2)

#define LINE_LOW  1
#define LINE_HIGH 2   /* 0: not known, the model is told on the next sample */

static const u32 guest_ppi[GTIMERS] = { GUEST_PPI_VTIMER, GUEST_PPI_PTIMER };
static const u32 host_ppi[GTIMERS] = { PPI_VIRT_TIMER, PPI_PHYS_TIMER };

static bool output_of(u64 ctl)
{
	return (ctl & (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS)) == (CTL_ENABLE | CTL_ISTATUS);
}

static u64 read_ctl(enum gtimer t)
{
	return t == GTIMER_VIRT ? read_cntv_ctl_el0() : read_cntp_ctl_el0();
}

/* The physical PPI's enable, written only when it changes (a redistributor
 * access is dear on the switch path). */
static void host_ppi_unmask(enum gtimer t, bool on)
{
	struct arm64_percpu *p = this_percpu();
	u32 bit = 1u << host_ppi[t];

	if (!(p->ppi_masked & bit) == on)
		return;
	p->ppi_masked ^= bit;
	gic_ppi_enable(host_ppi[t], on);
}

/* Tells the vGIC the line's level when it is news (`force`: whatever the
 * cache says, where a wrong level would outlive the call). */
static void set_line(struct vcpu *vcpu, enum gtimer t, bool level, bool force)
{
	u8 line = level ? LINE_HIGH : LINE_LOW;

	if (vcpu->arch.timer[t].line == line && !force)
		return;
	vcpu->arch.timer[t].line = line;
	vgic_vm_set_line(vcpu->vm, vcpu->id, guest_ppi[t], level);
}

/* The running vCPU's timer t, from the live registers. */
static void sample_live(struct vcpu *vcpu, enum gtimer t, bool force)
{
	bool level = output_of(read_ctl(t));

	set_line(vcpu, t, level, force);
	if (!level)
		host_ppi_unmask(t, true);
}

/* A vCPU off its CPU: its output from what it saved and the counter. */
static bool saved_output(const struct arch_gtimer *s)
{
	return (s->ctl & (CTL_ENABLE | CTL_IMASK)) == CTL_ENABLE && arch_counter_read() >= s->cval;
}

void vtimer_sample(struct vcpu *vcpu)
{
	struct arm64_percpu *p = this_percpu();

	for (enum gtimer t = 0; t < GTIMERS; t++) {
		if (p->vcpu == vcpu)
			sample_live(vcpu, t, true);
		else if (!__atomic_load_n(&vcpu->running, __ATOMIC_ACQUIRE))
			set_line(vcpu, t, saved_output(&vcpu->arch.timer[t]), true);
		/* running on another CPU: the line is as it last saw it */
	}
}

void vtimer_sample_here(struct vcpu *vcpu)
{
	sample_live(vcpu, GTIMER_VIRT, false);
	sample_live(vcpu, GTIMER_PHYS, false);
}

void vtimer_load(struct vcpu *vcpu, bool warm)
{
	const struct arch_gtimer *s = vcpu->arch.timer;

	if (!warm) {
		write_cntv_cval_el0(s[GTIMER_VIRT].cval);
		write_cntp_cval_el0(s[GTIMER_PHYS].cval);
	}
	/* vtimer_put stopped the timers, so that they cannot fire off the CPU */
	write_cntv_ctl_el0(s[GTIMER_VIRT].ctl);
	write_cntp_ctl_el0(s[GTIMER_PHYS].ctl);
	isb();
	host_ppi_unmask(GTIMER_VIRT, true);
	host_ppi_unmask(GTIMER_PHYS, true);
}

/* Counter value at which timer t would raise its line, 0: never, 1: now. */
static u64 deadline(const struct arch_gtimer *s)
{
	if ((s->ctl & (CTL_ENABLE | CTL_IMASK)) != CTL_ENABLE)
		return 0;
	if (s->ctl & CTL_ISTATUS)
		/* high already: the vGIC has it, unless it rose just now */
		return s->line == LINE_HIGH ? 0 : 1;
	return s->cval ? s->cval : 1;
}

void vtimer_put(struct vcpu *vcpu)
{
	struct arch_gtimer *s = vcpu->arch.timer;
	u64 when = 0;

	s[GTIMER_VIRT].ctl = read_cntv_ctl_el0();
	s[GTIMER_VIRT].cval = read_cntv_cval_el0();
	s[GTIMER_PHYS].ctl = read_cntp_ctl_el0();
	s[GTIMER_PHYS].cval = read_cntp_cval_el0();
	write_cntv_ctl_el0(0);
	write_cntp_ctl_el0(0);
	isb();
	for (enum gtimer t = 0; t < GTIMERS; t++) {
		u64 d = deadline(&s[t]);

		if (d && (!when || d < when))
			when = d;
	}
	vcpu->wake_at = when;
}

void vtimer_fired(struct vcpu *vcpu, enum gtimer t)
{
	host_ppi_unmask(t, false);
	vcpu->arch.timer[t].line = LINE_HIGH;
	vgic_raise_ppi_now(vcpu, guest_ppi[t]);
}

void vtimer_deactivated(struct vcpu *vcpu, u32 intid)
{
	for (enum gtimer t = 0; t < GTIMERS; t++)
		if (guest_ppi[t] == intid)
			sample_live(vcpu, t, true);
}
