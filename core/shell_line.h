/*
 * The shell's line editor: what the operator types becomes a command line.
 * It keeps the line and its history and says how the shown line changes;
 * it prints nothing itself and knows no command, so it runs on the host in
 * the unit tests as it does in Bulkhead.
 *
 * Keys: printable ASCII is added at the end; Backspace (DEL or ^H) removes
 * the last character, Ctrl-U the whole line, Ctrl-W the word before the
 * cursor; Up and Down (ESC [ A / ESC [ B, or ESC O A / B) walk the history;
 * Tab completes the word being typed from the candidates the caller gives;
 * Enter ends the line. Other control bytes and escape sequences are ignored.
 * A line longer than SHELL_LINE_MAX - 1 characters is not cut: the extra
 * characters ring the bell, and Enter gives LINE_TOO_LONG instead of it.
 */
#ifndef BULKHEAD_CORE_SHELL_LINE_H
#define BULKHEAD_CORE_SHELL_LINE_H

#include "types.h"

#define SHELL_LINE_MAX 128   /* a line's characters, and its terminating NUL */
#define SHELL_HISTORY 16     /* lines kept for Up and Down */

struct shell_line_ops {
	/*
	 * The shown line is now line[0..len). `delta` is what turns the line as
	 * it was shown into it on a terminal (characters, "\b \b" to erase one,
	 * "\a" for the bell); a caller whose screen no longer ends with the
	 * line (other output came in between) draws `line` afresh instead.
	 */
	void (*echo)(void *ctx, const char *line, u32 len, const char *delta, u32 dlen);
	/*
	 * The i-th candidate for word `word` (0: the command) of `line` (the
	 * words before it, NUL-terminated), or NULL after the last. Tab keeps
	 * those that start with what was typed of the word.
	 */
	const char *(*candidate)(void *ctx, const char *line, u32 word, u32 i);
	/* Several candidates fit and Tab cannot extend the word: `names`,
	 * separated by spaces, for the caller to show. */
	void (*list)(void *ctx, const char *names);
	void *ctx;
};

enum shell_line_result {
	LINE_EDITING,    /* the byte edited the line (or was ignored) */
	LINE_DONE,       /* Enter: the line is in shell_line_text(), NUL-terminated */
	LINE_TOO_LONG,   /* Enter after more than SHELL_LINE_MAX - 1 characters: nothing to run */
};

struct shell_line {
	const struct shell_line_ops *ops;
	char buf[SHELL_LINE_MAX];
	u32 len;
	bool too_long;      /* characters were refused: Enter refuses the line */
	bool ended;         /* Enter ended buf: the next key starts a new line */
	u8 esc;             /* 0; 1 after ESC; 2 inside ESC [ or ESC O */
	char hist[SHELL_HISTORY][SHELL_LINE_MAX];
	u32 hist_count;     /* lines kept, at most SHELL_HISTORY */
	u32 hist_next;      /* slot the next line goes to */
	u32 hist_back;      /* while walking: how many lines back (0: the line being typed) */
	char saved[SHELL_LINE_MAX];  /* the line being typed, while walking the history */
};

void shell_line_init(struct shell_line *l, const struct shell_line_ops *ops);
enum shell_line_result shell_line_key(struct shell_line *l, char c);
/* The line Enter ended (LINE_DONE), until the next key. */
const char *shell_line_text(const struct shell_line *l);

#endif
