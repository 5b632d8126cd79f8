/*
 * Bulkhead's own console output. Every line starts with "(hv) "; errors say
 * what went wrong in words.
 */
#ifndef BULKHEAD_CORE_LOG_H
#define BULKHEAD_CORE_LOG_H

#include "types.h"

/* LOG_ALWAYS is for the few lines tools rely on (the final power-off summary). */
enum log_level { LOG_ALWAYS, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

/* Sets the threshold from "loglevel=error|warn|info|debug" in Bulkhead's
 * command line; returns false when the option is present but unknown. */
bool log_set_from_cmdline(const char *cmdline);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hv_always(...) log_msg(LOG_ALWAYS, __VA_ARGS__)
#define hv_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define hv_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define hv_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define hv_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Prints "(hv) PANIC: ..." and stops the machine. Only for hypervisor bugs,
 * never for anything a guest did. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
