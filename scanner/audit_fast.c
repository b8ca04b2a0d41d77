/* SPDX-License-Identifier: MIT */
/*
 * The auditor's header cache: a direct-index array per (generation, engine)
 * on the same opcode bits the decoder indexes (MI 28:23, 2D 28:22,
 * 3D/media/video 28:16), built once from the command rows, answering only
 * where a slot holds exactly one row legal on the engine.  Each answer is a
 * 16-byte entry: the row's DW0 match, its length rule, and per policy
 * whether the auditor has anything to check in it.  Anything else (empty,
 * shared or unusual slots) goes to scan_decode(), which stays the single
 * source of truth; tests/test_scanner_audit_fast.c checks that the two
 * agree on every slot.  It exists because the walk must cost about what a
 * header-only walk costs: one inlined lookup, no call per command.
 */
#include <pthread.h>
#include <string.h>

#include "scanner/audit_priv.h"

#define AMBIG 0xffffu

static struct scan_fast_table fast[2][SCAN_NUM_ENGINES];
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

/* The slots of a row: its opcode bits replicated over the header bits
 * 22:16 (MI) or 21:16 (2D) that are not opcode.  Returns the first slot and
 * the count, or 0 when the row's mask does not cover its opcode bits. */
static unsigned slots_of(uint32_t value, uint32_t mask, unsigned *first)
{
	switch (value >> 29) {
	case 0:
		if ((mask & 0xff800000u) != 0xff800000u)
			return 0;
		*first = (value & 0xff800000u) >> 16;
		return 128;
	case 2:
		if ((mask & 0xffc00000u) != 0xffc00000u)
			return 0;
		*first = (value & 0xffc00000u) >> 16;
		return 64;
	case 3:
		if ((mask & 0xffff0000u) != 0xffff0000u)
			return 0;
		*first = value >> 16;
		return 1;
	}
	return 0;
}

/* The entry for a row, or false when the row cannot be cached (its length
 * rule does not fit the entry). */
static bool make_ent(const struct scan_cmd_desc *d, unsigned row, struct scan_fast_ent *e)
{
	memset(e, 0, sizeof(*e));
	e->mask = d->mask;
	e->value = d->value;
	e->row = (uint16_t)row;
	if (d->len_kind == SCAN_LEN_VAR) {
		if (d->value & d->len_mask)
			return false;
		e->len_mask = d->len_mask;
		e->len_base = d->bias;
	} else {
		uint32_t len = d->len_fixed ? d->len_fixed : 1;

		if (len > 255)
			return false;
		e->len_base = (uint8_t)len;
	}
	if (scan_row_is_plain(d, SCAN_POLICY_STRICT))
		e->flags |= SCAN_FAST_ALLOW_STRICT;
	if (scan_row_is_plain(d, SCAN_POLICY_GVT))
		e->flags |= SCAN_FAST_ALLOW_GVT;
	if (d->handler == SCAN_H_PIPE_CONTROL)
		e->flags |= SCAN_FAST_PIPE_CONTROL;
	if (d->handler == SCAN_H_FLUSH_DW)
		e->flags |= SCAN_FAST_FLUSH_DW;
	return true;
}

/* Every row of the generation's table; entries refer to rows by their
 * table index (scan_table_row). */
static void add_rows(unsigned g)
{
	enum scan_gen gen = g ? SCAN_GEN9 : SCAN_GEN8;
	unsigned n = scan_table_size(gen);

	for (unsigned i = 0; i < n; i++) {
		const struct scan_cmd_desc *d = scan_table_row(gen, i);

		if (d->min_gen && d->min_gen > gen)
			continue;
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			struct scan_fast_table *t = &fast[g][e];
			struct scan_fast_ent ent;

			if (!(d->engines & SCAN_ENGINE_BIT(e)))
				continue;
			unsigned first = 0, count = slots_of(d->value, d->mask, &first);
			if (!count) {
				/* A row the index cannot hold: the cache answers
				 * nothing for its command type on this engine. */
				t->unsafe[d->value >> 29] = true;
				continue;
			}
			uint16_t *slot = &t->slot[first];
			if (*slot || !make_ent(d, i, &ent) || t->nent == 1024) {
				for (unsigned k = 0; k < count; k++)
					slot[k] = AMBIG;
				continue;
			}
			t->ent[t->nent++] = ent;
			for (unsigned k = 0; k < count; k++)
				slot[k] = (uint16_t)t->nent;
		}
	}
}

static void build(void)
{
	for (unsigned g = 0; g < 2; g++) {
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
			fast[g][e].gen = g ? SCAN_GEN9 : SCAN_GEN8;
		add_rows(g);
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			struct scan_fast_table *t = &fast[g][e];

			for (unsigned i = 0; i < 65536; i++)
				if (t->slot[i] == AMBIG || t->unsafe[i >> 13])
					t->slot[i] = 0; /* the decoder answers */
		}
	}
}

const struct scan_fast_table *scan_fast_table(enum scan_gen gen, enum scan_engine eng)
{
	pthread_once(&fast_once, build);
	return &fast[gen == SCAN_GEN8 ? 0 : 1][eng];
}
