/* SPDX-License-Identifier: MIT */
/*
 * The auditor's header cache (scanner/audit_fast.c) against the decoder:
 * wherever the cache answers, it must name the row scan_decode() names and
 * the same length — on every slot of every engine of both generations,
 * with varied low bits (length fields, flags) — and it must answer for
 * nearly every row, or the hot path would not be the common path.
 */
#include "tests/test_scanner_audit_util.h"
#include "scanner/audit_priv.h"

static uint32_t rng = 0x12345678;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void check_header(enum scan_gen gen, enum scan_engine e, const struct scan_fast_table *t,
			 uint32_t h, unsigned *answered)
{
	const struct scan_fast_ent *fe = scan_fast_lookup(t, h);
	uint32_t buf[1024] = { h };
	struct scan_cmd cmd;

	if (!fe)
		return;
	(*answered)++;
	enum scan_cmd_status st = scan_decode(gen, e, buf, 1024, &cmd);
	if (st == SCAN_CMD_UNKNOWN)
		fail_msg("gen%d %s header 0x%08x: cache says %s, decoder says unknown", gen,
			 scan_engine_name(e), h, scan_desc_name(scan_fast_row(t, fe)));
	if (cmd.desc != scan_fast_row(t, fe))
		fail_msg("gen%d %s header 0x%08x: cache says %s, decoder says %s", gen,
			 scan_engine_name(e), h, scan_desc_name(scan_fast_row(t, fe)),
			 scan_desc_name(cmd.desc));
	if (cmd.dwords != scan_fast_len(fe, h))
		fail_msg("gen%d %s header 0x%08x (%s): cache length %u, decoder %u", gen,
			 scan_engine_name(e), h, scan_desc_name(cmd.desc), scan_fast_len(fe, h),
			 cmd.dwords);
}

static void test_cache_agrees_with_decoder_on_every_slot(void **state)
{
	for (unsigned g = 8; g <= 9; g++) {
		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			const struct scan_fast_table *t =
				scan_fast_table((enum scan_gen)g, (enum scan_engine)e);
			unsigned answered = 0;

			for (uint32_t op = 0; op < 64; op++)
				for (unsigned k = 0; k < 8; k++)
					check_header((enum scan_gen)g, (enum scan_engine)e, t,
						     (op << 23) | (next() & 0x7fffff), &answered);
			for (uint32_t op = 0; op < 128; op++)
				for (unsigned k = 0; k < 8; k++)
					check_header((enum scan_gen)g, (enum scan_engine)e, t,
						     (2u << 29) | (op << 22) | (next() & 0x3fffff),
						     &answered);
			for (uint32_t op = 0; op < 8192; op++)
				for (unsigned k = 0; k < 4; k++)
					check_header((enum scan_gen)g, (enum scan_engine)e, t,
						     (3u << 29) | (op << 16) | (next() & 0xffff),
						     &answered);
			/* types no engine decodes: never answered */
			for (unsigned k = 0; k < 1000; k++) {
				uint32_t h = (next() & 0x1fffffff) | ((1u + 3u * (k & 1)) << 29);

				assert_null(scan_fast_lookup(t, h));
			}
			print_message("gen%u %s: %u probed headers answered by the cache\n", g,
				      scan_engine_name((enum scan_engine)e), answered);
			assert_true(answered > 0);
		}
	}
}

static void test_cache_answers_for_nearly_every_row(void **state)
{
	for (unsigned g = 8; g <= 9; g++) {
		unsigned rows = 0, cached = 0;

		for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
			const struct scan_fast_table *t =
				scan_fast_table((enum scan_gen)g, (enum scan_engine)e);

			for (unsigned i = 0; i < scan_table_size((enum scan_gen)g); i++) {
				const struct scan_cmd_desc *d = scan_table_row((enum scan_gen)g, i);

				if (!(d->engines & SCAN_ENGINE_BIT(e)))
					continue;
				if (d->min_gen && d->min_gen > g)
					continue;
				uint32_t h = d->value | (d->len_kind == SCAN_LEN_VAR ? 1 : 0);
				const struct scan_fast_ent *fe = scan_fast_lookup(t, h);

				rows++;
				if (fe && scan_fast_row(t, fe) == d)
					cached++;
			}
		}
		print_message("gen%u: the cache answers for %u of %u (row, engine) pairs\n", g,
			      cached, rows);
		assert_true(cached * 100 >= rows * 90);
	}
}

/*
 * The hot loop steps on a guessed length (the low 8 bits + 2) and takes the
 * entry's own rule when they differ.  Commands whose length field is wider
 * (media on render: 16 bits; MFX and friends on video: 12) and longer than
 * the guess must still be walked whole: the payload here is 0xffffffff,
 * which would be an unknown command if the walk stepped into it.
 */
static void walk_long_command(enum scan_gen gen, enum scan_engine e, unsigned min_mask)
{
	const struct scan_fast_table *t = scan_fast_table(gen, e);
	unsigned tried = 0;

	for (unsigned i = 0; i < scan_table_size(gen) && tried < 4; i++) {
		const struct scan_cmd_desc *d = scan_table_row(gen, i);
		if (!(d->engines & SCAN_ENGINE_BIT(e)) || (d->min_gen && d->min_gen > gen) ||
		    d->len_kind != SCAN_LEN_VAR || d->len_mask < min_mask || d->naddrs ||
		    !scan_row_is_plain(d, SCAN_POLICY_STRICT))
			continue;
		const uint32_t total = 300; /* (300 & 0xff) + 2 = 46: the guess is wrong */
		uint32_t h = d->value | (total - d->bias);
		const struct scan_fast_ent *fe = scan_fast_lookup(t, h);
		if (!fe || scan_fast_row(t, fe) != d || scan_fast_len(fe, h) != total)
			continue; /* the decoder's path, not the hot loop's */
		assert_int_not_equal(scan_fast_guess(h), total);

		struct bb *b = calloc(1, sizeof(*b));
		assert_non_null(b);
		bb_init(b, PP, SCAN_AS_PPGTT);
		/* a NOOP first: the first command after each extension of the
		 * copy goes to the slow path, and this one is for the hot loop */
		put(b, 2, 0u, h);
		for (unsigned k = 1; k < total; k++)
			put(b, 1, 0xffffffffu);
		put(b, 1, 0u); /* MI_NOOP */
		bb_end(b, gen);
		struct fx f;
		fx_init(&f, gen, SCAN_POLICY_STRICT);
		fx_map_bb(&f, b);
		const struct scan_result *r = fx_batch(&f, e, b->gma, b->as);
		if (!r->pass) {
			dump_violations(r);
			fail_msg("gen%d %s: %s of %u dwords was not walked whole", gen,
				 scan_engine_name(e), d->name, total);
		}
		assert_int_equal(r->commands, 4);
		fx_done(&f);
		free(b);
		tried++;
	}
	print_message("gen%d %s: %u long commands walked whole\n", gen, scan_engine_name(e), tried);
	assert_true(tried > 0);
}

static void test_long_commands_the_length_guess_misses_are_walked_whole(void **state)
{
	for (unsigned g = 8; g <= 9; g++) {
		walk_long_command((enum scan_gen)g, SCAN_RCS, 0xffff);
		walk_long_command((enum scan_gen)g, SCAN_VCS, 0xfff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_agrees_with_decoder_on_every_slot),
		cmocka_unit_test(test_cache_answers_for_nearly_every_row),
		cmocka_unit_test(test_long_commands_the_length_guess_misses_are_walked_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
