/* SPDX-License-Identifier: MIT */
/*
 * Real driver traffic as the decoder's conformance test (issue 12, decode
 * half).
 *
 * For every submission of every folder of $VGT_SHARED/reference/captures:
 * load it (every buffer rebuilt from its chunks and mapped at its PPGTT
 * address), then walk the batch the way the command streamer does --
 * scan_decode() command by command through the record's memory view,
 * following MI_BATCH_BUFFER_START (chained: continue at the target; second
 * level: walk the target, then return after the BB_START), stopping at the
 * first-level MI_BATCH_BUFFER_END -- and check:
 *
 *  - every command is known on the record's engine and not truncated, and
 *    the walk ends at an MI_BATCH_BUFFER_END inside the submitted length;
 *  - where Mesa's own decode of the batch exists (mesa-decode.txt.xz), the
 *    two decodes agree command for command: same address, same name
 *    (genxml's, or an alias scan_table_find() resolves), same length (the
 *    next Mesa command's address, and Mesa's "DWord Length" + genxml's
 *    bias), and the operands the auditor depends on carry Mesa's values:
 *    every field genxml types "address" (a vgt address operand at the same
 *    dword, same 48-bit value, and the address space its selector field
 *    says), vgt address operands that Mesa has no address field for, the
 *    register offsets of LRI (every pair) / LRM / SRM / LRR, PIPE_CONTROL's
 *    and MI_FLUSH_DW's post-sync operation, MI_BATCH_BUFFER_START's level
 *    and address space; each also through scan_cmd_field_value() of the
 *    genxml field at the same position when vgt's row has it;
 *  - where the client relocated (IGT, VA-API), every relocated dword inside
 *    a walked command is the first dword of a vgt address operand that
 *    points into the relocation target's page.
 *
 * Every disagreement is printed (folder, submission, object+offset, address,
 * command, both values) and fails that folder's test; each folder prints
 * its totals.  Skips, saying so, when the captures are absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus/corpus.h"
#include "scanner/scanner.h"
#include "tests/support/mesa_decode.h"
#include "tests/support/skip.h"

#define MASK48        CORPUS_ADDR_MASK
#define REG_BITS      UINT32_C(0x7ffffc)
#define MAX_OPS       512
#define MAX_WALK      400000 /* commands in one submission */
#define MAX_JUMPS     64     /* batch starts followed in one submission */
#define MAX_PRINTED   40     /* disagreements printed per folder */

/* ================================================================ walk */

struct walk_cmd {
	uint64_t addr;  /* 48-bit */
	struct scan_cmd c;
	uint8_t level;  /* 1 first level (incl. chained), 2 second level */
	unsigned op0, nops;
};

struct walk {
	struct walk_cmd *cmds;
	size_t n, cap;
	struct scan_operand *ops;
	size_t nops, capops;
	unsigned chained, second_level; /* batch starts followed */
	char err[256];  /* why the walk did not end cleanly ("" if it did) */
};

static void walk_reset(struct walk *w)
{
	w->n = w->nops = 0;
	w->chained = w->second_level = 0;
	w->err[0] = '\0';
}

static void walk_free(struct walk *w)
{
	free(w->cmds);
	free(w->ops);
	memset(w, 0, sizeof(*w));
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 256;
	void *np;

	if (need <= *cap)
		return p;
	while (nc < need)
		nc *= 2;
	np = realloc(p, nc * elem);
	assert_non_null(np);
	*cap = nc;
	return np;
}

static const char *cmd_name(const struct scan_cmd *c)
{
	return c->desc ? scan_desc_name(c->desc) : "(unknown)";
}

static int walk_fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int walk_fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Walks from `start` (48-bit PPGTT address), the first level bounded by
 * `bytes`, through memory view m.  Returns 0 when the walk ended at a
 * first-level MI_BATCH_BUFFER_END, -1 otherwise (w->err says why; the
 * command that stopped it, if any, is the last one recorded).
 */
static int walk_batch(enum scan_gen gen, enum scan_engine eng, const struct scan_mem *m,
		      uint64_t start, uint64_t bytes, struct walk *w)
{
	uint64_t addr = start, end = start + bytes, ret_addr = 0, ret_end = 0;
	unsigned level = 1, jumps = 0;

	walk_reset(w);
	for (;;) {
		struct scan_operand ops[MAX_OPS];
		struct walk_cmd *wc;
		const struct scan_operand *bbs = NULL;
		const char *name;
		const void *p;
		size_t len;
		unsigned nops;

		if (w->n >= MAX_WALK)
			return walk_fail(w, "more than %d commands: walk abandoned", MAX_WALK);
		if (addr & 3)
			return walk_fail(w, "command address 0x%llx is not dword aligned",
					 (unsigned long long)addr);
		if (addr >= end)
			return walk_fail(w, "reached 0x%llx, the end of the %s batch, without "
					 "MI_BATCH_BUFFER_END", (unsigned long long)addr,
					 level == 1 ? "first-level" : "second-level");
		p = m->map(m->ctx, SCAN_AS_PPGTT, addr, &len);
		if (!p)
			return walk_fail(w, "0x%llx does not translate", (unsigned long long)addr);
		if (len > end - addr)
			len = (size_t)(end - addr);
		if (len < 4)
			return walk_fail(w, "less than a dword left at 0x%llx",
					 (unsigned long long)addr);
		w->cmds = grow(w->cmds, &w->cap, w->n + 1, sizeof(*w->cmds));
		wc = &w->cmds[w->n++];
		memset(wc, 0, sizeof(*wc));
		wc->addr = addr;
		wc->level = (uint8_t)level;
		scan_decode(gen, eng, p, len / 4, &wc->c);
		if (wc->c.status != SCAN_CMD_OK)
			return walk_fail(w, "%s header 0x%08x at 0x%llx on %s",
					 scan_cmd_status_name(wc->c.status), wc->c.header,
					 (unsigned long long)addr, scan_engine_name(eng));
		nops = scan_cmd_operands(&wc->c, ops, MAX_OPS);
		if (nops > MAX_OPS)
			return walk_fail(w, "%s at 0x%llx has %u operands, more than %d",
					 cmd_name(&wc->c), (unsigned long long)addr, nops, MAX_OPS);
		if (nops) {
			w->ops = grow(w->ops, &w->capops, w->nops + nops, sizeof(*w->ops));
			memcpy(w->ops + w->nops, ops, nops * sizeof(*ops));
		}
		wc->op0 = (unsigned)w->nops;
		wc->nops = nops;
		w->nops += nops;

		name = cmd_name(&wc->c);
		if (!strcmp(name, "MI_BATCH_BUFFER_END")) {
			if (level == 1)
				return 0;
			level = 1;
			addr = ret_addr;
			end = ret_end;
			continue;
		}
		for (unsigned k = 0; k < nops; k++)
			if (ops[k].kind == SCAN_OP_BB_START)
				bbs = &w->ops[wc->op0 + k];
		if (!strcmp(name, "MI_BATCH_BUFFER_START") && !bbs)
			return walk_fail(w, "MI_BATCH_BUFFER_START at 0x%llx: vgt gives no "
					 "batch-start operand", (unsigned long long)addr);
		if (bbs) {
			const void *t;
			size_t tlen;

			if (++jumps > MAX_JUMPS)
				return walk_fail(w, "more than %d batch starts", MAX_JUMPS);
			if (bbs->as != SCAN_AS_PPGTT)
				return walk_fail(w, "batch start at 0x%llx into the GGTT, which a "
					 "capture does not map", (unsigned long long)addr);
			if (bbs->second_level) {
				if (level == 2)
					return walk_fail(w, "second-level batch start at 0x%llx inside "
							 "a second-level batch",
							 (unsigned long long)addr);
				ret_addr = addr + 4ull * wc->c.dwords;
				ret_end = end;
				level = 2;
				w->second_level++;
			} else {
				w->chained++;
			}
			addr = bbs->value & MASK48;
			t = m->map(m->ctx, SCAN_AS_PPGTT, addr, &tlen);
			if (!t)
				return walk_fail(w, "batch start at 0x%llx to 0x%llx, which does not "
						 "translate", (unsigned long long)wc->addr,
						 (unsigned long long)addr);
			end = addr + tlen;
			continue;
		}
		addr += 4ull * wc->c.dwords;
	}
}

/* ========================================================= comparisons */

struct stats {
	unsigned batches, commands, mesa_batches, mesa_commands, agree_cmds;
	unsigned long operands, agree_operands;
	/* what was compared (coverage) */
	unsigned long addr_fields, addr_as, vgt_fields, reg_ops, post_syncs;
	unsigned lengths;
	unsigned chained, second_level;
	unsigned relocs, relocs_in_cmds, relocs_ok;
	unsigned disagreements;
};

/* One folder's run. */
struct run {
	const char *folder;
	const struct corpus_record *rec;
	unsigned sub;           /* submission (record index) */
	enum scan_gen gen;
	const struct mesa_genxml *gx;
	struct stats st;
	bool cmd_bad;           /* the current command disagreed */
};

static void say(struct run *r, uint64_t addr, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prints one disagreement: folder, submission, where, command, message. */
static void say(struct run *r, uint64_t addr, const char *cmd, const char *fmt, ...)
{
	char msg[512], where[96] = "";
	va_list ap;

	r->st.disagreements++;
	r->cmd_bad = true;
	if (r->st.disagreements > MAX_PRINTED) {
		if (r->st.disagreements == MAX_PRINTED + 1)
			printf("  [%s] ... further disagreements counted, not printed\n", r->folder);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->rec) {
		const struct corpus_object *o = corpus_record_find(r->rec, addr & MASK48);

		if (o)
			snprintf(where, sizeof(where), "objects[%u]+0x%llx", o->index,
				 (unsigned long long)((addr & MASK48) - o->gpu_address));
	}
	printf("  DISAGREE %s exec-%04u %s gma 0x%llx %s: %s\n", r->folder, r->sub,
	       where[0] ? where : "-", (unsigned long long)(addr & MASK48), cmd ? cmd : "-", msg);
}

static void count(struct run *r, bool agree)
{
	r->st.operands++;
	if (agree)
		r->st.agree_operands++;
}

/* Mesa's printed value of a field as a number (bools as 0/1). */
static bool mesa_value(const struct mesa_field *f, uint64_t *v)
{
	if (f->has_num) {
		*v = f->num;
		return true;
	}
	if (!strcmp(f->value, "true") || !strcmp(f->value, "false")) {
		*v = f->value[0] == 't';
		return true;
	}
	return false;
}

/* vgt's genxml field at the position Mesa printed field mf: same name (or
 * "<struct path>.<name>") ending in the same dword. */
static const struct scan_field *vgt_field_for(const struct scan_cmd *c,
					      const struct mesa_field *mf)
{
	unsigned n;
	const struct scan_field *f = scan_desc_fields(c->desc, &n);
	size_t ml = strlen(mf->name);

	if (mf->dw < 0)
		return NULL;
	for (unsigned k = 0; k < n; k++) {
		size_t vl = strlen(f[k].name);

		if (f[k].end / 32 != (unsigned)mf->dw)
			continue;
		if (vl == ml && !strcmp(f[k].name, mf->name))
			return &f[k];
		if (vl > ml && f[k].name[vl - ml - 1] == '.' && !strcmp(f[k].name + vl - ml, mf->name))
			return &f[k];
	}
	return NULL;
}

/* Compares field mf through scan_cmd_field_value() of vgt's field at the
 * same position, when vgt's row has one. */
static void compare_field(struct run *r, const struct walk_cmd *w, const struct mesa_field *mf)
{
	const struct scan_field *f = vgt_field_for(&w->c, mf);
	uint64_t mv, vv;

	if (!f || !mesa_value(mf, &mv))
		return;
	vv = scan_cmd_field_value(&w->c, f);
	r->st.vgt_fields++;
	count(r, vv == mv);
	if (vv != mv)
		say(r, w->addr, cmd_name(&w->c), "field '%s' (dword %d): Mesa %s (0x%llx), vgt 0x%llx",
		    mf->name, mf->dw, mf->value, (unsigned long long)mv, (unsigned long long)vv);
}

/* Address-space selector fields as genxml names them. */
static const char *const selector_names[] = {
	"Use Global GTT", "Use Global GTT Source", "Use Global GTT Destination",
	"Destination Address Type", "Address Space Indicator", "Memory Type",
};

static bool is_selector(const char *name)
{
	for (size_t k = 0; k < sizeof(selector_names) / sizeof(selector_names[0]); k++)
		if (!strcmp(name, selector_names[k]))
			return true;
	return false;
}

/* What Mesa's printed selector says: 0 GGTT, 1 PPGTT, -1 cannot tell. */
static int selector_as(const struct mesa_field *f)
{
	if (!strncmp(f->name, "Use Global GTT", 14)) {
		if (!strcmp(f->value, "true"))
			return SCAN_AS_GGTT;
		if (!strcmp(f->value, "false"))
			return SCAN_AS_PPGTT;
		return -1;
	}
	if (strstr(f->value, "PPGTT") || strstr(f->value, "Per Process"))
		return SCAN_AS_PPGTT;
	if (strstr(f->value, "GGTT") || strstr(f->value, "Global"))
		return SCAN_AS_GGTT;
	if (f->has_num && !strcmp(f->name, "Address Space Indicator"))
		return f->num ? SCAN_AS_PPGTT : SCAN_AS_GGTT;
	if (f->has_num && !strcmp(f->name, "Destination Address Type"))
		return f->num ? SCAN_AS_GGTT : SCAN_AS_PPGTT;
	return -1;
}

/* The selector Mesa printed for an address operand of command m: the one
 * whose name matches the operand's side (Source / Destination) when there
 * are several; NULL when the command has none. */
static const struct mesa_field *selector_for(const struct mesa_cmd *m, const char *opname)
{
	const struct mesa_field *only = NULL, *f;
	unsigned n = 0;

	for (unsigned k = 0; k < m->nfields; k++) {
		f = &m->fields[k];
		if (!is_selector(f->name))
			continue;
		n++;
		only = f;
		if (opname && strstr(f->name, "Source") && strstr(opname, "Source"))
			return f;
		if (opname && strstr(f->name, "Destination") && strstr(f->name, "GTT") &&
		    strstr(opname, "Destination"))
			return f;
	}
	return n ? only : NULL;
}

static bool is_addr_op(const struct scan_operand *o)
{
	return o->kind == SCAN_OP_ADDRESS || o->kind == SCAN_OP_BB_START;
}

/* Every genxml "address" field Mesa printed against vgt's address operands,
 * and every vgt address operand against Mesa's address fields. */
static void compare_addresses(struct run *r, const struct walk_cmd *w,
			      const struct scan_operand *ops, const struct mesa_cmd *m)
{
	bool used[MAX_OPS] = { false };
	const char *vn = cmd_name(&w->c);

	for (unsigned k = 0; k < m->nfields; k++) {
		const struct mesa_field *mf = &m->fields[k];
		const struct mesa_gx_field *gf;
		const struct scan_operand *op = NULL;
		bool amb = false;
		int sdw;

		if (!mf->is_hex || mf->dw < 0)
			continue;
		gf = mesa_genxml_field(r->gx, m->name, mf->name, &amb);
		if (!gf || strcmp(gf->type, "address"))
			continue;
		if (amb)
			printf("  note: %s %s '%s' has several types in genxml; taken as an address\n",
			       r->folder, m->name, mf->name);
		/* the field's first dword: its end dword minus its span (struct
		 * and group bits are relative, the span is not) */
		sdw = mf->dw - (gf->end / 32 - gf->start / 32);
		for (unsigned j = 0; j < w->nops; j++) {
			if (used[j] || !is_addr_op(&ops[j]))
				continue;
			if (ops[j].dw == sdw) {
				op = &ops[j];
				used[j] = true;
				break;
			}
		}
		compare_field(r, w, mf);
		if (!op) {
			/* PIPE_CONTROL with an LRI post-sync writes a register at
			 * the address dword: a register operand, not an address. */
			if (!strcmp(m->name, "PIPE_CONTROL")) {
				const struct mesa_field *lri =
					mesa_cmd_field(m, "LRI Post Sync Operation", 0, false);
				uint64_t v;

				if (lri && mesa_value(lri, &v) && v) {
					bool ok = false;

					for (unsigned j = 0; j < w->nops; j++)
						if (ops[j].kind == SCAN_OP_REG_WRITE &&
						    ops[j].value == (mf->num & REG_BITS))
							ok = true;
					count(r, ok);
					if (!ok)
						say(r, w->addr, vn, "LRI post-sync register 0x%llx: vgt "
						    "has no register-write operand for it",
						    (unsigned long long)(mf->num & REG_BITS));
					continue;
				}
			}
			count(r, false);
			say(r, w->addr, vn, "genxml address field '%s' = %s (ends in dword %d): "
			    "vgt has no address operand there", mf->name, mf->value, mf->dw);
			continue;
		}
		r->st.addr_fields++;
		count(r, (op->value & MASK48) == (mf->num & MASK48));
		if ((op->value & MASK48) != (mf->num & MASK48))
			say(r, w->addr, vn, "address '%s' (dword %u): Mesa %s, vgt 0x%llx", mf->name,
			    op->dw, mf->value, (unsigned long long)op->value);
		/* its address space */
		{
			const struct mesa_field *sel = selector_for(m, op->name);
			int as = sel ? selector_as(sel) : SCAN_AS_PPGTT;

			if (sel)
				compare_field(r, w, sel);
			if (as < 0) {
				say(r, w->addr, vn, "cannot read Mesa's selector '%s: %s'", sel->name,
				    sel->value);
				continue;
			}
			r->st.addr_as++;
			count(r, op->as == as);
			if (op->as != as)
				say(r, w->addr, vn, "address '%s' space: Mesa %s (%s), vgt %s", mf->name,
				    scan_as_name((enum scan_as)as),
				    sel ? sel->name : "no selector: the context's PPGTT",
				    scan_as_name((enum scan_as)op->as));
		}
	}
	for (unsigned j = 0; j < w->nops; j++) {
		if (used[j] || !is_addr_op(&ops[j]))
			continue;
		count(r, false);
		say(r, w->addr, vn, "vgt address operand '%s' at dword %u (0x%llx): Mesa prints no "
		    "genxml address field there", ops[j].name ? ops[j].name : "?", ops[j].dw,
		    (unsigned long long)ops[j].value);
	}
}

static unsigned ops_of_kind(const struct scan_operand *ops, unsigned n, unsigned kind,
			    const struct scan_operand **out, unsigned max)
{
	unsigned k = 0;

	for (unsigned j = 0; j < n; j++)
		if (ops[j].kind == kind) {
			if (k < max)
				out[k] = &ops[j];
			k++;
		}
	return k;
}

static void compare_lri(struct run *r, const struct walk_cmd *w, const struct scan_operand *ops,
			const struct mesa_cmd *m)
{
	const struct scan_operand *regs[MAX_OPS];
	unsigned pairs = (w->c.dwords - 1) / 2;
	unsigned n = ops_of_kind(ops, w->nops, SCAN_OP_REG_WRITE, regs, MAX_OPS);
	const char *vn = cmd_name(&w->c);
	const struct mesa_field *f;

	if (n != pairs)
		say(r, w->addr, vn, "%u register pairs in %u dwords, vgt gives %u register writes",
		    pairs, w->c.dwords, n);
	for (unsigned k = 0; k < pairs && k < n; k++) {
		uint32_t reg, val;

		if (!mesa_cmd_dword(m, 1 + 2 * k, &reg) || !mesa_cmd_dword(m, 2 + 2 * k, &val)) {
			say(r, w->addr, vn, "pair %u: Mesa printed no dwords %u-%u", k, 1 + 2 * k,
			    2 + 2 * k);
			continue;
		}
		r->st.reg_ops++;
		count(r, regs[k]->value == (reg & REG_BITS));
		if (regs[k]->value != (reg & REG_BITS))
			say(r, w->addr, vn, "pair %u register: Mesa dword 0x%08x (offset 0x%x), vgt 0x%llx",
			    k, reg, reg & REG_BITS, (unsigned long long)regs[k]->value);
		count(r, regs[k]->imm == val);
		if (regs[k]->imm != val)
			say(r, w->addr, vn, "pair %u value: Mesa 0x%08x, vgt 0x%llx", k, val,
			    (unsigned long long)regs[k]->imm);
	}
	f = mesa_cmd_field(m, "Register Offset", 0, false);
	if (f && n) {
		count(r, f->has_num && regs[0]->value == f->num);
		if (!f->has_num || regs[0]->value != f->num)
			say(r, w->addr, vn, "'Register Offset': Mesa %s, vgt 0x%llx", f->value,
			    (unsigned long long)regs[0]->value);
		compare_field(r, w, f);
	}
	/* registers Mesa recognised: each must be one vgt found */
	for (unsigned k = 0; k < m->nregs; k++) {
		bool ok = false;

		for (unsigned j = 0; j < n && j < MAX_OPS; j++)
			if (regs[j]->value == m->regs[k].offset)
				ok = true;
		count(r, ok);
		if (!ok)
			say(r, w->addr, vn, "Mesa decodes register %s (0x%x): no vgt register write "
			    "with that offset", m->regs[k].name, m->regs[k].offset);
	}
}

/* LRM / SRM / LRR register operands, by genxml field name. */
static const struct {
	const char *cmd, *field;
	unsigned kind;
} reg_fields[] = {
	{ "MI_LOAD_REGISTER_MEM", "Register Address", SCAN_OP_REG_WRITE },
	{ "MI_STORE_REGISTER_MEM", "Register Address", SCAN_OP_REG_READ },
	{ "MI_LOAD_REGISTER_REG", "Source Register Address", SCAN_OP_REG_READ },
	{ "MI_LOAD_REGISTER_REG", "Destination Register Address", SCAN_OP_REG_WRITE },
};

/* Post-sync operation fields. */
static const struct {
	const char *cmd, *field;
} post_sync_fields[] = {
	{ "PIPE_CONTROL", "Post Sync Operation" },
	{ "MI_FLUSH_DW", "Post-Sync Operation" },
};

static void compare_special(struct run *r, const struct walk_cmd *w,
			    const struct scan_operand *ops, const struct mesa_cmd *m)
{
	const char *vn = cmd_name(&w->c);

	if (!strcmp(vn, "MI_LOAD_REGISTER_IMM"))
		compare_lri(r, w, ops, m);
	for (size_t k = 0; k < sizeof(reg_fields) / sizeof(reg_fields[0]); k++) {
		const struct mesa_field *f;
		bool ok = false;

		if (strcmp(vn, reg_fields[k].cmd))
			continue;
		f = mesa_cmd_field(m, reg_fields[k].field, 0, false);
		if (!f) {
			say(r, w->addr, vn, "Mesa printed no '%s'", reg_fields[k].field);
			continue;
		}
		for (unsigned j = 0; j < w->nops; j++)
			if (ops[j].kind == reg_fields[k].kind && f->has_num && ops[j].value == f->num)
				ok = true;
		r->st.reg_ops++;
		count(r, ok);
		if (!ok)
			say(r, w->addr, vn, "'%s' = %s: vgt has no register %s operand with that offset",
			    reg_fields[k].field, f->value,
			    reg_fields[k].kind == SCAN_OP_REG_WRITE ? "write" : "read");
		compare_field(r, w, f);
	}
	for (size_t k = 0; k < sizeof(post_sync_fields) / sizeof(post_sync_fields[0]); k++) {
		const struct scan_operand *ps[4];
		const struct mesa_field *f;
		uint64_t v;

		if (strcmp(vn, post_sync_fields[k].cmd))
			continue;
		f = mesa_cmd_field(m, post_sync_fields[k].field, 0, false);
		if (!f || !mesa_value(f, &v)) {
			say(r, w->addr, vn, "Mesa printed no '%s'", post_sync_fields[k].field);
			continue;
		}
		if (ops_of_kind(ops, w->nops, SCAN_OP_POST_SYNC, ps, 4) != 1) {
			count(r, false);
			say(r, w->addr, vn, "vgt gives no single post-sync operand (Mesa: %s)", f->value);
			continue;
		}
		r->st.post_syncs++;
		count(r, ps[0]->value == v);
		if (ps[0]->value != v)
			say(r, w->addr, vn, "post-sync operation: Mesa %s, vgt %llu", f->value,
			    (unsigned long long)ps[0]->value);
		compare_field(r, w, f);
	}
	if (!strcmp(vn, "MI_BATCH_BUFFER_START")) {
		const struct scan_operand *bb[4];
		const struct mesa_field *asi = mesa_cmd_field(m, "Address Space Indicator", 0, false);
		const struct mesa_field *lvl = mesa_cmd_field(m, "Second Level Batch Buffer", 0, false);
		uint64_t v;

		if (ops_of_kind(ops, w->nops, SCAN_OP_BB_START, bb, 4) != 1) {
			say(r, w->addr, vn, "vgt gives no single batch-start operand");
			return;
		}
		if (!asi || !lvl || !mesa_value(lvl, &v)) {
			say(r, w->addr, vn, "Mesa printed no address space or level");
			return;
		}
		count(r, bb[0]->second_level == v);
		if (bb[0]->second_level != v)
			say(r, w->addr, vn, "level: Mesa %s, vgt %s", lvl->value,
			    bb[0]->second_level ? "second" : "first");
		compare_field(r, w, lvl);
		/* the address space is checked with the address (selector) */
	}
}

static bool is_flow(const char *name)
{
	return !strcmp(name, "MI_BATCH_BUFFER_START") || !strcmp(name, "MI_BATCH_BUFFER_END");
}

static bool gx_has_field(const struct mesa_gx_group *g, const char *name)
{
	for (unsigned k = 0; k < g->nfields; k++)
		if (!strcmp(g->fields[k].name, name))
			return true;
	return false;
}

static void compare_length(struct run *r, const struct walk_cmd *w, const struct mesa_cmd *m,
			   const struct mesa_cmd *next)
{
	const struct mesa_field *dl = mesa_cmd_field(m, "DWord Length", 0, false);
	const struct mesa_gx_group *g = mesa_genxml_find(r->gx, m->name, MESA_GX_INSTRUCTION);
	const char *vn = cmd_name(&w->c);
	bool checked = false;

	if (next && !is_flow(m->name)) {
		uint64_t d = (next->address & MASK48) - (m->address & MASK48);

		checked = true;
		if (d != 4ull * w->c.dwords)
			say(r, w->addr, vn, "length: Mesa's next command is %llu bytes on (%llu dwords), "
			    "vgt %u dwords", (unsigned long long)d, (unsigned long long)(d / 4),
			    w->c.dwords);
	}
	if (dl && dl->has_num && g) {
		checked = true;
		if (dl->num + (uint64_t)g->bias != w->c.dwords)
			say(r, w->addr, vn, "length: Mesa's DWord Length %llu + genxml bias %d = %llu, "
			    "vgt %u", (unsigned long long)dl->num, g->bias,
			    (unsigned long long)(dl->num + (uint64_t)g->bias), w->c.dwords);
	} else if (!dl && g && g->length && !gx_has_field(g, "DWord Length")) {
		checked = true;
		if ((uint32_t)g->length != w->c.dwords)
			say(r, w->addr, vn, "length: genxml's fixed length %d, vgt %u", g->length,
			    w->c.dwords);
	}
	if (checked)
		r->st.lengths++;
	else
		say(r, w->addr, vn, "length cannot be checked: no next command, no DWord Length, "
		    "no genxml length (vgt %u)", w->c.dwords);
}

static void compare_batch(struct run *r, const struct walk *w, const struct mesa_batch *mb)
{
	size_t n = w->n < mb->ncmds ? w->n : mb->ncmds;

	for (size_t i = 0; i < n; i++) {
		const struct walk_cmd *wc = &w->cmds[i];
		const struct mesa_cmd *m = &mb->cmds[i];
		const struct scan_operand *ops = w->ops + wc->op0;
		const char *vn = cmd_name(&wc->c);

		r->cmd_bad = false;
		if ((m->address & MASK48) != wc->addr) {
			say(r, wc->addr, vn, "command %zu: Mesa's is %s at 0x%llx (line %u); the rest "
			    "of the batch is not compared", i, m->name,
			    (unsigned long long)(m->address & MASK48), m->line);
			return;
		}
		if (wc->c.status != SCAN_CMD_OK) {
			say(r, wc->addr, vn, "vgt: %s (header 0x%08x); Mesa: %s",
			    scan_cmd_status_name(wc->c.status), wc->c.header, m->name);
			continue;
		}
		if (m->header != wc->c.header)
			say(r, wc->addr, vn, "header: Mesa 0x%08x, vgt 0x%08x", m->header, wc->c.header);
		if (strcmp(vn, m->name) && scan_table_find(r->gen, m->name) != wc->c.desc)
			say(r, wc->addr, vn, "name: Mesa %s, vgt %s", m->name, vn);
		compare_length(r, wc, m, i + 1 < mb->ncmds ? &mb->cmds[i + 1] : NULL);
		compare_addresses(r, wc, ops, m);
		compare_special(r, wc, ops, m);
		if (!r->cmd_bad)
			r->st.agree_cmds++;
	}
	for (size_t i = n; i < w->n; i++)
		say(r, w->cmds[i].addr, cmd_name(&w->cmds[i].c), "vgt finds this command (%zu); "
		    "Mesa's batch ends after %u", i, mb->ncmds);
	for (size_t i = n; i < mb->ncmds; i++) {
		say(r, mb->cmds[i].address, mb->cmds[i].name, "Mesa finds this command (%zu, line %u); "
		    "vgt's walk ends after %zu", i, mb->cmds[i].line, w->n);
		if (i > n + 3)
			break; /* one cause; do not flood */
	}
}

/* Relocated dwords inside walked commands must start vgt address operands
 * that point into the target's page. */
static void check_relocations(struct run *r, const struct walk *w)
{
	const struct corpus_record *rec = r->rec;

	for (unsigned oi = 0; oi < corpus_record_object_count(rec); oi++) {
		const struct corpus_object *o = corpus_record_object(rec, oi);

		for (unsigned k = 0; k < o->nrelocs; k++) {
			const struct corpus_reloc *rl = &o->relocs[k];
			const struct corpus_object *t = corpus_record_object(rec, rl->target_index);
			uint64_t gma = o->gpu_address + rl->offset;
			uint64_t target = (t->gpu_address + (uint64_t)rl->delta) & MASK48;
			const struct walk_cmd *wc = NULL;
			const struct scan_operand *op = NULL;
			unsigned dw;

			r->st.relocs++;
			for (size_t i = 0; i < w->n; i++)
				if (gma >= w->cmds[i].addr &&
				    gma < w->cmds[i].addr + 4ull * w->cmds[i].c.dwords) {
					wc = &w->cmds[i];
					break;
				}
			if (!wc)
				continue; /* indirect state, not a command */
			r->st.relocs_in_cmds++;
			dw = (unsigned)((gma - wc->addr) / 4);
			for (unsigned j = 0; j < wc->nops; j++) {
				const struct scan_operand *x = &w->ops[wc->op0 + j];

				if (is_addr_op(x) && x->dw == dw)
					op = x;
			}
			if (!op) {
				say(r, wc->addr, cmd_name(&wc->c), "relocation at objects[%u]+0x%llx "
				    "(dword %u, to objects[%u]%+lld = 0x%llx) is not the start of a vgt "
				    "address operand", oi, (unsigned long long)rl->offset, dw,
				    rl->target_index, (long long)rl->delta, (unsigned long long)target);
				continue;
			}
			if (((op->value ^ target) & MASK48 & ~UINT64_C(0xfff)) != 0) {
				say(r, wc->addr, cmd_name(&wc->c), "relocated operand '%s' (dword %u): "
				    "relocation to 0x%llx, vgt operand 0x%llx (not the same page)",
				    op->name ? op->name : "?", dw, (unsigned long long)target,
				    (unsigned long long)op->value);
				continue;
			}
			r->st.relocs_ok++;
		}
	}
}

/* ============================================================== folders */

static const char *shared_dir(void)
{
	return vgt_test_shared();
}

static struct mesa_genxml *gx_cache[10];

static const struct mesa_genxml *genxml(enum scan_gen gen)
{
	char path[512], err[256];

	if (!gx_cache[gen]) {
		snprintf(path, sizeof(path), "%s/reference/gen%d.xml", shared_dir(), gen);
		if (mesa_genxml_load(path, &gx_cache[gen], err, sizeof(err)))
			fail_msg("cannot read genxml: %s", err);
	}
	return gx_cache[gen];
}

static void test_capture_folder(void **state)
{
	const char *dir = *state;
	const char *folder = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	struct corpus_capture *cap;
	struct mesa_decode *md = NULL;
	struct run r = { .folder = folder };
	struct walk w = { 0 };
	char err[768], mpath[600];
	struct stat sb;

	fflush(stdout);
	if (corpus_capture_open(dir, &cap, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(mpath, sizeof(mpath), "%s/mesa-decode.txt.xz", dir);
	if (!stat(mpath, &sb) && mesa_decode_open(mpath, &md, err, sizeof(err)))
		fail_msg("%s", err);

	for (unsigned i = 0; i < corpus_capture_count(cap); i++) {
		struct corpus_record *rec;
		struct corpus_batch b;
		struct scan_mem m;
		int wr;

		if (corpus_record_load(cap, i, &rec, err, sizeof(err)))
			fail_msg("%s", err);
		r.rec = rec;
		r.sub = i;
		r.gen = corpus_record_gen(rec);
		r.gx = md ? genxml(r.gen) : NULL;
		corpus_record_batch(rec, &b);
		m = corpus_record_mem(rec);
		wr = walk_batch(r.gen, corpus_record_engine(rec), &m, b.gpu_address, b.bytes, &w);
		r.st.batches++;
		r.st.commands += (unsigned)w.n;
		r.st.chained += w.chained;
		r.st.second_level += w.second_level;
		if (wr)
			say(&r, w.n ? w.cmds[w.n - 1].addr : b.gpu_address,
			    w.n ? cmd_name(&w.cmds[w.n - 1].c) : NULL, "walk on %s (gen %d): %s",
			    scan_engine_name(corpus_record_engine(rec)), r.gen, w.err);
		if (md) {
			const struct mesa_batch *mb;
			int mr = mesa_decode_next(md, &mb, err, sizeof(err));

			if (mr < 0)
				fail_msg("%s: %s", mpath, err);
			if (mr == 0) {
				say(&r, b.gpu_address, NULL, "Mesa's decode has no batch for this "
				    "submission");
			} else {
				r.st.mesa_batches++;
				r.st.mesa_commands += mb->ncmds;
				if (!mb->ncmds || (mb->cmds[0].address & MASK48) != b.gpu_address)
					say(&r, b.gpu_address, NULL, "Mesa's batch %u (line %u) starts at "
					    "0x%llx, not at the submission's batch address", mb->index,
					    mb->line, mb->ncmds ? (unsigned long long)mb->cmds[0].address : 0);
				else
					compare_batch(&r, &w, mb);
			}
		}
		check_relocations(&r, &w);
		corpus_record_free(rec);
		r.rec = NULL;
	}
	if (md) {
		const struct mesa_batch *mb;
		int mr = mesa_decode_next(md, &mb, err, sizeof(err));

		if (mr > 0)
			say(&r, 0, NULL, "Mesa's decode has more batches than the %u submissions",
			    corpus_capture_count(cap));
		mesa_decode_close(md);
	}
	printf("  %-34s %3u batches %6u commands", folder, r.st.batches, r.st.commands);
	if (r.st.mesa_batches)
		printf(" | Mesa %u commands, %u agreeing commands, %lu/%lu agreeing operands",
		       r.st.mesa_commands, r.st.agree_cmds, r.st.agree_operands, r.st.operands);
	else
		printf(" | no Mesa decode");
	if (r.st.relocs)
		printf(" | relocations %u, %u in commands, %u checked ok", r.st.relocs,
		       r.st.relocs_in_cmds, r.st.relocs_ok);
	printf(" | %u disagreements\n", r.st.disagreements);
	printf("  %-34s batch starts followed: %u chained, %u second-level", "", r.st.chained,
	       r.st.second_level);
	if (r.st.mesa_batches)
		printf("; compared: %u lengths, %lu address fields (%lu address spaces), %lu genxml "
		       "fields, %lu register operands, %lu post-sync operations",
		       r.st.lengths, r.st.addr_fields, r.st.addr_as, r.st.vgt_fields, r.st.reg_ops,
		       r.st.post_syncs);
	printf("\n");
	fflush(stdout);
	walk_free(&w);
	corpus_capture_close(cap);
	if (r.st.disagreements)
		fail_msg("%s: %u disagreements (listed above)", folder, r.st.disagreements);
}

/* ======================================== the harness's own behaviour */

/* A memory view over a few little buffers for the walker test. */
struct fake_mem {
	struct {
		uint64_t gma;
		const uint32_t *dw;
		size_t n;
	} buf[4];
	unsigned nbuf;
};

static const void *fake_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	struct fake_mem *fm = ctx;

	*len = 0;
	if (as != SCAN_AS_PPGTT)
		return NULL;
	for (unsigned k = 0; k < fm->nbuf; k++)
		if (gma >= fm->buf[k].gma && gma < fm->buf[k].gma + 4 * fm->buf[k].n) {
			*len = (size_t)(fm->buf[k].gma + 4 * fm->buf[k].n - gma);
			return (const uint8_t *)fm->buf[k].dw + (gma - fm->buf[k].gma);
		}
	return NULL;
}

#define MI_NOOP      0x00000000u
#define MI_BBE       0x05000000u
#define MI_BBS_PPGTT 0x18800101u /* length 3, address space PPGTT */
#define MI_BBS_2ND   (MI_BBS_PPGTT | (1u << 22))

static void test_walk_follows_second_level_and_chained_batch_starts(void **state)
{
	/* A: noop, 2nd-level start -> B, noop, chained start -> C, (never) */
	static const uint32_t a[] = { MI_NOOP, MI_BBS_2ND, 0x20000, 0, MI_NOOP,
				      MI_BBS_PPGTT, 0x30000, 0, MI_BBE };
	static const uint32_t b[] = { MI_NOOP, MI_BBE };
	static const uint32_t c[] = { MI_NOOP, MI_NOOP, MI_BBE, MI_NOOP };
	static const uint64_t expect[] = { 0x10000, 0x10004, 0x20000, 0x20004, 0x10010,
					   0x10014, 0x30000, 0x30004, 0x30008 };
	struct fake_mem fm = { .buf = { { 0x10000, a, 9 }, { 0x20000, b, 2 }, { 0x30000, c, 4 } },
			       .nbuf = 3 };
	struct scan_mem m = { fake_map, &fm };
	struct walk w = { 0 };

	(void)state;
	assert_int_equal(walk_batch(SCAN_GEN9, SCAN_VCS, &m, 0x10000, sizeof(a), &w), 0);
	assert_int_equal(w.n, sizeof(expect) / sizeof(expect[0]));
	for (size_t k = 0; k < w.n; k++)
		assert_int_equal(w.cmds[k].addr, expect[k]);
	assert_int_equal(w.cmds[2].level, 2);
	assert_int_equal(w.cmds[4].level, 1);
	assert_int_equal(w.cmds[6].level, 1);
	walk_free(&w);
}

static void test_walk_reports_a_batch_without_end_and_an_unmapped_jump(void **state)
{
	static const uint32_t a[] = { MI_NOOP, MI_NOOP };
	static const uint32_t j[] = { MI_BBS_PPGTT, 0x90000, 0, MI_BBE };
	struct fake_mem fm = { .buf = { { 0x10000, a, 2 }, { 0x20000, j, 4 } }, .nbuf = 2 };
	struct scan_mem m = { fake_map, &fm };
	struct walk w = { 0 };

	(void)state;
	assert_int_equal(walk_batch(SCAN_GEN9, SCAN_RCS, &m, 0x10000, sizeof(a), &w), -1);
	assert_non_null(strstr(w.err, "without MI_BATCH_BUFFER_END"));
	assert_int_equal(walk_batch(SCAN_GEN9, SCAN_RCS, &m, 0x20000, sizeof(j), &w), -1);
	assert_non_null(strstr(w.err, "does not translate"));
	walk_free(&w);
}

static void test_mesa_decode_text_is_read_as_batches_commands_and_fields(void **state)
{
	static const char text[] =
		"    iris_fence.c:267: render batch [2] flush with 48b (0.1%) (cmds),   3 BOs\n"
		"0xfffffffefffee000:  0x11000003:  MI_LOAD_REGISTER_IMM                     \n"
		"0xfffffffefffee000:  0x11000003 : Dword 0\n"
		"    DWord Length: 3\n"
		"0xfffffffefffee004:  0x00007034 : Dword 1\n"
		"    Register Offset: 0x00007034\n"
		"0xfffffffefffee008:  0x60000060 : Dword 2\n"
		"0xfffffffefffee00c:  0x00002580 : Dword 3\n"
		"0xfffffffefffee010:  0x00010001 : Dword 4\n"
		"register L3CNTLREG (0x7034): 0x60000060\n"
		"0x00007034:  0x60000060 : Dword 0\n"
		"    SLM Enable: false\n"
		"register CS_CHICKEN1 (0x2580): 0x60000060\n"
		"0xfffffffefffee014:  0x05000000:  MI_BATCH_BUFFER_END                      \n"
		"0xfffffffefffee014:  0x05000000 : Dword 0\n"
		"pointer 0: 0x00000040\n"
		"    Not A Field Of The Command: 0x1\n"
		"BO list (length 1):\n"
		"       iris_fence.c:267: compute batch [3] flush with 8b\n"
		"0x00001000:  0x7a000004:  PIPE_CONTROL\n"
		"0x00001000:  0x7a000004 : Dword 0\n"
		"0x00001004:  0x00104000 : Dword 1\n"
		"    Post Sync Operation: 1 (Write Immediate Data)\n"
		"    Destination Address Type: 0 (PPGTT)\n"
		"0x00001008:  0xfffff060 : Dword 2\n"
		"0x0000100c:  0x0000fffe : Dword 3\n"
		"    Address: 0xfffefffff060\n";
	struct mesa_decode *md;
	const struct mesa_batch *b;
	const struct mesa_cmd *c;
	const struct mesa_field *f;
	uint32_t v;

	(void)state;
	assert_int_equal(mesa_decode_open_text(text, sizeof(text) - 1, &md), 0);
	assert_int_equal(mesa_decode_next(md, &b, NULL, 0), 1);
	assert_int_equal(b->index, 0);
	assert_int_equal(b->ncmds, 2);
	c = &b->cmds[0];
	assert_true(c->address == UINT64_C(0xfffffffefffee000));
	assert_int_equal(c->header, 0x11000003);
	assert_string_equal(c->name, "MI_LOAD_REGISTER_IMM");
	assert_int_equal(c->nfields, 2); /* the register's own fields are not the command's */
	f = mesa_cmd_field(c, "Register Offset", 0, false);
	assert_non_null(f);
	assert_true(f->is_hex);
	assert_int_equal(f->num, 0x7034);
	assert_int_equal(f->dw, 1);
	assert_true(mesa_cmd_dword(c, 3, &v));
	assert_int_equal(v, 0x2580);
	assert_false(mesa_cmd_dword(c, 5, &v));
	assert_int_equal(c->nregs, 2);
	assert_string_equal(c->regs[1].name, "CS_CHICKEN1");
	assert_int_equal(c->regs[1].offset, 0x2580);
	c = &b->cmds[1];
	assert_string_equal(c->name, "MI_BATCH_BUFFER_END");
	assert_int_equal(c->nfields, 0); /* indirect state after it is not its */

	assert_int_equal(mesa_decode_next(md, &b, NULL, 0), 1);
	assert_int_equal(b->index, 1);
	assert_int_equal(b->ncmds, 1);
	c = &b->cmds[0];
	f = mesa_cmd_field(c, "Post Sync Operation", 0, false);
	assert_non_null(f);
	assert_true(f->has_num);
	assert_int_equal(f->num, 1);
	f = mesa_cmd_field(c, "Address", 0, false);
	assert_non_null(f);
	assert_true(f->num == UINT64_C(0xfffefffff060));
	assert_int_equal(f->dw, 3);
	assert_int_equal(mesa_decode_next(md, &b, NULL, 0), 0);
	mesa_decode_close(md);
}

/* ================================================================= main */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_captures_are_present(void **state)
{
	(void)state;
	vgt_skip(VGT_SKIP_NO_SHARED, "%s/reference/captures not found (set VGT_SHARED to the shared "
		 "folder); the real-traffic conformance test did not run", shared_dir());
}

int main(void)
{
	static const struct CMUnitTest own[] = {
		cmocka_unit_test(test_mesa_decode_text_is_read_as_batches_commands_and_fields),
		cmocka_unit_test(test_walk_follows_second_level_and_chained_batch_starts),
		cmocka_unit_test(test_walk_reports_a_batch_without_end_and_an_unmapped_jump),
	};
	char root[512];
	struct CMUnitTest *tests;
	char **dirs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fails;

	fails = cmocka_run_group_tests_name("capture harness", own, NULL, NULL);

	snprintf(root, sizeof(root), "%s/reference/captures", shared_dir());
	d = opendir(root);
	if (!d) {
		static const struct CMUnitTest skip_one[] = {
			cmocka_unit_test(test_captures_are_present),
		};

		return fails + cmocka_run_group_tests_name("real captures", skip_one, NULL, NULL);
	}
	while ((de = readdir(d))) {
		char path[1024], probe[1100];
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		snprintf(probe, sizeof(probe), "%s/exec-0000.json", path);
		if (stat(path, &sb) || !S_ISDIR(sb.st_mode) || stat(probe, &sb))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			dirs = realloc(dirs, cap * sizeof(*dirs));
			if (!dirs)
				return 1;
		}
		dirs[n++] = strdup(path);
	}
	closedir(d);
	qsort(dirs, n, sizeof(*dirs), name_cmp);
	tests = calloc(n ? n : 1, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t k = 0; k < n; k++) {
		tests[k].name = strrchr(dirs[k], '/') + 1;
		tests[k].test_func = test_capture_folder;
		tests[k].initial_state = dirs[k];
	}
	printf("real captures: %s (%zu folders)\n", root, n);
	fails += _cmocka_run_group_tests("real captures", tests, n, NULL, NULL);
	for (size_t k = 0; k < n; k++)
		free(dirs[k]);
	free(dirs);
	free(tests);
	for (size_t k = 0; k < sizeof(gx_cache) / sizeof(gx_cache[0]); k++)
		mesa_genxml_free(gx_cache[k]);
	return fails;
}
