/* What the test guest's parts share: boot facts and each part's entry points. */
#ifndef GUEST_TEST_GUEST_H
#define GUEST_TEST_GUEST_H

#include "types.h"
#include "lib/fdt.h"

struct platform {
	u64 entry_ticks;       /* CNTPCT_EL0 at the first instruction of start */
	bool no_hv;            /* started at EL2: nothing handles HVC below us */
	u64 dtb_addr;
	u32 dtb_size;          /* header totalsize; 0 when no header */
	bool fdt_ok;
	struct fdt fdt;
	bool has_memory;
	u64 ram_base, ram_size;
	u64 uart_base;         /* 0 when the DT named no PL011 */
	const char *bootargs;  /* NULL without /chosen/bootargs */
	bool psci_smc;         /* PSCI conduit from /psci "method" (default HVC) */
	char mode[32];
	char name[32];
	u32 ms;                /* bootargs ms=N: how long some modes run */
};

extern struct platform plat;

/* x0-x3 at the first instruction (head.S), for the entry-regs check. */
extern u64 entry_regs[4];

/* The image's own extent at run time, from the linker script. */
extern char _start[], _end[];

/* console.c */
void console_init(u64 base);
int console_getc(void);  /* a received byte, or -1 */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* dt.c */
void dt_parse(struct platform *p);
void bootargs_parse(struct platform *p);
/* The value of bootargs word KEY (e.g. "test="), or "" when absent. */
void find_word(const char *args, const char *key, char *out, size_t size);

/* mmu.c: identity (va == pa) unless mmu_map_at is used */
enum map_kind { MAP_NORMAL, MAP_DEVICE };
int mmu_map(u64 addr, u64 size, enum map_kind kind);
int mmu_map_at(u64 va, u64 pa, u64 size, enum map_kind kind);
void mmu_enable(void);

/* exception.c: a probe turns synchronous exceptions into a record */
struct fault {
	bool taken;
	u64 esr, far, elr;
};
void probe_begin(void);
struct fault probe_end(void);
/* A synchronous exception from EL1 goes to fn first; true: it was handled
 * (fn may move the return address and change the saved PSTATE). */
typedef bool (*debug_handler_fn)(u64 esr, u64 far, u64 *elr, u64 *spsr);
void set_debug_handler(debug_handler_fn fn);

/* The next probe's handler itself loads from addr (in a vector slot) and
 * faults; probe_handler_fault() says what that nested fault was. */
void probe_handler_load(u64 addr);
struct fault probe_handler_fault(void);
/* vectors.S: a load in a vector slot (VBAR + 0x80) and past the table (VBAR + 0x800) */
u32 slot_load(u64 addr);
u32 past_table_load(u64 addr);
extern char vectors[];

/* probe.S: one access each, so a fault skips exactly that instruction */
u32 probe_read32(u64 addr);
void probe_write32(u64 addr, u32 val);

/* power.c */
u64 psci_call(u32 fid, u64 a1, u64 a2, u64 a3);
void power_off(void) __attribute__((noreturn));
void halt(void) __attribute__((noreturn));

/* results.c */
void check_pass(const char *name);
void check_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_skip(const char *name, const char *why);
void finish(void) __attribute__((noreturn));

/* why.c: failure details accumulate; a check passes when nothing was added */
struct why {
	char buf[192];
	u32 len;
};
void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report(const char *name, const struct why *w);

/* timer.c */
u64 ticks_to_ns(u64 ticks);
void delay_ms(u64 ms);

/* button.c: the `button` mode */
void mode_button(void) __attribute__((noreturn));
/* console_modes.c: the console multiplexer seen from a guest */
void mode_flood(void) __attribute__((noreturn));
void mode_steady(void) __attribute__((noreturn));
void mode_prompt(void) __attribute__((noreturn));

/* checks.c, calls.c, probes.c, bench.c */
void run_checks(void);
void run_sysreg_checks(void);
void mode_setway(void) __attribute__((noreturn));
void check_ram_zeroed(void);
bool run_call_checks(void);
void run_probes(void);
void run_bench(bool hvc_works);
/* checks_debug.c: breakpoints, watchpoints, step, OS lock; the dbgshare mode */
void run_debug_checks(void);
void mode_dbgshare(void) __attribute__((noreturn));
/* debug_step.S: enters step_first with SPSR_EL1 = spsr by ERET; returns 6 */
u64 step_sequence(u64 spsr);
extern char step_first[], step_end[];
/* sme_checks.c */
void check_sme_undef(void);
void mode_tpidr2(void) __attribute__((noreturn));
/* sched_modes.c: neighbours that make Bulkhead work long for them */
void mode_setwayloop(void) __attribute__((noreturn));
void mode_resetloop(void) __attribute__((noreturn));
/* regs_private.c: the `regs` mode */
void mode_regs(void) __attribute__((noreturn));
/* exception.c: loads from addr with a handler that retries forever */
void fault_loop(u64 addr);
/* cross_vm.c: one VM fills its RAM, another sweeps for it */
void mode_fill(void) __attribute__((noreturn));
void mode_sweep(void) __attribute__((noreturn));
/* "0x" and up to 16 lower-case hex digits; *end is after them */
bool parse_hex(const char *s, const char **end, u64 *out);
/* virtio_hostile.c: malformed virtio-blk requests, each answered as the spec allows */
void mode_virtio_hostile(void) __attribute__((noreturn));
/* vnet_hostile.c: malformed virtio-net chains and frames, each answered as the spec allows */
void mode_vnet_hostile(void) __attribute__((noreturn));
/* balloon_hostile.c: a virtio-balloon driver that lies, then never answers */
void mode_balloon_hostile(void) __attribute__((noreturn));
/* blkbench.c: instructions per 4 KiB read from the first virtio-blk disk */
void mode_blkbench(void) __attribute__((noreturn));
/* vector_checks.c: faults inside and past the vector table, probe loops;
 * timer_stall.c: timer values near 2^64 */
void mode_vecfault(void) __attribute__((noreturn));
void mode_timerstall(void) __attribute__((noreturn));
/* checks_timers.c: the EL1 physical timer, both timers' interrupt levels */
void check_ptimer(void);
void mode_pmu(void) __attribute__((noreturn));
void mode_pmuleak(void) __attribute__((noreturn));
void check_timer_levels(void);
/* simd_keep.c: FP/SIMD registers and FPCR unchanged for ms= milliseconds */
void mode_simd_keep(void) __attribute__((noreturn));
/* sve_keep.c: SVE shown (or not) as the config says, registers kept */
void mode_sve_keep(void) __attribute__((noreturn));
/* main.c: the ways a guest ends that chaos.c picks from */
void mode_crash(void);
void mode_faultloop(void);
void mode_panic(void);
void mode_reset(void);
/* chaos.c: runs a while, then ends itself one of those ways (for the soak) */
void mode_chaos(void) __attribute__((noreturn));
/* sched_modes.c */
void mode_spin(void) __attribute__((noreturn));
void mode_latency(void) __attribute__((noreturn));

#endif
