/*
 * Stage-1 translation: 4 KiB granule, 48-bit VA, four levels from TTBR0.
 * Mappings use the largest block that fits so that a large RAM costs few
 * tables. Tables come from a fixed pool inside the image, so the guest never
 * touches RAM it has not declared in its header.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define PT_POOL_PAGES 32
#define PT_ENTRIES 512
#define DESC_VALID (1ull << 0)
#define DESC_TABLE (1ull << 1)  /* also "page" at level 3 */
#define DESC_ATTR(i) ((u64)(i) << 2)
#define DESC_SH_INNER (3ull << 8)
#define DESC_AF (1ull << 10)
#define DESC_PXN (1ull << 53)
#define DESC_UXN (1ull << 54)
#define DESC_ADDR_MASK 0x0000fffffffff000ull

/* MAIR slots: 0 Device-nGnRE, 1 Normal write-back read/write-allocate. */
#define MAIR_VALUE 0xff04ull
#define ATTR_DEVICE 0
#define ATTR_NORMAL 1

#define TCR_T0SZ(bits) ((u64)(64 - (bits)))
#define TCR_IRGN0_WB (1ull << 8)
#define TCR_ORGN0_WB (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_T1SZ(bits) ((u64)(64 - (bits)) << 16)
#define TCR_EPD1 (1ull << 23)
#define TCR_IPS_SHIFT 32

static u64 pool[PT_POOL_PAGES][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned int pool_used;
static bool enabled;

static u64 *new_table(void)
{
	if (pool_used >= PT_POOL_PAGES)
		return NULL;
	return pool[pool_used++];
}

static u64 leaf_attrs(enum map_kind kind)
{
	if (kind == MAP_DEVICE)
		return DESC_ATTR(ATTR_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN;
	return DESC_ATTR(ATTR_NORMAL) | DESC_SH_INNER | DESC_AF | DESC_UXN;
}

int mmu_map_at(u64 va, u64 pa, u64 size, enum map_kind kind)
{
	u64 attrs = leaf_attrs(kind);

	if (!pool_used && !new_table())
		return -1;
	va = align_down(va, PAGE_SIZE);
	pa = align_down(pa, PAGE_SIZE);
	size = align_up(size, PAGE_SIZE);
	if (va >> 48 || pa >> 48)
		return -1;
	while (size) {
		u64 *table = pool[0];

		for (int level = 0;; level++) {
			int shift = 39 - 9 * level;
			u64 block = 1ull << shift;
			u64 *e = &table[(va >> shift) & (PT_ENTRIES - 1)];

			/* Level 0 cannot hold a block with 4 KiB granules. */
			if (level == 3 || (level > 0 && is_aligned(va | pa, block) && size >= block)) {
				u64 desc = pa | attrs | DESC_VALID | (level == 3 ? DESC_TABLE : 0);

				if ((*e & DESC_VALID) && *e != desc)
					return -1;
				*e = desc;
				va += block;
				pa += block;
				size -= block;
				break;
			}
			if (!(*e & DESC_VALID)) {
				u64 *next = new_table();

				if (!next)
					return -1;
				*e = (u64)next | DESC_TABLE | DESC_VALID;
			} else if (!(*e & DESC_TABLE)) {
				return -1;  /* already inside a block: would need splitting */
			}
			table = (u64 *)(*e & DESC_ADDR_MASK);
		}
	}
	if (enabled) {
		/* Only invalid entries were filled, so no TLB entry can be stale. */
		dsb_ishst();
		isb();
	}
	return 0;
}

int mmu_map(u64 addr, u64 size, enum map_kind kind)
{
	return mmu_map_at(addr, addr, size, kind);
}

/*
 * Drops [start, end) from the data caches. The tables, bss and stack were
 * written with the MMU off, straight to memory; a stale line for them (left
 * by whoever loaded us) would otherwise win once caches are on. Clean as well
 * as invalidate: if stage 2 forced our MMU-off writes cacheable (S2FWB), the
 * only copy is in the cache.
 */
static void dcache_flush(u64 start, u64 end)
{
	u64 line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (u64 a = align_down(start, line); a < end; a += line)
		asm volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb_sy();
}

void mmu_enable(void)
{
	u64 parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	u64 tcr = TCR_T0SZ(48) | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_INNER | TCR_T1SZ(48) | TCR_EPD1 |
		  ((parange > 5 ? 5 : parange) << TCR_IPS_SHIFT);

	dcache_flush((u64)_start, (u64)_end);
	write_sysreg(mair_el1, MAIR_VALUE);
	write_sysreg(tcr_el1, tcr);
	write_sysreg(ttbr0_el1, (u64)pool[0]);
	isb();
	asm volatile("tlbi vmalle1\n\tdsb nsh\n\tic iallu\n\tdsb nsh\n\tisb" : : : "memory");
	write_sysreg(sctlr_el1, SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA);
	isb();
	enabled = true;
}
