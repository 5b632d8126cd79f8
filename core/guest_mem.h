/*
 * Reading and writing a VM's RAM on a device's behalf (a virtqueue's
 * descriptors, the buffers they name). Every access is checked against the
 * VM's RAM as a whole and copies: no pointer into guest memory is handed
 * out, so none can outlive the VM's mapping (a balloon taking the page back,
 * the VM going away).
 */
#ifndef BULKHEAD_CORE_GUEST_MEM_H
#define BULKHEAD_CORE_GUEST_MEM_H

#include "types.h"

struct vm;

/* Copy `len` bytes from guest-physical `ipa` into `dst`. False, with nothing
 * copied, unless all of [ipa, ipa + len) is the VM's RAM (not a device
 * window, not firmware flash, not past the end). */
bool guest_mem_read(const struct vm *vm, ipaddr_t ipa, void *dst, u64 len);
/* Copy `len` bytes from `src` to guest-physical `ipa`, on the same terms. */
bool guest_mem_write(struct vm *vm, ipaddr_t ipa, const void *src, u64 len);
/* Fill `len` bytes at `ipa` with zeros, on the same terms. */
bool guest_mem_zero(struct vm *vm, ipaddr_t ipa, u64 len);

#endif
