/*
 * The uplink driver's receive path against a hostile device: the input
 * scripts what the fake virtio-net device (tests/unit/fake_virtio_net.c)
 * puts on its used rings (any id, any length, any index jump), what it writes
 * into the buffers (header and frame bytes), link changes and frames the
 * switch sends out. The driver must never read or write outside its
 * buffers (ASan), deliver a frame longer than a buffer, or hand the switch
 * a frame it did not take from a buffer the device held.
 *
 * Each step is one byte of opcode and its operands:
 *   0: an honest receive of N bytes (N, flags, csum_start, csum_offset, bytes)
 *   1: a raw used entry on queue Q (id, len)
 *   2: a used-index jump on queue Q
 *   3: the interrupt and the deferred work
 *   4: a link change
 *   5: a frame from the vif (len, bytes), then the device takes TX buffers
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/page_alloc.h"
#include "core/workqueue.h"
#include "drivers/virtio_mmio_host.h"
#include "drivers/virtio_net.h"
#include "fake_arch.h"
#include "fake_virtio_net.h"
#include "net/uplink.h"

/* The NIC registry, included so that each run can empty it (nnics). */
#include "drivers/net.c"

#define HV_PAGES 1024
#define CHECK(c) do { if (!(c)) abort(); } while (0)

void log_msg(enum log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static u8 *hv_mem;
static u64 hv_bitmap[HV_PAGES / 64];
static struct vswitch sw;
static struct uplink up;

struct vif {
	struct switch_port port;
	u32 nrx;
};
static struct vif vif;
static const u8 VIF_MAC[6] = { 2, 0, 0, 0, 0, 1 };

static enum switch_deliver vif_deliver(struct switch_port *p, const struct net_delivery *d)
{
	u8 buf[2048];

	/* the switch never passes on more than a tagged full frame, whatever the device said */
	CHECK(d->len <= ETH_FRAME_MAX + VLAN_HLEN);
	CHECK(net_delivery_copy(d, 0, buf, d->len) == d->len);
	vif.nrx++;
	return SWITCH_DELIVERED;
}

static const struct switch_port_ops vif_ops = { .deliver = vif_deliver };

struct input {
	const u8 *p;
	size_t left;
};

static u32 take(struct input *in, u32 n)
{
	u32 v = 0;

	for (u32 i = 0; i < n && in->left; i++, in->left--)
		v |= (u32)*in->p++ << (8 * i);
	return v;
}

static void setup_once(void)
{
	hv_mem = aligned_alloc(PAGE_SIZE, HV_PAGES * PAGE_SIZE);
	CHECK(hv_mem);
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, hv_bitmap) == 0);
}

static struct net_nic *start(u64 features)
{
	struct switch_port_config cfg = { .kind = SWITCH_PORT_VIF };
	struct net_nic *nic;

	fake_arch_reset();
	fake.counter = 1000;
	nnics = 0;
	fnet_reset(features);
	nic = virtio_net_probe(ptr_to_pa(&fvnet), 40);
	CHECK(nic);
	switch_init(&sw, "br0", 1);
	memset(&vif, 0, sizeof(vif));
	memcpy(cfg.mac, VIF_MAC, 6);
	CHECK(switch_port_add(&sw, &vif.port, &cfg, &vif_ops, &vif) == SWITCH_ADD_OK);
	memset(&up, 0, sizeof(up));
	CHECK(uplink_join(&up, nic, &sw) == SWITCH_ADD_OK);
	return nic;
}

/* The probe's pages back to the pool: every run starts from the same memory,
 * in a pool set up afresh (its search hint, its free count) rather than a
 * bitmap cleared behind its back. */
static void stop(void)
{
	memset(&hv_pages, 0, sizeof(hv_pages));
	CHECK(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), HV_PAGES * PAGE_SIZE, hv_bitmap) == 0);
}

static void receive(struct input *in)
{
	u8 frame[2048];
	u32 len = take(in, 2) % 1600;
	u8 flags = (u8)take(in, 1);
	u16 cs = (u16)take(in, 2), co = (u16)take(in, 2);

	for (u32 i = 0; i < len; i++)
		frame[i] = (u8)take(in, 1);
	fnet_receive(frame, len, flags, cs, co);
}

static void send_from_vif(struct input *in)
{
	u8 frame[1600];
	u32 len = take(in, 2) % sizeof(frame);
	struct net_seg seg = { frame, len };
	struct net_frame f = { .segs = &seg, .nsegs = 1, .len = len };

	for (u32 i = 0; i < len; i++)
		frame[i] = (u8)take(in, 1);
	if (len >= 12)
		memcpy(frame + 6, VIF_MAC, 6);
	f.offload.flags = (u8)take(in, 1) & 1;
	f.offload.csum_start = (u16)take(in, 2);
	f.offload.csum_offset = (u16)take(in, 2);
	switch_tx(&vif.port, &f, 1000, NULL);
	fnet_transmit(take(in, 1) & 1);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size };
	static bool ready;
	struct net_nic *nic;

	if (!ready) {
		setup_once();
		ready = true;
	}
	nic = start(FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_STATUS |
		    (take(&in, 1) & 1 ? FNET_F_CSUM | FNET_F_GUEST_CSUM : 0));
	for (u32 steps = 0; in.left && steps < 256; steps++) {
		u32 q;

		switch (take(&in, 1) % 6) {
		case 0: receive(&in); break;
		case 1: q = take(&in, 1) & 1; fnet_used(q, take(&in, 2), take(&in, 4)); break;
		case 2: q = take(&in, 1) & 1; fvnet.q[q].used_idx += (u16)take(&in, 1); break;
		case 3:
			if (fake_irq_handler)
				fake_irq_handler(fake_irq_ctx);
			work_run(0);
			break;
		case 4: fnet_set_link(take(&in, 1) & 1); break;
		case 5: send_from_vif(&in); break;
		}
	}
	/* a stopped device's memory is never touched again: its rings stay as they were */
	CHECK(!nic->broken || !fvnet.q[0].ready);
	stop();
	return 0;
}
