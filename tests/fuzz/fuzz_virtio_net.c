/*
 * The guest's virtio-net device (devices/virtio/net.c) against a hostile
 * driver: the input is a script of TX chains (any header, any split, any
 * length), RX buffers of any size, frames from a peer port with any offload
 * offsets, resets and work runs. Checked: nothing crashes or reads/writes
 * outside what it may (ASan), the device writes guest RAM only inside the
 * buffers the driver offered (a canary region no descriptor names stays
 * untouched), the peer receives only frames with the vif's source MAC, and
 * the VM's references come back to the port's one. GSO: the device offers
 * TSO both ways (the fuzzed feature bits include them); the peer takes no
 * GSO frame whole, so what it gets from the vif is MTU-size, and the peer's
 * own GSO frames (made plausible TCP packets half the time) reach the vif
 * whole or segmented by what its driver negotiated.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/vdev.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/net_hdr.h"
#include "net/net_gso.h"
#include "fake_arch.h"
#include "net/net_csum.h"
#include "net/switch.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define HV_PAGES 64
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * KiB)
#define BASE 0x0a001000ull
#define QSIZE 16
#define RINGS(q) (0x1000 + 0x3000 * (u64)(q))
#define BUFS 0x8000
#define BUFS_SIZE 0x4000
#define CANARY 0xc000          /* to the end of RAM: no descriptor names it */

static const u8 VIF_MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const u8 PEER_MAC[6] = { 2, 0, 0, 0, 0, 2 };

static struct vm vm;
static struct gram_chunk ram_chunks[GRAM_CHUNKS(RAM_SIZE)];
static struct vdev dev;
static struct mmio_bus bus;
static u8 *ram;
static struct switch_port peer;
static u16 next_desc[2];

bool vm_get(struct vm *v)
{
	if (v->state != VM_RUNNING)
		return false;
	v->refs++;
	return true;
}

void vm_put(struct vm *v)
{
	CHECK(v->refs > 0);
	v->refs--;
}

static enum switch_deliver peer_deliver(struct switch_port *p, const struct net_delivery *d)
{
	u8 hdr[ETH_HLEN];

	CHECK(net_delivery_copy(d, 0, hdr, ETH_HLEN) == ETH_HLEN);
	CHECK(!memcmp(hdr + 6, VIF_MAC, 6));
	CHECK(d->offload.gso_type == NET_GSO_NONE && d->len <= ETH_FRAME_MAX);
	/* a checksum left to do never lands in the MAC header the switch checked */
	CHECK(!(d->offload.flags & NET_OFFLOAD_NEEDS_CSUM) || net_csum_offsets_ok(&d->offload, d->len));
	return SWITCH_DELIVERED;
}

static const struct switch_port_ops peer_ops = { .deliver = peer_deliver };

static void wr(u64 off, u32 v)
{
	u64 x = v;

	mmio_access(&bus, ipa_init(BASE + off), 4, true, &x);
}

static void driver_init(u64 features)
{
	wr(0x070, 0);
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, (u32)features);
	wr(0x024, 1);
	wr(0x020, (u32)(features >> 32) | 1);    /* VERSION_1 */
	wr(0x070, 11);
	for (u32 q = 0; q < 2; q++) {
		memset(ram + RINGS(q), 0, 0x3000);
		next_desc[q] = 0;
		wr(0x030, q);
		wr(0x038, QSIZE);
		wr(0x080, (u32)(RAM_BASE + RINGS(q)));
		wr(0x090, (u32)(RAM_BASE + RINGS(q) + 0x1000));
		wr(0x0a0, (u32)(RAM_BASE + RINGS(q) + 0x2000));
		wr(0x044, 1);
	}
	wr(0x070, 15);
}

struct input {
	const u8 *p;
	size_t n;
};

static u8 take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static u16 take16(struct input *in)
{
	return (u16)(take(in) | take(in) << 8);
}

/* A chain of up to 4 segments inside the buffer area, flags from the input. */
static void offer(struct input *in, u32 q, bool writes)
{
	u32 n = take(in) % 4 + 1;
	u8 *rings = ram + RINGS(q);
	u16 head = next_desc[q], idx;

	for (u32 i = 0; i < n; i++) {
		u8 *d = rings + 16 * ((head + i) % QSIZE);
		u32 off = take16(in) % BUFS_SIZE;
		u32 len = take16(in) % (BUFS_SIZE - off + 1);
		u64 addr = RAM_BASE + BUFS + off;
		u16 flags = (u16)((i + 1 < n ? 1 : 0) | (writes ? 2 : 0));
		u16 next = (u16)((head + i + 1) % QSIZE);

		if (!writes && i == 0 && len >= VNET_HDR_LEN) {
			/* a header the fuzzer chose, and a frame from the vif's MAC mostly */
			for (u32 k = 0; k < VNET_HDR_LEN; k++)
				ram[BUFS + off + k] = take(in);
			if (len >= VNET_HDR_LEN + ETH_HLEN && (take(in) & 1))
				memcpy(ram + BUFS + off + VNET_HDR_LEN + 6, VIF_MAC, 6);
		}
		memcpy(d, &addr, 8);
		memcpy(d + 8, &len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	next_desc[q] = (u16)((head + n) % QSIZE);
	memcpy(&idx, rings + 0x1000 + 2, 2);
	memcpy(rings + 0x1000 + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(rings + 0x1000 + 2, &idx, 2);
	wr(0x050, q);
}

/* Makes f a TCP packet over IPv4 or IPv6 of the GSO type `off` names. */
static void plausible_tcp(u8 *f, u32 len, struct net_offload *off)
{
	bool v6 = off->gso_type == NET_GSO_TCPV6;
	u32 l3 = v6 ? 40 : 20;

	if (len < ETH_HLEN + l3 + 20)
		return;
	put_be16(f + 12, v6 ? ETH_P_IPV6 : ETH_P_IPV4);
	f[ETH_HLEN] = v6 ? 0x60 : 0x45;
	f[ETH_HLEN + (v6 ? 6 : 9)] = IPPROTO_TCP_NUM;
	if (!v6)
		put_be16(f + ETH_HLEN + 6, 0);
	f[ETH_HLEN + l3 + 12] = 5 << 4;
	off->flags |= NET_OFFLOAD_NEEDS_CSUM;
	off->csum_start = (u16)(ETH_HLEN + l3);
	off->csum_offset = TCP_CSUM_OFFSET;
}

static void peer_send(struct input *in)
{
	static u8 f[NET_GSO_FRAME_MAX];
	u8 gso = take(in);
	u32 len = (gso & 0x40 ? (u32)take16(in) << 2 : take16(in)) % sizeof(f);
	struct net_offload off = { .flags = take(in) & 3, .csum_start = take16(in),
				   .csum_offset = take16(in), .gso_type = gso & 0x85,
				   .gso_size = take16(in), .hdr_len = take16(in) };
	struct net_seg s = { f, len };
	struct net_frame fr = { .segs = &s, .nsegs = 1, .len = len };

	for (u32 i = 0; i < len; i++)
		f[i] = (u8)(i * 31);
	if (len >= ETH_HLEN) {
		memcpy(f, (take(in) & 1) ? VIF_MAC : (const u8[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 6);
		memcpy(f + 6, PEER_MAC, 6);
	}
	if (gso & 0x20)
		plausible_tcp(f, len, &off);
	fr.offload = off;
	switch_tx(&peer, &fr, 1, NULL);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *hv_mem;
	static u64 bitmap[1];
	const char *why;
	struct input in = { data, size };
	struct switch_port_config pc = { .kind = SWITCH_PORT_VIF, .label = "peer" };

	if (!hv_mem) {
		hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
		ram = malloc(RAM_SIZE);
		CHECK(hv_mem && ram);
		/* once: the switch registry keeps its switch for the process's life */
		CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, bitmap) == 0);
	}
	memset(ram, 0, RAM_SIZE);
	memset(ram + CANARY, 0xa5, RAM_SIZE - CANARY);
	memset(&vm, 0, sizeof(vm));
	memset(&dev, 0, sizeof(dev));
	memset(&bus, 0, sizeof(bus));
	strcpy(vm.cfg.name, "fuzz");
	vm.cfg.ram_base = RAM_BASE;
	guest_ram_init_run(&vm.ram, RAM_BASE, RAM_SIZE, ram_chunks, ptr_to_pa(ram));
	vm.state = VM_RUNNING;
	vm.cfg.nvifs = 1;
	vm.cfg.vifs[0].has_mac = true;
	memcpy(vm.cfg.vifs[0].mac, VIF_MAC, 6);
	strcpy(vm.cfg.vifs[0].bridge, "br0");
	fake_arch_reset();
	fake.counter = 1000;
	dev.vm = &vm;
	dev.kind = vdev_kind_by_name("virtio-net");
	dev.base = ipa_init(BASE);
	dev.size = VIRTIO_MMIO_SIZE;
	dev.irq = (struct irq_line){ &vm, 24 };
	CHECK(dev.kind && dev.kind->create(&dev, &why) == 0);
	CHECK(mmio_register(&bus, &dev) == 0);
	memcpy(pc.mac, PEER_MAC, 6);
	CHECK(switch_port_add(switch_get("br0"), &peer, &pc, &peer_ops, NULL) == SWITCH_ADD_OK);
	driver_init((u64)take(&in) << 8 | take(&in) | (u64)take(&in) << 16 | 1ull << 28 | 1ull << 29);

	for (u32 steps = 0; in.n && steps < 64; steps++) {
		switch (take(&in) % 6) {
		case 0: offer(&in, 1, false); break;
		case 1: offer(&in, 0, true); break;
		case 2: offer(&in, take(&in) & 1, take(&in) & 1); break;   /* wrong way round */
		case 3: peer_send(&in); break;
		case 4: work_run(0); break;
		case 5: driver_init((u64)take(&in) | (u64)take(&in) << 8 | (u64)take(&in) << 16); break;
		}
		CHECK(vm.refs == 1);
	}
	work_run(0);
	for (u32 i = CANARY; i < RAM_SIZE; i++)
		CHECK(ram[i] == 0xa5);
	switch_port_remove(&peer);
	vm.state = VM_DYING;
	dev.ops->unplug(&dev);
	CHECK(vm.refs == 0);
	dev.ops->destroy(&dev);
	dev_arena_release(&vm.dev_mem);
	return 0;
}
