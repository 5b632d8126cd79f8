/*
 * The fuzz guest: bootargs seed=N ops=N [secondary_ops=N] [fuzz_selftest=1]
 * [trace_from=N]. vCPU 0 finds its
 * targets in the device tree, runs `ops` random ops (PSCI CPU_ON among them
 * starts the other vCPUs, which run their own share and turn themselves
 * off), waits for the others, prints one FUZZ DONE line and powers the VM
 * off. Violations are printed as FUZZ VIOLATION lines as they are found.
 */
#include "guests/fuzz/fuzz.h"
#include "guests/test/sysreg.h"
#include "hypercall.h"
#include "lib/string.h"

#define CPACR_FPEN (3ull << 20)
#define WAIT_OFF_MS 20000

struct platform plat;
u64 entry_regs[4];
struct fuzz fz;
struct fuzz_cpu cpus[FUZZ_MAX_CPUS];
u8 vring_scratch[VRING_SCRATCH_SIZE] __attribute__((aligned(4096)));

/* Read by smp.S with the MMU off (layout shared with the test guest). */
struct smp_boot_regs {
	u64 mair, tcr, ttbr0, sctlr;
} smp_boot __attribute__((aligned(64)));
volatile u32 secondary_stage __attribute__((aligned(64)));
static volatile u64 secondary_runs;

static u64 parse_number(const char *key, u64 dflt)
{
	char word[24];
	u64 v = 0;

	find_word(plat.bootargs, key, word, sizeof(word));
	if (!word[0])
		return dflt;
	for (const char *c = word; *c >= '0' && *c <= '9'; c++)
		v = v * 10 + (u64)(*c - '0');
	return v;
}

static void map_or_die(u64 addr, u64 size, enum map_kind kind)
{
	if (mmu_map(addr, size, kind)) {
		printk("FUZZ FAIL cannot map 0x%lx+0x%lx\n", addr, size);
		power_off();
	}
}

/*
 * Each vCPU's code slot has a page to itself, which nothing but the slot's
 * own writes touches. Beside data written on every op (the register
 * images), QEMU 7.2's detection of modified code missed some slot writes
 * under the soak's load: a stale translation of the previous op ran (the
 * slot's memory held the new op; the branch back proved the old one ran).
 */
static u32 slot_pages[FUZZ_MAX_CPUS][PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

static void cpu_init(struct fuzz_cpu *c, u64 seed)
{
	c->index = (u32)(read_sysreg(mpidr_el1) & 0xff);
	c->slot = slot_pages[c->index & (FUZZ_MAX_CPUS - 1)];
	c->rng = seed;
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_FPEN);
	isb();
}

void secondary_main(u64 context);

void secondary_main(u64 context)
{
	u32 index = (u32)(read_sysreg(mpidr_el1) & 0xff);
	struct fuzz_cpu *c = &cpus[index & (FUZZ_MAX_CPUS - 1)];
	u64 run = __atomic_add_fetch(&secondary_runs, 1, __ATOMIC_RELAXED);

	(void)context;
	cpu_init(c, fz.seed ^ (run * 0x9e3779b97f4a7c15ull) ^ index);
	fuzz_run(c, fz.secondary_ops);
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
	fuzz_lock();
	printk("\nFUZZ VIOLATION cpu %u: CPU_OFF returned\n", index);
	fuzz_unlock();
	c->violations++;
	halt();
}

static void setup(void)
{
	u64 img = (u64)_start, img_size = (u64)_end - (u64)_start;

	fz.ram_end = plat.ram_base + plat.ram_size;
	map_or_die(plat.ram_base, plat.ram_size, MAP_NORMAL);
	if (img < plat.ram_base || img + img_size > fz.ram_end)
		map_or_die(img, img_size, MAP_NORMAL);
	if (plat.uart_base)
		map_or_die(plat.uart_base, PAGE_SIZE, MAP_DEVICE);
	mmu_enable();
	targets_find();
	targets_map();
	smp_boot.mair = read_sysreg(mair_el1);
	smp_boot.tcr = read_sysreg(tcr_el1);
	smp_boot.ttbr0 = read_sysreg(ttbr0_el1);
	smp_boot.sctlr = read_sysreg(sctlr_el1);
	for (u64 a = (u64)&smp_boot; a < (u64)(&smp_boot + 1); a += 16)
		asm volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb_sy();
}

/* Every other vCPU finishes its share and turns itself off. */
static void wait_others(struct fuzz_cpu *me)
{
	u64 freq = read_sysreg(cntfrq_el0), start = read_sysreg(cntvct_el0);

	for (u32 i = 0; i < fz.nr_cpus; i++) {
		if ((fz.cpu_mpidr[i] & 0xff) == me->index)
			continue;
		while ((s64)psci_call(PSCI_AFFINITY_INFO_64, fz.cpu_mpidr[i], 0, 0) != 1) {
			if (read_sysreg(cntvct_el0) - start > freq / 1000 * WAIT_OFF_MS) {
				fuzz_lock();
				printk("\nFUZZ VIOLATION vCPU 0x%lx still on after %u ms\n", fz.cpu_mpidr[i],
				       WAIT_OFF_MS);
				fuzz_unlock();
				me->violations++;
				break;
			}
		}
	}
}

void guest_main(u64 dtb, u64 entry_ticks, u64 started_el2);

void guest_main(u64 dtb, u64 entry_ticks, u64 started_el2)
{
	struct fuzz_cpu *me;
	u64 violations = 0, faults = 0, calls = 0, ops = 0;

	plat.entry_ticks = entry_ticks;
	plat.no_hv = started_el2;
	plat.dtb_addr = dtb;
	dt_parse(&plat);
	console_init(plat.uart_base);
	if (!plat.fdt_ok || !plat.has_memory) {
		printk("FUZZ FAIL no device tree or no memory node\n");
		power_off();
	}
	fz.seed = parse_number("seed=", 1);
	fz.ops = parse_number("ops=", 1000);
	fz.secondary_ops = parse_number("secondary_ops=", fz.ops / 8);
	fz.selftest = parse_number("fuzz_selftest=", 0) != 0;
	fz.trace_from = parse_number("trace_from=", ~0ull);
	setup();
	me = &cpus[read_sysreg(mpidr_el1) & (FUZZ_MAX_CPUS - 1)];
	cpu_init(me, fz.seed);
	printk("fuzz: seed %lu, %lu ops (%lu per secondary run), %u vCPUs, %u targets:", fz.seed, fz.ops,
	       fz.secondary_ops, fz.nr_cpus, fz.nr_targets);
	for (u32 i = 0; i < fz.nr_targets; i++)
		printk(" %s@0x%lx", fz.t[i].name, fz.t[i].base);
	printk("\n");

	fuzz_run(me, fz.ops);
	wait_others(me);
	for (u32 i = 0; i < FUZZ_MAX_CPUS; i++) {
		violations += cpus[i].violations;
		faults += cpus[i].faults;
		calls += cpus[i].calls;
		ops += cpus[i].ops;
	}
	fuzz_lock();
	printk("\nFUZZ DONE seed=%lu ops=%lu secondary_runs=%lu faults=%lu calls=%lu violations=%lu\n", fz.seed,
	       ops, secondary_runs, faults, calls, violations);
	fuzz_unlock();
	power_off();
}
