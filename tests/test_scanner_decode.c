/* SPDX-License-Identifier: MIT */
/*
 * The decoder (scanner/decode.c, scanner/table.c): header classification per
 * engine, length rules at the boundaries of every length field, truncation,
 * bounds (a guard page after the buffer), operands and field extraction.
 *
 * Headers are built here from the hardware's command formats (type 31:29,
 * MI opcode 28:23, 2D opcode 28:22, 3D pipeline/opcode/sub-opcode 28:16),
 * not read back from the tables, so a wrong row or a wrong rule fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanner/cmd_table.h" /* row internals: the opcode each row matches */
#include "scanner/scanner.h"
/* The decoder itself, compiled into this test (instead of the library's
 * copy) so the index builder can also be fed synthetic rows: chains,
 * overlaps and masks the real tables do not have. */
#include "scanner/decode.c"

static const enum scan_gen gens[] = { SCAN_GEN8, SCAN_GEN9 };
#define NGENS (sizeof(gens) / sizeof(gens[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Header builders (hardware formats). */
#define MI(op, len)        (((uint32_t)(op) << 23) | (uint32_t)(len))
#define GFX(st, op, sub)   ((3u << 29) | ((uint32_t)(st) << 27) | ((uint32_t)(op) << 24) | \
			    ((uint32_t)(sub) << 16))
#define BLT(op)            ((2u << 29) | ((uint32_t)(op) << 22))

#define HDR_PIPE_CONTROL   GFX(3, 2, 0)      /* 0x7a000000 */
#define HDR_MEDIA_VFE      GFX(2, 0, 0)      /* 0x70000000: MEDIA_VFE_STATE / MFX_PIPE_MODE_SELECT */
#define HDR_3DPRIMITIVE    GFX(3, 3, 0)      /* 0x7b000000 */
#define HDR_SO_DECL_LIST   GFX(3, 1, 0x17)   /* 0x79170000, 9-bit length */
#define HDR_MEDIA_OBJECT   GFX(2, 1, 0)      /* 0x71000000, 16-bit length */
#define HDR_PIPELINE_SEL   GFX(1, 1, 4)      /* 0x69040000, fixed */
#define HDR_VF_STATISTICS  GFX(1, 0, 0x0b)   /* 0x680b0000, fixed */
#define HDR_SRC_COPY_BLT   BLT(0x53)         /* 0x54c00000 */
#define MI_NOOP            0x00
#define MI_BB_END          0x0a
#define MI_SDI             0x20
#define MI_LRI             0x22
#define MI_SRM             0x24
#define MI_FLUSH_DW        0x26
#define MI_LRM             0x29
#define MI_LRR             0x2a
#define MI_BB_START        0x31

/* Is the row a command of this generation (XY_FAST_* are Gen9 only)? */
static bool row_on_gen(const struct scan_cmd_desc *d, enum scan_gen gen)
{
	return !d->min_gen || (unsigned)gen >= d->min_gen;
}

static struct scan_cmd decode(enum scan_gen gen, enum scan_engine e, const uint32_t *b, size_t n)
{
	struct scan_cmd c;
	enum scan_cmd_status st = scan_decode(gen, e, b, n, &c);

	assert_int_equal(st, c.status);
	return c;
}

static const char *name_of(const struct scan_cmd *c)
{
	return c->desc ? scan_desc_name(c->desc) : "(unknown)";
}

/* A buffer whose end touches a PROT_NONE guard page: any read past the
 * last dword faults. */
struct guarded {
	uint8_t *map;
	size_t len, page;
	uint32_t *end; /* one past the last readable dword */
};

static void guarded_init(struct guarded *g, size_t dwords)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->len = ((dwords * 4 + g->page - 1) / g->page + 1) * g->page;
	g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + g->len - g->page, g->page, PROT_NONE), 0);
	g->end = (uint32_t *)(void *)(g->map + g->len - g->page);
}

static void guarded_fini(struct guarded *g)
{
	munmap(g->map, g->len);
}

/* ------------------------------------------------------ lazy build */

struct thread_arg {
	enum scan_gen gen;
	uint32_t dwords;
	const void *desc;
};

static void *decode_in_thread(void *p)
{
	struct thread_arg *a = p;
	uint32_t b[6] = { HDR_PIPE_CONTROL | 4 };
	struct scan_cmd c;

	scan_decode(a->gen, SCAN_RCS, b, 6, &c);
	a->dwords = c.dwords;
	a->desc = c.desc;
	return NULL;
}

/* Runs first: the index is built by whichever thread decodes first. */
static void test_concurrent_first_use_builds_one_index(void **state)
{
	pthread_t t[8];
	struct thread_arg a[8];

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		a[i].gen = gens[i % NGENS];
		assert_int_equal(pthread_create(&t[i], NULL, decode_in_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].dwords, 6);
		assert_ptr_equal(a[i].desc, scan_table_find(a[i].gen, "PIPE_CONTROL"));
	}
}

static void test_index_has_no_conflicts(void **state)
{
	char msg[256];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		int n = scan_decode_conflicts(gens[g], msg, sizeof(msg));

		if (n)
			fail_msg("gen%d: %d conflicts, first: %s", (int)gens[g], n, msg);
		assert_string_equal(msg, "");
	}
	assert_int_equal(scan_decode_conflicts((enum scan_gen)7, msg, sizeof(msg)), -EINVAL);
}

/* Every row decodes back to itself on every engine it is legal on (the
 * O(1) index finds every row; first row wins only on true conflicts). */
static void test_every_row_is_found_by_its_own_header(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			uint32_t b[1];

			if (!row_on_gen(d, gens[g]))
				continue;
			for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
				struct scan_cmd c;

				if (!(d->engines & SCAN_ENGINE_BIT(e)))
					continue;
				b[0] = d->value;
				c = decode(gens[g], e, b, 1);
				if (c.desc != d)
					fail_msg("gen%d %s: header 0x%08x decodes as %s", (int)gens[g],
						 d->name, b[0], name_of(&c));
				if (d->len_kind == SCAN_LEN_VAR) {
					b[0] = d->value | d->len_mask;
					c = decode(gens[g], e, b, 1);
					assert_ptr_equal(c.desc, d);
				}
			}
		}
	}
}

/* ---------------------------------------------- classification */

static void test_mi_noop_is_one_dword_on_every_engine(void **state)
{
	uint32_t b[2] = { 0, 0 };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			struct scan_cmd c = decode(gens[g], e, b, 2);

			assert_int_equal(c.status, SCAN_CMD_OK);
			assert_string_equal(name_of(&c), "MI_NOOP");
			assert_int_equal(c.dwords, 1);
			assert_false(c.len_is_guess);
			/* bits 21:0 (identification number) do not change it */
			b[0] = 0x1234;
			c = decode(gens[g], e, b, 2);
			assert_string_equal(name_of(&c), "MI_NOOP");
			assert_int_equal(c.dwords, 1);
			b[0] = 0;
		}
}

static void test_same_header_is_media_vfe_state_on_rcs_and_mfx_pipe_mode_select_on_vcs(void **state)
{
	uint32_t b[16] = { HDR_MEDIA_VFE | 7 };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		struct scan_cmd r = decode(gens[g], SCAN_RCS, b, 16);
		struct scan_cmd v = decode(gens[g], SCAN_VCS, b, 16);
		struct scan_cmd bl = decode(gens[g], SCAN_BCS, b, 16);

		assert_string_equal(name_of(&r), "MEDIA_VFE_STATE");
		assert_string_equal(name_of(&v), "MFX_PIPE_MODE_SELECT");
		assert_int_equal(r.dwords, 9);
		assert_int_equal(v.dwords, 9);
		/* the blitter decodes no type 3 at all */
		assert_int_equal(bl.status, SCAN_CMD_UNKNOWN);
		assert_null(bl.desc);
	}
}

static void test_blitter_header_is_unknown_on_rcs_and_xy_src_copy_blt_on_bcs(void **state)
{
	uint32_t b[16] = { HDR_SRC_COPY_BLT | (3u << 20) | 8 };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		struct scan_cmd bc = decode(gens[g], SCAN_BCS, b, 16);

		assert_int_equal(bc.status, SCAN_CMD_OK);
		assert_string_equal(name_of(&bc), "XY_SRC_COPY_BLT");
		assert_int_equal(bc.dwords, 10);
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			struct scan_cmd c;

			if (e == SCAN_BCS)
				continue;
			c = decode(gens[g], e, b, 16);
			assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
			assert_null(c.desc);
			assert_true(c.len_is_guess);
			assert_int_equal(c.dwords, 8 + 2); /* 2D guess: low 8 bits + 2 */
		}
	}
}

static void test_3d_commands_are_unknown_off_the_render_engine(void **state)
{
	uint32_t b[8] = { HDR_3DPRIMITIVE | 5 };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		struct scan_cmd c = decode(gens[g], SCAN_RCS, b, 8);

		assert_string_equal(name_of(&c), "3DPRIMITIVE");
		for (unsigned e = SCAN_BCS; e < SCAN_NUM_ENGINES; e++) {
			c = decode(gens[g], e, b, 8);
			assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		}
	}
}

static void test_types_1_and_4_to_7_are_unknown_on_every_engine(void **state)
{
	static const unsigned types[] = { 1, 4, 5, 6, 7 };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++)
			for (unsigned t = 0; t < ARRAY_SIZE(types); t++) {
				uint32_t b[4] = { (types[t] << 29) | 0x00ff00ffu };
				struct scan_cmd c = decode(gens[g], e, b, 4);

				assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
				assert_null(c.desc);
				assert_true(c.len_is_guess);
				assert_int_equal(c.dwords, 1);
				assert_int_equal(scan_cmd_operands(&c, NULL, 0), 0);
			}
}

static void test_bad_generation_or_engine_is_unknown(void **state)
{
	uint32_t b[2] = { MI(MI_BB_END, 0), 0 };
	struct scan_cmd c;

	(void)state;
	c = decode((enum scan_gen)7, SCAN_RCS, b, 2);
	assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
	c = decode(SCAN_GEN9, (enum scan_engine)SCAN_NUM_ENGINES, b, 2);
	assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
	/* no dword at all: nothing is read, the command is cut short */
	c = decode(SCAN_GEN9, SCAN_RCS, b, 0);
	assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
	assert_int_equal(c.avail, 0);
	c = decode(SCAN_GEN9, SCAN_RCS, NULL, 4);
	assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
}

/* First header of a class that decodes as unknown on an engine, scanning
 * the opcode bits upward from `from` (the tables leave gaps). */
static uint32_t first_unknown(enum scan_gen gen, enum scan_engine e, uint32_t from, uint32_t step,
			      uint32_t to, uint32_t low)
{
	for (uint32_t h = from; h <= to; h += step) {
		uint32_t b[1] = { h | low };
		struct scan_cmd c;

		if (scan_decode(gen, e, b, 1, &c) == SCAN_CMD_UNKNOWN ||
		    (c.status == SCAN_CMD_TRUNCATED && !c.desc))
			return h;
	}
	fail_msg("no unknown header between 0x%08x and 0x%08x", from, to);
	return 0;
}

static void test_unknown_lengths_are_per_class_guesses(void **state)
{
	static uint32_t b[0x10004];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		enum scan_gen gen = gens[g];
		uint32_t h;
		struct scan_cmd c;

		/* MI below opcode 0x20: header only, whatever the low bits */
		h = first_unknown(gen, SCAN_RCS, MI(0x00, 0), 1u << 23, MI(0x1f, 0), 0);
		b[0] = h | 0x3f;
		c = decode(gen, SCAN_RCS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 1);
		/* MI from 0x20: low 6 bits + 2 */
		h = first_unknown(gen, SCAN_RCS, MI(0x20, 0), 1u << 23, MI(0x3f, 0), 0);
		b[0] = h | 0xff;
		c = decode(gen, SCAN_RCS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 0x3f + 2);
		/* 3D pipeline on the render engine: low 8 bits + 2 */
		h = first_unknown(gen, SCAN_RCS, GFX(3, 7, 0), 1u << 16, GFX(3, 7, 0xff), 0);
		b[0] = h | 0x1ff;
		c = decode(gen, SCAN_RCS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 0xff + 2);
		/* media pipeline (type 3, pipeline 2) on render: low 16 bits + 2 */
		h = first_unknown(gen, SCAN_RCS, GFX(2, 7, 0), 1u << 16, GFX(2, 7, 0xff), 0);
		b[0] = h | 0x1234;
		c = decode(gen, SCAN_RCS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 0x1234 + 2);
		/* video and video-enhance engines: low 12 bits + 2 */
		h = first_unknown(gen, SCAN_VCS, GFX(2, 7, 0), 1u << 16, GFX(2, 7, 0xff), 0);
		b[0] = h | 0x1234;
		c = decode(gen, SCAN_VCS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 0x234 + 2);
		b[0] = GFX(3, 0, 0) | 0xabc; /* no VEBOX row has this header */
		c = decode(gen, SCAN_VECS, b, ARRAY_SIZE(b));
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 0xabc + 2);
		/* an unknown guess longer than the buffer stays unknown, not truncated */
		b[0] = HDR_3DPRIMITIVE | 5;
		c = decode(gen, SCAN_BCS, b, 3);
		assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
		assert_int_equal(c.dwords, 7);
		assert_int_equal(c.avail, 3);
	}
}

/* -------------------------------------------------------- lengths */

struct len_case {
	const char *name;
	enum scan_engine engine;
	uint32_t header;   /* opcode bits, length field zero */
	uint32_t field;    /* all-ones value of the length field */
};

/* One command per length-field width that occurs in the tables. */
static const struct len_case len_cases[] = {
	{ "MI_FLUSH_DW", SCAN_BCS, MI(MI_FLUSH_DW, 0), 0x3f },        /* 6 bits */
	{ "PIPE_CONTROL", SCAN_RCS, HDR_PIPE_CONTROL, 0xff },          /* 8 bits */
	{ "MI_LOAD_REGISTER_IMM", SCAN_VCS, MI(MI_LRI, 0), 0xff },     /* 8 bits */
	{ "3DSTATE_SO_DECL_LIST", SCAN_RCS, HDR_SO_DECL_LIST, 0x1ff }, /* 9 bits */
	{ "MI_STORE_DATA_IMM", SCAN_RCS, MI(MI_SDI, 0), 0x3ff },       /* 10 bits */
	{ "MFX_PIPE_MODE_SELECT", SCAN_VCS, HDR_MEDIA_VFE, 0xfff },    /* 12 bits */
	{ "MEDIA_OBJECT", SCAN_RCS, HDR_MEDIA_OBJECT, 0xffff },         /* 16 bits */
	{ "XY_SRC_COPY_BLT", SCAN_BCS, HDR_SRC_COPY_BLT, 0xff },       /* 2D, 8 bits */
};

static void test_length_field_minimum_and_maximum_of_every_width(void **state)
{
	static uint32_t b[0xffff + 2];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < ARRAY_SIZE(len_cases); i++) {
			const struct len_case *t = &len_cases[i];
			struct scan_cmd c;

			b[0] = t->header;
			c = decode(gens[g], t->engine, b, ARRAY_SIZE(b));
			assert_int_equal(c.status, SCAN_CMD_OK);
			assert_string_equal(name_of(&c), t->name);
			assert_int_equal(c.dwords, 2);
			b[0] = t->header | t->field;
			c = decode(gens[g], t->engine, b, ARRAY_SIZE(b));
			assert_int_equal(c.status, SCAN_CMD_OK);
			assert_string_equal(name_of(&c), t->name);
			assert_int_equal(c.dwords, t->field + 2);
			assert_false(c.len_is_guess);
		}
}

/* For every row: field 0 and all-ones give the range the row declares. */
static void test_every_row_decodes_its_length_range(void **state)
{
	static uint32_t b[0xffff + 2];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			unsigned e = 0;
			uint32_t lo, hi;
			struct scan_cmd c;

			if (!row_on_gen(d, gens[g]))
				continue;
			while (e < SCAN_NUM_ENGINES && !(d->engines & SCAN_ENGINE_BIT(e)))
				e++;
			assert_true(e < SCAN_NUM_ENGINES);
			scan_desc_len_range(d, &lo, &hi);
			b[0] = d->value;
			c = decode(gens[g], e, b, ARRAY_SIZE(b));
			assert_int_equal(c.status, SCAN_CMD_OK);
			assert_int_equal(c.dwords, lo);
			if (d->len_kind == SCAN_LEN_VAR) {
				assert_int_equal(lo, d->bias);
				assert_int_equal(hi, d->len_mask + d->bias);
				b[0] = d->value | d->len_mask;
				c = decode(gens[g], e, b, ARRAY_SIZE(b));
				assert_int_equal(c.status, SCAN_CMD_OK);
				assert_int_equal(c.dwords, hi);
			} else {
				assert_int_equal(lo, d->len_fixed);
				assert_int_equal(hi, d->len_fixed);
			}
		}
	}
}

static void test_fixed_length_commands_ignore_low_bits(void **state)
{
	uint32_t b[4] = { 0 };
	struct scan_cmd c;

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		b[0] = MI(MI_BB_END, 0) | 0x7fffff; /* every bit below the opcode */
		c = decode(gens[g], SCAN_RCS, b, 4);
		assert_string_equal(name_of(&c), "MI_BATCH_BUFFER_END");
		assert_int_equal(c.dwords, 1);
		b[0] = HDR_PIPELINE_SEL | 0x0303;
		c = decode(gens[g], SCAN_RCS, b, 4);
		assert_string_equal(name_of(&c), "PIPELINE_SELECT");
		assert_int_equal(c.dwords, 1);
		b[0] = HDR_VF_STATISTICS | 0xff;
		c = decode(gens[g], SCAN_RCS, b, 4);
		assert_string_equal(name_of(&c), "3DSTATE_VF_STATISTICS");
		assert_int_equal(c.dwords, 1);
	}
}

static void test_truncated_exactly_when_length_exceeds_buffer(void **state)
{
	uint32_t b[6] = { HDR_PIPE_CONTROL | 4 };
	struct scan_cmd c;

	(void)state;
	c = decode(SCAN_GEN9, SCAN_RCS, b, 6);
	assert_int_equal(c.status, SCAN_CMD_OK);
	assert_int_equal(c.dwords, 6);
	c = decode(SCAN_GEN9, SCAN_RCS, b, 5);
	assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
	assert_int_equal(c.dwords, 6);
	assert_int_equal(c.avail, 5);
	assert_string_equal(name_of(&c), "PIPE_CONTROL"); /* known, just cut short */
	assert_int_equal(scan_cmd_operands(&c, NULL, 0), 0);
	c = decode(SCAN_GEN9, SCAN_RCS, b, 1);
	assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
}

/* Every row of every generation, on each engine it is legal on, placed so
 * that its last dword is the last readable one before a guard page: at
 * its minimum and maximum encodable length (decodes OK), and as a lone
 * header claiming the maximum (truncated).  Fields and operands are read
 * each time; a read past the end faults. */
static void test_decode_never_reads_past_the_buffer(void **state)
{
	struct guarded g;

	(void)state;
	guarded_init(&g, 0xffff + 2);
	for (unsigned gi = 0; gi < NGENS; gi++) {
		for (unsigned i = 0; i < scan_table_size(gens[gi]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[gi], i);
			const struct scan_field *f;
			unsigned nf;
			uint32_t lo, hi;
			struct scan_operand ops[8];

			if (!row_on_gen(d, gens[gi]))
				continue;
			f = scan_desc_fields(d, &nf);
			scan_desc_len_range(d, &lo, &hi);
			for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
				const uint32_t lens[3] = { lo, hi, 1 };
				const uint32_t hdrs[3] = { d->value, d->value | d->len_mask,
							   d->value | d->len_mask };

				if (!(d->engines & SCAN_ENGINE_BIT(e)))
					continue;
				for (unsigned l = 0; l < 3; l++) {
					uint32_t *p = g.end - lens[l];
					struct scan_cmd c;

					/* every dword set, so any field reads real bits */
					for (uint32_t k = 1; k < lens[l]; k++)
						p[k] = 0xffffffffu;
					p[0] = d->len_kind == SCAN_LEN_VAR ? hdrs[l] : d->value;
					c = decode(gens[gi], e, p, lens[l]);
					assert_ptr_equal(c.desc, d);
					if (l < 2 || c.dwords == 1)
						assert_int_equal(c.status, SCAN_CMD_OK);
					else
						assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
					for (unsigned k = 0; k < nf; k++)
						(void)scan_cmd_field_value(&c, &f[k]);
					(void)scan_cmd_operands(&c, ops, ARRAY_SIZE(ops));
					for (uint32_t k = 0; k < lens[l]; k++)
						p[k] = 0;
				}
			}
		}
	}
	guarded_fini(&g);
}

/* ------------------------------------------------------- operands */

static unsigned operands(enum scan_gen gen, enum scan_engine e, const uint32_t *b, size_t n,
			 struct scan_operand *ops, unsigned max, const char *name)
{
	struct scan_cmd c = decode(gen, e, b, n);
	unsigned k;

	assert_int_equal(c.status, SCAN_CMD_OK);
	assert_string_equal(name_of(&c), name);
	k = scan_cmd_operands(&c, ops, max);
	return k;
}

static void test_lri_gives_one_register_write_per_pair(void **state)
{
	uint32_t b[7] = { MI(MI_LRI, 5), 0x7034, 0x60000060, 0x2580 | 0x3, 0x00040004,
			  0xff802358, 0x11112222 };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 7, ops, 4, "MI_LOAD_REGISTER_IMM"), 3);
		assert_int_equal(ops[0].kind, SCAN_OP_REG_WRITE);
		assert_int_equal(ops[0].value, 0x7034);
		assert_int_equal(ops[0].imm, 0x60000060);
		assert_int_equal(ops[0].dw, 1);
		assert_int_equal(ops[1].value, 0x2580); /* byte-offset bits 1:0 dropped */
		assert_int_equal(ops[1].imm, 0x00040004);
		assert_int_equal(ops[1].dw, 3);
		assert_int_equal(ops[2].value, 0x002358); /* offset is bits 22:2 */
		assert_int_equal(ops[2].imm, 0x11112222);
	}
}

static void test_lri_of_195_dwords_has_97_pairs(void **state)
{
	static uint32_t b[195];
	static struct scan_operand ops[128];
	unsigned n;

	(void)state;
	b[0] = MI(MI_LRI, 195 - 2);
	for (unsigned i = 0; i < 97; i++) {
		b[1 + 2 * i] = 0x2600 + 4 * i;
		b[2 + 2 * i] = 0xa0000000u + i;
	}
	n = operands(SCAN_GEN9, SCAN_RCS, b, 195, ops, 128, "MI_LOAD_REGISTER_IMM");
	assert_int_equal(n, 97);
	for (unsigned i = 0; i < 97; i++) {
		assert_int_equal(ops[i].kind, SCAN_OP_REG_WRITE);
		assert_int_equal(ops[i].value, 0x2600 + 4 * i);
		assert_int_equal(ops[i].imm, 0xa0000000u + i);
		assert_int_equal(ops[i].dw, 1 + 2 * i);
	}
	/* the count is the command's, whatever room the caller gave */
	assert_int_equal(operands(SCAN_GEN9, SCAN_RCS, b, 195, ops, 3, "MI_LOAD_REGISTER_IMM"), 97);
	/* one dword short of the length: truncated, no operands */
	{
		struct scan_cmd c = decode(SCAN_GEN9, SCAN_RCS, b, 194);

		assert_int_equal(c.status, SCAN_CMD_TRUNCATED);
		assert_int_equal(scan_cmd_operands(&c, ops, 128), 0);
	}
}

static void test_lrm_writes_a_register_from_memory_in_either_space(void **state)
{
	uint32_t b[4] = { MI(MI_LRM, 2), 0x2600, 0x12345678, 0x0000abcd };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		b[0] = MI(MI_LRM, 2);
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 4, ops, 4, "MI_LOAD_REGISTER_MEM"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_REG_WRITE);
		assert_int_equal(ops[0].value, 0x2600);
		assert_int_equal(ops[1].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[1].value, UINT64_C(0xabcd12345678) & ~UINT64_C(3));
		assert_int_equal(ops[1].as, SCAN_AS_PPGTT);
		assert_int_equal(ops[1].dw, 2);
		b[0] |= 1u << 22; /* Use Global GTT */
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 4, ops, 4, "MI_LOAD_REGISTER_MEM"), 2);
		assert_int_equal(ops[1].as, SCAN_AS_GGTT);
	}
}

static void test_srm_reads_a_register_into_memory(void **state)
{
	uint32_t b[4] = { MI(MI_SRM, 2) | (1u << 22), 0x12400, 0x00001000, 0x00000001 };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 4, ops, 4, "MI_STORE_REGISTER_MEM"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_REG_READ);
		assert_int_equal(ops[0].value, 0x12400);
		assert_int_equal(ops[1].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[1].value, UINT64_C(0x100001000));
		assert_int_equal(ops[1].as, SCAN_AS_GGTT);
	}
}

static void test_lrr_reads_source_and_writes_destination(void **state)
{
	uint32_t b[3] = { MI(MI_LRR, 1), 0x2608, 0x2600 };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 3, ops, 4, "MI_LOAD_REGISTER_REG"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_REG_READ);
		assert_int_equal(ops[0].value, 0x2608);
		assert_int_equal(ops[0].dw, 1);
		assert_int_equal(ops[1].kind, SCAN_OP_REG_WRITE);
		assert_int_equal(ops[1].value, 0x2600);
		assert_int_equal(ops[1].dw, 2);
	}
}

static void test_pipe_control_post_sync_and_address(void **state)
{
	/* DW1: write immediate (15:14 = 1), CS stall; DW2-3 an address whose
	 * high dword carries bits above 47 (they are not part of it). */
	uint32_t b[6] = { HDR_PIPE_CONTROL | 4, (1u << 14) | (1u << 20), 0xfffff063, 0xffff0001,
			  0xcafe, 0xbeef };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		b[1] = (1u << 14) | (1u << 20);
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 6, ops, 4, "PIPE_CONTROL"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_POST_SYNC);
		assert_int_equal(ops[0].value, 1);
		assert_int_equal(ops[0].imm, UINT64_C(0x0000beef0000cafe));
		assert_int_equal(ops[1].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[1].value, UINT64_C(0x0001fffff060));
		assert_int_equal(ops[1].as, SCAN_AS_PPGTT);
		assert_int_equal(ops[1].dw, 2);
		/* destination address type (DW1 bit 24) = GGTT; timestamp write */
		b[1] = (3u << 14) | (1u << 24);
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 6, ops, 4, "PIPE_CONTROL"), 2);
		assert_int_equal(ops[0].value, 3);
		assert_int_equal(ops[1].as, SCAN_AS_GGTT);
		/* LRI post-sync (DW1 bit 23): DW2 is a register, DW4 its value */
		b[1] = 1u << 23;
		b[2] = 0x2358;
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 6, ops, 4, "PIPE_CONTROL"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_POST_SYNC);
		assert_int_equal(ops[0].value, 0);
		assert_int_equal(ops[1].kind, SCAN_OP_REG_WRITE);
		assert_int_equal(ops[1].value, 0x2358);
		assert_int_equal(ops[1].imm, 0xcafe);
		b[2] = 0xfffff063;
	}
}

static void test_mi_flush_dw_post_sync_and_address(void **state)
{
	uint32_t b[5] = { MI(MI_FLUSH_DW, 3) | (1u << 14), 0x00345678 | (1u << 2), 0x00000002, 7, 0 };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		b[1] = 0x00345678 | (1u << 2);
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 5, ops, 4, "MI_FLUSH_DW"), 2);
		assert_int_equal(ops[0].kind, SCAN_OP_POST_SYNC);
		assert_int_equal(ops[0].value, 1);
		assert_int_equal(ops[0].imm, 7);
		assert_int_equal(ops[1].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[1].as, SCAN_AS_GGTT);           /* DW1 bit 2 */
		assert_int_equal(ops[1].value, UINT64_C(0x200345678)); /* bits 47:3 */
		assert_int_equal(ops[1].dw, 1);
		b[1] = 0x00345678;
		assert_int_equal(operands(gens[g], SCAN_BCS, b, 5, ops, 4, "MI_FLUSH_DW"), 2);
		assert_int_equal(ops[1].as, SCAN_AS_PPGTT);
	}
}

static void test_bb_start_address_space_and_level(void **state)
{
	static const struct {
		uint32_t dw0;
		uint8_t as, second;
	} cases[] = {
		{ MI(MI_BB_START, 1), SCAN_AS_GGTT, 0 },
		{ MI(MI_BB_START, 1) | (1u << 8), SCAN_AS_PPGTT, 0 },
		{ MI(MI_BB_START, 1) | (1u << 22), SCAN_AS_GGTT, 1 },
		{ MI(MI_BB_START, 1) | (1u << 22) | (1u << 8), SCAN_AS_PPGTT, 1 },
	};
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
			/* canonical high bits above 47 are not part of the address */
			uint32_t b[3] = { cases[i].dw0, 0x00201003, 0xffff8001 };

			assert_int_equal(operands(gens[g], SCAN_VCS, b, 3, ops, 4,
						  "MI_BATCH_BUFFER_START"), 1);
			assert_int_equal(ops[0].kind, SCAN_OP_BB_START);
			assert_int_equal(ops[0].as, cases[i].as);
			assert_int_equal(ops[0].second_level, cases[i].second);
			assert_int_equal(ops[0].value, UINT64_C(0x800100201000));
			assert_int_equal(ops[0].dw, 1);
		}
}

static void test_sdi_address_and_space(void **state)
{
	uint32_t b[4] = { MI(MI_SDI, 2), 0x00001004, 0x00000003, 0x12345678 };
	struct scan_operand ops[4];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		b[0] = MI(MI_SDI, 2);
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 4, ops, 4, "MI_STORE_DATA_IMM"), 1);
		assert_int_equal(ops[0].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[0].value, UINT64_C(0x300001004));
		assert_int_equal(ops[0].as, SCAN_AS_PPGTT);
		assert_int_equal(ops[0].dw, 1);
		b[0] |= 1u << 22; /* Use Global GTT */
		assert_int_equal(operands(gens[g], SCAN_VCS, b, 4, ops, 4, "MI_STORE_DATA_IMM"), 1);
		assert_int_equal(ops[0].as, SCAN_AS_GGTT);
	}
}

static void test_repeated_vertex_buffers_give_one_address_each(void **state)
{
	/* 3DSTATE_VERTEX_BUFFERS with three 4-dword VERTEX_BUFFER_STATEs */
	uint32_t b[13] = { GFX(3, 0, 0x08) | 11 };
	struct scan_operand ops[8];

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		b[1 + 4 * i] = (i << 26) | (1u << 14) | 16;
		b[2 + 4 * i] = 0x1000u * (i + 1);
		b[3 + 4 * i] = i;
		b[4 + 4 * i] = 64;
	}
	for (unsigned g = 0; g < NGENS; g++) {
		assert_int_equal(operands(gens[g], SCAN_RCS, b, 13, ops, 8, "3DSTATE_VERTEX_BUFFERS"), 3);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(ops[i].kind, SCAN_OP_ADDRESS);
			assert_int_equal(ops[i].value, ((uint64_t)i << 32) | (0x1000u * (i + 1)));
			assert_int_equal(ops[i].dw, 2 + 4 * i);
			assert_int_equal(ops[i].as, SCAN_AS_PPGTT);
		}
	}
}

/* ----------------------------------------------------------- fields */

static struct scan_cmd synthetic(const uint32_t *b, uint32_t dwords, uint32_t avail)
{
	struct scan_cmd c = { .dw = b, .header = b[0], .dwords = dwords, .avail = avail,
			      .status = SCAN_CMD_OK };
	return c;
}

static void test_field_extraction_across_dword_boundaries(void **state)
{
	const uint32_t b[4] = { 0x80000001u, 0x00000003u, 0xdeadbeefu, 0x12345678u };
	struct scan_cmd c = synthetic(b, 4, 4);
	const struct scan_field f_31_33 = { "x", 31, 33, SCAN_FT_UINT };
	const struct scan_field f_0 = { "x", 0, 0, SCAN_FT_BOOL };
	const struct scan_field f_64 = { "x", 64, 127, SCAN_FT_UINT };
	const struct scan_field f_36_99 = { "x", 36, 99, SCAN_FT_UINT };
	const struct scan_field f_dw2 = { "x", 64, 95, SCAN_FT_UINT };

	(void)state;
	assert_int_equal(scan_cmd_field(&c, &f_31_33), 0x7);  /* DW0 bit 31, DW1 bits 1:0 */
	assert_int_equal(scan_cmd_field(&c, &f_0), 1);
	assert_int_equal(scan_cmd_field(&c, &f_dw2), 0xdeadbeefu);
	assert_int_equal(scan_cmd_field(&c, &f_64), UINT64_C(0x12345678deadbeef));
	/* 64 bits starting mid-dword span three dwords */
	assert_int_equal(scan_cmd_field(&c, &f_36_99),
			 (UINT64_C(0x12345678deadbeef) << 28 | (0x3u >> 4)) & UINT64_MAX);
}

static void test_field_bits_past_the_command_read_as_zero(void **state)
{
	const uint32_t b[4] = { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	const struct scan_field f = { "x", 48, 111, SCAN_FT_UINT };
	struct scan_cmd c;

	(void)state;
	c = synthetic(b, 4, 4);
	assert_int_equal(scan_cmd_field(&c, &f), UINT64_MAX);
	c = synthetic(b, 4, 3); /* buffer ends after DW2 */
	assert_int_equal(scan_cmd_field(&c, &f), UINT64_C(0xffffffffffff));
	c = synthetic(b, 2, 4); /* the command ends after DW1 */
	assert_int_equal(scan_cmd_field(&c, &f), UINT64_C(0xffff));
}

static void test_field_value_keeps_address_and_offset_position(void **state)
{
	const uint32_t b[4] = { MI(MI_LRM, 2), 0x00002604u, 0xfffff001u, 0x0000fffeu };
	struct scan_cmd c = decode(SCAN_GEN9, SCAN_RCS, b, 4);
	const struct scan_field reg = { "Register Address", 34, 54, SCAN_FT_OFFSET };
	const struct scan_field mem = { "Memory Address", 66, 127, SCAN_FT_ADDRESS };
	const struct scan_field raw = { "raw", 34, 54, SCAN_FT_UINT };

	(void)state;
	assert_int_equal(scan_cmd_field_value(&c, &reg), 0x2604);
	assert_int_equal(scan_cmd_field_value(&c, &raw), 0x2604 >> 2);
	assert_int_equal(scan_cmd_field_value(&c, &mem), UINT64_C(0xfffefffff000));
}

/* ---------------------------------------------------------- table API */

static void test_engine_names_round_trip(void **state)
{
	static const char *const longs[] = { "render", "blitter", "video", "video-enhance" };
	enum scan_engine e;

	(void)state;
	for (unsigned i = 0; i < SCAN_NUM_ENGINES; i++) {
		assert_int_equal(scan_engine_parse(scan_engine_name(i), &e), 0);
		assert_int_equal(e, i);
		assert_int_equal(scan_engine_parse(longs[i], &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(scan_engine_name(SCAN_VECS), "vecs");
	assert_null(scan_engine_name((enum scan_engine)SCAN_NUM_ENGINES));
	assert_int_equal(scan_engine_parse("vcs2", &e), -EINVAL);
	assert_int_equal(scan_engine_parse(NULL, &e), -EINVAL);
	assert_string_equal(scan_as_name(SCAN_AS_GGTT), "ggtt");
	assert_string_equal(scan_as_name(SCAN_AS_PPGTT), "ppgtt");
	assert_string_equal(scan_cmd_status_name(SCAN_CMD_OK), "ok");
	assert_string_equal(scan_cmd_status_name(SCAN_CMD_UNKNOWN), "unknown");
	assert_string_equal(scan_cmd_status_name(SCAN_CMD_TRUNCATED), "truncated");
}

static void test_table_find_resolves_names_and_aliases(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		const struct scan_cmd_desc *d = scan_table_find(gens[g], "PIPE_CONTROL");

		assert_non_null(d);
		assert_string_equal(scan_desc_name(d), "PIPE_CONTROL");
		assert_null(scan_table_find(gens[g], "NO_SUCH_COMMAND"));
		assert_null(scan_table_find(gens[g], NULL));
		for (unsigned i = 0; i < scan_alias_count(); i++) {
			const char *alias, *name;

			assert_int_equal(scan_alias_get(i, &alias, &name), 0);
			/* an alias finds the same row as its name, on every gen
			 * that has the command */
			assert_ptr_equal(scan_table_find(gens[g], alias), scan_table_find(gens[g], name));
		}
	}
	assert_int_equal(scan_alias_get(scan_alias_count(), NULL, NULL), -ERANGE);
	assert_ptr_equal(scan_table_find(SCAN_GEN9, "MI_OP_2F"), scan_table_find(SCAN_GEN9, "MI_ATOMIC"));
	assert_null(scan_table_find((enum scan_gen)7, "PIPE_CONTROL"));
	/* XY_FAST_COPY_BLT is a Gen9 addition */
	assert_non_null(scan_table_find(SCAN_GEN9, "XY_FAST_COPY_BLT"));
	assert_null(scan_table_find(SCAN_GEN8, "XY_FAST_COPY_BLT"));
}

static void test_gen9_only_blitter_command_is_unknown_on_gen8(void **state)
{
	uint32_t b[10] = { BLT(0x42) | 8 };
	struct scan_cmd c;

	(void)state;
	c = decode(SCAN_GEN9, SCAN_BCS, b, 10);
	assert_string_equal(name_of(&c), "XY_FAST_COPY_BLT");
	c = decode(SCAN_GEN8, SCAN_BCS, b, 10);
	assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
}

/* ---------------------------------------- the index, synthetic rows */

static const struct scan_cmd_desc *syn_rows;
static unsigned syn_n;

static const struct scan_cmd_desc *syn_row(enum scan_gen gen, unsigned i)
{
	(void)gen;
	return i < syn_n ? &syn_rows[i] : NULL;
}

static struct gen_index *syn_index(const struct scan_cmd_desc *rows, unsigned n)
{
	struct gen_index *gi = calloc(1, sizeof(*gi));

	assert_non_null(gi);
	gi->gen = SCAN_GEN9;
	syn_rows = rows;
	syn_n = n;
	build_index(gi, n, syn_row);
	return gi;
}

static struct scan_cmd syn_decode(const struct gen_index *gi, enum scan_engine e, uint32_t h)
{
	static uint32_t b[0x200];
	struct scan_cmd c;

	b[0] = h;
	decode_with(gi, e, b, ARRAY_SIZE(b), &c);
	return c;
}

#define RCS_ONLY SCAN_ENGINE_BIT(SCAN_RCS)
#define SYN_VAR(nm, m, v) { .name = nm, .mask = m, .value = v, .engines = RCS_ONLY, \
			    .len_kind = SCAN_LEN_VAR, .bias = 2, .len_mask = 0xff }
#define SYN_FIXED(nm, m, v, l) { .name = nm, .mask = m, .value = v, .engines = RCS_ONLY, \
				 .len_kind = SCAN_LEN_FIXED, .len_fixed = l }

static void test_rows_differing_below_the_index_bits_share_a_slot_chain(void **state)
{
	static const struct scan_cmd_desc rows[] = {
		SYN_VAR("A", 0xffff0100, 0x7a000000),
		SYN_VAR("B", 0xffff0100, 0x7a000100),
	};
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));
	struct scan_cmd c;

	(void)state;
	assert_int_equal(gi->conflicts, 0);
	c = syn_decode(gi, SCAN_RCS, 0x7a000004);
	assert_string_equal(name_of(&c), "A");
	assert_int_equal(c.dwords, 6);
	c = syn_decode(gi, SCAN_RCS, 0x7a000105);
	assert_string_equal(name_of(&c), "B");
	assert_int_equal(c.dwords, 7);
	free(gi);
}

static void test_row_with_a_mask_narrower_than_the_index_fills_every_slot(void **state)
{
	static const struct scan_cmd_desc rows[] = { SYN_VAR("WIDE", 0xfff00000, 0x7a000000) };
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));
	struct scan_cmd c;

	(void)state;
	assert_int_equal(gi->conflicts, 0);
	for (uint32_t x = 0; x < 16; x++) {
		c = syn_decode(gi, SCAN_RCS, 0x7a000000 | (x << 16) | x);
		assert_string_equal(name_of(&c), "WIDE");
		assert_int_equal(c.dwords, x + 2);
	}
	c = syn_decode(gi, SCAN_RCS, 0x7a100000);
	assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
	free(gi);
}

static void test_overlapping_rows_are_reported_and_the_first_wins(void **state)
{
	static const struct scan_cmd_desc rows[] = {
		SYN_VAR("FIRST", 0xffff0000, 0x7a000000),
		SYN_VAR("SECOND", 0xffff0100, 0x7a000100),
	};
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));
	struct scan_cmd c;

	(void)state;
	assert_int_equal(gi->conflicts, 1);
	assert_non_null(strstr(gi->msg, "FIRST and SECOND both match one header"));
	assert_non_null(strstr(gi->msg, "rcs"));
	c = syn_decode(gi, SCAN_RCS, 0x7a000100);
	assert_string_equal(name_of(&c), "FIRST");
	free(gi);
}

static void test_chain_longer_than_four_rows_is_reported(void **state)
{
	static const struct scan_cmd_desc rows[] = {
		SYN_FIXED("R0", 0xffff0007, 0x7a000000, 1), SYN_FIXED("R1", 0xffff0007, 0x7a000001, 1),
		SYN_FIXED("R2", 0xffff0007, 0x7a000002, 1), SYN_FIXED("R3", 0xffff0007, 0x7a000003, 1),
		SYN_FIXED("R4", 0xffff0007, 0x7a000004, 1),
	};
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));
	struct scan_cmd c;

	(void)state;
	assert_int_equal(gi->conflicts, 1);
	assert_non_null(strstr(gi->msg, "already holding 4 rows"));
	for (uint32_t i = 0; i < 4; i++) {
		c = syn_decode(gi, SCAN_RCS, 0x7a000000 | i);
		assert_int_equal(c.status, SCAN_CMD_OK);
		assert_string_equal(name_of(&c), rows[i].name);
	}
	c = syn_decode(gi, SCAN_RCS, 0x7a000004);
	assert_int_equal(c.status, SCAN_CMD_UNKNOWN);
	free(gi);
}

static void test_row_is_indexed_only_on_its_engines_and_classes(void **state)
{
	static const struct scan_cmd_desc rows[] = {
		{ .name = "VIDEO", .mask = 0xffff0000, .value = 0x70000000,
		  .engines = SCAN_ENGINE_BIT(SCAN_VCS), .len_kind = SCAN_LEN_VAR, .bias = 2,
		  .len_mask = 0xfff },
		/* a type 2 row on the render engine: RCS decodes no type 2 */
		{ .name = "BLT_ON_RCS", .mask = 0xffc00000, .value = 0x54c00000,
		  .engines = RCS_ONLY, .len_kind = SCAN_LEN_VAR, .bias = 2, .len_mask = 0xff },
	};
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));

	(void)state;
	assert_int_equal(syn_decode(gi, SCAN_RCS, 0x70000000).status, SCAN_CMD_UNKNOWN);
	assert_int_equal(syn_decode(gi, SCAN_VECS, 0x70000000).status, SCAN_CMD_UNKNOWN);
	assert_int_equal(syn_decode(gi, SCAN_VCS, 0x70000123).dwords, 0x123 + 2);
	assert_int_equal(syn_decode(gi, SCAN_RCS, 0x54c00008).status, SCAN_CMD_UNKNOWN);
	free(gi);
}

static void test_unusual_length_rules_take_the_general_path(void **state)
{
	static const struct scan_cmd_desc rows[] = {
		/* a length field that is not the low bits */
		{ .name = "HIGH_LEN", .mask = 0xffff0000, .value = 0x7a000000, .engines = RCS_ONLY,
		  .len_kind = SCAN_LEN_VAR, .bias = 1, .len_mask = 0xf0 },
		/* a row without a length: one dword, so a walk always advances */
		SYN_FIXED("NO_LEN", 0xffff0000, 0x7b000000, 0),
	};
	struct gen_index *gi = syn_index(rows, ARRAY_SIZE(rows));
	struct scan_cmd c;

	(void)state;
	c = syn_decode(gi, SCAN_RCS, 0x7a00003f);
	assert_string_equal(name_of(&c), "HIGH_LEN");
	assert_int_equal(c.dwords, 0x30 + 1);
	c = syn_decode(gi, SCAN_RCS, 0x7b0000ff);
	assert_string_equal(name_of(&c), "NO_LEN");
	assert_int_equal(c.dwords, 1);
	free(gi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_first_use_builds_one_index),
		cmocka_unit_test(test_index_has_no_conflicts),
		cmocka_unit_test(test_every_row_is_found_by_its_own_header),
		cmocka_unit_test(test_mi_noop_is_one_dword_on_every_engine),
		cmocka_unit_test(test_same_header_is_media_vfe_state_on_rcs_and_mfx_pipe_mode_select_on_vcs),
		cmocka_unit_test(test_blitter_header_is_unknown_on_rcs_and_xy_src_copy_blt_on_bcs),
		cmocka_unit_test(test_3d_commands_are_unknown_off_the_render_engine),
		cmocka_unit_test(test_types_1_and_4_to_7_are_unknown_on_every_engine),
		cmocka_unit_test(test_bad_generation_or_engine_is_unknown),
		cmocka_unit_test(test_unknown_lengths_are_per_class_guesses),
		cmocka_unit_test(test_length_field_minimum_and_maximum_of_every_width),
		cmocka_unit_test(test_every_row_decodes_its_length_range),
		cmocka_unit_test(test_fixed_length_commands_ignore_low_bits),
		cmocka_unit_test(test_truncated_exactly_when_length_exceeds_buffer),
		cmocka_unit_test(test_decode_never_reads_past_the_buffer),
		cmocka_unit_test(test_lri_gives_one_register_write_per_pair),
		cmocka_unit_test(test_lri_of_195_dwords_has_97_pairs),
		cmocka_unit_test(test_lrm_writes_a_register_from_memory_in_either_space),
		cmocka_unit_test(test_srm_reads_a_register_into_memory),
		cmocka_unit_test(test_lrr_reads_source_and_writes_destination),
		cmocka_unit_test(test_pipe_control_post_sync_and_address),
		cmocka_unit_test(test_mi_flush_dw_post_sync_and_address),
		cmocka_unit_test(test_bb_start_address_space_and_level),
		cmocka_unit_test(test_sdi_address_and_space),
		cmocka_unit_test(test_repeated_vertex_buffers_give_one_address_each),
		cmocka_unit_test(test_field_extraction_across_dword_boundaries),
		cmocka_unit_test(test_field_bits_past_the_command_read_as_zero),
		cmocka_unit_test(test_field_value_keeps_address_and_offset_position),
		cmocka_unit_test(test_engine_names_round_trip),
		cmocka_unit_test(test_table_find_resolves_names_and_aliases),
		cmocka_unit_test(test_gen9_only_blitter_command_is_unknown_on_gen8),
		cmocka_unit_test(test_rows_differing_below_the_index_bits_share_a_slot_chain),
		cmocka_unit_test(test_row_with_a_mask_narrower_than_the_index_fills_every_slot),
		cmocka_unit_test(test_overlapping_rows_are_reported_and_the_first_wins),
		cmocka_unit_test(test_chain_longer_than_four_rows_is_reported),
		cmocka_unit_test(test_row_is_indexed_only_on_its_engines_and_classes),
		cmocka_unit_test(test_unusual_length_rules_take_the_general_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
