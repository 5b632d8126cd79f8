/*
 * A switch's MAC table: which port each (VLAN, MAC) was last seen on.
 *
 * Learning is per VLAN (the same MAC on two VLANs is two entries). Entries
 * are chained in hash buckets keyed with a per-switch seed, and a chain never
 * grows past MAC_CHAIN_MAX learned entries, so a lookup or a learn does
 * bounded work whatever MACs a hostile network sends. Learned entries age out
 * MAC_AGE_NS after they were last seen: lazily (a lookup that meets an expired
 * entry frees it) and by a sweep of a few buckets per frame. Static entries
 * (a VM port's own MAC) never age, never move and do not count towards the
 * MAC_LEARNED_MAX learned ones, so a flood of MACs from outside cannot push a
 * VM out of the table and turn its unicast traffic into floods.
 *
 * Not locked: the switch's lock covers it.
 */
#ifndef BULKHEAD_NET_MAC_TABLE_H
#define BULKHEAD_NET_MAC_TABLE_H

#include "types.h"

#define MAC_LEARNED_MAX 2048
#define MAC_STATIC_MAX 64
#define MAC_ENTRIES (MAC_LEARNED_MAX + MAC_STATIC_MAX)
#define MAC_BUCKETS 4096       /* a power of two: half a learned entry per bucket when full */
#define MAC_CHAIN_MAX 8        /* learned entries per bucket */
#define MAC_AGE_NS (300ull * 1000 * 1000 * 1000)
#define MAC_NONE 0xffff
#define MAC_PORT_NONE (-1)

/* A table key: VLAN id in bits 48..59, the MAC (first byte highest) below. */
static inline u64 mac_key(u16 vlan, u64 mac48) { return (u64)vlan << 48 | (mac48 & 0xffffffffffffull); }
static inline u16 mac_key_vlan(u64 key) { return (u16)(key >> 48); }
static inline u64 mac_key_mac(u64 key) { return key & 0xffffffffffffull; }

struct mac_entry {
	u64 key;
	u64 seen;              /* ns; unused for static entries */
	u16 port;
	u16 next;              /* next in the bucket's chain, MAC_NONE at the end */
	bool used;
	bool is_static;
};

struct mac_table {
	u16 bucket[MAC_BUCKETS];
	struct mac_entry e[MAC_ENTRIES];
	u16 free_head;
	u32 learned, statics;
	u32 sweep_next;        /* the next bucket the sweep looks at */
	u64 seed;
	u64 refused;           /* learns refused because the table or a chain was full */
};

enum mac_learn {
	MAC_LEARNED,           /* new, refreshed or moved */
	MAC_FULL,              /* not learned: the frame still goes out, flooded if need be */
	MAC_CONFLICT,          /* the key is another port's static MAC */
};

void mac_table_init(struct mac_table *t, u64 seed);
/* The port `key` was last seen on, or MAC_PORT_NONE (unknown or expired). */
int mac_table_lookup(struct mac_table *t, u64 key, u64 now);
/* Records `key` as seen on `port` at `now` (a learned entry). */
enum mac_learn mac_table_learn(struct mac_table *t, u64 key, u16 port, u64 now);
/* A port's own MAC: false when the key is already another port's static MAC
 * or MAC_STATIC_MAX are in use. A learned entry for the key is taken over. */
bool mac_table_add_static(struct mac_table *t, u64 key, u16 port);
/* Forgets every entry of `port` (a port leaving; walks the whole table). */
void mac_table_forget_port(struct mac_table *t, u16 port);
/* Frees expired learned entries in the next `nbuckets` buckets. */
void mac_table_sweep(struct mac_table *t, u64 now, u32 nbuckets);

/* One live entry for listing. */
struct mac_view {
	u64 key;
	u16 port;
	bool is_static;
	u64 age_ns;            /* 0 for static entries */
};
/* Copies up to `max` live entries from bucket *cursor on into `out`, whole
 * buckets at a time (max must be >= MAC_CHAIN_MAX + MAC_STATIC_MAX); advances
 * *cursor; returns how many. *cursor == MAC_BUCKETS when done. */
u32 mac_table_list(const struct mac_table *t, u32 *cursor, u64 now, struct mac_view *out, u32 max);

#endif
