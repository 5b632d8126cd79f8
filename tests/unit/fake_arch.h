/*
 * What the fake arch (fake_arch.c) records, and the knobs tests turn. Every
 * function of include/arch.h is implemented on the host with plain memory;
 * calls with effects worth asserting on are logged here.
 */
#ifndef BULKHEAD_TESTS_FAKE_ARCH_H
#define BULKHEAD_TESTS_FAKE_ARCH_H

#include <setjmp.h>

#include "arch.h"

#define FAKE_LOG_MAX 64

struct fake_range {
	const void *p;
	u64 size;
};

struct fake_s2_map {
	const struct arch_stage2 *s2;
	u16 vmid;
	u64 ipa;
	u64 pa;
	u64 size;
	enum s2_mem mem;
};

struct fake_arch {
	/* knobs */
	u32 cpu_index;
	u64 counter;            /* arch_counter_read returns it, then adds counter_step */
	u64 counter_step;
	u64 counter_freq;
	jmp_buf *system_off_jmp; /* arch_system_off longjmps here (value 1); abort() when NULL */
	bool fail_stage2_init;
	int fail_stage2_map_after; /* maps that succeed before the next fails; -1: never fail */
	bool fail_stage2_unmap;
	enum vcpu_next (*vcpu_run_hook)(struct vcpu *vcpu); /* arch_vcpu_run returns its result (none: VCPU_YIELD) */
	void (*idle_hook)(void); /* called by arch_idle: a test leaves a run loop from here */
	struct image_layout image; /* what arch_image_layout reports */
	/* what arch_boot_reserved reports: the firmware memory map's kept ranges */
	struct { u64 base, size; } boot_reserved[4];
	u32 nboot_reserved;
	bool boot_reserved_overflow;

	/* records */
	u32 wait_events, send_events, system_offs, smp_starts, icache_invalidates;
	u32 kicks, last_kick;   /* arch_kick_cpu (last_kick: either kind) */
	u32 irq_kicks;          /* arch_kick_cpu_irq */
	u32 mmu_inits;
	paddr_t mmu_image_base;
	u64 mmu_image_size;
	u32 dcache_cleans;      /* total calls; the first FAKE_LOG_MAX are kept */
	struct fake_range dcache[FAKE_LOG_MAX];
	u32 bulk_copies;        /* arch_copy_bulk calls, and the bytes they moved */
	u64 bulk_bytes;
	u32 scrubs;
	struct fake_range scrub[FAKE_LOG_MAX];
	u32 s2_inits, s2_destroys;
	u32 s2_maps;            /* successful arch_stage2_map calls; first FAKE_LOG_MAX kept */
	struct fake_s2_map s2_map[FAKE_LOG_MAX];
	u32 s2_unmaps;          /* successful arch_stage2_unmap calls; first FAKE_LOG_MAX kept */
	struct fake_s2_map s2_unmap[FAKE_LOG_MAX];
	u32 vcpu_runs;
	struct vcpu *last_run;
	u32 idles, interrupts_inits, debug_faults;
	u64 timer;              /* arch_set_timer's last value */
	/* interrupt lines (fake_board.c): arch_vm_set_line calls */
	u32 line_sets;
	struct vm *line_vm;     /* the last call's */
	u32 line;
	bool line_level[64];    /* each line's level as last set */
	void (*set_line_hook)(struct vm *vm, u32 line, bool level);
};

extern struct fake_arch fake;

/* Back to the defaults: all zero, counter_freq 62.5 MHz, no map failures. */
void fake_arch_reset(void);
/* True when [p, p+size) was covered by one arch_clean_dcache_range call. */
bool fake_dcache_cleaned(const void *p, u64 size);

/* The last device interrupt attached (arch_irq_attach): its number, handler and context. */
extern void (*fake_irq_handler)(void *ctx);
extern void *fake_irq_ctx;
extern u32 fake_irq_attached;

#endif
