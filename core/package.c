/* Reading the VM package appended to the hypervisor image. */
#include "core/package.h"
#include "lib/string.h"

int package_open(struct package *pkg, const void *base, u64 avail, const char **why)
{
	const struct pkg_header *h = base;
	u64 table_end;

	if (avail < sizeof(*h) || memcmp(h->magic, PKG_MAGIC, sizeof(h->magic)) != 0) {
		*why = "no VM package follows the hypervisor image (build one with `bulkhead image`)";
		return -1;
	}
	table_end = sizeof(*h) + (u64)h->count * sizeof(struct pkg_entry);
	if (h->version != 1 || h->total_size > avail || table_end > h->total_size) {
		*why = "the VM package is truncated or of an unknown version";
		return -1;
	}
	pkg->hdr = h;
	pkg->entries = (const struct pkg_entry *)(h + 1);
	pkg->size = h->total_size;
	for (u32 i = 0; i < h->count; i++) {
		const struct pkg_entry *e = &pkg->entries[i];

		if (e->offset < table_end || e->offset > pkg->size || e->size > pkg->size - e->offset ||
		    strnlen(e->name, PKG_NAME_MAX) == PKG_NAME_MAX) {
			*why = "a VM package entry lies outside the package";
			return -1;
		}
	}
	return 0;
}

u32 package_vm_count(const struct package *pkg)
{
	u32 n = 0;

	for (u32 i = 0; i < pkg->hdr->count; i++) {
		if (pkg->entries[i].kind == PKG_CONFIG)
			n++;
	}
	return n;
}

bool package_find(const struct package *pkg, u32 vm, enum pkg_kind kind, struct pkg_blob *out)
{
	for (u32 i = 0; i < pkg->hdr->count; i++) {
		const struct pkg_entry *e = &pkg->entries[i];

		if (e->vm == vm && e->kind == (u32)kind) {
			out->data = (const u8 *)pkg->hdr + e->offset;
			out->size = e->size;
			out->name = e->name;
			return true;
		}
	}
	return false;
}
