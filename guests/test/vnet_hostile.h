/*
 * What the `vnet-hostile` mode's files share (vnet_hostile.c runs the cases
 * and holds the chain cases, vnet_frames.c the frame cases, vnet_peer.c the
 * closing exchange with a Linux VM).
 */
#ifndef GUEST_TEST_VNET_HOSTILE_H
#define GUEST_TEST_VNET_HOSTILE_H

#include "guests/test/vnet.h"

#define VN_WAIT_MS 10000
#define VN_RXBUF 2048              /* a whole frame and its header */
#define VN_RXBUFS 16
#define VN_ETHERTYPE 0x88b5        /* IEEE's local experimental EtherType */
#define VN_FEATURES ((1ull << VF_VERSION_1) | (1ull << VF_INDIRECT) | (1ull << VF_NET_CSUM) | \
		     (1ull << VF_NET_MAC) | (1ull << VF_NET_MRG_RXBUF))

enum vn_answer {
	VN_USED, VN_LEN0, VN_NEEDS_RESET, VN_NO_INTERRUPT, VN_TIMEOUT, VN_DELIVERED,
	VN_DROPPED, VN_ALTERED, VN_RESET_CLEAN, VN_BAD, VN_COUNT
};

#define VN_BIT(a) (1u << (a))

struct vn_case {
	const char *name;
	u32 allowed;
	enum vn_answer (*run)(void);
};

/* a: the hostile vif (vif 0); b: a well-behaved one of the same VM (vif 1). */
extern struct vnet vn_a, vn_b;
extern u8 vn_rx_a[VN_RXBUFS * VN_RXBUF], vn_rx_b[VN_RXBUFS * VN_RXBUF];
extern u64 vn_ram_end, vn_hv_addr;
extern char vn_note[96];
extern u32 vn_forwarded;           /* frames of a's the switch must have taken */

extern const struct vn_case vn_frame_cases[];
extern const u32 vn_frame_count;

/* A test frame of `len` bytes (at least 14): the addresses, the EtherType,
 * then "VNHX", a sequence number and a pattern (as far as len allows). */
void vn_frame(u8 *f, u32 len, const u8 *dst, const u8 *src, u16 type);
/* Submits `head` on a's TX queue (avail idx moved by `step`) and says what came back. */
enum vn_answer vn_tx_go(u16 head, u16 step);
/*
 * Looks for test frame `f` (by its sequence number) among what `n` received
 * within `ms`: VN_DELIVERED when it came intact (the two bytes at `skip`
 * excepted when skip >= 0), VN_ALTERED when it came changed, VN_DROPPED when
 * it did not come. Other frames are taken and their buffers given back.
 */
enum vn_answer vn_rx_find(struct vnet *n, u8 *bufs, const u8 *f, u32 len, int skip, u64 ms);
/* Takes one received frame off `n` (its buffer given back): its length
 * without the header, or -1 when nothing came within `ms`. */
int vn_rx_take(struct vnet *n, u8 *bufs, u8 *out, u32 max, u64 ms);
/* a sends header + frame through descriptors 0 and 1; then b looks for it. */
enum vn_answer vn_send_a(const struct vnet_hdr *h, u8 *f, u32 len, int skip);

/* vnet_peer.c: ARP and ping with a Linux VM at 10.0.0.1; false after `ms`. */
bool vn_peer_exchange(u64 ms);

#endif
