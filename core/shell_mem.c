/*
 * The shell's memory commands: the balloon target (`mem-set`, as xl) and what
 * a VM holds (`info VM`). The machine's memory is `info` (core/shell_machine.c).
 */
#include "core/log.h"
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
	if (st.set_seen && st.set_reached)
		say("  balloon: last mem-set reached: %llu KiB moved in %llu us of machine time",
		    (unsigned long long)(st.set_moved / KiB), (unsigned long long)(st.set_ns / 1000));
	else if (st.set_seen)
		say("  balloon: last mem-set not reached yet");
	for (u32 i = 0; i < VM_BALLOON_STATS; i++) {
		if (st.stat_seen & (1u << i))
			say("  balloon stat %s: %llu", stat_names[i], (unsigned long long)st.stat[i]);
	}
}
