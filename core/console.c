/*
 * Console input: bytes typed at the physical console go to the shell or to
 * one VM, and Ctrl-A three times moves them on. Output is console_out.c.
 */
#include "core/console.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "core/workqueue.h"
#include "lib/string.h"

#define INPUT_RING 256
#define CTRL_A 0x01
#define SWITCH_PRESSES 3
/* A VM that does not read its UART for this long loses the byte it was
 * offered (a real UART overruns), so that input moves on: Ctrl-A included. */
#define HOLD_MS 1000
/* A byte the target VM had no room for is offered again this often. */
#define RETRY_PER_SECOND 1000

/* Bytes received but not yet routed; written by the UART interrupt on CPU 0,
 * read by CPU 0's loop. */
static u8 input[INPUT_RING];
static u32 input_head, input_count;
static struct spinlock input_lock;
static u32 target;        /* VM id, or 0 for the shell */
static u32 ctrl_a_run;    /* Ctrl-A presses in a row */
static u64 held_since;    /* counter when the target VM last refused a byte; 0: none held */
static bool overrun;      /* the target stopped reading: what it refuses is dropped */

static void route_input(struct work *w, u64 now);
static struct work input_work = { .fn = route_input, .cpu = CONSOLE_CPU };

void console_rx_interrupt(void)
{
	int c;

	spin_lock(&input_lock);
	while ((c = console_getc()) >= 0) {
		if (input_count < INPUT_RING) {
			input[(input_head + input_count) % INPUT_RING] = (u8)c;
			input_count++;
		}
	}
	spin_unlock(&input_lock);
	work_queue(&input_work, 0);
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

void console_set_target(u32 id)
{
	struct vm *vm = id ? vm_get_by_id(id) : NULL;

	target = id;
	log_msg(LOG_ALWAYS, "console: input goes to %s (Ctrl-A three times to switch)",
		vm ? vm->cfg.name : "the Bulkhead shell");
	if (vm)
		vm_put(vm);
}

/* False when the target VM's UART has no room: the byte stays for later. */
static bool deliver(u8 c)
{
	struct vm *vm = target ? vm_get_by_id(target) : NULL;
	bool taken;

	if (target && !vm)
		target = 0;  /* the VM went away: back to the shell */
	if (!vm) {
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
	return false;
}

void console_service(void)
{
	int c;

	while ((c = peek_input()) >= 0) {
		if (c == CTRL_A) {
			drop_input();
			if (++ctrl_a_run == SWITCH_PRESSES) {
				ctrl_a_run = 0;
				held_since = 0;
				overrun = false;
				console_set_target(vm_next_id(target));
			}
			continue;
		}
		/* one or two Ctrl-A were meant for the target after all */
		for (; ctrl_a_run; ctrl_a_run--) {
			if (!deliver(CTRL_A) && hold())
				return;
		}
		if (deliver((u8)c))
			overrun = false;
		else if (hold())
			return;
		held_since = 0;
		drop_input();
	}
}

static void route_input(struct work *w, u64 now)
{
	console_service();
	if (console_input_held())
		work_queue(w, now + arch_counter_freq() / RETRY_PER_SECOND);
}

bool console_input_held(void)
{
	return __atomic_load_n(&held_since, __ATOMIC_RELAXED) != 0;
}
