/*
 * Emulated PL011. Transmitted bytes go to the sink (the VM's console ring).
 * The transmit FIFO the guest sees is the sink's room: FR.TXFF when it has
 * none, FR.TXFE when it has PL011_TX_ROOM or more. The transmit interrupt
 * behaves like the hardware's with its trigger level: raised while a write
 * leaves enough room, cleared by a write that leaves less (or by ICR), and
 * raised again when the sink reports room (pl011_emul_tx_ready). FR.BUSY is
 * never set: Linux's earlycon waits for it after every byte.
 *
 * Console input fills a 32-byte receive FIFO, with the interrupts the PL011
 * TRM gives it: the receive interrupt is raised when the FIFO reaches the
 * trigger level of IFLS.RXIFLSEL and cleared by reads that take it below, or
 * by ICR; the receive-timeout interrupt is raised while the FIFO holds data
 * that no more data follows, cleared when the FIFO is empty or by ICR. (A
 * real UART waits 32 bit periods for the timeout; console input comes in
 * bursts, so here it is raised with the byte, and a byte that follows at
 * once costs nothing.) A full FIFO refuses the byte: the console keeps it
 * and offers it again when the guest has read (the sink's rx_room).
 */
#include "core/console.h"
#include "core/vdt.h"
#include "core/vm.h"
#include "devices/pl011.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define UARTDR    0x000
#define UARTRSR   0x004
#define UARTFR    0x018
#define UARTILPR  0x020
#define UARTIBRD  0x024
#define UARTFBRD  0x028
#define UARTLCR_H 0x02c
#define UARTCR    0x030
#define UARTIFLS  0x034
#define UARTIMSC  0x038
#define UARTRIS   0x03c
#define UARTMIS   0x040
#define UARTICR   0x044
#define UARTDMACR 0x048
#define UART_ID_BASE 0xfe0

#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)
#define INT_RX  (1u << 4)
#define INT_TX  (1u << 5)
#define INT_RT  (1u << 6)
#define INT_ALL 0x7ffu

/* PeriphID0-3 and PCellID0-3 of the PL011 r1p5 that Linux's amba bus probes. */
static const u8 pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl011_emul_init(struct pl011_emul *u, const struct pl011_sink *sink, void *ctx,
		     struct irq_line irq)
{
	memset(u, 0, sizeof(*u));
	pl011_emul_reset(u, sink, ctx, irq);
}

/* Lock held. FR is no longer to be answered without us. */
static void fr_withdraw(struct pl011_emul *u)
{
	if (!u->fr_published)
		return;
	mmio_polled_withdraw(u->dev);
	u->fr_published = false;
}

/* Everything but the lock and the device: a reset may meet console input
 * on another CPU. */
static void reset_registers(struct pl011_emul *u, const struct pl011_sink *sink, void *ctx,
			    struct irq_line irq)
{
	struct spinlock lock = u->lock;
	struct vdev *dev = u->dev;

	fr_withdraw(u);
	memset(u, 0, sizeof(*u));
	u->lock = lock;
	u->dev = dev;
	u->sink = sink;
	u->ctx = ctx;
	u->irq = irq;
	u->cr = 0x300;   /* TXE | RXE, the reset value */
	u->ifls = 0x12;
}

void pl011_emul_reset(struct pl011_emul *u, const struct pl011_sink *sink, void *ctx,
		      struct irq_line irq)
{
	spin_lock(&u->lock);
	reset_registers(u, sink, ctx, irq);
	spin_unlock(&u->lock);
}

static bool access_ok(u64 offset, u32 size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return is_aligned(offset, size) && offset + size <= PL011_MMIO_SIZE;
}

static u32 *plain_register(struct pl011_emul *u, u64 reg)
{
	switch (reg) {
	case UARTIBRD: return &u->ibrd;
	case UARTFBRD: return &u->fbrd;
	case UARTLCR_H: return &u->lcr_h;
	case UARTCR: return &u->cr;
	case UARTIFLS: return &u->ifls;
	case UARTIMSC: return &u->imsc;
	case UARTDMACR: return &u->dmacr;
	default: return NULL;
	}
}

static u32 tx_flags(struct pl011_emul *u)
{
	u32 room = u->sink->room(u->ctx);

	if (!room)
		return FR_TXFF;
	return room >= PL011_TX_ROOM ? FR_TXFE : 0;
}

/* FR is a snapshot of state others change, so it is read without the lock
 * (rx_count is stored atomically): guests poll it in tight loops. */
static u32 read_flags(struct pl011_emul *u)
{
	u32 rx = __atomic_load_n(&u->rx_count, __ATOMIC_RELAXED);

	return tx_flags(u) | (rx ? 0 : FR_RXFE) | (rx == PL011_RX_FIFO ? FR_RXFF : 0);
}

/*
 * Lock held. Publishes FR while reading it changes nothing: the sink holds no
 * byte a read would have it write out, and no byte waits to be received.
 * A write to DR or a byte received withdraws it first (fr_withdraw).
 */
static void fr_publish_if_quiet(struct pl011_emul *u)
{
	if (!u->dev || !u->sink->held || u->rx_count || u->sink->held(u->ctx))
		return;
	u->fr_published = mmio_polled_publish(u->dev, ipa_add(u->dev->base, UARTFR),
					      read_flags(u));
}

static u32 read_register(struct pl011_emul *u, u64 reg)
{
	u32 *plain = plain_register(u, reg);

	if (plain)
		return *plain;
	switch (reg) {
	case UARTRIS:
		return u->ris;
	case UARTMIS:
		return u->ris & u->imsc;
	default:
		break;
	}
	if (reg >= UART_ID_BASE && reg < UART_ID_BASE + 4 * sizeof(pl011_id))
		return pl011_id[(reg - UART_ID_BASE) / 4];
	return 0; /* RSR and reserved offsets read as zero */
}

/* The receive FIFO level at which RXRIS is raised: IFLS.RXIFLSEL, 1/8 to
 * 7/8 of the FIFO (the reserved codes act as 7/8). */
static u32 rx_trigger(const struct pl011_emul *u)
{
	static const u8 eighths[8] = { 1, 2, 4, 6, 7, 7, 7, 7 };

	return PL011_RX_FIFO * eighths[(u->ifls >> 3) & 7] / 8;
}

/* Reading DR takes a byte from the receive FIFO. */
static u32 read_data(struct pl011_emul *u)
{
	u8 c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % PL011_RX_FIFO;
	__atomic_store_n(&u->rx_count, u->rx_count - 1, __ATOMIC_RELAXED);
	if (u->rx_count < rx_trigger(u))
		u->ris &= ~INT_RX;
	if (!u->rx_count)
		u->ris &= ~INT_RT;
	return c;
}

static void update_irq(struct pl011_emul *u);

static bool pl011_read(struct vdev *d, u64 offset, u32 size, u64 *value)
{
	struct pl011_emul *u = d->priv;
	u64 reg = align_down(offset, 4);
	u32 shift = (u32)(offset - reg) * 8;
	u32 v;

	if (!access_ok(offset, size))
		return false;
	if (reg == UARTFR) {
		v = read_flags(u);
		/* a guest polling FR (for room, or for input) lets the sink write
		 * out a full FIFO or a partial line that fell due */
		if (u->sink->flush)
			u->sink->flush(u->ctx);
		spin_lock(&u->lock);
		fr_publish_if_quiet(u);
		spin_unlock(&u->lock);
	} else {
		u32 before, left;

		spin_lock(&u->lock);
		before = u->rx_count;
		v = reg == UARTDR ? read_data(u) : read_register(u, reg);
		left = u->rx_count;
		update_irq(u);
		spin_unlock(&u->lock);
		/* room for held console input: at half the FIFO and when empty */
		if (left < before && (left == 0 || left == PL011_RX_FIFO / 2) && u->sink->rx_room)
			u->sink->rx_room(u->ctx);
	}
	*value = v >> shift;
	if (size < 4)
		*value &= (1u << (size * 8)) - 1;
	return true;
}

bool pl011_emul_receive(struct pl011_emul *u, u8 c)
{
	bool taken = false;

	spin_lock(&u->lock);
	fr_withdraw(u);
	if (u->rx_count < PL011_RX_FIFO) {
		u->rx[(u->rx_head + u->rx_count) % PL011_RX_FIFO] = c;
		__atomic_store_n(&u->rx_count, u->rx_count + 1, __ATOMIC_RELAXED);
		u->ris |= INT_RT;
		if (u->rx_count >= rx_trigger(u))
			u->ris |= INT_RX;
		taken = true;
	}
	update_irq(u);
	spin_unlock(&u->lock);
	return taken;
}

/* The interrupt output is high while an unmasked interrupt is raised. */
static void update_irq(struct pl011_emul *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static void write_register(struct pl011_emul *u, u64 offset, u32 size, u64 value)
{
	u32 *plain;

	if (offset == UARTDR) {
		fr_withdraw(u);
		u->sink->put(u->ctx, (char)(value & 0xff));
		if (u->sink->room(u->ctx) >= PL011_TX_ROOM)
			u->ris |= INT_TX;
		else
			u->ris &= ~INT_TX;  /* above the trigger level */
		return;
	}
	if (offset == UARTICR) {
		u->ris &= ~((u32)value & INT_ALL);
		return;
	}
	/* The registers are at most 16 bits wide; Linux writes them 16 bits at a
	 * time unless the device tree asks for 32-bit access. */
	plain = plain_register(u, offset);
	if (plain && size >= 2)
		*plain = (u32)value & 0xffff;
	/* read-only and reserved registers ignore writes */
}

static bool pl011_write(struct vdev *d, u64 offset, u32 size, u64 value)
{
	struct pl011_emul *u = d->priv;
	bool tx_was, tx_now;

	if (!access_ok(offset, size))
		return false;
	spin_lock(&u->lock);
	tx_was = u->imsc & INT_TX;
	write_register(u, offset, size, value);
	tx_now = u->imsc & INT_TX;
	update_irq(u);
	spin_unlock(&u->lock);
	if (offset == UARTDR && u->sink->flush)
		u->sink->flush(u->ctx);
	if (tx_now != tx_was && u->sink->tx_waits)
		u->sink->tx_waits(u->ctx, tx_now);
	return true;
}

void pl011_emul_tx_ready(struct pl011_emul *u)
{
	spin_lock(&u->lock);
	if (u->sink->room(u->ctx) >= PL011_TX_ROOM)
		u->ris |= INT_TX;
	update_irq(u);
	spin_unlock(&u->lock);
}

/* --- the device kind: a VM's console UART ------------------------------- */

/* The UART writes into its VM's console ring. */
_Static_assert(PL011_TX_ROOM <= CONSOLE_TX_LEVEL,
	       "the ring must wake the UART only when it reads as having room");

static bool ring_put(void *ctx, char c)
{
	return console_guest_put(ctx, c);
}

static u32 ring_room(void *ctx)
{
	return console_ring_room(ctx);
}

static void ring_flush(void *ctx)
{
	console_guest_kick(ctx);
}

static void input_room(void *ctx)
{
	(void)ctx;
	console_input_room();
}

static u32 ring_held(void *ctx)
{
	return console_ring_held(ctx);
}

static void ring_tx_waits(void *ctx, bool waits)
{
	console_guest_tx_waits(ctx, waits);
}

static const struct pl011_sink console_sink = {
	ring_put, ring_room, ring_flush, input_room, ring_held, ring_tx_waits,
};

static void tx_ready(void *ctx)
{
	pl011_emul_tx_ready(ctx);
}

static bool console_input(struct vdev *d, u8 c)
{
	return pl011_emul_receive(d->priv, c);
}

/* Power-on state, wired to the VM's console ring (opened for this run). */
static void pl011_reset(struct vdev *d)
{
	struct pl011_emul *u = d->priv;

	if (u->irq_level)
		irq_line_set(&d->irq, false);  /* its output drops with the reset */
	pl011_emul_reset(u, &console_sink, &d->vm->con, d->irq);
	console_guest_tx_waits(&d->vm->con, false);  /* IMSC is clear again */
	console_ring_open(&d->vm->con, tx_ready, u);
}

static void pl011_dt_node(struct vdev *d, struct vdt *dt)
{
	static const char *const compat[] = { "arm,pl011", "arm,primecell" };
	static const char *const clock_names[] = { "uartclk", "apb_pclk" };
	u32 clk = vdt_apb_clock(dt);
	u32 clocks[2] = { clk, clk };

	vdt_begin_node_at(dt, "pl011", d->base);
	fdtw_prop_strings(dt->w, "compatible", compat, 2);
	vdt_reg(dt, d->base, d->size);
	vdt_interrupts(dt, &d->irq);
	fdtw_prop_cells(dt->w, "clocks", clocks, 2);
	fdtw_prop_strings(dt->w, "clock-names", clock_names, 2);
	fdtw_end_node(dt->w);
	if (vm_console_device(d->vm) == d)
		fmt_snprintf(dt->stdout_path, sizeof(dt->stdout_path), "/pl011@%llx",
			     (unsigned long long)ipa_addr(d->base));
}

static const struct vdev_ops pl011_ops = {
	.read = pl011_read,
	.write = pl011_write,
	.reset = pl011_reset,
	.dt_node = pl011_dt_node,
};

void pl011_emul_vdev(struct pl011_emul *u, ipaddr_t base, struct vdev *d)
{
	d->ops = &pl011_ops;
	d->base = base;
	d->size = PL011_MMIO_SIZE;
	d->priv = u;
	u->dev = d;
}

/* The first UART of a VM is its console: what it prints goes to the VM's
 * ring, what is typed for the VM arrives in its receive FIFO. */
static int pl011_create(struct vdev *d, const char **why)
{
	struct pl011_emul *u = vm_dev_alloc(d->vm, sizeof(*u));

	if (!u) {
		*why = "no memory for its UART";
		return -1;
	}
	d->ops = &pl011_ops;
	d->priv = u;
	u->dev = d;
	pl011_reset(d);
	if (!vm_console_device(d->vm))
		vm_set_console_device(d->vm, d, console_input);
	return 0;
}

static const struct vdev_kind pl011_kind = {
	.name = "pl011",
	.base = { 0x09000000 },
	.size = PL011_MMIO_SIZE,
	.line = 1,
	.every_vm = true,
	.create = pl011_create,
};

static const struct vdev_kind *const pl011_kind_entry VDEV_KIND_SECTION = &pl011_kind;
