/*
 * A VM's disks: the pool volumes its config's `disk` key names, attached
 * when it is created and detached when it is freed (core/vm_volumes.c).
 * vm->volumes[i] is the volume of vm->cfg.disks[i].
 */
#ifndef BULKHEAD_CORE_VM_VOLUMES_H
#define BULKHEAD_CORE_VM_VOLUMES_H

#include "types.h"

struct vm;
struct volume;

/* Attaches every configured disk's volume, or none: -1 with the error said
 * on the console (config file, line, `disk`). */
int vm_attach_volumes(struct vm *vm);
/* Detaches what vm_attach_volumes() attached (the VM's final free). */
void vm_detach_volumes(struct vm *vm);
/* Writes "a (rw)", "b (ro), c (ro)" or "-": the VMs using `v` (the shell). */
void vm_volume_users(const struct volume *v, char *buf, size_t size);

#endif
