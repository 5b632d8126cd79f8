/*
 * libFuzzer target for the console ring (core/console_ring.c), which takes
 * every byte a guest writes to its UART. The input is a sequence of
 * operations, two bytes each:
 *
 *   op % 5 == 0  put byte `arg` (the guest writes it)
 *   op % 5 == 1  take a line; partial lines too when arg is odd
 *   op % 5 == 2  put a line of arg bytes (Bulkhead's own, all or nothing)
 *   op % 5 == 3  take the wake-up flag
 *   op % 5 == 4  reset (the VM restarts)
 *
 * A plain model (a byte queue) follows along. Checks: what comes out is
 * exactly what went in, sanitized and in order, cut into lines of at most
 * CONSOLE_LINE_MAX bytes without '\n' or control bytes; room is right; a
 * refused byte is counted and only refused when the ring is full; the
 * partial-line deadline and the wake-up flag agree with the model.
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
	u32 head, count;  /* queue of sanitized bytes held */
	u64 dropped;
	u64 last_put;
	bool low;         /* room fell below the level since the last wake */
	bool wake;
};

static u8 clean(u8 c)
{
	return ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) ? '?' : c;
}

static void model_push(struct model *m, u8 c, u64 now)
{
	m->q[(m->head + m->count) % SIZE] = c;
	m->count++;
	m->last_put = now;
	if (SIZE - m->count < CONSOLE_TX_LEVEL)
		m->low = true;
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

static void put_byte(struct console_ring *r, struct model *m, u8 c, u64 now)
{
	enum ring_put res = console_ring_put(r, (char)c, now);

	if (c == '\r') {
		CHECK(res == RING_TAKEN);
		return;
	}
	if (m->count == SIZE) {
		CHECK(res == RING_FULL);
		m->dropped++;
		m->low = true;
		return;
	}
	CHECK(res != RING_FULL);
	model_push(m, clean(c), now);
	if (c == '\n')
		CHECK(res == RING_LINE);
}

static void put_line(struct console_ring *r, struct model *m, const u8 *text, u32 len, u64 now)
{
	bool fits = SIZE - m->count > len;

	CHECK(console_ring_put_line(r, (const char *)text, len, now) == fits);
	if (!fits)
		return;
	for (u32 i = 0; i < len; i++) {
		if (text[i] != '\r')
			model_push(m, clean(text[i]), now);
	}
	model_push(m, '\n', now);
}

static void take(struct console_ring *r, struct model *m, bool partial)
{
	char out[CONSOLE_LINE_MAX];
	bool ended;
	u32 len = console_ring_take(r, out, partial, &ended);
	u32 i;

	CHECK(len <= CONSOLE_LINE_MAX && len <= m->count);
	for (i = 0; i < len; i++) {
		CHECK((u8)out[i] == model_at(m, i));
		CHECK(out[i] != '\n' && ((u8)out[i] >= 0x20 || out[i] == '\t'));
	}
	if (ended) {
		/* a line ends at '\n' or is cut at the limit */
		CHECK((len < m->count && model_at(m, len) == '\n') || len == CONSOLE_LINE_MAX);
		if (len < m->count && model_at(m, len) == '\n')
			i++;
	} else if (len) {
		CHECK(partial && len == m->count && !model_has_nl(m));
	} else {
		/* nothing: the ring is empty, or holds only a short partial line */
		CHECK(!model_has_nl(m) && m->count < CONSOLE_LINE_MAX);
		CHECK(!partial || !m->count);
	}
	m->head = (m->head + i) % SIZE;
	m->count -= i;
	if (m->low && SIZE - m->count >= CONSOLE_TX_LEVEL && i) {
		m->low = false;
		m->wake = true;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct console_ring ring;
	struct model m;
	u64 now = 1;

	memset(&m, 0, sizeof(m));
	console_ring_init(&ring, "fuzz", buf, SIZE);
	for (size_t pos = 0; pos + 2 <= size; pos += 2) {
		u8 op = data[pos] % 5, arg = data[pos + 1];

		now += data[pos] / 5 % 4;
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
		}
		CHECK(console_ring_room(&ring) == SIZE - m.count);
		CHECK(ring.dropped == m.dropped);
		{
			u64 due = console_ring_partial_due(&ring, IDLE);
			bool open = m.count && !model_has_nl(&m) && m.count < CONSOLE_LINE_MAX;

			CHECK(due == (open ? m.last_put + IDLE : 0));
		}
	}
	return 0;
}
