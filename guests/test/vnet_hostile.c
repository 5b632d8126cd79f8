/*
 * The `vnet-hostile` mode: a virtio-net driver that breaks the rules on
 * purpose, on vif 0 (a), with vif 1 (b) of the same VM as a well-behaved
 * peer on the same switch. Each case sets a up again, does one bad thing on
 * its TX or RX queue (a malformed chain, a bad header, a frame the switch
 * must refuse) and checks the answer is one virtio 1.2 allows: the chain
 * back in the used ring (the frame dropped and counted), or
 * DEVICE_NEEDS_RESET with a configuration change interrupt; never a fault of
 * ours, never a hang (every wait is bounded by the virtual counter). After
 * each case a is reset and must carry a frame to b and take one from b.
 *
 * Bootargs: hv=ADDR an address of the hypervisor's; ms=N repeats the cases
 * for N ms. Lines: "VN NAME: ANSWER[ note]" (" FAIL why" when not allowed;
 * later rounds print only failures), "VN round N: pass=P fail=F", then the
 * closing exchange with a Linux VM (vnet_peer.c) and
 * "VN DONE pass=N fail=M rounds=R forwarded=F". A key then powers off.
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vnet_hostile.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "virtio_mmio_regs.h"

#define HUGE_LEN 0xffffffffu
#define SETTLE_MS 200
#define DROP_LOOK_MS 20            /* the switch delivers before the sender's chain comes back */
#define SEGS_TOO_MANY 130          /* more than the device's 128 */
#define IND_MAX (SEGS_TOO_MANY + 2)
#define PEER_MS 240000
#define KEY_MS 600000

static const char *const answer_names[VN_COUNT] = {
	"used", "used-len0", "needs-reset", "needs-reset-without-interrupt", "timeout",
	"delivered", "dropped", "altered", "reset-clean", "wrong-answer",
};

#define MALFORMED (VN_BIT(VN_NEEDS_RESET))

struct vnet vn_a, vn_b;
u8 vn_rx_a[VN_RXBUFS * VN_RXBUF] __attribute__((aligned(4096)));
u8 vn_rx_b[VN_RXBUFS * VN_RXBUF] __attribute__((aligned(4096)));
u64 vn_ram_end, vn_hv_addr;
char vn_note[96];
u32 vn_forwarded;

static u8 hdr_raw[VNET_HDR_LEN] __attribute__((aligned(64)));
static u8 frame[2048] __attribute__((aligned(64)));
static u8 seen[2048];
static struct vdesc ind[IND_MAX] __attribute__((aligned(4096)));
static struct vdesc ind2[2] __attribute__((aligned(64)));
static const char *extra_fail;
static u32 seq;

static u64 addr_of(const volatile void *p) { return (u64)p; }

/* --- frames ----------------------------------------------------------------- */

static void put_be16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

void vn_frame(u8 *f, u32 len, const u8 *dst, const u8 *src, u16 type)
{
	u8 head[22];

	memcpy(head, dst, 6);
	memcpy(head + 6, src, 6);
	put_be16(head + 12, type);
	memcpy(head + 14, "VNHX", 4);
	seq++;
	memcpy(head + 18, &seq, 4);
	for (u32 i = 0; i < len; i++)
		f[i] = i < sizeof(head) ? head[i] : (u8)(i * 13 + seq);
}

static bool is_test_frame(const u8 *f, u32 len, const u8 *want)
{
	return len >= 22 && !memcmp(f + 14, "VNHX", 4) && !memcmp(f + 18, want + 18, 4);
}

/* --- receiving ------------------------------------------------------------- */

static void rx_give_back(struct vnet *n, u16 id)
{
	struct vnet_queue *q = &n->q[VNET_RXQ];

	q->avail.ring[q->avail_idx++ % q->size] = id;
	dsb_ish();
	q->avail.idx = q->avail_idx;
}

int vn_rx_take(struct vnet *n, u8 *bufs, u8 *out, u32 max, u64 ms)
{
	u32 id, len;
	bool cfg;
	u32 got;

	if (vnet_wait(n, VNET_RXQ, ms, &id, &len, &cfg) != VA_USED)
		return -1;
	if (id >= VN_RXBUFS || len < VNET_HDR_LEN || len > VN_RXBUF) {
		if (id < VN_RXBUFS)
			rx_give_back(n, (u16)id);
		return 0;
	}
	got = len - VNET_HDR_LEN < max ? len - VNET_HDR_LEN : max;
	memcpy(out, bufs + (u64)id * VN_RXBUF + VNET_HDR_LEN, got);
	rx_give_back(n, (u16)id);
	return (int)got;
}

enum vn_answer vn_rx_find(struct vnet *n, u8 *bufs, const u8 *f, u32 len, int skip, u64 ms)
{
	u64 start = now_ticks();

	while (now_ticks() - start <= ms_to_ticks(ms)) {
		int got = vn_rx_take(n, bufs, seen, sizeof(seen), ms);

		if (got < 0)
			break;
		if (!is_test_frame(seen, (u32)got, f))
			continue;   /* another VM's broadcast, or an older frame */
		if (skip >= 0 && (u32)skip + 2 <= len)
			memcpy(seen + skip, f + skip, 2);
		return (u32)got == len && !memcmp(seen, f, len) ? VN_DELIVERED : VN_ALTERED;
	}
	return VN_DROPPED;
}

/* --- a's TX -------------------------------------------------------------------- */

/* What a's queue `q` answers: VN_USED with the used element's id and
 * length, or how it failed (a reset it asked for, with or without its
 * configuration interrupt, or nothing in time). */
static enum vn_answer a_answer(u32 q, u32 *id, u32 *len)
{
	bool cfg;

	switch (vnet_wait(&vn_a, q, VN_WAIT_MS, id, len, &cfg)) {
	case VA_NEEDS_RESET:
		return cfg ? VN_NEEDS_RESET : VN_NO_INTERRUPT;
	case VA_TIMEOUT:
		return VN_TIMEOUT;
	case VA_USED:
		break;
	}
	return VN_USED;
}

enum vn_answer vn_tx_go(u16 head, u16 step)
{
	u32 id = 0, len = 0;
	enum vn_answer a;

	vnet_submit(&vn_a, VNET_TXQ, head, step);
	a = a_answer(VNET_TXQ, &id, &len);
	if (a != VN_USED)
		return a;
	return id == head && len == 0 ? VN_USED : VN_BAD;
}

static struct vdesc *txd(void) { return vn_a.q[VNET_TXQ].desc; }

/* Header and a 60-byte frame to b in TX descriptors 0 and 1. */
static void tx2(void)
{
	vnet_hdr_put(hdr_raw, &(struct vnet_hdr){ 0 });
	vn_frame(frame, 60, vn_b.mac, vn_a.mac, VN_ETHERTYPE);
	txd()[0] = (struct vdesc){ addr_of(hdr_raw), VNET_HDR_LEN, VD_NEXT, 1 };
	txd()[1] = (struct vdesc){ addr_of(frame), 60, 0, 0 };
}

enum vn_answer vn_send_a(const struct vnet_hdr *h, u8 *f, u32 len, int skip)
{
	enum vn_answer a;

	vnet_hdr_put(hdr_raw, h);
	txd()[0] = (struct vdesc){ addr_of(hdr_raw), VNET_HDR_LEN, len ? VD_NEXT : 0, 1 };
	txd()[1] = (struct vdesc){ addr_of(f), len, 0, 0 };
	a = vn_tx_go(0, 1);
	return a == VN_USED ? vn_rx_find(&vn_b, vn_rx_b, f, len, skip, DROP_LOOK_MS) : a;
}

/* The chain as built, sent: the answer, or what b saw when it came back. */
static enum vn_answer go(void)
{
	enum vn_answer a = vn_tx_go(0, 1);

	return a == VN_USED ? vn_rx_find(&vn_b, vn_rx_b, frame, 60, -1, DROP_LOOK_MS) : a;
}

/* --- TX chains that break the rules ------------------------------------------------ */

static enum vn_answer c_good(void)
{
	tx2();
	return go();
}

static enum vn_answer c_header_split(void)
{
	tx2();
	txd()[0] = (struct vdesc){ addr_of(hdr_raw), 4, VD_NEXT, 2 };
	txd()[2] = (struct vdesc){ addr_of(hdr_raw) + 4, VNET_HDR_LEN - 4, VD_NEXT, 1 };
	return go();
}

static enum vn_answer c_loop(void) { tx2(); txd()[1].flags |= VD_NEXT; txd()[1].next = 0; return go(); }
static enum vn_answer c_self_loop(void) { tx2(); txd()[0].next = 0; return go(); }
static enum vn_answer c_next_out_of_range(void) { tx2(); txd()[0].next = vn_a.q[VNET_TXQ].size; return go(); }
static enum vn_answer c_head_out_of_range(void) { tx2(); return vn_tx_go(vn_a.q[VNET_TXQ].size, 1); }
static enum vn_answer c_head_ffff(void) { tx2(); return vn_tx_go(0xffff, 1); }
static enum vn_answer c_avail_runaway(void) { tx2(); return vn_tx_go(0, (u16)(vn_a.q[VNET_TXQ].size + 1)); }
static enum vn_answer c_avail_backwards(void) { tx2(); return vn_tx_go(0, 0xffff); }

/* Every descriptor of a 16-entry TX queue in one chain, and round again. */
static enum vn_answer c_chain_past_queue(void)
{
	struct vnet_queue *q = &vn_a.q[VNET_TXQ];
	struct vblk_ring r = { 16, addr_of(q->desc), addr_of(&q->avail), addr_of(&q->used) };
	const char *why = vnet_init(&vn_a, VN_FEATURES, VNET_TXQ, &r);

	if (why) {
		extra_fail = why;
		return VN_BAD;
	}
	tx2();
	for (u16 i = 1; i < 16; i++)
		txd()[i] = (struct vdesc){ addr_of(frame), 60, VD_NEXT, (u16)((i + 1) % 16) };
	return vn_tx_go(0, 1);
}

/* The header, then SEGS_TOO_MANY one-byte pieces of frame. */
static enum vn_answer c_too_many_segs(void)
{
	tx2();
	for (u16 i = 1; i <= SEGS_TOO_MANY; i++)
		txd()[i] = (struct vdesc){ addr_of(frame) + (i - 1) % 60, 1,
					   i < SEGS_TOO_MANY ? VD_NEXT : 0, i + 1 };
	return vn_tx_go(0, 1);
}

/* The frame's buffer at `addr`, `len` bytes. */
static enum vn_answer frame_at(u64 addr, u32 len)
{
	tx2();
	txd()[1].addr = addr;
	txd()[1].len = len;
	return vn_tx_go(0, 1);
}

static enum vn_answer c_buf_past_ram(void) { return frame_at(vn_ram_end, 60); }
static enum vn_answer c_buf_straddles(void) { return frame_at(vn_ram_end - 30, 60); }
static enum vn_answer c_buf_below_ram(void) { return frame_at(plat.ram_base - 64, 60); }
static enum vn_answer c_buf_flash(void) { return frame_at(0x1000, 60); }
static enum vn_answer c_buf_gic(void) { return frame_at(gic.gicd, 60); }
static enum vn_answer c_buf_own_window(void) { return frame_at(vn_a.base, 60); }
static enum vn_answer c_buf_wraps(void) { return frame_at(~0ull - 31, 60); }
static enum vn_answer c_huge_len(void) { return frame_at(addr_of(frame), HUGE_LEN); }

static enum vn_answer c_buf_hypervisor(void)
{
	fmt_snprintf(vn_note, sizeof(vn_note), "at 0x%lx", vn_hv_addr);
	if (vn_hv_addr >= plat.ram_base && vn_hv_addr < vn_ram_end)
		extra_fail = "hv= lies in our own RAM";
	return frame_at(vn_hv_addr, 60);
}

static enum vn_answer c_header_past_ram(void) { tx2(); txd()[0].addr = vn_ram_end; return vn_tx_go(0, 1); }

/* The device may only write it: TX buffers are read-only to it (2.7.4). */
static enum vn_answer c_writable_frame(void) { tx2(); txd()[1].flags |= VD_WRITE; return go(); }
static enum vn_answer c_writable_only(void) { tx2(); txd()[0].flags |= VD_WRITE; txd()[1].flags |= VD_WRITE; return go(); }
static enum vn_answer c_short_header(void) { tx2(); txd()[0].len = 8; txd()[0].flags = 0; return go(); }

/* --- indirect tables on TX ------------------------------------------------------------ */

static enum vn_answer indirect(u64 table, u32 len, u16 flags)
{
	tx2();
	ind[0] = txd()[0];
	ind[1] = txd()[1];
	txd()[0] = (struct vdesc){ table, len, VD_INDIRECT | flags, 1 };
	return vn_tx_go(0, 1);
}

static enum vn_answer c_ind_good(void)
{
	enum vn_answer a = indirect(addr_of(ind), 2 * sizeof(struct vdesc), 0);

	return a == VN_USED ? vn_rx_find(&vn_b, vn_rx_b, frame, 60, -1, DROP_LOOK_MS) : a;
}

static enum vn_answer c_ind_past_ram(void) { return indirect(vn_ram_end, 32, 0); }
static enum vn_answer c_ind_in_gic(void) { return indirect(gic.gicd, 32, 0); }
static enum vn_answer c_ind_bad_len(void) { return indirect(addr_of(ind), 24, 0); }
static enum vn_answer c_ind_zero_len(void) { return indirect(addr_of(ind), 0, 0); }
static enum vn_answer c_ind_huge_len(void) { return indirect(addr_of(ind), 0xfffffff0u, 0); }
static enum vn_answer c_ind_with_next(void) { return indirect(addr_of(ind), 32, VD_NEXT); }

static enum vn_answer c_ind_nested(void)
{
	tx2();
	ind2[0] = txd()[0];
	ind2[1] = txd()[1];
	ind[0] = (struct vdesc){ addr_of(ind2), sizeof(ind2), VD_INDIRECT, 0 };
	txd()[0] = (struct vdesc){ addr_of(ind), sizeof(struct vdesc), VD_INDIRECT, 0 };
	return vn_tx_go(0, 1);
}

static enum vn_answer c_ind_loop(void)
{
	tx2();
	ind[0] = txd()[0];
	ind[1] = txd()[1];
	ind[1].flags |= VD_NEXT;
	ind[1].next = 0;
	txd()[0] = (struct vdesc){ addr_of(ind), 2 * sizeof(struct vdesc), VD_INDIRECT, 0 };
	return vn_tx_go(0, 1);
}

static enum vn_answer c_ind_next_outside(void)
{
	tx2();
	ind[0] = txd()[0];
	ind[0].next = 2;
	ind[1] = txd()[1];
	txd()[0] = (struct vdesc){ addr_of(ind), 2 * sizeof(struct vdesc), VD_INDIRECT, 0 };
	return vn_tx_go(0, 1);
}

static enum vn_answer c_ind_too_long(void)
{
	tx2();
	ind[0] = txd()[0];
	for (u16 i = 1; i <= SEGS_TOO_MANY; i++)
		ind[i] = (struct vdesc){ addr_of(frame) + (i - 1) % 60, 1,
					 i < SEGS_TOO_MANY ? VD_NEXT : 0, i + 1 };
	txd()[0] = (struct vdesc){ addr_of(ind), (SEGS_TOO_MANY + 1) * sizeof(struct vdesc), VD_INDIRECT, 0 };
	return vn_tx_go(0, 1);
}

static enum vn_answer c_ind_not_negotiated(void)
{
	const char *why = vnet_init(&vn_a, VN_FEATURES & ~(1ull << VF_INDIRECT), VNET_TXQ, NULL);

	if (why) {
		extra_fail = why;
		return VN_BAD;
	}
	return indirect(addr_of(ind), 2 * sizeof(struct vdesc), 0);
}

/*
 * A frame sent and the device reset at once (taken or not is up to the
 * race): the used ring must not change after the reset.
 */
static enum vn_answer c_reset_after_notify(void)
{
	u16 used;

	tx2();
	vnet_submit(&vn_a, VNET_TXQ, 0, 1);
	vnet_reset(&vn_a);
	used = vn_a.q[VNET_TXQ].used.idx;
	dsb_ish();
	WAIT_UNTIL(false, SETTLE_MS);     /* nothing to wait for: time passing */
	return vn_a.q[VNET_TXQ].used.idx == used ? VN_RESET_CLEAN : VN_BAD;
}

/* --- RX chains ------------------------------------------------------------------------- */

static struct vdesc *rxd(void) { return vn_a.q[VNET_RXQ].desc; }

/*
 * Whether chain `head` took a frame that is not b's unicast to a: the Linux
 * VM's ARP and neighbour broadcasts reach a's vif whatever its queues hold,
 * and may land in the buffer a case offered (a 100-byte one takes an ARP).
 * The frame starts after the header, 12 bytes into the chain's writable
 * buffers as the cases lay them out (at most four, inside vn_rx_a).
 */
static bool stray_in(u16 head)
{
	u32 skip = VNET_HDR_LEN;
	u16 i = head;

	for (u32 n = 0; n < 4 && i < vn_a.q[VNET_RXQ].size; n++) {
		const struct vdesc *d = &rxd()[i];

		if ((d->flags & VD_WRITE) && d->addr >= addr_of(vn_rx_a) &&
		    d->addr + d->len <= addr_of(vn_rx_a) + sizeof(vn_rx_a)) {
			if (skip < d->len)
				return ((const u8 *)d->addr)[skip] & 1;  /* multicast or broadcast */
			skip -= d->len;
		}
		if (!(d->flags & VD_NEXT))
			break;
		i = d->next;
	}
	return false;
}

/* Tries a stray frame may cost before the case counts as answered. */
#define RX_STRAY_TRIES 4

/*
 * RX chain `head` (avail idx moved by `step`) made available on a, then b
 * sends a a frame: what a's RX queue answers. b's own send must complete.
 * A chain a stray broadcast took is offered again, as it was.
 */
static enum vn_answer rx_go(u16 head, u16 step)
{
	u32 id = 0, len = 0;

	for (u32 tries = 0;; tries++) {
		enum vn_answer a;

		vnet_submit(&vn_a, VNET_RXQ, head, step);
		vn_frame(frame, 200, vn_a.mac, vn_b.mac, VN_ETHERTYPE);
		if (vnet_send(&vn_b, &(struct vnet_hdr){ 0 }, frame, 200, VN_WAIT_MS) != VA_USED) {
			extra_fail = "b's frame did not come back";
			return VN_BAD;
		}
		a = a_answer(VNET_RXQ, &id, &len);
		if (a != VN_USED)
			return a;
		if (id != head || !len || len == VNET_HDR_LEN + 200 ||
		    tries + 1 == RX_STRAY_TRIES || !stray_in(head))
			break;
	}
	if (id != head)
		return VN_BAD;
	if (!len)
		return VN_LEN0;
	if (len != VNET_HDR_LEN + 200)
		return VN_BAD;
	return VN_DELIVERED;
}

static void rx1(u64 addr, u32 len, u16 flags)
{
	rxd()[0] = (struct vdesc){ addr, len, flags, 0 };
}

static enum vn_answer c_rx_loop(void)
{
	rx1(addr_of(vn_rx_a), 1024, VD_WRITE | VD_NEXT);
	rxd()[0].next = 0;
	return rx_go(0, 1);
}

static enum vn_answer c_rx_head_out_of_range(void) { rx1(addr_of(vn_rx_a), VN_RXBUF, VD_WRITE); return rx_go(vn_a.q[VNET_RXQ].size, 1); }
static enum vn_answer c_rx_avail_runaway(void) { rx1(addr_of(vn_rx_a), VN_RXBUF, VD_WRITE); return rx_go(0, 0x8000); }
static enum vn_answer c_rx_past_ram(void) { rx1(vn_ram_end, VN_RXBUF, VD_WRITE); return rx_go(0, 1); }
static enum vn_answer c_rx_hypervisor(void) { rx1(vn_hv_addr, VN_RXBUF, VD_WRITE); return rx_go(0, 1); }
static enum vn_answer c_rx_gic(void) { rx1(gic.gicd, VN_RXBUF, VD_WRITE); return rx_go(0, 1); }
static enum vn_answer c_rx_huge_len(void) { rx1(addr_of(vn_rx_a), HUGE_LEN, VD_WRITE); return rx_go(0, 1); }
static enum vn_answer c_rx_readonly(void) { rx1(addr_of(vn_rx_a), VN_RXBUF, 0); return rx_go(0, 1); }
static enum vn_answer c_rx_short(void) { rx1(addr_of(vn_rx_a), 8, VD_WRITE); return rx_go(0, 1); }

/* A read-only buffer before the writable one: the device skips it. */
static enum vn_answer c_rx_readable_first(void)
{
	rx1(addr_of(vn_rx_a), 64, VD_NEXT);
	rxd()[0].next = 1;
	rxd()[1] = (struct vdesc){ addr_of(vn_rx_a) + VN_RXBUF, VN_RXBUF, VD_WRITE, 0 };
	return rx_go(0, 1);
}

/* The header over two writable buffers of one chain: allowed (5.1.6.4). */
static enum vn_answer c_rx_header_split(void)
{
	rx1(addr_of(vn_rx_a), 6, VD_WRITE | VD_NEXT);
	rxd()[0].next = 1;
	rxd()[1] = (struct vdesc){ addr_of(vn_rx_a) + 64, VN_RXBUF, VD_WRITE, 0 };
	return rx_go(0, 1);
}

/* Without MRG_RXBUF, one buffer too small for the frame. */
static enum vn_answer c_rx_too_small(void)
{
	const char *why = vnet_init(&vn_a, VN_FEATURES & ~(1ull << VF_NET_MRG_RXBUF), VNET_TXQ, NULL);

	if (why) {
		extra_fail = why;
		return VN_BAD;
	}
	rx1(addr_of(vn_rx_a), 100, VD_WRITE);
	return rx_go(0, 1);
}

static enum vn_answer c_rx_ind_nested(void)
{
	ind2[0] = (struct vdesc){ addr_of(vn_rx_a), VN_RXBUF, VD_WRITE, 0 };
	ind[0] = (struct vdesc){ addr_of(ind2), sizeof(struct vdesc), VD_INDIRECT, 0 };
	rx1(addr_of(ind), sizeof(struct vdesc), VD_INDIRECT);
	return rx_go(0, 1);
}

static enum vn_answer c_rx_ind_bad_len(void)
{
	ind[0] = (struct vdesc){ addr_of(vn_rx_a), VN_RXBUF, VD_WRITE, 0 };
	rx1(addr_of(ind), 20, VD_INDIRECT);
	return rx_go(0, 1);
}

static const struct vn_case chain_cases[] = {
	{ "good-frame", VN_BIT(VN_DELIVERED), c_good },
	{ "header-split", VN_BIT(VN_DELIVERED), c_header_split },
	{ "good-indirect", VN_BIT(VN_DELIVERED), c_ind_good },
	{ "loop", MALFORMED, c_loop },
	{ "self-loop", MALFORMED, c_self_loop },
	{ "chain-past-queue-size", MALFORMED, c_chain_past_queue },
	{ "too-many-segments", MALFORMED, c_too_many_segs },
	{ "head-out-of-range", MALFORMED, c_head_out_of_range },
	{ "head-0xffff", MALFORMED, c_head_ffff },
	{ "next-out-of-range", MALFORMED, c_next_out_of_range },
	{ "avail-idx-runaway", MALFORMED, c_avail_runaway },
	{ "avail-idx-backwards", MALFORMED, c_avail_backwards },
	{ "buf-past-ram", MALFORMED, c_buf_past_ram },
	{ "buf-straddles-ram-end", MALFORMED, c_buf_straddles },
	{ "buf-below-ram", MALFORMED, c_buf_below_ram },
	{ "buf-hypervisor", MALFORMED, c_buf_hypervisor },
	{ "buf-flash", MALFORMED, c_buf_flash },
	{ "buf-gic", MALFORMED, c_buf_gic },
	{ "buf-own-virtio-window", MALFORMED, c_buf_own_window },
	{ "buf-wraps", MALFORMED, c_buf_wraps },
	{ "huge-len", MALFORMED, c_huge_len },
	{ "header-past-ram", MALFORMED, c_header_past_ram },
	{ "indirect-past-ram", MALFORMED, c_ind_past_ram },
	{ "indirect-in-gic", MALFORMED, c_ind_in_gic },
	{ "indirect-bad-len", MALFORMED, c_ind_bad_len },
	{ "indirect-zero-len", MALFORMED, c_ind_zero_len },
	{ "indirect-huge-len", MALFORMED, c_ind_huge_len },
	{ "indirect-with-next", MALFORMED, c_ind_with_next },
	{ "indirect-nested", MALFORMED, c_ind_nested },
	{ "indirect-loop", MALFORMED, c_ind_loop },
	{ "indirect-next-outside", MALFORMED, c_ind_next_outside },
	{ "indirect-too-long", MALFORMED, c_ind_too_long },
	{ "indirect-not-negotiated", MALFORMED, c_ind_not_negotiated },
	{ "writable-tx-frame", VN_BIT(VN_DROPPED), c_writable_frame },
	{ "writable-tx-only", VN_BIT(VN_DROPPED), c_writable_only },
	{ "tx-header-short", VN_BIT(VN_DROPPED), c_short_header },
	{ "reset-after-notify", VN_BIT(VN_RESET_CLEAN), c_reset_after_notify },
	{ "rx-loop", MALFORMED, c_rx_loop },
	{ "rx-head-out-of-range", MALFORMED, c_rx_head_out_of_range },
	{ "rx-avail-idx-runaway", MALFORMED, c_rx_avail_runaway },
	{ "rx-buf-past-ram", MALFORMED, c_rx_past_ram },
	{ "rx-buf-hypervisor", MALFORMED, c_rx_hypervisor },
	{ "rx-buf-gic", MALFORMED, c_rx_gic },
	{ "rx-huge-len", MALFORMED, c_rx_huge_len },
	{ "rx-indirect-nested", MALFORMED, c_rx_ind_nested },
	{ "rx-indirect-bad-len", MALFORMED, c_rx_ind_bad_len },
	{ "rx-readonly", VN_BIT(VN_LEN0), c_rx_readonly },
	{ "rx-shorter-than-header", VN_BIT(VN_LEN0), c_rx_short },
	{ "rx-too-small-no-mrg", VN_BIT(VN_LEN0), c_rx_too_small },
	{ "rx-readable-first", VN_BIT(VN_DELIVERED), c_rx_readable_first },
	{ "rx-header-split", VN_BIT(VN_DELIVERED), c_rx_header_split },
};

/* --- running them -------------------------------------------------------------------------- */

static u32 passed, failed;
static bool quiet;

static void result(const char *name, enum vn_answer a, const char *why)
{
	const char *sep = vn_note[0] ? " " : "";

	if (why) {
		failed++;
		printk("VN %s: %s%s%s FAIL %s\n", name, answer_names[a], sep, vn_note, why);
	} else {
		passed++;
		if (!quiet)
			printk("VN %s: %s%s%s\n", name, answer_names[a], sep, vn_note);
	}
}

/* a set up again with RX buffers: it carries a frame to b and takes one from b. */
static const char *recovered(void)
{
	if (vnet_init(&vn_a, VN_FEATURES, VNET_TXQ, NULL))
		return "a does not set up again after a reset";
	vnet_post_rx(&vn_a, vn_rx_a, VN_RXBUF, VN_RXBUFS);
	vn_frame(frame, 100, vn_b.mac, vn_a.mac, VN_ETHERTYPE);
	if (vn_send_a(&(struct vnet_hdr){ 0 }, frame, 100, -1) != VN_DELIVERED)
		return "a's good frame does not reach b after the reset";
	vn_forwarded++;
	vn_frame(frame, 100, vn_a.mac, vn_b.mac, VN_ETHERTYPE);
	if (vnet_send(&vn_b, &(struct vnet_hdr){ 0 }, frame, 100, VN_WAIT_MS) != VA_USED)
		return "b's frame does not come back";
	if (vn_rx_find(&vn_a, vn_rx_a, frame, 100, -1, VN_WAIT_MS) != VN_DELIVERED)
		return "b's frame does not reach a after the reset";
	return NULL;
}

static void run_case(const struct vn_case *c, bool counts_forwarded)
{
	const char *why = vnet_init(&vn_a, VN_FEATURES, VNET_TXQ, NULL);
	enum vn_answer a = VN_BAD;

	vn_note[0] = '\0';
	extra_fail = NULL;
	if (!why) {
		a = c->run();
		if (!(c->allowed & VN_BIT(a)))
			why = "answer not allowed";
		else if (extra_fail)
			why = extra_fail;
		else {
			if (a == VN_DELIVERED && counts_forwarded)
				vn_forwarded++;
			why = recovered();
		}
	}
	result(c->name, a, why);
}

static void run_round(u32 round)
{
	u32 p = passed, f = failed;

	for (u32 i = 0; i < sizeof(chain_cases) / sizeof(chain_cases[0]); i++)
		run_case(&chain_cases[i], strncmp(chain_cases[i].name, "rx-", 3) != 0);
	for (u32 i = 0; i < vn_frame_count; i++)
		run_case(&vn_frame_cases[i], true);
	printk("VN round %u: pass=%u fail=%u\n", round, passed - p, failed - f);
	quiet = true;
}

static const char *setup(void)
{
	const char *why = vnet_probe(&vn_a, 0);

	if (!why)
		why = vnet_probe(&vn_b, 1);
	if (why)
		return why;
	if (vn_b.base < vn_a.base) {       /* vif 0 has the lower address */
		struct vnet t = vn_a;

		vn_a = vn_b;
		vn_b = t;
	}
	why = vnet_init(&vn_b, (1ull << VF_VERSION_1) | (1ull << VF_NET_MAC) | (1ull << VF_NET_MRG_RXBUF),
			VNET_TXQ, NULL);
	if (why)
		return why;
	vnet_post_rx(&vn_b, vn_rx_b, VN_RXBUF, VN_RXBUFS);
	why = vnet_init(&vn_a, VN_FEATURES, VNET_TXQ, NULL);
	if (!why && !(vn_a.offered & (1ull << VF_INDIRECT)))
		why = "the device does not offer indirect descriptors";
	return why;
}

void mode_vnet_hostile(void)
{
	u64 start = now_ticks();
	const char *why;
	u32 rounds = 0;
	bool peer;
	char word[32];
	const char *end;

	vn_ram_end = plat.ram_base + plat.ram_size;
	find_word(plat.bootargs, "hv=", word, sizeof(word));
	if (!parse_hex(word, &end, &vn_hv_addr) || *end)
		vn_hv_addr = 0x40200000;
	why = setup();
	if (why) {
		printk("VN setup: FAIL %s\n", why);
		printk("VN DONE pass=0 fail=1 rounds=0 forwarded=0\n");
		power_off();
	}
	printk("VN a at 0x%lx INTID %u MAC %02x:%02x:%02x:%02x:%02x:%02x, b at 0x%lx, queue max %u\n",
	       vn_a.base, vn_a.intid, vn_a.mac[0], vn_a.mac[1], vn_a.mac[2], vn_a.mac[3], vn_a.mac[4],
	       vn_a.mac[5], vn_b.base, vn_a.queue_max);
	do
		run_round(++rounds);
	while (plat.ms && console_getc() < 0 && now_ticks() - start < ms_to_ticks(plat.ms));
	quiet = false;
	vn_note[0] = '\0';
	peer = !vnet_init(&vn_a, VN_FEATURES, VNET_TXQ, NULL);
	if (peer) {
		vnet_post_rx(&vn_a, vn_rx_a, VN_RXBUF, VN_RXBUFS);
		peer = vn_peer_exchange(PEER_MS);
	}
	result("peer-exchange", peer ? VN_DELIVERED : VN_TIMEOUT, peer ? NULL : "no ARP reply or ping");
	printk("VN DONE pass=%u fail=%u rounds=%u forwarded=%u\n", passed, failed, rounds, vn_forwarded);
	WAIT_UNTIL(console_getc() >= 0, KEY_MS);
	power_off();
}
