/*
 * A VM definition on a pool disk (`bulkhead pool add-vm`): a partition of
 * type GPT_BULKHEAD_VM_DEF_TYPE holding a one-VM package in the boot image's
 * format (core/package.h) from its first byte: the config, the kernel
 * (already decompressed by the host tool, as for the boot image), the
 * ramdisk and the firmware, each at most once.
 *
 * The disk is untrusted: these checks see every byte of the header and
 * entries before any offset is believed, and they are pure (no I/O) so the
 * unit tests and tests/fuzz/fuzz_vm_def.c run them on anything.
 */
#ifndef BULKHEAD_STORAGE_VM_DEF_H
#define BULKHEAD_STORAGE_VM_DEF_H

#include "types.h"
#include "core/config.h"
#include "core/package.h"

/* Entries: a config, a kernel, a ramdisk, a firmware. */
#define VM_DEF_MAX_ENTRIES 4
/* The header and its entries fit the first 512-byte sector. */
#define VM_DEF_HEAD_BYTES 512
/* A config bigger than this is not one anyone wrote. */
#define VM_DEF_CONFIG_MAX (64 * 1024)

struct vm_def_head {
	u64 total;                    /* the package's bytes: header, entries, data */
	u64 cfg_offset, cfg_size;     /* the config's bytes within the package */
	char cfg_file[PKG_NAME_MAX];  /* its file name, for messages */
	bool has[PKG_FIRMWARE + 1];   /* by enum pkg_kind */
};

/*
 * Checks the header and entries in the first `avail` bytes at `buf`, for a
 * partition of `part_bytes`: magic, version 1, 1 to VM_DEF_MAX_ENTRIES
 * entries all in the first `avail` bytes, total_size within the partition,
 * every entry for VM 0 of a known kind given once, its data after the entry
 * table and inside total_size (no sum wraps), its name NUL-terminated; one
 * config of 1 to VM_DEF_CONFIG_MAX bytes, and a kernel or a firmware.
 * 0, or -1 with `why` set (a static string).
 */
int vm_def_check_head(const void *buf, u64 avail, u64 part_bytes, struct vm_def_head *out,
		      const char **why);

/*
 * Parses the config (`size` bytes of `text`, the hypervisor's own parser)
 * and checks it against the package: its name must be the partition's
 * `name`, and it names a kernel, ramdisk and firmware exactly when the
 * package holds one. 0, or -1 with `why` (FILE:LINE: KEY: ... for a config
 * error) written.
 */
int vm_def_check_config(const struct vm_def_head *h, const char *text, u64 size, const char *name,
			struct vm_config *cfg, char *why, u32 why_size);

#endif
