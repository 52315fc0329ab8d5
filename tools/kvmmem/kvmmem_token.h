/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmem_token.h - text form of map tokens (64 hex digits, token[0..3] each
 * as %016llx), shared by the kvmmem tools and tests.
 */
#ifndef KVMMEM_TOKEN_H
#define KVMMEM_TOKEN_H

#include <stdio.h>
#include <linux/types.h>

#define KVMMEM_TOKEN_WORDS	4
#define KVMMEM_TOKEN_HEX_LEN	(KVMMEM_TOKEN_WORDS * 16)

/* @buf gets KVMMEM_TOKEN_HEX_LEN hex digits and a NUL. */
static inline void kvmmem_token_format(const __u64 *token, char *buf)
{
	int i;

	for (i = 0; i < KVMMEM_TOKEN_WORDS; i++)
		sprintf(buf + 16 * i, "%016llx", (unsigned long long)token[i]);
}

static inline int kvmmem_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse exactly KVMMEM_TOKEN_HEX_LEN hex digits; 0 or -1. */
static inline int kvmmem_token_parse(const char *s, __u64 *token)
{
	int i, d;

	for (i = 0; i < KVMMEM_TOKEN_WORDS; i++)
		token[i] = 0;
	for (i = 0; i < KVMMEM_TOKEN_HEX_LEN; i++) {
		d = kvmmem_hex_digit(s[i]);
		if (d < 0)
			return -1;
		token[i / 16] = token[i / 16] << 4 | d;
	}
	return s[i] ? -1 : 0;
}

#endif /* KVMMEM_TOKEN_H */
