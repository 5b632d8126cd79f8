/*
 * One vif spec of a VM config, as xl.cfg writes it (xl-network-configuration):
 * "mac=02:00:00:00:00:01, bridge=br0, rate=10Mb/s", split into items by
 * core/config_spec.c, plus Bulkhead's `vlan=N`. Every key is optional: ''
 * is a vif on br0 with a MAC derived later. A vif is always a virtio-net
 * device on a switch inside Bulkhead, so xl's keys for emulated NICs and
 * for the host's bridge scripts are refused by name rather than ignored:
 * a config that asks for an e1000 must not quietly get something else.
 */
#include "types.h"
#include "lib/string.h"
#include "core/config.h"
#include "core/config_spec.h"
#include "net/rate_parse.h"

#define MAC_TEXT_LEN 17            /* "02:00:00:00:00:01" */
#define RATE_TEXT_MAX 48           /* longer than any valid rate= value */
#define VLAN_MAX 4094              /* 4095 is reserved by 802.1Q */

/* From K_SCRIPT on: xl's keys for the host's bridge scripts and its
 * backend domain, which have no meaning when the switch is inside Bulkhead. */
enum {
	K_MAC, K_BRIDGE, K_RATE, K_VLAN, K_TYPE, K_MODEL,
	K_SCRIPT, K_VIFNAME, K_IP, K_BACKEND, K_GATEWAYDEV, K_MTU,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"mac", "bridge", "rate", "vlan", "type", "model",
	"script", "vifname", "ip", "backend", "gatewaydev", "mtu",
};

_Static_assert(K_COUNT <= SPEC_MAX_KEYS, "spec_parse keeps seen keys in a u32");

static const struct spec_kind vif_kind = {
	.what = "vif",
	.keys = key_names,
	.nkeys = K_COUNT,
	.no_equals = "expected KEY=VALUE in a vif spec such as "
		     "'mac=02:00:00:00:00:01, bridge=br0'",
	.takes = "mac, bridge, rate, vlan, type=vif",
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six pairs of hex digits, each pair after the first following `sep`. */
static bool mac_text(const char *s, size_t n, char sep, u8 mac[6])
{
	if (n != MAC_TEXT_LEN)
		return false;
	for (u32 i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return false;
		mac[i] = (u8)(hi << 4 | lo);
	}
	return true;
}

static bool all_zero(const u8 mac[6])
{
	for (u32 i = 0; i < 6; i++) {
		if (mac[i])
			return false;
	}
	return true;
}

static int set_mac(struct config_vif *out, const char *val, size_t vn, struct spec_why *w)
{
	u8 dashed[6];

	if (!mac_text(val, vn, ':', out->mac)) {
		spec_says(w, "bad mac '");
		spec_say(w, val, vn);
		/* xl reads only ':' (its documented form); say so rather than guess */
		spec_says(w, mac_text(val, vn, '-', dashed) ?
			  "': separate the octets with ':', as xl does" :
			  "' (six pairs of hex digits separated by ':', as 02:00:00:00:00:01)");
		return -1;
	}
	if (out->mac[0] & 1) {
		spec_says(w, "mac ");
		spec_say(w, val, vn);
		spec_says(w, " is a multicast address (a NIC's first octet is even, as 02:...)");
		return -1;
	}
	if (all_zero(out->mac)) {
		spec_says(w, "mac 00:00:00:00:00:00 is not a NIC's address");
		return -1;
	}
	out->has_mac = true;
	return 0;
}

static int set_bridge(struct config_vif *out, const char *val, size_t vn, struct spec_why *w)
{
	if (!config_bridge_name_ok(val, vn)) {
		spec_says(w, "bad bridge '");
		spec_say(w, val, vn);
		spec_says(w, "' (a switch name: 1 to 15 of A-Z a-z 0-9 _ . -)");
		return -1;
	}
	memcpy(out->bridge, val, vn);
	out->bridge[vn] = '\0';
	return 0;
}

/* Copies the value for rate_parse(), which reads up to a NUL: "" when it
 * does not fit or holds a NUL itself, which rate_parse() refuses. */
static void rate_text(const char *val, size_t vn, char text[RATE_TEXT_MAX])
{
	text[0] = '\0';
	if (vn >= RATE_TEXT_MAX)
		return;
	for (size_t i = 0; i < vn; i++) {
		if (!val[i])
			return;
	}
	memcpy(text, val, vn);
	text[vn] = '\0';
}

static int set_rate(struct config_vif *out, const char *val, size_t vn, struct spec_why *w)
{
	char text[RATE_TEXT_MAX];
	struct rate_spec r;
	const char *why;

	rate_text(val, vn, text);
	if (rate_parse(text, &r, &why)) {
		spec_says(w, "bad rate '");
		spec_say(w, val, vn);
		spec_says(w, "': ");
		spec_says(w, why);
		return -1;
	}
	out->rate_bps = r.bps;
	out->rate_interval_us = r.interval_us;
	return 0;
}

/* Decimal 1..4094, no sign, no leading zero (xl would read 010 as octal). */
static int set_vlan(struct config_vif *out, const char *val, size_t vn, struct spec_why *w)
{
	u32 v = 0;
	bool ok = vn >= 1 && vn <= 4 && val[0] != '0';

	for (size_t i = 0; ok && i < vn; i++) {
		if (val[i] < '0' || val[i] > '9')
			ok = false;
		else
			v = v * 10 + (u32)(val[i] - '0');
	}
	if (!ok || v > VLAN_MAX) {
		spec_says(w, "bad vlan '");
		spec_say(w, val, vn);
		spec_says(w, "' (1 to 4094; leave vlan out for an untagged vif)");
		return -1;
	}
	out->vlan = (u16)v;
	return 0;
}

/* xl's type=vif is a paravirtual NIC only, which is what a vif is here;
 * type=ioemu asks for an emulated NIC, which Bulkhead does not have. */
static int check_type(const char *val, size_t vn, struct spec_why *w)
{
	if (spec_is(val, vn, "vif"))
		return 0;
	spec_says(w, "type '");
	spec_say(w, val, vn);
	spec_says(w, spec_is(val, vn, "ioemu") ?
		  "' is not offered: Bulkhead emulates no NIC, a vif is virtio-net (use type=vif "
		  "or leave type out)" :
		  "' is not supported (only type=vif: a vif is virtio-net)");
	return -1;
}

static int item(void *ctx, u32 key, const char *val, size_t vn, struct spec_why *w)
{
	struct config_vif *out = ctx;

	switch (key) {
	case K_MAC:
		return set_mac(out, val, vn, w);
	case K_BRIDGE:
		return set_bridge(out, val, vn, w);
	case K_RATE:
		return set_rate(out, val, vn, w);
	case K_VLAN:
		return set_vlan(out, val, vn, w);
	case K_TYPE:
		return check_type(val, vn, w);
	case K_MODEL:
		spec_says(w, "model '");
		spec_say(w, val, vn);
		spec_says(w, "' is not offered: Bulkhead emulates no NIC model, a vif is always "
			  "virtio-net (leave model out)");
		return -1;
	default: /* K_SCRIPT .. K_MTU */
		spec_says(w, key_names[key]);
		spec_says(w, "= is xl's and has no meaning in Bulkhead, whose switches are inside "
			  "it (a vif takes mac, bridge, rate, vlan)");
		return -1;
	}
}

bool config_bridge_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= CONFIG_BRIDGE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';

		if (!ok)
			return false;
	}
	return true;
}

int config_vif_spec(const char *s, size_t n, struct config_vif *out, char *why,
		    size_t why_size)
{
	struct spec_why w = { why, why_size };
	u32 seen;

	if (why_size)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	memcpy(out->bridge, CONFIG_DEFAULT_BRIDGE, sizeof(CONFIG_DEFAULT_BRIDGE));
	return spec_parse(s, n, &vif_kind, item, out, &seen, &w);
}

void config_mac_text(const u8 mac[6], char out[CONFIG_MAC_TEXT])
{
	static const char digits[] = "0123456789abcdef";

	for (u32 i = 0; i < 6; i++) {
		out[3 * i] = digits[mac[i] >> 4];
		out[3 * i + 1] = digits[mac[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}
