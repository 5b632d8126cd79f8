/*
 * Console input: bytes typed at the physical console go to the shell or to
 * one VM, and Ctrl-A three times moves them on. Output is console_out.c.
 */
#include "core/console.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/spinlock.h"
#include "core/vm.h"
#include "lib/string.h"

#define INPUT_RING 256
#define CTRL_A 0x01
#define SWITCH_PRESSES 3

/* Bytes received but not yet routed; written by the UART interrupt on CPU 0,
 * read by CPU 0's loop. */
static u8 input[INPUT_RING];
static u32 input_head, input_count;
static struct spinlock input_lock;
static u32 target;        /* VM id, or 0 for the shell */
static u32 ctrl_a_run;    /* Ctrl-A presses in a row */

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
}

static int next_input(void)
{
	int c = -1;

	spin_lock(&input_lock);
	if (input_count) {
		c = input[input_head];
		input_head = (input_head + 1) % INPUT_RING;
		input_count--;
	}
	spin_unlock(&input_lock);
	return c;
}

static const char *target_name(void)
{
	struct vm *vm = target ? vm_by_id(target) : NULL;

	return vm ? vm->cfg.name : "the Bulkhead shell";
}

void console_set_target(u32 id)
{
	target = id;
	log_msg(LOG_ALWAYS, "console: input goes to %s (Ctrl-A three times to switch)",
		target_name());
}

static void deliver(u8 c)
{
	struct vm *vm = target ? vm_by_id(target) : NULL;

	if (target && !vm)
		target = 0;  /* the VM went away: back to the shell */
	if (vm)
		vm_console_input(vm, c);
	else
		shell_input((char)c);
}

void console_service(void)
{
	int c;

	while ((c = next_input()) >= 0) {
		if (c == CTRL_A) {
			if (++ctrl_a_run == SWITCH_PRESSES) {
				ctrl_a_run = 0;
				console_set_target(vm_next_id(target));
			}
			continue;
		}
		/* one or two Ctrl-A were meant for the target after all */
		for (; ctrl_a_run; ctrl_a_run--)
			deliver(CTRL_A);
		deliver((u8)c);
	}
}
