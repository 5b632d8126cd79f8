/*
 * The hypervisor's own EL2 stage-1 mapping: the identity over RAM and the few
 * devices Bulkhead drives. W^X: text is read-only and executable, rodata is
 * read-only, everything else (data, stacks, RAM) is writable and never
 * executable; SCTLR_EL2.WXN enforces it in hardware as well. Where the CPU
 * has BTI the text is guarded: an indirect branch must land on a landing
 * pad. The guard page below each CPU's stack is left out (hv_stack.h).
 */
#include "arch.h"
#include "cfi.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "hv_stack.h"
#include "percpu.h"
#include "pgtable.h"
#include "sysregs.h"

extern char _start_image[], _text_end[], _rodata_end[], _end[];

void arch_image_layout(struct image_layout *layout)
{
	layout->start = (u64)(uintptr_t)_start_image;
	layout->text_end = (u64)(uintptr_t)_text_end;
	layout->rodata_end = (u64)(uintptr_t)_rodata_end;
	layout->end = (u64)(uintptr_t)_end;
}

#define MAIR_VALUE ((0xffull << (8 * MAIR_IDX_NORMAL)) | (0x04ull << (8 * MAIR_IDX_DEVICE)))

#define TCR_IRGN0_WB  (1ull << 8)
#define TCR_ORGN0_WB  (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_PS_SHIFT  16
#define TCR_EL2_RES1  ((1ull << 23) | (1ull << 31))

#define SCTLR_M   (1ull << 0)
#define SCTLR_C   (1ull << 2)
#define SCTLR_SA  (1ull << 3)
#define SCTLR_I   (1ull << 12)
#define SCTLR_WXN (1ull << 19)
#define SCTLR_EL2_RES1 0x30c50830ull

#define S1_GP (1ull << 50)  /* guarded page (FEAT_BTI; RES0 without it) */

static const u64 attr_normal = S1_ATTR_IDX(MAIR_IDX_NORMAL) | PTE_SH_INNER | PTE_AF | S1_AP_RES1;
static const u64 attr_device = S1_ATTR_IDX(MAIR_IDX_DEVICE) | PTE_AF | S1_AP_RES1 | S1_XN;

static struct pgtable hv_pt;

static u64 *hv_alloc_table(void *ctx)
{
	paddr_t pa = page_alloc_zeroed();

	return pa_addr(pa) ? pa_to_ptr(pa) : NULL;
}

static void hv_free_table(void *ctx, u64 *table)
{
	page_free(&hv_pages, ptr_to_pa(table), 1);
}

static void map_or_panic(u64 base, u64 size, u64 attrs, const char *what)
{
	u64 start = align_down(base, PAGE_SIZE);
	u64 end = align_up(base + size, PAGE_SIZE);

	if (pt_map(&hv_pt, start, start, end - start, attrs))
		panic("cannot map %s at 0x%llx: out of memory for page tables",
		      what, (unsigned long long)base);
}

/* RAM is mapped piece by piece around the no-map holes; each hole is logged
 * here, where it is decided, so the boot log shows what the MMU really has. */
static void map_ram_piece(u64 base, u64 size, bool mapped, void *ctx)
{
	if (mapped)
		map_or_panic(base, size, attr_normal | S1_XN, "RAM");
	else
		hv_info("RAM 0x%llx-0x%llx not mapped (no-map)", (unsigned long long)base,
			(unsigned long long)(base + size));
}

/* Before the MMU is on, so no live mapping is split under a running CPU. */
static void unmap_stack_guards(void)
{
	for (u32 cpu = 0; cpu < MAX_CPUS; cpu++)
		if (pt_unmap(&hv_pt, hv_guard_page(cpu), HV_GUARD_SIZE))
			panic("cannot unmap the stack guard page of cpu %u", cpu);
}

static void log_cfi(void)
{
	u32 seed = arm64_cfi_seed_sources();

	hv_info("control flow: return addresses %s, BTI %s, stack canary and stack guard pages; "
		"key and canary seeded from %s%s%s%s",
		arm64_cpu_has_pauth() ? "signed (PAuth)" : "unsigned (no PAuth)",
		arm64_cpu_has_bti() ? "on" : "off (no BTI)",
		seed & CFI_SEED_RNDR ? "RNDR " : "", seed & CFI_SEED_RNG_SEED ? "rng-seed " : "",
		seed & CFI_SEED_KASLR_SEED ? "kaslr-seed " : "",
		seed ? "and the counter" : "the counter only (no RNDR, no seed in /chosen)");
}

void arch_mmu_init(paddr_t image_base, u64 image_mem_size)
{
	u64 text = (u64)(uintptr_t)_start_image;
	u64 text_end = (u64)(uintptr_t)_text_end;
	u64 ro_end = (u64)(uintptr_t)_rodata_end;
	u64 end = (u64)(uintptr_t)_end;

	hv_pt.root = hv_alloc_table(NULL);
	hv_pt.start_level = 0;
	hv_pt.alloc_table = hv_alloc_table;
	hv_pt.free_table = hv_free_table;
	if (!hv_pt.root)
		panic("no memory for the EL2 page tables");
	platform_walk_ram(&platform, map_ram_piece, NULL);
	map_or_panic(text, text_end - text,
		     attr_normal | S1_AP_RO | (arm64_cpu_has_bti() ? S1_GP : 0), "hypervisor text");
	map_or_panic(text_end, ro_end - text_end, attr_normal | S1_AP_RO | S1_XN, "hypervisor rodata");
	if (image_mem_size > end - text)
		map_or_panic(end, pa_addr(image_base) + image_mem_size - end, attr_normal | S1_AP_RO | S1_XN,
			     "VM package");
	map_or_panic(platform.uart.base, platform.uart.size, attr_device, "UART");
	if (platform.arch.gicd_size)
		map_or_panic(platform.arch.gicd_base, platform.arch.gicd_size, attr_device,
			     "GIC distributor");
	if (platform.arch.gicr_size)
		map_or_panic(platform.arch.gicr_base, platform.arch.gicr_size, attr_device,
			     "GIC redistributors");
	/* the transports of the disks Bulkhead drives (several share a page:
	 * mapping one again writes the same entry, before the MMU is on) */
	for (u32 i = 0; i < platform.virtio_mmio_count; i++)
		map_or_panic(platform.virtio_mmio[i].reg.base, platform.virtio_mmio[i].reg.size,
			     attr_device, "virtio-mmio transport");
	unmap_stack_guards();
	log_cfi();
	arm64_mmu_enable();
}

/* 48-bit VA (T0SZ 16), no top-byte ignore: a signature takes bits 48-63. */
u64 arm64_tcr_el2(void)
{
	return 16 | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_INNER |
	       (pa_range_field() << TCR_PS_SHIFT) | TCR_EL2_RES1;
}

void arm64_mmu_enable(void)
{
	write_mair_el2(MAIR_VALUE);
	write_tcr_el2(arm64_tcr_el2());
	write_ttbr0_el2((u64)(uintptr_t)hv_pt.root);
	dsb_sy();
	tlbi_alle2();
	write_sctlr_el2(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN |
			arm64_sctlr_el2_cfi());
	isb();
	ic_iallu();
}
