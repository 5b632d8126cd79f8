/*
 * Accesses that may fault. Each is a single instruction in its own function
 * so that a probe's "skip 4 bytes" lands on the ret and nothing else is lost.
 */
	.text

	.globl	probe_read32
probe_read32:
	ldr	w0, [x0]
	ret

	.globl	probe_write32
probe_write32:
	str	w1, [x0]
	ret
