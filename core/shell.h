/* Bulkhead's management shell on the serial console. */
#ifndef BULKHEAD_CORE_SHELL_H
#define BULKHEAD_CORE_SHELL_H

/* One byte of input while the shell has the console. */
void shell_input(char c);

#endif
