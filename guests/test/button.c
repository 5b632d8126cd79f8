/*
 * The `button` mode: waits for the power button as an OS driver would. It
 * finds the gpio-keys node whose key is KEY_POWER, follows its gpios
 * phandle to the PL061, takes the PL061's interrupt through the GIC on a
 * rising edge of the key's pin and, when it comes, reads the pin, clears the
 * interrupt, reports what it saw and powers off. The host presses the button
 * with the shell's `shutdown`.
 */
#include "guests/test/guest.h"
#include "guests/test/gic.h"
#include "guests/test/sysreg.h"
#include "lib/string.h"

#define KEY_POWER 116

/* PL061 registers */
#define GPIODIR   0x400
#define GPIOIS    0x404
#define GPIOIBE   0x408
#define GPIOIEV   0x40c
#define GPIOIE    0x410
#define GPIORIS   0x414
#define GPIOMIS   0x418
#define GPIOIC    0x41c

/* Distributor registers for one SPI */
#define GICD_ISENABLER 0x0100
#define GICD_ICFGR     0x0c00
#define GICD_IROUTER   0x6000

struct power_key {
	u64 base;     /* the PL061 */
	u32 pin;
	u32 intid;
};

static struct power_key key;
/* Written by the interrupt handler */
static volatile bool taken;
static volatile u32 seen_mis, seen_pin, seen_after, seen_ris;

static u32 cell(const void *data, u32 index)
{
	return (u32)fdt_read_cells((const u8 *)data + 4 * index, 1);
}

/* The KEY_POWER child of a gpio-keys node, or -1. */
static int find_power_key(const struct fdt *fdt)
{
	for (int keys = fdt_find_compatible(fdt, -1, "gpio-keys"); keys >= 0;
	     keys = fdt_find_compatible(fdt, keys, "gpio-keys")) {
		for (int n = fdt_first_child(fdt, keys); n >= 0; n = fdt_next_sibling(fdt, n)) {
			u32 code;

			if (fdt_prop_u32(fdt, n, "linux,code", &code) && code == KEY_POWER)
				return n;
		}
	}
	return -1;
}

/* NULL, or what the device tree lacks. */
static const char *find_key(struct power_key *k)
{
	const struct fdt *fdt = &plat.fdt;
	const void *gpios, *irq;
	u32 len, irq_len;
	u64 size;
	int n = find_power_key(fdt), ctrl;

	if (n < 0)
		return "no gpio-keys node with linux,code KEY_POWER";
	if (!fdt_get_prop(fdt, n, "gpios", &gpios, &len) || len != 12)
		return "the power key has no <phandle pin flags> gpios";
	ctrl = fdt_find_phandle(fdt, cell(gpios, 0));
	if (ctrl < 0 || !fdt_is_compatible(fdt, ctrl, "arm,pl061"))
		return "the power key's gpios do not name a PL061";
	k->pin = cell(gpios, 1);
	if (k->pin >= 8)
		return "the power key's pin is not one of the PL061's eight";
	if (!fdt_get_reg(fdt, ctrl, 0, &k->base, &size) || size < 0x1000)
		return "the PL061 has no reg";
	if (!fdt_get_prop(fdt, ctrl, "interrupts", &irq, &irq_len) || irq_len != 12 ||
	    cell(irq, 0) != 0 || cell(irq, 1) > 987)
		return "the PL061 has no SPI in interrupts";
	k->intid = 32 + cell(irq, 1);
	if (k->intid >= NR_INTIDS)
		return "the PL061's SPI is beyond what the guest tracks";
	return NULL;
}

static void on_gpio(u32 cpu, u32 intid)
{
	u32 bit = 1u << key.pin;

	seen_mis = mmio_read32(key.base + GPIOMIS);
	seen_pin = mmio_read32(key.base + (bit << 2)) >> key.pin;
	seen_after = mmio_read32(key.base + (bit << 2)) >> key.pin;
	mmio_write32(key.base + GPIOIC, bit);
	seen_ris = mmio_read32(key.base + GPIORIS);
	taken = true;
}

/* The pin as an input, interrupting on its rising edge only. */
static void setup_gpio(void)
{
	u32 bit = 1u << key.pin;

	mmio_write32(key.base + GPIOIE, 0);
	mmio_write32(key.base + GPIODIR, mmio_read32(key.base + GPIODIR) & ~bit);
	mmio_write32(key.base + GPIOIS, 0);
	mmio_write32(key.base + GPIOIBE, 0);
	mmio_write32(key.base + GPIOIEV, bit);
	mmio_write32(key.base + GPIOIC, 0xff);
	mmio_write32(key.base + GPIOIE, bit);
}

/* The PL061's output is a level: SPI level-sensitive, to vCPU 0, enabled. */
static void setup_spi(void)
{
	u64 d = gic.gicd;
	u32 cfg = GICD_ICFGR + 4 * (key.intid / 16), field = 2 * (key.intid % 16);

	mmio_write32(d + cfg, mmio_read32(d + cfg) & ~(2u << field));
	mmio_write64(d + GICD_IROUTER + 8 * key.intid, 0);
	mmio_write32(d + GICD_ISENABLER + 4 * (key.intid / 32), 1u << (key.intid % 32));
}

void mode_button(void)
{
	const char *why = find_key(&key);

	if (!why && (gic_probe() || mmu_map(key.base, PAGE_SIZE, MAP_DEVICE)))
		why = "cannot map the GIC or the PL061";
	if (!why)
		why = gic_dist_init();
	if (!why)
		why = gic_cpu_init();
	if (why) {
		printk("FAIL button test: %s\n", why);
		power_off();
	}
	irq_set_handler(key.intid, on_gpio);
	setup_gpio();
	setup_spi();
	printk("button test: waiting for the power button (pl061@0x%lx pin %u, INTID %u)\n",
	       key.base, key.pin, key.intid);
	/* IRQs stay masked while deciding to sleep: WFI still wakes on a pending
	 * interrupt, and one that came just before it cannot be slept through. */
	while (!taken) {
		wfi();
		irq_enable();
		irq_disable();
	}
	printk("button test: GPIOMIS 0x%x, pin %u read %u then %u, GPIORIS 0x%x after GPIOIC\n",
	       seen_mis, key.pin, seen_pin & 1, seen_after & 1, seen_ris);
	printk("button test: power button pressed: powering off\n");
	power_off();
}
