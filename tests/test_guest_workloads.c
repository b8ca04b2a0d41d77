/* SPDX-License-Identifier: MIT */
/*
 * The guest's workload generators, without a mediator: every command they
 * emit decodes (scan_decode, OK, the name the guest meant), every legal
 * workload passes the auditor under `strict` (ring and batches, through a
 * memory view built from the workload's own buffers), every hostile attack
 * is refused with the reason it expects, streams are shaped like the real
 * drivers', and the same seed gives the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest/guest.h"
#include "guest/guest_int.h"
#include "scanner/scanner.h"
#include "tests/support/skip.h"

#define RING_GMA 0x08100000ull /* inside the default aperture window */

static struct guest_gen *mk_gen(enum scan_gen gen, enum guest_profile p, uint64_t seed)
{
	char err[256] = "";
	struct guest_gen_opts o = { .sz = sizeof(o), .gen = gen, .profile = p, .seed = seed,
				    .errbuf = err, .errbuf_len = sizeof(err) };
	struct guest_gen *g = NULL;
	int rc = guest_gen_new(&o, &g);
	if (rc)
		fail_msg("guest_gen_new(%s): %d %s", guest_profile_name(p), rc, err);
	return g;
}

static const struct guest_work *next(struct guest_gen *g)
{
	const struct guest_work *w = NULL;
	assert_int_equal(guest_gen_next(g, &w), 0);
	assert_non_null(w);
	return w;
}

/* ------------------------------------------------------------ scanning */

/* The workload's buffers (full size, zeros after the data) and its ring
 * as scanner memory. */
struct view {
	struct scan_memseg segs[70];
	void *bufs[70];
	unsigned n;
	uint32_t ring[1024];
	struct scan_segmem *mem;
};

static void view_build(struct view *v, const struct guest_work *w)
{
	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < w->nbos; i++) {
		const struct guest_bo *b = &w->bos[i];
		void *p = calloc(1, b->size);
		assert_non_null(p);
		if (b->data)
			memcpy(p, b->data, b->data_len);
		v->bufs[v->n] = p;
		v->segs[v->n] = (struct scan_memseg){ SCAN_AS_PPGTT, b->gma, p, b->size };
		v->n++;
	}
	assert_true(w->nring <= 1024);
	memcpy(v->ring, w->ring, 4ull * w->nring);
	v->segs[v->n++] = (struct scan_memseg){ SCAN_AS_GGTT, RING_GMA, v->ring, sizeof(v->ring) };
	assert_int_equal(scan_segmem_new(v->segs, v->n, &v->mem), 0);
}

static void view_free(struct view *v)
{
	scan_segmem_free(v->mem);
	for (unsigned i = 0; i + 1 < v->n; i++)
		free(v->bufs[i]);
}

/* Scans the workload's ring (head 0 to its end, qword aligned) under a
 * policy; returns the first reason (SCAN_R_NONE on a pass). */
static uint16_t scan_work(enum scan_gen gen, enum scan_policy pol, const struct guest_work *w,
			  char *msg, size_t msglen)
{
	struct view v;
	view_build(&v, w);
	struct scan_config cfg = { .sz = sizeof(cfg), .gen = gen, .policy = pol };
	struct scan_ctx *s;
	assert_int_equal(scan_new(&cfg, &s), 0);
	struct scan_mem mem;
	scan_segmem_view(v.mem, &mem);
	uint32_t tail = 4 * ((w->nring + 1) & ~1u);
	struct scan_ring ring = { .start = RING_GMA, .size = 4096, .head = 0, .tail = tail };
	const struct scan_result *r = NULL;
	assert_int_equal(scan_ring(s, w->engine, &mem, &ring, &r), 0);
	uint16_t reason = r->pass ? SCAN_R_NONE : r->first_reason;
	if (msg && msglen)
		snprintf(msg, msglen, "%s", r->nviolations ? r->violations[0].message : "");
	scan_free(s);
	view_free(&v);
	return reason;
}

/* Decodes a batch BO linearly from its start to MI_BATCH_BUFFER_END:
 * every command OK on the engine.  Returns how many; records the names. */
static unsigned decode_bo(enum scan_gen gen, enum scan_engine e, const struct guest_bo *b,
			  char names[][48], unsigned maxnames, unsigned *nnames)
{
	const uint32_t *dw = b->data;
	size_t n = b->data_len / 4, i = 0;
	unsigned cmds = 0;
	while (i < n) {
		struct scan_cmd c;
		enum scan_cmd_status st = scan_decode(gen, e, dw + i, n - i, &c);
		if (st != SCAN_CMD_OK)
			fail_msg("gen%d %s: dword %zu header 0x%08x: %s", gen, scan_engine_name(e), i,
				 dw[i], scan_cmd_status_name(st));
		const char *nm = scan_desc_name(c.desc);
		bool seen = false;
		for (unsigned k = 0; k < *nnames; k++)
			seen |= !strcmp(names[k], nm);
		if (!seen && *nnames < maxnames)
			snprintf(names[(*nnames)++], 48, "%s", nm);
		cmds++;
		i += c.dwords;
		if (!strcmp(nm, "MI_BATCH_BUFFER_END"))
			break;
	}
	return cmds;
}

static bool has(char names[][48], unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Runs `count` workloads of a legal profile through decode and strict. */
static void legal_profile(enum scan_gen gen, enum guest_profile p, unsigned count,
			  char names[][48], unsigned *nnames)
{
	struct guest_gen *g = mk_gen(gen, p, 42);
	for (unsigned k = 0; k < count; k++) {
		const struct guest_work *w = next(g);
		assert_null(w->attack);
		assert_int_equal(w->seq, k + 1);
		assert_true(w->nring > 0);
		assert_true(w->nchecks > 0);
		for (unsigned i = 0; i < w->nbos; i++)
			if (w->bos[i].flags & GUEST_BO_BATCH)
				decode_bo(gen, w->engine, &w->bos[i], names, 128, nnames);
		char msg[256];
		uint16_t r = scan_work(gen, SCAN_POLICY_STRICT, w, msg, sizeof(msg));
		if (r != SCAN_R_NONE)
			fail_msg("gen%d %s workload %u refused under strict: %s: %s", gen,
				 guest_profile_name(p), k, scan_reason_name(r), msg);
	}
	guest_gen_free(g);
}

/* ---------------------------------------------------------------- tests */

static void test_every_command_row_decodes_as_its_name(void **state)
{
	for (int gi = 0; gi < 2; gi++) {
		enum scan_gen gen = gi ? SCAN_GEN9 : SCAN_GEN8;
		for (unsigned c = 0; c < C_COUNT; c++) {
			const struct guesti_gcmd_row *r = guesti_gcmd_row((enum gcmd)c);
			unsigned len = guesti_gcmd_len((enum gcmd)c, gen);
			if (!len)
				continue;
			uint32_t buf[128] = { 0 };
			buf[0] = guesti_gcmd_hdr((enum gcmd)c, len);
			struct scan_cmd sc;
			enum scan_cmd_status st = scan_decode(gen, (enum scan_engine)r->engine, buf, 128, &sc);
			if (!scan_table_find(gen, r->name)) {
				/* MI_UPDATE_GTT: not in genxml; the auditor names it itself */
				assert_int_equal(st, SCAN_CMD_UNKNOWN);
				continue;
			}
			if (st != SCAN_CMD_OK || strcmp(scan_desc_name(sc.desc), r->name) ||
			    sc.dwords != len)
				fail_msg("gen%d row %s (0x%08x, %u dw): decodes as %s, %u dw, %s", gen, r->name,
					 buf[0], len, sc.desc ? scan_desc_name(sc.desc) : "?", sc.dwords,
					 scan_cmd_status_name(st));
		}
	}
}

static void test_3d_batches_decode_and_pass_strict(void **state)
{
	char names[128][48];
	for (int gi = 0; gi < 2; gi++) {
		unsigned n = 0;
		legal_profile(gi ? SCAN_GEN9 : SCAN_GEN8, GUEST_PROFILE_3D, 12, names, &n);
		/* the shape of an iris render batch */
		static const char *const want[] = {
			"PIPE_CONTROL", "PIPELINE_SELECT", "MI_LOAD_REGISTER_IMM", "STATE_BASE_ADDRESS",
			"3DSTATE_VERTEX_BUFFERS", "3DSTATE_VERTEX_ELEMENTS", "3DSTATE_VF_TOPOLOGY",
			"3DSTATE_CONSTANT_VS", "3DSTATE_PS", "3DSTATE_DEPTH_BUFFER", "3DPRIMITIVE",
			"MI_BATCH_BUFFER_END",
		};
		for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!has(names, n, want[i]))
				fail_msg("3d batches never emit %s", want[i]);
	}
}

static void test_3d_batches_load_l3cntlreg_like_iris(void **state)
{
	struct guest_gen *g = mk_gen(SCAN_GEN9, GUEST_PROFILE_3D, 7);
	const struct guest_work *w = next(g);
	const struct guest_bo *b = NULL;
	for (unsigned i = 0; i < w->nbos; i++)
		if (w->bos[i].flags & GUEST_BO_BATCH)
			b = &w->bos[i];
	assert_non_null(b);
	const uint32_t *dw = b->data;
	bool found = false;
	for (size_t i = 0; i + 2 < b->data_len / 4; i++)
		found |= dw[i] == 0x11000001u && dw[i + 1] == 0x7034u;
	assert_true(found);
	/* iris batches are tens of KiB of state and draws */
	assert_true(w->batch_bytes >= 1024);
	assert_true(w->commands >= 50);
	guest_gen_free(g);
}

static void test_compute_batches_decode_and_pass_strict(void **state)
{
	char names[128][48];
	for (int gi = 0; gi < 2; gi++) {
		unsigned n = 0;
		legal_profile(gi ? SCAN_GEN9 : SCAN_GEN8, GUEST_PROFILE_COMPUTE, 12, names, &n);
		static const char *const want[] = { "PIPELINE_SELECT", "MEDIA_VFE_STATE",
						    "MEDIA_CURBE_LOAD", "MEDIA_INTERFACE_DESCRIPTOR_LOAD",
						    "GPGPU_WALKER", "MEDIA_STATE_FLUSH",
						    "MI_STORE_DATA_IMM" };
		for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!has(names, n, want[i]))
				fail_msg("compute batches never emit %s", want[i]);
	}
}

static void test_blit_batches_decode_and_pass_strict(void **state)
{
	char names[128][48];
	unsigned n = 0;
	legal_profile(SCAN_GEN9, GUEST_PROFILE_BLIT, 24, names, &n);
	assert_true(has(names, n, "XY_SRC_COPY_BLT"));
	assert_true(has(names, n, "XY_COLOR_BLT"));
	assert_true(has(names, n, "XY_FAST_COPY_BLT"));
	assert_true(has(names, n, "MI_FLUSH_DW"));
	n = 0;
	legal_profile(SCAN_GEN8, GUEST_PROFILE_BLIT, 24, names, &n);
	assert_false(has(names, n, "XY_FAST_COPY_BLT")); /* Gen9 only */
}

static void test_blit_checks_cover_the_destination(void **state)
{
	struct guest_gen *g = mk_gen(SCAN_GEN9, GUEST_PROFILE_BLIT, 3);
	const struct guest_work *w = next(g);
	assert_int_equal(w->engine, SCAN_BCS);
	bool blit_check = false;
	for (unsigned i = 0; i < w->nchecks; i++)
		if (!strcmp(w->checks[i].what, "blit destination")) {
			blit_check = true;
			assert_true(w->checks[i].len >= 32 * 32 * 4);
		}
	assert_true(blit_check);
	guest_gen_free(g);
}

static void test_media_batches_decode_and_pass_strict(void **state)
{
	char names[128][48];
	for (int gi = 0; gi < 2; gi++) {
		unsigned n = 0;
		legal_profile(gi ? SCAN_GEN9 : SCAN_GEN8, GUEST_PROFILE_MEDIA, 8, names, &n);
		static const char *const want[] = {
			"MFX_PIPE_MODE_SELECT", "MFX_SURFACE_STATE", "MFX_PIPE_BUF_ADDR_STATE",
			"MFX_IND_OBJ_BASE_ADDR_STATE", "MFX_BSP_BUF_BASE_ADDR_STATE", "MFX_QM_STATE",
			"MFX_AVC_IMG_STATE", "MFX_AVC_DIRECTMODE_STATE", "MFX_AVC_SLICE_STATE",
			"MFD_AVC_BSD_OBJECT", "MI_FLUSH_DW",
		};
		for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!has(names, n, want[i]))
				fail_msg("media batches never emit %s", want[i]);
	}
}

static void test_desktop_mixes_blitter_and_render_work(void **state)
{
	char names[128][48];
	unsigned n = 0;
	legal_profile(SCAN_GEN9, GUEST_PROFILE_DESKTOP, 16, names, &n);
	struct guest_gen *g = mk_gen(SCAN_GEN9, GUEST_PROFILE_DESKTOP, 1);
	unsigned rcs = 0, bcs = 0;
	for (unsigned k = 0; k < 16; k++) {
		const struct guest_work *w = next(g);
		rcs += w->engine == SCAN_RCS;
		bcs += w->engine == SCAN_BCS;
	}
	assert_true(rcs > 0 && bcs > rcs);
	guest_gen_free(g);
}

static void test_hostile_attacks_are_refused_with_their_reasons(void **state)
{
	for (int gi = 0; gi < 2; gi++) {
		enum scan_gen gen = gi ? SCAN_GEN9 : SCAN_GEN8;
		struct guest_gen *g = mk_gen(gen, GUEST_PROFILE_HOSTILE, 9);
		unsigned attacks = 0, legal = 0;
		while (attacks < guest_attack_count()) {
			const struct guest_work *w = next(g);
			char msg[256] = "";
			if (!w->attack) {
				legal++;
				uint16_t r = scan_work(gen, SCAN_POLICY_STRICT, w, msg, sizeof(msg));
				if (r != SCAN_R_NONE)
					fail_msg("gen%d hostile legal work refused: %s: %s", gen,
						 scan_reason_name(r), msg);
				continue;
			}
			uint16_t expect = 0;
			assert_string_equal(guest_attack_name(attacks, &expect), w->attack);
			assert_int_equal(expect, w->expect_reject);
			assert_int_equal(guest_attack_expect(attacks), w->expect);
			attacks++;
			if (w->expect == GUEST_EXPECT_WATCHDOG) {
				/* the auditor cannot prove it endless: admitted, for the
				 * scheduler's watchdog to stop */
				assert_int_equal(w->expect_reject, MED_RJ_NONE);
				uint16_t r = scan_work(gen, SCAN_POLICY_STRICT, w, msg, sizeof(msg));
				if (r != SCAN_R_NONE)
					fail_msg("gen%d attack %s: expected admission, got %s (%s)", gen,
						 w->attack, scan_reason_name(r), msg);
				continue;
			}
			if (w->ctx_attack != GUEST_CTX_OK) {
				/* refused by the mediator before any scan */
				assert_true(w->expect_reject >= MED_RJ_MEDIATOR);
				continue;
			}
			uint16_t r = scan_work(gen, SCAN_POLICY_STRICT, w, msg, sizeof(msg));
			if (r != w->expect_reject)
				fail_msg("gen%d attack %s: expected %s, got %s (%s)", gen, w->attack,
					 scan_reason_name(w->expect_reject), scan_reason_name(r), msg);
		}
		/* one to three legal workloads between attacks */
		assert_true(legal >= attacks && legal <= 3 * attacks);
		guest_gen_free(g);
	}
}

static void test_attack_names_are_listed_once(void **state)
{
	unsigned n = guest_attack_count();
	assert_true(n >= 20);
	for (unsigned i = 0; i < n; i++) {
		uint16_t r;
		const char *a = guest_attack_name(i, &r);
		assert_non_null(a);
		/* an attack is refused with a reason, or stopped by the watchdog */
		assert_true((r != MED_RJ_NONE) != (guest_attack_expect(i) == GUEST_EXPECT_WATCHDOG));
		for (unsigned k = 0; k < i; k++)
			assert_string_not_equal(a, guest_attack_name(k, NULL));
	}
	assert_null(guest_attack_name(n, NULL));
}

static void test_same_seed_gives_the_same_workloads(void **state)
{
	for (unsigned p = 0; p < GUEST_PROFILE_CAPTURE; p++) {
		struct guest_gen *a = mk_gen(SCAN_GEN9, (enum guest_profile)p, 1234);
		struct guest_gen *b = mk_gen(SCAN_GEN9, (enum guest_profile)p, 1234);
		struct guest_gen *c = mk_gen(SCAN_GEN9, (enum guest_profile)p, 1235);
		bool differs = false;
		for (unsigned k = 0; k < 10; k++) {
			const struct guest_work *wa = next(a), *wb = next(b), *wc = next(c);
			assert_int_equal(wa->engine, wb->engine);
			assert_int_equal(wa->nbos, wb->nbos);
			assert_int_equal(wa->nring, wb->nring);
			assert_memory_equal(wa->ring, wb->ring, 4ull * wa->nring);
			for (unsigned i = 0; i < wa->nbos; i++) {
				assert_true(wa->bos[i].gma == wb->bos[i].gma);
				assert_true(wa->bos[i].size == wb->bos[i].size);
				assert_true(wa->bos[i].data_len == wb->bos[i].data_len);
				if (wa->bos[i].data_len)
					assert_memory_equal(wa->bos[i].data, wb->bos[i].data,
							    wa->bos[i].data_len);
			}
			assert_int_equal(wa->nchecks, wb->nchecks);
			for (unsigned i = 0; i < wa->nchecks; i++)
				assert_memory_equal(wa->checks[i].expect, wb->checks[i].expect,
						    wa->checks[i].len);
			if (wa->nbos != wc->nbos || wa->batch_bytes != wc->batch_bytes)
				differs = true;
			for (unsigned i = 0; !differs && i < wa->nbos && i < wc->nbos; i++)
				if (wa->bos[i].data_len != wc->bos[i].data_len ||
				    (wa->bos[i].data_len &&
				     memcmp(wa->bos[i].data, wc->bos[i].data, wa->bos[i].data_len)))
					differs = true;
		}
		if (!differs)
			fail_msg("profile %s: seeds 1234 and 1235 gave identical workloads",
				 guest_profile_name((enum guest_profile)p));
		guest_gen_free(a);
		guest_gen_free(b);
		guest_gen_free(c);
	}
}

static void test_result_slot_holds_the_sequence_number(void **state)
{
	struct guest_gen *g = mk_gen(SCAN_GEN9, GUEST_PROFILE_COMPUTE, 5);
	for (unsigned k = 1; k <= 3; k++) {
		const struct guest_work *w = next(g);
		const struct guest_check *c = NULL;
		for (unsigned i = 0; i < w->nchecks; i++)
			if (w->checks[i].gma >= GUEST_RESULT_GMA && w->checks[i].gma < GUEST_RESULT_GMA + 4096)
				c = &w->checks[i];
		assert_non_null(c);
		assert_true(c->gma == GUEST_RESULT_GMA + 8 * (w->seq % 512));
		uint64_t v;
		memcpy(&v, c->expect, 8);
		assert_int_equal(v & 0xffffffffu, w->seq);
	}
	guest_gen_free(g);
}

static void test_profile_names_parse(void **state)
{
	enum guest_profile p;
	const char *dir;
	for (unsigned i = 0; i < GUEST_PROFILE_CAPTURE; i++) {
		assert_int_equal(guest_profile_parse(guest_profile_name((enum guest_profile)i), &p, &dir), 0);
		assert_int_equal(p, i);
		assert_null(dir);
	}
	assert_int_equal(guest_profile_parse("capture:/x/y", &p, &dir), 0);
	assert_int_equal(p, GUEST_PROFILE_CAPTURE);
	assert_string_equal(dir, "/x/y");
	assert_int_equal(guest_profile_parse("capture:", &p, &dir), -EINVAL);
	assert_int_equal(guest_profile_parse("capture", &p, &dir), -EINVAL);
	assert_int_equal(guest_profile_parse("3D", &p, &dir), -EINVAL);
	assert_int_equal(guest_profile_parse("", &p, &dir), -EINVAL);
}

/* ------------------------------------------------------------- captures */

static char capdir[1024];

static bool have_capture(const char *folder)
{
	snprintf(capdir, sizeof(capdir), "%s/reference/captures/%s", vgt_test_shared(), folder);
	struct stat st;
	return !stat(capdir, &st) && S_ISDIR(st.st_mode);
}

static void test_capture_replays_records_at_their_addresses(void **state)
{
	if (!have_capture("gen9-3d")) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED)", capdir);
	}
	char err[256] = "";
	struct guest_gen_opts o = { .sz = sizeof(o), .gen = SCAN_GEN9, .profile = GUEST_PROFILE_CAPTURE,
				    .capture_dir = capdir, .errbuf = err, .errbuf_len = sizeof(err) };
	struct guest_gen *g = NULL;
	assert_int_equal(guest_gen_new(&o, &g), 0);
	for (unsigned k = 0; k < 8; k++) {
		const struct guest_work *w = next(g);
		assert_int_equal(w->engine, SCAN_RCS);
		assert_true(w->batch != 0);
		bool batch_bo = false;
		for (unsigned i = 0; i < w->nbos; i++)
			batch_bo |= w->batch >= w->bos[i].gma &&
				    w->batch < w->bos[i].gma + w->bos[i].size;
		assert_true(batch_bo);
		char msg[256];
		uint16_t r = scan_work(SCAN_GEN9, SCAN_POLICY_STRICT, w, msg, sizeof(msg));
		if (r != SCAN_R_NONE)
			fail_msg("captured submission %u refused: %s: %s", k, scan_reason_name(r), msg);
	}
	guest_gen_free(g);
}

static void test_capture_of_another_generation_is_refused(void **state)
{
	if (!have_capture("gen8-3d")) {
		vgt_skip(VGT_SKIP_NO_SHARED, "%s not found (set VGT_SHARED)", capdir);
	}
	char err[256] = "";
	struct guest_gen_opts o = { .sz = sizeof(o), .gen = SCAN_GEN9, .profile = GUEST_PROFILE_CAPTURE,
				    .capture_dir = capdir, .errbuf = err, .errbuf_len = sizeof(err) };
	struct guest_gen *g = NULL;
	assert_int_equal(guest_gen_new(&o, &g), -EINVAL);
	assert_non_null(strstr(err, "Gen8"));
	assert_non_null(strstr(err, "gen8-3d"));
}

static void test_missing_capture_folder_is_named(void **state)
{
	char err[256] = "";
	struct guest_gen_opts o = { .sz = sizeof(o), .profile = GUEST_PROFILE_CAPTURE,
				    .capture_dir = "/nonexistent/vgt-capture", .errbuf = err,
				    .errbuf_len = sizeof(err) };
	struct guest_gen *g = NULL;
	assert_int_equal(guest_gen_new(&o, &g), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/vgt-capture"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_row_decodes_as_its_name),
		cmocka_unit_test(test_3d_batches_decode_and_pass_strict),
		cmocka_unit_test(test_3d_batches_load_l3cntlreg_like_iris),
		cmocka_unit_test(test_compute_batches_decode_and_pass_strict),
		cmocka_unit_test(test_blit_batches_decode_and_pass_strict),
		cmocka_unit_test(test_blit_checks_cover_the_destination),
		cmocka_unit_test(test_media_batches_decode_and_pass_strict),
		cmocka_unit_test(test_desktop_mixes_blitter_and_render_work),
		cmocka_unit_test(test_hostile_attacks_are_refused_with_their_reasons),
		cmocka_unit_test(test_attack_names_are_listed_once),
		cmocka_unit_test(test_same_seed_gives_the_same_workloads),
		cmocka_unit_test(test_result_slot_holds_the_sequence_number),
		cmocka_unit_test(test_profile_names_parse),
		cmocka_unit_test(test_capture_replays_records_at_their_addresses),
		cmocka_unit_test(test_capture_of_another_generation_is_refused),
		cmocka_unit_test(test_missing_capture_folder_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
