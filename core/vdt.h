/*
 * Writing a guest's device tree, node by node: core writes the root, memory
 * and chosen; the arch writes the CPUs, firmware interface and timer
 * (arch_guest_dt); every device on the VM's board writes its own node
 * (vdev_ops.dt_node) with the helpers below.
 */
#ifndef BULKHEAD_CORE_VDT_H
#define BULKHEAD_CORE_VDT_H

#include "types.h"
#include "lib/fdt.h"

struct vm;
struct irq_line;

struct vdt {
	struct fdt_writer *w;
	const struct vm *vm;
	u32 intc_phandle;        /* the interrupt controller's: the root's interrupt-parent */
	u32 next_phandle;
	u32 apb_clock_phandle;   /* the PrimeCell bus clock once written, 0 before */
	char stdout_path[48];    /* set by the console device: /chosen/stdout-path */
};

/* The phandle for the interrupt controller is fixed: devices name it before it is written. */
#define VDT_PHANDLE_INTC 1

/* A fresh phandle. */
u32 vdt_phandle(struct vdt *dt);
/* Begins node "name@addr" (the caller ends it with fdtw_end_node). */
void vdt_begin_node_at(struct vdt *dt, const char *name, ipaddr_t addr);
/* reg = <base size> with two address and two size cells. */
void vdt_reg(struct vdt *dt, ipaddr_t base, u64 size);
/* interrupts = the line's specifier in the interrupt controller's binding. */
void vdt_interrupts(struct vdt *dt, const struct irq_line *line);
/* The fixed clock PrimeCell devices name as apb_pclk; written the first time
 * it is asked for, so call it before beginning the device's own node. */
u32 vdt_apb_clock(struct vdt *dt);

#endif
