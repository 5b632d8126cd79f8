/* Conditions of trapped AArch32 instructions (arch/arm64/aarch32_cond.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aarch32_cond.h"

#define EC_CP15_32 0x03ull
#define EC_SYSREG  0x18ull
#define CV         (1ull << 24)
#define A32_USR    0x10ull          /* M = usr, AArch32 */
#define T32        (1ull << 5)
#define N (8ull << 28)
#define Z (4ull << 28)
#define C (2ull << 28)
#define V (1ull << 28)

static u64 esr(u64 ec, bool cv, u64 cond)
{
	return ec << 26 | (cv ? CV : 0) | cond << 20;
}

/* ITSTATE as the architecture lays it out in SPSR. */
static u64 it(u32 bits)
{
	return (u64)(bits & 3) << 25 | (u64)(bits >> 2) << 10;
}

static void test_condition_codes(void **state)
{
	/* EQ/NE on Z, CS/CC on C, MI/PL on N, VS/VC on V */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x0), A32_USR | Z));
	assert_false(aarch32_condition_passed(esr(EC_CP15_32, true, 0x0), A32_USR));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x1), A32_USR));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x2), A32_USR | C));
	assert_false(aarch32_condition_passed(esr(EC_CP15_32, true, 0x3), A32_USR | C));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x4), A32_USR | N));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x7), A32_USR));
	/* HI: C and not Z; LS the opposite */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x8), A32_USR | C));
	assert_false(aarch32_condition_passed(esr(EC_CP15_32, true, 0x8), A32_USR | C | Z));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x9), A32_USR | Z));
	/* GE: N == V; LT: N != V; GT: not Z and N == V; LE otherwise */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0xa), A32_USR | N | V));
	assert_false(aarch32_condition_passed(esr(EC_CP15_32, true, 0xa), A32_USR | N));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0xb), A32_USR | V));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0xc), A32_USR));
	assert_false(aarch32_condition_passed(esr(EC_CP15_32, true, 0xc), A32_USR | Z));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0xd), A32_USR | Z));
	/* AL */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0xe), A32_USR));
}

static void test_unconditional_cases(void **state)
{
	/* from AArch64, or a class without a condition: always passed */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, true, 0x0), 0x5));
	assert_true(aarch32_condition_passed(esr(EC_SYSREG, true, 0x0), A32_USR));
	/* COND not valid and no IT block: passed */
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, false, 0x0), A32_USR | T32));
}

static void test_it_block_condition(void **state)
{
	/* COND not valid inside an IT block: ITSTATE[7:4] is the condition (EQ here) */
	u64 spsr = A32_USR | T32 | it(0x08);

	assert_false(aarch32_condition_passed(esr(EC_CP15_32, false, 0xe), spsr));
	assert_true(aarch32_condition_passed(esr(EC_CP15_32, false, 0xe), spsr | Z));
}

static void test_it_advance(void **state)
{
	/* IT[4:0] shifts left until IT[2:0] is zero; then the block ends */
	assert_int_equal(aarch32_it_advance(A32_USR | T32 | it(0x0c)),
			 A32_USR | T32 | it(0x18));
	assert_int_equal(aarch32_it_advance(A32_USR | T32 | it(0x08)), A32_USR | T32);
	/* outside an IT block, in A32, or from AArch64: unchanged */
	assert_int_equal(aarch32_it_advance(A32_USR | T32), A32_USR | T32);
	assert_int_equal(aarch32_it_advance(A32_USR | it(0x0c)), A32_USR | it(0x0c));
	assert_int_equal(aarch32_it_advance(0x5 | it(0x0c)), 0x5 | it(0x0c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_condition_codes),
		cmocka_unit_test(test_unconditional_cases),
		cmocka_unit_test(test_it_block_condition),
		cmocka_unit_test(test_it_advance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
