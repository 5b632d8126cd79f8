/*
 * One disk spec of a VM config, as xl.cfg writes it (xl-disk-configuration):
 * "vdev=xvda, access=rw, target=NAME", split into items by
 * core/config_spec.c. Bulkhead's disks are storage pool volumes, so the
 * target is a volume name and only raw volumes exist. The text is the
 * user's: every byte is checked, nothing is assumed terminated.
 */
#include "types.h"
#include "lib/string.h"
#include "core/config.h"
#include "core/config_spec.h"

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

_Static_assert(K_COUNT <= SPEC_MAX_KEYS, "spec_parse keeps seen keys in a u32");

static const struct spec_kind disk_kind = {
	.what = "disk",
	.keys = key_names,
	.nkeys = K_COUNT,
	.no_equals = "expected KEY=VALUE in a disk spec such as 'vdev=xvda, access=rw, "
		     "target=NAME' (positional specs are not supported)",
	.takes = "vdev, access, target, format, devtype",
};

static int item(void *ctx, u32 key, const char *val, size_t vn, struct spec_why *w)
{
	struct config_disk *out = ctx;

	switch (key) {
	case K_VDEV:
		if (!vdev_ok(val, vn)) {
			spec_says(w, "bad vdev '");
			spec_say(w, val, vn);
			spec_says(w, "' (use xvda..xvdz, vda..vdz or sda..sdz)");
			return -1;
		}
		memcpy(out->vdev, val, vn);
		out->vdev[vn] = '\0';
		return 0;
	case K_ACCESS:
		/* xl's spellings: ro/r and rw/w */
		if (spec_is(val, vn, "ro") || spec_is(val, vn, "r")) {
			out->read_only = true;
		} else if (spec_is(val, vn, "rw") || spec_is(val, vn, "w")) {
			out->read_only = false;
		} else {
			spec_says(w, "bad access '");
			spec_say(w, val, vn);
			spec_says(w, "' (use ro or rw)");
			return -1;
		}
		return 0;
	case K_TARGET:
		if (!target_ok(val, vn)) {
			spec_says(w, "target must be a volume name of 1 to 36 printable ASCII "
				  "characters without spaces");
			return -1;
		}
		memcpy(out->target, val, vn);
		out->target[vn] = '\0';
		return 0;
	case K_FORMAT:
		if (!spec_is(val, vn, "raw")) {
			spec_says(w, "format '");
			spec_say(w, val, vn);
			spec_says(w, "' is not supported (pool volumes are raw)");
			return -1;
		}
		return 0;
	default: /* K_DEVTYPE */
		if (!spec_is(val, vn, "disk")) {
			spec_says(w, "devtype '");
			spec_say(w, val, vn);
			spec_says(w, "' is not supported (only disk)");
			return -1;
		}
		return 0;
	}
}

int config_disk_spec(const char *s, size_t n, struct config_disk *out, char *why,
		     size_t why_size)
{
	struct spec_why w = { why, why_size };
	u32 seen;

	if (why_size)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (spec_parse(s, n, &disk_kind, item, out, &seen, &w))
		return -1;
	if (!(seen & (1u << K_VDEV))) {
		spec_says(&w, "a disk spec needs vdev= (such as vdev=xvda)");
		return -1;
	}
	if (!(seen & (1u << K_TARGET))) {
		spec_says(&w, "a disk spec needs target= (the pool volume)");
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
