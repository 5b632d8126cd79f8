/*
 * What the guest needs from its device tree: RAM, the console UART, the
 * PSCI conduit and the command line. Runs with the MMU off, before anything
 * can be printed, so it only records; the dtb check reports.
 */
#include "guests/test/guest.h"
#include "lib/string.h"

static int find_memory(const struct fdt *fdt)
{
	int root = fdt_root(fdt);

	for (int n = fdt_first_child(fdt, root); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_prop_string(fdt, n, "device_type");

		if (fdt_node_name_is(fdt, n, "memory") || (type && !strcmp(type, "memory")))
			return n;
	}
	return -1;
}

/* stdout-path is "path-or-alias[:options]". */
static int find_stdout(const struct fdt *fdt)
{
	int chosen = fdt_find_path(fdt, "/chosen");
	const char *sp = chosen >= 0 ? fdt_prop_string(fdt, chosen, "stdout-path") : NULL;
	char path[128];
	char *colon;

	if (!sp)
		return -1;
	strlcpy(path, sp, sizeof(path));
	colon = strchr(path, ':');
	if (colon)
		*colon = '\0';
	if (path[0] != '/') {
		int aliases = fdt_find_path(fdt, "/aliases");
		const char *target = aliases >= 0 ? fdt_prop_string(fdt, aliases, path) : NULL;

		if (!target)
			return -1;
		strlcpy(path, target, sizeof(path));
	}
	return fdt_find_path(fdt, path);
}

static bool psci_uses_smc(const struct fdt *fdt)
{
	int psci = fdt_find_path(fdt, "/psci");
	const char *method;

	if (psci < 0)
		psci = fdt_find_compatible(fdt, -1, "arm,psci-0.2");
	method = psci >= 0 ? fdt_prop_string(fdt, psci, "method") : NULL;
	return method && !strcmp(method, "smc");
}

void dt_parse(struct platform *p)
{
	const struct fdt *fdt = &p->fdt;
	u64 size;
	int node;

	p->dtb_size = fdt_header_size((const void *)p->dtb_addr);
	if (!p->dtb_size || fdt_open(&p->fdt, (const void *)p->dtb_addr, p->dtb_size) < 0)
		return;
	p->fdt_ok = true;

	node = find_memory(fdt);
	if (node >= 0 && fdt_get_reg(fdt, node, 0, &p->ram_base, &p->ram_size) && p->ram_size)
		p->has_memory = true;

	node = find_stdout(fdt);
	if (node < 0 || !fdt_is_compatible(fdt, node, "arm,pl011"))
		node = fdt_find_compatible(fdt, -1, "arm,pl011");
	if (node >= 0 && !fdt_get_reg(fdt, node, 0, &p->uart_base, &size))
		p->uart_base = 0;

	node = fdt_find_path(fdt, "/chosen");
	if (node >= 0)
		p->bootargs = fdt_prop_string(fdt, node, "bootargs");
	p->psci_smc = psci_uses_smc(fdt);
}

/* Copies the value of the first "key=value" word into out (empty if none). */
void find_word(const char *args, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *s = args;

	out[0] = '\0';
	while (s && *s) {
		size_t len = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		while (s[len] && s[len] != ' ' && s[len] != '\t')
			len++;
		if (len > klen && !strncmp(s, key, klen)) {
			size_t vlen = len - klen;

			if (vlen >= size)
				vlen = size - 1;
			memcpy(out, s + klen, vlen);
			out[vlen] = '\0';
			return;
		}
		s += len;
	}
}

void bootargs_parse(struct platform *p)
{
	char ms[12];

	find_word(p->bootargs, "test=", p->mode, sizeof(p->mode));
	if (!p->mode[0])
		strlcpy(p->mode, "all", sizeof(p->mode));
	find_word(p->bootargs, "name=", p->name, sizeof(p->name));
	find_word(p->bootargs, "ms=", ms, sizeof(ms));
	p->ms = 0;
	for (const char *c = ms; *c >= '0' && *c <= '9' && p->ms < 10000000; c++)
		p->ms = p->ms * 10 + (u32)(*c - '0');
	if (!p->name[0])
		strlcpy(p->name, "test guest", sizeof(p->name));
}
