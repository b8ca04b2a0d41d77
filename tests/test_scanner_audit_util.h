/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the auditor's tests (header-only, static): build
 * batches from the command tables' own opcodes, map them at graphics
 * addresses, scan, and assert on the verdict.
 */
#ifndef VGT_TEST_SCANNER_AUDIT_UTIL_H
#define VGT_TEST_SCANNER_AUDIT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/scanner.h"
#include "scanner/cmd_table.h"

#define AP SCAN_DEFAULT_APERTURE_BASE   /* default aperture window base */
#define HID SCAN_DEFAULT_HIDDEN_BASE    /* default hidden window base */
#define PP 0x100000000ull               /* a PPGTT address used by tests */

#define BB_MAX 8192

/* A buffer being built: dwords placed at gma in address space as. */
struct bb {
	uint64_t gma;
	enum scan_as as;
	unsigned n;
	uint32_t dw[BB_MAX];
};

static inline void bb_init(struct bb *b, uint64_t gma, enum scan_as as)
{
	memset(b, 0, sizeof(*b));
	b->gma = gma;
	b->as = as;
}

/* Appends n dwords. */
static inline void put(struct bb *b, unsigned n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (unsigned i = 0; i < n; i++) {
		assert_true(b->n < BB_MAX);
		b->dw[b->n++] = va_arg(ap, uint32_t);
	}
	va_end(ap);
}

/* Header of `name` with a total length of `dwords`, from the command table
 * (so tests follow the tables, not hard-coded opcodes). */
static inline uint32_t hdr(enum scan_gen gen, const char *name, uint32_t dwords)
{
	const struct scan_cmd_desc *d = scan_table_find(gen, name);

	if (!d)
		fail_msg("command %s missing from the gen%d table", name, gen);
	if (d->len_kind == SCAN_LEN_VAR) {
		assert_true(dwords >= d->bias);
		assert_true(((dwords - d->bias) & ~(uint32_t)d->len_mask) == 0);
		return d->value | (dwords - d->bias);
	}
	return d->value;
}

/* Appends a command with its header and n-1 operand dwords. */
static inline void cmd(struct bb *b, enum scan_gen gen, const char *name, unsigned n, ...)
{
	va_list ap;

	assert_true(b->n + n <= BB_MAX);
	b->dw[b->n++] = hdr(gen, name, n);
	va_start(ap, n);
	for (unsigned i = 1; i < n; i++)
		b->dw[b->n++] = va_arg(ap, uint32_t);
	va_end(ap);
}

static inline void bb_end(struct bb *b, enum scan_gen gen)
{
	put(b, 1, hdr(gen, "MI_BATCH_BUFFER_END", 1));
}

/* MI_BATCH_BUFFER_START to target (ppgtt / second level flags). */
static inline void bb_start(struct bb *b, enum scan_gen gen, uint64_t target, bool ppgtt,
			    bool second)
{
	uint32_t h = hdr(gen, "MI_BATCH_BUFFER_START", 3) | (ppgtt ? 1u << 8 : 0) |
		     (second ? 1u << 22 : 0);

	put(b, 3, h, (uint32_t)target, (uint32_t)(target >> 32));
}

/* LRI of one register. */
static inline void lri(struct bb *b, enum scan_gen gen, uint32_t reg, uint32_t val)
{
	cmd(b, gen, "MI_LOAD_REGISTER_IMM", 3, reg, val);
}

/* A scanner over mapped segments. */
struct fx {
	struct scan_config cfg;
	struct scan_ctx *s;
	struct scan_segmem *m;
	struct scan_mem view;
	struct scan_memseg segs[32];
	unsigned nsegs;
};

static inline void fx_init(struct fx *f, enum scan_gen gen, enum scan_policy pol)
{
	memset(f, 0, sizeof(*f));
	f->cfg.sz = sizeof(f->cfg);
	f->cfg.gen = gen;
	f->cfg.policy = pol;
}

static inline void fx_map(struct fx *f, enum scan_as as, uint64_t gma, const void *data,
			  size_t len)
{
	assert_true(f->nsegs < 32);
	f->segs[f->nsegs++] = (struct scan_memseg){ as, gma, data, len };
}

/* Maps exactly the dwords written so far. */
static inline void fx_map_bb(struct fx *f, const struct bb *b)
{
	fx_map(f, b->as, b->gma, b->dw, (size_t)b->n * 4);
}

static inline void fx_prepare(struct fx *f)
{
	if (f->m)
		scan_segmem_free(f->m);
	assert_int_equal(scan_segmem_new(f->segs, f->nsegs, &f->m), 0);
	scan_segmem_view(f->m, &f->view);
	if (!f->s)
		assert_int_equal(scan_new(&f->cfg, &f->s), 0);
}

static inline const struct scan_result *fx_batch(struct fx *f, enum scan_engine e, uint64_t gma,
						 enum scan_as as)
{
	const struct scan_result *r = NULL;

	fx_prepare(f);
	assert_int_equal(scan_batch(f->s, e, &f->view, gma, as, &r), 0);
	assert_non_null(r);
	return r;
}

static inline const struct scan_result *fx_ring(struct fx *f, enum scan_engine e,
						const struct scan_ring *ring)
{
	const struct scan_result *r = NULL;

	fx_prepare(f);
	assert_int_equal(scan_ring(f->s, e, &f->view, ring, &r), 0);
	assert_non_null(r);
	return r;
}

static inline void fx_done(struct fx *f)
{
	scan_free(f->s);
	scan_segmem_free(f->m);
	f->s = NULL;
	f->m = NULL;
}

static inline void dump_violations(const struct scan_result *r)
{
	for (unsigned i = 0; i < r->nviolations; i++) {
		const struct scan_violation *v = &r->violations[i];

		print_message("  violation %s: %s at %s+%u (gma 0x%llx) value 0x%llx: %s\n",
			      scan_reason_name((enum scan_reason)v->reason), v->command,
			      scan_buf_kind_name((enum scan_buf_kind)v->buffer), v->offset,
			      (unsigned long long)v->gma, (unsigned long long)v->value, v->message);
	}
}

#define expect_pass(r)                                                          \
	do {                                                                    \
		const struct scan_result *r_ = (r);                             \
		if (!r_->pass || r_->nviolations) {                             \
			dump_violations(r_);                                    \
			fail_msg("expected a clean pass");                      \
		}                                                               \
	} while (0)

#define expect_reason(r, reason)                                                \
	do {                                                                    \
		const struct scan_result *r_ = (r);                             \
		if (r_->pass || r_->first_reason != (reason)) {                 \
			dump_violations(r_);                                    \
			fail_msg("expected %s, got %s (pass=%d)",               \
				 scan_reason_name(reason),                      \
				 scan_reason_name((enum scan_reason)r_->first_reason), \
				 r_->pass);                                     \
		}                                                               \
	} while (0)

/* One-shot: scan b (already built and ended) as a batch on engine e. */
static inline uint16_t scan_one(enum scan_gen gen, enum scan_policy pol, enum scan_engine e,
				const struct bb *b)
{
	struct fx f;
	uint16_t reason;

	fx_init(&f, gen, pol);
	fx_map_bb(&f, b);
	const struct scan_result *r = fx_batch(&f, e, b->gma, b->as);
	if (r->pass && r->nviolations == 0)
		reason = SCAN_R_NONE;
	else
		reason = r->first_reason;
	if (!r->pass && reason == SCAN_R_NONE)
		reason = 0xffff;
	fx_done(&f);
	return reason;
}

#define assert_reason(got, want)                                                \
	do {                                                                    \
		uint16_t g_ = (got), w_ = (want);                               \
		if (g_ != w_)                                                   \
			fail_msg("reason %s, expected %s",                      \
				 g_ == 0xffff ? "(reject without reason)"      \
					      : scan_reason_name((enum scan_reason)g_), \
				 scan_reason_name((enum scan_reason)w_));       \
	} while (0)

#endif
