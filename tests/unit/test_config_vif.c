/* Unit tests for the `vif` key (core/config_vif.c, core/config_spec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "config_parse.h"

static void assert_mac(const struct config_vif *v, const char *text)
{
	char mac[CONFIG_MAC_TEXT];

	assert_true(v->has_mac);
	config_mac_text(v->mac, mac);
	assert_string_equal(mac, text);
}

/* --- accepted ------------------------------------------------------------ */

static void test_vif_every_key(void **state)
{
	parse_ok(BASE "vif = [ 'mac=02:00:00:00:00:01, bridge=br0',\n"
		 "        \"bridge=br1, rate=10Mb/s, vlan=5\",\n"
		 "        ' mac = 0A:bC:de:F0:12:34 , bridge = lan.2-x_y , rate = 1MB/s@20ms ,"
		 " vlan = 4094 , type = vif ' ]\n");
	assert_int_equal(cfg.nvifs, 3);

	assert_mac(&cfg.vifs[0], "02:00:00:00:00:01");
	assert_string_equal(cfg.vifs[0].bridge, "br0");
	assert_int_equal(cfg.vifs[0].rate_bps, 0);
	assert_int_equal(cfg.vifs[0].rate_interval_us, 0);
	assert_int_equal(cfg.vifs[0].vlan, 0);
	assert_int_equal(cfg.vifs[0].line, 4);

	assert_false(cfg.vifs[1].has_mac);
	assert_string_equal(cfg.vifs[1].bridge, "br1");
	assert_int_equal(cfg.vifs[1].rate_bps, 10000000);
	assert_int_equal(cfg.vifs[1].rate_interval_us, 50000);
	assert_int_equal(cfg.vifs[1].vlan, 5);
	assert_int_equal(cfg.vifs[1].line, 5);

	/* hex in either case; kept as bytes, written back in lower case */
	assert_mac(&cfg.vifs[2], "0a:bc:de:f0:12:34");
	assert_string_equal(cfg.vifs[2].bridge, "lan.2-x_y");
	assert_int_equal(cfg.vifs[2].rate_bps, 8000000);
	assert_int_equal(cfg.vifs[2].rate_interval_us, 20000);
	assert_int_equal(cfg.vifs[2].vlan, 4094);
	assert_int_equal(cfg.vifs[2].line, 6);
}

/* Every key is optional in xl: '' is a vif on the default switch. */
static void test_vif_defaults(void **state)
{
	parse_ok(BASE);
	assert_int_equal(cfg.nvifs, 0);
	parse_ok(BASE "vif = []\n");
	assert_int_equal(cfg.nvifs, 0);
	parse_ok(BASE "vif = [ '', 'vlan=1', ]\n");
	assert_int_equal(cfg.nvifs, 2);
	assert_false(cfg.vifs[0].has_mac);
	assert_string_equal(cfg.vifs[0].bridge, CONFIG_DEFAULT_BRIDGE);
	assert_string_equal(cfg.vifs[0].bridge, "br0");
	assert_int_equal(cfg.vifs[0].vlan, 0);
	assert_int_equal(cfg.vifs[0].rate_bps, 0);
	assert_string_equal(cfg.vifs[1].bridge, "br0");
	assert_int_equal(cfg.vifs[1].vlan, 1);
}

/* List order is the guest's order; at most CONFIG_MAX_VIFS. */
static void test_vif_order_and_limit(void **state)
{
	parse_ok(BASE "vif = [ 'mac=02:00:00:00:00:08', 'mac=02:00:00:00:00:07',"
		 "'mac=02:00:00:00:00:06', 'mac=02:00:00:00:00:05', 'mac=02:00:00:00:00:04',"
		 "'mac=02:00:00:00:00:03', 'mac=02:00:00:00:00:02', 'mac=02:00:00:00:00:01' ]\n");
	assert_int_equal(cfg.nvifs, CONFIG_MAX_VIFS);
	for (u32 i = 0; i < CONFIG_MAX_VIFS; i++)
		assert_int_equal(cfg.vifs[i].mac[5], 8 - i);
	parse_err(BASE "vif = [ '', '', '', '', '', '', '', '', '' ]\n", 4, "vif", "at most 8 vifs");
}

/* Without an explicit MAC, vifs cannot clash here (the device derives one
 * per index); the same MAC is refused whatever the bridge or VLAN. */
static void test_vif_same_mac_in_one_vm(void **state)
{
	parse_ok(BASE "vif = [ '', '', 'mac=02:00:00:00:00:01', 'mac=02:00:00:00:00:02' ]\n");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00:01, bridge=br0',\n"
		  "        'mac=02:00:00:00:00:02',\n"
		  "        'mac=02:00:00:00:00:01, bridge=br1, vlan=7' ]\n", 6, "vif",
		  "duplicate mac 02:00:00:00:00:01 (vif 0, on line 4, has it");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00:aa', 'mac=02:00:00:00:00:AA' ]\n", 4, "vif",
		  "duplicate mac 02:00:00:00:00:aa");
}

static void test_vif_bridge_names(void **state)
{
	parse_ok(BASE "vif = [ 'bridge=abcdefghijklmno' ]\n");
	assert_string_equal(cfg.vifs[0].bridge, "abcdefghijklmno");
	assert_true(config_bridge_name_ok("br0", 3));
	assert_true(config_bridge_name_ok("A_b.c-9", 7));
	assert_false(config_bridge_name_ok("", 0));
	assert_false(config_bridge_name_ok("abcdefghijklmnop", 16));
	assert_false(config_bridge_name_ok("br 0", 4));
	assert_false(config_bridge_name_ok("br/0", 4));
	assert_false(config_bridge_name_ok("br\0", 3));
	assert_false(config_bridge_name_ok("br\xc3\xa9", 4));
}

static void test_vif_mac_text(void **state)
{
	const u8 mac[6] = { 0x02, 0xab, 0x00, 0xff, 0x10, 0x09 };
	char text[CONFIG_MAC_TEXT];

	memset(text, 'x', sizeof(text));
	config_mac_text(mac, text);
	assert_string_equal(text, "02:ab:00:ff:10:09");
}

/* The spec parser on its own: the text need not be terminated, and `why`
 * is always a terminated line even when it is short. */
static void test_vif_spec_direct(void **state)
{
	const char spec[] = "mac=02:00:00:00:00:01,vlan=12XXXX";
	struct config_vif v;
	char why[160], tiny[8];

	memset(&v, 0x5a, sizeof(v));
	assert_int_equal(config_vif_spec(spec, strlen("mac=02:00:00:00:00:01,vlan=12"), &v, why,
					 sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(v.vlan, 12);
	assert_mac(&v, "02:00:00:00:00:01");
	assert_string_equal(v.bridge, "br0");
	assert_int_equal(v.line, 0);

	assert_int_equal(config_vif_spec("vlan=0", 6, &v, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_memory_equal(tiny, "bad vla", 7);

	/* a NUL inside the value is not the end of it */
	assert_int_equal(config_vif_spec("rate=1Mb/s\0x", 12, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bad rate"));
	assert_int_equal(config_vif_spec("bridge=br\0", 10, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bad bridge"));
}

/* --- refused ------------------------------------------------------------- */

static void test_vif_mac_errors(void **state)
{
	parse_err(BASE "vif = [ 'mac=02-00-00-00-00-01' ]\n", 4, "vif",
		  "bad mac '02-00-00-00-00-01': separate the octets with ':', as xl does");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00' ]\n", 4, "vif",
		  "bad mac '02:00:00:00:00' (six pairs of hex digits separated by ':'");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00:001' ]\n", 4, "vif", "bad mac");
	parse_err(BASE "vif = [ 'mac=2:0:0:0:0:1' ]\n", 4, "vif", "bad mac");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00:0g' ]\n", 4, "vif", "bad mac");
	parse_err(BASE "vif = [ 'mac=02:00:00-00:00:01' ]\n", 4, "vif", "six pairs");
	parse_err(BASE "vif = [ 'mac=02.00.00.00.00.01' ]\n", 4, "vif", "six pairs");
	parse_err(BASE "vif = [ 'mac=' ]\n", 4, "vif", "bad mac ''");
	parse_err(BASE "vif = [ 'mac=01:00:5e:00:00:01' ]\n", 4, "vif",
		  "mac 01:00:5e:00:00:01 is a multicast address");
	parse_err(BASE "vif = [ 'mac=ff:ff:ff:ff:ff:ff' ]\n", 4, "vif", "multicast");
	parse_err(BASE "vif = [ 'mac=00:00:00:00:00:00' ]\n", 4, "vif",
		  "mac 00:00:00:00:00:00 is not a NIC's address");
}

static void test_vif_bridge_errors(void **state)
{
	parse_err(BASE "vif = [ 'bridge=' ]\n", 4, "vif",
		  "bad bridge '' (a switch name: 1 to 15 of A-Z a-z 0-9 _ . -)");
	parse_err(BASE "vif = [ 'bridge=abcdefghijklmnop' ]\n", 4, "vif", "bad bridge");
	parse_err(BASE "vif = [ 'bridge=br 0' ]\n", 4, "vif", "bad bridge 'br 0'");
	parse_err(BASE "vif = [ 'bridge=br/0' ]\n", 4, "vif", "bad bridge");
	parse_err(BASE "vif = [ 'bridge=br\xc3\xa9' ]\n", 4, "vif", "bad bridge");
}

static void test_vif_rate_errors(void **state)
{
	parse_err(BASE "vif = [ 'rate=10Xb/s' ]\n", 4, "vif", "bad rate '10Xb/s': the unit must be");
	parse_err(BASE "vif = [ 'rate=10Mb' ]\n", 4, "vif", "bad rate '10Mb': expected /s");
	parse_err(BASE "vif = [ 'rate=0Mb/s' ]\n", 4, "vif", "above 0");
	parse_err(BASE "vif = [ 'rate=10Mb/s@2s' ]\n", 4, "vif", "between 1us and 1s");
	parse_err(BASE "vif = [ 'rate=' ]\n", 4, "vif", "bad rate '': expected a whole number");
	parse_err(BASE "vif = [ 'rate=10000000000000000000000000000000000000000000000000Mb/s' ]\n",
		  4, "vif", "bad rate");
	parse_err(BASE "vif = [ 'rate=2000Gb/s' ]\n", 4, "vif", "above the");
}

static void test_vif_vlan_errors(void **state)
{
	parse_err(BASE "vif = [ 'vlan=0' ]\n", 4, "vif",
		  "bad vlan '0' (1 to 4094; leave vlan out for an untagged vif)");
	parse_err(BASE "vif = [ 'vlan=4095' ]\n", 4, "vif", "bad vlan '4095'");
	parse_err(BASE "vif = [ 'vlan=10000' ]\n", 4, "vif", "bad vlan");
	parse_err(BASE "vif = [ 'vlan=05' ]\n", 4, "vif", "bad vlan '05'");
	parse_err(BASE "vif = [ 'vlan=-5' ]\n", 4, "vif", "bad vlan");
	parse_err(BASE "vif = [ 'vlan=5a' ]\n", 4, "vif", "bad vlan");
	parse_err(BASE "vif = [ 'vlan=0x5' ]\n", 4, "vif", "bad vlan");
	parse_err(BASE "vif = [ 'vlan=' ]\n", 4, "vif", "bad vlan ''");
}

/* A vif is always virtio-net: asking for an emulated NIC is refused by
 * name, and xl's host-side keys are refused rather than ignored. */
static void test_vif_xl_keys(void **state)
{
	static const char *const host_keys[] = {
		"script=vif-bridge", "vifname=web0", "ip=10.0.0.2", "backend=0",
		"gatewaydev=eth0", "mtu=1500",
	};
	char text[256];

	parse_ok(BASE "vif = [ 'type=vif' ]\n");
	parse_err(BASE "vif = [ 'type=ioemu' ]\n", 4, "vif",
		  "type 'ioemu' is not offered: Bulkhead emulates no NIC, a vif is virtio-net");
	parse_err(BASE "vif = [ 'type=foo' ]\n", 4, "vif", "type 'foo' is not supported");
	parse_err(BASE "vif = [ 'model=e1000' ]\n", 4, "vif",
		  "model 'e1000' is not offered: Bulkhead emulates no NIC model");
	parse_err(BASE "vif = [ 'model=rtl8139, type=ioemu' ]\n", 4, "vif", "model 'rtl8139'");
	for (size_t i = 0; i < sizeof(host_keys) / sizeof(host_keys[0]); i++) {
		char key[16];

		snprintf(text, sizeof(text), BASE "vif = [ 'mac=02:00:00:00:00:01, %s' ]\n",
			 host_keys[i]);
		snprintf(key, sizeof(key), "%.*s=", (int)strcspn(host_keys[i], "="), host_keys[i]);
		parse_err(text, 4, "vif", key);
		parse_err(text, 4, "vif", "is xl's and has no meaning in Bulkhead");
	}
}

static void test_vif_spec_errors(void **state)
{
	parse_err(BASE "vif = [ 'colour=blue' ]\n", 4, "vif",
		  "unknown key 'colour' in a vif spec (Bulkhead takes mac, bridge, rate, vlan, type=vif)");
	parse_err(BASE "vif = [ 'MAC=02:00:00:00:00:01' ]\n", 4, "vif", "unknown key 'MAC'");
	parse_err(BASE "vif = [ 'bridge=br0, bridge=br1' ]\n", 4, "vif",
		  "bridge given twice in one vif spec");
	parse_err(BASE "vif = [ 'mac=02:00:00:00:00:01,mac=02:00:00:00:00:02' ]\n", 4, "vif",
		  "mac given twice");
	parse_err(BASE "vif = [ 'vlan=1, vlan=1' ]\n", 4, "vif", "vlan given twice");
	parse_err(BASE "vif = [ 'rate=1Mb/s, rate=1Mb/s' ]\n", 4, "vif", "rate given twice");
	parse_err(BASE "vif = [ 'type=vif, type=vif' ]\n", 4, "vif", "type given twice");
	parse_err(BASE "vif = [ 'bridge' ]\n", 4, "vif",
		  "expected KEY=VALUE in a vif spec such as 'mac=02:00:00:00:00:01, bridge=br0'");
	parse_err(BASE "vif = [ 'bridge=br0,, vlan=2' ]\n", 4, "vif", "expected KEY=VALUE");
	parse_err(BASE "vif = [ ' ' ]\n", 4, "vif", "expected KEY=VALUE");
	parse_err(BASE "vif = [ '=br0' ]\n", 4, "vif", "unknown key ''");
}

static void test_vif_value_errors(void **state)
{
	parse_err(BASE "vif = 'bridge=br0'\n", 4, "vif", "expected a list such as");
	parse_err(BASE "vif = 1\n", 4, "vif", "expected a list");
	parse_err(BASE "vif = [ 'bridge=br0',\n 1 ]\n", 5, "vif", "each vif must be a string");
	parse_err(BASE "vif = []\nvif = []\n", 5, "vif", "duplicate key");
	/* the error names the line of the spec, not of the key */
	parse_err(BASE "vif = [\n 'bridge=br0',\n\n 'vlan=9999' ]\n", 7, "vif", "bad vlan");
}

static void test_vif_spec_too_long(void **state)
{
	char text[1024];
	size_t n = (size_t)snprintf(text, sizeof(text), BASE "vif = [ 'bridge=br0");

	while (n < 600)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "      ");
	snprintf(text + n, sizeof(text) - n, "' ]\n");
	parse_err(text, 4, "vif", "vif spec too long");
}

/* The disk spec shares the splitter: its messages keep their kind. */
static void test_disk_spec_shares_the_splitter(void **state)
{
	parse_err(BASE "disk = [ 'vdev=xvda, colour=blue, target=d' ]\n", 4, "disk",
		  "unknown key 'colour' in a disk spec (Bulkhead takes vdev, access, target, format, "
		  "devtype)");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d, target=e' ]\n", 4, "disk",
		  "target given twice in one disk spec");
	parse_err(BASE "disk = [ 'xvda' ]\n", 4, "disk", "positional specs are not supported");
	parse_ok(BASE "disk = [ 'vdev=xvda, target=d' ]\nvif = [ 'bridge=br3' ]\n");
	assert_int_equal(cfg.ndisks, 1);
	assert_int_equal(cfg.nvifs, 1);
	assert_string_equal(cfg.vifs[0].bridge, "br3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vif_every_key),
		cmocka_unit_test(test_vif_defaults),
		cmocka_unit_test(test_vif_order_and_limit),
		cmocka_unit_test(test_vif_same_mac_in_one_vm),
		cmocka_unit_test(test_vif_bridge_names),
		cmocka_unit_test(test_vif_mac_text),
		cmocka_unit_test(test_vif_spec_direct),
		cmocka_unit_test(test_vif_mac_errors),
		cmocka_unit_test(test_vif_bridge_errors),
		cmocka_unit_test(test_vif_rate_errors),
		cmocka_unit_test(test_vif_vlan_errors),
		cmocka_unit_test(test_vif_xl_keys),
		cmocka_unit_test(test_vif_spec_errors),
		cmocka_unit_test(test_vif_value_errors),
		cmocka_unit_test(test_vif_spec_too_long),
		cmocka_unit_test(test_disk_spec_shares_the_splitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
