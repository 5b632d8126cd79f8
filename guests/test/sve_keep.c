/*
 * test=sve-keep vl=BITS [io=1] [ms=N]: SVE as the VM's config gives it.
 * vl=0: SVE must be hidden (ID_AA64PFR0_EL1.SVE 0, RDVL UNDEFINED).
 * Otherwise SVE must be shown, with ZCR_EL1.LEN at its largest RDVL must
 * give BITS, and the Z, P and FFR registers must hold a pattern of this VM's
 * own (from its name) for ms= milliseconds (5 s by default) while another VM
 * on the same CPU holds a different one, and, with io=1, while this guest
 * writes and reads its first disk (Bulkhead copies that data with SIMD
 * registers). The low 128 bits of each Z register must read as its V
 * register. The CPU must have been taken away at least once.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vblk.h"
#include "lib/string.h"

#define CPACR_ZEN (3ull << 16)
#define CPACR_FPEN (3ull << 20)
#define ZCR_EL1 "s3_0_c1_c2_0"
#define SVE_KEEP_DEFAULT_MS 5000
#define MAX_VL 256                              /* bytes: 2048 bits */
#define AREA_MAX (32 * MAX_VL + 17 * MAX_VL / 8)
#define IO_BYTES 4096

u64 sve_vl(void);
void sve_load_all(const u8 *from);
void sve_store_all(u8 *to);
void simd_store_all(u8 *to);

static u8 want[AREA_MAX] __attribute__((aligned(16)));
static u8 got[AREA_MAX] __attribute__((aligned(16)));
static u8 low_q[512] __attribute__((aligned(16)));
static u8 io_out[IO_BYTES] __attribute__((aligned(4096)));
static u8 io_in[IO_BYTES] __attribute__((aligned(4096)));

static u32 bootarg_u32(const char *key, bool *given)
{
	char word[12];
	u32 n = 0;

	find_word(plat.bootargs, key, word, sizeof(word));
	*given = word[0] != '\0';
	for (const char *c = word; *c >= '0' && *c <= '9' && n < 100000; c++)
		n = n * 10 + (u32)(*c - '0');
	return n;
}

static u64 name_seed(const char *name)
{
	u64 h = 0xcbf29ce484222325ull;

	while (*name)
		h = (h ^ (u8)*name++) * 0x100000001b3ull;
	return h | 1;
}

static u8 next_byte(u64 *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (u8)(*s >> 56);
}

/* Z and P from the VM's seed; FFR a run of true lanes from the first (the
 * only kind WRFFR is defined for), as long as the seed says. */
static u64 make_pattern(u64 vl)
{
	u64 s = name_seed(plat.name), size = 32 * vl + 17 * vl / 8;
	u8 *ffr = want + 32 * vl + 16 * vl / 8;
	u64 lanes;

	for (u64 i = 0; i < size; i++)
		want[i] = next_byte(&s);
	lanes = 1 + next_byte(&s) % vl;
	memset(ffr, 0, vl / 8);
	for (u64 i = 0; i < lanes; i++)
		ffr[i / 8] |= (u8)(1u << (i % 8));
	return size;
}

static void check_hidden(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	struct fault f;

	/* the guest's own SVE trap off, so that only the hypervisor can refuse */
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_ZEN | CPACR_FPEN);
	isb();
	probe_begin();
	asm volatile(".inst 0x04bf5020" : : : "x0", "memory");  /* RDVL x0, #1 */
	f = probe_end();
	if ((pfr0 >> 32) & 0xf)
		check_fail("sve-keep", "SVE shown (ID_AA64PFR0_EL1 0x%lx) to a VM without it", pfr0);
	else if (!f.taken || ESR_EC(f.esr) != EC_UNKNOWN)
		check_fail("sve-keep", "RDVL %s (ESR 0x%lx), expected UNDEFINED",
			   f.taken ? "took the wrong exception" : "ran", f.esr);
	else
		check_pass("sve-keep");
	finish();
}

/* One 4 KiB write of fresh data and its read back; false when it failed. */
static bool disk_round(struct vblk *b, u32 round)
{
	u64 s = name_seed(plat.name) + round;

	for (u32 i = 0; i < IO_BYTES; i++)
		io_out[i] = next_byte(&s);
	if (vblk_request(b, VBLK_T_OUT, (round % 64) * 8, io_out, IO_BYTES, 5000) != VBLK_S_OK ||
	    vblk_request(b, VBLK_T_IN, (round % 64) * 8, io_in, IO_BYTES, 5000) != VBLK_S_OK)
		return false;
	return memcmp(io_in, io_out, IO_BYTES) == 0;
}

static const char *open_disk(struct vblk *b)
{
	const char *why = vblk_probe(b);

	return why ? why : vblk_init(b, 1ull << VF_VERSION_1, NULL);
}

/* The first byte that differs, said as the register it belongs to. */
static void report_change(u64 vl, u64 size, u64 checks)
{
	u64 i = 0;

	while (i < size && got[i] == want[i])
		i++;
	if (i < 32 * vl)
		check_fail("sve-keep", "z%lu byte %lu changed after %lu checks", i / vl, i % vl, checks);
	else if (i < 32 * vl + 16 * vl / 8)
		check_fail("sve-keep", "p%lu changed after %lu checks", (i - 32 * vl) / (vl / 8),
			   checks);
	else
		check_fail("sve-keep", "FFR changed after %lu checks", checks);
}

/* V registers are the low 128 bits of the Z registers. */
static bool v_is_low_z(u64 vl)
{
	simd_store_all(low_q);
	for (u32 r = 0; r < 32; r++) {
		if (memcmp(low_q + 16 * r, want + r * vl, 16))
			return false;
	}
	return true;
}

static void hold(u64 vl, u64 size, bool io)
{
	u64 ms = plat.ms ? plat.ms : SVE_KEEP_DEFAULT_MS;
	u64 freq = read_sysreg(cntfrq_el0);
	u64 start = now_ticks(), end = start + ms_to_ticks(ms), last = start, now;
	u64 checks = 0;
	u32 gaps = 0, rounds = 0;
	struct vblk b = { 0 };
	const char *why = io ? open_disk(&b) : NULL;

	if (why) {
		check_fail("sve-keep", "disk: %s", why);
		finish();
	}
	sve_load_all(want);
	if (!v_is_low_z(vl)) {
		check_fail("sve-keep", "V registers are not the low 128 bits of the Z registers");
		finish();
	}
	do {
		if (io && !disk_round(&b, rounds++)) {
			check_fail("sve-keep", "disk round %u failed", rounds - 1);
			finish();
		}
		sve_store_all(got);
		checks++;
		if (memcmp(got, want, size)) {
			report_change(vl, size, checks);
			finish();
		}
		now = now_ticks();
		gaps += now - last > freq / 500;  /* 2 ms without running */
		last = now;
	} while (now < end);
	printk("SVE-KEPT %lu checks, %u disk rounds, CPU taken away %u time(s)\n", checks, rounds,
	       gaps);
	if (!gaps)
		check_fail("sve-keep", "never lost the CPU: nothing else ran to test against");
	else
		check_pass("sve-keep");
}

void mode_sve_keep(void)
{
	bool given, io_given;
	u32 bits = bootarg_u32("vl=", &given);
	bool io = bootarg_u32("io=", &io_given) == 1;
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1), zcr, vl, size;

	printk("sve-keep: %s, expecting %u-bit vectors\n", plat.name, bits);
	if (!given) {
		check_fail("sve-keep", "no vl= in the bootargs");
		finish();
	}
	if (!bits)
		check_hidden();
	if (!((pfr0 >> 32) & 0xf)) {
		check_fail("sve-keep", "SVE hidden: ID_AA64PFR0_EL1 0x%lx", pfr0);
		finish();
	}
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_ZEN | CPACR_FPEN);
	isb();
	asm volatile("msr " ZCR_EL1 ", %0" : : "r"(0xfull) : "memory");
	isb();
	asm volatile("mrs %0, " ZCR_EL1 : "=r"(zcr));
	vl = sve_vl();
	printk("NOTE: sve: RDVL %lu bytes, ZCR_EL1 0x%lx, ID_AA64ZFR0_EL1 0x%lx\n", vl, zcr,
	       read_sysreg(s3_0_c0_c4_4));
	if ((zcr & 0xf) != 0xf || vl * 8 != bits || vl > MAX_VL) {
		check_fail("sve-keep", "ZCR_EL1 0x%lx, vector length %lu bits, expected %u", zcr,
			   vl * 8, bits);
		finish();
	}
	size = make_pattern(vl);
	hold(vl, size, io);
	finish();
}
