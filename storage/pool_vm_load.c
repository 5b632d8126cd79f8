/*
 * `create NAME` of a VM defined on the pool (pool_vms.h): its package is
 * read from the disk into pages of Bulkhead's own, a few requests of 64 KiB
 * at a time, moved on by the disk's completions in CPU 0's deferred work (no
 * CPU waits for the disk), then checked again in full (the disk may have
 * changed since the boot scan, and is untrusted) and the VM is created from
 * it. One load at a time; a disk that never answers leaves the load busy.
 *
 * The package then belongs to the VM (vm->pkg): a reboot or restart loads
 * the kernel from it again. vm_free() hands it back to package_put(), which
 * scrubs and frees the pages.
 */
#include "arch.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/pool_vms.h"
#include "storage/vm_def.h"

#define LOAD_CHUNK_SECTORS 128   /* 64 KiB a request */
#define LOAD_INFLIGHT 4
#define SECTOR 512

/* A package read from the pool, owned by a VM (or by the load under way). */
struct loaded {
	bool used;
	char name[GPT_NAME_MAX + 1];
	struct package pkg;
	paddr_t pages;
	u64 npages;
};

static struct loaded loaded[POOL_VM_MAX];
static struct spinlock loaded_lock;

static struct {
	bool busy;
	struct loaded *rec;
	struct blk_disk *disk;
	u64 first_lba;           /* the partition's */
	u64 part_bytes;
	u64 next, end;           /* sectors of the partition: next to ask for, end of the package */
	u32 inflight;
	bool failed;
	struct blk_request rq[LOAD_INFLIGHT];
	bool rq_busy[LOAD_INFLIGHT];
	struct work work;
} job;

static struct vm_config load_cfg;

static void package_put(const struct package *pkg)
{
	struct loaded *rec = (struct loaded *)((char *)pkg - __builtin_offsetof(struct loaded, pkg));

	arch_scrub(pa_to_ptr(rec->pages), rec->npages * PAGE_SIZE);
	page_free(&hv_pages, rec->pages, rec->npages);
	spin_lock(&loaded_lock);
	rec->used = false;
	spin_unlock(&loaded_lock);
}

static bool name_loaded(const char *name)
{
	bool found = false;

	spin_lock(&loaded_lock);
	for (u32 i = 0; i < POOL_VM_MAX && !found; i++)
		found = loaded[i].used && !strcmp(loaded[i].name, name);
	spin_unlock(&loaded_lock);
	return found;
}

static struct loaded *claim_record(const char *name)
{
	struct loaded *rec = NULL;

	spin_lock(&loaded_lock);
	for (u32 i = 0; i < POOL_VM_MAX && !rec; i++) {
		if (!loaded[i].used) {
			rec = &loaded[i];
			memset(rec, 0, sizeof(*rec));
			rec->used = true;
			strlcpy(rec->name, name, sizeof(rec->name));
		}
	}
	spin_unlock(&loaded_lock);
	return rec;
}

static void end_job(void)
{
	__atomic_store_n(&job.busy, false, __ATOMIC_RELEASE);
}

static void fail(const char *why)
{
	hv_err("vm '%s': reading it from pool disk %s failed: %s; VM not created", job.rec->name,
	       job.disk->name, why);
	package_put(&job.rec->pkg);
	end_job();
}

/* Everything checked again on the whole package, then the VM created. */
static void finish(void)
{
	const u8 *base = pa_to_ptr(job.rec->pages);
	struct vm_def_head h;
	const char *why;
	char text[200];

	if (vm_def_check_head(base, job.part_bytes, job.part_bytes, &h, &why) ||
	    package_open(&job.rec->pkg, base, h.total, &why)) {
		fail(why);
		return;
	}
	if (vm_def_check_config(&h, (const char *)base + h.cfg_offset, h.cfg_size, job.rec->name,
				&load_cfg, text, sizeof(text))) {
		fail(text);
		return;
	}
	end_job();
	/* from here the VM owns the package: it calls package_put on any failure */
	vm_create_from_pool(&job.rec->pkg, package_put);
}

static void io_done(struct blk_request *rq, enum blk_status status)
{
	job.rq_busy[rq - job.rq] = false;
	job.inflight--;
	if (status != BLK_OK)
		job.failed = true;
	work_queue(&job.work, 0);
}

static void load_step(struct work *w, u64 now)
{
	(void)w;
	if (!__atomic_load_n(&job.busy, __ATOMIC_ACQUIRE))
		return;
	for (u32 i = 0; i < LOAD_INFLIGHT && !job.failed && job.next < job.end; i++) {
		u64 count = job.end - job.next < LOAD_CHUNK_SECTORS ? job.end - job.next :
								      LOAD_CHUNK_SECTORS;
		int ret;

		if (job.rq_busy[i])
			continue;
		job.rq[i] = (struct blk_request){
			.op = BLK_READ, .sector = job.first_lba + job.next, .count = (u32)count,
			.buf = pa_init(pa_addr(job.rec->pages) + job.next * SECTOR),
			.done = io_done, .ctx = &job };
		job.rq_busy[i] = true;
		job.inflight++;
		ret = blk_submit(job.disk, &job.rq[i]);
		if (ret == 0) {
			job.next += count;
			continue;
		}
		job.rq_busy[i] = false;
		job.inflight--;
		if (ret != BLK_SUBMIT_BUSY)
			job.failed = true;
		else if (!job.inflight)  /* nothing of ours will wake us: look again in 1 ms */
			work_queue(&job.work, now + arch_counter_freq() / 1000);
		break;
	}
	if (job.inflight)
		return;
	if (job.failed)
		fail("the disk failed or refused a read");
	else if (job.next == job.end)
		finish();
}

/* The refusals before anything is taken. */
static int may_start(const struct pool_vm *p, u64 npages, char *buf, u32 size, const char **why)
{
	u64 free = hv_pages.free_pages * PAGE_SIZE;
	u64 need = npages * PAGE_SIZE + p->need_mib * MiB;

	if (__atomic_load_n(&job.busy, __ATOMIC_ACQUIRE)) {
		*why = "another VM is being read from the pool; try again when it is created";
		return -1;
	}
	if (name_loaded(p->name)) {
		*why = "a VM of that name exists already";
		return -1;
	}
	if (free < need) {
		fmt_snprintf(buf, size, "not enough free memory: needs %llu MiB (%llu MiB of RAM, "
			     "%llu MiB for its files from the pool), %llu MiB free",
			     (unsigned long long)((need + MiB - 1) / MiB),
			     (unsigned long long)p->need_mib,
			     (unsigned long long)((npages * PAGE_SIZE + MiB - 1) / MiB),
			     (unsigned long long)(free / MiB));
		*why = buf;
		return -1;
	}
	return 0;
}

int pool_vm_start(const char *name, char *buf, u32 size, const char **why)
{
	const struct pool_vm *p = pool_vm_find(name);
	u64 sectors, npages;
	paddr_t pages;

	if (!p) {
		*why = "no VM of that name in the boot image or the pool";
		return -1;
	}
	sectors = (p->total + SECTOR - 1) / SECTOR;
	npages = (sectors * SECTOR + PAGE_SIZE - 1) / PAGE_SIZE;
	if (may_start(p, npages, buf, size, why))
		return -1;
	pages = page_alloc(&hv_pages, npages, PAGE_SIZE);
	if (!pa_addr(pages)) {
		fmt_snprintf(buf, size, "no run of %llu KiB of free memory for its files from the "
			     "pool", (unsigned long long)(npages * PAGE_SIZE / KiB));
		*why = buf;
		return -1;
	}
	job.rec = claim_record(name);
	if (!job.rec) {
		page_free(&hv_pages, pages, npages);
		*why = "too many VMs from the pool exist";
		return -1;
	}
	job.rec->pages = pages;
	job.rec->npages = npages;
	/* the tail of the last page past the package is never read: no stale bytes */
	memset((u8 *)pa_to_ptr(pages) + sectors * SECTOR, 0, npages * PAGE_SIZE - sectors * SECTOR);
	job.disk = p->disk;
	job.first_lba = p->first_lba;
	job.part_bytes = sectors * SECTOR;
	job.next = 0;
	job.end = sectors;
	job.inflight = 0;
	job.failed = false;
	memset(job.rq_busy, 0, sizeof(job.rq_busy));
	work_init(&job.work, load_step, 0);
	__atomic_store_n(&job.busy, true, __ATOMIC_RELEASE);
	hv_info("vm '%s': reading its %llu KiB from pool disk %s", name,
		(unsigned long long)(p->total + KiB - 1) / KiB, p->disk->name);
	work_queue(&job.work, 0);
	return 0;
}
