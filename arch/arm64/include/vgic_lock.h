/*
 * Taking the vGIC model's lock (vgic.h's struct vgic_locked). Apart from
 * vgic.h because the spinlock's operations need the arch API, whose types
 * include vgic.h. Inline: the timer's interrupt takes it on its fast path.
 */
#ifndef BULKHEAD_ARM64_VGIC_LOCK_H
#define BULKHEAD_ARM64_VGIC_LOCK_H

#include "core/spinlock.h"
#include "vgic.h"

static inline struct vgic_locked vgic_lock(struct vgic *g)
{
	spin_lock(&g->lock);
	return (struct vgic_locked){ g };
}

static inline void vgic_unlock(struct vgic_locked l)
{
	spin_unlock(&l.g->lock);
}

#endif
