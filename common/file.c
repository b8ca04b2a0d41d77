/* SPDX-License-Identifier: MIT */
/* Whole-file reader with a size limit and errors that say what is wrong
 * (common.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

/* Reads until EOF or until more than max bytes arrived: 0, or -errno. */
static int read_all(int fd, size_t max, char **buf, size_t *cap, size_t *got)
{
	for (;;) {
		ssize_t n;

		if (*got == *cap) {
			size_t ncap;
			char *nb;

			if (*cap > max) /* one byte past the limit proves "too large" */
				return 0;
			ncap = *cap ? *cap * 2 : 65536;
			if (ncap > max + 1 || ncap < *cap)
				ncap = max + 1;
			nb = realloc(*buf, ncap + 1);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = ncap;
		}
		n = read(fd, *buf + *got, *cap - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*got += (size_t)n;
	}
}

int vgt_read_file(const char *path, size_t max, unsigned flags, void **data, size_t *len,
		  char *errbuf, size_t errbuf_len)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, got = 0;
	int fd, err;

	if (!path || !data || !len || max == SIZE_MAX)
		return -EINVAL;
	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -EISDIR) /* some systems refuse O_RDONLY on directories */
			goto isdir;
		vgt_errbuf_set(errbuf, errbuf_len, "%s: cannot open: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		vgt_errbuf_set(errbuf, errbuf_len, "%s: cannot stat: %s", path, strerror(-err));
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		goto isdir;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			close(fd);
			vgt_errbuf_set(errbuf, errbuf_len,
				       "%s: too large: %llu bytes, the limit is %zu", path,
				       (unsigned long long)st.st_size, max);
			return -EFBIG;
		}
		/* exactly the size stat promised, plus one byte to see growth */
		cap = (size_t)st.st_size + 1;
		buf = malloc(cap + 1);
		if (!buf) {
			close(fd);
			return -ENOMEM;
		}
	}
	err = read_all(fd, max, &buf, &cap, &got);
	close(fd);
	if (err == -ENOMEM) {
		free(buf);
		return err;
	}
	if (err) {
		free(buf);
		vgt_errbuf_set(errbuf, errbuf_len, "%s: read failed: %s", path, strerror(-err));
		return -EIO;
	}
	if (got > max) {
		free(buf);
		vgt_errbuf_set(errbuf, errbuf_len, "%s: too large: more than the %zu-byte limit",
			       path, max);
		return -EFBIG;
	}
	if (!got && !(flags & VGT_READ_ALLOW_EMPTY)) {
		free(buf);
		vgt_errbuf_set(errbuf, errbuf_len, "%s: empty file", path);
		return -ENODATA;
	}
	if (!buf) { /* an empty pipe, allowed */
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;

isdir:
	vgt_errbuf_set(errbuf, errbuf_len, "%s: is a directory, not a file", path);
	return -EISDIR;
}
