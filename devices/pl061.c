/*
 * Emulated PL061 GPIO controller. Every register is 8 bits wide, one bit per
 * pin, in the low byte of a 32-bit word; the upper bytes read as zero and
 * ignore writes. GPIODATA is 256 words: address bits [9:2] mask which pins a
 * read sees and a write changes, so that software can touch single pins
 * without a read-modify-write.
 *
 * A pin's level is its output latch when GPIODIR makes it an output, else
 * what is driven from outside (0 for pins nothing drives). Interrupt
 * detection follows the TRM: level-sensitive pins (GPIOIS) report their
 * level while it lasts, edge-sensitive ones latch an edge in GPIORIS until
 * GPIOIC clears it; GPIOIBE takes both edges, else GPIOIEV picks one.
 */
#include "core/vdt.h"
#include "core/vm.h"
#include "devices/pl061.h"

#define GPIODATA_END 0x400
#define GPIODIR   0x400
#define GPIOIS    0x404
#define GPIOIBE   0x408
#define GPIOIEV   0x40c
#define GPIOIE    0x410
#define GPIORIS   0x414
#define GPIOMIS   0x418
#define GPIOIC    0x41c
#define GPIOAFSEL 0x420
#define GPIO_ID_BASE 0xfe0

/* PeriphID0-3 (part 0x061, designer 0x41 Arm, revision 1) and PCellID0-3:
 * what Linux's amba bus matches the pl061 driver against. */
static const u8 pl061_id[8] = { 0x61, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl061_emul_init(struct pl061_emul *g, struct irq_line irq)
{
	spin_lock(&g->lock);
	g->irq = irq;
	g->irq_level = false;
	g->data = g->dir = g->is = g->ibe = g->iev = g->ie = g->ris = g->afsel = 0;
	g->input = g->momentary = g->level = 0;
	spin_unlock(&g->lock);
}


static u8 pins(const struct pl061_emul *g)
{
	return (u8)((g->dir & g->data) | (~g->dir & g->input));
}

/* Latches the edges since the last look and refreshes the level status. */
static void detect(struct pl061_emul *g)
{
	u8 now = pins(g);
	u8 changed = now ^ g->level;
	u8 rising = changed & now, falling = changed & (u8)~now;
	u8 edges = (g->ibe & changed) | (~g->ibe & ((g->iev & rising) | (~g->iev & falling)));
	u8 levels = (g->iev & now) | (~g->iev & (u8)~now);

	g->ris = (u8)(((g->ris | edges) & ~g->is) | (levels & g->is));
	g->level = now;
}

/* The interrupt output is high while an unmasked interrupt is raised. */
static void settle(struct pl061_emul *g)
{
	bool level;

	detect(g);
	level = (g->ris & g->ie) != 0;
	if (level != g->irq_level) {
		g->irq_level = level;
		irq_line_set(&g->irq, level);
	}
}

static bool access_ok(u64 offset, u32 size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return is_aligned(offset, size) && offset + size <= PL061_MMIO_SIZE;
}

/* Reading a button's pin high is the guest noticing the press: it drops. */
static u8 read_data(struct pl061_emul *g, u8 mask)
{
	u8 value = pins(g) & mask;
	u8 seen = g->momentary & g->input & (u8)~g->dir & mask;

	g->input &= (u8)~seen;
	g->momentary &= (u8)~seen;
	return value;
}

static u8 read_register(struct pl061_emul *g, u64 reg)
{
	if (reg < GPIODATA_END)
		return read_data(g, (u8)(reg >> 2));
	switch (reg) {
	case GPIODIR: return g->dir;
	case GPIOIS: return g->is;
	case GPIOIBE: return g->ibe;
	case GPIOIEV: return g->iev;
	case GPIOIE: return g->ie;
	case GPIORIS: return g->ris;
	case GPIOMIS: return g->ris & g->ie;
	case GPIOAFSEL: return g->afsel;
	default: break;
	}
	if (reg >= GPIO_ID_BASE)
		return pl061_id[(reg - GPIO_ID_BASE) / 4];
	return 0; /* reserved offsets read as zero */
}

static bool pl061_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct pl061_emul *g = d->priv;
	u64 reg = align_down(offset, 4);

	if (!access_ok(offset, size))
		return false;
	spin_lock(&g->lock);
	/* only the low byte holds a register: a read of the others sees no pin */
	*value = offset == reg ? read_register(g, reg) : 0;
	settle(g);
	spin_unlock(&g->lock);
	return true;
}

static void write_register(struct pl061_emul *g, u64 reg, u8 v)
{
	if (reg < GPIODATA_END) {
		u8 mask = (u8)(reg >> 2);

		g->data = (u8)((g->data & ~mask) | (v & mask));
		return;
	}
	switch (reg) {
	case GPIODIR: g->dir = v; break;
	case GPIOIS:
		/* a pin that changes how it is sensed starts with nothing latched */
		g->ris &= (u8)~(g->is ^ v);
		g->is = v;
		break;
	case GPIOIBE: g->ibe = v; break;
	case GPIOIEV: g->iev = v; break;
	case GPIOIE: g->ie = v; break;
	case GPIOIC: g->ris &= (u8)~v; break;  /* level status comes back while it lasts */
	case GPIOAFSEL: g->afsel = v; break;
	default: break;  /* RIS, MIS, the IDs and reserved offsets ignore writes */
	}
}

static bool pl061_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct pl061_emul *g = d->priv;
	u64 reg = align_down(offset, 4);

	if (!access_ok(offset, size))
		return false;
	spin_lock(&g->lock);
	if (offset == reg)
		write_register(g, reg, (u8)value);
	settle(g);
	spin_unlock(&g->lock);
	return true;
}

void pl061_emul_press(struct pl061_emul *g, u32 pin)
{
	u8 bit;

	if (pin >= PL061_PINS)
		return;
	bit = (u8)(1u << pin);
	spin_lock(&g->lock);
	if (g->input & bit) {
		g->input &= (u8)~bit;
		settle(g);
	}
	g->input |= bit;
	g->momentary |= bit;
	settle(g);
	spin_unlock(&g->lock);
}

/* --- the device kind: the VM's GPIO controller and its power button ---- */

/* The power button's pin, as on QEMU's virt board: what `shutdown` presses. */
#define POWER_KEY_PIN 3
#define GPIO_ACTIVE_HIGH 0
#define LINUX_KEY_POWER 116   /* linux,code of the power key (input-event-codes.h) */

static void press_power(struct vdev *d)
{
	pl061_emul_press(d->priv, POWER_KEY_PIN);
}

static void pl061_reset(struct vdev *d)
{
	struct pl061_emul *g = d->priv;

	if (g->irq_level)
		irq_line_set(&d->irq, false);  /* its output drops with the reset */
	pl061_emul_init(g, d->irq);
}

/* The controller, and the gpio-keys node that wires the button to its pin. */
static void pl061_dt_node(struct vdev *d, struct vdt *dt)
{
	static const char *const compat[] = { "arm,pl061", "arm,primecell" };
	u32 clk = vdt_apb_clock(dt);
	u32 phandle = vdt_phandle(dt);
	u32 gpios[3] = { phandle, POWER_KEY_PIN, GPIO_ACTIVE_HIGH };

	vdt_begin_node_at(dt, "pl061", d->base);
	fdtw_prop_strings(dt->w, "compatible", compat, 2);
	vdt_reg(dt, d->base, d->size);
	vdt_interrupts(dt, &d->irq);
	fdtw_prop_empty(dt->w, "gpio-controller");
	fdtw_prop_u32(dt->w, "#gpio-cells", 2);
	fdtw_prop_u32(dt->w, "clocks", clk);
	fdtw_prop_string(dt->w, "clock-names", "apb_pclk");
	fdtw_prop_u32(dt->w, "phandle", phandle);
	fdtw_end_node(dt->w);
	if (vm_power_button_device(d->vm) != d)
		return;
	fdtw_begin_node(dt->w, "gpio-keys");
	fdtw_prop_string(dt->w, "compatible", "gpio-keys");
	fdtw_begin_node(dt->w, "poweroff");
	fdtw_prop_string(dt->w, "label", "GPIO Key Poweroff");
	fdtw_prop_u32(dt->w, "linux,code", LINUX_KEY_POWER);
	fdtw_prop_cells(dt->w, "gpios", gpios, 3);
	fdtw_end_node(dt->w);
	fdtw_end_node(dt->w);
}

static const struct vdev_ops pl061_ops = {
	.read = pl061_read,
	.write = pl061_write,
	.reset = pl061_reset,
	.dt_node = pl061_dt_node,
};

void pl061_emul_vdev(struct pl061_emul *g, ipaddr_t base, struct vdev *d)
{
	d->ops = &pl061_ops;
	d->base = base;
	d->size = PL061_MMIO_SIZE;
	d->priv = g;
}

/* The first PL061 of a VM carries its power button. */
static int pl061_create(struct vdev *d, const char **why)
{
	struct pl061_emul *g = vm_dev_alloc(d->vm, sizeof(*g));

	if (!g) {
		*why = "no memory for its GPIO controller";
		return -1;
	}
	d->ops = &pl061_ops;
	d->priv = g;
	pl061_reset(d);
	if (!vm_power_button_device(d->vm))
		vm_set_power_button_device(d->vm, d, press_power);
	return 0;
}

static const struct vdev_kind pl061_kind = {
	.name = "pl061",
	.base = { 0x09030000 },
	.size = PL061_MMIO_SIZE,
	.line = 7,
	.every_vm = true,
	.create = pl061_create,
};

static const struct vdev_kind *const pl061_kind_entry VDEV_KIND_SECTION = &pl061_kind;
