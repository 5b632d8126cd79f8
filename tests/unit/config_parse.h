/*
 * The config parser's test helpers, shared by test_config.c and
 * test_config_vif.c: parse from an exact-size copy, expect success, or
 * expect an error of a given line, key and words. Include after cmocka.h.
 */
#ifndef BULKHEAD_TESTS_UNIT_CONFIG_PARSE_H
#define BULKHEAD_TESTS_UNIT_CONFIG_PARSE_H

#include "core/config.h"

/* The minimal valid config; tests append or prepend to it. */
#define BASE "name = \"vm\"\nmemory = 128\nkernel = \"Image\"\n"

static struct vm_config cfg;
static struct config_error err;

/* Parses from an exact-size heap copy so that ASan catches any read past
 * `len` (the parser must not expect a NUL terminator). */
static int parse(const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(&err, 0x5a, sizeof(err));
	ret = config_parse(copy, len, &cfg, &err);
	free(copy);
	return ret;
}

static void parse_ok(const char *text)
{
	if (parse(text) != 0) {
		print_error("config:\n%s\nunexpected error: line %u key '%s': %s\n",
			    text, err.line, err.key, err.msg);
		fail();
	}
}

/* Checks line, key and that the message contains `msg`. */
static void parse_err(const char *text, unsigned line, const char *key, const char *msg)
{
	bool ok;

	if (parse(text) == 0) {
		print_error("config:\n%s\nparsed but should fail with '%s'\n", text, msg);
		fail();
	}
	ok = err.line == line && strcmp(err.key, key) == 0 && strstr(err.msg, msg) != NULL &&
	     memchr(err.msg, '\0', sizeof(err.msg)) && memchr(err.key, '\0', sizeof(err.key));
	if (!ok) {
		print_error("config:\n%s\ngot line %u key '%s' msg '%s'\n"
			    "want line %u key '%s' msg containing '%s'\n",
			    text, err.line, err.key, err.msg, line, key, msg);
		fail();
	}
}

#endif
