/*
 * The shell's memory commands: the balloon target (`mem-set`, as xl), what a
 * VM holds (`info VM`), and the machine as a whole (`info`, as `xl info`).
 */
#include "core/cpu.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/shell.h"
#include "core/vm.h"
#include "core/vm_ram.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

/* The virtio tags of the stats a guest sends (5.5.6.3), by name. */
static const char *const stat_names[VM_BALLOON_STATS] = {
	"swap-in", "swap-out", "major-faults", "minor-faults", "free", "total",
	"available", "caches", "hugetlb-allocs", "hugetlb-failures",
	"oom-kills", "alloc-stalls", "async-scans", "direct-scans", "async-reclaims",
	"direct-reclaims",
};

void shell_mem_set(const char *name, const char *size)
{
	struct vm *vm;
	const char *why;
	u64 mib;

	if (!name || !size) {
		say("mem-set: usage: mem-set VM SIZE (SIZE in MiB, or with k, m or g)");
		return;
	}
	vm = vm_get_by_name_or_id(name);
	if (!vm) {
		say("mem-set: no VM '%s' (see list)", name);
		return;
	}
	mib = shell_parse_mib(size);
	if (!mib || mib > vm->cfg.maxmem_mib)
		say("mem-set %s: '%s' is not a size from 1 MiB to its maxmem (%llu MiB)", name, size,
		    (unsigned long long)vm->cfg.maxmem_mib);
	else if (!vm->balloon.dev)
		say("mem-set %s: it has no balloon (its maxmem is its memory)", name);
	else if (vm->balloon.set_target(vm->balloon.dev, mib * MiB, &why))
		say("mem-set %s: %s", name, why);
	else
		say("vm %u '%s': target %llu MiB (maxmem %llu MiB, holds %llu MiB now)", vm->id,
		    vm->cfg.name, (unsigned long long)mib, (unsigned long long)vm->cfg.maxmem_mib,
		    (unsigned long long)(vm_ram_current(vm) / MiB));
	vm_put(vm);
}

void shell_vm_memory(struct vm *vm)
{
	struct vm_balloon_status st;

	say("  memory: current %llu KiB, maxmem %llu MiB; faults on given-back pages: %llu filled, "
	    "%llu aborted", (unsigned long long)(vm_ram_current(vm) / KiB),
	    (unsigned long long)vm->cfg.maxmem_mib,
	    (unsigned long long)__atomic_load_n(&vm->ram_faults_filled, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&vm->ram_faults_refused, __ATOMIC_RELAXED));
	if (!vm->balloon.dev)
		return;
	vm->balloon.status(vm->balloon.dev, &st);
	say("  balloon: target %llu KiB, guest holds %llu KiB in it; pages inflated %llu, "
	    "deflated %llu, reported %llu, refused %llu; stats updates %llu",
	    (unsigned long long)(st.target / KiB), (unsigned long long)(st.guest_held / KiB),
	    (unsigned long long)st.inflated, (unsigned long long)st.deflated,
	    (unsigned long long)st.reported, (unsigned long long)st.refused,
	    (unsigned long long)st.stats_updates);
	for (u32 i = 0; i < VM_BALLOON_STATS; i++) {
		if (st.stat_seen & (1u << i))
			say("  balloon stat %s: %llu", stat_names[i], (unsigned long long)st.stat[i]);
	}
}

/* As `xl info`: the machine's memory in MiB (free exact, in KiB too), its
 * CPUs and VMs. Hypervisor memory is what is in use and not a VM's RAM. */
void shell_machine_info(void)
{
	u64 total = hv_pages.total_pages * PAGE_SIZE;
	u64 free = __atomic_load_n(&hv_pages.free_pages, __ATOMIC_RELAXED) * PAGE_SIZE;
	u64 vm_ram = 0;
	u32 nvms = 0, online = 0;

	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		if (!vm)
			continue;
		vm_ram += vm_ram_current(vm);
		nvms++;
		vm_put(vm);
	}
	for (u32 i = 0; i < platform.ncpus; i++)
		online += cpus[i].online;
	say("total_memory   : %llu MiB", (unsigned long long)(total / MiB));
	say("free_memory    : %llu MiB (%llu KiB)", (unsigned long long)(free / MiB),
	    (unsigned long long)(free / KiB));
	say("vm_memory      : %llu MiB", (unsigned long long)(vm_ram / MiB));
	say("hypervisor_mem : %llu MiB", (unsigned long long)((total - free - vm_ram) / MiB));
	say("nr_cpus        : %u (%u online)", platform.ncpus, online);
	say("nr_vms         : %u", nvms);
}
