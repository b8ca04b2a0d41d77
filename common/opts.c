/* SPDX-License-Identifier: MIT */
/* The options-struct contract (common.h), libbpf's OPTS_VALID idiom. */
#include <errno.h>
#include <string.h>

#include "common/common.h"

int vgt_opts_check(const void *opts, size_t known_sz)
{
	size_t sz;

	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t))
		return -EINVAL;
	/* a newer caller's struct: what we do not know must be unset */
	for (const unsigned char *p = (const unsigned char *)opts + known_sz,
				 *end = (const unsigned char *)opts + sz;
	     p < end; p++)
		if (*p)
			return -E2BIG;
	return 0;
}

int vgt_opts_load(void *dst, size_t known_sz, const void *opts)
{
	size_t sz;
	int err = vgt_opts_check(opts, known_sz);

	if (err || !opts)
		return err;
	memcpy(&sz, opts, sizeof(sz));
	memcpy(dst, opts, sz < known_sz ? sz : known_sz);
	memcpy(dst, &known_sz, sizeof(known_sz));
	return 0;
}
