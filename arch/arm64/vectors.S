/*
 * EL2 exception vectors and the guest enter/exit path.
 *
 * While a guest runs, SP_EL2 points just below the frame that __guest_enter
 * pushed, so a trap handler runs on that CPU's hypervisor stack and an exit
 * back to C is a plain return from __guest_enter. The C handlers return an
 * enum vcpu_next (core/vcpu_next.h) in w0: VCPU_RESUME (0) goes back into the
 * guest, anything else leaves with that value as __guest_enter's result. TPIDR_EL2 points at this
 * CPU's struct arm64_percpu, which points at the running vCPU's
 * struct arch_regs.
 *
 * Structure offsets come from asm_offsets.h, which the compiler generates
 * (arch/arm64/gen/asm_offsets.c). The code below stores registers in pairs
 * and x0-x30 at 8 * n, so it also checks the order it relies on.
 */
#include "asm_macros.h"
#include "asm_offsets.h"
#include "hv_stack.h"

.if ARCH_REGS_X != 0 || ARCH_REGS_SPSR != ARCH_REGS_ELR + 8
.error "struct arch_regs: x[] must come first and spsr right after elr (stp/ldp pairs)"
.endif
.if HV_FRAME_X != 0 || HV_FRAME_LR != 30 * 8 || HV_FRAME_SP != HV_FRAME_LR + 8 || HV_FRAME_SPSR != HV_FRAME_ELR + 8
.error "struct arm64_hv_frame: x0-x29, then lr and sp, elr and spsr in pairs"
.endif

/* The frame's stack space: SP_EL2 must stay 16-byte aligned. */
#define HV_FRAME_STACK ((HV_FRAME_SIZE + 15) & ~15)

/*
 * Save what C code may clobber into the running vCPU: x0-x18 and x30, and
 * x19, which rides with x18. Leaves x19 = regs, which C preserves.
 */
.macro save_guest_scratch
	stp	x0, x1, [sp, #-16]!
	save_guest_scratch_pushed
.endm

/* The same, with x0 and x1 already pushed on the stack. */
.macro save_guest_scratch_pushed
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PERCPU_REGS]
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	str	x30, [x0, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0]
	mov	x19, x0
.endm

/* The rest of the guest's state, x20-x29, ELR and SPSR (x19 = regs). */
.macro save_guest_rest
	stp	x20, x21, [x19, #160]
	stp	x22, x23, [x19, #176]
	stp	x24, x25, [x19, #192]
	stp	x26, x27, [x19, #208]
	stp	x28, x29, [x19, #224]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [x19, #ARCH_REGS_ELR]
.endm

/* Save guest x0-x30, ELR and SPSR into the running vCPU; leaves x0 = regs. */
.macro save_guest
	save_guest_scratch
	save_guest_rest
	mov	x0, x19
.endm

/* The frame of a hypervisor-mode exception: x0-x29 at sp, then lr, elr and
 * spsr; the frame's sp is left for the caller (x1, x2 are free after). */
.macro hv_frame_save
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #HV_FRAME_LR]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [sp, #HV_FRAME_ELR]
.endm

/*
 * Hypervisor-mode exception: build a struct arm64_hv_frame on the stack.
 * First, without a free register and without touching memory, SP's bit
 * HV_STACK_SHIFT says whether the stack ran into its guard page
 * (hv_stack.h): SP and x0 trade places by addition, as Linux does.
 */
.macro hv_exception kind
	sub	sp, sp, #HV_FRAME_STACK
	add	sp, sp, x0		/* sp = sp + x0 */
	sub	x0, sp, x0		/* x0 = the old sp */
	tbz	x0, #HV_STACK_SHIFT, hv_stack_overflow
	sub	x0, sp, x0		/* x0 = the old x0 */
	sub	sp, sp, x0		/* sp = the old sp */
	hv_frame_save
	add	x1, sp, #HV_FRAME_STACK
	str	x1, [sp, #HV_FRAME_SP]
	mov	x0, sp
	mov	x1, #\kind
	bl	arm64_hv_exception
1:	wfe
	b	1b
.endm

.macro ventry label
	.balign 0x80
	b	\label
.endm

	.section .text.vectors, "ax"
	.balign 0x800
	.globl el2_vectors
el2_vectors:
	ventry	hv_sync_sp0		/* current EL, SP_EL0 */
	ventry	hv_irq_sp0
	ventry	hv_fiq_sp0
	ventry	hv_serror_sp0
	ventry	hv_sync			/* current EL, SP_ELx */
	ventry	hv_irq
	ventry	hv_fiq
	ventry	hv_serror
	ventry	guest_sync		/* lower EL, AArch64 */
	ventry	guest_irq
	ventry	guest_fiq
	ventry	guest_serror
	ventry	guest_sync		/* lower EL, AArch32 (EL0 only) */
	ventry	guest_irq
	ventry	guest_fiq
	ventry	guest_serror

hv_sync_sp0:	hv_exception 0
hv_irq_sp0:	hv_exception 1
hv_fiq_sp0:	hv_exception 2
hv_serror_sp0:	hv_exception 3
hv_sync:	hv_exception 4
hv_irq:		hv_exception 5
hv_fiq:		hv_exception 6
hv_serror:	hv_exception 7

/*
 * The stack overflowed into its guard page: x0 = the SP that did (less the
 * frame), sp = that plus x0's old value. The dump runs on this CPU's
 * emergency stack, taken once (a fault in the dump itself stops the CPU).
 * The guest's TPIDR_EL0 and TPIDRRO_EL0 hold x0 and SP meanwhile: nothing
 * runs a guest again after a hypervisor panic.
 */
hv_stack_overflow:
	msr	tpidrro_el0, x0
	sub	x0, sp, x0
	msr	tpidr_el0, x0
	mrs	x0, tpidr_el2
	add	x0, x0, #PERCPU_EMERGENCY_SP
	mov	sp, x0
	ldr	x0, [sp]
	str	xzr, [sp]
	cbz	x0, 1f
	mov	sp, x0
	mrs	x0, tpidr_el0
	sub	sp, sp, #HV_FRAME_STACK
	hv_frame_save
	mrs	x1, tpidrro_el0
	add	x1, x1, #HV_FRAME_STACK
	str	x1, [sp, #HV_FRAME_SP]
	mov	x0, sp
	mov	x1, #HV_KIND_STACK_OVERFLOW
	bl	arm64_hv_exception
1:	wfe
	b	1b

/*
 * A synchronous trap (HVC, a data abort, a write of ICC_SGI1R_EL1) goes to C with only the scratch registers saved
 * (trap_fast.h). When the fast half did it and the guest resumes, those
 * come back and x20-x29, ELR and SPSR were never touched; otherwise the
 * rest is saved and the slow half decides with the whole state in hand.
 */
guest_sync:
	stp	x0, x1, [sp, #-16]!
	mrs	x1, esr_el2
	ubfx	x1, x1, #26, #6
	cmp	x1, #ESR_EC_HVC64
	b.eq	hypercall_fixed
	cmp	x1, #ESR_EC_DABT_LOW
	b.eq	mmio_fixed_read
	cmp	x1, #ESR_EC_SYSREG
	b.ne	guest_sync_full		/* nothing else has a fast path */
	mrs	x1, esr_el2		/* of system registers, only ICC_SGI1R_EL1's: */
	and	x1, x1, #0x3ffc00	/* Op0, Op2, Op1, CRn (C checks the rest) */
	movz	w0, #ESR_ISS_SGI1R_HI, lsl #16
	movk	w0, #ESR_ISS_SGI1R_LO
	cmp	x1, x0
	b.ne	guest_sync_full
guest_sync_c:
	save_guest_scratch_pushed
	bl	arm64_guest_sync_fast
	cbnz	w0, 1f
	ldp	x2, x3, [x19, #16]
	ldp	x4, x5, [x19, #32]
	ldp	x6, x7, [x19, #48]
	ldp	x8, x9, [x19, #64]
	ldp	x10, x11, [x19, #80]
	ldp	x12, x13, [x19, #96]
	ldp	x14, x15, [x19, #112]
	ldp	x16, x17, [x19, #128]
	ldr	x30, [x19, #240]
	ldp	x0, x1, [x19]
	ldp	x18, x19, [x19, #144]	/* x19, the base, last */
	eret
	dsb	nsh			/* no speculation past eret */
	isb
1:	save_guest_rest
	mov	w1, w0
	mov	x0, x19
	bl	arm64_guest_sync_slow
	cbnz	w0, guest_exit
	b	guest_resume

guest_sync_full:
	save_guest_scratch_pushed
	save_guest_rest
	mov	x0, x19
	bl	arm64_guest_sync
	cbnz	w0, guest_exit
	b	guest_resume

guest_irq:
	save_guest
	bl	arm64_guest_irq
	cbnz	w0, guest_exit
	b	guest_resume

guest_fiq:
	save_guest
	mov	x1, #2
	bl	arm64_guest_unexpected
	cbnz	w0, guest_exit
	b	guest_resume

guest_serror:
	save_guest
	mov	x1, #3
	bl	arm64_guest_unexpected
	cbnz	w0, guest_exit
	b	guest_resume

/*
 * The hypercalls whose result never changes (core/hypercall_handle.h: NOP,
 * VERSION), answered before anything else is saved: x0 gets the result,
 * every other register keeps its value (SMCCC 1.1), and the trap is counted
 * as C counts it. w0 is the function ID; x0 and x1 are on the stack.
 */
hypercall_fixed:
	mov	w1, #(BH_HC_BASE_HI << 16)
	sub	w1, w0, w1
	cmp	w1, #HYPERCALL_FIXED_CALLS
	b.hs	guest_sync_c
	adrp	x0, hypercall_fixed_result
	add	x0, x0, :lo12:hypercall_fixed_result
	ldr	x0, [x0, x1, lsl #3]
	str	x0, [sp]		/* the result goes back as the guest's x0 */
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PERCPU_VCPU]
	ldr	x1, [x0, #VCPU_TRAPS]
	add	x1, x1, #1
	str	x1, [x0, #VCPU_TRAPS]
	ldr	x1, [x0, #VCPU_TRAPS_HYPERCALL]
	add	x1, x1, #1
	str	x1, [x0, #VCPU_TRAPS_HYPERCALL]
	ldp	x0, x1, [sp], #16
	eret
	dsb	nsh
	isb

/*
 * A 32-bit load from a register in the VM's table of constants, or from its
 * polled register while published (core/mmio.h, struct mmio_fixed): answered
 * here as the C fast path would answer it, with
 * x0-x5 borrowed on the stack, and counted as C counts it. Anything else -
 * a store, another size, sign extension, a fault on a table walk, an invalid
 * FAR, an address not in the table, interrupt state to refresh - goes on to
 * guest_sync_c with nothing changed (x0 and x1 still on the stack).
 */
.if MMIO_FIXED_SIZE != 16
.error "struct mmio_fixed: 16 bytes, the table walk's step"
.endif
/* One entry of the SRT jump table below: its landing pad (BTI j, a HINT:
 * a no-op without FEAT_BTI), the move, the way out; 16 bytes. */
.macro srt_entry insn:vararg
	hint	#36
	\insn
	b	6f
	.balign	16
.endm

mmio_fixed_read:
	mrs	x0, esr_el2		/* first the access: most MMIO traps are stores */
	ubfx	x1, x0, #21, #4
	cmp	x1, #0xc		/* ISV 1, SAS 2 (32 bits), SSE 0 */
	b.ne	guest_sync_c
	tst	x0, #0x7c0		/* WnR, S1PTW, CM, EA, FnV all 0 */
	b.ne	guest_sync_c
	tbnz	x0, #13, guest_sync_c	/* VNCR */
	stp	x2, x3, [sp, #-16]!
	stp	x4, x5, [sp, #-16]!
	mrs	x2, tpidr_el2
	ldr	x2, [x2, #PERCPU_VCPU]
	ldr	x3, [x2, #VCPU_VM]
	mrs	x1, hpfar_el2		/* the IPA: FIPA (HPFAR[43:4]) and FAR's page offset */
	ubfx	x1, x1, #4, #40
	lsl	x1, x1, #12
	lsr	x4, x1, #MMIO_FIXED_FRAME_SHIFT
	ldr	x5, [x3, #VM_BUS_FIXED_FRAME]
	cmp	x4, x5
	b.ne	7f
	ldr	w0, [x3, #VM_BUS_NFIXED]	/* the table of constants */
	add	x3, x3, #(VM_BUS_FIXED & 0xfff)
.if VM_BUS_FIXED >> 12
	add	x3, x3, #(VM_BUS_FIXED & 0xfff000)
.endif
	b	8f
7:	ldr	x5, [x3, #VM_BUS_POLLED_FRAME]	/* else the polled register, if published */
	cmp	x4, x5
	b.ne	9f
	ldr	w0, [x3, #VM_BUS_NPOLLED]
	dmb	ishld			/* the flag before the entry it publishes */
	add	x3, x3, #(VM_BUS_POLLED & 0xfff)
.if VM_BUS_POLLED >> 12
	add	x3, x3, #(VM_BUS_POLLED & 0xfff000)
.endif
8:	cbz	w0, 9f
	ldrb	w4, [x2, #VCPU_IRQ_DIRTY]
	cbnz	w4, 9f			/* C refreshes the vGIC on the way back */
	mrs	x4, far_el2
	bfxil	x1, x4, #0, #12
1:	ldr	x4, [x3], #16
	cmp	x4, x1
	b.eq	2f
	subs	w0, w0, #1
	b.ne	1b
9:	ldp	x4, x5, [sp], #16
	ldp	x2, x3, [sp], #16
	b	guest_sync_c
2:	ldr	w1, [x3, #(MMIO_FIXED_VALUE - 16)]
	ldr	x4, [x2, #VCPU_TRAPS]
	add	x4, x4, #1
	str	x4, [x2, #VCPU_TRAPS]
	ldr	x4, [x2, #VCPU_TRAPS_MMIO]
	add	x4, x4, #1
	str	x4, [x2, #VCPU_TRAPS_MMIO]
	mrs	x0, esr_el2
	mrs	x4, elr_el2		/* past the load: 4 bytes, or 2 (ESR.IL 0: T32) */
	add	x4, x4, #2
	tbz	x0, #25, 3f
	add	x4, x4, #2
3:	msr	elr_el2, x4
	mrs	x4, spsr_el2		/* a step in progress is taken (as trap_fast.c) */
	tbz	x4, #21, 4f
	bic	x4, x4, #(1 << 21)
	msr	spsr_el2, x4
4:	ubfx	x0, x0, #16, #5		/* SRT: the result into that register */
	adr	x4, 5f
	add	x4, x4, x0, lsl #4	/* 16-byte entries: a BTI j pad each (the
					 * text is guarded: br lands only on one) */
	br	x4
	.balign	16
5:	srt_entry	str	x1, [sp, #32]	/* x0, x1: pushed first */
	srt_entry	str	x1, [sp, #40]
	srt_entry	str	x1, [sp, #16]	/* x2, x3 */
	srt_entry	str	x1, [sp, #24]
	srt_entry	str	x1, [sp, #0]	/* x4, x5 */
	srt_entry	str	x1, [sp, #8]
	.irp	n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	srt_entry	mov	x\n, x1
	.endr
	srt_entry	nop		/* 31: xzr, the value is dropped */
6:	ldp	x4, x5, [sp], #16
	ldp	x2, x3, [sp], #16
	ldp	x0, x1, [sp], #16
	eret
	dsb	nsh
	isb

/* Load the running vCPU's registers and return to it. */
guest_resume:
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PERCPU_REGS]
	ldp	x1, x2, [x0, #ARCH_REGS_ELR]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			/* no speculation past eret */
	isb

/* Back to the C caller of __guest_enter with w0 = the handler's enum vcpu_next. */
guest_exit:
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

/* enum vcpu_next __guest_enter(void): run the vCPU whose regs the per-CPU area names. */
	.text
	.globl __guest_enter
__guest_enter:
	bti_c
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	b	guest_resume
