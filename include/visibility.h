/* Force-included into every hypervisor object: all symbols are local to the
 * image, so globals are addressed PC-relative instead of through a GOT. */
#pragma GCC visibility push(hidden)
