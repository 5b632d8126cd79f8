/*
 * The `vnet-hostile` mode's frame cases: well-formed chains carrying frames
 * the switch or the device must refuse (runts, jumbo frames, VLAN tags from
 * a vif, stacked tags, forged sources, bad offload fields), and a few it
 * must carry. Each is sent from a to b's MAC; the chain must come back
 * used, and b sees the frame intact or not at all, as the rule says.
 * The drops are counted by the switch (switch-list) or the device
 * (network-list's errors); the test compares those counters with the cases.
 */
#include "guests/test/guest.h"
#include "guests/test/vnet_hostile.h"
#include "lib/string.h"

#define JUMBO_SEGS 16
#define JUMBO_SEG 4096
#define VLAN_ID 5

static u8 big[JUMBO_SEGS * JUMBO_SEG] __attribute__((aligned(4096)));
static u8 hdr_raw[VNET_HDR_LEN] __attribute__((aligned(64)));

static const u8 forged[6] = { 0x02, 0x66, 0x6f, 0x72, 0x67, 0x65 };
static const u8 multicast_src[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

#define DROP VN_BIT(VN_DROPPED)
#define CARRY VN_BIT(VN_DELIVERED)

/* A frame of `len` from a to b, header flags 0: what came of it. */
static enum vn_answer plain(u32 len)
{
	vn_frame(big, len, vn_b.mac, vn_a.mac, VN_ETHERTYPE);
	return vn_send_a(&(struct vnet_hdr){ 0 }, big, len, -1);
}

static enum vn_answer c_runt_0(void) { return vn_send_a(&(struct vnet_hdr){ 0 }, big, 0, -1); }
static enum vn_answer c_runt_13(void) { vn_frame(big, 13, vn_b.mac, vn_a.mac, VN_ETHERTYPE); return vn_send_a(&(struct vnet_hdr){ 0 }, big, 13, -1); }
static enum vn_answer c_short_42(void) { return plain(42); }   /* an ARP's size: no padding to 60 is needed */
static enum vn_answer c_max_1514(void) { return plain(1514); }
static enum vn_answer c_jumbo_1515(void) { return plain(1515); }
static enum vn_answer c_jumbo_9018(void) { return plain(9018); }

/* 64 KiB of frame over 16 buffers of 4 KiB after the header. */
static enum vn_answer c_jumbo_64k(void)
{
	struct vdesc *d = vn_a.q[VNET_TXQ].desc;

	vn_frame(big, sizeof(big), vn_b.mac, vn_a.mac, VN_ETHERTYPE);
	vnet_hdr_put(hdr_raw, &(struct vnet_hdr){ 0 });
	d[0] = (struct vdesc){ (u64)hdr_raw, VNET_HDR_LEN, VD_NEXT, 1 };
	for (u16 i = 0; i < JUMBO_SEGS; i++)
		d[i + 1] = (struct vdesc){ (u64)big + (u64)i * JUMBO_SEG, JUMBO_SEG,
					   i + 1 < JUMBO_SEGS ? VD_NEXT : 0, i + 2 };
	return vn_tx_go(0, 1);
}

/* A frame whose EtherType is `outer` (VID VLAN_ID), then `inner` if not 0. */
static enum vn_answer tagged(u16 outer, u16 inner, u16 vid, u32 len)
{
	vn_frame(big, len, vn_b.mac, vn_a.mac, outer);
	big[14] = (u8)(vid >> 8);
	big[15] = (u8)vid;
	big[16] = (u8)((inner ? inner : VN_ETHERTYPE) >> 8);
	big[17] = (u8)(inner ? inner : VN_ETHERTYPE);
	if (inner) {
		big[18] = 0;
		big[19] = VLAN_ID;
		big[20] = VN_ETHERTYPE >> 8;
		big[21] = VN_ETHERTYPE & 0xff;
	}
	return vn_send_a(&(struct vnet_hdr){ 0 }, big, len, -1);
}

static enum vn_answer c_runt_tagged(void) { return tagged(0x8100, 0, VLAN_ID, 16); }
static enum vn_answer c_tagged_access(void) { return tagged(0x8100, 0, VLAN_ID, 100); }
static enum vn_answer c_priority_tag(void) { return tagged(0x8100, 0, 0, 100); }
static enum vn_answer c_qinq(void) { return tagged(0x88a8, 0x8100, 7, 100); }
static enum vn_answer c_double_8100(void) { return tagged(0x8100, 0x8100, 7, 100); }
static enum vn_answer c_tag_9100(void) { return tagged(0x9100, 0, VLAN_ID, 100); }
static enum vn_answer c_vid_4095(void) { return tagged(0x8100, 0, 4095, 100); }

static enum vn_answer from(const u8 *src)
{
	vn_frame(big, 100, vn_b.mac, src, VN_ETHERTYPE);
	return vn_send_a(&(struct vnet_hdr){ 0 }, big, 100, -1);
}

static enum vn_answer c_forged_src(void) { return from(forged); }
static enum vn_answer c_multicast_src(void) { return from(multicast_src); }
static enum vn_answer c_src_of_b(void) { return from(vn_b.mac); }

/* A 100-byte frame with header `h`; `skip` the checksum field b may see filled. */
static enum vn_answer with_hdr(struct vnet_hdr h, int skip)
{
	vn_frame(big, 100, vn_b.mac, vn_a.mac, VN_ETHERTYPE);
	return vn_send_a(&h, big, 100, skip);
}

static enum vn_answer c_gso_tcpv4(void)
{
	return with_hdr((struct vnet_hdr){ .gso_type = VNET_GSO_TCPV4, .gso_size = 1448, .hdr_len = 54 }, -1);
}
static enum vn_answer c_gso_ecn(void) { return with_hdr((struct vnet_hdr){ .gso_type = VNET_GSO_TCPV4 | VNET_GSO_ECN }, -1); }
static enum vn_answer c_unknown_flags(void) { return with_hdr((struct vnet_hdr){ .flags = 0x80 }, -1); }
static enum vn_answer c_csum_start_past(void)
{
	return with_hdr((struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .csum_start = 100, .csum_offset = 0 }, -1);
}
static enum vn_answer c_csum_offset_past(void)
{
	return with_hdr((struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 65 }, -1);
}
static enum vn_answer c_csum_wraps(void)
{
	return with_hdr((struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .csum_start = 0xffff, .csum_offset = 0xffff }, -1);
}
/* A checksum into b's copy of the source MAC: the switch checked that field. */
static enum vn_answer c_csum_in_mac_header(void)
{
	return with_hdr((struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .csum_start = 0, .csum_offset = 6 }, 6);
}
/* A sound partial checksum: b (no GUEST_CSUM) gets it completed at 34 + 6. */
static enum vn_answer c_csum_ok(void)
{
	return with_hdr((struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6 }, 40);
}
static enum vn_answer c_data_valid(void) { return with_hdr((struct vnet_hdr){ .flags = VNET_F_DATA_VALID }, -1); }

const struct vn_case vn_frame_cases[] = {
	{ "runt-0", DROP, c_runt_0 },
	{ "runt-13", DROP, c_runt_13 },
	{ "runt-tagged-16", DROP, c_runt_tagged },
	{ "short-42", CARRY, c_short_42 },
	{ "max-1514", CARRY, c_max_1514 },
	{ "jumbo-1515", DROP, c_jumbo_1515 },
	{ "jumbo-9018", DROP, c_jumbo_9018 },
	{ "jumbo-64k", VN_BIT(VN_USED), c_jumbo_64k },
	{ "tagged-from-access-port", DROP, c_tagged_access },
	{ "priority-tag", DROP, c_priority_tag },
	{ "qinq-88a8-8100", DROP, c_qinq },
	{ "double-8100", DROP, c_double_8100 },
	{ "tag-9100", DROP, c_tag_9100 },
	{ "vid-4095", DROP, c_vid_4095 },
	{ "forged-src", DROP, c_forged_src },
	{ "multicast-src", DROP, c_multicast_src },
	{ "src-of-other-vif", DROP, c_src_of_b },
	{ "gso-tcpv4", DROP, c_gso_tcpv4 },
	{ "gso-ecn", DROP, c_gso_ecn },
	{ "unknown-hdr-flags", DROP, c_unknown_flags },
	{ "csum-start-past-end", DROP, c_csum_start_past },
	{ "csum-offset-past-end", DROP, c_csum_offset_past },
	{ "csum-wraps", DROP, c_csum_wraps },
	{ "csum-in-mac-header", DROP, c_csum_in_mac_header },
	{ "csum-partial-ok", CARRY, c_csum_ok },
	{ "data-valid", CARRY, c_data_valid },
};

const u32 vn_frame_count = sizeof(vn_frame_cases) / sizeof(vn_frame_cases[0]);
