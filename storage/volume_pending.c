/*
 * Stand-ins for the pool's volume calls the guest's virtio-blk device uses
 * (devices/virtio/blk.c), so the image links while storage/volume.c is being
 * written on another branch. Weak: the real definitions replace them, and
 * this file goes once they are merged. With them no volume exists, so a VM
 * whose config names a disk is refused at creation.
 */
#include "storage/volume.h"

__attribute__((weak)) struct volume *volume_find(const char *name)
{
	(void)name;
	return NULL;
}

__attribute__((weak)) int volume_submit(struct volume *v, struct blk_request *rq)
{
	(void)v;
	(void)rq;
	return BLK_SUBMIT_INVALID;
}
