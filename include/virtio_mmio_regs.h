/*
 * The virtio-mmio register layout (virtio 1.2 section 4.2.2, Version 2), as
 * both sides use it: the transport a guest's driver finds
 * (devices/virtio/mmio.c) and the driver of the machine's own disks
 * (drivers/virtio_mmio_host.c). Offsets from the window's base.
 */
#ifndef BULKHEAD_VIRTIO_MMIO_REGS_H
#define BULKHEAD_VIRTIO_MMIO_REGS_H

#define VMMIO_REG_MAGIC                0x000
#define VMMIO_REG_VERSION              0x004
#define VMMIO_REG_DEVICE_ID            0x008
#define VMMIO_REG_VENDOR_ID            0x00c
#define VMMIO_REG_DEVICE_FEATURES      0x010
#define VMMIO_REG_DEVICE_FEATURES_SEL  0x014
#define VMMIO_REG_DRIVER_FEATURES      0x020
#define VMMIO_REG_DRIVER_FEATURES_SEL  0x024
#define VMMIO_REG_QUEUE_SEL            0x030
#define VMMIO_REG_QUEUE_NUM_MAX        0x034
#define VMMIO_REG_QUEUE_NUM            0x038
#define VMMIO_REG_QUEUE_READY          0x044
#define VMMIO_REG_QUEUE_NOTIFY         0x050
#define VMMIO_REG_INTERRUPT_STATUS     0x060
#define VMMIO_REG_INTERRUPT_ACK        0x064
#define VMMIO_REG_STATUS               0x070
#define VMMIO_REG_QUEUE_DESC_LOW       0x080
#define VMMIO_REG_QUEUE_DESC_HIGH      0x084
#define VMMIO_REG_QUEUE_DRIVER_LOW     0x090
#define VMMIO_REG_QUEUE_DRIVER_HIGH    0x094
#define VMMIO_REG_QUEUE_DEVICE_LOW     0x0a0
#define VMMIO_REG_QUEUE_DEVICE_HIGH    0x0a4
#define VMMIO_REG_SHM_LEN_LOW          0x0b0
#define VMMIO_REG_SHM_BASE_HIGH        0x0bc
#define VMMIO_REG_CONFIG_GENERATION    0x0fc
#define VMMIO_REG_CONFIG               0x100

#endif
