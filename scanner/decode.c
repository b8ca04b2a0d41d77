/* SPDX-License-Identifier: MIT */
/*
 * Header decode with O(1) lookup, length rules, field extraction and the
 * operands the auditor and the humans care about.
 *
 * Lookup: per (generation, engine) one direct-index array per header class
 * on the type/opcode bits -- MI (type 0) on bits 28:23, 2D (type 2) on bits
 * 28:22, 3D/media/MFX/VEBOX (type 3) on bits 28:16 -- holding a row index.
 * A row's DW0 mask may cover more bits than the index (sub-opcodes below bit
 * 16), so a slot may hold a tiny fixed chain of rows that differ in those
 * bits; the hit is always verified with (header & mask) == value.  Which
 * classes an engine decodes follows the hardware (gvt-g.md 1.1): every
 * engine decodes MI; only the blitter decodes type 2; the render, video and
 * video-enhance engines decode type 3 (each with its own rows); types 1 and
 * 4-7 decode nowhere.  The arrays are built once per generation
 * (pthread_once) from the rows; conflicts found while building are counted
 * and reported through scan_decode_conflicts().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cmd_table.h"

/* ---------------------------------------------------------- the index */

/*
 * One slot array per engine, indexed without a branch on the header class:
 * key = base[type] + ((header >> shift[type]) & mask[type]).  Slot 0 is the
 * always-empty slot of types 1 and 4-7; then MI (bits 28:23), 2D (28:22) and
 * 3D/media/video (28:16).
 */
#define SLOT_MI   1u
#define SLOT_2D   (SLOT_MI + 64u)
#define SLOT_3D   (SLOT_2D + 128u)
#define NSLOTS    (SLOT_3D + 8192u)

static const uint16_t key_base[8] = { SLOT_MI, 0, SLOT_2D, SLOT_3D, 0, 0, 0, 0 };
static const uint8_t key_shift[8] = { 23, 0, 22, 16, 0, 0, 0, 0 };
static const uint16_t key_mask[8] = { 0x3f, 0, 0x7f, 0x1fff, 0, 0, 0, 0 };

static inline unsigned slot_key(uint32_t h)
{
	unsigned t = h >> 29;

	return key_base[t] + ((h >> key_shift[t]) & key_mask[t]);
}

#define SLOT_CHAIN   0x8000u /* slot holds a chain id, not a row */
#define CHAIN_LEN    4       /* rows sharing one slot, at most */
#define CHAINS_MAX   256     /* chains per engine */
#define ROWS_MAX     1024    /* rows per generation the index can hold */

/* What a decode needs of a row, packed: one load after the slot. */
struct entry {
	uint32_t mask, value; /* DW0 match */
	uint32_t len_mask;    /* SCAN_LEN_VAR: the length field; FIXED: 0 */
	uint32_t len_add;     /* SCAN_LEN_VAR: bias; FIXED: the total */
	const struct scan_cmd_desc *desc;
};

/*
 * Slot contents: 0 empty; row + 1; or SLOT_CHAIN | chain id.  The hot path
 * reads `fast` instead: 0 empty; or row + 1 in bits 14:0 with the length
 * rule beside it -- width of the (low) length field in bits 20:16, the
 * bias or fixed total in bits 31:21 -- so the length needs no second
 * dependent load; bit 15 (FAST_SLOW) sends chains and unusual length rules
 * to the general lookup through `slot`.
 */
#define FAST_SLOW    0x8000u
#define FAST_ROW(f)  ((f) & 0x7fffu)
#define FAST_WIDTH(f) (((f) >> 16) & 0x1fu)
#define FAST_ADD(f)  ((f) >> 21)

struct eng_index {
	uint32_t fast[NSLOTS];
	uint16_t slot[NSLOTS];
	uint16_t chain[CHAINS_MAX][CHAIN_LEN]; /* row + 1, 0 ends the chain */
	unsigned nchains;
	const struct entry *noop; /* the row of header 0, if any */
};

struct gen_index {
	enum scan_gen gen;
	pthread_once_t once;
	int ready; /* set (release) once built: the fast path skips pthread_once */
	unsigned nrows;
	struct entry rows[ROWS_MAX];
	struct eng_index eng[SCAN_NUM_ENGINES];
	int conflicts;
	char msg[256];
};

static struct gen_index index_gen8 = { .gen = SCAN_GEN8, .once = PTHREAD_ONCE_INIT };
static struct gen_index index_gen9 = { .gen = SCAN_GEN9, .once = PTHREAD_ONCE_INIT };

/* Header classes each engine decodes (bit = type field value). */
static const uint8_t engine_types[SCAN_NUM_ENGINES] = {
	[SCAN_RCS] = (1u << 0) | (1u << 3),
	[SCAN_BCS] = (1u << 0) | (1u << 2),
	[SCAN_VCS] = (1u << 0) | (1u << 3),
	[SCAN_VECS] = (1u << 0) | (1u << 3),
};

static void note_conflict(struct gen_index *gi, const char *what, const char *a, const char *b,
			  unsigned eng, uint32_t header)
{
	if (gi->conflicts++ == 0)
		snprintf(gi->msg, sizeof(gi->msg), "gen%d %s: %s and %s %s (header 0x%08x)",
			 (int)gi->gen, scan_engine_name((enum scan_engine)eng), a ? a : "?",
			 b ? b : "?", what, header);
}

/* Two rows match a common header when they agree on every bit both masks cover. */
static int rows_overlap(const struct entry *a, const struct entry *b)
{
	return ((a->value ^ b->value) & a->mask & b->mask) == 0;
}

static void slot_insert(struct gen_index *gi, unsigned eng, uint16_t *slot, unsigned row,
			uint32_t header)
{
	struct eng_index *ei = &gi->eng[eng];
	const struct entry *d = &gi->rows[row];
	uint16_t *chain;
	unsigned n;

	if (*slot == 0) {
		*slot = (uint16_t)(row + 1);
		return;
	}
	if (!(*slot & SLOT_CHAIN)) {
		const struct entry *x = &gi->rows[*slot - 1];

		if (rows_overlap(x, d)) {
			note_conflict(gi, "both match one header", x->desc->name, d->desc->name, eng,
				      header);
			return;
		}
		if (ei->nchains >= CHAINS_MAX) {
			note_conflict(gi, "share a slot and no chain is left", x->desc->name,
				      d->desc->name, eng, header);
			return;
		}
		chain = ei->chain[ei->nchains];
		memset(chain, 0, sizeof(ei->chain[0]));
		chain[0] = *slot;
		chain[1] = (uint16_t)(row + 1);
		*slot = (uint16_t)(SLOT_CHAIN | ei->nchains++);
		return;
	}
	chain = ei->chain[*slot & ~SLOT_CHAIN];
	for (n = 0; n < CHAIN_LEN && chain[n]; n++) {
		const struct entry *x = &gi->rows[chain[n] - 1];

		if (rows_overlap(x, d)) {
			note_conflict(gi, "both match one header", x->desc->name, d->desc->name, eng,
				      header);
			return;
		}
	}
	if (n == CHAIN_LEN) {
		note_conflict(gi, "share a slot already holding 4 rows",
			      gi->rows[chain[0] - 1].desc->name, d->desc->name, eng, header);
		return;
	}
	chain[n] = (uint16_t)(row + 1);
}

/* Enters a row into every slot of one class of one engine whose index bits
 * its mask/value admit (one slot when the mask covers all index bits). */
static void index_row(struct gen_index *gi, unsigned eng, unsigned type, unsigned row)
{
	const struct entry *d = &gi->rows[row];
	uint32_t all = key_mask[type], shift = key_shift[type];
	uint32_t covered, fixed, free_bits, sub;

	if (!all)
		return;
	/* The row must admit this type value in bits 31:29. */
	if ((((uint32_t)type << 29) ^ d->value) & d->mask & 0xe0000000u)
		return;
	covered = (d->mask >> shift) & all;
	fixed = (d->value >> shift) & covered;
	free_bits = all & ~covered;
	sub = 0;
	do {
		uint32_t idx = fixed | sub;
		uint32_t header = ((uint32_t)type << 29) | (idx << shift) |
				  (d->value & ~(0xe0000000u | (all << shift)));

		slot_insert(gi, eng, &gi->eng[eng].slot[key_base[type] + idx], row, header);
		sub = (sub - free_bits) & free_bits;
	} while (sub);
}

static inline const struct entry *lookup(const struct gen_index *gi, const struct eng_index *ei,
					 uint32_t h)
{
	uint16_t s = ei->slot[slot_key(h)];

	if (!s)
		return NULL;
	if (__builtin_expect(!(s & SLOT_CHAIN), 1)) {
		const struct entry *d = &gi->rows[s - 1];

		return (h & d->mask) == d->value ? d : NULL;
	}
	for (unsigned i = 0; i < CHAIN_LEN; i++) {
		uint16_t r = ei->chain[s & ~SLOT_CHAIN][i];
		const struct entry *d;

		if (!r)
			break;
		d = &gi->rows[r - 1];
		if ((h & d->mask) == d->value)
			return d;
	}
	return NULL;
}

/* The hot-path form of a slot (see struct eng_index). */
static uint32_t fast_slot(const struct gen_index *gi, uint16_t s)
{
	const struct entry *d;
	unsigned width = 0;

	if (!s)
		return 0;
	if (s & SLOT_CHAIN)
		return FAST_SLOW;
	d = &gi->rows[s - 1];
	while (width < 16 && (d->len_mask >> width) & 1)
		width++;
	if (d->len_mask != (1u << width) - 1 || d->len_add == 0 || d->len_add > 0x7ff ||
	    s > 0x7fff)
		return FAST_SLOW;
	return s | (uint32_t)width << 16 | d->len_add << 21;
}

/* Where build_index reads rows 0..n-1 from (the tables, or a unit test's). */
typedef const struct scan_cmd_desc *(*row_source)(enum scan_gen gen, unsigned i);

static void build_index(struct gen_index *gi, unsigned n, row_source row)
{

	if (n > ROWS_MAX) {
		gi->conflicts++;
		snprintf(gi->msg, sizeof(gi->msg), "gen%d: %u rows, the index holds %u",
			 (int)gi->gen, n, ROWS_MAX);
		n = ROWS_MAX;
	}
	gi->nrows = n;
	for (unsigned i = 0; i < n; i++) {
		const struct scan_cmd_desc *d = row(gi->gen, i);
		struct entry *e = &gi->rows[i];

		e->desc = d;
		e->mask = d->mask;
		e->value = d->value;
		if (d->len_kind == SCAN_LEN_VAR) {
			e->len_mask = d->len_mask;
			e->len_add = d->bias;
		} else {
			e->len_mask = 0;
			e->len_add = d->len_fixed;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		const struct scan_cmd_desc *d = gi->rows[i].desc;

		if (d->min_gen && (unsigned)gi->gen < d->min_gen)
			continue; /* a later generation's command: unknown here */
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			if (!(d->engines & SCAN_ENGINE_BIT(e)))
				continue;
			for (unsigned t = 0; t < 8; t++)
				if (engine_types[e] & (1u << t))
					index_row(gi, e, t, i);
		}
	}
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		struct eng_index *ei = &gi->eng[e];

		for (unsigned k = 0; k < NSLOTS; k++)
			ei->fast[k] = fast_slot(gi, ei->slot[k]);
		/* MI_NOOP (header 0) skips the lookup. */
		ei->noop = lookup(gi, ei, 0);
	}
	__atomic_store_n(&gi->ready, 1, __ATOMIC_RELEASE);
}

static void build_gen8(void)
{
	build_index(&index_gen8, scan_table_size(SCAN_GEN8), scan_table_row);
}

static void build_gen9(void)
{
	build_index(&index_gen9, scan_table_size(SCAN_GEN9), scan_table_row);
}

static inline struct gen_index *get_index(enum scan_gen gen)
{
	struct gen_index *gi;

	if (gen == SCAN_GEN9)
		gi = &index_gen9;
	else if (gen == SCAN_GEN8)
		gi = &index_gen8;
	else
		return NULL;
	if (__builtin_expect(!__atomic_load_n(&gi->ready, __ATOMIC_ACQUIRE), 0))
		pthread_once(&gi->once, gen == SCAN_GEN9 ? build_gen9 : build_gen8);
	return gi;
}

int scan_decode_conflicts(enum scan_gen gen, char *msg, size_t msglen)
{
	struct gen_index *gi = get_index(gen);

	if (!gi)
		return -EINVAL;
	if (msg && msglen)
		snprintf(msg, msglen, "%s", gi->conflicts ? gi->msg : "");
	return gi->conflicts;
}

/* ------------------------------------------------------------ decoding */

/*
 * Display-only length of a header no row matches, by header class: MI
 * opcodes below 0x20 are header-only, the others carry a 6-bit length;
 * 2D and 3D an 8-bit one; the media pipeline (type 3, pipeline 2) on the
 * render engine a 16-bit one; MFX/HCP and VEBOX (type 3 on the video
 * engines) a 12-bit one.  Types 1 and 4-7: one dword.  Never used to audit.
 */
static uint32_t guess_length(enum scan_engine eng, uint32_t h)
{
	switch (h >> 29) {
	case 0:
		return ((h >> 23) & 0x3f) < 0x20 ? 1 : (h & 0x3f) + 2;
	case 2:
		return (h & 0xff) + 2;
	case 3:
		if (eng == SCAN_VCS || eng == SCAN_VECS)
			return (h & 0xfff) + 2;
		if (((h >> 27) & 3) == 2)
			return (h & 0xffff) + 2;
		return (h & 0xff) + 2;
	}
	return 1;
}

/* scan_decode with a given index (NULL: unsupported generation). */
static inline enum scan_cmd_status decode_with(const struct gen_index *gi, enum scan_engine eng,
					       const uint32_t *buf, size_t ndw,
					       struct scan_cmd *out)
{
	struct scan_cmd tmp;
	const struct entry *d = NULL;
	uint32_t h, len;

	if (!out)
		out = &tmp;
	out->dw = buf;
	out->avail = ndw > UINT32_MAX ? UINT32_MAX : (uint32_t)ndw;
	out->len_is_guess = false;
	if (__builtin_expect(!buf || ndw == 0, 0)) {
		out->desc = NULL;
		out->avail = 0;
		out->header = 0;
		out->dwords = 1;
		out->status = SCAN_CMD_TRUNCATED;
		return SCAN_CMD_TRUNCATED;
	}
	h = buf[0];
	out->header = h;
	if (__builtin_expect(gi && (unsigned)eng < SCAN_NUM_ENGINES, 1)) {
		const struct eng_index *ei = &gi->eng[eng];
		uint32_t f;

		if (h == 0) {
			d = ei->noop;
		} else if (f = ei->fast[slot_key(h)], __builtin_expect(f && !(f & FAST_SLOW), 1)) {
			/* The length comes from the slot, in parallel with the
			 * row's verification. */
			d = &gi->rows[FAST_ROW(f) - 1];
			len = (h & ((1u << FAST_WIDTH(f)) - 1)) + FAST_ADD(f);
			if (__builtin_expect((h & d->mask) == d->value, 1)) {
				out->desc = d->desc;
				out->dwords = len;
				out->status = len > out->avail ? SCAN_CMD_TRUNCATED : SCAN_CMD_OK;
				return (enum scan_cmd_status)out->status;
			}
			d = NULL;
		} else if (f) {
			d = lookup(gi, ei, h);
		}
	}
	if (__builtin_expect(!d, 0)) {
		out->desc = NULL;
		out->dwords = guess_length(eng, h);
		out->len_is_guess = true;
		out->status = SCAN_CMD_UNKNOWN;
		return SCAN_CMD_UNKNOWN;
	}
	out->desc = d->desc;
	len = (h & d->len_mask) + d->len_add;
	if (__builtin_expect(len == 0, 0))
		len = 1; /* a row without a length would stall every walker */
	out->dwords = len;
	out->status = len > out->avail ? SCAN_CMD_TRUNCATED : SCAN_CMD_OK;
	return (enum scan_cmd_status)out->status;
}

enum scan_cmd_status scan_decode(enum scan_gen gen, enum scan_engine eng,
				 const uint32_t *buf, size_t ndw,
				 struct scan_cmd *out)
{
	return decode_with(get_index(gen), eng, buf, ndw, out);
}

/* ------------------------------------------------------------- fields */

/* Dword i of the command, zero past its end or past the buffer. */
static inline uint32_t cmd_dw(const struct scan_cmd *c, uint32_t i)
{
	uint32_t lim = c->dwords < c->avail ? c->dwords : c->avail;

	return i < lim ? c->dw[i] : 0;
}

/* Bits [start, end] (at most 64 of them), counted across the command. */
static uint64_t cmd_bits(const struct scan_cmd *c, unsigned start, unsigned end)
{
	unsigned w, i0 = start / 32, sh = start % 32;
	uint64_t lo, hi, v;

	if (end < start)
		return 0;
	w = end - start + 1;
	if (w > 64)
		w = 64;
	lo = (uint64_t)cmd_dw(c, i0) | (uint64_t)cmd_dw(c, i0 + 1) << 32;
	v = lo >> sh;
	if (sh && sh + w > 64) {
		hi = cmd_dw(c, i0 + 2);
		v |= hi << (64 - sh);
	}
	if (w < 64)
		v &= (UINT64_C(1) << w) - 1;
	return v;
}

uint64_t scan_cmd_field(const struct scan_cmd *c, const struct scan_field *f)
{
	if (!c || !f || !c->dw)
		return 0;
	return cmd_bits(c, f->start, f->end);
}

/* An address/offset field keeps its position in the dword it starts in. */
static uint64_t aligned_bits(const struct scan_cmd *c, unsigned start, unsigned end)
{
	unsigned sh = start % 32;
	uint64_t v = cmd_bits(c, start, end);

	return sh < 64 ? v << sh : 0;
}

uint64_t scan_cmd_field_value(const struct scan_cmd *c, const struct scan_field *f)
{
	if (!c || !f || !c->dw)
		return 0;
	if (f->type == SCAN_FT_ADDRESS || f->type == SCAN_FT_OFFSET)
		return aligned_bits(c, f->start, f->end);
	return cmd_bits(c, f->start, f->end);
}

/* ----------------------------------------------------------- operands */

#define REG_MASK   UINT32_C(0x7ffffc)           /* register offset bits 22:2 */
#define ADDR47_2   UINT64_C(0x0000fffffffffffc) /* graphics address bits 47:2 */
#define ADDR47_3   UINT64_C(0x0000fffffffffff8)

struct op_sink {
	struct scan_operand *out;
	unsigned max, n;
};

static void emit(struct op_sink *s, uint8_t kind, uint8_t as, uint16_t dw, uint64_t value,
		 uint64_t imm, const char *name)
{
	if (s->n < s->max) {
		struct scan_operand *o = &s->out[s->n];

		o->kind = kind;
		o->as = as;
		o->second_level = 0;
		o->dw = dw;
		o->value = value;
		o->imm = imm;
		o->name = name;
	}
	s->n++;
}

static uint64_t qw(const struct scan_cmd *c, uint32_t i)
{
	return (uint64_t)cmd_dw(c, i) | (uint64_t)cmd_dw(c, i + 1) << 32;
}

/* Address operands of the row (desc->addrs), each only when it lies inside
 * the command's length; a repeating one (rep_stride) once per instance that
 * does, in command order. */
static void emit_addrs(struct op_sink *s, const struct scan_cmd *c)
{
	const struct scan_cmd_desc *d = c->desc;
	uint64_t bits = (uint64_t)c->dwords * 32;

	for (unsigned i = 0; i < d->naddrs; i++) {
		const struct scan_addr_desc *a = &d->addrs[i];
		uint8_t as = a->fixed_as;

		if (a->end >= bits)
			continue;
		if (a->sel_bit >= 0)
			as = cmd_bits(c, (unsigned)a->sel_bit, (unsigned)a->sel_bit) == a->sel_ggtt_val
				     ? SCAN_AS_GGTT : SCAN_AS_PPGTT;
		for (uint64_t off = 0; a->end + off < bits; off += a->rep_stride) {
			unsigned start = (unsigned)(a->start + off), end = (unsigned)(a->end + off);

			/* Graphics addresses are 48 bits wide on Gen8/Gen9; drivers
			 * write canonical (sign-extended) forms, the hardware ignores
			 * bits 63:48, so every address operand is reported as 48 bits. */
			emit(s, SCAN_OP_ADDRESS, as, (uint16_t)(start / 32),
			     aligned_bits(c, start, end) & SCAN_GMA_MASK, 0, a->name);
			if (!a->rep_stride)
				break;
		}
	}
}

/* LRM/SRM memory address when a row carries none: DW2-3, DW0 bit 22 = GGTT. */
static void emit_reg_mem_addr(struct op_sink *s, const struct scan_cmd *c)
{
	if (c->desc->naddrs) {
		emit_addrs(s, c);
		return;
	}
	if (c->dwords >= 4)
		emit(s, SCAN_OP_ADDRESS, (c->header >> 22) & 1 ? SCAN_AS_GGTT : SCAN_AS_PPGTT, 2,
		     qw(c, 2) & ADDR47_2, 0, "Memory Address");
}

unsigned scan_cmd_operands(const struct scan_cmd *c, struct scan_operand *out, unsigned max)
{
	struct op_sink s = { .out = out, .max = out ? max : 0, .n = 0 };
	const struct scan_cmd_desc *d;
	uint32_t dw1;

	if (!c || !c->desc || !c->dw || c->status != SCAN_CMD_OK)
		return 0;
	d = c->desc;
	switch (d->handler) {
	case SCAN_H_LRI:
		/* (offset, value) pairs over the whole length; an odd last dword
		 * belongs to no pair. */
		for (uint32_t i = 1; i + 1 < c->dwords; i += 2)
			emit(&s, SCAN_OP_REG_WRITE, 0, (uint16_t)i, c->dw[i] & REG_MASK, c->dw[i + 1],
			     "Register Offset");
		break;
	case SCAN_H_LRM:
		if (c->dwords >= 2)
			emit(&s, SCAN_OP_REG_WRITE, 0, 1, cmd_dw(c, 1) & REG_MASK, 0, "Register Address");
		emit_reg_mem_addr(&s, c);
		break;
	case SCAN_H_SRM:
		if (c->dwords >= 2)
			emit(&s, SCAN_OP_REG_READ, 0, 1, cmd_dw(c, 1) & REG_MASK, 0, "Register Address");
		emit_reg_mem_addr(&s, c);
		break;
	case SCAN_H_LRR:
		if (c->dwords >= 2)
			emit(&s, SCAN_OP_REG_READ, 0, 1, cmd_dw(c, 1) & REG_MASK, 0,
			     "Source Register Address");
		if (c->dwords >= 3)
			emit(&s, SCAN_OP_REG_WRITE, 0, 2, cmd_dw(c, 2) & REG_MASK, 0,
			     "Destination Register Address");
		break;
	case SCAN_H_PIPE_CONTROL: {
		/* DW1 15:14 post-sync op; bit 23 LRI post-sync (DW2 is then a
		 * register written with DW4); bit 24 destination address type
		 * (1 = GGTT); address DW2-3 bits 47:2; immediate DW4-5. */
		uint32_t op;

		if (c->dwords < 2)
			break;
		dw1 = cmd_dw(c, 1);
		op = (dw1 >> 14) & 3;
		emit(&s, SCAN_OP_POST_SYNC, 0, 1, op, op == 1 ? qw(c, 4) : 0, "Post Sync Operation");
		if (dw1 & (1u << 23)) {
			if (c->dwords >= 3)
				emit(&s, SCAN_OP_REG_WRITE, 0, 2, cmd_dw(c, 2) & REG_MASK, cmd_dw(c, 4),
				     "Address");
		} else if (c->dwords >= 4) {
			emit(&s, SCAN_OP_ADDRESS, (dw1 >> 24) & 1 ? SCAN_AS_GGTT : SCAN_AS_PPGTT, 2,
			     qw(c, 2) & ADDR47_2, 0, "Address");
		}
		break;
	}
	case SCAN_H_FLUSH_DW: {
		/* DW0 15:14 post-sync op; DW1 bit 2 destination address type
		 * (1 = GGTT); address DW1-2 bits 47:3; immediate DW3-4. */
		uint32_t op = (c->header >> 14) & 3;

		emit(&s, SCAN_OP_POST_SYNC, 0, 0, op, op == 1 ? qw(c, 3) : 0, "Post-Sync Operation");
		if (c->dwords >= 3) {
			dw1 = cmd_dw(c, 1);
			emit(&s, SCAN_OP_ADDRESS, (dw1 >> 2) & 1 ? SCAN_AS_GGTT : SCAN_AS_PPGTT, 1,
			     qw(c, 1) & ADDR47_3, 0, "Address");
		}
		break;
	}
	case SCAN_H_BB_START:
		/* DW0 bit 8: 1 = PPGTT; bit 22: second level; address DW1-2
		 * bits 47:2. */
		if (c->dwords >= 3) {
			emit(&s, SCAN_OP_BB_START, (c->header >> 8) & 1 ? SCAN_AS_PPGTT : SCAN_AS_GGTT, 1,
			     qw(c, 1) & ADDR47_2, 0, "Batch Buffer Start Address");
			if (s.n <= s.max)
				out[s.n - 1].second_level = (c->header >> 22) & 1;
		}
		break;
	default:
		emit_addrs(&s, c);
		break;
	}
	return s.n;
}
