/*
 * What the ops aim at: every reg window of the device tree (except RAM and
 * the CPUs), and pages next to them and past RAM that nothing is mapped at.
 * All are mapped in stage 1, Device at their own address and Normal at
 * FUZZ_ALIAS above it, so that every access reaches stage 2 (a Device access
 * that is unaligned would fault at EL1, before the hypervisor saw it).
 */
#include "guests/fuzz/fuzz.h"
#include "lib/string.h"

static bool overlaps(u64 base, u64 size)
{
	for (u32 i = 0; i < fz.nr_targets; i++) {
		if (base < fz.t[i].base + fz.t[i].size && fz.t[i].base < base + size)
			return true;
	}
	return base < plat.ram_base + plat.ram_size && plat.ram_base < base + size;
}

static void add(u64 base, u64 size, bool unmapped, bool virtio, const char *name)
{
	struct target *t;

	if (fz.nr_targets >= FUZZ_MAX_TARGETS || !size || base >> 40)
		return;
	if (unmapped && overlaps(base, size))
		return;
	t = &fz.t[fz.nr_targets++];
	t->base = base;
	t->size = size;
	t->unmapped = unmapped;
	t->virtio = virtio;
	strlcpy(t->name, name, sizeof(t->name));
}

static void add_cpu(int node)
{
	u64 mpidr, size;

	if (fz.nr_cpus < FUZZ_MAX_CPUS && fdt_get_reg(&plat.fdt, node, 0, &mpidr, &size))
		fz.cpu_mpidr[fz.nr_cpus++] = mpidr;
}

static void add_windows(int node)
{
	const struct fdt *f = &plat.fdt;
	const char *type = fdt_prop_string(f, node, "device_type");
	bool virtio = fdt_is_compatible(f, node, "virtio,mmio");
	int n = fdt_reg_count(f, node);

	if (fdt_node_name_is(f, node, "memory") || (type && !strcmp(type, "memory")))
		return;
	if (type && !strcmp(type, "cpu")) {
		add_cpu(node);
		return;
	}
	for (int i = 0; i < n; i++) {
		u64 base, size;

		if (!fdt_get_reg(f, node, i, &base, &size))
			continue;
		if (fdt_is_compatible(f, node, "arm,gic-v3")) {
			if (i == 0)
				fz.gicd = base;
			if (i == 1)
				fz.gicr = base;
		}
		add(base, size, false, virtio, fdt_node_name(f, node));
	}
}

void targets_find(void)
{
	u32 windows;
	int depth = 0;

	for (int n = fdt_next_node(&plat.fdt, -1, &depth); n >= 0; n = fdt_next_node(&plat.fdt, n, &depth)) {
		if (depth > 0 && fdt_reg_count(&plat.fdt, n) > 0)
			add_windows(n);
	}
	/* The pages either side of each window, and past the end of RAM. */
	windows = fz.nr_targets;
	for (u32 i = 0; i < windows; i++) {
		u64 end = align_up(fz.t[i].base + fz.t[i].size, PAGE_SIZE);

		add(end, PAGE_SIZE, true, false, "after");
		if (fz.t[i].base >= PAGE_SIZE)
			add(align_down(fz.t[i].base, PAGE_SIZE) - PAGE_SIZE, PAGE_SIZE, true, false, "before");
	}
	add(fz.ram_end, 16 * PAGE_SIZE, true, false, "past-ram");
	add(0, PAGE_SIZE, true, false, "ipa-0");
	add(1ull << 39, PAGE_SIZE, true, false, "ipa-2^39");
}

/* A target that cannot be mapped (the table pool is small) is dropped. */
void targets_map(void)
{
	u32 kept = 0;

	for (u32 i = 0; i < fz.nr_targets; i++) {
		struct target *t = &fz.t[i];
		u64 size = align_up(t->size + (t->base & (PAGE_SIZE - 1)), PAGE_SIZE);

		if (mmu_map(t->base, size, MAP_DEVICE) ||
		    mmu_map_at(t->base + FUZZ_ALIAS, t->base, size, MAP_NORMAL)) {
			printk("fuzz: cannot map %s 0x%lx+0x%lx: not a target\n", t->name, t->base, t->size);
			continue;
		}
		fz.t[kept++] = *t;
	}
	fz.nr_targets = kept;
}
