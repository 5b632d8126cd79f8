/*
 * libFuzzer target for the VM package reader (core/package.c). The input is
 * opened as a package, once whole and once with only its first half
 * "loaded", each from an exactly-sized copy so ASan sees any read past what
 * package_open was given. When a package opens, every blob package_find
 * returns must lie within the input (within the package's own size, in
 * fact) and carry a name terminated within PKG_NAME_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "core/package.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static volatile u64 sink;

static void check_blob(const struct pkg_blob *b, const u8 *base, u64 avail, u64 pkg_size)
{
	const u8 *end = base + avail;

	CHECK(pkg_size <= avail);
	CHECK(b->data >= base && b->data <= end);
	CHECK(b->size <= (u64)(end - b->data));
	CHECK(b->size <= (u64)(base + pkg_size - b->data));
	CHECK((const u8 *)b->name >= base && (const u8 *)b->name + PKG_NAME_MAX <= end);
	CHECK(memchr(b->name, '\0', PKG_NAME_MAX) != NULL);
	/* touch the first and last byte so ASan checks them */
	if (b->size)
		sink += b->data[0] + b->data[b->size - 1];
	sink += strlen(b->name);
}

static void try_open(const u8 *data, u64 avail)
{
	struct package pkg;
	struct pkg_blob b;
	const char *why = NULL;
	u8 *copy = malloc(avail ? avail : 1);
	u32 configs;

	if (!copy)
		return;
	memcpy(copy, data, avail);
	if (package_open(&pkg, copy, avail, &why) != 0) {
		CHECK(why != NULL && why[0] != '\0');
		free(copy);
		return;
	}
	CHECK(pkg.size <= avail);
	configs = package_vm_count(&pkg);
	CHECK(configs <= pkg.hdr->count);
	/* every (vm, kind) an entry names, and a few nobody names */
	for (u32 i = 0; i < pkg.hdr->count; i++) {
		const struct pkg_entry *e = &pkg.entries[i];

		CHECK(package_find(&pkg, e->vm, (enum pkg_kind)e->kind, &b));
		check_blob(&b, copy, avail, pkg.size);
	}
	for (u32 vm = 0; vm <= configs + 1; vm++) {
		for (u32 kind = 0; kind <= 4; kind++) {
			if (package_find(&pkg, vm, (enum pkg_kind)kind, &b))
				check_blob(&b, copy, avail, pkg.size);
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	try_open(data, size);
	try_open(data, size / 2);
	return 0;
}
