/*
 * bulkhead-gpt POOL [--repair]: reads a pool's partition table with the
 * hypervisor's own reader (storage/gpt.c), so the host tool's pools are
 * tested against exactly what Bulkhead will accept, before the hypervisor
 * has a disk driver to read them with.
 *
 * Prints one line per copy ("primary: good" or "primary: bad (WHY)"), then
 * one line per volume: NAME FIRST_LBA SECTORS. With --repair, a bad primary
 * is rebuilt from a good backup as the hypervisor would.
 *
 * Exit status: 0 the disk is accepted, 1 refused (the reason on stderr), 2
 * bad usage, the file could not be opened, or the repair failed.
 */
#include <stdio.h>
#include <string.h>

#include "storage/gpt.h"

#define SECTOR 512

static int file_read(void *ctx, u64 lba, void *buf, u32 count)
{
	FILE *f = ctx;

	if (fseeko(f, (off_t)(lba * SECTOR), SEEK_SET) != 0)
		return -1;
	return fread(buf, SECTOR, count, f) == count ? 0 : -1;
}

static int file_write(void *ctx, u64 lba, const void *buf, u32 count)
{
	FILE *f = ctx;

	if (fseeko(f, (off_t)(lba * SECTOR), SEEK_SET) != 0)
		return -1;
	return fwrite(buf, SECTOR, count, f) == count && fflush(f) == 0 ? 0 : -1;
}

static void print_copy(const char *which, const struct gpt_copy *c)
{
	if (c->good)
		printf("%s: good\n", which);
	else
		printf("%s: bad (%s)\n", which, c->why);
}

int main(int argc, char **argv)
{
	static struct gpt_info info;
	struct gpt_disk disk = { .read = file_read, .write = file_write, .sector_size = SECTOR };
	bool repair = argc == 3 && strcmp(argv[2], "--repair") == 0;
	FILE *f;

	if (argc != 2 && !repair) {
		fprintf(stderr, "usage: bulkhead-gpt POOL [--repair]\n");
		return 2;
	}
	f = fopen(argv[1], repair ? "r+b" : "rb");
	if (!f || fseeko(f, 0, SEEK_END) != 0) {
		perror(argv[1]);
		return 2;
	}
	disk.ctx = f;
	disk.sectors = (u64)ftello(f) / SECTOR;
	if (gpt_parse(&disk, &info) != 0) {
		fprintf(stderr, "%s: refused: %s\n", argv[1], info.why);
		fclose(f);
		return 1;
	}
	if (repair && !info.primary.good && gpt_repair_primary(&disk, &info) != 0) {
		fprintf(stderr, "%s: the primary could not be rebuilt\n", argv[1]);
		fclose(f);
		return 2;
	}
	print_copy("primary", &info.primary);
	print_copy("backup", &info.backup);
	for (u32 i = 0; i < info.nvolumes; i++)
		printf("%s %llu %llu\n", info.volumes[i].name,
		       (unsigned long long)info.volumes[i].first_lba,
		       (unsigned long long)info.volumes[i].sectors);
	return fclose(f) == 0 ? 0 : 2;
}
