/*
 * Bulkhead's boot options: KEY=VALUE words of its command line (the device
 * tree's /chosen/bootargs; `bulkhead run` passes them with -append).
 */
#ifndef BULKHEAD_CORE_BOOT_OPTION_H
#define BULKHEAD_CORE_BOOT_OPTION_H

#include "types.h"

/* The value of the last `key` word (key includes its '='), or NULL; *n is its length. */
const char *boot_option(const char *cmdline, const char *key, size_t *n);

/* What the machine does once no VM runs: `on_idle=poweroff` (the default)
 * or `on_idle=stay` (the shell waits for `create`). */
enum on_idle { ON_IDLE_POWEROFF, ON_IDLE_STAY };

/* Reads on_idle= (core/boot_idle.c); false when its value is neither word:
 * the default is kept, and the caller says so. */
bool boot_on_idle_parse(const char *cmdline);
enum on_idle boot_on_idle(void);

#endif
