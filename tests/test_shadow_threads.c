/* SPDX-License-Identifier: MIT */
/*
 * Concurrency: one vGPU's trap thread (page-table and GGTT writes), its
 * submission path (pin, flush, translate, scanner view), the GPU model
 * reading the host GGTT and a completion path translating GGTT addresses
 * (the lock-free GGTT writer's seqlock readers) run at once.  Meant to be clean under
 * ThreadSanitizer (make check SAN=thread) as well as ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "scanner/scanner.h"
#include "shadow/shadow.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ITER 20000
#else
#define ITER 200000
#endif

#define MiB (1ull << 20)
#define P SHADOW_PTE_PRESENT
#define PML4 0x10
#define PDP  0x11
#define PD   0x12
#define PT   0x13
#define DATA 0x100
#define NDATA 64

struct shared {
	struct shadow *sh;
	struct shadow_vgpu *v;
	struct shadow_ppgtt *root;
	struct shadow_windows w;
	int stop;
	unsigned long rounds[2]; /* submit and GGTT reader threads' passes */
	unsigned long bad; /* assertion failures seen by a thread */
	unsigned long translated, scratch;
	unsigned long ggtt_translated; /* by ggtt_reader_thread */
};

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void note_bad(struct shared *s)
{
	__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
}

static void *trap_thread(void *arg)
{
	struct shared *s = arg;
	uint64_t r = 88172645463325252ull;

	for (unsigned i = 0; i < ITER; i++) {
		unsigned idx = (unsigned)(xs(&r) % NDATA);
		uint64_t e = ((DATA + xs(&r) % NDATA) << 12) | P | SHADOW_PTE_RW;
		uint64_t gpa = (PT << 12) + idx * 8ull;
		int rc;
		switch (xs(&r) % 4) {
		case 0:
			rc = shadow_ppgtt_write(s->v, gpa, (uint32_t)e, 4);
			break;
		case 1:
			rc = shadow_ggtt_write(s->v, (uint32_t)(((s->w.aperture_base >> 12) + idx) * 8), e, 8);
			break;
		default:
			rc = shadow_ppgtt_write(s->v, gpa, e, 8);
			break;
		}
		if (rc)
			note_bad(s);
	}
	/* the readers must have raced with the writes at least once, however
	 * the threads were scheduled (2 cores, 4 threads, sanitizers) */
	while (!__atomic_load_n(&s->rounds[0], __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&s->rounds[1], __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *submit_thread(void *arg)
{
	struct shared *s = arg;
	struct shadow_scan_view view;
	struct scan_mem mem;
	uint64_t r = 1234567;

	shadow_scan_mem_init(&view, &mem, s->v, s->root);
	for (bool last = false; !last;) {
		/* one more pass after the writer stopped: every entry settled */
		last = __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
		if (shadow_ppgtt_pin(s->root) || shadow_ppgtt_flush(s->v)) {
			note_bad(s);
			__atomic_add_fetch(&s->rounds[0], 1, __ATOMIC_RELEASE); /* the writer waits for it */
			break;
		}
		for (unsigned k = 0; k < 16; k++) {
			struct shadow_xlate x;
			uint64_t gma = (xs(&r) % NDATA) << 12;
			int rc = shadow_ppgtt_translate(s->root, gma, &x);
			if (rc == 0 && (x.gpa >> 12 < DATA || x.gpa >> 12 >= DATA + NDATA))
				note_bad(s); /* a frame the guest never mapped */
			else if (rc && rc != -ENOENT)
				note_bad(s);
			s->translated += rc == 0;
			s->scratch += rc != 0;
			size_t len;
			const uint32_t *p = mem.map(mem.ctx, SCAN_AS_PPGTT, gma, &len);
			if (p)
				(void)__atomic_load_n(p, __ATOMIC_RELAXED); /* host page is readable */
		}
		struct shadow_vgpu_stats st = { .sz = sizeof(st) };
		shadow_vgpu_stats(s->v, &st);
		shadow_ppgtt_unpin(s->root);
		__atomic_add_fetch(&s->rounds[0], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *gpu_thread(void *arg)
{
	struct shared *s = arg;
	uint32_t first = (uint32_t)(s->w.aperture_base >> 12);
	uint64_t scratch = shadow_scratch_hpa(s->sh);

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		for (uint32_t i = 0; i < NDATA; i++) {
			uint64_t pte = shadow_ggtt_host_pte(s->sh, first + i);
			if (shadow_pte_addr(pte) == scratch) /* the engine's scratch is not this vGPU's */
				note_bad(s);
		}
	}
	return NULL;
}

/* GGTT translation racing the lock-free GGTT writer: the host entry and the
 * guest frame it reports must be one pair (the frame's own host page),
 * never the entry of one write with the frame of another. */
static void *ggtt_reader_thread(void *arg)
{
	struct shared *s = arg;
	unsigned long seen = 0;

	for (bool last = false; !last;) {
		last = __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); /* one pass after the writer */
		for (unsigned idx = 0; idx < NDATA; idx++) {
			uint64_t gma = s->w.aperture_base + ((uint64_t)idx << 12) + 8;
			struct shadow_xlate x;
			int rc = shadow_ggtt_translate(s->v, gma, &x);
			if (rc == -ENOENT)
				continue; /* scratch: not written yet */
			uint64_t gfn = x.gpa >> 12, hpa = 0;
			if (rc || gfn < DATA || gfn >= DATA + NDATA || (x.gpa & 0xfff) != 8 ||
			    shadow_gmem_hpa(s->v, gfn, &hpa) || (x.hpa & ~0xfffull) != hpa) {
				note_bad(s);
				continue;
			}
			uint64_t ge = 0;
			if (shadow_ggtt_read(s->v, (uint32_t)((gma >> 12) * 8), 8, &ge) || !(ge & P))
				note_bad(s);
			seen++;
		}
		__atomic_add_fetch(&s->rounds[1], 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->ggtt_translated, seen, __ATOMIC_RELAXED);
	return NULL;
}

static void test_trap_and_submission_paths_run_concurrently(void **state)
{
	struct shadow_host *h = shadow_host_default_new(0);
	struct shadow_opts o = SHADOW_OPTS_INIT;
	struct shadow_vgpu_opts vo = SHADOW_VGPU_OPTS_INIT;
	struct shadow_ppgtt_opts ro = SHADOW_PPGTT_OPTS_INIT;
	struct shared s;
	pthread_t t[4];
	(void)state;

	memset(&s, 0, sizeof(s));
	o.host = &shadow_host_default_ops;
	o.host_ctx = h;
	assert_int_equal(shadow_new(&o, &s.sh), 0);
	vo.mem_size = 16 * MiB;
	assert_int_equal(shadow_vgpu_new(s.sh, &vo, &s.v), 0);
	shadow_vgpu_windows(s.v, &s.w);
	uint64_t e[3] = { (PDP << 12) | P, (PD << 12) | P, (PT << 12) | P };
	assert_int_equal(shadow_guest_write(s.v, PML4 << 12, &e[0], 8), 0);
	assert_int_equal(shadow_guest_write(s.v, PDP << 12, &e[1], 8), 0);
	assert_int_equal(shadow_guest_write(s.v, PD << 12, &e[2], 8), 0);
	ro.levels = 4;
	ro.pdp[0] = PML4 << 12;
	assert_int_equal(shadow_ppgtt_get(s.v, &ro, &s.root), 0);
	assert_int_equal(shadow_ppgtt_pin(s.root), 0); /* write-protects the tables */

	assert_int_equal(pthread_create(&t[0], NULL, trap_thread, &s), 0);
	assert_int_equal(pthread_create(&t[1], NULL, submit_thread, &s), 0);
	assert_int_equal(pthread_create(&t[2], NULL, gpu_thread, &s), 0);
	assert_int_equal(pthread_create(&t[3], NULL, ggtt_reader_thread, &s), 0);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s.bad, 0);
	assert_true(s.translated > 0);
	assert_true(s.ggtt_translated > 0);

	assert_int_equal(shadow_ppgtt_flush(s.v), 0);
	char err[512] = "";
	if (shadow_vgpu_check(s.v, err, sizeof(err)))
		fail_msg("%s", err);
	shadow_ppgtt_unpin(s.root);
	shadow_ppgtt_put(s.root);
	shadow_free(s.sh);
	struct shadow_host_stats hs = { .sz = sizeof(hs) };
	shadow_host_default_stats(h, &hs);
	assert_int_equal(hs.live_pages, 0);
	assert_int_equal(hs.bad_frees, 0);
	shadow_host_default_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trap_and_submission_paths_run_concurrently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
