/*
 * The shell's keyboard: bytes typed while the shell has the console go
 * through the line editor (core/shell_line.c), whose changes are shown on
 * the console's edit line; Enter runs the line (core/shell.c). Tab offers
 * the commands, then the VMs' names.
 */
#include "core/console.h"
#include "core/log.h"
#include "core/shell.h"
#include "core/shell_line.h"
#include "core/vm.h"
#include "lib/string.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)

static struct shell_line editor;
static bool editor_ready;
static char vm_name[CONFIG_NAME_MAX];

static void echo(void *ctx, const char *line, u32 len, const char *delta, u32 dlen)
{
	console_edit_show(line, len, delta, dlen);
}

/* The i-th VM's name, copied while a reference holds it. */
static const char *nth_vm_name(u32 i)
{
	u32 id = vm_next_id(0);
	struct vm *vm;

	for (; id && i; i--)
		id = vm_next_id(id);
	vm = id ? vm_get_by_id(id) : NULL;
	if (!vm)
		return NULL;
	strlcpy(vm_name, vm->cfg.name, sizeof(vm_name));
	vm_put(vm);
	return vm_name;
}

/* The command word of `line`, for word 1's candidates. */
static bool first_word_takes_vm(const char *line)
{
	char cmd[SHELL_LINE_MAX];
	u32 n = 0;

	while (*line == ' ')
		line++;
	while (line[n] && line[n] != ' ' && n < sizeof(cmd) - 1) {
		cmd[n] = line[n];
		n++;
	}
	cmd[n] = '\0';
	return shell_takes_vm(cmd);
}

static const char *candidate(void *ctx, const char *line, u32 word, u32 i)
{
	u32 n = 0;

	if (word == 0) {
		while (shell_commands[n] && n < i)
			n++;
		return shell_commands[n];
	}
	if (word == 1 && first_word_takes_vm(line))
		return nth_vm_name(i);
	return NULL;
}

static void list(void *ctx, const char *names)
{
	console_edit_end();
	say("%s", names);
}

static const struct shell_line_ops ops = { .echo = echo, .candidate = candidate, .list = list };

void shell_input(char c)
{
	char line[SHELL_LINE_MAX];

	if (shell_top_running()) {
		shell_top_stop();  /* any key ends top, and is not typed */
		return;
	}
	if (!editor_ready) {
		shell_line_init(&editor, &ops);
		editor_ready = true;
	}
	switch (shell_line_key(&editor, c)) {
	case LINE_EDITING:
		return;
	case LINE_TOO_LONG:
		console_edit_end();
		say("line too long: at most %u characters; nothing run", SHELL_LINE_MAX - 1);
		return;
	case LINE_DONE:
		strlcpy(line, shell_line_text(&editor), sizeof(line));
		if (!console_edit_end() && line[0])
			say("> %s", line);
		shell_run_line(line);
		return;
	}
}
