/*
 * The register accesses of a virtio-mmio transport: 32-bit, through the
 * EL2 device mapping. Alone in this file so that the host unit tests can
 * put a fake device in its place.
 */
#include "arch.h"
#include "drivers/virtio_mmio_host.h"

u32 vmmio_read32(const struct vmmio *t, u32 off)
{
	return *(volatile u32 *)pa_to_ptr(pa_add(t->base, off));
}

void vmmio_write32(const struct vmmio *t, u32 off, u32 value)
{
	*(volatile u32 *)pa_to_ptr(pa_add(t->base, off)) = value;
}

u8 vmmio_read8(const struct vmmio *t, u32 off)
{
	return *(volatile u8 *)pa_to_ptr(pa_add(t->base, off));
}

u16 vmmio_read16(const struct vmmio *t, u32 off)
{
	return *(volatile u16 *)pa_to_ptr(pa_add(t->base, off));
}
