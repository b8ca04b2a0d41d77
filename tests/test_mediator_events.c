/* SPDX-License-Identifier: MIT */
/*
 * The event stream is complete: from the events of a multi-vGPU run alone
 * (a hostile guest and a VM reboot included) a checker that knows nothing
 * of the mediator's internals rebuilds every vGPU's guest memory and
 * virtual GGTT, and matches the digests the events carry at every dispatch
 * and completion; it checks that what the GPU model was handed is what the
 * scanner audited, and walks the guest's own page tables (rebuilt from the
 * stream) to confirm where each page the GPU wrote really lives.  Then the
 * same stream with one event dropped or one byte changed must fail the
 * check, so the checker is shown able to fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"
#include "mediator/mediator.h"
#include "sim/sim.h"

/* ------------------------------------------------------------ recording */

struct rec_ev {
	struct med_event ev;  /* text and blobs point into this record's copies */
	char *text;
	struct med_blob *blobs;
};

struct rec {
	pthread_mutex_t lock;
	struct rec_ev *v;
	size_t n, cap;
};

static void *dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);
	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static void record(void *ctx, const struct med_event *ev)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->lock);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4096;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	struct rec_ev *e = &r->v[r->n++];
	e->ev = *ev;
	e->text = ev->text ? strdup(ev->text) : NULL;
	e->blobs = ev->nblobs ? calloc(ev->nblobs, sizeof(*e->blobs)) : NULL;
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		e->blobs[i] = ev->blobs[i];
		e->blobs[i].data = dup_bytes(ev->blobs[i].data, ev->blobs[i].len);
	}
	e->ev.text = e->text;
	e->ev.blobs = e->blobs;
	pthread_mutex_unlock(&r->lock);
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (uint32_t k = 0; k < r->v[i].ev.nblobs; k++)
			free((void *)r->v[i].blobs[k].data);
		free(r->v[i].blobs);
		free(r->v[i].text);
	}
	free(r->v);
	pthread_mutex_destroy(&r->lock);
}

/* ------------------------------------------------------------- checker */

#define PAGE 4096u
#define GGTT_BYTES (8u << 20) /* 1 Mi entries */

struct cvgpu {
	bool live;
	uint64_t nframes;
	uint8_t **mem;        /* [gfn]: NULL never written */
	uint8_t *ggtt;        /* the virtual GGTT as the guest wrote it */
	uint64_t win_base[2], win_size[2];
};

struct cwl {
	uint64_t scan_digest; /* the ring scan's */
	bool scanned;
	unsigned levels;
	uint64_t pdp[4];
};

struct checker {
	struct cvgpu v[MED_MAX_VGPUS + 1];
	struct cwl *wl;       /* by workload id */
	size_t nwl;
	unsigned problems;
	char first[256];
	/* what was verified (a checker that verifies nothing passes nothing) */
	unsigned digests, dispatches, completions, walks, scans;
	unsigned shadowed_pt_writes, mapped_ggtt_writes;
};

static void problem(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct checker *c, const char *fmt, ...)
{
	if (!c->problems++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->first, sizeof(c->first), fmt, ap);
		va_end(ap);
	}
}

static struct cwl *wl_of(struct checker *c, uint64_t id)
{
	if (id >= c->nwl) {
		size_t n = id + 64;
		c->wl = realloc(c->wl, n * sizeof(*c->wl));
		assert_non_null(c->wl);
		memset(c->wl + c->nwl, 0, (n - c->nwl) * sizeof(*c->wl));
		c->nwl = n;
	}
	return &c->wl[id];
}

static void mem_write(struct cvgpu *v, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *p = src;
	while (len) {
		uint64_t gfn = gpa / PAGE;
		size_t off = gpa % PAGE, n = PAGE - off < len ? PAGE - off : len;
		if (gfn >= v->nframes)
			return;
		if (!v->mem[gfn])
			v->mem[gfn] = calloc(1, PAGE);
		memcpy(v->mem[gfn] + off, p, n);
		gpa += n;
		p += n;
		len -= n;
	}
}

static uint64_t mem_read64(struct cvgpu *v, uint64_t gpa)
{
	uint64_t gfn = gpa / PAGE, x = 0;
	if (gfn < v->nframes && v->mem[gfn])
		memcpy(&x, v->mem[gfn] + gpa % PAGE, 8);
	return x;
}

static uint64_t page_digest(uint64_t d, uint64_t gfn, const void *page)
{
	uint8_t le[8];
	for (unsigned i = 0; i < 8; i++)
		le[i] = (uint8_t)(gfn >> (8 * i));
	return med_digest(med_digest(d, le, 8), page, PAGE);
}

static uint64_t mem_digest(const struct cvgpu *v, uint64_t *pages)
{
	static const uint8_t zero[PAGE];
	uint64_t d = MED_DIGEST_INIT;
	*pages = 0;
	for (uint64_t g = 0; g < v->nframes; g++) {
		if (!v->mem[g] || !memcmp(v->mem[g], zero, PAGE))
			continue;
		d = page_digest(d, g, v->mem[g]);
		(*pages)++;
	}
	return d;
}

static uint64_t ggtt_digest(const struct cvgpu *v)
{
	uint64_t d = MED_DIGEST_INIT;
	for (unsigned k = 0; k < 2; k++) {
		uint64_t first = v->win_base[k] / PAGE * 8, bytes = v->win_size[k] / PAGE * 8;
		for (uint64_t off = 0; off < bytes; off += PAGE)
			d = med_digest(d, v->ggtt + first + off, bytes - off < PAGE ? bytes - off : PAGE);
	}
	return d;
}

/* The guest's own 4-level page tables, from the memory the checker rebuilt. */
static int walk(struct cvgpu *v, const struct cwl *w, uint64_t gma, uint64_t *gpa)
{
	if (w->levels != 4)
		return -ENOTSUP;
	uint64_t table = w->pdp[0] & ~0xfffull;
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (unsigned)(gma >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = mem_read64(v, table + 8ull * idx);
		if (!(e & 1))
			return -EFAULT;
		uint64_t addr = e & 0x00003ffffffff000ull;
		if (level > 1 && level < 4 && (e & (1ull << 7))) {
			uint64_t span = 1ull << (12 + 9 * (level - 1));
			*gpa = (addr & ~(span - 1)) + (gma & (span - 1) & ~0xfffull);
			return 0;
		}
		if (level == 1) {
			*gpa = addr;
			return 0;
		}
		table = addr;
	}
	return -EFAULT;
}

static void check_complete(struct checker *c, struct cvgpu *v, const struct med_event *ev)
{
	uint64_t d = MED_DIGEST_INIT;
	for (uint32_t i = 0; i < ev->nblobs; i++) {
		const struct med_blob *b = &ev->blobs[i];
		if (b->kind != MED_BLOB_GUEST_MEM || b->len != PAGE) {
			problem(c, "seq %llu: completion blob %u is not a guest page",
				(unsigned long long)ev->seq, i);
			continue;
		}
		d = page_digest(d, b->gpa / PAGE, b->data);
		/* where the shadows sent the write must be where the guest's
		 * own tables (or GGTT) say the address lives */
		uint64_t gpa = UINT64_MAX;
		int err;
		if (b->as == 1) {
			err = walk(v, wl_of(c, ev->u.exec.id), b->addr, &gpa);
		} else {
			uint64_t e = 0;
			memcpy(&e, v->ggtt + (b->addr / PAGE) * 8, 8);
			err = (e & 1) ? 0 : -EFAULT;
			gpa = e & 0x00003ffffffff000ull;
		}
		if (err || gpa != b->gpa)
			problem(c, "seq %llu: workload %llu wrote %s 0x%llx, which the guest maps at "
				   "gpa 0x%llx (err %d), but the GPU wrote gpa 0x%llx",
				(unsigned long long)ev->seq, (unsigned long long)ev->u.exec.id,
				b->as ? "ppgtt" : "ggtt", (unsigned long long)b->addr,
				(unsigned long long)gpa, err, (unsigned long long)b->gpa);
		else
			c->walks++;
		mem_write(v, b->gpa, b->data, PAGE);
	}
	if (ev->nblobs && d != ev->u.exec.digest)
		problem(c, "seq %llu: completion digest differs from its pages",
			(unsigned long long)ev->seq);
	if (ev->blobs_dropped || (ev->flags & MED_EVF_UNTRACKED))
		problem(c, "seq %llu: %u written pages dropped%s", (unsigned long long)ev->seq,
			ev->blobs_dropped, ev->flags & MED_EVF_UNTRACKED ? ", writes not tracked" : "");
	c->completions++;
}

static void check_event(struct checker *c, const struct med_event *ev)
{
	struct cvgpu *v = ev->vgpu <= MED_MAX_VGPUS ? &c->v[ev->vgpu] : NULL;
	if (ev->version != MED_EVENT_VERSION || ev->size != sizeof(*ev))
		problem(c, "seq %llu: version %u size %u", (unsigned long long)ev->seq, ev->version,
			ev->size);
	if (ev->vgpu && ev->type != MED_EV_VGPU_CREATE && ev->type != MED_EV_ESCAPE &&
	    (!v || !v->live)) {
		problem(c, "seq %llu: %s for vGPU %u, never created", (unsigned long long)ev->seq,
			med_event_name(ev->type), ev->vgpu);
		return;
	}
	switch (ev->type) {
	case MED_EV_VGPU_CREATE:
		assert_non_null(v);
		assert_false(v->live);
		v->live = true;
		v->nframes = ev->u.vgpu.mem_size / PAGE;
		assert_true(v->nframes > 0);
		v->mem = calloc(v->nframes, sizeof(*v->mem));
		v->ggtt = calloc(1, GGTT_BYTES);
		assert_non_null(v->mem);
		assert_non_null(v->ggtt);
		v->win_base[0] = ev->u.vgpu.aperture_base;
		v->win_size[0] = ev->u.vgpu.aperture_size;
		v->win_base[1] = ev->u.vgpu.hidden_base;
		v->win_size[1] = ev->u.vgpu.hidden_size;
		break;
	case MED_EV_VGPU_DESTROY:
		for (uint64_t g = 0; g < v->nframes; g++)
			free(v->mem[g]);
		free(v->mem);
		free(v->ggtt);
		memset(v, 0, sizeof(*v));
		break;
	case MED_EV_VGPU_RESET:
		/* windows back to scratch: the guest reads zero entries */
		memset(v->ggtt, 0, GGTT_BYTES);
		break;
	case MED_EV_MEM_WRITE:
		if (!ev->err) {
			if (ev->nblobs != 1 || ev->blobs[0].len != ev->u.mem.len)
				problem(c, "seq %llu: memory write without its bytes",
					(unsigned long long)ev->seq);
			else
				mem_write(v, ev->u.mem.gpa, ev->blobs[0].data, ev->u.mem.len);
		}
		break;
	case MED_EV_PT_WRITE:
		if (ev->u.pt.stored)
			mem_write(v, ev->u.pt.gpa, &ev->u.pt.value, ev->u.pt.bytes);
		else if (!ev->err)
			problem(c, "seq %llu: an accepted page-table write not stored",
				(unsigned long long)ev->seq);
		/* the outcome: a whole present entry in a shadowed table is
		 * shadowed by a present host entry */
		if (!ev->err && ev->u.pt.tables && ev->u.pt.bytes == 8 && (ev->u.pt.value & 1)) {
			if (!(ev->u.pt.host_pte & 1))
				problem(c, "seq %llu: page-table write left no present shadow entry",
					(unsigned long long)ev->seq);
			c->shadowed_pt_writes++;
		}
		break;
	case MED_EV_GGTT_WRITE:
		if (!ev->err) {
			uint64_t off = ev->u.mmio.offset - (8u << 20);
			memcpy(v->ggtt + off, &ev->u.mmio.value, ev->u.mmio.bytes);
			if (ev->u.mmio.bytes == 8 && (ev->u.mmio.value & 1)) {
				if (!(ev->u.mmio.host_pte & 1))
					problem(c, "seq %llu: GGTT write left no present host entry",
						(unsigned long long)ev->seq);
				c->mapped_ggtt_writes++;
			}
		}
		break;
	case MED_EV_WORKLOAD: {
		struct cwl *w = wl_of(c, ev->u.workload.id);
		w->levels = ev->u.workload.levels;
		memcpy(w->pdp, ev->u.workload.pdp, sizeof(w->pdp));
		break;
	}
	case MED_EV_SCAN: {
		uint64_t d = MED_DIGEST_INIT;
		for (uint32_t i = 0; i < ev->nblobs; i++)
			d = med_digest(d, ev->blobs[i].data, ev->blobs[i].len);
		if (ev->blobs_dropped || ev->nblobs != ev->u.scan.nshadows)
			problem(c, "seq %llu: %u of %u audited shadows attached (%u dropped)",
				(unsigned long long)ev->seq, ev->nblobs, ev->u.scan.nshadows,
				ev->blobs_dropped);
		if (!ev->u.scan.wa) {
			struct cwl *w = wl_of(c, ev->u.scan.id);
			w->scan_digest = d; /* what the recorded audit saw */
			w->scanned = true;
		}
		c->scans++;
		break;
	}
	case MED_EV_DISPATCH: {
		struct cwl *w = wl_of(c, ev->u.exec.id);
		if (!w->scanned || (ev->flags & MED_EVF_NO_DIGEST) || w->scan_digest != ev->u.exec.digest)
			problem(c, "seq %llu: workload %llu: what the GPU was handed is not what "
				   "the scanner audited",
				(unsigned long long)ev->seq, (unsigned long long)ev->u.exec.id);
		c->dispatches++;
		break;
	}
	case MED_EV_GPU_WRITE:
		check_complete(c, v, ev);
		break;
	case MED_EV_DIGEST: {
		uint64_t pages;
		uint64_t md = mem_digest(v, &pages);
		if (md != ev->u.digest.mem || pages != ev->u.digest.mem_pages)
			problem(c, "seq %llu: vGPU %u memory after workload %llu (%s): rebuilt %llu "
				   "pages, the mediator has %llu, digests %s",
				(unsigned long long)ev->seq, ev->vgpu,
				(unsigned long long)ev->u.digest.id,
				ev->u.digest.phase ? "complete" : "dispatch",
				(unsigned long long)pages, (unsigned long long)ev->u.digest.mem_pages,
				md == ev->u.digest.mem ? "equal" : "differ");
		if (ggtt_digest(v) != ev->u.digest.ggtt)
			problem(c, "seq %llu: vGPU %u virtual GGTT after workload %llu differs",
				(unsigned long long)ev->seq, ev->vgpu,
				(unsigned long long)ev->u.digest.id);
		c->digests++;
		break;
	}
	default:
		break;
	}
}

static int by_seq(const void *a, const void *b)
{
	const struct rec_ev *x = a, *y = b;
	return x->ev.seq < y->ev.seq ? -1 : x->ev.seq > y->ev.seq;
}

/* Runs the checker over the stream, skipping record `skip` (SIZE_MAX: none). */
static void check_stream(struct checker *c, const struct rec *r, size_t skip)
{
	memset(c, 0, sizeof(*c));
	if (!r->n || r->v[0].ev.type != MED_EV_CONFIG)
		problem(c, "the stream does not start with the configuration");
	for (size_t i = 0; i < r->n; i++) {
		if (i && (r->v[i].ev.seq <= r->v[i - 1].ev.seq || r->v[i].ev.time < r->v[i - 1].ev.time))
			problem(c, "seq %llu: out of order", (unsigned long long)r->v[i].ev.seq);
		if (i != skip)
			check_event(c, &r->v[i].ev);
	}
	for (unsigned id = 0; id <= MED_MAX_VGPUS; id++) {
		for (uint64_t g = 0; g < c->v[id].nframes; g++)
			free(c->v[id].mem[g]);
		free(c->v[id].mem);
		free(c->v[id].ggtt);
	}
	free(c->wl);
}

/* ------------------------------------------------------------- the run */

struct run {
	struct med *m;
	struct med_vgpu *v[4];
	struct guest_drv *d[4];
	struct guest_gen *g[4];
	struct rec rec;
	unsigned legal_ok, rejected, hung;
};

static void notify(void *ctx, const struct med_event *ev)
{
	struct run *r = ctx;
	for (unsigned i = 0; i < 4; i++)
		if (r->d[i] && r->v[i] && ev->vgpu == med_vgpu_id(r->v[i]))
			guest_drv_notify(r->d[i], ev);
}

static void kick(void *ctx)
{
	med_run(ctx, 0);
}

/* Four vGPUs (3d, blit, media, hostile) on one thread, manual dispatch;
 * the hostile VM's vGPU is reset and its guest reboots half-way. */
static void run_mixed(struct run *r, unsigned rounds)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->rec.lock, NULL);
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .dispatch = MED_DISPATCH_MANUAL,
			       .on_reject = MED_ON_REJECT_DROP, .event = notify, .event_ctx = r,
			       .event_mask = MED_EV_BIT(MED_EV_CSB) | MED_EV_BIT(MED_EV_IRQ) |
					     MED_EV_BIT(MED_EV_REJECT) | MED_EV_BIT(MED_EV_COMPLETE) };
	assert_int_equal(med_new(&mo, &r->m), 0);
	struct med_sub *sub = NULL;
	assert_int_equal(med_subscribe(r->m, MED_EV_ALL, record, &r->rec, &sub), 0);
	const enum guest_profile prof[4] = { GUEST_PROFILE_3D, GUEST_PROFILE_BLIT,
					     GUEST_PROFILE_MEDIA, GUEST_PROFILE_HOSTILE };
	for (unsigned i = 0; i < 4; i++) {
		struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = MED_VGPU_TYPE_8,
					    .mem_size = 64ull << 20 };
		assert_int_equal(med_vgpu_create(r->m, &vo, &r->v[i]), 0);
		char err[256] = "";
		struct guest_drv_opts o = { .sz = sizeof(o), .vgpu = r->v[i], .gen = 9, .mem_size = 64ull << 20,
					    .hang_ms = 20000, .kick = kick, .kick_ctx = r->m,
					    .errbuf = err, .errbuf_len = sizeof(err) };
		int rc = guest_drv_new(&o, &r->d[i]);
		if (rc)
			fail_msg("guest_drv_new: %d %s", rc, err);
		struct guest_gen_opts go = { .sz = sizeof(go), .gen = SCAN_GEN9, .profile = prof[i],
					     .seed = 7 + i };
		assert_int_equal(guest_gen_new(&go, &r->g[i]), 0);
	}
	for (unsigned k = 0; k < rounds; k++) {
		for (unsigned i = 0; i < 4; i++) {
			const struct guest_work *w;
			assert_int_equal(guest_gen_next(r->g[i], &w), 0);
			struct guest_run res;
			assert_int_equal(guest_drv_run(r->d[i], w, &res), 0);
			r->legal_ok += !w->attack && res.outcome == GUEST_DONE && !res.checks_failed;
			r->rejected += res.outcome == GUEST_REJECTED;
			r->hung += res.outcome == GUEST_HUNG;
		}
		if (k == rounds / 2) {
			assert_int_equal(med_vgpu_reset(r->v[3]), 0);
			assert_int_equal(guest_drv_reboot(r->d[3]), 0);
		}
	}
	assert_int_equal(med_wait_idle(r->m, 10000), 0);
	for (unsigned i = 0; i < 4; i++) {
		guest_gen_free(r->g[i]);
		med_vgpu_destroy(r->v[i]);
		guest_drv_free(r->d[i]);
		r->d[i] = NULL;
	}
	med_unsubscribe(r->m, sub);
	med_free(r->m);
	qsort(r->rec.v, r->rec.n, sizeof(*r->rec.v), by_seq);
}

static size_t find(const struct rec *r, enum med_event_type t, bool (*pred)(const struct med_event *))
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ev.type == t && (!pred || pred(&r->v[i].ev)))
			return i;
	return SIZE_MAX;
}

static bool nonzero_write(const struct med_event *ev)
{
	if (ev->err || ev->nblobs != 1 || ev->u.mem.source != MED_MEM_GUEST)
		return false;
	const uint8_t *p = ev->blobs[0].data;
	for (uint32_t i = 0; i < ev->blobs[0].len; i++)
		if (p[i])
			return true;
	return false;
}

/* The last non-zero guest write that a later digest of its vGPU covers:
 * nothing after it can have written the same bytes again. */
static size_t last_write_before_digest(const struct rec *r)
{
	bool digest_after[MED_MAX_VGPUS + 1] = { false };
	for (size_t i = r->n; i-- > 0;) {
		const struct med_event *ev = &r->v[i].ev;
		if (ev->type == MED_EV_DIGEST)
			digest_after[ev->vgpu] = true;
		else if (ev->type == MED_EV_MEM_WRITE && digest_after[ev->vgpu] && nonzero_write(ev))
			return i;
	}
	return SIZE_MAX;
}

static bool present_ggtt(const struct med_event *ev)
{
	return !ev->err && (ev->u.mmio.value & 1);
}

static void test_a_mixed_run_is_rebuilt_from_its_events(void **state)
{
	(void)state;
	struct run r;
	run_mixed(&r, 24);
	assert_true(r.legal_ok > 40);
	assert_true(r.rejected > 0); /* the hostile guest's attacks */
	struct checker c;
	check_stream(&c, &r.rec, SIZE_MAX);
	if (c.problems)
		fail_msg("%u problems; first: %s", c.problems, c.first);
	print_message("%zu events: %u digests, %u dispatches, %u completions, %u written pages "
		      "walked, %u scans checked\n",
		      r.rec.n, c.digests, c.dispatches, c.completions, c.walks, c.scans);
	assert_true(c.digests >= 2 * c.dispatches && c.dispatches > 40);
	assert_true(c.completions == c.dispatches);
	assert_true(c.walks > 40);
	assert_true(c.scans >= c.dispatches);
	assert_true(c.shadowed_pt_writes > 0 && c.mapped_ggtt_writes > 0);

	/* The checker can fail: a lost guest write, a lost GGTT entry, one
	 * changed byte of an audited shadow. */
	size_t i = last_write_before_digest(&r.rec);
	assert_true(i != SIZE_MAX);
	check_stream(&c, &r.rec, i);
	assert_true(c.problems > 0);

	i = find(&r.rec, MED_EV_GGTT_WRITE, present_ggtt);
	assert_true(i != SIZE_MAX);
	check_stream(&c, &r.rec, i);
	assert_true(c.problems > 0);

	i = find(&r.rec, MED_EV_SCAN, NULL);
	assert_true(i != SIZE_MAX && r.rec.v[i].ev.nblobs > 0);
	uint8_t *b = (uint8_t *)r.rec.v[i].blobs[0].data;
	b[0] ^= 1;
	check_stream(&c, &r.rec, SIZE_MAX);
	assert_true(c.problems > 0);
	b[0] ^= 1;
	rec_free(&r.rec);
}

/* Six VMs of `vgt sim --deterministic` (every profile; the hostile one
 * goes into failsafe and reboots again and again; the watchdog stops its
 * endless loop), seen by the recorder as sim's extra subscriber: the
 * stream of the whole simulation is rebuilt too. */
static void test_a_deterministic_simulation_is_rebuilt_from_its_events(void **state)
{
	(void)state;
	struct rec rec = { .n = 0 };
	pthread_mutex_init(&rec.lock, NULL);
	char err[256] = "";
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 6,
			      .profiles = "3d,compute,blit,media,desktop,hostile",
			      .submissions = 90, .seed = 3, .shm_name = "", .deterministic = true,
			      .mem_size = 64ull << 20, .event = record, .event_ctx = &rec,
			      .errbuf = err, .errbuf_len = sizeof(err) };
	struct sim_result *res = NULL;
	int rc = sim_run(&o, &res);
	if (rc)
		fail_msg("sim_run: %d %s", rc, err);
	assert_true(res->ok);
	assert_true(res->v[5].reboots > 0);
	assert_true(res->v[5].med.watchdog > 0);
	sim_result_free(res);
	qsort(rec.v, rec.n, sizeof(*rec.v), by_seq);
	struct checker c;
	check_stream(&c, &rec, SIZE_MAX);
	if (c.problems)
		fail_msg("%u problems; first: %s", c.problems, c.first);
	print_message("%zu events: %u digests, %u dispatches, %u completions, %u written pages "
		      "walked\n", rec.n, c.digests, c.dispatches, c.completions, c.walks);
	assert_true(c.dispatches > 150 && c.digests >= 2 * c.dispatches);
	assert_true(c.completions == c.dispatches && c.walks > 150);
	rec_free(&rec);
}

/* ------------------------------------------------------------ the bus */

struct counter {
	unsigned n[MED_EV_TYPE_COUNT];
};

static void count(void *ctx, const struct med_event *ev)
{
	struct counter *k = ctx;
	k->n[ev->type]++;
}

static void test_subscribers_get_only_their_types_and_leave_cleanly(void **state)
{
	(void)state;
	struct med *m;
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .dispatch = MED_DISPATCH_MANUAL };
	assert_int_equal(med_new(&mo, &m), 0);
	assert_false(med_subscribed(m, MED_EV_MMIO_READ));
	struct counter a = { { 0 } }, b = { { 0 } };
	struct med_sub *sa, *sb;
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CFG_READ), count, &a, &sa), 0);
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CFG_READ) | MED_EV_BIT(MED_EV_CONFIG) |
						  MED_EV_BIT(MED_EV_VGPU_CREATE),
				       count, &b, &sb),
			 0);
	assert_int_equal(b.n[MED_EV_CONFIG], 1); /* a late subscriber learns the configuration */
	assert_true(med_subscribed(m, MED_EV_CFG_READ));
	assert_false(med_subscribed(m, MED_EV_MMIO_READ));
	struct med_vgpu *v;
	struct med_vgpu_opts vo = { .sz = sizeof(vo) };
	assert_int_equal(med_vgpu_create(m, &vo, &v), 0);
	assert_int_equal(b.n[MED_EV_VGPU_CREATE], 1);
	assert_int_equal(a.n[MED_EV_VGPU_CREATE], 0);
	uint32_t val;
	assert_int_equal(med_cfg_read(v, 0, 4, &val), 0);
	assert_int_equal(a.n[MED_EV_CFG_READ], 1);
	assert_int_equal(b.n[MED_EV_CFG_READ], 1);
	med_unsubscribe(m, sa);
	assert_int_equal(med_cfg_read(v, 0, 4, &val), 0);
	assert_int_equal(a.n[MED_EV_CFG_READ], 1);
	assert_int_equal(b.n[MED_EV_CFG_READ], 2);
	med_unsubscribe(m, sb);
	assert_false(med_subscribed(m, MED_EV_CFG_READ));

	/* a third late subscriber hears of the vGPU that exists */
	struct counter c3 = { { 0 } };
	struct med_sub *sc;
	assert_int_equal(med_subscribe(m, MED_EV_ALL, count, &c3, &sc), 0);
	assert_int_equal(c3.n[MED_EV_CONFIG], 1);
	assert_int_equal(c3.n[MED_EV_VGPU_CREATE], 1);
	/* every trap is an event, the refused and the masked ones too */
	assert_int_equal(med_vgpu_trigger(v, 0, 1u << 0), 0);
	assert_int_equal(c3.n[MED_EV_TRIGGER], 1);
	assert_int_equal(med_mmio_read(v, 3u << 20, 4, &(uint64_t){ 0 }), -ERANGE);
	assert_int_equal(c3.n[MED_EV_MMIO_READ], 1);
	med_unsubscribe(m, sc);

	assert_int_equal(med_subscribe(m, 0, count, &a, NULL), -EINVAL);
	assert_int_equal(med_subscribe(m, MED_EV_ALL, NULL, &a, NULL), -EINVAL);
	struct med_sub *many[MED_MAX_SUBSCRIBERS];
	for (unsigned i = 0; i < MED_MAX_SUBSCRIBERS; i++)
		assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CLOCK), count, &a, &many[i]), 0);
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CLOCK), count, &a, NULL), -ENOSPC);
	for (unsigned i = 0; i < MED_MAX_SUBSCRIBERS; i++)
		med_unsubscribe(m, many[i]);
	med_free(m);
}

/* Each subscriber numbers what it receives 1, 2, ... (dseq), whatever the
 * others take: a merge by dseq never waits for an event it will not get. */
struct numbered {
	uint64_t n, last_seq;
	bool gapless;
};

static void number(void *ctx, const struct med_event *ev)
{
	struct numbered *k = ctx;
	if (ev->dseq != k->n + 1 || ev->seq <= k->last_seq)
		k->gapless = false;
	k->n++;
	k->last_seq = ev->seq;
}

static void test_each_subscriber_numbers_its_deliveries_without_gaps(void **state)
{
	(void)state;
	struct med *m;
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .dispatch = MED_DISPATCH_MANUAL };
	assert_int_equal(med_new(&mo, &m), 0);
	struct numbered a = { .gapless = true }, b = { .gapless = true }, c = { .gapless = true };
	struct med_sub *sa, *sb, *sc;
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CFG_READ), number, &a, &sa), 0);
	/* a late subscriber of everything: its catch-up is numbered first */
	assert_int_equal(med_subscribe(m, MED_EV_ALL, number, &b, &sb), 0);
	assert_int_equal(b.n, 1); /* CONFIG */
	struct med_vgpu *v;
	struct med_vgpu_opts vo = { .sz = sizeof(vo) };
	assert_int_equal(med_vgpu_create(m, &vo, &v), 0);
	uint32_t val;
	uint64_t v64;
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(med_cfg_read(v, 0, 4, &val), 0);
		assert_int_equal(med_mmio_read(v, 0x2000, 4, &v64), 0);
	}
	assert_int_equal(a.n, 10);
	assert_true(a.gapless); /* seqs 2 apart, numbers 1 apart */
	assert_true(b.gapless);
	assert_true(b.n >= 22);
	/* a slot taken again numbers from 1 */
	med_unsubscribe(m, sa);
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_MMIO_READ), number, &c, &sc), 0);
	assert_int_equal(med_mmio_read(v, 0x2000, 4, &v64), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.gapless);
	assert_true(b.gapless);
	med_unsubscribe(m, sb);
	med_unsubscribe(m, sc);
	med_vgpu_destroy(v);
	med_free(m);
}

/* Subscribers come and go while four threads trap: each subscription's
 * numbers are exactly 1..n, to its last (med_unsubscribe waits for every
 * number it handed out), and a permanent subscriber misses none. */
#define CHURN_THREADS 4
#define CHURN_TRAPS   4000
struct churn {
	unsigned char *seen;
	_Atomic uint64_t n, max;
	_Atomic int bad;
};

static void churn_count(void *ctx, const struct med_event *ev)
{
	struct churn *c = ctx;
	if (ev->type == MED_EV_CONFIG || ev->type == MED_EV_VGPU_CREATE)
		return; /* catch-up: numbered too, but not what this counts */
	if (!ev->dseq || ev->dseq > 4u * CHURN_THREADS * CHURN_TRAPS) {
		atomic_store(&c->bad, 1);
		return;
	}
	if (__atomic_fetch_add(&c->seen[ev->dseq], 1, __ATOMIC_RELAXED))
		atomic_store(&c->bad, 2); /* twice */
	atomic_fetch_add(&c->n, 1);
	uint64_t mx = atomic_load(&c->max);
	while (ev->dseq > mx && !atomic_compare_exchange_weak(&c->max, &mx, ev->dseq))
		;
}

static void *churn_trap(void *arg)
{
	uint32_t val;
	for (unsigned i = 0; i < CHURN_TRAPS; i++)
		med_cfg_read(arg, 0, 4, &val);
	return NULL;
}

static void test_delivery_numbers_have_no_hole_while_subscribers_come_and_go(void **state)
{
	(void)state;
	struct med *m;
	struct med_opts mo = { .sz = sizeof(mo), .gen = 9, .dispatch = MED_DISPATCH_MANUAL };
	assert_int_equal(med_new(&mo, &m), 0);
	size_t cap = 4u * CHURN_THREADS * CHURN_TRAPS + 1;
	struct churn all = { .seen = calloc(cap, 1) }, one = { .seen = calloc(cap, 1) };
	assert_non_null(all.seen);
	assert_non_null(one.seen);
	struct med_sub *sa;
	assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CFG_READ), churn_count, &all, &sa), 0);
	struct med_vgpu *v[CHURN_THREADS];
	pthread_t t[CHURN_THREADS];
	for (unsigned i = 0; i < CHURN_THREADS; i++) {
		struct med_vgpu_opts vo = { .sz = sizeof(vo) };
		assert_int_equal(med_vgpu_create(m, &vo, &v[i]), 0);
	}
	for (unsigned i = 0; i < CHURN_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_trap, v[i]), 0);
	for (unsigned round = 0; round < 60; round++) {
		memset(one.seen, 0, cap);
		atomic_store(&one.n, 0);
		atomic_store(&one.max, 0);
		struct med_sub *so;
		/* no CONFIG in the mask: numbers start with the traps */
		assert_int_equal(med_subscribe(m, MED_EV_BIT(MED_EV_CFG_READ), churn_count, &one, &so), 0);
		for (volatile unsigned k = 0; k < 20000; k++)
			;
		med_unsubscribe(m, so);
		assert_int_equal(atomic_load(&one.bad), 0);
		assert_int_equal(atomic_load(&one.n), atomic_load(&one.max)); /* 1..max, no hole */
	}
	for (unsigned i = 0; i < CHURN_THREADS; i++)
		pthread_join(t[i], NULL);
	med_unsubscribe(m, sa);
	assert_int_equal(atomic_load(&all.bad), 0);
	assert_int_equal(atomic_load(&all.n), CHURN_THREADS * CHURN_TRAPS);
	assert_int_equal(atomic_load(&all.max), CHURN_THREADS * CHURN_TRAPS);
	for (unsigned i = 0; i < CHURN_THREADS; i++)
		med_vgpu_destroy(v[i]);
	med_free(m);
	free(all.seen);
	free(one.seen);
}

static void test_event_names_round_trip(void **state)
{
	(void)state;
	for (unsigned t = 1; t < MED_EV_TYPE_COUNT; t++) {
		const char *name = med_event_name((enum med_event_type)t);
		assert_non_null(name);
		enum med_event_type back;
		assert_int_equal(med_event_parse(name, &back), 0);
		assert_int_equal(back, t);
	}
	assert_int_equal(med_event_parse("bogus", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_names_round_trip),
		cmocka_unit_test(test_subscribers_get_only_their_types_and_leave_cleanly),
		cmocka_unit_test(test_each_subscriber_numbers_its_deliveries_without_gaps),
		cmocka_unit_test(test_delivery_numbers_have_no_hole_while_subscribers_come_and_go),
		cmocka_unit_test(test_a_mixed_run_is_rebuilt_from_its_events),
		cmocka_unit_test(test_a_deterministic_simulation_is_rebuilt_from_its_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
