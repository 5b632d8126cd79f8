/* Checking a VM definition read from a pool disk (see vm_def.h). */
#include "storage/vm_def.h"
#include "lib/fmt.h"
#include "lib/string.h"

static int bad(const char **why, const char *text)
{
	*why = text;
	return -1;
}

/* One entry against the package's bounds; records its kind. */
static int check_entry(const struct pkg_entry *e, u64 table_end, u64 total,
		       struct vm_def_head *out, const char **why)
{
	if (e->vm != 0)
		return bad(why, "an entry belongs to another VM than the one defined");
	if (e->kind < PKG_CONFIG || e->kind > PKG_FIRMWARE)
		return bad(why, "an entry of an unknown kind");
	if (out->has[e->kind])
		return bad(why, "two entries of the same kind");
	if (e->offset < table_end || e->offset > total || e->size > total - e->offset)
		return bad(why, "an entry lies outside the package");
	if (strnlen(e->name, PKG_NAME_MAX) == PKG_NAME_MAX)
		return bad(why, "an entry's name is not terminated");
	out->has[e->kind] = true;
	if (e->kind == PKG_CONFIG) {
		out->cfg_offset = e->offset;
		out->cfg_size = e->size;
		memcpy(out->cfg_file, e->name, PKG_NAME_MAX);
	}
	return 0;
}

int vm_def_check_head(const void *buf, u64 avail, u64 part_bytes, struct vm_def_head *out,
		      const char **why)
{
	struct pkg_header h;
	u64 table_end;

	memset(out, 0, sizeof(*out));
	if (avail < sizeof(h))
		return bad(why, "truncated before its package header");
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, PKG_MAGIC, sizeof(h.magic)) != 0)
		return bad(why, "no VM package (bad magic)");
	if (h.version != 1)
		return bad(why, "a VM package of an unknown version");
	if (h.count == 0 || h.count > VM_DEF_MAX_ENTRIES)
		return bad(why, "a VM package with no entries or too many");
	table_end = sizeof(h) + (u64)h.count * sizeof(struct pkg_entry);
	if (table_end > avail || table_end > h.total_size)
		return bad(why, "the package's entry table is truncated");
	if (h.total_size > part_bytes)
		return bad(why, "the package is bigger than its partition");
	out->total = h.total_size;
	for (u32 i = 0; i < h.count; i++) {
		struct pkg_entry e;

		memcpy(&e, (const u8 *)buf + sizeof(h) + (u64)i * sizeof(e), sizeof(e));
		if (check_entry(&e, table_end, h.total_size, out, why))
			return -1;
	}
	if (!out->has[PKG_CONFIG] || out->cfg_size == 0 || out->cfg_size > VM_DEF_CONFIG_MAX)
		return bad(why, "no config, or one of 0 or more than 64 KiB");
	if (!out->has[PKG_KERNEL] && !out->has[PKG_FIRMWARE])
		return bad(why, "neither a kernel nor a firmware");
	return 0;
}

/* The file keys of the config against the package's entries. */
static const char *files_mismatch(const struct vm_def_head *h, const struct vm_config *cfg)
{
	if ((cfg->kernel[0] != '\0') != h->has[PKG_KERNEL])
		return "kernel";
	if ((cfg->ramdisk[0] != '\0') != h->has[PKG_RAMDISK])
		return "ramdisk";
	if ((cfg->firmware[0] != '\0') != h->has[PKG_FIRMWARE])
		return "firmware";
	return NULL;
}

int vm_def_check_config(const struct vm_def_head *h, const char *text, u64 size, const char *name,
			struct vm_config *cfg, char *why, u32 why_size)
{
	struct config_error err;
	const char *key;

	if (config_parse(text, (size_t)size, cfg, &err) != 0) {
		if (err.key[0])
			fmt_snprintf(why, why_size, "%s:%u: %s: %s", h->cfg_file, err.line, err.key,
				     err.msg);
		else
			fmt_snprintf(why, why_size, "%s:%u: %s", h->cfg_file, err.line, err.msg);
		return -1;
	}
	if (strcmp(cfg->name, name) != 0) {
		fmt_snprintf(why, why_size, "%s: name: the config names VM '%s', not the "
			     "partition's '%s'", h->cfg_file, cfg->name, name);
		return -1;
	}
	key = files_mismatch(h, cfg);
	if (key) {
		fmt_snprintf(why, why_size, "%s: %s: the config and the package disagree on "
			     "whether there is a %s", h->cfg_file, key, key);
		return -1;
	}
	return 0;
}
