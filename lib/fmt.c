/*
 * printf-style formatting without a heap or a libc. Everything funnels
 * through fmt_vformat() and a sink so that the console can print without a
 * bounded buffer; snprintf is just a sink that fills memory.
 */
#include <stdarg.h>
#include "types.h"
#include "lib/string.h"
#include "lib/fmt.h"

#define FMT_INT_MAX ((int)(~0u >> 1))

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct spec {
	bool left;      /* '-' */
	bool zero;      /* '0' */
	bool alt;       /* '#' */
	bool plus;      /* '+' */
	bool space;     /* ' ' */
	int width;      /* 0 when absent */
	int prec;       /* -1 when absent */
	enum len_mod len;
	char conv;
};

struct out {
	fmt_sink sink;
	void *ctx;
	size_t count;
};

/* Wrapping the va_list lets helpers take it by pointer portably: on some
 * ABIs va_list is an array type, so &ap of a parameter has the wrong type. */
struct args {
	va_list ap;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (n) {
		o->sink(o->ctx, s, n);
		o->count += n;
	}
}

static void pad(struct out *o, char c, size_t n)
{
	char chunk[16];

	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = c;
	while (n) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		emit(o, chunk, k);
		n -= k;
	}
}

/* Emits `body` padded with spaces to the field width. */
static void put_field(struct out *o, const struct spec *sp, const char *body, size_t n)
{
	size_t fill = (size_t)sp->width > n ? (size_t)sp->width - n : 0;

	if (!sp->left)
		pad(o, ' ', fill);
	emit(o, body, n);
	if (sp->left)
		pad(o, ' ', fill);
}

/* --- integers ------------------------------------------------------------ */

static unsigned base_of(char conv)
{
	switch (conv) {
	case 'x':
	case 'X':
	case 'p':
		return 16;
	case 'o':
		return 8;
	default:
		return 10;
	}
}

/* Writes digits right-aligned ending at `end`; returns how many. */
static size_t to_digits(u64 v, unsigned base, bool upper, char *end)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;

	do {
		*--end = set[v % base];
		v /= base;
		n++;
	} while (v);
	return n;
}

static size_t prefix_of(const struct spec *sp, u64 mag, bool neg, char *pre)
{
	bool is_signed = sp->conv == 'd' || sp->conv == 'i';
	size_t n = 0;

	if (is_signed && (neg || sp->plus || sp->space))
		pre[n++] = neg ? '-' : sp->plus ? '+' : ' ';
	if (sp->conv == 'p' || (sp->alt && mag && (sp->conv == 'x' || sp->conv == 'X'))) {
		pre[n++] = '0';
		pre[n++] = sp->conv == 'X' ? 'X' : 'x';
	}
	return n;
}

static void put_int(struct out *o, const struct spec *sp, u64 mag, bool neg)
{
	char buf[24], pre[3];
	size_t ndig = to_digits(mag, base_of(sp->conv), sp->conv == 'X', buf + sizeof(buf));
	size_t npre = prefix_of(sp, mag, neg, pre);
	size_t zeros, total, fill;

	if (sp->prec == 0 && mag == 0)
		ndig = 0; /* C: zero with precision 0 prints no digits */
	zeros = sp->prec > 0 && (size_t)sp->prec > ndig ? (size_t)sp->prec - ndig : 0;
	/* '#' with %o: the precision grows just enough to lead with a 0. */
	if (sp->alt && sp->conv == 'o' && zeros == 0 && (ndig == 0 || mag != 0))
		zeros = 1;
	total = npre + zeros + ndig;
	fill = (size_t)sp->width > total ? (size_t)sp->width - total : 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!sp->left)
		pad(o, ' ', fill);
	emit(o, pre, npre);
	pad(o, '0', zeros);
	emit(o, buf + sizeof(buf) - ndig, ndig);
	if (sp->left)
		pad(o, ' ', fill);
}

/* Reads a signed argument of the size the length modifier names. */
static s64 arg_signed(struct args *a, enum len_mod len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(a->ap, int);
	case LEN_H:
		return (short)va_arg(a->ap, int);
	case LEN_L:
		return va_arg(a->ap, long);
	case LEN_LL:
		return va_arg(a->ap, long long);
	case LEN_Z:
		return (s64)va_arg(a->ap, size_t); /* the signed type of size_t's width */
	case LEN_J:
		return va_arg(a->ap, intmax_t);
	case LEN_T:
		return va_arg(a->ap, ptrdiff_t);
	default:
		return va_arg(a->ap, int);
	}
}

static u64 arg_unsigned(struct args *a, enum len_mod len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(a->ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(a->ap, unsigned int);
	case LEN_L:
		return va_arg(a->ap, unsigned long);
	case LEN_LL:
		return va_arg(a->ap, unsigned long long);
	case LEN_Z:
		return va_arg(a->ap, size_t);
	case LEN_J:
		return va_arg(a->ap, uintmax_t);
	case LEN_T:
		return (u64)va_arg(a->ap, ptrdiff_t);
	default:
		return va_arg(a->ap, unsigned int);
	}
}

/* --- other conversions --------------------------------------------------- */

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t n;

	if (!s)
		s = "(null)";
	/* strnlen: with a precision the argument need not be NUL-terminated. */
	n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	put_field(o, sp, s, n);
}

static void convert(struct out *o, struct spec *sp, struct args *a)
{
	char c;

	switch (sp->conv) {
	case 'd':
	case 'i': {
		s64 v = arg_signed(a, sp->len);

		/* Negate in u64 so that the most negative value does not overflow. */
		put_int(o, sp, v < 0 ? 0 - (u64)v : (u64)v, v < 0);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		put_int(o, sp, arg_unsigned(a, sp->len), false);
		break;
	case 'p':
		put_int(o, sp, (uintptr_t)va_arg(a->ap, void *), false);
		break;
	case 'c':
		c = (char)va_arg(a->ap, int);
		put_field(o, sp, &c, 1);
		break;
	case 's':
		put_string(o, sp, va_arg(a->ap, const char *));
		break;
	}
}

/* --- parsing a conversion specification ---------------------------------- */

/* Reads a decimal field, saturating rather than overflowing. */
static int read_num(const char **f)
{
	int v = 0;

	while (**f >= '0' && **f <= '9') {
		int d = **f - '0';

		v = v > (FMT_INT_MAX - d) / 10 ? FMT_INT_MAX : v * 10 + d;
		(*f)++;
	}
	return v;
}

static void parse_flags(const char **f, struct spec *sp)
{
	for (;; (*f)++) {
		switch (**f) {
		case '-': sp->left = true; break;
		case '0': sp->zero = true; break;
		case '#': sp->alt = true; break;
		case '+': sp->plus = true; break;
		case ' ': sp->space = true; break;
		default: return;
		}
	}
}

static void parse_width(const char **f, struct spec *sp, struct args *a)
{
	if (**f != '*') {
		sp->width = read_num(f);
		return;
	}
	(*f)++;
	sp->width = va_arg(a->ap, int);
	if (sp->width < 0) {
		/* C: a negative '*' width is a '-' flag and a positive width. */
		sp->left = true;
		sp->width = sp->width == -FMT_INT_MAX - 1 ? FMT_INT_MAX : -sp->width;
	}
}

static void parse_precision(const char **f, struct spec *sp, struct args *a)
{
	sp->prec = -1;
	if (**f != '.')
		return;
	(*f)++;
	if (**f == '*') {
		(*f)++;
		sp->prec = va_arg(a->ap, int);
		if (sp->prec < 0)
			sp->prec = -1; /* C: as if no precision were given */
	} else {
		sp->prec = read_num(f);
	}
}

static enum len_mod parse_length(const char **f)
{
	char c = **f;

	switch (c) {
	case 'h':
	case 'l':
		(*f)++;
		if (**f == c) {
			(*f)++;
			return c == 'h' ? LEN_HH : LEN_LL;
		}
		return c == 'h' ? LEN_H : LEN_L;
	case 'z':
		(*f)++;
		return LEN_Z;
	case 'j':
		(*f)++;
		return LEN_J;
	case 't':
		(*f)++;
		return LEN_T;
	default:
		return LEN_NONE;
	}
}

static bool known_conv(char c)
{
	return c && strchr("diuxXocsp", c) != NULL;
}

/* Handles one specification starting just after '%'; returns where the
 * format continues. */
static const char *format_one(struct out *o, const char *f, struct args *a)
{
	const char *start = f - 1;
	struct spec sp;

	if (*f == '%') {
		emit(o, "%", 1);
		return f + 1;
	}
	memset(&sp, 0, sizeof(sp));
	parse_flags(&f, &sp);
	parse_width(&f, &sp, a);
	parse_precision(&f, &sp, a);
	sp.len = parse_length(&f);
	sp.conv = *f;
	if (!known_conv(sp.conv)) {
		emit(o, start, (size_t)(f - start));
		return f;
	}
	convert(o, &sp, a);
	return f + 1;
}

int fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { sink, ctx, 0 };
	struct args a;
	const char *f = fmt;

	va_copy(a.ap, ap);
	while (*f) {
		const char *lit = f;

		while (*f && *f != '%')
			f++;
		emit(&o, lit, (size_t)(f - lit));
		if (*f == '%')
			f = format_one(&o, f + 1, &a);
	}
	va_end(a.ap);
	return o.count > (size_t)FMT_INT_MAX ? -1 : (int)o.count;
}

/* --- buffers ------------------------------------------------------------- */

struct buf_ctx {
	char *buf;
	size_t size;
	size_t pos; /* characters produced so far, even past the end */
};

static void buf_sink(void *ctx, const char *s, size_t n)
{
	struct buf_ctx *b = ctx;

	if (b->size && b->pos < b->size - 1) {
		size_t room = b->size - 1 - b->pos;

		memcpy(b->buf + b->pos, s, n < room ? n : room);
	}
	b->pos += n;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = { buf, size, 0 };
	int ret = fmt_vformat(buf_sink, &b, fmt, ap);

	if (size)
		buf[b.pos < size - 1 ? b.pos : size - 1] = '\0';
	return ret;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}
