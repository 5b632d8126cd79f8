/*
 * The guest's virtio-net device (devices/virtio/net.c) as a guest's driver
 * reaches it (tests/unit/virtio_guest.c), plugged into a real switch
 * (net/) beside a test port that records what reaches it and sends frames
 * of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/net_hdr.h"
#include "fake_arch.h"
#include "hv_pool.h"
#include "net/net_csum.h"
#include "net/switch.h"
#include "net/vif_mac.h"
#include "virtio_guest.h"

#define HV_PAGES 128
#define BASE 0x0a001000ull
#define LINE 24
#define RXQ 0
#define TXQ 1

#define F_CSUM (1ull << 0)
#define F_GUEST_CSUM (1ull << 1)
#define F_MAC (1ull << 5)
#define F_GUEST_TSO4 (1ull << 7)
#define F_GUEST_TSO6 (1ull << 8)
#define F_HOST_TSO4 (1ull << 11)
#define F_HOST_TSO6 (1ull << 12)
#define F_MRG_RXBUF (1ull << 15)
#define F_STATUS (1ull << 16)
#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define F_ALL (F_CSUM | F_GUEST_CSUM | F_MAC | F_MRG_RXBUF | F_STATUS | F_VERSION_1)

static const u8 VIF_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const u8 PEER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x99 };

/* --- the VM's references --------------------------------------------------- */

bool vm_get(struct vm *v)
{
	if (v->state != VM_RUNNING && v->state != VM_STOPPED)
		return false;
	v->refs++;
	return true;
}

void vm_put(struct vm *v)
{
	assert_true(v->refs > 0);
	v->refs--;
}

/* --- the test port ---------------------------------------------------------- */

#define MAX_GOT 8
static struct switch_port peer;
static u8 got[MAX_GOT][1600];
static u32 got_len[MAX_GOT];
static struct net_offload got_off[MAX_GOT];
static u32 ngot;
static struct switch_port *remove_on_deliver;

static enum switch_deliver peer_deliver(struct switch_port *p, const struct net_delivery *d)
{
	if (remove_on_deliver) {
		switch_port_remove(remove_on_deliver);
		remove_on_deliver = NULL;
	}
	assert_true(d->len <= sizeof(got[0]));
	if (ngot == MAX_GOT)
		return SWITCH_DELIVERED;    /* a flood: the switch's counters tell */
	got_len[ngot] = net_delivery_copy(d, 0, got[ngot], d->len);
	got_off[ngot] = d->offload;
	ngot++;
	return SWITCH_DELIVERED;
}

static const struct switch_port_ops peer_ops = { .deliver = peer_deliver };

/* A frame from the peer: `len` bytes, to `dst`, payload a pattern. */
static void make_frame(u8 *f, u32 len, const u8 *dst, const u8 *src, u8 seed)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (u32 i = ETH_HLEN; i < len; i++)
		f[i] = (u8)(i * 13 + seed);
}

static enum switch_tx peer_send(const u8 *f, u32 len, struct net_offload off)
{
	struct net_seg s = { f, len };
	struct net_frame fr = { .segs = &s, .nsegs = 1, .len = len, .offload = off };

	return switch_tx(&peer, &fr, 1, NULL);
}

/* --- set-up ------------------------------------------------------------------- */

static struct vguest g;

static int group_setup(void **state)
{
	hv_pool_add(HV_PAGES);
	return 0;
}

static int group_teardown(void **state)
{
	hv_pool_free();
	return 0;
}

static void add_peer(void)
{
	struct switch_port_config pc = { .kind = SWITCH_PORT_VIF };

	memcpy(pc.mac, PEER_MAC, 6);
	strcpy(pc.label, "peer");
	assert_int_equal(switch_port_add(switch_get("br0"), &peer, &pc, &peer_ops, NULL),
			 SWITCH_ADD_OK);
}

static u64 create_rate_bps;   /* the next create_vm's vif rate= (0: none) */

/* The VM with one vif (MAC 02:..:01 unless `derived`) on br0, beside the peer. */
static void create_vm(const char *name, bool derived, u64 features)
{
	const char *why = NULL;

	fake_arch_reset();
	fake.counter = 1000;   /* work queued "at once" is due */
	vg_init(&g, name);
	g.vm.cfg.nvifs = 1;
	g.vm.cfg.vifs[0] = (struct config_vif){ .has_mac = !derived, .line = 7 };
	memcpy(g.vm.cfg.vifs[0].mac, VIF_MAC, 6);
	strcpy(g.vm.cfg.vifs[0].bridge, "br0");
	g.vm.cfg.vifs[0].rate_bps = create_rate_bps;
	create_rate_bps = 0;
	assert_int_equal(vg_create(&g, "virtio-net", BASE, LINE, &why), 0);
	assert_int_equal(g.vm.refs, 1);   /* the port's */
	if (features)
		assert_int_equal(vg_driver_init(&g, features, 2), 15);
	ngot = 0;
	remove_on_deliver = NULL;
	add_peer();
}

static int setup(void **state)
{
	create_vm("web", false, F_ALL);
	return 0;
}

/* A vif with rate=1Mb/s (the default 50 ms interval: a 50,000-bit bucket). */
static int setup_rate(void **state)
{
	create_rate_bps = 1000000;
	create_vm("web", false, F_ALL);
	return 0;
}

static int teardown(void **state)
{
	switch_port_remove(&peer);
	g.vm.state = VM_DYING;
	if (g.dev.ops && g.dev.ops->unplug)
		g.dev.ops->unplug(&g.dev);
	assert_int_equal(g.vm.refs, 0);   /* the port let its VM go */
	if (g.dev.ops && g.dev.ops->destroy)
		g.dev.ops->destroy(&g.dev);
	vg_free(&g);
	return 0;
}

static struct switch_counters vif_counters(void)
{
	struct switch_counters c;

	switch_port_counters(g.vm.vifs[0].port, &c);
	return c;
}

static struct vif_status vif_status(void)
{
	struct vif_status s = { 0 };

	g.vm.vifs[0].status(g.vm.vifs[0].port, &s);
	return s;
}

/* --- TX ----------------------------------------------------------------------- */

#define TXBUF (VG_BUFS + 0x10000)

/* A TX chain: the header at TXBUF, the frame split in two segments after it. */
static void offer_tx(const struct vnet_hdr *h, const u8 *frame, u32 len)
{
	u32 half = len / 2;
	struct vg_seg s[3] = {
		{ TXBUF, VNET_HDR_LEN, false },
		{ TXBUF + 0x100, half, false },
		{ TXBUF + 0x900, len - half, false },
	};

	vnet_hdr_build(h, g.ram + TXBUF);
	memcpy(g.ram + TXBUF + 0x100, frame, half);
	memcpy(g.ram + TXBUF + 0x900, frame + half, len - half);
	vg_offer(&g, TXQ, s, 3, true);
}

/* The vCPU's CPU with nothing else to run: it runs what it was asked to. */
static void cpu_idle(void)
{
	work_run_idle(0);
}

static void test_tx_to_port(void **state)
{
	u8 f[200];
	struct vnet_hdr h = { 0 };
	u32 id, len;

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 1);
	offer_tx(&h, f, sizeof(f));
	assert_int_equal(ngot, 0);        /* the notify only queued work */
	cpu_idle();
	assert_int_equal(ngot, 1);
	assert_int_equal(got_len[0], sizeof(f));
	assert_memory_equal(got[0], f, sizeof(f));
	assert_true(vg_take_used(&g, TXQ, &id, &len));
	assert_int_equal(len, 0);
	assert_true(fake.line_level[LINE]);
	assert_int_equal(vif_counters().rx_packets, 1);
	assert_int_equal(g.vm.refs, 1);   /* the work's reference is back */
}

/* A flood is taken a batch per run, the rest on later runs. */
static void test_tx_batches(void **state)
{
	u8 f[64];
	struct vnet_hdr h = { 0 };
	struct vg_seg s = { TXBUF, VNET_HDR_LEN + sizeof(f), false };

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 2);
	vnet_hdr_build(&h, g.ram + TXBUF);
	memcpy(g.ram + TXBUF + VNET_HDR_LEN, f, sizeof(f));
	for (u32 i = 0; i < VG_QSIZE; i++)
		vg_offer(&g, TXQ, &s, 1, i == VG_QSIZE - 1);
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE / 2);
	cpu_idle();                       /* it queued itself again */
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE);
	assert_int_equal(vg_used_pending(&g, TXQ), VG_QSIZE);
}

/*
 * A vif with a backlog runs again only after as long as its batch took:
 * a flood gets at most half of its CPU's time, whatever shares the CPU
 * keeps the rest.
 */
/* A backlog on a CPU with a vCPU to run waits as long as its batch took,
 * and no longer once the CPU has nothing else to do. */
static void test_tx_backlog_waits_as_long_as_its_batch_took(void **state)
{
	u8 f[64];
	struct vnet_hdr h = { 0 };
	struct vg_seg s = { TXBUF, VNET_HDR_LEN + sizeof(f), false };
	u64 start;

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 2);
	vnet_hdr_build(&h, g.ram + TXBUF);
	memcpy(g.ram + TXBUF + VNET_HDR_LEN, f, sizeof(f));
	for (u32 i = 0; i < VG_QSIZE; i++)
		vg_offer(&g, TXQ, &s, 1, i == VG_QSIZE - 1);
	fake.counter_step = 1;             /* every reading of the clock costs a tick */
	start = fake.counter;
	cpu_idle();
	fake.counter_step = 0;
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE / 2);
	work_run(0);                       /* busy: no sooner than the batch took */
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE / 2);
	fake.counter += fake.counter - start;
	work_run(0);
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE);
	/* again, and this time the CPU falls idle: at once */
	for (u32 i = 0; i < VG_QSIZE; i++)
		vg_offer(&g, TXQ, &s, 1, i == VG_QSIZE - 1);
	fake.counter_step = 1;
	cpu_idle();
	fake.counter_step = 0;
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE * 3 / 2);
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, VG_QSIZE * 2);
}

/* A frame the guest queued while its vCPU runs on waits for the vCPU to
 * pause, or 1 ms at most, on the CPU of the vCPU that asked. */
static void test_tx_waits_for_the_vcpu_to_pause(void **state)
{
	u8 f[80];
	struct vnet_hdr h = { 0 };
	u64 ms = fake.counter_freq / 1000;

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 4);
	fake.cpu_index = 1;
	offer_tx(&h, f, sizeof(f));
	work_run(1);                       /* the vCPU runs on */
	fake.counter += ms - 1;
	work_run(1);
	assert_int_equal(ngot, 0);
	work_run(0);                       /* not the shared CPU's work */
	work_run_idle(0);
	assert_int_equal(ngot, 0);
	fake.counter += 1;
	work_run(1);
	assert_int_equal(ngot, 1);
	offer_tx(&h, f, sizeof(f));
	assert_true(work_when_idle(1));
	work_run_idle(1);                  /* it paused: at once */
	assert_int_equal(ngot, 2);
	fake.cpu_index = 0;
}

static void test_tx_bad_header(void **state)
{
	u8 f[100];
	struct vnet_hdr h = { .flags = 0x80 };
	struct vg_seg shorty = { TXBUF, 8, false };
	u32 id, len;

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 3);
	offer_tx(&h, f, sizeof(f));
	cpu_idle();
	vg_offer(&g, TXQ, &shorty, 1, true);   /* not even a header */
	cpu_idle();
	h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 90, .csum_offset = 9 };
	offer_tx(&h, f, sizeof(f));            /* its checksum field past the end */
	cpu_idle();
	h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 0, .csum_offset = 6 };
	offer_tx(&h, f, sizeof(f));            /* its sum over the source MAC the switch checked */
	cpu_idle();
	h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 13, .csum_offset = 0 };
	offer_tx(&h, f, sizeof(f));            /* starting in the EtherType */
	cpu_idle();
	assert_int_equal(ngot, 0);
	assert_int_equal(vif_status().tx_errors, 5);
	assert_int_equal(vg_used_pending(&g, TXQ), 5);   /* every chain returned */
	assert_true(vg_take_used(&g, TXQ, &id, &len));
	assert_false(vg_rd(&g, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_string_equal(vif_status().state, "connected");
}

static void test_tx_gso_refused(void **state)
{
	u8 f[100];
	struct vnet_hdr h = { .gso_type = 1, .gso_size = 1448, .hdr_len = 54 };

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 4);
	offer_tx(&h, f, sizeof(f));
	cpu_idle();
	assert_int_equal(ngot, 0);
	assert_int_equal(vif_status().tx_errors, 1);
	assert_int_equal(vg_used_pending(&g, TXQ), 1);
}

/* A runt and a spoofed frame: the switch drops and counts them. */
static void test_tx_runt_spoofed(void **state)
{
	u8 f[100];
	struct vnet_hdr h = { 0 };

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 5);
	offer_tx(&h, f, 10);
	cpu_idle();
	make_frame(f, sizeof(f), PEER_MAC, PEER_MAC, 5);
	offer_tx(&h, f, sizeof(f));
	cpu_idle();
	assert_int_equal(ngot, 0);
	assert_int_equal(vif_counters().drops[SW_DROP_RUNT], 1);
	assert_int_equal(vif_counters().drops[SW_DROP_SPOOFED], 1);
	assert_int_equal(vg_used_pending(&g, TXQ), 2);
}

/* A chain that breaks the ring's rules: the device asks for a reset. */
static void test_tx_malformed_chain(void **state)
{
	struct vg_seg s = { VG_RAM_SIZE - 4, 64, false };   /* runs past RAM */

	vg_offer(&g, TXQ, &s, 1, true);
	cpu_idle();
	assert_true(vg_rd(&g, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_string_equal(vif_status().state, "needs reset");
	assert_int_equal(ngot, 0);
}

/* n chains of one 1000-byte frame each (8,000 bits for the rate). */
static void offer_tx_1000(u32 n)
{
	u8 f[1000];
	struct vnet_hdr h = { 0 };
	struct vg_seg s = { TXBUF, VNET_HDR_LEN + sizeof(f), false };

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 6);
	vnet_hdr_build(&h, g.ram + TXBUF);
	memcpy(g.ram + TXBUF + VNET_HDR_LEN, f, sizeof(f));
	for (u32 i = 0; i < n; i++)
		vg_offer(&g, TXQ, &s, 1, i == n - 1);
}

#define TICKS_PER_MS (62500000 / 1000)

/* Over its rate, a vif holds the frame in the guest's ring until the bucket
 * has room, and drops nothing: 6 frames fit the full bucket (2,000 bits
 * left), the 7th waits (the guest's kicks do not hurry it) and goes once
 * 1 Mb/s has added its 6,000 bits; the 8th then waits its 7 ms, not run
 * before; 30 ms later the last three go. */
static void test_tx_waits_for_its_rate(void **state)
{
	offer_tx_1000(10);
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 6);
	assert_int_equal(vg_used_pending(&g, TXQ), 6);
	offer_tx_1000(1);                    /* a kick while it waits */
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 6);
	fake.counter += 7 * TICKS_PER_MS;    /* 9,000 bits: the 7th, not the 8th */
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 7);
	fake.counter += 1 * TICKS_PER_MS;
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 7);   /* its 7 ms not over */
	fake.counter += 6 * TICKS_PER_MS + 1;
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 8);
	fake.counter += 30 * TICKS_PER_MS;
	for (u32 i = 0; i < 4; i++)
		cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 11);
	assert_int_equal(vg_used_pending(&g, TXQ), 11);
	assert_int_equal(vif_counters().drops[SW_DROP_RATE], 0);
}

/* A reset forgets the frame held for its rate: it is not sent afterwards. */
static void test_tx_held_frame_reset(void **state)
{
	offer_tx_1000(7);
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 6);
	vg_wr(&g, 0x070, 0);
	fake.counter += 100 * TICKS_PER_MS;
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 6);
	assert_int_equal(vg_driver_init(&g, F_ALL, 2), 15);
	offer_tx_1000(1);
	cpu_idle();
	assert_int_equal(vif_counters().rx_packets, 7);
}

/* --- RX ------------------------------------------------------------------------ */

#define RXBUF VG_BUFS

static void offer_rx(u32 n, u32 size)
{
	for (u32 i = 0; i < n; i++) {
		/* buffer k at RXBUF + 0x1000 k for descriptor k: gather_rx finds it by id */
		struct vg_seg s = { RXBUF + 0x1000 * (u64)g.q[RXQ].next_desc, size, true };

		memset(g.ram + s.off, 0xee, size);
		vg_offer(&g, RXQ, &s, 1, true);
	}
}

/* The stream of header and frame the device wrote over the used chains. */
static u32 gather_rx(u8 *out, u32 *nchains)
{
	u32 id, len, total = 0;

	*nchains = 0;
	while (vg_take_used(&g, RXQ, &id, &len)) {
		memcpy(out + total, g.ram + RXBUF + 0x1000 * (u64)id, len);
		total += len;
		(*nchains)++;
	}
	return total;
}

static void test_rx_mergeable(void **state)
{
	u8 f[ETH_FRAME_MAX], out[4096];
	struct vnet_hdr h;
	u32 n, total;

	offer_rx(3, 600);
	fake.line_sets = 0;
	fake.line_level[LINE] = false;
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 6);
	assert_int_equal(peer_send(f, sizeof(f), (struct net_offload){ 0 }), SWITCH_TX_SENT);
	assert_int_equal(vg_used_pending(&g, RXQ), 3);
	total = gather_rx(out, &n);
	assert_int_equal(n, 3);
	assert_int_equal(total, VNET_HDR_LEN + sizeof(f));
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.num_buffers, 3);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_memory_equal(out + VNET_HDR_LEN, f, sizeof(f));
	assert_true(fake.line_level[LINE]);
	assert_int_equal(vif_counters().tx_packets, 1);
}

/* A header that straddles two buffers of the chain, apart in guest memory:
 * each of its runs lands where its segment is, and the frame follows. */
static void test_rx_header_split_over_segments(void **state)
{
	u8 f[200];
	struct vg_seg s[3] = {
		{ RXBUF, 5, true },                     /* the header's first 5 bytes */
		{ RXBUF + 0x2000, 3, true },            /* 3 more, elsewhere */
		{ RXBUF + 0x4000, 1024, true },         /* its last 4, then the frame */
	};
	u8 hdr[VNET_HDR_LEN];
	struct vnet_hdr h;
	u32 id, len;

	for (u32 i = 0; i < 3; i++)
		memset(g.ram + s[i].off, 0xee, s[i].len);
	memset(g.ram + RXBUF + 5, 0x5a, 16);            /* past the first segment: untouched */
	memset(g.ram + RXBUF + 0x2000 + 3, 0xa5, 16);   /* and past the second */
	vg_offer(&g, RXQ, s, 3, true);
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 9);
	assert_int_equal(peer_send(f, sizeof(f), (struct net_offload){ 0 }), SWITCH_TX_SENT);
	assert_true(vg_take_used(&g, RXQ, &id, &len));
	assert_int_equal(len, VNET_HDR_LEN + sizeof(f));
	memcpy(hdr, g.ram + RXBUF, 5);
	memcpy(hdr + 5, g.ram + RXBUF + 0x2000, 3);
	memcpy(hdr + 8, g.ram + RXBUF + 0x4000, VNET_HDR_LEN - 8);
	vnet_hdr_parse(hdr, &h);
	assert_int_equal(h.num_buffers, 1);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_memory_equal(g.ram + RXBUF + 0x4000 + VNET_HDR_LEN - 8, f, sizeof(f));
	for (u32 i = 0; i < 16; i++)
		assert_int_equal(g.ram[RXBUF + 5 + i], 0x5a);
	for (u32 i = 0; i < 16; i++)
		assert_int_equal(g.ram[RXBUF + 0x2000 + 3 + i], 0xa5);
}

/* Without MRG_RXBUF a frame takes one buffer, which must hold all of it. */
static void test_rx_one_buffer(void **state)
{
	u8 f[300], out[4096];
	u32 n;

	assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC, 2), 15);
	offer_rx(1, 200);
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 7);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(gather_rx(out, &n), 0);       /* given back empty */
	assert_int_equal(n, 1);
	assert_int_equal(vif_counters().drops[SW_DROP_NO_BUFFERS], 1);
	assert_int_equal(vif_status().rx_errors, 1);
	offer_rx(1, 400);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + sizeof(f));
	assert_memory_equal(out + VNET_HDR_LEN, f, sizeof(f));
}

static void test_rx_no_buffers(void **state)
{
	u8 f[100];

	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 8);
	assert_int_equal(peer_send(f, sizeof(f), (struct net_offload){ 0 }), SWITCH_TX_SENT);
	assert_int_equal(vif_counters().drops[SW_DROP_NO_BUFFERS], 1);
	assert_int_equal(vif_counters().tx_packets, 0);
	assert_int_equal(vg_used_pending(&g, RXQ), 0);
}

/* The driver asked for no interrupts: the buffers are used, the line stays low. */
static void test_rx_no_interrupt(void **state)
{
	u8 f[100];

	offer_rx(1, 2048);
	vg_avail_flags(&g, RXQ, 1);
	fake.line_level[LINE] = false;
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 9);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(vg_used_pending(&g, RXQ), 1);
	assert_false(fake.line_level[LINE]);
}

/* --- checksums ------------------------------------------------------------------ */

#define IP_OFF ETH_HLEN
#define UDP_OFF (ETH_HLEN + 20)

static u64 sum16(const u8 *p, u32 n)
{
	u64 s = 0;

	for (u32 i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (u64)p[i] << 8;
	return s;
}

/* A UDP/IPv4 frame whose checksum field holds the pseudo-header's sum, as a
 * sender with checksum offload leaves it (NEEDS_CSUM). */
static u32 udp_frame(u8 *f, u32 payload)
{
	u32 ulen = 8 + payload, len = UDP_OFF + ulen;
	u8 pseudo[12];
	u16 part;

	make_frame(f, len, VIF_MAC, PEER_MAC, 10);
	memset(f + IP_OFF, 0, 20);
	f[IP_OFF] = 0x45;
	put_be16(f + IP_OFF + 2, (u16)(20 + ulen));
	f[IP_OFF + 8] = 64;
	f[IP_OFF + 9] = 17;
	memcpy(f + IP_OFF + 12, (u8[]){ 10, 0, 0, 2, 10, 0, 0, 1 }, 8);
	put_be16(f + UDP_OFF, 4000);
	put_be16(f + UDP_OFF + 2, 5000);
	put_be16(f + UDP_OFF + 4, (u16)ulen);
	memcpy(pseudo, f + IP_OFF + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	put_be16(pseudo + 10, (u16)ulen);
	part = (u16)~net_csum_fold(sum16(pseudo, 12));
	put_be16(f + UDP_OFF + 6, part);
	return len;
}

/* The receiver's UDP checksum verifies: pseudo-header + segment sum to 0xffff. */
static bool udp_ok(const u8 *f, u32 len)
{
	u8 pseudo[12];
	u32 ulen = len - UDP_OFF;

	memcpy(pseudo, f + IP_OFF + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	put_be16(pseudo + 10, (u16)ulen);
	return get_be16(f + UDP_OFF + 6) != 0 &&
	       net_csum_fold(sum16(pseudo, 12) + sum16(f + UDP_OFF, ulen)) == 0;
}

static void test_rx_csum_completed(void **state)
{
	u8 f[1600], out[4096];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = UDP_OFF,
				   .csum_offset = 6 };
	struct vnet_hdr h;
	u32 len, n;

	assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC | F_MRG_RXBUF, 2), 15);
	len = udp_frame(f, 1001);      /* odd: the last byte pads */
	assert_false(udp_ok(f, len));
	offer_rx(4, 400);              /* the field lands in the first, the end in the fourth */
	peer_send(f, len, off);
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + len);
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.flags, 0);
	assert_true(udp_ok(out + VNET_HDR_LEN, len));
	assert_memory_equal(out + VNET_HDR_LEN, f, UDP_OFF + 6);
	assert_memory_equal(out + VNET_HDR_LEN + UDP_OFF + 8, f + UDP_OFF + 8, len - UDP_OFF - 8);
}

/* Buffers of odd sizes: the summed runs start at odd offsets from
 * csum_start too, and count byte-swapped. */
static void test_rx_csum_completed_odd_buffers(void **state)
{
	u8 f[1600], out[4096];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = UDP_OFF,
				   .csum_offset = 6 };
	u32 len, n;

	for (u32 size = 101; size <= 333; size += 116) {   /* 101, 217, 333 */
		assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC | F_MRG_RXBUF, 2), 15);
		len = udp_frame(f, 1000);
		offer_rx(16, size);
		peer_send(f, len, off);
		assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + len);
		assert_true(n > 1);
		assert_true(udp_ok(out + VNET_HDR_LEN, len));
	}
}

static void test_rx_csum_passed_through(void **state)
{
	u8 f[1600], out[4096];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = UDP_OFF,
				   .csum_offset = 6 };
	struct vnet_hdr h;
	u32 len, n;

	len = udp_frame(f, 100);
	offer_rx(1, 2048);
	peer_send(f, len, off);
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + len);
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.flags, VNET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, UDP_OFF);
	assert_int_equal(h.csum_offset, 6);
	assert_memory_equal(out + VNET_HDR_LEN, f, len);   /* the field left for the guest */
}

/* Offsets from a hostile sender that point outside the frame: the frame
 * arrives with no offload claim and nothing is written out of place. */
static void test_rx_csum_bad_offsets(void **state)
{
	u8 f[200], out[4096];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = 190,
				   .csum_offset = 60000 };
	struct vnet_hdr h;
	u32 n;

	assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC | F_MRG_RXBUF, 2), 15);
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 11);
	offer_rx(1, 2048);
	peer_send(f, sizeof(f), off);
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + sizeof(f));
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.flags, 0);
	assert_memory_equal(out + VNET_HDR_LEN, f, sizeof(f));
	assert_int_equal(g.ram[RXBUF + VNET_HDR_LEN + sizeof(f)], 0xee);
}

/* Offsets inside the MAC header (from a sender that bypassed its own
 * device's check, or a future one): the receiver's copy is not summed over
 * the addresses the switch checked, and no offload claim reaches it. */
static void test_rx_csum_in_mac_header(void **state)
{
	u8 f[200], out[4096];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = 0, .csum_offset = 6 };
	struct vnet_hdr h;
	u32 n;

	assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC | F_MRG_RXBUF, 2), 15);
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 12);
	offer_rx(1, 2048);
	peer_send(f, sizeof(f), off);
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + sizeof(f));
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.flags, 0);
	assert_memory_equal(out + VNET_HDR_LEN, f, sizeof(f));   /* the source as sent */
}

/* --- MACs -------------------------------------------------------------------------- */

/* --- GSO ------------------------------------------------------------------------ */

#define TCP_OFF (ETH_HLEN + 20)
#define TCP_HDR 20
#define GSO_MSS 1460

/* A TCPv4 packet of `payload` bytes from `src` to `dst` with its checksum
 * partial (the pseudo-header's sum, as a Linux guest leaves it); its length. */
static u32 tcp_frame(u8 *f, u32 payload, const u8 *dst, const u8 *src)
{
	u32 len = TCP_OFF + TCP_HDR + payload;
	u64 sum;

	make_frame(f, len, dst, src, 9);
	memset(f + ETH_HLEN, 0, 20 + TCP_HDR);
	f[ETH_HLEN] = 0x45;
	put_be16(f + ETH_HLEN + 2, (u16)(len - ETH_HLEN));
	f[ETH_HLEN + 8] = 64;
	f[ETH_HLEN + 9] = 6;
	memcpy(f + ETH_HLEN + 12, (u8[]){ 10, 0, 0, 2, 10, 0, 0, 1 }, 8);
	put_be16(f + TCP_OFF + 4, 0x1234);    /* seq */
	f[TCP_OFF + 12] = 5 << 4;
	f[TCP_OFF + 13] = 0x18;               /* PSH ACK */
	sum = 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 6 + TCP_HDR + payload;
	put_be16(f + TCP_OFF + 16, (u16)~net_csum_fold(sum));
	return len;
}

static const struct vnet_hdr gso_hdr = {
	.flags = VNET_HDR_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = GSO_MSS,
	.hdr_len = TCP_OFF + TCP_HDR, .csum_start = TCP_OFF, .csum_offset = 16 };

/* A segment's TCP checksum, complete, verifies. */
static bool tcp_ok(const u8 *f, u32 len)
{
	u32 tl = len - TCP_OFF;
	u64 sum = 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 6 + tl;

	for (u32 i = 0; i < tl; i += 2)
		sum += (u32)f[TCP_OFF + i] << 8 | (i + 1 < tl ? f[TCP_OFF + i + 1] : 0);
	return net_csum_fold(sum) == 0;
}

/* A vif with a rate offers no HOST_TSO (its bucket may hold less than one
 * 64 KiB frame); one without offers both, and GUEST_TSO either way. */
static void test_host_tso_offered_unless_rated(void **state)
{
	u64 f = vg_device_features(&g);

	assert_int_equal(f & (F_HOST_TSO4 | F_HOST_TSO6), 0);
	assert_true(f & (1ull << 7));      /* GUEST_TSO4 */
	teardown(state);
	setup(state);
	f = vg_device_features(&g);
	assert_int_equal(f & (F_HOST_TSO4 | F_HOST_TSO6), F_HOST_TSO4 | F_HOST_TSO6);
}

/* With HOST_TSO4 a GSO frame goes; the peer (no TSO) gets its segments. */
static void test_tx_gso_segmented_for_peer(void **state)
{
	u8 f[3200];
	u32 len;

	assert_int_equal(vg_driver_init(&g, F_ALL | F_HOST_TSO4, 2), 15);
	len = tcp_frame(f, 3000, PEER_MAC, VIF_MAC);
	offer_tx(&gso_hdr, f, len);
	cpu_idle();
	assert_int_equal(vif_status().tx_errors, 0);
	assert_int_equal(ngot, 3);
	for (u32 k = 0; k < 3; k++) {
		u32 plen = k < 2 ? GSO_MSS : 3000 - 2 * GSO_MSS;

		assert_int_equal(got_len[k], TCP_OFF + TCP_HDR + plen);
		assert_int_equal(got_off[k].flags, NET_OFFLOAD_NEEDS_CSUM);
		assert_int_equal(got_off[k].gso_type, VNET_GSO_NONE);
		assert_memory_equal(got[k] + TCP_OFF + TCP_HDR, f + TCP_OFF + TCP_HDR + k * GSO_MSS, plen);
		net_csum_complete(got[k], got_len[k], &got_off[k]);
		assert_true(tcp_ok(got[k], got_len[k]));
	}
	assert_int_equal(vif_counters().rx_packets, 3);
}

/* Each bad GSO header: dropped, counted, the chain returned. */
static void test_tx_gso_bad_headers(void **state)
{
	u8 f[3200];
	u32 len, n = 0;
	struct vnet_hdr bad[8];

	assert_int_equal(vg_driver_init(&g, F_ALL | F_HOST_TSO4, 2), 15);
	len = tcp_frame(f, 3000, PEER_MAC, VIF_MAC);
	for (u32 i = 0; i < 8; i++)
		bad[i] = gso_hdr;
	bad[0].gso_type = VNET_GSO_TCPV6;            /* not negotiated */
	bad[1].gso_type = VNET_GSO_TCPV4 | VNET_GSO_ECN;
	bad[2].gso_type = VNET_GSO_UDP;
	bad[3].gso_size = 0;
	bad[4].gso_size = 9000;
	bad[5].hdr_len = (u16)(len + 1);
	bad[6].hdr_len = TCP_OFF + 10;               /* short of the checksum field */
	bad[7].flags = 0;
	for (u32 i = 0; i < 8; i++) {
		offer_tx(&bad[i], f, len);
		cpu_idle();
		n++;
		assert_int_equal(vif_status().tx_errors, n);
		assert_int_equal(vg_used_pending(&g, TXQ), n);
	}
	assert_int_equal(ngot, 0);
}

/* GUEST_TSO4: a GSO frame arrives whole over mergeable buffers, its
 * fields in the header. */
static void test_rx_gso_whole(void **state)
{
	static u8 f[9000], out[16384];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4,
				   .gso_size = GSO_MSS, .hdr_len = 80, .csum_start = TCP_OFF,
				   .csum_offset = 16 };
	struct vnet_hdr h;
	u32 len, n;

	assert_int_equal(vg_driver_init(&g, F_ALL | F_GUEST_TSO4, 2), 15);
	len = tcp_frame(f, 8000, VIF_MAC, PEER_MAC);
	offer_rx(6, 4096);             /* what 8 KiB would take at 1518 bytes a buffer */
	assert_int_equal(peer_send(f, len, off), SWITCH_TX_SENT);
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + len);
	assert_int_equal(n, 2);
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.gso_type, VNET_GSO_TCPV4);
	assert_int_equal(h.gso_size, GSO_MSS);
	assert_int_equal(h.hdr_len, TCP_OFF + TCP_HDR);   /* the exact one, not the hint */
	assert_int_equal(h.flags, VNET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, TCP_OFF);
	assert_int_equal(h.num_buffers, 2);
	assert_memory_equal(out + VNET_HDR_LEN, f, len);
}

/* GUEST_TSO4 but too few buffers posted for the whole frame: its segments
 * instead, as many as there are buffers, the rest dropped and counted. */
static void test_rx_gso_short_ring_gets_segments(void **state)
{
	static u8 f[9000], out[16384];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4,
				   .gso_size = GSO_MSS, .hdr_len = TCP_OFF + TCP_HDR,
				   .csum_start = TCP_OFF, .csum_offset = 16 };
	struct vnet_hdr h;
	u32 len, n;

	assert_int_equal(vg_driver_init(&g, F_ALL | F_GUEST_TSO4, 2), 15);
	len = tcp_frame(f, 8000, VIF_MAC, PEER_MAC);
	offer_rx(3, 4096);
	assert_int_equal(peer_send(f, len, off), SWITCH_TX_SENT);
	assert_int_equal(gather_rx(out, &n), 3 * (VNET_HDR_LEN + TCP_OFF + TCP_HDR + GSO_MSS));
	assert_int_equal(n, 3);
	vnet_hdr_parse(out, &h);
	assert_int_equal(h.gso_type, VNET_GSO_NONE);
	assert_int_equal(h.flags, VNET_HDR_F_NEEDS_CSUM);   /* GUEST_CSUM: left partial */
	assert_int_equal(vif_counters().tx_packets, 3);
	assert_int_equal(vif_counters().drops[SW_DROP_NO_BUFFERS], 3);   /* 6 segments */
}

/* Neither GUEST_TSO nor GUEST_CSUM: MTU-size segments, each TCP checksum
 * completed into the guest's copy. */
static void test_rx_gso_segmented_csum_computed(void **state)
{
	static u8 f[9000], out[16384];
	struct net_offload off = { .flags = NET_OFFLOAD_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4,
				   .gso_size = GSO_MSS, .hdr_len = TCP_OFF + TCP_HDR,
				   .csum_start = TCP_OFF, .csum_offset = 16 };
	struct vnet_hdr h;
	u32 len, n, at = 0;

	assert_int_equal(vg_driver_init(&g, F_VERSION_1 | F_MAC | F_MRG_RXBUF, 2), 15);
	len = tcp_frame(f, 3000, VIF_MAC, PEER_MAC);
	offer_rx(3, 2048);
	assert_int_equal(peer_send(f, len, off), SWITCH_TX_SENT);
	assert_int_equal(gather_rx(out, &n), 3 * (VNET_HDR_LEN + TCP_OFF + TCP_HDR) + 3000);
	assert_int_equal(n, 3);
	for (u32 k = 0; k < 3; k++) {
		u32 plen = k < 2 ? GSO_MSS : 3000 - 2 * GSO_MSS, slen = TCP_OFF + TCP_HDR + plen;

		vnet_hdr_parse(out + at, &h);
		assert_int_equal(h.flags, 0);
		assert_int_equal(h.gso_type, VNET_GSO_NONE);
		assert_true(tcp_ok(out + at + VNET_HDR_LEN, slen));
		at += VNET_HDR_LEN + slen;
	}
}

static void test_mac_derivation(void **state)
{
	u8 a[6], b[6], c[6], d[6];

	vif_derive_mac("web", 0, a);
	vif_derive_mac("web", 0, b);
	vif_derive_mac("web", 1, c);
	vif_derive_mac("db", 0, d);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_memory_not_equal(a, d, 6);
	for (u32 i = 0; i < 64; i++) {
		char name[8] = { 'v', 'm', (char)('a' + i % 26), (char)('a' + i / 26), 0 };

		vif_derive_mac(name, i % 3, a);
		assert_int_equal(a[0] & 3, 2);     /* locally administered, unicast */
	}
}

/* A vif without mac= gets the derived MAC in its config space. */
static void test_derived_mac_in_config(void **state)
{
	u8 want[6];
	u64 v;

	teardown(state);
	create_vm("db", true, F_ALL);
	vif_derive_mac("db", 0, want);
	for (u32 i = 0; i < 6; i++) {
		assert_true(vg_config_rd(&g, i, 1, &v));
		assert_int_equal(v, want[i]);
	}
	assert_true(vg_config_rd(&g, 6, 2, &v));
	assert_int_equal(v, 1);                /* link up */
	assert_memory_equal(g.vm.vifs[0].port->cfg.mac, want, 6);
}

/* A second VM with the same MAC on the switch: a create error naming the line. */
static void test_mac_in_use(void **state)
{
	struct vguest *other = calloc(1, sizeof(*other));
	const char *why = NULL;

	vg_init(other, "twin");
	other->vm.cfg.nvifs = 1;
	other->vm.cfg.vifs[0] = (struct config_vif){ .has_mac = true, .line = 9 };
	memcpy(other->vm.cfg.vifs[0].mac, VIF_MAC, 6);
	strcpy(other->vm.cfg.vifs[0].bridge, "br0");
	assert_int_equal(vg_create(other, "virtio-net", BASE, LINE, &why), -1);
	assert_non_null(strstr(why, "test.cfg:9: vif: switch 'br0'"));
	assert_int_equal(other->vm.refs, 0);
	vg_free(other);
	free(other);
}

/* --- reset and teardown --------------------------------------------------------------- */

static void test_reset_mid_traffic(void **state)
{
	u8 f[200], out[4096];
	struct vnet_hdr h = { 0 };
	u32 n;

	offer_rx(2, 2048);
	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 12);
	offer_tx(&h, f, sizeof(f));        /* queued, not run yet */
	vg_wr(&g, 0x070, 0);               /* the driver resets the device */
	cpu_idle();
	assert_int_equal(ngot, 0);         /* the ring it was on is gone */
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 13);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(vif_counters().drops[SW_DROP_NO_BUFFERS], 1);
	assert_int_equal(g.ram[RXBUF], 0xee);   /* the old buffers untouched */
	assert_string_equal(vif_status().state, "initialising");
	/* the driver starts again: traffic flows */
	assert_int_equal(vg_driver_init(&g, F_ALL, 2), 15);
	offer_rx(1, 2048);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(gather_rx(out, &n), VNET_HDR_LEN + sizeof(f));
	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 14);
	offer_tx(&h, f, sizeof(f));
	cpu_idle();
	assert_int_equal(ngot, 1);
}

/* The VM goes while frames flow: its port leaves the switch, queued TX goes
 * nowhere, frames for it are not delivered, and the VM's reference is back. */
static void test_unplug_while_flowing(void **state)
{
	u8 f[200];
	struct vnet_hdr h = { 0 };

	offer_rx(2, 2048);
	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 15);
	offer_tx(&h, f, sizeof(f));
	g.vm.state = VM_DYING;
	g.dev.ops->unplug(&g.dev);
	assert_int_equal(g.vm.refs, 0);
	assert_string_equal(vif_status().state, "unplugged");
	cpu_idle();                        /* the VM is going: no reference, no send */
	assert_int_equal(ngot, 0);
	make_frame(f, sizeof(f), VIF_MAC, PEER_MAC, 16);
	peer_send(f, sizeof(f), (struct net_offload){ 0 });
	assert_int_equal(vg_used_pending(&g, RXQ), 0);
}

/* The receiver removes the sender's port in the middle of its frame: the
 * frame completes, and the port's release (the VM's reference) comes after. */
static void test_removed_mid_frame(void **state)
{
	u8 f[200];
	struct vnet_hdr h = { 0 };

	make_frame(f, sizeof(f), PEER_MAC, VIF_MAC, 17);
	offer_tx(&h, f, sizeof(f));
	offer_tx(&h, f, sizeof(f));
	remove_on_deliver = g.vm.vifs[0].port;
	cpu_idle();
	assert_int_equal(ngot, 1);         /* the second frame met a port gone */
	assert_int_equal(g.vm.refs, 0);    /* released once the first frame ended */
	assert_int_equal(vg_used_pending(&g, TXQ), 2);
	g.vm.state = VM_DYING;             /* as the VM's destruction would */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tx_to_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_backlog_waits_as_long_as_its_batch_took, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_waits_for_the_vcpu_to_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_tso_offered_unless_rated, setup_rate, teardown),
		cmocka_unit_test_setup_teardown(test_tx_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_segmented_for_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_bad_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_gso_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_gso_short_ring_gets_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_gso_segmented_csum_computed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_runt_spoofed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_malformed_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_header_split_over_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_one_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_completed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_completed_odd_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_passed_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_bad_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_in_mac_header, setup, teardown),
		cmocka_unit_test(test_mac_derivation),
		cmocka_unit_test_setup_teardown(test_derived_mac_in_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_mid_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_waits_for_its_rate, setup_rate, teardown),
		cmocka_unit_test_setup_teardown(test_tx_held_frame_reset, setup_rate, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_while_flowing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_mid_frame, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
