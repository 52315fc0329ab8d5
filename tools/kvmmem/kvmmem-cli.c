// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem-cli.c - "kvmmem": map pages of another VM through /dev/kvmmem (in
 * the introspector VM) and dump, watch, write or read a string from them.
 *
 * Usage: kvmmem map [--ro] TOKENHEX GPA [ACTION]
 *   ACTION: hexdump LEN | watch OFFSET COUNT INTERVAL_MS |
 *           write OFFSET HEXBYTES | read-string OFFSET      (default: hexdump 256)
 * GPA need not be page-aligned; OFFSET counts from GPA.  The target pages
 * covering the bytes the action touches (at most MAX_PAGES) are mapped at a
 * private anonymous window of this process, and unmapped before exit.  With
 * --ro the window is PROT_READ, so the maps are read-only.
 * Exit status: 0 success, 1 usage, 2 a map failed (the errno name and
 * librmap's explanation are printed: "kvmmem: map gpa 0x1000: EPERM (token
 * refused: unknown, revoked, expired, or bound to another VM)"), 3 other
 * errors.  Built on librmap (lib/); see kvmmem(1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "rmap.h"

#define PAGE_SZ		4096UL
#define MAX_PAGES	16UL
#define MAX_STRING	1024UL

enum { EXIT_USAGE = 1, EXIT_MAP = 2, EXIT_ERR = 3 };

static void print_usage(void)
{
	fprintf(stderr,
		"usage: kvmmem map [--ro] TOKENHEX GPA [ACTION]\n"
		"  ACTION: hexdump LEN | watch OFFSET COUNT INTERVAL_MS |\n"
		"          write OFFSET HEXBYTES | read-string OFFSET\n"
		"          (default: hexdump 256)\n"
		"  GPA may be unaligned; OFFSET counts from GPA.\n");
	exit(EXIT_USAGE);
}

static unsigned long long parse_num(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "kvmmem: bad %s '%s'\n", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

struct window {
	int fd;
	unsigned char *base;	/* local address of the first page */
	unsigned long long gpa;	/* target gpa of the first page */
	unsigned long npages;
	unsigned long mapped;	/* pages mapped so far */
};

static void window_unmap(struct window *w)
{
	unsigned long i;
	int ret;

	for (i = 0; i < w->mapped; i++) {
		ret = rmap_kvmmem_unmap(w->fd, w->base + i * PAGE_SZ);
		if (ret)
			fprintf(stderr, "kvmmem: unmap gpa 0x%llx: %s (%s)\n",
				w->gpa + i * PAGE_SZ, rmap_errname(ret),
				rmap_strerror(RMAP_OP_KVMMEM_UNMAP, ret));
	}
	w->mapped = 0;
}

/* Map the target pages covering [gpa, gpa + len). */
static int window_map(struct window *w, const struct rmap_token *token,
		      unsigned long long gpa, unsigned long len, int ro)
{
	size_t failed = 0;
	int ret;

	w->gpa = gpa & ~(PAGE_SZ - 1);
	w->npages = (gpa - w->gpa + len + PAGE_SZ - 1) / PAGE_SZ;
	if (!w->npages)
		w->npages = 1;
	if (w->npages > MAX_PAGES) {
		fprintf(stderr, "kvmmem: at most %lu pages\n", MAX_PAGES);
		exit(EXIT_USAGE);
	}
	w->base = mmap(NULL, w->npages * PAGE_SZ,
		       ro ? PROT_READ : PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->base == MAP_FAILED) {
		perror("kvmmem: mmap");
		return EXIT_ERR;
	}
	/* All or nothing: on failure the library unmaps what it mapped. */
	ret = rmap_kvmmem_map_range(w->fd, token, w->gpa, w->base, w->npages,
				    &failed);
	if (ret) {
		fprintf(stderr, "kvmmem: map gpa 0x%llx: %s (%s)\n",
			w->gpa + failed * PAGE_SZ, rmap_errname(ret),
			rmap_strerror(RMAP_OP_KVMMEM_MAP, ret));
		return EXIT_MAP;
	}
	w->mapped = w->npages;
	return 0;
}

static void hexdump(const unsigned char *p, unsigned long long addr,
		    unsigned long len)
{
	unsigned long i, j;

	for (i = 0; i < len; i += 16) {
		printf("%016llx:", addr + i);
		for (j = i; j < i + 16; j++) {
			if (j < len)
				printf(" %02x", p[j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
		printf("|\n");
	}
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse HEXBYTES into a malloc'd buffer; returns its length. */
static unsigned long parse_bytes(const char *s, unsigned char **out)
{
	unsigned long n = strlen(s) / 2, i;
	int hi, lo;

	if (!n || strlen(s) % 2) {
		fprintf(stderr, "kvmmem: bad HEXBYTES '%s'\n", s);
		exit(EXIT_USAGE);
	}
	*out = malloc(n);
	if (!*out) {
		perror("kvmmem: malloc");
		exit(EXIT_ERR);
	}
	for (i = 0; i < n; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "kvmmem: bad HEXBYTES '%s'\n", s);
			exit(EXIT_USAGE);
		}
		(*out)[i] = hi << 4 | lo;
	}
	return n;
}

int main(int argc, char **argv)
{
	enum { HEXDUMP, WATCH, WRITE, READ_STRING } action = HEXDUMP;
	unsigned long long gpa, off = 0, count = 0, interval = 0, len = 256;
	unsigned char *bytes = NULL, *p;
	struct window w = { .fd = -1 };
	struct rmap_token token;
	int ro = 0, rc, argi = 1;
	unsigned long i;

	if (argc < 2 || strcmp(argv[argi++], "map"))
		print_usage();
	if (argi < argc && !strcmp(argv[argi], "--ro")) {
		ro = 1;
		argi++;
	}
	if (argc - argi < 2)
		print_usage();
	if (rmap_token_parse(argv[argi], &token)) {
		fprintf(stderr, "kvmmem: TOKENHEX must be %d hex digits\n",
			RMAP_TOKEN_HEX_LEN);
		exit(EXIT_USAGE);
	}
	gpa = parse_num(argv[argi + 1], "GPA");
	argi += 2;

	if (argi < argc) {
		const char *a = argv[argi++];

		if (!strcmp(a, "hexdump") && argc - argi == 1) {
			len = parse_num(argv[argi], "LEN");
		} else if (!strcmp(a, "watch") && argc - argi == 3) {
			action = WATCH;
			off = parse_num(argv[argi], "OFFSET");
			count = parse_num(argv[argi + 1], "COUNT");
			interval = parse_num(argv[argi + 2], "INTERVAL_MS");
			len = 4;
		} else if (!strcmp(a, "write") && argc - argi == 2) {
			action = WRITE;
			off = parse_num(argv[argi], "OFFSET");
			len = parse_bytes(argv[argi + 1], &bytes);
			if (ro) {
				fprintf(stderr, "kvmmem: write with --ro\n");
				exit(EXIT_USAGE);
			}
		} else if (!strcmp(a, "read-string") && argc - argi == 1) {
			action = READ_STRING;
			off = parse_num(argv[argi], "OFFSET");
			len = MAX_STRING;
		} else {
			print_usage();
		}
	}
	if (len > MAX_PAGES * PAGE_SZ || off > MAX_PAGES * PAGE_SZ) {
		fprintf(stderr, "kvmmem: at most %lu pages\n", MAX_PAGES);
		exit(EXIT_USAGE);
	}

	w.fd = rmap_kvmmem_open(NULL);
	if (w.fd < 0) {
		fprintf(stderr, "kvmmem: %s\n",
			rmap_strerror(RMAP_OP_KVMMEM_OPEN, w.fd));
		exit(EXIT_ERR);
	}
	rc = window_map(&w, &token, gpa + off, len, ro);
	rmap_token_wipe(&token);
	if (rc)
		goto out;
	p = w.base + ((gpa + off) & (PAGE_SZ - 1));

	switch (action) {
	case HEXDUMP:
		hexdump(p, gpa + off, len);
		break;
	case WATCH:
		for (i = 0; i < count; i++) {
			if (i)
				sleep_ms(interval);
			printf("%u\n", __atomic_load_n((unsigned int *)p,
						       __ATOMIC_RELAXED));
			fflush(stdout);
		}
		break;
	case WRITE:
		memcpy(p, bytes, len);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		printf("wrote %llu bytes at gpa 0x%llx\n", len, gpa + off);
		break;
	case READ_STRING:
		i = strnlen((char *)p, len);
		fwrite(p, 1, i, stdout);
		if (!i || p[i - 1] != '\n')
			putchar('\n');
		break;
	}
	fflush(stdout);
	window_unmap(&w);
out:
	close(w.fd);
	free(bytes);
	return rc;
}
