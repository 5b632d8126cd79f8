/*
 * A VM's RAM is host pages (core/guest_ram.h): mostly 2 MiB blocks, so a
 * range is almost always one piece and costs one lookup; a range over pages
 * that are not host-contiguous is copied piece by piece.
 */
#include "arch.h"
#include "core/guest_mem.h"
#include "core/guest_ram.h"
#include "core/vm.h"
#include "lib/string.h"

/*
 * A disk's data (a bounce buffer's worth, or a guest segment of it) goes by
 * the arch's bulk copy, the fewest instructions per byte; a ring's
 * descriptors and indexes are too short for it to pay.
 */
static void copy(void *dst, const void *src, u64 len)
{
	if (len >= ARCH_COPY_BULK_MIN)
		arch_copy_bulk(dst, src, len);
	else
		memcpy(dst, src, len);
}

/* The hypervisor's view of [ipa, ipa + len) when it is all RAM and one host
 * run; else NULL. */
static u8 *contiguous(const struct vm *vm, u64 ipa, u64 len)
{
	paddr_t pa = pa_init(0);
	u64 run;

	if (!vm_ram_contains(vm, ipa_init(ipa), len))
		return NULL;
	run = guest_ram_lookup(&vm->ram, ipa, &pa);
	return run && run >= len ? pa_to_ptr(pa) : NULL;
}

/* True when every byte of [ipa, ipa + len) is backed (the caller checked the
 * range lies in RAM). */
static bool all_backed(const struct vm *vm, u64 ipa, u64 len)
{
	while (len) {
		paddr_t pa = pa_init(0);
		u64 run = guest_ram_lookup(&vm->ram, ipa, &pa);

		if (!run)
			return false;
		if (run >= len)
			return true;
		ipa += run;
		len -= run;
	}
	return true;
}

enum dir { FROM_GUEST, TO_GUEST, ZERO };

/* Moves the bytes piece by piece, after checking all of them are there, so
 * a failure moves nothing. */
static bool move_pieces(const struct vm *vm, u64 ipa, u8 *buf, u64 len, enum dir d)
{
	if (!all_backed(vm, ipa, len))
		return false;
	while (len) {
		paddr_t pa = pa_init(0);
		u64 n = guest_ram_lookup(&vm->ram, ipa, &pa);

		if (!n)
			return false;   /* all_backed said otherwise: the map changed */
		n = n < len ? n : len;
		if (d == FROM_GUEST)
			copy(buf, pa_to_ptr(pa), n);
		else if (d == TO_GUEST)
			copy(pa_to_ptr(pa), buf, n);
		else
			memset(pa_to_ptr(pa), 0, n);
		ipa += n;
		len -= n;
		if (buf)
			buf += n;
	}
	return true;
}

/* Counted as a reader of the RAM throughout, so that a page the balloon
 * takes meanwhile goes to the pool only once this copy is done with it. */
static bool move(const struct vm *vm, u64 ipa, u8 *buf, u64 len, enum dir d)
{
	u32 ticket;
	bool ok;

	if (!vm_ram_contains(vm, ipa_init(ipa), len) || !vm->ram.chunks)
		return false;
	ticket = guest_ram_read_begin(&vm->ram);
	ok = move_pieces(vm, ipa, buf, len, d);
	guest_ram_read_end(&vm->ram, ticket);
	return ok;
}

bool guest_mem_read(const struct vm *vm, ipaddr_t ipa, void *dst, u64 len)
{
	return move(vm, ipa_addr(ipa), dst, len, FROM_GUEST);
}

bool guest_mem_write(struct vm *vm, ipaddr_t ipa, const void *src, u64 len)
{
	return move(vm, ipa_addr(ipa), (u8 *)src, len, TO_GUEST);
}

bool guest_mem_zero(struct vm *vm, ipaddr_t ipa, u64 len)
{
	return move(vm, ipa_addr(ipa), NULL, len, ZERO);
}

/* An aligned 16-bit field never crosses a page: one piece. */
bool guest_mem_load16(const struct vm *vm, ipaddr_t ipa, u16 *value)
{
	u32 ticket = guest_ram_read_begin(&vm->ram);
	const u16 *p = is_aligned(ipa_addr(ipa), 2) ? (const u16 *)contiguous(vm, ipa_addr(ipa), 2)
						    : NULL;

	if (p)
		*value = __atomic_load_n(p, __ATOMIC_RELAXED);
	guest_ram_read_end(&vm->ram, ticket);
	return p != NULL;
}

bool guest_mem_store16(struct vm *vm, ipaddr_t ipa, u16 value)
{
	u32 ticket = guest_ram_read_begin(&vm->ram);
	u16 *p = is_aligned(ipa_addr(ipa), 2) ? (u16 *)contiguous(vm, ipa_addr(ipa), 2) : NULL;

	if (p)
		__atomic_store_n(p, value, __ATOMIC_RELAXED);
	guest_ram_read_end(&vm->ram, ticket);
	return p != NULL;
}

u32 guest_mem_hold(const struct vm *vm)
{
	return guest_ram_read_begin(&vm->ram);
}

void guest_mem_unhold(const struct vm *vm, u32 hold)
{
	guest_ram_read_end(&vm->ram, hold);
}

const void *guest_mem_ptr(const struct vm *vm, ipaddr_t ipa, u64 len)
{
	return len ? contiguous(vm, ipa_addr(ipa), len) : NULL;
}

const void *guest_mem_run(const struct vm *vm, ipaddr_t ipa, u64 len, u64 *run)
{
	paddr_t pa = pa_init(0);
	u64 n;

	if (!len || !vm_ram_contains(vm, ipa, len))
		return NULL;
	n = guest_ram_lookup(&vm->ram, ipa_addr(ipa), &pa);
	if (!n)
		return NULL;
	*run = n < len ? n : len;
	return pa_to_ptr(pa);
}
