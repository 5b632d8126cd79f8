/*
 * VMSAv8-64 translation tables with the 4 KiB granule, shared by the EL2
 * stage-1 tables and every VM's stage-2 tables. Tables hold physical
 * addresses; the hypervisor's identity mapping lets them be used as pointers.
 * Pure C with no system-register access, so the host unit tests run it.
 */
#ifndef BULKHEAD_ARM64_PGTABLE_H
#define BULKHEAD_ARM64_PGTABLE_H

#include "types.h"

/* Descriptor bits common to both stages. */
#define PTE_VALID      (1ull << 0)
#define PTE_TABLE      (1ull << 1)  /* levels 0-2: table; level 3: page */
#define PTE_SH_INNER   (3ull << 8)
#define PTE_AF         (1ull << 10)
#define PTE_ADDR_MASK  0x0000fffffffff000ull

/* EL2 stage-1 attributes. */
#define S1_ATTR_IDX(n) ((u64)(n) << 2)
#define S1_AP_RES1     (1ull << 6)  /* AP[1] is RES1 in the EL2 regime */
#define S1_AP_RO       (1ull << 7)
#define S1_XN          (1ull << 54)
#define MAIR_IDX_NORMAL 0
#define MAIR_IDX_DEVICE 1

/* Stage-2 attributes. */
#define S2_MEMATTR_NORMAL_WB (0xfull << 2)
#define S2_MEMATTR_DEVICE    (0x1ull << 2)
#define S2_AP_R        (1ull << 6)
#define S2_AP_W        (1ull << 7)
#define S2_XN          (2ull << 53)

struct pgtable {
	u64 *root;
	int start_level;   /* 0 (48-bit VA) or 1 (39-bit IPA) */
	/* Returns a zeroed, page-aligned table page, or NULL. */
	u64 *(*alloc_table)(void *ctx);
	void (*free_table)(void *ctx, u64 *table);
	/*
	 * Tables in use by a running CPU (a live VM's stage 2): called after a
	 * valid entry for the `span` bytes at `va` was cleared (`table`: it
	 * pointed to a table, whose leaves may be cached too) and before
	 * anything replaces it or its table is freed, to invalidate the TLBs
	 * (the Arm ARM's break-before-make). NULL: tables not in use yet.
	 */
	void (*break_entry)(void *ctx, u64 va, u64 span, bool table);
	void *ctx;
};

/* Maps [va, va+size) to pa with `attrs` (all page-aligned). Uses 1 GiB and
 * 2 MiB blocks where alignment allows and splits existing blocks when a
 * mapping changes part of one. Returns 0, or -1 when a table could not be
 * allocated (the tables stay consistent: what was mapped stays mapped). */
int pt_map(struct pgtable *pt, u64 va, u64 pa, u64 size, u64 attrs);
/* Removes mappings in [va, va+size), freeing tables that become empty. */
int pt_unmap(struct pgtable *pt, u64 va, u64 size);
/* Looks up one address: true with its output address and attributes. */
bool pt_lookup(const struct pgtable *pt, u64 va, u64 *pa, u64 *attrs);
/* Frees every table below the root (not the root, not the mapped memory). */
void pt_free_tables(struct pgtable *pt);

#endif
