/* The device tree a VM boots with, generated from its configuration. */
#ifndef BULKHEAD_CORE_GUEST_DT_H
#define BULKHEAD_CORE_GUEST_DT_H

#include "core/loader.h"

struct vm;

/* Writes the tree into `buf`; returns its size or -1 when it does not fit. */
int guest_dt_build(struct vm *vm, const struct boot_layout *b, void *buf, u32 cap);

#endif
