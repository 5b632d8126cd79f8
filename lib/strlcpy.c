/*
 * strlcpy on its own: the host builds link it too (the host's C library may
 * not have it), while they take the rest of lib/string.c from the C library.
 */
#include "lib/string.h"

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
