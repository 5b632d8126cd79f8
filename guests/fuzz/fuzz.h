/* What the fuzz guest's parts share: the register image, targets and ops. */
#ifndef GUEST_FUZZ_FUZZ_H
#define GUEST_FUZZ_FUZZ_H

#include "guests/test/guest.h"

#define FUZZ_MAX_CPUS 4          /* smp.S has stacks for Aff0 1..3 */
#define FUZZ_MAX_TARGETS 48
#define FUZZ_ALIAS (1ull << 40)  /* Normal-memory alias of every target, for unaligned accesses */

/* Everything an op may not change unless it asks to; layout fixed for exec.S. */
struct regs {
	u64 x[31];
	u64 sp;                  /* SP_EL0: the op runs at EL1t */
	u64 nzcv;
	u64 daif;
	u64 fpcr;
	u64 fpsr;
	u64 v[32][2];
	u64 back;                /* out only: which way back the op took (exec.S) */
} __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct regs, v) == 288, "exec.S knows this layout");
_Static_assert(__builtin_offsetof(struct regs, back) == 800, "exec.S knows this layout");

/* Which registers an op asks to change. */
#define OUT_X(n) (1ull << (n))
#define OUT_X0_X3 0xfull
struct op {
	u32 insn;
	u64 out_x;               /* bit n: xn */
	u32 out_v;               /* bit n: vn */
	const char *what;
	u64 target;              /* the address an access aims at, for the report */
	bool cpu_on;             /* a PSCI CPU_ON: its result is checked too */
	bool cpu_on_bad_entry;   /* ... with an entry point outside RAM */
	bool cpu_on_present;
};

/* A window of the device tree, or a page nothing is mapped at. */
struct target {
	u64 base, size;
	bool unmapped;
	bool virtio;             /* queue addresses are steered into vring_scratch */
	char name[24];
};

#define FUZZ_SLOT_WORDS 16

struct fuzz_cpu {
	u32 *slot;               /* the op, then a branch back: on a page of its own (run.c) */
	struct regs in, out;
	u64 rng;
	volatile bool faulted, overran;
	volatile u64 esr, far;
	u64 ops, faults, calls, violations;
	u32 index;               /* MPIDR Aff0 */
};

struct fuzz {
	u64 seed, ops;
	struct target t[FUZZ_MAX_TARGETS];
	u32 nr_targets;
	u64 cpu_mpidr[FUZZ_MAX_CPUS];
	u32 nr_cpus;
	u64 gicd, gicr;          /* 0 when the DT names no GICv3 */
	u64 secondary_ops;
	u64 ram_end;
	u64 trace_from;           /* bootargs trace_from=N: print each op from op N on */
	bool selftest;            /* bootargs fuzz_selftest=1: the first op breaks the rule */
};

extern struct fuzz fz;
extern struct fuzz_cpu cpus[FUZZ_MAX_CPUS];
extern u8 vring_scratch[];
#define VRING_SCRATCH_SIZE (64 * 1024)

/* exec.S: runs cpu->slot with `in` loaded, stores what it left in `out`. */
void fuzz_exec(const struct regs *in, struct regs *out, u64 code);
extern char fuzz_back[], fuzz_back_odd[];
/* smp.S (shared with the test guest) */
void secondary_entry(u64 context);

/* rng.c */
u64 rng_next(u64 *state);
u64 rng_below(u64 *state, u64 n);
u64 rng_value(u64 *state);   /* random, with a bias to edge values */

/* ops.c: one random op for this CPU; its registers set in cpu->in */
void op_make(struct fuzz_cpu *cpu, struct op *op);
void wfi_safety_net(struct fuzz_cpu *cpu);

/* run.c */
void fuzz_run(struct fuzz_cpu *cpu, u64 count);
void fuzz_lock(void);
void fuzz_unlock(void);

/* targets.c */
void targets_find(void);
void targets_map(void);

#endif
