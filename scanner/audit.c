/* SPDX-License-Identifier: MIT */
/*
 * The command auditor: ring and batch walking, audit rules, shadow buffers.
 *
 * Shape of a scan:
 *   1. the entry buffer (a ring's head..tail, or a batch) becomes shadow 0;
 *   2. shadows are scanned in order; each batch is copied from guest memory
 *      into its host-private shadow in large chunks (whole contiguous runs
 *      the memory view returns, growing geometrically) and extended only when
 *      the walk reaches the copied end — never header by header;
 *   3. every decision is made on the shadow; a batch start found in a shadow
 *      appends the target as a new shadow (deduplicated by address, space and
 *      level) and records a relocation;
 *   4. at the end every shadow gets its graphics address from the allocator,
 *      relocations are written into the shadows, and each shadow's tail is
 *      zeroed to its 4 KiB end.
 * Guest memory is only ever read, through scan_mem.map().
 *
 * The hot path: one O(1) decode per command, one O(1) action lookup per
 * command (actions precomputed per table row and policy when the scanner is
 * created), MI_NOOP short-cut, no allocation and no translation per command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scanner/audit_priv.h"
#include "scanner/cmd_table.h"

/* ------------------------------------------------------------ names */

static const char *const reason_names[SCAN_R_COUNT] = {
	[SCAN_R_NONE] = "none",
	[SCAN_R_UNKNOWN_CMD] = "unknown-cmd",
	[SCAN_R_WRONG_ENGINE] = "wrong-engine",
	[SCAN_R_FORBIDDEN_CMD] = "forbidden-cmd",
	[SCAN_R_BAD_LENGTH] = "bad-length",
	[SCAN_R_BAD_FIELD] = "bad-field",
	[SCAN_R_CMD_TRUNCATED] = "cmd-truncated",
	[SCAN_R_NO_END] = "no-end",
	[SCAN_R_BATCH_TOO_LARGE] = "batch-too-large",
	[SCAN_R_UNMAPPED] = "unmapped",
	[SCAN_R_BB_NESTING] = "bb-nesting",
	[SCAN_R_BB_FLAGS] = "bb-flags",
	[SCAN_R_BB_LIMIT] = "bb-limit",
	[SCAN_R_GGTT_RANGE] = "ggtt-range",
	[SCAN_R_GGTT_SIZE] = "ggtt-size",
	[SCAN_R_HWSP_INDEX] = "hwsp-index",
	[SCAN_R_REG_RANGE] = "reg-range",
	[SCAN_R_REG_WRITE] = "reg-write",
	[SCAN_R_REG_READ] = "reg-read",
	[SCAN_R_REG_PROTECTED] = "reg-protected",
	[SCAN_R_REG_CROSS_ENGINE] = "reg-cross-engine",
	[SCAN_R_REG_PRIV_DISABLE] = "reg-priv-disable",
	[SCAN_R_REG_NONPRIV] = "reg-nonpriv",
	[SCAN_R_REG_VALUE] = "reg-value",
	[SCAN_R_RING_RANGE] = "ring-range",
	[SCAN_R_BB_CYCLE] = "bb-cycle",
};

static const char *const reason_descs[SCAN_R_COUNT] = {
	[SCAN_R_NONE] = "no violation",
	[SCAN_R_UNKNOWN_CMD] = "the header matches no command of this generation",
	[SCAN_R_WRONG_ENGINE] = "the command exists but is not legal on this engine",
	[SCAN_R_FORBIDDEN_CMD] = "the policy never lets a guest issue this command",
	[SCAN_R_BAD_LENGTH] = "the length field holds a length the command cannot have",
	[SCAN_R_BAD_FIELD] = "a field holds a reserved or unsupported value",
	[SCAN_R_CMD_TRUNCATED] = "the command runs past mapped memory or the ring tail",
	[SCAN_R_NO_END] = "the batch runs into unmapped memory without MI_BATCH_BUFFER_END",
	[SCAN_R_BATCH_TOO_LARGE] = "the batch is longer than the configured maximum",
	[SCAN_R_UNMAPPED] = "a batch start or jump target does not translate",
	[SCAN_R_BB_NESTING] = "batch start not allowed at this level (ring > 1st > 2nd)",
	[SCAN_R_BB_FLAGS] = "batch start in a mode the scanner cannot follow",
	[SCAN_R_BB_LIMIT] = "too many buffers or bytes in one submission",
	[SCAN_R_GGTT_RANGE] = "a GGTT access is not inside one of the vGPU's windows",
	[SCAN_R_GGTT_SIZE] = "a GGTT access is larger than the size cap",
	[SCAN_R_HWSP_INDEX] = "a status-page index write goes beyond the 4 KiB page",
	[SCAN_R_REG_RANGE] = "a register operand is outside the 2 MiB MMIO space or malformed",
	[SCAN_R_REG_WRITE] = "the register is not write-allowed on this engine",
	[SCAN_R_REG_READ] = "the register is not read-allowed on this engine",
	[SCAN_R_REG_PROTECTED] = "the register is in a protected block (GTT, interrupts, "
				 "fences, display, PVINFO, power, engine control)",
	[SCAN_R_REG_CROSS_ENGINE] = "the access reaches another engine's registers",
	[SCAN_R_REG_PRIV_DISABLE] = "the write disables the hardware privilege check",
	[SCAN_R_REG_NONPRIV] = "FORCE_NONPRIV would open a register outside the allow-list",
	[SCAN_R_REG_VALUE] = "the value written is not one the register's row allows",
	[SCAN_R_RING_RANGE] = "the ring's start, size, head or tail is malformed or "
			      "outside the vGPU's windows",
	[SCAN_R_BB_CYCLE] = "chained batch starts form a cycle that no command on it can "
			    "leave: the engine would run it forever",
};

const char *scan_reason_name(enum scan_reason r)
{
	return (unsigned)r < SCAN_R_COUNT ? reason_names[r] : NULL;
}

const char *scan_reason_desc(enum scan_reason r)
{
	return (unsigned)r < SCAN_R_COUNT ? reason_descs[r] : NULL;
}

int scan_reason_parse(const char *s, enum scan_reason *out)
{
	for (unsigned i = 0; s && i < SCAN_R_COUNT; i++) {
		if (!strcmp(s, reason_names[i])) {
			*out = (enum scan_reason)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const policy_names[] = { "strict", "gvt", "audit" };

const char *scan_policy_name(enum scan_policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : NULL;
}

int scan_policy_parse(const char *s, enum scan_policy *out)
{
	for (unsigned i = 0; s && i < 3; i++) {
		if (!strcmp(s, policy_names[i])) {
			*out = (enum scan_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *scan_buf_kind_name(enum scan_buf_kind k)
{
	static const char *const n[] = { "ring", "batch", "batch2" };

	return (unsigned)k < 3 ? n[k] : NULL;
}

const char *scan_event_name(enum scan_event_kind k)
{
	static const char *const n[] = { "user-interrupt", "pipe-control-notify",
					 "flush-dw-notify", "display-flip", "wait-for-event" };

	return (unsigned)k < 5 ? n[k] : NULL;
}

const char *scan_patch_name(enum scan_patch_kind k)
{
	static const char *const n[] = { "noop", "bb-reloc", "hwsp-absolute", "reg-redirect" };

	return (unsigned)k < 4 ? n[k] : NULL;
}

void scan_partition_default(struct scan_partition *p)
{
	memset(p, 0, sizeof(*p));
	p->aperture.base = SCAN_DEFAULT_APERTURE_BASE;
	p->aperture.size = SCAN_DEFAULT_APERTURE_SIZE;
	p->hidden.base = SCAN_DEFAULT_HIDDEN_BASE;
	p->hidden.size = SCAN_DEFAULT_HIDDEN_SIZE;
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
		p->hwsp[e] = SCAN_DEFAULT_APERTURE_BASE + 0x1000ull * e;
}

/* ---------------------------------------------------- per-row actions */

/* What the auditor does with a command (precomputed per row and policy). */
enum act_kind {
	ACT_ALLOW = 0,   /* nothing the auditor must see */
	ACT_FORBID,      /* the policy forbids it */
	ACT_UNKNOWN,     /* gvt: not in GVT-g's table */
	ACT_HANDLER,     /* rule in audit_cmd(), by `h` */
	ACT_GENERIC,     /* GGTT-selectable address operands, no specific rule */
};

struct act {
	uint8_t kind;      /* enum act_kind */
	uint8_t h;         /* enum scan_handler: the row's handler id */
	uint8_t exact_len; /* required total dwords (0: any the decoder accepts) */
	uint8_t gvt_len;   /* GVT-g's F_LEN_VAR_FIXED length (0: none) */
};

#define F_STRICT 1u /* forbidden under strict and audit */
#define F_GVT    2u /* forbidden under gvt */
#define U_GVT    4u /* unknown to GVT-g (missing from its table) */
#define RULE     8u /* audit_handler() has a rule for it */

struct cmd_rule {
	uint8_t gvt_len;
	uint8_t flags;
};

/* The auditor's decisions per handler id (the row's `handler`, set by
 * tools/genxml2c.py and the hand-written tables).  Strict lengths come from
 * the row itself (len_exact); gvt_len is GVT-g's own fixed length.  A row
 * without a handler is allowed when its address operands are PPGTT-only
 * (state lives in the context's PPGTT, protected by the shadow page
 * tables), GENERIC when one can select GGTT. */
static const struct cmd_rule cmd_rules[SCAN_H_COUNT] = {
	[SCAN_H_ATOMIC] = { 0, RULE },
	[SCAN_H_BB_END] = { 0, RULE },
	[SCAN_H_BB_START] = { 3, RULE },
	[SCAN_H_CLFLUSH] = { 0, F_STRICT | F_GVT },
	[SCAN_H_COND_BB_END] = { 4, RULE | F_GVT },
	[SCAN_H_COPY_MEM_MEM] = { 5, RULE | F_GVT },
	[SCAN_H_DISPLAY_FLIP] = { 0, RULE },
	[SCAN_H_FLUSH_DW] = { 0, RULE },
	[SCAN_H_LOAD_SCAN_LINES] = { 0, RULE },
	[SCAN_H_LOAD_URB_MEM] = { 4, 0 },
	[SCAN_H_LRI] = { 0, RULE },
	[SCAN_H_LRM] = { 4, RULE },
	[SCAN_H_LRR] = { 3, RULE },
	[SCAN_H_PIPE_CONTROL] = { 0, RULE },
	[SCAN_H_REPORT_PERF] = { 4, F_STRICT | F_GVT },
	[SCAN_H_RS_STORE_DATA_IMM] = { 4, 0 },
	[SCAN_H_SDI] = { 0, RULE },
	[SCAN_H_SDX] = { 0, F_STRICT | F_GVT },
	[SCAN_H_SEMAPHORE_SIGNAL] = { 2, 0 },
	[SCAN_H_SEMAPHORE_WAIT] = { 4, F_STRICT | F_GVT },
	[SCAN_H_SET_CONTEXT] = { 0, F_STRICT | U_GVT },
	[SCAN_H_SRM] = { 4, RULE },
	[SCAN_H_UPDATE_GTT] = { 0, F_STRICT | F_GVT },
	[SCAN_H_URB_CLEAR] = { 2, 0 },
	[SCAN_H_USER_INTERRUPT] = { 0, RULE },
	[SCAN_H_WAIT_FOR_EVENT] = { 0, RULE },
};

/* GVT-g's table as the fact sheet describes it (gvt-g.md §9, "Video
 * engine"): the rows it has no entry for, which the gvt policy calls
 * unknown.  A fact about another implementation's table, not about the
 * hardware, so it is kept here by name; looked up once per row when a
 * scanner is created, never per command. */
static const char *const gvt_unknown_names[] = {
	"MFX_VP8_PIC_STATE", "MFD_VP8_BSD_OBJECT", "MFC_JPEG_HUFF_TABLE_STATE",
	"MFC_JPEG_SCAN_OBJECT", "VD_PIPELINE_FLUSH",
};
static const char *const gvt_unknown_prefixes[] = { "HCP_", "VDENC_", "HUC_" };

static bool gvt_lacks(const struct scan_cmd_desc *d)
{
	const char *name = d->name ? d->name : "";

	if (d->handler < SCAN_H_COUNT && (cmd_rules[d->handler].flags & U_GVT))
		return true;
	for (unsigned i = 0; i < sizeof(gvt_unknown_names) / sizeof(char *); i++)
		if (!strcmp(name, gvt_unknown_names[i]))
			return true;
	for (unsigned i = 0; i < sizeof(gvt_unknown_prefixes) / sizeof(char *); i++)
		if (!strncmp(name, gvt_unknown_prefixes[i], strlen(gvt_unknown_prefixes[i])))
			return true;
	return false;
}

static struct act compute_act(const struct scan_cmd_desc *d, enum scan_policy pol)
{
	struct act a = { ACT_ALLOW, SCAN_H_NONE, 0, 0 };
	const struct cmd_rule rule = d->handler < SCAN_H_COUNT ? cmd_rules[d->handler]
								: (struct cmd_rule){ 0, 0 };

	if (pol == SCAN_POLICY_GVT && gvt_lacks(d)) {
		a.kind = ACT_UNKNOWN;
		return a;
	}
	if (pol == SCAN_POLICY_GVT ? (rule.flags & F_GVT) : (rule.flags & F_STRICT)) {
		a.kind = ACT_FORBID;
		return a;
	}
	a.gvt_len = rule.gvt_len;
	a.exact_len = pol == SCAN_POLICY_GVT ? rule.gvt_len
					     : (uint8_t)scan_desc_exact_len(d);
	if (rule.flags & RULE) {
		a.h = d->handler;
		a.kind = ACT_HANDLER;
		return a;
	}
	for (unsigned i = 0; i < d->naddrs; i++)
		if (d->addrs && d->addrs[i].sel_bit >= 0)
			a.kind = ACT_GENERIC;
	return a;
}

/* ------------------------------------------------------------- state */

struct sbuf {
	uint32_t *data;
	size_t cap;     /* bytes */
	size_t copied;  /* bytes copied from the guest (batches) */
	size_t limit;   /* bytes this buffer may grow to */
	bool done;      /* scanned and finished in this scan */
	uint8_t mark;   /* check_cycles() walk state */
	uint16_t next;  /* shadow its closing chained start jumps to (NO_SHADOW: none) */
	uint32_t next_off; /* dword offset of that start */
};

struct reloc {
	uint16_t parent;  /* shadow holding the batch start */
	uint16_t child;   /* target shadow */
	uint32_t offset;  /* dword offset of the batch start in the parent */
};

struct scan_ctx {
	struct scan_config cfg;
	enum scan_gen gen;
	enum scan_policy pol;
	bool all;

	/* action table: rows of the generation's table, then the XY_* rows */
	unsigned nrows;     /* rows of the generation's table (scan_table_row) */
	struct act *acts;

	/* per scan */
	enum scan_engine eng;
	const struct scan_mem *mem;
	bool stop;
	uint64_t total_bytes;
	uint64_t bump[2];

	struct scan_result res;
	struct scan_shadow *sh;   /* max_buffers entries */
	struct sbuf *bufs;        /* max_buffers entries, kept across scans */
	unsigned nsh;
	struct scan_violation *viol;
	unsigned nviol;
	struct scan_event *ev;
	unsigned nev, ev_cap;
	struct scan_patch *pa;
	unsigned npa, pa_cap;
	struct reloc *rel;
	unsigned nrel, rel_cap;
	/* ring scans: ring geometry for addresses of ring commands */
	struct scan_ring ring;
};

#define NO_SHADOW 0xffffu

static int default_alloc(void *ctx, enum scan_as as, uint64_t bytes, uint64_t *gma)
{
	struct scan_ctx *s = ctx;
	uint64_t base = as == SCAN_AS_GGTT ? SCAN_SHADOW_GGTT_BASE : SCAN_SHADOW_PPGTT_BASE;
	uint64_t size = as == SCAN_AS_GGTT ? SCAN_SHADOW_GGTT_SIZE : SCAN_SHADOW_PPGTT_SIZE;
	uint64_t *bump = &s->bump[as == SCAN_AS_GGTT ? 0 : 1];

	if (bytes > size - *bump)
		return -ENOSPC;
	*gma = base + *bump;
	*bump += bytes;
	return 0;
}

int scan_new(const struct scan_config *cfg, struct scan_ctx **out)
{
	struct scan_ctx *s;

	if (!cfg || !out || cfg->sz < offsetof(struct scan_config, shadow_alloc_ctx) +
					     sizeof(void *))
		return -EINVAL;
	int oerr = VGT_OPTS_CHECK(cfg); /* a newer caller's unknown fields must be zero */
	if (oerr)
		return oerr;
	/* Fields appended later (after shadow_alloc_ctx) read as zero when the
	 * caller's struct is older: memcpy below copies only cfg->sz bytes. */
	if (cfg->gen != SCAN_GEN8 && cfg->gen != SCAN_GEN9)
		return -EINVAL;
	if ((unsigned)cfg->policy > SCAN_POLICY_AUDIT)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(&s->cfg, cfg, sizeof(s->cfg) < cfg->sz ? sizeof(s->cfg) : cfg->sz);
	s->cfg.sz = sizeof(s->cfg);
	s->gen = cfg->gen;
	s->pol = cfg->policy;
	if (!s->cfg.part.aperture.size && !s->cfg.part.hidden.size)
		scan_partition_default(&s->cfg.part);
	if (!s->cfg.max_batch_bytes)
		s->cfg.max_batch_bytes = SCAN_DEFAULT_MAX_BATCH;
	if (s->cfg.max_batch_bytes > SCAN_HARD_MAX_BATCH)
		s->cfg.max_batch_bytes = SCAN_HARD_MAX_BATCH;
	if (!s->cfg.max_total_bytes)
		s->cfg.max_total_bytes = SCAN_DEFAULT_MAX_TOTAL;
	if (!s->cfg.max_buffers)
		s->cfg.max_buffers = SCAN_DEFAULT_MAX_BUFFERS;
	if (s->cfg.max_buffers > 4096)
		s->cfg.max_buffers = 4096;
	if (!s->cfg.max_violations)
		s->cfg.max_violations = SCAN_DEFAULT_MAX_VIOL;
	s->all = s->cfg.all_violations || s->pol == SCAN_POLICY_AUDIT;
	if (!s->cfg.shadow_alloc) {
		s->cfg.shadow_alloc = default_alloc;
		s->cfg.shadow_alloc_ctx = s;
	}

	s->nrows = scan_table_size(s->gen);
	s->acts = calloc(s->nrows + 1, sizeof(*s->acts));
	s->sh = calloc(s->cfg.max_buffers, sizeof(*s->sh));
	s->bufs = calloc(s->cfg.max_buffers, sizeof(*s->bufs));
	s->viol = calloc(s->cfg.max_violations, sizeof(*s->viol));
	if (!s->acts || !s->sh || !s->bufs || !s->viol) {
		scan_free(s);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < s->nrows; i++)
		s->acts[i] = compute_act(scan_table_row(s->gen, i), s->pol);
	*out = s;
	return 0;
}

void scan_free(struct scan_ctx *s)
{
	if (!s)
		return;
	if (s->bufs)
		for (unsigned i = 0; i < s->cfg.max_buffers; i++)
			free(s->bufs[i].data);
	free(s->bufs);
	free(s->sh);
	free(s->viol);
	free(s->ev);
	free(s->pa);
	free(s->rel);
	free(s->acts);
	free(s);
}

bool scan_row_is_plain(const struct scan_cmd_desc *d, enum scan_policy pol)
{
	struct act a = compute_act(d, pol);

	return a.kind == ACT_ALLOW && !a.exact_len;
}

/* O(1): the action of the row's index in the generation's table. */
static struct act act_of(const struct scan_ctx *s, const struct scan_cmd_desc *d)
{
	int i = scan_table_index(s->gen, d);

	if (i >= 0 && (unsigned)i < s->nrows)
		return s->acts[i];
	return compute_act(d, s->pol); /* a row from elsewhere: slow but right */
}

/* ------------------------------------------------------- bookkeeping */

struct cur {            /* the command being audited */
	unsigned si;        /* shadow index */
	uint32_t off;       /* dword offset in the shadow */
	uint64_t gma;
	const char *name;
};

static uint64_t cmd_gma(const struct scan_ctx *s, unsigned si, uint32_t off)
{
	const struct scan_shadow *sh = &s->sh[si];

	if (sh->kind == SCAN_BUF_RING && s->ring.size)
		return s->ring.start + (((uint64_t)s->ring.head + 4ull * off) % s->ring.size);
	return sh->gma + 4ull * off;
}

__attribute__((format(printf, 5, 6)))
static void violate(struct scan_ctx *s, const struct cur *c, uint16_t reason, uint64_t value,
		    const char *fmt, ...)
{
	if (!s->nviol && !s->res.violations_truncated)
		s->res.first_reason = reason;
	if (s->pol != SCAN_POLICY_AUDIT)
		s->res.pass = false;
	if (s->nviol < s->cfg.max_violations) {
		struct scan_violation *v = &s->viol[s->nviol++];
		const struct scan_shadow *sh = c->si != NO_SHADOW ? &s->sh[c->si] : NULL;
		va_list ap;

		memset(v, 0, sizeof(*v));
		v->reason = reason;
		v->buffer = sh ? sh->kind : SCAN_BUF_RING;
		v->as = sh ? sh->as : SCAN_AS_GGTT;
		v->shadow = (uint16_t)c->si;
		v->offset = c->off;
		v->gma = c->gma;
		v->command = c->name ? c->name : "?";
		v->value = value;
		va_start(ap, fmt);
		vsnprintf(v->message, sizeof(v->message), fmt, ap);
		va_end(ap);
	} else {
		s->res.violations_truncated = true;
	}
	if (!s->all)
		s->stop = true;
}

static int grow(void **p, unsigned *cap, unsigned need, size_t elem)
{
	if (need <= *cap)
		return 0;
	unsigned n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, (size_t)n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int add_event(struct scan_ctx *s, const struct cur *c, uint8_t kind, uint32_t value)
{
	if (grow((void **)&s->ev, &s->ev_cap, s->nev + 1, sizeof(*s->ev)))
		return -ENOMEM;
	s->ev[s->nev++] = (struct scan_event){ .kind = kind, .buffer = s->sh[c->si].kind,
					       .shadow = (uint16_t)c->si, .offset = c->off,
					       .gma = c->gma, .value = value };
	return 0;
}

static int add_patch(struct scan_ctx *s, const struct cur *c, uint8_t kind, uint32_t dwords,
		     uint64_t oldv, uint64_t newv)
{
	if (grow((void **)&s->pa, &s->pa_cap, s->npa + 1, sizeof(*s->pa)))
		return -ENOMEM;
	s->pa[s->npa++] = (struct scan_patch){ .kind = kind, .shadow = (uint16_t)c->si,
					       .offset = c->off, .dwords = dwords,
					       .old_value = oldv, .new_value = newv };
	return 0;
}

/* ------------------------------------------------------ address rules */

static bool in_window(const struct scan_window *w, uint64_t a, uint64_t n)
{
	return w->size && a >= w->base && a - w->base < w->size && n <= w->size - (a - w->base);
}

static const struct scan_window *window_of(const struct scan_ctx *s, uint64_t a)
{
	if (in_window(&s->cfg.part.aperture, a, 1))
		return &s->cfg.part.aperture;
	if (in_window(&s->cfg.part.hidden, a, 1))
		return &s->cfg.part.hidden;
	return NULL;
}

/* A GGTT access of `n` bytes at `a`: start to end inside ONE window. */
static bool audit_ggtt(struct scan_ctx *s, const struct cur *c, uint64_t a, uint64_t n,
		       const char *what)
{
	const struct scan_partition *p = &s->cfg.part;

	if (n > SCAN_GGTT_ACCESS_CAP) {
		violate(s, c, SCAN_R_GGTT_SIZE, n, "%s: GGTT access of %llu bytes exceeds the "
			"%u-byte cap", what, (unsigned long long)n, SCAN_GGTT_ACCESS_CAP);
		return false;
	}
	if (in_window(&p->aperture, a, n) || in_window(&p->hidden, a, n))
		return true;
	violate(s, c, SCAN_R_GGTT_RANGE, a,
		"%s: GGTT [0x%llx, +%llu) is not inside one vGPU window (aperture 0x%llx+0x%llx, "
		"hidden 0x%llx+0x%llx)", what, (unsigned long long)a, (unsigned long long)n,
		(unsigned long long)p->aperture.base, (unsigned long long)p->aperture.size,
		(unsigned long long)p->hidden.base, (unsigned long long)p->hidden.size);
	return false;
}

static uint64_t addr48(uint32_t lo, uint32_t hi, uint32_t lowmask)
{
	return ((uint64_t)(hi & 0xffff) << 32) | (lo & ~lowmask);
}

/* Bits [start, end] counted across the command (genxml numbering); bits
 * beyond the command read as zero. */
static uint64_t get_bits(const uint32_t *dw, uint32_t ndw, unsigned start, unsigned end)
{
	uint64_t v = 0;

	for (unsigned b = start, i = 0; b <= end && i < 64; b++, i++) {
		unsigned w = b / 32;

		if (w < ndw && (dw[w] >> (b % 32)) & 1)
			v |= 1ull << i;
	}
	return v;
}

/* ------------------------------------------------------------ shadows */

static int sbuf_reserve(struct sbuf *b, size_t bytes)
{
	if (bytes <= b->cap)
		return 0;
	size_t n = b->cap ? b->cap : 16384;
	while (n < bytes)
		n *= 2;
	void *q = realloc(b->data, n);
	if (!q)
		return -ENOMEM;
	b->data = q;
	b->cap = n;
	return 0;
}

/* Extends the copy of batch `si` to at least `need` bytes.  0, or
 * -EFBIG (past the buffer's limit), -EFAULT (unmapped), -ENOMEM. */
static int extend(struct scan_ctx *s, unsigned si, size_t need)
{
	struct sbuf *b = &s->bufs[si];
	const struct scan_shadow *sh = &s->sh[si];

	if (need > b->limit)
		return -EFBIG;
	while (b->copied < need) {
		size_t want = b->copied + (b->copied > 8192 ? b->copied : 8192);
		uint64_t a = sh->gma + b->copied;
		size_t len = 0;

		if (want < need)
			want = need;
		if (want > b->limit)
			want = b->limit;
		if (sh->as == SCAN_AS_PPGTT ? a >= (1ull << 48) : a >= (1ull << 32))
			return -EFAULT;
		const void *p = s->mem->map(s->mem->ctx, (enum scan_as)sh->as, a, &len);
		if (!p || !len)
			return -EFAULT;
		if (len > want - b->copied)
			len = want - b->copied;
		len &= ~(size_t)3;
		if (!len)
			return -EFAULT;
		if (sbuf_reserve(b, b->copied + len))
			return -ENOMEM;
		memcpy((char *)b->data + b->copied, p, len);
		b->copied += len;
	}
	return 0;
}

/* Appends (or finds) the shadow for a buffer starting at gma. */
static int add_shadow(struct scan_ctx *s, const struct cur *c, uint8_t kind, uint8_t as,
		      uint64_t gma, unsigned *out)
{
	for (unsigned i = 0; i < s->nsh; i++) {
		if (s->sh[i].gma == gma && s->sh[i].as == as && s->sh[i].kind == kind &&
		    kind != SCAN_BUF_RING) {
			*out = i;
			return 0;
		}
	}
	if (s->nsh >= s->cfg.max_buffers) {
		violate(s, c, SCAN_R_BB_LIMIT, s->nsh, "more than %u buffers in one submission",
			s->cfg.max_buffers);
		return -ENOSPC;
	}
	unsigned i = s->nsh++;
	struct scan_shadow *sh = &s->sh[i];

	memset(sh, 0, sizeof(*sh));
	sh->kind = kind;
	sh->as = as;
	sh->gma = gma;
	sh->parent = c ? (uint16_t)c->si : NO_SHADOW;
	s->bufs[i].copied = 0;
	s->bufs[i].limit = s->cfg.max_batch_bytes;
	s->bufs[i].done = false;
	s->bufs[i].next = NO_SHADOW;
	*out = i;
	return 0;
}

static int add_reloc(struct scan_ctx *s, unsigned parent, unsigned child, uint32_t off)
{
	if (grow((void **)&s->rel, &s->rel_cap, s->nrel + 1, sizeof(*s->rel)))
		return -ENOMEM;
	s->rel[s->nrel++] = (struct reloc){ (uint16_t)parent, (uint16_t)child, off };
	return 0;
}

/* ------------------------------------------------------------- rules */

enum step {
	STEP_NEXT = 0,  /* continue after the command */
	STEP_END,       /* the buffer ends after this command */
	STEP_ABORT,     /* stop scanning this buffer (length not trustworthy) */
};

static void noop_cmd(struct scan_ctx *s, const struct cur *c, uint32_t *dw, uint32_t n)
{
	add_patch(s, c, SCAN_PATCH_NOOP, n, dw[0], 0);
	memset(dw, 0, 4ull * n);
}

static void reg_rule(struct scan_ctx *s, const struct cur *c, uint32_t regdw, enum reg_op op,
		     uint32_t value)
{
	char msg[sizeof(((struct scan_violation *)0)->message)];
	uint16_t r;

	if (regdw & ~0x7ffffcu) {
		violate(s, c, SCAN_R_REG_RANGE, regdw,
			"register operand 0x%08x has bits set outside 22:2", regdw);
		return;
	}
	r = scan_reg_audit(s->gen, s->eng, s->pol, regdw, op, value, msg, sizeof(msg));
	if (r)
		violate(s, c, r, regdw, "%s", msg);
}

/* Batch start: level rules, target shadow, relocation. */
static enum step rule_bb_start(struct scan_ctx *s, const struct cur *c, const uint32_t *dw,
			       uint32_t n)
{
	const struct scan_shadow *sh = &s->sh[c->si];
	uint32_t h = dw[0];
	bool ppgtt = h & (1u << 8), second = h & (1u << 22), pred = h & (1u << 15);
	uint8_t as = ppgtt ? SCAN_AS_PPGTT : SCAN_AS_GGTT;
	uint64_t target = addr48(dw[1], n > 2 ? dw[2] : 0, 3);
	uint8_t kind;
	unsigned child;

	if (h & (1u << 16)) {
		violate(s, c, SCAN_R_BB_FLAGS, h, "batch start with Add Offset Enable: the target "
			"depends on a register the scanner cannot see");
		return STEP_ABORT;
	}
	if (sh->kind == SCAN_BUF_BATCH2) {
		violate(s, c, SCAN_R_BB_NESTING, target,
			"batch start inside a second-level batch (depth would exceed 2)");
		return STEP_ABORT;
	}
	if (sh->kind == SCAN_BUF_RING) {
		if (second) {
			violate(s, c, SCAN_R_BB_NESTING, target,
				"second-level batch start from the ring");
			return STEP_NEXT;
		}
		kind = SCAN_BUF_BATCH;
	} else {
		kind = second ? SCAN_BUF_BATCH2 : SCAN_BUF_BATCH;
	}
	/* After a chained start this buffer is done, unless the start is
	 * predicated (it may fall through).  The ring and a 2nd-level caller
	 * continue after the return. */
	enum step after = (sh->kind == SCAN_BUF_BATCH && !second && !pred) ? STEP_END : STEP_NEXT;

	if (s->pol == SCAN_POLICY_GVT && ppgtt && !s->cfg.gvt_scan_nonpriv)
		return after; /* GVT-g: non-privileged batches are not scanned */
	if (!ppgtt && !window_of(s, target)) {
		audit_ggtt(s, c, target, 4, "batch start target");
		return after;
	}
	if (add_shadow(s, c, kind, as, target, &child))
		return STEP_ABORT;
	if (add_reloc(s, c->si, child, c->off)) {
		s->stop = true;
		return STEP_ABORT;
	}
	if (after == STEP_END) {
		/* The unconditional way out of this batch: check_cycles(). */
		s->bufs[c->si].next = (uint16_t)child;
		s->bufs[c->si].next_off = c->off;
	}
	return after;
}

static void rule_post_sync_write(struct scan_ctx *s, const struct cur *c, uint32_t *dw,
				 bool ggtt, bool index, uint64_t a, unsigned lo, unsigned hi,
				 uint32_t *selword, uint32_t selbit, uint32_t *idxword,
				 uint32_t idxbit, const char *what)
{
	if (index) {
		if (a > 4096 - 8) {
			violate(s, c, SCAN_R_HWSP_INDEX, a, "%s: status-page index 0x%llx is beyond "
				"the 4 KiB page", what, (unsigned long long)a);
			return;
		}
		/* Redirect into the vGPU's own status page, as an absolute GGTT
		 * write (the engine's HWSP is the host's).  The page must itself
		 * be the vGPU's: a partition whose status page is unset or
		 * outside its windows gets no redirect. */
		uint64_t abs = s->cfg.part.hwsp[s->eng] + a;

		if (!s->cfg.part.hwsp[s->eng] || !(in_window(&s->cfg.part.aperture, abs, 8) ||
						   in_window(&s->cfg.part.hidden, abs, 8))) {
			violate(s, c, SCAN_R_HWSP_INDEX, a, "%s: the vGPU's status page for %s "
				"(0x%llx) is not inside its windows; no redirect possible", what,
				scan_engine_name(s->eng),
				(unsigned long long)s->cfg.part.hwsp[s->eng]);
			return;
		}

		dw[lo] = (uint32_t)abs & ~7u;
		dw[hi] = (uint32_t)(abs >> 32);
		*selword |= selbit;
		*idxword &= ~idxbit;
		add_patch(s, c, SCAN_PATCH_HWSP, 0, a, abs);
		return;
	}
	if (ggtt)
		audit_ggtt(s, c, a, 8, what);
}

static enum step audit_handler(struct scan_ctx *s, const struct cur *c, struct act a,
			       uint32_t *dw, uint32_t n)
{
	uint32_t h = dw[0];
	bool gvt = s->pol == SCAN_POLICY_GVT;

	switch (a.h) {
	case SCAN_H_BB_START:
		return rule_bb_start(s, c, dw, n);
	case SCAN_H_BB_END:
		if (s->sh[c->si].kind == SCAN_BUF_RING) {
			violate(s, c, SCAN_R_BB_NESTING, h, "MI_BATCH_BUFFER_END in the ring");
			return STEP_NEXT;
		}
		return STEP_END;
	case SCAN_H_COND_BB_END:
		if (n < 3 || n > 4) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected 4 (3 on Gen8)", n);
			return STEP_NEXT;
		}
		if (h & (1u << 22))
			audit_ggtt(s, c, addr48(dw[2], n > 3 ? dw[3] : 0, 7), 8,
				   "conditional batch end compare address");
		return STEP_NEXT;
	case SCAN_H_LRI:
		if (n < 3 || !(n & 1)) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords: an LRI is a header and "
				"whole (register, value) pairs", n);
			return STEP_NEXT;
		}
		for (uint32_t i = 1; i + 1 < n && !s->stop; i += 2) {
			uint32_t reg = dw[i];

			if (gvt && (reg == 0x44050 || reg == 0xa188)) {
				/* GVT-g: DERRMR / FORCEWAKE_MT writes discarded
				 * through the PVINFO page. */
				dw[i] = 0x78000;
				add_patch(s, c, SCAN_PATCH_REG, 1, reg, 0x78000);
				continue;
			}
			reg_rule(s, c, reg, REGOP_LRI, dw[i + 1]);
		}
		return STEP_NEXT;
	case SCAN_H_LRM:
	case SCAN_H_SRM:
		reg_rule(s, c, dw[1], a.h == SCAN_H_LRM ? REGOP_LRM : REGOP_SRM, 0);
		if (h & (1u << 22))
			audit_ggtt(s, c, addr48(dw[2], dw[3], 3), 4,
				   a.h == SCAN_H_LRM ? "LRM source" : "SRM destination");
		return STEP_NEXT;
	case SCAN_H_LRR:
		reg_rule(s, c, dw[1], REGOP_LRR_SRC, 0);
		reg_rule(s, c, dw[2], REGOP_LRR_DST, 0);
		return STEP_NEXT;
	case SCAN_H_SDI: {
		bool ggtt = h & (1u << 22), qw = h & (1u << 21);
		uint32_t want = qw ? 5 : 4;

		if ((!gvt || ggtt) && n != want) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected %u (Store Qword %s)",
				n, want, qw ? "set" : "clear");
			return STEP_NEXT;
		}
		if (ggtt && n >= 4) {
			uint64_t size = 4ull * (n - 3);

			if (dw[1] & 1)
				size *= 2; /* core mode: offset by one size */
			audit_ggtt(s, c, addr48(dw[1], dw[2], 3), size, "store data address");
		}
		return STEP_NEXT;
	}
	case SCAN_H_ATOMIC: {
		bool inl = h & (1u << 18);
		uint32_t ds = (h >> 19) & 3;

		if (n != (inl ? 11u : 3u)) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected %u (Inline Data %s)",
				n, inl ? 11 : 3, inl ? "set" : "clear");
			return STEP_NEXT;
		}
		if (ds == 3) {
			violate(s, c, SCAN_R_BAD_FIELD, h, "MI_ATOMIC data size 3 is reserved");
			return STEP_NEXT;
		}
		if (h & (1u << 22))
			audit_ggtt(s, c, addr48(dw[1], dw[2], 3), 4ull << ds, "atomic address");
		return STEP_NEXT;
	}
	case SCAN_H_COPY_MEM_MEM:
		if (h & (1u << 21))
			audit_ggtt(s, c, addr48(dw[1], dw[2], 3), 4, "copy destination");
		if (!s->stop && (h & (1u << 22)))
			audit_ggtt(s, c, addr48(dw[3], dw[4], 3), 4, "copy source");
		return STEP_NEXT;
	case SCAN_H_FLUSH_DW: {
		uint32_t ps = (h >> 14) & 3;

		if (n != 4 && n != 5) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected 4 or 5", n);
			return STEP_NEXT;
		}
		if (h & (1u << 8))
			add_event(s, c, SCAN_EV_FLUSH_DW_NOTIFY, h);
		if (!ps)
			return STEP_NEXT;
		if (ps == 3)
			reg_rule(s, c, scan_engine_mmio_base(s->eng) + 0x358, REGOP_POSTSYNC_READ, 0);
		if (!s->stop)
			rule_post_sync_write(s, c, dw, dw[1] & 4, h & (1u << 21),
					     addr48(dw[1], dw[2], 7), 1, 2, &dw[1], 4, &dw[0],
					     1u << 21, "MI_FLUSH_DW post-sync write");
		return STEP_NEXT;
	}
	case SCAN_H_PIPE_CONTROL: {
		if (n < 5) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected 6", n);
			return STEP_NEXT;
		}
		uint32_t d1 = dw[1], ps = (d1 >> 14) & 3;

		if (d1 & (1u << 8))
			add_event(s, c, SCAN_EV_PIPE_CONTROL_NOTIFY, d1);
		if (d1 & (1u << 23)) {
			reg_rule(s, c, dw[2], REGOP_PC_WRITE, dw[4]);
			return STEP_NEXT;
		}
		if (!ps)
			return STEP_NEXT;
		if (ps == 2)
			reg_rule(s, c, 0x2350, REGOP_POSTSYNC_READ, 0);
		else if (ps == 3)
			reg_rule(s, c, 0x2358, REGOP_POSTSYNC_READ, 0);
		if (!s->stop)
			rule_post_sync_write(s, c, dw, d1 & (1u << 24), d1 & (1u << 21),
					     addr48(dw[2], dw[3], 3), 2, 3, &dw[1], 1u << 24,
					     &dw[1], 1u << 21, "PIPE_CONTROL post-sync write");
		return STEP_NEXT;
	}
	case SCAN_H_USER_INTERRUPT:
		add_event(s, c, SCAN_EV_USER_INTERRUPT, h);
		noop_cmd(s, c, dw, n);
		return STEP_NEXT;
	case SCAN_H_WAIT_FOR_EVENT: {
		/* Flip-pending bits: GVT-g's list (planes A/B/C primary and
		 * sprite); strict NOOPs any wait on the host's display. */
		uint32_t flips = (1u << 1) | (1u << 2) | (1u << 9) | (1u << 10) | (1u << 15) |
				 (1u << 20);
		uint32_t bits = h & 0x007fffff;

		if (gvt ? (bits & flips) : bits) {
			add_event(s, c, SCAN_EV_WAIT_FOR_EVENT, bits);
			noop_cmd(s, c, dw, n);
		}
		return STEP_NEXT;
	}
	case SCAN_H_DISPLAY_FLIP:
		if (n != 3 && n != 4) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; expected 3 or 4", n);
			return STEP_NEXT;
		}
		add_event(s, c, SCAN_EV_DISPLAY_FLIP, h);
		noop_cmd(s, c, dw, n);
		return STEP_NEXT;
	case SCAN_H_LOAD_SCAN_LINES:
		if (!gvt)
			noop_cmd(s, c, dw, n);
		return STEP_NEXT;
	}
	return STEP_NEXT;
}

static void audit_generic(struct scan_ctx *s, const struct cur *c, const struct scan_cmd_desc *d,
			  const uint32_t *dw, uint32_t n)
{
	for (unsigned i = 0; i < d->naddrs && !s->stop; i++) {
		const struct scan_addr_desc *ad = &d->addrs[i];

		if (ad->sel_bit < 0)
			continue;
		if (get_bits(dw, n, (unsigned)ad->sel_bit, (unsigned)ad->sel_bit) != ad->sel_ggtt_val)
			continue;
		uint64_t a = get_bits(dw, n, ad->start, ad->end) << (ad->start % 32);
		/* genxml address fields start at the first significant bit: the
		 * value is the address with its low (start % 32) bits dropped. */
		audit_ggtt(s, c, a, 4, ad->name ? ad->name : "address operand");
	}
}

/* -------------------------------------------------------------- walking */

static bool other_engine_knows(const struct scan_ctx *s, const uint32_t *dw, size_t avail)
{
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		struct scan_cmd oc;

		if (e == (unsigned)s->eng)
			continue;
		if (scan_decode(s->gen, (enum scan_engine)e, dw, avail, &oc) != SCAN_CMD_UNKNOWN)
			return true;
	}
	return false;
}

static void finish_buffer(struct scan_ctx *s, unsigned si, size_t bytes)
{
	struct scan_shadow *sh = &s->sh[si];
	struct sbuf *b = &s->bufs[si];
	size_t size = (bytes + 4095) & ~(size_t)4095;

	if (!size)
		size = 4096;
	if (sbuf_reserve(b, size)) {
		s->stop = true;
		return;
	}
	/* Zero everything after the checked end: the shadow's tail and any
	 * guest bytes copied beyond it. */
	size_t dirty = b->copied > size ? b->copied : size;
	if (dirty > b->cap)
		dirty = b->cap;
	memset((char *)b->data + bytes, 0, dirty - bytes);
	b->copied = bytes;
	b->done = true;
	sh->bytes = (uint32_t)bytes;
	sh->size = (uint32_t)size;
	sh->data = b->data;
}

/*
 * The hot path, kept small so its state lives in registers: skips MI_NOOPs
 * and every command the header cache knows and the policy has nothing to
 * check in, and returns the dword offset of the first command that needs
 * more (or ndw).  *ncmd counts the commands skipped.
 */
/*
 * PIPE_CONTROL and MI_FLUSH_DW are the most frequent commands with rules;
 * most ask for nothing the rules look at: no notify, no status-page index,
 * no MMIO write, no GGTT destination, post-sync op 0 or "write immediate"
 * (through the PPGTT).  Those stay on the hot path.  The length must be
 * the one the rules require.
 */
#define PC_AUDITED ((1u << 8) | (1u << 15) | (1u << 21) | (1u << 23) | (1u << 24))
#define FDW_AUDITED ((1u << 8) | (1u << 15) | (1u << 21))

static inline bool plain_flush(const struct scan_fast_ent *e, uint32_t h, const uint32_t *dw,
			       size_t avail)
{
	if (e->flags & SCAN_FAST_PIPE_CONTROL)
		return (h & 0xff) == 4 && avail >= 6 && !(dw[1] & PC_AUDITED);
	if (e->flags & SCAN_FAST_FLUSH_DW)
		return ((h & 0x3f) == 2 || (h & 0x3f) == 3) && avail >= 3 && !(h & FDW_AUDITED) &&
		       (!(h & (1u << 14)) || !(dw[1] & 4));
	return false;
}

__attribute__((noinline))
static uint32_t fast_skip(const struct scan_fast_table *ft, uint8_t plain, const uint32_t *data,
			  uint32_t off, uint32_t ndw, uint32_t *ncmd)
{
	uint32_t n = 0;

	while (off < ndw) {
		uint32_t h = data[off];

		if (!h) {
			off++;
			n++;
			continue;
		}
		const struct scan_fast_ent *e = scan_fast_lookup(ft, h);
		if (!e)
			break;
		if (!(e->flags & plain) && !plain_flush(e, h, data + off, ndw - off))
			break;
		/* The offset advances on a length guessed from the header
		 * alone (scan_fast_guess), so the next header's load does not
		 * wait for the entry; the entry's own rule is checked beside
		 * it and wins when they differ. */
		uint32_t guess = scan_fast_guess(h);
		uint32_t len = scan_fast_len(e, h);

		if (__builtin_expect(len != guess, 0)) {
			if (len > ndw - off)
				break;
			off += len;
			n++;
			continue;
		}
		if (guess > ndw - off)
			break;
		off += guess;
		n++;
	}
	*ncmd += n;
	return off;
}

/* Why a batch's copy could not be extended to the next command (cold). */
__attribute__((cold, noinline))
static void copy_failed(struct scan_ctx *s, unsigned si, uint32_t off, int err)
{
	const struct scan_shadow *sh = &s->sh[si];
	const struct sbuf *b = &s->bufs[si];
	struct cur c = { .si = si, .off = off, .gma = cmd_gma(s, si, off), .name = NULL };

	if (err == -ENOMEM)
		s->stop = true;
	else if (err == -EFBIG && sh->as == SCAN_AS_GGTT && b->limit < s->cfg.max_batch_bytes)
		violate(s, &c, SCAN_R_GGTT_RANGE, c.gma,
			"GGTT batch runs past the end of its window at 0x%llx",
			(unsigned long long)c.gma);
	else if (err == -EFBIG)
		violate(s, &c, SCAN_R_BATCH_TOO_LARGE, b->limit,
			"no batch end within %zu bytes (the maximum batch size)", b->limit);
	else if (off == 0)
		violate(s, &c, SCAN_R_UNMAPPED, c.gma, "%s batch at 0x%llx does not translate",
			scan_as_name((enum scan_as)sh->as), (unsigned long long)c.gma);
	else
		violate(s, &c, SCAN_R_NO_END, c.gma, "batch runs into unmapped memory at 0x%llx "
			"without MI_BATCH_BUFFER_END", (unsigned long long)c.gma);
}

/*
 * The decoder for a command the header cache does not answer, or one
 * crossing the copied end (the copy is extended first).  Fills *d and *n
 * and returns true, or reports an unknown or truncated command and returns
 * false (the buffer ends there).  *data and *ndw follow the copy.
 */
static bool decode_slow(struct scan_ctx *s, unsigned si, uint32_t off, struct cur *c,
			uint32_t **data, size_t *ndw, const struct scan_cmd_desc **d, uint32_t *n)
{
	struct sbuf *b = &s->bufs[si];
	bool ring = s->sh[si].kind == SCAN_BUF_RING;
	uint32_t *dw = *data + off;
	struct scan_cmd cmd;
	enum scan_cmd_status st = scan_decode(s->gen, s->eng, dw, *ndw - off, &cmd);

	if (st == SCAN_CMD_TRUNCATED && !ring) {
		int err = extend(s, si, ((size_t)off + cmd.dwords) * 4);

		*data = b->data;
		*ndw = b->copied / 4;
		dw = *data + off;
		if (!err)
			st = scan_decode(s->gen, s->eng, dw, *ndw - off, &cmd);
		else if (err == -ENOMEM)
			s->stop = true;
	}
	c->name = cmd.desc ? scan_desc_name(cmd.desc) : NULL;
	if (st == SCAN_CMD_UNKNOWN) {
		if (other_engine_knows(s, dw, *ndw - off))
			violate(s, c, SCAN_R_WRONG_ENGINE, dw[0], "header 0x%08x is not a %s command",
				dw[0], scan_engine_name(s->eng));
		else
			violate(s, c, SCAN_R_UNKNOWN_CMD, dw[0], "header 0x%08x matches no command",
				dw[0]);
		return false;
	}
	if (st == SCAN_CMD_TRUNCATED) {
		violate(s, c, SCAN_R_CMD_TRUNCATED, cmd.dwords, "%u-dword command crosses %s",
			cmd.dwords, ring ? "the ring tail"
					 : "the end of mapped memory or the batch limit");
		return false;
	}
	*d = cmd.desc;
	*n = cmd.dwords;
	return true;
}

/* The rules for one command with something to audit. */
static enum step audit_cmd(struct scan_ctx *s, const struct cur *c, struct act a,
			   const struct scan_cmd_desc *d, uint32_t *dw, uint32_t n)
{
	switch (a.kind) {
	case ACT_ALLOW:
		if (a.exact_len && n != a.exact_len)
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; %s has exactly %u", n,
				c->name, a.exact_len);
		return STEP_NEXT;
	case ACT_FORBID:
		violate(s, c, SCAN_R_FORBIDDEN_CMD, dw[0], "%s is never allowed for guests "
			"(%s policy)", c->name, scan_policy_name(s->pol));
		return STEP_NEXT;
	case ACT_UNKNOWN:
		violate(s, c, SCAN_R_UNKNOWN_CMD, dw[0], "%s is not in GVT-g's command table",
			c->name);
		return STEP_ABORT;
	case ACT_GENERIC:
		if (a.exact_len && n != a.exact_len)
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; %s has exactly %u", n,
				c->name, a.exact_len);
		else
			audit_generic(s, c, d, dw, n);
		return STEP_NEXT;
	case ACT_HANDLER:
		if (a.exact_len && n != a.exact_len) {
			violate(s, c, SCAN_R_BAD_LENGTH, n, "%u dwords; %s has exactly %u", n,
				c->name, a.exact_len);
			return a.h == SCAN_H_BB_START ? STEP_ABORT : STEP_NEXT;
		}
		return audit_handler(s, c, a, dw, n);
	}
	return STEP_NEXT;
}

/* Bookkeeping once a buffer's walk stopped at dword `off`. */
static void buffer_done(struct scan_ctx *s, unsigned si, uint32_t off, uint32_t ncmd)
{
	struct sbuf *b = &s->bufs[si];
	size_t end_bytes = (size_t)off * 4;

	s->sh[si].commands = ncmd;
	s->res.commands += ncmd;
	if (end_bytes > b->copied)
		end_bytes = b->copied;
	s->total_bytes += end_bytes;
	s->res.bytes += end_bytes;
	if (s->total_bytes > s->cfg.max_total_bytes && !s->stop) {
		struct cur c = { .si = si, .off = off, .gma = cmd_gma(s, si, off), .name = NULL };

		violate(s, &c, SCAN_R_BB_LIMIT, s->total_bytes,
			"submission exceeds %u bytes of commands", s->cfg.max_total_bytes);
		s->stop = true;
	}
	finish_buffer(s, si, end_bytes);
}

/*
 * Scans one buffer (ring or batch) from dword 0: fast_skip() over every
 * command with nothing to audit, then, per command that leaves it, the
 * header cache's row (or decode_slow()) and audit_cmd().
 */
static void scan_buffer(struct scan_ctx *s, unsigned si)
{
	struct scan_shadow *sh = &s->sh[si];
	struct sbuf *b = &s->bufs[si];
	bool ring = sh->kind == SCAN_BUF_RING;
	uint32_t off = 0, ncmd = 0;
	struct cur c = { .si = si };
	const struct scan_fast_table *ft = scan_fast_table(s->gen, s->eng);
	const struct act *acts = s->acts;
	const uint8_t plain = s->pol == SCAN_POLICY_GVT ? SCAN_FAST_ALLOW_GVT : SCAN_FAST_ALLOW_STRICT;
	uint32_t *data = b->data;
	size_t ndw = b->copied / 4;

	if (!ring && sh->as == SCAN_AS_GGTT) {
		const struct scan_window *w = window_of(s, sh->gma);

		/* Never copy past the end of the window the batch starts in. */
		if (w && w->base + w->size - sh->gma < b->limit)
			b->limit = (size_t)(w->base + w->size - sh->gma);
	}
	while (!s->stop) {
		off = fast_skip(ft, plain, data, off, (uint32_t)ndw, &ncmd);
		if (off >= ndw) {
			if (ring)
				break; /* reached the tail */
			int err = extend(s, si, (size_t)off * 4 + 4);
			if (err) {
				copy_failed(s, si, off, err);
				break;
			}
			data = b->data;
			ndw = b->copied / 4;
		}

		/* Past the hot path: a command with something to audit, one
		 * the cache does not know, or one crossing the copied end. */
		uint32_t h = data[off];
		const struct scan_fast_ent *fe;
		const struct scan_cmd_desc *d = NULL;
		uint32_t n = 0;

		if (h == 0)
			continue; /* the copy was extended: back to the hot path */
		fe = scan_fast_lookup(ft, h);
		if (fe) {
			n = scan_fast_len(fe, h);
			d = scan_fast_row(ft, fe);
		}
		c.off = off;
		c.gma = cmd_gma(s, si, off);
		c.name = d ? d->name : NULL;
		ncmd++;
		struct act a;

		if (d && n <= ndw - off) {
			a = acts[fe->row];
		} else {
			if (!decode_slow(s, si, off, &c, &data, &ndw, &d, &n))
				break;
			a = act_of(s, d);
		}
		enum step step = audit_cmd(s, &c, a, d, data + off, n);
		off += n;
		if (step == STEP_END || step == STEP_ABORT)
			break;
	}
	buffer_done(s, si, off, ncmd);
}

static void reset(struct scan_ctx *s, enum scan_engine eng, const struct scan_mem *mem)
{
	memset(&s->res, 0, sizeof(s->res));
	s->res.pass = true;
	s->eng = eng;
	s->mem = mem;
	s->stop = false;
	s->total_bytes = 0;
	s->bump[0] = s->bump[1] = 0;
	s->nsh = s->nviol = s->nev = s->npa = s->nrel = 0;
	memset(&s->ring, 0, sizeof(s->ring));
}

/* ------------------------------------------------------------ cycles */

/*
 * bb-cycle.  A first-level batch ends at its first chained batch start that
 * is not predicated; bufs[i].next records where that start goes (a shadow:
 * same address space, address and level).  Following `next` from any batch
 * therefore follows the only way execution can leave it, unless a command
 * inside offers another.  A cycle of `next` links is an infinite loop when
 * no batch on it can be left otherwise: the shadows are host-private and
 * read-only to the GPU, so nothing the guest writes later (a CPU store of
 * MI_BATCH_BUFFER_END over the loop, IGT's spinner trick) reaches what the
 * engine runs.  Ways out, any of which makes the cycle unprovable and is
 * accepted: MI_CONDITIONAL_BATCH_BUFFER_END, a predicated batch start,
 * MI_PREDICATE / MI_SET_PREDICATE (predication may skip the closing start),
 * MI_SEMAPHORE_WAIT, and anything of that kind inside a second-level batch
 * a cycle member calls (or a call the scan did not follow).  MI_ARB_CHECK
 * only lets the host preempt: not a way out.  Runs once after the walk, off
 * the hot path; the members are re-read from their shadows only when a
 * cycle exists.
 */
static bool shadow_has_exit(const struct scan_ctx *s, unsigned si, bool second)
{
	const uint32_t *dw = s->bufs[si].data;
	uint32_t ndw = s->sh[si].bytes / 4;

	for (uint32_t off = 0; off < ndw;) {
		struct scan_cmd c;

		if (scan_decode(s->gen, s->eng, dw + off, ndw - off, &c) != SCAN_CMD_OK ||
		    !c.dwords)
			return true; /* cannot read it: cannot prove anything */
		switch (c.desc->handler) {
		case SCAN_H_COND_BB_END:
		case SCAN_H_PREDICATE:
		case SCAN_H_SEMAPHORE_WAIT:
			return true;
		case SCAN_H_BB_END:
			if (!second)
				return true; /* a first-level end: the chain ends */
			break;
		case SCAN_H_BB_START: {
			uint32_t h = c.header;
			uint64_t target = c.dwords >= 3 ? addr48(dw[off + 1], dw[off + 2], 3) : 0;
			uint8_t as = h & (1u << 8) ? SCAN_AS_PPGTT : SCAN_AS_GGTT;
			unsigned callee = NO_SHADOW;

			if (second || (h & ((1u << 15) | (1u << 16))) || c.dwords < 3)
				return true; /* predicated / offset / nested: not provable */
			if (!(h & (1u << 22))) {
				/* the closing start (the batch ends there) */
				if (off + c.dwords != ndw)
					return true;
				break;
			}
			for (unsigned i = 0; i < s->nsh; i++)
				if (s->sh[i].kind == SCAN_BUF_BATCH2 && s->sh[i].as == as &&
				    s->sh[i].gma == target)
					callee = i;
			if (callee == NO_SHADOW || shadow_has_exit(s, callee, true))
				return true;
			break;
		}
		default:
			break;
		}
		off += c.dwords;
	}
	return false;
}

/* The cycle through shadow `first`: refused unless a member can be left. */
static void refuse_cycle(struct scan_ctx *s, unsigned first)
{
	unsigned n = 0, last = first, i = first;

	do {
		if (s->sh[i].kind != SCAN_BUF_BATCH || shadow_has_exit(s, i, false))
			return;
		if (i > last)
			last = i;
		n++;
		i = s->bufs[i].next;
	} while (i != first && n <= s->nsh);

	/* Reported at the start that closed the cycle: the member scanned last. */
	struct cur c = { .si = last, .off = s->bufs[last].next_off,
			 .gma = cmd_gma(s, last, s->bufs[last].next_off),
			 .name = "MI_BATCH_BUFFER_START" };
	const struct scan_shadow *to = &s->sh[s->bufs[last].next];

	violate(s, &c, SCAN_R_BB_CYCLE, to->gma,
		"chained start to %s 0x%llx closes a cycle of %u batch%s with no way out "
		"(conditional end, predicated start, predicate, semaphore wait): endless", scan_as_name((enum scan_as)to->as),
		(unsigned long long)to->gma, n, n == 1 ? "" : "es");
}

static void check_cycles(struct scan_ctx *s)
{
	enum { UNSEEN = 0, ON_WALK, DONE };

	for (unsigned i = 0; i < s->nsh; i++)
		s->bufs[i].mark = UNSEEN;
	/* Every shadow has at most one `next`: walk each chain once. */
	for (unsigned i = 0; i < s->nsh && !s->stop; i++) {
		unsigned j = i;

		while (j != NO_SHADOW && s->bufs[j].mark == UNSEEN) {
			s->bufs[j].mark = ON_WALK;
			j = s->bufs[j].next;
		}
		if (j != NO_SHADOW && s->bufs[j].mark == ON_WALK)
			refuse_cycle(s, j);
		for (j = i; j != NO_SHADOW && s->bufs[j].mark == ON_WALK; j = s->bufs[j].next)
			s->bufs[j].mark = DONE;
	}
}

/* Scans queued shadows, then allocates shadow addresses and relocates. */
static int run(struct scan_ctx *s, const struct scan_result **out)
{
	for (unsigned i = 0; i < s->nsh; i++) {
		if (s->bufs[i].done)
			continue;
		if (s->stop)
			finish_buffer(s, i, 0); /* never scanned: empty, zeroed */
		else
			scan_buffer(s, i);
	}
	if (!s->stop && s->pol != SCAN_POLICY_GVT) /* GVT-g has no such rule */
		check_cycles(s);
	for (unsigned i = 0; i < s->nsh; i++) {
		struct scan_shadow *sh = &s->sh[i];
		int err = s->cfg.shadow_alloc(s->cfg.shadow_alloc_ctx, (enum scan_as)sh->as,
					      sh->size, &sh->shadow_gma);
		if (err)
			return err < 0 ? err : -ENOSPC;
	}
	for (unsigned i = 0; i < s->nrel; i++) {
		const struct reloc *r = &s->rel[i];
		uint32_t *dw = s->bufs[r->parent].data + r->offset;
		uint64_t to = s->sh[r->child].shadow_gma;

		if (((size_t)r->offset + 3) * 4 > s->sh[r->parent].bytes)
			continue;
		struct cur c = { .si = r->parent, .off = r->offset };
		add_patch(s, &c, SCAN_PATCH_BB_RELOC, 2, s->sh[r->child].gma, to);
		dw[1] = (uint32_t)to & ~3u;
		dw[2] = (uint32_t)(to >> 32) & 0xffff;
	}
	s->res.violations = s->viol;
	s->res.nviolations = s->nviol;
	s->res.shadows = s->sh;
	s->res.nshadows = s->nsh;
	s->res.events = s->ev;
	s->res.nevents = s->nev;
	s->res.patches = s->pa;
	s->res.npatches = s->npa;
	if (s->pol == SCAN_POLICY_AUDIT)
		s->res.pass = true;
	*out = &s->res;
	return 0;
}

int scan_batch(struct scan_ctx *s, enum scan_engine eng, const struct scan_mem *mem,
	       uint64_t gma, enum scan_as as, const struct scan_result **out)
{
	unsigned si;

	if (!s || !mem || !mem->map || !out || (unsigned)eng >= SCAN_NUM_ENGINES ||
	    (as != SCAN_AS_GGTT && as != SCAN_AS_PPGTT))
		return -EINVAL;
	reset(s, eng, mem);
	if (s->pol == SCAN_POLICY_GVT && as == SCAN_AS_PPGTT && !s->cfg.gvt_scan_nonpriv)
		return run(s, out); /* GVT-g does not scan non-privileged batches */
	add_shadow(s, NULL, SCAN_BUF_BATCH, (uint8_t)as, gma, &si);
	if ((gma & 3) || (as == SCAN_AS_GGTT && !window_of(s, gma))) {
		struct cur c = { .si = si, .off = 0, .gma = gma };

		if (gma & 3)
			violate(s, &c, SCAN_R_BAD_FIELD, gma, "batch address 0x%llx is not dword "
				"aligned", (unsigned long long)gma);
		else
			audit_ggtt(s, &c, gma, 4, "batch start");
		s->stop = true;
	}
	return run(s, out);
}

int scan_ring(struct scan_ctx *s, enum scan_engine eng, const struct scan_mem *mem,
	      const struct scan_ring *ring, const struct scan_result **out)
{
	unsigned si;

	if (!s || !mem || !mem->map || !ring || !out || (unsigned)eng >= SCAN_NUM_ENGINES)
		return -EINVAL;
	reset(s, eng, mem);
	add_shadow(s, NULL, SCAN_BUF_RING, SCAN_AS_GGTT, ring->start, &si);

	struct cur c = { .si = si, .off = 0, .gma = ring->start, .name = NULL };
	const struct scan_partition *p = &s->cfg.part;

	if ((ring->start & 4095) || !ring->size || (ring->size & 4095) || ring->size > (2u << 20) ||
	    ring->head >= ring->size || ring->tail >= ring->size || (ring->head & 3) ||
	    (ring->tail & 3)) {
		violate(s, &c, SCAN_R_RING_RANGE, ring->start,
			"ring start 0x%llx size 0x%x head 0x%x tail 0x%x: start must be 4 KiB "
			"aligned, size a multiple of 4 KiB up to 2 MiB, head and tail dword "
			"offsets inside it", (unsigned long long)ring->start, ring->size,
			ring->head, ring->tail);
		s->stop = true;
		return run(s, out);
	}
	if (!in_window(&p->aperture, ring->start, ring->size) &&
	    !in_window(&p->hidden, ring->start, ring->size)) {
		violate(s, &c, SCAN_R_RING_RANGE, ring->start,
			"ring [0x%llx, +0x%x) is not inside one vGPU window",
			(unsigned long long)ring->start, ring->size);
		s->stop = true;
		return run(s, out);
	}
	s->ring = *ring;

	/* Copy head..tail (wrapping) once into the shadow ring. */
	uint32_t len = (ring->tail - ring->head + ring->size) % ring->size;
	struct sbuf *b = &s->bufs[si];

	if (sbuf_reserve(b, len + 4)) {
		return -ENOMEM;
	}
	b->limit = len;
	for (uint32_t done = 0; done < len;) {
		uint32_t pos = (ring->head + done) % ring->size;
		uint32_t chunk = len - done;
		size_t got = 0;

		if (chunk > ring->size - pos)
			chunk = ring->size - pos;
		const void *ptr = mem->map(mem->ctx, SCAN_AS_GGTT, ring->start + pos, &got);
		if (!ptr || got < 4) {
			c.off = done / 4;
			c.gma = ring->start + pos;
			violate(s, &c, SCAN_R_UNMAPPED, c.gma, "ring page at 0x%llx does not translate",
				(unsigned long long)c.gma);
			s->stop = true;
			b->copied = done;
			return run(s, out);
		}
		if (chunk > got)
			chunk = (uint32_t)got & ~3u;
		memcpy((char *)b->data + done, ptr, chunk);
		done += chunk;
	}
	b->copied = len;
	scan_buffer(s, si);
	return run(s, out);
}
