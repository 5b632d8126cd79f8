/* Bulkhead's management shell on the serial console. */
#ifndef BULKHEAD_CORE_SHELL_H
#define BULKHEAD_CORE_SHELL_H

#include "types.h"

/* One byte of input while the shell has the console. */
void shell_input(char c);

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
/* Memory (core/shell_mem.c): `mem-set VM SIZE`, `info` without a VM, and
 * the balloon's lines of `info VM`. */
void shell_mem_set(const char *vm, const char *size);
void shell_machine_info(void);
struct vm;
void shell_vm_memory(struct vm *vm);
void shell_vol_delete(const char *name);
/* nic-list (core/shell_nic.c): the machine's NICs and their uplink ports. */
void shell_nic_list(void);
/* switch-list [NAME] (core/shell_switch.c): one switch, or all, NULL for all. */
void shell_switch_list(const char *name);

#endif
