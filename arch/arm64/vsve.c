/*
 * SVE for guests. A VM's vector length is capped by ZCR_EL2.LEN (its config's
 * `sve`, or the machine's longest), and each vCPU has its own Z0-Z31, P0-P15,
 * FFR and ZCR_EL1, saved in a per-vCPU area sized for that cap; the guest's
 * ZCR_EL1 can only shorten its vectors further.
 *
 * Lazily: a vCPU starts with SVE trapped (CPTR_EL2.TZ; EC 0x19 for SVE
 * instructions and ZCR_EL1). Its first SVE use makes it an SVE vCPU for the
 * rest of its life (until reset): its V registers become the low 128 bits
 * of Z registers that are zero above them, its predicates and FFR zero, and
 * from then on its whole SVE state is loaded and saved with it. So a vCPU
 * can never read SVE state it did not write: the registers a previous vCPU
 * left on the CPU are either out of its reach (trapped, or above its VM's
 * vector length) or overwritten by its own before it runs.
 *
 * CPTR_EL2.TZ clear on a CPU means its SVE registers may hold a guest's
 * state: arch_copy_bulk (copy_bulk.S) then keeps the whole Z registers it
 * borrows, since writing a V register zeroes the rest of its Z register.
 */
#include "arch.h"
#include "core/config.h"
#include "core/vm.h"
#include "inject.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "sysregs.h"
#include "vsve.h"

SYSREG_RW_ENC(zcr_el1, "S3_0_C1_C2_0")
SYSREG_RW_ENC(zcr_el2, "S3_4_C1_C2_0")

void sve_save(u8 *area);
void sve_load(const u8 *area);
u64 sve_vl_bytes(void);
void fpsimd_save(struct arch_fpsimd *fp);

#define CPTR_TZ (1ull << 8)
#define ZCR_LEN_MAX 15         /* 2048 bits */
#define VQ_BYTES 16            /* the unit of vector lengths: 128 bits */
#define ZREGS 32
#define PREGS 16

/* The machine's longest vector length in 128-bit units, 0 without SVE: the
 * shortest of its CPUs' (CPU 0 measures before any VM exists). */
static u32 machine_vq;

static u32 pfr0_sve(void)
{
	return (read_id_aa64pfr0_el1() >> 32) & 0xf;
}

static void el2_sve_on(u32 vq)
{
	write_cptr_el2(read_cptr_el2() & ~CPTR_TZ);
	write_zcr_el2(vq - 1);
	isb();
}

static void el2_sve_off(void)
{
	u64 cptr = read_cptr_el2();

	if (!(cptr & CPTR_TZ)) {
		write_cptr_el2(cptr | CPTR_TZ);
		isb();
	}
}

void vsve_cpu_init(u32 index)
{
	u32 vq = 0, seen;

	if (pfr0_sve()) {
		el2_sve_on(ZCR_LEN_MAX + 1);
		vq = (u32)(sve_vl_bytes() / VQ_BYTES);
		el2_sve_off();
	}
	if (index == 0) {
		__atomic_store_n(&machine_vq, vq, __ATOMIC_RELAXED);
		return;
	}
	seen = __atomic_load_n(&machine_vq, __ATOMIC_RELAXED);
	while (vq < seen && !__atomic_compare_exchange_n(&machine_vq, &seen, vq, false,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* One vCPU's save area at vector length vq (sve.S has the layout). */
static u64 area_bytes(u32 vq)
{
	u64 vl = (u64)vq * VQ_BYTES;

	return align_up(ZREGS * vl + (PREGS + 1) * vl / 8, 16);
}

static u8 *vcpu_area(const struct vcpu *vcpu)
{
	return vcpu->vm->arch.sve_area + vcpu->id * area_bytes(vcpu->vm->arch.sve_vq);
}

int arch_vm_prepare(struct vm *vm, char *why, size_t why_size)
{
	u32 want = vm->cfg.sve_vl, vq = machine_vq;

	if (want == 0)
		vq = 0;
	else if (want != CONFIG_SVE_HW && want / 128 > machine_vq) {
		if (machine_vq)
			fmt_snprintf(why, why_size, "%u bits is longer than this machine's SVE "
				     "vectors (%u bits)", want, machine_vq * 128);
		else
			fmt_snprintf(why, why_size, "%u bits asked, and this machine has no SVE", want);
		return -1;
	} else if (want != CONFIG_SVE_HW) {
		vq = want / 128;
	}
	vm->arch.sve_vq = vq;
	if (!vq)
		return 0;
	vm->arch.sve_area = vm_dev_alloc(vm, vm->nvcpus * area_bytes(vq));
	if (!vm->arch.sve_area) {
		fmt_snprintf(why, why_size, "no memory for its vCPUs' SVE registers (%llu bytes)",
			     (unsigned long long)(vm->nvcpus * area_bytes(vq)));
		return -1;
	}
	return 0;
}

static void load_regs(struct vcpu *vcpu)
{
	el2_sve_on(vcpu->vm->arch.sve_vq);
	sve_load(vcpu_area(vcpu));
	write_zcr_el1(vcpu->arch.sve.zcr_el1);
}

void vsve_load(struct vcpu *vcpu)
{
	if (vcpu->arch.sve.live)
		load_regs(vcpu);
	else if (machine_vq)
		el2_sve_off();
}

void vsve_save(struct vcpu *vcpu)
{
	if (!vcpu->arch.sve.live)
		return;
	sve_save(vcpu_area(vcpu));
	vcpu->arch.sve.zcr_el1 = read_zcr_el1();
}

/*
 * The first SVE use of a vCPU whose FP/SIMD registers are on this CPU: its
 * SVE state starts as those V registers and zeros, at the VM's longest
 * vector length (ZCR_EL1's reset value is left UNKNOWN by the architecture).
 */
static void first_use(struct vcpu *vcpu)
{
	u32 vq = vcpu->vm->arch.sve_vq;
	u8 *area = vcpu_area(vcpu);
	u64 vl;

	fpsimd_save(&vcpu->arch.fp);
	el2_sve_on(vq);
	vl = sve_vl_bytes();
	memset(area, 0, area_bytes(vq));
	for (u32 r = 0; r < ZREGS; r++)
		memcpy(area + r * vl, &vcpu->arch.fp.q[2 * r], VQ_BYTES);
	vcpu->arch.sve.zcr_el1 = vq - 1;
	vcpu->arch.sve.live = true;
	load_regs(vcpu);
}

/* The instruction runs again once SVE is on for the vCPU. */
enum vcpu_next vsve_trap(struct vcpu *vcpu, struct arch_regs *regs)
{
	if (!vcpu->vm->arch.sve_vq)
		return inject_undef(vcpu, regs);
	if (vcpu->arch.sve.live)
		load_regs(vcpu);  /* not expected: TZ is clear while it runs */
	else
		first_use(vcpu);
	return VCPU_RESUME;
}

u64 vsve_id_register(const struct vm *vm, u32 crm, u32 op2, u64 value)
{
	if (!vm->arch.sve_vq || crm != 4)
		return value;
	if (op2 == 0)      /* ID_AA64PFR0_EL1.SVE */
		return value | (read_id_aa64pfr0_el1() & (0xfull << 32));
	if (op2 == 4)      /* ID_AA64ZFR0_EL1: SVE2 and the other SVE extensions */
		return read_id_aa64zfr0_el1();
	return value;
}
