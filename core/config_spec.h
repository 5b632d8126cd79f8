/*
 * The KEY=VALUE specs inside a config list, as xl writes its disk and vif
 * specs: "vdev=xvda, access=rw, target=data", "mac=02:00:00:00:00:01,
 * bridge=br0". Items are separated by commas, with spaces allowed around
 * keys and values. Shared by core/config_disk.c and core/config_vif.c, which
 * say what their keys mean; this file splits, finds the key and refuses
 * unknown and repeated keys.
 */
#ifndef BULKHEAD_CORE_CONFIG_SPEC_H
#define BULKHEAD_CORE_CONFIG_SPEC_H

#include "types.h"

/* Words for what is wrong, appended to a caller's buffer (always terminated). */
struct spec_why {
	char *buf;
	size_t size;
};

void spec_say(struct spec_why *w, const char *s, size_t n);
void spec_says(struct spec_why *w, const char *s);
/* Whether s[0..n) is exactly `word`. */
bool spec_is(const char *s, size_t n, const char *word);

#define SPEC_MAX_KEYS 32

struct spec_kind {
	const char *what;               /* "disk", "vif": names the spec in errors */
	const char *const *keys;        /* the key names, indexed by the caller's enum */
	u32 nkeys;                      /* at most SPEC_MAX_KEYS */
	const char *no_equals;          /* the whole message for an item without '=' */
	const char *takes;              /* "vdev, access, target": listed for an unknown key */
};

/* Called for each item with the index of its key in kind->keys; the value is
 * trimmed and not terminated. 0, or -1 with the error said in `w`. */
typedef int (*spec_item_fn)(void *ctx, u32 key, const char *val, size_t vn,
			    struct spec_why *w);

/*
 * Splits s[0..n) into items and calls `item` for each. An item without '=',
 * an unknown key, or a key given twice is refused here. On success, bit k of
 * *seen says key k was given. 0, or -1 with the error said in `w`.
 */
int spec_parse(const char *s, size_t n, const struct spec_kind *kind, spec_item_fn item,
	       void *ctx, u32 *seen, struct spec_why *w);

#endif
