/*
 * libFuzzer target for the trapped system-register emulation
 * (arch/arm64/sysreg_emul.c: sysreg_emulate) on a 2-vCPU VM. System
 * registers are a table (tests/fuzz/fake_sysregs/sysregs.h) whose ID
 * registers the input fills with any value, as a CPU might; the PMU,
 * debug, SVE, vGIC and scheduler parts are doubles that record calls.
 *
 * Input: a header of 8 bytes (vpmu_pmuver's answer, what the debug and PMU
 * doubles answer, and a seed for the ID registers), then records of 12
 * bytes: an ISS (u32: op0, op1, CRn, CRm, op2, Rt, direction, as EC 0x18
 * gives them) and the value in Xt (u64).
 *
 * Checks, after every access:
 *  - refused (UNDEFINED to the guest): no register, ELR or SPSR changed;
 *  - emulated: ELR moved by exactly 4, PSTATE.SS cleared, and only Xt of a
 *    read changed (nothing for XZR); a write changes no general register;
 *  - ID registers: read only; what the guest sees hides EL2/EL3, SVE, MPAM,
 *    AMU, RME, address and generic pointer authentication, VH, LOR and NV,
 *    reports at most a 40-bit PA range, shows the PMU version vpmu_pmuver
 *    gives and nothing in the unallocated encodings;
 *  - PMU registers without a guest PMU read as zero, and writes are ignored;
 *  - ICC_SGI1R_EL1 goes to the vGIC with the sender's id and Xt, and only
 *    vCPUs of the VM are kicked; set/way starts one flush and the SCTLR
 *    trap; the trapped EL1 writes go to the vCPU's registers only while it
 *    is on, and SCTLR with MMU and caches on turns it off.
 */
#include <string.h>

#include "core/sched.h"
#include "core/vm.h"
#include "sysreg_emul.h"
#include "sysregs.h"
#include "vdebug.h"
#include "vgic.h"
#include "vpmu.h"
#include "vsve.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define HEADER 8
#define RECORD 12

static struct vm vm;
static struct vcpu vcpus[2];

/* --- the system-register table ------------------------------------------- */

#define MAX_REGS 48
static struct { const char *name; u64 v; } regs_tab[MAX_REGS];
static u32 nregs;
static u64 id_seed;
static u32 writes;   /* every fake_sysreg_write */

static u32 slot(const char *name)
{
	for (u32 i = 0; i < nregs; i++) {
		if (!strcmp(regs_tab[i].name, name))
			return i;
	}
	CHECK(nregs < MAX_REGS);
	regs_tab[nregs].name = name;
	/* ID registers: any value a CPU might have, from the input's seed */
	regs_tab[nregs].v = !strncmp(name, "id_", 3) || !strncmp(name, "mvfr", 4)
				    ? id_seed * 0x9e3779b97f4a7c15ull ^ (u64)strlen(name) * 0x0123456789abcdefull
				    : 0;
	return nregs++;
}

u64 fake_sysreg_read(const char *name)
{
	return regs_tab[slot(name)].v;
}

void fake_sysreg_write(const char *name, u64 v)
{
	writes++;
	regs_tab[slot(name)].v = v;
}

/* --- doubles --------------------------------------------------------------- */

static u64 pmuver, answers;
static u32 debug_calls, pmu_calls, sgi_calls, kicks, tasks, tvm_calls;
static bool tvm_on;
static u64 sgi_value;
static u32 sgi_sender;

bool vdebug_sysreg(struct vcpu *vcpu, struct arch_regs *regs, u64 esr)
{
	debug_calls++;
	if (!(answers & 1))
		return false;
	regs->elr += 4;
	return true;
}

u64 vdebug_dfr0(void)
{
	return 0x6ull;   /* DebugVer v8 */
}

u64 vpmu_pmuver(void)
{
	return pmuver;
}

bool vpmu_is_pmu_reg(u32 op1, u32 crn, u32 crm)
{
	if (crn == 9 && crm >= 12 && (op1 == 0 || op1 == 3))
		return true;
	return op1 == 3 && crn == 14 && crm >= 8;
}

bool vpmu_access(struct vcpu *vcpu, u32 op1, u32 crn, u32 crm, u32 op2, bool read, u64 *val)
{
	CHECK(pmuver != 0 && vpmu_is_pmu_reg(op1, crn, crm));
	pmu_calls++;
	if (read)
		*val = 0x9d;
	return answers & 2;
}

u64 vsve_id_register(const struct vm *v, u32 crm, u32 op2, u64 value)
{
	CHECK(v == &vm);
	return value;
}

void vgic_send_sgi(struct vgic *g, u32 sender, u64 sgi1r, u64 *kick)
{
	CHECK(g == &vm.arch.vgic);
	sgi_calls++;
	sgi_sender = sender;
	sgi_value = sgi1r;
	*kick = (answers >> 8) & 0xff;   /* the vGIC may name vCPUs the VM lacks */
}

void vcpu_kick(struct vcpu *v)
{
	CHECK(v == &vcpus[0] || v == &vcpus[1]);
	kicks++;
}

/* An SGI's target: told after its sgi_new names the SGI. */
void vcpu_notify(struct vcpu *v)
{
	CHECK(v == &vcpus[0] || v == &vcpus[1]);
	CHECK(v->arch.gic.sgi_new & (1u << ((sgi_value >> 24) & 0xf)));
	kicks++;
}

void sched_set_task(struct vcpu *v, enum vcpu_next (*task)(struct vcpu *))
{
	CHECK(v == &vcpus[0] && task);
	tasks++;
}

void arm64_hcr_tvm(bool on)
{
	tvm_calls++;
	tvm_on = on;
}

bool guest_ram_step(const struct guest_ram *r, u64 *pos, u64 budget, gram_run_fn fn, void *ctx)
{
	return true;
}

void arch_clean_invalidate_dcache_range(const void *p, u64 size)
{
}

/* --- the checks ------------------------------------------------------------ */

static u64 field(u64 v, u32 shift)
{
	return (v >> shift) & 0xf;
}

static void check_id(u32 crm, u32 op2, u64 v)
{
	if (crm == 4 && op2 == 0) {
		CHECK(!field(v, 8) && !field(v, 12) && !field(v, 32) && !field(v, 40) && !field(v, 44) &&
		      !field(v, 52));
	} else if (crm == 4 && op2 == 1) {
		CHECK(v <= 0xff);
	} else if (crm == 5 && op2 == 0) {
		CHECK(field(v, 8) == pmuver);
	} else if (crm == 6 && op2 == 1) {
		CHECK(!field(v, 4) && !field(v, 8) && !field(v, 24) && !field(v, 28));
	} else if (crm == 6 && op2 == 2) {
		CHECK(!field(v, 8) && !field(v, 12));
	} else if (crm == 7 && op2 == 0) {
		CHECK(field(v, 0) <= 2);
	} else if (crm == 7 && op2 == 1) {
		CHECK(!field(v, 8) && !field(v, 16));
	} else if (crm == 7 && op2 == 2) {
		CHECK(!field(v, 24));
	} else if (crm == 1 && op2 == 2) {
		CHECK(!(v & 0xf000000ull));
	} else if (crm >= 4 || (crm == 3 && op2 >= 3) || (crm == 2 && op2 >= 6)) {
		if (!(crm == 6 && op2 == 0))
			CHECK(v == 0);   /* ZFR0, SMFR0, DFR1, AFRx and reserved */
	}
}

static void one(struct vcpu *vcpu, u32 iss, u64 xt)
{
	struct arch_regs regs_now, *regs = &regs_now, before;
	u32 op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7;
	u32 crn = (iss >> 10) & 15, rt = (iss >> 5) & 31, crm = (iss >> 1) & 15;
	bool read = iss & 1, done, tvm_was = vcpu->arch.sw_tvm;
	u32 pmu_before = pmu_calls, sgi_before = sgi_calls, writes_before = writes, tasks_before = tasks;
	bool is_id = op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7;
	bool pmu_reg = op0 == 3 && vpmu_is_pmu_reg(op1, crn, crm);

	for (u32 i = 0; i < 31; i++)
		regs->x[i] = xt ^ (0x1111111111111111ull * i);
	if (rt != 31)
		regs->x[rt] = xt;
	regs->elr = 0x40081000ull;
	regs->spsr = 0x3c5 | SPSR_SS;
	before = *regs;

	done = sysreg_emulate(vcpu, regs, iss);

	if (!done) {
		CHECK(!memcmp(regs, &before, sizeof(before)));
		return;
	}
	CHECK(regs->elr == before.elr + 4);
	if (op0 != 2)
		CHECK(regs->spsr == (before.spsr & ~SPSR_SS));
	for (u32 i = 0; i < 31; i++) {
		if (!(read && i == rt))
			CHECK(regs->x[i] == before.x[i]);
	}
	if (is_id) {
		CHECK(read);
		if (rt != 31)
			check_id(crm, op2, regs->x[rt]);
		CHECK(writes == writes_before);
	}
	if (pmu_reg && !pmuver) {
		CHECK(pmu_calls == pmu_before && writes == writes_before);
		if (read && rt != 31)
			CHECK(regs->x[rt] == 0);
	}
	if (sgi_calls != sgi_before) {
		CHECK(op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 == 5 && !read);
		CHECK(sgi_sender == vcpu->id && sgi_value == (rt == 31 ? 0 : xt));
	}
	if (tasks != tasks_before)
		CHECK(vcpu->arch.sw_tvm || tvm_was);   /* a flush only with the SCTLR trap on, or a toggle */
	if (writes != writes_before)
		CHECK(tvm_was && !read && op0 == 3 && op1 == 0);   /* EL1 writes only through the TVM trap */
	CHECK(vcpu->arch.sw_tvm == tvm_on);
}

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size < HEADER)
		return 0;
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	nregs = 0;
	tvm_calls = 0;
	tvm_on = false;
	vm.nvcpus = 2;
	vm.vcpus = vcpus;
	for (u32 i = 0; i < 2; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
	}
	pmuver = data[0] % 3 == 0 ? 0 : data[0] % 8;
	answers = le(data + 1, 3);
	id_seed = le(data + 4, 4);
	for (size_t off = HEADER; off + RECORD <= size; off += RECORD) {
		u32 iss = (u32)le(data + off, 4) & 0x1ffffff;

		/* only vCPU 0 does set/way here, so the TVM state is one vCPU's */
		one(&vcpus[0], iss, le(data + off + 4, 8));
	}
	return 0;
}
