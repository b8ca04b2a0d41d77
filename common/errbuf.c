/* SPDX-License-Identifier: MIT */
/* The optional error buffer every part fills (common.h). */
#include <stdarg.h>
#include <stdio.h>

#include "common/common.h"

void vgt_errbuf_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
