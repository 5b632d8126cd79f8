/*
 * Random ops, each one instruction with its inputs set in the register
 * image: calls (HVC/SMC), loads and stores of every kind to the targets,
 * system-register accesses, cache and TLB maintenance, waits, and PSCI
 * CPU_ON. Each op names the registers it may change; the check holds it to
 * that. Ops that would end the VM or pull the guest's own ground away
 * (SYSTEM_OFF, VBAR_EL1, ...) are never made: they are not findings.
 */
#include "guests/fuzz/fuzz.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define RN(r) ((u32)(r) << 5)
#define RT2(r) ((u32)(r) << 10)
#define RS(r) ((u32)(r) << 16)

static u32 pick_reg(struct fuzz_cpu *c, u64 *used)
{
	for (;;) {
		u32 r = (u32)rng_below(&c->rng, 31);

		if (!(*used & OUT_X(r))) {
			*used |= OUT_X(r);
			return r;
		}
	}
}

/* ---- calls --------------------------------------------------------------- */

/* Function ids that end the VM or this vCPU, or park it where the guest has
 * no code: their effect is the point of them, not a finding. */
static bool call_forbidden(u32 fid)
{
	u32 owner = (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;
	u32 num = fid & 0xffff;

	if (owner == SMCCC_OWNER_STANDARD && (fid & 0xff0000) == 0)
		return num == 1 || num == 2 || num == 8 || num == 9 || num == 0xb || num == 0xc ||
		       num == 0xe || num == 0x12;
	return fid == BH_HC_PANIC;
}

static const u32 known_fids[] = {
	PSCI_VERSION, PSCI_FEATURES, PSCI_AFFINITY_INFO_32, PSCI_AFFINITY_INFO_64,
	PSCI_MIGRATE_INFO_TYPE, SMCCC_VERSION, SMCCC_ARCH_FEATURES, 0x80008000u, 0x80007fffu,
	BH_HC_NOP, BH_HC_VERSION, BH_HC_CONSOLE_PUTC, BH_HC_BASE + 4, BH_HC_BASE | 0xffff,
	0x86000000u, 0xc5000000u, 0xc4000020u, 0x84000010u, 0xbf00ff01u, 0x8600ff01u,
};

static u32 conduit(struct fuzz_cpu *c)
{
	u32 imm = rng_below(&c->rng, 8) ? 0 : (u32)rng_below(&c->rng, 0x10000);

	return (rng_below(&c->rng, 2) ? 0xd4000002u : 0xd4000003u) | imm << 5;
}

static void op_call(struct fuzz_cpu *c, struct op *op)
{
	u64 fid;

	do {
		if (rng_below(&c->rng, 2))
			fid = known_fids[rng_below(&c->rng, sizeof(known_fids) / sizeof(known_fids[0]))];
		else
			fid = (u32)rng_next(&c->rng);
		if (rng_below(&c->rng, 4) == 0)
			fid |= rng_next(&c->rng) << 32;   /* SMCCC: only w0 is the id */
	} while (call_forbidden((u32)fid));
	if ((u32)fid == BH_HC_CONSOLE_PUTC)
		c->in.x[1] = '.';
	c->in.x[0] = fid;
	op->insn = conduit(c);
	op->out_x = OUT_X0_X3;
	op->what = "call";
	c->calls++;
}

static void op_cpu_on(struct fuzz_cpu *c, struct op *op)
{
	u64 mpidr, entry = (u64)secondary_entry;
	bool present = rng_below(&c->rng, 4) != 0 && fz.nr_cpus;

	if (present) {
		mpidr = fz.cpu_mpidr[rng_below(&c->rng, fz.nr_cpus)];
	} else {
		mpidr = rng_below(&c->rng, 2) ? fz.nr_cpus + rng_below(&c->rng, 32) : rng_next(&c->rng);
		entry = rng_next(&c->rng);
	}
	op->cpu_on_bad_entry = present && rng_below(&c->rng, 8) == 0;
	if (op->cpu_on_bad_entry)
		entry = fz.ram_end + PAGE_SIZE * rng_below(&c->rng, 16);
	if (rng_below(&c->rng, 2)) {
		c->in.x[0] = PSCI_CPU_ON_64;
	} else {
		/* SMC32: the upper halves are not the callee's to look at */
		c->in.x[0] = PSCI_CPU_ON_32 | rng_next(&c->rng) << 32;
		mpidr = (u32)mpidr | rng_next(&c->rng) << 32;
		entry = (u32)entry | rng_next(&c->rng) << 32;
	}
	/* An "absent" id that names a vCPU after all becomes one no VM has. */
	for (u32 i = 0; !present && i < fz.nr_cpus; i++) {
		u64 seen = (c->in.x[0] == PSCI_CPU_ON_64 ? mpidr : (u32)mpidr) & 0xff00ffffffull;

		if (seen == fz.cpu_mpidr[i])
			mpidr |= 0xff00;   /* Aff1 255 */
	}
	c->in.x[1] = mpidr;
	c->in.x[2] = entry;
	c->in.x[3] = rng_next(&c->rng);
	op->insn = plat.psci_smc ? 0xd4000003u : 0xd4000002u;
	op->out_x = OUT_X0_X3;
	op->what = "cpu-on";
	op->cpu_on = true;
	op->cpu_on_present = present;
	c->calls++;
}

/* ---- memory -------------------------------------------------------------- */

/* A virtio device would DMA wherever its queue registers point: keep that
 * inside scratch memory that nothing else uses. */
static u64 steer(const struct target *t, u64 off, u64 value)
{
	if (t->virtio && off >= 0x80 && off < 0xb0)
		return (u64)vring_scratch + (value & (VRING_SCRATCH_SIZE - 1) & ~0xfull);
	return value;
}

static u32 ldst_single(struct fuzz_cpu *c, u32 rt, u32 rn, u32 size, bool load, u64 *out)
{
	u32 opc = load ? 1 + (u32)rng_below(&c->rng, size < 2 ? 3 : (size == 2 ? 2 : 1)) : 0;

	if (load)
		*out |= OUT_X(rt);
	return size << 30 | 0x39000000u | opc << 22 | RN(rn) | rt;
}

static void op_mem(struct fuzz_cpu *c, struct op *op)
{
	const struct target *t = &fz.t[rng_below(&c->rng, fz.nr_targets)];
	u64 used = 0, off, addr;
	u32 rn = pick_reg(c, &used), rt = pick_reg(c, &used), r2 = pick_reg(c, &used);
	u32 size = (u32)rng_below(&c->rng, 4);
	bool load = rng_below(&c->rng, 2), unaligned = rng_below(&c->rng, 4) == 0;
	u32 form = (u32)rng_below(&c->rng, 11);

	off = rng_below(&c->rng, 4) ? rng_below(&c->rng, 0x100) : rng_below(&c->rng, t->size);
	off = unaligned ? off : align_down(off, 8);
	addr = t->base + off + (unaligned ? FUZZ_ALIAS : 0);
	c->in.x[rn] = addr;
	c->in.x[rt] = steer(t, off, rng_value(&c->rng));
	op->target = t->base + off;
	op->what = t->name;
	switch (form) {
	case 0: case 1: case 2:   /* LDR/STR/LDRS*, immediate offset 0 */
		op->insn = ldst_single(c, rt, rn, size, load, &op->out_x);
		break;
	case 3:   /* pre/post-index: writes the base back */
		op->insn = size << 30 | 0x38000000u | (load ? 1u : 0u) << 22 |
			   ((u32)rng_below(&c->rng, 512) << 12) | (rng_below(&c->rng, 2) ? 3u : 1u) << 10 | RN(rn) | rt;
		op->out_x = OUT_X(rn) | (load ? OUT_X(rt) : 0);
		break;
	case 4:   /* register offset, index register 0 */
		c->in.x[r2] = 0;
		op->insn = size << 30 | 0x38200800u | (load ? 1u : 0u) << 22 | RS(r2) | 3u << 13 | RN(rn) | rt;
		op->out_x = load ? OUT_X(rt) : 0;
		break;
	case 5:   /* LDP/STP of W or X: 8 or 16 bytes */
		c->in.x[r2] = rng_value(&c->rng);
		op->insn = (rng_below(&c->rng, 2) ? 2u : 0u) << 30 | 0x29000000u | (load ? 1u : 0u) << 22 |
			   RT2(r2) | RN(rn) | rt;
		op->out_x = load ? OUT_X(rt) | OUT_X(r2) : 0;
		break;
	case 6: {   /* FP/SIMD: B/H/S/D/Q single, or a Q pair (32 bytes) */
		u32 vt = (u32)rng_below(&c->rng, 31);
		u32 vsize = (u32)rng_below(&c->rng, 6);

		if (vsize == 5) {
			op->insn = 2u << 30 | 0x2d000000u | (load ? 1u : 0u) << 22 | RT2(vt + 1) | RN(rn) | vt;
			op->out_v = load ? 3u << vt : 0;
		} else if (vsize == 4) {
			op->insn = 0x3d000000u | (load ? 3u : 2u) << 22 | RN(rn) | vt;
			op->out_v = load ? 1u << vt : 0;
		} else {
			op->insn = vsize << 30 | 0x3d000000u | (load ? 1u : 0u) << 22 | RN(rn) | vt;
			op->out_v = load ? 1u << vt : 0;
		}
		break;
	}
	case 7:   /* exclusives: LDXR/LDAXR, STXR/STLXR (status in r2), LDXP/STXP */
		if (rng_below(&c->rng, 4) == 0) {
			u32 r3 = pick_reg(c, &used);

			op->insn = load ? 0xc87f0000u | RT2(r2) | RN(rn) | rt
					: 0xc8200000u | RS(r3) | RT2(r2) | RN(rn) | rt;
			op->out_x = load ? OUT_X(rt) | OUT_X(r2) : OUT_X(r3);
		} else {
			u32 o0 = rng_below(&c->rng, 2) ? 0x8000u : 0;

			op->insn = load ? size << 30 | 0x085f7c00u | o0 | RN(rn) | rt
					: size << 30 | 0x08007c00u | o0 | RS(r2) | RN(rn) | rt;
			op->out_x = load ? OUT_X(rt) : OUT_X(r2);
		}
		break;
	case 8:   /* LDAR/STLR/LDAPR */
		op->insn = size << 30 | (load ? (rng_below(&c->rng, 2) ? 0x08dffc00u : 0x38bfc000u) : 0x089ffc00u) |
			   RN(rn) | rt;
		op->out_x = load ? OUT_X(rt) : 0;
		break;
	case 9: {   /* LSE LDADD..LDUMIN and SWP, any ordering: old value to rt */
		u32 ar = (u32)rng_below(&c->rng, 4) << 22;

		c->in.x[r2] = rng_value(&c->rng);
		op->insn = rng_below(&c->rng, 8) ? size << 30 | 0x38200000u | ar | RS(r2) |
							(u32)rng_below(&c->rng, 8) << 12 | RN(rn) | rt
						 : size << 30 | 0x38208000u | ar | RS(r2) | RN(rn) | rt;
		op->out_x = OUT_X(rt);
		break;
	}
	default:   /* CAS: compare r2, store rt; old value to r2 */
		c->in.x[r2] = rng_value(&c->rng);
		op->insn = size << 30 | 0x08a07c00u | (u32)rng_below(&c->rng, 2) << 22 | RS(r2) |
			   (u32)rng_below(&c->rng, 2) << 15 | RN(rn) | rt;
		op->out_x = OUT_X(r2);
		break;
	}
}

/* ---- system registers ---------------------------------------------------- */

#define SR(op0, op1, crn, crm, op2) \
	((u32)((op0) - 2) << 19 | (u32)(op1) << 16 | (u32)(crn) << 12 | (u32)(crm) << 8 | (u32)(op2) << 5)

/* Registers Bulkhead traps, emulates or switches per vCPU. */
static const u32 sysregs[] = {
	/* GIC CPU interface */
	SR(3, 0, 4, 6, 0), SR(3, 0, 12, 8, 3), SR(3, 0, 12, 12, 3), SR(3, 0, 12, 12, 4),
	SR(3, 0, 12, 12, 5), SR(3, 0, 12, 12, 6), SR(3, 0, 12, 12, 7), SR(3, 0, 12, 11, 5),
	SR(3, 0, 12, 11, 6), SR(3, 0, 12, 11, 7), SR(3, 0, 12, 8, 1), SR(3, 0, 12, 12, 1),
	SR(3, 0, 12, 11, 1), SR(3, 0, 12, 8, 4), SR(3, 0, 12, 9, 0), SR(3, 0, 12, 8, 0),
	SR(3, 0, 12, 12, 0), SR(3, 0, 12, 8, 2), SR(3, 0, 12, 12, 2), SR(3, 0, 12, 11, 3),
	/* timers */
	SR(3, 0, 14, 1, 0), SR(3, 3, 14, 2, 0), SR(3, 3, 14, 2, 1), SR(3, 3, 14, 2, 2),
	SR(3, 3, 14, 3, 0), SR(3, 3, 14, 3, 1), SR(3, 3, 14, 3, 2), SR(3, 3, 14, 0, 1),
	SR(3, 3, 14, 0, 2), SR(3, 3, 14, 0, 0),
	/* PMU */
	SR(3, 3, 9, 12, 0), SR(3, 3, 9, 12, 1), SR(3, 3, 9, 12, 2), SR(3, 3, 9, 12, 3),
	SR(3, 3, 9, 12, 4), SR(3, 3, 9, 12, 5), SR(3, 3, 9, 13, 0), SR(3, 3, 9, 13, 1),
	SR(3, 3, 9, 13, 2), SR(3, 3, 9, 14, 0), SR(3, 0, 9, 14, 1), SR(3, 0, 9, 14, 2),
	SR(3, 3, 9, 14, 3), SR(3, 3, 14, 8, 0), SR(3, 3, 14, 8, 5), SR(3, 3, 14, 12, 0),
	SR(3, 3, 14, 12, 5), SR(3, 3, 14, 15, 7), SR(3, 3, 9, 12, 6), SR(3, 3, 9, 12, 7),
	/* debug */
	SR(2, 0, 0, 2, 2), SR(2, 0, 1, 0, 4), SR(2, 0, 1, 3, 4), SR(2, 0, 0, 6, 2),
	SR(2, 0, 0, 2, 0), SR(2, 0, 0, 0, 4), SR(2, 0, 0, 0, 5), SR(2, 0, 0, 5, 4),
	SR(2, 0, 0, 5, 5), SR(2, 0, 0, 0, 6), SR(2, 0, 0, 0, 7), SR(2, 0, 0, 3, 6),
	SR(2, 0, 0, 3, 7), SR(2, 0, 7, 8, 6), SR(2, 0, 7, 9, 6), SR(2, 0, 1, 1, 4),
	SR(2, 0, 1, 0, 0), SR(2, 3, 0, 1, 0), SR(2, 3, 0, 4, 0), SR(2, 3, 0, 5, 0),
	/* other EL1 state switched per vCPU, and RAS */
	SR(3, 0, 13, 0, 1), SR(3, 3, 13, 0, 2), SR(3, 0, 10, 3, 0), SR(3, 0, 5, 1, 0),
	SR(3, 0, 5, 1, 1), SR(3, 0, 5, 2, 0), SR(3, 0, 6, 0, 0), SR(3, 0, 7, 4, 0),
	SR(3, 0, 12, 1, 1), SR(3, 0, 1, 0, 1), SR(3, 2, 0, 0, 0), SR(3, 0, 5, 3, 1),
	SR(3, 0, 5, 4, 0), SR(3, 0, 5, 4, 1), SR(3, 0, 5, 4, 2), SR(3, 0, 5, 4, 3),
	SR(3, 0, 5, 5, 0), SR(3, 0, 5, 3, 0), SR(3, 0, 12, 1, 0), SR(3, 0, 0, 0, 5),
	SR(3, 1, 0, 0, 0), SR(3, 1, 0, 0, 1), SR(3, 3, 13, 0, 7), SR(3, 0, 13, 0, 7),
};

#define SR_ICC_BPR0 SR(3, 0, 12, 8, 3)
#define SR_ICC_BPR1 SR(3, 0, 12, 12, 3)

/* The guest's own ground: translation, vectors, PSTATE views, the stash
 * registers exec.S uses, and SVE/SME controls. */
static bool sysreg_forbidden(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	if (op0 != 3)
		return false;
	if (op1 == 0 && (crn == 1 || crn == 2 || crn == 4))
		return true;
	if (op1 == 3 && crn == 4)
		return true;
	if (op1 == 0 && crn == 10 && crm == 2)
		return true;   /* MAIR, PIR */
	if (op1 == 0 && crn == 12 && crm == 0)
		return true;   /* VBAR, RVBAR, RMR */
	if (op1 == 0 && crn == 13 && crm == 0 && op2 == 4)
		return true;   /* TPIDR_EL1 */
	if (op1 == 3 && crn == 13 && crm == 0 && op2 == 3)
		return true;   /* TPIDRRO_EL0 */
	return op1 == 0 && crn == 5 && crm == 2 && op2 == 3;   /* GCS */
}

/* QEMU 7.2 aborts on a group-1 acknowledge after ICC_BPR1_EL1 = 8 (or 16):
 * a QEMU bug, not Bulkhead's (issue 14); keep the fuzzer off it. */
static u64 sysreg_value(struct fuzz_cpu *c, u32 enc)
{
	u64 v = rng_value(&c->rng);

	if (enc == SR_ICC_BPR0 || enc == SR_ICC_BPR1)
		v &= 7;
	return v;
}

static void op_sysreg(struct fuzz_cpu *c, struct op *op)
{
	u64 used = 0;
	u32 rt = pick_reg(c, &used), enc;
	bool read = rng_below(&c->rng, 3) == 0;

	if (rng_below(&c->rng, 4)) {
		enc = sysregs[rng_below(&c->rng, sizeof(sysregs) / sizeof(sysregs[0]))];
		op->what = "sysreg";
	} else {
		u32 op0, op1, crn, crm, op2;

		do {
			op0 = 2 + (u32)rng_below(&c->rng, 2);
			op1 = (u32)rng_below(&c->rng, 8);
			crn = (u32)rng_below(&c->rng, 16);
			crm = (u32)rng_below(&c->rng, 16);
			op2 = (u32)rng_below(&c->rng, 8);
		} while (sysreg_forbidden(op0, op1, crn, crm, op2));
		enc = SR(op0, op1, crn, crm, op2);
		op->what = "sysreg-any";
	}
	if ((enc >> 12 & 0xf) == 4 && (enc >> 19 & 1) && !((enc >> 16 & 7) == 0 && (enc >> 8 & 0xf) == 6))
		enc = SR(3, 0, 4, 6, 0);   /* of CRn 4 only ICC_PMR_EL1 is ours to touch */
	c->in.x[rt] = sysreg_value(c, enc);
	op->insn = (read ? 0xd5300000u : 0xd5100000u) | enc | rt;
	op->out_x = read ? OUT_X(rt) : 0;
	op->target = enc;
}

/* ---- maintenance and waits ----------------------------------------------- */

#define SYS(op1, crn, crm, op2) (0xd5080000u | (u32)(op1) << 16 | (u32)(crn) << 12 | (u32)(crm) << 8 | (u32)(op2) << 5)

static const u32 maint[] = {
	SYS(0, 7, 6, 2), SYS(0, 7, 10, 2), SYS(0, 7, 14, 2),   /* DC ISW, CSW, CISW */
	SYS(0, 8, 3, 0), SYS(0, 8, 7, 0), SYS(0, 8, 3, 1), SYS(0, 8, 3, 2), SYS(0, 8, 3, 3),
	SYS(0, 8, 3, 5), SYS(0, 8, 3, 7), SYS(0, 8, 7, 1), SYS(0, 8, 7, 2), SYS(0, 8, 7, 3),
	SYS(0, 8, 7, 5), SYS(0, 8, 7, 7), SYS(0, 8, 1, 0),     /* TLBI */
	SYS(0, 7, 1, 0), SYS(0, 7, 5, 0),                       /* IC IALLUIS, IALLU */
	SYS(0, 7, 8, 0), SYS(0, 7, 8, 1), SYS(0, 7, 8, 2), SYS(0, 7, 8, 3),   /* AT */
};

static const u32 maint_va[] = {
	SYS(3, 7, 10, 1), SYS(3, 7, 14, 1), SYS(3, 7, 11, 1), SYS(0, 7, 6, 1), SYS(3, 7, 5, 1),
	SYS(3, 7, 12, 1), SYS(3, 7, 13, 1),   /* DC CVAC, CIVAC, CVAU, IVAC, IC IVAU, CVAP, CVADP */
};

static void op_maint(struct fuzz_cpu *c, struct op *op)
{
	u64 used = 0;
	u32 rt = pick_reg(c, &used);

	if (rng_below(&c->rng, 2)) {
		op->insn = maint[rng_below(&c->rng, sizeof(maint) / sizeof(maint[0]))] | rt;
		c->in.x[rt] = rng_value(&c->rng);
	} else {
		const struct target *t = &fz.t[rng_below(&c->rng, fz.nr_targets)];

		op->insn = maint_va[rng_below(&c->rng, sizeof(maint_va) / sizeof(maint_va[0]))] | rt;
		c->in.x[rt] = t->base + rng_below(&c->rng, t->size);
		op->target = c->in.x[rt];
	}
	op->what = "maint";
}

/* A WFI wakes only for an interrupt: arm the virtual timer 1 ms ahead and
 * open the path to this vCPU (random writes may have closed any part of
 * it), so a working hypervisor always ends the wait. */
void wfi_safety_net(struct fuzz_cpu *c)
{
	u64 rd = fz.gicr + (u64)c->index * 0x20000, sgi = rd + 0x10000;
	u64 freq = read_sysreg(cntfrq_el0);

	if (fz.gicd)
		mmio_write32(fz.gicd, 0x12);   /* ARE_NS | EnableGrp1NS */
	if (fz.gicr) {
		mmio_write32(rd + 0x14, 0);                                /* GICR_WAKER */
		mmio_write32(sgi + 0x80, mmio_read32(sgi + 0x80) | 1u << INTID_VTIMER);
		mmio_write32(sgi + 0x380, 1u << INTID_VTIMER);             /* not active */
		mmio_write32(sgi + 0x400 + 24, 0x80808080u);               /* priority */
		mmio_write32(sgi + 0x100, 1u << INTID_VTIMER);
	}
	/* Interrupts that random reads of ICC_IAR1_EL1 acknowledged stay active
	 * and hold the running priority up: end them. */
	write_sysreg_s(ICC_CTLR_EL1, 0);
	for (int i = 0; i < 8; i++) {
		u64 iar = read_sysreg_s(ICC_IAR1_EL1) & 0xffffff;

		if (iar >= INTID_SPURIOUS)
			break;
		write_sysreg_s(ICC_EOIR1_EL1, iar);
	}
	write_sysreg_s(ICC_EOIR1_EL1, INTID_VTIMER);
	write_sysreg_s(S3_0_C12_C9_0, 0);   /* ICC_AP1R0_EL1 */
	write_sysreg_s(ICC_PMR_EL1, 0xff);
	write_sysreg_s(ICC_IGRPEN1_EL1, 1);
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + freq / 1000);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
}

static void op_wait(struct fuzz_cpu *c, struct op *op)
{
	static const u32 waits[] = { 0xd503205fu, 0xd503209fu, 0xd50320bfu, 0xd503203fu, 0xd503207fu };
	u32 w = waits[rng_below(&c->rng, sizeof(waits) / sizeof(waits[0]))];

	if (w == 0xd503207fu && !fz.gicr)
		w = 0xd503205fu;   /* nothing could end a WFI: WFE instead */
	if (w == 0xd503207fu)
		wfi_safety_net(c);
	op->insn = w;
	op->what = "wait";
}

/* The check's own test: an op that changes a register it does not name. */
static void op_selftest(struct fuzz_cpu *c, struct op *op)
{
	u64 used = 0;
	u32 rd = pick_reg(c, &used);

	c->in.x[rd] = 0;
	op->insn = 0xd2800000u | 0x5e1fu << 5 | rd;   /* MOVZ Xrd, #0x5e1f */
	op->what = "selftest";
}

void op_make(struct fuzz_cpu *c, struct op *op)
{
	u32 kind = (u32)rng_below(&c->rng, 20);

	*op = (struct op){ .what = "?" };
	if (fz.selftest && c->index == 0 && c->ops == 0)
		op_selftest(c, op);
	else if (kind < 4)
		op_call(c, op);
	else if (kind < 11 && fz.nr_targets)
		op_mem(c, op);
	else if (kind < 16)
		op_sysreg(c, op);
	else if (kind < 18)
		op_maint(c, op);
	else if (kind == 18)
		op_wait(c, op);
	else if (c->index == 0)
		op_cpu_on(c, op);
	else
		op_call(c, op);
}
