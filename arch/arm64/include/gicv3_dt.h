/* The guest's GICv3 node in its device tree. */
#ifndef BULKHEAD_ARM64_GICV3_DT_H
#define BULKHEAD_ARM64_GICV3_DT_H

#include "types.h"

struct vdt;
struct vm;

/* Writes the intc node, with `phandle` (what the tree's interrupt-parent names). */
void gicv3_dt_node(struct vdt *dt, const struct vm *vm, u32 phandle);

#endif
