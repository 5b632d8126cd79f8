/*
 * libFuzzer target for the VM config parser. Besides memory safety (ASan,
 * UBSan), it checks the promises callers rely on: results are always
 * NUL-terminated and within the documented ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int bridge_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Vifs: a valid switch name, a unicast non-zero MAC unique in the VM, a rate
 * the switch takes with its interval, a VLAN of 802.1Q's access range. */
static void check_vifs(const struct vm_config *c)
{
	CHECK(c->nvifs <= CONFIG_MAX_VIFS);
	for (u32 i = 0; i < c->nvifs && i < CONFIG_MAX_VIFS; i++) {
		const struct config_vif *v = &c->vifs[i];
		size_t b = strnlen(v->bridge, sizeof(v->bridge));
		static const u8 zero[6];

		CHECK(b >= 1 && b < sizeof(v->bridge));
		for (size_t k = 0; k < b; k++)
			CHECK(bridge_char(v->bridge[k]));
		CHECK(v->has_mac == 0 || v->has_mac == 1);
		if (v->has_mac)
			CHECK(!(v->mac[0] & 1) && memcmp(v->mac, zero, 6) != 0);
		for (u32 j = 0; j < i && v->has_mac; j++)
			CHECK(!c->vifs[j].has_mac || memcmp(c->vifs[j].mac, v->mac, 6) != 0);
		CHECK(v->rate_bps <= (1ull << 40));
		CHECK((v->rate_bps == 0) == (v->rate_interval_us == 0));
		CHECK(v->rate_interval_us <= 1000000);
		CHECK(v->vlan <= 4094);
		CHECK(v->line >= 1);
	}
}

static void check_config(const struct vm_config *c)
{
	size_t name_len = strnlen(c->name, sizeof(c->name));

	CHECK(name_len >= 1 && name_len < sizeof(c->name));
	CHECK(terminated(c->kernel, sizeof(c->kernel)) && c->kernel[0]);
	CHECK(terminated(c->ramdisk, sizeof(c->ramdisk)));
	CHECK(terminated(c->extra, sizeof(c->extra)));
	CHECK(c->vcpus >= 1 && c->vcpus <= CONFIG_MAX_VCPUS);
	CHECK(c->memory_mib >= 1 && c->memory_mib <= CONFIG_MAX_MEMORY_MIB);
	CHECK(c->ram_base % (2 * MiB) == 0);
	CHECK(c->maxmem_mib >= c->memory_mib && c->maxmem_mib <= CONFIG_MAX_MEMORY_MIB);
	CHECK(c->ram_base + c->maxmem_mib * MiB <= (1ull << 39));
	CHECK(c->on_poweroff <= ACTION_PRESERVE && c->on_reboot <= ACTION_PRESERVE &&
	      c->on_crash <= ACTION_PRESERVE);
	CHECK(c->ndisks <= CONFIG_MAX_DISKS);
	for (u32 i = 0; i < c->ndisks && i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *d = &c->disks[i];
		size_t t = strnlen(d->target, sizeof(d->target));

		CHECK(terminated(d->vdev, sizeof(d->vdev)) && d->vdev[0]);
		CHECK(t >= 1 && t < sizeof(d->target));
		for (size_t k = 0; k < t; k++)
			CHECK(d->target[k] > ' ' && d->target[k] <= '~');
		/* in strictly increasing letter order: sorted, no letter twice */
		if (i)
			CHECK(config_disk_letter(c->disks[i - 1].vdev) < config_disk_letter(d->vdev));
	}
	check_vifs(c);
}

static void check_error(const struct config_error *e, const uint8_t *data, size_t size)
{
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	CHECK(terminated(e->msg, sizeof(e->msg)) && e->msg[0]);
	CHECK(terminated(e->key, sizeof(e->key)));
	CHECK(e->line <= lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	struct config_error err;

	/* Poison the outputs so that anything left unset shows up as garbage. */
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(&err, 0xa5, sizeof(err));
	if (config_parse((const char *)data, size, &cfg, &err) == 0)
		check_config(&cfg);
	else
		check_error(&err, data, size);
	return 0;
}
