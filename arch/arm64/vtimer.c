/*
 * The EL1 virtual timer belongs to the guest: it programs CNTV_* without
 * trapping. When the timer fires Bulkhead raises the guest's virtual PPI 27
 * and disables the physical PPI, so it does not fire again while the guest
 * handles it; once the guest deactivates the virtual interrupt, the timer's
 * output (as the guest left CNTV_CTL) is sampled again and the physical PPI
 * re-enabled when it is low. The guest's own CNTV_CTL is never modified.
 */
#include "core/vm.h"
#include "gicv3.h"
#include "guest_gic.h"
#include "sysregs.h"
#include "vgic_lr.h"
#include "vgic_vm.h"
#include "vtimer.h"

#define CTL_ENABLE  (1ull << 0)
#define CTL_IMASK   (1ull << 1)
#define CTL_ISTATUS (1ull << 2)

static bool output_of(u64 ctl)
{
	return (ctl & (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS)) == (CTL_ENABLE | CTL_ISTATUS);
}

bool vtimer_asserted(void)
{
	return output_of(read_cntv_ctl_el0());
}

static void sample(struct vcpu *vcpu)
{
	bool level = vtimer_asserted();

	vgic_vm_set_line(vcpu->vm, vcpu->id, GUEST_PPI_VTIMER, level);
	if (!level)
		gic_ppi_enable(PPI_VIRT_TIMER, true);
}

void vtimer_load(struct vcpu *vcpu, bool warm)
{
	if (!warm) {
		write_cntvoff_el2(vcpu->arch.vtimer.offset);
		write_cntv_cval_el0(vcpu->arch.vtimer.cval);
	}
	/* vtimer_put disabled the timer, so that it cannot fire off the CPU */
	write_cntv_ctl_el0(vcpu->arch.vtimer.ctl);
	isb();
	gic_ppi_enable(PPI_VIRT_TIMER, true);
}

void vtimer_put(struct vcpu *vcpu)
{
	u64 ctl = read_cntv_ctl_el0();
	u64 cval = read_cntv_cval_el0();

	vcpu->arch.vtimer.ctl = ctl;
	vcpu->arch.vtimer.cval = cval;
	write_cntv_ctl_el0(0);
	isb();
	/* wake_at is in physical counter ticks: the virtual counter runs offset behind */
	if ((ctl & (CTL_ENABLE | CTL_IMASK)) == CTL_ENABLE)
		vcpu->wake_at = cval + vcpu->arch.vtimer.offset ? cval + vcpu->arch.vtimer.offset : 1;
	else
		vcpu->wake_at = 0;
	gic_ppi_enable(PPI_VIRT_TIMER, true);
}

void vtimer_fired(struct vcpu *vcpu)
{
	gic_ppi_enable(PPI_VIRT_TIMER, false);
	vgic_raise_ppi_now(vcpu, GUEST_PPI_VTIMER);
}

void vtimer_deactivated(struct vcpu *vcpu)
{
	sample(vcpu);
}
