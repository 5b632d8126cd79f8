/*
 * The op loop and its check: every op runs from a fresh random register
 * image, and afterwards every register it did not ask to change must hold
 * what it held before (all of them, when the op faulted: a faulting
 * instruction has no effect). The exception handler skips a faulting op;
 * any exception anywhere else is a finding.
 */
#include "guests/fuzz/fuzz.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"

#define MAX_REPORTS 20
#define FPCR_BITS ((1ull << 26) | (1ull << 25) | (1ull << 24) | (3ull << 22))
#define FPSR_BITS 0xf800009full
#define DAIF_ALL 0x3c0ull

struct frame {
	u64 x[31];
	u64 elr;
	u64 spsr;
	u64 pad;
};

static volatile u32 print_lock;
static volatile u32 reports;

void fuzz_lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		;
}

void fuzz_unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static struct fuzz_cpu *this_cpu(void)
{
	return &cpus[read_sysreg(mpidr_el1) & (FUZZ_MAX_CPUS - 1)];
}

void exception_entry(struct frame *f, u64 kind);

void exception_entry(struct frame *f, u64 kind)
{
	struct fuzz_cpu *c = this_cpu();
	u64 slot = (u64)c->slot;

	if (kind == 0 && f->elr == slot) {
		c->esr = read_sysreg(esr_el1);
		c->far = read_sysreg(far_el1);
		c->faulted = true;
		f->elr += 4;
		return;
	}
	/* Past the branch back: the op's trap returned too far. */
	if (kind == 0 && f->elr > slot + 4 && f->elr < slot + FUZZ_SLOT_WORDS * 4) {
		c->overran = true;
		c->esr = f->elr - slot;
		f->elr = (c->ops & 1) ? (u64)fuzz_back_odd : (u64)fuzz_back;
		return;
	}
	fuzz_lock();
	printk("\nFUZZ VIOLATION cpu %u: exception kind %lu outside an op: ESR=0x%lx FAR=0x%lx ELR=0x%lx\n",
	       c->index, kind, read_sysreg(esr_el1), read_sysreg(far_el1), f->elr);
	fuzz_unlock();
	power_off();
}

/* Prints the op's line up to the colon; false once enough were printed. */
static bool report_begin(struct fuzz_cpu *c, const struct op *op)
{
	c->violations++;
	if (__atomic_fetch_add(&reports, 1, __ATOMIC_RELAXED) >= MAX_REPORTS)
		return false;
	fuzz_lock();
	printk("\nFUZZ VIOLATION seed %lu cpu %u op %lu (%s 0x%lx) insn 0x%08x%s: ", fz.seed, c->index,
	       c->ops, op->what, op->target, op->insn, c->faulted ? " faulted" : "");
	return true;
}

static void report_end(void)
{
	printk("\n");
	fuzz_unlock();
}

static void changed(struct fuzz_cpu *c, const struct op *op, const char *reg, int n, u64 before, u64 after)
{
	if (!report_begin(c, op))
		return;
	printk(n >= 0 ? "%s%d" : "%s", reg, n);
	printk(" changed 0x%lx -> 0x%lx", before, after);
	report_end();
}

static void check(struct fuzz_cpu *c, const struct op *op)
{
	const struct regs *in = &c->in, *out = &c->out;
	u64 out_x = c->faulted ? 0 : op->out_x;
	u32 out_v = c->faulted ? 0 : op->out_v;

	if (c->overran && report_begin(c, op)) {
		printk("resumed %lu bytes past the op", c->esr);
		report_end();
	}
	/* What ran must be what the slot holds: its memory, and a fresh copy
	 * of it (the branch back alternates, so a stale one comes back the
	 * other way). */
	if (__atomic_load_n(&c->slot[0], __ATOMIC_RELAXED) != op->insn && report_begin(c, op)) {
		printk("the slot holds 0x%08x, not the op", c->slot[0]);
		report_end();
	}
	if (!c->overran && out->back != (c->ops & 1) && report_begin(c, op)) {
		printk("a stale copy of the previous op's slot ran (back the other way)");
		report_end();
	}
	for (int n = 0; n < 31; n++)
		if (!(out_x & OUT_X(n)) && in->x[n] != out->x[n])
			changed(c, op, "x", n, in->x[n], out->x[n]);
	for (int n = 0; n < 32; n++)
		if (!(out_v & (1u << n)) && (in->v[n][0] != out->v[n][0] || in->v[n][1] != out->v[n][1]))
			changed(c, op, "v(low half) ", n, in->v[n][0], out->v[n][0]);
	if (in->sp != out->sp)
		changed(c, op, "sp", -1, in->sp, out->sp);
	if (in->nzcv != out->nzcv)
		changed(c, op, "nzcv", -1, in->nzcv, out->nzcv);
	if (in->daif != out->daif)
		changed(c, op, "daif", -1, in->daif, out->daif);
	if (in->fpcr != out->fpcr)
		changed(c, op, "fpcr", -1, in->fpcr, out->fpcr);
	if (in->fpsr != out->fpsr)
		changed(c, op, "fpsr", -1, in->fpsr, out->fpsr);
}

static void cpu_on_wrong(struct fuzz_cpu *c, const struct op *op, const char *what, s64 r)
{
	if (report_begin(c, op)) {
		printk("CPU_ON %s returned %ld", what, r);
		report_end();
	}
}

/* The result of CPU_ON is the one call result the fuzzer can predict. */
static void check_cpu_on(struct fuzz_cpu *c, const struct op *op)
{
	s64 r = (s64)c->out.x[0];

	if (c->faulted || !op->cpu_on)
		return;
	if (!op->cpu_on_present && r != PSCI_INVALID_PARAMETERS)
		cpu_on_wrong(c, op, "of an absent vCPU", r);
	else if (op->cpu_on_bad_entry && r != PSCI_INVALID_ADDRESS && r != PSCI_ALREADY_ON)
		cpu_on_wrong(c, op, "at an entry outside RAM", r);
	else if (op->cpu_on_present && !op->cpu_on_bad_entry && r != PSCI_SUCCESS &&
		 r != PSCI_ALREADY_ON && r != PSCI_ON_PENDING)
		cpu_on_wrong(c, op, "of a present vCPU", r);
}

static void randomize(struct fuzz_cpu *c)
{
	for (u32 n = 0; n < 31; n++)
		c->in.x[n] = rng_value(&c->rng);
	for (u32 n = 0; n < 32; n++) {
		c->in.v[n][0] = rng_next(&c->rng);
		c->in.v[n][1] = rng_next(&c->rng);
	}
	c->in.sp = rng_next(&c->rng);
	c->in.nzcv = rng_next(&c->rng) & 0xf0000000ull;
	c->in.daif = DAIF_ALL;
	c->in.fpcr = rng_next(&c->rng) & FPCR_BITS;
	c->in.fpsr = rng_next(&c->rng) & FPSR_BITS;
}

/*
 * The op, then a branch back (to fuzz_back, or fuzz_back_odd for odd ops);
 * BRKs after it catch an overrun.
 */
static void load_slot(struct fuzz_cpu *c, u32 insn)
{
	u64 slot = (u64)c->slot;
	u64 way = (c->ops & 1) ? (u64)fuzz_back_odd : (u64)fuzz_back;
	s64 back = ((s64)way - (s64)(slot + 4)) / 4;

	c->slot[0] = insn;
	c->slot[1] = 0x14000000u | ((u32)back & 0x03ffffffu);
	for (u32 i = 2; i < FUZZ_SLOT_WORDS; i++)
		c->slot[i] = 0xd4200000u | i << 5;   /* BRK #i */
	asm volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" : : "r"(slot) : "memory");
}

void fuzz_run(struct fuzz_cpu *c, u64 count)
{
	struct op op;

	for (u64 i = 0; i < count; i++) {
		randomize(c);
		op_make(c, &op);
		load_slot(c, op.insn);
		if (c->ops >= fz.trace_from) {
			fuzz_lock();
			printk("\nfuzz: cpu %u op %lu (%s 0x%lx) insn 0x%08x x0=0x%lx x[rt]=0x%lx\n", c->index, c->ops, op.what,
			       op.target, op.insn, c->in.x[0], c->in.x[op.insn & 31]);
			fuzz_unlock();
		}
		c->faulted = false;
		c->overran = false;
		fuzz_exec(&c->in, &c->out, (u64)c->slot);
		if (c->faulted)
			c->faults++;
		check(c, &op);
		check_cpu_on(c, &op);
		c->ops++;
		if (c->index == 0 && count >= 10 && (i + 1) % (count / 10) == 0) {
			fuzz_lock();
			printk("\nfuzz: %lu/%lu ops\n", i + 1, count);
			fuzz_unlock();
		}
	}
}
