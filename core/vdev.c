/*
 * The registry of device kinds. Each kind's file puts a pointer to its
 * struct vdev_kind in the `vdev_kinds` section; the linker gathers them
 * between __start_vdev_kinds and __stop_vdev_kinds (the hypervisor's linker
 * script names them; host builds get them from the linker), so adding a kind
 * touches no list here.
 */
#include "core/vdev.h"
#include "lib/string.h"

extern const struct vdev_kind *const __start_vdev_kinds[];
extern const struct vdev_kind *const __stop_vdev_kinds[];

const struct vdev_kind *vdev_kind_at(u32 i)
{
	if (i >= (u32)(__stop_vdev_kinds - __start_vdev_kinds))
		return NULL;
	return __start_vdev_kinds[i];
}

const struct vdev_kind *vdev_kind_by_name(const char *name)
{
	const struct vdev_kind *k;

	for (u32 i = 0; (k = vdev_kind_at(i)); i++) {
		if (strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}
