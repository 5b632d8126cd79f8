/* A VM's RAM is one run of host memory, mapped at its physical address. */
#include "arch.h"
#include "core/guest_mem.h"
#include "core/vm.h"
#include "lib/string.h"

/* The hypervisor's view of [ipa, ipa + len), or NULL when it is not all RAM. */
static u8 *ram_at(const struct vm *vm, ipaddr_t ipa, u64 len)
{
	if (!pa_addr(vm->ram_pa) || !vm_ram_contains(vm, ipa, len))
		return NULL;
	return (u8 *)pa_to_ptr(vm->ram_pa) + (ipa_addr(ipa) - vm->cfg.ram_base);
}

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

bool guest_mem_read(const struct vm *vm, ipaddr_t ipa, void *dst, u64 len)
{
	const u8 *p = ram_at(vm, ipa, len);

	if (!p)
		return false;
	copy(dst, p, len);
	return true;
}

bool guest_mem_write(struct vm *vm, ipaddr_t ipa, const void *src, u64 len)
{
	u8 *p = ram_at(vm, ipa, len);

	if (!p)
		return false;
	copy(p, src, len);
	return true;
}

bool guest_mem_zero(struct vm *vm, ipaddr_t ipa, u64 len)
{
	u8 *p = ram_at(vm, ipa, len);

	if (!p)
		return false;
	memset(p, 0, len);
	return true;
}

bool guest_mem_load16(const struct vm *vm, ipaddr_t ipa, u16 *value)
{
	const u16 *p = is_aligned(ipa_addr(ipa), 2) ? (const u16 *)ram_at(vm, ipa, 2) : NULL;

	if (!p)
		return false;
	*value = __atomic_load_n(p, __ATOMIC_RELAXED);
	return true;
}

bool guest_mem_store16(struct vm *vm, ipaddr_t ipa, u16 value)
{
	u16 *p = is_aligned(ipa_addr(ipa), 2) ? (u16 *)ram_at(vm, ipa, 2) : NULL;

	if (!p)
		return false;
	__atomic_store_n(p, value, __ATOMIC_RELAXED);
	return true;
}

const void *guest_mem_ptr(const struct vm *vm, ipaddr_t ipa, u64 len)
{
	return ram_at(vm, ipa, len);
}
