/*
 * The virtual board every VM sees: a subset of QEMU virt's layout, so guests
 * built for `virt` (Linux, U-Boot, RTOSes) find devices where they expect.
 * These are guest-physical addresses, not the host board's.
 */
#ifndef BULKHEAD_CORE_GUEST_LAYOUT_H
#define BULKHEAD_CORE_GUEST_LAYOUT_H

/* Flash, as on virt (two 64 MiB banks below the devices): a VM with `firmware`
 * gets its image read-only at the start of the first bank and is entered
 * there; the rest of the window is unmapped. */
#define GUEST_FLASH_BASE  0x00000000ull
#define GUEST_FLASH_SIZE  0x08000000ull
#define GUEST_FIRMWARE_MAX (64 * MiB)       /* one bank */
/* The emulated devices live in [GUEST_DEVICES_BASE, GUEST_DEVICES_END): RAM keeps out.
 * The end covers QEMU virt's 32 virtio-mmio slots of 0x200 from 0x0a000000. */
#define GUEST_DEVICES_BASE 0x08000000ull
#define GUEST_DEVICES_END  0x0a004000ull
#define GUEST_DTB_MAX     (2 * MiB)   /* the arm64 boot protocol's limit */
#define GUEST_KERNEL_ALIGN (2 * MiB)

#endif
