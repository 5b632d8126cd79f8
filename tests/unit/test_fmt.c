/* Unit tests for lib/fmt.c: results must match the host's snprintf wherever
 * C defines the behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fmt.h"

#define SENTINEL 0x7e

/* Truncation is what the size loop in SAME() is there to exercise. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif

static void compare(int line, const char *args, const char *want, int wn, const char *got,
		    int gn)
{
	if (wn != gn || strcmp(want, got) != 0) {
		print_error("line %d: fmt_snprintf(%s)\n  host: %d \"%s\"\n  ours: %d \"%s\"\n",
			    line, args, wn, want, gn, got);
		fail();
	}
}

/* Compares with a roomy buffer, then with every buffer size up to the
 * output length to check truncation, termination and no writes past size. */
#define SAME(...)                                                                 \
	do {                                                                      \
		char want_[512], got_[512];                                       \
		int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);            \
		int gn_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__);          \
		compare(__LINE__, #__VA_ARGS__, want_, wn_, got_, gn_);           \
		for (size_t n_ = 0; n_ <= (size_t)wn_ + 1 && n_ < 64; n_++) {     \
			memset(want_, SENTINEL, sizeof(want_));                   \
			memset(got_, SENTINEL, sizeof(got_));                     \
			wn_ = snprintf(want_, n_, __VA_ARGS__);                   \
			gn_ = fmt_snprintf(got_, n_, __VA_ARGS__);                \
			assert_int_equal(wn_, gn_);                               \
			assert_memory_equal(want_, got_, n_ + 1);                 \
		}                                                                 \
	} while (0)

static void test_literals(void **state)
{
	SAME("plain text");
	SAME("%s", "");
	SAME("%%");
	SAME("100%% sure %%%d", 5);
	SAME("a%cb", 'x');
	SAME("%s", "");
}

static void test_signed(void **state)
{
	SAME("%d %i", 0, -0);
	SAME("%d|%d|%d", 1, -1, 123456789);
	SAME("%d %d", INT32_MAX, INT32_MIN);
	SAME("%5d|%-5d|%05d|%+d|% d|%+5d|%-+5d|", 42, 42, 42, 42, 42, 42, 42);
	SAME("%5d|%-5d|%05d|%+d|% d|%+05d|", -42, -42, -42, -42, -42, -42);
	SAME("%.3d|%.0d|%.0d|%5.3d|%-7.4d|", 7, 0, 1, -7, 12);
	/* Flags C says to ignore in combination; the compiler warns about them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	SAME("%07.3d|%-05d|%+ d|% +d|% 05d|%- 6d|", 5, 5, 3, 3, 3, 3);
#pragma GCC diagnostic pop
	SAME("%ld %ld", (long)INT64_MAX, (long)INT64_MIN);
	SAME("%lld %lld", (long long)INT64_MAX, (long long)INT64_MIN);
	SAME("%zd %zd", (ssize_t)-5, (ssize_t)SIZE_MAX / 2);
	SAME("%jd %td", (intmax_t)-9, (ptrdiff_t)-10);
	SAME("%i|%3i|%-3i|", -1, -1, -1);
}

static void test_unsigned(void **state)
{
	SAME("%u %u %u", 0u, 1u, UINT32_MAX);
	SAME("%lu %llu", (unsigned long)UINT64_MAX, (unsigned long long)UINT64_MAX);
	SAME("%zu", (size_t)SIZE_MAX);
	SAME("%8u|%-8u|%08u|%.5u|%8.5u|", 99u, 99u, 99u, 99u, 99u);
	SAME("%ju %tu", (uintmax_t)UINT64_MAX, (ptrdiff_t)77);
}

static void test_hex_octal(void **state)
{
	SAME("%x %X %x %X", 0xdeadbeefu, 0xdeadbeefu, 0u, 0xabcu);
	SAME("%#x %#X %#x %#o %#o", 255u, 255u, 0u, 8u, 0u);
	SAME("%#.0x|%#.0o|%.0o|%.0x|", 0u, 0u, 0u, 0u);
	SAME("%#.3o|%#.1o|%#5o|%#05o|%#-6o|", 8u, 8u, 8u, 8u, 8u);
	SAME("%#10x|%#-10x|%#010x|%010x|%#.6x|%#10.6x|", 0x1fu, 0x1fu, 0x1fu, 0x1fu, 0x1fu,
	     0x1fu);
	SAME("%lx %llX %lo", (unsigned long)UINT64_MAX, (unsigned long long)UINT64_MAX,
	     (unsigned long)UINT64_MAX);
	SAME("%zx %#zx", (size_t)0x123456789abcdefull, (size_t)1);
	SAME("%o %5o %-5o|", 0u, 0u, 64u);
}

/* hh and h must narrow the promoted int; the values deliberately do not fit,
 * which clang's format check flags. */
static void test_narrowing(void **state)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	SAME("%hhd %hhd %hhd", 127, 128, -129);
	SAME("%hd %hd %hd", 32767, 32768, -32769);
	SAME("%hhu %hu", 511, 65537);
	SAME("%hhx %hx %hho", 0x1ffu, 0x1ffffu, 0777u);
#pragma GCC diagnostic pop
}

static void test_strings_chars(void **state)
{
	SAME("[%s] [%10s] [%-10s]", "abc", "abc", "abc");
	SAME("[%.2s] [%.0s] [%.10s] [%6.2s] [%-6.2s]", "abc", "abc", "abc", "abc", "abc");
	SAME("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
	SAME("[%c]", 0xe9);
	SAME("%s=%d, %s=%#x", "vcpus", 4, "base", 0x40000000u);
}

static void test_star(void **state)
{
	SAME("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
	SAME("[%.*d] [%.*d] [%*.*d]", 4, 42, -1, 42, 8, 4, -42);
	SAME("[%.*s] [%*.*s]", 2, "hello", 7, 3, "hello");
	SAME("[%.*s]", -3, "hello");
	SAME("[%0*d]", 5, -3);
}

static void test_pointer(void **state)
{
	int x;

	SAME("%p", (void *)&x);
	SAME("%p", (void *)0x1000);
	SAME("[%20p] [%-20p]", (void *)0xabc, (void *)0xabc);
}

/* Cases C leaves undefined or implementation-defined, pinned to our choices. */
static void test_our_choices(void **state)
{
	char buf[64];

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%p", (void *)0), 3);
	assert_string_equal(buf, "0x0");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "[%s]", (char *)NULL), 8);
	assert_string_equal(buf, "[(null)]");
	fmt_snprintf(buf, sizeof(buf), "[%.3s]", (char *)NULL);
	assert_string_equal(buf, "[(nu]");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "a%qb", 1), 4);
	assert_string_equal(buf, "a%qb");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "a%-5"), 4);
	assert_string_equal(buf, "a%-5");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "x%"), 2);
	assert_string_equal(buf, "x%");
#pragma GCC diagnostic pop
}

static void test_size_zero(void **state)
{
	char c = SENTINEL;

	assert_int_equal(fmt_snprintf(NULL, 0, "%s-%d", "abc", 12345), 9);
	assert_int_equal(fmt_snprintf(&c, 0, "xyz"), 3);
	assert_int_equal(c, SENTINEL);
	assert_int_equal(fmt_snprintf(&c, 1, "xyz"), 3);
	assert_int_equal(c, '\0');
}

/* A precision bounds the read, so %.Ns may print an unterminated array. */
static void test_unterminated_precision(void **state)
{
	char *raw = malloc(4);
	char buf[16];

	memcpy(raw, "abcd", 4);
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%.4s|", raw), 5);
	assert_string_equal(buf, "abcd|");
	free(raw);
}

struct collect {
	char text[256];
	size_t len;
	int calls;
};

static void collect_sink(void *ctx, const char *s, size_t n)
{
	struct collect *c = ctx;

	assert_true(n > 0);
	assert_true(c->len + n < sizeof(c->text));
	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->text[c->len] = '\0';
	c->calls++;
}

static int format_to(struct collect *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int format_to(struct collect *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vformat(collect_sink, c, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_sink(void **state)
{
	struct collect c = { .len = 0 };
	char want[256];
	int n = snprintf(want, sizeof(want), "vm %s: %d vcpus at %#llx%40s|", "demo", 2,
			 0x40000000ull, "pad");

	assert_int_equal(format_to(&c, "vm %s: %d vcpus at %#llx%40s|", "demo", 2,
				   0x40000000ull, "pad"),
			 n);
	assert_int_equal(c.len, (size_t)n);
	assert_string_equal(c.text, want);
	assert_true(c.calls > 1);

	/* Empty output never calls the sink. */
	c.len = 0;
	c.calls = 0;
	assert_int_equal(format_to(&c, "%s", ""), 0);
	assert_int_equal(c.calls, 0);
}

static int wrap_vsnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int wrap_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_vsnprintf(void **state)
{
	char buf[8];

	assert_int_equal(wrap_vsnprintf(buf, sizeof(buf), "%s/%u", "abcdef", 123u), 10);
	assert_string_equal(buf, "abcdef/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_hex_octal),
		cmocka_unit_test(test_narrowing),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_our_choices),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_unterminated_precision),
		cmocka_unit_test(test_sink),
		cmocka_unit_test(test_vsnprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
