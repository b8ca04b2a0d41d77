/* SPDX-License-Identifier: MIT */
/* JSON string and value writers (common.h). */
#include <errno.h>
#include <string.h>

#include "common/common.h"

/*
 * The escape for byte c into out[0..7), or 0 when c stands for itself.
 * Returns the escape's length.
 */
static size_t json_escape_byte(unsigned char c, char out[7])
{
	static const char hex[] = "0123456789abcdef";
	char short_form = 0;

	switch (c) {
	case '"':  short_form = '"'; break;
	case '\\': short_form = '\\'; break;
	case '\b': short_form = 'b'; break;
	case '\f': short_form = 'f'; break;
	case '\n': short_form = 'n'; break;
	case '\r': short_form = 'r'; break;
	case '\t': short_form = 't'; break;
	default:
		if (c >= 0x20 && c != 0x7f)
			return 0;
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
	out[0] = '\\';
	out[1] = short_form;
	return 2;
}

int vgt_json_str(FILE *f, const char *s)
{
	if (!f)
		return -EINVAL;
	if (!s) {
		fputs("null", f);
		return ferror(f) ? -EIO : 0;
	}
	putc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[7];
		size_t n = json_escape_byte(*p, esc);

		if (n)
			fwrite(esc, 1, n, f);
		else
			putc(*p, f);
	}
	putc('"', f);
	return ferror(f) ? -EIO : 0;
}

size_t vgt_json_escape(char *dst, size_t cap, const char *s)
{
	size_t need = 0;

	/* appends n bytes, keeping room for the NUL */
#define PUT(src, n)                                                  \
	do {                                                         \
		for (size_t i_ = 0; i_ < (n); i_++, need++)          \
			if (dst && need + 1 < cap)                   \
				dst[need] = (src)[i_];               \
	} while (0)
	if (!s) {
		PUT("null", 4);
	} else {
		PUT("\"", 1);
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			char esc[7];
			size_t n = json_escape_byte(*p, esc);

			if (n)
				PUT(esc, n);
			else
				PUT((const char *)p, 1);
		}
		PUT("\"", 1);
	}
#undef PUT
	if (dst && cap)
		dst[need < cap ? need : cap - 1] = '\0';
	return need;
}

int vgt_json_hex(FILE *f, uint64_t v)
{
	if (!f)
		return -EINVAL;
	fprintf(f, "\"0x%llx\"", (unsigned long long)v);
	return ferror(f) ? -EIO : 0;
}

int vgt_json_key(FILE *f, const char *key)
{
	int err = vgt_json_str(f, key ? key : "");

	if (err)
		return err;
	putc(':', f);
	return ferror(f) ? -EIO : 0;
}
