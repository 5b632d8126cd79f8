/*
 * Control-flow protection of Bulkhead's own code at EL2 (docs/security.md):
 * return addresses signed with the APIA key (FEAT_PAuth), text mapped
 * guarded (FEAT_BTI), a random stack-protector canary.
 */
#ifndef BULKHEAD_ARM64_CFI_H
#define BULKHEAD_ARM64_CFI_H

#include "types.h"

/* Where the key and canary came from (cfi_seed_sources). */
#define CFI_SEED_RNDR       (1u << 0)
#define CFI_SEED_RNG_SEED   (1u << 1)  /* /chosen/rng-seed */
#define CFI_SEED_KASLR_SEED (1u << 2)  /* /chosen/kaslr-seed */

/* head.S, on CPU 0 before any protected function: chooses the key and the
 * canary, then arm64_cfi_cpu_init. */
void arm64_cfi_boot(u64 dtb_pa);
/* head.S, on every other CPU before any protected function. */
void arm64_cfi_cpu_init(void);

bool arm64_cpu_has_pauth(void);
bool arm64_cpu_has_bti(void);
/* SCTLR_EL2 bits the MMU's enable must keep (EnIA where PAuth is on). */
u64 arm64_sctlr_el2_cfi(void);
/* CFI_SEED_* of the boot's seed; 0: only the counter (no randomness offered). */
u32 arm64_cfi_seed_sources(void);
/* The value arm64_mmu_enable gives TCR_EL2 (mmu.c): written before signing
 * starts too, since T0SZ sets where a signature sits in a pointer. */
u64 arm64_tcr_el2(void);

#endif
