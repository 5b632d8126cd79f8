/*
 * One console owner's pending output (a VM's UART, or Bulkhead's own log):
 * bytes wait here until the drainer (core/console_out.c) writes them out a
 * line at a time. Writers never wait for the physical UART; a full ring is
 * reported to the writer, which is how a guest sees back-pressure.
 *
 * The ring keeps the writer's bytes as they are. Taken a line at a time
 * (the shared, prefixed view) they are cut into lines: a line ends at '\n',
 * or after CONSOLE_LINE_MAX bytes without one, and comes out sanitized. The
 * bytes after the last '\n' are the open line; it is taken as a partial line
 * only when the caller says so (after the owner was idle for a while, or
 * when the ring is closed). Taken raw (the VM that has the console input)
 * they come out byte for byte, escape sequences included.
 *
 * A ring in the background (another VM has the console) never refuses a
 * byte: when full it forgets its oldest line, so that its writer never
 * waits for a console it does not have; what it forgot is counted.
 */
#ifndef BULKHEAD_CORE_CONSOLE_RING_H
#define BULKHEAD_CORE_CONSOLE_RING_H

#include "types.h"
#include "core/spinlock.h"

#define CONSOLE_LINE_MAX 200
#define CONSOLE_NAME_MAX 32
/* Below this much room the writer is told to wait (the emulated PL011 drops
 * its TX interrupt); it hears again once the drainer made this much room.
 * Linux's amba-pl011 writes half its FIFO (at most 16 bytes) per TX interrupt
 * without looking at TXFF, so this must be larger. */
#define CONSOLE_TX_LEVEL 32

enum ring_put {
	RING_FULL,      /* no room: the byte was dropped and counted */
	RING_TAKEN,     /* taken (or ignored, for '\r'); no new complete line */
	RING_LINE,      /* taken, and a line is now complete */
};

struct console_ring {
	struct spinlock lock;
	char name[CONSOLE_NAME_MAX];  /* the owner in "(NAME) " */
	u8 *buf;
	u32 size;            /* a power of two */
	/* head and tail count bytes taken and put since the last reset; they
	 * wrap, and tail - head is what the ring holds. The fields below are
	 * written under the lock with atomic stores, so that the drainer may
	 * glance at them without it (console_ring_ready). */
	u32 head, tail;
	u32 newlines;        /* '\n' bytes held */
	u32 open_len;        /* bytes held after the last '\n' */
	u64 last_put;        /* counter value of the last byte put */
	u32 last_cpu;        /* the physical CPU that put it (a hint, console_out.c's) */
	/* The writer has more to send: its UART's driver waits for the
	 * transmit interrupt. Its open line is the middle of a line, not a
	 * prompt, and is given longer to end (console_out.c). */
	bool writer_waits;
	bool low_room;       /* room fell below CONSOLE_TX_LEVEL since the writer last heard */
	bool wake_pending;   /* room is back: the writer should be told */
	/* statistics, never reset */
	u64 bytes_in;        /* bytes taken from the writer */
	u64 dropped;         /* bytes refused because the ring was full */
	u64 overwritten;     /* bytes forgotten in the background */
	u32 unshown;         /* of those, forgotten since the owner was last shown */
	bool background;     /* another VM has the console: see the top */
	/* The writer's "room is back" callback; see console_out.c for the rules. */
	void (*wake)(void *ctx);
	void *wake_ctx;
	bool wake_on;
	u32 waking;          /* wake calls in flight */
};

/* `size` must be a power of two and larger than CONSOLE_LINE_MAX. */
void console_ring_init(struct console_ring *r, const char *name, u8 *buf, u32 size);
/* Forgets what the ring holds (a VM restarts); statistics stay. */
void console_ring_reset(struct console_ring *r);
u32 console_ring_room(struct console_ring *r);
/* What the ring holds (a lock-free hint). */
u32 console_ring_held(const struct console_ring *r);
/*
 * Puts one byte from an untrusted writer at counter time `now`, as it is.
 * Taken a line at a time, '\r' is left out and control bytes other than '\n'
 * and tab become '?', so that no writer can repaint the operator's terminal
 * or fake another owner's prefix in the shared view.
 */
enum ring_put console_ring_put(struct console_ring *r, char c, u64 now);
/* Puts `len` bytes and a '\n' only if all fit; false (nothing put) otherwise. */
bool console_ring_put_line(struct console_ring *r, const char *text, u32 len, u64 now);
/*
 * Takes the next line into `out` (CONSOLE_LINE_MAX bytes), without its '\n'
 * and sanitized (see console_ring_put), and returns its length. *ended says whether the line is complete; the open
 * line is taken only when `partial` is true. Returns 0 with *ended false when
 * there is nothing to take.
 */
u32 console_ring_take(struct console_ring *r, char *out, bool partial, bool *ended);
/* Counter value at which the open line has been idle for `idle` ticks, or 0
 * when there is no open line (or a complete line is waiting anyway). */
u64 console_ring_partial_due(struct console_ring *r, u64 idle);
/* A lock-free hint for the drainer: a complete line is waiting, or the open
 * line is due at `now`. The drainer checks again under the lock. */
bool console_ring_ready(const struct console_ring *r, u64 now, u64 idle);
/* Takes up to `max` bytes as they are, lines or not; returns how many. */
u32 console_ring_take_raw(struct console_ring *r, char *out, u32 max);
/* Puts the ring in or out of the background (see the top). Going in counts
 * as room being back (its writer may be waiting); coming out with little
 * room makes the writer wait for the drainer again. */
void console_ring_set_background(struct console_ring *r, bool on);
/* Bytes forgotten since the last call (the owner is shown again). */
u32 console_ring_take_unshown(struct console_ring *r);
/* True once after the ring went low on room and got CONSOLE_TX_LEVEL back. */
bool console_ring_take_wake(struct console_ring *r);

#endif
