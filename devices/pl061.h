/*
 * Emulated Arm PL061 GPIO controller as a guest sees it: eight pins, the
 * register file of the PL061 TRM and the PrimeCell ID registers Linux's
 * amba bus probes. The hypervisor drives input pins (the power button).
 */
#ifndef BULKHEAD_DEVICES_PL061_H
#define BULKHEAD_DEVICES_PL061_H

#include "types.h"
#include "core/irq_line.h"
#include "core/spinlock.h"
#include "core/vdev.h"

#define PL061_MMIO_SIZE 0x1000
#define PL061_PINS 8

struct pl061_emul {
	struct irq_line irq;  /* the combined interrupt output */
	bool irq_level;
	/* registers, one bit per pin */
	u8 data;      /* output latch written through GPIODATA */
	u8 dir;       /* 1: output */
	u8 is;        /* 1: level-sensitive, 0: edge-sensitive */
	u8 ibe;       /* 1: both edges */
	u8 iev;       /* 1: rising edge / high level */
	u8 ie;        /* 1: interrupt unmasked */
	u8 ris;       /* raw interrupt status */
	u8 afsel;     /* hardware control: no alternate function is wired here */
	/* the pins */
	u8 input;     /* levels driven from outside (the hypervisor) */
	u8 momentary; /* inputs that drop once the guest has read them high */
	u8 level;     /* pin levels when last looked at, for edge detection */
	struct spinlock lock;  /* the guest's accesses and the shell's presses meet here */
};

/*
 * Resets the registers and pins and sets the interrupt output. The lock is
 * left alone, so a VM restart may reset the device while the shell presses
 * its button; the structure must be zeroed before its first init.
 */
void pl061_emul_init(struct pl061_emul *g, struct irq_line irq);
/* Makes `d` this controller at guest-physical `base`, for a VM's MMIO bus. */
void pl061_emul_vdev(struct pl061_emul *g, ipaddr_t base, struct vdev *d);
/*
 * A push button on input `pin` (< PL061_PINS): the pin goes high and stays
 * high until the guest reads it through GPIODATA, then drops. A press while
 * the last one was not read yet releases and presses again: a fresh edge.
 */
void pl061_emul_press(struct pl061_emul *g, u32 pin);

#endif
