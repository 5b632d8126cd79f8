/* Bulkhead's log kept for dmesg (log_ring.h). */
#include "core/log_ring.h"
#include "core/spinlock.h"
#include "lib/string.h"

/* Attempts at the lock before a line is left out of the ring (it is copied
 * in a few hundred instructions, so only a CPU that stopped holding it
 * makes the writer give up). */
#define LOG_RING_TRIES 1000000

static char ring[LOG_RING_SIZE];
static u32 head, tail;          /* bytes taken and put; tail - head is what it holds */
static struct spinlock ring_lock;
static bool replaying;          /* under ring_lock */
static char copy[LOG_RING_SIZE];  /* the replay's snapshot (only the shell replays) */

/* Drops the oldest line, or what is left of it. */
static void drop_oldest(void)
{
	while (head != tail && ring[head++ % LOG_RING_SIZE] != '\n')
		;
}

void log_ring_add(const char *text, u32 len)
{
	u32 tries = 0;

	if (len > LOG_RING_SIZE - 1)
		len = LOG_RING_SIZE - 1;
	/* bounded: a panic on a CPU that held the lock still reaches the console */
	while (!spin_trylock(&ring_lock)) {
		if (++tries > LOG_RING_TRIES)
			return;
	}
	if (!replaying) {
		while (LOG_RING_SIZE - (tail - head) < len + 1)
			drop_oldest();
		for (u32 i = 0; i < len; i++)
			ring[tail++ % LOG_RING_SIZE] = text[i];
		ring[tail++ % LOG_RING_SIZE] = '\n';
	}
	spin_unlock(&ring_lock);
}

void log_ring_replay(void (*line)(void *ctx, const char *text, u32 len), void *ctx)
{
	u32 n, start = 0;

	spin_lock(&ring_lock);
	n = tail - head;
	for (u32 i = 0; i < n; i++)
		copy[i] = ring[(head + i) % LOG_RING_SIZE];
	replaying = true;
	spin_unlock(&ring_lock);
	for (u32 i = 0; i < n; i++) {
		if (copy[i] == '\n') {
			line(ctx, copy + start, i - start);
			start = i + 1;
		}
	}
	spin_lock(&ring_lock);
	replaying = false;
	spin_unlock(&ring_lock);
}
