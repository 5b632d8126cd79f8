/*
 * The `balloon-hostile` mode: a virtio-balloon driver that lies. It gives
 * back PFNs outside its RAM, the same page twice, pages of its own image it
 * still uses (then reads and writes them: each must come back as a fresh
 * zeroed page), the page of its own inflate queue's available ring, and
 * asks to deflate pages that are not its RAM; then it never answers again
 * (it ignores the target and sleeps), which must cost only itself.
 *
 * The rings and the PFN array are statics of this image, identity mapped,
 * so their addresses are their guest-physical ones. Every wait is polled
 * and bounded. One line per case: "BH NAME: ANSWER", " FAIL why" added when
 * the answer is wrong; then "BH DONE pass=N fail=M" and "BH sleeping".
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vblk.h"
#include "lib/string.h"
#include "virtio_mmio_regs.h"

#define VIRTIO_ID_BALLOON 5
#define QSIZE 8
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define WAIT_POLLS 2000            /* 1 ms each */
#define PAGE 4096
#define PATTERN 0x5a

struct bq {
	struct vdesc desc[QSIZE];
	u8 pad0[PAGE - QSIZE * sizeof(struct vdesc)];
	volatile u16 avail[2 + QSIZE];     /* flags, idx, ring */
	u8 pad1[PAGE - (2 + QSIZE) * 2];
	volatile u32 used[1 + 2 * QSIZE];  /* flags|idx, then id, len pairs */
	u8 pad2[PAGE - (1 + 2 * QSIZE) * 4];
	u16 next_avail, seen_used;
} __attribute__((aligned(PAGE)));   /* each queue's rings on pages of their own */

static struct bq queues[2];
static u32 pfns[64] __attribute__((aligned(PAGE)));
/* pages of this image it gives away while still "using" them */
static volatile u8 own[2][PAGE] __attribute__((aligned(PAGE)));
static u64 base;
static u32 pass, fail;

static u32 reg(u32 r)
{
	return mmio_read32(base + r);
}

static void set(u32 r, u32 v)
{
	mmio_write32(base + r, v);
}

static void queue_setup(u32 q)
{
	struct bq *b = &queues[q];

	memset((void *)b, 0, sizeof(*b));
	set(VMMIO_REG_QUEUE_SEL, q);
	set(VMMIO_REG_QUEUE_NUM, QSIZE);
	set(VMMIO_REG_QUEUE_DESC_LOW, (u32)(u64)b->desc);
	set(VMMIO_REG_QUEUE_DESC_HIGH, (u32)((u64)b->desc >> 32));
	set(VMMIO_REG_QUEUE_DRIVER_LOW, (u32)(u64)b->avail);
	set(VMMIO_REG_QUEUE_DRIVER_HIGH, (u32)((u64)b->avail >> 32));
	set(VMMIO_REG_QUEUE_DEVICE_LOW, (u32)(u64)b->used);
	set(VMMIO_REG_QUEUE_DEVICE_HIGH, (u32)((u64)b->used >> 32));
	set(VMMIO_REG_QUEUE_READY, 1);
}

/* The handshake with no optional feature: inflate and deflate only. */
static const char *driver_init(void)
{
	set(VMMIO_REG_STATUS, 0);
	set(VMMIO_REG_STATUS, VS_ACKNOWLEDGE | VS_DRIVER);
	set(VMMIO_REG_DRIVER_FEATURES_SEL, 0);
	set(VMMIO_REG_DRIVER_FEATURES, 0);
	set(VMMIO_REG_DRIVER_FEATURES_SEL, 1);
	set(VMMIO_REG_DRIVER_FEATURES, 1);     /* VERSION_1 */
	set(VMMIO_REG_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK);
	if (!(reg(VMMIO_REG_STATUS) & VS_FEATURES_OK))
		return "features refused";
	queue_setup(Q_INFLATE);
	queue_setup(Q_DEFLATE);
	set(VMMIO_REG_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
	return reg(VMMIO_REG_STATUS) & VS_NEEDS_RESET ? "the device refused our queues" : NULL;
}

enum answer { A_USED, A_NEEDS_RESET, A_TIMEOUT };
static const char *const answer_names[] = { "used", "needs-reset", "timeout" };

/* Offers the PFN array's first n entries on queue q; waits for the answer. */
static enum answer offer(u32 q, u32 n)
{
	struct bq *b = &queues[q];
	u16 head = b->next_avail % QSIZE;
	u16 idx;

	b->desc[head] = (struct vdesc){ (u64)pfns, n * 4, 0, 0 };
	idx = b->avail[1];                      /* what memory says, as a driver reads it */
	b->avail[2 + idx % QSIZE] = head;
	dsb_ishst();
	b->avail[1] = (u16)(idx + 1);
	b->next_avail++;
	dsb_ish();
	set(VMMIO_REG_QUEUE_NOTIFY, q);
	for (u32 i = 0; i < WAIT_POLLS; i++) {
		if ((u16)(b->used[0] >> 16) != b->seen_used) {
			b->seen_used++;
			return A_USED;
		}
		if (reg(VMMIO_REG_STATUS) & VS_NEEDS_RESET)
			return A_NEEDS_RESET;
		delay_ms(1);
	}
	return A_TIMEOUT;
}

static void verdict(const char *name, enum answer got, enum answer want, const char *why)
{
	if (got == want && !why) {
		pass++;
		printk("BH %s: %s\n", name, answer_names[got]);
	} else {
		fail++;
		printk("BH %s: %s FAIL %s\n", name, answer_names[got], why ? why : "wrong answer");
	}
}

static u32 pfn_of(const volatile void *p)
{
	return (u32)((u64)p >> 12);
}

/* A page given away reads as zeros and then keeps what is written. */
static const char *page_is_fresh(volatile u8 *p)
{
	for (u32 i = 0; i < PAGE; i++) {
		if (p[i])
			return "a page given back kept its old bytes";
	}
	for (u32 i = 0; i < PAGE; i++)
		p[i] = (u8)(i * 13 + 1);
	for (u32 i = 0; i < PAGE; i++) {
		if (p[i] != (u8)(i * 13 + 1))
			return "a refilled page lost what was written";
	}
	return NULL;
}

static void case_outside(void)
{
	u32 first = (u32)(plat.ram_base >> 12), end = (u32)((plat.ram_base + plat.ram_size) >> 12);

	pfns[0] = 0;
	pfns[1] = first - 1;
	pfns[2] = end;
	pfns[3] = 0xffffffffu;
	verdict("outside", offer(Q_INFLATE, 4), A_USED, NULL);
}

static void case_twice(void)
{
	enum answer a;

	memset((void *)own[0], PATTERN, PAGE);
	pfns[0] = pfn_of(own[0]);
	pfns[1] = pfn_of(own[0]);
	a = offer(Q_INFLATE, 2);
	if (a == A_USED)
		a = offer(Q_INFLATE, 2);     /* and again: both refused this time */
	verdict("twice", a, A_USED, NULL);
}

static void case_own_pages(void)
{
	enum answer a;
	const char *why;

	memset((void *)own[1], PATTERN, PAGE);
	pfns[0] = pfn_of(own[1]);
	a = offer(Q_INFLATE, 1);
	why = page_is_fresh(own[0]);
	if (!why)
		why = page_is_fresh(own[1]);
	verdict("own-pages", a, A_USED, why);
}

static void case_deflate_outside(void)
{
	pfns[0] = (u32)((plat.ram_base + plat.ram_size) >> 12);
	pfns[1] = 1;
	verdict("deflate-outside", offer(Q_DEFLATE, 2), A_USED, NULL);
}

/* Its own available ring given away: the device reads a zeroed ring next,
 * whose index ran backwards. */
static void case_ring_page(void)
{
	struct bq *b = &queues[Q_INFLATE];
	enum answer a;

	pfns[0] = pfn_of(b->avail);
	a = offer(Q_INFLATE, 1);
	if (a == A_USED) {
		pfns[0] = 0;
		a = offer(Q_INFLATE, 1);
	}
	verdict("ring-page", a, A_NEEDS_RESET, NULL);
}

void mode_balloon_hostile(void)
{
	u32 intid;
	const char *why = vmmio_find(VIRTIO_ID_BALLOON, 0, &base, &intid);

	if (!why)
		why = driver_init();
	if (why) {
		printk("FAIL balloon-hostile: %s\n", why);
		power_off();
	}
	printk("BH num_pages %u\n", reg(VMMIO_REG_CONFIG));
	case_outside();
	case_twice();
	case_own_pages();
	case_deflate_outside();
	case_ring_page();
	printk("BH DONE pass=%u fail=%u\n", pass, fail);
	/* Never answers again: the target may change, nothing is given back. */
	printk("BH sleeping\n");
	for (;;)
		wfi();
}
