/*
 * Modes for the console multiplexer's tests. Lines carry a number and a
 * fixed pattern, so that the host can tell a line that came out whole and in
 * order from one that was cut, mixed with another or lost.
 *
 *   test=flood   lines as fast as the UART takes them (it waits on TXFF), for
 *                FLOOD_MS of virtual time; then "flood done N"
 *   test=steady  STEADY_LINES numbered lines, one every STEADY_GAP_MS
 *   test=prompt  "prompt> " without a newline, then waits (polling the UART)
 *                for a key and says which it got
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define FLOOD_MS 2500
#define STEADY_LINES 60
#define STEADY_GAP_MS 20
#define PROMPT_WAIT_MS 60000

/* The same 40 characters in every flood line: a cut or mixed line shows. */
#define PATTERN "abcdefghijklmnopqrstuvwxyz0123456789ABCD"

static u64 ms_since(u64 start)
{
	u64 freq = read_sysreg(cntfrq_el0);

	return freq ? (read_sysreg(cntvct_el0) - start) / (freq / 1000) : 0;
}

void mode_flood(void)
{
	u64 start = read_sysreg(cntvct_el0);
	u32 n = 0;

	while (ms_since(start) < FLOOD_MS)
		printk("flood %06u %s\n", n++, PATTERN);
	printk("flood done %u\n", n);
	power_off();
}

void mode_steady(void)
{
	for (u32 i = 0; i < STEADY_LINES; i++) {
		if (i)
			delay_ms(STEADY_GAP_MS);
		printk("steady %u of %u\n", i, STEADY_LINES);
	}
	power_off();
}

void mode_prompt(void)
{
	u64 start = read_sysreg(cntvct_el0);
	int c = -1;

	printk("prompt> ");
	while (c < 0 && ms_since(start) < PROMPT_WAIT_MS)
		c = console_getc();
	if (c < 0)
		printk("\nFAIL no key within %u ms\n", PROMPT_WAIT_MS);
	else
		printk("\ngot key %d\n", c);
	power_off();
}
