/* SPDX-License-Identifier: MIT */
/*
 * A small, strict, bounded JSON reader (RFC 8259, no extensions).
 *
 * One pass over the input with an explicit stack of open containers (no
 * recursion, so hostile nesting costs one stack slot per level up to the
 * cap and then an error).  Values live in one node array; strings, once
 * unescaped, in one character buffer; the members of every array and object
 * in one member array, each container owning a contiguous run of it that is
 * copied out of a scratch stack when the container closes.  Object lookups
 * use a per-object index sorted by key, which also finds duplicate keys in
 * O(n log n).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "corpus/corpus.h"

#define JSON_MAX_NUMBER_LEN 256

enum int_kind {
	IK_NONE = 0, /* fraction or exponent: no exact integer */
	IK_U64,      /* non-negative integer literal, value in u */
	IK_I64,      /* negative integer literal, value in i */
	IK_RANGE,    /* integer literal that fits neither */
};

struct corpus_json_value {
	const struct corpus_json *doc;
	uint8_t type;  /* enum corpus_json_type */
	uint8_t ikind; /* enum int_kind, numbers only */
	size_t n;      /* string length, or member count */
	size_t first;  /* string: offset in doc->str; container: first member */
	double d;
	uint64_t u;
	int64_t i;
};

struct member {
	size_t node;   /* value */
	size_t key;    /* offset of the key in doc->str (objects) */
	size_t keylen;
};

struct corpus_json {
	struct corpus_json_value *nodes;
	size_t nnodes, capnodes;
	char *str;
	size_t nstr, capstr;
	struct member *mem;  /* members of closed containers */
	size_t nmem, capmem;
	size_t *order;       /* parallel to mem: objects' positions sorted by key */
	size_t caporder;
	size_t root;
};

/* An open container during parsing. */
struct frame {
	size_t node;
	size_t scratch_base; /* where its members start on the scratch stack */
	size_t key, keylen;  /* pending key of an object member */
};

struct parser {
	const char *s;
	size_t len, pos;
	unsigned max_depth;
	struct corpus_json *doc;
	struct member *scratch;
	size_t nscratch, capscratch;
	struct frame *stack;
	size_t depth, capstack;
	char *err;
	size_t errlen;
};

/* ------------------------------------------------------------- helpers */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int fail(struct parser *p, int code, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int code, size_t at, const char *fmt, ...)
{
	unsigned line = 1, col = 1;
	char msg[160];
	va_list ap;

	if (!p->err || !p->errlen)
		return code;
	for (size_t k = 0; k < at && k < p->len; k++) {
		if (p->s[k] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "byte %zu (line %u, column %u): %s", at, line, col, msg);
	return code;
}

static int oom(struct parser *p)
{
	return fail(p, -ENOMEM, p->pos, "out of memory");
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Describes the byte at pos for an error message. */
static const char *what_is_at(struct parser *p, char *buf, size_t n)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "end of input";
	c = (unsigned char)p->s[p->pos];
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

static int new_node(struct parser *p, uint8_t type, size_t *idx)
{
	struct corpus_json *d = p->doc;
	struct corpus_json_value *v;

	if (grow((void **)&d->nodes, &d->capnodes, d->nnodes + 1, sizeof(*d->nodes)))
		return oom(p);
	v = &d->nodes[d->nnodes];
	memset(v, 0, sizeof(*v));
	v->doc = d;
	v->type = type;
	*idx = d->nnodes++;
	return 0;
}

static int put_bytes(struct parser *p, const char *b, size_t n)
{
	struct corpus_json *d = p->doc;

	if (grow((void **)&d->str, &d->capstr, d->nstr + n, 1))
		return oom(p);
	memcpy(d->str + d->nstr, b, n);
	d->nstr += n;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f; /* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < need; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return need;
}

static void utf8_put(unsigned cp, char *b, size_t *n)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		*n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		*n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		*n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		*n = 4;
	}
}

/* ------------------------------------------------------------- scalars */

/* Parses the string at pos (which is '"') into doc->str; returns its offset
 * and length (a NUL follows it in the buffer). */
static int parse_string(struct parser *p, size_t *off, size_t *slen)
{
	size_t start = p->pos;
	size_t base = p->doc->nstr;
	int r;

	p->pos++; /* opening quote */
	for (;;) {
		size_t run = p->pos;
		unsigned char c;

		/* Copy a run of plain ASCII in one go. */
		while (p->pos < p->len) {
			c = (unsigned char)p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > run && (r = put_bytes(p, p->s + run, p->pos - run)))
			return r;
		if (p->pos >= p->len)
			return fail(p, -EINVAL, p->pos,
				    "end of input inside the string that starts at byte %zu", start);
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, -EINVAL, p->pos,
				    "raw control character 0x%02x inside a string (must be escaped)", c);
		if (c >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);

			if (!k)
				return fail(p, -EINVAL, p->pos, "invalid UTF-8 inside a string");
			if ((r = put_bytes(p, p->s + p->pos, k)))
				return r;
			p->pos += k;
			continue;
		}
		/* backslash */
		if (p->pos + 1 >= p->len)
			return fail(p, -EINVAL, p->pos, "end of input inside an escape");
		{
			char e = p->s[p->pos + 1];
			char out[4];
			size_t n = 1;

			switch (e) {
			case '"': out[0] = '"'; break;
			case '\\': out[0] = '\\'; break;
			case '/': out[0] = '/'; break;
			case 'b': out[0] = '\b'; break;
			case 'f': out[0] = '\f'; break;
			case 'n': out[0] = '\n'; break;
			case 'r': out[0] = '\r'; break;
			case 't': out[0] = '\t'; break;
			case 'u': {
				unsigned cp, lo;

				if (p->len - p->pos < 6 || hex4(p->s + p->pos + 2, &cp))
					return fail(p, -EINVAL, p->pos,
						    "\\u must be followed by four hex digits");
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(p, -EINVAL, p->pos,
						    "lone low surrogate \\u%04x", cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->len - p->pos < 12 || p->s[p->pos + 6] != '\\' ||
					    p->s[p->pos + 7] != 'u' ||
					    hex4(p->s + p->pos + 8, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return fail(p, -EINVAL, p->pos,
							    "high surrogate \\u%04x not followed by a low surrogate",
							    cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p->pos += 6;
				}
				utf8_put(cp, out, &n);
				p->pos += 4;
				break;
			}
			default:
				return fail(p, -EINVAL, p->pos, "invalid escape '\\%c'",
					    (e >= 0x21 && e < 0x7f) ? e : '?');
			}
			if ((r = put_bytes(p, out, n)))
				return r;
			p->pos += 2;
		}
	}
	*off = base;
	*slen = p->doc->nstr - base;
	return put_bytes(p, "", 1);
}

static int parse_number(struct parser *p, size_t *idx)
{
	size_t start = p->pos, n;
	bool neg = false, integer = true;
	char buf[JSON_MAX_NUMBER_LEN + 1];
	struct corpus_json_value *v;
	int r;

	if (p->s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, -EINVAL, p->pos, "a number needs a digit here");
	if (p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			return fail(p, -EINVAL, p->pos, "leading zeros are not allowed in numbers");
	} else {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integer = false;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, -EINVAL, p->pos, "a digit must follow the decimal point");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integer = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, -EINVAL, p->pos, "a digit must follow the exponent");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	if (n > JSON_MAX_NUMBER_LEN)
		return fail(p, -E2BIG, start, "number longer than %d characters",
			    JSON_MAX_NUMBER_LEN);
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';

	if ((r = new_node(p, CORPUS_JSON_NUMBER, idx)))
		return r;
	v = &p->doc->nodes[*idx];
	errno = 0;
	v->d = strtod(buf, NULL);
	if (isinf(v->d))
		return fail(p, -ERANGE, start, "number %s is out of range", buf);
	if (integer) {
		uint64_t mag = 0;
		bool over = false;

		for (size_t k = neg ? 1 : 0; k < n; k++) {
			unsigned dig = (unsigned)(buf[k] - '0');

			if (mag > (UINT64_MAX - dig) / 10)
				over = true;
			else
				mag = mag * 10 + dig;
		}
		if (over) {
			v->ikind = IK_RANGE;
		} else if (!neg) {
			v->ikind = IK_U64;
			v->u = mag;
		} else if (mag <= (uint64_t)INT64_MAX + 1) {
			v->ikind = IK_I64;
			v->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		} else {
			v->ikind = IK_RANGE;
		}
	}
	return 0;
}

static int parse_literal(struct parser *p, size_t *idx)
{
	static const struct {
		const char *text;
		uint8_t type;
	} lits[] = {
		{ "true", CORPUS_JSON_TRUE },
		{ "false", CORPUS_JSON_FALSE },
		{ "null", CORPUS_JSON_NULL },
	};

	for (size_t k = 0; k < sizeof(lits) / sizeof(lits[0]); k++) {
		size_t n = strlen(lits[k].text);

		if (p->s[p->pos] != lits[k].text[0])
			continue;
		if (p->len - p->pos < n || memcmp(p->s + p->pos, lits[k].text, n))
			return fail(p, -EINVAL, p->pos, "invalid literal (expected '%s')",
				    lits[k].text);
		p->pos += n;
		return new_node(p, lits[k].type, idx);
	}
	return fail(p, -EINVAL, p->pos, "invalid literal");
}

/* ---------------------------------------------------------- containers */

struct sort_ctx {
	const struct corpus_json *doc;
	size_t first;
};

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static int order_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct member *ma = &sc->doc->mem[sc->first + *(const size_t *)pa];
	const struct member *mb = &sc->doc->mem[sc->first + *(const size_t *)pb];
	int c = key_cmp(sc->doc->str + ma->key, ma->keylen, sc->doc->str + mb->key, mb->keylen);

	if (c)
		return c;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static int push_frame(struct parser *p, uint8_t type)
{
	struct frame *f;
	size_t idx;
	int r;

	if (p->depth >= p->max_depth)
		return fail(p, -E2BIG, p->pos, "nesting deeper than %u levels", p->max_depth);
	if ((r = new_node(p, type, &idx)))
		return r;
	if (grow((void **)&p->stack, &p->capstack, p->depth + 1, sizeof(*p->stack)))
		return oom(p);
	f = &p->stack[p->depth++];
	f->node = idx;
	f->scratch_base = p->nscratch;
	f->key = f->keylen = 0;
	p->pos++; /* '[' or '{' */
	return 0;
}

/* Closes the top container: its members move from the scratch stack into
 * the document; objects get their sorted index.  *idx = the container. */
static int pop_frame(struct parser *p, size_t *idx)
{
	struct frame *f = &p->stack[p->depth - 1];
	struct corpus_json *d = p->doc;
	size_t n = p->nscratch - f->scratch_base;
	struct corpus_json_value *v = &d->nodes[f->node];
	size_t at = p->pos;

	if (grow((void **)&d->mem, &d->capmem, d->nmem + n, sizeof(*d->mem)) ||
	    grow((void **)&d->order, &d->caporder, d->nmem + n, sizeof(*d->order)))
		return oom(p);
	if (n)
		memcpy(d->mem + d->nmem, p->scratch + f->scratch_base, n * sizeof(*d->mem));
	v->first = d->nmem;
	v->n = n;
	if (v->type == CORPUS_JSON_OBJECT && n) {
		struct sort_ctx sc = { d, d->nmem };
		size_t *ord = d->order + d->nmem;

		for (size_t k = 0; k < n; k++)
			ord[k] = k;
		qsort_r(ord, n, sizeof(*ord), order_cmp, &sc);
		for (size_t k = 1; k < n; k++) {
			const struct member *a = &d->mem[d->nmem + ord[k - 1]];
			const struct member *b = &d->mem[d->nmem + ord[k]];

			if (!key_cmp(d->str + a->key, a->keylen, d->str + b->key, b->keylen))
				return fail(p, -EINVAL, at,
					    "duplicate key \"%.60s\" in the object that ends here",
					    d->str + b->key);
		}
	}
	d->nmem += n;
	p->nscratch = f->scratch_base;
	p->depth--;
	p->pos++; /* ']' or '}' */
	*idx = f->node;
	return 0;
}

/* Reads `"key" :` at pos into the top frame. */
static int parse_key(struct parser *p)
{
	struct frame *f = &p->stack[p->depth - 1];
	char what[24];
	int r;

	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '"')
		return fail(p, -EINVAL, p->pos, "expected a string key, found %s",
			    what_is_at(p, what, sizeof(what)));
	if ((r = parse_string(p, &f->key, &f->keylen)))
		return r;
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return fail(p, -EINVAL, p->pos, "expected ':' after the key, found %s",
			    what_is_at(p, what, sizeof(what)));
	p->pos++;
	return 0;
}

/* --------------------------------------------------------------- parse */

static int parse(struct parser *p)
{
	char what[24];
	size_t idx;
	int r;

	for (;;) {
		/* A value starts here. */
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, -EINVAL, p->pos, "expected a value, found end of input");
		switch (p->s[p->pos]) {
		case '{':
			if ((r = push_frame(p, CORPUS_JSON_OBJECT)))
				return r;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == '}') {
				if ((r = pop_frame(p, &idx)))
					return r;
				break;
			}
			if ((r = parse_key(p)))
				return r;
			continue;
		case '[':
			if ((r = push_frame(p, CORPUS_JSON_ARRAY)))
				return r;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ']') {
				if ((r = pop_frame(p, &idx)))
					return r;
				break;
			}
			continue;
		case '"': {
			size_t off, n;

			if ((r = parse_string(p, &off, &n)))
				return r;
			if ((r = new_node(p, CORPUS_JSON_STRING, &idx)))
				return r;
			p->doc->nodes[idx].first = off;
			p->doc->nodes[idx].n = n;
			break;
		}
		case '-': case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if ((r = parse_number(p, &idx)))
				return r;
			break;
		case 't': case 'f': case 'n':
			if ((r = parse_literal(p, &idx)))
				return r;
			break;
		default:
			return fail(p, -EINVAL, p->pos, "expected a value, found %s",
				    what_is_at(p, what, sizeof(what)));
		}

		/* A value `idx` is complete: hand it to its container. */
		for (;;) {
			struct frame *f;
			char close;

			if (!p->depth) {
				p->doc->root = idx;
				skip_ws(p);
				if (p->pos < p->len)
					return fail(p, -EINVAL, p->pos,
						    "unexpected %s after the top-level value",
						    what_is_at(p, what, sizeof(what)));
				return 0;
			}
			f = &p->stack[p->depth - 1];
			if (grow((void **)&p->scratch, &p->capscratch, p->nscratch + 1,
				 sizeof(*p->scratch)))
				return oom(p);
			p->scratch[p->nscratch].node = idx;
			p->scratch[p->nscratch].key = f->key;
			p->scratch[p->nscratch].keylen = f->keylen;
			p->nscratch++;

			close = p->doc->nodes[f->node].type == CORPUS_JSON_OBJECT ? '}' : ']';
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				if (close == '}' && (r = parse_key(p)))
					return r;
				break; /* next value */
			}
			if (p->pos < p->len && p->s[p->pos] == close) {
				if ((r = pop_frame(p, &idx)))
					return r;
				continue; /* the container is itself a complete value */
			}
			return fail(p, -EINVAL, p->pos, "expected ',' or '%c', found %s", close,
				    what_is_at(p, what, sizeof(what)));
		}
	}
}

int corpus_json_parse(const char *text, size_t len, const struct corpus_json_opts *opts,
		      struct corpus_json **out, char *err, size_t errlen)
{
	struct parser p;
	size_t max_bytes = CORPUS_JSON_DEFAULT_BYTES;
	int r;

	memset(&p, 0, sizeof(p));
	p.max_depth = CORPUS_JSON_DEFAULT_DEPTH;
	p.err = err;
	p.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!out || (!text && len))
		return -EINVAL;
	*out = NULL;
	if (opts) {
		int oerr = VGT_OPTS_CHECK(opts);

		if (oerr)
			return oerr;
		if (opts->sz >= offsetof(struct corpus_json_opts, max_depth) + sizeof(unsigned) &&
		    opts->max_depth)
			p.max_depth = opts->max_depth;
		if (opts->sz >= offsetof(struct corpus_json_opts, max_bytes) + sizeof(size_t) &&
		    opts->max_bytes)
			max_bytes = opts->max_bytes;
	}
	p.s = text ? text : "";
	p.len = len;
	if (len > max_bytes)
		return fail(&p, -E2BIG, 0, "input of %zu bytes exceeds the %zu-byte limit",
			    len, max_bytes);
	p.doc = calloc(1, sizeof(*p.doc));
	if (!p.doc)
		return -ENOMEM;
	r = parse(&p);
	free(p.scratch);
	free(p.stack);
	if (r) {
		corpus_json_free(p.doc);
		return r;
	}
	*out = p.doc;
	return 0;
}

void corpus_json_free(struct corpus_json *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	free(doc->str);
	free(doc->mem);
	free(doc->order);
	free(doc);
}

/* ------------------------------------------------------------ accessors */

const struct corpus_json_value *corpus_json_root(const struct corpus_json *doc)
{
	return doc && doc->nnodes ? &doc->nodes[doc->root] : NULL;
}

enum corpus_json_type corpus_json_type(const struct corpus_json_value *v)
{
	return v ? (enum corpus_json_type)v->type : CORPUS_JSON_NULL;
}

size_t corpus_json_count(const struct corpus_json_value *v)
{
	if (!v || (v->type != CORPUS_JSON_ARRAY && v->type != CORPUS_JSON_OBJECT))
		return 0;
	return v->n;
}

const struct corpus_json_value *corpus_json_at(const struct corpus_json_value *v, size_t i)
{
	if (!v || v->type != CORPUS_JSON_ARRAY || i >= v->n)
		return NULL;
	return &v->doc->nodes[v->doc->mem[v->first + i].node];
}

const struct corpus_json_value *corpus_json_member(const struct corpus_json_value *v, size_t i,
						   const char **key, size_t *keylen)
{
	const struct member *m;

	if (!v || v->type != CORPUS_JSON_OBJECT || i >= v->n)
		return NULL;
	m = &v->doc->mem[v->first + i];
	if (key)
		*key = v->doc->str + m->key;
	if (keylen)
		*keylen = m->keylen;
	return &v->doc->nodes[m->node];
}

const struct corpus_json_value *corpus_json_get(const struct corpus_json_value *v,
						const char *key)
{
	const struct corpus_json *d;
	size_t lo = 0, hi, klen;

	if (!v || !key || v->type != CORPUS_JSON_OBJECT)
		return NULL;
	d = v->doc;
	hi = v->n;
	klen = strlen(key);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct member *m = &d->mem[v->first + d->order[v->first + mid]];
		int c = key_cmp(d->str + m->key, m->keylen, key, klen);

		if (!c)
			return &d->nodes[m->node];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *corpus_json_string(const struct corpus_json_value *v, size_t *len)
{
	if (!v || v->type != CORPUS_JSON_STRING)
		return NULL;
	if (len)
		*len = v->n;
	return v->doc->str + v->first;
}

int corpus_json_double(const struct corpus_json_value *v, double *out)
{
	if (!v || v->type != CORPUS_JSON_NUMBER)
		return -EINVAL;
	*out = v->d;
	return 0;
}

int corpus_json_u64(const struct corpus_json_value *v, uint64_t *out)
{
	if (!v || v->type != CORPUS_JSON_NUMBER || v->ikind == IK_NONE)
		return -EINVAL;
	if (v->ikind == IK_U64) {
		*out = v->u;
		return 0;
	}
	if (v->ikind == IK_I64 && v->i == 0) { /* "-0" */
		*out = 0;
		return 0;
	}
	return -ERANGE;
}

int corpus_json_i64(const struct corpus_json_value *v, int64_t *out)
{
	if (!v || v->type != CORPUS_JSON_NUMBER || v->ikind == IK_NONE)
		return -EINVAL;
	if (v->ikind == IK_I64) {
		*out = v->i;
		return 0;
	}
	if (v->ikind == IK_U64 && v->u <= (uint64_t)INT64_MAX) {
		*out = (int64_t)v->u;
		return 0;
	}
	return -ERANGE;
}

int corpus_json_bool(const struct corpus_json_value *v, bool *out)
{
	if (!v || (v->type != CORPUS_JSON_TRUE && v->type != CORPUS_JSON_FALSE))
		return -EINVAL;
	*out = v->type == CORPUS_JSON_TRUE;
	return 0;
}
