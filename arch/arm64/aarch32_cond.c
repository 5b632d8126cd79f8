/*
 * Trapped AArch32 instructions may be conditional, and the architecture lets
 * one trap even when its condition fails. Such an instruction does nothing on
 * real hardware, so Bulkhead must skip it instead of emulating it or raising
 * UNDEFINED. Pure functions of ESR_EL2 and SPSR_EL2: host-testable.
 */
#include "aarch32_cond.h"

#define ESR_EC_SHIFT    26
#define ISS_CV          (1ull << 24)  /* COND is valid */
#define ISS_COND_SHIFT  20
#define SPSR_AARCH32    (1ull << 4)   /* M[4]: taken from AArch32 state */
#define SPSR_T          (1ull << 5)   /* T32 state */
#define SPSR_NZCV_SHIFT 28
#define COND_ALWAYS     0xe

/* ITSTATE: IT[1:0] in SPSR[26:25], IT[7:2] in SPSR[15:10]. */
static u32 it_state(u64 spsr)
{
	return (u32)((spsr >> 25) & 3) | (u32)((spsr >> 10) & 0x3f) << 2;
}

static u64 with_it_state(u64 spsr, u32 it)
{
	spsr &= ~((3ull << 25) | (0x3full << 10));
	return spsr | (u64)(it & 3) << 25 | (u64)((it >> 2) & 0x3f) << 10;
}

static bool cond_holds(u32 cond, u32 nzcv)
{
	bool n = nzcv & 8, z = nzcv & 4, c = nzcv & 2, v = nzcv & 1;
	bool r;

	switch (cond >> 1) {
	case 0: r = z; break;                 /* EQ */
	case 1: r = c; break;                 /* CS */
	case 2: r = n; break;                 /* MI */
	case 3: r = v; break;                 /* VS */
	case 4: r = c && !z; break;           /* HI */
	case 5: r = n == v; break;            /* GE */
	case 6: r = !z && n == v; break;      /* GT */
	default: return true;                 /* AL, and 0xf (unconditional) */
	}
	/* odd codes are the negations, as NE of EQ */
	return (cond & 1) ? !r : r;
}

bool aarch32_condition_passed(u64 esr, u64 spsr)
{
	u32 cond;

	/* only AArch32 code, and only classes below 0x10 (MCR, MRC, LDC, ...),
	 * carry a condition */
	if (!(spsr & SPSR_AARCH32) || ((esr >> ESR_EC_SHIFT) & 0x30))
		return true;
	if (esr & ISS_CV) {
		cond = (u32)(esr >> ISS_COND_SHIFT) & 0xf;
	} else {
		/* COND unknown: in a T32 IT block the condition is ITSTATE's */
		u32 it = it_state(spsr);

		if (!(spsr & SPSR_T) || !it)
			return true;
		cond = it >> 4;
	}
	if (cond == COND_ALWAYS)
		return true;
	return cond_holds(cond, (u32)(spsr >> SPSR_NZCV_SHIFT) & 0xf);
}

u64 aarch32_it_advance(u64 spsr)
{
	u32 it = it_state(spsr);

	if (!(spsr & SPSR_AARCH32) || !(spsr & SPSR_T) || !it)
		return spsr;
	/* the last instruction of the block ends it; otherwise IT[4:0] shifts */
	if (!(it & 7))
		it = 0;
	else
		it = (it & 0xe0) | ((it << 1) & 0x1f);
	return with_it_state(spsr, it);
}
