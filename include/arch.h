/*
 * The arch-neutral API: everything core/, devices/ and drivers/ may ask of
 * the architecture. arch/arm64 implements it for the hypervisor; the host
 * unit tests implement it with plain memory (tests/unit/fake_arch.c).
 */
#ifndef BULKHEAD_ARCH_H
#define BULKHEAD_ARCH_H

#include "types.h"
#include <arch_types.h>
#include "core/vcpu_next.h"

struct vcpu;
struct vm;
struct vdt;

/* CPU */
u32 arch_cpu_index(void);
/* Interrupts the CPU so that it looks at its run queue again. */
void arch_kick_cpu(u32 cpu);
/* Interrupts the CPU because the vCPU it runs has a new interrupt to take
 * (its irq_dirty is set): nothing for its scheduler, so the CPU only
 * refreshes the vCPU's interrupt state on its way back into the guest. */
void arch_kick_cpu_irq(u32 cpu);
/* Sleeps until an interrupt, handles it, returns. Interrupts stay masked otherwise. */
void arch_idle(void);
/* Handles the interrupts pending on this CPU without sleeping (between steps
 * of long hypervisor work, interrupts masked). True when the vCPU the CPU
 * is working for must give the CPU up (kicked, preempted, work due). */
bool arch_poll_irqs(void);
/* Counter ticks CPU `cpu` spent outside arch_idle's wait since it first
 * went idle: the hypervisor's and its guests' time (statistics). */
u64 arch_cpu_busy_ticks(u32 cpu);
/* Programs this CPU's scheduler timer for counter value `when` (0: off). */
void arch_set_timer(u64 when);
void arch_wait_event(void);   /* sleep until an event or interrupt (WFE) */
void arch_send_event(void);   /* wake CPUs sleeping in arch_wait_event (SEV) */
void arch_system_off(void) __attribute__((noreturn));
u64 arch_counter_read(void);
u64 arch_counter_freq(void);

/* The arch's part of the board (interrupt controller, timer, firmware
 * interface) from the device tree; 0, or -1 when it cannot be used. */
struct fdt;
int arch_platform_parse(struct arch_platform *a, const struct fdt *fdt);

/*
 * Device interrupts for what Bulkhead drives itself (drivers/). A driver
 * turns the `interrupts` cells its device-tree node writes into the arch's
 * interrupt number (0: none it can take), then attaches a handler. The
 * handler runs in interrupt context on CPU 0 with interrupts masked (maybe in
 * a guest's trap, which then resumes unless work is due): it quiets its
 * device, notes what happened and queues deferred work, or does bounded
 * work of trap context's kind itself. Returns
 * 0, or -1 when the number is not a device interrupt or the table is full.
 */
u32 arch_irq_from_dt(const u32 *cells, u32 ncells);
int arch_irq_attach(u32 irq, void (*handler)(void *ctx), void *ctx);

/* Ordering between memory a device reads or writes by DMA and its registers:
 * arch_io_wmb() makes earlier memory writes visible to devices before later
 * register writes (a ring entry before its notify); arch_io_rmb() keeps
 * later memory reads after earlier ones (a used index before its entries). */
void arch_io_wmb(void);
void arch_io_rmb(void);

/* Boot: map the hypervisor (image and VM package included) and turn the MMU
 * on; then start the other CPUs, which enter core_secondary(). */
void arch_mmu_init(paddr_t image_base, u64 image_mem_size);
void arch_smp_start(void);
/* The interrupt controller, once mapped (boot CPU; others do it as they start). */
void arch_interrupts_init(void);

/* Memory the boot firmware's own memory map (UEFI) keeps from the OS, which
 * the device tree's memory nodes may still cover: range `i`, or false past
 * the last (none when the firmware has no such map). */
bool arch_boot_reserved(u32 i, u64 *base, u64 *size);
/* That map kept more ranges than could be recorded: booting would be a guess. */
bool arch_boot_reserved_overflow(void);

/* Where the hypervisor's own image lies (mapped at its physical address):
 * text, then rodata, then data and bss up to end. */
struct image_layout {
	u64 start, text_end, rodata_end, end;
};
void arch_image_layout(struct image_layout *layout);

/* Memory: the hypervisor maps all RAM at its physical address. */
static inline void *pa_to_ptr(paddr_t pa) { return (void *)(uintptr_t)pa_addr(pa); }
static inline paddr_t ptr_to_pa(const void *p) { return pa_init((u64)(uintptr_t)p); }
/* Make data written through the hypervisor's cacheable mapping visible to a
 * guest that starts with its MMU (and caches) off. */
void arch_clean_dcache_range(const void *p, u64 size);
void arch_invalidate_icache(void);
void arch_clean_invalidate_dcache_range(const void *p, u64 size);
/* Copies `len` bytes (any length; the buffers do not overlap) between two
 * buffers of RAM, with as few instructions as the CPU allows: the disk's data
 * to and from guest memory, where under -icount each instruction is guest
 * time. Worth a call from ARCH_COPY_BULK_MIN bytes; shorter copies are plain
 * memcpy. Leaves every register a guest may own as it found it. */
#define ARCH_COPY_BULK_MIN 256
void arch_copy_bulk(void *dst, const void *src, u64 len);
/* Zeroes memory and cleans it to the point of coherency, so that nothing of
 * what was there before is visible even to a guest running with caches off. */
void arch_scrub(void *p, u64 size);

/* Stage-2 translation of one VM. S2_ROM is read-only and executable (a VM's
 * firmware flash): a guest write faults to the hypervisor, never lands. */
enum s2_mem { S2_RAM, S2_ROM };
int arch_stage2_init(struct arch_stage2 *s2, u16 vmid);
int arch_stage2_map(struct arch_stage2 *s2, ipaddr_t ipa, paddr_t pa, u64 size, enum s2_mem mem);
/* Takes [ipa, ipa + size) out of a VM's stage 2 while its vCPUs may run: a
 * block over part of it is split first, and when this returns no CPU's TLB
 * holds a translation of it. -1 (nothing unmapped) when a table for the
 * split could not be had. Callers serialize changes to one VM's stage 2. */
int arch_stage2_unmap(struct arch_stage2 *s2, ipaddr_t ipa, u64 size);
void arch_stage2_destroy(struct arch_stage2 *s2);

/*
 * The VM's arch part (struct arch_vm): its interrupt controller, which is
 * also a device kind on its board (registered by the arch), and the nodes of
 * its device tree that describe the CPU architecture.
 */
/* A device interrupt line of the VM changed level (`line`: the board's
 * numbering of device lines, an SPI number on a GIC). */
void arch_vm_set_line(struct vm *vm, u32 line, bool level);
/* The `interrupts` cells of device line `line` (level-sensitive, active
 * high) in the interrupt controller's binding; returns how many (<= 4). */
u32 arch_dt_irq_cells(u32 line, u32 *cells);
/* The guest's CPUs, its firmware interface (PSCI) and its timer. */
void arch_guest_dt(struct vdt *dt, const struct vm *vm);

/* A Linux kernel Image for this architecture: where in its 2 MiB-aligned
 * block it goes (text_offset) and how much memory it takes from there
 * (image_size, at least the file); false when `data` is not one. */
bool arch_kernel_image_parse(const u8 *data, u64 size, u64 *text_offset, u64 *image_size);

/* What the VM's config asks of the CPU itself (SVE's vector length), checked
 * against this machine, and the arch's per-vCPU memory that depends on it
 * (from the VM's device memory): 0, or -1 with what is wrong in `why`. Once,
 * after its vCPUs exist. */
int arch_vm_prepare(struct vm *vm, char *why, size_t why_size);

/* vCPUs */
/* vCPU `index` of its VM (the arch names it to the guest) starts at `entry` with x0. */
void arch_vcpu_reset(struct arch_vcpu *v, ipaddr_t entry, u64 x0, u32 index);
/* The VM's virtual counter reads (physical counter - offset) on this vCPU. */
void arch_vcpu_set_counter_offset(struct arch_vcpu *v, u64 offset);
/* Runs the vCPU on this CPU until a trap handler's result says it leaves the
 * guest; returns that result (never VCPU_RESUME). */
enum vcpu_next arch_vcpu_run(struct vcpu *vcpu);

/* Deliberate hypervisor faults (the shell's debug-fault): each kind makes one
 * access that the EL2 mapping must refuse, or one attack a control-flow
 * protection must stop, so the panic path runs. Returns only if nothing
 * caught it. */
enum arch_fault_kind {
	ARCH_FAULT_UNMAPPED,    /* load from a VA nothing maps: translation fault */
	ARCH_FAULT_WRITE_TEXT,  /* store to Bulkhead's text: permission fault (W^X) */
	ARCH_FAULT_EXEC_DATA,   /* branch into a data page: permission fault (XN) */
	ARCH_FAULT_STACK_OVERFLOW, /* recurse into the stack's guard page */
	ARCH_FAULT_RETURN_ADDR, /* overwrite a saved return address: its signature fails */
	ARCH_FAULT_NO_PAD,      /* indirect call past a landing pad: BTI */
	ARCH_FAULT_CANARY,      /* overrun a local array into the canary */
};
/* The address the kind aims at (the guard page, the overwriting target...). */
u64 arch_debug_fault_addr(enum arch_fault_kind kind);
/* NULL, or why this CPU cannot show the kind (the feature it lacks). */
const char *arch_debug_fault_unsupported(enum arch_fault_kind kind);
void arch_debug_fault(enum arch_fault_kind kind);

#endif
