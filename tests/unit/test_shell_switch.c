/*
 * The shell's switch-list (core/shell_switch.c) on real switches from the
 * registry, and the `uplink=` boot option (core/boot_uplink.c). The shell's
 * lines are caught by this file's log_msg (core/log.c is not linked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/boot_uplink.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/shell.h"
#include "net/switch.h"

#define S (1000ull * 1000 * 1000)

static char lines[64][200];
static u32 nlines;

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	assert_int_equal(level, LOG_ALWAYS);
	assert_true(nlines < 64);
	va_start(ap, fmt);
	vsnprintf(lines[nlines++], sizeof(lines[0]), fmt, ap);
	va_end(ap);
}

static bool said(const char *part)
{
	for (u32 i = 0; i < nlines; i++)
		if (strstr(lines[i], part))
			return true;
	return false;
}

static void list(const char *name)
{
	nlines = 0;
	shell_switch_list(name);
}

/* --- a port that takes every frame --------------------------------------- */

static enum switch_deliver take(struct switch_port *p, const struct net_delivery *d)
{
	return SWITCH_DELIVERED;
}

static const struct switch_port_ops ops = { .deliver = take };

static void add(struct vswitch *sw, struct switch_port *p,
			      enum switch_port_kind kind, u8 last, const char *label)
{
	struct switch_port_config cfg = { .kind = kind, .mac = { 2, 0, 0, 0, 0, last } };

	strncpy(cfg.label, label, sizeof(cfg.label) - 1);
	assert_int_equal(switch_port_add(sw, p, &cfg, &ops, NULL), SWITCH_ADD_OK);
}

/* A broadcast frame from MAC `src`. */
static void send_from(struct switch_port *p, const u8 src[6], u64 now)
{
	static u8 bytes[60];
	struct net_seg seg = { bytes, sizeof(bytes) };
	struct net_frame f = { .segs = &seg, .nsegs = 1, .len = sizeof(bytes) };

	memset(bytes, 0xff, 6);
	memcpy(bytes + 6, src, 6);
	bytes[12] = 0x08;
	bytes[13] = 0x00;
	assert_int_equal(switch_tx(p, &f, now, NULL), SWITCH_TX_SENT);
}

#define HV_PAGES 64
static u8 hv_mem[HV_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static u64 hv_bitmap[HV_PAGES / 64];

/* One test: the registry is the machine's, and switches never go away. */
static void test_switch_list(void **state)
{
	static struct switch_port vif, up;
	const u8 outside[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct vswitch *lan;

	assert_int_equal(page_pool_add_bank(&hv_pages, ptr_to_pa(hv_mem), sizeof(hv_mem),
					    hv_bitmap), 0);
	list(NULL);
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "no switches (no vif or uplink names one)");
	list("br0");
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "switch-list: no switch 'br0' (switches are made when a vif "
			    "or the uplink names one)");

	assert_non_null(switch_get("br0"));
	lan = switch_get("lan");
	assert_non_null(lan);
	add(lan, &vif, SWITCH_PORT_VIF, 1, "web.0");
	add(lan, &up, SWITCH_PORT_UPLINK, 0, "uplink");
	/* learned at 3 s on the devices' clock; listed at 10 s on the counter */
	send_from(&up, outside, 3 * S);
	fake.counter = 10 * fake.counter_freq;

	list(NULL);
	assert_string_equal(lines[0], "switch br0: 0 ports, 0 MACs learned, 0 static, 0 not learned "
			    "(table full)");
	assert_true(said("switch lan: 2 ports, 1 MACs learned, 1 static"));
	assert_true(said("port web.0           vif    vlan untagged mac 02:00:00:00:00:01"));
	assert_true(said("port uplink          uplink vlan trunk"));
	assert_true(said("mac 52:54:00:12:34:56 vlan 0 port uplink age 7s"));
	assert_true(said("mac 02:00:00:00:00:01 vlan 0 port web.0 static"));

	list("lan");
	assert_string_equal(lines[0], "switch lan: 2 ports, 1 MACs learned, 1 static, 0 not learned "
			    "(table full)");
	assert_false(said("switch br0"));
	list("lan2");
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "switch-list: no switch 'lan2' (switches are made when a vif "
			    "or the uplink names one)");

	/* after 1000 s the counter times 10^9 is past 2^64: the clock must not wrap */
	send_from(&up, outside, 1000 * S);
	fake.counter = 1004 * fake.counter_freq;
	list("lan");
	assert_true(said("mac 52:54:00:12:34:56 vlan 0 port uplink age 4s"));
}

/* --- uplink= ------------------------------------------------------------- */

static void test_uplink_option(void **state)
{
	assert_true(boot_uplink_parse(""));
	assert_string_equal(boot_uplink_switch(), "br0");
	assert_true(boot_uplink_parse(NULL));
	assert_string_equal(boot_uplink_switch(), "br0");
	assert_true(boot_uplink_parse("loglevel=info uplink=lan"));
	assert_string_equal(boot_uplink_switch(), "lan");
	assert_true(boot_uplink_parse("uplink=wan.2 loglevel=debug"));
	assert_string_equal(boot_uplink_switch(), "wan.2");
	/* the last one counts */
	assert_true(boot_uplink_parse("uplink=a uplink=b"));
	assert_string_equal(boot_uplink_switch(), "b");
	assert_true(boot_uplink_parse("uplink=abcdefghijklmno"));
	assert_string_equal(boot_uplink_switch(), "abcdefghijklmno");
	/* not the option: part of another word */
	assert_true(boot_uplink_parse("xuplink=lan"));
	assert_string_equal(boot_uplink_switch(), "br0");
	/* a bad name joins no switch rather than the default one */
	assert_false(boot_uplink_parse("uplink=abcdefghijklmnop"));
	assert_string_equal(boot_uplink_switch(), "");
	assert_false(boot_uplink_parse("uplink= loglevel=info"));
	assert_string_equal(boot_uplink_switch(), "");
	assert_false(boot_uplink_parse("uplink=br/0"));
	assert_string_equal(boot_uplink_switch(), "");
	assert_null(switch_get(boot_uplink_switch()));
	assert_true(boot_uplink_parse("uplink=br1"));
	assert_string_equal(boot_uplink_switch(), "br1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_list),
		cmocka_unit_test(test_uplink_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
