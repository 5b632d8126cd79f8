/*
 * The MAC table: hashed chains over a fixed pool of entries (see mac_table.h).
 */
#include "net/mac_table.h"

static u32 bucket_of(const struct mac_table *t, u64 key)
{
	/* A 64-bit finalizer mix of the seeded key; the top bits pick the bucket. */
	u64 h = key ^ t->seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (u32)(h & (MAC_BUCKETS - 1));
}

void mac_table_init(struct mac_table *t, u64 seed)
{
	for (u32 i = 0; i < MAC_BUCKETS; i++)
		t->bucket[i] = MAC_NONE;
	for (u32 i = 0; i < MAC_ENTRIES; i++) {
		t->e[i] = (struct mac_entry){ .next = (u16)(i + 1 < MAC_ENTRIES ? i + 1 : MAC_NONE) };
	}
	t->free_head = 0;
	t->learned = t->statics = 0;
	t->sweep_next = 0;
	t->seed = seed;
	t->refused = 0;
}

static bool expired(const struct mac_entry *e, u64 now)
{
	return !e->is_static && now > e->seen && now - e->seen > MAC_AGE_NS;
}

/* Unlinks entry `i`, whose predecessor in its chain is `*link`, and frees it. */
static void unlink_entry(struct mac_table *t, u16 *link, u16 i)
{
	struct mac_entry *e = &t->e[i];

	*link = e->next;
	if (e->is_static)
		t->statics--;
	else
		t->learned--;
	*e = (struct mac_entry){ .next = t->free_head };
	t->free_head = i;
}

static u16 take_free(struct mac_table *t)
{
	u16 i = t->free_head;

	if (i != MAC_NONE)
		t->free_head = t->e[i].next;
	return i;
}

/*
 * Walks key's chain, freeing expired learned entries on the way; returns the
 * entry for the key or MAC_NONE, and counts the learned entries left.
 */
static u16 find(struct mac_table *t, u64 key, u64 now, u32 *chain_learned)
{
	u32 b = bucket_of(t, key);
	u16 *link = &t->bucket[b];
	u16 found = MAC_NONE;
	u32 n = 0;

	while (*link != MAC_NONE) {
		u16 i = *link;
		struct mac_entry *e = &t->e[i];

		if (expired(e, now)) {
			unlink_entry(t, link, i);
			continue;
		}
		if (e->key == key)
			found = i;
		if (!e->is_static)
			n++;
		link = &e->next;
	}
	if (chain_learned)
		*chain_learned = n;
	return found;
}

int mac_table_lookup(struct mac_table *t, u64 key, u64 now)
{
	u16 i = find(t, key, now, NULL);

	return i == MAC_NONE ? MAC_PORT_NONE : t->e[i].port;
}

static void insert(struct mac_table *t, u16 i, u64 key, u16 port, u64 now, bool is_static)
{
	u32 b = bucket_of(t, key);

	t->e[i] = (struct mac_entry){ .key = key, .seen = now, .port = port, .used = true,
				      .is_static = is_static, .next = t->bucket[b] };
	t->bucket[b] = i;
	if (is_static)
		t->statics++;
	else
		t->learned++;
}

enum mac_learn mac_table_learn(struct mac_table *t, u64 key, u16 port, u64 now)
{
	u32 chain;
	u16 i = find(t, key, now, &chain);

	if (i != MAC_NONE) {
		struct mac_entry *e = &t->e[i];

		if (e->is_static)
			return e->port == port ? MAC_LEARNED : MAC_CONFLICT;
		e->port = port;        /* a move, when it was elsewhere */
		e->seen = now;
		return MAC_LEARNED;
	}
	if (t->learned >= MAC_LEARNED_MAX || chain >= MAC_CHAIN_MAX) {
		t->refused++;
		return MAC_FULL;
	}
	i = take_free(t);
	if (i == MAC_NONE) {           /* cannot happen: statics and learned are both capped */
		t->refused++;
		return MAC_FULL;
	}
	insert(t, i, key, port, now, false);
	return MAC_LEARNED;
}

bool mac_table_add_static(struct mac_table *t, u64 key, u16 port)
{
	u16 i = find(t, key, 0, NULL);

	if (i != MAC_NONE) {
		struct mac_entry *e = &t->e[i];

		if (e->is_static)
			return e->port == port;
		if (t->statics >= MAC_STATIC_MAX)
			return false;
		e->is_static = true;
		e->port = port;
		t->learned--;
		t->statics++;
		return true;
	}
	if (t->statics >= MAC_STATIC_MAX)
		return false;
	i = take_free(t);
	if (i == MAC_NONE)
		return false;
	insert(t, i, key, port, 0, true);
	return true;
}

void mac_table_forget_port(struct mac_table *t, u16 port)
{
	for (u32 b = 0; b < MAC_BUCKETS; b++) {
		u16 *link = &t->bucket[b];

		while (*link != MAC_NONE) {
			u16 i = *link;

			if (t->e[i].port == port)
				unlink_entry(t, link, i);
			else
				link = &t->e[i].next;
		}
	}
}

void mac_table_sweep(struct mac_table *t, u64 now, u32 nbuckets)
{
	for (u32 n = 0; n < nbuckets; n++) {
		u16 *link = &t->bucket[t->sweep_next];

		while (*link != MAC_NONE) {
			u16 i = *link;

			if (expired(&t->e[i], now))
				unlink_entry(t, link, i);
			else
				link = &t->e[i].next;
		}
		t->sweep_next = (t->sweep_next + 1) & (MAC_BUCKETS - 1);
	}
}

u32 mac_table_list(const struct mac_table *t, u32 *cursor, u64 now, struct mac_view *out, u32 max)
{
	u32 n = 0;

	for (; *cursor < MAC_BUCKETS; (*cursor)++) {
		u32 here = 0;

		for (u16 i = t->bucket[*cursor]; i != MAC_NONE; i = t->e[i].next)
			here++;
		if (n + here > max)
			break;
		for (u16 i = t->bucket[*cursor]; i != MAC_NONE; i = t->e[i].next) {
			const struct mac_entry *e = &t->e[i];

			if (expired(e, now))
				continue;
			out[n++] = (struct mac_view){ .key = e->key, .port = e->port, .is_static = e->is_static,
						      .age_ns = e->is_static || now < e->seen ? 0 : now - e->seen };
		}
	}
	return n;
}
