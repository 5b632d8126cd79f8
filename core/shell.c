/*
 * The management shell, with the command names an xl user knows. The line
 * is typed in core/shell_input.c and run here; every answer is one or more
 * "(hv) " lines; errors are one line.
 */
#include "arch.h"
#include "core/console.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/sched.h"
#include "core/shell.h"
#include "core/vm.h"
#include "core/vm_ram.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "storage/pool_vms.h"

#define MAX_ARGS 5

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

static u64 ms_of(u64 ticks)
{
	return ticks / (arch_counter_freq() / 1000);
}

static u64 vm_cpu_time(struct vm *vm)
{
	u64 t = 0;

	for (u32 i = 0; i < vm->nvcpus; i++)
		t += sched_cpu_time(&vm->vcpus[i]);
	return t;
}

/* xl's six state letters: r b p s c d, a '-' where the VM is not in that state. */
static void xl_flags(const char *state, char *out)
{
	static const char *const words[] = { "running", "blocked", "paused", "shutdown",
					     "crashed", "dying" };

	for (u32 i = 0; i < ARRAY_SIZE(words); i++)
		out[i] = strcmp(state, words[i]) ? '-' : "rbpscd"[i];
	out[ARRAY_SIZE(words)] = '\0';
}

static void list_vm(struct vm *vm)
{
	const char *state = vm_state_name(vm);
	char flags[8];

	struct vm_balloon_status st = { .target = vm->ram.size };

	if (vm->balloon.dev)
		vm->balloon.status(vm->balloon.dev, &st);
	xl_flags(state, flags);
	/* MEM is what it holds now: below its target when it gave pages back */
	say("%-4u %-16s %-8s %5u %8llu %12llu %8llu %8llu %-6s %s", vm->id, vm->cfg.name, state,
	    vm->nvcpus, (unsigned long long)(vm_ram_current(vm) / MiB),
	    (unsigned long long)ms_of(vm_cpu_time(vm)), (unsigned long long)(st.target / MiB),
	    (unsigned long long)vm->cfg.maxmem_mib, flags,
	    vm->state == VM_STOPPED ? vm->last_stop : "");
}

/* Every VM the machine knows: those that exist, then the boot image's others. */
static void cmd_list(void)
{
	char name[CONFIG_NAME_MAX];
	bool exists;

	say("%-4s %-16s %-8s %5s %8s %12s %8s %8s %-6s %s", "ID", "NAME", "STATE", "VCPUS",
	    "MEM(MiB)", "CPU(ms)", "TARGET", "MAXMEM", "XL", "STOPPED BECAUSE");
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		if (!vm)
			continue;  /* gone meanwhile */
		list_vm(vm);
		vm_put(vm);
	}
	for (u32 i = 0; vm_package_name(i, name, sizeof(name), &exists); i++) {
		if (!exists)
			say("%-4s %-16s %-8s %5s %8s %12s %8s %8s %-6s %s", "-", name, "defined", "-",
			    "-", "-", "-", "-", "------", "(create NAME starts it)");
	}
	for (u32 i = 0; pool_vm_at(i); i++) {
		const struct pool_vm *p = pool_vm_at(i);
		struct vm *vm = vm_get_by_name_or_id(p->name);

		if (vm) {
			vm_put(vm);
			continue;
		}
		say("%-4s %-16s %-8s %5s %8s %12s %8s %8s %-6s (pool disk %s; create NAME starts it)",
		    "-", p->name, "defined", "-", "-", "-", "-", "-", "------", p->disk->name);
	}
}

static const char *vcpu_state_name(const struct vcpu *v)
{
	if (v->running)
		return "running";
	if (v->state != VCPU_OFF && __atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE))
		return "paused";
	switch (v->state) {
	case VCPU_RUNNABLE: return "runnable";
	case VCPU_BLOCKED: return "blocked";
	default: return "off";
	}
}

static void cmd_vcpu_list(void)
{
	say("%-16s %5s %4s %-9s %12s %12s", "NAME", "VCPU", "CPU", "STATE", "TIME(ms)", "TRAPS");
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = vm_get_by_id(id);

		for (u32 i = 0; vm && i < vm->nvcpus; i++) {
			struct vcpu *v = &vm->vcpus[i];

			say("%-16s %5u %4u %-9s %12llu %12llu", vm->cfg.name, i, v->pcpu,
			    vcpu_state_name(v), (unsigned long long)ms_of(sched_cpu_time(v)),
			    (unsigned long long)v->traps);
		}
		if (vm)
			vm_put(vm);
	}
}

/* A CPU mask as xl writes it: "all", or a list of CPUs and ranges. */
static const char *affinity(u64 mask)
{
	static char out[64];
	u32 n = 0;

	if (!mask)
		return "all";
	out[0] = '\0';
	for (u32 c = 0; c < 64 && n < sizeof(out) - 8; c++) {
		u32 end = c;

		if (!(mask & (1ull << c)))
			continue;
		while (end + 1 < 64 && (mask & (1ull << (end + 1))))
			end++;
		n += (u32)fmt_snprintf(out + n, sizeof(out) - n, end > c ? "%s%u-%u" : "%s%u",
				       n ? "," : "", c, end);
		c = end;
	}
	return out;
}

static void cmd_info(struct vm *vm)
{
	paddr_t first = pa_init(0);
	u64 runs = guest_ram_runs(&vm->ram, &first);

	say("vm %u '%s' (%s): %s, %u vCPU%s, CPU time %llu ms, restarts %u", vm->id, vm->cfg.name,
	    vm->cfg_file, vm_state_name(vm), vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
	    (unsigned long long)ms_of(vm_cpu_time(vm)), vm->restarts);
	say("  memory %llu MiB: IPA 0x%llx-0x%llx -> PA 0x%llx%s", (unsigned long long)vm->cfg.memory_mib,
	    (unsigned long long)vm->ram.base, (unsigned long long)(vm->ram.base + vm->ram.size),
	    (unsigned long long)pa_addr(first), runs > 1 ? " (first of several runs)" : "");
	shell_vm_memory(vm);
	say("  kernel '%s', cmdline '%s'", vm->cfg.kernel, vm->cfg.extra);
	say("  firmware '%s', ramdisk '%s'", vm->cfg.firmware[0] ? vm->cfg.firmware : "-",
	    vm->cfg.ramdisk[0] ? vm->cfg.ramdisk : "-");
	for (u32 i = 0; i < vm->nvcpus; i++)
		say("  vCPU %u: cpu %u, affinity %s", i, vm->vcpus[i].pcpu, affinity(vm->vcpus[i].affinity));
	say("  last stop: %s", vm->last_stop[0] ? vm->last_stop : "none");
	if (vm->cfg.pinned)
		say("  sched pinned: each vCPU owns its CPU");
	else
		say("  sched shared: weight %u, cap %u%%", vm->cfg.weight, vm->cfg.cap);
	say("  on_poweroff=%s on_reboot=%s on_crash=%s", config_action_name(vm->cfg.on_poweroff),
	    config_action_name(vm->cfg.on_reboot), config_action_name(vm->cfg.on_crash));
	say("  console: %llu bytes written, %llu dropped (ring full)",
	    (unsigned long long)__atomic_load_n(&vm->con.bytes_in, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&vm->con.dropped, __ATOMIC_RELAXED));
}

static void stats_of(struct vm *vm)
{
	u64 t[TRAP_KINDS] = { 0 };
	u64 irqs = 0;

	for (u32 i = 0; i < vm->nvcpus; i++) {
		for (u32 k = 0; k < TRAP_KINDS; k++)
			t[k] += vm->vcpus[i].trap_count[k];
		irqs += vm->vcpus[i].irqs_injected;
	}
	say("%-16s %10llu %10llu %8llu %10llu %10llu %10llu %6llu %10llu %10llu", vm->cfg.name,
	    (unsigned long long)t[TRAP_HYPERCALL], (unsigned long long)t[TRAP_MMIO],
	    (unsigned long long)t[TRAP_ABORT], (unsigned long long)t[TRAP_SYSREG],
	    (unsigned long long)t[TRAP_WFX], (unsigned long long)t[TRAP_IRQ],
	    (unsigned long long)t[TRAP_OTHER], (unsigned long long)irqs,
	    (unsigned long long)ms_of(vm_cpu_time(vm)));
}

static void cmd_stats(const char *which)
{
	struct vm *only = which ? vm_get_by_name_or_id(which) : NULL;

	if (which && !only) {
		say("stats: no VM '%s' (see list)", which);
		return;
	}
	say("%-16s %10s %10s %8s %10s %10s %10s %6s %10s %10s", "NAME", "HYPERCALL", "MMIO",
	    "ABORT", "SYSREG", "WFI/WFE", "IRQ", "OTHER", "IRQS-IN", "CPU(ms)");
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *vm = !only || only->id == id ? vm_get_by_id(id) : NULL;

		if (vm) {
			stats_of(vm);
			vm_put(vm);
		}
	}
	if (only)
		vm_put(only);
}

static void cmd_help(void)
{
	say("commands:");
	say("  list                 every VM: id, name, state (xl's r b p s c d), vCPUs, memory now, CPU time,");
	say("                       balloon target, maxmem, why it stopped");
	say("  info [VM]            the machine (as xl info), or one VM in detail (VM: a name or an id)");
	say("  mem-set VM SIZE      the VM's balloon target (MiB, or with k/m/g; at most maxmem)");
	say("  uptime               how long the machine has been up");
	say("  dmesg                Bulkhead's own log again, from its ring");
	say("  top                  CPU %%, memory and traps/s per VM every second, until a key is pressed");
	say("  vcpu-list            every vCPU: its CPU, state, time, traps");
	say("  stats [VM]           traps by reason, interrupts injected, CPU time");
	say("  vcpu-pin VM VCPU CPUS  let a vCPU use only CPUS (all, 2, 0-3, 1,3); moves it");
	say("  sched-credit [VM [weight=W] [cap=C]]  show or set a shared VM's weight and cap");
	say("  pause VM / unpause VM");
	say("  shutdown VM          press its power button: the guest shuts down itself");
	say("  reboot VM            restart it from its kernel, memory scrubbed (a preserved VM too)");
	say("  destroy VM           stop it and give its memory back, scrubbed");
	say("  console VM           send console input to the VM (Ctrl-] returns, Ctrl-A x3: next VM)");
	say("  console-view shared|focus  every VM's output by line, or the input's VM alone (default)");
	say("  create NAME          start a VM of the boot image or the pool that is not running");
	say("  vol-list             the storage pool's volumes: size, disk, start, who uses them");
	say("  block-list VM        the VM's disks: vdev, volume, state, access");
	say("  network-list VM      the VM's vifs: MAC, switch, state, packets and drops");
	say("  vol-create NAME SIZE a zeroed volume of SIZE (MiB, or with k/m/g) on a pool disk");
	say("  vol-delete NAME      zero a volume no VM uses and remove it from its pool disk");
	say("  nic-list             the machine's NICs: MAC, link, uplink switch, counters");
	say("  switch-list [NAME]   virtual switches: ports, VLANs, counters, learned MACs");
	say("  debug-fault KIND     crash the hypervisor on purpose (unmapped, write-text, exec-data)");
	say("  help");
}

const char *const shell_commands[] = {
	"block-list", "console", "create", "debug-fault", "destroy", "dmesg", "help", "info",
	"list", "mem-set", "network-list", "nic-list", "pause", "reboot", "sched-credit", "shutdown", "stats",
	"switch-list", "top", "unpause", "uptime", "vcpu-list", "vcpu-pin", "vol-create",
	"vol-delete", "vol-list",
	NULL,
};

bool shell_takes_vm(const char *cmd)
{
	static const char *const names[] = { "info", "pause", "unpause", "destroy", "reboot",
					     "shutdown", "console", "stats", "block-list",
					     "network-list", "vcpu-pin", "sched-credit", "mem-set" };

	for (u32 i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(cmd, names[i]))
			return true;
	}
	return false;
}

/* Commands that act on one VM. */
static void vm_command_on(const char *cmd, const char *arg, struct vm *vm);

static void vm_command(const char *cmd, const char *arg)
{
	struct vm *vm = arg ? vm_get_by_name_or_id(arg) : NULL;

	vm_command_on(cmd, arg, vm);
	if (vm)
		vm_put(vm);  /* a destroyed VM's memory goes here */
}

static void vm_command_on(const char *cmd, const char *arg, struct vm *vm)
{
	const char *why = NULL;
	int rc = 0;

	if (!arg) {
		say("%s: which VM? (usage: %s VM)", cmd, cmd);
		return;
	}
	if (!vm) {
		say("%s: no VM '%s' (see list)", cmd, arg);
		return;
	}
	if (!strcmp(cmd, "info"))
		cmd_info(vm);
	else if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause"))
		rc = vm_pause(vm, !strcmp(cmd, "pause"), &why);
	else if (!strcmp(cmd, "destroy"))
		rc = vm_destroy(vm, &why);
	else if (!strcmp(cmd, "reboot"))
		rc = vm_reboot(vm, &why);
	else if (!strcmp(cmd, "shutdown"))
		rc = vm_shutdown(vm, &why);
	else if (!strcmp(cmd, "console"))
		console_set_target(vm->id);
	if (rc)
		say("%s %s: %s", cmd, arg, why);
	else if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause"))
		say("vm %u '%s' %sd", vm->id, vm->cfg.name, cmd);
	else if (!strcmp(cmd, "shutdown"))
		say("vm %u '%s': power button pressed%s", vm->id, vm->cfg.name,
		    vm->paused ? " (it acts once unpaused)" : "");
}

static u32 split(char *s, char **argv)
{
	u32 n = 0;

	while (*s && n < MAX_ARGS) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		argv[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

static bool is_vm_command(const char *cmd)
{
	static const char *const names[] = { "info", "pause", "unpause", "destroy", "reboot",
					     "shutdown", "console" };

	for (u32 i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(cmd, names[i]))
			return true;
	}
	return false;
}

static bool number(const char *s, u32 *out)
{
	u32 n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > 100000)
			return false;
		n = n * 10 + (u32)(*s - '0');
	}
	*out = n;
	return true;
}

static void vcpu_pin(char **argv, u32 argc, struct vm *vm);

static void cmd_vcpu_pin(char **argv, u32 argc)
{
	struct vm *vm = argc > 1 ? vm_get_by_name_or_id(argv[1]) : NULL;

	vcpu_pin(argv, argc, vm);
	if (vm)
		vm_put(vm);
}

static void vcpu_pin(char **argv, u32 argc, struct vm *vm)
{
	const char *why;
	u32 vcpu;
	u64 mask;

	if (argc != 4 || !number(argv[2], &vcpu) ||
	    !config_parse_cpu_list(argv[3], argv[3] + strlen(argv[3]), &mask)) {
		say("vcpu-pin: usage: vcpu-pin VM VCPU CPUS (CPUS: all, 2, 0-3, 1,3)");
		return;
	}
	if (!vm) {
		say("vcpu-pin: no VM '%s' (see list)", argv[1]);
		return;
	}
	if (vm_vcpu_pin(vm, vcpu, mask, &why))
		say("vcpu-pin %s %u %s: %s", vm->cfg.name, vcpu, argv[3], why);
	else
		say("vm %u '%s' vCPU %u now on cpu %u (may use cpus %s)", vm->id, vm->cfg.name,
		    vcpu, vm->vcpus[vcpu].pcpu, argv[3]);
}

static void show_credit(const struct vm *vm)
{
	if (vm->cfg.pinned)
		say("%-16s %6s %5s  pinned", vm->cfg.name, "-", "-");
	else
		say("%-16s %6u %5u  shared", vm->cfg.name, vm->cfg.weight, vm->cfg.cap);
}

/* `weight=W` or `cap=C`; false when the word is neither or its number is bad. */
static bool credit_arg(const char *word, u32 *weight, u32 *cap)
{
	if (!strncmp(word, "weight=", 7))
		return number(word + 7, weight);
	if (!strncmp(word, "cap=", 4))
		return number(word + 4, cap);
	return false;
}

/* As xl sched-credit: without settings it shows them; weight= and cap= change them. */
static void sched_credit(char **argv, u32 argc, struct vm *vm);

static void cmd_sched_credit(char **argv, u32 argc)
{
	struct vm *vm = argc > 1 ? vm_get_by_name_or_id(argv[1]) : NULL;

	sched_credit(argv, argc, vm);
	if (vm)
		vm_put(vm);
}

static void sched_credit(char **argv, u32 argc, struct vm *vm)
{
	const char *why;
	u32 weight, cap;

	if (argc > 1 && !vm) {
		say("sched-credit: no VM '%s' (see list)", argv[1]);
		return;
	}
	weight = vm ? vm->cfg.weight : 0;
	cap = vm ? vm->cfg.cap : 0;
	for (u32 i = 2; i < argc; i++) {
		if (!credit_arg(argv[i], &weight, &cap)) {
			say("sched-credit: usage: sched-credit [VM [weight=W] [cap=C]]");
			return;
		}
	}
	if (argc > 2 && vm_set_credit(vm, weight, cap, &why)) {
		say("sched-credit %s: %s", vm->cfg.name, why);
		return;
	}
	say("%-16s %6s %5s  %s", "NAME", "WEIGHT", "CAP", "MODE");
	for (u32 id = vm_next_id(0); id; id = vm_next_id(id)) {
		struct vm *each = !vm || vm->id == id ? vm_get_by_id(id) : NULL;

		if (each) {
			show_credit(each);
			vm_put(each);
		}
	}
}

static void cmd_create(const char *name)
{
	const char *why;

	if (!name)
		say("create: which VM? (usage: create NAME)");
	else if (vm_create_by_name(name, &why))
		say("create %s: %s", name, why);
}

void shell_run_line(char *s)
{
	char *argv[MAX_ARGS] = { 0 };
	u32 argc = split(s, argv);

	if (!argc)
		return;
	if (!strcmp(argv[0], "create") && argc <= 2)
		cmd_create(argv[1]);
	else if (!strcmp(argv[0], "vcpu-pin"))
		cmd_vcpu_pin(argv, argc);
	else if (!strcmp(argv[0], "sched-credit"))
		cmd_sched_credit(argv, argc);
	else if (!strcmp(argv[0], "debug-fault"))
		shell_debug_fault(argv, argc);
	else if (!strcmp(argv[0], "stats") && argc <= 2)
		cmd_stats(argv[1]);
	else if (!strcmp(argv[0], "mem-set") && argc <= 3)
		shell_mem_set(argv[1], argv[2]);
	else if (!strcmp(argv[0], "list") && argc == 1)
		cmd_list();
	else if (!strcmp(argv[0], "info") && argc == 1)
		shell_info_machine();
	else if (!strcmp(argv[0], "uptime") && argc == 1)
		shell_uptime();
	else if (!strcmp(argv[0], "dmesg") && argc == 1)
		shell_dmesg();
	else if (!strcmp(argv[0], "top") && argc == 1)
		shell_top();
	else if (!strcmp(argv[0], "vcpu-list") && argc == 1)
		cmd_vcpu_list();
	else if (!strcmp(argv[0], "help") && argc == 1)
		cmd_help();
	else if (!strcmp(argv[0], "vol-list") && argc == 1)
		shell_vol_list();
	else if (!strcmp(argv[0], "block-list") && argc <= 2)
		shell_block_list(argv[1]);
	else if (!strcmp(argv[0], "network-list") && argc <= 2)
		shell_network_list(argv[1]);
	else if (!strcmp(argv[0], "vol-create") && argc <= 3)
		shell_vol_create(argv[1], argv[2]);
	else if (!strcmp(argv[0], "vol-delete") && argc <= 2)
		shell_vol_delete(argv[1]);
	else if (!strcmp(argv[0], "nic-list") && argc == 1)
		shell_nic_list();
	else if (!strcmp(argv[0], "switch-list") && argc <= 2)
		shell_switch_list(argv[1]);
	else if (!strcmp(argv[0], "console-view"))
		console_view_command(argc == 2 ? argv[1] : NULL);
	else if (is_vm_command(argv[0]) && argc <= 2)
		vm_command(argv[0], argv[1]);
	else if (is_vm_command(argv[0]) || !strcmp(argv[0], "list") ||
		 !strcmp(argv[0], "vcpu-list") || !strcmp(argv[0], "help") ||
		 !strcmp(argv[0], "vol-list") || !strcmp(argv[0], "block-list") ||
		 !strcmp(argv[0], "network-list") || !strcmp(argv[0], "vol-create") ||
		 !strcmp(argv[0], "vol-delete") || !strcmp(argv[0], "nic-list") ||
		 !strcmp(argv[0], "switch-list") || !strcmp(argv[0], "uptime") ||
		 !strcmp(argv[0], "dmesg") || !strcmp(argv[0], "top") || !strcmp(argv[0], "mem-set"))
		say("%s: too many arguments (see help)", argv[0]);
	else
		say("unknown command '%s' (see help)", argv[0]);
}
