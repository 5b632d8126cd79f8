/*
 * VM lifecycle: create from the boot package, reset (reboot/restart),
 * stop (preserve) and destroy. A VM is either fully built or not at all:
 * every failure path releases what was taken and names the reason.
 */
#include <stdarg.h>

#include "core/boot_option.h"
#include "core/cpu.h"
#include "core/firmware.h"
#include "core/guest_layout.h"
#include "core/loader.h"
#include "core/log.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/vm.h"
#include "core/vm_ram.h"
#include "core/vm_volumes.h"
#include "core/workqueue.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/pool_vms.h"

struct vm vms[MAX_VMS];
static struct spinlock vms_lock;
static u32 vm_crashes;
static u32 next_vm_id = 1;

/*
 * The interrupt controller's model already holds the change. A vCPU about
 * to block in WFI checks the model under its run queue lock, and
 * sched_wake() looks at its state under the same lock, so either the WFI
 * sees the interrupt or the wake undoes the block. A running vCPU elsewhere
 * is interrupted so that it refreshes what its CPU holds of its interrupts;
 * one that is not on a CPU picks the change up when it is loaded.
 */
void vcpu_kick(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->irq_dirty, true, __ATOMIC_RELEASE);
	vcpu_notify(vcpu);
}

void vcpu_notify(struct vcpu *vcpu)
{
	if (sched_running_here(vcpu))
		return;  /* e.g. its own timer: it looks at irq_dirty before it re-enters */
	if (sched_wake(vcpu))
		return;
	if (__atomic_load_n(&vcpu->running, __ATOMIC_ACQUIRE) && vcpu->pcpu != arch_cpu_index())
		arch_kick_cpu_irq(vcpu->pcpu);
}

/* A VM that references may still be taken on: built, and not being destroyed. */
static bool alive(const struct vm *vm)
{
	return vm->state == VM_RUNNING || vm->state == VM_STOPPED;
}

/*
 * A destroyed VM's RAM goes back to the pool in the background, a bounded
 * step at a time with a pause between steps, so that a big VM's teardown
 * never holds a CPU from the VMs that share it: each page is scrubbed, then
 * freed, so nothing reaches anyone else unscrubbed. The RAM leaves the VM's
 * slot for a record of its own, and the slot is free at once.
 */
#define RAM_RELEASE_STEP (2 * MiB)
/* Between steps: the CPU is the other VMs' for at least this long. */
#define RAM_RELEASE_GAP_PER_SECOND 2000

struct ram_release {
	struct guest_ram ram;
	u64 pos;
	struct work work;
	bool busy;
};

static struct ram_release ram_releases[MAX_VMS];
static struct spinlock ram_release_lock;

static void ram_release_run(struct work *w, u64 now)
{
	struct ram_release *rr = (struct ram_release *)((char *)w - __builtin_offsetof(struct ram_release, work));

	(void)now;
	if (!guest_ram_release_step(&rr->ram, &hv_pages, &rr->pos, RAM_RELEASE_STEP)) {
		work_queue(w, arch_counter_read() + arch_counter_freq() / RAM_RELEASE_GAP_PER_SECOND);
		return;
	}
	spin_lock(&ram_release_lock);
	rr->busy = false;
	spin_unlock(&ram_release_lock);
}

/* Hands the VM's RAM to a background release (at once when no record is
 * free, which cannot be: there is one per VM slot). */
static void release_ram_later(struct vm *vm)
{
	struct ram_release *rr = NULL;

	spin_lock(&ram_release_lock);
	for (u32 i = 0; i < MAX_VMS && !rr; i++) {
		if (!ram_releases[i].busy) {
			rr = &ram_releases[i];
			rr->busy = true;
		}
	}
	spin_unlock(&ram_release_lock);
	if (!rr) {
		guest_ram_release(&vm->ram, &hv_pages);
		return;
	}
	rr->ram = vm->ram;
	rr->pos = 0;
	vm->ram = (struct guest_ram){ 0 };
	work_init(&rr->work, ram_release_run, arch_cpu_index());
	work_queue(&rr->work, 0);
}

/* Returns memory to the pool only after wiping it: the next owner must never
 * see this VM's data. The last reference is gone: nothing looks at it. */
static void vm_free(struct vm *vm)
{
	if (vm->con.buf) {
		arch_scrub(vm->con.buf, PAGE_SIZE);  /* it held the guest's output */
		page_free(&hv_pages, ptr_to_pa(vm->con.buf), 1);
		vm->con.buf = NULL;
	}
	vboard_destroy(vm);
	vm_detach_volumes(vm);  /* its devices are gone: nothing submits any more */
	dev_arena_release(&vm->dev_mem);  /* its vCPUs, board and devices' state */
	vm->vcpus = NULL;
	vm->board = NULL;
	arch_stage2_destroy(&vm->s2);  /* no CPU's TLB reaches its pages from here */
	firmware_release(vm);
	release_ram_later(vm);
	if (vm->pkg_put)
		vm->pkg_put(vm->pkg);  /* its RAM holds its copy of the kernel: no one needs this */
	vm->pkg_put = NULL;
	vm->pkg = NULL;
	spin_lock(&vms_lock);
	vm->state = VM_FREE;
	spin_unlock(&vms_lock);
}

bool vm_get(struct vm *vm)
{
	bool got;

	spin_lock(&vms_lock);
	got = alive(vm);
	if (got)
		vm->refs++;
	spin_unlock(&vms_lock);
	return got;
}

void vm_put(struct vm *vm)
{
	u32 left;

	spin_lock(&vms_lock);
	left = --vm->refs;
	spin_unlock(&vms_lock);
	if (!left)
		vm_free(vm);
}

/* Last references dropped in interrupt context, for the work to put. */
static struct vm *put_list;

static void put_list_run(struct work *w, u64 now)
{
	struct vm *list;

	(void)w;
	(void)now;
	spin_lock(&vms_lock);
	list = put_list;
	put_list = NULL;
	spin_unlock(&vms_lock);
	while (list) {
		struct vm *vm = list;

		list = vm->put_next;
		vm->put_next = NULL;
		vm_put(vm);
	}
}

static struct work put_work = { .fn = put_list_run, .cpu = 0 };

void vm_put_soon(struct vm *vm)
{
	bool last;

	spin_lock(&vms_lock);
	last = vm->refs == 1;
	if (last) {
		vm->put_next = put_list;
		put_list = vm;
	} else {
		vm->refs--;
	}
	spin_unlock(&vms_lock);
	if (last)
		work_queue(&put_work, 0);
}

/*
 * The VM goes: no new references, no vCPU runs again; its devices and memory
 * go with the last reference (at once, unless the console or the shell is
 * looking at it right now).
 */
static void release(struct vm *vm)
{
	spin_lock(&vms_lock);
	vm->state = VM_DYING;
	spin_unlock(&vms_lock);
	if (vm->con.buf)
		console_ring_unregister(&vm->con);
	if (vm->vcpus) {
		for (u32 i = 0; i < vm->nvcpus; i++) {
			if (vm->vcpus[i].vm)
				sched_remove(&vm->vcpus[i]);
		}
	}
	/* a vif's switch port holds a reference: off the switch first */
	vboard_unplug(vm);
	vm_put(vm);
}

static struct vm *claim_slot(void)
{
	struct vm *found = NULL;

	spin_lock(&vms_lock);
	for (u32 i = 0; i < MAX_VMS && !found; i++) {
		if (vms[i].state == VM_FREE) {
			found = &vms[i];
			memset(found, 0, sizeof(*found));
			found->state = VM_STOPPED;
			found->refs = 1;  /* its existence */
			found->id = next_vm_id++;
		}
	}
	spin_unlock(&vms_lock);
	return found;
}

static int parse_config(struct vm *vm, const struct pkg_blob *cfg)
{
	struct config_error err;

	strlcpy(vm->cfg_file, cfg->name, sizeof(vm->cfg_file));
	if (config_parse((const char *)cfg->data, cfg->size, &vm->cfg, &err) == 0)
		return 0;
	if (err.line && err.key[0])
		hv_err("%s:%u: %s: %s; VM not created", cfg->name, err.line, err.key, err.msg);
	else if (err.key[0])
		hv_err("%s: %s: %s; VM not created", cfg->name, err.key, err.msg);
	else
		hv_err("%s:%u: %s; VM not created", cfg->name, err.line, err.msg);
	return -1;
}

static int map_run(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	return arch_stage2_map(ctx, ipa, pa, size, S2_RAM);
}

/*
 * Its RAM from the pool, scrubbed, in as few runs as the pool has (mapped
 * with the largest stage-2 blocks they allow). Refused before anything is
 * taken when the pool cannot hold it; the pages taken by a populate that
 * still ran out go back with the VM (vm_free).
 */
static int alloc_memory(struct vm *vm)
{
	u64 size = vm->cfg.maxmem_mib * MiB;
	u64 free = hv_pages.free_pages * PAGE_SIZE;

	if (free < size + 2 * GRAM_CHUNKS(size) * sizeof(struct gram_chunk) ||
	    guest_ram_create(&vm->ram, &hv_pages, vm->cfg.ram_base, size) ||
	    guest_ram_populate(&vm->ram, &hv_pages)) {
		hv_err("vm '%s': not enough free memory: needs %llu MiB, %llu MiB free; "
		       "VM not created", vm->cfg.name, (unsigned long long)vm->cfg.maxmem_mib,
		       (unsigned long long)(free / MiB));
		return -1;
	}
	/* the VMID is the slot's, not the ever-growing id: unique among live
	 * VMs (a slot is reused only after its stage 2 and TLB entries are
	 * gone) and within the 8 bits every CPU has */
	vm->ram_faults_filled = 0;
	vm->ram_faults_refused = 0;
	if (arch_stage2_init(&vm->s2, (u16)(vm - vms + 1)) ||
	    guest_ram_for_each_run(&vm->ram, map_run, &vm->s2)) {
		hv_err("vm '%s': no memory for its stage-2 tables; VM not created", vm->cfg.name);
		return -1;
	}
	return 0;
}

/* A shared vCPU goes to the least loaded CPU of `cpus`; a pinned one gets a
 * CPU of its own. */
static int place_vcpu(struct vm *vm, u32 i)
{
	int cpu = vm->cfg.pinned ? sched_reserve_cpu(vm->cfg.cpu_mask) :
				   sched_pick_cpu(vm->cfg.cpu_mask);

	if (cpu < 0 && vm->cfg.pinned) {
		hv_err("vm '%s': sched = \"pinned\" needs a free physical CPU for each of its %u "
		       "vCPUs, and `cpus` has only %u; VM not created", vm->cfg.name, vm->nvcpus, i);
		return -1;
	}
	if (cpu < 0) {
		hv_err("vm '%s': `cpus` names no online CPU that a pinned VM does not own; "
		       "VM not created", vm->cfg.name);
		return -1;
	}
	/* only a placed vCPU gets its VM: release() removes exactly those */
	vm->vcpus[i].vm = vm;
	vm->vcpus[i].id = i;
	vm->vcpus[i].state = VCPU_OFF;
	vm->vcpus[i].affinity = vm->cfg.cpu_mask;
	sched_add(&vm->vcpus[i], (u32)cpu);
	return 0;
}

/* The CPU features its config asks for: an error names the key and its line. */
static int prepare_arch(struct vm *vm)
{
	char why[160];

	if (arch_vm_prepare(vm, why, sizeof(why)) == 0)
		return 0;
	hv_err("%s:%u: sve: %s; VM not created", vm->cfg_file, vm->cfg.sve_line, why);
	return -1;
}

/* Where its RAM went: the host address of its first run, and how many runs
 * when the pool had no single one. */
static void log_ram(const struct vm *vm)
{
	paddr_t first = pa_init(0);
	u64 runs = guest_ram_runs(&vm->ram, &first);
	char more[32] = "";

	if (runs > 1)
		fmt_snprintf(more, sizeof(more), " in %llu runs", (unsigned long long)runs);
	hv_info("vm %u '%s' (%s): %u vCPU%s, RAM IPA 0x%llx-0x%llx -> PA 0x%llx (%llu MiB%s)",
		vm->id, vm->cfg.name, vm->cfg_file, vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
		(unsigned long long)vm->ram.base, (unsigned long long)(vm->ram.base + vm->ram.size),
		(unsigned long long)pa_addr(first), (unsigned long long)(vm->ram.size / MiB), more);
}

static int alloc_firmware(struct vm *vm)
{
	char why[160];

	if (!vm->cfg.firmware[0])
		return 0;
	if (firmware_map(vm, why, sizeof(why)) == 0)
		return 0;
	hv_err("vm '%s': %s; VM not created", vm->cfg.name, why);
	return -1;
}

static int alloc_console(struct vm *vm)
{
	paddr_t pa = page_alloc(&hv_pages, 1, PAGE_SIZE);

	if (!pa_addr(pa)) {
		hv_err("vm '%s': no memory for its console ring; VM not created", vm->cfg.name);
		return -1;
	}
	console_ring_init(&vm->con, vm->cfg.name, pa_to_ptr(pa), PAGE_SIZE);
	if (!console_ring_register(&vm->con)) {
		page_free(&hv_pages, pa, 1);
		vm->con.buf = NULL;
		hv_err("vm '%s': no free console ring; VM not created", vm->cfg.name);
		return -1;
	}
	return 0;
}

static int alloc_vcpus(struct vm *vm)
{
	vm->vcpus = vm_dev_alloc(vm, vm->cfg.vcpus * sizeof(struct vcpu));
	if (!vm->vcpus) {
		hv_err("vm '%s': no memory for %u vCPUs; VM not created", vm->cfg.name, vm->cfg.vcpus);
		return -1;
	}
	vm->nvcpus = vm->cfg.vcpus;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (place_vcpu(vm, i))
			return -1;
	}
	return 0;
}

/* The VM's devices, from its board table (the interrupt controller among them). */
static int attach_devices(struct vm *vm)
{
	const char *why;

	if (vboard_build(vm, &why) || vboard_attach(vm, &why)) {
		hv_err("vm '%s': %s; VM not created", vm->cfg.name, why);
		return -1;
	}
	return 0;
}

/* Where the VM's first boot put everything, for the boot map. */
static void print_boot_map(const struct vm *vm, const struct boot_layout *b)
{
	char devices[160];

	if (vm->cfg.firmware[0])
		hv_info("vm %u '%s': firmware '%s' read-only at IPA 0x%llx-0x%llx -> PA 0x%llx, "
			"entry 0x%llx", vm->id, vm->cfg.name, vm->cfg.firmware,
			(unsigned long long)ipa_addr(b->kernel_start), (unsigned long long)ipa_addr(b->kernel_end),
			(unsigned long long)pa_addr(vm->fw_pa), (unsigned long long)ipa_addr(b->entry));
	else
		hv_info("vm %u '%s': kernel '%s' (%s) at IPA 0x%llx-0x%llx, entry 0x%llx", vm->id,
			vm->cfg.name, vm->cfg.kernel, b->format, (unsigned long long)ipa_addr(b->kernel_start),
			(unsigned long long)ipa_addr(b->kernel_end), (unsigned long long)ipa_addr(b->entry));
	if (ipa_addr(b->initrd_start))
		hv_info("vm %u '%s': ramdisk '%s' at IPA 0x%llx-0x%llx", vm->id, vm->cfg.name,
			vm->cfg.ramdisk, (unsigned long long)ipa_addr(b->initrd_start),
			(unsigned long long)ipa_addr(b->initrd_end));
	vboard_describe(vm, devices, sizeof(devices));
	hv_info("vm %u '%s': device tree at IPA 0x%llx (%u bytes); devices: %s", vm->id,
		vm->cfg.name, (unsigned long long)ipa_addr(b->dtb), b->dtb_size, devices);
}

/* Loads the kernel (or firmware) and puts vCPU 0 at its entry. */
static int boot_vm(struct vm *vm, bool announce)
{
	struct boot_layout b;
	char why[160];

	if (loader_load(vm, &b, why, sizeof(why))) {
		hv_err("vm '%s': %s; VM not started", vm->cfg.name, why);
		return -1;
	}
	/* every (re)start begins the VM's virtual counter at 0, the same on all its vCPUs */
	vm->counter_offset = arch_counter_read();
	for (u32 i = 0; i < vm->nvcpus; i++) {
		sched_stop(&vm->vcpus[i]);
		vm->vcpus[i].exit_why[0] = '\0';
		/* the boot vCPU gets the device tree; the others wait for the guest to start them */
		arch_vcpu_reset(&vm->vcpus[i].arch, b.entry, i == 0 ? ipa_addr(b.dtb) : 0, i);
		arch_vcpu_set_counter_offset(&vm->vcpus[i].arch, vm->counter_offset);
	}
	hv_info("vm %u '%s': started at counter %llu", vm->id, vm->cfg.name,
		(unsigned long long)vm->counter_offset);
	if (announce)
		print_boot_map(vm, &b);
	return 0;
}

static const struct package *boot_pkg;

/* Parses the config of VM `index` in the package; false when it has none or it is bad. */
static bool package_config(const struct package *pkg, u32 index, struct vm_config *c,
			   struct pkg_blob *blob)
{
	struct config_error err;

	return package_find(pkg, index, PKG_CONFIG, blob) &&
	       config_parse((const char *)blob->data, blob->size, c, &err) == 0;
}

/* Index in the boot package of the VM config named `name`, or -1. */
static int package_index_of(const char *name)
{
	for (u32 i = 0; boot_pkg && i < package_vm_count(boot_pkg); i++) {
		struct pkg_blob cfg;
		struct vm_config c;

		if (package_config(boot_pkg, i, &c, &cfg) && strcmp(c.name, name) == 0)
			return (int)i;
	}
	return -1;
}

static bool name_in_use(const char *name)
{
	for (u32 i = 0; i < MAX_VMS; i++) {
		if (alive(&vms[i]) && strcmp(vms[i].cfg.name, name) == 0)
			return true;
	}
	return false;
}

bool vm_in_boot_image(const char *name)
{
	return package_index_of(name) >= 0;
}

int vm_create_by_name(const char *name, const char **why)
{
	static char buf[160];  /* the shell's, one command at a time */
	int index = package_index_of(name);
	bool in_use;

	spin_lock(&vms_lock);
	in_use = name_in_use(name);
	spin_unlock(&vms_lock);
	if (in_use) {
		*why = "a VM of that name exists already";
		return -1;
	}
	if (index < 0)
		return pool_vm_start(name, buf, sizeof(buf), why);
	if (vm_create_from_package(boot_pkg, (u32)index) != 0) {
		*why = "it could not be created (see above)";
		return -1;
	}
	return 0;
}

/* While the boot image's VMs are built, none runs: one that ended at once
 * would otherwise power the machine off before the others exist. */
static bool booting;

/*
 * Pinned VMs are created first, so that the CPUs they need are still free;
 * then shared VMs spread over the rest. All start together at the end.
 */
u32 vm_boot_all(const struct package *pkg)
{
	u32 defined = 0;

	boot_pkg = pkg;
	booting = true;
	for (int pass_pinned = 1; pass_pinned >= 0; pass_pinned--) {
		for (u32 i = 0; i < package_vm_count(pkg); i++) {
			struct pkg_blob cfg;
			struct vm_config c;
			bool parsed = package_config(pkg, i, &c, &cfg);

			if (parsed && c.pinned != (bool)pass_pinned)
				continue;
			if (!parsed && pass_pinned)
				continue;  /* bad configs are reported once, with the shared pass */
			if (parsed && !c.autostart) {
				hv_info("vm '%s' (%s): autostart = 0: start it with `create %s`", c.name,
					cfg.name, c.name);
				defined++;
				continue;
			}
			vm_create_from_package(pkg, i);
		}
	}
	booting = false;
	for (u32 i = 0; i < MAX_VMS; i++) {
		if (vms[i].state == VM_RUNNING)
			sched_start(&vms[i].vcpus[0]);
	}
	return defined;
}

/* Builds the VM in a claimed slot from VM `index` of its package; on failure
 * everything it took goes with release(). */
static int build_vm(struct vm *vm, const struct pkg_blob *cfg)
{
	if (parse_config(vm, cfg))
		goto fail;
	if (vm->cfg.vcpus > ARCH_VM_MAX_VCPUS) {
		hv_err("vm '%s': at most %d vCPUs; VM not created", vm->cfg.name, ARCH_VM_MAX_VCPUS);
		goto fail;
	}
	/* volumes first: a refused disk leaves nothing half-built */
	if (vm_attach_volumes(vm) || alloc_console(vm) || alloc_vcpus(vm) || prepare_arch(vm) ||
	    alloc_memory(vm) || alloc_firmware(vm) || attach_devices(vm))
		goto fail;
	log_ram(vm);
	if (boot_vm(vm, true))
		goto fail;
	for (u32 i = 0; i < vm->nvcpus; i++)
		hv_info("vm %u '%s': vCPU %u on cpu %u", vm->id, vm->cfg.name, i, vm->vcpus[i].pcpu);
	if (vm->cfg.pinned)
		hv_info("vm %u '%s': sched pinned: each vCPU owns its CPU", vm->id, vm->cfg.name);
	else
		hv_info("vm %u '%s': sched shared: weight %u, cap %u%%", vm->id, vm->cfg.name,
			vm->cfg.weight, vm->cfg.cap);
	spin_lock(&vms_lock);
	vm->state = VM_RUNNING;
	spin_unlock(&vms_lock);
	if (!booting)
		sched_start(&vm->vcpus[0]);
	return 0;
fail:
	release(vm);
	return -1;
}

int vm_create_from_package(const struct package *pkg, u32 index)
{
	struct pkg_blob cfg;
	struct vm *vm;

	if (!package_find(pkg, index, PKG_CONFIG, &cfg))
		return -1;
	vm = claim_slot();
	if (!vm) {
		hv_err("%s: no free VM slot (at most %d VMs); VM not created", cfg.name, MAX_VMS);
		return -1;
	}
	vm->pkg = pkg;
	vm->pkg_index = index;
	return build_vm(vm, &cfg);
}

int vm_create_from_pool(const struct package *pkg, void (*put)(const struct package *pkg))
{
	struct pkg_blob cfg;
	struct vm *vm;

	if (!package_find(pkg, 0, PKG_CONFIG, &cfg)) {
		put(pkg);
		return -1;
	}
	vm = claim_slot();
	if (!vm) {
		hv_err("%s: no free VM slot (at most %d VMs); VM not created", cfg.name, MAX_VMS);
		put(pkg);
		return -1;
	}
	vm->pkg = pkg;
	vm->pkg_index = 0;
	vm->pkg_put = put;
	return build_vm(vm, &cfg);
}

enum vcpu_next vcpu_exit(struct vcpu *vcpu, enum vcpu_next exit, const char *fmt, ...)
{
	va_list ap;

	if (vcpu->exit_why[0])
		return exit; /* not handled yet: the first reason wins */
	va_start(ap, fmt);
	fmt_vsnprintf(vcpu->exit_why, sizeof(vcpu->exit_why), fmt, ap);
	va_end(ap);
	return exit;
}

u32 vm_running_count(void)
{
	u32 n = 0;

	spin_lock(&vms_lock);
	for (u32 i = 0; i < MAX_VMS; i++) {
		if (vms[i].state == VM_RUNNING)
			n++;
	}
	spin_unlock(&vms_lock);
	return n;
}

static int scrub_run(void *ctx, ipaddr_t ipa, paddr_t pa, u64 size)
{
	(void)ctx;
	(void)ipa;
	arch_scrub(pa_to_ptr(pa), size);
	return 0;
}

/* RAM scrubbed per step of a restart: a fraction of a slice under TCG. */
#define RESTART_SCRUB_STEP (2 * MiB)

/*
 * The restart task of vCPU 0: scrubs the VM's RAM a step at a time, in the
 * VM's own slices (a big VM looping on SYSTEM_RESET pays for its scrubs
 * itself, and its neighbours keep their slices), then loads its kernel
 * again and lets the guest run.
 */
static enum vcpu_next restart_step(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!guest_ram_step(&vm->ram, &v->task_pos, RESTART_SCRUB_STEP, scrub_run, NULL))
		return VCPU_YIELD;
	/* the kernel starts again with all of maxmem, as at creation: pages the
	 * balloon took come back (fresh, zeroed), or come on touch if the pool
	 * is short now */
	vm_ram_refill(vm);
	if (boot_vm(vm, false))
		return vcpu_exit(v, VCPU_EXIT_CRASH, "its kernel could not be loaded again on restart");
	sched_start(&vm->vcpus[0]);
	return VCPU_RESUME;
}

static void restart(struct vm *vm)
{
	vm->restarts++;
	vboard_reset(vm);  /* its devices are quiet before its RAM is scrubbed */
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_stop(&vm->vcpus[i]);
	sched_set_task(&vm->vcpus[0], restart_step);
	__atomic_store_n(&vm->stopping, false, __ATOMIC_RELEASE);
	arch_send_event();  /* an administrator's action may wait for this */
	sched_start(&vm->vcpus[0]);
}

static void apply_action(struct vm *vm, enum vm_action action)
{
	switch (action) {
	case ACTION_RESTART:
		restart(vm);
		break;
	case ACTION_PRESERVE:
		for (u32 i = 0; i < vm->nvcpus; i++)
			sched_stop(&vm->vcpus[i]);
		spin_lock(&vms_lock);
		vm->state = VM_STOPPED;
		spin_unlock(&vms_lock);
		break;
	case ACTION_DESTROY:
		release(vm);
		break;
	}
}

/*
 * Takes every vCPU of the VM off its CPU. Returns false when another vCPU of
 * the VM is already doing so (it will apply the VM's action).
 */
static bool stop_all_vcpus(struct vm *vm)
{
	bool expected = false;

	if (!__atomic_compare_exchange_n(&vm->stopping, &expected, true, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_kick_if_running(&vm->vcpus[i]);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		while (__atomic_load_n(&vm->vcpus[i].running, __ATOMIC_ACQUIRE))
			arch_wait_event();
	}
	return true;
}

/* The time no CPU idled, for `make bench`'s idle-machine row. */
static void log_busy_time(void)
{
	u64 busy = 0;

	for (u32 i = 0; i < platform.ncpus; i++)
		busy += arch_cpu_busy_ticks(i);
	hv_info("CPU time outside idle since each CPU first idled: %llu ticks",
		  (unsigned long long)busy);
}

static void power_off_when_idle(void)
{
	if (vm_running_count() != 0)
		return;
	if (boot_on_idle() == ON_IDLE_STAY) {
		hv_always("no VM is running (%u crashed); on_idle=stay: the machine stays up "
			  "(`create NAME` starts one)", vm_crashes);
		return;
	}
	log_busy_time();
	hv_always("no VM is running (%u crashed): powering off", vm_crashes);
	console_flush_for_power_off();
	arch_system_off();
}

static bool too_many_crashes(struct vm *vm)
{
	return crash_note(&vm->crashes, arch_counter_read(),
			  arch_counter_freq() * vm->cfg.crash_window_s, vm->cfg.crash_limit);
}

void vm_handle_exit(struct vcpu *vcpu, enum vcpu_next exit)
{
	struct vm *vm = vcpu->vm;
	enum vm_action action;
	const char *what;

	if (!stop_all_vcpus(vm)) {
		vcpu->exit_why[0] = '\0';
		return;
	}
	console_ring_close(&vm->con);
	switch (exit) {
	case VCPU_EXIT_POWEROFF:
		action = vm->cfg.on_poweroff;
		what = "powered off";
		break;
	case VCPU_EXIT_REBOOT:
		action = vm->cfg.on_reboot;
		what = "rebooted";
		break;
	case VCPU_EXIT_CRASH:
		action = vm->cfg.on_crash;
		what = "crashed";
		__atomic_fetch_add(&vm_crashes, 1, __ATOMIC_RELAXED);
		break;
	default:
		vcpu->exit_why[0] = '\0';
		__atomic_store_n(&vm->stopping, false, __ATOMIC_RELEASE);
		return;
	}
	fmt_snprintf(vm->last_stop, sizeof(vm->last_stop), "%s: %s", what, vcpu->exit_why);
	vm->crashed = exit == VCPU_EXIT_CRASH;
	if (exit == VCPU_EXIT_CRASH)
		hv_err("vm %u '%s' crashed: %s; on_crash=%s", vm->id, vm->cfg.name, vcpu->exit_why,
		       config_action_name(action));
	if (exit == VCPU_EXIT_CRASH && action == ACTION_RESTART && too_many_crashes(vm)) {
		hv_err("vm %u '%s': more than %u crashes within %u s (crash_limit, crash_window): "
		       "preserved, not restarted; `reboot %s` restarts it", vm->id, vm->cfg.name,
		       vm->cfg.crash_limit, vm->cfg.crash_window_s, vm->cfg.name);
		action = ACTION_PRESERVE;
	}
	else
		hv_info("vm %u '%s' %s (%s); %s=%s", vm->id, vm->cfg.name, what, vcpu->exit_why,
			exit == VCPU_EXIT_POWEROFF ? "on_poweroff" : "on_reboot",
			config_action_name(action));
	vcpu->exit_why[0] = '\0';
	apply_action(vm, action);
	power_off_when_idle();
}

struct vm *vm_get_by_id(u32 id)
{
	struct vm *found = NULL;

	spin_lock(&vms_lock);
	for (u32 i = 0; i < MAX_VMS && !found; i++) {
		if (alive(&vms[i]) && vms[i].id == id) {
			found = &vms[i];
			found->refs++;
		}
	}
	spin_unlock(&vms_lock);
	return found;
}

static u32 id_by_name(const char *name)
{
	u32 id = 0;

	spin_lock(&vms_lock);
	for (u32 i = 0; i < MAX_VMS && !id; i++) {
		if (alive(&vms[i]) && strcmp(vms[i].cfg.name, name) == 0)
			id = vms[i].id;
	}
	spin_unlock(&vms_lock);
	return id;
}

struct vm *vm_get_by_name_or_id(const char *what)
{
	u32 id = id_by_name(what);
	const char *p = what;

	if (id)
		return vm_get_by_id(id);
	for (; *p >= '0' && *p <= '9' && id < 100000; p++)
		id = id * 10 + (u32)(*p - '0');
	return (*p == '\0' && p != what) ? vm_get_by_id(id) : NULL;
}

u32 vm_next_id(u32 id)
{
	u32 best = 0;

	for (u32 i = 0; i < MAX_VMS; i++) {
		if (alive(&vms[i]) && vms[i].id > id && (!best || vms[i].id < best))
			best = vms[i].id;
	}
	return best;
}

const char *vm_state_name(const struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return vm->crashed ? "crashed" : "shutdown";
	if (vm->state == VM_DYING)
		return "dying";
	if (vm->paused)
		return "paused";
	for (u32 i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		if (__atomic_load_n(&v->running, __ATOMIC_ACQUIRE) || v->state == VCPU_RUNNABLE)
			return "running";
	}
	return "blocked";
}

bool vm_package_name(u32 index, char *name, u32 size, bool *exists)
{
	struct pkg_blob cfg;
	struct vm_config c;

	if (!boot_pkg || index >= package_vm_count(boot_pkg) ||
	    !package_config(boot_pkg, index, &c, &cfg))
		return false;
	strlcpy(name, c.name, size);
	spin_lock(&vms_lock);
	*exists = name_in_use(c.name);
	spin_unlock(&vms_lock);
	return true;
}

int vm_pause(struct vm *vm, bool pause, const char **why)
{
	if (vm->state != VM_RUNNING) {
		*why = "it is not running";
		return -1;
	}
	if (vm->paused == pause) {
		*why = pause ? "it is paused already" : "it is not paused";
		return -1;
	}
	__atomic_store_n(&vm->paused, pause, __ATOMIC_RELEASE);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (pause)
			sched_kick_if_running(&vm->vcpus[i]);
		if (!pause && vm->vcpus[i].state == VCPU_RUNNABLE)
			sched_start(&vm->vcpus[i]);
	}
	return 0;
}

/*
 * An administrator's action may meet the VM in the middle of its own power
 * off, reset or crash handling on another CPU: wait (up to a second) for that
 * to finish, then take the VM over. False when it did not finish, or when
 * the VM is gone (or no longer running) afterwards.
 */
static bool take_over(struct vm *vm, u32 id)
{
	u64 deadline = arch_counter_read() + arch_counter_freq();

	while (!stop_all_vcpus(vm)) {
		if (arch_counter_read() > deadline)
			return false;
		arch_wait_event();
	}
	if (!alive(vm) || vm->id != id) {
		__atomic_store_n(&vm->stopping, false, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

int vm_destroy(struct vm *vm, const char **why)
{
	if (!alive(vm)) {
		*why = "it is being destroyed already";
		return -1;
	}
	if (vm->state == VM_RUNNING && !take_over(vm, vm->id)) {
		*why = "it is busy stopping or restarting; try again";
		return -1;
	}
	console_ring_close(&vm->con);
	hv_info("vm %u '%s' destroyed", vm->id, vm->cfg.name);
	release(vm);
	power_off_when_idle();
	return 0;
}

/* A preserved VM (powered off or crashed, on_* = "preserve") starts again. */
static void restart_stopped(struct vm *vm)
{
	hv_info("vm %u '%s' restarted by the administrator (it was %s)", vm->id, vm->cfg.name,
		vm->last_stop[0] ? vm->last_stop : "stopped");
	vm->paused = false;
	vm->crashed = false;
	spin_lock(&vms_lock);
	vm->state = VM_RUNNING;
	spin_unlock(&vms_lock);
	restart(vm);
}

int vm_reboot(struct vm *vm, const char **why)
{
	if (vm->state == VM_STOPPED) {
		restart_stopped(vm);
		return 0;
	}
	if (vm->state != VM_RUNNING) {
		*why = "it is not running";
		return -1;
	}
	if (!take_over(vm, vm->id)) {
		*why = "it is busy stopping or restarting; try again";
		return -1;
	}
	console_ring_close(&vm->con);
	hv_info("vm %u '%s' rebooted by the administrator", vm->id, vm->cfg.name);
	vm->paused = false;
	restart(vm);
	return 0;
}

/*
 * Like QEMU's system_powerdown: the device with the power button presses it
 * (the GPIO controller keeps it down until the guest reads the pin, so that
 * a driver that samples it after a debounce delay still sees it pressed).
 * Nothing is forced: a guest that ignores the button keeps running.
 */
int vm_shutdown(struct vm *vm, const char **why)
{
	if (vm->state != VM_RUNNING || __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE)) {
		*why = vm->state == VM_RUNNING ? "it is busy stopping or restarting; try again"
					       : "it is not running";
		return -1;
	}
	if (!vm->power_press) {
		*why = "it has no power button";
		return -1;
	}
	vm->power_press(vm->power_dev);
	return 0;
}

/* The CPU a vCPU should be on under a new affinity: where it is, if allowed. */
static int pin_target(const struct vcpu *v, u64 mask, const char **why)
{
	int cpu;

	for (u32 i = 0; i < 64; i++) {
		if ((mask & (1ull << i)) && (i >= platform.ncpus || !cpus[i].online)) {
			*why = "no such CPU online";
			return -1;
		}
	}
	if (!mask || (mask & (1ull << v->pcpu)))
		return (int)v->pcpu;
	cpu = sched_pick_cpu(mask);
	if (cpu < 0)
		*why = "those CPUs are owned by pinned VMs";
	return cpu;
}

/*
 * While `moving`, no CPU claims the vCPU again, so once the CPU running it
 * lets it go (kicked) the move succeeds; bounded by a second in case that
 * CPU does not answer.
 */
static enum sched_move_result move_off_its_cpu(struct vcpu *v, u32 to)
{
	u64 deadline = arch_counter_read() + arch_counter_freq();
	enum sched_move_result result;

	__atomic_store_n(&v->moving, true, __ATOMIC_RELEASE);
	for (;;) {
		result = sched_move(v, to);
		if (result != SCHED_MOVE_RUNNING || arch_counter_read() >= deadline)
			break;
		sched_kick_if_running(v);
		while (__atomic_load_n(&v->running, __ATOMIC_ACQUIRE) &&
		       arch_counter_read() < deadline)
			arch_wait_event();
	}
	__atomic_store_n(&v->moving, false, __ATOMIC_RELEASE);
	return result;
}

int vm_vcpu_pin(struct vm *vm, u32 vcpu, u64 mask, const char **why)
{
	enum sched_move_result result;
	struct vcpu *v;
	int cpu;

	if (vcpu >= vm->nvcpus) {
		*why = "no such vCPU";
		return -1;
	}
	if (vm->cfg.pinned) {
		*why = "the VM is pinned (sched = \"pinned\"): each vCPU keeps the CPU it owns";
		return -1;
	}
	v = &vm->vcpus[vcpu];
	cpu = pin_target(v, mask, why);
	if (cpu < 0)
		return -1;
	v->affinity = mask;  /* idle CPUs take it only within the new affinity */
	if ((u32)cpu == v->pcpu)
		return 0;
	result = move_off_its_cpu(v, (u32)cpu);
	if (result == SCHED_MOVE_GONE) {
		*why = "the VM is being destroyed";
		return -1;
	}
	if (result != SCHED_MOVED) {
		*why = "it did not leave its CPU in time; try again";
		return -1;
	}
	if (v->state == VCPU_RUNNABLE)
		sched_start(v);  /* make its new CPU look */
	return 0;
}

int vm_set_credit(struct vm *vm, u32 weight, u32 cap, const char **why)
{
	if (vm->cfg.pinned) {
		*why = "the VM is pinned (sched = \"pinned\"): weight and cap do not apply";
		return -1;
	}
	if (weight < 1 || weight > CONFIG_MAX_WEIGHT) {
		*why = "weight must be 1-65535";
		return -1;
	}
	if (cap > CONFIG_MAX_CAP) {
		*why = "cap must be 0 (none) to 6400 (percent of one CPU)";
		return -1;
	}
	__atomic_store_n(&vm->cfg.weight, weight, __ATOMIC_RELAXED);
	__atomic_store_n(&vm->cfg.cap, cap, __ATOMIC_RELAXED);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].state == VCPU_RUNNABLE)
			sched_start(&vm->vcpus[i]);  /* a cap lifted: its CPU looks again */
	}
	return 0;
}
