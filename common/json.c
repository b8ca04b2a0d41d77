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

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF), 0 when there is
 * none.  p[0] >= 0x80; the string's NUL ends any sequence.
 */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;              /* overlong */
	else if (c == 0xed)
		hi = 0x9f;              /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;              /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;              /* past U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * What stands for the text at p in a JSON string: *out[0..return), and
 * *adv, the bytes of p it stands for.  A byte that begins no well-formed
 * UTF-8 sequence is U+FFFD (one per byte), so that the output is always
 * valid JSON (and valid UTF-8).
 */
static size_t json_piece(const unsigned char *p, char esc[7], const char **out, size_t *adv)
{
	size_t n;

	*adv = 1;
	*out = esc;
	if (*p < 0x80) {
		n = json_escape_byte(*p, esc);
		if (!n) {
			*out = (const char *)p;
			n = 1;
		}
		return n;
	}
	n = utf8_len(p);
	if (!n) {
		memcpy(esc, "\\ufffd", 6);
		return 6;
	}
	*out = (const char *)p;
	*adv = n;
	return n;
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
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		char esc[7];
		const char *out;
		size_t adv, n = json_piece(p, esc, &out, &adv);

		fwrite(out, 1, n, f);
		p += adv;
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
		for (const unsigned char *p = (const unsigned char *)s; *p;) {
			char esc[7];
			const char *out;
			size_t adv, n = json_piece(p, esc, &out, &adv);

			PUT(out, n);
			p += adv;
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
