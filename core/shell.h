/* Bulkhead's management shell on the serial console. */
#ifndef BULKHEAD_CORE_SHELL_H
#define BULKHEAD_CORE_SHELL_H

#include "types.h"

/* One byte of input while the shell has the console (core/shell_input.c). */
void shell_input(char c);
/* Runs one command line (core/shell.c); the line is cut into words in place. */
void shell_run_line(char *line);
/* The shell's commands, for help and Tab: NULL-terminated. */
extern const char *const shell_commands[];
/* Whether word 1 of command `cmd` names a VM (Tab offers VM names). */
bool shell_takes_vm(const char *cmd);

/* debug-fault KIND (core/shell_debug.c): crashes the hypervisor on purpose. */
void shell_debug_fault(char **argv, u32 argc);
/* vol-list and block-list VM (core/shell_storage.c). */
void shell_vol_list(void);
void shell_block_list(const char *vm);
/* network-list VM (core/shell_net.c). */
void shell_network_list(const char *vm);
/* vol-create NAME SIZE and vol-delete NAME (core/shell_storage.c). */
void shell_vol_create(const char *name, const char *size);
/* SIZE as xl takes it: MiB, or a number with k, m or g; rounded up to whole
 * MiB. 0 when it is not a size. */
u64 shell_parse_mib(const char *s);
/* Memory (core/shell_mem.c): `mem-set VM SIZE` and the memory and balloon
 * lines of `info VM`. */
void shell_mem_set(const char *vm, const char *size);
struct vm;
void shell_vm_memory(struct vm *vm);
void shell_vol_delete(const char *name);
/* nic-list (core/shell_nic.c): the machine's NICs and their uplink ports. */
void shell_nic_list(void);
/* switch-list [NAME] (core/shell_switch.c): one switch, or all, NULL for all. */
void shell_switch_list(const char *name);

/* The machine's commands (core/shell_machine.c): info without a VM, uptime,
 * dmesg, and top, which runs until shell_top_stop(). */
void shell_info_machine(void);
void shell_uptime(void);
void shell_dmesg(void);
void shell_top(void);
bool shell_top_running(void);
void shell_top_stop(void);

#endif
