/* The board, as described by the device tree the firmware handed over. */
#ifndef BULKHEAD_CORE_PLATFORM_H
#define BULKHEAD_CORE_PLATFORM_H

#include "arch.h"
#include "types.h"
#include "lib/fdt.h"

#define PLATFORM_MAX_MEM 8
#define MAX_CPUS 8
/* /memreserve/ entries, /reserved-memory regions and what the UEFI memory
 * map keeps; a board with more is refused */
#define PLATFORM_MAX_RESERVED 64
#define PLATFORM_MAX_IRQ_CELLS 4
/* virtio-mmio transports recorded (QEMU virt has 32); more are reported, not used */
#define PLATFORM_MAX_VIRTIO_MMIO 32

struct mem_range {
	u64 base;
	u64 size;
};

/* A virtio-mmio transport: its window and its `interrupts` cells as the
 * tree writes them (the arch turns them into its interrupt number). */
struct virtio_mmio_slot {
	struct mem_range reg;
	u32 irq[PLATFORM_MAX_IRQ_CELLS];
	u32 irq_cells;
};

enum reserved_by { RESERVED_BY_DT, RESERVED_BY_UEFI };

struct reserved_range {
	u64 base;
	u64 size;
	/* not even mapped at EL2: secure-world memory, where a cacheable
	 * mapping invites speculative reads that the bus answers with SError */
	bool no_map;
	enum reserved_by by;
};

struct platform {
	struct fdt fdt;
	paddr_t dtb;
	struct mem_range mem[PLATFORM_MAX_MEM];
	u32 nmem;
	/* memory the firmware keeps (never wraps: base + size fits in 64 bits) */
	struct reserved_range reserved[PLATFORM_MAX_RESERVED];
	u32 nreserved;
	bool reserved_overflow;
	u64 cpu_hwid[MAX_CPUS];   /* each CPU's reg in the DT: what the arch names it by */
	u32 ncpus;
	u32 ncpus_in_dt;          /* more than MAX_CPUS are reported, not used */
	struct mem_range uart;    /* PL011 used for the console */
	/* its `interrupts`, in the interrupt controller's binding (the arch reads them) */
	u32 uart_irq[PLATFORM_MAX_IRQ_CELLS];
	u32 uart_irq_cells;       /* 0 when the tree names none */
	struct arch_platform arch; /* interrupt controller, timer, firmware interface */
	/* in device-tree order, which names the disks (vda, vdb...) */
	struct virtio_mmio_slot virtio_mmio[PLATFORM_MAX_VIRTIO_MMIO];
	u32 virtio_mmio_count;    /* recorded */
	u32 virtio_mmio_in_dt;    /* enabled nodes in the tree */
	const char *bootargs;     /* /chosen/bootargs: Bulkhead's own options, or NULL */
};

extern struct platform platform;

/* Fills `platform` from the DTB. Returns 0, or -1 with `why` set. */
int platform_parse(struct platform *p, const void *dtb, const char **why);

/* Records memory the firmware keeps; false (and reserved_overflow set) when full. */
bool platform_add_reserved(struct platform *p, u64 base, u64 size, bool no_map,
			   enum reserved_by by);

/*
 * The RAM the hypervisor may map: each bank, less the no-map reservations
 * rounded outward to pages. Calls `piece` for each run in address order,
 * with `mapped` false for the holes.
 */
typedef void (*ram_piece_fn)(u64 base, u64 size, bool mapped, void *ctx);
void platform_walk_ram(const struct platform *p, ram_piece_fn piece, void *ctx);

#endif
