/*
 * libFuzzer target for the console ring (core/console_ring.c), which takes
 * every byte a guest writes to its UART. The input is a sequence of
 * operations, two bytes each:
 *
 *   op % 7 == 0  put byte `arg` (the guest writes it)
 *   op % 7 == 1  take a line; partial lines too when arg is odd
 *   op % 7 == 2  put a line of arg bytes (Bulkhead's own, all or nothing)
 *   op % 7 == 3  take the wake-up flag
 *   op % 7 == 4  reset (the VM restarts)
 *   op % 7 == 5  take up to arg + 1 bytes raw (the VM has the console)
 *   op % 7 == 6  background on (arg odd) or off (another VM has the console)
 *
 * A plain model (a byte queue of what was put, as it was) follows along.
 * Checks: taken by line, what comes out is what went in, in order, without
 * '\r' and sanitized, cut into lines of at most CONSOLE_LINE_MAX bytes
 * without '\n' or control bytes; taken raw, it is exactly what went in; in
 * the background nothing is refused and the oldest lines are forgotten
 * whole; room is right; a refused byte is counted and only refused when the
 * ring is full; the partial-line deadline and the wake-up flag agree with
 * the model.
 */
#include <stdlib.h>
#include <string.h>

#include "core/console_ring.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define SIZE 1024
#define IDLE 10

static u8 buf[SIZE];

struct model {
	u8 q[SIZE];
	u32 head, count;  /* queue of the bytes held, as put */
	u64 dropped, forgotten;
	u64 last_put;
	bool low;         /* room fell below the level since the last wake */
	bool wake;
	bool background;
};

static u8 clean(u8 c)
{
	return ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) ? '?' : c;
}

static u8 model_at(const struct model *m, u32 i)
{
	return m->q[(m->head + i) % SIZE];
}

static bool model_has_nl(const struct model *m)
{
	for (u32 i = 0; i < m->count; i++) {
		if (model_at(m, i) == '\n')
			return true;
	}
	return false;
}

/* The head line's length in bytes held (cut at the limit); *nl: a '\n' ends it. */
static u32 model_head_line(const struct model *m, bool *nl)
{
	u32 max = m->count < CONSOLE_LINE_MAX ? m->count : CONSOLE_LINE_MAX;
	u32 look = m->count < max + 1 ? m->count : max + 1;

	*nl = false;
	for (u32 i = 0; i < look; i++) {
		if (model_at(m, i) == '\n') {
			*nl = true;
			return i;
		}
	}
	return max;
}

static void model_pop(struct model *m, u32 n)
{
	m->head = (m->head + n) % SIZE;
	m->count -= n;
	if (m->low && SIZE - m->count >= CONSOLE_TX_LEVEL) {
		m->low = false;
		m->wake = true;
	}
}

static void model_push(struct model *m, u8 c, u64 now)
{
	m->q[(m->head + m->count) % SIZE] = c;
	m->count++;
	m->last_put = now;
	if (SIZE - m->count < CONSOLE_TX_LEVEL && !m->background)
		m->low = true;
}

static void put_byte(struct console_ring *r, struct model *m, u8 c, u64 now)
{
	enum ring_put res = console_ring_put(r, (char)c, now);

	if (m->count == SIZE && m->background) {
		bool nl;
		u32 len = model_head_line(m, &nl);

		m->forgotten += len + nl;
		model_pop(m, len + nl);
	}
	if (m->count == SIZE) {
		CHECK(res == RING_FULL);
		m->dropped++;
		m->low = true;
		return;
	}
	CHECK(res != RING_FULL);
	model_push(m, c, now);
	if (c == '\n')
		CHECK(res == RING_LINE);
}

static void put_line(struct console_ring *r, struct model *m, const u8 *text, u32 len, u64 now)
{
	bool fits = SIZE - m->count > len;

	CHECK(console_ring_put_line(r, (const char *)text, len, now) == fits);
	if (!fits)
		return;
	for (u32 i = 0; i < len; i++)
		model_push(m, text[i], now);
	model_push(m, '\n', now);
}

static void take(struct console_ring *r, struct model *m, bool partial)
{
	char out[CONSOLE_LINE_MAX];
	bool ended, nl;
	u32 len = console_ring_take(r, out, partial, &ended);
	u32 raw = model_head_line(m, &nl), n = 0;

	CHECK(ended == (nl || raw == CONSOLE_LINE_MAX));
	if (!ended && !partial) {
		CHECK(len == 0);
		return;
	}
	for (u32 i = 0; i < raw; i++) {
		u8 c = model_at(m, i);

		if (c == '\r')
			continue;
		CHECK(n < len && (u8)out[n] == clean(c));
		CHECK(out[n] != '\n' && ((u8)out[n] >= 0x20 || out[n] == '\t'));
		n++;
	}
	CHECK(n == len);
	if (raw + nl)
		model_pop(m, raw + nl);
}

static void take_raw(struct console_ring *r, struct model *m, u32 max)
{
	char out[256];
	u32 len = console_ring_take_raw(r, out, max);

	CHECK(len == (m->count < max ? m->count : max));
	for (u32 i = 0; i < len; i++)
		CHECK((u8)out[i] == model_at(m, i));
	if (len)
		model_pop(m, len);
}

static void background(struct console_ring *r, struct model *m, bool on)
{
	console_ring_set_background(r, on);
	if (on && !m->background && m->low) {
		m->low = false;
		m->wake = true;
	}
	if (!on && m->background && SIZE - m->count < CONSOLE_TX_LEVEL)
		m->low = true;
	m->background = on;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct console_ring ring;
	struct model m;
	u64 now = 1;

	memset(&m, 0, sizeof(m));
	console_ring_init(&ring, "fuzz", buf, SIZE);
	for (size_t pos = 0; pos + 2 <= size; pos += 2) {
		u8 op = data[pos] % 7, arg = data[pos + 1];

		now += data[pos] / 7 % 4;
		switch (op) {
		case 0:
			put_byte(&ring, &m, arg, now);
			break;
		case 1:
			take(&ring, &m, arg & 1);
			break;
		case 2:
			put_line(&ring, &m, data + pos, arg < size - pos ? arg : (u32)(size - pos), now);
			break;
		case 3:
			CHECK(console_ring_take_wake(&ring) == m.wake);
			m.wake = false;
			break;
		case 4:
			console_ring_reset(&ring);
			m.head = m.count = 0;
			m.low = m.wake = false;
			break;
		case 5:
			take_raw(&ring, &m, (u32)arg + 1);
			break;
		case 6:
			background(&ring, &m, arg & 1);
			break;
		}
		CHECK(console_ring_room(&ring) == (m.background ? SIZE : SIZE - m.count));
		CHECK(console_ring_held(&ring) == m.count);
		CHECK(ring.dropped == m.dropped && ring.overwritten == m.forgotten);
		{
			u64 due = console_ring_partial_due(&ring, IDLE);
			bool open = m.count && !model_has_nl(&m) && m.count < CONSOLE_LINE_MAX;

			CHECK(due == (open ? m.last_put + IDLE : 0));
		}
	}
	return 0;
}
