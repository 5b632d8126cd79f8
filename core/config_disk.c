/*
 * One disk spec of a VM config, as xl.cfg writes it (xl-disk-configuration):
 * "vdev=xvda, access=rw, target=NAME". Keys are comma-separated, spaces
 * around them allowed. Bulkhead's disks are storage pool volumes, so the
 * target is a volume name and only raw volumes exist. The text is the
 * user's: every byte is checked, nothing is assumed terminated.
 */
#include "types.h"
#include "lib/string.h"
#include "core/config.h"

struct why {
	char *buf;
	size_t size;
};

static void say(struct why *w, const char *s, size_t n)
{
	size_t used = strnlen(w->buf, w->size);

	if (used + 1 >= w->size)
		return;
	if (n > w->size - 1 - used)
		n = w->size - 1 - used;
	memcpy(w->buf + used, s, n);
	w->buf[used + n] = '\0';
}

static void says(struct why *w, const char *s)
{
	say(w, s, strlen(s));
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_word(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* xvd[a-z], vd[a-z] or sd[a-z]: the letter says where the guest sees it. */
static bool vdev_ok(const char *s, size_t n)
{
	size_t prefix = n >= 4 && memcmp(s, "xvd", 3) == 0 ? 3 :
			n >= 3 && (memcmp(s, "vd", 2) == 0 || memcmp(s, "sd", 2) == 0) ? 2 : 0;

	return prefix && n == prefix + 1 && s[prefix] >= 'a' && s[prefix] <= 'z';
}

/* A pool volume's name: 1-36 printable ASCII characters, no spaces (GPT names). */
static bool target_ok(const char *s, size_t n)
{
	if (n == 0 || n > CONFIG_VOLUME_NAME_MAX - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	}
	return true;
}

enum { K_VDEV, K_ACCESS, K_TARGET, K_FORMAT, K_DEVTYPE, K_COUNT };
static const char *const key_names[K_COUNT] = { "vdev", "access", "target", "format", "devtype" };

static int item(const char *k, size_t kn, const char *val, size_t vn, struct config_disk *out,
		bool seen[K_COUNT], struct why *w)
{
	int key = -1;

	for (int i = 0; i < K_COUNT; i++) {
		if (is_word(k, kn, key_names[i]))
			key = i;
	}
	if (key < 0) {
		says(w, "unknown key '");
		say(w, k, kn);
		says(w, "' in a disk spec (Bulkhead takes vdev, access, target, format, devtype)");
		return -1;
	}
	if (seen[key]) {
		says(w, key_names[key]);
		says(w, " given twice in one disk spec");
		return -1;
	}
	seen[key] = true;
	switch (key) {
	case K_VDEV:
		if (!vdev_ok(val, vn)) {
			says(w, "bad vdev '");
			say(w, val, vn);
			says(w, "' (use xvda..xvdz, vda..vdz or sda..sdz)");
			return -1;
		}
		memcpy(out->vdev, val, vn);
		out->vdev[vn] = '\0';
		return 0;
	case K_ACCESS:
		/* xl's spellings: ro/r and rw/w */
		if (is_word(val, vn, "ro") || is_word(val, vn, "r")) {
			out->read_only = true;
		} else if (is_word(val, vn, "rw") || is_word(val, vn, "w")) {
			out->read_only = false;
		} else {
			says(w, "bad access '");
			say(w, val, vn);
			says(w, "' (use ro or rw)");
			return -1;
		}
		return 0;
	case K_TARGET:
		if (!target_ok(val, vn)) {
			says(w, "target must be a volume name of 1 to 36 printable ASCII characters "
				"without spaces");
			return -1;
		}
		memcpy(out->target, val, vn);
		out->target[vn] = '\0';
		return 0;
	case K_FORMAT:
		if (!is_word(val, vn, "raw")) {
			says(w, "format '");
			say(w, val, vn);
			says(w, "' is not supported (pool volumes are raw)");
			return -1;
		}
		return 0;
	default: /* K_DEVTYPE */
		if (!is_word(val, vn, "disk")) {
			says(w, "devtype '");
			say(w, val, vn);
			says(w, "' is not supported (only disk)");
			return -1;
		}
		return 0;
	}
}

int config_disk_spec(const char *s, size_t n, struct config_disk *out, char *why,
		     size_t why_size)
{
	struct why w = { why, why_size };
	bool seen[K_COUNT] = { false };
	size_t i = 0;

	if (why_size)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	while (i < n) {
		size_t ks, ke, vs, ve, end;

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
			says(&w, "expected KEY=VALUE in a disk spec such as "
				 "'vdev=xvda, access=rw, target=NAME' (positional specs are not "
				 "supported)");
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
		if (item(s + ks, ke - ks, s + vs, ve - vs, out, seen, &w))
			return -1;
		i = end < n ? end + 1 : end;
	}
	if (!seen[K_VDEV]) {
		says(&w, "a disk spec needs vdev= (such as vdev=xvda)");
		return -1;
	}
	if (!seen[K_TARGET]) {
		says(&w, "a disk spec needs target= (the pool volume)");
		return -1;
	}
	return 0;
}

/* The letter of a vdev that config_disk_spec() accepted. */
char config_disk_letter(const char *vdev)
{
	size_t n = strnlen(vdev, sizeof(((struct config_disk *)0)->vdev));

	return n ? vdev[n - 1] : 0;
}
