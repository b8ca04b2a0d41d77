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
	struct stat st;
	char *buf = NULL;
	size_t cap, got = 0;
	int fd = open(path, O_RDONLY), err;

	*data = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		fprintf(stderr, "vgt %s: %s: %s\n", cmd, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vgt %s: %s: is a directory, not %s\n", cmd, path, what);
		close(fd);
		return -EISDIR;
	}
	/* A regular file is read to the size stat promised (plus one byte to
	 * notice growth); a pipe grows its buffer as it goes; max + 1 bytes
	 * are never exceeded. */
	cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : 65536;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap);
	if (!buf) {
		fprintf(stderr, "vgt %s: %s: out of memory for %zu bytes\n", cmd, path, cap);
		err = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (got == cap) {
			size_t ncap = cap * 2 < max + 1 ? cap * 2 : max + 1;
			char *q;

			if (ncap == cap)
				break;
			q = realloc(buf, ncap);
			if (!q) {
				fprintf(stderr, "vgt %s: %s: out of memory for %zu bytes\n", cmd, path,
					ncap);
				err = -ENOMEM;
				goto fail;
			}
			buf = q;
			cap = ncap;
		}
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			fprintf(stderr, "vgt %s: %s: %s\n", cmd, path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		fprintf(stderr, "vgt %s: %s: larger than %zu bytes\n", cmd, path, max);
		err = -EFBIG;
		goto fail;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return err;
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
