/*
 * Parser for VM configs in the subset of Xen's xl.cfg syntax that Bulkhead
 * understands. The text comes from outside the trust boundary (a boot image
 * or a user's file), so every read is bounds-checked against `len` and the
 * text is never assumed to be NUL-terminated.
 *
 * Grammar:
 *   file      = { statement }
 *   statement = key "=" value [ ";" ] ( newline | "#" comment | EOF | next statement )
 *   value     = string | integer | "[" [ atom { "," atom } [ "," ] ] "]"
 *   atom      = string | integer
 * Lists may span lines and hold comments. The first error stops the parse.
 */
#include "types.h"
#include "lib/string.h"
#include "core/config.h"
#include "core/guest_layout.h"

#define IPA_BITS 39
#define IPA_LIMIT ((u64)1 << IPA_BITS)
#define RAM_BASE_ALIGN (2 * MiB)
#define DEFAULT_RAM_BASE 0x40000000ull

enum key_id {
	KEY_NAME,
	KEY_VCPUS,
	KEY_MEMORY,
	KEY_MAXMEM,
	KEY_RAM_BASE,
	KEY_KERNEL,
	KEY_KERNEL_FORMAT,
	KEY_RAMDISK,
	KEY_FIRMWARE,
	KEY_EXTRA,
	KEY_CMDLINE,
	KEY_ON_POWEROFF,
	KEY_ON_REBOOT,
	KEY_ON_CRASH,
	KEY_AUTOSTART,
	KEY_CPUS,
	KEY_SCHED,
	KEY_WEIGHT,
	KEY_CAP,
	KEY_DISK,
	KEY_VIF,
	KEY_SVE,
	KEY_BALLOON_DEFLATE_ON_OOM,
	KEY_BALLOON_FREE_PAGE_REPORTING,
	KEY_CRASH_LIMIT,
	KEY_CRASH_WINDOW,
	KEY_COUNT,
};

enum value_kind { VAL_STRING, VAL_INTEGER, VAL_LIST };

struct value {
	enum value_kind kind;
	u32 line;          /* where the value starts */
	const char *body;  /* string: text between the quotes, escapes undone later */
	size_t body_len;
	char quote;
	size_t str_len;    /* string: length once escapes are undone */
	u64 num;           /* integer */
};

/* Elements of the statement's list value, for keys that take lists; more
 * than any such key accepts (`disk`: CONFIG_MAX_DISKS, `vif`:
 * CONFIG_MAX_VIFS) are counted, not kept. The parser lives on a hypervisor
 * stack: keep this small. */
#define LIST_MAX (CONFIG_MAX_DISKS > CONFIG_MAX_VIFS ? CONFIG_MAX_DISKS : CONFIG_MAX_VIFS)

struct parser {
	struct value list[LIST_MAX];
	u32 nlist;         /* elements in the last list lexed (may exceed LIST_MAX) */
	const char *s;
	size_t len;
	size_t pos;
	u32 line;
	const char *key;   /* key of the statement being parsed, for errors */
	size_t key_len;
	u32 set_line[KEY_COUNT]; /* line each key was given on; 0 = not given */
	struct vm_config *out;
	struct config_error *err;
};

struct key_def {
	const char *name;
	int (*set)(struct parser *p, enum key_id id, const struct value *v);
};

/* --- error reporting ----------------------------------------------------- */

static void msg_add(struct config_error *e, const char *s)
{
	size_t used = strlen(e->msg);
	size_t room = sizeof(e->msg) - 1 - used;
	size_t n = strnlen(s, room);

	memcpy(e->msg + used, s, n);
	e->msg[used + n] = '\0';
}

static void msg_num(struct config_error *e, u64 v, unsigned base)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16) {
		tmp[--i] = 'x';
		tmp[--i] = '0';
	}
	msg_add(e, &tmp[i]);
}

/* Records the error against the current key and returns -1 for tail calls. */
static int fail(struct parser *p, u32 line, const char *msg)
{
	struct config_error *e = p->err;
	size_t n = p->key_len < sizeof(e->key) - 1 ? p->key_len : sizeof(e->key) - 1;

	e->line = line;
	memcpy(e->key, p->key ? p->key : "", n);
	e->key[n] = '\0';
	e->msg[0] = '\0';
	msg_add(e, msg);
	return -1;
}

static int fail_range(struct parser *p, const struct value *v, u64 lo, u64 hi)
{
	fail(p, v->line, "must be between ");
	msg_num(p->err, lo, 10);
	msg_add(p->err, " and ");
	msg_num(p->err, hi, 10);
	return -1;
}

/* --- lexing -------------------------------------------------------------- */

static bool at_end(const struct parser *p)
{
	return p->pos >= p->len;
}

/* Current byte, or NUL at the end: no token can start or continue with NUL,
 * so callers need not test at_end() before matching a specific byte. */
static char peek(const struct parser *p)
{
	return at_end(p) ? '\0' : p->s[p->pos];
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void newline(struct parser *p)
{
	p->pos++;
	if (p->line != (u32)-1)
		p->line++;
}

/* Skips spaces and a comment; with `lines`, also newlines (inside lists). */
static void skip_gap(struct parser *p, bool lines)
{
	while (!at_end(p)) {
		char c = peek(p);

		if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else if (c == '#') {
			while (!at_end(p) && peek(p) != '\n')
				p->pos++;
		} else if (c == '\n' && lines) {
			newline(p);
		} else {
			return;
		}
	}
}

/* Checks that a string body is well-formed UTF-8 so that tools can emit it
 * as JSON; overlong forms and surrogates are rejected like any bad byte. */
static bool utf8_ok(const u8 *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		u8 c = s[i];
		size_t extra;
		u32 cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			extra = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= extra)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += extra + 1;
	}
	return true;
}

/* Scans a quoted string. Only double quotes take escapes (\" and \\), as
 * in xl; single-quoted text is literal. */
static int lex_string(struct parser *p, struct value *v)
{
	v->kind = VAL_STRING;
	v->quote = peek(p);
	v->str_len = 0;
	p->pos++;
	v->body = p->s + p->pos;
	for (;;) {
		char c = peek(p);

		if (at_end(p) || c == '\n')
			return fail(p, v->line, "unterminated string");
		if (c == v->quote)
			break;
		if (c == '\\' && v->quote == '"') {
			p->pos++;
			c = peek(p);
			if (at_end(p))
				return fail(p, v->line, "unterminated string");
			if (c != '"' && c != '\\')
				return fail(p, v->line,
					    "unsupported escape sequence (only \\\" and \\\\ are allowed)");
		} else if (((u8)c < 0x20 && c != '\t') || c == 0x7f) {
			return fail(p, v->line, "control character in string");
		}
		p->pos++;
		v->str_len++;
	}
	v->body_len = (size_t)(p->s + p->pos - v->body);
	p->pos++;
	if (!utf8_ok((const u8 *)v->body, v->body_len))
		return fail(p, v->line, "string is not valid UTF-8");
	return 0;
}

static int lex_integer(struct parser *p, struct value *v)
{
	size_t start = p->pos;
	const char *t = p->s + start;
	bool hex;
	size_t n, i;
	u64 num = 0;

	/* Take the whole word so that "128M" or "1.5" is one bad number rather
	 * than a number followed by garbage. */
	while (!at_end(p) && (is_alpha(peek(p)) || is_digit(peek(p)) || peek(p) == '.'))
		p->pos++;
	n = p->pos - start;
	hex = n >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
	if (n >= 2 && t[0] == '0' && is_digit(t[1]))
		return fail(p, v->line,
			    "leading zeros are not allowed (xl would read the number as octal)");
	if (hex && n == 2)
		return fail(p, v->line, "malformed integer (no digits after 0x)");
	for (i = hex ? 2 : 0; i < n; i++) {
		char c = t[i];
		unsigned d;

		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return fail(p, v->line,
				    "malformed integer (use decimal or 0x hex digits, no units)");
		if (num > (~(u64)0 - d) / (hex ? 16 : 10))
			return fail(p, v->line, "integer too large");
		num = num * (hex ? 16 : 10) + d;
	}
	v->kind = VAL_INTEGER;
	v->num = num;
	return 0;
}

static int lex_atom(struct parser *p, struct value *v)
{
	char c = peek(p);

	v->line = p->line;
	if (c == '"' || c == '\'')
		return lex_string(p, v);
	if (is_digit(c))
		return lex_integer(p, v);
	if (c == '-' && p->pos + 1 < p->len && is_digit(p->s[p->pos + 1]))
		return fail(p, v->line, "negative integers are not allowed");
	if (is_alpha(c))
		return fail(p, v->line, "expected a value; strings must be quoted");
	if (at_end(p) || c == '\n' || c == '#' || c == ';')
		return fail(p, v->line, "missing value after '='");
	return fail(p, v->line, "expected a value: a quoted string, an integer or a [list]");
}

/* Checks list syntax and keeps the first LIST_MAX elements for the key. */
static int lex_list(struct parser *p, struct value *v)
{
	struct value elem;

	v->kind = VAL_LIST;
	v->line = p->line;
	p->nlist = 0;
	p->pos++;
	for (;;) {
		skip_gap(p, true);
		if (at_end(p))
			return fail(p, v->line, "unterminated list (missing ']')");
		if (peek(p) == ']')
			break;
		if (peek(p) == '[')
			return fail(p, p->line, "nested lists are not supported");
		if (peek(p) == ',' || peek(p) == ';')
			return fail(p, p->line, "expected a list element (a quoted string or an integer)");
		if (lex_atom(p, &elem))
			return -1;
		if (p->nlist < LIST_MAX)
			p->list[p->nlist] = elem;
		if (p->nlist < (u32)-1)
			p->nlist++;
		skip_gap(p, true);
		if (at_end(p))
			return fail(p, v->line, "unterminated list (missing ']')");
		if (peek(p) == ']')
			break;
		if (peek(p) != ',')
			return fail(p, p->line, "expected ',' or ']' in list");
		p->pos++;
	}
	p->pos++;
	return 0;
}

static int lex_value(struct parser *p, struct value *v)
{
	if (peek(p) == '[')
		return lex_list(p, v);
	return lex_atom(p, v);
}

/* --- typed setters ------------------------------------------------------- */

static const char *kind_name(enum value_kind k)
{
	return k == VAL_STRING ? "a string" : k == VAL_INTEGER ? "an integer" : "a list";
}

static int want(struct parser *p, const struct value *v, enum value_kind kind,
		const char *what)
{
	if (v->kind == kind)
		return 0;
	fail(p, v->line, "expected ");
	msg_add(p->err, what);
	msg_add(p->err, ", got ");
	msg_add(p->err, kind_name(v->kind));
	return -1;
}

/* An integer between lo and hi: 0, or -1 with the error set. */
static int want_in_range(struct parser *p, const struct value *v, const char *what, u64 lo,
			 u64 hi)
{
	if (want(p, v, VAL_INTEGER, what))
		return -1;
	if (v->num < lo || v->num > hi)
		return fail_range(p, v, lo, hi);
	return 0;
}

/* Undoes escapes into dst, which the caller sized from v->str_len. */
static void decode(const struct value *v, char *dst)
{
	size_t i, n = 0;

	for (i = 0; i < v->body_len; i++) {
		if (v->quote == '"' && v->body[i] == '\\')
			i++;
		dst[n++] = v->body[i];
	}
	dst[n] = '\0';
}

static int set_text(struct parser *p, const struct value *v, char *dst, size_t size,
		    bool allow_empty)
{
	if (want(p, v, VAL_STRING, "a string"))
		return -1;
	if (!allow_empty && v->str_len == 0)
		return fail(p, v->line, "must not be empty");
	if (v->str_len >= size) {
		fail(p, v->line, "too long (at most ");
		msg_num(p->err, size - 1, 10);
		msg_add(p->err, " characters)");
		return -1;
	}
	decode(v, dst);
	return 0;
}

static bool name_char_ok(char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '-';
}

static bool all_digits(const char *s)
{
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static int set_name(struct parser *p, enum key_id id, const struct value *v)
{
	char *name = p->out->name;

	if (want(p, v, VAL_STRING, "a string"))
		return -1;
	if (v->str_len == 0 || v->str_len >= CONFIG_NAME_MAX)
		return fail(p, v->line, "must be 1 to 31 characters long");
	decode(v, name);
	for (size_t i = 0; name[i]; i++) {
		if (!name_char_ok(name[i]))
			return fail(p, v->line,
				    "may only contain letters, digits, '_', '.' and '-'");
	}
	if (all_digits(name))
		return fail(p, v->line, "must not be all digits (the shell would take it for a VM id)");
	return 0;
}

static int set_vcpus(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer", 1, CONFIG_MAX_VCPUS))
		return -1;
	p->out->vcpus = (u32)v->num;
	return 0;
}

static int set_memory(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer (MiB)", 1, CONFIG_MAX_MEMORY_MIB))
		return -1;
	p->out->memory_mib = v->num;
	return 0;
}

static int set_maxmem(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer (MiB)", 1, CONFIG_MAX_MEMORY_MIB))
		return -1;
	p->out->maxmem_mib = v->num;
	return 0;
}

static int set_ram_base(struct parser *p, enum key_id id, const struct value *v)
{
	if (want(p, v, VAL_INTEGER, "an integer (guest-physical address)"))
		return -1;
	if (!is_aligned(v->num, RAM_BASE_ALIGN))
		return fail(p, v->line, "must be 2 MiB aligned (a multiple of 0x200000)");
	if (v->num >= IPA_LIMIT)
		return fail(p, v->line,
			    "must be below 0x8000000000 (the guest address space is 39 bits)");
	p->out->ram_base = v->num;
	return 0;
}

static int set_path(struct parser *p, enum key_id id, const struct value *v)
{
	if (id == KEY_KERNEL)
		return set_text(p, v, p->out->kernel, sizeof(p->out->kernel), false);
	if (id == KEY_FIRMWARE)
		return set_text(p, v, p->out->firmware, sizeof(p->out->firmware), false);
	return set_text(p, v, p->out->ramdisk, sizeof(p->out->ramdisk), true);
}

static int set_extra(struct parser *p, enum key_id id, const struct value *v)
{
	return set_text(p, v, p->out->extra, sizeof(p->out->extra), true);
}

static bool body_is(const struct value *v, const char *word)
{
	size_t n = strlen(word);

	/* Escapes cannot occur in a match: every action word is plain letters. */
	return v->body_len == n && memcmp(v->body, word, n) == 0;
}

/* "auto": a Linux Image or an ELF, told by their headers; "raw": a binary
 * entered at its first byte, which no header can confirm, so it is asked for. */
static int set_kernel_format(struct parser *p, enum key_id id, const struct value *v)
{
	if (v->kind == VAL_STRING && (body_is(v, "auto") || body_is(v, "raw"))) {
		p->out->kernel_raw = body_is(v, "raw");
		return 0;
	}
	return fail(p, v->line, "must be \"auto\" (a Linux Image or an ELF) or \"raw\"");
}

static int set_action(struct parser *p, enum key_id id, const struct value *v)
{
	/* Valid in xl but not offered by Bulkhead; named so users know why. */
	static const char *const unsupported[] = {
		"rename-restart", "coredump-destroy", "coredump-restart", "soft-reset",
	};
	static const char *const names[] = { "destroy", "restart", "preserve" };
	enum vm_action *dst = id == KEY_ON_POWEROFF ? &p->out->on_poweroff :
			      id == KEY_ON_REBOOT ? &p->out->on_reboot : &p->out->on_crash;

	if (want(p, v, VAL_STRING, "a string"))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (body_is(v, names[i])) {
			*dst = (enum vm_action)i;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		if (body_is(v, unsupported[i])) {
			fail(p, v->line, "'");
			msg_add(p->err, unsupported[i]);
			msg_add(p->err, "' is not supported by Bulkhead (use destroy, restart or preserve)");
			return -1;
		}
	}
	return fail(p, v->line, "must be \"destroy\", \"restart\" or \"preserve\"");
}

/* A boolean as xl.cfg writes them: 0 or 1 (or "true" / "false"). */
static int set_bool(struct parser *p, const struct value *v, bool *out)
{
	if (v->kind == VAL_INTEGER && v->num <= 1) {
		*out = v->num == 1;
		return 0;
	}
	if (v->kind == VAL_STRING && (body_is(v, "true") || body_is(v, "false"))) {
		*out = body_is(v, "true");
		return 0;
	}
	return fail(p, v->line, "must be 1 or 0 (or \"true\" or \"false\")");
}

static int set_autostart(struct parser *p, enum key_id id, const struct value *v)
{
	return set_bool(p, v, &p->out->autostart);
}

static int set_balloon_oom(struct parser *p, enum key_id id, const struct value *v)
{
	return set_bool(p, v, &p->out->balloon_deflate_on_oom);
}

static int set_balloon_reporting(struct parser *p, enum key_id id, const struct value *v)
{
	return set_bool(p, v, &p->out->balloon_free_page_reporting);
}

/* A CPU number in a `cpus` list: decimal, below 64. Advances *s. */
static bool cpu_number(const char **s, const char *end, u32 *out)
{
	u32 n = 0;

	if (*s == end || !is_digit(**s))
		return false;
	for (; *s < end && is_digit(**s); (*s)++) {
		n = n * 10 + (u32)(**s - '0');
		if (n >= 64)
			return false;
	}
	*out = n;
	return true;
}

/* xl's CPU list: "all", or "N", "N-M" items separated by commas. */
bool config_parse_cpu_list(const char *s, const char *end, u64 *mask)
{
	*mask = 0;
	if (end - s == 3 && memcmp(s, "all", 3) == 0)
		return true;
	for (;;) {
		u32 lo, hi;

		if (!cpu_number(&s, end, &lo))
			return false;
		hi = lo;
		if (s < end && *s == '-') {
			s++;
			if (!cpu_number(&s, end, &hi) || hi < lo)
				return false;
		}
		for (u32 c = lo; c <= hi; c++)
			*mask |= 1ull << c;
		if (s == end)
			return true;
		if (*s++ != ',')
			return false;
	}
}

static int set_cpus(struct parser *p, enum key_id id, const struct value *v)
{
	if (want(p, v, VAL_STRING, "a string such as \"0-3\" or \"1,3\""))
		return -1;
	if (!config_parse_cpu_list(v->body, v->body + v->body_len, &p->out->cpu_mask))
		return fail(p, v->line, "must be \"all\" or a list of CPUs below 64, such as "
			    "\"0-3\" or \"1,3\"");
	return 0;
}

/* "shared" (credit scheduler) or "pinned" (a physical CPU per vCPU). */
static int set_sched(struct parser *p, enum key_id id, const struct value *v)
{
	if (v->kind == VAL_STRING && (body_is(v, "shared") || body_is(v, "pinned"))) {
		p->out->pinned = body_is(v, "pinned");
		return 0;
	}
	return fail(p, v->line, "must be \"shared\" or \"pinned\"");
}

static int set_weight(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer", 1, CONFIG_MAX_WEIGHT))
		return -1;
	p->out->weight = (u32)v->num;
	return 0;
}

static int set_cap(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer (percent of one CPU, 0: no cap)", 0, CONFIG_MAX_CAP))
		return -1;
	p->out->cap = (u32)v->num;
	return 0;
}

/* on_crash = "restart" gives up after more than crash_limit crashes within
 * crash_window seconds (the VM is then preserved). */
static int set_crash_limit(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer (crashes)", 1, CONFIG_MAX_CRASH_LIMIT))
		return -1;
	p->out->crash_limit = (u32)v->num;
	return 0;
}

static int set_crash_window(struct parser *p, enum key_id id, const struct value *v)
{
	if (want_in_range(p, v, "an integer (seconds)", 1, CONFIG_MAX_CRASH_WINDOW))
		return -1;
	p->out->crash_window_s = (u32)v->num;
	return 0;
}

/* A vector length in bits as `sve` takes it: 128 to 2048 in steps of 128. */
static bool sve_vl_ok(u64 bits)
{
	return bits >= 128 && bits <= CONFIG_SVE_MAX_VL && bits % 128 == 0;
}

/*
 * `sve`: xl's values ("hw", "disabled", or a length in bits as a string);
 * a bare integer is taken too. Whether the machine offers that length is
 * known only to the hypervisor, which says so when it creates the VM.
 */
static int set_sve(struct parser *p, enum key_id id, const struct value *v)
{
	u64 bits = 0;

	p->out->sve_line = v->line;
	if (v->kind == VAL_STRING && body_is(v, "hw")) {
		p->out->sve_vl = CONFIG_SVE_HW;
		return 0;
	}
	if (v->kind == VAL_STRING && body_is(v, "disabled")) {
		p->out->sve_vl = 0;
		return 0;
	}
	if (v->kind == VAL_INTEGER) {
		bits = v->num;
	} else if (v->kind == VAL_STRING && v->body_len > 0 && v->body_len <= 4) {
		for (size_t i = 0; i < v->body_len && bits != ~0ull; i++)
			bits = is_digit(v->body[i]) ? bits * 10 + (u64)(v->body[i] - '0') : ~0ull;
	}
	if (!sve_vl_ok(bits))
		return fail(p, v->line, "must be \"hw\", \"disabled\" or a vector length in bits: "
			    "128 to 2048 in steps of 128");
	p->out->sve_vl = (u16)bits;
	return 0;
}

/* Inserts `d` keeping disks in vdev letter order; -1 (reported) when its
 * letter is taken. */
static int add_disk(struct parser *p, const struct config_disk *d)
{
	struct vm_config *c = p->out;
	char letter = config_disk_letter(d->vdev);
	u32 at = c->ndisks;

	for (u32 i = 0; i < c->ndisks; i++) {
		char other = config_disk_letter(c->disks[i].vdev);

		if (other == letter) {
			fail(p, d->line, "duplicate vdev '");
			msg_add(p->err, d->vdev);
			msg_add(p->err, "' (the guest's disk ");
			msg_add(p->err, c->disks[i].vdev);
			msg_add(p->err, " is the same one)");
			return -1;
		}
		if (other > letter && at == c->ndisks)
			at = i;
	}
	for (u32 i = c->ndisks; i > at; i--)
		c->disks[i] = c->disks[i - 1];
	c->disks[at] = *d;
	c->ndisks++;
	return 0;
}

/* `disk = [ 'vdev=xvda, access=rw, target=NAME', ... ]`: each spec a string. */
static int set_disk(struct parser *p, enum key_id id, const struct value *v)
{
	char buf[CONFIG_PATH_MAX], why[sizeof(p->err->msg)];
	struct config_disk d;

	if (want(p, v, VAL_LIST, "a list such as [ 'vdev=xvda, access=rw, target=NAME' ]"))
		return -1;
	if (p->nlist > CONFIG_MAX_DISKS) {
		fail(p, v->line, "at most ");
		msg_num(p->err, CONFIG_MAX_DISKS, 10);
		msg_add(p->err, " disks");
		return -1;
	}
	p->out->ndisks = 0;
	for (u32 i = 0; i < p->nlist; i++) {
		const struct value *e = &p->list[i];

		if (e->kind != VAL_STRING)
			return fail(p, e->line, "each disk must be a string such as "
				    "'vdev=xvda, access=rw, target=NAME'");
		if (e->str_len >= sizeof(buf))
			return fail(p, e->line, "disk spec too long");
		decode(e, buf);
		if (config_disk_spec(buf, e->str_len, &d, why, sizeof(why)))
			return fail(p, e->line, why);
		d.line = e->line;
		if (add_disk(p, &d))
			return -1;
	}
	return 0;
}

/* Two vifs of one VM with one MAC would be one station twice on a switch
 * (or two that a frame from outside cannot tell apart): -1 (reported). */
static int check_vif_mac(struct parser *p, const struct config_vif *v)
{
	char mac[CONFIG_MAC_TEXT];

	for (u32 i = 0; v->has_mac && i < p->out->nvifs; i++) {
		const struct config_vif *other = &p->out->vifs[i];

		if (!other->has_mac || memcmp(other->mac, v->mac, sizeof(v->mac)))
			continue;
		config_mac_text(v->mac, mac);
		fail(p, v->line, "duplicate mac ");
		msg_add(p->err, mac);
		msg_add(p->err, " (vif ");
		msg_num(p->err, i, 10);
		msg_add(p->err, ", on line ");
		msg_num(p->err, other->line, 10);
		msg_add(p->err, ", has it; each vif needs its own)");
		return -1;
	}
	return 0;
}

/* `vif = [ 'mac=02:00:00:00:00:01, bridge=br0', ... ]`: each spec a string,
 * kept in list order (the guest's eth0, eth1, ...). */
static int set_vif(struct parser *p, enum key_id id, const struct value *v)
{
	char buf[CONFIG_PATH_MAX], why[sizeof(p->err->msg)];
	struct config_vif vif;

	if (want(p, v, VAL_LIST, "a list such as [ 'mac=02:00:00:00:00:01, bridge=br0' ]"))
		return -1;
	if (p->nlist > CONFIG_MAX_VIFS) {
		fail(p, v->line, "at most ");
		msg_num(p->err, CONFIG_MAX_VIFS, 10);
		msg_add(p->err, " vifs");
		return -1;
	}
	p->out->nvifs = 0;
	for (u32 i = 0; i < p->nlist; i++) {
		const struct value *e = &p->list[i];

		if (e->kind != VAL_STRING)
			return fail(p, e->line, "each vif must be a string such as "
				    "'mac=02:00:00:00:00:01, bridge=br0'");
		if (e->str_len >= sizeof(buf))
			return fail(p, e->line, "vif spec too long");
		decode(e, buf);
		if (config_vif_spec(buf, e->str_len, &vif, why, sizeof(why)))
			return fail(p, e->line, why);
		vif.line = e->line;
		if (check_vif_mac(p, &vif))
			return -1;
		p->out->vifs[p->out->nvifs++] = vif;
	}
	return 0;
}

/* Indexed by enum key_id; ACTION_* values match the order of names[] above. */
static const struct key_def keys[KEY_COUNT] = {
	[KEY_NAME] = { "name", set_name },
	[KEY_VCPUS] = { "vcpus", set_vcpus },
	[KEY_MEMORY] = { "memory", set_memory },
	[KEY_MAXMEM] = { "maxmem", set_maxmem },
	[KEY_RAM_BASE] = { "ram_base", set_ram_base },
	[KEY_KERNEL] = { "kernel", set_path },
	[KEY_KERNEL_FORMAT] = { "kernel_format", set_kernel_format },
	[KEY_RAMDISK] = { "ramdisk", set_path },
	[KEY_FIRMWARE] = { "firmware", set_path },
	[KEY_EXTRA] = { "extra", set_extra },
	[KEY_CMDLINE] = { "cmdline", set_extra },
	[KEY_ON_POWEROFF] = { "on_poweroff", set_action },
	[KEY_ON_REBOOT] = { "on_reboot", set_action },
	[KEY_ON_CRASH] = { "on_crash", set_action },
	[KEY_AUTOSTART] = { "autostart", set_autostart },
	[KEY_BALLOON_DEFLATE_ON_OOM] = { "balloon_deflate_on_oom", set_balloon_oom },
	[KEY_BALLOON_FREE_PAGE_REPORTING] = { "balloon_free_page_reporting", set_balloon_reporting },
	[KEY_CPUS] = { "cpus", set_cpus },
	[KEY_SCHED] = { "sched", set_sched },
	[KEY_WEIGHT] = { "weight", set_weight },
	[KEY_CAP] = { "cap", set_cap },
	[KEY_DISK] = { "disk", set_disk },
	[KEY_VIF] = { "vif", set_vif },
	[KEY_SVE] = { "sve", set_sve },
	[KEY_CRASH_LIMIT] = { "crash_limit", set_crash_limit },
	[KEY_CRASH_WINDOW] = { "crash_window", set_crash_window },
};

_Static_assert(ACTION_DESTROY == 0 && ACTION_RESTART == 1 && ACTION_PRESERVE == 2,
	       "set_action maps names[] indices to enum vm_action");

/* --- statements ---------------------------------------------------------- */

static int lookup_key(const char *k, size_t n)
{
	for (int i = 0; i < KEY_COUNT; i++) {
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0)
			return i;
	}
	return -1;
}

static int fail_line_ref(struct parser *p, const char *msg, u32 other, const char *tail)
{
	fail(p, p->line, msg);
	msg_num(p->err, other, 10);
	msg_add(p->err, tail);
	return -1;
}

/* Rejects a key given twice, counting extra and cmdline as one key. */
static int check_repeat(struct parser *p, enum key_id id)
{
	enum key_id twin = id == KEY_EXTRA ? KEY_CMDLINE : id == KEY_CMDLINE ? KEY_EXTRA : id;

	if (p->set_line[id])
		return fail_line_ref(p, "duplicate key (first set on line ", p->set_line[id], ")");
	if (twin != id && p->set_line[twin])
		return fail_line_ref(p, "'extra' and 'cmdline' are synonyms; give only one "
				     "(the other is set on line ", p->set_line[twin], ")");
	return 0;
}

static int parse_key(struct parser *p)
{
	size_t start = p->pos;

	if (!is_alpha(peek(p)))
		return fail(p, p->line,
			    "expected a key (a letter or '_' followed by letters, digits or '_')");
	while (!at_end(p) && (is_alpha(peek(p)) || is_digit(peek(p))))
		p->pos++;
	p->key = p->s + start;
	p->key_len = p->pos - start;
	skip_gap(p, false);
	if (peek(p) != '=')
		return fail(p, p->line, "expected '=' after the key");
	p->pos++;
	return 0;
}

/* A statement ends at a newline, a comment, the end, or a ';' (after which
 * another statement may follow on the same line, as in xl). */
static int end_statement(struct parser *p)
{
	skip_gap(p, false);
	if (at_end(p))
		return 0;
	if (peek(p) == ';') {
		p->pos++;
		return 0;
	}
	if (peek(p) == '\n') {
		newline(p);
		return 0;
	}
	return fail(p, p->line, "unexpected text after the value");
}

static int parse_statement(struct parser *p)
{
	struct value v;
	int id;

	p->key = NULL;
	p->key_len = 0;
	if (parse_key(p))
		return -1;
	id = lookup_key(p->key, p->key_len);
	if (id < 0)
		return fail(p, p->line, "unknown key");
	if (check_repeat(p, (enum key_id)id))
		return -1;
	p->set_line[id] = p->line;
	skip_gap(p, false);
	if (lex_value(p, &v) || end_statement(p))
		return -1;
	return keys[id].set(p, (enum key_id)id, &v);
}

/* --- whole file ---------------------------------------------------------- */

static void set_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	c->ram_base = DEFAULT_RAM_BASE;
	c->on_poweroff = ACTION_DESTROY;
	c->on_reboot = ACTION_RESTART;
	c->on_crash = ACTION_DESTROY;
	c->autostart = true;
	c->balloon_free_page_reporting = true;
	c->weight = CONFIG_DEFAULT_WEIGHT;
	c->sve_vl = CONFIG_SVE_HW;
	c->crash_limit = CONFIG_DEFAULT_CRASH_LIMIT;
	c->crash_window_s = CONFIG_DEFAULT_CRASH_WINDOW;
}

/* Points error reporting at `id`, as if the parser stood on that key. */
static void blame_key(struct parser *p, enum key_id id)
{
	p->key = keys[id].name;
	p->key_len = strlen(p->key);
}

static int check_required(struct parser *p)
{
	static const enum key_id required[] = { KEY_NAME, KEY_MEMORY };

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!p->set_line[required[i]]) {
			blame_key(p, required[i]);
			return fail(p, 0, "missing required key");
		}
	}
	return 0;
}

/*
 * A VM boots either a kernel (Bulkhead loads it, with its ramdisk, the way a
 * boot loader would) or its own firmware (which finds and loads whatever it
 * boots); never both, since nothing would hand the kernel to the firmware.
 */
static int check_boot_source(struct parser *p)
{
	u32 kernel = p->set_line[KEY_KERNEL], firmware = p->set_line[KEY_FIRMWARE];

	if (!kernel && !firmware) {
		blame_key(p, KEY_KERNEL);
		return fail(p, 0, "missing required key (or give `firmware` to boot a "
			    "firmware image instead)");
	}
	if (kernel && firmware) {
		blame_key(p, KEY_FIRMWARE);
		fail(p, firmware, "cannot be combined with kernel (line ");
		msg_num(p->err, kernel, 10);
		msg_add(p->err, "): a VM boots either a kernel or its own firmware");
		return -1;
	}
	if (firmware && p->set_line[KEY_KERNEL_FORMAT]) {
		blame_key(p, KEY_KERNEL_FORMAT);
		return fail(p, p->set_line[KEY_KERNEL_FORMAT], "goes with kernel; a VM booting "
			    "firmware has no kernel for Bulkhead to load");
	}
	if (firmware && p->set_line[KEY_RAMDISK]) {
		blame_key(p, KEY_RAMDISK);
		return fail(p, p->set_line[KEY_RAMDISK], "goes with kernel; a VM booting "
			    "firmware loads its own ramdisk");
	}
	return 0;
}

/*
 * `maxmem` is the guest's RAM (what its device tree says), `memory` what it
 * may use at first: the balloon (present when maxmem is above memory) holds
 * the rest. As in xl, maxmem defaults to memory and may not be below it.
 */
static int check_maxmem(struct parser *p)
{
	struct vm_config *c = p->out;
	u32 line = p->set_line[KEY_MAXMEM];

	if (!line) {
		c->maxmem_mib = c->memory_mib;
		return 0;
	}
	if (c->maxmem_mib >= c->memory_mib)
		return 0;
	blame_key(p, KEY_MAXMEM);
	fail(p, line, "");
	msg_num(p->err, c->maxmem_mib, 10);
	msg_add(p->err, " MiB is below memory (");
	msg_num(p->err, c->memory_mib, 10);
	msg_add(p->err, " MiB, line ");
	msg_num(p->err, p->set_line[KEY_MEMORY], 10);
	msg_add(p->err, "): the guest's RAM must hold its initial memory");
	return -1;
}

/* The key that sized the guest's RAM, to blame for where RAM ends: ram_base
 * if the user set it, else maxmem if given, else memory. */
static enum key_id ram_size_key(const struct parser *p)
{
	if (p->set_line[KEY_RAM_BASE])
		return KEY_RAM_BASE;
	return p->set_line[KEY_MAXMEM] ? KEY_MAXMEM : KEY_MEMORY;
}

/* With firmware, the flash window at the bottom of the IPA space is taken. */
static int check_firmware_room(struct parser *p)
{
	const struct vm_config *c = p->out;

	if (!p->set_line[KEY_FIRMWARE] || c->ram_base >= GUEST_FLASH_BASE + GUEST_FLASH_SIZE)
		return 0;
	blame_key(p, KEY_RAM_BASE);
	fail(p, p->set_line[KEY_RAM_BASE], "RAM at ");
	msg_num(p->err, c->ram_base, 16);
	msg_add(p->err, " overlaps the firmware flash at ");
	msg_num(p->err, GUEST_FLASH_BASE, 16);
	msg_add(p->err, "..");
	msg_num(p->err, GUEST_FLASH_BASE + GUEST_FLASH_SIZE, 16);
	msg_add(p->err, "; RAM must start at or above its end");
	return -1;
}

/* RAM over the emulated devices would hide them, or them it. */
static int check_ram_clear_of_devices(struct parser *p)
{
	const struct vm_config *c = p->out;
	u64 end = c->ram_base + c->maxmem_mib * MiB;
	enum key_id blame = ram_size_key(p);

	if (end <= GUEST_DEVICES_BASE || c->ram_base >= GUEST_DEVICES_END)
		return 0;
	blame_key(p, blame);
	fail(p, p->set_line[blame], "RAM ");
	msg_num(p->err, c->ram_base, 16);
	msg_add(p->err, "..");
	msg_num(p->err, end, 16);
	msg_add(p->err, " overlaps the emulated devices at ");
	msg_num(p->err, GUEST_DEVICES_BASE, 16);
	msg_add(p->err, "..");
	msg_num(p->err, GUEST_DEVICES_END, 16);
	return -1;
}

/* RAM must fit in the stage-2 IPA space; blame ram_base if the user set it. */
static int check_ram_fits(struct parser *p)
{
	const struct vm_config *c = p->out;
	u64 end = c->ram_base + c->maxmem_mib * MiB; /* both bounded: cannot wrap */
	enum key_id blame = ram_size_key(p);

	if (end <= IPA_LIMIT)
		return 0;
	blame_key(p, blame);
	fail(p, p->set_line[blame], "RAM ");
	msg_num(p->err, c->ram_base, 16);
	msg_add(p->err, "..");
	msg_num(p->err, end, 16);
	msg_add(p->err, " does not fit below 0x8000000000 (the guest address space is 39 bits)");
	return -1;
}

/* A pinned vCPU owns its CPU: a weight or cap there would mean nothing. */
static int check_sched(struct parser *p)
{
	enum key_id blame = p->set_line[KEY_CAP] ? KEY_CAP : KEY_WEIGHT;

	if (!p->out->pinned || !p->set_line[blame])
		return 0;
	p->key = keys[blame].name;
	p->key_len = strlen(p->key);
	return fail(p, p->set_line[blame], "applies to shared VMs only, and sched is \"pinned\"");
}

int config_parse(const char *text, size_t len, struct vm_config *out, struct config_error *err)
{
	struct config_error scratch;
	struct parser p;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = text ? len : 0;
	p.line = 1;
	p.out = out;
	p.err = err ? err : &scratch;
	memset(p.err, 0, sizeof(*p.err));
	set_defaults(out);
	for (;;) {
		skip_gap(&p, true);
		if (at_end(&p))
			break;
		if (parse_statement(&p))
			return -1;
	}
	if (check_required(&p) || check_maxmem(&p) || check_boot_source(&p) || check_ram_fits(&p) ||
	    check_firmware_room(&p) || check_ram_clear_of_devices(&p) || check_sched(&p))
		return -1;
	return 0;
}

const char *config_action_name(enum vm_action a)
{
	switch (a) {
	case ACTION_DESTROY:
		return "destroy";
	case ACTION_RESTART:
		return "restart";
	case ACTION_PRESERVE:
		return "preserve";
	}
	return "unknown";
}
