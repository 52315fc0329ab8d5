// SPDX-License-Identifier: GPL-2.0
/*
 * rmap_token.c - librmap: text form of map tokens (parse, format) and
 * wiping them; no system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "rmap.h"
#include "rmap_internal.h"

static int rmap_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int rmap_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int rmap_token_parse(const char *hex, struct rmap_token *token)
{
	int i, d;

	memset(token, 0, sizeof(*token));
	if (!hex)
		return rmap_fail(EINVAL);
	for (i = 0; i < RMAP_TOKEN_HEX_LEN; i++) {
		d = rmap_hex_digit(hex[i]);
		if (d < 0)
			goto bad;
		token->word[i / 16] = token->word[i / 16] << 4 | d;
	}
	for (hex += i; *hex; hex++)
		if (!rmap_is_space(*hex))
			goto bad;
	return 0;
bad:
	rmap_token_wipe(token);
	return rmap_fail(EINVAL);
}

char *rmap_token_format(const struct rmap_token *token, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	__u64 w;
	int i, j;

	for (i = 0; i < RMAP_TOKEN_WORDS; i++) {
		w = token->word[i];
		for (j = 15; j >= 0; j--) {
			buf[16 * i + j] = digits[w & 0xf];
			w >>= 4;
		}
	}
	buf[RMAP_TOKEN_HEX_LEN] = '\0';
	return buf;
}

void rmap_token_wipe(struct rmap_token *token)
{
	explicit_bzero(token, sizeof(*token));
}
