/* Fields of ESR_ELx, the exception syndrome. */
#ifndef BULKHEAD_ARM64_ESR_H
#define BULKHEAD_ARM64_ESR_H

#include "types.h"

#define ESR_EC_SHIFT 26
#define ESR_IL (1ull << 25)
#define ESR_ISS_MASK 0x1ffffffull

#define EC_UNKNOWN     0x00
#define EC_WFX         0x01
#define EC_CP15_32     0x03  /* AArch32 MCR/MRC, cp15 */
#define EC_CP15_64     0x04  /* AArch32 MCRR/MRRC, cp15 */
#define EC_CP14_32     0x05
#define EC_CP14_LS     0x06  /* AArch32 LDC/STC, cp14 */
#define EC_FP          0x07
#define EC_PAUTH       0x09
#define EC_BTI         0x0d  /* branch target exception (FEAT_BTI) */
#define EC_CP14_64     0x0c
#define EC_SYSREG128   0x14  /* MSRR/MRRS */
#define EC_SVC64       0x15
#define EC_HVC64       0x16
#define EC_SMC64       0x17
#define EC_SYSREG      0x18
#define EC_SVE         0x19
#define EC_FPAC        0x1c  /* failed authentication (FEAT_FPAC) */
#define EC_SME         0x1d
#define EC_IABT_LOW    0x20
#define EC_IABT_CUR    0x21
#define EC_PC_ALIGN    0x22
#define EC_DABT_LOW    0x24
#define EC_DABT_CUR    0x25
#define EC_SP_ALIGN    0x26
#define EC_SERROR      0x2f

/* Data abort ISS */
#define DABT_ISV       (1ull << 24)
#define DABT_SAS_SHIFT 22
#define DABT_SSE       (1ull << 21)
#define DABT_SRT_SHIFT 16
#define DABT_SF        (1ull << 15)
#define DABT_S1PTW     (1ull << 7)
#define DABT_WNR       (1ull << 6)
#define FSC_MASK       0x3full
#define FSC_SEA        0x10ull  /* synchronous external abort */
#define FSC_TRANS_MASK 0x3cull
#define FSC_TRANS      0x04ull  /* translation fault, levels 0-3 */

static inline u32 esr_ec(u64 esr)
{
	return (u32)(esr >> ESR_EC_SHIFT) & 0x3f;
}

#endif
