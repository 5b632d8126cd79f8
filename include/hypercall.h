/*
 * The Bulkhead hypercall ABI, shared by the hypervisor and in-tree guests.
 *
 * Calls follow the Arm SMC Calling Convention (SMCCC 1.1): HVC #0 with the
 * function ID in w0 and arguments in x1-x6; results come back in x0-x3.
 * Bulkhead's own calls use the "vendor-specific hypervisor service" owner
 * (OEN 6) as 64-bit fast calls. See docs/hypercalls.md.
 */
#ifndef BULKHEAD_HYPERCALL_H
#define BULKHEAD_HYPERCALL_H

#define SMCCC_FAST_CALL       0x80000000u
#define SMCCC_64BIT           0x40000000u
#define SMCCC_OWNER_SHIFT     24
#define SMCCC_OWNER_MASK      0x3fu
#define SMCCC_OWNER_ARCH      0u
#define SMCCC_OWNER_STANDARD  4u   /* PSCI lives here */
#define SMCCC_OWNER_VENDOR_HYP 6u

#define SMCCC_NOT_SUPPORTED   (-1)

/* SMCCC architecture calls (owner 0). */
#define SMCCC_VERSION           0x80000000u
#define SMCCC_ARCH_FEATURES     0x80000001u

/* Bulkhead calls by number: what the hypervisor's core handles, whatever
 * calling convention carried them. */
#define BH_CALL_NOP           0   /* returns 0: the null hypercall */
#define BH_CALL_VERSION       1   /* returns (major << 16) | minor */
#define BH_CALL_CONSOLE_PUTC  2   /* first argument = byte; returns 0 */
#define BH_CALL_PANIC         3   /* first argument = guest's code; the VM crashes */
#define BH_NOT_SUPPORTED      (-1)

/* On arm64: owner 6, 64-bit, fast; arguments from x1, the result in x0. */
#define BH_HC_BASE            0xC6000000u
#define BH_HC_NOP             (BH_HC_BASE + BH_CALL_NOP)
#define BH_HC_VERSION         (BH_HC_BASE + BH_CALL_VERSION)
#define BH_HC_CONSOLE_PUTC    (BH_HC_BASE + BH_CALL_CONSOLE_PUTC)   /* x1 = byte */
#define BH_HC_PANIC           (BH_HC_BASE + BH_CALL_PANIC)          /* x1 = guest's code */

#define BH_ABI_MAJOR 0
#define BH_ABI_MINOR 1

/* PSCI 0.2+ function IDs (SMC32 / SMC64 forms). */
#define PSCI_VERSION            0x84000000u
#define PSCI_CPU_SUSPEND_64     0xC4000001u
#define PSCI_CPU_OFF            0x84000002u
#define PSCI_CPU_ON_32          0x84000003u
#define PSCI_CPU_ON_64          0xC4000003u
#define PSCI_AFFINITY_INFO_32   0x84000004u
#define PSCI_AFFINITY_INFO_64   0xC4000004u
#define PSCI_MIGRATE_INFO_TYPE  0x84000006u
#define PSCI_SYSTEM_OFF         0x84000008u
#define PSCI_SYSTEM_RESET       0x84000009u
#define PSCI_FEATURES           0x8400000Au

#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_ON_PENDING         (-5)
#define PSCI_INTERNAL_FAILURE   (-6)
#define PSCI_NOT_PRESENT        (-7)
#define PSCI_DISABLED           (-8)
#define PSCI_INVALID_ADDRESS    (-9)

#endif
