/*
 * The shell's storage commands: vol-list (the pool's volumes and who uses
 * them), block-list VM (a VM's disks, as `xl block-list`), and vol-create /
 * vol-delete, which start a job of storage/pool_edit.c and return at once.
 */
#include "core/log.h"
#include "core/shell.h"
#include "core/vm.h"
#include "core/vm_volumes.h"
#include "lib/string.h"
#include "storage/pool_edit.h"
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

/* SIZE as xl takes it: MiB, or a number with k, m or g; rounded up to whole
 * MiB. 0 when it is not a size. */
u64 shell_parse_mib(const char *s)
{
	u64 n = 0, unit = MiB;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (~0ull - 9) / 10)
			return 0;
		n = n * 10 + (u64)(*p - '0');
	}
	if (p == s)
		return 0;
	if (*p == 'k' || *p == 'K')
		unit = KiB;
	else if (*p == 'g' || *p == 'G')
		unit = 1024 * MiB;
	else if (*p && *p != 'm' && *p != 'M')
		return 0;
	if (*p && p[1])
		return 0;
	if (n > ~0ull / unit)
		return 0;
	n *= unit;
	return n / MiB + (n % MiB != 0);
}

void shell_vol_create(const char *name, const char *size)
{
	const char *why;
	u64 mib;

	if (!name || !size) {
		say("vol-create: usage: vol-create NAME SIZE (SIZE in MiB, or with k, m or g)");
		return;
	}
	mib = shell_parse_mib(size);
	if (!mib) {
		say("vol-create %s: bad size '%s' (MiB, or a number with k, m or g; not 0)", name,
		    size);
		return;
	}
	if (pool_vol_create(name, mib, &why))
		say("vol-create %s: %s", name, why);
	else
		say("vol-create %s: started (%llu MiB)", name, (unsigned long long)mib);
}

void shell_vol_delete(const char *name)
{
	struct volume *v;
	char users[96];
	const char *why;

	if (!name) {
		say("vol-delete: which volume? (usage: vol-delete NAME)");
		return;
	}
	v = volume_find(name);
	if (!v) {
		say("vol-delete %s: no such volume (see vol-list)", name);
		return;
	}
	vm_volume_users(v, users, sizeof(users));
	if (strcmp(users, "-") != 0) {
		say("vol-delete %s: attached to %s; destroy the VM first", name, users);
		return;
	}
	if (pool_vol_delete(v, &why))
		say("vol-delete %s: %s", name, why);
	else
		say("vol-delete %s: started", name);
}
