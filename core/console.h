/*
 * The physical console, shared by Bulkhead and every VM.
 *
 * Output: every owner (Bulkhead's log, each VM's UART) has its own ring
 * (core/console_ring.h). Writers only append to their ring and then try to
 * drain; the drainer writes whole lines, each prefixed "(hv) " or
 * "(NAME) ", taking one line from each ready ring in turn. A partial line (a
 * prompt) goes out once its owner has been idle for CONSOLE_IDLE_MS.
 *
 * Input: see below.
 */
#ifndef BULKHEAD_CORE_CONSOLE_H
#define BULKHEAD_CORE_CONSOLE_H

#include "types.h"
#include "core/console_ring.h"

/* Bulkhead's ring and one per VM. */
#define CONSOLE_MAX_RINGS 32
/* A partial line goes out after its owner wrote nothing for this long, */
#define CONSOLE_IDLE_MS 30
/* or this long while the owner's UART driver waits to send more (its vCPU
 * may simply not be running: a line cut in two is worse than a late one). */
#define CONSOLE_WAITING_MS 1000
/* The CPU whose run loop drains the console and routes its input (deferred
 * work, core/workqueue.h); the console UART's interrupt is routed to it. */
#define CONSOLE_CPU 0

struct console_ops {
	void (*putc)(char c);
	int (*getc)(void);   /* next received byte or -1 */
	/* Turns the UART's receive interrupt on or off (NULL: none). Off, the
	 * UART keeps what arrives until its FIFO is full and then holds the
	 * sender back. */
	void (*rx_irq)(bool on);
};

void console_init(const struct console_ops *ops);

/*
 * Bulkhead's own line (log.c): never dropped, never split; when Bulkhead's
 * ring is full the caller waits for the UART. After console_panic_begin()
 * lines are written straight to the UART.
 */
void console_hv_line(const char *text, u32 len);
/* The machine is about to stop: end any open line and write directly from now on. */
void console_panic_begin(void);
/* Before the machine powers off: waits (100 ms at most) for a drainer on
 * another CPU to finish its line, then writes out everything the rings hold,
 * so that the last lines (the power-off's own) are never cut. */
void console_flush_for_power_off(void);

/*
 * The shell's line as it is typed (core/shell_line.h): `delta` continues it
 * when the screen still ends with it, otherwise "(hv) > " and `line` start
 * a new screen line. console_edit_end() ends it at Enter: false when it is
 * not on the screen's last line any more (the caller then repeats it).
 */
void console_edit_show(const char *line, u32 len, const char *delta, u32 dlen);
bool console_edit_end(void);

/*
 * A VM's ring. register/unregister bracket the ring's life (its buffer must
 * outlive it); open/close bracket a run of the VM: `wake` is called when the
 * ring has room again after it ran low (never with a console or ring lock
 * held, and never after close returned). close writes out everything the
 * ring holds, a partial line included, and empties it.
 */
bool console_ring_register(struct console_ring *r);
void console_ring_unregister(struct console_ring *r);
void console_ring_open(struct console_ring *r, void (*wake)(void *ctx), void *ctx);
void console_ring_close(struct console_ring *r);

/*
 * The console's owner: while `r` (a VM's ring) is focused, it is written
 * raw and at once, and the other VMs' rings wait in the background (shown,
 * prefixed, once no ring is focused). NULL: every ring by line, prefixed.
 */
void console_focus(struct console_ring *r);
/* The input side's (console.c) calls: `closed` when the focused ring is
 * closed (its VM stopped or restarts), `room` from console_input_room();
 * both with no lock held. */
void console_input_hooks(void (*closed)(void), void (*room)(void));

/* A guest's byte: false when its ring is full (the byte is dropped and counted). */
bool console_guest_put(struct console_ring *r, char c);
/* After a guest's UART access, with no device lock held: drain if a line is
 * ready (try-lock only: never waits for another CPU) and deliver wake-ups. */
void console_guest_kick(struct console_ring *r);
/* A vCPU of the guest waits for an interrupt (WFI): if it wrote the partial
 * line last and its UART's driver has nothing more to send, the line is a
 * prompt that will not grow soon, and goes out now rather than after the
 * idle time. */
void console_guest_idle(struct console_ring *r);
/* The guest's UART driver does (or no longer does) wait for the transmit
 * interrupt to send more: its open line is not yet a prompt. */
void console_guest_tx_waits(struct console_ring *r, bool waits);
/* Both, for the putc hypercall. */
void console_guest_putc(struct console_ring *r, char c);

/*
 * Time-driven work: console_flush_deadline() is the counter value at which
 * console_poll() has something to do (a partial line falls due, lines or
 * wake-ups were left by a drainer that lost a race or ran out of budget); 0
 * when nothing is pending. When it goes from 0 to a value, a call of
 * console_poll() is queued as work on CONSOLE_CPU for that time.
 * console_poll() never waits for a lock; call it with no lock held.
 */
u64 console_flush_deadline(void);
void console_poll(u64 now);

/*
 * Input. The UART interrupt drains received bytes into a buffer
 * (console_rx_interrupt; when it is full, the UART is left unread and its
 * interrupt off until half is free) and queues their routing as work on
 * CONSOLE_CPU (console_service): to Bulkhead's shell or to one VM's UART. A
 * byte the target VM has no room for waits for it to read; a VM that reads
 * nothing for a second loses what is typed for it, and the console says so.
 * Ctrl-A pressed three times moves the input to the next running VM (then
 * back to the shell); Ctrl-] moves it to the shell at once.
 */
int console_getc(void);
void console_rx_irq(bool on);
void console_rx_interrupt(void);
void console_service(void);
/* True while a byte waits for room in the target VM's UART. */
bool console_input_held(void);
/* The target VM read from its UART: a held byte may fit now. */
void console_input_room(void);
/* Sends input to VM `id` (0: the shell); a VM that is not running is refused
 * (the console says so). */
void console_set_target(u32 id);
/* true: every VM's output by line, prefixed, whoever has the input;
 * false (the default): the VM that has the input alone, byte for byte. */
void console_set_shared_view(bool on);
/* The shell's `console-view shared|focus` (NULL: no argument). */
void console_view_command(const char *arg);

#endif
