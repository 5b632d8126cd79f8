/*
 * The `virtio-hostile` mode: a driver that breaks the virtio rules on
 * purpose. After a correct read, GET_ID and indirect read prove the path,
 * each case resets the device, sets it up again, submits one malformed
 * request (or a malformed queue) and checks that the answer is one virtio
 * 1.2 allows: the status byte IOERR or UNSUPP in a used entry, or
 * DEVICE_NEEDS_RESET in Status with a configuration change interrupt;
 * never a fault of ours, never a hang (every wait is bounded by the virtual
 * counter). After each case the device must read sector 0 again.
 *
 * Bootargs: victim=START-END (hex, 2 MiB aligned) is guest-physical space
 * outside our RAM that holds another VM's physical RAM; hv=ADDR an address
 * of the hypervisor's; ms=N repeats the cases (see mode_virtio_hostile).
 * One line per case: "VH NAME: ANSWER[ note]", with " FAIL why" when the
 * answer is not allowed (later rounds print only those), "VH round N:
 * pass=P fail=F" after each round and "VH DONE pass=N fail=M rounds=R".
 */
#include "guests/test/gic.h"
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"
#include "guests/test/vblk.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "virtio_mmio_regs.h"

#define WAIT_MS 10000
#define FEATURES ((1ull << VF_VERSION_1) | (1ull << VF_INDIRECT) | (1ull << VF_BLK_DISCARD) | \
		  (1ull << VF_BLK_WRITE_ZEROES))
#define DATA_SECTORS 136           /* more segments than the device takes */
#define IND_MAX (DATA_SECTORS + 2)
#define TAIL_SECTORS 16            /* the volume's last sectors, which must never change */
#define VICTIM_STEP (8 * MiB)
#define HUGE_LEN 0xffffffffu
#define STATUS_UNTOUCHED 0xaa
#define SETTLE_MS 200              /* long enough for a disk read to come back */
#define RESET_READ_BYTES (64 * KiB) /* more than one of the device's bounce buffers */

enum answer { A_OK, A_IOERR, A_UNSUPP, A_NEEDS_RESET, A_LEN0, A_FEATURES_REFUSED,
	      A_RESET_CLEAN, A_NO_INTERRUPT, A_TIMEOUT, A_BAD, A_COUNT };

static const char *const answer_names[A_COUNT] = {
	"ok", "ioerr", "unsupp", "needs-reset", "used-len0", "features-refused",
	"reset-clean", "needs-reset-without-interrupt", "timeout", "wrong-answer",
};

#define BIT(a) (1u << (a))
/* What a request the driver broke may get (2.7, 5.2.6). */
#define MALFORMED (BIT(A_IOERR) | BIT(A_UNSUPP) | BIT(A_NEEDS_RESET))
/* No writable status byte: nothing can be told but a reset or an empty used entry. */
#define NO_STATUS (BIT(A_NEEDS_RESET) | BIT(A_LEN0))

struct hcase {
	const char *name;
	u32 allowed;
	enum answer (*run)(void);
};

static struct vblk dev;
static struct vblk_hdr hdr __attribute__((aligned(64)));
static volatile u8 status __attribute__((aligned(64)));
static u8 data[DATA_SECTORS * VBLK_SECTOR] __attribute__((aligned(4096)));
static struct vdesc ind[IND_MAX] __attribute__((aligned(4096)));
static struct vdesc ind2[3] __attribute__((aligned(64)));
static u8 sector0[VBLK_SECTOR];
static u8 tail_first[TAIL_SECTORS * VBLK_SECTOR], tail_now[TAIL_SECTORS * VBLK_SECTOR];
static u64 ram_end, victim_start, victim_end, hv_addr;
static char note[96];              /* what a case adds to its line */
static const char *extra_fail;     /* set by a case whose answer was fine but something else not */

static u64 addr_of(const volatile void *p)
{
	return (u64)p;
}

static void desc(u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	vblk_desc[i] = (struct vdesc){ addr, len, flags, next };
}

/* header, data, status in descriptors 0, 1, 2 (or the first three of `t`). */
static void chain3_in(struct vdesc *t, u32 type, u64 sector, u64 buf, u32 len, u16 dflags)
{
	hdr = (struct vblk_hdr){ .type = type, .sector = sector };
	t[0] = (struct vdesc){ addr_of(&hdr), sizeof(hdr), VD_NEXT, 1 };
	t[1] = (struct vdesc){ buf, len, dflags | VD_NEXT, 2 };
	t[2] = (struct vdesc){ addr_of(&status), 1, VD_WRITE, 0 };
}

static void chain3(u32 type, u64 sector, u64 buf, u32 len, u16 dflags)
{
	chain3_in(vblk_desc, type, sector, buf, len, dflags);
}

/* A read of sector 0 with its `len` bytes of data at `buf`. */
static void read_at(u64 buf, u32 len)
{
	chain3(VBLK_T_IN, 0, buf, len, VD_WRITE);
}

/* Submits `head` (avail idx moved by `step`) and says what came back. */
static enum answer go_step(u16 head, u16 step)
{
	u32 id = 0, len = 0;
	bool config_int;

	status = STATUS_UNTOUCHED;
	vblk_submit(&dev, head, step);
	switch (vblk_wait(&dev, WAIT_MS, &id, &len, &config_int)) {
	case VA_NEEDS_RESET:
		return config_int ? A_NEEDS_RESET : A_NO_INTERRUPT;
	case VA_TIMEOUT:
		return A_TIMEOUT;
	case VA_USED:
		break;
	}
	if (id != head)
		return A_BAD;
	if (status == STATUS_UNTOUCHED)
		return len == 0 ? A_LEN0 : A_BAD;
	if (status == VBLK_S_OK)
		return A_OK;
	return status == VBLK_S_IOERR ? A_IOERR : status == VBLK_S_UNSUPP ? A_UNSUPP : A_BAD;
}

static enum answer go(u16 head)
{
	return go_step(head, 1);
}

/* --- the path works ------------------------------------------------------- */

static enum answer c_good_read(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	return go(0);
}

/* Up to `n` bytes of `src` as text: ends at a NUL, anything unprintable a '?'. */
static void printable(char *dst, const u8 *src, u32 n)
{
	u32 i;

	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= ' ' && src[i] <= '~' ? (char)src[i] : '?';
	dst[i] = '\0';
}

static enum answer c_get_id(void)
{
	enum answer a;

	memset(data, 0, 20);
	chain3(VBLK_T_GET_ID, 0, addr_of(data), 20, VD_WRITE);
	a = go(0);
	printable(note, data, 20);
	return a;
}

static enum answer c_good_indirect(void)
{
	memset(data, 0, VBLK_SECTOR);
	chain3_in(ind, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	desc(0, addr_of(ind), 3 * sizeof(struct vdesc), VD_INDIRECT, 0);
	return go(0);
}

/* --- chains that break the rules -------------------------------------------- */

static enum answer c_loop(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[2].flags |= VD_NEXT;
	vblk_desc[2].next = 0;
	return go(0);
}

static enum answer c_self_loop(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[0].next = 0;
	return go(0);
}

/* Every descriptor of a 16-entry queue in one chain, and back to the start
 * (fewer than the segments the device takes: the queue size must stop it). */
static enum answer c_chain_past_queue(void)
{
	struct vblk_ring r = { 16, addr_of(vblk_desc), addr_of(&vblk_avail), addr_of(&vblk_used) };
	const char *why = vblk_init(&dev, FEATURES, &r);
	u16 n = dev.qsize;

	if (why) {
		extra_fail = why;
		return A_BAD;
	}
	read_at(addr_of(data), VBLK_SECTOR);
	for (u16 i = 1; i < n; i++)
		desc(i, addr_of(data), VBLK_SECTOR, VD_WRITE | VD_NEXT, (u16)((i + 1) % n));
	return go(0);
}

/* A read of DATA_SECTORS segments: more than seg_max + 2. */
static enum answer c_too_many_segs(void)
{
	u16 last = DATA_SECTORS + 1;

	hdr = (struct vblk_hdr){ .type = VBLK_T_IN, .sector = 0 };
	desc(0, addr_of(&hdr), sizeof(hdr), VD_NEXT, 1);
	for (u16 i = 1; i < last; i++)
		desc(i, addr_of(data) + (u64)(i - 1) * VBLK_SECTOR, VBLK_SECTOR, VD_WRITE | VD_NEXT, i + 1);
	desc(last, addr_of(&status), 1, VD_WRITE, 0);
	return go(0);
}

static enum answer c_head_out_of_range(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	return go(dev.qsize);
}

static enum answer c_head_ffff(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	return go(0xffff);
}

static enum answer c_next_out_of_range(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[1].next = dev.qsize;
	return go(0);
}

static enum answer c_avail_runaway(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	return go_step(0, (u16)(dev.qsize + 1));
}

static enum answer c_avail_backwards(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	return go_step(0, 0xffff);
}

/* The data buffer of a sector-0 read at `addr`. */
static enum answer read_into(u64 addr, u32 len)
{
	read_at(addr, len);
	return go(0);
}

static enum answer c_buf_past_ram(void) { return read_into(ram_end, VBLK_SECTOR); }
static enum answer c_buf_straddles_ram_end(void) { return read_into(ram_end - 256, VBLK_SECTOR); }
static enum answer c_buf_below_ram(void) { return read_into(plat.ram_base - VBLK_SECTOR, VBLK_SECTOR); }
static enum answer c_buf_flash(void) { return read_into(0x1000, VBLK_SECTOR); }
static enum answer c_buf_gic(void) { return read_into(gic.gicd, VBLK_SECTOR); }
static enum answer c_buf_virtio_window(void) { return read_into(dev.base, VBLK_SECTOR); }
static enum answer c_buf_wraps(void) { return read_into(~0ull - 255, VBLK_SECTOR); }
static enum answer c_huge_len(void) { return read_into(addr_of(data), HUGE_LEN); }

static enum answer c_buf_hypervisor(void)
{
	fmt_snprintf(note, sizeof(note), "at 0x%lx", hv_addr);
	if (hv_addr >= plat.ram_base && hv_addr < ram_end)
		extra_fail = "hv= lies in our own RAM";
	return read_into(hv_addr, VBLK_SECTOR);
}

static enum answer c_huge_len_header(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[0].len = HUGE_LEN;
	return go(0);
}

static enum answer c_header_past_ram(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[0].addr = ram_end;
	return go(0);
}

static enum answer c_status_past_ram(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[2].addr = ram_end;
	return go(0);
}

/* --- indirect tables ---------------------------------------------------------- */

static enum answer indirect(u64 table, u32 len, u16 flags)
{
	chain3_in(ind, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	desc(0, table, len, VD_INDIRECT | flags, 1);
	desc(1, addr_of(&status), 1, VD_WRITE, 0);
	return go(0);
}

static enum answer c_ind_past_ram(void) { return indirect(ram_end, 48, 0); }
static enum answer c_ind_in_gic(void) { return indirect(gic.gicd, 48, 0); }
static enum answer c_ind_bad_len(void) { return indirect(addr_of(ind), 40, 0); }
static enum answer c_ind_zero_len(void) { return indirect(addr_of(ind), 0, 0); }
static enum answer c_ind_huge_len(void) { return indirect(addr_of(ind), 0xfffffff0u, 0); }
static enum answer c_ind_with_next(void) { return indirect(addr_of(ind), 48, VD_NEXT); }

static enum answer c_ind_nested(void)
{
	chain3_in(ind2, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	chain3_in(ind, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	ind[1] = (struct vdesc){ addr_of(ind2), sizeof(ind2), VD_INDIRECT, 0 };
	ind[0].next = 1;
	desc(0, addr_of(ind), 2 * sizeof(struct vdesc), VD_INDIRECT, 0);
	return go(0);
}

static enum answer c_ind_loop(void)
{
	chain3_in(ind, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	ind[2].flags |= VD_NEXT;
	ind[2].next = 0;
	desc(0, addr_of(ind), 3 * sizeof(struct vdesc), VD_INDIRECT, 0);
	return go(0);
}

static enum answer c_ind_next_outside(void)
{
	chain3_in(ind, VBLK_T_IN, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	ind[2].flags |= VD_NEXT;
	ind[2].next = 3;                   /* the table has 3 entries */
	desc(0, addr_of(ind), 3 * sizeof(struct vdesc), VD_INDIRECT, 0);
	return go(0);
}

/* An indirect table of DATA_SECTORS + 2 entries: more than the device takes. */
static enum answer c_ind_too_long(void)
{
	u16 last = DATA_SECTORS + 1;

	hdr = (struct vblk_hdr){ .type = VBLK_T_IN, .sector = 0 };
	ind[0] = (struct vdesc){ addr_of(&hdr), sizeof(hdr), VD_NEXT, 1 };
	for (u16 i = 1; i < last; i++)
		ind[i] = (struct vdesc){ addr_of(data) + (u64)(i - 1) * VBLK_SECTOR, VBLK_SECTOR,
					 VD_WRITE | VD_NEXT, i + 1 };
	ind[last] = (struct vdesc){ addr_of(&status), 1, VD_WRITE, 0 };
	desc(0, addr_of(ind), (last + 1) * sizeof(struct vdesc), VD_INDIRECT, 0);
	return go(0);
}

static enum answer c_ind_not_negotiated(void)
{
	const char *why = vblk_init(&dev, 1ull << VF_VERSION_1, NULL);

	if (why) {
		extra_fail = why;
		return A_BAD;
	}
	return c_good_indirect();
}

/* --- directions and layouts --------------------------------------------------- */

/* A GET_ID whose status byte the device may only read. */
static enum answer c_readonly_status(void)
{
	chain3(VBLK_T_GET_ID, 0, addr_of(data), 20, VD_WRITE);
	desc(0, addr_of(&hdr), sizeof(hdr), VD_NEXT, 2);
	vblk_desc[2].flags &= (u16)~VD_WRITE;
	return go(0);
}

/* A read whose status byte is readable after the writable data. */
static enum answer c_readonly_status_after_data(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[2].flags &= (u16)~VD_WRITE;
	return go(0);
}

static enum answer c_readonly_data_read(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[1].flags &= (u16)~VD_WRITE;
	return go(0);
}

static enum answer c_header_only(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[0].flags = 0;
	return go(0);
}

static enum answer c_short_header(void)
{
	read_at(addr_of(data), VBLK_SECTOR);
	vblk_desc[0].len = 8;
	return go(0);
}

static enum answer c_partial_sector(void) { return read_into(addr_of(data), 100); }

static enum answer c_unknown_type(void)
{
	chain3(0x77, 0, addr_of(data), VBLK_SECTOR, VD_WRITE);
	return go(0);
}

/* --- the volume's end ------------------------------------------------------------ */

static bool read_tail(u8 *out)
{
	return vblk_request(&dev, VBLK_T_IN, dev.capacity - TAIL_SECTORS, out,
			    TAIL_SECTORS * VBLK_SECTOR, WAIT_MS) == VBLK_S_OK;
}

/* A write of `sectors` at `sector` that must fail and leave the tail as it was. */
static enum answer write_past_end(u64 sector, u32 sectors)
{
	enum answer a;

	if (!read_tail(tail_now)) {
		extra_fail = "cannot read the last sectors before";
		return A_BAD;
	}
	memset(data, 0xee, sectors * VBLK_SECTOR);
	chain3(VBLK_T_OUT, sector, addr_of(data), sectors * VBLK_SECTOR, 0);
	a = go(0);
	/* compare with what the tail held before this case (through a fresh queue) */
	memcpy(data, tail_now, sizeof(tail_now));
	if (vblk_init(&dev, FEATURES, NULL) || !read_tail(tail_now))
		extra_fail = "cannot read the last sectors after";
	else if (memcmp(data, tail_now, sizeof(tail_now)))
		extra_fail = "the last sectors changed";
	return a;
}

/* DISCARD or WRITE_ZEROES of one range that must fail and leave the tail as it was. */
static enum answer zero_past_end(u32 type, u64 sector, u32 sectors)
{
	struct { u64 sector; u32 num, flags; } range = { sector, sectors, 0 };
	enum answer a;

	if (!read_tail(tail_now)) {
		extra_fail = "cannot read the last sectors before";
		return A_BAD;
	}
	memcpy(data, tail_now, sizeof(tail_now));
	memcpy(data + sizeof(tail_now), &range, sizeof(range));
	chain3(type, 0, addr_of(data) + sizeof(tail_now), sizeof(range), 0);
	a = go(0);
	if (vblk_init(&dev, FEATURES, NULL) || !read_tail(tail_now))
		extra_fail = "cannot read the last sectors after";
	else if (memcmp(data, tail_now, sizeof(tail_now)))
		extra_fail = "the last sectors changed";
	return a;
}

static enum answer c_past_end_write(void) { return write_past_end(dev.capacity - 4, 8); }
static enum answer c_write_zeroes_past_end(void) { return zero_past_end(VBLK_T_WRITE_ZEROES, dev.capacity - 4, 8); }
static enum answer c_discard_past_end(void) { return zero_past_end(VBLK_T_DISCARD, dev.capacity - 4, 8); }
static enum answer c_write_zeroes_wraps(void) { return zero_past_end(VBLK_T_WRITE_ZEROES, ~0ull - 3, 8); }
static enum answer c_at_end_write(void) { return write_past_end(dev.capacity, 1); }
static enum answer c_sector_wraps_write(void) { return write_past_end(~0ull, 2); }

static enum answer c_past_end_read(void)
{
	chain3(VBLK_T_IN, dev.capacity - 1, addr_of(data), 2 * VBLK_SECTOR, VD_WRITE);
	return go(0);
}

/*
 * A read of several pieces, then a reset at once (whether the device had
 * taken it yet or not is up to the race): memory the driver takes
 * back after the reset must not be written by the read's late completion,
 * nor the used ring.
 */
static enum answer c_reset_after_notify(void)
{
	u16 used;

	chain3(VBLK_T_IN, 0, addr_of(data), RESET_READ_BYTES, VD_WRITE);
	vblk_submit(&dev, 0, 1);
	vblk_reset(&dev);
	memset(data, 0x5c, RESET_READ_BYTES);
	status = STATUS_UNTOUCHED;
	used = vblk_used.idx;
	dsb_ish();
	WAIT_UNTIL(false, SETTLE_MS);      /* nothing to wait for: just time passing */
	for (u32 i = 0; i < RESET_READ_BYTES; i++) {
		if (data[i] != 0x5c) {
			fmt_snprintf(note, sizeof(note), "byte %u written after the reset", i);
			return A_BAD;
		}
	}
	return status == STATUS_UNTOUCHED && vblk_used.idx == used ? A_RESET_CLEAN : A_BAD;
}

/* --- queue set-up ----------------------------------------------------------------- */

/* Set up with `ring`: the device must refuse the queue and ask for a reset. */
static enum answer bad_ring(u64 size, u64 desc_at, u64 avail_at, u64 used_at)
{
	struct vblk_ring r = { (u32)size, desc_at, avail_at, used_at };
	bool refused = vblk_init(&dev, FEATURES, &r) != NULL;

	WAIT_UNTIL(vblk_int_seen & VINT_CONFIG, WAIT_MS);
	if (!(vblk_read_reg(&dev, VMMIO_REG_STATUS) & VS_NEEDS_RESET))
		return refused ? A_BAD : A_OK;
	return (vblk_int_seen & VINT_CONFIG) ? A_NEEDS_RESET : A_NO_INTERRUPT;
}

#define RINGS addr_of(vblk_desc), addr_of(&vblk_avail), addr_of(&vblk_used)

static enum answer c_queue_size_3(void) { return bad_ring(3, RINGS); }
static enum answer c_queue_size_over_max(void) { return bad_ring(2 * (u64)dev.queue_max, RINGS); }
static enum answer c_ring_past_ram(void) { return bad_ring(16, ram_end, addr_of(&vblk_avail), addr_of(&vblk_used)); }
static enum answer c_ring_unaligned(void) { return bad_ring(16, addr_of(vblk_desc) + 8, addr_of(&vblk_avail), addr_of(&vblk_used)); }
static enum answer c_used_in_gic(void) { return bad_ring(16, addr_of(vblk_desc), addr_of(&vblk_avail), gic.gicd); }
static enum answer c_used_straddles_ram_end(void) { return bad_ring(16, addr_of(vblk_desc), addr_of(&vblk_avail), ram_end - 64); }

static enum answer c_no_version_1(void)
{
	const char *why = vblk_init(&dev, 1ull << VF_INDIRECT, NULL);

	return why && !strcmp(why, "FEATURES_OK not kept") ? A_FEATURES_REFUSED : A_BAD;
}

/* --- another VM's RAM --------------------------------------------------------------- */

/*
 * One request per VICTIM_STEP of the victim range (outside our RAM), its
 * data buffer there: a read would write into that memory, a write would
 * carry it to our disk (the tail, which is checked at the end).
 */
static enum answer sweep(bool write)
{
	u32 n = 0;

	if (!victim_end) {
		extra_fail = "no victim=START-END on the command line";
		return A_BAD;
	}
	for (u64 a = victim_start; a < victim_end; a += VICTIM_STEP) {
		enum answer ans;
		const char *why;

		if (a + VICTIM_STEP > plat.ram_base && a < ram_end)
			continue;
		why = vblk_init(&dev, FEATURES, NULL);
		if (why) {
			extra_fail = why;
			return A_BAD;
		}
		if (write)
			chain3(VBLK_T_OUT, dev.capacity - TAIL_SECTORS, a, VBLK_SECTOR, 0);
		else
			read_at(a, VBLK_SECTOR);
		ans = go(0);
		n++;
		if (ans != A_NEEDS_RESET && ans != A_IOERR) {
			fmt_snprintf(note, sizeof(note), "at 0x%lx", a);
			return ans;
		}
	}
	fmt_snprintf(note, sizeof(note), "%u addresses 0x%lx-0x%lx", n, victim_start, victim_end);
	return n ? A_NEEDS_RESET : A_BAD;
}

static enum answer c_read_into_other_vm(void) { return sweep(false); }
static enum answer c_write_from_other_vm(void) { return sweep(true); }

static const struct hcase cases[] = {
	{ "good-read", BIT(A_OK), c_good_read },
	{ "get-id", BIT(A_OK), c_get_id },
	{ "good-indirect", BIT(A_OK), c_good_indirect },
	{ "loop", MALFORMED, c_loop },
	{ "self-loop", MALFORMED, c_self_loop },
	{ "chain-past-queue-size", MALFORMED, c_chain_past_queue },
	{ "too-many-segments", MALFORMED, c_too_many_segs },
	{ "head-out-of-range", MALFORMED, c_head_out_of_range },
	{ "head-0xffff", MALFORMED, c_head_ffff },
	{ "next-out-of-range", MALFORMED, c_next_out_of_range },
	{ "avail-idx-runaway", MALFORMED, c_avail_runaway },
	{ "avail-idx-backwards", MALFORMED, c_avail_backwards },
	{ "buf-past-ram", MALFORMED, c_buf_past_ram },
	{ "buf-straddles-ram-end", MALFORMED, c_buf_straddles_ram_end },
	{ "buf-below-ram", MALFORMED, c_buf_below_ram },
	{ "buf-hypervisor", MALFORMED, c_buf_hypervisor },
	{ "buf-flash", MALFORMED, c_buf_flash },
	{ "buf-gic", MALFORMED, c_buf_gic },
	{ "buf-virtio-window", MALFORMED, c_buf_virtio_window },
	{ "buf-wraps", MALFORMED, c_buf_wraps },
	{ "huge-len", MALFORMED, c_huge_len },
	{ "huge-len-header", MALFORMED, c_huge_len_header },
	{ "header-past-ram", MALFORMED, c_header_past_ram },
	{ "status-past-ram", MALFORMED, c_status_past_ram },
	{ "indirect-past-ram", MALFORMED, c_ind_past_ram },
	{ "indirect-in-gic", MALFORMED, c_ind_in_gic },
	{ "indirect-bad-len", MALFORMED, c_ind_bad_len },
	{ "indirect-zero-len", MALFORMED, c_ind_zero_len },
	{ "indirect-huge-len", MALFORMED, c_ind_huge_len },
	{ "indirect-with-next", MALFORMED, c_ind_with_next },
	{ "indirect-nested", MALFORMED, c_ind_nested },
	{ "indirect-loop", MALFORMED, c_ind_loop },
	{ "indirect-next-outside", MALFORMED, c_ind_next_outside },
	{ "indirect-too-long", MALFORMED, c_ind_too_long },
	{ "indirect-not-negotiated", MALFORMED, c_ind_not_negotiated },
	{ "readonly-status", NO_STATUS, c_readonly_status },
	{ "readonly-status-after-data", MALFORMED, c_readonly_status_after_data },
	{ "readonly-data-read", BIT(A_IOERR) | BIT(A_NEEDS_RESET), c_readonly_data_read },
	{ "header-only", NO_STATUS, c_header_only },
	{ "short-header", BIT(A_IOERR) | BIT(A_NEEDS_RESET), c_short_header },
	{ "partial-sector", BIT(A_IOERR), c_partial_sector },
	{ "unknown-type", BIT(A_UNSUPP), c_unknown_type },
	{ "past-end-read", BIT(A_IOERR), c_past_end_read },
	{ "past-end-write", BIT(A_IOERR), c_past_end_write },
	{ "at-end-write", BIT(A_IOERR), c_at_end_write },
	{ "sector-wraps-write", BIT(A_IOERR), c_sector_wraps_write },
	{ "write-zeroes-past-end", BIT(A_IOERR), c_write_zeroes_past_end },
	{ "discard-past-end", BIT(A_IOERR), c_discard_past_end },
	{ "write-zeroes-wraps", BIT(A_IOERR), c_write_zeroes_wraps },
	{ "reset-after-notify", BIT(A_RESET_CLEAN), c_reset_after_notify },
	{ "queue-size-3", BIT(A_NEEDS_RESET), c_queue_size_3 },
	{ "queue-size-over-max", BIT(A_NEEDS_RESET), c_queue_size_over_max },
	{ "ring-past-ram", BIT(A_NEEDS_RESET), c_ring_past_ram },
	{ "ring-unaligned", BIT(A_NEEDS_RESET), c_ring_unaligned },
	{ "used-in-gic", BIT(A_NEEDS_RESET), c_used_in_gic },
	{ "used-straddles-ram-end", BIT(A_NEEDS_RESET), c_used_straddles_ram_end },
	{ "no-version-1", BIT(A_FEATURES_REFUSED), c_no_version_1 },
	{ "read-into-other-vm", MALFORMED, c_read_into_other_vm },
	{ "write-from-other-vm", MALFORMED, c_write_from_other_vm },
};

/* --- running them ------------------------------------------------------------------- */

static u32 passed, failed;
static bool quiet;                 /* after the first round: only failures are printed */

static void result(const char *name, enum answer a, const char *why)
{
	const char *sep = note[0] ? " " : "";

	if (why) {
		failed++;
		printk("VH %s: %s%s%s FAIL %s\n", name, answer_names[a], sep, note, why);
	} else {
		passed++;
		if (!quiet)
			printk("VH %s: %s%s%s\n", name, answer_names[a], sep, note);
	}
}

/* A reset, a fresh queue and a read of sector 0 that returns what it held. */
static const char *recovered(void)
{
	if (vblk_init(&dev, FEATURES, NULL))
		return "the device does not set up again after a reset";
	memset(data, 0, VBLK_SECTOR);
	if (vblk_request(&dev, VBLK_T_IN, 0, data, VBLK_SECTOR, WAIT_MS) != VBLK_S_OK)
		return "a good read fails after the reset";
	return memcmp(data, sector0, VBLK_SECTOR) ? "sector 0 reads differently after the reset" : NULL;
}

static void run_case(const struct hcase *c)
{
	const char *why = vblk_init(&dev, FEATURES, NULL);
	enum answer a = A_BAD;

	note[0] = '\0';
	extra_fail = NULL;
	if (!why) {
		a = c->run();
		if (!(c->allowed & BIT(a)))
			why = "answer not allowed";
		else if (extra_fail)
			why = extra_fail;
		else
			why = recovered();
	}
	result(c->name, a, why);
}

static void parse_args(void)
{
	char word[48];
	const char *s;

	find_word(plat.bootargs, "victim=", word, sizeof(word));
	if (!parse_hex(word, &s, &victim_start) || *s != '-' || !parse_hex(s + 1, &s, &victim_end) ||
	    *s || victim_start >= victim_end)
		victim_start = victim_end = 0;
	find_word(plat.bootargs, "hv=", word, sizeof(word));
	if (!parse_hex(word, &s, &hv_addr) || *s)
		hv_addr = victim_start;
}

/* The first read and the tail that every case must leave alone. */
static const char *first_look(void)
{
	const char *why = vblk_init(&dev, FEATURES, NULL);

	if (why)
		return why;
	if (!(dev.offered & (1ull << VF_INDIRECT)))
		return "the device does not offer indirect descriptors";
	if (dev.capacity < TAIL_SECTORS + 1)
		return "the volume is too small";
	if (vblk_request(&dev, VBLK_T_IN, 0, sector0, VBLK_SECTOR, WAIT_MS) != VBLK_S_OK)
		return "reading sector 0 fails";
	return read_tail(tail_first) ? NULL : "reading the last sectors fails";
}

/* Every case once; "VH round N" with the round's counts. */
static void run_round(u32 round)
{
	u32 p = passed, f = failed;

	for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	printk("VH round %u: pass=%u fail=%u\n", round, passed - p, failed - f);
	quiet = true;
}

/*
 * One round; with ms=N in the bootargs, rounds until a key comes on the
 * console or N ms have passed, so that a host can keep the device busy
 * with bad requests for as long as another VM's I/O runs.
 */
void mode_virtio_hostile(void)
{
	const char *why;
	u64 start = now_ticks();
	u32 rounds = 0;
	bool tail_ok;

	ram_end = plat.ram_base + plat.ram_size;
	parse_args();
	why = vblk_probe(&dev);
	if (!why)
		why = first_look();
	if (why) {
		printk("VH setup: FAIL %s\n", why);
		printk("VH DONE pass=0 fail=1 rounds=0\n");
		power_off();
	}
	printable(note, sector0, 32);
	printk("VH device at 0x%lx INTID %u: %lu sectors, queue max %u, sector 0 starts \"%s\"\n",
	       dev.base, dev.intid, dev.capacity, dev.queue_max, note);
	do
		run_round(++rounds);
	while (plat.ms && console_getc() < 0 && now_ticks() - start < ms_to_ticks(plat.ms));
	note[0] = '\0';
	quiet = false;
	if (vblk_init(&dev, FEATURES, NULL) || !read_tail(tail_now)) {
		result("tail-unchanged", A_BAD, "cannot read the last sectors");
	} else {
		tail_ok = !memcmp(tail_first, tail_now, sizeof(tail_now));
		result("tail-unchanged", tail_ok ? A_OK : A_BAD, tail_ok ? NULL : "the last sectors changed");
	}
	printk("VH DONE pass=%u fail=%u rounds=%u\n", passed, failed, rounds);
	power_off();
}
