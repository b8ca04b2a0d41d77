/* SPDX-License-Identifier: MIT */
/*
 * Case files: one text file that reproduces one scan exactly (format in
 * docs/AUDIT.md, "Case files").  Line-oriented, '#' starts a comment:
 *
 *   vgt-scan-case 1
 *   gen 9
 *   engine rcs
 *   policy strict                       (optional)
 *   aperture BASE SIZE / hidden BASE SIZE / hwsp ENGINE GMA   (optional)
 *   batch ggtt|ppgtt GMA                (entry: a batch)  or
 *   ring START SIZE HEAD TAIL           (entry: a ring, GGTT)
 *   expect pass | expect REASON         (optional)
 *   mem ggtt|ppgtt GMA                  (a segment: dwords up to "end")
 *     0x11000001 0x229c 0x00010001
 *   end
 *   fill ggtt|ppgtt GMA BYTES DWORD     (a segment of one repeated dword)
 *
 * Bounded: at most 256 segments and 64 MiB of memory in total.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/audit_priv.h"

#define CASE_MAX_SEGS 256u
#define CASE_MAX_BYTES (64u << 20)
#define CASE_MAX_TOKENS 16

struct parser {
	const char *p, *end;
	unsigned line;
	char *err;
	size_t errlen;
	size_t total;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ps->err && ps->errlen) {
		n = ps->line ? snprintf(ps->err, ps->errlen, "line %u: ", ps->line) : 0;
		if (n < 0 || (size_t)n >= ps->errlen)
			return -EINVAL;
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Splits the next line into tokens (comments dropped).  Returns the token
 * count, or -1 at the end of the text. */
static int next_line(struct parser *ps, char *buf, size_t buflen, char **tok)
{
	if (ps->p >= ps->end)
		return -1;
	const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	size_t len = nl ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);

	ps->line++;
	if (len >= buflen) {
		ps->p = nl ? nl + 1 : ps->end;
		return -2;
	}
	memcpy(buf, ps->p, len);
	buf[len] = 0;
	ps->p = nl ? nl + 1 : ps->end;
	char *hash = strchr(buf, '#');
	if (hash)
		*hash = 0;
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == CASE_MAX_TOKENS)
			return CASE_MAX_TOKENS + 1;
		tok[n++] = t;
	}
	return n;
}

static int num(struct parser *ps, const char *s, uint64_t *out, const char *what)
{
	char *e;

	if (!s || !*s || *s == '-')
		return perr(ps, "%s: expected a number", what);
	errno = 0;
	*out = strtoull(s, &e, 0);
	if (errno || *e)
		return perr(ps, "%s: '%s' is not a number", what, s);
	return 0;
}

static int space(struct parser *ps, const char *s, enum scan_as *as)
{
	if (!strcmp(s, "ggtt"))
		*as = SCAN_AS_GGTT;
	else if (!strcmp(s, "ppgtt"))
		*as = SCAN_AS_PPGTT;
	else
		return perr(ps, "address space '%s': expected ggtt or ppgtt", s);
	return 0;
}

static int add_seg(struct parser *ps, struct scan_case *c, enum scan_as as, uint64_t gma,
		   void *data, size_t len)
{
	if (c->nsegs >= CASE_MAX_SEGS) {
		free(data);
		return perr(ps, "more than %u memory segments", CASE_MAX_SEGS);
	}
	if (!len) {
		free(data);
		return perr(ps, "empty memory segment at 0x%llx", (unsigned long long)gma);
	}
	if (gma + len < gma || (as == SCAN_AS_PPGTT ? gma + len > (1ull << 48)
						   : gma + len > (1ull << 32))) {
		free(data);
		return perr(ps, "segment at 0x%llx runs past the end of the %s",
			    (unsigned long long)gma, as == SCAN_AS_PPGTT ? "48-bit PPGTT" : "4 GiB GGTT");
	}
	c->segs[c->nsegs++] = (struct scan_memseg){ as, gma, data, len };
	return 0;
}

/* Data lines of a 'mem' segment: any number of dwords per line, parsed in
 * place (no copy, no line-length limit). */
static int parse_mem(struct parser *ps, struct scan_case *c, enum scan_as as, uint64_t gma)
{
	size_t cap = 1024, n = 0;
	uint32_t *dw = malloc(cap * 4);
	unsigned start = ps->line;

	if (!dw)
		return -ENOMEM;
	for (;;) {
		if (ps->p >= ps->end) {
			free(dw);
			ps->line = start;
			return perr(ps, "'mem' segment without 'end'");
		}
		const char *q = ps->p;
		const char *nl = memchr(q, '\n', (size_t)(ps->end - q));
		const char *le = nl ? nl : ps->end;
		const char *hash = memchr(q, '#', (size_t)(le - q));
		const char *de = hash ? hash : le;

		ps->line++;
		ps->p = nl ? nl + 1 : ps->end;
		while (q < de && isspace((unsigned char)*q))
			q++;
		if (de - q >= 3 && !memcmp(q, "end", 3)) {
			const char *r = q + 3;

			while (r < de && isspace((unsigned char)*r))
				r++;
			if (r == de)
				break;
		}
		while (q < de) {
			char tokbuf[32];
			size_t tl = 0;
			uint64_t v;

			while (q < de && isspace((unsigned char)*q))
				q++;
			if (q == de)
				break;
			while (q < de && !isspace((unsigned char)*q)) {
				if (tl + 1 < sizeof(tokbuf))
					tokbuf[tl] = *q;
				tl++;
				q++;
			}
			if (tl >= sizeof(tokbuf)) {
				free(dw);
				return perr(ps, "a dword token longer than %zu characters",
					    sizeof(tokbuf) - 1);
			}
			tokbuf[tl] = 0;
			int err = num(ps, tokbuf, &v, "dword");

			if (err || v > 0xffffffffu) {
				free(dw);
				return err ? err : perr(ps, "'%s' does not fit in a dword", tokbuf);
			}
			if (ps->total + 4 * (n + 1) > CASE_MAX_BYTES) {
				free(dw);
				return perr(ps, "more than %u bytes of memory", CASE_MAX_BYTES);
			}
			if (n == cap) {
				uint32_t *grown = realloc(dw, cap * 2 * 4);

				if (!grown) {
					free(dw);
					return -ENOMEM;
				}
				dw = grown;
				cap *= 2;
			}
			dw[n++] = (uint32_t)v;
		}
	}
	ps->total += n * 4;
	return add_seg(ps, c, as, gma, dw, n * 4);
}

/* ------------------------------------------------------ keyword lines */

/* What the keyword lines seen so far provided. */
struct case_seen {
	bool gen, engine, entry;
	bool hwsp[SCAN_NUM_ENGINES];
};

typedef int (*kw_fn)(struct parser *ps, struct scan_case *c, struct case_seen *seen,
		     char **tok);

static int kw_gen(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	uint64_t a;
	int rc = num(ps, tok[1], &a, "gen");

	if (!rc && a != 8 && a != 9)
		rc = perr(ps, "gen %llu: expected 8 or 9", (unsigned long long)a);
	c->gen = (enum scan_gen)a;
	seen->gen = true;
	return rc;
}

static int kw_engine(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	seen->engine = true;
	if (scan_engine_parse(tok[1], &c->engine))
		return perr(ps, "engine '%s': expected rcs, bcs, vcs or vecs", tok[1]);
	return 0;
}

static int kw_policy(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	c->has_policy = true;
	if (scan_policy_parse(tok[1], &c->policy))
		return perr(ps, "policy '%s': expected strict, gvt or audit", tok[1]);
	return 0;
}

/* aperture BASE SIZE / hidden BASE SIZE */
static int kw_window(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	const char *k = tok[0];
	struct scan_window *w = k[0] == 'a' ? &c->part.aperture : &c->part.hidden;
	int rc = num(ps, tok[1], &w->base, k);

	if (!rc)
		rc = num(ps, tok[2], &w->size, k);
	if (!rc && (w->base + w->size < w->base || w->base + w->size > (1ull << 32)))
		rc = perr(ps, "%s window runs past 4 GiB", k);
	return rc;
}

static int kw_hwsp(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	enum scan_engine e;

	if (scan_engine_parse(tok[1], &e))
		return perr(ps, "hwsp engine '%s' unknown", tok[1]);
	seen->hwsp[e] = true;
	return num(ps, tok[2], &c->part.hwsp[e], "hwsp");
}

/* batch ggtt|ppgtt GMA */
static int kw_batch(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	int rc = space(ps, tok[1], &c->batch_as);

	if (!rc)
		rc = num(ps, tok[2], &c->batch_gma, "batch address");
	c->is_ring = false;
	if (seen->entry && !rc)
		rc = perr(ps, "a second entry point");
	seen->entry = true;
	return rc;
}

/* ring START SIZE HEAD TAIL */
static int kw_ring(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	uint64_t a = 0, size = 0, h = 0, t = 0;
	int rc = num(ps, tok[1], &a, "ring start");

	if (!rc)
		rc = num(ps, tok[2], &size, "ring size");
	if (!rc)
		rc = num(ps, tok[3], &h, "ring head");
	if (!rc)
		rc = num(ps, tok[4], &t, "ring tail");
	if (!rc && (size > 0xffffffffu || h > 0xffffffffu || t > 0xffffffffu))
		rc = perr(ps, "ring size/head/tail must fit in 32 bits");
	c->is_ring = true;
	c->ring = (struct scan_ring){ a, (uint32_t)size, (uint32_t)h, (uint32_t)t };
	if (seen->entry && !rc)
		rc = perr(ps, "a second entry point");
	seen->entry = true;
	return rc;
}

/* expect pass | violation | REASON */
static int kw_expect(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	enum scan_reason r;

	c->has_expect = true;
	if (!strcmp(tok[1], "pass"))
		c->expect_pass = true;
	else if (!strcmp(tok[1], "violation"))
		c->expect_reason = SCAN_R_NONE;
	else if (!scan_reason_parse(tok[1], &r) && r != SCAN_R_NONE)
		c->expect_reason = (uint16_t)r;
	else
		return perr(ps, "expect '%s': expected pass, violation or a reason name", tok[1]);
	return 0;
}

/* mem ggtt|ppgtt GMA, then dword lines up to "end" */
static int kw_mem(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	enum scan_as as = SCAN_AS_GGTT;
	uint64_t a;
	int rc = space(ps, tok[1], &as);

	if (!rc)
		rc = num(ps, tok[2], &a, "mem address");
	if (!rc)
		rc = parse_mem(ps, c, as, a);
	return rc;
}

/* fill ggtt|ppgtt GMA BYTES DWORD */
static int kw_fill(struct parser *ps, struct scan_case *c, struct case_seen *seen, char **tok)
{
	enum scan_as as = SCAN_AS_GGTT;
	uint64_t a, bytes, v;
	int rc = space(ps, tok[1], &as);

	if (!rc)
		rc = num(ps, tok[2], &a, "fill address");
	if (!rc)
		rc = num(ps, tok[3], &bytes, "fill bytes");
	if (!rc)
		rc = num(ps, tok[4], &v, "fill dword");
	if (!rc && (bytes == 0 || (bytes & 3) || bytes > CASE_MAX_BYTES - ps->total))
		rc = perr(ps, "fill of %llu bytes: a multiple of 4, at most %u in total",
			  (unsigned long long)bytes, CASE_MAX_BYTES);
	if (!rc && v > 0xffffffffu)
		rc = perr(ps, "fill dword does not fit in 32 bits");
	if (rc)
		return rc;

	uint32_t *d = malloc(bytes);

	if (!d)
		return -ENOMEM;
	for (uint64_t i = 0; i < bytes / 4; i++)
		d[i] = (uint32_t)v;
	ps->total += bytes;
	return add_seg(ps, c, as, a, d, bytes);
}

/* Keyword lines: the keyword and its word count (keyword included). */
static const struct {
	const char *kw;
	int words;
	kw_fn fn;
} keywords[] = {
	{ "gen", 2, kw_gen },
	{ "engine", 2, kw_engine },
	{ "policy", 2, kw_policy },
	{ "aperture", 3, kw_window },
	{ "hidden", 3, kw_window },
	{ "hwsp", 3, kw_hwsp },
	{ "batch", 3, kw_batch },
	{ "ring", 5, kw_ring },
	{ "expect", 2, kw_expect },
	{ "mem", 3, kw_mem },
	{ "fill", 5, kw_fill },
};

/* What a case needs once every line is read; status pages not given are
 * the first pages of the aperture window. */
static int finish_case(struct parser *ps, struct scan_case *c, const struct case_seen *seen)
{
	struct scan_segmem *m;

	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
		if (!seen->hwsp[e])
			c->part.hwsp[e] = c->part.aperture.base + 0x1000ull * e;
	if (!seen->gen)
		return perr(ps, "no 'gen' line");
	if (!seen->engine)
		return perr(ps, "no 'engine' line");
	if (!seen->entry)
		return perr(ps, "no entry point ('batch' or 'ring' line)");
	if (scan_segmem_new(c->segs, c->nsegs, &m))
		return perr(ps, "memory segments overlap");
	scan_segmem_free(m);
	return 0;
}

int scan_case_parse(const char *text, size_t len, struct scan_case *c, char *err, size_t errlen)
{
	struct parser ps = { text, text + len, 0, err, errlen, 0 };
	struct case_seen seen = { 0 };
	char line[1024];
	char *tok[CASE_MAX_TOKENS + 1];
	bool have_magic = false;
	int rc = 0, nt;

	memset(c, 0, sizeof(*c));
	if (err && errlen)
		err[0] = 0;
	scan_partition_default(&c->part);
	c->segs = calloc(CASE_MAX_SEGS, sizeof(*c->segs));
	if (!c->segs)
		return -ENOMEM;
	while (!rc && (nt = next_line(&ps, line, sizeof(line), tok)) != -1) {
		if (nt == -2) {
			rc = perr(&ps, "line longer than %zu characters", sizeof(line) - 1);
			break;
		}
		if (nt == 0)
			continue;
		if (nt > CASE_MAX_TOKENS) {
			rc = perr(&ps, "too many words");
			break;
		}
		if (!have_magic) {
			if (strcmp(tok[0], "vgt-scan-case") || nt != 2 || strcmp(tok[1], "1"))
				rc = perr(&ps, "expected 'vgt-scan-case 1' first");
			have_magic = true;
			continue;
		}
		unsigned k = 0, nk = sizeof(keywords) / sizeof(keywords[0]);

		while (k < nk && (strcmp(tok[0], keywords[k].kw) || nt != keywords[k].words))
			k++;
		rc = k < nk ? keywords[k].fn(&ps, c, &seen, tok)
			    : perr(&ps, "unknown or malformed line starting with '%s'", tok[0]);
	}
	if (!rc && !have_magic)
		rc = perr(&ps, "empty case file");
	if (!rc)
		rc = finish_case(&ps, c, &seen);
	if (rc)
		scan_case_free(c);
	return rc;
}

void scan_case_free(struct scan_case *c)
{
	if (!c)
		return;
	for (unsigned i = 0; c->segs && i < c->nsegs; i++)
		free((void *)c->segs[i].data);
	free(c->segs);
	c->segs = NULL;
	c->nsegs = 0;
}

bool scan_case_detect(const void *data, size_t len)
{
	const char *p = data, *end = p + len;

	/* skip blank and comment lines */
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p < end && *p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	return (size_t)(end - p) >= 13 && !memcmp(p, "vgt-scan-case", 13);
}

void scan_case_config(const struct scan_case *c, struct scan_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sz = sizeof(*cfg);
	cfg->gen = c->gen;
	cfg->policy = c->has_policy ? c->policy : SCAN_POLICY_STRICT;
	cfg->part = c->part;
}

int scan_case_scan(struct scan_ctx *s, const struct scan_case *c, enum scan_engine eng,
		   const struct scan_mem *mem, const struct scan_result **out)
{
	if (!c)
		return -EINVAL;
	return c->is_ring ? scan_ring(s, eng, mem, &c->ring, out)
			  : scan_batch(s, eng, mem, c->batch_gma, c->batch_as, out);
}

int scan_case_check(const struct scan_case *c, const struct scan_result *r, char *why,
		    size_t whylen)
{
	bool clean, met;

	if (!c || !r)
		return -EINVAL;
	if (!c->has_expect)
		return -ENOENT;
	clean = r->nviolations == 0 && !r->violations_truncated;
	if (c->expect_pass)
		met = clean;
	else
		met = !clean && (c->expect_reason == SCAN_R_NONE ||
				 r->first_reason == c->expect_reason);
	if (!met && why && whylen)
		snprintf(why, whylen, "expected %s, got %s",
			 c->expect_pass ? "pass"
			 : c->expect_reason ? scan_reason_name((enum scan_reason)c->expect_reason)
					    : "a violation",
			 clean ? "pass" : scan_reason_name((enum scan_reason)r->first_reason));
	return met;
}
