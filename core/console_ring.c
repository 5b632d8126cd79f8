/*
 * A console owner's output ring; see console_ring.h. Every function takes
 * the ring's own lock, held only for a few byte copies: the writer (a guest's
 * UART trap) and the drainer never wait on each other for long.
 */
#include "core/console_ring.h"
#include "lib/string.h"

/* Fields the drainer reads without the lock are stored atomically. */
#define SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

void console_ring_init(struct console_ring *r, const char *name, u8 *buf, u32 size)
{
	u32 n = (u32)strnlen(name, sizeof(r->name) - 1);

	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, n);
	r->buf = buf;
	r->size = size;
}

void console_ring_reset(struct console_ring *r)
{
	spin_lock(&r->lock);
	SET(r->head, 0);
	SET(r->tail, 0);
	SET(r->newlines, 0);
	SET(r->open_len, 0);
	r->low_room = false;
	r->wake_pending = false;
	SET(r->writer_waits, false);
	spin_unlock(&r->lock);
}

static u32 room_locked(const struct console_ring *r)
{
	return r->size - (r->tail - r->head);
}

u32 console_ring_room(struct console_ring *r)
{
	/* Without the lock: head first, so that tail - head cannot go below
	 * zero; both may move meanwhile, so cap what is held at the size. */
	u32 head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	u32 held = GET(r->tail) - head;

	if (GET(r->background))
		return r->size;  /* it forgets its oldest line instead of refusing */
	return held >= r->size ? 0 : r->size - held;
}

static char sanitize(char c)
{
	if (((u8)c < 0x20 && c != '\n' && c != '\t') || (u8)c == 0x7f)
		return '?';
	return c;
}

/* Appends one byte that is known to fit; true when it completed a line. */
static bool append(struct console_ring *r, char c, u64 now)
{
	bool line = false;

	r->buf[r->tail & (r->size - 1)] = (u8)c;
	SET(r->tail, r->tail + 1);
	if (c == '\n') {
		SET(r->newlines, r->newlines + 1);
		SET(r->open_len, 0);
		line = true;
	} else {
		SET(r->open_len, r->open_len + 1);
		line = r->open_len % CONSOLE_LINE_MAX == 0;
	}
	SET(r->last_put, now);
	r->bytes_in++;
	if (room_locked(r) < CONSOLE_TX_LEVEL && !r->background)
		r->low_room = true;
	return line;
}

/* Forgets the head line (or CONSOLE_LINE_MAX bytes of it) to make room. */
static void forget_oldest(struct console_ring *r);

enum ring_put console_ring_put(struct console_ring *r, char c, u64 now)
{
	enum ring_put result = RING_TAKEN;

	spin_lock(&r->lock);
	if (!room_locked(r) && r->background)
		forget_oldest(r);
	if (!room_locked(r)) {
		r->dropped++;
		r->low_room = true;
		result = RING_FULL;
	} else if (append(r, c, now)) {
		result = RING_LINE;
	}
	spin_unlock(&r->lock);
	return result;
}

bool console_ring_put_line(struct console_ring *r, const char *text, u32 len, u64 now)
{
	bool fits;

	spin_lock(&r->lock);
	fits = room_locked(r) > len;
	for (u32 i = 0; fits && i < len; i++)
		append(r, text[i], now);
	if (fits)
		append(r, '\n', now);
	spin_unlock(&r->lock);
	return fits;
}

/* Length of the head line, cut at CONSOLE_LINE_MAX; *nl says it ends in '\n'. */
static u32 head_line(const struct console_ring *r, bool *nl)
{
	u32 held = r->tail - r->head;
	u32 max = held < CONSOLE_LINE_MAX ? held : CONSOLE_LINE_MAX;
	/* a '\n' just after a full-length line ends that line, not an empty one */
	u32 look = held < max + 1 ? held : max + 1;

	*nl = false;
	if (!r->newlines)
		return max;  /* all of it is the open line */
	for (u32 i = 0; i < look; i++) {
		if (r->buf[(r->head + i) & (r->size - 1)] == '\n') {
			*nl = true;
			return i;
		}
	}
	return max;
}

/* Moves the head past `len` bytes (and the '\n' after them if `nl`). */
static void advance(struct console_ring *r, u32 len, bool nl)
{
	SET(r->head, r->head + len + (nl ? 1 : 0));
	if (nl)
		SET(r->newlines, r->newlines - 1);
	else if (!r->newlines)
		SET(r->open_len, r->open_len - len);  /* taken from the open line */
	if (r->low_room && room_locked(r) >= CONSOLE_TX_LEVEL) {
		r->low_room = false;
		r->wake_pending = true;
	}
}

/* Copies the head line out sanitized; returns the length it has there. */
static u32 consume(struct console_ring *r, char *out, u32 len, bool nl)
{
	u32 n = 0;

	for (u32 i = 0; i < len; i++) {
		char c = (char)r->buf[(r->head + i) & (r->size - 1)];

		if (c != '\r')
			out[n++] = sanitize(c);
	}
	advance(r, len, nl);
	return n;
}

static void forget_oldest(struct console_ring *r)
{
	bool nl;
	u32 len = head_line(r, &nl);

	advance(r, len, nl);
	r->overwritten += len + (nl ? 1 : 0);
	r->unshown += len + (nl ? 1 : 0);
}

u32 console_ring_take(struct console_ring *r, char *out, bool partial, bool *ended)
{
	bool nl;
	u32 len;

	spin_lock(&r->lock);
	len = head_line(r, &nl);
	*ended = nl || len == CONSOLE_LINE_MAX;
	if (*ended || partial)
		len = consume(r, out, len, nl);
	else
		len = 0;
	spin_unlock(&r->lock);
	return len;
}

u64 console_ring_partial_due(struct console_ring *r, u64 idle)
{
	u64 due = 0;

	spin_lock(&r->lock);
	if (!r->newlines && r->open_len && r->open_len < CONSOLE_LINE_MAX)
		due = r->last_put + idle;
	spin_unlock(&r->lock);
	return due;
}

bool console_ring_ready(const struct console_ring *r, u64 now, u64 idle)
{
	u32 open = GET(r->open_len);

	if (GET(r->newlines) || open >= CONSOLE_LINE_MAX)
		return true;
	return open && now - GET(r->last_put) >= idle;
}

bool console_ring_take_wake(struct console_ring *r)
{
	bool wake;

	spin_lock(&r->lock);
	wake = r->wake_pending;
	r->wake_pending = false;
	spin_unlock(&r->lock);
	return wake;
}

u32 console_ring_held(const struct console_ring *r)
{
	u32 head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	return GET(r->tail) - head;
}

u32 console_ring_take_raw(struct console_ring *r, char *out, u32 max)
{
	u32 held, n, nls = 0;

	spin_lock(&r->lock);
	held = r->tail - r->head;
	n = held < max ? held : max;
	for (u32 i = 0; i < n; i++) {
		out[i] = (char)r->buf[(r->head + i) & (r->size - 1)];
		nls += out[i] == '\n';
	}
	SET(r->head, r->head + n);
	SET(r->newlines, r->newlines - nls);
	if (!r->newlines)
		SET(r->open_len, held - n);  /* all that is left is the open line */
	if (r->low_room && room_locked(r) >= CONSOLE_TX_LEVEL) {
		r->low_room = false;
		r->wake_pending = true;
	}
	spin_unlock(&r->lock);
	return n;
}

void console_ring_set_background(struct console_ring *r, bool on)
{
	spin_lock(&r->lock);
	if (on && !r->background && r->low_room) {
		r->low_room = false;
		r->wake_pending = true;  /* it never waits in the background */
	}
	if (!on && r->background && room_locked(r) < CONSOLE_TX_LEVEL)
		r->low_room = true;
	SET(r->background, on);
	spin_unlock(&r->lock);
}

u32 console_ring_take_unshown(struct console_ring *r)
{
	u32 n;

	spin_lock(&r->lock);
	n = r->unshown;
	r->unshown = 0;
	spin_unlock(&r->lock);
	return n;
}
