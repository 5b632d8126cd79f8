/*
 * Reading and writing a VM's RAM on a device's behalf (a virtqueue's
 * descriptors, the buffers they name). Every access is checked against the
 * VM's RAM as a whole and copies: no pointer into guest memory is handed
 * out, so none can outlive the VM's mapping (a balloon taking the page back,
 * the VM going away). RAM is host pages (core/guest_ram.h): a range may be
 * several host pieces, which these functions copy one after the other.
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
/*
 * One naturally aligned 16-bit field the guest updates while the device
 * looks (a ring index): read or written in one access, never torn, which a
 * byte-by-byte copy would not promise. False, with nothing moved, when `ipa`
 * is not 2-byte aligned or not RAM. The value is in the guest's byte order.
 */
bool guest_mem_load16(const struct vm *vm, ipaddr_t ipa, u16 *value);
bool guest_mem_store16(struct vm *vm, ipaddr_t ipa, u16 value);
/*
 * The hypervisor's pointer to [ipa, ipa + len), or NULL unless all of it is
 * the VM's RAM and one run of host memory (RAM is host pages: a range over
 * pages that are not host-contiguous has no single pointer; see
 * guest_mem_run). The one exception to "copies only": a device that hands a
 * guest's buffer on without gathering it (the vif's TX frames, read by the
 * switch in place). The pointer is good only while the caller holds a
 * reference on the VM and has it held (guest_mem_hold), and the guest may
 * change the bytes under it: read each byte once, and decide nothing from
 * bytes read twice.
 */
const void *guest_mem_ptr(const struct vm *vm, ipaddr_t ipa, u64 len);
/*
 * The first piece of [ipa, ipa + len) that is one run of host memory: its
 * pointer, with its length (1..len) in *run; NULL when the range is not all
 * inside RAM or `ipa` is not backed. A caller that walks a range with it
 * gets every piece, or NULL at the first hole. Same terms as guest_mem_ptr.
 */
const void *guest_mem_run(const struct vm *vm, ipaddr_t ipa, u64 len, u64 *run);
/*
 * Pointers from guest_mem_ptr/_run are good until the matching unhold: a
 * page the balloon takes meanwhile is not given to anyone before. Hold for
 * a bounded time (one frame's delivery) and never wait for the VM's balloon
 * while holding. Returns the ticket unhold takes back.
 */
u32 guest_mem_hold(const struct vm *vm);
void guest_mem_unhold(const struct vm *vm, u32 hold);

#endif
