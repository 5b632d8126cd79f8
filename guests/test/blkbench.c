/*
 * test=blkbench [reads=N]: N (default 2000) 4 KiB reads from the first
 * virtio-blk disk, one at a time at pseudo-random 4 KiB-aligned sectors,
 * each waited for in WFI with no timer armed. The whole loop is timed with
 * the virtual counter. Under -icount shift=0,sleep=off nothing else can
 * move virtual time while the machine waits for the host's I/O (QEMU warps
 * only to a timer deadline, and none is armed), so the figure is the
 * instructions executed per request: this guest's, and a hypervisor's
 * below it. Runs natively (the bare QEMU machine) as well as in a VM.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vblk.h"

#define DEFAULT_READS 2000
#define MAX_READS 1000000
#define READ_BYTES 4096
#define SECTORS_PER_READ (READ_BYTES / VBLK_SECTOR)

static u8 buf[READ_BYTES] __attribute__((aligned(4096)));
static struct vblk_hdr hdr __attribute__((aligned(64)));
static volatile u8 status __attribute__((aligned(64)));

static u32 reads_wanted(void)
{
	char word[12];
	u32 n = 0;

	find_word(plat.bootargs, "reads=", word, sizeof(word));
	for (const char *c = word; *c >= '0' && *c <= '9' && n < MAX_READS; c++)
		n = n * 10 + (u32)(*c - '0');
	return n ? n : DEFAULT_READS;
}

/* A full-period LCG (Numerical Recipes' constants): the same sequence every run. */
static u64 next_block(u64 *state, u64 blocks)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (*state >> 33) % blocks;
}

/* Sleeps until the used index moves. IRQs are masked around the test so
 * that an interrupt between it and the WFI still ends the WFI (WFI wakes on
 * a pending interrupt whatever PSTATE.I says); the handler runs once they
 * are unmasked again. No timeout: a timer would move virtual time. */
static void wait_used(const struct vblk *b)
{
	for (;;) {
		irq_disable();
		if (vblk_used.idx != b->used_idx) {
			irq_enable();
			return;
		}
		wfi();
		irq_enable();
	}
}

/* One read of block `block` through descriptors 0-2: its status byte. */
static u8 read_block(struct vblk *b, u64 block)
{
	hdr = (struct vblk_hdr){ .type = VBLK_T_IN, .sector = block * SECTORS_PER_READ };
	status = 0xaa;
	vblk_desc[0] = (struct vdesc){ (u64)&hdr, sizeof(hdr), VD_NEXT, 1 };
	vblk_desc[1] = (struct vdesc){ (u64)buf, READ_BYTES, VD_WRITE | VD_NEXT, 2 };
	vblk_desc[2] = (struct vdesc){ (u64)&status, 1, VD_WRITE, 0 };
	vblk_submit(b, 0, 1);
	wait_used(b);
	dmb_ish();   /* the used entry and the data before we look at them */
	b->used_idx++;
	return status;
}

void mode_blkbench(void)
{
	struct vblk b = { 0 };
	const char *why = vblk_probe(&b);
	u32 n = reads_wanted(), failed = 0;
	u64 blocks, seed = 1, t0, t1;

	if (!why)
		why = vblk_init(&b, 1ull << VF_VERSION_1, NULL);
	if (!why && b.capacity < SECTORS_PER_READ)
		why = "the disk is smaller than one read";
	if (why) {
		printk("FAIL blkbench: %s\n", why);
		power_off();
	}
	blocks = b.capacity / SECTORS_PER_READ;
	(void)read_block(&b, 0);    /* the first request pays for set-up: untimed */
	t0 = now_ticks();
	for (u32 i = 0; i < n; i++)
		failed += read_block(&b, next_block(&seed, blocks)) != VBLK_S_OK;
	t1 = now_ticks();
	if (failed)
		printk("FAIL blkbench: %u of %u reads failed\n", failed, n);
	printk("BENCH blk-4k-read-ns %lu.%lu\n", ticks_to_ns(t1 - t0) / n,
	       ticks_to_ns(t1 - t0) * 10 / n % 10);
	printk("blkbench: %u reads of 4 KiB done\n", n);
	power_off();
}
