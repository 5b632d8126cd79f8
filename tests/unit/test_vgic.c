/*
 * The virtual GICv3 state model: distributor and redistributor registers as
 * a guest programs them, interrupt sources (lines, edges, SGIs) and the list
 * register traffic (vgic_pick / vgic_lr_sync) of the arch code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vgic.h"
#include "vgic_v3_regs.h"

/* GICD */
#define CTLR       0x0000
#define TYPER      0x0004
#define IIDR       0x0008
#define TYPER2     0x000c
#define STATUSR    0x0010
#define IGROUPR    0x0080
#define ISENABLER  0x0100
#define ICENABLER  0x0180
#define ISPENDR    0x0200
#define ICPENDR    0x0280
#define ISACTIVER  0x0300
#define ICACTIVER  0x0380
#define IPRIORITYR 0x0400
#define ITARGETSR  0x0800
#define ICFGR      0x0c00
#define IGRPMODR   0x0d00
#define NSACR      0x0e00
#define SGIR       0x0f00
#define IROUTER    0x6000
#define PIDR2      0xffe8

/* GICR: RD frame, then the SGI frame */
#define R_CTLR      0x0000
#define R_IIDR      0x0004
#define R_TYPER     0x0008
#define R_STATUSR   0x0010
#define R_WAKER     0x0014
#define R_PROPBASER 0x0070
#define R_PENDBASER 0x0078
#define SGI         0x10000

#define CTLR_G0  1u
#define CTLR_G1  2u
#define CTLR_ARE 0x10u
#define CTLR_DS  0x40u

#define NCPUS 4

/*
 * vCPU affinities: 0.0.0.0 (with MPIDR's RES1 bit 31), 0.0.0.1, 0.0.1.0 and
 * 1.2.3.0x12 (Aff0 beyond 15, for the SGI range selector).
 */
static const u64 mpidr[NCPUS] = {
	0x80000000ull, 0x80000001ull, 0x80000100ull, 0x180020312ull,
};

static struct vgic g;
static struct vgic_cpu cpus[NCPUS];

static int setup(void **state)
{
	memset(cpus, 0xa5, sizeof(cpus));  /* vgic_init must set everything */
	vgic_init(&g, cpus, NCPUS, mpidr);
	return 0;
}

static u64 dr(u64 off, u32 size)
{
	u64 v = 0xdeadbeefdeadbeefull;

	if (!vgic_dist_read(&g, off, size, &v))
		fail_msg("GICD read of %u bytes at %#llx refused", size, (unsigned long long)off);
	return v;
}

static void dw(u64 off, u32 size, u64 v)
{
	if (!vgic_dist_write(&g, off, size, v))
		fail_msg("GICD write of %u bytes at %#llx refused", size, (unsigned long long)off);
}

static u64 rr(u32 cpu, u64 off, u32 size)
{
	u64 v = 0xdeadbeefdeadbeefull;

	if (!vgic_redist_read(&g, cpu * VGIC_REDIST_STRIDE + off, size, &v))
		fail_msg("GICR%u read of %u bytes at %#llx refused", cpu, size, (unsigned long long)off);
	return v;
}

static void rw(u32 cpu, u64 off, u32 size, u64 v)
{
	if (!vgic_redist_write(&g, cpu * VGIC_REDIST_STRIDE + off, size, v))
		fail_msg("GICR%u write of %u bytes at %#llx refused", cpu, size, (unsigned long long)off);
}

static bool dist_ok(u64 off, u32 size, bool write)
{
	u64 v = 0x77;

	if (write)
		return vgic_dist_write(&g, off, size, v);
	if (vgic_dist_read(&g, off, size, &v))
		return true;
	assert_int_equal(v, 0x77);  /* a refused read leaves the value alone */
	return false;
}

static bool redist_ok(u64 off, u32 size, bool write)
{
	u64 v = 0x77;

	if (write)
		return vgic_redist_write(&g, off, size, v);
	if (vgic_redist_read(&g, off, size, &v))
		return true;
	assert_int_equal(v, 0x77);
	return false;
}

static u64 bit(u32 intid)
{
	return 1ull << (intid % 32);
}

/* An SPI, enabled, group 1, at `prio`, routed to vCPU `cpu`. */
static void spi_setup(u32 intid, u8 prio, u32 cpu)
{
	dw(IGROUPR + intid / 32 * 4, 4, dr(IGROUPR + intid / 32 * 4, 4) | bit(intid));
	dw(IPRIORITYR + intid, 1, prio);
	dw(IROUTER + intid * 8, 8, mpidr[cpu] & 0xff00ffffffull);
	dw(ISENABLER + intid / 32 * 4, 4, bit(intid));
}

/* A private interrupt of `cpu`, enabled, group 1, at `prio`. */
static void priv_setup(u32 cpu, u32 intid, u8 prio)
{
	rw(cpu, SGI + IGROUPR, 4, rr(cpu, SGI + IGROUPR, 4) | bit(intid));
	rw(cpu, SGI + IPRIORITYR + intid, 1, prio);
	rw(cpu, SGI + ISENABLER, 4, bit(intid));
}

static void enable_groups(u32 bits)
{
	dw(CTLR, 4, bits);
}

static u32 pick(u32 cpu, struct vgic_lr *lr, u32 max)
{
	return vgic_pick(&g, cpu, lr, max);
}

/* --- distributor ------------------------------------------------------------ */

static void test_dist_id(void **state)
{
	static const u8 cid[4] = { 0x0d, 0xf0, 0x05, 0xb1 };
	u32 typer = (u32)dr(TYPER, 4);

	assert_int_equal(dr(CTLR, 4), CTLR_ARE | CTLR_DS);
	assert_int_equal(typer & 0x1f, VGIC_NR_IRQS / 32 - 1);  /* ITLinesNumber */
	assert_int_equal((typer >> 5) & 7, 0);                    /* CPUNumber */
	assert_int_equal((typer >> 19) & 0x1f, 9);                /* IDbits */
	assert_int_equal(typer & (1u << 17), 0);                  /* no LPIs */
	assert_int_equal(typer & (1u << 16), 0);                  /* no MBIS */
	assert_int_equal(typer & (1u << 10), 0);                  /* one security state */
	assert_true(typer & (1u << 25));                          /* No1N */
	assert_int_equal(dr(IIDR, 4), 0x43b);
	assert_int_equal(dr(TYPER2, 4), 0);
	assert_int_equal(dr(STATUSR, 4), 0);
	assert_int_equal(dr(PIDR2, 4), 0x3b);
	assert_int_equal((dr(PIDR2, 4) >> 4) & 0xf, 3);
	for (u32 i = 0; i < 4; i++)
		assert_int_equal(dr(0xfff0 + 4 * i, 4), cid[i]);
	assert_int_equal(dr(0xffd0, 4), 0x44);  /* PIDR4 */
	/* read-only: writes are ignored */
	dw(TYPER, 4, 0);
	dw(IIDR, 4, 0);
	dw(PIDR2, 4, 0);
	assert_int_equal(dr(TYPER, 4), typer);
	assert_int_equal(dr(IIDR, 4), 0x43b);
	assert_int_equal(dr(PIDR2, 4), 0x3b);
}

static void test_dist_ctlr(void **state)
{
	dw(CTLR, 4, 0xffffffff);
	assert_int_equal(dr(CTLR, 4), CTLR_G0 | CTLR_G1 | CTLR_ARE | CTLR_DS);
	assert_int_equal(g.ctlr, CTLR_G0 | CTLR_G1 | CTLR_ARE);
	dw(CTLR, 4, CTLR_G1);
	assert_int_equal(dr(CTLR, 4), CTLR_G1 | CTLR_ARE | CTLR_DS);
	/* ARE cannot be turned off; RWP reads 0 */
	dw(CTLR, 4, 0);
	assert_int_equal(dr(CTLR, 4), CTLR_ARE | CTLR_DS);
	assert_int_equal(dr(CTLR, 4) & 0x80000000u, 0);
}

static void test_dist_private_raz_wi(void **state)
{
	/* with ARE on, INTIDs 0-31 belong to the redistributors */
	for (u64 reg = IGROUPR; reg <= ICACTIVER; reg += 0x80) {
		dw(reg, 4, 0xffffffff);
		assert_int_equal(dr(reg, 4), 0);
	}
	for (u64 off = IPRIORITYR; off < IPRIORITYR + 32; off += 4) {
		dw(off, 4, 0xffffffff);
		assert_int_equal(dr(off, 4), 0);
	}
	dw(ICFGR, 4, 0xffffffff);
	dw(ICFGR + 4, 4, 0xffffffff);
	assert_int_equal(dr(ICFGR, 4), 0);
	assert_int_equal(dr(ICFGR + 4, 4), 0);
	for (u32 n = 0; n < 32; n++) {
		dw(IROUTER + 8 * n, 8, ~0ull);
		assert_int_equal(dr(IROUTER + 8 * n, 8), 0);
	}
	/* nothing reached vCPU 0's private interrupts */
	for (u32 i = 0; i < VGIC_NR_PRIVATE; i++) {
		assert_false(cpus[0].priv[i].enabled);
		assert_false(cpus[0].priv[i].pending);
		assert_false(cpus[0].priv[i].group1);
		assert_int_equal(cpus[0].priv[i].priority, 0);
	}
	assert_int_equal(rr(0, SGI + ISENABLER, 4), 0);
}

static void test_dist_bit_registers(void **state)
{
	/* IGROUPR: plain read/write */
	dw(IGROUPR + 4, 4, 0x12345678);
	dw(IGROUPR + 12, 4, 0x80000001);
	assert_int_equal(dr(IGROUPR + 4, 4), 0x12345678);
	assert_int_equal(dr(IGROUPR + 8, 4), 0);
	assert_int_equal(dr(IGROUPR + 12, 4), 0x80000001);
	assert_true(g.spi[127 - 32].group1);
	assert_true(g.spi[96 - 32].group1);
	assert_false(g.spi[97 - 32].group1);

	/* set/clear enable: only the bits written as 1 change */
	dw(ISENABLER + 4, 4, 0x0000000f);
	dw(ISENABLER + 4, 4, 0x00000030);
	assert_int_equal(dr(ISENABLER + 4, 4), 0x3f);
	assert_int_equal(dr(ICENABLER + 4, 4), 0x3f);
	dw(ICENABLER + 4, 4, 0x5);
	assert_int_equal(dr(ISENABLER + 4, 4), 0x3a);
	dw(ICENABLER + 4, 4, 0);
	assert_int_equal(dr(ISENABLER + 4, 4), 0x3a);

	/* pending */
	dw(ISPENDR + 8, 4, 0x80000001);
	assert_int_equal(dr(ISPENDR + 8, 4), 0x80000001);
	assert_int_equal(dr(ICPENDR + 8, 4), 0x80000001);
	assert_true(g.spi[64 - 32].pending);
	dw(ICPENDR + 8, 4, 0x1);
	assert_int_equal(dr(ISPENDR + 8, 4), 0x80000000);

	/* active */
	dw(ISACTIVER + 12, 4, 0xc0);
	assert_int_equal(dr(ISACTIVER + 12, 4), 0xc0);
	dw(ICACTIVER + 12, 4, 0x40);
	assert_int_equal(dr(ICACTIVER + 12, 4), 0x80);

	/* words past the last SPI: RAZ/WI */
	for (u64 reg = IGROUPR; reg <= ICACTIVER; reg += 0x80) {
		dw(reg + VGIC_NR_IRQS / 8, 4, 0xffffffff);
		dw(reg + 0x7c, 4, 0xffffffff);
		assert_int_equal(dr(reg + VGIC_NR_IRQS / 8, 4), 0);
		assert_int_equal(dr(reg + 0x7c, 4), 0);
	}
	/* the other registers of that bank did not change */
	assert_int_equal(dr(IGROUPR + 4, 4), 0x12345678);
	assert_int_equal(dr(ISENABLER + 4, 4), 0x3a);
}

static void test_dist_level_pending(void **state)
{
	/* a level line's pending state is its level plus the ISPENDR latch */
	assert_int_equal(vgic_set_line(&g, 0, 40, true), -1);  /* disabled: nobody to kick */
	assert_int_equal(dr(ISPENDR + 4, 4), bit(40));
	dw(ICPENDR + 4, 4, bit(40));                              /* the line is still high */
	assert_int_equal(dr(ISPENDR + 4, 4), bit(40));
	vgic_set_line(&g, 0, 40, false);
	assert_int_equal(dr(ISPENDR + 4, 4), 0);
	dw(ISPENDR + 4, 4, bit(40));                              /* the latch holds it */
	assert_int_equal(dr(ISPENDR + 4, 4), bit(40));
	dw(ICPENDR + 4, 4, bit(40));
	assert_int_equal(dr(ISPENDR + 4, 4), 0);
}

static void test_dist_priority(void **state)
{
	dw(IPRIORITYR + 32, 4, 0xfffefd08);
	assert_int_equal(dr(IPRIORITYR + 32, 4), 0xf8f8f808);
	assert_int_equal(g.spi[0].priority, 0x08);
	assert_int_equal(g.spi[3].priority, 0xf8);
	/* byte access */
	dw(IPRIORITYR + 33, 1, 0xa7);
	assert_int_equal(dr(IPRIORITYR + 33, 1), 0xa0);
	assert_int_equal(dr(IPRIORITYR + 32, 4), 0xf8f8a008);
	assert_int_equal(dr(IPRIORITYR + 35, 1), 0xf8);
	dw(IPRIORITYR + 127, 1, 0xff);
	assert_int_equal(g.spi[127 - 32].priority, 0xf8);
	assert_int_equal(dr(IPRIORITYR + 124, 4), 0xf8000000);
	/* beyond the last SPI, and the private bytes: RAZ/WI */
	dw(IPRIORITYR + 128, 1, 0xff);
	dw(IPRIORITYR + 0x3f8, 4, 0xffffffff);
	dw(IPRIORITYR + 5, 1, 0xff);
	assert_int_equal(dr(IPRIORITYR + 128, 1), 0);
	assert_int_equal(dr(IPRIORITYR + 0x3f8, 4), 0);
	assert_int_equal(dr(IPRIORITYR + 4, 4), 0);
	assert_int_equal(cpus[0].priv[5].priority, 0);
}

static void test_dist_icfgr(void **state)
{
	assert_int_equal(dr(ICFGR + 8, 4), 0);  /* SPIs start level-sensitive */
	dw(ICFGR + 8, 4, 0xffffffff);
	assert_int_equal(dr(ICFGR + 8, 4), 0xaaaaaaaa);  /* bit 0 of each field is RES0 */
	assert_true(g.spi[0].edge);
	assert_true(g.spi[15].edge);
	assert_false(g.spi[16].edge);
	dw(ICFGR + 8, 4, 0x2);
	assert_int_equal(dr(ICFGR + 8, 4), 0x2);
	dw(ICFGR + 28, 4, 0x80000000);
	assert_true(g.spi[127 - 32].edge);
	assert_int_equal(dr(ICFGR + 28, 4), 0x80000000);
	dw(ICFGR + 32, 4, 0xffffffff);
	assert_int_equal(dr(ICFGR + 32, 4), 0);
	/* IGRPMODR, NSACR, ITARGETSR, SGIR: RAZ/WI */
	static const u64 raz[] = { IGRPMODR, IGRPMODR + 4, NSACR, NSACR + 8, ITARGETSR + 32, SGIR,
				   0x0f10, 0x0f20, 0x0040, 0x1000, 0x5ffc, 0x8000, 0xc000, 0xffcc };
	for (size_t i = 0; i < ARRAY_SIZE(raz); i++) {
		dw(raz[i], 4, 0xffffffff);
		assert_int_equal(dr(raz[i], 4), 0);
	}
	assert_int_equal(dr(CTLR, 4), CTLR_ARE | CTLR_DS);
}

static void test_dist_irouter(void **state)
{
	u64 r = IROUTER + 8 * 40;

	assert_int_equal(dr(r, 8), 0);
	dw(r, 8, 0xffffffffffffffffull);
	/* Aff3 (39:32) and Aff2..Aff0 (23:0); IRM (31) RAZ/WI */
	assert_int_equal(dr(r, 8), 0xff00ffffffull);
	assert_int_equal(dr(r, 4), 0x00ffffff);
	assert_int_equal(dr(r + 4, 4), 0xff);
	dw(r, 4, 0x80030201);
	assert_int_equal(dr(r, 8), 0xff00030201ull);
	dw(r + 4, 4, 0xabcdef07);
	assert_int_equal(dr(r, 8), 0x0700030201ull);
	assert_int_equal(g.spi[40 - 32].route, 0x0700030201ull);
	/* neighbours untouched */
	assert_int_equal(dr(r - 8, 8), 0);
	assert_int_equal(dr(r + 8, 8), 0);
	/* last SPI, then INTIDs beyond the last one */
	dw(IROUTER + 8 * 127, 8, 0x100000001ull);
	assert_int_equal(dr(IROUTER + 8 * 127, 8), 0x100000001ull);
	dw(IROUTER + 8 * 128, 8, 0x1);
	assert_int_equal(dr(IROUTER + 8 * 128, 8), 0);
	dw(IROUTER + 8 * 1019, 8, 0x1);
	assert_int_equal(dr(IROUTER + 8 * 1019, 8), 0);
}

static void test_dist_bad_access(void **state)
{
	/* sizes */
	for (u32 size = 0; size <= 16; size++) {
		bool ok = size == 4;

		assert_int_equal(dist_ok(CTLR, size, false), ok);
		assert_int_equal(dist_ok(ISENABLER + 4, size, true), ok);
	}
	assert_false(dist_ok(IPRIORITYR + 32, 2, false));
	assert_false(dist_ok(IPRIORITYR + 32, 8, true));
	assert_false(dist_ok(ICFGR + 8, 1, true));
	assert_false(dist_ok(ISENABLER + 4, 1, false));
	assert_false(dist_ok(CTLR, 1, false));
	assert_false(dist_ok(PIDR2, 1, false));
	assert_false(dist_ok(ITARGETSR, 1, false));
	assert_false(dist_ok(IROUTER + 8 * 40, 2, false));
	assert_false(dist_ok(IROUTER + 8 * 40, 1, false));
	assert_false(dist_ok(0x5ff8, 8, false));
	assert_false(dist_ok(0x7fe0, 8, false));
	assert_false(dist_ok(TYPER, 8, false));
	/* alignment */
	assert_false(dist_ok(CTLR + 1, 4, false));
	assert_false(dist_ok(CTLR + 2, 4, true));
	assert_false(dist_ok(IROUTER + 8 * 40 + 4, 8, false));
	assert_false(dist_ok(IROUTER + 8 * 40 + 1, 4, true));
	/* outside the frame */
	assert_false(dist_ok(VGIC_DIST_SIZE, 4, false));
	assert_false(dist_ok(VGIC_DIST_SIZE + 4, 4, true));
	assert_false(dist_ok(~0ull - 3, 4, false));
	assert_false(dist_ok(~0ull, 1, false));
	assert_false(dist_ok(~0ull - 7, 8, true));
	/* the edges that are fine */
	assert_true(dist_ok(VGIC_DIST_SIZE - 4, 4, false));
	assert_true(dist_ok(IPRIORITYR, 1, true));
	assert_true(dist_ok(IPRIORITYR + 1019, 1, true));
	assert_false(dist_ok(IPRIORITYR + 1020, 1, true));
	assert_true(dist_ok(IROUTER, 8, true));
	assert_true(dist_ok(IROUTER + 8 * 1019, 8, false));
	assert_true(dist_ok(IROUTER + 8 * 40 + 4, 4, false));
	/* refused writes changed nothing (the one 4-byte write of 0x77 went in) */
	assert_int_equal(dr(ISENABLER + 4, 4), 0x77);
	assert_int_equal(dr(IPRIORITYR + 32, 4), 0);
}

/* --- redistributors ----------------------------------------------------------- */

static void test_redist_rd(void **state)
{
	for (u32 c = 0; c < NCPUS; c++) {
		u64 typer = rr(c, R_TYPER, 8);
		u64 aff = ((mpidr[c] >> 32) & 0xff) << 24 | (mpidr[c] & 0xffffff);

		assert_int_equal(typer >> 32, aff);
		assert_int_equal((typer >> 8) & 0xffff, c);
		assert_int_equal((typer >> 4) & 1, c == NCPUS - 1);
		assert_int_equal(typer & 0xf, 0);  /* no PLPIS, VLPIS, Dirty, DirectLPI */
		assert_int_equal(rr(c, R_TYPER, 4), typer & 0xffffffff);
		assert_int_equal(rr(c, R_TYPER + 4, 4), typer >> 32);
		assert_int_equal(rr(c, R_IIDR, 4), 0x43b);
		assert_int_equal(rr(c, R_CTLR, 4), 0);
		assert_int_equal(rr(c, PIDR2, 4), 0x3b);
		assert_int_equal(rr(c, 0xfff0, 4), 0x0d);
		assert_int_equal(rr(c, 0xfffc, 4), 0xb1);
	}
	assert_int_equal(rr(3, R_TYPER + 4, 4), 0x01020312);
	assert_int_equal(rr(0, R_TYPER + 4, 4), 0);  /* MPIDR bit 31 is not affinity */
	/* read-only / RAZ-WI */
	rw(1, R_TYPER, 8, 0);
	rw(1, R_CTLR, 4, 0xffffffff);
	rw(1, R_STATUSR, 4, 0xffffffff);
	rw(1, R_PROPBASER, 8, ~0ull);
	rw(1, R_PENDBASER, 8, ~0ull);
	rw(1, R_PENDBASER + 4, 4, ~0ull);
	assert_int_equal(rr(1, R_TYPER, 8) >> 32, 1);
	assert_int_equal(rr(1, R_CTLR, 4), 0);
	assert_int_equal(rr(1, R_STATUSR, 4), 0);
	assert_int_equal(rr(1, R_PROPBASER, 8), 0);
	assert_int_equal(rr(1, R_PENDBASER, 8), 0);
	assert_int_equal(rr(1, R_PROPBASER + 4, 4), 0);
}

static void test_redist_waker(void **state)
{
	for (u32 c = 0; c < NCPUS; c++)
		assert_int_equal(rr(c, R_WAKER, 4), 0x6);  /* ProcessorSleep, ChildrenAsleep */
	rw(2, R_WAKER, 4, 0);
	assert_int_equal(rr(2, R_WAKER, 4), 0);
	assert_false(cpus[2].sleeping);
	assert_int_equal(rr(1, R_WAKER, 4), 0x6);
	rw(2, R_WAKER, 4, 0xfffffffd);  /* only ProcessorSleep is writable */
	assert_int_equal(rr(2, R_WAKER, 4), 0);
	rw(2, R_WAKER, 4, 2);
	assert_int_equal(rr(2, R_WAKER, 4), 0x6);
	assert_true(cpus[2].sleeping);
}

static void test_redist_sgi_frame(void **state)
{
	/* private interrupts are per vCPU */
	rw(1, SGI + IGROUPR, 4, 0xffff0001);
	assert_int_equal(rr(1, SGI + IGROUPR, 4), 0xffff0001);
	assert_int_equal(rr(0, SGI + IGROUPR, 4), 0);
	rw(1, SGI + ISENABLER, 4, 0x80000003);
	rw(1, SGI + ICENABLER, 4, 0x1);
	assert_int_equal(rr(1, SGI + ISENABLER, 4), 0x80000002);
	assert_int_equal(rr(1, SGI + ICENABLER, 4), 0x80000002);
	assert_int_equal(rr(2, SGI + ISENABLER, 4), 0);
	rw(1, SGI + ISPENDR, 4, 0x00010002);  /* an SGI and a PPI */
	assert_int_equal(rr(1, SGI + ISPENDR, 4), 0x00010002);
	rw(1, SGI + ICPENDR, 4, 0x2);
	assert_int_equal(rr(1, SGI + ICPENDR, 4), 0x00010000);
	rw(1, SGI + ISACTIVER, 4, 0x4);
	assert_int_equal(rr(1, SGI + ISACTIVER, 4), 0x4);
	rw(1, SGI + ICACTIVER, 4, 0xffffffff);
	assert_int_equal(rr(1, SGI + ICACTIVER, 4), 0);

	/* priorities */
	rw(1, SGI + IPRIORITYR, 4, 0x30201000);
	rw(1, SGI + IPRIORITYR + 31, 1, 0xff);
	assert_int_equal(rr(1, SGI + IPRIORITYR, 4), 0x30201000);
	assert_int_equal(rr(1, SGI + IPRIORITYR + 2, 1), 0x20);
	assert_int_equal(rr(1, SGI + IPRIORITYR + 28, 4), 0xf8000000);
	assert_int_equal(cpus[1].priv[31].priority, 0xf8);
	assert_int_equal(rr(0, SGI + IPRIORITYR + 28, 4), 0);
	rw(1, SGI + IPRIORITYR + 32, 4, 0xffffffff);  /* extended PPI range: RAZ/WI */
	assert_int_equal(rr(1, SGI + IPRIORITYR + 32, 4), 0);

	/* ICFGR0: SGIs always edge; ICFGR1: PPIs level by default, writable */
	assert_int_equal(rr(1, SGI + ICFGR, 4), 0xaaaaaaaa);
	rw(1, SGI + ICFGR, 4, 0);
	assert_int_equal(rr(1, SGI + ICFGR, 4), 0xaaaaaaaa);
	assert_int_equal(rr(1, SGI + ICFGR + 4, 4), 0);
	rw(1, SGI + ICFGR + 4, 4, 0xffffffff);
	assert_int_equal(rr(1, SGI + ICFGR + 4, 4), 0xaaaaaaaa);
	assert_true(cpus[1].priv[16].edge);
	rw(1, SGI + ICFGR + 4, 4, 0x00000008);
	assert_int_equal(rr(1, SGI + ICFGR + 4, 4), 0x8);
	assert_true(cpus[1].priv[17].edge);
	assert_false(cpus[1].priv[16].edge);
	assert_int_equal(rr(0, SGI + ICFGR + 4, 4), 0);

	/* RAZ/WI: IGRPMODR0, NSACR, the second words of each bank, reserved */
	static const u64 raz[] = { IGRPMODR, NSACR, IGROUPR + 4, ISENABLER + 4, ISPENDR + 4,
				   ICFGR + 8, 0x0000, 0x0f00, 0xffe8 };
	for (size_t i = 0; i < ARRAY_SIZE(raz); i++) {
		rw(1, SGI + raz[i], 4, 0xffffffff);
		assert_int_equal(rr(1, SGI + raz[i], 4), 0);
	}
	assert_int_equal(rr(1, SGI + ISENABLER, 4), 0x80000002);
}

static void test_redist_bad_access(void **state)
{
	u64 last = (NCPUS - 1) * VGIC_REDIST_STRIDE;

	for (u32 size = 0; size <= 16; size++) {
		bool ok = size == 4;

		assert_int_equal(redist_ok(R_WAKER, size, false), ok);
		assert_int_equal(redist_ok(SGI + ISENABLER, size, true), ok);
	}
	assert_true(redist_ok(R_TYPER, 8, false));
	assert_true(redist_ok(R_PROPBASER, 8, true));
	assert_true(redist_ok(R_PENDBASER, 8, false));
	assert_true(redist_ok(SGI + IPRIORITYR + 31, 1, true));
	assert_false(redist_ok(SGI + IPRIORITYR + 32, 1, true));
	assert_false(redist_ok(IPRIORITYR, 1, false));  /* RD frame: no byte registers */
	assert_false(redist_ok(SGI + R_TYPER, 8, false));
	assert_false(redist_ok(R_TYPER + 4, 8, false));
	assert_false(redist_ok(R_WAKER, 8, false));
	assert_false(redist_ok(R_CTLR + 1, 4, false));
	assert_false(redist_ok(SGI + IPRIORITYR + 1, 4, true));
	assert_false(redist_ok(SGI + IPRIORITYR, 2, true));
	/* the last vCPU's redistributor is the end of the region */
	assert_true(redist_ok(last + SGI + 0xfffc, 4, false));
	assert_false(redist_ok(last + VGIC_REDIST_STRIDE, 4, false));
	assert_false(redist_ok(last + VGIC_REDIST_STRIDE + R_TYPER, 8, true));
	assert_false(redist_ok(~0ull - 3, 4, false));
	assert_false(redist_ok(~0ull - 7, 8, false));
	assert_false(redist_ok(1ull << 63, 4, false));
	/* a VM without vCPUs has no redistributors */
	vgic_init(&g, NULL, 0, NULL);
	assert_false(redist_ok(0, 4, false));
	assert_int_equal(g.ncpus, 0);
}

/* --- SGIs ------------------------------------------------------------------------ */

static u64 sgi1r(u32 intid, u32 aff3, u32 aff2, u32 aff1, u32 rs, u32 targets)
{
	return (u64)aff3 << 48 | (u64)rs << 44 | (u64)aff2 << 32 | (u64)intid << 24 |
	       (u64)aff1 << 16 | targets;
}

static u32 sgi_pending(u32 intid)
{
	u32 mask = 0;

	for (u32 c = 0; c < NCPUS; c++)
		if (rr(c, SGI + ISPENDR, 4) & bit(intid))
			mask |= 1u << c;
	return mask;
}

static void test_sgi_target_list(void **state)
{
	u64 kick = 0xff;

	enable_groups(CTLR_G1);
	for (u32 c = 0; c < NCPUS; c++)
		priv_setup(c, 3, 0x80);
	/* Aff0 0 and 1 in Aff1 group 0: vCPUs 0 and 1 */
	vgic_send_sgi(&g, 0, sgi1r(3, 0, 0, 0, 0, 0x3), &kick);
	assert_int_equal(kick, 0x3);
	assert_int_equal(sgi_pending(3), 0x3);
	/* already pending: nothing new to kick */
	vgic_send_sgi(&g, 2, sgi1r(3, 0, 0, 0, 0, 0x2), &kick);
	assert_int_equal(kick, 0);
	/* a target list naming no vCPU of the VM */
	vgic_send_sgi(&g, 0, sgi1r(5, 0, 0, 0, 0, 0xfffc), &kick);
	assert_int_equal(kick, 0);
	assert_int_equal(sgi_pending(5), 0);
	/* the SGI number selects the interrupt; disabled SGIs latch without a kick */
	vgic_send_sgi(&g, 1, sgi1r(7, 0, 0, 0, 0, 0x1), &kick);
	assert_int_equal(kick, 0);
	assert_int_equal(sgi_pending(7), 0x1);
	/* a sender may target itself */
	vgic_send_sgi(&g, 1, sgi1r(3, 0, 0, 1, 0, 0x1), &kick);
	assert_int_equal(kick, 0x4);
	assert_int_equal(sgi_pending(3), 0x7);
	/* a NULL kick pointer is tolerated */
	vgic_send_sgi(&g, 1, sgi1r(9, 0, 0, 1, 0, 0x1), NULL);
	assert_int_equal(sgi_pending(9), 0x4);
}

static void test_sgi_affinity(void **state)
{
	u64 kick;

	enable_groups(CTLR_G1);
	for (u32 c = 0; c < NCPUS; c++)
		priv_setup(c, 1, 0);
	/* Aff1 = 1 selects vCPU 2 (0.0.1.0) only */
	vgic_send_sgi(&g, 0, sgi1r(1, 0, 0, 1, 0, 0xffff), &kick);
	assert_int_equal(kick, 0x4);
	assert_int_equal(sgi_pending(1), 0x4);
	/* vCPU 3 is 1.2.3.0x12: RS = 1, bit 2; every affinity level must match */
	vgic_send_sgi(&g, 0, sgi1r(1, 1, 2, 3, 0, 0xffff), &kick);
	assert_int_equal(kick, 0);
	vgic_send_sgi(&g, 0, sgi1r(1, 1, 2, 3, 1, 0xfffb), &kick);
	assert_int_equal(kick, 0);
	vgic_send_sgi(&g, 0, sgi1r(1, 0, 2, 3, 1, 0x4), &kick);
	assert_int_equal(kick, 0);
	vgic_send_sgi(&g, 0, sgi1r(1, 1, 0, 3, 1, 0x4), &kick);
	assert_int_equal(kick, 0);
	vgic_send_sgi(&g, 0, sgi1r(1, 1, 2, 2, 1, 0x4), &kick);
	assert_int_equal(kick, 0);
	assert_int_equal(sgi_pending(1), 0x4);
	vgic_send_sgi(&g, 0, sgi1r(1, 1, 2, 3, 1, 0x4), &kick);
	assert_int_equal(kick, 0x8);
	assert_int_equal(sgi_pending(1), 0xc);
	/* RS = 0 with the same list does not reach Aff0 0x12 */
	vgic_send_sgi(&g, 0, sgi1r(2, 1, 2, 3, 0, 0x4), &kick);
	assert_int_equal(sgi_pending(2), 0);
}

static void test_sgi_broadcast(void **state)
{
	u64 kick;

	enable_groups(CTLR_G1);
	for (u32 c = 0; c < NCPUS; c++)
		priv_setup(c, 0, 0);
	/* IRM: every vCPU but the sender; the other fields are ignored */
	vgic_send_sgi(&g, 2, (1ull << 40) | sgi1r(0, 9, 9, 9, 9, 0x4), &kick);
	assert_int_equal(kick, 0xb);
	assert_int_equal(sgi_pending(0), 0xb);
	vgic_send_sgi(&g, 0, (1ull << 40) | sgi1r(0, 0, 0, 0, 0, 0), &kick);
	assert_int_equal(kick, 0x4);  /* 1 and 3 were pending already */
	assert_int_equal(sgi_pending(0), 0xf);
	/* a sender that is not a vCPU of the VM sends nothing */
	vgic_send_sgi(&g, NCPUS, (1ull << 40) | sgi1r(4, 0, 0, 0, 0, 0), &kick);
	assert_int_equal(kick, 0);
	assert_int_equal(sgi_pending(4), 0);
	vgic_send_sgi(&g, 0xffffffff, sgi1r(4, 0, 0, 0, 0, 1), &kick);
	assert_int_equal(sgi_pending(4), 0);
}

/* --- SPI routing and sources ------------------------------------------------------ */

static void test_spi_routing(void **state)
{
	struct vgic_lr lr[4];

	enable_groups(CTLR_G1);
	spi_setup(50, 0x40, 3);
	assert_int_equal(vgic_set_line(&g, 0, 50, true), 3);
	assert_false(vgic_has_pending(&g, 0));
	assert_true(vgic_has_pending(&g, 3));
	assert_int_equal(pick(0, lr, 4), 0);
	assert_int_equal(pick(3, lr, 4), 1);
	assert_int_equal(lr[0].intid, 50);
	assert_true(lr[0].pending);
	vgic_lr_sync(&g, 3, 50, true, false);

	/* routed to an affinity no vCPU has: stays pending, undelivered */
	dw(IROUTER + 8 * 50, 8, 0x0000000005ull);
	assert_int_equal(vgic_set_line(&g, 0, 50, false), -1);
	assert_int_equal(vgic_set_line(&g, 0, 50, true), -1);
	assert_int_equal(dr(ISPENDR + 4, 4), bit(50));
	for (u32 c = 0; c < NCPUS; c++) {
		assert_false(vgic_has_pending(&g, c));
		assert_int_equal(pick(c, lr, 4), 0);
	}
	/* Aff3 counts */
	dw(IROUTER + 8 * 50, 8, 0x0100000000ull);
	for (u32 c = 0; c < NCPUS; c++)
		assert_false(vgic_has_pending(&g, c));
	/* re-routing to vCPU 1 makes it deliverable there */
	dw(IROUTER + 8 * 50, 4, 1);
	dw(IROUTER + 8 * 50 + 4, 4, 0);
	assert_true(vgic_has_pending(&g, 1));
	assert_int_equal(pick(1, lr, 4), 1);
	assert_int_equal(lr[0].intid, 50);
	/* the IRM bit is ignored: 1-of-N is not supported */
	spi_setup(51, 0, 0);
	dw(IROUTER + 8 * 51, 8, (1ull << 31) | 2);
	assert_int_equal(vgic_inject_edge(&g, 2, 51), -1);
	assert_int_equal(dr(IROUTER + 8 * 51, 8), 2);
}

static void test_spi_duplicate_affinity(void **state)
{
	static const u64 dup[2] = { 0x1, 0x1 };
	struct vgic_cpu two[2];
	struct vgic_lr lr[2];

	/* two vCPUs with one affinity: SPIs go to the first, never to both */
	vgic_init(&g, two, 2, dup);
	enable_groups(CTLR_G1);
	dw(ISENABLER + 4, 4, bit(33));
	dw(IGROUPR + 4, 4, bit(33));
	dw(IROUTER + 8 * 33, 8, 1);
	assert_int_equal(vgic_set_line(&g, 1, 33, true), 0);
	assert_true(vgic_has_pending(&g, 0));
	assert_false(vgic_has_pending(&g, 1));
	assert_int_equal(vgic_pick(&g, 1, lr, 2), 0);
	assert_int_equal(vgic_pick(&g, 0, lr, 2), 1);
}

static void test_sources(void **state)
{
	enable_groups(CTLR_G1);
	priv_setup(1, 27, 0x10);  /* a level PPI */
	spi_setup(40, 0x10, 1);   /* a level SPI */
	/* the kick goes to the owner; a lowered or unchanged line kicks nobody */
	assert_int_equal(vgic_set_line(&g, 1, 27, true), 1);
	assert_int_equal(vgic_set_line(&g, 1, 27, true), -1);
	assert_int_equal(vgic_set_line(&g, 1, 27, false), -1);
	assert_int_equal(vgic_set_line(&g, 2, 27, true), -1);  /* vCPU 2's PPI 27: disabled */
	assert_true(cpus[2].priv[27].level);
	assert_int_equal(vgic_set_line(&g, 3, 40, true), 1);   /* the vCPU argument of an SPI is moot */
	assert_int_equal(vgic_set_line(&g, 3, 40, false), -1);
	/* disabled or group disabled: latched, nobody kicked */
	dw(ICENABLER + 4, 4, bit(40));
	assert_int_equal(vgic_set_line(&g, 0, 40, true), -1);
	vgic_set_line(&g, 0, 40, false);
	dw(ISENABLER + 4, 4, bit(40));
	enable_groups(CTLR_G0);
	assert_int_equal(vgic_set_line(&g, 0, 40, true), -1);
	vgic_set_line(&g, 0, 40, false);
	enable_groups(CTLR_G1);
	/* edge lines latch on a rising line only */
	dw(ICFGR + 8, 4, 2u << 16);  /* INTID 40 edge */
	assert_int_equal(vgic_set_line(&g, 0, 40, true), 1);
	assert_int_equal(vgic_set_line(&g, 0, 40, true), -1);
	assert_int_equal(vgic_set_line(&g, 0, 40, false), -1);
	assert_true(g.spi[8].pending);  /* lowering an edge line does not unpend it */
	dw(ICPENDR + 4, 4, bit(40));
	assert_int_equal(vgic_set_line(&g, 0, 40, true), 1);
	dw(ICPENDR + 4, 4, bit(40));
	assert_int_equal(vgic_inject_edge(&g, 0, 40), 1);
	assert_int_equal(vgic_inject_edge(&g, 0, 40), -1);
	assert_int_equal(vgic_inject_edge(&g, 0, 26), -1);  /* vCPU 0's PPI 26: disabled */
	assert_true(cpus[0].priv[26].pending);
	/* out of range: nothing happens */
	assert_int_equal(vgic_set_line(&g, NCPUS, 27, true), -1);
	assert_int_equal(vgic_inject_edge(&g, NCPUS, 16), -1);
	assert_int_equal(vgic_set_line(&g, 0, VGIC_NR_IRQS, true), -1);
	assert_int_equal(vgic_inject_edge(&g, 0, VGIC_NR_IRQS), -1);
	assert_int_equal(vgic_inject_edge(&g, 0, 0xffffffff), -1);
	assert_int_equal(vgic_set_line(&g, 0xffffffff, 0, true), -1);
	assert_false(vgic_has_pending(&g, NCPUS));
	assert_false(vgic_has_pending(&g, 0xffffffff));
}

static void test_has_pending(void **state)
{
	assert_false(vgic_has_pending(&g, 0));
	vgic_inject_edge(&g, 0, 20);
	assert_false(vgic_has_pending(&g, 0));  /* disabled, group 0 disabled */
	rw(0, SGI + ISENABLER, 4, bit(20));
	assert_false(vgic_has_pending(&g, 0));  /* group 0 not enabled in GICD_CTLR */
	enable_groups(CTLR_G1);
	assert_false(vgic_has_pending(&g, 0));
	enable_groups(CTLR_G0);
	assert_true(vgic_has_pending(&g, 0));
	rw(0, SGI + IGROUPR, 4, bit(20));       /* now group 1 */
	assert_false(vgic_has_pending(&g, 0));
	enable_groups(CTLR_G1);
	assert_true(vgic_has_pending(&g, 0));
	/* whatever the priority */
	rw(0, SGI + IPRIORITYR + 20, 1, 0xff);
	assert_true(vgic_has_pending(&g, 0));
	assert_false(vgic_has_pending(&g, 1));
	rw(0, SGI + ICENABLER, 4, bit(20));
	assert_false(vgic_has_pending(&g, 0));
	rw(0, SGI + ISENABLER, 4, bit(20));
	rw(0, SGI + ICPENDR, 4, bit(20));
	assert_false(vgic_has_pending(&g, 0));
	/* active but not pending does not wake a vCPU */
	rw(0, SGI + ISACTIVER, 4, bit(20));
	assert_false(vgic_has_pending(&g, 0));
}

/* --- list registers ----------------------------------------------------------------- */

static void test_pick_order(void **state)
{
	struct vgic_lr lr[8];
	u32 n;

	enable_groups(CTLR_G0 | CTLR_G1);
	spi_setup(100, 0x20, 1);
	spi_setup(35, 0x20, 1);
	spi_setup(60, 0x08, 1);
	priv_setup(1, 30, 0x20);
	priv_setup(1, 2, 0xf0);
	spi_setup(70, 0x00, 2);  /* another vCPU's */
	rw(1, SGI + ICENABLER, 4, 0);
	dw(ICFGR + 4 * (100 / 16), 4, 2u << (2 * (100 % 16)));  /* 100 edge */
	vgic_inject_edge(&g, 1, 100);
	vgic_set_line(&g, 1, 35, true);
	vgic_set_line(&g, 1, 60, true);
	vgic_set_line(&g, 1, 30, true);
	vgic_set_line(&g, 1, 70, true);
	vgic_send_sgi(&g, 0, sgi1r(2, 0, 0, 0, 0, 0x2), &(u64){ 0 });
	/* a pending but disabled one is not a candidate */
	vgic_inject_edge(&g, 1, 31);
	/* an active, disabled one is (it must be deactivated) */
	dw(ISACTIVER + 4 * (90 / 32), 4, bit(90));
	dw(IROUTER + 8 * 90, 8, 1);
	dw(IPRIORITYR + 90, 1, 0x18);

	n = pick(1, lr, 3);
	assert_int_equal(n, 3);
	assert_int_equal(lr[0].intid, 60);
	assert_int_equal(lr[0].priority, 0x08);
	assert_int_equal(lr[1].intid, 90);
	assert_false(lr[1].pending);
	assert_true(lr[1].active);
	assert_false(lr[1].group1);
	assert_int_equal(lr[2].intid, 30);
	assert_true(lr[2].pending);
	assert_true(lr[2].group1);
	/* the rest, in order; picked ones are not picked again */
	n = pick(1, lr, 8);
	assert_int_equal(n, 3);
	assert_int_equal(lr[0].intid, 35);
	assert_int_equal(lr[1].intid, 100);
	assert_int_equal(lr[2].intid, 2);
	assert_int_equal(lr[2].priority, 0xf0);
	assert_int_equal(pick(1, lr, 8), 0);
	assert_int_equal(pick(1, lr, 0), 0);
	assert_int_equal(pick(NCPUS, lr, 8), 0);
	assert_int_equal(pick(2, lr, 8), 1);
	assert_int_equal(lr[0].intid, 70);
	assert_true(g.spi[70 - 32].in_lr);
	assert_int_equal(g.spi[70 - 32].lr_vcpu, 2);
}

/* SGIs just sent go in as a pick would hand them; one already in a list
 * register, or more than fit, makes the caller refresh instead. */
static void test_take_sgis(void **state)
{
	struct vgic_lr lr[4];

	enable_groups(CTLR_G0 | CTLR_G1);
	priv_setup(1, 3, 0x40);
	priv_setup(1, 5, 0x20);
	rw(1, SGI + ICENABLER, 4, bit(7));  /* SGI 7 disabled: not handed over */
	vgic_send_sgi(&g, 0, sgi1r(3, 0, 0, 0, 0, 0x2), &(u64){ 0 });
	vgic_send_sgi(&g, 0, sgi1r(5, 0, 0, 0, 0, 0x2), &(u64){ 0 });
	vgic_send_sgi(&g, 0, sgi1r(7, 0, 0, 0, 0, 0x2), &(u64){ 0 });
	assert_int_equal(vgic_take_sgis(&g, 1, bit(3) | bit(5) | bit(7), lr, 2), -1);  /* 3 > 2 */
	assert_false(cpus[1].priv[3].in_lr);
	assert_int_equal(vgic_take_sgis(&g, 1, bit(3) | bit(5) | bit(7), lr, 4), 2);
	assert_int_equal(lr[0].intid, 3);
	assert_int_equal(lr[0].priority, 0x40);
	assert_true(lr[0].pending && lr[0].group1);
	assert_int_equal(lr[1].intid, 5);
	assert_true(cpus[1].priv[3].in_lr && cpus[1].priv[5].in_lr);
	assert_false(cpus[1].priv[3].pending);  /* an edge's latch moved into the LR */
	assert_true(cpus[1].priv[7].pending);   /* still waits in the model */
	/* sent again while in a list register: only a sync can merge it */
	vgic_send_sgi(&g, 0, sgi1r(3, 0, 0, 0, 0, 0x2), &(u64){ 0 });
	assert_int_equal(vgic_take_sgis(&g, 1, bit(3), lr, 4), -1);
	assert_true(cpus[1].priv[3].pending);
	assert_int_equal(vgic_take_sgis(&g, NCPUS, bit(3), lr, 4), -1);
	assert_int_equal(vgic_take_sgis(&g, 1, 0, lr, 4), 0);
}

/* I[SC]ACTIVER and I[SC]PENDR written while the interrupt sits in a list
 * register: the register's copy coming back does not undo the write. */
static void test_write_beats_list_register(void **state)
{
	struct vgic_lr lr[4];

	enable_groups(CTLR_G0 | CTLR_G1);
	priv_setup(1, 27, 0x80);
	vgic_set_line(&g, 1, 27, true);   /* a timer's level line */
	assert_int_equal(pick(1, lr, 4), 1);
	assert_int_equal(lr[0].intid, 27);
	/* the guest acknowledged it (active in the LR), then deactivates it
	 * through its redistributor: the line, still high, is pending again */
	rw(1, SGI + ICACTIVER, 4, bit(27));
	vgic_lr_sync(&g, 1, 27, false, true);
	assert_false(cpus[1].priv[27].active);
	assert_false(cpus[1].priv[27].in_lr);
	assert_true(vgic_has_pending(&g, 1));
	/* the next LR copy is fresh: its active state counts again */
	assert_int_equal(pick(1, lr, 4), 1);
	vgic_lr_sync(&g, 1, 27, false, true);
	assert_true(cpus[1].priv[27].active);
	/* an edge SGI pending in an LR (vCPU 2's), cleared by ICPENDR: it
	 * stays cleared */
	priv_setup(2, 4, 0x40);
	vgic_send_sgi(&g, 0, sgi1r(4, 0, 0, 1, 0, 0x1), &(u64){ 0 });
	assert_int_equal(pick(2, lr, 4), 1);
	assert_int_equal(lr[0].intid, 4);
	rw(2, SGI + ICPENDR, 4, bit(4));
	vgic_lr_sync(&g, 2, 4, true, false);
	assert_false(cpus[2].priv[4].pending);
	/* ISACTIVER on one pending in an LR: active, and still pending */
	vgic_send_sgi(&g, 0, sgi1r(4, 0, 0, 1, 0, 0x1), &(u64){ 0 });
	assert_int_equal(pick(2, lr, 4), 1);
	rw(2, SGI + ISACTIVER, 4, bit(4));
	vgic_lr_sync(&g, 2, 4, true, false);
	assert_true(cpus[2].priv[4].active);
	assert_true(cpus[2].priv[4].pending);
}

static void test_pick_limit_and_ties(void **state)
{
	struct vgic_lr lr[VGIC_NR_IRQS];
	u32 n, total = 0;

	enable_groups(CTLR_G1);
	for (u32 intid = 32; intid < VGIC_NR_IRQS; intid++) {
		spi_setup(intid, 0x80, 0);
		vgic_set_line(&g, 0, intid, true);
	}
	for (u32 intid = 16; intid < 32; intid++) {
		priv_setup(0, intid, 0x80);
		vgic_inject_edge(&g, 0, intid);
	}
	/* equal priorities: by INTID, four at a time */
	for (u32 round = 0; (n = pick(0, lr, 4)) != 0; round++) {
		assert_true(n <= 4);
		for (u32 i = 0; i < n; i++)
			assert_int_equal(lr[i].intid, 16 + round * 4 + i);
		total += n;
	}
	assert_int_equal(total, VGIC_NR_IRQS - 16);
}

/*
 * The underflow refill as vgic_lr.c drives it: four list registers for seven
 * pending SGIs. The guest takes three, the registers go back to the model
 * (the one it did not take still pending) and are filled again; an SGI of
 * higher priority that arrived meanwhile goes ahead of the rest.
 */
static void test_refill_after_underflow(void **state)
{
	static const u8 prio[7] = { 0xd0, 0x90, 0xb0, 0x80, 0xe0, 0xa0, 0xc0 };
	struct vgic_lr lr[4];

	enable_groups(CTLR_G1);
	for (u32 i = 0; i < 7; i++) {
		priv_setup(0, i, prio[i]);
		vgic_send_sgi(&g, 0, sgi1r(i, 0, 0, 0, 0, 1), &(u64){ 0 });
	}
	priv_setup(0, 9, 0x10);
	assert_int_equal(pick(0, lr, 4), 4);
	assert_int_equal(lr[0].intid, 3);  /* 0x80 */
	assert_int_equal(lr[1].intid, 1);  /* 0x90 */
	assert_int_equal(lr[2].intid, 5);  /* 0xa0 */
	assert_int_equal(lr[3].intid, 2);  /* 0xb0 */
	vgic_send_sgi(&g, 0, sgi1r(9, 0, 0, 0, 0, 1), &(u64){ 0 });
	/* taken and deactivated: 3, 1, 5; 2 is still pending in its LR */
	vgic_lr_sync(&g, 0, 3, false, false);
	vgic_lr_sync(&g, 0, 1, false, false);
	vgic_lr_sync(&g, 0, 5, false, false);
	vgic_lr_sync(&g, 0, 2, true, false);
	assert_int_equal(pick(0, lr, 4), 4);
	assert_int_equal(lr[0].intid, 9);  /* 0x10, arrived while the LRs were full */
	assert_int_equal(lr[1].intid, 2);  /* 0xb0, back from its LR */
	assert_int_equal(lr[2].intid, 6);  /* 0xc0 */
	assert_int_equal(lr[3].intid, 0);  /* 0xd0 */
	for (u32 i = 0; i < 4; i++) {
		assert_true(lr[i].pending);
		vgic_lr_sync(&g, 0, lr[i].intid, false, false);
	}
	assert_int_equal(pick(0, lr, 4), 1);
	assert_int_equal(lr[0].intid, 4);  /* 0xe0, last */
	vgic_lr_sync(&g, 0, 4, false, false);
	assert_false(vgic_has_pending(&g, 0));
	assert_int_equal(pick(0, lr, 4), 0);
}

static void test_edge_pick_sync(void **state)
{
	struct vgic_lr lr[2];

	enable_groups(CTLR_G1);
	priv_setup(0, 5, 0x40);
	vgic_send_sgi(&g, 1, sgi1r(5, 0, 0, 0, 0, 1), &(u64){ 0 });
	assert_int_equal(pick(0, lr, 2), 1);
	assert_true(lr[0].pending);
	assert_false(lr[0].active);
	/* the pending state now lives in the LR */
	assert_false(cpus[0].priv[5].pending);
	assert_false(vgic_has_pending(&g, 0));
	/* the guest acknowledged it: active in the LR */
	vgic_lr_sync(&g, 0, 5, false, true);
	assert_false(cpus[0].priv[5].in_lr);
	assert_true(cpus[0].priv[5].active);
	assert_int_equal(rr(0, SGI + ISACTIVER, 4), bit(5));
	/* an active interrupt goes back to an LR so the guest can deactivate it */
	assert_int_equal(pick(0, lr, 2), 1);
	assert_false(lr[0].pending);
	assert_true(lr[0].active);
	/* a new edge while it sits in the LR: latched, kicks, not picked twice */
	vgic_send_sgi(&g, 1, sgi1r(5, 0, 0, 0, 0, 1), &(u64){ 0 });
	assert_true(cpus[0].priv[5].pending);
	assert_int_equal(pick(0, lr, 2), 0);
	/* deactivated: the new edge is picked on its own */
	vgic_lr_sync(&g, 0, 5, false, false);
	assert_int_equal(pick(0, lr, 2), 1);
	assert_true(lr[0].pending);
	assert_false(lr[0].active);
	/* the guest never took it: it is pending again after sync */
	vgic_lr_sync(&g, 0, 5, true, false);
	assert_true(cpus[0].priv[5].pending);
	assert_true(vgic_has_pending(&g, 0));
	/* pending and active at once */
	vgic_lr_sync(&g, 0, 5, true, true);  /* not in an LR: ignored */
	assert_false(cpus[0].priv[5].active);
	assert_int_equal(pick(0, lr, 2), 1);
	vgic_lr_sync(&g, 0, 5, false, true);
	vgic_send_sgi(&g, 1, sgi1r(5, 0, 0, 0, 0, 1), &(u64){ 0 });
	assert_int_equal(pick(0, lr, 2), 1);
	assert_true(lr[0].pending);
	assert_true(lr[0].active);
}

static void test_level_lowered_in_lr(void **state)
{
	struct vgic_lr lr[2];

	enable_groups(CTLR_G1);
	spi_setup(45, 0x30, 2);
	assert_int_equal(vgic_set_line(&g, 0, 45, true), 2);
	assert_int_equal(pick(2, lr, 2), 1);
	assert_true(lr[0].pending);
	/* the device drops the line before the guest took the interrupt */
	assert_int_equal(vgic_set_line(&g, 0, 45, false), -1);
	vgic_lr_sync(&g, 2, 45, true, false);
	assert_false(g.spi[45 - 32].in_lr);
	assert_int_equal(dr(ISPENDR + 4, 4), 0);
	assert_false(vgic_has_pending(&g, 2));
	assert_int_equal(pick(2, lr, 2), 0);
}

static void test_level_repend(void **state)
{
	struct vgic_lr lr[2];

	enable_groups(CTLR_G1);
	priv_setup(1, 27, 0x30);  /* the timer PPI, level */
	assert_int_equal(vgic_set_line(&g, 1, 27, true), 1);
	assert_int_equal(pick(1, lr, 2), 1);
	assert_true(lr[0].pending);
	/* acknowledged: active; the line is still high, so also pending, but the
	 * LR gets it as active only: the line is sampled again on deactivation */
	vgic_lr_sync(&g, 1, 27, false, true);
	assert_int_equal(rr(1, SGI + ISACTIVER, 4), bit(27));
	assert_int_equal(rr(1, SGI + ISPENDR, 4), bit(27));
	assert_int_equal(pick(1, lr, 2), 1);
	assert_true(lr[0].active);
	assert_false(lr[0].pending);
	/* deactivated with the line still high: pending again */
	vgic_lr_sync(&g, 1, 27, false, false);
	assert_true(vgic_has_pending(&g, 1));
	assert_int_equal(pick(1, lr, 2), 1);
	assert_true(lr[0].pending);
	assert_false(lr[0].active);
	/* the guest handled it and the line went low */
	vgic_lr_sync(&g, 1, 27, false, true);
	vgic_set_line(&g, 1, 27, false);
	assert_int_equal(pick(1, lr, 2), 1);
	assert_false(lr[0].pending);
	assert_true(lr[0].active);
	vgic_lr_sync(&g, 1, 27, false, false);
	assert_false(vgic_has_pending(&g, 1));
	assert_int_equal(pick(1, lr, 2), 0);
}

/* The timer's fast way in: the same LR content and model state as vgic_pick. */
static void test_raise_private_direct(void **state)
{
	struct vgic_lr direct, picked;

	enable_groups(CTLR_G1);
	priv_setup(1, 27, 0x40);
	assert_true(vgic_raise_private(&g, 1, 27, &direct));
	assert_int_equal(direct.intid, 27);
	assert_int_equal(direct.priority, 0x40);
	assert_true(direct.pending);
	assert_false(direct.active);
	assert_true(direct.group1);
	assert_true(g.cpus[1].priv[27].in_lr);
	/* in a list register now: neither path hands it out twice */
	assert_int_equal(pick(1, &picked, 1), 0);
	assert_false(vgic_raise_private(&g, 1, 27, &direct));
	/* acknowledged and deactivated with the line low: done */
	vgic_set_line(&g, 1, 27, false);
	vgic_lr_sync(&g, 1, 27, false, false);
	assert_false(vgic_has_pending(&g, 1));
}

static void test_raise_private_not_deliverable(void **state)
{
	struct vgic_lr lr;

	enable_groups(CTLR_G1);
	/* disabled: only the line is recorded, for a later pick */
	rw(0, SGI + IGROUPR, 4, bit(27));
	assert_false(vgic_raise_private(&g, 0, 27, &lr));
	assert_int_equal(rr(0, SGI + ISPENDR, 4), bit(27));
	assert_int_equal(pick(0, &lr, 1), 0);
	rw(0, SGI + ISENABLER, 4, bit(27));
	assert_int_equal(pick(0, &lr, 1), 1);
	assert_int_equal(lr.intid, 27);
	/* SGIs, SPIs, bad vCPUs and a missing output are refused outright */
	assert_false(vgic_raise_private(&g, 0, 3, &lr));
	assert_false(vgic_raise_private(&g, 0, 40, &lr));
	assert_false(vgic_raise_private(&g, 99, 27, &lr));
	assert_false(vgic_raise_private(&g, 0, 26, NULL));
}

static void test_level_latch(void **state)
{
	struct vgic_lr lr[2];

	enable_groups(CTLR_G1);
	spi_setup(33, 0x30, 0);
	/* ISPENDR on a level SPI with the line low: pending until acknowledged */
	dw(ISPENDR + 4, 4, bit(33));
	assert_int_equal(pick(0, lr, 2), 1);
	assert_true(lr[0].pending);
	vgic_lr_sync(&g, 0, 33, true, false);  /* not taken yet */
	assert_true(vgic_has_pending(&g, 0));
	assert_int_equal(pick(0, lr, 2), 1);
	vgic_lr_sync(&g, 0, 33, false, true);  /* taken */
	assert_int_equal(dr(ISPENDR + 4, 4), 0);
	assert_int_equal(pick(0, lr, 2), 1);
	assert_false(lr[0].pending);
	vgic_lr_sync(&g, 0, 33, false, false);
	assert_int_equal(pick(0, lr, 2), 0);

	/* set pending while active in an LR (handed over as active only): it is
	 * taken after the guest deactivates the first one */
	dw(ISPENDR + 4, 4, bit(33));
	assert_int_equal(pick(0, lr, 2), 1);
	vgic_lr_sync(&g, 0, 33, false, true);
	assert_int_equal(pick(0, lr, 2), 1);
	assert_false(lr[0].pending);
	dw(ISPENDR + 4, 4, bit(33));
	vgic_lr_sync(&g, 0, 33, false, false);
	assert_int_equal(dr(ISPENDR + 4, 4), bit(33));
	assert_int_equal(pick(0, lr, 2), 1);
	assert_true(lr[0].pending);
	assert_false(lr[0].active);
}

static void test_changes_while_in_lr(void **state)
{
	struct vgic_lr lr[2];

	enable_groups(CTLR_G1);
	spi_setup(64, 0x50, 0);
	dw(ICFGR + 4 * (64 / 16), 4, 2);  /* edge */
	vgic_inject_edge(&g, 0, 64);
	assert_int_equal(pick(0, lr, 2), 1);
	/* disabled while in the LR: the LR's pending state comes back, unpickable */
	dw(ICENABLER + 8, 4, bit(64));
	vgic_lr_sync(&g, 0, 64, true, false);
	assert_int_equal(dr(ISPENDR + 8, 4), bit(64));
	assert_int_equal(pick(0, lr, 2), 0);
	assert_false(vgic_has_pending(&g, 0));
	/* re-enabled with a new priority */
	dw(IPRIORITYR + 64, 1, 0x10);
	dw(ISENABLER + 8, 4, bit(64));
	assert_int_equal(pick(0, lr, 2), 1);
	assert_int_equal(lr[0].priority, 0x10);
	/* re-routed while in vCPU 0's LR: vCPU 1 cannot pick it until vCPU 0 syncs */
	dw(IROUTER + 8 * 64, 8, 1);
	vgic_inject_edge(&g, 0, 64);
	assert_int_equal(pick(1, lr, 2), 0);
	/* a sync from the wrong vCPU, or of an INTID not in an LR, is ignored */
	vgic_lr_sync(&g, 1, 64, false, true);
	assert_true(g.spi[64 - 32].in_lr);
	assert_false(g.spi[64 - 32].active);
	vgic_lr_sync(&g, 0, 65, false, true);
	assert_false(g.spi[65 - 32].active);
	vgic_lr_sync(&g, NCPUS, 64, false, true);
	vgic_lr_sync(&g, 0, VGIC_NR_IRQS, false, true);
	assert_true(g.spi[64 - 32].in_lr);
	vgic_lr_sync(&g, 0, 64, true, false);
	assert_false(g.spi[64 - 32].in_lr);
	assert_int_equal(pick(0, lr, 2), 0);
	assert_int_equal(pick(1, lr, 2), 1);
	assert_int_equal(lr[0].intid, 64);
	assert_true(lr[0].pending);
	/* cleared while in the LR (which the guest meanwhile acknowledged):
	 * the writes stand, the LR's copy of those states does not come back */
	dw(ICPENDR + 8, 4, bit(64));
	dw(ICACTIVER + 8, 4, bit(64));
	assert_int_equal(dr(ISPENDR + 8, 4), 0);
	vgic_lr_sync(&g, 1, 64, false, true);
	assert_int_equal(dr(ISACTIVER + 8, 4), 0);
	assert_int_equal(dr(ISPENDR + 8, 4), 0);
}

static void test_init(void **state)
{
	/* reset state after a used model */
	vgic_inject_edge(&g, 0, 1);
	dw(CTLR, 4, 3);
	vgic_init(&g, cpus, NCPUS, mpidr);
	assert_int_equal(g.ncpus, NCPUS);
	assert_int_equal(dr(CTLR, 4), CTLR_ARE | CTLR_DS);
	for (u32 c = 0; c < NCPUS; c++) {
		assert_int_equal(cpus[c].mpidr, mpidr[c]);
		assert_true(cpus[c].sleeping);
		for (u32 i = 0; i < VGIC_NR_PRIVATE; i++) {
			const struct vgic_irq *irq = &cpus[c].priv[i];

			assert_false(irq->enabled || irq->pending || irq->active || irq->group1 ||
				     irq->in_lr || irq->level);
			assert_int_equal(irq->priority, 0);
			assert_int_equal(irq->edge, i < 16);
		}
	}
	for (u32 i = 0; i < VGIC_NR_SPIS; i++) {
		const struct vgic_irq *irq = &g.spi[i];

		assert_false(irq->enabled || irq->pending || irq->active || irq->group1 ||
			     irq->in_lr || irq->level || irq->edge);
		assert_int_equal(irq->route, 0);
	}
}

static void test_max_vcpus(void **state)
{
	static struct vgic_cpu many[VGIC_MAX_VCPUS + 1];
	static u64 aff[VGIC_MAX_VCPUS + 1];
	u64 v, kick;

	/* more vCPUs than the model supports are cut to VGIC_MAX_VCPUS */
	for (u32 i = 0; i <= VGIC_MAX_VCPUS; i++)
		aff[i] = (i / 16) << 8 | (i % 16);
	vgic_init(&g, many, VGIC_MAX_VCPUS + 1, aff);
	{
		assert_int_equal(g.ncpus, VGIC_MAX_VCPUS);
		assert_true(vgic_redist_read(&g, (VGIC_MAX_VCPUS - 1) * VGIC_REDIST_STRIDE + R_TYPER,
					     8, &v));
		assert_int_equal((v >> 8) & 0xffff, VGIC_MAX_VCPUS - 1);
		assert_true(v & 0x10);
		assert_int_equal(v >> 32, 0x0000030f);
		enable_groups(CTLR_G0);
		for (u32 i = 0; i < VGIC_MAX_VCPUS; i++)
			many[i].priv[0].enabled = true;
		vgic_send_sgi(&g, 5, 1ull << 40, &kick);
		assert_int_equal(kick, ~(1ull << 5));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dist_id, setup),
		cmocka_unit_test_setup(test_dist_ctlr, setup),
		cmocka_unit_test_setup(test_dist_private_raz_wi, setup),
		cmocka_unit_test_setup(test_dist_bit_registers, setup),
		cmocka_unit_test_setup(test_dist_level_pending, setup),
		cmocka_unit_test_setup(test_dist_priority, setup),
		cmocka_unit_test_setup(test_dist_icfgr, setup),
		cmocka_unit_test_setup(test_dist_irouter, setup),
		cmocka_unit_test_setup(test_dist_bad_access, setup),
		cmocka_unit_test_setup(test_redist_rd, setup),
		cmocka_unit_test_setup(test_redist_waker, setup),
		cmocka_unit_test_setup(test_redist_sgi_frame, setup),
		cmocka_unit_test_setup(test_redist_bad_access, setup),
		cmocka_unit_test_setup(test_sgi_target_list, setup),
		cmocka_unit_test_setup(test_sgi_affinity, setup),
		cmocka_unit_test_setup(test_sgi_broadcast, setup),
		cmocka_unit_test_setup(test_spi_routing, setup),
		cmocka_unit_test_setup(test_spi_duplicate_affinity, setup),
		cmocka_unit_test_setup(test_sources, setup),
		cmocka_unit_test_setup(test_has_pending, setup),
		cmocka_unit_test_setup(test_pick_order, setup),
		cmocka_unit_test_setup(test_take_sgis, setup),
		cmocka_unit_test_setup(test_write_beats_list_register, setup),
		cmocka_unit_test_setup(test_pick_limit_and_ties, setup),
		cmocka_unit_test_setup(test_refill_after_underflow, setup),
		cmocka_unit_test_setup(test_edge_pick_sync, setup),
		cmocka_unit_test_setup(test_level_lowered_in_lr, setup),
		cmocka_unit_test_setup(test_level_repend, setup),
		cmocka_unit_test_setup(test_raise_private_direct, setup),
		cmocka_unit_test_setup(test_raise_private_not_deliverable, setup),
		cmocka_unit_test_setup(test_level_latch, setup),
		cmocka_unit_test_setup(test_changes_while_in_lr, setup),
		cmocka_unit_test_setup(test_init, setup),
		cmocka_unit_test_setup(test_max_vcpus, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
