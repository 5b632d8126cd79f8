/*
 * bulkhead-kernel: plans a VM's boot with the hypervisor's own code
 * (core/boot_plan.c), so that `bulkhead check` refuses exactly the kernels,
 * and the ramdisks beside them, that the hypervisor would refuse after boot.
 *
 *   bulkhead-kernel RAM_BASE RAM_SIZE RAW NAME [RAMDISK_NAME RAMDISK_SIZE] < KERNEL
 *
 * The kernel comes on standard input, already decompressed by the caller.
 * Exit status: 0 it fits (the format on stdout), 1 refused ("KEY: WHY" on
 * stderr), 2 bad usage or input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot_plan.h"

/* Bulkhead's RAM limit per VM (1 TiB) bounds what a kernel may be. */
#define MAX_KERNEL_SIZE ((size_t)1 << 31)

static u8 *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	u8 *buf = malloc(cap);

	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f))
			break;
		if (n < cap) {
			*len = n;
			return buf;
		}
		if (cap >= MAX_KERNEL_SIZE)
			break;
		cap *= 2;
		u8 *grown = realloc(buf, cap);

		if (!grown)
			break;
		buf = grown;
	}
	free(buf);
	return NULL;
}

static bool number(const char *s, u64 *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return *s && !*end && !errno;
}

int main(int argc, char **argv)
{
	struct boot_files f;
	struct boot_layout b;
	const char *key = "kernel";
	char why[200];
	u64 raw = 0;
	size_t len;

	memset(&f, 0, sizeof(f));
	if ((argc != 5 && argc != 7) || !number(argv[1], &f.ram_base) ||
	    !number(argv[2], &f.ram_size) || !number(argv[3], &raw) ||
	    (argc == 7 && !number(argv[6], &f.ramdisk_size))) {
		fprintf(stderr, "usage: bulkhead-kernel RAM_BASE RAM_SIZE RAW NAME "
			"[RAMDISK_NAME RAMDISK_SIZE] < KERNEL\n");
		return 2;
	}
	f.kernel_raw = raw != 0;
	f.kernel_name = argv[4];
	f.has_ramdisk = argc == 7;
	f.ramdisk_name = f.has_ramdisk ? argv[5] : "";
	f.kernel = read_all(stdin, &len);
	if (!f.kernel) {
		fprintf(stderr, "bulkhead-kernel: reading the kernel failed\n");
		return 2;
	}
	f.kernel_size = len;
	if (boot_plan(&f, &b, &key, why, sizeof(why))) {
		fprintf(stderr, "%s: %s\n", key, why);
		return 1;
	}
	printf("%s\n", b.format);
	return 0;
}
