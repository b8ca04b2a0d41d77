/* SPDX-License-Identifier: MIT */
/*
 * The tracefs uprobe_events lines for vgt's probes (tr_probes_uprobe_events,
 * tracer.h): what the tracefs source writes and what `vgt probes
 * --uprobe-events` prints for an operator.  The fields and their names are
 * tracer/capture_int.h's; where each argument is comes from the note, never
 * from this file.
 *
 *   p:GROUP/event PATH:0xSITE(0xSEMAPHORE) type=... vgpu=... seq=...
 *     ev=+0(EV):x64[20] text=+0(TEXT):ustring nblobs=...
 *   p:GROUP/blob PATH:0xSITE(0xSEMAPHORE) seq=... index=...
 *     desc=+0(DESC):x64[3] offset=... len=... data0=+0(DATA):x64[64]
 *     data1=+512(DATA):x64[64] data2=+1024(..) data3=+1536(..)
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tracer/capture_int.h"
#include "tracer/usdt_notes.h"

/* One field of a probe's event: a value (its note argument's width must
 * be `size`), or the memory a pointer argument points at. */
struct field {
	const char *name;
	int arg;            /* 1-based, as in docs/PROBES.md */
	unsigned size;      /* value: bytes the argument must have; 0: a pointer */
	int64_t disp;       /* pointer: offset of the field in the pointed-at memory */
	const char *type;   /* pointer: the tracefs type fetched there */
};

struct probe_def {
	const char *name;   /* the probe and the event's base name */
	int nargs;
	struct field fields[10];
};

static const struct probe_def defs[] = {
	{ TRA_EV_EVENT, 6, {
		{ "type", 2, 4, 0, NULL },
		{ "vgpu", 3, 4, 0, NULL },
		{ "seq", 4, 8, 0, NULL },
		{ "ev", 1, 0, 0, "x64[20]" },
		{ "text", 5, 0, 0, "ustring" },
		{ "nblobs", 6, 4, 0, NULL },
	} },
	{ TRA_EV_BLOB, 6, {
		{ "seq", 1, 8, 0, NULL },
		{ "index", 2, 4, 0, NULL },
		{ "desc", 3, 0, 0, "x64[3]" },
		{ "offset", 5, 4, 0, NULL },
		{ "len", 6, 4, 0, NULL },
		{ "data0", 4, 0, 0, "x64[64]" },
		{ "data1", 4, 0, 512, "x64[64]" },
		{ "data2", 4, 0, 1024, "x64[64]" },
		{ "data3", 4, 0, 1536, "x64[64]" },
	} },
};
_Static_assert(TRA_EVENT_WORDS == 20 && TRA_DESC_WORDS == 3 && TRA_DATA_WORDS == 64 &&
		       TRA_DATA_FIELDS * TRA_DATA_WORDS * 8 == TRA_PIECE,
	       "the fields above spell capture_int.h's sizes");

/* tracefs's rule for group and event names (a C identifier), and its
 * length limit (MAX_EVENT_NAME_LEN 64, with the terminator). */
static int good_name(const char *s)
{
	if (!*s || strlen(s) > 63 || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	if (b->err)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int w = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->p && (size_t)w < b->cap - b->len) {
			b->len += (size_t)w;
			return;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 1024) + (size_t)w;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np, b->cap = ncap;
	}
}

/* One site's line into b. */
static int site_line(struct sbuf *b, const char *path, const char *group, const char *event,
		     const struct tr_probe *p, const struct probe_def *d, char *errbuf,
		     size_t errbuf_len)
{
	struct tr_usdt_arg args[TR_USDT_MAX_ARGS];
	int n;
	char why[160];
	if (tr_usdt_args_parse(p->args, args, TR_USDT_MAX_ARGS, &n, why, sizeof(why))) {
		vgt_errbuf_set(errbuf, errbuf_len, "%s: probe vgt:%s at 0x%" PRIx64 ": %s", path,
			       d->name, p->offset, why);
		return -EPROTO;
	}
	if (n != d->nargs) {
		vgt_errbuf_set(errbuf, errbuf_len,
			       "%s: probe vgt:%s at 0x%" PRIx64 " has %d arguments, vgt's has %d "
			       "(a binary of another vgt version?)",
			       path, d->name, p->offset, n, d->nargs);
		return -EPROTO;
	}
	sb_add(b, "p:%s/%s %s:0x%" PRIx64, group, event, path, p->offset);
	if (p->sem_addr)
		sb_add(b, "(0x%" PRIx64 ")", p->sem_offset);
	for (const struct field *f = d->fields; f->name; f++) {
		const struct tr_usdt_arg *a = &args[f->arg - 1];
		char fetch[128];
		int err;
		if (f->size) {
			if (a->size != f->size) {
				vgt_errbuf_set(errbuf, errbuf_len,
					       "%s: probe vgt:%s argument %d is %u bytes, vgt's is %u "
					       "(a binary of another vgt version?)",
					       path, d->name, f->arg, a->size, f->size);
				return -EPROTO;
			}
			err = tr_usdt_arg_value(a, fetch, sizeof(fetch));
		} else {
			err = tr_usdt_arg_deref(a, f->disp, f->type, fetch, sizeof(fetch));
		}
		if (err) {
			vgt_errbuf_set(errbuf, errbuf_len,
				       "%s: probe vgt:%s argument %d cannot be fetched by a uprobe "
				       "(a %u-byte %s, not a pointer)",
				       path, d->name, f->arg, a->size,
				       a->kind == TR_USDT_CONST ? "constant" : "operand");
			return -EPROTO;
		}
		sb_add(b, " %s=%s", f->name, fetch);
	}
	sb_add(b, "\n");
	return b->err;
}

int tr_probes_uprobe_events(const char *path, const char *group, char **out, char *errbuf,
			    size_t errbuf_len)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!group || !good_name(group)) {
		vgt_errbuf_set(errbuf, errbuf_len,
			       "'%s' is not a tracefs group name (letters, digits and '_', not "
			       "starting with a digit, at most 63)",
			       group ? group : "");
		return -EINVAL;
	}
	if (!path) {
		vgt_errbuf_set(errbuf, errbuf_len, "no binary given");
		return -EINVAL;
	}
	/* the kernel resolves the path when the line is written: make it
	 * absolute, so the lines mean the same file wherever they are used */
	char abs[PATH_MAX];
	if (!realpath(path, abs)) {
		int err = -errno;
		vgt_errbuf_set(errbuf, errbuf_len, "%s: %s", path, strerror(-err));
		return err;
	}
	for (const char *c = abs; *c; c++)
		if (isspace((unsigned char)*c)) {
			vgt_errbuf_set(errbuf, errbuf_len,
				       "%s: a uprobe_events line cannot name a path with whitespace; "
				       "use a link to it without",
				       abs);
			return -EINVAL;
		}
	struct tr_probe *p;
	size_t n;
	int err = tr_probes_read(abs, &p, &n, errbuf, errbuf_len);
	if (err)
		return err;
	struct sbuf b = { 0 };
	for (size_t di = 0; di < sizeof(defs) / sizeof(defs[0]) && !err; di++) {
		const struct probe_def *d = &defs[di];
		unsigned sites = 0;
		for (size_t i = 0; i < n && !err; i++) {
			if (strcmp(p[i].provider, "vgt") || strcmp(p[i].name, d->name))
				continue;
			char event[64];
			if (sites)
				snprintf(event, sizeof(event), "%s_%u", d->name, sites);
			else
				snprintf(event, sizeof(event), "%s", d->name);
			sites++;
			err = site_line(&b, abs, group, event, &p[i], d, errbuf, errbuf_len);
		}
		if (!err && !sites) {
			vgt_errbuf_set(errbuf, errbuf_len,
				       "%s: has no vgt:%s probe (not a vgt binary, or one built with "
				       "-DVGT_NO_PROBES)",
				       abs, d->name);
			err = -ENOENT;
		}
	}
	free(p);
	if (!err && b.err) {
		err = b.err;
		vgt_errbuf_set(errbuf, errbuf_len, "%s: out of memory building uprobe lines", abs);
	}
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	return 0;
}
