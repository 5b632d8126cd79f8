/*
 * Pages of a running VM's RAM given back and given again (core/vm_ram.h).
 * Order matters for taking a page: the RAM table's chunk is split first
 * (the only step that needs memory, harmless if the rest fails), then stage
 * 2 stops mapping the page (no CPU can reach it when that returns), then the
 * table forgets it (no new device copy finds it); after the readers that
 * found it before are done, it is scrubbed and freed.
 */
#include "core/guest_ram.h"
#include "core/page_alloc.h"
#include "core/vm.h"
#include "core/vm_ram.h"

static bool page_of_ram(const struct vm *vm, u64 ipa)
{
	return is_aligned(ipa, PAGE_SIZE) && vm_ram_contains(vm, ipa_init(ipa), PAGE_SIZE);
}

/* Under the RAM lock: the page's host address once it is out of stage 2 and
 * of the table, else pa 0 with the reason counted. */
static paddr_t take_one(struct vm *vm, u64 ipa, struct vm_ram_reclaim *out)
{
	paddr_t pa;

	if (!page_of_ram(vm, ipa)) {
		out->outside++;
		return pa_init(0);
	}
	if (!guest_ram_lookup(&vm->ram, ipa, &pa)) {
		out->not_backed++;
		return pa_init(0);
	}
	if (guest_ram_split(&vm->ram, &hv_pages, ipa) ||
	    arch_stage2_unmap(&vm->s2, ipa_init(ipa), PAGE_SIZE)) {
		out->no_memory++;
		return pa_init(0);
	}
	return guest_ram_take(&vm->ram, ipa);
}

void vm_ram_reclaim(struct vm *vm, const u64 *ipa, u32 n, struct vm_ram_reclaim *out)
{
	paddr_t pa[VM_RAM_RECLAIM_MAX];
	u32 got = 0;

	if (n > VM_RAM_RECLAIM_MAX)
		n = VM_RAM_RECLAIM_MAX;
	spin_lock(&vm->ram_lock);
	for (u32 i = 0; i < n; i++) {
		pa[got] = take_one(vm, ipa[i], out);
		if (pa_addr(pa[got]))
			got++;
	}
	spin_unlock(&vm->ram_lock);
	if (!got)
		return;
	/* a device that looked a page up before it went may still be copying */
	guest_ram_readers_drain(&vm->ram);
	for (u32 i = 0; i < got; i++) {
		arch_scrub(pa_to_ptr(pa[i]), PAGE_SIZE);
		page_free(&hv_pages, pa[i], 1);
	}
	out->taken += got;
}

enum vm_ram_fill vm_ram_fill(struct vm *vm, u64 ipa)
{
	enum vm_ram_fill r = VM_RAM_FILLED;
	paddr_t pa;

	ipa &= ~(u64)(PAGE_SIZE - 1);
	if (!vm_ram_contains(vm, ipa_init(ipa), PAGE_SIZE))
		return VM_RAM_NOT_RAM;
	spin_lock(&vm->ram_lock);
	if (guest_ram_lookup(&vm->ram, ipa, &pa)) {
		r = VM_RAM_WAS_BACKED;
	} else {
		pa = guest_ram_fill(&vm->ram, &hv_pages, ipa);
		if (!pa_addr(pa)) {
			r = VM_RAM_NO_MEMORY;
		} else if (arch_stage2_map(&vm->s2, ipa_init(ipa), pa, PAGE_SIZE, S2_RAM)) {
			/* never mapped, so never seen by the guest; no device had it
			 * long enough to matter, but it is scrubbed all the same */
			guest_ram_take(&vm->ram, ipa);
			spin_unlock(&vm->ram_lock);
			guest_ram_readers_drain(&vm->ram);
			arch_scrub(pa_to_ptr(pa), PAGE_SIZE);
			page_free(&hv_pages, pa, 1);
			return VM_RAM_NO_MEMORY;
		}
	}
	spin_unlock(&vm->ram_lock);
	return r;
}

u64 vm_ram_current(const struct vm *vm)
{
	return __atomic_load_n(&vm->ram.pages, __ATOMIC_RELAXED) * PAGE_SIZE;
}

u64 vm_ram_refill(struct vm *vm)
{
	u64 missing = 0;

	for (u64 off = 0; vm->ram.pages * PAGE_SIZE < vm->ram.size && off < vm->ram.size;
	     off += PAGE_SIZE) {
		if (vm_ram_fill(vm, vm->ram.base + off) == VM_RAM_NO_MEMORY)
			missing++;
	}
	return missing;
}
