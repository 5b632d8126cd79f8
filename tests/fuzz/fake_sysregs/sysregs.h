/*
 * Host stand-in for arch/arm64/include/sysregs.h, for fuzz targets that
 * compile arch/arm64 code which touches system registers (fuzz_sysreg):
 * each read_<reg>() / write_<reg>() goes to a table the target owns, keyed
 * by the register's name. Found first through -iquote (fuzz.mk), so the
 * real header, whose accessors are AArch64 instructions, is never seen.
 * Only the registers the fuzzed code uses are listed.
 */
#ifndef BULKHEAD_ARM64_SYSREGS_H
#define BULKHEAD_ARM64_SYSREGS_H

#include "types.h"

u64 fake_sysreg_read(const char *name);
void fake_sysreg_write(const char *name, u64 v);

#define SYSREG_READ(reg) \
	static inline u64 read_##reg(void) { return fake_sysreg_read(#reg); }
#define SYSREG_WRITE(reg) \
	static inline void write_##reg(u64 v) { fake_sysreg_write(#reg, v); }
#define SYSREG_RW(reg) SYSREG_READ(reg) SYSREG_WRITE(reg)

SYSREG_READ(id_pfr0_el1) SYSREG_READ(id_pfr1_el1) SYSREG_READ(id_dfr0_el1) SYSREG_READ(id_afr0_el1)
SYSREG_READ(id_mmfr0_el1) SYSREG_READ(id_mmfr1_el1) SYSREG_READ(id_mmfr2_el1) SYSREG_READ(id_mmfr3_el1)
SYSREG_READ(id_isar0_el1) SYSREG_READ(id_isar1_el1) SYSREG_READ(id_isar2_el1) SYSREG_READ(id_isar3_el1)
SYSREG_READ(id_isar4_el1) SYSREG_READ(id_isar5_el1)
SYSREG_READ(mvfr0_el1) SYSREG_READ(mvfr1_el1) SYSREG_READ(mvfr2_el1)
SYSREG_READ(id_aa64pfr0_el1) SYSREG_READ(id_aa64pfr1_el1) SYSREG_READ(id_aa64dfr0_el1)
SYSREG_READ(id_aa64isar0_el1) SYSREG_READ(id_aa64isar1_el1) SYSREG_READ(id_aa64isar2_el1)
SYSREG_READ(id_aa64mmfr0_el1) SYSREG_READ(id_aa64mmfr1_el1) SYSREG_READ(id_aa64mmfr2_el1)
SYSREG_RW(sctlr_el1) SYSREG_RW(ttbr0_el1) SYSREG_RW(ttbr1_el1) SYSREG_RW(tcr_el1)
SYSREG_RW(afsr0_el1) SYSREG_RW(afsr1_el1) SYSREG_RW(esr_el1) SYSREG_RW(far_el1)
SYSREG_RW(mair_el1) SYSREG_RW(amair_el1) SYSREG_RW(contextidr_el1)

static inline void isb(void) {}

#endif
