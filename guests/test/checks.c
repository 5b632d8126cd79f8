/*
 * The `all` mode: what the VM was given (device tree, clean RAM, a working
 * stage 1, its UART), then the call checks, the probes and the benchmarks.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"

/* Far from any IPA a VM is given, so the alias cannot hide a real mapping. */
#define ALIAS_VA ((u64)0x00007f8000000000)

static void check_dtb(void)
{
	const char *missing = NULL;

	if (!plat.dtb_size) {
		check_fail("dtb", "no DTB header at 0x%lx", plat.dtb_addr);
		return;
	}
	if (!plat.fdt_ok) {
		check_fail("dtb", "DTB at 0x%lx (totalsize %u) does not parse", plat.dtb_addr,
			   plat.dtb_size);
		return;
	}
	printk("NOTE: DTB 0x%lx (%u bytes), RAM 0x%lx-0x%lx, image 0x%lx-0x%lx, UART 0x%lx, PSCI via %s\n",
	       plat.dtb_addr, plat.dtb_size, plat.ram_base, plat.ram_base + plat.ram_size,
	       (u64)_start, (u64)_end, plat.uart_base, plat.psci_smc ? "smc" : "hvc");
	if (!plat.has_memory)
		missing = "a /memory node with reg";
	else if (!plat.uart_base)
		missing = "an arm,pl011 node with reg";
	else if (!plat.bootargs)
		missing = "/chosen/bootargs";
	if (missing)
		check_fail("dtb", "no %s", missing);
	else
		check_pass("dtb");
}

/* Linux's boot protocol: x0 is the DTB's address, x1-x3 are zero. */
static void check_entry_regs(void)
{
	if (!plat.fdt_ok)
		check_fail("entry-regs", "x0 = 0x%lx is not a DTB that parses", entry_regs[0]);
	else if (entry_regs[0] != plat.dtb_addr)
		check_fail("entry-regs", "x0 = 0x%lx, but the DTB parsed is at 0x%lx",
			   entry_regs[0], plat.dtb_addr);
	else if (entry_regs[1] | entry_regs[2] | entry_regs[3])
		check_fail("entry-regs", "x1-x3 = 0x%lx 0x%lx 0x%lx, expected zeros",
			   entry_regs[1], entry_regs[2], entry_regs[3]);
	else
		check_pass("entry-regs");
}

/* Returns the first non-zero 8-byte-aligned address in [start, end), or end. */
static u64 first_nonzero(u64 start, u64 end)
{
	const u64 *p = (const u64 *)start;
	const u64 *stop = (const u64 *)end;

	/* Most of RAM is scanned in 64-byte strides with one test each. */
	while (stop - p >= 8) {
		if (p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7])
			break;
		p += 8;
	}
	for (; p < stop; p++) {
		if (*p)
			return (u64)p;
	}
	return end;
}

void check_ram_zeroed(void)
{
	u64 ram_end = plat.ram_base + plat.ram_size;
	/* Not ours to judge: our own image and the DTB the hypervisor wrote. */
	u64 skip[2][2] = {
		{ align_down((u64)_start, 8), align_up((u64)_end, 8) },
		{ align_down(plat.dtb_addr, 8), align_up(plat.dtb_addr + plat.dtb_size, 8) },
	};
	u64 a = align_up(plat.ram_base, 8);

	if (!plat.has_memory) {
		check_fail("ram-zeroed", "RAM unknown");
		return;
	}
	if (skip[1][0] < skip[0][0]) {
		u64 t0 = skip[0][0], t1 = skip[0][1];

		skip[0][0] = skip[1][0];
		skip[0][1] = skip[1][1];
		skip[1][0] = t0;
		skip[1][1] = t1;
	}
	for (int i = 0; i <= 2; i++) {
		u64 stop = i < 2 ? skip[i][0] : align_down(ram_end, 8);

		if (stop > align_down(ram_end, 8))
			stop = align_down(ram_end, 8);
		if (a < stop) {
			u64 bad = first_nonzero(a, stop);

			if (bad != stop) {
				check_fail("ram-zeroed", "0x%lx holds 0x%lx", bad, *(const u64 *)bad);
				return;
			}
		}
		if (i < 2 && skip[i][1] > a)
			a = skip[i][1];
	}
	check_pass("ram-zeroed");
}

static void check_mmu(void)
{
	static u64 page[PAGE_SIZE / 8] __attribute__((aligned(4096)));
	volatile u64 *alias = (volatile u64 *)ALIAS_VA;
	volatile u64 *direct = page;
	u64 sctlr = read_sysreg(sctlr_el1);

	if (!(sctlr & SCTLR_M)) {
		check_fail("mmu", "SCTLR_EL1.M is clear (0x%lx)", sctlr);
		return;
	}
	if (mmu_map_at(ALIAS_VA, (u64)page, PAGE_SIZE, MAP_NORMAL)) {
		check_fail("mmu", "cannot map alias 0x%lx", ALIAS_VA);
		return;
	}
	/* Through the alias, back through the identity map, and the reverse. */
	alias[0] = 0x0123456789abcdefull;
	alias[511] = 0xfedcba9876543210ull;
	direct[1] = 0x5a5a5a5aa5a5a5a5ull;
	if (direct[0] != 0x0123456789abcdefull || direct[511] != 0xfedcba9876543210ull ||
	    alias[1] != 0x5a5a5a5aa5a5a5a5ull)
		check_fail("mmu", "alias 0x%lx -> 0x%lx reads back 0x%lx/0x%lx/0x%lx", ALIAS_VA,
			   (u64)page, direct[0], direct[511], alias[1]);
	else
		check_pass("mmu");
}

static void check_pl011_id(void)
{
	static const u8 want[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	if (!plat.uart_base) {
		check_fail("pl011-id", "no UART");
		return;
	}
	for (int i = 0; i < 8; i++) {
		u64 reg = plat.uart_base + 0xfe0 + 4 * i;
		struct fault f;
		u32 v;

		probe_begin();
		v = probe_read32(reg);
		f = probe_end();
		if (f.taken) {
			check_fail("pl011-id", "read of 0x%lx faulted: ESR=0x%lx", reg, f.esr);
			return;
		}
		if ((v & 0xff) != want[i]) {
			check_fail("pl011-id", "0x%lx reads 0x%x, expected 0x%02x", reg, v, want[i]);
			return;
		}
	}
	check_pass("pl011-id");
}

void trap_regs_run(u64 id0, u64 out[32]);

/* Every register comes back from each trap path as the guest left it, but
 * for the results (trap_regs.S). */
static void check_trap_regs(void)
{
	u64 out[32];

	if (!plat.uart_base) {
		check_fail("trap-regs", "no UART");
		return;
	}
	trap_regs_run(plat.uart_base + 0xfe0, out);
	for (u32 n = 0; n < 32; n++) {
		u64 want = n == 0 ? 0x10001 : n == 7 || n == 25 ? 0x11 : n == 31 ? 0 :
			   n == 28 ? plat.uart_base + 0xfe0 : 0x1000 + n;

		if (out[n] != want) {
			check_fail("trap-regs", "%s%u is 0x%lx, expected 0x%lx",
				   n == 31 ? "the NOP's x0, " : "x", n == 31 ? 0 : n, out[n], want);
			return;
		}
	}
	check_pass("trap-regs");
}

void trap_regs_fixed_run(u64 addr, u64 out[32][32]);

/* A load of GICD_IIDR (a constant the hypervisor's vector answers from a
 * table) lands in whichever register the load names, with the value the
 * full path gives (an LDRSW, sign-extending, never takes the table), and
 * every other register comes back as it was (trap_regs_fixed.S). */
static void check_trap_regs_fixed(void)
{
	static u64 out[32][32];
	u64 addr, want_iidr;

	if (!gic.gicd && gic_probe()) {
		check_fail("trap-regs-mmio-table", "no GICv3 in the device tree");
		return;
	}
	addr = gic.gicd + 0x8;
	asm volatile("ldrsw %0, [%1]" : "=r"(want_iidr) : "r"(addr) : "memory");
	trap_regs_fixed_run(addr, out);
	for (u32 n = 0; n < 32; n++) {
		u32 base = n == 28 ? 27 : 28;

		for (u32 m = 0; m < 31; m++) {
			u64 want = m == n ? want_iidr : m == base ? addr : 0x2000 + m;

			if (out[n][m] != want) {
				check_fail("trap-regs-mmio-table", "load into %s%u: x%u is 0x%lx, expected 0x%lx",
					   n == 31 ? "w" : "x", n == 31 ? 31 : n, m, out[n][m], want);
				return;
			}
		}
	}
	check_pass("trap-regs-mmio-table");
}

void run_checks(void)
{
	bool hvc_works;

	check_dtb();
	check_entry_regs();
	check_ram_zeroed();
	run_sysreg_checks();
	check_mmu();
	hvc_works = run_call_checks();
	run_probes();
	check_pl011_id();
	check_trap_regs();
	check_trap_regs_fixed();
	run_bench(hvc_works);
	finish();
}
