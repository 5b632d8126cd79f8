/*
 * The shell's commands about the machine rather than one VM, as xl's:
 * `info` (xl info), `uptime`, `dmesg` (Bulkhead's own log, kept in a ring)
 * and `top` (a per-VM view every second until a key is pressed).
 */
#include "arch.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/log_ring.h"
#include "core/page_alloc.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/shell.h"
#include "core/version.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "lib/string.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)
#define TOP_PERIOD_MS 1000

static u64 seconds_up(void)
{
	return arch_counter_read() / arch_counter_freq();
}

static void say_uptime(const char *label)
{
	u64 s = seconds_up();

	say("%s%llu:%02llu:%02llu (%llu s)", label, (unsigned long long)(s / 3600),
	    (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60), (unsigned long long)s);
}

void shell_uptime(void)
{
	say_uptime("up ");
}

/* Memory the VMs hold: their RAM's pages and firmware. */
static u64 vm_bytes(void)
{
	u64 bytes = 0;

	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		if (vm) {
			bytes += vm->ram.pages * PAGE_SIZE + vm->fw_size;
			vm_put(vm);
		}
	}
	return bytes;
}

void shell_info_machine(void)
{
	u64 total = hv_pages.total_pages * PAGE_SIZE, free = hv_pages.free_pages * PAGE_SIZE;
	u64 used = total - free, vms = vm_bytes();

	say("bulkhead_version  : " BULKHEAD_VERSION);
	say("nr_cpus           : %u", platform.ncpus);
	say("total_memory      : %llu MiB", (unsigned long long)(total / MiB));
	/* in KiB too: exact, so that a VM's pages can be seen to come back */
	say("free_memory       : %llu MiB (%llu KiB)", (unsigned long long)(free / MiB),
	    (unsigned long long)(free / KiB));
	say("vm_memory         : %llu MiB", (unsigned long long)(vms / MiB));
	say("hypervisor_memory : %llu KiB", (unsigned long long)((used > vms ? used - vms : 0) / KiB));
	say("vms               : %u running", vm_running_count());
	say_uptime("uptime            : ");
	say("boot_options      : %s", platform.bootargs && *platform.bootargs ? platform.bootargs : "(none)");
}

static void replay_line(void *ctx, const char *text, u32 len)
{
	say("%.*s", (int)len, text);
}

void shell_dmesg(void)
{
	log_ring_replay(replay_line, NULL);
}

/* --- top --- */

struct top_seen {
	u32 id;
	u64 cpu_ticks, traps;
};

static struct top_seen seen[MAX_VMS];
static u64 last_at;
static bool top_on;
static void top_tick(struct work *w, u64 now);
static struct work top_work = { .fn = top_tick, .cpu = CONSOLE_CPU };

static struct top_seen *seen_of(u32 id)
{
	struct top_seen *free = NULL;

	for (u32 i = 0; i < MAX_VMS; i++) {
		if (seen[i].id == id)
			return &seen[i];
		if (!seen[i].id && !free)
			free = &seen[i];
	}
	if (free)
		*free = (struct top_seen){ .id = id };
	return free;
}

static void top_vm(struct vm *vm, u64 elapsed)
{
	struct top_seen *s = seen_of(vm->id);
	u64 cpu = 0, traps = 0;

	for (u32 i = 0; i < vm->nvcpus; i++) {
		cpu += sched_cpu_time(&vm->vcpus[i]);
		traps += vm->vcpus[i].traps;
	}
	if (!s)
		return;
	say("%-4u %-16s %-8s %7llu %10llu %12llu", vm->id, vm->cfg.name, vm_state_name(vm),
	    (unsigned long long)(elapsed ? (cpu - s->cpu_ticks) * 100 / elapsed : 0),
	    (unsigned long long)(vm->ram.pages * PAGE_SIZE / MiB),
	    (unsigned long long)(elapsed ? (traps - s->traps) * arch_counter_freq() / elapsed : 0));
	s->cpu_ticks = cpu;
	s->traps = traps;
}

static void top_show(u64 now)
{
	u64 elapsed = now - last_at;

	say_uptime("top: any key ends it; up ");
	say("%-4s %-16s %-8s %7s %10s %12s", "ID", "NAME", "STATE", "CPU(%)", "MEM(MiB)", "TRAPS/s");
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		if (vm) {
			top_vm(vm, elapsed);
			vm_put(vm);
		}
	}
	last_at = now;
}

static void top_tick(struct work *w, u64 now)
{
	if (!top_on)
		return;
	top_show(now);
	work_queue(w, now + arch_counter_freq() / 1000 * TOP_PERIOD_MS);
}

void shell_top(void)
{
	u64 now = arch_counter_read();

	memset(seen, 0, sizeof(seen));
	last_at = now;
	top_on = true;
	/* the first view after a period: CPU % needs two readings */
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		if (vm) {
			struct top_seen *s = seen_of(id);

			for (u32 i = 0; s && i < vm->nvcpus; i++) {
				s->cpu_ticks += sched_cpu_time(&vm->vcpus[i]);
				s->traps += vm->vcpus[i].traps;
			}
			vm_put(vm);
		}
	}
	work_queue(&top_work, now + arch_counter_freq() / 1000 * TOP_PERIOD_MS);
}

bool shell_top_running(void)
{
	return top_on;
}

void shell_top_stop(void)
{
	top_on = false;
	work_cancel(&top_work);
	say("top: stopped");
}
