/*
 * Freestanding memory and string routines. Copies move 128 bytes a step
 * and fills 64 when both pointers are 8-byte aligned (loading a 30 MiB kernel byte
 * by byte costs a visible share of a guest's boot); the rest go byte by byte,
 * since the hypervisor is built for strict alignment.
 */
#include "lib/string.h"

static bool both_aligned(const void *a, const void *b)
{
	return (((uintptr_t)a | (uintptr_t)b) & 7) == 0;
}

/*
 * 128 bytes a step: all the loads, then all the stores, so that the
 * compiler pairs them (ldp/stp, 16 bytes an instruction). The disk's
 * bounce buffers are copied here, and under -icount every instruction of
 * the copy is a nanosecond of the guest's I/O time.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (both_aligned(d, s)) {
		for (; n >= 128; n -= 128, d += 128, s += 128) {
			const u64 *sw = (const u64 *)s;
			u64 *dw = (u64 *)d;
			u64 a0 = sw[0], a1 = sw[1], a2 = sw[2], a3 = sw[3];
			u64 a4 = sw[4], a5 = sw[5], a6 = sw[6], a7 = sw[7];
			u64 b0 = sw[8], b1 = sw[9], b2 = sw[10], b3 = sw[11];
			u64 b4 = sw[12], b5 = sw[13], b6 = sw[14], b7 = sw[15];

			dw[0] = a0; dw[1] = a1; dw[2] = a2; dw[3] = a3;
			dw[4] = a4; dw[5] = a5; dw[6] = a6; dw[7] = a7;
			dw[8] = b0; dw[9] = b1; dw[10] = b2; dw[11] = b3;
			dw[12] = b4; dw[13] = b5; dw[14] = b6; dw[15] = b7;
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(u64 *)d = *(const u64 *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		while (n--)
			*--d = *--s;
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;

	if (both_aligned(d, d)) {
		u64 v = 0x0101010101010101ull * (u8)c;

		for (; n >= 64; n -= 64, d += 64) {
			u64 *dw = (u64 *)d;

			dw[0] = v; dw[1] = v; dw[2] = v; dw[3] = v;
			dw[4] = v; dw[5] = v; dw[6] = v; dw[7] = v;
		}
	}
	while (n--)
		*d++ = (u8)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a;
	const u8 *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x < *y ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
