/* Stage-2 translation: each VM's IPA space, 39 bits from a level-1 table. */
#include "arch.h"
#include "core/page_alloc.h"
#include "pgtable.h"
#include "sysregs.h"

#define S2_START_LEVEL 1
#define VTTBR_VMID_SHIFT 48

static const u64 s2_ram = S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_AF | S2_AP_R | S2_AP_W;
static const u64 s2_rom = S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_AF | S2_AP_R;

static u64 *s2_alloc_table(void *ctx)
{
	paddr_t pa = page_alloc_zeroed();

	return pa_addr(pa) ? pa_to_ptr(pa) : NULL;
}

static void s2_free_table(void *ctx, u64 *table)
{
	page_free(&hv_pages, ptr_to_pa(table), 1);
}

static void flush_vmid(const struct arch_stage2 *s2);
static void s2_break_entry(void *ctx, u64 ipa, u64 span, bool table);

static struct pgtable s2_pgtable(struct arch_stage2 *s2)
{
	struct pgtable pt = {
		.root = pa_to_ptr(s2->root),
		.start_level = S2_START_LEVEL,
		.alloc_table = s2_alloc_table,
		.free_table = s2_free_table,
		.break_entry = s2_break_entry,
		.ctx = s2,
	};

	return pt;
}

int arch_stage2_init(struct arch_stage2 *s2, u16 vmid)
{
	s2->root = page_alloc_zeroed();
	s2->vmid = vmid;
	return pa_addr(s2->root) ? 0 : -1;
}

int arch_stage2_map(struct arch_stage2 *s2, ipaddr_t ipa, paddr_t pa, u64 size, enum s2_mem mem)
{
	struct pgtable pt = s2_pgtable(s2);

	return pt_map(&pt, ipa_addr(ipa), pa_addr(pa), size, mem == S2_ROM ? s2_rom : s2_ram);
}

u64 arm64_vttbr(const struct arch_stage2 *s2)
{
	return pa_addr(s2->root) | ((u64)s2->vmid << VTTBR_VMID_SHIFT);
}

/* Drops every TLB entry tagged with this VM's VMID, on all CPUs. */
static void flush_vmid(const struct arch_stage2 *s2)
{
	u64 saved = read_vttbr_el2();

	write_vttbr_el2(arm64_vttbr(s2));
	isb();
	tlbi_vmalls12e1is();
	write_vttbr_el2(saved);
	isb();
}

/*
 * An entry of the VM's live stage 2 was cleared: its TLB entries go on every
 * CPU before anything takes its place. TLBI by IPA acts on the VMID in
 * VTTBR_EL2, so that is the VM's for the moment (interrupts are masked in
 * the hypervisor; the running vCPU's is put back). A cleared table may have
 * had any of its leaves cached: the whole VMID goes then, unless it held at
 * most one 2 MiB block's worth, which one IPA-based invalidation covers only
 * for a block (a table's leaves were each invalidated when they went).
 */
static void s2_break_entry(void *ctx, u64 ipa, u64 span, bool table)
{
	const struct arch_stage2 *s2 = ctx;
	u64 saved;

	if (table && span > PAGE_SIZE * 512) {
		flush_vmid(s2);
		return;
	}
	saved = read_vttbr_el2();
	write_vttbr_el2(arm64_vttbr(s2));
	isb();
	tlbi_ipas2e1is(ipa);
	write_vttbr_el2(saved);
	isb();
}

int arch_stage2_unmap(struct arch_stage2 *s2, ipaddr_t ipa, u64 size)
{
	struct pgtable pt = s2_pgtable(s2);

	return pt_unmap(&pt, ipa_addr(ipa), size);
}

void arch_stage2_destroy(struct arch_stage2 *s2)
{
	struct pgtable pt = s2_pgtable(s2);

	if (!pa_addr(s2->root))
		return;
	flush_vmid(s2);
	pt_free_tables(&pt);
	page_free(&hv_pages, s2->root, 1);
	s2->root = pa_init(0);
}
