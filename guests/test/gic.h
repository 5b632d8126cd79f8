/*
 * The test guest's GICv3 driver, interrupt dispatch and second-vCPU
 * plumbing, used by the `gic` mode (checks_gic.c).
 */
#ifndef GUEST_TEST_GIC_H
#define GUEST_TEST_GIC_H

#include "types.h"

#define SMP_MAX_CPUS 4

/* System-register access by encoding: the name is macro-expanded first. */
#define __gic_str1(x) #x
#define __gic_str(x) __gic_str1(x)
#define read_sysreg_s(r) ({ u64 __v; asm volatile("mrs %0, " __gic_str(r) : "=r"(__v)); __v; })
#define write_sysreg_s(r, v) asm volatile("msr " __gic_str(r) ", %0" : : "r"((u64)(v)) : "memory")

/* GIC CPU interface system registers, by encoding (no assembler support needed). */
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define ICC_BPR1_EL1    S3_0_C12_C12_3
#define ICC_CTLR_EL1    S3_0_C12_C12_4
#define ICC_SRE_EL1     S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1   S3_0_C12_C11_5

#define INTID_SPURIOUS  1020       /* 1020..1023 are special */
#define INTID_VTIMER    27
#define INTID_UART      33
#define NR_INTIDS       128        /* what the guest tracks; the model has 32 + 96 */

#define PRIO_DEFAULT    0xa0
#define PMR_DEFAULT     0xf0

/* ICC_SGI1R_EL1 fields */
#define SGI1R_INTID(n)  ((u64)(n) << 24)
#define SGI1R_IRM       (1ull << 40)

/* GICD_TYPER etc. as found in the device tree. */
struct gic_info {
	u64 gicd, gicd_size;
	u64 gicr, gicr_size;
	u32 nr_cpus;               /* /cpus/cpu@N nodes */
};

extern struct gic_info gic;

/* gic.c */
int gic_probe(void);                      /* DT lookup and stage-1 mapping; 0 or -1 */
const char *gic_dist_init(void);          /* NULL or what failed */
const char *gic_cpu_init(void);           /* this vCPU's redistributor and CPU interface */
u32 cpu_id(void);                         /* MPIDR_EL1.Aff0 */
u64 gic_rd(u32 cpu);                      /* RD_base of vCPU cpu's redistributor */
u64 gic_sgi_frame(u32 cpu);               /* its SGI_base */
void gic_set_private_prio(u32 cpu, u32 intid, u8 prio);
void gic_enable_private(u32 cpu, u32 intid, bool on);
void gic_send_sgi(u64 sgi1r);
void gic_sgi_to(u32 cpu, u32 intid);      /* cpu < 16, Aff1..3 = 0 */
void gic_enable_spi(u32 intid, bool edge); /* routed to vCPU 0; level when !edge */
/* MMIO as single plain loads and stores: a trapping hypervisor can only
 * emulate accesses that report a syndrome (no writeback, no pairs). */
static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
static inline u64 mmio_read64(u64 addr)
{
	u64 v;

	asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
static inline void mmio_write32(u64 addr, u32 v)
{
	asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
static inline void mmio_write64(u64 addr, u64 v)
{
	asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
static inline void mmio_write8(u64 addr, u8 v)
{
	asm volatile("strb %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

/* irq.c: every IRQ is counted per vCPU and INTID; vCPU 0 also logs the order. */
typedef void (*irq_handler)(u32 cpu, u32 intid);
void irq_entry(void);
void irq_set_handler(u32 intid, irq_handler fn);
u32 irq_count(u32 cpu, u32 intid);
void irq_log_reset(void);
u32 irq_log(u32 *out, u32 max);           /* INTIDs vCPU 0 took since the reset */
static inline void irq_enable(void) { asm volatile("msr daifclr, #2\n\tisb" : : : "memory"); }
static inline void irq_disable(void) { asm volatile("msr daifset, #2" : : : "memory"); }

/* timer.c-style helpers shared by the checks */
u64 now_ticks(void);
u64 ms_to_ticks(u64 ms);
bool wait_count(u32 cpu, u32 intid, u32 want, u64 timeout_ms);
static inline void wfe(void) { asm volatile("wfe" : : : "memory"); }
static inline void dmb_ish(void) { asm volatile("dmb ish" : : : "memory"); }
/* Another vCPU polls what we just wrote: publish it and wake a WFE. */
static inline void publish(void) { asm volatile("dsb ish\n\tsev" : : : "memory"); }
/*
 * Polls `cond` until it holds or `ms` milliseconds of CNTVCT pass; WFE in
 * between lets the hypervisor run another vCPU of this CPU. Evaluates to
 * whether `cond` held.
 */
#define WAIT_UNTIL(cond, ms) ({						\
	u64 __start = now_ticks(), __limit = ms_to_ticks(ms);		\
	bool __ok;							\
	for (;;) {							\
		if (cond) { __ok = true; break; }			\
		if (now_ticks() - __start > __limit) { __ok = (cond); break; } \
		wfe();							\
	}								\
	__ok;								\
})

/* smp.S / smp.c */
void secondary_entry(u64 context);
void smp_prepare(void);                   /* before the first CPU_ON */
s64 smp_cpu_on(u64 mpidr, u64 entry, u64 context);
s64 smp_affinity_info(u64 mpidr);

/* What a secondary vCPU reports; written by it, read by vCPU 0. */
struct secondary_state {
	volatile u32 online;       /* incremented at each start */
	volatile u64 context;      /* x0 at entry */
	volatile u64 mpidr;
	volatile const char *init_error;
	/* Mailbox: vCPU 0 posts a command, the secondary runs it. */
	volatile u32 seq, done;
	volatile u32 cmd;
	volatile u64 arg;
	volatile u64 result;
	/* wfi check */
	volatile u64 sgi_at;       /* CNTVCT when the wake-up SGI was handled */
	volatile u32 wfi_returns;
	volatile u32 wfi_entered;
	volatile u32 timer_fallbacks;
};

enum secondary_cmd {
	CMD_NOP,
	CMD_SEND_SGI,              /* arg = ICC_SGI1R_EL1 value */
	CMD_WFI,                   /* WFI with IRQs unmasked until SGI_WAKE */
	CMD_CPU_OFF,               /* PSCI CPU_OFF; result only if it returns */
};

extern struct secondary_state sec;
/* How far the secondary got: 1 stack, 2 MMU on, 3 in C, 4 GIC set up (0: never ran). */
extern volatile u32 secondary_stage;
/* Posts a command to vCPU 1 (kicking it with an SGI) and waits for it to be taken. */
bool smp_command(enum secondary_cmd cmd, u64 arg, u64 timeout_ms);

/* SGIs the checks use, by purpose. */
#define SGI_KICK      0   /* mailbox doorbell to vCPU 1 */
#define SGI_PING      1   /* vCPU 0 -> 1 ... */
#define SGI_PONG      2   /* ... and the reply 1 -> 0 */
#define SGI_PRIO_LOW  3
#define SGI_PRIO_HIGH 4
#define SGI_DISABLED  5
#define SGI_PMR       6
#define SGI_BCAST     7
#define SGI_BENCH     8
#define SGI_BENCH_ACK 9
#define SGI_WAKE      10
#define SGI_IMASK     11
#define SGI_NOWHERE   12

/* checks_gic.c */
void mode_gic(void) __attribute__((noreturn));
void mode_gic_bench(void) __attribute__((noreturn));
/* checks_gic_delivery.c */
void check_wfi_blocks(void);
void check_lr_overflow(void);
/* smp.c: the secondary's C entry */
void secondary_main(u64 context) __attribute__((noreturn));

#endif
