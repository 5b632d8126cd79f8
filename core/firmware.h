/*
 * A VM's boot firmware (`firmware` in its config): the image sits read-only
 * at the bottom of the guest's flash window (core/guest_layout.h), the rest
 * of the window reads as zeros; the pages are the VM's own, accounted,
 * scrubbed and freed with it.
 */
#ifndef BULKHEAD_CORE_FIRMWARE_H
#define BULKHEAD_CORE_FIRMWARE_H

#include "core/loader.h"

struct vm;

/* Takes zeroed pages for the image and maps the flash window read-only.
 * Returns 0, or -1 with `why` in words; firmware_release() undoes either. */
int firmware_map(struct vm *vm, char *why, u32 why_size);
/* Copies the image into its pages and fills the layout: entered at its first byte. */
int firmware_load(struct vm *vm, struct boot_layout *b, char *why, u32 why_size);
/* Memory the VM's firmware holds (image and blank block), 0 without firmware. */
u64 firmware_bytes(const struct vm *vm);
/* Scrubs and frees the pages (the stage-2 tables go with the VM's). */
void firmware_release(struct vm *vm);

#endif
