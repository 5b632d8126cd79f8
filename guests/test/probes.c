/*
 * Isolation probes: accesses to guest-physical addresses the VM was not
 * given. The guest maps each target in its own stage 1, so whatever happens
 * is stage 2's doing; the hypervisor must answer with a synchronous external
 * abort, never with data and never by letting a store land.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define HV_LOAD_IPA 0x40200000ull
#define RTC_IPA 0x09010000ull
#define VIRTIO_IPA 0x0a000000ull
#define FLASH_IPA 0x0ull
#define HIGH_IPA 0x7f00000000ull

static bool in_ram(u64 addr)
{
	return addr >= plat.ram_base && addr - plat.ram_base < plat.ram_size;
}

static void probe(const char *name, u64 addr, bool store)
{
	struct fault f;
	u32 val = 0;

	if (in_ram(addr)) {
		check_skip(name, "target is guest RAM");
		return;
	}
	if (mmu_map(addr, PAGE_SIZE, MAP_DEVICE)) {
		check_fail(name, "cannot map 0x%lx in stage 1", addr);
		return;
	}
	probe_begin();
	if (store)
		probe_write32(addr, 0x5a5aa5a5);
	else
		val = probe_read32(addr);
	f = probe_end();

	if (!f.taken) {
		if (store)
			check_fail(name, "store to 0x%lx completed", addr);
		else
			check_fail(name, "load from 0x%lx completed, read 0x%x", addr, val);
	} else if (ESR_EC(f.esr) != EC_DABT_CUR || ESR_FSC(f.esr) != FSC_SEA) {
		check_fail(name, "0x%lx: ESR=0x%lx (EC 0x%lx, FSC 0x%lx) FAR=0x%lx, "
			   "expected a synchronous external abort", addr, f.esr, ESR_EC(f.esr),
			   ESR_FSC(f.esr), f.far);
	} else if (!(f.esr & ESR_FNV) && f.far != addr) {
		check_fail(name, "FAR=0x%lx, expected 0x%lx", f.far, addr);
	} else {
		check_pass(name);
	}
}

void run_probes(void)
{
	u64 ram_end = plat.ram_base + plat.ram_size;

	if (!plat.has_memory) {
		check_fail("probe-after-ram", "RAM unknown");
		check_fail("probe-before-ram", "RAM unknown");
	} else {
		probe("probe-after-ram", ram_end, false);
		if (plat.ram_base < PAGE_SIZE)
			check_skip("probe-before-ram", "RAM starts below 4 KiB");
		else
			probe("probe-before-ram", plat.ram_base - PAGE_SIZE, false);
	}
	probe("probe-low-hv", HV_LOAD_IPA, false);
	probe("probe-rtc", RTC_IPA, false);
	probe("probe-virtio", VIRTIO_IPA, false);
	probe("probe-flash", FLASH_IPA, false);
	probe("probe-high", HIGH_IPA, false);
	if (plat.has_memory)
		probe("probe-store-after-ram", ram_end, true);
	else
		check_fail("probe-store-after-ram", "RAM unknown");
}
