/*
 * The splitter of xl's KEY=VALUE specs (config_spec.h). The text is the
 * user's: every byte is checked against `n`, nothing is assumed terminated.
 */
#include "types.h"
#include "lib/string.h"
#include "core/config_spec.h"

void spec_say(struct spec_why *w, const char *s, size_t n)
{
	size_t used = strnlen(w->buf, w->size);

	if (used + 1 >= w->size)
		return;
	if (n > w->size - 1 - used)
		n = w->size - 1 - used;
	memcpy(w->buf + used, s, n);
	w->buf[used + n] = '\0';
}

void spec_says(struct spec_why *w, const char *s)
{
	spec_say(w, s, strlen(s));
}

bool spec_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int find_key(const struct spec_kind *kind, const char *k, size_t kn, u32 *seen,
		    struct spec_why *w)
{
	for (u32 i = 0; i < kind->nkeys && i < SPEC_MAX_KEYS; i++) {
		if (!spec_is(k, kn, kind->keys[i]))
			continue;
		if (*seen & (1u << i)) {
			spec_says(w, kind->keys[i]);
			spec_says(w, " given twice in one ");
			spec_says(w, kind->what);
			spec_says(w, " spec");
			return -1;
		}
		*seen |= 1u << i;
		return (int)i;
	}
	spec_says(w, "unknown key '");
	spec_say(w, k, kn);
	spec_says(w, "' in a ");
	spec_says(w, kind->what);
	spec_says(w, " spec (Bulkhead takes ");
	spec_says(w, kind->takes);
	spec_says(w, ")");
	return -1;
}

int spec_parse(const char *s, size_t n, const struct spec_kind *kind, spec_item_fn item,
	       void *ctx, u32 *seen, struct spec_why *w)
{
	size_t i = 0;

	*seen = 0;
	while (i < n) {
		size_t ks, ke, vs, ve, end;
		int key;

		while (i < n && is_space(s[i]))
			i++;
		end = i;
		while (end < n && s[end] != ',')
			end++;
		ks = i;
		ke = ks;
		while (ke < end && s[ke] != '=')
			ke++;
		if (ke == end) {
			spec_says(w, kind->no_equals);
			return -1;
		}
		vs = ke + 1;
		ve = end;
		while (ke > ks && is_space(s[ke - 1]))
			ke--;
		while (vs < ve && is_space(s[vs]))
			vs++;
		while (ve > vs && is_space(s[ve - 1]))
			ve--;
		key = find_key(kind, s + ks, ke - ks, seen, w);
		if (key < 0 || item(ctx, (u32)key, s + vs, ve - vs, w))
			return -1;
		i = end < n ? end + 1 : end;
	}
	return 0;
}
