/*
 * Choosing and installing the pointer-authentication key and the stack
 * canary. These functions run while the key and canary change, so the
 * Makefile builds this file without return-address signing or the stack
 * protector: a function signed or guarded under one value and checked under
 * another would fail its own check. Nothing here returns into a frame that
 * was set up under the old values (head.S calls it first).
 *
 * At EL2 with HCR_EL2.E2H = 0 the return-address key is APIAKey_EL1, the
 * register a guest's EL1 would use. Guests never reach it: its accesses
 * trap (HCR_EL2.APK clear) and so does every enabled PAC instruction
 * (HCR_EL2.API clear), which is UNDEFINED to them since PAuth is hidden in
 * their ID registers. So the key is written once per CPU and never switched.
 */
#include "cfi.h"
#include "lib/fdt.h"
#include "sysregs.h"

#define SCTLR_ENIA (1ull << 31)

/* GCC's stack protector compares against this (-fstack-protector-strong). */
u64 __stack_chk_guard;

static u64 pac_key_lo, pac_key_hi;
static u32 seed_sources;
static bool pauth_on;

static u64 field(u64 reg, u32 shift)
{
	return (reg >> shift) & 0xf;
}

bool arm64_cpu_has_pauth(void)
{
	u64 isar1 = read_id_aa64isar1_el1();

	/* APA, API (ID_AA64ISAR1_EL1) or APA3 (ID_AA64ISAR2_EL1, RAZ before v8.6) */
	return field(isar1, 4) || field(isar1, 8) || field(read_id_aa64isar2_el1(), 12);
}

bool arm64_cpu_has_bti(void)
{
	return field(read_id_aa64pfr1_el1(), 0) != 0;
}

u64 arm64_sctlr_el2_cfi(void)
{
	return pauth_on ? SCTLR_ENIA : 0;
}

u32 arm64_cfi_seed_sources(void)
{
	return seed_sources;
}

/* A bijective 64-bit mixer: folds each seed word into the state so that
 * every input bit moves every output bit. */
static u64 mix(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static u64 absorb(u64 state, u64 word)
{
	return mix(state ^ mix(word + 0x9e3779b97f4a7c15ull));
}

/* RNDR (FEAT_RNG), only where ID_AA64ISAR0_EL1.RNDR says it exists: it is
 * UNDEFINED on older CPUs. It may fail for a while (Z set): retry a few times. */
static bool read_rndr(u64 *out)
{
	if (!field(read_id_aa64isar0_el1(), 60))
		return false;
	for (int tries = 0; tries < 16; tries++) {
		u64 v, ok;

		__asm__ volatile("mrs %0, S3_3_C2_C4_0\n\tcset %1, ne" : "=r"(v), "=r"(ok) : : "cc");
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}

static u64 absorb_bytes(u64 state, const u8 *p, u32 len)
{
	for (u32 i = 0; i < len; i += 8) {
		u64 w = 0;

		for (u32 j = 0; j < 8 && i + j < len; j++)
			w |= (u64)p[i + j] << (8 * j);
		state = absorb(state, w);
	}
	return state;
}

/* The boot loader's seeds in /chosen (QEMU's virt board writes both). The
 * tree is only read here; core/platform.c validates it again for the rest. */
static u64 absorb_dt(u64 state, u64 dtb_pa)
{
	const void *blob = (const void *)(uintptr_t)dtb_pa;
	u32 size = dtb_pa ? fdt_header_size(blob) : 0;
	struct fdt fdt;
	const void *data;
	u32 len;
	int chosen;

	if (!size || size > 16 * 1024 * 1024 || fdt_open(&fdt, blob, size) != 0)
		return state;
	chosen = fdt_find_path(&fdt, "/chosen");
	if (chosen < 0)
		return state;
	if (fdt_get_prop(&fdt, chosen, "rng-seed", &data, &len) && len >= 8) {
		state = absorb_bytes(state, data, len);
		seed_sources |= CFI_SEED_RNG_SEED;
	}
	if (fdt_get_prop(&fdt, chosen, "kaslr-seed", &data, &len) && len == 8) {
		state = absorb_bytes(state, data, len);
		seed_sources |= CFI_SEED_KASLR_SEED;
	}
	return state;
}

void arm64_cfi_boot(u64 dtb_pa)
{
	u64 state = absorb(0, read_cntpct_el0());
	u64 r;

	for (int i = 0; i < 4; i++) {
		if (!read_rndr(&r))
			break;
		state = absorb(state, r);
		seed_sources |= CFI_SEED_RNDR;
	}
	state = absorb_dt(state, dtb_pa);
	/* a zero low byte stops a string copy from reproducing the canary */
	__stack_chk_guard = mix(state + 1) & ~0xffull;
	pac_key_lo = mix(state + 2);
	pac_key_hi = mix(state + 3);
	/* entered at EL1, the EL2 registers are UNDEFINED: boot_main says why
	 * Bulkhead cannot run, unsigned */
	if (((read_currentel() >> 2) & 3) != 2)
		return;
	pauth_on = arm64_cpu_has_pauth();
	arm64_cfi_cpu_init();
}

void arm64_cfi_cpu_init(void)
{
	if (!pauth_on)
		return;
	__asm__ volatile("msr S3_0_C2_C1_0, %0\n\tmsr S3_0_C2_C1_1, %1"  /* APIAKeyLo/Hi_EL1 */
			 : : "r"(pac_key_lo), "r"(pac_key_hi));
	write_tcr_el2(arm64_tcr_el2());
	write_sctlr_el2(read_sctlr_el2() | SCTLR_ENIA);
	isb();
}
