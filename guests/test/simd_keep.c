/*
 * simd-keep: the guest's FP/SIMD registers and FPCR hold what it put there,
 * whatever Bulkhead does on this CPU meanwhile. Bulkhead copies disk data
 * with SIMD registers (arch_copy_bulk) and re-enters a vCPU that was the
 * last one on its CPU without loading its FP/SIMD state again: a copy that
 * did not put back what it used would show here as a changed register,
 * when a VM beside this one does disk I/O on the same CPU. Runs `ms=`
 * milliseconds (5 s without it), then reports.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "lib/string.h"

#define CPACR_FPEN (3ull << 20)
#define FPCR_RMODE_UP (1ull << 22)  /* round towards +infinity: not the reset value */
#define SIMD_KEEP_DEFAULT_MS 5000

void simd_load_all(const u8 *from);
void simd_store_all(u8 *to);

static u8 want[512] __attribute__((aligned(16)));
static u8 got[512] __attribute__((aligned(16)));

static void report_change(u64 checks)
{
	for (u32 r = 0; r < 32; r++) {
		if (memcmp(got + 16 * r, want + 16 * r, 16))
			printk("FAIL simd-keep: v%u changed after %lu checks\n", r, checks);
	}
}

void mode_simd_keep(void)
{
	u64 ms = plat.ms ? plat.ms : SIMD_KEEP_DEFAULT_MS;
	u64 end = now_ticks() + ms_to_ticks(ms);
	u64 checks = 0;

	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_FPEN);
	isb();
	for (u32 i = 0; i < sizeof(want); i++)
		want[i] = (u8)(i * 37 + 11);
	simd_load_all(want);
	write_sysreg(fpcr, FPCR_RMODE_UP);
	printk("simd-keep: checking v0-v31 and FPCR for %lu ms\n", ms);
	while (now_ticks() < end) {
		simd_store_all(got);
		checks++;
		if (memcmp(got, want, sizeof(want))) {
			report_change(checks);
			power_off();
		}
		if (read_sysreg(fpcr) != FPCR_RMODE_UP) {
			printk("FAIL simd-keep: FPCR changed after %lu checks\n", checks);
			power_off();
		}
	}
	printk("SIMD-KEPT %lu checks\n", checks);
	power_off();
}
