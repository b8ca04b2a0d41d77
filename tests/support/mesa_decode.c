/* SPDX-License-Identifier: MIT */
/*
 * Test helper: reads Mesa's INTEL_DEBUG=bat decode back as data, and a
 * light genxml reader.  See mesa_decode.h for the text format.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/mesa_decode.h"

#define MAX_CMD_DWORDS (1u << 17) /* longer than any encodable command */

/* --------------------------------------------------------------- arena */

/* Strings live in blocks that never move, so pointers stay valid until
 * the arena is reset. */
struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct arena {
	struct block *head;
};

static char *arena_dup(struct arena *a, const char *s, size_t n)
{
	struct block *b = a->head;
	char *p;

	if (!b || b->size - b->used < n + 1) {
		size_t sz = n + 1 > 65536 ? n + 1 : 65536;

		b = malloc(sizeof(*b) + sz);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->size = sz;
		a->head = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

static void arena_reset(struct arena *a)
{
	while (a->head) {
		struct block *n = a->head->next;

		free(a->head);
		a->head = n;
	}
}

static int vgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *np;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, nc * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* ---------------------------------------------------------- the reader */

enum state {
	ST_NONE = 0, /* outside any command's own lines */
	ST_CMD,      /* in a command's dword and field lines */
	ST_REG,      /* in an LRI's register decode */
};

/* Per-command bookkeeping while a batch is read (arrays are vectors
 * indexed from these starts; pointers are fixed when the batch ends). */
struct cmd_span {
	size_t f0, r0, d0;
};

struct mesa_decode {
	FILE *f;
	pid_t pid;         /* xz, or 0 */
	char *path;        /* for messages */
	char *line;
	size_t linecap;
	unsigned lineno;
	bool eof;
	bool have_pending; /* a batch line already read */
	char *pending;
	unsigned pending_line;
	unsigned nbatches;

	/* the current batch */
	struct arena arena;
	struct mesa_batch batch;
	struct mesa_cmd *cmds;
	struct cmd_span *spans;
	size_t ncmds, capcmds, capspans;
	struct mesa_field *fields;
	size_t nfields, capfields;
	struct mesa_reg *regs;
	size_t nregs, capregs;
	uint32_t *dws;
	uint8_t *seen;
	size_t ndws, capdws, capseen;
	enum state st;
	int last_dw;
};

static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" + 1..16 hex digits at s; *end past them. */
static bool parse_hex(const char *s, const char **end, uint64_t *v)
{
	unsigned n = 0;
	uint64_t x = 0;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	s += 2;
	while (hexval(*s) >= 0) {
		if (++n > 16)
			return false;
		x = (x << 4) | (uint64_t)hexval(*s);
		s++;
	}
	if (!n)
		return false;
	*v = x;
	*end = s;
	return true;
}

enum line_kind { L_OTHER, L_BATCH, L_CMD, L_DWORD, L_FIELD, L_REG };

struct parsed {
	uint64_t addr, val;
	unsigned dwn;
	const char *name;
	size_t namelen;
	const char *value;
	size_t valuelen;
};

/* "... batch [N] flush with ..." (the source location before it varies,
 * indented or not). */
static bool is_batch_line(const char *s)
{
	const char *b = strstr(s, "batch [");

	if (!b)
		return false;
	b += 7;
	if (*b < '0' || *b > '9')
		return false;
	while (*b >= '0' && *b <= '9')
		b++;
	return !strncmp(b, "] flush", 7);
}

static enum line_kind classify(const char *s, size_t n, struct parsed *p)
{
	const char *e;

	if (is_batch_line(s))
		return L_BATCH;

	if (n >= 2 && s[0] == '0' && s[1] == 'x') {
		if (!parse_hex(s, &e, &p->addr) || strncmp(e, ":  0x", 5))
			return L_OTHER;
		if (!parse_hex(e + 3, &e, &p->val) || p->val > UINT32_MAX)
			return L_OTHER;
		if (!strncmp(e, ":  ", 3)) {
			size_t k;

			p->name = e + 3;
			k = (size_t)(s + n - p->name);
			while (k && (p->name[k - 1] == ' ' || p->name[k - 1] == '\t'))
				k--;
			p->namelen = k;
			return k ? L_CMD : L_OTHER;
		}
		if (!strncmp(e, " : Dword ", 9)) {
			char *end;
			unsigned long d = strtoul(e + 9, &end, 10);

			if (end == e + 9 || d > MAX_CMD_DWORDS)
				return L_OTHER;
			p->dwn = (unsigned)d;
			return L_DWORD;
		}
		return L_OTHER;
	}
	if (n > 4 && !strncmp(s, "    ", 4) && s[4] != ' ') {
		const char *c = strstr(s + 4, ": ");

		if (!c)
			return L_OTHER;
		p->name = s + 4;
		p->namelen = (size_t)(c - p->name);
		p->value = c + 2;
		p->valuelen = (size_t)(s + n - p->value);
		return L_FIELD;
	}
	if (!strncmp(s, "register ", 9)) {
		const char *o = strstr(s, " (0x"), *x;
		uint64_t off, val;

		if (!o || !parse_hex(o + 2, &x, &off) || strncmp(x, "): ", 3) ||
		    !parse_hex(x + 3, &e, &val) || off > UINT32_MAX || val > UINT32_MAX)
			return L_OTHER;
		p->name = s + 9;
		p->namelen = (size_t)(o - p->name);
		p->addr = off;
		p->val = val;
		return L_REG;
	}
	return L_OTHER;
}

static void batch_reset(struct mesa_decode *md)
{
	arena_reset(&md->arena);
	memset(&md->batch, 0, sizeof(md->batch));
	md->ncmds = md->nfields = md->nregs = md->ndws = 0;
	md->st = ST_NONE;
	md->last_dw = -1;
}

static int start_batch(struct mesa_decode *md, const char *title, size_t n, unsigned line)
{
	batch_reset(md);
	md->batch.index = md->nbatches++;
	md->batch.line = line;
	md->batch.title = arena_dup(&md->arena, title, n);
	return md->batch.title ? 0 : -ENOMEM;
}

static struct mesa_cmd *cur_cmd(struct mesa_decode *md)
{
	return md->ncmds ? &md->cmds[md->ncmds - 1] : NULL;
}

static int add_cmd(struct mesa_decode *md, const struct parsed *p)
{
	struct mesa_cmd *c;

	if (vgrow((void **)&md->cmds, &md->capcmds, md->ncmds + 1, sizeof(*md->cmds)) ||
	    vgrow((void **)&md->spans, &md->capspans, md->ncmds + 1, sizeof(*md->spans)))
		return -ENOMEM;
	c = &md->cmds[md->ncmds];
	memset(c, 0, sizeof(*c));
	c->address = p->addr;
	c->header = (uint32_t)p->val;
	c->line = md->lineno;
	c->name = arena_dup(&md->arena, p->name, p->namelen);
	if (!c->name)
		return -ENOMEM;
	md->spans[md->ncmds].f0 = md->nfields;
	md->spans[md->ncmds].r0 = md->nregs;
	md->spans[md->ncmds].d0 = md->ndws;
	md->ncmds++;
	md->st = ST_CMD;
	md->last_dw = -1;
	return 0;
}

/* A dword line inside the current command; false when it is not one of
 * the command's own dwords (then the command's lines are over). */
static int add_dword(struct mesa_decode *md, const struct parsed *p, bool *ok)
{
	struct mesa_cmd *c = cur_cmd(md);
	struct cmd_span *sp = &md->spans[md->ncmds - 1];
	uint64_t rel;
	size_t i;

	*ok = false;
	if (p->addr < c->address)
		return 0;
	rel = p->addr - c->address;
	if (rel & 3 || rel / 4 >= MAX_CMD_DWORDS)
		return 0;
	i = (size_t)(rel / 4);
	if (i >= c->ndw) {
		size_t need = sp->d0 + i + 1;

		if (vgrow((void **)&md->dws, &md->capdws, need, sizeof(*md->dws)) ||
		    vgrow((void **)&md->seen, &md->capseen, need, sizeof(*md->seen)))
			return -ENOMEM;
		memset(md->dws + md->ndws, 0, (need - md->ndws) * sizeof(*md->dws));
		memset(md->seen + md->ndws, 0, need - md->ndws);
		md->ndws = need;
		c->ndw = (unsigned)(i + 1);
	}
	if (!md->seen[sp->d0 + i]) {
		md->seen[sp->d0 + i] = 1;
		md->dws[sp->d0 + i] = (uint32_t)p->val;
	}
	md->last_dw = (int)i;
	*ok = true;
	return 0;
}

static int add_field(struct mesa_decode *md, const struct parsed *p)
{
	struct mesa_field *f;
	const char *v;
	char *end;

	if (vgrow((void **)&md->fields, &md->capfields, md->nfields + 1, sizeof(*md->fields)))
		return -ENOMEM;
	f = &md->fields[md->nfields];
	memset(f, 0, sizeof(*f));
	f->name = arena_dup(&md->arena, p->name, p->namelen);
	f->value = arena_dup(&md->arena, p->value, p->valuelen);
	if (!f->name || !f->value)
		return -ENOMEM;
	f->dw = md->last_dw;
	v = f->value;
	if (v[0] == '0' && v[1] == 'x') {
		const char *e;

		if (parse_hex(v, &e, &f->num)) {
			f->has_num = true;
			f->is_hex = true;
		}
	} else if ((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9')) {
		errno = 0;
		if (v[0] == '-')
			f->num = (uint64_t)strtoll(v, &end, 10);
		else
			f->num = strtoull(v, &end, 10);
		f->has_num = !errno && (*end == '\0' || *end == ' ' || *end == '.');
		if (*end == '.') /* a float: not an integer value */
			f->has_num = false;
	}
	md->nfields++;
	return 0;
}

static int add_reg(struct mesa_decode *md, const struct parsed *p)
{
	struct mesa_reg *r;

	if (vgrow((void **)&md->regs, &md->capregs, md->nregs + 1, sizeof(*md->regs)))
		return -ENOMEM;
	r = &md->regs[md->nregs];
	r->name = arena_dup(&md->arena, p->name, p->namelen);
	if (!r->name)
		return -ENOMEM;
	r->offset = (uint32_t)p->addr;
	r->value = (uint32_t)p->val;
	md->nregs++;
	return 0;
}

/* Points every command at its runs of the vectors. */
static void finish_batch(struct mesa_decode *md)
{
	for (size_t k = 0; k < md->ncmds; k++) {
		struct mesa_cmd *c = &md->cmds[k];
		const struct cmd_span *sp = &md->spans[k];
		size_t fend = k + 1 < md->ncmds ? md->spans[k + 1].f0 : md->nfields;
		size_t rend = k + 1 < md->ncmds ? md->spans[k + 1].r0 : md->nregs;

		c->fields = md->fields + sp->f0;
		c->nfields = (unsigned)(fend - sp->f0);
		c->regs = md->regs + sp->r0;
		c->nregs = (unsigned)(rend - sp->r0);
		c->dw = c->ndw ? md->dws + sp->d0 : NULL;
		c->dw_seen = c->ndw ? md->seen + sp->d0 : NULL;
	}
	md->batch.cmds = md->cmds;
	md->batch.ncmds = (unsigned)md->ncmds;
}

int mesa_decode_next(struct mesa_decode *md, const struct mesa_batch **out, char *err,
		     size_t errlen)
{
	bool in_batch = false;
	int r;

	*out = NULL;
	if (md->have_pending) {
		md->have_pending = false;
		if ((r = start_batch(md, md->pending, strlen(md->pending), md->pending_line)))
			return set_err(err, errlen, r, "out of memory");
		in_batch = true;
	} else {
		batch_reset(md);
	}
	while (!md->eof) {
		ssize_t n = getline(&md->line, &md->linecap, md->f);
		struct parsed p;
		enum line_kind k;

		if (n < 0) {
			md->eof = true;
			if (md->pid > 0) {
				int status;
				pid_t pid = md->pid;

				md->pid = 0;
				if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
				    WEXITSTATUS(status))
					return set_err(err, errlen, -EIO,
						       "xz -dc %s failed (%s %d): is xz installed "
						       "and the file intact?", md->path,
						       WIFEXITED(status) ? "exit status" : "signal",
						       WIFEXITED(status) ? WEXITSTATUS(status)
									 : WTERMSIG(status));
			}
			break;
		}
		md->lineno++;
		while (n && (md->line[n - 1] == '\n' || md->line[n - 1] == '\r'))
			md->line[--n] = '\0';
		memset(&p, 0, sizeof(p));
		k = classify(md->line, (size_t)n, &p);
		if (k == L_BATCH) {
			if (in_batch) {
				free(md->pending);
				md->pending = strdup(md->line);
				if (!md->pending)
					return set_err(err, errlen, -ENOMEM, "out of memory");
				md->pending_line = md->lineno;
				md->have_pending = true;
				finish_batch(md);
				*out = &md->batch;
				return 1;
			}
			if ((r = start_batch(md, md->line, (size_t)n, md->lineno)))
				return set_err(err, errlen, r, "out of memory");
			in_batch = true;
			continue;
		}
		if (k == L_CMD) {
			if (!in_batch)
				return set_err(err, errlen, -EINVAL,
					       "line %u: command line before any batch line", md->lineno);
			if ((r = add_cmd(md, &p)))
				return set_err(err, errlen, r, "out of memory");
			continue;
		}
		switch (md->st) {
		case ST_CMD:
			if (k == L_DWORD) {
				bool ok;

				if ((r = add_dword(md, &p, &ok)))
					return set_err(err, errlen, r, "out of memory");
				if (!ok)
					md->st = ST_NONE;
			} else if (k == L_FIELD) {
				if ((r = add_field(md, &p)))
					return set_err(err, errlen, r, "out of memory");
			} else if (k == L_REG) {
				if ((r = add_reg(md, &p)))
					return set_err(err, errlen, r, "out of memory");
				md->st = ST_REG;
			} else {
				md->st = ST_NONE;
			}
			break;
		case ST_REG:
			if (k == L_REG) {
				if ((r = add_reg(md, &p)))
					return set_err(err, errlen, r, "out of memory");
			} else if (k != L_DWORD && k != L_FIELD) {
				md->st = ST_NONE;
			}
			break;
		case ST_NONE:
			break;
		}
	}
	if (!in_batch)
		return 0;
	finish_batch(md);
	*out = &md->batch;
	return 1;
}

int mesa_decode_open(const char *path, struct mesa_decode **out, char *err, size_t errlen)
{
	struct mesa_decode *md;
	int fds[2];
	pid_t pid;

	*out = NULL;
	if (access(path, R_OK))
		return set_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (pipe(fds))
		return set_err(err, errlen, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return set_err(err, errlen, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("xz", "xz", "-dc", "--", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	md = calloc(1, sizeof(*md));
	if (md)
		md->f = fdopen(fds[0], "r");
	if (!md || !md->f) {
		close(fds[0]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		free(md);
		return set_err(err, errlen, -ENOMEM, "out of memory");
	}
	md->pid = pid;
	md->path = strdup(path);
	md->last_dw = -1;
	*out = md;
	return 0;
}

int mesa_decode_open_text(const char *text, size_t len, struct mesa_decode **out)
{
	struct mesa_decode *md = calloc(1, sizeof(*md));

	*out = NULL;
	if (!md)
		return -ENOMEM;
	md->f = fmemopen((void *)text, len, "r");
	if (!md->f) {
		free(md);
		return -errno;
	}
	md->last_dw = -1;
	*out = md;
	return 0;
}

void mesa_decode_close(struct mesa_decode *md)
{
	if (!md)
		return;
	if (md->f)
		fclose(md->f);
	if (md->pid > 0) {
		int status;

		/* Reading may have stopped early: xz then dies of SIGPIPE. */
		if (!md->eof)
			kill(md->pid, SIGTERM);
		waitpid(md->pid, &status, 0);
	}
	arena_reset(&md->arena);
	free(md->line);
	free(md->path);
	free(md->pending);
	free(md->cmds);
	free(md->spans);
	free(md->fields);
	free(md->regs);
	free(md->dws);
	free(md->seen);
	free(md);
}

const struct mesa_field *mesa_cmd_field(const struct mesa_cmd *c, const char *name,
					unsigned nth, bool any_index)
{
	size_t n = strlen(name);

	for (unsigned k = 0; k < c->nfields; k++) {
		const char *f = c->fields[k].name;

		if (strncmp(f, name, n))
			continue;
		if (f[n] != '\0' && !(any_index && f[n] == '['))
			continue;
		if (nth-- == 0)
			return &c->fields[k];
	}
	return NULL;
}

bool mesa_cmd_dword(const struct mesa_cmd *c, unsigned i, uint32_t *out)
{
	if (i >= c->ndw || !c->dw_seen[i])
		return false;
	*out = c->dw[i];
	return true;
}

/* -------------------------------------------------------------- genxml */

struct gx_group_int {
	struct mesa_gx_group g;
	size_t f0; /* first field in mesa_genxml.fields */
};

struct mesa_genxml {
	struct arena arena;
	struct gx_group_int *groups;
	size_t ngroups, capgroups;
	size_t *sorted; /* group indices by (kind, name) */
	struct mesa_gx_field *fields;
	size_t nfields, capfields;
};

static int gx_cmp(const void *a, const void *b, void *arg)
{
	const struct mesa_genxml *gx = arg;
	const struct mesa_gx_group *x = &gx->groups[*(const size_t *)a].g;
	const struct mesa_gx_group *y = &gx->groups[*(const size_t *)b].g;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Value of attribute `name` in the tag text [s, e), decoded, or NULL. */
static char *gx_attr(struct arena *a, const char *s, const char *e, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; p + n + 2 < e; p++) {
		const char *q, *v;
		char buf[512];
		size_t k = 0;

		if ((p != s && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') ||
		    strncmp(p, name, n) || p[n] != '=' || p[n + 1] != '"')
			continue;
		v = p + n + 2;
		q = memchr(v, '"', (size_t)(e - v));
		if (!q)
			return NULL;
		while (v < q && k + 1 < sizeof(buf)) {
			static const struct { const char *ent; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&apos;", '\'' },
			};
			bool done = false;

			if (*v == '&')
				for (size_t t = 0; t < sizeof(ents) / sizeof(ents[0]); t++) {
					size_t el = strlen(ents[t].ent);

					if ((size_t)(q - v) >= el && !strncmp(v, ents[t].ent, el)) {
						buf[k++] = ents[t].c;
						v += el;
						done = true;
						break;
					}
				}
			if (!done)
				buf[k++] = *v++;
		}
		return arena_dup(a, buf, k);
	}
	return NULL;
}

static int gx_int(struct arena *a, const char *s, const char *e, const char *name, int dflt)
{
	char *v = gx_attr(a, s, e, name);

	return v ? atoi(v) : dflt;
}

int mesa_genxml_load(const char *path, struct mesa_genxml **out, char *err, size_t errlen)
{
	struct mesa_genxml *gx;
	char *text = NULL;
	size_t len = 0, cap = 0;
	const char *p, *end;
	FILE *f;
	struct gx_group_int *cur = NULL;
	int group_depth = 0;

	*out = NULL;
	f = fopen(path, "r");
	if (!f)
		return set_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (vgrow((void **)&text, &cap, len + 65536 + 1, 1)) {
			fclose(f);
			free(text);
			return set_err(err, errlen, -ENOMEM, "out of memory");
		}
		n = fread(text + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	fclose(f);
	text[len] = '\0';
	gx = calloc(1, sizeof(*gx));
	if (!gx) {
		free(text);
		return -ENOMEM;
	}
	p = text;
	end = text + len;
	while ((p = memchr(p, '<', (size_t)(end - p)))) {
		const char *te = memchr(p, '>', (size_t)(end - p));
		bool closing = p[1] == '/';
		const char *nm = p + (closing ? 2 : 1);
		size_t nl = strcspn(nm, " \t\n/>");

		if (!te)
			break;
#define IS(tag) (nl == strlen(tag) && !strncmp(nm, tag, nl))
		if (IS("instruction") || IS("struct") || IS("register")) {
			if (closing) {
				cur = NULL;
				group_depth = 0;
			} else {
				struct gx_group_int *g;

				if (vgrow((void **)&gx->groups, &gx->capgroups, gx->ngroups + 1,
					  sizeof(*gx->groups)))
					goto oom;
				g = &gx->groups[gx->ngroups++];
				memset(g, 0, sizeof(*g));
				g->g.name = gx_attr(&gx->arena, p, te, "name");
				g->g.kind = IS("instruction") ? MESA_GX_INSTRUCTION
					    : IS("struct") ? MESA_GX_STRUCT : MESA_GX_REGISTER;
				g->g.bias = gx_int(&gx->arena, p, te, "bias", 0);
				g->g.length = gx_int(&gx->arena, p, te, "length", 0);
				g->f0 = gx->nfields;
				if (!g->g.name)
					g->g.name = "";
				cur = te[-1] == '/' ? NULL : g;
			}
		} else if (IS("group") && cur) {
			if (closing)
				group_depth--;
			else if (te[-1] != '/')
				group_depth++;
		} else if (IS("field") && cur && !closing) {
			struct mesa_gx_field *fl;

			if (vgrow((void **)&gx->fields, &gx->capfields, gx->nfields + 1,
				  sizeof(*gx->fields)))
				goto oom;
			fl = &gx->fields[gx->nfields++];
			fl->name = gx_attr(&gx->arena, p, te, "name");
			fl->type = gx_attr(&gx->arena, p, te, "type");
			fl->start = gx_int(&gx->arena, p, te, "start", -1);
			fl->end = gx_int(&gx->arena, p, te, "end", -1);
			fl->in_group = group_depth > 0;
			if (!fl->name)
				fl->name = "";
			if (!fl->type)
				fl->type = "";
			cur->g.nfields++;
		}
#undef IS
		p = te + 1;
	}
	free(text);
	for (size_t k = 0; k < gx->ngroups; k++)
		gx->groups[k].g.fields = gx->fields + gx->groups[k].f0;
	gx->sorted = calloc(gx->ngroups + 1, sizeof(*gx->sorted));
	if (!gx->sorted) {
		mesa_genxml_free(gx);
		return set_err(err, errlen, -ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < gx->ngroups; k++)
		gx->sorted[k] = k;
	qsort_r(gx->sorted, gx->ngroups, sizeof(*gx->sorted), gx_cmp, gx);
	*out = gx;
	return 0;
oom:
	free(text);
	mesa_genxml_free(gx);
	return set_err(err, errlen, -ENOMEM, "out of memory");
}

void mesa_genxml_free(struct mesa_genxml *gx)
{
	if (!gx)
		return;
	arena_reset(&gx->arena);
	free(gx->groups);
	free(gx->fields);
	free(gx->sorted);
	free(gx);
}

const struct mesa_gx_group *mesa_genxml_find(const struct mesa_genxml *gx, const char *name,
					     int kind)
{
	size_t lo = 0, hi = gx->ngroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mesa_gx_group *g = &gx->groups[gx->sorted[mid]].g;
		int c = g->kind != kind ? (g->kind < kind ? -1 : 1) : strcmp(g->name, name);

		if (!c)
			return g;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Searches g and the structs it embeds (depth-bounded). */
static void gx_field_walk(const struct mesa_genxml *gx, const struct mesa_gx_group *g,
			  const char *name, size_t nlen, int depth,
			  const struct mesa_gx_field **found, bool *ambiguous)
{
	if (!g || depth > 4)
		return;
	for (unsigned k = 0; k < g->nfields; k++) {
		const struct mesa_gx_field *f = &g->fields[k];
		const struct mesa_gx_group *sub;

		if (strlen(f->name) == nlen && !strncmp(f->name, name, nlen)) {
			if (*found && strcmp((*found)->type, f->type))
				*ambiguous = true;
			if (!*found)
				*found = f;
		}
		sub = mesa_genxml_find(gx, f->type, MESA_GX_STRUCT);
		if (sub && sub != g)
			gx_field_walk(gx, sub, name, nlen, depth + 1, found, ambiguous);
	}
}

const struct mesa_gx_field *mesa_genxml_field(const struct mesa_genxml *gx, const char *instr,
					      const char *name, bool *ambiguous)
{
	const struct mesa_gx_group *g = mesa_genxml_find(gx, instr, MESA_GX_INSTRUCTION);
	const char *br = strchr(name, '[');
	size_t nlen = br ? (size_t)(br - name) : strlen(name);
	const struct mesa_gx_field *found = NULL;
	bool amb = false;

	gx_field_walk(gx, g, name, nlen, 0, &found, &amb);
	if (ambiguous)
		*ambiguous = amb;
	return found;
}

const char *mesa_genxml_field_type(const struct mesa_genxml *gx, const char *instr,
				   const char *name, bool *ambiguous)
{
	const struct mesa_gx_field *f = mesa_genxml_field(gx, instr, name, ambiguous);

	return f ? f->type : NULL;
}
