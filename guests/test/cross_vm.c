/*
 * Cross-VM isolation, seen from both sides:
 *
 *   test=fill   writes an address-dependent pattern over all of its RAM but
 *               its own image and DTB, waits for a key on its console, then
 *               checks that every word still holds it
 *   test=sweep  sweep=START-END: a load and a store at every 2 MiB of the
 *               guest-physical range (outside its own RAM); each must take a
 *               synchronous external abort
 *
 * The host runs the sweep between the fill and the key, over a range that
 * holds the filling VM's physical RAM: a hypervisor that let guest
 * addresses reach physical memory would show there as a load that returns
 * or as a changed word.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define SWEEP_STEP (2 * MiB)
#define SWEEP_MARKER 0x5a5aa5a5u
#define FILL_WAIT_MS (10 * 60 * 1000)

/* Differs at every address, so that a word copied from elsewhere shows too. */
static u64 pattern_at(u64 addr)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ 0xb01dface0ddba11ull;
}

/* Our RAM less our image and the DTB, as up to three [start, end) pieces. */
static u32 fill_regions(u64 r[3][2])
{
	u64 ram_end = plat.ram_base + plat.ram_size;
	u64 img = align_down((u64)_start, 8), img_end = align_up((u64)_end, 8);
	u64 dtb = align_down(plat.dtb_addr, 8);
	u64 dtb_end = align_up(plat.dtb_addr + plat.dtb_size, 8);
	u32 n = 0;

	/* The loader places the image below the DTB. */
	if (img > plat.ram_base)
		r[n][0] = plat.ram_base, r[n++][1] = img;
	if (dtb > img_end)
		r[n][0] = img_end, r[n++][1] = dtb;
	if (ram_end > dtb_end)
		r[n][0] = dtb_end, r[n++][1] = ram_end;
	return n;
}

static u64 first_changed(u64 start, u64 end)
{
	for (u64 a = start; a < end; a += 8) {
		if (*(volatile u64 *)a != pattern_at(a))
			return a;
	}
	return 0;
}

static int wait_key(void)
{
	int c = -1;

	for (u64 ms = 0; c < 0 && ms < FILL_WAIT_MS; ms++) {
		delay_ms(1);
		c = console_getc();
	}
	return c;
}

void mode_fill(void)
{
	u64 r[3][2], bytes = 0;
	u32 n;

	if (!plat.has_memory || plat.dtb_addr < (u64)_end) {
		printk("FAIL fill: RAM unknown or the DTB below the image\n");
		power_off();
	}
	n = fill_regions(r);
	for (u32 i = 0; i < n; i++) {
		for (u64 a = r[i][0]; a < r[i][1]; a += 8)
			*(volatile u64 *)a = pattern_at(a);
		bytes += r[i][1] - r[i][0];
	}
	printk("fill: %lu KiB of RAM hold the pattern; waiting for a key\n", bytes / KiB);
	if (wait_key() < 0) {
		printk("FAIL fill: no key within %u ms\n", FILL_WAIT_MS);
		power_off();
	}
	for (u32 i = 0; i < n; i++) {
		u64 bad = first_changed(r[i][0], r[i][1]);

		if (bad) {
			printk("FAIL fill: 0x%lx holds 0x%lx, expected 0x%lx\n", bad,
			       *(volatile u64 *)bad, pattern_at(bad));
			power_off();
		}
	}
	printk("fill: RAM unchanged (%lu KiB checked)\n", bytes / KiB);
	power_off();
}

bool parse_hex(const char *s, const char **end, u64 *out)
{
	u64 v = 0;
	int digits = 0;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (s += 2; digits < 16; s++, digits++) {
		char c = *s;

		if (c >= '0' && c <= '9')
			v = v << 4 | (u64)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (u64)(c - 'a' + 10);
		else
			break;
	}
	*end = s;
	*out = v;
	return digits > 0;
}

/* sweep=START-END, both 2 MiB aligned hex. */
static bool sweep_range(u64 *start, u64 *end)
{
	char word[48];
	const char *s;

	find_word(plat.bootargs, "sweep=", word, sizeof(word));
	return parse_hex(word, &s, start) && *s == '-' && parse_hex(s + 1, &s, end) && !*s &&
	       *start < *end && is_aligned(*start | *end, SWEEP_STEP);
}

/* One access; true when it took a synchronous external abort. */
static bool aborts(u64 addr, bool store)
{
	struct fault f;
	u32 val = 0;

	probe_begin();
	if (store)
		probe_write32(addr, SWEEP_MARKER);
	else
		val = probe_read32(addr);
	f = probe_end();
	if (!f.taken)
		printk("sweep: %s 0x%lx completed%s0x%x\n", store ? "store to" : "load from", addr,
		       store ? ", wrote " : ", read ", store ? SWEEP_MARKER : val);
	else if (ESR_EC(f.esr) != EC_DABT_CUR || ESR_FSC(f.esr) != FSC_SEA)
		printk("sweep: 0x%lx: ESR 0x%lx FAR 0x%lx, not a synchronous external abort\n",
		       addr, f.esr, f.far);
	return f.taken && ESR_EC(f.esr) == EC_DABT_CUR && ESR_FSC(f.esr) == FSC_SEA;
}

void mode_sweep(void)
{
	u64 start, end, ram_end = plat.ram_base + plat.ram_size;
	u32 accesses = 0, aborted = 0, skipped = 0;

	if (!plat.bootargs || !sweep_range(&start, &end)) {
		printk("FAIL sweep: bootargs need sweep=START-END (hex, 2 MiB aligned)\n");
		power_off();
	}
	for (u64 a = start; a < end; a += SWEEP_STEP) {
		if (a + SWEEP_STEP > plat.ram_base && a < ram_end) {
			skipped++;
			continue;
		}
		if (mmu_map(a, SWEEP_STEP, MAP_DEVICE)) {
			printk("FAIL sweep: cannot map 0x%lx in stage 1\n", a);
			power_off();
		}
		aborted += aborts(a, false) + aborts(a, true);
		accesses += 2;
	}
	printk("sweep 0x%lx-0x%lx step 0x%lx: %u accesses, %u external aborts, "
	       "%u steps in own RAM skipped\n", start, end, SWEEP_STEP, accesses, aborted, skipped);
	power_off();
}
