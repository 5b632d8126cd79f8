/* The board, as described by the device tree the firmware handed over. */
#ifndef BULKHEAD_CORE_PLATFORM_H
#define BULKHEAD_CORE_PLATFORM_H

#include "types.h"
#include "lib/fdt.h"

#define PLATFORM_MAX_MEM 8
#define MAX_CPUS 8
/* /memreserve/ entries and /reserved-memory regions; a tree with more is refused */
#define PLATFORM_MAX_RESERVED 32

struct mem_range {
	u64 base;
	u64 size;
};

enum psci_conduit { PSCI_CONDUIT_NONE, PSCI_CONDUIT_SMC, PSCI_CONDUIT_HVC };

struct platform {
	struct fdt fdt;
	paddr_t dtb;
	struct mem_range mem[PLATFORM_MAX_MEM];
	u32 nmem;
	/* memory the firmware keeps (never wraps: base + size fits in 64 bits) */
	struct mem_range reserved[PLATFORM_MAX_RESERVED];
	u32 nreserved;
	bool reserved_overflow;
	u64 cpu_mpidr[MAX_CPUS];
	u32 ncpus;
	u32 ncpus_in_dt;          /* more than MAX_CPUS are reported, not used */
	enum psci_conduit psci;
	struct mem_range uart;    /* PL011 used for the console */
	u32 uart_intid;           /* its interrupt (an SPI), 0 when the tree names none */
	struct mem_range gicd, gicr;
	u32 gic_version;
	u32 timer_ppi_hyp;        /* EL2 physical timer PPI, as an INTID */
	u32 timer_ppi_virt;
	u32 virtio_mmio_count;
	const char *bootargs;     /* /chosen/bootargs: Bulkhead's own options, or NULL */
};

extern struct platform platform;

/* Fills `platform` from the DTB. Returns 0, or -1 with `why` set. */
int platform_parse(struct platform *p, const void *dtb, const char **why);

#endif
