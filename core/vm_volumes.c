/*
 * Attaching a VM's configured disks to pool volumes. Done before any device
 * is built, so a VM refused here has nothing half-made; whatever was
 * attached before the refusal is detached by the VM's free, which always
 * runs on a failed creation.
 */
#include "core/log.h"
#include "core/vm.h"
#include "core/vm_volumes.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/volume.h"

/*
 * The name of another VM holding `v` (read-write when `rw`), for errors and
 * the shell. Read without vms_lock: a slot's name does not change while it
 * is in use, and a display that races a VM's end is at worst one line stale.
 */
static const struct vm *other_user(const struct volume *v, const struct vm *self, bool rw)
{
	for (u32 i = 0; i < MAX_VMS; i++) {
		const struct vm *o = &vms[i];

		if (o == self || __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == VM_FREE)
			continue;
		for (u32 d = 0; d < o->cfg.ndisks && d < CONFIG_MAX_DISKS; d++) {
			if (o->volumes[d] == v && o->cfg.disks[d].read_only == !rw)
				return o;
		}
	}
	return NULL;
}

static int refuse(const struct vm *vm, const struct config_disk *d, const char *what,
		  const char *who)
{
	hv_err("vm '%s' (%s:%u): disk: volume '%s' %s%s%s%s; VM not created", vm->cfg.name,
	       vm->cfg_file, d->line, d->target, what, who ? " to vm '" : "", who ? who : "",
	       who ? "'" : "");
	return -1;
}

int vm_attach_volumes(struct vm *vm)
{
	for (u32 i = 0; i < vm->cfg.ndisks && i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *d = &vm->cfg.disks[i];
		struct volume *v = volume_find(d->target);
		const char *why;

		if (!v)
			return refuse(vm, d, "is not in the storage pool", NULL);
		if (volume_attach(v, vm->id, d->read_only, &why)) {
			const struct vm *rw = other_user(v, vm, true), *ro = other_user(v, vm, false);

			if (rw)
				return refuse(vm, d, "is attached read-write", rw->cfg.name);
			if (ro && !d->read_only)
				return refuse(vm, d, "is attached read-only", ro->cfg.name);
			return refuse(vm, d, why, NULL);
		}
		vm->volumes[i] = v;
	}
	return 0;
}

void vm_detach_volumes(struct vm *vm)
{
	for (u32 i = 0; i < CONFIG_MAX_DISKS; i++) {
		if (!vm->volumes[i])
			continue;
		volume_detach(vm->volumes[i], vm->id, vm->cfg.disks[i].read_only);
		vm->volumes[i] = NULL;
	}
}

void vm_volume_users(const struct volume *v, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (u32 i = 0; i < MAX_VMS; i++) {
		const struct vm *o = &vms[i];

		if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == VM_FREE)
			continue;
		for (u32 d = 0; d < o->cfg.ndisks && d < CONFIG_MAX_DISKS; d++) {
			if (o->volumes[d] != v || used >= size)
				continue;
			used += (size_t)fmt_snprintf(buf + used, size - used, "%s%s (%s)",
						     used ? ", " : "", o->cfg.name,
						     o->cfg.disks[d].read_only ? "ro" : "rw");
		}
	}
	if (!buf[0])
		fmt_snprintf(buf, size, "-");
}
