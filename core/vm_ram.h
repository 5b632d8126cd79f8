/*
 * A running VM's RAM changing page by page: pages the guest gives back (the
 * balloon: out of its stage 2 with the TLBs invalidated, out of its RAM
 * table, waited for by any device copying, scrubbed, counted free) and pages
 * it gets again (the balloon deflating, or its touch of a page it gave
 * away: a fresh, zeroed page while the pool has one, else the abort real
 * hardware gives for memory that is not there).
 *
 * The VM's RAM lock serializes these changes with each other; lookups by
 * devices take no lock (core/guest_ram.h says how they stay safe). The VM
 * never holds more than its maxmem: its RAM table has one entry per page of
 * it, and a page is filled only where none is.
 */
#ifndef BULKHEAD_CORE_VM_RAM_H
#define BULKHEAD_CORE_VM_RAM_H

#include "types.h"

struct vm;

/* What became of the pages a guest offered back (added to by each call). */
struct vm_ram_reclaim {
	u64 taken;        /* unmapped, scrubbed and freed to the pool */
	u64 outside;      /* not a page of the VM's RAM (or not page-aligned) */
	u64 not_backed;   /* already given back: the same page twice */
	u64 no_memory;    /* kept: no page for the tables that taking it needs */
};

/* The most pages one call takes: a balloon's batch. */
#define VM_RAM_RECLAIM_MAX 256

/* Takes back the pages at `ipa[0..n)` (n <= VM_RAM_RECLAIM_MAX) from a
 * running VM. Waits (briefly) for devices copying into them: not from inside
 * a guest_mem_hold. */
void vm_ram_reclaim(struct vm *vm, const u64 *ipa, u32 n, struct vm_ram_reclaim *out);

enum vm_ram_fill {
	VM_RAM_FILLED,      /* a fresh zeroed page is there now */
	VM_RAM_WAS_BACKED,  /* a page was there already (or arrived meanwhile) */
	VM_RAM_NOT_RAM,     /* not a page of the VM's RAM */
	VM_RAM_NO_MEMORY,   /* the pool has no page (or none for a table) */
};

/* Gives the VM a page at `ipa` if it has none: the balloon's deflate, and a
 * stage-2 fault on RAM (trap context: bounded, one page's scrub). */
enum vm_ram_fill vm_ram_fill(struct vm *vm, u64 ipa);

/* Fills every page the VM gave back (a restart, no vCPU running); returns
 * how many the pool could not give. */
u64 vm_ram_refill(struct vm *vm);

/* Bytes of RAM the VM holds now (at most its maxmem). */
u64 vm_ram_current(const struct vm *vm);

#endif
