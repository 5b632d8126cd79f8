/*
 * The shell's storage commands: vol-list (the pool's volumes and who uses
 * them) and block-list VM (a VM's disks, as `xl block-list`).
 */
#include "core/log.h"
#include "core/shell.h"
#include "core/vm.h"
#include "core/vm_volumes.h"
#include "storage/volume.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

void shell_vol_list(void)
{
	char users[96];

	if (!volume_count()) {
		say("no volumes (no pool disk holds a Bulkhead volume)");
		return;
	}
	say("%-36s %10s %-6s %12s  %s", "NAME", "SIZE(MiB)", "DISK", "START", "ATTACHED TO");
	for (u32 i = 0; i < volume_count(); i++) {
		const struct volume *v = volume_at(i);

		if (!v || !v->disk)
			continue;
		vm_volume_users(v, users, sizeof(users));
		say("%-36s %10llu %-6s %12llu  %s%s", v->name,
		    (unsigned long long)(v->sectors * VOLUME_SECTOR_SIZE / MiB), v->disk->name,
		    (unsigned long long)v->first_sector, users,
		    v->read_only ? " (read-only disk)" : "");
	}
}

void shell_block_list(const char *arg)
{
	struct vm *vm;

	if (!arg) {
		say("block-list: which VM? (usage: block-list VM)");
		return;
	}
	vm = vm_get_by_name_or_id(arg);
	if (!vm) {
		say("block-list: no VM '%s' (see list)", arg);
		return;
	}
	say("%-6s %-36s %-9s %s", "VDEV", "BE", "STATE", "ACCESS");
	for (u32 i = 0; i < vm->cfg.ndisks && i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *d = &vm->cfg.disks[i];

		say("%-6s %-36s %-9s %s", d->vdev, d->target,
		    vm->volumes[i] ? "attached" : "detached", d->read_only ? "ro" : "rw");
	}
	if (!vm->cfg.ndisks)
		say("(vm '%s' has no disks)", vm->cfg.name);
	vm_put(vm);
}
