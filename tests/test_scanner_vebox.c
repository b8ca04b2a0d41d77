/* SPDX-License-Identifier: MIT */
/*
 * The VEBOX rows of the video-enhancement engine (scanner/cmds_vebox.c):
 * they decode on VECS with their names and lengths over the whole length
 * field, are unknown (or another engine's command) elsewhere, keep Gen9's
 * additions off Gen8, report their address operands inside the command,
 * conflict with no other VECS row, and pass the auditor in a real batch.
 */
#include "test_scanner_audit_util.h"

static const enum scan_gen gens[] = { SCAN_GEN8, SCAN_GEN9 };
#define NGENS (sizeof(gens) / sizeof(gens[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define LEN_FIELD_MAX 0xfffu           /* the 12-bit DWord Length field */
#define MAXDW (LEN_FIELD_MAX + 2)      /* the longest encodable command */

static uint32_t buf[MAXDW];

/* The generation's VEBOX rows, straight from cmds_vebox.c. */
static const struct scan_cmd_desc *vebox_rows(enum scan_gen gen, unsigned *n)
{
	if (gen == SCAN_GEN8) {
		*n = scan_cmds_vebox_gen8_count;
		return scan_cmds_vebox_gen8;
	}
	*n = scan_cmds_vebox_gen9_count;
	return scan_cmds_vebox_gen9;
}

static int is_vebox_row(enum scan_gen gen, const struct scan_cmd_desc *d)
{
	unsigned n;
	const struct scan_cmd_desc *rows = vebox_rows(gen, &n);

	return d >= rows && d < rows + n;
}

static const struct scan_field *field_named(const struct scan_cmd_desc *d, const char *name)
{
	unsigned n = 0;
	const struct scan_field *f = scan_desc_fields(d, &n);

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

/* Writes v into bits [start, end] of a dword array (bit 32 = DW1 bit 0). */
static void set_bits(uint32_t *dw, unsigned start, unsigned end, uint64_t v)
{
	for (unsigned b = start; b <= end; b++, v >>= 1) {
		uint32_t bit = 1u << (b % 32);

		dw[b / 32] = (v & 1) ? dw[b / 32] | bit : dw[b / 32] & ~bit;
	}
}

/* The facts the rows were written from (media-driver mhw_vebox_hwcmd_g8_X.h
 * and _g9_X.h): sub-opcode B and dwSize per generation, 0 = absent. */
static const struct {
	const char *name;
	unsigned subop_b, len8, len9;
} expected[] = {
	{ "VEBOX_SURFACE_STATE", 0, 7, 9 },
	{ "VEBOX_TILING_CONVERT", 1, 0, 5 },
	{ "VEBOX_STATE", 2, 12, 16 },
	{ "VEB_DI_IECP", 3, 20, 24 },
};

static void test_vebox_rows_are_the_documented_commands(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n, want = 0;
		const struct scan_cmd_desc *rows = vebox_rows(gens[g], &n);

		for (unsigned k = 0; k < ARRAY_SIZE(expected); k++) {
			unsigned len = gens[g] == SCAN_GEN8 ? expected[k].len8 : expected[k].len9;
			const struct scan_cmd_desc *d = scan_table_find(gens[g], expected[k].name);

			if (!len) {
				if (d)
					fail_msg("gen%d has %s", gens[g], expected[k].name);
				continue;
			}
			want++;
			if (!d)
				fail_msg("gen%d lacks %s", gens[g], expected[k].name);
			assert_true(is_vebox_row(gens[g], d));
			/* type 3, pipeline 2, opcode 4, sub-op A 0, sub-op B */
			assert_int_equal(d->mask, 0xffff0000u);
			assert_int_equal(d->value, (3u << 29) | (2u << 27) | (4u << 24) |
							   (expected[k].subop_b << 16));
			assert_int_equal(d->engines, SCAN_ENGINE_BIT(SCAN_VECS));
			assert_int_equal(d->len_kind, SCAN_LEN_VAR);
			assert_int_equal(d->len_mask, LEN_FIELD_MAX);
			assert_int_equal(d->bias, 2);
			assert_int_equal(d->len_fixed, len);
			assert_int_equal(d->handler, SCAN_H_NONE);
		}
		assert_int_equal(n, want);
		/* and every row is reachable through the generation's table */
		for (unsigned i = 0; i < n; i++) {
			unsigned k, size = scan_table_size(gens[g]);

			for (k = 0; k < size; k++)
				if (scan_table_row(gens[g], k) == &rows[i])
					break;
			if (k == size)
				fail_msg("gen%d %s is not in scan_table_row()", gens[g], rows[i].name);
		}
	}
}

static void check_decodes(enum scan_gen gen, const struct scan_cmd_desc *d, uint32_t field)
{
	struct scan_cmd c;
	const struct scan_field *f;

	memset(buf, 0, sizeof(buf));
	buf[0] = d->value | field;
	assert_int_equal(scan_decode(gen, SCAN_VECS, buf, MAXDW, &c), SCAN_CMD_OK);
	if (c.desc != d)
		fail_msg("gen%d header 0x%08x decodes as %s, not %s", gen, buf[0],
			 c.desc ? c.desc->name : "(unknown)", d->name);
	assert_string_equal(scan_desc_name(c.desc), d->name);
	assert_int_equal(c.dwords, field + d->bias);
	assert_false(c.len_is_guess);
	f = field_named(d, "DWord Length");
	assert_non_null(f);
	assert_int_equal(scan_cmd_field(&c, f), field);
	f = field_named(d, "SubOpcode B");
	assert_non_null(f);
	assert_int_equal(scan_cmd_field(&c, f), (d->value >> 16) & 0x1f);
}

static void test_vebox_rows_decode_on_vecs_at_min_nominal_and_max_length(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n;
		const struct scan_cmd_desc *rows = vebox_rows(gens[g], &n);

		for (unsigned i = 0; i < n; i++) {
			uint32_t lo, hi;

			scan_desc_len_range(&rows[i], &lo, &hi);
			assert_int_equal(lo, 2);
			assert_int_equal(hi, MAXDW);
			check_decodes(gens[g], &rows[i], 0);
			check_decodes(gens[g], &rows[i], rows[i].len_fixed - 2u);
			check_decodes(gens[g], &rows[i], LEN_FIELD_MAX);
		}
	}
}

static void test_vebox_command_longer_than_the_buffer_is_truncated(void **state)
{
	struct scan_cmd c;

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		const struct scan_cmd_desc *d = scan_table_find(gens[g], "VEBOX_STATE");

		assert_non_null(d);
		memset(buf, 0, sizeof(buf));
		buf[0] = d->value | (d->len_fixed - 2u);
		assert_int_equal(scan_decode(gens[g], SCAN_VECS, buf, d->len_fixed - 1u, &c),
				 SCAN_CMD_TRUNCATED);
		assert_int_equal(c.dwords, d->len_fixed);
	}
}

static void test_vebox_headers_off_vecs_are_unknown_or_another_engines_command(void **state)
{
	static const enum scan_engine others[] = { SCAN_RCS, SCAN_BCS, SCAN_VCS };

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n;
		const struct scan_cmd_desc *rows = vebox_rows(gens[g], &n);

		for (unsigned i = 0; i < n; i++)
			for (unsigned e = 0; e < ARRAY_SIZE(others); e++) {
				struct scan_cmd c;
				enum scan_cmd_status st;

				memset(buf, 0, sizeof(buf));
				buf[0] = rows[i].value | (rows[i].len_fixed - 2u);
				st = scan_decode(gens[g], others[e], buf, MAXDW, &c);
				if (st == SCAN_CMD_UNKNOWN)
					continue;
				/* The same header may mean something else there (on VCS
				 * 0x74000000 is MFX_VP8_PIC_STATE), never the VEBOX row. */
				assert_non_null(c.desc);
				if (is_vebox_row(gens[g], c.desc) ||
				    !strcmp(c.desc->name, rows[i].name) ||
				    (c.desc->engines & SCAN_ENGINE_BIT(SCAN_VECS)) ||
				    !(c.desc->engines & SCAN_ENGINE_BIT(others[e])))
					fail_msg("gen%d %s header decodes as %s on %s", gens[g],
						 rows[i].name, c.desc->name,
						 scan_engine_name(others[e]));
				assert_int_not_equal(others[e], SCAN_BCS); /* BCS has no type 3 */
			}
	}
}

static void test_vebox_tiling_convert_is_a_gen9_command(void **state)
{
	const struct scan_cmd_desc *d9 = scan_table_find(SCAN_GEN9, "VEBOX_TILING_CONVERT");
	struct scan_cmd c;

	(void)state;
	assert_non_null(d9);
	assert_int_equal(d9->min_gen, SCAN_GEN9);
	assert_null(scan_table_find(SCAN_GEN8, "VEBOX_TILING_CONVERT"));
	memset(buf, 0, sizeof(buf));
	buf[0] = d9->value | 3;
	assert_int_equal(scan_decode(SCAN_GEN8, SCAN_VECS, buf, MAXDW, &c), SCAN_CMD_UNKNOWN);
	assert_null(c.desc);
	assert_true(c.len_is_guess);
	assert_int_equal(scan_decode(SCAN_GEN9, SCAN_VECS, buf, MAXDW, &c), SCAN_CMD_OK);
	assert_ptr_equal(c.desc, d9);
	/* Gen8's rows all exist on Gen8 */
	for (unsigned i = 0; i < scan_cmds_vebox_gen8_count; i++)
		assert_true(scan_cmds_vebox_gen8[i].min_gen == 0 ||
			    scan_cmds_vebox_gen8[i].min_gen <= SCAN_GEN8);
}

/* Fills each address operand of d with its own address, decodes a
 * command of `len` dwords, and checks the operands reported. */
static void check_operands(enum scan_gen gen, const struct scan_cmd_desc *d, uint32_t len)
{
	struct scan_operand ops[32];
	uint64_t want[32];
	unsigned inside = 0, got;
	struct scan_cmd c;

	assert_true(d->naddrs <= ARRAY_SIZE(want));
	memset(buf, 0, sizeof(buf));
	buf[0] = d->value | (len - 2u);
	for (unsigned k = 0; k < d->naddrs; k++) {
		const struct scan_addr_desc *a = &d->addrs[k];
		unsigned low = a->start % 32;
		/* a distinct 48-bit address per operand, aligned to its low bit */
		uint64_t addr = ((0x1234500000ull + 0x10000000ull * k) | (0x800ull + k) << 36) &
				SCAN_GMA_MASK & ~((UINT64_C(1) << low) - 1);

		want[k] = addr;
		set_bits(buf, a->start, a->end, addr >> low);
	}
	assert_int_equal(scan_decode(gen, SCAN_VECS, buf, MAXDW, &c), SCAN_CMD_OK);
	assert_ptr_equal(c.desc, d);
	got = scan_cmd_operands(&c, ops, ARRAY_SIZE(ops));
	for (unsigned k = 0; k < d->naddrs; k++) {
		const struct scan_addr_desc *a = &d->addrs[k];
		unsigned j;

		if (a->end >= 32 * len)
			continue; /* past this command's end: not an operand */
		for (j = 0; j < got; j++)
			if (ops[j].name == a->name)
				break;
		if (j == got)
			fail_msg("gen%d %s (%u dw): %s not reported", gen, d->name, len, a->name);
		assert_int_equal(ops[j].kind, SCAN_OP_ADDRESS);
		assert_int_equal(ops[j].as, SCAN_AS_PPGTT);
		assert_int_equal(ops[j].dw, a->start / 32);
		assert_true(ops[j].dw >= 1 && ops[j].dw < len);
		if (ops[j].value != want[k])
			fail_msg("gen%d %s: %s = 0x%llx, want 0x%llx", gen, d->name, a->name,
				 (unsigned long long)ops[j].value, (unsigned long long)want[k]);
		inside++;
	}
	assert_int_equal(got, inside);
}

static void test_vebox_address_operands_lie_inside_the_command_and_decode(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n;
		const struct scan_cmd_desc *rows = vebox_rows(gens[g], &n);

		for (unsigned i = 0; i < n; i++) {
			const struct scan_cmd_desc *d = &rows[i];

			for (unsigned k = 0; k < d->naddrs; k++) {
				const struct scan_addr_desc *a = &d->addrs[k];
				const struct scan_field *f = field_named(d, a->name);

				/* inside the nominal length, after DW0, one or two
				 * dwords wide, fixed PPGTT, and a named field too */
				assert_true(a->start >= 32);
				assert_true(a->end < 32u * d->len_fixed);
				assert_true(a->end - a->start == 35 || a->end - a->start == 51);
				assert_int_equal(a->sel_bit, -1);
				assert_int_equal(a->fixed_as, SCAN_AS_PPGTT);
				assert_int_equal(a->rep_stride, 0);
				assert_non_null(f);
				assert_int_equal(f->type, SCAN_FT_ADDRESS);
				assert_int_equal(f->start, a->start);
				assert_int_equal(f->end, a->end);
			}
			check_operands(gens[g], d, d->len_fixed);
		}
	}
}

static void test_vebox_operands_past_a_short_command_are_not_reported(void **state)
{
	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		const struct scan_cmd_desc *d = scan_table_find(gens[g], "VEB_DI_IECP");

		assert_non_null(d);
		assert_true(d->naddrs > 1);
		check_operands(gens[g], d, 4); /* DW2-3 only: the current frame input */
		check_operands(gens[g], d, 2); /* none */
	}
}

static void test_vebox_rows_share_no_header_with_another_vecs_row(void **state)
{
	char msg[256];

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		unsigned n, size = scan_table_size(gens[g]);
		const struct scan_cmd_desc *rows = vebox_rows(gens[g], &n);

		assert_int_equal(scan_decode_conflicts(gens[g], msg, sizeof(msg)), 0);
		for (unsigned i = 0; i < n; i++)
			for (unsigned k = 0; k < size; k++) {
				const struct scan_cmd_desc *o = scan_table_row(gens[g], k);

				if (o == &rows[i] || !(o->engines & rows[i].engines))
					continue;
				if (o->min_gen && (unsigned)gens[g] < o->min_gen)
					continue;
				if (((o->value ^ rows[i].value) & o->mask & rows[i].mask) == 0)
					fail_msg("gen%d: %s and %s match a common header on VECS",
						 gens[g], rows[i].name, o->name);
			}
	}
}

/* VEBOX state, two surfaces, the DI/IECP run, MI_FLUSH_DW, batch end. */
static void build_vebox_batch(struct bb *b, enum scan_gen gen, uint64_t gma, enum scan_as as)
{
	const char *names[] = { "VEBOX_STATE", "VEBOX_SURFACE_STATE", "VEBOX_SURFACE_STATE",
				"VEB_DI_IECP", "VEBOX_TILING_CONVERT" };

	bb_init(b, gma, as);
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		const struct scan_cmd_desc *d = scan_table_find(gen, names[i]);

		if (!d)
			continue; /* VEBOX_TILING_CONVERT on Gen8 */
		assert_true(b->n + d->len_fixed <= BB_MAX);
		b->dw[b->n] = hdr(gen, names[i], d->len_fixed);
		/* every address operand points at a PPGTT page */
		for (unsigned k = 0; k < d->naddrs; k++)
			set_bits(&b->dw[b->n], d->addrs[k].start, d->addrs[k].end,
				 (0x200000000ull + 0x10000ull * k) >> (d->addrs[k].start % 32));
		if (i == 2)
			b->dw[b->n + 1] = 1; /* Surface Identification: output */
		b->n += d->len_fixed;
	}
	put(b, 4, hdr(gen, "MI_FLUSH_DW", 4), 0u, 0u, 0u);
	bb_end(b, gen);
}

static void test_vebox_batch_passes_strict_audit_on_vecs(void **state)
{
	static struct bb b;

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		build_vebox_batch(&b, gens[g], PP, SCAN_AS_PPGTT);
		assert_reason(scan_one(gens[g], SCAN_POLICY_STRICT, SCAN_VECS, &b), SCAN_R_NONE);
		build_vebox_batch(&b, gens[g], AP, SCAN_AS_GGTT);
		assert_reason(scan_one(gens[g], SCAN_POLICY_STRICT, SCAN_VECS, &b), SCAN_R_NONE);
	}
}

static void test_vebox_batch_passes_gvt_audit_on_vecs(void **state)
{
	static struct bb b;

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		/* a GGTT batch: GVT-g's policy does not scan PPGTT ones */
		build_vebox_batch(&b, gens[g], AP, SCAN_AS_GGTT);
		assert_reason(scan_one(gens[g], SCAN_POLICY_GVT, SCAN_VECS, &b), SCAN_R_NONE);
		assert_reason(scan_one(gens[g], SCAN_POLICY_GVT, SCAN_VCS, &b), SCAN_R_WRONG_ENGINE);
	}
}

static void test_vebox_batch_on_the_video_engine_is_refused(void **state)
{
	static struct bb b;

	(void)state;
	for (unsigned g = 0; g < NGENS; g++) {
		build_vebox_batch(&b, gens[g], PP, SCAN_AS_PPGTT);
		/* VEBOX_STATE first: VECS knows the header, VCS does not */
		assert_reason(scan_one(gens[g], SCAN_POLICY_STRICT, SCAN_VCS, &b),
			      SCAN_R_WRONG_ENGINE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vebox_rows_are_the_documented_commands),
		cmocka_unit_test(test_vebox_rows_decode_on_vecs_at_min_nominal_and_max_length),
		cmocka_unit_test(test_vebox_command_longer_than_the_buffer_is_truncated),
		cmocka_unit_test(test_vebox_headers_off_vecs_are_unknown_or_another_engines_command),
		cmocka_unit_test(test_vebox_tiling_convert_is_a_gen9_command),
		cmocka_unit_test(test_vebox_address_operands_lie_inside_the_command_and_decode),
		cmocka_unit_test(test_vebox_operands_past_a_short_command_are_not_reported),
		cmocka_unit_test(test_vebox_rows_share_no_header_with_another_vecs_row),
		cmocka_unit_test(test_vebox_batch_passes_strict_audit_on_vecs),
		cmocka_unit_test(test_vebox_batch_passes_gvt_audit_on_vecs),
		cmocka_unit_test(test_vebox_batch_on_the_video_engine_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
