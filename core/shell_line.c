/*
 * The shell's line editor (see shell_line.h). The cursor is always at the
 * end of the line, so every change is a few characters added or erased at
 * the end, which any terminal shows with plain bytes and "\b \b".
 */
#include "core/shell_line.h"
#include "lib/string.h"

#define ESC 0x1b
#define CTRL_U 0x15
#define CTRL_W 0x17
#define BEL "\a"
#define ERASE "\b \b"
#define ERASE_LEN 3
/* The longest change: erase a whole line, then write another. */
#define DELTA_MAX (SHELL_LINE_MAX * (ERASE_LEN + 1))

struct delta {
	char b[DELTA_MAX];
	u32 n;
};

static void add(struct delta *d, const char *s, u32 len)
{
	for (u32 i = 0; i < len && d->n < DELTA_MAX; i++)
		d->b[d->n++] = s[i];
}

static void show(struct shell_line *l, const struct delta *d)
{
	if (l->ops && l->ops->echo)
		l->ops->echo(l->ops->ctx, l->buf, l->len, d->b, d->n);
}

void shell_line_init(struct shell_line *l, const struct shell_line_ops *ops)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops;
}

const char *shell_line_text(const struct shell_line *l)
{
	return l->buf;
}

/* Erases down to `keep` characters. */
static void cut_to(struct shell_line *l, u32 keep, struct delta *d)
{
	while (l->len > keep) {
		l->len--;
		add(d, ERASE, ERASE_LEN);
	}
	l->buf[l->len] = '\0';
}

/* Shows `text` in place of the whole line. */
static void replace(struct shell_line *l, const char *text)
{
	struct delta d = { .n = 0 };

	cut_to(l, 0, &d);
	l->too_long = false;
	l->len = (u32)strlcpy(l->buf, text, SHELL_LINE_MAX);
	add(&d, l->buf, l->len);
	show(l, &d);
}

static void append(struct shell_line *l, const char *s, u32 n, struct delta *d)
{
	for (u32 i = 0; i < n; i++) {
		if (l->len >= SHELL_LINE_MAX - 1) {
			if (!l->too_long)
				add(d, BEL, 1);
			l->too_long = true;
			return;
		}
		l->buf[l->len++] = s[i];
		add(d, &s[i], 1);
	}
	l->buf[l->len] = '\0';
}

/* --- history --- */

static const char *hist_line(const struct shell_line *l, u32 back)
{
	return l->hist[(l->hist_next + SHELL_HISTORY - back) % SHELL_HISTORY];
}

static void remember(struct shell_line *l)
{
	if (!l->len || (l->hist_count && !strcmp(hist_line(l, 1), l->buf)))
		return;  /* the same command twice is one step back */
	strlcpy(l->hist[l->hist_next], l->buf, SHELL_LINE_MAX);
	l->hist_next = (l->hist_next + 1) % SHELL_HISTORY;
	if (l->hist_count < SHELL_HISTORY)
		l->hist_count++;
}

static void walk(struct shell_line *l, bool older)
{
	if (older && l->hist_back < l->hist_count) {
		if (!l->hist_back)
			strlcpy(l->saved, l->buf, SHELL_LINE_MAX);
		l->hist_back++;
	} else if (!older && l->hist_back) {
		l->hist_back--;
	} else {
		return;
	}
	replace(l, l->hist_back ? hist_line(l, l->hist_back) : l->saved);
}

/* --- Tab --- */

/* Where the word being typed starts, and how many words come before it. */
static u32 word_start(const struct shell_line *l, u32 *words)
{
	u32 start = l->len, n = 0;
	bool in_word = false;

	while (start && l->buf[start - 1] != ' ')
		start--;
	for (u32 i = 0; i < start; i++) {
		if (l->buf[i] != ' ' && !in_word)
			n++;
		in_word = l->buf[i] != ' ';
	}
	*words = n;
	return start;
}

static u32 common_len(const char *a, const char *b)
{
	u32 n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/* Candidates of word `word` starting with prefix[0..plen), spaced, into `out`. */
static u32 matches(struct shell_line *l, const char *before, u32 word, const char *prefix,
		   u32 plen, char *first, u32 *common, char *out, u32 outsize)
{
	u32 n = 0, used = 0;
	const char *c;

	for (u32 i = 0; (c = l->ops->candidate(l->ops->ctx, before, word, i)) != NULL; i++) {
		u32 clen = (u32)strlen(c);

		if (strncmp(c, prefix, plen) != 0)
			continue;
		if (!n++) {
			strlcpy(first, c, SHELL_LINE_MAX);
			*common = clen;
		} else {
			u32 same = common_len(first, c);

			*common = same < *common ? same : *common;
		}
		if (used + clen + 2 < outsize) {
			if (used)
				out[used++] = ' ';
			memcpy(out + used, c, clen);
			used += clen;
			out[used] = '\0';
		}
	}
	return n;
}

static void complete(struct shell_line *l)
{
	char before[SHELL_LINE_MAX], first[SHELL_LINE_MAX], names[4 * SHELL_LINE_MAX];
	struct delta d = { .n = 0 };
	u32 words, common = 0, start, n;

	if (!l->ops || !l->ops->candidate || l->too_long)
		return;
	start = word_start(l, &words);
	memcpy(before, l->buf, start);
	before[start] = '\0';
	names[0] = '\0';
	n = matches(l, before, words, l->buf + start, l->len - start, first, &common, names,
		    sizeof(names));
	if (!n) {
		add(&d, BEL, 1);
	} else if (common > l->len - start) {
		append(l, first + (l->len - start), common - (l->len - start), &d);
		if (n == 1)
			append(l, " ", 1, &d);
	} else if (n == 1) {
		append(l, " ", 1, &d);
	} else {
		if (l->ops->list)
			l->ops->list(l->ops->ctx, names);
	}
	show(l, &d);
}

/* --- keys --- */

/* Inside an escape sequence: true once it ended (its final byte). */
static bool escape(struct shell_line *l, char c)
{
	if (l->esc == 1) {
		l->esc = (c == '[' || c == 'O') ? 2 : 0;
		return !l->esc;
	}
	if ((u8)c < 0x40 || (u8)c > 0x7e)
		return false;  /* a parameter byte: the sequence goes on */
	l->esc = 0;
	if (c == 'A' || c == 'B')
		walk(l, c == 'A');
	return true;
}

static enum shell_line_result enter(struct shell_line *l)
{
	bool too_long = l->too_long;

	l->buf[l->len] = '\0';
	l->ended = true;
	l->hist_back = 0;
	l->too_long = false;
	if (too_long)
		return LINE_TOO_LONG;
	remember(l);
	return LINE_DONE;
}

/* Ctrl-W: the spaces before the cursor, then the word before them. */
static void erase_word(struct shell_line *l, struct delta *d)
{
	u32 keep = l->len;

	while (keep && l->buf[keep - 1] == ' ')
		keep--;
	while (keep && l->buf[keep - 1] != ' ')
		keep--;
	cut_to(l, keep, d);
}

enum shell_line_result shell_line_key(struct shell_line *l, char c)
{
	struct delta d = { .n = 0 };

	if (l->ended) {
		l->ended = false;
		l->len = 0;
		l->buf[0] = '\0';
	}
	if (l->esc) {
		escape(l, c);
		return LINE_EDITING;
	}
	switch (c) {
	case '\r':
	case '\n':
		return enter(l);
	case ESC:
		l->esc = 1;
		return LINE_EDITING;
	case '\t':
		complete(l);
		return LINE_EDITING;
	case 0x7f:
	case '\b':
		if (!l->len)
			return LINE_EDITING;
		cut_to(l, l->len - 1, &d);
		break;
	case CTRL_U:
		cut_to(l, 0, &d);
		l->too_long = false;
		break;
	case CTRL_W:
		erase_word(l, &d);
		break;
	default:
		if ((u8)c < 0x20 || (u8)c > 0x7e)
			return LINE_EDITING;
		append(l, &c, 1, &d);
		break;
	}
	show(l, &d);
	return LINE_EDITING;
}
