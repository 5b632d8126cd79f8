/*
 * A device's interrupt output, wired to one input of its VM's interrupt
 * controller. Devices raise and lower it; only the arch's interrupt
 * controller (arch_vm_set_line) knows what the line number means there.
 */
#ifndef BULKHEAD_CORE_IRQ_LINE_H
#define BULKHEAD_CORE_IRQ_LINE_H

#include "arch.h"

struct irq_line {
	struct vm *vm;      /* NULL: not connected */
	u32 line;
};

static inline struct irq_line irq_line_none(void)
{
	return (struct irq_line){ NULL, 0 };
}

static inline bool irq_line_connected(const struct irq_line *l)
{
	return l->vm != NULL;
}

/* Level-sensitive: the controller sees `level` until the next call. */
static inline void irq_line_set(const struct irq_line *l, bool level)
{
	if (l->vm)
		arch_vm_set_line(l->vm, l->line, level);
}

#endif
