/*
 * Exception handling. Outside a probe every exception is a bug (in the guest
 * or in the hypervisor), so it is reported and the VM powered off. Inside a
 * probe a synchronous exception is the expected outcome: it is recorded and
 * the faulting instruction skipped. Printing before the console is known
 * is harmless: printk drops the text.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"

struct frame {
	u64 x[31];
	u64 elr;
	u64 spsr;
	u64 pad;
};

static volatile bool probing;
static volatile bool retrying;   /* fault loop mode: return to the faulting instruction */
static volatile struct fault last;
static int depth;
static debug_handler_fn debug_handler;
static volatile u64 work_addr;          /* the handler's own load (vector_checks.c) */
static volatile struct fault work_fault;

/* Like a broken handler that fixes nothing: every fault returns to the
 * faulting instruction, which faults again. */
void fault_loop(u64 addr)
{
	retrying = true;
	barrier();
	(void)*(volatile u32 *)addr;
	retrying = false;
	printk("FAIL fault loop: the load from 0x%lx completed\n", addr);
}

/* The next probe's handler does work of its own, including a load from
 * `addr` in a vector slot that faults in turn (recorded apart). */
void probe_handler_load(u64 addr)
{
	work_fault.taken = false;
	work_addr = addr;
}

struct fault probe_handler_fault(void)
{
	struct fault f = { work_fault.taken, work_fault.esr, work_fault.far, work_fault.elr };

	return f;
}

/* Runs inside the handler with the outer fault not yet recorded: the nested
 * fault is recorded (and skipped) like any probe's, then moved aside. */
static void handler_work(void)
{
	u64 addr = work_addr;

	work_addr = 0;
	last.taken = false;
	(void)slot_load(addr);
	work_fault.esr = last.esr;
	work_fault.far = last.far;
	work_fault.elr = last.elr;
	work_fault.taken = last.taken;
}

void set_debug_handler(debug_handler_fn fn)
{
	debug_handler = fn;
}

void probe_begin(void)
{
	last.taken = false;
	barrier();
	probing = true;
	barrier();
}

struct fault probe_end(void)
{
	struct fault f;

	barrier();
	probing = false;
	barrier();
	f.taken = last.taken;
	f.esr = last.esr;
	f.far = last.far;
	f.elr = last.elr;
	return f;
}

static const char *const kind_names[4] = { "sync", "irq", "fiq", "serror" };
static const char *const origin_names[4] = { "el1-sp0", "el1-spx", "el0-a64", "el0-a32" };

void exception_entry(struct frame *f, u64 kind);

void exception_entry(struct frame *f, u64 kind)
{
	u64 esr, far;

	if (kind == 5) {   /* IRQ, current EL with SP_ELx: only the gic mode unmasks IRQs */
		irq_entry();
		return;
	}
	esr = read_sysreg(esr_el1);
	far = read_sysreg(far_el1);
	if (kind == 4 && debug_handler && debug_handler(esr, far, &f->elr, &f->spsr))
		return;
	if (kind == 4 && retrying)
		return;
	if (kind == 4 && probing) {
		if (work_addr)
			handler_work();
		last.esr = esr;
		last.far = far;
		last.elr = f->elr;
		last.taken = true;
		f->elr += 4;
		return;
	}
	/* A fault while reporting a fault: stop before it recurses. */
	if (depth++)
		halt();
	printk("FAIL unexpected exception %s from %s: ESR=0x%lx FAR=0x%lx ELR=0x%lx SPSR=0x%lx\n",
	       kind_names[kind & 3], origin_names[(kind >> 2) & 3], esr, far, f->elr, f->spsr);
	power_off();
}
