/*
 * Self-hosted debug registers (op0 2) that vdebug.c switches per vCPU:
 * the breakpoint and watchpoint pairs by index, and the OS lock.
 */
#ifndef BULKHEAD_ARM64_DBGREGS_H
#define BULKHEAD_ARM64_DBGREGS_H

#include "sysregs.h"

/* Each pair's number is part of the instruction's encoding: one case each. */
#define DBG_PAIRS(X, op2) X(0, op2) X(1, op2) X(2, op2) X(3, op2) X(4, op2) X(5, op2) \
	X(6, op2) X(7, op2) X(8, op2) X(9, op2) X(10, op2) X(11, op2) X(12, op2)       \
	X(13, op2) X(14, op2) X(15, op2)
#define DBG_READ_CASE(n, op2) \
	case n: __asm__ volatile("mrs %0, s2_0_c0_c" #n "_" #op2 : "=r"(v)); break;
#define DBG_WRITE_CASE(n, op2) \
	case n: __asm__ volatile("msr s2_0_c0_c" #n "_" #op2 ", %0" : : "r"(v)); break;
#define DBG_INDEXED(name, op2)                                \
	static inline u64 read_##name(u32 n)                  \
	{                                                     \
		u64 v = 0;                                    \
		switch (n) { DBG_PAIRS(DBG_READ_CASE, op2) }  \
		return v;                                     \
	}                                                     \
	static inline void write_##name(u32 n, u64 v)         \
	{                                                     \
		switch (n) { DBG_PAIRS(DBG_WRITE_CASE, op2) } \
	}

DBG_INDEXED(dbgbvr, 4)
DBG_INDEXED(dbgbcr, 5)
DBG_INDEXED(dbgwvr, 6)
DBG_INDEXED(dbgwcr, 7)

SYSREG_RW(mdscr_el1)
SYSREG_RW(mdccint_el1)
SYSREG_RW(osdlr_el1)
SYSREG_READ(oslsr_el1)
SYSREG_WRITE(oslar_el1)

#endif
