/*
 * The `vnet-hostile` mode's closing exchange, after its rounds: a, set up
 * properly again, talks IPv4 with a Linux VM on the same switch and VLAN.
 * It asks for 10.0.0.1 (ARP, broadcast) each second and answers ARP for
 * 10.0.0.9 and pings to it, until it has the Linux VM's ARP reply and has
 * answered a ping: "VN arp-reply from MAC" and "VN echo-replied N".
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/vnet_hostile.h"
#include "lib/string.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ASK_EVERY_MS 1000
#define AFTER_ANSWER_MS 30000      /* a ping expected this soon after the ARP reply */

static const u8 my_ip[4] = { 10, 0, 0, 9 };
static const u8 peer_ip[4] = { 10, 0, 0, 1 };
static const u8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static u8 in[VN_RXBUF], out[VN_RXBUF] __attribute__((aligned(64)));

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

static bool send(u32 len)
{
	if (vnet_send(&vn_a, &(struct vnet_hdr){ 0 }, out, len, VN_WAIT_MS) != VA_USED)
		return false;
	vn_forwarded++;
	return true;
}

/* An ARP packet (RFC 826, Ethernet and IPv4) of operation `op`. */
static bool arp(u16 op, const u8 *eth_dst, const u8 *tha, const u8 *tpa)
{
	static const u8 fixed[8] = { 0, 1, 8, 0, 6, 4, 0, 0 };

	memcpy(out, eth_dst, 6);
	memcpy(out + 6, vn_a.mac, 6);
	put16(out + 12, ETH_P_ARP);
	memcpy(out + 14, fixed, 8);
	put16(out + 20, op);
	memcpy(out + 22, vn_a.mac, 6);
	memcpy(out + 28, my_ip, 4);
	memcpy(out + 32, tha, 6);
	memcpy(out + 38, tpa, 4);
	return send(42);
}

static u16 csum(const u8 *p, u32 n)
{
	u32 s = 0;

	for (u32 i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (u32)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (u16)~s;
}

/* An ICMP echo request to us answered: addresses swapped, type 0. */
static bool echo_reply(u32 len)
{
	u32 ihl = (in[14] & 0xf) * 4u, total = be16(in + 16);

	if (total > len - 14 || ihl < 20 || total < ihl + 8)
		return false;
	memcpy(out, in, 14 + total);
	memcpy(out, in + 6, 6);
	memcpy(out + 6, vn_a.mac, 6);
	memcpy(out + 26, in + 30, 4);
	memcpy(out + 30, in + 26, 4);
	out[14 + ihl] = 0;                 /* echo reply */
	put16(out + 14 + ihl + 2, 0);
	put16(out + 14 + ihl + 2, csum(out + 14 + ihl, total - ihl));
	return send(14 + total);
}

static bool is_arp(u32 len, u16 op, const u8 *tpa)
{
	return len >= 42 && be16(in + 12) == ETH_P_ARP && be16(in + 20) == op && !memcmp(in + 38, tpa, 4);
}

static bool is_echo_to_us(u32 len)
{
	return len >= 42 && be16(in + 12) == ETH_P_IP && in[23] == 1 && !memcmp(in + 30, my_ip, 4) &&
	       in[14 + (in[14] & 0xf) * 4] == 8;
}

bool vn_peer_exchange(u64 ms)
{
	static const u8 zero[6];
	u64 start = now_ticks(), asked = 0, answered_at = 0;
	bool answer = false;
	u32 echoes = 0;

	while (now_ticks() - start < ms_to_ticks(ms)) {
		int len;

		if (!answer && now_ticks() - asked >= ms_to_ticks(ASK_EVERY_MS)) {
			asked = now_ticks();
			if (!arp(1, broadcast, zero, peer_ip))
				return false;
		}
		if (answer && (echoes || now_ticks() - answered_at > ms_to_ticks(AFTER_ANSWER_MS)))
			break;
		len = vn_rx_take(&vn_a, vn_rx_a, in, sizeof(in), 100);
		if (len <= 0)
			continue;
		if (is_arp((u32)len, 2, my_ip) && !memcmp(in + 28, peer_ip, 4) && !answer) {
			answer = true;
			answered_at = now_ticks();
			printk("VN arp-reply from %02x:%02x:%02x:%02x:%02x:%02x\n",
			       in[22], in[23], in[24], in[25], in[26], in[27]);
		} else if (is_arp((u32)len, 1, my_ip)) {
			if (!arp(2, in + 6, in + 22, in + 28))
				return false;
		} else if (is_echo_to_us((u32)len) && echo_reply((u32)len)) {
			echoes++;
		}
	}
	printk("VN echo-replied %u\n", echoes);
	return answer && echoes;
}
