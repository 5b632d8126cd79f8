/*
 * The VM package `bulkhead image` appends to the hypervisor: configs and the
 * kernels, ramdisks and firmware images they name. It starts at the first
 * 4 KiB boundary after the hypervisor's own memory image (_end). All offsets
 * are from the package start; the hypervisor validates every one before use.
 */
#ifndef BULKHEAD_CORE_PACKAGE_H
#define BULKHEAD_CORE_PACKAGE_H

#include "types.h"

#define PKG_MAGIC "BHPKG001"
#define PKG_NAME_MAX 48

enum pkg_kind { PKG_CONFIG = 1, PKG_KERNEL = 2, PKG_RAMDISK = 3, PKG_FIRMWARE = 4 };

struct pkg_header {
	char magic[8];
	u32 version;     /* 1 */
	u32 count;       /* entries that follow */
	u64 total_size;  /* header, entries and data */
};

struct pkg_entry {
	u32 kind;
	u32 vm;          /* index of the VM this belongs to */
	u64 offset;
	u64 size;
	char name[PKG_NAME_MAX]; /* file name, for messages */
};

struct pkg_blob {
	const u8 *data;
	u64 size;
	const char *name;
};

struct package {
	const struct pkg_header *hdr;
	const struct pkg_entry *entries;
	u64 size;
};

/* Validates a package at `base` with at most `avail` bytes loaded. */
int package_open(struct package *pkg, const void *base, u64 avail, const char **why);
u32 package_vm_count(const struct package *pkg);
bool package_find(const struct package *pkg, u32 vm, enum pkg_kind kind, struct pkg_blob *out);

#endif
