/*
 * The uplink driver (drivers/virtio_net.c, net.c) and port (net/uplink.c)
 * against a fake virtio-net device (fake_virtio_net.c) and a real switch
 * (net/switch.c) with a test vif port on it: frames from the device reach
 * the vif, the vif's frames reach the device, and a device that lies costs
 * only its own frames (or, when it names buffers it does not hold, itself).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot_uplink.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/workqueue.h"
#include "drivers/virtio_mmio_host.h"
#include "drivers/virtio_net.h"
#include "fake_arch.h"
#include "fake_virtio_net.h"
#include "hv_pool.h"
#include "log_last.h"
#include "net/net_csum.h"
#include "net/uplink.h"

#define IRQ 49
#define HV_PAGES 4096


/* The test's vif: what the switch delivered to it. */
struct vif {
	struct switch_port port;
	bool no_buffers;
	u32 nrx;
	u8 last[2048];
	u32 last_len;
	struct net_offload last_off;
};

static enum switch_deliver vif_deliver(struct switch_port *p, const struct net_delivery *d)
{
	struct vif *v = p->ctx;

	if (v->no_buffers)
		return SWITCH_NO_BUFFERS;
	assert_true(d->len <= sizeof(v->last));
	assert_int_equal(net_delivery_copy(d, 0, v->last, d->len), d->len);
	v->last_len = d->len;
	v->last_off = d->offload;
	v->nrx++;
	return SWITCH_DELIVERED;
}

static const struct switch_port_ops vif_ops = { .deliver = vif_deliver };

static const u8 VIF_MAC[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const u8 EXT_MAC[6] = { 0x52, 0x55, 0x0a, 0, 2, 2 };  /* slirp's gateway, say */
static const u8 BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct vswitch sw;
static struct vif vif;
static struct uplink up;
static struct net_nic *nic;

/* An Ethernet frame of `len` bytes with a pattern after the header. */
static u32 frame(u8 *f, const u8 *dst, const u8 *src, u32 len, u8 seed)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (u32 i = ETH_HLEN; i < len; i++)
		f[i] = (u8)(i * 3 + seed);
	return len;
}

/* The interrupt, then CPU 0's deferred work, as the hypervisor runs them. */
static void interrupt_and_work(void)
{
	assert_non_null(fake_irq_handler);
	fake_irq_handler(fake_irq_ctx);
	assert_int_equal(fvnet.int_status, 0);
	work_run(0);
}

static enum switch_tx vif_send(const u8 *f, u32 len, const struct net_offload *off)
{
	struct net_seg seg = { f, len };
	struct net_frame fr = { .segs = &seg, .nsegs = 1, .len = len };

	if (off)
		fr.offload = *off;
	return switch_tx(&vif.port, &fr, 1000, NULL);
}

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

/* A fresh device, a fresh switch with the vif on it; probe and join only
 * when the test does not change the device first. */
static void start(void)
{
	struct switch_port_config cfg = { .kind = SWITCH_PORT_VIF };

	nic = virtio_net_probe(ptr_to_pa(&fvnet), IRQ);
	assert_non_null(nic);
	switch_init(&sw, "br0", 7);
	memset(&vif, 0, sizeof(vif));
	memcpy(cfg.mac, VIF_MAC, 6);
	strcpy(cfg.label, "vm.0");
	assert_int_equal(switch_port_add(&sw, &vif.port, &cfg, &vif_ops, &vif), SWITCH_ADD_OK);
	memset(&up, 0, sizeof(up));
	assert_int_equal(uplink_join(&up, nic, &sw), SWITCH_ADD_OK);
}

static int setup(void **state)
{
	fake_arch_reset();
	fake.counter = 1000;
	fake_irq_handler = NULL;
	fnet_reset(FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_STATUS | FNET_F_MRG_RXBUF);
	return 0;
}

static int teardown(void **state)
{
	return 0;
}

static void test_probe(void **state)
{
	u32 before = net_nic_count();

	start();
	assert_int_equal(fvnet.driver_features, FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_STATUS);
	assert_int_equal(fvnet.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(fvnet.q[0].ready && fvnet.q[1].ready);
	assert_int_equal(fvnet.q[0].num, 64);
	assert_int_equal(fnet_rx_available(), 64);   /* the receive ring full */
	assert_memory_equal(nic->mac, fvnet.mac, 6);
	assert_true(net_link_up(nic));
	assert_int_equal(fake_irq_attached, IRQ);
	assert_int_equal(net_nic_count(), before + 1);
	assert_ptr_equal(net_nic(before), nic);
	assert_int_equal(strncmp(nic->name, "eth", 3), 0);
	assert_string_equal(up.port.cfg.label, "uplink");
	assert_int_equal(up.port.cfg.kind, SWITCH_PORT_UPLINK);
}

static void test_not_ours_or_refused(void **state)
{
	u32 count = net_nic_count();

	fvnet.device_id = 2;                    /* a disk */
	assert_null(virtio_net_probe(ptr_to_pa(&fvnet), IRQ));
	fvnet.device_id = 1;
	fvnet.version = 1;                      /* legacy */
	assert_null(virtio_net_probe(ptr_to_pa(&fvnet), IRQ));
	assert_int_equal(fvnet.status, 0);
	fnet_reset(FNET_F_MAC);                 /* no VERSION_1 */
	assert_null(virtio_net_probe(ptr_to_pa(&fvnet), IRQ));
	assert_true(fvnet.status & VIRTIO_STATUS_FAILED);
	fnet_reset(FNET_F_VERSION_1);
	fvnet.q[1].num_max = 0;                 /* no transmit queue */
	assert_null(virtio_net_probe(ptr_to_pa(&fvnet), IRQ));
	assert_true(fvnet.status & VIRTIO_STATUS_FAILED);
	assert_false(fvnet.q[0].ready);         /* reset: it forgot the freed ring */
	assert_int_equal(net_nic_count(), count);
}

static void test_no_mac_feature_gives_local_mac(void **state)
{
	fnet_reset(FNET_F_VERSION_1);
	start();
	assert_int_equal(nic->mac[0] & 3, 2);   /* locally administered unicast */
	assert_true(net_link_up(nic));          /* no STATUS: up */
}

static void test_rx_into_switch(void **state)
{
	u8 f[1514];
	u32 len = frame(f, BCAST, EXT_MAC, 342, 1);
	struct net_nic_stats s;

	start();
	assert_true(fnet_receive(f, len, 0, 0, 0));
	assert_int_equal(vif.nrx, 0);           /* nothing from the interrupt itself */
	interrupt_and_work();
	assert_int_equal(vif.nrx, 1);
	assert_int_equal(vif.last_len, len);
	assert_memory_equal(vif.last, f, len);
	assert_int_equal(fnet_rx_available(), 64);   /* the buffer went back */
	/* unicast to the vif (the device does not filter; nor do we) */
	len = frame(f, VIF_MAC, EXT_MAC, 1514, 2);
	assert_true(fnet_receive(f, len, 0, 0, 0));
	interrupt_and_work();
	assert_int_equal(vif.nrx, 2);
	assert_memory_equal(vif.last, f, len);
	net_nic_stats(nic, &s);
	assert_int_equal(s.rx_packets, 2);
	assert_int_equal(s.rx_bytes, 342 + 1514);
	assert_int_equal(s.rx_errors, 0);
}

static void test_rx_whole_ring_at_once(void **state)
{
	u8 f[128];

	start();
	for (u32 i = 0; i < 64; i++)
		assert_true(fnet_receive(f, frame(f, BCAST, EXT_MAC, 60 + i, (u8)i), 0, 0, 0));
	assert_false(fnet_receive(f, 60, 0, 0, 0));  /* the ring is empty now */
	interrupt_and_work();
	assert_int_equal(vif.nrx, 64);
	assert_memory_equal(vif.last, f, 60 + 63);
	assert_int_equal(fnet_rx_available(), 64);
	assert_true(fvnet.notifies[0] >= 2);
}

static void test_tx_from_switch(void **state)
{
	u8 f[1514];
	u32 len = frame(f, EXT_MAC, VIF_MAC, 1000, 5);
	struct net_nic_stats s;

	start();
	assert_int_equal(vif_send(f, len, NULL), SWITCH_TX_SENT);   /* unknown: flooded */
	assert_int_equal(fvnet.notifies[1], 1);
	assert_int_equal(fnet_transmit(true), 1);
	assert_int_equal(fvnet.tx[0].len, len);
	assert_memory_equal(fvnet.tx[0].data, f, len);
	assert_int_equal(fvnet.tx[0].hdr[0], 0);    /* no offload asked */
	interrupt_and_work();                       /* the completion */
	net_nic_stats(nic, &s);
	assert_int_equal(s.tx_packets, 1);
	assert_int_equal(s.tx_bytes, len);
}

static void test_tx_ring_full(void **state)
{
	u8 f[100];
	u32 len = frame(f, EXT_MAC, VIF_MAC, 100, 5);
	struct switch_counters c;
	struct net_nic_stats s;

	start();
	for (u32 i = 0; i < 64; i++)
		assert_int_equal(vif_send(f, len, NULL), SWITCH_TX_SENT);
	assert_int_equal(fnet_transmit(false), 64);  /* taken, not yet done */
	vif_send(f, len, NULL);                      /* no buffer: dropped, not waited for */
	net_nic_stats(nic, &s);
	assert_int_equal(s.tx_busy, 1);
	switch_port_counters(&up.port, &c);
	assert_int_equal(c.drops[SW_DROP_NO_BUFFERS], 1);
	/* the device sends them all (buffer ids in the order the ring had them) */
	for (u16 i = 0; i < 64; i++)
		fnet_used(1, ((u16 *)pa_to_ptr(pa_init(fvnet.q[1].driver)))[2 + i], 0);
	fvnet.int_status = 0;                       /* no interrupt taken yet */
	/* transmit itself reclaims what the device finished */
	assert_int_equal(vif_send(f, len, NULL), SWITCH_TX_SENT);
	assert_int_equal(fnet_transmit(true), 1);
	net_nic_stats(nic, &s);
	assert_int_equal(s.tx_packets, 65);
	assert_false(nic->broken);
}

/* A used entry naming a buffer the device does not hold stops the device:
 * out of range, or one already given back. */
static void test_bad_used_id_stops_the_device(void **state)
{
	u8 f[60];
	u32 cap, resets;
	u8 *buf;

	start();
	resets = fvnet.resets;
	assert_true(fnet_rx_next(&cap, &buf) >= 0);
	fnet_used(0, 64, 60);                   /* out of range */
	interrupt_and_work();
	assert_true(nic->broken);
	assert_int_equal(fvnet.resets, resets + 1);
	assert_int_equal(vif.nrx, 0);
	assert_false(net_link_up(nic));
	frame(f, EXT_MAC, VIF_MAC, 60, 0);
	vif_send(f, 60, NULL);
	assert_int_equal(fnet_transmit(true), 0);   /* nothing reaches a stopped device */
	/* and its interrupt, should it come, does nothing */
	fvnet.int_status = VIRTIO_INT_USED_BUFFER;
	interrupt_and_work();
	assert_int_equal(vif.nrx, 0);
}

static void test_used_id_twice_stops_the_device(void **state)
{
	u8 f[60];
	int id;
	u32 cap;
	u8 *buf;

	start();
	frame(f, BCAST, EXT_MAC, 60, 0);
	id = fnet_rx_next(&cap, &buf);
	memset(buf, 0, FNET_HDR);
	memcpy(buf + FNET_HDR, f, 60);
	fnet_used(0, (u32)id, 72);
	fnet_used(0, (u32)id, 72);              /* the same buffer again */
	interrupt_and_work();
	assert_true(nic->broken);
	assert_int_equal(vif.nrx, 0);
}

static void test_used_index_jump_stops_the_device(void **state)
{
	start();
	fvnet.q[0].used_idx = 65;               /* more than the 64 it holds */
	fnet_used(0, 0, 72);
	interrupt_and_work();
	assert_true(nic->broken);
}

/* Lengths that cannot be right cost only their frame. */
static void test_bad_lengths_cost_one_frame(void **state)
{
	u8 f[200];
	u32 cap;
	u8 *buf;
	int id;
	struct net_nic_stats s;

	start();
	id = fnet_rx_next(&cap, &buf);
	fnet_used(0, (u32)id, cap + 1);          /* longer than the buffer */
	id = fnet_rx_next(&cap, &buf);
	fnet_used(0, (u32)id, FNET_HDR);         /* a header and no frame */
	id = fnet_rx_next(&cap, &buf);
	fnet_used(0, (u32)id, 0xffffffffu);
	assert_true(fnet_receive(f, frame(f, BCAST, EXT_MAC, 200, 9), 0, 0, 0));
	interrupt_and_work();
	net_nic_stats(nic, &s);
	assert_int_equal(s.rx_errors, 3);
	assert_int_equal(vif.nrx, 1);            /* the honest one */
	assert_memory_equal(vif.last, f, 200);
	assert_false(nic->broken);
	assert_int_equal(fnet_rx_available(), 64);
}

static void test_runt_counted_by_switch(void **state)
{
	u8 f[60];
	struct switch_counters c;

	start();
	frame(f, BCAST, EXT_MAC, 60, 0);
	assert_true(fnet_receive(f, 10, 0, 0, 0));
	interrupt_and_work();
	switch_port_counters(&up.port, &c);
	assert_int_equal(c.drops[SW_DROP_RUNT], 1);
	assert_int_equal(vif.nrx, 0);
}

static void test_link_down(void **state)
{
	u8 f[60];
	struct net_nic_stats s;

	fvnet.net_status = 0;
	start();
	assert_false(net_link_up(nic));
	frame(f, EXT_MAC, VIF_MAC, 60, 0);
	vif_send(f, 60, NULL);
	assert_int_equal(fnet_transmit(true), 0);
	net_nic_stats(nic, &s);
	assert_int_equal(s.tx_link_down, 1);
	fnet_set_link(true);
	interrupt_and_work();
	assert_true(net_link_up(nic));
	vif_send(f, 60, NULL);
	assert_int_equal(fnet_transmit(true), 1);
	fnet_set_link(false);
	interrupt_and_work();
	assert_false(net_link_up(nic));
	assert_false(nic->broken);
}

/* A UDP/IPv4 frame whose checksum the sender left to us (NEEDS_CSUM), with
 * the pseudo-header's sum in the field, as Linux leaves it. */
static u32 partial_udp(u8 *f, struct net_offload *off, u16 *pseudo)
{
	u32 len = frame(f, EXT_MAC, VIF_MAC, 14 + 20 + 8 + 31, 4);
	u32 sum = 0;

	/* the pseudo-header's fields, any values: the test checks the arithmetic */
	sum = 0x0a00 + 0x0002 + 0x0a00 + 0x020f + 17 + 39;
	*pseudo = (u16)sum;
	put_be16(f + 14 + 20 + 6, (u16)sum);
	*off = (struct net_offload){ .flags = NET_OFFLOAD_NEEDS_CSUM, .csum_start = 34,
				     .csum_offset = 6 };
	return len;
}

static void test_tx_checksum_completed_without_csum(void **state)
{
	u8 f[128];
	struct net_offload off;
	u16 pseudo;
	u32 len = partial_udp(f, &off, &pseudo), sum;

	start();
	assert_int_equal(vif_send(f, len, &off), SWITCH_TX_SENT);
	assert_int_equal(fnet_transmit(true), 1);
	assert_int_equal(fvnet.tx[0].hdr[0], 0);    /* the device was not asked */
	/* as a receiver checks it: pseudo-header, UDP header (the checksum in
	 * it) and data sum to all ones */
	sum = pseudo;
	for (u32 i = 34; i + 1 < len; i += 2)
		sum += get_be16(fvnet.tx[0].data + i);
	sum += (u32)fvnet.tx[0].data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_memory_equal(fvnet.tx[0].data, f, 40);   /* the rest as sent */
}

static void test_tx_checksum_offloaded_with_csum(void **state)
{
	u8 f[128];
	struct net_offload off;
	u16 pseudo, cs, co;
	u32 len;

	fnet_reset(FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_CSUM | FNET_F_GUEST_CSUM);
	start();
	assert_int_equal(fvnet.driver_features,
			 FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_CSUM | FNET_F_GUEST_CSUM);
	len = partial_udp(f, &off, &pseudo);
	assert_int_equal(vif_send(f, len, &off), SWITCH_TX_SENT);
	assert_int_equal(fnet_transmit(true), 1);
	assert_int_equal(fvnet.tx[0].hdr[0], 1);    /* NEEDS_CSUM, for the device */
	memcpy(&cs, fvnet.tx[0].hdr + 6, 2);
	memcpy(&co, fvnet.tx[0].hdr + 8, 2);
	assert_int_equal(cs, 34);
	assert_int_equal(co, 6);
	assert_memory_equal(fvnet.tx[0].data, f, len);  /* untouched */
	/* a partial checksum pointing past the frame never reaches the device */
	off.csum_offset = 200;
	vif_send(f, len, &off);
	assert_int_equal(fnet_transmit(true), 0);
}

static void test_rx_offload_checked(void **state)
{
	u8 f[100];
	struct net_nic_stats s;
	u32 len = frame(f, BCAST, EXT_MAC, 100, 1);

	fnet_reset(FNET_F_VERSION_1 | FNET_F_MAC | FNET_F_GUEST_CSUM);
	start();
	assert_true(fnet_receive(f, len, 1, 34, 6));     /* a partial checksum: carried */
	assert_true(fnet_receive(f, len, 1, 90, 40));    /* its field past the end */
	assert_true(fnet_receive(f, len, 2, 0, 0));      /* validated: carried */
	interrupt_and_work();
	net_nic_stats(nic, &s);
	assert_int_equal(s.rx_errors, 1);
	assert_int_equal(vif.nrx, 2);
	assert_int_equal(vif.last_off.flags, 2);
}

static void test_uplink_start_names_switch(void **state)
{
	static char args[] = "loglevel=info uplink=lan0";

	start();   /* at least one NIC registered */
	assert_true(boot_uplink_parse(args));  /* as the boot does with its command line */
	uplink_start();
	assert_non_null(uplink_get());
	assert_string_equal(uplink_get()->port.sw->name, "lan0");
	assert_non_null(strstr(last_log, "uplink on switch 'lan0'"));
	assert_non_null(strstr(last_log, "nic eth0: virtio-net, MAC "));
	assert_true(boot_uplink_parse(""));     /* back to br0 for the other tests */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours_or_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_mac_feature_gives_local_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_into_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_whole_ring_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_from_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_used_id_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_id_twice_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_index_jump_stops_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lengths_cost_one_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runt_counted_by_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_checksum_completed_without_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_checksum_offloaded_with_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_offload_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uplink_start_names_switch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
