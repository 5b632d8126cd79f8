/* Unit tests for the xl.cfg-style VM config parser. */
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

/* --- accepted configs ---------------------------------------------------- */

static void test_defaults(void **state)
{
	parse_ok(BASE);
	assert_string_equal(cfg.name, "vm");
	assert_int_equal(cfg.memory_mib, 128);
	assert_string_equal(cfg.kernel, "Image");
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.ram_base, 0x40000000);
	assert_string_equal(cfg.ramdisk, "");
	assert_string_equal(cfg.extra, "");
	assert_int_equal(cfg.on_poweroff, ACTION_DESTROY);
	assert_int_equal(cfg.on_reboot, ACTION_RESTART);
	assert_int_equal(cfg.on_crash, ACTION_DESTROY);
	assert_int_equal(cfg.maxmem_mib, 128);   /* maxmem defaults to memory */
}

/* maxmem, as xl: the guest's RAM, never below memory (the error names maxmem's
 * line and memory's); above memory, the balloon holds the difference; the
 * balloon's offers are booleans (reporting on by default). */
static void test_maxmem(void **state)
{
	parse_ok(BASE "maxmem = 128\n");
	assert_int_equal(cfg.memory_mib, 128);
	assert_int_equal(cfg.maxmem_mib, 128);
	parse_ok("maxmem = 64\nname = \"vm\"\nmemory = 64\nkernel = \"k\"\n");
	assert_int_equal(cfg.maxmem_mib, 64);
	parse_err(BASE "maxmem = 127\n", 4, "maxmem", "127 MiB is below memory (128 MiB, line 2)");
	parse_err("maxmem = 1\n" BASE, 1, "maxmem", "below memory (128 MiB, line 3)");
	parse_ok(BASE "maxmem = 256\n");
	assert_int_equal(cfg.maxmem_mib, 256);
	assert_false(cfg.balloon_deflate_on_oom);
	assert_true(cfg.balloon_free_page_reporting);
	parse_ok(BASE "maxmem = 256\nballoon_deflate_on_oom = 1\nballoon_free_page_reporting = \"false\"\n");
	assert_true(cfg.balloon_deflate_on_oom);
	assert_false(cfg.balloon_free_page_reporting);
	parse_err(BASE "balloon_deflate_on_oom = 2\n", 4, "balloon_deflate_on_oom", "must be 1 or 0");
	parse_err(BASE "maxmem = 0\n", 4, "maxmem", "must be between 1 and 1048576");
	parse_err(BASE "maxmem = \"256\"\n", 4, "maxmem", "expected an integer");
	parse_err(BASE "maxmem = 128\nmaxmem = 128\n", 5, "maxmem", "duplicate key");
}

static void test_all_keys(void **state)
{
	parse_ok("name = \"web-01.prod_a\"\n"
		 "vcpus = 4\n"
		 "memory = 2048\n"
		 "ram_base = 0x80000000\n"
		 "kernel = \"/boot/Image\"\n"
		 "ramdisk = \"/boot/initrd\"\n"
		 "extra = \"console=hvc0 root=/dev/vda\"\n"
		 "on_poweroff = \"preserve\"\n"
		 "on_reboot = \"destroy\"\n"
		 "on_crash = \"restart\"\n");
	assert_string_equal(cfg.name, "web-01.prod_a");
	assert_int_equal(cfg.vcpus, 4);
	assert_int_equal(cfg.memory_mib, 2048);
	assert_int_equal(cfg.ram_base, 0x80000000);
	assert_string_equal(cfg.kernel, "/boot/Image");
	assert_string_equal(cfg.ramdisk, "/boot/initrd");
	assert_string_equal(cfg.extra, "console=hvc0 root=/dev/vda");
	assert_int_equal(cfg.on_poweroff, ACTION_PRESERVE);
	assert_int_equal(cfg.on_reboot, ACTION_DESTROY);
	assert_int_equal(cfg.on_crash, ACTION_RESTART);
}

static void test_cmdline_synonym(void **state)
{
	parse_ok(BASE "cmdline = \"quiet\"\n");
	assert_string_equal(cfg.extra, "quiet");
}

static void test_comments_and_blanks(void **state)
{
	parse_ok("# leading comment\n"
		 "\n"
		 "   \t\n"
		 "name = \"vm\" # trailing comment with = and \"quotes\"\n"
		 "  memory=128#no space\n"
		 "\tkernel\t=\t\"a#b\"\n"
		 "# last line without newline");
	assert_string_equal(cfg.kernel, "a#b");
	assert_int_equal(cfg.memory_mib, 128);
}

static void test_quoting(void **state)
{
	parse_ok("name = 'vm'\nmemory = 1\nkernel = 'C:\\path \"x\"'\n"
		 "extra = \"say \\\"hi\\\" \\\\ 'single'\"\n");
	assert_string_equal(cfg.name, "vm");
	assert_string_equal(cfg.kernel, "C:\\path \"x\"");
	assert_string_equal(cfg.extra, "say \"hi\" \\ 'single'");
}

static void test_integers(void **state)
{
	parse_ok(BASE "vcpus = 0x10\nram_base = 0X0000000040200000\n");
	assert_int_equal(cfg.vcpus, 16);
	assert_int_equal(cfg.ram_base, 0x40200000);
	parse_ok(BASE "ram_base = 0\n");
	assert_int_equal(cfg.ram_base, 0);
	parse_ok(BASE "vcpus = 64\n");
	assert_int_equal(cfg.vcpus, 64);
}

static void test_semicolons_and_crlf(void **state)
{
	parse_ok("name = \"vm\";\r\nmemory = 128 ; vcpus = 2;# c\r\nkernel = \"k\";");
	assert_int_equal(cfg.vcpus, 2);
	assert_string_equal(cfg.kernel, "k");
}

static void test_limits(void **state)
{
	char text[2048];
	char longpath[CONFIG_PATH_MAX];

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "name = \"abcdefghijklmnopqrstuvwxyz01234\"\nmemory = 1048576\n"
		 "ram_base = 0\nkernel = \"%s\"\n", longpath);
	/* 1 TiB does not fit in 39 bits: valid alone, rejected together. */
	parse_err(text, 3, "ram_base", "does not fit");
	snprintf(text, sizeof(text),
		 "name = \"abcdefghijklmnopqrstuvwxyz01234\"\nmemory = 523264\n"
		 "ram_base = 0x40000000\nkernel = \"%s\"\n", longpath);
	parse_ok(text);  /* RAM up to the very end of the 39-bit IPA space */
	assert_int_equal(strlen(cfg.name), 31);
	assert_int_equal(strlen(cfg.kernel), CONFIG_PATH_MAX - 1);
	assert_int_equal(cfg.memory_mib, 523264);
}

static void test_ram_top_of_ipa(void **state)
{
	/* Ends exactly at 1 << 39: allowed. */
	parse_ok("name = \"vm\"\nkernel = \"k\"\nram_base = 0x7fc0000000\nmemory = 1024\n");
	parse_err("name = \"vm\"\nkernel = \"k\"\nram_base = 0x7fc0000000\nmemory = 1025\n",
		  3, "ram_base", "does not fit");
	/* Default base with too much memory blames memory. */
	parse_err("name = \"vm\"\nkernel = \"k\"\nmemory = 523265\n", 3, "memory", "39 bits");
	parse_ok("name = \"vm\"\nkernel = \"k\"\nmemory = 523264\n");
}

static void test_lists_syntax(void **state)
{
	/* No key takes a list yet, so a well-formed list is a type error. */
	parse_err(BASE "extra = [ \"a\", 'b',\n  # comment\n  3, ]\n", 4, "extra",
		  "expected a string, got a list");
	parse_err(BASE "vcpus = []\n", 4, "vcpus", "expected an integer, got a list");
	parse_err(BASE "vcpus = [\n\n]\n", 4, "vcpus", "got a list");
}

static void test_empty_optional_strings(void **state)
{
	parse_ok(BASE "ramdisk = \"\"\nextra = ''\n");
	assert_string_equal(cfg.ramdisk, "");
}

static void test_action_names(void **state)
{
	assert_string_equal(config_action_name(ACTION_DESTROY), "destroy");
	assert_string_equal(config_action_name(ACTION_RESTART), "restart");
	assert_string_equal(config_action_name(ACTION_PRESERVE), "preserve");
	assert_string_equal(config_action_name((enum vm_action)42), "unknown");
}

static void test_null_err_and_text(void **state)
{
	assert_int_equal(config_parse("x", 1, &cfg, NULL), -1);
	assert_int_equal(config_parse(NULL, 0, &cfg, &err), -1);
	assert_string_equal(err.msg, "missing required key");
}

/* --- rejected configs ---------------------------------------------------- */

static void test_unknown_key(void **state)
{
	parse_err(BASE "device_model = 'qemu'\n", 4, "device_model", "unknown key");
	parse_err("\n\nbuilder = \"hvm\"\n", 3, "builder", "unknown key");
	parse_err(BASE "Memory = 1\n", 4, "Memory", "unknown key");
}

/* --- disk ---------------------------------------------------------------- */

static void test_disk_specs(void **state)
{
	parse_ok(BASE "disk = [ 'vdev=xvdb, access=ro, target=other',\n"
		 "         \"vdev=xvda,access=rw,target=data, format=raw, devtype=disk\" ]\n");
	assert_int_equal(cfg.ndisks, 2);
	/* sorted by the guest's letter, whatever the order written */
	assert_string_equal(cfg.disks[0].vdev, "xvda");
	assert_string_equal(cfg.disks[0].target, "data");
	assert_false(cfg.disks[0].read_only);
	assert_int_equal(cfg.disks[0].line, 5);
	assert_string_equal(cfg.disks[1].vdev, "xvdb");
	assert_string_equal(cfg.disks[1].target, "other");
	assert_true(cfg.disks[1].read_only);
	assert_int_equal(cfg.disks[1].line, 4);

	/* access defaults to rw (as xl); xl's r and w spellings; vd and sd names */
	parse_ok(BASE "disk = [ ' target = a.b-c_1 ,  vdev = vdc ', 'vdev=sda, access=r, target=x', "
		 "'vdev=vdb,access=w,target=y,' ]\n");
	assert_int_equal(cfg.ndisks, 3);
	assert_string_equal(cfg.disks[0].vdev, "sda");
	assert_true(cfg.disks[0].read_only);
	assert_string_equal(cfg.disks[1].vdev, "vdb");
	assert_false(cfg.disks[1].read_only);
	assert_string_equal(cfg.disks[2].vdev, "vdc");
	assert_string_equal(cfg.disks[2].target, "a.b-c_1");
	assert_false(cfg.disks[2].read_only);

	parse_ok(BASE "disk = []\n");
	assert_int_equal(cfg.ndisks, 0);
	parse_ok(BASE);
	assert_int_equal(cfg.ndisks, 0);
	/* 36 characters: the longest GPT name */
	parse_ok(BASE "disk = [ 'vdev=xvda, target=abcdefghijklmnopqrstuvwxyz0123456789' ]\n");
	assert_string_equal(cfg.disks[0].target, "abcdefghijklmnopqrstuvwxyz0123456789");
	/* eight, the most */
	parse_ok(BASE "disk = [ 'vdev=xvda,target=a', 'vdev=xvdb,target=b', 'vdev=xvdc,target=c',"
		 "'vdev=xvdd,target=d', 'vdev=xvde,target=e', 'vdev=xvdf,target=f',"
		 "'vdev=xvdg,target=g', 'vdev=xvdz,target=z' ]\n");
	assert_int_equal(cfg.ndisks, 8);
	assert_string_equal(cfg.disks[7].vdev, "xvdz");
}

static void test_disk_errors(void **state)
{
	parse_err(BASE "disk = [ 'phy:/dev/vg/guest,xvda,w' ]\n", 4, "disk",
		  "expected KEY=VALUE");
	parse_err(BASE "disk = [ 'vdev=xvda, acces=rw, target=d' ]\n", 4, "disk",
		  "unknown key 'acces'");
	parse_err(BASE "disk = [ 'vdev=xvda, access=rw' ]\n", 4, "disk", "needs target=");
	parse_err(BASE "disk = [ 'target=d' ]\n", 4, "disk", "needs vdev=");
	parse_err(BASE "disk = [ 'vdev=xvda, access=rx, target=d' ]\n", 4, "disk",
		  "bad access 'rx'");
	parse_err(BASE "disk = [ 'vdev=hda, target=d' ]\n", 4, "disk", "bad vdev 'hda'");
	parse_err(BASE "disk = [ 'vdev=xvdA, target=d' ]\n", 4, "disk", "bad vdev");
	parse_err(BASE "disk = [ 'vdev=xvdaa, target=d' ]\n", 4, "disk", "bad vdev");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d', 'vdev=xvdb, target=e',\n"
		  "'vdev=vda, target=f' ]\n", 5, "disk", "duplicate vdev 'vda'");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d, format=qcow2' ]\n", 4, "disk",
		  "format 'qcow2' is not supported");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d, devtype=cdrom' ]\n", 4, "disk",
		  "devtype 'cdrom'");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d, vdev=xvdb' ]\n", 4, "disk",
		  "vdev given twice");
	parse_err(BASE "disk = [ 'vdev=xvda, target=' ]\n", 4, "disk", "1 to 36 printable");
	parse_err(BASE "disk = [ 'vdev=xvda, target=two words' ]\n", 4, "disk",
		  "1 to 36 printable");
	parse_err(BASE "disk = [ 'vdev=xvda, target=abcdefghijklmnopqrstuvwxyz01234567890' ]\n",
		  4, "disk", "1 to 36 printable");
	parse_err(BASE "disk = [ 'vdev=xvda, target=d\xc3\xa9' ]\n", 4, "disk",
		  "1 to 36 printable");
	parse_err(BASE "disk = [ 'vdev=xvda,target=a', 'vdev=xvdb,target=b', 'vdev=xvdc,target=c',"
		  "'vdev=xvdd,target=d', 'vdev=xvde,target=e', 'vdev=xvdf,target=f',"
		  "'vdev=xvdg,target=g', 'vdev=xvdh,target=h', 'vdev=xvdi,target=i' ]\n", 4, "disk",
		  "at most 8 disks");
	parse_err(BASE "disk = 'vdev=xvda, target=d'\n", 4, "disk", "expected a list");
	parse_err(BASE "disk = [ 1 ]\n", 4, "disk", "each disk must be a string");
	parse_err(BASE "disk = [ '' ]\n", 4, "disk", "needs vdev=");
	parse_err(BASE "disk = []\ndisk = []\n", 5, "disk", "duplicate key");
}

static void test_long_unknown_key_truncated(void **state)
{
	parse_err("a_very_long_key_name_that_exceeds_the_error_field = 1\n", 1,
		  "a_very_long_key_name_that_excee", "unknown key");
}

static void test_duplicate_key(void **state)
{
	parse_err(BASE "\nmemory = 256\n", 5, "memory", "duplicate key (first set on line 2)");
	parse_err(BASE "extra = \"a\"\ncmdline = \"b\"\n", 5, "cmdline", "synonyms");
	parse_err(BASE "cmdline = \"a\"\nextra = \"b\"\n", 5, "extra", "line 4");
}

static void test_wrong_type(void **state)
{
	parse_err("memory = \"lots\"\n", 1, "memory", "expected an integer (MiB), got a string");
	parse_err(BASE "vcpus = '2'\n", 4, "vcpus", "expected an integer");
	parse_err(BASE "ram_base = \"0x40000000\"\n", 4, "ram_base", "expected an integer");
	parse_err("name = 5\n", 1, "name", "expected a string, got an integer");
	parse_err(BASE "on_crash = 1\n", 4, "on_crash", "expected a string");
	parse_err(BASE "on_crash = destroy\n", 4, "on_crash", "must be quoted");
}

static void test_range(void **state)
{
	parse_err(BASE "vcpus = 0\n", 4, "vcpus", "must be between 1 and 64");
	parse_err(BASE "vcpus = 65\n", 4, "vcpus", "must be between 1 and 64");
	parse_err("memory = 0\n", 1, "memory", "must be between 1 and 1048576");
	parse_err("memory = 1048577\n", 1, "memory", "must be between 1 and 1048576");
	parse_err(BASE "ram_base = 0x40100000\n", 4, "ram_base", "2 MiB aligned");
	parse_err(BASE "ram_base = 0x8000000000\n", 4, "ram_base", "39 bits");
	parse_err(BASE "vcpus = -1\n", 4, "vcpus", "negative");
}

/* xl's `sve`: "hw" (Bulkhead's default), "disabled", or a length in bits. */
static void test_sve(void **state)
{
	parse_ok(BASE);
	assert_int_equal(cfg.sve_vl, CONFIG_SVE_HW);
	assert_int_equal(cfg.sve_line, 0);
	parse_ok(BASE "sve = \"disabled\"\n");
	assert_int_equal(cfg.sve_vl, 0);
	assert_int_equal(cfg.sve_line, 4);
	parse_ok(BASE "sve = \"hw\"\n");
	assert_int_equal(cfg.sve_vl, CONFIG_SVE_HW);
	parse_ok(BASE "sve = \"256\"\n");
	assert_int_equal(cfg.sve_vl, 256);
	parse_ok(BASE "sve = 2048\n");
	assert_int_equal(cfg.sve_vl, 2048);
	parse_ok(BASE "sve = '128'\n");
	assert_int_equal(cfg.sve_vl, 128);
}

static void test_sve_errors(void **state)
{
	static const char *const bad[] = {
		"sve = 0\n", "sve = 64\n", "sve = 200\n", "sve = 2176\n", "sve = \"\"\n",
		"sve = \"2O48\"\n", "sve = \"-128\"\n", "sve = \"12800\"\n", "sve = \"HW\"\n",
		"sve = \"off\"\n", "sve = [ 256 ]\n", "sve = 0x100000000080\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), BASE "%s", bad[i]);
		parse_err(text, 4, "sve", "\"hw\", \"disabled\" or a vector length in bits");
	}
}

static void test_overflow(void **state)
{
	parse_ok(BASE "ram_base = 0x0000000000000000000000000000\n");
	parse_err(BASE "vcpus = 18446744073709551616\n", 4, "vcpus", "too large");
	parse_err(BASE "vcpus = 18446744073709551615\n", 4, "vcpus", "between");
	parse_err(BASE "vcpus = 0x10000000000000000\n", 4, "vcpus", "too large");
	parse_err(BASE "vcpus = 99999999999999999999999\n", 4, "vcpus", "too large");
	/* Would wrap to 2 if truncated to 32 bits. */
	parse_err(BASE "vcpus = 0x100000002\n", 4, "vcpus", "between");
}

static void test_malformed_integer(void **state)
{
	parse_err("memory = 128M\n", 1, "memory", "malformed integer");
	parse_err("memory = 1.5\n", 1, "memory", "malformed integer");
	parse_err("memory = 0x\n", 1, "memory", "malformed integer");
	parse_err("memory = 0xfg\n", 1, "memory", "malformed integer");
	parse_err("memory = 0128\n", 1, "memory", "leading zeros");
}

static void test_bad_names(void **state)
{
	parse_err("name = \"\"\n", 1, "name", "1 to 31 characters");
	parse_err("name = \"abcdefghijklmnopqrstuvwxyz012345\"\n", 1, "name", "1 to 31");
	parse_err("name = \"has space\"\n", 1, "name", "may only contain");
	parse_err("name = \"a/b\"\n", 1, "name", "may only contain");
	/* digits alone would shadow VM ids in the shell */
	parse_err("name = \"42\"\n", 1, "name", "must not be all digits");
	parse_err("memory = 16\nname = \"0\"\n", 2, "name", "must not be all digits");
}

static void test_crash_limit(void **state)
{
	struct vm_config c;
	struct config_error e;
	const char *text = BASE "on_crash = \"restart\"\ncrash_limit = 2\ncrash_window = 30\n";

	assert_int_equal(config_parse(BASE, strlen(BASE), &c, &e), 0);
	assert_int_equal(c.crash_limit, CONFIG_DEFAULT_CRASH_LIMIT);
	assert_int_equal(c.crash_window_s, CONFIG_DEFAULT_CRASH_WINDOW);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c.crash_limit, 2);
	assert_int_equal(c.crash_window_s, 30);
	parse_err(BASE "crash_limit = 0\n", 4, "crash_limit", "between");
	parse_err(BASE "crash_window = 0\n", 4, "crash_window", "between");
	parse_err(BASE "crash_window = \"60\"\n", 4, "crash_window", "integer");
}

static void test_bad_strings(void **state)
{
	char text[400];

	parse_err("kernel = \"\"\n", 1, "kernel", "must not be empty");
	memset(text, 0, sizeof(text));
	strcpy(text, "kernel = \"");
	memset(text + strlen(text), 'k', CONFIG_PATH_MAX);
	strcat(text, "\"\n");
	parse_err(text, 1, "kernel", "too long (at most 255 characters)");
	parse_err("kernel = \"a\\nb\"\n", 1, "kernel", "unsupported escape");
	parse_err("kernel = \"a\\", 1, "kernel", "unterminated string");
	parse_err("kernel = \"a\x01\"\n", 1, "kernel", "control character");
	parse_err("kernel = \"\xff\"\n", 1, "kernel", "UTF-8");
	parse_err("kernel = \"\xc0\xaf\"\n", 1, "kernel", "UTF-8");
	parse_err("kernel = \"\xed\xa0\x80\"\n", 1, "kernel", "UTF-8");
	parse_err("kernel = \"\xe2\x82\"\n", 1, "kernel", "UTF-8");
	parse_ok(BASE "extra = \"\xe2\x82\xac \xf0\x9f\x98\x80\"\n");
}

static void test_nul_byte(void **state)
{
	static const char text[] = BASE "extra = \"a\0b\"\n";

	assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, &err), -1);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.key, "extra");
	assert_non_null(strstr(err.msg, "control character"));
	/* Text after an embedded NUL at the start of a line is still bounded. */
	assert_int_equal(config_parse("\0name", 5, &cfg, &err), -1);
	assert_int_equal(err.line, 1);
}

static void test_actions(void **state)
{
	parse_err(BASE "on_reboot = \"rename-restart\"\n", 4, "on_reboot",
		  "'rename-restart' is not supported by Bulkhead");
	parse_err(BASE "on_crash = \"coredump-destroy\"\n", 4, "on_crash", "not supported by Bulkhead");
	parse_err(BASE "on_poweroff = \"explode\"\n", 4, "on_poweroff", "must be \"destroy\"");
	parse_err(BASE "on_poweroff = \"Destroy\"\n", 4, "on_poweroff", "must be");
	parse_err(BASE "on_poweroff = \"destroy\\\\\"\n", 4, "on_poweroff", "must be");
}

static void test_syntax(void **state)
{
	parse_err("name = \"vm\nmemory = 1\n", 1, "name", "unterminated string");
	parse_err("\nname = 'vm", 2, "name", "unterminated string");
	parse_err("memory 128\n", 1, "memory", "expected '='");
	parse_err("memory\n= 128\n", 1, "memory", "expected '='");
	parse_err("memory =\n", 1, "memory", "missing value");
	parse_err("memory = # nothing\n", 1, "memory", "missing value");
	parse_err("memory =", 1, "memory", "missing value");
	parse_err("memory = 128 256\n", 1, "memory", "unexpected text after the value");
	parse_err("name = \"vm\" junk\n", 1, "name", "unexpected text");
	parse_err(BASE "= 5\n", 4, "", "expected a key");
	parse_err("1abc = 5\n", 1, "", "expected a key");
	parse_err(BASE "vcpus = 1;;\n", 4, "", "expected a key");
	parse_err(BASE "vcpus = $\n", 4, "vcpus", "expected a value");
	parse_err(BASE "memory += 1\n", 4, "memory", "expected '='");
}

static void test_list_syntax_errors(void **state)
{
	parse_err(BASE "extra = [ \"a\",\n \"b\"\n", 4, "extra", "unterminated list");
	parse_err(BASE "extra = [", 4, "extra", "unterminated list");
	parse_err(BASE "extra = [ \"a\" \"b\" ]\n", 4, "extra", "expected ',' or ']'");
	parse_err(BASE "extra = [ , ]\n", 4, "extra", "expected a list element");
	parse_err(BASE "extra = [ [ 1 ] ]\n", 4, "extra", "nested lists");
	parse_err(BASE "extra = [\n\n 'a\n]\n", 6, "extra", "unterminated string");
	parse_err(BASE "extra = [ 1 ] x\n", 4, "extra", "unexpected text");
	parse_err(BASE "extra = [ bare ]\n", 4, "extra", "must be quoted");
}

static void test_missing_required(void **state)
{
	parse_err("", 0, "name", "missing required key");
	parse_err("memory = 1\nkernel = \"k\"\n", 0, "name", "missing required key");
	parse_err("name = \"vm\"\nkernel = \"k\"\n", 0, "memory", "missing required key");
	parse_err("name = \"vm\"\nmemory = 1\n", 0, "kernel", "missing required key");
	parse_err("name = \"vm\"\nmemory = 1\n", 0, "kernel", "or give `firmware`");
}

/* A VM boots its own firmware instead of a kernel. */
static void test_firmware(void **state)
{
#define FW "name = \"fw\"\nmemory = 64\nfirmware = \"u-boot.bin\"\n"

	parse_ok(BASE);
	assert_string_equal(cfg.firmware, "");
	parse_ok(FW);
	assert_string_equal(cfg.firmware, "u-boot.bin");
	assert_string_equal(cfg.kernel, "");
	assert_int_equal(cfg.ram_base, 0x40000000);
	/* RAM may start right above the flash window and the devices (virtio-mmio slots included) */
	parse_ok("name = \"fw\"\nmemory = 64\nfirmware = 'f'\nram_base = 0xa200000\n");
	parse_ok("name = \"fw\"\nmemory = 64\nfirmware = 'f'\nextra = \"x\"\n");
	assert_string_equal(cfg.extra, "x");

	parse_err("name = \"fw\"\nmemory = 64\nfirmware = \"\"\n", 3, "firmware",
		  "must not be empty");
	parse_err("name = \"fw\"\nmemory = 64\nfirmware = 1\n", 3, "firmware",
		  "expected a string");
	parse_err(BASE "firmware = \"f\"\n", 4, "firmware",
		  "cannot be combined with kernel (line 3)");
	parse_err("firmware = \"f\"\n" BASE, 1, "firmware",
		  "cannot be combined with kernel (line 4)");
	parse_err("name = \"fw\"\nmemory = 64\nramdisk = 'r'\nfirmware = 'f'\n", 3,
		  "ramdisk", "goes with kernel");
	parse_err("name = \"fw\"\nmemory = 64\nfirmware = 'f'\nram_base = 0\n", 4,
		  "ram_base", "overlaps the firmware flash at 0x0..0x8000000");
	parse_err("name = \"fw\"\nmemory = 64\nfirmware = 'f'\nram_base = 0x7e00000\n", 4,
		  "ram_base", "overlaps the firmware flash");
	parse_err(FW "firmware = 'g'\n", 4, "firmware", "duplicate key");
#undef FW
}

static void test_first_error_wins(void **state)
{
	parse_err("bogus = 1\nmemory = \"x\"\n", 1, "bogus", "unknown key");
	parse_err(BASE "vcpus = 0\nname = 1\n", 4, "vcpus", "between");
}

static void test_every_prefix(void **state)
{
	/* Truncating a valid config anywhere must fail cleanly or succeed. */
	static const char full[] = "name = \"vm\" # c\nvcpus = [ 1 ]\n";
	static const char good[] = "name = 'vm'\nmemory = 0x80 ;\nkernel = \"a\\\"b\"\n"
				   "ram_base = 0x40000000\non_crash = 'preserve'\n";

	for (size_t n = 0; n <= sizeof(good) - 1; n++) {
		char *copy = malloc(n ? n : 1);

		memcpy(copy, good, n);
		(void)config_parse(copy, n, &cfg, &err);
		free(copy);
	}
	for (size_t n = 0; n <= sizeof(full) - 1; n++) {
		char *copy = malloc(n ? n : 1);

		memcpy(copy, full, n);
		assert_int_equal(config_parse(copy, n, &cfg, &err), -1);
		assert_non_null(memchr(err.msg, '\0', sizeof(err.msg)));
		assert_true(err.msg[0] != '\0');
		free(copy);
	}
	assert_int_equal(config_parse(good, sizeof(good) - 1, &cfg, &err), 0);
	assert_string_equal(cfg.kernel, "a\"b");
}

static void test_cpus(void **state)
{
	static const char base[] = "name = \"v\"\nmemory = 8\nkernel = \"k\"\n";
	static const struct { const char *list; u64 mask; } good[] = {
		{ "all", 0 }, { "1", 0x2 }, { "0-3", 0xf }, { "1,3", 0xa }, { "0-1,4-5", 0x33 },
		{ "63", 1ull << 63 },
	};
	static const char *const bad[] = { "", "x", "1-", "3-1", "1,,2", "64", "1 ,2", "-1" };
	struct vm_config c;
	struct config_error e;
	char text[256];

	assert_int_equal(config_parse(base, strlen(base), &c, &e), 0);
	assert_int_equal(c.cpu_mask, 0);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "%scpus = \"%s\"\n", base, good[i].list);
		assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
		assert_int_equal(c.cpu_mask, good[i].mask);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "%scpus = \"%s\"\n", base, bad[i]);
		assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
		assert_string_equal(e.key, "cpus");
		assert_int_equal(e.line, 4);
	}
}

static void test_autostart(void **state)
{
	static const char base[] = "name = \"v\"\nmemory = 8\nkernel = \"k\"\n";
	struct vm_config c;
	struct config_error e;
	char text[256];

	assert_int_equal(config_parse(base, strlen(base), &c, &e), 0);
	assert_true(c.autostart);
	snprintf(text, sizeof(text), "%sautostart = 0\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
	assert_false(c.autostart);
	snprintf(text, sizeof(text), "%sautostart = \"true\"\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
	assert_true(c.autostart);
	snprintf(text, sizeof(text), "%sautostart = 2\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
	assert_int_equal(e.line, 4);
	assert_string_equal(e.key, "autostart");
	snprintf(text, sizeof(text), "%sautostart = \"maybe\"\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
}

static void test_ram_keeps_clear_of_the_devices(void **state)
{
	static const char base[] = "name = \"v\"\nkernel = \"k\"\n";
	struct vm_config c;
	struct config_error e;
	char text[256];

	snprintf(text, sizeof(text), "%sram_base = 0\nmemory = 128\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);  /* ends at the GIC */
	snprintf(text, sizeof(text), "%sram_base = 0\nmemory = 129\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
	assert_string_equal(e.key, "ram_base");
	assert_int_equal(e.line, 3);
	snprintf(text, sizeof(text), "%sram_base = 0x9000000\nmemory = 16\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
	/* the virtio-mmio slots above 0x0a000000 are devices too */
	snprintf(text, sizeof(text), "%sram_base = 0xa000000\nmemory = 16\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
	assert_string_equal(e.key, "ram_base");
	snprintf(text, sizeof(text), "%sram_base = 0xa200000\nmemory = 16\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
}

static void test_scheduler_keys(void **state)
{
	static const char base[] = "name = \"v\"\nmemory = 8\nkernel = \"k\"\n";
	static const struct { const char *text; const char *key; } bad[] = {
		{ "weight = 0\n", "weight" },
		{ "weight = 65536\n", "weight" },
		{ "weight = \"x\"\n", "weight" },
		{ "cap = 6401\n", "cap" },
		{ "sched = \"credit\"\n", "sched" },
		{ "sched = 1\n", "sched" },
	};
	struct vm_config c;
	struct config_error e;
	char text[256];

	assert_int_equal(config_parse(base, strlen(base), &c, &e), 0);
	assert_int_equal(c.weight, 256);
	assert_int_equal(c.cap, 0);
	assert_false(c.pinned);
	snprintf(text, sizeof(text), "%sweight = 512\ncap = 50\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c.weight, 512);
	assert_int_equal(c.cap, 50);
	snprintf(text, sizeof(text), "%ssched = \"pinned\"\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
	assert_true(c.pinned);
	snprintf(text, sizeof(text), "%ssched = \"pinned\"\ncap = 50\n", base);
	assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
	assert_int_equal(e.line, 5);
	assert_string_equal(e.key, "cap");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, bad[i].text);
		assert_int_equal(config_parse(text, strlen(text), &c, &e), -1);
		assert_int_equal(e.line, 4);
		assert_string_equal(e.key, bad[i].key);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_autostart),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_cmdline_synonym),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_semicolons_and_crlf),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ram_top_of_ipa),
		cmocka_unit_test(test_lists_syntax),
		cmocka_unit_test(test_empty_optional_strings),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_null_err_and_text),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_long_unknown_key_truncated),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_sve),
		cmocka_unit_test(test_sve_errors),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_malformed_integer),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_crash_limit),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_scheduler_keys),
		cmocka_unit_test(test_ram_keeps_clear_of_the_devices),
		cmocka_unit_test(test_list_syntax_errors),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_disk_specs),
		cmocka_unit_test(test_disk_errors),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_maxmem),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
