/* SPDX-License-Identifier: MIT */
/*
 * What every vgt subcommand shares: number parsing, the usage-error line,
 * reading an input file and checking it holds a command stream, and the
 * --gma check.  One implementation, so `vgt decode` and `vgt scan` say the
 * same thing about the same bad input.  Each failure prints one line naming
 * the input and what is wrong, then returns a negative errno (the caller
 * exits with VGT_EXIT_USAGE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/common.h"
#include "tracer/tracer.h"

int cli_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vgt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'vgt %s --help'\n", cmd);
	return VGT_EXIT_USAGE;
}

int cli_read_file(const char *cmd, const char *path, const char *what, size_t max,
		  void **data, size_t *len)
{
	char err[512];
	int rc = vgt_read_file(path, max, VGT_READ_ALLOW_EMPTY, data, len, err, sizeof(err));

	if (rc == -EISDIR)
		fprintf(stderr, "vgt %s: %s: is a directory, not %s\n", cmd, path, what);
	else if (rc)
		fprintf(stderr, "vgt %s: %s\n", cmd, err);
	return rc;
}

int cli_check_dwords(const char *cmd, const char *path, size_t len, const char *verb)
{
	if (len == 0) {
		fprintf(stderr, "vgt %s: %s: empty, no dwords to %s\n", cmd, path, verb);
		return -EINVAL;
	}
	if (len % 4) {
		fprintf(stderr, "vgt %s: %s: %zu bytes is not a multiple of 4 "
			"(a command stream is whole dwords)\n", cmd, path, len);
		return -EINVAL;
	}
	return 0;
}

int cli_check_gma(const char *cmd, const char *path, uint64_t gma, size_t len, uint64_t limit,
		  const char *space)
{
	if (gma & 3) {
		fprintf(stderr, "vgt %s: %s: --gma 0x%llx is not dword aligned (a command stream "
			"starts on a 4-byte boundary)\n", cmd, path, (unsigned long long)gma);
		return -EINVAL;
	}
	if (gma >= limit || len > limit - gma) {
		fprintf(stderr, "vgt %s: %s: its %zu bytes at --gma 0x%llx run past the end of the "
			"%s (0x%llx)\n", cmd, path, len, (unsigned long long)gma, space,
			(unsigned long long)limit);
		return -EINVAL;
	}
	return 0;
}

int cli_open_log(const char *cmd, const char *path, bool no_blobs, struct tr_reader **out)
{
	struct tr_reader_opts o = { .sz = sizeof(o), .no_blobs = no_blobs };
	char err[512] = "";
	struct stat st;
	int rc;

	*out = NULL;
	if (stat(path, &st)) {
		rc = -errno;
		fprintf(stderr, "vgt %s: %s: cannot open: %s\n", cmd, path, strerror(-rc));
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vgt %s: %s: is a directory, not a vgt log\n", cmd, path);
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		fprintf(stderr, "vgt %s: %s: empty file, not a vgt log\n", cmd, path);
		return -EPROTO;
	}
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	rc = tr_reader_open(path, &o, out);
	if (!rc)
		return 0;
	*out = NULL;
	if (err[0] && strstr(err, path)) { /* the reader's own words, naming the file */
		fprintf(stderr, "vgt %s: %s\n", cmd, err);
		return rc;
	}
	if (rc == -EPROTO)
		fprintf(stderr, "vgt %s: %s: not a vgt log", cmd, path);
	else if (rc == -EPROTONOSUPPORT)
		fprintf(stderr, "vgt %s: %s: a vgt log of a format version this vgt does not read "
			"(it reads version %d)", cmd, path, TR_LOG_VERSION);
	else
		fprintf(stderr, "vgt %s: %s: cannot read: %s", cmd, path, strerror(-rc));
	fprintf(stderr, "%s%s\n", err[0] ? ": " : "", err);
	return rc;
}

bool cli_write_failed(const char *cmd, FILE *f, const char *what)
{
	if (!ferror(f) && !fflush(f) && !ferror(f))
		return false;
	if (errno != EPIPE)
		fprintf(stderr, "vgt %s: writing %s: %s\n", cmd, what, strerror(errno));
	return true;
}

char *cli_join_cmdline(int argc, char **argv)
{
	size_t n = 4;
	for (int i = 0; i < argc; i++)
		n += 4 * strlen(argv[i]) + 3;
	char *s = malloc(n), *p = s;
	if (!s)
		return NULL;
	p += sprintf(p, "vgt");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = *a != 0;
		for (const char *c = a; *c && plain; c++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789-_./,:=+@%", *c) != NULL;
		*p++ = ' ';
		if (plain) {
			p = stpcpy(p, a);
			continue;
		}
		*p++ = '\'';
		for (const char *c = a; *c; c++) {
			if (*c == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *c;
		}
		*p++ = '\'';
	}
	*p = 0;
	return s;
}
