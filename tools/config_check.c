/*
 * bulkhead-config FILE: checks a VM config with the hypervisor's own parser
 * and prints the result as JSON, so that host tooling and the hypervisor can
 * never disagree about what a config means.
 *
 * Exit status: 0 valid (JSON on stdout), 1 invalid (FILE:LINE: KEY: MESSAGE
 * on stderr), 2 the file could not be read or bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* Configs are a few hundred bytes; the cap only stops a mistaken argument
 * (a disk image, /dev/zero) from eating memory. */
#define MAX_CONFIG_SIZE (16u << 20)

/* Returns the whole file, or NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int saved;

	if (!f)
		return NULL;
	errno = 0;
	for (;;) {
		if (n == cap) {
			char *grown = NULL;

			cap = cap ? cap * 2 : 4096;
			if (cap > MAX_CONFIG_SIZE)
				errno = EFBIG;
			else if (!(grown = realloc(buf, cap)))
				errno = ENOMEM;
			if (!grown)
				break;
			buf = grown;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			if (!errno)
				errno = EIO;
			break;
		}
		if (n < cap) {
			fclose(f);
			*len = n;
			return buf;
		}
	}
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return NULL;
}

/* The parser guarantees valid UTF-8 without control characters except tab,
 * but escaping every control character keeps the output valid regardless. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_key(const char *key, int first)
{
	printf("%s\"%s\": ", first ? "{" : ", ", key);
}

/* "mac" is null when the config gives none (the hypervisor derives one);
 * rate_bps 0 is unlimited, vlan 0 untagged. */
static void print_vifs(const struct vm_config *c)
{
	char mac[CONFIG_MAC_TEXT];

	fputs(", \"vifs\": [", stdout);
	for (unsigned i = 0; i < c->nvifs && i < CONFIG_MAX_VIFS; i++) {
		const struct config_vif *v = &c->vifs[i];

		printf("%s{\"mac\": ", i ? ", " : "");
		if (v->has_mac) {
			config_mac_text(v->mac, mac);
			json_string(mac);
		} else {
			fputs("null", stdout);
		}
		fputs(", \"bridge\": ", stdout);
		json_string(v->bridge);
		printf(", \"rate_bps\": %llu, \"rate_interval_us\": %u, \"vlan\": %u, \"line\": %u}",
		       (unsigned long long)v->rate_bps, (unsigned)v->rate_interval_us,
		       (unsigned)v->vlan, (unsigned)v->line);
	}
	fputs("]", stdout);
}

static void print_json(const struct vm_config *c)
{
	json_key("name", 1);
	json_string(c->name);
	json_key("vcpus", 0);
	printf("%u", (unsigned)c->vcpus);
	json_key("memory_mib", 0);
	printf("%llu", (unsigned long long)c->memory_mib);
	json_key("maxmem_mib", 0);
	printf("%llu", (unsigned long long)c->maxmem_mib);
	json_key("ram_base", 0);
	printf("%llu", (unsigned long long)c->ram_base);
	json_key("kernel", 0);
	json_string(c->kernel);
	json_key("kernel_format", 0);
	json_string(c->kernel_raw ? "raw" : "auto");
	json_key("ramdisk", 0);
	json_string(c->ramdisk);
	json_key("firmware", 0);
	json_string(c->firmware);
	json_key("extra", 0);
	json_string(c->extra);
	json_key("on_poweroff", 0);
	json_string(config_action_name(c->on_poweroff));
	json_key("on_reboot", 0);
	json_string(config_action_name(c->on_reboot));
	json_key("on_crash", 0);
	json_string(config_action_name(c->on_crash));
	printf(", \"autostart\": %s", c->autostart ? "true" : "false");
	printf(", \"cpu_mask\": %llu", (unsigned long long)c->cpu_mask);
	printf(", \"pinned\": %s", c->pinned ? "true" : "false");
	fputs(", \"disks\": [", stdout);
	for (unsigned i = 0; i < c->ndisks && i < CONFIG_MAX_DISKS; i++) {
		printf("%s{\"vdev\": ", i ? ", " : "");
		json_string(c->disks[i].vdev);
		fputs(", \"target\": ", stdout);
		json_string(c->disks[i].target);
		printf(", \"access\": \"%s\", \"line\": %u}", c->disks[i].read_only ? "ro" : "rw",
		       (unsigned)c->disks[i].line);
	}
	fputs("]", stdout);
	print_vifs(c);
	fputs("}\n", stdout);
}

static void print_error(const char *path, const struct config_error *e)
{
	fputs(path, stderr);
	if (e->line)
		fprintf(stderr, ":%u", (unsigned)e->line);
	fputs(": ", stderr);
	if (e->key[0])
		fprintf(stderr, "%s: ", e->key);
	fprintf(stderr, "%s\n", e->msg);
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct config_error err;
	size_t len;
	char *text;

	if (argc != 2) {
		fprintf(stderr, "usage: bulkhead-config FILE\n");
		return 2;
	}
	text = read_file(argv[1], &len);
	if (!text) {
		fprintf(stderr, "bulkhead-config: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (config_parse(text, len, &cfg, &err)) {
		print_error(argv[1], &err);
		free(text);
		return 1;
	}
	free(text);
	print_json(&cfg);
	return fflush(stdout) == 0 ? 0 : 2;
}
