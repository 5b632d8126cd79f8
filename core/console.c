/*
 * Console input: bytes typed at the physical console go to the shell or to
 * one VM, Ctrl-A three times moves them to the next running VM, Ctrl-]
 * back to the shell. Output is console_out.c.
 *
 * Flow control, end to end: the UART interrupt moves received bytes into
 * `input`; when that is full, Bulkhead stops reading the UART (its FIFO
 * fills and the sender is held back, as QEMU holds back its terminal) until
 * the target took half of it. A byte the target VM's UART has no room for
 * stays at the head of `input` and is offered again as soon as the guest
 * reads (and every millisecond). Only a VM that reads nothing for HOLD_MS
 * loses input, and the console says so.
 */
#include "core/console.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "lib/string.h"

#define INPUT_RING 4096
#define CTRL_A 0x01
#define CTRL_RBRACKET 0x1d   /* as xl console: back to the shell */
#define SWITCH_PRESSES 3
/* A VM that does not read its UART for this long loses the byte it was
 * offered (a real UART overruns), so that input moves on: Ctrl-A included. */
#define HOLD_MS 1000
/* A byte the target VM had no room for is offered again this often. */
#define RETRY_PER_SECOND 1000
/* After the target VM's ring was closed: look at its state this much later. */
#define CLOSED_CHECK_MS 20

/* Bytes received but not yet routed; written by the UART interrupt on CPU 0,
 * read by CPU 0's loop. */
static u8 input[INPUT_RING];
static u32 input_head, input_count;
static bool rx_stopped;   /* input was full: the UART is not read */
static struct spinlock input_lock;
static u32 target;        /* VM id, or 0 for the shell */
static bool shared_view;  /* the target's output is shown by line, prefixed */
static u32 ctrl_a_run;    /* Ctrl-A presses in a row */
static u64 held_since;    /* counter when the target VM last refused a byte; 0: none held */
static bool overrun;      /* the target stopped reading: what it refuses is dropped */
static u64 lost;          /* bytes dropped in this overrun */

static void route_input(struct work *w, u64 now);
static void focus_closed(void);
static void input_room(void);
static struct work input_work = { .fn = route_input, .cpu = CONSOLE_CPU };
static void check_target(struct work *w, u64 now);
static struct work check_work = { .fn = check_target, .cpu = CONSOLE_CPU };

void console_rx_interrupt(void)
{
	int c;

	spin_lock(&input_lock);
	while (!rx_stopped) {
		if (input_count == INPUT_RING) {
			/* full: leave the rest in the UART, which holds the sender back */
			rx_stopped = true;
			console_rx_irq(false);
			break;
		}
		if ((c = console_getc()) < 0)
			break;
		input[(input_head + input_count) % INPUT_RING] = (u8)c;
		input_count++;
	}
	spin_unlock(&input_lock);
	work_queue(&input_work, 0);
}

/* Reads the UART again once half of `input` is free. */
static void maybe_restart_rx(void)
{
	bool restart;

	spin_lock(&input_lock);
	restart = rx_stopped && input_count <= INPUT_RING / 2;
	if (restart)
		rx_stopped = false;
	spin_unlock(&input_lock);
	if (restart) {
		console_rx_irq(true);
		console_rx_interrupt();  /* the UART raises nothing for bytes it already holds */
	}
}

static int peek_input(void)
{
	int c = -1;

	spin_lock(&input_lock);
	if (input_count)
		c = input[input_head];
	spin_unlock(&input_lock);
	return c;
}

static void drop_input(void)
{
	spin_lock(&input_lock);
	if (input_count) {
		input_head = (input_head + 1) % INPUT_RING;
		input_count--;
	}
	spin_unlock(&input_lock);
}

/* How many bytes come before the first Ctrl-] in `input`; -1: none. */
static int find_escape(void)
{
	int at = -1;

	spin_lock(&input_lock);
	for (u32 i = 0; i < input_count && at < 0; i++) {
		if (input[(input_head + i) % INPUT_RING] == CTRL_RBRACKET)
			at = (int)i;
	}
	spin_unlock(&input_lock);
	return at;
}

/* The VM with id `id` if it runs (paused counts); a reference, or NULL. */
static struct vm *running_vm(u32 id)
{
	struct vm *vm = id ? vm_get_by_id(id) : NULL;

	if (vm && vm->state != VM_RUNNING) {
		vm_put(vm);
		vm = NULL;
	}
	return vm;
}

/* The next running VM after `id`, in id order, or 0 (the shell). */
static u32 next_target(u32 id)
{
	for (u32 n = vm_next_id(id); n; n = vm_next_id(n)) {
		struct vm *vm = running_vm(n);

		if (vm) {
			vm_put(vm);
			return n;
		}
	}
	return 0;
}

static void forget_held(void)
{
	held_since = 0;
	overrun = false;
	lost = 0;
	ctrl_a_run = 0;
}

/* Input goes to `vm` (NULL: the shell); says so, and gives it the output. */
static void switch_to(struct vm *vm, const char *why)
{
	target = vm ? vm->id : 0;
	forget_held();
	console_input_hooks(focus_closed, input_room);
	console_focus(vm && !shared_view ? &vm->con : NULL);
	if (vm)
		log_msg(LOG_ALWAYS, "console: %sinput goes to %s (Ctrl-A three times to switch, "
			"Ctrl-] for the shell)", why, vm->cfg.name);
	else
		log_msg(LOG_ALWAYS, "console: %sinput goes to the Bulkhead shell "
			"(Ctrl-A three times to switch)", why);
}

void console_set_target(u32 id)
{
	struct vm *vm = id ? vm_get_by_id(id) : NULL;

	if (vm && vm->state != VM_RUNNING) {
		log_msg(LOG_ALWAYS, "console: vm %u '%s' is %s; input stays with the shell",
			vm->id, vm->cfg.name, vm_state_name(vm));
		vm_put(vm);
		return;
	}
	switch_to(vm, "");
	if (vm)
		vm_put(vm);
}

void console_set_shared_view(bool on)
{
	struct vm *vm = running_vm(target);

	shared_view = on;
	console_focus(vm && !on ? &vm->con : NULL);
	log_msg(LOG_ALWAYS, "console: %s", on ? "every VM's output by line, prefixed" :
		"the VM that has the input alone, as it prints");
	if (vm)
		vm_put(vm);
}

/* The target stopped: back to the shell, and say why. */
static void target_gone(void)
{
	switch_to(NULL, "the VM stopped; ");
}

/* False when the target VM's UART has no room: the byte stays for later. */
static bool deliver(u8 c)
{
	struct vm *vm;
	bool taken;

	if (!target) {
		shell_input((char)c);
		return true;
	}
	vm = running_vm(target);
	if (!vm) {
		target_gone();
		shell_input((char)c);
		return true;
	}
	taken = vm_console_input(vm, c);
	vm_put(vm);
	return taken;
}

/* A byte the target refused: kept for the next pass, unless it waited too long. */
static bool hold(void)
{
	u64 now = arch_counter_read();

	if (overrun)
		return false;
	if (!held_since)
		held_since = now;
	if (now - held_since < arch_counter_freq() / 1000 * HOLD_MS)
		return true;
	held_since = 0;
	overrun = true;  /* give up this byte, and the next ones until it reads */
	log_msg(LOG_ALWAYS, "console: vm %u reads no input: what is typed for it is lost "
		"until it reads (Ctrl-] for the shell)", target);
	return false;
}

/* A byte the target took: it reads (again). */
static void taken(void)
{
	if (overrun)
		log_msg(LOG_ALWAYS, "console: vm %u reads input again; %llu bytes were lost",
			target, (unsigned long long)lost);
	overrun = false;
	lost = 0;
	held_since = 0;
}

/* Ctrl-] waits behind bytes the target does not take: those are dropped. */
static void escape_now(void)
{
	int before = find_escape();

	if (before < 0)
		return;
	lost += (u64)before;
	while (before--)
		drop_input();
	if (lost)
		log_msg(LOG_ALWAYS, "console: %llu bytes for vm %u dropped (it did not read them)",
			(unsigned long long)lost, target);
	lost = 0;
}

/* Offers the byte to the target; false when it stays held for later. */
static bool offer(u8 c)
{
	if (deliver(c)) {
		taken();
		return true;
	}
	if (hold())
		return false;
	lost++;
	return true;  /* dropped */
}

void console_service(void)
{
	int c;

	while ((c = peek_input()) >= 0) {
		if (c == CTRL_RBRACKET) {
			drop_input();
			switch_to(NULL, "");
			continue;
		}
		if (c == CTRL_A) {
			drop_input();
			if (++ctrl_a_run == SWITCH_PRESSES) {
				struct vm *vm = running_vm(next_target(target));

				switch_to(vm, "");
				if (vm)
					vm_put(vm);
			}
			continue;
		}
		/* one or two Ctrl-A were meant for the target after all */
		while (ctrl_a_run) {
			if (!offer(CTRL_A))
				goto held;
			ctrl_a_run--;
		}
		if (!offer((u8)c))
			goto held;
		drop_input();
	}
	return;
held:
	escape_now();
	if (peek_input() == CTRL_RBRACKET)
		console_service();
}

static void route_input(struct work *w, u64 now)
{
	console_service();
	maybe_restart_rx();
	if (console_input_held())
		work_queue(w, now + arch_counter_freq() / RETRY_PER_SECOND);
}

bool console_input_held(void)
{
	return __atomic_load_n(&held_since, __ATOMIC_RELAXED) != 0;
}

static void input_room(void)
{
	if (console_input_held())
		work_queue(&input_work, 0);
}

static void check_target(struct work *w, u64 now)
{
	struct vm *vm = running_vm(target);

	(void)w;
	(void)now;
	if (!target)
		return;
	if (vm)
		vm_put(vm);  /* it restarts: it keeps the console */
	else
		target_gone();
}

static void focus_closed(void)
{
	work_queue(&check_work, arch_counter_read() + arch_counter_freq() / 1000 * CLOSED_CHECK_MS);
}

void console_view_command(const char *arg)
{
	if (arg && !strcmp(arg, "shared"))
		console_set_shared_view(true);
	else if (arg && !strcmp(arg, "focus"))
		console_set_shared_view(false);
	else
		log_msg(LOG_ALWAYS, "console-view: usage: console-view shared|focus");
}
