/* SPDX-License-Identifier: MIT */
/*
 * Issue 12, audit half: real driver traffic as the conformance test of the
 * auditor.  Every submission of every folder under
 * $VGT_SHARED/reference/captures passes `strict` as a PPGTT batch on its
 * engine (following chained and second-level batches); the registers the
 * captured streams read and write are printed per engine, each with the
 * allow-list row that admits it, and every register write is judged by the
 * GPU model's register oracle (independent of the allow-list): real
 * drivers' writes stay within their vGPU.  The `gvt` policy with GVT-g's
 * scan_nonprivbb forced on refuses what the fact sheet says GVT-g refuses.
 * Skips when ../shared is absent.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "tests/test_scanner_audit_util.h"
#include "corpus/corpus.h"
#include "gpu/gpu.h"
#include "tests/support/skip.h"

#define MAX_FOLDERS 64
#define MAX_REGS 256

static char root[1024];
static char *folders[MAX_FOLDERS];
static unsigned nfolders;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int setup(void **state)
{
	DIR *d;
	struct dirent *e;

	snprintf(root, sizeof(root), "%s/reference/captures", vgt_test_shared());
	d = opendir(root);
	if (!d)
		return 0; /* tests skip */
	while ((e = readdir(d)) && nfolders < MAX_FOLDERS) {
		char p[1400];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", root, e->d_name);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			continue;
		folders[nfolders++] = strdup(p);
	}
	closedir(d);
	qsort(folders, nfolders, sizeof(folders[0]), cmp_str);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < nfolders; i++)
		free(folders[i]);
	nfolders = 0;
	return 0;
}

static void need_captures(void)
{
	if (!nfolders) {
		vgt_skip(VGT_SKIP_NO_SHARED, "captures not found under %s (set VGT_SHARED)", root);
	}
}

typedef void (*visit_fn)(void *ctx, const char *folder, unsigned rec, enum scan_gen gen,
			 enum scan_engine eng, const struct scan_result *r);

/* Scans every submission of every folder under `pol`. */
static unsigned walk(enum scan_policy pol, bool nonpriv, visit_fn fn, void *ctx)
{
	unsigned subs = 0;
	char err[512];

	for (unsigned f = 0; f < nfolders; f++) {
		struct corpus_capture *cap;

		if (corpus_capture_open(folders[f], &cap, err, sizeof(err)))
			fail_msg("%s: %s", folders[f], err);
		for (unsigned i = 0; i < corpus_capture_count(cap); i++) {
			struct corpus_record *rec;
			struct corpus_batch b;
			struct scan_ctx *s;
			const struct scan_result *r;

			if (corpus_record_load(cap, i, &rec, err, sizeof(err)))
				fail_msg("%s", err);
			struct scan_config cfg = { .sz = sizeof(cfg), .gen = corpus_record_gen(rec),
						   .policy = pol, .all_violations = true,
						   .gvt_scan_nonpriv = nonpriv };
			assert_int_equal(scan_new(&cfg, &s), 0);
			struct scan_mem mem = corpus_record_mem(rec);
			corpus_record_batch(rec, &b);
			assert_int_equal(scan_batch(s, corpus_record_engine(rec), &mem, b.gpu_address,
						    SCAN_AS_PPGTT, &r), 0);
			fn(ctx, folders[f], i, cfg.gen, corpus_record_engine(rec), r);
			subs++;
			scan_free(s);
			corpus_record_free(rec);
		}
		corpus_capture_close(cap);
	}
	return subs;
}

struct strict_ctx {
	unsigned rejected;
	uint64_t commands, buffers, events, patches;
};

static void on_strict(void *ctx, const char *folder, unsigned rec, enum scan_gen gen,
		      enum scan_engine eng, const struct scan_result *r)
{
	struct strict_ctx *c = ctx;

	c->commands += r->commands;
	c->buffers += r->nshadows;
	c->events += r->nevents;
	c->patches += r->npatches;
	if (r->pass && !r->nviolations)
		return;
	c->rejected++;
	for (unsigned v = 0; v < r->nviolations; v++)
		print_message("REJECTED %s submission %u (%s): %s at %s+%u %s: %s\n", folder, rec,
			      scan_engine_name(eng),
			      scan_reason_name((enum scan_reason)r->violations[v].reason),
			      scan_buf_kind_name((enum scan_buf_kind)r->violations[v].buffer),
			      r->violations[v].offset, r->violations[v].command,
			      r->violations[v].message);
}

static void test_every_captured_submission_passes_strict(void **state)
{
	struct strict_ctx c = { 0 };

	need_captures();
	unsigned subs = walk(SCAN_POLICY_STRICT, false, on_strict, &c);
	print_message("strict: %u submissions in %u folders, %llu commands in %llu buffers "
		      "(chained and second-level included), %llu events, %llu patches, "
		      "%u rejected\n", subs, nfolders, (unsigned long long)c.commands,
		      (unsigned long long)c.buffers, (unsigned long long)c.events,
		      (unsigned long long)c.patches, c.rejected);
	assert_true(subs > 0);
	assert_true(c.buffers > subs); /* chained / second-level batches were followed */
	assert_int_equal(c.rejected, 0);
}

/* ------------------------------------------------------------ registers */

struct reg_use {
	uint32_t reg;
	uint8_t eng;
	bool write;
	unsigned count;
	enum scan_gen gen;
};

struct regs_ctx {
	struct reg_use use[MAX_REGS];
	unsigned n;
};

static void note(struct regs_ctx *c, enum scan_gen gen, enum scan_engine e, uint32_t reg,
		 bool write)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->use[i].reg == reg && c->use[i].eng == e && c->use[i].write == write) {
			c->use[i].count++;
			return;
		}
	}
	assert_true(c->n < MAX_REGS);
	c->use[c->n++] = (struct reg_use){ reg, (uint8_t)e, write, 1, gen };
}

/* Walks the shadows (exactly the commands the scanner accepted) and notes
 * every register operand the decoder reports. */
static void on_regs(void *ctx, const char *folder, unsigned rec, enum scan_gen gen,
		    enum scan_engine eng, const struct scan_result *r)
{
	struct regs_ctx *c = ctx;
	struct scan_operand ops[160];

	for (unsigned s = 0; s < r->nshadows; s++) {
		const struct scan_shadow *sh = &r->shadows[s];
		uint32_t n = sh->bytes / 4;

		for (uint32_t off = 0; off < n;) {
			struct scan_cmd cmd;

			if (scan_decode(gen, eng, sh->data + off, n - off, &cmd) != SCAN_CMD_OK)
				fail_msg("%s/%u: shadow %u does not decode at %u", folder, rec, s, off);
			unsigned k = scan_cmd_operands(&cmd, ops, 160);
			for (unsigned i = 0; i < k && i < 160; i++) {
				if (ops[i].kind == SCAN_OP_REG_WRITE)
					note(c, gen, eng, (uint32_t)ops[i].value, true);
				else if (ops[i].kind == SCAN_OP_REG_READ)
					note(c, gen, eng, (uint32_t)ops[i].value, false);
			}
			off += cmd.dwords;
		}
	}
}

static int cmp_use(const void *a, const void *b)
{
	const struct reg_use *x = a, *y = b;

	if (x->eng != y->eng)
		return x->eng - y->eng;
	if (x->reg != y->reg)
		return x->reg < y->reg ? -1 : 1;
	return x->write - y->write;
}

static void test_captured_register_working_set_is_allow_listed(void **state)
{
	static struct regs_ctx c;

	need_captures();
	memset(&c, 0, sizeof(c));
	walk(SCAN_POLICY_STRICT, false, on_regs, &c);
	qsort(c.use, c.n, sizeof(c.use[0]), cmp_use);
	print_message("register working set of the captured streams (engine, access, register, "
		      "uses, admitting row):\n");
	assert_true(c.n > 0);
	for (unsigned i = 0; i < c.n; i++) {
		const struct reg_use *u = &c.use[i];
		struct scan_reg_verdict v;

		scan_reg_check(u->gen, (enum scan_engine)u->eng, SCAN_POLICY_STRICT, u->reg, u->write,
			       &v);
		print_message("  %-4s %s 0x%05x %6u  %s\n", scan_engine_name((enum scan_engine)u->eng),
			      u->write ? "W" : "R", u->reg, u->count, v.row ? v.row : "(none)");
		if (v.reason != SCAN_R_NONE || !v.row)
			fail_msg("%s register 0x%x (%s) used by a real driver is not admitted: %s",
				 scan_engine_name((enum scan_engine)u->eng), u->reg,
				 u->write ? "write" : "read",
				 scan_reason_name((enum scan_reason)v.reason));
	}
}

/* The GPU model's register oracle (gpu/oracle.c, its own hardware facts,
 * not the allow-list) on every register write of the captured streams:
 * LRI and PIPE_CONTROL with their value, LRM/LRR destinations (value
 * unknown) must be context registers. */
struct oracle_ctx {
	unsigned writes, failures;
};

static void on_oracle(void *ctx, const char *folder, unsigned rec, enum scan_gen gen,
		      enum scan_engine eng, const struct scan_result *r)
{
	struct oracle_ctx *c = ctx;
	struct scan_operand ops[160];
	enum gpu_gen gg = gen == SCAN_GEN8 ? GPU_GEN8 : GPU_GEN9;

	for (unsigned s = 0; s < r->nshadows; s++) {
		const struct scan_shadow *sh = &r->shadows[s];
		uint32_t n = sh->bytes / 4;

		for (uint32_t off = 0; off < n;) {
			struct scan_cmd cmd;

			if (scan_decode(gen, eng, sh->data + off, n - off, &cmd) != SCAN_CMD_OK)
				fail_msg("%s/%u: shadow %u does not decode at %u", folder, rec, s, off);
			bool value_known = (cmd.header >> 23) == 0x22 ||        /* LRI */
					   (cmd.header & 0xffff0000u) == 0x7a000000u; /* PIPE_CONTROL */
			unsigned k = scan_cmd_operands(&cmd, ops, 160);
			for (unsigned i = 0; i < k && i < 160; i++) {
				if (ops[i].kind != SCAN_OP_REG_WRITE)
					continue;
				uint32_t reg = (uint32_t)ops[i].value, v = (uint32_t)ops[i].imm;
				enum gpu_escape_why why;
				struct gpu_reg_fact f;
				bool ok;
				c->writes++;
				assert_int_equal(gpu_reg_fact(gg, (enum gpu_engine)eng, reg, &f), 0);
				if (value_known)
					ok = gpu_reg_judge(gg, (enum gpu_engine)eng, reg, v, false, &why) == 0;
				else
					ok = f.owner == GPU_REG_CONTEXT;
				if (!ok && c->failures++ < 10)
					print_error("%s/%u: %s writes 0x%05x%s0x%08x: the GPU oracle says %s "
						    "(%s: %s)\n", folder, rec, scan_engine_name(eng), reg,
						    value_known ? " = " : " from memory, not ", v,
						    gpu_reg_owner_name(f.owner), f.name ? f.name : "no row",
						    f.why);
			}
			off += cmd.dwords;
		}
	}
}

static void test_captured_register_writes_stay_within_the_vgpu_for_the_gpu_oracle(void **state)
{
	struct oracle_ctx c = { 0 };

	need_captures();
	walk(SCAN_POLICY_STRICT, false, on_oracle, &c);
	print_message("%u register writes judged by the GPU oracle, %u escapes\n", c.writes,
		      c.failures);
	assert_true(c.writes > 0);
	assert_int_equal(c.failures, 0);
}

/* ------------------------------------------------------------------ gvt */

struct gvt_ctx {
	unsigned rejected, subs;
	unsigned l3cntlreg, gpgpu_lrm, video_srm, unknown_video;
};

static void on_gvt(void *ctx, const char *folder, unsigned rec, enum scan_gen gen,
		   enum scan_engine eng, const struct scan_result *r)
{
	struct gvt_ctx *c = ctx;

	c->subs++;
	if (!r->nviolations)
		return;
	c->rejected++;
	for (unsigned i = 0; i < r->nviolations; i++) {
		const struct scan_violation *v = &r->violations[i];

		if (v->reason == SCAN_R_REG_WRITE && v->value == 0x7034)
			c->l3cntlreg++;
		if (v->reason == SCAN_R_REG_WRITE && v->value >= 0x2500 && v->value <= 0x2508)
			c->gpgpu_lrm++;
		if (v->reason == SCAN_R_REG_READ && eng == SCAN_VCS)
			c->video_srm++;
		if (v->reason == SCAN_R_UNKNOWN_CMD && eng == SCAN_VCS)
			c->unknown_video++;
	}
}

static void test_gvt_policy_refuses_what_gvt_refuses(void **state)
{
	struct gvt_ctx c = { 0 };

	need_captures();
	walk(SCAN_POLICY_GVT, true, on_gvt, &c);
	print_message("gvt (scan_nonprivbb on): %u of %u submissions refused; L3CNTLREG LRI %u, "
		      "GPGPU_DISPATCHDIM LRM %u, video status SRM %u, video commands missing "
		      "from GVT-g's table %u\n", c.rejected, c.subs, c.l3cntlreg, c.gpgpu_lrm,
		      c.video_srm, c.unknown_video);
	/* The fact sheet's §9 findings, reproduced on this data set. */
	assert_true(c.l3cntlreg > 0);
	assert_true(c.gpgpu_lrm > 0);
	assert_true(c.video_srm > 0);
	assert_true(c.unknown_video > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_captured_submission_passes_strict),
		cmocka_unit_test(test_captured_register_working_set_is_allow_listed),
		cmocka_unit_test(test_captured_register_writes_stay_within_the_vgpu_for_the_gpu_oracle),
		cmocka_unit_test(test_gvt_policy_refuses_what_gvt_refuses),
	};
	return vgt_run_group_tests(tests, setup, teardown);
}
