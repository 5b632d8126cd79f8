/*
 * cntvct: prints "CNTVCT <n>" with the virtual counter, for the boot-time
 * benchmark. With QEMU's -icount shift=0 the counter measures instructions
 * since reset (Bulkhead leaves CNTVOFF_EL2 at 0), so the first line an
 * initramfs prints says how long the boot to init took. A static program
 * with no libc: Linux arm64 system calls write (64) and exit (93).
 */
	.text
	.globl _start
_start:
	isb
	mrs	x19, cntvct_el0
	adr	x1, end_of_buffer
	mov	x2, #1
	mov	w3, #'\n'
	strb	w3, [x1, #-1]!
	mov	x4, #10
1:	udiv	x5, x19, x4
	msub	x6, x5, x4, x19
	add	w6, w6, #'0'
	strb	w6, [x1, #-1]!
	add	x2, x2, #1
	mov	x19, x5
	cbnz	x19, 1b
	mov	x20, x1
	mov	x21, x2
	mov	x0, #1
	adr	x1, prefix
	mov	x2, #7
	mov	x8, #64
	svc	#0
	mov	x0, #1
	mov	x1, x20
	mov	x2, x21
	mov	x8, #64
	svc	#0
	mov	x0, #0
	mov	x8, #93
	svc	#0

	.data
prefix:
	.ascii	"CNTVCT "
buffer:
	.space	32
end_of_buffer:
