/*
 * libFuzzer target for the vGIC model and its GICv3 registers
 * (arch/arm64/vgic/). The input
 * starts with a 2-byte header:
 *
 *   u8 ncpus     1 + n % VGIC_MAX_VCPUS vCPUs
 *   u8 layout    how their MPIDRs are made: Linux-like (16 per Aff1), Aff0
 *                past 15 (SGI range selector), duplicates, Aff2/Aff3 in use
 *
 * then 12-byte records, each one guest or device action:
 *
 *   u8  op       bits 0-2: GICD read, GICD write, GICR read, GICR write,
 *                SGI1R write, device line / edge, pick (vCPU entry), LR
 *                traffic; bits 3-7: access size and addressing mode
 *   u8  a        vCPU selector (a % (ncpus + 1): one past the last too)
 *   u16 b        offset, INTID, LR slot
 *   u64 value    written value, SGI1R, line level, guest LR action, the
 *                high bits of wild offsets
 *
 * The harness plays the arch code: it keeps each vCPU's list registers
 * (16 per vCPU), lets the "guest" acknowledge and deactivate what they hold,
 * and gives them back through vgic_lr_sync.
 *
 * Checks: nothing crashes; an access is accepted exactly when its width and
 * alignment are architecturally allowed and it is inside a frame; a refused
 * read leaves the value alone; a read of N bytes fits in N bytes; no INTID is
 * ever held by two LRs, and in_lr/lr_vcpu agree with the LRs; pick returns
 * at most `max`, in priority order, only interrupts of that vCPU (an SPI only
 * for the first vCPU its IROUTER affinity matches), pending only when enabled
 * and its group enabled; kicks name a vCPU the interrupt targets.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "vgic.h"
#include "vgic_v3_regs.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define HEADER 2
#define RECORD 12
#define NLR 16
#define AFF_MASK 0xff00ffffffull

struct lr {
	bool used;
	u32 intid;
	bool pending, active;
};

static struct vgic g;
static struct vgic_cpu cpus[VGIC_MAX_VCPUS];
static u64 mpidr[VGIC_MAX_VCPUS];
static struct lr lrs[VGIC_MAX_VCPUS][NLR];
static u32 ncpus;

static u64 le(const u8 *p, int n)
{
	u64 v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static u64 make_mpidr(u32 i, u32 layout)
{
	switch (layout % 5) {
	case 0: return 0x80000000ull | (i / 16) << 8 | (i % 16);
	case 1: return i;                                          /* Aff0 up to 63 */
	case 2: return i / 2;                                      /* pairs share one */
	case 3: return (u64)(i & 1) << 32 | (i >> 1 & 1) << 16 | (i >> 2) << 8 | (i & 3);
	default: return (u64)(i * 37 % 5) << 32 | (i * 13 % 7) << 16 | (i % 3) << 8 | (i * 7 % 20);
	}
}

/* The vCPU an SPI routed to `route` belongs to: the first with that affinity. */
static int spi_owner(u64 route)
{
	for (u32 i = 0; i < ncpus; i++)
		if ((mpidr[i] & AFF_MASK) == route)
			return (int)i;
	return -1;
}

static struct vgic_irq *irq_of(u32 vcpu, u32 intid)
{
	return intid < VGIC_NR_PRIVATE ? &cpus[vcpu].priv[intid] : &g.spi[intid - VGIC_NR_PRIVATE];
}

static bool dist_valid(u64 off, u32 size)
{
	if (off >= VGIC_DIST_SIZE || (size && off % size))
		return false;
	return size == 4 || (size == 1 && off >= 0x400 && off < 0x7fc) ||
	       (size == 8 && off >= 0x6000 && off < 0x7fe0);
}

static bool redist_valid(u64 off, u32 size)
{
	u64 f = off % VGIC_REDIST_STRIDE;

	if (off / VGIC_REDIST_STRIDE >= ncpus || (size && off % size))
		return false;
	return size == 4 || (size == 1 && f >= 0x10400 && f < 0x10420) ||
	       (size == 8 && (f == 0x8 || f == 0x70 || f == 0x78));
}

/* Every INTID in at most one LR, and exactly the ones the model marks in_lr. */
static void check_lrs(void)
{
	u8 spi_count[VGIC_NR_SPIS] = { 0 };

	for (u32 v = 0; v < ncpus; v++) {
		u8 priv_count[VGIC_NR_PRIVATE] = { 0 };

		for (u32 s = 0; s < NLR; s++) {
			const struct lr *lr = &lrs[v][s];
			const struct vgic_irq *irq;

			if (!lr->used)
				continue;
			CHECK(lr->intid < VGIC_NR_IRQS);
			if (lr->intid < VGIC_NR_PRIVATE)
				CHECK(++priv_count[lr->intid] == 1);
			else
				CHECK(++spi_count[lr->intid - VGIC_NR_PRIVATE] == 1);
			irq = irq_of(v, lr->intid);
			CHECK(irq->in_lr && irq->lr_vcpu == v);
		}
		for (u32 i = 0; i < VGIC_NR_PRIVATE; i++)
			CHECK(cpus[v].priv[i].in_lr == (priv_count[i] == 1));
	}
	for (u32 i = 0; i < VGIC_NR_SPIS; i++)
		CHECK(g.spi[i].in_lr == (spi_count[i] == 1));
}

static bool group_on(const struct vgic_irq *irq)
{
	return g.ctlr & (irq->group1 ? 2u : 1u);
}

static void do_pick(u32 vcpu, u32 want)
{
	struct vgic_lr out[NLR + 1];
	u32 free_slots = 0, n;

	if (vcpu < ncpus)
		for (u32 s = 0; s < NLR; s++)
			free_slots += !lrs[vcpu][s].used;
	if (want > free_slots)
		want = free_slots;
	memset(out, 0xa5, sizeof(out));
	n = vgic_pick(&g, vcpu, out, want);
	CHECK(n <= want);
	CHECK(out[want].intid == 0xa5a5a5a5u);  /* nothing written past max */
	if (vcpu >= ncpus) {
		CHECK(n == 0);
		return;
	}
	for (u32 i = 0; i < n; i++) {
		const struct vgic_lr *lr = &out[i];
		const struct vgic_irq *irq;
		u32 s = 0;

		CHECK(lr->intid < VGIC_NR_IRQS);
		irq = irq_of(vcpu, lr->intid);
		if (lr->intid >= VGIC_NR_PRIVATE)
			CHECK(spi_owner(irq->route) == (int)vcpu);
		CHECK(irq->in_lr && irq->lr_vcpu == vcpu);
		CHECK(lr->pending || lr->active);
		CHECK(lr->active == irq->active);
		if (lr->pending)
			CHECK(irq->enabled && group_on(irq) && (irq->edge || !lr->active));
		CHECK(lr->priority == irq->priority && (lr->priority & 7) == 0);
		CHECK(lr->group1 == irq->group1);
		if (i > 0)
			CHECK(out[i - 1].priority < lr->priority ||
			      (out[i - 1].priority == lr->priority && out[i - 1].intid < lr->intid));
		while (lrs[vcpu][s].used)
			s++;
		lrs[vcpu][s] = (struct lr){ true, lr->intid, lr->pending, lr->active };
	}
}

/* New SGIs' fast way in: only SGIs of the mask, handed over as a pick
 * would, into free LRs; refused (-1) with nothing changed. */
static void do_take_sgis(u32 vcpu, u32 sgis)
{
	struct vgic_lr out[NLR + 1];
	u32 free_slots = 0, was_in_lr = 0;
	int n;

	if (vcpu >= ncpus) {
		CHECK(vgic_take_sgis(&g, vcpu, sgis, out, NLR) == -1);
		return;
	}
	for (u32 s = 0; s < NLR; s++)
		free_slots += !lrs[vcpu][s].used;
	for (u32 i = 0; i < 16; i++)
		was_in_lr |= (u32)g.cpus[vcpu].priv[i].in_lr << i;
	memset(out, 0xa5, sizeof(out));
	n = vgic_take_sgis(&g, vcpu, sgis, out, free_slots);
	CHECK(out[free_slots].intid == 0xa5a5a5a5u);  /* nothing written past max */
	if (n < 0) {
		for (u32 i = 0; i < 16; i++)
			CHECK(g.cpus[vcpu].priv[i].in_lr == ((was_in_lr >> i) & 1));
		return;
	}
	CHECK((u32)n <= free_slots);
	for (int i = 0; i < n; i++) {
		const struct vgic_lr *lr = &out[i];
		const struct vgic_irq *irq;
		u32 s = 0;

		CHECK(lr->intid < 16 && ((sgis >> lr->intid) & 1) && !((was_in_lr >> lr->intid) & 1));
		irq = irq_of(vcpu, lr->intid);
		CHECK(irq->in_lr && irq->lr_vcpu == vcpu);
		CHECK(lr->pending && irq->enabled && group_on(irq));
		CHECK(lr->active == irq->active && lr->priority == irq->priority);
		while (lrs[vcpu][s].used)
			s++;
		lrs[vcpu][s] = (struct lr){ true, lr->intid, lr->pending, lr->active };
	}
}

/* The timer's fast way in; the arch code uses it only with a free LR. */
static void do_raise_private(u32 vcpu, u32 intid)
{
	struct vgic_lr lr;
	u32 s = 0;

	if (vcpu >= ncpus) {
		CHECK(!vgic_raise_private(&g, vcpu, intid, &lr));
		return;
	}
	while (s < NLR && lrs[vcpu][s].used)
		s++;
	if (s == NLR || !vgic_raise_private(&g, vcpu, intid, &lr))
		return;
	CHECK(intid >= 16 && intid < VGIC_NR_PRIVATE);
	CHECK(lr.intid == intid && lr.pending && !lr.active);
	CHECK(irq_of(vcpu, intid)->in_lr && irq_of(vcpu, intid)->lr_vcpu == vcpu);
	lrs[vcpu][s] = (struct lr){ true, lr.intid, lr.pending, lr.active };
}

/* The guest works on an LR in place, or the arch code gives it back. */
static void do_lr(u32 vcpu, u32 slot, u64 value)
{
	struct lr *lr;

	if (value & 0x100) {
		/* a sync of an arbitrary INTID not in this vCPU's LRs: ignored */
		u32 v = (u32)(value >> 16) % (ncpus + 1), intid = (u32)(value >> 24) % (VGIC_NR_IRQS + 2);
		bool held = false, in_lr = false;
		u16 owner = 0;

		if (v < ncpus)
			for (u32 s = 0; s < NLR; s++)
				held |= lrs[v][s].used && lrs[v][s].intid == intid;
		if (held)
			return;
		if (v < ncpus && intid < VGIC_NR_IRQS) {
			in_lr = irq_of(v, intid)->in_lr;
			owner = irq_of(v, intid)->lr_vcpu;
		}
		vgic_lr_sync(&g, v, intid, value & 1, value & 2);
		if (v < ncpus && intid < VGIC_NR_IRQS)
			CHECK(irq_of(v, intid)->in_lr == in_lr && irq_of(v, intid)->lr_vcpu == owner);
		return;
	}
	if (value & 0x200) {
		/* a vCPU exit: every LR of the vCPU goes back */
		for (u32 s = 0; s < NLR; s++) {
			lr = &lrs[vcpu][s];
			if (lr->used)
				vgic_lr_sync(&g, vcpu, lr->intid, lr->pending, lr->active);
			lr->used = false;
		}
		return;
	}
	lr = &lrs[vcpu][slot % NLR];
	if (!lr->used)
		return;
	switch (value & 3) {
	case 0:  /* acknowledge */
		if (lr->pending) {
			lr->pending = false;
			lr->active = true;
		}
		break;
	case 1:  /* deactivate */
		lr->active = false;
		break;
	case 2:
		break;
	default: /* anything */
		lr->pending = (value >> 2) & 1;
		lr->active = (value >> 3) & 1;
		break;
	}
	if (value & 4)
		return;  /* still running */
	vgic_lr_sync(&g, vcpu, lr->intid, lr->pending, lr->active);
	lr->used = false;
}

static void check_kick(int kick, u32 vcpu, u32 intid)
{
	const struct vgic_irq *irq;

	CHECK(kick >= -1 && kick < (int)ncpus);
	if (kick < 0)
		return;
	if (intid < VGIC_NR_PRIVATE)
		CHECK((u32)kick == vcpu);
	irq = irq_of((u32)kick, intid);
	if (intid >= VGIC_NR_PRIVATE)
		CHECK(spi_owner(irq->route) == kick);
	CHECK(irq->enabled && group_on(irq));
	CHECK(irq->pending || (!irq->edge && irq->level));
}

/* Register blocks a biased offset starts from (selected by b >> 8). */
static const u32 dist_regs[16] = {
	0x0000, 0x0080, 0x0100, 0x0180, 0x0200, 0x0280, 0x0300, 0x0380,
	0x0400, 0x0480, 0x0c00, 0x0d00, 0x6100, 0x6180, 0x6300, 0xffd0,
};
static const u32 redist_regs[16] = {
	0x00000, 0x00008, 0x00014, 0x00070, 0x0ffd0, 0x10080, 0x10100, 0x10180,
	0x10200, 0x10280, 0x10300, 0x10380, 0x10400, 0x10c00, 0x10d00, 0x10e00,
};

/*
 * flags (the op byte's top 5 bits): size (bits 0-2), addressing (bits 3-4):
 * 0 raw offset b (frame: a's top bit for GICR), 1-2 a register block plus
 * b & 0x7f (aligned to the size unless b's bit 7 is set), 3 wild (b plus
 * value's high bits).
 */
static void do_access(u32 op, u32 flags, u32 vcpu, u8 a, u16 b, u64 value)
{
	static const u32 sizes[8] = { 4, 4, 4, 1, 8, 2, 0, 16 };
	u32 size = sizes[flags & 7], mode = (flags >> 3) & 3;
	bool dist = op < 2, write = op & 1;
	u64 off, v = value;
	bool ok;

	if (mode == 3) {
		off = b | (value & ~0xffffull);
	} else if (mode == 0) {
		off = dist ? b : (u64)vcpu * VGIC_REDIST_STRIDE + (a & 0x80 ? 0x10000 : 0) + b;
	} else {
		off = (dist ? dist_regs[b >> 8 & 15] : redist_regs[b >> 8 & 15]) + (b & 0x7f);
		if (!(b & 0x80) && size >= 2 && size <= 8)
			off &= ~(u64)(size - 1);
		if (!dist)
			off += (u64)vcpu * VGIC_REDIST_STRIDE;
	}
	if (write)
		ok = dist ? vgic_dist_write(&g, off, size, value) : vgic_redist_write(&g, off, size, value);
	else
		ok = dist ? vgic_dist_read(&g, off, size, &v) : vgic_redist_read(&g, off, size, &v);
	CHECK(ok == (dist ? dist_valid(off, size) : redist_valid(off, size)));
	if (write || !ok) {
		CHECK(v == value);
		return;
	}
	if (size < 8)
		CHECK((v >> (8 * size)) == 0);
	/* a few registers' fixed bits */
	if (dist && off == 0x0000)
		CHECK((v & 0x50) == 0x50 && (v & ~0x53ull) == 0);
	if (dist && off >= 0x400 && off < 0x7fc)
		CHECK((v & 0x07070707) == 0);
	if (!dist && (off % VGIC_REDIST_STRIDE) == 0x10c00)
		CHECK(v == 0xaaaaaaaa);
	if (!dist && (off % VGIC_REDIST_STRIDE) == 0x14 && size == 4)
		CHECK(v == 0 || v == 6);
	if ((off % (dist ? VGIC_DIST_SIZE : VGIC_REDIST_STRIDE)) == 0xffe8 && size == 4)
		CHECK(v == 0x3b);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size < HEADER)
		return 0;
	ncpus = 1 + data[0] % VGIC_MAX_VCPUS;
	for (u32 i = 0; i < ncpus; i++)
		mpidr[i] = make_mpidr(i, data[1]);
	memset(lrs, 0, sizeof(lrs));
	vgic_init(&g, cpus, ncpus, mpidr);
	CHECK(g.ncpus == ncpus);

	for (size_t pos = HEADER; pos + RECORD <= size; pos += RECORD) {
		const u8 *r = data + pos;
		u32 op = r[0] % 8, flags = r[0] >> 3;
		u8 a = r[1];
		u16 b = (u16)le(r + 2, 2);
		u64 value = le(r + 4, 8);
		u32 vcpu = a % (ncpus + 1);   /* sometimes one past the last */

		switch (op) {
		case 0: case 1: case 2: case 3:
			do_access(op, flags, vcpu, a, b, value);
			break;
		case 4: {
			u64 kick = 0x5a5a;
			u32 sender = vcpu;

			vgic_send_sgi(&g, sender, value, &kick);
			if (sender >= ncpus)
				CHECK(kick == 0);
			if (ncpus < 64)
				CHECK((kick >> ncpus) == 0);
			if ((value >> 40) & 1 && sender < ncpus)
				CHECK(!((kick >> sender) & 1));
			for (u32 t = 0; t < ncpus; t++)
				if ((kick >> t) & 1)
					check_kick((int)t, t, (value >> 24) & 0xf);
			break;
		}
		case 5: {
			u32 intid = b % (VGIC_NR_IRQS + 4);
			int kick;

			if (value & 4) {
				do_raise_private(vcpu, intid);
				break;
			}
			kick = (value & 2) ? vgic_inject_edge(&g, vcpu, intid)
					       : vgic_set_line(&g, vcpu, intid, value & 1);

			if (intid >= VGIC_NR_IRQS || (intid < VGIC_NR_PRIVATE && vcpu >= ncpus))
				CHECK(kick == -1);
			else
				check_kick(kick, vcpu, intid);
			break;
		}
		case 6:
			if (value & 1)
				do_take_sgis(vcpu, b);
			else
				do_pick(vcpu, b % (NLR + 1));
			(void)vgic_has_pending(&g, vcpu);
			break;
		default:
			if (vcpu < ncpus)
				do_lr(vcpu, b, value);
			break;
		}
		check_lrs();
	}
	return 0;
}
