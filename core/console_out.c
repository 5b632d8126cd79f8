/*
 * Console output: many rings, one UART.
 *
 * Whoever produced output (a guest's UART trap, a log line) appends to its
 * own ring and then tries the UART lock. The holder drains: one line from
 * each ready ring in turn, so a chatty VM gets a line, then everybody else,
 * then its next line. A writer that loses the try-lock simply leaves: the
 * holder looks at the rings again after unlocking (the fences below make
 * sure one of the two sees the other), so nothing is stranded. A drainer
 * writes at most DRAIN_BUDGET lines per call, so no CPU is held in a trap
 * for long; what it leaves is due at once for console_poll().
 *
 * While a VM has the console input (console_focus), its ring is written raw,
 * byte for byte and at once, and the other VMs' rings wait in the
 * background (console_ring.h); Bulkhead's lines still go out, on a line of
 * their own. Without a focused ring, every ring is drained as above.
 *
 * Lock order: out_lock, then a ring's lock. Nothing waits while holding
 * out_lock, so the few places that take it blocking (register, close, a full
 * hv ring) wait at most for one drain. Wake-ups reach into a VM's UART model
 * and interrupt controller; they run after out_lock is dropped, and only on paths that hold
 * no other lock (a guest's UART trap, console_poll), never from log calls.
 */
#include "arch.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "core/workqueue.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define DRAIN_BUDGET 16      /* lines per drain call */
#define HV_RING_SIZE 8192

static const struct console_ops *out;
static struct spinlock out_lock;
static u8 hv_buf[HV_RING_SIZE];
static struct console_ring hv_ring = { .name = "hv", .buf = hv_buf, .size = HV_RING_SIZE };
/* Registered rings; changed under out_lock, read without it only for hints. */
static struct console_ring *rings[CONSOLE_MAX_RINGS] = { &hv_ring };
static u32 cursor;                   /* round robin: the ring to look at first */
static struct console_ring *open_ring;  /* its partial line ends the screen; under out_lock */
static bool wakes_waiting;           /* some ring has wake_pending set */
static u64 due_at;                   /* see console_flush_deadline(); 0: nothing */
static void flush_due(struct work *w, u64 now);
/* console_poll() as deferred work on the console's CPU */
static struct work flush_work = { .fn = flush_due, .cpu = CONSOLE_CPU };
static bool panicking;
/* The ring written raw (a VM has the input), or NULL; changed under out_lock. */
static struct console_ring *focus;
/* console.c's, see console_input_hooks() */
static void (*focus_closed)(void);
static void (*input_room)(void);

void console_init(const struct console_ops *ops)
{
	out = ops;
}

int console_getc(void)
{
	return out && out->getc ? out->getc() : -1;
}

void console_rx_irq(bool on)
{
	if (out && out->rx_irq)
		out->rx_irq(on);
}

static u64 ms_ticks(u32 ms)
{
	return arch_counter_freq() / 1000 * ms;
}

static u64 idle_ticks(void)
{
	return ms_ticks(CONSOLE_IDLE_MS);
}

/* How long `r`'s open line may stay partial before it goes out. */
static u64 ring_idle_ticks(const struct console_ring *r)
{
	return ms_ticks(__atomic_load_n(&r->writer_waits, __ATOMIC_RELAXED) ? CONSOLE_WAITING_MS :
									  CONSOLE_IDLE_MS);
}

static u64 soon(u64 now)
{
	return now + arch_counter_freq() / 1000;
}

/*
 * Moves the deadline earlier to `when` (0: no change) and the flush on the
 * console's CPU with it (a queued item only ever moves earlier), so that a
 * line completed before an idle partial line's deadline is not held until
 * then. Later bytes only push the deadline: no queueing for them.
 */
static void note_due(u64 when)
{
	u64 cur = __atomic_load_n(&due_at, __ATOMIC_ACQUIRE);

	while (when && (!cur || when < cur)) {
		if (__atomic_compare_exchange_n(&due_at, &cur, when, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			work_queue(&flush_work, when);
			break;
		}
	}
}

u64 console_flush_deadline(void)
{
	return __atomic_load_n(&due_at, __ATOMIC_ACQUIRE);
}

/* --- writing to the UART (out_lock held, or panicking) --- */

static void put_raw(const char *s, u32 len)
{
	if (!out)
		return;
	for (u32 i = 0; i < len; i++) {
		if (s[i] == '\n')
			out->putc('\r');
		out->putc(s[i]);
	}
}

static void note_wake(struct console_ring *r)
{
	if (__atomic_load_n(&r->wake_pending, __ATOMIC_RELAXED))
		__atomic_store_n(&wakes_waiting, true, __ATOMIC_RELEASE);
}

/* Ends the open partial line of another owner, then writes `text` as the
 * start (or continuation) of `r`'s line. */
static void write_line(struct console_ring *r, const char *text, u32 len, bool ended)
{
	if (open_ring && open_ring != r) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
	if (open_ring != r) {
		put_raw("(", 1);
		put_raw(r->name, (u32)strlen(r->name));
		put_raw(") ", 2);
	}
	put_raw(text, len);
	if (ended)
		put_raw("\n", 1);
	open_ring = ended ? NULL : r;
}

/* Writes the focused ring's next bytes as they are; false when it had none. */
static bool write_raw(struct console_ring *r)
{
	char bytes[CONSOLE_LINE_MAX];
	u32 len = console_ring_take_raw(r, bytes, sizeof(bytes));

	if (!len)
		return false;
	if (open_ring && open_ring != r) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
	for (u32 i = 0; i < len; i++)
		out->putc(bytes[i]);
	/* a line of Bulkhead's that comes next starts on a line of its own */
	open_ring = bytes[len - 1] == '\n' ? NULL : r;
	return true;
}

/* The owner's output was forgotten while another VM had the console. */
static void say_unshown(struct console_ring *r)
{
	char note[80];
	u32 n = console_ring_take_unshown(r);

	if (!n)
		return;
	fmt_snprintf(note, sizeof(note),
		     "[%u bytes of output not shown: another VM had the console]", n);
	write_line(r, note, (u32)strlen(note), true);
}

/* Writes one line of `r` (a partial one only if `partial`), or the focused
 * ring's next bytes; false when it had none. */
static bool write_one(struct console_ring *r, bool partial)
{
	char line[CONSOLE_LINE_MAX];
	bool ended;
	u32 len;

	if (r == focus && out) {
		if (!write_raw(r))
			return false;
		note_wake(r);
		return true;
	}
	say_unshown(r);
	len = console_ring_take(r, line, partial, &ended);
	if (!len && !ended)
		return false;
	write_line(r, line, len, ended);
	note_wake(r);
	return true;
}

/* Whether `r` has something to write now: any byte when it is focused,
 * nothing while it waits in the background, else a line or a due partial. */
static bool ring_ready(const struct console_ring *r, u64 now)
{
	if (r == __atomic_load_n(&focus, __ATOMIC_ACQUIRE))
		return console_ring_held(r) != 0;
	if (__atomic_load_n(&r->background, __ATOMIC_RELAXED))
		return false;
	return console_ring_ready(r, now, ring_idle_ticks(r));
}

static int next_ready(u64 now)
{
	for (u32 n = 0; n < CONSOLE_MAX_RINGS; n++) {
		u32 i = (cursor + n) % CONSOLE_MAX_RINGS;

		if (rings[i] && ring_ready(rings[i], now))
			return (int)i;
	}
	return -1;
}

/* Writes up to `budget` lines, one per ready ring in turn; true when some were left. */
static bool drain_locked(u64 now, u32 budget)
{
	for (;;) {
		int i = next_ready(now);
		u64 due;

		if (i < 0)
			return false;
		if (!budget--)
			return true;
		due = console_ring_partial_due(rings[i], ring_idle_ticks(rings[i]));
		write_one(rings[i], due && now >= due);
		cursor = (u32)i + 1;
	}
}

/* --- wake-ups --- */

/* Rings whose writer must hear that room is back; out_lock held. Each gets a
 * `waking` reference, so that close() can wait until its wake-up is over. */
static u32 collect_wakes(struct console_ring **list)
{
	u32 n = 0;

	if (!__atomic_exchange_n(&wakes_waiting, false, __ATOMIC_ACQ_REL))
		return 0;
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		struct console_ring *r = rings[i];

		if (r && r->wake_on && console_ring_take_wake(r)) {
			__atomic_add_fetch(&r->waking, 1, __ATOMIC_ACQ_REL);
			list[n++] = r;
		}
	}
	return n;
}

static void run_wakes(struct console_ring **list, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		list[i]->wake(list[i]->wake_ctx);
		__atomic_sub_fetch(&list[i]->waking, 1, __ATOMIC_ACQ_REL);
		arch_send_event();
	}
}

static bool any_ready(u64 now)
{
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		struct console_ring *r = __atomic_load_n(&rings[i], __ATOMIC_ACQUIRE);

		if (r && ring_ready(r, now))
			return true;
	}
	return false;
}

/* The try-lock drainer; `can_wake`: the caller holds no lock (see the top). */
static void drain(u64 now, bool can_wake)
{
	for (;;) {
		struct console_ring *wake[CONSOLE_MAX_RINGS];
		u32 nwake = 0;
		bool left;

		/* our output is in the ring before we look at the lock */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!spin_trylock(&out_lock))
			return;  /* the holder looks again after unlocking */
		left = drain_locked(now, DRAIN_BUDGET);
		if (can_wake)
			nwake = collect_wakes(wake);
		spin_unlock(&out_lock);
		run_wakes(wake, nwake);
		if (__atomic_load_n(&wakes_waiting, __ATOMIC_ACQUIRE))
			note_due(now);
		if (left) {
			note_due(now);
			return;
		}
		/* the lock is free before we look at the rings again */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!any_ready(now))
			return;
	}
}

/* --- Bulkhead's lines --- */

void console_hv_line(const char *text, u32 len)
{
	u64 now = arch_counter_read();

	if (__atomic_load_n(&panicking, __ATOMIC_ACQUIRE)) {
		write_line(&hv_ring, text, len, true);
		return;
	}
	while (!console_ring_put_line(&hv_ring, text, len, now)) {
		/* never dropped: wait for the UART (the drainer takes one line per
		 * ring in turn, so ours come soon) */
		spin_lock(&out_lock);
		drain_locked(now, DRAIN_BUDGET);
		spin_unlock(&out_lock);
	}
	drain(now, false);
}

/*
 * The shell's line being typed is the screen's open line, owned by a ring
 * of its own that holds nothing: another owner's line ends it like any
 * partial line, and the next key draws it again whole.
 */
static struct console_ring edit_line = { .name = "hv" };

void console_edit_show(const char *line, u32 len, const char *delta, u32 dlen)
{
	u64 now = arch_counter_read();

	if (__atomic_load_n(&panicking, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&out_lock);
	drain_locked(now, DRAIN_BUDGET);  /* what was said before the key comes first */
	if (open_ring == &edit_line) {
		put_raw(delta, dlen);
	} else {
		write_line(&edit_line, "> ", 2, false);
		put_raw(line, len);
	}
	open_ring = &edit_line;
	spin_unlock(&out_lock);
}

bool console_edit_end(void)
{
	bool shown;

	spin_lock(&out_lock);
	shown = open_ring == &edit_line;
	if (shown) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
	spin_unlock(&out_lock);
	return shown;
}

void console_panic_begin(void)
{
	u64 give_up = arch_counter_read() + arch_counter_freq() / 10;

	if (__atomic_exchange_n(&panicking, true, __ATOMIC_ACQ_REL))
		return;
	/* let a drainer finish its line, but do not wait for a stuck one */
	while (!spin_trylock(&out_lock) && arch_counter_read() < give_up)
		arch_wait_event();
	if (open_ring) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
	while (write_one(&hv_ring, true))
		;  /* what Bulkhead said before the panic comes first */
}

void console_flush_for_power_off(void)
{
	u64 now = arch_counter_read();
	/* Two seconds: under TCG on a loaded host the drainer's CPU may not run
	 * for a tenth of one, and the machine's last lines were lost (seen in a
	 * full test run beside a soak); a truly stuck drainer costs only this. */
	u64 give_up = now + 2 * arch_counter_freq();

	while (!spin_trylock(&out_lock)) {
		if (arch_counter_read() >= give_up)
			return;  /* a stuck drainer: power off anyway */
		arch_wait_event();
	}
	/* each ring's lines in turn, an open line's bytes as they are: at most
	 * what the rings hold, which nothing adds to any more (no VM runs) */
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		while (rings[i] && write_one(rings[i], true))
			;
	}
	if (open_ring) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
	spin_unlock(&out_lock);
}

/* --- VM rings --- */

bool console_ring_register(struct console_ring *r)
{
	bool done = false;

	spin_lock(&out_lock);
	for (u32 i = 0; i < CONSOLE_MAX_RINGS && !done; i++) {
		if (!rings[i]) {
			console_ring_set_background(r, focus != NULL);
			__atomic_store_n(&rings[i], r, __ATOMIC_RELEASE);
			done = true;
		}
	}
	spin_unlock(&out_lock);
	return done;
}

void console_ring_open(struct console_ring *r, void (*wake)(void *ctx), void *ctx)
{
	spin_lock(&out_lock);
	r->wake = wake;
	r->wake_ctx = ctx;
	r->wake_on = true;
	spin_unlock(&out_lock);
}

/* Writes all of `r`, a partial line included, and ends its line; out_lock held. */
static void write_all(struct console_ring *r)
{
	while (write_one(r, true))
		;
	if (open_ring == r) {
		put_raw("\n", 1);
		open_ring = NULL;
	}
}

void console_input_hooks(void (*closed)(void), void (*room)(void))
{
	focus_closed = closed;
	input_room = room;
}

void console_input_room(void)
{
	if (input_room)
		input_room();
}

void console_ring_close(struct console_ring *r)
{
	bool focused;

	spin_lock(&out_lock);
	r->wake_on = false;
	write_all(r);
	focused = r == focus;
	spin_unlock(&out_lock);
	if (focused && focus_closed)
		focus_closed();
	while (__atomic_load_n(&r->waking, __ATOMIC_ACQUIRE))
		arch_wait_event();
	console_ring_reset(r);
}

/* Puts every VM ring but `r` in the background (none when `r` is NULL) and
 * notes the wake-ups that frees; out_lock held. */
static void set_focus_locked(struct console_ring *r)
{
	if (open_ring && open_ring == focus) {
		put_raw("\n", 1);  /* the raw output ends mid-line: prefixed lines follow */
		open_ring = NULL;
	}
	__atomic_store_n(&focus, r, __ATOMIC_RELEASE);
	for (u32 i = 1; i < CONSOLE_MAX_RINGS; i++) {
		if (!rings[i])
			continue;
		console_ring_set_background(rings[i], r && rings[i] != r);
		note_wake(rings[i]);
	}
}

void console_focus(struct console_ring *r)
{
	spin_lock(&out_lock);
	set_focus_locked(r);
	spin_unlock(&out_lock);
	note_due(arch_counter_read());  /* what waited goes out now, wake-ups too */
}

void console_ring_unregister(struct console_ring *r)
{
	spin_lock(&out_lock);
	r->wake_on = false;
	if (focus == r)
		set_focus_locked(NULL);
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		if (rings[i] == r) {
			write_all(r);
			__atomic_store_n(&rings[i], NULL, __ATOMIC_RELEASE);
		}
	}
	spin_unlock(&out_lock);
	while (__atomic_load_n(&r->waking, __ATOMIC_ACQUIRE))
		arch_wait_event();
}

/* --- guests --- */

bool console_guest_put(struct console_ring *r, char c)
{
	u64 now = arch_counter_read();
	enum ring_put put = console_ring_put(r, c, now);

	__atomic_store_n(&r->last_cpu, arch_cpu_index(), __ATOMIC_RELAXED);
	if (put == RING_TAKEN && c != '\r')
		note_due(now + ring_idle_ticks(r));  /* an open line to flush if it stays partial */
	return put != RING_FULL;
}

/* Whether a ring still holds output (a line, a partial one) or a wake-up waits. */
static bool anything_held(void)
{
	if (__atomic_load_n(&wakes_waiting, __ATOMIC_ACQUIRE))
		return true;
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		struct console_ring *r = __atomic_load_n(&rings[i], __ATOMIC_ACQUIRE);

		if (r && !__atomic_load_n(&r->background, __ATOMIC_ACQUIRE) &&
		    (__atomic_load_n(&r->newlines, __ATOMIC_ACQUIRE) ||
			  __atomic_load_n(&r->open_len, __ATOMIC_ACQUIRE)))
			return true;
	}
	return false;
}

/*
 * Every byte a guest writes sets a deadline for its line should it stay
 * partial; once the line has gone out whole, that deadline has nothing left
 * to do, and its queued flush would only keep a timer armed on an idle
 * machine (QEMU's -icount then jumps to it). Dropped here, with the flush.
 * A byte that slips in meanwhile either moved the deadline (the CAS fails:
 * its flush is queued again) or finds it gone and sets its own; one that
 * the CAS overtook is seen by the second look at the rings.
 */
static void drop_stale_due(u64 now)
{
	u64 cur = __atomic_load_n(&due_at, __ATOMIC_ACQUIRE);

	if (!cur || anything_held())
		return;
	work_cancel(&flush_work);
	if (!__atomic_compare_exchange_n(&due_at, &cur, 0, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		cur = __atomic_load_n(&due_at, __ATOMIC_ACQUIRE);
		if (cur)
			work_queue(&flush_work, cur);
		return;
	}
	if (anything_held())
		note_due(now + idle_ticks());
}

void console_guest_kick(struct console_ring *r)
{
	u64 now;

	/* the common case, a guest polling an idle UART: nothing to write */
	if (!__atomic_load_n(&r->newlines, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&r->open_len, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&wakes_waiting, __ATOMIC_ACQUIRE))
		return;
	now = arch_counter_read();
	if (ring_ready(r, now) ||
	    __atomic_load_n(&wakes_waiting, __ATOMIC_ACQUIRE)) {
		drain(now, true);
		drop_stale_due(now);
	}
}

/*
 * Only the CPU that put the last byte going idle says the open line is done:
 * another vCPU of the same VM idling says nothing about a line its sibling is
 * in the middle of, nor does the writer waiting for its transmit interrupt.
 */
static bool prompt_waits(const struct console_ring *r)
{
	return __atomic_load_n(&r->open_len, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&r->writer_waits, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&r->last_cpu, __ATOMIC_RELAXED) == arch_cpu_index();
}

void console_guest_idle(struct console_ring *r)
{
	u64 now;
	bool left = false, prompt;

	/* the common case, on every WFI: the ring holds nothing at all */
	if (!__atomic_load_n(&r->open_len, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&r->newlines, __ATOMIC_RELAXED))
		return;
	now = arch_counter_read();
	prompt = prompt_waits(r);
	if (!prompt && !ring_ready(r, now))
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!spin_trylock(&out_lock))
		return;  /* the holder writes its lines; the partial one falls due anyway */
	left = drain_locked(now, DRAIN_BUDGET);
	if (!left && prompt)
		write_one(r, true);
	spin_unlock(&out_lock);
	if (left)
		note_due(now);
	drain(now, true);  /* for what came in meanwhile, and wake-ups */
}

void console_guest_tx_waits(struct console_ring *r, bool waits)
{
	if (__atomic_exchange_n(&r->writer_waits, waits, __ATOMIC_RELAXED) == waits || waits)
		return;
	/* its driver is done: an open line falls due after the short idle time */
	if (__atomic_load_n(&r->open_len, __ATOMIC_RELAXED))
		note_due(__atomic_load_n(&r->last_put, __ATOMIC_RELAXED) + idle_ticks());
}

void console_guest_putc(struct console_ring *r, char c)
{
	console_guest_put(r, c);
	console_guest_kick(r);
}

/* --- time --- */

/* Sets the deadline again from what the rings hold; lock-free hints only. */
static void recompute_due(u64 now)
{
	for (u32 i = 0; i < CONSOLE_MAX_RINGS; i++) {
		struct console_ring *r = __atomic_load_n(&rings[i], __ATOMIC_ACQUIRE);
		u32 open;

		if (!r || __atomic_load_n(&r->background, __ATOMIC_RELAXED))
			continue;  /* it waits for the console; nothing falls due */
		open = __atomic_load_n(&r->open_len, __ATOMIC_RELAXED);
		if (__atomic_load_n(&r->newlines, __ATOMIC_RELAXED) || open >= CONSOLE_LINE_MAX)
			note_due(soon(now));  /* a drainer is at it; look again shortly */
		else if (open)
			note_due(__atomic_load_n(&r->last_put, __ATOMIC_RELAXED) + ring_idle_ticks(r));
	}
	if (__atomic_load_n(&wakes_waiting, __ATOMIC_ACQUIRE))
		note_due(soon(now));
}

static void flush_due(struct work *w, u64 now)
{
	u64 due = console_flush_deadline();

	if (due && now < due)
		work_queue(w, due);  /* not yet: keep it queued for the deadline */
	else
		console_poll(now);
}

void console_poll(u64 now)
{
	u64 due = console_flush_deadline();

	if (!due || now < due)
		return;
	__atomic_store_n(&due_at, 0, __ATOMIC_SEQ_CST);
	drain(now, true);
	recompute_due(now);
}
