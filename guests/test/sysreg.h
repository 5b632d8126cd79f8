/* System-register and barrier helpers for the test guest (runs at EL1). */
#ifndef GUEST_TEST_SYSREG_H
#define GUEST_TEST_SYSREG_H

#include "types.h"

#define read_sysreg(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) asm volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")

static inline void isb(void) { asm volatile("isb" : : : "memory"); }
static inline void dsb_sy(void) { asm volatile("dsb sy" : : : "memory"); }
static inline void dsb_ish(void) { asm volatile("dsb ish" : : : "memory"); }
static inline void dsb_ishst(void) { asm volatile("dsb ishst" : : : "memory"); }
/* Keeps the compiler from moving memory accesses across a point. */
static inline void barrier(void) { asm volatile("" : : : "memory"); }

static inline void wfi(void) { asm volatile("wfi" : : : "memory"); }

#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)
/* Bits that are RES1 in Armv8.0 (EOS, TSCXT, EIS, SPAN, nTLSMD, LSMAOE). */
#define SCTLR_RES1 ((1ull << 11) | (1ull << 20) | (1ull << 22) | (1ull << 23) | \
		    (1ull << 28) | (1ull << 29))

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_FSC(esr) ((esr) & 0x3f)
#define ESR_FNV (1ull << 10)
#define EC_UNKNOWN 0x00
#define EC_DABT_CUR 0x25
#define FSC_SEA 0x10

#endif
