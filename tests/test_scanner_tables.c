/* SPDX-License-Identifier: MIT */
/*
 * Consistency of the command tables (scanner/cmds_gen8.c, cmds_gen9.c,
 * cmds_blt.c, aliases.c): every row of both generations, blitter rows
 * included, is checked through the table API; the row internals come from
 * the private cmd_table.h.  The rules are those of docs/COMMANDS.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "scanner/cmd_table.h"
#include "scanner/scanner.h"

static const enum scan_gen gens[] = { SCAN_GEN8, SCAN_GEN9 };
#define NGENS (sizeof(gens) / sizeof(gens[0]))

#define TYPE_BITS 0xe0000000u

static unsigned header_type(const struct scan_cmd_desc *d)
{
	return d->value >> 29;
}

/* Does the row exist on this generation (XY_FAST_* are Gen9 only)? */
static int row_on_gen(const struct scan_cmd_desc *d, enum scan_gen gen)
{
	return !d->min_gen || (unsigned)gen >= d->min_gen;
}

static uint32_t row_max_len(const struct scan_cmd_desc *d)
{
	uint32_t lo, hi;

	scan_desc_len_range(d, &lo, &hi);
	return hi;
}

/* Fails with the row named, so a broken row is found at once. */
#define ROW_CHECK(cond, gen, d, what)                                            \
	do {                                                                      \
		if (!(cond))                                                      \
			fail_msg("gen%d %s: %s", (int)(gen), scan_desc_name(d), what); \
	} while (0)

static void test_tables_are_not_empty(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		assert_true(scan_table_size(gens[g]) > scan_cmds_blt_count);
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++)
			assert_non_null(scan_table_row(gens[g], i));
		assert_null(scan_table_row(gens[g], scan_table_size(gens[g])));
	}
	assert_int_equal(scan_table_size((enum scan_gen)7), 0);
}

/* scan_table_index inverts scan_table_row for every row of every segment
 * (genxml rows, XY_*, VEBOX); another generation's own rows are not found. */
static void test_table_index_inverts_table_row(void **state)
{
	for (enum scan_gen g = SCAN_GEN8; g <= SCAN_GEN9; g++) {
		unsigned n = scan_table_size(g);

		for (unsigned i = 0; i < n; i++)
			assert_int_equal(scan_table_index(g, scan_table_row(g, i)), (int)i);
	}
	assert_int_equal(scan_table_index(SCAN_GEN8, scan_table_row(SCAN_GEN9, 0)), -ENOENT);
	assert_int_equal(scan_table_index(SCAN_GEN9, NULL), -EINVAL);
}

/* MI_UPDATE_GTT, which genxml lacks, decodes on every engine of both
 * generations with GVT-g's 10-bit length field. */
static void test_update_gtt_decodes_everywhere_with_a_10_bit_length(void **state)
{
	for (enum scan_gen g = SCAN_GEN8; g <= SCAN_GEN9; g++)
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			uint32_t buf[0x401 + 2] = { (0x23u << 23) | 0x3ff };
			struct scan_cmd c;

			assert_int_equal(scan_decode(g, (enum scan_engine)e, buf, 0x3ff + 2, &c),
					 SCAN_CMD_OK);
			assert_string_equal(scan_desc_name(c.desc), "MI_UPDATE_GTT");
			assert_int_equal(c.dwords, 0x3ff + 2);
		}
}

static void test_every_mask_covers_the_type_bits(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);

			ROW_CHECK((d->mask & TYPE_BITS) == TYPE_BITS, gens[g], d,
				  "mask does not cover DW0 bits 31:29");
		}
}

static void test_every_value_lies_inside_its_mask(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);

			ROW_CHECK((d->value & ~d->mask) == 0, gens[g], d,
				  "value sets bits outside the mask");
		}
}

static void test_no_value_or_mask_touches_the_length_field(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);

			if (d->len_kind != SCAN_LEN_VAR)
				continue;
			ROW_CHECK(d->len_mask != 0, gens[g], d, "variable length without a field");
			ROW_CHECK((d->value & d->len_mask) == 0, gens[g], d,
				  "value sets length-field bits");
			ROW_CHECK((d->mask & d->len_mask) == 0, gens[g], d,
				  "mask covers length-field bits");
			/* The length field is the low bits of DW0: mask + 1 is a power of 2. */
			ROW_CHECK((d->len_mask & (d->len_mask + 1u)) == 0, gens[g], d,
				  "length field is not DW0's low bits");
		}
}

static void test_length_range_agrees_with_the_row(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			uint32_t lo = 0, hi = 0;

			scan_desc_len_range(d, &lo, &hi);
			if (d->len_kind == SCAN_LEN_FIXED) {
				ROW_CHECK(d->len_fixed >= 1, gens[g], d, "fixed length 0");
				ROW_CHECK(lo == d->len_fixed && hi == d->len_fixed, gens[g], d,
					  "fixed range differs from len_fixed");
			} else {
				ROW_CHECK(d->len_kind == SCAN_LEN_VAR, gens[g], d, "bad len_kind");
				ROW_CHECK(d->bias >= 1, gens[g], d, "bias 0");
				ROW_CHECK(lo == d->bias, gens[g], d, "minimum is not the bias");
				ROW_CHECK(hi == (uint32_t)d->len_mask + d->bias, gens[g], d,
					  "maximum is not field maximum + bias");
				/* The nominal length, when given, is encodable. */
				ROW_CHECK(d->len_fixed == 0 || (d->len_fixed >= lo && d->len_fixed <= hi),
					  gens[g], d, "nominal length outside the encodable range");
			}
		}
}

static void test_no_two_rows_on_one_engine_match_a_common_header(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n = scan_table_size(gens[g]);

		for (unsigned i = 0; i < n; i++) {
			const struct scan_cmd_desc *a = scan_table_row(gens[g], i);

			if (!row_on_gen(a, gens[g]))
				continue;
			for (unsigned j = i + 1; j < n; j++) {
				const struct scan_cmd_desc *b = scan_table_row(gens[g], j);

				if (!row_on_gen(b, gens[g]) || !(a->engines & b->engines))
					continue;
				/* Some header matches both iff they agree on the common mask. */
				if (((a->value ^ b->value) & a->mask & b->mask) == 0)
					fail_msg("gen%d: %s and %s match a common header on engines 0x%x",
						 (int)gens[g], a->name, b->name,
						 (unsigned)(a->engines & b->engines));
			}
		}
	}
}

static void test_command_types_are_legal_on_their_engines(void **state)
{
	/* gvt-g.md 1.1: type 0 MI on every engine, type 2 only on BCS, type 3
	 * on RCS/VCS/VECS (3D-media / MFX / VEBOX), other types nowhere. */
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			unsigned e = scan_desc_engines(d), t = header_type(d), legal = 0;

			if (t == 0)
				legal = SCAN_ENGINES_ALL;
			else if (t == 2)
				legal = SCAN_ENGINE_BIT(SCAN_BCS);
			else if (t == 3)
				legal = SCAN_ENGINES_ALL & ~SCAN_ENGINE_BIT(SCAN_BCS);
			ROW_CHECK(e != 0, gens[g], d, "legal on no engine");
			ROW_CHECK((e & ~legal) == 0, gens[g], d,
				  "legal on an engine that does not decode its type");
		}
}

static void test_every_address_operand_lies_inside_the_command(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			uint32_t bits = 32 * row_max_len(d);

			ROW_CHECK(d->naddrs == 0 || d->addrs, gens[g], d, "naddrs without addrs");
			for (unsigned k = 0; k < d->naddrs; k++) {
				const struct scan_addr_desc *a = &d->addrs[k];

				ROW_CHECK(a->name && a->start <= a->end, gens[g], d, "bad address range");
				ROW_CHECK(a->end < bits, gens[g], d,
					  "address operand past the maximum length");
				ROW_CHECK(a->end - a->start < 64, gens[g], d,
					  "address operand wider than 64 bits");
				/* Never the header: an address starts at DW1 or later. */
				ROW_CHECK(a->start >= 32, gens[g], d, "address operand in DW0");
				if (a->sel_bit >= 0) {
					ROW_CHECK((uint32_t)a->sel_bit < bits, gens[g], d,
						  "selector past the maximum length");
					ROW_CHECK(a->sel_ggtt_val <= 1, gens[g], d, "selector value not a bit");
				} else {
					ROW_CHECK(a->fixed_as == SCAN_AS_GGTT || a->fixed_as == SCAN_AS_PPGTT,
						  gens[g], d, "bad fixed address space");
				}
				ROW_CHECK(a->rep_stride == 0 || a->rep_stride > a->end - a->start,
					  gens[g], d, "repeating operand overlaps its next instance");
			}
		}
}

static void test_every_field_lies_inside_the_command(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			unsigned nf = 0;
			const struct scan_field *f = scan_desc_fields(d, &nf);
			uint32_t bits = 32 * row_max_len(d);

			ROW_CHECK(nf > 0 && f, gens[g], d, "no fields");
			for (unsigned k = 0; k < nf; k++) {
				ROW_CHECK(f[k].name && f[k].name[0], gens[g], d, "unnamed field");
				ROW_CHECK(f[k].start <= f[k].end && f[k].end < bits, gens[g], d,
					  "field outside the command");
				ROW_CHECK(f[k].type <= SCAN_FT_OTHER, gens[g], d, "bad field type");
				ROW_CHECK(f[k].end - f[k].start < 64 || f[k].type == SCAN_FT_OTHER,
					  gens[g], d, "field wider than 64 bits not typed OTHER");
			}
		}
}

static void test_every_blitter_row_is_bcs_only_type_2(void **state)
{
	(void)state;
	assert_true(scan_cmds_blt_count > 0);
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned xy = 0;

		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			int is_xy = strncmp(scan_desc_name(d), "XY_", 3) == 0;

			ROW_CHECK(is_xy == (header_type(d) == 2), gens[g], d,
				  "XY_ name and type 2 disagree");
			if (!is_xy)
				continue;
			xy++;
			ROW_CHECK(scan_desc_engines(d) == SCAN_ENGINE_BIT(SCAN_BCS), gens[g], d,
				  "blitter command legal off BCS");
			ROW_CHECK(d->mask == 0xffc00000u, gens[g], d, "not matched on bits 31:22");
			ROW_CHECK(d->len_kind == SCAN_LEN_VAR && d->len_mask == 0xff && d->bias == 2,
				  gens[g], d, "length is not bits 7:0 + 2");
			for (unsigned k = 0; k < d->naddrs; k++)
				ROW_CHECK(d->addrs[k].sel_bit < 0 &&
					  d->addrs[k].fixed_as == SCAN_AS_PPGTT, gens[g], d,
					  "blitter address not fixed PPGTT");
		}
		assert_int_equal(xy, scan_cmds_blt_count);
	}
}

/* The blitter opcodes gvt-g.md 1.1 names, against the rows. */
static void test_blitter_opcodes_match_the_gvt_facts(void **state)
{
	static const struct {
		const char *name;
		uint32_t op;
	} facts[] = {
		{ "XY_SETUP_BLT", 0x01 },    { "XY_COLOR_BLT", 0x50 },
		{ "XY_SRC_COPY_BLT", 0x53 }, { "XY_FULL_BLT", 0x55 },
		{ "XY_TEXT_IMMEDIATE_BLT", 0x31 },
		{ "XY_FAST_COPY_BLT", 0x42 }, { "XY_FAST_COLOR_BLT", 0x44 },
	};
	(void)state;
	for (unsigned k = 0; k < sizeof(facts) / sizeof(facts[0]); k++) {
		const struct scan_cmd_desc *d = scan_table_find(SCAN_GEN9, facts[k].name);

		assert_non_null(d);
		assert_int_equal((d->value >> 22) & 0x7f, facts[k].op);
	}
}

/* XY_SRC_COPY_BLT's Gen8+ layout: 10 dwords, destination at DW4-5 and
 * source at DW8-9 (the captured IGT batches relocate exactly those). */
static void test_src_copy_blt_addresses_are_dw4_and_dw8(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		const struct scan_cmd_desc *d = scan_table_find(gens[g], "XY_SRC_COPY_BLT");

		assert_non_null(d);
		assert_int_equal(d->len_fixed, 10);
		assert_int_equal(d->naddrs, 2);
		assert_int_equal(d->addrs[0].start, 4 * 32);
		assert_int_equal(d->addrs[0].end, 4 * 32 + 47);
		assert_int_equal(d->addrs[1].start, 8 * 32);
		assert_int_equal(d->addrs[1].end, 8 * 32 + 47);
	}
}

static void test_names_are_unique_per_generation_and_engine(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n = scan_table_size(gens[g]);

		for (unsigned i = 0; i < n; i++) {
			const struct scan_cmd_desc *a = scan_table_row(gens[g], i);

			for (unsigned j = i + 1; j < n; j++) {
				const struct scan_cmd_desc *b = scan_table_row(gens[g], j);

				if ((a->engines & b->engines) && !strcmp(a->name, b->name))
					fail_msg("gen%d: %s twice", (int)gens[g], a->name);
			}
		}
	}
}

static void test_every_row_is_found_by_its_name(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < scan_table_size(gens[g]); i++) {
			const struct scan_cmd_desc *d = scan_table_row(gens[g], i);
			const struct scan_cmd_desc *found = scan_table_find(gens[g], scan_desc_name(d));

			/* A row of a later generation (min_gen) is not found on this one. */
			if (row_on_gen(d, gens[g]))
				ROW_CHECK(found == d, gens[g], d, "scan_table_find does not return the row");
			else
				ROW_CHECK(found == NULL, gens[g], d,
					  "found on a generation before its min_gen");
		}
	assert_null(scan_table_find(SCAN_GEN9, "NO_SUCH_COMMAND"));
}

static void test_every_alias_names_an_existing_row(void **state)
{
	(void)state;
	assert_true(scan_aliases_count > 0);
	for (unsigned k = 0; k < scan_aliases_count; k++) {
		const struct scan_alias *al = &scan_aliases[k];
		int found = 0;

		for (unsigned g = 0; g < NGENS; g++) {
			const struct scan_cmd_desc *d = scan_table_find(gens[g], al->alias);

			/* An alias is never also a table name of its own. */
			if (d)
				assert_string_equal(scan_desc_name(d), al->name);
			found |= d != NULL;
		}
		if (!found)
			fail_msg("alias %s -> %s resolves on no generation", al->alias, al->name);
	}
}

/* gvt-g.md 3.2: the address-space selector of each selectable operand. */
static void test_address_space_selectors_match_the_gvt_facts(void **state)
{
	static const struct {
		const char *name;
		int sel_bit;
		unsigned ggtt_val;
	} facts[] = {
		{ "MI_BATCH_BUFFER_START", 8, 0 },  /* 1 = PPGTT */
		{ "MI_STORE_DATA_IMM", 22, 1 },     { "MI_LOAD_REGISTER_MEM", 22, 1 },
		{ "MI_STORE_REGISTER_MEM", 22, 1 }, { "MI_ATOMIC", 22, 1 },
		{ "PIPE_CONTROL", 32 + 24, 1 },     { "MI_FLUSH_DW", 32 + 2, 1 },
	};
	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned k = 0; k < sizeof(facts) / sizeof(facts[0]); k++) {
			const struct scan_cmd_desc *d = scan_table_find(gens[g], facts[k].name);

			assert_non_null(d);
			assert_true(d->naddrs >= 1);
			for (unsigned a = 0; a < d->naddrs; a++) {
				assert_int_equal(d->addrs[a].sel_bit, facts[k].sel_bit);
				assert_int_equal(d->addrs[a].sel_ggtt_val, facts[k].ggtt_val);
			}
		}
}

/* The decoder's O(1) index takes every row: no slot conflict, no overflow. */
static void test_decode_index_holds_every_row_without_conflict(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		char msg[256] = "";
		int n = scan_decode_conflicts(gens[g], msg, sizeof(msg));

		if (n != 0)
			fail_msg("gen%d: %d index conflicts, first: %s", (int)gens[g], n, msg);
	}
}

/* XY_FAST_COPY_BLT and XY_FAST_COLOR_BLT are Gen9 additions: on Gen8 the
 * blitter does not know them, so their headers decode as unknown there. */
static void test_fast_blits_are_unknown_on_gen8(void **state)
{
	static const char *const names[] = { "XY_FAST_COPY_BLT", "XY_FAST_COLOR_BLT" };
	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		const struct scan_cmd_desc *d9 = scan_table_find(SCAN_GEN9, names[k]);
		uint32_t buf[16] = { 0 };
		struct scan_cmd c;

		assert_non_null(d9);
		assert_int_equal(d9->min_gen, SCAN_GEN9);
		buf[0] = d9->value | (d9->len_fixed - d9->bias);
		assert_int_equal(scan_decode(SCAN_GEN9, SCAN_BCS, buf, 16, &c), SCAN_CMD_OK);
		assert_ptr_equal(c.desc, d9);
		assert_int_equal(scan_decode(SCAN_GEN8, SCAN_BCS, buf, 16, &c), SCAN_CMD_UNKNOWN);
	}
}

/* The auditor dispatches on `handler` only: every command it has a rule
 * for carries its id in both generations (where the generation has it). */
static void test_rows_carry_the_handler_ids_the_auditor_dispatches_on(void **state)
{
	static const struct {
		const char *name;
		uint8_t h;
	} want[] = {
		{ "MI_BATCH_BUFFER_START", SCAN_H_BB_START },
		{ "MI_BATCH_BUFFER_END", SCAN_H_BB_END },
		{ "MI_CONDITIONAL_BATCH_BUFFER_END", SCAN_H_COND_BB_END },
		{ "MI_LOAD_REGISTER_IMM", SCAN_H_LRI },
		{ "MI_LOAD_REGISTER_MEM", SCAN_H_LRM },
		{ "MI_STORE_REGISTER_MEM", SCAN_H_SRM },
		{ "MI_LOAD_REGISTER_REG", SCAN_H_LRR },
		{ "MI_STORE_DATA_IMM", SCAN_H_SDI },
		{ "MI_STORE_DATA_INDEX", SCAN_H_SDX },
		{ "MI_ATOMIC", SCAN_H_ATOMIC },
		{ "MI_COPY_MEM_MEM", SCAN_H_COPY_MEM_MEM },
		{ "MI_FLUSH_DW", SCAN_H_FLUSH_DW },
		{ "PIPE_CONTROL", SCAN_H_PIPE_CONTROL },
		{ "MI_USER_INTERRUPT", SCAN_H_USER_INTERRUPT },
		{ "MI_WAIT_FOR_EVENT", SCAN_H_WAIT_FOR_EVENT },
		{ "MI_DISPLAY_FLIP", SCAN_H_DISPLAY_FLIP },
		{ "MI_REPORT_PERF_COUNT", SCAN_H_REPORT_PERF },
		{ "MI_SEMAPHORE_WAIT", SCAN_H_SEMAPHORE_WAIT },
		{ "MI_LOAD_SCAN_LINES_INCL", SCAN_H_LOAD_SCAN_LINES },
		{ "MI_LOAD_SCAN_LINES_EXCL", SCAN_H_LOAD_SCAN_LINES },
		{ "MI_CLFLUSH", SCAN_H_CLFLUSH },
		{ "MI_SET_CONTEXT", SCAN_H_SET_CONTEXT },
		{ "MI_UPDATE_GTT", SCAN_H_UPDATE_GTT },
		{ "MI_SEMAPHORE_SIGNAL", SCAN_H_SEMAPHORE_SIGNAL },
		{ "MI_RS_STORE_DATA_IMM", SCAN_H_RS_STORE_DATA_IMM },
		{ "MI_LOAD_URB_MEM", SCAN_H_LOAD_URB_MEM },
		{ "MI_STORE_URB_MEM", SCAN_H_STORE_URB_MEM },
		{ "MI_URB_CLEAR", SCAN_H_URB_CLEAR },
		{ "MI_PREDICATE", SCAN_H_PREDICATE },
		{ "MI_SET_PREDICATE", SCAN_H_PREDICATE },
	};

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			const struct scan_cmd_desc *d = scan_table_find(gens[g], want[i].name);

			/* genxml: MI_URB_CLEAR is Gen8-only, MI_DISPLAY_FLIP Gen9-only */
			if (!d && ((!strcmp(want[i].name, "MI_URB_CLEAR") && gens[g] == SCAN_GEN9) ||
				   (!strcmp(want[i].name, "MI_DISPLAY_FLIP") && gens[g] == SCAN_GEN8)))
				continue;
			if (!d)
				fail_msg("gen%d lacks %s", gens[g], want[i].name);
			if (d->handler != want[i].h)
				fail_msg("gen%d %s: handler %u, want %u", gens[g], want[i].name,
					 d->handler, want[i].h);
		}
	}
}

/* Commands the hardware runs at one length although the header has a
 * length field; everything else: 0 (any encodable length). */
static void test_exact_lengths_come_from_the_row(void **state)
{
	static const struct {
		const char *name;
		uint32_t len;
	} want[] = {
		{ "PIPE_CONTROL", 6 }, { "MI_STORE_REGISTER_MEM", 4 }, { "MI_LOAD_REGISTER_MEM", 4 },
		{ "MI_LOAD_REGISTER_REG", 3 }, { "MI_BATCH_BUFFER_START", 3 },
		{ "MI_COPY_MEM_MEM", 5 }, { "MI_SEMAPHORE_SIGNAL", 2 },
		{ "MI_LOAD_REGISTER_IMM", 0 }, { "MI_STORE_DATA_IMM", 0 }, { "MI_FLUSH_DW", 0 },
		{ "3DSTATE_VERTEX_BUFFERS", 0 }, { "MI_NOOP", 0 },
	};

	(void)state;
	for (unsigned g = 0; g < NGENS; g++)
		for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			assert_int_equal(scan_desc_exact_len(scan_table_find(gens[g], want[i].name)),
					 want[i].len);
	assert_int_equal(scan_desc_exact_len(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_are_not_empty),
		cmocka_unit_test(test_table_index_inverts_table_row),
		cmocka_unit_test(test_update_gtt_decodes_everywhere_with_a_10_bit_length),
		cmocka_unit_test(test_every_mask_covers_the_type_bits),
		cmocka_unit_test(test_every_value_lies_inside_its_mask),
		cmocka_unit_test(test_no_value_or_mask_touches_the_length_field),
		cmocka_unit_test(test_length_range_agrees_with_the_row),
		cmocka_unit_test(test_no_two_rows_on_one_engine_match_a_common_header),
		cmocka_unit_test(test_command_types_are_legal_on_their_engines),
		cmocka_unit_test(test_every_address_operand_lies_inside_the_command),
		cmocka_unit_test(test_every_field_lies_inside_the_command),
		cmocka_unit_test(test_every_blitter_row_is_bcs_only_type_2),
		cmocka_unit_test(test_blitter_opcodes_match_the_gvt_facts),
		cmocka_unit_test(test_src_copy_blt_addresses_are_dw4_and_dw8),
		cmocka_unit_test(test_names_are_unique_per_generation_and_engine),
		cmocka_unit_test(test_every_row_is_found_by_its_name),
		cmocka_unit_test(test_every_alias_names_an_existing_row),
		cmocka_unit_test(test_address_space_selectors_match_the_gvt_facts),
		cmocka_unit_test(test_decode_index_holds_every_row_without_conflict),
		cmocka_unit_test(test_fast_blits_are_unknown_on_gen8),
		cmocka_unit_test(test_rows_carry_the_handler_ids_the_auditor_dispatches_on),
		cmocka_unit_test(test_exact_lengths_come_from_the_row),
	};

	return cmocka_run_group_tests_name("scanner_tables", tests, NULL, NULL);
}
